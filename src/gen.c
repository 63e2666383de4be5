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
 * gen.c: generations.  A generation is a value: a configuration, the
 * listening sockets it names, the size of its pool, the state of its
 * crash-loop back-off and of its dynamic sizing, and the count of its
 * live workers (kept by the pool, whose every worker points to its
 * generation).
 *
 * The set holds the current generation, the previous one while a reload
 * waits for the new one to accept, and the older ones whose workers are
 * still draining.  A reload is a few pointer moves on it (after nginx's
 * ngx_cycle_t, built from the old one and dropped whole on failure):
 * gen_new() builds the next one completely from the current, or nothing;
 * gen_switch() makes it current; gen_commit() lets the previous one go
 * once the new one accepts; gen_undo() goes back to it when the new one
 * cannot start.  A generation is freed (its configuration, and the
 * listeners no other generation holds) once it is neither current nor
 * previous and its last worker is gone: gen_collect().
 *
 * Runs in the master.  Never logs: errors go to the caller's list.
 */

#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

static int	gen_polled(const struct gens *gs,
		    const struct generation *but);
static void	gen_free(struct gens *gs, struct generation *g);

void
gen_init(struct gens *gs)
{
	memset(gs, 0, sizeof(*gs));
	TAILQ_INIT(&gs->all);
}

/*
 * A generation for conf (which it then owns), numbered after the current
 * one, with the current one's listeners where the addresses are the
 * same.  Returns NULL (conf freed) with the errors in errs; warnings go
 * to errs too.
 */
struct generation *
gen_new(struct gens *gs, struct conf *conf, struct errlist *errs)
{
	struct generation	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal("generation");
	if (lset_build(conf, gs->cur != NULL ? &gs->cur->ls : NULL, &g->ls,
	    errs) == -1) {
		conf_free(conf);
		free(g);
		return NULL;
	}
	lset_mode(conf, &g->ls, gen_polled(gs, NULL));
	g->conf = conf;
	g->id = gs->cur != NULL ? gs->cur->id + 1 : 1;
	g->target = conf->workers;
	TAILQ_INSERT_TAIL(&gs->all, g, entry);
	return g;
}

/* g, just made, is current; the current one is kept as the previous. */
void
gen_switch(struct gens *gs, struct generation *g)
{
	gs->prev = gs->cur;
	gs->cur = g;
}

/* The new generation accepts: the previous one is only draining now. */
void
gen_commit(struct gens *gs)
{
	gs->prev = NULL;
}

/*
 * The new generation cannot start: the previous one is current again,
 * with its own settings on the sockets they share; the listeners only
 * the failed one opened are closed now (its workers, told to go, hold
 * their own copies until they exit).
 */
void
gen_undo(struct gens *gs, struct errlist *warn)
{
	struct generation	*failed = gs->cur;

	lset_release(&failed->ls);
	gs->cur = gs->prev;
	gs->prev = NULL;
	lset_apply(gs->cur->conf, &gs->cur->ls, warn);
	lset_mode(gs->cur->conf, &gs->cur->ls, gen_polled(gs, gs->cur));
}

/*
 * Whether a generation other than but (NULL: any) still has workers that
 * poll their listeners: the sockets then stay non-blocking (lset_mode()).
 */
static int
gen_polled(const struct gens *gs, const struct generation *but)
{
	const struct generation	*g;

	TAILQ_FOREACH(g, &gs->all, entry)
		if (g != but && g->workers > 0 && lset_polled(g->conf))
			return 1;
	return 0;
}

/* Free the generations that are neither current nor previous, once
   their last worker is gone. */
void
gen_collect(struct gens *gs)
{
	struct generation	*g, *next;
	int			 freed = 0;

	TAILQ_FOREACH_SAFE(g, &gs->all, entry, next)
		if (g != gs->cur && g != gs->prev && g->workers == 0) {
			gen_free(gs, g);
			freed = 1;
		}
	/* the last polling workers of an old generation are gone */
	if (freed && gs->cur != NULL)
		lset_mode(gs->cur->conf, &gs->cur->ls, gen_polled(gs,
		    gs->cur));
}

/* Stop accepting, on every generation's sockets, at once. */
void
gen_close_listeners(struct gens *gs)
{
	struct generation	*g;

	TAILQ_FOREACH(g, &gs->all, entry)
		lset_close(&g->ls);
}

/* Whether an older generation than the current one still has workers. */
int
gen_draining(const struct gens *gs)
{
	const struct generation	*g;

	TAILQ_FOREACH(g, &gs->all, entry)
		if (g != gs->cur && g->workers > 0)
			return 1;
	return 0;
}

static void
gen_free(struct gens *gs, struct generation *g)
{
	TAILQ_REMOVE(&gs->all, g, entry);
	lset_release(&g->ls);
	conf_free(g->conf);
	free(g);
}

/* Free every generation (the master stops; no worker is left). */
void
gen_free_all(struct gens *gs)
{
	struct generation	*g;

	while ((g = TAILQ_FIRST(&gs->all)) != NULL)
		gen_free(gs, g);
	gs->cur = gs->prev = NULL;
}
