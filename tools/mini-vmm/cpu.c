// SPDX-License-Identifier: GPL-2.0
/*
 * cpu.c - the x86 state for entering 64-bit mode directly: GDT (code, data,
 * TSS), a TSS whose IST1 is a dedicated exception stack, an IDT for the 32
 * exception vectors whose stubs report the vector on MVM_PORT_FAULT, and
 * the KVM_SET_SREGS values (CR0/CR3/CR4/EFER, segments).
 */
#include <string.h>
#include "abi.h"
#include "cpu.h"

/* 64-bit interrupt gate to handler h on IST1 */
static void gate(uint8_t *g, uint64_t h, int dpl)
{
	g[0] = h;
	g[1] = h >> 8;
	g[2] = MVM_SEL_CODE;
	g[3] = 0;
	g[4] = 1;
	g[5] = 0x8e | dpl << 5;
	g[6] = h >> 16;
	g[7] = h >> 24;
	memcpy(g + 8, &(uint32_t){ h >> 32 }, 4);
	memset(g + 12, 0, 4);
}

void mvm_build_descriptors(uint8_t *mem)
{
	uint64_t *gdt = (uint64_t *)(mem + MVM_GDT_ADDR);
	uint8_t *tss = mem + MVM_TSS_ADDR;
	uint8_t *idt = mem + MVM_IDT_ADDR;
	uint8_t *stubs = mem + MVM_STUBS_ADDR;
	uint64_t tb = MVM_TSS_ADDR;
	unsigned int v;

	memset(gdt, 0, 0x80);
	gdt[1] = 0x00209b0000000000ULL;	/* code: P, DPL0, L, accessed */
	gdt[2] = 0x00cf93000000ffffULL;	/* data: P, writable, accessed */
	gdt[5] = 0x0020fb0000000000ULL;	/* user code: DPL3 */
	gdt[6] = 0x00cff3000000ffffULL;	/* user data: DPL3 */
	/* 64-bit TSS (busy), limit 0x67 */
	gdt[3] = 0x67 | (tb & 0xffffff) << 16 | 0x8bULL << 40 |
		 ((tb >> 24) & 0xff) << 56;
	gdt[4] = tb >> 32;

	memset(tss, 0, 104);
	memcpy(tss + 0x24, &(uint64_t){ MVM_XSTACK_TOP }, 8);	/* IST1 */
	memcpy(tss + 0x66, &(uint16_t){ 104 }, 2);		/* no I/O map */

	memset(idt, 0, 4096);
	memset(stubs, 0xf4, 4096);
	for (v = 0; v < MVM_IDT_VECTORS; v++) {
		uint8_t *c = stubs + v * 16;

		gate(idt + v * 16, MVM_STUBS_ADDR + v * 16, 0);
		/* mov $v, %eax; out %eax, $MVM_PORT_FAULT; 1: hlt; jmp 1b */
		c[0] = 0xb8;
		memcpy(c + 1, &(uint32_t){ v }, 4);
		c[5] = 0xe7;
		c[6] = MVM_PORT_FAULT;
		c[7] = 0xf4;
		c[8] = 0xeb;
		c[9] = 0xfd;
	}
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	int dpl = sel & 3;

	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}


void mvm_setup_sregs(struct kvm_sregs *s, int ring0)
{
	seg(&s->cs, ring0 ? MVM_SEL_CODE : MVM_SEL_UCODE, 11, 1);
	seg(&s->ds, ring0 ? MVM_SEL_DATA : MVM_SEL_UDATA, 3, 0);
	s->es = s->fs = s->gs = s->ss = s->ds;

	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.base = MVM_TSS_ADDR;
	s->tr.limit = 0x67;
	s->tr.selector = MVM_SEL_TSS;
	s->tr.type = 11;		/* busy 64-bit TSS */
	s->tr.present = 1;

	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 2;
	s->ldt.unusable = 1;

	s->gdt.base = MVM_GDT_ADDR;
	s->gdt.limit = MVM_GDT_ENTRIES * 8 - 1;
	s->idt.base = MVM_IDT_ADDR;
	s->idt.limit = MVM_IDT_VECTORS * 16 - 1;

	s->cr0 = 0x80010033;	/* PG, WP, NE, ET, MP, PE */
	s->cr3 = MVM_PML4_ADDR;
	s->cr4 = 0x620;		/* OSXMMEXCPT, OSFXSR, PAE */
	s->efer = 0x500;	/* LMA, LME */
}

static const char *const names[MVM_IDT_VECTORS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

const char *mvm_vector_name(unsigned int v)
{
	if (v < MVM_IDT_VECTORS && names[v])
		return names[v];
	return "reserved";
}

int mvm_vector_has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
	       v == 29 || v == 30;
}
