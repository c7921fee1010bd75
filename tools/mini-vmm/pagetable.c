// SPDX-License-Identifier: GPL-2.0
/* pagetable.c - builds (and walks) the guest's identity-mapped page tables. */
#include <string.h>
#include "abi.h"
#include "pagetable.h"

static uint64_t *table(uint8_t *mem, uint64_t addr)
{
	return (uint64_t *)(mem + addr);
}

/* Protection of the 4 KiB pages below 2 MiB. */
static uint64_t low_page_flags(uint64_t addr)
{
	if (addr == 0)
		return 0;				/* NULL guard */
	if (addr < MVM_INFO_ADDR)
		return PTE_P | PTE_A | PTE_D;		/* page tables */
	if (addr == MVM_INFO_ADDR)
		return PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
	if (addr < MVM_XSTACK_TOP - 0x1000)
		return PTE_P | PTE_A | PTE_D;		/* GDT, IDT, stubs */
	if (addr < MVM_XSTACK_TOP)
		return PTE_P | PTE_W | PTE_A | PTE_D;	/* exception stack */
	if (addr < MVM_STACK_BOTTOM)
		return 0;				/* stack guard */
	return PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
}

void mvm_build_pagetables(uint8_t *mem)
{
	uint64_t *pml4 = table(mem, MVM_PML4_ADDR);
	uint64_t *pdpt = table(mem, MVM_PDPT_ADDR);
	uint64_t *pd = table(mem, MVM_PD_ADDR);
	uint64_t *pt = table(mem, MVM_PT_ADDR);
	uint64_t i, dir = PTE_P | PTE_W | PTE_U | PTE_A;

	memset(pml4, 0, 4 * 4096);
	pml4[0] = MVM_PDPT_ADDR | dir;
	pdpt[0] = MVM_PD_ADDR | dir;
	pd[0] = MVM_PT_ADDR | dir;
	for (i = 1; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D |
			PTE_PS;
	for (i = 0; i < 512; i++) {
		uint64_t f = low_page_flags(i << 12);

		pt[i] = f ? (i << 12) | f : 0;
	}
}

int64_t mvm_pt_walk(const uint8_t *mem, uint64_t va, uint64_t *perm)
{
	uint64_t e, addr = MVM_PML4_ADDR;
	uint64_t p = PTE_W | PTE_U;
	int level;

	for (level = 3; level >= 0; level--) {
		unsigned int idx = (va >> (12 + 9 * level)) & 511;

		if (addr > MVM_PT_ADDR)		/* tables live in 0x1000..0x4fff */
			return -1;
		e = ((const uint64_t *)(mem + addr))[idx];
		if (!(e & PTE_P))
			return -1;
		p &= e;
		if (level > 0 && level < 3 && (e & PTE_PS)) {
			uint64_t size = 1ULL << (12 + 9 * level);

			if (perm)
				*perm = p & (PTE_W | PTE_U);
			return (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
		}
		addr = e & PTE_ADDR_MASK;
	}
	if (perm)
		*perm = p & (PTE_W | PTE_U);
	return addr | (va & 0xfff);
}
