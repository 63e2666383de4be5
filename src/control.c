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
 * Runs in the master (the server side) and in `preforkd -s`/`status`
 * (control_command()).  Clients are local and privileged, but still held
 * to a line length, a count and an idle time.
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
	char			*text = NULL, line[64];
	size_t			 i, j, len = 0;
	FILE			*f;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c = &m->clients[i];
		if (c->fd == -1 || c->wait_reload == 0 ||
		    c->wait_reload > m->reload.seq)
			continue;
		if (ok) {
			snprintf(line, sizeof(line), "ok generation %u\n",
			    m->pool.generation);
			control_reply(c, line, strlen(line));
			continue;
		}
		if ((f = open_memstream(&text, &len)) == NULL)
			fatal("open_memstream");
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
			for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
				if (m->clients[i].fd == -1)
					break;
			if (i == CONTROL_MAX_CLIENTS) {
				close(fd);	/* busy: they retry */
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
		if (now - c->since_ms > CONTROL_IDLE_MS)
			control_drop(c);
	}
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

/* A signed duration that a clock step could make negative: clamp to 0. */
static uint64_t
out_ms(int64_t ms)
{
	return ms > 0 ? (uint64_t)ms : 0;
}

static void
status_text(struct master *m, struct obuf *f, const unsigned int *states,
    uint64_t served, int64_t now)
{
	struct sb_slot	sb;
	unsigned int	i, x;
	size_t		k;

	out_f(f, "preforkd %s: pid %ld, up %lld s, service %s, "
	    "generation %u\n", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - m->started_ms) / 1000, m->conf->service,
	    m->pool.generation);
	out_f(f, "workers: %u (target %u): %u idle, %u reading, %u busy, "
	    "%u starting, %u retiring\n", pool_count(&m->pool), m->pool.target,
	    states[SB_IDLE], states[SB_READING], states[SB_BUSY],
	    states[SB_STARTING], states[SB_RETIRING]);
	out_f(f, "connections: %llu served; reloads: %u ok, %u failed; "
	    "crash back-off: %lld ms\n", (unsigned long long)served,
	    m->reload.ok, m->reload.failed, (long long)m->pool.backoff_ms);
	out_f(f, "exits:");
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, " %s %llu%s", xr_names[x],
		    (unsigned long long)m->exits[x], x + 1 < XR_COUNT ? "," :
		    "\n");
	out_f(f, "listening:");
	for (k = 0; k < m->nlisteners; k++)
		out_f(f, " %s", m->listeners[k].bound);
	out_f(f, "\n\n%5s %8s %4s %-9s %10s %8s %9s  %s\n", "SLOT", "PID",
	    "GEN", "STATE", "SERVED", "AGE(s)", "RSS(KiB)", "CLIENT");
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(&m->sb.slots[i]);
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
		out_s(f, *sb.client ? sb.client : "-");
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
status_json(struct master *m, struct obuf *f, const unsigned int *states,
    uint64_t served, int64_t now)
{
	struct sb_slot	sb;
	unsigned int	i, x, first = 1;
	size_t		k;

	out_f(f, "{\"version\":\"%s\",\"pid\":%ld,\"uptime_seconds\":%lld,"
	    "\"service\":", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - m->started_ms) / 1000);
	status_json_str(f, m->conf->service);
	out_f(f, ",\"generation\":%u,\"target\":%u,\"workers\":{"
	    "\"total\":%u", m->pool.generation, m->pool.target,
	    pool_count(&m->pool));
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		out_f(f, ",\"%s\":%u", sb_state_name(x), states[x]);
	out_f(f, "},\"connections_total\":%llu,\"reloads\":{\"ok\":%u,"
	    "\"failed\":%u},\"crash_backoff_seconds\":%.3f,\"exits\":{",
	    (unsigned long long)served, m->reload.ok, m->reload.failed,
	    m->pool.backoff_ms / 1000.0);
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, "%s\"%s\":%llu", x ? "," : "", xr_names[x],
		    (unsigned long long)m->exits[x]);
	out_f(f, "},\"listeners\":[");
	for (k = 0; k < m->nlisteners; k++) {
		out_f(f, "%s", k ? "," : "");
		status_json_str(f, m->listeners[k].bound);
	}
	out_f(f, "],\"slots\":[");
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(&m->sb.slots[i]);
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
		out_s(f, ",\"client\":");
		status_json_str(f, sb.client);
		out_c(f, '}');
		first = 0;
	}
	out_f(f, "]}\n");
}

static void
status_prometheus(struct master *m, struct obuf *f, const unsigned int *states,
    uint64_t served, int64_t now)
{
	unsigned int	x;

	out_f(f, "# HELP preforkd_workers Workers by state.\n"
	    "# TYPE preforkd_workers gauge\n");
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		out_f(f, "preforkd_workers{state=\"%s\"} %u\n",
		    sb_state_name(x), states[x]);
	out_f(f, "# HELP preforkd_workers_target Workers the pool keeps.\n"
	    "# TYPE preforkd_workers_target gauge\n"
	    "preforkd_workers_target %u\n", m->pool.target);
	out_f(f, "# HELP preforkd_connections_total Connections served.\n"
	    "# TYPE preforkd_connections_total counter\n"
	    "preforkd_connections_total %llu\n", (unsigned long long)served);
	out_f(f, "# HELP preforkd_worker_exits_total Worker exits by "
	    "cause.\n# TYPE preforkd_worker_exits_total counter\n");
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, "preforkd_worker_exits_total{reason=\"%s\"} %llu\n",
		    xr_names[x], (unsigned long long)m->exits[x]);
	out_f(f, "# HELP preforkd_reloads_total Reloads by result.\n"
	    "# TYPE preforkd_reloads_total counter\n"
	    "preforkd_reloads_total{result=\"ok\"} %u\n"
	    "preforkd_reloads_total{result=\"failed\"} %u\n",
	    m->reload.ok, m->reload.failed);
	out_f(f, "# HELP preforkd_crash_backoff_seconds Current delay "
	    "between spawns after repeated crashes.\n"
	    "# TYPE preforkd_crash_backoff_seconds gauge\n"
	    "preforkd_crash_backoff_seconds %.3f\n",
	    m->pool.backoff_ms / 1000.0);
	out_f(f, "# HELP preforkd_generation Configuration generation.\n"
	    "# TYPE preforkd_generation gauge\n"
	    "preforkd_generation %u\n", m->pool.generation);
	out_f(f, "# HELP preforkd_uptime_seconds Time since the start.\n"
	    "# TYPE preforkd_uptime_seconds gauge\n"
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
	unsigned int	 states[SB_NSTATES] = { 0 }, i;
	uint64_t	 served = m->served_dead;
	struct sb_slot	 sb;
	int64_t		 now = now_ms();
	struct obuf	 ob = { NULL, 0, 0 }, *f = &ob;

	*out = NULL;
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "prometheus") != 0)
		return 0;
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(&m->sb.slots[i]);
		states[m->pool.slots[i].retiring ? SB_RETIRING : sb.state]++;
		served += sb.served;
	}
	if (strcmp(format, "json") == 0)
		status_json(m, f, states, served, now);
	else if (strcmp(format, "prometheus") == 0)
		status_prometheus(m, f, states, served, now);
	else
		status_text(m, f, states, served, now);
	*out = ob.p;
	return ob.len;
}

/*
 * Client side (preforkd -s reload, preforkd status): send cmd, copy the
 * answer to fd out, or to err if it is an error.  Returns 0 for "ok" or
 * a status, 1 for "error", -1 if the socket cannot be reached (errno).
 */
int
control_command(const char *path, const char *cmd, int out, int err)
{
	struct sockaddr_un	sun;
	char			buf[8192];
	ssize_t			n;
	int			fd, first = 1, rc = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) == -1 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) == -1) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 6 && strncmp(buf, "error\n", 6) == 0) {
			rc = 1;
			out = err;
			(void)write(out, buf + 6, n - 6);
		} else
			(void)write(out, buf, n);
		first = 0;
	}
	close(fd);
	return first ? 1 : rc;
}
