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
 * bare.c: the reference preforking incr server for the benchmarks.
 *
 * The parent binds 127.0.0.1:PORT, forks W children and waits for
 * SIGTERM or SIGINT; each child loops in a blocking accept(2) and serves
 * incr with model_serve() of contrib/models/common.c (the session the
 * reference models share, on the daemon's own state machine), in the
 * same way as src/handlers/incr.c: '*' first, 4096-byte reads, one write
 * per chunk read.  Nothing else: no timeouts, no logging, no privilege drop, no
 * scoreboard, no respawn.  It is the fastest a preforking design can be
 * on this kernel, the yardstick that preforkd is measured against.
 *
 * -H (herd) replaces the blocking accept(2) by a naive wait: every child
 * polls the non-blocking listener in its own epoll set without
 * EPOLLEXCLUSIVE, so one connection wakes all of them (bench/ctxsw).
 *
 * The children die with the parent (PR_SET_PDEATHSIG), so that no server
 * outlives a benchmark that was killed.
 */

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../models/models.h"	/* model_serve(): incr as incr.c serves it */

#define BARE_BACKLOG	511
#define BARE_MAXW	1024
#define EXIT_USAGE	64

static __attribute__((__noreturn__)) void usage(void);
static int	bind_listener(int port, int herd);
static __attribute__((__noreturn__)) void child_main(int lfd, int herd,
		    pid_t parent);
static int	child_accept(int lfd, int epfd);

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: bare [-H] [-p port] [-w workers]\n");
	exit(EXIT_USAGE);
}

static int
bind_listener(int port, int herd)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, on = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    (herd ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1) {
		perror("bare: socket");
		exit(1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
		perror("bare: SO_REUSEADDR");
		exit(1);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		fprintf(stderr, "bare: bind 127.0.0.1:%d: %s\n", port,
		    strerror(errno));
		exit(1);
	}
	if (listen(fd, BARE_BACKLOG) == -1) {
		perror("bare: listen");
		exit(1);
	}
	len = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("bare: getsockname");
		exit(1);
	}
	fprintf(stderr, "bare: listening on 127.0.0.1:%u\n",
	    ntohs(sin.sin_port));
	return fd;
}

static int
child_accept(int lfd, int epfd)
{
	struct epoll_event	ev;
	int			fd;

	for (;;) {
		if (epfd != -1 && epoll_wait(epfd, &ev, 1, -1) <= 0)
			continue;
		if ((fd = accept(lfd, NULL, NULL)) != -1)
			return fd;
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED) {
			perror("bare: accept");
			_exit(1);
		}
	}
}

static __attribute__((__noreturn__)) void
child_main(int lfd, int herd, pid_t parent)
{
	struct epoll_event	ev;
	sigset_t		none;
	int			fd, epfd = -1;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(1);
	if (herd) {
		if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
			_exit(1);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) == -1)
			_exit(1);
	}
	for (;;) {
		fd = child_accept(lfd, epfd);
		model_serve(fd);
		close(fd);
	}
}

int
main(int argc, char *argv[])
{
	sigset_t	 mask;
	pid_t		*pids, parent = getpid();
	char		*end;
	long		 v;
	int		 ch, lfd, port = 0, nworkers = 4, herd = 0, i;

	while ((ch = getopt(argc, argv, "Hp:w:")) != -1) {
		switch (ch) {
		case 'H':
			herd = 1;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 ||
			    v > 65535)
				usage();
			port = (int)v;
			break;
		case 'w':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > BARE_MAXW)
				usage();
			nworkers = (int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = bind_listener(port, herd);
	if ((pids = calloc(nworkers, sizeof(*pids))) == NULL) {
		perror("bare: calloc");
		return 1;
	}
	for (i = 0; i < nworkers; i++) {
		switch (pids[i] = fork()) {
		case -1:
			perror("bare: fork");
			model_stop_children(NULL, pids, i);
			return 0;
		case 0:
			child_main(lfd, herd, parent);
		default:
			break;
		}
	}
	fflush(stderr);
	model_stop_children(&mask, pids, nworkers);
	return 0;
}
