/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rkvm/x86/emulate.h - MMIO emulation.
 */
#ifndef RKVM_X86_EMULATE_H
#define RKVM_X86_EMULATE_H

#include "rkvm.h"

int rkvm_emulate_mmio(struct rkvm_vcpu *vcpu, u64 gpa, bool write);
int rkvm_complete_mmio_read(struct rkvm_vcpu *vcpu);

#endif
