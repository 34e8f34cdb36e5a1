/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Software offloads: what a frame's virtio-net header asks its receiver to
 * do (complete a checksum, cut a TCP segment of up to 64 KiB into MSS-sized
 * frames), done here for a receiver that cannot: a guest that did not
 * negotiate GUEST_CSUM/GUEST_TSO*, or the NIC (AF_XDP has no segmentation
 * offload). The frames it makes point into the sender's memory for their
 * payload and into an off_buf for the bytes it rewrites: one copy still,
 * made by the receiver's tx_burst. The sender's memory is never written.
 *
 * Segments are what Linux's own GSO makes of the same frame (tcp_gso_segment,
 * inet_gso_segment, ipv6_gso_segment): IPv4 ID incremented per segment,
 * total/payload length and IPv4 checksum per segment, sequence numbers
 * advanced, FIN and PSH on the last segment only, CWR on the first only,
 * TCP checksum complete. tests/tools/gso-check compares them byte for byte
 * with the kernel's.
 */
#ifndef XVIO_OFFLOAD_H
#define XVIO_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include "vhu.h"

/* The most frames one segmented frame may become: 64 KiB at the smallest
 * MSS Linux sends (48, tcp_min_snd_mss). A header asking for more is
 * refused. */
#define OFF_MAX_SEGS_PER_FRAME 1400
#define OFF_HDR_MAX 192		/* Ethernet + 2 VLAN tags + IPv4/IPv6 + TCP, with room */
#define OFF_BUF_PKTS OFF_MAX_SEGS_PER_FRAME
#define OFF_BUF_SEGS (2 * OFF_BUF_PKTS + 2 * VHU_MAX_SEGS)

/* Scratch for one destination's frames: filled by off_resolve(), handed to
 * the receiver, then off_reset(). One per poller (not shared). */
struct off_buf {
	unsigned int npkts, nsegs, nhdrs;
	struct vhu_pkt pkts[OFF_BUF_PKTS];
	struct vhu_seg segs[OFF_BUF_SEGS];
	uint8_t hdrs[OFF_BUF_PKTS][OFF_HDR_MAX]; /* one per frame made */
};

/* Why off_resolve() refused a frame (for counters and tests). */
enum off_err {
	OFF_ERR_NONE,
	OFF_ERR_PARSE,		/* GSO frame whose headers are not Ethernet/IP/TCP as its type says */
	OFF_ERR_CSUM_POS,	/* GSO: csum_start/offset not the TCP checksum */
	OFF_ERR_TOO_MANY,	/* more than OFF_MAX_SEGS_PER_FRAME segments */
};

static inline void off_reset(struct off_buf *b)
{
	b->npkts = b->nsegs = b->nhdrs = 0;
}

/* Does @p ask for something a receiver taking @caps (VHU_OFF_*) cannot do? */
static inline bool off_needed(const struct vhu_pkt *p, unsigned int caps)
{
	const struct vhu_offload *o = &p->off;
	unsigned int need = 0;

	if (!o->flags && !o->gso_type)
		return false;
	if (o->flags & VHU_HDR_F_NEEDS_CSUM)
		need |= VHU_OFF_CSUM;
	if ((o->gso_type & 0x7f) == VHU_GSO_TCPV4)
		need |= VHU_OFF_TSO4;
	else if ((o->gso_type & 0x7f) == VHU_GSO_TCPV6)
		need |= VHU_OFF_TSO6;
	if (o->gso_type & VHU_GSO_ECN)
		need |= VHU_OFF_ECN;
	return (caps & need) != need;
}

/* A frame that asks for segmentation: are its headers what its type says,
 * its checksum fields the TCP checksum's, its segments not too many? The
 * sender's poller asks once per frame; false: drop it (*@err says why).
 * Frames without GSO were checked by vhu already. */
bool off_check(const struct vhu_pkt *p, enum off_err *err);

/* Room in @b for whatever one frame of @p's size becomes? */
bool off_room(const struct off_buf *b, const struct vhu_pkt *p);

/*
 * off_resolve() - append to @b what a receiver taking @caps can be handed
 * for @p: @p itself when it needs nothing, else its segments or @p with its
 * checksum completed (and the offload fields cleared, or DATA_VALID where
 * @caps has VHU_OFF_CSUM). Call off_room() first.
 * Return: the frames appended (>= 1), or -1 with *@err set: drop @p.
 */
int off_resolve(struct off_buf *b, const struct vhu_pkt *p, unsigned int caps, enum off_err *err);

/*
 * off_rx_partial() - a frame from a veth whose peer's stack left its TCP or
 * UDP checksum to offload (CHECKSUM_PARTIAL: the field holds only the
 * pseudo-header's sum, and XDP hands the frame on like that). Such a frame
 * gets NEEDS_CSUM, so a guest with GUEST_CSUM takes it as it is and one
 * without gets it completed in software. A frame whose field merely equals
 * that sum (one in 65536) but whose checksum is right is left alone. @p is
 * one contiguous segment (a UMEM frame). Return: true when marked.
 */
bool off_rx_partial(struct vhu_pkt *p);

/*
 * off_gro() - coalesce runs of consecutive TCP segments of one flow among
 * @pkts (frames from the wire, one segment each) into GSO frames for a
 * receiver that takes them (@caps: VHU_OFF_CSUM and VHU_OFF_TSO4/6). A
 * run is what Linux's GRO would merge (tcp_gro_receive): the same
 * addresses, ports, ACK number, window, TCP options, IPv4 TOS/TTL (DF, no
 * IP options) or IPv6 traffic class/hop limit, sequence numbers that
 * follow on, every segment but the last a full MSS (the first's length),
 * only ACK set (PSH allowed on the last), at most 64 KiB and
 * OFF_GRO_MAX_SEGS segments. Each segment's TCP checksum is verified
 * first: a frame whose checksum is wrong is never merged (it goes as it
 * is, for its receiver to drop), since a merged frame is handed over as
 * NEEDS_CSUM, which its receiver trusts. Frames not merged are appended
 * as they are, in order. @orig[k]: how many of @pkts output frame k
 * stands for. Return: the frames appended to @b (room for @n is needed).
 */
#define OFF_GRO_MAX_SEGS 44	/* 64 KiB of 1448-byte segments */
unsigned int off_gro(struct off_buf *b, const struct vhu_pkt *pkts, unsigned int n,
		     unsigned int caps, uint16_t *orig);

/* The Internet checksum's 32-bit running sum over @len bytes (native
 * 16-bit loads: fold and store natively), and its final form. */
uint32_t off_csum_add(uint32_t sum, const void *p, uint32_t len);
uint16_t off_csum_fold(uint32_t sum);

#endif
