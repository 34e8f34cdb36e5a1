/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xviod's control socket, which xvioctl talks to: one request line per
 * connection, the answer until the daemon closes.
 */
#ifndef XVIO_CTL_H
#define XVIO_CTL_H

#include <stdbool.h>

#define XVIOD_DEFAULT_CTL "/run/xvio/xviod.sock"

struct daemon;
struct sockperm;

/* Listen on @path (its directory is created) with @sp's mode and group;
 * the fd or -errno (logged). */
int ctl_listen(const char *path, const struct sockperm *sp);
/* The port a user names: its name (vm0.sock, the NIC's ifname) or, with
 * @by_id, its number. NULL when there is none. */
struct port;
struct port *ctl_find_port(struct daemon *d, const char *arg, bool by_id);
/* Another daemon answers on @path. */
bool ctl_in_use(const char *path);
/* Answer one client of @listen_fd: root, our user or the socket group
 * only; one line read and the answer written within CTL_DEADLINE_MS each,
 * or the client is dropped (the control thread serves everyone). */
#define CTL_DEADLINE_MS 1000
void ctl_serve(struct daemon *d, int listen_fd);

#endif
