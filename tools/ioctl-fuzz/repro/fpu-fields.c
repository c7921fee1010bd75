// SPDX-License-Identifier: GPL-2.0
/*
 * repro/fpu-fields.c - which kvm_fpu fields make the guest FPU state
 * unloadable. For each field: a fresh vCPU gets KVM_SET_FPU with FCW =
 * 0x27f as a marker plus that one field set to a hostile value, runs a HLT,
 * and reads the FPU back. If the kernel's XRSTOR of the guest state
 * faulted, it "reinitialized" the registers (and logged "Bad FPU state",
 * once): the marker is gone.
 *
 *   ioctl-fuzz-repro-fpu-fields [DEVICE]     (default /dev/rust_kvm)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

static int vm_with_hlt(int sys, unsigned char *mem)
{
	struct kvm_userspace_memory_region mr = { 0, 0, 0, 0x10000, (unsigned long)mem };
	int vm = ioctl(sys, KVM_CREATE_VM, 0);

	if (vm < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		return -1;
	return vm;
}

static int try(int sys, unsigned char *mem, const char *what, void (*set)(struct kvm_fpu *))
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	int vm = vm_with_hlt(sys, mem), vcpu, r;

	vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	ioctl(vcpu, KVM_SET_REGS, &regs);
	ioctl(vcpu, KVM_GET_FPU, &fpu);
	fpu.fcw = 0x27f;
	set(&fpu);
	r = ioctl(vcpu, KVM_SET_FPU, &fpu);
	if (r == 0)
		r = ioctl(vcpu, KVM_RUN, 0);
	memset(&fpu, 0, sizeof(fpu));
	ioctl(vcpu, KVM_GET_FPU, &fpu);
	printf("%-28s run %d, FCW after %#x: %s\n", what, r, fpu.fcw,
	       fpu.fcw == 0x27f ? "state kept" : "STATE LOST (XRSTOR faulted)");
	close(vcpu);
	close(vm);
	return fpu.fcw != 0x27f;
}

static void nothing(struct kvm_fpu *f) { (void)f; }
static void fsw(struct kvm_fpu *f) { f->fsw = 0xffff; }
static void ftwx(struct kvm_fpu *f) { f->ftwx = 0xff; }
static void fop(struct kvm_fpu *f) { f->last_opcode = 0xffff; }
static void fip(struct kvm_fpu *f) { f->last_ip = 0x8000000000000000ull; }
static void fdp(struct kvm_fpu *f) { f->last_dp = 0xdead000000000000ull; }
static void fpr(struct kvm_fpu *f) { memset(f->fpr, 0xff, sizeof(f->fpr)); }
static void xmm(struct kvm_fpu *f) { memset(f->xmm, 0xa5, sizeof(f->xmm)); }
static void mxcsr_daz(struct kvm_fpu *f) { f->mxcsr = 0x1fc0; }
static void mxcsr_ffff(struct kvm_fpu *f) { f->mxcsr = 0xffff; }
static void mxcsr_hi(struct kvm_fpu *f) { f->mxcsr = 0x11f80; }
static void fcw_ffff(struct kvm_fpu *f) { f->fcw = 0xffff; }

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/rust_kvm";
	int sys = open(dev, O_RDWR), bad = 0;
	unsigned char *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (sys < 0 || mem == MAP_FAILED) {
		perror(dev);
		return 2;
	}
	memset(mem, 0xf4, 0x10000);
	bad |= try(sys, mem, "nothing else", nothing);
	bad |= try(sys, mem, "FSW 0xffff", fsw);
	bad |= try(sys, mem, "FTW 0xff", ftwx);
	bad |= try(sys, mem, "FOP 0xffff", fop);
	bad |= try(sys, mem, "FIP non-canonical", fip);
	bad |= try(sys, mem, "FDP non-canonical", fdp);
	bad |= try(sys, mem, "ST0-7 all ones", fpr);
	bad |= try(sys, mem, "XMM0-15 0xa5", xmm);
	bad |= try(sys, mem, "MXCSR 0x1fc0 (DAZ)", mxcsr_daz);
	bad |= try(sys, mem, "MXCSR 0xffff", mxcsr_ffff);
	bad |= try(sys, mem, "MXCSR 0x11f80 (reserved)", mxcsr_hi);
	try(sys, mem, "FCW 0xffff (marker lost)", fcw_ffff);
	return bad;
}
