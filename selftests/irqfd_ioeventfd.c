// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd_ioeventfd: the virtio notification round trip with no exit to
 * userspace (api.rst: KVM_IOEVENTFD, KVM_IRQFD). The guest rings a doorbell
 * (a port or an MMIO address bound to an ioeventfd), then waits with
 * STI;HLT for an interrupt; a host thread blocked on the ioeventfd's
 * eventfd wakes, and signals an irqfd, whose GSI reaches the guest's handler
 * (through an IOAPIC pin, or an MSI route). ROUNDS times in a row, and the
 * whole loop must be one KVM_RUN: a doorbell or an interrupt that needed
 * userspace would have returned from it. The guest's count of interrupts,
 * the host's count of doorbells and the rounds must agree.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define ROUNDS		200
#define DOORBELL_PORT	0x90
#define DOORBELL_MMIO	0xd0000000UL
#define DOORBELL_DATA	0xcafe
#define PIN_VECTOR	0x45
#define MSI_VECTOR	0x46
#define MSI_GSI		100
#define PARAMS_GPA	DATA_GPA
#define RUN_LIMIT_MS	60000

/*
 * Params: 0xa000 rounds, 0xa004 1 for the MMIO doorbell. Round i (from 1)
 * rings the doorbell with IF clear, then waits until the interrupt total
 * is i. Reports the total on port 0x10.
 */
GUEST_CODE(g_doorbell, ".code32",
	"movl $0x1ff, 0xfee000f0\n"
	"xor %esi, %esi\n"
	"1: cli\n"
	"inc %esi\n"
	"testl $1, 0xa004\n"
	"jnz 2f\n"
	"mov %si, %ax\n"
	"out %ax, $0x90\n"
	"jmp 3f\n"
	"2: movl $0xcafe, 0xd0000000\n"
	"3: mov $100000, %ecx\n"
	"4: cli\n"
	"mov 0xe000, %eax\n"
	"cmp %esi, %eax\n"
	"jae 5f\n"
	"sti\n"
	"hlt\n"
	"loop 4b\n"
	"5: cmp 0xa000, %esi\n"
	"jb 1b\n"
	"mov 0xe000, %eax\n"
	"out %eax, $0x10\n"
	"hlt\n");

struct forwarder {
	int door, irq;		/* eventfds */
	uint64_t doorbells;	/* sum of the counts read */
	uint32_t reads, signals;
	bool stop;		/* atomic */
};

/* The VMM's device: each doorbell becomes an interrupt. */
static void *forward(void *arg)
{
	struct forwarder *f = arg;
	struct pollfd pfd = { .fd = f->door, .events = POLLIN };
	uint64_t n, one = 1;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(f->door, &n, sizeof(n)) != sizeof(n))
			continue;
		f->doorbells += n;
		f->reads++;
		if (write(f->irq, &one, sizeof(one)) == sizeof(one))
			f->signals++;
	}
	return NULL;
}

static void round_trips(bool mmio)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct forwarder f = { .stop = false };
	struct kvm_ioeventfd io = { 0 };
	struct kvm_irqfd irqfd = { 0 };
	int vector = mmio ? MSI_VECTOR : PIN_VECTOR;
	struct kvm_vcpu *vcpu;
	struct irq_counters *c;
	uint32_t *params, total, runs = 0;
	uint64_t t0, t1;
	pthread_t th;

	EXPECT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = vcpu_create(vm, 0);
	vm_load_code(vm, CODE_GPA, g_doorbell);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	memset(irq_counters(vm), 0, sizeof(struct irq_counters));
	vcpu_setup_irq_counting(vcpu);
	params = gpa_to_hva(vm, PARAMS_GPA);
	params[0] = ROUNDS;
	params[1] = mmio;

	f.door = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f.irq = eventfd(0, EFD_CLOEXEC);
	TEST_ASSERT(f.door >= 0 && f.irq >= 0, "eventfd: %s", strerror(errno));
	if (mmio) {
		/* an MSI route, as a virtio-pci device's vector */
		struct {
			struct kvm_irq_routing hdr;
			struct kvm_irq_routing_entry e;
		} rt = { .hdr.nr = 1 };

		rt.e.gsi = MSI_GSI;
		rt.e.type = KVM_IRQ_ROUTING_MSI;
		rt.e.u.msi.address_lo = 0xfee00000;
		rt.e.u.msi.data = MSI_VECTOR;
		EXPECT_OK(ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt));
		irqfd.gsi = MSI_GSI;
		io.addr = DOORBELL_MMIO;
		io.len = 4;
		io.datamatch = DOORBELL_DATA;
		io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
	} else {
		/* IOAPIC pin 18: fixed, edge, APIC 0 */
		struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

		EXPECT_OK(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
		chip.chip.ioapic.redirtbl[18].bits = PIN_VECTOR;
		EXPECT_OK(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
		irqfd.gsi = 18;
		io.addr = DOORBELL_PORT;
		io.len = 2;
		io.flags = KVM_IOEVENTFD_FLAG_PIO;
	}
	io.fd = f.door;
	irqfd.fd = f.irq;
	EXPECT_OK(ioctl(vm->fd, KVM_IOEVENTFD, &io));
	EXPECT_OK(ioctl(vm->fd, KVM_IRQFD, &irqfd));
	TEST_ASSERT(!pthread_create(&th, NULL, forward, &f), "pthread_create");

	t0 = mono_ns();
	do {
		if (!vcpu_run_timeout(vcpu, RUN_LIMIT_MS)) {
			struct kvm_lapic_state la;
			struct kvm_mp_state mp;
			struct kvm_vcpu_events ev;
			struct kvm_regs regs;
			uint32_t *r = (uint32_t *)la.regs;
			int w = vector / 32, b = vector % 32;

			/* where the interrupt is: IRR, ISR, or nowhere */
			EXPECT_OK(ioctl(vcpu->fd, KVM_GET_LAPIC, &la));
			EXPECT_OK(ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp));
			EXPECT_OK(ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
			vcpu_get_regs(vcpu, &regs);
			TEST_ASSERT(0, "the guest did not finish in %d ms: %u interrupts, %llu doorbells; vector 0x%x IRR %u ISR %u, mp_state %u, rip 0x%llx rflags 0x%llx, event injected %u nr 0x%x shadow %u",
				  RUN_LIMIT_MS, irq_counters(vm)->total[0],
				  (unsigned long long)f.doorbells, vector,
				  (r[(0x200 + w * 0x10) / 4] >> b) & 1,
				  (r[(0x100 + w * 0x10) / 4] >> b) & 1,
				  mp.mp_state, (unsigned long long)regs.rip,
				  (unsigned long long)regs.rflags,
				  ev.interrupt.injected, ev.interrupt.nr,
				  ev.interrupt.shadow);
		}
		runs++;
	} while (vcpu->run->exit_reason == KVM_EXIT_INTR && runs < 100);
	t1 = mono_ns();
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);

	c = irq_counters(vm);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == 0x10,
		    "the guest stopped with %s (port 0x%x) after %u interrupts, %llu doorbells",
		    exit_reason_name(vcpu->run->exit_reason),
		    vcpu->run->io.port, c->total[0],
		    (unsigned long long)f.doorbells);
	total = *(uint32_t *)vcpu_io_data(vcpu);
	test_log("%d round trips (%s doorbell, %s): %u interrupts, %llu doorbells in %u reads, %u KVM_RUN; %.1f us per round trip",
		 ROUNDS, mmio ? "MMIO" : "port",
		 mmio ? "MSI route" : "IOAPIC pin", total,
		 (unsigned long long)f.doorbells, f.reads, runs,
		 (t1 - t0) / 1e3 / ROUNDS);
	TEST_ASSERT(runs == 1, "%u KVM_RUN returns for %d round trips, expected one",
		    runs, ROUNDS);
	TEST_ASSERT(total == ROUNDS && c->count[vector][0] == ROUNDS,
		    "the guest counted %u interrupts, %u on vector 0x%x, expected %d",
		    total, c->count[vector][0], vector, ROUNDS);
	TEST_ASSERT(f.doorbells == ROUNDS && f.signals == f.reads,
		    "the host saw %llu doorbells (%u reads, %u irqfd signals)",
		    (unsigned long long)f.doorbells, f.reads, f.signals);
}

static void port_pin(void)
{
	round_trips(false);
}

static void mmio_msi(void)
{
	round_trips(true);
}

static const struct kvm_test tests[] = {
	{ "port doorbell (ioeventfd) -> host thread -> irqfd on an IOAPIC pin, 200 times in one KVM_RUN",
	  port_pin },
	{ "MMIO doorbell (ioeventfd, datamatch) -> host thread -> irqfd on an MSI route, 200 times in one KVM_RUN",
	  mmio_msi },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
