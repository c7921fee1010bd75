// SPDX-License-Identifier: GPL-2.0
/*
 * memslots_scale: a VM with as many memslots as KVM_CAP_NR_MEMSLOTS
 * reports (at least 509, rkvm's count), each marker slot one page, all
 * reachable by one guest; and memslots added, moved and deleted by the
 * main thread while four vCPUs walk other slots (kvm_main.c,
 * __kvm_set_memory_region(): the vCPUs must only ever see the slots they
 * read, every ioctl returns what 6.1 returns).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define SLOT0_SIZE	0x10000UL
#define MIN_SLOTS	509
#define PORT_RESULT	0x10
#define SCALE_GPA	0x10000000UL	/* marker slots, one page each */
#define HOST_PAGES	512		/* host pages behind them, shared */

/*
 * 32-bit flat: for i = 0 .. ECX-1, add the dword at
 * ESI + i * 4 KiB + (i / 512) * 4; report the sum with OUT, halt.
 */
GUEST_CODE(g_scale, ".code32",
	"xorl %eax, %eax\n"
	"xorl %edx, %edx\n"
	"1: movl %edx, %edi\n"
	"shrl $9, %edi\n"
	"addl (%esi,%edi,4), %eax\n"
	"addl $4096, %esi\n"
	"incl %edx\n"
	"loop 1b\n"
	"outl %eax, $0x10\n"
	"hlt\n");

static uint32_t marker(uint32_t pos)
{
	return pos * 0x9e3779b1u + 0x01234567u;
}

static unsigned long gcd(unsigned long a, unsigned long b)
{
	while (b) {
		unsigned long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Slot 0 holds the code; slots 1 .. @nslots-1 map one page each at
 * SCALE_GPA + pos * 4 KiB, where the position is a permutation of the
 * slot id (so ids and addresses are in different orders).  Position
 * pos is backed by host page pos % 512, its marker at offset
 * (pos / 512) * 4.  The guest sums all markers in one pass.
 */
static void scale(int nslots)
{
	struct kvm_vm *vm = vm_create(SLOT0_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	unsigned long n = nslots - 1, mul = 7919, i;
	uint8_t *host = alloc_host_mem(HOST_PAGES * PAGE_SIZE);
	uint32_t sum = 0, got;
	struct kvm_regs regs;
	double t0 = now();

	TEST_ASSERT(n / HOST_PAGES * 4 < PAGE_SIZE, "too many slots: %d",
		    nslots);
	while (gcd(mul, n) != 1)
		mul++;
	for (i = 0; i < n; i++) {
		uint32_t m = marker(i);

		memcpy(host + (i % HOST_PAGES) * PAGE_SIZE +
		       (i / HOST_PAGES) * 4, &m, 4);
		sum += m;
	}
	/* create from the highest id down, at permuted positions */
	for (i = n; i >= 1; i--) {
		unsigned long pos = (i - 1) * mul % n;

		if (vm_set_region(vm, i, 0, SCALE_GPA + pos * PAGE_SIZE,
				  PAGE_SIZE, host + (pos % HOST_PAGES) *
				  PAGE_SIZE) != 0)
			TEST_ASSERT(0, "slot %lu of %d at 0x%lx: %s", i, nslots,
				    SCALE_GPA + pos * PAGE_SIZE,
				    errno_name(errno));
	}
	test_log("%d slots created in %.1f s", nslots, now() - t0);
	/* all ids used: the next one is out of range */
	if (nslots == kvm_check_cap(vm->kvm_fd, KVM_CAP_NR_MEMSLOTS))
		TEST_ASSERT(vm_set_region(vm, nslots, 0, 0x8000000, PAGE_SIZE,
					  host) == -1 && errno == EINVAL,
			    "slot id %d (= KVM_CAP_NR_MEMSLOTS): expected EINVAL, got %s",
			    nslots, errno_name(errno));

	vm_load_code(vm, CODE_GPA, g_scale);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	vcpu_get_regs(vcpu, &regs);
	regs.rsi = SCALE_GPA;
	regs.rcx = n;
	vcpu_set_regs(vcpu, &regs);
	t0 = now();
	got = vcpu_run_out(vcpu, PORT_RESULT, 4);
	test_log("guest pass over %lu slots in %.1f s", n, now() - t0);
	TEST_ASSERT(got == sum, "sum of %lu slot markers: 0x%08x, expected 0x%08x",
		    n, got, sum);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);

	/* a second pass (everything mapped now), then delete every other */
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	vcpu_set_regs(vcpu, &regs);
	got = vcpu_run_out(vcpu, PORT_RESULT, 4);
	TEST_ASSERT(got == sum, "second pass: 0x%08x, expected 0x%08x", got,
		    sum);
	t0 = now();
	for (i = 1; i <= n; i += 2)
		TEST_ASSERT(vm_set_region(vm, i, 0, 0, 0, NULL) == 0,
			    "delete slot %lu: %s", i, errno_name(errno));
	test_log("%lu slots deleted in %.1f s", (n + 1) / 2, now() - t0);
}

static int nr_memslots(void)
{
	int fd = kvm_open(), nr = kvm_check_cap(fd, KVM_CAP_NR_MEMSLOTS);

	close(fd);
	return nr;
}

static void scale_509(void)
{
	int nr = nr_memslots();

	TEST_ASSERT(nr >= MIN_SLOTS, "KVM_CAP_NR_MEMSLOTS %d < %d", nr,
		    MIN_SLOTS);
	scale(MIN_SLOTS);
}

static void scale_all(void)
{
	int nr = nr_memslots();
	const char *max = getenv("MEMSLOTS_SCALE_MAX");
	const char *bench = getenv("RKVM_BENCH");

	TEST_ASSERT(nr >= MIN_SLOTS, "KVM_CAP_NR_MEMSLOTS %d < %d", nr,
		    MIN_SLOTS);
	if (nr == MIN_SLOTS)
		test_skip("KVM_CAP_NR_MEMSLOTS is %d: the previous case used them all",
			  nr);
	/*
	 * Under Bochs (~50M instructions/s) 32764 slots (6.1) take minutes:
	 * default to 2048 there.
	 */
	if (!max && bench && !strcmp(bench, "bochs"))
		max = "2048";
	if (max && atoi(max) >= MIN_SLOTS && atoi(max) < nr) {
		test_log("KVM_CAP_NR_MEMSLOTS %d, limited to MEMSLOTS_SCALE_MAX %d",
			 nr, atoi(max));
		nr = atoi(max);
	}
	test_log("%d slots", nr);
	scale(nr);
}

/* ---- churn ---------------------------------------------------------------- */

#define NR_WALKERS	4
#define WALK_GPA	0x100000UL	/* 16 slots x 4 pages */
#define WALK_SLOTS	16
#define WALK_PAGES	(WALK_SLOTS * 4)
#define ROUNDS		40
#define CHURN_FIRST	100		/* churned slot ids 100..115 */
#define CHURN_N		16
#define CHURN_GPA_A	0x800000UL
#define CHURN_GPA_B	0xc00000UL
#define MIN_CHURN	64

/*
 * 32-bit flat, EBP rounds of: sum the dword at EDI in each of the 64
 * pages from EBX, report it (OUT 4 bytes); then HLT.
 */
GUEST_CODE(g_walk, ".code32",
	"1: xorl %eax, %eax\n"
	"movl %ebx, %esi\n"
	"movl $64, %ecx\n"
	"2: addl (%esi,%edi), %eax\n"
	"addl $4096, %esi\n"
	"loop 2b\n"
	"outl %eax, $0x10\n"
	"decl %ebp\n"
	"jnz 1b\n"
	"hlt\n");

struct walker {
	struct kvm_vcpu *vcpu;
	uint32_t expect;
	int rounds_done;
	volatile int *done;
	pthread_barrier_t *start;
};

static void *walk(void *arg)
{
	struct walker *w = arg;
	int r;

	pthread_barrier_wait(w->start);
	for (r = 0; r < ROUNDS; r++) {
		uint32_t got = vcpu_run_out(w->vcpu, PORT_RESULT, 4);

		TEST_ASSERT(got == w->expect,
			    "vCPU %d round %d: sum 0x%08x, expected 0x%08x",
			    w->vcpu->id, r, got, w->expect);
		w->rounds_done++;
	}
	vcpu_run_expect(w->vcpu, KVM_EXIT_HLT);
	__atomic_add_fetch(w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* 32-bit flat: read the byte at [ESI], report it, halt. */
GUEST_CODE(g_read, ".code32",
	"movb (%esi), %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void read_setup(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_regs regs;

	vcpu_setup_pm32(vcpu, CODE_GPA + 0x100, false);
	vcpu_get_regs(vcpu, &regs);
	regs.rsi = gpa;
	vcpu_set_regs(vcpu, &regs);
}

static uint8_t read_byte(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	read_setup(vcpu, gpa);
	return vcpu_run_out(vcpu, PORT_RESULT, 1);
}

static void read_mmio(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_run *run = vcpu->run;

	read_setup(vcpu, gpa);
	vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT(run->mmio.phys_addr == gpa && run->mmio.len == 1 &&
		    !run->mmio.is_write,
		    "expected a 1-byte MMIO read at 0x%llx, got %s at 0x%llx len %u",
		    (unsigned long long)gpa,
		    run->mmio.is_write ? "write" : "read",
		    (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	/* complete it before the next KVM_SET_REGS */
	run->mmio.data[0] = 0x99;
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_RESULT, 1) == 0x99,
		    "MMIO read completion");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

#define CHURN(expr, err)						\
	do {								\
		int __r;						\
		errno = 0;						\
		__r = (expr);						\
		TEST_ASSERT((err) ? (__r == -1 && errno == (err)) : __r == 0, \
			    "churn %d: %s: expected %s, got %d %s", it,	\
			    #expr, (err) ? errno_name(err) : "success",	\
			    __r, errno_name(errno));			\
	} while (0)

/*
 * Four vCPUs, each summing its own dword column of the 64 walked pages
 * ROUNDS times, while the main thread adds, moves and deletes other
 * slots (and tries moves that must fail).
 */
static void churn(void)
{
	struct kvm_vm *vm = vm_create(SLOT0_SIZE);
	uint8_t *walkmem = alloc_host_mem(WALK_PAGES * PAGE_SIZE);
	uint8_t *churnmem = alloc_host_mem(CHURN_N * PAGE_SIZE);
	struct walker w[NR_WALKERS];
	pthread_t th[NR_WALKERS];
	volatile int done = 0;
	pthread_barrier_t start;
	int i, k, it;

	vm_load_code(vm, CODE_GPA, g_walk);
	for (i = 0; i < WALK_PAGES; i++)
		for (k = 0; k < NR_WALKERS; k++) {
			uint32_t v = marker(i * NR_WALKERS + k);

			memcpy(walkmem + i * PAGE_SIZE + k * 4, &v, 4);
		}
	for (i = 0; i < WALK_SLOTS; i++)
		EXPECT_OK(vm_set_region(vm, 1 + i, 0, WALK_GPA + i * 0x4000,
					0x4000, walkmem + i * 0x4000));
	for (i = 0; i < CHURN_N; i++)
		memset(churnmem + i * PAGE_SIZE, 0x40 + i, PAGE_SIZE);
	for (k = 0; k < NR_WALKERS; k++) {
		struct kvm_regs regs;

		w[k].vcpu = vcpu_create(vm, k);
		w[k].expect = 0;
		w[k].rounds_done = 0;
		w[k].done = &done;
		w[k].start = &start;
		for (i = 0; i < WALK_PAGES; i++)
			w[k].expect += marker(i * NR_WALKERS + k);
		vcpu_setup_pm32(w[k].vcpu, CODE_GPA, false);
		vcpu_get_regs(w[k].vcpu, &regs);
		regs.rbx = WALK_GPA;
		regs.rdi = k * 4;
		regs.rbp = ROUNDS;
		vcpu_set_regs(w[k].vcpu, &regs);
	}
	pthread_barrier_init(&start, NULL, NR_WALKERS + 1);
	for (k = 0; k < NR_WALKERS; k++)
		TEST_ASSERT(pthread_create(&th[k], NULL, walk, &w[k]) == 0,
			    "pthread_create");
	pthread_barrier_wait(&start);

	for (it = 0; it < MIN_CHURN || done < NR_WALKERS; it++) {
		int id = CHURN_FIRST + it % CHURN_N;
		uint64_t a = CHURN_GPA_A + (it % CHURN_N) * 0x10000;
		uint64_t b = CHURN_GPA_B + (it % CHURN_N) * 0x10000;
		void *hva = churnmem + (it % CHURN_N) * PAGE_SIZE;

		TEST_ASSERT(it < 100000, "walkers never finished");
		CHURN(vm_set_region(vm, id, 0, a, PAGE_SIZE, hva), 0);
		/* another id on the same range, or onto the walked slots */
		CHURN(vm_set_region(vm, CHURN_FIRST + CHURN_N, 0, a,
				    PAGE_SIZE, hva), EEXIST);
		CHURN(vm_set_region(vm, id, 0, WALK_GPA + 0x5000, PAGE_SIZE,
				    hva), EEXIST);
		CHURN(vm_set_region(vm, id, 0, b, PAGE_SIZE, hva), 0);
		/* only the GPA and the dirty-log flag may change */
		CHURN(vm_set_region(vm, id, 0, b, 2 * PAGE_SIZE, hva), EINVAL);
		CHURN(vm_set_region(vm, id, KVM_MEM_LOG_DIRTY_PAGES, b,
				    PAGE_SIZE, hva), 0);
		CHURN(vm_set_region(vm, id, 0, 0, 0, NULL), 0);
		if (it % 2)	/* deleting it again */
			CHURN(vm_set_region(vm, id, 0, 0, 0, NULL), EINVAL);
	}
	for (k = 0; k < NR_WALKERS; k++)
		pthread_join(th[k], NULL);
	test_log("%d churn iterations while %d vCPUs walked %d rounds each",
		 it, NR_WALKERS, ROUNDS);

	/*
	 * Afterwards: a churned slot added at A and moved to B is read at B;
	 * A is MMIO again; the walked slots are intact.
	 */
	vm_load_code(vm, CODE_GPA + 0x100, g_read);
	EXPECT_OK(vm_set_region(vm, CHURN_FIRST, 0, CHURN_GPA_A, PAGE_SIZE,
				churnmem + 3 * PAGE_SIZE));
	EXPECT_OK(vm_set_region(vm, CHURN_FIRST, 0, CHURN_GPA_B, PAGE_SIZE,
				churnmem + 3 * PAGE_SIZE));
	TEST_ASSERT(read_byte(w[0].vcpu, CHURN_GPA_B + 0x10) == 0x43,
		    "churned slot at its final GPA");
	read_mmio(w[1].vcpu, CHURN_GPA_A + 0x10);
	for (k = 0; k < NR_WALKERS; k++)
		TEST_ASSERT(read_byte(w[k].vcpu, WALK_GPA + 0x3f000 + k * 4) ==
			    (marker(63 * NR_WALKERS + k) & 0xff),
			    "walked slot after the churn, vCPU %d", k);
}

static const struct kvm_test tests[] = {
	{ "509 one-page slots, guest reads a marker from each", scale_509 },
	{ "KVM_CAP_NR_MEMSLOTS one-page slots, guest reads each", scale_all },
	{ "slots added/moved/deleted while 4 vCPUs walk other slots", churn },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
