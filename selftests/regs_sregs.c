// SPDX-License-Identifier: GPL-2.0
/*
 * regs_sregs: the architectural reset state of a new vCPU, KVM_GET/SET_REGS
 * and KVM_GET/SET_SREGS round trips, KVM's validity checks on
 * KVM_SET_SREGS (x86.c, kvm_is_valid_sregs()), and the guest's own register
 * changes showing up in GET_REGS/GET_SREGS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define CR0_PE		(1ULL << 0)
#define CR0_TS		(1ULL << 3)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_NW		(1ULL << 29)
#define CR0_CD		(1ULL << 30)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

static struct kvm_vcpu *new_vcpu(void)
{
	return vcpu_create(vm_create(GUEST_MEM_SIZE), 0);
}

#define CHECK_FIELD(what, got, want)					\
	do {								\
		unsigned long long __g = (got), __w = (want);		\
		if (__g != __w) {					\
			test_log("%s: expected 0x%llx, got 0x%llx",	\
				 what, __w, __g);			\
			bad++;						\
		}							\
	} while (0)

/*
 * kvm_vcpu_reset(): GPRs 0 except RDX, which holds the CPUID.1 EAX
 * signature, 0x600 while no CPUID is set; RIP 0xfff0; RFLAGS 2.
 */
static void reset_regs(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_regs r;
	int bad = 0;

	vcpu_get_regs(vcpu, &r);
	CHECK_FIELD("rip", r.rip, 0xfff0);
	CHECK_FIELD("rflags", r.rflags, 0x2);
	CHECK_FIELD("rdx", r.rdx, 0x600);
	CHECK_FIELD("rax", r.rax, 0);
	CHECK_FIELD("rbx", r.rbx, 0);
	CHECK_FIELD("rcx", r.rcx, 0);
	CHECK_FIELD("rsi", r.rsi, 0);
	CHECK_FIELD("rdi", r.rdi, 0);
	CHECK_FIELD("rsp", r.rsp, 0);
	CHECK_FIELD("rbp", r.rbp, 0);
	CHECK_FIELD("r8", r.r8, 0);
	CHECK_FIELD("r15", r.r15, 0);
	TEST_ASSERT(!bad, "%d register(s) differ from the reset state", bad);
}

static void check_seg(const char *name, struct kvm_segment *s, uint16_t sel,
		      uint64_t base, uint32_t limit, uint8_t type, uint8_t sflag,
		      int *badp)
{
	char what[32];
	int bad = 0;

	snprintf(what, sizeof(what), "%s.selector", name);
	CHECK_FIELD(what, s->selector, sel);
	snprintf(what, sizeof(what), "%s.base", name);
	CHECK_FIELD(what, s->base, base);
	snprintf(what, sizeof(what), "%s.limit", name);
	CHECK_FIELD(what, s->limit, limit);
	snprintf(what, sizeof(what), "%s.type", name);
	CHECK_FIELD(what, s->type, type);
	snprintf(what, sizeof(what), "%s.s", name);
	CHECK_FIELD(what, s->s, sflag);
	snprintf(what, sizeof(what), "%s.present", name);
	CHECK_FIELD(what, s->present, 1);
	snprintf(what, sizeof(what), "%s.dpl/db/l/g", name);
	CHECK_FIELD(what, s->dpl | s->db << 2 | s->l << 4 | s->g << 6, 0);
	*badp += bad;
}

/*
 * The SDM's power-up state as KVM sets it (vmx.c, __vmx_vcpu_reset() and
 * kvm_vcpu_reset()): CS F000:FFFF0000 limit FFFF, data segments 0 with
 * limit FFFF, GDTR/IDTR limit FFFF, LDTR type 2, TR busy TSS,
 * CR0 = CD|NW|ET = 0x60000010, CR2/CR3/CR4/EFER 0.
 */
static void reset_sregs(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_sregs s;
	unsigned int i;
	int bad = 0;

	vcpu_get_sregs(vcpu, &s);
	check_seg("cs", &s.cs, 0xf000, 0xffff0000, 0xffff, 0xb, 1, &bad);
	check_seg("ds", &s.ds, 0, 0, 0xffff, 0x3, 1, &bad);
	check_seg("es", &s.es, 0, 0, 0xffff, 0x3, 1, &bad);
	check_seg("fs", &s.fs, 0, 0, 0xffff, 0x3, 1, &bad);
	check_seg("gs", &s.gs, 0, 0, 0xffff, 0x3, 1, &bad);
	check_seg("ss", &s.ss, 0, 0, 0xffff, 0x3, 1, &bad);
	check_seg("ldt", &s.ldt, 0, 0, 0xffff, 0x2, 0, &bad);
	check_seg("tr", &s.tr, 0, 0, 0xffff, 0xb, 0, &bad);
	CHECK_FIELD("gdt.base", s.gdt.base, 0);
	CHECK_FIELD("gdt.limit", s.gdt.limit, 0xffff);
	CHECK_FIELD("idt.base", s.idt.base, 0);
	CHECK_FIELD("idt.limit", s.idt.limit, 0xffff);
	CHECK_FIELD("cr0", s.cr0, 0x60000010);
	CHECK_FIELD("cr2", s.cr2, 0);
	CHECK_FIELD("cr3", s.cr3, 0);
	CHECK_FIELD("cr4", s.cr4, 0);
	CHECK_FIELD("cr8", s.cr8, 0);
	CHECK_FIELD("efer", s.efer, 0);
	for (i = 0; i < ARRAY_SIZE(s.interrupt_bitmap); i++)
		CHECK_FIELD("interrupt_bitmap", s.interrupt_bitmap[i], 0);
	test_log("apic_base = 0x%llx", (unsigned long long)s.apic_base);
	TEST_ASSERT(!bad, "%d field(s) differ from the reset state", bad);
}

/* kvm_vcpu_reset(): DR6 = 0xffff0ff0 (DR6_ACTIVE_LOW), DR7 = 0x400. */
static void reset_debugregs(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_debugregs d;
	int bad = 0, i;

	memset(&d, 0xaa, sizeof(d));
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &d));
	for (i = 0; i < 4; i++)
		CHECK_FIELD("db[i]", d.db[i], 0);
	CHECK_FIELD("dr6", d.dr6, 0xffff0ff0);
	CHECK_FIELD("dr7", d.dr7, 0x400);
	TEST_ASSERT(!bad, "%d debug register(s) differ from reset", bad);
}

/*
 * FNINIT state: FCW 0x37f, FSW 0, and in 6.1 MXCSR 0x1f80
 * (fpu_alloc_guest_fpstate() -> fpstate_init_user()).  Newer kernels
 * report MXCSR 0 here, hence EXPECT_6_1.
 */
static void reset_fpu(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_fpu f;
	int bad = 0;

	memset(&f, 0xaa, sizeof(f));
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_FPU, &f));
	CHECK_FIELD("fcw", f.fcw, 0x37f);
	CHECK_FIELD("fsw", f.fsw, 0);
	TEST_ASSERT(!bad, "%d FPU field(s) differ from reset", bad);
	/* KVM_GET_FPU does not report MXCSR (6.1 x86.c): it reads as 0 */
	TEST_ASSERT(f.mxcsr == 0, "mxcsr: expected 0 (not reported), got 0x%x",
		    f.mxcsr);
}

/* KVM_SET_REGS then KVM_GET_REGS returns the same values. */
static void regs_round_trip(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_regs in, out;
	uint64_t *p = (uint64_t *)&in;
	unsigned int i;

	for (i = 0; i < sizeof(in) / 8; i++)
		p[i] = 0x0101010101010101ULL * (i + 1) + 0x1000;
	in.rip = 0x123456;
	/* fixed bit 1 plus CF, PF, AF, ZF, SF, DF, OF */
	in.rflags = 0x2 | 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800;
	vcpu_set_regs(vcpu, &in);
	memset(&out, 0, sizeof(out));
	vcpu_get_regs(vcpu, &out);
	for (i = 0; i < sizeof(in) / 8; i++)
		TEST_ASSERT(p[i] == ((uint64_t *)&out)[i],
			    "kvm_regs word %u: set 0x%llx, got 0x%llx", i,
			    (unsigned long long)p[i],
			    (unsigned long long)((uint64_t *)&out)[i]);
}

static bool seg_equal(struct kvm_segment *a, struct kvm_segment *b)
{
	return a->base == b->base && a->limit == b->limit &&
	       a->selector == b->selector && a->type == b->type &&
	       a->present == b->present && a->dpl == b->dpl &&
	       a->db == b->db && a->s == b->s && a->l == b->l && a->g == b->g;
}

/* KVM_SET_SREGS then KVM_GET_SREGS returns the same values. */
static void sregs_round_trip(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_sregs in, out;
	int bad = 0;

	vcpu_setup_pm32(vcpu, CODE_GPA, true);
	vcpu_get_sregs(vcpu, &in);
	in.ds.base = 0x12345000;
	in.ds.limit = 0xfffff;
	in.ds.g = 0;
	in.es.selector = 0x28;
	in.fs.base = 0x100000;
	in.gdt.base = 0x1000;
	in.gdt.limit = 0x2f;
	in.idt.base = 0x1800;
	in.idt.limit = 0x7ff;
	in.cr2 = 0xdeadb000;
	in.cr0 |= CR0_TS;
	in.cr4 = CR4_PAE | 0x80;	/* PAE, PGE */
	in.cr3 = 0x3000;
	in.cr8 = 5;
	vcpu_set_sregs(vcpu, &in);
	memset(&out, 0, sizeof(out));
	vcpu_get_sregs(vcpu, &out);
	bad += !seg_equal(&in.cs, &out.cs);
	bad += !seg_equal(&in.ds, &out.ds);
	bad += !seg_equal(&in.es, &out.es);
	bad += !seg_equal(&in.fs, &out.fs);
	bad += !seg_equal(&in.ss, &out.ss);
	if (bad)
		test_log("a segment register did not round-trip");
	CHECK_FIELD("gdt.base", out.gdt.base, in.gdt.base);
	CHECK_FIELD("gdt.limit", out.gdt.limit, in.gdt.limit);
	CHECK_FIELD("idt.base", out.idt.base, in.idt.base);
	CHECK_FIELD("idt.limit", out.idt.limit, in.idt.limit);
	CHECK_FIELD("cr0", out.cr0, in.cr0);
	CHECK_FIELD("cr2", out.cr2, in.cr2);
	CHECK_FIELD("cr3", out.cr3, in.cr3);
	CHECK_FIELD("cr4", out.cr4, in.cr4);
	CHECK_FIELD("cr8", out.cr8, in.cr8);
	CHECK_FIELD("efer", out.efer, in.efer);
	TEST_ASSERT(!bad, "%d field(s) did not round-trip", bad);
}

/* Each modification makes KVM_SET_SREGS fail with EINVAL, state kept. */
static void sregs_invalid(void)
{
	static const struct {
		const char *what;
		uint64_t cr0, cr3, cr4, efer;
		int cs_l;
	} bad_sregs[] = {
		/* kvm_is_valid_sregs(): long mode needs PAE and LMA */
		{ "LME+PG without PAE", CR0_PE | CR0_PG, 0x3000, 0,
		  EFER_LME | EFER_LMA, 0 },
		{ "LME+PG without LMA", CR0_PE | CR0_PG, 0x3000, CR4_PAE,
		  EFER_LME, 0 },
		{ "LMA without PG", CR0_PE, 0, CR4_PAE, EFER_LME | EFER_LMA,
		  0 },
		{ "CS.L outside long mode", CR0_PE, 0, 0, 0, 1 },
		/* kvm_is_valid_cr0() */
		{ "CR0.NW without CD", CR0_PE | CR0_NW, 0, 0, 0, 0 },
		{ "CR0.PG without PE", CR0_PG, 0, 0, 0, 0 },
		{ "CR0 bit 32", CR0_PE | (1ULL << 32), 0, 0, 0, 0 },
		/* kvm_is_valid_cr4(): CR4_RESERVED_BITS */
		{ "CR4 bit 15", CR0_PE, 0, 1ULL << 15, 0, 0 },
		{ "CR4.SMXE", CR0_PE, 0, 1ULL << 14, 0, 0 },
		{ "CR4 bit 63", CR0_PE, 0, 1ULL << 63, 0, 0 },
	};
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_sregs orig, s, after;
	unsigned int i;
	int bad = 0;

	vcpu_get_sregs(vcpu, &orig);
	for (i = 0; i < ARRAY_SIZE(bad_sregs); i++) {
		s = orig;
		s.cr0 = bad_sregs[i].cr0 | CR0_ET;
		s.cr3 = bad_sregs[i].cr3;
		s.cr4 = bad_sregs[i].cr4;
		s.efer = bad_sregs[i].efer;
		s.cs.l = bad_sregs[i].cs_l;
		errno = 0;
		if (ioctl(vcpu->fd, KVM_SET_SREGS, &s) != -1 ||
		    errno != EINVAL) {
			test_log("%s: expected EINVAL, got %s",
				 bad_sregs[i].what, errno_name(errno));
			bad++;
		}
	}
	vcpu_get_sregs(vcpu, &after);
	CHECK_FIELD("cr0 after the failed sets", after.cr0, orig.cr0);
	CHECK_FIELD("cr4 after the failed sets", after.cr4, orig.cr4);
	CHECK_FIELD("efer after the failed sets", after.efer, orig.efer);
	TEST_ASSERT(!bad, "%d invalid sregs accepted", bad);
}

/*
 * Long mode is accepted when consistent: LME|LMA, PG|PE, PAE, and a CR3
 * within MAXPHYADDR; a CR3 beyond it is EINVAL.
 */
static void sregs_long_mode(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_sregs s;

	vcpu_set_supported_cpuid(vcpu);
	vcpu_get_sregs(vcpu, &s);
	s.cr0 = CR0_PE | CR0_PG | CR0_ET;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	s.cr3 = 1ULL << 52;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_SREGS, &s), EINVAL);
	s.cr3 = 0x3000;
	vcpu_set_sregs(vcpu, &s);
}

/*
 * The apic_base in kvm_sregs goes through the IA32_APIC_BASE checks
 * (kvm_set_apic_base()): reserved bits 0-7 and 9 are EINVAL.
 */
static void sregs_apic_base(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_sregs s;

	vcpu_get_sregs(vcpu, &s);
	s.apic_base |= 0x1;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_SREGS, &s), EINVAL);
}

/* Long mode guest: r15 += r8, rax = rbx ^ rcx, rsi <-> rdi, HLT. */
GUEST_CODE(g_gprs, ".code64",
	"addq %r8, %r15\n"
	"movq %rbx, %rax\n"
	"xorq %rcx, %rax\n"
	"xchgq %rsi, %rdi\n"
	"hlt\n");

/*
 * Values set with KVM_SET_REGS are what the guest computes with, and what
 * it leaves behind is what KVM_GET_REGS returns (all 16 GPRs, full
 * width); RIP points after the HLT.
 */
static void guest_sees_regs(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_regs in, out;

	vm_load_code(vcpu->vm, CODE_GPA, g_gprs);
	vcpu_setup_long(vcpu, CODE_GPA);
	vcpu_get_regs(vcpu, &in);
	in.rbx = 0x1111222233334444ULL;
	in.rcx = 0x00ff00ff00ff00ffULL;
	in.rdx = 0xd0d0d0d0d0d0d0d0ULL;
	in.rsi = 0x5151515151515151ULL;
	in.rdi = 0xd1d1d1d1d1d1d1d1ULL;
	in.rbp = 0xb0b0b0b0b0b0b0b0ULL;
	in.r8 = 0x0000000100000001ULL;
	in.r9 = 9;
	in.r10 = 10;
	in.r11 = 11;
	in.r12 = 12;
	in.r13 = 13;
	in.r14 = 14;
	in.r15 = 0x7fffffffffffffffULL;
	vcpu_set_regs(vcpu, &in);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_get_regs(vcpu, &out);
	TEST_ASSERT(out.r15 == in.r15 + in.r8, "r15 0x%llx",
		    (unsigned long long)out.r15);
	TEST_ASSERT(out.rax == (in.rbx ^ in.rcx), "rax 0x%llx",
		    (unsigned long long)out.rax);
	TEST_ASSERT(out.rsi == in.rdi && out.rdi == in.rsi, "rsi/rdi swap");
	TEST_ASSERT(out.rbx == in.rbx && out.rcx == in.rcx &&
		    out.rdx == in.rdx && out.rbp == in.rbp &&
		    out.rsp == in.rsp && out.r8 == in.r8 && out.r9 == 9 &&
		    out.r10 == 10 && out.r11 == 11 && out.r12 == 12 &&
		    out.r13 == 13 && out.r14 == 14,
		    "a register the guest did not touch changed");
	TEST_ASSERT(out.rip == CODE_GPA + GUEST_CODE_SIZE(g_gprs),
		    "rip 0x%llx, expected just past the HLT",
		    (unsigned long long)out.rip);
}

/* Real mode: load ES, write CR3-free state; set CF via STC. */
GUEST_CODE(g_segs, ".code16",
	"movw $0x1234, %ax\n"
	"movw %ax, %es\n"
	"movw $0x2000, %ax\n"
	"movw %ax, %ss\n"
	"stc\n"
	"hlt\n");

/* The guest's segment loads appear in KVM_GET_SREGS (base = sel << 4). */
static void guest_sets_segments(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_segs);
	struct kvm_sregs s;
	struct kvm_regs r;

	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_get_sregs(vcpu, &s);
	TEST_ASSERT(s.es.selector == 0x1234 && s.es.base == 0x12340,
		    "es: selector 0x%x base 0x%llx", s.es.selector,
		    (unsigned long long)s.es.base);
	TEST_ASSERT(s.ss.selector == 0x2000 && s.ss.base == 0x20000,
		    "ss: selector 0x%x base 0x%llx", s.ss.selector,
		    (unsigned long long)s.ss.base);
	vcpu_get_regs(vcpu, &r);
	TEST_ASSERT(r.rflags & 1, "CF not set in rflags 0x%llx",
		    (unsigned long long)r.rflags);
}

/* 32-bit guest writes CR3 and sets CR0.TS. */
GUEST_CODE(g_crs, ".code32",
	"movl $0x5000, %eax\n"
	"movl %eax, %cr3\n"
	"movl %cr0, %eax\n"
	"orl $8, %eax\n"
	"movl %eax, %cr0\n"
	"hlt\n");

/* The guest's control register writes appear in KVM_GET_SREGS. */
static void guest_sets_crs(void)
{
	struct kvm_vcpu *vcpu = new_vcpu();
	struct kvm_sregs s;

	vm_load_code(vcpu->vm, CODE_GPA, g_crs);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_get_sregs(vcpu, &s);
	TEST_ASSERT(s.cr3 == 0x5000, "cr3 0x%llx", (unsigned long long)s.cr3);
	TEST_ASSERT(s.cr0 & CR0_TS, "cr0 0x%llx lacks TS",
		    (unsigned long long)s.cr0);
}

GUEST_CODE(g_two, ".code16",
	"movb $1, %al\n"
	"outb %al, $0x10\n"
	"hlt\n"
	"movb $2, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* KVM_SET_REGS between runs redirects the guest (RIP is honoured). */
static void set_rip_between_runs(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_two);
	struct kvm_regs r;

	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 1, "first OUT");
	vcpu_get_regs(vcpu, &r);
	r.rip = CODE_GPA + 5;	/* the second "mov $2" */
	vcpu_set_regs(vcpu, &r);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 2, "second OUT");
	r.rip = CODE_GPA;
	vcpu_set_regs(vcpu, &r);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 1, "back to the first OUT");
}

static const struct kvm_test tests[] = {
	{ "reset state: GPRs, rip 0xfff0, rflags 2, rdx 0x600", reset_regs },
	{ "reset state: segments, descriptor tables, CR0 0x60000010",
	  reset_sregs },
	{ "reset state: DR6 0xffff0ff0, DR7 0x400", reset_debugregs },
	{ "reset state: FPU FCW 0x37f, MXCSR not reported", reset_fpu },
	{ "KVM_SET_REGS/KVM_GET_REGS round trip", regs_round_trip },
	{ "KVM_SET_SREGS/KVM_GET_SREGS round trip", sregs_round_trip },
	{ "inconsistent CR0/CR4/EFER/CS.L give EINVAL", sregs_invalid },
	{ "long mode sregs accepted, CR3 beyond MAXPHYADDR gives EINVAL",
	  sregs_long_mode },
	{ "reserved apic_base bits give EINVAL", sregs_apic_base },
	{ "guest computes with and leaves all 16 GPRs", guest_sees_regs },
	{ "guest segment loads show in KVM_GET_SREGS", guest_sets_segments },
	{ "guest CR0/CR3 writes show in KVM_GET_SREGS", guest_sets_crs },
	{ "KVM_SET_REGS between runs moves rip", set_rip_between_runs },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
