/*
 * Copyright (c) 2026 The preforkd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * check_util.c: unit tests of util.c: durations, bounded integers, the
 * monotonic clock, error lists and signal names.
 */

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

static Suite	*util_suite(void);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define DURATION_BAD(s)							\
	"invalid duration '" s "' (use a number with a unit: 500ms, "	\
	"30s, 5m, 1h, 2d)"
#define DURATION_LONG(s)						\
	"duration '" s "' is too long (at most 24 days)"

static const struct {
	const char	*in;
	int		 ms;
} durations_ok[] = {
	{ "500ms", 500 },
	{ "0ms", 0 },
	{ "1ms", 1 },
	{ "30s", 30000 },
	{ "5m", 300000 },
	{ "1h", 3600000 },
	{ "2d", 172800000 },
	{ "30", 30000 },		/* a bare number is seconds */
	{ "0", 0 },
	{ "007s", 7000 },
	{ " 5s", 5000 },
	{ "5s ", 5000 },
	{ "\t 10ms \n", 10 },
	{ "  42  ", 42000 },
	{ "24d", 2073600000 },
	{ "596h", 2145600000 },
	{ "35791m", 2147460000 },
	{ "2147483", 2147483000 },
	{ "2147483s", 2147483000 },
	{ "2147483647ms", INT_MAX },
};

static const struct {
	const char	*in;
	const char	*err;
} durations_bad[] = {
	{ "", DURATION_BAD("") },
	{ "   ", DURATION_BAD("   ") },
	{ "s", DURATION_BAD("s") },
	{ "ms", DURATION_BAD("ms") },
	{ "-1", DURATION_BAD("-1") },
	{ "-5s", DURATION_BAD("-5s") },
	{ "+5s", DURATION_BAD("+5s") },
	{ "5x", DURATION_BAD("5x") },
	{ "5S", DURATION_BAD("5S") },
	{ "5sec", DURATION_BAD("5sec") },
	{ "5mss", DURATION_BAD("5mss") },
	{ "5ms5", DURATION_BAD("5ms5") },
	{ "5s 5", DURATION_BAD("5s 5") },
	{ "1.5s", DURATION_BAD("1.5s") },
	{ "0x10", DURATION_BAD("0x10") },
	{ "1e3", DURATION_BAD("1e3") },
	{ "abc", DURATION_BAD("abc") },
	{ "25d", DURATION_LONG("25d") },
	{ "597h", DURATION_LONG("597h") },
	{ "35792m", DURATION_LONG("35792m") },
	{ "2147484", DURATION_LONG("2147484") },
	{ "2147484s", DURATION_LONG("2147484s") },
	{ "2147483648ms", DURATION_LONG("2147483648ms") },
	{ "99999999999999999999999s",
	    DURATION_LONG("99999999999999999999999s") },
};

START_TEST(test_util_duration_valid)
{
	struct tu_report	r = { "", 0 };
	char			err[256];
	size_t			i;
	int			ms;

	for (i = 0; i < NELEM(durations_ok); i++) {
		ms = -1;
		strlcpy(err, "untouched", sizeof(err));
		if (parse_duration_ms(durations_ok[i].in, &ms, err,
		    sizeof(err)) != 0)
			tu_report(&r, "'%s' refused: %s", durations_ok[i].in,
			    err);
		else if (ms != durations_ok[i].ms)
			tu_report(&r, "'%s' gave %d ms, not %d",
			    durations_ok[i].in, ms, durations_ok[i].ms);
		else if (strcmp(err, "untouched") != 0)
			tu_report(&r, "'%s' wrote '%s' to err",
			    durations_ok[i].in, err);
	}
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_util_duration_invalid)
{
	struct tu_report	r = { "", 0 };
	char			err[256];
	size_t			i;
	int			ms;

	for (i = 0; i < NELEM(durations_bad); i++) {
		ms = 12345;
		err[0] = '\0';
		if (parse_duration_ms(durations_bad[i].in, &ms, err,
		    sizeof(err)) != -1)
			tu_report(&r, "'%s' accepted as %d ms",
			    durations_bad[i].in, ms);
		else if (strcmp(err, durations_bad[i].err) != 0)
			tu_report(&r, "'%s': error \"%s\", not \"%s\"",
			    durations_bad[i].in, err, durations_bad[i].err);
		else if (ms != 12345)
			tu_report(&r, "'%s': ms changed to %d on error",
			    durations_bad[i].in, ms);
	}
	TU_REPORT_END(&r);
}
END_TEST

/* A short error buffer gets a truncated, terminated message. */
START_TEST(test_util_duration_short_errbuf)
{
	char	err[9];
	int	ms = 0;

	memset(err, 'X', sizeof(err));
	ck_assert_int_eq(parse_duration_ms("bad", &ms, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid ");
}
END_TEST

static const struct {
	const char	*in;
	unsigned int	 min, max, val;
} uints_ok[] = {
	{ "0", 0, 10, 0 },
	{ "10", 0, 10, 10 },
	{ "1", 1, 1, 1 },
	{ "65535", 1, 65535, 65535 },
	{ "007", 0, 10, 7 },
	{ " 7", 0, 10, 7 },
	{ "7 ", 0, 10, 7 },
	{ "\t7\n", 0, 10, 7 },
	{ "4294967295", 0, UINT_MAX, UINT_MAX },
	{ "1000000000", 0, 1000000000, 1000000000 },
};

static const struct {
	const char	*in;
	unsigned int	 min, max;
	const char	*err;
} uints_bad[] = {
	{ "", 0, 10, "invalid number ''" },
	{ " ", 0, 10, "invalid number ' '" },
	{ "abc", 0, 10, "invalid number 'abc'" },
	{ "-1", 0, 10, "invalid number '-1'" },
	{ "-0", 0, 10, "invalid number '-0'" },
	{ "+1", 0, 10, "invalid number '+1'" },
	{ "1 2", 0, 10, "invalid number '1 2'" },
	{ "0x1", 0, 10, "invalid number '0x1'" },
	{ "1.0", 0, 10, "invalid number '1.0'" },
	{ "5k", 0, 10, "invalid number '5k'" },
	{ "11", 0, 10, "11 is out of range (0 to 10)" },
	{ "0", 1, 10, "0 is out of range (1 to 10)" },
	{ "65536", 1, 65535, "65536 is out of range (1 to 65535)" },
	{ "4294967296", 0, UINT_MAX,
	    "4294967296 is out of range (0 to 4294967295)" },
	{ "99999999999999999999", 0, UINT_MAX,
	    "99999999999999999999 is out of range (0 to 4294967295)" },
	{ "1000000001", 0, 1000000000,
	    "1000000001 is out of range (0 to 1000000000)" },
};

START_TEST(test_util_uint_valid)
{
	struct tu_report	r = { "", 0 };
	char			err[256];
	unsigned int		v;
	size_t			i;

	for (i = 0; i < NELEM(uints_ok); i++) {
		v = 424242;
		strlcpy(err, "untouched", sizeof(err));
		if (parse_uint(uints_ok[i].in, uints_ok[i].min,
		    uints_ok[i].max, &v, err, sizeof(err)) != 0)
			tu_report(&r, "'%s' refused: %s", uints_ok[i].in, err);
		else if (v != uints_ok[i].val)
			tu_report(&r, "'%s' gave %u, not %u", uints_ok[i].in,
			    v, uints_ok[i].val);
		else if (strcmp(err, "untouched") != 0)
			tu_report(&r, "'%s' wrote '%s' to err",
			    uints_ok[i].in, err);
	}
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_util_uint_invalid)
{
	struct tu_report	r = { "", 0 };
	char			err[256];
	unsigned int		v;
	size_t			i;

	for (i = 0; i < NELEM(uints_bad); i++) {
		v = 424242;
		err[0] = '\0';
		if (parse_uint(uints_bad[i].in, uints_bad[i].min,
		    uints_bad[i].max, &v, err, sizeof(err)) != -1)
			tu_report(&r, "'%s' (%u to %u) accepted as %u",
			    uints_bad[i].in, uints_bad[i].min,
			    uints_bad[i].max, v);
		else if (strcmp(err, uints_bad[i].err) != 0)
			tu_report(&r, "'%s': error \"%s\", not \"%s\"",
			    uints_bad[i].in, err, uints_bad[i].err);
		else if (v != 424242)
			tu_report(&r, "'%s': value changed to %u on error",
			    uints_bad[i].in, v);
	}
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_util_errlist_add_free)
{
	struct errlist	errs = { 0 };
	char		big[3000];

	errlist_add(&errs, "first");
	errlist_add(&errs, "%s:%d: %s", "file", 7, "second");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errlist_add(&errs, "%s", big);
	ck_assert_uint_eq(errs.n, 3);
	ck_assert_ptr_nonnull(errs.msg);
	ck_assert_str_eq(errs.msg[0], "first");
	ck_assert_str_eq(errs.msg[1], "file:7: second");
	ck_assert_uint_eq(strlen(errs.msg[2]), sizeof(big) - 1);
	ck_assert_str_eq(errs.msg[2], big);
	errlist_free(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_null(errs.msg);

	/* usable again after errlist_free */
	errlist_add(&errs, "%d%%", 100);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "100%");
	errlist_free(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_null(errs.msg);
}
END_TEST

START_TEST(test_util_errlist_empty_and_null)
{
	struct errlist	errs = { 0 };

	errlist_free(&errs);		/* empty: nothing to free */
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_null(errs.msg);
	errlist_add(NULL, "ignored %d", 1);	/* no list: ignored */
}
END_TEST

START_TEST(test_util_errlist_many)
{
	struct errlist	errs = { 0 };
	char		want[32];
	size_t		i;

	for (i = 0; i < 1000; i++)
		errlist_add(&errs, "error %zu", i);
	ck_assert_uint_eq(errs.n, 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "error %zu", i);
		ck_assert_str_eq(errs.msg[i], want);
	}
	errlist_free(&errs);
	ck_assert_uint_eq(errs.n, 0);
}
END_TEST

static const struct {
	int		 signo;
	const char	*name;
} signames[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" },
	{ SIGUSR2, "SIGUSR2" }, { SIGPIPE, "SIGPIPE" },
	{ SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" },
	{ SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" },
	{ SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" }, { SIGURG, "SIGURG" },
	{ SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" }, { SIGIO, "SIGIO" }, { SIGPWR, "SIGPWR" },
	{ SIGSYS, "SIGSYS" },
};

START_TEST(test_util_signame_known)
{
	struct tu_report	r = { "", 0 };
	size_t			i;

	for (i = 0; i < NELEM(signames); i++)
		if (strcmp(signame(signames[i].signo), signames[i].name) != 0)
			tu_report(&r, "signal %d: '%s', not '%s'",
			    signames[i].signo, signame(signames[i].signo),
			    signames[i].name);
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_util_signame_unknown)
{
	ck_assert_str_eq(signame(0), "unknown signal");
	ck_assert_str_eq(signame(-1), "unknown signal");
	ck_assert_str_eq(signame(INT_MIN), "unknown signal");
	ck_assert_str_eq(signame(INT_MAX), "unknown signal");
	ck_assert_str_eq(signame(SIGRTMIN), "unknown signal");
	ck_assert_str_eq(signame(SIGRTMAX), "unknown signal");
	ck_assert_str_eq(signame(1000), "unknown signal");
}
END_TEST

START_TEST(test_util_now_ms_monotonic)
{
	struct timespec	ts = { 0, 20 * 1000 * 1000 };
	int64_t		t0, t1, t2;

	t0 = now_ms();
	ck_assert_int_ge(t0, 0);
	t1 = now_ms();
	ck_assert_int_ge(t1, t0);
	while (nanosleep(&ts, &ts) == -1)
		;
	t2 = now_ms();
	ck_assert_int_ge(t2 - t1, 20);
	ck_assert_int_lt(t2 - t1, 5000);
}
END_TEST

/* escape_bytes: what passes, what is escaped, and whole escapes only. */
START_TEST(test_util_escape)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} cases[] = {
		{ "plain text ~", 12, "plain text ~" },
		{ "", 0, "" },
		{ "a\nb", 3, "a\\x0ab" },
		{ "\033[2J", 4, "\\x1b[2J" },
		{ "back\\slash", 10, "back\\x5cslash" },
		{ "nul\0x", 5, "nul\\x00x" },
		{ "\x7f\x80\xff", 3, "\\x7f\\x80\\xff" },
		{ "tab\there", 8, "tab\\x09here" },
	};
	struct tu_report	r = { "", 0 };
	char			buf[64];
	size_t			i, n;

	for (i = 0; i < NELEM(cases); i++) {
		memset(buf, 'X', sizeof(buf));
		n = escape_bytes(buf, sizeof(buf), cases[i].in, cases[i].len);
		if (n != cases[i].len || strcmp(buf, cases[i].out) != 0)
			tu_report(&r, "case %zu: '%s' (%zu), not '%s'", i, buf,
			    n, cases[i].out);
	}
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_util_escape_short)
{
	char	buf[8];

	/* "ab" and one escape take 6 + 1: the next escape does not fit */
	ck_assert_uint_eq(escape_bytes(buf, sizeof(buf), "ab\n\nc", 5), 3);
	ck_assert_str_eq(buf, "ab\\x0a");
	ck_assert_uint_eq(escape_bytes(buf, sizeof(buf), "abcdefghij", 10),
	    7);
	ck_assert_str_eq(buf, "abcdefg");
	ck_assert_uint_eq(escape_bytes(buf, 4, "\n", 1), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(escape_bytes(buf, 5, "\n", 1), 1);
	ck_assert_str_eq(buf, "\\x0a");
	ck_assert_uint_eq(escape_bytes(buf, 1, "abc", 3), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc;

	tc = tcase_create("duration");
	tcase_add_test(tc, test_util_duration_valid);
	tcase_add_test(tc, test_util_duration_invalid);
	tcase_add_test(tc, test_util_duration_short_errbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("uint");
	tcase_add_test(tc, test_util_uint_valid);
	tcase_add_test(tc, test_util_uint_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("errlist");
	tcase_add_test(tc, test_util_errlist_add_free);
	tcase_add_test(tc, test_util_errlist_empty_and_null);
	tcase_add_test(tc, test_util_errlist_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("signame");
	tcase_add_test(tc, test_util_signame_known);
	tcase_add_test(tc, test_util_signame_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_test(tc, test_util_escape);
	tcase_add_test(tc, test_util_escape_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock");
	tcase_add_test(tc, test_util_now_ms_monotonic);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(util_suite());
}
