// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle: system fd ioctls, capabilities, VM and vCPU creation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

GUEST_CODE(g_hlt, ".code16", "hlt");

/* api.rst: "The API version is 12" and KVM_GET_API_VERSION returns it. */
static void api_version(void)
{
	int kvm = kvm_open();
	int r = EXPECT_OK(ioctl(kvm, KVM_GET_API_VERSION, 0));

	TEST_ASSERT(r == KVM_API_VERSION, "expected %d, got %d",
		    KVM_API_VERSION, r);
}

/* kvm_dev_ioctl(): KVM_GET_API_VERSION takes no argument, else EINVAL. */
static void api_version_arg(void)
{
	int kvm = kvm_open();

	EXPECT_ERRNO(ioctl(kvm, KVM_GET_API_VERSION, 1), EINVAL);
}

/*
 * KVM_CHECK_EXTENSION: 0 means unsupported, > 0 supported.  These are the
 * capabilities every x86 VMM (and these tests) rely on.
 */
static void caps_basic(void)
{
	static const struct { long cap; const char *name; } caps[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS" },
		{ KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS" },
		{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_CHECK_EXTENSION_VM, "KVM_CAP_CHECK_EXTENSION_VM" },
	};
	int kvm = kvm_open();
	unsigned int i;
	bool bad = false;

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		int r = kvm_check_cap(kvm, caps[i].cap);

		test_log("%s = %d", caps[i].name, r);
		if (r <= 0)
			bad = true;
	}
	TEST_ASSERT(!bad, "a basic capability is reported as unsupported");
}

/* api.rst: KVM_CAP_MAX_VCPUS >= KVM_CAP_NR_VCPUS (recommended max). */
static void caps_vcpu_limits(void)
{
	int kvm = kvm_open();
	int nr = kvm_check_cap(kvm, KVM_CAP_NR_VCPUS);
	int max = kvm_check_cap(kvm, KVM_CAP_MAX_VCPUS);

	TEST_ASSERT(nr >= 1 && max >= nr,
		    "expected 1 <= NR_VCPUS (%d) <= MAX_VCPUS (%d)", nr, max);
}

/* An unknown capability is "not supported": the ioctl returns 0. */
static void caps_unknown(void)
{
	int kvm = kvm_open();
	int r = EXPECT_OK(ioctl(kvm, KVM_CHECK_EXTENSION, 0x7fffffffL));

	TEST_ASSERT(r == 0, "unknown capability: expected 0, got %d", r);
	r = EXPECT_OK(ioctl(kvm, KVM_CHECK_EXTENSION, -1L));
	TEST_ASSERT(r == 0, "capability -1: expected 0, got %d", r);
}

/* KVM_CAP_CHECK_EXTENSION_VM: the VM fd answers KVM_CHECK_EXTENSION too. */
static void caps_on_vm_fd(void)
{
	struct kvm_vm *vm = vm_create(0);
	int a = kvm_check_cap(vm->kvm_fd, KVM_CAP_USER_MEMORY);
	int b = EXPECT_OK(ioctl(vm->fd, KVM_CHECK_EXTENSION,
				KVM_CAP_USER_MEMORY));

	TEST_ASSERT(a == b, "KVM_CAP_USER_MEMORY: system fd %d, VM fd %d",
		    a, b);
	b = EXPECT_OK(ioctl(vm->fd, KVM_CHECK_EXTENSION, 0x7fffffffL));
	TEST_ASSERT(b == 0, "unknown cap on VM fd: expected 0, got %d", b);
}

/*
 * KVM_GET_VCPU_MMAP_SIZE: the size of the vCPU fd's mapping, kvm_run plus
 * the PIO data (x86) and coalesced MMIO pages: at least one page, whole
 * pages.  6.1 returns 3 pages on x86.
 */
static void vcpu_mmap_size(void)
{
	int kvm = kvm_open();
	int r = EXPECT_OK(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));

	test_log("KVM_GET_VCPU_MMAP_SIZE = %d", r);
	TEST_ASSERT(r >= (int)sizeof(struct kvm_run) && r >= (int)PAGE_SIZE &&
		    r % PAGE_SIZE == 0,
		    "expected whole pages >= sizeof(struct kvm_run) (%zu), got %d",
		    sizeof(struct kvm_run), r);
}

/* kvm_dev_ioctl(): KVM_GET_VCPU_MMAP_SIZE takes no argument, else EINVAL. */
static void vcpu_mmap_size_arg(void)
{
	int kvm = kvm_open();

	EXPECT_ERRNO(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 1), EINVAL);
}

/* KVM_CREATE_VM returns a new fd; several VMs may exist at once. */
static void create_vms(void)
{
	int kvm = kvm_open(), fds[4], i, j;

	for (i = 0; i < 4; i++) {
		fds[i] = EXPECT_OK(ioctl(kvm, KVM_CREATE_VM, 0));
		TEST_ASSERT(fds[i] != kvm, "VM fd equals the system fd");
		for (j = 0; j < i; j++)
			TEST_ASSERT(fds[i] != fds[j], "VM fd reused");
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	/* and again, after the first ones are gone */
	close(EXPECT_OK(ioctl(kvm, KVM_CREATE_VM, 0)));
}

/* x86 only knows machine type 0 (KVM_X86_DEFAULT_VM): others are EINVAL. */
static void create_vm_bad_type(void)
{
	int kvm = kvm_open();

	EXPECT_ERRNO(ioctl(kvm, KVM_CREATE_VM, 0xdeadUL), EINVAL);
}

/* KVM_CREATE_VCPU returns a new fd per vCPU; ids need not be dense. */
static void create_vcpus(void)
{
	struct kvm_vm *vm = vm_create(0);
	static const int ids[] = { 0, 1, 2, 3, 7, 100 };
	int fds[ARRAY_SIZE(ids)];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		fds[i] = EXPECT_OK(ioctl(vm->fd, KVM_CREATE_VCPU, ids[i]));
		TEST_ASSERT(fds[i] != vm->fd && fds[i] != vm->kvm_fd,
			    "vCPU fd equals an existing fd");
		for (j = 0; j < i; j++)
			TEST_ASSERT(fds[i] != fds[j], "vCPU fd reused");
	}
}

/* kvm_vm_ioctl_create_vcpu(): an id that is already in use is EEXIST. */
static void duplicate_vcpu_id(void)
{
	struct kvm_vm *vm = vm_create(0);

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_VCPU, 0));
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_VCPU, 5));
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_VCPU, 0), EEXIST);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_VCPU, 5), EEXIST);
	/* the failed attempts did not use up anything */
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_VCPU, 1));
}

/*
 * api.rst: vcpu ids are below KVM_CAP_MAX_VCPU_ID (which defaults to
 * KVM_CAP_MAX_VCPUS when absent); larger ids are EINVAL.
 */
static void vcpu_id_limit(void)
{
	struct kvm_vm *vm = vm_create(0);
	int max_id = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPU_ID);

	if (max_id <= 0)
		max_id = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPUS);
	test_log("max vcpu id (exclusive) = %d", max_id);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_VCPU, max_id), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_VCPU, 0xffffffffUL), EINVAL);
	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_VCPU, max_id - 1));
}

/*
 * Up to KVM_CAP_MAX_VCPUS vCPUs per VM (KVM_CAP_NR_VCPUS is only the
 * recommended number, the host's CPU count): 16 must work.
 */
static void many_vcpus(void)
{
	struct kvm_vm *vm = vm_create(0);
	int max = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPUS), nr = 16, i;

	TEST_ASSERT(max >= nr, "KVM_CAP_MAX_VCPUS %d < 16", max);
	for (i = 0; i < nr; i++) {
		struct kvm_vcpu *v = vcpu_create(vm, i);

		TEST_ASSERT(v->run->exit_reason == KVM_EXIT_UNKNOWN,
			    "fresh vCPU %d: exit_reason %u, expected 0", i,
			    v->run->exit_reason);
	}
	test_log("%d vCPUs created", nr);
}

/* The vCPU fd mmap (offset 0) is struct kvm_run, shared with the kernel. */
static void run_page_mmap(void)
{
	struct kvm_vm *vm = vm_create(0);
	int fd = EXPECT_OK(ioctl(vm->fd, KVM_CREATE_VCPU, 0));
	struct kvm_run *run;

	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	TEST_ASSERT(run != MAP_FAILED, "mmap of the vCPU fd: %s",
		    strerror(errno));
	/* writable by userspace: e.g. request_interrupt_window */
	run->request_interrupt_window = 1;
	run->request_interrupt_window = 0;
	TEST_ASSERT(munmap(run, vm->run_size) == 0, "munmap: %s",
		    strerror(errno));
	/* a second, read-only mapping works as well */
	run = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	TEST_ASSERT(run != MAP_FAILED, "second mmap: %s", strerror(errno));
}

/*
 * api.rst (immediate_exit, KVM_CAP_IMMEDIATE_EXIT): when set, KVM_RUN
 * returns at once with EINTR without entering the guest.
 */
static void immediate_exit(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_hlt);
	struct kvm_regs regs;

	vcpu->run->immediate_exit = 1;
	EXPECT_ERRNO(ioctl(vcpu->fd, KVM_RUN, 0), EINTR);
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT(regs.rip == CODE_GPA, "guest ran: rip 0x%llx",
		    (unsigned long long)regs.rip);
	vcpu->run->immediate_exit = 0;
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* A VM survives its system fd: the VM fd holds its own reference. */
static void vm_outlives_system_fd(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_hlt);

	close(vcpu->vm->kvm_fd);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

static const struct kvm_test tests[] = {
	{ "KVM_GET_API_VERSION is 12", api_version },
	{ "KVM_GET_API_VERSION with an argument gives EINVAL", api_version_arg },
	{ "basic capabilities are supported", caps_basic },
	{ "KVM_CAP_MAX_VCPUS >= KVM_CAP_NR_VCPUS >= 1", caps_vcpu_limits },
	{ "unknown capability gives 0", caps_unknown },
	{ "KVM_CHECK_EXTENSION works on the VM fd", caps_on_vm_fd },
	{ "KVM_GET_VCPU_MMAP_SIZE is whole pages >= kvm_run", vcpu_mmap_size },
	{ "KVM_GET_VCPU_MMAP_SIZE with an argument gives EINVAL",
	  vcpu_mmap_size_arg },
	{ "KVM_CREATE_VM returns distinct fds", create_vms },
	{ "KVM_CREATE_VM with an unknown type gives EINVAL",
	  create_vm_bad_type },
	{ "KVM_CREATE_VCPU returns distinct fds", create_vcpus },
	{ "duplicate vcpu id gives EEXIST", duplicate_vcpu_id },
	{ "vcpu id >= max vcpu id gives EINVAL", vcpu_id_limit },
	{ "16 vCPUs in one VM can be created", many_vcpus },
	{ "kvm_run can be mmap'ed from the vCPU fd", run_page_mmap },
	{ "immediate_exit makes KVM_RUN return EINTR", immediate_exit },
	{ "a VM keeps working after the system fd is closed",
	  vm_outlives_system_fd },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
