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
 * preforkd handler interface: the one API between the daemon and a service.
 *
 * A handler serves one connection at a time inside an unprivileged worker
 * process.  The daemon owns the listening sockets, the accept loop, the
 * privilege drop, timeouts and the process life cycle; the handler owns
 * only the bytes of one connection.  Built-in handlers (incr, echo) and
 * loadable modules use this interface alike: a module is a shared object
 * that defines a `const struct handler` named `preforkd_handler`
 * (PREFORKD_HANDLER_SYMBOL), starting with HANDLER_HEADER.
 *
 * Life cycle, per worker process (preforkd-handler(3) has the whole story):
 *   check()  when the configuration is loaded (-t, start, reload): for a
 *            module in a short-lived process dropped exactly like a
 *            worker, with a time limit; never as root;
 *   init()   once, after the privilege drop, before the first accept(2);
 *   serve()  once per accepted connection, the socket is blocking and has
 *            the configured read/write timeouts;
 *   fini()   once, when the worker retires normally (not on a crash or a
 *            fast stop).
 *
 * Handlers include only this header and libc; they never see the daemon's
 * configuration or process table.
 *
 * The ABI grows without breaking: a structure of this header only ever
 * gains members at its end, and `struct handler` says which version and
 * size it was built with.  preforkd loads any module from
 * HANDLER_ABI_MIN to its own HANDLER_ABI_VERSION and reads only the
 * members the module's size covers; it refuses a module built for a
 * newer ABI, naming both versions.
 */

#ifndef PREFORKD_HANDLER_H
#define PREFORKD_HANDLER_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define HANDLER_ABI_VERSION	3	/* this header's */
#define HANDLER_ABI_MIN		2	/* the oldest a daemon loads */

/* The symbol a module defines (a const struct handler). */
#define PREFORKD_HANDLER_SYMBOL	"preforkd_handler"

/* The first members of every struct handler: a module writes
   `const struct handler preforkd_handler = { HANDLER_HEADER, ... };` */
#define HANDLER_HEADER	.abi = HANDLER_ABI_VERSION,			\
			.size = sizeof(struct handler)

/* Return values of serve(). */
#define HANDLER_OK		0	/* connection done, keep serving */
#define HANDLER_CLOSE		1	/* connection failed (I/O error,
					   timeout, protocol error): it is
					   closed, the worker keeps serving */
#define HANDLER_EXIT		2	/* the worker state is unusable: finish
					   this connection and retire */
#define HANDLER_KEEPALIVE	3	/* ABI 3: the connection is idle
					   between requests; call serve()
					   again when it is readable (see
					   handler_idle()) */

/* Why the last handler_read()/handler_write() failed (conn->io_error). */
#define HANDLER_IO_OK		0
#define HANDLER_IO_READ_TIMEOUT	1	/* no data within read_timeout */
#define HANDLER_IO_WRITE_TIMEOUT 2	/* no progress within write_timeout */
#define HANDLER_IO_RESET	3	/* peer reset or closed while writing */
#define HANDLER_IO_ERROR	4	/* any other errno (io_errno) */
#define HANDLER_IO_TOOLONG	5	/* handler_readline(): no end of line
					   within the buffer */
#define HANDLER_IO_EOF		6	/* handler_readn(): the client closed
					   before the whole frame came */

/* Log priorities (the syslog values). */
#define HANDLER_LOG_ERR		3
#define HANDLER_LOG_WARNING	4
#define HANDLER_LOG_NOTICE	5
#define HANDLER_LOG_INFO	6
#define HANDLER_LOG_DEBUG	7

/* What a handler learns about its worker, given to init(). */
struct handler_env {
	const char	*service;	/* the configured service name */
	unsigned int	 worker_slot;	/* 0 .. workers-1, stable per slot */
	unsigned int	 generation;	/* configuration generation */
	/* Log through the daemon (never write to stderr or syslog directly). */
	void		(*log)(int prio, const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));
	/* The `service_args` of the configuration ("key=value" strings),
	   NULL-terminated; init() refuses (-1, logged) what it does not
	   know.  The configuration check runs init()'s parser too. */
	const char *const *args;
};

/* One accepted connection, given to serve(). */
struct handler_conn {
	int			 fd;		/* connected, blocking socket */
	const struct sockaddr	*peer;		/* client address */
	socklen_t		 peerlen;
	const char		*peer_text;	/* "127.0.0.1:51234", "[::1]:5",
						   "unix" */
	const char		*listener_text;	/* the listen spec it came on */
	int			 read_timeout_ms;	/* 0 = none */
	int			 write_timeout_ms;	/* 0 = none */
	void			*data;		/* what init() stored */
	const struct handler_env *env;
	/* Set by handler_read()/handler_write(); read by the worker. */
	int			 io_error;	/* HANDLER_IO_* */
	int			 io_errno;
	size_t			 bytes_in;
	size_t			 bytes_out;
	/* Set with handler_deadline(): when the request being read must be
	   complete (monotonic ms, 0 = none).  A client trickling bytes keeps
	   each read under read_timeout but cannot pass the deadline. */
	int64_t			 deadline_ms;
	/* The daemon's, for the buffered readers: never touch it. */
	void			*priv;
	/* ABI 3.  How many times serve() returned HANDLER_KEEPALIVE on
	   this connection: 0 on the first call (send a greeting then). */
	unsigned int		 calls;
};

struct handler {
	unsigned int	 abi;		/* HANDLER_ABI_VERSION built with */
	unsigned int	 size;		/* sizeof(struct handler) built with */
	const char	*name;		/* the service's name (built-ins: the
					   `service` value; modules: logs) */
	const char	*description;	/* one line, for `preforkd -h` */
	/* Per-worker setup after the privilege drop; 0 or -1 (the worker
	   then exits and is respawned with back-off).  May be NULL. */
	int		(*init)(const struct handler_env *env, void **data);
	/* Serve one connection; returns HANDLER_OK, _CLOSE or _EXIT.  The
	   daemon closes conn->fd afterwards. */
	int		(*serve)(struct handler_conn *conn);
	/* Per-worker teardown on a normal retirement.  May be NULL. */
	void		(*fini)(void *data);
	/* Check `service_args` when the configuration is loaded: 0, or -1
	   and a message in err.  NULL: the service takes no arguments. */
	int		(*check)(const char *const *args, char *err,
			    size_t errlen);
	/* ABI 2 ends here: later versions append members. */
	/* ABI 3.  Whether serve() may run for several connections at once
	   in one worker (worker_connections > 1), given `service_args`: 1
	   when it waits only in handler_*() I/O and keeps no per-connection
	   state in what init() stored; 0 when it blocks otherwise (sleep,
	   a database client's own socket, CPU for long) or is not known
	   to be safe.  NULL (and every ABI 2 module): 0.  The configuration
	   check refuses worker_connections > 1 when it says 0. */
	int		(*multiplex)(const char *const *args);
};

/*
 * Read up to len bytes, first those handler_readline()/readn() read ahead.
 * Returns the byte count, 0 on end of file, or -1 with conn->io_error set
 * (timeout, reset, error).  EINTR is retried.
 */
ssize_t	handler_read(struct handler_conn *conn, void *buf, size_t len);

/*
 * From now, the client has ms milliseconds (0: no limit) to finish what it
 * is sending: handler_read() then fails with HANDLER_IO_READ_TIMEOUT,
 * at most one read_timeout late.  Call it again when a request is
 * complete, to give the next one its time.
 */
void	handler_deadline(struct handler_conn *conn, int ms);

/*
 * Write all len bytes (one write(2) in the common case).  Returns 0, or -1
 * with conn->io_error set.  Never raises SIGPIPE.
 */
int	handler_write(struct handler_conn *conn, const void *buf, size_t len);

/*
 * Read one line, its '\n' included, into buf and NUL-terminate it.  Returns
 * its length; 0 at end of file (a last line without '\n' is returned as
 * is first); -1 with conn->io_error set: HANDLER_IO_TOOLONG when no '\n'
 * came within len - 1 bytes (buf then holds those bytes, consumed: the
 * next call returns the rest of the line), else the failed read's error,
 * and the bytes of the incomplete line stay unread.  What comes after the
 * line stays buffered for the next handler_read/readline/readn().
 */
ssize_t	handler_readline(struct handler_conn *conn, char *buf, size_t len);

/*
 * Read exactly len bytes (a frame).  Returns 0, or -1 with conn->io_error
 * set (HANDLER_IO_EOF if the client closed before len bytes came); a
 * failed call consumes nothing: the bytes that came stay unread.
 */
int	handler_readn(struct handler_conn *conn, void *buf, size_t len);

/*
 * Format like printf(3) and write it all as handler_write() does.
 * Returns 0, or -1 with conn->io_error set.
 */
int	handler_printf(struct handler_conn *conn, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Write every byte of the iovcnt buffers of iov, in as few system calls as
 * the socket takes.  Returns 0, or -1 with conn->io_error set.  Never
 * raises SIGPIPE.
 */
int	handler_writev(struct handler_conn *conn, const struct iovec *iov,
	    int iovcnt);

/*
 * The process, user and group of the client of a unix socket, as the
 * kernel saw them when it connected (SO_PEERCRED); a NULL pointer skips
 * one.  Returns 0, or -1 with errno set: EAFNOSUPPORT on TCP.
 */
int	handler_peercred(const struct handler_conn *conn, pid_t *pid,
	    uid_t *uid, gid_t *gid);

/*
 * 1 when the worker exits after this connection (a reload, a graceful
 * stop, a smaller pool, its age or request cap): a long-lived connection
 * should then finish at a clean point and serve() return.  Else 0.
 */
int	handler_draining(const struct handler_conn *conn);

/*
 * ABI 3.  1 when serve(), at a clean point between requests, should
 * return HANDLER_KEEPALIVE: the worker serves many connections
 * (worker_connections > 1) and nothing of the next request is buffered.
 * The connection then waits for its next request parked, holding no
 * stack, and serve() is called again (conn->calls > 0) when it is
 * readable; it is closed after keepalive_timeout, or at once when the
 * worker drains.  0: go on reading as usual (one connection per worker).
 */
int	handler_idle(const struct handler_conn *conn);

#endif /* PREFORKD_HANDLER_H */
