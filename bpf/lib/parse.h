/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounds-checked header parsers for the XDP program. Each parse_<hdr>()
 * checks that the whole header lies before data_end before its first read,
 * advances the cursor, and returns the next protocol (>= 0) or a negated
 * enum xvio_stat reason (< 0). Loops (VLAN tags, IPv6 extension headers)
 * have constant bounds so the verifier can see them end.
 */
#ifndef XVIO_BPF_PARSE_H
#define XVIO_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xvio/flow.h>
#include <xvio/stats.h>

#define XVIO_VLAN_MAX 2		/* 802.1ad S-tag + 802.1Q C-tag */
#define XVIO_IPV6_EXT_MAX 8	/* extension headers walked before giving up */

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define XVIO_VLAN_VID_MASK 0x0fff
#define XVIO_IP_OFFSET 0x1fff	/* fragment offset bits of iph->frag_off */
#define XVIO_IP6_OFFSET 0xfff8	/* fragment offset bits of frag_hdr->frag_off */

/* ICMP and ICMPv6 share this fixed 8-octet header (RFC 792, RFC 4443 §2.1);
 * linux/icmp.h is avoided because it pulls in libc headers. */
struct icmp_hdr {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be32 rest;
};

struct cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/* Ethernet plus up to XVIO_VLAN_MAX tags; returns the ethertype (host order). */
static __always_inline int parse_eth(struct cursor *c, struct ethhdr **ethp,
				     struct xvio_flow_key *key)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return -XVIO_STAT_ERR_ETH;
	c->pos = eth + 1;
	*ethp = eth;
	proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < XVIO_VLAN_MAX; i++) {
		struct vlan_tag *tag = c->pos;
		__u16 vid;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			return proto;
		if ((void *)(tag + 1) > c->end)
			return -XVIO_STAT_ERR_VLAN;
		vid = bpf_ntohs(tag->tci) & XVIO_VLAN_VID_MASK;
		if (i == 0)
			key->vlan_outer = vid;
		else
			key->vlan_inner = vid;
		proto = bpf_ntohs(tag->proto);
		c->pos = tag + 1;
	}
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return -XVIO_STAT_ERR_VLAN_DEPTH;
	return proto;
}

/*
 * IPv4 with options. Returns the L4 protocol; *has_l4 is 0 for fragments
 * other than the first, which carry no L4 header.
 */
static __always_inline int parse_ipv4(struct cursor *c, struct xvio_flow_key *key, int *has_l4)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;

	if ((void *)(iph + 1) > c->end)
		return -XVIO_STAT_ERR_IPV4;
	if (iph->version != 4)
		return -XVIO_STAT_ERR_IPV4;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return -XVIO_STAT_ERR_IPV4_IHL;
	if (c->pos + hlen > c->end)
		return -XVIO_STAT_ERR_IPV4_IHL;
	c->pos += hlen;

	key->family = XVIO_FAMILY_IPV4;
	key->proto = iph->protocol;
	__builtin_memcpy(key->src, &iph->saddr, 4);
	__builtin_memcpy(key->dst, &iph->daddr, 4);
	/* Only the first fragment (offset 0) carries the L4 header. */
	*has_l4 = !(iph->frag_off & bpf_htons(XVIO_IP_OFFSET));
	return iph->protocol;
}

static __always_inline int ipv6_is_ext(__u8 nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
		return 1;
	}
	return 0;
}

/* IPv6 and a bounded walk over its extension headers; returns the L4 protocol. */
static __always_inline int parse_ipv6(struct cursor *c, struct xvio_flow_key *key, int *has_l4)
{
	struct ipv6hdr *ip6 = c->pos;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return -XVIO_STAT_ERR_IPV6;
	if (ip6->version != 6)
		return -XVIO_STAT_ERR_IPV6;
	c->pos = ip6 + 1;
	__builtin_memcpy(key->src, &ip6->saddr, sizeof(key->src));
	__builtin_memcpy(key->dst, &ip6->daddr, sizeof(key->dst));
	key->family = XVIO_FAMILY_IPV6;
	nh = ip6->nexthdr;
	*has_l4 = 1;

#pragma unroll
	for (i = 0; i < XVIO_IPV6_EXT_MAX; i++) {
		struct ip6_ext *ext = c->pos;
		struct ip6_frag *frag = c->pos;

		if (!ipv6_is_ext(nh))
			goto done;
		if (nh == IPPROTO_FRAGMENT) {
			if ((void *)(frag + 1) > c->end)
				return -XVIO_STAT_ERR_IPV6_EXT;
			if (frag->frag_off & bpf_htons(XVIO_IP6_OFFSET))
				*has_l4 = 0;
			nh = frag->nexthdr;
			c->pos = frag + 1;
			continue;
		}
		if ((void *)(ext + 1) > c->end)
			return -XVIO_STAT_ERR_IPV6_EXT;
		/* RFC 4302: AH length is in 4-octet units minus 2; the rest are
		 * 8-octet units not counting the first 8 octets (RFC 8200 §4). */
		if (nh == IPPROTO_AH)
			c->pos += ((__u32)ext->hdrlen + 2) * 4;
		else
			c->pos += ((__u32)ext->hdrlen + 1) * 8;
		nh = ext->nexthdr;
		if (c->pos > c->end)
			return -XVIO_STAT_ERR_IPV6_EXT;
	}
	if (ipv6_is_ext(nh))
		return -XVIO_STAT_ERR_IPV6_DEPTH;
done:
	key->proto = nh;
	return nh;
}

/* L4 header: fills the ports of TCP and UDP; checks ICMP/ICMPv6 are whole. */
static __always_inline int parse_l4(struct cursor *c, struct xvio_flow_key *key, int proto)
{
	switch (proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > c->end)
			return -XVIO_STAT_ERR_TCP;
		if (th->doff < 5 || c->pos + th->doff * 4 > c->end)
			return -XVIO_STAT_ERR_TCP;
		key->sport = bpf_ntohs(th->source);
		key->dport = bpf_ntohs(th->dest);
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = c->pos;

		if ((void *)(uh + 1) > c->end)
			return -XVIO_STAT_ERR_UDP;
		key->sport = bpf_ntohs(uh->source);
		key->dport = bpf_ntohs(uh->dest);
		return 0;
	}
	case IPPROTO_ICMP: {
		struct icmp_hdr *ih = c->pos;

		if ((void *)(ih + 1) > c->end)
			return -XVIO_STAT_ERR_ICMP;
		return 0;
	}
	case IPPROTO_ICMPV6: {
		struct icmp_hdr *ih6 = c->pos;

		if ((void *)(ih6 + 1) > c->end)
			return -XVIO_STAT_ERR_ICMPV6;
		return 0;
	}
	}
	return 0;
}

#endif
