/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmclock: the VM's paravirtual clock, its MSRs and KVM_GET/SET_CLOCK.
 */
#ifndef RKVM_X86_KVMCLOCK_H
#define RKVM_X86_KVMCLOCK_H

#include <linux/kvm.h>
#include "rkvm.h"

/* what KVM_GET_CLOCK may report and KVM_SET_CLOCK accepts (KVM_CAP_ADJUST_CLOCK) */
#define RKVM_CLOCK_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)

void rkvm_kvmclock_init(struct rkvm *kvm);
void rkvm_kvmclock_update(struct rkvm_vcpu *vcpu);
int rkvm_kvmclock_get_msr(struct rkvm_vcpu *vcpu, u32 index, u64 *data);
int rkvm_kvmclock_set_msr(struct rkvm_vcpu *vcpu, u32 index, u64 data);
void rkvm_get_clock(struct rkvm *kvm, struct kvm_clock_data *data);
int rkvm_set_clock(struct rkvm *kvm, const struct kvm_clock_data *data);

#endif
