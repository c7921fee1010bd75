// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_coexist: rkvm (/dev/rust_kvm) and kvm_intel (/dev/kvm) loaded side
 * by side.  Each enters VMX operation on every CPU when its first VM is
 * created and leaves it when its last VM is gone; while one holds VMX
 * (CR4.VMXE set), the other's KVM_CREATE_VM fails with EBUSY:
 *  - 6.1 kvm_intel: vmx_hardware_enable() returns -EBUSY when CR4.VMXE
 *    is already set; hardware_enable_all() (kvm_main.c) turns any
 *    failing CPU into -EBUSY, which kvm_create_vm() returns.
 *  - rkvm: rkvm_vmx_get() fails with -EBUSY the same way.
 * After the other's last VM is closed, creating a VM works again.
 *
 * rkvm-specific: runs only when the device under test is /dev/rust_kvm,
 * and needs /dev/kvm too.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define RKVM_DEV	"/dev/rust_kvm"
#define KVM_DEV		"/dev/kvm"

static void need_both(void)
{
	int fd;

	if (!is_rkvm())
		test_skip("rkvm-specific: runs with KVM_DEVICE=%s", RKVM_DEV);
	fd = open(KVM_DEV, O_RDWR);
	if (fd < 0)
		test_skip("cannot open %s: %s (kvm_intel not loaded?)", KVM_DEV,
			  strerror(errno));
	close(fd);
	fd = open("/sys/module/kvm/parameters/enable_virt_at_load", O_RDONLY);
	if (fd >= 0) {
		char c = 0;

		if (read(fd, &c, 1) == 1 && c == 'Y') {
			close(fd);
			test_skip("kvm.enable_virt_at_load=Y: kvm_intel holds VMX while loaded (not 6.1)");
		}
		close(fd);
	}
}

/* A system fd and a VM fd on @dev, no memory (the VM holds VMX). */
struct bare_vm {
	int sys;
	int vm;
};

static int bare_create(const char *dev, struct bare_vm *b)
{
	b->sys = open(dev, O_RDWR | O_CLOEXEC);
	TEST_ASSERT(b->sys >= 0, "open %s: %s", dev, strerror(errno));
	b->vm = ioctl(b->sys, KVM_CREATE_VM, 0);
	return b->vm;
}

static void bare_close(struct bare_vm *b)
{
	if (b->vm >= 0)
		close(b->vm);
	close(b->sys);
}

/* Real-mode guest: OUT 0x42 to port 0x10, HLT. */
GUEST_CODE(g_hello, ".code16",
	"movb $0x42, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* On @dev: create a VM with memory and a vCPU, run it to HLT, free it. */
static void run_guest_on(const char *dev)
{
	const char *saved = kvm_device;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint8_t v;

	kvm_device = dev;
	vcpu = real_guest(g_hello);
	vm = vcpu->vm;
	v = vcpu_run_out(vcpu, 0x10, 1);
	TEST_ASSERT(v == 0x42, "%s: guest wrote 0x%x, expected 0x42", dev, v);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
	vcpu_free(vcpu);
	vm_free(vm);
	kvm_device = saved;
}

static void create_busy(const char *holder, const char *other)
{
	struct bare_vm h, o;
	int r;

	TEST_ASSERT(bare_create(holder, &h) >= 0, "KVM_CREATE_VM on %s: %s",
		    holder, errno_name(errno));
	r = bare_create(other, &o);
	TEST_ASSERT(r == -1 && errno == EBUSY,
		    "KVM_CREATE_VM on %s while a VM on %s lives: expected EBUSY, got %d %s",
		    other, holder, r, r < 0 ? errno_name(errno) : "");
	bare_close(&o);
	/* again, from a fresh fd: still EBUSY */
	r = bare_create(other, &o);
	TEST_ASSERT(r == -1 && errno == EBUSY,
		    "second KVM_CREATE_VM on %s: expected EBUSY, got %d %s",
		    other, r, r < 0 ? errno_name(errno) : "");
	bare_close(&o);
	/* the holder's VMX is intact: it runs a guest */
	run_guest_on(holder);
	bare_close(&h);
	/* no VM left on the holder: the other one works now */
	run_guest_on(other);
}

/* A VM on /dev/kvm makes KVM_CREATE_VM on rkvm EBUSY; closed, it works. */
static void kvm_holds(void)
{
	need_both();
	create_busy(KVM_DEV, RKVM_DEV);
}

/* A VM on rkvm makes KVM_CREATE_VM on /dev/kvm EBUSY (6.1 hardware_enable_all()). */
static void rkvm_holds(void)
{
	need_both();
	create_busy(RKVM_DEV, KVM_DEV);
}

/*
 * VMX is held by a VM, not by an open system fd or a vCPU fd of a VM
 * that is gone: an rkvm VM's last reference is a vCPU fd.
 */
static void vcpu_fd_holds(void)
{
	struct bare_vm h, o;
	int vcpu, r;

	need_both();
	TEST_ASSERT(bare_create(RKVM_DEV, &h) >= 0, "KVM_CREATE_VM: %s",
		    errno_name(errno));
	vcpu = ioctl(h.vm, KVM_CREATE_VCPU, 0);
	TEST_ASSERT(vcpu >= 0, "KVM_CREATE_VCPU: %s", errno_name(errno));
	close(h.vm);
	h.vm = -1;
	r = bare_create(KVM_DEV, &o);
	TEST_ASSERT(r == -1 && errno == EBUSY,
		    "rkvm VM alive through its vCPU fd: expected EBUSY from %s, got %d %s",
		    KVM_DEV, r, r < 0 ? errno_name(errno) : "");
	bare_close(&o);
	close(vcpu);
	/* the system fd alone holds nothing */
	r = bare_create(KVM_DEV, &o);
	TEST_ASSERT(r >= 0, "KVM_CREATE_VM on %s after the rkvm VM is gone: %s",
		    KVM_DEV, errno_name(errno));
	bare_close(&o);
	bare_close(&h);
}

/* Both devices, one after the other, five times. */
static void alternate(void)
{
	int i;

	need_both();
	for (i = 0; i < 5; i++) {
		run_guest_on(RKVM_DEV);
		run_guest_on(KVM_DEV);
	}
}

static const struct kvm_test tests[] = {
	{ "a VM on /dev/kvm makes rkvm's KVM_CREATE_VM EBUSY until closed",
	  kvm_holds },
	{ "a VM on rkvm makes /dev/kvm's KVM_CREATE_VM EBUSY until closed",
	  rkvm_holds },
	{ "an rkvm VM kept alive by a vCPU fd holds VMX", vcpu_fd_holds },
	{ "rkvm and kvm_intel used one after the other, 5 times", alternate },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
