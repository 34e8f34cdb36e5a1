/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * afxdp: AF_XDP sockets of one NIC queue over one UMEM. Knows nothing about
 * vhost or the switch; never prints (errors are -errno and a message buffer).
 *
 * Frame ownership: each UMEM frame is at any moment in exactly one place:
 *   free  - our free list (struct afxdp_queue.free)
 *   fq    - the fill ring or, once filled, the kernel's RX path / an RX ring
 *   tx    - the TX ring or the completion ring (sent, not yet reclaimed)
 * free + fq_out + tx_out == nframes always holds; afxdp_queue__check() says so.
 * RX frames are handled within one burst and go straight back to the fill
 * ring, or are un-peeked and stay in their RX ring (still fq_out), so none
 * is ever held by the caller between bursts.
 *
 * A queue's rings are not thread-safe: the caller serialises bursts (xviod
 * holds a per-queue lock for a burst). The structs are the library's own:
 * callers keep their per-queue and per-socket state in theirs.
 */
#ifndef XVIO_AFXDP_H
#define XVIO_AFXDP_H

#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>

#define AFXDP_MAX_SOCKS 64
#define AFXDP_FRAME_SIZE 4096
/* Descriptors one packet may take, in either direction (multi-buffer,
 * XDP_USE_SG): the kernel's MAX_SKB_FRAGS + 1. 65535 bytes need 18 on
 * receive (3840 bytes each), 17 on transmit (4032). */
#define AFXDP_MAX_FRAGS 18

struct afxdp_queue;	/* one UMEM and the sockets bound to one NIC queue */
struct afxdp_sock;	/* one of those sockets */

struct afxdp_queue_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_no_frame;	/* TX dropped: no free UMEM frame */
	uint64_t tx_ring_full;	/* TX dropped: TX ring full */
	uint64_t rx_multi;	/* packets received in more than one frame (jumbo) */
	uint64_t tx_multi;	/* packets sent in more than one frame */
	uint64_t rx_bad_chain;	/* multi-frame packets with too many frames: dropped */
	uint64_t wakeups;	/* sendto/recvfrom kicks for need_wakeup */
	uint64_t tx_rekicks;	/* sendto again for frames a busy device left */
};

/* Where the UMEM's frames are: free + fill + tx == frames when all is well. */
struct afxdp_umem_use {
	uint32_t frames;
	uint32_t free;
	uint32_t fill;		/* given to the fill ring, not returned by RX */
	uint32_t tx;		/* submitted to TX, not reclaimed from the CQ */
};

/* XDP_STATISTICS of one socket, as the kernel counts them. */
struct afxdp_xdp_stats {
	uint64_t rx_dropped;
	uint64_t rx_invalid_descs;
	uint64_t tx_invalid_descs;
	uint64_t rx_ring_full;
	uint64_t rx_fill_ring_empty_descs;
	uint64_t tx_ring_empty_descs;
};

/**
 * afxdp_queue__new() - UMEM for queue @qid of @ifname, sized from the ring
 * sizes: fill + TX + slack frames of AFXDP_FRAME_SIZE.
 */
#define AFXDP_Q_NEED_SG 2u	/* multi-buffer before zero-copy: a driver whose
				 * zero-copy is single-buffer binds in copy mode */
int afxdp_queue__new(const char *ifname, uint32_t qid, uint32_t ring_size, unsigned int flags,
		     struct afxdp_queue **out);
void afxdp_queue__free(struct afxdp_queue *q);
/**
 * afxdp_queue__add_socket() - bind one more socket to the queue, sharing
 * the UMEM: zero-copy first, copy mode when the driver cannot (the first
 * socket decides for all). The XDP program is never loaded by libxdp.
 */
int afxdp_queue__add_socket(struct afxdp_queue *q, struct afxdp_sock **out,
			    char *err, size_t errlen);
/* Move free frames into the fill ring (at most @max); returns how many. */
unsigned int afxdp_queue__refill(struct afxdp_queue *q, unsigned int max);
/* Reclaim completed TX frames into the free list; returns how many. */
unsigned int afxdp_queue__complete(struct afxdp_queue *q);

/*
 * One descriptor: a UMEM frame and the bytes of a packet in it. A packet is
 * one descriptor, or with multi-buffer (afxdp_queue__sg()) several in a row,
 * each but the last with @more set. Received ones point into the UMEM until
 * afxdp_sock__rx_release().
 */
struct afxdp_frame {
	void *data;
	uint64_t addr;
	uint32_t len;
	bool more;		/* the packet goes on in the next descriptor */
	bool meta;		/* TX: afxdp_queue__tx_csum() wrote its metadata */
	bool cut;		/* RX: a chain cut here at AFXDP_MAX_FRAGS */
};

/*
 * Peek whole packets from @s's RX ring: at most @n descriptors and @max_pkts
 * packets. Returns the descriptors taken (never part of a packet); *@npkts
 * says how many packets they make. A chain longer than AFXDP_MAX_FRAGS
 * descriptors, which no kernel makes, is cut into packets of at most that
 * many (counted rx_bad_chain): they go where the XDP program sent the whole,
 * and their bytes are judged there as any frame's.
 */
unsigned int afxdp_sock__rx_peek(struct afxdp_queue *q, struct afxdp_sock *s,
				 struct afxdp_frame *f, unsigned int n, unsigned int max_pkts,
				 unsigned int *npkts);
/* Entries of @s's RX ring in use: filled by the kernel, not released yet. */
uint32_t afxdp_sock__rx_level(const struct afxdp_sock *s);
/* Give the last @n peeked descriptors (whole packets) back to the RX ring:
 * the next peek sees them again (their receiver had no room; the ring is
 * the buffer). */
void afxdp_sock__rx_unpeek(struct afxdp_queue *q, struct afxdp_sock *s,
			   const struct afxdp_frame *f, unsigned int n);
/* Release @n peeked descriptors: back to the fill ring (they were fq_out). */
void afxdp_sock__rx_release(struct afxdp_queue *q, struct afxdp_sock *s,
			    const struct afxdp_frame *f, unsigned int n);

/* TX: reserve a free frame to copy up to afxdp_queue__tx_room() bytes into
 * (then submit it on a socket); NULL, counted as tx_no_frame, when none is
 * free. *@addr is the descriptor's address (the data's). */
void *afxdp_queue__tx_frame(struct afxdp_queue *q, uint64_t *addr);
/* Bytes one TX frame takes: a UMEM frame, less room for TX metadata. */
uint32_t afxdp_queue__tx_room(const struct afxdp_queue *q);
/* Whether TX metadata can ask the kernel (or the device) to checksum. */
bool afxdp_queue__tx_csum_ok(const struct afxdp_queue *q);
/* Ask for the checksum of the packet whose first descriptor is @d: the
 * 16 bits at @start + @offset get the sum from @start to the end, which
 * the field seeds with the pseudo-header's (CHECKSUM_PARTIAL). False, and
 * nothing written, when the queue has no TX metadata. */
bool afxdp_queue__tx_csum(struct afxdp_queue *q, struct afxdp_frame *d, uint16_t start,
			  uint16_t offset);
/* Largest packet a socket of @q can send or receive whole: the NIC's limit
 * aside, one UMEM frame (less the RX headroom) without multi-buffer. */
uint32_t afxdp_queue__max_packet(const struct afxdp_queue *q);
/* Whether the sockets were bound with XDP_USE_SG (multi-buffer packets). */
bool afxdp_queue__sg(const struct afxdp_queue *q);
/* Kick every socket of @q whose TX ring still holds descriptors the kernel
 * has not taken (the device said busy). Returns how many still had some. */
unsigned int afxdp_queue__tx_kick(struct afxdp_queue *q);
/* Give back a frame reserved but not sent. */
void afxdp_queue__tx_unused(struct afxdp_queue *q, uint64_t addr);
/* Submit @n descriptors (addr, len, more; whole packets) on @s's TX ring
 * and kick if needed; packets that do not fit are returned to the free
 * list and counted. Returns the descriptors sent (whole packets). */
unsigned int afxdp_sock__tx_submit(struct afxdp_queue *q, struct afxdp_sock *s,
				   const struct afxdp_frame *d, unsigned int n);

int afxdp_sock__xdp_stats(const struct afxdp_sock *s, struct afxdp_xdp_stats *st);
/* SO_PREFER_BUSY_POLL + SO_BUSY_POLL(@usec) + SO_BUSY_POLL_BUDGET on every
 * socket of @q: the caller then drives NAPI with afxdp_queue__busy_poll(),
 * one syscall each time. */
int afxdp_queue__set_busy_poll(struct afxdp_queue *q, unsigned int usec, unsigned int budget);
void afxdp_queue__busy_poll(struct afxdp_queue *q);
/* The NAPI id the kernel recorded for @s (SO_INCOMING_NAPI_ID) once a frame
 * arrived: 0 when the driver gave its XDP queue none, and busy polling then
 * has nothing to poll. -errno on error. */
int afxdp_sock__napi_id(const struct afxdp_sock *s);
/* 0 when every frame is accounted for, -EFAULT otherwise. */
int afxdp_queue__check(const struct afxdp_queue *q);

/* What the queue is: for the caller's reports and its epoll set. */
bool afxdp_queue__zerocopy(const struct afxdp_queue *q);
unsigned int afxdp_queue__nsocks(const struct afxdp_queue *q);
struct afxdp_sock *afxdp_queue__sock(struct afxdp_queue *q, unsigned int i);
const struct afxdp_queue_stats *afxdp_queue__stats(const struct afxdp_queue *q);
void afxdp_queue__umem_use(const struct afxdp_queue *q, struct afxdp_umem_use *u);
int afxdp_sock__fd(const struct afxdp_sock *s);

#endif
