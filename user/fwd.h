/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The switch's MAC table: where each known MAC lives (learned from source
 * addresses, or configured). Lock-free: pollers look up and learn from
 * every burst, the control thread ages and flushes. Each entry is one 64-bit
 * word (MAC << 16 | port) written with compare-and-swap, so a reader never
 * sees half an entry. Pure data structure: no I/O.
 */
#ifndef XVIO_FWD_H
#define XVIO_FWD_H

#include <stdbool.h>
#include <stdint.h>

#define FWD_SLOTS 8192		/* power of two */
#define FWD_PROBE 16		/* linear probing distance */
#define FWD_PORT_NONE 0xffff
#define FWD_COUNTED_PORTS 128	/* ports whose learned entries are counted */

struct fwd_table {
	_Atomic uint64_t entry[FWD_SLOTS];	/* 0: empty; FWD_TOMB: deleted */
	_Atomic uint32_t seen[FWD_SLOTS];	/* coarse time of the last learn */
	_Atomic uint8_t is_static[FWD_SLOTS];
	_Atomic uint32_t learned[FWD_COUNTED_PORTS]; /* learned entries per port */
};

static inline uint64_t fwd_mac64(const uint8_t mac[6])
{
	return (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
	       (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

static inline bool fwd_is_group(const uint8_t mac[6])
{
	return mac[0] & 1;
}

void fwd_init(struct fwd_table *t);
/* Port of @mac, or FWD_PORT_NONE. */
uint16_t fwd_lookup(const struct fwd_table *t, const uint8_t mac[6]);
/* Learn (or move) @mac to @port at time @now; static entries never move.
 * Returns true when the entry changed (new or moved). */
bool fwd_learn(struct fwd_table *t, const uint8_t mac[6], uint16_t port, uint32_t now);
/* The same, but a port that already has @limit learned entries learns no new
 * MAC (and takes none over from another port): -ENOSPC. 1: the entry changed,
 * 0: refreshed or not learned (a group address, a full probe window). The
 * limit is checked before the entry is made: pollers learning for one port
 * at the same moment may pass it by one each. */
int fwd_learn_limited(struct fwd_table *t, const uint8_t mac[6], uint16_t port, uint32_t now,
		      uint32_t limit);
/* Learned entries @port has now. */
uint32_t fwd_learned(const struct fwd_table *t, uint16_t port);
int fwd_add_static(struct fwd_table *t, const uint8_t mac[6], uint16_t port);
/* The port of @mac's static entry; FWD_PORT_NONE when it has none (absent,
 * or only learned). */
uint16_t fwd_static_port(const struct fwd_table *t, const uint8_t mac[6]);
/* Remove the static entry of @mac: 0, or -ENOENT when @mac has none (absent,
 * or only learned). A learner racing the removal may keep the MAC, learned. */
int fwd_del_static(struct fwd_table *t, const uint8_t mac[6]);
/* Remove learned entries older than @max_age, or of @port (any age) when
 * @port != FWD_PORT_NONE. Returns how many went. */
unsigned int fwd_expire(struct fwd_table *t, uint32_t now, uint32_t max_age, uint16_t port);

struct fwd_entry {
	uint8_t mac[6];
	uint16_t port;
	bool is_static;
	uint32_t age;
};
/* Copy out up to @max entries; returns how many. */
unsigned int fwd_dump(const struct fwd_table *t, uint32_t now, struct fwd_entry *out,
		      unsigned int max);

#endif
