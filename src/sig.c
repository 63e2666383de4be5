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
 * sig.c: signal dispositions of the master and the workers, and the only
 * place that owns the "signal caught" flags.
 *
 * The master blocks every signal it handles at all times; they are
 * delivered only inside ppoll(2), whose mask sig_master_init() returns.
 * The handler records the signal in a flag and does nothing else; the
 * main loop takes the flags with sig_take() and does the work.
 * Workers start from default dispositions and an empty mask.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "preforkd.h"

static volatile sig_atomic_t	 caught[NSIG];

static const int master_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2,
	SIGTTIN, SIGTTOU,
};
#define NMASTER_SIGNALS	(sizeof(master_signals) / sizeof(master_signals[0]))

/* WARNING: runs in signal context: only async-signal-safe work here. */
static void
sig_record_sighandler(int signo)
{
	int	saved_errno = errno;

	if (signo > 0 && signo < NSIG)
		caught[signo] = 1;
	errno = saved_errno;
}

/*
 * Install the master's handlers with the signals blocked; *waitmask
 * receives the mask that lets them in (for ppoll).
 */
void
sig_master_init(sigset_t *waitmask)
{
	struct sigaction	sa;
	sigset_t		block;
	size_t			i;

	sigemptyset(&block);
	for (i = 0; i < NMASTER_SIGNALS; i++)
		sigaddset(&block, master_signals[i]);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < NMASTER_SIGNALS; i++)
		sigdelset(waitmask, master_signals[i]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_record_sighandler;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < NMASTER_SIGNALS; i++)
		sigaction(master_signals[i], &sa, NULL);

	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * A new worker: default dispositions, nothing blocked.  SIGTERM kills at
 * once (fast stop, death of the master).  Terminal signals meant for the
 * foreground master (^C, hangup) and the master's other control signals
 * are ignored: the master alone decides what happens to its workers.
 */
void
sig_worker_init(void)
{
	struct sigaction	sa;
	sigset_t		none;
	size_t			i;
	int			signo;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NMASTER_SIGNALS; i++) {
		signo = master_signals[i];
		sa.sa_handler = (signo == SIGTERM || signo == SIGCHLD) ?
		    SIG_DFL : SIG_IGN;
		sigaction(signo, &sa, NULL);
		caught[signo] = 0;
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Return 1 and clear the flag if signo was caught since the last call. */
int
sig_take(int signo)
{
	if (signo <= 0 || signo >= NSIG || !caught[signo])
		return 0;
	caught[signo] = 0;
	return 1;
}
