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
 * master.c: the master process: opens the listeners, keeps the pool and
 * runs the event loop until it is told to stop.
 *
 * The master never reads or writes a client socket.  It sleeps in
 * ppoll(2) with its signals blocked everywhere else (nginx master cycle);
 * the signal handlers only set flags, and the loop does the work in a
 * fixed order: reap, stop, reload, reopen, pool maintenance.
 *
 * Runs as the invoking user (root in production) and keeps its privileges
 * for what needs them: binding, forking, signalling its workers.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

#define MASTER_STOP_TIMEOUT_MS	5000	/* then SIGKILL */

static int	master_stop(struct master *m, const sigset_t *waitmask);
static void	master_close_listeners(struct master *m);
static int	master_wait(const sigset_t *waitmask, int timeout_ms);
static int	master_ready(struct master *m);

/*
 * Check the process identity against the configuration and open every
 * listener; on failure, report and return -1 with nothing left open.
 */
int
master_open(struct master *m)
{
	const struct conf	*conf = m->conf;
	char			 err[256];
	size_t			 i;
	int			 fl;

	if (geteuid() != 0 && *conf->user != '\0' && conf->uid != geteuid()) {
		log_msg(LOG_ERR, "cannot switch workers to user %s: the master "
		    "does not run as root (start it as root, or remove the "
		    "user option)", conf->user);
		return -1;
	}
	m->listeners = calloc(conf->nlisten, sizeof(*m->listeners));
	if (m->listeners == NULL)
		fatal("listeners");
	for (i = 0; i < conf->nlisten; i++) {
		if (listen_open_priv(&m->listeners[i], &conf->listen[i],
		    conf->backlog, conf->unix_mode, err, sizeof(err)) == -1) {
			log_msg(LOG_ERR, "%s", err);
			master_close_listeners(m);
			return -1;
		}
		m->nlisteners++;
		/* Accepted TCP sockets inherit the listener's timeouts: no
		   setsockopt() per connection.  (A blocking accept(2) then
		   returns EAGAIN once per read_timeout when idle.) */
		if (conf->listen[i].family != AF_UNIX &&
		    socket_set_timeouts(m->listeners[i].fd,
		    conf->read_timeout_ms, conf->write_timeout_ms) == 0)
			m->listeners[i].timeouts_inherited = 1;
	}
	/* Several listeners are polled, so accept(2) must not block. */
	for (i = 0; m->nlisteners > 1 && i < m->nlisteners; i++)
		if ((fl = fcntl(m->listeners[i].fd, F_GETFL)) == -1 ||
		    fcntl(m->listeners[i].fd, F_SETFL, fl | O_NONBLOCK) == -1)
			fatal("fcntl %s", m->listeners[i].bound);
	return 0;
}

static void
master_close_listeners(struct master *m)
{
	size_t	i;

	for (i = 0; i < m->nlisteners; i++)
		listen_close(&m->listeners[i], 1);
	free(m->listeners);
	m->listeners = NULL;
	m->nlisteners = 0;
}

/*
 * Sleep until a signal arrives, the workers log something (log file
 * target), or timeout_ms passes (-1: no timeout).
 */
static int
master_wait(const sigset_t *waitmask, int timeout_ms)
{
	struct timespec	ts, *tsp = NULL;
	struct pollfd	pfd;
	int		n;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	pfd.fd = log_pipe_fd();
	pfd.events = POLLIN;
	n = ppoll(&pfd, pfd.fd == -1 ? 0 : 1, tsp, waitmask);
	if (n == -1 && errno != EINTR) {
		log_warn("ppoll");
		return -1;
	}
	if (n > 0 && (pfd.revents & POLLIN))
		log_pipe_drain();
	return 0;
}

/*
 * Tell the service manager the daemon is up once every worker of the
 * pool has reached accept(2) (as its scoreboard slot says).  Returns 1
 * when ready.
 */
static int
master_ready(struct master *m)
{
	unsigned int	i;
	uint32_t	state;

	for (i = 0; i < m->pool.nslots; i++) {
		state = sb_read(&m->sb.slots[i]).state;
		if (m->pool.slots[i].pid <= 0 || (state != SB_IDLE &&
		    state != SB_BUSY))
			return 0;
	}
	log_notice("ready: %u workers", m->pool.nslots);
	notify("READY=1\nSTATUS=%u workers, service %s, %zu listeners",
	    m->pool.nslots, m->conf->service, m->nlisteners);
	return 1;
}

/*
 * Fast stop: SIGTERM to every worker (in-flight connections are cut),
 * SIGKILL to any still alive after MASTER_STOP_TIMEOUT_MS, reap them all.
 */
static int
master_stop(struct master *m, const sigset_t *waitmask)
{
	int64_t	deadline = now_ms() + MASTER_STOP_TIMEOUT_MS;

	m->pool.stopping = 1;
	notify("STOPPING=1\nSTATUS=stopping");
	pool_signal(&m->pool, SIGTERM);
	for (;;) {
		pool_reap(m);
		if (pool_count(&m->pool) == 0)
			break;
		if (now_ms() >= deadline) {
			log_warnx("%u workers still alive after %d ms: killing "
			    "them", pool_count(&m->pool),
			    MASTER_STOP_TIMEOUT_MS);
			pool_signal(&m->pool, SIGKILL);
			deadline = now_ms() + MASTER_STOP_TIMEOUT_MS;
		}
		master_wait(waitmask, (int)(deadline - now_ms()));
	}
	master_close_listeners(m);
	return 0;
}

/* The event loop.  Returns the process exit status. */
int
master_run(struct master *m)
{
	sigset_t	waitmask;
	size_t		i;
	int		timeout, status = 0, signo, ready = 0;

	sig_master_init(&waitmask);
	log_procinit("master", 1, 0);
	setproctitle("master");
	if (sb_create(&m->sb, m->conf->workers) == -1)
		fatal("scoreboard");
	pool_init(&m->pool, m->conf->workers);
	for (i = 0; i < m->nlisteners; i++)
		log_notice("listening on %s", m->listeners[i].bound);
	log_notice("preforkd %s started: service %s, %u workers, user %s",
	    PACKAGE_VERSION, m->conf->service, m->conf->workers,
	    *m->conf->user ? m->conf->user : "(unchanged)");
	if (*m->conf->chroot != '\0')
		log_notice("workers are confined to %s", m->conf->chroot);
	if (geteuid() == 0 && m->conf->uid == 0)
		log_warnx("workers run as root (user = root): a compromised "
		    "worker owns the machine");
	else if (geteuid() != 0)
		log_notice("not started as root: the workers keep uid %u, "
		    "with no capabilities", (unsigned)geteuid());

	for (;;) {
		if (sig_take(SIGCHLD))
			pool_reap(m);
		if (sig_take(SIGTERM) || sig_take(SIGINT) || sig_take(SIGQUIT)) {
			log_notice("stopping");
			break;
		}
		if (m->pool.permanent) {
			log_msg(LOG_ERR, "a worker cannot run as configured: "
			    "stopping");
			status = EXIT_PERMANENT;
			break;
		}
		if (sig_take(SIGUSR1)) {
			if (log_reopen() == 0)
				log_notice("SIGUSR1: log reopened");
		}
		for (signo = 1; signo < NSIG; signo++)
			if (signo != SIGCHLD && sig_take(signo))
				log_notice("%s ignored: not supported by this "
				    "version", signame(signo));
		timeout = pool_maintain(m, now_ms());
		if (!ready && !(ready = master_ready(m)) &&
		    (timeout < 0 || timeout > 20))
			timeout = 20;	/* until every worker is up */
		master_wait(&waitmask, timeout);
	}
	master_stop(m, &waitmask);
	pool_free(&m->pool);
	sb_destroy(&m->sb);
	log_notice("stopped");
	return status;
}
