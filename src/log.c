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
static int	 log_pipe[2] = { -1, -1 };	/* workers -> master */
static char	 log_proc[32] = "master";
static int	 log_fatal_status = 1;
static int	 log_child;	/* fatal() must _exit(): no atexit, no stdio */

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
	int	fd;

	if (target == LOG_TO_AUTO)
		target = foreground || getenv("NOTIFY_SOCKET") != NULL ||
		    log_is_journal(STDERR_FILENO) ? LOG_TO_STDERR :
		    LOG_TO_SYSLOG;
	log_level = level;
	log_facility = facility;
	if (target == LOG_TO_FILE) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
		if (fd == -1) {
			snprintf(err, errlen, "log_file %s: %s", path,
			    strerror(errno));
			return -1;
		}
		strlcpy(log_path, path, sizeof(log_path));
		log_fd = fd;
	} else if (target == LOG_TO_SYSLOG)
		openlog("preforkd", LOG_PID | LOG_NDELAY, facility);
	/* what workers write to stderr (backtraces, stray output) */
	if (target != LOG_TO_STDERR &&
	    pipe2(log_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	log_target = target;
	return 0;
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
	int	fd;

	if (log_target == LOG_TO_SYSLOG) {
		closelog();
		openlog("preforkd", LOG_PID | LOG_NDELAY, log_facility);
		return 0;
	}
	if (log_target != LOG_TO_FILE)
		return 0;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("reopen %s (still writing to the old file)",
		    log_path);
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

/* Master: the end of the workers' pipe to watch, or -1. */
int
log_pipe_fd(void)
{
	return log_pipe[0];
}

/* Master, syslog: one syslog line per line a worker wrote to stderr. */
static void
log_pipe_syslog(char *buf, size_t len)
{
	char	*p = buf, *nl;

	while (p < buf + len && (nl = memchr(p, '\n', buf + len - p))) {
		*nl = '\0';
		if (nl > p)
			syslog(LOG_WARNING, "%s", p);
		p = nl + 1;
	}
}

/*
 * Master: copy what workers wrote to the log file.  Lines are written
 * whole (a worker writes each line with one write(2) of less than
 * PIPE_BUF bytes); an incomplete tail waits for the next call.
 */
void
log_pipe_drain(void)
{
	static char	 buf[16384];
	static size_t	 have;
	ssize_t		 n;
	char		*nl;

	while ((n = read(log_pipe[0], buf + have, sizeof(buf) - have)) > 0) {
		have += n;
		if ((nl = memrchr(buf, '\n', have)) == NULL) {
			if (have < sizeof(buf))
				continue;
			nl = buf + have - 1;	/* no newline at all: flush */
		}
		if (log_target == LOG_TO_SYSLOG)
			log_pipe_syslog(buf, nl + 1 - buf);
		else
			(void)write(log_fd, buf, nl + 1 - buf);
		have -= nl + 1 - buf;
		memmove(buf, nl + 1, have);
	}
}

/*
 * A new worker, before it closes the descriptors it does not need (it
 * keeps 0, 1, 2 and its listeners): with a file, its stderr becomes the
 * pipe to the master; with syslog, the connection is closed here and
 * reopened by log_worker_reopen() afterwards, before any chroot.
 */
void
log_worker_init(void)
{
	if (log_pipe[1] != -1)
		dup2(log_pipe[1], STDERR_FILENO);
	if (log_target == LOG_TO_FILE) {
		log_fd = STDERR_FILENO;
		log_target = LOG_TO_STDERR;
		log_journal = 0;
	} else if (log_target == LOG_TO_SYSLOG)
		closelog();
}

/* A new worker, after closing its descriptors, before any chroot. */
void
log_worker_reopen(void)
{
	if (log_target == LOG_TO_SYSLOG)
		openlog("preforkd", LOG_PID | LOG_NDELAY, log_facility);
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

void
vlog(int prio, const char *fmt, va_list ap)
{
	char		 msg[1024], line[1200], ts[32];
	struct timespec	 now;
	struct tm	 tm;
	int		 saved_errno = errno, n;

	if (prio > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_target == LOG_TO_SYSLOG) {
		syslog(prio, "%s: %s", log_proc, msg);
		errno = saved_errno;
		return;
	}
	if (log_journal) {
		/* the journal stamps time and the master's pid itself */
		n = snprintf(line, sizeof(line), "<%d>%s[%ld]: %s%s\n",
		    prio & LOG_PRIMASK, log_proc, (long)getpid(),
		    log_prefix[prio & LOG_PRIMASK], msg);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ld preforkd[%ld]: %s: %s%s\n",
	    ts, now.tv_nsec / 1000000, (long)getpid(), log_proc,
	    log_prefix[prio & LOG_PRIMASK], msg);
 out:
	if (n >= (int)sizeof(line)) {
		n = sizeof(line);
		line[n - 1] = '\n';
	}
	(void)write(log_fd, line, n);
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
