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
#include <sys/resource.h>
#include <sys/socket.h>

#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

extern char	**environ;


static void	worker_close_fds(struct worker *w);
static struct worker	*worker_self;	/* for worker_waiting() */

static void	worker_waiting(int on);
static int	worker_draining(void);
static void	worker_stdio(struct worker *w);
static void	worker_env(struct worker *w);
static void	worker_init(struct worker *w);
static int	worker_accept(struct worker *w, struct sockaddr_storage *ss,
		    socklen_t *sslen, struct listener **lp);
static int	worker_accept_wait(struct worker *w,
		    struct sockaddr_storage *ss, socklen_t *sslen,
		    struct listener **lp);
static __dead void worker_become(struct worker *w, int fd,
		    struct sockaddr_storage *ss, socklen_t sslen);
static void	worker_serve(struct worker *w, int fd,
		    struct sockaddr_storage *ss, socklen_t sslen,
		    const struct listener *l);

/*
 * Close every descriptor but stdin, stdout, stderr, the listeners and the
 * event pipe to the master: the master's pidfile, log file, control
 * socket and anything else it holds stay out of reach of the worker.
 */
static int
worker_keeps(const struct worker *w, int fd)
{
	size_t	i;

	if (fd == w->event_fd)
		return 1;
	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].fd == fd)
			return 1;
	return 0;
}

/* Move a kept descriptor down to the lowest free number. */
static int
worker_lower_fd(int fd)
{
	int	nfd = fcntl(fd, F_DUPFD, STDERR_FILENO + 1);

	if (nfd == -1 || nfd > fd) {
		if (nfd != -1)
			close(nfd);
		return fd;
	}
	close(fd);
	return nfd;
}

static void
worker_close_fds(struct worker *w)
{
	size_t	i;
	int	fd, maxkeep = w->event_fd > STDERR_FILENO ? w->event_fd :
		    STDERR_FILENO;

	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].fd > maxkeep)
			maxkeep = w->listeners[i].fd;
	for (fd = STDERR_FILENO + 1; fd < maxkeep; fd++)
		if (!worker_keeps(w, fd))
			(void)close(fd);
	closefrom(maxkeep + 1);
	/* and pack them from 3 up: no hole below (RLIMIT_NOFILE counts) */
	for (fd = STDERR_FILENO + 1; fd <= maxkeep; fd++) {
		if (fd == w->event_fd)
			w->event_fd = worker_lower_fd(fd);
		for (i = 0; i < w->nlisteners; i++)
			if (w->listeners[i].fd == fd)
				w->listeners[i].fd = worker_lower_fd(fd);
	}
}

/*
 * stdin from /dev/null; stdout and stderr to the master on the channel
 * (what the worker, a library or a program it runs writes is logged by
 * the master as this worker's), and so does the log.
 */
static void
worker_stdio(struct worker *w)
{
	int	fd;

	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(w->event_fd, STDOUT_FILENO) == -1 ||
	    dup2(w->event_fd, STDERR_FILENO) == -1)
		_exit(EXIT_TEMPFAIL);
	if (fd > STDERR_FILENO)
		close(fd);
	log_worker_init(STDERR_FILENO);
}

/*
 * The environment of a worker: worker_env, and nothing else of the
 * master's (a secret exported in root's shell stays there; so do
 * NOTIFY_SOCKET and the like, which are the master's business).
 */
static void
worker_env(struct worker *w)
{
	static char	*none[1] = { NULL };
	size_t		 i;

	if (clearenv() != 0)
		_exit(EXIT_TEMPFAIL);
	environ = none;		/* empty, not NULL: for execve(2) and loops */
	for (i = 0; w->conf->worker_env != NULL && w->conf->worker_env[i];
	    i++)
		if (putenv(w->conf->worker_env[i]) != 0)
			_exit(EXIT_TEMPFAIL);
}

static void
worker_init(struct worker *w)
{
	struct epoll_event	ev;
	char			name[32], err[512];
	size_t			i;

	snprintf(name, sizeof(name), "worker %u", w->slot);
	log_procinit(name, EXIT_TEMPFAIL, 1);
	setproctitle("worker");
	worker_stdio(w);
	worker_close_fds(w);
	worker_env(w);
	privsep_drop(w->conf);

	/* After the drop: a credential change clears the death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		fatal("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != w->master_pid)
		_exit(EXIT_TEMPFAIL);	/* the master is already gone */
	if (w->conf->service_kind == SERVICE_PROGRAM)
		worker_program(w, w->notify);
	if (w->conf->service_kind == SERVICE_MODULE &&
	    (w->handler = handler_load(w->conf->module, err,
	    sizeof(err))) == NULL)
		fatalx("module %s: %s", w->conf->module, err);

	w->epfd = -1;
	if (w->nlisteners > 1 || w->conf->worker_connections > 1) {
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
	w->env.args = (const char *const *)w->conf->service_args;
	if (w->handler != NULL && w->handler->init != NULL &&
	    w->handler->init(&w->env, &w->hdata) == -1)
		fatalx("service %s: initialisation failed", w->handler->name);
	w->cap = worker_request_cap(w->conf->max_requests,
	    w->conf->max_requests_jitter, arc4random());
	w->started_ms = now_ms();
	if (w->conf->max_worker_age_ms > 0) {
		w->retire_at_ms = w->started_ms + w->conf->max_worker_age_ms +
		    (w->conf->max_worker_age_jitter_ms > 0 ? arc4random_uniform(
		    w->conf->max_worker_age_jitter_ms + 1) : 0);
		/* wakes an idle worker out of accept(2) when its time is up */
		alarm((unsigned int)((w->retire_at_ms - w->started_ms + 999) /
		    1000));
	}
	worker_self = w;
	handler_io_hook(worker_waiting);
	handler_io_draining_hook(worker_draining);
	if (w->conf->worker_connections <= 1)	/* worker_mux.c closes its own */
		sig_worker_listeners(w->listeners, w->nlisteners);
	sig_worker_backtrace(w->sb);
	log_debug("started, request cap %lu, age limit %lld ms", w->cap,
	    (long long)(w->retire_at_ms ? w->retire_at_ms - w->started_ms :
	    0));
}

/*
 * handler_read() waits for the client (on) or is done: the scoreboard
 * says "reading" meanwhile, then what it said before (busy, retiring).
 */
static void
worker_waiting(int on)
{
	static uint32_t	 state = SB_BUSY;
	struct sb_slot	*sb = worker_self->sb;

	if (on) {
		state = sb->state;
		sb_set_state(sb, SB_READING);
	} else
		sb_set_state(sb, state);
}

/*
 * handler_draining(): whether this connection is the worker's last (the
 * master told it to leave, its age is up, or its request cap is
 * reached), so that a long-lived connection can end cleanly.
 */
static int
worker_draining(void)
{
	return worker_self->last || worker_leaving(worker_self) !=
	    SB_EXIT_NONE;
}

/*
 * Wait for and accept one connection.  Transient errors are retried;
 * resource shortages are backed off and logged at most once a second.
 * Polling several listeners, a retirement keeps them open until accept(2)
 * is done: a connection epoll_wait(2) woke this worker for is its own to
 * take (see sig_retire_sighandler()).
 */
static int
worker_accept(struct worker *w, struct sockaddr_storage *ss, socklen_t *sslen,
    struct listener **lp)
{
	int	fd;

	if (w->epfd == -1)
		return worker_accept_wait(w, ss, sslen, lp);
	sig_worker_accepting(1);
	fd = worker_accept_wait(w, ss, sslen, lp);
	sig_worker_accepting(0);
	return fd;
}

static int
worker_accept_wait(struct worker *w, struct sockaddr_storage *ss,
    socklen_t *sslen, struct listener **lp)
{
	struct epoll_event	 ev;
	struct timespec		 ts;
	struct listener		*l = &w->listeners[0];
	struct pollfd		 pfd;
	int			 fd, n, queued;

	for (;;) {
		if (worker_leaving(w) != SB_EXIT_NONE)
			return -1;
		/* A connection already queued when this worker comes for it
		   waited for a free worker: the pool was full (status). */
		queued = 0;
		if (w->epfd != -1) {
			if ((n = epoll_wait(w->epfd, &ev, 1, 0)) > 0)
				queued = 1;
			else
				n = epoll_wait(w->epfd, &ev, 1, -1);
			if (n == -1 && errno != EINTR && errno != EBADF)
				fatal("epoll_wait");
			if (n <= 0)
				continue;
			l = ev.data.ptr;
		} else {
			pfd.fd = l->fd;
			pfd.events = POLLIN;
			queued = poll(&pfd, 1, 0) > 0;
		}
		*sslen = sizeof(*ss);
		fd = accept4(l->fd, (struct sockaddr *)ss, sslen,
		    SOCK_CLOEXEC);
		if (fd != -1) {
			*lp = l;
			w->waited += queued;
			return fd;
		}
		switch (errno) {
		case EAGAIN:
			/* An idle blocking accept(2) times out at the
			   listener's SO_RCVTIMEO; a reload may also have
			   made the listener non-blocking: wait, don't spin. */
			if (w->epfd == -1) {
				pfd.fd = l->fd;
				pfd.events = POLLIN;
				(void)poll(&pfd, 1, 1000);
			}
			continue;
		case EBADF:		/* closed by the retire handler */
			if (worker_leaving(w) != SB_EXIT_NONE)
				return -1;
			fatal("accept %s", l->bound);
		default:
			if (worker_accept_error(l, errno) == WORKER_ACCEPT_SHORT) {
				ts.tv_sec = 0;
				ts.tv_nsec = WORKER_BACKOFF_MS * 1000000L;
				nanosleep(&ts, NULL);
			}
			continue;
		}
	}
}

/* service = exec: the connection is this worker's last, and it becomes
   the program that serves it (worker_exec.c). */
static __dead void
worker_become(struct worker *w, int fd, struct sockaddr_storage *ss,
    socklen_t sslen)
{
	char	peer[LADDR_TEXTLEN];

	worker_peer(ss, sslen, peer, sizeof(peer));
	sb_set_client(w->sb, peer);
	sb_set_exit(w->sb, SB_EXIT_EXEC);	/* its end is the program's */
	sb_set_state(w->sb, SB_BUSY);
	worker_exec(w, fd, ss, sslen);
}

static void
worker_serve(struct worker *w, int fd, struct sockaddr_storage *ss,
    socklen_t sslen, const struct listener *l)
{
	struct handler_conn	conn;
	char			peer[LADDR_TEXTLEN];
	int			rc;

	worker_peer(ss, sslen, peer, sizeof(peer));
	sb_set_client(w->sb, peer);
	setproctitle("worker gen %u busy %s", w->generation, peer);
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
	handler_conn_done(&conn);
	close(fd);
	worker_conn_log(&conn);
	if (rc == HANDLER_EXIT)
		worker_exit(w, SB_EXIT_HANDLER);
}

/*
 * The request cap of a new worker: max plus a jitter in [0, jitter] taken
 * from rnd, so that workers started together do not retire together.
 * 0 means no cap.
 */
unsigned long
worker_request_cap(unsigned int max, unsigned int jitter, uint32_t rnd)
{
	if (max == 0)
		return 0;
	if (jitter == 0)
		return max;
	return (unsigned long)max + rnd % ((uint64_t)jitter + 1);
}

/*
 * Accept and serve until a retirement: the request cap (announced when
 * the last connection is accepted, so that the master starts the
 * replacement while it is served), max_worker_rss, max_worker_age, or the
 * master's word.  A retirement always waits for the connection in hand.
 */
__dead void
worker_main(struct worker *w)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	socklen_t		 sslen;
	uint64_t		 rss;
	int			 fd, last;

	worker_init(w);
	sb_set_state(w->sb, SB_IDLE);
	(void)worker_rss(w);
	worker_announce(w, EV_READY);
	if (w->conf->worker_connections > 1)
		worker_mux_main(w);
	for (;;) {
		sb_set_state(w->sb, SB_IDLE);
		setproctitle("worker gen %u idle", w->generation);
		if ((fd = worker_accept(w, &ss, &sslen, &l)) == -1)
			worker_exit(w, w->leaving);
		if (w->conf->service_kind == SERVICE_EXEC)
			worker_become(w, fd, &ss, sslen);
		last = w->last = w->cap > 0 && w->served + 1 >= w->cap;
		if (last)
			worker_announce(w, EV_RETIRING);
		sb_set_state(w->sb, last ? SB_RETIRING : SB_BUSY);
		worker_serve(w, fd, &ss, sslen, l);
		rss = worker_rss(w);
		sb_served(w->sb, ++w->served, w->waited);
		sb_set_client(w->sb, "");
		if (last)
			worker_exit(w, SB_EXIT_REQUESTS);
		if (w->conf->max_worker_rss_kb > 0 &&
		    rss > w->conf->max_worker_rss_kb) {
			worker_announce(w, EV_RETIRING);
			worker_exit(w, SB_EXIT_RSS);
		}
		if (worker_leaving(w) != SB_EXIT_NONE)
			worker_exit(w, w->leaving);
	}
}
