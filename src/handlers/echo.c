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
 * echo.c: the `echo` service (RFC 862): every byte received is sent back,
 * one write per chunk read, until the client closes.
 */

#include <preforkd/handler.h>

#define ECHO_CHUNK	16384

static int	echo_serve(struct handler_conn *conn);
static int	echo_multiplex(const char *const *args);

const struct handler handler_echo = {
	HANDLER_HEADER,
	.name = "echo",
	.description = "RFC 862 echo: every byte sent back",
	.serve = echo_serve,
	.multiplex = echo_multiplex,
};

static int
echo_multiplex(const char *const *args)
{
	(void)args;
	return 1;
}

static int
echo_serve(struct handler_conn *conn)
{
	char	buf[ECHO_CHUNK];
	ssize_t	n;

	while ((n = handler_read(conn, buf, sizeof(buf))) > 0) {
		if (handler_write(conn, buf, n) == -1)
			return HANDLER_CLOSE;
		if (handler_idle(conn))
			return HANDLER_KEEPALIVE;
	}
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}
