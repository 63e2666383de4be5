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
 * worker_life.c: what a worker does the same way whether it serves one
 * connection at a time (worker.c) or many (worker_mux.c): deciding to
 * leave, telling the master, exiting, the peer's text, its resident
 * memory, accept(2)'s errors and the log line of a connection's end.
 */

#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "preforkd.h"

static uint64_t	worker_rss_kb(void);

/*
 * Whether the worker must leave before its next accept(2): told by the
 * master (SIGUSR2), or past its max_worker_age.  Returns SB_EXIT_*.
 */
uint32_t
worker_leaving(struct worker *w)
{
	(void)sig_take(SIGALRM);
	if (sig_take(SIGUSR2))
		w->leaving = SB_EXIT_TOLD;
	if (w->leaving == SB_EXIT_NONE && w->retire_at_ms > 0 &&
	    now_ms() >= w->retire_at_ms)
		w->leaving = SB_EXIT_AGE;
	return w->leaving;
}

/*
 * Tell the master something that cannot wait for its next look at the
 * scoreboard: EV_RETIRING (start the replacement now), EV_READY (the
 * pool, or a reload, may be complete).
 */
void
worker_announce(const struct worker *w, uint32_t event)
{
	chan_send(w->event_fd, event);
}

/*
 * What an accept(2) error other than EAGAIN means: the client went or a
 * firewall said no (WORKER_ACCEPT_RETRY: take the next), or descriptors
 * or memory are short (WORKER_ACCEPT_SHORT: back off WORKER_BACKOFF_MS;
 * logged at most once a second); anything else is fatal.
 */
int
worker_accept_error(const struct listener *l, int err)
{
	static int64_t	last_log;

	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:		/* firewall */
		return WORKER_ACCEPT_RETRY;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		if (now_ms() - last_log >= 1000) {
			errno = err;
			log_warn("accept %s (backing off %d ms)", l->bound,
			    WORKER_BACKOFF_MS);
			last_log = now_ms();
		}
		return WORKER_ACCEPT_SHORT;
	default:
		errno = err;
		fatal("accept %s", l->bound);
	}
}

/* The one log line of a connection's end. */
void
worker_conn_log(const struct handler_conn *conn)
{
	if (conn->io_error == HANDLER_IO_READ_TIMEOUT)
		log_info("%s: read timeout (%d ms), connection closed",
		    conn->peer_text, conn->read_timeout_ms);
	else if (conn->io_error == HANDLER_IO_WRITE_TIMEOUT)
		log_info("%s: write timeout (%d ms), connection closed",
		    conn->peer_text, conn->write_timeout_ms);
	else if (conn->io_error != HANDLER_IO_OK)
		log_debug("%s: %s, connection closed", conn->peer_text,
		    strerror(conn->io_errno));
	else
		log_debug("%s: served, %zu bytes in, %zu out", conn->peer_text,
		    conn->bytes_in, conn->bytes_out);
}

/* The client's address, for the scoreboard and the log. */
void
worker_peer(const struct sockaddr_storage *ss, socklen_t sslen, char *peer,
    size_t len)
{
	if (ss->ss_family == AF_UNIX)
		strlcpy(peer, "unix", len);
	else
		laddr_format((const struct sockaddr *)ss, sslen, peer, len);
}

__dead void
worker_exit(struct worker *w, uint32_t reason)
{
	sb_set_exit(w->sb, reason);
	if (w->handler != NULL && w->handler->fini != NULL)
		w->handler->fini(w->hdata);
	_exit(EXIT_RETIRED);
}

/* Peak resident set size in KiB (getrusage: no /proc needed). */
static uint64_t
worker_rss_kb(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (uint64_t)ru.ru_maxrss;
}

/*
 * The peak RSS for the scoreboard: after every connection with
 * max_worker_rss (it decides), else at most once a second.
 */
uint64_t
worker_rss(struct worker *w)
{
	int64_t	now = now_ms();

	if (w->conf->max_worker_rss_kb > 0 || w->rss_at_ms == 0 ||
	    now - w->rss_at_ms >= 1000) {
		w->rss_kb = worker_rss_kb();
		w->rss_at_ms = now;
		sb_set_rss(w->sb, w->rss_kb);
	}
	return w->rss_kb;
}
