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
 * check_listen.c: unit tests of listen.c's sockets: opening, binding and
 * closing real listening sockets (loopback TCP, and unix sockets in a
 * scratch directory).  Parsing and formatting the addresses is
 * check_listenaddr.c.
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
