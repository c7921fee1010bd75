// SPDX-License-Identifier: GPL-2.0
/*
 * host_memory: the guest sees the VMM's memory as the VMM's page tables
 * have it, whatever happens to them after the guest mapped a page
 * (KVM_CAP_SYNC_MMU: the MMU notifiers zap the guest mapping on every
 * change of the host mapping): MADV_DONTNEED, host writes (also to a page
 * the guest only read, i.e. the shared zero page until the write), munmap
 * and a new mapping at the same address, private file mappings, fork().
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"

#define SLOT0_SIZE	0x10000UL
#define SLOT_GPA	0x100000UL
#define NPAGES		16
#define PORT_VAL	0x10
#define PORT_DONE	0x11
#define CODE_READ	CODE_GPA
#define CODE_WRITE	(CODE_GPA + 0x100)

/* 32-bit flat: report the dword at [ESI]. */
GUEST_CODE(g_read, ".code32",
	"movl (%esi), %eax\n"
	"outl %eax, $0x10\n"
	"hlt\n");

/* 32-bit flat: store EDX at [EDI]. */
GUEST_CODE(g_write, ".code32",
	"movl %edx, (%edi)\n"
	"outb %al, $0x11\n"
	"hlt\n");

static struct kvm_vcpu *hm_vm(void *hva, uint64_t size)
{
	struct kvm_vm *vm = vm_create(SLOT0_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_READ, g_read);
	vm_load_code(vm, CODE_WRITE, g_write);
	vcpu_setup_pm32(vcpu, CODE_READ, false);
	EXPECT_OK(vm_set_region(vm, 1, 0, SLOT_GPA, size, hva));
	return vcpu;
}

static uint32_t guest_read(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_regs regs;

	vcpu_get_regs(vcpu, &regs);
	regs.rip = CODE_READ;
	regs.rsi = gpa;
	vcpu_set_regs(vcpu, &regs);
	return vcpu_run_out(vcpu, PORT_VAL, 4);
}

static void guest_write(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t v)
{
	struct kvm_regs regs;

	vcpu_get_regs(vcpu, &regs);
	regs.rip = CODE_WRITE;
	regs.rdi = gpa;
	regs.rdx = v;
	vcpu_set_regs(vcpu, &regs);
	vcpu_run_out(vcpu, PORT_DONE, 1);
}

static uint32_t page_val(int page, uint32_t seed)
{
	return seed * 0x01000193u + page * 0x9e3779b1u + 1;
}

/* The guest writes a value to the first dword of every page. */
static void guest_fill(struct kvm_vcpu *vcpu, uint32_t seed)
{
	int i;

	for (i = 0; i < NPAGES; i++)
		guest_write(vcpu, SLOT_GPA + i * PAGE_SIZE, page_val(i, seed));
}

static void expect_guest(struct kvm_vcpu *vcpu, int page, uint32_t want,
			 const char *what)
{
	uint32_t got = guest_read(vcpu, SLOT_GPA + page * PAGE_SIZE);

	TEST_ASSERT(got == want, "%s: guest reads 0x%08x from page %d, expected 0x%08x",
		    what, got, page, want);
}

static uint32_t host_get(const uint8_t *mem, int page)
{
	uint32_t v;

	memcpy(&v, mem + page * PAGE_SIZE, 4);
	return v;
}

static void host_put(uint8_t *mem, int page, uint32_t v)
{
	memcpy(mem + page * PAGE_SIZE, &v, 4);
}

/*
 * MADV_DONTNEED on private anonymous memory the guest wrote: the host
 * and the guest read zeroes afterwards, and the guest can write again.
 */
static void dontneed(void)
{
	uint8_t *mem = alloc_host_mem(NPAGES * PAGE_SIZE);
	struct kvm_vcpu *vcpu = hm_vm(mem, NPAGES * PAGE_SIZE);
	int i;

	guest_fill(vcpu, 1);
	for (i = 0; i < NPAGES; i++)
		TEST_ASSERT(host_get(mem, i) == page_val(i, 1),
			    "guest write to page %d not in host memory", i);
	/* the first half, then all of it */
	TEST_ASSERT(madvise(mem, NPAGES / 2 * PAGE_SIZE, MADV_DONTNEED) == 0,
		    "madvise: %s", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, i < NPAGES / 2 ? 0 : page_val(i, 1),
			     "after MADV_DONTNEED of the first half");
	TEST_ASSERT(madvise(mem, NPAGES * PAGE_SIZE, MADV_DONTNEED) == 0,
		    "madvise: %s", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, 0, "after MADV_DONTNEED of all");
	guest_fill(vcpu, 2);
	for (i = 0; i < NPAGES; i++)
		TEST_ASSERT(host_get(mem, i) == page_val(i, 2),
			    "guest write after MADV_DONTNEED, page %d", i);
}

/*
 * A host write after the guest mapped the page is what the guest reads
 * next: for pages the guest wrote (same host page) and for pages the
 * guest had only read while they were never touched (the zero page,
 * replaced by a new page on the host's write).
 */
static void host_write(void)
{
	uint8_t *mem = alloc_host_mem(NPAGES * PAGE_SIZE);
	struct kvm_vcpu *vcpu = hm_vm(mem, NPAGES * PAGE_SIZE);
	int i, round;

	for (i = 0; i < NPAGES / 2; i++)
		guest_write(vcpu, SLOT_GPA + i * PAGE_SIZE, 7);
	for (i = NPAGES / 2; i < NPAGES; i++)
		expect_guest(vcpu, i, 0, "untouched page");
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NPAGES; i++)
			host_put(mem, i, page_val(i, 10 + round));
		for (i = 0; i < NPAGES; i++)
			expect_guest(vcpu, i, page_val(i, 10 + round),
				     "after a host write");
	}
}

/*
 * munmap the slot's memory and mmap new memory at the same address
 * (MAP_FIXED): the guest sees the new memory (zeroes, then what the host
 * writes there), not the old pages.
 */
static void remap(void)
{
	uint8_t *mem = alloc_host_mem(NPAGES * PAGE_SIZE), *again;
	struct kvm_vcpu *vcpu = hm_vm(mem, NPAGES * PAGE_SIZE);
	int i;

	guest_fill(vcpu, 3);
	TEST_ASSERT(munmap(mem, NPAGES * PAGE_SIZE) == 0, "munmap: %s",
		    strerror(errno));
	again = mmap(mem, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	TEST_ASSERT(again == mem, "mmap MAP_FIXED: %s", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, 0, "new anonymous memory");
	for (i = 0; i < NPAGES; i++)
		host_put(mem, i, page_val(i, 4));
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, page_val(i, 4), "new memory, host-written");
	/* and once more, over pages the guest has mapped writable */
	guest_fill(vcpu, 5);
	TEST_ASSERT(mmap(mem, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == mem,
		    "mmap MAP_FIXED over the mapping: %s", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, 0, "second new mapping");
	guest_fill(vcpu, 6);
	for (i = 0; i < NPAGES; i++)
		TEST_ASSERT(host_get(mem, i) == page_val(i, 6),
			    "guest write into the second new mapping, page %d",
			    i);
}

static int make_file(bool memfd)
{
	char path[] = "/tmp/rkvm-host-memory-XXXXXX";
	uint8_t *buf = calloc(NPAGES, PAGE_SIZE);
	int fd, i;

	TEST_ASSERT(buf, "out of memory");
	if (memfd) {
		fd = syscall(SYS_memfd_create, "rkvm-guest", 0);
		TEST_ASSERT(fd >= 0, "memfd_create: %s", strerror(errno));
	} else {
		fd = mkstemp(path);
		TEST_ASSERT(fd >= 0, "mkstemp: %s", strerror(errno));
		unlink(path);
	}
	for (i = 0; i < NPAGES; i++)
		host_put(buf, i, page_val(i, 20));
	TEST_ASSERT(pwrite(fd, buf, NPAGES * PAGE_SIZE, 0) ==
		    (ssize_t)(NPAGES * PAGE_SIZE), "pwrite: %s",
		    strerror(errno));
	free(buf);
	return fd;
}

static uint32_t file_get(int fd, int page)
{
	uint32_t v;

	TEST_ASSERT(pread(fd, &v, 4, page * PAGE_SIZE) == 4, "pread: %s",
		    strerror(errno));
	return v;
}

/*
 * A MAP_PRIVATE mapping of a file: guest reads see the file's data;
 * guest writes go to private copies (the VMM's mapping sees them), never
 * to the file.  A MAP_SHARED mapping of the same file: guest writes do
 * reach the file.
 */
static void file_private(bool memfd)
{
	int fd = make_file(memfd), i;
	uint8_t *mem = mmap(NULL, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE, fd, 0);
	struct kvm_vcpu *vcpu;
	uint8_t *shared;

	TEST_ASSERT(mem != MAP_FAILED, "mmap MAP_PRIVATE: %s", strerror(errno));
	vcpu = hm_vm(mem, NPAGES * PAGE_SIZE);
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, page_val(i, 20), "file data");
	/* guest writes to the even pages */
	for (i = 0; i < NPAGES; i += 2)
		guest_write(vcpu, SLOT_GPA + i * PAGE_SIZE, page_val(i, 21));
	for (i = 0; i < NPAGES; i++) {
		uint32_t want = i % 2 ? page_val(i, 20) : page_val(i, 21);

		TEST_ASSERT(host_get(mem, i) == want,
			    "private mapping page %d: 0x%x, expected 0x%x", i,
			    host_get(mem, i), want);
		TEST_ASSERT(file_get(fd, i) == page_val(i, 20),
			    "guest write reached the file (page %d: 0x%x)", i,
			    file_get(fd, i));
		expect_guest(vcpu, i, want, "after guest writes");
	}

	/* the same file MAP_SHARED in slot 2: writes reach the file */
	shared = mmap(NULL, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	TEST_ASSERT(shared != MAP_FAILED, "mmap MAP_SHARED: %s",
		    strerror(errno));
	EXPECT_OK(vm_set_region(vcpu->vm, 2, 0, SLOT_GPA + 0x100000,
				NPAGES * PAGE_SIZE, shared));
	guest_write(vcpu, SLOT_GPA + 0x100000 + 3 * PAGE_SIZE, 0xabcdef12);
	TEST_ASSERT(file_get(fd, 3) == 0xabcdef12,
		    "guest write through MAP_SHARED: file has 0x%x",
		    file_get(fd, 3));
	/* a file write is seen through the shared slot */
	{
		uint32_t v = 0x5a5a1234;

		TEST_ASSERT(pwrite(fd, &v, 4, 5 * PAGE_SIZE) == 4, "pwrite");
		expect_guest(vcpu, 0x100 + 5, v, "pwrite seen via MAP_SHARED");
	}
}

static void file_private_memfd(void)
{
	file_private(true);
}

static void file_private_tmpfile(void)
{
	file_private(false);
}

/*
 * fork() while the guest has the memory mapped: the child (which only
 * checks that it sees the memory as it was at the fork, then exits) must
 * not disturb the parent's guest.  The parent's pages are copy-on-write
 * while the child lives: host writes and guest writes in the parent are
 * seen by the guest and the host, never by the child.
 */
static void fork_vmm(void)
{
	uint8_t *mem = alloc_host_mem(NPAGES * PAGE_SIZE);
	struct kvm_vcpu *vcpu = hm_vm(mem, NPAGES * PAGE_SIZE);
	int go[2], status, i;
	pid_t pid;

	guest_fill(vcpu, 30);
	TEST_ASSERT(pipe(go) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		/* wait until the parent changed its copy, then compare */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (i = 0; i < NPAGES; i++)
			if (host_get(mem, i) != page_val(i, 30))
				_exit(3);
		_exit(0);
	}
	/* while the child lives: the guest reads, the host writes odd pages,
	 * the guest writes even pages */
	for (i = 0; i < NPAGES; i++)
		expect_guest(vcpu, i, page_val(i, 30), "after fork");
	for (i = 1; i < NPAGES; i += 2)
		host_put(mem, i, page_val(i, 31));
	for (i = 0; i < NPAGES; i += 2)
		guest_write(vcpu, SLOT_GPA + i * PAGE_SIZE, page_val(i, 31));
	for (i = 0; i < NPAGES; i++) {
		expect_guest(vcpu, i, page_val(i, 31),
			     "parent's writes while the child lives");
		TEST_ASSERT(host_get(mem, i) == page_val(i, 31),
			    "host page %d after the guest's write: 0x%x", i,
			    host_get(mem, i));
	}
	TEST_ASSERT(write(go[1], "x", 1) == 1, "pipe write");
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child saw the parent's later writes (status 0x%x)",
		    status);
	/* after the child is gone */
	guest_fill(vcpu, 32);
	for (i = 0; i < NPAGES; i++) {
		expect_guest(vcpu, i, page_val(i, 32), "after the child exited");
		TEST_ASSERT(host_get(mem, i) == page_val(i, 32),
			    "host page %d after the child exited", i);
	}
}

/*
 * fork() of a VMM whose child exits at once, ten times, the guest
 * writing in between: the guest's data stays right.
 */
static void fork_many(void)
{
	uint8_t *mem = alloc_host_mem(NPAGES * PAGE_SIZE);
	struct kvm_vcpu *vcpu = hm_vm(mem, NPAGES * PAGE_SIZE);
	int n, i, status;

	for (n = 0; n < 10; n++) {
		pid_t pid;

		guest_fill(vcpu, 40 + n);
		fflush(stdout);
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(0);
		for (i = 0; i < NPAGES; i++)
			expect_guest(vcpu, i, page_val(i, 40 + n),
				     "after fork, child exiting");
		TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	}
	for (i = 0; i < NPAGES; i++)
		TEST_ASSERT(host_get(mem, i) == page_val(i, 49),
			    "host page %d at the end", i);
}

static const struct kvm_test tests[] = {
	{ "MADV_DONTNEED after guest writes: guest reads zeroes", dontneed },
	{ "host writes after the guest mapped a page are seen", host_write },
	{ "munmap + mmap MAP_FIXED at the same address is seen", remap },
	{ "MAP_PRIVATE memfd: guest reads file data, writes stay private",
	  file_private_memfd },
	{ "MAP_PRIVATE /tmp file: guest reads file data, writes stay private",
	  file_private_tmpfile },
	{ "fork of the VMM: the child does not disturb the guest's memory",
	  fork_vmm },
	{ "ten forks with children exiting at once", fork_many },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
