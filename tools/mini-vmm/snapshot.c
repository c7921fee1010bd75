// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - snapshots at the INIT_DONE doorbell and copy-on-write starts.
 *
 * The snapshot's memory lives in a memfd holding only the non-zero pages.
 * Every microVM started from it maps the memfd MAP_PRIVATE: N instances
 * share each page none of them wrote. A pooled VM is reset by
 * MADV_DONTNEED on that mapping (its private copies vanish, KVM's MMU
 * notifier drops the stale guest mappings) plus SET_REGS/SREGS/FPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "snapshot.h"

static int page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	int i;

	for (i = 0; i < 512; i++)
		if (q[i])
			return 0;
	return 1;
}

/* Let KVM finish the doorbell's I/O or MMIO before reading the state. */
static void complete_pending(struct mvm_vm *vm)
{
	static int cap = -1;

	if (cap < 0)
		cap = ioctl(mvm_kvm_fd(), KVM_CHECK_EXTENSION,
			    KVM_CAP_IMMEDIATE_EXIT) > 0;
	if (!cap)
		return;
	vm->run->immediate_exit = 1;
	ioctl(vm->vcpufd, KVM_RUN, 0);	/* returns -EINTR at once */
	vm->run->immediate_exit = 0;
}

int mvm_snap_take(struct mvm_vm *vm, struct mvm_snap *s)
{
	uint64_t off, size = vm->lay.mem_size;

	memset(s, 0, sizeof(*s));
	s->memfd = -1;
	complete_pending(vm);
	if (ioctl(vm->vcpufd, KVM_GET_REGS, &s->regs) < 0 ||
	    ioctl(vm->vcpufd, KVM_GET_SREGS, &s->sregs) < 0 ||
	    ioctl(vm->vcpufd, KVM_GET_FPU, &s->fpu) < 0) {
		perror("mini-vmm: snapshot: get vCPU state");
		return -1;
	}
	s->lay = vm->lay;
	s->memfd = syscall(SYS_memfd_create, "mini-vmm-snapshot", 1U /* CLOEXEC */);
	if (s->memfd < 0 || ftruncate(s->memfd, size) < 0) {
		perror("mini-vmm: snapshot: memfd");
		goto fail;
	}
	for (off = 0; off < size; off += 4096) {
		if (page_is_zero(vm->mem + off))
			continue;
		if (pwrite(s->memfd, vm->mem + off, 4096, off) != 4096) {
			perror("mini-vmm: snapshot: write");
			goto fail;
		}
		s->pages++;
	}
	return 0;
fail:
	mvm_snap_free(s);
	return -1;
}

void mvm_snap_free(struct mvm_snap *s)
{
	if (s->memfd >= 0)
		close(s->memfd);
	s->memfd = -1;
}

static int set_cpu(struct mvm_vm *vm, const struct mvm_snap *s)
{
	if (ioctl(vm->vcpufd, KVM_SET_SREGS, &s->sregs) < 0 ||
	    ioctl(vm->vcpufd, KVM_SET_REGS, &s->regs) < 0 ||
	    ioctl(vm->vcpufd, KVM_SET_FPU, &s->fpu) < 0) {
		perror("mini-vmm: restore vCPU state");
		return -1;
	}
	return 0;
}

int mvm_vm_from_snap(struct mvm_vm *vm, const struct mvm_snap *s)
{
	int r = mvm_vm_create(vm, s->lay.mem_size, s->memfd);

	if (r)
		return r;
	vm->lay = s->lay;
	vm->invocation = 0;
	if (set_cpu(vm, s)) {
		mvm_vm_destroy(vm);
		return -EIO;
	}
	return 0;
}

int mvm_vm_reset(struct mvm_vm *vm, const struct mvm_snap *s)
{
	if (madvise(vm->mem, s->lay.mem_size, MADV_DONTNEED) < 0) {
		perror("mini-vmm: reset: madvise");
		return -1;
	}
	return set_cpu(vm, s);
}
