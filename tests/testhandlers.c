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
 * preforkd-test: the real preforkd (main.c is compiled in, renamed) with
 * extra services that only tests may use.  Never installed.
 *
 *   privcheck  reports the worker's identity and tries to become root
 *              again, one "key=value" line per fact, then closes;
 *   logline    logs each line it receives (at notice) and echoes it, so
 *              that a test can make a worker write to the log;
 *   spin       answers "ping" lines with "pong"; any other line makes it
 *              loop forever (request_timeout tests); may be multiplexed;
 *   slow       reads a line, sleeps 5 s, answers "done\n";
 *   crash      aborts in init(): every worker dies at once (back-off);
 *   fdhog      holds two more descriptors than a worker needs (opened at
 *              init), then greets each client with "ok\n": with a
 *              descriptor limit just above what the master uses, its
 *              accept(2) meets EMFILE;
 *   evil       acts as a compromised worker (evilhandler.c).
 */

#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <preforkd/handler.h>

int	preforkd_main(int, char *[]);
int	handler_register(const struct handler *);
int	evil_register(void);

static int	privcheck_serve(struct handler_conn *);
static int	fdhog_init(const struct handler_env *, void **);
static int	spin_serve(struct handler_conn *);
static int	spin_multiplex(const char *const *);
static int	slow_serve(struct handler_conn *);
static int	crash_init(const struct handler_env *, void **);
static int	fdhog_serve(struct handler_conn *);
static int	logline_serve(struct handler_conn *);

static const struct handler handler_privcheck = {
	HANDLER_HEADER,
	.name = "privcheck",
	.description = "(test) report identity, try to regain root",
	.serve = privcheck_serve,
};

static const struct handler handler_logline = {
	HANDLER_HEADER,
	.name = "logline",
	.description = "(test) log and echo each line received",
	.serve = logline_serve,
};

static const struct handler handler_fdhog = {
	HANDLER_HEADER,
	.name = "fdhog",
	.description = "(test) hold two descriptors, greet with ok",
	.init = fdhog_init,
	.serve = fdhog_serve,
};

static const struct handler handler_spin = {
	HANDLER_HEADER,
	.name = "spin",
	.description = "(test) read a line, then loop forever",
	.serve = spin_serve,
	.multiplex = spin_multiplex,
};

static const struct handler handler_slow = {
	HANDLER_HEADER,
	.name = "slow",
	.description = "(test) read a line, sleep 5 s, answer done",
	.serve = slow_serve,
};

static const struct handler handler_crash = {
	HANDLER_HEADER,
	.name = "crash",
	.description = "(test) abort at start",
	.init = crash_init,
	.serve = slow_serve,
};

static volatile unsigned long	spin_counter;

/* Not inlined, so that the backtrace names it. */
static __attribute__((noinline)) void
spin_forever(void)
{
	for (;;)
		spin_counter++;
}

static int
spin_serve(struct handler_conn *conn)
{
	char	buf[256];

	while (handler_readline(conn, buf, sizeof(buf)) > 0) {
		if (strcmp(buf, "ping\n") != 0)
			spin_forever();
		if (handler_write(conn, "pong\n", 5) == -1)
			return HANDLER_CLOSE;
		if (handler_idle(conn))
			return HANDLER_KEEPALIVE;
	}
	return HANDLER_CLOSE;
}

static int
spin_multiplex(const char *const *args)
{
	(void)args;
	return 1;
}

static int
slow_serve(struct handler_conn *conn)
{
	char	buf[256];

	if (handler_read(conn, buf, sizeof(buf)) <= 0)
		return HANDLER_CLOSE;
	sleep(5);
	return handler_write(conn, "done\n", 5) == 0 ? HANDLER_OK :
	    HANDLER_CLOSE;
}

static int
crash_init(const struct handler_env *env, void **data)
{
	abort();
}

static int
fdhog_init(const struct handler_env *env, void **data)
{
	return dup(0) == -1 || dup(0) == -1 ? -1 : 0;
}

static int
fdhog_serve(struct handler_conn *conn)
{
	return handler_write(conn, "ok\n", 3) == 0 ? HANDLER_OK :
	    HANDLER_CLOSE;
}

static const char *
try(int rc)
{
	return rc == 0 ? "SUCCEEDED" : strerror(errno);
}

static int
privcheck_serve(struct handler_conn *conn)
{
	char	buf[4096], cwd[256];
	uid_t	r, e, s;
	gid_t	rg, eg, sg, groups[64];
	int	n, len = 0, i;

	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	n = getgroups(64, groups);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strlcpy(cwd, strerror(errno), sizeof(cwd));
	len += snprintf(buf + len, sizeof(buf) - len,
	    "uid=%u,%u,%u\ngid=%u,%u,%u\ngroups=", (unsigned)r, (unsigned)e,
	    (unsigned)s, (unsigned)rg, (unsigned)eg, (unsigned)sg);
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u",
		    i ? "," : "", (unsigned)groups[i]);
	len += snprintf(buf + len, sizeof(buf) - len, "\ncwd=%s\n", cwd);
	len += snprintf(buf + len, sizeof(buf) - len, "dumpable=%d\n",
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	len += snprintf(buf + len, sizeof(buf) - len, "setuid0=%s\n",
	    try(setuid(0)));
	len += snprintf(buf + len, sizeof(buf) - len, "seteuid0=%s\n",
	    try(seteuid(0)));
	len += snprintf(buf + len, sizeof(buf) - len, "setgid0=%s\n",
	    try(setgid(0)));
	len += snprintf(buf + len, sizeof(buf) - len, "setgroups0=%s\n",
	    try(setgroups(0, NULL)));
	len += snprintf(buf + len, sizeof(buf) - len, "etc_passwd=%s\n",
	    try(access("/etc/passwd", F_OK)));
	return handler_write(conn, buf, len) == 0 ? HANDLER_OK :
	    HANDLER_CLOSE;
}

static int
logline_serve(struct handler_conn *conn)
{
	char	buf[1024];
	ssize_t	n;

	while ((n = handler_read(conn, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		conn->env->log(HANDLER_LOG_NOTICE, "logline: %s", buf);
		if (handler_write(conn, buf, strlen(buf)) == -1 ||
		    handler_write(conn, "\n", 1) == -1)
			return HANDLER_CLOSE;
	}
	return n == 0 ? HANDLER_OK : HANDLER_CLOSE;
}

int
main(int argc, char *argv[])
{
	if (handler_register(&handler_privcheck) == -1 ||
	    handler_register(&handler_logline) == -1 ||
	    handler_register(&handler_fdhog) == -1 ||
	    handler_register(&handler_spin) == -1 ||
	    handler_register(&handler_slow) == -1 ||
	    handler_register(&handler_crash) == -1 ||
	    evil_register() == -1) {
		fprintf(stderr, "preforkd-test: cannot register handlers\n");
		return 1;
	}
	return preforkd_main(argc, argv);
}
