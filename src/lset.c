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
 * lset.c: the listening sockets of a generation, shared with the next.
 *
 * A listener is opened once and kept for as long as a generation names
 * its address: a reload builds the new set from the current one, taking
 * the open socket of every address present in both (nothing is ever
 * refused during a reload) and binding the others; a listener is
 * closed, and its unix socket file removed, when the last set that holds
 * it is released.  Building is all or nothing: if one address cannot be
 * bound, what this build opened is closed and the running sets are
 * untouched.
 *
 * Runs in the master, as root.  Errors and warnings go to the caller's
 * list, with the configuration's FILE:LINE; nothing here logs.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

static struct listener	*lset_find(const struct lset *ls, const char *text);

/* The listener of old for address text, or NULL. */
static struct listener *
lset_find(const struct lset *ls, const char *text)
{
	size_t	i;

	for (i = 0; ls != NULL && i < ls->n; i++)
		if (strcmp(ls->l[i]->addr.text, text) == 0)
			return ls->l[i];
	return NULL;
}

/*
 * The listener set of conf in *out: the sockets of old (may be NULL) for
 * the addresses it shares with conf, new ones bound for the others; then
 * conf's settings on all (lset_apply()).  Returns 0, or -1 with the
 * errors in errs and nothing changed.
 */
int
lset_build(const struct conf *conf, const struct lset *old, struct lset *out,
    struct errlist *errs)
{
	struct listener	*l;
	char		 err[PATH_MAX + 128];
	size_t		 i;

	out->n = 0;
	if ((out->l = calloc(conf->nlisten, sizeof(*out->l))) == NULL)
		fatal("listeners");
	for (i = 0; i < conf->nlisten; i++) {
		if ((l = lset_find(old, conf->listen[i].text)) != NULL) {
			l->refs++;		/* the same socket */
			out->l[out->n++] = l;
			continue;
		}
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("listeners");
		if (listen_open_priv(l, &conf->listen[i], conf->backlog,
		    conf->unix_mode, err, sizeof(err)) == -1) {
			errlist_add_at(errs, conf->file, conf->listen[i].line,
			    "listen", 0, "%s", err);
			free(l);
			lset_release(out);	/* closes what was opened */
			return -1;
		}
		l->refs = 1;
		out->l[out->n++] = l;
	}
	lset_apply(conf, out, errs);
	return 0;
}

/*
 * The settings of conf on the open sockets of ls: backlog, unix mode,
 * TCP_DEFER_ACCEPT and timeouts (inherited by accepted TCP sockets); the
 * blocking mode is lset_mode()'s.  Programs
 * (service = program) get them as systemd passes sockets: blocking, no
 * timeouts.  What cannot be applied is a warning in warn.
 */
void
lset_apply(const struct conf *conf, struct lset *ls, struct errlist *warn)
{
	struct listener	*l;
	char		 err[PATH_MAX + 128];
	size_t		 i;
	int		 secs;
	int		 prog = conf->service_kind == SERVICE_PROGRAM;

	for (i = 0; i < ls->n; i++) {
		l = ls->l[i];
		(void)listen(l->fd, conf->backlog);
		if (l->addr.family == AF_UNIX) {
			if (listen_set_mode_priv(l, conf->unix_mode, err,
			    sizeof(err)) == -1)
				errlist_add_at(warn, conf->file, 0, "unix_mode",
				    1, "%s", err);
		} else {
			secs = (conf->defer_accept_ms + 999) / 1000;
			(void)setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT,
			    &secs, sizeof(secs));
		}
		if (prog)
			(void)socket_set_timeouts(l->fd, 0, 0);
		l->timeouts_inherited = !prog && l->addr.family != AF_UNIX &&
		    socket_set_timeouts(l->fd, conf->read_timeout_ms,
		    conf->write_timeout_ms) == 0;
	}
}

/*
 * Whether the workers of conf poll their listeners (several of them, or
 * many connections per worker), so that accept(2) must not block.
 */
int
lset_polled(const struct conf *conf)
{
	return conf->service_kind != SERVICE_PROGRAM && (conf->nlisten > 1 ||
	    conf->worker_connections > 1);
}

/*
 * The blocking mode of ls's sockets, which every process holding them
 * shares: non-blocking when conf's workers poll them, or when keep says
 * that older workers still running do (a worker polling a blocking
 * listener could hang in accept(2) after a sibling took the connection;
 * a blocking-accept worker meeting EAGAIN waits in poll(2) instead).
 * Programs get blocking sockets, as systemd passes them.
 */
void
lset_mode(const struct conf *conf, struct lset *ls, int keep)
{
	struct listener	*l;
	size_t		 i;
	int		 fl, nb;

	nb = conf->service_kind != SERVICE_PROGRAM && (keep ||
	    lset_polled(conf));
	for (i = 0; i < ls->n; i++) {
		l = ls->l[i];
		if ((fl = fcntl(l->fd, F_GETFL)) == -1 ||
		    fcntl(l->fd, F_SETFL, nb ? fl | O_NONBLOCK :
		    fl & ~O_NONBLOCK) == -1)
			fatal("fcntl %s", l->bound);
	}
}

/*
 * Let go of a set: each listener no other set holds is closed, its unix
 * socket file removed.  The set is empty afterwards.
 */
void
lset_release(struct lset *ls)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		if (--ls->l[i]->refs == 0) {
			listen_close(ls->l[i], 1);
			free(ls->l[i]);
		}
	free(ls->l);
	ls->l = NULL;
	ls->n = 0;
}

/*
 * Stop accepting on every listener of ls at once (a stop): the sockets
 * are closed and their files removed; the set still holds them, closed,
 * until it is released.
 */
void
lset_close(struct lset *ls)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		listen_close(ls->l[i], 1);
}
