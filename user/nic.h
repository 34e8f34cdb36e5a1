/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC port of xviod: xvio's XDP program on the interface, one AF_XDP
 * UMEM per queue with a socket per guest port plus the flood socket. As a
 * switch port, its receive queues are the NIC's queues (the XDP program has
 * already chosen each frame's guest) and its transmit queues their TX
 * rings. nic.c is the control path (setup, L2 sync, flows, reports),
 * nic_dp.c the data path (port_ops).
 */
#ifndef XVIO_NIC_H
#define XVIO_NIC_H

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include "afxdp.h"
#include "loader.h"
#include "port.h"

#define NIC_RING_SIZE 2048
#define NIC_BUSY_POLL_DEFAULT 20 /* microseconds, as DPDK's AF_XDP PMD */
#define NIC_STALL_ROUNDS 4096 /* rounds a guest may take nothing before its frames drop */
#define NIC_BUSY_POLL_AUTO UINT_MAX /* 20 with --poll busy, else 0 */
#define NIC_LOOP_SLOTS 64 /* frames handed to the host stack, remembered */
#define NIC_LOOP_WINDOW_NS (1000 * 1000ULL) /* ... for this long (a copy that loops is back within the injecting call) */
#define NIC_ROOM_REFRESH 64 /* empty looks between two xvio_room refreshes */
#define NIC_LOOP_HASHED 256 /* bytes of a frame its fingerprint covers */

/* The safety net behind the cookie (xvio/host.h): fingerprints of the
 * frames handed back to the host stack in skb mode lately. Should one come
 * back to a flood socket (the kernel lost the cookie), it is dropped and
 * counted instead of flooded again. A fingerprint matches once. */
struct nic_loop_guard {
	atomic_flag lock;
	_Atomic uint64_t last_ns;	/* newest note: no look at all when older than the window */
	unsigned int next;
	uint64_t drops;			/* under lock */
	atomic_bool warned;
	struct {
		uint64_t hash;		/* 0: free */
		uint64_t t_ns;
	} e[NIC_LOOP_SLOTS];
};

struct daemon;

/* One NIC queue: the library's UMEM and sockets, and what xviod keeps of
 * its own about them. Used by one burst at a time (lock). */
struct nic_queue {
	struct afxdp_queue *q;
	struct afxdp_sock *flood;	/* port 0: broadcasts in, every TX out */
	atomic_flag lock;
	bool busy_poll;			/* preferred busy polling set up and useful */
	bool napi_checked;		/* the sockets' NAPI id was looked at */
	bool tx_pending;		/* this round: a busy device left TX frames */
	struct afxdp_sock *socks[AFXDP_MAX_SOCKS]; /* the library's, in order */
	uint32_t sock_port[AFXDP_MAX_SOCKS]; /* the XSKMAP port of each */
	unsigned int nsocks;
	uint32_t stalled[AFXDP_MAX_SOCKS]; /* rounds a socket's guest took nothing */
	bool room_set[AFXDP_MAX_SOCKS];	/* its xvio_room limit reflects a non-empty ring */
	uint32_t room_idle[AFXDP_MAX_SOCKS]; /* empty looks since (NIC_ROOM_REFRESH) */
	uint64_t csum_partial;		/* frames off_rx_partial() marked (veth) */
	uint64_t tx_too_big;		/* frames to the wire over max_frame: dropped */
	uint64_t tx_csum_meta;		/* frames sent with their checksum left to the
					 * kernel or device (TX metadata) */
	uint64_t tx_bad_csum;		/* frames dropped: a checksum field past the
					 * first TX frame (tx_csum) */
	/* The burst between rx_burst and rx_done: its descriptors, and where
	 * each packet's first is (a jumbo frame takes several). */
	struct afxdp_frame f[VHU_BURST];
	uint16_t first[VHU_BURST + 1];	/* set only when multi */
	unsigned int ndesc;
	bool multi;			/* some packet took several descriptors */
};

/* A queue's lock: one burst at a time, and the control thread adding a
 * port's socket. */
static inline void qlock(struct nic_queue *nq)
{
	while (atomic_flag_test_and_set_explicit(&nq->lock, memory_order_acquire))
		__builtin_ia32_pause();
}

static inline void qunlock(struct nic_queue *nq)
{
	atomic_flag_clear_explicit(&nq->lock, memory_order_release);
}

struct nic {
	struct port port;		/* first: nic_of() */
	struct daemon *d;
	char ifname[16];
	int ifindex;
	uint8_t mac[6];
	unsigned int nqueues;
	enum loader_mode mode;
	bool existing;			/* mode=existing: use the attached program, keep it */
	bool skb_mode;			/* the program runs in skb (generic) mode */
	char xdp_mode[8];		/* "native", "skb", ... as attached */
	bool host;			/* also hand flooded frames to the host stack */
	bool partial_csum;		/* a veth: look for CHECKSUM_PARTIAL frames */
	bool tx_csum;			/* tx_csum=on and the kernel has TX metadata */
	uint32_t mtu;			/* the interface's, as last read (control thread) */
	_Atomic uint32_t max_frame;	/* largest frame sent to the wire: MTU + 18 (an
					 * Ethernet header and a VLAN tag, as Linux
					 * forwards), no more than the sockets carry */
	unsigned int busy_poll;		/* SO_BUSY_POLL usec; 0: off */
	struct loader_maps *maps;
	struct xvio_room *room;		/* xvio_room, mmapped */
	int inject_fd;			/* XDP_PASS program run on live frames */
	uint64_t cookie;		/* in front of each of them (xvio/host.h) */
	struct nic_loop_guard guard;	/* skb mode with host=on */
	struct nic_queue queues[XVIO_MAX_QUEUES];
	uint64_t host_injected;		/* written under a queue's lock */
	uint64_t host_inject_errors;
};

static inline struct nic *nic_of(struct port *p)
{
	return (struct nic *)p;
}

/* --nic IFNAME[,queues=N][,mode=auto|native|skb|existing][,host=on|off][,gro=on|off]
 *       [,tx_csum=on|off][,busy_poll=USEC] */
int nic_parse(const char *arg, struct nic *n, char *err, size_t errlen);
/* Attach the program, open the sockets of every port but the NIC's own
 * (every port in d->ports), fill the L2 table. 0 or -errno (logged). */
int nic_setup(struct daemon *d, struct nic *n, uint16_t id);
void nic_teardown(struct nic *n);
/* Read the interface's MTU again; the largest frame sent to the wire
 * follows it (logged when it changes). Control thread, each second. */
void nic_mtu_sync(struct nic *n);
/* The MTU as last read, and the interface's name (control thread). */
static inline uint32_t nic_mtu(const struct nic *n) { return n->mtu; }
static inline const char *nic_name(const struct nic *n) { return n->ifname; }
/* Guest port @id at runtime: its socket on every queue (made once per id,
 * kept when the port goes) and in the XSKMAP; 0 or -errno (logged). */
int nic_port_add(struct nic *n, unsigned int id);
/* Guest port @id goes: out of the XSKMAP, and the flows that steered into
 * it deleted (returns how many). */
unsigned int nic_port_del(struct nic *n, unsigned int id);
/* Make the BPF L2 table match the guests' MACs in the switch's table. */
int nic_l2_sync(struct nic *n);
/* xvioctl flow add|del|list ... */
void nic_flow_cmd(struct nic *n, int argc, char **argv, FILE *out, bool json);

extern const struct port_ops nic_ops;

/* nic_dp.c: the data path half of nic_ops */
unsigned int nic_rx_burst(struct port *p, unsigned int q, struct port_rx *rx);
void nic_rx_done(struct port *p, unsigned int q, struct port_rx *rx, unsigned int n,
		 unsigned int delivered, unsigned int kept);
unsigned int nic_tx_burst(struct port *p, unsigned int q, const struct vhu_pkt *pkts,
			  unsigned int n, bool hold, struct port_sent *out);
bool nic_tx_ready(struct port *p, unsigned int q);
uint32_t nic_tx_room(struct port *p, unsigned int q);
bool nic_up(struct port *p);
unsigned int nic_offloads(struct port *p, unsigned int q);
unsigned int nic_notify(struct port *p, unsigned int q, bool enable);
int nic_send_frame(struct port *p, const void *frame, uint32_t len);
/* Lift queue @q's xvio_room limits (its sockets close, or are gone). */
void nic_room_clear(struct nic *n, unsigned int q);

#endif
