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
 * iterative.c: the iterative (sequential) server.
 *
 * One process accepts a connection, serves it to its end, then accepts
 * the next: the slides' first model, with no concurrency at all.  The
 * three tasks of the guide (connections, I/O, payload) run one after the
 * other on one core.  Simple, nothing shared, the least memory; but
 * while one client is served every other waits in the listen backlog,
 * so a long-lived connection starves the rest, a blocking payload
 * (a database call) leaves the CPU idle, and a second core is never
 * used.
 */

#include <sys/socket.h>

#include <unistd.h>

#include "models.h"

int
main(int argc, char *argv[])
{
	int	lfd, fd;

	model_init(argc, argv, "iterative", 0);
	lfd = model_listen(0);
	model_announce();
	for (;;) {
		if ((fd = model_accept(lfd, 0)) == -1)
			continue;
		model_serve(fd);
		close(fd);
	}
}
