/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the run loop and the exit handlers share: handler
 * results, event queueing and instruction skipping.
 */
#ifndef RKVM_VMX_EXIT_H
#define RKVM_VMX_EXIT_H

#include "rkvm.h"

/* a handler returns RKVM_REENTER, RKVM_TO_USER (kvm_run filled) or -errno */
#define RKVM_REENTER	1
#define RKVM_TO_USER	0

int rkvm_handle_exit(struct rkvm_vcpu *vcpu, u32 reason);
void rkvm_skip_instruction(struct rkvm_vcpu *vcpu);
void rkvm_queue_exception(struct rkvm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error);
int rkvm_internal_error(struct rkvm_vcpu *vcpu, u32 suberror, int ndata,
			const u64 *data);

static inline void rkvm_inject_gp(struct rkvm_vcpu *vcpu)
{
	rkvm_queue_exception(vcpu, GP_VECTOR, true, 0);
}

static inline void rkvm_inject_pf(struct rkvm_vcpu *vcpu, u64 addr, u32 err)
{
	vcpu->cr2 = addr;
	rkvm_queue_exception(vcpu, PF_VECTOR, true, err);
}

static inline void rkvm_inject_ud(struct rkvm_vcpu *vcpu)
{
	rkvm_queue_exception(vcpu, UD_VECTOR, false, 0);
}

#endif
