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
 * fuzz_parse: the value parsers: listen addresses, durations, sizes and
 * bounded integers.  Each must accept or refuse with a message, and what
 * it accepts must hold together: a parsed address formats back to its
 * canonical text, and that text parses to the same address.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct laddr	a[2], b[2];
	char		s[512], err[512], text[LADDR_TEXTLEN];
	size_t		n, m, i;
	unsigned int	u;
	uint64_t	kb;
	int		ms;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	err[0] = '\0';
	if (listen_parse(s, a, &n, err, sizeof(err)) == 0) {
		if (n < 1 || n > 2)
			abort();
		for (i = 0; i < n; i++) {
			if (a[i].family == AF_UNIX)
				continue;
			laddr_format((struct sockaddr *)&a[i].ss, a[i].len,
			    text, sizeof(text));
			if (strcmp(text, a[i].text) != 0)
				abort();
			if (listen_parse(text, b, &m, err, sizeof(err)) != 0 ||
			    m != 1 || b[0].len != a[i].len ||
			    memcmp(&b[0].ss, &a[i].ss, a[i].len) != 0)
				abort();
		}
	} else if (err[0] == '\0')
		abort();

	err[0] = '\0';
	if (parse_duration_ms(s, &ms, err, sizeof(err)) == 0) {
		if (ms < 0)
			abort();
	} else if (err[0] == '\0')
		abort();

	err[0] = '\0';
	if (parse_uint(s, 10, 1000, &u, err, sizeof(err)) == 0) {
		if (u < 10 || u > 1000)
			abort();
	} else if (err[0] == '\0')
		abort();

	err[0] = '\0';
	if (parse_size_kb(s, &kb, err, sizeof(err)) != 0 && err[0] == '\0')
		abort();
	return 0;
}
