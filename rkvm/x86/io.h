/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port I/O exits and completions of userspace exits.
 */
#ifndef RKVM_X86_IO_H
#define RKVM_X86_IO_H

#include "rkvm.h"

int rkvm_handle_io(struct rkvm_vcpu *vcpu);
int rkvm_complete_userspace_exit(struct rkvm_vcpu *vcpu);

#endif
