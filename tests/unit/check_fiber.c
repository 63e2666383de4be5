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
 * check_fiber.c: unit tests of fiber.c: the order of switches between
 * fibers and the main stack, many fibers interleaved, registers and
 * floating point modes across switches, the stack cache and its release
 * of idle pages, freeing a suspended fiber, the guard page (a stack
 * overflow is a SIGSEGV at the guard page, in a forked test), misuse
 * aborts.  Under ASan (--enable-sanitizers) the same tests prove the
 * switch annotations: without them ASan reports or crashes.
 */

#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "fiber.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN	1
#endif
#endif

#define STACK		(64 * 1024)

static Suite	*fiber_suite(void);

/* The page that holds the current frame (a real stack address even with
   ASan's fake stacks). */
static uintptr_t
frame_page(void)
{
	return (uintptr_t)__builtin_frame_address(0) &
	    ~((uintptr_t)getpagesize() - 1);
}

/* --- order ------------------------------------------------------------ */

static char	pp_log[64];
static size_t	pp_len;

static void
pp_note(char c)
{
	if (pp_len < sizeof(pp_log) - 1)
		pp_log[pp_len++] = c;
}

static void
pp_fn(void *arg)
{
	const char	*c = arg;
	int		 i;

	for (i = 0; i < 3; i++) {
		pp_note(c[0]);
		fiber_yield();
	}
	pp_note(c[1]);
}

START_TEST(test_fiber_pingpong)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*a, *b;
	int			 ra = 1, rb = 1;

	ck_assert_ptr_nonnull(pool);
	ck_assert_ptr_nonnull(a = fiber_new(pool, pp_fn, "aA"));
	ck_assert_ptr_nonnull(b = fiber_new(pool, pp_fn, "bB"));
	while (ra || rb) {
		pp_note('m');
		ra = fiber_resume(a);
		rb = fiber_resume(b);
		ck_assert_int_eq(ra, rb);
	}
	pp_log[pp_len] = '\0';
	ck_assert_str_eq(pp_log, "mabmabmabmAB");
	fiber_free(a);
	fiber_free(b);
	ck_assert_uint_eq(fiber_pool_cached(pool), 2);
	fiber_pool_free(pool);
}
END_TEST

static void
self_fn(void *arg)
{
	struct fiber	**seen = arg;

	seen[0] = fiber_self();
	fiber_yield();
	seen[1] = fiber_self();
}

START_TEST(test_fiber_self)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*f, *seen[2] = { NULL, NULL };

	ck_assert_ptr_null(fiber_self());
	ck_assert_ptr_nonnull(f = fiber_new(pool, self_fn, seen));
	ck_assert_ptr_null(fiber_self());
	ck_assert_int_eq(fiber_resume(f), 1);
	ck_assert_ptr_eq(seen[0], f);
	ck_assert_ptr_null(fiber_self());
	ck_assert_int_eq(fiber_resume(f), 0);
	ck_assert_ptr_eq(seen[1], f);
	ck_assert_ptr_null(fiber_self());
	fiber_free(f);
	fiber_pool_free(pool);
}
END_TEST

/* --- many ------------------------------------------------------------- */

#define MANY		1000
#define ROUNDS		10

static unsigned int	 many_seq;
static unsigned int	 many_bad;

static void
many_fn(void *arg)
{
	unsigned int	id = (unsigned int)(uintptr_t)arg, r;

	for (r = 0; r < ROUNDS; r++) {
		/* round-robin: the r-th round of fiber id comes at r*MANY+id */
		if (many_seq++ != r * MANY + id)
			many_bad++;
		fiber_yield();
	}
}

START_TEST(test_fiber_many)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 16);
	struct fiber		*f[MANY];
	unsigned int		 i, r, alive;

	for (i = 0; i < MANY; i++)
		ck_assert_ptr_nonnull(f[i] = fiber_new(pool, many_fn,
		    (void *)(uintptr_t)i));
	for (r = 0; r <= ROUNDS; r++) {
		alive = 0;
		for (i = 0; i < MANY; i++)
			alive += fiber_resume(f[i]);
		ck_assert_uint_eq(alive, r < ROUNDS ? MANY : 0);
	}
	ck_assert_uint_eq(many_seq, MANY * ROUNDS);
	ck_assert_uint_eq(many_bad, 0);
	for (i = 0; i < MANY; i++)
		fiber_free(f[i]);
	ck_assert_uint_eq(fiber_pool_cached(pool), 16);
	fiber_pool_free(pool);
}
END_TEST

/* --- registers and floating point ------------------------------------ */

struct regs_out {
	unsigned long	i[6];
	double		d[3];
};

/*
 * Many values live across each pause(): the compiler keeps them in
 * callee-saved registers (integer and, through the calls, spilled
 * doubles), which a switch must give back unchanged.
 */
static void
regs_work(unsigned long seed, void (*pause)(void), struct regs_out *o)
{
	unsigned long	a = seed, b = seed * 3 + 1, c = seed ^ 0x5a5a;
	unsigned long	d = seed << 3, e = seed - 77, g = ~seed;
	double		x = seed / 7.0, y = 1.0 / (seed + 1), z = seed * 0.5;
	unsigned int	i;

	for (i = 0; i < 50; i++) {
		pause();
		a += b ^ i;
		b = b * 31 + c;
		c ^= d >> 1;
		d += e;
		e = e * 5 + g;
		g ^= a;
		x = x * 1.0001 + y;
		y = y * 0.999 + z / 1e6;
		z = z + x * 1e-3;
	}
	o->i[0] = a, o->i[1] = b, o->i[2] = c;
	o->i[3] = d, o->i[4] = e, o->i[5] = g;
	o->d[0] = x, o->d[1] = y, o->d[2] = z;
}

static struct fiber	*regs_f[2];
static struct regs_out	 regs_got[3];

static void
regs_nothing(void)
{
	__asm__ volatile("" ::: "memory");
}

static void
regs_resume_both(void)
{
	(void)fiber_resume(regs_f[0]);
	(void)fiber_resume(regs_f[1]);
}

static void
regs_fn(void *arg)
{
	unsigned long	seed = (unsigned long)(uintptr_t)arg;

	regs_work(seed, fiber_yield, &regs_got[seed == 11 ? 0 : 1]);
}

START_TEST(test_fiber_registers)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct regs_out		 want;
	const unsigned long	 seeds[3] = { 11, 22, 33 };
	int			 i;

	regs_f[0] = fiber_new(pool, regs_fn, (void *)(uintptr_t)11);
	regs_f[1] = fiber_new(pool, regs_fn, (void *)(uintptr_t)22);
	ck_assert_ptr_nonnull(regs_f[0]);
	ck_assert_ptr_nonnull(regs_f[1]);
	/* main computes too, resuming both fibers at each of its pauses */
	regs_work(33, regs_resume_both, &regs_got[2]);
	ck_assert_int_eq(fiber_resume(regs_f[0]), 0);
	ck_assert_int_eq(fiber_resume(regs_f[1]), 0);
	for (i = 0; i < 3; i++) {
		memset(&want, 0, sizeof(want));
		regs_work(seeds[i], regs_nothing, &want);
		ck_assert_mem_eq(&regs_got[i], &want, sizeof(want));
	}
	fiber_free(regs_f[0]);
	fiber_free(regs_f[1]);
	fiber_pool_free(pool);
}
END_TEST

/* One third, rounded by the current mode (SSE arithmetic). */
static double
third(void)
{
	volatile double	one = 1.0, three = 3.0;

	return one / three;
}

struct fp_seen {
	int	mode_at_start, mode_after;
	double	third_after;
};

static void
fp_fn(void *arg)
{
	struct fp_seen	*s = arg;

	s->mode_at_start = fegetround();
	(void)fesetround(FE_DOWNWARD);
	fiber_yield();
	s->mode_after = fegetround();
	s->third_after = third();
}

/* The rounding modes (x87 control word, MXCSR) are the caller's to
   keep: each side of a switch keeps its own; a fiber starts with its
   creator's. */
START_TEST(test_fiber_fpmodes)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*f;
	struct fp_seen		 s;
	double			 down, up;
	int			 sse;

	(void)fesetround(FE_DOWNWARD);
	down = third();
	(void)fesetround(FE_UPWARD);
	up = third();
	/* valgrind computes with SSE in the default mode whatever MXCSR
	   says: then only the modes themselves can be compared */
	sse = down < up;
	ck_assert_ptr_nonnull(f = fiber_new(pool, fp_fn, &s));
	ck_assert_int_eq(fiber_resume(f), 1);
	ck_assert_int_eq(s.mode_at_start, FE_UPWARD);
	ck_assert_int_eq(fegetround(), FE_UPWARD);
	ck_assert(!sse || third() == up);
	ck_assert_int_eq(fiber_resume(f), 0);
	ck_assert_int_eq(s.mode_after, FE_DOWNWARD);
	ck_assert(!sse || s.third_after == down);
	ck_assert_int_eq(fegetround(), FE_UPWARD);
	(void)fesetround(FE_TONEAREST);
	fiber_free(f);
	fiber_pool_free(pool);
}
END_TEST

/* --- the pool --------------------------------------------------------- */

static void
where_fn(void *arg)
{
	uintptr_t	*page = arg;

	*page = frame_page();
	fiber_yield();
}

START_TEST(test_fiber_reuse)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 1);
	struct fiber		*f, *g;
	uintptr_t		 p1 = 0, p2 = 0, p3 = 0;

	ck_assert_uint_eq(fiber_pool_cached(pool), 0);
	ck_assert_ptr_nonnull(f = fiber_new(pool, where_fn, &p1));
	ck_assert_int_eq(fiber_resume(f), 1);
	ck_assert_int_eq(fiber_resume(f), 0);
	fiber_free(f);
	ck_assert_uint_eq(fiber_pool_cached(pool), 1);
	/* the cached stack is the next one used */
	ck_assert_ptr_nonnull(f = fiber_new(pool, where_fn, &p2));
	ck_assert_uint_eq(fiber_pool_cached(pool), 0);
	ck_assert_int_eq(fiber_resume(f), 1);
	ck_assert(p1 == p2);
	/* a second one needs a new stack */
	ck_assert_ptr_nonnull(g = fiber_new(pool, where_fn, &p3));
	ck_assert_int_eq(fiber_resume(g), 1);
	ck_assert(p3 != p1);
	/* one is cached, the other goes back to the kernel */
	fiber_free(f);
	fiber_free(g);
	ck_assert_uint_eq(fiber_pool_cached(pool), 1);
	fiber_free(NULL);
	fiber_pool_free(pool);
}
END_TEST

START_TEST(test_fiber_sizes)
{
	struct fiber_pool	*pool;
	size_t			 page = (size_t)getpagesize();

	ck_assert_ptr_nonnull(pool = fiber_pool_new(1, 0));
	ck_assert_uint_eq(fiber_stack_size(pool), 16 * 1024);
	fiber_pool_free(pool);
	ck_assert_ptr_nonnull(pool = fiber_pool_new(20000, 0));
	ck_assert_uint_eq(fiber_stack_size(pool),
	    (20000 + page - 1) / page * page);
	fiber_pool_free(pool);
	errno = 0;
	ck_assert_ptr_null(fiber_pool_new((size_t)1 << 40, 0));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(fiber_pool_new(STACK, UINT32_MAX));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(strcmp(fiber_impl, "x86_64") == 0 ||
	    strcmp(fiber_impl, "aarch64") == 0 ||
	    strcmp(fiber_impl, "ucontext") == 0);
}
END_TEST

/* Whether the page at p is in memory. */
static int
resident(uintptr_t p)
{
	unsigned char	vec = 0;

	ck_assert_int_eq(mincore((void *)p, (size_t)getpagesize(), &vec), 0);
	return vec & 1;
}

/* Cached stacks keep their pages; fiber_pool_trim() unmaps the extra. */
#define TRIM_N		12
#define TRIM_KEEP	8
START_TEST(test_fiber_cache_trim)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 32);
	struct fiber		*f[TRIM_N];
	uintptr_t		 top[TRIM_N];
	size_t			 i, n = TRIM_N;

	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(f[i] = fiber_new(pool, where_fn,
		    &top[i]));
		ck_assert_int_eq(fiber_resume(f[i]), 1);
		ck_assert(resident(top[i]));
	}
	for (i = 0; i < n; i++) {
		fiber_free(f[i]);
		ck_assert_msg(resident(top[i]), "stack %zu", i);
	}
	ck_assert_uint_eq(fiber_pool_cached(pool), n);
	ck_assert_uint_eq(fiber_pool_trim(pool, TRIM_KEEP), n - TRIM_KEEP);
	ck_assert_uint_eq(fiber_pool_cached(pool), TRIM_KEEP);
	/* the most recently freed went (LIFO), the others stay in memory */
	for (i = 0; i < TRIM_KEEP; i++)
		ck_assert_msg(resident(top[i]), "stack %zu", i);
	ck_assert_uint_eq(fiber_pool_trim(pool, TRIM_KEEP), 0);
	fiber_pool_free(pool);
}
END_TEST

/* --- freeing a suspended fiber --------------------------------------- */

static int	drop_after;

static void
drop_fn(void *arg)
{
	char	buf[512];	/* redzones around it under ASan */

	snprintf(buf, sizeof(buf), "%s", (const char *)arg);
	fiber_yield();
	drop_after = (int)strlen(buf);
}

static void
fill_fn(void *arg)
{
	volatile char	big[8192];
	size_t		i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)i;
	*(int *)arg = big[100];
}

START_TEST(test_fiber_free_suspended)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*f;
	int			 filled = 0, i;

	for (i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(f = fiber_new(pool, drop_fn, "dropped"));
		ck_assert_int_eq(fiber_resume(f), 1);
		fiber_free(f);
		ck_assert_uint_eq(fiber_pool_cached(pool), 1);
	}
	ck_assert_int_eq(drop_after, 0);	/* none of its code ran */
	/* its stack, reused, is clean (under ASan: no stale poison) */
	ck_assert_ptr_nonnull(f = fiber_new(pool, fill_fn, &filled));
	ck_assert_int_eq(fiber_resume(f), 0);
	ck_assert_int_eq(filled, 100);
	fiber_free(f);
	/* never started */
	ck_assert_ptr_nonnull(f = fiber_new(pool, fill_fn, &filled));
	fiber_free(f);
	ck_assert_uint_eq(fiber_pool_cached(pool), 1);
	fiber_pool_free(pool);
}
END_TEST

/* --- leaving frames without returning -------------------------------- */

static jmp_buf	jump_env;

static void __attribute__((noinline))
jump_deep(int n)
{
	char	buf[256];	/* poisoned redzones under ASan */

	snprintf(buf, sizeof(buf), "%d", n);
	if (n > 0)
		jump_deep(n - 1);
	else if (n == 0)
		longjmp(jump_env, 1);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static void
jump_fn(void *arg)
{
	int	*filled = arg;

	if (setjmp(jump_env) == 0)
		jump_deep(20);
	fiber_yield();
	/* the frames left by longjmp(3) are stack again */
	fill_fn(filled);
}

/*
 * longjmp(3) inside a fiber: ASan clears the frames it jumps over only
 * if it knows the fiber's stack (the switch annotations); otherwise it
 * says it ignores the jump and reports the next use of that stack.
 */
START_TEST(test_fiber_longjmp)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*f;
	int			 filled = 0;

	ck_assert_ptr_nonnull(f = fiber_new(pool, jump_fn, &filled));
	ck_assert_int_eq(fiber_resume(f), 1);
	ck_assert_int_eq(fiber_resume(f), 0);
	ck_assert_int_eq(filled, 100);
	fiber_free(f);
	fiber_pool_free(pool);
}
END_TEST

/* --- the guard page --------------------------------------------------- */

static volatile int	 overflow_stop = -1;
static uintptr_t	 guard_lo, guard_hi;
static char		 altstack[64 * 1024];

static int
overflow_recurse(int n)
{
	volatile char	buf[256];

	buf[0] = (char)n;
	if (n == overflow_stop)
		return 0;
	return overflow_recurse(n + 1) + buf[0];
}

static void
overflow_fn(void *arg)
{
	uintptr_t	top = frame_page() + (uintptr_t)getpagesize();
	size_t		size = *(size_t *)arg;

	guard_hi = top - size;
	guard_lo = guard_hi - (uintptr_t)getpagesize();
	(void)overflow_recurse(0);
}

/* WARNING: signal handler.  A fault in the guard page: die of it. */
static void
overflow_sighandler(int sig, siginfo_t *si, void *uc)
{
	struct sigaction	 sa;
	uintptr_t		 a = (uintptr_t)si->si_addr;

	if (a < guard_lo || a >= guard_hi)
		_exit(3);	/* a fault elsewhere: the test fails */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGSEGV, &sa, NULL);
	/* returning faults again, now fatal */
}

/* The permissions of the mapping that holds address a, from
   /proc/self/maps ("rw-p", "---p"); "" if none does. */
static void
map_perms(uintptr_t a, char perms[5])
{
	FILE		*fp;
	unsigned long	 lo, hi;
	char		 line[512], p[5];

	perms[0] = '\0';
	ck_assert_ptr_nonnull(fp = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 &&
		    a >= lo && a < hi) {
			memcpy(perms, p, 5);
			break;
		}
	fclose(fp);
}

/* Below each stack, and right against it, a page nobody may touch. */
START_TEST(test_fiber_guard_mapped)
{
	struct fiber_pool	*pool = fiber_pool_new(32 * 1024, 4);
	struct fiber		*f;
	uintptr_t		 page = (uintptr_t)getpagesize(), top = 0;
	size_t			 size = fiber_stack_size(pool);
	char			 perms[5];

	ck_assert_ptr_nonnull(f = fiber_new(pool, where_fn, &top));
	ck_assert_int_eq(fiber_resume(f), 1);
	top += page;		/* the frame was in the top page */
	map_perms(top - 1, perms);
	ck_assert_str_eq(perms, "rw-p");
	map_perms(top - size, perms);
	ck_assert_str_eq(perms, "rw-p");
	map_perms(top - size - 1, perms);
	ck_assert_str_eq(perms, "---p");
	map_perms(top - size - page, perms);
	ck_assert_str_eq(perms, "---p");
	fiber_free(f);
	fiber_pool_free(pool);
}
END_TEST

/* Forked: killed by SIGSEGV, from a fault inside the guard page. */
START_TEST(test_fiber_overflow)
{
	struct fiber_pool	*pool = fiber_pool_new(32 * 1024, 0);
	struct fiber		*f;
	struct sigaction	 sa;
	stack_t			 ss;
	size_t			 size = fiber_stack_size(pool);

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = overflow_sighandler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	ck_assert_ptr_nonnull(f = fiber_new(pool, overflow_fn, &size));
	(void)fiber_resume(f);
	ck_abort_msg("the overflow went unnoticed");
}
END_TEST

static void
big_fn(void *arg)
{
	volatile char	big[24 * 1024];
	size_t		i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)i;
	*(int *)arg = big[sizeof(big) - 1];
}

/* The whole stack is usable: most of it in one frame is fine. */
START_TEST(test_fiber_stack_usable)
{
	struct fiber_pool	*pool = fiber_pool_new(32 * 1024, 0);
	struct fiber		*f;
	int			 filled = 0;

	ck_assert_ptr_nonnull(f = fiber_new(pool, big_fn, &filled));
	ck_assert_int_eq(fiber_resume(f), 0);
	ck_assert_int_eq(filled, (char)(24 * 1024 - 1));
	fiber_free(f);
	fiber_pool_free(pool);
}
END_TEST

/* --- errors and misuse ------------------------------------------------ */

static void
nop_fn(void *arg)
{
	(void)arg;
}

/* Forked: no address space left for a stack is ENOMEM, nothing held. */
START_TEST(test_fiber_enomem)
{
	struct fiber_pool	*pool;
	struct rlimit		 rl;
	unsigned long		 vsz = 0;
	const char		*ckfork = getenv("CK_FORK");
	FILE			*fp;

#ifdef TEST_ASAN
	return;		/* ASan's allocator needs address space too */
#endif
	if (ckfork != NULL && strcmp(ckfork, "no") == 0)
		return;		/* the limit would outlive the test */
	ck_assert_ptr_nonnull(pool = fiber_pool_new(64 * 1024 * 1024, 4));
	ck_assert_ptr_nonnull(fp = fopen("/proc/self/statm", "r"));
	ck_assert_int_eq(fscanf(fp, "%lu", &vsz), 1);
	fclose(fp);
	rl.rlim_cur = rl.rlim_max = vsz * (rlim_t)getpagesize() + 1024 * 1024;
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
	errno = 0;
	ck_assert_ptr_null(fiber_new(pool, nop_fn, NULL));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(fiber_pool_cached(pool), 0);
	fiber_pool_free(pool);
}
END_TEST

/* Forked: resuming a done fiber aborts. */
START_TEST(test_fiber_resume_done)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*f = fiber_new(pool, nop_fn, NULL);

	ck_assert_int_eq(fiber_resume(f), 0);
	(void)fiber_resume(f);
}
END_TEST

static void
free_other_fn(void *arg)
{
	fiber_free(arg);
}

/* Forked: freeing a fiber from inside a fiber aborts. */
START_TEST(test_fiber_free_inside)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);
	struct fiber		*victim = fiber_new(pool, nop_fn, NULL);
	struct fiber		*f = fiber_new(pool, free_other_fn, victim);

	(void)fiber_resume(f);
}
END_TEST

/* Forked: a pool freed before its fibers aborts. */
START_TEST(test_fiber_pool_free_live)
{
	struct fiber_pool	*pool = fiber_pool_new(STACK, 4);

	ck_assert_ptr_nonnull(fiber_new(pool, nop_fn, NULL));
	fiber_pool_free(pool);
}
END_TEST

/* Forked: yielding from the main stack aborts. */
START_TEST(test_fiber_yield_main)
{
	fiber_yield();
}
END_TEST

static Suite *
fiber_suite(void)
{
	Suite	*s = suite_create("fiber");
	TCase	*tc;

	tc = tcase_create("switch");
	tcase_add_test(tc, test_fiber_pingpong);
	tcase_add_test(tc, test_fiber_self);
	tcase_add_test(tc, test_fiber_many);
	tcase_add_test(tc, test_fiber_registers);
	tcase_add_test(tc, test_fiber_fpmodes);
	tcase_add_test(tc, test_fiber_longjmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool");
	tcase_add_test(tc, test_fiber_reuse);
	tcase_add_test(tc, test_fiber_sizes);
	tcase_add_test(tc, test_fiber_cache_trim);
	tcase_add_test(tc, test_fiber_free_suspended);
	tcase_add_test(tc, test_fiber_enomem);
	suite_add_tcase(s, tc);

	tc = tcase_create("stack");
	tcase_add_test(tc, test_fiber_guard_mapped);
	tcase_add_test_raise_signal(tc, test_fiber_overflow, SIGSEGV);
	tcase_add_test(tc, test_fiber_stack_usable);
	suite_add_tcase(s, tc);

	tc = tcase_create("misuse");
	tcase_add_test_raise_signal(tc, test_fiber_resume_done, SIGABRT);
	tcase_add_test_raise_signal(tc, test_fiber_yield_main, SIGABRT);
	tcase_add_test_raise_signal(tc, test_fiber_free_inside, SIGABRT);
	tcase_add_test_raise_signal(tc, test_fiber_pool_free_live, SIGABRT);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(fiber_suite());
}
