/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's MSRs: emulation and the switched host MSRs.
 */
#ifndef RKVM_X86_MSR_H
#define RKVM_X86_MSR_H

#include <asm/page.h>
#include "rkvm.h"

/* 48-bit virtual addresses: rkvm offers no LA57 */
#define rkvm_noncanonical(a) (!__is_canonical_address((a), 48))

void rkvm_load_guest_msrs(struct rkvm_vcpu *vcpu);
void rkvm_put_guest_msrs(struct rkvm_vcpu *vcpu);
int rkvm_get_msr(struct rkvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int rkvm_set_msr(struct rkvm_vcpu *vcpu, u32 index, u64 data, bool host);
int rkvm_msrs_ioctl(struct rkvm_vcpu *vcpu, struct kvm_msrs __user *arg,
		    bool set);
int rkvm_get_msr_index_list(struct kvm_msr_list __user *arg);
int rkvm_get_msr_feature_index_list(struct kvm_msr_list __user *arg);
int rkvm_get_feature_msrs(struct kvm_msrs __user *arg);

#endif
