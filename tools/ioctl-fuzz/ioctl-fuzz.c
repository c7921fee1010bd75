// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-fuzz - a seeded, reproducible random ioctl sequencer for devices
 * that speak KVM's ioctl ABI (/dev/rust_kvm, /dev/kvm).
 *
 * Worker threads share a pool of file descriptors (system fds, VM fds, vCPU
 * fds with their kvm_run mappings, and closed fds whose numbers are kept so
 * that use-after-close is exercised) and pick weighted random operations:
 * every ioctl number <linux/kvm.h> defines, sent to the fd type it belongs
 * to (and now and then to a wrong one), random ioctl numbers, and
 * operations on the memory behind guests (munmap, mprotect, MADV_DONTNEED,
 * memfd holes and truncation) while vCPUs run. Arguments come from
 * generators that mix boundary values, valid-looking structures and bad
 * pointers (NULL, unmapped, read-only, straddling a guard page, kernel,
 * non-canonical, inside kvm_run).
 *
 * Every KVM_RUN is bounded: a per-thread POSIX timer sends SIGUSR1 every
 * 20 ms while it runs, and the signal masks handed to KVM_SET_SIGNAL_MASK
 * never block it. Random guest code runs only with --guest random (the
 * default on /dev/rust_kvm, whose guests the VMX-preemption timer bounds);
 * with --guest safe (the default on any other device) only vCPUs that a
 * private runner set up itself run, with programs that leave to userspace
 * on every iteration and an interrupt table whose every vector lands on HLT.
 *
 * See docs/fuzzing.md for the options, the exit statuses and how to replay
 * a seed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kvm.h>

#define PAGE		4096ul
#define POOL		96		/* fd pool entries */
#define AREA_PAGES	8		/* reserved address space per pool entry */
#define NARENA		4
#define ARENA_SZ	(2ul << 20)
#define PRIV_SZ		(256ul << 10)	/* private runner's guest memory */
#define SCR_PAGES	20
#define RING		256
#define NERR		136		/* errno buckets: 0 = success, 135 = other */
#define MAX_SHADOW	8
#define PRIV_FD_BASE	1000		/* private fds: 1000 + 4 * worker */

/* ------------------------------------------------------------------ */
/* options and global state                                           */

static const char *opt_device = "/dev/rust_kvm";
static uint64_t opt_seed;
static double opt_seconds;
static uint64_t opt_ops;
static int opt_threads = 4;
static int opt_verbose;
static int opt_guest = -1;		/* GUEST_* */
static int opt_check = 1;
static int opt_kmsg = 1;
static int opt_max_vms = 6;
static int opt_max_vcpus = 24;
static int opt_hang_s = 30;
static int opt_sysrq;
static const char *opt_only;
static int avoid_fpu_mxcsr;		/* --avoid fpu-mxcsr: see repro/fpu-mxcsr.c */

enum { GUEST_NONE, GUEST_SAFE, GUEST_RANDOM };

static atomic_int stop_flag;
static atomic_ullong ops_done;
static atomic_int inconsistencies;
static atomic_int kernel_complaints;
static atomic_ullong vms_made, vcpus_made;
static uint64_t t0_ns;
static int vcpu_mmap_size = 2 * PAGE;
static int memfds[NARENA];

static struct kvm_cpuid2 *supported_cpuid;	/* from KVM_GET_SUPPORTED_CPUID */
static uint32_t msr_list[512];
static int msr_list_n;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256**, seeded through splitmix64                      */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static uint32_t rn(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((unsigned __int128)rnd(r) * n) >> 64) : 0;
}

static bool chance(struct rng *r, int pct)
{
	return (int)rn(r, 100) < pct;
}

static const uint64_t bvals[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511,
	512, 1023, 1024, 4095, 4096, 4097, 8191, 8192, 0x7fff, 0x8000, 0xffff,
	0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xfffffffffffff000ull, 0xfffffffffffffffeull, 0xffffffffffffffffull,
	0xffff800000000000ull, 0x0000800000000000ull, 0x00007ffffffff000ull,
	0xfee00000, 0xfffff000, 0xffff0, 0xa0000, 0xc0000080, 0x40000000,
};

/* a value that is often on a boundary */
static uint64_t bval(struct rng *r)
{
	switch (rn(r, 8)) {
	case 0: case 1: case 2:
		return bvals[rn(r, sizeof(bvals) / sizeof(bvals[0]))];
	case 3:
		return 1ull << rn(r, 64);
	case 4:
		return (1ull << rn(r, 64)) + rn(r, 3) - 1;
	case 5:
		return rn(r, 64);
	case 6:
		return (uint32_t)rnd(r);
	default:
		return rnd(r);
	}
}

static void fill_random(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;
	uint64_t v;

	switch (rn(r, 6)) {
	case 0:
		memset(p, 0, n);
		return;
	case 1:
		memset(p, 0xff, n);
		return;
	default:
		break;
	}
	while (n >= 8) {
		v = chance(r, 30) ? bval(r) : rnd(r);
		memcpy(b, &v, 8);
		b += 8;
		n -= 8;
	}
	while (n--)
		*b++ = (uint8_t)rnd(r);
}

/* ------------------------------------------------------------------ */
/* operations, their statistics                                       */

enum fdk { F_SYS, F_VM, F_VCPU, F_ANY, F_NONE };

enum gen {
	G_NONE, G_INT, G_CAP, G_VCPUID, G_MEMREG, G_DIRTYLOG, G_CLEARLOG,
	G_CPUID_OUT, G_CPUID2, G_CPUID1, G_MSRLIST, G_MSRS, G_REGS, G_SREGS,
	G_FPU, G_XSAVE, G_XCRS, G_EVENTS, G_DEBUGREGS, G_MPSTATE, G_INTERRUPT,
	G_SIGMASK, G_OUT, G_BLOB, G_U64PTR, G_ENABLECAP, G_RUN, G_TSS,
	G_IRQLEVEL, G_IRQFD, G_IOEVENTFD, G_IRQCHIP, G_LAPIC, G_GSIROUTING, G_MSI,
};

struct worker;
struct op;
typedef void (*op_fn)(struct worker *w, const struct op *op);

struct op {
	const char *name;
	int weight;
	op_fn fn;
	unsigned long req;
	enum fdk fdk;
	enum gen gen;
	int ret0;		/* success returns exactly 0 */
};

static void op_ioctl(struct worker *w, const struct op *op);

#define IOC(n, fdk, gen, wt, r0) { #n, wt, op_ioctl, n, fdk, gen, r0 }

/* forward declarations of the special operations */
static void op_random_ioctl(struct worker *w, const struct op *op);
static void op_open(struct worker *w, const struct op *op);
static void op_close(struct worker *w, const struct op *op);
static void op_dup(struct worker *w, const struct op *op);
static void op_closed_ioctl(struct worker *w, const struct op *op);
static void op_mmap_vcpu(struct worker *w, const struct op *op);
static void op_munmap_extra(struct worker *w, const struct op *op);
static void op_run_unmap(struct worker *w, const struct op *op);
static void op_run_poke(struct worker *w, const struct op *op);
static void op_arena_fill(struct worker *w, const struct op *op);
static void op_arena_prog(struct worker *w, const struct op *op);
static void op_arena_mprotect(struct worker *w, const struct op *op);
static void op_arena_madvise(struct worker *w, const struct op *op);
static void op_arena_remap(struct worker *w, const struct op *op);
static void op_arena_hole(struct worker *w, const struct op *op);
static void op_memfd_trunc(struct worker *w, const struct op *op);
static void op_slot_move(struct worker *w, const struct op *op);
static void op_guest_run(struct worker *w, const struct op *op);
static void op_pool_run(struct worker *w, const struct op *op);
static void op_roundtrip(struct worker *w, const struct op *op);
static void op_fork(struct worker *w, const struct op *op);
static void op_yield(struct worker *w, const struct op *op);
static void op_eventfd_signal(struct worker *w, const struct op *op);
static void op_eventfd_recycle(struct worker *w, const struct op *op);
static void op_sync_regs(struct worker *w, const struct op *op);
static void op_irqfd_race(struct worker *w, const struct op *op);

#define SPECIAL(n, fn, wt) { n, wt, fn, 0, F_NONE, G_NONE, 0 }

static struct op ops[] = {
	/* system fd */
	IOC(KVM_GET_API_VERSION, F_SYS, G_NONE, 4, 0),
	IOC(KVM_CREATE_VM, F_SYS, G_INT, 14, 0),
	IOC(KVM_GET_MSR_INDEX_LIST, F_SYS, G_MSRLIST, 4, 1),
	IOC(KVM_GET_MSR_FEATURE_INDEX_LIST, F_SYS, G_MSRLIST, 2, 1),
	IOC(KVM_CHECK_EXTENSION, F_ANY, G_CAP, 6, 0),
	IOC(KVM_GET_VCPU_MMAP_SIZE, F_SYS, G_NONE, 3, 0),
	IOC(KVM_GET_SUPPORTED_CPUID, F_SYS, G_CPUID_OUT, 4, 1),
	IOC(KVM_GET_EMULATED_CPUID, F_SYS, G_CPUID_OUT, 2, 1),
	IOC(KVM_X86_GET_MCE_CAP_SUPPORTED, F_SYS, G_OUT, 1, 1),
	IOC(KVM_GET_SUPPORTED_HV_CPUID, F_ANY, G_CPUID_OUT, 1, 1),
	IOC(KVM_S390_ENABLE_SIE, F_SYS, G_NONE, 1, 1),
	/* VM fd */
	IOC(KVM_CREATE_VCPU, F_VM, G_VCPUID, 14, 0),
	IOC(KVM_SET_USER_MEMORY_REGION, F_VM, G_MEMREG, 24, 1),
	IOC(KVM_SET_MEMORY_REGION, F_VM, G_BLOB, 1, 1),
	IOC(KVM_GET_DIRTY_LOG, F_VM, G_DIRTYLOG, 6, 1),
	IOC(KVM_CLEAR_DIRTY_LOG, F_VM, G_CLEARLOG, 4, 1),
	IOC(KVM_SET_TSS_ADDR, F_VM, G_TSS, 3, 1),
	IOC(KVM_SET_IDENTITY_MAP_ADDR, F_VM, G_U64PTR, 3, 1),
	IOC(KVM_SET_NR_MMU_PAGES, F_VM, G_INT, 1, 1),
	IOC(KVM_GET_NR_MMU_PAGES, F_VM, G_NONE, 1, 0),
	IOC(KVM_CREATE_IRQCHIP, F_VM, G_NONE, 4, 1),
	IOC(KVM_IRQ_LINE, F_VM, G_IRQLEVEL, 5, 1),
	IOC(KVM_IRQ_LINE_STATUS, F_VM, G_IRQLEVEL, 4, 1),
	IOC(KVM_GET_IRQCHIP, F_VM, G_IRQCHIP, 2, 1),
	IOC(KVM_SET_IRQCHIP, F_VM, G_IRQCHIP, 4, 1),
	IOC(KVM_CREATE_PIT, F_VM, G_NONE, 1, 1),
	IOC(KVM_CREATE_PIT2, F_VM, G_BLOB, 1, 1),
	IOC(KVM_GET_PIT, F_VM, G_OUT, 1, 1),
	IOC(KVM_SET_PIT, F_VM, G_BLOB, 1, 1),
	IOC(KVM_GET_PIT2, F_VM, G_OUT, 1, 1),
	IOC(KVM_SET_PIT2, F_VM, G_BLOB, 1, 1),
	IOC(KVM_SET_GSI_ROUTING, F_VM, G_GSIROUTING, 2, 1),
	IOC(KVM_IRQFD, F_VM, G_IRQFD, 6, 1),
	IOC(KVM_IOEVENTFD, F_VM, G_IOEVENTFD, 6, 1),
	IOC(KVM_REINJECT_CONTROL, F_VM, G_BLOB, 1, 1),
	IOC(KVM_SET_BOOT_CPU_ID, F_VM, G_INT, 1, 1),
	IOC(KVM_XEN_HVM_CONFIG, F_VM, G_BLOB, 1, 1),
	IOC(KVM_SET_CLOCK, F_VM, G_BLOB, 1, 1),
	IOC(KVM_GET_CLOCK, F_VM, G_OUT, 1, 1),
	IOC(KVM_SIGNAL_MSI, F_VM, G_MSI, 2, 0),
	IOC(KVM_SET_TSC_KHZ, F_ANY, G_INT, 1, 1),
	IOC(KVM_GET_TSC_KHZ, F_VCPU, G_NONE, 1, 0),
	IOC(KVM_CREATE_DEVICE, F_VM, G_BLOB, 1, 1),
	IOC(KVM_SET_DEVICE_ATTR, F_ANY, G_BLOB, 1, 1),
	IOC(KVM_GET_DEVICE_ATTR, F_ANY, G_BLOB, 1, 1),
	IOC(KVM_HAS_DEVICE_ATTR, F_ANY, G_BLOB, 1, 1),
	IOC(KVM_ENABLE_CAP, F_ANY, G_ENABLECAP, 5, 0),
	IOC(KVM_SET_PMU_EVENT_FILTER, F_VM, G_BLOB, 1, 1),
	IOC(KVM_MEMORY_ENCRYPT_OP, F_VM, G_BLOB, 1, 0),
	IOC(KVM_MEMORY_ENCRYPT_REG_REGION, F_VM, G_BLOB, 1, 1),
	IOC(KVM_MEMORY_ENCRYPT_UNREG_REGION, F_VM, G_BLOB, 1, 1),
	IOC(KVM_HYPERV_EVENTFD, F_VM, G_BLOB, 1, 1),
	IOC(KVM_X86_SET_MSR_FILTER, F_VM, G_BLOB, 1, 1),
	IOC(KVM_RESET_DIRTY_RINGS, F_VM, G_NONE, 1, 0),
	IOC(KVM_XEN_HVM_GET_ATTR, F_VM, G_BLOB, 1, 1),
	IOC(KVM_XEN_HVM_SET_ATTR, F_VM, G_BLOB, 1, 1),
	IOC(KVM_XEN_HVM_EVTCHN_SEND, F_VM, G_BLOB, 1, 1),
	IOC(KVM_GET_STATS_FD, F_ANY, G_NONE, 1, 0),
	IOC(KVM_REGISTER_COALESCED_MMIO, F_VM, G_BLOB, 1, 1),
	IOC(KVM_UNREGISTER_COALESCED_MMIO, F_VM, G_BLOB, 1, 1),
	IOC(KVM_SET_MEMORY_ALIAS, F_VM, G_BLOB, 1, 1),
	IOC(KVM_PPC_GET_PVINFO, F_VM, G_OUT, 1, 1),
	IOC(KVM_S390_UCAS_MAP, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_ARM_SET_DEVICE_ADDR, F_VM, G_BLOB, 1, 1),
	/* vCPU fd */
	IOC(KVM_RUN, F_VCPU, G_RUN, 10, 1),
	IOC(KVM_GET_REGS, F_VCPU, G_OUT, 5, 1),
	IOC(KVM_SET_REGS, F_VCPU, G_REGS, 8, 1),
	IOC(KVM_GET_SREGS, F_VCPU, G_OUT, 5, 1),
	IOC(KVM_SET_SREGS, F_VCPU, G_SREGS, 10, 1),
	IOC(KVM_GET_SREGS2, F_VCPU, G_OUT, 1, 1),
	IOC(KVM_SET_SREGS2, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_TRANSLATE, F_VCPU, G_BLOB, 2, 1),
	IOC(KVM_INTERRUPT, F_VCPU, G_INTERRUPT, 4, 1),
	IOC(KVM_GET_MSRS, F_ANY, G_MSRS, 6, 0),
	IOC(KVM_SET_MSRS, F_VCPU, G_MSRS, 8, 0),
	IOC(KVM_SET_CPUID, F_VCPU, G_CPUID1, 2, 1),
	IOC(KVM_SET_CPUID2, F_VCPU, G_CPUID2, 8, 1),
	IOC(KVM_GET_CPUID2, F_VCPU, G_CPUID_OUT, 3, 1),
	IOC(KVM_SET_SIGNAL_MASK, F_VCPU, G_SIGMASK, 4, 1),
	IOC(KVM_GET_FPU, F_VCPU, G_OUT, 3, 1),
	IOC(KVM_SET_FPU, F_VCPU, G_FPU, 5, 1),
	IOC(KVM_GET_LAPIC, F_VCPU, G_OUT, 2, 1),
	IOC(KVM_SET_LAPIC, F_VCPU, G_LAPIC, 5, 1),
	IOC(KVM_TPR_ACCESS_REPORTING, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_SET_VAPIC_ADDR, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_GET_MP_STATE, F_VCPU, G_OUT, 2, 1),
	IOC(KVM_SET_MP_STATE, F_VCPU, G_MPSTATE, 3, 1),
	IOC(KVM_NMI, F_VCPU, G_NONE, 3, 1),
	IOC(KVM_SET_GUEST_DEBUG, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_X86_SETUP_MCE, F_VCPU, G_U64PTR, 1, 1),
	IOC(KVM_X86_SET_MCE, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_GET_VCPU_EVENTS, F_VCPU, G_OUT, 3, 1),
	IOC(KVM_SET_VCPU_EVENTS, F_VCPU, G_EVENTS, 7, 1),
	IOC(KVM_GET_DEBUGREGS, F_VCPU, G_OUT, 2, 1),
	IOC(KVM_SET_DEBUGREGS, F_VCPU, G_DEBUGREGS, 4, 1),
	IOC(KVM_GET_XSAVE, F_VCPU, G_OUT, 3, 1),
	IOC(KVM_SET_XSAVE, F_VCPU, G_XSAVE, 5, 1),
	IOC(KVM_GET_XSAVE2, F_VCPU, G_OUT, 1, 1),
	IOC(KVM_GET_XCRS, F_VCPU, G_OUT, 2, 1),
	IOC(KVM_SET_XCRS, F_VCPU, G_XCRS, 4, 1),
	IOC(KVM_KVMCLOCK_CTRL, F_VCPU, G_NONE, 1, 1),
	IOC(KVM_SMI, F_VCPU, G_NONE, 1, 1),
	IOC(KVM_GET_NESTED_STATE, F_VCPU, G_BLOB, 1, 0),
	IOC(KVM_SET_NESTED_STATE, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_GET_ONE_REG, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_SET_ONE_REG, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_GET_REG_LIST, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_XEN_VCPU_GET_ATTR, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_XEN_VCPU_SET_ATTR, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_DIRTY_TLB, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_S390_INTERRUPT, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_S390_MEM_OP, F_VCPU, G_BLOB, 1, 0),
	IOC(KVM_S390_IRQ, F_VCPU, G_BLOB, 1, 1),
	IOC(KVM_S390_PV_COMMAND, F_VM, G_BLOB, 1, 1),
	IOC(KVM_ARM_VCPU_FINALIZE, F_VCPU, G_INT, 1, 1),
	/* everything else */
	SPECIAL("random-ioctl", op_random_ioctl, 10),
	SPECIAL("open-device", op_open, 3),
	SPECIAL("close", op_close, 9),
	SPECIAL("dup", op_dup, 2),
	SPECIAL("closed-fd-ioctl", op_closed_ioctl, 4),
	SPECIAL("mmap-vcpu", op_mmap_vcpu, 4),
	SPECIAL("munmap-extra", op_munmap_extra, 2),
	SPECIAL("run-unmap-remap", op_run_unmap, 2),
	SPECIAL("run-poke", op_run_poke, 4),
	SPECIAL("arena-fill", op_arena_fill, 3),
	SPECIAL("arena-program", op_arena_prog, 3),
	SPECIAL("arena-mprotect", op_arena_mprotect, 3),
	SPECIAL("arena-madvise", op_arena_madvise, 4),
	SPECIAL("arena-remap", op_arena_remap, 2),
	SPECIAL("arena-hole", op_arena_hole, 2),
	SPECIAL("memfd-truncate", op_memfd_trunc, 1),
	SPECIAL("slot-move-delete", op_slot_move, 6),
	SPECIAL("guest-run", op_guest_run, 6),
	SPECIAL("pool-run", op_pool_run, 6),
	SPECIAL("roundtrip-check", op_roundtrip, 2),
	SPECIAL("fork-child", op_fork, 1),
	SPECIAL("yield", op_yield, 1),
	SPECIAL("eventfd-signal", op_eventfd_signal, 3),
	SPECIAL("eventfd-recycle", op_eventfd_recycle, 1),
	SPECIAL("sync-regs-poke", op_sync_regs, 4),
	SPECIAL("irqfd-teardown-race", op_irqfd_race, 3),
};

#define NOPS ((int)(sizeof(ops) / sizeof(ops[0])))

/* exit reasons seen by the runners (KVM_EXIT_*, 64 = other) */
#define NEXIT 65

/* ------------------------------------------------------------------ */
/* workers                                                            */

struct ringent {
	uint64_t ns;
	char txt[160];
};

struct extra_map {
	char *p;
	size_t len;
};

struct worker {
	int idx;
	pid_t tid;
	pthread_t th;
	struct rng rng;			/* this operation's: reseeded from seq for each */
	struct rng seq;			/* the thread's sequence of operations */
	uint64_t nops;
	char *scr;			/* SCR_PAGES: 15 rw, ro, none, rw, none, rw */
	timer_t timer;
	int has_timer;
	sigjmp_buf jb;
	volatile sig_atomic_t in_guard;
	struct ringent ring[RING];
	atomic_uint ring_n;
	_Atomic uint64_t op_start;	/* 0 when idle */
	_Atomic int cur_op;
	uint64_t cnt[NOPS];
	uint32_t err[NOPS][NERR];
	uint64_t exits[NEXIT];
	struct extra_map maps[4];
	char *priv;			/* private runner memory (memfd, shared) */
	int privfd;
	char *privrun;			/* private vCPU's kvm_run */
	int efd[2];			/* eventfds for irqfd/ioeventfd, at 1500+ */
	int done;
};

static struct worker *workers;
static __thread struct worker *tw;

static void note(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct worker *w, const char *fmt, ...)
{
	unsigned n = atomic_fetch_add(&w->ring_n, 1);
	struct ringent *e = &w->ring[n % RING];
	va_list ap;

	e->ns = now_ns();
	va_start(ap, fmt);
	vsnprintf(e->txt, sizeof(e->txt), fmt, ap);
	va_end(ap);
	if (opt_verbose) {
		char line[256];
		int len = snprintf(line, sizeof(line), "T%d #%" PRIu64 " %s\n",
				   w->idx, w->nops, e->txt);

		if (len > (int)sizeof(line))
			len = sizeof(line);
		if (write(2, line, len) < 0)
			(void)0;
	}
}

static void result(struct worker *w, int opi, long ret, int err)
{
	int b = ret >= 0 ? 0 : (err > 0 && err < NERR - 1 ? err : NERR - 1);

	w->cnt[opi]++;
	w->err[opi][b]++;
	if (opt_verbose > 1) {
		char line[96];
		int len = snprintf(line, sizeof(line), "T%d    -> %ld%s%s\n", w->idx,
				   ret, ret < 0 ? " " : "",
				   ret < 0 ? (strerrorname_np(err) ?: "?") : "");

		if (write(2, line, len) < 0)
			(void)0;
	}
	if (ret < 0 && err >= 512 && err < 530) {
		fprintf(stderr, "INCONSISTENT: %s returned kernel-internal errno %d (T%d)\n",
			ops[opi].name, err, w->idx);
		atomic_fetch_add(&inconsistencies, 1);
	}
}

static void inconsistent(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void inconsistent(struct worker *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "INCONSISTENT (T%d, seed %" PRIu64 "): %s\n", w->idx,
		opt_seed, buf);
	atomic_fetch_add(&inconsistencies, 1);
}

/* ------------------------------------------------------------------ */
/* guarded memory access: faults in our own accesses are expected     */

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	struct worker *w = tw;

	(void)si;
	(void)uc;
	if (w && w->in_guard) {
		w->in_guard = 0;
		siglongjmp(w->jb, sig);
	}
	signal(sig, SIG_DFL);	/* a real crash of the fuzzer: die on return */
}

static void nop_handler(int sig)
{
	(void)sig;
}

/* copy with our own faults caught; returns false if it faulted */
static bool gcopy(struct worker *w, void *dst, const void *src, size_t n)
{
	if (sigsetjmp(w->jb, 1)) {
		w->in_guard = 0;
		return false;
	}
	w->in_guard = 1;
	memcpy(dst, src, n);
	w->in_guard = 0;
	return true;
}

static bool gfill(struct worker *w, void *dst, size_t n)
{
	static __thread uint8_t tmp[4096];
	uint8_t *d = dst;

	while (n) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);

		fill_random(&w->rng, tmp, k);
		if (!gcopy(w, d, tmp, k))
			return false;
		d += k;
		n -= k;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* per-thread run timer: KVM_RUN always returns within ~20 ms         */

static void timer_arm(struct worker *w, int ms)
{
	struct itimerspec it = {
		.it_value = { .tv_sec = 0, .tv_nsec = ms * 1000000l },
		.it_interval = { .tv_sec = 0, .tv_nsec = 20 * 1000000l },
	};

	if (w->has_timer)
		timer_settime(w->timer, 0, &it, NULL);
}

static void timer_disarm(struct worker *w)
{
	struct itimerspec it = { 0 };

	if (w->has_timer)
		timer_settime(w->timer, 0, &it, NULL);
}

static long run_ioctl(struct worker *w, int fd, unsigned long arg)
{
	long r;

	timer_arm(w, 1 + rn(&w->rng, 20));
	r = ioctl(fd, KVM_RUN, arg);
	int e = errno;
	timer_disarm(w);
	errno = e;
	return r;
}

/* ------------------------------------------------------------------ */
/* the fd pool                                                        */

enum kind { K_FREE, K_SYS, K_VM, K_VCPU, K_OTHER, K_CLOSED };
static const char *kind_name[] = { "free", "sys", "vm", "vcpu", "other", "closed" };

struct mslot {
	uint32_t slot, flags;
	uint64_t gpa, size, uaddr;
};

struct ent {
	int kind, was, fd;
	int vm;			/* vCPU: pool index of its VM at creation */
	uint64_t vm_gen;
	uint64_t gen;		/* bumped on every (re)use of the entry */
	char *area;		/* AREA_PAGES reserved for the kvm_run mapping */
	int mapped;		/* bytes mapped at area */
	struct mslot ms[MAX_SHADOW];
	int nms;
};

static struct ent pool[POOL];
static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;
static char *areas;
static uint64_t pool_gen;

#define M(k) (1u << (k))
#define LIVE (M(K_SYS) | M(K_VM) | M(K_VCPU) | M(K_OTHER))

static void area_unmap(struct ent *e)
{
	if (e->mapped)
		mmap(e->area, AREA_PAGES * PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	e->mapped = 0;
}

static void area_map(struct ent *e, size_t len, off_t off)
{
	void *p;

	if (len > AREA_PAGES * PAGE)
		len = AREA_PAGES * PAGE;
	area_unmap(e);
	p = mmap(e->area, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 e->fd, off);
	if (p == MAP_FAILED)
		mmap(e->area, AREA_PAGES * PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	else
		e->mapped = len;
}

/* pick a random entry whose kind is in @mask; returns its index or -1 */
static int pool_pick_locked(struct worker *w, unsigned mask)
{
	int i, n = 0, k;

	for (i = 0; i < POOL; i++)
		if (mask & M(pool[i].kind))
			n++;
	if (!n)
		return -1;
	k = rn(&w->rng, n);
	for (i = 0; i < POOL; i++)
		if ((mask & M(pool[i].kind)) && !k--)
			return i;
	return -1;
}

static int pool_pick(struct worker *w, unsigned mask, int *idx)
{
	int i, fd = -1;

	pthread_mutex_lock(&plock);
	i = pool_pick_locked(w, mask);
	if (i >= 0)
		fd = pool[i].fd;
	pthread_mutex_unlock(&plock);
	if (idx)
		*idx = i;
	return fd;
}

static int pool_count_locked(int kind)
{
	int i, n = 0;

	for (i = 0; i < POOL; i++)
		n += pool[i].kind == kind;
	return n;
}

static void pool_close_locked(int i)
{
	struct ent *e = &pool[i];

	if (!(LIVE & M(e->kind)))
		return;
	area_unmap(e);
	close(e->fd);
	e->was = e->kind;
	e->kind = K_CLOSED;
	e->nms = 0;
}

/* put a new fd in the pool, or close it when the pool or a limit is full */
static int pool_add(struct worker *w, int kind, int fd, int vm_idx)
{
	int i, best = -1;

	pthread_mutex_lock(&plock);
	if ((kind == K_VM && pool_count_locked(K_VM) >= opt_max_vms) ||
	    (kind == K_VCPU && pool_count_locked(K_VCPU) >= opt_max_vcpus) ||
	    (kind == K_SYS && pool_count_locked(K_SYS) >= 4) ||
	    (kind == K_OTHER && pool_count_locked(K_OTHER) >= 8))
		goto full;
	for (i = 0; i < POOL; i++)
		if (pool[i].kind == K_FREE) {
			best = i;
			break;
		}
	if (best < 0) {
		/* recycle a closed entry (its fd number is gone anyway) */
		best = pool_pick_locked(w, M(K_CLOSED));
		if (best < 0)
			goto full;
	}
	pool[best].kind = kind;
	pool[best].fd = fd;
	pool[best].gen = ++pool_gen;
	pool[best].nms = 0;
	pool[best].vm = vm_idx;
	pool[best].vm_gen = vm_idx >= 0 ? pool[vm_idx].gen : 0;
	if (kind == K_VCPU)
		area_map(&pool[best], vcpu_mmap_size, 0);
	pthread_mutex_unlock(&plock);
	return best;
full:
	pthread_mutex_unlock(&plock);
	close(fd);
	return -1;
}

static void shadow_add(int vm, uint64_t gen, const struct kvm_userspace_memory_region *m)
{
	struct ent *e;
	int i;

	if (vm < 0)
		return;
	pthread_mutex_lock(&plock);
	e = &pool[vm];
	if (e->kind != K_VM || e->gen != gen)
		goto out;
	for (i = 0; i < e->nms; i++)
		if (e->ms[i].slot == m->slot)
			break;
	if (!m->memory_size) {
		if (i < e->nms)
			e->ms[i] = e->ms[--e->nms];
		goto out;
	}
	if (i == e->nms) {
		if (e->nms == MAX_SHADOW)
			i = 0;
		else
			e->nms++;
	}
	e->ms[i].slot = m->slot;
	e->ms[i].flags = m->flags;
	e->ms[i].gpa = m->guest_phys_addr;
	e->ms[i].size = m->memory_size;
	e->ms[i].uaddr = m->userspace_addr;
out:
	pthread_mutex_unlock(&plock);
}

/* ------------------------------------------------------------------ */
/* guest memory arenas                                                */

enum { A_ANON, A_SHARED, A_MEMFD, A_THP };

struct arena {
	char *base;
	int type;
	atomic_int truncated;
};

static struct arena arenas[NARENA];

static void arena_map(struct arena *a, size_t off, size_t len)
{
	char *p = a->base + off;

	switch (a->type) {
	case A_MEMFD:
		mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     memfds[a - arenas], off);
		break;
	case A_SHARED:
		mmap(p, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	default:
		mmap(p, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (a->type == A_THP)
			madvise(p, len, MADV_HUGEPAGE);
		break;
	}
}

static int setup_arenas(void)
{
	int i;

	for (i = 0; i < NARENA; i++) {
		struct arena *a = &arenas[i];
		/* 2 MiB aligned, with a guard page on each side */
		char *r = mmap(NULL, ARENA_SZ * 2 + 2 * PAGE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (r == MAP_FAILED)
			return -1;
		a->base = (char *)(((uintptr_t)r + PAGE + ARENA_SZ - 1) & ~(ARENA_SZ - 1));
		a->type = i;
		memfds[i] = -1;
		if (a->type == A_MEMFD) {
			memfds[i] = memfd_create("ioctl-fuzz-arena", 0);
			if (memfds[i] < 0 || ftruncate(memfds[i], ARENA_SZ))
				return -1;
		}
		arena_map(a, 0, ARENA_SZ);
		memset(a->base, 0xf4, ARENA_SZ);	/* HLT everywhere */
	}
	return 0;
}

/* a random page-aligned range inside arena @a */
static void arena_range(struct worker *w, size_t *off, size_t *len)
{
	size_t pages = ARENA_SZ / PAGE, o = rn(&w->rng, pages), n;

	n = chance(&w->rng, 70) ? 1 + rn(&w->rng, 8) : 1 + rn(&w->rng, pages);
	if (o + n > pages)
		n = pages - o;
	*off = o * PAGE;
	*len = n * PAGE;
}

/* ------------------------------------------------------------------ */
/* where an argument goes: valid buffers and every kind of bad pointer */

enum place {
	P_OK, P_NULL, P_SMALL, P_NONE, P_RO, P_STR_RO, P_STR_NONE, P_KERN,
	P_NONCANON, P_RUN, P_ARENA,
};

#define SCR_RW_PAGES 15

/*
 * Copy @size bytes of @data to where the argument will live and return
 * that address; @bad is the percentage of bad placements; @nolive keeps
 * it away from memory other threads write at random (kvm_run, arenas).
 */
enum { PL_ANY, PL_NOLIVE, PL_EXACT };

static void *place(struct worker *w, const void *data, size_t size, int bad,
		   int how, char *desc, size_t dsz)
{
	struct rng *r = &w->rng;
	int p = chance(r, bad) ? 1 + rn(r, P_ARENA) : P_OK;
	char *dst = NULL;
	size_t k;

	/* PL_NOLIVE: never memory other threads fill at random; PL_EXACT:
	   the kernel reads our bytes or faults, nothing else */
	if (how == PL_NOLIVE && (p == P_RUN || p == P_ARENA))
		p = P_STR_RO;
	/* a struct running on into the read-only page is read whole: not exact */
	if (how == PL_EXACT && (p == P_RUN || p == P_ARENA || p == P_RO || p == P_STR_RO))
		p = P_STR_NONE;
	switch (p) {
	case P_OK:
		k = size < SCR_RW_PAGES * PAGE ? SCR_RW_PAGES * PAGE - size : 0;
		k = chance(r, 60) ? 0 : (chance(r, 70) ? rn(r, k / 8 + 1) * 8 : rn(r, k + 1));
		dst = w->scr + k;
		gcopy(w, dst, data, size < SCR_RW_PAGES * PAGE - k ? size : SCR_RW_PAGES * PAGE - k);
		snprintf(desc, dsz, "buf+%zu/%zu", k, size);
		return dst;
	case P_NULL:
		snprintf(desc, dsz, "NULL/%zu", size);
		return NULL;
	case P_SMALL:
		dst = (char *)(uintptr_t)(chance(r, 50) ? rn(r, 4096) : 4096 * (1 + rn(r, 16)));
		break;
	case P_NONE:
		dst = w->scr + 16 * PAGE + rn(r, PAGE);
		break;
	case P_RO:
		dst = w->scr + 15 * PAGE + rn(r, PAGE / 2);
		break;
	case P_STR_RO:
		k = 1 + rn(r, size ? size : 1);
		if (k > PAGE)
			k = PAGE;
		dst = w->scr + 15 * PAGE - k;
		gcopy(w, dst, data, k);
		break;
	case P_STR_NONE:
		k = 1 + rn(r, size ? size : 1);
		if (k > PAGE)
			k = PAGE;
		dst = w->scr + 18 * PAGE - k;
		gcopy(w, dst, data, k);
		break;
	case P_KERN:
		dst = (char *)(uintptr_t)(chance(r, 50) ? 0xffff888000000000ull + rn(r, 1 << 20) * 8 :
					  0xffffffff81000000ull + rn(r, 1 << 20));
		break;
	case P_NONCANON:
		dst = (char *)(uintptr_t)(chance(r, 50) ? 0x8000000000000000ull : 0x0000800000000000ull - rn(r, 16));
		break;
	case P_RUN:
		dst = areas + rn(r, POOL) * AREA_PAGES * PAGE + rn(r, 2 * PAGE);
		gcopy(w, dst, data, size < PAGE ? size : PAGE);
		break;
	case P_ARENA:
		dst = arenas[rn(r, NARENA)].base + rn(r, ARENA_SZ / 8) * 8;
		break;
	}
	snprintf(desc, dsz, "%p[%d]/%zu", (void *)dst, p, size);
	return dst;
}

/* ------------------------------------------------------------------ */
/* argument generators                                                */

static const uint32_t interesting_msrs[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xe7, 0xe8, 0xfe, 0x174, 0x175,
	0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x200, 0x277, 0x2ff, 0x480, 0x48d,
	0x6e0, 0x800, 0x808, 0x830, 0x8ff, 0xc0000080, 0xc0000081, 0xc0000082,
	0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102,
	0xc0000103, 0xc0010000, 0x40000000, 0x40000001, 0x4b564d00,
	0x4b564d01, 0x4b564d02, 0x4b564d03, 0x4b564d04, 0x4b564d05,
	0xffffffff, 0,
};

static uint32_t pick_msr(struct rng *r)
{
	if (msr_list_n && chance(r, 50))
		return msr_list[rn(r, msr_list_n)];
	if (chance(r, 70))
		return interesting_msrs[rn(r, sizeof(interesting_msrs) / 4)];
	return (uint32_t)bval(r);
}

static uint64_t canonical(struct rng *r)
{
	return (uint64_t)((int64_t)(rnd(r) << 16) >> 16);
}

static const uint64_t cr0_bits[] = { 1, 2, 4, 8, 0x10, 0x20, 0x10000, 0x40000,
	0x20000000, 0x40000000, 0x80000000, 1ull << 32, 1ull << 63 };
static const uint64_t cr4_bits[] = { 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x100,
	0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x10000, 0x20000,
	0x40000, 0x100000, 0x200000, 0x400000, 0x800000, 0x1000000, 1ull << 63 };
static const uint64_t efer_bits[] = { 1, 0x100, 0x400, 0x800, 0x1000, 0x2000,
	0x4000, 0x8000, 1ull << 63 };

static uint64_t pick_bits(struct rng *r, const uint64_t *b, int n)
{
	uint64_t v = 0;
	int i, k = rn(r, 5);

	for (i = 0; i < k; i++)
		v |= b[rn(r, n)];
	return v;
}

#define PICK_BITS(r, a) pick_bits(r, a, sizeof(a) / sizeof(a[0]))

static void seg_mutate(struct rng *r, struct kvm_segment *s)
{
	switch (rn(r, 10)) {
	case 0: s->selector = (uint16_t)bval(r); break;
	case 1: s->base = bval(r); break;
	case 2: s->limit = (uint32_t)bval(r); break;
	case 3: s->type = rn(r, 16); break;
	case 4: s->present ^= 1; break;
	case 5: s->dpl = rn(r, 4); break;
	case 6: s->db ^= 1; s->l = rn(r, 2); break;
	case 7: s->g ^= 1; s->s ^= chance(r, 30); break;
	case 8: s->unusable ^= 1; break;
	default: fill_random(r, s, sizeof(*s)); break;
	}
}

static void flat_seg(struct kvm_segment *s, int type, int db, int l)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->db = db;
	s->l = l;
	s->g = 1;
	s->selector = type & 8 ? 8 : 0x10;
}

enum gmode { GM_REAL, GM_PROT32, GM_LONG };

/* a valid register state for mode @m (code at 0x1000, page tables at 0x4000) */
static void mode_sregs(struct kvm_sregs *s, enum gmode m)
{
	int i;
	struct kvm_segment *d[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };

	if (m == GM_REAL) {
		s->cs.selector = 0;
		s->cs.base = 0;
		for (i = 0; i < 5; i++) {
			d[i]->selector = 0;
			d[i]->base = 0;
		}
		s->cr0 &= ~0x80000001ull;
		s->efer = 0;
		s->cr4 = 0;
		return;
	}
	flat_seg(&s->cs, 11, m == GM_PROT32, m == GM_LONG);
	for (i = 0; i < 5; i++)
		flat_seg(d[i], 3, 1, 0);
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = 0x18;
	s->tr.limit = 0x67;
	s->tr.type = 11;
	s->tr.present = 1;
	s->gdt.base = 0x7000;
	s->gdt.limit = 0x1f;
	s->idt.base = 0x7100;
	s->idt.limit = 0;
	if (m == GM_PROT32) {
		s->cr0 = 0x11;
		s->cr4 = 0;
		s->efer = 0;
	} else {
		s->cr0 = 0x80050033;
		s->cr4 = 0x20;
		s->efer = 0x500;
		s->cr3 = 0x4000;
	}
}

static void sregs_mutate(struct rng *r, struct kvm_sregs *s)
{
	int i, k = 1 + rn(r, 3);
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs,
				       &s->ss, &s->tr, &s->ldt };

	for (i = 0; i < k; i++) {
		switch (rn(r, 12)) {
		case 0: s->cr0 = chance(r, 50) ? PICK_BITS(r, cr0_bits) : s->cr0 ^ cr0_bits[rn(r, 13)]; break;
		case 1: s->cr4 = chance(r, 50) ? PICK_BITS(r, cr4_bits) : s->cr4 ^ cr4_bits[rn(r, 24)]; break;
		case 2: s->efer = chance(r, 50) ? PICK_BITS(r, efer_bits) : s->efer ^ efer_bits[rn(r, 9)]; break;
		case 3: s->cr3 = chance(r, 50) ? bval(r) : rn(r, 0x10000) * PAGE; break;
		case 4: s->cr2 = bval(r); s->cr8 = bval(r); break;
		case 5: s->apic_base = chance(r, 50) ? 0xfee00900 ^ (1ull << rn(r, 64)) : bval(r); break;
		case 6: case 7: seg_mutate(r, segs[rn(r, 8)]); break;
		case 8: s->gdt.base = bval(r); s->gdt.limit = (uint16_t)bval(r); break;
		case 9: s->idt.base = bval(r); s->idt.limit = (uint16_t)bval(r); break;
		case 10: s->interrupt_bitmap[rn(r, 4)] = chance(r, 50) ? 1ull << rn(r, 64) : rnd(r); break;
		default: mode_sregs(s, rn(r, 3)); break;
		}
	}
}

/* the number of cpuid entries a buffer of @bytes holds */
static void put_cpuid(struct rng *r, struct kvm_cpuid2 *c, int max)
{
	int i, n = supported_cpuid ? (int)supported_cpuid->nent : 0;

	if (n && chance(r, 70)) {
		if (n > max)
			n = max;
		memcpy(c->entries, supported_cpuid->entries, n * sizeof(c->entries[0]));
		c->nent = n;
		/* mutate a few entries */
		for (i = rn(r, 4); i > 0; i--) {
			struct kvm_cpuid_entry2 *e = &c->entries[rn(r, n)];

			switch (rn(r, 6)) {
			case 0: e->function = (uint32_t)bval(r); break;
			case 1: e->eax = (uint32_t)bval(r); break;
			case 2: e->ecx ^= 1u << rn(r, 32); break;
			case 3: e->edx ^= 1u << rn(r, 32); break;
			case 4: e->flags = (uint32_t)bval(r); break;
			default: e->ebx = (uint32_t)rnd(r); break;
			}
		}
		if (chance(r, 10))
			c->nent = rn(r, n + 1);
	} else {
		n = rn(r, max < 12 ? max : 12);
		fill_random(r, c->entries, n * sizeof(c->entries[0]));
		c->nent = n;
	}
	if (chance(r, 8))
		c->nent = (uint32_t)bval(r);
}

static void fetch(int fd, unsigned long req, void *buf)
{
	if (ioctl(fd, req, buf) < 0)
		memset(buf, 0, _IOC_SIZE(req));
}

struct genres {
	unsigned long arg;
	uint64_t aux;		/* nmsrs, ... */
	int vm_slot;		/* for memslot shadows */
	struct kvm_userspace_memory_region mr;
	char desc[128];
};

static unsigned long gen_arg(struct worker *w, enum gen g, unsigned long req,
			     int fd, struct genres *gr)
{
	struct rng *r = &w->rng;
	uint8_t *b = (uint8_t *)w->scr + 19 * PAGE;	/* never used as the argument itself */
	static __thread uint8_t big[SCR_RW_PAGES * PAGE];
	size_t size = _IOC_SIZE(req);
	int i, n;
	char *d = gr->desc;
	size_t dsz = sizeof(gr->desc);

	(void)b;
	gr->aux = 0;
	switch (g) {
	case G_NONE:
	case G_RUN:
		gr->arg = chance(r, 92) ? 0 : bval(r);
		snprintf(d, dsz, "arg=%#lx", gr->arg);
		return gr->arg;
	case G_INT:
		if (req == KVM_CREATE_VM)	/* mostly a VM that gets made */
			gr->arg = chance(r, 75) ? 0 : bval(r);
		else
			gr->arg = chance(r, 40) ? rn(r, 4) : bval(r);
		snprintf(d, dsz, "arg=%#lx", gr->arg);
		return gr->arg;
	case G_TSS:
		gr->arg = chance(r, 40) ? 0xfffbd000 : bval(r);
		snprintf(d, dsz, "arg=%#lx", gr->arg);
		return gr->arg;
	case G_CAP:
		gr->arg = chance(r, 70) ? rn(r, 240) : bval(r);
		snprintf(d, dsz, "cap=%#lx", gr->arg);
		return gr->arg;
	case G_VCPUID:
		gr->arg = chance(r, 60) ? rn(r, 8) : chance(r, 60) ? rn(r, 1100) : bval(r);
		snprintf(d, dsz, "id=%#lx", gr->arg);
		return gr->arg;
	case G_MEMREG: {
		struct kvm_userspace_memory_region *m = &gr->mr;
		int u = rn(r, 20);

		m->slot = chance(r, 75) ? rn(r, 12) : chance(r, 50) ? 500 + rn(r, 20) : (uint32_t)bval(r);
		if (chance(r, 3))
			m->slot |= 1u << 16;
		i = rn(r, 20);
		m->flags = i < 10 ? 0 : i < 14 ? KVM_MEM_LOG_DIRTY_PAGES : i < 17 ? KVM_MEM_READONLY :
			   i < 18 ? 3 : (uint32_t)bval(r);
		i = rn(r, 20);
		m->memory_size = i < 3 ? 0 : i < 15 ? (1 + rn(r, 64)) * PAGE :
				 i < 17 ? (1 + rn(r, 512)) * PAGE : bval(r);
		i = rn(r, 20);
		m->guest_phys_addr = i < 10 ? rn(r, 0x10000) * PAGE : i < 15 ? rn(r, 64) * PAGE :
				     i < 17 ? bvals[rn(r, sizeof(bvals) / 8)] & ~0xfffull : bval(r);
		if (u < 13)
			m->userspace_addr = (uintptr_t)arenas[rn(r, NARENA)].base + rn(r, ARENA_SZ / PAGE) * PAGE;
		else if (u == 13)
			m->userspace_addr = (uintptr_t)arenas[rn(r, NARENA)].base + rn(r, ARENA_SZ);
		else if (u == 14)
			m->userspace_addr = (uintptr_t)areas + rn(r, POOL * AREA_PAGES) * PAGE;
		else if (u == 15)
			m->userspace_addr = (uintptr_t)w->scr + (15 + rn(r, 4)) * PAGE;
		else if (u == 16)
			m->userspace_addr = (uintptr_t)w->priv + rn(r, PRIV_SZ / PAGE) * PAGE;
		else if (u == 17)
			m->userspace_addr = chance(r, 50) ? 0 : 0xffff888000000000ull;
		else
			m->userspace_addr = bval(r);
		gr->arg = (uintptr_t)place(w, m, sizeof(*m), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " slot=%#x fl=%#x gpa=%#llx size=%#llx ua=%#llx", m->slot,
			 m->flags, (unsigned long long)m->guest_phys_addr,
			 (unsigned long long)m->memory_size, (unsigned long long)m->userspace_addr);
		return gr->arg;
	}
	case G_DIRTYLOG: {
		struct kvm_dirty_log l = { 0 };
		char dd[64];

		l.slot = chance(r, 80) ? rn(r, 12) : (uint32_t)bval(r);
		l.dirty_bitmap = place(w, big, 64 + rn(r, 4096), 25, PL_ANY, dd, sizeof(dd));
		gr->arg = (uintptr_t)place(w, &l, sizeof(l), 5, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " slot=%#x bitmap=%s", l.slot, dd);
		return gr->arg;
	}
	case G_CLEARLOG: {
		struct kvm_clear_dirty_log l;

		fill_random(r, &l, sizeof(l));
		l.slot = chance(r, 90) ? rn(r, 12) : (uint32_t)bval(r);
		l.first_page = chance(r, 70) ? rn(r, 8) * 64 : bval(r);
		l.num_pages = chance(r, 70) ? 64 * (1 + rn(r, 4)) : (uint32_t)bval(r);
		fill_random(r, big, 512);
		l.dirty_bitmap = chance(r, 80) ? place(w, big, 512, 15, PL_ANY, d, dsz) :
				 (void *)(uintptr_t)bval(r);
		gr->arg = (uintptr_t)place(w, &l, sizeof(l), 5, PL_ANY, d, dsz);
		return gr->arg;
	}
	case G_CPUID_OUT: {
		struct kvm_cpuid2 *c = (void *)big;
		uint32_t nent = chance(r, 40) ? 256 : chance(r, 40) ? rn(r, 100) : (uint32_t)bval(r);
		size_t sz = 8 + (nent < 300 ? nent : 300) * sizeof(c->entries[0]);

		memset(big, 0, sz);
		c->nent = nent;
		gr->arg = (uintptr_t)place(w, c, sz, 12, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nent=%u", nent);
		return gr->arg;
	}
	case G_CPUID2: {
		struct kvm_cpuid2 *c = (void *)big;
		uint32_t nent;

		put_cpuid(r, c, 300);
		nent = c->nent;
		gr->arg = (uintptr_t)place(w, c, 8 + (nent < 300 ? nent : 300) * sizeof(c->entries[0]),
					   8, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nent=%u", nent);
		return gr->arg;
	}
	case G_CPUID1: {
		struct kvm_cpuid *c = (void *)big;
		uint32_t nent = chance(r, 80) ? rn(r, 40) : (uint32_t)bval(r);

		fill_random(r, big, 8 + 24 * 40);
		c->nent = nent;
		gr->arg = (uintptr_t)place(w, c, 8 + 24 * (nent < 40 ? nent : 40), 8, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nent=%u", nent);
		return gr->arg;
	}
	case G_MSRLIST: {
		struct kvm_msr_list *l = (void *)big;
		uint32_t nm = chance(r, 50) ? 512 : chance(r, 50) ? rn(r, 40) : (uint32_t)bval(r);

		memset(big, 0, 4 + 4 * 2048);
		l->nmsrs = nm;
		gr->arg = (uintptr_t)place(w, l, 4 + 4 * (nm < 2048 ? nm : 2048), 12, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nmsrs=%u", nm);
		return gr->arg;
	}
	case G_MSRS: {
		struct kvm_msrs *m = (void *)big;
		uint32_t nm = chance(r, 75) ? 1 + rn(r, 8) : chance(r, 40) ? 0 :
			      chance(r, 50) ? 254 + rn(r, 4) : (uint32_t)bval(r);
		uint32_t k = nm < 300 ? nm : 300;

		m->nmsrs = nm;
		m->pad = chance(r, 90) ? 0 : (uint32_t)rnd(r);
		for (i = 0; i < (int)k; i++) {
			m->entries[i].index = pick_msr(r);
			m->entries[i].reserved = 0;
			m->entries[i].data = chance(r, 40) ? canonical(r) : bval(r);
		}
		gr->aux = nm;
		gr->arg = (uintptr_t)place(w, m, 8 + 16 * k, 8, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nmsrs=%u first=%#x=%#llx", nm, k ? m->entries[0].index : 0,
			 k ? (unsigned long long)m->entries[0].data : 0ull);
		return gr->arg;
	}
	case G_REGS: {
		struct kvm_regs x;

		if (chance(r, 50)) {
			fetch(fd, KVM_GET_REGS, &x);
			for (i = 1 + rn(r, 3); i > 0; i--)
				((uint64_t *)&x)[rn(r, sizeof(x) / 8)] = bval(r);
		} else {
			fill_random(r, &x, sizeof(x));
		}
		if (chance(r, 50))
			x.rflags = 2 | (rnd(r) & 0x3f7fd5);
		gr->arg = (uintptr_t)place(w, &x, sizeof(x), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " rip=%#llx rfl=%#llx", (unsigned long long)x.rip,
			 (unsigned long long)x.rflags);
		return gr->arg;
	}
	case G_SREGS: {
		struct kvm_sregs s;

		if (chance(r, 75)) {
			fetch(fd, KVM_GET_SREGS, &s);
			sregs_mutate(r, &s);
		} else {
			fill_random(r, &s, sizeof(s));
		}
		gr->arg = (uintptr_t)place(w, &s, sizeof(s), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " cr0=%#llx cr4=%#llx efer=%#llx cs.l=%d", (unsigned long long)s.cr0,
			 (unsigned long long)s.cr4, (unsigned long long)s.efer, s.cs.l);
		return gr->arg;
	}
	case G_FPU: {
		struct kvm_fpu f;

		if (chance(r, 50))
			fetch(fd, KVM_GET_FPU, &f);
		else
			fill_random(r, &f, sizeof(f));
		i = rn(r, 4);
		f.mxcsr = i == 0 ? 0x1f80 : i == 1 ? (uint32_t)bval(r) : i == 2 ? f.mxcsr : (uint32_t)rnd(r);
		if (avoid_fpu_mxcsr)
			f.mxcsr &= 0xffbf;	/* no reserved MXCSR bits */
		gr->arg = (uintptr_t)place(w, &f, sizeof(f), 6, avoid_fpu_mxcsr ? PL_EXACT : PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " fcw=%#x mxcsr=%#x", f.fcw, f.mxcsr);
		return gr->arg;
	}
	case G_XSAVE: {
		struct kvm_xsave *x = (void *)big;
		uint64_t *hdr = (uint64_t *)((char *)x + 512);

		memset(big, 0, sizeof(*x));
		if (chance(r, 60))
			fetch(fd, KVM_GET_XSAVE, x);
		else
			fill_random(r, x, sizeof(*x));
		switch (rn(r, 6)) {
		case 0: hdr[0] = bval(r); break;		/* XSTATE_BV */
		case 1: hdr[1] = bval(r) | (chance(r, 50) ? 1ull << 63 : 0); break;	/* XCOMP_BV */
		case 2: memcpy((char *)x + 24, &(uint32_t){ (uint32_t)bval(r) }, 4); break;	/* MXCSR */
		case 3: hdr[2 + rn(r, 6)] = rnd(r); break;	/* reserved header bytes */
		default: break;
		}
		gr->arg = (uintptr_t)place(w, x, sizeof(*x), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " xstate_bv=%#llx xcomp_bv=%#llx", (unsigned long long)hdr[0],
			 (unsigned long long)hdr[1]);
		return gr->arg;
	}
	case G_XCRS: {
		struct kvm_xcrs x;

		memset(&x, 0, sizeof(x));
		x.nr_xcrs = chance(r, 70) ? 1 : chance(r, 50) ? rn(r, 18) : (uint32_t)bval(r);
		x.flags = chance(r, 90) ? 0 : (uint32_t)bval(r);
		for (i = 0; i < KVM_MAX_XCRS; i++) {
			x.xcrs[i].xcr = chance(r, 80) ? 0 : (uint32_t)bval(r);
			x.xcrs[i].value = chance(r, 60) ? (1 | (rn(r, 8) << 1)) : bval(r);
		}
		gr->arg = (uintptr_t)place(w, &x, sizeof(x), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nr=%u xcr0=%#llx", x.nr_xcrs, (unsigned long long)x.xcrs[0].value);
		return gr->arg;
	}
	case G_EVENTS: {
		struct kvm_vcpu_events e;

		if (chance(r, 40)) {
			fetch(fd, KVM_GET_VCPU_EVENTS, &e);
		} else {
			memset(&e, 0, sizeof(e));
			if (chance(r, 10))
				fill_random(r, &e, sizeof(e));
		}
		for (i = 1 + rn(r, 3); i > 0; i--) {
			switch (rn(r, 8)) {
			case 0:
				e.exception.injected = rn(r, 2);
				e.exception.nr = chance(r, 80) ? rn(r, 32) : (uint8_t)rnd(r);
				e.exception.has_error_code = rn(r, 2);
				e.exception.error_code = (uint32_t)bval(r);
				break;
			case 1:
				e.interrupt.injected = rn(r, 2);
				e.interrupt.nr = (uint8_t)rnd(r);
				e.interrupt.soft = rn(r, 2);
				break;
			case 2: e.interrupt.shadow = rn(r, 4); break;
			case 3:
				e.nmi.injected = rn(r, 2);
				e.nmi.pending = rn(r, 2);
				e.nmi.masked = rn(r, 2);
				break;
			case 4: e.flags = chance(r, 70) ? rn(r, 32) : (uint32_t)bval(r); break;
			case 5: e.smi.smm = rn(r, 2); e.smi.pending = rn(r, 2); break;
			case 6: e.sipi_vector = (uint32_t)bval(r); e.exception_has_payload = rn(r, 2);
				e.exception_payload = bval(r); break;
			default: e.exception.pending = rn(r, 2); break;
			}
		}
		gr->arg = (uintptr_t)place(w, &e, sizeof(e), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " exc=%d/%u/%d irq=%d/%u nmi=%d%d%d fl=%#x", e.exception.injected,
			 e.exception.nr, e.exception.has_error_code, e.interrupt.injected,
			 e.interrupt.nr, e.nmi.injected, e.nmi.pending, e.nmi.masked, e.flags);
		return gr->arg;
	}
	case G_DEBUGREGS: {
		struct kvm_debugregs x;

		memset(&x, 0, sizeof(x));
		for (i = 0; i < 4; i++)
			x.db[i] = chance(r, 50) ? canonical(r) : bval(r);
		x.dr6 = chance(r, 60) ? 0xffff0ff0 | (rnd(r) & 0xf00f) : bval(r);
		x.dr7 = chance(r, 60) ? 0x400 | (rnd(r) & 0xffff2bff) : bval(r);
		x.flags = chance(r, 90) ? 0 : (uint32_t)bval(r);
		gr->arg = (uintptr_t)place(w, &x, sizeof(x), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " dr6=%#llx dr7=%#llx", (unsigned long long)x.dr6,
			 (unsigned long long)x.dr7);
		return gr->arg;
	}
	case G_MPSTATE: {
		struct kvm_mp_state m = { chance(r, 80) ? rn(r, 12) : (uint32_t)bval(r) };

		gr->arg = (uintptr_t)place(w, &m, sizeof(m), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " mp=%u", m.mp_state);
		return gr->arg;
	}
	case G_INTERRUPT: {
		struct kvm_interrupt x = { chance(r, 80) ? rn(r, 256) : (uint32_t)bval(r) };

		gr->arg = (uintptr_t)place(w, &x, sizeof(x), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " irq=%u", x.irq);
		return gr->arg;
	}
	case G_SIGMASK: {
		struct kvm_signal_mask *m = (void *)big;
		uint64_t set;

		if (chance(r, 10)) {
			snprintf(d, dsz, "NULL (unset)");
			return gr->arg = 0;
		}
		m->len = chance(r, 75) ? 8 : (uint32_t)bval(r);
		fill_random(r, m->sigset, 128);
		/* never block the run timer's signal: KVM_RUN must stay bounded */
		for (i = 0; i < 128; i += 8) {
			memcpy(&set, m->sigset + i, 8);
			set &= ~(1ull << (SIGUSR1 - 1));
			memcpy(m->sigset + i, &set, 8);
		}
		memcpy(&set, m->sigset, 8);
		gr->arg = (uintptr_t)place(w, m, 4 + 128, 8, PL_NOLIVE, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " len=%u set=%#llx", m->len, (unsigned long long)set);
		return gr->arg;
	}
	case G_U64PTR: {
		uint64_t v = chance(r, 40) ? 0xfffbc000 : bval(r);

		gr->arg = (uintptr_t)place(w, &v, 8, 8, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " val=%#llx", (unsigned long long)v);
		return gr->arg;
	}
	case G_ENABLECAP: {
		struct kvm_enable_cap c;

		memset(&c, 0, sizeof(c));
		static const uint32_t caps[] = { KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			KVM_CAP_MAX_VCPU_ID, KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_X2APIC_API,
			KVM_CAP_X86_DISABLE_EXITS, KVM_CAP_SYNC_REGS, KVM_CAP_HALT_POLL,
			KVM_CAP_EXCEPTION_PAYLOAD, KVM_CAP_IRQCHIP, KVM_CAP_X86_USER_SPACE_MSR };

		c.cap = chance(r, 50) ? caps[rn(r, sizeof(caps) / 4)] : chance(r, 70) ? rn(r, 240) : (uint32_t)bval(r);
		c.flags = chance(r, 80) ? 0 : (uint32_t)bval(r);
		for (i = 0; i < 4; i++)
			c.args[i] = chance(r, 50) ? rn(r, 4) : chance(r, 50) ? rn(r, 1100) : bval(r);
		gr->arg = (uintptr_t)place(w, &c, sizeof(c), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " cap=%u args0=%#llx", c.cap, (unsigned long long)c.args[0]);
		return gr->arg;
	}
	case G_IRQLEVEL: {
		struct kvm_irq_level l;

		l.irq = chance(r, 85) ? rn(r, 24) : (uint32_t)bval(r);
		l.level = chance(r, 85) ? rn(r, 2) : (uint32_t)bval(r);
		gr->arg = (uintptr_t)place(w, &l, sizeof(l), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " irq=%u level=%u", l.irq, l.level);
		return gr->arg;
	}
	case G_IRQFD: {
		struct kvm_irqfd f;

		memset(&f, 0, sizeof(f));
		f.fd = chance(r, 85) ? (uint32_t)w->efd[rn(r, 2)] : (uint32_t)bval(r);
		f.gsi = chance(r, 85) ? rn(r, 24) : (uint32_t)bval(r);
		i = rn(r, 10);
		f.flags = i < 6 ? 0 : i < 8 ? KVM_IRQFD_FLAG_DEASSIGN : i < 9 ? KVM_IRQFD_FLAG_RESAMPLE : (uint32_t)bval(r);
		f.resamplefd = w->efd[rn(r, 2)];
		if (chance(r, 5))
			fill_random(r, f.pad, sizeof(f.pad));
		gr->arg = (uintptr_t)place(w, &f, sizeof(f), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " fd=%d gsi=%u flags=%#x", (int)f.fd, f.gsi, f.flags);
		return gr->arg;
	}
	case G_IOEVENTFD: {
		struct kvm_ioeventfd e;
		static const uint64_t addrs[] = { 0x10, 0x11, 0x12, 0x80, 0x40010, 0x40020, 0xcf8, 0xfee00000 };
		static const uint32_t lens[] = { 0, 1, 2, 4, 8, 3, 16 };

		memset(&e, 0, sizeof(e));
		e.flags = chance(r, 85) ? rn(r, 8) : (uint32_t)bval(r);
		e.addr = chance(r, 60) ? addrs[rn(r, 8)] : chance(r, 50) ? rn(r, 0x10000) : bval(r);
		e.len = lens[rn(r, 7)];
		e.fd = chance(r, 85) ? w->efd[rn(r, 2)] : (int32_t)bval(r);
		e.datamatch = chance(r, 50) ? 0x42 : bval(r);
		if (chance(r, 5))
			fill_random(r, e.pad, sizeof(e.pad));
		gr->arg = (uintptr_t)place(w, &e, sizeof(e), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " addr=%#llx len=%u fd=%d flags=%#x", (unsigned long long)e.addr,
			 e.len, e.fd, e.flags);
		return gr->arg;
	}
	case G_IRQCHIP: {
		struct kvm_irqchip *c = (void *)big;

		memset(c, 0, sizeof(*c));
		c->chip_id = chance(r, 85) ? rn(r, 3) : (uint32_t)bval(r);
		if (req == KVM_SET_IRQCHIP && chance(r, 60)) {
			ioctl(fd, KVM_GET_IRQCHIP, c);
			for (i = rn(r, 4); i >= 0; i--)
				c->chip.dummy[rn(r, sizeof(c->chip.dummy))] = (char)rnd(r);
		} else if (req == KVM_SET_IRQCHIP) {
			fill_random(r, c->chip.dummy, sizeof(c->chip.dummy));
		}
		gr->arg = (uintptr_t)place(w, c, sizeof(*c), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " chip=%u", c->chip_id);
		return gr->arg;
	}
	case G_LAPIC: {
		struct kvm_lapic_state *l = (void *)big;
		static const uint16_t regs[] = { 0x20, 0x30, 0x80, 0xb0, 0xd0, 0xe0, 0xf0, 0x100,
			0x180, 0x200, 0x280, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360,
			0x370, 0x380, 0x390, 0x3e0 };

		if (chance(r, 65)) {
			if (ioctl(fd, KVM_GET_LAPIC, l))
				memset(l, 0, sizeof(*l));
			for (i = 1 + rn(r, 4); i > 0; i--) {
				uint32_t v = chance(r, 50) ? (uint32_t)bval(r) : (uint32_t)rnd(r);

				memcpy(l->regs + regs[rn(r, sizeof(regs) / 2)], &v, 4);
			}
		} else {
			fill_random(r, l, sizeof(*l));
		}
		gr->arg = (uintptr_t)place(w, l, sizeof(*l), 6, PL_ANY, d, dsz);
		return gr->arg;
	}
	case G_GSIROUTING: {
		struct kvm_irq_routing *rt = (void *)big;
		uint32_t nr = chance(r, 80) ? rn(r, 8) : (uint32_t)bval(r);

		memset(big, 0, 8 + 32 * 64);
		rt->nr = nr;
		rt->flags = chance(r, 90) ? 0 : (uint32_t)bval(r);
		for (i = 0; i < 64; i++) {
			rt->entries[i].gsi = rn(r, 32);
			rt->entries[i].type = rn(r, 4);
			rt->entries[i].u.irqchip.irqchip = rn(r, 3);
			rt->entries[i].u.irqchip.pin = rn(r, 24);
			if (rt->entries[i].type == KVM_IRQ_ROUTING_MSI) {
				rt->entries[i].u.msi.address_lo = 0xfee00000 | (rn(r, 256) << 12);
				rt->entries[i].u.msi.data = rn(r, 0x10000);
			}
		}
		gr->arg = (uintptr_t)place(w, rt, 8 + 32 * (nr < 64 ? nr : 64), 6, PL_ANY, d, dsz);
		n = strlen(d);
		snprintf(d + n, dsz - n, " nr=%u", nr);
		return gr->arg;
	}
	case G_MSI: {
		struct kvm_msi m;

		memset(&m, 0, sizeof(m));
		m.address_lo = chance(r, 80) ? 0xfee00000 | (rn(r, 256) << 12) : (uint32_t)bval(r);
		m.address_hi = chance(r, 90) ? 0 : (uint32_t)bval(r);
		m.data = chance(r, 80) ? rn(r, 0x10000) : (uint32_t)bval(r);
		m.flags = chance(r, 90) ? 0 : (uint32_t)bval(r);
		gr->arg = (uintptr_t)place(w, &m, sizeof(m), 6, PL_ANY, d, dsz);
		return gr->arg;
	}
	case G_OUT:
		if (!size)
			size = 64;
		memset(big, 0xa5, size < sizeof(big) ? size : sizeof(big));
		gr->arg = (uintptr_t)place(w, big, size < sizeof(big) ? size : sizeof(big), 12, PL_ANY, d, dsz);
		return gr->arg;
	case G_BLOB:
	default:
		if (!size) {
			gr->arg = bval(r);
			snprintf(d, dsz, "arg=%#lx", gr->arg);
			return gr->arg;
		}
		if (size > sizeof(big))
			size = sizeof(big);
		fill_random(r, big, size);
		gr->arg = (uintptr_t)place(w, big, size, 10, PL_ANY, d, dsz);
		return gr->arg;
	}
}

/* ------------------------------------------------------------------ */
/* the generic ioctl operation                                        */

static int pick_fd(struct worker *w, enum fdk k, int *idx)
{
	unsigned mask;

	switch (k) {
	case F_SYS: mask = M(K_SYS); break;
	case F_VM: mask = M(K_VM); break;
	case F_VCPU: mask = M(K_VCPU); break;
	default: mask = LIVE; break;
	}
	if (chance(&w->rng, 6))
		mask = LIVE;		/* the wrong kind of fd */
	else if (chance(&w->rng, 3))
		mask = M(K_CLOSED);
	return pool_pick(w, mask, idx);
}

static bool is_fd_creator(unsigned long req)
{
	return req == KVM_CREATE_VM || req == KVM_CREATE_VCPU ||
	       req == KVM_GET_STATS_FD;
}

/* after a successful ioctl: keep what it created, check what it returned */
static void post_ioctl(struct worker *w, const struct op *op, unsigned long req,
		       int fd, int idx, struct genres *gr, long r)
{
	if (r >= 0 && is_fd_creator(req) && r > 2) {
		int kind = req == KVM_CREATE_VM ? K_VM : req == KVM_CREATE_VCPU ? K_VCPU : K_OTHER;

		pthread_mutex_lock(&plock);
		/* the fd we called may have been a different kind than we thought */
		if (idx >= 0 && pool[idx].fd == fd) {
			if (req == KVM_CREATE_VCPU && pool[idx].kind != K_VM)
				kind = K_OTHER;
			if (req == KVM_CREATE_VM && pool[idx].kind != K_SYS)
				kind = K_OTHER;
		}
		pthread_mutex_unlock(&plock);
		if (req == KVM_CREATE_VM) {
			atomic_fetch_add(&vms_made, 1);
			/* an in-kernel irqchip must come before the first vCPU */
			if (chance(&w->rng, 30))
				ioctl((int)r, KVM_CREATE_IRQCHIP, 0);
		}
		else if (req == KVM_CREATE_VCPU)
			atomic_fetch_add(&vcpus_made, 1);
		pool_add(w, kind, (int)r, req == KVM_CREATE_VCPU ? idx : -1);
		return;
	}
	if (!op || r < 0)
		return;
	if (op->ret0 && r != 0)
		inconsistent(w, "%s on fd %d returned %ld, expected 0", op->name, fd, r);
	if ((req == KVM_GET_MSRS || req == KVM_SET_MSRS) && (uint64_t)r > gr->aux)
		inconsistent(w, "%s processed %ld of %" PRIu64 " MSRs", op->name, r, gr->aux);
	if (req == KVM_GET_API_VERSION && gr->arg == 0 && r != KVM_API_VERSION) {
		pthread_mutex_lock(&plock);
		bool sys = idx >= 0 && pool[idx].fd == fd && pool[idx].kind == K_SYS;
		pthread_mutex_unlock(&plock);
		if (sys)
			inconsistent(w, "KVM_GET_API_VERSION returned %ld", r);
	}
	if (req == KVM_SET_USER_MEMORY_REGION && idx >= 0)
		shadow_add(idx, pool[idx].gen, &gr->mr);
}

static void op_ioctl(struct worker *w, const struct op *op)
{
	int opi = op - ops, idx, fd, e;
	struct genres gr;
	long r;

	fd = pick_fd(w, op->fdk, &idx);
	if (fd < 0)
		return;
	memset(&gr.mr, 0, sizeof(gr.mr));
	gen_arg(w, op->gen, op->req, fd, &gr);
	note(w, "%s fd=%d(%s) %s", op->name, fd, idx >= 0 ? kind_name[pool[idx].kind] : "?", gr.desc);
	if (op->req == KVM_RUN)
		r = run_ioctl(w, fd, gr.arg);
	else
		r = ioctl(fd, op->req, gr.arg);
	e = errno;
	result(w, opi, r, e);
	post_ioctl(w, op, op->req, fd, idx, &gr, r);
	if (op->req == KVM_RUN && r == 0 && idx >= 0) {
		uint32_t reason;

		if (gcopy(w, &reason, pool[idx].area + offsetof(struct kvm_run, exit_reason), 4))
			w->exits[reason < 64 ? reason : 64]++;
	}
}

/* ------------------------------------------------------------------ */
/* special operations                                                 */

static int find_req(unsigned long req)
{
	int i;

	for (i = 0; i < NOPS; i++)
		if (ops[i].req == req)
			return i;
	return -1;
}

static void op_random_ioctl(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	unsigned long req, arg;
	int opi = op - ops, idx, fd, e, i;
	static const unsigned sizes[] = { 0, 1, 2, 4, 8, 12, 16, 24, 32, 40, 64,
		128, 256, 416, 512, 1024, 4096, 0x3fff };
	struct genres gr;
	char desc[128];
	long ret;

	fd = pool_pick(w, chance(r, 95) ? LIVE : M(K_CLOSED), &idx);
	if (fd < 0)
		return;
	switch (rn(r, 4)) {
	case 0: case 1:
		req = _IOC(rn(r, 4), KVMIO, rn(r, 256), sizes[rn(r, sizeof(sizes) / 4)]);
		break;
	case 2: {
		const struct op *o = &ops[rn(r, NOPS)];

		req = o->req ? o->req : KVM_GET_API_VERSION;
		switch (rn(r, 4)) {
		case 0: req ^= (unsigned long)(1 + rn(r, 64)) << _IOC_SIZESHIFT; break;
		case 1: req ^= (unsigned long)(1 + rn(r, 3)) << _IOC_DIRSHIFT; break;
		case 2: req += rn(r, 2) ? 1 : -1; break;
		default: break;
		}
		break;
	}
	default:
		req = (uint32_t)rnd(r);
		break;
	}
	req &= 0xffffffffu;
	/* the two numbers that could keep KVM_RUN from being bounded */
	if (req == KVM_SET_SIGNAL_MASK) {
		gen_arg(w, G_SIGMASK, req, fd, &gr);
		arg = gr.arg;
		snprintf(desc, sizeof(desc), "%s", gr.desc);
	} else if (req == KVM_RUN && opt_guest != GUEST_RANDOM) {
		return;
	} else if ((i = find_req(req)) >= 0 && (avoid_fpu_mxcsr || chance(r, 50))) {
		/* a number of the table: now and then its own generator */
		gen_arg(w, ops[i].gen, req, fd, &gr);
		arg = gr.arg;
		snprintf(desc, sizeof(desc), "%.30s %.90s", ops[i].name, gr.desc);
	} else if (chance(r, 60)) {
		size_t sz = _IOC_SIZE(req) ? _IOC_SIZE(req) : 256;
		uint8_t buf[4096];

		if (sz > sizeof(buf))
			sz = sizeof(buf);
		fill_random(r, buf, sz);
		arg = (uintptr_t)place(w, buf, sz, 15, PL_ANY, desc, sizeof(desc));
	} else {
		arg = bval(r);
		snprintf(desc, sizeof(desc), "arg=%#lx", arg);
	}
	note(w, "random-ioctl fd=%d req=%#lx (dir %lu nr %#lx size %lu) %s", fd, req,
	     (unsigned long)_IOC_DIR(req), (unsigned long)_IOC_NR(req),
	     (unsigned long)_IOC_SIZE(req), desc);
	if (req == KVM_RUN)
		ret = run_ioctl(w, fd, arg);
	else
		ret = ioctl(fd, req, arg);
	e = errno;
	result(w, opi, ret, e);
	memset(&gr, 0, sizeof(gr));
	post_ioctl(w, NULL, req, fd, idx, &gr, ret);
}

static void op_open(struct worker *w, const struct op *op)
{
	static const int modes[] = { O_RDWR, O_RDWR | O_CLOEXEC, O_RDONLY, O_WRONLY,
				     O_RDWR | O_NONBLOCK };
	int flags = modes[rn(&w->rng, 5)], fd;

	note(w, "open %s flags=%#x", opt_device, flags);
	fd = open(opt_device, flags);
	result(w, op - ops, fd, errno);
	if (fd >= 0)
		pool_add(w, K_SYS, fd, -1);
}

static void op_close(struct worker *w, const struct op *op)
{
	int i;

	pthread_mutex_lock(&plock);
	i = pool_pick_locked(w, LIVE);
	if (i >= 0) {
		note(w, "close fd=%d(%s)", pool[i].fd, kind_name[pool[i].kind]);
		pool_close_locked(i);
		w->cnt[op - ops]++;
	}
	pthread_mutex_unlock(&plock);
}

static void op_dup(struct worker *w, const struct op *op)
{
	int idx, fd = pool_pick(w, LIVE, &idx), nfd, kind, vm;

	if (fd < 0)
		return;
	note(w, "dup fd=%d", fd);
	nfd = chance(&w->rng, 50) ? dup(fd) : fcntl(fd, F_DUPFD_CLOEXEC, 3);
	result(w, op - ops, nfd, errno);
	if (nfd < 0)
		return;
	pthread_mutex_lock(&plock);
	kind = pool[idx].fd == fd ? pool[idx].kind : K_OTHER;
	vm = pool[idx].vm;
	pthread_mutex_unlock(&plock);
	if (kind == K_CLOSED || kind == K_FREE)
		kind = K_OTHER;
	pool_add(w, kind, nfd, kind == K_VCPU ? vm : -1);
}

static void op_closed_ioctl(struct worker *w, const struct op *op)
{
	const struct op *o;
	struct genres gr;
	int idx, fd = pool_pick(w, M(K_CLOSED), &idx), i;
	long r;

	if (fd < 0)
		return;
	for (i = 0; i < 8; i++) {
		o = &ops[rn(&w->rng, NOPS)];
		if (o->req && (o->req != KVM_RUN || opt_guest == GUEST_RANDOM))
			break;
	}
	if (!o->req || (o->req == KVM_RUN && opt_guest != GUEST_RANDOM))
		return;
	memset(&gr, 0, sizeof(gr));
	gen_arg(w, o->gen, o->req, fd, &gr);
	note(w, "closed-fd %s fd=%d %s", o->name, fd, gr.desc);
	r = o->req == KVM_RUN ? run_ioctl(w, fd, gr.arg) : ioctl(fd, o->req, gr.arg);
	result(w, op - ops, r, errno);
	post_ioctl(w, NULL, o->req, fd, -1, &gr, r);
}

static void op_mmap_vcpu(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	int idx, fd = pool_pick(w, chance(r, 85) ? M(K_VCPU) : LIVE | M(K_CLOSED), &idx);
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE,
				     PROT_NONE, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC };
	size_t len = chance(r, 70) ? (1 + rn(r, 4)) * PAGE : chance(r, 50) ? (1 + rn(r, 1024)) * PAGE :
		     (size_t)bval(r);
	off_t off = chance(r, 60) ? 0 : chance(r, 70) ? (off_t)(rn(r, 4) * PAGE) :
		    (off_t)(bval(r) & ~(chance(r, 80) ? 0xfffull : 0));
	int prot = prots[rn(r, 6)], flags = chance(r, 75) ? MAP_SHARED : MAP_PRIVATE;
	struct extra_map *m = &w->maps[rn(r, 4)];
	char *p;
	size_t i;

	if (fd < 0)
		return;
	if (len <= 16 * PAGE && chance(r, 20))
		flags |= MAP_POPULATE;
	note(w, "mmap fd=%d len=%#zx off=%#llx prot=%d flags=%#x", fd, len, (long long)off, prot, flags);
	p = mmap(NULL, len, prot, flags, fd, off);
	result(w, op - ops, p == MAP_FAILED ? -1 : 0, errno);
	if (p == MAP_FAILED)
		return;
	/* touch a few pages: beyond kvm_run and the PIO page that is SIGBUS */
	for (i = 0; i < 4 && (prot & PROT_READ); i++) {
		size_t o = chance(r, 70) ? rn(r, 3) * PAGE : rn(r, len / PAGE + 1) * PAGE;
		char c;

		if (o >= len)
			continue;
		if ((prot & PROT_WRITE) && chance(r, 50))
			gcopy(w, p + o + rn(r, PAGE), &(char){ (char)rnd(r) }, 1);
		else
			gcopy(w, &c, p + o, 1);
	}
	if (m->p)
		munmap(m->p, m->len);
	m->p = p;
	m->len = len;
}

static void op_munmap_extra(struct worker *w, const struct op *op)
{
	struct extra_map *m = &w->maps[rn(&w->rng, 4)];
	size_t pages, o;

	(void)op;
	if (!m->p)
		return;
	pages = m->len / PAGE;
	if (pages > 2 && chance(&w->rng, 40)) {
		/* punch a page out of the middle: splits the mapping */
		o = 1 + rn(&w->rng, pages - 2);
		note(w, "munmap-extra %p page %zu of %zu", (void *)m->p, o, pages);
		munmap(m->p + o * PAGE, PAGE);
		return;
	}
	note(w, "munmap-extra %p len %#zx", (void *)m->p, m->len);
	munmap(m->p, m->len);
	m->p = NULL;
}

static void op_run_unmap(struct worker *w, const struct op *op)
{
	int i;

	pthread_mutex_lock(&plock);
	i = pool_pick_locked(w, M(K_VCPU));
	if (i >= 0) {
		if (pool[i].mapped) {
			note(w, "unmap kvm_run of fd=%d", pool[i].fd);
			area_unmap(&pool[i]);
		} else {
			size_t len = (1 + rn(&w->rng, AREA_PAGES)) * PAGE;
			off_t off = chance(&w->rng, 80) ? 0 : rn(&w->rng, 3) * PAGE;

			note(w, "map kvm_run of fd=%d len=%#zx off=%#llx", pool[i].fd, len, (long long)off);
			area_map(&pool[i], len, off);
		}
		w->cnt[op - ops]++;
	}
	pthread_mutex_unlock(&plock);
}

static void op_run_poke(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	char *area = areas + rn(r, POOL) * AREA_PAGES * PAGE;
	uint64_t v = bval(r);
	size_t off;

	switch (rn(r, 8)) {
	case 0: off = offsetof(struct kvm_run, immediate_exit); v = rn(r, 2); break;
	case 1: off = offsetof(struct kvm_run, request_interrupt_window); v = rn(r, 2); break;
	case 2: off = offsetof(struct kvm_run, cr8); v = chance(r, 70) ? rn(r, 20) : v; break;
	case 3: off = offsetof(struct kvm_run, io.data_offset); break;
	case 4: off = offsetof(struct kvm_run, mmio.data); break;
	case 5: off = offsetof(struct kvm_run, kvm_dirty_regs); break;
	case 6: off = offsetof(struct kvm_run, exit_reason); break;
	default: off = rn(r, 2 * PAGE - 8); break;
	}
	note(w, "poke kvm_run area %p +%#zx = %#llx", (void *)area, off, (unsigned long long)v);
	gcopy(w, area + off, &v, off == offsetof(struct kvm_run, immediate_exit) ||
	      off == offsetof(struct kvm_run, request_interrupt_window) ? 1 : 8);
	w->cnt[op - ops]++;
}

static void op_arena_fill(struct worker *w, const struct op *op)
{
	struct arena *a = &arenas[rn(&w->rng, NARENA)];
	size_t off, len;

	arena_range(w, &off, &len);
	note(w, "arena-fill %d +%#zx len %#zx", (int)(a - arenas), off, len);
	gfill(w, a->base + off, len);
	w->cnt[op - ops]++;
}

/* ---- guest programs ---- */

static const uint8_t prog_io[] = {		/* any mode */
	0xb0, 0x42, 0xe6, 0x10, 0xe4, 0x11, 0xf4, 0xeb, 0xf7,
};
static const uint8_t prog_mmio16[] = {
	0xb8, 0x00, 0x40,			/* mov ax, 0x4000 */
	0x8e, 0xd8,				/* mov ds, ax */
	0xc6, 0x06, 0x10, 0x00, 0x5a,		/* mov byte [0x10], 0x5a: MMIO write */
	0x8a, 0x1e, 0x20, 0x00,			/* mov bl, [0x20]: MMIO read */
	0xb8, 0xff, 0xff,			/* mov ax, 0xffff */
	0x8e, 0xc0,				/* mov es, ax */
	0x26, 0xc6, 0x06, 0x10, 0x00, 0x01,	/* mov byte es:[0x10], 1: gpa 0x100000 */
	0xf4,					/* hlt */
	0xeb, 0xe4,				/* jmp 0 */
};
#define MMIO16_AFTER_HLT 26
static const uint8_t prog_str16[] = {
	0x31, 0xc0, 0x8e, 0xc0, 0x8e, 0xd8,	/* es = ds = 0 */
	0xb9, 0x05, 0x00, 0xbe, 0x00, 0x18,	/* cx = 5, si = 0x1800 */
	0xba, 0x80, 0x00, 0xfc,			/* dx = 0x80, cld */
	0xf3, 0x6e,				/* rep outsb */
	0xb9, 0x03, 0x00, 0xbf, 0x00, 0x19,	/* cx = 3, di = 0x1900 */
	0xf3, 0x6d,				/* rep insw */
	0xf4, 0xeb, 0xe3,			/* hlt, jmp 0 */
};
static const uint8_t prog_misc16[] = {
	0x66, 0x31, 0xc0, 0x0f, 0xa2,		/* xor eax, eax; cpuid */
	0x0f, 0x31,				/* rdtsc */
	0x0f, 0x20, 0xc0, 0x0f, 0x22, 0xc0,	/* mov eax, cr0; mov cr0, eax */
	0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx, EFER */
	0x0f, 0x32, 0x0f, 0x30,			/* rdmsr; wrmsr */
	0xe6, 0x12, 0xf4, 0xeb, 0xe4,		/* out 0x12, al; hlt; jmp 0 */
};
static const uint8_t prog_loop[] = { 0xfa, 0xeb, 0xfe };	/* cli; jmp $ */

enum { PR_IO, PR_MMIO, PR_STR, PR_MISC, PR_LOOP, PR_RANDOM, PR_N };
static const char *prog_name[] = { "io", "mmio", "string-io", "misc", "loop", "random" };

/*
 * Lay out a guest at @mem (guest-physical 0): every interrupt vector on a
 * HLT at 0x500, the program at 0x1000, identity-mapping page tables at
 * 0x4000 (1 GiB of 2 MiB pages), a GDT at 0x7000.
 */
static bool layout_guest(struct worker *w, char *mem, int prog)
{
	static __thread uint8_t img[0x8000];
	uint32_t ivt = 0x500;
	uint64_t e;
	int i;

	memset(img, 0, sizeof(img));
	for (i = 0; i < 256; i++)
		memcpy(img + 4 * i, &ivt, 4);
	img[0x500] = 0xf4;
	img[0x501] = 0xeb;
	img[0x502] = 0xfd;
	memset(img + 0x1000, 0xf4, 0x800);
	switch (prog) {
	case PR_IO: memcpy(img + 0x1000, prog_io, sizeof(prog_io)); break;
	case PR_MMIO: memcpy(img + 0x1000, prog_mmio16, sizeof(prog_mmio16)); break;
	case PR_STR: memcpy(img + 0x1000, prog_str16, sizeof(prog_str16)); break;
	case PR_MISC: memcpy(img + 0x1000, prog_misc16, sizeof(prog_misc16)); break;
	case PR_LOOP: memcpy(img + 0x1000, prog_loop, sizeof(prog_loop)); break;
	default: fill_random(&w->rng, img + 0x1000, 0x800); break;
	}
	memcpy(img + 0x1800, "hello, world\n", 13);
	e = 0x5003;
	memcpy(img + 0x4000, &e, 8);
	e = 0x6003;
	memcpy(img + 0x5000, &e, 8);
	for (i = 0; i < 512; i++) {
		e = ((uint64_t)i << 21) | 0x83;
		memcpy(img + 0x6000 + 8 * i, &e, 8);
	}
	e = 0x00af9a000000ffffull;
	memcpy(img + 0x7008, &e, 8);
	e = 0x00cf92000000ffffull;
	memcpy(img + 0x7010, &e, 8);
	e = 0x00008b0000000067ull;
	memcpy(img + 0x7018, &e, 8);
	return gcopy(w, mem, img, sizeof(img));
}

static void op_arena_prog(struct worker *w, const struct op *op)
{
	struct arena *a = &arenas[rn(&w->rng, NARENA)];
	size_t off = rn(&w->rng, (ARENA_SZ - 0x8000) / PAGE) * PAGE;
	int prog = rn(&w->rng, opt_guest == GUEST_RANDOM ? PR_N : PR_LOOP);

	note(w, "arena-program %d +%#zx %s", (int)(a - arenas), off, prog_name[prog]);
	layout_guest(w, a->base + off, prog);
	w->cnt[op - ops]++;
}

static void op_arena_mprotect(struct worker *w, const struct op *op)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC };
	struct arena *a = &arenas[rn(&w->rng, NARENA)];
	size_t off, len;
	int prot = prots[rn(&w->rng, 5)], r;

	if (chance(&w->rng, 40)) {
		off = 0;
		len = ARENA_SZ;
		prot = PROT_READ | PROT_WRITE;
	} else {
		arena_range(w, &off, &len);
	}
	note(w, "mprotect arena %d +%#zx len %#zx prot %d", (int)(a - arenas), off, len, prot);
	r = mprotect(a->base + off, len, prot);
	result(w, op - ops, r, errno);
}

static void op_arena_madvise(struct worker *w, const struct op *op)
{
	static const int advs[] = { MADV_DONTNEED, MADV_DONTNEED, MADV_FREE, MADV_COLD,
		MADV_PAGEOUT, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_REMOVE, MADV_WILLNEED,
		MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_MERGEABLE, MADV_UNMERGEABLE,
		MADV_DONTFORK, MADV_DOFORK, 22 /* MADV_POPULATE_READ */, 23 /* _WRITE */ };
	struct arena *a = &arenas[rn(&w->rng, NARENA)];
	size_t off, len;
	int adv = advs[rn(&w->rng, sizeof(advs) / sizeof(advs[0]))], r;

	arena_range(w, &off, &len);
	note(w, "madvise arena %d +%#zx len %#zx advice %d", (int)(a - arenas), off, len, adv);
	r = madvise(a->base + off, len, adv);
	result(w, op - ops, r, errno);
}

static void op_arena_remap(struct worker *w, const struct op *op)
{
	struct arena *a = &arenas[rn(&w->rng, NARENA)];
	size_t off, len;

	if (chance(&w->rng, 30)) {
		off = 0;
		len = ARENA_SZ;
	} else {
		arena_range(w, &off, &len);
	}
	note(w, "remap arena %d +%#zx len %#zx", (int)(a - arenas), off, len);
	arena_map(a, off, len);
	w->cnt[op - ops]++;
}

static void op_arena_hole(struct worker *w, const struct op *op)
{
	struct arena *a = &arenas[rn(&w->rng, NARENA)];
	size_t off, len;

	arena_range(w, &off, &len);
	note(w, "hole in arena %d +%#zx len %#zx", (int)(a - arenas), off, len);
	mmap(a->base + off, len, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	w->cnt[op - ops]++;
}

static void op_memfd_trunc(struct worker *w, const struct op *op)
{
	struct arena *a = &arenas[A_MEMFD];
	int fd = memfds[A_MEMFD], r;
	size_t off, len;

	if (atomic_load(&a->truncated) && chance(&w->rng, 60)) {
		note(w, "memfd restore size");
		r = ftruncate(fd, ARENA_SZ);
		atomic_store(&a->truncated, 0);
	} else if (chance(&w->rng, 50)) {
		arena_range(w, &off, &len);
		note(w, "memfd punch hole +%#zx len %#zx", off, len);
		r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	} else {
		off = rn(&w->rng, ARENA_SZ / PAGE) * PAGE;
		note(w, "memfd truncate to %#zx", off);
		r = ftruncate(fd, off);
		atomic_store(&a->truncated, 1);
	}
	result(w, op - ops, r, errno);
}

static void op_slot_move(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	struct kvm_userspace_memory_region m;
	int i, fd, what = rn(r, 7), vm;
	uint64_t gen;
	long ret;

	pthread_mutex_lock(&plock);
	vm = pool_pick_locked(w, M(K_VM));
	if (vm < 0 || !pool[vm].nms) {
		pthread_mutex_unlock(&plock);
		return;
	}
	i = rn(r, pool[vm].nms);
	fd = pool[vm].fd;
	gen = pool[vm].gen;
	m.slot = pool[vm].ms[i].slot;
	m.flags = pool[vm].ms[i].flags;
	m.guest_phys_addr = pool[vm].ms[i].gpa;
	m.memory_size = pool[vm].ms[i].size;
	m.userspace_addr = pool[vm].ms[i].uaddr;
	pthread_mutex_unlock(&plock);
	switch (what) {
	case 0: case 1: m.guest_phys_addr = rn(r, 0x10000) * PAGE; break;	/* move */
	case 2: m.flags ^= KVM_MEM_LOG_DIRTY_PAGES; break;
	case 3: m.flags ^= KVM_MEM_READONLY; break;
	case 4: m.memory_size = 0; break;					/* delete */
	case 5: m.memory_size += PAGE * (rn(r, 2) ? 1 : -1); break;
	default: m.userspace_addr += PAGE; break;
	}
	note(w, "slot-move fd=%d what=%d slot=%#x fl=%#x gpa=%#llx size=%#llx ua=%#llx", fd, what,
	     m.slot, m.flags, (unsigned long long)m.guest_phys_addr,
	     (unsigned long long)m.memory_size, (unsigned long long)m.userspace_addr);
	ret = ioctl(fd, KVM_SET_USER_MEMORY_REGION, &m);
	result(w, op - ops, ret, errno);
	if (ret == 0)
		shadow_add(vm, gen, &m);
}

/* ---- private VMs: fds only their owner knows ---- */

/* move @fd to @target (outside the pool's range) when possible */
static int move_fd(int fd, int target)
{
	if (fd < 0 || dup3(fd, target, O_CLOEXEC) < 0)
		return fd;
	close(fd);
	return target;
}

static int set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, void *ua)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)ua,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m);
}

#define PRIV_LOW	0x30000		/* slot 0: gpa 0 .. 0x30000 */
#define PRIV_DIRTY_GPA	0x100000	/* slot 1: 64 KiB, dirty-logged */

static int priv_vm(struct worker *w, int *vm, int *vcpu, char **run)
{
	int sys = open(opt_device, O_RDWR | O_CLOEXEC);

	*vm = *vcpu = -1;
	*run = NULL;
	if (sys < 0)
		return -1;
	*vm = ioctl(sys, KVM_CREATE_VM, 0);
	close(sys);
	if (*vm < 0)
		return -1;
	*vm = move_fd(*vm, PRIV_FD_BASE + 4 * w->idx);
	if (set_region(*vm, 0, 0, 0, PRIV_LOW, w->priv) ||
	    set_region(*vm, 1, KVM_MEM_LOG_DIRTY_PAGES, PRIV_DIRTY_GPA, 0x10000,
		       w->priv + PRIV_LOW))
		goto fail;
	atomic_fetch_add(&vms_made, 1);
	if (chance(&w->rng, 25))
		ioctl(*vm, KVM_CREATE_IRQCHIP, 0);	/* then HLT blocks in the kernel */
	*vcpu = ioctl(*vm, KVM_CREATE_VCPU, 0);
	if (*vcpu < 0)
		goto fail;
	atomic_fetch_add(&vcpus_made, 1);
	*vcpu = move_fd(*vcpu, PRIV_FD_BASE + 4 * w->idx + 1);
	*run = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, *vcpu, 0);
	if (*run == MAP_FAILED) {
		*run = NULL;
		goto fail;
	}
	if (supported_cpuid)
		ioctl(*vcpu, KVM_SET_CPUID2, supported_cpuid);
	return 0;
fail:
	if (*vcpu >= 0)
		close(*vcpu);
	close(*vm);
	*vm = *vcpu = -1;
	return -1;
}

static void priv_release(struct worker *w, int vm, int vcpu, char *run)
{
	int a, b;

	if (run)
		munmap(run, vcpu_mmap_size);
	if (chance(&w->rng, 40) && vm >= 0 && vcpu >= 0) {
		/* hand both to the pool (at ordinary fd numbers) */
		a = fcntl(vm, F_DUPFD_CLOEXEC, 3);
		b = fcntl(vcpu, F_DUPFD_CLOEXEC, 3);
		close(vm);
		close(vcpu);
		if (a >= 0) {
			int vi = pool_add(w, K_VM, a, -1);
			struct kvm_userspace_memory_region m0 = { 0, 0, 0, PRIV_LOW, (uintptr_t)w->priv };

			if (vi >= 0)
				shadow_add(vi, pool[vi].gen, &m0);
			if (b >= 0)
				pool_add(w, K_VCPU, b, vi);
		} else if (b >= 0) {
			pool_add(w, K_VCPU, b, -1);
		}
		return;
	}
	if (chance(&w->rng, 50)) {
		close(vm);
		close(vcpu);
	} else {
		close(vcpu);
		close(vm);
	}
}

/* after KVM_RUN returned 0: count the exit, supply data an IN or MMIO read wants */
static int handle_exit(struct worker *w, char *run, size_t maplen, bool check)
{
	struct kvm_run kr;
	uint32_t reason;

	if (!gcopy(w, &kr, run, sizeof(kr)))
		return -1;
	reason = kr.exit_reason;
	w->exits[reason < 64 ? reason : 64]++;
	if (reason == KVM_EXIT_IO) {
		size_t n = (size_t)kr.io.size * kr.io.count;

		if (check && ((kr.io.size != 1 && kr.io.size != 2 && kr.io.size != 4) ||
			      kr.io.data_offset < sizeof(struct kvm_run) ||
			      kr.io.data_offset > (uint64_t)vcpu_mmap_size ||
			      n > vcpu_mmap_size - kr.io.data_offset))
			inconsistent(w, "KVM_EXIT_IO size %u count %u data_offset %#llx outside the %d-byte mapping",
				     kr.io.size, kr.io.count, (unsigned long long)kr.io.data_offset,
				     vcpu_mmap_size);
		else if (kr.io.direction == KVM_EXIT_IO_IN && kr.io.data_offset < maplen &&
			 n <= maplen - kr.io.data_offset)
			gfill(w, run + kr.io.data_offset, n);
	} else if (reason == KVM_EXIT_MMIO) {
		if (check && (kr.mmio.len == 0 || kr.mmio.len > 8))
			inconsistent(w, "KVM_EXIT_MMIO with len %u", kr.mmio.len);
		if (!kr.mmio.is_write)
			gfill(w, run + offsetof(struct kvm_run, mmio.data), 8);
	}
	return reason;
}

/* perturb a private vCPU between two runs */
static bool perturb(struct worker *w, int vm, int vcpu, char *run, int *dirty_armed)
{
	struct rng *r = &w->rng;
	int n = opt_guest == GUEST_RANDOM ? 19 : 10, k = rn(r, n);
	struct genres gr;
	static const enum gen g[] = { G_REGS, G_SREGS, G_FPU, G_EVENTS, G_XSAVE,
				      G_MSRS, G_DEBUGREGS, G_XCRS };
	static const unsigned long q[] = { KVM_SET_REGS, KVM_SET_SREGS, KVM_SET_FPU,
					   KVM_SET_VCPU_EVENTS, KVM_SET_XSAVE, KVM_SET_MSRS,
					   KVM_SET_DEBUGREGS, KVM_SET_XCRS };
	uint8_t one = 1;
	long ret;

	switch (k) {
	case 0: {
		struct kvm_interrupt i = { rn(r, 256) };

		note(w, "  perturb: KVM_INTERRUPT %u", i.irq);
		ioctl(vcpu, KVM_INTERRUPT, &i);
		break;
	}
	case 1:
		note(w, "  perturb: KVM_NMI");
		ioctl(vcpu, KVM_NMI, 0);
		break;
	case 2:
		note(w, "  perturb: request_interrupt_window");
		gcopy(w, run + offsetof(struct kvm_run, request_interrupt_window), &one, 1);
		break;
	case 3:
		note(w, "  perturb: immediate_exit");
		gcopy(w, run + offsetof(struct kvm_run, immediate_exit), &one, 1);
		break;
	case 4:
		note(w, "  perturb: MADV_DONTNEED guest memory");
		madvise(w->priv, PRIV_SZ, MADV_DONTNEED);
		break;
	case 5:
		note(w, "  perturb: unmap + remap guest memory");
		mmap(w->priv, PRIV_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		mmap(w->priv, PRIV_SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, w->privfd, 0);
		break;
	case 6:
		note(w, "  perturb: guest memory read-only for one run");
		mprotect(w->priv, PRIV_SZ, PROT_READ);
		return true;
	case 7: {
		static __thread uint64_t bm[4];
		struct kvm_dirty_log l = { .slot = 1, .dirty_bitmap = bm };

		note(w, "  perturb: KVM_GET_DIRTY_LOG");
		ret = ioctl(vm, KVM_GET_DIRTY_LOG, &l);
		(void)ret;
		break;
	}
	case 8:
		note(w, "  perturb: dirty logging off and on");
		set_region(vm, 1, 0, PRIV_DIRTY_GPA, 0x10000, w->priv + PRIV_LOW);
		set_region(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, PRIV_DIRTY_GPA, 0x10000, w->priv + PRIV_LOW);
		*dirty_armed = 0;
		break;
	case 9: {
		uint8_t cr8 = rn(r, 20);

		note(w, "  perturb: kvm_run cr8 = %u", cr8);
		gcopy(w, run + offsetof(struct kvm_run, cr8), &cr8, 1);
		break;
	}
	case 18:
		note(w, "  perturb: random code");
		gfill(w, w->priv + 0x1000, 0x100);
		break;
	default:
		k -= 10;
		memset(&gr, 0, sizeof(gr));
		gen_arg(w, g[k], q[k], vcpu, &gr);
		note(w, "  perturb: %s %s", k == 0 ? "KVM_SET_REGS" : k == 1 ? "KVM_SET_SREGS" :
		     k == 2 ? "KVM_SET_FPU" : k == 3 ? "KVM_SET_VCPU_EVENTS" : k == 4 ? "KVM_SET_XSAVE" :
		     k == 5 ? "KVM_SET_MSRS" : k == 6 ? "KVM_SET_DEBUGREGS" : "KVM_SET_XCRS", gr.desc);
		ioctl(vcpu, q[k], gr.arg);
		*dirty_armed = 0;
		break;
	}
	return false;
}

static bool start_guest(int vcpu, enum gmode mode, uint64_t rip)
{
	struct kvm_sregs s;
	struct kvm_regs regs;

	if (ioctl(vcpu, KVM_GET_SREGS, &s))
		return false;
	mode_sregs(&s, mode);
	if (ioctl(vcpu, KVM_SET_SREGS, &s))
		return false;
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = 0x8000;
	regs.rflags = 2;
	return ioctl(vcpu, KVM_SET_REGS, &regs) == 0;
}

static void op_guest_run(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	int opi = op - ops, vm, vcpu, i, nrun = 2 + rn(r, 12), prog, armed = 0, reason;
	bool random = opt_guest == GUEST_RANDOM, ro = false;
	enum gmode mode = GM_REAL;
	char *run;
	long ret;

	if (opt_guest == GUEST_NONE)
		return;
	if (priv_vm(w, &vm, &vcpu, &run)) {
		result(w, opi, -1, errno);
		return;
	}
	if (random && chance(r, 35))
		mode = chance(r, 50) ? GM_PROT32 : GM_LONG;
	if (mode == GM_REAL)
		prog = rn(r, random ? PR_N : PR_LOOP);
	else
		prog = (int[]){ PR_IO, PR_LOOP, PR_RANDOM }[rn(r, 3)];
	note(w, "guest-run vm=%d vcpu=%d mode=%d prog=%s runs=%d", vm, vcpu, mode, prog_name[prog], nrun);
	if (!layout_guest(w, w->priv, prog) || !start_guest(vcpu, mode, 0x1000)) {
		result(w, opi, -1, errno);
		priv_release(w, vm, vcpu, run);
		return;
	}
	for (i = 0; i < nrun; i++) {
		uint8_t zero = 0;

		if (i && chance(r, 35))
			ro = perturb(w, vm, vcpu, run, &armed);
		note(w, "  KVM_RUN private vcpu (run %d)", i);
		ret = run_ioctl(w, vcpu, 0);
		result(w, opi, ret, errno);
		gcopy(w, run + offsetof(struct kvm_run, immediate_exit), &zero, 1);
		gcopy(w, run + offsetof(struct kvm_run, request_interrupt_window), &zero, 1);
		if (ro) {
			mprotect(w->priv, PRIV_SZ, PROT_READ | PROT_WRITE);
			ro = false;
			armed = 0;
		}
		if (ret < 0)
			continue;
		reason = handle_exit(w, run, vcpu_mmap_size, opt_check);
		if (reason == KVM_EXIT_HLT && prog == PR_MMIO && opt_check) {
			struct kvm_regs regs;
			uint64_t bm[2] = { 0, 0 };
			struct kvm_dirty_log l = { .slot = 1, .dirty_bitmap = bm };

			if (ioctl(vcpu, KVM_GET_REGS, &regs) || regs.rip != 0x1000 + MMIO16_AFTER_HLT)
				continue;
			if (ioctl(vm, KVM_GET_DIRTY_LOG, &l))
				continue;
			if (armed && !(bm[0] & 1))
				inconsistent(w, "dirty log of slot 1 misses page 0 that the guest wrote before HLT");
			armed = 1;
		}
		if (reason == KVM_EXIT_SHUTDOWN || reason == KVM_EXIT_FAIL_ENTRY ||
		    reason == KVM_EXIT_INTERNAL_ERROR) {
			if (!random || chance(r, 50))
				break;
		}
	}
	priv_release(w, vm, vcpu, run);
}

/* a pool vCPU runs whatever state the other operations left it in */
static void op_pool_run(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	int i, idx, fd, vmfd = -1, n = 1 + rn(r, 4);
	size_t maplen;
	char *area;
	long ret;

	if (opt_guest != GUEST_RANDOM)
		return;
	pthread_mutex_lock(&plock);
	idx = pool_pick_locked(w, M(K_VCPU));
	if (idx < 0) {
		pthread_mutex_unlock(&plock);
		return;
	}
	fd = pool[idx].fd;
	area = pool[idx].area;
	maplen = pool[idx].mapped;
	i = pool[idx].vm;
	if (i >= 0 && pool[i].kind == K_VM && pool[i].gen == pool[idx].vm_gen)
		vmfd = pool[i].fd;
	pthread_mutex_unlock(&plock);

	if (vmfd >= 0 && chance(r, 40)) {
		struct arena *a = &arenas[rn(r, NARENA)];
		size_t off = rn(r, (ARENA_SZ - PRIV_LOW) / PAGE) * PAGE;
		int prog = rn(r, PR_N), slot = rn(r, 4);

		note(w, "pool-run setup vcpu fd=%d vm fd=%d slot %d arena %d+%#zx prog %s", fd, vmfd,
		     slot, (int)(a - arenas), off, prog_name[prog]);
		layout_guest(w, a->base + off, prog);
		set_region(vmfd, slot, 0, 0, PRIV_LOW, a->base + off);
		start_guest(fd, GM_REAL, 0x1000);
	}
	for (i = 0; i < n; i++) {
		note(w, "pool-run KVM_RUN fd=%d (%d/%d)", fd, i + 1, n);
		ret = run_ioctl(w, fd, 0);
		result(w, op - ops, ret, errno);
		if (ret < 0)
			break;
		if (maplen)
			handle_exit(w, area, maplen, false);
	}
}

/* ---- round trips on a private vCPU: what is set must read back ---- */

static void op_roundtrip(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	int vm, vcpu, i;
	char *run;
	struct kvm_regs a, b;
	struct kvm_debugregs da, db;
	struct kvm_sregs sa, sb;
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[8];
	} ma, mb;
	static const uint32_t idx[] = { 0xc0000081, 0xc0000082, 0xc0000102, 0x174, 0x175, 0x176, 0x277 };
	long ret;

	if (!opt_check)
		return;
	if (priv_vm(w, &vm, &vcpu, &run)) {
		result(w, op - ops, -1, errno);
		return;
	}
	note(w, "roundtrip-check vm=%d vcpu=%d", vm, vcpu);
	w->cnt[op - ops]++;

	/* general-purpose registers */
	fill_random(r, &a, sizeof(a));
	a.rflags = 2 | (rnd(r) & 0xcd5);
	if (!ioctl(vcpu, KVM_SET_REGS, &a) && !ioctl(vcpu, KVM_GET_REGS, &b) &&
	    memcmp(&a, &b, sizeof(a)))
		for (i = 0; i < (int)(sizeof(a) / 8); i++)
			if (((uint64_t *)&a)[i] != ((uint64_t *)&b)[i])
				inconsistent(w, "KVM_GET_REGS word %d reads %#llx after KVM_SET_REGS %#llx", i,
					     (unsigned long long)((uint64_t *)&b)[i],
					     (unsigned long long)((uint64_t *)&a)[i]);

	/* debug registers */
	memset(&da, 0, sizeof(da));
	for (i = 0; i < 4; i++)
		da.db[i] = canonical(r);
	da.dr6 = 0xffff0ff0;
	da.dr7 = 0x400 | (rnd(r) & 0xff);
	if (!ioctl(vcpu, KVM_SET_DEBUGREGS, &da) && !ioctl(vcpu, KVM_GET_DEBUGREGS, &db) &&
	    (memcmp(da.db, db.db, sizeof(da.db)) || da.dr7 != db.dr7))
		inconsistent(w, "KVM_GET_DEBUGREGS db0 %#llx dr7 %#llx after setting %#llx %#llx",
			     (unsigned long long)db.db[0], (unsigned long long)db.dr7,
			     (unsigned long long)da.db[0], (unsigned long long)da.dr7);

	/* MSRs */
	memset(&ma, 0, sizeof(ma));
	ma.h.nmsrs = 7;
	for (i = 0; i < 7; i++) {
		ma.e[i].index = idx[i];
		ma.e[i].data = canonical(r);
	}
	ma.e[0].data = rnd(r);				/* STAR */
	ma.e[3].data = (uint16_t)rnd(r);		/* SYSENTER_CS */
	ma.e[6].data = 0x0007040600070406ull;		/* PAT */
	ret = ioctl(vcpu, KVM_SET_MSRS, &ma);
	if (ret != 7) {
		inconsistent(w, "KVM_SET_MSRS of 7 valid MSRs returned %ld (errno %d)", ret, errno);
	} else {
		mb = ma;
		for (i = 0; i < 7; i++)
			mb.e[i].data = 0;
		ret = ioctl(vcpu, KVM_GET_MSRS, &mb);
		if (ret != 7)
			inconsistent(w, "KVM_GET_MSRS of 7 MSRs returned %ld", ret);
		else
			for (i = 0; i < 7; i++)
				if (ma.e[i].data != mb.e[i].data)
					inconsistent(w, "MSR %#x reads %#llx after writing %#llx", idx[i],
						     (unsigned long long)mb.e[i].data,
						     (unsigned long long)ma.e[i].data);
	}

	/* MP state */
	if (!ioctl(vcpu, KVM_SET_MP_STATE, &mp)) {
		mp.mp_state = 77;
		if (!ioctl(vcpu, KVM_GET_MP_STATE, &mp) && mp.mp_state != KVM_MP_STATE_RUNNABLE)
			inconsistent(w, "KVM_GET_MP_STATE %u after setting RUNNABLE", mp.mp_state);
	}

	/* a flat 32-bit protected-mode state */
	if (!ioctl(vcpu, KVM_GET_SREGS, &sa)) {
		mode_sregs(&sa, GM_PROT32);
		sa.cr3 = rn(r, 0x100000) * PAGE;
		sa.ds.base = rn(r, 0x10000) * 16;
		sa.ds.limit = 0xfffff;
		sa.ds.g = 0;
		sa.gdt.base = rn(r, 0x10000) * 8;
		sa.idt.limit = 0x7ff;
		if (!ioctl(vcpu, KVM_SET_SREGS, &sa) && !ioctl(vcpu, KVM_GET_SREGS, &sb)) {
			struct kvm_segment *x[] = { &sa.cs, &sa.ds, &sa.es, &sa.ss, &sa.fs, &sa.gs };
			struct kvm_segment *y[] = { &sb.cs, &sb.ds, &sb.es, &sb.ss, &sb.fs, &sb.gs };

			if (sa.cr0 != sb.cr0 || sa.cr3 != sb.cr3 || sa.cr4 != sb.cr4 || sa.efer != sb.efer)
				inconsistent(w, "KVM_GET_SREGS cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx after "
					     "setting %#llx %#llx %#llx %#llx",
					     (unsigned long long)sb.cr0, (unsigned long long)sb.cr3,
					     (unsigned long long)sb.cr4, (unsigned long long)sb.efer,
					     (unsigned long long)sa.cr0, (unsigned long long)sa.cr3,
					     (unsigned long long)sa.cr4, (unsigned long long)sa.efer);
			if (sa.gdt.base != sb.gdt.base || sa.gdt.limit != sb.gdt.limit ||
			    sa.idt.base != sb.idt.base || sa.idt.limit != sb.idt.limit)
				inconsistent(w, "KVM_GET_SREGS descriptor tables differ from what was set");
			for (i = 0; i < 6; i++)
				if (x[i]->base != y[i]->base || x[i]->limit != y[i]->limit ||
				    x[i]->selector != y[i]->selector || x[i]->type != y[i]->type ||
				    x[i]->db != y[i]->db || x[i]->present != y[i]->present)
					inconsistent(w, "segment %d reads base %#llx limit %#x sel %#x type %u "
						     "after setting %#llx %#x %#x %u", i,
						     (unsigned long long)y[i]->base, y[i]->limit,
						     y[i]->selector, y[i]->type,
						     (unsigned long long)x[i]->base, x[i]->limit,
						     x[i]->selector, x[i]->type);
		}
	}

	/* CPUID: the same leaves come back */
	if (supported_cpuid) {
		size_t sz = sizeof(struct kvm_cpuid2) + 300 * sizeof(struct kvm_cpuid_entry2);
		struct kvm_cpuid2 *c = calloc(1, sz);

		if (c) {
			c->nent = 300;
			if (ioctl(vcpu, KVM_GET_CPUID2, c))
				inconsistent(w, "KVM_GET_CPUID2 failed after KVM_SET_CPUID2 (errno %d)", errno);
			else if (c->nent > supported_cpuid->nent && c->nent != 300)
				inconsistent(w, "KVM_GET_CPUID2 has %u entries, %u were set", c->nent,
					     supported_cpuid->nent);
			else if (c->nent == 300)
				/* KVM 6.1 leaves nent alone when it succeeds: nothing to count */
				(void)0;
			else
				/* KVM may drop leaves it does not know; it never adds any */
				for (i = 0; i < (int)c->nent; i++) {
					int j;

					for (j = 0; j < (int)supported_cpuid->nent; j++)
						if (c->entries[i].function == supported_cpuid->entries[j].function &&
						    c->entries[i].index == supported_cpuid->entries[j].index)
							break;
					if (j == (int)supported_cpuid->nent)
						inconsistent(w, "KVM_GET_CPUID2 entry %d (%#x.%u) was never set", i,
							     c->entries[i].function, c->entries[i].index);
				}
			free(c);
		}
	}
	priv_release(w, vm, vcpu, run);
}

/* ---- a child process: the VM and vCPU fds must refuse a foreign mm ---- */

static void child_say(const char *what, int fd, long got)
{
	char buf[128], num[24];
	int n = 0, k;
	unsigned long v;

	n += snprintf(buf, sizeof(buf), "INCONSISTENT (fork child): %s fd ", what);
	for (k = 0, v = fd; k == 0 || v; v /= 10)
		num[k++] = '0' + v % 10;
	while (k && n < (int)sizeof(buf) - 1)
		buf[n++] = num[--k];
	n += snprintf(buf + n, sizeof(buf) - n, " got errno %ld\n", got);
	if (write(2, buf, n) < 0)
		(void)0;
}

static void op_fork(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	uint64_t cseed = rnd(r);
	int i, st = 0, bad = 0;
	pid_t pid;
	uint64_t t;

	note(w, "fork-child");
	pthread_mutex_lock(&plock);
	pid = fork();
	if (pid == 0) {
		struct rng cr;
		struct kvm_regs regs;

		rng_seed(&cr, cseed);
		for (i = 0; i < POOL; i++) {
			struct ent *e = &pool[i];
			long ret;

			if (e->kind == K_VM) {
				struct kvm_userspace_memory_region m = { 0, 0, 0, PAGE, (uintptr_t)arenas[0].base };

				ret = rn(&cr, 2) ? ioctl(e->fd, KVM_CREATE_VCPU, 7) :
					ioctl(e->fd, KVM_SET_USER_MEMORY_REGION, &m);
				if (ret >= 0 || errno != EIO) {
					child_say("VM ioctl from another mm on", e->fd, ret >= 0 ? 0 : errno);
					bad++;
				}
			} else if (e->kind == K_VCPU) {
				ret = rn(&cr, 2) ? ioctl(e->fd, KVM_GET_REGS, &regs) : ioctl(e->fd, KVM_RUN, 0);
				if (ret >= 0 || errno != EIO) {
					child_say("vCPU ioctl from another mm on", e->fd, ret >= 0 ? 0 : errno);
					bad++;
				}
			} else if (e->kind == K_SYS && rn(&cr, 4) == 0) {
				/* a VM of the child's own, left for exit to destroy */
				int vm = ioctl(e->fd, KVM_CREATE_VM, 0);

				if (vm >= 0) {
					set_region(vm, 0, 0, 0, ARENA_SZ, arenas[rn(&cr, NARENA)].base);
					ioctl(vm, KVM_CREATE_VCPU, 0);
				}
			}
		}
		_exit(bad ? 10 : 0);
	}
	pthread_mutex_unlock(&plock);
	result(w, op - ops, pid, errno);
	if (pid < 0)
		return;
	t = now_ns();
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ns() - t > 20ull * 1000000000ull) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			inconsistent(w, "fork child did not finish in 20 s");
			return;
		}
		usleep(2000);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 10)
		inconsistent(w, "the fork child could use a VM or vCPU fd from another mm");
	else if (!WIFEXITED(st))
		inconsistent(w, "the fork child died with status %#x", st);
}

/* eventfds behind irqfds and ioeventfds: signal, drain, close under them */
static void op_eventfd_signal(struct worker *w, const struct op *op)
{
	int fd = w->efd[rn(&w->rng, 2)];
	uint64_t v = 1 + rn(&w->rng, 3);
	long r;

	if (chance(&w->rng, 50)) {
		note(w, "eventfd %d write %llu", fd, (unsigned long long)v);
		r = write(fd, &v, 8);
	} else {
		note(w, "eventfd %d read", fd);
		r = read(fd, &v, 8);
	}
	result(w, op - ops, r, errno);
}

static void op_eventfd_recycle(struct worker *w, const struct op *op)
{
	int i = rn(&w->rng, 2), fd = w->efd[i], n;

	note(w, "eventfd %d closed and made anew", fd);
	close(fd);
	n = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	result(w, op - ops, n, errno);
	if (n >= 0)
		w->efd[i] = move_fd(n, fd);
}

/* KVM_CAP_SYNC_REGS: state handed in through kvm_run itself */
static void op_sync_regs(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	int idx, fd = pool_pick(w, M(K_VCPU), &idx);
	struct kvm_sregs s;
	struct kvm_regs regs;
	uint64_t valid, dirty;
	char *run;

	if (fd < 0)
		return;
	run = pool[idx].area;
	valid = chance(r, 80) ? rn(r, 8) : bval(r);
	dirty = chance(r, 80) ? rn(r, 8) : bval(r);
	if (opt_guest != GUEST_RANDOM)
		dirty = 0;	/* safe guests: nothing random goes in */
	switch (rn(r, 3)) {
	case 0:
		fetch(fd, KVM_GET_SREGS, &s);
		sregs_mutate(r, &s);
		gcopy(w, run + offsetof(struct kvm_run, s.regs.sregs), &s, sizeof(s));
		break;
	case 1:
		fetch(fd, KVM_GET_REGS, &regs);
		((uint64_t *)&regs)[rn(r, sizeof(regs) / 8)] = bval(r);
		gcopy(w, run + offsetof(struct kvm_run, s.regs.regs), &regs, sizeof(regs));
		break;
	default:
		gfill(w, run + offsetof(struct kvm_run, s.regs.events), sizeof(struct kvm_vcpu_events));
		break;
	}
	note(w, "sync-regs fd=%d valid=%#llx dirty=%#llx", fd, (unsigned long long)valid,
	     (unsigned long long)dirty);
	gcopy(w, run + offsetof(struct kvm_run, kvm_valid_regs), &valid, 8);
	gcopy(w, run + offsetof(struct kvm_run, kvm_dirty_regs), &dirty, 8);
	w->cnt[op - ops]++;
}

/*
 * A VM with an irqchip, a vCPU, an irqfd (maybe with a resample fd) and an
 * ioeventfd, the eventfds signalled, then everything closed in a random
 * order with more signals in between: irqfd injection from a workqueue
 * against VM and eventfd teardown.
 */
static void op_irqfd_race(struct worker *w, const struct op *op)
{
	struct rng *r = &w->rng;
	int sys, fds[5] = { -1, -1, -1, -1, -1 }, i, j, k;
	struct kvm_irqfd irqfd;
	struct kvm_ioeventfd ioev;
	uint64_t one = 1;

	sys = open(opt_device, O_RDWR | O_CLOEXEC);
	if (sys < 0)
		return;
	fds[0] = ioctl(sys, KVM_CREATE_VM, 0);
	close(sys);
	if (fds[0] < 0) {
		result(w, op - ops, -1, errno);
		return;
	}
	atomic_fetch_add(&vms_made, 1);
	ioctl(fds[0], KVM_CREATE_IRQCHIP, 0);
	if (chance(r, 70))
		fds[1] = ioctl(fds[0], KVM_CREATE_VCPU, rn(r, 4));
	fds[2] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fds[3] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fds[4] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = fds[2];
	irqfd.gsi = rn(r, 24);
	if (chance(r, 40)) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = fds[3];
	}
	memset(&ioev, 0, sizeof(ioev));
	ioev.addr = chance(r, 50) ? 0x10 : 0x40010;
	ioev.len = chance(r, 50) ? 1 : 0;
	ioev.fd = fds[4];
	ioev.flags = ioev.addr == 0x10 ? KVM_IOEVENTFD_FLAG_PIO : 0;
	note(w, "irqfd-teardown-race vm=%d vcpu=%d irqfd gsi %u flags %#x ioeventfd %#llx", fds[0],
	     fds[1], irqfd.gsi, irqfd.flags, (unsigned long long)ioev.addr);
	w->cnt[op - ops]++;
	i = ioctl(fds[0], KVM_IRQFD, &irqfd);
	w->err[op - ops][i < 0 && errno < NERR ? errno : 0]++;
	ioctl(fds[0], KVM_IOEVENTFD, &ioev);
	for (k = rn(r, 4); k > 0; k--)
		if (write(fds[2], &one, 8) < 0)
			break;
	/* close in a random order, signalling in between */
	for (i = 4; i >= 0; i--) {
		j = rn(r, i + 1);
		k = fds[j];
		fds[j] = fds[i];
		fds[i] = k;
		if (k >= 0)
			close(k);
		if (chance(r, 50))
			for (j = 0; j < i; j++)
				if (fds[j] >= 0 && write(fds[j], &one, 8) < 0)
					(void)0;
	}
}

static void op_yield(struct worker *w, const struct op *op)
{
	w->cnt[op - ops]++;
	if (chance(&w->rng, 50))
		sched_yield();
	else
		usleep(rn(&w->rng, 2000));
}

/* ------------------------------------------------------------------ */
/* the kernel log: a warning stops the run and names recent operations */

static int kmsg_fd = -1;
static int kmsg_lines_left;
static const char *const kpat[] = {
	"BUG:", "WARNING:", "Oops", "general protection fault", "Call Trace",
	"soft lockup", "hard LOCKUP", "KASAN", "UBSAN:", "Kernel panic",
	"kernel BUG", "INFO: task", "rcu_sched detected stall", "rcu: INFO",
	"Bad FPU state", "unchecked MSR access", "refcount_t:", "list_add corruption",
	"list_del corruption", "BUG kmalloc", "Poison overwritten", "Redzone",
};

static void dump_rings(int last)
{
	int i, j;

	for (i = 0; i < opt_threads; i++) {
		struct worker *w = &workers[i];
		unsigned n = atomic_load(&w->ring_n), from = n > (unsigned)last ? n - last : 0;

		fprintf(stderr, "--- thread T%d (tid %d): its last %u operations (seed %" PRIu64 ")\n",
			w->idx, w->tid, n - from, opt_seed);
		for (j = from; j < (int)n; j++) {
			struct ringent *e = &w->ring[j % RING];

			fprintf(stderr, "T%d [%5" PRIu64 ".%06" PRIu64 "] %s\n", w->idx,
				(uint64_t)(e->ns / 1000000000ull), (uint64_t)((e->ns / 1000) % 1000000ull), e->txt);
		}
	}
}

static void kmsg_poll(void)
{
	char buf[2048];
	ssize_t n;
	int i;

	if (kmsg_fd < 0)
		return;
	while ((n = read(kmsg_fd, buf, sizeof(buf) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg;

		if (n <= 0)
			continue;	/* EPIPE: records were overwritten */
		buf[n] = 0;
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		if (kmsg_lines_left > 0) {
			kmsg_lines_left--;
			fprintf(stderr, "KERNEL: %s", msg);
		}
		for (i = 0; i < (int)(sizeof(kpat) / sizeof(kpat[0])); i++) {
			if (!strstr(msg, kpat[i]))
				continue;
			if (atomic_fetch_add(&kernel_complaints, 1) == 0) {
				fprintf(stderr, "ioctl-fuzz: the kernel complained (seed %" PRIu64 "): %s",
					opt_seed, msg);
				dump_rings(64);
				kmsg_lines_left = 80;
			}
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* worker threads                                                     */

static int pick_op(struct rng *r)
{
	static int total;
	int i, k;

	if (!total)
		for (i = 0; i < NOPS; i++)
			total += ops[i].weight;
	if (!total)
		return -1;
	k = rn(r, total);
	for (i = 0; i < NOPS; i++) {
		k -= ops[i].weight;
		if (k < 0)
			return i;
	}
	return NOPS - 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sigevent sev;
	char *s;

	tw = w;
	w->tid = gettid_();
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = w->tid;
	w->has_timer = timer_create(CLOCK_MONOTONIC, &sev, &w->timer) == 0;
	if (!w->has_timer)
		fprintf(stderr, "ioctl-fuzz: T%d: timer_create: %s (KVM_RUN will not be run)\n",
			w->idx, strerror(errno));

	/* scratch: 15 rw, 1 ro, 1 none, 1 rw, 1 none, 1 rw (generator use) */
	s = mmap(NULL, SCR_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	fill_random(&w->rng, s, SCR_PAGES * PAGE);
	/* the read-only page is read as a signal mask at times: no SIGUSR1 in it */
	for (size_t i = 0; i < PAGE; i++)
		s[15 * PAGE + i] &= ~(1 << ((SIGUSR1 - 1) % 8));
	mprotect(s + 15 * PAGE, PAGE, PROT_READ);
	mprotect(s + 16 * PAGE, PAGE, PROT_NONE);
	mprotect(s + 18 * PAGE, PAGE, PROT_NONE);
	w->scr = s;

	w->efd[0] = move_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 1500 + 4 * w->idx);
	w->efd[1] = move_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 1501 + 4 * w->idx);
	w->privfd = memfd_create("ioctl-fuzz-guest", 0);
	if (w->privfd < 0 || ftruncate(w->privfd, PRIV_SZ))
		return NULL;
	w->privfd = move_fd(w->privfd, PRIV_FD_BASE + 4 * w->idx + 2);
	w->priv = mmap(NULL, PRIV_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, w->privfd, 0);
	if (w->priv == MAP_FAILED)
		return NULL;

	while (!atomic_load(&stop_flag)) {
		int opi = pick_op(&w->seq);

		/*
		 * Each operation draws from its own generator, seeded from the
		 * thread's sequence: what the kernel answers (an EINTR, an exit
		 * that wants data) changes how much one operation draws, but
		 * never which operations follow.
		 */
		rng_seed(&w->rng, rnd(&w->seq));

		if (opi < 0)
			break;
		if (opt_ops && atomic_fetch_add(&ops_done, 1) >= opt_ops)
			break;
		if (!opt_ops)
			atomic_fetch_add(&ops_done, 1);
		w->nops++;
		atomic_store(&w->cur_op, opi);
		atomic_store(&w->op_start, now_ns());
		ops[opi].fn(w, &ops[opi]);
		atomic_store(&w->op_start, 0);
	}
	if (w->has_timer)
		timer_delete(w->timer);
	w->done = 1;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* setup, statistics, main                                            */

static void usage(void)
{
	fprintf(stderr,
"usage: ioctl-fuzz [options]\n"
"  --device PATH     the KVM-ABI device (default /dev/rust_kvm)\n"
"  --seed N          seed (default: from the time; always printed)\n"
"  --seconds S       stop after S seconds (default 10 unless --ops)\n"
"  --ops N           stop after N operations in all\n"
"  --threads T       worker threads racing on the shared fds (default 4)\n"
"  --guest MODE      none | safe | random: which guests run (default random\n"
"                    on a device named *rust_kvm*, safe elsewhere)\n"
"  --only OP,OP,..   run only these operations (names as in the statistics)\n"
"  --weight OP=N     change one operation's weight (repeatable)\n"
"  --max-vms N       live VM fds kept in the pool (default 6)\n"
"  --max-vcpus N     live vCPU fds kept in the pool (default 24)\n"
"  --avoid BUG,..    steer clear of known rkvm bugs so a run can find others:\n"
"                    fpu-mxcsr (KVM_SET_FPU with reserved MXCSR bits)\n"
"  --no-check        no round-trip or result checks\n"
"  --no-kmsg         do not watch /dev/kmsg for kernel warnings\n"
"  --keep-going      go on after a kernel warning\n"
"  --hang S          report an operation running longer than S s (default 30)\n"
"  --sysrq           on a hang, also dump blocked tasks (echo w > sysrq-trigger)\n"
"  --list-ops        print the operations and their weights\n"
"  -v, -vv           log each operation before it is issued (-vv: and its result)\n"
"exit status: 0 clean, 1 an inconsistency seen, 2 the kernel logged a warning,\n"
"3 an operation hung, 4 setup failed\n");
	exit(4);
}

static int find_op(const char *name, size_t len)
{
	int i;

	for (i = 0; i < NOPS; i++)
		if (strlen(ops[i].name) == len && !strncmp(ops[i].name, name, len))
			return i;
	return -1;
}

static void print_stats(double secs)
{
	uint64_t cnt[NOPS] = { 0 }, exits[NEXIT] = { 0 }, total = 0;
	static uint64_t err[NOPS][NERR];
	int i, j, k;

	for (k = 0; k < opt_threads; k++) {
		for (i = 0; i < NOPS; i++) {
			cnt[i] += workers[k].cnt[i];
			for (j = 0; j < NERR; j++)
				err[i][j] += workers[k].err[i][j];
		}
		for (j = 0; j < NEXIT; j++)
			exits[j] += workers[k].exits[j];
	}
	printf("%-34s %9s %9s  errors\n", "operation", "count", "ok");
	for (i = 0; i < NOPS; i++) {
		char line[1024];
		int n = 0;

		total += cnt[i];
		if (!cnt[i])
			continue;
		for (j = 1; j < NERR && n < (int)sizeof(line) - 32; j++)
			if (err[i][j])
				n += snprintf(line + n, sizeof(line) - n, " %s:%" PRIu64,
					      j == NERR - 1 ? "other" : (strerrorname_np(j) ?: "?"),
					      err[i][j]);
		line[n] = 0;
		printf("%-34s %9" PRIu64 " %9" PRIu64 " %s\n", ops[i].name, cnt[i], err[i][0], line);
	}
	printf("guest exits:");
	for (j = 0; j < NEXIT; j++)
		if (exits[j])
			printf(" %d:%" PRIu64, j == 64 ? -1 : j, exits[j]);
	printf("\n%" PRIu64 " operations in %.1f s (%.0f/s), %d threads; %llu VMs and %llu vCPUs made\n",
	       total, secs, secs > 0 ? total / secs : 0.0, opt_threads,
	       (unsigned long long)atomic_load(&vms_made), (unsigned long long)atomic_load(&vcpus_made));
}

static void setup_device_info(int sys)
{
	struct kvm_cpuid2 *c;
	struct {
		struct kvm_msr_list h;
		uint32_t idx[512];
	} ml;
	int n;

	n = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n > 0)
		vcpu_mmap_size = n < (int)(AREA_PAGES * PAGE) ? n : (int)(AREA_PAGES * PAGE);
	c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	if (c) {
		c->nent = 256;
		if (ioctl(sys, KVM_GET_SUPPORTED_CPUID, c) == 0)
			supported_cpuid = c;
		else
			free(c);
	}
	ml.h.nmsrs = 512;
	if (ioctl(sys, KVM_GET_MSR_INDEX_LIST, &ml) == 0) {
		msr_list_n = ml.h.nmsrs < 512 ? ml.h.nmsrs : 512;
		memcpy(msr_list, ml.idx, msr_list_n * 4);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct rlimit rl;
	struct rng cr;
	bool seeded = false, keep_going = false;
	int i, sys, status = 0;
	uint64_t deadline = 0, last_progress;
	double secs;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--device") && v) {
			opt_device = v; i++;
		} else if (!strcmp(a, "--seed") && v) {
			opt_seed = strtoull(v, NULL, 0); seeded = true; i++;
		} else if (!strcmp(a, "--seconds") && v) {
			opt_seconds = atof(v); i++;
		} else if (!strcmp(a, "--ops") && v) {
			opt_ops = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--threads") && v) {
			opt_threads = atoi(v); i++;
		} else if (!strcmp(a, "--guest") && v) {
			opt_guest = !strcmp(v, "none") ? GUEST_NONE : !strcmp(v, "safe") ? GUEST_SAFE :
				    !strcmp(v, "random") ? GUEST_RANDOM : -2;
			if (opt_guest == -2)
				usage();
			i++;
		} else if (!strcmp(a, "--only") && v) {
			opt_only = v; i++;
		} else if (!strcmp(a, "--weight") && v) {
			const char *eq = strchr(v, '=');
			int k = eq ? find_op(v, eq - v) : -1;

			if (k < 0) {
				fprintf(stderr, "ioctl-fuzz: no operation in '%s'\n", v);
				usage();
			}
			ops[k].weight = atoi(eq + 1);
			i++;
		} else if (!strcmp(a, "--max-vms") && v) {
			opt_max_vms = atoi(v); i++;
		} else if (!strcmp(a, "--max-vcpus") && v) {
			opt_max_vcpus = atoi(v); i++;
		} else if (!strcmp(a, "--hang") && v) {
			opt_hang_s = atoi(v); i++;
		} else if (!strcmp(a, "--avoid") && v) {
			if (strstr(v, "fpu-mxcsr"))
				avoid_fpu_mxcsr = 1;
			else
				usage();
			i++;
		} else if (!strcmp(a, "--no-check")) {
			opt_check = 0;
		} else if (!strcmp(a, "--no-kmsg")) {
			opt_kmsg = 0;
		} else if (!strcmp(a, "--keep-going")) {
			keep_going = true;
		} else if (!strcmp(a, "--sysrq")) {
			opt_sysrq = 1;
		} else if (!strcmp(a, "--list-ops")) {
			for (i = 0; i < NOPS; i++)
				printf("%-34s %d\n", ops[i].name, ops[i].weight);
			return 0;
		} else if (!strcmp(a, "-v")) {
			opt_verbose = 1;
		} else if (!strcmp(a, "-vv")) {
			opt_verbose = 2;
		} else {
			usage();
		}
	}
	if (opt_threads < 1 || opt_threads > 64)
		usage();
	if (!seeded)
		opt_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (now_ns() & 0xffff);
	if (!opt_ops && opt_seconds <= 0)
		opt_seconds = 10;
	if (opt_guest < 0)
		opt_guest = strstr(opt_device, "rust_kvm") ? GUEST_RANDOM : GUEST_SAFE;
	if (opt_only) {
		int w[NOPS] = { 0 };
		const char *p = opt_only;

		while (*p) {
			size_t len = strcspn(p, ",");
			int k = find_op(p, len);

			if (k < 0) {
				fprintf(stderr, "ioctl-fuzz: no operation '%.*s' (see --list-ops)\n", (int)len, p);
				return 4;
			}
			w[k] = ops[k].weight ? ops[k].weight : 1;
			p += len + (p[len] == ',');
		}
		for (i = 0; i < NOPS; i++)
			ops[i].weight = w[i];
	}
	if (opt_guest != GUEST_RANDOM) {
		/* pool vCPUs hold whatever state the fuzzer gave them: never run them */
		ops[find_op("KVM_RUN", 7)].weight = 0;
		ops[find_op("pool-run", 8)].weight = 0;
	}
	if (opt_guest == GUEST_NONE)
		ops[find_op("guest-run", 9)].weight = 0;

	printf("ioctl-fuzz: seed %" PRIu64 " device %s threads %d guest %s %s%.0f%s%s\n", opt_seed,
	       opt_device, opt_threads,
	       opt_guest == GUEST_RANDOM ? "random" : opt_guest == GUEST_SAFE ? "safe" : "none",
	       opt_seconds > 0 ? "seconds " : "", opt_seconds > 0 ? opt_seconds : 0,
	       opt_ops ? " ops " : "", opt_ops ? "(bounded)" : "");
	printf("ioctl-fuzz: replay with: ioctl-fuzz --device %s --seed %" PRIu64 " --threads %d%s\n",
	       opt_device, opt_seed, opt_threads, opt_guest == GUEST_SAFE ? " --guest safe" : "");
	fflush(stdout);

	/* fds of private VMs live at 1000+; the pool's never get there */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 2048) {
		rl.rlim_cur = rl.rlim_max < 2048 ? rl.rlim_max : 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nop_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sys = open(opt_device, O_RDWR | O_CLOEXEC);
	if (sys < 0) {
		fprintf(stderr, "ioctl-fuzz: %s: %s\n", opt_device, strerror(errno));
		return 4;
	}
	setup_device_info(sys);
	if (setup_arenas()) {
		fprintf(stderr, "ioctl-fuzz: cannot set up guest memory: %s\n", strerror(errno));
		return 4;
	}
	areas = mmap(NULL, POOL * AREA_PAGES * PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (areas == MAP_FAILED)
		return 4;
	for (i = 0; i < POOL; i++)
		pool[i].area = areas + (size_t)i * AREA_PAGES * PAGE;
	rng_seed(&cr, opt_seed);
	{
		struct worker tmp = { 0 };

		tmp.rng = cr;
		pool_add(&tmp, K_SYS, sys, -1);
	}
	if (opt_kmsg) {
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kmsg_fd >= 0)
			lseek(kmsg_fd, 0, SEEK_END);
	}

	workers = calloc(opt_threads, sizeof(*workers));
	if (!workers)
		return 4;
	t0_ns = now_ns();
	if (opt_seconds > 0)
		deadline = t0_ns + (uint64_t)(opt_seconds * 1e9);
	for (i = 0; i < opt_threads; i++) {
		workers[i].idx = i;
		rng_seed(&workers[i].seq, opt_seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
		workers[i].rng = workers[i].seq;
		if (pthread_create(&workers[i].th, NULL, worker_main, &workers[i])) {
			fprintf(stderr, "ioctl-fuzz: pthread_create failed\n");
			return 4;
		}
	}

	/* watch the clock, the kernel log and the workers */
	last_progress = now_ns();
	for (;;) {
		uint64_t t = now_ns();
		int running = 0;

		usleep(50000);
		kmsg_poll();
		if (atomic_load(&kernel_complaints) && !keep_going)
			atomic_store(&stop_flag, 1);
		if (deadline && t >= deadline)
			atomic_store(&stop_flag, 1);
		for (i = 0; i < opt_threads; i++) {
			struct worker *w = &workers[i];
			uint64_t st = atomic_load(&w->op_start);

			running += !w->done;
			if (st && t > st && t - st > (uint64_t)opt_hang_s * 1000000000ull) {
				fprintf(stderr, "ioctl-fuzz: HANG: T%d has been in operation %s for %.1f s "
					"(seed %" PRIu64 ")\n", w->idx, ops[atomic_load(&w->cur_op)].name,
					(t - st) / 1e9, opt_seed);
				dump_rings(32);
				if (opt_sysrq) {
					int fd = open("/proc/sysrq-trigger", O_WRONLY);

					if (fd >= 0) {
						if (write(fd, "w", 1) < 0)
							(void)0;
						close(fd);
					}
					usleep(500000);
					kmsg_poll();
				}
				fflush(stdout);
				_exit(3);
			}
		}
		if (!running)
			break;
		if (t - last_progress > 10000000000ull) {
			last_progress = t;
			fprintf(stderr, "ioctl-fuzz: %.0f s, %llu operations\n", (t - t0_ns) / 1e9,
				(unsigned long long)atomic_load(&ops_done));
		}
	}
	for (i = 0; i < opt_threads; i++)
		pthread_join(workers[i].th, NULL);
	secs = (now_ns() - t0_ns) / 1e9;

	/* close what is left, in a random order */
	for (;;) {
		struct worker tmp = { 0 };

		tmp.rng = cr;
		pthread_mutex_lock(&plock);
		i = pool_pick_locked(&tmp, LIVE);
		if (i >= 0)
			pool_close_locked(i);
		pthread_mutex_unlock(&plock);
		cr = tmp.rng;
		if (i < 0)
			break;
	}
	usleep(200000);
	kmsg_poll();

	print_stats(secs);
	if (atomic_load(&inconsistencies))
		status = 1;
	if (atomic_load(&kernel_complaints))
		status = 2;
	printf("ioctl-fuzz: seed %" PRIu64 ": %d inconsistencies, %d kernel complaints: %s\n",
	       opt_seed, atomic_load(&inconsistencies), atomic_load(&kernel_complaints),
	       status ? "FAIL" : "PASS");
	return status;
}
