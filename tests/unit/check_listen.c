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
 * check_listen.c: unit tests of listen.c: parsing `listen` values into
 * socket addresses and back to text, and opening, binding and closing
 * real listening sockets (loopback TCP and unix sockets in a scratch
 * directory).
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

static Suite	*listen_suite(void);
static int	 unix_socket_at(const char *path, int do_listen);
static void	 unix_paths(const char *name, char *path, char *spec);
static void	 assert_listening(int fd);
static void	 assert_tcp_options(int fd);
static const char *check_spec_ok(size_t i, char *why, size_t len);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define SPECLEN		(PATH_MAX + 8)

/* tmpdir/name into path (PATH_MAX) and "unix:" + that into spec. */
static void
unix_paths(const char *name, char *path, char *spec)
{
	tu_path(path, PATH_MAX, tmpdir, name);
	ck_assert_int_lt(snprintf(spec, SPECLEN, "unix:%s", path), SPECLEN);
}

/* A unix socket bound at path (listening or not); returns its fd. */
static int
unix_socket_at(const char *path, int do_listen)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlcpy(sun.sun_path, path, sizeof(sun.sun_path)),
	    sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "bind %s: %s", path, strerror(errno));
	if (do_listen)
		ck_assert_int_eq(listen(fd, 5), 0);
	return fd;
}

/* fd is a listening, blocking, close-on-exec stream socket. */
static void
assert_listening(int fd)
{
	socklen_t	len;
	int		v, flags;

	ck_assert_int_ge(fd, 0);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len),
	    0);
	ck_assert_int_ne(v, 0);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	ck_assert_int_eq(v, SOCK_STREAM);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	flags = fcntl(fd, F_GETFL);
	ck_assert_int_ne(flags, -1);
	ck_assert_int_eq(flags & O_NONBLOCK, 0);
}

/* TCP listeners get SO_REUSEADDR and TCP_NODELAY (inherited by accepted
   sockets). */
static void
assert_tcp_options(int fd)
{
	socklen_t	len;
	int		v;

	len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len),
	    0);
	ck_assert_int_ne(v, 0);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len),
	    0);
	ck_assert_int_ne(v, 0);
}

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

START_TEST(test_listen_open_inet_port0)
{
	struct listener		 l;
	struct laddr		 a[2];
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 err[256] = "", want[64];
	size_t			 n;
	int			 c;

	ck_assert_int_eq(listen_parse("127.0.0.1:0", a, &n, err, sizeof(err)),
	    0);
	ck_assert_msg(listen_open_priv(&l, &a[0], 16, 0666, err,
	    sizeof(err)) == 0, "listen_open_priv: %s", err);
	assert_listening(l.fd);
	ck_assert_str_eq(l.addr.text, "127.0.0.1:0");
	ck_assert_int_eq(getsockname(l.fd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_uint_ne(ntohs(sin.sin_port), 0);
	snprintf(want, sizeof(want), "127.0.0.1:%u", ntohs(sin.sin_port));
	ck_assert_str_eq(l.bound, want);
	ck_assert_uint_eq(l.unix_ino, 0);
	assert_tcp_options(l.fd);

	/* it accepts connections */
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, len), 0);
	close(c);

	listen_close(&l, 1);
	ck_assert_int_eq(l.fd, -1);
}
END_TEST

START_TEST(test_listen_open_inet6_port0)
{
	struct listener		l;
	struct laddr		a[2];
	char			err[256] = "", want[64];
	struct sockaddr_in6	sin6;
	socklen_t		len = sizeof(sin6);
	size_t			n;
	int			probe, v;

	probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe == -1) {
		fprintf(stderr, "SKIP %s: no IPv6: %s\n", __func__,
		    strerror(errno));
		return;
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(probe, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		fprintf(stderr, "SKIP %s: no [::1]: %s\n", __func__,
		    strerror(errno));
		close(probe);
		return;
	}
	close(probe);

	ck_assert_int_eq(listen_parse("[::1]:0", a, &n, err, sizeof(err)),
	    0);
	ck_assert_msg(listen_open_priv(&l, &a[0], 16, 0666, err,
	    sizeof(err)) == 0, "listen_open_priv: %s", err);
	assert_listening(l.fd);
	ck_assert_int_eq(getsockname(l.fd, (struct sockaddr *)&sin6, &len),
	    0);
	ck_assert_uint_ne(ntohs(sin6.sin6_port), 0);
	snprintf(want, sizeof(want), "[::1]:%u", ntohs(sin6.sin6_port));
	ck_assert_str_eq(l.bound, want);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(l.fd, IPPROTO_IPV6, IPV6_V6ONLY, &v,
	    &len), 0);
	ck_assert_int_eq(v, 1);
	assert_tcp_options(l.fd);
	listen_close(&l, 1);
	ck_assert_int_eq(l.fd, -1);
}
END_TEST

/* Two listeners on one port: SO_REUSEADDR does not allow that. */
START_TEST(test_listen_open_inet_in_use)
{
	struct listener	l1, l2;
	struct laddr	a[2];
	char		err[256] = "", want[300];
	size_t		n;

	ck_assert_int_eq(listen_parse("127.0.0.1:0", a, &n, err, sizeof(err)),
	    0);
	ck_assert_int_eq(listen_open_priv(&l1, &a[0], 16, 0666, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(listen_parse(l1.bound, a, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(listen_open_priv(&l2, &a[0], 16, 0666, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "bind %s: %s", l1.bound,
	    strerror(EADDRINUSE));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(l2.fd, -1);
	listen_close(&l1, 1);
}
END_TEST

/* A unix socket gets exactly unix_mode, and the umask is restored. */
START_TEST(test_listen_open_unix_mode)
{
	static const mode_t	 modes[] = { 0666, 0660, 0600, 0640, 0777,
				    0700, 0 };
	struct listener		 l;
	struct laddr		 a[2];
	struct stat		 st;
	char			 spec[SPECLEN], path[PATH_MAX], name[32];
	char			 err[256] = "";
	size_t			 i, n;
	mode_t			 old;

	old = umask(022);
	for (i = 0; i < NELEM(modes); i++) {
		snprintf(name, sizeof(name), "m%zu.sock", i);
		unix_paths(name, path, spec);
		ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)),
		    0);
		ck_assert_msg(listen_open_priv(&l, &a[0], 8, modes[i], err,
		    sizeof(err)) == 0, "listen_open_priv: %s", err);
		assert_listening(l.fd);
		ck_assert_str_eq(l.bound, spec);
		ck_assert_int_eq(lstat(path, &st), 0);
		ck_assert(S_ISSOCK(st.st_mode));
		ck_assert_msg((st.st_mode & 07777) == modes[i],
		    "mode %04o, not %04o", (unsigned)(st.st_mode & 07777),
		    (unsigned)modes[i]);
		ck_assert_uint_eq(l.unix_ino, st.st_ino);
		ck_assert_uint_eq(l.unix_dev, st.st_dev);
		ck_assert_uint_eq(umask(022), 022);
		listen_close(&l, 1);
		ck_assert_int_eq(l.fd, -1);
		ck_assert_int_eq(lstat(path, &st), -1);
		ck_assert_int_eq(errno, ENOENT);
	}
	umask(old);
}
END_TEST

/* A socket file nobody listens on is replaced. */
START_TEST(test_listen_open_unix_stale)
{
	struct listener	l;
	struct laddr	a[2];
	struct stat	st;
	char		spec[SPECLEN], path[PATH_MAX], err[256] = "";
	size_t		n;
	int		fd, c;

	unix_paths("stale.sock", path, spec);
	fd = unix_socket_at(path, 1);
	close(fd);			/* the file stays: a stale socket */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));

	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), 0);
	ck_assert_msg(listen_open_priv(&l, &a[0], 8, 0600, err,
	    sizeof(err)) == 0, "listen_open_priv: %s", err);
	assert_listening(l.fd);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(l.unix_ino, st.st_ino);

	/* and the new socket is the live one */
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a[0].ss, a[0].len),
	    0);
	close(c);
	listen_close(&l, 1);
	ck_assert_int_eq(lstat(path, &st), -1);
}
END_TEST

/* Anything but a socket at the path is refused and left alone. */
START_TEST(test_listen_open_unix_not_socket)
{
	struct listener	l;
	struct laddr	a[2];
	struct stat	st;
	char		spec[SPECLEN], path[PATH_MAX], err[256] = "";
	char		want[PATH_MAX + 64];
	size_t		n;

	unix_paths("regular", path, spec);
	tu_write_file(path, "keep me\n", 8);
	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s exists and is not a socket", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 8);

	/* a directory too */
	unix_paths("dir", path, spec);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s exists and is not a socket", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));

	/* and a symbolic link, even to a stale socket */
	tu_path(path, sizeof(path), tmpdir, "target.sock");
	close(unix_socket_at(path, 1));
	unix_paths("link", path, spec);
	ck_assert_int_eq(symlink("target.sock", path), 0);
	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s exists and is not a socket", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
}
END_TEST

/* A socket another server listens on is refused and left alone. */
START_TEST(test_listen_open_unix_in_use)
{
	struct listener	l;
	struct laddr	a[2];
	struct stat	before, after;
	char		spec[SPECLEN], path[PATH_MAX], err[256] = "";
	char		want[PATH_MAX + 64];
	size_t		n;
	int		fd, c;

	unix_paths("live.sock", path, spec);
	fd = unix_socket_at(path, 1);
	ck_assert_int_eq(lstat(path, &before), 0);
	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s is in use by a running server",
	    path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_int_eq(lstat(path, &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino);

	/* the running server still gets its connections */
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a[0].ss, a[0].len),
	    0);
	close(c);
	close(fd);
}
END_TEST

/* listen_close removes the socket file only if it is still ours. */
START_TEST(test_listen_close_unlinks_own_only)
{
	struct listener	l;
	struct laddr	a[2];
	struct stat	st;
	char		spec[SPECLEN], path[PATH_MAX], err[256] = "";
	size_t		n;
	int		fd;

	unix_paths("own.sock", path, spec);
	ck_assert_int_eq(listen_parse(spec, a, &n, err, sizeof(err)), 0);

	/* without unlink_path the file stays */
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), 0);
	listen_close(&l, 0);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));

	/* with it, our own file goes (the stale one was replaced) */
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), 0);
	listen_close(&l, 1);
	ck_assert_int_eq(lstat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* someone else's socket at our path is left alone */
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(unlink(path), 0);
	fd = unix_socket_at(path, 1);
	listen_close(&l, 1);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	close(fd);
	ck_assert_int_eq(unlink(path), 0);

	/* and so is a regular file */
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(unlink(path), 0);
	tu_write_file(path, "x", 1);
	listen_close(&l, 1);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	/* a second close does nothing */
	listen_close(&l, 1);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_int_eq(l.fd, -1);
}
END_TEST

/* Closing an inet listener never touches the file system. */
START_TEST(test_listen_close_inet)
{
	struct listener	l;
	struct laddr	a[2];
	char		err[256];
	size_t		n;
	int		fd;

	ck_assert_int_eq(listen_parse("127.0.0.1:0", a, &n, err, sizeof(err)),
	    0);
	ck_assert_int_eq(listen_open_priv(&l, &a[0], 8, 0666, err,
	    sizeof(err)), 0);
	fd = l.fd;
	listen_close(&l, 1);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

static Suite *
listen_suite(void)
{
	Suite	*s = suite_create("listen");
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

	tc = tcase_create("open_inet");
	tcase_add_test(tc, test_listen_open_inet_port0);
	tcase_add_test(tc, test_listen_open_inet6_port0);
	tcase_add_test(tc, test_listen_open_inet_in_use);
	tcase_add_test(tc, test_listen_close_inet);
	suite_add_tcase(s, tc);

	tc = tcase_create("open_unix");
	tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir);
	tcase_add_test(tc, test_listen_open_unix_mode);
	tcase_add_test(tc, test_listen_open_unix_stale);
	tcase_add_test(tc, test_listen_open_unix_not_socket);
	tcase_add_test(tc, test_listen_open_unix_in_use);
	tcase_add_test(tc, test_listen_close_unlinks_own_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(listen_suite());
}
