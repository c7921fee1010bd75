/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic: a memslot, and lookup of a guest
 * frame in an array of slots sorted by base frame (binary search, so the
 * cost grows with log2 of the slot count). No kernel headers: the host test
 * tier compiles it unchanged.
 */
#ifndef RKVM_MMU_MEMSLOT_LOOKUP_H
#define RKVM_MMU_MEMSLOT_LOOKUP_H

struct rkvm_memslot {
	unsigned long long base_gfn;
	unsigned long long npages;
	unsigned long userspace_addr;
	unsigned long *dirty_bitmap;	/* with KVM_MEM_LOG_DIRTY_PAGES */
	unsigned int flags;
	unsigned short id;
};

/* index of the slot holding @gfn, or -1 */
static inline int rkvm_slot_search(const struct rkvm_memslot *s, int nr,
				   unsigned long long gfn)
{
	int lo = 0, hi = nr - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (gfn < s[mid].base_gfn)
			hi = mid - 1;
		else if (gfn >= s[mid].base_gfn + s[mid].npages)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* insert @n keeping the order by base; the caller checked for overlaps */
static inline void rkvm_slot_insert_sorted(struct rkvm_memslot *s, int *nr,
					   const struct rkvm_memslot *n)
{
	int i = *nr;

	while (i > 0 && s[i - 1].base_gfn > n->base_gfn) {
		s[i] = s[i - 1];
		i--;
	}
	s[i] = *n;
	(*nr)++;
}

#endif
