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
 * check_ucspi: ucspi.c, on real connections: TCP over 127.0.0.1 and
 * [::1] (skipped, with a message, without IPv6 loopback), an IPv4 client
 * of a dual-stack IPv6 socket, a unix socketpair, and connections to
 * unix listeners bound at a path and at an abstract name, the client in
 * another process so that its credentials are its own.  Every variable
 * is checked, and that nothing else is there; then the worker_env
 * entries kept (never over a connection variable), and buffers one
 * byte or one pointer too small.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ENVN		32
#define CREDLEN		64

/* Both ends of a connection, and the listener it came through. */
struct conn {
	int			 lfd, cfd, sfd;	/* listener, client, server */
	struct sockaddr_storage	 peer;	/* as accept(2) gave it */
	socklen_t		 peerlen;
	pid_t			 child;		/* the client's process, or 0 */
};

static Suite	*ucspi_suite(void);
static int	 ip_conn(struct conn *c, int lfamily, const char *laddr,
		    int cfamily, const char *caddr, const char *why);
static void	 unix_conn(struct conn *c, const struct sockaddr_un *sun,
		    socklen_t len);
static void	 conn_close(struct conn *c);
static unsigned int port_of(int fd);
static void	 env_is(char **env, int n, const char *const *want);
static void	 env_fit(int fd, char *const *keep, int count);
static void	 tcp_env_is(const struct conn *c, const char *lip,
		    const char *rip);
static void	 cred_vars(pid_t pid, char pidvar[CREDLEN],
		    char uidvar[CREDLEN], char gidvar[CREDLEN]);

/*
 * A TCP connection: a listener of lfamily at laddr (port 0), a client of
 * cfamily connected to caddr and that port.  0 if IPv6 (or the address)
 * is unavailable here, after saying so.
 */
static int
ip_conn(struct conn *c, int lfamily, const char *laddr, int cfamily,
    const char *caddr, const char *why)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	in_port_t		 port;
	int			 off = 0;

	memset(c, 0, sizeof(*c));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = lfamily;
	len = lfamily == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	ck_assert_int_eq(inet_pton(lfamily, laddr, lfamily == AF_INET ?
	    (void *)&sin->sin_addr : (void *)&sin6->sin6_addr), 1);
	if ((c->lfd = socket(lfamily, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    (lfamily == AF_INET6 && setsockopt(c->lfd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof(off)) == -1) ||
	    bind(c->lfd, (struct sockaddr *)&ss, len) == -1) {
		fprintf(stderr, "SKIP %s: %s: %s\n", why, laddr,
		    strerror(errno));
		if (c->lfd != -1)
			close(c->lfd);
		return 0;
	}
	ck_assert_int_eq(listen(c->lfd, 4), 0);
	ck_assert_int_eq(getsockname(c->lfd, (struct sockaddr *)&ss, &len), 0);
	port = lfamily == AF_INET ? sin->sin_port : sin6->sin6_port;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = cfamily;
	len = cfamily == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	ck_assert_int_eq(inet_pton(cfamily, caddr, cfamily == AF_INET ?
	    (void *)&sin->sin_addr : (void *)&sin6->sin6_addr), 1);
	if (cfamily == AF_INET)
		sin->sin_port = port;
	else
		sin6->sin6_port = port;
	c->cfd = socket(cfamily, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->cfd, 0);
	ck_assert_msg(connect(c->cfd, (struct sockaddr *)&ss, len) == 0,
	    "connect %s: %s", caddr, strerror(errno));
	c->peerlen = sizeof(c->peer);
	c->sfd = accept4(c->lfd, (struct sockaddr *)&c->peer, &c->peerlen,
	    SOCK_CLOEXEC);
	ck_assert_int_ge(c->sfd, 0);
	return 1;
}

/*
 * A unix connection to a listener bound at sun (len), from a child
 * process that connects and waits until the server end closes.
 */
static void
unix_conn(struct conn *c, const struct sockaddr_un *sun, socklen_t len)
{
	char	b;

	memset(c, 0, sizeof(*c));
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->lfd, 0);
	ck_assert_msg(bind(c->lfd, (const struct sockaddr *)sun, len) == 0,
	    "bind: %s", strerror(errno));
	ck_assert_int_eq(listen(c->lfd, 4), 0);
	c->child = fork();
	ck_assert_int_ne(c->child, -1);
	if (c->child == 0) {
		c->cfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c->cfd == -1 || connect(c->cfd,
		    (const struct sockaddr *)sun, len) == -1)
			_exit(1);
		(void)read(c->cfd, &b, 1);
		_exit(0);
	}
	c->cfd = -1;
	c->peerlen = sizeof(c->peer);
	c->sfd = accept4(c->lfd, (struct sockaddr *)&c->peer, &c->peerlen,
	    SOCK_CLOEXEC);
	ck_assert_int_ge(c->sfd, 0);
}

static void
conn_close(struct conn *c)
{
	int	status;

	if (c->sfd > 0)
		close(c->sfd);
	if (c->cfd > 0)
		close(c->cfd);
	if (c->lfd > 0)
		close(c->lfd);
	if (c->child > 0) {
		ck_assert_int_eq(waitpid(c->child, &status, 0), c->child);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* The port of fd's own address. */
static unsigned int
port_of(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sslen), 0);
	return ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* env (n entries, NULL-terminated) is exactly want (NULL-terminated). */
static void
env_is(char **env, int n, const char *const *want)
{
	int	i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < n, "entry %d missing: '%s'", i, want[i]);
		ck_assert_str_eq(env[i], want[i]);
	}
	ck_assert_int_eq(n, i);
	ck_assert_ptr_null(env[n]);
}

/*
 * The environment of fd (count entries with keep) fits exactly in the
 * room it takes, and one byte or one pointer less is refused, leaving
 * env empty.
 */
static void
env_fit(int fd, char *const *keep, int count)
{
	char	buf[UCSPI_ENV_BUFLEN + 256], *env[ENVN], err[256];
	size_t	need = 0, len;
	int	i;

	ck_assert_int_eq(ucspi_env(fd, NULL, 0, keep, buf, sizeof(buf), env,
	    ENVN, err, sizeof(err)), count);
	for (i = 0; i < count; i++)
		need += strlen(env[i]) + 1;
	ck_assert_uint_le(need, sizeof(buf));
	ck_assert_int_eq(ucspi_env(fd, NULL, 0, keep, buf, need, env,
	    count + 1, err, sizeof(err)), count);
	for (len = 0; len < need; len++) {
		env[0] = buf;
		err[0] = '\0';
		ck_assert_int_eq(ucspi_env(fd, NULL, 0, keep, len > 0 ? buf :
		    NULL, len, env, ENVN, err, sizeof(err)), -1);
		ck_assert_ptr_null(env[0]);
		ck_assert_int_eq(strncmp(err, "the environment does not fit",
		    28), 0);
	}
	for (i = 0; i <= count; i++) {
		err[0] = '\0';
		ck_assert_int_eq(ucspi_env(fd, NULL, 0, keep, buf, sizeof(buf),
		    i > 0 ? env : NULL, (size_t)i, err, sizeof(err)), -1);
		if (i > 0)
			ck_assert_ptr_null(env[0]);
		ck_assert_int_eq(strncmp(err, "the environment does not fit",
		    28), 0);
	}
}

/*
 * The environment of the server end of a TCP connection: exactly the
 * five variables, with the peer from accept(2) or from getpeername().
 */
static void
tcp_env_is(const struct conn *c, const char *lip, const char *rip)
{
	char		 buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	char		 local[64], lport[64], remote[64], rport[64];
	const char	*want[] = { "PROTO=TCP", local, lport, remote, rport,
			    NULL };
	int		 n;

	snprintf(local, sizeof(local), "TCPLOCALIP=%s", lip);
	snprintf(lport, sizeof(lport), "TCPLOCALPORT=%u", port_of(c->lfd));
	snprintf(remote, sizeof(remote), "TCPREMOTEIP=%s", rip);
	snprintf(rport, sizeof(rport), "TCPREMOTEPORT=%u", port_of(c->cfd));
	n = ucspi_env(c->sfd, (const struct sockaddr *)&c->peer, c->peerlen,
	    NULL, buf, sizeof(buf), env, ENVN, err, sizeof(err));
	ck_assert_msg(n == UCSPI_ENV_MAX, "%d: %s", n, err);
	env_is(env, n, want);
	n = ucspi_env(c->sfd, NULL, 0, NULL, buf, sizeof(buf), env, ENVN, err,
	    sizeof(err));
	env_is(env, n, want);
	env_fit(c->sfd, NULL, UCSPI_ENV_MAX);
}

START_TEST(test_ucspi_tcp4)
{
	struct conn	c;

	ck_assert(ip_conn(&c, AF_INET, "127.0.0.1", AF_INET, "127.0.0.1",
	    __func__));
	tcp_env_is(&c, "127.0.0.1", "127.0.0.1");
	conn_close(&c);
}
END_TEST

/* IPv6: no brackets. */
START_TEST(test_ucspi_tcp6)
{
	struct conn	c;

	if (!ip_conn(&c, AF_INET6, "::1", AF_INET6, "::1", __func__))
		return;
	tcp_env_is(&c, "::1", "::1");
	conn_close(&c);
}
END_TEST

/* An IPv4 client of an IPv6 socket: ::ffff:127.0.0.1 is 127.0.0.1. */
START_TEST(test_ucspi_tcp_mapped)
{
	struct conn	c;

	if (!ip_conn(&c, AF_INET6, "::ffff:127.0.0.1", AF_INET, "127.0.0.1",
	    __func__))
		return;
	ck_assert_int_eq(c.peer.ss_family, AF_INET6);
	tcp_env_is(&c, "127.0.0.1", "127.0.0.1");
	conn_close(&c);
}
END_TEST

/* The credential variables of process pid, of our user and group. */
static void
cred_vars(pid_t pid, char pidvar[CREDLEN], char uidvar[CREDLEN],
    char gidvar[CREDLEN])
{
	snprintf(pidvar, CREDLEN, "UNIXREMOTEPID=%ld", (long)pid);
	snprintf(uidvar, CREDLEN, "UNIXREMOTEEUID=%lu",
	    (unsigned long)geteuid());
	snprintf(gidvar, CREDLEN, "UNIXREMOTEEGID=%lu",
	    (unsigned long)getegid());
}

/* A socketpair: our own credentials, no local name. */
START_TEST(test_ucspi_socketpair)
{
	char		 buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	char		 pid[CREDLEN], uid[CREDLEN], gid[CREDLEN];
	const char	*want[5] = { "PROTO=UNIX", pid, uid, gid, NULL };
	int		 sv[2], n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	cred_vars(getpid(), pid, uid, gid);
	n = ucspi_env(sv[0], NULL, 0, NULL, buf, sizeof(buf), env, ENVN, err,
	    sizeof(err));
	env_is(env, n, want);
	env_fit(sv[0], NULL, 4);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A listener at a path; the client in another process. */
START_TEST(test_ucspi_unix_path)
{
	struct sockaddr_un	 sun;
	struct conn		 c;
	char			 buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	char			 path[PATH_MAX + 32];
	char			 pid[CREDLEN], uid[CREDLEN], gid[CREDLEN];
	const char		*want[6] = { "PROTO=UNIX", path, pid, uid, gid,
				    NULL };
	int			 n, fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_lt(snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/s.sock", tmpdir), (int)sizeof(sun.sun_path));
	unix_conn(&c, &sun, sizeof(sun));
	snprintf(path, sizeof(path), "UNIXLOCALPATH=%s", sun.sun_path);
	cred_vars(c.child, pid, uid, gid);
	n = ucspi_env(c.sfd, (struct sockaddr *)&c.peer, c.peerlen, NULL, buf,
	    sizeof(buf), env, ENVN, err, sizeof(err));
	env_is(env, n, want);
	env_fit(c.sfd, NULL, 5);

	conn_close(&c);
	unlink(sun.sun_path);

	/* bound, connected to nobody: a name, no credentials */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	want[2] = NULL;
	n = ucspi_env(fd, NULL, 0, NULL, buf, sizeof(buf), env, ENVN, err,
	    sizeof(err));
	env_is(env, n, want);
	close(fd);
	unlink(sun.sun_path);
}
END_TEST

/* An abstract name with bytes that are not printable: escaped. */
START_TEST(test_ucspi_unix_abstract)
{
	static const char	 name[] = "preforkd\n\\\x01test";
	struct sockaddr_un	 sun;
	struct conn		 c;
	char			 buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	char			 want[128];
	socklen_t		 len;
	int			 n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "%s-%ld",
	    name, (long)getpid());
	len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	unix_conn(&c, &sun, len);
	snprintf(want, sizeof(want), "UNIXLOCALPATH=@preforkd\\x0a\\x5c\\x01"
	    "test-%ld", (long)getpid());
	n = ucspi_env(c.sfd, NULL, 0, NULL, buf, sizeof(buf), env, ENVN, err,
	    sizeof(err));
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(env[0], "PROTO=UNIX");
	ck_assert_str_eq(env[1], want);
	ck_assert_int_eq(strncmp(env[2], "UNIXREMOTEPID=", 14), 0);
	ck_assert_int_eq(atol(env[2] + 14), (long)c.child);
	conn_close(&c);
}
END_TEST

/* The longest abstract name, every byte escaped: UCSPI_ENV_BUFLEN holds it. */
START_TEST(test_ucspi_unix_abstract_long)
{
	struct sockaddr_un	sun;
	struct conn		c;
	char			buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	unsigned char		b;
	size_t			i, want = strlen("UNIXLOCALPATH=@");
	pid_t			pid = getpid();
	int			n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	for (i = 1; i < sizeof(sun.sun_path); i++)
		sun.sun_path[i] = (char)(0x80 + i % 64);
	memcpy(sun.sun_path + 1, &pid, sizeof(pid));	/* unique */
	for (i = 1; i < sizeof(sun.sun_path); i++) {
		b = sun.sun_path[i];
		want += b >= 0x20 && b < 0x7f && b != '\\' ? 1 : 4;
	}
	unix_conn(&c, &sun, sizeof(sun));
	n = ucspi_env(c.sfd, NULL, 0, NULL, buf, sizeof(buf), env,
	    UCSPI_ENV_MAX + 1, err, sizeof(err));
	ck_assert_msg(n == UCSPI_ENV_MAX, "%d: %s", n, err);
	ck_assert_uint_eq(strlen(env[1]), want);
	ck_assert_uint_gt(want, 400);
	conn_close(&c);
}
END_TEST

/* worker_env entries follow; a connection variable is never theirs. */
START_TEST(test_ucspi_keep)
{
	static char *const	 keep[] = {
		"PATH=/usr/bin:/bin", "PROTO=evil", "TCPREMOTEIP=6.6.6.6",
		"TCPREMOTEHOST=evil.example", "TCP6REMOTEIP=::6",
		"UNIXREMOTEPID=1", "UNIXLOCALPATH=/evil", "noequals", "=x",
		"PROTOCOL=kept", "TCP=kept", "EMPTY=", "LANG=C.UTF-8", NULL,
	};
	struct conn		 c;
	char			 buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	int			 sv[2], n;

	ck_assert(ip_conn(&c, AF_INET, "127.0.0.1", AF_INET, "127.0.0.1",
	    __func__));
	n = ucspi_env(c.sfd, NULL, 0, keep, buf, sizeof(buf), env, ENVN, err,
	    sizeof(err));
	ck_assert_int_eq(n, 10);
	ck_assert_str_eq(env[0], "PROTO=TCP");
	ck_assert_str_eq(env[3], "TCPREMOTEIP=127.0.0.1");
	ck_assert_str_eq(env[5], "PATH=/usr/bin:/bin");
	ck_assert_str_eq(env[6], "PROTOCOL=kept");
	ck_assert_str_eq(env[7], "TCP=kept");
	ck_assert_str_eq(env[8], "EMPTY=");
	ck_assert_str_eq(env[9], "LANG=C.UTF-8");
	ck_assert_ptr_null(env[10]);
	env_fit(c.sfd, keep, 10);
	conn_close(&c);

	/* on a unix connection, no TCP variable comes from the keep list */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	n = ucspi_env(sv[0], NULL, 0, keep, buf, sizeof(buf), env, ENVN, err,
	    sizeof(err));
	ck_assert_int_eq(n, 9);
	ck_assert_str_eq(env[0], "PROTO=UNIX");
	ck_assert_str_eq(env[4], "PATH=/usr/bin:/bin");
	ck_assert_str_eq(env[8], "LANG=C.UTF-8");
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Not a socket, not a connection, not a family we know: refused. */
START_TEST(test_ucspi_bad)
{
	struct sockaddr_un	sun;
	struct conn		c;
	char			buf[UCSPI_ENV_BUFLEN], *env[ENVN], err[256];
	char			want[256];
	int			p[2], fd;

	env[0] = buf;
	ck_assert_int_eq(ucspi_env(-1, NULL, 0, NULL, buf, sizeof(buf), env,
	    ENVN, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "getsockname: %s", strerror(EBADF));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(env[0]);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ucspi_env(p[0], NULL, 0, NULL, buf, sizeof(buf), env,
	    ENVN, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "getsockname: %s", strerror(ENOTSOCK));
	ck_assert_str_eq(err, want);
	close(p[0]);
	close(p[1]);

	/* a TCP socket with no peer */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ucspi_env(fd, NULL, 0, NULL, buf, sizeof(buf), env,
	    ENVN, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "getpeername: %s", strerror(ENOTCONN));
	ck_assert_str_eq(err, want);
	close(fd);

	/* a peer address that is not IP, or cut short */
	ck_assert(ip_conn(&c, AF_INET, "127.0.0.1", AF_INET, "127.0.0.1",
	    __func__));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	env[0] = buf;
	ck_assert_int_eq(ucspi_env(c.sfd, (struct sockaddr *)&sun,
	    sizeof(sun), NULL, buf, sizeof(buf), env, ENVN, err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want), "the remote address is not an IP "
	    "address (family %d, %zu bytes)", AF_UNIX, sizeof(sun));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(env[0]);
	ck_assert_int_eq(ucspi_env(c.sfd, (struct sockaddr *)&c.peer, 8, NULL,
	    buf, sizeof(buf), env, ENVN, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "the remote address is not an IP "
	    "address (family %d, 8 bytes)", AF_INET);
	ck_assert_str_eq(err, want);
	conn_close(&c);

	/* a family that is neither */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd != -1) {
		ck_assert_int_eq(ucspi_env(fd, NULL, 0, NULL, buf, sizeof(buf),
		    env, ENVN, err, sizeof(err)), -1);
		ck_assert_int_eq(strncmp(err, "a socket of family ", 19), 0);
		close(fd);
	}
}
END_TEST

static Suite *
ucspi_suite(void)
{
	Suite	*s = suite_create("ucspi");
	TCase	*tc;

	tc = tcase_create("tcp");
	tcase_add_test(tc, test_ucspi_tcp4);
	tcase_add_test(tc, test_ucspi_tcp6);
	tcase_add_test(tc, test_ucspi_tcp_mapped);
	suite_add_tcase(s, tc);

	tc = tcase_create("unix");
	tcase_add_unchecked_fixture(tc, tu_setup_tmpdir, tu_teardown_tmpdir);
	tcase_add_test(tc, test_ucspi_socketpair);
	tcase_add_test(tc, test_ucspi_unix_path);
	tcase_add_test(tc, test_ucspi_unix_abstract);
	tcase_add_test(tc, test_ucspi_unix_abstract_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_test(tc, test_ucspi_keep);
	tcase_add_test(tc, test_ucspi_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(ucspi_suite());
}
