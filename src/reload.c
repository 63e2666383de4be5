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
 * reload.c: configuration reload (SIGHUP, `preforkd -s reload`) as a
 * generation switch.
 *
 * All or nothing: the new file is parsed and checked completely, and
 * every new listener is bound, before anything changes (gen_new()); on
 * any error the running generation keeps serving, untouched.  On
 * success the new generation is current and starts its workers; the
 * previous one serves at its size until the new one accepts, then
 * finishes the connections it holds and exits (SIGTERM, then SIGKILL,
 * after graceful_timeout).  If the new generation cannot start (its
 * workers fail, or are not accepting after graceful_timeout), the reload
 * is undone and the previous generation simply goes on serving.  At most
 * two generations serve at once: a SIGHUP during a reload is merged into
 * one more reload, run when the old generation is gone.
 *
 * reload_start() and reload_progress() return a verdict (RELOAD_*) that
 * the master acts on: it answers the control clients, sets the title.
 *
 * Runs in the master, as root.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

#define RELOAD_ABANDON_GRACE_MS	1000	/* then SIGTERM */

static void	reload_keep(struct conf *new, const struct conf *old,
		    struct errlist *warn);
static int	reload_undo(struct reload *r, struct gens *gs,
		    struct pool *pool, const char *why, int64_t now,
		    struct errlist *errs);

void
reload_init(struct reload *r)
{
	memset(r, 0, sizeof(*r));
}

void
reload_free(struct reload *r)
{
	errlist_free(&r->warnings);
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

/*
 * Start a reload: parse and check the current generation's file, bind
 * the new listeners, then switch to a new generation.  During a reload,
 * only remember that another one is wanted.  Returns RELOAD_MERGED,
 * RELOAD_REFUSED (the errors in errs) or RELOAD_STARTED.  pidfile: the
 * -p of the command line, which applies to every generation.
 */
int
reload_start(struct reload *r, struct gens *gs, const char *pidfile,
    int verbose, struct errlist *errs)
{
	struct generation	*g;
	struct conf		*conf;
	struct timespec		 ts;
	size_t			 i;

	if (r->active) {
		if (!r->pending)
			log_notice("SIGHUP during a reload: one more reload "
			    "when generation %u is gone", gs->cur->id - 1);
		r->pending = 1;
		return RELOAD_MERGED;
	}
	r->seq++;
	r->verbose = verbose;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	    (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	    gs->cur->conf->file);
	log_notice("reloading %s", gs->cur->conf->file);
	r->started_ms = now_ms();
	if ((conf = conf_load(gs->cur->conf->file, errs)) == NULL)
		goto refused;
	if (pidfile != NULL)
		conf_set_pidfile(conf, pidfile);
	reload_keep(conf, gs->cur->conf, errs);
	if (geteuid() != 0 && *conf->user != '\0' && conf->uid != geteuid())
		errlist_add(errs, "cannot switch workers to user %s: the "
		    "master does not run as root", conf->user);
	if (errlist_errors(errs, 0) > 0 || pool_probe(conf, errs) == -1) {
		conf_free(conf);
		goto refused;
	}
	if ((g = gen_new(gs, conf, errs)) == NULL)
		goto refused;
	for (i = 0; i < errs->n; i++)
		log_warnx("reload: %s", errs->msg[i]);
	/* The switch: nothing below can fail.  The previous generation
	   serves at its size until the new one accepts (pool_maintain()),
	   and reload_undo() goes back to it. */
	gen_switch(gs, g);
	log_setlevel(verbose ? LOG_DEBUG : conf->log_level);
	errlist_free(&r->warnings);
	r->warnings = *errs;		/* for the verdict */
	memset(errs, 0, sizeof(*errs));
	r->active = 1;
	r->ready = 0;
	log_notice("reload: configuration accepted, starting generation %u; "
	    "the running workers serve until it accepts", g->id);
	return RELOAD_STARTED;
 refused:
	r->failed++;
	for (i = 0; i < errs->n; i++)
		if (!errs->rec[i].warning)
			log_msg(LOG_ERR, "reload: %s", errs->msg[i]);
	log_msg(LOG_ERR, "reload failed: still serving generation %u with "
	    "the previous configuration", gs->cur->id);
	notify("READY=1\nSTATUS=reload failed (%zu errors), generation %u "
	    "still serving", errs->n, gs->cur->id);
	return RELOAD_REFUSED;
}

/*
 * The new generation cannot start (its workers fail permanently, or are
 * still not accepting after graceful_timeout): the reload fails and is
 * undone.  Its workers are stopped, the listeners it opened are closed,
 * and the previous generation is current again; its workers go on
 * serving and are replaced as usual.  The reason goes to errs.
 */
static int
reload_undo(struct reload *r, struct gens *gs, struct pool *pool,
    const char *why, int64_t now, struct errlist *errs)
{
	unsigned int	gen = gs->cur->id;

	pool_retire_gen(pool, gs->cur, 0, TOLD_RELOAD,
	    RELOAD_ABANDON_GRACE_MS, now);
	gen_undo(gs, NULL);
	gs->cur->permanent = 0;
	pool_reset_backoff(gs->cur);
	log_setlevel(r->verbose ? LOG_DEBUG : gs->cur->conf->log_level);
	errlist_add(errs, "generation %u %s", gen, why);
	errlist_free(&r->warnings);
	r->active = 0;
	r->pending = 0;
	r->failed++;
	log_msg(LOG_ERR, "reload failed: generation %u %s; back to "
	    "generation %u and its configuration", gen, why, gen - 1);
	notify("READY=1\nSTATUS=reload failed: generation %u %s; "
	    "generation %u serving", gen, why, gen - 1);
	return RELOAD_UNDONE;
}

/*
 * Called from the loop: when the new generation accepts, retire the old
 * one (RELOAD_READY); when it cannot start, undo (RELOAD_UNDONE, the
 * reason in errs); when the old one is gone, finish (RELOAD_DONE: the
 * master starts a merged reload, r->pending).  RELOAD_NONE otherwise.
 */
int
reload_progress(struct reload *r, struct gens *gs, struct pool *pool,
    int64_t now, struct errlist *errs)
{
	struct generation	*g = gs->cur;

	if (!r->active || pool->stopping)
		return RELOAD_NONE;
	if (!r->ready && g->permanent)
		return reload_undo(r, gs, pool, "cannot run as configured "
		    "(a worker exited 78)", now, errs);
	if (!r->ready && !pool_ready(pool, g)) {
		if (now - r->started_ms > g->conf->graceful_timeout_ms)
			return reload_undo(r, gs, pool, "did not start within "
			    "graceful_timeout", now, errs);
		return RELOAD_NONE;
	}
	if (!r->ready) {
		/* only now: the old generation serves until the new one can */
		pool_retire_gen(pool, g, 1, TOLD_RELOAD,
		    g->conf->graceful_timeout_ms, now);
		gen_commit(gs);
		r->ready = 1;
		r->ok++;
		log_notice("reload: generation %u accepting, %lld ms after "
		    "the SIGHUP", g->id, (long long)(now - r->started_ms));
		notify("READY=1\nSTATUS=generation %u: %u workers, service "
		    "%s", g->id, g->target, g->conf->service);
		return RELOAD_READY;
	}
	if (gen_draining(gs))
		return RELOAD_NONE;
	gen_collect(gs);
	r->active = 0;
	log_notice("reload: generation %u complete, %lld ms after the "
	    "SIGHUP", g->id, (long long)(now - r->started_ms));
	return RELOAD_DONE;
}
