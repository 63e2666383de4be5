/* incr.h: the incr frame state machine, shared with tests and benchmarks. */

#ifndef PREFORKD_INCR_H
#define PREFORKD_INCR_H

#include <stddef.h>

#define INCR_WAIT	0	/* outside a frame */
#define INCR_IN		1	/* inside ^...$ */

/*
 * Feed n input bytes through the frame state machine; the answer bytes
 * (at most n) go to out and their count is returned.
 */
size_t	incr_feed(int *state, const unsigned char *in, size_t n,
	    unsigned char *out);

/* The same, counting in *frames the frames closed by these bytes. */
size_t	incr_feed_frames(int *state, const unsigned char *in, size_t n,
	    unsigned char *out, size_t *frames);

/* The benchmark payload of frames closed frames: burn_us microseconds of
   CPU, then sleep_us asleep, for each (service_args; contrib/models). */
void	incr_payload(long burn_us, long sleep_us, size_t frames);

#endif /* PREFORKD_INCR_H */
