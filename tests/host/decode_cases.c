// SPDX-License-Identifier: GPL-2.0
/*
 * The decoder's cases, built from semantic parameters (operation, size,
 * register, addressing form, immediate): each becomes one line of assembler
 * source and the fields the decoder must recover from the assembled bytes.
 * The expected fields come from these parameters, never from the decoder.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode_cases.h"

#define N	RKVM_REG_NONE

const char *const dcase_kinds[] = {
	"MOV r -> m (88/89)",
	"MOV m -> r (8A/8B)",
	"MOV imm -> m (C6/C7)",
	"MOVZX/MOVSX/MOVSXD (0F B6/B7/BE/BF, 63)",
	"MOV moffs (A0-A3)",
	"STOS/LODS/MOVS with and without REP",
	"segment overrides",
	"ALU m,r / r,m / m,imm (optional: 00-3B, 80/81/83, LOCK)",
	"TEST and XCHG (optional: 84-87, F6/F7 /0)",
	"prefix combinations (raw bytes)",
};
int dcase_nkinds = sizeof(dcase_kinds) / sizeof(dcase_kinds[0]);

enum { K_STORE, K_LOAD, K_IMM, K_EXT, K_MOFFS, K_STR, K_SEG, K_ALU,
	K_TESTX, K_RAW };

/* an addressing form */
struct memf {
	const char *txt;
	int asz;
	int base, index, scale;
	long long disp;
	int rip;
};

static const struct memf forms64[] = {
	{ "[rax]", 8, RKVM_RAX, N, 1, 0, 0 },
	{ "[rcx+0x10]", 8, RKVM_RCX, N, 1, 0x10, 0 },
	{ "[rdx-0x80]", 8, RKVM_RDX, N, 1, -0x80, 0 },
	{ "[rbx+0x7f]", 8, RKVM_RBX, N, 1, 0x7f, 0 },
	{ "[rsp]", 8, RKVM_RSP, N, 1, 0, 0 },
	{ "[rsp+0x8]", 8, RKVM_RSP, N, 1, 8, 0 },
	{ "[rbp]", 8, RKVM_RBP, N, 1, 0, 0 },
	{ "[rbp-0x4]", 8, RKVM_RBP, N, 1, -4, 0 },
	{ "[rsi+0x12345678]", 8, RKVM_RSI, N, 1, 0x12345678, 0 },
	{ "[rdi-0x1000]", 8, RKVM_RDI, N, 1, -0x1000, 0 },
	{ "[r8]", 8, RKVM_R8, N, 1, 0, 0 },
	{ "[r9+0x20]", 8, RKVM_R9, N, 1, 0x20, 0 },
	{ "[r12]", 8, RKVM_R12, N, 1, 0, 0 },
	{ "[r12+0x100]", 8, RKVM_R12, N, 1, 0x100, 0 },
	{ "[r13]", 8, RKVM_R13, N, 1, 0, 0 },
	{ "[r15-0x7ffffff0]", 8, RKVM_R15, N, 1, -0x7ffffff0, 0 },
	{ "[rax+rbx*1]", 8, RKVM_RAX, RKVM_RBX, 1, 0, 0 },
	{ "[rcx+rdx*2+0x8]", 8, RKVM_RCX, RKVM_RDX, 2, 8, 0 },
	{ "[rsp+rbp*4-0x8]", 8, RKVM_RSP, RKVM_RBP, 4, -8, 0 },
	{ "[rbp+rsi*8]", 8, RKVM_RBP, RKVM_RSI, 8, 0, 0 },
	{ "[r8+r9*4+0x40]", 8, RKVM_R8, RKVM_R9, 4, 0x40, 0 },
	{ "[rax+r12*2]", 8, RKVM_RAX, RKVM_R12, 2, 0, 0 },
	{ "[r13+r14*8+0x1000]", 8, RKVM_R13, RKVM_R14, 8, 0x1000, 0 },
	{ "[rbx+r15*1-0x10]", 8, RKVM_RBX, RKVM_R15, 1, -0x10, 0 },
	{ "[rcx*4+0x100]", 8, N, RKVM_RCX, 4, 0x100, 0 },
	{ "[r11*8]", 8, N, RKVM_R11, 8, 0, 0 },
	{ "[0x12345678]", 8, N, N, 1, 0x12345678, 0 },
	{ "[rip+0x1234]", 8, N, N, 1, 0x1234, 1 },
	{ "[rip-0x10]", 8, N, N, 1, -0x10, 1 },
	{ "[eax]", 4, RKVM_RAX, N, 1, 0, 0 },
	{ "[ecx+edx*4+0x8]", 4, RKVM_RCX, RKVM_RDX, 4, 8, 0 },
	{ "[r8d+0x10]", 4, RKVM_R8, N, 1, 0x10, 0 },
	{ "[esp]", 4, RKVM_RSP, N, 1, 0, 0 },
	{ "[ebp-0x8]", 4, RKVM_RBP, N, 1, -8, 0 },
	{ "[eip+0x20]", 4, N, N, 1, 0x20, 1 },
};

static const struct memf forms32[] = {
	{ "[eax]", 4, RKVM_RAX, N, 1, 0, 0 },
	{ "[ecx+0x10]", 4, RKVM_RCX, N, 1, 0x10, 0 },
	{ "[edx-0x80]", 4, RKVM_RDX, N, 1, -0x80, 0 },
	{ "[ebx+0x1000]", 4, RKVM_RBX, N, 1, 0x1000, 0 },
	{ "[esp]", 4, RKVM_RSP, N, 1, 0, 0 },
	{ "[esp+0x4]", 4, RKVM_RSP, N, 1, 4, 0 },
	{ "[ebp]", 4, RKVM_RBP, N, 1, 0, 0 },
	{ "[ebp+0x8]", 4, RKVM_RBP, N, 1, 8, 0 },
	{ "[esi-0x12345678]", 4, RKVM_RSI, N, 1, -0x12345678, 0 },
	{ "[edi]", 4, RKVM_RDI, N, 1, 0, 0 },
	{ "[eax+ebx*1]", 4, RKVM_RAX, RKVM_RBX, 1, 0, 0 },
	{ "[ecx+edx*2+0x8]", 4, RKVM_RCX, RKVM_RDX, 2, 8, 0 },
	{ "[esp+esi*4]", 4, RKVM_RSP, RKVM_RSI, 4, 0, 0 },
	{ "[ebp+edi*8-0x20]", 4, RKVM_RBP, RKVM_RDI, 8, -0x20, 0 },
	{ "[edx*4+0x100]", 4, N, RKVM_RDX, 4, 0x100, 0 },
	{ "[0x12345678]", 4, N, N, 1, 0x12345678, 0 },
	{ "[bx+si]", 2, RKVM_RBX, RKVM_RSI, 1, 0, 0 },
	{ "[bx+di+0x10]", 2, RKVM_RBX, RKVM_RDI, 1, 0x10, 0 },
	{ "[bp+si-0x2]", 2, RKVM_RBP, RKVM_RSI, 1, -2, 0 },
	{ "[bp+di+0x1234]", 2, RKVM_RBP, RKVM_RDI, 1, 0x1234, 0 },
	{ "[si]", 2, N, RKVM_RSI, 1, 0, 0 },
	{ "[di+0x7f]", 2, N, RKVM_RDI, 1, 0x7f, 0 },
	{ "[bp]", 2, RKVM_RBP, N, 1, 0, 0 },
	{ "[bx]", 2, RKVM_RBX, N, 1, 0, 0 },
};

static const struct memf forms16[] = {
	{ "[bx+si]", 2, RKVM_RBX, RKVM_RSI, 1, 0, 0 },
	{ "[bx+di]", 2, RKVM_RBX, RKVM_RDI, 1, 0, 0 },
	{ "[bp+si]", 2, RKVM_RBP, RKVM_RSI, 1, 0, 0 },
	{ "[bp+di]", 2, RKVM_RBP, RKVM_RDI, 1, 0, 0 },
	{ "[si]", 2, N, RKVM_RSI, 1, 0, 0 },
	{ "[di]", 2, N, RKVM_RDI, 1, 0, 0 },
	{ "[bx]", 2, RKVM_RBX, N, 1, 0, 0 },
	{ "[0x1234]", 2, N, N, 1, 0x1234, 0 },
	{ "[bx+si+0x10]", 2, RKVM_RBX, RKVM_RSI, 1, 0x10, 0 },
	{ "[bp+di-0x80]", 2, RKVM_RBP, RKVM_RDI, 1, -0x80, 0 },
	{ "[bp]", 2, RKVM_RBP, N, 1, 0, 0 },
	{ "[bp+0x100]", 2, RKVM_RBP, N, 1, 0x100, 0 },
	{ "[si+0x7fff]", 2, N, RKVM_RSI, 1, 0x7fff, 0 },
	{ "[di-0x1234]", 2, N, RKVM_RDI, 1, -0x1234, 0 },
	{ "[bx+0x2]", 2, RKVM_RBX, N, 1, 2, 0 },
	{ "[eax]", 4, RKVM_RAX, N, 1, 0, 0 },
	{ "[ecx+edx*4+0x8]", 4, RKVM_RCX, RKVM_RDX, 4, 8, 0 },
	{ "[esp+0x4]", 4, RKVM_RSP, N, 1, 4, 0 },
	{ "[ebp]", 4, RKVM_RBP, N, 1, 0, 0 },
	{ "[ebx+0x12345678]", 4, RKVM_RBX, N, 1, 0x12345678, 0 },
};

#define NFORMS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static const char *const r8n[16] = {
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};
static const char *const r8h[4] = { "ah", "ch", "dh", "bh" };
static const char *const r16n[16] = {
	"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	"r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};
static const char *const r32n[16] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};
static const char *const r64n[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const segn[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *ptrn(int size)
{
	return size == 1 ? "byte" : size == 2 ? "word" :
	       size == 4 ? "dword" : "qword";
}

static const char *regname(int size, int reg, int high)
{
	if (high)
		return r8h[reg];
	return size == 1 ? r8n[reg] : size == 2 ? r16n[reg] :
	       size == 4 ? r32n[reg] : r64n[reg];
}

static unsigned long long trunc_to(long long v, int bytes)
{
	return bytes >= 8 ? (unsigned long long)v :
	       (unsigned long long)v & ((1ull << (8 * bytes)) - 1);
}

static struct dcase *cases;
static int ncases, capcases;

static struct dcase *add(int mode, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct dcase *add(int mode, int kind, const char *fmt, ...)
{
	struct dcase *c;
	va_list ap;

	if (ncases == capcases) {
		capcases = capcases ? 2 * capcases : 1024;
		cases = realloc(cases, capcases * sizeof(*cases));
		if (!cases)
			abort();
	}
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->kind = kind;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	c->e.addr_size = mode == 2 ? 2 : mode == 4 ? 4 : 8;
	c->e.op_size = mode == 2 ? 2 : 4;
	return c;
}

static int default_seg(int base)
{
	return base == RKVM_RSP || base == RKVM_RBP ? RKVM_SEG_SS : RKVM_SEG_DS;
}

static void set_mem(struct dcase *c, const struct memf *f, int seg)
{
	struct rkvm_insn_mem *m = &c->e.mem;

	m->base = f->base;
	m->index = f->index;
	m->scale = f->scale;
	m->disp = (unsigned long long)f->disp;
	m->rip_rel = f->rip;
	m->seg = seg >= 0 ? seg : default_seg(f->base);
	c->e.addr_size = f->asz;
	c->e.seg_override = seg >= 0;
}

static const char *segpfx(int seg)
{
	static char buf[8][8];
	static int i;

	if (seg < 0)
		return "";
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s:", segn[seg]);
	return buf[i];
}

static void set_size(struct dcase *c, int size)
{
	c->e.size = size;
	if (size > 1)
		c->e.op_size = size;
}

/* the absolute form with AL/AX/EAX would assemble as moffs (A0-A3) */
static int is_abs(const struct memf *f)
{
	return f->base == N && f->index == N && !f->rip;
}

/* a byte register may be AH..BH (code 16-19) only without REX */
static int needs_rex(const struct memf *f)
{
	return f->base >= 8 || f->index >= 8;
}

static void pick_reg(int mode, int size, const struct memf *f, unsigned int n,
		     int *reg, int *high)
{
	int nr = mode == 8 ? 16 : 8;

	*high = 0;
	if (size == 1 && mode == 8 && !needs_rex(f))
		nr = 20;
	*reg = n % nr;
	if (size == 1 && mode != 8 && *reg >= 4) {
		*reg -= 4;
		*high = 1;
	} else if (*reg >= 16) {
		*reg -= 16;
		*high = 1;
	}
	if (*reg == 0 && !*high && is_abs(f))
		*reg = 1;
}

static void mov_rm(int mode, const struct memf *f, int size, int reg,
		   int high, int load, int seg, int kind)
{
	struct dcase *c;

	if (load)
		c = add(mode, kind, "mov %s, %s ptr %s%s",
			regname(size, reg, high), ptrn(size), segpfx(seg),
			f->txt);
	else
		c = add(mode, kind, "mov %s ptr %s%s, %s", ptrn(size),
			segpfx(seg), f->txt, regname(size, reg, high));
	set_mem(c, f, seg);
	set_size(c, size);
	c->e.reg = reg;
	c->e.reg_high = high;
	if (load) {
		c->e.op = RKVM_OP_LOAD;
		c->e.dst_size = size;
		c->e.mem_read = 1;
	} else {
		c->e.op = RKVM_OP_STORE_REG;
		c->e.src = RKVM_SRC_REG;
		c->e.mem_write = 1;
	}
}

static void mov_imm(int mode, const struct memf *f, int size, long long imm)
{
	struct dcase *c = add(mode, K_IMM, "mov %s ptr %s, %lld", ptrn(size),
			      f->txt, imm);

	set_mem(c, f, -1);
	set_size(c, size);
	c->e.op = RKVM_OP_STORE_IMM;
	c->e.src = RKVM_SRC_IMM;
	c->e.has_imm = 1;
	c->e.imm = trunc_to(imm, size);
	c->e.mem_write = 1;
}

static void mov_ext(int mode, const struct memf *f, int sx, int ssize,
		    int dsize, int reg)
{
	const char *mn = dsize == 8 && ssize == 4 ? "movsxd" :
			 sx ? "movsx" : "movzx";
	struct dcase *c = add(mode, K_EXT, "%s %s, %s ptr %s", mn,
			      regname(dsize, reg, 0), ptrn(ssize), f->txt);

	set_mem(c, f, -1);
	c->e.size = ssize;
	c->e.op_size = dsize;
	c->e.dst_size = dsize;
	c->e.reg = reg;
	c->e.op = sx ? RKVM_OP_LOAD_SX : RKVM_OP_LOAD_ZX;
	c->e.mem_read = 1;
}

static const long long imms[4][4] = {
	{ 0x5a, -1, 0x7f, -128 },
	{ 0x1234, -2, 0x7fff, -0x8000 },
	{ 0x12345678, -0x80000000ll, 1, -1 },
	{ 0x12345678, -1, -0x80000000ll, 0x7fffffff },
};

static void gen_mov(int mode, const struct memf *forms, int nforms)
{
	int maxsize = mode == 8 ? 8 : 4, fi, size, k, reg, high;
	unsigned int n = 0;

	for (fi = 0; fi < nforms; fi++) {
		const struct memf *f = &forms[fi];

		for (size = 1; size <= maxsize; size *= 2) {
			for (k = 0; k < 2; k++) {
				pick_reg(mode, size, f, n++ * 7 + fi, &reg, &high);
				mov_rm(mode, f, size, reg, high, 0, -1, K_STORE);
				pick_reg(mode, size, f, n++ * 5 + fi, &reg, &high);
				mov_rm(mode, f, size, reg, high, 1, -1, K_LOAD);
			}
			mov_imm(mode, f, size,
				imms[size == 8 ? 3 : size / 2][fi % 4]);
		}
		/* MOVZX/MOVSX to every wider size, MOVSXD */
		for (k = 0; k < 2; k++) {
			int ss, ds;

			for (ss = 1; ss <= 2; ss++) {
				for (ds = 2; ds <= maxsize; ds *= 2) {
					if (ds <= ss)
						continue;
					pick_reg(mode, ds, f, n++ * 3 + fi,
						 &reg, &high);
					mov_ext(mode, f, k, ss, ds, reg);
				}
			}
		}
		if (mode == 8) {
			pick_reg(mode, 8, f, n++ * 3 + fi, &reg, &high);
			mov_ext(mode, f, 1, 4, 8, reg);
		}
	}
	/* every register in both directions and every size, one form */
	for (size = 1; size <= maxsize; size *= 2) {
		int nr = mode == 8 ? 16 : 8;

		for (reg = 0; reg < nr; reg++) {
			high = size == 1 && mode != 8 && reg >= 4;
			mov_rm(mode, &forms[1], size, high ? reg - 4 : reg, high,
			       0, -1, K_STORE);
			mov_rm(mode, &forms[1], size, high ? reg - 4 : reg, high,
			       1, -1, K_LOAD);
		}
		if (mode == 8 && size == 1) {
			for (reg = 0; reg < 4; reg++) {
				mov_rm(mode, &forms[1], 1, reg, 1, 0, -1, K_STORE);
				mov_rm(mode, &forms[1], 1, reg, 1, 1, -1, K_LOAD);
			}
		}
	}
}

static void gen_seg(int mode, const struct memf *forms)
{
	int seg, size = mode == 2 ? 2 : 4;

	for (seg = 0; seg < 6; seg++) {
		/* gas leaves out an override equal to the default */
		if (seg != default_seg(forms[0].base))
			mov_rm(mode, &forms[0], size, 1, 0, 0, seg, K_SEG);
		if (seg != default_seg(forms[6].base))
			mov_rm(mode, &forms[6], 1, 2, 0, 1, seg, K_SEG);
	}
	/* a raw prefix, the default's included */
	for (seg = 0; seg < 6; seg++) {
		static const int pfx[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
		struct dcase *c = add(mode, K_SEG, ".byte 0x%02x; mov %s, %s ptr %s",
				      pfx[seg], regname(size, 3, 0), ptrn(size),
				      forms[4].txt);

		set_mem(c, &forms[4], seg);
		set_size(c, size);
		c->e.reg = 3;
		c->e.op = RKVM_OP_LOAD;
		c->e.dst_size = size;
		c->e.mem_read = 1;
	}
}

static void gen_moffs(int mode)
{
	static const char *const movn[3] = { "mov", "movabs" };
	int asz, size, dir, seg, maxsize = mode == 8 ? 8 : 4;

	for (asz = 2; asz <= 8; asz *= 2) {
		unsigned long long off;
		const char *pfx = "";

		if (mode == 8 && asz == 2)
			continue;
		if (mode != 8 && asz == 8)
			continue;
		if (asz != (mode == 2 ? 2 : mode == 4 ? 4 : 8))
			pfx = asz == 2 ? "addr16 " : "addr32 ";
		off = asz == 2 ? 0x1234 : asz == 4 ? 0x87654321 :
		      0x1122334455667788ull;
		for (size = 1; size <= maxsize; size *= 2) {
			for (dir = 0; dir < 2; dir++) {
				for (seg = -1; seg < 6; seg += 5) {
					struct dcase *c;
					const char *r = regname(size, 0, 0);
					const char *mn = mode == 8 && asz == 8 ?
							 movn[1] : movn[0];
					char mem[64];

					snprintf(mem, sizeof(mem), "%s ptr %s[0x%llx]",
						 ptrn(size), segpfx(seg), off);
					if (dir)
						c = add(mode, K_MOFFS, "%s%s %s, %s",
							pfx, mn, mem, r);
					else
						c = add(mode, K_MOFFS, "%s%s %s, %s",
							pfx, mn, r, mem);
					set_size(c, size);
					c->e.addr_size = asz;
					c->e.mem.base = N;
					c->e.mem.index = N;
					c->e.mem.scale = 1;
					c->e.mem.absolute = 1;
					c->e.mem.disp = off;
					c->e.mem.seg = seg < 0 ? RKVM_SEG_DS : seg;
					c->e.seg_override = seg >= 0;
					if (dir) {
						c->e.op = RKVM_OP_STORE_REG;
						c->e.src = RKVM_SRC_REG;
						c->e.mem_write = 1;
					} else {
						c->e.op = RKVM_OP_LOAD;
						c->e.dst_size = size;
						c->e.mem_read = 1;
					}
				}
			}
		}
	}
}

static void str_mem(struct rkvm_insn_mem *m, int base, int seg)
{
	m->base = base;
	m->index = N;
	m->scale = 1;
	m->seg = seg;
}

static void gen_string(int mode)
{
	static const char *const pfxn[3] = { "", "rep ", "repne " };
	int asz, size, op, rep, seg, maxsize = mode == 8 ? 8 : 4;

	for (asz = 2; asz <= 8; asz *= 2) {
		const char *const *rn = asz == 2 ? r16n : asz == 4 ? r32n : r64n;

		if ((mode == 8 && asz == 2) || (mode != 8 && asz == 8))
			continue;
		for (size = 1; size <= maxsize; size *= 2) {
			for (op = 0; op < 3; op++) {
				for (rep = 0; rep < 3; rep++) {
					int s = (size + op + rep + asz) % 3 == 0 ?
						RKVM_SEG_FS : -1;
					struct dcase *c;
					const char *p = ptrn(size);

					/* FS override of the source, not STOS */
					seg = op == 0 ? -1 : s;
					if (op == 0)
						c = add(mode, K_STR, "%sstos %s ptr es:[%s]",
							pfxn[rep], p, rn[7]);
					else if (op == 1)
						c = add(mode, K_STR, "%slods %s ptr %s[%s]",
							pfxn[rep], p, segpfx(seg), rn[6]);
					else
						c = add(mode, K_STR,
							"%smovs %s ptr es:[%s], %s ptr %s[%s]",
							pfxn[rep], p, rn[7], p,
							segpfx(seg), rn[6]);
					set_size(c, size);
					c->e.addr_size = asz;
					c->e.rep = rep == 1 ? RKVM_REP_REPE :
						   rep == 2 ? RKVM_REP_REPNE : 0;
					c->e.seg_override = seg >= 0;
					c->e.reg = 0;
					if (op == 0) {
						c->e.op = RKVM_OP_STOS;
						c->e.src = RKVM_SRC_REG;
						c->e.mem_write = 1;
						str_mem(&c->e.mem, RKVM_RDI, RKVM_SEG_ES);
					} else if (op == 1) {
						c->e.op = RKVM_OP_LODS;
						c->e.dst_size = size;
						c->e.mem_read = 1;
						str_mem(&c->e.mem, RKVM_RSI,
							seg < 0 ? RKVM_SEG_DS : seg);
					} else {
						c->e.op = RKVM_OP_MOVS;
						c->e.mem_read = 1;
						c->e.mem_write = 1;
						str_mem(&c->e.mem, RKVM_RSI,
							seg < 0 ? RKVM_SEG_DS : seg);
						str_mem(&c->e.mem2, RKVM_RDI, RKVM_SEG_ES);
					}
				}
			}
		}
	}
	/* the short forms */
	for (size = 1; size <= maxsize; size *= 2) {
		static const char sfx[9] = { 0, 'b', 'w', 0, 'd', 0, 0, 0, 'q' };
		struct dcase *c = add(mode, K_STR, "rep stos%c", sfx[size]);

		set_size(c, size);
		c->e.rep = RKVM_REP_REPE;
		c->e.op = RKVM_OP_STOS;
		c->e.src = RKVM_SRC_REG;
		c->e.mem_write = 1;
		str_mem(&c->e.mem, RKVM_RDI, RKVM_SEG_ES);
		c = add(mode, K_STR, "movs%c", sfx[size]);
		set_size(c, size);
		c->e.op = RKVM_OP_MOVS;
		c->e.mem_read = 1;
		c->e.mem_write = 1;
		str_mem(&c->e.mem, RKVM_RSI, RKVM_SEG_DS);
		str_mem(&c->e.mem2, RKVM_RDI, RKVM_SEG_ES);
	}
}

static const char *const alun[9] = {
	"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test",
};

static void gen_alu(int mode, const struct memf *forms, int nforms)
{
	int alu, size, maxsize = mode == 8 ? 8 : 4, reg, high, lock;
	unsigned int n = 0;

	for (alu = 0; alu < 8; alu++) {
		for (size = 1; size <= maxsize; size *= 2) {
			const struct memf *f = &forms[(alu * 4 + size) % nforms];
			struct dcase *c;
			long long imm;

			/* m, r (optionally locked) */
			lock = alu != RKVM_ALU_CMP && (alu + size) % 2;
			pick_reg(mode, size, f, n++ * 3, &reg, &high);
			c = add(mode, K_ALU, "%s%s %s ptr %s, %s",
				lock ? "lock " : "", alun[alu], ptrn(size),
				f->txt, regname(size, reg, high));
			set_mem(c, f, -1);
			set_size(c, size);
			c->e.op = RKVM_OP_ALU_MEM;
			c->e.alu = alu;
			c->e.reg = reg;
			c->e.reg_high = high;
			c->e.src = RKVM_SRC_REG;
			c->e.lock = lock;
			c->e.mem_read = 1;
			c->e.mem_write = alu != RKVM_ALU_CMP;

			/* r, m */
			pick_reg(mode, size, f, n++ * 3, &reg, &high);
			c = add(mode, K_ALU, "%s %s, %s ptr %s", alun[alu],
				regname(size, reg, high), ptrn(size), f->txt);
			set_mem(c, f, -1);
			set_size(c, size);
			c->e.op = RKVM_OP_ALU_REG;
			c->e.alu = alu;
			c->e.reg = reg;
			c->e.reg_high = high;
			c->e.dst_size = alu == RKVM_ALU_CMP ? 0 : size;
			c->e.mem_read = 1;

			/* m, imm8 (83 or 80) and m, imm16/32 (81) */
			for (imm = -3; imm < 0x20000; imm += 0x12345) {
				long long v = size == 1 ? (signed char)imm :
					      size == 2 ? (short)imm : imm;

				lock = alu != RKVM_ALU_CMP && imm > 0;
				c = add(mode, K_ALU, "%s%s %s ptr %s, %lld",
					lock ? "lock " : "", alun[alu],
					ptrn(size), f->txt, v);
				set_mem(c, f, -1);
				set_size(c, size);
				c->e.op = RKVM_OP_ALU_MEM;
				c->e.alu = alu;
				c->e.src = RKVM_SRC_IMM;
				c->e.has_imm = 1;
				c->e.imm = trunc_to(v, size);
				c->e.lock = lock;
				c->e.mem_read = 1;
				c->e.mem_write = alu != RKVM_ALU_CMP;
			}
		}
	}
	/* TEST m, r / m, imm; XCHG m, r (locked or not) */
	for (size = 1; size <= maxsize; size *= 2) {
		const struct memf *f = &forms[(size * 3) % nforms];
		long long imm = size == 1 ? -5 : size == 2 ? 0x1234 : -0x100000;
		struct dcase *c;

		pick_reg(mode, size, f, n++ * 3, &reg, &high);
		c = add(mode, K_TESTX, "test %s ptr %s, %s", ptrn(size),
			f->txt, regname(size, reg, high));
		set_mem(c, f, -1);
		set_size(c, size);
		c->e.op = RKVM_OP_ALU_MEM;
		c->e.alu = RKVM_ALU_TEST;
		c->e.reg = reg;
		c->e.reg_high = high;
		c->e.src = RKVM_SRC_REG;
		c->e.mem_read = 1;

		c = add(mode, K_TESTX, "test %s ptr %s, %lld", ptrn(size),
			f->txt, imm);
		set_mem(c, f, -1);
		set_size(c, size);
		c->e.op = RKVM_OP_ALU_MEM;
		c->e.alu = RKVM_ALU_TEST;
		c->e.src = RKVM_SRC_IMM;
		c->e.has_imm = 1;
		c->e.imm = trunc_to(imm, size);
		c->e.mem_read = 1;

		for (lock = 0; lock < 2; lock++) {
			pick_reg(mode, size, f, n++ * 3, &reg, &high);
			c = add(mode, K_TESTX, "%sxchg %s ptr %s, %s",
				lock ? "lock " : "", ptrn(size), f->txt,
				regname(size, reg, high));
			set_mem(c, f, -1);
			set_size(c, size);
			c->e.op = RKVM_OP_XCHG;
			c->e.reg = reg;
			c->e.reg_high = high;
			c->e.src = RKVM_SRC_REG;
			c->e.dst_size = size;
			c->e.lock = lock;
			c->e.mem_read = 1;
			c->e.mem_write = 1;
		}
	}
}

/* prefix combinations gas does not write by itself */
static void gen_raw(int mode)
{
	struct rkvm_insn st = { 0 };
	struct dcase *c;
	int osz = mode == 2 ? 2 : 4, o16 = mode == 2 ? 4 : 2;

	/* the base case: 89 0f = mov [bx] or [rdi]/[edi], cx/ecx */
	st.op = RKVM_OP_STORE_REG;
	st.src = RKVM_SRC_REG;
	st.mem_write = 1;
	st.size = osz;
	st.op_size = osz;
	st.addr_size = mode == 2 ? 2 : mode == 4 ? 4 : 8;
	st.reg = RKVM_RCX;
	str_mem(&st.mem, mode == 2 ? RKVM_RBX : RKVM_RDI, RKVM_SEG_DS);

	/* a repeated 66 is still one operand-size override */
	c = add(mode, K_RAW, ".byte 0x66, 0x66, 0x89, 0x0f");
	c->e = st;
	c->e.size = o16;
	c->e.op_size = o16;
	/* F3 (XRELEASE) on a store: recorded, the store is unchanged */
	c = add(mode, K_RAW, ".byte 0xf3, 0x89, 0x0f");
	c->e = st;
	c->e.rep = RKVM_REP_REPE;
	/* several segment prefixes: the last one counts */
	c = add(mode, K_RAW, ".byte 0x64, 0x26, 0x65, 0x8b, 0x0f");
	c->e = st;
	c->e.op = RKVM_OP_LOAD;
	c->e.src = 0;
	c->e.mem_write = 0;
	c->e.mem_read = 1;
	c->e.dst_size = osz;
	c->e.mem.seg = RKVM_SEG_GS;
	c->e.seg_override = 1;
	if (mode != 8)
		return;
	/* REX then 66: the REX is ignored, 66 applies */
	c = add(mode, K_RAW, ".byte 0x48, 0x66, 0x89, 0x0f");
	c->e = st;
	c->e.size = 2;
	c->e.op_size = 2;
	/* two REX: the last one counts */
	c = add(mode, K_RAW, ".byte 0x48, 0x41, 0x89, 0x0f");
	c->e = st;
	c->e.mem.base = RKVM_R15;
	c->e.rex = 0x41;
	/* REX.W wins over 66 */
	c = add(mode, K_RAW, ".byte 0x66, 0x48, 0x89, 0x0f");
	c->e = st;
	c->e.size = 8;
	c->e.op_size = 8;
	c->e.rex = 0x48;
	/* REX.R and REX.B together */
	c = add(mode, K_RAW, ".byte 0x45, 0x89, 0x0f");
	c->e = st;
	c->e.reg = RKVM_R9;
	c->e.mem.base = RKVM_R15;
	c->e.rex = 0x45;
	/* REX 40: byte register 4-7 is SPL..DIL, not AH..BH */
	c = add(mode, K_RAW, ".byte 0x40, 0x88, 0x27");
	c->e = st;
	c->e.size = 1;
	c->e.reg = RKVM_RSP;
	c->e.rex = 0x40;
	c = add(mode, K_RAW, ".byte 0x88, 0x27");
	c->e = st;
	c->e.size = 1;
	c->e.reg = RKVM_RAX;
	c->e.reg_high = 1;
	/* REX.X with index 100b is R12, not "no index" */
	c = add(mode, K_RAW, ".byte 0x42, 0x8b, 0x0c, 0x20");
	c->e = st;
	c->e.op = RKVM_OP_LOAD;
	c->e.src = 0;
	c->e.mem_write = 0;
	c->e.mem_read = 1;
	c->e.dst_size = 4;
	c->e.mem.base = RKVM_RAX;
	c->e.mem.index = RKVM_R12;
	c->e.rex = 0x42;
	/* 14 prefixes and the opcode: 15 bytes, still legal */
	c = add(mode, K_RAW, ".byte 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x67, 0x67, 0x48, 0xa4");
	c->e.op = RKVM_OP_MOVS;
	c->e.size = 1;
	c->e.op_size = 8;
	c->e.addr_size = 4;
	c->e.seg_override = 1;
	c->e.mem_read = 1;
	c->e.mem_write = 1;
	c->e.rex = 0x48;
	str_mem(&c->e.mem, RKVM_RSI, RKVM_SEG_DS);
	str_mem(&c->e.mem2, RKVM_RDI, RKVM_SEG_ES);
}

static void gen_mode(int mode, const struct memf *forms, int nforms)
{
	gen_mov(mode, forms, nforms);
	gen_seg(mode, forms);
	gen_moffs(mode);
	gen_string(mode);
	gen_alu(mode, forms, nforms);
	gen_raw(mode);
}

int dcase_build(struct dcase **out)
{
	if (!ncases) {
		gen_mode(2, forms16, NFORMS(forms16));
		gen_mode(4, forms32, NFORMS(forms32));
		gen_mode(8, forms64, NFORMS(forms64));
	}
	*out = cases;
	return ncases;
}
