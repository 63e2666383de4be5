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
 * check_worker.c: unit tests of worker.c: the per-worker request cap drawn
 * from max_requests and max_requests_jitter (worker_request_cap).
 */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <check.h>

#include "preforkd.h"
#include "testutil.h"

static Suite	*worker_suite(void);

#define CAP_MAX		1000000000U	/* conf.c's range for both options */
#define NRANDOM		200000

static const unsigned int	maxes[] = { 1, 2, 7, 100, 1000, 65535,
				    999999999, CAP_MAX };
static const unsigned int	jitters[] = { 1, 2, 3, 10, 99, 1000,
				    65536, 999999999, CAP_MAX };
static const uint32_t		edges[] = { 0, 1, 2, 0x7fffffffU,
				    0x80000000U, UINT32_MAX - 1, UINT32_MAX };

START_TEST(test_worker_cap_zero_max)
{
	uint32_t	st = 0x2545f491, r;
	size_t		i, j;

	ck_assert_uint_eq(worker_request_cap(0, 0, 0), 0);
	for (i = 0; i < sizeof(jitters) / sizeof(jitters[0]); i++) {
		for (j = 0; j < sizeof(edges) / sizeof(edges[0]); j++)
			ck_assert_uint_eq(worker_request_cap(0, jitters[i],
			    edges[j]), 0);
		for (j = 0; j < 1000; j++) {
			r = tu_rand(&st);
			if (worker_request_cap(0, jitters[i], r) != 0)
				ck_abort_msg("max 0 jitter %u rnd %u: cap %lu",
				    jitters[i], r, worker_request_cap(0,
				    jitters[i], r));
		}
	}
}
END_TEST

START_TEST(test_worker_cap_no_jitter)
{
	uint32_t	st = 0x9e3779b9, r;
	size_t		i, j;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		for (j = 0; j < sizeof(edges) / sizeof(edges[0]); j++)
			ck_assert_uint_eq(worker_request_cap(maxes[i], 0,
			    edges[j]), maxes[i]);
		for (j = 0; j < 1000; j++) {
			r = tu_rand(&st);
			if (worker_request_cap(maxes[i], 0, r) != maxes[i])
				ck_abort_msg("max %u jitter 0 rnd %u: cap %lu",
				    maxes[i], r, worker_request_cap(maxes[i], 0,
				    r));
		}
	}
}
END_TEST

/* Every cap lies in [max, max + jitter], whatever the random number. */
START_TEST(test_worker_cap_within_bounds)
{
	unsigned long	cap, lo, hi;
	uint32_t	st = 0xdeadbeef, r;
	size_t		i, j, k;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
		for (j = 0; j < sizeof(jitters) / sizeof(jitters[0]); j++) {
			lo = maxes[i];
			hi = (unsigned long)maxes[i] + jitters[j];
			for (k = 0; k < sizeof(edges) / sizeof(edges[0]) +
			    2000; k++) {
				r = k < sizeof(edges) / sizeof(edges[0]) ?
				    edges[k] : tu_rand(&st);
				cap = worker_request_cap(maxes[i], jitters[j],
				    r);
				if (cap < lo || cap > hi)
					ck_abort_msg("max %u jitter %u rnd %u: "
					    "cap %lu not in [%lu, %lu]",
					    maxes[i], jitters[j], r, cap, lo,
					    hi);
			}
		}
}
END_TEST

/*
 * Both bounds are reachable: rnd 0 gives max, rnd == jitter gives
 * max + jitter (the cap is max + rnd % (jitter + 1)).
 */
START_TEST(test_worker_cap_bounds_reachable)
{
	size_t	i, j;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
		for (j = 0; j < sizeof(jitters) / sizeof(jitters[0]); j++) {
			ck_assert_uint_eq(worker_request_cap(maxes[i],
			    jitters[j], 0), maxes[i]);
			ck_assert_uint_eq(worker_request_cap(maxes[i],
			    jitters[j], jitters[j]),
			    (unsigned long)maxes[i] + jitters[j]);
			ck_assert_uint_eq(worker_request_cap(maxes[i],
			    jitters[j], jitters[j] + 1), maxes[i]);
		}
}
END_TEST

/* With a small jitter, random numbers hit every value of the range. */
START_TEST(test_worker_cap_spread)
{
	unsigned int	seen[11] = { 0 };
	unsigned long	cap;
	uint32_t	st = 12345;
	size_t		i;

	for (i = 0; i < NRANDOM; i++) {
		cap = worker_request_cap(100, 10, tu_rand(&st));
		if (cap < 100 || cap > 110)
			ck_abort_msg("max 100 jitter 10: cap %lu", cap);
		seen[cap - 100]++;
	}
	for (i = 0; i < 11; i++)
		ck_assert_msg(seen[i] > NRANDOM / 11 / 2, "cap %zu drawn %u "
		    "times in %d", 100 + i, seen[i], NRANDOM);
}
END_TEST

/* The largest configurable values: no wrap-around of max + jitter. */
START_TEST(test_worker_cap_no_overflow)
{
	unsigned long	cap;
	uint32_t	st = 777;
	size_t		i;

	ck_assert_uint_eq(worker_request_cap(CAP_MAX, CAP_MAX, 0), CAP_MAX);
	ck_assert_uint_eq(worker_request_cap(CAP_MAX, CAP_MAX, CAP_MAX),
	    2000000000UL);
	ck_assert_uint_eq(worker_request_cap(CAP_MAX, CAP_MAX, UINT32_MAX),
	    CAP_MAX + UINT32_MAX % (CAP_MAX + 1UL));
	ck_assert_uint_eq(worker_request_cap(CAP_MAX, CAP_MAX, CAP_MAX + 1),
	    CAP_MAX);
	for (i = 0; i < 10000; i++) {
		cap = worker_request_cap(CAP_MAX, CAP_MAX, tu_rand(&st));
		if (cap < CAP_MAX || cap > 2000000000UL)
			ck_abort_msg("max and jitter %u: cap %lu", CAP_MAX,
			    cap);
	}
#if ULONG_MAX > UINT32_MAX
	/* even beyond the configurable range, with a 64-bit long */
	ck_assert_uint_eq(worker_request_cap(UINT32_MAX, UINT32_MAX,
	    UINT32_MAX), 2UL * UINT32_MAX);
#endif
	ck_assert_uint_eq(worker_request_cap(UINT32_MAX, 0, UINT32_MAX),
	    UINT32_MAX);
}
END_TEST

static int
abi_serve(struct handler_conn *conn)
{
	return HANDLER_OK;
}

/* What a worker accepts of a loaded module's struct handler. */
static int
abi_yes(const char *const *args)
{
	(void)args;
	return 1;
}

START_TEST(test_worker_abi_check)
{
	struct handler	h = { HANDLER_HEADER, .name = "m",
			    .serve = abi_serve };
	char		err[256], want[128];

	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), 0);
	/* a larger struct of a future ABI is refused, naming both */
	h.abi = HANDLER_ABI_VERSION + 1;
	h.size = sizeof(h) + 64;
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "built for handler ABI %d, this "
	    "preforkd has ABI %d", HANDLER_ABI_VERSION + 1,
	    HANDLER_ABI_VERSION);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	/* an older one than we load */
	h.abi = HANDLER_ABI_MIN - 1;
	h.size = sizeof(h);
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "rebuild the module") != NULL, "%s", err);
	/* a size too small for its ABI: it did not use HANDLER_HEADER */
	h.abi = HANDLER_ABI_VERSION;
	h.size = 8;
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "HANDLER_HEADER") != NULL, "%s", err);
	/* a larger size of our own ABI is fine: reserved members */
	h.size = sizeof(h) + 64;
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), 0);
	/* no serve(), no name */
	h.size = sizeof(h);
	h.serve = NULL;
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "serve()") != NULL, "%s", err);
	h.serve = abi_serve;
	h.name = "";
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "a name") != NULL, "%s", err);
	h.name = "m";
	/* ABI 2, built before multiplex() existed: loaded, never
	   multiplexed, whatever lies past its size */
	h.abi = 2;
	h.size = offsetof(struct handler, multiplex);
	h.multiplex = abi_yes;
	ck_assert_int_eq(handler_abi_check(&h, err, sizeof(err)), 0);
	ck_assert_int_eq(handler_multiplexes(&h, NULL), 0);
	h.abi = HANDLER_ABI_VERSION;
	h.size = sizeof(h);
	ck_assert_int_eq(handler_multiplexes(&h, NULL), 1);
	h.multiplex = NULL;
	ck_assert_int_eq(handler_multiplexes(&h, NULL), 0);
}
END_TEST

static Suite *
worker_suite(void)
{
	Suite	*s = suite_create("worker");
	TCase	*tc;

	tc = tcase_create("request_cap");
	tcase_add_test(tc, test_worker_cap_zero_max);
	tcase_add_test(tc, test_worker_cap_no_jitter);
	tcase_add_test(tc, test_worker_cap_within_bounds);
	tcase_add_test(tc, test_worker_cap_bounds_reachable);
	tcase_add_test(tc, test_worker_cap_spread);
	tcase_add_test(tc, test_worker_cap_no_overflow);
	suite_add_tcase(s, tc);
	tc = tcase_create("abi");
	tcase_add_test(tc, test_worker_abi_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(worker_suite());
}
