// SPDX-License-Identifier: GPL-2.0
/*
 * Building a vCPU's VMCS: execution controls, the MSR
 * bitmap, host state (per CPU and per entry), and the guest's architectural
 * reset state.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/cpu_entry_area.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>

#include "rkvm.h"
#include "x86/arch.h"
#include "vmx/vmx.h"
#include "vmx/vmcs.h"
#include "vmx/controls.h"

extern char rkvm_vmx_exit_point[];

/* Host state that differs between CPUs: written when the VMCS moves. */
void rkvm_vmcs_set_host_percpu(void)
{
	int cpu = smp_processor_id();
	struct desc_ptr gdt;
	u64 sysenter_esp;

	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	native_store_gdt(&gdt);
	vmcs_write(HOST_GDTR_BASE, gdt.address);
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_write(HOST_IA32_SYSENTER_ESP, sysenter_esp);
}

/* Let the guest access @msr without an exit (@read, @write). */
static void rkvm_msr_passthrough(unsigned long *bitmap, u32 msr, bool read,
				 bool write)
{
	u8 *b = (u8 *)bitmap;
	u32 bit = msr & 0x1fff;
	u32 base;

	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = 0x400;
	else
		return;
	if (read)
		b[base + bit / 8] &= ~(1 << (bit % 8));
	if (write)
		b[0x800 + base + bit / 8] &= ~(1 << (bit % 8));
}

static void rkvm_setup_msr_bitmap(struct rkvm_vcpu *vcpu)
{
	unsigned long *bm = vcpu->msr_bitmap;

	memset(bm, 0xff, PAGE_SIZE);
	/* MSRs whose guest value lives in the VMCS are safe to hand over */
	rkvm_msr_passthrough(bm, MSR_FS_BASE, true, true);
	rkvm_msr_passthrough(bm, MSR_GS_BASE, true, true);
	rkvm_msr_passthrough(bm, MSR_IA32_SYSENTER_CS, true, true);
	rkvm_msr_passthrough(bm, MSR_IA32_SYSENTER_ESP, true, true);
	rkvm_msr_passthrough(bm, MSR_IA32_SYSENTER_EIP, true, true);
	rkvm_msr_passthrough(bm, MSR_IA32_CR_PAT, true, true);
	/* reads of the TSC see the offset, like RDTSC */
	rkvm_msr_passthrough(bm, MSR_IA32_TSC, true, false);
}

/*
 * Controls and host state that do not change while the VMCS lives. Called
 * with the vCPU loaded (its VMCS current on this CPU).
 */
int rkvm_vmcs_setup(struct rkvm_vcpu *vcpu)
{
	struct desc_ptr idt;
	u64 v;

	vcpu->msr_bitmap = (unsigned long *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->msr_bitmap)
		return -ENOMEM;
	rkvm_setup_msr_bitmap(vcpu);

	vcpu->pin_ctls = rkvm_vmx.pin;
	vcpu->exec_ctls = rkvm_vmx.exec;
	vcpu->exec2_ctls = rkvm_vmx.exec2;
	if (!vcpu->vpid)
		vcpu->exec2_ctls &= ~SECONDARY_EXEC_ENABLE_VPID;
	vcpu->exit_ctls = rkvm_vmx.exit;
	vcpu->entry_ctls = rkvm_vmx.entry;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vcpu->pin_ctls);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vcpu->exec_ctls);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vcpu->exec2_ctls);
	vmcs_write(VM_EXIT_CONTROLS, vcpu->exit_ctls);
	vmcs_write(VM_ENTRY_CONTROLS, vcpu->entry_ctls);
	if (vcpu->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vcpu->vpid);
	vmcs_write(EPT_POINTER, vcpu->kvm->eptp);
	vmcs_write(MSR_BITMAP, __pa(vcpu->msr_bitmap));
	vmcs_write(VMCS_LINK_POINTER, -1ull);
	vmcs_write(EXCEPTION_BITMAP, RKVM_EXCEPTION_BITMAP);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(TSC_OFFSET, vcpu->tsc_offset);

	/* CR0.TS is the guest's; every other CR0 and CR4 bit is shadowed */
	vmcs_write(CR0_GUEST_HOST_MASK, ~(unsigned long)X86_CR0_TS);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0ul);

	/* host state that is the same on every CPU */
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vcpu->host_cr3 = __read_cr3();
	vcpu->host_cr4 = cr4_read_shadow();
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_RIP, (unsigned long)rkvm_vmx_exit_point);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, (u32)v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
	return 0;
}

static void rkvm_set_seg(unsigned long sel_f, unsigned long base_f,
			 unsigned long limit_f, unsigned long ar_f,
			 u16 sel, u64 base, u32 limit, u32 ar)
{
	vmcs_write(sel_f, sel);
	vmcs_write(base_f, base);
	vmcs_write(limit_f, limit);
	vmcs_write(ar_f, ar);
}

/*
 * The state after RESET (SDM Vol. 3 9.1.1), as KVM presents it at
 * KVM_CREATE_VCPU: real mode at F000:FFF0, caches "disabled" in CR0.
 */
void rkvm_vcpu_reset(struct rkvm_vcpu *vcpu)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs[RKVM_RDX] = 0x600;
	vcpu->rip = 0xfff0;
	vcpu->rsp = 0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->cache_avail = ~0ul;
	vcpu->cache_dirty = ~0ul;

	rkvm_set_seg(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT,
		     GUEST_CS_AR_BYTES, 0xf000, 0xffff0000, 0xffff, 0x9b);
	rkvm_set_seg(GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT,
		     GUEST_DS_AR_BYTES, 0, 0, 0xffff, 0x93);
	rkvm_set_seg(GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT,
		     GUEST_ES_AR_BYTES, 0, 0, 0xffff, 0x93);
	rkvm_set_seg(GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT,
		     GUEST_FS_AR_BYTES, 0, 0, 0xffff, 0x93);
	rkvm_set_seg(GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT,
		     GUEST_GS_AR_BYTES, 0, 0, 0xffff, 0x93);
	rkvm_set_seg(GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT,
		     GUEST_SS_AR_BYTES, 0, 0, 0xffff, 0x93);
	rkvm_set_seg(GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
		     GUEST_LDTR_AR_BYTES, 0, 0, 0xffff, 0x82);
	rkvm_set_seg(GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT,
		     GUEST_TR_AR_BYTES, 0, 0, 0xffff, 0x8b);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);

	vcpu->efer = 0;
	rkvm_set_cr0(vcpu, X86_CR0_ET | X86_CR0_NW | X86_CR0_CD);
	rkvm_set_cr4(vcpu, 0);
	vcpu->cr3 = 0;
	vmcs_write(GUEST_CR3, 0);
	vcpu->cr2 = 0;
	vcpu->dr6 = RKVM_DR6_FIXED_1;
	vcpu->dr7 = RKVM_DR7_FIXED_1;
	vmcs_write(GUEST_DR7, RKVM_DR7_FIXED_1);	/* never the guest's: exit.c */
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->misc_enable = MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
			    MSR_IA32_MISC_ENABLE_BTS_UNAVAIL;
	memset(vcpu->smsr, 0, sizeof(vcpu->smsr));
	vcpu->pv_time = 0;	/* kvmclock off, at INIT too (as KVM) */
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
}
