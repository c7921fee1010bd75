// SPDX-License-Identifier: GPL-2.0
/*
 * io: port I/O exits (api.rst, KVM_EXIT_IO): direction, size, port, count
 * and data at kvm_run + io.data_offset; IN completion (the data userspace
 * leaves in the run page is what the guest's IN returns on the next
 * KVM_RUN); string OUTS/INS with REP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

/* Run and expect an IN of @size bytes, count 1, from @port. */
static void expect_in(struct kvm_vcpu *vcpu, uint16_t port, int size)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run_expect(vcpu, KVM_EXIT_IO);
	if (run->io.direction != KVM_EXIT_IO_IN || run->io.port != port ||
	    run->io.size != size || run->io.count != 1) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "expected IN port 0x%x size %d count 1", port,
			    size);
	}
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset + size <=
		    (uint64_t)vcpu->vm->run_size,
		    "io.data_offset 0x%llx outside the kvm_run mapping",
		    (unsigned long long)run->io.data_offset);
}

/* OUT of 1, 2 and 4 bytes to a DX port, immediate port. */
GUEST_CODE(g_out_sizes, ".code16",
	"movw $0x80, %dx\n"
	"movl $0x87654321, %eax\n"
	"outb %al, %dx\n"
	"outw %ax, %dx\n"
	"outl %eax, %dx\n"
	"outb %al, $0x70\n"
	"outw %ax, $0x72\n"
	"outl %eax, $0x74\n"
	"hlt\n");

static void out_sizes(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_out_sizes);
	uint32_t v;

	v = vcpu_run_out(vcpu, 0x80, 1);
	TEST_ASSERT(v == 0x21, "outb: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x80, 2);
	TEST_ASSERT(v == 0x4321, "outw: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x80, 4);
	TEST_ASSERT(v == 0x87654321, "outl: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x70, 1);
	TEST_ASSERT(v == 0x21, "outb imm: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x72, 2);
	TEST_ASSERT(v == 0x4321, "outw imm: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x74, 4);
	TEST_ASSERT(v == 0x87654321, "outl imm: 0x%x", v);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* Ports across the 16-bit range, through DX and as imm8. */
GUEST_CODE(g_ports, ".code16",
	"movb $1, %al\n"
	"outb %al, $0x00\n"
	"outb %al, $0xff\n"
	"movw $0x100, %dx\n"
	"outb %al, %dx\n"
	"movw $0x3f8, %dx\n"
	"outb %al, %dx\n"
	"movw $0xcf8, %dx\n"
	"outb %al, %dx\n"
	"movw $0xffff, %dx\n"
	"outb %al, %dx\n"
	"hlt\n");

static void port_numbers(void)
{
	static const uint16_t ports[] = { 0, 0xff, 0x100, 0x3f8, 0xcf8,
					  0xffff };
	struct kvm_vcpu *vcpu = real_guest(g_ports);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ports); i++)
		vcpu_run_out(vcpu, ports[i], 1);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/*
 * IN of each size; the guest echoes what it got with a 32-bit OUT.  A
 * byte or word IN replaces only AL or AX: the rest of EAX is kept.
 */
GUEST_CODE(g_in_sizes, ".code16",
	"movw $0x60, %dx\n"
	"movl $0x11223344, %eax\n"
	"inb %dx, %al\n"
	"outl %eax, $0x10\n"
	"movl $0x11223344, %eax\n"
	"inw %dx, %ax\n"
	"outl %eax, $0x10\n"
	"inl %dx, %eax\n"
	"outl %eax, $0x10\n"
	"inb $0x64, %al\n"
	"outl %eax, $0x10\n"
	"hlt\n");

static void in_sizes(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_in_sizes);
	uint32_t v, data;

	expect_in(vcpu, 0x60, 1);
	*(uint8_t *)vcpu_io_data(vcpu) = 0xab;
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT(v == 0x112233ab, "inb: eax 0x%x, expected 0x112233ab", v);

	expect_in(vcpu, 0x60, 2);
	*(uint16_t *)vcpu_io_data(vcpu) = 0xbeef;
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT(v == 0x1122beef, "inw: eax 0x%x, expected 0x1122beef", v);

	expect_in(vcpu, 0x60, 4);
	data = 0xdeadbeef;
	memcpy(vcpu_io_data(vcpu), &data, 4);
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT(v == 0xdeadbeef, "inl: eax 0x%x, expected 0xdeadbeef", v);

	expect_in(vcpu, 0x64, 1);
	*(uint8_t *)vcpu_io_data(vcpu) = 0x5a;
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT((v & 0xff) == 0x5a, "inb imm: al 0x%x", v & 0xff);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* The same in 32-bit mode (operand size from CS.D, 0x66 for words). */
GUEST_CODE(g_io32, ".code32",
	"movw $0x1234, %dx\n"
	"inl %dx, %eax\n"
	"addl $1, %eax\n"
	"outl %eax, %dx\n"
	"outw %ax, %dx\n"
	"hlt\n");

static void io_32bit(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	uint32_t v = 0x7ffffffe;

	vm_load_code(vm, CODE_GPA, g_io32);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	expect_in(vcpu, 0x1234, 4);
	memcpy(vcpu_io_data(vcpu), &v, 4);
	v = vcpu_run_out(vcpu, 0x1234, 4);
	TEST_ASSERT(v == 0x7fffffff, "outl: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x1234, 2);
	TEST_ASSERT(v == 0xffff, "outw: 0x%x", v);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/*
 * Gather the data of a REP OUTS of @n elements of @size bytes to @port.
 * KVM may split it into several exits (6.1's emulator sends OUTS one
 * element per exit, count 1); each exit carries count elements.
 */
static void gather_outs(struct kvm_vcpu *vcpu, uint16_t port, int size,
			unsigned int n, void *buf)
{
	struct kvm_run *run = vcpu->run;
	unsigned int total = 0;

	while (total < n) {
		vcpu_run_expect(vcpu, KVM_EXIT_IO);
		TEST_ASSERT(run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.port == port && run->io.size == size &&
			    run->io.count >= 1 && total + run->io.count <= n,
			    "outs exit: dir %u port 0x%x size %u count %u (%u of %u done)",
			    run->io.direction, run->io.port, run->io.size,
			    run->io.count, total, n);
		TEST_ASSERT(run->io.data_offset + run->io.count * size <=
			    (uint64_t)vcpu->vm->run_size,
			    "outs data beyond the kvm_run mapping");
		memcpy((uint8_t *)buf + total * size, vcpu_io_data(vcpu),
		       run->io.count * size);
		total += run->io.count;
	}
}

/*
 * REP OUTSB/OUTSW: every element reaches userspace, in order; afterwards
 * CX is 0 and SI has advanced past the string.
 */
GUEST_CODE(g_outs, ".code16",
	"cld\n"
	"movw $0xa000, %si\n"
	"movw $5, %cx\n"
	"movw $0x3f8, %dx\n"
	"rep outsb\n"
	"movw $0xa010, %si\n"
	"movw $3, %cx\n"
	"rep outsw\n"
	"hlt\n");

static void rep_outs(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_outs);
	static const uint16_t words[3] = { 0x1111, 0x2222, 0x3333 };
	uint8_t *data = gpa_to_hva(vcpu->vm, DATA_GPA);
	uint16_t gotw[3];
	struct kvm_regs r;
	char got[8] = "";

	memcpy(data, "hello", 5);
	memcpy(data + 0x10, words, sizeof(words));
	gather_outs(vcpu, 0x3f8, 1, 5, got);
	TEST_ASSERT(!memcmp(got, "hello", 5), "outsb data \"%.5s\"", got);
	gather_outs(vcpu, 0x3f8, 2, 3, gotw);
	TEST_ASSERT(!memcmp(gotw, words, sizeof(words)),
		    "outsw data 0x%x 0x%x 0x%x", gotw[0], gotw[1], gotw[2]);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_get_regs(vcpu, &r);
	TEST_ASSERT((r.rcx & 0xffff) == 0 && (r.rsi & 0xffff) == 0xa016,
		    "after rep outs: cx 0x%llx si 0x%llx",
		    (unsigned long long)r.rcx, (unsigned long long)r.rsi);
}

/* REP INSB/INSW: userspace supplies count elements, they land at ES:DI. */
GUEST_CODE(g_ins, ".code16",
	"cld\n"
	"movw $0xa100, %di\n"
	"movw $4, %cx\n"
	"movw $0x60, %dx\n"
	"rep insb\n"
	"movw $2, %cx\n"
	"rep insw\n"
	"movl 0xa100, %eax\n"
	"outl %eax, $0x10\n"
	"movl 0xa104, %eax\n"
	"outl %eax, $0x10\n"
	"hlt\n");

static void rep_ins(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_ins);
	struct kvm_run *run = vcpu->run;
	static const uint8_t bytes[4] = { 0x44, 0x33, 0x22, 0x11 };
	static const uint16_t words[2] = { 0x6655, 0x8877 };
	unsigned int total = 0;
	uint32_t v;

	while (total < 4) {
		vcpu_run_expect(vcpu, KVM_EXIT_IO);
		TEST_ASSERT(run->io.direction == KVM_EXIT_IO_IN &&
			    run->io.port == 0x60 && run->io.size == 1 &&
			    run->io.count >= 1 && total + run->io.count <= 4,
			    "insb exit: dir %u port 0x%x size %u count %u",
			    run->io.direction, run->io.port, run->io.size,
			    run->io.count);
		memcpy(vcpu_io_data(vcpu), bytes + total, run->io.count);
		total += run->io.count;
	}
	vcpu_run_expect(vcpu, KVM_EXIT_IO);
	TEST_ASSERT(run->io.direction == KVM_EXIT_IO_IN &&
		    run->io.size == 2 && run->io.count == 2,
		    "insw exit: size %u count %u", run->io.size, run->io.count);
	memcpy(vcpu_io_data(vcpu), words, sizeof(words));
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT(v == 0x11223344, "insb data: 0x%x", v);
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT(v == 0x88776655, "insw data: 0x%x", v);
}

/* 1000 OUTs in a loop: every one is an exit with the right value. */
GUEST_CODE(g_many, ".code16",
	"xorw %ax, %ax\n"
	"movw $1000, %cx\n"
	"1: incw %ax\n"
	"outw %ax, $0x10\n"
	"loop 1b\n"
	"hlt\n");

static void many_exits(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_many);
	uint32_t i, v;

	for (i = 1; i <= 1000; i++) {
		v = vcpu_run_out(vcpu, 0x10, 2);
		TEST_ASSERT(v == i, "OUT #%u carried %u", i, v);
	}
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/*
 * 6.1's emulator reads INS data ahead (pio_in_emulated(): up to the page
 * end and 1 KiB): REP INSB with CX = 4 is a single exit with count 4.
 */
static void rep_ins_count(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_ins);
	struct kvm_run *run = vcpu->run;

	vcpu_run_expect(vcpu, KVM_EXIT_IO);
	TEST_ASSERT(run->io.direction == KVM_EXIT_IO_IN &&
		    run->io.size == 1 && run->io.count == 4,
		    "rep insb, cx 4: expected one IN exit with count 4, got dir %u size %u count %u",
		    run->io.direction, run->io.size, run->io.count);
}

static const struct kvm_test tests[] = {
	{ "OUT sizes 1/2/4, DX and immediate ports", out_sizes },
	{ "OUT to ports 0, 0xff, 0x100, 0x3f8, 0xcf8, 0xffff", port_numbers },
	{ "IN sizes 1/2/4: run-page data lands in AL/AX/EAX", in_sizes },
	{ "32-bit mode IN/OUT sizes", io_32bit },
	{ "REP OUTSB/OUTSW deliver all data in order", rep_outs },
	{ "REP INSB/INSW store userspace data at ES:DI", rep_ins },
	{ "REP INSB of 4 bytes is one exit with count 4", rep_ins_count },
	{ "1000 OUT exits in sequence", many_exits },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
