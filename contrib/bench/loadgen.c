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
 * loadgen.c: a closed-loop load generator for the incr and echo services.
 *
 * CONCURRENCY connections run at once, each doing one exchange after
 * another: in conn mode a new connection per exchange (connect, '*'
 * greeting, one frame, close), in msg mode long-lived connections (one
 * greeting, then frames back to back).  An incr exchange sends
 * "^PAYLOAD$" and expects exactly PAYLOAD with every byte incremented;
 * an echo exchange sends PAYLOAD and expects it back.  Every answer is
 * verified byte by byte.
 *
 * Each thread (one by default) drives its share of the connections with
 * edge-triggered epoll on non-blocking sockets, so the generator spends
 * a few system calls per exchange and little CPU next to the server it
 * measures.
 *
 * Only 127.0.0.1 (-p) or a unix socket (-u) is ever contacted.
 *
 * Exit status: 0 when every exchange succeeded, 1 when any error
 * happened (the figures are printed anyway), 64 on a usage error.
 */

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lgstats.h"

#define EXIT_ERRORS	1
#define EXIT_USAGE	64

#define MAX_CONC	1024
#define MAX_THREADS	64
#define MAX_SIZE	65536
#define MAX_DURATION	3600		/* seconds */
#define MAX_WARMUP	600
#define NMODE_LIMIT	600		/* -n without -d: seconds at most */
#define RBUF_SIZE	65536
#define NEVENTS		256
#define SCAN_MS		50		/* timeout scan and retry period */
#define RETRY_MS	50		/* pause before reconnecting after
					   an error */


enum proto { P_INCR, P_ECHO };
enum mode { M_CONN, M_MSG };

/* Connection states. */
enum cstate {
	C_IDLE,			/* no socket; reopened after RETRY_MS */
	C_CONNECTING,		/* connect(2) in progress */
	C_GREETING,		/* incr: waiting for '*' */
	C_XCHG,			/* sending a request, reading its answer */
	C_STOPPED		/* the run is over */
};



struct thread;

struct conn {
	struct thread	*th;
	int		 fd;
	enum cstate	 state;
	int64_t		 t_start;	/* exchange (or retry pause) start */
	unsigned int	 seq;		/* selects the payload bytes */
	unsigned int	 gen;		/* bumped by every new exchange */
	size_t		 sent;
	size_t		 got;
	unsigned char	*req;
};

struct thread {
	pthread_t	 tid;
	int		 epfd;
	struct conn	*conns;
	size_t		 nconns;
	unsigned char	*rbuf;
	struct stats	 st;
};

static struct {
	enum proto	 proto;
	enum mode	 mode;
	int		 port;
	const char	*unixpath;
	unsigned int	 conc;
	unsigned int	 threads;
	unsigned int	 duration;	/* seconds, 0 with -n: bounded */
	unsigned int	 warmup;	/* seconds */
	unsigned long	 total;		/* -n, 0 = by duration */
	unsigned int	 size;		/* payload bytes */
	unsigned int	 timeout;	/* seconds */
	int		 csv;
	size_t		 reqlen;	/* bytes sent per exchange */
	size_t		 anslen;	/* bytes expected back */
	struct sockaddr_storage ss;
	socklen_t	 sslen;
} opt;

static int64_t			 g_warm_end;	/* ns, monotonic */
static int64_t			 g_end;
static atomic_int		 g_stop;
static atomic_ulong		 g_counted;	/* -n mode */
static _Atomic int64_t		 g_nend;	/* when the n-th completed */

static __attribute__((__noreturn__)) void usage(void);
static void	 on_signal(int signo);
static void	 fill_request(struct conn *c);
static unsigned char expected(const struct conn *c, size_t i);
static void	 conn_open(struct thread *th, struct conn *c, int64_t now);
static void	 conn_close(struct conn *c);
static void	 conn_fail(struct thread *th, struct conn *c,
		    enum errkind kind, int64_t now);
static void	 conn_connected(struct thread *th, struct conn *c,
		    uint32_t ev, int64_t now);
static void	 conn_greeting(struct thread *th, struct conn *c,
		    int64_t now);
static void	 xchg_start(struct thread *th, struct conn *c, int64_t now);
static void	 xchg_send(struct thread *th, struct conn *c, int64_t now);
static void	 xchg_recv(struct thread *th, struct conn *c, int64_t now);
static void	 xchg_done(struct thread *th, struct conn *c, int64_t now);
static void	 conn_event(struct thread *th, struct conn *c, uint32_t ev);
static void	 thread_scan(struct thread *th, int64_t now);
static void	*thread_main(void *arg);

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen (-p port | -u path) [-P incr|echo] [-m conn|msg] "
	    "[-c concurrency]\n"
	    "               [-d seconds] [-n exchanges] [-w warmup] "
	    "[-t threads] [-s size]\n"
	    "               [-T timeout] [-o human|csv]\n"
	    "       loadgen -H    (print the CSV header)\n");
	exit(EXIT_USAGE);
}

static void
on_signal(int signo)
{
	(void)signo;
	atomic_store(&g_stop, 1);
}

/* Payload bytes 'a'..'y', so that the incremented answer is 'b'..'z'. */
static void
fill_request(struct conn *c)
{
	unsigned char	*p = c->req;
	size_t		 i;

	c->seq++;
	if (opt.proto == P_INCR)
		*p++ = '^';
	for (i = 0; i < opt.size; i++)
		*p++ = (unsigned char)('a' + (c->seq + i) % 25);
	if (opt.proto == P_INCR)
		*p = '$';
}

static unsigned char
expected(const struct conn *c, size_t i)
{
	return (unsigned char)('a' + (c->seq + i) % 25 +
	    (opt.proto == P_INCR ? 1 : 0));
}

static void
conn_open(struct thread *th, struct conn *c, int64_t now)
{
	struct epoll_event	ev;
	int			rc;

	c->gen++;
	c->t_start = now;
	c->sent = c->got = 0;
	c->fd = socket(opt.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_fail(th, c, E_CONNECT, now);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(th->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		perror("loadgen: epoll_ctl");
		exit(EXIT_ERRORS);
	}
	c->state = C_CONNECTING;
	c->t_start = now_ns();		/* latency starts at connect(2) */
	do {
		rc = connect(c->fd, (struct sockaddr *)&opt.ss, opt.sslen);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0)
		conn_connected(th, c, 0, now);
	else if (errno != EINPROGRESS)
		conn_fail(th, c, E_CONNECT, now);
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1) {
		close(c->fd);	/* also leaves the epoll set */
		c->fd = -1;
	}
}

/* Count an error, drop the connection and pause before the next one. */
static void
conn_fail(struct thread *th, struct conn *c, enum errkind kind, int64_t now)
{
	th->st.err[kind]++;
	c->gen++;
	conn_close(c);
	c->state = C_IDLE;
	c->t_start = now;
}

static void
conn_connected(struct thread *th, struct conn *c, uint32_t ev, int64_t now)
{
	if (opt.proto == P_INCR) {
		c->state = C_GREETING;
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
			conn_greeting(th, c, now);
	} else
		xchg_start(th, c, opt.mode == M_CONN ? c->t_start : now);
}

static void
conn_greeting(struct thread *th, struct conn *c, int64_t now)
{
	unsigned char	buf[64];
	ssize_t		n;

	do {
		n = read(c->fd, buf, sizeof(buf));
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN)
			return;
		conn_fail(th, c, errno == ECONNRESET || errno == EPIPE ?
		    E_RESET : E_IO, now);
		return;
	}
	if (n == 0) {
		conn_fail(th, c, E_SHORT, now);
		return;
	}
	if (n != 1 || buf[0] != '*') {
		conn_fail(th, c, E_WRONG, now);
		return;
	}
	xchg_start(th, c, opt.mode == M_CONN ? c->t_start : now);
}

/* Begin an exchange; t0 is when its latency starts. */
static void
xchg_start(struct thread *th, struct conn *c, int64_t t0)
{
	fill_request(c);
	c->gen++;
	c->state = C_XCHG;
	c->t_start = t0;
	c->sent = c->got = 0;
	xchg_send(th, c, t0);
}

static void
xchg_send(struct thread *th, struct conn *c, int64_t now)
{
	ssize_t	n;

	while (c->sent < opt.reqlen) {
		n = send(c->fd, c->req + c->sent, opt.reqlen - c->sent,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;		/* EPOLLOUT will follow */
			conn_fail(th, c, errno == ECONNRESET ||
			    errno == EPIPE ? E_RESET : E_IO, now);
			return;
		}
		c->sent += n;
	}
	/* The answer may be complete before the last bytes went out. */
	if (c->got == opt.anslen)
		xchg_done(th, c, now);
}

/*
 * Read what has arrived (edge-triggered: until EAGAIN or a short read)
 * and verify it.
 */
static void
xchg_recv(struct thread *th, struct conn *c, int64_t now)
{
	ssize_t	n;
	size_t	i, want;

	for (;;) {
		n = read(c->fd, th->rbuf, RBUF_SIZE);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			conn_fail(th, c, errno == ECONNRESET ||
			    errno == EPIPE ? E_RESET : E_IO, now);
			return;
		}
		if (n == 0) {
			conn_fail(th, c, E_SHORT, now);
			return;
		}
		want = opt.anslen - c->got;
		if ((size_t)n > want) {
			conn_fail(th, c, E_WRONG, now);
			return;
		}
		for (i = 0; i < (size_t)n; i++)
			if (th->rbuf[i] != expected(c, c->got + i)) {
				conn_fail(th, c, E_WRONG, now);
				return;
			}
		c->got += n;
		if (c->got == opt.anslen) {
			if (c->sent == opt.reqlen)
				xchg_done(th, c, now);
			return;
		}
		if (n < RBUF_SIZE)
			return;		/* drained: wait for the next edge */
	}
}

static void
xchg_done(struct thread *th, struct conn *c, int64_t now)
{
	uint64_t	lat = (uint64_t)(now - c->t_start), k;
	int		count = 0;

	if (now >= g_warm_end && now < g_end) {
		if (opt.total == 0)
			count = 1;
		else if ((k = atomic_fetch_add(&g_counted, 1)) < opt.total) {
			count = 1;
			if (k + 1 == opt.total) {
				atomic_store(&g_nend, now);
				atomic_store(&g_stop, 1);
			}
		}
	}
	if (count) {
		th->st.done++;
		th->st.lat_sum += lat;
		if (lat > th->st.lat_max)
			th->st.lat_max = lat;
		th->st.hist[hist_index((lat + 500) / 1000)]++;
	}
	if (atomic_load(&g_stop) || now >= g_end) {
		conn_close(c);
		c->state = C_STOPPED;
		return;
	}
	if (opt.mode == M_CONN) {
		conn_close(c);
		conn_open(th, c, now);
	} else
		xchg_start(th, c, now);
}

static void
conn_event(struct thread *th, struct conn *c, uint32_t ev)
{
	int64_t		now = now_ns();
	socklen_t	len;
	unsigned int	gen = c->gen;
	int		err;

	switch (c->state) {
	case C_CONNECTING:
		if (ev & EPOLLERR) {
			err = 0;
			len = sizeof(err);
			(void)getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
			    &len);
			if (err != 0) {
				conn_fail(th, c, E_CONNECT, now);
				return;
			}
		}
		if (ev & (EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLHUP))
			conn_connected(th, c, ev, now);
		break;
	case C_GREETING:
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			conn_greeting(th, c, now);
		break;
	case C_XCHG:
		if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
			xchg_recv(th, c, now);
			if (c->gen != gen)
				return;		/* failed, done or a new one */
		}
		if ((ev & (EPOLLOUT | EPOLLERR)) && c->sent < opt.reqlen)
			xchg_send(th, c, now);
		break;
	case C_IDLE:
	case C_STOPPED:
		break;
	}
}

/* Drop the exchanges stuck too long, reopen the paused connections. */
static void
thread_scan(struct thread *th, int64_t now)
{
	struct conn	*c;
	size_t		 i;

	for (i = 0; i < th->nconns; i++) {
		c = &th->conns[i];
		switch (c->state) {
		case C_IDLE:
			if (now - c->t_start >= RETRY_MS * MSEC)
				conn_open(th, c, now);
			break;
		case C_CONNECTING:
		case C_GREETING:
		case C_XCHG:
			if (now - c->t_start >= (int64_t)opt.timeout * NSEC)
				conn_fail(th, c, E_TIMEOUT, now);
			break;
		case C_STOPPED:
			break;
		}
	}
}

static void *
thread_main(void *arg)
{
	struct thread		*th = arg;
	struct epoll_event	 evs[NEVENTS];
	int64_t			 now, last_scan, left;
	size_t			 i;
	int			 n, tmo;

	now = last_scan = now_ns();
	for (i = 0; i < th->nconns && !atomic_load(&g_stop); i++)
		conn_open(th, &th->conns[i], now);
	while (!atomic_load(&g_stop)) {
		now = now_ns();
		if (now >= g_end)
			break;
		left = (g_end - now + MSEC - 1) / MSEC;
		tmo = left < SCAN_MS ? (int)left : SCAN_MS;
		n = epoll_wait(th->epfd, evs, NEVENTS, tmo);
		if (n == -1 && errno != EINTR) {
			perror("loadgen: epoll_wait");
			exit(EXIT_ERRORS);
		}
		for (i = 0; n > 0 && i < (size_t)n; i++)
			conn_event(th, evs[i].data.ptr, evs[i].events);
		now = now_ns();
		if (now - last_scan >= SCAN_MS * MSEC) {
			thread_scan(th, now);
			last_scan = now;
		}
	}
	for (i = 0; i < th->nconns; i++)
		conn_close(&th->conns[i]);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	*sin;
	struct sockaddr_un	*sun;
	struct sigaction	 sa;
	struct rlimit		 rl;
	struct thread		*ths;
	struct stats		 tot;
	unsigned long		 v;
	uint64_t		 errors;
	int64_t			 t0, tend;
	double			 secs;
	size_t			 i, j, k;
	int			 ch, dur_set = 0, rc;

	opt.proto = P_INCR;
	opt.mode = M_CONN;
	opt.port = -1;
	opt.conc = 1;
	opt.threads = 1;
	opt.duration = 5;
	opt.size = 8;
	opt.timeout = 5;
	while ((ch = getopt(argc, argv, "c:d:Hhm:n:o:P:p:s:T:t:u:w:")) != -1) {
		switch (ch) {
		case 'c':
			if (parse_num(optarg, 1, MAX_CONC, &v) == -1)
				usage();
			opt.conc = v;
			break;
		case 'd':
			if (parse_num(optarg, 1, MAX_DURATION, &v) == -1)
				usage();
			opt.duration = v;
			dur_set = 1;
			break;
		case 'H':
			printf("proto,mode,concurrency,threads,seconds,exchanges,"
			    "rate,mean_us,p50_us,p99_us,max_us,connect_errors,"
			    "resets,short,wrong,timeouts,io_errors,errors\n");
			return 0;
		case 'm':
			if (strcmp(optarg, "conn") == 0)
				opt.mode = M_CONN;
			else if (strcmp(optarg, "msg") == 0)
				opt.mode = M_MSG;
			else
				usage();
			break;
		case 'n':
			if (parse_num(optarg, 1, ULONG_MAX, &v) == -1)
				usage();
			opt.total = v;
			break;
		case 'o':
			if (strcmp(optarg, "csv") == 0)
				opt.csv = 1;
			else if (strcmp(optarg, "human") == 0)
				opt.csv = 0;
			else
				usage();
			break;
		case 'P':
			if (strcmp(optarg, "incr") == 0)
				opt.proto = P_INCR;
			else if (strcmp(optarg, "echo") == 0)
				opt.proto = P_ECHO;
			else
				usage();
			break;
		case 'p':
			if (parse_num(optarg, 1, 65535, &v) == -1)
				usage();
			opt.port = (int)v;
			break;
		case 's':
			if (parse_num(optarg, 1, MAX_SIZE, &v) == -1)
				usage();
			opt.size = v;
			break;
		case 'T':
			if (parse_num(optarg, 1, 600, &v) == -1)
				usage();
			opt.timeout = v;
			break;
		case 't':
			if (parse_num(optarg, 1, MAX_THREADS, &v) == -1)
				usage();
			opt.threads = v;
			break;
		case 'u':
			opt.unixpath = optarg;
			break;
		case 'w':
			if (parse_num(optarg, 0, MAX_WARMUP, &v) == -1)
				usage();
			opt.warmup = v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (opt.port == -1) == (opt.unixpath == NULL))
		usage();
	if (opt.total > 0 && !dur_set)
		opt.duration = NMODE_LIMIT;
	if (opt.threads > opt.conc)
		opt.threads = opt.conc;

	memset(&opt.ss, 0, sizeof(opt.ss));
	if (opt.unixpath != NULL) {
		sun = (struct sockaddr_un *)&opt.ss;
		if (strlen(opt.unixpath) >= sizeof(sun->sun_path)) {
			fprintf(stderr, "loadgen: %s: path too long\n",
			    opt.unixpath);
			return EXIT_USAGE;
		}
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, opt.unixpath);
		opt.sslen = sizeof(*sun);
	} else {
		sin = (struct sockaddr_in *)&opt.ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)opt.port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		opt.sslen = sizeof(*sin);
	}
	opt.reqlen = opt.size + (opt.proto == P_INCR ? 2 : 0);
	opt.anslen = opt.size;

	/* One descriptor per connection, plus a few. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
	    rl.rlim_cur < MAX_CONC + 64) {
		rl.rlim_cur = rl.rlim_max < MAX_CONC + 64 ? rl.rlim_max :
		    MAX_CONC + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if ((ths = calloc(opt.threads, sizeof(*ths))) == NULL) {
		perror("loadgen: calloc");
		return EXIT_ERRORS;
	}
	for (i = 0, k = 0; i < opt.threads; i++) {
		ths[i].nconns = opt.conc / opt.threads +
		    (i < opt.conc % opt.threads ? 1 : 0);
		ths[i].conns = calloc(ths[i].nconns, sizeof(struct conn));
		ths[i].rbuf = malloc(RBUF_SIZE);
		ths[i].epfd = epoll_create1(EPOLL_CLOEXEC);
		if (ths[i].conns == NULL || ths[i].rbuf == NULL ||
		    ths[i].epfd == -1) {
			perror("loadgen: setup");
			return EXIT_ERRORS;
		}
		for (j = 0; j < ths[i].nconns; j++, k++) {
			ths[i].conns[j].th = &ths[i];
			ths[i].conns[j].fd = -1;
			ths[i].conns[j].state = C_IDLE;
			ths[i].conns[j].seq = (unsigned int)k * 7919;
			if ((ths[i].conns[j].req = malloc(opt.reqlen)) ==
			    NULL) {
				perror("loadgen: malloc");
				return EXIT_ERRORS;
			}
		}
	}

	t0 = now_ns();
	g_warm_end = t0 + (int64_t)opt.warmup * NSEC;
	g_end = g_warm_end + (int64_t)opt.duration * NSEC;
	for (i = 0; i < opt.threads; i++)
		if ((rc = pthread_create(&ths[i].tid, NULL, thread_main,
		    &ths[i])) != 0) {
			fprintf(stderr, "loadgen: pthread_create: %s\n",
			    strerror(rc));
			return EXIT_ERRORS;
		}
	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < opt.threads; i++) {
		pthread_join(ths[i].tid, NULL);
		stats_merge(&tot, &ths[i].st);
	}
	tend = now_ns();
	if (opt.total > 0 && atomic_load(&g_nend) != 0)
		tend = atomic_load(&g_nend);
	else if (tend > g_end)
		tend = g_end;
	secs = tend > g_warm_end ? (double)(tend - g_warm_end) / NSEC : 0.0;
	for (errors = 0, i = 0; i < E_NKINDS; i++)
		errors += tot.err[i];

	stats_report(&tot, opt.proto == P_INCR ? "incr" : "echo",
	    opt.mode == M_CONN ? "conn" : "msg", opt.conc, opt.threads, secs,
	    opt.csv);
	fflush(stdout);
	return errors > 0 || tot.done == 0 ? EXIT_ERRORS : 0;
}
