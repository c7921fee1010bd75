// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory by linear address: the guest's paging
 * mode from its control registers, the walk of x86/ptwalk.h over guest
 * memory, and copies that cross page boundaries. Used to emulate string
 * I/O (and instruction fetch) on the guest's behalf.
 */
#include <linux/kvm.h>
#include <linux/mm.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "x86/regs.h"
#include "x86/cpuid.h"
#include "x86/ptwalk.h"
#include "x86/gmem.h"

static int rkvm_walk_read(void *opaque, unsigned long long gpa,
			  unsigned long long *v, int size)
{
	struct rkvm_vcpu *vcpu = opaque;

	*v = 0;
	return rkvm_read_guest(vcpu->kvm, gpa, v, size);
}

static void rkvm_walk_ctx(struct rkvm_vcpu *vcpu, struct rkvm_walk_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->read = rkvm_walk_read;
	c->opaque = vcpu;
	c->cr3 = vmcs_read(GUEST_CR3);
	c->maxphy_mask = ~rkvm_rsvd_gpa_mask(vcpu);
	c->pse = !!(vcpu->cr4 & X86_CR4_PSE);
	c->wp = !!(vcpu->cr0 & X86_CR0_WP);
	c->nxe = !!(vcpu->efer & EFER_NX);
	if (!rkvm_is_paging(vcpu)) {
		c->mode = PAGING_NONE;
	} else if (rkvm_is_long_mode(vcpu)) {
		c->mode = PAGING_4LEVEL;
	} else if (vcpu->cr4 & X86_CR4_PAE) {
		c->mode = PAGING_PAE;
		c->pdptr[0] = vmcs_read(GUEST_PDPTR0);
		c->pdptr[1] = vmcs_read(GUEST_PDPTR1);
		c->pdptr[2] = vmcs_read(GUEST_PDPTR2);
		c->pdptr[3] = vmcs_read(GUEST_PDPTR3);
	} else {
		c->mode = PAGING_32;
	}
}

/* Translate one guest linear address; 0, 1 with a #PF code, or -EFAULT. */
int rkvm_guest_virt_to_gpa(struct rkvm_vcpu *vcpu, u64 gva, int access,
			   u64 *gpa, u32 *pf_err)
{
	struct rkvm_walk_ctx c;
	unsigned long long g;
	int r;

	rkvm_walk_ctx(vcpu, &c);
	if (rkvm_guest_cpl(vcpu) == 3)
		access |= PTW_USER;
	r = rkvm_ptwalk(&c, gva, access, &g, pf_err);
	*gpa = g;
	return r < 0 ? -EFAULT : r;
}

/*
 * Copy between @buf and guest linear memory at @gva. Returns 0, 1 with a
 * page fault's error code in @pf_err (the faulting address in @pf_addr),
 * or -EFAULT when guest-physical memory behind it is not RAM.
 */
int rkvm_guest_virt_copy(struct rkvm_vcpu *vcpu, u64 gva, void *buf,
			 unsigned int len, int access, u32 *pf_err, u64 *pf_addr)
{
	struct rkvm_walk_ctx c;
	int r;

	rkvm_walk_ctx(vcpu, &c);
	if (rkvm_guest_cpl(vcpu) == 3)
		access |= PTW_USER;
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gva));
		unsigned long long gpa;

		r = rkvm_ptwalk(&c, gva, access, &gpa, pf_err);
		if (r) {
			*pf_addr = gva;
			return r < 0 ? -EFAULT : 1;
		}
		r = (access & PTW_WRITE) ? rkvm_write_guest(vcpu->kvm, gpa, buf, n) :
					   rkvm_read_guest(vcpu->kvm, gpa, buf, n);
		if (r)
			return -EFAULT;
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}
