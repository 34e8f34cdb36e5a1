// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: notifications. One call per burst, NO_INTERRUPT,
 * event index on split and packed rings, kick suppression.
 */
#include <unistd.h>
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

/* Eventfd counter (kick or call), read and reset; 0 when nothing fired. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* ---- notifications ----------------------------------------------------------- */

static void test_call_once_per_burst(void)
{
	int packed, k;

	for (packed = 0; packed < 2; packed++) {
		ASSERT_OK(start(F_V1 | (packed ? F_PACKED : 0), 16));
		efd_take(dq(0)->call_fd);
		efd_take(dq(1)->call_fd);
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
		ASSERT_EQ(rx(8, 100, 0), 8);
		ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
		ASSERT_EQ(vhu_vq__stats(vq(0))->calls, 1);
		for (k = 0; k < 8; k++)
			ASSERT_OK(tx(100, k, 2, false));
		ASSERT_OK(tx_expect(8, 100, 0));
		ASSERT_EQ(efd_take(dq(1)->call_fd), 1);
		ASSERT_EQ(vhu_vq__stats(vq(1))->calls, 1);
		ASSERT_EQ(run_tx(), 0); /* nothing used: no interrupt */
		ASSERT_EQ(efd_take(dq(1)->call_fd), 0);
		fx_stop();
	}
}

/* Split without event index: avail->flags NO_INTERRUPT. */
static void test_split_no_interrupt_flag(void)
{
	ASSERT_OK(start(F_V1, 16));
	efd_take(dq(0)->call_fd);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	vdrv_vq_disable_cb(dq(0), true);
	ASSERT_EQ(rx(1, 100, 0), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
	ASSERT_EQ(vhu_vq__stats(vq(0))->calls_suppressed, 1);
	vdrv_vq_disable_cb(dq(0), false);
	ASSERT_EQ(rx(1, 100, 1), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	ASSERT_EQ(vhu_vq__stats(vq(0))->calls, 1);
}

/* Split with event index: an interrupt only when used->idx passes used_event. */
static void test_split_event_idx(void)
{
	const struct vhu_vq_stats *st;
	int k;

	ASSERT_OK(start(F_V1 | F_EVT, 16));
	st = vhu_vq__stats(vq(0));
	efd_take(dq(0)->call_fd);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 12, 2048), 12);
	ASSERT_EQ(rx(1, 100, 0), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	vdrv_vq_set_used_event(dq(0), 4); /* notify when entry 4 is used */
	for (k = 1; k < 4; k++) {
		ASSERT_EQ(rx(1, 100, k), 1);
		ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
	}
	ASSERT_EQ(st->calls_suppressed, 3);
	ASSERT_EQ(rx(1, 100, 4), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	vdrv_vq_set_used_event(dq(0), 6); /* passed inside one burst of three */
	ASSERT_EQ(rx(3, 100, 5), 3);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	ASSERT_EQ(rx(1, 100, 8), 1); /* 6 is behind: quiet */
	ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
	ASSERT_EQ(st->calls, 3);
	for (k = 0; k < 9; k++)
		ASSERT_OK(rx_is(0, 100, k));
}

/* Packed with event index: the event offset and its wrap counter. */
static void test_packed_event_idx(void)
{
	const struct vhu_vq_stats *st;
	int k;

	ASSERT_OK(start(F_V1 | F_EVT | F_PACKED, 8));
	st = vhu_vq__stats(vq(0));
	efd_take(dq(0)->call_fd);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_EQ(rx(1, 100, 0), 1); /* position 0 */
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	vdrv_vq_set_used_event(dq(0), 3 | 1u << VDRV_WRAP_BIT);
	for (k = 1; k < 4; k++) {
		ASSERT_EQ(rx(1, 100, k), 1);
		ASSERT_EQ(efd_take(dq(0)->call_fd), k == 3);
	}
	for (k = 0; k < 4; k++)
		ASSERT_OK(rx_is(0, 100, k));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	/* position 1 of the next lap (wrap counter 0) */
	vdrv_vq_set_used_event(dq(0), 1);
	for (k = 4; k < 10; k++) {
		ASSERT_EQ(rx(1, 100, k), 1);
		ASSERT_EQ(efd_take(dq(0)->call_fd), k == 9);
	}
	ASSERT_EQ(st->calls, 3);
	ASSERT_EQ(st->calls_suppressed, 7);
	for (k = 4; k < 10; k++)
		ASSERT_OK(rx_is(0, 100, k));
	/* DISABLE: never */
	vdrv_vq_disable_cb(dq(0), true);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 2, 2048), 2);
	ASSERT_EQ(rx(2, 100, 10), 2);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
}

/* Kick suppression (vhu_vq__notify_enable) as the guest sees it. */
static void test_kick_suppression(void)
{
	static const uint64_t feat[] = {F_V1, F_V1 | F_EVT, F_V1 | F_PACKED};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		int kfd;

		ASSERT_OK(start(feat[i], 16));
		kfd = dq(1)->kick_fd;
		efd_take(kfd);
		ASSERT_TRUE(!vhu_vq__notify_enable(vq(1), false));
		if (!(feat[i] & F_EVT)) {
			/* off: the guest does not kick */
			ASSERT_OK(tx(60, 0, 1, false));
			ASSERT_EQ(efd_take(kfd), 0);
			/* on with work pending: the caller must not sleep */
			ASSERT_TRUE(vhu_vq__notify_enable(vq(1), true));
			ASSERT_OK(tx_expect(1, 60, 0));
		} else {
			/* event index: the first frame after enabling kicks,
			 * the next one does not until we re-enable */
			ASSERT_TRUE(!vhu_vq__notify_enable(vq(1), true));
			ASSERT_OK(tx(60, 0, 1, false));
			ASSERT_EQ(efd_take(kfd), 1);
			ASSERT_OK(tx(60, 1, 1, false));
			ASSERT_EQ(efd_take(kfd), 0);
			ASSERT_OK(tx_expect(2, 60, 0));
		}
		ASSERT_TRUE(!vhu_vq__notify_enable(vq(1), true));
		ASSERT_OK(tx(60, 2, 1, false));
		ASSERT_EQ(efd_take(kfd), 1);
		ASSERT_OK(tx_expect(1, 60, 2));
		fx_stop();
	}
}

int main(void)
{
	RUN(test_call_once_per_burst);
	RUN(test_split_no_interrupt_flag);
	RUN(test_split_event_idx);
	RUN(test_packed_event_idx);
	RUN(test_kick_suppression);
	fx_free();
	TEST_EXIT();
}
