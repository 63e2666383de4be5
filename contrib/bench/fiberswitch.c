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
 * fiberswitch.c: the cost of one context switch (issue 11), in ns.
 *
 *   fiberswitch [-m fiber|swapcontext|pipe|life|all] [-n ROUNDS] [-r RUNS]
 *
 * A round is a resume and a yield, 2 switches:
 *
 *   fiber        src/fiber.c: fiber_resume() and fiber_yield()
 *   swapcontext  glibc's swapcontext(3) there and back (which saves and
 *                restores the signal mask with rt_sigprocmask(2) each time)
 *   pipe         for scale, the kernel's: two processes that pass a byte
 *                back and forth through two pipes (2 writes, 2 reads)
 *   life         not a switch: fiber_new(), a resume to its end and
 *                fiber_free(), with the stack from the pool's cache
 *
 * Each is timed RUNS times (default 5) over ROUNDS rounds (default
 * 2,000,000 for fiber, 200,000 for swapcontext, 20,000 for pipe,
 * 1,000,000 for life), after a warm-up of a tenth of that; the best and
 * the median run are printed, per switch (life: per fiber).  About 5
 * seconds in all.  -m with one mode runs only that one: `strace -c -f
 * fiberswitch -m fiber -n N` shows which system calls grow with N
 * (contrib/bench/README.md).
 */

#include <sys/wait.h>

#include <err.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "fiber.h"

#define RUNS_MAX	15
#define UC_STACK	(64 * 1024)

static __attribute__((__noreturn__)) void usage(void);
static uint64_t	 now_ns(void);
static void	 yielder(void *arg);
static void	 nothing(void *arg);
static uint64_t	 run_fiber(unsigned long n);
static uint64_t	 run_life(unsigned long n);
static void	 uc_loop(void);
static uint64_t	 run_swapcontext(unsigned long n);
static uint64_t	 run_pipe(unsigned long n);
static int	 cmp_u64(const void *a, const void *b);
static void	 measure(const char *name, uint64_t (*fn)(unsigned long),
		    unsigned long rounds, unsigned int per, unsigned int runs);

static ucontext_t	 uc_main, uc_co;

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: fiberswitch [-m fiber|swapcontext|pipe|life|"
	    "all] [-n ROUNDS] [-r RUNS]\n");
	exit(64);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
yielder(void *arg)
{
	for (;;)
		fiber_yield();
}

static void
nothing(void *arg)
{
	(void)arg;
}

static uint64_t
run_fiber(unsigned long n)
{
	struct fiber_pool	*pool;
	struct fiber		*f;
	uint64_t		 t0, t1;
	unsigned long		 i;

	if ((pool = fiber_pool_new(UC_STACK, 1)) == NULL ||
	    (f = fiber_new(pool, yielder, NULL)) == NULL)
		err(1, "fiber");
	(void)fiber_resume(f);		/* its stack is touched */
	t0 = now_ns();
	for (i = 0; i < n; i++)
		(void)fiber_resume(f);
	t1 = now_ns();
	fiber_free(f);
	fiber_pool_free(pool);
	return t1 - t0;
}

static uint64_t
run_life(unsigned long n)
{
	struct fiber_pool	*pool;
	struct fiber		*f;
	uint64_t		 t0, t1;
	unsigned long		 i;

	if ((pool = fiber_pool_new(UC_STACK, 4)) == NULL)
		err(1, "fiber_pool_new");
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if ((f = fiber_new(pool, nothing, NULL)) == NULL)
			err(1, "fiber_new");
		(void)fiber_resume(f);
		fiber_free(f);
	}
	t1 = now_ns();
	fiber_pool_free(pool);
	return t1 - t0;
}

static void
uc_loop(void)
{
	for (;;)
		if (swapcontext(&uc_co, &uc_main) == -1)
			err(1, "swapcontext");
}

static uint64_t
run_swapcontext(unsigned long n)
{
	static char	*stack;
	uint64_t	 t0, t1;
	unsigned long	 i;

	if (stack == NULL && (stack = malloc(UC_STACK)) == NULL)
		err(1, "malloc");
	if (getcontext(&uc_co) == -1)
		err(1, "getcontext");
	uc_co.uc_stack.ss_sp = stack;
	uc_co.uc_stack.ss_size = UC_STACK;
	uc_co.uc_link = NULL;
	makecontext(&uc_co, uc_loop, 0);
	(void)swapcontext(&uc_main, &uc_co);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		(void)swapcontext(&uc_main, &uc_co);
	t1 = now_ns();
	return t1 - t0;
}

static uint64_t
run_pipe(unsigned long n)
{
	int		 ab[2], ba[2], status;
	char		 c = 'x';
	pid_t		 pid;
	uint64_t	 t0, t1;
	unsigned long	 i;

	if (pipe(ab) == -1 || pipe(ba) == -1)
		err(1, "pipe");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		close(ab[1]);
		close(ba[0]);
		while (read(ab[0], &c, 1) == 1)
			if (write(ba[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			err(1, "pipe ping-pong");
	t1 = now_ns();
	close(ab[1]);
	close(ba[0]);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	return t1 - t0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* per: events per round (2 switches; 1 fiber for life). */
static void
measure(const char *name, uint64_t (*fn)(unsigned long),
    unsigned long rounds, unsigned int per, unsigned int runs)
{
	uint64_t	t[RUNS_MAX];
	unsigned int	i;
	double		ev = (double)rounds * per;

	(void)fn(rounds / 10 + 1);	/* warm up */
	for (i = 0; i < runs; i++)
		t[i] = fn(rounds);
	qsort(t, runs, sizeof(t[0]), cmp_u64);
	printf("%-24s %10.0f %10.1f %10.1f\n", name, ev, t[0] / ev,
	    t[runs / 2] / ev);
}

int
main(int argc, char *argv[])
{
	const char	*mode = "all";
	unsigned long	 n = 0;
	unsigned int	 runs = 5;
	int		 ch, all;
	char		 name[64];

	while ((ch = getopt(argc, argv, "m:n:r:")) != -1) {
		switch (ch) {
		case 'm':
			mode = optarg;
			break;
		case 'n':
			if ((n = strtoul(optarg, NULL, 10)) == 0)
				usage();
			break;
		case 'r':
			runs = (unsigned int)strtoul(optarg, NULL, 10);
			if (runs == 0 || runs > RUNS_MAX)
				usage();
			break;
		default:
			usage();
		}
	}
	all = strcmp(mode, "all") == 0;
	if (!all && strcmp(mode, "fiber") != 0 && strcmp(mode, "life") != 0 &&
	    strcmp(mode, "swapcontext") != 0 && strcmp(mode, "pipe") != 0)
		usage();
	printf("%-24s %10s %10s %10s\n", "ns per switch", "switches",
	    "best", "median");
	snprintf(name, sizeof(name), "fiber (%s)", fiber_impl);
	if (all || strcmp(mode, "fiber") == 0)
		measure(name, run_fiber, n ? n : 2000000, 2, runs);
	if (all || strcmp(mode, "swapcontext") == 0)
		measure("swapcontext (glibc)", run_swapcontext,
		    n ? n : 200000, 2, runs);
	if (all || strcmp(mode, "pipe") == 0)
		measure("pipe, 2 processes", run_pipe, n ? n : 20000, 2, runs);
	if (all || strcmp(mode, "life") == 0) {
		printf("%-24s %10s %10s %10s\n", "ns per fiber", "fibers",
		    "best", "median");
		measure("new+resume+free", run_life, n ? n : 1000000, 1, runs);
	}
	return 0;
}
