// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/vmx/controls.h: fitting control words to VMX capability MSRs
 * (SDM Vol. 3 A.3-A.5: low half must-be-one, high half may-be-one) and
 * CR0/CR4 to IA32_VMX_CR*_FIXED0/1 (A.7, A.8).
 */
#include "tap.h"
#include "vmx/controls.h"

static unsigned long long rng = 0x243f6a8885a308d3ull;

static unsigned long long rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

void test_controls(void)
{
	unsigned int out, must, may, req, opt;
	int i, r;

	t_begin("controls: rkvm_adjust_controls with real capability values");
	/* a pin-based MSR without the preemption timer (bit 6) */
	out = 0xdead;
	T_EQ(rkvm_adjust_controls(0x0000003f00000016ull, 0x1 | 0x8, 0x40, &out), 0);
	T_EQ(out, 0x1f);		/* bit 6 not allowed: left out */
	/* IA32_VMX_PINBASED_CTLS of a Skylake: 0x0000007f00000016 */
	T_EQ(rkvm_adjust_controls(0x0000007f00000016ull, 0x1 | 0x8, 0x40, &out), 0);
	T_EQ(out, 0x5f);
	/* a required bit the CPU refuses: -1, out untouched */
	out = 0xdead;
	T_EQ(rkvm_adjust_controls(0x0000007f00000016ull, 0x80, 0, &out), -1);
	T_EQ(out, 0xdead);
	/* must-be-one bits are set even if nobody asked */
	T_EQ(rkvm_adjust_controls(0xfff9fffe0401e172ull, 0, 0, &out), 0);
	T_EQ(out, 0x0401e172);
	/* nothing allowed, nothing required */
	T_EQ(rkvm_adjust_controls(0, 0, 0xffffffff, &out), 0);
	T_EQ(out, 0);
	/* everything allowed */
	T_EQ(rkvm_adjust_controls(0xffffffff00000000ull, 0x80000001u, 0x40000000u, &out), 0);
	T_EQ(out, 0xc0000001u);
	t_end();

	t_begin("controls: rkvm_adjust_controls on 100000 random inputs (the SDM rule)");
	for (i = 0; i < 100000; i++) {
		unsigned long long cap = rnd64();

		must = (unsigned int)cap;
		may = (unsigned int)(cap >> 32) | must;	/* consistent MSR */
		cap = (unsigned long long)may << 32 | must;
		req = (unsigned int)rnd64() & (i % 2 ? may : 0xffffffffu);
		opt = (unsigned int)rnd64();
		out = 0x5a5a5a5a;
		r = rkvm_adjust_controls(cap, req, opt, &out);
		if (req & ~may) {
			t_check(r == -1 && out == 0x5a5a5a5a,
				"cap %llx req %x: r %d", cap, req, r);
			continue;
		}
		t_check(r == 0, "cap %llx req %x: r %d", cap, req, r);
		t_check((out & must) == must, "must-be-one lost");
		t_check(!(out & ~may), "a bit not allowed is set");
		t_check((out & req) == req, "a required bit is missing");
		t_check((out & opt & may) == (opt & may), "an allowed optional bit is missing");
		t_check(!(out & ~(req | opt | must)), "a bit nobody asked for");
	}
	t_end();

	t_begin("controls: rkvm_fix_cr with CR0/CR4 fixed MSRs");
	/* CR0: FIXED0 = PG|NE|PE, FIXED1 = all ones */
	T_EQ(rkvm_fix_cr(0, 0x80000021ull, 0xffffffffull, 0), 0x80000021ull);
	/* unrestricted guest: PE and PG may stay 0, NE may not */
	T_EQ(rkvm_fix_cr(0, 0x80000021ull, 0xffffffffull, 0x80000001ull), 0x20);
	T_EQ(rkvm_fix_cr(0x80000011ull, 0x80000021ull, 0xffffffffull,
			 0x80000001ull), 0x80000031ull);
	/* bits above FIXED1 are cleared */
	T_EQ(rkvm_fix_cr(0xffffffff00000000ull | 0x10, 0x80000021ull,
			 0xffffffffull, 0), 0x80000031ull);
	/* CR4: FIXED0 = VMXE, FIXED1 = 0x3727ff */
	T_EQ(rkvm_fix_cr(0, 0x2000, 0x3727ff, 0), 0x2000);
	T_EQ(rkvm_fix_cr(0xffffffff, 0x2000, 0x3727ff, 0), 0x3727ff);
	T_EQ(rkvm_fix_cr(0x20 | 0x80, 0x2000, 0x3727ff, 0), 0x20a0);
	t_end();
}
