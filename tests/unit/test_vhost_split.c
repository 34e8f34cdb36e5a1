// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: the split ring data path. TX and RX bursts, chains,
 * indirect tables, laps and 16-bit index wrap, mergeable RX buffers.
 */
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

/* ---- split ring data path --------------------------------------------------- */

static void test_split_tx_single_seg(void)
{
	static const uint32_t lens[] = {60, 1, 1514, 4000};
	const struct vhu_vq_stats *st;
	uint64_t bytes = 0;
	unsigned int k;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
	for (k = 0; k < 4; k++)
		ASSERT_OK(tx(lens[k], k, 1, false));
	ASSERT_TRUE(vhu_vq__has_work(vq(1)));
	ASSERT_EQ(deq(VHU_BURST), 4);
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(pkts[k].nsegs, 1);
		ASSERT_OK(pkt_is(&pkts[k], lens[k], k));
		bytes += lens[k];
	}
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 0); /* nothing used before done */
	vhu_vq__dequeue_done(vq(1));
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 4);
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
	ASSERT_EQ(run_tx(), 0);
	st = vhu_vq__stats(vq(1));
	ASSERT_EQ(st->packets, 4);
	ASSERT_EQ(st->bytes, bytes);
	/* a burst smaller than what is queued leaves the rest */
	for (k = 0; k < 3; k++)
		ASSERT_OK(tx(70, 10 + k, 1, false));
	ASSERT_EQ(deq(2), 2);
	ASSERT_OK(pkt_is(&pkts[1], 70, 11));
	ASSERT_OK(tx_expect(1, 70, 12));
	/* the largest frame, and one byte more */
	ASSERT_OK(tx(VHU_MAX_FRAME, 20, 1, false));
	ASSERT_OK(tx_expect(1, VHU_MAX_FRAME, 20));
	ASSERT_OK(tx(VHU_MAX_FRAME + 1, 21, 1, false));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(st->drop_too_big, 1);
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 5);
}

static void test_split_tx_multi_seg(void)
{
	struct vdrv_tx_opts o = {.nsegs = 3, .hdr_alone = true};
	struct vdrv_buf b;
	int n;

	ASSERT_OK(start(F_V1, 16));
	for (n = 2; n <= 8; n++) {
		ASSERT_OK(tx(1000 + n, n, n, false));
		ASSERT_OK(tx_expect(1, 1000 + n, n));
	}
	/* header split over two buffers: 4 buffers of 8 bytes */
	ASSERT_OK(tx(20, 30, 4, false));
	ASSERT_EQ(deq(VHU_BURST), 1);
	ASSERT_EQ(pkts[0].nsegs, 3);
	ASSERT_OK(pkt_is(&pkts[0], 20, 30));
	vhu_vq__dequeue_done(vq(1));
	/* header alone in its own buffer */
	fill(frame, 777, 31);
	ASSERT_OK(vdrv_net_tx_opts(&fx.d, 0, frame, 777, &o));
	ASSERT_EQ(deq(VHU_BURST), 1);
	ASSERT_EQ(pkts[0].nsegs, 3);
	ASSERT_OK(pkt_is(&pkts[0], 777, 31));
	vhu_vq__dequeue_done(vq(1));
	/* a chain of just the header (over three buffers), one shorter */
	ASSERT_OK(tx(0, 0, 3, false));
	b = (struct vdrv_buf){.gpa = galloc(8), .len = 8};
	ASSERT_TRUE(vdrv_vq_add(dq(1), &b, 1, 0, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_bad_hdr, 2);
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 9);
	ASSERT_TRUE(vdrv_net_tx_reap(&fx.d, 0) > 0);
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
}

static void test_split_rx(void)
{
	static const uint32_t lens[] = {60, 1514, 2036, 333};
	static const uint8_t zero[10];
	const struct vhu_vq_stats *st;
	unsigned int k;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_EQ(rx(1, 60, 0), 0); /* no buffers yet */
	st = vhu_vq__stats(vq(0));
	ASSERT_EQ(st->drop_no_buffers, 1);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_TRUE(vhu_vq__has_work(vq(0)));
	ASSERT_EQ(rx_lens(0, 3, lens, 0, 1), 3);
	ASSERT_EQ(rx_lens(0, 1, lens + 3, 3, 3), 1); /* from three host segments */
	for (k = 0; k < 4; k++) {
		ASSERT_OK(rx_is(0, lens[k], k));
		ASSERT_EQ(rx_nbufs(), 1);
		ASSERT_TRUE(!memcmp(fx.d.rx_hdr, zero, sizeof(zero)));
	}
	ASSERT_EQ(st->packets, 4);
	ASSERT_EQ(st->bytes, 60 + 1514 + 2036 + 333);
	/* four buffers left: a burst of six delivers four, counts two */
	ASSERT_EQ(rx(6, 100, 10), 4);
	ASSERT_EQ(st->drop_no_buffers, 3);
	for (k = 0; k < 4; k++)
		ASSERT_OK(rx_is(0, 100, 10 + k));
	ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &k), 0);
}

/* The guest reads one used buffer on pair @q that holds nothing. */
static int rx_empty_chain(int q)
{
	uint8_t buf[64];
	uint32_t n = 0;
	int r = vdrv_net_rx_get(&fx.d, q, buf, sizeof(buf), &n);

	CHECK(r < 0 || n == 0, "a buffer used empty read as %d, %u bytes", r, n);
	return 0;
}

/* enqueue_try: a frame dropped mid-burst (too big for a buffer) is gone,
 * not a leftover: the count covers the frames after it that went in, so
 * that a holding caller never offers those again (a duplicate). */
static void test_split_rx_try_drop_mid(void)
{
	static const uint32_t lens[3] = { 100, 3000, 100 };
	const struct vhu_vq_stats *st;

	ASSERT_OK(start(F_V1, 16));
	st = vhu_vq__stats(vq(0));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	rx_try = true;
	ASSERT_EQ(rx_lens(0, 3, lens, 40, 1), 3);
	rx_try = false;
	ASSERT_EQ(st->drop_too_big, 1);
	ASSERT_EQ(st->packets, 2);
	ASSERT_OK(rx_is(0, 100, 40));
	ASSERT_OK(rx_empty_chain(0)); /* the dropped frame's buffer, used empty */
	ASSERT_OK(rx_is(0, 100, 42));
}

/* enqueue_try: leftovers are the caller's, not drops; avail_count follows
 * the ring. */
static void test_split_rx_try(void)
{
	const struct vhu_vq_stats *st;
	unsigned int k;

	ASSERT_OK(start(F_V1, 16));
	st = vhu_vq__stats(vq(0));
	ASSERT_EQ(vhu_vq__avail_count(vq(0)), 0);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	ASSERT_EQ(vhu_vq__avail_count(vq(0)), 4);
	rx_try = true;
	ASSERT_EQ(rx(6, 100, 20), 4);
	rx_try = false;
	ASSERT_EQ(st->drop_no_buffers, 0);
	ASSERT_EQ(vhu_vq__avail_count(vq(0)), 0);
	for (k = 0; k < 4; k++)
		ASSERT_OK(rx_is(0, 100, 20 + k));
	ASSERT_EQ(rx(2, 100, 30), 0);
	ASSERT_EQ(st->drop_no_buffers, 2);
}

/* Several laps of a ring of 8, chains of 1-3 descriptors. */
static void test_split_wrap(void)
{
	int round, k, j, nsegs, per;

	ASSERT_OK(start(F_V1, 8));
	for (round = 0; round < 30; round++) {
		nsegs = 1 + round % 3;
		per = 8 / nsegs;
		for (k = 0; k < per; k++)
			ASSERT_OK(tx(64 + round, round * 8 + k, nsegs, false));
		ASSERT_OK(tx_expect(per, 64 + round, round * 8));
	}
	for (round = 0; round < 30; round++) {
		k = 1 + round % 8;
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, k, 2048), k);
		ASSERT_EQ(rx(k, 100 + round, round * 8), k);
		for (j = 0; j < k; j++)
			ASSERT_OK(rx_is(0, 100 + round, round * 8 + j));
	}
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_no_buffers, 0);
}

/* More than 65536 frames through a ring of 8: the free-running 16-bit
 * avail and used indexes wrap. */
static void test_split_index_wrap(void)
{
	int round, k;

	ASSERT_OK(start(F_V1, 8));
	for (round = 0; round < 8300; round++) {
		for (k = 0; k < 8; k++)
			ASSERT_OK(tx(40, round + k, 1, false));
		ASSERT_OK(tx_expect(8, 40, round));
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(8, 40, round), 8);
		for (k = 0; k < 8; k++)
			ASSERT_OK(rx_is(0, 40, round + k));
	}
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 8300 * 8);
	ASSERT_EQ(vhu_vq__stats(vq(0))->packets, 8300 * 8);
	ASSERT_EQ(used_idx(dq(1)), (uint16_t)(8300 * 8));
}

/* RX into one chain of three writable buffers; TX chain with a trailing
 * writable buffer (ignored for TX). */
static void test_split_chains(void)
{
	static const uint32_t blen[] = {40, 100, 3000};
	struct vdrv_buf b[3];
	uint32_t len, off = 0;
	uint8_t hdr[12];
	int k;

	ASSERT_OK(start(F_V1, 16));
	for (k = 0; k < 3; k++)
		b[k] = (struct vdrv_buf){.gpa = galloc(blen[k]), .len = blen[k]};
	ASSERT_TRUE(vdrv_vq_add(dq(0), b, 0, 3, false, NULL) >= 0);
	vdrv_vq_publish(dq(0));
	ASSERT_EQ(rx(1, 1000, 4), 1);
	ASSERT_EQ(vdrv_vq_get_used(dq(0), NULL, &len), 1);
	ASSERT_EQ(len, 1012);
	for (k = 0; k < 3 && off < len; k++) {
		uint32_t c = len - off < blen[k] ? len - off : blen[k];

		ASSERT_OK(gcopy(b[k].gpa, got + off, c, false));
		off += c;
	}
	memcpy(hdr, got, 12);
	ASSERT_EQ(hdr[10] | hdr[11] << 8, 1);
	fill(frame, 1000, 4);
	ASSERT_TRUE(!memcmp(got + 12, frame, 1000));

	b[0] = (struct vdrv_buf){.gpa = galloc(512), .len = 12 + 300};
	b[1] = (struct vdrv_buf){.gpa = galloc(64), .len = 64};
	memset(hdr, 0, sizeof(hdr));
	ASSERT_OK(gcopy(b[0].gpa, hdr, 12, true));
	fill(frame, 300, 5);
	ASSERT_OK(gcopy(b[0].gpa + 12, frame, 300, true));
	ASSERT_TRUE(vdrv_vq_add(dq(1), b, 1, 1, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_OK(tx_expect(1, 300, 5));
	ASSERT_EQ(vdrv_vq_get_used(dq(1), NULL, &len), 1);
	ASSERT_EQ(len, 0);
}

static void test_split_indirect(void)
{
	struct vdrv_tx_opts o = {.nsegs = 4, .indirect = true, .hdr_alone = true};
	int k;

	ASSERT_OK(start(F_V1 | F_IND, 16));
	for (k = 1; k <= 16; k *= 2) {
		ASSERT_OK(tx(1500, k, k, true));
		ASSERT_OK(tx_expect(1, 1500, k));
	}
	fill(frame, 900, 50);
	ASSERT_OK(vdrv_net_tx_opts(&fx.d, 0, frame, 900, &o));
	ASSERT_OK(tx_expect(1, 900, 50));
	/* RX: an indirect table of three writable buffers */
	ASSERT_OK(rx_indirect_three());
}

/* Mergeable RX: a frame spreads over several buffers; out of buffers the
 * chains are given back untouched. Split and packed. */
static void test_mrg_rx(void)
{
	int packed;

	for (packed = 0; packed < 2; packed++) {
		ASSERT_OK(start(F_V1 | F_MRG | (packed ? F_PACKED : 0), 16));
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(1, 1000, 1), 1); /* 1012 bytes: four buffers */
		ASSERT_OK(rx_is(0, 1000, 1));
		ASSERT_EQ(rx_nbufs(), 4);
		ASSERT_EQ(rx_lens(0, 2, (uint32_t[]){100, 500}, 2, 1), 2);
		ASSERT_OK(rx_is(0, 100, 2));
		ASSERT_EQ(rx_nbufs(), 1);
		ASSERT_OK(rx_is(0, 500, 3));
		ASSERT_EQ(rx_nbufs(), 2);
		/* one buffer left: a 2000-byte frame waits for more */
		ASSERT_EQ(rx(1, 2000, 4), 0);
		ASSERT_EQ(vhu_vq__stats(vq(0))->drop_no_buffers, 1);
		ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &(uint32_t){0}), 0);
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(1, 2000, 5), 1);
		ASSERT_OK(rx_is(0, 2000, 5));
		ASSERT_EQ(rx_nbufs(), 8);
		ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_big, 0);
		fx_stop();
	}
}

/* Mergeable RX where the burst takes the ring's last buffer in the middle of
 * a frame: that frame is out of buffers, its chains stay available. */
static void test_mrg_ring_exhausted(void)
{
	const struct vhu_vq_stats *st;
	int packed;

	for (packed = 0; packed < 2; packed++) {
		ASSERT_OK(start(F_V1 | F_MRG | (packed ? F_PACKED : 0), 8));
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(3, 700, 1), 2); /* 712 bytes: three buffers each */
		st = vhu_vq__stats(vq(0));
		ASSERT_EQ(st->drop_no_buffers, 1);
		ASSERT_EQ(st->drop_too_big, 0);
		ASSERT_OK(rx_is(0, 700, 1));
		ASSERT_OK(rx_is(0, 700, 2));
		ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &(uint32_t){0}), 0);
		ASSERT_EQ(rx(1, 400, 9), 1); /* the two buffers left still work */
		ASSERT_OK(rx_is(0, 400, 9));
		ASSERT_EQ(rx_nbufs(), 2);
		fx_stop();
	}
}

/* Without MRG_RXBUF a frame larger than the buffer is dropped and counted; the
 * buffer is used empty so the ring moves on. */
static void test_no_mrg_too_big(void)
{
	int id;
	uint32_t len;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 1024), 4);
	ASSERT_EQ(rx_lens(0, 3, (uint32_t[]){100, 1500, 200}, 0, 1), 2);
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_big, 1);
	ASSERT_OK(rx_is(0, 100, 0));
	ASSERT_EQ(vdrv_vq_get_used_id(dq(0), &id, NULL, &len), 1);
	ASSERT_EQ(len, 0);
	ASSERT_OK(rx_is(0, 200, 2));
	ASSERT_EQ(rx(1, VHU_MAX_FRAME + 1, 3), 0); /* takes no buffer */
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_big, 2);
	ASSERT_EQ(rx(1, 1012, 4), 1); /* exactly 1024 with the header */
	ASSERT_OK(rx_is(0, 1012, 4));
}

int main(void)
{
	RUN(test_split_tx_single_seg);
	RUN(test_split_tx_multi_seg);
	RUN(test_split_rx);
	RUN(test_split_rx_try);
	RUN(test_split_rx_try_drop_mid);
	RUN(test_split_wrap);
	RUN(test_split_index_wrap);
	RUN(test_split_chains);
	RUN(test_split_indirect);
	RUN(test_mrg_rx);
	RUN(test_mrg_ring_exhausted);
	RUN(test_no_mrg_too_big);
	fx_free();
	TEST_EXIT();
}
