// SPDX-License-Identifier: GPL-2.0
/*
 * fpu_state: the guest's SSE registers stay its own while the vCPU thread
 * is switched out and back inside KVM_RUN.  The guest keeps a pattern in
 * %xmm0 and takes in-kernel CPUID exits in a loop; a second thread on the
 * same CPU keeps another pattern in its own %xmm0 and yields, so the vCPU
 * thread is rescheduled between two entries.  The guest's FPU state is
 * then in memory and the registers hold the other thread's
 * (TIF_NEED_FPU_LOAD); an entry that does not load it back runs the guest
 * on the other thread's %xmm0 (found by mini-vmm boot: Linux guests failed
 * their blake2s self-test).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "kvm_util.h"

#define GUEST_PATTERN	0x1122334455667788ULL
#define OTHER_PATTERN	0xdeadbeefcafef00dULL

/*
 * SSE on, %xmm0 = %r9 = pattern; then forever: 2000 CPUIDs, each followed
 * by a check of %xmm0, and OUT 1 to port 0x10; a mismatch is OUT of the
 * low half of %xmm0 to port 0x11.
 */
GUEST_CODE(g_sse, ".code64",
	"mov %cr4, %rax\n"
	"or $0x600, %rax\n"		/* OSFXSR, OSXMMEXCPT */
	"mov %rax, %cr4\n"
	"mov %cr0, %rax\n"
	"and $~0xc, %rax\n"		/* EM, TS off */
	"or $0x2, %rax\n"		/* MP */
	"mov %rax, %cr0\n"
	"movabs $0x1122334455667788, %r9\n"
	"movq %r9, %xmm0\n"
	"1: mov $2000, %r8d\n"
	"2: xor %eax, %eax\n"
	"xor %ecx, %ecx\n"
	"cpuid\n"
	"movq %xmm0, %r10\n"
	"cmp %r9, %r10\n"
	"jne 3f\n"
	"dec %r8d\n"
	"jnz 2b\n"
	"mov $1, %eax\n"
	"out %eax, $0x10\n"
	"jmp 1b\n"
	"3: mov %r10d, %eax\n"
	"out %eax, $0x11\n"
	"hlt\n");

static volatile int stop;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *other(void *arg)
{
	uint64_t v = OTHER_PATTERN;

	pin(*(int *)arg);
	while (!stop) {
		asm volatile("movq %0, %%xmm0" : : "r"(v) : "xmm0");
		sched_yield();
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sse_across_switches(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	struct rusage ru0, ru1;
	struct kvm_regs r;
	pthread_t th;
	int cpu = sched_getcpu(), chunks = 0;
	long switches;
	double t0;

	TEST_ASSERT(cpu >= 0, "sched_getcpu failed");
	pin(cpu);
	vm_load(vm, CODE_GPA, g_sse, GUEST_CODE_SIZE(g_sse));
	vcpu_setup_long(vcpu, CODE_GPA);
	TEST_ASSERT(!pthread_create(&th, NULL, other, &cpu),
		    "pthread_create failed");
	getrusage(RUSAGE_THREAD, &ru0);
	t0 = now();
	while (now() - t0 < 2.0 && chunks < 500) {
		vcpu_run_expect(vcpu, KVM_EXIT_IO);
		if (vcpu->run->io.port == 0x11) {
			uint32_t found;

			memcpy(&found, vcpu_io_data(vcpu), 4);
			stop = 1;
			pthread_join(th, NULL);
			vcpu_get_regs(vcpu, &r);
			TEST_ASSERT(0, "after %d chunks of 2000 CPUID exits the "
				    "guest's %%xmm0 low half is 0x%x, not 0x%x "
				    "(0x%x is the other thread's): the entry "
				    "did not load the guest's FPU state back",
				    chunks, found, (uint32_t)GUEST_PATTERN,
				    (uint32_t)OTHER_PATTERN);
		}
		TEST_ASSERT(vcpu->run->io.port == 0x10,
			    "unexpected OUT to port 0x%x", vcpu->run->io.port);
		chunks++;
	}
	getrusage(RUSAGE_THREAD, &ru1);
	stop = 1;
	pthread_join(th, NULL);
	switches = ru1.ru_nivcsw - ru0.ru_nivcsw + ru1.ru_nvcsw - ru0.ru_nvcsw;
	test_log("%d chunks of 2000 CPUID exits, the vCPU thread switched "
		 "out %ld times", chunks, switches);
	vcpu_free(vcpu);
	vm_free(vm);
	if (!switches)
		test_skip("the vCPU thread was never switched out");
}

static const struct kvm_test tests[] = {
	{ "guest SSE registers survive the vCPU thread's context switches",
	  sse_across_switches },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
