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
 * handlers.c: the registry of services, looked up by the name given in the
 * `service` option: the built-ins, then the ones registered at startup
 * (the test build's handlers today, loadable modules later).
 */

#include <string.h>

#include "preforkd.h"

extern const struct handler	handler_incr;
extern const struct handler	handler_echo;

#define HANDLERS_MAX	32

static const struct handler	*handlers[HANDLERS_MAX] = {
	&handler_incr,
	&handler_echo,
};
static size_t			 nhandlers = 2;

/*
 * Add a service before the configuration is read.  Returns -1 if the
 * name is taken, the ABI differs or the table is full.
 */
int
handler_register(const struct handler *h)
{
	if (h->abi != HANDLER_ABI_VERSION || h->serve == NULL ||
	    handler_find(h->name) != NULL || nhandlers == HANDLERS_MAX)
		return -1;
	handlers[nhandlers++] = h;
	return 0;
}

/* The handler called name, or NULL. */
const struct handler *
handler_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nhandlers; i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return handlers[i];
	return NULL;
}

/* The i-th handler, or NULL past the end (for listings). */
const struct handler *
handler_at(size_t i)
{
	return i < nhandlers ? handlers[i] : NULL;
}
