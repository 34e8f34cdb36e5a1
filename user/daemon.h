/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xviod's shared state: ports (one per vhost-user socket), poller threads
 * with their queue assignments, per-thread counters, and the MAC table. The
 * control thread owns configuration; pollers own their queues. Cross-thread
 * changes use the quiescent-state handshake in poller.c.
 */
#ifndef XVIO_DAEMON_H
#define XVIO_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "fwd.h"
#include "vhu.h"

struct nic;

#define XVIOD_MAX_PORTS 64
#define XVIOD_MAX_THREADS 16
#define XVIOD_DEFAULT_CTL "/run/xvio/xviod.sock"
#define XVIOD_MAC_AGE 300	/* seconds before a learned MAC is forgotten */

enum poll_mode { POLL_BUSY, POLL_ADAPTIVE, POLL_INTERRUPT };

/*
 * Per-thread, per-port counters: written only by their thread, summed by
 * the control thread. For each frame a guest sent:
 *   from_guest = fwd_unicast + fwd_flood + drop_runt + drop_hairpin
 *              + drop_no_dest + drop_dest_down + drop_dest_full
 * to_guest counts frames delivered into this port's receive queues.
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
	X(flood_copies, "copies made by flooding")

struct port {
	unsigned int id;		/* 1..; index in daemon.ports[] + 1 */
	char name[64];
	char path[108];
	bool client;
	bool have_mac;
	uint8_t mac[6];
	unsigned int queues;		/* queue pairs offered */
	struct vhu_dev *dev;		/* guest ports */
	struct nic *nic;		/* the NIC port (dev is NULL) */
	atomic_flag rx_lock[VHU_MAX_QUEUE_PAIRS];
	bool waiting_logged;		/* client mode: "waiting for frontend" said once */
	uint64_t connects;
	uint64_t disconnects;
};

struct poller_queue {
	struct port *port;
	unsigned int qp;		/* queue pair: tx vq 2*qp+1, rx vq 2*qp */
	struct port *last_dst;		/* the guest most of its last burst went to */
	uint64_t blocked_since;		/* CLOCK_MONOTONIC_COARSE ns; 0: not held back */
};

/* How long a guest's transmit ring may wait for a full destination before
 * its frames are forwarded (and dropped for lack of room) again: a few
 * scheduler ticks, so a receiver that lost its CPU for a tick or two loses
 * nothing, and a stuck one holds its senders back no longer than this. */
#define POLL_BLOCK_NS (12 * 1000 * 1000ull)

struct poller {
	struct daemon *d;
	unsigned int id;
	int cpu;			/* -1: not pinned */
	pthread_t thread;
	bool running;
	int epfd;
	int wake_fd;			/* eventfd to wake it for shutdown */
	bool nic_tx_pending;		/* this round: a busy NIC left TX frames unsent */
	struct poller_queue q[XVIOD_MAX_PORTS * VHU_MAX_QUEUE_PAIRS];
	unsigned int nq;
	unsigned int nic_q[64];		/* NIC queues this poller serves */
	unsigned int nnic_q;
	_Atomic uint64_t epoch;		/* +1 at every quiescent point */
	_Atomic bool sleeping;		/* in epoll_wait: holds no queue */
	struct port_stats stats[XVIOD_MAX_PORTS];
	uint64_t loops;
	uint64_t sleeps;
	uint64_t wakeups;
	/* scratch for one burst, allocated once */
	struct vhu_pkt *pkts;
	struct vhu_seg *segs;
	struct vhu_pkt *out;
	uint16_t *dest;
	struct vhu_seg *nseg;		/* one segment per frame received from the NIC */
};

struct daemon {
	struct port ports[XVIOD_MAX_PORTS];
	unsigned int nports;
	struct poller pollers[XVIOD_MAX_THREADS];
	unsigned int npollers;
	enum poll_mode mode;
	struct fwd_table *fwd;
	_Atomic uint32_t now;		/* seconds since start, for MAC ages */
	_Atomic bool stopping;
	const char *ctl_path;
	uint16_t max_mtu;
	struct nic *nic;		/* at most one NIC port */
	int learn_efd;			/* pollers: "a guest MAC was learned", sync L2 */
};

static inline bool port_is_nic(const struct port *p)
{
	return p->nic != NULL;
}

/* poller.c */
int poller_start(struct daemon *d, struct poller *p);
void poller_stop(struct poller *p);
/* Return once no poller is inside a burst that could touch any device. */
void pollers_quiesce(struct daemon *d);
/* A queue of @port became ready: watch its kick fd in the owning poller. */
void pollers_watch(struct daemon *d, struct port *port, unsigned int vq_index, bool ready);
/* Deliver one frame (e.g. a RARP made by the control thread) to every port
 * but @from; returns the number of ports that took it. */
unsigned int pollers_flood_frame(struct daemon *d, struct port *from, const void *frame,
				 uint32_t len);
const char *poll_mode_name(enum poll_mode m);
/* True when frames @dst did not take are worth offering again (a ready
 * guest ring, merely full), false when the port is down or gone. */
bool pollers_can_retry(struct port *dst, unsigned int qp);

/* report.c: what xvioctl shows */
#include <stdio.h>
void report_ports(struct daemon *d, FILE *out, bool json);
void report_stats(struct daemon *d, FILE *out, bool json);
void report_macs(struct daemon *d, FILE *out, bool json);
void port_stats_sum(struct daemon *d, const struct port *p, struct port_stats *out);

/* poller.c helpers shared with nic.c. pollers_deliver(): @keep when the
 * caller keeps (and offers again) what a guest had no buffers for, so it is
 * not counted as dropped there. */
unsigned int pollers_deliver(struct poller *p, struct port *dst, unsigned int qp,
			     const struct vhu_pkt *pkts, unsigned int n, bool keep);

/* ctl.c */
int ctl_listen(const char *path);
/* Another daemon answers on @path. */
bool ctl_in_use(const char *path);
void ctl_serve(struct daemon *d, int listen_fd);

#endif
