/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic: fitting VMX control words and CR0/CR4
 * values to what the capability MSRs allow. No hardware access, so the host
 * test tier compiles it unchanged.
 */
#ifndef RKVM_VMX_CONTROLS_H
#define RKVM_VMX_CONTROLS_H

/*
 * A VMX capability MSR holds in its low half the bits that must be 1 and in
 * its high half the bits that may be 1. Fit the controls we want: every bit
 * of @required must be allowed, @optional bits are kept where allowed.
 * Returns 0 and the control word in @out, or -1 if a required bit is refused.
 */
static inline int rkvm_adjust_controls(unsigned long long cap_msr,
				       unsigned int required,
				       unsigned int optional,
				       unsigned int *out)
{
	unsigned int must_be_one = (unsigned int)cap_msr;
	unsigned int may_be_one = (unsigned int)(cap_msr >> 32);
	unsigned int ctl = (required | optional) & may_be_one;

	if (required & ~may_be_one)
		return -1;
	*out = ctl | must_be_one;
	return 0;
}

/*
 * Force a control register value into what VMX operation allows: bits set
 * in @fixed0 must be 1, bits clear in @fixed1 must be 0. @relax names
 * fixed-1 bits that may nevertheless be 0 (PE and PG with unrestricted guest).
 */
static inline unsigned long long rkvm_fix_cr(unsigned long long val,
					     unsigned long long fixed0,
					     unsigned long long fixed1,
					     unsigned long long relax)
{
	return (val | (fixed0 & ~relax)) & fixed1;
}

#endif
