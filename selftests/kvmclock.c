// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: KVM's paravirtual clock (Documentation/virt/kvm/x86/msr.rst,
 * api.rst KVM_GET_CLOCK/KVM_SET_CLOCK, KVM_CAP_ADJUST_CLOCK) as userspace
 * and a 64-bit guest see it: the capability, the CPUID features and the
 * MSR list; KVM_GET_CLOCK against the host's clocks; KVM_SET_CLOCK (with
 * KVM_CLOCK_REALTIME) round trips and its errno; the MSRs through
 * KVM_GET/SET_MSRS; the pvclock_vcpu_time_info area (enable bit, memory
 * without RAM behind it); the wall clock; and a guest that reads its
 * pvclock, whose values must lie between the KVM_GET_CLOCKs taken around
 * each run and follow a host sleep, KVM_SET_CLOCK, a TSC write and a move
 * of the vCPU thread to another CPU.
 *
 * Time under Bochs: the host's TSC and clocks all count emulated
 * instructions, so rates are compared to CLOCK_MONOTONIC with a 2%
 * tolerance and a millisecond of slack; values are bracketed by
 * KVM_GET_CLOCK wherever one can be taken on both sides.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "kvm_util.h"

/* arch/x86/include/uapi/asm/kvm_para.h, pvclock-abi.h */
#define MSR_KVM_WALL_CLOCK		0x11
#define MSR_KVM_SYSTEM_TIME		0x12
#define MSR_KVM_WALL_CLOCK_NEW		0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW		0x4b564d01
#define MSR_IA32_TSC			0x10
#define KVM_FEATURE_CLOCKSOURCE		0
#define KVM_FEATURE_CLOCKSOURCE2	3
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24
#define PVCLOCK_TSC_STABLE_BIT		1
#define CLOCK_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
			 KVM_CLOCK_HOST_TSC)

#define NSEC		1000000000ULL
#define MSEC		1000000ULL
#define PVTI_GPA	DATA_GPA		/* page aligned */
#define WALL_GPA	(DATA_GPA + 0x1000)
#define PORT		0x10
/* g_pvclock's literals */
_Static_assert(PVTI_GPA == 0xa000 && WALL_GPA == 0xb000 && PORT == 0x10,
	       "g_pvclock hardcodes the areas and the port");

struct pvti {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

struct wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

/* the ABI's packed layouts need no packing here */
_Static_assert(sizeof(struct pvti) == 32 && sizeof(struct wall) == 12,
	       "pvclock layouts");

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

#define mono()	now_ns(CLOCK_MONOTONIC)

/* [lo, hi] widened for a clock whose rate may differ from the host's by 2% */
static uint64_t rate_lo(uint64_t ns)
{
	return ns - ns / 50 > MSEC ? ns - ns / 50 - MSEC : 0;
}

static uint64_t rate_hi(uint64_t ns)
{
	return ns + ns / 50 + MSEC;
}

static void get_clock(struct kvm_vm *vm, struct kvm_clock_data *d)
{
	memset(d, 0, sizeof(*d));
	TEST_ASSERT(ioctl(vm->fd, KVM_GET_CLOCK, d) == 0, "KVM_GET_CLOCK: %s",
		    errno_name(errno));
}

static void set_clock(struct kvm_vm *vm, uint64_t clock, uint32_t flags,
		      uint64_t realtime)
{
	struct kvm_clock_data d = {
		.clock = clock, .flags = flags, .realtime = realtime,
	};

	TEST_ASSERT(ioctl(vm->fd, KVM_SET_CLOCK, &d) == 0,
		    "KVM_SET_CLOCK clock %llu flags 0x%x: %s",
		    (unsigned long long)clock, flags, errno_name(errno));
}

struct msrs {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[4];
};

static uint64_t get_msr(struct kvm_vcpu *vcpu, uint32_t index)
{
	struct msrs m = { .hdr.nmsrs = 1, .e[0].index = index };
	int r = ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	TEST_ASSERT(r == 1, "KVM_GET_MSRS 0x%x: returned %d (%s)", index, r,
		    errno_name(errno));
	return m.e[0].data;
}

static void set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct msrs m = { .hdr.nmsrs = 1, .e[0] = { index, 0, data } };
	int r = ioctl(vcpu->fd, KVM_SET_MSRS, &m);

	TEST_ASSERT(r == 1, "KVM_SET_MSRS 0x%x = 0x%llx: returned %d (%s)",
		    index, (unsigned long long)data, r, errno_name(errno));
}

/* The kvmclock at guest TSC @tsc, as a guest computes it (msr.rst). */
static uint64_t pvclock_at(const struct pvti *p, uint64_t tsc)
{
	uint64_t d = tsc - p->tsc_timestamp;

	d = p->tsc_shift >= 0 ? d << p->tsc_shift : d >> -p->tsc_shift;
	return p->system_time +
	       (uint64_t)(((__uint128_t)d * p->tsc_to_system_mul) >> 32);
}

/* @v in [@lo, @hi] (ns values, printed in full on failure) */
#define ASSERT_IN(v, lo, hi, what)					\
	TEST_ASSERT((lo) <= (v) && (v) <= (hi),				\
		    "%s: %llu not in [%llu, %llu]", what,		\
		    (unsigned long long)(v), (unsigned long long)(lo),	\
		    (unsigned long long)(hi))

/*
 * KVM_CAP_ADJUST_CLOCK is KVM_CLOCK_VALID_FLAGS: what KVM_GET_CLOCK may
 * report (6.1 kvm_vm_ioctl_check_extension()), on the system and VM fds.
 */
static void cap_adjust_clock(void)
{
	struct kvm_vm *vm = vm_create(0);
	int r;

	r = kvm_check_cap(vm->kvm_fd, KVM_CAP_ADJUST_CLOCK);
	TEST_ASSERT(r == CLOCK_FLAGS, "system fd: 0x%x, expected 0x%x", r,
		    CLOCK_FLAGS);
	r = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK);
	TEST_ASSERT(r == CLOCK_FLAGS, "VM fd: 0x%x, expected 0x%x", r,
		    CLOCK_FLAGS);
}

/*
 * KVM_GET_SUPPORTED_CPUID: the "KVMKVMKVM" signature leaf and, in
 * 0x40000001 EAX, the kvmclock features (on rkvm exactly those: the only
 * paravirtual interface it implements).
 */
static void cpuid_pv_features(void)
{
	int kvm = kvm_open();
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid(kvm);
	uint32_t want = 1U << KVM_FEATURE_CLOCKSOURCE |
			1U << KVM_FEATURE_CLOCKSOURCE2 |
			1U << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
	struct kvm_cpuid_entry2 *sig = NULL, *feat = NULL;
	char name[13] = "";
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0x40000000)
			sig = &c->entries[i];
		if (c->entries[i].function == 0x40000001)
			feat = &c->entries[i];
	}
	TEST_ASSERT(sig && feat, "leaf 0x40000000 or 0x40000001 missing");
	memcpy(name, &sig->ebx, 4);
	memcpy(name + 4, &sig->ecx, 4);
	memcpy(name + 8, &sig->edx, 4);
	TEST_ASSERT(!strcmp(name, "KVMKVMKVM"), "signature \"%s\"", name);
	TEST_ASSERT(sig->eax >= 0x40000001, "max PV leaf 0x%x", sig->eax);
	test_log("0x40000001 eax 0x%08x", feat->eax);
	TEST_ASSERT((feat->eax & want) == want, "eax 0x%x lacks 0x%x",
		    feat->eax, want);
	if (is_rkvm())
		TEST_ASSERT(feat->eax == want, "rkvm: eax 0x%x, expected 0x%x",
			    feat->eax, want);
}

/* KVM_GET_MSR_INDEX_LIST has the four MSRs (6.1 emulated_msrs_all[]). */
static void msr_index_list(void)
{
	int kvm = kvm_open();
	uint32_t want[] = { MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
			    MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW };
	struct kvm_msr_list *l = kvm_get_msr_list(kvm, KVM_GET_MSR_INDEX_LIST);

	assert_msrs_listed(l, want, ARRAY_SIZE(want));
	free(l);
	close(kvm);
}

GUEST_CODE(g_hlt, ".code16", "hlt\n");

/* Run the HLT guest once (the area is written before the entry). */
static void run_hlt(struct kvm_vcpu *vcpu)
{
	vcpu_setup_real(vcpu, CODE_GPA);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/*
 * KVM_GET_CLOCK: about 0 at KVM_CREATE_VM; REALTIME and HOST_TSC reported
 * with the real time and host TSC of the instant (KVM: once its master
 * clock is up, i.e. a vCPU has entered, on a host clocked by the TSC); the
 * clock advances at the host's rate across a sleep.
 */
static void get_clock_basics(void)
{
	uint64_t m0, m1, r0, r1, t0, t1, a, b, c, d;
	struct kvm_clock_data g, ga, gb;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	m0 = mono();
	vcpu = real_guest(g_hlt);
	vm = vcpu->vm;
	/* KVM takes up its master clock (TSC_STABLE) at the vCPU's entry */
	run_hlt(vcpu);
	r0 = now_ns(CLOCK_REALTIME);
	t0 = __rdtsc();
	get_clock(vm, &g);
	t1 = __rdtsc();
	r1 = now_ns(CLOCK_REALTIME);
	m1 = mono();
	test_log("clock %llu ns after creation, flags 0x%x",
		 (unsigned long long)g.clock, g.flags);
	TEST_ASSERT(g.clock <= rate_hi(m1 - m0),
		    "clock %llu ns at creation, %llu ns ago at most",
		    (unsigned long long)g.clock, (unsigned long long)(m1 - m0));
	if (!is_rkvm() && !(g.flags & KVM_CLOCK_REALTIME))
		test_skip("this KVM runs without its master clock: no realtime");
	TEST_ASSERT((g.flags & (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)) ==
		    (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC),
		    "flags 0x%x", g.flags);
	TEST_ASSERT(!(g.flags & ~CLOCK_FLAGS), "flags 0x%x", g.flags);
	ASSERT_IN(g.realtime, r0, r1, "realtime");
	ASSERT_IN(g.host_tsc, t0, t1, "host_tsc");

	a = mono();
	get_clock(vm, &ga);
	b = mono();
	usleep(200000);
	c = mono();
	get_clock(vm, &gb);
	d = mono();
	test_log("%llu ns of kvmclock over a sleep of %llu ns",
		 (unsigned long long)(gb.clock - ga.clock),
		 (unsigned long long)(c - b));
	TEST_ASSERT(gb.clock >= ga.clock, "clock went back");
	ASSERT_IN(gb.clock - ga.clock, rate_lo(c - b), rate_hi(d - a),
		  "clock advance");
}

/* KVM_SET_CLOCK sets what KVM_GET_CLOCK then reads, up or down. */
static void set_clock_round_trip(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint64_t vals[] = { 1000 * NSEC, 5 * NSEC, 0, 1ULL << 62 };
	struct kvm_clock_data g;
	uint64_t a, b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		a = mono();
		set_clock(vm, vals[i], 0, 0);
		get_clock(vm, &g);
		b = mono();
		ASSERT_IN(g.clock, vals[i], vals[i] + rate_hi(b - a),
			  "KVM_GET_CLOCK after KVM_SET_CLOCK");
	}
}

/*
 * KVM_CLOCK_REALTIME: the real time elapsed since data.realtime is added;
 * a realtime in the future adds nothing (the clock is not stepped back).
 */
static void set_clock_realtime(void)
{
	struct kvm_vm *vm = vm_create(0);
	struct kvm_clock_data g;
	uint64_t a, b, r;

	a = mono();
	r = now_ns(CLOCK_REALTIME);
	set_clock(vm, 7 * NSEC, KVM_CLOCK_REALTIME, r - 30 * NSEC);
	get_clock(vm, &g);
	b = mono();
	ASSERT_IN(g.clock, 37 * NSEC, 37 * NSEC + rate_hi(b - a),
		  "realtime 30 s ago");

	a = mono();
	r = now_ns(CLOCK_REALTIME);
	set_clock(vm, 7 * NSEC, KVM_CLOCK_REALTIME, r + 30 * NSEC);
	get_clock(vm, &g);
	b = mono();
	ASSERT_IN(g.clock, 7 * NSEC, 7 * NSEC + rate_hi(b - a),
		  "realtime 30 s ahead");

	/* without the flag data.realtime is ignored */
	a = mono();
	set_clock(vm, 7 * NSEC, 0, r - 30 * NSEC);
	get_clock(vm, &g);
	b = mono();
	ASSERT_IN(g.clock, 7 * NSEC, 7 * NSEC + rate_hi(b - a),
		  "realtime without the flag");
}

/*
 * KVM_SET_CLOCK: a flag outside KVM_CLOCK_VALID_FLAGS is EINVAL; the flags
 * KVM_GET_CLOCK reports are accepted; 6.1 does not look at the padding.
 * Bad pointers are EFAULT.
 */
static void set_clock_errors(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint32_t bad[] = { 1, 1U << 4, 1U << 31, CLOCK_FLAGS | 1 };
	struct kvm_clock_data d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&d, 0, sizeof(d));
		d.flags = bad[i];
		EXPECT_ERRNO(ioctl(vm->fd, KVM_SET_CLOCK, &d), EINVAL);
	}
	get_clock(vm, &d);
	EXPECT_OK(ioctl(vm->fd, KVM_SET_CLOCK, &d));
	memset(&d, 0, sizeof(d));
	d.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_HOST_TSC;
	d.pad0 = 0xffffffff;
	d.pad[0] = d.pad[3] = 0x5a5a5a5a;
	errno = 0;
	EXPECT_6_1(ioctl(vm->fd, KVM_SET_CLOCK, &d) == 0,
		   "padding: %s", errno_name(errno));
	EXPECT_ERRNO(ioctl(vm->fd, KVM_SET_CLOCK, (void *)8), EFAULT);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_GET_CLOCK, (void *)8), EFAULT);
}

/*
 * The MSRs through KVM_SET/GET_MSRS: any value is taken and read back;
 * the old and new system-time MSRs are one per-vCPU register, the two
 * wall-clock MSRs one per-VM register; a vCPU starts with kvmclock off.
 */
static void msr_read_back(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *v0 = vcpu_create(vm, 0), *v1 = vcpu_create(vm, 1);

	TEST_ASSERT(get_msr(v0, MSR_KVM_SYSTEM_TIME_NEW) == 0 &&
		    get_msr(v0, MSR_KVM_SYSTEM_TIME) == 0 &&
		    get_msr(v0, MSR_KVM_WALL_CLOCK_NEW) == 0,
		    "not 0 at creation");
	set_msr(v0, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA | 1);
	TEST_ASSERT(get_msr(v0, MSR_KVM_SYSTEM_TIME_NEW) == (PVTI_GPA | 1),
		    "SYSTEM_TIME_NEW 0x%llx",
		    (unsigned long long)get_msr(v0, MSR_KVM_SYSTEM_TIME_NEW));
	TEST_ASSERT(get_msr(v0, MSR_KVM_SYSTEM_TIME) == (PVTI_GPA | 1),
		    "SYSTEM_TIME does not share SYSTEM_TIME_NEW's value");
	TEST_ASSERT(get_msr(v1, MSR_KVM_SYSTEM_TIME_NEW) == 0,
		    "SYSTEM_TIME_NEW is not per vCPU");
	set_msr(v0, MSR_KVM_SYSTEM_TIME, 0x123456789abcdef0ULL);
	TEST_ASSERT(get_msr(v0, MSR_KVM_SYSTEM_TIME_NEW) ==
		    0x123456789abcdef0ULL, "any value is taken");
	set_msr(v0, MSR_KVM_SYSTEM_TIME, 0);

	set_msr(v0, MSR_KVM_WALL_CLOCK_NEW, WALL_GPA);
	TEST_ASSERT(get_msr(v1, MSR_KVM_WALL_CLOCK_NEW) == WALL_GPA &&
		    get_msr(v1, MSR_KVM_WALL_CLOCK) == WALL_GPA,
		    "wall clock MSR not per VM");
	set_msr(v1, MSR_KVM_WALL_CLOCK, 0xfff00000ULL);
	TEST_ASSERT(get_msr(v0, MSR_KVM_WALL_CLOCK_NEW) == 0xfff00000ULL,
		    "wall clock MSR 0x%llx",
		    (unsigned long long)get_msr(v0, MSR_KVM_WALL_CLOCK_NEW));
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/*
 * The system-time area: not written while bit 0 is clear; written before
 * the next entry once it is set (version even, the VM's clock: the value
 * it gives for the guest TSC read between two KVM_GET_CLOCKs lies between
 * them, and PVCLOCK_TSC_STABLE_BIT as KVM_CLOCK_TSC_STABLE says); an
 * address without memory, or an area across a page boundary, is not
 * written and KVM_RUN still runs.
 */
static void system_time_area(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_hlt);
	struct kvm_vm *vm = vcpu->vm;
	struct pvti *p = gpa_to_hva(vm, PVTI_GPA), snap;
	uint8_t *cross = gpa_to_hva(vm, PVTI_GPA + 0x1000 - 16);
	struct kvm_clock_data g0, g1;
	uint64_t tsc, ns;

	memset(p, 0, 0x2000);
	set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	run_hlt(vcpu);
	TEST_ASSERT(all_zero(p, sizeof(*p)), "written with bit 0 clear");

	set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA | 1);
	run_hlt(vcpu);
	snap = *p;
	test_log("version %u tsc_timestamp %llu system_time %llu mul %u shift %d flags 0x%x",
		 snap.version, (unsigned long long)snap.tsc_timestamp,
		 (unsigned long long)snap.system_time, snap.tsc_to_system_mul,
		 snap.tsc_shift, snap.flags);
	TEST_ASSERT(snap.version && !(snap.version & 1), "version %u",
		    snap.version);
	TEST_ASSERT(snap.tsc_to_system_mul, "tsc_to_system_mul 0");
	get_clock(vm, &g0);
	tsc = get_msr(vcpu, MSR_IA32_TSC);
	get_clock(vm, &g1);
	ns = pvclock_at(&snap, tsc);
	ASSERT_IN(ns, g0.clock, g1.clock, "area's clock at the guest TSC");
	TEST_ASSERT(!(snap.flags & PVCLOCK_TSC_STABLE_BIT) ==
		    !(g1.flags & KVM_CLOCK_TSC_STABLE),
		    "PVCLOCK_TSC_STABLE_BIT %d, KVM_CLOCK_TSC_STABLE %d",
		    !!(snap.flags & PVCLOCK_TSC_STABLE_BIT),
		    !!(g1.flags & KVM_CLOCK_TSC_STABLE));

	/* no memory there: nothing to write, nothing fails */
	set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0x40000000ULL | 1);
	run_hlt(vcpu);
	TEST_ASSERT(p->version == snap.version, "old area rewritten");
	/* across a page boundary: never written */
	set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, (PVTI_GPA + 0x1000 - 16) | 1);
	run_hlt(vcpu);
	TEST_ASSERT(all_zero(cross, sizeof(struct pvti)),
		    "area across a page boundary written");
	/* off again: the old area stays as it was */
	set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA | 1);
	run_hlt(vcpu);
	snap = *p;
	set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	set_clock(vm, 100 * NSEC, 0, 0);
	run_hlt(vcpu);
	TEST_ASSERT(!memcmp(&snap, p, sizeof(snap)),
		    "area written after bit 0 was cleared");
}

/*
 * The wall-clock MSR writes, at once, the host's real time when the
 * kvmclock read 0 (version even); the old MSR does the same; address 0
 * is left alone.
 */
static void wall_clock(void)
{
	uint64_t r0 = now_ns(CLOCK_REALTIME), r1, r2, r3, boot, zero;
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(GUEST_MEM_SIZE), 0);
	struct kvm_vm *vm = vcpu->vm;
	struct wall *w = gpa_to_hva(vm, WALL_GPA), *w0 = gpa_to_hva(vm, 0);
	struct kvm_clock_data g;
	uint8_t page0[16];

	memset(w, 0, sizeof(*w));
	set_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW, WALL_GPA);
	get_clock(vm, &g);
	r1 = now_ns(CLOCK_REALTIME);
	boot = w->sec * NSEC + w->nsec;
	test_log("version %u sec %u nsec %u; clock %llu", w->version, w->sec,
		 w->nsec, (unsigned long long)g.clock);
	TEST_ASSERT(w->version == 2, "version %u", w->version);
	TEST_ASSERT(w->nsec < NSEC, "nsec %u", w->nsec);
	/* the kvmclock's zero is the VM's creation */
	ASSERT_IN(boot, r0 - 10 * MSEC, r1 + 10 * MSEC, "wall clock");
	if (g.flags & KVM_CLOCK_REALTIME) {
		zero = g.realtime - g.clock;
		TEST_ASSERT(boot > zero ? boot - zero < 50 * MSEC :
			    zero - boot < 50 * MSEC,
			    "wall clock %llu, KVM_GET_CLOCK says %llu",
			    (unsigned long long)boot, (unsigned long long)zero);
	}

	/* the clock at 100 s now: its zero was 100 s ago */
	r2 = now_ns(CLOCK_REALTIME);
	set_clock(vm, 100 * NSEC, 0, 0);
	set_msr(vcpu, MSR_KVM_WALL_CLOCK, WALL_GPA);
	r3 = now_ns(CLOCK_REALTIME);
	boot = w->sec * NSEC + w->nsec;
	ASSERT_IN(boot, r2 - 100 * NSEC - 10 * MSEC, r3 - 100 * NSEC + 10 * MSEC,
		  "old MSR after KVM_SET_CLOCK(100 s)");
	TEST_ASSERT(w->version == 4, "version %u", w->version);

	memset(w0, 0x5a, sizeof(page0));
	memcpy(page0, w0, sizeof(page0));
	set_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW, 0);
	TEST_ASSERT(!memcmp(page0, w0, sizeof(page0)), "GPA 0 written");
}

/*
 * 64-bit guest: enable kvmclock at PVTI_GPA and the wall clock at
 * WALL_GPA with WRMSR, then forever: read the pvclock (retrying while the
 * version is odd or changes, at most 1000 times, else report ~0) and report
 * it on PORT as two 32-bit OUTs, low half first.
 */
GUEST_CODE(g_pvclock, ".code64",
	"mov $0x4b564d01, %ecx\n"
	"mov $0xa001, %eax\n"
	"xor %edx, %edx\n"
	"wrmsr\n"
	"mov $0x4b564d00, %ecx\n"
	"mov $0xb000, %eax\n"
	"wrmsr\n"
	"mov $0xa000, %edi\n"
	"1:\n"
	"mov $1000, %r9d\n"
	"2:\n"
	"mov (%rdi), %r8d\n"
	"lfence\n"
	"rdtsc\n"
	"shl $32, %rdx\n"
	"or %rdx, %rax\n"
	"sub 8(%rdi), %rax\n"
	"movsbl 28(%rdi), %ecx\n"
	"test %ecx, %ecx\n"
	"js 3f\n"
	"shl %cl, %rax\n"
	"jmp 4f\n"
	"3:\n"
	"neg %ecx\n"
	"shr %cl, %rax\n"
	"4:\n"
	"mov 24(%rdi), %ecx\n"
	"mul %rcx\n"
	"shrd $32, %rdx, %rax\n"
	"add 16(%rdi), %rax\n"
	"lfence\n"
	"mov (%rdi), %ecx\n"
	"cmp %ecx, %r8d\n"
	"jne 5f\n"
	"test $1, %r8d\n"
	"jz 6f\n"
	"5:\n"
	"dec %r9d\n"
	"jnz 2b\n"
	"mov $-1, %rax\n"
	"6:\n"
	"out %eax, $0x10\n"
	"shr $32, %rax\n"
	"out %eax, $0x10\n"
	"jmp 1b\n");

/* One guest pvclock reading, bracketed by KVM_GET_CLOCK. */
static uint64_t guest_read(struct kvm_vcpu *vcpu, const char *what)
{
	struct kvm_clock_data g0, g1;
	uint64_t v;

	get_clock(vcpu->vm, &g0);
	v = vcpu_run_out(vcpu, PORT, 4);
	v |= (uint64_t)vcpu_run_out(vcpu, PORT, 4) << 32;
	get_clock(vcpu->vm, &g1);
	TEST_ASSERT(v != ~0ULL, "%s: the area's version stayed odd", what);
	ASSERT_IN(v, g0.clock, g1.clock, what);
	return v;
}

static struct kvm_vcpu *pvclock_guest(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	memset(gpa_to_hva(vm, PVTI_GPA), 0, 0x2000);
	vm_load_code(vm, CODE_GPA, g_pvclock);
	vcpu_setup_long(vcpu, CODE_GPA);
	return vcpu;
}

/*
 * The guest's own readings: between the KVM_GET_CLOCKs around each run;
 * two readings around a host sleep differ by the host's interval; after
 * KVM_SET_CLOCK the guest reads the new clock, and after a write of its TSC
 * the same clock. The MSRs it wrote read back through KVM_GET_MSRS, and the
 * wall clock it asked for is written.
 */
static void guest_pvclock(void)
{
	struct kvm_vcpu *vcpu = pvclock_guest();
	struct kvm_vm *vm = vcpu->vm;
	struct wall *w = gpa_to_hva(vm, WALL_GPA);
	uint64_t c1, c2, c3, a, b, c, d;

	a = mono();
	c1 = guest_read(vcpu, "first reading");
	b = mono();
	TEST_ASSERT(get_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW) == (PVTI_GPA | 1),
		    "guest's SYSTEM_TIME_NEW write reads back 0x%llx",
		    (unsigned long long)get_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW));
	TEST_ASSERT(get_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW) == WALL_GPA,
		    "guest's WALL_CLOCK_NEW write reads back 0x%llx",
		    (unsigned long long)get_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW));
	TEST_ASSERT(w->version == 2 && w->sec, "wall clock version %u sec %u",
		    w->version, w->sec);
	usleep(200000);
	c = mono();
	c2 = guest_read(vcpu, "second reading");
	d = mono();
	test_log("guest readings %llu and %llu: %llu ns over a sleep of %llu ns",
		 (unsigned long long)c1, (unsigned long long)c2,
		 (unsigned long long)(c2 - c1), (unsigned long long)(c - b));
	ASSERT_IN(c2 - c1, rate_lo(c - b), rate_hi(d - a), "guest's interval");

	set_clock(vm, 3600 * NSEC, 0, 0);
	c3 = guest_read(vcpu, "after KVM_SET_CLOCK(1 h)");
	TEST_ASSERT(c3 >= 3600 * NSEC, "reading %llu",
		    (unsigned long long)c3);
	set_clock(vm, 10 * NSEC, 0, 0);
	c3 = guest_read(vcpu, "after KVM_SET_CLOCK(10 s)");

	set_msr(vcpu, MSR_IA32_TSC, 1ULL << 40);
	guest_read(vcpu, "after an IA32_TSC write");
	set_msr(vcpu, MSR_IA32_TSC, 12345);
	guest_read(vcpu, "after an IA32_TSC write backwards");
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(sched_setaffinity(0, sizeof(set), &set) == 0,
		    "sched_setaffinity(%d): %s", cpu, strerror(errno));
}

/* The guest's clock stays the VM's as its thread changes CPU. */
static void guest_pvclock_cpu_move(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct kvm_vcpu *vcpu;
	uint64_t prev = 0, v;
	int i;

	if (ncpus < 2)
		test_skip("one CPU online: the vCPU thread cannot move");
	vcpu = pvclock_guest();
	for (i = 0; i < 6; i++) {
		pin_to(i % 2);
		v = guest_read(vcpu, i % 2 ? "on CPU 1" : "on CPU 0");
		TEST_ASSERT(v >= prev, "went back: %llu after %llu",
			    (unsigned long long)v, (unsigned long long)prev);
		prev = v;
	}
}

static const struct kvm_test tests[] = {
	{ "KVM_CAP_ADJUST_CLOCK is REALTIME | HOST_TSC | TSC_STABLE",
	  cap_adjust_clock },
	{ "CPUID 0x40000001 offers CLOCKSOURCE, CLOCKSOURCE2, STABLE_BIT",
	  cpuid_pv_features },
	{ "KVM_GET_MSR_INDEX_LIST lists the four kvmclock MSRs",
	  msr_index_list },
	{ "KVM_GET_CLOCK: 0 at creation, realtime and host TSC, host's rate",
	  get_clock_basics },
	{ "KVM_SET_CLOCK then KVM_GET_CLOCK round-trips", set_clock_round_trip },
	{ "KVM_SET_CLOCK with KVM_CLOCK_REALTIME adds the time elapsed",
	  set_clock_realtime },
	{ "KVM_SET_CLOCK: bad flags EINVAL, GET_CLOCK's flags accepted, EFAULT",
	  set_clock_errors },
	{ "kvmclock MSRs read back through KVM_GET_MSRS", msr_read_back },
	{ "system time area: enable bit, written before entry, no RAM no write",
	  system_time_area },
	{ "wall clock MSR: host real time at the kvmclock's zero", wall_clock },
	{ "guest pvclock: within KVM_GET_CLOCK, host's rate, SET_CLOCK, TSC write",
	  guest_pvclock },
	{ "guest pvclock as the vCPU thread moves between CPUs",
	  guest_pvclock_cpu_move },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
