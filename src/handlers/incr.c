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
 *
 * A client has read_timeout to complete each frame (from the connection,
 * then from the previous frame): trickling a byte at a time cannot hold
 * a worker longer.  service_args for benchmarks: burn_us=N burns N
 * microseconds of CPU per frame (a CPU-bound payload), sleep_us=N sleeps
 * N microseconds per frame (a blocking one, like a database call).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <preforkd/handler.h>

#include "incr.h"

#define INCR_CHUNK	4096

struct incr_args {
	long	burn_us;
	long	sleep_us;
};

static int	incr_parse(const char *const *args, struct incr_args *a,
		    char *err, size_t errlen);
static int	incr_check(const char *const *args, char *err, size_t errlen);
static int	incr_init(const struct handler_env *env, void **data);
static void	incr_fini(void *data);
static int	incr_serve(struct handler_conn *conn);
static int	incr_multiplex(const char *const *args);

const struct handler handler_incr = {
	HANDLER_HEADER,
	.name = "incr",
	.description = "'*' greeting, bytes inside ^...$ frames echoed +1",
	.init = incr_init,
	.serve = incr_serve,
	.fini = incr_fini,
	.check = incr_check,
	.multiplex = incr_multiplex,
};

/* Many connections per worker: not with a payload that blocks the
   process (sleep_us) or holds the CPU (burn_us). */
static int
incr_multiplex(const char *const *args)
{
	struct incr_args	a;
	char			err[128];

	if (incr_parse(args, &a, err, sizeof(err)) == -1)
		return 0;
	return a.burn_us == 0 && a.sleep_us == 0;
}

static int
incr_parse(const char *const *args, struct incr_args *a, char *err,
    size_t errlen)
{
	const char	*v;
	char		*end;
	long		 n;
	size_t		 i;

	memset(a, 0, sizeof(*a));
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if ((v = strchr(args[i], '=')) == NULL)
			goto bad;
		errno = 0;
		n = strtol(v + 1, &end, 10);
		if (v[1] == '\0' || *end != '\0' || errno != 0 || n < 0 ||
		    n > 10000000)
			goto bad;
		if (strncmp(args[i], "burn_us=", 8) == 0)
			a->burn_us = n;
		else if (strncmp(args[i], "sleep_us=", 9) == 0)
			a->sleep_us = n;
		else
			goto bad;
	}
	return 0;
 bad:
	snprintf(err, errlen, "incr: '%s' is not burn_us=N or sleep_us=N "
	    "(N microseconds per frame, 0 to 10000000)", args[i]);
	return -1;
}

static int
incr_check(const char *const *args, char *err, size_t errlen)
{
	struct incr_args	a;

	return incr_parse(args, &a, err, errlen);
}

static int
incr_init(const struct handler_env *env, void **data)
{
	struct incr_args	*a;
	char			 err[256];

	if ((a = malloc(sizeof(*a))) == NULL)
		return -1;
	if (incr_parse(env->args, a, err, sizeof(err)) == -1) {
		env->log(HANDLER_LOG_ERR, "%s", err);
		free(a);
		return -1;
	}
	*data = a;
	return 0;
}

static void
incr_fini(void *data)
{
	free(data);
}

void
incr_payload(long burn_us, long sleep_us, size_t frames)
{
	struct timespec	t0, t;
	long		us;

	for (; frames > 0; frames--) {
		if (burn_us > 0) {
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
			do {
				clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
				us = (t.tv_sec - t0.tv_sec) * 1000000 +
				    (t.tv_nsec - t0.tv_nsec) / 1000;
			} while (us < burn_us);
		}
		if (sleep_us > 0) {
			t.tv_sec = sleep_us / 1000000;
			t.tv_nsec = (sleep_us % 1000000) * 1000;
			while (nanosleep(&t, &t) == -1 && errno == EINTR)
				;
		}
	}
}

/*
 * Run the frame state machine over n input bytes; write the answer bytes
 * to out (room for n) and return how many there are.
 */
size_t
incr_feed_frames(int *state, const unsigned char *in, size_t n,
    unsigned char *out, size_t *frames)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (*state == INCR_WAIT) {
			if (in[i] == '^')
				*state = INCR_IN;
		} else if (in[i] == '$') {
			*state = INCR_WAIT;
			(*frames)++;
		} else
			out[o++] = (unsigned char)(in[i] + 1);
	}
	return o;
}

size_t
incr_feed(int *state, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t	frames = 0;

	return incr_feed_frames(state, in, n, out, &frames);
}

static int
incr_serve(struct handler_conn *conn)
{
	const struct incr_args	*a = conn->data;
	unsigned char		 in[INCR_CHUNK], out[INCR_CHUNK];
	ssize_t			 n;
	size_t			 o, frames;
	int			 state = INCR_WAIT;

	if (conn->calls == 0 && handler_write(conn, "*", 1) == -1)
		return HANDLER_CLOSE;
	handler_deadline(conn, conn->read_timeout_ms);
	while ((n = handler_read(conn, in, sizeof(in))) > 0) {
		frames = 0;
		o = incr_feed_frames(&state, in, n, out, &frames);
		if (frames > 0) {
			if (a != NULL)
				incr_payload(a->burn_us, a->sleep_us, frames);
			handler_deadline(conn, conn->read_timeout_ms);
		}
		if (o > 0 && handler_write(conn, out, o) == -1)
			return HANDLER_CLOSE;
		/* between frames, a multiplexing worker parks it */
		if (state == INCR_WAIT && handler_idle(conn))
			return HANDLER_KEEPALIVE;
	}
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}
