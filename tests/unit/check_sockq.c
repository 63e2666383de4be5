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
 * check_sockq.c: unit tests of sockq.c: the accept queue and backlog of
 * real listening sockets (loopback TCP over IPv4 and IPv6, and a unix
 * socket in a scratch directory) as clients connect and are accepted,
 * and the refusal of sockets that do not listen.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

static Suite	*sockq_suite(void);
static int	 inet_listener(int family, int backlog,
		    struct sockaddr_storage *ss, socklen_t *len);
static int	 ipv6_missing(const char *test);
static void	 assert_queue(int fd, unsigned int want, unsigned int backlog);
static void	 assert_refused(int fd, const char *why);
static void	 check_queue_lifecycle(int lfd,
		    const struct sockaddr_storage *ss, socklen_t len);

#define BACKLOG		8
#define NCLIENTS	3
#define WAIT_MS		2000	/* for the kernel to show a connection */

/* A TCP listener on the loopback address of family, port 0. */
static int
inet_listener(int family, int backlog, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (void *)ss;
	struct sockaddr_in6	*sin6 = (void *)ss;
	int			 fd;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	ck_assert_msg(bind(fd, (struct sockaddr *)ss, *len) == 0,
	    "bind: %s", strerror(errno));
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)ss, len), 0);
	return fd;
}

/* Whether [::1] cannot be bound here (then say why the test skips). */
static int
ipv6_missing(const char *test)
{
	struct sockaddr_in6	sin6;
	int			probe;

	if ((probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "SKIP %s: no IPv6: %s\n", test,
		    strerror(errno));
		return 1;
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(probe, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		fprintf(stderr, "SKIP %s: no [::1]: %s\n", test,
		    strerror(errno));
		close(probe);
		return 1;
	}
	close(probe);
	return 0;
}

/*
 * sockq_listen(fd) reports want queued connections (waiting, boundedly,
 * for the kernel to finish handshakes) and the backlog.
 */
static void
assert_queue(int fd, unsigned int want, unsigned int backlog)
{
	struct timespec	tick = { 0, 10 * 1000 * 1000 };
	unsigned int	queued = 9999, bl = 9999;
	char		err[256] = "";
	int		ms;

	for (ms = 0;; ms += 10) {
		ck_assert_msg(sockq_listen(fd, &queued, &bl, err,
		    sizeof(err)) == 0, "sockq_listen: %s", err);
		if (queued == want || ms >= WAIT_MS)
			break;
		nanosleep(&tick, NULL);
	}
	ck_assert_msg(queued == want, "%u queued after %d ms, not %u", queued,
	    ms, want);
	ck_assert_uint_eq(bl, backlog);
	ck_assert_str_eq(err, "");
}

/* sockq_listen(fd) fails with "listen queue of fd N: " why..., and
   leaves the counts alone. */
static void
assert_refused(int fd, const char *why)
{
	unsigned int	queued = 4242, backlog = 4343;
	char		err[256] = "", want[256];

	ck_assert_int_eq(sockq_listen(fd, &queued, &backlog, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "listen queue of fd %d: %s", fd, why);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "'%s' does not start with '%s'", err, want);
	ck_assert_uint_eq(queued, 4242);
	ck_assert_uint_eq(backlog, 4343);
}

/*
 * The same story for every family: empty, three clients waiting (not
 * accepted), one accepted.
 */
static void
check_queue_lifecycle(int lfd, const struct sockaddr_storage *ss,
    socklen_t len)
{
	int	c[NCLIENTS], a, i;

	assert_queue(lfd, 0, BACKLOG);
	for (i = 0; i < NCLIENTS; i++) {
		c[i] = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(c[i], 0);
		ck_assert_msg(connect(c[i], (const struct sockaddr *)ss,
		    len) == 0, "connect %d: %s", i, strerror(errno));
	}
	assert_queue(lfd, NCLIENTS, BACKLOG);
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_msg(a != -1, "accept: %s", strerror(errno));
	assert_queue(lfd, NCLIENTS - 1, BACKLOG);
	close(a);
	for (i = 0; i < NCLIENTS; i++)
		close(c[i]);
	close(lfd);
}

START_TEST(test_sockq_tcp_ipv4)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	fd = inet_listener(AF_INET, BACKLOG, &ss, &len);
	check_queue_lifecycle(fd, &ss, len);
}
END_TEST

START_TEST(test_sockq_tcp_ipv6)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	if (ipv6_missing(__func__))
		return;
	fd = inet_listener(AF_INET6, BACKLOG, &ss, &len);
	check_queue_lifecycle(fd, &ss, len);
}
END_TEST

/* The backlog reported is the one given to listen(2), another one here. */
START_TEST(test_sockq_tcp_backlog)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	fd = inet_listener(AF_INET, 3, &ss, &len);
	assert_queue(fd, 0, 3);
	ck_assert_int_eq(listen(fd, 5), 0);	/* listen again: updated */
	assert_queue(fd, 0, 5);
	close(fd);
}
END_TEST

START_TEST(test_sockq_unix)
{
	struct sockaddr_storage	ss;
	struct sockaddr_un	*sun = (void *)&ss;
	int			fd;

	memset(&ss, 0, sizeof(ss));
	sun->sun_family = AF_UNIX;
	tu_path(sun->sun_path, sizeof(sun->sun_path), tmpdir, "q.sock");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)sun, sizeof(*sun)) == 0,
	    "bind %s: %s", sun->sun_path, strerror(errno));
	ck_assert_int_eq(listen(fd, BACKLOG), 0);
	check_queue_lifecycle(fd, &ss, sizeof(*sun));
	ck_assert_int_eq(unlink(sun->sun_path), 0);
}
END_TEST

/* An abstract unix socket has no file: it is found by its inode all the
   same. */
START_TEST(test_sockq_unix_abstract)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "preforkd-check-sockq-%ld", (long)getpid());
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(sun.sun_path + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sun, len) == 0,
	    "bind: %s", strerror(errno));
	ck_assert_int_eq(listen(fd, 4), 0);
	assert_queue(fd, 0, 4);
	close(fd);
}
END_TEST

/* Both ends of an established TCP connection. */
START_TEST(test_sockq_tcp_connected)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			lfd, c, a;

	lfd = inet_listener(AF_INET, BACKLOG, &ss, &len);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, len), 0);
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(a, 0);
	assert_refused(c, "not listening (TCP state 1)");
	assert_refused(a, "not listening (TCP state 1)");
	close(a);
	close(c);
	close(lfd);
}
END_TEST

/* A TCP socket that was never told to listen. */
START_TEST(test_sockq_tcp_unlistened)
{
	int	fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	assert_refused(fd, "not listening (TCP state 7)");
	close(fd);
}
END_TEST

START_TEST(test_sockq_udp)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_refused(fd, "not a TCP socket");
	close(fd);
}
END_TEST

START_TEST(test_sockq_unix_connected)
{
	int	sv[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_refused(sv[0], "not listening (unix socket state 1)");
	close(sv[0]);
	close(sv[1]);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	assert_refused(fd, "not listening (unix socket state 7)");
	close(fd);
}
END_TEST

/* A socket of another family (netlink: any user may open one). */
START_TEST(test_sockq_other_family)
{
	char	why[64];
	int	fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	ck_assert_msg(fd != -1, "netlink socket: %s", strerror(errno));
	snprintf(why, sizeof(why), "address family %d is neither TCP nor "
	    "unix", AF_NETLINK);
	assert_refused(fd, why);
	close(fd);
}
END_TEST

/* Neither a socket nor an open descriptor. */
START_TEST(test_sockq_not_socket)
{
	int	p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	assert_refused(p[0], "getsockname: ");
	close(p[0]);
	close(p[1]);
	assert_refused(p[0], "getsockname: ");
}
END_TEST

static Suite *
sockq_suite(void)
{
	Suite	*s = suite_create("sockq");
	TCase	*tc;

	tc = tcase_create("tcp");
	tcase_add_test(tc, test_sockq_tcp_ipv4);
	tcase_add_test(tc, test_sockq_tcp_ipv6);
	tcase_add_test(tc, test_sockq_tcp_backlog);
	suite_add_tcase(s, tc);

	tc = tcase_create("unix");
	tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir);
	tcase_add_test(tc, test_sockq_unix);
	tcase_add_test(tc, test_sockq_unix_abstract);
	suite_add_tcase(s, tc);

	tc = tcase_create("not_listening");
	tcase_add_test(tc, test_sockq_tcp_connected);
	tcase_add_test(tc, test_sockq_tcp_unlistened);
	tcase_add_test(tc, test_sockq_udp);
	tcase_add_test(tc, test_sockq_unix_connected);
	tcase_add_test(tc, test_sockq_other_family);
	tcase_add_test(tc, test_sockq_not_socket);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(sockq_suite());
}
