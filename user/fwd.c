// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MAC table; see fwd.h. Open addressing with linear probing over FWD_PROBE
 * slots. Deleting leaves a tombstone so probes continue past it; learning
 * reuses the first tombstone or empty slot it meets.
 */
#include <errno.h>
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

void fwd_init(struct fwd_table *t)
{
	memset(t, 0, sizeof(*t));
}

uint16_t fwd_lookup(const struct fwd_table *t, const uint8_t mac[6])
{
	uint64_t m = fwd_mac64(mac);
	uint32_t h = hash_mac(m), i;

	for (i = 0; i < FWD_PROBE; i++) {
		uint64_t e = __atomic_load_n(&t->entry[(h + i) & (FWD_SLOTS - 1)],
					     __ATOMIC_ACQUIRE);

		if (e == 0)
			break;
		if (e != FWD_TOMB && e >> 16 == m)
			return (uint16_t)e;
	}
	return FWD_PORT_NONE;
}

static bool install(struct fwd_table *t, uint64_t m, uint16_t port, uint32_t now, bool is_static,
		    bool *changed)
{
	uint32_t h = hash_mac(m), i;

	*changed = false;
	for (i = 0; i < FWD_PROBE; i++) {
		uint32_t s = (h + i) & (FWD_SLOTS - 1);
		uint64_t e = __atomic_load_n(&t->entry[s], __ATOMIC_ACQUIRE);

		if (e != 0 && e != FWD_TOMB && e >> 16 != m)
			continue;
		if (e != 0 && e != FWD_TOMB) {
			/* Known MAC: refresh, or move it (a VM migrated or a
			 * frontend came back on another port). */
			if (__atomic_load_n(&t->is_static[s], __ATOMIC_RELAXED) && !is_static)
				return true;
			if ((uint16_t)e != port) {
				if (!__atomic_compare_exchange_n(&t->entry[s], &e, make(m, port),
								 false, __ATOMIC_ACQ_REL,
								 __ATOMIC_ACQUIRE))
					return false; /* raced; the caller learns next burst */
				*changed = true;
			}
			__atomic_store_n(&t->seen[s], now, __ATOMIC_RELAXED);
			__atomic_store_n(&t->is_static[s], is_static, __ATOMIC_RELAXED);
			return true;
		}
		__atomic_store_n(&t->seen[s], now, __ATOMIC_RELAXED);
		__atomic_store_n(&t->is_static[s], is_static, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&t->entry[s], &e, make(m, port), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			*changed = true;
			return true;
		}
		/* another thread took this slot: look at it again */
		i--;
	}
	return false; /* table region full: not learned, frames get flooded */
}

bool fwd_learn(struct fwd_table *t, const uint8_t mac[6], uint16_t port, uint32_t now)
{
	uint64_t m = fwd_mac64(mac);
	bool changed;

	if (fwd_is_group(mac) || m == 0)
		return false;
	install(t, m, port, now, false, &changed);
	return changed;
}

int fwd_add_static(struct fwd_table *t, const uint8_t mac[6], uint16_t port)
{
	uint64_t m = fwd_mac64(mac);
	bool changed;

	if (fwd_is_group(mac) || m == 0)
		return -EINVAL;
	return install(t, m, port, 0, true, &changed) ? 0 : -ENOSPC;
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
						__ATOMIC_ACQUIRE))
			n++;
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
