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
 * check_listenaddr.c: unit tests of listen.c's addresses: parsing
 * `listen` values into socket addresses, and back to text (laddr_format)
 * or to a host and port (laddr_ip).  No socket is opened: that is
 * check_listen.c.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

static Suite	*listenaddr_suite(void);
static const char *check_spec_ok(size_t i, char *why, size_t len);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Valid specs: family, length, canonical text, port. */
static const struct {
	const char	*spec;
	int		 family;
	const char	*text;
	unsigned int	 port;
} specs_ok[] = {
	{ "127.0.0.1:9090", AF_INET, "127.0.0.1:9090", 9090 },
	{ "0.0.0.0:80", AF_INET, "0.0.0.0:80", 80 },
	{ "10.1.2.3:0", AF_INET, "10.1.2.3:0", 0 },
	{ "255.255.255.255:65535", AF_INET, "255.255.255.255:65535", 65535 },
	{ "127.0.0.1:00080", AF_INET, "127.0.0.1:80", 80 },
	{ "[::1]:9090", AF_INET6, "[::1]:9090", 9090 },
	{ "[::]:1", AF_INET6, "[::]:1", 1 },
	{ "[0:0:0:0:0:0:0:1]:443", AF_INET6, "[::1]:443", 443 },
	{ "[2001:DB8::A]:65535", AF_INET6, "[2001:db8::a]:65535", 65535 },
	{ "[::ffff:192.0.2.1]:25", AF_INET6, "[::ffff:192.0.2.1]:25", 25 },
	{ "[fe80::1]:0", AF_INET6, "[fe80::1]:0", 0 },
};

/* One valid spec: NULL if it parses as expected, else what is wrong. */
static const char *
check_spec_ok(size_t i, char *why, size_t len)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	struct laddr			 a[2];
	char				 err[256] = "";
	size_t				 n = 99;
	unsigned int			 port;

	if (listen_parse(specs_ok[i].spec, a, &n, err, sizeof(err)) != 0) {
		snprintf(why, len, "refused: %s", err);
		return why;
	}
	if (specs_ok[i].family == AF_INET) {
		sin = (const void *)&a[0].ss;
		port = ntohs(sin->sin_port);
		if (a[0].len != sizeof(*sin))
			return "wrong length";
	} else {
		sin6 = (const void *)&a[0].ss;
		port = ntohs(sin6->sin6_port);
		if (a[0].len != sizeof(*sin6))
			return "wrong length";
	}
	if (n != 1)
		return "not exactly one address";
	if (a[0].family != specs_ok[i].family ||
	    a[0].ss.ss_family != specs_ok[i].family)
		return "wrong family";
	if (strcmp(a[0].text, specs_ok[i].text) != 0) {
		snprintf(why, len, "text '%s', not '%s'", a[0].text,
		    specs_ok[i].text);
		return why;
	}
	if (port != specs_ok[i].port)
		return "wrong port";
	if (a[1].family != 0 || a[1].text[0] != '\0')
		return "second entry not zeroed";
	if (err[0] != '\0')
		return "err written";
	return NULL;
}

START_TEST(test_listen_parse_inet)
{
	struct tu_report	 r = { "", 0 };
	const char		*what;
	char			 why[256];
	size_t			 i;

	for (i = 0; i < NELEM(specs_ok); i++)
		if ((what = check_spec_ok(i, why, sizeof(why))) != NULL)
			tu_report(&r, "'%s': %s", specs_ok[i].spec, what);
	TU_REPORT_END(&r);
}
END_TEST

START_TEST(test_listen_parse_ipv4_bytes)
{
	const struct sockaddr_in	*sin;
	struct laddr			 a[2];
	char				 err[256];
	size_t				 n;

	ck_assert_int_eq(listen_parse("192.0.2.33:8080", a, &n, err,
	    sizeof(err)), 0);
	sin = (const void *)&a[0].ss;
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0xc0000221);
	ck_assert_uint_eq(sin->sin_port, htons(8080));
}
END_TEST

/* "*:PORT": two entries, every IPv4 address then every IPv6 address. */
START_TEST(test_listen_parse_wildcard)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	struct laddr			 a[2];
	char				 err[256];
	size_t				 n = 0;

	ck_assert_int_eq(listen_parse("*:8080", a, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(a[0].family, AF_INET);
	ck_assert_uint_eq(a[0].len, sizeof(*sin));
	ck_assert_str_eq(a[0].text, "0.0.0.0:8080");
	sin = (const void *)&a[0].ss;
	ck_assert_uint_eq(sin->sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_eq(sin->sin_port, htons(8080));
	ck_assert_int_eq(a[1].family, AF_INET6);
	ck_assert_uint_eq(a[1].len, sizeof(*sin6));
	ck_assert_str_eq(a[1].text, "[::]:8080");
	sin6 = (const void *)&a[1].ss;
	ck_assert_int_eq(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr), 1);
	ck_assert_uint_eq(sin6->sin6_port, htons(8080));

	ck_assert_int_eq(listen_parse("*:0", a, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(a[0].text, "0.0.0.0:0");
	ck_assert_str_eq(a[1].text, "[::]:0");
	ck_assert_int_eq(listen_parse("*:65535", a, &n, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(a[0].text, "0.0.0.0:65535");
	ck_assert_str_eq(a[1].text, "[::]:65535");
}
END_TEST

START_TEST(test_listen_parse_unix)
{
	const struct sockaddr_un	*sun;
	struct laddr			 a[2];
	char				 err[256], spec[256], path[200];
	size_t				 n = 0, maxpath;

	ck_assert_int_eq(listen_parse("unix:/run/x.sock", a, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(a[0].family, AF_UNIX);
	ck_assert_str_eq(a[0].text, "unix:/run/x.sock");
	sun = (const void *)&a[0].ss;
	ck_assert_int_eq(sun->sun_family, AF_UNIX);
	ck_assert_str_eq(sun->sun_path, "/run/x.sock");
	ck_assert_uint_eq(a[0].len, offsetof(struct sockaddr_un, sun_path) +
	    strlen("/run/x.sock") + 1);

	ck_assert_int_eq(listen_parse("unix:/", a, &n, err, sizeof(err)), 0);
	ck_assert_str_eq(a[0].text, "unix:/");

	/* the longest path that fits sun_path with its NUL */
	maxpath = sizeof(sun->sun_path) - 1;
	memset(path, 'p', maxpath);
	path[0] = '/';
	path[maxpath] = '\0';
	snprintf(spec, sizeof(spec), "unix:%s", path);
	ck_assert_msg(listen_parse(spec, a, &n, err, sizeof(err)) == 0,
	    "%zu-byte path refused: %s", maxpath, err);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(a[0].text, spec);
	ck_assert_str_eq(((const struct sockaddr_un *)(const void *)
	    &a[0].ss)->sun_path, path);
	ck_assert_uint_eq(a[0].len, offsetof(struct sockaddr_un, sun_path) +
	    maxpath + 1);
}
END_TEST

START_TEST(test_listen_parse_unix_invalid)
{
	struct laddr	a[2];
	char		err[256], spec[200], want[300];
	size_t		n = 7, maxpath;

	ck_assert_int_eq(listen_parse("unix:run/x.sock", a, &n, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "'unix:run/x.sock': the unix socket path must "
	    "be absolute");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(listen_parse("unix:", a, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "'unix:': the unix socket path must be "
	    "absolute");
	ck_assert_int_eq(listen_parse("unix:./x", a, &n, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "'unix:./x': the unix socket path must be "
	    "absolute");

	/* one byte too long for sun_path */
	maxpath = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1;
	snprintf(spec, sizeof(spec), "unix:/");
	memset(spec + 6, 'q', maxpath);
	spec[5 + maxpath + 1] = '\0';
	ck_assert_uint_eq(strlen(spec), 5 + maxpath + 1);
	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "'%s': the unix socket path is longer "
	    "than %zu bytes", spec, maxpath);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static const char *const specs_bad[] = {
	"",
	":",
	"80",
	":80",
	"*",
	"*:",
	"*:x",
	"127.0.0.1",
	"127.0.0.1:",
	"127.0.0.1:65536",
	"127.0.0.1:99999",
	"127.0.0.1:4294967376",		/* 65536 + 2^32 */
	"127.0.0.1:-1",
	"127.0.0.1:+80",
	"127.0.0.1: 80",
	"127.0.0.1:80 ",
	" 127.0.0.1:80",
	"127.0.0.1:0x50",
	"127.0.0.1:http",
	"127.1:80",
	"1.2.3:80",
	"1.2.3.4.5:80",
	"256.0.0.1:80",
	"localhost:80",
	"example.com:80",
	"::1:80",
	"[::1]",
	"[::1]:",
	"[::1]80",
	"[]:80",
	"[:80",
	"]:80",
	"[::1:80",
	"::1]:80",
	"[1.2.3.4]:80",
	"[::g]:80",
	"[::1]:65536",
	"**:80",
	"*.*:80",
	"[*]:80",
	"unix",
	"UNIX:/x",
	"garbage",
	"127.0.0.1:80:80",
	"1111111111111111111111111111111111111111111111111111111111:80",
};

START_TEST(test_listen_parse_invalid)
{
	struct tu_report	r = { "", 0 };
	struct laddr		a[2];
	char			err[256], want[512];
	size_t			i, n;

	for (i = 0; i < NELEM(specs_bad); i++) {
		n = 7;
		err[0] = '\0';
		snprintf(want, sizeof(want), BAD_ADDR("%s"), specs_bad[i]);
		if (listen_parse(specs_bad[i], a, &n, err, sizeof(err)) != -1)
			tu_report(&r, "'%s' accepted as %s", specs_bad[i],
			    a[0].text);
		else if (n != 0)
			tu_report(&r, "'%s': n is %zu", specs_bad[i], n);
		else if (strcmp(err, want) != 0)
			tu_report(&r, "'%s': error \"%s\"", specs_bad[i], err);
	}
	TU_REPORT_END(&r);
}
END_TEST

/* laddr_format gives back the canonical text of every parsed address. */
START_TEST(test_listen_format_round_trip)
{
	static const char *const texts[] = {
		"127.0.0.1:9090", "0.0.0.0:0", "255.255.255.255:65535",
		"[::1]:9090", "[::]:0", "[2001:db8::1:0:0:1]:65535",
		"[::ffff:10.0.0.1]:1", "unix:/run/x.sock", "unix:/",
	};
	struct laddr	a[2], b[2];
	char		buf[LADDR_TEXTLEN], err[256];
	size_t		i, n, m;

	for (i = 0; i < NELEM(texts); i++) {
		ck_assert_msg(listen_parse(texts[i], a, &n, err,
		    sizeof(err)) == 0, "'%s': %s", texts[i], err);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(a[0].text, texts[i]);
		laddr_format((struct sockaddr *)&a[0].ss, a[0].len, buf,
		    sizeof(buf));
		ck_assert_str_eq(buf, texts[i]);
		ck_assert_int_eq(listen_parse(buf, b, &m, err, sizeof(err)),
		    0);
		ck_assert_uint_eq(m, 1);
		ck_assert_uint_eq(b[0].len, a[0].len);
		ck_assert_int_eq(memcmp(&b[0].ss, &a[0].ss, a[0].len), 0);
	}
	ck_assert_int_eq(listen_parse("*:53", a, &n, err, sizeof(err)), 0);
	for (i = 0; i < n; i++) {
		laddr_format((struct sockaddr *)&a[i].ss, a[i].len, buf,
		    sizeof(buf));
		ck_assert_str_eq(buf, a[i].text);
	}
}
END_TEST

START_TEST(test_listen_format_odd)
{
	struct sockaddr_un	sun;
	struct sockaddr_storage	ss;
	struct sockaddr_in	sin;
	char			buf[LADDR_TEXTLEN], small[8];

	/* an unnamed unix socket (as getsockname may report one) */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	laddr_format((struct sockaddr *)&sun, offsetof(struct sockaddr_un,
	    sun_path), buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix");
	laddr_format((struct sockaddr *)&sun, sizeof(sun), buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix");

	/* a path without its NUL in len */
	memcpy(sun.sun_path, "/a/b", 4);
	laddr_format((struct sockaddr *)&sun, offsetof(struct sockaddr_un,
	    sun_path) + 4, buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix:/a/b");
	laddr_format((struct sockaddr *)&sun, offsetof(struct sockaddr_un,
	    sun_path) + 2, buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix:/a");

	/* another family */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_PACKET;
	laddr_format((struct sockaddr *)&ss, sizeof(ss), buf, sizeof(buf));
	snprintf(small, sizeof(small), "%d", AF_PACKET);
	ck_assert_str_eq(buf + strlen("family "), small);
	ck_assert_int_eq(strncmp(buf, "family ", 7), 0);

	/* a short buffer: truncated, terminated */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(9090);
	memset(small, 'X', sizeof(small));
	laddr_format((struct sockaddr *)&sin, sizeof(sin), small,
	    sizeof(small));
	ck_assert_str_eq(small, "127.0.0");
}
END_TEST

/* laddr_ip: the host without brackets and the port, IPv4 and IPv6 only. */
START_TEST(test_listen_ip)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	struct sockaddr_un	sun;
	char			host[INET6_ADDRSTRLEN], small[4];
	unsigned int		port = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(9090);
	ck_assert_int_eq(laddr_ip((struct sockaddr *)&sin, sizeof(sin), host,
	    sizeof(host), &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 9090);
	ck_assert_int_eq(laddr_ip((struct sockaddr *)&sin, sizeof(sin) - 1,
	    host, sizeof(host), &port), -1);
	ck_assert_int_eq(laddr_ip((struct sockaddr *)&sin, sizeof(sin), small,
	    sizeof(small), &port), -1);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons(65535);
	ck_assert_int_eq(laddr_ip((struct sockaddr *)&sin6, sizeof(sin6),
	    host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 65535);
	ck_assert_int_eq(laddr_ip((struct sockaddr *)&sin6, sizeof(sin), host,
	    sizeof(host), &port), -1);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(laddr_ip((struct sockaddr *)&sun, sizeof(sun), host,
	    sizeof(host), &port), -1);
}
END_TEST

static Suite *
listenaddr_suite(void)
{
	Suite	*s = suite_create("listenaddr");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_listen_parse_inet);
	tcase_add_test(tc, test_listen_parse_ipv4_bytes);
	tcase_add_test(tc, test_listen_parse_wildcard);
	tcase_add_test(tc, test_listen_parse_unix);
	tcase_add_test(tc, test_listen_parse_unix_invalid);
	tcase_add_test(tc, test_listen_parse_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_listen_format_round_trip);
	tcase_add_test(tc, test_listen_format_odd);
	tcase_add_test(tc, test_listen_ip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(listenaddr_suite());
}
