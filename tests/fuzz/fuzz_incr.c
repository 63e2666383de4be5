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
 * fuzz_incr: the incr frame state machine.  The first byte chooses how
 * the rest is cut into chunks; fed chunk by chunk (the state carried
 * across), it must answer exactly what a byte-by-byte reference answers
 * for the whole input, and never write past the input's length.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/incr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*want, *got;
	size_t		 nwant = 0, ngot = 0, off, chunk, i;
	int		 st = INCR_WAIT, in = 0;
	unsigned int	 step;

	if (size < 1)
		return 0;
	step = data[0] % 17 + 1;
	data++;
	size--;
	want = malloc(size + 1);
	got = malloc(size + 1);
	if (want == NULL || got == NULL)
		abort();
	for (i = 0; i < size; i++) {		/* the reference */
		if (!in)
			in = data[i] == '^';
		else if (data[i] == '$')
			in = 0;
		else
			want[nwant++] = (unsigned char)(data[i] + 1);
	}
	for (off = 0; off < size; off += chunk) {
		chunk = step + (off % 5);
		if (chunk > size - off)
			chunk = size - off;
		ngot += incr_feed(&st, data + off, chunk, got + ngot);
		if (ngot > off + chunk)
			abort();
	}
	if (ngot != nwant || memcmp(got, want, nwant) != 0)
		abort();
	free(want);
	free(got);
	return 0;
}
