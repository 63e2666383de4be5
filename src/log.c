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
 * log.c: the daemon's only way to report (OpenBSD log.c API).
 *
 * Every process tags its lines with its role ("master", "worker 3").
 * Targets: stderr (one write(2) per line, so that lines of several
 * processes never interleave; "<N>" priority prefixes instead of a time
 * stamp when stderr is the systemd journal), syslog, or a file.  With a
 * file, only the master writes it: workers write their lines to a pipe
 * that the master copies to the file, so that reopening the file (log
 * rotation) is the master's business alone, even for chrooted workers.
 * fatal() ends the process with the status its role registered with
 * log_procinit(): the master exits 1, a worker EXIT_TEMPFAIL.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

static int	 log_target = LOG_TO_STDERR;
static int	 log_level = LOG_INFO;
static int	 log_facility = LOG_DAEMON;
static int	 log_fd = STDERR_FILENO;	/* stderr or the file */
static int	 log_journal;		/* stderr is the systemd journal */
static char	 log_path[PATH_MAX];
static char	 log_proc[32] = "master";
static int	 log_fatal_status = 1;
static int	 log_child;	/* fatal() must _exit(): no atexit, no stdio */
static int	 log_tee_fd = -1;	/* the terminal during a start */
static int	 log_tee_owned;

static void	log_emit(int prio, const char *tag, pid_t pid,
		    const char *msg);
static void	log_worker_line(pid_t pid, int slot, const char *s,
		    size_t len);
static void	log_worker_dropped(struct wout *o, pid_t pid, int slot);
static void	log_worker_take(struct wout *o, pid_t pid, int slot);

static const char *const log_prefix[] = {
	[LOG_EMERG] = "emergency: ", [LOG_ALERT] = "alert: ",
	[LOG_CRIT] = "critical: ", [LOG_ERR] = "error: ",
	[LOG_WARNING] = "warning: ", [LOG_NOTICE] = "", [LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

/* Is fd the stream systemd named in JOURNAL_STREAM ("dev:ino")? */
static int
log_is_journal(int fd)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(fd, &st) == -1)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

/* Start logging to stderr at level (before the configuration is read). */
void
log_init(int target, int level)
{
	log_target = target;
	log_level = level;
	log_journal = log_is_journal(STDERR_FILENO);
}

/*
 * Open the configured target in the master: auto is stderr in the
 * foreground or under systemd, syslog otherwise.  A file is opened now, as
 * root, before privileges or the terminal are gone.
 */
int
log_open(int target, int level, int facility, const char *path,
    int foreground, char *err, size_t errlen)
{
	char	msg[PATH_MAX + 128];
	int	fd;

	target = log_resolve_target(target, foreground);
	log_level = level;
	log_facility = facility;
	if (target == LOG_TO_FILE) {
		fd = fsafe_open(path, O_WRONLY | O_APPEND | O_CREAT, 0640, 0,
		    NULL, msg, sizeof(msg));
		if (fd == -1) {
			snprintf(err, errlen, "log_file %s", msg);
			return -1;
		}
		strlcpy(log_path, path, sizeof(log_path));
		log_fd = fd;
	} else if (target == LOG_TO_SYSLOG)
		openlog("preforkd", LOG_PID | LOG_NDELAY, facility);
	log_target = target;
	return 0;
}

/* The target that LOG_TO_AUTO means for this start. */
int
log_resolve_target(int target, int foreground)
{
	if (target != LOG_TO_AUTO)
		return target;
	return foreground || getenv("NOTIFY_SOCKET") != NULL ||
	    log_is_journal(STDERR_FILENO) ? LOG_TO_STDERR : LOG_TO_SYSLOG;
}

/*
 * During a start, also write warnings and errors to fd (the terminal of
 * the command that started the daemon); owned: close it when replaced.
 * log_tee(-1, 0) ends it.
 */
void
log_tee(int fd, int owned)
{
	if (log_tee_fd != -1 && log_tee_owned)
		close(log_tee_fd);
	log_tee_fd = fd;
	log_tee_owned = owned;
}

/* The target in use (LOG_TO_STDERR, _SYSLOG or _FILE). */
int
log_gettarget(void)
{
	return log_target;
}

/*
 * Master, SIGUSR1: reopen the log file (after a rotation moved it away),
 * keeping its descriptor number.  Returns 0, or -1 and keeps the old one.
 */
int
log_reopen(void)
{
	char	msg[PATH_MAX + 128];
	int	fd;

	if (log_target == LOG_TO_SYSLOG) {
		closelog();
		openlog("preforkd", LOG_PID | LOG_NDELAY, log_facility);
		return 0;
	}
	if (log_target != LOG_TO_FILE)
		return 0;
	fd = fsafe_open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0640, 0, NULL,
	    msg, sizeof(msg));
	if (fd == -1) {
		log_warnx("reopen: log_file %s (still writing to the old "
		    "file)", msg);
		return -1;
	}
	if (dup3(fd, log_fd, O_CLOEXEC) == -1) {
		log_warn("dup3");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * A new worker, before anything else: what it logs goes to the master as
 * "<PRIO>message" datagrams on fd (the channel, also its stdout and
 * stderr), and the master writes it to the log with the worker's
 * identity (log_worker_output()).
 */
void
log_worker_init(int fd)
{
	if (log_target == LOG_TO_SYSLOG)
		closelog();
	log_target = LOG_TO_MASTER;
	log_fd = fd;
	log_journal = 0;
	log_tee_fd = -1;
}

/*
 * Master: one line a worker wrote, as a log line of its own, tagged with
 * the identity the kernel gave (its pid) and the master's table (its
 * slot, -1 for a process that is not a worker), never with anything the
 * worker could choose.  A "<PRIO>" start is the priority, at most
 * LOG_ERR; other text is a warning.  Control characters, backslashes
 * and bytes outside ASCII are escaped (\xNN): a worker cannot end the
 * line, write another, or reach the administrator's terminal.
 */
static void
log_worker_line(pid_t pid, int slot, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 msg[1024], tag[32];
	size_t			 i, n = 0;
	int			 prio = LOG_WARNING;
	unsigned char		 c;

	if (len >= 3 && s[0] == '<' && s[1] >= '0' && s[1] <= '7' &&
	    s[2] == '>') {
		prio = s[1] - '0' < LOG_ERR ? LOG_ERR : s[1] - '0';
		s += 3;
		len -= 3;
	}
	if (prio > log_level)
		return;
	for (i = 0; i < len && n + 5 < sizeof(msg); i++) {
		c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			msg[n++] = c;
		else if (c == '\\') {
			msg[n++] = '\\';
			msg[n++] = '\\';
		} else {
			msg[n++] = '\\';
			msg[n++] = 'x';
			msg[n++] = hex[c >> 4];
			msg[n++] = hex[c & 15];
		}
	}
	msg[n] = '\0';
	if (slot >= 0)
		snprintf(tag, sizeof(tag), "worker %d", slot);
	else
		snprintf(tag, sizeof(tag), "worker child");
	log_emit(prio, tag, pid, msg);
}

/*
 * Master: output from worker pid in slot (what it logged, printed or
 * wrote to stderr), in whatever pieces it came.  Whole lines are logged
 * one by one; a partial line waits in o (or is logged once
 * LOG_WORKER_LINE long).  At most LOG_WORKER_RATE lines a second per
 * worker (bursts of LOG_WORKER_BURST): the rest is counted and dropped,
 * so that a worker cannot flood the log or keep the master busy.
 */
void
log_worker_output(struct wout *o, pid_t pid, int slot, const char *data,
    size_t len, int64_t now)
{
	const char	*nl;
	size_t		 take;

	if (o->stamp_ms == 0 || now - o->stamp_ms >= 1000 / LOG_WORKER_RATE) {
		o->tokens += o->stamp_ms == 0 ? LOG_WORKER_BURST :
		    (now - o->stamp_ms) * LOG_WORKER_RATE / 1000;
		if (o->tokens > LOG_WORKER_BURST)
			o->tokens = LOG_WORKER_BURST;
		o->stamp_ms = now;
	}
	/* a line the worker logged (log_emit()) ends a partial one */
	if (o->len > 0 && len >= 3 && data[0] == '<' && data[1] >= '0' &&
	    data[1] <= '7' && data[2] == '>')
		log_worker_take(o, pid, slot);
	while (len > 0) {
		if (o->buf == NULL && (o->buf = malloc(LOG_WORKER_LINE)) ==
		    NULL)
			return;
		nl = memchr(data, '\n', len);
		take = nl != NULL ? (size_t)(nl - data) + 1 : len;
		if (take > LOG_WORKER_LINE - o->len)
			take = LOG_WORKER_LINE - o->len;
		memcpy(o->buf + o->len, data, take);
		o->len += take;
		data += take;
		len -= take;
		if (o->buf[o->len - 1] == '\n' || o->len == LOG_WORKER_LINE)
			log_worker_take(o, pid, slot);
	}
}

/* Log the line in o (within the rate limit), and empty it. */
static void
log_worker_take(struct wout *o, pid_t pid, int slot)
{
	if (o->len > 0 && o->buf[o->len - 1] == '\n')
		o->len--;
	if (o->tokens == 0)
		o->dropped++;
	else {
		o->tokens--;
		if (o->dropped > 0)
			log_worker_dropped(o, pid, slot);
		log_worker_line(pid, slot, o->buf, o->len);
	}
	o->len = 0;
}

/* Master: say how many lines of a worker's output the limit dropped. */
static void
log_worker_dropped(struct wout *o, pid_t pid, int slot)
{
	char	msg[160];

	snprintf(msg, sizeof(msg), "%s %ld: %u lines of its output dropped "
	    "(more than %d a second)", slot >= 0 ? "worker" : "process",
	    (long)pid, o->dropped, LOG_WORKER_RATE);
	o->dropped = 0;
	log_emit(LOG_WARNING, log_proc, getpid(), msg);
}

/* Master: the worker is gone; log what it left unfinished, let go. */
void
log_worker_flush(struct wout *o, pid_t pid, int slot)
{
	if (o->dropped > 0)
		log_worker_dropped(o, pid, slot);
	if (o->len > 0)
		log_worker_line(pid, slot, o->buf, o->len);
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

/*
 * Name this process in every line it logs and set its fatal() status; a
 * forked child (child = 1) leaves with _exit(2), never through exit(3).
 */
void
log_procinit(const char *name, int fatal_status, int child)
{
	snprintf(log_proc, sizeof(log_proc), "%s", name);
	log_fatal_status = fatal_status;
	log_child = child;
}

static __dead void
log_exit(int status)
{
	if (log_child)
		_exit(status);
	exit(status);
}

int
log_getlevel(void)
{
	return log_level;
}

void
log_setlevel(int level)
{
	log_level = level;
}

/*
 * Write one line to the log target: from process pid, tagged tag
 * ("master", "worker 3").
 */
static void
log_emit(int prio, const char *tag, pid_t pid, const char *msg)
{
	char		 line[1200], ts[32];
	struct timespec	 now;
	struct tm	 tm;
	int		 saved_errno = errno, n;

	if (log_tee_fd != -1 && prio <= LOG_WARNING) {
		n = snprintf(line, sizeof(line), "preforkd: %s%s\n",
		    log_prefix[prio & LOG_PRIMASK], msg);
		(void)write(log_tee_fd, line, n < (int)sizeof(line) ? n :
		    (int)sizeof(line) - 1);
	}
	if (log_target == LOG_TO_SYSLOG) {
		if (pid == getpid())
			syslog(prio, "%s: %s", tag, msg);
		else
			syslog(prio, "%s[%ld]: %s", tag, (long)pid, msg);
		errno = saved_errno;
		return;
	}
	if (log_target == LOG_TO_MASTER)	/* a worker: to the master */
		n = snprintf(line, sizeof(line), "<%d>%s\n", prio & LOG_PRIMASK,
		    msg);
	else if (log_journal)
		/* the journal stamps the time itself */
		n = snprintf(line, sizeof(line), "<%d>%s[%ld]: %s%s\n",
		    prio & LOG_PRIMASK, tag, (long)pid,
		    log_prefix[prio & LOG_PRIMASK], msg);
	else {
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ld preforkd[%ld]: %s: "
		    "%s%s\n", ts, now.tv_nsec / 1000000, (long)pid, tag,
		    log_prefix[prio & LOG_PRIMASK], msg);
	}
	if (n >= (int)sizeof(line)) {
		n = sizeof(line);
		line[n - 1] = '\n';
	}
	(void)write(log_fd, line, n);
	errno = saved_errno;
}

void
vlog(int prio, const char *fmt, va_list ap)
{
	char	msg[1024];
	int	saved_errno = errno;

	if (prio > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(prio, log_proc, getpid(), msg);
	errno = saved_errno;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
}

/* Log with the text of errno appended. */
static void
vlog_errno(int prio, const char *fmt, va_list ap)
{
	char	buf[1024];
	int	saved_errno = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(prio, "%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_level < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

__dead void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, fmt, ap);
	va_end(ap);
	log_exit(log_fatal_status);
}

__dead void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	log_exit(log_fatal_status);
}

__dead void
fatalx_status(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	log_exit(status);
}
