/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Access to the guest's registers: RIP, RSP and RFLAGS
 * are read from the VMCS at most once per exit and written back before the
 * next entry; control registers and EFER with their architectural rules.
 */
#ifndef RKVM_X86_REGS_H
#define RKVM_X86_REGS_H

#include "rkvm.h"
#include "vmx/vmx.h"

static inline unsigned long *rkvm_cached_field(struct rkvm_vcpu *vcpu,
					       enum rkvm_cache_bit bit,
					       unsigned long field)
{
	unsigned long *p = bit == RKVM_CACHE_RIP ? &vcpu->rip :
			   bit == RKVM_CACHE_RSP ? &vcpu->rsp : &vcpu->rflags;

	if (!test_bit(bit, &vcpu->cache_avail)) {
		*p = vmcs_read(field);
		__set_bit(bit, &vcpu->cache_avail);
	}
	return p;
}

static inline unsigned long rkvm_rip(struct rkvm_vcpu *vcpu)
{
	return *rkvm_cached_field(vcpu, RKVM_CACHE_RIP, GUEST_RIP);
}

static inline unsigned long rkvm_rsp(struct rkvm_vcpu *vcpu)
{
	return *rkvm_cached_field(vcpu, RKVM_CACHE_RSP, GUEST_RSP);
}

static inline unsigned long rkvm_rflags(struct rkvm_vcpu *vcpu)
{
	return *rkvm_cached_field(vcpu, RKVM_CACHE_RFLAGS, GUEST_RFLAGS);
}

static inline void rkvm_set_rip(struct rkvm_vcpu *vcpu, unsigned long v)
{
	vcpu->rip = v;
	__set_bit(RKVM_CACHE_RIP, &vcpu->cache_avail);
	__set_bit(RKVM_CACHE_RIP, &vcpu->cache_dirty);
}

static inline void rkvm_set_rsp(struct rkvm_vcpu *vcpu, unsigned long v)
{
	vcpu->rsp = v;
	__set_bit(RKVM_CACHE_RSP, &vcpu->cache_avail);
	__set_bit(RKVM_CACHE_RSP, &vcpu->cache_dirty);
}

static inline void rkvm_set_rflags(struct rkvm_vcpu *vcpu, unsigned long v)
{
	vcpu->rflags = v | X86_EFLAGS_FIXED;
	__set_bit(RKVM_CACHE_RFLAGS, &vcpu->cache_avail);
	__set_bit(RKVM_CACHE_RFLAGS, &vcpu->cache_dirty);
}

/* write back what was changed, before a VM entry */
static inline void rkvm_flush_regs(struct rkvm_vcpu *vcpu)
{
	if (vcpu->cache_dirty) {
		if (test_bit(RKVM_CACHE_RIP, &vcpu->cache_dirty))
			vmcs_write(GUEST_RIP, vcpu->rip);
		if (test_bit(RKVM_CACHE_RSP, &vcpu->cache_dirty))
			vmcs_write(GUEST_RSP, vcpu->rsp);
		if (test_bit(RKVM_CACHE_RFLAGS, &vcpu->cache_dirty))
			vmcs_write(GUEST_RFLAGS, vcpu->rflags);
		vcpu->cache_dirty = 0;
	}
}

/* CR0.TS belongs to the guest: it may have changed without an exit */
static inline unsigned long rkvm_read_cr0(struct rkvm_vcpu *vcpu)
{
	return (vcpu->cr0 & ~X86_CR0_TS) | (vmcs_read(GUEST_CR0) & X86_CR0_TS);
}

static inline bool rkvm_is_long_mode(struct rkvm_vcpu *vcpu)
{
	return vcpu->efer & EFER_LMA;
}

static inline bool rkvm_is_paging(struct rkvm_vcpu *vcpu)
{
	return vcpu->cr0 & X86_CR0_PG;
}

static inline bool rkvm_is_pae_paging(struct rkvm_vcpu *vcpu)
{
	return rkvm_is_paging(vcpu) && (vcpu->cr4 & X86_CR4_PAE) &&
	       !rkvm_is_long_mode(vcpu);
}

/* CS.L: 64-bit code, else CS.D picks 32 or 16 bits */
static inline bool rkvm_is_64bit_code(struct rkvm_vcpu *vcpu)
{
	return rkvm_is_long_mode(vcpu) &&
	       (vmcs_read32(GUEST_CS_AR_BYTES) & (1 << 13));
}

void rkvm_set_cr0(struct rkvm_vcpu *vcpu, unsigned long cr0);
void rkvm_set_cr4(struct rkvm_vcpu *vcpu, unsigned long cr4);
void rkvm_set_efer(struct rkvm_vcpu *vcpu, u64 efer);
bool rkvm_cr0_valid(struct rkvm_vcpu *vcpu, unsigned long cr0);
bool rkvm_cr4_valid(struct rkvm_vcpu *vcpu, unsigned long cr4);
bool rkvm_efer_valid(struct rkvm_vcpu *vcpu, u64 efer);
int rkvm_load_pdptrs(struct rkvm_vcpu *vcpu, unsigned long cr3);
int rkvm_guest_cpl(struct rkvm_vcpu *vcpu);

int rkvm_get_regs(struct rkvm_vcpu *vcpu, struct kvm_regs *regs);
int rkvm_set_regs(struct rkvm_vcpu *vcpu, const struct kvm_regs *regs);
int rkvm_get_sregs(struct rkvm_vcpu *vcpu, struct kvm_sregs *sregs);
int rkvm_set_sregs(struct rkvm_vcpu *vcpu, const struct kvm_sregs *sregs);

#endif
