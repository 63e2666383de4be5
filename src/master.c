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
 * fixed order: reap, worker events, stop, reload, reopen, resize, pool
 * maintenance, control requests.  At rest it sleeps without a timeout.
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

#define MASTER_STOP_TIMEOUT_MS	1000	/* fast stop: then SIGKILL */
#define MASTER_POLL_MS		100	/* while waiting for readiness, in
					   case an EV_READY was lost */

static void	master_close_listeners(struct master *m);
static void	master_wait(struct master *m, const sigset_t *waitmask,
		    int timeout_ms);
static int	master_fast_stop(struct master *m, const sigset_t *waitmask);
static void	master_graceful_stop(struct master *m);
static void	master_resize(struct master *m, int delta);

/*
 * Check the process identity against the configuration and open every
 * listener; on failure, report and return -1 with nothing left open.
 */
int
master_open(struct master *m)
{
	struct errlist	 errs = { 0 };
	struct listener	*closing;
	size_t		 nclosing, i;

	if (geteuid() != 0 && *m->conf->user != '\0' &&
	    m->conf->uid != geteuid()) {
		log_msg(LOG_ERR, "cannot switch workers to user %s: the master "
		    "does not run as root (start it as root, or remove the "
		    "user option)", m->conf->user);
		return -1;
	}
	if (listeners_setup(m->conf, NULL, 0, &m->listeners, &m->nlisteners,
	    &closing, &nclosing, &errs) == -1) {
		for (i = 0; i < errs.n; i++)
			log_msg(errs.rec[i].warning ? LOG_WARNING : LOG_ERR,
			    "%s", errs.msg[i]);
		errlist_free(&errs);
		return -1;
	}
	for (i = 0; i < errs.n; i++)
		log_warnx("%s", errs.msg[i]);
	errlist_free(&errs);
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
	for (i = 0; i < m->reload.nclosing; i++)
		listen_close(&m->reload.closing[i], 1);
	free(m->reload.closing);
	m->reload.closing = NULL;
	m->reload.nclosing = 0;
	/* a reload in progress: the previous set shares the sockets above,
	   except those it alone had (in closing, closed above) */
	reload_forget_previous(&m->reload);
	errlist_free(&m->reload.warnings);
}

/*
 * Sleep until a signal arrives, a worker writes to the channel,
 * a control client speaks, or timeout_ms passes (-1: no timeout).
 */
static void
master_wait(struct master *m, const sigset_t *waitmask, int timeout_ms)
{
	struct pollfd	 pfd[1 + CONTROL_MAX_CLIENTS + 1];
	struct timespec	 ts, *tsp = NULL;
	nfds_t		 n = 0;
	int		 rc;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	pfd[n].fd = m->pool.chan[0];
	pfd[n++].events = POLLIN;
	n += control_pollfds(m, pfd + n);
	rc = ppoll(pfd, n, tsp, waitmask);
	if (rc == -1 && errno != EINTR) {
		log_warn("ppoll");
		return;
	}
	if (rc <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		pool_channel(m);
	control_dispatch(m, pfd + 1, n - 1);
}

/*
 * Whether every worker the current generation should have is up and in
 * accept(2) or serving (as their scoreboard slots say).
 */
int
master_pool_ready(struct master *m)
{
	unsigned int	i, n = 0;
	uint32_t	state;

	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0 || m->pool.slots[i].retiring ||
		    m->pool.slots[i].generation != m->pool.generation)
			continue;
		state = sb_read(sb_at(&m->sb, i)).state;
		if (state == SB_STARTING || state == SB_EMPTY)
			return 0;
		n++;
	}
	return n >= m->pool.target;
}

/* "preforkd: master gen 3, 8 workers" */
void
master_title(struct master *m)
{
	setproctitle("master gen %u, %u worker%s", m->pool.generation,
	    m->pool.target, PLURAL(m->pool.target));
}

/*
 * Fast stop: SIGTERM to every worker (in-flight connections are cut),
 * SIGKILL to any still alive after MASTER_STOP_TIMEOUT_MS, reap them all.
 */
static int
master_fast_stop(struct master *m, const sigset_t *waitmask)
{
	int64_t	deadline = now_ms() + MASTER_STOP_TIMEOUT_MS;

	m->pool.stopping = 1;
	notify("STOPPING=1\nSTATUS=stopping");
	pool_signal(&m->pool, SIGTERM);
	master_close_listeners(m);
	for (;;) {
		pool_reap(m);
		if (pool_count(&m->pool) == 0)
			break;
		if (now_ms() >= deadline) {
			log_warnx("%u worker%s still alive after %d ms: "
			    "killing them", pool_count(&m->pool),
			    PLURAL(pool_count(&m->pool)),
			    MASTER_STOP_TIMEOUT_MS);
			pool_signal(&m->pool, SIGKILL);
			deadline = now_ms() + MASTER_STOP_TIMEOUT_MS;
		}
		master_wait(m, waitmask, (int)(deadline - now_ms()));
	}
	return 0;
}

/*
 * Graceful stop: stop accepting at once (the listening sockets close in
 * the master, and in each worker as it exits), let every worker finish
 * the connection in hand, up to graceful_timeout.
 */
static void
master_graceful_stop(struct master *m)
{
	unsigned int	i;
	int64_t		now = now_ms();

	m->pool.stopping = 2;
	notify("STOPPING=1\nSTATUS=stopping gracefully");
	master_close_listeners(m);
	for (i = 0; i < m->pool.nslots; i++)
		if (m->pool.slots[i].pid > 0) {
			m->pool.slots[i].told = TOLD_NONE;	/* now: stop */
			pool_retire(m, &m->pool.slots[i], TOLD_STOP,
			    m->conf->graceful_timeout_ms, now);
		}
	log_notice("graceful stop: waiting for %u worker%s (at most %d ms)",
	    pool_count(&m->pool), PLURAL(pool_count(&m->pool)),
	    m->conf->graceful_timeout_ms);
}

/* SIGTTIN, SIGTTOU: one worker more or fewer, between 1 and the max. */
static void
master_resize(struct master *m, int delta)
{
	unsigned int	i, max = m->conf->workers_max;
	uint32_t	state;

	if ((delta > 0 && m->pool.target >= max) ||
	    (delta < 0 && m->pool.target <= 1)) {
		log_notice("%s: the pool stays at %u worker%s (limits 1 to "
		    "%u)", delta > 0 ? "SIGTTIN" : "SIGTTOU", m->pool.target,
		    PLURAL(m->pool.target), max);
		return;
	}
	m->pool.target += delta;
	log_notice("%s: the pool goes to %u worker%s",
	    delta > 0 ? "SIGTTIN" : "SIGTTOU", m->pool.target,
	    PLURAL(m->pool.target));
	master_title(m);
	if (delta > 0)
		return;
	/* retire one worker of this generation, an idle one if possible */
	for (state = SB_IDLE; state != SB_EMPTY;
	    state = state == SB_IDLE ? SB_READING : SB_EMPTY)
		for (i = 0; i < m->pool.nslots; i++)
			if (m->pool.slots[i].pid > 0 &&
			    !m->pool.slots[i].retiring &&
			    m->pool.slots[i].generation == m->pool.generation &&
			    sb_read(sb_at(&m->sb, i)).state == state) {
				pool_retire(m, &m->pool.slots[i], TOLD_TTOU,
				    m->conf->graceful_timeout_ms, now_ms());
				return;
			}
	for (i = 0; i < m->pool.nslots; i++)
		if (m->pool.slots[i].pid > 0 && !m->pool.slots[i].retiring &&
		    m->pool.slots[i].generation == m->pool.generation) {
			pool_retire(m, &m->pool.slots[i], TOLD_TTOU,
			    m->conf->graceful_timeout_ms, now_ms());
			return;
		}
}

/*
 * Start the daemon with conf (which it then owns): leave the terminal
 * unless told to stay, take the pidfile, open the log, bind, then run
 * the loop.  Everything that fails on the way is said on the terminal
 * of the command (detach.c) and makes it exit non-zero.  Returns the
 * exit status.
 */
int
master_main(struct conf *conf, const char *pidfile, int foreground,
    int verbose)
{
	struct master	 m;
	struct pidlock	 pl;
	char		 err[PATH_MAX + 256];
	pid_t		 other;
	int		 status = 1, target;

	memset(&m, 0, sizeof(m));
	memset(&pl, 0, sizeof(pl));
	pl.fd = pl.dirfd = -1;
	m.conf = conf;
	m.foreground = foreground;
	m.verbose = verbose;
	m.pidfile = pidfile;
	if (pidfile != NULL)
		conf_set_pidfile(conf, pidfile);
	target = log_resolve_target(conf->log_target, foreground);
	if (!foreground)
		detach_start(target == LOG_TO_STDERR);
	if (*conf->pidfile != '\0' && pidlock_take(&pl, conf->pidfile,
	    &other, err, sizeof(err)) == -1) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	if (log_open(conf->log_target, verbose ? LOG_DEBUG : conf->log_level,
	    conf->syslog_facility, conf->log_file, foreground, err,
	    sizeof(err)) == -1) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	if (foreground && target != LOG_TO_STDERR)
		log_tee(STDERR_FILENO, 0);	/* until the workers are ready */
	if (master_open(&m) == -1)
		goto out;
	if (pidlock_write(&pl, err, sizeof(err)) == -1) {
		log_msg(LOG_ERR, "%s", err);
		master_close_listeners(&m);
		goto out;
	}
	status = master_run(&m);
 out:
	detach_done(status);
	pidlock_release(&pl);
	conf_free(m.conf);
	return status;
}

/* The event loop.  Returns the process exit status. */
int
master_run(struct master *m)
{
	sigset_t	waitmask;
	size_t		i;
	int		timeout, t, status = 0, signo, ready = 0;
	int64_t		now;

	sig_master_init(&waitmask);
	sig_backtrace_preload();
	log_procinit("master", 1, 0);
	m->started_ms = now_ms();
	if (sb_create(&m->sb, PREFORKD_MAX_SLOTS) == -1)
		fatal("scoreboard");
	pool_init(&m->pool, PREFORKD_MAX_SLOTS);
	m->pool.target = m->conf->workers;
	master_title(m);
	if (control_open(m) == -1)
		status = 1;
	for (i = 0; i < m->nlisteners; i++)
		log_notice("listening on %s", m->listeners[i].bound);
	log_notice("preforkd %s started: service %s, %u worker%s, user %s",
	    PACKAGE_VERSION, m->conf->service, m->conf->workers,
	    PLURAL(m->conf->workers),
	    *m->conf->user ? m->conf->user : "(unchanged)");
	if (*m->conf->chroot != '\0')
		log_notice("workers are confined to %s", m->conf->chroot);
	if (geteuid() == 0 && m->conf->uid == 0)
		log_warnx("workers run as root (user = root): a compromised "
		    "worker owns the machine");
	else if (geteuid() != 0)
		log_notice("not started as root: the workers keep uid %u, "
		    "with no capabilities", (unsigned)geteuid());

	while (status == 0) {
		if (sig_take(SIGCHLD))
			pool_reap(m);
		if (sig_take(SIGTERM) || sig_take(SIGINT)) {
			log_notice("stopping");
			break;
		}
		if (sig_take(SIGQUIT) && m->pool.stopping == 0) {
			log_notice("SIGQUIT: graceful stop");
			master_graceful_stop(m);
		}
		if (m->pool.stopping == 2 && pool_count(&m->pool) == 0) {
			log_notice("graceful stop: every worker is done");
			break;
		}
		if (m->pool.permanent && m->reload.active &&
		    m->reload.prev_conf != NULL && m->pool.stopping == 0)
			reload_abandon(m, "cannot run as configured (a worker "
			    "exited 78)");
		else if (m->pool.permanent) {
			log_msg(LOG_ERR, "a worker cannot run as configured: "
			    "stopping");
			status = EXIT_PERMANENT;
			break;
		}
		if (sig_take(SIGHUP) && m->pool.stopping == 0)
			reload_start(m);
		if (sig_take(SIGUSR1) && log_reopen() == 0)
			log_notice("SIGUSR1: log reopened");
		if (sig_take(SIGTTIN) && m->pool.stopping == 0)
			master_resize(m, 1);
		if (sig_take(SIGTTOU) && m->pool.stopping == 0)
			master_resize(m, -1);
		for (signo = 1; signo < NSIG; signo++)
			if (signo != SIGCHLD && sig_take(signo))
				log_notice("%s ignored", signame(signo));
		now = now_ms();
		timeout = pool_maintain(m, now);
		if (!ready && (ready = master_pool_ready(m))) {
			log_notice("ready: %u worker%s", m->pool.target,
			    m->pool.target == 1 ? "" : "s");
			notify("READY=1\nSTATUS=generation %u: %u workers, "
			    "service %s", m->pool.generation, m->pool.target,
			    m->conf->service);
			detach_done(0);
		}
		if (!ready && detach_pending() && now - m->started_ms >
		    m->conf->graceful_timeout_ms) {
			log_msg(LOG_ERR, "the workers did not reach accept(2) "
			    "within graceful_timeout (%d ms): not started",
			    m->conf->graceful_timeout_ms);
			status = 1;
			break;
		}
		reload_progress(m, now);
		if ((!ready || (m->reload.active && !m->reload.ready)) &&
		    (timeout < 0 || timeout > MASTER_POLL_MS))
			timeout = MASTER_POLL_MS;	/* until workers are up */
		control_expire(m, now);
		if ((t = control_timeout(m, now)) >= 0 &&
		    (timeout < 0 || t < timeout))
			timeout = t;		/* a silent control client */
		master_wait(m, &waitmask, timeout);
	}
	master_fast_stop(m, &waitmask);
	control_close(m);
	pool_free(&m->pool);
	sb_destroy(&m->sb);
	log_notice("stopped");
	return status;
}
