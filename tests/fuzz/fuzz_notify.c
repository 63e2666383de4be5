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
 * fuzz_notify: notifymsg.c, on what a hostile program could send.
 *
 * The input is one sd_notify datagram.  notify_parse() must refuse it
 * with a reason, leaving the message cleared, or parse it into a message
 * that holds together: flags 0 or 1, a STATUS of printable ASCII within
 * its array, a MAINPID above 0, an ERRNO within 0-4095, no more unknown
 * assignments than lines.  The same datagram with its CRs made LFs, or
 * with a newline added, must parse to the same message.
 *
 * The same bytes, cut at their NULs, are also the listener texts given
 * to notify_fdnames() with an output size chosen by the first byte:
 * every name it builds must be one systemd accepts, and it must refuse
 * only what does not fit.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

#define FDNAMES_MAX	16

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	check_msg(const uint8_t *data, size_t size,
		    const struct notify_msg *m);
static void	check_same(const uint8_t *data, size_t size,
		    const struct notify_msg *m);
static void	check_fdnames(const uint8_t *data, size_t size);

static void
check_msg(const uint8_t *data, size_t size, const struct notify_msg *m)
{
	size_t	i, len, lines = 1;

	if ((m->ready | m->reloading | m->stopping | m->watchdog) & ~1)
		abort();
	len = strnlen(m->status, sizeof(m->status));
	if (len == sizeof(m->status) || (!m->has_status && len != 0))
		abort();
	for (i = 0; i < len; i++)
		if (m->status[i] < 0x20 || m->status[i] > 0x7e)
			abort();
	if ((m->has_mainpid && m->mainpid <= 0) ||
	    (!m->has_mainpid && m->mainpid != 0))
		abort();
	if ((m->has_errno && (m->errnum < 0 || m->errnum > 4095)) ||
	    (!m->has_errno && m->errnum != 0))
		abort();
	for (i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r';
	if (m->unknown > lines)
		abort();
}

/* CRs as LFs, and a newline more: the same message. */
static void
check_same(const uint8_t *data, size_t size, const struct notify_msg *m)
{
	struct notify_msg	 m2;
	char			*copy, err[256];
	size_t			 i;

	if (size >= NOTIFY_MSG_MAX)
		return;
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	for (i = 0; i < size; i++)
		copy[i] = data[i] == '\r' ? '\n' : (char)data[i];
	copy[size] = '\n';
	if (notify_parse(copy, size + 1, &m2, err, sizeof(err)) != 0 ||
	    memcmp(m, &m2, sizeof(m2)) != 0)
		abort();
	free(copy);
}

static void
check_fdnames(const uint8_t *data, size_t size)
{
	char	*names[FDNAMES_MAX], *copy, out[2048], err[256], *p;
	size_t	 n = 0, i, need = 0, outlen, len;

	if (size < 1)
		return;
	outlen = data[0] * 8 % sizeof(out);
	if ((copy = malloc(size)) == NULL)
		abort();
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	for (p = copy; n < FDNAMES_MAX && p < copy + size; n++) {
		names[n] = p;
		len = strlen(p);
		need += (len < NOTIFY_FDNAME_MAX ? len : NOTIFY_FDNAME_MAX) +
		    (n > 0);
		p += len + 1;
	}
	err[0] = '\0';
	if (notify_fdnames(names, n, out, outlen, err, sizeof(err)) != 0) {
		if (need < outlen || err[0] == '\0' ||
		    (outlen > 0 && out[0] != '\0'))
			abort();
		free(copy);
		return;
	}
	if (strlen(out) != need)
		abort();
	for (i = 0, len = 0; out[i] != '\0'; i++) {
		if (out[i] == ':') {
			len = 0;
			continue;
		}
		if (out[i] < 0x20 || out[i] > 0x7e ||
		    ++len > NOTIFY_FDNAME_MAX)
			abort();
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg	m, zero;
	char			err[256];

	err[0] = '\0';
	memset(&zero, 0, sizeof(zero));
	if (notify_parse(data, size, &m, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || memcmp(&m, &zero, sizeof(m)) != 0)
			abort();
		if (size > 0 && size <= NOTIFY_MSG_MAX &&
		    memchr(data, '\0', size) == NULL)
			abort();
	} else {
		if (size == 0 || size > NOTIFY_MSG_MAX ||
		    memchr(data, '\0', size) != NULL)
			abort();
		check_msg(data, size, &m);
		check_same(data, size, &m);
	}
	check_fdnames(data, size);
	return 0;
}
