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
 * control.c: the master's control socket.
 *
 * A unix socket (mode 0600: its owner, root in production, only), named
 * after the pidfile.  One request line per connection:
 *   status [text|json|prometheus]   answered at once;
 *   reload                          answered when the reload is decided:
 *                                   "ok generation N" (then its warnings,
 *                                   one a line) once the new generation
 *                                   accepts, or "error" and every
 *                                   FILE:LINE: message.
 * `preforkd -s reload` and `preforkd status` are its clients (client.c).
 *
 * This file holds the socket and the clients, reads their requests and
 * writes the answers it is given; the master takes each request
 * (control_next()) and decides what to answer, in its loop's order.
 *
 * Runs in the master.  Clients are local and privileged, but still held
 * to a line length, a count and an idle time (a silent one is hung up on
 * after CONTROL_IDLE_MS, and gives its place to a new one).
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define CONTROL_IDLE_MS		5000

static uint64_t	control_seq;	/* clients accepted: the oldest goes first */

static void	control_drop(struct control_client *c);
static size_t	control_slot(struct control *ctl);

/* Open the control socket at path ("": none).  -1 (logged) on failure. */
int
control_open(struct control *ctl, const char *path)
{
	struct laddr	a[2];
	size_t		n, i;
	char		spec[PATH_MAX + 8], err[PATH_MAX + 128];

	ctl->fd = -1;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	if (*path == '\0')
		return 0;
	snprintf(spec, sizeof(spec), "unix:%s", path);
	if (listen_parse(spec, a, &n, err, sizeof(err)) == -1 ||
	    listen_open_priv(&ctl->sock, &a[0], CONTROL_MAX_CLIENTS, 0600,
	    err, sizeof(err)) == -1) {
		log_msg(LOG_ERR, "control socket: %s", err);
		return -1;
	}
	ctl->fd = ctl->sock.fd;
	if (fcntl(ctl->fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	log_info("control socket %s", path);
	return 0;
}

void
control_close(struct control *ctl)
{
	size_t	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		control_drop(&ctl->clients[i]);
	if (ctl->fd != -1)
		listen_close(&ctl->sock, 1);
	ctl->fd = -1;
}

/* The descriptors to poll: the socket, then each client.  Returns n. */
nfds_t
control_pollfds(struct control *ctl, struct pollfd *pfd)
{
	nfds_t	n = 0;
	size_t	i;

	if (ctl->fd == -1)
		return 0;
	pfd[n].fd = ctl->fd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		pfd[n].fd = ctl->clients[i].fd;	/* -1 is ignored by poll */
		pfd[n++].events = POLLIN;
	}
	return n;
}

static void
control_drop(struct control_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->wait_reload = 0;
	c->asked = 0;
}

/* Write a whole answer to client i (blocking, at most 1 s per write)
   and hang up. */
void
control_reply(struct control *ctl, int i, const char *text, size_t len)
{
	struct control_client	*c = &ctl->clients[i];
	ssize_t			 n;

	while (len > 0 && (n = send(c->fd, text, len, MSG_NOSIGNAL)) > 0) {
		text += n;
		len -= n;
	}
	control_drop(c);
}

/* Client i waits for the verdict of reload number seq. */
void
control_wait_reload(struct control *ctl, int i, unsigned int seq)
{
	ctl->clients[i].wait_reload = seq;
}

/* Answer text to every client waiting for a reload up to seq. */
void
control_reload_done(struct control *ctl, unsigned int seq, const char *text,
    size_t len)
{
	size_t	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd != -1 &&
		    ctl->clients[i].wait_reload != 0 &&
		    ctl->clients[i].wait_reload <= seq)
			control_reply(ctl, i, text, len);
}

/*
 * The next request a client has sent in full, in *req; each is taken
 * once.  Returns 0 when there is none.
 */
int
control_next(struct control *ctl, struct control_req *req)
{
	struct control_client	*c;
	char			*nl;
	size_t			 i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c = &ctl->clients[i];
		if (c->fd == -1 || c->asked ||
		    (nl = memchr(c->buf, '\n', c->len)) == NULL)
			continue;
		*nl = '\0';
		c->asked = 1;
		memset(req, 0, sizeof(*req));
		req->client = i;
		if (strcmp(c->buf, "reload") == 0)
			req->type = CONTROL_RELOAD;
		else if (strncmp(c->buf, "status", 6) == 0 &&
		    (c->buf[6] == '\0' || c->buf[6] == ' ')) {
			req->type = CONTROL_STATUS;
			strlcpy(req->arg, c->buf[6] ? c->buf + 7 : "text",
			    sizeof(req->arg));
		} else
			req->type = CONTROL_BAD;
		return 1;
	}
	return 0;
}

/* Accept clients and read their requests. */
void
control_dispatch(struct control *ctl, struct pollfd *pfd, nfds_t n,
    int64_t now)
{
	struct control_client	*c;
	size_t			 i;
	ssize_t			 r;
	int			 fd;
	struct timeval		 tv = { 1, 0 };
	int			 sndbuf = 1 << 20;

	if (n == 0)
		return;
	if (pfd[0].revents & POLLIN)
		while ((fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC)) !=
		    -1) {
			if ((i = control_slot(ctl)) == CONTROL_MAX_CLIENTS) {
				/* all waiting for a reload: answer busy */
				(void)send(fd, "error\nbusy\n", 11,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
				close(fd);
				continue;
			}
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			    sizeof(tv));
			/* room for a whole status report in one send() */
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			    sizeof(sndbuf));
			c = &ctl->clients[i];
			c->fd = fd;
			c->len = 0;
			c->since_ms = now;
			c->seq = ++control_seq;
			c->wait_reload = 0;
			c->asked = 0;
		}
	for (i = 0; i < CONTROL_MAX_CLIENTS && i + 1 < n; i++) {
		c = &ctl->clients[i];
		if (c->fd == -1 || c->asked || pfd[i + 1].fd != c->fd ||
		    !(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
		    MSG_DONTWAIT);
		if (r <= 0 && !(r == -1 && errno == EAGAIN)) {
			control_drop(c);
			continue;
		}
		if (r > 0)
			c->len += r;
		if (memchr(c->buf, '\n', c->len) == NULL &&
		    c->len == sizeof(c->buf) - 1)
			control_reply(ctl, i, "error\ntoo long\n", 15);
	}
}

/* Hang up on the clients silent for CONTROL_IDLE_MS. */
void
control_expire(struct control *ctl, int64_t now)
{
	struct control_client	*c;
	size_t			 i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c = &ctl->clients[i];
		if (c->fd != -1 && !c->asked &&
		    now - c->since_ms >= CONTROL_IDLE_MS)
			control_drop(c);
	}
}

/*
 * A free client slot for a new connection: an empty one, else the one of
 * the oldest client that has not asked anything yet (a silent client
 * never keeps a working one out).  CONTROL_MAX_CLIENTS if all wait for
 * an answer.
 */
static size_t
control_slot(struct control *ctl)
{
	size_t	i, old = CONTROL_MAX_CLIENTS;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (ctl->clients[i].fd == -1)
			return i;
		if (!ctl->clients[i].asked && (old == CONTROL_MAX_CLIENTS ||
		    ctl->clients[i].seq < ctl->clients[old].seq))
			old = i;
	}
	if (old != CONTROL_MAX_CLIENTS)
		control_drop(&ctl->clients[old]);
	return old;
}

/* How long the loop may sleep before a client must be hung up (-1). */
int
control_timeout(struct control *ctl, int64_t now)
{
	int64_t	t = -1, d;
	size_t	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (ctl->clients[i].fd == -1 || ctl->clients[i].asked)
			continue;
		d = ctl->clients[i].since_ms + CONTROL_IDLE_MS - now;
		if (t == -1 || d < t)
			t = d > 0 ? d : 0;
	}
	return (int)t;
}
