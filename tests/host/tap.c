// SPDX-License-Identifier: GPL-2.0
/* TAP 13 output for the host tier (see tap.h) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"

#define MAX_DIAG	20	/* failed checks shown per test */

static char *out;		/* the buffered result lines */
static size_t out_len, out_cap;
static int ntests, nfailed, cur_failed, cur_diags, in_test;
static char cur_name[256];

static void emit(const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		abort();
	if (out_len + n + 1 > out_cap) {
		out_cap = (out_len + n + 1) * 2;
		out = realloc(out, out_cap);
		if (!out)
			abort();
	}
	vsnprintf(out + out_len, n + 1, fmt, ap);
	out_len += n;
}

static void emitf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emitf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

/* the diagnostics of the current test, emitted after its line */
static char *diag;
static size_t diag_len, diag_cap;

static void add_diag(const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (diag_len + n + 8 > diag_cap) {
		diag_cap = (diag_len + n + 8) * 2;
		diag = realloc(diag, diag_cap);
		if (!diag)
			abort();
	}
	diag_len += sprintf(diag + diag_len, "  # %s\n", line);
}

void t_begin(const char *fmt, ...)
{
	va_list ap;

	if (in_test)
		t_end();
	va_start(ap, fmt);
	vsnprintf(cur_name, sizeof(cur_name), fmt, ap);
	va_end(ap);
	in_test = 1;
	cur_failed = 0;
	cur_diags = 0;
	diag_len = 0;
}

int t_check(int cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return 1;
	cur_failed++;
	if (cur_diags++ < MAX_DIAG) {
		va_start(ap, fmt);
		add_diag(fmt, ap);
		va_end(ap);
	}
	return 0;
}

static void end(const char *todo)
{
	if (!in_test)
		return;
	in_test = 0;
	ntests++;
	if (cur_failed && !todo)
		nfailed++;
	emitf("%s %d %s", cur_failed ? "not ok" : "ok", ntests, cur_name);
	if (todo)
		emitf(" # TODO %s", todo);
	emitf("\n");
	if (cur_failed > MAX_DIAG)
		emitf("  # ... %d failed checks in all\n", cur_failed);
	if (diag_len)
		emitf("%.*s", (int)diag_len, diag);
}

void t_end(void)
{
	end(NULL);
}

void t_end_todo(const char *reason)
{
	end(reason);
}

int tap_finish(void)
{
	if (in_test)
		t_end();
	printf("TAP version 13\n1..%d\n", ntests);
	if (out_len)
		fwrite(out, 1, out_len, stdout);
	printf("# %d tests, %d failed\n", ntests, nfailed);
	fflush(stdout);
	return nfailed ? 1 : 0;
}
