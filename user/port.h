/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A port of the switch, as the poller sees it: a place frames come in from
 * (rx: a guest's transmit ring, a NIC queue's AF_XDP sockets) and go out to
 * (tx: a guest's receive ring, a NIC queue's TX ring). Two kinds implement
 * it, vhost-user ports (vport*.c) and the NIC (nic*.c); the poller moves
 * frames between them through these operations and never asks which kind a
 * port is. Frames are described as vhost-user packets (segments in memory
 * that stays valid until rx_done): guest memory or UMEM frames, copied once,
 * straight into the destination.
 */
#ifndef XVIO_PORT_H
#define XVIO_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "jsonw.h"
#include "vhu.h"

#define XVIOD_MAX_PORTS 64

/* port_rx.dst: where a received burst goes */
#define PORT_DST_LOOKUP 0	/* by each frame's destination MAC */
#define PORT_DST_FLOOD 0xfffe	/* to every other port (the XDP program decided) */

/* One burst a port received on one of its queues. */
/* What a tx_burst delivered. */
struct port_sent {
	unsigned int frames;
	uint64_t bytes;
};

struct port_rx {
	/* Given by the poller for the round. */
	struct vhu_pkt *pkts;	/* room for VHU_BURST frames */
	struct vhu_seg *segs;	/* room for VHU_BURST * VHU_MAX_SEGS segments */
	unsigned int max;	/* take at most this many frames */
	unsigned int cursor;	/* 0 at the start of a round; the port's from then */
	unsigned int work;	/* the port adds what it did that moved no frame */
	/* Set by rx_burst for the burst it returns. */
	uint16_t dst;		/* PORT_DST_LOOKUP, PORT_DST_FLOOD, or a port id */
	bool hold;		/* what the destination does not take may stay in the
				 * port's ring for the next round (rx_done keeps it) */
	unsigned int also_delivered; /* frames the port hands on by itself (the host
				 * stack): they count as forwarded */
	unsigned int ctx;	/* the port's, between rx_burst and rx_done */
	bool last;		/* nothing more this round: no need to ask again */
};

/* port_ops.notify() */
#define PORT_NOTIFY_PENDING 1u	/* work arrived while arming: do not sleep */
#define PORT_NOTIFY_NO_WAKE 2u	/* nothing will wake the poller: sleep 1 ms at most */

struct port;

struct port_ops {
	/* ---- data path: the owning poller's thread ---- */
	/* One burst received on @q, or 0 when the port has nothing more this
	 * round (rx->cursor). A port may hold a lock of its own from the
	 * call with cursor 0 until the one that returns 0. */
	unsigned int (*rx_burst)(struct port *p, unsigned int q, struct port_rx *rx);
	/* The burst rx_burst returned is done with: @delivered frames went
	 * somewhere, the last @kept stay in the port for the next round. */
	void (*rx_done)(struct port *p, unsigned int q, struct port_rx *rx, unsigned int n,
			unsigned int delivered, unsigned int kept);
	/* Send @n frames out of queue @q (any poller's thread). With @hold the
	 * sender keeps what does not fit, so it is not counted as dropped here:
	 * the return then counts the frames gone from the front, sent or
	 * dropped (and counted) for good, and the sender keeps the rest.
	 * Without it, the frames sent. @out: the frames sent and their bytes. */
	unsigned int (*tx_burst)(struct port *p, unsigned int q, const struct vhu_pkt *pkts,
				 unsigned int n, bool hold, struct port_sent *out);
	/* Frames @q did not take were for lack of room, not because the queue
	 * is down: worth offering again. */
	bool (*tx_ready)(struct port *p, unsigned int q);
	/* Free room on @q, in frames; UINT32_MAX when the port cannot tell. */
	uint32_t (*tx_room)(struct port *p, unsigned int q);
	/* What frames sent on @q may ask of the receiver (VHU_OFF_*: a
	 * guest's GUEST_* features); others are resolved in software first
	 * (offload.h). NULL: none. */
	unsigned int (*offloads)(struct port *p, unsigned int q);
	/* Connected and able to take frames at all. */
	bool (*up)(struct port *p);
	/* Before sleeping (@enable) and after: arm or disarm what wakes the
	 * poller for receive queue @q. Returns PORT_NOTIFY_* flags. */
	unsigned int (*notify)(struct port *p, unsigned int q, bool enable);

	/* ---- control path: the control thread ---- */
	/* Put what wakes a poller for receive queue @q into @epfd (NULL: the
	 * port does it itself when its queues come up). */
	int (*watch)(struct port *p, unsigned int q, int epfd);
	/* One frame out of the port (an announcement); 0 or -errno. */
	int (*send_frame)(struct port *p, const void *frame, uint32_t len);
	/* xvioctl: the port's state ("running", "waiting", ...), its row
	 * (ports; text when @w is NULL) and its own counters (stats). */
	const char *(*state)(struct port *p);
	void (*report_port)(struct port *p, FILE *out, struct jsonw *w);
	void (*report_stats)(struct port *p, FILE *out, struct jsonw *w);
	/* The name and help of a common counter as this port shows it (the
	 * NIC says "from_wire" for "from_guest"); NULL: the common ones. */
	const char *(*stat_key)(const char *field, char *buf, size_t len);
	const char *(*stat_help)(const char *field, const char *help);
};

struct port {
	unsigned int id;		/* 1..; the daemon's ports[id - 1] */
	char name[64];
	const struct port_ops *ops;
	/* Isolation: frames whose source MAC is not *src_mac are dropped
	 * (NULL: any source); at most max_macs source MACs are learned
	 * (0: no limit). */
	const uint8_t *src_mac;
	uint32_t max_macs;
	/* Its TCP segments may be merged for a guest that takes large frames
	 * (offload.h: off_gro); the NIC's, unless gro=off. */
	bool gro;
};

/*
 * Per-thread, per-port counters: written only by their poller, summed by
 * the control thread. For each frame a port received:
 *   from_guest = fwd_unicast + fwd_flood + drop_runt + drop_hairpin
 *              + drop_no_dest + drop_dest_down + drop_dest_full + drop_src_mac
 *              + drop_bad_offload
 * to_guest counts frames sent out of this port.
 */
struct port_stats {
	uint64_t from_guest;
	uint64_t from_guest_bytes;
	uint64_t fwd_unicast;
	uint64_t fwd_flood;		/* delivered to at least one port by flooding */
	uint64_t to_guest;
	uint64_t to_guest_bytes;
	uint64_t drop_runt;		/* shorter than an Ethernet header */
	uint64_t drop_hairpin;		/* destination MAC is behind the sending port */
	uint64_t drop_no_dest;		/* flooded, but no other port could take it */
	uint64_t drop_dest_down;	/* known destination port not running */
	uint64_t drop_dest_full;	/* destination had no receive buffers */
	uint64_t flood_copies;		/* deliveries made by flooding (one per port) */
	uint64_t drop_src_mac;		/* source MAC other than the port's mac= */
	uint64_t macs_refused;		/* source MACs not learned: the port's limit */
	uint64_t drop_bad_offload;	/* GSO frame whose headers are not what its header says */
	uint64_t sw_gso;		/* frames segmented in software for a receiver */
	uint64_t sw_gso_segs;		/* the segments they made */
	uint64_t sw_csum;		/* checksums completed in software (not segmented) */
	uint64_t gro_segs;		/* frames merged into larger ones for a guest (GRO) */
	uint64_t gro_frames;		/* the frames they became */
} __attribute__((aligned(64)));

#define PORT_STATS_FIELDS(X)                                                            \
	X(from_guest, "frames the guest transmitted")                                   \
	X(from_guest_bytes, "bytes the guest transmitted")                              \
	X(fwd_unicast, "forwarded to the port that has the destination MAC")            \
	X(fwd_flood, "broadcast/multicast/unknown, flooded to the other ports")         \
	X(to_guest, "frames delivered to the guest")                                    \
	X(to_guest_bytes, "bytes delivered to the guest")                               \
	X(drop_runt, "dropped: shorter than an Ethernet header")                        \
	X(drop_hairpin, "dropped: destination is behind the same port")                 \
	X(drop_no_dest, "dropped: flooded but no other port was up")                    \
	X(drop_dest_down, "dropped: destination port not running")                      \
	X(drop_dest_full, "dropped: destination guest had no receive buffers")          \
	X(flood_copies, "copies made by flooding")                                      \
	X(drop_src_mac, "dropped: source MAC is not the port's configured mac=")        \
	X(macs_refused, "source MACs not learned: the port's max_macs is reached")          \
	X(drop_bad_offload, "dropped: a GSO frame whose headers do not match its virtio-net header") \
	X(sw_gso, "large frames segmented in software for a receiver without TSO")        \
	X(sw_gso_segs, "segments made by software segmentation")                            \
	X(sw_csum, "checksums completed in software for a receiver without CSUM")          \
	X(gro_segs, "TCP segments merged into larger frames for a guest with GUEST_TSO (GRO)") \
	X(gro_frames, "the frames GRO made of them")

#endif
