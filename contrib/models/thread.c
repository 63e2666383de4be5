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
 * thread.c: one thread per connection (threads on demand).
 *
 * The main thread blocks in accept(2) and starts a detached thread for
 * each connection, which serves it with plain blocking calls and ends
 * with it (part 2 of the concurrent-server series).  Linear code, every
 * client served at once, on every core.  The price: a thread made and
 * unmade per connection (a stack mapped and unmapped), and no limit.
 * Each client is one more thread for the scheduler, the accepting thread
 * is only one among them, and nothing pushes back under overload: with
 * a CPU-heavy payload all clients slow down together rather than some
 * waiting their turn, and enough idle ones exhaust memory or threads.
 */

#include <sys/socket.h>

#include <err.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "models.h"

static void	*session(void *);

static void *
session(void *arg)
{
	int	fd = (int)(intptr_t)arg;

	model_serve(fd);
	close(fd);
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_attr_t	attr;
	pthread_t	tid;
	int		lfd, fd, rc;

	model_init(argc, argv, "thread", 0);
	lfd = model_listen(0);
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0)
		errx(1, "pthread_attr");
	model_announce();
	for (;;) {
		if ((fd = model_accept(lfd, 0)) == -1)
			continue;
		if ((rc = pthread_create(&tid, &attr, session,
		    (void *)(intptr_t)fd)) != 0) {
			warnx("pthread_create: %s", strerror(rc));
			close(fd);
		}
	}
}
