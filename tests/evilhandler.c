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
 * evilhandler.c: the `evil` test service of preforkd-test, a worker that
 * behaves as a compromised one would (issue 8: "the worker user is the
 * attacker").  Each line a client sends is one act, answered by one
 * line (`ok ...` or `err ...`):
 *
 *   retire N      send N EV_RETIRING events on every datagram socket it
 *                 holds (the channel to the master), as forged messages;
 *                 answers "ok SOCKETS PID"
 *   ready         send EV_READY
 *   say TEXT      write TEXT to stderr raw; "\xNN" in TEXT is that byte
 *                 (escape sequences, newlines, fake log lines)
 *   scribble TEXT write TEXT into its own scoreboard slot's client field
 *                 and a bogus state; try the pages of the other slots
 *   exit N        _exit(N) at once (exit 78 after serving, for one)
 *   env           the environment it got, one variable a line, then "."
 *   kill PID      kill(PID, SIGTERM): who a worker can signal
 *
 * It reaches the channel and its slot the way an attacker would: by
 * looking at its descriptors and its memory map, not through the API.
 */

#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

int	evil_register(void);

static int	evil_serve(struct handler_conn *);

static const struct handler handler_evil = {
	HANDLER_HEADER,
	.name = "evil",
	.description = "(test) act as a compromised worker",
	.serve = evil_serve,
};

extern char	**environ;

/* "\xNN" sequences decoded in place. */
static size_t
evil_unescape(char *s)
{
	char	*r = s, *w = s;
	unsigned int	c;

	while (*r != '\0') {
		if (r[0] == '\\' && r[1] == 'x' && sscanf(r + 2, "%2x", &c) ==
		    1) {
			*w++ = (char)c;
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return w - s;
}

/* Send n forged events of type ev on every datagram socket held. */
static int
evil_events(uint32_t ev, long n)
{
	socklen_t	len;
	long		i;
	int		fd, type, sockets = 0;

	for (fd = 0; fd < 64; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_DGRAM)
			continue;
		sockets++;
		for (i = 0; i < n; i++)
			chan_send(fd, ev);
	}
	return sockets;
}

/*
 * The shared mappings it holds (its scoreboard slot, once its siblings'
 * are unmapped): write text into the client field of each, and mark it
 * busy since long ago.  Returns the number of slots written.
 */
static int
evil_scribble(const char *text)
{
	struct sb_slot	*sb;
	unsigned long	 from, to;
	char		 line[512], perms[8], path[256];
	FILE		*f;
	int		 n = 0;

	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &from, &to,
		    perms, path) < 3 || perms[3] != 's' || perms[1] != 'w' ||
		    strncmp(path, "/dev/zero", 9) != 0)
			continue;
		for (; from + sizeof(*sb) <= to; from += sysconf(_SC_PAGESIZE)) {
			sb = (struct sb_slot *)from;
			strlcpy(sb->client, text, sizeof(sb->client));
			sb->state = SB_BUSY;
			sb->changed_ms = 1;
			sb->served = 999999;
			n++;
		}
	}
	fclose(f);
	return n;
}

static int
evil_reply(struct handler_conn *conn, const char *fmt, ...)
{
	char	buf[4096];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return handler_write(conn, buf, n < (int)sizeof(buf) ? n :
	    (int)sizeof(buf) - 1);
}

static int
evil_act(struct handler_conn *conn, char *cmd)
{
	char	**e;
	size_t	  len;
	long	  n;

	if (strncmp(cmd, "retire ", 7) == 0)
		return evil_reply(conn, "ok %d %ld\n", evil_events(EV_RETIRING,
		    strtol(cmd + 7, NULL, 10)), (long)getpid());
	if (strcmp(cmd, "ready") == 0)
		return evil_reply(conn, "ok %d\n", evil_events(EV_READY, 1));
	if (strncmp(cmd, "say ", 4) == 0) {
		len = evil_unescape(cmd + 4);
		return evil_reply(conn, "ok %zd\n", write(STDERR_FILENO,
		    cmd + 4, len));
	}
	if (strncmp(cmd, "scribble ", 9) == 0) {
		evil_unescape(cmd + 9);
		return evil_reply(conn, "ok %d\n", evil_scribble(cmd + 9));
	}
	if (strncmp(cmd, "exit ", 5) == 0)
		_exit((int)strtol(cmd + 5, NULL, 10));
	if (strcmp(cmd, "env") == 0) {
		for (e = environ; *e != NULL; e++)
			if (evil_reply(conn, "%s\n", *e) == -1)
				return -1;
		return evil_reply(conn, ".\n");
	}
	if (strncmp(cmd, "kill ", 5) == 0) {
		n = strtol(cmd + 5, NULL, 10);
		return evil_reply(conn, kill((pid_t)n, SIGTERM) == 0 ?
		    "ok killed\n" : "err %s\n", strerror(errno));
	}
	return evil_reply(conn, "err unknown\n");
}

static int
evil_serve(struct handler_conn *conn)
{
	char	buf[2048], *nl;
	size_t	have = 0;
	ssize_t	n;

	while ((n = handler_read(conn, buf + have, sizeof(buf) - 1 - have)) >
	    0) {
		have += n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = '\0';
			if (evil_act(conn, buf) == -1)
				return HANDLER_CLOSE;
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			return HANDLER_CLOSE;
	}
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}

int
evil_register(void)
{
	return handler_register(&handler_evil);
}
