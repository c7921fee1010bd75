/* SPDX-License-Identifier: GPL-2.0 */
/* pagetable.h - the identity-mapped 4-level page tables built by the VMM. */
#ifndef MVM_PAGETABLE_H
#define MVM_PAGETABLE_H

#include <stdint.h>

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_U		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

/*
 * Write PML4, PDPT, PD and PT at MVM_PML4_ADDR.. into mem (guest RAM seen
 * from the host; it must hold at least the first 64 KiB). The first GiB is
 * identity-mapped: 4 KiB pages below 2 MiB, 2 MiB pages above. Page 0 and
 * 0xA000..0xFFFF (stack guard) are not present; the page tables, the
 * descriptor tables and the exception stack are supervisor-only (the function
 * runs in user mode, CPL3) and the tables are read-only (CR0.WP is set). Accessed and dirty bits
 * are preset so the CPU never writes the tables (they stay shared in a
 * snapshot). Addresses past RAM are mapped too: a guest access there is an
 * MMIO exit, which the VMM reports as a wild access.
 */
void mvm_build_pagetables(uint8_t *mem);

/* Walk the tables in mem for va: the physical address, or -1 if unmapped;
 * *perm gets PTE_W and PTE_U when every level allows them. For tests. */
int64_t mvm_pt_walk(const uint8_t *mem, uint64_t va, uint64_t *perm);

#endif
