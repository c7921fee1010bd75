// SPDX-License-Identifier: GPL-2.0
/*
 * memslots: KVM_SET_USER_MEMORY_REGION rules (kvm_main.c,
 * __kvm_set_memory_region()) and guests reading through several slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define SLOT0_SIZE	0x10000UL	/* code, GDT, stack */
#define PORT_RESULT	0x10

/* 32-bit flat: read the byte at [edi], report it, halt. */
GUEST_CODE(g_read, ".code32",
	"movb (%edi), %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

/* Sum bytes at [esi] for ecx pages (one byte per page), report, halt. */
GUEST_CODE(g_sum, ".code32",
	"xorl %eax, %eax\n"
	"1: addb (%esi), %al\n"
	"addl $0x1000, %esi\n"
	"loop 1b\n"
	"outb %al, $0x10\n"
	"hlt\n");

static struct kvm_vcpu *pm32_vm(void)
{
	struct kvm_vm *vm = vm_create(SLOT0_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_GPA, g_read);
	vm_load_code(vm, CODE_GPA + 0x100, g_sum);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	return vcpu;
}

/* Run g_read on [gpa]; returns the byte the guest read. */
static uint8_t guest_read(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_regs regs;

	vcpu_get_regs(vcpu, &regs);
	regs.rip = CODE_GPA;
	regs.rdi = gpa;
	vcpu_set_regs(vcpu, &regs);
	return vcpu_run_out(vcpu, PORT_RESULT, 1);
}

#define SET_REGION_ERR(vm, slot, flags, gpa, size, hva, err)		\
	EXPECT_ERRNO(vm_set_region(vm, slot, flags, gpa, size, hva), err)
#define SET_REGION_OK(vm, slot, flags, gpa, size, hva)			\
	EXPECT_OK(vm_set_region(vm, slot, flags, gpa, size, hva))

/* GPA, size and host address must all be page aligned, else EINVAL. */
static void alignment(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(4 * PAGE_SIZE);

	SET_REGION_ERR(vm, 1, 0, 0x100800, PAGE_SIZE, mem, EINVAL);
	SET_REGION_ERR(vm, 1, 0, 0x100000, PAGE_SIZE + 1, mem, EINVAL);
	SET_REGION_ERR(vm, 1, 0, 0x100000, 0x800, mem, EINVAL);
	SET_REGION_ERR(vm, 1, 0, 0x100000, PAGE_SIZE, mem + 8, EINVAL);
	SET_REGION_OK(vm, 1, 0, 0x100000, PAGE_SIZE, mem);
}

/* A range that wraps around the end of the GPA space is EINVAL. */
static void gpa_wrap(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(4 * PAGE_SIZE);

	SET_REGION_ERR(vm, 1, 0, 0xfffffffffffff000ULL, 2 * PAGE_SIZE, mem,
		       EINVAL);
}

/* Creating or moving a slot onto another slot's GPA range is EEXIST. */
static void overlap(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(16 * PAGE_SIZE);

	SET_REGION_OK(vm, 1, 0, 0x100000, 4 * PAGE_SIZE, mem);
	/* same range, partial overlaps at both ends, inside, around */
	SET_REGION_ERR(vm, 2, 0, 0x100000, 4 * PAGE_SIZE, mem + 0x4000,
		       EEXIST);
	SET_REGION_ERR(vm, 2, 0, 0x0ff000, 2 * PAGE_SIZE, mem + 0x4000,
		       EEXIST);
	SET_REGION_ERR(vm, 2, 0, 0x103000, 2 * PAGE_SIZE, mem + 0x4000,
		       EEXIST);
	SET_REGION_ERR(vm, 2, 0, 0x101000, PAGE_SIZE, mem + 0x4000, EEXIST);
	SET_REGION_ERR(vm, 2, 0, 0x0f0000, 0x20000, mem + 0x4000, EEXIST);
	/* adjacent on both sides is fine; host memory may be shared */
	SET_REGION_OK(vm, 2, 0, 0x0ff000, PAGE_SIZE, mem + 0x4000);
	SET_REGION_OK(vm, 3, 0, 0x104000, PAGE_SIZE, mem);
}

/*
 * Slot ids: the low 16 bits are the slot (< KVM_CAP_NR_MEMSLOTS), the high
 * 16 bits the address space (x86: 0, and 1 for SMM); others are EINVAL.
 */
static void slot_ids(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(PAGE_SIZE);
	int nr = kvm_check_cap(vm->kvm_fd, KVM_CAP_NR_MEMSLOTS);

	test_log("KVM_CAP_NR_MEMSLOTS = %d", nr);
	TEST_ASSERT(nr >= 32, "KVM_CAP_NR_MEMSLOTS: expected >= 32, got %d",
		    nr);
	SET_REGION_ERR(vm, nr, 0, 0x100000, PAGE_SIZE, mem, EINVAL);
	SET_REGION_ERR(vm, 0xffff, 0, 0x100000, PAGE_SIZE, mem, EINVAL);
	SET_REGION_ERR(vm, 2 << 16, 0, 0x100000, PAGE_SIZE, mem, EINVAL);
	SET_REGION_ERR(vm, 0xffffffff, 0, 0x100000, PAGE_SIZE, mem, EINVAL);
	SET_REGION_OK(vm, nr - 1, 0, 0x100000, PAGE_SIZE, mem);
}

/*
 * flags: KVM_MEM_LOG_DIRTY_PAGES and (x86) KVM_MEM_READONLY are valid,
 * any other bit is EINVAL.
 */
static void flags(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(4 * PAGE_SIZE);

	SET_REGION_ERR(vm, 1, 1U << 7, 0x100000, PAGE_SIZE, mem, EINVAL);
	SET_REGION_ERR(vm, 1, 1U << 31, 0x100000, PAGE_SIZE, mem, EINVAL);
	SET_REGION_OK(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000, PAGE_SIZE,
		      mem);
	TEST_ASSERT(kvm_check_cap(vm->kvm_fd, KVM_CAP_READONLY_MEM) > 0,
		    "KVM_CAP_READONLY_MEM not reported on x86");
	SET_REGION_OK(vm, 2, KVM_MEM_READONLY, 0x200000, PAGE_SIZE,
		      mem + PAGE_SIZE);
}

/*
 * An existing slot may only change its GPA (move) or its
 * KVM_MEM_LOG_DIRTY_PAGES flag; a new size, host address or READONLY
 * flag is EINVAL.  Setting the same values again is a no-op.
 */
static void modify(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(4 * PAGE_SIZE);

	SET_REGION_OK(vm, 1, 0, 0x100000, 2 * PAGE_SIZE, mem);
	SET_REGION_OK(vm, 1, 0, 0x100000, 2 * PAGE_SIZE, mem);
	SET_REGION_ERR(vm, 1, 0, 0x100000, 3 * PAGE_SIZE, mem, EINVAL);
	SET_REGION_ERR(vm, 1, 0, 0x100000, 2 * PAGE_SIZE, mem + PAGE_SIZE,
		       EINVAL);
	SET_REGION_ERR(vm, 1, KVM_MEM_READONLY, 0x100000, 2 * PAGE_SIZE, mem,
		       EINVAL);
	SET_REGION_OK(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
		      2 * PAGE_SIZE, mem);
	SET_REGION_OK(vm, 1, 0, 0x100000, 2 * PAGE_SIZE, mem);
}

/* memory_size 0 deletes the slot; its range can then be reused. */
static void delete(void)
{
	struct kvm_vcpu *vcpu = pm32_vm();
	struct kvm_vm *vm = vcpu->vm;
	uint8_t *a = alloc_host_mem(PAGE_SIZE), *b = alloc_host_mem(PAGE_SIZE);

	a[0] = 0x5a;
	b[0] = 0xa5;
	SET_REGION_OK(vm, 1, 0, 0x100000, PAGE_SIZE, a);
	TEST_ASSERT(guest_read(vcpu, 0x100000) == 0x5a, "read via slot 1");
	SET_REGION_OK(vm, 1, 0, 0x100000, 0, NULL);
	/* the range is free again: another slot id can take it */
	SET_REGION_OK(vm, 2, 0, 0x100000, PAGE_SIZE, b);
	TEST_ASSERT(guest_read(vcpu, 0x100000) == 0xa5,
		    "read via slot 2 after deleting slot 1");
	/* the deleted id can be reused elsewhere */
	SET_REGION_OK(vm, 1, 0, 0x200000, PAGE_SIZE, a);
	TEST_ASSERT(guest_read(vcpu, 0x200000) == 0x5a, "read via new slot 1");
}

/*
 * Deleting a slot that does not exist is EINVAL in 6.1
 * (__kvm_set_memory_region(): "!old || !old->npages").
 */
static void delete_missing(void)
{
	struct kvm_vm *vm = vm_create(0);

	SET_REGION_ERR(vm, 5, 0, 0x100000, 0, NULL, EINVAL);
}

/*
 * After a slot is deleted, a guest access to its range is no longer
 * memory: a read exits to userspace as KVM_EXIT_MMIO.
 */
static void deleted_is_mmio(void)
{
	struct kvm_vcpu *vcpu = pm32_vm();
	uint8_t *a = alloc_host_mem(PAGE_SIZE);
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;

	SET_REGION_OK(vcpu->vm, 1, 0, 0x100000, PAGE_SIZE, a);
	SET_REGION_OK(vcpu->vm, 1, 0, 0x100000, 0, NULL);
	vcpu_get_regs(vcpu, &regs);
	regs.rdi = 0x100010;
	vcpu_set_regs(vcpu, &regs);
	vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT(!run->mmio.is_write && run->mmio.len == 1 &&
		    run->mmio.phys_addr == 0x100010,
		    "expected 1-byte MMIO read at 0x100010, got %s len %u at 0x%llx",
		    run->mmio.is_write ? "write" : "read", run->mmio.len,
		    (unsigned long long)run->mmio.phys_addr);
	/* complete the read with a value of our own */
	run->mmio.data[0] = 0x3c;
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_RESULT, 1) == 0x3c,
		    "MMIO read data did not reach the guest");
}

/* A new GPA for an existing slot moves it, with its contents. */
static void move(void)
{
	struct kvm_vcpu *vcpu = pm32_vm();
	struct kvm_vm *vm = vcpu->vm;
	uint8_t *a = alloc_host_mem(2 * PAGE_SIZE), *b = alloc_host_mem(PAGE_SIZE);

	a[0] = 0x11;
	a[PAGE_SIZE + 7] = 0x22;
	SET_REGION_OK(vm, 1, 0, 0x100000, 2 * PAGE_SIZE, a);
	TEST_ASSERT(guest_read(vcpu, 0x100000) == 0x11, "before move");
	SET_REGION_OK(vm, 1, 0, 0x300000, 2 * PAGE_SIZE, a);
	TEST_ASSERT(guest_read(vcpu, 0x300000) == 0x11, "after move, page 0");
	TEST_ASSERT(guest_read(vcpu, 0x301007) == 0x22, "after move, page 1");
	/* moving onto another slot is EEXIST, partially too */
	SET_REGION_OK(vm, 2, 0, 0x100000, PAGE_SIZE, b);
	SET_REGION_ERR(vm, 1, 0, 0x0ff000, 2 * PAGE_SIZE, a, EEXIST);
	SET_REGION_ERR(vm, 1, 0, 0x0, 2 * PAGE_SIZE, a, EEXIST);
	/* still where it was */
	TEST_ASSERT(guest_read(vcpu, 0x300000) == 0x11, "after failed move");
}

/* Many slots at once (up to KVM_CAP_NR_MEMSLOTS; 256 here). */
static void many_slots(void)
{
	struct kvm_vcpu *vcpu = pm32_vm();
	struct kvm_vm *vm = vcpu->vm;
	int nr = kvm_check_cap(vm->kvm_fd, KVM_CAP_NR_MEMSLOTS), i, n = 256;
	uint8_t *mem = alloc_host_mem(n * PAGE_SIZE);
	struct kvm_regs regs;
	unsigned int sum = 0;

	TEST_ASSERT(nr >= 32, "KVM_CAP_NR_MEMSLOTS %d < 32", nr);
	if (n > nr - 1)
		n = nr - 1;
	/* slot i maps one page at 1 MiB + i * 4 KiB, backed out of order */
	for (i = 0; i < n; i++) {
		uint8_t *page = mem + ((i * 7) % n) * PAGE_SIZE;

		page[0] = i * 3 + 1;
		sum += page[0];
		SET_REGION_OK(vm, i + 1, 0, 0x100000 + i * PAGE_SIZE,
			      PAGE_SIZE, page);
	}
	TEST_ASSERT(guest_read(vcpu, 0x100000) == 1, "first slot");
	TEST_ASSERT(guest_read(vcpu, 0x100000 + (n - 1) * PAGE_SIZE) ==
		    (uint8_t)((n - 1) * 3 + 1), "last slot");
	/* one guest pass over all of them */
	vcpu_get_regs(vcpu, &regs);
	regs.rip = CODE_GPA + 0x100;
	regs.rsi = 0x100000;
	regs.rcx = n;
	vcpu_set_regs(vcpu, &regs);
	TEST_ASSERT(vcpu_run_out(vcpu, PORT_RESULT, 1) == (sum & 0xff),
		    "sum over %d slots", n);
}

/* A real-mode guest reads one byte from each of four slots. */
GUEST_CODE(g_real_sum, ".code16",
	"xorb %bl, %bl\n"
	"movw $0x1000, %ax\n"
	"movw %ax, %ds\n"
	"addb 0x0, %bl\n"
	"movw $0x2000, %ax\n"
	"movw %ax, %ds\n"
	"addb 0xfff, %bl\n"
	"movw $0x3000, %ax\n"
	"movw %ax, %ds\n"
	"addb 0x123, %bl\n"
	"movw $0x0, %ax\n"
	"movw %ax, %ds\n"
	"addb 0xa000, %bl\n"
	"movb %bl, %al\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void guest_reads_slots(void)
{
	struct kvm_vm *vm = vm_create(SLOT0_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);
	uint8_t *m1 = alloc_host_mem(PAGE_SIZE), *m2 = alloc_host_mem(PAGE_SIZE);
	uint8_t *m3 = alloc_host_mem(2 * PAGE_SIZE);
	uint8_t v;

	m1[0] = 0x01;
	m2[0xfff] = 0x02;
	m3[0x123] = 0x04;
	vm->mem[DATA_GPA] = 0x08;
	SET_REGION_OK(vm, 1, 0, 0x10000, PAGE_SIZE, m1);
	SET_REGION_OK(vm, 7, 0, 0x20000, PAGE_SIZE, m2);
	SET_REGION_OK(vm, 3, 0, 0x30000, 2 * PAGE_SIZE, m3);
	vm_load_code(vm, CODE_GPA, g_real_sum);
	vcpu_setup_real(vcpu, CODE_GPA);
	v = vcpu_run_out(vcpu, PORT_RESULT, 1);
	TEST_ASSERT(v == 0x0f, "expected sum 0x0f, got 0x%02x", v);
	vcpu_run_expect(vcpu, KVM_EXIT_HLT);
}

/* Guest writes land in the host memory behind the slot. */
GUEST_CODE(g_write, ".code32",
	"movl $0xcafef00d, (%edi)\n"
	"outb %al, $0x10\n"
	"hlt\n");

static void guest_writes_slot(void)
{
	struct kvm_vcpu *vcpu = pm32_vm();
	uint32_t *m = alloc_host_mem(PAGE_SIZE);
	struct kvm_regs regs;

	SET_REGION_OK(vcpu->vm, 4, 0, 0x400000, PAGE_SIZE, m);
	vm_load_code(vcpu->vm, CODE_GPA, g_write);
	vcpu_get_regs(vcpu, &regs);
	regs.rdi = 0x400ffc;
	vcpu_set_regs(vcpu, &regs);
	vcpu_run_out(vcpu, PORT_RESULT, 1);
	TEST_ASSERT(m[1023] == 0xcafef00d, "host sees 0x%x, expected 0xcafef00d",
		    m[1023]);
}

/*
 * The host range must be a valid user range (access_ok()): a kernel
 * address is EINVAL.  So is a size above KVM_MEM_MAX_NR_PAGES pages.
 */
static void bad_host_range(void)
{
	struct kvm_vm *vm = vm_create(0);
	uint8_t *mem = alloc_host_mem(PAGE_SIZE);

	SET_REGION_ERR(vm, 1, 0, 0x100000, PAGE_SIZE,
		       (void *)0xffff888000000000UL, EINVAL);
	SET_REGION_ERR(vm, 1, 0, 0x100000, PAGE_SIZE,
		       (void *)0x0000800000000000UL, EINVAL);
	SET_REGION_ERR(vm, 1, 0, 0, 1ULL << 44, mem, EINVAL);
}

static const struct kvm_test tests[] = {
	{ "unaligned gpa, size or host address gives EINVAL", alignment },
	{ "gpa + size wrapping around gives EINVAL", gpa_wrap },
	{ "overlap gives EEXIST, adjacent is fine", overlap },
	{ "invalid slot ids give EINVAL", slot_ids },
	{ "unknown flags give EINVAL, LOG_DIRTY/READONLY accepted", flags },
	{ "modifying size, host address or READONLY gives EINVAL", modify },
	{ "size 0 deletes a slot and frees its range", delete },
	{ "deleting a missing slot gives EINVAL", delete_missing },
	{ "guest read from a deleted slot is KVM_EXIT_MMIO", deleted_is_mmio },
	{ "moving a slot moves its memory, EEXIST on overlap", move },
	{ "256 slots, guest reads through all", many_slots },
	{ "real-mode guest reads from four slots", guest_reads_slots },
	{ "guest write reaches host memory", guest_writes_slot },
	{ "kernel/non-canonical host address or huge size gives EINVAL",
	  bad_host_range },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
