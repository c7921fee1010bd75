/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decoder's table of cases: one instruction each, as Intel-syntax GNU as
 * source for its code size, with the fields the decoder must find in the
 * assembler's bytes. gen_decode_asm turns the table into decode_cases.S;
 * test_decode links the assembled object and checks every entry.
 */
#ifndef TESTS_HOST_DECODE_CASES_H
#define TESTS_HOST_DECODE_CASES_H

#include "x86/decode.h"

#define DCASE_TEXT	160

struct dcase {
	int mode;		/* 2, 4, 8 */
	int kind;		/* index into dcase_kinds[] */
	char text[DCASE_TEXT];	/* the instruction, as gas source */
	struct rkvm_insn e;	/* expected fields (len: from the assembler) */
};

extern const char *const dcase_kinds[];
extern int dcase_nkinds;

/* builds the table (deterministic); returns the number of cases */
int dcase_build(struct dcase **out);

#endif
