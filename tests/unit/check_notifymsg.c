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
 * check_notifymsg: notifymsg.c.  sd_notify datagrams as a program, maybe
 * a hostile one, sends them: the well-known assignments, the values
 * that do not count, malformed lines, CRLF, control bytes in STATUS=,
 * numbers out of range, and the datagrams refused whole (empty, a NUL
 * byte, too long); and the LISTEN_FDNAMES value built from listener
 * texts, checked against systemd's own rule for a name.
 */

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static Suite	*notifymsg_suite(void);
static int	 fdname_valid(const char *s, size_t len);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* What a datagram must parse to (unset fields: 0). */
struct expect {
	int		 ready, reloading, stopping, watchdog;
	const char	*status;	/* NULL: no STATUS= */
	pid_t		 mainpid;	/* 0: none */
	int		 errnum;	/* -1: none */
	unsigned int	 unknown;
};

static const struct {
	const char	*in;
	struct expect	 want;
} parse_cases[] = {
	/* the well-known assignments */
	{ "READY=1", { .ready = 1, .errnum = -1 } },
	{ "READY=1\n", { .ready = 1, .errnum = -1 } },
	{ "RELOADING=1\n", { .reloading = 1, .errnum = -1 } },
	{ "STOPPING=1", { .stopping = 1, .errnum = -1 } },
	{ "WATCHDOG=1", { .watchdog = 1, .errnum = -1 } },
	{ "READY=1\nSTATUS=Serving 4 clients\nMAINPID=4242\n",
	    { .ready = 1, .status = "Serving 4 clients", .mainpid = 4242,
	    .errnum = -1 } },
	{ "STATUS=failed\nERRNO=2\n", { .status = "failed", .errnum = 2 } },
	{ "RELOADING=1\nSTOPPING=1\nWATCHDOG=1\nREADY=1",
	    { 1, 1, 1, 1, NULL, 0, -1, 0 } },
	/* flags count with "1" only, and are never lowered */
	{ "READY=0", { .errnum = -1, .unknown = 1 } },
	{ "READY=1\nREADY=1", { .ready = 1, .errnum = -1 } },
	{ "READY=1\nREADY=0\n", { .ready = 1, .errnum = -1, .unknown = 1 } },
	{ "READY=10", { .errnum = -1, .unknown = 1 } },
	{ "READY= 1", { .errnum = -1, .unknown = 1 } },
	{ "READY=1 ", { .errnum = -1, .unknown = 1 } },
	{ "READY=", { .errnum = -1, .unknown = 1 } },
	{ "READY=1=1", { .errnum = -1, .unknown = 1 } },
	{ "READY=true", { .errnum = -1, .unknown = 1 } },
	{ "WATCHDOG=trigger", { .errnum = -1, .unknown = 1 } },
	/* keys: A-Z, 0-9 and '_' only */
	{ "ready=1", { .errnum = -1, .unknown = 1 } },
	{ "READY =1", { .errnum = -1, .unknown = 1 } },
	{ " READY=1", { .errnum = -1, .unknown = 1 } },
	{ "RE-ADY=1", { .errnum = -1, .unknown = 1 } },
	{ "R\xc3\x89" "ADY=1", { .errnum = -1, .unknown = 1 } },
	{ "=1", { .errnum = -1, .unknown = 1 } },
	{ "READY1=1\nREADY_=1\nXREADY=1",
	    { .errnum = -1, .unknown = 3 } },
	{ "FDSTORE=1\nX_CUSTOM_9=y\nREADY=1\nEXTEND_TIMEOUT_USEC=5000000",
	    { .ready = 1, .errnum = -1, .unknown = 3 } },
	/* malformed lines, empty lines, CRLF, CR */
	{ "no equals sign here", { .errnum = -1, .unknown = 1 } },
	{ "READY\nREADY=1", { .ready = 1, .errnum = -1, .unknown = 1 } },
	{ "\n", { .errnum = -1 } },
	{ "\n\n\r\n\r", { .errnum = -1 } },
	{ "\nREADY=1\n\n", { .ready = 1, .errnum = -1 } },
	{ "READY=1\r\nSTATUS=crlf\r\n", { .ready = 1, .status = "crlf",
	    .errnum = -1 } },
	{ "STATUS=a\rREADY=1", { .ready = 1, .status = "a", .errnum = -1 } },
	{ "STATUS=one\r\n\r\nMAINPID=7\r",
	    { .status = "one", .mainpid = 7, .errnum = -1 } },
	/* STATUS=: escaped, the later one wins */
	{ "STATUS=", { .status = "", .errnum = -1 } },
	{ "STATUS=a=b=c", { .status = "a=b=c", .errnum = -1 } },
	{ "STATUS=first\nSTATUS=second", { .status = "second",
	    .errnum = -1 } },
	{ "STATUS=\x1b[31mred\x1b[0m\x07",
	    { .status = "\\x1b[31mred\\x1b[0m\\x07", .errnum = -1 } },
	{ "STATUS=tab\there", { .status = "tab\\x09here", .errnum = -1 } },
	{ "STATUS=C:\\dir", { .status = "C:\\x5cdir", .errnum = -1 } },
	{ "STATUS=\\x41", { .status = "\\x5cx41", .errnum = -1 } },
	{ "STATUS=caf\xc3\xa9 \x7f\xff",
	    { .status = "caf\\xc3\\xa9 \\x7f\\xff", .errnum = -1 } },
	/* MAINPID=: 1 to INT_MAX, digits only; a bad one changes nothing */
	{ "MAINPID=1", { .mainpid = 1, .errnum = -1 } },
	{ "MAINPID=2147483647", { .mainpid = 2147483647, .errnum = -1 } },
	{ "MAINPID=0", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=-1", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=+5", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID= 5", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=5 ", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=12abc", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=0x10", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=2147483648", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=4294967297", { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=99999999999999999999999999999999",
	    { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=00000000000000000000000000000042",
	    { .errnum = -1, .unknown = 1 } },
	{ "MAINPID=0042", { .mainpid = 42, .errnum = -1 } },
	{ "MAINPID=5\nMAINPID=6", { .mainpid = 6, .errnum = -1 } },
	{ "MAINPID=5\nMAINPID=0", { .mainpid = 5, .errnum = -1,
	    .unknown = 1 } },
	{ "MAINPID=5\nMAINPID=junk", { .mainpid = 5, .errnum = -1,
	    .unknown = 1 } },
	/* ERRNO=: 0 to 4095, digits only */
	{ "ERRNO=0", { .errnum = 0 } },
	{ "ERRNO=4095", { .errnum = 4095 } },
	{ "ERRNO=4096", { .errnum = -1, .unknown = 1 } },
	{ "ERRNO=-2", { .errnum = -1, .unknown = 1 } },
	{ "ERRNO=ENOENT", { .errnum = -1, .unknown = 1 } },
	{ "ERRNO=5\nERRNO=13", { .errnum = 13 } },
	{ "ERRNO=5\nERRNO=x", { .errnum = 5, .unknown = 1 } },
};

/* One datagram of parse_cases against its expectation: "" or why not. */
static const char *
parse_mismatch(const struct notify_msg *m, const struct expect *w)
{
	if (m->ready != w->ready || m->reloading != w->reloading ||
	    m->stopping != w->stopping || m->watchdog != w->watchdog)
		return "flags";
	if (m->has_status != (w->status != NULL) ||
	    (w->status != NULL && strcmp(m->status, w->status) != 0))
		return "status";
	if (m->has_mainpid != (w->mainpid != 0) || m->mainpid != w->mainpid)
		return "mainpid";
	if (m->has_errno != (w->errnum != -1) ||
	    (w->errnum != -1 && m->errnum != w->errnum))
		return "errno";
	if (m->unknown != w->unknown)
		return "unknown";
	return "";
}

START_TEST(test_notify_parse_table)
{
	struct tu_report	r = { "", 0 };
	struct notify_msg	m;
	char			err[256], shown[512];
	const char		*why;
	size_t			i;

	for (i = 0; i < NELEM(parse_cases); i++) {
		escape_bytes(shown, sizeof(shown), parse_cases[i].in,
		    strlen(parse_cases[i].in));
		err[0] = '\0';
		if (notify_parse(parse_cases[i].in, strlen(parse_cases[i].in),
		    &m, err, sizeof(err)) != 0) {
			tu_report(&r, "'%s': refused: %s", shown, err);
			continue;
		}
		why = parse_mismatch(&m, &parse_cases[i].want);
		if (*why != '\0')
			tu_report(&r, "'%s': %s differs (status '%s', mainpid "
			    "%d, errno %d, unknown %u)", shown, why, m.status,
			    (int)m.mainpid, m.errnum, m.unknown);
	}
	TU_REPORT_END(&r);
}
END_TEST

/* Refused whole: empty, a NUL byte anywhere, more than NOTIFY_MSG_MAX. */
START_TEST(test_notify_parse_refused)
{
	static const char	nul_mid[] = "READY=1\0STATUS=x";
	static const char	nul_end[] = "READY=1\n";
	struct notify_msg	m;
	char			*big, err[256];

	memset(&m, 0xff, sizeof(m));
	ck_assert_int_eq(notify_parse("", 0, &m, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "empty notification refused");
	ck_assert_int_eq(m.ready, 0);
	ck_assert_uint_eq(m.unknown, 0);

	memset(&m, 0xff, sizeof(m));
	ck_assert_int_eq(notify_parse(nul_mid, sizeof(nul_mid) - 1, &m, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "notification with a NUL byte (at offset 7) "
	    "refused");
	ck_assert_int_eq(m.ready, 0);
	ck_assert_int_eq(m.has_status, 0);
	/* the NUL a C string ends with, sent along */
	ck_assert_int_eq(notify_parse(nul_end, sizeof(nul_end), &m, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(notify_parse("\0", 1, &m, err, sizeof(err)), -1);

	big = malloc(NOTIFY_MSG_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', NOTIFY_MSG_MAX + 1);
	memcpy(big, "READY=1", 7);
	ck_assert_int_eq(notify_parse(big, NOTIFY_MSG_MAX + 1, &m, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "notification of 4097 bytes refused (at most "
	    "4096)");
	ck_assert_int_eq(m.ready, 0);
	/* exactly NOTIFY_MSG_MAX: taken */
	ck_assert_int_eq(notify_parse(big, NOTIFY_MSG_MAX, &m, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(m.ready, 1);
	free(big);

	/* a datagram truncated by recv(MSG_TRUNC): its length alone is
	   enough, the bytes past NOTIFY_MSG_MAX are not read */
	ck_assert_int_eq(notify_parse("READY=1", SIZE_MAX, &m, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(m.ready, 0);

	/* no room for the reason: still refused */
	ck_assert_int_eq(notify_parse("", 0, &m, NULL, 0), -1);
	ck_assert_int_eq(notify_parse("", 0, &m, err, 5), -1);
	ck_assert_str_eq(err, "empt");
}
END_TEST

/* A STATUS= too long is cut at a whole escape and ends with "...". */
START_TEST(test_notify_parse_status_long)
{
	struct notify_msg	m;
	char			in[NOTIFY_MSG_MAX], want[NOTIFY_STATUS_MAX];
	char			err[256];
	size_t			len, i;

	/* plain text: NOTIFY_STATUS_MAX - 4 bytes of it, then "..." */
	len = strlcpy(in, "STATUS=", sizeof(in));
	memset(in + len, 'a', 500);
	len += 500;
	ck_assert_int_eq(notify_parse(in, len, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.has_status, 1);
	ck_assert_uint_eq(strlen(m.status), NOTIFY_STATUS_MAX - 1);
	memset(want, 'a', NOTIFY_STATUS_MAX - 4);
	strlcpy(want + NOTIFY_STATUS_MAX - 4, "...", 4);
	ck_assert_str_eq(m.status, want);

	/* exactly what fits: not cut */
	len = 7 + NOTIFY_STATUS_MAX - 1;
	ck_assert_int_eq(notify_parse(in, len, &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(m.status), NOTIFY_STATUS_MAX - 1);
	ck_assert_ptr_null(strstr(m.status, "..."));
	len++;
	ck_assert_int_eq(notify_parse(in, len, &m, err, sizeof(err)), 0);
	ck_assert_str_eq(m.status + NOTIFY_STATUS_MAX - 4, "...");

	/* control bytes only: whole escapes, never half of one */
	len = strlcpy(in, "STATUS=", sizeof(in));
	memset(in + len, '\x1b', 100);
	len += 100;
	ck_assert_int_eq(notify_parse(in, len, &m, err, sizeof(err)), 0);
	len = strlen(m.status);
	ck_assert_uint_le(len, NOTIFY_STATUS_MAX - 1);
	ck_assert_str_eq(m.status + len - 3, "...");
	ck_assert_uint_eq((len - 3) % 4, 0);
	for (i = 0; i < len - 3; i += 4)
		ck_assert_int_eq(strncmp(m.status + i, "\\x1b", 4), 0);
}
END_TEST

/* The most lines a datagram holds, all malformed: counted, no more. */
START_TEST(test_notify_parse_many_lines)
{
	struct notify_msg	m;
	char			in[NOTIFY_MSG_MAX], err[256];
	size_t			i;

	for (i = 0; i < sizeof(in); i += 2) {
		in[i] = 'x';
		in[i + 1] = '\n';
	}
	ck_assert_int_eq(notify_parse(in, sizeof(in), &m, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(m.unknown, NOTIFY_MSG_MAX / 2);

	/* the last line wins, even after thousands of others */
	for (i = 0; i + 10 < sizeof(in); i += 10)
		memcpy(in + i, "MAINPID=9\n", 10);
	memcpy(in + i - 10, "MAINPID=8\n", 10);
	ck_assert_int_eq(notify_parse(in, i, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.has_mainpid, 1);
	ck_assert_int_eq(m.mainpid, 8);
	ck_assert_uint_eq(m.unknown, 0);
}
END_TEST

/* systemd's fdname_is_valid(): printable ASCII, no ':', 255 at most. */
static int
fdname_valid(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (s[i] < ' ' || s[i] >= 127 || s[i] == ':')
			return 0;
	return len <= NOTIFY_FDNAME_MAX;
}

START_TEST(test_notify_fdnames)
{
	static char *const	specs[] = {
		"127.0.0.1:9090", "[::1]:80", "*:80", "unix:/run/x.sock",
		"unix:@abstract",
	};
	static char *const	odd[] = {
		"a b", "", "tab\there", "\x7f\x80\xff", "\\", "x",
	};
	char	out[1024], err[256], *names[2], big[400];
	char	*p, *next;
	size_t	n;

	ck_assert_int_eq(notify_fdnames(specs, NELEM(specs), out,
	    sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "127.0.0.1_9090:[__1]_80:*_80:"
	    "unix_/run/x.sock:unix_@abstract");
	ck_assert_int_eq(notify_fdnames(odd, NELEM(odd), out, sizeof(out),
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out, "a b::tab_here:___:\\:x");
	ck_assert_int_eq(notify_fdnames(specs, 0, out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "");

	/* a name longer than systemd takes is cut */
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = ':';
	names[0] = big;
	names[1] = specs[0];
	ck_assert_int_eq(notify_fdnames(names, 2, out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(strlen(out), NOTIFY_FDNAME_MAX + 1 +
	    strlen("127.0.0.1_9090"));
	for (p = out, n = 0; p != NULL; p = next, n++) {
		next = strchr(p, ':');
		ck_assert(fdname_valid(p, next != NULL ? (size_t)(next - p) :
		    strlen(p)));
		if (next != NULL)
			next++;
	}
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(out[10], '_');
}
END_TEST

/* -1 when it does not fit, with out left empty; an exact fit is fine. */
START_TEST(test_notify_fdnames_small)
{
	static char *const	specs[] = { "127.0.0.1:9090", "[::1]:80" };
	const char		*want = "127.0.0.1_9090:[__1]_80";
	char			out[64], err[256], msg[256];
	size_t			len = strlen(want), i;

	ck_assert_int_eq(notify_fdnames(specs, 2, out, len + 1, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, want);
	for (i = 0; i <= len; i++) {
		memset(out, 'X', sizeof(out));
		err[0] = '\0';
		ck_assert_int_eq(notify_fdnames(specs, 2, out, i, err,
		    sizeof(err)), -1);
		if (i > 0)
			ck_assert_str_eq(out, "");
		ck_assert_int_eq(out[i], 'X');
		snprintf(msg, sizeof(msg), "the names of 2 sockets do not "
		    "fit in %zu bytes", i);
		ck_assert_str_eq(err, msg);
	}
	ck_assert_int_eq(notify_fdnames(specs, 0, out, 0, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(notify_fdnames(specs, 0, out, 1, err, sizeof(err)),
	    0);
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *
notifymsg_suite(void)
{
	Suite	*s = suite_create("notifymsg");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_notify_parse_table);
	tcase_add_test(tc, test_notify_parse_refused);
	tcase_add_test(tc, test_notify_parse_status_long);
	tcase_add_test(tc, test_notify_parse_many_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("fdnames");
	tcase_add_test(tc, test_notify_fdnames);
	tcase_add_test(tc, test_notify_fdnames_small);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(notifymsg_suite());
}
