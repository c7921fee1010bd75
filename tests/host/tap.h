/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP 13 producer for the host tier: one test case is one
 * t_begin() ... t_end() with any number of t_check()s; failed checks are
 * reported as "# " diagnostics under the test's line. tap_finish() prints
 * the whole stream with its plan first and returns the exit status.
 */
#ifndef TESTS_HOST_TAP_H
#define TESTS_HOST_TAP_H

void t_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* returns @cond; a false one fails the current test and says why */
int t_check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void t_end(void);
/* end a test that shows a known bug: "not ok ... # TODO reason" */
void t_end_todo(const char *reason);
int tap_finish(void);

#define T_EQ(a, b) \
	t_check((unsigned long long)(a) == (unsigned long long)(b), \
		"%s:%d: %s == %s: 0x%llx != 0x%llx", __FILE__, __LINE__, \
		#a, #b, (unsigned long long)(a), (unsigned long long)(b))

#define T_OK(cond) \
	t_check(!!(cond), "%s:%d: %s", __FILE__, __LINE__, #cond)

/* the test files */
void test_decode(void);
void test_controls(void);
void test_ept_bits(void);
void test_memslot(void);
void test_cpuid_table(void);
void test_ptwalk(void);

#endif
