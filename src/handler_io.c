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

/*
 * Told when a read starts waiting for the client (1) and when it is done
 * (0): the worker notes that time as "reading" (read_timeout's business),
 * not "busy" (request_timeout's).  This layer knows no more of it.
 */
static void	(*io_waiting)(int on);

void
handler_io_hook(void (*waiting)(int on))
{
	io_waiting = waiting;
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

	if (io_waiting != NULL)
		io_waiting(1);
	do {
		n = read(conn->fd, buf, len);
	} while (n == -1 && errno == EINTR);
	if (io_waiting != NULL)
		io_waiting(0);
	if (n > 0 && conn->deadline_ms > 0 && now_ms() > conn->deadline_ms) {
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
