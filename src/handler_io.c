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
 * handler_io.c: the I/O helpers of the handler interface.
 *
 * Runs in workers.  Timeouts are the socket's SO_RCVTIMEO/SO_SNDTIMEO
 * (inherited from the TCP listener, set per connection on unix sockets),
 * so a read or a write costs exactly one system call: no poll(2) in front
 * of each.
 */

#include <sys/socket.h>

#include <errno.h>
#include <unistd.h>

#include "preforkd.h"

static void	handler_io_fail(struct handler_conn *conn, int err,
		    int timeout);

/* The worker's scoreboard slot: time spent waiting for the client is
   "reading" (read_timeout's business), not "busy" (request_timeout's). */
static struct sb_slot	*io_slot;

void
handler_io_track(struct sb_slot *slot)
{
	io_slot = slot;
}

static void
handler_io_fail(struct handler_conn *conn, int err, int timeout)
{
	conn->io_errno = err;
	if (err == EAGAIN || err == EWOULDBLOCK)
		conn->io_error = timeout;
	else if (err == ECONNRESET || err == EPIPE)
		conn->io_error = HANDLER_IO_RESET;
	else
		conn->io_error = HANDLER_IO_ERROR;
}

ssize_t
handler_read(struct handler_conn *conn, void *buf, size_t len)
{
	ssize_t		n;
	uint32_t	state = SB_BUSY;

	if (io_slot != NULL) {
		state = io_slot->state;		/* busy, or retiring */
		sb_set_state(io_slot, SB_READING);
	}
	do {
		n = read(conn->fd, buf, len);
	} while (n == -1 && errno == EINTR);
	if (io_slot != NULL)
		sb_set_state(io_slot, state);
	if (n > 0 && conn->deadline_ms > 0 && (io_slot != NULL ?
	    io_slot->changed_ms : now_ms()) > conn->deadline_ms) {
		handler_io_fail(conn, EAGAIN, HANDLER_IO_READ_TIMEOUT);
		return -1;
	}
	if (n == -1) {
		handler_io_fail(conn, errno, HANDLER_IO_READ_TIMEOUT);
		return -1;
	}
	conn->bytes_in += n;
	return n;
}

void
handler_deadline(struct handler_conn *conn, int ms)
{
	conn->deadline_ms = ms > 0 ? now_ms() + ms : 0;
}

int
handler_write(struct handler_conn *conn, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = send(conn->fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			handler_io_fail(conn, errno, HANDLER_IO_WRITE_TIMEOUT);
			return -1;
		}
		p += n;
		len -= n;
		conn->bytes_out += n;
	}
	return 0;
}
