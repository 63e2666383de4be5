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
 * reload.c: configuration reload (SIGHUP) as a generation switch, and the
 * listener set that both the start and a reload build.
 *
 * All or nothing: the new file is parsed and checked completely, and
 * every new listener is bound, before anything changes; on any error the
 * old configuration keeps serving, untouched, and the errors are logged
 * as FILE:LINE: messages.  On success, listeners present in both
 * configurations keep their open socket (nothing is ever refused), new
 * ones are added, removed ones are closed once the old workers are gone;
 * a new generation of workers starts, and once it accepts connections the
 * old generation finishes the connections it holds and exits (SIGTERM,
 * then SIGKILL, after graceful_timeout).  If the new generation cannot
 * start (its workers fail, or are not accepting after graceful_timeout),
 * the reload fails and the old generation simply goes on serving.  At
 * most two generations live at once: a SIGHUP during a reload is merged
 * into one more reload, run when the old generation is gone.
 *
 * Runs in the master, as root.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

#define POOL_ABANDON_GRACE_MS	1000	/* then SIGTERM */

static void	reload_keep(struct conf *new, const struct conf *old,
		    struct errlist *warn);
static void	reload_fail(struct master *m, struct errlist *errs);

/*
 * The settings of conf on open listening sockets: backlog, unix mode,
 * TCP_DEFER_ACCEPT, timeouts (inherited by accepted TCP sockets), and
 * blocking mode (several listeners are polled, so accept(2) must not
 * block; a single one is waited on in accept(2) itself).
 */
void
listeners_apply(const struct conf *conf, struct listener *ls, size_t n,
    struct errlist *warn)
{
	struct listener	*l;
	char		 err[PATH_MAX + 128] = "";
	size_t		 i;
	int		 secs, fl;

	for (i = 0; i < n; i++) {
		l = &ls[i];
		(void)listen(l->fd, conf->backlog);
		if (l->addr.family == AF_UNIX) {
			if (listen_set_mode_priv(l, conf->unix_mode, err,
			    sizeof(err)) == -1 && warn != NULL)
				errlist_add_at(warn, conf->file, 0, "unix_mode",
				    1, "%s", err);
			else if (warn == NULL && *err != '\0')
				log_warnx("unix_mode: %s", err);
		} else {
			secs = (conf->defer_accept_ms + 999) / 1000;
			(void)setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT,
			    &secs, sizeof(secs));
		}
		l->timeouts_inherited = l->addr.family != AF_UNIX &&
		    socket_set_timeouts(l->fd, conf->read_timeout_ms,
		    conf->write_timeout_ms) == 0;
		if ((fl = fcntl(l->fd, F_GETFL)) == -1 ||
		    fcntl(l->fd, F_SETFL, n > 1 ? fl | O_NONBLOCK :
		    fl & ~O_NONBLOCK) == -1)
			fatal("fcntl %s", l->bound);
	}
}

/*
 * Build the listener set of conf: reuse the open socket of every address
 * already in old[] (updating its backlog, mode and timeouts), bind the
 * others.  The old listeners not reused are returned in *closing.  On
 * failure, nothing changes: the sockets opened here are closed, errors
 * go to errs.
 */
int
listeners_setup(const struct conf *conf, struct listener *old, size_t nold,
    struct listener **out, size_t *nout, struct listener **closing,
    size_t *nclosing, struct errlist *errs)
{
	struct listener	*l;
	char		 err[PATH_MAX + 128];
	size_t		 i, j, n = 0;
	int		*used = NULL, failed = 0;

	*out = calloc(conf->nlisten, sizeof(**out));
	if (*out == NULL || (nold > 0 && (used = calloc(nold,
	    sizeof(*used))) == NULL))
		fatal("listeners");
	for (i = 0; i < conf->nlisten && !failed; i++) {
		for (j = 0; j < nold; j++)
			if (!used[j] && strcmp(old[j].addr.text,
			    conf->listen[i].text) == 0)
				break;
		l = &(*out)[n];
		if (j < nold) {
			used[j] = 1;
			*l = old[j];	/* the same socket */
		} else if (listen_open_priv(l, &conf->listen[i], conf->backlog,
		    conf->unix_mode, err, sizeof(err)) == -1) {
			errlist_add_at(errs, conf->file, conf->listen[i].line,
			    "listen", 0, "%s", err);
			failed = 1;
			break;
		}
		n++;
	}
	if (failed) {
		for (i = 0; i < n; i++) {
			for (j = 0; j < nold; j++)
				if (used[j] && old[j].fd == (*out)[i].fd)
					break;
			if (j == nold)		/* opened here */
				listen_close(&(*out)[i], 1);
		}
		free(*out);
		free(used);
		*out = NULL;
		return -1;
	}
	listeners_apply(conf, *out, n, errs);
	*nout = n;
	*closing = NULL;
	*nclosing = 0;
	if (nold > 0 && (*closing = calloc(nold, sizeof(**closing))) == NULL)
		fatal("listeners");
	for (j = 0; j < nold; j++)
		if (!used[j])
			(*closing)[(*nclosing)++] = old[j];
	free(used);
	return 0;
}

/*
 * Settings a reload cannot change: keep the running ones, and say so in
 * warnings (logged, and part of the verdict `-s reload` prints).
 */
static void
reload_keep(struct conf *new, const struct conf *old, struct errlist *warn)
{
	if (strcmp(new->pidfile, old->pidfile) != 0)
		errlist_add_at(warn, new->file, 0, "pidfile", 1, "changes "
		    "need a restart: keeping %s", old->pidfile);
	if (strcmp(new->control_socket, old->control_socket) != 0)
		errlist_add_at(warn, new->file, 0, "control_socket", 1,
		    "changes need a restart: keeping %s",
		    *old->control_socket ? old->control_socket : "none");
	if (new->log_target != old->log_target ||
	    strcmp(new->log_file, old->log_file) != 0 ||
	    new->syslog_facility != old->syslog_facility)
		errlist_add_at(warn, new->file, 0, "log_target", 1, "log_target, "
		    "log_file and syslog_facility changes need a restart: "
		    "keeping the running ones");
	strlcpy(new->pidfile, old->pidfile, sizeof(new->pidfile));
	strlcpy(new->control_socket, old->control_socket,
	    sizeof(new->control_socket));
	new->log_target = old->log_target;
	strlcpy(new->log_file, old->log_file, sizeof(new->log_file));
	new->syslog_facility = old->syslog_facility;
}

static void
reload_fail(struct master *m, struct errlist *errs)
{
	size_t	i;

	m->reload.failed++;
	for (i = 0; i < errs->n; i++)
		if (!errs->rec[i].warning)
			log_msg(LOG_ERR, "reload: %s", errs->msg[i]);
	log_msg(LOG_ERR, "reload failed: still serving generation %u with "
	    "the previous configuration", m->pool.generation);
	notify("READY=1\nSTATUS=reload failed (%zu errors), generation %u "
	    "still serving", errs->n, m->pool.generation);
	control_reload_done(m, 0, errs);
}

/*
 * SIGHUP: parse and check the file, bind the new listeners, then switch
 * to a new generation.  During a reload, only remember that another one
 * is wanted.
 */
void
reload_start(struct master *m)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	struct listener	*ls, *closing;
	struct timespec	 ts;
	size_t		 nls, nclosing, i;
	int64_t		 now = now_ms();

	if (m->reload.active) {
		if (!m->reload.pending)
			log_notice("SIGHUP during a reload: one more reload "
			    "when generation %u is gone", m->pool.generation - 1);
		m->reload.pending = 1;
		return;
	}
	m->reload.seq++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	    (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	    m->conf->file);
	log_notice("reloading %s", m->conf->file);
	m->reload.started_ms = now;
	if ((conf = conf_load(m->conf->file, &errs)) == NULL) {
		reload_fail(m, &errs);
		errlist_free(&errs);
		return;
	}
	if (m->pidfile != NULL)
		conf_set_pidfile(conf, m->pidfile);
	reload_keep(conf, m->conf, &errs);
	if (geteuid() != 0 && *conf->user != '\0' && conf->uid != geteuid())
		errlist_add(&errs, "cannot switch workers to user %s: the "
		    "master does not run as root", conf->user);
	if (errlist_errors(&errs, 0) > 0 || listeners_setup(conf,
	    m->listeners, m->nlisteners, &ls, &nls, &closing, &nclosing,
	    &errs) == -1) {
		reload_fail(m, &errs);
		errlist_free(&errs);
		conf_free(conf);
		return;
	}
	for (i = 0; i < errs.n; i++)
		log_warnx("reload: %s", errs.msg[i]);
	/* The switch: nothing below can fail.  The previous configuration,
	   listener set and pool size are kept until the new generation
	   accepts: the old generation serves with them meanwhile
	   (pool_keep_previous()), and reload_abandon() goes back to them. */
	m->reload.prev_conf = m->conf;
	m->reload.prev_listeners = m->listeners;
	m->reload.nprev = m->nlisteners;
	m->listeners = ls;
	m->nlisteners = nls;
	m->reload.closing = closing;
	m->reload.nclosing = nclosing;
	m->conf = conf;
	log_setlevel(m->verbose ? LOG_DEBUG : conf->log_level);
	m->reload.prev_target = m->pool.target;
	m->pool.generation++;
	m->pool.target = conf->workers;
	pool_reset_backoff(&m->pool);
	m->pool.permanent = 0;
	m->reload.active = 1;
	m->reload.ready = 0;
	errlist_free(&m->reload.warnings);
	m->reload.warnings = errs;	/* for the verdict */
	log_notice("reload: configuration accepted, starting generation %u; "
	    "the running workers serve until it accepts", m->pool.generation);
}

/*
 * Let go of the previous configuration and listener set, kept while a
 * reload is pending.  Their sockets stay open: the current set, or
 * reload.closing, owns them.
 */
void
reload_forget_previous(struct reload *r)
{
	conf_free(r->prev_conf);
	r->prev_conf = NULL;
	free(r->prev_listeners);
	r->prev_listeners = NULL;
	r->nprev = 0;
}

/*
 * The new generation cannot start (its workers fail permanently, or are
 * still not accepting after graceful_timeout): the reload fails and is
 * undone.  Its workers are stopped, the listeners it opened are closed,
 * and the previous configuration and generation are current again, so
 * that its workers go on serving and are replaced as usual.
 */
void
reload_abandon(struct master *m, const char *why)
{
	struct errlist	 errs = { 0 };
	unsigned int	 i, gen = m->pool.generation;
	size_t		 j, k;
	int64_t		 now = now_ms();

	for (i = 0; i < m->pool.nslots; i++)
		if (m->pool.slots[i].pid > 0 &&
		    m->pool.slots[i].generation == gen)
			pool_retire(m, &m->pool.slots[i], TOLD_RELOAD,
			    POOL_ABANDON_GRACE_MS, now);
	for (j = 0; j < m->nlisteners; j++) {
		for (k = 0; k < m->reload.nprev; k++)
			if (m->reload.prev_listeners[k].fd ==
			    m->listeners[j].fd)
				break;
		if (k == m->reload.nprev)	/* opened by this reload */
			listen_close(&m->listeners[j], 1);
	}
	free(m->listeners);
	m->listeners = m->reload.prev_listeners;
	m->nlisteners = m->reload.nprev;
	m->reload.prev_listeners = NULL;
	m->reload.nprev = 0;
	free(m->reload.closing);	/* still in use: not closed */
	m->reload.closing = NULL;
	m->reload.nclosing = 0;
	conf_free(m->conf);
	m->conf = m->reload.prev_conf;
	m->reload.prev_conf = NULL;
	listeners_apply(m->conf, m->listeners, m->nlisteners, NULL);
	log_setlevel(m->verbose ? LOG_DEBUG : m->conf->log_level);
	m->pool.generation = gen - 1;
	m->pool.target = m->reload.prev_target;
	m->pool.permanent = 0;
	pool_reset_backoff(&m->pool);

	errlist_add(&errs, "generation %u %s", gen, why);
	errlist_free(&m->reload.warnings);
	m->reload.active = 0;
	m->reload.pending = 0;
	m->reload.failed++;
	log_msg(LOG_ERR, "reload failed: generation %u %s; back to "
	    "generation %u and its configuration", gen, why, gen - 1);
	notify("READY=1\nSTATUS=reload failed: generation %u %s; "
	    "generation %u serving", gen, why, gen - 1);
	master_title(m);
	control_reload_done(m, 0, &errs);
	errlist_free(&errs);
}

/*
 * Called from the loop during a reload: report when the new generation
 * accepts, finish when the old one is gone (closing removed listeners),
 * then run a reload that was asked for meanwhile.
 */
void
reload_progress(struct master *m, int64_t now)
{
	size_t	i;

	if (!m->reload.active || m->pool.stopping)
		return;
	if (!m->reload.ready && !master_pool_ready(m)) {
		if (now - m->reload.started_ms > m->conf->graceful_timeout_ms)
			reload_abandon(m, "did not start within "
			    "graceful_timeout");
		return;
	}
	if (!m->reload.ready) {
		/* only now: the old generation serves until the new one can */
		pool_retire_older(m, m->pool.generation, TOLD_RELOAD,
		    m->conf->graceful_timeout_ms, now);
		reload_forget_previous(&m->reload);
		m->reload.ready = 1;
		m->reload.ok++;
		log_notice("reload: generation %u accepting, %lld ms after "
		    "the SIGHUP", m->pool.generation,
		    (long long)(now - m->reload.started_ms));
		notify("READY=1\nSTATUS=generation %u: %u workers, service "
		    "%s", m->pool.generation, m->pool.target,
		    m->conf->service);
		master_title(m);
		control_reload_done(m, 1, &m->reload.warnings);
		errlist_free(&m->reload.warnings);
	}
	if (!m->reload.ready || pool_older(&m->pool, m->pool.generation) > 0)
		return;
	for (i = 0; i < m->reload.nclosing; i++) {
		log_notice("reload: closing %s", m->reload.closing[i].bound);
		listen_close(&m->reload.closing[i], 1);
	}
	free(m->reload.closing);
	m->reload.closing = NULL;
	m->reload.nclosing = 0;
	m->reload.active = 0;
	log_notice("reload: generation %u complete, %lld ms after the "
	    "SIGHUP", m->pool.generation,
	    (long long)(now - m->reload.started_ms));
	if (m->reload.pending) {
		m->reload.pending = 0;
		reload_start(m);
	}
}
