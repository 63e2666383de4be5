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
 * fiber.c: fibers (issue 11): the stacks, their pool, and the switch
 * between the main stack and a fiber.
 *
 * Owns struct fiber and struct fiber_pool.  Runs in a worker (any
 * process, in fact: it knows nothing of the daemon).  Leaf: errors are
 * returned (NULL and errno), never logged; a broken rule of the API
 * (resuming a done fiber, yielding from the main stack) aborts, as an
 * assertion would.
 *
 * The switch saves the callee-saved registers on the stack it leaves and
 * swaps stack pointers; nothing else, and no system call.  x86_64 and
 * aarch64 have it in assembly (fiber_x86_64.S, fiber_aarch64.S); any
 * other architecture, or a build with -DFIBER_UCONTEXT, uses
 * swapcontext(3), which is slower (glibc's saves the signal mask with a
 * system call at every switch).
 *
 * Stacks: mmap(2)ed, a PROT_NONE guard page at the low end (a stack
 * overflow is a SIGSEGV, not a write into a neighbour), MAP_NORESERVE
 * (only the pages a fiber touches cost memory).  A freed fiber's stack
 * goes to its pool's cache, a LIFO of at most max_cached stacks that keep
 * their pages (no system call on the way in or out: a madvise(2) per
 * release cost 200 us in a VM, where it shoots down TLBs); beyond
 * max_cached a stack is unmapped.  After a burst, the owner gives the
 * idle memory back with fiber_pool_trim(), at its own pace.  Each stack is two mappings of the
 * kernel (vm.max_map_count, 65530 by default, bounds a process to about
 * 32,000 fibers).
 *
 * Sanitizers: under AddressSanitizer every switch is announced
 * (__sanitizer_start_switch_fiber() before, _finish_ after, NULL as the
 * fake stack when a fiber leaves for good) and a stack's shadow is
 * cleared when it is released (a fiber that never returns leaves its
 * frames' redzones poisoned).  Freeing a suspended fiber under ASan
 * resumes it once, into the end of fiber_yield(), which leaves for good
 * without running any of the fiber's code: that is how its fake stack is
 * destroyed.  Under valgrind each stack is registered
 * (VALGRIND_STACK_REGISTER) for as long as it is mapped.
 */

#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fiber.h"

#if defined(FIBER_UCONTEXT)
#define FIBER_IMPL	"ucontext"
#elif defined(__x86_64__) && defined(__LP64__)
#define FIBER_IMPL	"x86_64"
#elif defined(__aarch64__) && defined(__LP64__)
#define FIBER_IMPL	"aarch64"
#else
#define FIBER_UCONTEXT	1
#define FIBER_IMPL	"ucontext"
#endif

#ifdef FIBER_UCONTEXT
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN	1
#endif
#endif

#ifdef FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define ASAN_START(save, bottom, size)					\
	__sanitizer_start_switch_fiber((save), (bottom), (size))
#define ASAN_FINISH(save, bottom, size)					\
	__sanitizer_finish_switch_fiber((save), (bottom), (size))
#define ASAN_UNPOISON(p, len)	ASAN_UNPOISON_MEMORY_REGION((p), (len))
#else
#define ASAN_START(save, bottom, size)	do { } while (0)
#define ASAN_FINISH(save, bottom, size)	do { } while (0)
#define ASAN_UNPOISON(p, len)		do { } while (0)
#endif

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#define VG_REGISTER(lo, hi)	VALGRIND_STACK_REGISTER((lo), (hi))
#define VG_DEREGISTER(id)	VALGRIND_STACK_DEREGISTER(id)
#else
#define VG_REGISTER(lo, hi)	0
#define VG_DEREGISTER(id)	do { (void)(id); } while (0)
#endif

#define FIBER_STACK_MIN		(16 * 1024)
#define FIBER_STACK_MAX		((size_t)1 << 30)
#define FIBER_CACHED_MAX	(1U << 20)

enum fiber_state {
	FIBER_NEW,		/* never resumed */
	FIBER_RUNNING,
	FIBER_SUSPENDED,	/* in fiber_yield() */
	FIBER_DONE		/* fn returned */
};

struct fiber_stack {
	char		*map;		/* guard page, then the stack */
	unsigned int	 vgid;		/* valgrind's id for the stack */
};

struct fiber {
#ifdef FIBER_UCONTEXT
	ucontext_t	 uc;		/* the fiber, while it is not running */
	ucontext_t	 caller_uc;	/* the scheduler, while it runs */
#else
	void		*sp;		/* the fiber, while it is not running */
	void		*caller_sp;	/* the scheduler, while it runs */
#endif
	struct fiber_pool *pool;
	struct fiber_stack stack;
	void		(*fn)(void *);
	void		*arg;
	enum fiber_state state;
#ifdef FIBER_ASAN
	void		*fake;		/* its fake stack, while suspended */
	const void	*caller_bottom;	/* the scheduler's stack */
	size_t		 caller_size;
	int		 cancel;	/* fiber_free() while suspended */
#endif
};

struct fiber_pool {
	size_t		 page;
	size_t		 stack_size;	/* usable, page multiple */
	unsigned int	 max_cached;
	unsigned int	 ncached;
	size_t		 nfibers;	/* not freed yet */
	struct fiber_stack *cache;	/* LIFO, max_cached long */
};

const char	 fiber_impl[] = FIBER_IMPL;

static _Thread_local struct fiber *fiber_current;

static int	 stack_map(struct fiber_pool *pool, struct fiber_stack *st);
static void	 stack_unmap(struct fiber_pool *pool, struct fiber_stack *st);
static void	 stack_release(struct fiber_pool *pool,
		    struct fiber_stack *st);
static int	 ctx_init(struct fiber *f);
static void	 ctx_enter(struct fiber *f);
static void	 ctx_leave(struct fiber *f);
static void	 fiber_entry(void *arg);
static void	 fiber_exit(struct fiber *f) __attribute__((noreturn));

#ifdef FIBER_UCONTEXT
static void	 fiber_uc_entry(void);
#else
/* fiber_<arch>.S */
void		*fiber_arch_make(void *top, void (*entry)(void *), void *arg);
void		 fiber_arch_switch(void **save_sp, void *to_sp);
#endif

/* The lowest usable byte of f's stack. */
static inline char *
stack_bottom(const struct fiber *f)
{
	return f->stack.map + f->pool->page;
}

struct fiber_pool *
fiber_pool_new(size_t stack_size, unsigned int max_cached)
{
	struct fiber_pool	*pool;
	long			 page;

	if (stack_size > FIBER_STACK_MAX || max_cached > FIBER_CACHED_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((page = sysconf(_SC_PAGESIZE)) <= 0)
		page = 4096;
	if (stack_size < FIBER_STACK_MIN)
		stack_size = FIBER_STACK_MIN;
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return NULL;
	pool->page = (size_t)page;
	pool->stack_size = (stack_size + pool->page - 1) & ~(pool->page - 1);
	pool->max_cached = max_cached;
	if (max_cached > 0 &&
	    (pool->cache = calloc(max_cached, sizeof(*pool->cache))) == NULL) {
		free(pool);
		return NULL;
	}
	return pool;
}

void
fiber_pool_free(struct fiber_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->nfibers != 0)
		abort();
	while (pool->ncached > 0)
		stack_unmap(pool, &pool->cache[--pool->ncached]);
	free(pool->cache);
	free(pool);
}

size_t
fiber_stack_size(const struct fiber_pool *pool)
{
	return pool->stack_size;
}

size_t
fiber_pool_cached(const struct fiber_pool *pool)
{
	return pool->ncached;
}

static int
stack_map(struct fiber_pool *pool, struct fiber_stack *st)
{
	size_t	 len = pool->page + pool->stack_size;
	char	*p;
	int	 saved;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (mprotect(p, pool->page, PROT_NONE) == -1) {
		saved = errno;
		(void)munmap(p, len);
		errno = saved;
		return -1;
	}
	st->map = p;
	st->vgid = VG_REGISTER(p + pool->page, p + len - 1);
	return 0;
}

static void
stack_unmap(struct fiber_pool *pool, struct fiber_stack *st)
{
	VG_DEREGISTER(st->vgid);
	(void)munmap(st->map, pool->page + pool->stack_size);
	st->map = NULL;
}

/* A stack no fiber uses any more: to the cache, or back to the kernel. */
static void
stack_release(struct fiber_pool *pool, struct fiber_stack *st)
{
	/* Frames that never returned leave their redzones poisoned. */
	ASAN_UNPOISON(st->map + pool->page, pool->stack_size);
	if (pool->ncached == pool->max_cached) {
		stack_unmap(pool, st);
		return;
	}
	pool->cache[pool->ncached++] = *st;
}

/* Unmap the cached stacks beyond keep; returns how many went. */
size_t
fiber_pool_trim(struct fiber_pool *pool, size_t keep)
{
	size_t	n = 0;

	while (pool->ncached > keep) {
		stack_unmap(pool, &pool->cache[--pool->ncached]);
		n++;
	}
	return n;
}

struct fiber *
fiber_new(struct fiber_pool *pool, void (*fn)(void *), void *arg)
{
	struct fiber	*f;
	int		 saved;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->pool = pool;
	f->fn = fn;
	f->arg = arg;
	f->state = FIBER_NEW;
	if (pool->ncached > 0)
		f->stack = pool->cache[--pool->ncached];
	else if (stack_map(pool, &f->stack) == -1) {
		saved = errno;
		free(f);
		errno = saved;
		return NULL;
	}
	if (ctx_init(f) == -1) {
		saved = errno;
		stack_release(pool, &f->stack);
		free(f);
		errno = saved;
		return NULL;
	}
	pool->nfibers++;
	return f;
}

void
fiber_free(struct fiber *f)
{
	if (f == NULL)
		return;
	if (fiber_current != NULL || f->state == FIBER_RUNNING)
		abort();
#ifdef FIBER_ASAN
	if (f->state == FIBER_SUSPENDED) {
		/* Into fiber_yield(), which leaves for good: the fake
		   stack is destroyed, none of the fiber's code runs. */
		f->cancel = 1;
		(void)fiber_resume(f);
	}
#endif
	stack_release(f->pool, &f->stack);
	f->pool->nfibers--;
	free(f);
}

struct fiber *
fiber_self(void)
{
	return fiber_current;
}

int
fiber_resume(struct fiber *f)
{
#ifdef FIBER_ASAN
	void	*fake = NULL;	/* the scheduler's fake stack */
#endif

	if (fiber_current != NULL || f->state == FIBER_RUNNING ||
	    f->state == FIBER_DONE)
		abort();
	f->state = FIBER_RUNNING;
	fiber_current = f;
	ASAN_START(&fake, stack_bottom(f), f->pool->stack_size);
	ctx_enter(f);
	ASAN_FINISH(fake, NULL, NULL);
	fiber_current = NULL;
	return f->state == FIBER_SUSPENDED;
}

void
fiber_yield(void)
{
	struct fiber	*f = fiber_current;

	if (f == NULL)
		abort();
	f->state = FIBER_SUSPENDED;
	ASAN_START(&f->fake, f->caller_bottom, f->caller_size);
	ctx_leave(f);
	ASAN_FINISH(f->fake, &f->caller_bottom, &f->caller_size);
#ifdef FIBER_ASAN
	if (f->cancel)
		fiber_exit(f);
#endif
}

/* The first code on a new fiber's stack. */
static void
fiber_entry(void *arg)
{
	struct fiber	*f = arg;

	ASAN_FINISH(NULL, &f->caller_bottom, &f->caller_size);
	f->fn(f->arg);
	fiber_exit(f);
}

/* Leave f for good: back to the scheduler, which never comes back. */
static void
fiber_exit(struct fiber *f)
{
	f->state = FIBER_DONE;
	ASAN_START(NULL, f->caller_bottom, f->caller_size);
	ctx_leave(f);
	abort();
	/* NOTREACHED */
}

#ifdef FIBER_UCONTEXT

static void
fiber_uc_entry(void)
{
	fiber_entry(fiber_current);
}

static int
ctx_init(struct fiber *f)
{
	if (getcontext(&f->uc) == -1)
		return -1;
	f->uc.uc_stack.ss_sp = stack_bottom(f);
	f->uc.uc_stack.ss_size = f->pool->stack_size;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, fiber_uc_entry, 0);
	return 0;
}

static void
ctx_enter(struct fiber *f)
{
	if (swapcontext(&f->caller_uc, &f->uc) == -1)
		abort();
}

static void
ctx_leave(struct fiber *f)
{
	if (swapcontext(&f->uc, &f->caller_uc) == -1)
		abort();
}

#else /* !FIBER_UCONTEXT */

static int
ctx_init(struct fiber *f)
{
	f->sp = fiber_arch_make(stack_bottom(f) + f->pool->stack_size,
	    fiber_entry, f);
	return 0;
}

static void
ctx_enter(struct fiber *f)
{
	fiber_arch_switch(&f->caller_sp, f->sp);
}

static void
ctx_leave(struct fiber *f)
{
	fiber_arch_switch(&f->sp, f->caller_sp);
}

#endif /* FIBER_UCONTEXT */
