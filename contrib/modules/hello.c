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
 * hello.c: an example preforkd service module (preforkd-handler(3)).
 *
 * The client sends names, one per line; each is answered with the
 * configured greeting ("Hi, world"), until "quit" or end of file:
 *
 *	service = "module"
 *	module = "hello"
 *	service_args = { "greeting=Hi" }
 *
 * check() refuses any other argument when the configuration is loaded;
 * init() parses them again in each worker.  Build and install:
 *
 *	cc -shared -fPIC $(pkg-config --cflags preforkd) -o hello.so hello.c
 *	cp hello.so $(pkg-config --variable=moduledir preforkd)/
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <preforkd/handler.h>

#define HELLO_NAMELEN	256		/* a name's line, '\n' and NUL too */
#define HELLO_GREETLEN	64
#define HELLO_DEFAULT	"Hello"

struct hello {
	char	greeting[HELLO_GREETLEN];
};

static int	hello_parse(const char *const *args, struct hello *h,
		    char *err, size_t errlen);
static int	hello_check(const char *const *args, char *err,
		    size_t errlen);
static int	hello_init(const struct handler_env *env, void **data);
static int	hello_serve(struct handler_conn *conn);
static void	hello_fini(void *data);

/* The one symbol preforkd looks for. */
const struct handler preforkd_handler = {
	HANDLER_HEADER,
	.name = "hello",
	.description = "greets each name sent, one per line",
	.check = hello_check,
	.init = hello_init,
	.serve = hello_serve,
	.fini = hello_fini,
};

/* greeting=TEXT: 1 to 63 printable characters. */
static int
hello_parse(const char *const *args, struct hello *h, char *err,
    size_t errlen)
{
	const char	*v;
	size_t		 i, j;

	memcpy(h->greeting, HELLO_DEFAULT, sizeof(HELLO_DEFAULT));
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (strncmp(args[i], "greeting=", 9) != 0) {
			snprintf(err, errlen, "hello: unknown argument '%s' "
			    "(only greeting=TEXT)", args[i]);
			return -1;
		}
		v = args[i] + 9;
		for (j = 0; v[j] != '\0'; j++)
			if ((unsigned char)v[j] < ' ' || v[j] == 0x7f)
				break;
		if (j == 0 || v[j] != '\0' || j >= sizeof(h->greeting)) {
			snprintf(err, errlen, "hello: greeting must be 1 to "
			    "%zu printable characters", sizeof(h->greeting) - 1);
			return -1;
		}
		memcpy(h->greeting, v, j + 1);
	}
	return 0;
}

/* Run when the configuration is loaded (preforkd -t, start, reload). */
static int
hello_check(const char *const *args, char *err, size_t errlen)
{
	struct hello	h;

	return hello_parse(args, &h, err, errlen);
}

/* Once per worker, unprivileged, before its first connection. */
static int
hello_init(const struct handler_env *env, void **data)
{
	struct hello	*h;
	char		 err[256];

	if ((h = malloc(sizeof(*h))) == NULL) {
		env->log(HANDLER_LOG_ERR, "hello: out of memory");
		return -1;
	}
	if (hello_parse(env->args, h, err, sizeof(err)) == -1) {
		env->log(HANDLER_LOG_ERR, "%s", err);
		free(h);
		return -1;
	}
	*data = h;
	return 0;
}

/* One connection: a greeting per line, until "quit" or end of file. */
static int
hello_serve(struct handler_conn *conn)
{
	const struct hello	*h = conn->data;
	char			 name[HELLO_NAMELEN];
	ssize_t			 n;

	while ((n = handler_readline(conn, name, sizeof(name))) > 0) {
		name[strcspn(name, "\r\n")] = '\0';
		if (strcmp(name, "quit") == 0)
			return HANDLER_OK;
		if (handler_printf(conn, "%s, %s\n", h->greeting, name) == -1)
			return HANDLER_CLOSE;
	}
	if (n == 0)
		return HANDLER_OK;
	if (conn->io_error == HANDLER_IO_TOOLONG)
		(void)handler_printf(conn, "name too long (%d bytes at most)\n",
		    HELLO_NAMELEN - 2);
	return HANDLER_CLOSE;
}

/* When the worker retires. */
static void
hello_fini(void *data)
{
	free(data);
}
