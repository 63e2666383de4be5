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
 * sped.c: single-process event-driven (SPED), one epoll loop.
 *
 * The guide's SPED model (nginx with one worker): one process, one
 * thread, non-blocking sockets, and an event loop that accepts, reads
 * and writes whatever epoll says is ready.  Each connection is a small
 * state machine kept across reads (the incr frame state, and the
 * unsent part of an answer when the client reads slowly: the write is
 * buffered and EPOLLOUT awaited, and the connection is not read until
 * it drains).  No context switch and no thread per client: an idle
 * connection costs a struct and a descriptor, so it holds many long
 * connections cheaply.  But everything runs on one core, and the
 * payload runs in the loop: a frame that burns CPU or sleeps (-b, -s)
 * stops every other connection meanwhile.  That is the model's
 * weakness, kept here on purpose.
 *
 * reuseport.c runs sped_loop() once per core (built with SPED_NO_MAIN).
 */

#include <sys/epoll.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "handlers/incr.h"
#include "models.h"

#define SPED_EVENTS	64

struct conn {
	int		fd;
	uint32_t	events;		/* what epoll watches: 0 = not yet added */
	int		state;		/* the incr frame state, across reads */
	size_t		off, len;	/* out[off..len) is still to be sent */
	unsigned char	out[MODEL_CHUNK];
};

static int	epfd;

static void	conn_accept(int);
static void	conn_close(struct conn *);
static int	conn_watch(struct conn *, uint32_t);
static void	conn_flush(struct conn *);
static void	conn_read(struct conn *);

static void
conn_accept(int lfd)
{
	struct conn	*c;
	int		 fd;

	while ((fd = model_accept(lfd, SOCK_NONBLOCK)) != -1) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			warn("calloc");
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = INCR_WAIT;
		c->out[0] = '*';		/* the greeting, as any answer */
		c->len = 1;
		conn_flush(c);
	}
}

static void
conn_close(struct conn *c)
{
	close(c->fd);			/* also leaves the epoll set */
	free(c);
}

/* Watch for events (EPOLLIN or EPOLLOUT); -1 if c was closed. */
static int
conn_watch(struct conn *c, uint32_t events)
{
	struct epoll_event	ev;

	if (c->events == events)
		return 0;
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    c->fd, &ev) == -1) {
		warn("epoll_ctl");
		conn_close(c);
		return -1;
	}
	c->events = events;
	return 0;
}

/* Send the buffered answer: EPOLLOUT while some is left, then EPOLLIN. */
static void
conn_flush(struct conn *c)
{
	ssize_t	n;

	while (c->off < c->len) {
		n = send(c->fd, c->out + c->off, c->len - c->off,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			conn_watch(c, EPOLLOUT);
			return;
		}
		if (n == -1) {
			conn_close(c);
			return;
		}
		c->off += n;
	}
	c->off = c->len = 0;
	conn_watch(c, EPOLLIN);
}

/* One read of at most a chunk; its answer is sent at once, in one write. */
static void
conn_read(struct conn *c)
{
	unsigned char	in[MODEL_CHUNK];
	ssize_t		n;
	size_t		frames = 0;

	if ((n = read(c->fd, in, sizeof(in))) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len = incr_feed_frames(&c->state, in, (size_t)n, c->out, &frames);
	model_work(frames);		/* the whole loop waits meanwhile */
	conn_flush(c);
}

void
sped_loop(int lfd)
{
	struct epoll_event	 ev, evs[SPED_EVENTS];
	struct conn		*c;
	int			 i, n;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;		/* NULL: the listener */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) == -1)
		err(1, "epoll_ctl");
	for (;;) {
		if ((n = epoll_wait(epfd, evs, SPED_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if ((c = evs[i].data.ptr) == NULL)
				conn_accept(lfd);
			else if (c->events == EPOLLOUT)
				conn_flush(c);
			else
				conn_read(c);
		}
	}
}

#ifndef SPED_NO_MAIN
int
main(int argc, char *argv[])
{
	int	lfd;

	model_init(argc, argv, "sped", 0);
	lfd = model_listen(MODEL_NONBLOCK);
	model_announce();
	sped_loop(lfd);
}
#endif
