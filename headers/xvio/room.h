/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * Map xvio_room: an ARRAY (BPF_F_MMAPABLE, mmapped by xviod) of struct
 * xvio_room indexed by the socket slot of xvio/ports.h. Types only.
 *
 * An AF_XDP socket whose RX ring is full still costs the kernel a copy of
 * each frame into the UMEM before it finds no room and drops it; under a
 * flood that copy is most of the CPU's receive work, and when that CPU also
 * runs the poller (a NIC's IRQ on the poller's core) the poller starves and
 * delivers nothing. So the program keeps its own account: it counts the
 * RX ring entries the frames it redirects to a socket take (@admitted: one
 * per XVIO_RX_FRAME_DATA bytes, so a jumbo frame counts the several UMEM
 * frames it fills) and drops, before any copy, once the next frame's would
 * pass @limit (counted xsk_full). Each time xviod looks at the ring it sets
 *     limit = admitted (as read) + free entries in the RX ring
 * so the program admits no more than the ring can hold until xviod looks
 * again: a starved poller means cheap drops, never a full ring. A frame the
 * kernel drops after the program (no fill buffer) only makes the estimate
 * short until the next look (xviod looks again at least every 64th empty
 * round): nothing accumulates.
 * @limit 0 means no limit (a new socket, or xviod gone): the kernel's own
 * full-ring check is all there is. The program counts without atomics: a
 * count lost to two CPUs receiving on one queue at once (skb mode) lets one
 * more frame on to the kernel's own check, nothing worse.
 */
#ifndef XVIO_ROOM_H
#define XVIO_ROOM_H

#include <linux/types.h>

/* Bytes of a frame one RX descriptor holds: a 4096-byte UMEM frame less the
 * kernel's 256 bytes of headroom (copy mode). */
#define XVIO_RX_FRAME_DATA 3840

struct xvio_room {
	__u64 admitted;		/* RX entries redirected frames take (the program) */
	__u64 limit;		/* no more while admitted >= limit (xviod); 0: none */
	__u64 pad[6];		/* a cache line per socket */
};
_Static_assert(sizeof(struct xvio_room) == 64, "xvio_room layout");

#endif
