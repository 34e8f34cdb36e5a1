// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Software offloads (user/offload.c), under ASan/UBSan: the checksum against
 * a byte-by-byte reference; segments of random frames cut into random
 * pieces checked field by field (lengths, IPv4 ID and checksum, sequence
 * numbers, FIN/PSH/CWR, TCP checksum, payload); each malformed header
 * refused with its reason; an off_buf that never overflows. Byte identity
 * with the kernel's own segmentation is tests/tools/gso-check's.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "offload.h"
#include "../lib/test.h"

TEST_GLOBALS("offload");


static struct off_buf ob;
static uint8_t frame[70000], flatbuf[70000];
static struct vhu_seg pieces[64];
static uint64_t rng = 42;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)((rng >> 33) % n) : 0;
}

/* RFC 1071, one byte at a time, network order. */
static uint16_t ref_csum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct fspec {
	bool v6;
	int vlans;
	uint32_t opts, payload;
	uint16_t mss;
	uint8_t flags;
};

static uint32_t l3_of(const struct fspec *s)
{
	return 14 + 4u * (uint32_t)s->vlans;
}

static uint32_t l4_of(const struct fspec *s)
{
	return l3_of(s) + (s->v6 ? 40 : 20);
}

/* A TCP frame as a Linux guest hands it over with TSO. */
static uint32_t build(const struct fspec *s, struct vhu_pkt *p, unsigned int npieces)
{
	uint32_t l3 = l3_of(s), l4 = l4_of(s), thl = 20 + s->opts, len = l4 + thl + s->payload;
	uint32_t i, at = 0;
	int v;

	for (i = 0; i < len; i++)
		frame[i] = (uint8_t)rnd(256);
	for (v = 0; v < s->vlans; v++)
		frame[12 + 4 * v] = 0x81, frame[13 + 4 * v] = 0;
	frame[l3 - 2] = s->v6 ? 0x86 : 0x08, frame[l3 - 1] = s->v6 ? 0xdd : 0;
	if (!s->v6) {
		frame[l3] = 0x45;
		frame[l3 + 6] = 0x40, frame[l3 + 7] = 0;
		frame[l3 + 9] = 6;
	} else {
		frame[l3] = 0x60;
		frame[l3 + 6] = 6;
	}
	frame[l4 + 12] = (uint8_t)((thl / 4) << 4);
	frame[l4 + 13] = s->flags;
	if (npieces > 64)
		npieces = 64;
	for (i = 0; i < npieces && at < len; i++) {
		uint32_t k = i + 1 == npieces ? len - at : 1 + rnd(len - at < 200 ? len - at : 200);

		pieces[i].base = frame + at;
		pieces[i].len = k;
		at += k;
	}
	if (at < len) {
		pieces[i - 1].len += len - at;
	}
	*p = (struct vhu_pkt){ .segs = pieces, .nsegs = (uint16_t)i, .len = len };
	p->off.flags = VHU_HDR_F_NEEDS_CSUM;
	p->off.gso_type = s->v6 ? VHU_GSO_TCPV6 : VHU_GSO_TCPV4;
	p->off.gso_size = s->mss;
	p->off.csum_start = (uint16_t)l4;
	p->off.csum_offset = 16;
	return len;
}

static uint32_t flat(const struct vhu_pkt *p, uint8_t *dst)
{
	uint32_t at = 0;

	for (unsigned int i = 0; i < p->nsegs; i++) {
		memcpy(dst + at, p->segs[i].base, p->segs[i].len);
		at += p->segs[i].len;
	}
	return at;
}

static uint32_t be32at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Check the @n segments in ob against frame[] and @s. */
static int check_segments(const struct fspec *s, int n, uint8_t want_flags)
{
	uint32_t l3 = l3_of(s), l4 = l4_of(s), thl = 20 + s->opts, hl = l4 + thl, done = 0;
	uint32_t seq0 = be32at(frame + l4 + 4);
	uint16_t id0 = (uint16_t)(frame[l3 + 4] << 8 | frame[l3 + 5]);
	int i;

	for (i = 0; i < n; i++) {
		uint8_t *g = flatbuf, ph[40];
		uint32_t len = flat(&ob.pkts[i], g), plen = len - hl, sum = 0;
		uint8_t f = g[l4 + 13], want = s->flags;

		CHECK(len == ob.pkts[i].len, "segment %d: len %u, segments sum to %u", i,
		      ob.pkts[i].len, len);
		CHECK(ob.pkts[i].off.flags == want_flags && !ob.pkts[i].off.gso_type,
		      "segment %d: offload fields left", i);
		CHECK(i + 1 == n ? plen == s->payload - done : plen == s->mss,
		      "segment %d: %u bytes of payload", i, plen);
		CHECK(!memcmp(g, frame, l3), "segment %d: Ethernet header changed", i);
		CHECK(!memcmp(g + hl, frame + hl + done, plen), "segment %d: payload differs", i);
		CHECK(be32at(g + l4 + 4) == seq0 + done, "segment %d: seq", i);
		if (i + 1 < n)
			want &= (uint8_t)~0x09;
		if (i)
			want &= (uint8_t)~0x80;
		CHECK(f == want, "segment %d: TCP flags %#x, want %#x", i, f, want);
		if (!s->v6) {
			CHECK((g[l3 + 2] << 8 | g[l3 + 3]) == (int)(len - l3), "segment %d: tot_len", i);
			CHECK((uint16_t)(g[l3 + 4] << 8 | g[l3 + 5]) == (uint16_t)(id0 + i),
			      "segment %d: IPv4 ID", i);
			CHECK(ref_csum(g + l3, 20, 0) == 0, "segment %d: IPv4 checksum", i);
			memcpy(ph, g + l3 + 12, 8);
			ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)((len - l4) >> 8),
			ph[11] = (uint8_t)(len - l4);
			sum = (uint16_t)~ref_csum(ph, 12, 0);
		} else {
			CHECK((g[l3 + 4] << 8 | g[l3 + 5]) == (int)(len - l4), "segment %d: payload_len",
			      i);
			memcpy(ph, g + l3 + 8, 32);
			memset(ph + 32, 0, 8);
			ph[34] = (uint8_t)((len - l4) >> 8), ph[35] = (uint8_t)(len - l4), ph[39] = 6;
			sum = (uint16_t)~ref_csum(ph, 40, 0);
		}
		if (want_flags == VHU_HDR_F_NEEDS_CSUM) {
			/* left for the receiver: do its part, then check */
			uint16_t c;

			CHECK(ob.pkts[i].off.csum_start == l4 && ob.pkts[i].off.csum_offset == 16,
			      "segment %d: csum_start %u offset %u", i, ob.pkts[i].off.csum_start,
			      ob.pkts[i].off.csum_offset);
			c = htons(ref_csum(g + l4, len - l4, 0));
			memcpy(g + l4 + 16, &c, 2);
		}
		CHECK(ref_csum(g + l4, len - l4, sum) == 0, "segment %d: TCP checksum", i);
		done += plen;
	}
	CHECK(done == s->payload, "payload %u of %u", done, s->payload);
	return 0;
}

static void test_csum_reference(void)
{
	static uint8_t buf[3000];
	unsigned int k;

	for (k = 0; k < 2000; k++) {
		uint32_t len = rnd(3000), i;
		uint16_t c;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(256);
		c = off_csum_fold(off_csum_add(0, buf, len));
		/* ours is in native order, stored with memcpy */
		ASSERT_EQ(ntohs(c), ref_csum(buf, len, 0));
	}
	memset(buf, 0xff, 64);
	ASSERT_EQ(ntohs(off_csum_fold(off_csum_add(0, buf, 64))), ref_csum(buf, 64, 0));
}

static void test_segment_random(void)
{
	unsigned int k;

	for (k = 0; k < 400; k++) {
		struct fspec s = { .v6 = rnd(2), .vlans = (int)rnd(3), .opts = 4 * rnd(11),
				   .mss = (uint16_t)(48 + rnd(9000)),
				   .flags = (uint8_t)(0x10 | (rnd(2) ? 0x08 : 0) | (rnd(2) ? 0x01 : 0) |
						      (rnd(2) ? 0x80 : 0)) };
		struct vhu_pkt p;
		enum off_err err;
		int n;

		s.payload = s.mss + 1 + rnd(64000 - s.mss - 200);
		build(&s, &p, rnd(3) ? 1 + rnd(64) : 64);
		off_reset(&ob);
		ASSERT_TRUE(off_check(&p, &err));
		ASSERT_TRUE(off_room(&ob, &p));
		n = off_resolve(&ob, &p, 0, &err);
		ASSERT_EQ(n, (int)((s.payload + s.mss - 1) / s.mss));
		ASSERT_OK(check_segments(&s, n, 0));
		/* a receiver with CSUM but not TSO: segments left for it to
		 * checksum (CHECKSUM_PARTIAL), as Linux's GSO does for a device
		 * with checksum offload */
		off_reset(&ob);
		n = off_resolve(&ob, &p, VHU_OFF_CSUM | (s.v6 ? VHU_OFF_TSO4 : VHU_OFF_TSO6), &err);
		ASSERT_OK(check_segments(&s, n, VHU_HDR_F_NEEDS_CSUM));
	}
}

/* No more than MSS of payload: the frame as it is, its checksum completed. */
static void test_single_segment_and_csum_only(void)
{
	struct fspec s = { .v6 = false, .opts = 12, .mss = 1448, .payload = 1000, .flags = 0x19 };
	struct vhu_pkt p;
	enum off_err err;
	uint32_t len = build(&s, &p, 7), l4 = l4_of(&s);
	uint8_t ph[12];
	uint16_t part;

	/* the driver leaves the pseudo-header's sum in the checksum field */
	memcpy(ph, frame + 14 + 12, 8);
	ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)((len - l4) >> 8), ph[11] = (uint8_t)(len - l4);
	part = htons((uint16_t)~ref_csum(ph, 12, 0));
	memcpy(frame + l4 + 16, &part, 2);
	off_reset(&ob);
	ASSERT_EQ(off_resolve(&ob, &p, 0, &err), 1);
	ASSERT_EQ(flat(&ob.pkts[0], flatbuf), len);
	ASSERT_TRUE(!memcmp(flatbuf, frame, l4 + 16));
	ASSERT_TRUE(!memcmp(flatbuf + l4 + 18, frame + l4 + 18, len - l4 - 18));
	ASSERT_EQ(ref_csum(flatbuf + l4, len - l4, (uint16_t)~ref_csum(ph, 12, 0)), 0);
	ASSERT_EQ(ob.pkts[0].off.flags, 0);
	/* the same frame with NEEDS_CSUM only */
	p.off.gso_type = 0;
	p.off.gso_size = 0;
	off_reset(&ob);
	ASSERT_EQ(off_resolve(&ob, &p, 0, &err), 1);
	ASSERT_EQ(flat(&ob.pkts[0], flatbuf), len);
	ASSERT_EQ(ref_csum(flatbuf + l4, len - l4, (uint16_t)~ref_csum(ph, 12, 0)), 0);
	/* a receiver that takes it: handed over as it is */
	off_reset(&ob);
	ASSERT_EQ(off_resolve(&ob, &p, VHU_OFF_CSUM, &err), 1);
	ASSERT_TRUE(ob.pkts[0].segs == p.segs && ob.pkts[0].off.flags == VHU_HDR_F_NEEDS_CSUM);
	p.off.gso_type = VHU_GSO_TCPV4;
	p.off.gso_size = 100;
	ASSERT_TRUE(!off_needed(&p, VHU_OFF_CSUM | VHU_OFF_TSO4));
	ASSERT_TRUE(off_needed(&p, VHU_OFF_CSUM | VHU_OFF_TSO6));
	p.off.gso_type |= VHU_GSO_ECN;
	ASSERT_TRUE(off_needed(&p, VHU_OFF_CSUM | VHU_OFF_TSO4));
}

static void test_malformed(void)
{
	struct fspec s4 = { .v6 = false, .mss = 1000, .payload = 5000, .flags = 0x10 };
	struct fspec s6 = { .v6 = true, .mss = 1000, .payload = 5000, .flags = 0x10 };
	struct vhu_pkt p;
	enum off_err err;
	unsigned int k;

	for (k = 0; k < 13; k++) {
		const struct fspec *s = k < 9 ? &s4 : &s6;
		enum off_err want = OFF_ERR_PARSE;

		build(s, &p, 1 + k % 5);
		switch (k) {
		case 0: frame[13] = 0xdd, frame[12] = 0x86; break;	/* IPv6 ethertype, TCPV4 */
		case 1: frame[14 + 6] = 0x20; break;			/* more fragments */
		case 2: frame[14 + 7] = 8; break;			/* fragment offset */
		case 3: frame[14 + 9] = 17; break;			/* UDP */
		case 4: frame[14] = 0x44; break;			/* IHL 4 */
		case 5: frame[34 + 12] = 0x40; break;			/* TCP doff 4 */
		case 6: p.off.csum_start = 30, want = OFF_ERR_CSUM_POS; break;
		case 7: p.off.csum_offset = 6, want = OFF_ERR_CSUM_POS; break;
		case 8: p.off.gso_size = 3, want = OFF_ERR_TOO_MANY; break; /* 1667 segments */
		case 9: frame[14 + 6] = 0; break;			/* hop-by-hop header */
		case 10: frame[14] = 0x40; break;			/* version 4 in an IPv6 frame */
		case 11: p.len = 14 + 40 + 10, p.nsegs = 1, pieces[0].len = p.len; break; /* cut */
		case 12: p.off.gso_type = VHU_GSO_TCPV4; break;		/* TCPV4 on IPv6 */
		}
		ASSERT_TRUE(!off_check(&p, &err));
		ASSERT_EQ(err, want);
		off_reset(&ob);
		ASSERT_EQ(off_resolve(&ob, &p, 0, &err), -1);
		ASSERT_EQ(err, want);
		ASSERT_EQ(ob.npkts, 0);
	}
	/* three VLAN tags: the third is taken as the ethertype */
	s4.vlans = 2;
	build(&s4, &p, 3);
	memmove(frame + 22, frame + 18, p.len - 18);
	frame[18] = 0x81, frame[19] = 0;
	ASSERT_TRUE(!off_check(&p, &err));
}

/* Frames until off_room says no: nothing written past the buffer (ASan). */
static void test_buffer_bounds(void)
{
	struct fspec s = { .v6 = true, .mss = 48, .payload = 60000, .flags = 0x18 };
	struct vhu_pkt p;
	enum off_err err;
	unsigned int rounds = 0;

	build(&s, &p, 64);
	off_reset(&ob);
	while (off_room(&ob, &p)) {
		ASSERT_EQ(off_resolve(&ob, &p, 0, &err), 1250);
		rounds++;
	}
	ASSERT_EQ(rounds, 1);
	ASSERT_TRUE(ob.npkts <= OFF_BUF_PKTS && ob.nsegs <= OFF_BUF_SEGS);
	s.mss = 1448;
	build(&s, &p, 64);
	while (off_room(&ob, &p))
		ASSERT_TRUE(off_resolve(&ob, &p, 0, &err) > 0);
	ASSERT_TRUE(ob.npkts <= OFF_BUF_PKTS && ob.nsegs <= OFF_BUF_SEGS);
	/* A frame whose estimate (len / gso_size + 1) is above the limit but
	 * whose count (payload / gso_size, rounded up) is exactly 1400: after
	 * one plain frame there is no room, and off_room must say so (review:
	 * it once reserved one slot for it and the segments overran). */
	s = (struct fspec){ .v6 = false, .mss = 46, .payload = 64400, .flags = 0x10 };
	build(&s, &p, 8);
	off_reset(&ob);
	ASSERT_TRUE(off_check(&p, &err));
	{
		struct vhu_pkt plain = p;

		plain.off = (struct vhu_offload){ 0 };
		ASSERT_EQ(off_resolve(&ob, &plain, 0, &err), 1);
	}
	ASSERT_TRUE(!off_room(&ob, &p));
	/* and asked without off_room(), off_resolve refuses instead of writing */
	ASSERT_EQ(off_resolve(&ob, &p, 0, &err), -1);
	ASSERT_EQ(err, OFF_ERR_TOO_MANY);
	ASSERT_EQ(ob.npkts, 1);
	off_reset(&ob);
	ASSERT_EQ(off_resolve(&ob, &p, 0, &err), 1400);
}

/* An MSS so large that a segment's IPv4 total length would wrap. */
static void test_length_wrap(void)
{
	struct fspec s = { .v6 = false, .mss = 65507, .payload = 65562 - 54, .flags = 0x10 };
	struct vhu_pkt p;
	enum off_err err;

	build(&s, &p, 3);
	ASSERT_TRUE(!off_check(&p, &err));
	ASSERT_EQ(err, OFF_ERR_PARSE);
	s.mss = 65535 - 40;
	build(&s, &p, 3);
	ASSERT_TRUE(off_check(&p, &err)); /* 40 + MSS fits */
}

/* A frame as a veth peer's stack leaves it (CHECKSUM_PARTIAL), and the same
 * frame complete, cut short, or with other mistakes: only the first is
 * marked. */
static void test_rx_partial(void)
{
	static uint8_t f[2000];
	struct vhu_seg seg = { .base = f };
	struct vhu_pkt p = { .segs = &seg, .nsegs = 1 };
	unsigned int k;

	for (k = 0; k < 8; k++) {
		bool v6 = k & 1, udp = k & 2, vlan = k & 4;
		uint32_t l3 = vlan ? 18 : 14, l4 = l3 + (v6 ? 40 : 20), thl = udp ? 8 : 20;
		uint32_t len = l4 + thl + 1 + rnd(1000), i, at = l4 + (udp ? 6 : 16), sum;
		uint8_t ph[40];
		uint16_t c;

		for (i = 0; i < len; i++)
			f[i] = (uint8_t)rnd(256);
		if (vlan)
			f[12] = 0x81, f[13] = 0, l3 = 18;
		f[l3 - 2] = v6 ? 0x86 : 0x08, f[l3 - 1] = v6 ? 0xdd : 0;
		if (!v6) {
			f[l3] = 0x45, f[l3 + 6] = 0, f[l3 + 7] = 0, f[l3 + 9] = udp ? 17 : 6;
			f[l3 + 2] = (uint8_t)((len - l3) >> 8), f[l3 + 3] = (uint8_t)(len - l3);
			memcpy(ph, f + l3 + 12, 8);
			ph[8] = 0, ph[9] = f[l3 + 9];
			ph[10] = (uint8_t)((len - l4) >> 8), ph[11] = (uint8_t)(len - l4);
			sum = off_csum_add(0, ph, 12);
		} else {
			f[l3] = 0x60, f[l3 + 6] = udp ? 17 : 6;
			f[l3 + 4] = (uint8_t)((len - l4) >> 8), f[l3 + 5] = (uint8_t)(len - l4);
			memcpy(ph, f + l3 + 8, 32);
			memset(ph + 32, 0, 8);
			ph[34] = (uint8_t)((len - l4) >> 8), ph[35] = (uint8_t)(len - l4);
			ph[39] = f[l3 + 6];
			sum = off_csum_add(0, ph, 40);
		}
		if (!udp)
			f[l4 + 12] = 0x50;
		/* partial: the field holds the pseudo-header's sum */
		c = (uint16_t)~off_csum_fold(sum);
		memcpy(f + at, &c, 2);
		seg.len = p.len = len;
		p.off = (struct vhu_offload){ 0 };
		ASSERT_TRUE(off_rx_partial(&p));
		ASSERT_EQ(p.off.flags, VHU_HDR_F_NEEDS_CSUM);
		ASSERT_EQ(p.off.csum_start, l4);
		ASSERT_EQ(p.off.csum_offset, udp ? 6 : 16);
		/* completed in software, it verifies */
		off_reset(&ob);
		{
			enum off_err err;

			ASSERT_EQ(off_resolve(&ob, &p, 0, &err), 1);
			ASSERT_EQ(flat(&ob.pkts[0], flatbuf), len);
			ASSERT_EQ(off_csum_fold(off_csum_add(sum, flatbuf + l4, len - l4)), 0);
			/* the complete frame is left alone */
			memcpy(f, flatbuf, len);
		}
		p.off = (struct vhu_offload){ 0 };
		ASSERT_TRUE(!off_rx_partial(&p));
		memcpy(f + at, &c, 2);
		/* Ethernet padding or a cut frame: the IP length disagrees */
		seg.len = p.len = len - 1;
		ASSERT_TRUE(!off_rx_partial(&p));
		seg.len = p.len = len;
		if (!v6) {
			f[l3 + 6] = 0x20; /* a fragment */
			ASSERT_TRUE(!off_rx_partial(&p));
			f[l3 + 6] = 0;
		}
		if (udp) {
			memset(f + at, 0, 2); /* UDP without a checksum */
			ASSERT_TRUE(!off_rx_partial(&p));
		}
		ASSERT_EQ(p.off.flags, 0);
	}
}

/* ---- GRO ---- */

static uint8_t wire[48][1600];
static struct vhu_seg wseg[48];
static struct vhu_pkt wpkt[48];

/* Segment @k of a flow as a sender with TSO off puts it on the wire:
 * complete checksums, IPv4 ID and sequence number advancing. */
static void wire_seg(unsigned int k, bool v6, uint32_t seq, uint32_t payload, uint8_t flags,
		     uint16_t sport)
{
	uint8_t *f = wire[k], ph[40];
	uint32_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), len = l4 + 32 + payload, i;
	uint16_t c;

	memset(f, 0, l4 + 32);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	f[12] = v6 ? 0x86 : 0x08, f[13] = v6 ? 0xdd : 0;
	if (!v6) {
		f[l3] = 0x45, f[l3 + 6] = 0x40, f[l3 + 8] = 64, f[l3 + 9] = 6;
		f[l3 + 2] = (uint8_t)((len - l3) >> 8), f[l3 + 3] = (uint8_t)(len - l3);
		f[l3 + 4] = 0x12, f[l3 + 5] = (uint8_t)(0x34 + k);
		memcpy(f + l3 + 12, "\xc6\x12\0\x01\xc6\x12\0\x02", 8);
		c = off_csum_fold(off_csum_add(0, f + l3, 20));
		memcpy(f + l3 + 10, &c, 2);
		memcpy(ph, f + l3 + 12, 8);
		ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)((len - l4) >> 8), ph[11] = (uint8_t)(len - l4);
	} else {
		f[l3] = 0x60, f[l3 + 6] = 6, f[l3 + 7] = 64;
		f[l3 + 4] = (uint8_t)((len - l4) >> 8), f[l3 + 5] = (uint8_t)(len - l4);
		f[l3 + 8] = 0x20, f[l3 + 9] = 1, f[l3 + 23] = 1, f[l3 + 24] = 0x20, f[l3 + 25] = 1;
		f[l3 + 39] = 2;
		memcpy(ph, f + l3 + 8, 32);
		memset(ph + 32, 0, 8);
		ph[34] = (uint8_t)((len - l4) >> 8), ph[35] = (uint8_t)(len - l4), ph[39] = 6;
	}
	f[l4] = (uint8_t)(sport >> 8), f[l4 + 1] = (uint8_t)sport, f[l4 + 2] = 0x1f, f[l4 + 3] = 0x90;
	f[l4 + 4] = (uint8_t)(seq >> 24), f[l4 + 5] = (uint8_t)(seq >> 16);
	f[l4 + 6] = (uint8_t)(seq >> 8), f[l4 + 7] = (uint8_t)seq;
	f[l4 + 8] = 0xaa, f[l4 + 11] = 0x55; /* ACK number */
	f[l4 + 12] = 0x80, f[l4 + 13] = flags, f[l4 + 14] = 0x01, f[l4 + 15] = 0xf5;
	f[l4 + 20] = 1, f[l4 + 21] = 1, f[l4 + 22] = 8, f[l4 + 23] = 10; /* NOP NOP TS */
	f[l4 + 27] = 7;
	for (i = 0; i < payload; i++)
		f[l4 + 32 + i] = (uint8_t)(seq + i);
	c = off_csum_fold(off_csum_add(off_csum_add(0, ph, v6 ? 40 : 12), f + l4, len - l4));
	memcpy(f + l4 + 16, &c, 2);
	wseg[k] = (struct vhu_seg){ .base = f, .len = len };
	wpkt[k] = (struct vhu_pkt){ .segs = &wseg[k], .nsegs = 1, .len = len };
}

static void test_gro_merge_and_back(void)
{
	static uint8_t again[48][1600];
	static struct off_buf ob2;
	uint16_t orig[48];
	unsigned int k, v, out;
	enum off_err err;

	for (v = 0; v < 2; v++) {
		uint32_t seq = 0xfffff000u; /* wraps within the run */

		for (k = 0; k < 12; k++)
			wire_seg(k, v, seq + 1400 * k, k == 11 ? 500 : 1400, k == 11 ? 0x18 : 0x10, 1);
		off_reset(&ob);
		out = off_gro(&ob, wpkt, 12, VHU_OFF_CSUM | VHU_OFF_TSO4 | VHU_OFF_TSO6, orig);
		ASSERT_EQ(out, 1);
		ASSERT_EQ(orig[0], 12);
		ASSERT_EQ(ob.pkts[0].off.flags, VHU_HDR_F_NEEDS_CSUM);
		ASSERT_EQ(ob.pkts[0].off.gso_type, v ? VHU_GSO_TCPV6 : VHU_GSO_TCPV4);
		ASSERT_EQ(ob.pkts[0].off.gso_size, 1400);
		ASSERT_EQ(ob.pkts[0].len, wpkt[0].len + 11 * 1400 - 900);
		/* cut again in software: the wire's own frames, byte for byte */
		off_reset(&ob2);
		ASSERT_TRUE(off_check(&ob.pkts[0], &err));
		ASSERT_EQ(off_resolve(&ob2, &ob.pkts[0], 0, &err), 12);
		for (k = 0; k < 12; k++) {
			ASSERT_EQ(flat(&ob2.pkts[k], again[k]), wpkt[k].len);
			ASSERT_TRUE(!memcmp(again[k], wire[k], wpkt[k].len));
		}
	}
}

static void test_gro_runs_break(void)
{
	uint16_t orig[48];
	unsigned int k, out, caps = VHU_OFF_CSUM | VHU_OFF_TSO4 | VHU_OFF_TSO6;

	/* 0-3 one flow; 4 another flow; 5-6 the first again, but 5 does not
	 * follow 3 (a gap); 7 bad checksum; 8-9 a run; 10 SYN; 11 short, then
	 * 12 full: 11 ends its run */
	for (k = 0; k < 4; k++)
		wire_seg(k, false, 1000 + 1000 * k, 1000, 0x10, 1);
	wire_seg(4, false, 5000, 1000, 0x10, 2);
	wire_seg(5, false, 6000, 1000, 0x10, 1);
	wire_seg(6, false, 7000, 1000, 0x10, 1);
	wire_seg(7, false, 8000, 1000, 0x10, 1);
	wire[7][60] ^= 1;
	wire_seg(8, false, 9000, 1000, 0x10, 1);
	wire_seg(9, false, 10000, 1000, 0x10, 1);
	wire_seg(10, false, 11000, 1000, 0x12, 1);
	wire_seg(11, false, 12000, 500, 0x10, 1);
	wire_seg(12, false, 12500, 1000, 0x10, 1);
	off_reset(&ob);
	out = off_gro(&ob, wpkt, 13, caps, orig);
	{
		static const uint16_t want[] = { 4, 1, 2, 1, 2, 1, 1, 1 };

		ASSERT_EQ(out, 8);
		for (k = 0; k < out; k++)
			ASSERT_EQ(orig[k], want[k]);
	}
	ASSERT_TRUE(ob.pkts[1].segs == wpkt[4].segs); /* as it is */
	ASSERT_TRUE(ob.pkts[3].segs == wpkt[7].segs);
	/* an IPv4 header whose checksum is wrong is not merged: the merged
	 * frame would carry a fresh, good one (the same frames merge whole
	 * with it right) */
	for (k = 0; k < 3; k++)
		wire_seg(k, false, 1000 * k, 1000, 0x10, 1);
	off_reset(&ob);
	ASSERT_EQ(off_gro(&ob, wpkt, 3, caps, orig), 1);
	wire[1][14 + 10] ^= 1;
	off_reset(&ob);
	out = off_gro(&ob, wpkt, 3, caps, orig);
	ASSERT_EQ(out, 3);
	/* without TSO4 nothing IPv4 is merged; IPv6 still is */
	for (k = 0; k < 3; k++)
		wire_seg(k, false, 1000 * k, 1000, 0x10, 1);
	for (k = 3; k < 6; k++)
		wire_seg(k, true, 1000 * k, 1000, 0x10, 1);
	off_reset(&ob);
	out = off_gro(&ob, wpkt, 6, VHU_OFF_CSUM | VHU_OFF_TSO6, orig);
	ASSERT_EQ(out, 4);
	ASSERT_EQ(orig[3], 3);
	/* at most OFF_GRO_MAX_SEGS in one frame */
	for (k = 0; k < 48; k++)
		wire_seg(k, false, 1400 * k, 1400, 0x10, 1);
	off_reset(&ob);
	out = off_gro(&ob, wpkt, 48, caps, orig);
	ASSERT_EQ(out, 2);
	ASSERT_EQ(orig[0], OFF_GRO_MAX_SEGS);
	ASSERT_TRUE(ob.pkts[0].len <= 65535 + 14);
}

int main(void)
{
	RUN_TEST(test_csum_reference);
	RUN_TEST(test_segment_random);
	RUN_TEST(test_single_segment_and_csum_only);
	RUN_TEST(test_malformed);
	RUN_TEST(test_buffer_bounds);
	RUN_TEST(test_length_wrap);
	RUN_TEST(test_rx_partial);
	RUN_TEST(test_gro_merge_and_back);
	RUN_TEST(test_gro_runs_break);
	TEST_EXIT();
}
