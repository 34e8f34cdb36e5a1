// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of user/fwd.c, the switch's lock-free MAC table: learning,
 * moves, static entries, ageing and port flushes, the dump, a full probe
 * window and a full table, tombstones, lookups racing a learner, and the
 * per-port limit of learned entries. No root;
 * built with ASan and UBSan.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "fwd.h"
#include "../lib/test.h"

TEST_GLOBALS("fwd");

#define MAC_BASE 0x020000000000ull /* locally administered unicast */

static struct fwd_table t;
static struct fwd_entry dump[FWD_SLOTS];

static void mac_from(uint64_t v, uint8_t mac[6])
{
	int b;

	for (b = 0; b < 6; b++)
		mac[b] = (uint8_t)(v >> (40 - 8 * b));
}

static bool learn(uint64_t v, uint16_t port, uint32_t now)
{
	uint8_t mac[6];

	mac_from(v, mac);
	return fwd_learn(&t, mac, port, now);
}

static int add_static(uint64_t v, uint16_t port)
{
	uint8_t mac[6];

	mac_from(v, mac);
	return fwd_add_static(&t, mac, port);
}

static uint16_t lookup(uint64_t v)
{
	uint8_t mac[6];

	mac_from(v, mac);
	return fwd_lookup(&t, mac);
}

/* The dump at @now, and the entry for @v in it (NULL when absent). @n: how
 * many entries carry @v (a MAC is in the table once). */
static const struct fwd_entry *dumped(uint64_t v, uint32_t now, unsigned int *n)
{
	const struct fwd_entry *e = NULL;
	unsigned int cnt = fwd_dump(&t, now, dump, FWD_SLOTS), i;

	*n = 0;
	for (i = 0; i < cnt; i++)
		if (fwd_mac64(dump[i].mac) == v) {
			e = &dump[i];
			(*n)++;
		}
	return e;
}

/*
 * The slot fwd.c starts probing at for @v: a copy of its hash_mac(), so the
 * tests can pick MACs that collide. test_window_full checks that the copy still
 * matches (FWD_PROBE + 1 MACs with one home must not all fit).
 */
static uint32_t home(uint64_t v)
{
	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ull;
	v ^= v >> 32;
	return (uint32_t)v & (FWD_SLOTS - 1);
}

/* @n MACs (from MAC_BASE + @from up) whose probing starts at one slot. */
static void colliding(uint64_t from, uint64_t *out, unsigned int n)
{
	uint64_t v = MAC_BASE + from;
	uint32_t h = home(v);
	unsigned int k = 0;

	for (; k < n; v++)
		if (home(v) == h)
			out[k++] = v;
}

static void test_learn_lookup(void)
{
	uint8_t mac[6];

	fwd_init(&t);
	ASSERT_EQ(lookup(MAC_BASE + 1), FWD_PORT_NONE);
	ASSERT_TRUE(learn(MAC_BASE + 1, 3, 10));
	ASSERT_EQ(lookup(MAC_BASE + 1), 3);
	ASSERT_EQ(lookup(MAC_BASE + 2), FWD_PORT_NONE);
	ASSERT_TRUE(learn(MAC_BASE + 2, 0, 10));
	ASSERT_EQ(lookup(MAC_BASE + 2), 0);
	ASSERT_EQ(lookup(MAC_BASE + 1), 3);
	/* group and all-zero sources are never learned */
	ASSERT_TRUE(!learn(0x01005e000001ull, 4, 10));
	ASSERT_EQ(lookup(0x01005e000001ull), FWD_PORT_NONE);
	ASSERT_TRUE(!learn(0xffffffffffffull, 4, 10));
	ASSERT_TRUE(!learn(0, 4, 10));
	mac_from(0, mac);
	ASSERT_EQ(fwd_lookup(&t, mac), FWD_PORT_NONE);
	ASSERT_EQ(fwd_dump(&t, 10, dump, FWD_SLOTS), 2);
}

/* The same MAC on the same port: no change, but its age starts again. */
static void test_relearn_refreshes(void)
{
	const struct fwd_entry *e;
	unsigned int n;

	fwd_init(&t);
	ASSERT_TRUE(learn(MAC_BASE + 1, 3, 10));
	ASSERT_TRUE(!learn(MAC_BASE + 1, 3, 50));
	ASSERT_EQ(lookup(MAC_BASE + 1), 3);
	e = dumped(MAC_BASE + 1, 70, &n);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(e->age, 20);
	/* seen at 50: 50 old at 100 is not older than 60; 61 at 111 is */
	ASSERT_EQ(fwd_expire(&t, 100, 60, FWD_PORT_NONE), 0);
	ASSERT_EQ(lookup(MAC_BASE + 1), 3);
	ASSERT_EQ(fwd_expire(&t, 111, 60, FWD_PORT_NONE), 1);
	ASSERT_EQ(lookup(MAC_BASE + 1), FWD_PORT_NONE);
}

static void test_move(void)
{
	const struct fwd_entry *e;
	unsigned int n;

	fwd_init(&t);
	ASSERT_TRUE(learn(MAC_BASE + 1, 1, 10));
	ASSERT_TRUE(learn(MAC_BASE + 1, 2, 20));
	ASSERT_EQ(lookup(MAC_BASE + 1), 2);
	ASSERT_TRUE(!learn(MAC_BASE + 1, 2, 30));
	e = dumped(MAC_BASE + 1, 30, &n);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(e->port, 2);
	ASSERT_EQ(e->age, 0);
	/* back again */
	ASSERT_TRUE(learn(MAC_BASE + 1, 1, 40));
	ASSERT_EQ(lookup(MAC_BASE + 1), 1);
	/* flushing the port it left takes nothing */
	ASSERT_EQ(fwd_expire(&t, 40, 0, 2), 0);
	ASSERT_EQ(lookup(MAC_BASE + 1), 1);
}

static void test_static(void)
{
	const struct fwd_entry *e;
	unsigned int n;

	fwd_init(&t);
	ASSERT_OK(add_static(MAC_BASE + 1, 5));
	ASSERT_EQ(lookup(MAC_BASE + 1), 5);
	/* learned elsewhere: it stays */
	ASSERT_TRUE(!learn(MAC_BASE + 1, 6, 10));
	ASSERT_EQ(lookup(MAC_BASE + 1), 5);
	ASSERT_TRUE(!learn(MAC_BASE + 1, 5, 10));
	e = dumped(MAC_BASE + 1, 1000000, &n);
	ASSERT_EQ(n, 1);
	ASSERT_TRUE(e->is_static);
	ASSERT_EQ(e->port, 5);
	ASSERT_EQ(e->age, 0);
	/* never aged out, not even flushed with its port */
	ASSERT_EQ(fwd_expire(&t, 0xffffffffu, 0, FWD_PORT_NONE), 0);
	ASSERT_EQ(fwd_expire(&t, 0xffffffffu, 0, 5), 0);
	ASSERT_EQ(lookup(MAC_BASE + 1), 5);
	/* a learned MAC made static is static from then on */
	ASSERT_TRUE(learn(MAC_BASE + 2, 1, 10));
	ASSERT_OK(add_static(MAC_BASE + 2, 7));
	ASSERT_EQ(lookup(MAC_BASE + 2), 7);
	ASSERT_TRUE(!learn(MAC_BASE + 2, 1, 20));
	ASSERT_EQ(lookup(MAC_BASE + 2), 7);
	ASSERT_EQ(fwd_expire(&t, 0xffffffffu, 0, FWD_PORT_NONE), 0);
	e = dumped(MAC_BASE + 2, 20, &n);
	ASSERT_EQ(n, 1);
	ASSERT_TRUE(e->is_static);
	/* not for group or all-zero addresses */
	ASSERT_EQ(add_static(0x333300000001ull, 5), -EINVAL);
	ASSERT_EQ(add_static(0xffffffffffffull, 5), -EINVAL);
	ASSERT_EQ(add_static(0, 5), -EINVAL);
	ASSERT_EQ(fwd_dump(&t, 20, dump, FWD_SLOTS), 2);
}

/* Ageing removes learned entries older than max_age, and says how many. */
static void test_expire_age(void)
{
	uint64_t v;

	fwd_init(&t);
	for (v = 1; v <= 10; v++)
		ASSERT_TRUE(learn(MAC_BASE + v, (uint16_t)v, (uint32_t)(10 * v)));
	ASSERT_OK(add_static(MAC_BASE + 100, 1));
	/* at 100 with max_age 45: seen at 10..50 are 90..50 old and go,
	 * seen at 60 is 40 old and stays */
	ASSERT_EQ(fwd_expire(&t, 100, 45, FWD_PORT_NONE), 5);
	for (v = 1; v <= 10; v++)
		ASSERT_EQ(lookup(MAC_BASE + v), v <= 5 ? FWD_PORT_NONE : v);
	ASSERT_EQ(fwd_expire(&t, 100, 45, FWD_PORT_NONE), 0);
	/* exactly max_age old is not older than max_age */
	ASSERT_EQ(fwd_expire(&t, 115, 55, FWD_PORT_NONE), 0);
	ASSERT_EQ(fwd_expire(&t, 116, 55, FWD_PORT_NONE), 1);
	ASSERT_EQ(lookup(MAC_BASE + 6), FWD_PORT_NONE);
	ASSERT_EQ(lookup(MAC_BASE + 7), 7);
	ASSERT_EQ(lookup(MAC_BASE + 100), 1);
	ASSERT_EQ(fwd_dump(&t, 116, dump, FWD_SLOTS), 5);
}

/* A port's flush: its learned entries of any age, nothing else. */
static void test_expire_port(void)
{
	uint64_t v;

	fwd_init(&t);
	for (v = 1; v <= 12; v++)
		ASSERT_TRUE(learn(MAC_BASE + v, (uint16_t)(v % 3), (uint32_t)v));
	ASSERT_OK(add_static(MAC_BASE + 100, 1));
	/* now and max_age would age everything out; with a port they do not count */
	ASSERT_EQ(fwd_expire(&t, 1000, 0, 1), 4);
	for (v = 1; v <= 12; v++)
		ASSERT_EQ(lookup(MAC_BASE + v), v % 3 == 1 ? FWD_PORT_NONE : v % 3);
	ASSERT_EQ(lookup(MAC_BASE + 100), 1);
	ASSERT_EQ(fwd_expire(&t, 1000, 0, 1), 0);
	/* the entry learned last (age 0) goes too */
	ASSERT_TRUE(learn(MAC_BASE + 13, 2, 1000));
	ASSERT_EQ(fwd_expire(&t, 1000, 5000, 2), 5);
	ASSERT_EQ(lookup(MAC_BASE + 13), FWD_PORT_NONE);
	ASSERT_EQ(fwd_expire(&t, 0, 0, 7), 0);
	ASSERT_EQ(fwd_dump(&t, 1000, dump, FWD_SLOTS), 5);
}

static void test_dump(void)
{
	struct fwd_entry small[3];
	const struct fwd_entry *e;
	unsigned int n;
	uint64_t v;

	fwd_init(&t);
	ASSERT_EQ(fwd_dump(&t, 0, dump, FWD_SLOTS), 0);
	for (v = 1; v <= 5; v++)
		ASSERT_TRUE(learn(MAC_BASE + (v << 24) + v, (uint16_t)(10 + v), (uint32_t)v));
	ASSERT_OK(add_static(0x0a0b0c0d0e0full, 99));
	ASSERT_EQ(fwd_dump(&t, 20, dump, FWD_SLOTS), 6);
	for (v = 1; v <= 5; v++) {
		e = dumped(MAC_BASE + (v << 24) + v, 20, &n);
		ASSERT_EQ(n, 1);
		ASSERT_EQ(e->mac[0], 0x02);
		ASSERT_EQ(e->mac[2], v);
		ASSERT_EQ(e->mac[5], v);
		ASSERT_EQ(e->port, 10 + v);
		ASSERT_EQ(e->age, 20 - v);
		ASSERT_TRUE(!e->is_static);
	}
	e = dumped(0x0a0b0c0d0e0full, 20, &n);
	ASSERT_EQ(n, 1);
	ASSERT_TRUE(!memcmp(e->mac, "\x0a\x0b\x0c\x0d\x0e\x0f", 6));
	ASSERT_EQ(e->port, 99);
	ASSERT_TRUE(e->is_static);
	ASSERT_EQ(e->age, 0);
	/* no more than asked for */
	ASSERT_EQ(fwd_dump(&t, 20, small, 3), 3);
	ASSERT_EQ(fwd_dump(&t, 20, small, 0), 0);
	/* expired entries are not dumped */
	ASSERT_EQ(fwd_expire(&t, 0, 0, 11), 1);
	ASSERT_EQ(fwd_dump(&t, 20, dump, FWD_SLOTS), 5);
	ASSERT_TRUE(dumped(MAC_BASE + (1ull << 24) + 1, 20, &n) == NULL);
}

static void test_is_group(void)
{
	static const struct {
		uint8_t mac[6];
		bool group;
	} rows[] = {
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true}, /* broadcast */
		{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, true}, /* IPv4 multicast */
		{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, true}, /* IPv6 multicast */
		{{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}, true}, /* STP */
		{{0x03, 0x00, 0x00, 0x00, 0x00, 0x00}, true}, /* I/G bit with U/L bit */
		{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, false},
		{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, false},
		{{0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false},
		{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}, false},
	};
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ASSERT_EQ(fwd_is_group(rows[i].mac), rows[i].group);
}

/* FWD_PROBE + 1 MACs with one home slot: the last finds no room. */
static void test_window_full(void)
{
	uint64_t c[FWD_PROBE + 1], near;
	unsigned int k;

	fwd_init(&t);
	colliding(0, c, FWD_PROBE + 1);
	for (k = 0; k < FWD_PROBE; k++)
		ASSERT_TRUE(learn(c[k], (uint16_t)k, 1));
	if (learn(c[FWD_PROBE], 100, 1)) {
		TEST_FAIL("%u MACs of one home slot all fit: home() no longer matches fwd.c's hash",
			  FWD_PROBE + 1);
		return;
	}
	ASSERT_EQ(lookup(c[FWD_PROBE]), FWD_PORT_NONE);
	ASSERT_EQ(add_static(c[FWD_PROBE], 100), -ENOSPC);
	ASSERT_EQ(lookup(c[FWD_PROBE]), FWD_PORT_NONE);
	/* nothing that was there is lost or changed */
	for (k = 0; k < FWD_PROBE; k++)
		ASSERT_EQ(lookup(c[k]), k);
	ASSERT_EQ(fwd_dump(&t, 1, dump, FWD_SLOTS), FWD_PROBE);
	/* the ones inside still refresh and move */
	ASSERT_TRUE(!learn(c[3], 3, 2));
	ASSERT_TRUE(learn(c[FWD_PROBE - 1], 200, 2));
	ASSERT_EQ(lookup(c[FWD_PROBE - 1]), 200);
	/* a MAC whose window starts one slot later has one free slot left */
	for (near = MAC_BASE;; near++)
		if (home(near) == ((home(c[0]) + 1) & (FWD_SLOTS - 1)))
			break;
	ASSERT_TRUE(learn(near, 300, 2));
	ASSERT_EQ(lookup(near), 300);
}

/* Learn three times as many MACs as there are slots: what fits is found,
 * what does not is not, and nothing learned is lost on the way. */
static void test_table_full(void)
{
	static bool in[3 * FWD_SLOTS];
	unsigned int i, nin = 0;

	fwd_init(&t);
	for (i = 0; i < 3 * FWD_SLOTS; i++) {
		in[i] = learn(MAC_BASE + i + 1, (uint16_t)(i % 4096), 1);
		nin += in[i];
	}
	ASSERT_TRUE(nin <= FWD_SLOTS);
	ASSERT_TRUE(nin < 3 * FWD_SLOTS);
	ASSERT_TRUE(nin > FWD_SLOTS / 2);
	ASSERT_EQ(fwd_dump(&t, 1, dump, FWD_SLOTS), nin);
	for (i = 0; i < 3 * FWD_SLOTS; i++) {
		ASSERT_EQ(lookup(MAC_BASE + i + 1), in[i] ? i % 4096 : FWD_PORT_NONE);
		if (!in[i]) {
			ASSERT_TRUE(!learn(MAC_BASE + i + 1, 1, 2));
			ASSERT_EQ(add_static(MAC_BASE + i + 1, 1), -ENOSPC);
		}
	}
	/* what is in still answers as a known MAC */
	for (i = 0; i < 3 * FWD_SLOTS; i++)
		if (in[i])
			ASSERT_TRUE(!learn(MAC_BASE + i + 1, (uint16_t)(i % 4096), 2));
	ASSERT_EQ(fwd_dump(&t, 2, dump, FWD_SLOTS), nin);
	/* everything learned goes with its age */
	ASSERT_EQ(fwd_expire(&t, 10, 1, FWD_PORT_NONE), nin);
	ASSERT_EQ(fwd_dump(&t, 10, dump, FWD_SLOTS), 0);
}

/* Deleted entries leave tombstones: lookups go on past them, new MACs take
 * their slots. */
static void test_tombstones(void)
{
	uint64_t c[FWD_PROBE + 6];
	unsigned int k;

	fwd_init(&t);
	colliding(0, c, FWD_PROBE + 6);
	/* a full window, c[k] on port k, seen at time k */
	for (k = 0; k < FWD_PROBE; k++)
		ASSERT_TRUE(learn(c[k], (uint16_t)k, k));
	ASSERT_TRUE(!learn(c[FWD_PROBE], 100, 20));
	/* the first two of the chain by port, the next two by age */
	ASSERT_EQ(fwd_expire(&t, 0, 0, 0), 1);
	ASSERT_EQ(fwd_expire(&t, 0, 0, 1), 1);
	ASSERT_EQ(fwd_expire(&t, 20, 16, FWD_PORT_NONE), 2);
	for (k = 0; k < FWD_PROBE; k++)
		ASSERT_EQ(lookup(c[k]), k < 4 ? FWD_PORT_NONE : k);
	/* holes in the middle of the chain too */
	ASSERT_EQ(fwd_expire(&t, 0, 0, 9), 1);
	ASSERT_EQ(fwd_expire(&t, 0, 0, 9), 0);
	ASSERT_EQ(lookup(c[10]), 10);
	ASSERT_EQ(lookup(c[FWD_PROBE - 1]), FWD_PROBE - 1);
	ASSERT_EQ(fwd_dump(&t, 20, dump, FWD_SLOTS), FWD_PROBE - 5);
	/* five new MACs of the same home fill the five holes, a sixth finds none */
	for (k = FWD_PROBE; k < FWD_PROBE + 5; k++)
		ASSERT_TRUE(learn(c[k], (uint16_t)(100 + k), 30));
	ASSERT_TRUE(!learn(c[FWD_PROBE + 5], 200, 30));
	ASSERT_EQ(add_static(c[FWD_PROBE + 5], 200), -ENOSPC);
	ASSERT_EQ(lookup(c[FWD_PROBE + 5]), FWD_PORT_NONE);
	for (k = 0; k < FWD_PROBE + 5; k++) {
		uint16_t want = k >= FWD_PROBE ? 100 + k : k;

		if (k < 4 || k == 9)
			want = FWD_PORT_NONE;
		ASSERT_EQ(lookup(c[k]), want);
	}
	ASSERT_EQ(fwd_dump(&t, 30, dump, FWD_SLOTS), FWD_PROBE);
	/* an expired MAC comes back as new */
	ASSERT_EQ(fwd_expire(&t, 0, 0, 100 + FWD_PROBE), 1);
	ASSERT_TRUE(learn(c[0], 0, 40));
	ASSERT_EQ(lookup(c[0]), 0);
}

/*
 * A MAC further along a chain than a tombstone is found, not installed a
 * second time in the tombstone: relearning it on its port changes nothing,
 * a move moves it, a static entry stays, and flushing its port leaves no
 * stale copy behind.
 */
static void test_no_copy_past_tombstone(void)
{
	const struct fwd_entry *e;
	uint64_t c[3];
	unsigned int n;

	fwd_init(&t);
	colliding(0, c, 3);
	ASSERT_TRUE(learn(c[0], 1, 0));
	ASSERT_TRUE(learn(c[1], 2, 0));
	ASSERT_EQ(add_static(c[2], 3), 0);
	ASSERT_EQ(fwd_expire(&t, 0, 0, 1), 1); /* c[0]'s slot: a tombstone before c[1], c[2] */
	ASSERT_TRUE(!learn(c[1], 2, 5));	/* the same port: nothing changed */
	ASSERT_TRUE(dumped(c[1], 5, &n) && n == 1);
	ASSERT_TRUE(learn(c[1], 4, 6));		/* a move */
	ASSERT_EQ(lookup(c[1]), 4);
	ASSERT_TRUE(dumped(c[1], 6, &n) && n == 1);
	ASSERT_EQ(fwd_expire(&t, 0, 0, 4), 1);
	ASSERT_EQ(lookup(c[1]), FWD_PORT_NONE); /* not the old port 2 */
	ASSERT_TRUE(!learn(c[2], 5, 7));	/* static: not moved by learning */
	ASSERT_EQ(lookup(c[2]), 3);
	e = dumped(c[2], 7, &n);
	ASSERT_TRUE(e && n == 1 && e->is_static);
}

/*
 * A learner moves MACs between ports while a reader looks them up: a lookup
 * finds the MAC on one of its own ports or not at all, never on a port that
 * belongs to another MAC (no torn or mixed-up entry). MACs are taken in
 * colliding groups so entries share probe chains, and ports get flushed so
 * the reader walks past tombstones. The learner goes on until the reader has
 * made RACE_PASSES passes over the MACs, so the two really overlap.
 */
#define RACE_MACS 256
#define RACE_ROUNDS 400
#define RACE_PASSES 50
#define RACE_MAX_ROUNDS 1000000
#define RACE_PORTS 4 /* MAC k lives on ports k * RACE_PORTS + 0..3 */

struct race {
	uint64_t mac[RACE_MACS];
	atomic_bool started, done;
	atomic_uint passes;
	unsigned long lookups, found, bad;
	uint64_t bad_mac;
	uint16_t bad_port;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	unsigned int k;

	atomic_store(&r->started, true);
	while (!atomic_load(&r->done)) {
		for (k = 0; k < RACE_MACS; k++) {
			uint16_t p = lookup(r->mac[k]);

			r->lookups++;
			if (p == FWD_PORT_NONE)
				continue;
			r->found++;
			if (p / RACE_PORTS != k && !r->bad++) {
				r->bad_mac = r->mac[k];
				r->bad_port = p;
			}
		}
		atomic_fetch_add(&r->passes, 1);
	}
	return NULL;
}

static uint16_t race_port(unsigned int k, unsigned int round)
{
	return (uint16_t)(k * RACE_PORTS + (round + k) % RACE_PORTS);
}

static void test_learn_lookup_race(void)
{
	static struct race r;
	unsigned int k, round;
	pthread_t thr;

	memset(&r, 0, sizeof(r));
	fwd_init(&t);
	/* 16 groups of 16 MACs, each group sharing a home slot */
	for (k = 0; k < RACE_MACS; k += 16)
		colliding((uint64_t)k << 20, r.mac + k, 16);
	ASSERT_OK(pthread_create(&thr, NULL, race_reader, &r));
	while (!atomic_load(&r.started))
		sched_yield();
	for (round = 0; round < RACE_ROUNDS ||
			(atomic_load(&r.passes) < RACE_PASSES && round < RACE_MAX_ROUNDS);
	     round++) {
		/* every few rounds, first flush some of the ports the last
		 * round used (tombstones mid-chain), then learn everything */
		if (round % 8 == 3)
			for (k = round % 5; k < RACE_MACS; k += 5)
				fwd_expire(&t, round, 0, race_port(k, round - 1));
		for (k = 0; k < RACE_MACS; k++)
			learn(r.mac[k], race_port(k, round), round);
	}
	atomic_store(&r.done, true);
	pthread_join(thr, NULL);
	if (r.bad)
		TEST_FAIL("%lu of %lu lookups found a MAC on another MAC's port (first: %012llx on "
			  "port %u)",
			  r.bad, r.lookups, (unsigned long long)r.bad_mac, r.bad_port);
	ASSERT_EQ(r.bad, 0);
	ASSERT_TRUE(r.found > 0);
	/* after the last round every MAC is where it was learned last */
	for (k = 0; k < RACE_MACS; k++)
		ASSERT_EQ(lookup(r.mac[k]), race_port(k, round - 1));
}

static int learn_lim(uint64_t v, uint16_t port, uint32_t now, uint32_t limit)
{
	uint8_t mac[6];

	mac_from(v, mac);
	return fwd_learn_limited(&t, mac, port, now, limit);
}

/* A port's learned entries are counted through learns, moves, statics and
 * expiry; at its limit it learns nothing new and takes nothing over, and
 * refreshing what it has still works. */
static void test_port_limit(void)
{
	int i;

	fwd_init(&t);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(learn_lim(MAC_BASE + i, 1, 10, 3), 1);
	ASSERT_EQ(fwd_learned(&t, 1), 3);
	ASSERT_EQ(learn_lim(MAC_BASE + 3, 1, 10, 3), -ENOSPC);
	ASSERT_EQ(lookup(MAC_BASE + 3), FWD_PORT_NONE);
	ASSERT_EQ(learn_lim(MAC_BASE + 1, 1, 11, 3), 0); /* a refresh */
	/* a MAC of port 2 cannot move onto the full port 1 */
	ASSERT_EQ(learn_lim(MAC_BASE + 10, 2, 10, 3), 1);
	ASSERT_EQ(learn_lim(MAC_BASE + 10, 1, 12, 3), -ENOSPC);
	ASSERT_EQ(lookup(MAC_BASE + 10), 2);
	/* ... but one of port 1's can move to port 2, freeing room */
	ASSERT_EQ(learn_lim(MAC_BASE + 0, 2, 12, 3), 1);
	ASSERT_EQ(fwd_learned(&t, 1), 2);
	ASSERT_EQ(fwd_learned(&t, 2), 2);
	ASSERT_EQ(learn_lim(MAC_BASE + 3, 1, 13, 3), 1);
	/* a static entry is not a learned one */
	ASSERT_OK(add_static(MAC_BASE + 2, 1));
	ASSERT_EQ(fwd_learned(&t, 1), 2);
	/* ageing and flushing give the room back */
	ASSERT_EQ(fwd_expire(&t, 13, 0, 1), 2);
	ASSERT_EQ(fwd_learned(&t, 1), 0);
	ASSERT_EQ(fwd_expire(&t, 1000, 100, FWD_PORT_NONE), 2);
	ASSERT_EQ(fwd_learned(&t, 2), 0);
	/* fwd_learn is unlimited */
	for (i = 0; i < 100; i++)
		ASSERT_TRUE(learn(MAC_BASE + 100 + i, 5, 20));
	ASSERT_EQ(fwd_learned(&t, 5), 100);
}

static uint16_t static_port(uint64_t v)
{
	uint8_t mac[6];

	mac_from(v, mac);
	return fwd_static_port(&t, mac);
}

static int del_static(uint64_t v)
{
	uint8_t mac[6];

	mac_from(v, mac);
	return fwd_del_static(&t, mac);
}

/* Static entries come and go at runtime (xvioctl mac add|del); a learned
 * entry is not a static one to remove. */
static void test_del_static(void)
{
	fwd_init(&t);
	ASSERT_OK(add_static(MAC_BASE + 1, 3));
	ASSERT_EQ(lookup(MAC_BASE + 1), 3);
	ASSERT_EQ(static_port(MAC_BASE + 1), 3);
	ASSERT_TRUE(!learn(MAC_BASE + 1, 4, 10)); /* a static entry does not move */
	ASSERT_OK(del_static(MAC_BASE + 1));
	ASSERT_EQ(lookup(MAC_BASE + 1), FWD_PORT_NONE);
	ASSERT_EQ(del_static(MAC_BASE + 1), -ENOENT);
	ASSERT_EQ(static_port(MAC_BASE + 1), FWD_PORT_NONE);
	ASSERT_TRUE(learn(MAC_BASE + 2, 4, 10));
	ASSERT_EQ(static_port(MAC_BASE + 2), FWD_PORT_NONE); /* learned, not static */
	ASSERT_EQ(del_static(MAC_BASE + 2), -ENOENT);
	ASSERT_EQ(lookup(MAC_BASE + 2), 4);
	/* the freed slot takes a new static entry, and it stays static */
	ASSERT_OK(add_static(MAC_BASE + 1, 5));
	ASSERT_EQ(fwd_expire(&t, 1000, 10, FWD_PORT_NONE), 1); /* only the learned one */
	ASSERT_EQ(lookup(MAC_BASE + 1), 5);
}

int main(void)
{
	RUN_TEST(test_learn_lookup);
	RUN_TEST(test_relearn_refreshes);
	RUN_TEST(test_move);
	RUN_TEST(test_static);
	RUN_TEST(test_expire_age);
	RUN_TEST(test_expire_port);
	RUN_TEST(test_dump);
	RUN_TEST(test_is_group);
	RUN_TEST(test_window_full);
	RUN_TEST(test_table_full);
	RUN_TEST(test_tombstones);
	RUN_TEST(test_no_copy_past_tombstone);
	RUN_TEST(test_learn_lookup_race);
	RUN_TEST(test_port_limit);
	RUN_TEST(test_del_static);
	TEST_EXIT();
}
