/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel 8254 PIT.
 */
#ifndef RKVM_X86_PIT_H
#define RKVM_X86_PIT_H

#include <linux/kvm.h>
#include "rkvm.h"

int rkvm_pit_create(struct rkvm *kvm, const struct kvm_pit_config *cfg);
void rkvm_pit_free(struct rkvm *kvm);
bool rkvm_pit_io(struct rkvm *kvm, u16 port, bool in, u8 *val);
int rkvm_pit_get(struct rkvm *kvm, struct kvm_pit_state2 *s);
int rkvm_pit_set(struct rkvm *kvm, const struct kvm_pit_state2 *s);

#endif
