// SPDX-License-Identifier: GPL-2.0
/*
 * fd_lifetime: the VM and vCPU file descriptors are independent
 * references (a vCPU fd keeps its VM alive, kvm_vm_ioctl_create_vcpu()
 * takes a VM reference), fds may be closed in any order, a kvm_run
 * mapping outlives its fd, and the fds belong to the process that created
 * the VM (kvm->mm != current->mm gives EIO).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"

GUEST_CODE(g_out_hlt, ".code16",
	"movb $0x42, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* The VM fd is closed first; the vCPU keeps the VM (and memory) alive. */
static void vm_fd_closed_first(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_out_hlt);

	close(vcpu->vm->fd);
	close(vcpu->vm->kvm_fd);
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 0x42, "OUT value");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* Every order of closing the system, VM and vCPU fds works. */
static void close_orders(void)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	int o, i;

	for (o = 0; o < 6; o++) {
		struct kvm_vcpu *vcpu = real_guest(g_out_hlt);
		int fds[3] = { vcpu->vm->kvm_fd, vcpu->vm->fd, vcpu->fd };

		vcpu_run_out(vcpu, 0x10, 1);
		munmap(vcpu->run, vcpu->vm->run_size);
		for (i = 0; i < 3; i++)
			TEST_ASSERT(close(fds[orders[o][i]]) == 0,
				    "order %d: close: %s", o, strerror(errno));
		munmap(vcpu->vm->mem, vcpu->vm->mem_size);
	}
	/* and the device still works */
	vcpu_run_expect(real_guest(g_out_hlt), KVM_EXIT_IO);
}

/* The kvm_run mapping stays valid after every fd is closed. */
static void run_mapping_outlives_fd(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_out_hlt);
	struct kvm_run *run = vcpu->run;

	vcpu_run_out(vcpu, 0x10, 1);
	close(vcpu->fd);
	close(vcpu->vm->fd);
	close(vcpu->vm->kvm_fd);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10,
		    "kvm_run changed after close: exit %u port 0x%x",
		    run->exit_reason, run->io.port);
	TEST_ASSERT(*((uint8_t *)run + run->io.data_offset) == 0x42,
		    "I/O data changed after close");
	run->request_interrupt_window = 1;	/* still writable */
	TEST_ASSERT(munmap(run, vcpu->vm->run_size) == 0, "munmap: %s",
		    strerror(errno));
}

/* A dup()ed vCPU fd is the same vCPU, also after the original is closed. */
static void dup_vcpu_fd(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_out_hlt);
	int fd = dup(vcpu->fd);

	TEST_ASSERT(fd >= 0, "dup: %s", strerror(errno));
	close(vcpu->fd);
	vcpu->fd = fd;
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 0x42, "OUT value");
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* Closing one vCPU's fd does not disturb another vCPU of the VM. */
static void close_one_vcpu(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *a = vcpu_create(vm, 0), *b = vcpu_create(vm, 1);

	vm_load_code(vm, CODE_GPA, g_out_hlt);
	vcpu_setup_real(a, CODE_GPA);
	vcpu_setup_real(b, CODE_GPA);
	vcpu_run_out(a, 0x10, 1);
	vcpu_free(a);
	TEST_ASSERT(vcpu_run_out(b, 0x10, 1) == 0x42, "other vCPU");
	vcpu_run_expect(b, KVM_EXIT_HLT);
	/* the id of a closed vCPU stays taken: the vCPU lives with the VM */
	EXPECT_ERRNO(ioctl(vm->fd, KVM_CREATE_VCPU, 0), EEXIST);
}

/* Host memory of a slot may be unmapped once the VM is gone. */
static void create_destroy_cycles(void)
{
	int i;

	for (i = 0; i < 50; i++) {
		struct kvm_vcpu *vcpu = real_guest(g_out_hlt);
		struct kvm_vm *vm = vcpu->vm;

		TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 0x42,
			    "cycle %d", i);
		vcpu_free(vcpu);
		vm_free(vm);
	}
}

/*
 * A forked child shares the fds but not the mm: VM and vCPU ioctls fail
 * with EIO (kvm_vm_ioctl(), kvm_vcpu_ioctl()), the parent is unaffected.
 */
static void other_process_eio(void)
{
	struct kvm_vcpu *vcpu = real_guest(g_out_hlt);
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct kvm_regs r;
		int bad = 0;

		errno = 0;
		if (ioctl(vcpu->fd, KVM_RUN, 0) != -1 || errno != EIO) {
			test_log("child KVM_RUN: expected EIO, got %s",
				 errno_name(errno));
			bad = 1;
		}
		errno = 0;
		if (ioctl(vcpu->fd, KVM_GET_REGS, &r) != -1 || errno != EIO) {
			test_log("child KVM_GET_REGS: expected EIO, got %s",
				 errno_name(errno));
			bad = 1;
		}
		errno = 0;
		if (ioctl(vcpu->vm->fd, KVM_CREATE_VCPU, 1) != -1 ||
		    errno != EIO) {
			test_log("child KVM_CREATE_VCPU: expected EIO, got %s",
				 errno_name(errno));
			bad = 1;
		}
		fflush(stdout);
		_exit(bad);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the child's ioctls did not all fail with EIO");
	TEST_ASSERT(vcpu_run_out(vcpu, 0x10, 1) == 0x42, "parent still runs");
}

/* The system fd is not tied to an mm: a child may create its own VM. */
static void child_creates_vm(void)
{
	int kvm = kvm_open(), status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);

		_exit(vm >= 0 && ioctl(vm, KVM_CREATE_VCPU, 0) >= 0 ? 0 : 1);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child could not create a VM and vCPU");
}

static const struct kvm_test tests[] = {
	{ "vCPU runs after the VM and system fds are closed",
	  vm_fd_closed_first },
	{ "system/VM/vCPU fds close in every order", close_orders },
	{ "kvm_run mapping outlives the fds", run_mapping_outlives_fd },
	{ "a dup()ed vCPU fd runs the same vCPU", dup_vcpu_fd },
	{ "closing one vCPU fd leaves the other running", close_one_vcpu },
	{ "50 create/run/destroy cycles", create_destroy_cycles },
	{ "VM/vCPU fds used from another process give EIO",
	  other_process_eio },
	{ "a forked child creates its own VM from the system fd",
	  child_creates_vm },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
