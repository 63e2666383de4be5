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
 * check_incr.c: unit tests of the incr frame state machine (incr_feed):
 * the protocol examples, frame edges, wrap-around, and the same answer
 * whatever the chunking of the input (byte by byte, random chunks).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "preforkd.h"
#include "handlers/incr.h"
#include "testutil.h"

#define NITER		500	/* random inputs per chunk size */
#define MAXLEN		600	/* bytes in each */

/* The largest chunk for each run of the random test. */
static const size_t	maxchunks[] = { 2, 7, 64, 512 };

static Suite	*incr_suite(void);
static size_t	 feed_str(int *state, const char *in, unsigned char *out);
static size_t	 model(int *state, const unsigned char *in, size_t n,
		    unsigned char *out);
static size_t	 feed_chunked(int *state, const unsigned char *in, size_t n,
		    unsigned char *out, uint32_t *rnd, size_t maxchunk);
static void	 random_input(uint32_t *rnd, unsigned char *buf, size_t n);

/* Feed a C string in one call; out gets a terminating NUL too. */
static size_t
feed_str(int *state, const char *in, unsigned char *out)
{
	size_t	o;

	o = incr_feed(state, (const unsigned char *)in, strlen(in), out);
	ck_assert_uint_le(o, strlen(in));
	out[o] = '\0';
	return o;
}

/* An independent statement of the protocol, to compare with. */
static size_t
model(int *state, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (!*state && in[i] == '^')
			*state = 1;
		else if (*state && in[i] == '$')
			*state = 0;
		else if (*state)
			out[o++] = (in[i] + 1) & 0xff;
	}
	return o;
}

/*
 * Feed in chunks of 1 to maxchunk bytes, each through an exactly sized
 * heap buffer (so that AddressSanitizer sees any write past n).
 */
static size_t
feed_chunked(int *state, const unsigned char *in, size_t n,
    unsigned char *out, uint32_t *rnd, size_t maxchunk)
{
	unsigned char	*chunk, *cout;
	size_t		 off = 0, len, o = 0, got;

	while (off < n) {
		len = maxchunk == 1 ? 1 : 1 + tu_rand(rnd) % maxchunk;
		if (len > n - off)
			len = n - off;
		chunk = malloc(len);
		cout = malloc(len);
		if (chunk == NULL || cout == NULL)
			ck_abort_msg("out of memory");
		memcpy(chunk, in + off, len);
		got = incr_feed(state, chunk, len, cout);
		if (got > len)
			ck_abort_msg("%zu bytes out for %zu in", got, len);
		memcpy(out + o, cout, got);
		o += got;
		off += len;
		free(chunk);
		free(cout);
	}
	return o;
}

/* Random bytes, rich in '^' and '$' so that frames open and close. */
static void
random_input(uint32_t *rnd, unsigned char *buf, size_t n)
{
	size_t		i;
	uint32_t	r;

	for (i = 0; i < n; i++) {
		r = tu_rand(rnd);
		switch (r % 8) {
		case 0:
			buf[i] = '^';
			break;
		case 1:
			buf[i] = '$';
			break;
		default:
			buf[i] = (r >> 8) & 0xff;
		}
	}
}

/* The example session of the protocol, the state carried across calls. */
START_TEST(test_incr_example_session)
{
	unsigned char	out[64];
	int		state = INCR_WAIT;

	ck_assert_uint_eq(feed_str(&state, "^abc$de^abte$f", out), 7);
	ck_assert_str_eq((char *)out, "bcdbcuf");
	ck_assert_int_eq(state, INCR_WAIT);
	ck_assert_uint_eq(feed_str(&state, "xyz^123", out), 3);
	ck_assert_str_eq((char *)out, "234");
	ck_assert_int_eq(state, INCR_IN);
	ck_assert_uint_eq(feed_str(&state, "25$^ab0000$abab", out), 8);
	ck_assert_str_eq((char *)out, "36bc1111");
	ck_assert_int_eq(state, INCR_WAIT);
}
END_TEST

START_TEST(test_incr_outside_frame_ignored)
{
	unsigned char	out[64];
	int		state = INCR_WAIT;

	ck_assert_uint_eq(feed_str(&state, "hello, world\r\n", out), 0);
	ck_assert_int_eq(state, INCR_WAIT);
	/* a '$' outside a frame neither opens nor closes anything */
	ck_assert_uint_eq(feed_str(&state, "$$ab$", out), 0);
	ck_assert_int_eq(state, INCR_WAIT);
	ck_assert_uint_eq(feed_str(&state, "$x^a$y$z", out), 1);
	ck_assert_str_eq((char *)out, "b");
	ck_assert_int_eq(state, INCR_WAIT);
	/* NUL bytes outside a frame too */
	ck_assert_uint_eq(incr_feed(&state, (const unsigned char *)"\0\0\0",
	    3, out), 0);
	ck_assert_int_eq(state, INCR_WAIT);
}
END_TEST

START_TEST(test_incr_caret_in_frame_is_data)
{
	unsigned char	out[64];
	int		state = INCR_WAIT;

	ck_assert_uint_eq(feed_str(&state, "^^$", out), 1);
	ck_assert_str_eq((char *)out, "_");
	ck_assert_uint_eq(feed_str(&state, "^a^^b$", out), 4);
	ck_assert_str_eq((char *)out, "b__c");
	ck_assert_int_eq(state, INCR_WAIT);
}
END_TEST

START_TEST(test_incr_wraps_0xff)
{
	const unsigned char	in[] = { '^', 0xff, 0x00, 0xfe, 0x7f, '$',
				    0xff };
	unsigned char		out[sizeof(in)];
	int			state = INCR_WAIT;

	ck_assert_uint_eq(incr_feed(&state, in, sizeof(in), out), 4);
	ck_assert_uint_eq(out[0], 0x00);
	ck_assert_uint_eq(out[1], 0x01);
	ck_assert_uint_eq(out[2], 0xff);
	ck_assert_uint_eq(out[3], 0x80);
	ck_assert_int_eq(state, INCR_WAIT);
}
END_TEST

/* Every byte value: '$' closes, anything else comes back plus one. */
START_TEST(test_incr_every_byte)
{
	unsigned char	in[1], out[1];
	int		state, c;

	for (c = 0; c < 256; c++) {
		state = INCR_IN;
		in[0] = c;
		out[0] = 0xaa;
		if (c == '$') {
			ck_assert_uint_eq(incr_feed(&state, in, 1, out), 0);
			ck_assert_int_eq(state, INCR_WAIT);
			ck_assert_uint_eq(out[0], 0xaa);
		} else {
			ck_assert_uint_eq(incr_feed(&state, in, 1, out), 1);
			ck_assert_int_eq(state, INCR_IN);
			ck_assert_uint_eq(out[0], (c + 1) & 0xff);
		}
		state = INCR_WAIT;
		ck_assert_uint_eq(incr_feed(&state, in, 1, out), 0);
		ck_assert_int_eq(state, c == '^' ? INCR_IN : INCR_WAIT);
	}
}
END_TEST

START_TEST(test_incr_empty_input)
{
	unsigned char	out[1] = { 0xaa };
	int		state = INCR_IN;

	ck_assert_uint_eq(incr_feed(&state, out, 0, out), 0);
	ck_assert_int_eq(state, INCR_IN);
	state = INCR_WAIT;
	ck_assert_uint_eq(incr_feed(&state, out, 0, out), 0);
	ck_assert_int_eq(state, INCR_WAIT);
	ck_assert_uint_eq(out[0], 0xaa);
}
END_TEST

/* The example session byte by byte: the same answer, byte for byte. */
START_TEST(test_incr_example_byte_by_byte)
{
	const char	*in = "^abc$de^abte$fxyz^12325$^ab0000$abab";
	unsigned char	 out[64];
	uint32_t	 rnd = 1;
	size_t		 o;
	int		 state = INCR_WAIT;

	o = feed_chunked(&state, (const unsigned char *)in, strlen(in), out,
	    &rnd, 1);
	ck_assert_uint_eq(o, 7 + 3 + 8);
	out[o] = '\0';
	ck_assert_str_eq((char *)out, "bcdbcuf23436bc1111");
	ck_assert_int_eq(state, INCR_WAIT);
}
END_TEST

/*
 * Random inputs fed at once, byte by byte and in random chunks give the
 * same answer and the same final state, and agree with the model.
 */
START_TEST(test_incr_chunking_invariant)
{
	unsigned char	in[MAXLEN], whole[MAXLEN], bytes[MAXLEN],
			chunks[MAXLEN], want[MAXLEN];
	uint32_t	rnd = 0x5eed1234 + _i, seed;
	size_t		n, nw, nb, nc, nm, iter;
	int		sw, sb, sc, sm, start;

	for (iter = 0; iter < NITER; iter++) {
		seed = rnd;
		n = tu_rand(&rnd) % MAXLEN;
		random_input(&rnd, in, n);
		start = tu_rand(&rnd) % 2 ? INCR_IN : INCR_WAIT;
		sw = sb = sc = sm = start;
		nw = incr_feed(&sw, in, n, whole);
		nb = feed_chunked(&sb, in, n, bytes, &rnd, 1);
		nc = feed_chunked(&sc, in, n, chunks, &rnd, maxchunks[_i]);
		nm = model(&sm, in, n, want);
		if (nw != nm || memcmp(whole, want, nm) != 0 || sw != sm)
			ck_abort_msg("seed %#x: %zu bytes at once differ from "
			    "the model", seed, n);
		if (nb != nw || memcmp(bytes, whole, nw) != 0 || sb != sw)
			ck_abort_msg("seed %#x: %zu bytes byte by byte differ "
			    "from at once", seed, n);
		if (nc != nw || memcmp(chunks, whole, nw) != 0 || sc != sw)
			ck_abort_msg("seed %#x: %zu bytes in chunks of up to "
			    "%zu differ from at once", seed, n,
			    maxchunks[_i]);
	}
}
END_TEST

static Suite *
incr_suite(void)
{
	Suite	*s = suite_create("incr");
	TCase	*tc;

	tc = tcase_create("frames");
	tcase_add_test(tc, test_incr_example_session);
	tcase_add_test(tc, test_incr_outside_frame_ignored);
	tcase_add_test(tc, test_incr_caret_in_frame_is_data);
	tcase_add_test(tc, test_incr_wraps_0xff);
	tcase_add_test(tc, test_incr_every_byte);
	tcase_add_test(tc, test_incr_empty_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("chunking");
	tcase_add_test(tc, test_incr_example_byte_by_byte);
	tcase_add_loop_test(tc, test_incr_chunking_invariant, 0,
	    sizeof(maxchunks) / sizeof(maxchunks[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(incr_suite());
}
