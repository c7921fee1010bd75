/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mptable.h - an Intel MultiProcessor Specification 1.4 table, how a guest
 * without ACPI (acpi=off) finds its CPUs, the IOAPIC and the ISA IRQ wiring.
 */
#ifndef MVM_MPTABLE_H
#define MVM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MVM_IOAPIC_ADDR		0xfec00000U
#define MVM_LAPIC_ADDR		0xfee00000U
#define MVM_MP_MAX_CPUS		64

/*
 * Write the MP floating pointer at BUF (guest-physical ADDR, 16-byte
 * aligned) and the configuration table right after it: NCPUS processors
 * (APIC ids 0..NCPUS-1, CPU 0 the BSP; SIGNATURE and FEATURES from CPUID
 * leaf 1), the ISA bus, the IOAPIC (id NCPUS) at 0xfec00000, ISA IRQs 0-15
 * but 2 on the IOAPIC pins of the same number (KVM's default GSI routing,
 * IRQ0 included: the PIT raises GSI 0), LINT0 ExtINT and LINT1 NMI.
 * Returns the bytes used, or 0 if CAP is too small or NCPUS out of range.
 */
size_t mvm_mptable(uint8_t *buf, size_t cap, uint32_t addr, int ncpus,
		   uint32_t signature, uint32_t features);

#endif
