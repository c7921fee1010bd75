/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constants of the VMCS rkvm builds.
 */
#ifndef RKVM_VMX_VMCS_H
#define RKVM_VMX_VMCS_H

#include <asm/trapnr.h>
#include "x86/regs.h"

/*
 * Exceptions that exit: #AC, so that a guest whose #AC handler itself
 * faults with #AC cannot hold the CPU in an endless delivery loop.
 */
#define RKVM_EXCEPTION_BITMAP	(1u << X86_TRAP_AC)

#endif
