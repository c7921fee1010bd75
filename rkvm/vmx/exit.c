// SPDX-License-Identifier: GPL-2.0
/*
 * The exit-reason table and its handlers. Each handler
 * returns RKVM_REENTER, RKVM_TO_USER with kvm_run filled, or -errno; every
 * reason without a handler lands in one place that reports
 * KVM_EXIT_INTERNAL_ERROR with the raw reason.
 */
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <asm/vmx.h>
#include <asm/fpu/xcr.h>

#include "rkvm.h"
#include "x86/arch.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "x86/regs.h"
#include "x86/cpuid.h"
#include "x86/msr.h"
#include "x86/io.h"
#include "x86/emulate.h"
#include "x86/lapic.h"

void rkvm_queue_exception(struct rkvm_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error)
{
	vcpu->exc_pending = true;
	vcpu->exc_vector = vector;
	vcpu->exc_has_error = has_error;
	vcpu->exc_error = error;
}

/* Move past the instruction that exited; it also ends an STI/MOV-SS shadow. */
void rkvm_skip_instruction(struct rkvm_vcpu *vcpu)
{
	u32 st;

	rkvm_set_rip(vcpu, rkvm_rip(vcpu) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	st = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (st & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   st & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

int rkvm_internal_error(struct rkvm_vcpu *vcpu, u32 suberror, int ndata,
			const u64 *data)
{
	struct kvm_run *run = vcpu->run;
	int i;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	ndata = min_t(int, ndata, ARRAY_SIZE(run->internal.data));
	run->internal.ndata = ndata;
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = data[i];
	return RKVM_TO_USER;
}

static int rkvm_unhandled(struct rkvm_vcpu *vcpu, u32 reason)
{
	u64 data[2] = { reason, vcpu->last_entry_cpu };

	return rkvm_internal_error(vcpu,
				   KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				   2, data);
}

static int rkvm_exit_exception(struct rkvm_vcpu *vcpu)
{
	u32 info = vcpu->exit_intr_info;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if (type == INTR_TYPE_NMI_INTR)
		return RKVM_REENTER;	/* the host handled it already */
	if (type == INTR_TYPE_HARD_EXCEPTION && vector == AC_VECTOR) {
		/* intercepted so that a looping #AC cannot wedge the CPU */
		rkvm_queue_exception(vcpu, AC_VECTOR, true,
				     vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
		return RKVM_REENTER;
	}
	return rkvm_unhandled(vcpu, EXIT_REASON_EXCEPTION_NMI);
}

static int rkvm_exit_triple_fault(struct rkvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return RKVM_TO_USER;
}

static int rkvm_exit_irq_window(struct rkvm_vcpu *vcpu)
{
	/* rkvm_inject_events() re-arms the window only while still wanted */
	return RKVM_REENTER;
}

static int rkvm_exit_cpuid(struct rkvm_vcpu *vcpu)
{
	rkvm_emulate_cpuid(vcpu);
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

static int rkvm_exit_hlt(struct rkvm_vcpu *vcpu)
{
	rkvm_skip_instruction(vcpu);
	if (vcpu->lapic) {
		/* the in-kernel APIC wakes it: the run loop sleeps */
		vcpu->mp_state = KVM_MP_STATE_HALTED;
		return RKVM_REENTER;
	}
	/* no in-kernel irqchip: userspace decides what halting means */
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return RKVM_TO_USER;
}

static int rkvm_exit_nop(struct rkvm_vcpu *vcpu)
{
	/* INVD, WBINVD, MONITOR, MWAIT: nothing a guest can observe */
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

static int rkvm_exit_ud(struct rkvm_vcpu *vcpu)
{
	/* VMX instructions, RDPMC: rkvm offers no nested VMX and no PMU */
	rkvm_inject_ud(vcpu);
	return RKVM_REENTER;
}

static int rkvm_exit_rdpmc(struct rkvm_vcpu *vcpu)
{
	rkvm_inject_gp(vcpu);
	return RKVM_REENTER;
}

/* VMCALL: KVM's hypercall ABI; rkvm implements none, so -KVM_ENOSYS. */
static int rkvm_exit_vmcall(struct rkvm_vcpu *vcpu)
{
	unsigned long ret = -KVM_ENOSYS;

	if (rkvm_guest_cpl(vcpu) != 0)
		ret = -KVM_EPERM;
	if (!rkvm_is_64bit_code(vcpu))
		ret = (u32)ret;
	vcpu->regs[RKVM_RAX] = ret;
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

static int rkvm_mov_to_cr0(struct rkvm_vcpu *vcpu, unsigned long val)
{
	unsigned long old = rkvm_read_cr0(vcpu);

	val |= X86_CR0_ET;
	if (!rkvm_cr0_valid(vcpu, val))
		return 1;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) &&
	    (vcpu->efer & EFER_LME)) {
		/* entering long mode needs PAE and a 32-bit CS */
		if (!(vcpu->cr4 & X86_CR4_PAE))
			return 1;
		if (vmcs_read32(GUEST_CS_AR_BYTES) & (1 << 13))
			return 1;
	}
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) &&
	    (vcpu->cr4 & X86_CR4_PCIDE))
		return 1;
	rkvm_set_cr0(vcpu, val);
	if (rkvm_is_pae_paging(vcpu) &&
	    ((old ^ val) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)) &&
	    rkvm_load_pdptrs(vcpu, vmcs_read(GUEST_CR3))) {
		rkvm_set_cr0(vcpu, old);
		return 1;
	}
	return 0;
}

static int rkvm_mov_to_cr4(struct rkvm_vcpu *vcpu, unsigned long val)
{
	unsigned long old = vcpu->cr4;

	if (!rkvm_cr4_valid(vcpu, val))
		return 1;
	if (rkvm_is_long_mode(vcpu)) {
		if (!(val & X86_CR4_PAE))
			return 1;
	} else if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE)) {
		return 1;	/* PCIDE may be set only in long mode */
	}
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (vmcs_read(GUEST_CR3) & 0xfff))
		return 1;
	rkvm_set_cr4(vcpu, val);
	if (rkvm_is_pae_paging(vcpu) &&
	    ((old ^ val) & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE)) &&
	    rkvm_load_pdptrs(vcpu, vmcs_read(GUEST_CR3))) {
		rkvm_set_cr4(vcpu, old);
		return 1;
	}
	return 0;
}

/* Exit qualification of a control-register access (SDM Table 28-3) */
static int rkvm_exit_cr(struct rkvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	unsigned long val;
	int fault = 0;

	switch (type) {
	case 0:	/* MOV to CR */
		val = reg == RKVM_RSP ? rkvm_rsp(vcpu) : vcpu->regs[reg];
		if (!rkvm_is_64bit_code(vcpu))
			val = (u32)val;
		if (cr == 0) {
			fault = rkvm_mov_to_cr0(vcpu, val);
		} else if (cr == 4) {
			fault = rkvm_mov_to_cr4(vcpu, val);
		} else if (cr == 8) {
			u8 old = vcpu->cr8;

			if (val & ~0xful) {
				fault = 1;
				break;
			}
			rkvm_skip_instruction(vcpu);
			if (vcpu->lapic) {
				rkvm_lapic_set_tpr(vcpu, val);
				return RKVM_REENTER;
			}
			vcpu->cr8 = val;
			if (val < old) {
				/* KVM lets userspace's PIC see a lowered TPR */
				vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
				return RKVM_TO_USER;
			}
			return RKVM_REENTER;
		}
		if (cr != 0 && cr != 4)
			break;
		if (!fault)
			rkvm_skip_instruction(vcpu);
		break;
	case 1:	/* MOV from CR: only CR8 exits */
		if (cr != 8)
			break;
		val = vcpu->lapic ? rkvm_lapic_get_tpr(vcpu) : vcpu->cr8;
		if (reg == RKVM_RSP)
			rkvm_set_rsp(vcpu, val);
		else
			vcpu->regs[reg] = val;
		rkvm_skip_instruction(vcpu);
		return RKVM_REENTER;
	case 3:	/* LMSW: PE can be set but not cleared */
		val = (q >> 16) & 0xf;
		val = (rkvm_read_cr0(vcpu) & ~0xeul) | (val & 0xe) |
		      ((vcpu->cr0 | val) & X86_CR0_PE);
		fault = rkvm_mov_to_cr0(vcpu, val);
		if (!fault)
			rkvm_skip_instruction(vcpu);
		break;
	default:	/* CLTS does not exit: CR0.TS is the guest's */
		return rkvm_unhandled(vcpu, EXIT_REASON_CR_ACCESS);
	}
	if (fault)
		rkvm_inject_gp(vcpu);
	return RKVM_REENTER;
}

/*
 * MOV to/from DR0-DR7 exit so the guest cannot touch the host's debug
 * registers; rkvm keeps the guest's values in the vCPU. The DR7 the CPU
 * uses in the guest stays at its reset value: the guest's DR0-DR3 are not
 * loaded, so its breakpoints are not armed (rkvm offers no hardware
 * breakpoints yet), and no #DB can recur during #DB delivery (the
 * CVE-2015-8104 loop that otherwise needs a #DB intercept).
 */
static int rkvm_exit_dr(struct rkvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	int dr = q & 7, reg = (q >> 8) & 15;
	unsigned long val;

	if (rkvm_guest_cpl(vcpu) != 0) {
		rkvm_inject_gp(vcpu);
		return RKVM_REENTER;
	}
	if ((dr == 4 || dr == 5) && (vcpu->cr4 & X86_CR4_DE)) {
		rkvm_inject_ud(vcpu);
		return RKVM_REENTER;
	}
	if (dr == 4)
		dr = 6;
	if (dr == 5)
		dr = 7;
	if (q & 16) {	/* MOV from DR */
		val = dr < 4 ? vcpu->db[dr] : dr == 6 ? vcpu->dr6 : vcpu->dr7;
		if (reg == RKVM_RSP)
			rkvm_set_rsp(vcpu, val);
		else
			vcpu->regs[reg] = val;
	} else {
		val = reg == RKVM_RSP ? rkvm_rsp(vcpu) : vcpu->regs[reg];
		if (dr >= 6 && (val >> 32)) {
			rkvm_inject_gp(vcpu);
			return RKVM_REENTER;
		}
		if (dr < 4)
			vcpu->db[dr] = val;
		else if (dr == 6)
			vcpu->dr6 = (val & RKVM_DR6_VOLATILE) | RKVM_DR6_FIXED_1;
		else
			vcpu->dr7 = (val & RKVM_DR7_VOLATILE) | RKVM_DR7_FIXED_1;
	}
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

static int rkvm_exit_rdmsr(struct rkvm_vcpu *vcpu)
{
	u32 index = vcpu->regs[RKVM_RCX];
	u64 data;

	if (rkvm_get_msr(vcpu, index, &data, false)) {
		rkvm_inject_gp(vcpu);
		return RKVM_REENTER;
	}
	vcpu->regs[RKVM_RAX] = (u32)data;
	vcpu->regs[RKVM_RDX] = data >> 32;
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

static int rkvm_exit_wrmsr(struct rkvm_vcpu *vcpu)
{
	u32 index = vcpu->regs[RKVM_RCX];
	u64 data = (u32)vcpu->regs[RKVM_RAX] | ((u64)vcpu->regs[RKVM_RDX] << 32);

	if (rkvm_set_msr(vcpu, index, data, false)) {
		rkvm_inject_gp(vcpu);
		return RKVM_REENTER;
	}
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

/* XSETBV: only XCR0, only at CPL 0, only features the guest was given */
static int rkvm_exit_xsetbv(struct rkvm_vcpu *vcpu)
{
	u64 val = (u32)vcpu->regs[RKVM_RAX] | ((u64)vcpu->regs[RKVM_RDX] << 32);
	struct kvm_cpuid_entry2 *e;
	u64 allowed = 0;

	e = rkvm_find_cpuid(vcpu->cpuid, vcpu->cpuid_nent, 0xd, 0);
	if (e)
		allowed = (e->eax | ((u64)e->edx << 32)) & rkvm_supported_xcr0();
	allowed |= XFEATURE_MASK_FP;
	if (rkvm_guest_cpl(vcpu) != 0 || (u32)vcpu->regs[RKVM_RCX] != 0 ||
	    !(val & XFEATURE_MASK_FP) || (val & ~allowed) ||
	    ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE))) {
		rkvm_inject_gp(vcpu);
		return RKVM_REENTER;
	}
	vcpu->xcr0 = val;
	rkvm_cpuid_update_runtime(vcpu);
	rkvm_skip_instruction(vcpu);
	return RKVM_REENTER;
}

static int rkvm_exit_ept_violation(struct rkvm_vcpu *vcpu)
{
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);

	/* an IRET that faulted re-blocks NMIs before it is restarted */
	if ((q & INTR_INFO_UNBLOCK_NMI) && !vcpu->idt_vectoring &&
	    (vcpu->pin_ctls & PIN_BASED_VIRTUAL_NMIS))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) |
			   GUEST_INTR_STATE_NMI);
	return rkvm_ept_fault(vcpu, gpa, q);
}

/* A frame cached as MMIO (mmu/ept.c): straight to the emulator. */
static int rkvm_exit_ept_misconfig(struct rkvm_vcpu *vcpu)
{
	return rkvm_emulate_mmio(vcpu, vmcs_read(GUEST_PHYSICAL_ADDRESS), -1);
}

static int rkvm_exit_reenter(struct rkvm_vcpu *vcpu)
{
	/* external interrupts were taken on irq enable; timers just bound a slice */
	return RKVM_REENTER;
}

typedef int (*rkvm_exit_fn)(struct rkvm_vcpu *vcpu);

static const rkvm_exit_fn rkvm_exit_table[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= rkvm_exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= rkvm_exit_reenter,
	[EXIT_REASON_TRIPLE_FAULT]		= rkvm_exit_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= rkvm_exit_irq_window,
	[EXIT_REASON_NMI_WINDOW]		= rkvm_exit_irq_window,
	[EXIT_REASON_CPUID]			= rkvm_exit_cpuid,
	[EXIT_REASON_HLT]			= rkvm_exit_hlt,
	[EXIT_REASON_INVD]			= rkvm_exit_nop,
	[EXIT_REASON_RDPMC]			= rkvm_exit_rdpmc,
	[EXIT_REASON_VMCALL]			= rkvm_exit_vmcall,
	[EXIT_REASON_VMCLEAR]			= rkvm_exit_ud,
	[EXIT_REASON_VMLAUNCH]			= rkvm_exit_ud,
	[EXIT_REASON_VMPTRLD]			= rkvm_exit_ud,
	[EXIT_REASON_VMPTRST]			= rkvm_exit_ud,
	[EXIT_REASON_VMREAD]			= rkvm_exit_ud,
	[EXIT_REASON_VMRESUME]			= rkvm_exit_ud,
	[EXIT_REASON_VMWRITE]			= rkvm_exit_ud,
	[EXIT_REASON_VMOFF]			= rkvm_exit_ud,
	[EXIT_REASON_VMON]			= rkvm_exit_ud,
	[EXIT_REASON_CR_ACCESS]			= rkvm_exit_cr,
	[EXIT_REASON_DR_ACCESS]			= rkvm_exit_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= rkvm_handle_io,
	[EXIT_REASON_MSR_READ]			= rkvm_exit_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= rkvm_exit_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= rkvm_exit_nop,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= rkvm_exit_nop,
	[EXIT_REASON_EPT_VIOLATION]		= rkvm_exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]		= rkvm_exit_ept_misconfig,
	[EXIT_REASON_INVEPT]			= rkvm_exit_ud,
	[EXIT_REASON_PREEMPTION_TIMER]		= rkvm_exit_reenter,
	[EXIT_REASON_WBINVD]			= rkvm_exit_nop,
	[EXIT_REASON_XSETBV]			= rkvm_exit_xsetbv,
	[EXIT_REASON_INVVPID]			= rkvm_exit_ud,
	[EXIT_REASON_VMFUNC]			= rkvm_exit_ud,
};

int rkvm_handle_exit(struct rkvm_vcpu *vcpu, u32 reason)
{
	u16 basic = (u16)reason;

	if (unlikely(reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
		vcpu->run->fail_entry.cpu = vcpu->last_entry_cpu;
		return RKVM_TO_USER;
	}
	if (basic < ARRAY_SIZE(rkvm_exit_table) && rkvm_exit_table[basic])
		return rkvm_exit_table[basic](vcpu);
	return rkvm_unhandled(vcpu, reason);
}
