// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid_msrs: KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2/KVM_GET_CPUID2 and
 * the guest's CPUID; KVM_GET_MSR_INDEX_LIST, KVM_GET/SET_MSRS and the
 * guest's RDMSR/WRMSR (unknown MSR -> #GP).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_CR_PAT		0x277
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_UNKNOWN		0xdeadbeef
#define MSR_IA32_UCODE_REV	0x8b
#define MSR_IA32_ARCH_CAPABILITIES	0x10a
#define MSR_IA32_PERF_CAPABILITIES	0x345

#define KVM_MAX_CPUID_ENTRIES	256	/* 6.1 arch/x86/kvm/cpuid.h */
#define MAX_IO_MSRS		256	/* 6.1 arch/x86/kvm/x86.c */

static struct kvm_cpuid_entry2 *find_entry(struct kvm_cpuid2 *c,
					   uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == idx))
			return &c->entries[i];
	return NULL;
}

static struct kvm_cpuid2 *cpuid_alloc(int nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      nent * sizeof(c->entries[0]));

	TEST_ASSERT(c, "out of memory");
	c->nent = nent;
	return c;
}

/* api.rst: too few entries for KVM_GET_SUPPORTED_CPUID is E2BIG. */
static void supported_cpuid_e2big(void)
{
	int kvm = kvm_open();
	struct kvm_cpuid2 *c = cpuid_alloc(1);

	EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c), E2BIG);
	c->nent = 0;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c), E2BIG);
}

/*
 * The supported table has the basic and extended ranges (leaf 0, 1,
 * 0x80000000, 0x80000001 with LM on a 64-bit host), and nent is set to
 * the number of entries filled in.  nent above KVM_MAX_CPUID_ENTRIES is
 * fine (clamped).
 */
static void supported_cpuid(void)
{
	int kvm = kvm_open();
	struct kvm_cpuid2 *c = cpuid_alloc(1000);
	struct kvm_cpuid_entry2 *e0, *e1, *x0, *x1;

	EXPECT_OK(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c));
	test_log("%u supported entries", c->nent);
	TEST_ASSERT(c->nent >= 4 && c->nent <= KVM_MAX_CPUID_ENTRIES,
		    "nent %u", c->nent);
	e0 = find_entry(c, 0, 0);
	e1 = find_entry(c, 1, 0);
	x0 = find_entry(c, 0x80000000, 0);
	x1 = find_entry(c, 0x80000001, 0);
	TEST_ASSERT(e0 && e1 && x0 && x1,
		    "missing leaf 0, 1, 0x80000000 or 0x80000001");
	TEST_ASSERT(e0->eax >= 1, "leaf 0 max leaf %u", e0->eax);
	TEST_ASSERT(x0->eax >= 0x80000001, "max extended leaf 0x%x",
		    x0->eax);
	TEST_ASSERT(x1->edx & (1U << 29), "LM missing from 0x80000001.edx");
}

/* Guest: CPUID leaf 0 and 0x80000002, report all registers. */
GUEST_CODE(g_cpuid, ".code32",
	"xorl %eax, %eax\n"
	"cpuid\n"
	"outl %eax, $0x10\n"
	"movl %ebx, %eax\n"
	"outl %eax, $0x10\n"
	"movl %edx, %eax\n"
	"outl %eax, $0x10\n"
	"movl %ecx, %eax\n"
	"outl %eax, $0x10\n"
	"movl $0x80000002, %eax\n"
	"cpuid\n"
	"outl %eax, $0x10\n"
	"movl %ebx, %eax\n"
	"outl %eax, $0x10\n"
	"movl %ecx, %eax\n"
	"outl %eax, $0x10\n"
	"movl %edx, %eax\n"
	"outl %eax, $0x10\n"
	"hlt\n");

/*
 * After KVM_SET_CPUID2 the guest's CPUID returns the table's values for
 * leaves KVM does not adjust (vendor string, brand string).
 */
static void guest_cpuid(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid(vm->kvm_fd);
	struct kvm_cpuid_entry2 *e0 = find_entry(c, 0, 0);
	struct kvm_cpuid_entry2 *b = find_entry(c, 0x80000002, 0);
	char vendor[13] = "", brand[17] = "";
	uint32_t v[8];
	int i;

	TEST_ASSERT(e0 && b, "leaf 0 or 0x80000002 not supported");
	memcpy(&e0->ebx, "Rkvm", 4);
	memcpy(&e0->edx, "Test", 4);
	memcpy(&e0->ecx, "Cpu!", 4);
	memcpy(&b->eax, "rkvm", 4);
	memcpy(&b->ebx, " sel", 4);
	memcpy(&b->ecx, "ftes", 4);
	memcpy(&b->edx, "t ok", 4);
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	vm_load_code(vm, CODE_GPA, g_cpuid);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	for (i = 0; i < 8; i++)
		v[i] = vcpu_run_out(vcpu, 0x10, 4);
	memcpy(vendor, &v[1], 12);
	memcpy(brand, &v[4], 16);
	TEST_ASSERT(v[0] == e0->eax, "leaf 0 eax 0x%x, set 0x%x", v[0],
		    e0->eax);
	TEST_ASSERT(!strcmp(vendor, "RkvmTestCpu!"), "vendor \"%s\"", vendor);
	TEST_ASSERT(!strcmp(brand, "rkvm selftest ok"), "brand \"%s\"", brand);
}

/*
 * KVM_GET_CPUID2 returns the table set with KVM_SET_CPUID2; a buffer
 * smaller than the table is E2BIG.
 */
static void get_cpuid2(void)
{
	struct kvm_vm *vm = vm_create(0);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid(vm->kvm_fd);
	struct kvm_cpuid2 *out = cpuid_alloc(c->nent);
	struct kvm_cpuid_entry2 *e;

	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	EXPECT_OK(ioctl(vcpu->fd, KVM_GET_CPUID2, out));
	e = find_entry(out, 0, 0);
	TEST_ASSERT(e && e->eax == find_entry(c, 0, 0)->eax &&
		    e->ebx == find_entry(c, 0, 0)->ebx,
		    "leaf 0 differs from what was set");
	out->nent = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_GET_CPUID2, out), E2BIG);
}

/* KVM_SET_CPUID2 with more than KVM_MAX_CPUID_ENTRIES entries is E2BIG. */
static void set_cpuid2_e2big(void)
{
	struct kvm_vm *vm = vm_create(0);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct kvm_cpuid2 *c = cpuid_alloc(KVM_MAX_CPUID_ENTRIES + 1);

	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_CPUID2, c), E2BIG);
}

static struct kvm_msr_list *msr_list(int kvm)
{
	return kvm_get_msr_list(kvm, KVM_GET_MSR_INDEX_LIST);
}

/*
 * api.rst: KVM_GET_MSR_INDEX_LIST with nmsrs too small fails with E2BIG
 * and sets nmsrs to the number needed; with room, the list is returned.
 */
static void msr_index_list(void)
{
	int kvm = kvm_open();
	struct kvm_msr_list probe = { .nmsrs = 1 }, *l;
	uint32_t want[] = { MSR_IA32_TSC, MSR_IA32_SYSENTER_CS, MSR_STAR,
			    MSR_IA32_CR_PAT };

	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &probe), E2BIG);
	test_log("nmsrs = %u", probe.nmsrs);
	TEST_ASSERT(probe.nmsrs > 1, "nmsrs not updated: %u", probe.nmsrs);
	l = msr_list(kvm);
	TEST_ASSERT(l->nmsrs == probe.nmsrs, "nmsrs %u then %u", probe.nmsrs,
		    l->nmsrs);
	assert_msrs_listed(l, want, ARRAY_SIZE(want));
	free(l);
}

struct msrs {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[8];
};

static int get_msrs(struct kvm_vcpu *vcpu, struct msrs *m, int n)
{
	m->hdr.nmsrs = n;
	m->hdr.pad = 0;
	return ioctl(vcpu->fd, KVM_GET_MSRS, m);
}

static int set_msrs(struct kvm_vcpu *vcpu, struct msrs *m, int n)
{
	m->hdr.nmsrs = n;
	m->hdr.pad = 0;
	return ioctl(vcpu->fd, KVM_SET_MSRS, m);
}

static uint64_t get_msr(struct kvm_vcpu *vcpu, uint32_t index)
{
	struct msrs m = { .e[0].index = index };
	int r = get_msrs(vcpu, &m, 1);

	TEST_ASSERT(r == 1, "KVM_GET_MSRS 0x%x: returned %d (%s)", index, r,
		    errno_name(errno));
	return m.e[0].data;
}

/*
 * Reset values: SYSENTER_* 0, PAT 0x0007040600070406, EFER 0, and in 6.1
 * MISC_ENABLE = BTS_UNAVAIL | PEBS_UNAVAIL = 0x1800 (kvm_vcpu_reset()).
 */
static void msr_reset_values(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	uint64_t v;

	v = get_msr(vcpu, MSR_IA32_SYSENTER_CS);
	TEST_ASSERT(v == 0, "SYSENTER_CS 0x%llx", (unsigned long long)v);
	v = get_msr(vcpu, MSR_IA32_SYSENTER_EIP);
	TEST_ASSERT(v == 0, "SYSENTER_EIP 0x%llx", (unsigned long long)v);
	v = get_msr(vcpu, MSR_IA32_CR_PAT);
	TEST_ASSERT(v == 0x0007040600070406ULL, "PAT 0x%llx",
		    (unsigned long long)v);
	v = get_msr(vcpu, MSR_EFER);
	TEST_ASSERT(v == 0, "EFER 0x%llx", (unsigned long long)v);
	v = get_msr(vcpu, MSR_IA32_MISC_ENABLE);
	EXPECT_6_1(v == 0x1800, "MISC_ENABLE 0x%llx, expected 0x1800",
		    (unsigned long long)v);
}

/*
 * KVM_SET_MSRS/KVM_GET_MSRS return the number of MSRs processed and the
 * values round-trip.
 */
static void msr_round_trip(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	struct msrs m;
	int r;

	vcpu_set_supported_cpuid(vcpu);
	memset(&m, 0, sizeof(m));
	m.e[0].index = MSR_IA32_SYSENTER_CS;
	m.e[0].data = 0x10;
	m.e[1].index = MSR_IA32_SYSENTER_ESP;
	m.e[1].data = 0xffff880012345678ULL;
	m.e[2].index = MSR_IA32_SYSENTER_EIP;
	m.e[2].data = 0xffffffff81000000ULL;
	m.e[3].index = MSR_IA32_CR_PAT;
	m.e[3].data = 0x0007010600070106ULL;
	m.e[4].index = MSR_EFER;
	m.e[4].data = 0x1;			/* SCE */
	m.e[5].index = MSR_STAR;
	m.e[5].data = 0x0023001000000000ULL;
	r = set_msrs(vcpu, &m, 6);
	TEST_ASSERT(r == 6, "KVM_SET_MSRS returned %d (%s), expected 6", r,
		    errno_name(errno));
	TEST_ASSERT(get_msr(vcpu, MSR_IA32_SYSENTER_CS) == 0x10, "SYSENTER_CS");
	TEST_ASSERT(get_msr(vcpu, MSR_IA32_SYSENTER_ESP) == m.e[1].data,
		    "SYSENTER_ESP");
	TEST_ASSERT(get_msr(vcpu, MSR_IA32_SYSENTER_EIP) == m.e[2].data,
		    "SYSENTER_EIP");
	TEST_ASSERT(get_msr(vcpu, MSR_IA32_CR_PAT) == m.e[3].data, "PAT");
	TEST_ASSERT(get_msr(vcpu, MSR_EFER) == 1, "EFER");
	TEST_ASSERT(get_msr(vcpu, MSR_STAR) == m.e[5].data, "STAR");
	memset(&m, 0, sizeof(m));
	m.e[0].index = MSR_IA32_SYSENTER_CS;
	m.e[1].index = MSR_IA32_CR_PAT;
	r = get_msrs(vcpu, &m, 2);
	TEST_ASSERT(r == 2 && m.e[0].data == 0x10 &&
		    m.e[1].data == 0x0007010600070106ULL,
		    "KVM_GET_MSRS of two: returned %d", r);
}

/*
 * A host-initiated IA32_TSC write far from the current value sets the
 * guest TSC (6.1 kvm_synchronize_tsc(): only writes within one second of
 * the expected value are treated as synchronization); it then counts up.
 */
static void msr_tsc(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	uint64_t base = 1ULL << 40, v;
	struct msrs m = { .e[0] = { .index = MSR_IA32_TSC, .data = base } };

	TEST_ASSERT(set_msrs(vcpu, &m, 1) == 1, "KVM_SET_MSRS TSC");
	v = get_msr(vcpu, MSR_IA32_TSC);
	EXPECT_6_1(v >= base && v - base < (1ULL << 36),
		    "TSC 0x%llx after writing 0x%llx", (unsigned long long)v,
		    (unsigned long long)base);
}

/*
 * The MSR ioctls stop at the first MSR KVM does not know and return how
 * many were processed (msr_io()); no errno.
 */
static void msr_unknown_stops(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	struct msrs m;
	int r;

	memset(&m, 0, sizeof(m));
	m.e[0].index = MSR_IA32_SYSENTER_CS;
	m.e[0].data = 0x8;
	m.e[1].index = MSR_UNKNOWN;
	m.e[1].data = 0x1;
	m.e[2].index = MSR_IA32_SYSENTER_EIP;
	m.e[2].data = 0x1234;
	r = set_msrs(vcpu, &m, 3);
	TEST_ASSERT(r == 1, "KVM_SET_MSRS: returned %d (%s), expected 1", r,
		    errno_name(errno));
	TEST_ASSERT(get_msr(vcpu, MSR_IA32_SYSENTER_EIP) == 0,
		    "the MSR after the unknown one was written");
	r = get_msrs(vcpu, &m, 3);
	TEST_ASSERT(r == 1, "KVM_GET_MSRS: returned %d (%s), expected 1", r,
		    errno_name(errno));
}

/* More than MAX_IO_MSRS entries is E2BIG (msr_io()). */
static void msrs_e2big(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	struct kvm_msrs *m = calloc(1, sizeof(*m) +
				    300 * sizeof(struct kvm_msr_entry));

	TEST_ASSERT(m, "out of memory");
	m->nmsrs = MAX_IO_MSRS;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_GET_MSRS, m), E2BIG);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_MSRS, m), E2BIG);
}

/*
 * Real-mode guest with an IVT entry for #GP (vector 13): RDMSR of a known
 * MSR returns what userspace set, WRMSR is visible to KVM_GET_MSRS, and
 * RDMSR of an unknown MSR raises #GP, whose handler reports 13.
 */
GUEST_CODE(g_msr, ".code16",
	"movl $0x174, %ecx\n"
	"rdmsr\n"
	"outl %eax, $0x10\n"
	"movl $0x176, %ecx\n"
	"movl $0x89abcdef, %eax\n"
	"movl $0x00001234, %edx\n"
	"wrmsr\n"
	"outl %eax, $0x11\n"
	"movl $0xdeadbeef, %ecx\n"
	"rdmsr\n"
	"movb $0xee, %al\n"
	"outb %al, $0x12\n"
	"hlt\n"
	"gp_handler:\n"
	"movb $13, %al\n"
	"outb %al, $0x12\n"
	"hlt\n");

/*
 * Feature MSRs (api.rst, KVM_GET_MSR_FEATURE_INDEX_LIST and KVM_GET_MSRS on
 * the system fd): the capability says so, the list has the microcode
 * revision, ARCH_CAPABILITIES and PERF_CAPABILITIES, each reads on the
 * system fd, and an MSR not in the list stops the array at 0.
 */
static void feature_msrs(void)
{
	uint32_t want[] = { MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES,
			    MSR_IA32_PERF_CAPABILITIES };
	int kvm = kvm_open();
	struct kvm_msr_list *l;
	struct msrs m = { .e[0].index = MSR_IA32_TSC };
	unsigned int j;
	int r;

	TEST_ASSERT(kvm_check_cap(kvm, KVM_CAP_GET_MSR_FEATURES) == 1,
		    "KVM_CAP_GET_MSR_FEATURES not reported");
	l = kvm_get_msr_list(kvm, KVM_GET_MSR_FEATURE_INDEX_LIST);
	test_log("%u feature MSRs", l->nmsrs);
	assert_msrs_listed(l, want, ARRAY_SIZE(want));
	for (j = 0; j < l->nmsrs; j++) {
		struct msrs one = { .e[0].index = l->indices[j] };

		one.hdr.nmsrs = 1;
		r = ioctl(kvm, KVM_GET_MSRS, &one);
		TEST_ASSERT(r == 1, "feature MSR 0x%x: KVM_GET_MSRS gave %d (%s)",
			    l->indices[j], r, errno_name(errno));
	}
	/* IA32_TSC is a vCPU MSR, not a feature MSR */
	m.hdr.nmsrs = 1;
	r = ioctl(kvm, KVM_GET_MSRS, &m);
	TEST_ASSERT(r == 0, "KVM_GET_MSRS of IA32_TSC on the system fd gave %d",
		    r);
	free(l);
	close(kvm);
}

static void guest_msrs(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_msr);
	struct kvm_vm *vm = vcpu->vm;
	struct msrs m = { .e[0] = { .index = MSR_IA32_SYSENTER_CS,
				    .data = 0x5a5a } };
	uint16_t *ivt = gpa_to_hva(vm, IVT_GPA);
	uint32_t v;

	/* vector 13 -> 0000:handler */
	ivt[13 * 2] = CODE_GPA + (uint16_t)GUEST_CODE_SIZE(g_msr) - 5;
	ivt[13 * 2 + 1] = 0;
	TEST_ASSERT(set_msrs(vcpu, &m, 1) == 1, "KVM_SET_MSRS");
	v = vcpu_run_out(vcpu, 0x10, 4);
	TEST_ASSERT(v == 0x5a5a, "guest RDMSR SYSENTER_CS: 0x%x", v);
	vcpu_run_out(vcpu, 0x11, 4);
	TEST_ASSERT(get_msr(vcpu, MSR_IA32_SYSENTER_EIP) ==
		    0x0000123489abcdefULL, "guest WRMSR SYSENTER_EIP: 0x%llx",
		    (unsigned long long)get_msr(vcpu, MSR_IA32_SYSENTER_EIP));
	v = vcpu_run_out(vcpu, 0x12, 1);
	TEST_ASSERT(v == 13, "RDMSR of an unknown MSR: expected #GP (13), got 0x%x",
		    v);
}

static const struct kvm_test tests[] = {
	{ "KVM_GET_SUPPORTED_CPUID with too few entries gives E2BIG",
	  supported_cpuid_e2big },
	{ "KVM_GET_SUPPORTED_CPUID has basic and extended leaves",
	  supported_cpuid },
	{ "guest CPUID returns the KVM_SET_CPUID2 values", guest_cpuid },
	{ "KVM_GET_CPUID2 returns the table, E2BIG when too small",
	  get_cpuid2 },
	{ "KVM_SET_CPUID2 with too many entries gives E2BIG",
	  set_cpuid2_e2big },
	{ "KVM_GET_MSR_INDEX_LIST: E2BIG updates nmsrs, list complete",
	  msr_index_list },
	{ "MSR reset values", msr_reset_values },
	{ "KVM_SET_MSRS/KVM_GET_MSRS round trip", msr_round_trip },
	{ "IA32_TSC write sets the guest TSC", msr_tsc },
	{ "KVM_SET/GET_MSRS stop at an unknown MSR", msr_unknown_stops },
	{ "KVM_GET/SET_MSRS with too many entries gives E2BIG", msrs_e2big },
	{ "guest RDMSR/WRMSR; unknown MSR raises #GP", guest_msrs },
	{ "feature MSRs: index list and KVM_GET_MSRS on the system fd",
	  feature_msrs },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
