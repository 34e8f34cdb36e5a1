/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the loader's files; not part of its API. */
#ifndef XVIO_LOADER_INTERNAL_H
#define XVIO_LOADER_INTERNAL_H

#include "loader.h"

#define XVIO_PROG_NAME "xvio_rx"
#define XVIO_MAP_NAMES "xvio_flows", "xvio_l2", "xvio_xsks", "xvio_devs", "xvio_stats", "xvio_cfg", "xvio_host", "xvio_room"

__attribute__((format(printf, 2, 3))) void loader_log(enum loader_level level,
						      const char *fmt, ...);
/* if_nametoindex() with a logged error; returns the index or -errno. */
int loader_ifindex(const char *ifname);

#endif
