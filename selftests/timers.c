// SPDX-License-Identifier: GPL-2.0
/*
 * timers: the in-kernel timers as a guest sees them, against the host's
 * CLOCK_MONOTONIC. The local APIC timer in periodic, one-shot and
 * TSC-deadline mode (SDM 11.5.4; KVM's 1 GHz APIC bus: a count of 1 with
 * divide-by-1 is 1 ns) and the 8254 PIT's channel 0 in mode 2 through the
 * PIC and through the IOAPIC.
 *
 * Guests count their interrupts in a handler (vcpu_setup_irq_counting(), or
 * a real-mode handler for the PIC) and report with OUT; the host measures
 * the interval on CLOCK_MONOTONIC. The guest's ticks must not come faster
 * than programmed (the count over an interval is at most interval / period
 * plus one), nor much slower: under Bochs time is virtual and every exit
 * costs a lot of it, so that bound is generous (TIMER_SLOW()).
 * Both numbers go to the TAP comments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define PORT_DONE	0x10
#define PORT_ARMED	0x12
#define TIMER_VECTOR	0x40
#define PIT_VECTOR	0x50
#define PARAMS_GPA	DATA_GPA
#define RUN_LIMIT_MS	20000

/*
 * The interval N ticks take may be at most 1.5 times N periods plus
 * TIMER_SLACK_NS: generous for the exits Bochs makes expensive (measured
 * there: 1.00 to 1.2), tight enough to catch a timer at half its rate.
 */
#define TIMER_SLOW(ns)		((ns) * 3 / 2 + TIMER_SLACK_NS)
#define TIMER_SLACK_NS		20000000ull

/* Parameters and results at PARAMS_GPA (0xa000). */
struct timer_params {
	uint32_t tmict;		/* 0xa000 */
	uint32_t tdcr;		/* 0xa004 */
	uint32_t lvtt;		/* 0xa008 */
	uint32_t n;		/* 0xa00c: ticks to wait for */
	uint32_t r[8];		/* 0xa010: results */
	uint32_t tmict2;	/* 0xa030 */
	uint32_t pad;
	uint64_t delta;		/* 0xa038: TSC ticks */
	uint64_t deadline;	/* 0xa040 */
	uint32_t early;		/* 0xa048 */
	uint32_t not_cleared;	/* 0xa04c */
	uint32_t target;	/* 0xa050 */
};

/* Enable the APIC (SVR) and program the timer from the parameters. */
#define APIC_ON		"movl $0x1ff, 0xfee000f0\n"
#define TIMER_FROM_PARAMS					\
	"mov 0xa004, %eax\n"					\
	"mov %eax, 0xfee003e0\n"				\
	"mov 0xa008, %eax\n"					\
	"mov %eax, 0xfee00320\n"				\
	"mov 0xa000, %eax\n"					\
	"mov %eax, 0xfee00380\n"

/* Open the interrupt window for a few instructions. */
#define IRQ_WINDOW	"sti\nnop\nnop\nnop\nnop\ncli\n"

static struct timer_params *params(struct kvm_vm *vm)
{
	return gpa_to_hva(vm, PARAMS_GPA);
}

/* KVM_RUN (bounded) and expect an OUT of @size bytes to @port. */
static uint32_t run_out(struct kvm_vcpu *vcpu, uint16_t port, int size)
{
	struct kvm_run *run = vcpu->run;
	uint32_t v = 0;

	TEST_ASSERT(vcpu_run_timeout(vcpu, RUN_LIMIT_MS),
		    "the guest did not reach its OUT to 0x%x within %d ms",
		    port, RUN_LIMIT_MS);
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == IRQ_EXCEPTION_PORT)
		TEST_ASSERT(0, "the guest took exception %u",
			    *(uint8_t *)vcpu_io_data(vcpu));
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.port != port ||
	    run->io.size != size) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "expected OUT to 0x%x (size %d)", port, size);
	}
	memcpy(&v, vcpu_io_data(vcpu), size);
	return v;
}

static void get_lapic(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_LAPIC, s));
}

static uint32_t lapic_reg(const struct kvm_lapic_state *s, int off)
{
	return *(const uint32_t *)(s->regs + off);
}

static bool vector_set(const struct kvm_lapic_state *s, int base, int vec)
{
	return lapic_reg(s, base + (vec / 32) * 0x10) & (1u << (vec % 32));
}

/*
 * @count ticks of @period_ns took @ns: not faster than programmed, and not
 * much slower (TIMER_SLOW()).
 */
static void check_rate(const char *what, uint64_t ns, uint32_t count,
		       uint64_t period_ns)
{
	uint64_t want = count * period_ns;

	test_log("%s: %u ticks of %.3f ms in %.1f ms (%.2f x the programmed period)",
		 what, count, period_ns / 1e6, ns / 1e6, (double)ns / want);
	TEST_ASSERT(ns + period_ns / 10 >= want,
		    "%s: %u ticks in %.1f ms, faster than %u x %.3f ms", what,
		    count, ns / 1e6, count, period_ns / 1e6);
	TEST_ASSERT(ns <= TIMER_SLOW(want),
		    "%s: %u ticks took %.1f ms, more than 1.5 x %.1f ms", what,
		    count, ns / 1e6, want / 1e6);
}

/* ---- LAPIC timer, periodic ---------------------------------------------- */

GUEST_CODE(g_periodic, ".code32",
	APIC_ON
	TIMER_FROM_PARAMS
	"out %al, $0x12\n"
	IRQ_WAIT_TOTAL("0xa00c", "1000000")
	IRQ_REPORT_TOTAL
	"hlt\n");

#define PERIODIC_NS	5000000u	/* 5 ms */
#define PERIODIC_TICKS	20

static void lapic_periodic(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_periodic,
					    GUEST_CODE_SIZE(g_periodic));
	struct timer_params *p = params(vcpu->vm);
	struct kvm_lapic_state s;
	uint64_t t0, t1;
	uint32_t n;

	/* divide by 16: the count runs at 1/16 of the 1 GHz bus */
	p->tdcr = 0x3;
	p->tmict = PERIODIC_NS / 16;
	p->lvtt = (1 << 17) | TIMER_VECTOR;
	p->n = PERIODIC_TICKS;
	run_out(vcpu, PORT_ARMED, 1);
	t0 = mono_ns();
	n = run_out(vcpu, PORT_DONE, 4);
	t1 = mono_ns();
	TEST_ASSERT(n >= PERIODIC_TICKS, "the guest stopped at %u ticks", n);
	TEST_ASSERT(irq_counters(vcpu->vm)->count[TIMER_VECTOR][0] == n,
		    "ticks on vector 0x%x: %u of %u", TIMER_VECTOR,
		    irq_counters(vcpu->vm)->count[TIMER_VECTOR][0], n);
	check_rate("periodic, divide by 16", t1 - t0, n, PERIODIC_NS);
	get_lapic(vcpu, &s);
	TEST_ASSERT(lapic_reg(&s, 0x320) == ((1u << 17) | TIMER_VECTOR) &&
		    lapic_reg(&s, 0x3e0) == 0x3 &&
		    lapic_reg(&s, 0x380) == PERIODIC_NS / 16,
		    "KVM_GET_LAPIC: LVTT 0x%x TDCR 0x%x TMICT %u",
		    lapic_reg(&s, 0x320), lapic_reg(&s, 0x3e0),
		    lapic_reg(&s, 0x380));
	TEST_ASSERT(lapic_reg(&s, 0x390) <= PERIODIC_NS / 16,
		    "TMCCT %u above TMICT %u in periodic mode",
		    lapic_reg(&s, 0x390), PERIODIC_NS / 16);
}

/* ---- LAPIC timer, one-shot ------------------------------------------------ */

GUEST_CODE(g_oneshot, ".code32",
	APIC_ON
	TIMER_FROM_PARAMS
	"out %al, $0x12\n"
	IRQ_WAIT_TOTAL("0xa00c", "1000000")
	IRQ_REPORT_TOTAL
	IRQ_WINDOW
	IRQ_REPORT_TOTAL
	"hlt\n");

#define ONESHOT_NS	5000000u

static void lapic_oneshot(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_oneshot, GUEST_CODE_SIZE(g_oneshot));
	struct timer_params *p = params(vcpu->vm);
	struct kvm_lapic_state s;
	uint64_t t0, t1;
	uint32_t n;

	p->tdcr = 0xb;				/* divide by 1 */
	p->tmict = ONESHOT_NS;
	p->lvtt = TIMER_VECTOR;			/* one-shot */
	p->n = 1;
	run_out(vcpu, PORT_ARMED, 1);
	t0 = mono_ns();
	n = run_out(vcpu, PORT_DONE, 4);
	t1 = mono_ns();
	TEST_ASSERT(n == 1, "one-shot: %u interrupts before the first report", n);
	test_log("one-shot of %.1f ms fired after %.1f ms", ONESHOT_NS / 1e6,
		 (t1 - t0) / 1e6);
	TEST_ASSERT(t1 - t0 + ONESHOT_NS / 10 >= ONESHOT_NS,
		    "a one-shot of %.1f ms fired after %.1f ms",
		    ONESHOT_NS / 1e6, (t1 - t0) / 1e6);
	/* ten more periods: nothing may come */
	usleep(10 * ONESHOT_NS / 1000);
	get_lapic(vcpu, &s);
	TEST_ASSERT(lapic_reg(&s, 0x390) == 0,
		    "TMCCT %u after the one-shot expired", lapic_reg(&s, 0x390));
	TEST_ASSERT(lapic_reg(&s, 0x380) == ONESHOT_NS,
		    "TMICT %u after expiry, expected %u", lapic_reg(&s, 0x380),
		    ONESHOT_NS);
	TEST_ASSERT(!vector_set(&s, 0x200, TIMER_VECTOR) &&
		    !vector_set(&s, 0x100, TIMER_VECTOR),
		    "vector 0x%x still pending or in service", TIMER_VECTOR);
	n = run_out(vcpu, PORT_DONE, 4);
	TEST_ASSERT(n == 1, "the one-shot timer fired again: %u interrupts", n);
}

/* ---- LAPIC timer, current count ------------------------------------------ */

/* A bounded busy loop with interrupts enabled (Bochs: never spin with IF=0) */
#define BUSY	"sti\nmov $20000, %ecx\n1: loop 1b\ncli\n"

/*
 * One-shot, masked, 1 s: TMCCT read twice with a busy loop between (r[0],
 * r[1]), then, after the host's KVM_GET_LAPIC, once more (r[2]). Then
 * periodic (masked, tmict2): 32 readings, counting those above TMICT (r[3])
 * and those larger than the one before, the reloads (r[4]).
 */
GUEST_CODE(g_tmcct, ".code32",
	APIC_ON
	TIMER_FROM_PARAMS
	"mov 0xfee00390, %eax\n"
	"mov %eax, 0xa010\n"
	BUSY
	"mov 0xfee00390, %eax\n"
	"mov %eax, 0xa014\n"
	"out %al, $0x12\n"
	"mov 0xfee00390, %eax\n"
	"mov %eax, 0xa018\n"
	"movl $0x30000 + 0x40, 0xfee00320\n"	/* periodic, masked */
	"mov 0xa030, %eax\n"
	"mov %eax, 0xfee00380\n"
	"mov 0xfee00390, %ebx\n"
	"mov $32, %esi\n"
	"3: " BUSY
	"mov 0xfee00390, %eax\n"
	"cmp 0xa030, %eax\n"
	"jbe 4f\n"
	"incl 0xa01c\n"
	"4: cmp %ebx, %eax\n"
	"jbe 5f\n"
	"incl 0xa020\n"
	"5: mov %eax, %ebx\n"
	"dec %esi\n"
	"jnz 3b\n"
	"out %al, $0x10\n"
	"hlt\n");

static void lapic_current_count(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_tmcct, GUEST_CODE_SIZE(g_tmcct));
	struct timer_params *p = params(vcpu->vm);
	struct kvm_lapic_state s;
	uint32_t host;

	p->tdcr = 0xb;
	p->tmict = 1000000000;			/* 1 s */
	p->lvtt = 0x10000 | TIMER_VECTOR;	/* one-shot, masked */
	p->tmict2 = 300000;			/* 300 us periods */
	run_out(vcpu, PORT_ARMED, 1);
	get_lapic(vcpu, &s);
	host = lapic_reg(&s, 0x390);
	run_out(vcpu, PORT_DONE, 1);
	test_log("one-shot TMCCT: %u, %u, host %u, %u; periodic: %u readings above TMICT, %u reloads seen in 32",
		 p->r[0], p->r[1], host, p->r[2], p->r[3], p->r[4]);
	TEST_ASSERT(p->r[0] > 0 && p->r[0] <= p->tmict,
		    "first TMCCT %u, TMICT %u", p->r[0], p->tmict);
	TEST_ASSERT(p->r[1] < p->r[0], "TMCCT did not decrease: %u then %u",
		    p->r[0], p->r[1]);
	TEST_ASSERT(host <= p->r[1] && host > 0,
		    "KVM_GET_LAPIC's TMCCT %u, the guest read %u before",
		    host, p->r[1]);
	TEST_ASSERT(p->r[2] <= host, "the guest read TMCCT %u after the host's %u",
		    p->r[2], host);
	TEST_ASSERT(p->r[3] == 0, "%u periodic readings above TMICT", p->r[3]);
	TEST_ASSERT(p->r[4] > 0, "the periodic count never reloaded in 32 readings");
}

/* ---- LAPIC timer, masked LVT -------------------------------------------- */

/*
 * Periodic ticks; after 3 the LVT is masked and the total reported (the
 * host waits many periods), an interrupt window, the total again; then
 * unmasked, and 3 more ticks awaited.
 */
GUEST_CODE(g_mask, ".code32",
	APIC_ON
	TIMER_FROM_PARAMS
	IRQ_WAIT_TOTAL("0xa00c", "1000000")
	"mov 0xfee00320, %eax\n"		/* mask */
	"or $0x10000, %eax\n"
	"mov %eax, 0xfee00320\n"
	IRQ_REPORT_TOTAL
	IRQ_WINDOW
	IRQ_REPORT_TOTAL
	"mov 0xfee00320, %eax\n"		/* unmask */
	"and $~0x10000, %eax\n"
	"mov %eax, 0xfee00320\n"
	"mov 0xe000, %eax\n"
	"add $3, %eax\n"
	"mov %eax, 0xa050\n"
	IRQ_WAIT_TOTAL("0xa050", "1000000")
	IRQ_REPORT_TOTAL
	"hlt\n");

#define MASK_PERIOD_NS	2000000u

static void lapic_masked(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_mask, GUEST_CODE_SIZE(g_mask));
	struct timer_params *p = params(vcpu->vm);
	struct kvm_lapic_state s, s2;
	uint32_t c1, c2, c3;

	p->tdcr = 0xb;
	p->tmict = MASK_PERIOD_NS;
	p->lvtt = (1 << 17) | TIMER_VECTOR;
	p->n = 3;
	c1 = run_out(vcpu, PORT_DONE, 4);
	get_lapic(vcpu, &s);
	usleep(20 * MASK_PERIOD_NS / 1000);
	get_lapic(vcpu, &s2);
	TEST_ASSERT(lapic_reg(&s, 0x320) & 0x10000, "LVTT 0x%x not masked",
		    lapic_reg(&s, 0x320));
	TEST_ASSERT(!vector_set(&s2, 0x200, TIMER_VECTOR),
		    "vector 0x%x pending while the LVT is masked", TIMER_VECTOR);
	c2 = run_out(vcpu, PORT_DONE, 4);
	c3 = run_out(vcpu, PORT_DONE, 4);
	test_log("ticks: %u before masking, %u after 20 masked periods, %u after unmasking",
		 c1, c2, c3);
	TEST_ASSERT(c2 == c1, "%u ticks delivered while the LVT was masked",
		    c2 - c1);
	TEST_ASSERT(c3 >= c1 + 3, "after unmasking: %u ticks, expected %u",
		    c3, c1 + 3);
}

/* ---- TSC-deadline mode --------------------------------------------------- */

/*
 * r[0]: TMICT after switching from a running periodic timer to TSC-deadline
 * mode; r[1], r[2]: TMICT and TMCCT after a TMICT write in that mode. A
 * deadline in the past fires at once. Then n deadlines of delta TSC ticks:
 * the handler's TSC is compared with each (early), IA32_TSC_DEADLINE read
 * after each (not_cleared). Last, a deadline 5 deltas ahead is disarmed by
 * writing 0 (r[3]: the MSR then), and an interrupt window opened after the
 * host waited must bring nothing.
 */
GUEST_CODE(g_deadline, ".code32",
	APIC_ON
	"movl $0xb, 0xfee003e0\n"
	"movl $0x30040, 0xfee00320\n"		/* periodic, masked */
	"movl $1000000, 0xfee00380\n"
	"movl $0x40040, 0xfee00320\n"		/* TSC-deadline, vector 0x40 */
	"mov 0xfee00380, %eax\n"
	"mov %eax, 0xa010\n"
	"movl $12345, 0xfee00380\n"
	"mov 0xfee00380, %eax\n"
	"mov %eax, 0xa014\n"
	"mov 0xfee00390, %eax\n"
	"mov %eax, 0xa018\n"
	/* TSC 1, in the past: at once */
	"cli\n"
	"mov $1, %eax\n"
	"xor %edx, %edx\n"
	"mov $0x6e0, %ecx\n"
	"wrmsr\n"
	"movl $1, 0xa050\n"
	IRQ_WAIT_TOTAL("0xa050", "1000000")
	"out %al, $0x12\n"
	"mov 0xa00c, %esi\n"
	"6: rdtsc\n"
	"add 0xa038, %eax\n"
	"adc 0xa03c, %edx\n"
	"mov %eax, 0xa040\n"
	"mov %edx, 0xa044\n"
	"mov $0x6e0, %ecx\n"
	"wrmsr\n"
	"mov 0xe000, %eax\n"
	"inc %eax\n"
	"mov %eax, 0xa050\n"
	IRQ_WAIT_TOTAL("0xa050", "1000000")
	"mov 0xe024, %eax\n"			/* handler's TSC >= deadline? */
	"cmp 0xa044, %eax\n"
	"ja 8f\n"
	"jb 7f\n"
	"mov 0xe020, %eax\n"
	"cmp 0xa040, %eax\n"
	"jae 8f\n"
	"7: incl 0xa048\n"
	"8: mov $0x6e0, %ecx\n"
	"rdmsr\n"
	"or %edx, %eax\n"
	"jz 9f\n"
	"incl 0xa04c\n"
	"9: dec %esi\n"
	"jnz 6b\n"
	IRQ_REPORT_TOTAL
	/* disarm a deadline 5 deltas ahead */
	"rdtsc\n"
	"mov 0xa038, %ebx\n"
	"shl $2, %ebx\n"
	"add 0xa038, %ebx\n"
	"add %ebx, %eax\n"
	"adc $0, %edx\n"
	"mov $0x6e0, %ecx\n"
	"wrmsr\n"
	"xor %eax, %eax\n"
	"xor %edx, %edx\n"
	"wrmsr\n"
	"rdmsr\n"
	"or %edx, %eax\n"
	"mov %eax, 0xa01c\n"
	IRQ_REPORT_TOTAL
	IRQ_WINDOW
	IRQ_REPORT_TOTAL
	"hlt\n");

#define DEADLINE_NS	2000000u
#define DEADLINES	10

/* Offered: KVM_CAP_TSC_DEADLINE_TIMER (6.1) or CPUID.1:ECX[24]; set it. */
static bool offer_tsc_deadline(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid(vcpu->vm->kvm_fd);
	int cap = kvm_check_cap(vcpu->vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER);
	bool bit = false;
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function != 1)
			continue;
		bit = c->entries[i].ecx & (1u << 24);
		c->entries[i].ecx |= 1u << 24;
	}
	test_log("TSC-deadline timer: KVM_CAP_TSC_DEADLINE_TIMER %d, supported CPUID.1:ECX[24] %d",
		 cap, bit);
	if (cap <= 0 && !bit) {
		free(c);
		return false;
	}
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	free(c);
	return true;
}

static void tsc_deadline(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_deadline,
					    GUEST_CODE_SIZE(g_deadline));
	struct timer_params *p = params(vcpu->vm);
	uint64_t per_ms, t0, t1;
	uint32_t n, n2, n3;

	if (!offer_tsc_deadline(vcpu))
		test_skip("the TSC-deadline timer is not offered");
	TEST_ASSERT(kvm_check_cap(vcpu->vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0,
		    "the timer works but KVM_CAP_TSC_DEADLINE_TIMER is not reported (6.1: always 1)");
	per_ms = tsc_per_ms();
	p->delta = per_ms * (DEADLINE_NS / 1000000);
	p->n = DEADLINES;
	run_out(vcpu, PORT_ARMED, 1);
	t0 = mono_ns();
	n = run_out(vcpu, PORT_DONE, 4);
	t1 = mono_ns();
	test_log("TSC %llu ticks/ms; TMICT %u after the switch, %u and TMCCT %u after a write",
		 (unsigned long long)per_ms, p->r[0], p->r[1], p->r[2]);
	TEST_ASSERT(p->r[0] == 0,
		    "TMICT %u after switching to TSC-deadline mode, KVM zeroes it (apic_update_lvtt())",
		    p->r[0]);
	TEST_ASSERT(p->r[1] == p->r[0] && p->r[2] == 0,
		    "TSC-deadline mode: TMICT %u after a write (ignored: %u) and TMCCT %u (0)",
		    p->r[1], p->r[0], p->r[2]);
	TEST_ASSERT(n == DEADLINES + 1, "%u interrupts for %d deadlines (+1 in the past)",
		    n, DEADLINES);
	TEST_ASSERT(!p->early, "%u of %d deadlines fired before the TSC reached them",
		    p->early, DEADLINES);
	TEST_ASSERT(!p->not_cleared,
		    "IA32_TSC_DEADLINE still armed after %u of %d interrupts",
		    p->not_cleared, DEADLINES);
	check_rate("TSC deadlines", t1 - t0, DEADLINES, DEADLINE_NS);
	n2 = run_out(vcpu, PORT_DONE, 4);
	usleep(10 * DEADLINE_NS / 1000);
	n3 = run_out(vcpu, PORT_DONE, 4);
	TEST_ASSERT(p->r[3] == 0, "IA32_TSC_DEADLINE reads 0x%x after writing 0",
		    p->r[3]);
	TEST_ASSERT(n2 == n && n3 == n,
		    "a disarmed deadline fired: %u, %u, %u interrupts", n, n2, n3);
}

/*
 * Without CPUID.1:ECX[24] the LVT timer's mode field has no TSC-deadline
 * value: KVM keeps only bit 17 (timer_mode_mask). r[0], r[1]: LVTT read
 * back after writing TSC-deadline mode and the reserved mode 3.
 */
GUEST_CODE(g_lvtt_gate, ".code32",
	APIC_ON
	"movl $0x40040, 0xfee00320\n"
	"mov 0xfee00320, %eax\n"
	"mov %eax, 0xa010\n"
	"movl $0x60040, 0xfee00320\n"
	"mov 0xfee00320, %eax\n"
	"mov %eax, 0xa014\n"
	"out %al, $0x10\n"
	"hlt\n");

static void tsc_deadline_needs_cpuid(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_lvtt_gate,
					    GUEST_CODE_SIZE(g_lvtt_gate));
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid(vcpu->vm->kvm_fd);
	struct timer_params *p = params(vcpu->vm);
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx &= ~(1u << 24);
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	free(c);
	run_out(vcpu, PORT_DONE, 1);
	test_log("LVTT after writing 0x40040: 0x%x, after 0x60040: 0x%x",
		 p->r[0], p->r[1]);
	TEST_ASSERT(p->r[0] == TIMER_VECTOR && p->r[1] == ((1u << 17) | TIMER_VECTOR),
		    "LVTT reads 0x%x and 0x%x, expected 0x%x and 0x%x (no TSC-deadline mode)",
		    p->r[0], p->r[1], TIMER_VECTOR, (1u << 17) | TIMER_VECTOR);
}

/*
 * A one-shot count switched to periodic mode while it runs keeps running
 * and reloads (KVM's apic_update_lvtt() leaves the timer alone between
 * these two modes); switched back to one-shot, it ends with the current
 * period. c1 after n periodic ticks, c2 after one more, c3 after the host
 * waited 10 periods.
 */
GUEST_CODE(g_mode_switch, ".code32",
	APIC_ON
	"movl $0xb, 0xfee003e0\n"
	"movl $0x40, 0xfee00320\n"		/* one-shot */
	"mov 0xa000, %eax\n"
	"mov %eax, 0xfee00380\n"
	"movl $0x20040, 0xfee00320\n"		/* periodic, not rearmed */
	"out %al, $0x12\n"
	IRQ_WAIT_TOTAL("0xa00c", "1000000")
	IRQ_REPORT_TOTAL
	"movl $0x40, 0xfee00320\n"		/* one-shot again */
	"mov 0xe000, %eax\n"
	"inc %eax\n"
	"mov %eax, 0xa050\n"
	IRQ_WAIT_TOTAL("0xa050", "1000000")
	IRQ_REPORT_TOTAL
	IRQ_WINDOW
	IRQ_REPORT_TOTAL
	"hlt\n");

#define SWITCH_PERIOD_NS	3000000u

static void lapic_mode_switch(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_mode_switch,
					    GUEST_CODE_SIZE(g_mode_switch));
	struct timer_params *p = params(vcpu->vm);
	uint32_t c1, c2, c3;

	p->tmict = SWITCH_PERIOD_NS;
	p->n = 4;
	run_out(vcpu, PORT_ARMED, 1);
	c1 = run_out(vcpu, PORT_DONE, 4);
	c2 = run_out(vcpu, PORT_DONE, 4);
	usleep(10 * SWITCH_PERIOD_NS / 1000);
	c3 = run_out(vcpu, PORT_DONE, 4);
	test_log("one-shot switched to periodic: %u ticks; back to one-shot: %u, then %u",
		 c1, c2, c3);
	TEST_ASSERT(c1 >= 4, "%u ticks", c1);
	TEST_ASSERT(c2 == c1 + 1 && c3 == c2,
		    "switched back to one-shot: %u ticks, then %u (expected %u and %u)",
		    c2, c3, c1 + 1, c1 + 1);
}

/* ---- PIT ------------------------------------------------------------------ */

#define PIT_HZ		1193182ull
#define PIT_COUNT	11932			/* 10.0 ms */
#define PIT_TICKS	20

static uint64_t pit_period_ns(void)
{
	return PIT_COUNT * 1000000000ull / PIT_HZ;
}

/*
 * Real mode, the PC way: master PIC at vectors 8-15 with IRQ 0 alone
 * unmasked, PIT channel 0 in mode 2 (LSB/MSB) with the count at 0xa000.
 * The IRQ 0 handler at 0x9000 counts in the word at 0xa100 and EOIs the
 * PIC; the main loop waits for n (0xa00c) ticks and reports the count.
 */
GUEST_CODE(g_pit_pic, ".code16",
	"movb $0x11, %al\n"
	"outb %al, $0x20\n"
	"movb $0x08, %al\n"
	"outb %al, $0x21\n"
	"movb $0x04, %al\n"
	"outb %al, $0x21\n"
	"movb $0x01, %al\n"
	"outb %al, $0x21\n"
	"movb $0xfe, %al\n"
	"outb %al, $0x21\n"
	"movb $0x34, %al\n"
	"outb %al, $0x43\n"
	"mov 0xa000, %ax\n"
	"outb %al, $0x40\n"
	"movb %ah, %al\n"
	"outb %al, $0x40\n"
	"outb %al, $0x12\n"
	"mov $60000, %cx\n"
	"1: cli\n"
	"mov 0xa100, %ax\n"
	"cmp 0xa00c, %ax\n"
	"jae 2f\n"
	"sti\n"
	"hlt\n"
	"loop 1b\n"
	"2: mov 0xa100, %ax\n"
	"out %ax, $0x10\n"
	"hlt\n");

GUEST_CODE(g_pit_pic_handler, ".code16",
	"push %ax\n"
	"incw 0xa100\n"
	"movb $0x20, %al\n"
	"outb %al, $0x20\n"
	"pop %ax\n"
	"iret\n");

static void pit_through_pic(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_pit_config cfg = { .flags = 0 };
	uint16_t *ivt = gpa_to_hva(vm, IVT_GPA);
	struct kvm_pit_state2 ps;
	struct kvm_vcpu *vcpu;
	struct timer_params *p;
	uint64_t t0, t1;
	uint32_t n;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_PIT2, &cfg));
	vcpu = vcpu_create(vm, 0);
	vm_load_code(vm, CODE_GPA, g_pit_pic);
	vm_load_code(vm, 0x9000, g_pit_pic_handler);
	ivt[8 * 2] = 0x9000;
	ivt[8 * 2 + 1] = 0;
	p = params(vm);
	memset(p, 0, 0x200);
	p->tmict = PIT_COUNT;
	p->n = PIT_TICKS;
	vcpu_setup_real(vcpu, CODE_GPA);
	run_out(vcpu, PORT_ARMED, 1);
	t0 = mono_ns();
	n = run_out(vcpu, PORT_DONE, 2);
	t1 = mono_ns();
	TEST_ASSERT(n >= PIT_TICKS, "the guest stopped at %u ticks", n);
	check_rate("PIT mode 2 through the PIC", t1 - t0, n, pit_period_ns());
	EXPECT_OK(ioctl(vm->fd, KVM_GET_PIT2, &ps));
	TEST_ASSERT(ps.channels[0].mode == 2 && ps.channels[0].count == PIT_COUNT,
		    "channel 0: mode %u count %u", ps.channels[0].mode,
		    ps.channels[0].count);
}

/*
 * 32-bit: both PICs masked, IOAPIC pin 2 programmed through its MMIO window
 * (vector 0x50, edge, fixed, APIC 0), PIT channel 0 in mode 2; then the
 * guest halts until the host stops it.
 */
GUEST_CODE(g_pit_ioapic, ".code32",
	APIC_ON
	"movb $0xff, %al\n"
	"outb %al, $0x21\n"
	"outb %al, $0xa1\n"
	"movl $0x14, 0xfec00000\n"
	"movl $0x50, 0xfec00010\n"
	"movl $0x15, 0xfec00000\n"
	"movl $0, 0xfec00010\n"
	"movb $0x34, %al\n"
	"outb %al, $0x43\n"
	"mov 0xa000, %eax\n"
	"outb %al, $0x40\n"
	"movb %ah, %al\n"
	"outb %al, $0x40\n"
	"out %al, $0x12\n"
	"movl $0xffffffff, 0xa00c\n"
	IRQ_WAIT_TOTAL("0xa00c", "1000000")
	"hlt\n");

#define PIT_RUN_MS	300

static void pit_through_ioapic(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_pit_ioapic,
					    GUEST_CODE_SIZE(g_pit_ioapic));
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_pit_config cfg = { .flags = 0 };
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[2];
	} rt = { .hdr.nr = 2 };
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	uint64_t t0, t1, want;
	uint32_t n;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_PIT2, &cfg));
	/* as QEMU: GSI 0 is the PIC's IRQ 0 and the IOAPIC's pin 2 */
	rt.e[0].gsi = 0;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	rt.e[0].u.irqchip.pin = 2;
	rt.e[1].gsi = 0;
	rt.e[1].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[1].u.irqchip.irqchip = KVM_IRQCHIP_PIC_MASTER;
	rt.e[1].u.irqchip.pin = 0;
	EXPECT_OK(ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
	params(vm)->tmict = PIT_COUNT;
	run_out(vcpu, PORT_ARMED, 1);
	t0 = mono_ns();
	TEST_ASSERT(!vcpu_run_timeout(vcpu, PIT_RUN_MS),
		    "the guest stopped (%s)",
		    exit_reason_name(vcpu->run->exit_reason));
	t1 = mono_ns();
	n = irq_counters(vm)->count[PIT_VECTOR][0];
	want = (t1 - t0) / pit_period_ns();
	test_log("PIT mode 2 through IOAPIC pin 2: %u ticks of %.3f ms in %.1f ms (%llu periods)",
		 n, pit_period_ns() / 1e6, (t1 - t0) / 1e6,
		 (unsigned long long)want);
	TEST_ASSERT(irq_counters(vm)->total[0] == n,
		    "%u interrupts, %u of them on vector 0x%x",
		    irq_counters(vm)->total[0], n, PIT_VECTOR);
	TEST_ASSERT(n <= want + 1, "%u ticks in %llu periods: faster than programmed",
		    n, (unsigned long long)want);
	TEST_ASSERT(TIMER_SLOW(n * pit_period_ns()) >= t1 - t0,
		    "%u ticks in %llu periods", n, (unsigned long long)want);
	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT(chip.chip.ioapic.redirtbl[2].bits == PIT_VECTOR,
		    "IOAPIC pin 2 reads 0x%llx",
		    (unsigned long long)chip.chip.ioapic.redirtbl[2].bits);
}

static const struct kvm_test tests[] = {
	{ "APIC timer, periodic: N ticks take N periods (divide by 16)",
	  lapic_periodic },
	{ "APIC timer, one-shot: fires once, then TMCCT is 0", lapic_oneshot },
	{ "APIC timer: TMCCT counts down (one-shot) and reloads (periodic)",
	  lapic_current_count },
	{ "APIC timer: a masked LVT delivers nothing; unmasked, ticks resume",
	  lapic_masked },
	{ "APIC timer, TSC-deadline mode: deadlines fire once, not early; 0 disarms",
	  tsc_deadline },
	{ "APIC timer: without CPUID.1:ECX[24] the LVT has no TSC-deadline mode",
	  tsc_deadline_needs_cpuid },
	{ "APIC timer: one-shot <-> periodic switches keep a running count",
	  lapic_mode_switch },
	{ "PIT channel 0, mode 2, through the PIC (real mode): N ticks take N periods",
	  pit_through_pic },
	{ "PIT channel 0, mode 2, through IOAPIC pin 2 (GSI routing): ticks in an interval",
	  pit_through_ioapic },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
