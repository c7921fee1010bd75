// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - one microVM on the core KVM ABI: create VM and vCPU, map RAM, set
 * up 64-bit mode, and the KVM_RUN loop that turns every exit into either a
 * doorbell or a clear error. A per-thread POSIX timer signals the vCPU
 * thread at the timeout; the handler sets immediate_exit, so KVM_RUN
 * returns -EINTR whether the signal lands inside or outside of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "abi.h"
#include "cpu.h"
#include "pagetable.h"
#include "vm.h"

static int kvm_fd = -1;
static int run_size;
static struct kvm_cpuid2 *cpuid;

#define TIMER_SIG	SIGUSR1

static __thread struct kvm_run *volatile cur_run;
static __thread volatile sig_atomic_t cur_expired;
static __thread timer_t thread_timer;
static __thread int thread_timer_ok;

static void on_timer(int sig)
{
	(void)sig;
	cur_expired = 1;
	if (cur_run)
		cur_run->immediate_exit = 1;
}

void mvm_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;	/* no SA_RESTART: KVM_RUN gets EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(TIMER_SIG, &sa, NULL);
}

int mvm_kvm_fd(void)
{
	return kvm_fd;
}

int mvm_kvm_run_size(void)
{
	return run_size;
}

const struct kvm_cpuid2 *mvm_kvm_cpuid(void)
{
	return cpuid;
}

int mvm_kvm_open(const char *dev)
{
	int n, r;

	kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		fprintf(stderr, "mini-vmm: cannot open %s: %s\n", dev,
			strerror(errno));
		return -1;
	}
	r = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "mini-vmm: %s: KVM API version %d, want %d\n",
			dev, r, KVM_API_VERSION);
		return -1;
	}
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		run_size = 3 * 4096;
	for (n = 64; n <= 4096; n *= 2) {
		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return -1;
		cpuid->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		free(cpuid);
		cpuid = NULL;
		if (errno != E2BIG) {
			fprintf(stderr, "mini-vmm: KVM_GET_SUPPORTED_CPUID: %s\n",
				strerror(errno));
			return -1;
		}
	}
	mvm_signals_init();
	return 0;
}

static int vm_err(const char *what)
{
	int e = errno;

	fprintf(stderr, "mini-vmm: %s: %s\n", what, strerror(e));
	return -e;
}

int mvm_vm_create(struct mvm_vm *vm, uint64_t mem_size, int memfd)
{
	struct kvm_userspace_memory_region reg;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->vmfd = vm->vcpufd = -1;
	vm->lay.mem_size = mem_size;
	vm->vmfd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vmfd < 0)
		return vm_err("KVM_CREATE_VM");
	if (memfd < 0)
		vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	else
		vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_NORESERVE, memfd, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		r = vm_err("mmap guest memory");
		goto fail;
	}
	reg.slot = 0;
	reg.flags = 0;
	reg.guest_phys_addr = 0;
	reg.memory_size = mem_size;
	reg.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
		r = vm_err("KVM_SET_USER_MEMORY_REGION");
		goto fail;
	}
	vm->vcpufd = ioctl(vm->vmfd, KVM_CREATE_VCPU, 0);
	if (vm->vcpufd < 0) {
		r = vm_err("KVM_CREATE_VCPU");
		goto fail;
	}
	vm->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpufd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		r = vm_err("mmap kvm_run");
		goto fail;
	}
	if (cpuid && ioctl(vm->vcpufd, KVM_SET_CPUID2, cpuid) < 0) {
		r = vm_err("KVM_SET_CPUID2");
		goto fail;
	}
	return 0;
fail:
	mvm_vm_destroy(vm);
	return r;
}

void mvm_vm_destroy(struct mvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, run_size);
	if (vm->vcpufd >= 0)
		close(vm->vcpufd);
	if (vm->vmfd >= 0)
		close(vm->vmfd);
	if (vm->mem)
		munmap(vm->mem, vm->lay.mem_size);
	vm->run = NULL;
	vm->mem = NULL;
	vm->vcpufd = vm->vmfd = -1;
}

#define PAGE_UP(x)	(((x) + 4095) & ~4095ULL)

int mvm_layout(struct mvm_layout *l, uint64_t mem_size, uint64_t in_cap,
	       uint64_t out_cap, const void *elf, size_t elf_len,
	       struct mvm_elf *e, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	in_cap = PAGE_UP(in_cap);
	out_cap = PAGE_UP(out_cap);
	if (mem_size % 4096 || mem_size > MVM_MEM_MAX ||
	    mem_size < MVM_LOAD_BASE + in_cap + out_cap + 4096) {
		snprintf(err, errlen, "memory size %llu is not a page multiple "
			 "in [%llu KiB, 1 GiB]", (unsigned long long)mem_size,
			 (unsigned long long)(MVM_LOAD_BASE + in_cap + out_cap +
					      4096) / 1024);
		return -1;
	}
	l->mem_size = mem_size;
	l->out_cap = out_cap;
	l->out_addr = mem_size - out_cap;
	l->in_cap = in_cap;
	l->in_addr = l->out_addr - in_cap;
	if (mvm_elf_parse(elf, elf_len, MVM_LOAD_BASE, l->in_addr, e, err,
			  errlen))
		return -1;
	l->entry = e->entry;
	l->heap_start = PAGE_UP(e->hi);
	l->heap_end = l->in_addr;
	if (l->heap_start > l->heap_end)
		l->heap_start = l->heap_end;
	return 0;
}

int mvm_vm_setup(struct mvm_vm *vm, const struct mvm_layout *l,
		 const struct mvm_elf *e, const void *elf)
{
	struct mvm_info *info = (struct mvm_info *)(vm->mem + MVM_INFO_ADDR);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	vm->lay = *l;
	mvm_build_pagetables(vm->mem);
	mvm_build_descriptors(vm->mem);
	memset(info, 0, sizeof(*info));
	info->magic = MVM_INFO_MAGIC;
	info->version = MVM_ABI_VERSION;
	info->mem_size = l->mem_size;
	info->in_addr = l->in_addr;
	info->in_cap = l->in_cap;
	info->out_addr = l->out_addr;
	info->out_cap = l->out_cap;
	info->heap_start = l->heap_start;
	info->heap_end = l->heap_end;
	mvm_elf_load(e, elf, vm->mem);

	if (ioctl(vm->vcpufd, KVM_GET_SREGS, &sregs) < 0)
		return vm_err("KVM_GET_SREGS");
	mvm_setup_sregs(&sregs, vm->ring0);
	if (ioctl(vm->vcpufd, KVM_SET_SREGS, &sregs) < 0)
		return vm_err("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = l->entry;
	regs.rsp = MVM_STACK_TOP;
	/*
	 * IOPL 0. User-mode functions run with IF=1: no interrupt is ever
	 * injected (no irqchip), and a CPU that cannot CLI at CPL 3 keeps
	 * taking the host's timer exits even on emulated CPUs (Bochs) where a
	 * guest spinning with IF=0 never exits.
	 */
	regs.rflags = vm->ring0 ? 0x2 : 0x202;
	if (ioctl(vm->vcpufd, KVM_SET_REGS, &regs) < 0)
		return vm_err("KVM_SET_REGS");
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vm->vcpufd, KVM_SET_FPU, &fpu) < 0)
		return vm_err("KVM_SET_FPU");
	return 0;
}

int mvm_vm_set_input(struct mvm_vm *vm, const void *in, size_t len)
{
	struct mvm_info *info = (struct mvm_info *)(vm->mem + MVM_INFO_ADDR);

	if (len > vm->lay.in_cap)
		return -1;
	memcpy(vm->mem + vm->lay.in_addr, in, len);
	/* the guest may have scribbled on its info page: rewrite it all */
	info->magic = MVM_INFO_MAGIC;
	info->version = MVM_ABI_VERSION;
	info->mem_size = vm->lay.mem_size;
	info->in_addr = vm->lay.in_addr;
	info->in_cap = vm->lay.in_cap;
	info->in_len = len;
	info->out_addr = vm->lay.out_addr;
	info->out_cap = vm->lay.out_cap;
	info->out_len = 0;
	info->heap_start = vm->lay.heap_start;
	info->heap_end = vm->lay.heap_end;
	info->invocation = vm->invocation++;
	return 0;
}

const char *mvm_outcome_name(enum mvm_outcome o)
{
	static const char *const n[] = {
		"ok", "init-done", "fault", "triple-fault", "timeout",
		"wild-access", "exit-flood", "bad-io", "halt", "vmm-error",
	};

	return o <= MVM_VMM_ERROR ? n[o] : "?";
}

static void set_msg(struct mvm_result *r, enum mvm_outcome o,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void set_msg(struct mvm_result *r, enum mvm_outcome o,
		    const char *fmt, ...)
{
	va_list ap;

	r->outcome = o;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

static void report_fault(struct mvm_vm *vm, unsigned int v,
			 struct mvm_result *r)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t frame[2] = { 0, 0 }, sp;
	int n = mvm_vector_has_error(v);

	if (ioctl(vm->vcpufd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vm->vcpufd, KVM_GET_SREGS, &sregs) < 0) {
		set_msg(r, MVM_FAULT, "guest exception %u (%s)", v,
			mvm_vector_name(v));
		return;
	}
	/* the stub ran on the IST1 stack: [error code,] rip, cs, ... */
	sp = regs.rsp;
	if (sp >= MVM_XSTACK_TOP - 0x1000 && sp + 16 <= MVM_XSTACK_TOP)
		memcpy(frame, vm->mem + sp, 16);
	if (v == 14)
		set_msg(r, MVM_FAULT, "guest exception %s (vector %u) at "
			"rip=0x%llx, address 0x%llx, error code 0x%llx", 
			mvm_vector_name(v), v, (unsigned long long)frame[1],
			(unsigned long long)sregs.cr2,
			(unsigned long long)frame[0]);
	else if (n)
		set_msg(r, MVM_FAULT, "guest exception %s (vector %u) at "
			"rip=0x%llx, error code 0x%llx", mvm_vector_name(v), v,
			(unsigned long long)frame[1],
			(unsigned long long)frame[0]);
	else
		set_msg(r, MVM_FAULT, "guest exception %s (vector %u) at "
			"rip=0x%llx", mvm_vector_name(v), v,
			(unsigned long long)frame[0]);
}

static void guest_log(struct mvm_vm *vm, uint64_t addr)
{
	char line[MVM_LOG_MAX + 1];
	size_t n = 0;

	if (vm->quiet)
		return;
	while (addr < vm->lay.mem_size && n < MVM_LOG_MAX && vm->mem[addr])
		line[n++] = vm->mem[addr++];
	line[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((line[i] < 32 || line[i] > 126) && line[i] != '\t')
			line[i] = '?';
	fprintf(stderr, "[guest] %s\n", line);
}

/* A doorbell rang (by I/O or MMIO exit). Returns 1 when the run is over. */
static int doorbell(struct mvm_vm *vm, int port, uint32_t val,
		    struct mvm_result *r)
{
	uint64_t out_len;

	switch (port) {
	case MVM_PORT_EXIT:
		out_len = ((volatile struct mvm_info *)
			   (vm->mem + MVM_INFO_ADDR))->out_len;
		if (out_len > vm->lay.out_cap) {
			set_msg(r, MVM_BAD_IO, "exit doorbell with output "
				"length %llu > buffer size %llu",
				(unsigned long long)out_len,
				(unsigned long long)vm->lay.out_cap);
			return 1;
		}
		r->outcome = MVM_OK;
		r->status = (int)val;
		r->out = vm->mem + vm->lay.out_addr;
		r->out_len = out_len;
		return 1;
	case MVM_PORT_LOG:
		guest_log(vm, val);
		return 0;
	case MVM_PORT_INIT_DONE:
		set_msg(r, MVM_INIT_DONE, "init done");
		return 1;
	default:
		report_fault(vm, val, r);
		return 1;
	}
}

static int handle_io(struct mvm_vm *vm, struct mvm_result *r)
{
	struct kvm_run *run = vm->run;
	uint32_t val = 0;
	int port = run->io.port;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1 || port < MVM_PORT_EXIT ||
	    port > MVM_PORT_FAULT) {
		set_msg(r, MVM_BAD_IO, "unexpected I/O: %s port 0x%x, size %d, "
			"count %u (not a doorbell)",
			run->io.direction == KVM_EXIT_IO_OUT ? "out to" : "in from",
			port, run->io.size, run->io.count);
		return 1;
	}
	memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
	return doorbell(vm, port, val, r);
}

static int handle_mmio(struct mvm_vm *vm, struct mvm_result *r)
{
	struct kvm_run *run = vm->run;
	uint64_t a = run->mmio.phys_addr;
	uint32_t val;

	if (run->mmio.is_write && run->mmio.len == 4 &&
	    a >= MVM_DOORBELL_MMIO + 4 * MVM_PORT_EXIT &&
	    a <= MVM_DOORBELL_MMIO + 4 * MVM_PORT_FAULT && !(a & 3)) {
		memcpy(&val, run->mmio.data, 4);
		return doorbell(vm, (a - MVM_DOORBELL_MMIO) / 4, val, r);
	}
	set_msg(r, MVM_WILD_ACCESS, "wild memory access: %s of %u bytes at "
		"guest-physical 0x%llx, outside the %llu KiB of RAM%s",
		run->mmio.is_write ? "write" : "read", run->mmio.len,
		(unsigned long long)a,
		(unsigned long long)vm->lay.mem_size / 1024,
		a >= MVM_DOORBELL_MMIO && a < MVM_DOORBELL_MMIO + 4096 ?
		" (bad doorbell access)" : "");
	return 1;
}

static void timer_arm(unsigned int ms)
{
	struct itimerspec its;

	if (!thread_timer_ok) {
		struct sigevent sev;

		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = TIMER_SIG;
		sev._sigev_un._tid = syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &sev, &thread_timer) < 0) {
			perror("mini-vmm: timer_create");
			return;
		}
		thread_timer_ok = 1;
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	if (ms) {	/* re-fire until seen, in case a kick is lost */
		its.it_interval.tv_nsec = 10 * 1000000L;
	}
	timer_settime(thread_timer, 0, &its, NULL);
}

void mvm_vm_run(struct mvm_vm *vm, unsigned int timeout_ms,
		unsigned long max_exits, struct mvm_result *r)
{
	struct kvm_run *run = vm->run;
	int done = 0;

	memset(r, 0, sizeof(*r));
	cur_expired = 0;
	run->immediate_exit = 0;
	cur_run = run;
	if (timeout_ms)
		timer_arm(timeout_ms);
	while (!done) {
		if (cur_expired) {
			set_msg(r, MVM_TIMEOUT, "timed out after %u ms "
				"(guest still running; vCPU stopped)", timeout_ms);
			break;
		}
		if (max_exits && r->exits >= max_exits) {
			set_msg(r, MVM_EXIT_FLOOD, "exit flood: %lu VM exits "
				"without finishing (budget %lu)", r->exits,
				max_exits);
			break;
		}
		if (ioctl(vm->vcpufd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			set_msg(r, MVM_VMM_ERROR, "KVM_RUN: %s", strerror(errno));
			break;
		}
		r->exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			done = handle_io(vm, r);
			break;
		case KVM_EXIT_MMIO:
			done = handle_mmio(vm, r);
			break;
		case KVM_EXIT_SHUTDOWN: {
			struct kvm_regs regs;

			if (ioctl(vm->vcpufd, KVM_GET_REGS, &regs) < 0)
				regs.rip = 0;
			set_msg(r, MVM_TRIPLE_FAULT, "triple fault: the guest "
				"shut down (last rip=0x%llx)",
				(unsigned long long)regs.rip);
			done = 1;
			break;
		}
		case KVM_EXIT_HLT:
			set_msg(r, MVM_HALT, "guest halted without ringing the "
				"exit doorbell");
			done = 1;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			set_msg(r, MVM_VMM_ERROR, "VM entry failed: hardware "
				"reason 0x%llx",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			done = 1;
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			set_msg(r, MVM_VMM_ERROR, "KVM internal error, "
				"suberror %u", run->internal.suberror);
			done = 1;
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			set_msg(r, MVM_VMM_ERROR, "unexpected exit reason %u",
				run->exit_reason);
			done = 1;
			break;
		}
	}
	if (timeout_ms)
		timer_arm(0);
	cur_run = NULL;
	cur_expired = 0;
	run->immediate_exit = 0;
}

void mvm_vm_invoke(struct mvm_vm *vm, const void *in, size_t len,
		   unsigned int timeout_ms, unsigned long max_exits,
		   struct mvm_result *r)
{
	mvm_vm_run(vm, timeout_ms, max_exits, r);
	if (r->outcome != MVM_INIT_DONE)
		return;
	if (mvm_vm_set_input(vm, in, len)) {
		set_msg(r, MVM_VMM_ERROR, "input of %zu bytes exceeds the "
			"%llu-byte input area", len,
			(unsigned long long)vm->lay.in_cap);
		return;
	}
	mvm_vm_run(vm, timeout_ms, max_exits, r);
	if (r->outcome == MVM_INIT_DONE)
		set_msg(r, MVM_BAD_IO, "init-done doorbell rung twice");
}
