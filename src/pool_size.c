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
 * pool_size.c: the pool's periodic policy and its size: request timeouts
 * (a backtrace, then the kill), the dynamic pool (spares between
 * min_spare and max_spare, growing 1, 2, 4 ... a tick), and the resizes
 * an operator asks for (SIGTTIN, SIGTTOU).  All of it acts on the
 * current generation; the periodic work runs only when something is
 * configured that needs it, so that a static pool's master sleeps.
 *
 * Part of the pool (pool.c owns the slot table).  Runs in the master.
 */

#include <signal.h>
#include <string.h>

#include "preforkd.h"

#define POOL_KILL_GRACE_MS	1000	/* between SIGTERM and SIGKILL */

static void	pool_timeouts(struct pool *pool, const struct conf *conf,
		    int64_t now);
static void	pool_size(struct pool *pool, struct generation *g,
		    int64_t now);
static struct slot *pool_victim(struct pool *pool,
		    const struct generation *g);

/*
 * request_timeout_soft: the worker writes a backtrace of where it is (it
 * goes on); request_timeout: SIGTERM, SIGKILL a second later, and it is
 * replaced at once.  "Busy" counts from the worker's last state change
 * to busy: time spent waiting for the client is "reading", for
 * read_timeout to judge.
 */
static void
pool_timeouts(struct pool *pool, const struct conf *conf, int64_t now)
{
	struct slot	*s;
	struct sb_slot	 sb;
	unsigned int	 i;
	int64_t		 busy;

	for (i = 0; i < pool->nslots; i++) {
		s = &pool->slots[i];
		if (s->pid <= 0 || s->timed_out)
			continue;
		sb = sb_read(sb_at(&pool->sb, i));
		if (sb.state != SB_BUSY && !(sb.state == SB_RETIRING &&
		    *sb.client != '\0'))
			continue;
		busy = now - sb.changed_ms;
		if (conf->request_timeout_ms > 0 &&
		    busy >= conf->request_timeout_ms) {
			log_warnx("worker %ld busy with %s for %lld ms: "
			    "request_timeout, SIGTERM", (long)s->pid,
			    *sb.client ? sb.client : "-", (long long)busy);
			kill(s->pid, SIGTERM);
			s->timed_out = s->termed = s->retiring = 1;
			s->deadline_ms = now + POOL_KILL_GRACE_MS;
		} else if (conf->request_timeout_soft_ms > 0 &&
		    busy >= conf->request_timeout_soft_ms &&
		    s->soft_for_ms != sb.changed_ms) {
			log_warnx("worker %ld busy with %s for %lld ms: "
			    "request_timeout_soft, its backtrace follows",
			    (long)s->pid, *sb.client ? sb.client : "-",
			    (long long)busy);
			kill(s->pid, SIGUSR1);
			s->soft_for_ms = sb.changed_ms;
		}
	}
}

/*
 * Dynamic pool (max_workers set): keep between min_spare and max_spare
 * idle workers.  Short of spares, grow by 1, 2, 4 ... up to
 * max_spawn_rate workers per tick, never past max_workers (logged at
 * most once a minute); with too many, retire one idle worker per tick.
 */
static void
pool_size(struct pool *pool, struct generation *g, int64_t now)
{
	const struct conf	*conf = g->conf;
	unsigned int		 i, idle = 0, total = 0, spare, n;
	uint32_t		 state;
	struct slot		*victim = NULL;

	for (i = 0; i < pool->nslots; i++) {
		if (pool->slots[i].pid <= 0 || pool->slots[i].retiring ||
		    pool->slots[i].gen != g)
			continue;
		total++;
		state = sb_read(sb_at(&pool->sb, i)).state;
		if (state == SB_IDLE || state == SB_STARTING) {
			idle++;
			if (state == SB_IDLE)
				victim = &pool->slots[i];
		}
	}
	spare = idle + (g->target > total ? g->target - total : 0);
	if (spare < conf->min_spare) {
		if (g->target >= conf->max_workers) {
			pool->max_reached++;
			if (g->max_logged_ms == 0 ||
			    now - g->max_logged_ms >= 60000) {
				log_warnx("max_workers (%u) reached: %u busy, "
				    "no spare worker", conf->max_workers,
				    total - idle);
				g->max_logged_ms = now;
			}
			return;
		}
		if (g->spawn_step == 0)
			g->spawn_step = 1;
		n = g->spawn_step;
		if (n > conf->max_workers - g->target)
			n = conf->max_workers - g->target;
		g->target += n;
		log_info("%u idle of %u: %u more workers (%u)", idle, total, n,
		    g->target);
		g->spawn_step *= 2;
		if (g->spawn_step > conf->max_spawn_rate)
			g->spawn_step = conf->max_spawn_rate;
		return;
	}
	g->spawn_step = 1;
	if (idle > conf->max_spare && victim != NULL && g->target > 1) {
		g->target--;
		log_info("%u idle of %u: one worker less (%u)", idle, total,
		    g->target);
		pool_retire(pool, victim, TOLD_IDLE, conf->graceful_timeout_ms,
		    now);
	}
}

/*
 * The periodic work for generation g: timeouts and dynamic sizing, once a
 * second (more often for short timeouts), and not at all when neither is
 * configured: then the master sleeps until something happens.  Returns
 * the next tick, or -1.
 */
int64_t
pool_tick(struct pool *pool, struct generation *g, int64_t now)
{
	const struct conf	*conf = g->conf;
	int64_t			 every = 1000, t;

	if (pool->stopping || (conf->max_workers == 0 &&
	    conf->request_timeout_ms == 0 && conf->request_timeout_soft_ms == 0))
		return -1;
	t = conf->request_timeout_soft_ms > 0 ? conf->request_timeout_soft_ms :
	    conf->request_timeout_ms;
	if (t > 0 && t / 4 < every)
		every = t / 4 > 50 ? t / 4 : 50;
	if (now >= pool->next_tick_ms) {
		pool->next_tick_ms = now + every;
		pool_timeouts(pool, conf, now);
		if (conf->max_workers > 0)
			pool_size(pool, g, now);
	}
	return pool->next_tick_ms;
}

/* The worker of g to retire first: an idle one, else one reading, else
   any. */
static struct slot *
pool_victim(struct pool *pool, const struct generation *g)
{
	static const uint32_t	 order[] = { SB_IDLE, SB_READING, SB_EMPTY };
	struct slot		*s;
	unsigned int		 i, k;

	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < pool->nslots; i++) {
			s = &pool->slots[i];
			if (s->pid > 0 && !s->retiring && s->gen == g &&
			    (order[k] == SB_EMPTY ||
			    sb_read(sb_at(&pool->sb, i)).state == order[k]))
				return s;
		}
	return NULL;
}

/*
 * SIGTTIN, SIGTTOU: one worker more or fewer in g, between 1 and
 * workers_max; one fewer retires an idle worker if there is one.
 */
void
pool_resize(struct pool *pool, struct generation *g, int delta, int64_t now)
{
	unsigned int	 max = g->conf->workers_max;
	struct slot	*s;

	if ((delta > 0 && g->target >= max) || (delta < 0 && g->target <= 1)) {
		log_notice("%s: the pool stays at %u worker%s (limits 1 to "
		    "%u)", delta > 0 ? "SIGTTIN" : "SIGTTOU", g->target,
		    PLURAL(g->target), max);
		return;
	}
	g->target += delta;
	log_notice("%s: the pool goes to %u worker%s",
	    delta > 0 ? "SIGTTIN" : "SIGTTOU", g->target, PLURAL(g->target));
	if (delta < 0 && (s = pool_victim(pool, g)) != NULL)
		pool_retire(pool, s, TOLD_TTOU, g->conf->graceful_timeout_ms,
		    now);
}
