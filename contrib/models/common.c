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
 * common.c: what every model server shares, so that each model file
 * holds its model and nothing else: the options, the listener, the
 * per-frame payload, and the blocking incr session of the thread and
 * process models, written as src/handlers/incr.c serves it ('*' first,
 * 4096-byte reads, incr_feed_frames(), the payload once per completed
 * frame, then one write per chunk read).
 *
 * The servers keep no state worth saving, so SIGTERM and SIGINT end the
 * process at once with status 0 (_exit(2) is async-signal-safe): the
 * kernel closes every socket, and threads end with their process.  The
 * children of the process models are told by the kernel or the parent
 * (fork.c, reuseport.c).
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handlers/incr.h"
#include "models.h"

struct model_opts	 mopt;
static const char	*mname;
static int		 mhaspool;

static __attribute__((__noreturn__)) void usage(void);
static long	number(const char *, long, long);
static void	on_stop(int);
static int	write_all(int, const unsigned char *, size_t);

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: %s [-b burn_us] [-p port] [-s sleep_us]%s\n",
	    mname, mhaspool ? " [-w workers]" : "");
	exit(64);
}

static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		usage();
	return v;
}

static void
on_stop(int sig)
{
	(void)sig;
	_exit(0);
}

/* Options and signals; workers > 0 is the default pool size and allows -w. */
void
model_init(int argc, char *argv[], const char *name, int workers)
{
	struct sigaction	sa;
	int			ch;

	mname = name;
	mhaspool = workers > 0;
	mopt.workers = workers;
	while ((ch = getopt(argc, argv, mhaspool ? "b:p:s:w:" : "b:p:s:")) !=
	    -1) {
		switch (ch) {
		case 'b':
			mopt.burn_us = number(optarg, 0, 10000000);
			break;
		case 'p':
			mopt.port = (int)number(optarg, 0, 65535);
			break;
		case 's':
			mopt.sleep_us = number(optarg, 0, 10000000);
			break;
		case 'w':
			mopt.workers = (int)number(optarg, 1, 4096);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* A listener on 127.0.0.1:mopt.port; port 0 picks one and keeps it. */
int
model_listen(int flags)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, on = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    (flags & MODEL_NONBLOCK ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1)
		err(1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    ((flags & MODEL_REUSEPORT) && setsockopt(fd, SOL_SOCKET,
	    SO_REUSEPORT, &on, sizeof(on)) == -1))
		err(1, "setsockopt");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)mopt.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind 127.0.0.1:%d", mopt.port);
	if (listen(fd, MODEL_BACKLOG) == -1)
		err(1, "listen");
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		err(1, "getsockname");
	mopt.port = ntohs(sin.sin_port);
	return fd;
}

void
model_announce(void)
{
	fprintf(stderr, "%s: listening on 127.0.0.1:%d\n", mname, mopt.port);
}

/*
 * accept4(2) that retries what a server should survive; -1 when a
 * non-blocking listener has nothing, or after a pause when out of
 * descriptors or memory (the caller tries again).
 */
int
model_accept(int lfd, int flags)
{
	struct timespec	pause = { 0, 10000000 };
	int		fd;

	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | flags)) != -1)
			return fd;
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
			continue;
		case EAGAIN:
			return -1;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			warn("accept");
			nanosleep(&pause, NULL);
			return -1;
		default:
			err(1, "accept");
		}
	}
}

/* The payload, once per completed frame: incr's own (burn_us, sleep_us). */
void
model_work(size_t frames)
{
	incr_payload(mopt.burn_us, mopt.sleep_us, frames);
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* One incr session on a blocking socket, until end of file or an error. */
void
model_serve(int fd)
{
	unsigned char	in[MODEL_CHUNK], out[MODEL_CHUNK];
	ssize_t		n;
	size_t		o, frames;
	int		state = INCR_WAIT;

	if (write_all(fd, (const unsigned char *)"*", 1) == -1)
		return;
	for (;;) {
		if ((n = read(fd, in, sizeof(in))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		frames = 0;
		o = incr_feed_frames(&state, in, (size_t)n, out, &frames);
		model_work(frames);
		if (o > 0 && write_all(fd, out, o) == -1)
			return;
	}
}

/*
 * The parent of a process pool: wait for SIGTERM or SIGINT (blocked by
 * the caller, in *mask; mask NULL: don't wait, a fork failed), then stop
 * the n children by pid and reap them.
 */
void
model_stop_children(const sigset_t *mask, const pid_t *pids, int n)
{
	int	i, sig;

	if (mask != NULL)
		do {
			if (sigwait(mask, &sig) != 0)
				break;
		} while (sig != SIGTERM && sig != SIGINT);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < n; i++)
		while (waitpid(pids[i], NULL, 0) == -1 && errno == EINTR)
			;
}
