// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (SDM Vol. 3 chapter 11):
 * xAPIC registers through MMIO at IA32_APIC_BASE, x2APIC through MSRs,
 * priority-correct acceptance and delivery (IRR/ISR/TMR, TPR/PPR, EOI with
 * level-triggered EOI to the IOAPIC), the timer in one-shot, periodic and
 * TSC-deadline modes on an hrtimer, and IPIs including INIT and SIPI.
 *
 * Concurrency: the IRR and TMR are changed with atomic bitops by whoever
 * delivers (devices, other vCPUs, the timer in hard-irq context), which
 * then posts RKVM_REQ_EVENT and kicks the vCPU. Every other register is
 * read and written only by the vCPU's own thread.
 */
#include <linux/kvm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/msr.h>

#include "rkvm.h"
#include "x86/cpuid.h"
#include "x86/lapic.h"
#include "x86/ioapic.h"

#define LAPIC_VERSION		(0x14 | (5 << 16))	/* 6 LVT entries */
#define APIC_LVT_TIMER_MASK	(3 << 17)
#define LVT_MASK_BITS		(APIC_LVT_MASKED | APIC_SEND_PENDING | 0x7ff)
#define LAPIC_MIN_PERIOD_NS	50000		/* a periodic floor, as KVM's */

static u32 lreg(struct rkvm_lapic *a, u32 off)
{
	return READ_ONCE(*(u32 *)(a->regs + off));
}

static void lset(struct rkvm_lapic *a, u32 off, u32 v)
{
	WRITE_ONCE(*(u32 *)(a->regs + off), v);
}

/* the 256-bit vector bitmaps are eight 32-bit registers, 16 bytes apart */
static unsigned long *vec_word(struct rkvm_lapic *a, u32 base, int vec)
{
	return (unsigned long *)(a->regs + base + (vec >> 5) * 0x10);
}

static int highest_vec(struct rkvm_lapic *a, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = lreg(a, base + i * 0x10);

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static bool x2apic_mode(struct rkvm_vcpu *vcpu)
{
	return vcpu->apic_base & X2APIC_ENABLE;
}

static bool apic_hw_enabled(struct rkvm_vcpu *vcpu)
{
	return vcpu->apic_base & MSR_IA32_APICBASE_ENABLE;
}

static bool apic_sw_enabled(struct rkvm_lapic *a)
{
	return lreg(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

static u32 apic_ppr(struct rkvm_lapic *a)
{
	u32 tpr = lreg(a, APIC_TASKPRI) & 0xff;
	int isr = highest_vec(a, APIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
}

static void rkvm_kick(struct rkvm_vcpu *vcpu)
{
	struct task_struct *t;

	wake_up_interruptible(&vcpu->wq);
	rcu_read_lock();
	t = READ_ONCE(vcpu->run_task);
	if (t)
		kick_process(t);	/* out of guest mode, if it is there */
	rcu_read_unlock();
}

/* Post request @req (RKVM_REQ_*) and have the vCPU look (any context). */
void rkvm_vcpu_request(struct rkvm_vcpu *vcpu, int req)
{
	set_bit(req, &vcpu->requests);
	rkvm_kick(vcpu);
}

/* Something may be deliverable now: have the vCPU look (any context). */
void rkvm_vcpu_post_event(struct rkvm_vcpu *vcpu)
{
	rkvm_vcpu_request(vcpu, RKVM_REQ_EVENT);
}

/*
 * The PIC's ExtINT reaches the CPU through LINT0 (virtual wire mode).
 * For a vCPU with a local APIC (the caller checks).
 */
bool rkvm_lapic_accepts_pic(struct rkvm_vcpu *vcpu)
{
	u32 lvt0;

	if (!apic_hw_enabled(vcpu))
		return true;
	lvt0 = lreg(vcpu->lapic, APIC_LVT0);
	return !(lvt0 & APIC_LVT_MASKED) &&
	       (lvt0 & APIC_DM_FIXED_MASK) == APIC_DM_EXTINT;
}

/*
 * Accept an interrupt into this vCPU's local APIC (any context). Returns
 * whether it was accepted.
 */
bool rkvm_lapic_accept(struct rkvm_vcpu *vcpu, u32 mode, u8 vector,
		       bool level_trig)
{
	struct rkvm_lapic *a = vcpu->lapic;

	if (!a || !apic_hw_enabled(vcpu))
		return false;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* a software-disabled APIC takes no fixed interrupts (as KVM) */
		if (vector < 16 || !apic_sw_enabled(a))
			return false;
		if (level_trig)
			set_bit(vector & 31, vec_word(a, APIC_TMR, vector));
		else
			clear_bit(vector & 31, vec_word(a, APIC_TMR, vector));
		set_bit(vector & 31, vec_word(a, APIC_IRR, vector));
		rkvm_vcpu_request(vcpu, RKVM_REQ_EVENT);
		return true;
	case APIC_DM_NMI:
		WRITE_ONCE(vcpu->nmi_pending, true);
		rkvm_vcpu_request(vcpu, RKVM_REQ_EVENT);
		return true;
	case APIC_DM_INIT:
		rkvm_vcpu_request(vcpu, RKVM_REQ_INIT);
		return true;
	case APIC_DM_STARTUP:
		WRITE_ONCE(vcpu->sipi_vector, vector);
		rkvm_vcpu_request(vcpu, RKVM_REQ_SIPI);
		return true;
	default:
		return false;	/* SMI, ExtINT: not modelled */
	}
}

/* The vector to inject now, or -1 (vCPU thread). */
int rkvm_lapic_pending_vector(struct rkvm_vcpu *vcpu)
{
	struct rkvm_lapic *a = vcpu->lapic;
	int irr;

	if (!a || !apic_hw_enabled(vcpu) || !apic_sw_enabled(a))
		return -1;
	irr = highest_vec(a, APIC_IRR);
	if (irr < 0 || (irr & 0xf0) <= (apic_ppr(a) & 0xf0))
		return -1;
	return irr;
}

/* The CPU took @vector: from the IRR into service. */
void rkvm_lapic_ack(struct rkvm_vcpu *vcpu, int vector)
{
	struct rkvm_lapic *a = vcpu->lapic;

	clear_bit(vector & 31, vec_word(a, APIC_IRR, vector));
	set_bit(vector & 31, vec_word(a, APIC_ISR, vector));
}

static void apic_eoi(struct rkvm_vcpu *vcpu)
{
	struct rkvm_lapic *a = vcpu->lapic;
	int isr = highest_vec(a, APIC_ISR);

	if (isr < 0)
		return;
	clear_bit(isr & 31, vec_word(a, APIC_ISR, isr));
	if (test_bit(isr & 31, vec_word(a, APIC_TMR, isr)))
		rkvm_ioapic_eoi(vcpu->kvm, isr);
	set_bit(RKVM_REQ_EVENT, &vcpu->requests);
}

static u32 apic_id(struct rkvm_vcpu *vcpu)
{
	return x2apic_mode(vcpu) ? vcpu->vcpu_id : lreg(vcpu->lapic, APIC_ID) >> 24;
}

bool rkvm_lapic_match_dest(struct rkvm_vcpu *vcpu, u32 dest, bool logical)
{
	struct rkvm_lapic *a = vcpu->lapic;
	u32 ldr;

	if (!a)
		return false;
	if (x2apic_mode(vcpu)) {
		if (dest == 0xffffffff)
			return true;
		if (!logical)
			return dest == apic_id(vcpu);
		ldr = lreg(a, APIC_LDR);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == apic_id(vcpu);
	ldr = lreg(a, APIC_LDR) >> 24;
	if ((lreg(a, APIC_DFR) >> 28) == 0xf)	/* flat model */
		return ldr & dest;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);	/* cluster */
}

/*
 * Deliver an interrupt message to the vCPUs it names. @shorthand is the
 * ICR's (0 none, 1 self, 2 all including self, 3 all but self); lowest
 * priority goes to the first match. Returns how many APICs accepted it,
 * or -1 if none was named (KVM_IRQ_LINE_STATUS reports it).
 */
int rkvm_deliver_irq(struct rkvm *kvm, u32 dest, bool logical, u32 mode,
		     u8 vector, bool level_trig, struct rkvm_vcpu *src,
		     int shorthand)
{
	int i, n = READ_ONCE(kvm->nr_vcpus), r = -1;

	for (i = 0; i < n; i++) {
		struct rkvm_vcpu *v = READ_ONCE(kvm->vcpus[i]);
		bool hit;

		if (!v)
			continue;
		switch (shorthand) {
		case 1:
			hit = v == src;
			break;
		case 2:
			hit = true;
			break;
		case 3:
			hit = v != src;
			break;
		default:
			hit = rkvm_lapic_match_dest(v, dest, logical);
			break;
		}
		if (!hit)
			continue;
		if (r < 0)
			r = 0;
		if (rkvm_lapic_accept(v, mode, vector, level_trig)) {
			r++;
			if (mode == APIC_DM_LOWEST)
				break;
		}
	}
	return r;
}

static void apic_send_ipi(struct rkvm_vcpu *vcpu, u32 low, u32 dest)
{
	u32 mode = low & APIC_DM_FIXED_MASK;

	/* the de-assert half of a level INIT does nothing on modern CPUs */
	if (mode == APIC_DM_INIT && (low & APIC_INT_LEVELTRIG) &&
	    !(low & APIC_INT_ASSERT))
		return;
	rkvm_deliver_irq(vcpu->kvm, dest, low & APIC_DEST_LOGICAL, mode,
			 low & APIC_VECTOR_MASK, low & APIC_INT_LEVELTRIG, vcpu,
			 (low >> 18) & 3);
}

/* ---- the timer ---- */

static u32 apic_divide(struct rkvm_lapic *a)
{
	u32 d = lreg(a, APIC_TDCR);
	u32 v = (d & 3) | ((d & 8) >> 1);

	return v == 7 ? 1 : 2u << v;
}

static u32 timer_mode(struct rkvm_lapic *a)
{
	return lreg(a, APIC_LVTT) & APIC_LVT_TIMER_MASK;
}

/* The length of a period of the count in TMICT (periodic mode's floor). */
static u64 apic_period_ns(struct rkvm_lapic *a)
{
	u64 ns = (u64)lreg(a, APIC_TMICT) * apic_divide(a);

	return max_t(u64, ns, LAPIC_MIN_PERIOD_NS);
}

/*
 * The LVT timer's mode changes to @mode (KVM's apic_update_lvtt()): into or
 * out of TSC-deadline mode the timer is disarmed and TMICT cleared; between
 * one-shot and periodic a running count goes on and only its end changes
 * (reload or stop).
 */
static void apic_timer_mode_change(struct rkvm_lapic *a, u32 mode)
{
	u32 old = timer_mode(a);

	if (mode == old)
		return;
	if (mode == APIC_LVT_TIMER_TSCDEADLINE ||
	    old == APIC_LVT_TIMER_TSCDEADLINE) {
		hrtimer_cancel(&a->timer);
		a->timer_period_ns = 0;
		a->tsc_deadline = 0;
		lset(a, APIC_TMICT, 0);
		return;
	}
	WRITE_ONCE(a->timer_period_ns,
		   mode == APIC_LVT_TIMER_PERIODIC && lreg(a, APIC_TMICT) ?
		   apic_period_ns(a) : 0);
}

/* Expiry: set the LVT's vector pending (hard-irq context). */
void rkvm_lapic_timer_deliver(struct rkvm_vcpu *vcpu)
{
	struct rkvm_lapic *a = vcpu->lapic;
	u32 lvt = lreg(a, APIC_LVTT);

	if (!(lvt & APIC_LVT_MASKED))
		rkvm_lapic_accept(vcpu, APIC_DM_FIXED, lvt & APIC_VECTOR_MASK,
				  false);
}

static enum hrtimer_restart apic_timer_fn(struct hrtimer *t)
{
	struct rkvm_lapic *a = container_of(t, struct rkvm_lapic, timer);
	u64 period = READ_ONCE(a->timer_period_ns);

	rkvm_lapic_timer_deliver(a->vcpu);
	if (period) {
		hrtimer_add_expires_ns(t, period);
		return HRTIMER_RESTART;
	}
	a->tsc_deadline = 0;
	return HRTIMER_NORESTART;
}

/*
 * Arm the one-shot or periodic count of TMICT with its first expiry
 * @first counts from now (TMICT itself, or a restored TMCCT).
 */
static void apic_timer_arm(struct rkvm_lapic *a, u64 first)
{
	u64 ns;

	hrtimer_cancel(&a->timer);
	a->timer_period_ns = 0;
	if (!lreg(a, APIC_TMICT) || !first ||
	    timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	ns = first * apic_divide(a);	/* 1 GHz APIC bus, as KVM's */
	if (timer_mode(a) == APIC_LVT_TIMER_PERIODIC) {
		a->timer_period_ns = apic_period_ns(a);
		if (first == lreg(a, APIC_TMICT))
			ns = a->timer_period_ns;
	}
	a->timer_start = ktime_get();
	hrtimer_start(&a->timer, ktime_add_ns(a->timer_start, ns),
		      HRTIMER_MODE_ABS);
}

static u32 apic_current_count(struct rkvm_lapic *a)
{
	u64 total = (u64)lreg(a, APIC_TMICT) * apic_divide(a);
	s64 left;

	if (!total || !hrtimer_active(&a->timer))
		return 0;
	left = ktime_to_ns(ktime_sub(hrtimer_get_expires(&a->timer), ktime_get()));
	if (left < 0)
		left = 0;
	if (a->timer_period_ns)
		left = (u64)left % a->timer_period_ns;
	return div64_u64(left, apic_divide(a));
}

u64 rkvm_lapic_get_tscdeadline(struct rkvm_vcpu *vcpu)
{
	struct rkvm_lapic *a = vcpu->lapic;

	if (!a || timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
		return 0;
	return a->tsc_deadline;
}

void rkvm_lapic_set_tscdeadline(struct rkvm_vcpu *vcpu, u64 data)
{
	struct rkvm_lapic *a = vcpu->lapic;
	u64 now, ns = 0;

	if (!a || timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	hrtimer_cancel(&a->timer);
	a->timer_period_ns = 0;
	a->tsc_deadline = data;
	if (!data)
		return;
	now = rdtsc() + vcpu->tsc_offset;
	if (data > now && tsc_khz)
		ns = mul_u64_u32_div(data - now, 1000000, tsc_khz);
	hrtimer_start(&a->timer, ktime_add_ns(ktime_get(), ns), HRTIMER_MODE_ABS);
}

static void apic_timer_start(struct rkvm_lapic *a)
{
	apic_timer_arm(a, lreg(a, APIC_TMICT));
}

/* ---- registers ---- */

static u32 apic_read(struct rkvm_vcpu *vcpu, u32 off)
{
	struct rkvm_lapic *a = vcpu->lapic;

	switch (off) {
	case APIC_ID:
		return x2apic_mode(vcpu) ? vcpu->vcpu_id : lreg(a, APIC_ID);
	case APIC_PROCPRI:
		return apic_ppr(a);
	case APIC_ARBPRI:
		return 0;
	case APIC_TMCCT:
		return timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE ? 0 :
		       apic_current_count(a);
	default:
		return lreg(a, off);
	}
}

static const u32 apic_lvts[] = {
	APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR,
	APIC_LVTCMCI,
};

/* Returns 1 if the register does not exist or is read-only (#GP in x2APIC). */
static int apic_write(struct rkvm_vcpu *vcpu, u32 off, u32 val)
{
	struct rkvm_lapic *a = vcpu->lapic;
	bool x2 = x2apic_mode(vcpu);
	int i;

	switch (off) {
	case APIC_ID:
		if (x2)
			return 1;
		lset(a, APIC_ID, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		lset(a, APIC_TASKPRI, val & 0xff);
		set_bit(RKVM_REQ_EVENT, &vcpu->requests);
		break;
	case APIC_EOI:
		apic_eoi(vcpu);
		break;
	case APIC_LDR:
		if (x2)
			return 1;
		lset(a, APIC_LDR, val & 0xff000000);
		break;
	case APIC_DFR:
		if (x2)
			return 1;
		lset(a, APIC_DFR, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		lset(a, APIC_SPIV, val & 0x13ff);
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			for (i = 0; i < ARRAY_SIZE(apic_lvts); i++)
				lset(a, apic_lvts[i],
				     lreg(a, apic_lvts[i]) | APIC_LVT_MASKED);
			hrtimer_cancel(&a->timer);
		}
		set_bit(RKVM_REQ_EVENT, &vcpu->requests);
		break;
	case APIC_ESR:
		if (x2 && val)
			return 1;
		lset(a, APIC_ESR, 0);
		break;
	case APIC_ICR:
		lset(a, APIC_ICR, val & ~APIC_ICR_BUSY);
		apic_send_ipi(vcpu, val, x2 ? lreg(a, APIC_ICR2) :
				    lreg(a, APIC_ICR2) >> 24);
		break;
	case APIC_ICR2:
		if (x2)
			return 1;
		lset(a, APIC_ICR2, val & 0xff000000);
		break;
	case APIC_LVTT:
		/* the mode exists only if CPUID offers it (as KVM's mask) */
		if (!rkvm_guest_has(vcpu, RKVM_F_TSC_DEADLINE))
			val &= ~APIC_LVT_TIMER_TSCDEADLINE;
		apic_timer_mode_change(a, val & APIC_LVT_TIMER_MASK);
		fallthrough;
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_LVTCMCI:
		if (!apic_sw_enabled(a))
			val |= APIC_LVT_MASKED;
		lset(a, off, val & (off == APIC_LVTT ? LVT_MASK_BITS |
				    APIC_LVT_TIMER_MASK : LVT_MASK_BITS |
				    APIC_INT_LEVELTRIG | APIC_INPUT_POLARITY |
				    APIC_LVT_REMOTE_IRR));
		break;
	case APIC_TMICT:
		if (timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
			break;
		lset(a, APIC_TMICT, val);
		apic_timer_start(a);
		break;
	case APIC_TDCR:
		lset(a, APIC_TDCR, val & 0xb);
		break;
	case APIC_SELF_IPI:
		if (!x2)
			return 1;
		rkvm_lapic_accept(vcpu, APIC_DM_FIXED, val & 0xff, false);
		break;
	default:
		return 1;	/* read-only or reserved */
	}
	return 0;
}

/*
 * An MMIO access at @gpa: is it this vCPU's xAPIC page? If so, do it and
 * return true (@val in/out, @len 1-4 bytes).
 */
bool rkvm_lapic_mmio(struct rkvm_vcpu *vcpu, u64 gpa, bool write, u32 *val,
		     int len)
{
	u64 base = vcpu->apic_base & MSR_IA32_APICBASE_BASE;
	u32 off;

	if (!vcpu->lapic || !apic_hw_enabled(vcpu) || x2apic_mode(vcpu) ||
	    gpa < base || gpa >= base + PAGE_SIZE)
		return false;
	off = gpa - base;
	if (write) {
		/* only aligned 32-bit writes reach a register (SDM 11.4.1) */
		if (len == 4 && !(off & 0xf))
			apic_write(vcpu, off, *val);
		return true;
	}
	*val = off < KVM_APIC_REG_SIZE ?
	       apic_read(vcpu, off & ~0xf) >> ((off & 3) * 8) : 0;
	return true;
}

/* x2APIC MSRs 0x800-0x8ff: 0 done, 1 #GP */
int rkvm_lapic_msr_read(struct rkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (!vcpu->lapic || !x2apic_mode(vcpu) || off == APIC_DFR ||
	    off >= KVM_APIC_REG_SIZE || off == APIC_ICR2 || off == APIC_EOI ||
	    off == APIC_SELF_IPI)
		return 1;
	*data = apic_read(vcpu, off);
	if (off == APIC_ICR)
		*data |= (u64)lreg(vcpu->lapic, APIC_ICR2) << 32;
	return 0;
}

int rkvm_lapic_msr_write(struct rkvm_vcpu *vcpu, u32 msr, u64 data)
{
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (!vcpu->lapic || !x2apic_mode(vcpu) || off >= KVM_APIC_REG_SIZE)
		return 1;
	if (off == APIC_ICR) {
		lset(vcpu->lapic, APIC_ICR2, data >> 32);
		return apic_write(vcpu, APIC_ICR, (u32)data);
	}
	if (data >> 32)
		return 1;
	return apic_write(vcpu, off, data);
}

static void apic_set_x2apic_ids(struct rkvm_vcpu *vcpu)
{
	u32 id = vcpu->vcpu_id;

	lset(vcpu->lapic, APIC_ID, id);
	lset(vcpu->lapic, APIC_LDR, ((id >> 4) << 16) | (1u << (id & 0xf)));
}

/* IA32_APIC_BASE: 0 done, 1 invalid (#GP / -EINVAL) */
int rkvm_lapic_set_base(struct rkvm_vcpu *vcpu, u64 base, bool host)
{
	u64 old = vcpu->apic_base;
	bool was_x2 = old & X2APIC_ENABLE, x2 = base & X2APIC_ENABLE;
	bool en = base & MSR_IA32_APICBASE_ENABLE;

	if (x2 && !en)
		return 1;
	if (!host && was_x2 && !x2 && en)
		return 1;	/* x2APIC to xAPIC needs a disable first */
	if (!host && !(old & MSR_IA32_APICBASE_ENABLE) && x2)
		return 1;
	vcpu->apic_base = base;
	if (!vcpu->lapic)
		return 0;
	if (x2 && !was_x2)
		apic_set_x2apic_ids(vcpu);
	else if (!x2 && was_x2)
		lset(vcpu->lapic, APIC_ID, vcpu->vcpu_id << 24);
	set_bit(RKVM_REQ_EVENT, &vcpu->requests);
	return 0;
}

void rkvm_lapic_set_tpr(struct rkvm_vcpu *vcpu, u8 cr8)
{
	lset(vcpu->lapic, APIC_TASKPRI, (cr8 & 0xf) << 4);
	set_bit(RKVM_REQ_EVENT, &vcpu->requests);
}

u8 rkvm_lapic_get_tpr(struct rkvm_vcpu *vcpu)
{
	return (lreg(vcpu->lapic, APIC_TASKPRI) >> 4) & 0xf;
}

/* Power-on / INIT state of the APIC (SDM 11.4.7.1). */
void rkvm_lapic_reset(struct rkvm_vcpu *vcpu)
{
	struct rkvm_lapic *a = vcpu->lapic;
	int i;

	hrtimer_cancel(&a->timer);
	a->timer_period_ns = 0;
	a->tsc_deadline = 0;
	memset(a->regs, 0, sizeof(a->regs));
	vcpu->apic_base = RKVM_APIC_DEFAULT_BASE | MSR_IA32_APICBASE_ENABLE |
			  (vcpu->vcpu_id == vcpu->kvm->bsp_id ? MSR_IA32_APICBASE_BSP : 0);
	lset(a, APIC_ID, vcpu->vcpu_id << 24);
	lset(a, APIC_LVR, LAPIC_VERSION);
	lset(a, APIC_DFR, 0xffffffff);
	lset(a, APIC_SPIV, 0xff);
	for (i = 0; i < ARRAY_SIZE(apic_lvts); i++)
		lset(a, apic_lvts[i], APIC_LVT_MASKED);
	/* KVM's LINT0_REENABLED quirk: the BSP starts in virtual wire mode */
	if (vcpu->vcpu_id == vcpu->kvm->bsp_id)
		lset(a, APIC_LVT0, APIC_DM_EXTINT);
}

int rkvm_lapic_create(struct rkvm_vcpu *vcpu)
{
	struct rkvm_lapic *a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);

	if (!a)
		return -ENOMEM;
	a->vcpu = vcpu;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	a->timer.function = apic_timer_fn;
	vcpu->lapic = a;
	rkvm_lapic_reset(vcpu);
	return 0;
}

void rkvm_lapic_free(struct rkvm_vcpu *vcpu)
{
	if (!vcpu->lapic)
		return;
	hrtimer_cancel(&vcpu->lapic->timer);
	kfree(vcpu->lapic);
	vcpu->lapic = NULL;
}

int rkvm_get_lapic(struct rkvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct rkvm_lapic *a = vcpu->lapic;

	if (!a)
		return -EINVAL;
	memcpy(s->regs, a->regs, sizeof(s->regs));
	/* the live values of the computed registers */
	*(u32 *)(s->regs + APIC_PROCPRI) = apic_ppr(a);
	*(u32 *)(s->regs + APIC_TMCCT) = apic_read(vcpu, APIC_TMCCT);
	if (x2apic_mode(vcpu))	/* KVM's x2APIC ID layout in the state */
		*(u32 *)(s->regs + APIC_ID) = vcpu->vcpu_id;
	return 0;
}

int rkvm_set_lapic(struct rkvm_vcpu *vcpu, const struct kvm_lapic_state *s)
{
	struct rkvm_lapic *a = vcpu->lapic;
	u32 left;

	if (!a)
		return -EINVAL;
	hrtimer_cancel(&a->timer);
	memcpy(a->regs, s->regs, sizeof(a->regs));
	lset(a, APIC_LVR, LAPIC_VERSION);
	if (x2apic_mode(vcpu))
		apic_set_x2apic_ids(vcpu);
	/*
	 * The count goes on from the saved TMCCT, as KVM's (a count above
	 * TMICT starts a full one). A periodic count at 0 reloads; a
	 * one-shot at 0 has expired and stays so (KVM 6.1 fires it again).
	 */
	left = lreg(a, APIC_TMCCT);
	lset(a, APIC_TMCCT, 0);
	if (left > lreg(a, APIC_TMICT) ||
	    (!left && timer_mode(a) == APIC_LVT_TIMER_PERIODIC))
		left = lreg(a, APIC_TMICT);
	apic_timer_arm(a, left);
	set_bit(RKVM_REQ_EVENT, &vcpu->requests);
	return 0;
}
