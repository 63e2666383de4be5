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
 * worker_mux.c: a worker serving up to worker_connections connections at
 * once, from one epoll loop, with handlers that stay blocking code.
 *
 * Each active connection runs serve() on a fiber of its own (fiber.c: a
 * stack with a guard page, switched without a system call).  A read or a
 * write that would block suspends the fiber in handler_io.c, the only
 * place a connection waits; the loop resumes it when epoll says its
 * socket is ready, or when its timer (read_timeout, write_timeout, the
 * handler's deadline) expires.  Sockets are registered once, edge
 * triggered, for both directions; what an edge said is kept in `ready`
 * until a read or write meets EAGAIN again.
 *
 * A handler idle between requests returns HANDLER_KEEPALIVE: the
 * connection is parked, its fiber and read-ahead buffer freed, and it
 * costs a descriptor and this record until it is readable again (serve()
 * is called anew) or keepalive_timeout passes.  Parked connections are
 * closed at once when the worker drains, so a reload or a stop never
 * waits on idle clients; active ones are finished.
 *
 * The listeners are watched with EPOLLEXCLUSIVE while the worker has
 * room and dropped from its set when it is full, so that a sibling takes
 * the next connection; a wake accepts while there is room.
 *
 * The scoreboard says "busy" while a fiber runs (request_timeout counts
 * from there: a handler stuck on the CPU stops every connection of the
 * worker, and only the end of the worker frees them), "reading" while
 * all of its connections wait, "idle" with none.
 */

#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"
#include "fiber.h"

#define MUX_EVENTS	64		/* epoll events per wake */
#define MUX_STACK	(256 * 1024)	/* per active connection, reserved
					   (touched pages only are memory) */
#define MUX_TRIM_MS	1000		/* cached stacks beyond the last
					   second's peak are unmapped */

#define MUX_READ	HANDLER_WAIT_READ
#define MUX_WRITE	HANDLER_WAIT_WRITE

/* One connection: active (fiber != NULL) or parked. */
struct mux_conn {
	struct handler_conn	 hc;		/* first: handler_io's view */
	struct fiber		*fiber;		/* NULL: parked */
	int64_t			 timer_ms;	/* 0: no timer */
	unsigned int		 heap_i;	/* in mux.heap while timer_ms */
	int			 rc;		/* what serve() returned */
	uint8_t			 wait;		/* MUX_READ, MUX_WRITE, 0 */
	uint8_t			 ready;		/* edges since the last EAGAIN */
	uint8_t			 timed_out;
	uint8_t			 queued;	/* on the run queue */
	TAILQ_ENTRY(mux_conn)	 run;
	LIST_ENTRY(mux_conn)	 all;
	LIST_ENTRY(mux_conn)	 act;		/* in mux.actives, if active */
	socklen_t		 sslen;
	struct sockaddr_storage	 ss;
	char			 peer[LADDR_TEXTLEN];
};

static struct {
	struct worker		*w;
	struct fiber_pool	*stacks;
	TAILQ_HEAD(, mux_conn)	 runq;
	LIST_HEAD(, mux_conn)	 conns;
	LIST_HEAD(, mux_conn)	 actives;
	struct mux_conn		**heap;		/* timers, earliest first */
	unsigned int		 nheap;
	unsigned int		 active, parked;
	int			 listening;	/* listeners in the epoll set */
	int			 draining;	/* accepts no more; SB_EXIT_* */
	int64_t			 resume_accept_ms; /* after a shortage */
	int64_t			 trim_ms;	/* the next stack cache trim */
	unsigned int		 peak;		/* active, since the last trim */
	sigset_t		 waitmask;	/* signals open in epoll_pwait */
} mux;

static void	mux_fiber(void *arg);
static int	mux_suspend(struct handler_conn *hc, int dir, int ms);
static void	mux_timer_set(struct mux_conn *c, int64_t at);
static void	mux_timer_clear(struct mux_conn *c);
static void	mux_heap_up(unsigned int i);
static void	mux_heap_down(unsigned int i);
static void	mux_wake(struct mux_conn *c);
static int	mux_start(struct mux_conn *c);
static void	mux_close(struct mux_conn *c);
static void	mux_done(struct mux_conn *c);
static void	mux_park(struct mux_conn *c);
static void	mux_run(void);
static void	mux_listen(int on);
static void	mux_accept(struct listener *l);
static void	mux_new(struct listener *l, int fd,
		    const struct sockaddr_storage *ss, socklen_t sslen);
static void	mux_drain(uint32_t reason);
static void	mux_timers(int64_t now);
static int	mux_timeout(int64_t now);
static void	mux_event(struct epoll_event *ev);
static void	mux_account(void);
static void	mux_nofile(const struct worker *w);

/* The body of a connection's fiber. */
static void
mux_fiber(void *arg)
{
	struct mux_conn	*c = arg;

	c->rc = mux.w->handler->serve(&c->hc);
}

/*
 * handler_io.c's suspend hook: a read or write of hc would block.  Back
 * to the loop until an edge of that direction comes (0) or ms pass (-1).
 */
static int
mux_suspend(struct handler_conn *hc, int dir, int ms)
{
	struct mux_conn	*c = (struct mux_conn *)hc;

	if (fiber_self() == NULL)
		return -1;	/* not on a connection's fiber: cannot wait */
	c->ready &= ~dir;
	c->wait = dir;
	c->timed_out = 0;
	if (ms > 0)
		mux_timer_set(c, now_ms() + ms);
	fiber_yield();
	c->wait = 0;
	mux_timer_clear(c);
	return c->timed_out ? -1 : 0;
}

/* The timers: a binary heap of the connections that have one. */
static void
mux_heap_swap(unsigned int a, unsigned int b)
{
	struct mux_conn	*t = mux.heap[a];

	mux.heap[a] = mux.heap[b];
	mux.heap[b] = t;
	mux.heap[a]->heap_i = a;
	mux.heap[b]->heap_i = b;
}

static void
mux_heap_up(unsigned int i)
{
	while (i > 0 && mux.heap[(i - 1) / 2]->timer_ms >
	    mux.heap[i]->timer_ms) {
		mux_heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
mux_heap_down(unsigned int i)
{
	unsigned int	l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < mux.nheap && mux.heap[l]->timer_ms <
		    mux.heap[m]->timer_ms)
			m = l;
		if (l + 1 < mux.nheap && mux.heap[l + 1]->timer_ms <
		    mux.heap[m]->timer_ms)
			m = l + 1;
		if (m == i)
			return;
		mux_heap_swap(i, m);
		i = m;
	}
}

static void
mux_timer_set(struct mux_conn *c, int64_t at)
{
	mux_timer_clear(c);
	c->timer_ms = at;
	c->heap_i = mux.nheap;
	mux.heap[mux.nheap++] = c;
	mux_heap_up(c->heap_i);
}

static void
mux_timer_clear(struct mux_conn *c)
{
	unsigned int	i = c->heap_i;

	if (c->timer_ms == 0)
		return;
	c->timer_ms = 0;
	if (i != --mux.nheap) {
		mux.heap[i] = mux.heap[mux.nheap];
		mux.heap[i]->heap_i = i;
		mux_heap_up(i);
		mux_heap_down(mux.heap[i]->heap_i);
	}
}

/* Put c on the run queue (once). */
static void
mux_wake(struct mux_conn *c)
{
	if (c->queued)
		return;
	c->queued = 1;
	TAILQ_INSERT_TAIL(&mux.runq, c, run);
}

/* A fiber for c (new, or parked until now); 0, or -1 out of memory. */
static int
mux_start(struct mux_conn *c)
{
	if ((c->fiber = fiber_new(mux.stacks, mux_fiber, c)) == NULL) {
		log_warn("%s: no stack for the connection, closed", c->peer);
		return -1;
	}
	if (++mux.active > mux.peak)
		mux.peak = mux.active;
	LIST_INSERT_HEAD(&mux.actives, c, act);
	mux_wake(c);
	return 0;
}

/* The end of a connection: its one log line, its descriptor, its count. */
static void
mux_close(struct mux_conn *c)
{
	struct handler_conn	*hc = &c->hc;

	mux_timer_clear(c);
	if (c->queued)
		TAILQ_REMOVE(&mux.runq, c, run);
	if (c->fiber != NULL) {
		fiber_free(c->fiber);
		LIST_REMOVE(c, act);
		mux.active--;
	} else
		mux.parked--;
	handler_conn_done(hc);
	close(hc->fd);
	worker_conn_log(hc);
	LIST_REMOVE(c, all);
	free(c);
	mux.w->served++;
	sb_served(mux.w->sb, mux.w->served, mux.w->waited);
}

/* serve() returned: park, go again, or close. */
static void
mux_done(struct mux_conn *c)
{
	fiber_free(c->fiber);
	c->fiber = NULL;
	LIST_REMOVE(c, act);
	mux.active--;
	mux.parked++;		/* until decided */
	if (c->rc == HANDLER_EXIT) {
		mux_close(c);
		mux_drain(SB_EXIT_HANDLER);
	} else if (c->rc != HANDLER_KEEPALIVE || mux.draining)
		mux_close(c);
	else
		mux_park(c);
}

/*
 * HANDLER_KEEPALIVE: parked if nothing of the next request is there yet,
 * else served again at once.
 */
static void
mux_park(struct mux_conn *c)
{
	c->hc.calls++;
	switch (handler_conn_park(&c->hc)) {
	case 1:
		mux.parked--;
		if (mux_start(c) == -1) {
			mux.parked++;
			mux_close(c);
		}
		break;
	case 0:
		c->ready &= ~MUX_READ;
		if (mux.w->conf->keepalive_timeout_ms > 0)
			mux_timer_set(c, now_ms() +
			    mux.w->conf->keepalive_timeout_ms);
		break;
	default:
		mux_close(c);
	}
}

/* Run every connection that can go on, until each waits or is done. */
static void
mux_run(void)
{
	struct mux_conn	*c;

	while ((c = TAILQ_FIRST(&mux.runq)) != NULL) {
		TAILQ_REMOVE(&mux.runq, c, run);
		c->queued = 0;
		sb_set_client(mux.w->sb, c->peer);
		sb_set_conns(mux.w->sb, mux.active, mux.parked);
		sb_set_state(mux.w->sb, mux.draining ? SB_RETIRING : SB_BUSY);
		if (fiber_resume(c->fiber) == 0)
			mux_done(c);
	}
	mux_account();
}

/* The scoreboard's view: state, connection counts, who is served. */
static void
mux_account(void)
{
	char	what[32];

	sb_set_conns(mux.w->sb, mux.active, mux.parked);
	if (mux.active == 1)
		sb_set_client(mux.w->sb, LIST_FIRST(&mux.actives)->peer);
	else if (mux.active > 1) {
		snprintf(what, sizeof(what), "%u connections", mux.active);
		sb_set_client(mux.w->sb, what);
	} else
		sb_set_client(mux.w->sb, "");
	/* as a worker of one connection at a time: waiting for clients
	   is "reading", whether it drains or not */
	sb_set_state(mux.w->sb, mux.active + mux.parked > 0 ? SB_READING :
	    mux.draining ? SB_RETIRING : SB_IDLE);
}

/* Watch the listeners (on) or leave them to the siblings. */
static void
mux_listen(int on)
{
	struct epoll_event	ev;
	size_t			i;

	if (on == mux.listening)
		return;
	for (i = 0; i < mux.w->nlisteners; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.ptr = &mux.w->listeners[i];
		if (epoll_ctl(mux.w->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		    mux.w->listeners[i].fd, &ev) == -1)
			fatal("epoll_ctl %s", mux.w->listeners[i].bound);
	}
	mux.listening = on;
}

/*
 * Stop accepting (a retirement: the master's word, age, request cap, RSS,
 * the handler): close the listeners, close the parked connections, and
 * let the active ones finish.
 */
static void
mux_drain(uint32_t reason)
{
	struct mux_conn	*c, *next;
	size_t		 i;

	if (mux.draining)
		return;
	mux.draining = reason;
	mux.w->last = 1;	/* handler_draining() */
	mux_listen(0);
	for (i = 0; i < mux.w->nlisteners; i++)
		(void)close(mux.w->listeners[i].fd);
	LIST_FOREACH_SAFE(c, &mux.conns, all, next)
		if (c->fiber == NULL)
			mux_close(c);
	setproctitle("worker gen %u draining", mux.w->generation);
	log_debug("draining: %u connections to finish", mux.active);
}

/* Accept while there is room and the queue has connections. */
static void
mux_accept(struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;

	while (!mux.draining && mux.active + mux.parked <
	    mux.w->conf->worker_connections) {
		sslen = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			mux_new(l, fd, &ss, sslen);
			continue;
		}
		if (errno == EAGAIN)
			return;
		if (worker_accept_error(l, errno) == WORKER_ACCEPT_SHORT) {
			/* let the siblings take the queue meanwhile */
			mux.resume_accept_ms = now_ms() + WORKER_BACKOFF_MS;
			mux_listen(0);
			return;
		}
	}
}

/* An accepted connection: registered, and its serve() started. */
static void
mux_new(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct epoll_event	 ev;
	struct mux_conn		*c;
	struct worker		*w = mux.w;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s: connection refused", l->bound);
		close(fd);
		return;
	}
	memcpy(&c->ss, ss, sslen);
	c->sslen = sslen;
	worker_peer(&c->ss, sslen, c->peer, sizeof(c->peer));
	c->hc.fd = fd;
	c->hc.peer = (struct sockaddr *)&c->ss;
	c->hc.peerlen = sslen;
	c->hc.peer_text = c->peer;
	c->hc.listener_text = l->bound;
	c->hc.read_timeout_ms = w->conf->read_timeout_ms;
	c->hc.write_timeout_ms = w->conf->write_timeout_ms;
	c->hc.data = w->hdata;
	c->hc.env = &w->env;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	LIST_INSERT_HEAD(&mux.conns, c, all);
	mux.parked++;		/* until it has a fiber */
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("epoll_ctl %s", c->peer);
		mux_close(c);
		return;
	}
	mux.parked--;
	if (mux_start(c) == -1) {
		mux.parked++;
		mux_close(c);
		return;
	}
	if (w->cap > 0 && w->served + mux.active + mux.parked >= w->cap) {
		/* the request cap: the replacement starts now */
		worker_announce(w, EV_RETIRING);
		mux_drain(SB_EXIT_REQUESTS);
	}
}

/* Expired timers: a wait timed out, or a parked connection idled out. */
static void
mux_timers(int64_t now)
{
	struct mux_conn	*c;

	while (mux.nheap > 0 && (c = mux.heap[0])->timer_ms <= now) {
		mux_timer_clear(c);
		if (c->fiber == NULL) {
			log_debug("%s: idle for keepalive_timeout, closed",
			    c->peer);
			mux_close(c);
		} else {
			c->timed_out = 1;
			mux_wake(c);
		}
	}
}

/* epoll_wait's timeout: until the next timer, -1 for none. */
static int
mux_timeout(int64_t now)
{
	int64_t	next = mux.nheap > 0 ? mux.heap[0]->timer_ms : 0;

	if (mux.resume_accept_ms > 0 && (next == 0 ||
	    mux.resume_accept_ms < next))
		next = mux.resume_accept_ms;
	if (next == 0)
		return -1;
	return next <= now ? 0 : next - now > 3600000 ? 3600000 :
	    (int)(next - now);
}

static void
mux_event(struct epoll_event *ev)
{
	struct worker	*w = mux.w;
	struct mux_conn	*c;
	uint8_t		 bits = 0;

	if (ev->data.ptr >= (void *)w->listeners &&
	    ev->data.ptr < (void *)(w->listeners + w->nlisteners)) {
		mux_accept(ev->data.ptr);
		return;
	}
	c = ev->data.ptr;
	if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		bits |= MUX_READ;
	if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		bits |= MUX_WRITE;
	c->ready |= bits;
	if (c->fiber != NULL) {
		if (c->wait & c->ready)
			mux_wake(c);
	} else if (bits & MUX_READ) {
		/* a parked connection has its next request (or its end) */
		mux_timer_clear(c);
		mux.parked--;
		if (mux_start(c) == -1) {
			mux.parked++;
			mux_close(c);
		}
	}
}

/*
 * A descriptor per connection, the listeners and a few more: raise the
 * soft limit towards the hard one if it is short (no privilege needed).
 */
static void
mux_nofile(const struct worker *w)
{
	struct rlimit	rl;
	rlim_t		need = (rlim_t)w->conf->worker_connections +
			    w->nlisteners + 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < need)
		log_warnx("worker_connections %u: only %llu descriptors "
		    "(RLIMIT_NOFILE): raise worker_rlimit_nofile",
		    w->conf->worker_connections,
		    (unsigned long long)rl.rlim_cur);
}

/*
 * The worker's life with worker_connections > 1, after worker_init():
 * never returns.
 */
__dead void
worker_mux_main(struct worker *w)
{
	struct epoll_event	evs[MUX_EVENTS];
	int64_t			now;
	uint32_t		leaving;
	int			i, n;

	mux.w = w;
	TAILQ_INIT(&mux.runq);
	LIST_INIT(&mux.conns);
	LIST_INIT(&mux.actives);
	if ((mux.stacks = fiber_pool_new(MUX_STACK,
	    w->conf->worker_connections)) ==
	    NULL || (mux.heap = calloc(w->conf->worker_connections,
	    sizeof(*mux.heap))) == NULL)
		fatal("worker_connections");
	mux_nofile(w);
	handler_io_hook(NULL);
	handler_io_suspend_hook(mux_suspend);
	sig_worker_mux(&mux.waitmask);
	mux.listening = 1;	/* worker_init() registered them */
	setproctitle("worker gen %u, up to %u connections", w->generation,
	    w->conf->worker_connections);
	mux_account();
	for (;;) {
		if ((leaving = worker_leaving(w)) != SB_EXIT_NONE)
			mux_drain(leaving);
		if (mux.draining && mux.active == 0)
			worker_exit(w, mux.draining);
		now = now_ms();
		if (!mux.draining && mux.resume_accept_ms <= now) {
			mux.resume_accept_ms = 0;
			mux_listen(mux.active + mux.parked <
			    w->conf->worker_connections);
		}
		n = epoll_pwait(w->epfd, evs, MUX_EVENTS, mux_timeout(now),
		    &mux.waitmask);
		if (n == -1 && errno != EINTR)
			fatal("epoll_pwait");
		for (i = 0; i < n; i++)
			mux_event(&evs[i]);
		mux_timers(now = now_ms());
		mux_run();
		if (now >= mux.trim_ms) {
			/* what a burst left cached goes back to the kernel */
			(void)fiber_pool_trim(mux.stacks, mux.peak >
			    FIBER_POOL_WARM ? mux.peak : FIBER_POOL_WARM);
			mux.peak = mux.active;
			mux.trim_ms = now + MUX_TRIM_MS;
		}
		if (worker_rss(w) > w->conf->max_worker_rss_kb &&
		    w->conf->max_worker_rss_kb > 0 && !mux.draining) {
			worker_announce(w, EV_RETIRING);
			mux_drain(SB_EXIT_RSS);
		}
	}
}
