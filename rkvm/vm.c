// SPDX-License-Identifier: GPL-2.0
/*
 * The VM object: KVM_CREATE_VM, its fd and ioctls, and its
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
#include "x86/ioapic.h"
#include "x86/pic.h"
#include "x86/pit.h"
#include "x86/kvmclock.h"

void rkvm_get_vm(struct rkvm *kvm)
{
	kref_get(&kvm->ref);
}

static void rkvm_destroy_vm(struct kref *ref)
{
	struct rkvm *kvm = container_of(ref, struct rkvm, ref);
	int i;

	rkvm_debugfs_vm_destroy(kvm);
	/* no irqfd or PIT work may deliver to a vCPU once they start going */
	rkvm_irqfd_release(kvm);
	rkvm_pit_free(kvm);
	rkvm_ioeventfd_release(kvm);
	rkvm_mmu_notifier_unregister(kvm);
	for (i = 0; i < kvm->nr_vcpus; i++)
		rkvm_vcpu_destroy(kvm->vcpus[i]);
	rkvm_ept_destroy(kvm);
	rkvm_ioapic_free(kvm);
	rkvm_pic_free(kvm);
	rkvm_irq_routing_free(kvm);
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

	int r;

	switch (cap->cap) {
	case KVM_CAP_MAX_VCPU_ID:
		/* once, and only if no vCPU id already reached past it */
		if (cap->flags || cap->args[0] > RKVM_MAX_VCPU_ID)
			return -EINVAL;
		mutex_lock(&kvm->lock);
		r = -EINVAL;
		if (kvm->max_vcpu_ids == cap->args[0]) {
			r = 0;
		} else if (!kvm->max_vcpu_ids) {
			kvm->max_vcpu_ids = cap->args[0];
			r = 0;
		}
		mutex_unlock(&kvm->lock);
		return r;
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

/*
 * KVM_CREATE_IRQCHIP: local APICs for the vCPUs created from now on and an
 * IOAPIC. Before any vCPU, once (KVM's rules).
 */
static int rkvm_create_irqchip(struct rkvm *kvm)
{
	int r;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->irqchip)
		goto out;
	r = -EINVAL;
	if (kvm->nr_vcpus)
		goto out;
	r = rkvm_ioapic_create(kvm);
	if (!r) {
		r = rkvm_pic_create(kvm);
		if (r)
			rkvm_ioapic_free(kvm);
	}
	if (!r) {
		/* the chips before the flag: readers test the flag, then use them */
		smp_store_release(&kvm->irqchip, true);
	}
out:
	mutex_unlock(&kvm->lock);
	return r;
}

/* Raise or lower a GSI through the routing table (x86/irq_routing.c). */
static int rkvm_irq_line(struct rkvm *kvm, struct kvm_irq_level *l, bool status)
{
	int r;

	if (!READ_ONCE(kvm->irqchip))
		return -ENXIO;
	r = rkvm_set_gsi(kvm, l->irq, l->level);
	if (status)
		l->status = r;
	return 0;
}

static int rkvm_irqchip_ioctl(struct rkvm *kvm, struct kvm_irqchip __user *argp,
			      bool set)
{
	struct kvm_irqchip *chip;
	int r;

	if (!READ_ONCE(kvm->irqchip))
		return -ENXIO;
	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	r = -EINVAL;
	if (chip->chip_id >= KVM_NR_IRQCHIPS)
		goto out;
	r = 0;
	if (set && chip->chip_id == KVM_IRQCHIP_IOAPIC)
		rkvm_ioapic_set(kvm, &chip->chip.ioapic);
	else if (set)
		rkvm_pic_set(kvm, chip->chip_id, &chip->chip.pic);
	else if (chip->chip_id == KVM_IRQCHIP_IOAPIC)
		rkvm_ioapic_get(kvm, &chip->chip.ioapic);
	else
		rkvm_pic_get(kvm, chip->chip_id, &chip->chip.pic);
	if (!set && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
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
	struct kvm_irq_level irq;
	struct kvm_ioeventfd ioev;
	struct kvm_irqfd irqfd;
	struct kvm_msi msi;
	struct kvm_pit_config pitcfg;
	struct kvm_pit_state2 *pit;
	struct kvm_clock_data clock;
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
	case KVM_IRQFD:
		if (copy_from_user(&irqfd, argp, sizeof(irqfd)))
			return -EFAULT;
		return rkvm_irqfd(kvm, &irqfd);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&pitcfg, argp, sizeof(pitcfg)))
			return -EFAULT;
		return rkvm_pit_create(kvm, &pitcfg);
	case KVM_GET_PIT2:
		pit = kzalloc(sizeof(*pit), GFP_KERNEL);
		if (!pit)
			return -ENOMEM;
		r = rkvm_pit_get(kvm, pit);
		if (!r && copy_to_user(argp, pit, sizeof(*pit)))
			r = -EFAULT;
		kfree(pit);
		return r;
	case KVM_SET_PIT2:
		pit = memdup_user(argp, sizeof(*pit));
		if (IS_ERR(pit))
			return PTR_ERR(pit);
		r = rkvm_pit_set(kvm, pit);
		kfree(pit);
		return r;
	case KVM_SET_GSI_ROUTING:
		return rkvm_set_gsi_routing(kvm, argp);
	case KVM_SIGNAL_MSI:
		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		return rkvm_signal_msi(kvm, &msi);
	case KVM_IOEVENTFD:
		if (copy_from_user(&ioev, argp, sizeof(ioev)))
			return -EFAULT;
		return rkvm_ioeventfd(kvm, &ioev);
	case KVM_CREATE_IRQCHIP:
		return rkvm_create_irqchip(kvm);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		r = rkvm_irq_line(kvm, &irq, ioctl == KVM_IRQ_LINE_STATUS);
		if (!r && ioctl == KVM_IRQ_LINE_STATUS &&
		    copy_to_user(argp, &irq, sizeof(irq)))
			r = -EFAULT;
		return r;
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return rkvm_irqchip_ioctl(kvm, argp, ioctl == KVM_SET_IRQCHIP);
	case KVM_SET_CLOCK:
		if (copy_from_user(&clock, argp, sizeof(clock)))
			return -EFAULT;
		return rkvm_set_clock(kvm, &clock);
	case KVM_GET_CLOCK:
		rkvm_get_clock(kvm, &clock);
		return copy_to_user(argp, &clock, sizeof(clock)) ? -EFAULT : 0;
	case KVM_SET_BOOT_CPU_ID:
		mutex_lock(&kvm->lock);
		r = -EBUSY;
		if (!kvm->nr_vcpus) {
			kvm->bsp_id = arg;
			r = 0;
		}
		mutex_unlock(&kvm->lock);
		return r;
	case KVM_SET_NR_MMU_PAGES:
		/* a shadow-paging knob: EPT needs none, KVM records it too */
		if (arg < 64)
			return -EINVAL;
		WRITE_ONCE(kvm->nr_mmu_pages, arg);
		WRITE_ONCE(kvm->nr_mmu_pages_set, true);
		return 0;
	case KVM_GET_NR_MMU_PAGES:
		return READ_ONCE(kvm->nr_mmu_pages);
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
	kvm->nr_mmu_pages = 64;
	kref_init(&kvm->ref);
	mutex_init(&kvm->lock);
	mutex_init(&kvm->slots_lock);
	mutex_init(&kvm->mmu_lock);
	spin_lock_init(&kvm->irqfds_lock);
	INIT_LIST_HEAD(&kvm->irqfds);
	INIT_LIST_HEAD(&kvm->ioeventfds);
	atomic64_set(&kvm->tlb_gen, 0);
	rkvm_kvmclock_init(kvm);
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
