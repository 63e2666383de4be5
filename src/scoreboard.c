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
 * scoreboard.c: memory shared by the master and its workers, one slot per
 * worker (Apache's scoreboard, Postfix's status "gossip").
 *
 * The master maps it before the first fork and unmaps it at exit; a
 * worker unmaps every slot but its own at birth, and writes it with
 * relaxed atomic stores (single writer); the master reads any slot.
 * What a worker writes is advisory: it informs log lines, status and
 * pool sizing, never a security decision, and can mislead the master
 * about that worker only; the master never trusts a pid read from it.
 */

#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define SB_STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SB_LOAD(p)	__atomic_load_n((p), __ATOMIC_RELAXED)

/*
 * Map the scoreboard: one page per slot, so that a worker can keep its
 * own slot and give up the others (sb_isolate()); pages are only backed
 * once a slot is used.
 */
int
sb_create(struct scoreboard *sb, unsigned int nslots)
{
	long	page = sysconf(_SC_PAGESIZE);
	size_t	stride;
	void	*p;

	stride = (sizeof(struct sb_slot) + page - 1) / page * page;
	p = mmap(NULL, stride * nslots, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb->base = p;
	sb->nslots = nslots;
	sb->stride = stride;
	sb->size = stride * nslots;
	return 0;
}

void
sb_destroy(struct scoreboard *sb)
{
	if (sb->base != NULL)
		munmap(sb->base, sb->size);
	memset(sb, 0, sizeof(*sb));
}

/* Slot i (i < nslots). */
struct sb_slot *
sb_at(const struct scoreboard *sb, unsigned int i)
{
	return (struct sb_slot *)(sb->base + (size_t)i * sb->stride);
}

/*
 * A new worker, first thing after the fork: unmap every slot but its
 * own, so that it can neither read nor write its siblings' (an anonymous
 * shared mapping cannot be mapped again).  Returns its slot, or NULL.
 */
struct sb_slot *
sb_isolate(struct scoreboard *sb, unsigned int i)
{
	char	*mine = sb->base + (size_t)i * sb->stride;
	size_t	 after = sb->size - (size_t)(i + 1) * sb->stride;

	if ((i > 0 && munmap(sb->base, mine - sb->base) == -1) ||
	    (after > 0 && munmap(mine + sb->stride, after) == -1))
		return NULL;
	sb->base = mine;
	sb->nslots = 1;
	sb->size = sb->stride;
	return (struct sb_slot *)mine;
}

/* Master, before a fork: a clean slot for the new worker. */
void
sb_reset(struct sb_slot *slot, uint32_t generation)
{
	SB_STORE(&slot->pid, 0);
	SB_STORE(&slot->state, SB_STARTING);
	SB_STORE(&slot->exit_reason, SB_EXIT_NONE);
	SB_STORE(&slot->served, 0);
	SB_STORE(&slot->waited, 0);
	SB_STORE(&slot->rss_kb, 0);
	SB_STORE(&slot->active, 0);
	SB_STORE(&slot->parked, 0);
	SB_STORE(&slot->changed_ms, now_ms());
	SB_STORE(&slot->generation, generation);
	slot->client[0] = '\0';
}

/*
 * Master, after the worker is reaped: the slot reads as empty, so that a
 * dead worker can never be taken for a live one.
 */
void
sb_clear(struct sb_slot *slot)
{
	SB_STORE(&slot->state, SB_EMPTY);
	SB_STORE(&slot->pid, 0);
	SB_STORE(&slot->active, 0);
	SB_STORE(&slot->parked, 0);
	slot->client[0] = '\0';
}

/* Worker: a new state, stamped with the monotonic clock. */
void
sb_set_state(struct sb_slot *slot, uint32_t state)
{
	SB_STORE(&slot->changed_ms, now_ms());
	SB_STORE(&slot->state, state);
}

/* Worker: the client being served ("" when none). */
void
sb_set_client(struct sb_slot *slot, const char *client)
{
	strlcpy(slot->client, client, sizeof(slot->client));
}

void
sb_set_exit(struct sb_slot *slot, uint32_t reason)
{
	SB_STORE(&slot->exit_reason, reason);
	sb_set_state(slot, SB_RETIRING);
}

/* Worker: after a connection, its totals. */
void
sb_served(struct sb_slot *slot, uint64_t served, uint64_t waited)
{
	SB_STORE(&slot->served, served);
	SB_STORE(&slot->waited, waited);
}

/* Worker: its peak resident size. */
/* Worker: the connections it holds, serving (active) and idle (parked). */
void
sb_set_conns(struct sb_slot *slot, uint32_t active, uint32_t parked)
{
	SB_STORE(&slot->active, active);
	SB_STORE(&slot->parked, parked);
}

void
sb_set_rss(struct sb_slot *slot, uint64_t rss_kb)
{
	SB_STORE(&slot->rss_kb, rss_kb);
}

/*
 * A copy of a slot, for the master.  Fields are read one by one while the
 * worker may write them: the copy is advisory, never a basis for a
 * security decision (the client text may be torn; it is NUL-terminated).
 */
struct sb_slot
sb_read(const struct sb_slot *slot)
{
	struct sb_slot	copy;

	copy.pid = SB_LOAD(&slot->pid);
	copy.generation = SB_LOAD(&slot->generation);
	copy.state = SB_LOAD(&slot->state);
	copy.exit_reason = SB_LOAD(&slot->exit_reason);
	copy.served = SB_LOAD(&slot->served);
	copy.changed_ms = SB_LOAD(&slot->changed_ms);
	copy.rss_kb = SB_LOAD(&slot->rss_kb);
	copy.waited = SB_LOAD(&slot->waited);
	copy.active = SB_LOAD(&slot->active);
	copy.parked = SB_LOAD(&slot->parked);
	memcpy(copy.client, slot->client, sizeof(copy.client));
	copy.client[sizeof(copy.client) - 1] = '\0';
	if (copy.state >= SB_NSTATES)
		copy.state = SB_EMPTY;
	return copy;
}

/* "idle", "busy"... */
const char *
sb_state_name(uint32_t state)
{
	static const char *const names[SB_NSTATES] = {
		"empty", "starting", "idle", "reading", "busy", "retiring",
	};

	return state < SB_NSTATES ? names[state] : "?";
}
