// SPDX-License-Identifier: GPL-2.0
/*
 * repro/fpu-mxcsr.c - KVM_SET_FPU accepts an MXCSR with reserved bits set;
 * the next KVM_RUN loads the guest FPU state with XRSTOR, which faults, and
 * the kernel logs "WARNING: ... ex_handler_fprestore" ("Bad FPU state
 * detected ... reinitializing FPU registers").
 *
 * KVM itself never copies kvm_fpu.mxcsr in KVM_SET_FPU (x86.c:
 * kvm_arch_vcpu_ioctl_set_fpu), and KVM_SET_XSAVE checks MXCSR against
 * mxcsr_feature_mask. Found by ioctl-fuzz (seed 1001, see docs/fuzzing.md);
 * fixed by commit 3073c5e (KVM_GET/SET_FPU leave MXCSR out, as KVM does).
 * Kept as a regression test.
 *
 *   ioctl-fuzz-repro-fpu-mxcsr [DEVICE]     (default /dev/rust_kvm)
 * Exit status: 0 no "Bad FPU state" in the kernel log (read through
 * /dev/kmsg, so it needs root), 1 the bug is back, 2 setup failed. The
 * kernel warns once per boot: run it before anything else provoked it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/rust_kvm";
	struct kvm_userspace_memory_region mr;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	int sys, vm, vcpu, r;
	unsigned char *mem;

	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	char rec[1024];
	ssize_t n;
	int bad = 0;

	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	sys = open(dev, O_RDWR);
	if (sys < 0) {
		perror(dev);
		return 2;
	}
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return 2;
	memset(mem, 0xf4, 0x10000);		/* hlt */
	mr = (struct kvm_userspace_memory_region){ 0, 0, 0, 0x10000, (unsigned long)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		return 2;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return 2;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return 2;

	if (ioctl(vcpu, KVM_GET_FPU, &fpu))
		return 2;
	fpu.mxcsr = 0xffffffff;			/* bits 16..31 are reserved */
	r = ioctl(vcpu, KVM_SET_FPU, &fpu);
	printf("KVM_SET_FPU mxcsr=%#x: %d (%s)\n", fpu.mxcsr, r, r ? strerror(errno) : "accepted");
	r = ioctl(vcpu, KVM_RUN, 0);
	printf("KVM_RUN: %d (%s)\n", r, r ? strerror(errno) : "ok");
	if (kmsg < 0) {
		printf("no /dev/kmsg: look for 'Bad FPU state' in dmesg yourself\n");
		return 0;
	}
	usleep(100000);
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, "Bad FPU state") || strstr(rec, "ex_handler_fprestore")) {
			printf("kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			bad = 1;
		}
	}
	printf("%s\n", bad ? "FAIL: the guest FPU state could not be loaded (bug present)" :
	       "ok: no 'Bad FPU state' in the kernel log");
	return bad;
}
