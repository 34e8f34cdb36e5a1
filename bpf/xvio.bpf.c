// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xvio_rx: the XDP program on every NIC xvio serves.
 *
 * re-injected by xviod (skb mode only, see xvio/host.h) = XDP_PASS ->
 * parse (eth, up to two VLAN tags; IPv4/IPv6, TCP/UDP/ICMP only while
 * xvio_cfg says there are flows) -> flow table (exact 5-tuple + ingress +
 * VLANs) -> L2 table (dst MAC, outer VLAN) ->
 * broadcast/multicast flood -> miss = XDP_PASS. Frames that cannot be parsed
 * are counted and passed; nothing is dropped unless a rule says so or the
 * target socket's RX ring has no room (xvio_room).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

/*
 * libxdp run config: when the multiprog dispatcher is available, run early
 * and let the next program see what we pass.
 */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xvio_rx);

/* Redirect into an AF_XDP socket slot; an empty slot falls back to XDP_PASS.
 * A socket with no room left in its RX ring (xvio/room.h) loses the frame
 * here, before the kernel copies it only to find the ring full. */
static __always_inline int to_xsk(struct xdp_md *ctx, __u32 port, __u32 ok, __u32 nosock)
{
	__u32 queue = ctx->rx_queue_index, slot;
	struct xvio_room *room;
	long ret;

	if (queue >= XVIO_MAX_QUEUES) {
		stat_add(ctx, XVIO_STAT_ERR_QUEUE);
		return XDP_PASS;
	}
	slot = XVIO_XSK_SLOT(port, queue);
	ret = bpf_redirect_map(&xvio_xsks, slot, XDP_PASS);
	room = ret == XDP_REDIRECT ? bpf_map_lookup_elem(&xvio_room, &slot) : NULL;
	if (room && room->limit) {
		/* the RX entries it takes: several for a jumbo frame */
		__u32 len = (__u32)bpf_xdp_get_buff_len(ctx);
		__u32 need = len <= XVIO_RX_FRAME_DATA ? 1 :
			     (len + XVIO_RX_FRAME_DATA - 1) / XVIO_RX_FRAME_DATA;

		if (room->admitted + need > room->limit) {
			stat_add(ctx, XVIO_STAT_ACT_XSK_FULL);
			return XDP_DROP;
		}
		/* No atomic: a queue's receive work runs on one CPU at a time
		 * in native mode; a count lost in skb mode lets one more frame
		 * through to the kernel's own full-ring check, nothing worse. */
		room->admitted += need;
	}
	stat_add(ctx, ret == XDP_REDIRECT ? ok : nosock);
	return ret;
}

static __always_inline int do_action(struct xdp_md *ctx, const struct xvio_action *act)
{
	__u32 port = act->port;
	long ret;

	switch (act->kind) {
	case XVIO_ACT_XSK:
		if (port == XVIO_PORT_FLOOD || port >= XVIO_MAX_PORTS)
			break;
		return to_xsk(ctx, port, XVIO_STAT_ACT_XSK, XVIO_STAT_ACT_XSK_NOSOCK);
	case XVIO_ACT_FLOOD:
		return to_xsk(ctx, XVIO_PORT_FLOOD, XVIO_STAT_ACT_FLOOD,
			      XVIO_STAT_ACT_FLOOD_NOSOCK);
	case XVIO_ACT_DROP:
		stat_add(ctx, XVIO_STAT_ACT_DROP);
		return XDP_DROP;
	case XVIO_ACT_PASS:
		stat_add(ctx, XVIO_STAT_ACT_PASS);
		return XDP_PASS;
	case XVIO_ACT_DEV:
		ret = bpf_redirect_map(&xvio_devs, port, XDP_PASS);
		stat_add(ctx, ret == XDP_REDIRECT ? XVIO_STAT_ACT_DEV : XVIO_STAT_ACT_DEV_NODEV);
		return ret;
	}
	stat_add(ctx, XVIO_STAT_ACT_BAD);
	return XDP_PASS;
}

/* Does the frame carry @cookie in the 8 bytes before its Ethernet header?
 * There xviod's metadata ends up when it hands a frame to the host stack
 * and generic XDP sees it again (xvio/host.h). */
static __always_inline int reinjected(struct xdp_md *ctx, __u64 cookie)
{
	__u64 *mark;
	int hit;

	/* Moving data back by 8 must be undone: only with a full header. */
	if ((void *)(long)ctx->data + ETH_HLEN > (void *)(long)ctx->data_end)
		return 0;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*mark)))
		return 0;
	mark = (void *)(long)ctx->data;
	hit = (void *)(mark + 1) <= (void *)(long)ctx->data_end && *mark == cookie;
	bpf_xdp_adjust_head(ctx, (int)sizeof(*mark));
	return hit;
}

SEC("xdp.frags")
int xvio_rx(struct xdp_md *ctx)
{
	struct cursor c;
	struct xvio_flow_key key = {};
	struct xvio_l2_key l2 = {};
	struct xvio_action *act;
	struct xvio_host *host;
	struct xvio_cfg *cfg;
	__u32 zero = 0;
	struct ethhdr *eth;
	int proto, has_l4 = 0, err;

	stat_add(ctx, XVIO_STAT_RX);

	/* Before any table: a flow may flood unicast frames too. */
	host = bpf_map_lookup_elem(&xvio_host, &zero);
	if (host && host->cookie && reinjected(ctx, host->cookie)) {
		stat_add(ctx, XVIO_STAT_HOST_REINJECT);
		return XDP_PASS;
	}

	c.pos = (void *)(long)ctx->data;
	c.end = (void *)(long)ctx->data_end;
	proto = parse_eth(&c, &eth, &key);
	if (proto < 0)
		goto parse_err;

	/* L3 and L4 are parsed for the flow table only, and it is looked up
	 * only while xvio_cfg says it may hold entries: hashing its 48-byte
	 * key was most of this program's time, and most hosts have no flows.
	 * Without flows a frame goes by its MAC, as in any L2 switch. */
	cfg = bpf_map_lookup_elem(&xvio_cfg, &zero);
	if ((proto == ETH_P_IP || proto == ETH_P_IPV6) && cfg && cfg->flows) {
		if (proto == ETH_P_IP)
			proto = parse_ipv4(&c, &key, &has_l4);
		else
			proto = parse_ipv6(&c, &key, &has_l4);
		if (proto < 0)
			goto parse_err;
		if (has_l4) {
			err = parse_l4(&c, &key, proto);
			if (err < 0) {
				proto = err;
				goto parse_err;
			}
		}
		key.ifindex = ctx->ingress_ifindex;
		act = bpf_map_lookup_elem(&xvio_flows, &key);
		if (act) {
			stat_add(ctx, XVIO_STAT_HIT_FLOW);
			return do_action(ctx, act);
		}
	}

	__builtin_memcpy(l2.mac, eth->h_dest, sizeof(l2.mac));
	l2.vlan = key.vlan_outer;
	act = bpf_map_lookup_elem(&xvio_l2, &l2);
	if (act) {
		stat_add(ctx, XVIO_STAT_HIT_L2);
		return do_action(ctx, act);
	}

	/* Group bit: broadcast and multicast go to every guest (flood port). */
	if (eth->h_dest[0] & 1)
		return to_xsk(ctx, XVIO_PORT_FLOOD, XVIO_STAT_ACT_FLOOD,
			      XVIO_STAT_ACT_FLOOD_NOSOCK);

	stat_add(ctx, XVIO_STAT_MISS);
	return XDP_PASS;

parse_err:
	stat_add(ctx, -proto);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
