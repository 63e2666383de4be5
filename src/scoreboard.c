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
 * worker writes only its own slot, with relaxed atomic stores (single
 * writer); the master reads any slot.  What a worker writes is advisory:
 * it informs log lines and pool sizing, never a security decision, and
 * the master never trusts a pid read from it.
 */

#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#define SB_STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SB_LOAD(p)	__atomic_load_n((p), __ATOMIC_RELAXED)

int
sb_create(struct scoreboard *sb, unsigned int nslots)
{
	long	page = sysconf(_SC_PAGESIZE);
	size_t	size = nslots * sizeof(struct sb_slot);
	void	*p;

	size = (size + page - 1) / page * page;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb->slots = p;
	sb->nslots = nslots;
	sb->size = size;
	return 0;
}

void
sb_destroy(struct scoreboard *sb)
{
	if (sb->slots != NULL)
		munmap(sb->slots, sb->size);
	memset(sb, 0, sizeof(*sb));
}

/* Master, before a fork: a clean slot for the new worker. */
void
sb_reset(struct sb_slot *slot, uint32_t generation)
{
	SB_STORE(&slot->pid, 0);
	SB_STORE(&slot->state, SB_STARTING);
	SB_STORE(&slot->exit_reason, SB_EXIT_NONE);
	SB_STORE(&slot->served, 0);
	SB_STORE(&slot->rss_kb, 0);
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

void
sb_served(struct sb_slot *slot, uint64_t served, uint64_t rss_kb)
{
	SB_STORE(&slot->served, served);
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
