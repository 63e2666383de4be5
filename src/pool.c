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
 * pool.c: the master's pool of workers.  The only place that calls
 * fork(2).
 *
 * Keeps `target` workers of the current generation, reaps every child
 * and says in one log line why it ended, and replaces it.  Workers are
 * retired gracefully (SIGUSR2: finish the connection in hand, then exit)
 * when a reload makes their generation old, on a graceful stop, or when
 * the pool shrinks; one still busy at its deadline gets SIGTERM, then
 * SIGKILL.  A worker that announces its own retirement (request cap) is
 * replaced at once, before it exits.
 *
 * Respawn policy (after Postfix and nginx): a retirement or an isolated
 * crash is replaced at once; workers that keep dying abnormally soon
 * after their start put the pool into a back-off, one probe spawn per
 * step, the delay doubling up to a cap, until a worker lives normally
 * again.  A worker that exits EXIT_PERMANENT (it cannot run as
 * configured) stops the daemon instead of respawning.
 *
 * Runs in the master, as root.  What workers write (scoreboard, event
 * pipe) is checked and only informs; pids come from fork() alone.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define POOL_EARLY_MS		10000	/* a death this soon is "early" */
#define POOL_FAIL_THRESHOLD	5	/* early deaths before back-off */
#define POOL_BACKOFF_MIN_MS	1000
#define POOL_BACKOFF_MAX_MS	30000
#define POOL_FORK_RETRY_MS	1000
#define POOL_KILL_GRACE_MS	1000	/* between SIGTERM and SIGKILL */
#define POOL_CHAN_BATCH		256	/* datagrams read per turn */

static int	pool_spawn(struct master *m, unsigned int i, unsigned int gen,
		    const struct conf *conf, struct listener *ls, size_t nls,
		    int64_t now);
static void	pool_keep_previous(struct master *m, int64_t now);
static void	pool_exited(struct master *m, struct slot *s, int status,
		    int64_t now);
static void	pool_describe(const struct slot *s, const struct sb_slot *sb,
		    int status, char *buf, size_t len);
static int64_t	pool_deadlines(struct master *m, int64_t now);
static uint64_t	pool_oom_kills(void);
static void	pool_timeouts(struct master *m, int64_t now);
static void	pool_size(struct master *m, int64_t now);
static int	pool_find(struct pool *pool, pid_t pid);
static void	pool_event(struct master *m, struct slot *s, uint32_t event,
		    int64_t now);
static unsigned int pool_room(struct master *m, int64_t now);

void
pool_init(struct pool *pool, unsigned int nslots)
{
	memset(pool, 0, sizeof(*pool));
	pool->slots = calloc(nslots, sizeof(*pool->slots));
	if (pool->slots == NULL)
		fatal("pool");
	pool->nslots = nslots;
	pool->generation = 1;
	if (chan_open(pool->chan) == -1)
		fatal("socketpair");
	pool->oom_kills = pool_oom_kills();
}

/* The kernel's count of OOM kills (/proc/vmstat), 0 if unknown. */
static uint64_t
pool_oom_kills(void)
{
	char			 line[128];
	unsigned long long	 n = 0;
	FILE			*f;

	if ((f = fopen("/proc/vmstat", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "oom_kill %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

void
pool_free(struct pool *pool)
{
	free(pool->slots);
	pool->slots = NULL;
	pool->nslots = 0;
	log_worker_flush(&pool->strays, 0, -1);
	chan_close(pool->chan);
}

/*
 * The request cap of a new worker: max plus a jitter in [0, jitter] taken
 * from rnd, so that workers started together do not retire together.
 * 0 means no cap.
 */
unsigned long
pool_request_cap(unsigned int max, unsigned int jitter, uint32_t rnd)
{
	if (max == 0)
		return 0;
	if (jitter == 0)
		return max;
	return (unsigned long)max + rnd % ((uint64_t)jitter + 1);
}

/* The number of live workers. */
unsigned int
pool_count(const struct pool *pool)
{
	unsigned int	i, n = 0;

	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0)
			n++;
	return n;
}

/* Live workers of generation gen that still count in the pool. */
unsigned int
pool_active(const struct pool *pool, unsigned int gen)
{
	unsigned int	i, n = 0;

	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 && !pool->slots[i].retiring &&
		    pool->slots[i].generation == gen)
			n++;
	return n;
}

/* Live workers of generations older than gen. */
unsigned int
pool_older(const struct pool *pool, unsigned int gen)
{
	unsigned int	i, n = 0;

	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 && pool->slots[i].generation < gen)
			n++;
	return n;
}

/* Start a worker of generation gen, which serves conf on ls, in slot i. */
static int
pool_spawn(struct master *m, unsigned int i, unsigned int gen,
    const struct conf *conf, struct listener *ls, size_t nls, int64_t now)
{
	struct slot	*s = &m->pool.slots[i];
	struct worker	 w;
	pid_t		 pid, master = getpid();

	sb_reset(sb_at(&m->sb, i), gen);
	switch (pid = fork()) {
	case -1:
		m->pool.fork_backoff_ms = m->pool.fork_backoff_ms == 0 ?
		    POOL_FORK_RETRY_MS : m->pool.fork_backoff_ms * 2;
		if (m->pool.fork_backoff_ms > POOL_BACKOFF_MAX_MS)
			m->pool.fork_backoff_ms = POOL_BACKOFF_MAX_MS;
		log_warn("fork, with %u worker%s running (next attempt in "
		    "%lld ms)", pool_count(&m->pool),
		    PLURAL(pool_count(&m->pool)),
		    (long long)m->pool.fork_backoff_ms);
		m->pool.next_spawn_ms = now + m->pool.fork_backoff_ms;
		return -1;
	case 0:
		sig_worker_init();
		memset(&w, 0, sizeof(w));
		w.slot = i;
		w.generation = gen;
		w.master_pid = master;	/* not getppid(): it may be gone */
		w.conf = conf;
		w.listeners = ls;
		w.nlisteners = nls;
		w.handler = handler_find(conf->service);
		w.event_fd = m->pool.chan[1];
		/* first: its siblings' slots out of its reach */
		if ((w.sb = sb_isolate(&m->sb, i)) == NULL)
			_exit(EXIT_TEMPFAIL);
		w.sb->pid = getpid();
		worker_main(&w);
		/* NOTREACHED */
	}
	if (m->pool.fork_backoff_ms > 0)
		log_notice("fork works again");
	m->pool.fork_backoff_ms = 0;
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->generation = gen;
	s->started_ms = now;
	log_debug("worker %ld started in slot %u, generation %u", (long)pid,
	    i, s->generation);
	return 0;
}

/*
 * Tell one worker to finish its connection and exit (SIGUSR2), with a
 * deadline after which it is terminated.  It no longer counts in the pool.
 */
void
pool_retire(struct master *m, struct slot *s, int told, int grace_ms,
    int64_t now)
{
	if (s->pid <= 0 || s->told != TOLD_NONE)
		return;
	s->retiring = 1;
	s->told = told;
	s->deadline_ms = grace_ms > 0 ? now + grace_ms : 0;
	if (kill(s->pid, SIGUSR2) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)s->pid);
}

/* Retire every worker of a generation older than gen. */
void
pool_retire_older(struct master *m, unsigned int gen, int told, int grace_ms,
    int64_t now)
{
	unsigned int	i;

	for (i = 0; i < m->pool.nslots; i++)
		if (m->pool.slots[i].pid > 0 &&
		    m->pool.slots[i].generation < gen)
			pool_retire(m, &m->pool.slots[i], told, grace_ms, now);
}

/* The slot of worker pid, or -1 (not a live worker of ours). */
static int
pool_find(struct pool *pool, pid_t pid)
{
	unsigned int	i;

	if (pid <= 0)
		return -1;
	if (pool->chan_hint < pool->nslots &&
	    pool->slots[pool->chan_hint].pid == pid)
		return (int)pool->chan_hint;
	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid == pid) {
			pool->chan_hint = i;
			return (int)i;
		}
	return -1;
}

/*
 * An event from the worker in s (the kernel named it as the sender).  It
 * can only concern that worker, and a retirement counts once per life:
 * the worker is replaced at once, and given graceful_timeout to finish,
 * like a worker the master retires.
 */
static void
pool_event(struct master *m, struct slot *s, uint32_t event, int64_t now)
{
	if (event == EV_READY)
		s->ready = 1;
	else if (event == EV_RETIRING && !s->announced && !s->retiring) {
		s->announced = s->retiring = 1;
		if (s->deadline_ms == 0)
			s->deadline_ms = now + m->conf->graceful_timeout_ms;
	}
}

/*
 * Read what workers sent on the channel: events, and their output for
 * the log.  At most POOL_CHAN_BATCH datagrams a call, so that a chatty
 * worker cannot keep the loop from its other work (the rest waits for
 * the next turn).  Each datagram belongs to the process the kernel names
 * as its sender, looked up in the master's own table.
 */
void
pool_channel(struct master *m)
{
	static char	 buf[16384];
	struct pool	*pool = &m->pool;
	struct slot	*s;
	uint32_t	 event;
	ssize_t		 n;
	pid_t		 pid;
	int		 i, slot;
	int64_t		 now = now_ms();

	for (i = 0; i < POOL_CHAN_BATCH; i++) {
		if ((n = chan_recv(pool->chan[0], buf, sizeof(buf), &pid)) < 0)
			break;
		slot = pool_find(pool, pid);
		s = slot >= 0 ? &pool->slots[slot] : NULL;
		if (chan_event(buf, n, &event)) {
			if (s != NULL)
				pool_event(m, s, event, now);
			continue;
		}
		log_worker_output(s != NULL ? &s->out : &pool->strays, pid,
		    slot, buf, n, now);
	}
}

/*
 * How many more workers may start now.  Whatever workers do, the pool
 * never holds more than twice the workers it should have (those of the
 * current generation, and of the previous one during a reload) that the
 * master did not retire itself: each may retire on its own once and be
 * replaced before it is gone, no more.
 */
static unsigned int
pool_room(struct master *m, int64_t now)
{
	struct pool	*pool = &m->pool;
	unsigned int	 i, live = 0, cap;

	cap = 2 * (pool->target + (m->reload.active && !m->reload.ready ?
	    m->reload.prev_target : 0));
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
pool_deadlines(struct master *m, int64_t now)
{
	struct slot	*s;
	struct sb_slot	 sb;
	unsigned int	 i;
	int64_t		 next = -1;

	for (i = 0; i < m->pool.nslots; i++) {
		s = &m->pool.slots[i];
		if (s->pid <= 0 || s->deadline_ms == 0)
			continue;
		if (now < s->deadline_ms) {
			if (next == -1 || s->deadline_ms < next)
				next = s->deadline_ms;
			continue;
		}
		sb = sb_read(sb_at(&m->sb, i));
		if (!s->termed) {
			log_warnx("worker %ld (generation %u) still %s%s%s "
			    "after graceful_timeout: SIGTERM", (long)s->pid,
			    s->generation, sb_state_name(sb.state),
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
 * Start workers of the current generation up to the target, within the
 * back-off, and enforce retirement deadlines.  Returns how many ms until
 * it wants to run again (-1: only when something happens).
 */
int
pool_maintain(struct master *m, int64_t now)
{
	struct pool	*pool = &m->pool;
	unsigned int	 i, active, room;
	int64_t		 next = pool_deadlines(m, now), t = -1, tick;

	if ((tick = pool_tick(m, now)) != -1 && (next == -1 || tick < next))
		next = tick;
	if (pool->permanent || pool->stopping)
		goto out;
	/* A worker that lives past the early window ends the back-off. */
	if (pool->failures > 0)
		for (i = 0; i < pool->nslots; i++)
			if (pool->slots[i].pid > 0 &&
			    now - pool->slots[i].started_ms >= POOL_EARLY_MS) {
				if (pool->backoff_ms > 0)
					log_notice("workers live normally "
					    "again: back-off ended");
				pool->failures = 0;
				pool->backoff_ms = 0;
				break;
			}
	active = pool_active(pool, pool->generation);
	room = active < pool->target ? pool_room(m, now) : 0;
	for (i = 0; i < pool->nslots && active < pool->target && room > 0;
	    i++) {
		if (pool->slots[i].pid > 0)
			continue;
		if (now < pool->next_spawn_ms) {
			t = pool->next_spawn_ms;
			break;
		}
		if (pool_spawn(m, i, pool->generation, m->conf, m->listeners,
		    m->nlisteners, now) == -1) {
			t = pool->next_spawn_ms;
			break;
		}
		active++;
		room--;
		if (pool->backoff_ms > 0)	/* one probe per step */
			pool->next_spawn_ms = now + pool->backoff_ms;
	}
	if (t == -1 && pool->failures > 0)
		t = now + POOL_EARLY_MS;	/* to notice a normal life */
	pool_keep_previous(m, now);
 out:
	if (t != -1 && (next == -1 || t < next))
		next = t;
	return next == -1 ? -1 : (int)(next > now ? next - now : 0);
}

/*
 * During a reload the previous generation serves until the new one
 * accepts: its workers that retire meanwhile (request cap, age, memory)
 * or die are replaced, with the previous configuration and listeners, to
 * the size it had.  Not held back by a crash back-off that the new
 * generation's workers caused: these are known to start.
 */
static void
pool_keep_previous(struct master *m, int64_t now)
{
	struct pool	*pool = &m->pool;
	unsigned int	 i, gen = pool->generation - 1, active, room;

	if (!m->reload.active || m->reload.ready || m->reload.prev_conf == NULL)
		return;
	active = pool_active(pool, gen);
	room = active < m->reload.prev_target ? pool_room(m, now) : 0;
	for (i = 0; i < pool->nslots && active < m->reload.prev_target &&
	    room > 0; i++) {
		if (pool->slots[i].pid > 0)
			continue;
		if (pool->fork_backoff_ms > 0 && now < pool->next_spawn_ms)
			break;
		if (pool_spawn(m, i, gen, m->reload.prev_conf,
		    m->reload.prev_listeners, m->reload.nprev, now) == -1)
			break;
		active++;
		room--;
	}
}

/*
 * request_timeout_soft: the worker writes a backtrace of where it is (it
 * goes on); request_timeout: SIGTERM, SIGKILL a second later, and it is
 * replaced at once.  "Busy" counts from the worker's last state change
 * to busy: time spent waiting for the client is "reading", for
 * read_timeout to judge.
 */
static void
pool_timeouts(struct master *m, int64_t now)
{
	const struct conf	*conf = m->conf;
	struct slot		*s;
	struct sb_slot		 sb;
	unsigned int		 i;
	int64_t			 busy;

	for (i = 0; i < m->pool.nslots; i++) {
		s = &m->pool.slots[i];
		if (s->pid <= 0 || s->timed_out)
			continue;
		sb = sb_read(sb_at(&m->sb, i));
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
pool_size(struct master *m, int64_t now)
{
	const struct conf	*conf = m->conf;
	struct pool		*pool = &m->pool;
	unsigned int		 i, idle = 0, total = 0, spare, n;
	uint32_t		 state;
	struct slot		*victim = NULL;

	for (i = 0; i < pool->nslots; i++) {
		if (pool->slots[i].pid <= 0 || pool->slots[i].retiring ||
		    pool->slots[i].generation != pool->generation)
			continue;
		total++;
		state = sb_read(sb_at(&m->sb, i)).state;
		if (state == SB_IDLE || state == SB_STARTING) {
			idle++;
			if (state == SB_IDLE)
				victim = &pool->slots[i];
		}
	}
	spare = idle + (pool->target > total ? pool->target - total : 0);
	if (spare < conf->min_spare) {
		if (pool->target >= conf->max_workers) {
			pool->max_reached++;
			if (pool->max_logged_ms == 0 ||
			    now - pool->max_logged_ms >= 60000) {
				log_warnx("max_workers (%u) reached: %u busy, "
				    "no spare worker", conf->max_workers,
				    total - idle);
				pool->max_logged_ms = now;
			}
			return;
		}
		if (pool->spawn_step == 0)
			pool->spawn_step = 1;
		n = pool->spawn_step;
		if (n > conf->max_workers - pool->target)
			n = conf->max_workers - pool->target;
		pool->target += n;
		log_info("%u idle of %u: %u more workers (%u)", idle, total, n,
		    pool->target);
		pool->spawn_step *= 2;
		if (pool->spawn_step > conf->max_spawn_rate)
			pool->spawn_step = conf->max_spawn_rate;
		master_title(m);
		return;
	}
	pool->spawn_step = 1;
	if (idle > conf->max_spare && victim != NULL && pool->target > 1) {
		pool->target--;
		log_info("%u idle of %u: one worker less (%u)", idle, total,
		    pool->target);
		pool_retire(m, victim, TOLD_IDLE, conf->graceful_timeout_ms,
		    now);
		master_title(m);
	}
}

/*
 * The periodic work: timeouts and dynamic sizing, once a second (more
 * often for short timeouts), and not at all when neither is configured:
 * then the master sleeps until something happens.  Returns the next
 * tick, or -1.
 */
int64_t
pool_tick(struct master *m, int64_t now)
{
	const struct conf	*conf = m->conf;
	struct pool		*pool = &m->pool;
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
		pool_timeouts(m, now);
		if (conf->max_workers > 0)
			pool_size(m, now);
	}
	return pool->next_tick_ms;
}

/* End the crash-loop back-off (a reload to a good configuration). */
void
pool_reset_backoff(struct pool *pool)
{
	if (pool->backoff_ms > 0)
		log_notice("back-off ended by the reload");
	pool->failures = 0;
	pool->backoff_ms = 0;
	pool->next_spawn_ms = 0;
}

/* "request cap reached after 50 connections", "killed by SIGSEGV"... */
static void
pool_describe(const struct slot *s, const struct sb_slot *sb, int status,
    char *buf, size_t len)
{
	static const char *const told[] = {
		[TOLD_RELOAD] = "replaced by a reload",
		[TOLD_STOP] = "stopped",
		[TOLD_IDLE] = "retired: too many idle workers",
		[TOLD_TTOU] = "retired: SIGTTOU",
	};
	static const char *const own[] = {
		[SB_EXIT_REQUESTS] = "request cap reached",
		[SB_EXIT_HANDLER] = "retired at the service's request",
		[SB_EXIT_AGE] = "max_worker_age reached",
		[SB_EXIT_RSS] = "max_worker_rss exceeded",
	};
	unsigned long long	served = sb->served;

	if (WIFSIGNALED(status) && s->timed_out)
		snprintf(buf, len, "killed by %s for request_timeout after "
		    "%llu connection%s", signame(WTERMSIG(status)), served,
		    PLURAL(served));
	else if (WIFSIGNALED(status) && s->oom)
		snprintf(buf, len, "killed by the kernel OOM killer (SIGKILL) "
		    "after %llu connection%s", served, PLURAL(served));
	else if (WIFSIGNALED(status) && s->termed)
		snprintf(buf, len, "killed by %s after graceful_timeout "
		    "(%s) after %llu connection%s", signame(WTERMSIG(status)),
		    told[s->told] ? told[s->told] : "retiring", served,
		    PLURAL(served));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s after %llu connection%s",
		    signame(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "", served,
		    PLURAL(served));
	else if (WEXITSTATUS(status) == EXIT_RETIRED &&
	    sb->exit_reason == SB_EXIT_TOLD && s->told != TOLD_NONE)
		snprintf(buf, len, "%s after %llu connection%s", told[s->told],
		    served, PLURAL(served));
	else if (WEXITSTATUS(status) == EXIT_RETIRED &&
	    sb->exit_reason < sizeof(own) / sizeof(own[0]) &&
	    own[sb->exit_reason] != NULL)
		snprintf(buf, len, "%s after %llu connection%s",
		    own[sb->exit_reason], served, PLURAL(served));
	else if (WEXITSTATUS(status) == EXIT_PERMANENT && !s->ready)
		snprintf(buf, len, "failed permanently (exit %d)",
		    EXIT_PERMANENT);
	else
		snprintf(buf, len, "exited with status %d after %llu "
		    "connection%s", WEXITSTATUS(status), served,
		    PLURAL(served));
}

/* The cause of an exit, for the metrics. */
static int
pool_exit_reason(const struct slot *s, const struct sb_slot *sb, int status)
{
	static const int told[] = {
		[TOLD_RELOAD] = XR_RELOAD, [TOLD_STOP] = XR_STOP,
		[TOLD_IDLE] = XR_IDLE, [TOLD_TTOU] = XR_RESIZE,
	};
	static const int own[] = {
		[SB_EXIT_REQUESTS] = XR_REQUESTS, [SB_EXIT_HANDLER] = XR_HANDLER,
		[SB_EXIT_AGE] = XR_AGE, [SB_EXIT_RSS] = XR_RSS,
	};

	if (WIFSIGNALED(status))
		return s->timed_out ? XR_TIMEOUT : s->oom ? XR_OOM :
		    s->termed ? XR_KILLED : XR_CRASH;
	if (WEXITSTATUS(status) == EXIT_PERMANENT && !s->ready)
		return XR_FAILED;
	if (WEXITSTATUS(status) != EXIT_RETIRED)
		return XR_CRASH;
	if (sb->exit_reason == SB_EXIT_TOLD && s->told != TOLD_NONE)
		return told[s->told];
	if (sb->exit_reason > SB_EXIT_NONE && sb->exit_reason < SB_EXIT_TOLD)
		return own[sb->exit_reason];
	return XR_CRASH;
}

static void
pool_exited(struct master *m, struct slot *s, int status, int64_t now)
{
	struct pool	*pool = &m->pool;
	struct sb_slot	*sbs = sb_at(&m->sb, s - pool->slots);
	struct sb_slot	 sb = sb_read(sbs);
	char		 why[200];
	int		 abnormal, early, told = s->told != TOLD_NONE;
	int		 ready = s->ready;
	uint64_t	 oom;

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	    !s->termed && (oom = pool_oom_kills()) > pool->oom_kills) {
		pool->oom_kills = oom;
		s->oom = 1;
	}
	pool_describe(s, &sb, status, why, sizeof(why));
	m->exits[pool_exit_reason(s, &sb, status)]++;
	m->served_dead += sb.served;
	m->waited_dead += sb.waited;
	abnormal = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	early = now - s->started_ms < POOL_EARLY_MS;
	if (pool->stopping == 1)
		log_debug("worker %ld exited: %s", (long)s->pid, why);
	else if (abnormal && !told)
		log_warnx("worker %ld exited: %s", (long)s->pid, why);
	else
		log_info("worker %ld exited: %s", (long)s->pid, why);
	log_worker_flush(&s->out, s->pid, s - pool->slots);
	sb_clear(sbs);
	told = told || s->timed_out;
	memset(s, 0, sizeof(*s));

	if (pool->stopping || told)
		return;
	/* "cannot run as configured" stops the daemon: believed only of a
	   worker that never reached accept(2), whose code was all ours;
	   from one that served, it is a crash like any other */
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PERMANENT &&
	    !ready) {
		pool->permanent = 1;
		return;
	}
	if (!abnormal) {
		/* a worker that served its life out proves the service works */
		if (pool->backoff_ms > 0)
			log_notice("a worker lived normally: back-off ended");
		pool->failures = 0;
		pool->backoff_ms = 0;
		return;
	}
	/* A SIGKILL from outside (an operator, a kill storm) to a worker
	   that had reached accept(2) says nothing about the service. */
	if (!early || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	    sb.state != SB_STARTING))
		return;
	if (++pool->failures < POOL_FAIL_THRESHOLD)
		return;
	pool->backoff_ms = pool->backoff_ms == 0 ? POOL_BACKOFF_MIN_MS :
	    pool->backoff_ms * 2;
	if (pool->backoff_ms > POOL_BACKOFF_MAX_MS)
		pool->backoff_ms = POOL_BACKOFF_MAX_MS;
	pool->next_spawn_ms = now + pool->backoff_ms;
	log_warnx("workers keep dying within %d s of their start (%u in a "
	    "row): next start in %lld ms", POOL_EARLY_MS / 1000,
	    pool->failures, (long long)pool->backoff_ms);
}

/*
 * Reap every exited child and account for it.  Returns the number of
 * workers reaped.
 */
int
pool_reap(struct master *m)
{
	struct pool	*pool = &m->pool;
	int64_t		 now = now_ms();
	unsigned int	 i;
	pid_t		 pid;
	int		 status, n = 0;

	/* What they said before they exited comes first: EV_READY decides
	   how an exit 78 is taken, and a last word precedes the exit line. */
	pool_channel(m);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < pool->nslots; i++)
			if (pool->slots[i].pid == pid)
				break;
		if (i == pool->nslots) {
			log_debug("reaped unknown child %ld", (long)pid);
			continue;
		}
		pool_exited(m, &pool->slots[i], status, now);
		n++;
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
	return n;
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
