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
 * notifymsg.c: the sd_notify protocol, as the master hears it from a
 * program, and the socket names a program is given.
 *
 * A `service = program` slot runs a long-lived program that gets the
 * listening sockets by socket activation and may report on the
 * NOTIFY_SOCKET the master reads, as it would to systemd (sd_notify(3)):
 * one datagram of newline-separated KEY=VALUE assignments.  The sender
 * is an unprivileged program, perhaps a hostile one: every byte is
 * untrusted, and a datagram can cost at most its own worker.
 * notify_parse() reads one datagram into a struct notify_msg:
 *
 *  - len is the datagram's real length (the caller reads it with
 *    MSG_TRUNC); buf holds its first NOTIFY_MSG_MAX bytes at least.  A
 *    datagram longer than NOTIFY_MSG_MAX, an empty one, or one with a
 *    NUL byte anywhere is refused whole: -1, err says why, *m is left
 *    cleared.  (systemd drops those too.)
 *  - Lines end at '\n' or at '\r', as systemd splits them: a CRLF line
 *    reads as a LF line; empty lines are skipped (counted nowhere); the
 *    last line needs no newline.
 *  - A KEY is one or more of A-Z, 0-9 and '_'.  A line without '=', or
 *    with another key, is ignored and counted in unknown; so is every
 *    well-formed assignment of a key not known here (FDSTORE=1,
 *    EXTEND_TIMEOUT_USEC=...) and every known key with a value it does
 *    not take.
 *  - READY, RELOADING, STOPPING and WATCHDOG count with the value "1"
 *    only; any other (READY=0, WATCHDOG=trigger) is ignored, so it
 *    does not lower a flag an earlier line of the datagram raised.
 *  - STATUS= takes any value, kept in status escaped (escape_bytes():
 *    printable ASCII as it is, the backslash and every other byte as
 *    \xHH, so that it is one harmless line for a log or a terminal) and
 *    cut, at a whole escape, to fit with "..." at its end.
 *  - MAINPID= decimal digits only, 1 to INT_MAX (strtonum, through
 *    parse_uint()); ERRNO= digits only, 0 to 4095 (systemd's ERRNO_MAX).
 *  - A key assigned twice: the later valid assignment wins.
 *
 * notify_fdnames() builds the LISTEN_FDNAMES value of the sockets a
 * program is given, from their listener texts.
 *
 * A leaf: no system call, no logging; errors in the caller's buffer.
 * Runs in the master.
 */

#include <stdio.h>
#include <string.h>

#include "preforkd.h"

#define NOTIFY_ERRNO_MAX	4095

static int	notify_key_ok(const char *key, size_t len);
static int	notify_key_is(const char *key, size_t len, const char *name);
static int	notify_number(const char *v, size_t len, unsigned int max,
		    unsigned int *out);
static void	notify_status(struct notify_msg *m, const char *v, size_t len);
static void	notify_line(struct notify_msg *m, const char *s, size_t len);

/* Whether key (len bytes) is one or more of A-Z, 0-9 and '_'. */
static int
notify_key_ok(const char *key, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return 0;
	return 1;
}

/* Whether key (len bytes) is name. */
static int
notify_key_is(const char *key, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(key, name, len) == 0;
}

/* A value of decimal digits only, at most max, into *out. */
static int
notify_number(const char *v, size_t len, unsigned int max,
    unsigned int *out)
{
	char	digits[16], err[64];
	size_t	i;

	if (len == 0 || len >= sizeof(digits))
		return -1;
	for (i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return -1;
	memcpy(digits, v, len);
	digits[len] = '\0';
	return parse_uint(digits, 0, max, out, err, sizeof(err));
}

/* STATUS=: escaped, and cut to fit with "..." if it is too long. */
static void
notify_status(struct notify_msg *m, const char *v, size_t len)
{
	m->has_status = 1;
	if (escape_bytes(m->status, sizeof(m->status), v, len) == len)
		return;
	escape_bytes(m->status, sizeof(m->status) - 3, v, len);
	strlcat(m->status, "...", sizeof(m->status));
}

/* One line (no newline, no NUL) of a datagram into m. */
static void
notify_line(struct notify_msg *m, const char *s, size_t len)
{
	static const char *const flag_keys[] = {
		"READY", "RELOADING", "STOPPING", "WATCHDOG",
	};
	int *const	 flags[] = {
		&m->ready, &m->reloading, &m->stopping, &m->watchdog,
	};
	const char	*eq, *v;
	size_t		 klen, vlen, i;
	unsigned int	 u;

	if ((eq = memchr(s, '=', len)) == NULL ||
	    !notify_key_ok(s, eq - s)) {
		m->unknown++;
		return;
	}
	klen = eq - s;
	v = eq + 1;
	vlen = len - klen - 1;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (notify_key_is(s, klen, flag_keys[i])) {
			if (vlen == 1 && v[0] == '1')
				*flags[i] = 1;
			else
				m->unknown++;
			return;
		}
	if (notify_key_is(s, klen, "STATUS"))
		notify_status(m, v, vlen);
	else if (notify_key_is(s, klen, "MAINPID") &&
	    notify_number(v, vlen, INT_MAX, &u) == 0 && u > 0) {
		m->has_mainpid = 1;
		m->mainpid = (pid_t)u;
	} else if (notify_key_is(s, klen, "ERRNO") &&
	    notify_number(v, vlen, NOTIFY_ERRNO_MAX, &u) == 0) {
		m->has_errno = 1;
		m->errnum = (int)u;
	} else
		m->unknown++;
}

/*
 * Parse one sd_notify datagram of len bytes (its real length) into *m.
 * 0, or -1 if it is refused whole (too long, empty, a NUL byte): see the
 * rules at the top of this file.
 */
int
notify_parse(const void *buf, size_t len, struct notify_msg *m, char *err,
    size_t errlen)
{
	const char	*s = buf, *nul;
	size_t		 i, start;

	memset(m, 0, sizeof(*m));
	if (len > NOTIFY_MSG_MAX) {
		snprintf(err, errlen, "notification of %zu bytes refused "
		    "(at most %d)", len, NOTIFY_MSG_MAX);
		return -1;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty notification refused");
		return -1;
	}
	if ((nul = memchr(s, '\0', len)) != NULL) {
		snprintf(err, errlen, "notification with a NUL byte (at "
		    "offset %zu) refused", (size_t)(nul - s));
		return -1;
	}
	for (start = i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n' && s[i] != '\r')
			continue;
		if (i > start)
			notify_line(m, s + start, i - start);
		start = i + 1;
	}
	return 0;
}

/*
 * The LISTEN_FDNAMES value for sockets named by their listener texts
 * ("127.0.0.1:9090", "[::1]:80", "unix:/run/x.sock", ...): one name per
 * socket, joined by ':'.  systemd takes a name of at most
 * NOTIFY_FDNAME_MAX bytes of printable ASCII without ':'
 * (fdname_is_valid()): every ':' and every other byte it refuses
 * becomes '_', and a longer name is cut.  -1 if out cannot hold it all.
 */
int
notify_fdnames(char *const *names, size_t n, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const unsigned char	*p;
	size_t			 i, j, o = 0;

	for (i = 0; i < n; i++) {
		if (i > 0) {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = ':';
		}
		p = (const unsigned char *)names[i];
		for (j = 0; p[j] != '\0' && j < NOTIFY_FDNAME_MAX; j++) {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = p[j] >= 0x20 && p[j] < 0x7f && p[j] != ':' ?
			    p[j] : '_';
		}
	}
	if (outlen == 0)
		goto full;
	out[o] = '\0';
	return 0;
 full:
	if (outlen > 0)
		out[0] = '\0';
	snprintf(err, errlen, "the names of %zu socket%s do not fit in %zu "
	    "bytes", n, PLURAL(n), outlen);
	return -1;
}
