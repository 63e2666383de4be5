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
 * fiber.h: user-level context switches (issue 11).  Asymmetric
 * coroutines: the scheduler, on the thread's own stack, resumes a fiber;
 * the fiber runs until it yields (back to the scheduler) or its function
 * returns.  A switch makes no system call.  Each fiber has its own
 * mmap(2)ed stack with a guard page below it, taken from and given back
 * to a pool that caches stacks.
 *
 * Rules: only code on the main stack resumes (no fiber resumes another);
 * only code inside a fiber yields.  A pool and its fibers belong to one
 * thread.  Leaf module: errors by return value and errno, never logs.
 */

#ifndef PREFORKD_FIBER_H
#define PREFORKD_FIBER_H

#include <stddef.h>

struct fiber;
struct fiber_pool;

/* Stacks worth keeping cached when idle (fiber_pool_trim()'s floor). */
#define FIBER_POOL_WARM		8

/* Which switch was built in: "x86_64", "aarch64" or "ucontext". */
extern const char	 fiber_impl[];

/*
 * A pool of stacks of stack_size bytes each (rounded up to pages, at
 * least 16 KiB, plus a guard page), keeping at most max_cached freed ones
 * for reuse.  NULL and errno (EINVAL, ENOMEM) on failure.
 */
struct fiber_pool	*fiber_pool_new(size_t stack_size,
			    unsigned int max_cached);
/* Every fiber of the pool must be freed first (it aborts otherwise). */
void			 fiber_pool_free(struct fiber_pool *pool);
size_t			 fiber_stack_size(const struct fiber_pool *pool);
/* Stacks held for reuse. */
size_t			 fiber_pool_cached(const struct fiber_pool *pool);
/* Unmap the cached stacks beyond keep (their memory goes back to the
   kernel); returns how many. */
size_t			 fiber_pool_trim(struct fiber_pool *pool, size_t keep);

/* A fiber that will run fn(arg) at its first resume.  NULL and errno
   (ENOMEM) on failure. */
struct fiber		*fiber_new(struct fiber_pool *pool,
			    void (*fn)(void *), void *arg);
/* From the main stack: run f until it yields (1) or fn returns (0: f is
   done).  Resuming a done fiber, or from inside a fiber, aborts. */
int			 fiber_resume(struct fiber *f);
/* From inside a fiber: back to the fiber_resume() that ran it. */
void			 fiber_yield(void);
/* The running fiber, NULL on the main stack. */
struct fiber		*fiber_self(void);
/*
 * Free f, from the main stack (it aborts inside a fiber), and give its
 * stack back to the pool.  f may be done, never started, or suspended: a
 * suspended fiber's stack is dropped as it is, without running any more
 * of its code (no cleanup of its own runs, so whatever it holds must be
 * released by the caller: the worker drops a connection).  NULL is
 * ignored.
 */
void			 fiber_free(struct fiber *f);

#endif /* PREFORKD_FIBER_H */
