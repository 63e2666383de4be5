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
 * fuzz_conf: the configuration parser from a buffer (comment blanking,
 * libconfuse, every validator, the conversion to struct conf).  Any
 * input must give a configuration or a list of errors, never a crash or
 * a leak; every error must read "NAME:...".
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist	 errs = { 0 };
	struct conf	*conf;
	char		*text;
	size_t		 i;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	conf = conf_parse_buf("fuzz.conf", text, &errs);
	if (conf == NULL && errs.n == 0)
		abort();		/* refused without saying why */
	for (i = 0; i < errs.n; i++)
		if (strncmp(errs.msg[i], "fuzz.conf", 9) != 0)
			abort();	/* an error that does not name the file */
	conf_free(conf);
	errlist_free(&errs);
	free(text);
	return 0;
}
