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

struct daemon {
	struct port *ports[XVIOD_MAX_PORTS];	/* ports[id - 1] */
	unsigned int nports;
	struct poller pollers[XVIOD_MAX_THREADS];
	unsigned int npollers;
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

#endif
