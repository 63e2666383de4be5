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
 * pool_slot.c: one worker's slot, as the rest of the pool acts on it:
 * what it said on the channel (its events, believed about itself only,
 * and its output, sent to the log), and the graceful retirement the
 * master tells it.  The ground floor of the pool: pool.c, pool_exit.c
 * and pool_size.c build on it.
 *
 * Runs in the master.
 */

#include <errno.h>
#include <signal.h>

#include "preforkd.h"

#define POOL_CHAN_BATCH		256	/* datagrams read per turn */

static void	pool_event(struct slot *s, uint32_t event, int64_t now);

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

/*
 * Tell one worker to finish its connection and exit (SIGUSR2; a program
 * worker: program_stop_signal), with a deadline after which it is
 * terminated.  It no longer counts in the pool.  An exec program is
 * not signalled: it serves its connection to the end, or the deadline.
 */
void
pool_retire(struct pool *pool, struct slot *s, int told, int grace_ms,
    int64_t now)
{
	const struct conf	*conf = s->gen->conf;
	int			 signo = SIGUSR2;

	if (s->pid <= 0 || s->told != TOLD_NONE)
		return;
	s->retiring = 1;
	s->told = told;
	s->deadline_ms = grace_ms > 0 ? now + grace_ms : 0;
	if (conf->service_kind == SERVICE_PROGRAM)
		signo = conf->program_stop_signal;
	else if (conf->service_kind == SERVICE_EXEC && sb_read(sb_at(
	    &pool->sb, s - pool->slots)).exit_reason == SB_EXIT_EXEC)
		return;
	if (kill(s->pid, signo) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)s->pid);
}

/* The slot of worker pid, or -1 (not a live worker of ours). */
int
pool_slot_of(struct pool *pool, pid_t pid)
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
pool_event(struct slot *s, uint32_t event, int64_t now)
{
	if (event == EV_READY)
		s->ready = 1;
	else if (event == EV_RETIRING && !s->announced && !s->retiring) {
		s->announced = s->retiring = 1;
		if (s->deadline_ms == 0)
			s->deadline_ms = now +
			    s->gen->conf->graceful_timeout_ms;
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
pool_channel(struct pool *pool, int64_t now)
{
	static char	 buf[16384];
	struct slot	*s;
	uint32_t	 event;
	ssize_t		 n;
	pid_t		 pid;
	int		 i, slot;

	for (i = 0; i < POOL_CHAN_BATCH; i++) {
		if ((n = chan_recv(pool->chan[0], buf, sizeof(buf), &pid)) < 0)
			break;
		slot = pool_slot_of(pool, pid);
		s = slot >= 0 ? &pool->slots[slot] : NULL;
		if (chan_event(buf, n, &event)) {
			if (s != NULL)
				pool_event(s, event, now);
			continue;
		}
		log_worker_output(s != NULL ? &s->out : &pool->strays, pid,
		    slot, buf, n, now);
	}
}
