// SPDX-License-Identifier: GPL-2.0
/*
 * mmio: guest accesses to guest-physical addresses outside every memslot
 * (and writes to KVM_MEM_READONLY slots) exit as KVM_EXIT_MMIO (api.rst):
 * phys_addr, len, is_write and, for a write, the bytes written in data[].
 * A read is completed by the data userspace leaves in mmio.data before the
 * next KVM_RUN.  Covered: every MOV form (88/89/8A/8B/C6/C7/A0-A3) in
 * sizes 1/2/4/8, MOVZX/MOVSX/MOVSXD, STOS/LODS/MOVS single and with REP, in
 * real mode, 32-bit protected mode and long mode, with disp8/disp32/SIB/
 * RIP-relative/32-bit addressing and segment overrides.
 *
 * KVM's emulator (arch/x86/kvm/emulate.c) gives one exit per access: a
 * REP string instruction is one exit per element, each element's data
 * in order (string_insn_completed(), read_emulated()).  A read into a
 * register follows the instruction's width (assign_register()): 8 and
 * 16 bits keep the rest of the register, 32 bits zero-extend into 64
 * bits, MOVZX/MOVSX extend to the destination size.
 *
 * Each guest is a straight list of accesses, a checkpoint OUT to port
 * 0x11 after each read, and HLT.  The host walks a table of expected
 * exits (struct step) and register values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define MEM_SIZE	0x10000UL	/* slot 0: 64 KiB at GPA 0 */
#define PORT_CHK	0x11
#define PORT_RESULT	0x10
#define RAM_SRC		DATA_GPA	/* 0xa000: RAM source of MOVS */
#define RAM_DST		(DATA_GPA + 0x100)

/* struct kvm_regs as an array of u64 */
enum { RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8, R9, R10, R11, R12, R13,
       R14, R15, RIP, RFLAGS };
static const char *const reg_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
};

struct step {
	char kind;	/* W, w (data from RAM at @data), R, C, K, M, H */
	uint64_t gpa;	/* W/w/R/M: address */
	uint8_t len;	/* W/w/R/M: bytes */
	uint64_t data;	/* W: expected data, R: data supplied, M: value */
	int reg;	/* K */
	uint64_t val;	/* K: expected register value */
	uint64_t mask;	/* K: bits compared */
	const char *what;
};

/* An MMIO write exit with @data. */
#define W(gpa, len, data, what)	{ 'W', gpa, len, data, 0, 0, 0, what }
/* An MMIO write exit whose data are the @len bytes of RAM at @src. */
#define WRAM(gpa, len, src, what) { 'w', gpa, len, src, 0, 0, 0, what }
/* An MMIO read exit, completed with @data. */
#define R(gpa, len, data, what)	{ 'R', gpa, len, data, 0, 0, 0, what }
/* The checkpoint: OUT to PORT_CHK. */
#define C()			{ 'C', 0, 0, 0, 0, 0, 0, "checkpoint" }
/* Register @reg (all 64 bits / the low 32 / low 16) must be @val. */
#define K(reg, val)		{ 'K', 0, 0, 0, reg, val, ~0ULL, #reg }
#define K32(reg, val)		{ 'K', 0, 0, 0, reg, val, 0xffffffffULL, #reg }
/* Guest RAM at @gpa holds @len bytes of @val. */
#define M(gpa, len, val)	{ 'M', gpa, len, val, 0, 0, 0, "RAM" }
#define H()			{ 'H', 0, 0, 0, 0, 0, 0, "hlt" }

static const char *step_desc(const struct step *s, int i)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "step %d (%c: %s)", i, s->kind, s->what);
	return buf;
}

static void expect_mmio(struct kvm_vcpu *vcpu, const struct step *s, int i,
			bool write, uint64_t data)
{
	struct kvm_run *run = vcpu->run;
	uint64_t got = 0;

	vcpu_run(vcpu);
	if (run->exit_reason != KVM_EXIT_MMIO) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "%s: expected KVM_EXIT_MMIO %s gpa 0x%llx len %u, got %s",
			    step_desc(s, i), write ? "write" : "read",
			    (unsigned long long)s->gpa, s->len,
			    exit_reason_name(run->exit_reason));
	}
	if (run->mmio.phys_addr != s->gpa || run->mmio.len != s->len ||
	    run->mmio.is_write != write) {
		vcpu_dump_exit(vcpu);
		TEST_ASSERT(0, "%s: expected MMIO %s gpa 0x%llx len %u, got %s gpa 0x%llx len %u",
			    step_desc(s, i), write ? "write" : "read",
			    (unsigned long long)s->gpa, s->len,
			    run->mmio.is_write ? "write" : "read",
			    (unsigned long long)run->mmio.phys_addr,
			    run->mmio.len);
	}
	if (write) {
		memcpy(&got, run->mmio.data, s->len);
		TEST_ASSERT(got == data,
			    "%s: MMIO write gpa 0x%llx len %u: expected data 0x%llx, got 0x%llx",
			    step_desc(s, i), (unsigned long long)s->gpa,
			    s->len, (unsigned long long)data,
			    (unsigned long long)got);
	} else {
		memcpy(run->mmio.data, &data, s->len);
	}
}

static void run_steps(struct kvm_vcpu *vcpu, const struct step *steps, int n)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	uint64_t v, *r = (uint64_t *)&regs;
	int i;

	for (i = 0; i < n; i++) {
		const struct step *s = &steps[i];

		switch (s->kind) {
		case 'W':
			expect_mmio(vcpu, s, i, true, s->data);
			break;
		case 'w':
			v = 0;
			memcpy(&v, gpa_to_hva(vcpu->vm, s->data), s->len);
			expect_mmio(vcpu, s, i, true, v);
			break;
		case 'R':
			expect_mmio(vcpu, s, i, false, s->data);
			break;
		case 'C':
			vcpu_run(vcpu);
			if (run->exit_reason != KVM_EXIT_IO ||
			    run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.port != PORT_CHK) {
				vcpu_dump_exit(vcpu);
				TEST_ASSERT(0, "%s: expected the checkpoint OUT to port 0x%x, got %s",
					    step_desc(s, i), PORT_CHK,
					    exit_reason_name(run->exit_reason));
			}
			break;
		case 'K':
			vcpu_get_regs(vcpu, &regs);
			TEST_ASSERT((r[s->reg] & s->mask) == (s->val & s->mask),
				    "%s: %s = 0x%llx, expected 0x%llx (mask 0x%llx)",
				    step_desc(s, i), reg_names[s->reg],
				    (unsigned long long)r[s->reg],
				    (unsigned long long)s->val,
				    (unsigned long long)s->mask);
			break;
		case 'M':
			v = 0;
			memcpy(&v, gpa_to_hva(vcpu->vm, s->gpa), s->len);
			TEST_ASSERT(v == s->data,
				    "%s: RAM at 0x%llx holds 0x%llx, expected 0x%llx",
				    step_desc(s, i), (unsigned long long)s->gpa,
				    (unsigned long long)v,
				    (unsigned long long)s->data);
			break;
		case 'H':
			vcpu_run(vcpu);
			if (run->exit_reason != KVM_EXIT_HLT) {
				vcpu_dump_exit(vcpu);
				TEST_ASSERT(0, "%s: expected KVM_EXIT_HLT, got %s",
					    step_desc(s, i),
					    exit_reason_name(run->exit_reason));
			}
			break;
		}
	}
}

/* VM with 64 KiB at GPA 0 (RAM source bytes 0x10, 0x20, ... at 0xa000). */
static struct kvm_vcpu *mmio_vm(const void *code, size_t len)
{
	struct kvm_vm *vm = vm_create(MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	int i;

	vm_load(vm, CODE_GPA, code, len);
	for (i = 0; i < 0x100; i++)
		vm->mem[RAM_SRC + i] = 0x10 * (i + 1);
	memset(vm->mem + RAM_DST, 0, 0x100);
	return vcpu;
}

static struct kvm_vcpu *real_vm(const void *code, size_t len)
{
	struct kvm_vcpu *vcpu = mmio_vm(code, len);

	vcpu_setup_real(vcpu, CODE_GPA);
	return vcpu;
}

/* 32-bit flat protected mode, FS based at 0xe0001000, GS at 0xe0002000. */
#define MMIO32		0xe0000000UL
static struct kvm_vcpu *pm32_vm(const void *code, size_t len)
{
	struct kvm_vcpu *vcpu = mmio_vm(code, len);
	struct kvm_sregs sregs;

	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	vcpu_get_sregs(vcpu, &sregs);
	sregs.fs.base = MMIO32 + 0x1000;
	sregs.gs.base = MMIO32 + 0x2000;
	vcpu_set_sregs(vcpu, &sregs);
	return vcpu;
}

/* Long mode (identity map of 1 GiB), FS based at MMIO64 + 0x1000, GS + 0x2000. */
#define MMIO64		0x30000000UL
static struct kvm_vcpu *long_vm(const void *code, size_t len)
{
	struct kvm_vcpu *vcpu = mmio_vm(code, len);
	struct kvm_sregs sregs;

	vcpu_setup_long(vcpu, CODE_GPA);
	vcpu_get_sregs(vcpu, &sregs);
	sregs.fs.base = MMIO64 + 0x1000;
	sregs.gs.base = MMIO64 + 0x2000;
	vcpu_set_sregs(vcpu, &sregs);
	return vcpu;
}

#define CHK	"outb %al, $0x11\n"

/* ---- real mode ----------------------------------------------------------- */

/* DS 0x2000, ES 0x2100, FS 0x2200, GS 0x2300: segments over MMIO. */
#define REAL_SEGS						\
	"movw $0x2000, %ax\n movw %ax, %ds\n"			\
	"movw $0x2100, %ax\n movw %ax, %es\n"			\
	"movw $0x2200, %ax\n movw %ax, %fs\n"			\
	"movw $0x2300, %ax\n movw %ax, %gs\n"

GUEST_CODE(g_real_w, ".code16",
	REAL_SEGS
	"movl $0x11223344, %eax\n"
	"movl $0x100, %ebx\n"
	"movl $0x99887766, %edx\n"
	"movl $0x20, %esi\n"
	"movb %dl, 0x10\n"			/* 88 /r, disp16 */
	"movb %dh, 0x11\n"			/* 88 /r, high byte */
	"movw %dx, 0x12(%bx,%si)\n"		/* 89 /r, [bx+si+disp8] */
	"movl %edx, 0x7f(%bx)\n"		/* 66 89 /r */
	"movw $0x2400, %bp\n movw %bp, %ss\n movw $0x30, %bp\n"
	"movl %edx, 0x4(%bp)\n"			/* [bp+disp8]: SS */
	"xorw %bp, %bp\n movw %bp, %ss\n"
	"movb $0x5a, %es:0x40\n"		/* 26 C6 */
	"movw $0xbeef, %fs:0x42\n"		/* 64 C7 */
	"movl $0xdeadbeef, %gs:0x44\n"		/* 65 66 C7 */
	"movb %al, 0x50\n"			/* A2 */
	"movw %ax, 0x52\n"			/* A3 */
	"movl %eax, 0x54\n"			/* 66 A3 */
	"movw %ax, %es:0x58\n"			/* 26 A3 */
	"movl %edx, 0x8(%ebx,%esi,4)\n"		/* 67 66 89, SIB */
	"hlt\n");

static const struct step real_w[] = {
	W(0x20010, 1, 0x66, "88 disp16"),
	W(0x20011, 1, 0x77, "88 dh"),
	W(0x20132, 2, 0x7766, "89 [bx+si+disp8]"),
	W(0x2017f, 4, 0x99887766, "66 89 [bx+disp8]"),
	W(0x24034, 4, 0x99887766, "66 89 [bp+disp8] (SS)"),
	W(0x21040, 1, 0x5a, "es: C6"),
	W(0x22042, 2, 0xbeef, "fs: C7"),
	W(0x23044, 4, 0xdeadbeef, "gs: 66 C7"),
	W(0x20050, 1, 0x44, "A2"),
	W(0x20052, 2, 0x3344, "A3"),
	W(0x20054, 4, 0x11223344, "66 A3"),
	W(0x21058, 2, 0x3344, "es: A3"),
	W(0x20188, 4, 0x99887766, "67 66 89 SIB"),
	H(),
};

static void real_writes(void)
{
	struct kvm_vcpu *vcpu = real_vm(g_real_w, GUEST_CODE_SIZE(g_real_w));

	run_steps(vcpu, real_w, ARRAY_SIZE(real_w));
}

GUEST_CODE(g_real_r, ".code16",
	REAL_SEGS
	"movl $0x11223344, %eax\n"
	"movl $0x100, %ebx\n"
	"movl $0x55667788, %ecx\n"
	"movl $0x99aabbcc, %edx\n"
	"movl $0x20, %esi\n"
	"movl $0xdeadbeef, %edi\n"
	"movl $0x13572468, %ebp\n"
	"movb 0x10, %dl\n" CHK			/* 8A disp16 */
	"movb 0x11(%bx), %dh\n" CHK		/* 8A high byte, disp8 */
	"movw 0x12(%bx,%si), %cx\n" CHK		/* 8B [bx+si+disp8] */
	"movl 0x30, %edi\n" CHK			/* 66 8B */
	"movb 0x40, %al\n" CHK			/* A0 */
	"movw %fs:0x42, %ax\n" CHK		/* 64 A1 */
	"movl 0x44, %eax\n" CHK			/* 66 A1 */
	"movl 0x8(%ebx,%esi,4), %eax\n" CHK	/* 67 66 8B SIB */
	"movzbw %es:0x50, %bp\n" CHK		/* 26 0F B6, 16-bit */
	"movsbl 0x51, %edi\n" CHK		/* 66 0F BE */
	"movzwl %gs:0x52, %ecx\n" CHK		/* 65 66 0F B7 */
	"movswl 0x54, %edx\n" CHK		/* 66 0F BF */
	"movl $0x77770000, %esi\n"
	"movsbw 0x56, %si\n" CHK		/* 0F BE, 16-bit */
	"hlt\n");

static const struct step real_r[] = {
	R(0x20010, 1, 0x5a, "8A dl"), C(), K32(RDX, 0x99aabb5a),
	R(0x20111, 1, 0xa5, "8A dh"), C(), K32(RDX, 0x99aaa55a),
	R(0x20132, 2, 0xcafe, "8B cx"), C(), K32(RCX, 0x5566cafe),
	R(0x20030, 4, 0x01234567, "66 8B edi"), C(), K32(RDI, 0x01234567),
	R(0x20040, 1, 0x99, "A0"), C(), K32(RAX, 0x11223399),
	R(0x22042, 2, 0x8765, "fs: A1"), C(), K32(RAX, 0x11228765),
	R(0x20044, 4, 0xfedcba98, "66 A1"), C(), K32(RAX, 0xfedcba98),
	R(0x20188, 4, 0x0badf00d, "67 66 8B SIB"), C(), K32(RAX, 0x0badf00d),
	R(0x21050, 1, 0x80, "movzbw"), C(), K32(RBP, 0x13570080),
	R(0x20051, 1, 0x80, "movsbl"), C(), K32(RDI, 0xffffff80),
	R(0x23052, 2, 0x8001, "movzwl"), C(), K32(RCX, 0x00008001),
	R(0x20054, 2, 0x8001, "movswl"), C(), K32(RDX, 0xffff8001),
	R(0x20056, 1, 0xfe, "movsbw"), C(), K32(RSI, 0x7777fffe),
	H(),
};

static void real_reads(void)
{
	struct kvm_vcpu *vcpu = real_vm(g_real_r, GUEST_CODE_SIZE(g_real_r));

	run_steps(vcpu, real_r, ARRAY_SIZE(real_r));
}

GUEST_CODE(g_real_s, ".code16",
	REAL_SEGS
	"cld\n"
	"movl $0x11223344, %eax\n"
	"xorl %edi, %edi\n xorl %esi, %esi\n"
	"movw $0x10, %di\n stosb\n" CHK
	"movl $0xabcd0003, %ecx\n movw $0x20, %di\n rep stosl\n" CHK
	"movl $0xabcd0000, %ecx\n rep stosb\n" CHK
	"std\n movw $0x40, %di\n stosw\n cld\n" CHK
	"movw $0x60, %si\n lodsb\n" CHK
	"movw $2, %cx\n movw $0x70, %si\n rep lodsw\n" CHK
	"fs lodsl\n" CHK
	/* RAM (DS 0) to MMIO (ES 0x2100) */
	"xorw %ax, %ax\n movw %ax, %ds\n"
	"movw $0xa000, %si\n movw $0x80, %di\n movsw\n" CHK
	"movw $3, %cx\n rep movsb\n" CHK
	/* MMIO (DS 0x2000) to RAM (ES 0) */
	"movw $0x2000, %ax\n movw %ax, %ds\n xorw %ax, %ax\n movw %ax, %es\n"
	"movw $0x90, %si\n movw $0xa100, %di\n movsl\n" CHK
	"hlt\n");

static const struct step real_s[] = {
	W(0x21010, 1, 0x44, "stosb"), C(), K32(RDI, 0x11),
	W(0x21020, 4, 0x11223344, "rep stosl #1"),
	W(0x21024, 4, 0x11223344, "rep stosl #2"),
	W(0x21028, 4, 0x11223344, "rep stosl #3"),
	C(), K32(RCX, 0xabcd0000), K32(RDI, 0x2c),
	C(), K32(RCX, 0xabcd0000), K32(RDI, 0x2c),	/* rep with CX 0 */
	W(0x21040, 2, 0x3344, "std; stosw"), C(), K32(RDI, 0x3e),
	R(0x20060, 1, 0xee, "lodsb"), C(), K32(RAX, 0x112233ee),
	K32(RSI, 0x61),
	R(0x20070, 2, 0x1111, "rep lodsw #1"),
	R(0x20072, 2, 0x2222, "rep lodsw #2"),
	C(), K32(RAX, 0x11222222), K32(RCX, 0xabcd0000), K32(RSI, 0x74),
	R(0x22074, 4, 0x76543210, "fs lodsl"), C(), K32(RAX, 0x76543210),
	K32(RSI, 0x78),
	WRAM(0x21080, 2, RAM_SRC, "movsw RAM->MMIO"), C(),
	K32(RSI, 0xa002), K32(RDI, 0x82),
	WRAM(0x21082, 1, RAM_SRC + 2, "rep movsb #1"),
	WRAM(0x21083, 1, RAM_SRC + 3, "rep movsb #2"),
	WRAM(0x21084, 1, RAM_SRC + 4, "rep movsb #3"),
	C(), K32(RCX, 0xabcd0000), K32(RSI, 0xa005), K32(RDI, 0x85),
	R(0x20090, 4, 0x5a5aa5a5, "movsl MMIO->RAM"), C(),
	K32(RSI, 0x94), K32(RDI, 0xa104), M(0xa100, 4, 0x5a5aa5a5),
	H(),
};

static void real_strings(void)
{
	struct kvm_vcpu *vcpu = real_vm(g_real_s, GUEST_CODE_SIZE(g_real_s));

	run_steps(vcpu, real_s, ARRAY_SIZE(real_s));
}

/* ---- 32-bit protected mode ------------------------------------------------ */

GUEST_CODE(g_pm32_w, ".code32",
	"movl $0x11223344, %eax\n"
	"movl $0xe0000100, %ebx\n"
	"movl $2, %ecx\n"
	"movl $0x99887766, %edx\n"
	"movl $0x0badcafe, %esi\n"
	"movl $0x13579bdf, %edi\n"
	"movl $0xe0000300, %ebp\n"
	"movb %dl, 0xe0000010\n"		/* 88 disp32 */
	"movb %dh, 0x11(%ebx)\n"		/* 88 disp8 */
	"movw %si, 0x12(%ebx)\n"		/* 66 89 */
	"movl %edi, 0x1000(%ebx)\n"		/* 89 disp32 */
	"movl %edx, 0x8(%ebx,%ecx,4)\n"		/* 89 SIB */
	"movl %esi, 0x4(%ebp)\n"		/* 89 [ebp+disp8]: SS */
	"movb $0x5a, %fs:0x40\n"		/* 64 C6 */
	"movw $0xbeef, %gs:0x42\n"		/* 65 66 C7 */
	"movl $0xdeadbeef, 0xe0000044\n"	/* C7 */
	"movb %al, 0xe0000050\n"		/* A2 */
	"movw %ax, 0xe0000052\n"		/* 66 A3 */
	"movl %eax, 0xe0000054\n"		/* A3 */
	"movl %eax, %fs:0x58\n"			/* 64 A3 */
	"movb %ah, 0xe0000060\n"		/* 88 ah */
	"hlt\n");

static const struct step pm32_w[] = {
	W(MMIO32 + 0x10, 1, 0x66, "88 disp32"),
	W(MMIO32 + 0x111, 1, 0x77, "88 dh disp8"),
	W(MMIO32 + 0x112, 2, 0xcafe, "66 89"),
	W(MMIO32 + 0x1100, 4, 0x13579bdf, "89 disp32"),
	W(MMIO32 + 0x110, 4, 0x99887766, "89 SIB"),
	W(MMIO32 + 0x304, 4, 0x0badcafe, "89 [ebp+disp8]"),
	W(MMIO32 + 0x1040, 1, 0x5a, "fs: C6"),
	W(MMIO32 + 0x2042, 2, 0xbeef, "gs: 66 C7"),
	W(MMIO32 + 0x44, 4, 0xdeadbeef, "C7"),
	W(MMIO32 + 0x50, 1, 0x44, "A2"),
	W(MMIO32 + 0x52, 2, 0x3344, "66 A3"),
	W(MMIO32 + 0x54, 4, 0x11223344, "A3"),
	W(MMIO32 + 0x1058, 4, 0x11223344, "fs: A3"),
	W(MMIO32 + 0x60, 1, 0x33, "88 ah"),
	H(),
};

static void pm32_writes(void)
{
	struct kvm_vcpu *vcpu = pm32_vm(g_pm32_w, GUEST_CODE_SIZE(g_pm32_w));

	run_steps(vcpu, pm32_w, ARRAY_SIZE(pm32_w));
}

GUEST_CODE(g_pm32_r, ".code32",
	"movl $0x11223344, %eax\n"
	"movl $0xe0000100, %ebx\n"
	"movl $0x55667788, %ecx\n"
	"movl $0x99aabbcc, %edx\n"
	"movl $2, %esi\n"
	"movl $0x0a0b0c0d, %edi\n"
	"movl $0x13572468, %ebp\n"
	"movb 0xe0000010, %dl\n" CHK		/* 8A disp32 */
	"movb 0x11(%ebx), %dh\n" CHK		/* 8A dh */
	"movw 0x12(%ebx), %cx\n" CHK		/* 66 8B */
	"movl 0x1000(%ebx), %edi\n" CHK		/* 8B disp32 */
	"movl 0x8(%ebx,%esi,4), %ebp\n" CHK	/* 8B SIB */
	"movb 0xe0000040, %al\n" CHK		/* A0 */
	"movw %fs:0x42, %ax\n" CHK		/* 64 66 A1 */
	"movl %cs:0xe0000044, %eax\n" CHK	/* 2E A1 */
	"movzbw 0x50(%ebx), %di\n" CHK		/* 66 0F B6 */
	"movsbl 0x51(%ebx), %edx\n" CHK		/* 0F BE */
	"movzwl %gs:0x52, %ecx\n" CHK		/* 65 0F B7 */
	"movswl 0x54(%ebx), %ebp\n" CHK		/* 0F BF */
	"movsbw 0x56(%ebx), %ax\n" CHK		/* 66 0F BE */
	"movzbl 0x57(%ebx), %esi\n" CHK		/* 0F B6 */
	"hlt\n");

static const struct step pm32_r[] = {
	R(MMIO32 + 0x10, 1, 0x5a, "8A dl"), C(), K32(RDX, 0x99aabb5a),
	R(MMIO32 + 0x111, 1, 0xa5, "8A dh"), C(), K32(RDX, 0x99aaa55a),
	R(MMIO32 + 0x112, 2, 0xcafe, "66 8B"), C(), K32(RCX, 0x5566cafe),
	R(MMIO32 + 0x1100, 4, 0x01234567, "8B disp32"), C(),
	K32(RDI, 0x01234567),
	R(MMIO32 + 0x110, 4, 0x87654321, "8B SIB"), C(), K32(RBP, 0x87654321),
	R(MMIO32 + 0x40, 1, 0x99, "A0"), C(), K32(RAX, 0x11223399),
	R(MMIO32 + 0x1042, 2, 0x8765, "fs: A1"), C(), K32(RAX, 0x11228765),
	R(MMIO32 + 0x44, 4, 0xfedcba98, "cs: A1"), C(), K32(RAX, 0xfedcba98),
	R(MMIO32 + 0x150, 1, 0x80, "movzbw"), C(), K32(RDI, 0x01230080),
	R(MMIO32 + 0x151, 1, 0x80, "movsbl"), C(), K32(RDX, 0xffffff80),
	R(MMIO32 + 0x2052, 2, 0x8001, "gs: movzwl"), C(),
	K32(RCX, 0x00008001),
	R(MMIO32 + 0x154, 2, 0x8001, "movswl"), C(), K32(RBP, 0xffff8001),
	R(MMIO32 + 0x156, 1, 0xfe, "movsbw"), C(), K32(RAX, 0xfedcfffe),
	R(MMIO32 + 0x157, 1, 0xff, "movzbl"), C(), K32(RSI, 0xff),
	H(),
};

static void pm32_reads(void)
{
	struct kvm_vcpu *vcpu = pm32_vm(g_pm32_r, GUEST_CODE_SIZE(g_pm32_r));

	run_steps(vcpu, pm32_r, ARRAY_SIZE(pm32_r));
}

GUEST_CODE(g_pm32_s, ".code32",
	"cld\n"
	"movl $0x11223344, %eax\n"
	"movl $0xe0000400, %edi\n stosb\n" CHK
	"movl $3, %ecx\n rep stosw\n" CHK
	"std\n stosl\n cld\n" CHK
	"movl $0xe0000500, %esi\n lodsw\n" CHK
	"movl $2, %ecx\n rep lodsb\n" CHK
	"movl $0x60, %esi\n fs lodsl\n" CHK
	"movl $0xa000, %esi\n movl $0xe0000600, %edi\n movsl\n" CHK
	"movl $2, %ecx\n rep movsw\n" CHK
	"movl $0xe0000700, %esi\n movl $0xa100, %edi\n movsb\n" CHK
	"movl $0x80, %esi\n gs movsl\n" CHK
	"xorl %ecx, %ecx\n rep stosb\n" CHK
	"hlt\n");

static const struct step pm32_s[] = {
	W(MMIO32 + 0x400, 1, 0x44, "stosb"), C(), K32(RDI, MMIO32 + 0x401),
	W(MMIO32 + 0x401, 2, 0x3344, "rep stosw #1"),
	W(MMIO32 + 0x403, 2, 0x3344, "rep stosw #2"),
	W(MMIO32 + 0x405, 2, 0x3344, "rep stosw #3"),
	C(), K32(RCX, 0), K32(RDI, MMIO32 + 0x407),
	W(MMIO32 + 0x407, 4, 0x11223344, "std; stosl"), C(),
	K32(RDI, MMIO32 + 0x403),
	R(MMIO32 + 0x500, 2, 0xabcd, "lodsw"), C(), K32(RAX, 0x1122abcd),
	K32(RSI, MMIO32 + 0x502),
	R(MMIO32 + 0x502, 1, 0x01, "rep lodsb #1"),
	R(MMIO32 + 0x503, 1, 0x02, "rep lodsb #2"),
	C(), K32(RAX, 0x1122ab02), K32(RCX, 0), K32(RSI, MMIO32 + 0x504),
	R(MMIO32 + 0x1060, 4, 0x76543210, "fs lodsl"), C(),
	K32(RAX, 0x76543210), K32(RSI, 0x64),
	WRAM(MMIO32 + 0x600, 4, RAM_SRC, "movsl RAM->MMIO"), C(),
	K32(RSI, 0xa004), K32(RDI, MMIO32 + 0x604),
	WRAM(MMIO32 + 0x604, 2, RAM_SRC + 4, "rep movsw #1"),
	WRAM(MMIO32 + 0x606, 2, RAM_SRC + 6, "rep movsw #2"),
	C(), K32(RCX, 0), K32(RSI, 0xa008), K32(RDI, MMIO32 + 0x608),
	R(MMIO32 + 0x700, 1, 0x5c, "movsb MMIO->RAM"), C(),
	K32(RSI, MMIO32 + 0x701), K32(RDI, 0xa101), M(0xa100, 1, 0x5c),
	R(MMIO32 + 0x2080, 4, 0x12345678, "gs movsl"), C(),
	K32(RSI, 0x84), K32(RDI, 0xa105), M(0xa101, 4, 0x12345678),
	C(), K32(RDI, 0xa105),			/* rep with ECX 0 */
	H(),
};

static void pm32_strings(void)
{
	struct kvm_vcpu *vcpu = pm32_vm(g_pm32_s, GUEST_CODE_SIZE(g_pm32_s));

	run_steps(vcpu, pm32_s, ARRAY_SIZE(pm32_s));
}

/* ---- long mode ------------------------------------------------------------- */

#define LONG_REGS						\
	"movabs $0x1122334455667788, %rax\n"			\
	"movq $0x30000100, %rbx\n"				\
	"movq $2, %rcx\n"					\
	"movabs $0x8877665544332211, %rdx\n"			\
	"movabs $0x0123456789abcdef, %rsi\n"			\
	"movabs $0xfedcba9876543210, %rdi\n"			\
	"movabs $0xffffffff30000300, %r8\n"			\
	"movabs $0x0f0e0d0c0b0a0908, %r9\n"			\
	"movabs $0xa0a1a2a3a4a5a6a7, %r10\n"			\
	"movabs $0xb0b1b2b3b4b5b6b7, %r11\n"			\
	"movq $0x30000400, %r12\n"				\
	"movq $4, %r13\n"					\
	"movabs $0xc0c1c2c3c4c5c6c7, %r14\n"			\
	"movabs $0xd0d1d2d3d4d5d6d7, %r15\n"

GUEST_CODE(g_long_w, ".code64",
	LONG_REGS
	"movb %dl, 0x30000010\n"		/* 88 SIB disp32 */
	"movb %sil, 0x11(%rbx)\n"		/* 40 88 */
	"movb %r9b, 0x12(%rbx)\n"		/* 44 88 */
	"movb %dh, 0x13(%rbx)\n"		/* 88 dh */
	"movw %dx, 0x14(%rbx)\n"		/* 66 89 */
	"movl %r10d, 0x1000(%rbx)\n"		/* 44 89 disp32 */
	"movq %r11, 0x18(%rbx,%rcx,8)\n"	/* 4C 89 SIB */
	"movb $0x5a, 0x20(%rbx)\n"		/* C6 */
	"movw $0xbeef, 0x22(%rbx)\n"		/* 66 C7 */
	"movl $0xdeadbeef, 0x24(%rbx)\n"	/* C7 */
	"movq $-2, 0x28(%rbx)\n"		/* 48 C7, imm32 sign-extended */
	"movabs %al, 0x30000050\n"		/* A2 moffs64 */
	"movabs %ax, 0x30000052\n"		/* 66 A3 */
	"movabs %eax, 0x30000054\n"		/* A3 */
	"movabs %rax, 0x30000058\n"		/* 48 A3 */
	"movl %edx, 0x30000000(%rip)\n"		/* 89 RIP-relative */
	"g_long_w_rip:\n"
	"movq %rdx, %fs:0x40\n"			/* 64 48 89 */
	"movw %dx, %gs:0x42\n"			/* 65 66 89 */
	"movl %edx, (%r8d)\n"			/* 67 41 89: 32-bit address */
	"movl %esi, 0x8(%r12,%r13,2)\n"		/* 43 89: REX.B/X SIB */
	"hlt\n");
extern const unsigned char g_long_w_rip[];

static void long_writes(void)
{
	struct kvm_vcpu *vcpu = long_vm(g_long_w, GUEST_CODE_SIZE(g_long_w));
	uint64_t rip = CODE_GPA + (g_long_w_rip - g_long_w);
	const struct step steps[] = {
		W(MMIO64 + 0x10, 1, 0x11, "88 disp32"),
		W(MMIO64 + 0x111, 1, 0xef, "40 88 sil"),
		W(MMIO64 + 0x112, 1, 0x08, "44 88 r9b"),
		W(MMIO64 + 0x113, 1, 0x22, "88 dh"),
		W(MMIO64 + 0x114, 2, 0x2211, "66 89"),
		W(MMIO64 + 0x1100, 4, 0xa4a5a6a7, "44 89 disp32"),
		W(MMIO64 + 0x128, 8, 0xb0b1b2b3b4b5b6b7ULL, "4C 89 SIB"),
		W(MMIO64 + 0x120, 1, 0x5a, "C6"),
		W(MMIO64 + 0x122, 2, 0xbeef, "66 C7"),
		W(MMIO64 + 0x124, 4, 0xdeadbeef, "C7"),
		W(MMIO64 + 0x128, 8, 0xfffffffffffffffeULL, "48 C7"),
		W(MMIO64 + 0x50, 1, 0x88, "A2 moffs64"),
		W(MMIO64 + 0x52, 2, 0x7788, "66 A3 moffs64"),
		W(MMIO64 + 0x54, 4, 0x55667788, "A3 moffs64"),
		W(MMIO64 + 0x58, 8, 0x1122334455667788ULL, "48 A3 moffs64"),
		W(rip + 0x30000000, 4, 0x44332211, "RIP-relative"),
		W(MMIO64 + 0x1040, 8, 0x8877665544332211ULL, "fs: 48 89"),
		W(MMIO64 + 0x2042, 2, 0x2211, "gs: 66 89"),
		W(MMIO64 + 0x300, 4, 0x44332211, "67 89 (%r8d)"),
		W(MMIO64 + 0x410, 4, 0x89abcdef, "43 89 (r12,r13,2)"),
		H(),
	};

	run_steps(vcpu, steps, ARRAY_SIZE(steps));
}

GUEST_CODE(g_long_r, ".code64",
	LONG_REGS
	"movb 0x30000010, %dl\n" CHK		/* 8A */
	"movb 0x11(%rbx), %dh\n" CHK		/* 8A dh */
	"movb 0x12(%rbx), %sil\n" CHK		/* 40 8A */
	"movw 0x14(%rbx), %r9w\n" CHK		/* 66 44 8B */
	"movl 0x1000(%rbx), %r10d\n" CHK	/* 44 8B: zero-extends */
	"movq 0x18(%rbx,%rcx,8), %r11\n" CHK	/* 4C 8B SIB */
	"movabs 0x30000050, %al\n" CHK		/* A0 */
	"movabs 0x30000052, %ax\n" CHK		/* 66 A1 */
	"movabs 0x30000054, %eax\n" CHK		/* A1 */
	"movabs 0x30000058, %rax\n" CHK		/* 48 A1 */
	"movzbw 0x60(%rbx), %di\n" CHK		/* 66 0F B6 */
	"movzbl 0x61(%rbx), %edi\n" CHK		/* 0F B6 */
	"movzbq 0x62(%rbx), %r14\n" CHK		/* 4C 0F B6 */
	"movzwq 0x64(%rbx), %r15\n" CHK		/* 4C 0F B7 */
	"movsbw 0x66(%rbx), %dx\n" CHK		/* 66 0F BE */
	"movsbl 0x67(%rbx), %edx\n" CHK		/* 0F BE */
	"movsbq 0x68(%rbx), %rdx\n" CHK		/* 48 0F BE */
	"movswl 0x6a(%rbx), %esi\n" CHK		/* 0F BF */
	"movswq 0x6c(%rbx), %rsi\n" CHK		/* 48 0F BF */
	"movslq 0x70(%rbx), %r9\n" CHK		/* 4C 63: MOVSXD */
	"movl 0x30000000(%rip), %r10d\n"	/* 44 8B RIP-relative */
	"g_long_r_rip:\n" CHK
	"movq %fs:0x40, %r11\n" CHK		/* 64 4C 8B */
	"movw %gs:0x42, %r14w\n" CHK		/* 65 66 44 8B */
	"movl (%r8d), %r15d\n" CHK		/* 67 45 8B */
	"movq 0x8(%r12,%r13,2), %rcx\n" CHK	/* 4B 8B */
	"hlt\n");
extern const unsigned char g_long_r_rip[];

static void long_reads(void)
{
	struct kvm_vcpu *vcpu = long_vm(g_long_r, GUEST_CODE_SIZE(g_long_r));
	uint64_t rip = CODE_GPA + (g_long_r_rip - g_long_r);
	const struct step steps[] = {
		R(MMIO64 + 0x10, 1, 0xab, "8A dl"), C(),
		K(RDX, 0x88776655443322abULL),
		R(MMIO64 + 0x111, 1, 0xcd, "8A dh"), C(),
		K(RDX, 0x887766554433cdabULL),
		R(MMIO64 + 0x112, 1, 0x5a, "40 8A sil"), C(),
		K(RSI, 0x0123456789abcd5aULL),
		R(MMIO64 + 0x114, 2, 0xbeef, "66 44 8B r9w"), C(),
		K(R9, 0x0f0e0d0c0b0abeefULL),
		R(MMIO64 + 0x1100, 4, 0x89abcdef, "44 8B r10d"), C(),
		K(R10, 0x89abcdefULL),
		R(MMIO64 + 0x128, 8, 0x0102030405060708ULL, "4C 8B SIB"), C(),
		K(R11, 0x0102030405060708ULL),
		R(MMIO64 + 0x50, 1, 0x99, "A0"), C(),
		K(RAX, 0x1122334455667799ULL),
		R(MMIO64 + 0x52, 2, 0x8765, "66 A1"), C(),
		K(RAX, 0x1122334455668765ULL),
		R(MMIO64 + 0x54, 4, 0xfedcba98, "A1"), C(),
		K(RAX, 0xfedcba98ULL),
		R(MMIO64 + 0x58, 8, 0x1111222233334444ULL, "48 A1"), C(),
		K(RAX, 0x1111222233334444ULL),
		R(MMIO64 + 0x160, 1, 0x80, "movzbw"), C(),
		K(RDI, 0xfedcba9876540080ULL),
		R(MMIO64 + 0x161, 1, 0x81, "movzbl"), C(), K(RDI, 0x81),
		R(MMIO64 + 0x162, 1, 0xff, "movzbq"), C(), K(R14, 0xff),
		R(MMIO64 + 0x164, 2, 0x8001, "movzwq"), C(), K(R15, 0x8001),
		R(MMIO64 + 0x166, 1, 0x80, "movsbw"), C(),
		K(RDX, 0x887766554433ff80ULL),
		R(MMIO64 + 0x167, 1, 0x80, "movsbl"), C(),
		K(RDX, 0xffffff80ULL),
		R(MMIO64 + 0x168, 1, 0x80, "movsbq"), C(),
		K(RDX, 0xffffffffffffff80ULL),
		R(MMIO64 + 0x16a, 2, 0x8001, "movswl"), C(),
		K(RSI, 0xffff8001ULL),
		R(MMIO64 + 0x16c, 2, 0x8001, "movswq"), C(),
		K(RSI, 0xffffffffffff8001ULL),
		R(MMIO64 + 0x170, 4, 0x80000001, "movslq"), C(),
		K(R9, 0xffffffff80000001ULL),
		R(rip + 0x30000000, 4, 0x12345678, "RIP-relative"), C(),
		K(R10, 0x12345678),
		R(MMIO64 + 0x1040, 8, 0x0a0b0c0d0e0f1011ULL, "fs: 4C 8B"), C(),
		K(R11, 0x0a0b0c0d0e0f1011ULL),
		R(MMIO64 + 0x2042, 2, 0x1234, "gs: 66 44 8B"), C(),
		K(R14, 0x1234),
		R(MMIO64 + 0x300, 4, 0xcafebabe, "67 45 8B (%r8d)"), C(),
		K(R15, 0xcafebabeULL),
		R(MMIO64 + 0x410, 8, 0x7766554433221100ULL, "4B 8B (r12,r13,2)"),
		C(), K(RCX, 0x7766554433221100ULL),
		H(),
	};

	run_steps(vcpu, steps, ARRAY_SIZE(steps));
}

GUEST_CODE(g_long_s, ".code64",
	"cld\n"
	"movabs $0x1122334455667788, %rax\n"
	"movq $0x30000400, %rdi\n stosb\n stosw\n stosl\n stosq\n" CHK
	"movq $2, %rcx\n rep stosq\n" CHK
	"std\n stosl\n cld\n" CHK
	"movq $0x30000500, %rsi\n lodsq\n" CHK
	"lodsl\n" CHK
	"movq $3, %rcx\n rep lodsb\n" CHK
	"movq $0x60, %rsi\n fs lodsw\n" CHK
	"movq $0xa000, %rsi\n movq $0x30000600, %rdi\n movsq\n" CHK
	"movq $2, %rcx\n rep movsl\n" CHK
	"movq $0x30000700, %rsi\n movq $0xa100, %rdi\n movsw\n" CHK
	"movq $0x80, %rsi\n gs movsq\n" CHK
	"xorl %ecx, %ecx\n rep stosq\n" CHK
	"movabs $0xffffffff30000800, %rdi\n addr32 stosb\n" CHK
	"hlt\n");

static const struct step long_s[] = {
	W(MMIO64 + 0x400, 1, 0x88, "stosb"),
	W(MMIO64 + 0x401, 2, 0x7788, "stosw"),
	W(MMIO64 + 0x403, 4, 0x55667788, "stosl"),
	W(MMIO64 + 0x407, 8, 0x1122334455667788ULL, "stosq"),
	C(), K(RDI, MMIO64 + 0x40f),
	W(MMIO64 + 0x40f, 8, 0x1122334455667788ULL, "rep stosq #1"),
	W(MMIO64 + 0x417, 8, 0x1122334455667788ULL, "rep stosq #2"),
	C(), K(RCX, 0), K(RDI, MMIO64 + 0x41f),
	W(MMIO64 + 0x41f, 4, 0x55667788, "std; stosl"), C(),
	K(RDI, MMIO64 + 0x41b),
	R(MMIO64 + 0x500, 8, 0x0102030405060708ULL, "lodsq"), C(),
	K(RAX, 0x0102030405060708ULL), K(RSI, MMIO64 + 0x508),
	R(MMIO64 + 0x508, 4, 0x99aabbcc, "lodsl"), C(),
	K(RAX, 0x99aabbccULL), K(RSI, MMIO64 + 0x50c),
	R(MMIO64 + 0x50c, 1, 0x11, "rep lodsb #1"),
	R(MMIO64 + 0x50d, 1, 0x22, "rep lodsb #2"),
	R(MMIO64 + 0x50e, 1, 0x33, "rep lodsb #3"),
	C(), K(RAX, 0x99aabb33ULL), K(RCX, 0), K(RSI, MMIO64 + 0x50f),
	R(MMIO64 + 0x1060, 2, 0x4455, "fs lodsw"), C(),
	K(RAX, 0x99aa4455ULL), K(RSI, 0x62),
	WRAM(MMIO64 + 0x600, 8, RAM_SRC, "movsq RAM->MMIO"), C(),
	K(RSI, 0xa008), K(RDI, MMIO64 + 0x608),
	WRAM(MMIO64 + 0x608, 4, RAM_SRC + 8, "rep movsl #1"),
	WRAM(MMIO64 + 0x60c, 4, RAM_SRC + 12, "rep movsl #2"),
	C(), K(RCX, 0), K(RSI, 0xa010), K(RDI, MMIO64 + 0x610),
	R(MMIO64 + 0x700, 2, 0xbeef, "movsw MMIO->RAM"), C(),
	K(RSI, MMIO64 + 0x702), K(RDI, 0xa102), M(0xa100, 2, 0xbeef),
	R(MMIO64 + 0x2080, 8, 0x0123456789abcdefULL, "gs movsq"), C(),
	K(RSI, 0x88), K(RDI, 0xa10a), M(0xa102, 8, 0x0123456789abcdefULL),
	C(), K(RDI, 0xa10a),			/* rep with RCX 0 */
	W(MMIO64 + 0x800, 1, 0x55, "addr32 stosb"), C(),
	K(RDI, MMIO64 + 0x801),			/* EDI, zero-extended */
	H(),
};

static void long_strings(void)
{
	struct kvm_vcpu *vcpu = long_vm(g_long_s, GUEST_CODE_SIZE(g_long_s));

	run_steps(vcpu, long_s, ARRAY_SIZE(long_s));
}

/* ---- read-only slots --------------------------------------------------------- */

#define RO_GPA		0x100000UL	/* long mode */
#define RO_GPA_REAL	0x20000UL	/* real mode, DS 0x2000 */

/*
 * A KVM_MEM_READONLY slot: reads return the slot's data without an exit,
 * writes exit as MMIO writes (with their data) and change nothing.
 */
GUEST_CODE(g_ro_long, ".code64",
	"movq $0x100000, %rbx\n"
	"movl (%rbx), %eax\n"
	"movl $0x12345678, 8(%rbx)\n"		/* C7 */
	"movq %rax, 0x1010(%rbx)\n"		/* second page */
	"movl 8(%rbx), %edx\n"
	"movq $0x100020, %rdi\n movq $2, %rcx\n movb $0x77, %al\n"
	"rep stosb\n" CHK
	"hlt\n");

static uint8_t *ro_slot(struct kvm_vm *vm, uint64_t gpa)
{
	uint8_t *m = alloc_host_mem(2 * PAGE_SIZE);
	int i;

	for (i = 0; i < (int)(2 * PAGE_SIZE); i++)
		m[i] = i * 7 + 3;
	TEST_ASSERT(kvm_check_cap(vm->kvm_fd, KVM_CAP_READONLY_MEM) > 0,
		    "KVM_CAP_READONLY_MEM not reported");
	EXPECT_OK(vm_set_region(vm, 1, KVM_MEM_READONLY, gpa, 2 * PAGE_SIZE,
				m));
	return m;
}

static void ro_unchanged(const uint8_t *m)
{
	int i;

	for (i = 0; i < (int)(2 * PAGE_SIZE); i++)
		TEST_ASSERT(m[i] == (uint8_t)(i * 7 + 3),
			    "read-only slot byte 0x%x changed to 0x%02x", i,
			    m[i]);
}

static void readonly_long(void)
{
	struct kvm_vcpu *vcpu = long_vm(g_ro_long, GUEST_CODE_SIZE(g_ro_long));
	uint8_t *m = ro_slot(vcpu->vm, RO_GPA);
	uint32_t d0, d8;
	uint64_t q0;

	memcpy(&d0, m, 4);
	memcpy(&d8, m + 8, 4);
	q0 = d0;
	{
		const struct step steps[] = {
			W(RO_GPA + 8, 4, 0x12345678, "C7 to read-only"),
			W(RO_GPA + 0x1010, 8, q0, "89 to read-only"),
			W(RO_GPA + 0x20, 1, 0x77, "rep stosb #1"),
			W(RO_GPA + 0x21, 1, 0x77, "rep stosb #2"),
			C(), K(RDX, d8), K(RCX, 0), K(RDI, RO_GPA + 0x22),
			H(),
		};

		run_steps(vcpu, steps, ARRAY_SIZE(steps));
	}
	ro_unchanged(m);
}

GUEST_CODE(g_ro_real, ".code16",
	"movw $0x2000, %ax\n movw %ax, %ds\n movw %ax, %es\n"
	"movl $0x11111111, %eax\n"
	"movw 0x10, %ax\n" CHK			/* slot data, no exit */
	"movw %ax, 0x12\n"			/* MMIO write */
	"movw $0x1100, %di\n stosw\n"		/* second page */
	"movb 0x1101, %al\n" CHK
	"hlt\n");

static void readonly_real(void)
{
	struct kvm_vcpu *vcpu = real_vm(g_ro_real, GUEST_CODE_SIZE(g_ro_real));
	uint8_t *m = ro_slot(vcpu->vm, RO_GPA_REAL);
	uint16_t w10;

	memcpy(&w10, m + 0x10, 2);
	{
		const struct step steps[] = {
			C(), K32(RAX, 0x11110000 | w10),
			W(RO_GPA_REAL + 0x12, 2, w10, "89 to read-only"),
			W(RO_GPA_REAL + 0x1100, 2, w10, "stosw to read-only"),
			C(), K32(RAX, 0x11110000 | (w10 & 0xff00) | m[0x1101]),
			H(),
		};

		run_steps(vcpu, steps, ARRAY_SIZE(steps));
	}
	ro_unchanged(m);
}

/* ---- repeated MMIO, holes between slots ------------------------------------- */

#define REPEAT	500

/* REPEAT times: write the counter to MMIO64, read MMIO64 + 4, add it. */
GUEST_CODE(g_repeat, ".code64",
	"movq $0x30000000, %rbx\n"
	"movl $500, %ecx\n"
	"xorl %eax, %eax\n"
	"1: movl %ecx, (%rbx)\n"
	"movl 4(%rbx), %edx\n"
	"addl %edx, %eax\n"
	"loop 1b\n"
	"outl %eax, $0x10\n"
	"hlt\n");

static void repeated(void)
{
	struct kvm_vcpu *vcpu = long_vm(g_repeat, GUEST_CODE_SIZE(g_repeat));
	uint32_t i, sum = 0, got;

	for (i = REPEAT; i > 0; i--) {
		const struct step steps[] = {
			W(MMIO64, 4, i, "write in loop"),
			R(MMIO64 + 4, 4, i * 7 + 1, "read in loop"),
		};

		run_steps(vcpu, steps, ARRAY_SIZE(steps));
		sum += i * 7 + 1;
	}
	got = vcpu_run_out(vcpu, PORT_RESULT, 4);
	TEST_ASSERT(got == sum, "sum of %d MMIO reads: 0x%x, expected 0x%x",
		    REPEAT, got, sum);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/*
 * Slots at 1 MiB and 1 MiB + 8 KiB: the page between them and the page
 * after the second are MMIO; the slots' last/first bytes are RAM.
 */
GUEST_CODE(g_holes, ".code64",
	"movq 0x100ff8, %rax\n" CHK		/* last qword of slot 1 */
	"movl 0x101000, %eax\n" CHK		/* hole */
	"movq %rax, 0x101ff8\n"			/* hole, last qword */
	"movq 0x102000, %rax\n" CHK		/* first qword of slot 2 */
	"movb %al, 0x103000\n"			/* just past slot 2 */
	"hlt\n");

static void holes(void)
{
	struct kvm_vcpu *vcpu = long_vm(g_holes, GUEST_CODE_SIZE(g_holes));
	uint64_t *a = alloc_host_mem(PAGE_SIZE), *b = alloc_host_mem(PAGE_SIZE);
	const struct step steps[] = {
		C(), K(RAX, 0x1111111111111111ULL),
		R(0x101000, 4, 0xabcdef01, "hole"), C(), K(RAX, 0xabcdef01),
		W(0x101ff8, 8, 0xabcdef01, "hole, last qword"),
		C(), K(RAX, 0x2222222222222222ULL),
		W(0x103000, 1, 0x22, "past the last slot"),
		H(),
	};

	a[511] = 0x1111111111111111ULL;
	b[0] = 0x2222222222222222ULL;
	EXPECT_OK(vm_set_region(vcpu->vm, 1, 0, 0x100000, PAGE_SIZE, a));
	EXPECT_OK(vm_set_region(vcpu->vm, 2, 0, 0x102000, PAGE_SIZE, b));
	run_steps(vcpu, steps, ARRAY_SIZE(steps));
}

static const struct kvm_test tests[] = {
	{ "real mode: MOV writes (88/89/C6/C7/A2/A3, 16/32-bit addressing, SS/ES/FS/GS)",
	  real_writes },
	{ "real mode: MOV/MOVZX/MOVSX reads and register widths", real_reads },
	{ "real mode: STOS/LODS/MOVS, single and REP (CX/SI/DI after)",
	  real_strings },
	{ "32-bit: MOV writes (disp8/disp32/SIB/EBP, FS/GS)", pm32_writes },
	{ "32-bit: MOV/MOVZX/MOVSX reads and register widths (CS/FS/GS)",
	  pm32_reads },
	{ "32-bit: STOS/LODS/MOVS, single and REP (ECX/ESI/EDI after)",
	  pm32_strings },
	{ "long mode: MOV writes, sizes 1-8 (REX, moffs64, RIP-relative, addr32, FS/GS)",
	  long_writes },
	{ "long mode: MOV/MOVZX/MOVSX/MOVSXD reads and register widths",
	  long_reads },
	{ "long mode: STOS/LODS/MOVS, single and REP (RCX/RSI/RDI after)",
	  long_strings },
	{ "read-only slot, long mode: reads are RAM, writes are MMIO exits",
	  readonly_long },
	{ "read-only slot, real mode: reads are RAM, writes are MMIO exits",
	  readonly_real },
	{ "500 write/read MMIO pairs to one page", repeated },
	{ "hole between slots and past the last slot are MMIO", holes },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
