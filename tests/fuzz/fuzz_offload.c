// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: software offloads (user/offload.c) on hostile frames.
 * The input is a virtio-net header's offload fields as vhu hands them over
 * (flags, gso_type, gso_size, csum_start, csum_offset: big-endian 16-bit),
 * the receiver's capabilities, how many pieces to cut the frame into, then
 * the frame. What vhu already guarantees (tx_offload: NEEDS_CSUM inside the
 * frame, GSO only TCPv4/v6 with NEEDS_CSUM and a gso_size) is enforced
 * first; everything else is the fuzzer's. Every frame off_resolve() makes
 * must point into the input or the off_buf's headers and is read whole; a
 * frame off_check() passes must resolve; off_rx_partial() gets the frame
 * as one piece. With the top bit of the first byte set, the input is a
 * burst from the wire instead ([len:16 BE][frame] records, up to 64) for
 * off_gro(): every frame it makes points into the input or the off_buf,
 * merged frames stay within 64 KiB, and the frames it stands for add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "offload.h"

static struct off_buf ob;

static int resolve(const uint8_t *data, size_t size);

static uint16_t be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int inside(const void *p, uint32_t len, const void *base, size_t size)
{
	const uint8_t *a = p, *b = base;

	return a >= b && a + len <= b + size;
}

static void check_out(const uint8_t *in, size_t size)
{
	volatile uint8_t sink = 0;

	for (unsigned int i = 0; i < ob.npkts; i++) {
		uint32_t total = 0;

		for (unsigned int s = 0; s < ob.pkts[i].nsegs; s++) {
			const struct vhu_seg *g = &ob.pkts[i].segs[s];

			if (!inside(g->base, g->len, in, size) &&
			    !inside(g->base, g->len, ob.hdrs, sizeof(ob.hdrs)))
				abort();
			for (uint32_t b = 0; b < g->len; b++)
				sink ^= ((const uint8_t *)g->base)[b];
			total += g->len;
		}
		if (total != ob.pkts[i].len || total > VHU_MAX_FRAME)
			abort();
	}
	(void)sink;
}

static int gro(const uint8_t *data, size_t size)
{
	static struct vhu_seg segs[64];
	static struct vhu_pkt pkts[64];
	uint16_t orig[64];
	unsigned int n = 0, out, i, sum = 0;
	size_t at = 1;

	while (n < 64 && at + 2 <= size) {
		size_t len = (size_t)(data[at] << 8 | data[at + 1]);

		at += 2;
		if (len > size - at)
			len = size - at;
		segs[n] = (struct vhu_seg){ .base = data + at, .len = (uint32_t)len };
		pkts[n] = (struct vhu_pkt){ .segs = &segs[n], .nsegs = 1, .len = (uint32_t)len };
		n++;
		at += len;
	}
	off_reset(&ob);
	out = off_gro(&ob, pkts, n, data[0] & 0xf, orig);
	if (out != ob.npkts || out > n)
		abort();
	for (i = 0; i < out; i++)
		sum += orig[i];
	if (sum != n)
		abort();
	check_out(data, size);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && (data[0] & 0x80))
		return gro(data, size);
	return resolve(data, size);
}

static int resolve(const uint8_t *data, size_t size)
{
	struct vhu_seg pieces[VHU_MAX_SEGS];
	struct vhu_pkt p = { .segs = pieces };
	const uint8_t *frame = data + 10;
	uint32_t len, at = 0, i, n, cut;
	enum off_err err;
	int r;

	if (size < 10 + 14 || size - 10 > VHU_MAX_FRAME)
		return 0;
	len = (uint32_t)(size - 10);
	p.len = len;
	p.off.flags = data[0] & VHU_HDR_F_NEEDS_CSUM;
	p.off.gso_type = data[1] & (VHU_GSO_ECN | 7);
	p.off.gso_size = be(data + 2);
	p.off.csum_start = be(data + 4);
	p.off.csum_offset = be(data + 6);
	if ((p.off.flags & VHU_HDR_F_NEEDS_CSUM) &&
	    (uint32_t)p.off.csum_start + p.off.csum_offset + 2 > len)
		return 0;
	if (p.off.gso_type) {
		uint8_t t = p.off.gso_type & 7;

		if ((t != VHU_GSO_TCPV4 && t != VHU_GSO_TCPV6) || !p.off.gso_size ||
		    !(p.off.flags & VHU_HDR_F_NEEDS_CSUM))
			return 0;
	}
	/* the frame in 1..64 pieces, cut where data[9] says */
	n = 1 + data[9] % VHU_MAX_SEGS;
	cut = 1 + (data[8] % 97);
	for (i = 0; i < n && at < len; i++) {
		uint32_t k = i + 1 == n || at + cut >= len ? len - at : cut;

		pieces[i].base = frame + at;
		pieces[i].len = k;
		at += k;
	}
	p.nsegs = (uint16_t)i;

	off_reset(&ob);
	if (off_check(&p, &err)) {
		if (!off_room(&ob, &p))
			abort(); /* an empty buffer takes any frame off_check passed */
		r = off_resolve(&ob, &p, data[8] >> 4 & 0xf, &err);
		if (r < 1 || (unsigned int)r != ob.npkts)
			abort();
		check_out(frame, len);
	} else if (!p.off.gso_type) {
		abort(); /* only GSO frames are refused */
	}
	pieces[0].base = frame;
	pieces[0].len = len;
	p.nsegs = 1;
	p.off = (struct vhu_offload){ 0 };
	off_rx_partial(&p);
	return 0;
}
