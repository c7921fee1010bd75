// SPDX-License-Identifier: GPL-2.0
/*
 * irqchip: the in-kernel interrupt controllers (api.rst: KVM_CREATE_IRQCHIP,
 * KVM_IRQ_LINE[_STATUS], KVM_GET/SET_IRQCHIP, KVM_IRQFD, KVM_IOEVENTFD,
 * KVM_SIGNAL_MSI, KVM_SET_GSI_ROUTING, KVM_CREATE_PIT2) seen
 * by a 32-bit guest: IOAPIC pins and irqfds deliver to the local APIC, whose
 * vector runs the guest's IDT handler (which EOIs through the xAPIC page),
 * the APIC timer fires, a HLT sleeps in the kernel until an interrupt (or
 * is woken while the kernel polls: halt_poll_ns), and ioeventfds swallow
 * matching doorbell writes.
 *
 * Handlers are stubs at HANDLER_GPA + vector * 32: report the vector on
 * port 0x11, write the APIC's EOI register, report 0x55 on port 0x10 (so
 * the EOI is known to have completed) and stop. They do not IRET: the
 * development host's KVM cannot emulate a 32-bit IRET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define HANDLER_GPA	0x9000UL
#define PORT_MAIN	0x10
#define PORT_HANDLER	0x11
#define MMIO_DOORBELL	0xd0000000UL

static void write_handlers(struct kvm_vm *vm)
{
	uint8_t *h = gpa_to_hva(vm, HANDLER_GPA);
	int v;

	for (v = 0; v < 256; v++) {
		static const uint8_t eoi[] = {	/* movl $0, 0xfee000b0 */
			0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0,
		};
		uint8_t *p = h + v * 32;

		p[0] = 0xb0;			/* mov $v, %al */
		p[1] = v;
		p[2] = 0xe6;			/* out %al, $0x11 */
		p[3] = PORT_HANDLER;
		memcpy(p + 4, eoi, sizeof(eoi));
		p[14] = 0xb0;			/* mov $0x55, %al */
		p[15] = 0x55;
		p[16] = 0xe6;			/* out %al, $0x10 */
		p[17] = PORT_MAIN;
		p[18] = 0xfa;			/* cli */
		p[19] = 0xf4;			/* hlt */
	}
}

/* A VM with an in-kernel irqchip and one 32-bit vCPU running @code. */
static struct kvm_vcpu *irqchip_guest(const void *code, size_t len)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = vcpu_create(vm, 0);
	vm_load(vm, CODE_GPA, code, len);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	write_handlers(vm);
	vcpu_write_idt32(vcpu, HANDLER_GPA, 32);
	return vcpu;
}

/* Point IOAPIC pin @pin at @vector: fixed, physical APIC 0, edge. */
static void route_pin(struct kvm_vm *vm, int pin, int vector)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	chip.chip.ioapic.redirtbl[pin].bits = vector;
	EXPECT_OK(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT(chip.chip.ioapic.redirtbl[pin].bits == (uint64_t)vector,
		    "redirection entry %d reads 0x%llx", pin,
		    (unsigned long long)chip.chip.ioapic.redirtbl[pin].bits);
}

/* The handler reports @vector, EOIs, then reports 0x55. */
static void expect_handler_then_main(struct kvm_vcpu *vcpu, int vector)
{
	uint32_t v = vcpu_run_out(vcpu, PORT_HANDLER, 1);

	TEST_ASSERT(v == (uint32_t)vector, "handler vector 0x%x, expected 0x%x",
		    v, vector);
	v = vcpu_run_out(vcpu, PORT_MAIN, 1);
	TEST_ASSERT(v == 0x55, "handler after its EOI: 0x%x", v);
}

/*
 * Enable the APIC (SVR: a software-disabled APIC drops fixed interrupts),
 * say so on port 0x12, then open interrupts and wait for one.
 */
GUEST_CODE(g_wait_irq, ".code32",
	"movl $0x1ff, 0xfee000f0\n"
	"movb $1, %al\n"
	"outb %al, $0x12\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"hlt\n");

static void create_rules(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vm *vm2 = vm_create(GUEST_MEM_SIZE);
	struct kvm_irq_level l = { .irq = 5, .level = 1 };

	EXPECT_ERRNO(ioctl(vm->fd, KVM_IRQ_LINE, &l), ENXIO);
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), EEXIST);
	vcpu_create(vm2, 0);
	EXPECT_ERRNO(ioctl(vm2->fd, KVM_CREATE_IRQCHIP, 0), EINVAL);
}

static void interrupt_enxio(void)
{
	struct kvm_vcpu *vcpu = irqchip_guest(g_wait_irq,
					      GUEST_CODE_SIZE(g_wait_irq));
	struct kvm_interrupt irq = { .irq = 0x30 };

	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_INTERRUPT, &irq), ENXIO);
}

static void irq_line(void)
{
	struct kvm_vcpu *vcpu = irqchip_guest(g_wait_irq,
					      GUEST_CODE_SIZE(g_wait_irq));
	struct kvm_irq_level l = { .irq = 16, .level = 1 };

	/* pins 16-23: KVM's PIC drives GSIs 0-15 too (LINT0 is ExtINT) */
	route_pin(vcpu->vm, 16, 0x30);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x12, 1) == 1, "APIC enabled");
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_IRQ_LINE_STATUS, &l));
	TEST_ASSERT(l.status == 1, "KVM_IRQ_LINE_STATUS: status %d", l.status);
	l.irq = 16;
	l.level = 0;
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_IRQ_LINE, &l));
	expect_handler_then_main(vcpu, 0x30);
}

static void irqfd(void)
{
	struct kvm_vcpu *vcpu = irqchip_guest(g_wait_irq,
					      GUEST_CODE_SIZE(g_wait_irq));
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kvm_irqfd args = { .fd = efd, .gsi = 17 };
	uint64_t one = 1;

	TEST_ASSERT(efd >= 0, "eventfd: %s", errno_name(errno));
	route_pin(vcpu->vm, 17, 0x31);
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_IRQFD, &args));
	TEST_ASSERT(vcpu_run_out(vcpu, 0x12, 1) == 1, "APIC enabled");
	TEST_ASSERT(write(efd, &one, sizeof(one)) == sizeof(one), "eventfd write");
	/* the guest halts in the kernel until the irqfd's interrupt comes */
	expect_handler_then_main(vcpu, 0x31);
	args.flags = KVM_IRQFD_FLAG_DEASSIGN;
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_IRQFD, &args));
	close(efd);
}

static void msi(void)
{
	struct kvm_vcpu *vcpu = irqchip_guest(g_wait_irq,
					      GUEST_CODE_SIZE(g_wait_irq));
	struct kvm_msi m = { .address_lo = 0xfee00000, .data = 0x33 };

	TEST_ASSERT(vcpu_run_out(vcpu, 0x12, 1) == 1, "APIC enabled");
	/* the result is how many APICs took the message */
	TEST_ASSERT(ioctl(vcpu->vm->fd, KVM_SIGNAL_MSI, &m) == 1,
		    "KVM_SIGNAL_MSI: %s", errno_name(errno));
	expect_handler_then_main(vcpu, 0x33);
}

static void gsi_routing(void)
{
	struct kvm_vcpu *vcpu = irqchip_guest(g_wait_irq,
					      GUEST_CODE_SIZE(g_wait_irq));
	struct kvm_vm *plain = vm_create(GUEST_MEM_SIZE);
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[2];
	} rt = { .hdr.nr = 2 };
	struct kvm_irq_level l = { .irq = 100, .level = 1 };

	rt.e[0].gsi = 100;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = 0xfee00000;
	rt.e[0].u.msi.data = 0x34;
	rt.e[1].gsi = 101;
	rt.e[1].type = 99;
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL);
	EXPECT_ERRNO(ioctl(plain->fd, KVM_SET_GSI_ROUTING, &rt), EINVAL);
	rt.hdr.nr = 1;
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_SET_GSI_ROUTING, &rt));
	TEST_ASSERT(vcpu_run_out(vcpu, 0x12, 1) == 1, "APIC enabled");
	EXPECT_OK(ioctl(vcpu->vm->fd, KVM_IRQ_LINE, &l));
	expect_handler_then_main(vcpu, 0x34);
}

/* LVT timer one-shot, vector 0x32, divide by 1, a short count. */
GUEST_CODE(g_timer, ".code32",
	"movl $0x1ff, 0xfee000f0\n"
	"movl $0x32, 0xfee00320\n"
	"movl $0xb, 0xfee003e0\n"
	"movl $100000, 0xfee00380\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"hlt\n");

static void apic_timer(void)
{
	struct kvm_vcpu *vcpu = irqchip_guest(g_timer, GUEST_CODE_SIZE(g_timer));

	expect_handler_then_main(vcpu, 0x32);
}

/* Two writes to a port and two to an MMIO doorbell; the first of each matches. */
GUEST_CODE(g_doorbells, ".code32",
	"movb $0x42, %al\n"
	"outb %al, $0x90\n"
	"movb $0x43, %al\n"
	"outb %al, $0x90\n"
	"movl $0x42, 0xd0000000\n"
	"movl $0x43, 0xd0000000\n"
	"hlt\n");

static void ioeventfds(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	int pfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int mfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_ioeventfd pio = {
		.datamatch = 0x42, .addr = 0x90, .len = 1, .fd = pfd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	struct kvm_ioeventfd mmio = {
		.datamatch = 0x42, .addr = MMIO_DOORBELL, .len = 4, .fd = mfd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	struct kvm_ioeventfd bad = pio;
	uint64_t n = 0;

	vm_load_code(vm, CODE_GPA, g_doorbells);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	EXPECT_OK(ioctl(vm->fd, KVM_IOEVENTFD, &pio));
	EXPECT_ERRNO(ioctl(vm->fd, KVM_IOEVENTFD, &pio), EEXIST);
	EXPECT_OK(ioctl(vm->fd, KVM_IOEVENTFD, &mmio));
	bad.len = 3;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_IOEVENTFD, &bad), EINVAL);

	TEST_ASSERT(vcpu_run_out(vcpu, 0x90, 1) == 0x43,
		    "the non-matching port write exits");
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpu->run->mmio.phys_addr == MMIO_DOORBELL &&
		    vcpu->run->mmio.is_write &&
		    *(uint32_t *)vcpu->run->mmio.data == 0x43,
		    "the non-matching MMIO write exits (%s)",
		    exit_reason_name(vcpu->run->exit_reason));
	TEST_ASSERT(read(pfd, &n, sizeof(n)) == sizeof(n) && n == 1,
		    "port eventfd count %llu", (unsigned long long)n);
	n = 0;
	TEST_ASSERT(read(mfd, &n, sizeof(n)) == sizeof(n) && n == 1,
		    "MMIO eventfd count %llu", (unsigned long long)n);
	pio.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	EXPECT_OK(ioctl(vm->fd, KVM_IOEVENTFD, &pio));
	EXPECT_ERRNO(ioctl(vm->fd, KVM_IOEVENTFD, &pio), ENOENT);
}

/*
 * Real mode, the classic PC way: program the master PIC (ICW1-4, base 8),
 * unmask IRQ 3 only, then wait. The interrupt arrives as ExtINT through the
 * BSP's LINT0 (virtual wire, KVM's reset state).
 */
/* ICW1-4 of the master 8259: edge, vectors 0x08-0x0f, slave on IRQ 2, 8086 */
#define PIC_INIT						\
	"movb $0x11, %al\n"					\
	"outb %al, $0x20\n"					\
	"movb $0x08, %al\n"					\
	"outb %al, $0x21\n"					\
	"movb $0x04, %al\n"					\
	"outb %al, $0x21\n"					\
	"movb $0x01, %al\n"					\
	"outb %al, $0x21\n"

GUEST_CODE(g_pic, ".code16",
	PIC_INIT
	"movb $0xf7, %al\n"
	"outb %al, $0x21\n"
	"movb $1, %al\n"
	"outb %al, $0x12\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"hlt\n");

/*
 * A VM with an in-kernel irqchip and a real-mode vCPU 0 running @code whose
 * IVT sends @vector to a handler that reports it, EOIs the master PIC and
 * reports 0x55; run until the guest says its PIC is programmed.
 */
static struct kvm_vcpu *pic_real_guest(const void *code, size_t len,
				       uint8_t vector)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	const uint8_t handler[] = {	/* report, EOI, report 0x55 */
		0xb0, vector, 0xe6, PORT_HANDLER, 0xb0, 0x20, 0xe6, 0x20,
		0xb0, 0x55, 0xe6, PORT_MAIN, 0xfa, 0xf4,
	};
	uint16_t *ivt = gpa_to_hva(vm, IVT_GPA);
	struct kvm_vcpu *vcpu;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = vcpu_create(vm, 0);
	vm_load(vm, CODE_GPA, code, len);
	vm_load(vm, HANDLER_GPA, handler, sizeof(handler));
	ivt[vector * 2] = HANDLER_GPA;
	ivt[vector * 2 + 1] = 0;
	vcpu_setup_real(vcpu, CODE_GPA);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x12, 1) == 1, "PIC programmed");
	return vcpu;
}

static void pic_irq(void)
{
	struct kvm_vcpu *vcpu = pic_real_guest(g_pic, GUEST_CODE_SIZE(g_pic),
					       0x0b);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_irq_level l = { .irq = 3, .level = 1 };
	struct kvm_vm *vm = vcpu->vm;

	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT(chip.chip.pic.imr == 0xf7 && chip.chip.pic.irq_base == 8,
		    "master PIC: imr 0x%x base 0x%x", chip.chip.pic.imr,
		    chip.chip.pic.irq_base);
	EXPECT_OK(ioctl(vm->fd, KVM_IRQ_LINE, &l));
	l.level = 0;
	EXPECT_OK(ioctl(vm->fd, KVM_IRQ_LINE, &l));
	expect_handler_then_main(vcpu, 0x0b);
	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT(!chip.chip.pic.isr, "ISR 0x%x after the EOI",
		    chip.chip.pic.isr);
}

/*
 * IRQ 5 level-triggered (ELCR) and masked; the host asserts it while the
 * guest waits with IF clear; the guest initializes the PIC again (ICW1-4)
 * and unmasks IRQ 5. The 8259 samples a level input continuously and KVM's
 * kvm_pic_reset() keeps level-triggered IRR bits (irr &= elcr): it arrives.
 */
GUEST_CODE(g_pic_reinit, ".code16",
	PIC_INIT
	"movb $0xff, %al\n"
	"outb %al, $0x21\n"
	"movb $0x20, %al\n"
	"mov $0x4d0, %dx\n"
	"outb %al, %dx\n"
	"cli\n"
	"movb $1, %al\n"
	"outb %al, $0x12\n"
	PIC_INIT
	"movb $0xdf, %al\n"
	"outb %al, $0x21\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"hlt\n");

static void pic_reinit_level(void)
{
	struct kvm_vcpu *vcpu = pic_real_guest(g_pic_reinit,
					       GUEST_CODE_SIZE(g_pic_reinit),
					       0x0d);
	struct kvm_irq_level l = { .irq = 5, .level = 1 };
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_vm *vm = vcpu->vm;

	EXPECT_OK(ioctl(vm->fd, KVM_IRQ_LINE, &l));
	EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT(chip.chip.pic.elcr == 0x20 && chip.chip.pic.irr == 0x20,
		    "master PIC: ELCR 0x%x IRR 0x%x, expected 0x20 0x20",
		    chip.chip.pic.elcr, chip.chip.pic.irr);
	TEST_ASSERT(vcpu_run_timeout(vcpu, 5000),
		    "the held level line was lost by the re-initialization");
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == PORT_HANDLER &&
		    *(uint8_t *)vcpu_io_data(vcpu) == 0x0d,
		    "expected the IRQ 5 handler (vector 0x0d), got %s port 0x%x",
		    exit_reason_name(vcpu->run->exit_reason),
		    vcpu->run->io.port);
	l.level = 0;
	EXPECT_OK(ioctl(vm->fd, KVM_IRQ_LINE, &l));
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0x55, "handler's EOI");
}

/* PIC as above with IRQ 0 unmasked, then PIT channel 0 in mode 2. */
GUEST_CODE(g_pit, ".code16",
	PIC_INIT
	"movb $0xfe, %al\n"
	"outb %al, $0x21\n"
	"movb $0x34, %al\n"
	"outb %al, $0x43\n"
	"movb $0x00, %al\n"
	"outb %al, $0x40\n"
	"movb $0x10, %al\n"
	"outb %al, $0x40\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"hlt\n");

static void pit_irq0(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_pit_config cfg = { .flags = 0 };
	struct kvm_pit_state2 ps;
	static const uint8_t handler[] = {	/* report, EOI, report 0x55 */
		0xb0, 0x08, 0xe6, PORT_HANDLER, 0xb0, 0x20, 0xe6, 0x20,
		0xb0, 0x55, 0xe6, PORT_MAIN, 0xfa, 0xf4,
	};
	uint16_t *ivt = gpa_to_hva(vm, IVT_GPA);
	struct kvm_vcpu *vcpu;

	EXPECT_ERRNO(ioctl(vm->fd, KVM_GET_PIT2, &ps), ENXIO);
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_PIT2, &cfg));
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_PIT2, &cfg), EEXIST);
	vcpu = vcpu_create(vm, 0);
	vm_load_code(vm, CODE_GPA, g_pit);
	vm_load(vm, HANDLER_GPA, handler, sizeof(handler));
	ivt[0x08 * 2] = HANDLER_GPA;
	ivt[0x08 * 2 + 1] = 0;
	vcpu_setup_real(vcpu, CODE_GPA);
	/* the guest halts until channel 0's first period ends */
	expect_handler_then_main(vcpu, 0x08);
	EXPECT_OK(ioctl(vm->fd, KVM_GET_PIT2, &ps));
	TEST_ASSERT(ps.channels[0].mode == 2 && ps.channels[0].count == 0x1000 &&
		    ps.channels[0].rw_mode == 3,
		    "channel 0: mode %u count 0x%x rw %u", ps.channels[0].mode,
		    ps.channels[0].count, ps.channels[0].rw_mode);
}

/*
 * 40 times: arm the APIC timer (one-shot, 100 us), STI; HLT. The handler
 * of vector 0x32 EOIs and returns. Then report 0x77 on port 0x10.
 */
GUEST_CODE(g_halt_loop, ".code32",
	"movl $0x1ff, 0xfee000f0\n"
	"movl $0x32, 0xfee00320\n"
	"movl $0xb, 0xfee003e0\n"
	"movl $40, %ecx\n"
	"1: movl $100000, 0xfee00380\n"
	"sti\n"
	"hlt\n"
	"cli\n"
	"loop 1b\n"
	"movb $0x77, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

#define HALT_LOOPS	40

/* The halt-polling parameter of the module behind the device under test. */
static const char *halt_poll_param(void)
{
	return is_rkvm() ? "/sys/module/rkvm/parameters/halt_poll_ns" :
			   "/sys/module/kvm/parameters/halt_poll_ns";
}

static bool set_halt_poll(const char *v)
{
	FILE *f = fopen(halt_poll_param(), "w");

	if (!f)
		return false;
	fputs(v, f);
	return fclose(f) == 0;
}

/* Run g_halt_loop with halt_poll_ns = @ns; fill the VM's halt counters. */
static void halt_loop(const char *ns, long *attempted, long *ok, long *slept)
{
	struct kvm_vcpu *vcpu;
	uint8_t *h;

	TEST_ASSERT(set_halt_poll(ns), "cannot write %s", halt_poll_param());
	vcpu = irqchip_guest(g_halt_loop, GUEST_CODE_SIZE(g_halt_loop));
	h = gpa_to_hva(vcpu->vm, HANDLER_GPA + 0x32 * 32);
	/* movl $0, 0xfee000b0 (EOI); iret */
	memcpy(h, "\xc7\x05\xb0\x00\xe0\xfe\x00\x00\x00\x00\xcf", 11);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0x77,
		    "the guest did not finish its halt loop");
	*attempted = vm_debugfs_stat(vcpu->vm, "halt_attempted_poll");
	*ok = vm_debugfs_stat(vcpu->vm, "halt_successful_poll");
	*slept = vm_debugfs_stat(vcpu->vm, "halt_wakeup");
	vcpu_free(vcpu);
}

static void halt_polling(void)
{
	long att, ok, slept, att0, ok0, slept0;
	char old[32] = "";
	FILE *f = fopen(halt_poll_param(), "r");

	if (!f || !fgets(old, sizeof(old), f)) {
		if (f)
			fclose(f);
		test_skip("no %s", halt_poll_param());
		return;
	}
	fclose(f);
	halt_loop("200000", &att, &ok, &slept);
	halt_loop("0", &att0, &ok0, &slept0);
	set_halt_poll(old);
	test_log("halt_poll_ns=200000: %ld polls, %ld woken while polling, %ld sleeps; halt_poll_ns=0: %ld, %ld, %ld",
		 att, ok, slept, att0, ok0, slept0);
	TEST_ASSERT(att >= 0 && ok >= 0 && slept >= 0,
		    "the VM's debugfs halt counters are missing");
	TEST_ASSERT(ok > 0 && ok <= att,
		    "100 us halts with a 200 us polling limit: %ld of %ld polls woke the vCPU",
		    ok, att);
	TEST_ASSERT(att0 == 0 && ok0 == 0 && slept0 > 0,
		    "halt_poll_ns=0 still polled (%ld polls) or never slept (%ld)",
		    att0, slept0);
}

static const struct kvm_test tests[] = {
	{ "the 8254 PIT: channel 0 (mode 2) raises IRQ 0 through the PIC",
	  pit_irq0 },
	{ "the 8259 PIC: ICWs, IRQ 3 as ExtINT through LINT0, EOI (real mode)",
	  pic_irq },
	{ "the 8259 PIC: a held level-triggered IRQ survives re-initialization (ICW1)",
	  pic_reinit_level },
	{ "KVM_CREATE_IRQCHIP once, before vCPUs; KVM_IRQ_LINE needs it",
	  create_rules },
	{ "KVM_INTERRUPT with an in-kernel irqchip gives ENXIO", interrupt_enxio },
	{ "KVM_IRQ_LINE through the IOAPIC runs the guest's handler", irq_line },
	{ "an irqfd wakes a halted guest", irqfd },
	{ "the APIC timer fires (one-shot)", apic_timer },
	{ "KVM_SIGNAL_MSI runs the guest's handler", msi },
	{ "KVM_SET_GSI_ROUTING: an MSI route on a GSI; bad tables give EINVAL",
	  gsi_routing },
	{ "ioeventfds swallow matching port and MMIO writes", ioeventfds },
	{ "halt polling: short halts end while polling; halt_poll_ns=0 sleeps",
	  halt_polling },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
