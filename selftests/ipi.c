// SPDX-License-Identifier: GPL-2.0
/*
 * ipi: interprocessor interrupts among 4 vCPUs, each on its own thread
 * (SDM 11.6, 8.4.4). With an in-kernel irqchip the APs are created in
 * wait-for-SIPI (KVM_MP_STATE_UNINITIALIZED); the BSP starts them with
 * INIT, SIPI, SIPI (all-excluding-self), and each AP runs from vector:0000
 * in real mode: a trampoline reports its CS, switches to 32-bit protected
 * mode and joins the BSP's code. There each vCPU enables its APIC, sets a
 * flat logical ID (1 << APIC ID), meets the others at a barrier, sends the
 * IPIs the case asks for and waits (STI;HLT) until it has received as many
 * as it expects. The handlers count per vector and receiver
 * (vcpu_setup_irq_counting()); the host then compares the whole matrix
 * with the expected one. The vector says who sent what: 0x40 + sender for
 * physical destinations, 0x50 self, 0x60 + sender all-excluding-self, 0x70
 * all-including-self (from vCPU 0), 0x80 + sender logical to all others,
 * 0x90 logical from vCPU 3 to vCPUs 0 and 2.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define NR_VCPUS	4
#define SIPI_VECTOR	0x0f
#define TRAMPOLINE_GPA	(SIPI_VECTOR << 12)	/* 0xf000 */
#define AP_GDTR_GPA	0xf0f0
#define AP_IDTR_GPA	0xf0f8
#define AP32_GPA	0xf100
#define PARAMS_GPA	DATA_GPA
#define PORT_DONE	0x10
#define PORT_CS		0x14
#define PORT_BARRIER	0x15
#define RUN_LIMIT_MS	30000

#define F_STARTUP	1
#define F_PHYSICAL	2
#define F_SHORTHAND	4
#define F_LOGICAL	8

struct ipi_params {
	uint32_t ready;			/* 0xa000 */
	uint32_t sent;			/* 0xa004 */
	uint32_t flags;			/* 0xa008 */
	uint32_t ncpus;			/* 0xa00c */
	uint32_t expected[NR_VCPUS];	/* 0xa010 */
	uint64_t bound;			/* 0xa020: TSC ticks a barrier may take */
};

/* Real mode at 0f00:0000: report CS, load the GDT, enter 32-bit mode. */
GUEST_CODE(g_trampoline, ".code16",
	"mov %cs, %ax\n"
	"out %ax, $0x14\n"
	"cli\n"
	"xor %ax, %ax\n"
	"mov %ax, %ds\n"
	"lgdtl 0xf0f0\n"
	"mov %cr0, %eax\n"
	"or $1, %eax\n"
	"mov %eax, %cr0\n"
	"ljmpl $0x08, $0xf100\n");

/* 32-bit: data segments, the shared IDT, a stack per APIC ID, main. */
GUEST_CODE(g_ap32, ".code32",
	"mov $0x10, %ax\n"
	"mov %ax, %ds\n"
	"mov %ax, %es\n"
	"mov %ax, %ss\n"
	"mov %ax, %fs\n"
	"mov %ax, %gs\n"
	"lidt 0xf0f8\n"
	"mov 0xfee00020, %eax\n"
	"shr $24, %eax\n"
	"shl $10, %eax\n"
	"mov $0x7000, %esp\n"
	"sub %eax, %esp\n"
	"mov $0x8000, %eax\n"
	"jmp *%eax\n");

/*
 * Spin with interrupts enabled until the dword at @addr reaches ncpus, for
 * at most `bound' TSC ticks (then report a stuck barrier). Uses eax, edx,
 * esi, edi.
 */
#define BARRIER(addr)						\
	"sti\n"							\
	"rdtsc\n"						\
	"add 0xa020, %eax\n"					\
	"adc 0xa024, %edx\n"					\
	"mov %eax, %esi\n"					\
	"mov %edx, %edi\n"					\
	"1: mov " addr ", %eax\n"				\
	"cmp 0xa00c, %eax\n"					\
	"jae 2f\n"						\
	"pause\n"						\
	"rdtsc\n"						\
	"cmp %edi, %edx\n"					\
	"jb 1b\n"						\
	"ja 99f\n"						\
	"cmp %esi, %eax\n"					\
	"jb 1b\n"						\
	"jmp 99f\n"						\
	"2:\n"

/* Every vCPU, ebx = its APIC ID. */
GUEST_CODE(g_main, ".code32",
	"movl $0x1ff, 0xfee000f0\n"		/* SVR: APIC on */
	"mov 0xfee00020, %ebx\n"
	"shr $24, %ebx\n"
	"mov %ebx, %ecx\n"			/* LDR = 1 << ID, flat model */
	"mov $0x01000000, %eax\n"
	"shl %cl, %eax\n"
	"mov %eax, 0xfee000d0\n"
	"movl $0xffffffff, 0xfee000e0\n"
	"test %ebx, %ebx\n"
	"jnz 3f\n"
	"testl $1, 0xa008\n"
	"jz 3f\n"
	"movl $0, 0xfee00310\n"			/* INIT, SIPI, SIPI */
	"movl $0x000c4500, 0xfee00300\n"
	"movl $0x000c460f, 0xfee00300\n"
	"movl $0x000c460f, 0xfee00300\n"
	"3: lock incl 0xa000\n"
	BARRIER("0xa000")
	"testl $2, 0xa008\n"			/* physical: 0x40 + ID to each */
	"jz 5f\n"
	"xor %edi, %edi\n"
	"4: cmp %ebx, %edi\n"
	"je 45f\n"
	"mov %edi, %eax\n"
	"shl $24, %eax\n"
	"mov %eax, 0xfee00310\n"
	"lea 0x4040(%ebx), %eax\n"
	"mov %eax, 0xfee00300\n"
	"45: inc %edi\n"
	"cmp 0xa00c, %edi\n"
	"jb 4b\n"
	"5: testl $4, 0xa008\n"			/* shorthands */
	"jz 6f\n"
	"movl $0x44050, 0xfee00300\n"		/* self: 0x50 */
	"lea 0xc4060(%ebx), %eax\n"		/* all but self: 0x60 + ID */
	"mov %eax, 0xfee00300\n"
	"test %ebx, %ebx\n"
	"jnz 6f\n"
	"movl $0x84070, 0xfee00300\n"		/* all, from vCPU 0: 0x70 */
	"6: testl $8, 0xa008\n"			/* logical */
	"jz 7f\n"
	"mov %ebx, %ecx\n"
	"mov $1, %eax\n"
	"shl %cl, %eax\n"
	"xor $0xf, %eax\n"
	"shl $24, %eax\n"
	"mov %eax, 0xfee00310\n"		/* all others: 0x80 + ID */
	"lea 0x4880(%ebx), %eax\n"
	"mov %eax, 0xfee00300\n"
	"cmp $3, %ebx\n"
	"jne 7f\n"
	"movl $0x05000000, 0xfee00310\n"	/* vCPU 3 to 0 and 2: 0x90 */
	"movl $0x4890, 0xfee00300\n"
	"7: lock incl 0xa004\n"
	"mov $1000000, %ecx\n"			/* wait for what comes */
	"8: cli\n"
	"mov 0xe000(,%ebx,4), %eax\n"
	"cmp 0xa010(,%ebx,4), %eax\n"
	"jae 9f\n"
	"sti\n"
	"hlt\n"
	"loop 8b\n"
	"9: mov %ebx, %eax\n"
	"out %eax, $0x10\n"
	"hlt\n"
	"99: mov %ebx, %eax\n"
	"out %eax, $0x15\n"
	"hlt\n");

struct vcpu_result {
	struct kvm_vcpu *vcpu;
	uint32_t cs;		/* reported by the trampoline, or ~0 */
	uint32_t id;		/* reported at the end */
	bool done, timeout, barrier;
	int exception;
	uint32_t bad_exit, bad_port;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_result *r = arg;
	struct kvm_run *run = r->vcpu->run;

	for (;;) {
		uint32_t v = 0;

		if (!vcpu_run_timeout(r->vcpu, RUN_LIMIT_MS)) {
			r->timeout = true;
			break;
		}
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.direction != KVM_EXIT_IO_OUT) {
			r->bad_exit = run->exit_reason;
			break;
		}
		memcpy(&v, vcpu_io_data(r->vcpu), run->io.size);
		if (run->io.port == PORT_CS) {
			r->cs = v;
			continue;
		}
		if (run->io.port == PORT_DONE) {
			r->id = v;
			r->done = true;
		} else if (run->io.port == PORT_BARRIER) {
			r->barrier = true;
		} else if (run->io.port == IRQ_EXCEPTION_PORT) {
			r->exception = v;
		} else {
			r->bad_port = run->io.port;
		}
		break;
	}
	return NULL;
}

static uint32_t mp_state(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp;

	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
	return mp.mp_state;
}

/* What each receiver (column) gets on each vector for @flags. */
static void expected_counts(uint32_t flags, uint32_t exp[256][NR_VCPUS],
			    uint32_t total[NR_VCPUS])
{
	int i, j, v;

	memset(exp, 0, 256 * sizeof(exp[0]));
	for (i = 0; i < NR_VCPUS; i++) {
		for (j = 0; j < NR_VCPUS; j++) {
			if (flags & F_PHYSICAL && i != j)
				exp[0x40 + i][j] = 1;
			if (flags & F_SHORTHAND && i != j)
				exp[0x60 + i][j] = 1;
			if (flags & F_LOGICAL && i != j)
				exp[0x80 + i][j] = 1;
		}
		if (flags & F_SHORTHAND) {
			exp[0x50][i] = 1;
			exp[0x70][i] = 1;
		}
	}
	if (flags & F_LOGICAL) {
		exp[0x90][0] = 1;
		exp[0x90][2] = 1;
	}
	for (j = 0; j < NR_VCPUS; j++) {
		total[j] = 0;
		for (v = 0; v < 256; v++)
			total[j] += exp[v][j];
	}
}

static void run_ipis(uint32_t flags)
{
	static uint32_t exp[256][NR_VCPUS];
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct vcpu_result res[NR_VCPUS];
	pthread_t th[NR_VCPUS];
	struct irq_counters *c;
	struct ipi_params *p;
	uint16_t *desc;
	int i, v, bad = 0;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	memset(res, 0, sizeof(res));
	for (i = 0; i < NR_VCPUS; i++) {
		res[i].vcpu = vcpu_create(vm, i);
		res[i].cs = ~0u;
		res[i].exception = -1;
		vcpu_set_supported_cpuid(res[i].vcpu);
	}
	vm_load_code(vm, CODE_GPA, g_main);
	vm_load_code(vm, TRAMPOLINE_GPA, g_trampoline);
	vm_load_code(vm, AP32_GPA, g_ap32);
	vcpu_setup_pm32(res[0].vcpu, CODE_GPA, false);
	memset(irq_counters(vm), 0, sizeof(struct irq_counters));
	vcpu_setup_irq_counting(res[0].vcpu);
	desc = gpa_to_hva(vm, AP_GDTR_GPA);	/* limit, base */
	desc[0] = 6 * 8 - 1;
	desc[1] = GDT_GPA;
	desc[2] = 0;
	desc = gpa_to_hva(vm, AP_IDTR_GPA);
	desc[0] = 256 * 8 - 1;
	desc[1] = IDT_GPA;
	desc[2] = 0;
	p = gpa_to_hva(vm, PARAMS_GPA);
	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->ncpus = NR_VCPUS;
	p->bound = tsc_per_ms() * 20000;	/* 20 s */
	expected_counts(flags, exp, p->expected);

	TEST_ASSERT(mp_state(res[0].vcpu) == KVM_MP_STATE_RUNNABLE,
		    "BSP mp_state %u", mp_state(res[0].vcpu));
	for (i = 1; i < NR_VCPUS; i++)
		TEST_ASSERT(mp_state(res[i].vcpu) == KVM_MP_STATE_UNINITIALIZED,
			    "AP %d mp_state %u before INIT, expected UNINITIALIZED",
			    i, mp_state(res[i].vcpu));
	for (i = NR_VCPUS - 1; i >= 0; i--)
		TEST_ASSERT(!pthread_create(&th[i], NULL, vcpu_thread, &res[i]),
			    "pthread_create");
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(th[i], NULL);

	for (i = 0; i < NR_VCPUS; i++) {
		struct vcpu_result *r = &res[i];

		if (!r->done) {
			vcpu_dump_exit(r->vcpu);
			TEST_ASSERT(0, "vCPU %d: %s%s exception %d, exit %u, port 0x%x, %u interrupts",
				    i, r->timeout ? "timed out," : "",
				    r->barrier ? "stuck at a barrier," : "",
				    r->exception, r->bad_exit, r->bad_port,
				    irq_counters(vm)->total[i]);
		}
		TEST_ASSERT(r->id == (uint32_t)i, "vCPU %d reports APIC ID %u", i,
			    r->id);
		if (i == 0)
			TEST_ASSERT(r->cs == ~0u, "the BSP ran the trampoline");
		else
			TEST_ASSERT(r->cs == SIPI_VECTOR << 8,
				    "AP %d started with CS 0x%x, expected 0x%x", i,
				    r->cs, SIPI_VECTOR << 8);
		TEST_ASSERT(mp_state(r->vcpu) == KVM_MP_STATE_RUNNABLE,
			    "vCPU %d mp_state %u at the end", i,
			    mp_state(r->vcpu));
	}
	c = irq_counters(vm);
	for (v = 32; v < 256; v++) {
		for (i = 0; i < NR_VCPUS; i++) {
			if (c->count[v][i] == exp[v][i])
				continue;
			test_log("vector 0x%x on vCPU %d: %u, expected %u", v, i,
				 c->count[v][i], exp[v][i]);
			bad++;
		}
	}
	test_log("interrupts received: %u %u %u %u (expected %u %u %u %u)",
		 c->total[0], c->total[1], c->total[2], c->total[3],
		 p->expected[0], p->expected[1], p->expected[2],
		 p->expected[3]);
	TEST_ASSERT(!bad, "%d vector/vCPU counts differ", bad);
}

static void startup(void)
{
	run_ipis(F_STARTUP);
}

static void physical(void)
{
	run_ipis(F_STARTUP | F_PHYSICAL);
}

static void shorthands(void)
{
	run_ipis(F_STARTUP | F_SHORTHAND);
}

static void logical(void)
{
	run_ipis(F_STARTUP | F_LOGICAL);
}

static void all_kinds(void)
{
	run_ipis(F_STARTUP | F_PHYSICAL | F_SHORTHAND | F_LOGICAL);
}

static const struct kvm_test tests[] = {
	{ "INIT/SIPI/SIPI: 3 APs leave wait-for-SIPI at vector:0000 (real mode)",
	  startup },
	{ "fixed IPIs, physical destination: each vCPU to each other", physical },
	{ "shorthands: self, all including self, all excluding self",
	  shorthands },
	{ "logical destination (flat model): multicast to sets of vCPUs",
	  logical },
	{ "all of them at once", all_kinds },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
