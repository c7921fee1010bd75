// SPDX-License-Identifier: GPL-2.0
/*
 * tools/perf/kvmperf.c - micro-benchmarks of a KVM implementation through
 * the KVM ioctl ABI, for rkvm's /dev/rust_kvm against the stock kvm_intel's
 * /dev/kvm (tools/perf/run.sh runs both in one bench boot).
 *
 *   kvmperf info                          tsc_hz, THP mode, memory of the box
 *   kvmperf exits     DEVICE LABEL [N]    guest TSC cycles per exit round trip
 *   kvmperf lifecycle DEVICE LABEL [N]    create+slot+vCPU+run to HLT+destroy
 *   kvmperf idlemem   DEVICE LABEL [N]    kernel memory per idle VM (N VMs)
 *   kvmperf fault     DEVICE LABEL MODE [MB]   first touch of MB MiB of guest
 *                     RAM; MODE 4k | 4k-pre | thp | thp-pre (-pre: the host
 *                     memory is populated first, so only the EPT fault counts)
 *   kvmperf dirty     DEVICE LABEL [MB]   dirty-log round trip over MB MiB
 *
 * Every result is one line "PERF LABEL FIGURE VALUE" on stdout (run.sh's
 * report collects them); details are "INFO LABEL ..." lines. Exit status 0
 * when every measurement of the command ran and checked out.
 *
 * The guest is 32-bit protected mode, flat segments, paging off, interrupts
 * off. Each guest program is a bounded loop that ends in HLT (a guest
 * spinning with interrupts off would hang Bochs under kvm_intel). Guest TSC
 * deltas under Bochs are instruction counts: these figures are software path
 * lengths and repeat to 0.1%.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Guest-physical layout (slot 0 holds the low 2 MiB) */
#define LOW_SIZE	(2ul << 20)
#define CODE_GPA	0x1000ul
#define RESULT_GPA	0x8000ul	/* two u64 TSC stamps */
#define STAMPS_GPA	0x10000ul	/* u32 TSC stamps of an exit loop */
#define MAX_ITERS	((LOW_SIZE - STAMPS_GPA) / 4 - 1)
#define BIG_GPA		0x40000000ul	/* slot 1, 2 MiB aligned */
#define MMIO_GPA	0xe0000000ul	/* in no slot */
#define EXIT_PORT	0x10

/*
 * Guest programs (32-bit code, copied to CODE_GPA). Exit loops: ESI =
 * iterations; a TSC stamp (low 32 bits) is stored before each iteration
 * and after the last, so the host gets one delta per iteration. The touch
 * loop: EDI = first address, ESI = pages, EBX = stride; TSC before and
 * after at RESULT_GPA.
 */
#define STR(x) #x
#define XSTR(x) STR(x)
asm(".pushsection .rodata.guest,\"a\"\n"
    ".code32\n"
    ".macro LOOP_HEAD name\n"
    "	.globl guest_\\name\n"
    "guest_\\name:\n"
    "	mov $" XSTR(STAMPS_GPA) ", %edi\n"
    "1:	rdtsc\n"
    "	mov %eax, (%edi)\n"
    "	add $4, %edi\n"
    ".endm\n"
    ".macro LOOP_TAIL name\n"
    "	dec %esi\n"
    "	jnz 1b\n"
    "	rdtsc\n"
    "	mov %eax, (%edi)\n"
    "	hlt\n"
    "	.globl guest_\\name\\()_end\n"
    "guest_\\name\\()_end:\n"
    ".endm\n"
    "LOOP_HEAD empty\n"
    "LOOP_TAIL empty\n"
    "LOOP_HEAD out\n"
    "	out %al, $" XSTR(EXIT_PORT) "\n"
    "LOOP_TAIL out\n"
    "LOOP_HEAD cpuid\n"
    "	mov $1, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "LOOP_TAIL cpuid\n"
    "LOOP_HEAD vmcall\n"
    "	xor %eax, %eax\n"
    "	vmcall\n"
    "LOOP_TAIL vmcall\n"
    "LOOP_HEAD mmio\n"
    "	mov %eax, " XSTR(MMIO_GPA) "\n"
    "LOOP_TAIL mmio\n"
    "	.globl guest_touch\n"
    "guest_touch:\n"
    "	rdtsc\n"
    "	mov %eax, " XSTR(RESULT_GPA) "\n"
    "	mov %edx, " XSTR(RESULT_GPA) "+4\n"
    "2:	movb %al, (%edi)\n"
    "	add %ebx, %edi\n"
    "	dec %esi\n"
    "	jnz 2b\n"
    "	rdtsc\n"
    "	mov %eax, " XSTR(RESULT_GPA) "+8\n"
    "	mov %edx, " XSTR(RESULT_GPA) "+12\n"
    "	hlt\n"
    "	.globl guest_touch_end\n"
    "guest_touch_end:\n"
    "	.globl guest_hlt\n"
    "guest_hlt:\n"
    "	hlt\n"
    "	.globl guest_hlt_end\n"
    "guest_hlt_end:\n"
    ".code64\n"
    ".popsection\n");

#define GUEST_PROG(n) extern const unsigned char guest_##n[], guest_##n##_end[]
GUEST_PROG(empty);
GUEST_PROG(out);
GUEST_PROG(cpuid);
GUEST_PROG(vmcall);
GUEST_PROG(mmio);
GUEST_PROG(touch);
GUEST_PROG(hlt);

static const char *label = "?";
static int sysfd = -1;
static long run_size;
static struct kvm_cpuid2 *cpuid;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvmperf: %s: ", label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	printf("FAIL %s\n", label);
	exit(1);
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* anonymous memory, 2 MiB aligned, THP on or off, optionally populated */
static void *alloc_mem(size_t size, int thp, int populate)
{
	size_t align = 2ul << 20;
	char *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", size, strerror(errno));
	a = (char *)(((uintptr_t)p + align - 1) & ~(align - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + align - a);
	if (madvise(a, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise: %s", strerror(errno));
	if (populate)
		memset(a, 0x5a, size);
	return a;
}

static void open_dev(const char *dev)
{
	sysfd = open(dev, O_RDWR | O_CLOEXEC);
	if (sysfd < 0)
		die("open %s: %s", dev, strerror(errno));
	if (ioctl(sysfd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("KVM_GET_API_VERSION is not %d", KVM_API_VERSION);
	run_size = ioctl(sysfd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
}

static void get_cpuid(void)
{
	int n = 128;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		cpuid->nent = n;
		if (!ioctl(sysfd, KVM_GET_SUPPORTED_CPUID, cpuid))
			return;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(cpuid);
		n *= 2;
	}
}

struct vm {
	int fd, vcpu;
	struct kvm_run *run;
	unsigned long nr_io, nr_mmio;
};

static void vm_create(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->vcpu = -1;
	vm->fd = ioctl(sysfd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
}

static void vm_slot(struct vm *vm, int slot, uint64_t gpa, void *hva,
		    size_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION slot %d: %s", slot,
		    strerror(errno));
}

static void vm_vcpu_create(struct vm *vm)
{
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
}

/* kvm_run mapped; 32-bit protected mode with flat segments, paging off */
static void vm_vcpu_setup(struct vm *vm, int with_cpuid)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 8, .type = 11,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs s;

	vm->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	if (with_cpuid && ioctl(vm->vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2: %s", strerror(errno));
	if (ioctl(vm->vcpu, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS: %s", strerror(errno));
	data.type = 3;
	data.selector = 16;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.cr0 = (s.cr0 | 1) & ~0x80000000ul;	/* PE on, PG off */
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS: %s", strerror(errno));
}

static void vm_vcpu(struct vm *vm, int with_cpuid)
{
	vm_vcpu_create(vm);
	vm_vcpu_setup(vm, with_cpuid);
}

static void vm_regs(struct vm *vm, uint64_t esi, uint64_t edi, uint64_t ebx)
{
	struct kvm_regs r;

	memset(&r, 0, sizeof(r));
	r.rip = CODE_GPA;
	r.rflags = 2;
	r.rsi = esi;
	r.rdi = edi;
	r.rbx = ebx;
	if (ioctl(vm->vcpu, KVM_SET_REGS, &r))
		die("KVM_SET_REGS: %s", strerror(errno));
}

/* KVM_RUN until the guest halts; I/O and MMIO exits are counted and resumed */
static void vm_run(struct vm *vm)
{
	struct kvm_run *run = vm->run;

	for (;;) {
		if (ioctl(vm->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN: %s", strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port != EXIT_PORT)
				die("I/O exit on port %#x", run->io.port);
			vm->nr_io++;
			continue;
		case KVM_EXIT_MMIO:
			if (run->mmio.phys_addr != MMIO_GPA || !run->mmio.is_write)
				die("MMIO exit at %#llx",
				    (unsigned long long)run->mmio.phys_addr);
			vm->nr_mmio++;
			continue;
		case KVM_EXIT_HLT:
			return;
		case KVM_EXIT_INTERNAL_ERROR:
			die("KVM_EXIT_INTERNAL_ERROR suberror %u data %#llx %#llx",
			    run->internal.suberror,
			    (unsigned long long)run->internal.data[0],
			    (unsigned long long)run->internal.data[1]);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			die("KVM_EXIT_FAIL_ENTRY reason %#llx",
			    (unsigned long long)
			    run->fail_entry.hardware_entry_failure_reason);
			break;
		default:
			die("unexpected exit reason %u", run->exit_reason);
		}
	}
}

static void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, run_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	close(vm->fd);
}

static void load_prog(char *low, const unsigned char *start,
		      const unsigned char *end)
{
	memset(low + CODE_GPA, 0xf4, 0x1000);	/* hlt */
	memcpy(low + CODE_GPA, start, end - start);
}

/* ---- exits ------------------------------------------------------------- */

struct loop_stats {
	uint64_t median, min, max;
	double mean;
};

static struct loop_stats exit_loop(struct vm *vm, char *low, const char *name,
				   const unsigned char *s,
				   const unsigned char *e, unsigned long n)
{
	uint32_t *st = (uint32_t *)(low + STAMPS_GPA);
	uint64_t *d = malloc(n * sizeof(*d));
	struct loop_stats r;
	unsigned long i, want_io = 0, want_mmio = 0;
	int pass;

	load_prog(low, s, e);
	if (!strcmp(name, "out"))
		want_io = n;
	if (!strcmp(name, "mmio"))
		want_mmio = n;
	for (pass = 0; pass < 2; pass++) {	/* the first one warms up */
		memset(st, 0, (n + 1) * 4);
		vm->nr_io = vm->nr_mmio = 0;
		vm_regs(vm, n, 0, 0);
		vm_run(vm);
		if (vm->nr_io != want_io || vm->nr_mmio != want_mmio)
			die("%s loop: %lu I/O and %lu MMIO exits for %lu iterations",
			    name, vm->nr_io, vm->nr_mmio, n);
	}
	for (i = 0; i < n; i++)
		d[i] = (uint32_t)(st[i + 1] - st[i]);
	r.mean = (double)(uint32_t)(st[n] - st[0]) / n;
	r.median = median_u64(d, n);
	r.min = d[0];
	r.max = d[n - 1];
	free(d);
	return r;
}

/*
 * Host-side costs that make up an exit to userspace: a null system call,
 * KVM_CHECK_EXTENSION on the system fd (ioctl dispatch), KVM_GET_REGS (a
 * vCPU ioctl: vCPU mutex and load, copy out) and KVM_RUN with
 * immediate_exit set (the run prologue and epilogue without entering the
 * guest). Host TSC cycles, median of 1000.
 */
static void host_costs(struct vm *vm)
{
	enum { N = 1000 };
	static uint64_t d[N];
	uint64_t t;
	int i;

	for (i = 0; i < N; i++) {
		t = rdtsc();
		syscall(SYS_getppid);
		d[i] = rdtsc() - t;
	}
	printf("PERF %s host_syscall %" PRIu64 "\n", label, median_u64(d, N));
	for (i = 0; i < N; i++) {
		int cap = KVM_CAP_USER_MEMORY;

		t = rdtsc();
		if (ioctl(sysfd, KVM_CHECK_EXTENSION, cap) != 1)
			die("KVM_CHECK_EXTENSION(KVM_CAP_USER_MEMORY) is not 1");
		d[i] = rdtsc() - t;
	}
	printf("PERF %s host_check_extension %" PRIu64 "\n", label, median_u64(d, N));
	for (i = 0; i < N; i++) {
		struct kvm_regs regs;

		t = rdtsc();
		if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
			die("KVM_GET_REGS: %s", strerror(errno));
		d[i] = rdtsc() - t;
	}
	printf("PERF %s host_get_regs %" PRIu64 "\n", label, median_u64(d, N));
	vm->run->immediate_exit = 1;
	for (i = 0; i < N; i++) {
		t = rdtsc();
		if (!ioctl(vm->vcpu, KVM_RUN, 0) || errno != EINTR)
			die("KVM_RUN with immediate_exit did not fail with EINTR");
		d[i] = rdtsc() - t;
	}
	vm->run->immediate_exit = 0;
	printf("PERF %s host_run_immediate_exit %" PRIu64 "\n", label,
	       median_u64(d, N));
}

static int cmd_exits(unsigned long n)
{
	static const struct {
		const char *name;
		const unsigned char *s, *e;
	} loops[] = {
		{ "empty", guest_empty, guest_empty_end },
		{ "out", guest_out, guest_out_end },
		{ "cpuid", guest_cpuid, guest_cpuid_end },
		{ "vmcall", guest_vmcall, guest_vmcall_end },
		{ "mmio", guest_mmio, guest_mmio_end },
	};
	char *low = alloc_mem(LOW_SIZE, 0, 1);
	struct loop_stats st, base = { 0 };
	struct vm vm;
	unsigned int i;

	if (n < 1 || n > MAX_ITERS)
		die("iterations must be 1..%lu", MAX_ITERS);
	get_cpuid();
	vm_create(&vm);
	vm_slot(&vm, 0, 0, low, LOW_SIZE, 0);
	vm_vcpu(&vm, 1);
	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		st = exit_loop(&vm, low, loops[i].name, loops[i].s, loops[i].e, n);
		printf("INFO %s exit_%s: per iteration median %" PRIu64
		       " min %" PRIu64 " max %" PRIu64 " mean %.1f (%lu iterations, loop overhead included)\n",
		       label, loops[i].name, st.median, st.min, st.max, st.mean, n);
		if (i == 0) {
			base = st;
			printf("PERF %s loop_overhead %" PRIu64 "\n", label,
			       base.median);
			continue;
		}
		printf("PERF %s exit_%s %" PRIu64 "\n", label, loops[i].name,
		       st.median - base.median);
		printf("PERF %s exitmean_%s %.1f\n", label, loops[i].name,
		       st.mean - base.mean);
		fflush(stdout);
	}
	host_costs(&vm);
	vm_destroy(&vm);
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

/* the steps of one lifecycle, host TSC cycles */
enum { LC_CREATE_VM, LC_SLOT, LC_CREATE_VCPU, LC_SETUP, LC_RUN, LC_DESTROY, LC_STEPS };
static const char *const lc_names[LC_STEPS] = {
	"create_vm", "set_memory_region", "create_vcpu", "mmap_sregs_regs", "run_to_hlt",
	"destroy",
};

static void lifecycle_once(char *low, uint64_t *steps)
{
	uint64_t t[LC_STEPS + 1];
	struct vm vm;
	int i;

	t[0] = rdtsc();
	vm_create(&vm);
	t[1] = rdtsc();
	vm_slot(&vm, 0, 0, low, 0x10000, 0);
	t[2] = rdtsc();
	vm_vcpu_create(&vm);
	t[3] = rdtsc();
	vm_vcpu_setup(&vm, 0);
	vm_regs(&vm, 0, 0, 0);
	t[4] = rdtsc();
	vm_run(&vm);
	t[5] = rdtsc();
	vm_destroy(&vm);
	t[6] = rdtsc();
	for (i = 0; steps && i < LC_STEPS; i++)
		steps[i] = t[i + 1] - t[i];
}

static double lifecycle_loop(char *low, unsigned long n, uint64_t *c,
			     uint64_t (*steps)[LC_STEPS])
{
	unsigned long i;
	uint64_t t;
	double t0;

	for (i = 0; i < 2; i++)		/* warm up */
		lifecycle_once(low, NULL);
	t0 = now();
	for (i = 0; i < n; i++) {
		t = rdtsc();
		lifecycle_once(low, steps ? steps[i] : NULL);
		c[i] = rdtsc() - t;
	}
	return now() - t0;
}

/*
 * Alone, every lifecycle is the first and the last VM (VMX turned on and
 * off each time); with a second, idle VM kept open, VMX stays on.
 */
static int cmd_lifecycle(unsigned long n)
{
	char *low = alloc_mem(LOW_SIZE, 0, 1);
	uint64_t *c = calloc(n, sizeof(*c)), (*steps)[LC_STEPS] = calloc(n, sizeof(*steps));
	unsigned long i;
	struct vm keep;
	double t;
	int j;

	load_prog(low, guest_hlt, guest_hlt_end);
	t = lifecycle_loop(low, n, c, NULL);
	printf("PERF %s lifecycle_per_s %.2f\n", label, n / t);
	printf("PERF %s lifecycle_cycles %" PRIu64 "\n", label, median_u64(c, n));
	printf("INFO %s lifecycle: %lu in %.3f s, host TSC cycles per VM min %" PRIu64
	       " median %" PRIu64 " max %" PRIu64 "\n", label, n, t,
	       c[0], c[n / 2], c[n - 1]);
	vm_create(&keep);
	t = lifecycle_loop(low, n, c, steps);
	vm_destroy(&keep);
	for (j = 0; j < LC_STEPS; j++) {
		for (i = 0; i < n; i++)
			c[i] = steps[i][j];
		printf("PERF %s lc_%s %" PRIu64 "\n", label, lc_names[j],
		       median_u64(c, n));
	}
	for (i = 0; i < n; i++) {
		c[i] = 0;
		for (j = 0; j < LC_STEPS; j++)
			c[i] += steps[i][j];
	}
	printf("PERF %s lifecycle_keep_per_s %.2f\n", label, n / t);
	printf("PERF %s lifecycle_keep_cycles %" PRIu64 "\n", label, median_u64(c, n));
	printf("INFO %s lifecycle_keep (another VM open): %lu in %.3f s, host TSC cycles per VM min %"
	       PRIu64 " median %" PRIu64 " max %" PRIu64 "\n", label, n, t,
	       c[0], c[n / 2], c[n - 1]);
	return 0;
}

/* ---- idle memory ----------------------------------------------------------- */

/* pages sitting on the per-CPU free lists (not counted in MemFree) */
static long pcp_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long n = 0, c;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &c) == 1)
			n += c;
	fclose(f);
	return n * 4;
}

static const char *const mi_keys[] = {
	"MemFree", "Slab", "SUnreclaim", "KernelStack", "PageTables",
	"VmallocUsed", "Percpu",
};
#define NR_MI (sizeof(mi_keys) / sizeof(mi_keys[0]))

static void meminfo(long *v)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256], key[64];
	long val;
	unsigned int i;

	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	memset(v, 0, NR_MI * sizeof(*v));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", key, &val) != 2)
			continue;
		for (i = 0; i < NR_MI; i++)
			if (!strcmp(key, mi_keys[i]))
				v[i] = val;
	}
	fclose(f);
	v[0] += pcp_free_kb();	/* free pages on the per-CPU lists count as free */
}

#define MAX_SLABS 512
struct slab {
	char name[64];
	long bytes;
};

static int slabinfo(struct slab *s)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < MAX_SLABS) {
		long act, num, objsize, perslab, pages, aslabs, nslabs;
		char name[64];

		if (sscanf(line, "%63s %ld %ld %ld %ld %ld : tunables %*d %*d %*d : slabdata %ld %ld",
			   name, &act, &num, &objsize, &perslab, &pages,
			   &aslabs, &nslabs) != 8)
			continue;
		snprintf(s[n].name, sizeof(s[n].name), "%s", name);
		s[n].bytes = nslabs * pages * 4096;
		n++;
	}
	fclose(f);
	return n;
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		ssize_t w = write(fd, val, strlen(val));	/* fails unless root: fine */

		(void)w;
		close(fd);
	}
}

static void settle(void)
{
	usleep(300000);		/* RCU callbacks, deferred frees */
	write_file("/proc/sys/vm/drop_caches", "2");
	usleep(200000);
	write_file("/proc/sys/vm/stat_refresh", "1");	/* fold per-CPU counters */
}

static int cmp_slabdelta(const void *a, const void *b)
{
	long x = ((const struct slab *)a)->bytes, y = ((const struct slab *)b)->bytes;

	return x > y ? -1 : x < y;
}

/* n idle VMs with one vCPU each; ran: each ran once to HLT first */
static void idlemem_round(char *low, unsigned long n, int ran, const char *tag,
			  int report)
{
	static struct slab s0[MAX_SLABS], s1[MAX_SLABS];
	struct vm *vms = calloc(n, sizeof(*vms));
	long m0[NR_MI], m1[NR_MI];
	int n0, n1, i, j;
	unsigned long k;
	char buf[512];
	size_t len = 0;

	settle();
	n0 = slabinfo(s0);
	meminfo(m0);
	for (k = 0; k < n; k++) {
		vm_create(&vms[k]);
		vm_slot(&vms[k], 0, 0, low, 0x10000, 0);
		vm_vcpu(&vms[k], 0);
		if (ran) {
			vm_regs(&vms[k], 0, 0, 0);
			vm_run(&vms[k]);
		}
	}
	settle();
	meminfo(m1);
	n1 = slabinfo(s1);
	for (k = 0; k < n; k++)
		vm_destroy(&vms[k]);
	free(vms);
	if (!report)
		return;
	printf("PERF %s idlemem_%s_kb %.1f\n", label, tag,
	       (double)(m0[0] - m1[0]) / n);
	printf("PERF %s idleslab_%s_kb %.1f\n", label, tag,
	       (double)(m1[1] - m0[1]) / n);
	printf("INFO %s idlemem_%s per VM (kB):", label, tag);
	for (i = 0; i < (int)NR_MI; i++)
		printf(" %s %+.1f", i ? mi_keys[i] : "MemFree+pcp",
		       (double)(m1[i] - m0[i]) / n);
	printf("\n");
	/* slab caches that grew the most */
	for (i = 0; i < n1; i++) {
		for (j = 0; j < n0; j++)
			if (!strcmp(s0[j].name, s1[i].name))
				break;
		s1[i].bytes -= j < n0 ? s0[j].bytes : 0;
	}
	qsort(s1, n1, sizeof(s1[0]), cmp_slabdelta);
	for (i = 0; i < n1 && i < 6 && s1[i].bytes > 0; i++)
		len += snprintf(buf + len, sizeof(buf) - len, " %s %+.1f",
				s1[i].name, s1[i].bytes / 1024.0 / n);
	printf("INFO %s idleslab_%s top caches per VM (kB):%s\n", label, tag,
	       len ? buf : " (none readable)");
	fflush(stdout);
}

static int cmd_idlemem(unsigned long n)
{
	char *low = alloc_mem(LOW_SIZE, 0, 1);
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	load_prog(low, guest_hlt, guest_hlt_end);
	idlemem_round(low, n, 1, "warmup", 0);
	idlemem_round(low, n, 0, "new", 1);
	idlemem_round(low, n, 1, "ran", 1);
	return 0;
}

/* ---- memory ------------------------------------------------------------------ */

static long smaps_thp_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	unsigned long a, b;
	int in = 0;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a <= (uintptr_t)addr && (uintptr_t)addr < b;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static uint64_t touch_pass(struct vm *vm, char *low, unsigned long pages)
{
	uint64_t *res = (uint64_t *)(low + RESULT_GPA);

	res[0] = res[1] = 0;
	vm_regs(vm, pages, BIG_GPA, 4096);
	vm_run(vm);
	if (!res[0] || res[1] <= res[0])
		die("touch loop left no TSC stamps");
	return res[1] - res[0];
}

static int cmd_fault(const char *mode, unsigned long mb)
{
	int thp = !strncmp(mode, "thp", 3), pre = strstr(mode, "-pre") != NULL;
	unsigned long pages = mb << 8;
	char *low = alloc_mem(LOW_SIZE, 0, 1), *big;
	struct vm vm;
	uint64_t c;
	double t0, t1;
	long thp_kb;

	if (strcmp(mode, "4k") && strcmp(mode, "4k-pre") && strcmp(mode, "thp") &&
	    strcmp(mode, "thp-pre"))
		die("mode must be 4k, 4k-pre, thp or thp-pre");
	big = alloc_mem(mb << 20, thp, pre);
	load_prog(low, guest_touch, guest_touch_end);
	vm_create(&vm);
	vm_slot(&vm, 0, 0, low, LOW_SIZE, 0);
	vm_slot(&vm, 1, BIG_GPA, big, mb << 20, 0);
	vm_vcpu(&vm, 0);
	t0 = now();
	c = touch_pass(&vm, low, pages);
	t1 = now();
	thp_kb = smaps_thp_kb(big);
	printf("PERF %s fault_%s %.1f\n", label, mode, (double)c / pages);
	printf("INFO %s fault_%s: %lu pages (%lu MiB) in %" PRIu64
	       " guest cycles, %.3f s; AnonHugePages %ld kB\n", label, mode,
	       pages, mb, c, t1 - t0, thp_kb);
	vm_destroy(&vm);
	munmap(big, mb << 20);
	if (thp && thp_kb < (long)(mb << 10) * 9 / 10) {
		fprintf(stderr, "kvmperf: %s: fault_%s: only %ld of %lu kB were huge pages\n",
			label, mode, thp_kb, mb << 10);
		return 3;
	}
	return 0;
}

static unsigned long popcount_bitmap(const uint64_t *b, unsigned long bits)
{
	unsigned long i, n = 0;

	for (i = 0; i < bits / 64; i++)
		n += __builtin_popcountll(b[i]);
	return n;
}

static uint64_t get_dirty_log(struct vm *vm, uint64_t *bitmap, unsigned long pages,
			      unsigned long *dirty)
{
	struct kvm_dirty_log log = { .slot = 1 };
	uint64_t t;

	memset(bitmap, 0, pages / 8);
	log.dirty_bitmap = bitmap;
	t = rdtsc();
	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log))
		die("KVM_GET_DIRTY_LOG: %s", strerror(errno));
	t = rdtsc() - t;
	*dirty = popcount_bitmap(bitmap, pages);
	return t;
}

static int cmd_dirty(unsigned long mb)
{
	unsigned long pages = mb << 8, d0, d1;
	char *low = alloc_mem(LOW_SIZE, 0, 1), *big = alloc_mem(mb << 20, 0, 1);
	uint64_t *bitmap = calloc(pages / 64 + 1, 8);
	uint64_t first, g0, redirty, g1;
	struct vm vm;

	load_prog(low, guest_touch, guest_touch_end);
	vm_create(&vm);
	vm_slot(&vm, 0, 0, low, LOW_SIZE, 0);
	vm_slot(&vm, 1, BIG_GPA, big, mb << 20, KVM_MEM_LOG_DIRTY_PAGES);
	vm_vcpu(&vm, 0);
	first = touch_pass(&vm, low, pages);
	g0 = get_dirty_log(&vm, bitmap, pages, &d0);
	redirty = touch_pass(&vm, low, pages);
	g1 = get_dirty_log(&vm, bitmap, pages, &d1);
	if (d0 != pages || d1 != pages)
		die("dirty pages reported %lu, then %lu, of %lu", d0, d1, pages);
	/* the steady state: the second GET_DIRTY_LOG and the pass before it */
	printf("PERF %s dirty_getlog_cycles %" PRIu64 "\n", label, g1);
	printf("PERF %s dirty_redirty %.1f\n", label, (double)redirty / pages);
	printf("PERF %s dirty_roundtrip_cycles %" PRIu64 "\n", label, g1 + redirty);
	printf("INFO %s dirty %lu MiB: first pass %.1f cycles/page, GET_DIRTY_LOG %"
	       PRIu64 " host cycles, re-dirty pass %.1f cycles/page, GET_DIRTY_LOG %"
	       PRIu64 " host cycles; %lu pages reported each time\n",
	       label, mb, (double)first / pages, g0, (double)redirty / pages, g1,
	       pages);
	vm_destroy(&vm);
	return 0;
}

/* ---- info ----------------------------------------------------------------------- */

static int cmd_info(void)
{
	uint64_t c0 = rdtsc(), c1;
	double t0 = now(), t1;
	char buf[128] = "?";
	FILE *f;
	long mi[NR_MI];

	usleep(500000);
	c1 = rdtsc();
	t1 = now();
	printf("PERF info tsc_hz %.0f\n", (c1 - c0) / (t1 - t0));
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	printf("INFO info thp %s\n", buf);
	meminfo(mi);
	printf("INFO info memfree_kb %ld\n", mi[0]);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kvmperf info\n"
		"       kvmperf exits DEVICE LABEL [N]\n"
		"       kvmperf lifecycle DEVICE LABEL [N]\n"
		"       kvmperf idlemem DEVICE LABEL [N]\n"
		"       kvmperf fault DEVICE LABEL 4k|4k-pre|thp|thp-pre [MB]\n"
		"       kvmperf dirty DEVICE LABEL [MB]\n");
	exit(2);
}

static unsigned long arg(int argc, char **argv, int i, unsigned long def)
{
	char *end;
	unsigned long v;

	if (i >= argc)
		return def;
	v = strtoul(argv[i], &end, 0);
	if (*end || !v)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "info"))
		return cmd_info();
	if (argc < 4)
		usage();
	label = argv[3];
	open_dev(argv[2]);
	if (!strcmp(cmd, "exits"))
		r = cmd_exits(arg(argc, argv, 4, 2000));
	else if (!strcmp(cmd, "lifecycle"))
		r = cmd_lifecycle(arg(argc, argv, 4, 20));
	else if (!strcmp(cmd, "idlemem"))
		r = cmd_idlemem(arg(argc, argv, 4, 100));
	else if (!strcmp(cmd, "fault") && argc >= 5)
		r = cmd_fault(argv[4], arg(argc, argv, 5, 64));
	else if (!strcmp(cmd, "dirty"))
		r = cmd_dirty(arg(argc, argv, 4, 64));
	else
		usage();
	return r;
}
