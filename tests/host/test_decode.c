// SPDX-License-Identifier: GPL-2.0
/*
 * rkvm/x86/decode.c against the GNU assembler: every case of decode_cases.c
 * was assembled at build time; the decoder must find the assembler's length
 * and the fields the table expects, must say ETRUNC for every shorter
 * prefix of the bytes, and must ignore the bytes after the instruction.
 * Then rejects, a bounded random sweep, and the EA and register helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "decode_cases.h"

extern const unsigned char dec_bytes[];
extern const unsigned int dec_index[][2];
extern const unsigned int dec_count;

static int decode_exact(const unsigned char *b, int len, int mode,
			struct rkvm_insn *insn)
{
	/* a buffer of exactly @len bytes, so that ASan sees an over-read */
	unsigned char *p = malloc(len ? len : 1);
	int r;

	memcpy(p, b, len);
	r = rkvm_decode(p, len, mode, insn);
	free(p);
	return r;
}

static unsigned long long trunc_to(unsigned long long v, int bytes)
{
	return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

static void hex(const unsigned char *b, int len, char *s, size_t n)
{
	int i;

	s[0] = 0;
	for (i = 0; i < len && (size_t)(3 * i + 4) < n; i++)
		sprintf(s + 3 * i, "%02x ", b[i]);
}

static int cmp_mem(const char *what, const struct rkvm_insn_mem *g,
		   const struct rkvm_insn_mem *e, int asz, const char *ctx)
{
	int ok = 1;

	ok &= t_check(g->base == e->base, "%s: %s.base %d, want %d", ctx, what,
		      g->base, e->base);
	ok &= t_check(g->index == e->index, "%s: %s.index %d, want %d", ctx,
		      what, g->index, e->index);
	if (e->index != RKVM_REG_NONE)
		ok &= t_check(g->scale == e->scale, "%s: %s.scale %d, want %d",
			      ctx, what, g->scale, e->scale);
	ok &= t_check(g->seg == e->seg, "%s: %s.seg %d, want %d", ctx, what,
		      g->seg, e->seg);
	ok &= t_check(g->rip_rel == e->rip_rel, "%s: %s.rip_rel %d, want %d",
		      ctx, what, g->rip_rel, e->rip_rel);
	ok &= t_check(g->absolute == e->absolute, "%s: %s.absolute %d, want %d",
		      ctx, what, g->absolute, e->absolute);
	/* only the address-size bits of disp reach the address */
	ok &= t_check(trunc_to(g->disp, asz) == trunc_to(e->disp, asz),
		      "%s: %s.disp 0x%llx, want 0x%llx", ctx, what, g->disp,
		      e->disp);
	return ok;
}

#define FIELD(f) \
	ok &= t_check(g->f == e->f, "%s: " #f " %lld, want %lld", ctx, \
		      (long long)g->f, (long long)e->f)

static int cmp_insn(const struct dcase *c, const struct rkvm_insn *g,
		    const char *ctx)
{
	const struct rkvm_insn *e = &c->e;
	int ok = 1;

	FIELD(op);
	FIELD(size);
	FIELD(dst_size);
	FIELD(reg);
	FIELD(reg_high);
	FIELD(src);
	FIELD(has_imm);
	FIELD(op_size);
	FIELD(addr_size);
	FIELD(rep);
	FIELD(lock);
	FIELD(seg_override);
	FIELD(mem_read);
	FIELD(mem_write);
	if (e->op == RKVM_OP_ALU_MEM || e->op == RKVM_OP_ALU_REG)
		FIELD(alu);
	if (e->has_imm)
		FIELD(imm);
	if (e->rex)
		FIELD(rex);
	ok &= cmp_mem("mem", &g->mem, &e->mem, e->addr_size, ctx);
	if (e->op == RKVM_OP_MOVS)
		ok &= cmp_mem("mem2", &g->mem2, &e->mem2, e->addr_size, ctx);
	return ok;
}

static int ncases_checked;

static void check_case(const struct dcase *c, const unsigned char *b, int len)
{
	struct rkvm_insn g, g2;
	unsigned char buf[32];
	char ctx[DCASE_TEXT + 96], hx[64];
	int r, k;

	hex(b, len, hx, sizeof(hx));
	snprintf(ctx, sizeof(ctx), "%d-bit '%s' [%s]", c->mode * 8, c->text,
		 hx);
	ncases_checked++;
	r = decode_exact(b, len, c->mode, &g);
	if (!t_check(r == 0, "%s: returned %d", ctx, r))
		return;
	t_check(g.len == len, "%s: len %d, assembler %d", ctx, g.len, len);
	cmp_insn(c, &g, ctx);

	/* bytes after the instruction change nothing */
	memset(buf, 0xff, sizeof(buf));
	memcpy(buf, b, len);
	r = rkvm_decode(buf, 15, c->mode, &g2);
	t_check(r == 0 && !memcmp(&g, &g2, sizeof(g)),
		"%s: decoding with trailing bytes differs (%d)", ctx, r);

	/* every proper prefix is truncated */
	for (k = 0; k < len; k++) {
		r = decode_exact(b, k, c->mode, &g2);
		t_check(r == RKVM_DECODE_ETRUNC, "%s: %d of %d bytes: %d", ctx,
			k, len, r);
	}
}

static void assembled_cases(void)
{
	static const int modes[3] = { 2, 4, 8 };
	struct dcase *c;
	int n = dcase_build(&c), m, k, i, cnt;

	t_begin("decode: the assembled table has one entry per case");
	T_EQ(dec_count, n);
	t_end();
	if ((int)dec_count != n)
		return;
	for (m = 0; m < 3; m++) {
		for (k = 0; k < dcase_nkinds; k++) {
			cnt = 0;
			for (i = 0; i < n; i++)
				cnt += c[i].mode == modes[m] && c[i].kind == k;
			if (!cnt)
				continue;
			t_begin("decode %d-bit: %s (%d encodings)", modes[m] * 8,
				dcase_kinds[k], cnt);
			for (i = 0; i < n; i++) {
				if (c[i].mode != modes[m] || c[i].kind != k)
					continue;
				check_case(&c[i], dec_bytes + dec_index[i][0],
					   dec_index[i][1]);
			}
			t_end();
		}
	}
}

struct reject {
	int mode;
	int len;	/* -1: strlen-like from the array size */
	unsigned char b[20];
	int nb;
	int err;
	const char *what;
};

#define RJ(m, e, w, ...) { m, -1, { __VA_ARGS__ }, \
	sizeof((unsigned char[]){ __VA_ARGS__ }), e, w }

static const struct reject rejects[] = {
	RJ(8, RKVM_DECODE_EINVAL, "LOCK MOV store", 0xf0, 0x89, 0x08),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK MOV load", 0xf0, 0x8b, 0x08),
	RJ(4, RKVM_DECODE_EINVAL, "LOCK MOV imm", 0xf0, 0xc7, 0x00, 1, 2, 3, 4),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK MOVZX", 0xf0, 0x0f, 0xb6, 0x08),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK CMP m,r", 0xf0, 0x39, 0x08),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK CMP m,imm", 0xf0, 0x83, 0x38, 0x01),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK ADD r,m", 0xf0, 0x03, 0x08),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK TEST", 0xf0, 0x85, 0x08),
	RJ(8, RKVM_DECODE_EINVAL, "LOCK STOSB", 0xf0, 0xaa),
	RJ(2, RKVM_DECODE_EINVAL, "LOCK moffs", 0xf0, 0xa1, 0x34, 0x12),
	RJ(8, RKVM_DECODE_ENOMEM, "MOV r,r (89 /r mod 3)", 0x89, 0xc8),
	RJ(8, RKVM_DECODE_ENOMEM, "MOV r,r (8A)", 0x8a, 0xc1),
	RJ(4, RKVM_DECODE_ENOMEM, "MOV r,imm (C7 mod 3)", 0xc7, 0xc0, 1, 2, 3, 4),
	RJ(8, RKVM_DECODE_ENOMEM, "MOVZX r,r", 0x0f, 0xb6, 0xc1),
	RJ(8, RKVM_DECODE_ENOMEM, "ADD r,r", 0x01, 0xc8),
	RJ(8, RKVM_DECODE_ENOMEM, "LOCK ADD r,r", 0xf0, 0x01, 0xc8),
	RJ(8, RKVM_DECODE_EUNSUP, "C6 /1", 0xc6, 0x08, 0x00),
	RJ(8, RKVM_DECODE_EUNSUP, "C7 /7", 0xc7, 0x38, 0, 0, 0, 0),
	RJ(8, RKVM_DECODE_EUNSUP, "F6 /2 (NOT)", 0xf6, 0x10),
	RJ(8, RKVM_DECODE_EUNSUP, "F7 /1 (TEST alias)", 0xf7, 0x08, 0, 0, 0, 0),
	RJ(8, RKVM_DECODE_EUNSUP, "F7 /6 (DIV)", 0xf7, 0x30),
	RJ(8, RKVM_DECODE_EUNSUP, "MOVSXD without REX.W", 0x63, 0x08),
	RJ(4, RKVM_DECODE_EUNSUP, "63 in 32-bit code (ARPL)", 0x63, 0x08),
	RJ(4, RKVM_DECODE_EUNSUP, "82 (alias of 80)", 0x82, 0x00, 0x01),
	RJ(8, RKVM_DECODE_EUNSUP, "LEA", 0x8d, 0x08),
	RJ(8, RKVM_DECODE_EUNSUP, "NOP", 0x90),
	RJ(8, RKVM_DECODE_EUNSUP, "RET", 0xc3),
	RJ(8, RKVM_DECODE_EUNSUP, "UD2", 0x0f, 0x0b),
	RJ(8, RKVM_DECODE_EUNSUP, "0F B8 (POPCNT w/o F3)", 0x0f, 0xb8, 0x08),
	RJ(8, RKVM_DECODE_EUNSUP, "VEX C5", 0xc5, 0xf9, 0x6f, 0x00),
	RJ(8, RKVM_DECODE_EUNSUP, "EVEX 62", 0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00),
	RJ(4, RKVM_DECODE_EUNSUP, "INC eax in 32-bit code (40)", 0x40, 0x89, 0x08),
	RJ(8, RKVM_DECODE_EUNSUP, "ADD AL, imm8 (no memory)", 0x04, 0x01),
	RJ(8, RKVM_DECODE_EUNSUP, "MOV sreg (8E)", 0x8e, 0x18),
	RJ(8, RKVM_DECODE_EUNSUP, "REX alone then NOP", 0x48, 0x90),
	RJ(8, RKVM_DECODE_ETRUNC, "prefixes only", 0x66, 0x67, 0xf3),
	RJ(8, RKVM_DECODE_ETRUNC, "REX only", 0x48),
	RJ(8, RKVM_DECODE_ETRUNC, "0F only", 0x0f),
	RJ(8, RKVM_DECODE_ETRUNC, "no ModRM", 0x89),
	RJ(8, RKVM_DECODE_ETRUNC, "no SIB", 0x89, 0x04),
	RJ(8, RKVM_DECODE_ETRUNC, "short disp32", 0x89, 0x05, 1, 2, 3),
	RJ(8, RKVM_DECODE_ETRUNC, "short imm32", 0xc7, 0x00, 1, 2, 3),
	RJ(8, RKVM_DECODE_ETRUNC, "short moffs64", 0xa1, 1, 2, 3, 4, 5, 6, 7),
	RJ(2, RKVM_DECODE_ETRUNC, "short disp16", 0x89, 0x87, 0x34),
	RJ(8, RKVM_DECODE_EINVAL, "15 prefixes, then the opcode (16 bytes)",
	   0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
	   0x3e, 0x3e, 0x3e, 0x3e, 0x89, 0x08),
	RJ(8, RKVM_DECODE_EINVAL, "16 bytes: prefixes, SIB, disp32, imm32",
	   0x26, 0x26, 0x26, 0x26, 0x48, 0xc7, 0x84, 0x88, 0x78, 0x56, 0x34,
	   0x12, 0xef, 0xbe, 0xad, 0xde),
	RJ(3, RKVM_DECODE_EINVAL, "mode 3", 0x89, 0x08),
	RJ(0, RKVM_DECODE_EINVAL, "mode 0", 0x89, 0x08),
	RJ(16, RKVM_DECODE_EINVAL, "mode 16", 0x89, 0x08),
};

static void reject_cases(void)
{
	struct rkvm_insn g;
	char hx[64];
	unsigned int i;
	int r;

	t_begin("decode: rejects (LOCK where #UD, register forms, unsupported, truncated, >15 bytes, bad mode; %d cases)",
		(int)(sizeof(rejects) / sizeof(rejects[0])) + 4);
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const struct reject *j = &rejects[i];

		r = decode_exact(j->b, j->nb, j->mode, &g);
		hex(j->b, j->nb, hx, sizeof(hx));
		t_check(r == j->err, "%s [%s] mode %d: %d, want %d", j->what, hx,
			j->mode, r, j->err);
	}
	/* the 15-byte version of the last long one is fine */
	r = decode_exact((const unsigned char *)"\x26\x26\x26\x48\xc7\x84\x88"
			 "\x78\x56\x34\x12\xef\xbe\xad\xde", 15, 8, &g);
	if (t_check(r == 0, "15-byte C7: %d", r)) {
		T_EQ(g.len, 15);
		T_EQ(g.imm, 0xffffffffdeadbeefull);
		T_EQ(g.mem.disp, 0x12345678);
		T_EQ(g.mem.index, RKVM_RCX);
		T_EQ(g.mem.scale, 4);
		T_EQ(g.mem.seg, RKVM_SEG_ES);
	}
	r = rkvm_decode(NULL, 4, 8, &g);
	T_EQ(r, RKVM_DECODE_EINVAL);
	r = rkvm_decode((const unsigned char *)"\x89\x08", -1, 8, &g);
	T_EQ(r, RKVM_DECODE_EINVAL);
	r = rkvm_decode((const unsigned char *)"\x89\x08", 0, 8, &g);
	T_EQ(r, RKVM_DECODE_ETRUNC);
	t_end();
}

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;

static unsigned int rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned int)(rng_state >> 32);
}

/* random bytes, biased towards prefixes and the opcodes handled */
static void random_sweep(void)
{
	static const unsigned char interesting[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64,
		0x65, 0x40, 0x41, 0x44, 0x48, 0x4f, 0x0f, 0x88, 0x89, 0x8a,
		0x8b, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa,
		0xab, 0xac, 0xad, 0x63, 0xb6, 0xb7, 0xbe, 0xbf, 0x80, 0x81,
		0x83, 0x84, 0x85, 0x86, 0x87, 0xf6, 0xf7, 0x01, 0x39, 0x3b,
	};
	unsigned char b[20];
	struct rkvm_insn g, g2;
	int i, k, len, mode, r, ok_count = 0, iters = 200000;

	t_begin("decode: random sweep (%d byte strings): bounded, self-consistent",
		iters);
	for (i = 0; i < iters; i++) {
		len = rnd() % 18;
		mode = 2 << (rnd() % 3);
		for (k = 0; k < len; k++)
			b[k] = rnd() % 3 ? interesting[rnd() % sizeof(interesting)]
					 : rnd();
		r = decode_exact(b, len, mode, &g);
		if (r) {
			t_check(r >= RKVM_DECODE_ENOMEM && r <= RKVM_DECODE_ETRUNC,
				"odd error %d", r);
			continue;
		}
		ok_count++;
		if (!t_check(g.len >= 1 && g.len <= len && g.len <= 15,
			     "len %d of %d", g.len, len))
			continue;
		t_check(g.size == 1 || g.size == 2 || g.size == 4 ||
			g.size == 8, "size %d", g.size);
		t_check(g.reg < 16 && (!g.reg_high || g.reg < 4), "reg %d/%d",
			g.reg, g.reg_high);
		t_check(g.mem.base >= -1 && g.mem.base < 16 &&
			g.mem.index >= -1 && g.mem.index < 16, "mem regs");
		t_check(g.mem.seg <= RKVM_SEG_GS, "seg %d", g.mem.seg);
		t_check(g.mem_read || g.mem_write, "no access");
		t_check(!g.lock || g.mem_write, "lock without a write");
		r = decode_exact(b, g.len, mode, &g2);
		t_check(r == 0 && !memcmp(&g, &g2, sizeof(g)),
			"not the same with exactly len bytes");
		r = decode_exact(b, g.len - 1, mode, &g2);
		t_check(r == RKVM_DECODE_ETRUNC, "len-1: %d", r);
	}
	t_check(ok_count > 1000, "only %d decoded", ok_count);
	t_end();
}

static int dec(const char *bytes, int len, int mode, struct rkvm_insn *g)
{
	return rkvm_decode((const unsigned char *)bytes, len, mode, g);
}

static void ea_helper(void)
{
	unsigned long long regs[16];
	struct rkvm_insn g;
	int i;

	for (i = 0; i < 16; i++)
		regs[i] = 0x1111111111111111ull * i;
	t_begin("decode: rkvm_insn_ea (forms, scale, RIP/EIP-relative, moffs, 16/32-bit wrap)");
	/* mov [rax+rcx*4+0x10], edx */
	regs[RKVM_RAX] = 0x1000;
	regs[RKVM_RCX] = 0x20;
	T_EQ(dec("\x89\x54\x88\x10", 4, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x1090);
	/* disp8 -1 */
	T_EQ(dec("\x89\x50\xff", 3, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0xfff);
	/* 64-bit wrap: rax = -16, disp32 0x20 */
	regs[RKVM_RAX] = -16ull;
	T_EQ(dec("\x89\x90\x20\x00\x00\x00", 6, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x10);
	/* 67: [eax+0x20] wraps at 4 GiB */
	regs[RKVM_RAX] = 0x1fffffff0ull;
	T_EQ(dec("\x67\x89\x50\x20", 4, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x10);
	/* [rip+0x100], 6 bytes long, at rip 0x7000 */
	T_EQ(dec("\x89\x15\x00\x01\x00\x00", 6, 8, &g), 0);
	T_EQ(g.mem.rip_rel, 1);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0x7000), 0x7106);
	/* [rip-0x10] with an imm32 after: the next RIP counts the imm */
	T_EQ(dec("\xc7\x05\xf0\xff\xff\xff\x01\x00\x00\x00", 10, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0x7000), 0x7000 + 10 - 0x10);
	/* [eip+0]: 67, wraps at 4 GiB */
	T_EQ(dec("\x67\x89\x15\x00\x00\x00\x00", 7, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0xfffffffeull), 5);
	/* moffs64 */
	T_EQ(dec("\xa1\x88\x77\x66\x55\x44\x33\x22\x11", 9, 8, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x1122334455667788ull);
	/* 16-bit [bp+si+0x10] wraps at 64 KiB */
	regs[RKVM_RBP] = 0x12340fff0ull;
	regs[RKVM_RSI] = 0x8;
	T_EQ(dec("\x89\x42\x10", 3, 2, &g), 0);
	T_EQ(g.mem.seg, RKVM_SEG_SS);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x0008);
	/* 16-bit disp16 0xfff0 = -16 */
	regs[RKVM_RBX] = 0x20;
	T_EQ(dec("\x89\x87\xf0\xff", 4, 2, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x10);
	/* 32-bit code: [esp+ebp*8] */
	regs[RKVM_RSP] = 0xfffffff0;
	regs[RKVM_RBP] = 4;
	T_EQ(dec("\x89\x04\xec", 3, 4, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x10);
	/* MOVS: source and destination */
	regs[RKVM_RSI] = 0x100;
	regs[RKVM_RDI] = 0x200;
	T_EQ(dec("\xa5", 1, 4, &g), 0);
	T_EQ(rkvm_insn_ea(&g, &g.mem, regs, 0), 0x100);
	T_EQ(rkvm_insn_ea(&g, &g.mem2, regs, 0), 0x200);
	t_end();
}

static void reg_helpers(void)
{
	unsigned long long regs[16], v = 0x1122334455667788ull;
	struct rkvm_insn g;
	int i;

	for (i = 0; i < 16; i++)
		regs[i] = v;
	t_begin("decode: rkvm_write_reg (8/16-bit keep, 32-bit zero-extends, AH..BH)");
	rkvm_write_reg(regs, RKVM_RAX, 0, 1, 0xaabb);
	T_EQ(regs[RKVM_RAX], 0x11223344556677bbull);
	rkvm_write_reg(regs, RKVM_RCX, 1, 1, 0xaabb);
	T_EQ(regs[RKVM_RCX], 0x112233445566bb88ull);
	rkvm_write_reg(regs, RKVM_RDX, 0, 2, 0xccddaabb);
	T_EQ(regs[RKVM_RDX], 0x112233445566aabbull);
	rkvm_write_reg(regs, RKVM_RBX, 0, 4, 0xffccddaabbull);
	T_EQ(regs[RKVM_RBX], 0xccddaabbull);
	rkvm_write_reg(regs, RKVM_R15, 0, 8, 0xffccddaabbull);
	T_EQ(regs[RKVM_R15], 0xffccddaabbull);
	rkvm_write_reg(regs, RKVM_RSP, 0, 1, 0x00);	/* SPL */
	T_EQ(regs[RKVM_RSP], 0x1122334455667700ull);
	/* invalid arguments write nothing */
	rkvm_write_reg(regs, 16, 0, 8, 0);
	rkvm_write_reg(regs, -1, 0, 8, 0);
	rkvm_write_reg(regs, RKVM_RSI, 1, 1, 0);	/* no "high" SI */
	rkvm_write_reg(regs, RKVM_RDI, 0, 3, 0);
	T_EQ(regs[RKVM_RSI], v);
	T_EQ(regs[RKVM_RDI], v);
	t_end();

	for (i = 0; i < 16; i++)
		regs[i] = v;
	t_begin("decode: rkvm_insn_complete_load and rkvm_insn_src_value");
	/* movzx ecx, byte [rax] */
	T_EQ(dec("\x0f\xb6\x08", 3, 8, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0x1f0), 0);
	T_EQ(regs[RKVM_RCX], 0xf0);
	/* movsx cx, byte [rax] */
	regs[RKVM_RCX] = v;
	T_EQ(dec("\x66\x0f\xbe\x08", 4, 8, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0xf0), 0);
	T_EQ(regs[RKVM_RCX], 0x112233445566fff0ull);
	/* movsx rcx, word [rax] */
	T_EQ(dec("\x48\x0f\xbf\x08", 4, 8, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0x8000), 0);
	T_EQ(regs[RKVM_RCX], 0xffffffffffff8000ull);
	/* movsxd r9, dword [rax] */
	T_EQ(dec("\x4c\x63\x08", 3, 8, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0x80000001), 0);
	T_EQ(regs[RKVM_R9], 0xffffffff80000001ull);
	/* mov ch, [rax] (no REX): bits 15:8 of RCX */
	regs[RKVM_RCX] = v;
	T_EQ(dec("\x8a\x28", 2, 8, &g), 0);
	T_EQ(g.reg, RKVM_RCX);
	T_EQ(g.reg_high, 1);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0x5a), 0);
	T_EQ(regs[RKVM_RCX], 0x1122334455665a88ull);
	/* mov ebx, [rax]: zero-extends */
	T_EQ(dec("\x8b\x18", 2, 8, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0xdeadbeefcafef00dull), 0);
	T_EQ(regs[RKVM_RBX], 0xcafef00dull);
	/* lodsw in 16-bit code: AX only */
	regs[RKVM_RAX] = v;
	T_EQ(dec("\xad", 1, 2, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0xabcd), 0);
	T_EQ(regs[RKVM_RAX], 0x112233445566abcdull);
	/* a store completes nothing */
	T_EQ(dec("\x89\x18", 2, 8, &g), 0);
	T_EQ(rkvm_insn_complete_load(&g, regs, 0), -1);
	/* src values: BH, imm, STOS rAX */
	regs[RKVM_RBX] = 0x1234;
	T_EQ(dec("\x88\x38", 2, 8, &g), 0);	/* mov [rax], bh */
	T_EQ(rkvm_insn_src_value(&g, regs), 0x12);
	T_EQ(dec("\x48\xc7\x00\xfe\xff\xff\xff", 7, 8, &g), 0);
	T_EQ(rkvm_insn_src_value(&g, regs), 0xfffffffffffffffeull);
	T_EQ(dec("\x66\xc7\x00\xfe\xff", 5, 8, &g), 0);
	T_EQ(rkvm_insn_src_value(&g, regs), 0xfffe);
	regs[RKVM_RAX] = v;
	T_EQ(dec("\xab", 1, 4, &g), 0);	/* stosd */
	T_EQ(rkvm_insn_src_value(&g, regs), 0x55667788);
	T_EQ(dec("\xa5", 1, 4, &g), 0);	/* movsd: memory to memory */
	T_EQ(rkvm_insn_src_value(&g, regs), 0);
	t_end();
}

void test_decode(void)
{
	assembled_cases();
	reject_cases();
	random_sweep();
	ea_helper();
	reg_helpers();
	t_begin("decode: %d assembled encodings checked", ncases_checked);
	T_OK(ncases_checked > 500);
	t_end();
}
