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
 * incr.c: the `incr` service, the protocol of the concurrent-server series
 * this project started from.
 *
 * On connect the server sends '*'.  Bytes outside a frame are ignored;
 * '^' opens a frame and '$' closes it; every byte inside a frame is sent
 * back incremented by one (modulo 256), as soon as the chunk holding it
 * has been read: one write per chunk read, never waiting for the '$'.
 * End of file from the client ends the session.
 */

#include <preforkd/handler.h>

#include "incr.h"

#define INCR_CHUNK	4096

static int	incr_serve(struct handler_conn *conn);

const struct handler handler_incr = {
	.abi = HANDLER_ABI_VERSION,
	.name = "incr",
	.description = "'*' greeting, bytes inside ^...$ frames echoed +1",
	.serve = incr_serve,
};

/*
 * Run the frame state machine over n input bytes; write the answer bytes
 * to out (room for n) and return how many there are.
 */
size_t
incr_feed(int *state, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (*state == INCR_WAIT) {
			if (in[i] == '^')
				*state = INCR_IN;
		} else if (in[i] == '$')
			*state = INCR_WAIT;
		else
			out[o++] = (unsigned char)(in[i] + 1);
	}
	return o;
}

static int
incr_serve(struct handler_conn *conn)
{
	unsigned char	in[INCR_CHUNK], out[INCR_CHUNK];
	ssize_t		n;
	size_t		o;
	int		state = INCR_WAIT;

	if (handler_write(conn, "*", 1) == -1)
		return HANDLER_CLOSE;
	while ((n = handler_read(conn, in, sizeof(in))) > 0) {
		o = incr_feed(&state, in, n, out);
		if (o > 0 && handler_write(conn, out, o) == -1)
			return HANDLER_CLOSE;
	}
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}
