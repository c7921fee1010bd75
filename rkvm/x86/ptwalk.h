/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic: translate a guest linear address through
 * the guest's own page tables (none, 32-bit, PAE, 4-level), with the
 * permission checks of SDM Vol. 3 4.6, the reserved-bit checks of 4.3-4.5
 * (a present entry with a reserved bit set faults with P|RSVD at the level
 * where it is found) and the page-fault error code. Page
 * table entries are read through a callback, so the host test tier runs
 * the very same walker over tables it builds in an array.
 */
#ifndef RKVM_X86_PTWALK_H
#define RKVM_X86_PTWALK_H

#define PTW_P		0x1ull
#define PTW_RW		0x2ull
#define PTW_US		0x4ull
#define PTW_PS		0x80ull
#define PTW_NX		(1ull << 63)

#define PFERR_P		0x1u
#define PFERR_W		0x2u
#define PFERR_U		0x4u
#define PFERR_RSVD	0x8u
#define PFERR_I		0x10u

enum rkvm_paging { PAGING_NONE, PAGING_32, PAGING_PAE, PAGING_4LEVEL };

struct rkvm_walk_ctx {
	enum rkvm_paging mode;
	unsigned long long cr3;
	unsigned long long pdptr[4];	/* PAE: from the VMCS */
	int pse;			/* CR4.PSE (32-bit paging) */
	int wp;				/* CR0.WP */
	int nxe;			/* EFER.NXE */
	unsigned long long maxphy_mask;	/* physical-address bits of an entry */
	/* read a @size (4 or 8) byte entry at @gpa; nonzero if unreadable */
	int (*read)(void *opaque, unsigned long long gpa, unsigned long long *v,
		    int size);
	void *opaque;
};

/*
 * Does the present entry @e of @size bytes at @level, a leaf (page) or
 * not, set a reserved bit? 32-bit paging: only a 4 MiB page has them (bit
 * 21, and PSE-36 address bits at or above MAXPHYADDR). PAE and 4-level:
 * address bits 51:MAXPHYADDR, XD without EFER.NXE, PS in a PML4E, and the
 * low address bits of a 2 MiB (20:13) or 1 GiB (29:13) page.
 */
static inline int rkvm_ptw_rsvd(const struct rkvm_walk_ctx *c, int size,
				int level, unsigned long long e, int leaf)
{
	unsigned long long rsvd;

	if (size == 4)
		return leaf && level == 2 &&
		       ((e & (1ull << 21)) ||
			((((e >> 13) & 0xffull) << 32) & ~c->maxphy_mask));
	if (level == 4 && (e & PTW_PS))
		return 1;
	rsvd = 0x000fffffffffffffull & ~c->maxphy_mask & ~0xfffull;
	if (!c->nxe)
		rsvd |= PTW_NX;
	if (leaf && level == 2)
		rsvd |= 0x1fe000ull;
	else if (leaf && level == 3)
		rsvd |= 0x3fffe000ull;
	return !!(e & rsvd);
}

#define PTW_WRITE	1
#define PTW_USER	2
#define PTW_FETCH	4

/*
 * Returns 0 and the guest-physical address in @gpa; 1 with a #PF error code
 * in @err when the access faults; -1 when a table could not be read.
 */
static inline int rkvm_ptwalk(const struct rkvm_walk_ctx *c,
			      unsigned long long gva, int access,
			      unsigned long long *gpa, unsigned int *err)
{
	unsigned long long e = 0, table, addr_mask = c->maxphy_mask;
	int levels, level, size = 8, writable = 1, user = 1, nx = 0, leaf;
	/* I/D is reported for fetches only where NX exists: PAE/4-level + NXE */
	unsigned int acc_err = ((access & PTW_WRITE) ? PFERR_W : 0) |
			       ((access & PTW_USER) ? PFERR_U : 0) |
			       ((access & PTW_FETCH) && c->nxe &&
				c->mode != PAGING_32 ? PFERR_I : 0);

	switch (c->mode) {
	case PAGING_NONE:
		*gpa = gva & 0xffffffffull;
		return 0;
	case PAGING_32:
		levels = 2;
		size = 4;
		table = c->cr3 & 0xfffff000ull;
		gva &= 0xffffffffull;
		break;
	case PAGING_PAE:
		gva &= 0xffffffffull;
		e = c->pdptr[(gva >> 30) & 3];
		if (!(e & PTW_P))
			goto fault;
		table = e & addr_mask & ~0xfffull;
		levels = 2;
		break;
	default:
		levels = 4;
		table = c->cr3 & addr_mask & ~0xfffull;
		break;
	}

	for (level = levels; level >= 1; level--) {
		int shift = size == 4 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
		unsigned long long idx = (gva >> shift) & (size == 4 ? 1023 : 511);

		if (c->read(c->opaque, table + idx * size, &e, size))
			return -1;
		if (!(e & PTW_P))
			goto fault;
		leaf = level == 1 || ((e & PTW_PS) &&
				      (size == 8 ? level <= 3 : c->pse));
		if (rkvm_ptw_rsvd(c, size, level, e, leaf))
			goto rsvd;
		writable &= !!(e & PTW_RW);
		user &= !!(e & PTW_US);
		if (size == 8 && c->nxe)
			nx |= !!(e & PTW_NX);
		if (leaf && level > 1) {
			unsigned long long pmask = (1ull << shift) - 1;
			unsigned long long base;

			if (size == 4) {	/* PSE-36: bits 13.. give 39:32 */
				base = (e & 0xffc00000ull) |
				       ((e & 0x1fe000ull) << 19);
			} else {
				base = e & addr_mask & ~pmask;
			}
			*gpa = base | (gva & pmask);
			goto check;
		}
		table = (size == 4 ? (e & 0xfffff000ull) : (e & addr_mask)) &
			~0xfffull;
	}
	*gpa = table | (gva & 0xfff);
check:
	if ((access & PTW_USER) && !user)
		goto prot;
	if ((access & PTW_WRITE) && !writable && ((access & PTW_USER) || c->wp))
		goto prot;
	if ((access & PTW_FETCH) && nx)
		goto prot;
	return 0;
prot:
	*err = acc_err | PFERR_P;
	return 1;
rsvd:
	*err = acc_err | PFERR_P | PFERR_RSVD;
	return 1;

fault:
	*err = acc_err;
	return 1;
}

#endif
