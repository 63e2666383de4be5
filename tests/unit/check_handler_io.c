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
 * check_handler_io: the SDK of handler_io.c through a socketpair in place
 * of an accepted connection: lines split across reads, a line too long,
 * a frame cut by end of file, the readers mixed with handler_read(), a
 * failed read that consumes nothing, printf beyond its stack buffer,
 * writev of many buffers with partial writes, the peer's credentials on
 * unix and their refusal on TCP, and the draining hook.
 *
 * The "reading" hook runs just before each read(2) of the socket: the
 * tests use it to count the reads and to feed the client's bytes one
 * piece per read, so that a line really comes in pieces.
 */

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* [0] is the handler's end (conn.fd), [1] the client's. */
struct pair {
	int			 fd[2];
	struct handler_conn	 conn;
};

/* A client thread: writes data in chunks, or reads until end of file. */
struct peer {
	int		 fd;
	char		*buf;
	size_t		 len;		/* to write, or the room to read */
	size_t		 done;
	size_t		 chunk;
	int		 delay_us;	/* between chunks */
};

static void	pair_open(struct pair *p);
static void	pair_close(struct pair *p);
static void	client_send(struct pair *p, const char *s);
static ssize_t	read_all(int fd, char *buf, size_t len);
static void	feed_waiting(int on);
static void	feed_start(struct pair *p, const char *const *pieces);
static void	*peer_write(void *arg);
static void	*peer_read(void *arg);
static void	pattern(char *buf, size_t len, unsigned int seed);
static void	on_alarm(int sig);
static int	draining_yes(void);
static int	draining_no(void);
static void	teardown(void);
static Suite	*handler_io_suite(void);

static const char *const	*feed;		/* next pieces to send */
static int			 feed_fd = -1;
static unsigned int		 reads;		/* read(2)s of the socket */
static volatile sig_atomic_t	 alarms;

static void
pair_open(struct pair *p)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    p->fd), 0);
	memset(&p->conn, 0, sizeof(p->conn));
	p->conn.fd = p->fd[0];
}

static void
pair_close(struct pair *p)
{
	handler_conn_done(&p->conn);
	ck_assert_ptr_null(p->conn.priv);
	handler_conn_done(&p->conn);	/* again: harmless */
	close(p->fd[0]);
	if (p->fd[1] != -1)
		close(p->fd[1]);
}

static void
client_send(struct pair *p, const char *s)
{
	ck_assert_int_eq(write(p->fd[1], s, strlen(s)), (ssize_t)strlen(s));
}

/* Read until end of file (or len bytes); returns the count. */
static ssize_t
read_all(int fd, char *buf, size_t len)
{
	size_t	got = 0;
	ssize_t	r;

	while (got < len && (r = read(fd, buf + got, len - got)) > 0)
		got += r;
	return got;
}

/* The reading hook: count the read, send the next piece (or close). */
static void
feed_waiting(int on)
{
	if (!on)
		return;
	reads++;
	if (feed == NULL)
		return;
	if (*feed == NULL) {
		shutdown(feed_fd, SHUT_WR);
		feed = NULL;
		return;
	}
	ck_assert_int_eq(write(feed_fd, *feed, strlen(*feed)),
	    (ssize_t)strlen(*feed));
	feed++;
}

static void
feed_start(struct pair *p, const char *const *pieces)
{
	feed = pieces;
	feed_fd = p->fd[1];
	reads = 0;
	handler_io_hook(feed_waiting);
}

static void *
peer_write(void *arg)
{
	struct peer	*pw = arg;
	size_t		 n;
	ssize_t		 w;

	while (pw->done < pw->len) {
		n = pw->len - pw->done < pw->chunk ? pw->len - pw->done :
		    pw->chunk;
		if ((w = write(pw->fd, pw->buf + pw->done, n)) <= 0)
			break;
		pw->done += w;
		if (pw->delay_us > 0)
			usleep(pw->delay_us);
	}
	return NULL;
}

static void *
peer_read(void *arg)
{
	struct peer	*pr = arg;
	size_t		 n;
	ssize_t		 r;

	for (;;) {
		n = pr->len - pr->done < pr->chunk ? pr->len - pr->done :
		    pr->chunk;
		if (n == 0 || (r = read(pr->fd, pr->buf + pr->done, n)) <= 0)
			break;
		pr->done += r;
		if (pr->delay_us > 0)
			usleep(pr->delay_us);
	}
	return NULL;
}

/* Bytes that differ from one offset to the next, and from seed to seed. */
static void
pattern(char *buf, size_t len, unsigned int seed)
{
	uint32_t	st = seed | 1;
	size_t		i;

	for (i = 0; i < len; i++)
		buf[i] = 'a' + tu_rand(&st) % 26;
}

static void
on_alarm(int sig)
{
	alarms++;
}

static int
draining_yes(void)
{
	return 42;
}

static int
draining_no(void)
{
	return 0;
}

static void
teardown(void)
{
	handler_io_hook(NULL);
	handler_io_draining_hook(NULL);
	feed = NULL;
}

/* A line in three pieces, lines sharing a read, a last line without \n. */
START_TEST(test_handler_io_readline_pieces)
{
	static const char *const pieces[] = { "hel", "lo\nwor", "ld\nla",
		"st", NULL };
	struct pair	p;
	char		buf[64];

	pair_open(&p);
	feed_start(&p, pieces);
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "hello\n");
	ck_assert_uint_eq(reads, 2);
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "world\n");
	ck_assert_uint_eq(reads, 3);
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "last");
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_OK);
	ck_assert_uint_eq(p.conn.bytes_in, 16);
	pair_close(&p);
}
END_TEST

/* No \n within len - 1 bytes: those bytes, consumed; then the rest. */
START_TEST(test_handler_io_readline_toolong)
{
	struct pair	p;
	char		buf[16];

	pair_open(&p);
	client_send(&p, "abcdefghij\nok\n");
	ck_assert_int_eq(handler_readline(&p.conn, buf, 5), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_TOOLONG);
	ck_assert_int_eq(p.conn.io_errno, EMSGSIZE);
	ck_assert_str_eq(buf, "abcd");
	p.conn.io_error = HANDLER_IO_OK;
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "efghij\n");
	/* a line of exactly len - 1 bytes with its \n fits */
	ck_assert_int_eq(handler_readline(&p.conn, buf, 4), 3);
	ck_assert_str_eq(buf, "ok\n");
	/* no room for a byte and the NUL */
	ck_assert_int_eq(handler_readline(&p.conn, buf, 1), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_ERROR);
	ck_assert_int_eq(p.conn.io_errno, EINVAL);
	pair_close(&p);
}
END_TEST

/* A line longer than the read-ahead buffer, into a larger buffer. */
START_TEST(test_handler_io_readline_long)
{
	struct pair	p;
	struct peer	pw;
	pthread_t	t;
	size_t		len = 100000;
	char		*line, *buf;

	pair_open(&p);
	line = malloc(len + 1);
	buf = malloc(len + 2);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(buf);
	pattern(line, len - 1, 7);
	line[len - 1] = '\n';
	line[len] = '\0';
	memset(&pw, 0, sizeof(pw));
	pw.fd = p.fd[1];
	pw.buf = line;
	pw.len = len;
	pw.chunk = 7000;
	ck_assert_int_eq(pthread_create(&t, NULL, peer_write, &pw), 0);
	ck_assert_int_eq(handler_readline(&p.conn, buf, len + 2), (ssize_t)len);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(memcmp(buf, line, len + 1), 0);
	free(line);
	free(buf);
	pair_close(&p);
}
END_TEST

/* A timeout mid-line consumes nothing: the next call has the line. */
START_TEST(test_handler_io_readline_timeout)
{
	struct pair	p;
	struct timeval	tv = { 0, 50000 };
	char		buf[64];

	pair_open(&p);
	ck_assert_int_eq(setsockopt(p.fd[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	client_send(&p, "partial");
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_READ_TIMEOUT);
	client_send(&p, " line\nnext\n");
	p.conn.io_error = HANDLER_IO_OK;
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 13);
	ck_assert_str_eq(buf, "partial line\n");
	/* the deadline applies to the readers' reads, not to what came in
	   time and waits in the buffer */
	p.conn.deadline_ms = now_ms() - 1;
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "next\n");
	client_send(&p, "late\n");
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_READ_TIMEOUT);
	pair_close(&p);
}
END_TEST

/* handler_read() returns what a reader left, without a read(2). */
START_TEST(test_handler_io_mixed)
{
	static const char *const pieces[] = { "cmd one\nHDR!payload-rest",
		NULL };
	struct pair	p;
	char		buf[64];

	pair_open(&p);
	feed_start(&p, pieces);
	ck_assert_int_eq(handler_readline(&p.conn, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "cmd one\n");
	ck_assert_uint_eq(reads, 1);
	ck_assert_int_eq(handler_readn(&p.conn, buf, 4), 0);
	ck_assert_int_eq(memcmp(buf, "HDR!", 4), 0);
	ck_assert_int_eq(handler_read(&p.conn, buf, 7), 7);
	ck_assert_int_eq(memcmp(buf, "payload", 7), 0);
	ck_assert_int_eq(handler_read(&p.conn, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "-rest", 5), 0);
	ck_assert_uint_eq(reads, 1);
	/* now empty: a real read, which sees the end of file */
	ck_assert_int_eq(handler_read(&p.conn, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(reads, 2);
	ck_assert_uint_eq(p.conn.bytes_in, 24);
	pair_close(&p);
}
END_TEST

/* The client closes mid-frame: HANDLER_IO_EOF, the bytes still there. */
START_TEST(test_handler_io_readn_eof)
{
	struct pair	p;
	char		buf[16];

	pair_open(&p);
	client_send(&p, "abc");
	shutdown(p.fd[1], SHUT_WR);
	ck_assert_int_eq(handler_readn(&p.conn, buf, 8), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_EOF);
	ck_assert_int_eq(handler_read(&p.conn, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
	ck_assert_int_eq(handler_read(&p.conn, buf, sizeof(buf)), 0);
	ck_assert_int_eq(handler_readn(&p.conn, buf, 0), 0);
	pair_close(&p);
}
END_TEST

/* Frames small (through the read-ahead) and large (read straight). */
START_TEST(test_handler_io_readn_frames)
{
	struct pair	p;
	struct peer	pw;
	pthread_t	t;
	size_t		len = 300000, off;
	char		*data, *buf;

	pair_open(&p);
	data = malloc(len);
	buf = malloc(len);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(buf);
	pattern(data, len, 11);
	memset(&pw, 0, sizeof(pw));
	pw.fd = p.fd[1];
	pw.buf = data;
	pw.len = len;
	pw.chunk = 4093;
	pw.delay_us = 100;
	ck_assert_int_eq(pthread_create(&t, NULL, peer_write, &pw), 0);
	ck_assert_int_eq(handler_readn(&p.conn, buf, 5), 0);
	ck_assert_int_eq(handler_readn(&p.conn, buf + 5, 200000), 0);
	for (off = 200005; off < len; off += 1000)
		ck_assert_int_eq(handler_readn(&p.conn, buf + off,
		    len - off < 1000 ? len - off : 1000), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(memcmp(buf, data, len), 0);
	ck_assert_uint_eq(p.conn.bytes_in, len);
	free(data);
	free(buf);
	pair_close(&p);
}
END_TEST

/* Output longer than the stack buffer goes out whole. */
START_TEST(test_handler_io_printf)
{
	struct pair	p;
	char		big[5000], want[6000], got[6000];
	int		n;

	pair_open(&p);
	ck_assert_int_eq(handler_printf(&p.conn, "%s, %s\n", "Hi", "world"),
	    0);
	ck_assert_int_eq(read(p.fd[1], got, sizeof(got)), 10);
	ck_assert_int_eq(memcmp(got, "Hi, world\n", 10), 0);
	pattern(big, sizeof(big) - 1, 3);
	big[sizeof(big) - 1] = '\0';
	n = snprintf(want, sizeof(want), "<%s|%d>\n", big, 42);
	ck_assert_int_eq(handler_printf(&p.conn, "<%s|%d>\n", big, 42), 0);
	ck_assert_uint_eq(p.conn.bytes_out, 10 + (size_t)n);
	shutdown(p.fd[0], SHUT_WR);
	ck_assert_int_eq(read_all(p.fd[1], got, sizeof(got)), n);
	ck_assert_int_eq(memcmp(got, want, n), 0);
	pair_close(&p);
}
END_TEST

/* Around the stack buffer (1024): every length goes out whole. */
START_TEST(test_handler_io_printf_edges)
{
	struct pair	p;
	char		big[1100], got[1100];
	int		len;

	pair_open(&p);
	pattern(big, sizeof(big), 13);
	for (len = 1020; len <= 1030; len++) {
		ck_assert_int_eq(handler_printf(&p.conn, "%.*s", len, big), 0);
		ck_assert_int_eq(read_all(p.fd[1], got, len), len);
		ck_assert_int_eq(memcmp(got, big, len), 0);
	}
	ck_assert_int_eq(handler_printf(&p.conn, "%s", ""), 0);
	pair_close(&p);
}
END_TEST

/*
 * Thousands of buffers (some empty, a few large) to a small socket buffer
 * drained by a slow reader, while an interval timer interrupts
 * sendmsg(2): partial writes and EINTR, and every byte arrives in order.
 */
START_TEST(test_handler_io_writev)
{
	struct pair		 p;
	struct peer		 pr;
	struct iovec		 iov[3000];
	struct itimerval	 it = { { 0, 1000 }, { 0, 1000 } };
	struct sigaction	 sa;
	sigset_t		 set;
	pthread_t		 t;
	size_t			 total = 0, i;
	char			*data, *got;
	int			 sz = 4096;

	pair_open(&p);
	data = malloc(sizeof(iov) / sizeof(iov[0]) * 150 + 6 * 40000);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < sizeof(iov) / sizeof(iov[0]); i++) {
		iov[i].iov_base = data + total;
		/* small ones, empty ones, and a few that take several
		   writes each */
		iov[i].iov_len = i % 500 == 250 ? 40000 : i % 7 == 3 ? 0 :
		    i % 150;
		total += iov[i].iov_len;
	}
	pattern(data, total, 5);
	got = malloc(total + 1);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(setsockopt(p.fd[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	ck_assert_int_eq(setsockopt(p.fd[1], SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof(sz)), 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	memset(&pr, 0, sizeof(pr));
	pr.fd = p.fd[1];
	pr.buf = got;
	pr.len = total + 1;
	pr.chunk = 1000;
	pr.delay_us = 200;
	/* the reader is created with SIGALRM blocked: only we see it */
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, peer_read, &pr), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(handler_writev(&p.conn, iov, sizeof(iov) /
	    sizeof(iov[0])), 0);
	memset(&it, 0, sizeof(it));
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	shutdown(p.fd[0], SHUT_WR);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_gt(alarms, 0);
	ck_assert_uint_eq(p.conn.io_error, HANDLER_IO_OK);
	ck_assert_uint_eq(p.conn.bytes_out, total);
	ck_assert_uint_eq(pr.done, total);
	ck_assert_int_eq(memcmp(got, data, total), 0);
	ck_assert_int_eq(handler_writev(&p.conn, iov, 0), 0);
	ck_assert_int_eq(handler_writev(&p.conn, iov, -1), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_ERROR);
	free(data);
	free(got);
	pair_close(&p);
}
END_TEST

/*
 * A socket that cannot take it all (non-blocking, nobody reading): a
 * write timeout, and bytes_out is exactly what the client can read.
 */
START_TEST(test_handler_io_writev_full)
{
	struct pair	 p;
	struct iovec	 iov[100];
	size_t		 i, off = 0;
	char		*data, *got;

	pair_open(&p);
	data = malloc(100 * 10000);
	got = malloc(100 * 10000);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(got);
	pattern(data, 100 * 10000, 9);
	for (i = 0; i < 100; i++) {
		iov[i].iov_base = data + off;
		iov[i].iov_len = 10000 - i;
		off += iov[i].iov_len;
	}
	ck_assert_int_eq(fcntl(p.fd[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(handler_writev(&p.conn, iov, 100), -1);
	ck_assert_int_eq(p.conn.io_error, HANDLER_IO_WRITE_TIMEOUT);
	ck_assert_int_eq(p.conn.io_errno, EAGAIN);
	ck_assert_uint_gt(p.conn.bytes_out, 0);
	ck_assert_uint_lt(p.conn.bytes_out, off);
	shutdown(p.fd[0], SHUT_WR);
	ck_assert_int_eq(read_all(p.fd[1], got, 100 * 10000),
	    (ssize_t)p.conn.bytes_out);
	ck_assert_int_eq(memcmp(got, data, p.conn.bytes_out), 0);
	free(data);
	free(got);
	pair_close(&p);
}
END_TEST

START_TEST(test_handler_io_peercred_unix)
{
	struct pair	p;
	pid_t		pid = 0;
	uid_t		uid = (uid_t)-2;
	gid_t		gid = (gid_t)-2;

	pair_open(&p);
	ck_assert_int_eq(handler_peercred(&p.conn, &pid, &uid, &gid), 0);
	ck_assert_int_eq(pid, getpid());
	ck_assert_uint_eq(uid, geteuid());
	ck_assert_uint_eq(gid, getegid());
	ck_assert_int_eq(handler_peercred(&p.conn, NULL, NULL, NULL), 0);
	pair_close(&p);
}
END_TEST

/* On TCP (loopback) there are no credentials: -1, EAFNOSUPPORT. */
START_TEST(test_handler_io_peercred_tcp)
{
	struct handler_conn	conn;
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	uid_t			uid = 12345;
	int			l, c, s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(l = socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_ne(c = socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_ne(s = accept(l, NULL, NULL), -1);
	memset(&conn, 0, sizeof(conn));
	conn.fd = s;
	errno = 0;
	ck_assert_int_eq(handler_peercred(&conn, NULL, &uid, NULL), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ck_assert_uint_eq(uid, 12345);
	conn.fd = -1;
	ck_assert_int_eq(handler_peercred(&conn, NULL, &uid, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	close(s);
	close(c);
	close(l);
}
END_TEST

START_TEST(test_handler_io_draining)
{
	struct pair	p;

	pair_open(&p);
	ck_assert_int_eq(handler_draining(&p.conn), 0);
	handler_io_draining_hook(draining_yes);
	ck_assert_int_eq(handler_draining(&p.conn), 1);
	handler_io_draining_hook(draining_no);
	ck_assert_int_eq(handler_draining(&p.conn), 0);
	handler_io_draining_hook(NULL);
	ck_assert_int_eq(handler_draining(&p.conn), 0);
	pair_close(&p);
}
END_TEST

static Suite *
handler_io_suite(void)
{
	Suite	*s = suite_create("handler_io");
	TCase	*tc;

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_handler_io_readline_pieces);
	tcase_add_test(tc, test_handler_io_readline_toolong);
	tcase_add_test(tc, test_handler_io_readline_long);
	tcase_add_test(tc, test_handler_io_readline_timeout);
	tcase_add_test(tc, test_handler_io_mixed);
	tcase_add_test(tc, test_handler_io_readn_eof);
	tcase_add_test(tc, test_handler_io_readn_frames);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_handler_io_printf);
	tcase_add_test(tc, test_handler_io_printf_edges);
	tcase_add_test(tc, test_handler_io_writev);
	tcase_add_test(tc, test_handler_io_writev_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("conn");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_handler_io_peercred_unix);
	tcase_add_test(tc, test_handler_io_peercred_tcp);
	tcase_add_test(tc, test_handler_io_draining);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(handler_io_suite());
}
