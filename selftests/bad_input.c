// SPDX-License-Identifier: GPL-2.0
/*
 * bad_input: unknown ioctls, ioctls on the wrong kind of fd, bad user
 * pointers, bad sizes and a vCPU without memory.  The errnos are the ones
 * KVM 6.1 returns (kvm_main.c and x86.c dispatchers).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "kvm_util.h"

#define KVM_UNKNOWN_IOCTL	_IO(KVMIO, 0xfe)

/* A page that is not mapped: user pointers into it are EFAULT. */
static void *unmapped_page(void)
{
	void *p = alloc_host_mem(PAGE_SIZE);

	munmap(p, PAGE_SIZE);
	return p;
}

/*
 * Unknown ioctls: the system fd answers EINVAL (kvm_arch_dev_ioctl()),
 * the VM fd ENOTTY (kvm_arch_vm_ioctl()), the vCPU fd EINVAL
 * (kvm_arch_vcpu_ioctl(); non-KVMIO types are refused up front).
 */
static void unknown_ioctls(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	struct termios t;

	EXPECT_ERRNO(ioctl(vcpu->vm->kvm_fd, KVM_UNKNOWN_IOCTL, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_UNKNOWN_IOCTL, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_UNKNOWN_IOCTL, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->vm->kvm_fd, TCGETS, &t), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, TCGETS, &t), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->fd, TCGETS, &t), EINVAL);
}

/*
 * ioctls on the wrong fd: system ioctls on a VM fd and vCPU ioctls on a
 * VM fd fall to kvm_arch_vm_ioctl() (ENOTTY); VM ioctls on the system fd
 * or a vCPU fd fall to the x86 defaults (EINVAL).
 */
static void wrong_fd(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	struct kvm_regs regs;

	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_GET_API_VERSION, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_CREATE_VM, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_GET_VCPU_MMAP_SIZE, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_RUN, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->vm->fd, KVM_GET_REGS, &regs), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu->vm->kvm_fd, KVM_CREATE_VCPU, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->vm->kvm_fd, KVM_RUN, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_CREATE_VCPU, 1), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_CREATE_VM, 0), EINVAL);
}

/* kvm_vcpu_ioctl(): KVM_RUN takes no argument, else EINVAL. */
static void run_with_arg(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);

	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_RUN, 1), EINVAL);
}

/* NULL and unmapped pointers to ioctl structs are EFAULT. */
static void bad_pointers(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	void *bad[2] = { NULL, unmapped_page() };
	int fd = vcpu->fd, vm = vcpu->vm->fd, kvm = vcpu->vm->kvm_fd, i;

	for (i = 0; i < 2; i++) {
		void *p = bad[i];

		test_log("pointer %p", p);
		EXPECT_ERRNO(ioctl(fd, KVM_GET_REGS, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_SET_REGS, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_GET_SREGS, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_SET_SREGS, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_GET_FPU, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_INTERRUPT, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_GET_MSRS, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_SET_MSRS, p), EFAULT);
		EXPECT_ERRNO(ioctl(fd, KVM_SET_CPUID2, p), EFAULT);
		EXPECT_ERRNO(ioctl(vm, KVM_SET_USER_MEMORY_REGION, p), EFAULT);
		EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, p), EFAULT);
		EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, p), EFAULT);
	}
}

/* A struct that straddles into an unmapped page is EFAULT as well. */
static void straddling_pointer(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	uint8_t *two = alloc_host_mem(2 * PAGE_SIZE);
	struct kvm_sregs *s = (void *)(two + PAGE_SIZE - 64);
	struct kvm_regs *r = (void *)(two + PAGE_SIZE - 16);

	munmap(two + PAGE_SIZE, PAGE_SIZE);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_GET_SREGS, s), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_SREGS, s), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_GET_REGS, r), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_REGS, r), EFAULT);
}

/*
 * Array ioctls whose data is cut short: a kvm_msrs header promising more
 * entries than are mapped, a kvm_cpuid2 likewise; EFAULT.
 */
static void short_arrays(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	uint8_t *two = alloc_host_mem(2 * PAGE_SIZE);
	struct kvm_msrs *m = (void *)(two + PAGE_SIZE - sizeof(*m) - 16);
	struct kvm_cpuid2 *c = (void *)(two + PAGE_SIZE - sizeof(*c) - 40);

	munmap(two + PAGE_SIZE, PAGE_SIZE);
	memset(m, 0, sizeof(*m) + 16);
	m->nmsrs = 100;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_MSRS, m), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_GET_MSRS, m), EFAULT);
	memset(c, 0, sizeof(*c) + 40);
	c->nent = 100;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_CPUID2, c), EFAULT);
}

/*
 * KVM_SET_SIGNAL_MASK: len must be the kernel's sigset size (8), else
 * EINVAL; a NULL pointer clears the mask.
 */
static void signal_mask(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	struct {
		struct kvm_signal_mask hdr;
		uint8_t set[16];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.len = 16;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &m), EINVAL);
	m.hdr.len = 4;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &m), EINVAL);
	m.hdr.len = 8;
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &m));
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, NULL));
}

/* The VM fd and the system fd cannot be mmap'ed (no mmap op): ENODEV. */
static void mmap_wrong_fd(void)
{
	struct kvm_vm *vm = vm_create(0);
	void *p;

	errno = 0;
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, vm->fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == ENODEV,
		    "mmap of the VM fd: expected ENODEV, got %s",
		    p == MAP_FAILED ? errno_name(errno) : "success");
	errno = 0;
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, vm->kvm_fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == ENODEV,
		    "mmap of the system fd: expected ENODEV, got %s",
		    p == MAP_FAILED ? errno_name(errno) : "success");
}

/*
 * KVM_RUN with no memory at all fails with ENOSPC: so do kvm_intel 6.1 in
 * the bench and the development host's KVM (measured; rkvm follows).
 */
static void run_without_memory(void)
{
	struct kvm_vcpu *vcpu = vcpu_create(vm_create(0), 0);
	int r;

	errno = 0;
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	TEST_ASSERT(r == -1 && errno == ENOSPC, "KVM_RUN: expected ENOSPC, got %d %s",
		    r, errno_name(errno));
}

/*
 * A memslot whose host memory was unmapped after KVM_SET_USER_MEMORY_REGION:
 * the guest's access cannot be resolved and KVM_RUN fails with EFAULT
 * (6.1 mmu.c, kvm_handle_bad_page()).  The development host's newer KVM
 * reports an MMIO exit instead.
 */
GUEST_CODE(g_read_high, ".code16",
	"movw $0x1000, %ax\n"
	"movw %ax, %ds\n"
	"movb 0x0, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void run_unmapped_host_memory(void)
{
	struct kvm_vm *vm = vm_create(0x10000);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	uint8_t *m = alloc_host_mem(PAGE_SIZE);
	int r;

	vm_load_code(vm, CODE_GPA, g_read_high);
	vcpu_setup_real(vcpu, CODE_GPA);
	TEST_ASSERT(vm_set_region(vm, 1, 0, 0x10000, PAGE_SIZE, m) == 0,
		    "slot 1: %s", errno_name(errno));
	munmap(m, PAGE_SIZE);
	errno = 0;
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	if (r == 0)
		vcpu_dump_exit(vcpu);
	EXPECT_6_1(r == -1 && errno == EFAULT,
		    "KVM_RUN: expected -1 EFAULT, got %d %s", r,
		    errno_name(errno));
}

/*
 * KVM_RUN while the thread has a signal pending returns EINTR with
 * exit_reason KVM_EXIT_INTR (api.rst), without running the guest.
 */
GUEST_CODE(g_bi_hlt, ".code16", "hlt\n");

static void run_signal_pending(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_bi_hlt);
	struct kvm_regs r;
	sigset_t set;

	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR1, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	{
		/* unblock SIGUSR1 inside KVM_RUN only */
		struct {
			struct kvm_signal_mask hdr;
			uint64_t set;
		} m = { .hdr.len = 8, .set = 0 };

		EXPECT_OK(ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &m));
	}
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_RUN, 0), EINTR);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_INTR,
		    "exit_reason %s, expected KVM_EXIT_INTR",
		    exit_reason_name(vcpu->run->exit_reason));
	vcpu_get_regs(vcpu, &r);
	TEST_ASSERT(r.rip == CODE_GPA, "guest ran: rip 0x%llx",
		    (unsigned long long)r.rip);
}

static const struct kvm_test tests[] = {
	{ "unknown ioctls: EINVAL (system, vCPU), ENOTTY (VM)",
	  unknown_ioctls },
	{ "ioctls on the wrong kind of fd", wrong_fd },
	{ "KVM_RUN with an argument gives EINVAL", run_with_arg },
	{ "NULL and unmapped pointers give EFAULT", bad_pointers },
	{ "structs straddling an unmapped page give EFAULT",
	  straddling_pointer },
	{ "arrays longer than the mapped memory give EFAULT", short_arrays },
	{ "KVM_SET_SIGNAL_MASK with a bad length gives EINVAL", signal_mask },
	{ "mmap of the VM or system fd gives ENODEV", mmap_wrong_fd },
	{ "KVM_RUN without memory gives ENOSPC",
	  run_without_memory },
	{ "KVM_RUN on unmapped host memory gives EFAULT",
	  run_unmapped_host_memory },
	{ "KVM_RUN with a signal pending gives EINTR/KVM_EXIT_INTR",
	  run_signal_pending },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
