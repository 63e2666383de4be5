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
 * pool_program.c: supervising workers that became programs (service =
 * program), which no longer write a scoreboard slot or speak on the
 * channel: the master keeps their slot for them.
 *
 * Readiness: with program_ready = notify, a program is ready when it
 * sends READY=1 on NOTIFY_SOCKET (the sd_notify protocol), an abstract
 * unix datagram socket of the master's with SO_PASSCRED: the kernel
 * names the sender, and only a datagram from the pid of a program
 * worker counts, for that worker only; its STATUS= shows in `preforkd
 * status`.  One that is not ready within program_start_timeout is
 * killed, a failed start.  With program_ready = delay, a program still
 * alive program_ready_delay after its start is ready.
 *
 * Recycling is the master's: by age (max_worker_age and its jitter) and
 * by peak RSS (max_worker_rss, read from /proc once a second), with
 * program_stop_signal, then SIGKILL at graceful_timeout.
 *
 * Part of the pool (pool.c owns the slot table).  Runs in the master;
 * every byte a program sends is a stranger's (notify_parse()).
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define POOL_NOTIFY_BATCH	64	/* datagrams read per turn */
#define POOL_PROGRAM_TICK_MS	1000	/* age, RSS, the delay's check */

static void	pool_program_ready(struct pool *pool, struct slot *s,
		    int64_t now);

/* Whether s is a live worker that became (or becomes) a program. */
static int
pool_is_program(const struct slot *s)
{
	return s->pid > 0 && s->gen->conf->service_kind == SERVICE_PROGRAM;
}

/*
 * The NOTIFY_SOCKET for program workers, made at the first need: an
 * abstract address nobody can guess ahead ("@preforkd/PID/RANDOM"; a
 * chroot does not hide it).  Returns its name, or NULL (logged).
 */
const char *
pool_notify_name(struct pool *pool)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd, on = 1;

	if (pool->notify_fd != -1)
		return pool->notify_name;
	snprintf(pool->notify_name, sizeof(pool->notify_name),
	    "@preforkd/%ld/%08x%08x", (long)getpid(), arc4random(),
	    arc4random());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path + 1, pool->notify_name + 1,
	    sizeof(sun.sun_path) - 1);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(
	    pool->notify_name);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == -1 || bind(fd, (struct sockaddr *)&sun, len) == -1) {
		log_warn("NOTIFY_SOCKET %s", pool->notify_name);
		if (fd != -1)
			close(fd);
		return NULL;
	}
	pool->notify_fd = fd;
	return pool->notify_name;
}

/*
 * Read what programs sent on NOTIFY_SOCKET, at most POOL_NOTIFY_BATCH
 * datagrams a turn.  A datagram counts only from a program worker, for
 * itself; anything else is dropped (counted in the log at debug).
 */
void
pool_notify(struct pool *pool, int64_t now)
{
	static char		 buf[NOTIFY_MSG_MAX + 1];
	struct notify_msg	 msg;
	struct slot		*s;
	char			 err[128];
	ssize_t			 n;
	pid_t			 pid;
	int			 i, slot;

	for (i = 0; i < POOL_NOTIFY_BATCH && pool->notify_fd != -1; i++) {
		if ((n = chan_recv(pool->notify_fd, buf, sizeof(buf), &pid)) <
		    0)
			break;
		slot = pool_slot_of(pool, pid);
		s = slot >= 0 ? &pool->slots[slot] : NULL;
		if (s == NULL || !pool_is_program(s) || s->retiring) {
			log_debug("NOTIFY_SOCKET: %zd bytes from pid %ld, not "
			    "a program worker: dropped", n, (long)pid);
			continue;
		}
		if (notify_parse(buf, n, &msg, err, sizeof(err)) == -1) {
			log_info("program worker %ld: notification refused: "
			    "%s", (long)pid, err);
			continue;
		}
		if (msg.has_status)
			sb_set_client(sb_at(&pool->sb, slot), msg.status);
		if (msg.ready && !s->ready)
			pool_program_ready(pool, s, now);
		if (msg.stopping)
			log_debug("program worker %ld is stopping", (long)pid);
	}
}

/* s is ready: it counts as accepting (pool_ready(), status). */
static void
pool_program_ready(struct pool *pool, struct slot *s, int64_t now)
{
	struct sb_slot	*sb = sb_at(&pool->sb, s - pool->slots);

	s->ready = 1;
	sb_set_state(sb, SB_IDLE);
	log_debug("program worker %ld ready after %lld ms", (long)s->pid,
	    (long long)(now - s->started_ms));
}

/* Peak resident memory of pid in KiB (VmHWM), 0 if unknown. */
static uint64_t
pool_program_rss(pid_t pid)
{
	char	path[64];

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	return pool_proc_number(path, "VmHWM:");	/* in kB */
}

/* One program worker's periodic check. */
static void
pool_program_check(struct pool *pool, struct slot *s, int64_t now)
{
	const struct conf	*conf = s->gen->conf;
	struct sb_slot		*sb = sb_at(&pool->sb, s - pool->slots);
	uint64_t		 rss;

	if (!s->ready) {
		if (conf->program_ready == READY_DELAY &&
		    now - s->started_ms >= conf->program_ready_delay_ms)
			pool_program_ready(pool, s, now);
		else if (conf->program_ready == READY_NOTIFY &&
		    now - s->started_ms >= conf->program_start_timeout_ms &&
		    !s->start_failed) {
			log_warnx("program worker %ld sent no READY=1 within "
			    "%d ms (program_start_timeout): SIGKILL",
			    (long)s->pid, conf->program_start_timeout_ms);
			s->start_failed = 1;
			kill(s->pid, SIGKILL);
		}
		return;
	}
	if (s->retiring)
		return;
	if (s->retire_at_ms > 0 && now >= s->retire_at_ms) {
		pool_retire(pool, s, TOLD_AGE, conf->graceful_timeout_ms, now);
		return;
	}
	rss = pool_program_rss(s->pid);
	sb_set_rss(sb, rss);
	if (conf->max_worker_rss_kb > 0 && rss > conf->max_worker_rss_kb) {
		log_info("program worker %ld: peak RSS %llu KiB > "
		    "max_worker_rss", (long)s->pid, (unsigned long long)rss);
		pool_retire(pool, s, TOLD_RSS, conf->graceful_timeout_ms, now);
	}
}

/*
 * The periodic work for program workers: readiness, start timeouts,
 * age and RSS.  Returns when to look again (-1: no program worker).
 */
int64_t
pool_programs(struct pool *pool, int64_t now)
{
	unsigned int	 i;
	int64_t		 next = -1, t;
	struct slot	*s;

	for (i = 0; i < pool->nslots; i++) {
		s = &pool->slots[i];
		if (!pool_is_program(s))
			continue;
		pool_program_check(pool, s, now);
		t = now + POOL_PROGRAM_TICK_MS;
		if (!s->ready && s->gen->conf->program_ready == READY_DELAY &&
		    s->started_ms + s->gen->conf->program_ready_delay_ms < t)
			t = s->started_ms + s->gen->conf->program_ready_delay_ms;
		if (next == -1 || t < next)
			next = t;
	}
	return next;
}

/* A program worker just started in s: when it retires of age. */
void
pool_program_started(struct slot *s)
{
	const struct conf	*conf = s->gen->conf;

	if (conf->max_worker_age_ms > 0)
		s->retire_at_ms = s->started_ms + conf->max_worker_age_ms +
		    (conf->max_worker_age_jitter_ms > 0 ? arc4random_uniform(
		    conf->max_worker_age_jitter_ms + 1) : 0);
}

/* Close the notify socket (the master ends). */
void
pool_notify_close(struct pool *pool)
{
	if (pool->notify_fd != -1)
		close(pool->notify_fd);
	pool->notify_fd = -1;
}
