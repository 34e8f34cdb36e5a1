/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * Flow table key (map xvio_flows, value struct xvio_action): exact match on
 * ingress interface, VLAN tags and the 5-tuple. Types only.
 *
 * Rules the XDP program follows when it builds a key, which userspace must
 * follow when it writes one:
 *  - addresses are bytes in network order; IPv4 uses src[0..3], rest zero;
 *  - vlan_outer/vlan_inner are VLAN IDs (12 bits, host order), 0 when absent;
 *    a single 802.1Q tag is vlan_outer;
 *  - ports are the TCP/UDP ports in host order (so that `bpftool map dump`
 *    prints them as users wrote them), and 0 for every other
 *    protocol (ICMP, ICMPv6, ...) and for IPv4/IPv6 fragments other than the
 *    first, which carry no L4 header.
 */
#ifndef XVIO_FLOW_H
#define XVIO_FLOW_H

#include <linux/types.h>

/* struct xvio_flow_key.family */
#define XVIO_FAMILY_IPV4 4
#define XVIO_FAMILY_IPV6 6

struct xvio_flow_key {
	__u32 ifindex;		/* ingress interface */
	__u16 vlan_outer;
	__u16 vlan_inner;
	__u8 family;		/* XVIO_FAMILY_* */
	__u8 proto;		/* IPPROTO_* of the L4 header (after IPv6 extensions) */
	__u16 sport;
	__u16 dport;
	__u16 pad;		/* always 0 */
	__u8 src[16];
	__u8 dst[16];
};
_Static_assert(sizeof(struct xvio_flow_key) == 48, "xvio_flow_key layout");

/*
 * The one entry (key 0) of map xvio_cfg. The program looks the flow table up
 * only while @flows is non-zero: hashing a 48-byte key is most of its cost,
 * and the table is empty on most hosts. xvio-loader and xviod keep it: set
 * before the first flow goes in, cleared when the last one goes. A tool that
 * writes xvio_flows directly sets it too.
 */
struct xvio_cfg {
	__u32 flows;		/* non-zero: xvio_flows may hold entries */
	__u32 pad;		/* always 0 */
};
_Static_assert(sizeof(struct xvio_cfg) == 8, "xvio_cfg layout");

#endif
