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
 * fork.c: one process per connection (fork on accept).
 *
 * The guide's MP model and the slides' "on-demand" processes, the
 * classic inetd-style Unix server: the parent blocks in accept(2) and
 * forks a child for each connection, which serves it with blocking calls
 * and exits.  Linear code, and the isolation of processes: a client
 * that crashes its server crashes nothing else.  The price is a fork(2)
 * and an exit per connection (page tables copied, then torn down), the
 * worst cost of all models for short connections, and no limit: many
 * clients are many processes, each its own memory, all scheduled by the
 * kernel.
 *
 * The parent reaps its children from a SIGCHLD handler, as Stevens'
 * servers do (their CPU time then shows in the parent's, for the
 * benchmark).  Each child asks for SIGTERM when its parent dies
 * (PR_SET_PDEATHSIG), so that stopping the parent stops every
 * connection in progress.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "models.h"

static void	reap(int);

static void
reap(int sig)
{
	int	saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

int
main(int argc, char *argv[])
{
	struct sigaction	sa;
	pid_t			parent = getpid();
	int			lfd, fd;

	model_init(argc, argv, "fork", 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reap;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	lfd = model_listen(0);
	model_announce();
	for (;;) {
		if ((fd = model_accept(lfd, 0)) == -1)
			continue;
		switch (fork()) {
		case -1:
			warn("fork");
			break;
		case 0:
			close(lfd);
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
			    getppid() != parent)
				_exit(1);
			model_serve(fd);
			_exit(0);
		default:
			break;
		}
		close(fd);
	}
}
