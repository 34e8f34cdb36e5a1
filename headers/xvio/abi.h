/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * ABI version and limits shared by the XDP program (bpf/) and userspace.
 * Types only: no code. Bump XVIO_ABI_VERSION whenever any struct in
 * headers/xvio/ changes layout.
 */
#ifndef XVIO_ABI_H
#define XVIO_ABI_H

#include <linux/types.h>

#define XVIO_ABI_VERSION 4 /* 2: map xvio_cfg; 3: map xvio_host, stat host_reinjected;
			    * 4: map xvio_room, stat xsk_full */

/* Guest ports are numbered 1..XVIO_MAX_PORTS-1; port 0 is the flood port. */
#define XVIO_MAX_PORTS 64
/* NIC receive queues served per interface (rx_queue_index < this). */
#define XVIO_MAX_QUEUES 64

/* Table sizes (max_entries) of the maps in bpf/lib/maps.h. */
#define XVIO_FLOW_ENTRIES 65536
#define XVIO_L2_ENTRIES 4096
#define XVIO_DEV_ENTRIES 64

/* Directory under which each interface's maps are pinned: <root>/<ifname>/. */
#define XVIO_PIN_ROOT "/sys/fs/bpf/xvio"

#endif
