/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Architectural constants the kernel's headers do not
 * export to modules (SDM Vol. 3 17.2: debug registers; Vol. 3 6.3: vectors).
 */
#ifndef RKVM_X86_ARCH_H
#define RKVM_X86_ARCH_H

#include <asm/fpu/xcr.h>
#include <asm/debugreg.h>

#define RKVM_NMI_VECTOR		2
/* read-as-one bits of DR6; bit 16 too, as rkvm offers no RTM */
#define RKVM_DR6_FIXED_1	0xffff0ff0ul
#define RKVM_DR6_VOLATILE	0x0000e00ful	/* B0-B3, BD, BS, BT */
#define RKVM_DR7_FIXED_1	0x00000400ul
#define RKVM_DR7_VOLATILE	0xffff2bfful	/* writable DR7 bits */
#define RKVM_X86_FEATURE_OSXSAVE	(1u << 27)	/* CPUID.1:ECX */

#endif
