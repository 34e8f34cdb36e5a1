/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal C test harness. Each case prints one line the runner counts:
 *   PASS: <suite>/<case>
 *   FAIL: <suite>/<case>: <what differed>
 *   SKIP: <suite>/<case>: <reason>
 * ASSERT_* print the failing expression with both values and return from the
 * case (cases are `static void test_x(void)`).
 */
#ifndef XVIO_TEST_H
#define XVIO_TEST_H

#include <stdio.h>
#include <string.h>

extern const char *test_suite;
extern int test_failed_now;
extern int test_nfail;
extern int test_npass;
extern int test_nskip;
extern char test_skip_reason[256];

#define TEST_FAIL(fmt, ...)                                                          \
	do {                                                                         \
		if (!test_failed_now)                                                \
			printf("FAIL: %s/%s: %s:%d: " fmt "\n", test_suite, test_cur, \
			       __FILE__, __LINE__, ##__VA_ARGS__);                   \
		test_failed_now = 1;                                                 \
	} while (0)

#define ASSERT_EQ(a, b)                                                                   \
	do {                                                                              \
		long long _a = (long long)(a), _b = (long long)(b);                       \
		if (_a != _b) {                                                           \
			TEST_FAIL("%s == %s: got %lld, want %lld", #a, #b, _a, _b);       \
			return;                                                           \
		}                                                                         \
	} while (0)

#define ASSERT_TRUE(c)                                        \
	do {                                                  \
		if (!(c)) {                                   \
			TEST_FAIL("expected %s", #c);         \
			return;                               \
		}                                             \
	} while (0)

#define ASSERT_OK(e)                                                              \
	do {                                                                      \
		long long _e = (long long)(e);                                    \
		if (_e) {                                                         \
			TEST_FAIL("%s: returned %lld (%s)", #e, _e,               \
				  _e < 0 ? strerror((int)-_e) : "nonzero");       \
			return;                                                   \
		}                                                                 \
	} while (0)

#define TEST_SKIP(...)                                                                    \
	do {                                                                              \
		snprintf(test_skip_reason, sizeof(test_skip_reason), __VA_ARGS__);        \
		return;                                                                   \
	} while (0)

extern const char *test_cur;

/* Runs one case and prints its line. */
#define RUN_TEST(fn)                                                                       \
	do {                                                                               \
		test_cur = #fn;                                                            \
		test_failed_now = 0;                                                       \
		test_skip_reason[0] = 0;                                                   \
		fn();                                                                      \
		if (test_failed_now)                                                       \
			test_nfail++;                                                      \
		else if (test_skip_reason[0])                                              \
			printf("SKIP: %s/%s: %s\n", test_suite, test_cur, test_skip_reason), \
				test_nskip++;                                              \
		else                                                                       \
			printf("PASS: %s/%s\n", test_suite, test_cur), test_npass++;       \
		fflush(stdout);                                                            \
	} while (0)

/* Define the globals once, in the file that has main(). */
/* In helpers: fail the running case like ASSERT_* and return -1 to it. */
#define CHECK(c, ...)                           \
	do {                                    \
		if (!(c)) {                     \
			TEST_FAIL(__VA_ARGS__); \
			return -1;              \
		}                               \
	} while (0)

#define TEST_GLOBALS(suite)                 \
	const char *test_suite = suite;     \
	const char *test_cur = "";          \
	int test_failed_now, test_nfail, test_npass, test_nskip; \
	char test_skip_reason[256]

#define TEST_EXIT() return test_nfail ? 1 : 0

#endif
