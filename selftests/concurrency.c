// SPDX-License-Identifier: GPL-2.0
/*
 * concurrency: many VMs and vCPUs running at once from several threads,
 * VM creation/destruction in parallel, memslot updates while a vCPU runs,
 * and racing KVM_CREATE_VCPU calls for one id (exactly one wins, the rest
 * get EEXIST), and the guest's SSE registers surviving the vCPU thread
 * being switched out inside KVM_RUN.  Guests are short, bounded loops
 * (bench constraint).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define ROUNDS	20
#define INNER	500

/*
 * BX = seed, DI = rounds.  Each round: AX = INNER * BX (16-bit), OUT AX,
 * BX++.  Then HLT.
 */
GUEST_CODE(g_work, ".code16",
	"1: movw $500, %cx\n"
	"xorw %ax, %ax\n"
	"2: addw %bx, %ax\n"
	"loop 2b\n"
	"outw %ax, $0x10\n"
	"incw %bx\n"
	"decw %di\n"
	"jnz 1b\n"
	"hlt\n");

static pthread_barrier_t barrier;
static bool use_barrier;

static void vcpu_start(struct kvm_vcpu *vcpu, uint16_t seed)
{
	struct kvm_regs r;

	vcpu_setup_real(vcpu, CODE_GPA);
	vcpu_get_regs(vcpu, &r);
	r.rbx = seed;
	r.rdi = ROUNDS;
	vcpu_set_regs(vcpu, &r);
}

/* Run the g_work guest to completion, checking every OUT. */
static void vcpu_work(struct kvm_vcpu *vcpu, uint16_t seed)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		uint16_t want = (uint16_t)(INNER * (uint16_t)(seed + i));
		uint32_t v = vcpu_run_out(vcpu, 0x10, 2);

		TEST_ASSERT(v == want,
			    "vCPU %d round %d: got 0x%x, expected 0x%x",
			    vcpu->id, i, v, want);
	}
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	uint16_t seed = vcpu->id * 7 + 1;

	if (use_barrier)
		pthread_barrier_wait(&barrier);
	vcpu_work(vcpu, seed);
	return NULL;
}

static struct kvm_vm *work_vm(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);

	vm_load_code(vm, CODE_GPA, g_work);
	return vm;
}

/* Start @nvms VMs with @nvcpus vCPUs each, one thread per vCPU. */
static void run_vms(int nvms, int nvcpus)
{
	int n = nvms * nvcpus, i, j, k = 0;
	struct kvm_vcpu **vcpus = calloc(n, sizeof(*vcpus));
	pthread_t *th = calloc(n, sizeof(*th));

	TEST_ASSERT(vcpus && th, "out of memory");
	for (i = 0; i < nvms; i++) {
		struct kvm_vm *vm = work_vm();

		for (j = 0; j < nvcpus; j++) {
			struct kvm_vcpu *v = vcpu_create(vm, j);

			/* distinct seeds across all VMs */
			v->id = j;
			vcpu_start(v, (k * 7 + 1));
			v->id = k;
			vcpus[k++] = v;
		}
	}
	use_barrier = true;
	TEST_ASSERT(pthread_barrier_init(&barrier, NULL, n) == 0, "barrier");
	for (i = 0; i < n; i++)
		TEST_ASSERT(pthread_create(&th[i], NULL, vcpu_thread,
					   vcpus[i]) == 0,
			    "pthread_create %d", i);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	test_log("%d VMs x %d vCPUs: %d rounds each done", nvms, nvcpus,
		 ROUNDS);
}

/* Four threads, each with its own VM and vCPU. */
static void threads_own_vms(void)
{
	run_vms(4, 1);
}

/* One VM, four vCPUs, one thread each. */
static void one_vm_four_vcpus(void)
{
	run_vms(1, 4);
}

/* The load: 8 VMs x 4 vCPUs running guest loops at once. */
static void eight_vms_four_vcpus(void)
{
	run_vms(8, 4);
}

/* Threads creating, running and destroying VMs in parallel. */
static void *cycle_thread(void *arg)
{
	int t = (long)arg, i;

	for (i = 0; i < 10; i++) {
		struct kvm_vm *vm = work_vm();
		struct kvm_vcpu *v = vcpu_create(vm, 0);

		v->id = t * 100 + i;
		vcpu_start(v, v->id * 7 + 1);
		vcpu_work(v, v->id * 7 + 1);
		vcpu_free(v);
		vm_free(vm);
	}
	return NULL;
}

static void parallel_create_destroy(void)
{
	pthread_t th[4];
	long i;

	for (i = 0; i < 4; i++)
		TEST_ASSERT(pthread_create(&th[i], NULL, cycle_thread,
					   (void *)i) == 0, "pthread_create");
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
}

/* Slots come and go at 16 MiB+ while a vCPU of the VM runs its loop. */
struct slot_churn {
	struct kvm_vm *vm;
	bool stop;
	int changes;
};

static void *churn_thread(void *arg)
{
	struct slot_churn *c = arg;
	uint8_t *mem = alloc_host_mem(16 * PAGE_SIZE);
	int i = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED) && i < 200) {
		int slot = 1 + i % 8;
		uint64_t gpa = 0x1000000 + (uint64_t)slot * 0x100000;

		TEST_ASSERT(vm_set_region(c->vm, slot, 0, gpa, 2 * PAGE_SIZE,
					  mem + slot * PAGE_SIZE) == 0,
			    "add slot %d: %s", slot, errno_name(errno));
		TEST_ASSERT(vm_set_region(c->vm, slot, 0, gpa, 0, NULL) == 0,
			    "delete slot %d: %s", slot, errno_name(errno));
		i++;
	}
	c->changes = i;
	return NULL;
}

static void slots_change_while_running(void)
{
	struct slot_churn c = { .vm = work_vm() };
	struct kvm_vcpu *v = vcpu_create(c.vm, 0);
	pthread_t th;
	int k;

	TEST_ASSERT(pthread_create(&th, NULL, churn_thread, &c) == 0,
		    "pthread_create");
	for (k = 0; k < 5; k++) {
		vcpu_start(v, 3 + k);
		vcpu_work(v, 3 + k);
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	test_log("%d slot add/delete pairs during the runs", c.changes);
}

/* Racing KVM_CREATE_VCPU for the same id: one fd, the rest EEXIST. */
struct race {
	int vm_fd;
	int result[8];
	int err[8];
};

static struct race race;

static void *create_thread(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&barrier);
	race.result[i] = ioctl(race.vm_fd, KVM_CREATE_VCPU, 3);
	race.err[i] = errno;
	return NULL;
}

static void racing_vcpu_create(void)
{
	struct kvm_vm *vm = vm_create(0);
	pthread_t th[8];
	int ok = 0;
	long i;

	race.vm_fd = vm->fd;
	TEST_ASSERT(pthread_barrier_init(&barrier, NULL, 8) == 0, "barrier");
	for (i = 0; i < 8; i++)
		TEST_ASSERT(pthread_create(&th[i], NULL, create_thread,
					   (void *)i) == 0, "pthread_create");
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++) {
		if (race.result[i] >= 0)
			ok++;
		else
			TEST_ASSERT(race.err[i] == EEXIST,
				    "loser %ld: expected EEXIST, got %s", i,
				    errno_name(race.err[i]));
	}
	TEST_ASSERT(ok == 1, "%d threads created vCPU 3, expected 1", ok);
}

/*
 * The guest's SSE state across host context switches inside KVM_RUN.
 * Each round the guest counts to SSE_LOOPS in every dword of XMM0 (with
 * interrupts enabled, so that the host's timer can take it out) and
 * reports lane 0 and lane 3 with OUT; no exit reaches userspace in
 * between, so only the kernel's handling of the FPU keeps XMM0 alive while
 * a thread on the same CPU fills the registers with other values.
 */
#define SSE_LOOPS	1500000
#define SSE_ROUNDS	4
#define STR_(x)		#x
#define STR(x)		STR_(x)
GUEST_CODE(g_sse, ".code16",
	"sti\n"
	"1: pxor %xmm0, %xmm0\n"
	"pcmpeqd %xmm1, %xmm1\n"
	"movl $" STR(SSE_LOOPS) ", %ecx\n"
	"2: psubd %xmm1, %xmm0\n"
	"decl %ecx\n"
	"jnz 2b\n"
	"movd %xmm0, %eax\n"
	"outl %eax, $0x10\n"
	"pshufd $0xff, %xmm0, %xmm2\n"
	"movd %xmm2, %eax\n"
	"outl %eax, $0x10\n"
	"decw %di\n"
	"jnz 1b\n"
	"hlt\n");

static bool clobber_stop;

/* Keep the vector registers full of 0xa5 bytes, on the vCPU's CPU. */
static void *clobber_thread(void *arg)
{
	cpu_set_t *set = arg;
	unsigned long n = 0;

	sched_setaffinity(0, sizeof(*set), set);
	while (!__atomic_load_n(&clobber_stop, __ATOMIC_RELAXED)) {
		asm volatile("movd %0, %%xmm0\n\tpshufd $0, %%xmm0, %%xmm0\n\t"
			     "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2"
			     : : "r"(0xa5a5a5a5u) : "xmm0", "xmm1", "xmm2");
		n++;
	}
	return (void *)n;
}

static void sse_state_across_switches(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *v = vcpu_create(vm, 0);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	cpu_set_t set, all;
	pthread_t th;
	void *spins;
	int i;

	vm_load_code(vm, CODE_GPA, g_sse);
	vcpu_setup_real(v, CODE_GPA);
	vcpu_get_sregs(v, &sregs);
	sregs.cr4 |= 1u << 9;		/* CR4.OSFXSR: SSE instructions */
	vcpu_set_sregs(v, &sregs);
	vcpu_get_regs(v, &regs);
	regs.rdi = SSE_ROUNDS;
	vcpu_set_regs(v, &regs);

	/* the vCPU thread and the clobbering thread share one CPU */
	TEST_ASSERT(sched_getaffinity(0, sizeof(all), &all) == 0,
		    "sched_getaffinity");
	for (i = 0; i < CPU_SETSIZE && !CPU_ISSET(i, &all); i++)
		;
	CPU_ZERO(&set);
	CPU_SET(i, &set);
	TEST_ASSERT(sched_setaffinity(0, sizeof(set), &set) == 0,
		    "sched_setaffinity");
	__atomic_store_n(&clobber_stop, false, __ATOMIC_RELAXED);
	TEST_ASSERT(pthread_create(&th, NULL, clobber_thread, &set) == 0,
		    "pthread_create");
	for (i = 0; i < 2 * SSE_ROUNDS; i++) {
		uint32_t got = vcpu_run_out(v, 0x10, 4);

		TEST_ASSERT(got == SSE_LOOPS,
			    "round %d lane %d: XMM0 holds 0x%x, expected %u: the guest's SSE state was lost in a host context switch",
			    i / 2, i % 2 ? 3 : 0, got, SSE_LOOPS);
	}
	vcpu_run_expect(v, KVM_EXIT_HLT);
	__atomic_store_n(&clobber_stop, true, __ATOMIC_RELAXED);
	pthread_join(th, &spins);
	test_log("%d rounds of %u SSE additions, clobbering thread ran %lu loops",
		 SSE_ROUNDS, SSE_LOOPS, (unsigned long)spins);
	sched_setaffinity(0, sizeof(all), &all);
	vcpu_free(v);
	vm_free(vm);
}

static const struct kvm_test tests[] = {
	{ "4 threads with a VM each run guest loops", threads_own_vms },
	{ "one VM with 4 vCPUs on 4 threads", one_vm_four_vcpus },
	{ "8 VMs x 4 vCPUs run guest loops at once", eight_vms_four_vcpus },
	{ "4 threads create, run and destroy 10 VMs each",
	  parallel_create_destroy },
	{ "memslots change while a vCPU of the VM runs",
	  slots_change_while_running },
	{ "racing KVM_CREATE_VCPU for one id: one wins, others EEXIST",
	  racing_vcpu_create },
	{ "guest SSE registers survive host context switches in KVM_RUN",
	  sse_state_across_switches },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
