// SPDX-License-Identifier: GPL-2.0
/*
 * Module init/exit, the /dev/rust_kvm misc device and the
 * system-fd ioctls.
 */
#define pr_fmt(fmt) "rkvm: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/preempt.h>
#include <linux/kvm.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>

#include "rkvm.h"
#include "x86/cpuid.h"
#include "x86/msr.h"

u64 rkvm_host_xcr0;

static long rkvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CREATE_VM:
		return rkvm_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return rkvm_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		/* kvm_run, then the page holding port I/O data */
		return 2 * PAGE_SIZE;
	case KVM_GET_SUPPORTED_CPUID:
		return rkvm_get_supported_cpuid(argp);
	case KVM_GET_MSR_INDEX_LIST:
		return rkvm_get_msr_index_list(argp);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return rkvm_get_msr_feature_index_list(argp);
	case KVM_GET_MSRS:
		return rkvm_get_feature_msrs(argp);
	default:
		return -EINVAL;
	}
}

static const struct file_operations rkvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= rkvm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice rkvm_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "rust_kvm",
	.fops	= &rkvm_dev_fops,
	.mode	= 0666,
};

static int __init rkvm_init(void)
{
	int r;

	r = rkvm_vmx_init();
	if (r)
		return r;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		rkvm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	r = rkvm_irqfd_init();
	if (r) {
		rkvm_vmx_exit();
		return r;
	}
	preempt_notifier_inc();
	rkvm_debugfs_init();
	r = misc_register(&rkvm_dev);
	if (r) {
		rkvm_debugfs_exit();
		preempt_notifier_dec();
		rkvm_irqfd_exit();
		rkvm_vmx_exit();
	}
	return r;
}

static void __exit rkvm_exit(void)
{
	misc_deregister(&rkvm_dev);
	rkvm_debugfs_exit();
	preempt_notifier_dec();
	rcu_barrier();		/* ioeventfds freed by call_rcu */
	rkvm_irqfd_exit();
	rkvm_vmx_exit();
}

module_init(rkvm_init);
module_exit(rkvm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkvm: the KVM ioctl ABI on Intel VMX");
