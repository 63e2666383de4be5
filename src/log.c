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
 * Every process tags its lines with its role ("master", "worker 3").  In
 * the foreground lines go to stderr, one write(2) per line so that lines
 * from several processes never interleave; otherwise to syslog (facility
 * daemon).  fatal() ends the process with the status its role registered
 * with log_procinit(): the master exits 1, a worker EXIT_TEMPFAIL.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

static int	 log_target = LOG_TO_STDERR;
static int	 log_level = LOG_INFO;
static char	 log_proc[32] = "master";
static int	 log_fatal_status = 1;
static int	 log_child;	/* fatal() must _exit(): no atexit, no stdio */

static const char *const log_prefix[] = {
	[LOG_EMERG] = "emergency: ", [LOG_ALERT] = "alert: ",
	[LOG_CRIT] = "critical: ", [LOG_ERR] = "error: ",
	[LOG_WARNING] = "warning: ", [LOG_NOTICE] = "", [LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void
log_init(int target, int level)
{
	log_target = target;
	log_level = level;
	if (target == LOG_TO_SYSLOG)
		openlog("preforkd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ld preforkd[%ld]: %s: %s%s\n",
	    ts, now.tv_nsec / 1000000, (long)getpid(), log_proc,
	    log_prefix[prio & LOG_PRIMASK], msg);
	if (n >= (int)sizeof(line)) {
		n = sizeof(line);
		line[n - 1] = '\n';
	}
	(void)write(STDERR_FILENO, line, n);
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
