/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xviod --state FILE: what was changed at runtime and must survive a
 * restart: guest ports added with `xvioctl port add` (with their ids: flows
 * name ports by id), static MACs added with `xvioctl mac add` (by port
 * name) and the NIC's flow table. Rewritten atomically (a temporary file, fsync, rename)
 * after every change; read at start, after the ports exist, and applied only
 * if every entry in it is valid (a corrupt file, an unknown version, a port
 * that is gone: xviod says which line and does not start).
 *
 *   ; written by xviod
 *   [xvio-state]
 *   version = 2
 *   [ports]
 *   port = 3 /run/xvio/vm3.sock,mac=02:00:00:00:00:03
 *   [macs]
 *   mac = 02:00:00:00:00:09 vm1.sock
 *   [flows]
 *   flow = proto udp src 198.18.0.1 dst 198.18.0.2 dport 4789 port 1
 */
#ifndef XVIO_STATE_H
#define XVIO_STATE_H

#include <stdbool.h>
#include <stdint.h>

#define STATE_VERSION 2	/* 1: the same without [ports]; still read */
#define STATE_MAX_MACS 1024

struct daemon;

struct state_mac {
	uint8_t mac[6];
	char port[64];		/* the port's name */
};

struct state {
	char path[256];		/* "" : no --state */
	struct state_mac macs[STATE_MAX_MACS];	/* runtime static MACs */
	unsigned int nmacs;
};

/* Read and apply @s->path (a missing file is an empty state). 0, or
 * -EINVAL with the reason logged; nothing applied then. */
int state_load(struct daemon *d, struct state *s);
/* Rewrite the file from @s and the NIC's flow table; 0 or -errno (logged). */
int state_save(struct daemon *d, struct state *s);
/* Runtime static MAC bookkeeping (the caller changed the switch's table). */
int state_mac_add(struct state *s, const uint8_t mac[6], const char *port);
/* -ENOENT when @mac was not added at runtime (a --vhost mac= is config). */
int state_mac_del(struct state *s, const uint8_t mac[6]);
/* Port @name went: forget the static MACs added on it. */
void state_port_gone(struct state *s, const char *name);

#endif
