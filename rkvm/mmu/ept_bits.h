/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic: the EPT entry and EPTP formats
 * (SDM Vol. 3 29.3.2) and index arithmetic. No kernel headers, so the host
 * test tier checks the very same encodings.
 */
#ifndef RKVM_MMU_EPT_BITS_H
#define RKVM_MMU_EPT_BITS_H

#define EPTE_R			0x1ull
#define EPTE_W			0x2ull
#define EPTE_X			0x4ull
#define EPTE_RWX		(EPTE_R | EPTE_W | EPTE_X)
#define EPTE_MT_SHIFT		3
#define EPTE_MT_WB		(6ull << EPTE_MT_SHIFT)
#define EPTE_IPAT		(1ull << 6)
#define EPTE_LARGE		(1ull << 7)
#define EPTE_A			(1ull << 8)
#define EPTE_D			(1ull << 9)
#define EPTE_ADDR_MASK		0x000ffffffffff000ull

#define EPT_LEVELS		4
#define EPT_ENTRIES		512

#define EPTP_WB			6ull
#define EPTP_WALK_4		(3ull << 3)
#define EPTP_AD			(1ull << 6)

static inline unsigned long long rkvm_make_eptp(unsigned long long root_pa,
						int ad)
{
	return (root_pa & EPTE_ADDR_MASK) | EPTP_WALK_4 | EPTP_WB |
	       (ad ? EPTP_AD : 0);
}

/* Guest pages covered by one entry at @level (1 = 4 KiB PTE) */
static inline unsigned long long rkvm_ept_span(int level)
{
	return 1ull << (9 * (level - 1));
}

static inline int rkvm_ept_index(unsigned long long gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (EPT_ENTRIES - 1);
}

/* A leaf maps guest memory write-back; the guest's PAT still applies. */
static inline unsigned long long rkvm_ept_leaf(unsigned long long pa,
					       int writable, int level)
{
	return (pa & EPTE_ADDR_MASK) | EPTE_R | EPTE_X |
	       (writable ? EPTE_W : 0) | EPTE_MT_WB |
	       (level > 1 ? EPTE_LARGE : 0);
}

/* A non-leaf entry allows everything; leaves decide. */
static inline unsigned long long rkvm_ept_table(unsigned long long pa)
{
	return (pa & EPTE_ADDR_MASK) | EPTE_RWX;
}

/*
 * A guest frame known to be MMIO: write without read is an EPT
 * misconfiguration (SDM Vol. 3 29.3.3.1), so every access to it exits with
 * EPT_MISCONFIG straight to the emulator, with no memslot lookup. Bit 62 is
 * ignored by the CPU and marks the entry as ours.
 */
#define EPTE_MMIO_MARK		(1ull << 62)
#define EPTE_MMIO		(EPTE_W | EPTE_MMIO_MARK)

static inline int rkvm_ept_is_mmio(unsigned long long e)
{
	return (e & (EPTE_RWX | EPTE_MMIO_MARK)) == EPTE_MMIO;
}

static inline int rkvm_ept_present(unsigned long long e)
{
	return (e & EPTE_RWX) != 0;
}

static inline int rkvm_ept_is_leaf(unsigned long long e, int level)
{
	return level == 1 || (e & EPTE_LARGE);
}

#endif
