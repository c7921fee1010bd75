// SPDX-License-Identifier: GPL-2.0
/*
 * repro/irqfd-teardown.c - irqfd injection against VM teardown.
 *
 * A VM with an in-kernel irqchip, one vCPU, IOAPIC pin 5 unmasked and an
 * irqfd on GSI 5, whose eventfd another thread keeps signalling; then the
 * vCPU and VM fds are closed, so the VM is destroyed while injections are
 * queued on the rkvm-irqfd workqueue. Repeated ITERATIONS times.
 *
 * On rkvm before commit dd8ab13 ("vm: release irqfds before the vCPUs
 * go"), rkvm_destroy_vm() freed the vCPUs (and their local APICs) first and
 * released the irqfds after, so a queued rkvm_irqfd_inject() walked freed
 * vCPUs: with slub_debug=P the bench showed
 *   general protection fault, probably for non-canonical address 0x6b6b6b6b6b6b6b93
 *   Workqueue: rkvm-irqfd rkvm_irqfd_inject [rkvm]
 *   RIP: 0010:rkvm_lapic_match_dest+0xac/0xd0 [rkvm]
 *    rkvm_deliver_irq+0x67/0x100 [rkvm]
 *    ioapic_deliver+0x64/0x80 [rkvm]
 *    rkvm_ioapic_set_irq+0xac/0xc0 [rkvm]
 *    rkvm_irqfd_inject+0x1a/0x30 [rkvm]
 * (found by ioctl-fuzz seed 10010, see docs/fuzzing.md). Without slab
 * poisoning the use-after-free may pass unnoticed: boot with
 * slub_debug=FZPU (tools/ioctl-fuzz/run-bench.sh does).
 *
 *   ioctl-fuzz-repro-irqfd-teardown [DEVICE [ITERATIONS]]
 * Exit status: 0 the kernel logged no oops/BUG/WARNING (read through
 * /dev/kmsg: run as root), 1 it did, 2 setup failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#define GSI 5

static atomic_int cur_efd = -1;
static atomic_int stop;

static void *signaller(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	while (!atomic_load(&stop)) {
		int fd = atomic_load(&cur_efd);

		if (fd >= 0 && write(fd, &one, 8) < 0)
			(void)0;	/* closed under us, or not an eventfd any more */
	}
	return NULL;
}

static int kernel_complained(int kmsg)
{
	static const char *const pat[] = { "general protection", "BUG", "Oops",
		"WARNING", "KASAN", "Call Trace", "refcount_t" };
	char rec[1024];
	ssize_t n;
	int bad = 0;
	unsigned i;

	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
			if (strstr(rec, pat[i])) {
				printf("kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				bad = 1;
				break;
			}
	}
	return bad;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/rust_kvm";
	int iters = argc > 2 ? atoi(argv[2]) : 300, i, sys, kmsg, bad;
	pthread_t th;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	sys = open(dev, O_RDWR);
	if (sys < 0) {
		perror(dev);
		return 2;
	}
	pthread_create(&th, NULL, signaller, NULL);
	for (i = 0; i < iters; i++) {
		struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
		struct kvm_irqfd irqfd;
		uint64_t one = 1;
		int vm, vcpu, efd, k;

		vm = ioctl(sys, KVM_CREATE_VM, 0);
		if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0)) {
			perror("KVM_CREATE_VM/KVM_CREATE_IRQCHIP");
			return 2;
		}
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		if (vcpu < 0 || ioctl(vm, KVM_GET_IRQCHIP, &chip)) {
			perror("KVM_CREATE_VCPU/KVM_GET_IRQCHIP");
			return 2;
		}
		/* pin 5: vector 0x30, fixed, physical destination 0, unmasked */
		chip.chip.ioapic.redirtbl[GSI].bits = 0x30;
		if (ioctl(vm, KVM_SET_IRQCHIP, &chip)) {
			perror("KVM_SET_IRQCHIP");
			return 2;
		}
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		memset(&irqfd, 0, sizeof(irqfd));
		irqfd.fd = efd;
		irqfd.gsi = GSI;
		if (ioctl(vm, KVM_IRQFD, &irqfd)) {
			perror("KVM_IRQFD");
			return 2;
		}
		atomic_store(&cur_efd, efd);
		for (k = 0; k < 8; k++)
			if (write(efd, &one, 8) < 0)
				break;
		/* the last reference goes: the VM is destroyed right here */
		close(vcpu);
		close(vm);
		atomic_store(&cur_efd, -1);
		close(efd);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	if (kmsg < 0) {
		printf("%d iterations; no /dev/kmsg: check dmesg yourself\n", iters);
		return 0;
	}
	usleep(200000);
	bad = kernel_complained(kmsg);
	printf("%d iterations: %s\n", iters, bad ? "FAIL: the kernel complained" :
	       "ok: no oops, BUG or warning in the kernel log");
	return bad;
}
