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
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
 * WARNING: runs in signal context.  The master tells a worker to retire:
 * remember it, close its listening sockets, and arm a one-second alarm in
 * case the signal came just before the worker entered accept(2) (the
 * alarm interrupts it then).
 *
 * Not while the worker waits in epoll_wait(2) and accepts what it
 * returned (sig_worker_accepting()): with EPOLLEXCLUSIVE the kernel wakes
 * one waiter per connection, and a worker woken for a connection that
 * then lost its listener would leave it in the queue with every other
 * worker asleep (until the next connection, or the listener's
 * SO_RCVTIMEO).  There the listeners are closed once accept(2) is done.
 */
static const struct listener	*retire_listeners;
static size_t			 retire_nlisteners;
static volatile sig_atomic_t	 accept_window, retire_deferred;

/* Async-signal-safe; called with SIGUSR2 blocked or from its handler. */
static void
sig_close_listeners(void)
{
	size_t	i;

	for (i = 0; i < retire_nlisteners; i++)
		(void)close(retire_listeners[i].fd);
	retire_nlisteners = 0;
}

static void
sig_retire_sighandler(int signo)
{
	int	saved_errno = errno;

	(void)signo;
	caught[SIGUSR2] = 1;
	/* stop accepting now: once every process closed its copy, the
	   kernel refuses new connections (graceful stop) */
	if (accept_window)
		retire_deferred = 1;
	else
		sig_close_listeners();
	alarm(1);
	errno = saved_errno;
}

/*
 * A worker polling several listeners enters (on = 1) and leaves (on = 0)
 * the stretch from epoll_wait(2) to the end of accept(2), where a
 * retirement must not close its listeners; leaving it closes them if the
 * master asked meanwhile.
 */
void
sig_worker_accepting(int on)
{
	sigset_t	usr2, old;

	accept_window = on;
	if (on || !retire_deferred)
		return;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, &old);
	retire_deferred = 0;
	sig_close_listeners();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * A worker serving many connections waits in epoll_pwait(2) alone: there,
 * and only there, SIGUSR2 and SIGALRM may come in (with waitmask), so that
 * one sent just before the wait still ends it.  Its listeners are its own
 * to close (worker_mux.c).
 */
void
sig_worker_mux(sigset_t *waitmask)
{
	sigset_t	block;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGUSR2);
	sigdelset(waitmask, SIGALRM);
	retire_nlisteners = 0;
}

/* The listening sockets a worker closes when it is told to retire. */
void
sig_worker_listeners(const struct listener *l, size_t n)
{
	retire_listeners = l;
	retire_nlisteners = n;
}

/*
 * A new worker: default dispositions, nothing blocked.  SIGTERM kills at
 * once (fast stop, death of the master).  SIGUSR2 asks it to finish its
 * connection and exit; SIGALRM wakes it (retirement, max_worker_age): both
 * without SA_RESTART, so that they interrupt accept(2).  Terminal signals
 * meant for the foreground master (^C, hangup) and the master's other
 * control signals are ignored: the master alone decides what happens to
 * its workers.
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
	sa.sa_handler = sig_retire_sighandler;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = sig_record_sighandler;
	sigaction(SIGALRM, &sa, NULL);
	caught[SIGALRM] = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static struct sb_slot	*bt_slot;	/* the worker's, for its handler */

/* Async-signal-safe: append s to buf (of size len) at *off. */
static void
sig_append(char *buf, size_t len, size_t *off, const char *s)
{
	while (*s != '\0' && *off + 1 < len)
		buf[(*off)++] = *s++;
	buf[*off] = '\0';
}

/* Async-signal-safe: append the decimal n. */
static void
sig_append_num(char *buf, size_t len, size_t *off, long long n)
{
	char	d[24];
	int	i = sizeof(d) - 1;

	d[i] = '\0';
	if (n < 0)
		n = 0;
	do {
		d[--i] = '0' + n % 10;
		n /= 10;
	} while (n > 0 && i > 0);
	sig_append(buf, len, off, d + i);
}

/*
 * WARNING: runs in signal context.  request_timeout_soft: say where this
 * worker is stuck, on stderr (the log, or the pipe to the master), and
 * let it go on.  Only write(2), clock_gettime(2) and the backtrace
 * functions, loaded beforehand by sig_worker_backtrace().
 */
static void
sig_backtrace_sighandler(int signo)
{
	void		*frames[48];
	char		 buf[256];
	size_t		 off = 0;
	struct timespec	 ts;
	int		 n, saved_errno = errno;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* "<4>": a warning, in the form the master reads (log.c) */
	sig_append(buf, sizeof(buf), &off, "<4>request_timeout_soft: busy "
	    "with ");
	sig_append(buf, sizeof(buf), &off, bt_slot->client[0] ?
	    bt_slot->client : "-");
	sig_append(buf, sizeof(buf), &off, " for ");
	sig_append_num(buf, sizeof(buf), &off, (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000 - bt_slot->changed_ms);
	sig_append(buf, sizeof(buf), &off, " ms; backtrace:\n");
	(void)write(STDERR_FILENO, buf, off);
	n = backtrace(frames, sizeof(frames) / sizeof(frames[0]));
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	errno = saved_errno;
}

/*
 * The first backtrace() call loads libgcc with dlopen() and allocates:
 * the master does it once, before any fork, so that neither a worker's
 * start nor its signal handler pays for it.
 */
void
sig_backtrace_preload(void)
{
	void	*frame[1];

	(void)backtrace(frame, 1);
}

/* A worker: SIGUSR1 writes its backtrace (request_timeout_soft). */
void
sig_worker_backtrace(struct sb_slot *slot)
{
	struct sigaction	 sa;

	bt_slot = slot;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sig_backtrace_sighandler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
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
