// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop behind KVM_RUN: finish what userspace was
 * asked to complete, then enter the guest until an exit needs userspace,
 * with host state switched lazily (once per stay on a CPU, not per exit)
 * and events injected before each entry.
 */
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/sched/signal.h>
#include <linux/preempt.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/debugreg.h>
#include <asm/tlbflush.h>
#include <asm/special_insns.h>
#include <asm/traps.h>
#include <asm/idtentry.h>

#include "rkvm.h"
#include "x86/arch.h"
#include "vmx/vmx.h"
#include "vmx/exit.h"
#include "x86/regs.h"
#include "x86/msr.h"
#include "x86/io.h"
#include "x86/lapic.h"
#include "x86/pic.h"
#include "x86/kvmclock.h"

static inline u16 rkvm_store_ldt(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=g"(sel));
	return sel;
}

static inline void rkvm_load_ldt(u16 sel)
{
	asm volatile("lldt %0" : : "rm"(sel));
}

/*
 * Switch the host state VMX does not switch: segment selectors, the user's
 * GS base and the MSRs of rkvm_load_guest_msrs(). Preemption disabled.
 */
static void rkvm_prepare_switch_to_guest(struct rkvm_vcpu *vcpu)
{
	unsigned long fs_base;

	if (vcpu->guest_state_loaded)
		return;
	savesegment(ds, vcpu->host_ds);
	savesegment(es, vcpu->host_es);
	savesegment(fs, vcpu->host_fs);
	savesegment(gs, vcpu->host_gs);
	vcpu->host_ldt = rkvm_store_ldt();
	rdmsrl(MSR_FS_BASE, fs_base);
	vmcs_write(HOST_FS_BASE, fs_base);
	vcpu->host_fs_base = fs_base;
	rkvm_load_guest_msrs(vcpu);
	vcpu->guest_state_loaded = true;
}

void rkvm_prepare_switch_to_host(struct rkvm_vcpu *vcpu)
{
	if (!vcpu->guest_state_loaded)
		return;
	vcpu->guest_state_loaded = false;
	/* a VM exit left LDTR, GS, FS, DS and ES null and GDTR/TR limits short */
	if (vcpu->host_ldt)
		rkvm_load_ldt(vcpu->host_ldt);
	if (vcpu->host_gs & 7)
		load_gs_index(vcpu->host_gs);
	if (vcpu->host_fs & 7) {
		loadsegment(fs, vcpu->host_fs);
		wrmsrl(MSR_FS_BASE, vcpu->host_fs_base);
	}
	if (unlikely(vcpu->host_ds | vcpu->host_es)) {
		loadsegment(ds, vcpu->host_ds);
		loadsegment(es, vcpu->host_es);
	}
	invalidate_tss_limit();
	rkvm_put_guest_msrs(vcpu);
	load_fixmap_gdt(raw_smp_processor_id());
}

static bool rkvm_interrupt_shadow(void)
{
	return vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
	       (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

bool rkvm_ready_for_interrupt(struct rkvm_vcpu *vcpu)
{
	return (rkvm_rflags(vcpu) & X86_EFLAGS_IF) && !rkvm_interrupt_shadow() &&
	       !vcpu->idt_vectoring;
}

static void rkvm_set_exec_bit(struct rkvm_vcpu *vcpu, u32 bit, bool on)
{
	u32 v = on ? vcpu->exec_ctls | bit : vcpu->exec_ctls & ~bit;

	if (v != vcpu->exec_ctls) {
		vcpu->exec_ctls = v;
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, v);
	}
}

/* The BSP has the PICs' interrupt to take through LINT0. */
static bool rkvm_vcpu_has_extint(struct rkvm_vcpu *vcpu)
{
	return vcpu->lapic && vcpu->vcpu_id == vcpu->kvm->bsp_id &&
	       rkvm_pic_output(vcpu->kvm) && rkvm_lapic_accepts_pic(vcpu);
}

/* Pick at most one event to inject, and ask for a window for the others. */
static void rkvm_inject_events(struct rkvm_vcpu *vcpu)
{
	bool want_irq_window = false, want_nmi_window = false;
	u32 intr = 0;

	/*
	 * Most exits of a VM without an in-kernel irqchip: nothing to inject,
	 * no window open or wanted; what follows would change nothing.
	 */
	if (!vcpu->lapic && !vcpu->idt_vectoring && !vcpu->exc_pending &&
	    !vcpu->nmi_pending && !vcpu->irq_pending &&
	    !vcpu->run->request_interrupt_window &&
	    !(vcpu->exec_ctls & (CPU_BASED_INTR_WINDOW_EXITING |
				 CPU_BASED_NMI_WINDOW_EXITING)))
		return;

	if (vcpu->idt_vectoring) {
		/* an exit interrupted delivery: deliver it again */
		intr = vcpu->idt_vectoring;
		vcpu->idt_vectoring = 0;
		if (intr & INTR_INFO_DELIVER_CODE_MASK)
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE,
				   vcpu->idt_vectoring_err);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vcpu->idt_vectoring_len);
		if ((intr & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			vcpu->nmi_injected = true;
	} else if (vcpu->exc_pending) {
		vcpu->exc_pending = false;
		intr = vcpu->exc_vector | INTR_TYPE_HARD_EXCEPTION |
		       INTR_INFO_VALID_MASK;
		/* real mode delivers exceptions without error codes */
		if (vcpu->exc_has_error && (vcpu->cr0 & X86_CR0_PE)) {
			intr |= INTR_INFO_DELIVER_CODE_MASK;
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vcpu->exc_error);
		}
	} else if (vcpu->nmi_pending) {
		u32 st = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

		if (st & (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_STI |
			  GUEST_INTR_STATE_MOV_SS)) {
			want_nmi_window = true;
		} else {
			vcpu->nmi_pending = false;
			intr = RKVM_NMI_VECTOR | INTR_TYPE_NMI_INTR |
			       INTR_INFO_VALID_MASK;
		}
	}
	/* the PICs' ExtINT comes before the local APIC's own (as KVM) */
	if (!intr && rkvm_vcpu_has_extint(vcpu)) {
		if (rkvm_ready_for_interrupt(vcpu))
			intr = rkvm_pic_ack(vcpu->kvm) | INTR_TYPE_EXT_INTR |
			       INTR_INFO_VALID_MASK;
		else
			want_irq_window = true;
	}
	if (!intr && vcpu->lapic) {
		int vec = rkvm_lapic_pending_vector(vcpu);

		if (vec >= 0 && rkvm_ready_for_interrupt(vcpu)) {
			rkvm_lapic_ack(vcpu, vec);
			intr = vec | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK;
		} else if (vec >= 0) {
			want_irq_window = true;
		}
	}
	if (!intr && vcpu->irq_pending) {
		if (rkvm_ready_for_interrupt(vcpu)) {
			vcpu->irq_pending = false;
			intr = vcpu->irq_vector | INTR_TYPE_EXT_INTR |
			       INTR_INFO_VALID_MASK;
		} else {
			want_irq_window = true;
		}
	}
	if (vcpu->irq_pending || vcpu->run->request_interrupt_window)
		want_irq_window = true;
	if (vcpu->nmi_pending)
		want_nmi_window = true;

	if (intr)
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, intr);
	rkvm_set_exec_bit(vcpu, CPU_BASED_INTR_WINDOW_EXITING, want_irq_window);
	rkvm_set_exec_bit(vcpu, CPU_BASED_NMI_WINDOW_EXITING,
			  want_nmi_window && (vcpu->pin_ctls & PIN_BASED_VIRTUAL_NMIS));
}

/* State a KVM program reads from kvm_run after every exit. */
static void rkvm_fill_run(struct rkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(rkvm_rflags(vcpu) & X86_EFLAGS_IF);
	run->cr8 = vcpu->lapic ? rkvm_lapic_get_tpr(vcpu) : vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = !vcpu->irq_pending &&
					     rkvm_ready_for_interrupt(vcpu);
}

/* Record an event whose delivery the exit cut short. */
static void rkvm_save_idt_vectoring(struct rkvm_vcpu *vcpu)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type;

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	type = info & VECTORING_INFO_TYPE_MASK;
	vcpu->idt_vectoring = info & ~INTR_INFO_RESVD_BITS_MASK;
	if (info & VECTORING_INFO_DELIVER_CODE_MASK)
		vcpu->idt_vectoring_err = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	vcpu->idt_vectoring_len = 0;
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vcpu->idt_vectoring_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	if (type == INTR_TYPE_NMI_INTR)
		vcpu->nmi_injected = false;
}

static void rkvm_flush_if_needed(struct rkvm_vcpu *vcpu)
{
	u64 gen = atomic64_read(&vcpu->kvm->tlb_gen);

	if (unlikely(vcpu->need_flush || vcpu->flushed_gen != gen)) {
		rkvm_invept(VMX_EPT_EXTENT_CONTEXT, vcpu->kvm->eptp);
		vcpu->need_flush = false;
		vcpu->flushed_gen = gen;
	}
}

/*
 * One guest entry: 0 with the exit reason in *@reason, -1 if the entry
 * failed, 1 if it was called off for a kvmclock rewrite that became due
 * (the thread moved to another CPU, or KVM_SET_CLOCK) after the run loop
 * looked; one due once IRQs are off brings the guest back out at once
 * (the kick's IPI).
 */
static int rkvm_enter_once(struct rkvm_vcpu *vcpu, u32 *reason)
{
	unsigned long cr3, cr4;
	bool swap_xcr0;
	int fail;

	preempt_disable();
	rkvm_prepare_switch_to_guest(vcpu);
	local_irq_disable();
	if (unlikely(test_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests))) {
		local_irq_enable();
		preempt_enable();
		return 1;
	}
	/*
	 * The guest's FPU registers were loaded by fpu_swap_kvm_fpstate() at
	 * KVM_RUN; a context switch or kernel FPU use since then saved them
	 * and left the registers to whoever ran: load them back.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	rkvm_inject_events(vcpu);
	rkvm_flush_if_needed(vcpu);
	cr3 = __read_cr3();
	if (unlikely(cr3 != vcpu->host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		vcpu->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (unlikely(cr4 != vcpu->host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		vcpu->host_cr4 = cr4;
	}
	if (vcpu->pin_ctls & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vcpu->preempt_ticks);
	rkvm_flush_regs(vcpu);
	/* CR2 is not in the VMCS: the guest's lives in the register itself */
	if (native_read_cr2() != vcpu->cr2)
		native_write_cr2(vcpu->cr2);

	swap_xcr0 = (vcpu->cr4 & X86_CR4_OSXSAVE) && vcpu->xcr0 != rkvm_host_xcr0;
	if (swap_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);

	fail = rkvm_vmx_enter(vcpu->regs, vcpu->launched);

	if (swap_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, rkvm_host_xcr0);
	vcpu->cr2 = native_read_cr2();
	vcpu->cache_avail = 0;

	if (unlikely(fail)) {
		vcpu->entry_error = vmcs_read32(VM_INSTRUCTION_ERROR);
		local_irq_enable();
		preempt_enable();
		return -1;
	}
	vcpu->launched = true;
	*reason = vmcs_read32(VM_EXIT_REASON);
	if (unlikely((u16)*reason == EXIT_REASON_EXCEPTION_NMI)) {
		u32 info = vmcs_read32(VM_EXIT_INTR_INFO);

		vcpu->exit_intr_info = info;
		/* an NMI that hit the guest is the host's: hand it over now */
		if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			rkvm_do_nmi_irqoff((unsigned long)asm_exc_nmi_noist);
	}
	rkvm_save_idt_vectoring(vcpu);
	vcpu->last_entry_cpu = smp_processor_id();
	local_irq_enable();
	preempt_enable();
	return 0;
}

/* Things owed before the next entry that only a return to userspace may do. */
static int rkvm_pending_work(struct rkvm_vcpu *vcpu)
{
	if (signal_pending(current)) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	cond_resched();
	return 0;
}

/* Events another context posted: INIT and SIPI (vCPU thread). */
static void rkvm_process_requests(struct rkvm_vcpu *vcpu)
{
	clear_bit(RKVM_REQ_EVENT, &vcpu->requests);
	if (test_and_clear_bit(RKVM_REQ_INIT, &vcpu->requests)) {
		u64 base = vcpu->apic_base;

		rkvm_vcpu_reset(vcpu);
		rkvm_lapic_reset(vcpu);
		vcpu->apic_base = base;
		vcpu->mp_state = vcpu->vcpu_id == vcpu->kvm->bsp_id ?
			KVM_MP_STATE_RUNNABLE :
			KVM_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(RKVM_REQ_SIPI, &vcpu->requests) &&
	    vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		u8 v = READ_ONCE(vcpu->sipi_vector);

		/* real mode at VV00:0000 (SDM 8.4.4.1) */
		vmcs_write(GUEST_CS_SELECTOR, v << 8);
		vmcs_write(GUEST_CS_BASE, (u32)v << 12);
		rkvm_set_rip(vcpu, 0);
		vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	}
}

/* Would a halted or waiting vCPU have something to do? (vCPU thread) */
static bool rkvm_vcpu_wakeable(struct rkvm_vcpu *vcpu)
{
	if (vcpu->requests & (BIT(RKVM_REQ_INIT) | BIT(RKVM_REQ_SIPI)))
		return true;
	if (vcpu->mp_state != KVM_MP_STATE_HALTED)
		return false;
	if (READ_ONCE(vcpu->nmi_pending))
		return true;
	return (rkvm_rflags(vcpu) & X86_EFLAGS_IF) &&
	       (rkvm_lapic_pending_vector(vcpu) >= 0 ||
		rkvm_vcpu_has_extint(vcpu));
}

/*
 * Halt polling: a halted vCPU first busy-waits for its wake-up event for
 * up to its own window, which adapts to how long its halts last (doubled,
 * from 10 us, while halts end within halt_poll_ns; halved, down to none,
 * when they outlast it). A guest that halts for a few microseconds between
 * interrupts then never pays for a sleep and a wake-up.
 */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns,
		 "longest a halted vCPU busy-waits for an event before sleeping, in ns (0: never poll)");

#define RKVM_HALT_POLL_START_NS	10000

/* Busy-wait up to the vCPU's window; true if it became wakeable. */
static bool rkvm_halt_poll(struct rkvm_vcpu *vcpu, u64 start, u64 max)
{
	u64 stop = start + min_t(u64, vcpu->halt_poll_ns, max);

	atomic_long_inc(&vcpu->kvm->halt_attempted_poll);
	do {
		if (rkvm_vcpu_wakeable(vcpu)) {
			atomic_long_inc(&vcpu->kvm->halt_successful_poll);
			return true;
		}
		cpu_relax();
	} while (!need_resched() && !signal_pending(current) &&
		 ktime_get_ns() < stop);
	return false;
}

/* Adapt the window to a halt that lasted @ns in all. */
static void rkvm_halt_poll_adapt(struct rkvm_vcpu *vcpu, u64 ns, u64 max)
{
	u32 w = vcpu->halt_poll_ns;

	if (ns > max)
		w = w / 2 < RKVM_HALT_POLL_START_NS ? 0 : w / 2;
	else if (ns > w)
		w = min_t(u64, max(2 * w, (u32)RKVM_HALT_POLL_START_NS), max);
	vcpu->halt_poll_ns = w;
}

/* In-kernel HLT and wait-for-SIPI: sleep until an event or a signal. */
static int rkvm_vcpu_block(struct rkvm_vcpu *vcpu)
{
	u64 max = READ_ONCE(halt_poll_ns), start = 0;
	bool halted = vcpu->mp_state == KVM_MP_STATE_HALTED;
	DEFINE_WAIT(wait);
	int r = 0;

	if (halted) {
		start = ktime_get_ns();
		if (max && vcpu->halt_poll_ns &&
		    rkvm_halt_poll(vcpu, start, max))
			goto out;
		atomic_long_inc(&vcpu->kvm->halt_wakeup);
	}
	for (;;) {
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (rkvm_vcpu_wakeable(vcpu))
			break;
		if (signal_pending(current)) {
			r = -EINTR;
			break;
		}
		schedule();
	}
	finish_wait(&vcpu->wq, &wait);
out:
	if (halted && max)
		rkvm_halt_poll_adapt(vcpu, ktime_get_ns() - start, max);
	return r;
}

/*
 * Returns 0 when the vCPU may enter the guest, or -EINTR (a signal) after
 * filling kvm_run.
 */
static int rkvm_vcpu_wait_runnable(struct rkvm_vcpu *vcpu)
{
	for (;;) {
		if (vcpu->requests)
			rkvm_process_requests(vcpu);
		if (vcpu->mp_state == KVM_MP_STATE_RUNNABLE)
			return 0;
		if (vcpu->mp_state == KVM_MP_STATE_HALTED &&
		    rkvm_vcpu_wakeable(vcpu)) {
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
			return 0;
		}
		if (rkvm_vcpu_block(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
	}
}

/* KVM_CAP_SYNC_REGS: state userspace wrote into kvm_run before KVM_RUN */
static int rkvm_sync_regs_in(struct rkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
		rkvm_set_regs(vcpu, &run->s.regs.regs);
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
		if (rkvm_set_sregs(vcpu, &run->s.regs.sregs))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) {
		if (rkvm_set_events(vcpu, &run->s.regs.events))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

/* ... and what it asked to find there after KVM_RUN */
static void rkvm_sync_regs_out(struct rkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS)
		rkvm_get_regs(vcpu, &run->s.regs.regs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_SREGS)
		rkvm_get_sregs(vcpu, &run->s.regs.sregs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_EVENTS)
		rkvm_get_events(vcpu, &run->s.regs.events);
}

int rkvm_vcpu_run(struct rkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u32 reason;
	int r;

	run->flags = 0;
	if ((run->kvm_valid_regs & ~KVM_SYNC_X86_VALID_FIELDS) ||
	    (run->kvm_dirty_regs & ~KVM_SYNC_X86_VALID_FIELDS))
		return -EINVAL;
	if (run->kvm_dirty_regs) {
		r = rkvm_sync_regs_in(vcpu);
		if (r)
			goto out;
	}
	if (!vcpu->lapic) {
		/* userspace's APIC: it owns the TPR */
		if (run->cr8 > 15)
			return -EINVAL;
		vcpu->cr8 = run->cr8;
	}

	r = rkvm_complete_userspace_exit(vcpu);
	if (r <= 0)
		goto out;
	if (READ_ONCE(run->immediate_exit)) {
		r = -EINTR;
		goto out;
	}

	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	vcpu->ran_once = true;
	WRITE_ONCE(vcpu->run_task, current);
	for (;;) {
		r = rkvm_pending_work(vcpu);
		if (r)
			break;
		if (vcpu->lapic) {
			r = rkvm_vcpu_wait_runnable(vcpu);
			if (r)
				break;
		}
		if (test_bit(RKVM_REQ_CLOCK_UPDATE, &vcpu->requests))
			rkvm_kvmclock_update(vcpu);
		r = rkvm_enter_once(vcpu, &reason);
		if (r > 0)
			continue;
		if (r < 0) {
			run->exit_reason = KVM_EXIT_FAIL_ENTRY;
			run->fail_entry.hardware_entry_failure_reason =
				vcpu->entry_error;
			run->fail_entry.cpu = smp_processor_id();
			r = 0;
			break;
		}
		r = rkvm_handle_exit(vcpu, reason);
		if (r <= 0)
			break;
		if (run->request_interrupt_window && !vcpu->irq_pending &&
		    rkvm_ready_for_interrupt(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
	WRITE_ONCE(vcpu->run_task, NULL);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
out:
	if (run->kvm_valid_regs)
		rkvm_sync_regs_out(vcpu);
	rkvm_fill_run(vcpu);
	return r;
}
