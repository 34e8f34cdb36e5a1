/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest ports come and go while xviod runs: --vhost at start, `xvioctl port
 * add|del` and the state file at runtime, all through these calls (control
 * thread). Ids are the lowest free one unless given (the state file keeps
 * each port's id, since flows name ports by id); the NIC's is fixed
 * (XVIOD_NIC_ID).
 */
#ifndef XVIO_HOTPLUG_H
#define XVIO_HOTPLUG_H

#include <stddef.h>
#include <stdint.h>
#include "vport.h"

struct daemon;

/* Could @vp join as it is: a name and a socket path no other port has, an
 * @id (0: any) that is free? 0 or -errno with the reason in @err. */
int ports_check(struct daemon *d, const struct vport *vp, unsigned int id, char *err,
		size_t errlen);
/* @vp (from vport_parse) becomes port @id (0: the lowest free): its socket,
 * its sockets on the NIC, its MAC, its queues on the pollers, its socket
 * in the control loop. On error @vp is freed and nothing is left; the
 * reason is in @err. Returns the id or -errno. */
int ports_add(struct daemon *d, struct vport *vp, unsigned int id, char *err, size_t errlen);
/* Port @p goes (a guest port only): its frontend is disconnected, no
 * poller holds it any more, its MAC entries, NIC sockets' slots, flows to
 * it and its socket file are removed, then it is freed. Other ports'
 * traffic never stops. 0 or -errno with the reason in @err. */
int ports_del(struct daemon *d, struct port *p, char *err, size_t errlen);
/* The port whose static entry @mac is, or 0. */
unsigned int ports_static_owner(struct daemon *d, const uint8_t mac[6]);
/* The listen socket (or a connection attempt) of @vp into the control loop. */
void ports_watch(struct daemon *d, struct vport *vp);

#endif
