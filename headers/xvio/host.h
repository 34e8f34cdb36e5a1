/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * The one entry (key 0) of map xvio_host: how the program recognizes frames
 * xviod hands back to the host stack. Types only.
 *
 * XDP cannot both redirect a frame and pass it, so xviod gives the host its
 * copy of a flooded frame by running a program on it with BPF_PROG_RUN in
 * live-frames mode. The kernel turns that copy into an skb, and in skb
 * (generic) mode the skb meets the generic XDP hook of the same device
 * again, where xvio_rx would flood it once more: a loop. So xviod puts
 * @cookie, a random number it chose, in the 8 bytes of XDP metadata in
 * front of each such frame; they stay in the skb's headroom, right before
 * the Ethernet header, where the program reads them (bpf_xdp_adjust_head)
 * and passes the frame. @cookie is 0 (no check; the map lookup remains)
 * unless xviod serves the interface in skb mode with host=on.
 */
#ifndef XVIO_HOST_H
#define XVIO_HOST_H

#include <linux/types.h>

struct xvio_host {
	__u64 cookie;		/* 0: nothing is re-injected into generic XDP */
};
_Static_assert(sizeof(struct xvio_host) == 8, "xvio_host layout");

#endif
