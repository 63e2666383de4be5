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

static void
status_text(struct master *m, FILE *f, const unsigned int *states,
    uint64_t served, int64_t now)
{
	struct sb_slot	sb;
	unsigned int	i, x;
	size_t		k;

	fprintf(f, "preforkd %s: pid %ld, up %lld s, service %s, "
	    "generation %u\n", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - m->started_ms) / 1000, m->conf->service,
	    m->pool.generation);
	fprintf(f, "workers: %u (target %u): %u idle, %u reading, %u busy, "
	    "%u starting, %u retiring\n", pool_count(&m->pool), m->pool.target,
	    states[SB_IDLE], states[SB_READING], states[SB_BUSY],
	    states[SB_STARTING], states[SB_RETIRING]);
	fprintf(f, "connections: %llu served; reloads: %u ok, %u failed; "
	    "crash back-off: %lld ms\n", (unsigned long long)served,
	    m->reload.ok, m->reload.failed, (long long)m->pool.backoff_ms);
	fprintf(f, "exits:");
	for (x = 0; x < XR_COUNT; x++)
		fprintf(f, " %s %llu%s", xr_names[x],
		    (unsigned long long)m->exits[x], x + 1 < XR_COUNT ? "," :
		    "\n");
	fprintf(f, "listening:");
	for (k = 0; k < m->nlisteners; k++)
		fprintf(f, " %s", m->listeners[k].bound);
	fprintf(f, "\n\n%5s %8s %4s %-9s %10s %8s %9s  %s\n", "SLOT", "PID",
	    "GEN", "STATE", "SERVED", "AGE(s)", "RSS(KiB)", "CLIENT");
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(&m->sb.slots[i]);
		fprintf(f, "%5u %8ld %4u %-9s %10llu %8lld %9llu  %s\n", i,
		    (long)m->pool.slots[i].pid, m->pool.slots[i].generation,
		    sb_state_name(sb.state), (unsigned long long)sb.served,
		    (long long)(now - m->pool.slots[i].started_ms) / 1000,
		    (unsigned long long)sb.rss_kb, *sb.client ? sb.client : "-");
	}
}

/* A JSON string (the client text is from a worker: escape it all). */
static void
status_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
status_json(struct master *m, FILE *f, const unsigned int *states,
    uint64_t served, int64_t now)
{
	struct sb_slot	sb;
	unsigned int	i, x, first = 1;
	size_t		k;

	fprintf(f, "{\"version\":\"%s\",\"pid\":%ld,\"uptime_seconds\":%lld,"
	    "\"service\":", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - m->started_ms) / 1000);
	status_json_str(f, m->conf->service);
	fprintf(f, ",\"generation\":%u,\"target\":%u,\"workers\":{"
	    "\"total\":%u", m->pool.generation, m->pool.target,
	    pool_count(&m->pool));
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		fprintf(f, ",\"%s\":%u", sb_state_name(x), states[x]);
	fprintf(f, "},\"connections_total\":%llu,\"reloads\":{\"ok\":%u,"
	    "\"failed\":%u},\"crash_backoff_seconds\":%.3f,\"exits\":{",
	    (unsigned long long)served, m->reload.ok, m->reload.failed,
	    m->pool.backoff_ms / 1000.0);
	for (x = 0; x < XR_COUNT; x++)
		fprintf(f, "%s\"%s\":%llu", x ? "," : "", xr_names[x],
		    (unsigned long long)m->exits[x]);
	fprintf(f, "},\"listeners\":[");
	for (k = 0; k < m->nlisteners; k++) {
		fprintf(f, "%s", k ? "," : "");
		status_json_str(f, m->listeners[k].bound);
	}
	fprintf(f, "],\"slots\":[");
	for (i = 0; i < m->pool.nslots; i++) {
		if (m->pool.slots[i].pid <= 0)
			continue;
		sb = sb_read(&m->sb.slots[i]);
		fprintf(f, "%s{\"slot\":%u,\"pid\":%ld,\"generation\":%u,"
		    "\"state\":\"%s\",\"served\":%llu,\"age_seconds\":%.3f,"
		    "\"state_seconds\":%.3f,\"rss_kb\":%llu,\"client\":",
		    first ? "" : ",", i, (long)m->pool.slots[i].pid,
		    m->pool.slots[i].generation, sb_state_name(sb.state),
		    (unsigned long long)sb.served,
		    (now - m->pool.slots[i].started_ms) / 1000.0,
		    (now - sb.changed_ms) / 1000.0,
		    (unsigned long long)sb.rss_kb);
		status_json_str(f, sb.client);
		fputc('}', f);
		first = 0;
	}
	fprintf(f, "]}\n");
}

static void
status_prometheus(struct master *m, FILE *f, const unsigned int *states,
    uint64_t served, int64_t now)
{
	unsigned int	x;

	fprintf(f, "# HELP preforkd_workers Workers by state.\n"
	    "# TYPE preforkd_workers gauge\n");
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		fprintf(f, "preforkd_workers{state=\"%s\"} %u\n",
		    sb_state_name(x), states[x]);
	fprintf(f, "# HELP preforkd_workers_target Workers the pool keeps.\n"
	    "# TYPE preforkd_workers_target gauge\n"
	    "preforkd_workers_target %u\n", m->pool.target);
	fprintf(f, "# HELP preforkd_connections_total Connections served.\n"
	    "# TYPE preforkd_connections_total counter\n"
	    "preforkd_connections_total %llu\n", (unsigned long long)served);
	fprintf(f, "# HELP preforkd_worker_exits_total Worker exits by "
	    "cause.\n# TYPE preforkd_worker_exits_total counter\n");
	for (x = 0; x < XR_COUNT; x++)
		fprintf(f, "preforkd_worker_exits_total{reason=\"%s\"} %llu\n",
		    xr_names[x], (unsigned long long)m->exits[x]);
	fprintf(f, "# HELP preforkd_reloads_total Reloads by result.\n"
	    "# TYPE preforkd_reloads_total counter\n"
	    "preforkd_reloads_total{result=\"ok\"} %u\n"
	    "preforkd_reloads_total{result=\"failed\"} %u\n",
	    m->reload.ok, m->reload.failed);
	fprintf(f, "# HELP preforkd_crash_backoff_seconds Current delay "
	    "between spawns after repeated crashes.\n"
	    "# TYPE preforkd_crash_backoff_seconds gauge\n"
	    "preforkd_crash_backoff_seconds %.3f\n",
	    m->pool.backoff_ms / 1000.0);
	fprintf(f, "# HELP preforkd_generation Configuration generation.\n"
	    "# TYPE preforkd_generation gauge\n"
	    "preforkd_generation %u\n", m->pool.generation);
	fprintf(f, "# HELP preforkd_uptime_seconds Time since the start.\n"
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
	size_t		 len = 0;
	FILE		*f;

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
	if ((f = open_memstream(out, &len)) == NULL)
		fatal("open_memstream");
	if (strcmp(format, "json") == 0)
		status_json(m, f, states, served, now);
	else if (strcmp(format, "prometheus") == 0)
		status_prometheus(m, f, states, served, now);
	else
		status_text(m, f, states, served, now);
	fclose(f);
	return len;
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
