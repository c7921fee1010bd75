// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/mmu/memslot_lookup.h: the binary search over slots sorted by base
 * and the sorted insert, against a linear search on random layouts up to
 * KVM's 509 user slots, with first/last frames, gaps and adjacent slots.
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "mmu/memslot_lookup.h"

#define NSLOTS	509

static unsigned long long rng = 0x13198a2e03707344ull;

static unsigned long long rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int linear(const struct rkvm_memslot *s, int nr, unsigned long long gfn)
{
	int i;

	for (i = 0; i < nr; i++)
		if (gfn >= s[i].base_gfn && gfn - s[i].base_gfn < s[i].npages)
			return i;
	return -1;
}

/* a random layout of @nr non-overlapping slots, inserted in random order */
static int layout(struct rkvm_memslot *s, int nr, int adjacent)
{
	struct rkvm_memslot tmp[NSLOTS];
	unsigned long long base = rnd64() % 4;
	int i, n = 0, bad = 0;

	for (i = 0; i < nr; i++) {
		tmp[i].base_gfn = base;
		tmp[i].npages = 1 + rnd64() % (i % 3 ? 16 : 4096);
		tmp[i].id = i;
		tmp[i].flags = 0;
		tmp[i].userspace_addr = 0x10000000ul * (i + 1);
		base += tmp[i].npages + (adjacent ? 0 : rnd64() % 64);
	}
	for (i = nr - 1; i > 0; i--) {	/* shuffle */
		int j = rnd64() % (i + 1);
		struct rkvm_memslot t = tmp[i];

		tmp[i] = tmp[j];
		tmp[j] = t;
	}
	for (i = 0; i < nr; i++)
		rkvm_slot_insert_sorted(s, &n, &tmp[i]);
	bad += n != nr;
	for (i = 1; i < n; i++)
		bad += s[i - 1].base_gfn >= s[i].base_gfn;
	return bad;
}

void test_memslot(void)
{
	struct rkvm_memslot s[NSLOTS + 1];
	int round, i, nr, n;

	t_begin("memslot: empty array, one slot, first/last frame");
	T_EQ(rkvm_slot_search(s, 0, 0), -1);
	s[0].base_gfn = 0x100;
	s[0].npages = 0x10;
	T_EQ(rkvm_slot_search(s, 1, 0xff), -1);
	T_EQ(rkvm_slot_search(s, 1, 0x100), 0);
	T_EQ(rkvm_slot_search(s, 1, 0x10f), 0);
	T_EQ(rkvm_slot_search(s, 1, 0x110), -1);
	s[0].base_gfn = 0;
	s[0].npages = 1;
	T_EQ(rkvm_slot_search(s, 1, 0), 0);
	T_EQ(rkvm_slot_search(s, 1, 1), -1);
	/* the highest frame KVM allows (52-bit GPA) */
	s[1].base_gfn = (1ull << 40) - 4;
	s[1].npages = 4;
	T_EQ(rkvm_slot_search(s, 2, (1ull << 40) - 1), 1);
	T_EQ(rkvm_slot_search(s, 2, 1ull << 40), -1);
	T_EQ(rkvm_slot_search(s, 2, ~0ull), -1);
	t_end();

	t_begin("memslot: sorted insert keeps the order (front, back, middle)");
	n = 0;
	{
		static const unsigned long long bases[] = { 50, 10, 90, 30, 70, 0 };

		for (i = 0; i < 6; i++) {
			struct rkvm_memslot x = { .base_gfn = bases[i], .npages = 5,
						  .id = i };

			rkvm_slot_insert_sorted(s, &n, &x);
		}
	}
	T_EQ(n, 6);
	for (i = 0; i < 6; i++) {
		static const unsigned long long sorted[] = { 0, 10, 30, 50, 70, 90 };

		T_EQ(s[i].base_gfn, sorted[i]);
	}
	T_EQ(s[0].id, 5);
	T_EQ(s[5].id, 2);
	t_end();

	t_begin("memslot: binary search = linear search, 200 random layouts up to 509 slots");
	for (round = 0; round < 200; round++) {
		nr = round < 10 ? round + 1 : round % 2 ? NSLOTS :
		     1 + (int)(rnd64() % NSLOTS);
		t_check(!layout(s, nr, round % 4 == 0), "round %d: not sorted",
			round);
		for (i = 0; i < nr; i++) {
			unsigned long long b = s[i].base_gfn, e = b + s[i].npages;

			t_check(rkvm_slot_search(s, nr, b) == i, "first frame of %d", i);
			t_check(rkvm_slot_search(s, nr, e - 1) == i, "last frame of %d", i);
			t_check(rkvm_slot_search(s, nr, e) == linear(s, nr, e),
				"frame after %d", i);
			if (b)
				t_check(rkvm_slot_search(s, nr, b - 1) ==
					linear(s, nr, b - 1), "frame before %d", i);
		}
		for (i = 0; i < 2000; i++) {
			unsigned long long g = rnd64() %
				(s[nr - 1].base_gfn + s[nr - 1].npages + 100);

			t_check(rkvm_slot_search(s, nr, g) == linear(s, nr, g),
				"round %d gfn %llx", round, g);
		}
	}
	t_end();
}
