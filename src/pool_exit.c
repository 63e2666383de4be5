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
 * pool_exit.c: the end of a worker.  The master reaps every child, says
 * in one log line why it ended (the cause the master knows: its own
 * order, a timeout, the OOM killer; or the reason the worker gave in its
 * scoreboard slot, believed only about itself), counts it by cause, and
 * decides what it means for its generation: nothing (a retirement, an
 * isolated crash), a crash-loop back-off (workers that keep dying soon
 * after their start), or "cannot run as configured" (exit 78 from a
 * worker that never reached accept(2)).
 *
 * Part of the pool (pool.c owns the slot table).  Runs in the master.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

#define POOL_EARLY_MS		10000	/* a death this soon is "early" */
#define POOL_FAIL_THRESHOLD	5	/* early deaths before back-off */
#define POOL_BACKOFF_MIN_MS	1000
#define POOL_BACKOFF_MAX_MS	30000

static void	pool_lost(struct pool *pool, const struct sb_slot *sb,
		    char *why, size_t len);
static void	pool_describe(const struct slot *s, const struct sb_slot *sb,
		    int status, char *buf, size_t len);
static void	pool_describe_program(const struct slot *s, int status,
		    char *buf, size_t len);
static int	pool_exit_reason(const struct slot *s, const struct sb_slot *sb,
		    int status);
static void	pool_exited(struct pool *pool, struct slot *s, int status,
		    int64_t now);
static void	pool_backoff(struct generation *g, int64_t now);
static int	pool_exec_ended(struct pool *pool, const struct slot *s,
		    const struct sb_slot *sb, int status, int64_t now);

/*
 * The number after key on the line of the /proc file path that starts
 * with it ("oom_kill ", "VmHWM:"), 0 if none.
 */
uint64_t
pool_proc_number(const char *path, const char *key)
{
	char		 line[128];
	size_t		 len = strlen(key);
	uint64_t	 n = 0;
	FILE		*f;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, len) == 0) {
			n = strtoull(line + len, NULL, 10);
			break;
		}
	fclose(f);
	return n;
}

/* The kernel's count of OOM kills (/proc/vmstat), 0 if unknown. */
uint64_t
pool_oom_kills(void)
{
	return pool_proc_number("/proc/vmstat", "oom_kill ");
}

/* What the master told a worker it retired, for the log. */
static const char *const told_text[] = {
	[TOLD_RELOAD] = "replaced by a reload",
	[TOLD_STOP] = "stopped",
	[TOLD_IDLE] = "retired: too many idle workers",
	[TOLD_TTOU] = "retired: SIGTTOU",
	[TOLD_AGE] = "retired: max_worker_age reached",
	[TOLD_RSS] = "retired: max_worker_rss exceeded",
};

/* "killed by SIGSEGV (core dumped)", "exited with status 3". */
static void
pool_how(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s", signame(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
}

/* A program worker's end: it has no connection count to give. */
static void
pool_describe_program(const struct slot *s, int status, char *buf,
    size_t len)
{
	char	how[64];

	pool_how(status, how, sizeof(how));
	if (s->start_failed)
		snprintf(buf, len, "program never ready: %s", how);
	else if (s->told != TOLD_NONE)
		snprintf(buf, len, "program %s: %s%s", told_text[s->told],
		    how, s->termed ? " after graceful_timeout" : "");
	else
		snprintf(buf, len, "program %s%s", how, s->ready ? "" :
		    " before it was ready");
}

/* "request cap reached after 50 connections", "killed by SIGSEGV"... */
/*
 * A multiplexing worker that ended abnormally took its connections with
 * it: counted, and said in its exit line.  The figures are the worker's
 * (bounded: they only add to a counter and a line).
 */
static void
pool_lost(struct pool *pool, const struct sb_slot *sb, char *why,
    size_t len)
{
	uint64_t	n = (uint64_t)sb->active + sb->parked;
	size_t		off = strlen(why);

	if (n == 0)
		return;
	pool->conns_lost += n;
	if (off < len)
		snprintf(why + off, len - off, "; %u active and %u parked "
		    "connection%s lost with it", sb->active, sb->parked,
		    PLURAL(n));
}

static void
pool_describe(const struct slot *s, const struct sb_slot *sb, int status,
    char *buf, size_t len)
{
	static const char *const own[] = {
		[SB_EXIT_REQUESTS] = "request cap reached",
		[SB_EXIT_HANDLER] = "retired at the service's request",
		[SB_EXIT_AGE] = "max_worker_age reached",
		[SB_EXIT_RSS] = "max_worker_rss exceeded",
	};
	unsigned long long	served = sb->served;

	if (s->gen->conf->service_kind == SERVICE_PROGRAM) {
		pool_describe_program(s, status, buf, len);
		return;
	}
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
		    told_text[s->told] ? told_text[s->told] : "retiring", served,
		    PLURAL(served));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s after %llu connection%s",
		    signame(WTERMSIG(status)),
		    WCOREDUMP(status) ? " (core dumped)" : "", served,
		    PLURAL(served));
	else if (WEXITSTATUS(status) == EXIT_RETIRED &&
	    sb->exit_reason == SB_EXIT_TOLD && s->told != TOLD_NONE)
		snprintf(buf, len, "%s after %llu connection%s",
		    told_text[s->told], served, PLURAL(served));
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
		[TOLD_AGE] = XR_AGE, [TOLD_RSS] = XR_RSS,
	};
	static const int own[] = {
		[SB_EXIT_REQUESTS] = XR_REQUESTS, [SB_EXIT_HANDLER] = XR_HANDLER,
		[SB_EXIT_AGE] = XR_AGE, [SB_EXIT_RSS] = XR_RSS,
	};

	if (s->gen->conf->service_kind == SERVICE_PROGRAM && s->told !=
	    TOLD_NONE && !s->termed)
		return told[s->told];
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

/*
 * The end of an exec program (a worker that became its connection's
 * program): logged with its client and how long it ran, at debug when
 * it exited 0, as a warning otherwise; never a crash of the pool.
 * Returns 1 if s was one.
 */
static int
pool_exec_ended(struct pool *pool, const struct slot *s,
    const struct sb_slot *sb, int status, int64_t now)
{
	int64_t	ran = now - sb->changed_ms;
	char	how[64];

	if (s->gen->conf->service_kind != SERVICE_EXEC ||
	    sb->exit_reason != SB_EXIT_EXEC)
		return 0;
	pool->exits[XR_EXEC]++;
	pool->served_dead++;
	if (ran < 0 || ran > now - s->started_ms)
		ran = now - s->started_ms;	/* the slot says nonsense */
	pool_how(status, how, sizeof(how));
	log_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? LOG_DEBUG :
	    LOG_WARNING, "program %ld for %s %s%s after %lld ms",
	    (long)s->pid, *sb->client ? sb->client : "-", how, s->timed_out ?
	    " for request_timeout" : "", (long long)ran);
	return 1;
}

/* Workers of g keep dying soon after their start: one more step. */
static void
pool_backoff(struct generation *g, int64_t now)
{
	if (++g->failures < POOL_FAIL_THRESHOLD)
		return;
	g->backoff_ms = g->backoff_ms == 0 ? POOL_BACKOFF_MIN_MS :
	    g->backoff_ms * 2;
	if (g->backoff_ms > POOL_BACKOFF_MAX_MS)
		g->backoff_ms = POOL_BACKOFF_MAX_MS;
	g->next_spawn_ms = now + g->backoff_ms;
	log_warnx("workers keep dying within %d s of their start (%u in a "
	    "row): next start in %lld ms", POOL_EARLY_MS / 1000,
	    g->failures, (long long)g->backoff_ms);
}

/*
 * Whether the back-off of g ends now: a worker of it lived past the early
 * window.  Returns the time to look again (-1: not needed).
 */
int64_t
pool_backoff_check(struct pool *pool, struct generation *g, int64_t now)
{
	unsigned int	i;

	if (g == NULL || g->failures == 0)
		return -1;
	for (i = 0; i < pool->nslots; i++)
		if (pool->slots[i].pid > 0 && pool->slots[i].gen == g &&
		    now - pool->slots[i].started_ms >= POOL_EARLY_MS) {
			if (g->backoff_ms > 0)
				log_notice("workers live normally again: "
				    "back-off ended");
			g->failures = 0;
			g->backoff_ms = 0;
			return -1;
		}
	return now + POOL_EARLY_MS;	/* to notice a normal life */
}

/* End the crash-loop back-off of g (a reload to a good configuration). */
void
pool_reset_backoff(struct generation *g)
{
	if (g->backoff_ms > 0)
		log_notice("back-off ended by the reload");
	g->failures = 0;
	g->backoff_ms = 0;
	g->next_spawn_ms = 0;
}

static void
pool_exited(struct pool *pool, struct slot *s, int status, int64_t now)
{
	struct sb_slot		*sbs = sb_at(&pool->sb, s - pool->slots);
	struct sb_slot		 sb = sb_read(sbs);
	struct generation	*g = s->gen;
	char			 why[256];
	int			 abnormal, early, told = s->told != TOLD_NONE;
	int			 ready = s->ready;
	uint64_t		 oom;

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	    !s->termed && (oom = pool_oom_kills()) > pool->oom_kills) {
		pool->oom_kills = oom;
		s->oom = 1;
	}
	if (pool_exec_ended(pool, s, &sb, status, now)) {
		log_worker_flush(&s->out, s->pid, s - pool->slots);
		sb_clear(sbs);
		g->workers--;
		memset(s, 0, sizeof(*s));
		return;
	}
	pool_describe(s, &sb, status, why, sizeof(why));
	pool->exits[pool_exit_reason(s, &sb, status)]++;
	pool->served_dead += sb.served;
	pool->waited_dead += sb.waited;
	abnormal = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	if (abnormal)
		pool_lost(pool, &sb, why, sizeof(why));
	early = now - s->started_ms < POOL_EARLY_MS || s->start_failed;
	if (g->conf->service_kind == SERVICE_PROGRAM && !told)
		abnormal = abnormal || early;	/* a program's own end */
	if (pool->stopping == 1)
		log_debug("worker %ld exited: %s", (long)s->pid, why);
	else if (abnormal && !told)
		log_warnx("worker %ld exited: %s", (long)s->pid, why);
	else
		log_info("worker %ld exited: %s", (long)s->pid, why);
	log_worker_flush(&s->out, s->pid, s - pool->slots);
	sb_clear(sbs);
	told = told || s->timed_out;
	g->workers--;
	memset(s, 0, sizeof(*s));

	if (pool->stopping || told)
		return;
	/* "cannot run as configured" stops the daemon: believed only of a
	   worker that never reached accept(2), whose code was all ours;
	   from one that served, it is a crash like any other */
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PERMANENT &&
	    !ready) {
		g->permanent = 1;
		return;
	}
	if (!abnormal) {
		/* a worker that served its life out proves the service works */
		if (g->backoff_ms > 0)
			log_notice("a worker lived normally: back-off ended");
		g->failures = 0;
		g->backoff_ms = 0;
		return;
	}
	/* A SIGKILL from outside (an operator, a kill storm) to a worker
	   that had reached accept(2) says nothing about the service. */
	if (!early || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	    sb.state != SB_STARTING))
		return;
	pool_backoff(g, now);
}

/*
 * Reap every exited child and account for it.  What workers said on the
 * channel before they exited comes first: EV_READY decides how an exit
 * 78 is taken, and a last word precedes the exit line.  Returns the
 * number of workers reaped.
 */
int
pool_reap(struct pool *pool, int64_t now)
{
	unsigned int	i;
	pid_t		pid;
	int		status, n = 0;

	pool_channel(pool, now);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < pool->nslots; i++)
			if (pool->slots[i].pid == pid)
				break;
		if (i == pool->nslots) {
			log_debug("reaped unknown child %ld", (long)pid);
			continue;
		}
		pool_exited(pool, &pool->slots[i], status, now);
		n++;
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
	return n;
}
