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
 * handlers.c: the registry of built-in services, looked up by the name
 * given in the `service` option.
 */

#include <string.h>

#include "preforkd.h"

extern const struct handler	handler_incr;
extern const struct handler	handler_echo;

static const struct handler *const handlers[] = {
	&handler_incr,
	&handler_echo,
	NULL
};

/* The built-in handler called name, or NULL. */
const struct handler *
handler_find(const char *name)
{
	size_t	i;

	for (i = 0; handlers[i] != NULL; i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return handlers[i];
	return NULL;
}

/* The i-th built-in handler, or NULL past the end (for listings). */
const struct handler *
handler_at(size_t i)
{
	if (i >= sizeof(handlers) / sizeof(handlers[0]))
		return NULL;
	return handlers[i];
}
