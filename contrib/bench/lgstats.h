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
 * lgstats.h: loadgen's latency histogram, counters and report
 * (lgstats.c), apart from its event loop (loadgen.c).
 */

#ifndef LGSTATS_H
#define LGSTATS_H

#include <stdint.h>

#define NSEC		1000000000LL
#define MSEC		1000000LL

/* Latency histogram: exact below 128 us, then 64 steps per octave. */
#define HIST_LINEAR	128
#define HIST_SUB	64
#define HIST_MAXEXP	31
#define HIST_NBUCKETS	(HIST_LINEAR + (HIST_MAXEXP - 6) * HIST_SUB)

/* Error kinds, also the stats counter indices. */
enum errkind {
	E_CONNECT,		/* socket, connect or SO_ERROR failed */
	E_RESET,		/* ECONNRESET, EPIPE */
	E_SHORT,		/* end of file before the whole answer */
	E_WRONG,		/* a wrong byte, or bytes too many */
	E_TIMEOUT,		/* an exchange stuck longer than -T */
	E_IO,			/* any other errno on read or write */
	E_NKINDS
};


struct stats {
	uint64_t	 done;		/* exchanges counted */
	uint64_t	 err[E_NKINDS];
	uint64_t	 lat_sum;	/* ns */
	uint64_t	 lat_max;	/* ns */
	uint64_t	 hist[HIST_NBUCKETS];
};

int		 parse_num(const char *s, unsigned long min, unsigned long max,
		    unsigned long *val);
int64_t		 now_ns(void);
unsigned int	 hist_index(uint64_t us);
uint64_t	 hist_percentile(const struct stats *st, double p);
void		 stats_merge(struct stats *to, const struct stats *from);
void		 stats_report(const struct stats *st, const char *proto,
		    const char *mode, unsigned int conc, unsigned int threads,
		    double secs, int csv);

#endif /* LGSTATS_H */
