// SPDX-License-Identifier: GPL-2.0
/*
 * Counters for people and tests: /sys/kernel/debug/rkvm/
 * holds one file per VM, "<pid>-<n>", of "name value" lines: the EPT
 * mapping counts (pages_4k, pages_2m, ept_tables) and what its vCPUs'
 * halts did, named as KVM's statistics (halt_attempted_poll: halts that
 * polled, halt_successful_poll: of those, woken while polling,
 * halt_wakeup: halts that slept). One file, not a directory of them: a
 * debugfs entry costs an inode and a dentry (~0.7 KiB) per VM. Values are
 * read without locks: a snapshot, not a transaction. debugfs' proxy keeps
 * the VM alive while a read is in progress: rkvm_destroy_vm() removes the
 * file first, which waits for readers.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
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

static int rkvm_vm_stats_show(struct seq_file *m, void *unused)
{
	struct rkvm *kvm = m->private;

	seq_printf(m, "pages_4k %lu\n", READ_ONCE(kvm->pages_4k));
	seq_printf(m, "pages_2m %lu\n", READ_ONCE(kvm->pages_2m));
	seq_printf(m, "ept_tables %lu\n", READ_ONCE(kvm->ept_pages));
	seq_printf(m, "halt_attempted_poll %ld\n",
		   atomic_long_read(&kvm->halt_attempted_poll));
	seq_printf(m, "halt_successful_poll %ld\n",
		   atomic_long_read(&kvm->halt_successful_poll));
	seq_printf(m, "halt_wakeup %ld\n",
		   atomic_long_read(&kvm->halt_wakeup));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rkvm_vm_stats);

void rkvm_debugfs_vm_create(struct rkvm *kvm)
{
	char name[32];

	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current),
		 atomic_inc_return(&rkvm_vm_seq));
	kvm->debugfs = debugfs_create_file(name, 0444, rkvm_debugfs_root, kvm,
					   &rkvm_vm_stats_fops);
}

void rkvm_debugfs_vm_destroy(struct rkvm *kvm)
{
	debugfs_remove(kvm->debugfs);
}
