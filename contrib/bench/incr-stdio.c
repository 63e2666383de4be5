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
 * incr-stdio.c: the incr protocol (src/handlers/incr.c) over stdin and
 * stdout, one connection per run, for UCSPI servers: tcpserver(1) and
 * preforkd's `service = exec` (contrib/bench/exec-vs-tcpserver).
 *
 * Writes '*', then for every chunk read from fd 0 writes the bytes that
 * were inside ^...$ frames, each plus one, to fd 1 at once (one write per
 * chunk, no buffering); exits 0 at end of file, 1 on an error.  No stdio,
 * no allocation: what is measured is the server's cost, not this.
 */

#include <errno.h>
#include <unistd.h>

#define CHUNK	4096

static int	put(const unsigned char *p, size_t n);

/* Write all n bytes to fd 1; 0, or -1 on an error. */
static int
put(const unsigned char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(STDOUT_FILENO, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(void)
{
	unsigned char	in[CHUNK], out[CHUNK];
	ssize_t		n, i;
	size_t		o;
	int		inside = 0;

	if (put((const unsigned char *)"*", 1) == -1)
		return 1;
	for (;;) {
		if ((n = read(STDIN_FILENO, in, sizeof(in))) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (n == 0)
			return 0;
		for (i = 0, o = 0; i < n; i++) {
			if (!inside)
				inside = in[i] == '^';
			else if (in[i] == '$')
				inside = 0;
			else
				out[o++] = (unsigned char)(in[i] + 1);
		}
		if (o > 0 && put(out, o) == -1)
			return 1;
	}
}
