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
 * control.c: the master's control socket, and the status report.
 *
 * A unix socket (mode 0600: its owner, root in production, only) next to
 * the pidfile.  One request line per connection:
 *   status [text|json|prometheus]   the pool, answered at once;
 *   reload                          answered when the reload is decided:
 *                                   "ok generation N" once the new
 *                                   generation accepts, or "error" and
 *                                   every FILE:LINE: message.
 * `preforkd -s reload` and `preforkd status` are its clients.
 *
 * The status report reads only the scoreboard and the master's own
 * counters: no system call per worker.
 *
 * Runs in the master; the client side is client.c.  Clients are local
 * and privileged, but still held to a line length, a count and an idle
 * time (a silent one is hung up on after CONTROL_IDLE_MS, and gives its
 * place to a new one).
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define CONTROL_IDLE_MS		5000

static uint64_t	control_seq;	/* clients accepted: the oldest goes first */

static const char *const xr_names[XR_COUNT] = {
	[XR_REQUESTS] = "requests", [XR_AGE] = "age", [XR_RSS] = "rss",
	[XR_HANDLER] = "handler", [XR_RELOAD] = "reload", [XR_IDLE] = "idle",
	[XR_RESIZE] = "resize", [XR_STOP] = "stop", [XR_CRASH] = "crash",
	[XR_TIMEOUT] = "timeout", [XR_OOM] = "oom", [XR_FAILED] = "failed",
	[XR_KILLED] = "killed",
};

static void	control_reply(struct control_client *c, const char *text,
		    size_t len);
static void	control_request(struct master *m, struct control_client *c);
static size_t	control_slot(struct master *m);

/* Open the control socket, if any.  Returns -1 (logged) on failure. */
int
control_open(struct master *m)
{
	struct laddr	a[2];
	size_t		n, i;
	char		spec[PATH_MAX + 8], err[256];

	m->control_fd = -1;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		m->clients[i].fd = -1;
	if (*m->conf->control_socket == '\0')
		return 0;
	snprintf(spec, sizeof(spec), "unix:%s", m->conf->control_socket);
	if (listen_parse(spec, a, &n, err, sizeof(err)) == -1 ||
	    listen_open_priv(&m->control, &a[0], CONTROL_MAX_CLIENTS, 0600,
	    err, sizeof(err)) == -1) {
		log_msg(LOG_ERR, "control socket: %s", err);
		return -1;
	}
	m->control_fd = m->control.fd;
	if (fcntl(m->control_fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	log_info("control socket %s", m->conf->control_socket);
	return 0;
}

void
control_close(struct master *m)
{
	size_t	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (m->clients[i].fd != -1) {
			close(m->clients[i].fd);
			m->clients[i].fd = -1;
		}
	if (m->control_fd != -1)
		listen_close(&m->control, 1);
	m->control_fd = -1;
}

/* The descriptors to poll: the socket, then each client.  Returns n. */
nfds_t
control_pollfds(struct master *m, struct pollfd *pfd)
{
	nfds_t	n = 0;
	size_t	i;

	if (m->control_fd == -1)
		return 0;
	pfd[n].fd = m->control_fd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		pfd[n].fd = m->clients[i].fd;	/* -1 is ignored by poll */
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
}

/* Write a whole reply (blocking, at most 1 s per write) and hang up. */
static void
control_reply(struct control_client *c, const char *text, size_t len)
{
	ssize_t	n;

	while (len > 0 && (n = send(c->fd, text, len, MSG_NOSIGNAL)) > 0) {
		text += n;
		len -= n;
	}
	control_drop(c);
}

/* Answer every client waiting for the reload that just ended. */
void
control_reload_done(struct master *m, int ok, const struct errlist *errs)
{
	struct control_client	*c;
	char			*text = NULL;
	size_t			 i, j, len = 0;
	FILE			*f;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c = &m->clients[i];
		if (c->fd == -1 || c->wait_reload == 0 ||
		    c->wait_reload > m->reload.seq)
			continue;
		if ((f = open_memstream(&text, &len)) == NULL)
			fatal("open_memstream");
		if (ok) {
			/* every line after the first is a warning */
			fprintf(f, "ok generation %u\n", m->pool.generation);
			for (j = 0; errs != NULL && j < errs->n; j++)
				fprintf(f, "%s\n", errs->msg[j]);
			fclose(f);
			control_reply(c, text, len);
			free(text);
			text = NULL;
			continue;
		}
		fprintf(f, "error\n");
		for (j = 0; errs != NULL && j < errs->n; j++)
			fprintf(f, "%s\n", errs->msg[j]);
		fprintf(f, "reload failed: still serving generation %u with "
		    "the previous configuration\n", m->pool.generation);
		fclose(f);
		control_reply(c, text, len);
		free(text);
		text = NULL;
	}
}

static void
control_request(struct master *m, struct control_client *c)
{
	char	*nl, *text = NULL;
	size_t	 len;

	if ((nl = memchr(c->buf, '\n', c->len)) == NULL)
		return;
	*nl = '\0';
	if (strcmp(c->buf, "reload") == 0) {
		c->wait_reload = m->reload.seq + 1;
		if (m->pool.stopping)
			control_reply(c, "error\nstopping\n", 15);
		else
			reload_start(m);	/* may answer at once */
		return;
	}
	if (strncmp(c->buf, "status", 6) == 0 && (c->buf[6] == '\0' ||
	    c->buf[6] == ' ')) {
		len = status_render(m, c->buf[6] ? c->buf + 7 : "text", &text);
		if (text != NULL) {
			control_reply(c, text, len);
			free(text);
			return;
		}
	}
	control_reply(c, "error\nunknown request\n", 22);
}

/* Accept clients, read their requests, drop the idle ones. */
void
control_dispatch(struct master *m, struct pollfd *pfd, nfds_t n)
{
	struct control_client	*c;
	size_t			 i;
	ssize_t			 r;
	int			 fd;
	int64_t			 now = now_ms();
	struct timeval		 tv = { 1, 0 };
	int			 sndbuf = 1 << 20;

	if (n == 0)
		return;
	if (pfd[0].revents & POLLIN)
		while ((fd = accept4(m->control_fd, NULL, NULL,
		    SOCK_CLOEXEC)) != -1) {
			if ((i = control_slot(m)) == CONTROL_MAX_CLIENTS) {
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
			m->clients[i].fd = fd;
			m->clients[i].len = 0;
			m->clients[i].since_ms = now;
			m->clients[i].seq = ++control_seq;
			m->clients[i].wait_reload = 0;
		}
	for (i = 0; i < CONTROL_MAX_CLIENTS && i + 1 < n; i++) {
		c = &m->clients[i];
		if (c->fd == -1 || c->wait_reload != 0)
			continue;
		if (pfd[i + 1].fd == c->fd && (pfd[i + 1].revents &
		    (POLLIN | POLLHUP | POLLERR))) {
			r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 -
			    c->len, MSG_DONTWAIT);
			if (r <= 0 && !(r == -1 && errno == EAGAIN)) {
				control_drop(c);
				continue;
			}
			if (r > 0)
				c->len += r;
			if (memchr(c->buf, '\n', c->len) != NULL)
				control_request(m, c);
			else if (c->len == sizeof(c->buf) - 1)
				control_reply(c, "error\ntoo long\n", 15);
			continue;
		}
	}
}

/* Hang up on the clients silent for CONTROL_IDLE_MS. */
void
control_expire(struct master *m, int64_t now)
{
	size_t	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (m->clients[i].fd != -1 && m->clients[i].wait_reload == 0 &&
		    now - m->clients[i].since_ms >= CONTROL_IDLE_MS)
			control_drop(&m->clients[i]);
}

/*
 * A free client slot for a new connection: an empty one, else the one of
 * the oldest client that has not asked anything yet (a silent client
 * never keeps a working one out).  CONTROL_MAX_CLIENTS if all wait for
 * a reload.
 */
static size_t
control_slot(struct master *m)
{
	size_t	i, old = CONTROL_MAX_CLIENTS;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (m->clients[i].fd == -1)
			return i;
		if (m->clients[i].wait_reload == 0 &&
		    (old == CONTROL_MAX_CLIENTS ||
		    m->clients[i].seq < m->clients[old].seq))
			old = i;
	}
	if (old != CONTROL_MAX_CLIENTS)
		control_drop(&m->clients[old]);
	return old;
}

/* How long the loop may sleep before a client must be hung up (-1). */
int
control_timeout(struct master *m, int64_t now)
{
	int64_t	t = -1, d;
	size_t	i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (m->clients[i].fd == -1 || m->clients[i].wait_reload != 0)
			continue;
		d = m->clients[i].since_ms + CONTROL_IDLE_MS - now;
		if (t == -1 || d < t)
			t = d > 0 ? d : 0;
	}
	return (int)t;
}

/* --- the status report -------------------------------------------------- */

/*
 * The per-worker lines are many (one per worker, 4096 at most): they are
 * written with these instead of fprintf(), whose format parsing would
 * dominate the report's cost.
 */
struct obuf {
	char	*p;
	size_t	 len, cap;
};

static void
out_n(struct obuf *f, const char *s, size_t n)
{
	char	*np;

	if (f->len + n + 1 > f->cap) {
		f->cap = (f->len + n + 1) * 2;
		if ((np = realloc(f->p, f->cap)) == NULL)
			fatal("status");
		f->p = np;
	}
	memcpy(f->p + f->len, s, n);
	f->len += n;
	f->p[f->len] = '\0';
}

static void
out_s(struct obuf *f, const char *s)
{
	out_n(f, s, strlen(s));
}

static void
out_c(struct obuf *f, char c)
{
	out_n(f, &c, 1);
}

static void __attribute__((format(printf, 2, 3)))
out_f(struct obuf *f, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_n(f, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

static void
out_u(struct obuf *f, uint64_t n, int width)
{
	char	buf[24];
	int	i = sizeof(buf);

	do {
		buf[--i] = '0' + n % 10;
		n /= 10;
	} while (n > 0);
	while (sizeof(buf) - i < (size_t)width && i > 0)
		buf[--i] = ' ';
	out_n(f, buf + i, sizeof(buf) - i);
}

/*
 * Text a worker wrote, for a terminal: printable ASCII as it is, any
 * other byte (escape sequences, newlines) as \xNN.
 */
static void
out_esc(struct obuf *f, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	const unsigned char	*p;
	char			 e[4] = { '\\', 'x', 0, 0 };

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			out_c(f, *p);
			continue;
		}
		e[2] = hex[*p >> 4];
		e[3] = hex[*p & 15];
		out_n(f, e, 4);
	}
}

/* The accept queues of the listeners, read once per report. */
struct status_queue {
	unsigned int	queued, backlog;
	int		ok;
};

/* What the report sums up before it is written in one format. */
struct status_sum {
	unsigned int		 states[SB_NSTATES];
	uint64_t		 served, waited, rss_kb;
	struct status_queue	*queues;	/* one per listener */
};

/* A signed duration that a clock step could make negative: clamp to 0. */
static uint64_t
out_ms(int64_t ms)
{
	return ms > 0 ? (uint64_t)ms : 0;
}

static void
status_text(struct master *m, struct obuf *f, const struct status_sum *sum,
    int64_t now)
{
	const unsigned int	*states = sum->states;
	struct sb_slot		 sb;
	unsigned int		 i, x;
	size_t			 k;

	out_f(f, "preforkd %s: pid %ld, up %lld s, service %s, "
	    "generation %u\n", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - m->started_ms) / 1000, m->conf->service,
	    m->pool.generation);
	out_f(f, "workers: %u (target %u): %u idle, %u reading, %u busy, "
	    "%u starting, %u retiring\n", pool_count(&m->pool), m->pool.target,
	    states[SB_IDLE], states[SB_READING], states[SB_BUSY],
	    states[SB_STARTING], states[SB_RETIRING]);
	out_f(f, "connections: %llu served, %llu waited for a free worker; "
	    "reloads: %u ok, %u failed; crash back-off: %lld ms\n",
	    (unsigned long long)sum->served, (unsigned long long)sum->waited,
	    m->reload.ok, m->reload.failed, (long long)m->pool.backoff_ms);
	if (m->conf->max_workers > 0)
		out_f(f, "max_workers (%u) reached: %llu times\n",
		    m->conf->max_workers,
		    (unsigned long long)m->pool.max_reached);
	out_f(f, "exits:");
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, " %s %llu%s", xr_names[x],
		    (unsigned long long)m->exits[x], x + 1 < XR_COUNT ? "," :
		    "\n");
	out_f(f, "listening:");
	for (k = 0; k < m->nlisteners; k++)
		if (sum->queues[k].ok)
			out_f(f, " %s (queue %u of %u)", m->listeners[k].bound,
			    sum->queues[k].queued, sum->queues[k].backlog);
		else
			out_f(f, " %s", m->listeners[k].bound);
	out_f(f, "\n\n%5s %8s %4s %-9s %10s %8s %9s  %s\n", "SLOT", "PID",
	    "GEN", "STATE", "SERVED", "AGE(s)", "RSS(KiB)", "CLIENT");
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(sb_at(&m->sb, i));
		out_u(f, i, 5);
		out_u(f, m->pool.slots[i].pid, 9);
		out_u(f, m->pool.slots[i].generation, 5);
		out_s(f, " ");
		out_s(f, sb_state_name(sb.state));
		out_s(f, &"         "[strlen(sb_state_name(sb.state))]);
		out_u(f, sb.served, 11);
		out_u(f, out_ms(now - m->pool.slots[i].started_ms) / 1000, 9);
		out_u(f, sb.rss_kb, 10);
		out_s(f, "  ");
		out_esc(f, *sb.client ? sb.client : "-");
		out_s(f, "\n");
	}
}

/* A JSON string (the client text is from a worker: escape it all). */
static void
status_json_str(struct obuf *f, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0' && *p != '"' && *p != '\\' &&
	    (unsigned char)*p >= 0x20 && (unsigned char)*p <= 0x7e; p++)
		;
	if (*p == '\0') {		/* nothing to escape: the usual case */
		out_c(f, '"');
		out_s(f, s);
		out_c(f, '"');
		return;
	}
	out_c(f, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			out_f(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			out_f(f, "\\u%04x", (unsigned char)*s);
		else
			out_c(f, *s);
	}
	out_c(f, '"');
}

static void
status_json(struct master *m, struct obuf *f, const struct status_sum *sum,
    int64_t now)
{
	const unsigned int	*states = sum->states;
	struct sb_slot		 sb;
	unsigned int		 i, x, first = 1;
	size_t			 k;

	out_f(f, "{\"version\":\"%s\",\"pid\":%ld,\"uptime_seconds\":%lld,"
	    "\"service\":", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - m->started_ms) / 1000);
	status_json_str(f, m->conf->service);
	out_f(f, ",\"generation\":%u,\"target\":%u,\"workers\":{"
	    "\"total\":%u", m->pool.generation, m->pool.target,
	    pool_count(&m->pool));
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		out_f(f, ",\"%s\":%u", sb_state_name(x), states[x]);
	out_f(f, "},\"connections_total\":%llu,\"connections_waited\":%llu,"
	    "\"max_workers_reached\":%llu,\"reloads\":{\"ok\":%u,"
	    "\"failed\":%u},\"crash_backoff_seconds\":%.3f,\"exits\":{",
	    (unsigned long long)sum->served, (unsigned long long)sum->waited,
	    (unsigned long long)m->pool.max_reached, m->reload.ok,
	    m->reload.failed, m->pool.backoff_ms / 1000.0);
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, "%s\"%s\":%llu", x ? "," : "", xr_names[x],
		    (unsigned long long)m->exits[x]);
	out_f(f, "},\"listeners\":[");
	for (k = 0; k < m->nlisteners; k++) {
		out_f(f, "%s", k ? "," : "");
		status_json_str(f, m->listeners[k].bound);
	}
	out_f(f, "],\"listen_queues\":[");
	for (k = 0, first = 1; k < m->nlisteners; k++) {
		if (!sum->queues[k].ok)
			continue;
		out_s(f, first ? "{\"listener\":" : ",{\"listener\":");
		status_json_str(f, m->listeners[k].bound);
		out_f(f, ",\"queued\":%u,\"backlog\":%u}",
		    sum->queues[k].queued, sum->queues[k].backlog);
		first = 0;
	}
	first = 1;
	out_f(f, "],\"slots\":[");
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(sb_at(&m->sb, i));
		out_s(f, first ? "{\"slot\":" : ",{\"slot\":");
		out_u(f, i, 0);
		out_s(f, ",\"pid\":");
		out_u(f, m->pool.slots[i].pid, 0);
		out_s(f, ",\"generation\":");
		out_u(f, m->pool.slots[i].generation, 0);
		out_s(f, ",\"state\":\"");
		out_s(f, sb_state_name(sb.state));
		out_s(f, "\",\"served\":");
		out_u(f, sb.served, 0);
		out_s(f, ",\"age_ms\":");
		out_u(f, out_ms(now - m->pool.slots[i].started_ms), 0);
		out_s(f, ",\"state_ms\":");
		out_u(f, out_ms(now - sb.changed_ms), 0);
		out_s(f, ",\"rss_kb\":");
		out_u(f, sb.rss_kb, 0);
		out_s(f, ",\"waited\":");
		out_u(f, sb.waited, 0);
		out_s(f, ",\"client\":");
		status_json_str(f, sb.client);
		out_c(f, '}');
		first = 0;
	}
	out_f(f, "]}\n");
}

/* An OpenMetrics label value: backslash, quote and newline escaped. */
static void
status_label(struct obuf *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			out_c(f, '\\');
		if (*s == '\n')
			out_s(f, "\\n");
		else
			out_c(f, *s);
	}
}

/*
 * OpenMetrics text (what Prometheus scrapes): a family per metric, its
 * TYPE and HELP, counters sampled as NAME_total, "# EOF" at the end.
 */
static void
status_prometheus(struct master *m, struct obuf *f,
    const struct status_sum *sum, int64_t now)
{
	unsigned int	x;
	size_t		k;

	out_f(f, "# TYPE preforkd_workers gauge\n"
	    "# HELP preforkd_workers Workers by state.\n");
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		out_f(f, "preforkd_workers{state=\"%s\"} %u\n",
		    sb_state_name(x), sum->states[x]);
	out_f(f, "# TYPE preforkd_workers_target gauge\n"
	    "# HELP preforkd_workers_target Workers the pool keeps.\n"
	    "preforkd_workers_target %u\n", m->pool.target);
	out_f(f, "# TYPE preforkd_connections counter\n"
	    "# HELP preforkd_connections Connections served.\n"
	    "preforkd_connections_total %llu\n",
	    (unsigned long long)sum->served);
	out_f(f, "# TYPE preforkd_connections_waited counter\n"
	    "# HELP preforkd_connections_waited Connections that waited in "
	    "the accept queue for a free worker.\n"
	    "preforkd_connections_waited_total %llu\n",
	    (unsigned long long)sum->waited);
	out_f(f, "# TYPE preforkd_max_workers_reached counter\n"
	    "# HELP preforkd_max_workers_reached Times a dynamic pool wanted "
	    "to grow past max_workers.\n"
	    "preforkd_max_workers_reached_total %llu\n",
	    (unsigned long long)m->pool.max_reached);
	out_f(f, "# TYPE preforkd_listen_queue gauge\n"
	    "# HELP preforkd_listen_queue Connections waiting in a "
	    "listener's accept queue.\n");
	for (k = 0; k < m->nlisteners; k++) {
		if (!sum->queues[k].ok)
			continue;
		out_s(f, "preforkd_listen_queue{listener=\"");
		status_label(f, m->listeners[k].bound);
		out_f(f, "\"} %u\n", sum->queues[k].queued);
	}
	out_f(f, "# TYPE preforkd_listen_backlog gauge\n"
	    "# HELP preforkd_listen_backlog The accept queue's size.\n");
	for (k = 0; k < m->nlisteners; k++) {
		if (!sum->queues[k].ok)
			continue;
		out_s(f, "preforkd_listen_backlog{listener=\"");
		status_label(f, m->listeners[k].bound);
		out_f(f, "\"} %u\n", sum->queues[k].backlog);
	}
	out_f(f, "# TYPE preforkd_workers_rss_bytes gauge\n"
	    "# UNIT preforkd_workers_rss_bytes bytes\n"
	    "# HELP preforkd_workers_rss_bytes Peak resident memory of the "
	    "live workers, summed.\n"
	    "preforkd_workers_rss_bytes %llu\n",
	    (unsigned long long)sum->rss_kb * 1024);
	out_f(f, "# TYPE preforkd_worker_exits counter\n"
	    "# HELP preforkd_worker_exits Worker exits by cause.\n");
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, "preforkd_worker_exits_total{reason=\"%s\"} %llu\n",
		    xr_names[x], (unsigned long long)m->exits[x]);
	out_f(f, "# TYPE preforkd_reloads counter\n"
	    "# HELP preforkd_reloads Reloads by result.\n"
	    "preforkd_reloads_total{result=\"ok\"} %u\n"
	    "preforkd_reloads_total{result=\"failed\"} %u\n",
	    m->reload.ok, m->reload.failed);
	out_f(f, "# TYPE preforkd_crash_backoff_seconds gauge\n"
	    "# UNIT preforkd_crash_backoff_seconds seconds\n"
	    "# HELP preforkd_crash_backoff_seconds Current delay between "
	    "spawns after repeated crashes.\n"
	    "preforkd_crash_backoff_seconds %.3f\n",
	    m->pool.backoff_ms / 1000.0);
	out_f(f, "# TYPE preforkd_generation gauge\n"
	    "# HELP preforkd_generation Configuration generation.\n"
	    "preforkd_generation %u\n", m->pool.generation);
	out_f(f, "# TYPE preforkd_uptime_seconds gauge\n"
	    "# UNIT preforkd_uptime_seconds seconds\n"
	    "# HELP preforkd_uptime_seconds Time since the start.\n"
	    "preforkd_uptime_seconds %.3f\n# EOF\n",
	    (now - m->started_ms) / 1000.0);
}

/*
 * The status report in format "text", "json" or "prometheus", in a
 * malloc'ed *out (NULL for an unknown format).  Returns its length.
 */
size_t
status_render(struct master *m, const char *format, char **out)
{
	struct status_sum sum;
	struct sb_slot	 sb;
	unsigned int	 i;
	size_t		 k;
	int64_t		 now = now_ms();
	char		 err[128];
	struct obuf	 ob = { NULL, 0, 0 }, *f = &ob;

	*out = NULL;
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "prometheus") != 0)
		return 0;
	memset(&sum, 0, sizeof(sum));
	sum.served = m->served_dead;
	sum.waited = m->waited_dead;
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(sb_at(&m->sb, i));
		sum.states[m->pool.slots[i].retiring ? SB_RETIRING :
		    sb.state]++;
		sum.served += sb.served;
		sum.waited += sb.waited;
		sum.rss_kb += sb.rss_kb;
	}
	if (m->nlisteners > 0 && (sum.queues = calloc(m->nlisteners,
	    sizeof(*sum.queues))) == NULL)
		fatal("status");
	for (k = 0; k < m->nlisteners; k++)
		sum.queues[k].ok = sockq_listen(m->listeners[k].fd,
		    &sum.queues[k].queued, &sum.queues[k].backlog, err,
		    sizeof(err)) == 0;
	if (strcmp(format, "json") == 0)
		status_json(m, f, &sum, now);
	else if (strcmp(format, "prometheus") == 0)
		status_prometheus(m, f, &sum, now);
	else
		status_text(m, f, &sum, now);
	free(sum.queues);
	*out = ob.p;
	return ob.len;
}
