/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * Counters of the XDP program: map xvio_stats, a PERCPU_ARRAY indexed by
 * enum xvio_stat whose value is struct xvio_stat_val (one per CPU; readers
 * sum them). Types only; names for printing are in XVIO_STAT_NAMES.
 */
#ifndef XVIO_STATS_H
#define XVIO_STATS_H

#include <linux/types.h>

/*
 * X-macro: (enum suffix, printed name, meaning). Every frame is counted once
 * in RX and once in exactly one of the verdict counters (ACT_* or ERR_*,
 * or MISS), so sum(verdicts) == RX. HIT_* count which table decided.
 */
#define XVIO_STATS(X)                                                              \
	X(RX, "rx", "frames seen by the program")                               \
	X(MISS, "miss_pass", "no table matched: passed to the host stack")      \
	X(HOST_REINJECT, "host_reinjected", "a flooded frame xviod handed back to the host stack (skb mode): passed") \
	X(ACT_XSK, "xsk", "redirected to a guest port's AF_XDP socket")         \
	X(ACT_XSK_NOSOCK, "xsk_nosock", "guest port has no socket on this queue: passed") \
	X(ACT_XSK_FULL, "xsk_full", "no room left in the socket's RX ring (xvio_room): dropped before the copy") \
	X(ACT_FLOOD, "flood", "redirected to the flood socket")                 \
	X(ACT_FLOOD_NOSOCK, "flood_nosock", "no flood socket on this queue: passed") \
	X(ACT_DROP, "drop", "dropped by a drop action")                         \
	X(ACT_PASS, "pass", "passed by a pass action")                          \
	X(ACT_DEV, "dev", "redirected out of another interface")                \
	X(ACT_DEV_NODEV, "dev_nodev", "target interface not in xvio_devs: passed") \
	X(ACT_BAD, "bad_action", "table entry with an unknown action or port: passed") \
	X(ERR_QUEUE, "err_queue", "rx queue index >= XVIO_MAX_QUEUES: passed")  \
	X(ERR_ETH, "err_eth", "truncated Ethernet header: passed")              \
	X(ERR_VLAN, "err_vlan", "truncated VLAN tag: passed")                   \
	X(ERR_VLAN_DEPTH, "err_vlan_depth", "more than two VLAN tags: passed")  \
	X(ERR_IPV4, "err_ipv4", "truncated IPv4 header or version not 4: passed") \
	X(ERR_IPV4_IHL, "err_ipv4_ihl", "IPv4 IHL < 5 or options past the frame: passed") \
	X(ERR_IPV6, "err_ipv6", "truncated IPv6 header or version not 6: passed") \
	X(ERR_IPV6_EXT, "err_ipv6_ext", "truncated IPv6 extension header: passed") \
	X(ERR_IPV6_DEPTH, "err_ipv6_depth", "IPv6 extension chain longer than the bound: passed") \
	X(ERR_TCP, "err_tcp", "truncated TCP header or data offset < 5: passed") \
	X(ERR_UDP, "err_udp", "truncated UDP header: passed")                   \
	X(ERR_ICMP, "err_icmp", "truncated ICMP header: passed")                \
	X(ERR_ICMPV6, "err_icmpv6", "truncated ICMPv6 header: passed")          \
	X(HIT_FLOW, "hit_flow", "frames decided by the flow table")             \
	X(HIT_L2, "hit_l2", "frames decided by the L2 table")

#define XVIO_STAT_ENUM(id, name, help) XVIO_STAT_##id,
enum xvio_stat {
	XVIO_STATS(XVIO_STAT_ENUM)
	XVIO_STAT_MAX,
};
#undef XVIO_STAT_ENUM

/* Value of xvio_stats (per CPU). */
struct xvio_stat_val {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct xvio_stat_val) == 16, "xvio_stat_val layout");

#endif
