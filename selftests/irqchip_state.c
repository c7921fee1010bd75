// SPDX-License-Identifier: GPL-2.0
/*
 * irqchip_state: saving the in-kernel irqchip in the middle of activity
 * and restoring it into a NEW VM, as a VMM's migration does (api.rst:
 * KVM_GET/SET_IRQCHIP, KVM_GET/SET_LAPIC, KVM_GET/SET_PIT2,
 * KVM_GET/SET_MP_STATE, KVM_GET/SET_VCPU_EVENTS, regs and sregs).
 *
 * The guest stops at a known point: an OUT, completed with immediate_exit
 * before the state is read (api.rst asks so), or a HLT interrupted by a
 * signal. The host raises lines while the guest has interrupts disabled,
 * so the saved state holds pending interrupts. The new VM gets the old
 * one's memory and the state (vCPU state first, then the chips), reads
 * back equal field by field, and runs on: what was pending is delivered,
 * the timers keep ticking. The field values a guest's programming leaves
 * are checked against KVM 6.1's (i8259.c, ioapic.c, i8254.c), so rkvm and
 * kvm_intel are compared by construction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define PORT_DONE	0x10
#define PORT_STOPPED	0x12
#define PARAMS_GPA	DATA_GPA
#define RUN_LIMIT_MS	20000

#define APIC_ON		"movl $0x1ff, 0xfee000f0\n"
/* STI;HLT until the interrupt total reaches @n (a number, as text) */
#define WAIT_TOTAL(n)	"movl $" n ", 0xa000\n" IRQ_WAIT_TOTAL("0xa000", "100000")
/* stop for the host (port 0x12), then wait for @n in all, report, halt */
#define STOP_WAIT_REPORT(n)					\
	"out %al, $0x12\n" WAIT_TOTAL(n) IRQ_REPORT_TOTAL "hlt\n"

struct saved {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_irqchip chip[3];	/* PIC master, PIC slave, IOAPIC */
	struct kvm_pit_state2 pit;
	bool has_pit;
};

static void save(struct kvm_vcpu *vcpu, struct saved *s, bool has_pit)
{
	int i;

	memset(s, 0, sizeof(*s));
	vcpu_get_regs(vcpu, &s->regs);
	vcpu_get_sregs(vcpu, &s->sregs);
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_LAPIC, &s->lapic));
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_MP_STATE, &s->mp));
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &s->ev));
	for (i = 0; i < 3; i++) {
		s->chip[i].chip_id = i;
		EXPECT_OK(ioctl(vcpu->vm->fd, KVM_GET_IRQCHIP, &s->chip[i]));
	}
	s->has_pit = has_pit;
	if (has_pit)
		EXPECT_OK(ioctl(vcpu->vm->fd, KVM_GET_PIT2, &s->pit));
}

/* A new VM with @old's memory and the state @s; @old is freed. */
static struct kvm_vcpu *restore(struct kvm_vcpu *old, const struct saved *s)
{
	struct kvm_vm *vm = vm_create(old->vm->mem_size);
	struct kvm_pit_config cfg = { .flags = 0 };
	struct kvm_vcpu_events ev = s->ev;
	struct kvm_irqchip chip;
	struct kvm_vm *old_vm = old->vm;
	struct kvm_vcpu *vcpu;
	int i;

	memcpy(vm->mem, old_vm->mem, vm->mem_size);
	vcpu_free(old);
	vm_free(old_vm);
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	if (s->has_pit)
		EXPECT_OK(ioctl(vm->fd, KVM_CREATE_PIT2, &cfg));
	vcpu = vcpu_create(vm, 0);
	vcpu_set_supported_cpuid(vcpu);
	vcpu_set_sregs(vcpu, (struct kvm_sregs *)&s->sregs);
	vcpu_set_regs(vcpu, (struct kvm_regs *)&s->regs);
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_LAPIC, &s->lapic));
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_MP_STATE, &s->mp));
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	for (i = 0; i < 3; i++) {
		chip = s->chip[i];
		EXPECT_OK(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	}
	if (s->has_pit)
		EXPECT_OK(ioctl(vm->fd, KVM_SET_PIT2, &s->pit));
	return vcpu;
}

/* Everything read back from the new VM equals what was saved. */
static void check_restored(struct kvm_vcpu *vcpu, const struct saved *a)
{
	struct saved b;
	int i, off, bad = 0;

	save(vcpu, &b, a->has_pit);
	TEST_ASSERT(!memcmp(&a->regs, &b.regs, sizeof(b.regs)),
		    "KVM_GET_REGS differs after restore (rip 0x%llx, was 0x%llx)",
		    (unsigned long long)b.regs.rip,
		    (unsigned long long)a->regs.rip);
	TEST_ASSERT(!memcmp(&a->sregs, &b.sregs, sizeof(b.sregs)),
		    "KVM_GET_SREGS differs after restore");
	TEST_ASSERT(a->mp.mp_state == b.mp.mp_state,
		    "mp_state %u after restore, saved %u", b.mp.mp_state,
		    a->mp.mp_state);
	TEST_ASSERT(!memcmp(&a->ev.exception, &b.ev.exception,
			    sizeof(b.ev.exception)) &&
		    !memcmp(&a->ev.interrupt, &b.ev.interrupt,
			    sizeof(b.ev.interrupt)) &&
		    !memcmp(&a->ev.nmi, &b.ev.nmi, sizeof(b.ev.nmi)),
		    "KVM_GET_VCPU_EVENTS differs after restore");
	/* the whole register page but the current count, which runs */
	for (off = 0; off < KVM_APIC_REG_SIZE; off += 16) {
		uint32_t x = *(uint32_t *)(a->lapic.regs + off);
		uint32_t y = *(uint32_t *)(b.lapic.regs + off);

		if (off == 0x390 || x == y)
			continue;
		test_log("LAPIC register 0x%03x: saved 0x%08x, restored 0x%08x",
			 off, x, y);
		bad++;
	}
	TEST_ASSERT(!bad, "%d LAPIC registers differ after restore", bad);
	for (i = 0; i < 3; i++)
		TEST_ASSERT(!memcmp(&a->chip[i].chip, &b.chip[i].chip,
				    i < 2 ? sizeof(struct kvm_pic_state) :
				    sizeof(struct kvm_ioapic_state)),
			    "KVM_GET_IRQCHIP %s differs after restore",
			    i == 0 ? "PIC master" : i == 1 ? "PIC slave" :
			    "IOAPIC");
	if (!a->has_pit)
		return;
	TEST_ASSERT(a->pit.flags == b.pit.flags, "PIT flags 0x%x, saved 0x%x",
		    b.pit.flags, a->pit.flags);
	for (i = 0; i < 3; i++) {
		struct kvm_pit_channel_state x = a->pit.channels[i];
		struct kvm_pit_channel_state y = b.pit.channels[i];

		/* the load time is the restore's: counting restarts */
		x.count_load_time = 0;
		y.count_load_time = 0;
		TEST_ASSERT(!memcmp(&x, &y, sizeof(x)),
			    "PIT channel %d differs after restore: count %u/%u mode %u/%u rw %u/%u",
			    i, x.count, y.count, x.mode, y.mode, x.rw_mode,
			    y.rw_mode);
	}
}

/* Run (bounded) to an OUT on @port; returns its value. */
static uint32_t run_out(struct kvm_vcpu *vcpu, uint16_t port)
{
	struct kvm_run *run = vcpu->run;
	uint32_t v = 0;

	TEST_ASSERT(vcpu_run_timeout(vcpu, RUN_LIMIT_MS),
		    "no OUT to 0x%x within %d ms", port, RUN_LIMIT_MS);
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == IRQ_EXCEPTION_PORT)
		TEST_ASSERT(0, "the guest took exception %u",
			    *(uint8_t *)vcpu_io_data(vcpu));
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.port != port) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "expected OUT to 0x%x", port);
	}
	memcpy(&v, vcpu_io_data(vcpu), run->io.size);
	return v;
}

static void irq_line(struct kvm_vm *vm, int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	EXPECT_OK(ioctl(vm->fd, KVM_IRQ_LINE, &l));
}

static void notify_vector(struct kvm_vm *vm, int vector)
{
	irq_counters(vm)->notify[vector / 32] |= 1u << (vector % 32);
}

static uint32_t lapic_reg(const struct kvm_lapic_state *s, int off)
{
	return *(const uint32_t *)(s->regs + off);
}

static bool vector_set(const struct kvm_lapic_state *s, int base, int vec)
{
	return lapic_reg(s, base + (vec / 32) * 0x10) & (1u << (vec % 32));
}

/* ---- the PICs ------------------------------------------------------------- */

/*
 * Real mode: master at 0x20 (IRQs 1, 3, 4 unmasked, IRQ 3 level in the
 * ELCR, OCW3 selecting the ISR for reads), slave at 0x28 (IRQ 10 unmasked
 * and level). Stop with IF clear; then wait until two interrupts were
 * handled (the word at 0xa100) and report it.
 */
GUEST_CODE(g_pic, ".code16",
	"movb $0x11, %al\n"
	"outb %al, $0x20\n"
	"movb $0x20, %al\n"
	"outb %al, $0x21\n"
	"movb $0x04, %al\n"
	"outb %al, $0x21\n"
	"movb $0x01, %al\n"
	"outb %al, $0x21\n"
	"movb $0xe5, %al\n"
	"outb %al, $0x21\n"
	"movb $0x11, %al\n"
	"outb %al, $0xa0\n"
	"movb $0x28, %al\n"
	"outb %al, $0xa1\n"
	"movb $0x02, %al\n"
	"outb %al, $0xa1\n"
	"movb $0x01, %al\n"
	"outb %al, $0xa1\n"
	"movb $0xfb, %al\n"
	"outb %al, $0xa1\n"
	"movb $0x08, %al\n"
	"mov $0x4d0, %dx\n"
	"outb %al, %dx\n"
	"movb $0x04, %al\n"
	"mov $0x4d1, %dx\n"
	"outb %al, %dx\n"
	"movb $0x0b, %al\n"
	"outb %al, $0x20\n"
	"cli\n"
	"outb %al, $0x12\n"
	"mov $1000, %cx\n"
	"1: cli\n"
	"cmpw $2, 0xa100\n"
	"jae 2f\n"
	"sti\n"
	"hlt\n"
	"loop 1b\n"
	"2: mov 0xa100, %ax\n"
	"out %ax, $0x10\n"
	"hlt\n");

/* Real-mode IRQ handler for @vector at @gpa: report, count, EOI, IRET. */
static void pic_handler(struct kvm_vm *vm, int vector, uint16_t gpa)
{
	const uint8_t code[] = {
		0x50,				/* push %ax */
		0xb0, vector,			/* mov $vector, %al */
		0xe6, IRQ_NOTIFY_PORT,		/* out %al, $0x11 */
		0xff, 0x06, 0x00, 0xa1,		/* incw 0xa100 */
		0xb0, 0x20,			/* mov $0x20, %al */
		0xe6, 0x20,			/* out %al, $0x20: EOI */
		0x58,				/* pop %ax */
		0xcf,				/* iret */
	};
	uint16_t *ivt = gpa_to_hva(vm, IVT_GPA);

	vm_load(vm, gpa, code, sizeof(code));
	ivt[vector * 2] = gpa;
	ivt[vector * 2 + 1] = 0;
}

static void check_pic(const struct kvm_pic_state *p, const struct kvm_pic_state *e,
		      const char *name)
{
#define PIC_FIELD(f)							\
	TEST_ASSERT(p->f == e->f, "%s: " #f " 0x%x, expected 0x%x (KVM)", \
		    name, p->f, e->f)
	PIC_FIELD(last_irr);
	PIC_FIELD(irr);
	PIC_FIELD(imr);
	PIC_FIELD(isr);
	PIC_FIELD(priority_add);
	PIC_FIELD(irq_base);
	PIC_FIELD(read_reg_select);
	PIC_FIELD(poll);
	PIC_FIELD(special_mask);
	PIC_FIELD(init_state);
	PIC_FIELD(auto_eoi);
	PIC_FIELD(rotate_on_auto_eoi);
	PIC_FIELD(special_fully_nested_mode);
	PIC_FIELD(init4);
	PIC_FIELD(elcr);
	PIC_FIELD(elcr_mask);
#undef PIC_FIELD
}

static void pic_state(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	const struct kvm_pic_state master = {
		.last_irr = 0x08, .irr = 0x18, .imr = 0xe5, .irq_base = 0x20,
		.read_reg_select = 1, .init4 = 1, .elcr = 0x08,
		.elcr_mask = 0xf8,
	};
	const struct kvm_pic_state slave = {
		.imr = 0xfb, .irq_base = 0x28, .init4 = 1, .elcr = 0x04,
		.elcr_mask = 0xde,
	};
	struct kvm_vcpu *vcpu;
	struct saved s;
	uint32_t v;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = vcpu_create(vm, 0);
	vm_load_code(vm, CODE_GPA, g_pic);
	pic_handler(vm, 0x23, 0x9000);
	pic_handler(vm, 0x24, 0x9020);
	*(uint16_t *)gpa_to_hva(vm, 0xa100) = 0;
	vcpu_setup_real(vcpu, CODE_GPA);
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	irq_line(vm, 3, 1);		/* level, held */
	irq_line(vm, 4, 1);		/* edge, pulsed */
	irq_line(vm, 4, 0);
	save(vcpu, &s, false);
	check_pic(&s.chip[0].chip.pic, &master, "PIC master");
	check_pic(&s.chip[1].chip.pic, &slave, "PIC slave");

	vcpu = restore(vcpu, &s);
	check_restored(vcpu, &s);
	/* IRQ 3 first (priority), from the restored base; the line drops */
	v = run_out(vcpu, IRQ_NOTIFY_PORT);
	TEST_ASSERT(v == 0x23, "first interrupt after restore: 0x%x, expected 0x23", v);
	irq_line(vcpu->vm, 3, 0);
	v = run_out(vcpu, IRQ_NOTIFY_PORT);
	TEST_ASSERT(v == 0x24, "second interrupt after restore: 0x%x, expected 0x24", v);
	v = run_out(vcpu, PORT_DONE);
	TEST_ASSERT(v == 2, "%u interrupts handled", v);
}

/* ---- the IOAPIC ------------------------------------------------------------ */

/* IOAPIC register @reg = @val through the MMIO window. */
#define IOAPIC_W(reg, val)					\
	"movl $" #reg ", 0xfec00000\n"				\
	"movl $" #val ", 0xfec00010\n"

/*
 * 32-bit: the IOAPIC's ID is 10; pin 16 vector 0x51 edge; pin 17 0x52 level
 * and masked; pin 19 0x54 level, logical destination 1 (the LDR is set
 * flat, 1); pin 20 0x55 lowest priority, active low; pin 21 0x56 edge;
 * IOREGSEL is left at 0x29. Stop with IF clear. Then take the pending
 * interrupts, unmask pin 17, and wait for 5 interrupts in all.
 */
GUEST_CODE(g_ioapic, ".code32",
	APIC_ON
	"movl $0x01000000, 0xfee000d0\n"
	"movl $0xffffffff, 0xfee000e0\n"
	IOAPIC_W(0x00, 0x0a000000)
	IOAPIC_W(0x30, 0x51)
	IOAPIC_W(0x31, 0)
	IOAPIC_W(0x32, 0x18052)
	IOAPIC_W(0x33, 0)
	IOAPIC_W(0x36, 0x8854)
	IOAPIC_W(0x37, 0x01000000)
	IOAPIC_W(0x38, 0x2155)
	IOAPIC_W(0x39, 0)
	IOAPIC_W(0x3a, 0x56)
	IOAPIC_W(0x3b, 0)
	"movl $0x29, 0xfec00000\n"
	"cli\n"
	"out %al, $0x12\n"
	WAIT_TOTAL("2")
	"movl $0x32, 0xfec00000\n"		/* unmask pin 17 */
	"mov 0xfec00010, %eax\n"
	"and $~0x10000, %eax\n"
	"mov %eax, 0xfec00010\n"
	WAIT_TOTAL("5")
	IRQ_REPORT_TOTAL
	"hlt\n");

static void ioapic_state(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_ioapic, GUEST_CODE_SIZE(g_ioapic));
	struct kvm_ioapic_state *io;
	struct irq_counters *c;
	struct kvm_vm *vm;
	struct saved s;
	uint64_t e;
	uint32_t v;

	notify_vector(vcpu->vm, 0x52);
	notify_vector(vcpu->vm, 0x54);
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	irq_line(vcpu->vm, 16, 1);	/* edge: delivered, into the IRR */
	irq_line(vcpu->vm, 16, 0);
	irq_line(vcpu->vm, 17, 1);	/* level, masked: waits in the IOAPIC */
	irq_line(vcpu->vm, 19, 1);	/* level: delivered, remote IRR */
	irq_line(vcpu->vm, 21, 1);	/* edge, held: delivered */
	save(vcpu, &s, false);

	io = &s.chip[2].chip.ioapic;
	test_log("IOAPIC: id %u ioregsel 0x%x irr 0x%x; pins 16 0x%llx 17 0x%llx 19 0x%llx 20 0x%llx",
		 io->id, io->ioregsel, io->irr,
		 (unsigned long long)io->redirtbl[16].bits,
		 (unsigned long long)io->redirtbl[17].bits,
		 (unsigned long long)io->redirtbl[19].bits,
		 (unsigned long long)io->redirtbl[20].bits);
	TEST_ASSERT(io->base_address == 0xfec00000 && io->id == 10 &&
		    io->ioregsel == 0x29,
		    "IOAPIC base 0x%llx id %u ioregsel 0x%x",
		    (unsigned long long)io->base_address, io->id, io->ioregsel);
	/* KVM's kvm_get_ioapic(): irr without the edges already delivered */
	TEST_ASSERT(io->irr == ((1u << 17) | (1u << 19)),
		    "IOAPIC irr 0x%x, expected the held level lines 17 and 19 (not the delivered edge 21)",
		    io->irr);
	e = io->redirtbl[16].bits;
	TEST_ASSERT(e == 0x51, "pin 16: 0x%llx", (unsigned long long)e);
	e = io->redirtbl[17].bits;
	TEST_ASSERT(e == 0x18052, "pin 17: 0x%llx", (unsigned long long)e);
	e = io->redirtbl[19].bits;
	TEST_ASSERT(e == (0x0100000000000000ull | 0x8854 | 1 << 14),
		    "pin 19: 0x%llx, expected its entry with remote IRR",
		    (unsigned long long)e);
	e = io->redirtbl[20].bits;
	TEST_ASSERT(e == 0x2155, "pin 20: 0x%llx", (unsigned long long)e);
	TEST_ASSERT(vector_set(&s.lapic, 0x200, 0x56) &&
		    vector_set(&s.lapic, 0x200, 0x51) &&
		    vector_set(&s.lapic, 0x200, 0x54) &&
		    vector_set(&s.lapic, 0x180, 0x54) &&
		    !vector_set(&s.lapic, 0x180, 0x51),
		    "LAPIC: IRR 0x51/0x54 %d/%d, TMR 0x51/0x54 %d/%d",
		    vector_set(&s.lapic, 0x200, 0x51),
		    vector_set(&s.lapic, 0x200, 0x54),
		    vector_set(&s.lapic, 0x180, 0x51),
		    vector_set(&s.lapic, 0x180, 0x54));

	vcpu = restore(vcpu, &s);
	vm = vcpu->vm;
	check_restored(vcpu, &s);
	/* 0x56 (not reported), 0x54; still asserted at its EOI, it comes again */
	v = run_out(vcpu, IRQ_NOTIFY_PORT);
	TEST_ASSERT(v == 0x54, "first interrupt after restore: 0x%x", v);
	v = run_out(vcpu, IRQ_NOTIFY_PORT);
	TEST_ASSERT(v == 0x54,
		    "0x%x after the EOI of 0x54, expected 0x54 again (line 19 still asserted)",
		    v);
	irq_line(vm, 19, 0);
	/* pin 17, unmasked by the guest, delivers the line held since before */
	v = run_out(vcpu, IRQ_NOTIFY_PORT);
	TEST_ASSERT(v == 0x52, "0x%x after unmasking pin 17, expected 0x52", v);
	irq_line(vm, 17, 0);
	v = run_out(vcpu, PORT_DONE);
	c = irq_counters(vm);
	test_log("after restore: 0x56 x%u, 0x54 x%u, 0x51 x%u, 0x52 x%u",
		 c->count[0x56][0], c->count[0x54][0], c->count[0x51][0],
		 c->count[0x52][0]);
	TEST_ASSERT(v == 5 && c->count[0x54][0] == 2 && c->count[0x51][0] == 1 &&
		    c->count[0x52][0] == 1 && c->count[0x56][0] == 1,
		    "%u interrupts", v);
	s.chip[2].chip_id = KVM_IRQCHIP_IOAPIC;
	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &s.chip[2]));
	TEST_ASSERT(!io->irr && !(io->redirtbl[19].bits & (1 << 14)) &&
		    !(io->redirtbl[17].bits & (1 << 14)),
		    "IOAPIC after the EOIs: irr 0x%x, pin 17 0x%llx, pin 19 0x%llx",
		    io->irr, (unsigned long long)io->redirtbl[17].bits,
		    (unsigned long long)io->redirtbl[19].bits);
}

/* Stop with IF clear; then wait for one interrupt and report. */
GUEST_CODE(g_wait_one, ".code32",
	APIC_ON
	"cli\n"
	STOP_WAIT_REPORT("1"));

/*
 * KVM_SET_IRQCHIP asserts every line of the state's irr afresh (KVM's
 * kvm_ioapic_inject_all()): an unmasked level pin without remote IRR
 * delivers at once.
 */
static void ioapic_set_delivers(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_wait_one, GUEST_CODE_SIZE(g_wait_one));
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_ioapic_state *io = &chip.chip.ioapic;
	struct kvm_lapic_state l;
	uint32_t v;

	notify_vector(vcpu->vm, 0x57);
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_GET_IRQCHIP, &chip));
	io->redirtbl[22].bits = 0x8057;		/* level, fixed, APIC 0 */
	io->irr |= 1u << 22;
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_SET_IRQCHIP, &chip));
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_GET_IRQCHIP, &chip));
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_LAPIC, &l));
	TEST_ASSERT((io->irr & (1u << 22)) &&
		    (io->redirtbl[22].bits & (1 << 14)) &&
		    vector_set(&l, 0x200, 0x57) && vector_set(&l, 0x180, 0x57),
		    "after KVM_SET_IRQCHIP: irr 0x%x, pin 22 0x%llx, LAPIC IRR/TMR 0x57 %d/%d",
		    io->irr, (unsigned long long)io->redirtbl[22].bits,
		    vector_set(&l, 0x200, 0x57), vector_set(&l, 0x180, 0x57));
	v = run_out(vcpu, IRQ_NOTIFY_PORT);
	TEST_ASSERT(v == 0x57, "vector 0x%x, expected 0x57", v);
	irq_line(vcpu->vm, 22, 0);
	v = run_out(vcpu, PORT_DONE);
	TEST_ASSERT(v == 1, "%u interrupts", v);
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT(!(io->irr & (1u << 22)) && !(io->redirtbl[22].bits & (1 << 14)),
		    "after the EOI: irr 0x%x, pin 22 0x%llx", io->irr,
		    (unsigned long long)io->redirtbl[22].bits);
}

/* ---- the LAPIC timer ------------------------------------------------------- */

/*
 * Periodic ticks (vector 0x40, 0xa008 ns); stop after 5 with IF clear, then
 * go on to 10 and report.
 */
GUEST_CODE(g_periodic, ".code32",
	APIC_ON
	"movl $0xb, 0xfee003e0\n"
	"movl $0x20040, 0xfee00320\n"
	"mov 0xa008, %eax\n"
	"mov %eax, 0xfee00380\n"
	WAIT_TOTAL("5")
	STOP_WAIT_REPORT("10"));

#define PERIOD_NS	2000000u

static void lapic_timer_runs(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_periodic,
					   GUEST_CODE_SIZE(g_periodic));
	struct saved s;
	uint64_t t0, t1;
	uint32_t n;

	((uint32_t *)gpa_to_hva(vcpu->vm, PARAMS_GPA))[2] = PERIOD_NS;
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	save(vcpu, &s, false);
	TEST_ASSERT(lapic_reg(&s.lapic, 0x320) == 0x20040 &&
		    lapic_reg(&s.lapic, 0x380) == PERIOD_NS &&
		    lapic_reg(&s.lapic, 0x3e0) == 0xb &&
		    lapic_reg(&s.lapic, 0x390) <= PERIOD_NS,
		    "saved LVTT 0x%x TMICT %u TDCR 0x%x TMCCT %u",
		    lapic_reg(&s.lapic, 0x320), lapic_reg(&s.lapic, 0x380),
		    lapic_reg(&s.lapic, 0x3e0), lapic_reg(&s.lapic, 0x390));
	vcpu = restore(vcpu, &s);
	check_restored(vcpu, &s);
	t0 = mono_ns();
	n = run_out(vcpu, PORT_DONE);
	t1 = mono_ns();
	test_log("5 more ticks of %.1f ms after the restore in %.1f ms",
		 PERIOD_NS / 1e6, (t1 - t0) / 1e6);
	TEST_ASSERT(n >= 10, "%u ticks", n);
	TEST_ASSERT(irq_counters(vcpu->vm)->count[0x40][0] == n,
		    "%u of %u interrupts on the timer's vector",
		    irq_counters(vcpu->vm)->count[0x40][0], n);
}

/*
 * One-shot of 0xa008 ns, then a stop with IF clear; after it, wait for the
 * interrupt and report.
 */
GUEST_CODE(g_oneshot, ".code32",
	APIC_ON
	"movl $0xb, 0xfee003e0\n"
	"movl $0x40, 0xfee00320\n"
	"mov 0xa008, %eax\n"
	"mov %eax, 0xfee00380\n"
	"cli\n"
	STOP_WAIT_REPORT("1"));

#define ONESHOT_NS	1000000000u	/* 1 s */
#define ONESHOT_WAIT_MS	600

static void lapic_timer_remaining(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_oneshot, GUEST_CODE_SIZE(g_oneshot));
	struct kvm_lapic_state now;
	uint64_t t0, t1, left;
	struct saved s;
	uint32_t n;

	((uint32_t *)gpa_to_hva(vcpu->vm, PARAMS_GPA))[2] = ONESHOT_NS;
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	usleep(ONESHOT_WAIT_MS * 1000);
	save(vcpu, &s, false);
	left = lapic_reg(&s.lapic, 0x390);
	vcpu = restore(vcpu, &s);
	t0 = mono_ns();
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_LAPIC, &now));
	check_restored(vcpu, &s);
	test_log("one-shot of %.0f ms: %.1f ms left when saved, %.1f ms right after the restore",
		 ONESHOT_NS / 1e6, left / 1e6, lapic_reg(&now, 0x390) / 1e6);
	TEST_ASSERT(left > 0 && left < ONESHOT_NS,
		    "TMCCT %llu after %d ms of a %u ns one-shot",
		    (unsigned long long)left, ONESHOT_WAIT_MS, ONESHOT_NS);
	/* KVM restarts the count from the saved TMCCT (kvm_apic_set_state()) */
	TEST_ASSERT(lapic_reg(&now, 0x390) <= left,
		    "TMCCT %u after the restore, more than the %llu saved: the count restarted from TMICT",
		    lapic_reg(&now, 0x390), (unsigned long long)left);
	n = run_out(vcpu, PORT_DONE);
	t1 = mono_ns();
	test_log("it fired %.1f ms after the restore", (t1 - t0) / 1e6);
	TEST_ASSERT(n == 1, "%u interrupts", n);
	TEST_ASSERT(t1 - t0 + left / 10 >= left &&
		    t1 - t0 <= left * 3 / 2 + 20000000,
		    "fired %.1f ms after the restore, with %.1f ms left",
		    (t1 - t0) / 1e6, left / 1e6);
}

/* ---- the PIT ----------------------------------------------------------------- */

/*
 * 32-bit: PICs masked, IOAPIC pin 0 (KVM's default route of GSI 0) at
 * vector 0x50; channel 2 written with mode 0 and a count of 0 (65536);
 * channel 0 in mode 2 with the count at 0xa008. Stop after 3 ticks, go on
 * to 6.
 */
GUEST_CODE(g_pit, ".code32",
	APIC_ON
	"movb $0xff, %al\n"
	"outb %al, $0x21\n"
	"outb %al, $0xa1\n"
	IOAPIC_W(0x10, 0x50)
	IOAPIC_W(0x11, 0)
	"movb $0xb0, %al\n"
	"outb %al, $0x43\n"
	"xor %al, %al\n"
	"outb %al, $0x42\n"
	"outb %al, $0x42\n"
	"movb $0x34, %al\n"
	"outb %al, $0x43\n"
	"mov 0xa008, %eax\n"
	"outb %al, $0x40\n"
	"movb %ah, %al\n"
	"outb %al, $0x40\n"
	WAIT_TOTAL("3")
	STOP_WAIT_REPORT("6"));

#define PIT_COUNT	11932		/* 10 ms */

static void pit_state(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_pit, GUEST_CODE_SIZE(g_pit));
	struct kvm_pit_config cfg = { .flags = 0 };
	struct kvm_pit_channel_state *ch;
	struct saved s;
	uint32_t n;
	int i;

	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_CREATE_PIT2, &cfg));
	((uint32_t *)gpa_to_hva(vcpu->vm, PARAMS_GPA))[2] = PIT_COUNT;
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	save(vcpu, &s, true);
	for (i = 0; i < 3; i++) {
		ch = &s.pit.channels[i];
		test_log("channel %d: count 0x%x mode %u rw %u read %u write %u gate %u latched %u/%u",
			 i, ch->count, ch->mode, ch->rw_mode, ch->read_state,
			 ch->write_state, ch->gate, ch->count_latched,
			 ch->status_latched);
	}
	ch = s.pit.channels;
	TEST_ASSERT(ch[0].count == PIT_COUNT && ch[0].mode == 2 &&
		    ch[0].rw_mode == 3 && ch[0].read_state == 3 &&
		    ch[0].write_state == 3 && ch[0].gate == 1 && !ch[0].bcd,
		    "channel 0: count %u mode %u rw %u read %u write %u gate %u",
		    ch[0].count, ch[0].mode, ch[0].rw_mode, ch[0].read_state,
		    ch[0].write_state, ch[0].gate);
	/* KVM's pit_load_count(): a count of 0 is kept as 0x10000 */
	TEST_ASSERT(ch[2].count == 0x10000 && ch[2].mode == 0 &&
		    ch[2].rw_mode == 3 && ch[2].gate == 0,
		    "channel 2: count 0x%x (0 written: 0x10000) mode %u rw %u gate %u",
		    ch[2].count, ch[2].mode, ch[2].rw_mode, ch[2].gate);
	/* never programmed: KVM's kvm_pit_reset() state */
	TEST_ASSERT(ch[1].count == 0x10000 && ch[1].mode == 0xff &&
		    ch[1].gate == 1,
		    "channel 1 (never programmed): count 0x%x mode 0x%x gate %u, expected 0x10000, 0xff, 1",
		    ch[1].count, ch[1].mode, ch[1].gate);
	vcpu = restore(vcpu, &s);
	check_restored(vcpu, &s);
	n = run_out(vcpu, PORT_DONE);
	TEST_ASSERT(n >= 6 && irq_counters(vcpu->vm)->count[0x50][0] == n,
		    "%u interrupts, %u from the PIT", n,
		    irq_counters(vcpu->vm)->count[0x50][0]);
}

/*
 * Pin 0 unmasked (vector 0x50), PICs masked, and nothing programs the PIT:
 * wait for interrupts until the host stops the guest.
 */
GUEST_CODE(g_pit_idle, ".code32",
	APIC_ON
	"movb $0xff, %al\n"
	"outb %al, $0x21\n"
	"outb %al, $0xa1\n"
	IOAPIC_W(0x10, 0x50)
	IOAPIC_W(0x11, 0)
	"cli\n"
	STOP_WAIT_REPORT("1"));

#define IDLE_MS		300

static void pit_unprogrammed(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_pit_idle,
					   GUEST_CODE_SIZE(g_pit_idle));
	struct kvm_pit_config cfg = { .flags = 0 };
	struct saved s;

	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_CREATE_PIT2, &cfg));
	run_out(vcpu, PORT_STOPPED);
	vcpu_complete_io(vcpu);
	save(vcpu, &s, true);
	vcpu = restore(vcpu, &s);
	check_restored(vcpu, &s);
	TEST_ASSERT(!vcpu_run_timeout(vcpu, IDLE_MS),
		    "the guest got an interrupt (%s, %u interrupts, %u from the PIT)",
		    exit_reason_name(vcpu->run->exit_reason),
		    irq_counters(vcpu->vm)->total[0],
		    irq_counters(vcpu->vm)->count[0x50][0]);
	TEST_ASSERT(!irq_counters(vcpu->vm)->total[0], "%u interrupts",
		    irq_counters(vcpu->vm)->total[0]);
}

/* ---- a halted vCPU -------------------------------------------------------- */

/* One-shot (0xa008 ns), STI;HLT for it, report. */
GUEST_CODE(g_halted, ".code32",
	APIC_ON
	"movl $0xb, 0xfee003e0\n"
	"movl $0x40, 0xfee00320\n"
	"mov 0xa008, %eax\n"
	"mov %eax, 0xfee00380\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	IRQ_REPORT_TOTAL
	"hlt\n");

#define HALT_TIMER_NS	400000000u	/* 400 ms */
#define HALT_STOP_MS	100

static void halted_vcpu(void)
{
	struct kvm_vcpu *vcpu = irqchip_counting_guest(g_halted, GUEST_CODE_SIZE(g_halted));
	struct saved s;
	uint32_t n;

	((uint32_t *)gpa_to_hva(vcpu->vm, PARAMS_GPA))[2] = HALT_TIMER_NS;
	TEST_ASSERT(!vcpu_run_timeout(vcpu, HALT_STOP_MS),
		    "the guest did not halt (%s)",
		    exit_reason_name(vcpu->run->exit_reason));
	save(vcpu, &s, false);
	TEST_ASSERT(s.mp.mp_state == KVM_MP_STATE_HALTED,
		    "mp_state %u while halted, expected HALTED", s.mp.mp_state);
	TEST_ASSERT(s.regs.rflags & 0x200, "IF clear in the halted guest");
	test_log("saved while halted: rip 0x%llx, %.1f ms of the timer left, events: shadow %u nmi %u/%u/%u",
		 (unsigned long long)s.regs.rip,
		 lapic_reg(&s.lapic, 0x390) / 1e6, s.ev.interrupt.shadow,
		 s.ev.nmi.injected, s.ev.nmi.pending, s.ev.nmi.masked);
	vcpu = restore(vcpu, &s);
	check_restored(vcpu, &s);
	/* it stays halted until the restored timer fires */
	n = run_out(vcpu, PORT_DONE);
	TEST_ASSERT(n == 1, "the guest went on after its HLT with %u interrupts",
		    n);
}

static const struct kvm_test tests[] = {
	{ "PIC: the guest's ICWs, masks, ELCR and pending IRQs survive; delivered from the restored base",
	  pic_state },
	{ "IOAPIC: redirection table, irr and remote IRR survive; pending LAPIC vectors and held lines delivered",
	  ioapic_state },
	{ "IOAPIC: KVM_SET_IRQCHIP with an asserted level line delivers it at once",
	  ioapic_set_delivers },
	{ "LAPIC timer: a periodic timer keeps ticking in the new VM",
	  lapic_timer_runs },
	{ "LAPIC timer: a one-shot resumes from the saved current count",
	  lapic_timer_remaining },
	{ "PIT: channel state survives (KVM's reset values, count 0 as 0x10000), channel 0 keeps ticking",
	  pit_state },
	{ "PIT: a never-programmed PIT stays silent after KVM_SET_PIT2",
	  pit_unprogrammed },
	{ "a vCPU saved while halted (mp_state HALTED) waits for its restored timer",
	  halted_vcpu },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
