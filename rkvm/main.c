// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/main.c - module init/exit, the /dev/rust_kvm misc device and the
 * system-fd ioctls.
 */
#define pr_fmt(fmt) "rkvm: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/kvm.h>

static long rkvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
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
	return misc_register(&rkvm_dev);
}

static void __exit rkvm_exit(void)
{
	misc_deregister(&rkvm_dev);
}

module_init(rkvm_init);
module_exit(rkvm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkvm: KVM ioctl ABI on Intel VMX");
