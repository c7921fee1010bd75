/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MMIO emulation.
 */
#ifndef RKVM_X86_EMULATE_H
#define RKVM_X86_EMULATE_H

#include "rkvm.h"

/* @dir: 1 the access was a write, 0 a read, -1 unknown (EPT misconfig) */
int rkvm_emulate_mmio(struct rkvm_vcpu *vcpu, u64 gpa, int dir);
int rkvm_complete_mmio_read(struct rkvm_vcpu *vcpu);

#endif
