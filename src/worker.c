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
 * worker.c: the life of one worker process, from the fork to _exit().
 *
 * A worker drops its privileges before anything else, arms the death
 * signal that follows the master, initialises the handler, then accepts
 * connections on the inherited listening sockets, in parallel with its
 * siblings (no hand-off by the master), and serves one at a time.  After
 * its request cap it finishes the connection in hand and exits 0.
 *
 * One listener: a blocking accept(2), the kernel wakes one waiter.
 * Several: each worker has its own epoll set with EPOLLEXCLUSIVE on every
 * (non-blocking) listener, so one connection wakes one worker, not all.
 *
 * Runs unprivileged.  Every path ends in _exit(); fatal() exits
 * EXIT_TEMPFAIL (respawn), a failed privilege drop EXIT_PERMANENT.
 */

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

#define WORKER_BACKOFF_MS	100	/* after EMFILE, ENFILE, ENOBUFS */

static void	worker_close_fds(const struct worker *w);
static void	worker_init(struct worker *w);
static int	worker_accept(struct worker *w, struct sockaddr_storage *ss,
		    socklen_t *sslen, struct listener **lp);
static void	worker_serve(struct worker *w, int fd,
		    struct sockaddr_storage *ss, socklen_t sslen,
		    const struct listener *l);
static __dead void worker_exit(struct worker *w, uint32_t reason);

/*
 * Close every descriptor but stdin, stdout, stderr and the listeners: the
 * master's pidfile, log file, pipes and anything else it holds stay out
 * of reach of the worker.
 */
static void
worker_close_fds(const struct worker *w)
{
	size_t	i;
	int	fd, maxkeep = STDERR_FILENO, keep;

	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].fd > maxkeep)
			maxkeep = w->listeners[i].fd;
	for (fd = STDERR_FILENO + 1; fd < maxkeep; fd++) {
		for (keep = 0, i = 0; i < w->nlisteners && !keep; i++)
			keep = w->listeners[i].fd == fd;
		if (!keep)
			(void)close(fd);
	}
	closefrom(maxkeep + 1);
}

static void
worker_init(struct worker *w)
{
	struct epoll_event	ev;
	char			name[32];
	size_t			i;

	snprintf(name, sizeof(name), "worker %u", w->slot);
	log_procinit(name, EXIT_TEMPFAIL, 1);
	setproctitle("worker");
	unsetenv("NOTIFY_SOCKET");	/* only the master talks to systemd */

	log_worker_init();
	worker_close_fds(w);
	log_worker_reopen();
	privsep_drop(w->conf);

	/* After the drop: a credential change clears the death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		fatal("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != w->master_pid)
		_exit(EXIT_TEMPFAIL);	/* the master is already gone */

	w->epfd = -1;
	if (w->nlisteners > 1) {
		if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
			fatal("epoll_create1");
		for (i = 0; i < w->nlisteners; i++) {
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN | EPOLLEXCLUSIVE;
			ev.data.ptr = &w->listeners[i];
			if (epoll_ctl(w->epfd, EPOLL_CTL_ADD,
			    w->listeners[i].fd, &ev) == -1)
				fatal("epoll_ctl %s", w->listeners[i].bound);
		}
	}

	w->env.service = w->conf->service;
	w->env.worker_slot = w->slot;
	w->env.generation = w->generation;
	w->env.log = log_msg;
	if (w->handler->init != NULL && w->handler->init(&w->env,
	    &w->hdata) == -1)
		fatalx("service %s: initialisation failed", w->handler->name);
	w->cap = pool_request_cap(w->conf->max_requests,
	    w->conf->max_requests_jitter, arc4random());
	log_debug("started, request cap %lu", w->cap);
}

/*
 * Wait for and accept one connection.  Transient errors are retried;
 * resource shortages are backed off and logged at most once a second.
 */
static int
worker_accept(struct worker *w, struct sockaddr_storage *ss, socklen_t *sslen,
    struct listener **lp)
{
	static int64_t		 last_log;
	struct epoll_event	 ev;
	struct timespec		 ts;
	struct listener		*l = &w->listeners[0];
	int			 fd, n;

	for (;;) {
		if (w->epfd != -1) {
			n = epoll_wait(w->epfd, &ev, 1, -1);
			if (n == -1 && errno != EINTR)
				fatal("epoll_wait");
			if (n <= 0)
				continue;
			l = ev.data.ptr;
		}
		*sslen = sizeof(*ss);
		fd = accept4(l->fd, (struct sockaddr *)ss, sslen,
		    SOCK_CLOEXEC);
		if (fd != -1) {
			*lp = l;
			return fd;
		}
		switch (errno) {
		case EINTR:
		case EAGAIN:
		case ECONNABORTED:
		case EPROTO:
		case EPERM:		/* firewall */
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			if (now_ms() - last_log >= 1000) {
				log_warn("accept %s (backing off %d ms)",
				    l->bound, WORKER_BACKOFF_MS);
				last_log = now_ms();
			}
			ts.tv_sec = 0;
			ts.tv_nsec = WORKER_BACKOFF_MS * 1000000L;
			nanosleep(&ts, NULL);
			continue;
		default:
			fatal("accept %s", l->bound);
		}
	}
}

static void
worker_serve(struct worker *w, int fd, struct sockaddr_storage *ss,
    socklen_t sslen, const struct listener *l)
{
	struct handler_conn	conn;
	char			peer[LADDR_TEXTLEN];
	int			rc;

	if (ss->ss_family == AF_UNIX)
		strlcpy(peer, "unix", sizeof(peer));
	else
		laddr_format((struct sockaddr *)ss, sslen, peer, sizeof(peer));
	if (!l->timeouts_inherited)
		(void)socket_set_timeouts(fd, w->conf->read_timeout_ms,
		    w->conf->write_timeout_ms);
	memset(&conn, 0, sizeof(conn));
	conn.fd = fd;
	conn.peer = (struct sockaddr *)ss;
	conn.peerlen = sslen;
	conn.peer_text = peer;
	conn.listener_text = l->bound;
	conn.read_timeout_ms = w->conf->read_timeout_ms;
	conn.write_timeout_ms = w->conf->write_timeout_ms;
	conn.data = w->hdata;
	conn.env = &w->env;

	rc = w->handler->serve(&conn);
	close(fd);

	if (conn.io_error == HANDLER_IO_READ_TIMEOUT)
		log_info("%s: read timeout (%d ms), connection closed", peer,
		    conn.read_timeout_ms);
	else if (conn.io_error == HANDLER_IO_WRITE_TIMEOUT)
		log_info("%s: write timeout (%d ms), connection closed", peer,
		    conn.write_timeout_ms);
	else if (conn.io_error != HANDLER_IO_OK)
		log_debug("%s: %s, connection closed", peer,
		    strerror(conn.io_errno));
	else
		log_debug("%s: served, %zu bytes in, %zu out", peer,
		    conn.bytes_in, conn.bytes_out);
	if (rc == HANDLER_EXIT)
		worker_exit(w, SB_EXIT_HANDLER);
}

static __dead void
worker_exit(struct worker *w, uint32_t reason)
{
	sb_set_exit(w->sb, reason);
	if (w->handler->fini != NULL)
		w->handler->fini(w->hdata);
	_exit(EXIT_RETIRED);
}

__dead void
worker_main(struct worker *w)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	socklen_t		 sslen;
	int			 fd;

	worker_init(w);
	for (;;) {
		sb_set_state(w->sb, SB_IDLE);
		fd = worker_accept(w, &ss, &sslen, &l);
		sb_set_state(w->sb, SB_BUSY);
		worker_serve(w, fd, &ss, sslen, l);
		sb_served(w->sb, ++w->served);
		if (w->cap > 0 && w->served >= w->cap)
			worker_exit(w, SB_EXIT_REQUESTS);
	}
}
