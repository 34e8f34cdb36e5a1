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

/* Listen on @path (its directory is created); the fd or -errno (logged). */
int ctl_listen(const char *path);
/* Another daemon answers on @path. */
bool ctl_in_use(const char *path);
/* Answer one client of @listen_fd. */
void ctl_serve(struct daemon *d, int listen_fd);

#endif
