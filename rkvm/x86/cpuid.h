/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest-visible CPUID model: what
 * KVM_GET_SUPPORTED_CPUID offers, the guest's own table from KVM_SET_CPUID2,
 * and feature tests against it.
 */
#ifndef RKVM_X86_CPUID_H
#define RKVM_X86_CPUID_H

#include "rkvm.h"

/* a feature bit: leaf, register (0=eax..3=edx) and bit number */
#define RKVM_FEATURE(leaf, reg, bit)	(((u64)(leaf) << 16) | ((reg) << 8) | (bit))
#define RKVM_F_XSAVE		RKVM_FEATURE(1, 2, 26)
#define RKVM_F_PCID		RKVM_FEATURE(1, 2, 17)
#define RKVM_F_X2APIC		RKVM_FEATURE(1, 2, 21)
#define RKVM_F_TSC_DEADLINE	RKVM_FEATURE(1, 2, 24)
#define RKVM_F_FSGSBASE		RKVM_FEATURE(7, 1, 0)
#define RKVM_F_TSC_ADJUST	RKVM_FEATURE(7, 1, 1)
#define RKVM_F_SMEP		RKVM_FEATURE(7, 1, 7)
#define RKVM_F_SMAP		RKVM_FEATURE(7, 1, 20)
#define RKVM_F_UMIP		RKVM_FEATURE(7, 2, 2)
#define RKVM_F_RDTSCP		RKVM_FEATURE(0x80000001, 3, 27)
#define RKVM_F_NX		RKVM_FEATURE(0x80000001, 3, 20)
#define RKVM_F_LM		RKVM_FEATURE(0x80000001, 3, 29)

struct kvm_cpuid_entry2 *rkvm_find_cpuid(struct kvm_cpuid_entry2 *e, int nent,
					 u32 function, u32 index);
bool rkvm_guest_has(struct rkvm_vcpu *vcpu, u64 feature);
u64 rkvm_rsvd_gpa_mask(struct rkvm_vcpu *vcpu);
void rkvm_emulate_cpuid(struct rkvm_vcpu *vcpu);
void rkvm_cpuid_update_runtime(struct rkvm_vcpu *vcpu);
int rkvm_get_supported_cpuid(struct kvm_cpuid2 __user *arg);
int rkvm_set_cpuid2(struct rkvm_vcpu *vcpu, struct kvm_cpuid2 __user *arg);
int rkvm_get_cpuid2(struct rkvm_vcpu *vcpu, struct kvm_cpuid2 __user *arg);
u64 rkvm_supported_xcr0(void);

#endif
