// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: the virtio-net header's offload fields. What a guest
 * transmits is read once and checked against the negotiated HOST_* features
 * and the frame (each malformed header a counted drop, the device intact);
 * what is received gets the fields a guest negotiated, and a frame that
 * needs an offload the guest did not negotiate is dropped and counted.
 */
#include <endian.h>
#include <string.h>
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

#define F_CSUM VDRV_BIT(VDRV_NET_F_CSUM)
#define F_GCSUM VDRV_BIT(VDRV_NET_F_GUEST_CSUM)
#define F_HTSO4 VDRV_BIT(VDRV_NET_F_HOST_TSO4)
#define F_HTSO6 VDRV_BIT(VDRV_NET_F_HOST_TSO6)
#define F_GTSO4 VDRV_BIT(VDRV_NET_F_GUEST_TSO4)
#define F_GTSO6 VDRV_BIT(VDRV_NET_F_GUEST_TSO6)
#define F_HECN (1ull << 13)
#define F_GECN (1ull << 9)
#define F_ALL_OFF (F_CSUM | F_GCSUM | F_HTSO4 | F_HTSO6 | F_GTSO4 | F_GTSO6 | F_HECN | F_GECN)

static void hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
		uint16_t cs, uint16_t co)
{
	uint16_t v[4] = { htole16(hdr_len), htole16(gso_size), htole16(cs), htole16(co) };

	memset(h, 0, 12);
	h[0] = flags;
	h[1] = gso;
	memcpy(h + 2, v, 8);
}

/* One frame of @len with header @h, over @nsegs buffers (header alone
 * first with @alone), dequeued: 1 delivered, 0 dropped. */
static int tx_hdr(const uint8_t *h, uint32_t len, int nsegs, bool alone)
{
	struct vdrv_tx_opts o = { .nsegs = nsegs, .hdr_alone = alone, .hdr = h };
	unsigned int n;

	fill(frame, len, len);
	CHECK(vdrv_net_tx_opts(&fx.d, 0, frame, len, &o) == 0, "tx");
	n = deq(VHU_BURST);
	vhu_vq__dequeue_done(vq(1));
	return (int)n;
}

static void test_offload_tx_fields(void)
{
	uint8_t h[12];

	ASSERT_OK(start(F_V1 | F_MRG | F_ALL_OFF, 64));
	ASSERT_EQ(vhu_vq__offloads(vq(1)), VHU_OFF_CSUM | VHU_OFF_TSO4 | VHU_OFF_TSO6 | VHU_OFF_ECN);
	ASSERT_EQ(vhu_vq__offloads(vq(0)), VHU_OFF_CSUM | VHU_OFF_TSO4 | VHU_OFF_TSO6 | VHU_OFF_ECN);
	hdr(h, VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV4 | VHU_GSO_ECN, 66, 1448, 34, 16);
	/* the header in its own buffer, and split over two */
	ASSERT_EQ(tx_hdr(h, 30000, 4, true), 1);
	ASSERT_EQ(pkts[0].len, 30000);
	ASSERT_OK(pkt_is(&pkts[0], 30000, 30000));
	ASSERT_EQ(pkts[0].off.flags, VHU_HDR_F_NEEDS_CSUM);
	ASSERT_EQ(pkts[0].off.gso_type, VHU_GSO_TCPV4 | VHU_GSO_ECN);
	ASSERT_EQ(pkts[0].off.gso_size, 1448);
	ASSERT_EQ(pkts[0].off.hdr_len, 66);
	ASSERT_EQ(pkts[0].off.csum_start, 34);
	ASSERT_EQ(pkts[0].off.csum_offset, 16);
	hdr(h, VHU_HDR_F_NEEDS_CSUM | 0x40 /* unknown: ignored */, 0, 0, 0, 34, 6);
	ASSERT_EQ(tx_hdr(h, 100, 3, false), 1);
	ASSERT_EQ(pkts[0].off.flags, VHU_HDR_F_NEEDS_CSUM);
	ASSERT_EQ(pkts[0].off.gso_type, 0);
	ASSERT_EQ(pkts[0].off.csum_start, 34);
	/* DATA_VALID is the device's: a driver's is ignored */
	hdr(h, VHU_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	ASSERT_EQ(tx_hdr(h, 100, 1, false), 1);
	ASSERT_EQ(pkts[0].off.flags, 0);
	/* hdr_len is a hint, clamped to the frame */
	hdr(h, VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV6, 9999, 1000, 54, 16);
	ASSERT_EQ(tx_hdr(h, 3000, 2, false), 1);
	ASSERT_EQ(pkts[0].off.hdr_len, 3000);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_bad_offload, 0);
}

static void test_offload_tx_bad(void)
{
	static const struct {
		uint8_t flags, gso;
		uint16_t gso_size, cs, co;
		uint32_t len;
	} bad[] = {
		{ VHU_HDR_F_NEEDS_CSUM, 0, 0, 90, 9, 100 },	/* 90 + 9 + 2 > 100 */
		{ VHU_HDR_F_NEEDS_CSUM, 0, 0, 0xffff, 0xffff, 100 },
		{ VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV4, 0, 34, 16, 3000 },	/* gso_size 0 */
		{ 0, VHU_GSO_TCPV4, 1448, 34, 16, 3000 },	/* GSO without NEEDS_CSUM */
		{ VHU_HDR_F_NEEDS_CSUM, 3 /* UDP (UFO) */, 1448, 34, 6, 3000 },
		{ VHU_HDR_F_NEEDS_CSUM, 5 /* UDP_L4 (USO) */, 1448, 34, 6, 3000 },
		{ VHU_HDR_F_NEEDS_CSUM, VHU_GSO_ECN, 1448, 34, 16, 3000 },	/* ECN alone */
		{ VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV6, 1448, 54, 16, 3000 }, /* TSO6 not negotiated */
		{ VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV4 | VHU_GSO_ECN, 1448, 34, 16, 3000 }, /* no ECN */
		/* the sum would land in the Ethernet header, after the switch's
		 * look at it: a source MAC of the guest's choosing */
		{ VHU_HDR_F_NEEDS_CSUM, 0, 0, 0, 6, 100 },
		{ VHU_HDR_F_NEEDS_CSUM, 0, 0, 13, 0, 100 },
	};
	uint8_t h[12];
	unsigned int k;

	ASSERT_OK(start(F_V1 | F_CSUM | F_HTSO4, 64));
	ASSERT_EQ(vhu_vq__offloads(vq(1)), VHU_OFF_CSUM | VHU_OFF_TSO4);
	ASSERT_EQ(vhu_vq__offloads(vq(0)), 0);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		hdr(h, bad[k].flags, bad[k].gso, 0, bad[k].gso_size, bad[k].cs, bad[k].co);
		ASSERT_EQ(tx_hdr(h, bad[k].len, 1 + (int)(k % 3), k & 1), 0);
		ASSERT_EQ(vhu_vq__stats(vq(1))->drop_bad_offload, k + 1);
	}
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	/* and the ring goes on */
	hdr(h, VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV4, 54, 1448, 34, 16);
	ASSERT_EQ(tx_hdr(h, 3000, 2, false), 1);
	ASSERT_OK(vdrv_net_tx_reap(&fx.d, 0) > 0 ? 0 : -1);
}

/* Without CSUM the fields are ignored: a driver sends zeroes then. */
static void test_offload_tx_not_negotiated(void)
{
	uint8_t h[12];

	ASSERT_OK(start(F_V1 | F_HTSO4, 64)); /* TSO4 without CSUM: means nothing */
	ASSERT_EQ(vhu_vq__offloads(vq(1)), 0);
	hdr(h, VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV4, 54, 0, 0xffff, 0xffff);
	ASSERT_EQ(tx_hdr(h, 100, 1, false), 1);
	ASSERT_EQ(pkts[0].off.flags, 0);
	ASSERT_EQ(pkts[0].off.gso_type, 0);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_bad_offload, 0);
}

static unsigned int rx_off(const struct vhu_offload *o, uint32_t len)
{
	static uint8_t buf[65536];
	struct vhu_seg s = { .base = buf, .len = len };
	struct vhu_pkt p = { .segs = &s, .nsegs = 1, .len = len, .off = *o };

	fill(buf, len, len);
	return vhu_vq__enqueue_burst(vq(0), &p, 1);
}

static void test_offload_rx_header(void)
{
	struct vhu_offload o = { .flags = VHU_HDR_F_NEEDS_CSUM, .gso_type = VHU_GSO_TCPV6,
				 .hdr_len = 74, .gso_size = 1440, .csum_start = 54,
				 .csum_offset = 16 };
	uint8_t want[12];
	uint32_t len;

	ASSERT_OK(start(F_V1 | F_MRG | F_ALL_OFF, 256));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 200, 1536), 200);
	ASSERT_EQ(rx_off(&o, 60000), 1);
	ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &len), 1);
	ASSERT_EQ(len, 60000);
	fill(frame, 60000, 60000);
	ASSERT_TRUE(!memcmp(got, frame, len));
	hdr(want, VHU_HDR_F_NEEDS_CSUM, VHU_GSO_TCPV6, 74, 1440, 54, 16);
	ASSERT_TRUE(!memcmp(fx.d.rx_hdr, want, 10));
	ASSERT_TRUE(rx_nbufs() > 1);
	o = (struct vhu_offload){ .flags = VHU_HDR_F_DATA_VALID };
	ASSERT_EQ(rx_off(&o, 100), 1);
	ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &len), 1);
	ASSERT_EQ(fx.d.rx_hdr[0], VHU_HDR_F_DATA_VALID);
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_bad_offload, 0);
}

/* A guest without GUEST_CSUM/TSO is never handed what it cannot take; a
 * DATA_VALID hint is left out. */
static void test_offload_rx_not_negotiated(void)
{
	struct vhu_offload csum = { .flags = VHU_HDR_F_NEEDS_CSUM, .csum_start = 34,
				    .csum_offset = 16 };
	struct vhu_offload gso6 = { .flags = VHU_HDR_F_NEEDS_CSUM, .gso_type = VHU_GSO_TCPV6,
				    .gso_size = 1440, .csum_start = 54, .csum_offset = 16 };
	struct vhu_offload valid = { .flags = VHU_HDR_F_DATA_VALID };
	static const uint8_t zero[10];
	uint32_t len;

	ASSERT_OK(start(F_V1 | F_MRG, 64));
	ASSERT_EQ(vhu_vq__offloads(vq(0)), 0);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 40, 2048), 40);
	ASSERT_EQ(rx_off(&csum, 100), 0);
	ASSERT_EQ(rx_off(&gso6, 9000), 0);
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_bad_offload, 2);
	ASSERT_EQ(rx_off(&valid, 100), 1);
	ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &len), 1);
	ASSERT_TRUE(!memcmp(fx.d.rx_hdr, zero, 10));
	fx_stop();
	/* GUEST_CSUM and TSO4 only: TSO6 and ECN are still refused */
	ASSERT_OK(start(F_V1 | F_MRG | F_GCSUM | F_GTSO4, 64));
	ASSERT_EQ(vhu_vq__offloads(vq(0)), VHU_OFF_CSUM | VHU_OFF_TSO4);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 40, 2048), 40);
	ASSERT_EQ(rx_off(&csum, 100), 1);
	ASSERT_EQ(rx_off(&gso6, 9000), 0);
	gso6.gso_type = VHU_GSO_TCPV4 | VHU_GSO_ECN;
	ASSERT_EQ(rx_off(&gso6, 9000), 0);
	gso6.gso_type = VHU_GSO_TCPV4;
	ASSERT_EQ(rx_off(&gso6, 9000), 1);
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_bad_offload, 2);
}

int main(void)
{
	RUN(test_offload_tx_fields);
	RUN(test_offload_tx_bad);
	RUN(test_offload_tx_not_negotiated);
	RUN(test_offload_rx_header);
	RUN(test_offload_rx_not_negotiated);
	fx_free();
	TEST_EXIT();
}
