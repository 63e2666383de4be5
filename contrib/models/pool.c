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
 * pool.c: a fixed pool of threads (8 by default, -w).
 *
 * Each thread loops in a blocking accept(2) on the shared listener and
 * serves the connection it gets: of the two ways to feed a pool, this
 * one takes no queue of its own, since the kernel's accept queue (the
 * listen backlog) is the queue, and Linux wakes one waiter per
 * connection.  It is preforkd's model with threads instead of processes:
 * the threads are made once, so a connection costs no creation, and the
 * pool bounds the concurrency, which is how it degrades gracefully under
 * overload (the others wait in the backlog and are served in turn).  The
 * bound is also its weakness: at most W connections progress at once,
 * so W long-lived clients, or W blocked payloads, stall everyone else,
 * and the threads share one address space (a crash takes all of them).
 */

#include <sys/socket.h>

#include <err.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "models.h"

static void	*worker(void *);

static void *
worker(void *arg)
{
	int	lfd = (int)(intptr_t)arg, fd;

	for (;;) {
		if ((fd = model_accept(lfd, 0)) == -1)
			continue;
		model_serve(fd);
		close(fd);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	tid;
	int		lfd, i, rc;

	model_init(argc, argv, "pool", 8);
	lfd = model_listen(0);
	for (i = 0; i < mopt.workers; i++)
		if ((rc = pthread_create(&tid, NULL, worker,
		    (void *)(intptr_t)lfd)) != 0)
			errx(1, "pthread_create: %s", strerror(rc));
	model_announce();
	for (;;)
		pause();		/* SIGTERM and SIGINT end the process */
}
