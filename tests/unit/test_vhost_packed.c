// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: the packed ring data path (virtio 1.2 section 2.8):
 * TX and RX, wrap counters over a ring of 10, indirect tables.
 */
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

/* ---- packed ring data path ------------------------------------------------------ */

static void test_packed_tx_rx(void)
{
	static const uint32_t lens[] = {60, 1514, 2036};
	unsigned int k;

	ASSERT_OK(start(F_V1 | F_PACKED, 16));
	ASSERT_TRUE(vhu_vq__packed(vq(0)) && vhu_vq__packed(vq(1)));
	for (k = 0; k < 3; k++)
		ASSERT_OK(tx(lens[k], k, 1 + k, false));
	ASSERT_TRUE(vhu_vq__has_work(vq(1)));
	ASSERT_EQ(deq(VHU_BURST), 3);
	for (k = 0; k < 3; k++)
		ASSERT_OK(pkt_is(&pkts[k], lens[k], k));
	vhu_vq__dequeue_done(vq(1));
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 3);
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_EQ(rx_lens(0, 3, lens, 10, 2), 3);
	for (k = 0; k < 3; k++) {
		ASSERT_OK(rx_is(0, lens[k], 10 + k));
		ASSERT_EQ(rx_nbufs(), 1);
	}
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 3);
	ASSERT_EQ(vhu_vq__stats(vq(0))->packets, 3);
}

/* A ring of 10 (packed sizes need not be powers of two): chains of three
 * descriptors straddle the end, the wrap counters flip each lap. */
static void test_packed_wrap(void)
{
	int round, k;

	ASSERT_OK(start(F_V1 | F_PACKED, 10));
	for (round = 0; round < 30; round++) {
		for (k = 0; k < 3; k++)
			ASSERT_OK(tx(80 + round, round * 4 + k, 3, false));
		ASSERT_OK(tx_expect(3, 80 + round, round * 4));
	}
	for (round = 0; round < 30; round++) {
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 7, 2048), 7);
		ASSERT_EQ(rx(7, 90 + round, round * 8), 7);
		for (k = 0; k < 7; k++)
			ASSERT_OK(rx_is(0, 90 + round, round * 8 + k));
	}
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 90);
	ASSERT_EQ(vhu_vq__stats(vq(0))->packets, 210);
}

static void test_packed_indirect(void)
{
	int k;

	ASSERT_OK(start(F_V1 | F_IND | F_PACKED, 8));
	for (k = 1; k <= 8; k *= 2) {
		ASSERT_OK(tx(1500, k, k, true));
		ASSERT_OK(tx_expect(1, 1500, k));
	}
	ASSERT_OK(rx_indirect_three());
}

int main(void)
{
	RUN(test_packed_tx_rx);
	RUN(test_packed_wrap);
	RUN(test_packed_indirect);
	fx_free();
	TEST_EXIT();
}
