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
 * as one piece.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "offload.h"

static struct off_buf ob;

static uint16_t be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int inside(const void *p, uint32_t len, const void *base, size_t size)
{
	const uint8_t *a = p, *b = base;

	return a >= b && a + len <= b + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhu_seg pieces[VHU_MAX_SEGS];
	struct vhu_pkt p = { .segs = pieces };
	const uint8_t *frame = data + 10;
	uint32_t len, at = 0, i, n, cut;
	enum off_err err;
	volatile uint8_t sink = 0;
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
		for (i = 0; i < ob.npkts; i++) {
			uint32_t total = 0;

			for (unsigned int s = 0; s < ob.pkts[i].nsegs; s++) {
				const struct vhu_seg *g = &ob.pkts[i].segs[s];

				if (!inside(g->base, g->len, frame, len) &&
				    !inside(g->base, g->len, ob.hdrs, sizeof(ob.hdrs)))
					abort();
				for (uint32_t b = 0; b < g->len; b++)
					sink ^= ((const uint8_t *)g->base)[b];
				total += g->len;
			}
			if (total != ob.pkts[i].len || total > VHU_MAX_FRAME)
				abort();
		}
	} else if (!p.off.gso_type) {
		abort(); /* only GSO frames are refused */
	}
	pieces[0].base = frame;
	pieces[0].len = len;
	p.nsegs = 1;
	p.off = (struct vhu_offload){ 0 };
	off_rx_partial(&p);
	(void)sink;
	return 0;
}
