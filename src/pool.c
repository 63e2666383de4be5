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
 * Keeps one worker per slot, reaps every child and says in one log line
 * why it ended, and replaces it.  Respawn policy (after Postfix and
 * nginx): a retirement or an isolated crash is replaced at once; workers
 * that keep dying abnormally soon after their start put the pool into a
 * back-off, one probe spawn per step, the delay doubling up to a cap, until
 * a worker lives normally again.  A worker that exits EXIT_PERMANENT
 * (it cannot run as configured) stops the daemon instead of respawning.
 *
 * Runs in the master, as root.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
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

static int	pool_spawn(struct master *m, unsigned int i, int64_t now);
static void	pool_exited(struct master *m, struct slot *s, int status,
		    int64_t now);
static void	pool_describe(const struct sb_slot *sb, int status,
		    char *buf, size_t len);

void
pool_init(struct pool *pool, unsigned int nslots)
{
	memset(pool, 0, sizeof(*pool));
	pool->slots = calloc(nslots, sizeof(*pool->slots));
	if (pool->slots == NULL)
		fatal("pool");
	pool->nslots = nslots;
	pool->generation = 1;
}

void
pool_free(struct pool *pool)
{
	free(pool->slots);
	pool->slots = NULL;
	pool->nslots = 0;
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

static int
pool_spawn(struct master *m, unsigned int i, int64_t now)
{
	struct slot	*s = &m->pool.slots[i];
	struct worker	 w;
	pid_t		 pid, master = getpid();

	sb_reset(&m->sb.slots[i], 0, m->pool.generation);
	switch (pid = fork()) {
	case -1:
		log_warn("fork (next attempt in %d ms)", POOL_FORK_RETRY_MS);
		m->pool.next_spawn_ms = now + POOL_FORK_RETRY_MS;
		return -1;
	case 0:
		sig_worker_init();
		memset(&w, 0, sizeof(w));
		w.slot = i;
		w.generation = m->pool.generation;
		w.master_pid = master;	/* not getppid(): it may be gone */
		w.conf = m->conf;
		w.listeners = m->listeners;
		w.nlisteners = m->nlisteners;
		w.handler = handler_find(m->conf->service);
		w.sb = &m->sb.slots[i];
		w.sb->pid = getpid();
		worker_main(&w);
		/* NOTREACHED */
	}
	s->pid = pid;
	s->generation = m->pool.generation;
	s->started_ms = now;
	log_debug("worker %ld started in slot %u", (long)pid, i);
	return 0;
}

/*
 * Start workers in empty slots, within the back-off.  Returns how many ms
 * until it wants to run again (-1: only when a child exits).
 */
int
pool_maintain(struct master *m, int64_t now)
{
	struct pool	*pool = &m->pool;
	unsigned int	 i;

	if (pool->stopping || pool->permanent)
		return -1;
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
	for (i = 0; i < pool->nslots; i++) {
		if (pool->slots[i].pid > 0)
			continue;
		if (now < pool->next_spawn_ms)
			return (int)(pool->next_spawn_ms - now);
		if (pool_spawn(m, i, now) == -1)
			return POOL_FORK_RETRY_MS;
		if (pool->backoff_ms > 0) {
			/* one probe per back-off step */
			pool->next_spawn_ms = now + pool->backoff_ms;
		}
	}
	if (pool->failures > 0)
		return POOL_EARLY_MS;	/* to notice a normal life */
	return -1;
}

/* "request cap reached after 50 connections", "killed by SIGSEGV"... */
static void
pool_describe(const struct sb_slot *sb, int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s after %llu connections",
		    signame(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "",
		    (unsigned long long)sb->served);
	else if (WEXITSTATUS(status) == EXIT_RETIRED &&
	    sb->exit_reason == SB_EXIT_REQUESTS)
		snprintf(buf, len, "request cap reached after %llu connections",
		    (unsigned long long)sb->served);
	else if (WEXITSTATUS(status) == EXIT_RETIRED &&
	    sb->exit_reason == SB_EXIT_HANDLER)
		snprintf(buf, len, "retired at the service's request after "
		    "%llu connections", (unsigned long long)sb->served);
	else if (WEXITSTATUS(status) == EXIT_PERMANENT)
		snprintf(buf, len, "failed permanently (exit %d)",
		    EXIT_PERMANENT);
	else
		snprintf(buf, len, "exited with status %d after %llu "
		    "connections", WEXITSTATUS(status),
		    (unsigned long long)sb->served);
}

static void
pool_exited(struct master *m, struct slot *s, int status, int64_t now)
{
	struct pool	*pool = &m->pool;
	struct sb_slot	 sb = sb_read(&m->sb.slots[s - pool->slots]);
	char		 why[160];
	int		 abnormal, early;

	pool_describe(&sb, status, why, sizeof(why));
	abnormal = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	early = now - s->started_ms < POOL_EARLY_MS;
	if (pool->stopping)
		log_debug("worker %ld exited: %s", (long)s->pid, why);
	else if (abnormal)
		log_warnx("worker %ld exited: %s", (long)s->pid, why);
	else
		log_info("worker %ld exited: %s", (long)s->pid, why);
	s->pid = 0;

	if (pool->stopping)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PERMANENT) {
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
	if (!early)
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
