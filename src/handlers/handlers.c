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

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
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

/* The size of struct handler in ABI 2: what every module has. */
#define HANDLER_SIZE_V2	(offsetof(struct handler, check) +		\
			    sizeof(((struct handler *)0)->check))

/*
 * Whether this daemon can use h (a built-in or what a module exports):
 * an ABI from HANDLER_ABI_MIN to ours, a size that covers that ABI's
 * members, a name and a serve().  0, or -1 and why in err.
 */
int
handler_abi_check(const struct handler *h, char *err, size_t len)
{
	if (h->abi > HANDLER_ABI_VERSION)
		snprintf(err, len, "built for handler ABI %u, this preforkd "
		    "has ABI %d: upgrade preforkd or rebuild the module",
		    h->abi, HANDLER_ABI_VERSION);
	else if (h->abi < HANDLER_ABI_MIN)
		snprintf(err, len, "built for handler ABI %u, this preforkd "
		    "loads ABI %d to %d: rebuild the module", h->abi,
		    HANDLER_ABI_MIN, HANDLER_ABI_VERSION);
	else if (h->size < HANDLER_SIZE_V2)
		snprintf(err, len, "struct handler of %u bytes, ABI %u has "
		    "%zu: start it with HANDLER_HEADER", h->size, h->abi,
		    (size_t)HANDLER_SIZE_V2);
	else if (h->name == NULL || *h->name == '\0' || h->serve == NULL)
		snprintf(err, len, "struct handler without %s",
		    h->serve == NULL ? "serve()" : "a name");
	else
		return 0;
	return -1;
}

/*
 * Whether h may serve many connections at once in one worker, given its
 * arguments: ABI 3's multiplex(), which an ABI 2 module does not have.
 */
int
handler_multiplexes(const struct handler *h, const char *const *args)
{
	if (h->abi < 3 || h->size < offsetof(struct handler, multiplex) +
	    sizeof(h->multiplex) || h->multiplex == NULL)
		return 0;
	return h->multiplex(args) == 1;
}

/*
 * Add a service before the configuration is read.  Returns -1 if the
 * name is taken, the ABI is not ours or the table is full.
 */
int
handler_register(const struct handler *h)
{
	char	err[128];

	if (handler_abi_check(h, err, sizeof(err)) == -1 ||
	    handler_find(h->name) != NULL || nhandlers == HANDLERS_MAX)
		return -1;
	handlers[nhandlers++] = h;
	return 0;
}

/*
 * Load the module at path and return the handler it exports, or NULL
 * with why in err.  Runs only in dropped processes (workers, the
 * configuration probe): a module's constructors are its code too.
 */
const struct handler *
handler_load(const char *path, char *err, size_t len)
{
	const struct handler	*h;
	char			 why[256];
	void			*dl;

	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, len, "cannot load it: %s", dlerror());
		return NULL;
	}
	if ((h = dlsym(dl, PREFORKD_HANDLER_SYMBOL)) == NULL) {
		snprintf(err, len, "it does not define %s: not a preforkd "
		    "module", PREFORKD_HANDLER_SYMBOL);
		return NULL;
	}
	if (handler_abi_check(h, why, sizeof(why)) == -1) {
		snprintf(err, len, "%s", why);
		return NULL;
	}
	return h;	/* dl stays loaded for the life of the process */
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
