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
 * handler_io.c: the I/O helpers of the handler interface (the SDK of
 * preforkd-handler(3): the functions a loaded module calls in the daemon).
 *
 * Runs in workers.  With one connection per worker, timeouts are the
 * socket's SO_RCVTIMEO/SO_SNDTIMEO (inherited from the TCP listener, set
 * per connection on unix sockets), so a read or a write costs exactly one
 * system call: no poll(2) in front of each.  A worker serving many
 * connections (worker_mux.c) makes them non-blocking and sets the suspend
 * hook: a read or write that would block hands the connection back to
 * the worker's loop until its socket is ready or its time is up.  This is
 * the only place a connection waits, so handlers stay blocking code.
 *
 * The line and frame readers read ahead: what came beyond the line waits
 * in a buffer of the connection (conn->priv, made at their first use and
 * freed by handler_conn_done() once serve() has returned), which
 * handler_read() empties first, so that the readers mix.  Every read of
 * the socket goes through handler_io_read(): the timeouts, the deadline,
 * the "reading" hook and bytes_in hold for all of them.  A reader that
 * fails consumes nothing (but a line too long).  Never logs: a failure
 * is in conn->io_error and io_errno, for the worker's one log line.
 */

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define HANDLER_IOBUF_SIZE	16384	/* read-ahead of a connection */
#define HANDLER_PRINTF_STACK	1024	/* handler_printf() without malloc */
#define HANDLER_WRITEV_CHUNK	64	/* iovecs per sendmsg(2) */

/* conn->priv: the bytes read ahead are data[off] .. data[len - 1]. */
struct handler_iobuf {
	size_t	off;
	size_t	len;
	size_t	cap;
	char	data[];
};

static void	handler_io_fail(struct handler_conn *conn, int err,
		    int timeout);
static ssize_t	handler_io_read(struct handler_conn *conn, void *buf,
		    size_t len);
static struct handler_iobuf *handler_iobuf(struct handler_conn *conn,
		    size_t cap);
static size_t	handler_iobuf_take(struct handler_conn *conn, void *buf,
		    size_t len);
static ssize_t	handler_iobuf_fill(struct handler_conn *conn);
static void	handler_iobuf_unread(struct handler_conn *conn,
		    const void *buf, size_t len);

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

/*
 * Asked by handler_draining() whether the worker exits after the
 * connection in hand; no hook: it does not.
 */
static int	(*io_draining)(void);

void
handler_io_draining_hook(int (*draining)(void))
{
	io_draining = draining;
}

/*
 * Set by a worker serving many connections: a read (HANDLER_WAIT_READ)
 * or write (HANDLER_WAIT_WRITE) of conn would block; return when its
 * socket is ready (0) or after ms milliseconds (-1; 0: no limit).  NULL:
 * blocking sockets with their own timeouts.
 */
static int	(*io_suspend)(struct handler_conn *conn, int dir, int ms);

void
handler_io_suspend_hook(int (*suspend)(struct handler_conn *, int, int))
{
	io_suspend = suspend;
}

/*
 * An EAGAIN on a non-blocking socket: wait for it, at most timeout_ms
 * (and for a read, no later than the deadline).  0: try again; -1: time
 * is up (errno EAGAIN, reported as the timeout).
 */
static int
handler_io_wait(struct handler_conn *conn, int dir, int timeout_ms)
{
	int64_t	left;
	int	ms = timeout_ms;

	if (io_suspend == NULL)
		return -1;
	if (dir == HANDLER_WAIT_READ && conn->deadline_ms > 0) {
		if ((left = conn->deadline_ms - now_ms()) <= 0)
			return -1;
		if (ms == 0 || left < ms)
			ms = (int)left;
	}
	if (io_suspend(conn, dir, ms) == 0)
		return 0;
	errno = EAGAIN;
	return -1;
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
	size_t	n;

	if ((n = handler_iobuf_take(conn, buf, len)) > 0)
		return n;
	return handler_io_read(conn, buf, len);
}

/* One read(2) of the socket: what handler_read() did before buffers. */
static ssize_t
handler_io_read(struct handler_conn *conn, void *buf, size_t len)
{
	ssize_t		n;

	if (io_waiting != NULL)
		io_waiting(1);
	do {
		n = read(conn->fd, buf, len);
	} while (n == -1 && (errno == EINTR || (errno == EAGAIN &&
	    handler_io_wait(conn, HANDLER_WAIT_READ,
	    conn->read_timeout_ms) == 0)));
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
	struct iovec	v;

	if (len == 0)
		return 0;
	/* one buffer: sendmsg(2) costs what send(2) does */
	v.iov_base = (void *)(uintptr_t)buf;
	v.iov_len = len;
	return handler_writev(conn, &v, 1);
}

/*
 * The connection's read-ahead buffer, made or grown to hold at least cap
 * bytes (its content kept); NULL and io_error set if memory is short.
 */
static struct handler_iobuf *
handler_iobuf(struct handler_conn *conn, size_t cap)
{
	struct handler_iobuf	*b = conn->priv, *nb;

	if (b != NULL && b->cap >= cap)
		return b;
	if (cap < HANDLER_IOBUF_SIZE)
		cap = HANDLER_IOBUF_SIZE;
	if (cap > SIZE_MAX - sizeof(*nb) ||
	    (nb = realloc(b, sizeof(*nb) + cap)) == NULL) {
		handler_io_fail(conn, ENOMEM, HANDLER_IO_ERROR);
		return NULL;
	}
	if (b == NULL)
		nb->off = nb->len = 0;
	nb->cap = cap;
	conn->priv = nb;
	return nb;
}

/* Move up to len bytes read ahead to buf; returns how many. */
static size_t
handler_iobuf_take(struct handler_conn *conn, void *buf, size_t len)
{
	struct handler_iobuf	*b = conn->priv;
	size_t			 n;

	if (b == NULL || b->off == b->len)
		return 0;
	n = b->len - b->off < len ? b->len - b->off : len;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
	return n;
}

/*
 * Read once into the buffer, which must be empty (the readers fill it
 * only when they have taken everything).  Returns handler_io_read()'s.
 */
static ssize_t
handler_iobuf_fill(struct handler_conn *conn)
{
	struct handler_iobuf	*b;
	ssize_t			 n;

	if ((b = handler_iobuf(conn, HANDLER_IOBUF_SIZE)) == NULL)
		return -1;
	if ((n = handler_io_read(conn, b->data, b->cap)) > 0) {
		b->off = 0;
		b->len = n;
	}
	return n;
}

/*
 * Put back the len bytes a failing reader took, so that it consumes
 * nothing.  The buffer is empty then: the readers read only once they
 * have taken all of it.  If it cannot grow, the bytes are lost and the
 * error becomes ENOMEM.
 */
static void
handler_iobuf_unread(struct handler_conn *conn, const void *buf, size_t len)
{
	struct handler_iobuf	*b;

	if (len == 0 || (b = handler_iobuf(conn, len)) == NULL)
		return;
	memcpy(b->data, buf, len);
	b->off = 0;
	b->len = len;
}

ssize_t
handler_readline(struct handler_conn *conn, char *buf, size_t len)
{
	struct handler_iobuf	*b;
	size_t			 got = 0, n;
	ssize_t			 r;
	char			*nl = NULL;

	if (len < 2) {
		handler_io_fail(conn, EINVAL, HANDLER_IO_ERROR);
		return -1;
	}
	for (;;) {
		if ((b = conn->priv) != NULL && b->off < b->len) {
			n = b->len - b->off;
			if (n > len - 1 - got)
				n = len - 1 - got;
			if ((nl = memchr(b->data + b->off, '\n', n)) != NULL)
				n = nl - (b->data + b->off) + 1;
			got += handler_iobuf_take(conn, buf + got, n);
			if (nl != NULL)
				break;
		}
		if (got == len - 1) {
			buf[got] = '\0';
			conn->io_error = HANDLER_IO_TOOLONG;
			conn->io_errno = EMSGSIZE;
			return -1;
		}
		if ((r = handler_iobuf_fill(conn)) == 0)
			break;		/* end of file: the last line */
		if (r == -1) {
			handler_iobuf_unread(conn, buf, got);
			return -1;
		}
	}
	buf[got] = '\0';
	return got;
}

/*
 * A frame of a buffer or more is read straight into the caller's buffer;
 * a smaller one (a header) through the read-ahead, in one read(2) with
 * what follows it when the client sent both at once.
 */
int
handler_readn(struct handler_conn *conn, void *buf, size_t len)
{
	char	*p = buf;
	size_t	 got;
	ssize_t	 r;

	got = handler_iobuf_take(conn, p, len);
	while (got < len) {
		if (len - got >= HANDLER_IOBUF_SIZE)
			r = handler_io_read(conn, p + got, len - got);
		else if ((r = handler_iobuf_fill(conn)) > 0)
			r = handler_iobuf_take(conn, p + got, len - got);
		if (r <= 0) {
			if (r == 0) {
				conn->io_error = HANDLER_IO_EOF;
				conn->io_errno = ENODATA;
			}
			handler_iobuf_unread(conn, p, got);
			return -1;
		}
		got += r;
	}
	return 0;
}

int
handler_printf(struct handler_conn *conn, const char *fmt, ...)
{
	char	 sbuf[HANDLER_PRINTF_STACK], *p = sbuf;
	va_list	 ap;
	int	 n, rc;

	va_start(ap, fmt);
	n = vsnprintf(sbuf, sizeof(sbuf), fmt, ap);
	va_end(ap);
	if (n < 0) {
		handler_io_fail(conn, errno != 0 ? errno : EINVAL,
		    HANDLER_IO_ERROR);
		return -1;
	}
	if ((size_t)n >= sizeof(sbuf)) {
		if ((p = malloc((size_t)n + 1)) == NULL) {
			handler_io_fail(conn, ENOMEM, HANDLER_IO_ERROR);
			return -1;
		}
		va_start(ap, fmt);
		(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = handler_write(conn, p, (size_t)n);
	if (p != sbuf)
		free(p);
	return rc;
}

/*
 * sendmsg(2) of up to HANDLER_WRITEV_CHUNK buffers at a time, from the
 * first byte not yet sent (iov[i] + off): any iovcnt, any partial write.
 */
int
handler_writev(struct handler_conn *conn, const struct iovec *iov,
    int iovcnt)
{
	struct iovec	 v[HANDLER_WRITEV_CHUNK];
	struct msghdr	 msg;
	size_t		 off = 0, sent;
	ssize_t		 n;
	int		 i = 0, nv;

	if (iovcnt < 0) {
		handler_io_fail(conn, EINVAL, HANDLER_IO_WRITE_TIMEOUT);
		return -1;
	}
	while (i < iovcnt) {
		for (nv = 0; nv < HANDLER_WRITEV_CHUNK && i + nv < iovcnt; nv++)
			v[nv] = iov[i + nv];
		v[0].iov_base = (char *)v[0].iov_base + off;
		v[0].iov_len -= off;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = v;
		msg.msg_iovlen = nv;
		n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || (errno == EAGAIN &&
		    handler_io_wait(conn, HANDLER_WAIT_WRITE,
		    conn->write_timeout_ms) == 0)))
			continue;
		if (n == -1) {
			handler_io_fail(conn, errno, HANDLER_IO_WRITE_TIMEOUT);
			return -1;
		}
		conn->bytes_out += n;
		for (sent = n; i < iovcnt && sent >= iov[i].iov_len - off;
		    i++) {
			sent -= iov[i].iov_len - off;
			off = 0;
		}
		off += sent;
	}
	return 0;
}

/*
 * SO_PEERCRED answers on any socket (on TCP with pid 0 and uid -1): the
 * family is checked first.
 */
int
handler_peercred(const struct handler_conn *conn, pid_t *pid, uid_t *uid,
    gid_t *gid)
{
	struct sockaddr_storage	ss;
	struct ucred		cred;
	socklen_t		len = sizeof(ss);

	if (getsockname(conn->fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family != AF_UNIX) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	len = sizeof(cred);
	if (getsockopt(conn->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	if (pid != NULL)
		*pid = cred.pid;
	if (uid != NULL)
		*uid = cred.uid;
	if (gid != NULL)
		*gid = cred.gid;
	return 0;
}

int
handler_draining(const struct handler_conn *conn)
{
	return io_draining != NULL && io_draining() ? 1 : 0;
}

/*
 * After serve() returns: free what the readers kept (bytes the handler
 * did not read are dropped).  May be called again.
 */
void
handler_conn_done(struct handler_conn *conn)
{
	free(conn->priv);
	conn->priv = NULL;
}

int
handler_idle(const struct handler_conn *conn)
{
	const struct handler_iobuf	*b = conn->priv;

	return io_suspend != NULL && (b == NULL || b->off == b->len);
}

/*
 * serve() returned HANDLER_KEEPALIVE: may the connection wait parked?
 * 1: no, bytes of the next request are here already (buffered, or on the
 * socket: read now into the read-ahead buffer, so that the handler's
 * next read costs no system call), call serve() again; 0: yes, nothing
 * is there, and the read-ahead buffer is freed; -1: the client closed or
 * the socket failed, close it.
 */
int
handler_conn_park(struct handler_conn *conn)
{
	struct handler_iobuf	*b = conn->priv;
	char			 buf[HANDLER_IOBUF_SIZE];
	ssize_t			 n;

	if (b != NULL && b->off < b->len)
		return 1;
	do {
		n = recv(conn->fd, buf, sizeof(buf), MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n > 0 && (b = handler_iobuf(conn, HANDLER_IOBUF_SIZE)) != NULL) {
		memcpy(b->data, buf, (size_t)n);
		b->off = 0;
		b->len = (size_t)n;
		conn->bytes_in += (size_t)n;
		return 1;
	}
	handler_conn_done(conn);
	return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
}
