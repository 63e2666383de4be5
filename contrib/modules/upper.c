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
 * upper.c: an example preforkd service module (preforkd-handler(3)) for a
 * long-lived connection speaking a line protocol with binary frames.
 *
 * Each request is a line, answered upper-cased, or a frame: a line ":N"
 * (N from 0 to 65536) then exactly N bytes, answered ":N" and the N bytes
 * upper-cased.  After each answer, if the worker is to exit (a reload, a
 * graceful stop), the module says "bye (draining)" and ends the
 * connection at that clean point, instead of being cut when the worker's
 * time is up:
 *
 *	$ printf 'abc\n:3\nxyz' | nc 127.0.0.1 9090
 *	ABC
 *	:3
 *	XYZ
 *
 * It takes no service_args (check is NULL).  On a unix socket it logs who
 * the client is.  Build: see hello.c, or the Makefile here.
 */

#include <sys/uio.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <preforkd/handler.h>

#define UPPER_LINE	1024		/* a request line, '\n' and NUL */
#define UPPER_FRAME	65536		/* the largest frame */

static int	upper_init(const struct handler_env *env, void **data);
static int	upper_serve(struct handler_conn *conn);
static int	upper_request(struct handler_conn *conn, char *line,
		    size_t len);
static int	upper_frame(struct handler_conn *conn, const char *line);
static void	upper_fini(void *data);
static void	upper(char *p, size_t len);

const struct handler preforkd_handler = {
	HANDLER_HEADER,
	.name = "upper",
	.description = "lines and :N frames sent back upper-cased",
	.init = upper_init,
	.serve = upper_serve,
	.fini = upper_fini,
};

/* A frame buffer per worker: serve() runs one connection at a time. */
static int
upper_init(const struct handler_env *env, void **data)
{
	if ((*data = malloc(UPPER_FRAME)) == NULL) {
		env->log(HANDLER_LOG_ERR, "upper: out of memory");
		return -1;
	}
	return 0;
}

static void
upper_fini(void *data)
{
	free(data);
}

static void
upper(char *p, size_t len)
{
	for (; len > 0; p++, len--)
		*p = toupper((unsigned char)*p);
}

static int
upper_serve(struct handler_conn *conn)
{
	char	line[UPPER_LINE];
	ssize_t	n;
	pid_t	pid;
	uid_t	uid;

	if (handler_peercred(conn, &pid, &uid, NULL) == 0)
		conn->env->log(HANDLER_LOG_INFO, "upper: client pid %ld uid "
		    "%lu", (long)pid, (unsigned long)uid);
	while ((n = handler_readline(conn, line, sizeof(line))) > 0) {
		if (upper_request(conn, line, n) == -1)
			return HANDLER_CLOSE;
		if (handler_draining(conn))
			return handler_printf(conn, "bye (draining)\n") == 0 ?
			    HANDLER_OK : HANDLER_CLOSE;
	}
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}

/* One request: a line (len bytes, its '\n' included) or a frame. */
static int
upper_request(struct handler_conn *conn, char *line, size_t len)
{
	if (line[0] == ':')
		return upper_frame(conn, line);
	upper(line, len);
	return handler_write(conn, line, len);
}

/* ":N\n" and N bytes: the header and the body sent in one writev. */
static int
upper_frame(struct handler_conn *conn, const char *line)
{
	struct iovec	 iov[2];
	char		*body = conn->data, *end, head[16];
	unsigned long	 n;

	n = strtoul(line + 1, &end, 10);
	if (end == line + 1 || (*end != '\n' && *end != '\r') ||
	    n > UPPER_FRAME) {
		(void)handler_printf(conn, "error: a frame is :N, N from 0 "
		    "to %d\n", UPPER_FRAME);
		return -1;
	}
	if (handler_readn(conn, body, n) == -1)
		return -1;
	upper(body, n);
	iov[0].iov_base = head;
	iov[0].iov_len = snprintf(head, sizeof(head), ":%lu\n", n);
	iov[1].iov_base = body;
	iov[1].iov_len = n;
	return handler_writev(conn, iov, 2);
}
