// SPDX-License-Identifier: GPL-2.0
/*
 * Counters for people and tests: /sys/kernel/debug/rkvm/
 * holds one directory per VM, "<pid>-<n>", with the EPT mapping counts
 * (pages_4k, pages_2m, ept_tables) and what its vCPUs' halts did, named
 * as KVM's statistics (halt_attempted_poll: halts that polled,
 * halt_successful_poll: of those, woken while polling, halt_wakeup: halts
 * that slept). Values are read without locks: a snapshot, not a
 * transaction.
 */
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/atomic.h>

#include "rkvm.h"

static struct dentry *rkvm_debugfs_root;
static atomic_t rkvm_vm_seq = ATOMIC_INIT(0);

void rkvm_debugfs_init(void)
{
	rkvm_debugfs_root = debugfs_create_dir("rkvm", NULL);
}

void rkvm_debugfs_exit(void)
{
	debugfs_remove_recursive(rkvm_debugfs_root);
}

static int rkvm_atomic_long_get(void *data, u64 *val)
{
	*val = atomic_long_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rkvm_atomic_long_fops, rkvm_atomic_long_get, NULL,
			 "%llu\n");

void rkvm_debugfs_vm_create(struct rkvm *kvm)
{
	char name[32];

	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current),
		 atomic_inc_return(&rkvm_vm_seq));
	kvm->debugfs = debugfs_create_dir(name, rkvm_debugfs_root);
	debugfs_create_ulong("pages_4k", 0444, kvm->debugfs, &kvm->pages_4k);
	debugfs_create_ulong("pages_2m", 0444, kvm->debugfs, &kvm->pages_2m);
	debugfs_create_ulong("ept_tables", 0444, kvm->debugfs, &kvm->ept_pages);
	debugfs_create_file_unsafe("halt_attempted_poll", 0444, kvm->debugfs,
				   &kvm->halt_attempted_poll,
				   &rkvm_atomic_long_fops);
	debugfs_create_file_unsafe("halt_successful_poll", 0444, kvm->debugfs,
				   &kvm->halt_successful_poll,
				   &rkvm_atomic_long_fops);
	debugfs_create_file_unsafe("halt_wakeup", 0444, kvm->debugfs,
				   &kvm->halt_wakeup, &rkvm_atomic_long_fops);
}

void rkvm_debugfs_vm_destroy(struct rkvm *kvm)
{
	debugfs_remove_recursive(kvm->debugfs);
}
