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
 * reuseport.c: an epoll loop per core, each with its own SO_REUSEPORT
 * listener (the guide's SYMPED: nginx with one worker per core and
 * reuseport).
 *
 * The parent binds one listener per core (sysconf, or -w) to the same
 * port with SO_REUSEPORT, forks one process per listener, and waits.
 * Each child runs the SPED loop of sped.c on its own listener; the
 * kernel spreads new connections over the listeners by a hash of the
 * addresses, so the children share nothing, not even an accept queue.
 * All the SPED virtues, on every core.  The SPED weakness stays: the
 * payload blocks the loop it runs in, and a connection is bound to its
 * loop for life, so a busy loop cannot hand its clients to an idle one
 * (the hash, not the load, decides).  Processes are not pinned: loadgen
 * shares the cores.
 */

#include <sys/prctl.h>

#include <err.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "models.h"

int
main(int argc, char *argv[])
{
	sigset_t	 mask;
	pid_t		*pids, parent = getpid();
	int		*lfds, i, j, n;

	model_init(argc, argv, "reuseport",
	    (int)sysconf(_SC_NPROCESSORS_ONLN));
	n = mopt.workers;
	if ((lfds = calloc(n, sizeof(*lfds))) == NULL ||
	    (pids = calloc(n, sizeof(*pids))) == NULL)
		err(1, "calloc");
	for (i = 0; i < n; i++)		/* the first one fixes the port */
		lfds[i] = model_listen(MODEL_NONBLOCK | MODEL_REUSEPORT);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == -1) {
			warn("fork");
			model_stop_children(NULL, pids, i);
			return 0;
		}
		if (pids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &mask, NULL);
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
			    getppid() != parent)
				_exit(1);
			for (j = 0; j < n; j++)
				if (j != i)
					close(lfds[j]);
			sped_loop(lfds[i]);
		}
	}
	for (i = 0; i < n; i++)
		close(lfds[i]);
	model_announce();
	model_stop_children(&mask, pids, n);
	return 0;
}
