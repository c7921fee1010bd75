// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_log: KVM_MEM_LOG_DIRTY_PAGES and KVM_GET_DIRTY_LOG without manual
 * protection (kvm_main.c, kvm_get_dirty_log_protect()): the bitmap has
 * one bit per page of the slot, set for exactly the pages the guest wrote
 * since the previous KVM_GET_DIRTY_LOG, which returns it and clears it;
 * the copy is kvm_dirty_bitmap_bytes() = the page count rounded up to a
 * multiple of 64 bits.  Errors: a slot id or address space out of range
 * is EINVAL, a slot that does not exist or does not log is ENOENT, a
 * bitmap userspace cannot write is EFAULT.
 *
 * Every expected bitmap is fixed by the test (the pages the guest was
 * told to write), so rkvm and KVM are compared by construction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

#define SLOT0_SIZE	0x10000UL
#define LOG_SLOT	1
#define LOG_GPA		0x100000UL
#define LOG_PAGES	64
#define PORT_DONE	0x10
#define WR_TABLE	0xa000	/* u32 count, u32 page indexes */
#define RD_TABLE	0xa400
#define MAX_LIST	200
#define MARK_OFF	0x10	/* the guest writes its marker here */
#define MMIO_GPA	0xe0000000UL

/*
 * 32-bit flat: for each page index in the write table, store EDX at
 * EBX + index * 4 KiB + 0x10; then load from each page of the read table;
 * then OUT to 0x10 and HLT.
 */
GUEST_CODE(g_touch, ".code32",
	"movl 0xa000, %ecx\n"
	"movl $0xa004, %esi\n"
	"jecxz 2f\n"
	"1: movl (%esi), %eax\n"
	"shll $12, %eax\n"
	"movl %edx, 0x10(%ebx,%eax)\n"
	"addl $4, %esi\n"
	"loop 1b\n"
	"2: movl 0xa400, %ecx\n"
	"movl $0xa404, %esi\n"
	"jecxz 4f\n"
	"3: movl (%esi), %eax\n"
	"shll $12, %eax\n"
	"movl 0x10(%ebx,%eax), %eax\n"
	"addl $4, %esi\n"
	"loop 3b\n"
	"4: outb %al, $0x10\n"
	"hlt\n");

/* REP STOSL of ECX dwords of EAX at EDI, then OUT and HLT. */
GUEST_CODE(g_stos, ".code32",
	"cld\n"
	"rep stosl\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* MOVSL from MMIO (ESI) into RAM (EDI): an emulated write. */
GUEST_CODE(g_movs, ".code32",
	"cld\n"
	"movsl\n"
	"outb %al, $0x10\n"
	"hlt\n");

#define CODE_TOUCH	CODE_GPA
#define CODE_STOS	(CODE_GPA + 0x200)
#define CODE_MOVS	(CODE_GPA + 0x300)

struct log_vm {
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint8_t *mem;		/* the logged slot's memory */
	uint64_t npages;
	uint32_t marker;
};

static struct log_vm *log_vm_create(uint64_t npages, uint32_t flags)
{
	struct log_vm *l = calloc(1, sizeof(*l));

	TEST_ASSERT(l, "out of memory");
	l->vm = vm_create(SLOT0_SIZE);
	l->vcpu = vcpu_create(l->vm, 0);
	vm_load_code(l->vm, CODE_TOUCH, g_touch);
	vm_load_code(l->vm, CODE_STOS, g_stos);
	vm_load_code(l->vm, CODE_MOVS, g_movs);
	vcpu_setup_pm32(l->vcpu, CODE_TOUCH, false);
	l->npages = npages;
	l->mem = alloc_host_mem(npages * PAGE_SIZE);
	memset(l->mem, 0, npages * PAGE_SIZE);
	l->marker = 0x1000;
	EXPECT_OK(vm_set_region(l->vm, LOG_SLOT, flags, LOG_GPA,
				npages * PAGE_SIZE, l->mem));
	return l;
}

static void set_list(struct kvm_vm *vm, uint64_t table, const int *pages,
		     int n)
{
	uint32_t *t = gpa_to_hva(vm, table);
	int i;

	TEST_ASSERT(n <= MAX_LIST, "list too long");
	t[0] = n;
	for (i = 0; i < n; i++)
		t[i + 1] = pages[i];
}

/* The guest writes a new marker to @wr pages, reads @rd pages. */
static void touch(struct log_vm *l, const int *wr, int nwr, const int *rd,
		  int nrd)
{
	struct kvm_regs regs;
	int i;

	set_list(l->vm, WR_TABLE, wr, nwr);
	set_list(l->vm, RD_TABLE, rd, nrd);
	l->marker++;
	vcpu_get_regs(l->vcpu, &regs);
	regs.rip = CODE_TOUCH;
	regs.rbx = LOG_GPA;
	regs.rdx = l->marker;
	vcpu_set_regs(l->vcpu, &regs);
	vcpu_run_out(l->vcpu, PORT_DONE, 1);
	for (i = 0; i < nwr; i++) {
		uint32_t v;

		memcpy(&v, l->mem + wr[i] * PAGE_SIZE + MARK_OFF, 4);
		TEST_ASSERT(v == l->marker,
			    "guest write to page %d did not reach memory (0x%x, expected 0x%x)",
			    wr[i], v, l->marker);
	}
}

#define WRITE(l, ...)							\
	do {								\
		static const int __p[] = { __VA_ARGS__ };		\
		touch(l, __p, ARRAY_SIZE(__p), NULL, 0);		\
	} while (0)

static int get_log(struct kvm_vm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot };

	log.dirty_bitmap = bitmap;
	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static size_t bitmap_bytes(uint64_t npages)
{
	return (npages + 63) / 64 * 8;
}

/* KVM_GET_DIRTY_LOG must succeed and return exactly the pages @expect. */
static void expect_log(struct log_vm *l, const int *expect, int n,
		       const char *when)
{
	size_t bytes = bitmap_bytes(l->npages);
	uint64_t *got = calloc(1, bytes + 64), *want = calloc(1, bytes);
	size_t i;
	int k;

	TEST_ASSERT(got && want, "out of memory");
	memset(got, 0xa5, bytes + 64);	/* KVM must overwrite all of it */
	for (k = 0; k < n; k++)
		want[expect[k] / 64] |= 1ULL << (expect[k] % 64);
	TEST_ASSERT(get_log(l->vm, LOG_SLOT, got) == 0,
		    "%s: KVM_GET_DIRTY_LOG: %s", when, errno_name(errno));
	for (i = 0; i < bytes / 8; i++) {
		if (got[i] == want[i])
			continue;
		TEST_ASSERT(0, "%s: dirty bitmap word %zu (pages %zu..%zu) is 0x%016llx, expected 0x%016llx",
			    when, i, i * 64, i * 64 + 63,
			    (unsigned long long)got[i],
			    (unsigned long long)want[i]);
	}
	/* nothing is written past kvm_dirty_bitmap_bytes() */
	for (i = bytes; i < bytes + 64; i++)
		TEST_ASSERT(((uint8_t *)got)[i] == 0xa5,
			    "%s: byte %zu past the %zu-byte bitmap was written",
			    when, i, bytes);
	free(got);
	free(want);
}

#define EXPECT_LOG(l, when, ...)					\
	do {								\
		static const int __p[] = { __VA_ARGS__ };		\
		expect_log(l, __p, ARRAY_SIZE(__p), when);		\
	} while (0)
#define EXPECT_EMPTY(l, when)	expect_log(l, NULL, 0, when)

/*
 * The guest writes pages 0, 1, 5, 31, 32 and 63 (page 5 twice); the host
 * writes page 50 itself.  The bitmap has exactly the written pages; a
 * second KVM_GET_DIRTY_LOG right after is empty, and so is one after the
 * guest only read pages it had mapped.
 */
static void exact(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	static const int wr[] = { 0, 1, 5, 31, 32, 63, 5 };
	static const int rd[] = { 0, 5, 63 };

	EXPECT_EMPTY(l, "before the guest ran");
	touch(l, wr, ARRAY_SIZE(wr), NULL, 0);
	l->mem[50 * PAGE_SIZE] = 1;	/* userspace writes are not logged */
	EXPECT_LOG(l, "first get", 0, 1, 5, 31, 32, 63);
	EXPECT_EMPTY(l, "second get, no writes in between");
	touch(l, NULL, 0, rd, ARRAY_SIZE(rd));
	EXPECT_EMPTY(l, "after guest reads of mapped pages");
}

/*
 * A guest read that first maps a page of a logged slot.  Host memory
 * never touched (the zero page, not writable): not logged.  Host memory
 * present and writable: 6.1 maps the page writable on the read fault
 * (hva_to_pfn() maps read faults writable if it can) and make_spte()
 * then marks it dirty, so the page is in the next get; newer KVMs (and
 * an implementation that maps read faults read-only) do not log it.
 */
static void first_read(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	uint8_t *fresh = alloc_host_mem(LOG_PAGES * PAGE_SIZE);
	static const int rd[] = { 2, 40 };
	uint64_t bits = ~0ULL;

	/* slot 2: never touched by the host */
	EXPECT_OK(vm_set_region(l->vm, 2, KVM_MEM_LOG_DIRTY_PAGES,
				LOG_GPA + LOG_PAGES * PAGE_SIZE,
				LOG_PAGES * PAGE_SIZE, fresh));
	{
		static const int rd2[] = { 64 + 3, 64 + 60 };

		touch(l, NULL, 0, rd2, ARRAY_SIZE(rd2));
	}
	TEST_ASSERT(get_log(l->vm, 2, &bits) == 0, "slot 2: %s",
		    errno_name(errno));
	TEST_ASSERT(bits == 0,
		    "reads of untouched host memory were logged: 0x%llx",
		    (unsigned long long)bits);
	EXPECT_EMPTY(l, "slot 1, before");
	/* slot 1: host memory written by the host (present, writable) */
	touch(l, NULL, 0, rd, ARRAY_SIZE(rd));
	bits = ~0ULL;
	TEST_ASSERT(get_log(l->vm, LOG_SLOT, &bits) == 0, "slot 1: %s",
		    errno_name(errno));
	EXPECT_6_1(bits == (1ULL << 2 | 1ULL << 40),
		   "first guest reads of pages 2 and 40 (host memory present and writable): bitmap 0x%llx, 6.1 logs them (0x%llx)",
		   (unsigned long long)bits,
		   (unsigned long long)(1ULL << 2 | 1ULL << 40));
	/* mapped now: further reads are not logged */
	touch(l, NULL, 0, rd, ARRAY_SIZE(rd));
	EXPECT_EMPTY(l, "second reads");
}

/*
 * Pages written after a get are in the next get, pages already reported
 * (and written again) too: the get re-protects what it reports.
 */
static void after_get(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	int round;

	WRITE(l, 3, 4, 5);
	EXPECT_LOG(l, "round 0", 3, 4, 5);
	for (round = 1; round <= 5; round++) {
		WRITE(l, 5, 7);
		EXPECT_LOG(l, "rewrite of a reported page", 5, 7);
		WRITE(l, 5);
		WRITE(l, 5);
		EXPECT_LOG(l, "page written twice between gets", 5);
		WRITE(l, 63, 0);
		EXPECT_LOG(l, "first and last page", 0, 63);
	}
	EXPECT_EMPTY(l, "final");
}

/* REP STOSL from page 9 + 4088 up to the end of page 11: pages 9, 10, 11. */
static void string_write(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	struct kvm_regs regs;

	EXPECT_EMPTY(l, "before");
	vcpu_get_regs(l->vcpu, &regs);
	regs.rip = CODE_STOS;
	regs.rdi = LOG_GPA + 9 * PAGE_SIZE + 4088;
	regs.rcx = (2 * PAGE_SIZE + 8) / 4;
	regs.rax = 0x77777777;
	vcpu_set_regs(l->vcpu, &regs);
	vcpu_run_out(l->vcpu, PORT_DONE, 1);
	TEST_ASSERT(l->mem[12 * PAGE_SIZE - 1] == 0x77 &&
		    l->mem[12 * PAGE_SIZE] == 0 &&
		    l->mem[9 * PAGE_SIZE + 4087] == 0,
		    "REP STOSL did not write exactly its range");
	EXPECT_LOG(l, "REP STOSL over three pages", 9, 10, 11);
}

/*
 * A write KVM emulates (MOVS from MMIO into a logged page, completed on
 * the next KVM_RUN) is logged too (kvm_vcpu_write_guest() ->
 * mark_page_dirty()).
 */
static void emulated_write(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	struct kvm_run *run = l->vcpu->run;
	struct kvm_regs regs;
	uint32_t v = 0xfeedbeef, got;

	EXPECT_EMPTY(l, "before");
	vcpu_get_regs(l->vcpu, &regs);
	regs.rip = CODE_MOVS;
	regs.rsi = MMIO_GPA;
	regs.rdi = LOG_GPA + 17 * PAGE_SIZE + 0x40;
	vcpu_set_regs(l->vcpu, &regs);
	vcpu_run_expect(l->vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT(!run->mmio.is_write && run->mmio.phys_addr == MMIO_GPA &&
		    run->mmio.len == 4,
		    "expected a 4-byte MMIO read at 0x%lx", MMIO_GPA);
	memcpy(run->mmio.data, &v, 4);
	vcpu_run_out(l->vcpu, PORT_DONE, 1);
	memcpy(&got, l->mem + 17 * PAGE_SIZE + 0x40, 4);
	TEST_ASSERT(got == v, "MOVSL stored 0x%x, expected 0x%x", got, v);
	EXPECT_LOG(l, "MOVSL from MMIO into page 17", 17);
}

/*
 * Logging turned on for a slot whose pages the guest already wrote (and
 * so had mapped writable): the new bitmap starts empty, and the next
 * write to one of those pages is logged (the mappings were
 * write-protected when the flag was set).
 */
static void enable_later(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, 0);
	uint8_t buf[8];

	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, buf), ENOENT);
	WRITE(l, 1, 2, 3, 40);
	WRITE(l, 1, 2, 3, 40);
	EXPECT_OK(vm_set_region(l->vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				LOG_GPA, LOG_PAGES * PAGE_SIZE, l->mem));
	EXPECT_EMPTY(l, "right after enabling");
	WRITE(l, 2, 40);
	EXPECT_LOG(l, "write to pages mapped before logging", 2, 40);
	WRITE(l, 3);
	EXPECT_LOG(l, "next write", 3);
}

/*
 * Logging turned off: KVM_GET_DIRTY_LOG is ENOENT and guest writes still
 * land; turned on again, the bitmap starts empty (6.1 frees it when the
 * flag is cleared) and logs again.
 */
static void disable(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	uint8_t buf[8];

	WRITE(l, 1, 2);
	EXPECT_OK(vm_set_region(l->vm, LOG_SLOT, 0, LOG_GPA,
				LOG_PAGES * PAGE_SIZE, l->mem));
	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, buf), ENOENT);
	WRITE(l, 1, 2, 6);
	WRITE(l, 6);
	EXPECT_OK(vm_set_region(l->vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				LOG_GPA, LOG_PAGES * PAGE_SIZE, l->mem));
	EXPECT_EMPTY(l, "re-enabled");
	WRITE(l, 6, 7);
	EXPECT_LOG(l, "after re-enabling", 6, 7);
}

/*
 * Slot ids: the low 16 bits are the slot, the high 16 the address space
 * (x86: 2 of them).  Beyond them EINVAL; a slot that does not exist, or
 * does not log, is ENOENT (6.1 kvm_get_dirty_log_protect()).
 */
static void bad_slots(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	int nr = kvm_check_cap(l->vm->kvm_fd, KVM_CAP_NR_MEMSLOTS);
	uint8_t *plain = alloc_host_mem(PAGE_SIZE);
	uint64_t buf[4];

	EXPECT_OK(vm_set_region(l->vm, 2, 0, 0x200000, PAGE_SIZE, plain));
	EXPECT_ERRNO(get_log(l->vm, 0, buf), ENOENT);	/* no logging */
	EXPECT_ERRNO(get_log(l->vm, 2, buf), ENOENT);
	EXPECT_ERRNO(get_log(l->vm, 3, buf), ENOENT);	/* no such slot */
	EXPECT_ERRNO(get_log(l->vm, nr - 1, buf), ENOENT);
	EXPECT_ERRNO(get_log(l->vm, nr, buf), EINVAL);
	EXPECT_ERRNO(get_log(l->vm, 0xffff, buf), EINVAL);
	EXPECT_ERRNO(get_log(l->vm, 2 << 16 | LOG_SLOT, buf), EINVAL);
	EXPECT_ERRNO(get_log(l->vm, 0xffffffff, buf), EINVAL);
	/* a deleted slot is gone */
	EXPECT_OK(vm_set_region(l->vm, LOG_SLOT, 0, LOG_GPA, 0, NULL));
	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, buf), ENOENT);
	/*
	 * Address space 1 (SMM) exists in 6.1 (KVM_ADDRESS_SPACE_NUM 2)
	 * but has no slot 1.  Newer KVMs built without SMM have one.
	 */
	errno = 0;
	EXPECT_6_1(get_log(l->vm, 1 << 16 | 2, buf) == -1 && errno == ENOENT,
		   "slot 0x10002 (address space 1): expected ENOENT, got %s",
		   errno_name(errno));
}

/*
 * A bitmap pointer userspace cannot write (NULL, unmapped, read-only,
 * straddling into an unmapped page) is EFAULT, and so is an unmapped
 * struct kvm_dirty_log.  Logging goes on afterwards.
 */
static void efault(void)
{
	struct log_vm *l = log_vm_create(2 * LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	uint8_t *two = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(NULL, PAGE_SIZE, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(two != MAP_FAILED && ro != MAP_FAILED, "mmap");
	TEST_ASSERT(munmap(two + PAGE_SIZE, PAGE_SIZE) == 0, "munmap");
	WRITE(l, 1, 100);
	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, NULL), EFAULT);
	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, two + PAGE_SIZE), EFAULT);
	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, ro), EFAULT);
	/* 16-byte bitmap, only 8 bytes mapped */
	EXPECT_ERRNO(get_log(l->vm, LOG_SLOT, two + PAGE_SIZE - 8), EFAULT);
	EXPECT_ERRNO(ioctl(l->vm->fd, KVM_GET_DIRTY_LOG, two + PAGE_SIZE),
		     EFAULT);
	EXPECT_ERRNO(ioctl(l->vm->fd, KVM_GET_DIRTY_LOG, NULL), EFAULT);
	/*
	 * Whether the bits of a failed get survive is not ABI (6.1 clears
	 * them before the copy fails); drain them, then check logging.
	 */
	EXPECT_OK(get_log(l->vm, LOG_SLOT, two));
	WRITE(l, 2, 127);
	EXPECT_LOG(l, "after the EFAULTs", 2, 127);
}

/*
 * The bitmap covers the slot's pages rounded up to 64 bits: a 70-page
 * slot copies 16 bytes (bits 70..127 zero), a 1000-page slot 128 bytes.
 */
static void sizes(void)
{
	struct log_vm *a = log_vm_create(70, KVM_MEM_LOG_DIRTY_PAGES);
	struct log_vm *b = log_vm_create(1000, KVM_MEM_LOG_DIRTY_PAGES);

	WRITE(a, 0, 63, 64, 69);
	EXPECT_LOG(a, "70-page slot", 0, 63, 64, 69);
	WRITE(b, 0, 511, 512, 999, 640);
	EXPECT_LOG(b, "1000-page slot", 0, 511, 512, 640, 999);
	EXPECT_EMPTY(b, "1000-page slot, second get");
}

/* Each of two logged slots reports only its own pages. */
static void two_slots(void)
{
	struct log_vm *l = log_vm_create(LOG_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	uint8_t *m2 = alloc_host_mem(LOG_PAGES * PAGE_SIZE);
	static const int wr[] = { 4, 64 + 9, 64 + 10, 8 };
	uint64_t bits = 0;

	/* slot 2 right after slot 1: page indexes 64.. reach into it */
	EXPECT_OK(vm_set_region(l->vm, 2, KVM_MEM_LOG_DIRTY_PAGES,
				LOG_GPA + LOG_PAGES * PAGE_SIZE,
				LOG_PAGES * PAGE_SIZE, m2));
	set_list(l->vm, WR_TABLE, wr, ARRAY_SIZE(wr));
	set_list(l->vm, RD_TABLE, NULL, 0);
	{
		struct kvm_regs regs;

		vcpu_get_regs(l->vcpu, &regs);
		regs.rip = CODE_TOUCH;
		regs.rbx = LOG_GPA;
		regs.rdx = 0x1234;
		vcpu_set_regs(l->vcpu, &regs);
		vcpu_run_out(l->vcpu, PORT_DONE, 1);
	}
	EXPECT_LOG(l, "slot 1", 4, 8);
	TEST_ASSERT(get_log(l->vm, 2, &bits) == 0, "slot 2: %s",
		    errno_name(errno));
	TEST_ASSERT(bits == (1ULL << 9 | 1ULL << 10),
		    "slot 2 bitmap 0x%llx, expected 0x600",
		    (unsigned long long)bits);
}

static const struct kvm_test tests[] = {
	{ "bitmap has exactly the guest-written pages, second get empty",
	  exact },
	{ "pages written after a get are in the next get", after_get },
	{ "first guest read of a page: logged as 6.1 does (host page writable)",
	  first_read },
	{ "REP STOSL across pages dirties each page", string_write },
	{ "an emulated write (MOVS from MMIO) is logged", emulated_write },
	{ "logging enabled after the guest wrote: empty, then exact",
	  enable_later },
	{ "logging disabled: ENOENT; re-enabled: empty, then exact", disable },
	{ "slot without logging or missing: ENOENT; bad slot id: EINVAL",
	  bad_slots },
	{ "unwritable bitmap or struct: EFAULT", efault },
	{ "bitmap size is the page count rounded up to 64 bits", sizes },
	{ "two logged slots report their own pages", two_slots },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
