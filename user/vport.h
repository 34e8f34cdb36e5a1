/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-user ports: a guest behind a vhost-user socket (QEMU -netdev
 * vhost-user, DPDK virtio-user), as a switch port. Its receive queues (for
 * the poller) are the guest's transmit rings, its transmit queues the
 * guest's receive rings. vport.c is the control path (options, the device,
 * its callbacks, reports), vport_dp.c the data path (port_ops).
 */
#ifndef XVIO_VPORT_H
#define XVIO_VPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "port.h"
#include "vhu.h"

#include "daemon.h"

struct vport {
	struct port port;		/* first: vport_of() */
	struct daemon *d;
	struct vhu_dev *dev;
	char path[108];
	bool runtime;			/* added with xvioctl port add (kept in --state) */
	bool client;
	bool have_mac;
	bool any_src;			/* src_check=off: mac= does not limit the source */
	uint8_t mac[6];
	unsigned int queues;		/* queue pairs offered */
	atomic_flag rx_lock[VHU_MAX_QUEUE_PAIRS]; /* guest receive rings: any poller sends */
	bool waiting_logged;		/* client mode: "waiting for frontend" said once */
	uint64_t connects;
	uint64_t disconnects;
};

static inline struct vport *vport_of(struct port *p)
{
	return (struct vport *)p;
}

/* PATH[,mac=MAC][,client|server][,queues=N][,...] (--vhost, or @what): a
 * new port, or -errno with the reason in @err. */
int vport_parse(const char *arg, const char *what, struct vport **out, char *err, size_t errlen);
/* @vp as a spec vport_parse reads back: only what differs from the defaults
 * (at most VPORT_SPEC_MAX bytes: a state file line stays short). */
#define VPORT_SPEC_MAX 192
void vport_spec(const struct vport *vp, char *buf, size_t len);
/* The vhost-user device of @vp, listening unless it is a client; its MAC in
 * the switch's table. 0 or -errno (logged). */
int vport_open(struct vport *vp, struct daemon *d, uint16_t id);
void vport_free(struct vport *vp);
/* Client mode: try to reach the frontend. The connection's fd, or -errno. */
int vport_connect(struct vport *vp);
/* Server mode: accept the frontend. The connection's fd, or -errno. */
int vport_accept(struct vport *vp);

extern const struct port_ops vport_ops;

/* The guest ports in id order, as daemon_next_port(). */
static inline struct vport *vport_next(struct daemon *d, unsigned int *id)
{
	struct port *p;

	while ((p = daemon_next_port(d, id)))
		if (p->ops == &vport_ops)
			return vport_of(p);
	return NULL;
}

/* vport_dp.c: the data path half of vport_ops */
unsigned int vport_rx_burst(struct port *p, unsigned int q, struct port_rx *rx);
void vport_rx_done(struct port *p, unsigned int q, struct port_rx *rx, unsigned int n,
		   unsigned int delivered, unsigned int kept);
unsigned int vport_tx_burst(struct port *p, unsigned int q, const struct vhu_pkt *pkts,
			    unsigned int n, bool hold, struct port_sent *out);
bool vport_tx_ready(struct port *p, unsigned int q);
unsigned int vport_offloads(struct port *p, unsigned int q);
uint32_t vport_tx_room(struct port *p, unsigned int q);
bool vport_up(struct port *p);
unsigned int vport_notify(struct port *p, unsigned int q, bool enable);
int vport_send_frame(struct port *p, const void *frame, uint32_t len);

#endif
