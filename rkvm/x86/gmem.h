/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory by linear address.
 */
#ifndef RKVM_X86_GMEM_H
#define RKVM_X86_GMEM_H

#include "rkvm.h"
#include "x86/ptwalk.h"

int rkvm_guest_virt_to_gpa(struct rkvm_vcpu *vcpu, u64 gva, int access,
			   u64 *gpa, u32 *pf_err);
int rkvm_guest_virt_copy(struct rkvm_vcpu *vcpu, u64 gva, void *buf,
			 unsigned int len, int access, u32 *pf_err, u64 *pf_addr);

#endif
