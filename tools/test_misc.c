// SPDX-License-Identifier: GPL-2.0
/*
 * test_misc - smallest end-to-end check of a KVM device.
 *
 * Usage: test_misc [DEVICE]     (default /dev/rust_kvm; /dev/kvm works too)
 *
 * Creates one VM with one vCPU, maps a page of guest memory, runs a
 * real-mode program that adds rax and rbx, prints the digit and a newline
 * on port 0x3f8 and halts.  Every exit is printed; anything other than
 * IO('4'), IO('\n'), HLT is a failure (exit status 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_MEM_SIZE	0x10000
#define CODE_ADDR	0x1000
#define SERIAL_PORT	0x3f8

static const char *dev = "/dev/rust_kvm";

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
							 noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "test_misc: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int xioctl(int fd, unsigned long req, unsigned long arg,
		  const char *name)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		fail("%s on %s: expected success, got errno %d (%s)",
		     name, dev, errno, strerror(errno));
	return r;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN:		return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_EXCEPTION:	return "KVM_EXIT_EXCEPTION";
	case KVM_EXIT_IO:		return "KVM_EXIT_IO";
	case KVM_EXIT_HLT:		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:		return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN:		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR:	return "KVM_EXIT_INTERNAL_ERROR";
	default:			return "other";
	}
}

/* Run once; check that the exit is an 8-bit OUT of @want to SERIAL_PORT. */
static void expect_out(int vcpu, struct kvm_run *run, char want)
{
	char got;

	xioctl(vcpu, KVM_RUN, 0, "KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO)
		fail("expected exit KVM_EXIT_IO (%d), got %s (%u)",
		     KVM_EXIT_IO, exit_name(run->exit_reason),
		     run->exit_reason);
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != SERIAL_PORT ||
	    run->io.size != 1 || run->io.count != 1)
		fail("expected IO out port 0x%x size 1 count 1, got %s port 0x%x size %u count %u",
		     SERIAL_PORT,
		     run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		     run->io.port, run->io.size, run->io.count);
	got = *((char *)run + run->io.data_offset);
	printf("exit: KVM_EXIT_IO out port 0x%x size 1 data 0x%02x", run->io.port,
	       (unsigned char)got);
	if (got >= 0x20 && got < 0x7f)
		printf(" '%c'", got);
	printf("\n");
	if (got != want)
		fail("expected data 0x%02x, got 0x%02x",
		     (unsigned char)want, (unsigned char)got);
}

int main(int argc, char **argv)
{
	/*
	 *  mov  $0x3f8, %dx
	 *  add  %bl, %al
	 *  add  $'0', %al
	 *  out  %al, (%dx)
	 *  mov  $'\n', %al
	 *  out  %al, (%dx)
	 *  hlt
	 */
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03,
		0x00, 0xd8,
		0x04, '0',
		0xee,
		0xb0, '\n',
		0xee,
		0xf4,
	};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, r, mmap_size;
	uint8_t *mem;

	if (argc > 1)
		dev = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail("open %s: %s", dev, strerror(errno));

	r = xioctl(kvm, KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
	if (r != KVM_API_VERSION)
		fail("KVM_GET_API_VERSION: expected %d, got %d",
		     KVM_API_VERSION, r);
	printf("%s: KVM_GET_API_VERSION %d\n", dev, r);

	vm = xioctl(kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	if (vm == kvm)
		fail("KVM_CREATE_VM returned the system fd %d", vm);

	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		fail("mmap guest memory: %s", strerror(errno));
	memcpy(mem + CODE_ADDR, code, sizeof(code));

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&region,
	       "KVM_SET_USER_MEMORY_REGION");

	vcpu = xioctl(vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	if (vcpu == vm || vcpu == kvm)
		fail("KVM_CREATE_VCPU returned an existing fd %d", vcpu);

	mmap_size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0,
			   "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)mmap_size < sizeof(*run))
		fail("KVM_GET_VCPU_MMAP_SIZE: expected >= %zu, got %d",
		     sizeof(*run), mmap_size);
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		fail("mmap of the vCPU fd (kvm_run): %s", strerror(errno));

	xioctl(vcpu, KVM_GET_SREGS, (unsigned long)&sregs, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	xioctl(vcpu, KVM_SET_SREGS, (unsigned long)&sregs, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_ADDR;
	regs.rax = 2;
	regs.rbx = 2;
	regs.rflags = 0x2;
	xioctl(vcpu, KVM_SET_REGS, (unsigned long)&regs, "KVM_SET_REGS");

	expect_out(vcpu, run, '4');
	expect_out(vcpu, run, '\n');

	xioctl(vcpu, KVM_RUN, 0, "KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT)
		fail("expected exit KVM_EXIT_HLT (%d), got %s (%u)",
		     KVM_EXIT_HLT, exit_name(run->exit_reason),
		     run->exit_reason);
	printf("exit: KVM_EXIT_HLT\n");

	xioctl(vcpu, KVM_GET_REGS, (unsigned long)&regs, "KVM_GET_REGS");
	if (regs.rip != CODE_ADDR + sizeof(code))
		fail("after HLT: expected rip 0x%zx, got 0x%llx",
		     CODE_ADDR + sizeof(code), (unsigned long long)regs.rip);

	munmap(run, mmap_size);
	close(vcpu);
	close(vm);
	close(kvm);
	munmap(mem, GUEST_MEM_SIZE);
	printf("test_misc: PASS\n");
	return 0;
}
