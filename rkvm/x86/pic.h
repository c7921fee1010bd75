/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel 8259A pair.
 */
#ifndef RKVM_X86_PIC_H
#define RKVM_X86_PIC_H

#include <linux/kvm.h>
#include "rkvm.h"

int rkvm_pic_create(struct rkvm *kvm);
void rkvm_pic_free(struct rkvm *kvm);
int rkvm_pic_set_irq(struct rkvm *kvm, u32 irq, bool level);
bool rkvm_pic_output(struct rkvm *kvm);
int rkvm_pic_ack(struct rkvm *kvm);
bool rkvm_pic_io(struct rkvm *kvm, u16 port, bool in, u8 *val);
void rkvm_pic_get(struct rkvm *kvm, int chip, struct kvm_pic_state *s);
void rkvm_pic_set(struct rkvm *kvm, int chip, const struct kvm_pic_state *s);

#endif
