/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic: decoding the x86 instructions a guest uses
 * to reach memory-mapped I/O, so that an EPT violation on a guest-physical
 * address outside RAM can become KVM_EXIT_MMIO (address, length, direction,
 * data) and a read can be completed into the right register.
 *
 * No kernel headers and no kernel types: the host test tier compiles
 * decode.c unchanged and checks it against the GNU assembler's encodings.
 *
 * Every byte is untrusted guest data. The decoder reads at most the given
 * length (and never more than 15 bytes), runs in bounded time, and rejects
 * with an error anything it does not fully understand: an error is always
 * preferred over a wrong result.
 *
 * Supported (all with ModRM/SIB, disp8/disp32/disp16, RIP-relative, 16-bit
 * addressing forms, legacy prefixes and REX):
 *   MOV        88 89 8A 8B, C6 /0 ib, C7 /0 iw/id, A0-A3 (moffs)
 *   MOVZX      0F B6, 0F B7          MOVSX  0F BE, 0F BF
 *   MOVSXD     REX.W 63 (64-bit code only)
 *   STOS/LODS/MOVS  AA AB AC AD A4 A5, with or without REP
 *   Optional read-modify-write and compare forms:
 *   ALU        00-03 08-0B 10-13 18-1B 20-23 28-2B 30-33 38-3B (ADD OR ADC
 *              SBB AND SUB XOR CMP), 80 81 83 /0-/7
 *   TEST       84 85, F6 /0 ib, F7 /0 iw/id
 *   XCHG       86 87 (memory form; always locked)
 * LOCK is accepted (and reported) only where the architecture allows it
 * (memory-destination ALU other than CMP/TEST, XCHG); elsewhere it would
 * raise #UD and the decoder rejects it.
 */
#ifndef RKVM_X86_DECODE_H
#define RKVM_X86_DECODE_H

/* Errors returned by rkvm_decode() (negative) */
#define RKVM_DECODE_ETRUNC	(-1)	/* the bytes end before the insn */
#define RKVM_DECODE_EUNSUP	(-2)	/* an opcode or form not handled */
#define RKVM_DECODE_EINVAL	(-3)	/* invalid: #UD, >15 bytes, bad mode */
#define RKVM_DECODE_ENOMEM	(-4)	/* a register form: no memory operand */

#define RKVM_INSN_MAX_LEN	15

/* What the instruction does; "mem" is the operand in insn->mem */
enum rkvm_insn_op {
	RKVM_OP_NONE,
	RKVM_OP_STORE_REG,	/* mem <- reg (MOV 88/89, A2/A3) */
	RKVM_OP_STORE_IMM,	/* mem <- imm (MOV C6/C7) */
	RKVM_OP_LOAD,		/* reg <- mem (MOV 8A/8B, A0/A1) */
	RKVM_OP_LOAD_ZX,	/* reg <- zero-extend(mem) (MOVZX) */
	RKVM_OP_LOAD_SX,	/* reg <- sign-extend(mem) (MOVSX, MOVSXD) */
	RKVM_OP_STOS,		/* ES:[rDI] <- rAX; mem is ES:[rDI] */
	RKVM_OP_LODS,		/* rAX <- seg:[rSI]; mem is seg:[rSI] */
	RKVM_OP_MOVS,		/* ES:[rDI] <- seg:[rSI]; mem = src, mem2 = dst */
	/* optional: read-modify-write and compare */
	RKVM_OP_ALU_MEM,	/* mem <- mem ALU src (src: reg or imm) */
	RKVM_OP_ALU_REG,	/* reg <- reg ALU mem */
	RKVM_OP_XCHG,		/* tmp <- mem; mem <- reg; reg <- tmp */
};

/* insn->alu for the ALU ops; the order is the x86 encoding's (op >> 3) */
enum rkvm_alu {
	RKVM_ALU_ADD, RKVM_ALU_OR, RKVM_ALU_ADC, RKVM_ALU_SBB,
	RKVM_ALU_AND, RKVM_ALU_SUB, RKVM_ALU_XOR, RKVM_ALU_CMP,
	RKVM_ALU_TEST,		/* flags only, like CMP */
};

/* Where the value written to memory (or the ALU source) comes from */
enum rkvm_insn_src {
	RKVM_SRC_NONE,		/* loads, MOVS (memory to memory) */
	RKVM_SRC_REG,		/* insn->reg (reg_high: bits 15:8) */
	RKVM_SRC_IMM,		/* insn->imm */
};

/* Segment registers, in the encoding order of the SDM (sreg field) */
enum rkvm_seg {
	RKVM_SEG_ES, RKVM_SEG_CS, RKVM_SEG_SS, RKVM_SEG_DS,
	RKVM_SEG_FS, RKVM_SEG_GS,
};

/* General-purpose registers, encoding order (the index into regs[16]) */
enum rkvm_gpr {
	RKVM_RAX, RKVM_RCX, RKVM_RDX, RKVM_RBX,
	RKVM_RSP, RKVM_RBP, RKVM_RSI, RKVM_RDI,
	RKVM_R8, RKVM_R9, RKVM_R10, RKVM_R11,
	RKVM_R12, RKVM_R13, RKVM_R14, RKVM_R15,
};

#define RKVM_REG_NONE	(-1)

/* insn->rep */
#define RKVM_REP_NONE	0
#define RKVM_REP_REPE	1	/* F3: REP / REPE */
#define RKVM_REP_REPNE	2	/* F2: REPNE */

/*
 * A memory operand. Its offset (before the segment base) is
 *   absolute:  disp
 *   rip_rel:   RIP of the next instruction + disp
 *   otherwise: base + index * scale + disp (absent parts count as 0)
 * truncated to the address size (insn->addr_size); rkvm_insn_ea() does it.
 * In 64-bit code only an FS or GS segment has a base; that is the caller's
 * business: seg is reported as encoded.
 */
struct rkvm_insn_mem {
	signed char base;	/* GPR 0-15 or RKVM_REG_NONE */
	signed char index;	/* GPR 0-15 or RKVM_REG_NONE */
	unsigned char scale;	/* 1, 2, 4 or 8 */
	unsigned char seg;	/* enum rkvm_seg: the override or default */
	unsigned char rip_rel;	/* disp is relative to the next RIP */
	unsigned char absolute;	/* moffs (A0-A3): disp is the offset */
	unsigned long long disp;	/* sign-extended to 64 bits (moffs: as is) */
};

struct rkvm_insn {
	unsigned char len;	/* total length in bytes, 1-15 */
	unsigned char op;	/* enum rkvm_insn_op */
	unsigned char alu;	/* enum rkvm_alu, for RKVM_OP_ALU_* */
	unsigned char size;	/* bytes of memory accessed: 1, 2, 4 or 8 */
	/*
	 * Register written by a load (LOAD*, LODS: rAX, ALU_REG, XCHG) and
	 * its width in bytes: for MOVZX/MOVSX/MOVSXD the destination's
	 * width, otherwise equal to size. 0 when no register is written.
	 */
	unsigned char dst_size;
	/*
	 * The register operand, 0-15 (enum rkvm_gpr); for a byte register
	 * AH, CH, DH or BH (no REX prefix, ModRM.reg 4-7) reg is RAX, RCX,
	 * RDX or RBX and reg_high is 1. STOS and LODS use rAX (reg 0).
	 */
	unsigned char reg;
	unsigned char reg_high;
	unsigned char src;	/* enum rkvm_insn_src, for stores and ALU */
	unsigned char has_imm;
	/* prefixes and sizes */
	unsigned char op_size;	/* effective operand size: 2, 4 or 8 */
	unsigned char addr_size;	/* effective address size: 2, 4 or 8 */
	unsigned char rep;	/* RKVM_REP_* (string ops honour it) */
	unsigned char lock;	/* F0 present (only where LOCK is legal) */
	unsigned char seg_override;	/* a segment prefix was given */
	unsigned char rex;	/* the REX byte in effect, or 0 */
	unsigned char mem_read;	/* the instruction reads mem */
	unsigned char mem_write;	/* the instruction writes mem (MOVS: mem2) */
	/* the immediate, truncated to size (bytes): e.g. C7 with REX.W
	 * holds imm32 sign-extended to 64 bits, 83 holds imm8 sign-extended
	 * to the operand size
	 */
	unsigned long long imm;
	struct rkvm_insn_mem mem;	/* the memory operand (MOVS: source) */
	struct rkvm_insn_mem mem2;	/* MOVS: the destination ES:[rDI] */
};

/*
 * Decode the instruction at @bytes (@len bytes available; only the first
 * 15 are ever looked at) for code of @mode: 2, 4 or 8 = the default code
 * size in bytes (16-bit code, 32-bit code with CS.D = 1, 64-bit code).
 * Returns 0 and fills @insn, or a negative RKVM_DECODE_E* (then @insn is
 * undefined).
 */
int rkvm_decode(const unsigned char *bytes, int len, int mode,
		struct rkvm_insn *insn);

/*
 * The offset of memory operand @m (&insn->mem or &insn->mem2) within its
 * segment, from the registers @regs (encoding order) and @rip (the RIP of
 * the decoded instruction), wrapped to the address size.
 */
unsigned long long rkvm_insn_ea(const struct rkvm_insn *insn,
				const struct rkvm_insn_mem *m,
				const unsigned long long regs[16],
				unsigned long long rip);

/*
 * The value a store writes (STORE_REG, STORE_IMM, STOS, XCHG, or the ALU
 * source), truncated to insn->size bytes.
 */
unsigned long long rkvm_insn_src_value(const struct rkvm_insn *insn,
				       const unsigned long long regs[16]);

/*
 * Write @val to register @reg of @size bytes with x86 semantics: 1 and 2
 * byte writes keep the other bits (@high: bits 15:8, AH..BH), 4 byte writes
 * zero the upper half, 8 byte writes replace. Invalid arguments: no write.
 */
void rkvm_write_reg(unsigned long long regs[16], int reg, int high, int size,
		    unsigned long long val);

/*
 * Complete a load (LOAD, LOAD_ZX, LOAD_SX, LODS, XCHG): @val is the value
 * read from memory (insn->size bytes, upper bits ignored). Extends it as
 * the instruction does and writes the destination register. Returns 0, or
 * -1 if @insn does not write a register from memory (ALU_REG needs the
 * caller's ALU and flags, so it is not completed here).
 */
int rkvm_insn_complete_load(const struct rkvm_insn *insn,
			    unsigned long long regs[16],
			    unsigned long long val);

#endif
