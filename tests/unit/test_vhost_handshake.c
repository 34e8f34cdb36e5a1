// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: the handshake as a guest does it (features, protocol
 * features, queue pairs, legacy guests, REPLY_ACK, NET_SET_MTU) and a ring
 * stopped with GET_VRING_BASE and restarted where it left off.
 */
#include <poll.h>
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

/* Nothing more to read from the backend (no stray or double reply). */
static bool sock_quiet(void)
{
	struct pollfd p = {.fd = fx.fe, .events = POLLIN};

	return poll(&p, 1, 0) == 0;
}

/* ---- handshake ------------------------------------------------------------ */

static void test_handshake(void)
{
	/* LOG_ALL is offered, but a frontend sets it only while it migrates
	 * (QEMU's vhost_dev_set_log), after SET_LOG_BASE. */
	struct fx_cfg c = {.want = ~(F_PACKED | VDRV_BIT(VDRV_F_LOG_ALL)), .proto = ~0ull,
			   .pairs = 2, .nvqs = 4};
	uint64_t off, v,
		must = F_V1 | F_IND | F_EVT | F_MRG | F_PACKED | VDRV_BIT(VDRV_F_LOG_ALL) |
		       VDRV_BIT(VDRV_F_PROTOCOL_FEATURES) | VDRV_BIT(VDRV_NET_F_MQ) |
		       VDRV_BIT(VDRV_NET_F_CSUM) | VDRV_BIT(VDRV_NET_F_GUEST_CSUM) |
		       VDRV_BIT(VDRV_NET_F_GUEST_TSO4) | VDRV_BIT(VDRV_NET_F_GUEST_TSO6) |
		       VDRV_BIT(VDRV_NET_F_HOST_TSO4) | VDRV_BIT(VDRV_NET_F_HOST_TSO6);
	/* UFO: Linux no longer makes such frames, and nothing here cuts them */
	uint64_t never = VDRV_BIT(VDRV_NET_F_GUEST_UFO) | VDRV_BIT(VDRV_NET_F_HOST_UFO) |
			 VDRV_BIT(VDRV_F_ACCESS_PLATFORM);
	char names[256];
	int i;

	ASSERT_OK(fx_start(&c));
	off = vhu_dev__features_offered(fx.dev);
	ASSERT_EQ(off & must, must);
	ASSERT_EQ(off & never, 0);
	ASSERT_EQ(vhu_dev__features(fx.dev), fx.d.features);
	ASSERT_EQ(fx.d.features, off & ~(F_PACKED | VDRV_BIT(VDRV_F_LOG_ALL)));
	ASSERT_EQ(vhu_dev__protocol_features(fx.dev), fx.d.protocol_features);
	ASSERT_TRUE(fx.d.protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK));
	ASSERT_TRUE(fx.d.protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_MQ));
	ASSERT_EQ(fx.d.max_queues, 2);
	ASSERT_EQ(vhu_dev__hdr_len(fx.dev), 12);
	ASSERT_EQ(fx.d.hdr_len, 12);
	ASSERT_EQ(vhu_dev__num_vqs(fx.dev), 4);
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(vhu_vq__ready(vq(i)) && !vhu_vq__packed(vq(i)));
	ASSERT_EQ(fx.qready, 0xf);
	ASSERT_EQ(vhu_dev__status(fx.dev), 0xf);
	ASSERT_OK(vhu_features_str(fx.d.features, names, sizeof(names)));
	ASSERT_TRUE(strstr(names, "VERSION_1") && strstr(names, "MRG_RXBUF"));
	/* the same questions asked again, one message at a time */
	ASSERT_OK(req_get(VDRV_REQ_GET_QUEUE_NUM, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v, 2);
	ASSERT_OK(req_get(VDRV_REQ_GET_PROTOCOL_FEATURES, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v & fx.d.protocol_features, fx.d.protocol_features);
	ASSERT_TRUE(v & VDRV_BIT(VDRV_PROTOCOL_F_LOG_SHMFD));
	ASSERT_OK(req_get(VDRV_REQ_GET_STATUS, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v, 0xf);
	v = 9000;
	ASSERT_EQ(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0), 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 9000);
	/* the second pair carries traffic */
	fill(frame, 300, 5);
	ASSERT_OK(vdrv_net_tx(&fx.d, 1, frame, 300, 2, false));
	ASSERT_EQ(vhu_vq__dequeue_burst(vq(3), pkts, segs, VHU_BURST), 1);
	ASSERT_OK(pkt_is(&pkts[0], 300, 5));
	vhu_vq__dequeue_done(vq(3));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 1, 2, 2048), 2);
	ASSERT_EQ(rx_lens(2, 1, (uint32_t[]){400}, 6, 1), 1);
	ASSERT_OK(rx_is(1, 400, 6));
}

static void test_handshake_single_pair(void)
{
	uint64_t v;

	ASSERT_OK(start(F_V1 | VDRV_BIT(VDRV_NET_F_MQ), 16));
	ASSERT_EQ(vhu_dev__features_offered(fx.dev) & VDRV_BIT(VDRV_NET_F_MQ), 0);
	ASSERT_EQ(fx.d.features & VDRV_BIT(VDRV_NET_F_MQ), 0);
	ASSERT_EQ(fx.d.max_queues, 1);
	ASSERT_OK(req_get(VDRV_REQ_GET_QUEUE_NUM, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v, 1);
	ASSERT_EQ(vhu_dev__num_vqs(fx.dev), 2);
}

/* No VERSION_1, no MRG_RXBUF, no protocol features: 10-byte header, rings
 * enabled by their kick, protocol-feature requests refused. */
static void test_handshake_legacy(void)
{
	struct fx_cfg c = {.want = ~0ull, .mask = F_IND | F_EVT, .qsize = 16};

	ASSERT_OK(fx_start(&c));
	ASSERT_EQ(fx.d.features, F_IND | F_EVT);
	ASSERT_EQ(vhu_dev__hdr_len(fx.dev), 10);
	ASSERT_EQ(fx.d.hdr_len, 10);
	ASSERT_TRUE(vhu_vq__ready(vq(0)) && vhu_vq__ready(vq(1)));
	ASSERT_OK(tx(100, 1, 2, false));
	ASSERT_OK(tx_expect(1, 100, 1));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 1, 2048), 1);
	ASSERT_EQ(rx(1, 2038, 2), 1);
	ASSERT_OK(rx_is(0, 2038, 2));
	ASSERT_OK(expect_closed(req(VDRV_REQ_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0),
				"without protocol features"));
}

static void test_reply_ack(void)
{
	struct vdrv_vring_state en = {.index = 0, .num = 1};
	uint32_t r, fl, sz = 8;
	uint64_t v;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0), 0);
	ASSERT_TRUE(sock_quiet());
	en.num = 2;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0) > 0);
	ASSERT_TRUE(log_has("SET_VRING_ENABLE 2"));
	ASSERT_TRUE(sock_quiet());
	ASSERT_TRUE(vhu_vq__ready(vq(0)));
	/* a GET_* with NEED_REPLY answers once, with its own reply */
	ASSERT_OK(req(VDRV_REQ_GET_FEATURES, VDRV_MSG_NEED_REPLY, NULL, 0, NULL, 0));
	ASSERT_OK(vdrv_msg_recv(fx.fe, &r, &fl, &v, &sz, 1000));
	ASSERT_EQ(v, vhu_dev__features_offered(fx.dev));
	ASSERT_TRUE(sock_quiet());
	ASSERT_OK(usable());
}

/* NEED_REPLY without REPLY_ACK negotiated: no reply; a refusal closes. */
static void test_no_reply_ack(void)
{
	struct fx_cfg c = base_cfg;
	struct vdrv_vring_state en = {.index = 0, .num = 1};

	c.proto = VDRV_BIT(VDRV_PROTOCOL_F_MQ);
	ASSERT_OK(fx_start(&c));
	ASSERT_EQ(fx.d.protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK), 0);
	ASSERT_OK(req(VDRV_REQ_SET_VRING_ENABLE, VDRV_MSG_NEED_REPLY, &en, sizeof(en), NULL, 0));
	ASSERT_TRUE(sock_quiet());
	en.num = 7;
	ASSERT_OK(expect_closed(
		req(VDRV_REQ_SET_VRING_ENABLE, VDRV_MSG_NEED_REPLY, &en, sizeof(en), NULL, 0),
		"no reply was asked for"));
}

/* NET_SET_MTU: what the frontend sets is what the port reports, up to the
 * embedder's limit; a larger one is refused and changes nothing; a new
 * connection starts with none set. */
static void test_net_mtu_limit(void)
{
	struct fx_cfg c = base_cfg;
	uint64_t v;

	c.max_mtu = 1500;
	ASSERT_OK(fx_start(&c));
	ASSERT_EQ(vhu_dev__max_mtu(fx.dev), 1500);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 0);
	v = 9000;
	ASSERT_TRUE(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0) > 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 0);
	v = 1500;
	ASSERT_EQ(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0), 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 1500);
	v = 1280;
	ASSERT_EQ(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0), 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 1280);
	ASSERT_OK(fx_reconnect(&c));
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 0);
	ASSERT_EQ(vhu_dev__max_mtu(fx.dev), 1500);
}

/* ---- GET_VRING_BASE / SET_VRING_BASE ------------------------------------------ */

static void test_vring_base_restart(void)
{
	int packed, k;

	for (packed = 0; packed < 2; packed++) {
		struct vdrv_vring_state st = {.index = 1};
		uint64_t kick = 1;

		ASSERT_OK(start(F_V1 | (packed ? F_PACKED : 0), 8));
		for (k = 0; k < 6; k++)
			ASSERT_OK(tx(100, k, 1, false));
		ASSERT_OK(tx_expect(6, 100, 0));
		for (k = 6; k < 11; k++)
			ASSERT_OK(tx(100, k, 1, false));
		ASSERT_OK(tx_expect(5, 100, 6));
		ASSERT_TRUE(vdrv_net_tx_reap(&fx.d, 0) > 0);
		ASSERT_TRUE(fx.qready & 2);
		ASSERT_OK(req_get(VDRV_REQ_GET_VRING_BASE, &st, sizeof(st), &st, sizeof(st)));
		ASSERT_EQ(st.index, 1);
		/* split: the free-running index; packed: 11 % 8, wrap counter now 0,
		 * for the avail side (bits 0-15) and the used side (16-31) */
		ASSERT_EQ(st.num, packed ? 3 | 3u << 16 : 11);
		ASSERT_EQ(st.num, vdrv_vq_base(dq(1)));
		ASSERT_TRUE(!vhu_vq__ready(vq(1)));
		ASSERT_TRUE(!(fx.qready & 2));
		ASSERT_TRUE(vhu_vq__ready(vq(0)));
		/* stopped: what the guest sends now waits */
		for (k = 11; k < 13; k++)
			ASSERT_OK(tx(100, k, 2, false));
		ASSERT_EQ(run_tx(), 0);
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_BASE, &st, sizeof(st), NULL, 0), 0);
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_KICK, &kick, sizeof(kick), &dq(1)->kick_fd, 1),
			  0);
		ASSERT_TRUE(vhu_vq__ready(vq(1)));
		ASSERT_TRUE(fx.qready & 2);
		ASSERT_OK(tx_expect(2, 100, 11));
		ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 2);
		fx_stop();
	}
}

int main(void)
{
	RUN(test_handshake);
	RUN(test_handshake_single_pair);
	RUN(test_handshake_legacy);
	RUN(test_reply_ack);
	RUN(test_no_reply_ack);
	RUN(test_net_mtu_limit);
	RUN(test_vring_base_restart);
	fx_free();
	TEST_EXIT();
}
