// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/mmu/ept_bits.h against the SDM's formats: EPTP (Vol. 3 25.6.11:
 * memory type 2:0, walk length - 1 in 5:3, A/D enable bit 6, the PML4
 * address from bit 12) and EPT entries (29.3.2: R/W/X bits 0-2, memory
 * type 5:3, ignore-PAT 6, page size 7, accessed 8, dirty 9).
 */
#include "tap.h"
#include "mmu/ept_bits.h"

void test_ept_bits(void)
{
	unsigned long long gpa, e;
	int level, i;

	t_begin("ept_bits: bit positions as the SDM gives them");
	T_EQ(EPTE_R, 1ull << 0);
	T_EQ(EPTE_W, 1ull << 1);
	T_EQ(EPTE_X, 1ull << 2);
	T_EQ(EPTE_MT_WB >> 3 & 7, 6);
	T_EQ(EPTE_IPAT, 1ull << 6);
	T_EQ(EPTE_LARGE, 1ull << 7);
	T_EQ(EPTE_A, 1ull << 8);
	T_EQ(EPTE_D, 1ull << 9);
	T_EQ(EPTE_ADDR_MASK, ((1ull << 52) - 1) & ~0xfffull);
	t_end();

	t_begin("ept_bits: EPTP (WB, 4-level walk, A/D flag, address bits)");
	e = rkvm_make_eptp(0x123456789000ull, 0);
	T_EQ(e & 7, 6);				/* WB */
	T_EQ((e >> 3) & 7, 3);			/* 4 levels - 1 */
	T_EQ((e >> 6) & 1, 0);
	T_EQ(e & ~0xfffull, 0x123456789000ull);
	T_EQ(e & 0xf80, 0);			/* bits 11:7 reserved */
	T_EQ(rkvm_make_eptp(0x123456789000ull, 1), e | (1ull << 6));
	/* an unaligned or too high root is cut to the address field */
	T_EQ(rkvm_make_eptp(0xfff0000000001fffull, 0), 0x1000ull | 0x1e);
	t_end();

	t_begin("ept_bits: leaf and table entries");
	e = rkvm_ept_leaf(0xabcdef000ull, 1, 1);
	T_EQ(e, 0xabcdef000ull | 0x7 | (6 << 3));
	e = rkvm_ept_leaf(0xabcdef000ull, 0, 1);
	T_EQ(e, 0xabcdef000ull | 0x5 | (6 << 3));
	e = rkvm_ept_leaf(0x40000000ull, 1, 3);	/* 1 GiB */
	T_EQ(e, 0x40000000ull | 0x7 | (6 << 3) | 0x80);
	e = rkvm_ept_leaf(0x200000ull, 0, 2);	/* 2 MiB */
	T_EQ(e, 0x200000ull | 0x5 | (6 << 3) | 0x80);
	T_EQ(rkvm_ept_leaf(0xfff0000000000fffull, 1, 1) & EPTE_ADDR_MASK, 0);
	e = rkvm_ept_table(0x5000ull | 0xfff);
	T_EQ(e, 0x5007);
	T_EQ(rkvm_ept_present(0), 0);
	T_EQ(rkvm_ept_present(EPTE_A | EPTE_D | EPTE_MT_WB | 0x1000), 0);
	T_OK(rkvm_ept_present(EPTE_R));
	T_OK(rkvm_ept_present(EPTE_X));
	T_OK(rkvm_ept_is_leaf(0x1007, 1));
	T_OK(!rkvm_ept_is_leaf(0x1007, 2));
	T_OK(rkvm_ept_is_leaf(0x1087, 2));
	T_OK(rkvm_ept_is_leaf(0x1087, 3));
	T_OK(!rkvm_ept_is_leaf(0x1007, 4));
	t_end();

	t_begin("ept_bits: span and index against the GPA bit fields");
	T_EQ(rkvm_ept_span(1), 1);
	T_EQ(rkvm_ept_span(2), 512);
	T_EQ(rkvm_ept_span(3), 512 * 512);
	T_EQ(rkvm_ept_span(4), 512ull * 512 * 512);
	for (i = 0, gpa = 0x123456789abcull; i < 10000; i++) {
		gpa = (gpa * 6364136223846793005ull + 1442695040888963407ull);
		for (level = 1; level <= 4; level++) {
			unsigned long long g = gpa & ((1ull << 48) - 1);
			/* SDM: PML4 index = GPA 47:39, ..., PT index = 20:12 */
			unsigned int want = (g >> (12 + 9 * (level - 1))) & 511;

			t_check(rkvm_ept_index(g >> 12, level) == (int)want,
				"gpa %llx level %d", g, level);
		}
	}
	t_end();
}
