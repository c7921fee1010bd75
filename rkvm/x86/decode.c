// SPDX-License-Identifier: GPL-2.0
/*
 * Pure logic: the x86 instruction decoder for MMIO
 * emulation (see decode.h). Written from the SDM's encoding tables (Vol. 2,
 * chapter 2 and appendix A). No kernel headers: it builds unchanged in the
 * module and in the host test tier.
 */
#include "decode.h"

#define REX_W	0x8
#define REX_R	0x4
#define REX_X	0x2
#define REX_B	0x1

/* A cursor over the untrusted bytes; pos never passes avail */
struct rkvm_dec {
	const unsigned char *b;
	int len;	/* bytes given */
	int pos;
};

/* Fetch an @n byte little-endian field (n <= 8) */
static int dec_fetch(struct rkvm_dec *d, int n, unsigned long long *v)
{
	unsigned long long x = 0;
	int i;

	if (d->pos + n > RKVM_INSN_MAX_LEN)
		return RKVM_DECODE_EINVAL;
	if (d->pos + n > d->len)
		return RKVM_DECODE_ETRUNC;
	for (i = 0; i < n; i++)
		x |= (unsigned long long)d->b[d->pos + i] << (8 * i);
	d->pos += n;
	*v = x;
	return 0;
}

static int dec_byte(struct rkvm_dec *d, unsigned int *v)
{
	unsigned long long x;
	int r = dec_fetch(d, 1, &x);

	*v = (unsigned int)x;
	return r;
}

static unsigned long long trunc_to(unsigned long long v, int bytes)
{
	return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

static unsigned long long sext_from(unsigned long long v, int bytes)
{
	unsigned long long sign;

	if (bytes >= 8)
		return v;
	v = trunc_to(v, bytes);
	sign = 1ull << (8 * bytes - 1);
	return (v ^ sign) - sign;
}

/* 16-bit addressing (SDM Vol. 2 table 2-1) */
static const signed char base16[8] = {
	RKVM_RBX, RKVM_RBX, RKVM_RBP, RKVM_RBP,
	RKVM_REG_NONE, RKVM_REG_NONE, RKVM_RBP, RKVM_RBX,
};

static const signed char index16[8] = {
	RKVM_RSI, RKVM_RDI, RKVM_RSI, RKVM_RDI,
	RKVM_RSI, RKVM_RDI, RKVM_REG_NONE, RKVM_REG_NONE,
};

/*
 * Decode ModRM (and SIB, displacement) into insn->mem; the reg field
 * (with REX.R) goes to *reg. @mode is the code size, insn->addr_size and
 * insn->rex are set. A register operand (mod = 3) is refused.
 */
static int dec_modrm(struct rkvm_dec *d, struct rkvm_insn *insn, int mode,
		     int seg, unsigned int *reg)
{
	struct rkvm_insn_mem *m = &insn->mem;
	unsigned int modrm, mod, rm, sib;
	unsigned long long disp = 0;
	int r, rex = insn->rex;

	r = dec_byte(d, &modrm);
	if (r)
		return r;
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = ((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0);
	m->base = RKVM_REG_NONE;
	m->index = RKVM_REG_NONE;
	m->scale = 1;
	if (mod == 3)
		return RKVM_DECODE_ENOMEM;

	if (insn->addr_size == 2) {
		if (mod == 0 && rm == 6) {
			r = dec_fetch(d, 2, &disp);
			disp = sext_from(disp, 2);
		} else {
			m->base = base16[rm];
			m->index = index16[rm];
		}
	} else {
		if (rm == 4) {
			unsigned int idx, b;

			r = dec_byte(d, &sib);
			if (r)
				return r;
			m->scale = 1 << (sib >> 6);
			idx = ((sib >> 3) & 7) | ((rex & REX_X) ? 8 : 0);
			if (idx != RKVM_RSP)
				m->index = idx;
			b = sib & 7;
			if (b == 5 && mod == 0) {
				r = dec_fetch(d, 4, &disp);
				disp = sext_from(disp, 4);
			} else {
				m->base = b | ((rex & REX_B) ? 8 : 0);
			}
		} else if (rm == 5 && mod == 0) {
			r = dec_fetch(d, 4, &disp);
			disp = sext_from(disp, 4);
			m->rip_rel = mode == 8;
		} else {
			m->base = rm | ((rex & REX_B) ? 8 : 0);
		}
	}
	if (r)
		return r;
	if (mod == 1) {
		r = dec_fetch(d, 1, &disp);
		disp = sext_from(disp, 1);
	} else if (mod == 2) {
		r = dec_fetch(d, insn->addr_size == 2 ? 2 : 4, &disp);
		disp = sext_from(disp, insn->addr_size == 2 ? 2 : 4);
	}
	if (r)
		return r;
	m->disp = disp;
	if (seg >= 0)
		m->seg = seg;
	else if (m->base == RKVM_RSP || m->base == RKVM_RBP)
		m->seg = RKVM_SEG_SS;
	else
		m->seg = RKVM_SEG_DS;
	return 0;
}

/* The register operand of a byte instruction: AH..BH without REX */
static void set_reg(struct rkvm_insn *insn, unsigned int reg)
{
	if (insn->size == 1 && !insn->rex && reg >= 4 && reg < 8) {
		insn->reg = reg - 4;
		insn->reg_high = 1;
	} else {
		insn->reg = reg;
	}
}

/* A MOV between a register and memory: @store writes memory from it */
static void set_mov(struct rkvm_insn *insn, int store)
{
	if (store) {
		insn->op = RKVM_OP_STORE_REG;
		insn->src = RKVM_SRC_REG;
		insn->mem_write = 1;
	} else {
		insn->op = RKVM_OP_LOAD;
		insn->dst_size = insn->size;
		insn->mem_read = 1;
	}
}

/* Read an immediate of @bytes (1, 2 or 4), used at insn->size */
static int dec_imm(struct rkvm_dec *d, struct rkvm_insn *insn, int bytes)
{
	unsigned long long v;
	int r = dec_fetch(d, bytes, &v);

	if (r)
		return r;
	insn->imm = trunc_to(sext_from(v, bytes), insn->size);
	insn->has_imm = 1;
	return 0;
}

/* Immediate of an Iz operand: 16 bits for 16-bit operands, else 32 */
static int imm_z(const struct rkvm_insn *insn)
{
	return insn->size == 2 ? 2 : 4;
}

static void string_mem(struct rkvm_insn_mem *m, int base, int seg)
{
	m->base = base;
	m->index = RKVM_REG_NONE;
	m->scale = 1;
	m->disp = 0;
	m->seg = seg;
}

static int dec_twobyte(struct rkvm_dec *d, struct rkvm_insn *insn, int mode,
		       int seg)
{
	unsigned int opc, reg;
	int r;

	r = dec_byte(d, &opc);
	if (r)
		return r;
	switch (opc) {
	case 0xb6: case 0xb7:	/* MOVZX Gv, Eb / Ew */
	case 0xbe: case 0xbf:	/* MOVSX Gv, Eb / Ew */
		insn->op = (opc & 8) ? RKVM_OP_LOAD_SX : RKVM_OP_LOAD_ZX;
		insn->size = (opc & 1) ? 2 : 1;
		insn->dst_size = insn->op_size;
		r = dec_modrm(d, insn, mode, seg, &reg);
		if (r)
			return r;
		insn->reg = reg;	/* a full register: no AH..BH */
		insn->mem_read = 1;
		return 0;
	default:
		return RKVM_DECODE_EUNSUP;
	}
}

int rkvm_decode(const unsigned char *bytes, int len, int mode,
		struct rkvm_insn *insn)
{
	static const struct rkvm_insn zero;
	struct rkvm_dec d = { .b = bytes, .len = len, .pos = 0 };
	int opsz16 = 0, adsz = 0, seg = -1, lockable = 0, r;
	unsigned int opc, reg;

	if (!bytes || !insn || len < 0 || (mode != 2 && mode != 4 && mode != 8))
		return RKVM_DECODE_EINVAL;
	*insn = zero;

	/* legacy prefixes in any order, then at most one REX (64-bit code) */
	for (;;) {
		r = dec_byte(&d, &opc);
		if (r)
			return r;
		switch (opc) {
		case 0x66:
			opsz16 = 1;
			break;
		case 0x67:
			adsz = 1;
			break;
		case 0xf0:
			insn->lock = 1;
			break;
		case 0xf2:
			insn->rep = RKVM_REP_REPNE;
			break;
		case 0xf3:
			insn->rep = RKVM_REP_REPE;
			break;
		case 0x26:
			seg = RKVM_SEG_ES;
			break;
		case 0x2e:
			seg = RKVM_SEG_CS;
			break;
		case 0x36:
			seg = RKVM_SEG_SS;
			break;
		case 0x3e:
			seg = RKVM_SEG_DS;
			break;
		case 0x64:
			seg = RKVM_SEG_FS;
			break;
		case 0x65:
			seg = RKVM_SEG_GS;
			break;
		default:
			if (mode == 8 && (opc & 0xf0) == 0x40) {
				insn->rex = opc;	/* the last one counts */
				continue;
			}
			goto opcode;
		}
		insn->rex = 0;	/* a REX not right before the opcode is ignored */
	}
opcode:
	insn->seg_override = seg >= 0;
	if (mode == 8)
		insn->op_size = (insn->rex & REX_W) ? 8 : opsz16 ? 2 : 4;
	else
		insn->op_size = (mode == 4) ^ opsz16 ? 4 : 2;
	if (mode == 8)
		insn->addr_size = adsz ? 4 : 8;
	else
		insn->addr_size = (mode == 4) ^ adsz ? 4 : 2;

	if (opc == 0x0f) {
		r = dec_twobyte(&d, insn, mode, seg);
		goto out;
	}

	/* ADD OR ADC SBB AND SUB XOR CMP: 00-03, 08-0B, ..., 38-3B */
	if (opc < 0x40 && (opc & 7) < 4) {
		insn->alu = opc >> 3;
		insn->size = (opc & 1) ? insn->op_size : 1;
		r = dec_modrm(&d, insn, mode, seg, &reg);
		if (r)
			return r;
		set_reg(insn, reg);
		insn->mem_read = 1;
		if (opc & 2) {	/* Gx, Ex: the register is the destination */
			insn->op = RKVM_OP_ALU_REG;
			if (insn->alu != RKVM_ALU_CMP)
				insn->dst_size = insn->size;
		} else {
			insn->op = RKVM_OP_ALU_MEM;
			insn->src = RKVM_SRC_REG;
			insn->mem_write = insn->alu != RKVM_ALU_CMP;
			lockable = insn->mem_write;
		}
		goto out;
	}

	switch (opc) {
	case 0x63:	/* MOVSXD Gq, Ed */
		if (mode != 8)
			return RKVM_DECODE_EUNSUP;	/* ARPL */
		if (!(insn->rex & REX_W))
			return RKVM_DECODE_EUNSUP;
		insn->op = RKVM_OP_LOAD_SX;
		insn->size = 4;
		insn->dst_size = 8;
		r = dec_modrm(&d, insn, mode, seg, &reg);
		if (r)
			return r;
		insn->reg = reg;
		insn->mem_read = 1;
		break;
	case 0x80: case 0x81: case 0x83:	/* group 1: ALU Ex, imm */
		insn->size = opc == 0x80 ? 1 : insn->op_size;
		r = dec_modrm(&d, insn, mode, seg, &reg);
		if (r)
			return r;
		insn->op = RKVM_OP_ALU_MEM;
		insn->alu = reg & 7;
		insn->src = RKVM_SRC_IMM;
		insn->mem_read = 1;
		insn->mem_write = insn->alu != RKVM_ALU_CMP;
		lockable = insn->mem_write;
		r = dec_imm(&d, insn, opc == 0x81 ? imm_z(insn) : 1);
		break;
	case 0x84: case 0x85:	/* TEST Ex, Gx */
	case 0x86: case 0x87:	/* XCHG Ex, Gx */
	case 0x88: case 0x89:	/* MOV Ex, Gx */
	case 0x8a: case 0x8b:	/* MOV Gx, Ex */
		insn->size = (opc & 1) ? insn->op_size : 1;
		r = dec_modrm(&d, insn, mode, seg, &reg);
		if (r)
			return r;
		set_reg(insn, reg);
		if (opc <= 0x85) {
			insn->op = RKVM_OP_ALU_MEM;
			insn->alu = RKVM_ALU_TEST;
			insn->src = RKVM_SRC_REG;
			insn->mem_read = 1;
		} else if (opc <= 0x87) {
			insn->op = RKVM_OP_XCHG;
			insn->src = RKVM_SRC_REG;
			insn->dst_size = insn->size;
			insn->mem_read = 1;
			insn->mem_write = 1;
			lockable = 1;
		} else {
			set_mov(insn, opc <= 0x89);
		}
		break;
	case 0xa0: case 0xa1:	/* MOV AL/rAX, moffs */
	case 0xa2: case 0xa3:	/* MOV moffs, AL/rAX */
		insn->size = (opc & 1) ? insn->op_size : 1;
		r = dec_fetch(&d, insn->addr_size, &insn->mem.disp);
		if (r)
			return r;
		insn->mem.absolute = 1;
		insn->mem.base = RKVM_REG_NONE;
		insn->mem.index = RKVM_REG_NONE;
		insn->mem.scale = 1;
		insn->mem.seg = seg >= 0 ? seg : RKVM_SEG_DS;
		insn->reg = RKVM_RAX;
		set_mov(insn, opc & 2);
		break;
	case 0xa4: case 0xa5:	/* MOVS */
	case 0xaa: case 0xab:	/* STOS */
	case 0xac: case 0xad:	/* LODS */
		insn->size = (opc & 1) ? insn->op_size : 1;
		insn->reg = RKVM_RAX;
		if (opc <= 0xa5) {
			insn->op = RKVM_OP_MOVS;
			string_mem(&insn->mem, RKVM_RSI,
				   seg >= 0 ? seg : RKVM_SEG_DS);
			string_mem(&insn->mem2, RKVM_RDI, RKVM_SEG_ES);
			insn->mem_read = 1;
			insn->mem_write = 1;
		} else if (opc <= 0xab) {
			insn->op = RKVM_OP_STOS;
			string_mem(&insn->mem, RKVM_RDI, RKVM_SEG_ES);
			insn->src = RKVM_SRC_REG;
			insn->mem_write = 1;
		} else {
			insn->op = RKVM_OP_LODS;
			string_mem(&insn->mem, RKVM_RSI,
				   seg >= 0 ? seg : RKVM_SEG_DS);
			insn->dst_size = insn->size;
			insn->mem_read = 1;
		}
		break;
	case 0xc6: case 0xc7:	/* MOV Ex, imm (group 11, /0 only) */
	case 0xf6: case 0xf7:	/* TEST Ex, imm (group 3, /0 only) */
		insn->size = (opc & 1) ? insn->op_size : 1;
		r = dec_modrm(&d, insn, mode, seg, &reg);
		if (r)
			return r;
		if (reg & 7)
			return RKVM_DECODE_EUNSUP;
		if (opc <= 0xc7) {
			insn->op = RKVM_OP_STORE_IMM;
			insn->mem_write = 1;
		} else {
			insn->op = RKVM_OP_ALU_MEM;
			insn->alu = RKVM_ALU_TEST;
			insn->mem_read = 1;
		}
		insn->src = RKVM_SRC_IMM;
		r = dec_imm(&d, insn, (opc & 1) ? imm_z(insn) : 1);
		break;
	default:
		return RKVM_DECODE_EUNSUP;
	}
out:
	if (r)
		return r;
	if (insn->lock && !lockable)
		return RKVM_DECODE_EINVAL;	/* #UD */
	insn->len = d.pos;
	return 0;
}

unsigned long long rkvm_insn_ea(const struct rkvm_insn *insn,
				const struct rkvm_insn_mem *m,
				const unsigned long long regs[16],
				unsigned long long rip)
{
	unsigned long long ea = m->disp;

	if (m->rip_rel) {
		ea += rip + insn->len;
	} else if (!m->absolute) {
		if (m->base >= 0 && m->base < 16)
			ea += regs[m->base];
		if (m->index >= 0 && m->index < 16)
			ea += regs[m->index] * m->scale;
	}
	return trunc_to(ea, insn->addr_size);
}

unsigned long long rkvm_insn_src_value(const struct rkvm_insn *insn,
				       const unsigned long long regs[16])
{
	unsigned long long v;

	switch (insn->src) {
	case RKVM_SRC_REG:
		v = regs[insn->reg & 15];
		if (insn->reg_high)
			v >>= 8;
		break;
	case RKVM_SRC_IMM:
		v = insn->imm;
		break;
	default:
		return 0;
	}
	return trunc_to(v, insn->size);
}

void rkvm_write_reg(unsigned long long regs[16], int reg, int high, int size,
		    unsigned long long val)
{
	unsigned long long *p;

	if (reg < 0 || reg > 15 || (high && (reg > 3 || size != 1)))
		return;
	p = &regs[reg];
	switch (size) {
	case 1:
		if (high)
			*p = (*p & ~0xff00ull) | ((val & 0xff) << 8);
		else
			*p = (*p & ~0xffull) | (val & 0xff);
		break;
	case 2:
		*p = (*p & ~0xffffull) | (val & 0xffff);
		break;
	case 4:
		*p = val & 0xffffffffull;
		break;
	case 8:
		*p = val;
		break;
	}
}

int rkvm_insn_complete_load(const struct rkvm_insn *insn,
			    unsigned long long regs[16],
			    unsigned long long val)
{
	switch (insn->op) {
	case RKVM_OP_LOAD:
	case RKVM_OP_LOAD_ZX:
	case RKVM_OP_LODS:
	case RKVM_OP_XCHG:
		val = trunc_to(val, insn->size);
		break;
	case RKVM_OP_LOAD_SX:
		val = sext_from(val, insn->size);
		break;
	default:
		return -1;
	}
	rkvm_write_reg(regs, insn->reg, insn->reg_high, insn->dst_size, val);
	return 0;
}
