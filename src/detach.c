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
 * detach.c: the master leaving its terminal (daemon mode), and telling
 * the command that started it whether the start worked.
 *
 * detach_start() forks twice (new session in between, so that the
 * daemon never reacquires a terminal); the original process waits on a
 * pipe for the daemon's verdict and exits with it: 0 once the first
 * workers accept connections, the daemon's exit status if it stops
 * before that.  Until then the daemon keeps a copy of the command's
 * stderr, where the log echoes its warnings and errors (log_tee()), so
 * that a start that cannot work is explained on the terminal and
 * returns non-zero, whatever the log target.
 *
 * The only fork(2) outside pool.c: it copies the master itself, before
 * any worker exists.  Runs in the master, at start.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

static int	detach_fd = -1;		/* the verdict pipe, daemon side */

static pid_t		detach_fork(void);
static __dead void	detach_wait(int fd);

/* fork(2), or the end: 0 in the child. */
static pid_t
detach_fork(void)
{
	pid_t	pid;

	if ((pid = fork()) == -1)
		fatal("fork");
	return pid;
}

/* The original process: wait for the verdict, exit with it. */
static __dead void
detach_wait(int fd)
{
	unsigned char	status;
	ssize_t		n;

	do {
		n = read(fd, &status, 1);
	} while (n == -1 && errno == EINTR);
	if (n == 1)
		_exit(status);
	fprintf(stderr, "preforkd: the daemon stopped before its workers "
	    "were ready (see above, or the log)\n");
	_exit(1);
}

/*
 * Detach: fork, new session, fork again, chdir /, umask 027, stdin and
 * stdout on /dev/null, and stderr too unless the log goes there
 * (keep_stderr).  Only
 * the daemon returns; the log echoes warnings and errors to the command's
 * stderr until detach_done().
 */
void
detach_start(int keep_stderr)
{
	int	p[2], fd, term;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if (detach_fork() != 0) {
		close(p[1]);
		detach_wait(p[0]);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (detach_fork() != 0)
		_exit(0);	/* the verdict comes from the daemon */
	detach_fd = p[1];
	if (chdir("/") == -1)
		fatal("chdir /");
	umask(027);
	if ((term = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) == -1)
		fatal("dup");
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	if (keep_stderr)
		close(term);
	else
		log_tee(term, 1);
}

/* Whether the command that started the daemon still waits for it. */
int
detach_pending(void)
{
	return detach_fd != -1;
}

/*
 * The daemon's verdict: 0 when its first workers accept connections, or
 * the status it stops with.  The command that started it exits with it;
 * the terminal is let go.
 */
void
detach_done(int status)
{
	unsigned char	c = status;

	log_tee(-1, 0);
	if (detach_fd == -1)
		return;
	(void)write(detach_fd, &c, 1);
	close(detach_fd);
	detach_fd = -1;
}
