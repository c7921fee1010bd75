/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic: the table of CPUID leaves rkvm offers
 * and the feature masks applied to the host's answers. No kernel headers:
 * the host test tier builds it with a fake CPU.
 */
#ifndef RKVM_X86_CPUID_TABLE_H
#define RKVM_X86_CPUID_TABLE_H

struct rkvm_cpuid_regs {
	unsigned int eax, ebx, ecx, edx;
};

struct rkvm_cpuid_out {
	unsigned int function, index, flags;
	struct rkvm_cpuid_regs r;
};

typedef void (*rkvm_host_cpuid_fn)(unsigned int leaf, unsigned int sub,
				   struct rkvm_cpuid_regs *r);

#define RKVM_CPUID_SIGNIFICANT_INDEX	1	/* as KVM_CPUID_FLAG_SIGNIFCANT_INDEX */
#define RKVM_MAX_BASIC_LEAF		0xd
#define RKVM_MAX_EXT_LEAF		0x80000008u

/* what we pass through of the host's feature bits */
#define RKVM_1_ECX	(1u << 0 | 1u << 1 | 1u << 9 | 1u << 12 | 1u << 13 | \
			 1u << 17 | 1u << 19 | 1u << 20 | 1u << 22 | 1u << 23 | \
			 1u << 25 | 1u << 26 | 1u << 28 | 1u << 29 | 1u << 30)
#define RKVM_1_ECX_HYPERVISOR	(1u << 31)
/* emulated whatever the host has: x2APIC and the TSC-deadline timer */
#define RKVM_1_ECX_EMULATED	(1u << 21 | 1u << 24)
#define RKVM_1_EDX	(1u << 0 | 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | \
			 1u << 5 | 1u << 6 | 1u << 8 | 1u << 9 | 1u << 11 | \
			 1u << 13 | 1u << 15 | 1u << 16 | 1u << 17 | 1u << 19 | \
			 1u << 23 | 1u << 24 | 1u << 25 | 1u << 26)
#define RKVM_7_EBX	(1u << 0 | 1u << 3 | 1u << 5 | 1u << 7 | 1u << 8 | \
			 1u << 9 | 1u << 18 | 1u << 19 | 1u << 20 | 1u << 23 | \
			 1u << 24 | 1u << 29)
#define RKVM_7_EBX_INVPCID	(1u << 10)
#define RKVM_7_EBX_EMULATED	(1u << 1)	/* IA32_TSC_ADJUST */
#define RKVM_81_ECX	(1u << 0 | 1u << 5 | 1u << 8)
#define RKVM_81_EDX	(1u << 11 | 1u << 20 | 1u << 26 | 1u << 29)
#define RKVM_81_EDX_RDTSCP	(1u << 27)
#define RKVM_XCR0_MASK	0x7ull		/* x87, SSE, AVX */
/*
 * KVM's paravirtual features rkvm implements (leaf 0x40000001 EAX): the
 * kvmclock MSRs at 0x11/0x12 (KVM_FEATURE_CLOCKSOURCE) and 0x4b564d00/01
 * (CLOCKSOURCE2), and PVCLOCK_TSC_STABLE_BIT set only when it holds
 * (CLOCKSOURCE_STABLE_BIT).
 */
#define RKVM_PV_CLOCKSOURCE		(1u << 0)
#define RKVM_PV_CLOCKSOURCE2		(1u << 3)
#define RKVM_PV_CLOCKSOURCE_STABLE_BIT	(1u << 24)
#define RKVM_PV_FEATURES	(RKVM_PV_CLOCKSOURCE | RKVM_PV_CLOCKSOURCE2 | \
				 RKVM_PV_CLOCKSOURCE_STABLE_BIT)

struct rkvm_cpuid_opts {
	int has_invpcid;
	int has_rdtscp;
	unsigned long long host_xcr0;
};

/* Append one entry; false when @out is full. */
static inline int rkvm_cpuid_put(struct rkvm_cpuid_out *out, int max, int *n,
				 unsigned int fn, unsigned int idx,
				 unsigned int flags, struct rkvm_cpuid_regs r)
{
	if (*n >= max)
		return 0;
	out[*n].function = fn;
	out[*n].index = idx;
	out[*n].flags = flags;
	out[*n].r = r;
	(*n)++;
	return 1;
}

/*
 * Fill @out (room for @max entries) with the leaves rkvm supports, derived
 * from the host's CPUID through @cpuid. Returns the number of entries, or
 * -1 if @max is too small.
 */
static inline int rkvm_build_supported_cpuid(rkvm_host_cpuid_fn cpuid,
					     const struct rkvm_cpuid_opts *o,
					     struct rkvm_cpuid_out *out, int max)
{
	struct rkvm_cpuid_regs r, r0;
	unsigned long long xcr0 = o->host_xcr0 & RKVM_XCR0_MASK;
	const unsigned int sig = RKVM_CPUID_SIGNIFICANT_INDEX;
	unsigned int max_basic, max_ext, leaf, i;
	int n = 0;

	cpuid(0, 0, &r0);
	max_basic = r0.eax < RKVM_MAX_BASIC_LEAF ? r0.eax : RKVM_MAX_BASIC_LEAF;
	r0.eax = max_basic;
	if (!rkvm_cpuid_put(out, max, &n, 0, 0, 0, r0))
		return -1;
	for (leaf = 1; leaf <= max_basic; leaf++) {
		cpuid(leaf, 0, &r);
		switch (leaf) {
		case 1:
			r.ebx &= 0xffff;
			r.ecx = (r.ecx & RKVM_1_ECX) | RKVM_1_ECX_HYPERVISOR |
				RKVM_1_ECX_EMULATED;
			r.edx &= RKVM_1_EDX;
			if (!rkvm_cpuid_put(out, max, &n, 1, 0, 0, r))
				return -1;
			break;
		case 2:
			if (!rkvm_cpuid_put(out, max, &n, 2, 0, 0, r))
				return -1;
			break;
		case 4:
			for (i = 0; i < 64; i++) {
				cpuid(4, i, &r);
				if (!rkvm_cpuid_put(out, max, &n, 4, i, sig, r))
					return -1;
				if (!(r.eax & 0x1f))
					break;
			}
			break;
		case 7:
			r.eax = 0;
			r.ebx = (r.ebx & (RKVM_7_EBX |
				  (o->has_invpcid ? RKVM_7_EBX_INVPCID : 0))) |
				RKVM_7_EBX_EMULATED;
			r.ecx = 0;
			r.edx = 0;
			if (!rkvm_cpuid_put(out, max, &n, 7, 0, sig, r))
				return -1;
			break;
		case 0xd: {
			unsigned int size = 576, comp;

			for (comp = 2; comp < 64; comp++) {
				struct rkvm_cpuid_regs c;

				if (!(xcr0 & (1ull << comp)))
					continue;
				cpuid(0xd, comp, &c);
				if (c.eax + c.ebx > size)
					size = c.eax + c.ebx;
			}
			r.eax = (unsigned int)xcr0;
			r.ebx = size;
			r.ecx = size;
			r.edx = (unsigned int)(xcr0 >> 32);
			if (!rkvm_cpuid_put(out, max, &n, 0xd, 0, sig, r))
				return -1;
			cpuid(0xd, 1, &r);
			r.eax &= 1;	/* XSAVEOPT */
			r.ebx = r.ecx = r.edx = 0;
			if (!rkvm_cpuid_put(out, max, &n, 0xd, 1, sig, r))
				return -1;
			for (comp = 2; comp < 64; comp++) {
				if (!(xcr0 & (1ull << comp)))
					continue;
				cpuid(0xd, comp, &r);
				r.edx = 0;
				if (!rkvm_cpuid_put(out, max, &n, 0xd, comp,
							    sig, r))
					return -1;
			}
			break;
		}
		default:
			break;	/* leaves we do not model read as zero */
		}
	}

	/* KVM's paravirtual leaves: the signature and the features */
	r.eax = 0x40000001u;
	r.ebx = 0x4b4d564bu;	/* "KVMK" */
	r.ecx = 0x564b4d56u;	/* "VMKV" */
	r.edx = 0x0000004du;	/* "M\0\0\0" */
	if (!rkvm_cpuid_put(out, max, &n, 0x40000000u, 0, 0, r))
		return -1;
	r.eax = RKVM_PV_FEATURES;
	r.ebx = r.ecx = r.edx = 0;
	if (!rkvm_cpuid_put(out, max, &n, 0x40000001u, 0, 0, r))
		return -1;

	cpuid(0x80000000u, 0, &r0);
	if (r0.eax < 0x80000001u)
		return n;
	max_ext = r0.eax < RKVM_MAX_EXT_LEAF ? r0.eax : RKVM_MAX_EXT_LEAF;
	r0.eax = max_ext;
	if (!rkvm_cpuid_put(out, max, &n, 0x80000000u, 0, 0, r0))
		return -1;
	for (leaf = 0x80000001u; leaf <= max_ext; leaf++) {
		cpuid(leaf, 0, &r);
		switch (leaf) {
		case 0x80000001u:
			r.eax = r.ebx = 0;
			r.ecx &= RKVM_81_ECX;
			r.edx &= RKVM_81_EDX |
				 (o->has_rdtscp ? RKVM_81_EDX_RDTSCP : 0);
			break;
		case 0x80000002u: case 0x80000003u: case 0x80000004u:
		case 0x80000006u:
			break;
		case 0x80000008u:
			r.eax &= 0xffff;
			r.ebx = r.ecx = r.edx = 0;
			break;
		default:
			r.eax = r.ebx = r.ecx = r.edx = 0;
			break;
		}
		if (!rkvm_cpuid_put(out, max, &n, leaf, 0, 0, r))
			return -1;
	}
	return n;
}

#endif
