// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MAC table; see fwd.h. Open addressing with linear probing over FWD_PROBE
 * slots. Deleting leaves a tombstone so probes continue past it; learning
 * looks for the MAC along the whole chain first, then takes the first
 * tombstone or empty slot it met. Two threads learning one new MAC at the
 * same moment may each install it (one per poller of a multi-queue port):
 * lookups find the first, and the other ages out.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "fwd.h"

#define FWD_TOMB 1ull /* MAC 00:00:00:00:00:00 is never learned, so no clash */

static uint32_t hash_mac(uint64_t m)
{
	m ^= m >> 29;
	m *= 0xbf58476d1ce4e5b9ull;
	m ^= m >> 32;
	return (uint32_t)m;
}

static uint64_t make(uint64_t mac, uint16_t port)
{
	return mac << 16 | port;
}

/* +1 or -1; never below 0 (a race that takes one more than was given,
 * e.g. a learner moving an entry the control thread just made static, must
 * not wrap the count and stop the port from learning for good). */
static void count(struct fwd_table *t, uint16_t port, int d)
{
	uint32_t v;

	if (port >= FWD_COUNTED_PORTS)
		return;
	if (d > 0) {
		__atomic_fetch_add(&t->learned[port], 1, __ATOMIC_RELAXED);
		return;
	}
	v = __atomic_load_n(&t->learned[port], __ATOMIC_RELAXED);
	while (v && !__atomic_compare_exchange_n(&t->learned[port], &v, v - 1, true,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

uint32_t fwd_learned(const struct fwd_table *t, uint16_t port)
{
	return port < FWD_COUNTED_PORTS ? __atomic_load_n(&t->learned[port], __ATOMIC_RELAXED) : 0;
}

static bool at_limit(const struct fwd_table *t, uint16_t port, uint32_t limit)
{
	return limit != UINT32_MAX && fwd_learned(t, port) >= limit;
}

void fwd_init(struct fwd_table *t)
{
	memset(t, 0, sizeof(*t));
}

/* The slot holding @mac's entry within its probe window, its entry in
 * *@e; -1 when it has none. */
static inline int find_slot(const struct fwd_table *t, const uint8_t mac[6], uint64_t *e)
{
	uint64_t m = fwd_mac64(mac);
	uint32_t h = hash_mac(m), i;

	for (i = 0; i < FWD_PROBE; i++) {
		uint32_t s = (h + i) & (FWD_SLOTS - 1);

		*e = __atomic_load_n(&t->entry[s], __ATOMIC_ACQUIRE);
		if (*e == 0)
			break;
		if (*e != FWD_TOMB && *e >> 16 == m)
			return (int)s;
	}
	return -1;
}

uint16_t fwd_lookup(const struct fwd_table *t, const uint8_t mac[6])
{
	uint64_t e;

	return find_slot(t, mac, &e) < 0 ? FWD_PORT_NONE : (uint16_t)e;
}

uint16_t fwd_static_port(const struct fwd_table *t, const uint8_t mac[6])
{
	uint64_t e;
	int s = find_slot(t, mac, &e);

	return s >= 0 && __atomic_load_n(&t->is_static[s], __ATOMIC_RELAXED) ? (uint16_t)e :
									       FWD_PORT_NONE;
}

#define NO_SLOT UINT32_MAX
#define INSTALL_TRIES 4

/*
 * Learn or configure @m on @port. The whole probe window is looked at for
 * the MAC before a free slot is taken: a MAC past a tombstone is the one to
 * refresh or move, never a second copy in the tombstone. A slot's is_static
 * is written only once the slot is ours (a thread that loses the slot must
 * not change the winner's entry); seen may be written before, as it only
 * ever says "seen now".
 */
static bool install(struct fwd_table *t, uint64_t m, uint16_t port, uint32_t now, bool is_static,
		    uint32_t limit, bool *changed)
{
	uint32_t h = hash_mac(m), i, tries;

	*changed = false;
	for (tries = 0; tries < INSTALL_TRIES; tries++) {
		uint32_t free_slot = NO_SLOT, s;
		uint64_t e, free_e = 0;
		bool raced = false;

		for (i = 0; i < FWD_PROBE; i++) {
			s = (h + i) & (FWD_SLOTS - 1);
			e = __atomic_load_n(&t->entry[s], __ATOMIC_ACQUIRE);
			if (e == 0 || e == FWD_TOMB) {
				if (free_slot == NO_SLOT)
					free_slot = s, free_e = e;
				if (e == 0)
					break; /* the chain ends: the MAC is not further on */
				continue;
			}
			if (e >> 16 != m)
				continue;
			/* Known MAC: refresh, or move it (a VM migrated or a
			 * frontend came back on another port). */
			bool was_static = __atomic_load_n(&t->is_static[s], __ATOMIC_RELAXED);

			if (was_static && !is_static)
				return true;
			if ((uint16_t)e != port) {
				if (!is_static && at_limit(t, port, limit))
					return false;
				/* Static first: a learner that sees the flag leaves
				 * the entry alone while we move it. */
				if (is_static)
					__atomic_store_n(&t->is_static[s], true, __ATOMIC_SEQ_CST);
				if (!__atomic_compare_exchange_n(&t->entry[s], &e, make(m, port),
								 false, __ATOMIC_ACQ_REL,
								 __ATOMIC_ACQUIRE)) {
					if (is_static)
						__atomic_store_n(&t->is_static[s], was_static,
								 __ATOMIC_RELAXED);
					raced = true; /* moved or expired meanwhile */
					break;
				}
				*changed = true;
				if (!was_static)
					count(t, (uint16_t)e, -1);
				if (!is_static)
					count(t, port, 1);
			} else if (is_static && !was_static) {
				count(t, port, -1);
			}
			__atomic_store_n(&t->seen[s], now, __ATOMIC_RELAXED);
			__atomic_store_n(&t->is_static[s], is_static, __ATOMIC_RELAXED);
			return true;
		}
		if (raced)
			continue;
		if (free_slot == NO_SLOT)
			return false; /* window full: not learned, frames get flooded */
		if (!is_static && at_limit(t, port, limit))
			return false;
		__atomic_store_n(&t->seen[free_slot], now, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&t->entry[free_slot], &free_e, make(m, port), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* A free slot was never static (statics are never removed). */
			__atomic_store_n(&t->is_static[free_slot], is_static, __ATOMIC_RELAXED);
			*changed = true;
			if (!is_static)
				count(t, port, 1);
			return true;
		}
		/* another thread took the slot: look at the window again */
	}
	return false; /* kept losing races: the caller learns at the next burst */
}

int fwd_learn_limited(struct fwd_table *t, const uint8_t mac[6], uint16_t port, uint32_t now,
		      uint32_t limit)
{
	uint64_t m = fwd_mac64(mac);
	bool changed;

	if (fwd_is_group(mac) || m == 0)
		return 0;
	if (!install(t, m, port, now, false, limit, &changed) && at_limit(t, port, limit))
		return -ENOSPC;
	return changed;
}

bool fwd_learn(struct fwd_table *t, const uint8_t mac[6], uint16_t port, uint32_t now)
{
	return fwd_learn_limited(t, mac, port, now, UINT32_MAX) > 0;
}

int fwd_add_static(struct fwd_table *t, const uint8_t mac[6], uint16_t port)
{
	uint64_t m = fwd_mac64(mac);
	bool changed;

	if (fwd_is_group(mac) || m == 0)
		return -EINVAL;
	return install(t, m, port, 0, true, UINT32_MAX, &changed) ? 0 : -ENOSPC;
}

int fwd_del_static(struct fwd_table *t, const uint8_t mac[6])
{
	uint64_t e;
	int s = find_slot(t, mac, &e);

	if (s < 0 || !__atomic_load_n(&t->is_static[s], __ATOMIC_RELAXED))
		return -ENOENT;
	/* The entry goes first, still static (no learner moves it meanwhile);
	 * then the flag, on a free slot. Static entries are only ever added
	 * by this (the control) thread. */
	__atomic_compare_exchange_n(&t->entry[s], &e, FWD_TOMB, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	__atomic_store_n(&t->is_static[s], false, __ATOMIC_RELAXED);
	return 0;
}

unsigned int fwd_expire(struct fwd_table *t, uint32_t now, uint32_t max_age, uint16_t port)
{
	unsigned int s, n = 0;

	for (s = 0; s < FWD_SLOTS; s++) {
		uint64_t e = __atomic_load_n(&t->entry[s], __ATOMIC_ACQUIRE);

		if (e == 0 || e == FWD_TOMB || __atomic_load_n(&t->is_static[s], __ATOMIC_RELAXED))
			continue;
		if (port != FWD_PORT_NONE ? (uint16_t)e != port :
					    now - __atomic_load_n(&t->seen[s], __ATOMIC_RELAXED) <=
						    max_age)
			continue;
		if (__atomic_compare_exchange_n(&t->entry[s], &e, FWD_TOMB, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			count(t, (uint16_t)e, -1);
			n++;
		}
	}
	return n;
}

unsigned int fwd_dump(const struct fwd_table *t, uint32_t now, struct fwd_entry *out,
		      unsigned int max)
{
	unsigned int s, n = 0;

	for (s = 0; s < FWD_SLOTS && n < max; s++) {
		uint64_t e = __atomic_load_n(&t->entry[s], __ATOMIC_ACQUIRE), m;
		int b;

		if (e == 0 || e == FWD_TOMB)
			continue;
		m = e >> 16;
		for (b = 0; b < 6; b++)
			out[n].mac[b] = (uint8_t)(m >> (40 - 8 * b));
		out[n].port = (uint16_t)e;
		out[n].is_static = __atomic_load_n(&t->is_static[s], __ATOMIC_RELAXED);
		out[n].age = out[n].is_static ? 0 :
						now - __atomic_load_n(&t->seen[s], __ATOMIC_RELAXED);
		n++;
	}
	return n;
}
