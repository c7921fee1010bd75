/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot.h - fast starts: a snapshot of a function after its init
 * (registers, FPU state, memory in a memfd), new microVMs started from it
 * with copy-on-write memory, and the pool reset (back to the snapshot).
 */
#ifndef MVM_SNAPSHOT_H
#define MVM_SNAPSHOT_H

#include <linux/kvm.h>
#include "vm.h"

struct mvm_snap {
	int memfd;		/* guest RAM after init, sparse */
	struct mvm_layout lay;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	size_t pages;		/* non-zero pages stored */
};

/* vm has just returned MVM_INIT_DONE: capture it. 0 or -1. */
int mvm_snap_take(struct mvm_vm *vm, struct mvm_snap *s);
void mvm_snap_free(struct mvm_snap *s);

/* Create a microVM whose RAM is a private (copy-on-write) mapping of the
 * snapshot and whose vCPU is in the snapshot's state. 0 or -errno. */
int mvm_vm_from_snap(struct mvm_vm *vm, const struct mvm_snap *s);

/* Pool reset of a VM made by mvm_vm_from_snap: drop its private pages (the
 * snapshot's show through again) and restore the vCPU. 0 or -1. */
int mvm_vm_reset(struct mvm_vm *vm, const struct mvm_snap *s);

#endif
