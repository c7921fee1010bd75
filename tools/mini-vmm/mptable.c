// SPDX-License-Identifier: GPL-2.0
/*
 * mptable.c - the Intel MP table (MultiProcessor Specification 1.4,
 * chapter 4) for boot mode: floating pointer, configuration table header,
 * processor, bus, IOAPIC, I/O interrupt and local interrupt entries, with
 * both checksums. Linux finds the floating pointer by scanning
 * 0xf0000-0xfffff, where boot mode puts it (e820 reserved).
 */
#include <string.h>
#include "mptable.h"

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
#define MP_SPEC_REV		4	/* 1.4 */
#define MP_APIC_VERSION		0x14	/* KVM's local APIC */
#define MP_IOAPIC_VERSION	0x11	/* KVM's IOAPIC */
#define CPU_ENABLED		1
#define CPU_BSP			2

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return -s;
}

/* an 8-byte I/O (type 3) or local (type 4) interrupt entry */
static uint8_t *irq_entry(uint8_t *p, int type, int irqtype, int bus_irq,
			  int apic, int pin)
{
	p[0] = type;
	p[1] = irqtype;
	put16(p + 2, 0);	/* polarity and trigger: as the bus (ISA: edge, high) */
	p[4] = 0;		/* source bus: ISA, id 0 */
	p[5] = bus_irq;
	p[6] = apic;
	p[7] = pin;
	return p + 8;
}

size_t mvm_mptable(uint8_t *buf, size_t cap, uint32_t addr, int ncpus,
		   uint32_t signature, uint32_t features)
{
	size_t len = 44 + 20 * ncpus + 8 + 8 + 15 * 8 + 2 * 8;
	uint8_t *fp = buf, *t = buf + 16, *p;
	int i, ioapic = ncpus;

	if (ncpus < 1 || ncpus > MVM_MP_MAX_CPUS || cap < 16 + len ||
	    (addr & 15))
		return 0;
	memset(buf, 0, 16 + len);

	/* floating pointer: "_MP_", table address, 1 paragraph, rev, sum */
	memcpy(fp, "_MP_", 4);
	put32(fp + 4, addr + 16);
	fp[8] = 1;
	fp[9] = MP_SPEC_REV;
	/* feature bytes 0: a table is present; IMCR absent (virtual wire) */
	fp[10] = checksum(fp, 16);

	/* configuration table header */
	memcpy(t, "PCMP", 4);
	put16(t + 4, len);
	t[6] = MP_SPEC_REV;
	memcpy(t + 8, "MINI-VMM", 8);		/* OEM id */
	memcpy(t + 16, "BOOT        ", 12);	/* product id */
	put16(t + 34, 0);			/* entry count, below */
	put32(t + 36, MVM_LAPIC_ADDR);
	p = t + 44;
	for (i = 0; i < ncpus; i++) {
		p[0] = MP_PROCESSOR;
		p[1] = i;			/* local APIC id */
		p[2] = MP_APIC_VERSION;
		p[3] = CPU_ENABLED | (i == 0 ? CPU_BSP : 0);
		put32(p + 4, signature);
		put32(p + 8, features);
		p += 20;
	}
	p[0] = MP_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += 8;
	p[0] = MP_IOAPIC;
	p[1] = ioapic;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = 1;				/* enabled */
	put32(p + 4, MVM_IOAPIC_ADDR);
	p += 8;
	for (i = 0; i < 16; i++)
		if (i != 2)	/* the PIC cascade: no ISA device */
			p = irq_entry(p, MP_INTSRC, MP_INT, i, ioapic, i);
	p = irq_entry(p, MP_LINTSRC, MP_EXTINT, 0, 0xff, 0);
	p = irq_entry(p, MP_LINTSRC, MP_NMI, 0, 0xff, 1);
	put16(t + 34, ncpus + 2 + 15 + 2);
	t[7] = checksum(t, len);
	return 16 + len;
}
