// SPDX-License-Identifier: GPL-2.0
/*
 * test_pagetable.c - host-tier unit tests of the page tables, GDT, TSS, IDT
 * and exception stubs the VMM writes into guest memory, and of the SREGS
 * values for entering 64-bit mode.
 */
#include <string.h>
#include "../abi.h"
#include "../cpu.h"
#include "../pagetable.h"
#include "tap.h"

static uint8_t mem[0x400000];

static uint64_t q(uint64_t addr)
{
	uint64_t v;

	memcpy(&v, mem + addr, 8);
	return v;
}

/* va maps to itself with exactly the permissions perm (PTE_W|PTE_U). */
static int ident(uint64_t va, uint64_t perm)
{
	uint64_t p = ~0ULL;

	return mvm_pt_walk(mem, va, &p) == (int64_t)va && p == perm;
}

static int all_accessed(uint64_t table, int leaf_dirty)
{
	int i;

	for (i = 0; i < 512; i++) {
		uint64_t e = q(table + 8 * i);

		if (!(e & PTE_P))
			continue;
		if (!(e & PTE_A))
			return 0;
		if (leaf_dirty && (e & PTE_PS || table == MVM_PT_ADDR) &&
		    !(e & PTE_D))
			return 0;
	}
	return 1;
}

int main(void)
{
	struct kvm_sregs s;
	uint64_t gdt, tss, h, pte_flags;
	const uint8_t *g, *stub;
	int i, ok;

	memset(mem, 0xcc, sizeof(mem));
	mvm_build_pagetables(mem);
	tap_ok(q(MVM_PML4_ADDR) == (MVM_PDPT_ADDR | PTE_P | PTE_W | PTE_U | PTE_A),
	       "PML4[0] -> PDPT, present, writable, user");
	ok = 1;
	for (i = 1; i < 512; i++)
		ok &= q(MVM_PML4_ADDR + 8 * i) == 0 && q(MVM_PDPT_ADDR + 8 * i) == 0;
	tap_ok(ok, "only the first GiB is mapped (other PML4/PDPT entries 0)");
	tap_ok((q(MVM_PDPT_ADDR) & PTE_ADDR_MASK) == MVM_PD_ADDR &&
	       (q(MVM_PD_ADDR) & PTE_ADDR_MASK) == MVM_PT_ADDR &&
	       !(q(MVM_PD_ADDR) & PTE_PS), "PDPT[0] -> PD, PD[0] -> PT (4 KiB pages)");
	ok = 1;
	for (i = 1; i < 512; i++)
		ok &= q(MVM_PD_ADDR + 8 * i) == ((uint64_t)i << 21 | PTE_P |
			PTE_W | PTE_U | PTE_A | PTE_D | PTE_PS);
	tap_ok(ok, "PD[1..511]: identity 2 MiB pages, writable, user");
	tap_ok(all_accessed(MVM_PML4_ADDR, 0) && all_accessed(MVM_PDPT_ADDR, 0) &&
	       all_accessed(MVM_PD_ADDR, 1) && all_accessed(MVM_PT_ADDR, 1),
	       "accessed/dirty bits preset (CPU never writes the tables)");
	tap_ok(mvm_pt_walk(mem, 0, NULL) < 0 && mvm_pt_walk(mem, 0xfff, NULL) < 0,
	       "page 0 is not mapped (NULL guard)");
	tap_ok(ident(MVM_PML4_ADDR, 0) && ident(MVM_PT_ADDR + 0xff8, 0),
	       "page tables: read-only, supervisor");
	tap_ok(ident(MVM_INFO_ADDR, PTE_W | PTE_U), "info page: writable, user");
	tap_ok(ident(MVM_GDT_ADDR, 0) && ident(MVM_IDT_ADDR, 0) &&
	       ident(MVM_STUBS_ADDR, 0), "GDT, IDT, stubs: read-only, supervisor");
	tap_ok(ident(MVM_XSTACK_TOP - 8, PTE_W),
	       "exception stack: writable, supervisor");
	tap_ok(mvm_pt_walk(mem, MVM_XSTACK_TOP, NULL) < 0 &&
	       mvm_pt_walk(mem, MVM_STACK_BOTTOM - 1, NULL) < 0,
	       "guard pages below the stack are not mapped");
	tap_ok(ident(MVM_STACK_BOTTOM, PTE_W | PTE_U) &&
	       ident(MVM_STACK_TOP - 8, PTE_W | PTE_U) &&
	       ident(MVM_LOAD_BASE, PTE_W | PTE_U) &&
	       ident(0x1ff000, PTE_W | PTE_U), "stack and load area: writable, user");
	tap_ok(ident(0x200000, PTE_W | PTE_U) && ident(0x2abcde, PTE_W | PTE_U) &&
	       ident(MVM_DOORBELL_MMIO + 0x44, PTE_W | PTE_U),
	       "2 MiB pages and the doorbell page map identically");
	tap_ok(mvm_pt_walk(mem, MVM_MAP_LIMIT, NULL) < 0 &&
	       mvm_pt_walk(mem, 0xffff800000000000ULL, NULL) < 0,
	       "addresses past 1 GiB are not mapped");
	pte_flags = q(MVM_PT_ADDR + 8 * (MVM_LOAD_BASE >> 12));
	tap_ok(pte_flags == (MVM_LOAD_BASE | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D),
	       "PT entry for 1 MiB is exact");

	mvm_build_descriptors(mem);
	gdt = MVM_GDT_ADDR;
	tap_ok(q(gdt) == 0 && q(gdt + 8) == 0x00209b0000000000ULL &&
	       q(gdt + 0x28) == 0x0020fb0000000000ULL,
	       "GDT: null, 64-bit code DPL0, 64-bit code DPL3");
	tss = (q(gdt + 0x18) >> 16 & 0xffffff) | (q(gdt + 0x18) >> 56) << 24 |
	      q(gdt + 0x20) << 32;
	tap_ok(tss == MVM_TSS_ADDR && (q(gdt + 0x18) >> 40 & 0x8f) == 0x8b,
	       "GDT: busy 64-bit TSS descriptor at the TSS");
	tap_ok(q(MVM_TSS_ADDR + 0x24) == MVM_XSTACK_TOP, "TSS IST1 = exception stack");
	ok = 1;
	for (i = 0; i < MVM_IDT_VECTORS; i++) {
		g = mem + MVM_IDT_ADDR + 16 * i;
		h = g[0] | g[1] << 8 | (uint64_t)g[6] << 16 | (uint64_t)g[7] << 24;
		stub = mem + h;
		ok &= h == MVM_STUBS_ADDR + 16 * i && g[2] == MVM_SEL_CODE &&
		      g[4] == 1 && g[5] == 0x8e && stub[0] == 0xb8 &&
		      stub[1] == i && stub[5] == 0xe7 &&
		      stub[6] == MVM_PORT_FAULT && stub[7] == 0xf4;
	}
	tap_ok(ok, "IDT: 32 interrupt gates on IST1, stubs report the vector");

	memset(&s, 0, sizeof(s));
	mvm_setup_sregs(&s, 0);
	tap_ok((s.cr0 & 0x80010001) == 0x80010001 && (s.cr4 & 0x20) &&
	       (s.efer & 0x500) == 0x500 && s.cr3 == MVM_PML4_ADDR,
	       "SREGS: paging, WP, PAE, LME+LMA, CR3 = PML4");
	tap_ok(s.cs.l && !s.cs.db && s.cs.dpl == 3 && s.cs.selector == MVM_SEL_UCODE &&
	       s.ss.dpl == 3 && s.ss.selector == MVM_SEL_UDATA,
	       "SREGS: user-mode 64-bit code segment and stack segment");
	tap_ok(s.tr.selector == MVM_SEL_TSS && s.tr.type == 11 && s.tr.present &&
	       s.idt.base == MVM_IDT_ADDR && s.gdt.base == MVM_GDT_ADDR,
	       "SREGS: TR, GDTR, IDTR");
	mvm_setup_sregs(&s, 1);
	tap_ok(s.cs.dpl == 0 && s.cs.selector == MVM_SEL_CODE,
	       "SREGS: --ring0 uses the kernel code segment");
	return tap_done();
}
