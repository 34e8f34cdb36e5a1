/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xviod's state, built by xviod.c and read by every module: its ports, the
 * poller threads that move frames between them, the MAC table, and the
 * clock the table ages by. The control thread owns configuration; pollers
 * own their queues; cross-thread changes use the quiescent-state handshake
 * (poller.h).
 */
#ifndef XVIO_DAEMON_H
#define XVIO_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "fwd.h"
#include "poller.h"
#include "port.h"
#include "sockperm.h"

#define XVIOD_MAX_THREADS 16
#define XVIOD_MAC_AGE 300	/* seconds before a learned MAC is forgotten */
#define XVIOD_PORT_MACS 256	/* learned MACs per guest port unless max_macs= says */

struct nic;
struct state;

/* The control loop's epoll tags: the kind in the top byte; for a port's
 * sockets, its id and the generation of that id (an event already taken
 * for a port removed since is recognized and skipped). */
enum { EV_SIGNAL = 1, EV_TIMER, EV_CTL, EV_LISTEN, EV_CONN, EV_LEARN, EV_METRICS };
#define DAEMON_TAG(kind, gen, id) \
	((uint64_t)(kind) << 56 | (uint64_t)(uint32_t)(gen) << 8 | (uint64_t)(id))

/* The NIC's port id: fixed, so guest ports keep their ids (flows and the
 * state file name them) whether or not there is a NIC. */
#define XVIOD_NIC_ID XVIOD_MAX_PORTS

struct daemon {
	/* ports[id - 1]; NULL: a free id. Written by the control thread only
	 * (a port added or removed at runtime), read by pollers: a removed
	 * port is freed only after every poller passed a quiescent point. */
	struct port *_Atomic ports[XVIOD_MAX_PORTS];
	unsigned int nports;		/* how many are in use */
	unsigned int cfg_ports;		/* --vhost ports: ids 1..cfg_ports are theirs */
	uint32_t port_gen[XVIOD_MAX_PORTS];	/* +1 each time an id is freed */
	struct poller pollers[XVIOD_MAX_THREADS];
	unsigned int npollers;
	unsigned int next_poller;	/* the next guest queue's poller (round robin) */
	enum poll_mode mode;
	struct fwd_table *fwd;
	_Atomic uint32_t now;		/* seconds since start, for MAC ages */
	_Atomic bool stopping;
	const char *ctl_path;
	struct sockperm sock;		/* --socket-mode/--socket-group: vhost-user sockets */
	struct sockperm ctl_sock;	/* --ctl-group: the control socket */
	uint16_t max_mtu;		/* --max-mtu, for every vhost-user port */
	struct nic *nic;		/* at most one NIC port */
	struct state *state;		/* --state: runtime changes kept across restarts */
	int learn_efd;			/* pollers: "a MAC was learned or moved" */
	int epfd;			/* the control thread's epoll set */
};

/* The port with id @id, or NULL. */
static inline struct port *daemon_port(struct daemon *d, unsigned int id)
{
	return id >= 1 && id <= XVIOD_MAX_PORTS ?
		       atomic_load_explicit(&d->ports[id - 1], memory_order_acquire) :
		       NULL;
}

/* The ports in id order: for (id = 0; (p = daemon_next_port(d, &id));) */
static inline struct port *daemon_next_port(struct daemon *d, unsigned int *id)
{
	struct port *p;

	while (++*id <= XVIOD_MAX_PORTS)
		if ((p = daemon_port(d, *id)))
			return p;
	return NULL;
}

#endif
