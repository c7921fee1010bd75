// SPDX-License-Identifier: GPL-2.0
/*
 * interrupts: userspace interrupt injection without an in-kernel irqchip
 * (api.rst: KVM_INTERRUPT, request_interrupt_window,
 * ready_for_interrupt_injection, if_flag, KVM_EXIT_IRQ_WINDOW_OPEN) and
 * exceptions delivered through the guest's IVT/IDT.
 *
 * Handlers are stubs at HANDLER_GPA + vector * 8 that report their vector
 * on port 0x11 and then IRET (interrupts, INT n) or HLT (faults).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define HANDLER_GPA	0x9000UL
#define PORT_MAIN	0x10
#define PORT_HANDLER	0x11

/* Write stubs for all 256 vectors and point the real-mode IVT at them. */
static void write_handlers(struct kvm_vm *vm, bool iret)
{
	uint8_t *h = gpa_to_hva(vm, HANDLER_GPA);
	int v;

	for (v = 0; v < 256; v++) {
		uint8_t *p = h + v * 8;

		p[0] = 0xb0;		/* mov $v, %al */
		p[1] = v;
		p[2] = 0xe6;		/* out %al, $0x11 */
		p[3] = PORT_HANDLER;
		p[4] = iret ? 0xcf : 0xf4;	/* iret / hlt */
	}
}

static void write_ivt(struct kvm_vm *vm)
{
	uint16_t *ivt = gpa_to_hva(vm, IVT_GPA);
	int v;

	for (v = 0; v < 256; v++) {
		ivt[v * 2] = HANDLER_GPA + v * 8;
		ivt[v * 2 + 1] = 0;
	}
}

static struct kvm_vcpu *real_with_ivt(const void *code, size_t len,
				      bool iret)
{
	struct kvm_vcpu *vcpu = vm_with_real_guest(code, len);

	write_handlers(vcpu->vm, iret);
	write_ivt(vcpu->vm);
	return vcpu;
}

static void inject(struct kvm_vcpu *vcpu, uint32_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	TEST_ASSERT(ioctl(vcpu->fd, KVM_INTERRUPT, &irq) == 0,
		    "KVM_INTERRUPT %u: %s", vector, errno_name(errno));
}

GUEST_CODE(g_sti_hlt, ".code16",
	"sti\n"
	"hlt\n"
	"movb $0x55, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/*
 * A guest halted with IF=1: if_flag and ready_for_interrupt_injection
 * are 1; KVM_INTERRUPT queues the vector, the next KVM_RUN runs the IVT
 * handler, whose IRET returns after the HLT.
 */
static void inject_real(void)
{
	struct kvm_vcpu *vcpu = real_with_ivt(g_sti_hlt,
					      GUEST_CODE_SIZE(g_sti_hlt), true);
	struct kvm_run *run = vcpu->run;
	uint32_t v;

	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT(run->if_flag == 1, "if_flag %u with IF set", run->if_flag);
	TEST_ASSERT(run->ready_for_interrupt_injection == 1,
		    "ready_for_interrupt_injection %u with IF set, none pending",
		    run->ready_for_interrupt_injection);
	inject(vcpu, 0x20);
	v = vcpu_run_out(vcpu, PORT_HANDLER, 1);
	TEST_ASSERT(v == 0x20, "handler reported vector 0x%x, injected 0x20",
		    v);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0x55,
		    "IRET did not return after the HLT");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* The same through a 32-bit IDT interrupt gate (the stub halts). */
GUEST_CODE(g_sti_hlt32, ".code32",
	"sti\n"
	"hlt\n"
	"movb $0x55, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* INT n and IRET in 32-bit protected mode. */
GUEST_CODE(g_intn32, ".code32",
	"int $0x21\n"
	"movb $0x99, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void intn_pm32(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_GPA, g_intn32);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	write_handlers(vm, true);
	vcpu_write_idt32(vcpu, HANDLER_GPA, 8);
	/* the development host's nested KVM fails to emulate this */
	vcpu_run(vcpu);
	EXPECT_6_1(vcpu->run->exit_reason == KVM_EXIT_IO,
		   "INT 0x21 in 32-bit mode: exit %s, expected KVM_EXIT_IO",
		   exit_reason_name(vcpu->run->exit_reason));
	TEST_ASSERT(vcpu->run->io.port == PORT_HANDLER &&
		    *(uint8_t *)vcpu_io_data(vcpu) == 0x21, "vector");
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0x99,
		    "IRET from INT 0x21");
}

static void inject_pm32(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	uint32_t v;

	vm_load_code(vm, CODE_GPA, g_sti_hlt32);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	write_handlers(vm, false);
	vcpu_write_idt32(vcpu, HANDLER_GPA, 8);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT(vcpu->run->ready_for_interrupt_injection,
		    "not ready for injection");
	inject(vcpu, 0xec);
	v = vcpu_run_out(vcpu, PORT_HANDLER, 1);
	TEST_ASSERT(v == 0xec, "handler reported vector 0x%x, injected 0xec",
		    v);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/*
 * IF=0: if_flag and ready_for_interrupt_injection are 0.  With
 * request_interrupt_window set, KVM_RUN returns KVM_EXIT_IRQ_WINDOW_OPEN
 * once the guest can take an interrupt (after STI and its shadow); the
 * vector injected then runs before the rest of the guest.
 */
/*
 * 6.1 (vcpu_run()): with request_interrupt_window set and no irqchip,
 * KVM_RUN returns KVM_EXIT_IRQ_WINDOW_OPEN as soon as the vCPU can take
 * an interrupt.  The nested KVM of the development host runs on instead.
 */
static void expect_window(struct kvm_vcpu *vcpu)
{
	vcpu_run(vcpu);
	if (vcpu->run->exit_reason != KVM_EXIT_IRQ_WINDOW_OPEN)
		vcpu_dump_exit(vcpu);
	EXPECT_6_1(vcpu->run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN,
		   "expected KVM_EXIT_IRQ_WINDOW_OPEN, got %s",
		   exit_reason_name(vcpu->run->exit_reason));
}

GUEST_CODE(g_window, ".code16",
	"cli\n"
	"movb $1, %al\n"
	"outb %al, $0x10\n"
	"sti\n"
	"movw $1000, %cx\n"
	"1: loop 1b\n"
	"movb $0xee, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void interrupt_window(void)
{
	struct kvm_vcpu *vcpu = real_with_ivt(g_window,
					      GUEST_CODE_SIZE(g_window), true);
	struct kvm_run *run = vcpu->run;
	uint32_t v;

	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 1, "first OUT");
	TEST_ASSERT(run->if_flag == 0, "if_flag %u after CLI", run->if_flag);
	TEST_ASSERT(run->ready_for_interrupt_injection == 0,
		    "ready_for_interrupt_injection %u after CLI",
		    run->ready_for_interrupt_injection);
	run->request_interrupt_window = 1;
	expect_window(vcpu);
	TEST_ASSERT(run->if_flag == 1 && run->ready_for_interrupt_injection,
		    "window open but if_flag %u ready %u", run->if_flag,
		    run->ready_for_interrupt_injection);
	run->request_interrupt_window = 0;
	inject(vcpu, 0x30);
	v = vcpu_run_out(vcpu, PORT_HANDLER, 1);
	TEST_ASSERT(v == 0x30, "handler reported 0x%x, injected 0x30", v);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0xee, "final OUT");
}

/* request_interrupt_window while IF=1: the window is open at once. */
GUEST_CODE(g_window_open, ".code16",
	"sti\n"
	"movb $1, %al\n"
	"outb %al, $0x10\n"
	"movw $1000, %cx\n"
	"1: loop 1b\n"
	"movb $0xee, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void interrupt_window_open(void)
{
	struct kvm_vcpu *vcpu = real_with_ivt(g_window_open,
					      GUEST_CODE_SIZE(g_window_open),
					      true);
	struct kvm_run *run = vcpu->run;

	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 1, "first OUT");
	TEST_ASSERT(run->if_flag == 1 && run->ready_for_interrupt_injection,
		    "IF set: if_flag %u ready %u", run->if_flag,
		    run->ready_for_interrupt_injection);
	run->request_interrupt_window = 1;
	expect_window(vcpu);
}

/*
 * kvm_vcpu_ioctl_interrupt(): a vector >= 256 (KVM_NR_INTERRUPTS) is
 * EINVAL.  (Without an irqchip, 6.1 queues the vector for the next entry
 * without looking at IF or at a vector already queued: EEXIST is only for
 * the split irqchip, so it is not tested here.)
 */
static void interrupt_errors(void)
{
	struct kvm_vcpu *vcpu = real_with_ivt(g_sti_hlt,
					      GUEST_CODE_SIZE(g_sti_hlt), true);
	struct kvm_interrupt irq = { .irq = 256 };

	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_INTERRUPT, &irq), EINVAL);
	irq.irq = 0xffffffff;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_INTERRUPT, &irq), EINVAL);
	irq.irq = 0xff;
	EXPECT_OK(ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
}

/* Faults (#UD, #DE) and INT n go to the guest's own IVT handlers. */
GUEST_CODE(g_ud, ".code16", "ud2\n");
GUEST_CODE(g_de, ".code16",
	"xorb %bl, %bl\n"
	"movw $1, %ax\n"
	"divb %bl\n");
GUEST_CODE(g_intn, ".code16",
	"int $0x21\n"
	"movb $0x99, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void exceptions_real(void)
{
	struct kvm_vcpu *vcpu;

	vcpu = real_with_ivt(g_ud, GUEST_CODE_SIZE(g_ud), false);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_HANDLER, 1) == 6, "#UD vector");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);

	vcpu = real_with_ivt(g_de, GUEST_CODE_SIZE(g_de), false);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_HANDLER, 1) == 0, "#DE vector");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);

	vcpu = real_with_ivt(g_intn, GUEST_CODE_SIZE(g_intn), true);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_HANDLER, 1) == 0x21,
		    "INT 0x21 vector");
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0x99,
		    "IRET from INT 0x21");
}

/* #UD through a 32-bit IDT: the handler runs (no exit to userspace). */
GUEST_CODE(g_ud32, ".code32", "ud2\n");

static void exception_pm32(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_GPA, g_ud32);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	write_handlers(vm, false);
	vcpu_write_idt32(vcpu, HANDLER_GPA, 8);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_HANDLER, 1) == 6, "#UD vector");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* Several injections in a row, each handled before the next. */
GUEST_CODE(g_sti_hlt_loop, ".code16",
	"sti\n"
	"movw $10, %cx\n"
	"1: hlt\n"
	"loop 1b\n"
	"movb $0x55, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void inject_many(void)
{
	struct kvm_vcpu *vcpu = real_with_ivt(g_sti_hlt_loop,
					      GUEST_CODE_SIZE(g_sti_hlt_loop),
					      true);
	uint32_t i, v;

	for (i = 0; i < 10; i++) {
		vcpu_run_expect(vcpu, KVM_EXIT_HLT);
		inject(vcpu, 0x40 + i);
		v = vcpu_run_out(vcpu, PORT_HANDLER, 1);
		TEST_ASSERT(v == 0x40 + i, "injection %u: vector 0x%x", i, v);
	}
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_MAIN, 1) == 0x55, "final OUT");
}

static const struct kvm_test tests[] = {
	{ "KVM_INTERRUPT runs the real-mode IVT handler", inject_real },
	{ "KVM_INTERRUPT runs the 32-bit IDT handler", inject_pm32 },
	{ "request_interrupt_window gives KVM_EXIT_IRQ_WINDOW_OPEN after STI",
	  interrupt_window },
	{ "request_interrupt_window with IF set exits at once",
	  interrupt_window_open },
	{ "KVM_INTERRUPT with vector >= 256 gives EINVAL", interrupt_errors },
	{ "#UD, #DE and INT n use the real-mode IVT", exceptions_real },
	{ "#UD uses the 32-bit IDT", exception_pm32 },
	{ "INT n and IRET through the 32-bit IDT", intn_pm32 },
	{ "ten injections in a row", inject_many },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
