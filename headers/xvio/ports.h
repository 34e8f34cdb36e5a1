/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * AF_XDP socket slots (map xvio_xsks, an XSKMAP) and devmap entries
 * (map xvio_devs, a DEVMAP_HASH keyed by ifindex). Types and constants only.
 *
 * A guest port has one socket per NIC receive queue, so the slot is chosen
 * from the port and the frame's rx_queue_index:
 *     slot = port * XVIO_MAX_QUEUES + rx_queue_index
 * Port XVIO_PORT_FLOOD (0) is the socket that receives broadcast, multicast
 * and explicit flood actions.
 */
#ifndef XVIO_PORTS_H
#define XVIO_PORTS_H

#include <linux/types.h>
#include "abi.h"

#define XVIO_PORT_FLOOD 0
#define XVIO_XSK_SLOTS (XVIO_MAX_PORTS * XVIO_MAX_QUEUES)

#define XVIO_XSK_SLOT(port, queue) ((__u32)(port) * XVIO_MAX_QUEUES + (__u32)(queue))

#endif
