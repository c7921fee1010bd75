// SPDX-License-Identifier: GPL-2.0
/*
 * leak_cycles: create VM / add a slot / create a vCPU / run it to HLT /
 * destroy, LEAK_CYCLES times (default 1000), must give back what it took:
 * /proc/meminfo MemFree and SUnreclaim (unreclaimable slab, where struct
 * kvm, vCPUs, memslots and page-table bookkeeping live) are compared
 * before and after, after a warm-up of 20 cycles (slab caches, per-CPU
 * data, first-time allocations).
 *
 * Tolerances, for 1000 cycles: SUnreclaim may grow by < 512 KiB, i.e.
 * anything of 512 bytes or more kept per cycle fails (struct kvm, a vCPU,
 * a memslot are all larger), while a few slab pages left cached per cache
 * pass.  MemFree may drop by < 2 MiB, i.e. one 4 KiB page kept every
 * other cycle fails (a VMCS, an EPT table, the kvm_run page, the guest's
 * memory), while the per-CPU free lists and LRU batches of the page
 * allocator (a few hundred pages) pass.  Both scale with LEAK_CYCLES.
 * Other processes change these counters too, so a run over tolerance is
 * measured again (3 tries, LEAK_TRIES): a real leak fails every try.
 *
 * Under Bochs (RKVM_BENCH=bochs) the default is 200 cycles: 1000 take
 * ~106 s of guest time on kvm_intel (~14 s on rkvm), more than a case may
 * take there; the tolerances shrink with the count, so the same
 * per-cycle leak still fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define WARMUP		20
#define DEF_CYCLES	1000
#define BOCHS_CYCLES	200
#define DEF_TRIES	3
#define SLAB_TOL_KB	512	/* per 1000 cycles */
#define FREE_TOL_KB	2048

struct meminfo {
	long free_kb;
	long sunreclaim_kb;
};

static void read_meminfo(struct meminfo *m)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];

	TEST_ASSERT(f, "/proc/meminfo: %s", strerror(errno));
	m->free_kb = m->sunreclaim_kb = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemFree: %ld kB", &m->free_kb);
		sscanf(line, "SUnreclaim: %ld kB", &m->sunreclaim_kb);
	}
	fclose(f);
	TEST_ASSERT(m->free_kb >= 0 && m->sunreclaim_kb >= 0,
		    "MemFree/SUnreclaim missing from /proc/meminfo");
}

static int env_int(const char *name, int def)
{
	const char *s = getenv(name);

	return s && atoi(s) > 0 ? atoi(s) : def;
}

/* LEAK_CYCLES, else 1000 (200 under Bochs). */
static int cycles(void)
{
	const char *bench = getenv("RKVM_BENCH");

	return env_int("LEAK_CYCLES", bench && !strcmp(bench, "bochs") ?
		       BOCHS_CYCLES : DEF_CYCLES);
}

/* Real-mode guest: OUT, HLT. */
GUEST_CODE(g_cycle, ".code16",
	"movb $0x5a, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/*
 * One cycle: system fd, VM, a 64 KiB slot (the guest touches its code
 * and page 0x8000 only; the host wrote all of it), a vCPU run to HLT,
 * then every fd closed and the memory unmapped.
 */
static void cycle(void)
{
	struct kvm_vm *vm = vm_create(0x10000);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_GPA, g_cycle);
	vcpu_setup_real(vcpu, CODE_GPA);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 0x5a, "guest output");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_free(vcpu);
	vm_free(vm);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Freed memory can come back late (RCU callbacks, SRCU cleanup, per-CPU
 * lists): poll for up to 3 s until both deltas are within tolerance.
 */
static bool settled(const struct meminfo *before, long slab_tol,
		    long free_tol, struct meminfo *after)
{
	int i;

	for (i = 0; i < 15; i++) {
		read_meminfo(after);
		if (after->sunreclaim_kb - before->sunreclaim_kb < slab_tol &&
		    before->free_kb - after->free_kb < free_tol)
			return true;
		usleep(200000);
	}
	return false;
}

static void leak(void)
{
	int n = cycles();
	int tries = env_int("LEAK_TRIES", DEF_TRIES), t, i;
	long slab_tol = (long)SLAB_TOL_KB * n / DEF_CYCLES;
	long free_tol = (long)FREE_TOL_KB * n / DEF_CYCLES;
	struct meminfo before, after;
	double t0;

	if (slab_tol < 64)
		slab_tol = 64;
	if (free_tol < 256)
		free_tol = 256;
	for (i = 0; i < WARMUP; i++)
		cycle();
	for (t = 1; t <= tries; t++) {
		sync();
		read_meminfo(&before);
		t0 = now();
		for (i = 0; i < n; i++)
			cycle();
		if (settled(&before, slab_tol, free_tol, &after)) {
			test_log("try %d: %d cycles in %.1f s: SUnreclaim %+ld kB (< %ld), MemFree %+ld kB (> -%ld)",
				 t, n, now() - t0,
				 after.sunreclaim_kb - before.sunreclaim_kb,
				 slab_tol, after.free_kb - before.free_kb,
				 free_tol);
			return;
		}
		test_log("try %d: %d cycles in %.1f s: SUnreclaim %+ld kB (tolerance %ld), MemFree %+ld kB (tolerance -%ld): over",
			 t, n, now() - t0,
			 after.sunreclaim_kb - before.sunreclaim_kb, slab_tol,
			 after.free_kb - before.free_kb, free_tol);
	}
	TEST_ASSERT(0, "%d create/run/destroy cycles leaked memory in all %d tries: last SUnreclaim %+ld kB, MemFree %+ld kB",
		    n, tries, after.sunreclaim_kb - before.sunreclaim_kb,
		    after.free_kb - before.free_kb);
}

/*
 * The same with 4 vCPUs and 4 slots per VM, a tenth of the cycles: the
 * per-vCPU and per-slot objects are freed too.
 */
static void leak_wide(void)
{
	int n = cycles() / 10, t, i, k;
	int tries = env_int("LEAK_TRIES", DEF_TRIES);
	long slab_tol = (long)SLAB_TOL_KB * 10 * n / DEF_CYCLES;
	long free_tol = (long)FREE_TOL_KB * 10 * n / DEF_CYCLES;
	struct meminfo before, after;

	if (n < 1)
		n = 1;
	if (slab_tol < 64)
		slab_tol = 64;
	if (free_tol < 256)
		free_tol = 256;
	for (t = 0; t <= tries; t++) {
		if (t)
			read_meminfo(&before);
		for (i = 0; i < (t ? n : 5); i++) {
			struct kvm_vm *vm = vm_create(0x10000);
			struct kvm_vcpu *v[4];
			uint8_t *extra = alloc_host_mem(3 * PAGE_SIZE);

			vm_load_code(vm, CODE_GPA, g_cycle);
			for (k = 1; k < 4; k++)
				EXPECT_OK(vm_set_region(vm, k,
					  k == 3 ? KVM_MEM_LOG_DIRTY_PAGES : 0,
					  0x100000 * k, PAGE_SIZE,
					  extra + (k - 1) * PAGE_SIZE));
			for (k = 0; k < 4; k++) {
				v[k] = vcpu_create(vm, k);
				vcpu_setup_real(v[k], CODE_GPA);
				TEST_ASSERT(vcpu_run_out(v[k], 0x10, 1) == 0x5a,
					    "guest output");
			}
			for (k = 0; k < 4; k++)
				vcpu_free(v[k]);
			vm_free(vm);
			munmap(extra, 3 * PAGE_SIZE);
		}
		if (!t)
			continue;	/* warm-up */
		if (settled(&before, slab_tol, free_tol, &after)) {
			test_log("try %d: %d cycles: SUnreclaim %+ld kB (< %ld), MemFree %+ld kB (> -%ld)",
				 t, n, after.sunreclaim_kb - before.sunreclaim_kb,
				 slab_tol, after.free_kb - before.free_kb,
				 free_tol);
			return;
		}
		test_log("try %d: SUnreclaim %+ld kB, MemFree %+ld kB: over",
			 t, after.sunreclaim_kb - before.sunreclaim_kb,
			 after.free_kb - before.free_kb);
	}
	TEST_ASSERT(0, "%d cycles of 4 vCPUs + 4 slots leaked memory in all %d tries: last SUnreclaim %+ld kB, MemFree %+ld kB",
		    n, tries, after.sunreclaim_kb - before.sunreclaim_kb,
		    after.free_kb - before.free_kb);
}

static const struct kvm_test tests[] = {
	{ "create/slot/vCPU/run/destroy cycles leak no memory", leak },
	{ "cycles with 4 vCPUs and 4 slots leak no memory", leak_wide },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
