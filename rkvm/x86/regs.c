// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's register model: KVM_GET/SET_REGS and SREGS,
 * segment registers between struct kvm_segment and the VMCS, CR0/CR4/EFER
 * with their validity rules and long-mode activation, PAE PDPTEs.
 */
#include <linux/kvm.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include <asm/apicdef.h>

#include "rkvm.h"
#include "vmx/vmx.h"
#include "vmx/controls.h"
#include "x86/regs.h"
#include "x86/cpuid.h"
#include "x86/lapic.h"

struct rkvm_seg_fields {
	unsigned long sel, base, limit, ar;
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_TR, SEG_LDTR };

static const struct rkvm_seg_fields rkvm_segs[] = {
	[SEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[SEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[SEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[SEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[SEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[SEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[SEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	[SEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
};

static void rkvm_get_seg(int seg, struct kvm_segment *s)
{
	const struct rkvm_seg_fields *f = &rkvm_segs[seg];
	u32 ar = vmcs_read32(f->ar);

	memset(s, 0, sizeof(*s));
	s->selector = vmcs_read(f->sel);
	s->base = vmcs_read(f->base);
	s->limit = vmcs_read32(f->limit);
	s->unusable = (ar >> 16) & 1;
	s->type = ar & 15;
	s->s = (ar >> 4) & 1;
	s->dpl = (ar >> 5) & 3;
	/* an unusable segment reads as not present, as KVM reports it */
	s->present = !s->unusable;
	s->avl = (ar >> 12) & 1;
	s->l = (ar >> 13) & 1;
	s->db = (ar >> 14) & 1;
	s->g = (ar >> 15) & 1;
}

static u32 rkvm_seg_ar(const struct kvm_segment *s)
{
	if (s->unusable || !s->present)
		return 1 << 16;
	return (s->type & 15) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
	       (s->present & 1) << 7 | (s->avl & 1) << 12 | (s->l & 1) << 13 |
	       (s->db & 1) << 14 | (s->g & 1) << 15;
}

static void rkvm_put_seg(int seg, const struct kvm_segment *s)
{
	const struct rkvm_seg_fields *f = &rkvm_segs[seg];
	u32 ar = rkvm_seg_ar(s);

	/* the VMCS insists on a usable TR and an accessed, present CS */
	if (seg == SEG_TR && (ar & (1 << 16)))
		ar = 0x8b;
	if (seg == SEG_CS && !(ar & (1 << 16)))
		ar |= 1;	/* accessed */
	vmcs_write(f->sel, s->selector);
	vmcs_write(f->base, s->base);
	vmcs_write(f->limit, s->limit);
	vmcs_write(f->ar, ar);
}

int rkvm_guest_cpl(struct rkvm_vcpu *vcpu)
{
	if (!(vcpu->cr0 & X86_CR0_PE))
		return 0;
	if (rkvm_rflags(vcpu) & X86_EFLAGS_VM)
		return 3;
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

static void rkvm_update_entry_ia32e(struct rkvm_vcpu *vcpu)
{
	u32 entry = vcpu->entry_ctls;

	if (vcpu->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	else
		entry &= ~VM_ENTRY_IA32E_MODE;
	if (entry != vcpu->entry_ctls) {
		vcpu->entry_ctls = entry;
		vmcs_write(VM_ENTRY_CONTROLS, entry);
	}
}

/* The hardware EFER: LME without paging is not yet LMA (unrestricted guest) */
void rkvm_set_efer(struct rkvm_vcpu *vcpu, u64 efer)
{
	vcpu->efer = efer;
	if (!(efer & EFER_LMA))
		efer &= ~EFER_LME;
	vmcs_write(GUEST_IA32_EFER, efer);
	rkvm_update_entry_ia32e(vcpu);
}

/* Load CR0 as the guest sees it; the hardware value obeys VMX's fixed bits. */
void rkvm_set_cr0(struct rkvm_vcpu *vcpu, unsigned long cr0)
{
	unsigned long hw;

	/* long-mode activation and deactivation follow CR0.PG (SDM 9.8.5) */
	if (vcpu->efer & EFER_LME) {
		if (!(vcpu->cr0 & X86_CR0_PG) && (cr0 & X86_CR0_PG))
			rkvm_set_efer(vcpu, vcpu->efer | EFER_LMA);
		else if ((vcpu->cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PG))
			rkvm_set_efer(vcpu, vcpu->efer & ~EFER_LMA);
	}
	vcpu->cr0 = cr0;
	/* the caches stay on for the host's sake: CD/NW live in the shadow */
	hw = rkvm_fix_cr(cr0 & ~(X86_CR0_CD | X86_CR0_NW), rkvm_vmx.cr0_fixed0,
			 rkvm_vmx.cr0_fixed1, X86_CR0_PE | X86_CR0_PG);
	vmcs_write(CR0_READ_SHADOW, cr0);
	vmcs_write(GUEST_CR0, hw);
}

void rkvm_set_cr4(struct rkvm_vcpu *vcpu, unsigned long cr4)
{
	bool osxsave_changed = (vcpu->cr4 ^ cr4) & X86_CR4_OSXSAVE;

	vcpu->cr4 = cr4;
	if (osxsave_changed)
		rkvm_cpuid_update_runtime(vcpu);
	vmcs_write(CR4_READ_SHADOW, cr4);
	vmcs_write(GUEST_CR4, rkvm_fix_cr(cr4, rkvm_vmx.cr4_fixed0,
					  rkvm_vmx.cr4_fixed1, 0));
}

static unsigned long rkvm_host_cr4_features(void)
{
	unsigned long ok = 0;

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		ok |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		ok |= X86_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		ok |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		ok |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		ok |= X86_CR4_SMAP;
	if (boot_cpu_has(X86_FEATURE_UMIP))
		ok |= X86_CR4_UMIP;
	return ok;
}

bool rkvm_cr0_valid(struct rkvm_vcpu *vcpu, unsigned long cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	return true;
}

/* CR4 bits the guest may set: what the host has and the guest's CPUID says */
bool rkvm_cr4_valid(struct rkvm_vcpu *vcpu, unsigned long cr4)
{
	unsigned long ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |
			   X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |
			   X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |
			   X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	/*
	 * A bit needs the host's hardware (VMX runs it) and, once userspace
	 * defined the model with KVM_SET_CPUID2, the guest's CPUID (KVM's rule).
	 */
	if (!vcpu->cpuid_nent)
		return !(cr4 & ~(ok | rkvm_host_cr4_features()));
	if (rkvm_guest_has(vcpu, RKVM_F_XSAVE) && boot_cpu_has(X86_FEATURE_XSAVE))
		ok |= X86_CR4_OSXSAVE;
	if (rkvm_guest_has(vcpu, RKVM_F_PCID) && boot_cpu_has(X86_FEATURE_PCID))
		ok |= X86_CR4_PCIDE;
	if (rkvm_guest_has(vcpu, RKVM_F_FSGSBASE) &&
	    boot_cpu_has(X86_FEATURE_FSGSBASE))
		ok |= X86_CR4_FSGSBASE;
	if (rkvm_guest_has(vcpu, RKVM_F_SMEP) && boot_cpu_has(X86_FEATURE_SMEP))
		ok |= X86_CR4_SMEP;
	if (rkvm_guest_has(vcpu, RKVM_F_SMAP) && boot_cpu_has(X86_FEATURE_SMAP))
		ok |= X86_CR4_SMAP;
	if (rkvm_guest_has(vcpu, RKVM_F_UMIP) && boot_cpu_has(X86_FEATURE_UMIP))
		ok |= X86_CR4_UMIP;
	return !(cr4 & ~ok);
}

bool rkvm_efer_valid(struct rkvm_vcpu *vcpu, u64 efer)
{
	u64 ok = EFER_SCE;

	if (rkvm_guest_has(vcpu, RKVM_F_LM))
		ok |= EFER_LME | EFER_LMA;
	if (rkvm_guest_has(vcpu, RKVM_F_NX))
		ok |= EFER_NX;
	return !(efer & ~ok);
}

/* PAE paging without long mode: the CPU takes the PDPTEs from the VMCS */
int rkvm_load_pdptrs(struct rkvm_vcpu *vcpu, unsigned long cr3)
{
	u64 pdpte[4];
	int i;

	if (rkvm_read_guest(vcpu->kvm, cr3 & 0xffffffe0ul, pdpte, sizeof(pdpte)))
		return -EFAULT;
	for (i = 0; i < 4; i++) {
		/* present entries with reserved bits set fault in the guest */
		if ((pdpte[i] & 1) &&
		    (pdpte[i] & (0x1e6ull | rkvm_rsvd_gpa_mask(vcpu))))
			return -EINVAL;
	}
	vmcs_write(GUEST_PDPTR0, pdpte[0]);
	vmcs_write(GUEST_PDPTR1, pdpte[1]);
	vmcs_write(GUEST_PDPTR2, pdpte[2]);
	vmcs_write(GUEST_PDPTR3, pdpte[3]);
	return 0;
}

int rkvm_get_regs(struct rkvm_vcpu *vcpu, struct kvm_regs *r)
{
	const u64 *g = vcpu->regs;

	r->rax = g[RKVM_RAX]; r->rbx = g[RKVM_RBX];
	r->rcx = g[RKVM_RCX]; r->rdx = g[RKVM_RDX];
	r->rsi = g[RKVM_RSI]; r->rdi = g[RKVM_RDI];
	r->rbp = g[RKVM_RBP];
	r->r8 = g[RKVM_R8]; r->r9 = g[RKVM_R9];
	r->r10 = g[RKVM_R10]; r->r11 = g[RKVM_R11];
	r->r12 = g[RKVM_R12]; r->r13 = g[RKVM_R13];
	r->r14 = g[RKVM_R14]; r->r15 = g[RKVM_R15];
	r->rsp = rkvm_rsp(vcpu);
	r->rip = rkvm_rip(vcpu);
	r->rflags = rkvm_rflags(vcpu);
	return 0;
}

int rkvm_set_regs(struct rkvm_vcpu *vcpu, const struct kvm_regs *r)
{
	u64 *g = vcpu->regs;

	g[RKVM_RAX] = r->rax; g[RKVM_RBX] = r->rbx;
	g[RKVM_RCX] = r->rcx; g[RKVM_RDX] = r->rdx;
	g[RKVM_RSI] = r->rsi; g[RKVM_RDI] = r->rdi;
	g[RKVM_RBP] = r->rbp;
	g[RKVM_R8] = r->r8; g[RKVM_R9] = r->r9;
	g[RKVM_R10] = r->r10; g[RKVM_R11] = r->r11;
	g[RKVM_R12] = r->r12; g[RKVM_R13] = r->r13;
	g[RKVM_R14] = r->r14; g[RKVM_R15] = r->r15;
	rkvm_set_rsp(vcpu, r->rsp);
	rkvm_set_rip(vcpu, r->rip);
	rkvm_set_rflags(vcpu, r->rflags);
	return 0;
}

int rkvm_get_sregs(struct rkvm_vcpu *vcpu, struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	rkvm_get_seg(SEG_CS, &s->cs);
	rkvm_get_seg(SEG_DS, &s->ds);
	rkvm_get_seg(SEG_ES, &s->es);
	rkvm_get_seg(SEG_FS, &s->fs);
	rkvm_get_seg(SEG_GS, &s->gs);
	rkvm_get_seg(SEG_SS, &s->ss);
	rkvm_get_seg(SEG_TR, &s->tr);
	rkvm_get_seg(SEG_LDTR, &s->ldt);
	s->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_read(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	s->cr0 = rkvm_read_cr0(vcpu);
	s->cr2 = vcpu->cr2;
	s->cr3 = vmcs_read(GUEST_CR3);
	s->cr4 = vcpu->cr4;
	s->cr8 = vcpu->lapic ? rkvm_lapic_get_tpr(vcpu) : vcpu->cr8;
	s->efer = vcpu->efer;
	s->apic_base = vcpu->apic_base;
	if (vcpu->irq_pending)
		__set_bit(vcpu->irq_vector, (unsigned long *)s->interrupt_bitmap);
	return 0;
}

static bool rkvm_apic_base_valid(struct rkvm_vcpu *vcpu, u64 base)
{
	u64 rsvd = rkvm_rsvd_gpa_mask(vcpu) | 0x2ff;

	if (!rkvm_guest_has(vcpu, RKVM_F_X2APIC))
		rsvd |= X2APIC_ENABLE;
	if (base & rsvd)
		return false;
	/* x2APIC enabled with the APIC globally disabled is not a mode */
	if ((base & X2APIC_ENABLE) && !(base & MSR_IA32_APICBASE_ENABLE))
		return false;
	return true;
}

int rkvm_set_sregs(struct rkvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	int vec;

	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return -EINVAL;
		if (s->cr3 & rkvm_rsvd_gpa_mask(vcpu))
			return -EINVAL;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return -EINVAL;
	}
	if (!rkvm_cr4_valid(vcpu, s->cr4) || !rkvm_cr0_valid(vcpu, s->cr0))
		return -EINVAL;
	if (!rkvm_apic_base_valid(vcpu, s->apic_base) ||
	    rkvm_lapic_set_base(vcpu, s->apic_base, true))
		return -EINVAL;

	vmcs_write(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idt.limit);
	vmcs_write(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdt.limit);
	vcpu->cr2 = s->cr2;
	vcpu->cr3 = s->cr3;
	vmcs_write(GUEST_CR3, s->cr3);
	if (vcpu->lapic)
		rkvm_lapic_set_tpr(vcpu, s->cr8);
	else
		vcpu->cr8 = s->cr8 & 0xf;

	/* EFER first: CR0 must not re-derive LMA from it */
	vcpu->efer = s->efer;
	vcpu->cr0 = s->cr0;
	rkvm_set_efer(vcpu, s->efer);
	rkvm_set_cr0(vcpu, s->cr0);
	rkvm_set_cr4(vcpu, s->cr4);

	rkvm_put_seg(SEG_CS, &s->cs);
	rkvm_put_seg(SEG_DS, &s->ds);
	rkvm_put_seg(SEG_ES, &s->es);
	rkvm_put_seg(SEG_FS, &s->fs);
	rkvm_put_seg(SEG_GS, &s->gs);
	rkvm_put_seg(SEG_SS, &s->ss);
	rkvm_put_seg(SEG_TR, &s->tr);
	rkvm_put_seg(SEG_LDTR, &s->ldt);

	if (rkvm_is_pae_paging(vcpu))
		rkvm_load_pdptrs(vcpu, s->cr3);

	vec = find_first_bit((const unsigned long *)s->interrupt_bitmap,
			     KVM_NR_INTERRUPTS);
	if (vec < KVM_NR_INTERRUPTS) {
		vcpu->irq_pending = true;
		vcpu->irq_vector = vec;
	}
	return 0;
}
