// SPDX-License-Identifier: GPL-2.0
/*
 * boot.c - "mini-vmm boot": a Linux bzImage through the 64-bit boot
 * protocol on the in-kernel irqchip (local APICs, IOAPIC, PICs) and PIT.
 *
 * Memory: one slot of --mem bytes from 0 (at most 3 GiB, below the
 * IOAPIC, local APIC and KVM's TSS pages). The zero page, command line,
 * GDT, identity page tables and the MP table live in 0x9fc00..0xfffff,
 * which the e820 map marks reserved (layout in bzimage.h); the kernel is
 * loaded at 1 MiB (or a non-relocatable kernel's pref_address), the initrd
 * as high as the kernel allows. vCPU 0 starts in 64-bit mode at the
 * kernel's +0x200 with %rsi = the zero page; the others wait for INIT/SIPI
 * in the in-kernel local APIC, one thread each, and the guest finds them
 * in the MP table (acpi=off). Devices in userspace: the COM1 16550A (THR
 * to stdout, IRQ 4), the i8042 (reset), the CMOS RTC; any other port reads
 * as all-ones and ignores writes (no PCI), as does MMIO outside RAM.
 *
 * The run ends when the guest resets (i8042, triple fault, system event),
 * or prints "reboot: System halted" / "reboot: Power down" (without ACPI
 * Linux turns a power-off into a halt: its CPUs stop with interrupts off,
 * which KVM keeps in the kernel, and the console line is the only sign),
 * or at --timeout.
 *
 * Exit status: 0 when the guest rebooted, powered off or halted; 125 when
 * the run failed (timeout, guest kernel panic, KVM error, failed entry);
 * 126 when the VM could not be set up (bad bzImage, missing file, no
 * device, ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include "boot.h"
#include "bzimage.h"
#include "mptable.h"
#include "serial.h"
#include "util.h"
#include "vm.h"

#define EXIT_FAILED	125
#define EXIT_SETUP	126

#define DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1 acpi=off pci=off " \
	"i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd 8250.nr_uarts=1 quiet"
#define COM1		0x3f8
#define COM1_IRQ	4
#define KICK_SIG	SIGUSR2
#define LOG_LIMIT	32	/* unhandled accesses reported with --verbose */

struct boot_opts {
	const char *kernel, *initrd, *cmdline, *append, *device, *marker;
	uint64_t mem;
	int cpus, verbose;
	double timeout;
};

struct boot_vm;

struct vcpu {
	struct boot_vm *vm;
	int id, fd;
	struct kvm_run *run;
	pthread_t th;
	int started;
	volatile int exited;
	unsigned long exits, io, mmio;
};

struct boot_vm {
	const struct boot_opts *o;
	int vmfd, ncpus;
	uint8_t *mem;
	uint64_t mem_size;
	struct vcpu cpu[MVM_MP_MAX_CPUS];

	pthread_mutex_t dev_lock;	/* devices and console; before lock */
	struct mvm_uart uart;
	struct mvm_i8042 kbd;
	struct mvm_cmos cmos;
	char out[4096];			/* console bytes not yet on stdout */
	size_t out_len;
	char line[512];			/* the console line being assembled */
	size_t line_len;
	double line_t;			/* when its first byte came */
	double t0, t_marker, t_init;
	int after_run_init, panicked;
	char panic_line[160];
	unsigned long unhandled;

	pthread_mutex_t lock;		/* the end of the run */
	pthread_cond_t cond;
	volatile int stop;
	int done, status;
	char why[320];
	double t_end;
};

static __thread struct kvm_run *volatile kick_run;

static void on_kick(int sig)
{
	(void)sig;
	if (kick_run)
		kick_run->immediate_exit = 1;
}

/* The run is over: the first reason given wins. */
static void vm_end(struct boot_vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void vm_end(struct boot_vm *vm, int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (!vm->done) {
		vm->done = 1;
		vm->status = status;
		vm->t_end = mvm_now();
		va_start(ap, fmt);
		vsnprintf(vm->why, sizeof(vm->why), fmt, ap);
		va_end(ap);
	}
	vm->stop = 1;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- console ------------------------------------------------------------ */

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;		/* stdout gone: keep the guest running */
		p += r;
		n -= r;
	}
}

static void console_flush(struct boot_vm *vm)
{
	write_all(1, vm->out, vm->out_len);
	vm->out_len = 0;
}

/* A complete console line: boot-time marker, panic, power-off. */
static void console_line(struct boot_vm *vm)
{
	const char *l = vm->line;
	const char *m = vm->o->marker;

	if (m && !vm->t_marker && strstr(l, m))
		vm->t_marker = vm->line_t - vm->t0;
	if (vm->after_run_init && !vm->t_init)
		vm->t_init = vm->line_t - vm->t0;
	if (strstr(l, "Run /init as init process"))
		vm->after_run_init = 1;
	if (!vm->panicked && strstr(l, "Kernel panic - not syncing")) {
		vm->panicked = 1;
		snprintf(vm->panic_line, sizeof(vm->panic_line), "%.150s", l);
	}
	if (strstr(l, "reboot: Power down"))
		vm_end(vm, 0, "the guest powered off (its console said "
		       "\"reboot: Power down\"; the VMM stops it at that line)");
	else if (strstr(l, "reboot: System halted"))
		vm_end(vm, 0, "the guest halted (its console said \"reboot: "
		       "System halted\": without ACPI a Linux power-off is a "
		       "halt; the VMM stops it at that line)");
}

static void console_byte(void *opaque, uint8_t c)
{
	struct boot_vm *vm = opaque;

	vm->out[vm->out_len++] = c;
	if (c == '\n' || vm->out_len == sizeof(vm->out))
		console_flush(vm);
	if (c == '\r')
		return;
	if (!vm->line_len)
		vm->line_t = mvm_now();
	if (c == '\n') {
		vm->line[vm->line_len] = 0;
		console_line(vm);
		vm->line_len = 0;
		return;
	}
	if (vm->line_len < sizeof(vm->line) - 1)	/* the rest is dropped */
		vm->line[vm->line_len++] = c;
}

static void uart_irq(void *opaque, int level)
{
	struct boot_vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = COM1_IRQ, .level = level };

	if (ioctl(vm->vmfd, KVM_IRQ_LINE, &irq) < 0)
		vm_end(vm, EXIT_FAILED, "KVM_IRQ_LINE (IRQ %d, level %d): %s",
		       COM1_IRQ, level, strerror(errno));
}

/* ---- port I/O and MMIO ---------------------------------------------------- */

static void unhandled(struct vcpu *c, const char *what, uint64_t addr,
		      int len, int write)
{
	struct boot_vm *vm = c->vm;

	if (vm->o->verbose && vm->unhandled < LOG_LIMIT)
		fprintf(stderr, "mini-vmm: vCPU %d: %s %s 0x%llx (%d bytes): "
			"nothing there, %s%s\n", c->id, write ? "write to" :
			"read from", what, (unsigned long long)addr, len,
			write ? "ignored" : "reads as all-ones",
			vm->unhandled + 1 == LOG_LIMIT ? " (no more of these "
			"are reported)" : "");
	vm->unhandled++;
}

/* One byte of port I/O (dev_lock held). */
static void port_byte(struct vcpu *c, uint16_t port, int in, uint8_t *v)
{
	struct boot_vm *vm = c->vm;

	if (port >= COM1 && port < COM1 + 8) {
		if (in)
			*v = mvm_uart_read(&vm->uart, port - COM1);
		else
			mvm_uart_write(&vm->uart, port - COM1, *v);
	} else if (port == 0x60 || port == 0x64) {
		if (in) {
			*v = mvm_i8042_read(&vm->kbd, port);
			return;
		}
		mvm_i8042_write(&vm->kbd, port, *v);
		if (vm->kbd.reset)
			vm_end(vm, 0, "the guest rebooted (i8042 reset line "
			       "pulsed: 0x%02x written to port 0x%x)", *v,
			       port);
	} else if (port == 0x70 || port == 0x71) {
		if (in)
			*v = mvm_cmos_read(&vm->cmos, port);
		else
			mvm_cmos_write(&vm->cmos, port, *v);
	} else if ((port == 0x80 || port == 0xed) && !in) {
		/* I/O delay ports */
	} else {
		if (in)
			*v = 0xff;
		unhandled(c, "port", port, 1, !in);
	}
}

static void handle_io(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	uint8_t *d = (uint8_t *)run + run->io.data_offset;
	int in = run->io.direction == KVM_EXIT_IO_IN;
	uint32_t i;
	int k;

	pthread_mutex_lock(&c->vm->dev_lock);
	for (i = 0; i < run->io.count; i++)
		for (k = 0; k < run->io.size; k++)
			port_byte(c, run->io.port + k, in, d++);
	pthread_mutex_unlock(&c->vm->dev_lock);
}

static void handle_mmio(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	pthread_mutex_lock(&c->vm->dev_lock);
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	unhandled(c, "guest-physical", run->mmio.phys_addr, run->mmio.len,
		  run->mmio.is_write);
	pthread_mutex_unlock(&c->vm->dev_lock);
}

/* ---- vCPU threads ------------------------------------------------------ */

static void describe_vcpu(struct vcpu *c, char *buf, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_mp_state mp = { 0 };

	if (ioctl(c->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(c->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(buf, len, "registers unreadable: %s", strerror(errno));
		return;
	}
	ioctl(c->fd, KVM_GET_MP_STATE, &mp);
	snprintf(buf, len, "rip=0x%llx rsp=0x%llx rflags=0x%llx cs=0x%x "
		 "cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx mp_state=%u "
		 "exits=%lu (io %lu, mmio %lu)",
		 (unsigned long long)r.rip, (unsigned long long)r.rsp,
		 (unsigned long long)r.rflags, s.cs.selector,
		 (unsigned long long)s.cr0, (unsigned long long)s.cr3,
		 (unsigned long long)s.cr4, (unsigned long long)s.efer,
		 mp.mp_state, c->exits, c->io, c->mmio);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct boot_vm *vm = c->vm;
	struct kvm_run *run = c->run;
	char regs[400];
	unsigned int i, n;
	int pos;

	kick_run = run;
	while (!vm->stop) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			vm_end(vm, EXIT_FAILED, "vCPU %d: KVM_RUN: %s", c->id,
			       strerror(errno));
			break;
		}
		c->exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			c->io++;
			handle_io(c);
			break;
		case KVM_EXIT_MMIO:
			c->mmio++;
			handle_mmio(c);
			break;
		case KVM_EXIT_INTR:
		case KVM_EXIT_HLT:	/* not with an in-kernel local APIC */
			break;
		case KVM_EXIT_SHUTDOWN:
			describe_vcpu(c, regs, sizeof(regs));
			vm_end(vm, 0, "the guest reset: triple fault "
			       "(KVM_EXIT_SHUTDOWN) on vCPU %d, a reboot=t "
			       "reboot or a crash; %s", c->id, regs);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			n = run->system_event.type;
			if (n == KVM_SYSTEM_EVENT_CRASH)
				vm_end(vm, EXIT_FAILED, "the guest crashed "
				       "(KVM_EXIT_SYSTEM_EVENT crash, vCPU %d)",
				       c->id);
			else
				vm_end(vm, 0, "the guest %s (KVM_EXIT_SYSTEM_EVENT "
				       "type %u, vCPU %d)",
				       n == KVM_SYSTEM_EVENT_SHUTDOWN ? "shut down" :
				       n == KVM_SYSTEM_EVENT_RESET ? "rebooted" :
				       "stopped", n, c->id);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			describe_vcpu(c, regs, sizeof(regs));
			vm_end(vm, EXIT_FAILED, "vCPU %d: VM entry failed "
			       "(KVM_EXIT_FAIL_ENTRY), hardware reason 0x%llx; %s",
			       c->id, (unsigned long long)
			       run->fail_entry.hardware_entry_failure_reason,
			       regs);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			describe_vcpu(c, regs, sizeof(regs));
			pos = 0;
			n = run->internal.ndata;
			char data[200] = "";
			for (i = 0; i < n && i < 8; i++)
				pos += snprintf(data + pos, sizeof(data) - pos,
						" 0x%llx", (unsigned long long)
						run->internal.data[i]);
			vm_end(vm, EXIT_FAILED, "vCPU %d: KVM internal error, "
			       "suberror %u, data:%s; %s", c->id,
			       run->internal.suberror, n ? data : " none", regs);
			break;
		default:
			describe_vcpu(c, regs, sizeof(regs));
			vm_end(vm, EXIT_FAILED, "vCPU %d: unexpected exit reason "
			       "%u; %s", c->id, run->exit_reason, regs);
			break;
		}
	}
	kick_run = NULL;
	c->exited = 1;
	return NULL;
}

/* ---- setup ----------------------------------------------------------- */

static int kvm_err(const char *what)
{
	fprintf(stderr, "mini-vmm: %s: %s\n", what, strerror(errno));
	return -1;
}

static void build_pagetables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + MVM_BOOT_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(mem + MVM_BOOT_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(mem + MVM_BOOT_PD_ADDR);
	int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = MVM_BOOT_PDPT_ADDR | 0x3;		/* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (MVM_BOOT_PD_ADDR + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB page */
}

/* GDT: 0x10 __BOOT_CS (64-bit code), 0x18 __BOOT_DS, 0x20 a busy TSS */
static void build_gdt(uint8_t *mem)
{
	uint64_t *gdt = (uint64_t *)(mem + MVM_BOOT_GDT_ADDR);
	uint64_t tb = MVM_BOOT_TSS_ADDR;

	memset(gdt, 0, 0x100 + 104);
	gdt[2] = 0x00af9b000000ffffULL;
	gdt[3] = 0x00cf93000000ffffULL;
	gdt[4] = 0x67 | (tb & 0xffffff) << 16 | 0x8bULL << 40 |
		 ((tb >> 24) & 0xff) << 56;
	gdt[5] = tb >> 32;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

static int setup_bsp(struct vcpu *c, uint64_t entry)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_fpu fpu;

	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return kvm_err("KVM_GET_SREGS");
	seg(&s.cs, 0x10, 11, 1);
	seg(&s.ds, 0x18, 3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.base = MVM_BOOT_TSS_ADDR;
	s.tr.limit = 0x67;
	s.tr.selector = 0x20;
	s.tr.type = 11;
	s.tr.present = 1;
	memset(&s.ldt, 0, sizeof(s.ldt));
	s.ldt.type = 2;
	s.ldt.unusable = 1;
	s.gdt.base = MVM_BOOT_GDT_ADDR;
	s.gdt.limit = 6 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80010033;	/* PG, WP, NE, ET, MP, PE */
	s.cr3 = MVM_BOOT_PML4_ADDR;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LMA, LME */
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return kvm_err("KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsi = MVM_BOOT_ZERO_PAGE;
	r.rsp = MVM_BOOT_STACK_TOP;
	r.rflags = 0x2;		/* interrupts off */
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return kvm_err("KVM_SET_REGS");
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
		return kvm_err("KVM_SET_FPU");
	return 0;
}

/* KVM_SET_CPUID2 with the supported table, this vCPU's APIC id patched in */
static int setup_cpuid(struct vcpu *c)
{
	const struct kvm_cpuid2 *sup = mvm_kvm_cpuid();
	struct kvm_cpuid2 *cp;
	size_t sz;
	uint32_t i;
	int r;

	if (!sup) {
		fprintf(stderr, "mini-vmm: the device gave no CPUID table "
			"(KVM_GET_SUPPORTED_CPUID)\n");
		return -1;
	}
	sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	cp = malloc(sz);
	if (!cp)
		return -1;
	memcpy(cp, sup, sz);
	for (i = 0; i < cp->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cp->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffff) | (uint32_t)c->id << 24;
			e->ecx |= 1u << 31;	/* "running under a hypervisor" */
		}
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = c->id;		/* x2APIC id */
	}
	r = ioctl(c->fd, KVM_SET_CPUID2, cp);
	free(cp);
	if (r < 0)
		return kvm_err("KVM_SET_CPUID2");
	return 0;
}

/*
 * IA32_MISC_ENABLE with fast strings on, as firmware leaves it: without
 * it Linux turns off REP_GOOD and ERMS ("Disabled fast string
 * operations") and copies memory the slow way.
 */
static int setup_msrs(struct vcpu *c)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = 0x1a0;		/* MSR_IA32_MISC_ENABLE */
	if (ioctl(c->fd, KVM_GET_MSRS, &m) != 1)
		return kvm_err("KVM_GET_MSRS (IA32_MISC_ENABLE)");
	m.e.data |= 1;			/* FAST_STRING */
	if (ioctl(c->fd, KVM_SET_MSRS, &m) != 1)
		return kvm_err("KVM_SET_MSRS (IA32_MISC_ENABLE)");
	return 0;
}

static void cpu_signature(uint32_t *sig, uint32_t *feat)
{
	const struct kvm_cpuid2 *sup = mvm_kvm_cpuid();
	uint32_t i;

	*sig = *feat = 0;
	for (i = 0; sup && i < sup->nent; i++)
		if (sup->entries[i].function == 1) {
			*sig = sup->entries[i].eax;
			*feat = sup->entries[i].edx;
		}
}

static int create_vm(struct boot_vm *vm)
{
	struct kvm_userspace_memory_region reg;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = MVM_BOOT_IDMAP_KVM;
	int i, kvm = mvm_kvm_fd();

	vm->vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm->vmfd < 0)
		return kvm_err("KVM_CREATE_VM");
	if (ioctl(vm->vmfd, KVM_SET_TSS_ADDR, MVM_BOOT_TSS_KVM) < 0)
		return kvm_err("KVM_SET_TSS_ADDR");
	if (ioctl(vm->vmfd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return kvm_err("KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vmfd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kvm_err("KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vmfd, KVM_CREATE_PIT2, &pit) < 0)
		return kvm_err("KVM_CREATE_PIT2");
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return kvm_err("mmap of the guest memory");
	}
	memset(&reg, 0, sizeof(reg));
	reg.memory_size = vm->mem_size;
	reg.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
		return kvm_err("KVM_SET_USER_MEMORY_REGION");
	for (i = 0; i < vm->ncpus; i++)
		vm->cpu[i].fd = -1;
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpu[i];

		c->vm = vm;
		c->id = i;
		c->fd = ioctl(vm->vmfd, KVM_CREATE_VCPU, i);
		if (c->fd < 0)
			return kvm_err("KVM_CREATE_VCPU");
		c->run = mmap(NULL, mvm_kvm_run_size(), PROT_READ | PROT_WRITE,
			      MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			return kvm_err("mmap of kvm_run");
		}
		if (setup_cpuid(c) || setup_msrs(c))
			return -1;
	}
	return 0;
}

static void destroy_vm(struct boot_vm *vm)
{
	int i;

	for (i = 0; i < vm->ncpus; i++) {
		if (vm->cpu[i].run)
			munmap(vm->cpu[i].run, mvm_kvm_run_size());
		if (vm->cpu[i].fd >= 0)
			close(vm->cpu[i].fd);
	}
	if (vm->vmfd >= 0)
		close(vm->vmfd);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
}

/* ---- the command ------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
"usage: mini-vmm boot --kernel BZIMAGE [--initrd FILE] [--cmdline STR]\n"
"                     [--append STR] [--mem MiB] [--cpus N] [--device PATH]\n"
"                     [--timeout S] [--marker STR] [--verbose]\n"
"  Boots a Linux bzImage (64-bit boot protocol) with a serial console on\n"
"  stdout. Defaults: --mem 256 (MiB; or 512M, 1G), --cpus 1, --device\n"
"  /dev/kvm, no timeout, --cmdline \"" DEFAULT_CMDLINE "\".\n"
"  --append adds to the command line; --marker STR reports the boot time\n"
"  as VM creation to the first console line holding STR (default: the\n"
"  first line after the kernel's \"Run /init\", which quiet hides).\n"
"  Exit status: 0 guest rebooted, halted or powered off, 125 run failed\n"
"  (timeout, panic, KVM error), 126 setup failed.\n");
}

static int parse_opts(int argc, char **argv, struct boot_opts *o)
{
	static const struct option lo[] = {
		{ "kernel", 1, 0, 'k' }, { "initrd", 1, 0, 'i' },
		{ "cmdline", 1, 0, 'c' }, { "append", 1, 0, 'a' },
		{ "mem", 1, 0, 'm' }, { "cpus", 1, 0, 'n' },
		{ "device", 1, 0, 'd' }, { "timeout", 1, 0, 't' },
		{ "marker", 1, 0, 'M' }, { "verbose", 0, 0, 'v' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->device = "/dev/kvm";
	o->cmdline = DEFAULT_CMDLINE;
	o->mem = 256ULL << 20;
	o->cpus = 1;
	while ((c = getopt_long(argc, argv, "k:i:c:a:m:n:d:t:M:vh", lo,
				NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 'a': o->append = optarg; break;
		case 'd': o->device = optarg; break;
		case 'M': o->marker = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'm':
			o->mem = strtoull(optarg, &end, 0);
			if (end != optarg && !*end)
				o->mem <<= 20;		/* plain number: MiB */
			else
				o->mem = mvm_parse_size(optarg);
			if (!o->mem || o->mem % 4096 || o->mem > MVM_BOOT_MEM_MAX) {
				fprintf(stderr, "mini-vmm: bad --mem %s: give "
					"MiB (e.g. 256) or a size (512M, 1G), "
					"at most 3 GiB\n", optarg);
				return -1;
			}
			break;
		case 'n':
			o->cpus = strtol(optarg, &end, 0);
			if (*end || o->cpus < 1 || o->cpus > MVM_MP_MAX_CPUS) {
				fprintf(stderr, "mini-vmm: bad --cpus %s: give "
					"1..%d\n", optarg, MVM_MP_MAX_CPUS);
				return -1;
			}
			break;
		case 't':
			o->timeout = strtod(optarg, &end);
			if (*end || o->timeout < 0) {
				fprintf(stderr, "mini-vmm: bad --timeout %s: "
					"give seconds (0: none)\n", optarg);
				return -1;
			}
			break;
		default:
			usage();
			return -1;
		}
	}
	if (optind != argc || !o->kernel) {
		if (optind != argc)
			fprintf(stderr, "mini-vmm: boot: unexpected argument "
				"%s\n", argv[optind]);
		else
			fprintf(stderr, "mini-vmm: boot: --kernel BZIMAGE is "
				"required\n");
		usage();
		return -1;
	}
	return 0;
}

/* Load kernel, initrd, command line, zero page, tables into guest memory. */
static int load_guest(struct boot_vm *vm, const struct boot_opts *o,
		      const struct mvm_bzimage *bz, const void *initrd,
		      size_t initrd_len, const char *cmdline)
{
	uint64_t initrd_addr = 0;
	uint32_t sig, feat;
	char err[256];

	if (initrd_len && mvm_bz_place_initrd(bz, vm->mem_size, initrd_len,
					      &initrd_addr, err, sizeof(err))) {
		fprintf(stderr, "mini-vmm: %s: %s\n", o->initrd, err);
		return -1;
	}
	memcpy(vm->mem + bz->load_addr, bz->kernel, bz->kernel_len);
	if (initrd_len)
		memcpy(vm->mem + initrd_addr, initrd, initrd_len);
	strcpy((char *)vm->mem + MVM_BOOT_CMDLINE_ADDR, cmdline);
	mvm_bz_zero_page(vm->mem + MVM_BOOT_ZERO_PAGE, bz, vm->mem_size,
			 MVM_BOOT_CMDLINE_ADDR, initrd_addr, initrd_len);
	build_pagetables(vm->mem);
	build_gdt(vm->mem);
	cpu_signature(&sig, &feat);
	if (!mvm_mptable(vm->mem + MVM_BOOT_MPTABLE_ADDR,
			 MVM_BOOT_MPTABLE_END - MVM_BOOT_MPTABLE_ADDR,
			 MVM_BOOT_MPTABLE_ADDR, vm->ncpus, sig, feat)) {
		fprintf(stderr, "mini-vmm: cannot build the MP table for %d "
			"CPUs\n", vm->ncpus);
		return -1;
	}
	return 0;
}

/* Wait for the end (or the timeout), then stop and join every vCPU. */
static void wait_and_stop(struct boot_vm *vm)
{
	struct timespec dl;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += (time_t)vm->o->timeout;
	dl.tv_nsec += (long)((vm->o->timeout - (time_t)vm->o->timeout) * 1e9);
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&vm->lock);
	while (!vm->done) {
		if (!vm->o->timeout) {
			pthread_cond_wait(&vm->cond, &vm->lock);
		} else if (pthread_cond_timedwait(&vm->cond, &vm->lock,
						  &dl) == ETIMEDOUT &&
			   !vm->done) {
			vm->done = 1;
			vm->status = EXIT_FAILED;
			vm->t_end = mvm_now();
			snprintf(vm->why, sizeof(vm->why), "timed out after "
				 "%g s: the guest neither rebooted nor powered "
				 "off; VM stopped", vm->o->timeout);
		}
	}
	vm->stop = 1;
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpu[i];

		if (!c->started)
			continue;
		while (!c->exited) {
			pthread_kill(c->th, KICK_SIG);
			usleep(10000);
		}
		pthread_join(c->th, NULL);
	}
}

int mvm_boot_main(int argc, char **argv)
{
	struct boot_opts o;
	struct boot_vm *vm;
	struct mvm_bzimage bz;
	struct sigaction sa;
	pthread_condattr_t ca;
	void *kernel = NULL, *initrd = NULL;
	size_t kernel_len, initrd_len = 0, cl_len;
	char err[256], *cmdline = NULL, regs[400];
	int i, rc = EXIT_SETUP;

	if (parse_opts(argc, argv, &o))
		return EXIT_SETUP;
	kernel = mvm_read_file(o.kernel, &kernel_len, MVM_BOOT_MEM_MAX);
	if (!kernel)
		return EXIT_SETUP;
	if (mvm_bz_parse(kernel, kernel_len, &bz, err, sizeof(err))) {
		fprintf(stderr, "mini-vmm: %s: %s\n", o.kernel, err);
		goto out;
	}
	bz.file = kernel;
	if (bz.load_addr + bz.init_size > o.mem) {
		fprintf(stderr, "mini-vmm: %s needs memory up to 0x%llx "
			"(loaded at 0x%llx, init_size 0x%llx): give --mem %llu "
			"or more\n", o.kernel,
			(unsigned long long)(bz.load_addr + bz.init_size),
			(unsigned long long)bz.load_addr,
			(unsigned long long)bz.init_size,
			(unsigned long long)((bz.load_addr + bz.init_size) >> 20) + 32);
		goto out;
	}
	if (o.initrd) {
		initrd = mvm_read_file(o.initrd, &initrd_len, o.mem);
		if (!initrd)
			goto out;
	}
	cl_len = strlen(o.cmdline) + (o.append ? 1 + strlen(o.append) : 0);
	cmdline = malloc(cl_len + 1);
	if (!cmdline)
		goto out;
	snprintf(cmdline, cl_len + 1, "%s%s%s", o.cmdline, o.append ? " " : "",
		 o.append ? o.append : "");
	if (cl_len > bz.cmdline_max) {
		fprintf(stderr, "mini-vmm: the command line has %zu bytes, the "
			"kernel takes at most %u\n", cl_len, bz.cmdline_max);
		goto out;
	}
	if (mvm_kvm_open(o.device))
		goto out;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		goto out;
	vm->o = &o;
	vm->vmfd = -1;
	vm->ncpus = o.cpus;
	vm->mem_size = o.mem;
	pthread_mutex_init(&vm->dev_lock, NULL);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->cond, &ca);
	mvm_uart_init(&vm->uart, uart_irq, console_byte, vm);
	mvm_i8042_init(&vm->kbd);
	mvm_cmos_init(&vm->cmos);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;	/* no SA_RESTART: KVM_RUN gets EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIG, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* stdout gone: the guest runs on */

	fprintf(stderr, "mini-vmm: booting %s (%zu KiB%s%s) with %llu MiB, "
		"%d vCPU%s on %s%s\n", o.kernel, kernel_len / 1024,
		o.initrd ? ", initrd " : "", o.initrd ? o.initrd : "",
		(unsigned long long)(o.mem >> 20), o.cpus,
		o.cpus > 1 ? "s" : "", o.device,
		o.timeout ? "" : ", no timeout");
	fprintf(stderr, "mini-vmm: command line: %s\n", cmdline);
	vm->t0 = mvm_now();
	if (create_vm(vm) ||
	    load_guest(vm, &o, &bz, initrd, initrd_len, cmdline) ||
	    setup_bsp(&vm->cpu[0], bz.load_addr + 0x200))
		goto destroy;
	free(kernel);
	free(initrd);
	kernel = initrd = NULL;
	for (i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->cpu[i].th, NULL, vcpu_thread,
				   &vm->cpu[i])) {
			vm_end(vm, EXIT_FAILED, "cannot start the thread of "
			       "vCPU %d", i);
			break;
		}
		vm->cpu[i].started = 1;
	}
	wait_and_stop(vm);

	pthread_mutex_lock(&vm->dev_lock);
	if (vm->line_len && vm->out_len)
		vm->out[vm->out_len++] = '\n';
	console_flush(vm);
	pthread_mutex_unlock(&vm->dev_lock);
	rc = vm->status;
	if (!rc && vm->panicked) {
		rc = EXIT_FAILED;
		fprintf(stderr, "mini-vmm: the guest kernel panicked: %s\n",
			vm->panic_line);
	}
	if (vm->t_marker)
		printf("mini-vmm: boot-time %.3f s device %s cpus %d (VM "
		       "creation to the console line with \"%s\")\n",
		       vm->t_marker, o.device, o.cpus, o.marker);
	else if (vm->t_init && !o.marker)
		printf("mini-vmm: boot-time %.3f s device %s cpus %d (VM "
		       "creation to the first line after \"Run /init\")\n",
		       vm->t_init, o.device, o.cpus);
	else
		printf("mini-vmm: boot-time none device %s cpus %d (%s)\n",
		       o.device, o.cpus, o.marker ? "the marker was not seen" :
		       "no --marker, and no \"Run /init\" line (quiet)");
	fflush(stdout);
	fprintf(stderr, "mini-vmm: %s after %.3f s; exit status %d\n", vm->why,
		vm->t_end - vm->t0, rc);
	if (rc == EXIT_FAILED || o.verbose)
		for (i = 0; i < vm->ncpus; i++) {
			describe_vcpu(&vm->cpu[i], regs, sizeof(regs));
			fprintf(stderr, "mini-vmm: vCPU %d: %s\n", i, regs);
		}
	if (o.verbose)
		fprintf(stderr, "mini-vmm: %lu accesses to absent ports or "
			"MMIO\n", vm->unhandled);
	goto done;
destroy:
	rc = EXIT_SETUP;
done:
	destroy_vm(vm);
	free(vm);
out:
	free(kernel);
	free(initrd);
	free(cmdline);
	return rc;
}
