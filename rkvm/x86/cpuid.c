// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_SUPPORTED_CPUID, KVM_SET/GET_CPUID2 and the
 * CPUID exit: the guest's answers come from its own table.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kvm.h>
#include <asm/processor.h>
#include <asm/fpu/xcr.h>

#include "rkvm.h"
#include "x86/arch.h"
#include "vmx/vmx.h"
#include "x86/regs.h"
#include "x86/cpuid.h"
#include "x86/cpuid_table.h"

static void rkvm_host_cpuid(unsigned int leaf, unsigned int sub,
			    struct rkvm_cpuid_regs *r)
{
	cpuid_count(leaf, sub, &r->eax, &r->ebx, &r->ecx, &r->edx);
}

u64 rkvm_supported_xcr0(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) & RKVM_XCR0_MASK;
}

struct kvm_cpuid_entry2 *rkvm_find_cpuid(struct kvm_cpuid_entry2 *e, int nent,
					 u32 function, u32 index)
{
	int i;

	for (i = 0; i < nent; i++) {
		if (e[i].function != function)
			continue;
		if (!(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e[i].index == index)
			return &e[i];
	}
	return NULL;
}

bool rkvm_guest_has(struct rkvm_vcpu *vcpu, u64 feature)
{
	u32 leaf = feature >> 16;
	int reg = (feature >> 8) & 3, bit = feature & 31;
	struct kvm_cpuid_entry2 *e;
	u32 v;

	e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, leaf, 0);
	if (!e)
		return false;
	v = reg == 0 ? e->eax : reg == 1 ? e->ebx : reg == 2 ? e->ecx : e->edx;
	return v & (1u << bit);
}

/* physical-address bits beyond MAXPHYADDR are reserved */
u64 rkvm_rsvd_gpa_mask(struct rkvm_vcpu *vcpu)
{
	return GENMASK_ULL(63, vcpu->maxphyaddr);
}

static void rkvm_cpuid_changed(struct rkvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e;

	e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, 0x80000000, 0);
	vcpu->maxphyaddr = 36;
	if (e && e->eax >= 0x80000008) {
		e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, 0x80000008, 0);
		if (e && (e->eax & 0xff))
			vcpu->maxphyaddr = min_t(u8, e->eax & 0xff, 52);
	}
}

/* XSAVE area size for the components in @xcr0 (CPUID.0xD.0:EBX) */
static u32 rkvm_xsave_size(u64 xcr0)
{
	u32 size = 576, comp, eax, ebx, ecx, edx;

	for (comp = 2; comp < 64; comp++) {
		if (!(xcr0 & BIT_ULL(comp)))
			continue;
		cpuid_count(0xd, comp, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

/*
 * Bits of the guest's table that follow its state, as KVM keeps them:
 * CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE, CPUID.0xD.0:EBX is the XSAVE
 * size for the current XCR0. Called when CR4, XCR0 or the table change.
 */
void rkvm_cpuid_update_runtime(struct rkvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e;

	e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, 1, 0);
	if (e) {
		e->ecx &= ~RKVM_X86_FEATURE_OSXSAVE;
		if (vcpu->cr4 & X86_CR4_OSXSAVE)
			e->ecx |= RKVM_X86_FEATURE_OSXSAVE;
	}
	e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, 0xd, 0);
	if (e && boot_cpu_has(X86_FEATURE_XSAVE))
		e->ebx = rkvm_xsave_size(vcpu->xcr0);
}

/*
 * The CPUID exit. Leaves beyond the table's maximum answer as the highest
 * basic leaf does (Intel's rule, KVM's too); leaves within range that the
 * table lacks read as zero.
 */
void rkvm_emulate_cpuid(struct rkvm_vcpu *vcpu)
{
	u32 fn = vcpu->regs[RKVM_RAX], idx = vcpu->regs[RKVM_RCX];
	struct kvm_cpuid_entry2 *e, *max;
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;

	e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, fn, idx);
	if (!e) {
		max = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent,
				      fn & 0x80000000, 0);
		if (!max || fn > max->eax) {
			max = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, 0, 0);
			if (max)
				e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent,
						    max->eax, idx);
		}
	}
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	}
	vcpu->regs[RKVM_RAX] = eax;
	vcpu->regs[RKVM_RBX] = ebx;
	vcpu->regs[RKVM_RCX] = ecx;
	vcpu->regs[RKVM_RDX] = edx;
}

int rkvm_get_supported_cpuid(struct kvm_cpuid2 __user *arg)
{
	struct rkvm_cpuid_opts opts = {
		.has_invpcid = rkvm_vmx.has_invpcid,
		.has_rdtscp = rkvm_vmx.has_rdtscp,
		.host_xcr0 = rkvm_supported_xcr0(),
	};
	struct kvm_cpuid_entry2 *entries;
	struct rkvm_cpuid_out *out;
	struct kvm_cpuid2 hdr;
	int n, i, r;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	hdr.nent = min_t(u32, hdr.nent, RKVM_MAX_CPUID_ENTRIES);

	out = kcalloc(hdr.nent, sizeof(*out), GFP_KERNEL);
	entries = kcalloc(hdr.nent, sizeof(*entries), GFP_KERNEL);
	r = -ENOMEM;
	if (!out || !entries)
		goto free;
	n = rkvm_build_supported_cpuid(rkvm_host_cpuid, &opts, out, hdr.nent);
	r = -E2BIG;
	if (n < 0)
		goto free;
	for (i = 0; i < n; i++) {
		entries[i].function = out[i].function;
		entries[i].index = out[i].index;
		entries[i].flags = out[i].flags ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
		entries[i].eax = out[i].r.eax;
		entries[i].ebx = out[i].r.ebx;
		entries[i].ecx = out[i].r.ecx;
		entries[i].edx = out[i].r.edx;
	}
	hdr.nent = n;
	r = -EFAULT;
	if (copy_to_user(arg->entries, entries, n * sizeof(*entries)) ||
	    copy_to_user(arg, &hdr, sizeof(hdr)))
		goto free;
	r = 0;
free:
	kfree(out);
	kfree(entries);
	return r;
}

int rkvm_set_cpuid2(struct rkvm_vcpu *vcpu, struct kvm_cpuid2 __user *arg)
{
	struct kvm_cpuid_entry2 *e, *xsave;
	struct kvm_cpuid2 hdr;
	u64 xcr0;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > RKVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = NULL;
	if (hdr.nent) {
		e = vmemdup_user(arg->entries, array_size(hdr.nent, sizeof(*e)));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}

	/* the XSAVE features offered must be ones we can switch */
	xsave = e ? rkvm_find_cpuid(e, hdr.nent, 0xd, 0) : NULL;
	if (xsave) {
		xcr0 = xsave->eax | ((u64)xsave->edx << 32);
		if (xcr0 & ~rkvm_supported_xcr0()) {
			kvfree(e);
			return -EINVAL;
		}
	}

	/*
	 * After the first KVM_RUN the model may only be restated, not
	 * changed: compare with its runtime bits brought up to date.
	 */
	swap(e, vcpu->cpuid);
	swap(hdr.nent, vcpu->cpuid_nent);
	rkvm_cpuid_update_runtime(vcpu);
	if (vcpu->ran_once &&
	    (hdr.nent != vcpu->cpuid_nent ||
	     (hdr.nent && memcmp(e, vcpu->cpuid, hdr.nent * sizeof(*e))))) {
		swap(e, vcpu->cpuid);
		swap(hdr.nent, vcpu->cpuid_nent);
		kvfree(e);
		return -EINVAL;
	}
	kvfree(e);
	rkvm_cpuid_changed(vcpu);
	return 0;
}

int rkvm_get_cpuid2(struct rkvm_vcpu *vcpu, struct kvm_cpuid2 __user *arg)
{
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(arg->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	hdr.nent = vcpu->cpuid_nent;
	if (copy_to_user(arg, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}
