// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/x86/ptwalk.h over page tables built in a byte array: translation
 * with no paging, 32-bit paging (4 KiB and 4 MiB PSE/PSE-36 pages), PAE
 * (PDPTEs from the VMCS, 2 MiB pages), 4-level (1 GiB, 2 MiB, 4 KiB), the
 * #PF error codes of not-present and protection faults (SDM Vol. 3 4.6,
 * 4.7), CR0.WP, U/S, NX, and random permission bits against a model.
 */
#include <string.h>
#include "tap.h"
#include "x86/ptwalk.h"

#define MEMSZ	(64 * 4096)
#define P	PTW_P
#define RW	PTW_RW
#define US	PTW_US
#define PS	PTW_PS
#define NX	PTW_NX

static unsigned char mem[MEMSZ];

static int rd(void *opaque, unsigned long long gpa, unsigned long long *v,
	      int size)
{
	unsigned long long x = 0;
	int i;

	(void)opaque;
	if (gpa >= MEMSZ || MEMSZ - gpa < (unsigned long long)size)
		return 1;
	for (i = 0; i < size; i++)
		x |= (unsigned long long)mem[gpa + i] << (8 * i);
	*v = x;
	return 0;
}

static void wr(unsigned long long gpa, unsigned long long v, int size)
{
	int i;

	for (i = 0; i < size; i++)
		mem[gpa + i] = v >> (8 * i);
}

static void set32(unsigned long long table, int idx, unsigned long long v)
{
	wr(table + 4 * idx, v, 4);
}

static void set64(unsigned long long table, int idx, unsigned long long v)
{
	wr(table + 8 * idx, v, 8);
}

static struct rkvm_walk_ctx ctx(enum rkvm_paging mode, unsigned long long cr3)
{
	struct rkvm_walk_ctx c;

	memset(&c, 0, sizeof(c));
	c.mode = mode;
	c.cr3 = cr3;
	c.maxphy_mask = (1ull << 40) - 1;	/* MAXPHYADDR 40 */
	c.read = rd;
	return c;
}

/* walk; returns the result, *out the gpa or the error code */
static int walk(const struct rkvm_walk_ctx *c, unsigned long long gva,
		int access, unsigned long long *out)
{
	unsigned long long gpa = 0xbad;
	unsigned int err = 0xbad;
	int r = rkvm_ptwalk(c, gva, access, &gpa, &err);

	*out = r == 0 ? gpa : r == 1 ? err : 0;
	return r;
}

#define T_GPA(c, gva, acc, want) do {					\
		unsigned long long _o;					\
		int _r = walk(c, gva, acc, &_o);			\
		t_check(_r == 0 && _o == (want),			\
			"%s:%d: gva %llx acc %d: r %d, %llx, want gpa %llx", \
			__FILE__, __LINE__, (unsigned long long)(gva),	\
			acc, _r, _o, (unsigned long long)(want));	\
	} while (0)

#define T_PF(c, gva, acc, want) do {					\
		unsigned long long _o;					\
		int _r = walk(c, gva, acc, &_o);			\
		t_check(_r == 1 && _o == (want),			\
			"%s:%d: gva %llx acc %d: r %d, %llx, want #PF %x", \
			__FILE__, __LINE__, (unsigned long long)(gva),	\
			acc, _r, _o, (unsigned int)(want));		\
	} while (0)

#define W	PTW_WRITE
#define U	PTW_USER
#define F	PTW_FETCH

static void no_paging(void)
{
	struct rkvm_walk_ctx c = ctx(PAGING_NONE, 0);

	t_begin("ptwalk: no paging: gpa = linear address (32 bits)");
	T_GPA(&c, 0x12345678, 0, 0x12345678);
	T_GPA(&c, 0x112345678ull, W | U | F, 0x12345678);
	t_end();
}

static void paging32(void)
{
	struct rkvm_walk_ctx c = ctx(PAGING_32, 0x1000 | 0x18);
	unsigned long long pd = 0x1000, pt = 0x2000;

	memset(mem, 0, sizeof(mem));
	set32(pd, 1, pt | P | RW | US);
	set32(pt, 1, 0xabc000 | P | RW | US);
	set32(pd, 2, pt | P | US);			/* read-only PDE */
	set32(pt, 2, 0xdef000 | P | RW | US);
	/* 4 MiB page at 0x5_12c00000 (PSE-36: bits 20:13 = 0x05) */
	set32(pd, 3, 0x12c00000 | (0x05 << 13) | P | RW | US | PS);
	set32(pt, 3, 0x777000 | P | RW | 0x80);	/* PAT bit in a PTE */
	set32(pd, 5, pt | P | RW);			/* supervisor PDE */

	t_begin("ptwalk: 32-bit paging: 4 KiB pages, 4 MiB PSE-36 pages, PAT bit");
	T_GPA(&c, 0x00401234, 0, 0xabc234);
	T_GPA(&c, 0x00401234, W | U, 0xabc234);
	T_GPA(&c, 0x00403abc, 0, 0x777abc);
	c.pse = 1;
	T_GPA(&c, 0x00c12345, W | U, 0x512c12345ull);
	c.pse = 0;	/* PS ignored: a table far outside memory */
	t_check(rkvm_ptwalk(&c, 0x00c12345, 0, &(unsigned long long){0},
			    &(unsigned int){0}) == -1, "PSE off: PS not ignored");
	t_end();

	t_begin("ptwalk: 32-bit paging: not present, U/S, R/W with and without CR0.WP");
	T_PF(&c, 0x01000000, 0, 0);
	T_PF(&c, 0x01000000, W | U, PFERR_W | PFERR_U);
	T_PF(&c, 0x00404000, W, PFERR_W);		/* PTE 4 absent */
	T_GPA(&c, 0x01401000, 0, 0xabc000);	/* supervisor page */
	T_PF(&c, 0x01401000, U, PFERR_P | PFERR_U);
	T_GPA(&c, 0x00802345, U, 0xdef345);
	T_GPA(&c, 0x00802345, W, 0xdef345);		/* WP = 0 */
	T_PF(&c, 0x00802345, W | U, PFERR_P | PFERR_W | PFERR_U);
	c.wp = 1;
	T_PF(&c, 0x00802345, W, PFERR_P | PFERR_W);
	T_GPA(&c, 0x00401234, W, 0xabc234);
	t_end();

	t_begin("ptwalk: 32-bit paging: a fetch fault has no I/D bit even with EFER.NXE (SDM 4.7: only with CR4.PAE)");
	c.nxe = 1;
	T_PF(&c, 0x01000000, F, 0);
	t_end();
}

static void paging_pae(void)
{
	struct rkvm_walk_ctx c = ctx(PAGING_PAE, 0x3000);
	unsigned long long pd = 0x3000, pt = 0x4000;

	memset(mem, 0, sizeof(mem));
	c.pdptr[0] = pd | P;
	c.pdptr[2] = pd | P;		/* no R/W, U/S in a PAE PDPTE */
	set64(pd, 1, pt | P | RW | US);
	set64(pt, 1, 0x123456000ull | P | RW | US);
	set64(pd, 2, 0x400600000ull | (1ull << 12) | P | RW | US | PS);
	set64(pd, 3, pt | P | RW | US | NX);
	set64(pt, 3, 0x5000 | P | RW | US);
	set64(pd, 4, pt | P | US);

	t_begin("ptwalk: PAE: PDPTEs, 4 KiB and 2 MiB pages (PAT bit 12 masked)");
	T_GPA(&c, 0x00201234, W | U, 0x123456234ull);
	T_GPA(&c, 0x80201234, W | U, 0x123456234ull);
	T_GPA(&c, 0x00412345, W | U, 0x400612345ull);
	T_GPA(&c, 0x1000412345ull, 0, 0x400612345ull);	/* 32-bit linear */
	t_end();

	t_begin("ptwalk: PAE: not present PDPTE/PDE/PTE, NX with EFER.NXE (reserved without), WP");
	T_PF(&c, 0x40000000, 0, 0);
	T_PF(&c, 0x40000000, U | W, PFERR_U | PFERR_W);
	T_PF(&c, 0x00a00000, 0, 0);			/* PDE 5 absent */
	T_PF(&c, 0x00202000, W, PFERR_W);		/* PTE 2 absent */
	/* NXE off: XD is a reserved bit (SDM 4.4.2), no I/D in the code */
	T_PF(&c, 0x00603000, F, PFERR_P | PFERR_RSVD);
	T_PF(&c, 0x00603000, 0, PFERR_P | PFERR_RSVD);
	c.nxe = 1;
	T_GPA(&c, 0x00603000, 0, 0x5000);
	T_PF(&c, 0x00603000, F, PFERR_P | PFERR_I);
	T_PF(&c, 0x00603000, F | U, PFERR_P | PFERR_I | PFERR_U);
	T_PF(&c, 0x40000000, F, PFERR_I);
	T_GPA(&c, 0x00201000, F, 0x123456000ull);
	T_GPA(&c, 0x00801000, W, 0x123456000ull);
	c.wp = 1;
	T_PF(&c, 0x00801000, W, PFERR_P | PFERR_W);
	T_PF(&c, 0x00801000, W | U, PFERR_P | PFERR_W | PFERR_U);
	t_end();
}

#define GVA(l4, l3, l2, l1, off) \
	((unsigned long long)(l4) << 39 | (unsigned long long)(l3) << 30 | \
	 (unsigned long long)(l2) << 21 | (unsigned long long)(l1) << 12 | (off))

static void paging_4level(void)
{
	struct rkvm_walk_ctx c = ctx(PAGING_4LEVEL, 0x6000 | 0x18);
	unsigned long long l4 = 0x6000, l3 = 0x7000, l2 = 0x8000, l1 = 0x9000;
	unsigned long long l3b = 0xa000;

	memset(mem, 0, sizeof(mem));
	set64(l4, 1, l3 | P | RW | US);
	set64(l3, 1, l2 | P | RW | US);
	set64(l2, 1, l1 | P | RW | US);
	set64(l1, 3, 0xabcdef000ull | P | RW | US);
	set64(l3, 2, 0x140000000ull | P | RW | US | PS);	/* 1 GiB */
	set64(l2, 2, 0x200000000ull | P | RW | US | PS);	/* 2 MiB */
	set64(l4, 3, l3 | P | RW | US | NX);
	set64(l4, 4, l3 | P | US);				/* read-only */
	set64(l4, 5, l3b | P | RW | US);
	set64(l3b, 0, l2 | P | RW);				/* supervisor */
	set64(l4, 6, 0x7fff000ull | P | RW | US);		/* not RAM */
	set64(l4, 256, l3 | P | RW | US);			/* kernel half */
	set64(l1, 5, 0xff00000000ull | P | RW | US | NX);	/* NX leaf */

	t_begin("ptwalk: 4-level: 4 KiB, 2 MiB and 1 GiB pages, upper half, CR3 flags");
	T_GPA(&c, GVA(1, 1, 1, 3, 0x456), W | U, 0xabcdef456ull);
	T_GPA(&c, GVA(1, 2, 0, 0, 0) + 0x12345678, W | U, 0x152345678ull);
	T_GPA(&c, GVA(1, 2, 0x1ff, 0x1ff, 0xfff), 0, 0x17fffffffull);
	T_GPA(&c, GVA(1, 1, 2, 0, 0x1abcd), W | U, 0x20001abcdull);
	T_GPA(&c, 0xffff800000000000ull | GVA(0, 1, 1, 3, 0x10), 0,
	      0xabcdef010ull);
	/* NX (with EFER.NXE) is not an address bit */
	c.nxe = 1;
	T_GPA(&c, GVA(1, 1, 1, 5, 0x10), 0, 0xff00000010ull);
	c.nxe = 0;
	t_end();

	t_begin("ptwalk: 4-level: not present at each level, error codes");
	T_PF(&c, GVA(2, 0, 0, 0, 0), 0, 0);
	T_PF(&c, GVA(1, 3, 0, 0, 0), W, PFERR_W);
	T_PF(&c, GVA(1, 1, 3, 0, 0), U, PFERR_U);
	T_PF(&c, GVA(1, 1, 1, 4, 0), W | U, PFERR_W | PFERR_U);
	t_end();

	t_begin("ptwalk: 4-level: R/W, U/S and NX from any level; unreadable table");
	T_GPA(&c, GVA(4, 1, 1, 3, 0), U, 0xabcdef000ull);
	T_GPA(&c, GVA(4, 1, 1, 3, 0), W, 0xabcdef000ull);	/* WP = 0 */
	T_PF(&c, GVA(4, 1, 1, 3, 0), W | U, PFERR_P | PFERR_W | PFERR_U);
	T_GPA(&c, GVA(5, 0, 1, 3, 0), W, 0xabcdef000ull);
	T_PF(&c, GVA(5, 0, 1, 3, 0), U, PFERR_P | PFERR_U);
	/* NXE off: the PML4E's XD is reserved */
	T_PF(&c, GVA(3, 1, 1, 3, 0), F, PFERR_P | PFERR_RSVD);
	c.nxe = 1;
	c.wp = 1;
	T_PF(&c, GVA(4, 1, 1, 3, 0), W, PFERR_P | PFERR_W);
	T_PF(&c, GVA(3, 1, 1, 3, 0), F, PFERR_P | PFERR_I);
	T_PF(&c, GVA(3, 1, 1, 3, 0), F | U, PFERR_P | PFERR_I | PFERR_U);
	T_GPA(&c, GVA(3, 1, 1, 3, 0), W | U, 0xabcdef000ull);
	T_PF(&c, GVA(1, 1, 1, 5, 0), F, PFERR_P | PFERR_I);
	T_PF(&c, GVA(2, 0, 0, 0, 0), F, PFERR_I);
	T_EQ(rkvm_ptwalk(&c, GVA(6, 0, 0, 0, 0), 0, &(unsigned long long){0},
			 &(unsigned int){0}), -1);
	t_end();

	t_begin("ptwalk: 4-level: reserved bits give #PF with RSVD (PS in a PML4E, NX without EFER.NXE, address bits, large-page low bits)");
	set64(l4, 7, l3 | P | RW | US | PS);
	c.nxe = 0;
	T_PF(&c, GVA(7, 1, 1, 3, 0), 0, PFERR_P | PFERR_RSVD);
	T_PF(&c, GVA(3, 1, 1, 3, 0), 0, PFERR_P | PFERR_RSVD);
	/* with U and W in the code; before any permission check */
	T_PF(&c, GVA(3, 1, 1, 3, 0), W | U, PFERR_P | PFERR_RSVD | PFERR_W |
	     PFERR_U);
	/* an address bit at MAXPHYADDR (40) in a table pointer */
	set64(l4, 8, (l3 | (1ull << 40)) | P | RW | US);
	T_PF(&c, GVA(8, 1, 1, 3, 0), 0, PFERR_P | PFERR_RSVD);
	/* bit 51 still is one; 52 and up are ignored */
	set64(l4, 8, (l3 | (1ull << 51)) | P | RW | US);
	T_PF(&c, GVA(8, 1, 1, 3, 0), 0, PFERR_P | PFERR_RSVD);
	set64(l4, 8, (l3 | (1ull << 52) | (1ull << 62)) | P | RW | US);
	T_GPA(&c, GVA(8, 1, 1, 3, 0), 0, 0xabcdef000ull);
	/* a 2 MiB page with bit 13 set, a 1 GiB page with bit 20 set */
	set64(l2, 4, 0x200000000ull | (1ull << 13) | P | RW | US | PS);
	T_PF(&c, GVA(1, 1, 4, 0, 0), 0, PFERR_P | PFERR_RSVD);
	set64(l3, 4, 0x140000000ull | (1ull << 20) | P | RW | US | PS);
	T_PF(&c, GVA(1, 4, 0, 0, 0), 0, PFERR_P | PFERR_RSVD);
	/* bit 12 of a large page is PAT, not reserved */
	set64(l2, 4, 0x200000000ull | (1ull << 12) | P | RW | US | PS);
	T_GPA(&c, GVA(1, 1, 4, 0, 0x123), 0, 0x200000123ull);
	/* a reserved bit above a not-present entry wins */
	set64(l4, 8, (l3b | (1ull << 45)) | P | RW | US);
	T_PF(&c, GVA(8, 7, 0, 0, 0), 0, PFERR_P | PFERR_RSVD);
	t_end();
}

/* 32-bit and PAE paging's reserved bits */
static void reserved_32_pae(void)
{
	struct rkvm_walk_ctx c = ctx(PAGING_32, 0x1000);

	memset(mem, 0, sizeof(mem));
	t_begin("ptwalk: 32-bit and PAE paging: reserved bits of 4 MiB and 2 MiB pages and PAE entries");
	c.pse = 1;
	/* 4 MiB page: bit 21 is reserved */
	set32(0x1000, 1, 0x00400000 | (1u << 21) | P | RW | US | PS);
	T_PF(&c, 0x00400000, 0, PFERR_P | PFERR_RSVD);
	/* PSE-36 bits 39:32 at or above MAXPHYADDR (36 here) */
	c.maxphy_mask = (1ull << 36) - 1;
	set32(0x1000, 2, 0x00800000 | (0x10 << 13) | P | RW | US | PS);
	T_PF(&c, 0x00800000, 0, PFERR_P | PFERR_RSVD);
	set32(0x1000, 2, 0x00800000 | (0x0f << 13) | P | RW | US | PS);
	T_GPA(&c, 0x00800010, 0, 0xf00800010ull);
	/* PSE off: PS means nothing in a PDE, and bit 21 is an address bit */
	c.pse = 0;
	set32(0x1000, 3, 0x2000 | P | RW | US | PS);
	set32(0x2000, 0, 0x9000 | P | RW | US);
	T_GPA(&c, 0x00c00000, 0, 0x9000);

	c = ctx(PAGING_PAE, 0);
	c.pdptr[0] = 0x3000 | P;
	set64(0x3000, 0, 0x200000 | (1ull << 13) | P | RW | US | PS);
	T_PF(&c, 0x00000000, 0, PFERR_P | PFERR_RSVD);
	set64(0x3000, 1, 0x4000 | (1ull << 44) | P | RW | US);
	T_PF(&c, 0x00200000, 0, PFERR_P | PFERR_RSVD);
	set64(0x3000, 2, 0x4000 | P | RW | US);
	set64(0x4000, 0, 0x5000 | PTW_NX | P | RW | US);
	T_PF(&c, 0x00400000, 0, PFERR_P | PFERR_RSVD);	/* NXE off */
	c.nxe = 1;
	T_GPA(&c, 0x00400000, 0, 0x5000);
	t_end();
}

static unsigned long long rng = 0xa4093822299f31d0ull;

static unsigned int rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 32);
}

/* random R/W, U/S, NX, P at each of the 4 levels against the SDM's rules */
static void random_perms(void)
{
	struct rkvm_walk_ctx c = ctx(PAGING_4LEVEL, 0xb000);
	unsigned long long tables[4] = { 0xb000, 0xc000, 0xd000, 0xe000 };
	int i, lv, acc;

	t_begin("ptwalk: 4-level, 4000 random permission sets x 16 accesses x WP x NXE against a model");
	memset(mem, 0, sizeof(mem));
	for (i = 0; i < 4000; i++) {
		unsigned long long f[4];
		int w = 1, u = 1, nx = 0;

		for (lv = 0; lv < 4; lv++) {
			f[lv] = (rnd() % 8 ? P : 0) | (rnd() % 3 ? RW : 0) |
				(rnd() % 3 ? US : 0) | (rnd() % 4 ? 0 : NX);
			w &= !!(f[lv] & RW);
			u &= !!(f[lv] & US);
			nx |= !!(f[lv] & NX);
			set64(tables[lv], 0, (lv < 3 ? tables[lv + 1] :
					      0x1234000ull) | f[lv]);
		}
		c.wp = i & 1;
		c.nxe = (i >> 1) & 1;
		for (acc = 0; acc < 16; acc++) {
			int a = acc & 7;
			int user = !!(a & U), write = !!(a & W), fetch = !!(a & F);
			unsigned int want = (write ? PFERR_W : 0) |
					    (user ? PFERR_U : 0) |
					    (fetch && c.nxe ? PFERR_I : 0);
			int fault = 0, stop = 0;

			/* top down: not present, or XD set without NXE */
			for (lv = 0; lv < 4 && !stop; lv++) {
				if (!(f[lv] & P))
					stop = 1;
				else if ((f[lv] & NX) && !c.nxe)
					stop = 2;
			}
			if (stop == 1) {
				T_PF(&c, 0x567, a, want);
				continue;
			}
			if (stop == 2) {
				T_PF(&c, 0x567, a, want | PFERR_P | PFERR_RSVD);
				continue;
			}
			if (user && !u)
				fault = 1;
			if (write && !w && (user || c.wp))
				fault = 1;
			if (fetch && c.nxe && nx)
				fault = 1;
			if (fault)
				T_PF(&c, 0x567, a, want | PFERR_P);
			else
				T_GPA(&c, 0x567, a, 0x1234567ull);
		}
	}
	t_end();
}

void test_ptwalk(void)
{
	no_paging();
	paging32();
	paging_pae();
	paging_4level();
	reserved_32_pae();
	random_perms();
}
