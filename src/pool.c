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
 * pool.c: the master's pool of workers: the slot table, the scoreboard
 * and the channel that go with it, and the only place that calls
 * fork(2) for a worker.  No other file walks the slot table: the rest of
 * the daemon asks through this interface (start and stop workers of a
 * generation, count them, ask whether a generation is ready, read a row
 * for the status report).
 *
 * Keeps each generation that needs it at its size (the current one, and
 * the previous one while a reload waits), within the generation's
 * crash-loop back-off (pool_exit.c), and replaces every worker that
 * ends.  Workers are retired gracefully (SIGUSR2: finish the connection
 * in hand, then exit) when their generation is old, on a graceful stop,
 * or when the pool shrinks; one still busy at its deadline gets SIGTERM,
 * then SIGKILL.  A worker that announces its own retirement (request
 * cap) is replaced at once, before it exits.
 *
 * Runs in the master, as root.  What workers write (scoreboard, channel)
 * is checked and only informs, about its writer only; pids come from
 * fork() alone, and a sender's pid from the kernel.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define POOL_BACKOFF_MAX_MS	30000
#define POOL_FORK_RETRY_MS	1000
#define POOL_KILL_GRACE_MS	1000	/* between SIGTERM and SIGKILL */

static int	pool_spawn(struct pool *pool, unsigned int i,
		    struct generation *g, int64_t now);
static unsigned int pool_room(struct pool *pool, const struct gens *gs,
		    int64_t now);
static int64_t	pool_deadlines(struct pool *pool, int64_t now);
static int64_t	pool_fill(struct pool *pool, struct generation *g,
		    unsigned int *room, int backoff, int64_t now);

void
pool_init(struct pool *pool, unsigned int nslots)
{
	memset(pool, 0, sizeof(*pool));
	pool->slots = calloc(nslots, sizeof(*pool->slots));
	if (pool->slots == NULL)
		fatal("pool");
	pool->nslots = nslots;
	pool->notify_fd = -1;
	if (sb_create(&pool->sb, nslots) == -1)
		fatal("scoreboard");
	if (chan_open(pool->chan) == -1)
		fatal("socketpair");
	pool->oom_kills = pool_oom_kills();
}

void
pool_free(struct pool *pool)
{
	free(pool->slots);
	pool->slots = NULL;
	pool->nslots = 0;
	sb_destroy(&pool->sb);
	log_worker_flush(&pool->strays, 0, -1);
	chan_close(pool->chan);
	pool_notify_close(pool);
}

/*
 * The descriptors the master waits on for what workers say: the
 * channel, and the programs' NOTIFY_SOCKET once there is one.  Fills
 * pfd (room for POOL_POLLFDS) and returns how many.
 */
nfds_t
pool_pollfds(const struct pool *pool, struct pollfd *pfd)
{
	nfds_t	n = 0;

	pfd[n].fd = pool->chan[0];
	pfd[n++].events = POLLIN;
	if (pool->notify_fd != -1) {
		pfd[n].fd = pool->notify_fd;
		pfd[n++].events = POLLIN;
	}
	return n;
}

/* Take what pool_pollfds()'s descriptors have, as ppoll() found them. */
void
pool_input(struct pool *pool, const struct pollfd *pfd, nfds_t n,
    int64_t now)
{
	if (n > 0 && (pfd[0].revents & POLLIN))
		pool_channel(pool, now);
	if (n > 1 && (pfd[1].revents & POLLIN))
		pool_notify(pool, now);
}

/* Start a worker of generation g in slot i. */
static int
pool_spawn(struct pool *pool, unsigned int i, struct generation *g,
    int64_t now)
{
	struct slot	*s = &pool->slots[i];
	struct worker	 w;
	const char	*notify = NULL;
	pid_t		 pid, master = getpid();
	size_t		 k;

	if (g->conf->service_kind == SERVICE_PROGRAM &&
	    g->conf->program_ready == READY_NOTIFY)
		notify = pool_notify_name(pool);
	sb_reset(sb_at(&pool->sb, i), g->id);
	switch (pid = fork()) {
	case -1:
		pool->fork_backoff_ms = pool->fork_backoff_ms == 0 ?
		    POOL_FORK_RETRY_MS : pool->fork_backoff_ms * 2;
		if (pool->fork_backoff_ms > POOL_BACKOFF_MAX_MS)
			pool->fork_backoff_ms = POOL_BACKOFF_MAX_MS;
		log_warn("fork, with %u worker%s running (next attempt in "
		    "%lld ms)", pool_count(pool), PLURAL(pool_count(pool)),
		    (long long)pool->fork_backoff_ms);
		pool->next_fork_ms = now + pool->fork_backoff_ms;
		return -1;
	case 0:
		sig_worker_init();
		memset(&w, 0, sizeof(w));
		/* first: its siblings' slots out of its reach */
		if ((w.sb = sb_isolate(&pool->sb, i)) == NULL ||
		    (w.listeners = calloc(g->ls.n, sizeof(*w.listeners))) ==
		    NULL)
			_exit(EXIT_TEMPFAIL);
		w.sb->pid = getpid();
		w.slot = i;
		w.generation = g->id;
		w.master_pid = master;	/* not getppid(): it may be gone */
		w.conf = g->conf;
		for (k = 0; k < g->ls.n; k++)
			w.listeners[k] = *g->ls.l[k];
		w.nlisteners = g->ls.n;
		w.handler = handler_find(g->conf->service);
		w.event_fd = pool->chan[1];
		w.notify = notify;
		worker_main(&w);
		/* NOTREACHED */
	}
	if (pool->fork_backoff_ms > 0)
		log_notice("fork works again");
	pool->fork_backoff_ms = 0;
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->gen = g;
	s->started_ms = now;
	if (g->conf->service_kind == SERVICE_PROGRAM)
		pool_program_started(s);
	g->workers++;
	log_debug("worker %ld started in slot %u, generation %u", (long)pid,
	    i, g->id);
	return 0;
}

/* Live workers of g that still count in its pool (not retiring). */
static unsigned int
pool_active(const struct pool *pool, const struct generation *g)
{
	unsigned int	i, n = 0;

	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 && !pool->slots[i].retiring &&
		    pool->slots[i].gen == g)
			n++;
	return n;
}

/*
 * Whether every worker g should have is up and in accept(2) or serving
 * (as their scoreboard slots say).
 */
int
pool_ready(const struct pool *pool, const struct generation *g)
{
	unsigned int	i, n = 0;
	uint32_t	state;

	for (i = 0; i < pool->nslots; i++) {
		if (pool->slots[i].pid <= 0 || pool->slots[i].retiring ||
		    pool->slots[i].gen != g)
			continue;
		state = sb_read(sb_at(&pool->sb, i)).state;
		if (state == SB_STARTING || state == SB_EMPTY)
			return 0;
		n++;
	}
	return n >= g->target;
}

/*
 * The live worker after *i (start with *i = 0) as a row of the status
 * report.  Returns 0 when there is none left.
 */
int
pool_row(const struct pool *pool, unsigned int *i, struct pool_row *row)
{
	const struct slot	*s;

	for (; *i < pool->nslots; (*i)++) {
		s = &pool->slots[*i];
		if (s->pid <= 0)
			continue;
		row->slot = *i;
		row->pid = s->pid;
		row->generation = s->gen->id;
		row->retiring = s->retiring;
		row->started_ms = s->started_ms;
		row->sb = sb_read(sb_at(&pool->sb, *i));
		(*i)++;
		return 1;
	}
	return 0;
}

/*
 * Retire the workers of generation g (all = 0), or of every other
 * generation (all = 1), each with grace_ms to finish.
 */
void
pool_retire_gen(struct pool *pool, const struct generation *g, int others,
    int told, int grace_ms, int64_t now)
{
	unsigned int	i;

	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 &&
		    (pool->slots[i].gen == g) != (others != 0))
			pool_retire(pool, &pool->slots[i], told, grace_ms, now);
}

/*
 * A graceful stop: every worker finishes the connection in hand and
 * exits, within grace_ms; none is replaced.
 */
void
pool_stop(struct pool *pool, int grace_ms, int64_t now)
{
	unsigned int	i;

	pool->stopping = 2;
	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0) {
			pool->slots[i].told = TOLD_NONE;	/* now: stop */
			pool_retire(pool, &pool->slots[i], TOLD_STOP, grace_ms,
			    now);
		}
}

/* Send signo to every live worker. */
void
pool_signal(struct pool *pool, int signo)
{
	unsigned int	i;

	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 &&
		    kill(pool->slots[i].pid, signo) == -1 && errno != ESRCH)
			log_warn("kill %ld", (long)pool->slots[i].pid);
}

/*
 * How many more workers may start now.  Whatever workers do, the pool
 * never holds more than twice the workers it should have (those of the
 * current generation, and of the previous one during a reload) that the
 * master did not retire itself: each may retire on its own once and be
 * replaced before it is gone, no more.
 */
static unsigned int
pool_room(struct pool *pool, const struct gens *gs, int64_t now)
{
	unsigned int	i, live = 0, cap;

	cap = 2 * (gs->cur->target + (gs->prev != NULL ? gs->prev->target :
	    0));
	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 && pool->slots[i].told == TOLD_NONE)
			live++;
	if (live < cap) {
		pool->ceiling_since_ms = 0;
		return cap - live;
	}
	/* Fast recycling touches the ceiling for a moment (a retired
	   worker not yet reaped); staying there means workers misbehave. */
	if (pool->ceiling_since_ms == 0)
		pool->ceiling_since_ms = now;
	else if (now - pool->ceiling_since_ms >= 1000 &&
	    (pool->ceiling_logged_ms == 0 ||
	    now - pool->ceiling_logged_ms >= 60000)) {
		log_warnx("%u workers alive, twice what the pool should have: "
		    "none starts until some exit", live);
		pool->ceiling_logged_ms = now;
	}
	return 0;
}

/* Terminate retiring workers past their deadline; the next deadline. */
static int64_t
pool_deadlines(struct pool *pool, int64_t now)
{
	struct slot	*s;
	struct sb_slot	 sb;
	unsigned int	 i;
	int64_t		 next = -1;

	for (i = 0; i < pool->nslots; i++) {
		s = &pool->slots[i];
		if (s->pid <= 0 || s->deadline_ms == 0)
			continue;
		if (now < s->deadline_ms) {
			if (next == -1 || s->deadline_ms < next)
				next = s->deadline_ms;
			continue;
		}
		sb = sb_read(sb_at(&pool->sb, i));
		if (!s->termed && s->gen->conf->service_kind ==
		    SERVICE_PROGRAM) {
			log_warnx("program worker %ld (generation %u) still "
			    "running after graceful_timeout: SIGKILL",
			    (long)s->pid, s->gen->id);
			kill(s->pid, SIGKILL);
			s->termed = 1;
			s->deadline_ms = 0;
		} else if (!s->termed) {
			log_warnx("worker %ld (generation %u) still %s%s%s "
			    "after graceful_timeout: SIGTERM", (long)s->pid,
			    s->gen->id, sb_state_name(sb.state),
			    *sb.client ? " with " : "", sb.client);
			kill(s->pid, SIGTERM);
			s->termed = 1;
			s->deadline_ms = now + POOL_KILL_GRACE_MS;
			if (next == -1 || s->deadline_ms < next)
				next = s->deadline_ms;
		} else {
			log_warnx("worker %ld ignored SIGTERM: SIGKILL",
			    (long)s->pid);
			kill(s->pid, SIGKILL);
			s->deadline_ms = 0;
		}
	}
	return next;
}

/*
 * Start workers of g up to its size, within room, the fork back-off and
 * (if backoff) g's crash-loop back-off: one probe per step.  Returns when
 * it wants to run again (-1: only when something happens).
 */
static int64_t
pool_fill(struct pool *pool, struct generation *g, unsigned int *room,
    int backoff, int64_t now)
{
	unsigned int	i, active = pool_active(pool, g);

	for (i = 0; i < pool->nslots && active < g->target && *room > 0;
	    i++) {
		if (pool->slots[i].pid > 0)
			continue;
		if (pool->fork_backoff_ms > 0 && now < pool->next_fork_ms)
			return pool->next_fork_ms;
		if (backoff && now < g->next_spawn_ms)
			return g->next_spawn_ms;
		if (pool_spawn(pool, i, g, now) == -1)
			return pool->next_fork_ms;
		active++;
		(*room)--;
		if (backoff && g->backoff_ms > 0)	/* one probe per step */
			g->next_spawn_ms = now + g->backoff_ms;
	}
	return -1;
}

/*
 * Keep the pool: enforce retirement deadlines and the periodic work,
 * start workers of the current generation up to its size, within its
 * back-off, and keep the previous one at its size while a reload waits
 * for the new one (not held back by a crash back-off the new one caused:
 * its workers are known to start).  Returns how many ms until it wants
 * to run again (-1: only when something happens).
 */
int
pool_maintain(struct pool *pool, struct gens *gs, int64_t now)
{
	struct generation	*g = gs->cur;
	unsigned int		 room;
	int64_t			 next, t;

	next = pool_deadlines(pool, now);
	if ((t = pool_tick(pool, g, now)) != -1 && (next == -1 || t < next))
		next = t;
	if (!pool->stopping && (t = pool_programs(pool, now)) != -1 &&
	    (next == -1 || t < next))
		next = t;
	if (g->permanent || pool->stopping)
		goto out;
	if ((t = pool_backoff_check(pool, g, now)) != -1 &&
	    (next == -1 || t < next))
		next = t;
	room = pool_room(pool, gs, now);
	if ((t = pool_fill(pool, g, &room, 1, now)) != -1 &&
	    (next == -1 || t < next))
		next = t;
	if (gs->prev != NULL && !gs->prev->permanent && (t = pool_fill(pool,
	    gs->prev, &room, 0, now)) != -1 && (next == -1 || t < next))
		next = t;
 out:
	return next == -1 ? -1 : (int)(next > now ? next - now : 0);
}
