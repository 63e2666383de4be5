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
 * worker_exec.c: a worker that becomes a program.
 *
 * service = exec (UCSPI, the inetd model): the worker that accepted a
 * connection becomes the configured program, with the connection on
 * descriptors 0 and 1, stderr still the channel to the master (so what
 * it writes there is logged, escaped, as this worker's), the UCSPI
 * variables and worker_env as its whole environment.  No fork sits
 * between accept(2) and execve(2): the fork was made before the client
 * came; the master refills the slot when the program ends.
 *
 * service = program (socket activation): the worker becomes the
 * configured program as soon as it is dropped, with the listening
 * sockets as descriptors 3.. and LISTEN_FDS, LISTEN_PID and
 * LISTEN_FDNAMES as sd_listen_fds(3) reads them, and NOTIFY_SOCKET when
 * the master waits for READY=1.
 *
 * Either way the program inherits the worker's fence: its uid and
 * groups, no capabilities, no_new_privs (a set-user-ID program cannot
 * regain anything), the chroot, the rlimits, the death signal.  Signal
 * dispositions are the defaults, but SIGUSR2, preforkd's "finish and
 * leave", which stays ignored for an exec program so that a reload can
 * never cut the connection it serves.
 */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

extern char	**environ;

/* Default dispositions for the program (but keep, if ignored), nothing
   blocked. */
static void
worker_exec_signals(int keep)
{
	struct sigaction	sa;
	sigset_t		none;
	int			signo;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (signo = 1; signo < NSIG; signo++) {
		if (signo == SIGKILL || signo == SIGSTOP || signo == keep)
			continue;
		sa.sa_handler = SIG_DFL;
		(void)sigaction(signo, &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * The connection fd (from peer ss) is this worker's last: become the
 * program.  The caller has set the scoreboard (busy, the client, exit
 * reason SB_EXIT_EXEC).
 */
__dead void
worker_exec(struct worker *w, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	char		**env, *buf, err[256];
	size_t		 n = 0, len = UCSPI_ENV_BUFLEN;
	struct sigaction sa;

	/* From here a SIGUSR2 is dropped: the connection is in hand. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGUSR2, &sa, NULL);
	strlcpy(err, "out of memory", sizeof(err));
	for (n = 0; w->conf->worker_env[n] != NULL; n++)
		len += strlen(w->conf->worker_env[n]) + 1;
	if ((env = calloc(UCSPI_ENV_MAX + n + 1, sizeof(*env))) == NULL ||
	    (buf = malloc(len)) == NULL ||
	    ucspi_env(fd, (const struct sockaddr *)ss, sslen,
	    w->conf->worker_env, buf, len, env, UCSPI_ENV_MAX + n + 1, err,
	    sizeof(err)) == -1) {
		log_warnx("%s: environment: %s", w->conf->argv[0], err);
		_exit(EXIT_TEMPFAIL);
	}
	/* the program reads and writes as it likes: request_timeout, not
	   the socket's timeouts, bounds it */
	(void)socket_set_timeouts(fd, 0, 0);
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
		log_warn("dup2");
		_exit(EXIT_TEMPFAIL);
	}
	/* listeners, the channel's own descriptor, epoll: not the
	   program's (stderr is still the channel) */
	closefrom(STDERR_FILENO + 1);
	worker_exec_signals(SIGUSR2);
	execve(w->conf->argv[0], w->conf->argv, env);
	log_warn("exec %s", w->conf->argv[0]);
	_exit(EXIT_TEMPFAIL);
}

/*
 * Put the n listeners at descriptors 3 .. 3+n-1, in their configured
 * order, and close everything above.
 */
static void
worker_listen_fds(struct worker *w)
{
	size_t	i, n = w->nlisteners;
	int	fd, high = STDERR_FILENO + 1 + (int)n;

	/* first out of the way of the targets, then into place */
	for (i = 0; i < n; i++) {
		if ((fd = fcntl(w->listeners[i].fd, F_DUPFD_CLOEXEC, high)) ==
		    -1)
			fatal("fcntl");
		w->listeners[i].fd = fd;
	}
	for (i = 0; i < n; i++)
		if (dup2(w->listeners[i].fd, STDERR_FILENO + 1 + (int)i) == -1)
			fatal("dup2");
	closefrom(high);
}

/* The program's environment: worker_env (already set), and the
   socket activation variables. */
static void
worker_program_env(struct worker *w, const char *notify)
{
	char	names[8192], err[256], num[32], **specs;
	size_t	i;

	/* the names as configured ("127.0.0.1:80" is "127.0.0.1_80") */
	if ((specs = calloc(w->nlisteners + 1, sizeof(*specs))) == NULL)
		fatal("LISTEN_FDNAMES");
	for (i = 0; i < w->nlisteners; i++)
		specs[i] = w->listeners[i].addr.text;
	if (notify_fdnames(specs, w->nlisteners, names, sizeof(names), err,
	    sizeof(err)) == -1)
		fatalx("LISTEN_FDNAMES: %s", err);
	free(specs);
	snprintf(num, sizeof(num), "%zu", w->nlisteners);
	if (setenv("LISTEN_FDS", num, 1) == -1 ||
	    setenv("LISTEN_FDNAMES", names, 1) == -1)
		fatal("setenv");
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	if (setenv("LISTEN_PID", num, 1) == -1)
		fatal("setenv");
	if (notify != NULL && setenv("NOTIFY_SOCKET", notify, 1) == -1)
		fatal("setenv");
}

/*
 * Become the program of a `service = program` worker (dropped, its
 * descriptors and environment those of a worker already).  notify: the
 * master's NOTIFY_SOCKET, or NULL when readiness is a delay.
 */
__dead void
worker_program(struct worker *w, const char *notify)
{
	worker_program_env(w, notify);
	worker_listen_fds(w);
	worker_exec_signals(0);
	execve(w->conf->argv[0], w->conf->argv, environ);
	log_warn("exec %s", w->conf->argv[0]);
	_exit(EXIT_TEMPFAIL);
}
