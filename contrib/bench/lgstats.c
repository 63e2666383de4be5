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
 * lgstats.c: loadgen's figures.  Latencies go to a histogram exact below
 * 128 us and with 64 steps per octave above, so that percentiles cost a
 * fixed 1.7k counters per thread whatever the run's length.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lgstats.h"

static uint64_t	 hist_value(unsigned int i);

static const char *const errnames[E_NKINDS] = {
	"connect", "reset", "short", "wrong", "timeout", "io"
};

int
parse_num(const char *s, unsigned long min, unsigned long max,
    unsigned long *val)
{
	char		*end;
	unsigned long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*val = v;
	return 0;
}

int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

unsigned int
hist_index(uint64_t us)
{
	unsigned int	e;

	if (us < HIST_LINEAR)
		return (unsigned int)us;
	e = 63 - __builtin_clzll(us);		/* >= 7 */
	if (e > HIST_MAXEXP)
		return HIST_NBUCKETS - 1;
	return HIST_LINEAR + (e - 7) * HIST_SUB +
	    (unsigned int)((us >> (e - 6)) - HIST_SUB);
}

/* The middle of bucket i, in microseconds. */
static uint64_t
hist_value(unsigned int i)
{
	unsigned int	e, sub;

	if (i < HIST_LINEAR)
		return i;
	e = (i - HIST_LINEAR) / HIST_SUB + 7;
	sub = (i - HIST_LINEAR) % HIST_SUB;
	return ((uint64_t)(HIST_SUB + sub) << (e - 6)) +
	    ((1ULL << (e - 6)) >> 1);
}

uint64_t
hist_percentile(const struct stats *st, double p)
{
	uint64_t	rank, cum = 0;
	unsigned int	i;

	if (st->done == 0)
		return 0;
	rank = (uint64_t)(p * (double)st->done + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_NBUCKETS; i++) {
		cum += st->hist[i];
		if (cum >= rank)
			return hist_value(i);
	}
	return hist_value(HIST_NBUCKETS - 1);
}

void
stats_merge(struct stats *to, const struct stats *from)
{
	unsigned int	i;

	to->done += from->done;
	for (i = 0; i < E_NKINDS; i++)
		to->err[i] += from->err[i];
	to->lat_sum += from->lat_sum;
	if (from->lat_max > to->lat_max)
		to->lat_max = from->lat_max;
	for (i = 0; i < HIST_NBUCKETS; i++)
		to->hist[i] += from->hist[i];
}

/* The human line, then with csv the CSV line of loadgen -H's columns. */
void
stats_report(const struct stats *st, const char *proto, const char *mode,
    unsigned int conc, unsigned int threads, double secs, int csv)
{
	uint64_t	errors = 0;
	double		rate = secs > 0 ? (double)st->done / secs : 0.0;
	unsigned int	i;

	for (i = 0; i < E_NKINDS; i++)
		errors += st->err[i];
	printf("%s %s c=%u t=%u: %llu exchanges in %.2f s = %.1f/s, "
	    "latency us mean %llu p50 %llu p99 %llu max %llu; errors %llu",
	    proto, mode, conc, threads,
	    (unsigned long long)st->done, secs, rate,
	    (unsigned long long)(st->done ? st->lat_sum / st->done / 1000 : 0),
	    (unsigned long long)hist_percentile(st, 0.50),
	    (unsigned long long)hist_percentile(st, 0.99),
	    (unsigned long long)(st->lat_max / 1000),
	    (unsigned long long)errors);
	for (i = 0; i < E_NKINDS; i++)
		if (st->err[i] > 0)
			printf(" %s %llu", errnames[i],
			    (unsigned long long)st->err[i]);
	printf("\n");
	if (csv) {
		printf("%s,%s,%u,%u,%.3f,%llu,%.1f,%llu,%llu,%llu,%llu",
		    proto, mode, conc, threads, secs, (unsigned long long)st->done, rate,
		    (unsigned long long)(st->done ?
		    st->lat_sum / st->done / 1000 : 0),
		    (unsigned long long)hist_percentile(st, 0.50),
		    (unsigned long long)hist_percentile(st, 0.99),
		    (unsigned long long)(st->lat_max / 1000));
		for (i = 0; i < E_NKINDS; i++)
			printf(",%llu", (unsigned long long)st->err[i]);
		printf(",%llu\n", (unsigned long long)errors);
	}
}
