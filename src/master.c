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
 * master.c: the master process: starts the daemon, owns its state
 * (struct master: the generations, the pool, the reload, the control
 * socket) and runs the event loop until it is told to stop.
 *
 * The master never reads or writes a client socket.  It sleeps in
 * ppoll(2) with its signals blocked everywhere else (nginx master cycle);
 * the signal handlers only set flags, and the loop does the work in a
 * fixed order: reap, stop, reload, reopen, resize, pool maintenance,
 * reload progress, then, after the sleep, what workers and control
 * clients said.  Lower modules report by return value or by state the
 * loop reads (a reload's verdict, a control request, a generation's
 * readiness); none calls back up.  At rest it sleeps without a timeout.
 *
 * Runs as the invoking user (root in production) and keeps its privileges
 * for what needs them: binding, forking, signalling its workers.
 */

#include <errno.h>
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

static int	master_open(struct master *m, struct conf *conf);
static void	master_started(struct master *m);
static int	master_turn(struct master *m, const sigset_t *waitmask);
static void	master_wait(struct master *m, const sigset_t *waitmask,
		    int timeout_ms);
static void	master_requests(struct master *m);
static void	master_reload(struct master *m);
static void	master_progress(struct master *m, int64_t now);
static void	master_verdict(struct master *m, int ok,
		    const struct errlist *errs);
static void	master_title(struct master *m);
static void	master_fast_stop(struct master *m, const sigset_t *waitmask);
static void	master_graceful_stop(struct master *m);
static int	master_run(struct master *m);

/*
 * Check the process identity against conf and make the first generation
 * (its listeners bound); on failure, report and return -1 with nothing
 * left open.  conf is the generation's, or freed.
 */
static int
master_open(struct master *m, struct conf *conf)
{
	struct errlist		 errs = { 0 };
	struct generation	*g;
	size_t			 i;

	if (geteuid() != 0 && *conf->user != '\0' && conf->uid != geteuid()) {
		log_msg(LOG_ERR, "cannot switch workers to user %s: the master "
		    "does not run as root (start it as root, or remove the "
		    "user option)", conf->user);
		conf_free(conf);
		return -1;
	}
	g = gen_new(&m->gens, conf, &errs);
	for (i = 0; i < errs.n; i++)
		log_msg(errs.rec[i].warning ? LOG_WARNING : LOG_ERR, "%s",
		    errs.msg[i]);
	errlist_free(&errs);
	if (g == NULL)
		return -1;
	gen_switch(&m->gens, g);
	return 0;
}

/*
 * Start the daemon with conf (which it then owns): leave the terminal
 * unless told to stay, take the pidfile, open the log, bind, then run
 * the loop.  Everything that fails on the way is said on the terminal
 * of the command (detach.c) and makes it exit non-zero.  pidfile: -p.
 * Returns the exit status.
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
	gen_init(&m.gens);
	reload_init(&m.reload);
	m.ctl.fd = -1;
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
		conf_free(conf);
		goto out;
	}
	if (log_open(conf->log_target, verbose ? LOG_DEBUG : conf->log_level,
	    conf->syslog_facility, conf->log_file, foreground, err,
	    sizeof(err)) == -1) {
		log_msg(LOG_ERR, "%s", err);
		conf_free(conf);
		goto out;
	}
	if (foreground && target != LOG_TO_STDERR)
		log_tee(STDERR_FILENO, 0);	/* until the workers are ready */
	if (master_open(&m, conf) == -1)
		goto out;
	if (pidlock_write(&pl, err, sizeof(err)) == -1)
		log_msg(LOG_ERR, "%s", err);
	else
		status = master_run(&m);
 out:
	detach_done(status);
	pidlock_release(&pl);
	gen_free_all(&m.gens);
	reload_free(&m.reload);
	return status;
}

/* Log what was started, and what an administrator should know of it. */
static void
master_started(struct master *m)
{
	const struct conf	*conf = m->gens.cur->conf;
	size_t			 i;

	for (i = 0; i < m->gens.cur->ls.n; i++)
		log_notice("listening on %s", m->gens.cur->ls.l[i]->bound);
	log_notice("preforkd %s started: service %s, %u worker%s, user %s",
	    PACKAGE_VERSION, conf->service, conf->workers,
	    PLURAL(conf->workers), *conf->user ? conf->user : "(unchanged)");
	if (*conf->chroot != '\0')
		log_notice("workers are confined to %s", conf->chroot);
	if (geteuid() == 0 && conf->uid == 0)
		log_warnx("workers run as root (user = root): a compromised "
		    "worker owns the machine");
	else if (geteuid() != 0)
		log_notice("not started as root: the workers keep uid %u, "
		    "with no capabilities", (unsigned)geteuid());
}

/* "preforkd: master gen 3, 8 workers", set when it changes. */
static void
master_title(struct master *m)
{
	const struct generation	*g = m->gens.cur;

	if (g->id == m->titled_gen && g->target == m->titled_target)
		return;
	setproctitle("master gen %u, %u worker%s", g->id, g->target,
	    PLURAL(g->target));
	m->titled_gen = g->id;
	m->titled_target = g->target;
}

/*
 * Sleep until a signal arrives, a worker writes to the channel, a
 * control client speaks, or timeout_ms passes (-1: no timeout); then
 * take what they said.
 */
static void
master_wait(struct master *m, const sigset_t *waitmask, int timeout_ms)
{
	struct pollfd	 pfd[POOL_POLLFDS + CONTROL_MAX_CLIENTS + 1];
	struct timespec	 ts, *tsp = NULL;
	nfds_t		 n, np;
	int		 rc;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	n = np = pool_pollfds(&m->pool, pfd);
	n += control_pollfds(&m->ctl, pfd + n);
	rc = ppoll(pfd, n, tsp, waitmask);
	if (rc == -1 && errno != EINTR) {
		log_warn("ppoll");
		return;
	}
	if (rc <= 0)
		return;
	pool_input(&m->pool, pfd, np, now_ms());
	control_dispatch(&m->ctl, pfd + np, n - np, now_ms());
	master_requests(m);
}

/* Answer the control clients' requests, in the order they came. */
static void
master_requests(struct master *m)
{
	struct control_req	 req;
	struct status_src	 src;
	char			*text;
	size_t			 len;

	while (control_next(&m->ctl, &req)) {
		if (req.type == CONTROL_RELOAD && m->pool.stopping)
			control_reply(&m->ctl, req.client, "error\nstopping\n",
			    15);
		else if (req.type == CONTROL_RELOAD) {
			control_wait_reload(&m->ctl, req.client,
			    m->reload.seq + 1);
			master_reload(m);	/* may answer at once */
		} else if (req.type == CONTROL_STATUS) {
			src.pool = &m->pool;
			src.gens = &m->gens;
			src.reload = &m->reload;
			src.started_ms = m->started_ms;
			if ((len = status_render(&src, req.arg, &text)) > 0 ||
			    text != NULL) {
				control_reply(&m->ctl, req.client, text, len);
				free(text);
			} else
				control_reply(&m->ctl, req.client,
				    "error\nunknown request\n", 22);
		} else
			control_reply(&m->ctl, req.client,
			    "error\nunknown request\n", 22);
	}
}

/*
 * Answer the clients waiting for the reload that just ended: "ok
 * generation N" and its warnings, or "error" and every message.
 */
static void
master_verdict(struct master *m, int ok, const struct errlist *errs)
{
	char	*text = NULL;
	size_t	 len = 0, j;
	FILE	*f;

	if ((f = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	if (ok)		/* every line after the first is a warning */
		fprintf(f, "ok generation %u\n", m->gens.cur->id);
	else
		fprintf(f, "error\n");
	for (j = 0; errs != NULL && j < errs->n; j++)
		fprintf(f, "%s\n", errs->msg[j]);
	if (!ok)
		fprintf(f, "reload failed: still serving generation %u with "
		    "the previous configuration\n", m->gens.cur->id);
	fclose(f);
	control_reload_done(&m->ctl, m->reload.seq, text, len);
	free(text);
}

/* SIGHUP, or `-s reload`: start a reload, answer if it is refused. */
static void
master_reload(struct master *m)
{
	struct errlist	errs = { 0 };

	switch (reload_start(&m->reload, &m->gens, m->pidfile, m->verbose,
	    &errs)) {
	case RELOAD_REFUSED:
		master_verdict(m, 0, &errs);
		break;
	case RELOAD_STARTED:
		/* a crash loop of the old configuration ends here */
		pool_reset_backoff(m->gens.prev);
		break;
	}
	errlist_free(&errs);
}

/* Follow a reload: answer its clients, start a merged one. */
static void
master_progress(struct master *m, int64_t now)
{
	struct errlist	errs = { 0 };

	switch (reload_progress(&m->reload, &m->gens, &m->pool, now, &errs)) {
	case RELOAD_READY:
		master_verdict(m, 1, &m->reload.warnings);
		reload_free(&m->reload);
		break;
	case RELOAD_UNDONE:
		master_verdict(m, 0, &errs);
		break;
	case RELOAD_DONE:
		if (m->reload.pending) {
			m->reload.pending = 0;
			master_reload(m);
		}
		break;
	}
	errlist_free(&errs);
}

/*
 * Fast stop: SIGTERM to every worker (in-flight connections are cut),
 * SIGKILL to any still alive after MASTER_STOP_TIMEOUT_MS, reap them all.
 */
static void
master_fast_stop(struct master *m, const sigset_t *waitmask)
{
	int64_t	deadline = now_ms() + MASTER_STOP_TIMEOUT_MS;

	m->pool.stopping = 1;
	notify("STOPPING=1\nSTATUS=stopping");
	pool_signal(&m->pool, SIGTERM);
	gen_close_listeners(&m->gens);
	for (;;) {
		pool_reap(&m->pool, now_ms());
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
}

/*
 * Graceful stop: stop accepting at once (the listening sockets close in
 * the master, and in each worker as it exits), let every worker finish
 * the connection in hand, up to graceful_timeout.
 */
static void
master_graceful_stop(struct master *m)
{
	int	grace = m->gens.cur->conf->graceful_timeout_ms;

	notify("STOPPING=1\nSTATUS=stopping gracefully");
	gen_close_listeners(&m->gens);
	pool_stop(&m->pool, grace, now_ms());
	log_notice("graceful stop: waiting for %u worker%s (at most %d ms)",
	    pool_count(&m->pool), PLURAL(pool_count(&m->pool)), grace);
}

/*
 * One turn of the loop, in its fixed order.  Returns 0 to go on, -1 to
 * stop with status 0, or the exit status.
 */
static int
master_turn(struct master *m, const sigset_t *waitmask)
{
	struct generation	*g = m->gens.cur;
	int			 signo, timeout, t;
	int64_t			 now;

	if (sig_take(SIGCHLD))
		pool_reap(&m->pool, now_ms());
	if (sig_take(SIGTERM) || sig_take(SIGINT)) {
		log_notice("stopping");
		return -1;
	}
	if (sig_take(SIGQUIT) && m->pool.stopping == 0) {
		log_notice("SIGQUIT: graceful stop");
		master_graceful_stop(m);
	}
	if (m->pool.stopping == 2 && pool_count(&m->pool) == 0) {
		log_notice("graceful stop: every worker is done");
		return -1;
	}
	/* (during a reload, reload_progress() undoes it instead) */
	if (g->permanent && !(m->reload.active && !m->reload.ready)) {
		log_msg(LOG_ERR, "a worker cannot run as configured: stopping");
		return EXIT_PERMANENT;
	}
	if (sig_take(SIGHUP) && m->pool.stopping == 0)
		master_reload(m);
	if (sig_take(SIGUSR1) && log_reopen() == 0)
		log_notice("SIGUSR1: log reopened");
	if (sig_take(SIGTTIN) && m->pool.stopping == 0)
		pool_resize(&m->pool, m->gens.cur, 1, now_ms());
	if (sig_take(SIGTTOU) && m->pool.stopping == 0)
		pool_resize(&m->pool, m->gens.cur, -1, now_ms());
	for (signo = 1; signo < NSIG; signo++)
		if (signo != SIGCHLD && sig_take(signo))
			log_notice("%s ignored", signame(signo));
	now = now_ms();
	timeout = pool_maintain(&m->pool, &m->gens, now);
	g = m->gens.cur;
	if (!m->ready && (m->ready = pool_ready(&m->pool, g))) {
		log_notice("ready: %u worker%s", g->target,
		    g->target == 1 ? "" : "s");
		notify("READY=1\nSTATUS=generation %u: %u workers, service %s",
		    g->id, g->target, g->conf->service);
		detach_done(0);
	}
	if (!m->ready && detach_pending() && now - m->started_ms >
	    g->conf->graceful_timeout_ms) {
		log_msg(LOG_ERR, "the workers did not reach accept(2) within "
		    "graceful_timeout (%d ms): not started",
		    g->conf->graceful_timeout_ms);
		return 1;
	}
	master_progress(m, now);
	gen_collect(&m->gens);
	master_title(m);
	if ((!m->ready || (m->reload.active && !m->reload.ready)) &&
	    (timeout < 0 || timeout > MASTER_POLL_MS))
		timeout = MASTER_POLL_MS;	/* until workers are up */
	control_expire(&m->ctl, now);
	if ((t = control_timeout(&m->ctl, now)) >= 0 &&
	    (timeout < 0 || t < timeout))
		timeout = t;		/* a silent control client */
	master_wait(m, waitmask, timeout);
	return 0;
}

/* The event loop.  Returns the process exit status. */
static int
master_run(struct master *m)
{
	sigset_t	waitmask;
	int		status = 0;

	sig_master_init(&waitmask);
	sig_backtrace_preload();
	log_procinit("master", 1, 0);
	m->started_ms = now_ms();
	pool_init(&m->pool, PREFORKD_MAX_SLOTS);
	master_title(m);
	if (control_open(&m->ctl, m->gens.cur->conf->control_socket) == -1)
		status = 1;
	master_started(m);
	while (status == 0)
		status = master_turn(m, &waitmask);
	if (status == -1)
		status = 0;
	master_fast_stop(m, &waitmask);
	control_close(&m->ctl);
	pool_free(&m->pool);
	log_notice("stopped");
	return status;
}
