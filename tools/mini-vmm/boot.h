/* SPDX-License-Identifier: GPL-2.0 */
/* boot.h - "mini-vmm boot": a Linux bzImage on the in-kernel irqchip. */
#ifndef MVM_BOOT_H
#define MVM_BOOT_H

/* argv[0] is "boot"; returns the exit status (boot.c's top comment). */
int mvm_boot_main(int argc, char **argv);

#endif
