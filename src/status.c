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
 * status.c: the status report, in three formats: a table for a terminal
 * (like Apache's server-status), JSON, and OpenMetrics (what Prometheus
 * scrapes).  It reads the pool through its rows, the generations, the
 * reload counters and the listeners' accept queues; no system call per
 * worker.  Everything a worker wrote (its client field) is escaped in
 * every format.  One string-building style: the obuf appenders below.
 *
 * Runs in the master.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

static const char *const xr_names[XR_COUNT] = {
	[XR_REQUESTS] = "requests", [XR_AGE] = "age", [XR_RSS] = "rss",
	[XR_HANDLER] = "handler", [XR_RELOAD] = "reload", [XR_IDLE] = "idle",
	[XR_RESIZE] = "resize", [XR_STOP] = "stop", [XR_CRASH] = "crash",
	[XR_TIMEOUT] = "timeout", [XR_OOM] = "oom", [XR_FAILED] = "failed",
	[XR_KILLED] = "killed", [XR_EXEC] = "exec",
};

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
	unsigned int		 total;		/* live workers */
	unsigned int		 states[SB_NSTATES];
	uint64_t		 served, waited, rss_kb;
	uint64_t		 active, parked;	/* connections held now */
	struct status_queue	*queues;	/* one per listener */
};

/* A signed duration that a clock step could make negative: clamp to 0. */
static uint64_t
out_ms(int64_t ms)
{
	return ms > 0 ? (uint64_t)ms : 0;
}

/* "A+P", right-aligned in 12 columns; "-" for a worker of one at a time. */
static void
status_conns(struct obuf *f, const struct sb_slot *sb)
{
	char	buf[32];

	if (sb->active + (uint64_t)sb->parked == 0)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%u+%u", sb->active, sb->parked);
	out_f(f, " %11s", buf);
}

static void
status_text(const struct status_src *src, struct obuf *f,
    const struct status_sum *sum, int64_t now)
{
	const struct pool	*pool = src->pool;
	const struct generation	*g = src->gens->cur;
	const unsigned int	*states = sum->states;
	struct pool_row		 row;
	unsigned int		 i, x;
	size_t			 k;

	out_f(f, "preforkd %s: pid %ld, up %lld s, service %s, "
	    "generation %u\n", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - src->started_ms) / 1000, g->conf->service,
	    g->id);
	out_f(f, "workers: %u (target %u): %u idle, %u reading, %u busy, "
	    "%u starting, %u retiring\n", sum->total, g->target,
	    states[SB_IDLE], states[SB_READING], states[SB_BUSY],
	    states[SB_STARTING], states[SB_RETIRING]);
	out_f(f, "connections: %llu served, %llu waited for a free worker; "
	    "reloads: %u ok, %u failed; crash back-off: %lld ms\n",
	    (unsigned long long)sum->served, (unsigned long long)sum->waited,
	    src->reload->ok, src->reload->failed, (long long)g->backoff_ms);
	if (g->conf->worker_connections > 1 || sum->active + sum->parked > 0)
		out_f(f, "connections now: %llu active, %llu parked (idle "
		    "keep-alive); worker_connections %u; lost with their "
		    "worker: %llu\n", (unsigned long long)sum->active,
		    (unsigned long long)sum->parked,
		    g->conf->worker_connections,
		    (unsigned long long)pool->conns_lost);
	if (g->conf->max_workers > 0)
		out_f(f, "max_workers (%u) reached: %llu times\n",
		    g->conf->max_workers,
		    (unsigned long long)pool->max_reached);
	out_f(f, "exits:");
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, " %s %llu%s", xr_names[x],
		    (unsigned long long)pool->exits[x], x + 1 < XR_COUNT ? "," :
		    "\n");
	out_f(f, "listening:");
	for (k = 0; k < g->ls.n; k++)
		if (sum->queues[k].ok)
			out_f(f, " %s (queue %u of %u)", g->ls.l[k]->bound,
			    sum->queues[k].queued, sum->queues[k].backlog);
		else
			out_f(f, " %s", g->ls.l[k]->bound);
	out_f(f, "\n\n%5s %8s %4s %-9s %10s %8s %9s %11s  %s\n", "SLOT",
	    "PID", "GEN", "STATE", "SERVED", "AGE(s)", "RSS(KiB)",
	    "CONNS(A+P)", "CLIENT");
	for (i = 0; pool_row(pool, &i, &row); ) {
		out_u(f, row.slot, 5);
		out_u(f, row.pid, 9);
		out_u(f, row.generation, 5);
		out_s(f, " ");
		out_s(f, sb_state_name(row.sb.state));
		out_s(f, &"         "[strlen(sb_state_name(row.sb.state))]);
		out_u(f, row.sb.served, 11);
		out_u(f, out_ms(now - row.started_ms) / 1000, 9);
		out_u(f, row.sb.rss_kb, 10);
		status_conns(f, &row.sb);
		out_s(f, "  ");
		out_esc(f, *row.sb.client ? row.sb.client : "-");
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
status_json(const struct status_src *src, struct obuf *f,
    const struct status_sum *sum, int64_t now)
{
	const struct pool	*pool = src->pool;
	const struct generation	*g = src->gens->cur;
	const unsigned int	*states = sum->states;
	struct pool_row		 row;
	unsigned int		 i, x, first = 1;
	size_t			 k;

	out_f(f, "{\"version\":\"%s\",\"pid\":%ld,\"uptime_seconds\":%lld,"
	    "\"service\":", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now - src->started_ms) / 1000);
	status_json_str(f, g->conf->service);
	out_f(f, ",\"generation\":%u,\"target\":%u,\"workers\":{"
	    "\"total\":%u", g->id, g->target,
	    sum->total);
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		out_f(f, ",\"%s\":%u", sb_state_name(x), states[x]);
	out_f(f, "},\"connections_total\":%llu,\"connections_waited\":%llu,"
	    "\"connections_active\":%llu,\"connections_parked\":%llu,"
	    "\"worker_connections\":%u,\"connections_lost\":%llu,"
	    "\"max_workers_reached\":%llu,\"reloads\":{\"ok\":%u,"
	    "\"failed\":%u},\"crash_backoff_seconds\":%.3f,\"exits\":{",
	    (unsigned long long)sum->served, (unsigned long long)sum->waited,
	    (unsigned long long)sum->active, (unsigned long long)sum->parked,
	    g->conf->worker_connections, (unsigned long long)pool->conns_lost,
	    (unsigned long long)pool->max_reached, src->reload->ok,
	    src->reload->failed, g->backoff_ms / 1000.0);
	for (x = 0; x < XR_COUNT; x++)
		out_f(f, "%s\"%s\":%llu", x ? "," : "", xr_names[x],
		    (unsigned long long)pool->exits[x]);
	out_f(f, "},\"listeners\":[");
	for (k = 0; k < g->ls.n; k++) {
		out_f(f, "%s", k ? "," : "");
		status_json_str(f, g->ls.l[k]->bound);
	}
	out_f(f, "],\"listen_queues\":[");
	for (k = 0, first = 1; k < g->ls.n; k++) {
		if (!sum->queues[k].ok)
			continue;
		out_s(f, first ? "{\"listener\":" : ",{\"listener\":");
		status_json_str(f, g->ls.l[k]->bound);
		out_f(f, ",\"queued\":%u,\"backlog\":%u}",
		    sum->queues[k].queued, sum->queues[k].backlog);
		first = 0;
	}
	first = 1;
	out_f(f, "],\"slots\":[");
	for (i = 0; pool_row(pool, &i, &row); ) {
		out_s(f, first ? "{\"slot\":" : ",{\"slot\":");
		out_u(f, row.slot, 0);
		out_s(f, ",\"pid\":");
		out_u(f, row.pid, 0);
		out_s(f, ",\"generation\":");
		out_u(f, row.generation, 0);
		out_s(f, ",\"state\":\"");
		out_s(f, sb_state_name(row.sb.state));
		out_s(f, "\",\"served\":");
		out_u(f, row.sb.served, 0);
		out_s(f, ",\"age_ms\":");
		out_u(f, out_ms(now - row.started_ms), 0);
		out_s(f, ",\"state_ms\":");
		out_u(f, out_ms(now - row.sb.changed_ms), 0);
		out_s(f, ",\"rss_kb\":");
		out_u(f, row.sb.rss_kb, 0);
		out_s(f, ",\"waited\":");
		out_u(f, row.sb.waited, 0);
		out_s(f, ",\"active\":");
		out_u(f, row.sb.active, 0);
		out_s(f, ",\"parked\":");
		out_u(f, row.sb.parked, 0);
		out_s(f, ",\"client\":");
		status_json_str(f, row.sb.client);
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

/* One gauge family per listener: its accept queue ("queue") or the
   queue's size ("backlog"), for the listeners the kernel answered for. */
static void
status_queue_family(struct obuf *f, const struct generation *g,
    const struct status_sum *sum, const char *what, const char *help)
{
	int	backlog = strcmp(what, "backlog") == 0;
	size_t	k;

	out_f(f, "# TYPE preforkd_listen_%s gauge\n"
	    "# HELP preforkd_listen_%s %s\n", what, what, help);
	for (k = 0; k < g->ls.n; k++) {
		if (!sum->queues[k].ok)
			continue;
		out_f(f, "preforkd_listen_%s{listener=\"", what);
		status_label(f, g->ls.l[k]->bound);
		out_f(f, "\"} %u\n", backlog ? sum->queues[k].backlog :
		    sum->queues[k].queued);
	}
}

/*
 * OpenMetrics text (what Prometheus scrapes): a family per metric, its
 * TYPE and HELP, counters sampled as NAME_total, "# EOF" at the end.
 */
static void
status_prometheus(const struct status_src *src, struct obuf *f,
    const struct status_sum *sum, int64_t now)
{
	const struct pool	*pool = src->pool;
	const struct generation	*g = src->gens->cur;
	unsigned int	x;

	out_f(f, "# TYPE preforkd_workers gauge\n"
	    "# HELP preforkd_workers Workers by state.\n");
	for (x = SB_STARTING; x < SB_NSTATES; x++)
		out_f(f, "preforkd_workers{state=\"%s\"} %u\n",
		    sb_state_name(x), sum->states[x]);
	out_f(f, "# TYPE preforkd_workers_target gauge\n"
	    "# HELP preforkd_workers_target Workers the pool keeps.\n"
	    "preforkd_workers_target %u\n", g->target);
	out_f(f, "# TYPE preforkd_connections counter\n"
	    "# HELP preforkd_connections Connections served.\n"
	    "preforkd_connections_total %llu\n",
	    (unsigned long long)sum->served);
	out_f(f, "# TYPE preforkd_connections_waited counter\n"
	    "# HELP preforkd_connections_waited Connections that waited in "
	    "the accept queue for a free worker.\n"
	    "preforkd_connections_waited_total %llu\n",
	    (unsigned long long)sum->waited);
	out_f(f, "# TYPE preforkd_connections_open gauge\n"
	    "# HELP preforkd_connections_open Connections the workers hold: "
	    "active (being served) and parked (idle keep-alive).\n"
	    "preforkd_connections_open{state=\"active\"} %llu\n"
	    "preforkd_connections_open{state=\"parked\"} %llu\n",
	    (unsigned long long)sum->active, (unsigned long long)sum->parked);
	out_f(f, "# TYPE preforkd_connections_lost counter\n"
	    "# HELP preforkd_connections_lost Connections a worker held when "
	    "it crashed or was killed (request_timeout, OOM).\n"
	    "preforkd_connections_lost_total %llu\n",
	    (unsigned long long)pool->conns_lost);
	out_f(f, "# TYPE preforkd_max_workers_reached counter\n"
	    "# HELP preforkd_max_workers_reached Times a dynamic pool wanted "
	    "to grow past max_workers.\n"
	    "preforkd_max_workers_reached_total %llu\n",
	    (unsigned long long)pool->max_reached);
	status_queue_family(f, g, sum, "queue",
	    "Connections waiting in a listener's accept queue.");
	status_queue_family(f, g, sum, "backlog",
	    "The accept queue's size.");
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
		    xr_names[x], (unsigned long long)pool->exits[x]);
	out_f(f, "# TYPE preforkd_reloads counter\n"
	    "# HELP preforkd_reloads Reloads by result.\n"
	    "preforkd_reloads_total{result=\"ok\"} %u\n"
	    "preforkd_reloads_total{result=\"failed\"} %u\n",
	    src->reload->ok, src->reload->failed);
	out_f(f, "# TYPE preforkd_crash_backoff_seconds gauge\n"
	    "# UNIT preforkd_crash_backoff_seconds seconds\n"
	    "# HELP preforkd_crash_backoff_seconds Current delay between "
	    "spawns after repeated crashes.\n"
	    "preforkd_crash_backoff_seconds %.3f\n",
	    g->backoff_ms / 1000.0);
	out_f(f, "# TYPE preforkd_generation gauge\n"
	    "# HELP preforkd_generation Configuration generation.\n"
	    "preforkd_generation %u\n", g->id);
	out_f(f, "# TYPE preforkd_uptime_seconds gauge\n"
	    "# UNIT preforkd_uptime_seconds seconds\n"
	    "# HELP preforkd_uptime_seconds Time since the start.\n"
	    "preforkd_uptime_seconds %.3f\n# EOF\n",
	    (now - src->started_ms) / 1000.0);
}

/*
 * The status report in format "text", "json" or "prometheus", in a
 * malloc'ed *out (NULL for an unknown format).  Returns its length.
 */
size_t
status_render(const struct status_src *src, const char *format, char **out)
{
	const struct generation	*g = src->gens->cur;
	struct status_sum	 sum;
	struct pool_row		 row;
	unsigned int		 i;
	size_t			 k;
	int64_t			 now = now_ms();
	char			 err[128];
	struct obuf		 ob = { NULL, 0, 0 }, *f = &ob;

	*out = NULL;
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "prometheus") != 0)
		return 0;
	memset(&sum, 0, sizeof(sum));
	sum.served = src->pool->served_dead;
	sum.waited = src->pool->waited_dead;
	for (i = 0; pool_row(src->pool, &i, &row); ) {
		sum.total++;
		sum.states[row.retiring ? SB_RETIRING : row.sb.state]++;
		sum.served += row.sb.served;
		sum.waited += row.sb.waited;
		sum.rss_kb += row.sb.rss_kb;
		sum.active += row.sb.active;
		sum.parked += row.sb.parked;
	}
	if (g->ls.n > 0 && (sum.queues = calloc(g->ls.n,
	    sizeof(*sum.queues))) == NULL)
		fatal("status");
	for (k = 0; k < g->ls.n; k++)
		sum.queues[k].ok = sockq_listen(g->ls.l[k]->fd,
		    &sum.queues[k].queued, &sum.queues[k].backlog, err,
		    sizeof(err)) == 0;
	if (strcmp(format, "json") == 0)
		status_json(src, f, &sum, now);
	else if (strcmp(format, "prometheus") == 0)
		status_prometheus(src, f, &sum, now);
	else
		status_text(src, f, &sum, now);
	free(sum.queues);
	*out = ob.p;
	return ob.len;
}
