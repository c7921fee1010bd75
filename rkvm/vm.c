// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/vm.c - the VM object: KVM_CREATE_VM, its fd and ioctls, and its
 * reference-counted lifetime. The VM fd and every vCPU fd hold a reference;
 * the last one frees the vCPUs, the EPT tables and the memslots, and lets
 * the CPUs leave VMX operation when no VM is left.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched/mm.h>
#include <linux/kvm.h>

#include "rkvm.h"

void rkvm_get_vm(struct rkvm *kvm)
{
	kref_get(&kvm->ref);
}

static void rkvm_destroy_vm(struct kref *ref)
{
	struct rkvm *kvm = container_of(ref, struct rkvm, ref);
	int i;

	rkvm_debugfs_vm_destroy(kvm);
	rkvm_mmu_notifier_unregister(kvm);
	for (i = 0; i < kvm->nr_vcpus; i++)
		rkvm_vcpu_destroy(kvm->vcpus[i]);
	rkvm_ept_destroy(kvm);
	rkvm_free_memslots(kvm);
	cleanup_srcu_struct(&kvm->srcu);
	mmdrop(kvm->mm);
	kfree(kvm);
	rkvm_vmx_put();
}

void rkvm_put_vm(struct rkvm *kvm)
{
	kref_put(&kvm->ref, rkvm_destroy_vm);
}

static int rkvm_vm_release(struct inode *inode, struct file *file)
{
	rkvm_put_vm(file->private_data);
	return 0;
}

static int rkvm_vm_enable_cap(struct rkvm *kvm, const struct kvm_enable_cap *cap)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	switch (cap->cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
			allowed |= KVM_DIRTY_LOG_INITIALLY_SET;
		if (cap->flags || (cap->args[0] & ~allowed))
			return -EINVAL;
		kvm->manual_dirty_log = cap->args[0];
		return 0;
	default:
		return -EINVAL;
	}
}

static long rkvm_vm_ioctl(struct file *file, unsigned int ioctl,
			  unsigned long arg)
{
	struct rkvm *kvm = file->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_userspace_memory_region mem;
	struct kvm_dirty_log log;
	struct kvm_clear_dirty_log clear;
	struct kvm_enable_cap cap;
	u64 ident_addr;
	long r;

	if (kvm->mm != current->mm)
		return -EIO;
	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return rkvm_create_vcpu(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return rkvm_set_memory_region(kvm, &mem);
	case KVM_CHECK_EXTENSION:
		return rkvm_check_extension(kvm, arg);
	case KVM_GET_DIRTY_LOG:
		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return rkvm_get_dirty_log(kvm, &log);
	case KVM_CLEAR_DIRTY_LOG:
		if (copy_from_user(&clear, argp, sizeof(clear)))
			return -EFAULT;
		return rkvm_clear_dirty_log(kvm, &clear);
	case KVM_ENABLE_CAP:
		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return rkvm_vm_enable_cap(kvm, &cap);
	case KVM_SET_TSS_ADDR:
		/* unrestricted guest needs no real-mode TSS; KVM checks the range */
		if (arg > 0xffffffffu - 3 * PAGE_SIZE)
			return -EINVAL;
		kvm->tss_addr = arg;
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		if (copy_from_user(&ident_addr, argp, sizeof(ident_addr)))
			return -EFAULT;
		mutex_lock(&kvm->lock);
		r = -EEXIST;
		if (!kvm->nr_vcpus) {
			kvm->ident_addr = ident_addr;
			r = 0;
		}
		mutex_unlock(&kvm->lock);
		return r;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rkvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= rkvm_vm_release,
	.unlocked_ioctl	= rkvm_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

long rkvm_create_vm(unsigned long type)
{
	struct rkvm *kvm;
	int r, fd;

	if (type)
		return -EINVAL;
	kvm = kzalloc(sizeof(*kvm), GFP_KERNEL_ACCOUNT);
	if (!kvm)
		return -ENOMEM;
	kref_init(&kvm->ref);
	mutex_init(&kvm->lock);
	mutex_init(&kvm->slots_lock);
	mutex_init(&kvm->mmu_lock);
	atomic64_set(&kvm->tlb_gen, 0);
	r = init_srcu_struct(&kvm->srcu);
	if (r)
		goto free;
	r = rkvm_init_memslots(kvm);
	if (r)
		goto srcu;
	r = rkvm_vmx_get();
	if (r)
		goto slots;
	r = rkvm_ept_init(kvm);
	if (r)
		goto vmx;
	kvm->mm = current->mm;
	mmgrab(kvm->mm);
	r = rkvm_mmu_notifier_register(kvm);
	if (r) {
		mmdrop(kvm->mm);
		rkvm_ept_destroy(kvm);
		goto vmx;
	}

	rkvm_debugfs_vm_create(kvm);
	fd = anon_inode_getfd("kvm-vm", &rkvm_vm_fops, kvm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rkvm_put_vm(kvm);
	return fd;

vmx:
	rkvm_vmx_put();
slots:
	rkvm_free_memslots(kvm);
srcu:
	cleanup_srcu_struct(&kvm->srcu);
free:
	kfree(kvm);
	return r;
}
