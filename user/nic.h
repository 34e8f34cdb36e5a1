/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC port of xviod: xvio's XDP program on the interface, one AF_XDP
 * UMEM per queue with a socket per guest port plus the flood socket, and the
 * bridge between those sockets and the guests' virtqueues. Control path
 * (setup, L2 sync, flows, reports) and data path (rx burst, tx) live here;
 * the poller loop calls the data path.
 */
#ifndef XVIO_NIC_H
#define XVIO_NIC_H

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include "afxdp.h"
#include "daemon.h"
#include "loader.h"

#define NIC_RING_SIZE 1024
#define NIC_BUSY_POLL_DEFAULT 20 /* microseconds, as DPDK's AF_XDP PMD */
#define NIC_STALL_ROUNDS 4096 /* rounds a guest may take nothing before its frames drop */
#define NIC_BUSY_POLL_AUTO UINT_MAX /* 20 with --poll busy, else 0 */

struct nic {
	char ifname[16];
	int ifindex;
	uint8_t mac[6];
	unsigned int nqueues;
	enum loader_mode mode;
	bool host;			/* also hand flooded frames to the host stack */
	unsigned int busy_poll;		/* SO_BUSY_POLL usec; 0: off */
	struct port *port;		/* its switch port */
	struct loader_maps *maps;
	int inject_fd;			/* XDP_PASS program run on live frames */
	struct afxdp_queue *q[XVIO_MAX_QUEUES];
	struct afxdp_sock *flood[XVIO_MAX_QUEUES];
	atomic_flag lock[XVIO_MAX_QUEUES];
	uint64_t host_injected;		/* per-thread would be nicer; written under lock */
	uint64_t host_inject_errors;
};

/* --nic IFNAME[,queues=N][,mode=native|skb][,host=on|off][,busy_poll=USEC] */
int nic_parse(const char *arg, struct nic *n, char *err, size_t errlen);
int nic_setup(struct daemon *d, struct nic *n);
void nic_teardown(struct daemon *d, struct nic *n);
/* Data path: one burst from every socket of queue @qi; returns frames moved. */
unsigned int nic_rx_burst(struct poller *p, struct nic *n, unsigned int qi);
/* Data path: send @cnt guest frames out of the NIC; returns frames sent. */
unsigned int nic_tx(struct poller *p, struct nic *n, unsigned int qp, const struct vhu_pkt *pkts,
		    unsigned int cnt);
/* Control path: send one frame (e.g. a RARP announcement) on queue 0.
 * Returns 0 or -errno. */
int nic_send_frame(struct nic *n, const void *frame, uint32_t len);
/* Put the NIC queue's socket fds into poller @p's epoll set. */
int nic_watch(struct nic *n, struct poller *p);
/* Make the BPF L2 table match the guests' MACs in the switch's table. */
int nic_l2_sync(struct daemon *d, struct nic *n);
void nic_report(struct daemon *d, struct nic *n, FILE *out, bool json, void *jsonw);
/* xvioctl flow add|del|list ... */
void nic_flow_cmd(struct daemon *d, struct nic *n, int argc, char **argv, FILE *out, bool json);

#endif
