// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/x86/cpuid_table.h with a fake host CPU: the masks applied to every
 * leaf, the leaf 4/7/0xD subleaves and their significant-index flag, the
 * clamped maximum leaves, KVM's paravirtual leaves, and -1 (E2BIG for the
 * ioctl) when the room given is too small, without a write past it.
 */
#include <string.h>
#include "tap.h"
#include "x86/cpuid_table.h"

static unsigned int fake_max_basic = 0x16, fake_max_ext = 0x80000008u;
static int fake_leaf4_forever;

/* every register holds a pattern naming leaf, subleaf and register */
static void fake_cpuid(unsigned int leaf, unsigned int sub,
		       struct rkvm_cpuid_regs *r)
{
	unsigned int tag = (leaf & 0xff) << 8 | (sub & 0xff);

	r->eax = 0xa0000000u | tag;
	r->ebx = 0xb0000000u | tag;
	r->ecx = 0xc0000000u | tag;
	r->edx = 0xd0000000u | tag;
	if (leaf == 0) {
		r->eax = fake_max_basic;
	} else if (leaf == 0x80000000u) {
		r->eax = fake_max_ext;
	} else if (leaf == 1 || leaf == 7 || leaf == 0x80000001u) {
		r->ebx = r->ecx = r->edx = 0xffffffffu;
		r->eax = leaf == 7 ? 2 : 0x000906ea;
	} else if (leaf == 4) {
		/* cache types 1, 2, 3, 3, then none */
		r->eax = (fake_leaf4_forever || sub < 4) ? (sub ? 1 + sub % 3 : 1) | 0x4000 : 0;
	} else if (leaf == 0xd && sub >= 2) {
		r->eax = 64 * sub;		/* size */
		r->ebx = 512 + 64 + 256 * sub;	/* offset */
		r->ecx = 0;
		r->edx = 0xdddd;
	} else if (leaf == 0xd && sub == 1) {
		r->eax = 0xf;			/* XSAVEOPT, XSAVEC, XGETBV1, XSAVES */
	} else if (leaf == 0x80000008u) {
		r->eax = 0x12343027;		/* 39 physical, 48 virtual */
	}
}

static const struct rkvm_cpuid_out *find(const struct rkvm_cpuid_out *o, int n,
					 unsigned int fn, unsigned int idx)
{
	int i;

	for (i = 0; i < n; i++)
		if (o[i].function == fn && o[i].index == idx)
			return &o[i];
	return NULL;
}

#define MAXE	200

void test_cpuid_table(void)
{
	struct rkvm_cpuid_opts o = { .has_invpcid = 0, .has_rdtscp = 1,
				     .host_xcr0 = 0xe7 };	/* + AVX-512 */
	struct rkvm_cpuid_out out[MAXE + 1];
	const struct rkvm_cpuid_out *e;
	int n, i, j, m;

	memset(out, 0, sizeof(out));
	n = rkvm_build_supported_cpuid(fake_cpuid, &o, out, MAXE);
	t_begin("cpuid_table: leaves 0 and 1 (max clamped, feature masks, hypervisor bit)");
	T_OK(n > 0);
	e = find(out, n, 0, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax, RKVM_MAX_BASIC_LEAF);
		T_EQ(e->r.ebx, 0xb0000000u);		/* vendor passes */
		T_EQ(e->flags, 0);
	}
	e = find(out, n, 1, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 0x000906ea);
		T_EQ(e->r.ebx, 0xffff);
		T_EQ(e->r.ecx, RKVM_1_ECX | RKVM_1_ECX_HYPERVISOR | RKVM_1_ECX_EMULATED);
		T_EQ(e->r.edx, RKVM_1_EDX);
		T_EQ(e->flags, 0);
	}
	/* leaves not modelled are absent; none past the clamped max */
	T_OK(!find(out, n, 3, 0) && !find(out, n, 5, 0) && !find(out, n, 6, 0));
	T_OK(!find(out, n, 0xb, 0) && !find(out, n, 0x14, 0) &&
	     !find(out, n, 0x16, 0));
	t_end();

	t_begin("cpuid_table: leaf 4 subleaves up to the null one, significant index");
	for (i = 0; i < 5; i++) {
		e = find(out, n, 4, i);
		if (!t_check(e != NULL, "leaf 4.%d missing", i))
			continue;
		T_EQ(e->flags, RKVM_CPUID_SIGNIFICANT_INDEX);
	}
	T_OK(!find(out, n, 4, 5));
	T_EQ(find(out, n, 4, 4) ? find(out, n, 4, 4)->r.eax & 0x1f : 99, 0);
	t_end();

	t_begin("cpuid_table: leaf 7 (EBX mask, INVPCID per option, subleaf flag)");
	e = find(out, n, 7, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 0);
		T_EQ(e->r.ebx, RKVM_7_EBX | RKVM_7_EBX_EMULATED);
		T_EQ(e->r.ecx, 0);
		T_EQ(e->r.edx, 0);
		T_EQ(e->flags, RKVM_CPUID_SIGNIFICANT_INDEX);
	}
	T_OK(!find(out, n, 7, 1));
	t_end();

	t_begin("cpuid_table: leaf 0xD (XCR0 masked to x87/SSE/AVX, sizes, subleaves)");
	e = find(out, n, 0xd, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 0x7);
		T_EQ(e->r.edx, 0);
		/* AVX: offset 512 + 64 + 512, size 128 */
		T_EQ(e->r.ebx, 512 + 64 + 512 + 128);
		T_EQ(e->r.ecx, e->r.ebx);
		T_EQ(e->flags, RKVM_CPUID_SIGNIFICANT_INDEX);
	}
	e = find(out, n, 0xd, 1);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 1);
		T_EQ(e->r.ebx | e->r.ecx | e->r.edx, 0);
		T_EQ(e->flags, RKVM_CPUID_SIGNIFICANT_INDEX);
	}
	e = find(out, n, 0xd, 2);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 128);
		T_EQ(e->r.ebx, 512 + 64 + 512);
		T_EQ(e->r.edx, 0);
		T_EQ(e->flags, RKVM_CPUID_SIGNIFICANT_INDEX);
	}
	for (i = 3; i < 64; i++)
		t_check(!find(out, n, 0xd, i), "0xd.%d offered", i);
	t_end();

	t_begin("cpuid_table: extended leaves (clamped max, masks, RDTSCP per option, 0x80000008)");
	e = find(out, n, 0x80000000u, 0);
	if (T_OK(e))
		T_EQ(e->r.eax, 0x80000008u);
	e = find(out, n, 0x80000001u, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax | e->r.ebx, 0);
		T_EQ(e->r.ecx, RKVM_81_ECX);
		T_EQ(e->r.edx, RKVM_81_EDX | RKVM_81_EDX_RDTSCP);
	}
	e = find(out, n, 0x80000002u, 0);
	if (T_OK(e))
		T_EQ(e->r.eax, 0xa0000200u);		/* brand string passes */
	e = find(out, n, 0x80000005u, 0);
	if (T_OK(e))
		T_EQ(e->r.eax | e->r.ebx | e->r.ecx | e->r.edx, 0);
	e = find(out, n, 0x80000008u, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 0x3027);
		T_EQ(e->r.ebx | e->r.ecx | e->r.edx, 0);
	}
	T_OK(!find(out, n, 0x80000009u, 0));
	/* each (function, index) once */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			t_check(out[i].function != out[j].function ||
				out[i].index != out[j].index,
				"%x.%u twice", out[i].function, out[i].index);
	t_end();

	t_begin("cpuid_table: KVM's paravirtual leaves (signature, kvmclock features only)");
	e = find(out, n, 0x40000000u, 0);
	if (T_OK(e)) {
		T_EQ(e->r.eax, 0x40000001u);
		T_EQ(e->r.ebx, 0x4b4d564bu);	/* "KVMKVMKVM\0\0\0" */
		T_EQ(e->r.ecx, 0x564b4d56u);
		T_EQ(e->r.edx, 0x4du);
		T_EQ(e->flags, 0);
	}
	e = find(out, n, 0x40000001u, 0);
	if (T_OK(e)) {
		/* KVM_FEATURE_CLOCKSOURCE (0), CLOCKSOURCE2 (3), STABLE_BIT (24) */
		T_EQ(e->r.eax, RKVM_PV_FEATURES);
		T_EQ(e->r.eax, 0x01000009u);
		T_EQ(e->r.ebx | e->r.ecx | e->r.edx, 0);
		T_EQ(e->flags, 0);
	}
	T_OK(!find(out, n, 0x40000002u, 0));
	t_end();

	t_begin("cpuid_table: options (INVPCID on, RDTSCP off)");
	o.has_invpcid = 1;
	o.has_rdtscp = 0;
	m = rkvm_build_supported_cpuid(fake_cpuid, &o, out, MAXE);
	T_EQ(m, n);
	e = find(out, m, 7, 0);
	if (T_OK(e))
		T_EQ(e->r.ebx, RKVM_7_EBX | RKVM_7_EBX_INVPCID | RKVM_7_EBX_EMULATED);
	e = find(out, m, 0x80000001u, 0);
	if (T_OK(e))
		T_EQ(e->r.edx, RKVM_81_EDX);
	t_end();

	t_begin("cpuid_table: too little room gives -1 for every max < n, no write past max");
	for (m = 0; m < n; m++) {
		for (i = 0; i <= MAXE; i++)
			out[i].function = 0x5a5a5a5a;
		t_check(rkvm_build_supported_cpuid(fake_cpuid, &o, out, m) == -1,
			"max %d of %d", m, n);
		for (i = m; i <= MAXE; i++)
			t_check(out[i].function == 0x5a5a5a5a,
				"max %d: entry %d written", m, i);
	}
	T_EQ(rkvm_build_supported_cpuid(fake_cpuid, &o, out, n), n);
	t_end();

	t_begin("cpuid_table: old host (max basic 1, no extended leaves)");
	fake_max_basic = 1;
	fake_max_ext = 0x80000000u;
	m = rkvm_build_supported_cpuid(fake_cpuid, &o, out, MAXE);
	T_EQ(m, 2 + 2);	/* 0, 1 and KVM's 0x40000000/1 */
	T_OK(find(out, m, 0, 0) && find(out, m, 1, 0));
	T_OK(find(out, m, 0x40000000u, 0) && find(out, m, 0x40000001u, 0));
	if (find(out, m, 0x40000000u, 0))
		T_EQ(find(out, m, 0x40000000u, 0)->r.eax, 0x40000001u);
	if (find(out, m, 0, 0))
		T_EQ(find(out, m, 0, 0)->r.eax, 1);
	fake_max_ext = 0x80000004u;
	m = rkvm_build_supported_cpuid(fake_cpuid, &o, out, MAXE);
	T_EQ(m, 2 + 2 + 5);
	if (find(out, m, 0x80000000u, 0))
		T_EQ(find(out, m, 0x80000000u, 0)->r.eax, 0x80000004u);
	t_end();

	t_begin("cpuid_table: a leaf 4 that never ends is cut at 64 subleaves");
	fake_max_basic = 4;
	fake_leaf4_forever = 1;
	m = rkvm_build_supported_cpuid(fake_cpuid, &o, out, MAXE);
	T_OK(m > 0 && m < MAXE);
	T_OK(find(out, m, 4, 63) && !find(out, m, 4, 64));
	fake_leaf4_forever = 0;
	fake_max_basic = 0x16;
	fake_max_ext = 0x80000008u;
	t_end();
}
