// SPDX-License-Identifier: GPL-2.0
/*
 * huge_pages: a guest touches 96 MiB in 4 KiB steps and sees every page's
 * contents; with 2 MiB-aligned transparent huge pages behind the slot, rkvm
 * maps it with 2 MiB EPT entries, which its debugfs counters show
 * (pages_2m in /sys/kernel/debug/rkvm/<pid>-<n>). The contents check runs on
 * both devices; the counter is rkvm's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

#define BIG_GPA		0x10000000UL
#define BIG_SIZE	(96UL << 20)
#define PAGES		(BIG_SIZE >> 12)
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* esi = 0x10000000; sum the first dword of each 4 KiB page; OUT the sum */
GUEST_CODE(g_walk, ".code32",
	"movl $0x10000000, %esi\n"
	"movl $24576, %ecx\n"
	"xorl %edx, %edx\n"
	"1: addl (%esi), %edx\n"
	"addl $4096, %esi\n"
	"decl %ecx\n"
	"jnz 1b\n"
	"movl %edx, %eax\n"
	"outl %eax, $0x10\n"
	"hlt\n");

static void *big_mem(bool thp)
{
	uint8_t *raw = mmap(NULL, BIG_SIZE + (2UL << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *m;
	unsigned long i;

	TEST_ASSERT(raw != MAP_FAILED, "mmap: %s", errno_name(errno));
	m = (uint8_t *)(((unsigned long)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	if (thp)
		TEST_ASSERT(!madvise(m, BIG_SIZE, MADV_HUGEPAGE),
			    "MADV_HUGEPAGE: %s", errno_name(errno));
	for (i = 0; i < PAGES; i++)
		*(uint32_t *)(m + (i << 12)) = i;
	return m;
}

static uint32_t walk(struct kvm_vcpu *vcpu, void *mem)
{
	TEST_ASSERT(vm_set_region(vcpu->vm, 1, 0, BIG_GPA, BIG_SIZE, mem) == 0,
		    "slot 1: %s", errno_name(errno));
	return vcpu_run_out(vcpu, 0x10, 4);
}

static struct kvm_vcpu *walker(void)
{
	struct kvm_vm *vm = vm_create(GUEST_MEM_SIZE);
	struct kvm_vcpu *vcpu = vcpu_create(vm, 0);

	vm_load_code(vm, CODE_GPA, g_walk);
	vcpu_setup_pm32(vcpu, CODE_GPA, false);
	return vcpu;
}

static const uint32_t want = (uint32_t)((PAGES - 1) * PAGES / 2);

static void walk_4k(void)
{
	uint32_t sum = walk(walker(), big_mem(false));

	TEST_ASSERT(sum == want, "sum 0x%x, expected 0x%x", sum, want);
}

static bool set_thp(const char *mode)
{
	FILE *f = fopen(THP_ENABLED, "w");

	if (!f)
		return false;
	if (fputs(mode, f) < 0) {
		fclose(f);
		return false;
	}
	return fclose(f) == 0;
}

static void walk_thp(void)
{
	char old[64] = "", *mode;
	struct kvm_vcpu *vcpu;
	uint32_t sum;
	FILE *f;
	long n;

	/* THP may be off (the kernel's default below 512 MiB): ask for madvise */
	f = fopen(THP_ENABLED, "r");
	if (!f || !fgets(old, sizeof(old), f)) {
		if (f)
			fclose(f);
		test_skip("no transparent huge pages here");
		return;
	}
	fclose(f);
	mode = strstr(old, "[never]") ? "madvise" : NULL;
	if (mode && !set_thp(mode)) {
		test_skip("THP is off and cannot be turned on");
		return;
	}
	vcpu = walker();
	sum = walk(vcpu, big_mem(true));
	if (mode)
		set_thp("never");	/* as it was */
	TEST_ASSERT(sum == want, "sum 0x%x, expected 0x%x", sum, want);
	if (!is_rkvm())
		return;
	n = vm_debugfs_stat(vcpu->vm, "pages_2m");
	/* 48 2 MiB pages back the slot; the host may have split a few */
	TEST_ASSERT(n >= 24, "rkvm maps %ld 2 MiB entries for 96 MiB of THP", n);
}

static const struct kvm_test tests[] = {
	{ "a guest reads 96 MiB in 4 KiB steps and sees every page", walk_4k },
	{ "96 MiB on 2 MiB-aligned THP: every page right, 2 MiB EPT entries (rkvm)",
	  walk_thp },
};

int main(int argc, char **argv)
{
	return ksft_main(argc, argv, tests, ARRAY_SIZE(tests));
}
