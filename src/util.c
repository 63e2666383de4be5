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
 * util.c: small leaf helpers shared by the modules: value parsers used by
 * the configuration (durations, bounded integers), the monotonic clock,
 * error lists, signal names and bytes escaped as text.
 *
 * Runs in any process.  Never logs: parsers return -1 and describe the
 * problem in the caller's err buffer.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preforkd.h"

static const struct {
	const char	*suffix;
	long long	 ms;
} duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "d", 24 * 60 * 60 * 1000 },
	{ "", 1000 },		/* a bare number is seconds, like nginx */
};

/*
 * Parse "500ms", "30s", "5m", "1h", "2d" or a bare number of seconds into
 * milliseconds, at most INT_MAX (24 days).
 */
int
parse_duration_ms(const char *s, int *ms, char *err, size_t errlen)
{
	const char	*p = s;
	long long	 n = 0;
	size_t		 i;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
			goto range;
	}
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]);
	    i++) {
		size_t sl = strlen(duration_units[i].suffix);

		if (strncmp(p, duration_units[i].suffix, sl) != 0)
			continue;
		if (p[sl] != '\0' && !isspace((unsigned char)p[sl]))
			continue;
		for (p += sl; isspace((unsigned char)*p); p++)
			;
		if (*p != '\0')
			goto bad;
		if (n > INT_MAX / duration_units[i].ms)
			goto range;
		*ms = (int)(n * duration_units[i].ms);
		return 0;
	}
 bad:
	snprintf(err, errlen, "invalid duration '%s' (use a number with "
	    "a unit: 500ms, 30s, 5m, 1h, 2d)", s);
	return -1;
 range:
	snprintf(err, errlen, "duration '%s' is too long (at most 24 days)",
	    s);
	return -1;
}

/*
 * Parse a memory size: a number of bytes with an optional K, M, G or T
 * suffix (powers of 1024), "0" for none; the result in KiB, rounded up.
 * Not libbsd's expand_number(3): it reads "010" as octal and "0x10" as
 * hexadecimal, and takes "-1" for 16 EiB, none of which a size in a
 * configuration file should mean.
 */
int
parse_size_kb(const char *s, uint64_t *kb, char *err, size_t errlen)
{
	static const char	 units[] = "KMGT";
	const char		*p = s, *u;
	uint64_t		 n = 0, mul = 1;

	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (UINT64_MAX - 9) / 10)
			goto range;
		n = n * 10 + (*p - '0');
	}
	if (*p != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*p))) == NULL ||
		    (p[1] != '\0' && !((p[1] == 'B' || p[1] == 'b') &&
		    p[2] == '\0')))
			goto bad;
		for (mul = 1024; u > units; u--)
			mul *= 1024;
	}
	if (n > (UINT64_C(1) << 50) / mul)
		goto range;
	*kb = (n * mul + 1023) / 1024;
	return 0;
 bad:
	snprintf(err, errlen, "invalid size '%s' (a number of bytes with "
	    "K, M, G or T: 512M, 2G)", s);
	return -1;
 range:
	snprintf(err, errlen, "size '%s' is too large", s);
	return -1;
}

/*
 * Parse a decimal integer within [min, max], with spaces around it but no
 * sign, and no other base: strtonum(3) does the arithmetic and the range
 * once the text is known to be digits (strtonum alone takes "+1", "-0"
 * and a leading "0x" in some libcs).
 */
int
parse_uint(const char *s, unsigned int min, unsigned int max,
    unsigned int *val, char *err, size_t errlen)
{
	const char	*p = s, *errstr;
	char		 digits[24];
	size_t		 n;
	long long	 v;

	while (isspace((unsigned char)*p))
		p++;
	n = strspn(p, "0123456789");
	if (n == 0 || p[n + strspn(p + n, " \t\n\r\f\v")] != '\0')
		goto bad;
	if (n >= sizeof(digits))
		goto range;
	memcpy(digits, p, n);
	digits[n] = '\0';
	v = strtonum(digits, min, max, &errstr);
	if (errstr != NULL)
		goto range;
	*val = (unsigned int)v;
	return 0;
 bad:
	snprintf(err, errlen, "invalid number '%s'", s);
	return -1;
 range:
	snprintf(err, errlen, "%s is out of range (%u to %u)", s, min, max);
	return -1;
}

/* SO_RCVTIMEO and SO_SNDTIMEO of fd, in milliseconds (0: none). */
int
socket_set_timeouts(int fd, int read_ms, int write_ms)
{
	struct timeval	tv;

	tv.tv_sec = read_ms / 1000;
	tv.tv_usec = (read_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	tv.tv_sec = write_ms / 1000;
	tv.tv_usec = (write_ms % 1000) * 1000;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Append a record: where (file, line, option: any may be NULL or 0), how
 * grave (warning), and what.  Its text, "FILE:LINE: option: message"
 * ("FILE:LINE: warning: option: message"), is made here, once, for the
 * printing.
 */
static void
errlist_vadd(struct errlist *errs, const char *file, int line,
    const char *option, int warning, const char *fmt, va_list ap)
{
	struct errmsg	 *nr;
	char		**nm, *text, *full, where[PATH_MAX + 32] = "";
	int		  n;

	if (errs == NULL || vasprintf(&text, fmt, ap) == -1)
		return;
	if (file != NULL && line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", file, line);
	else if (file != NULL)
		snprintf(where, sizeof(where), "%s: ", file);
	n = asprintf(&full, "%s%s%s%s%s", where, warning ? "warning: " : "",
	    option != NULL ? option : "", option != NULL ? ": " : "", text);
	if (n == -1) {
		free(text);
		return;
	}
	nm = reallocarray(errs->msg, errs->n + 1, sizeof(*nm));
	if (nm != NULL)
		errs->msg = nm;
	nr = reallocarray(errs->rec, errs->n + 1, sizeof(*nr));
	if (nr != NULL)
		errs->rec = nr;
	if (nm == NULL || nr == NULL) {
		free(text);
		free(full);
		return;
	}
	nr = &errs->rec[errs->n];
	nr->line = line;
	nr->warning = warning;
	nr->text = text;
	errs->msg[errs->n++] = full;
}

/* An error without a place (a whole file, a system call). */
void
errlist_add(struct errlist *errs, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	errlist_vadd(errs, NULL, 0, NULL, 0, fmt, ap);
	va_end(ap);
}

/* An error or a warning at FILE:LINE, about option. */
void
errlist_add_at(struct errlist *errs, const char *file, int line,
    const char *option, int warning, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	errlist_vadd(errs, file, line, option, warning, fmt, ap);
	va_end(ap);
}

/* The errors (not warnings) among records [from, n). */
size_t
errlist_errors(const struct errlist *errs, size_t from)
{
	size_t	i, n = 0;

	for (i = from; i < errs->n; i++)
		if (errs->rec == NULL || !errs->rec[i].warning)
			n++;
	return n;
}

/* Sort records [from, n) by line, stably, so they read top to bottom. */
void
errlist_sort(struct errlist *errs, size_t from)
{
	struct errmsg	 r;
	size_t		 i, j;
	char		*m;

	for (i = from + 1; i < errs->n; i++) {
		m = errs->msg[i];
		r = errs->rec[i];
		for (j = i; j > from && errs->rec[j - 1].line > r.line; j--) {
			errs->msg[j] = errs->msg[j - 1];
			errs->rec[j] = errs->rec[j - 1];
		}
		errs->msg[j] = m;
		errs->rec[j] = r;
	}
}

/* Print every record, one per line, "preforkd: " first. */
void
errlist_print(const struct errlist *errs, FILE *f)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		fprintf(f, "preforkd: %s\n", errs->msg[i]);
}

void
errlist_free(struct errlist *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++) {
		free(errs->msg[i]);
		if (errs->rec != NULL)
			free(errs->rec[i].text);
	}
	free(errs->msg);
	free(errs->rec);
	errs->msg = NULL;
	errs->rec = NULL;
	errs->n = 0;
}

/*
 * len bytes of src as text in dst (dstlen > 0; always terminated):
 * printable ASCII as it is, the backslash and every other byte as \xHH,
 * so that the text is one line, holds no terminal escape and reads back
 * without ambiguity.  Only whole escapes are written.  Returns how many
 * bytes of src are in dst: len if they all fit.
 */
size_t
escape_bytes(char *dst, size_t dstlen, const void *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = src;
	size_t			 i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			if (n + 1 >= dstlen)
				break;
			dst[n++] = p[i];
			continue;
		}
		if (n + 4 >= dstlen)
			break;
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[p[i] >> 4];
		dst[n++] = hex[p[i] & 15];
	}
	dst[n] = '\0';
	return i;
}

/* "SIGSEGV" for SIGSEGV; async-signal-safe (returns static strings). */
const char *
signame(int signo)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP",
		[SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
		[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1",
		[SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
		[SIGTERM] = "SIGTERM", [SIGCHLD] = "SIGCHLD",
		[SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
		[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
		[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",
		[SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
		[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
		[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
		[SIGSYS] = "SIGSYS",
	};

	if (signo > 0 && (size_t)signo < sizeof(names) / sizeof(names[0]) &&
	    names[signo] != NULL)
		return names[signo];
	return "unknown signal";
}
