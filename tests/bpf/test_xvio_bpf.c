// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BPF tests of xvio_rx: crafted frames run through bpf_prog_test_run_opts()
 * on the skeleton (maps unpinned), one fixture per protocol path, action and
 * malformed header. Each fixture checks the verdict and the counters: RX and
 * exactly one verdict counter move by one, the others not at all, and the
 * table that decided (HIT_FLOW/HIT_L2) moves when one should.
 *
 * Usage: test_xvio_bpf IFNAME   where IFNAME has >= 4 rx queues (the runner
 * creates a dummy device in a private network namespace). AF_XDP sockets are
 * bound to it in copy mode so that XSKMAP slots are really filled.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include "xvio_xdp.skel.h"
#include "../lib/pkt.h"
#include "../lib/test.h"
#include <xvio/abi.h>
#include <xvio/action.h>
#include <xvio/flow.h>
#include <xvio/host.h>
#include <xvio/room.h>
#include <xvio/l2.h>
#include <xvio/ports.h>
#include <xvio/stats.h>

TEST_GLOBALS("bpf");

static struct xvio_xdp *skel;
static int prog_fd, ifindex, ncpus;

static const uint8_t MAC_SRC[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
static const uint8_t MAC_HOST[6] = { 0x02, 0xbb, 0, 0, 0, 1 }; /* in no table */
static const uint8_t MAC_G1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_G2[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t MAC_DROP[6] = { 0x02, 0, 0, 0, 0, 0x03 };
static const uint8_t MAC_PASS[6] = { 0x02, 0, 0, 0, 0, 0x04 };
static const uint8_t MAC_DEV[6] = { 0x02, 0, 0, 0, 0, 0x05 };
static const uint8_t MAC_NODEV[6] = { 0x02, 0, 0, 0, 0, 0x06 };
static const uint8_t MAC_BADACT[6] = { 0x02, 0, 0, 0, 0, 0x07 };
static const uint8_t MAC_BADPORT[6] = { 0x02, 0, 0, 0, 0, 0x08 };
static const uint8_t MAC_FLOODACT[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST6[6] = { 0x33, 0x33, 0xff, 0, 0, 0x01 };

#define IP_A 0xc6120001u /* 198.18.0.1 */
#define IP_B 0xc6120002u
#define IP_C 0xc6120003u
static const uint8_t IP6_A[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t IP6_B[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

/* ---- fixture frames ---------------------------------------------------------- */

static void eth_ip4(struct pkt *p, const uint8_t *dst, uint8_t proto)
{
	pkt_init(p);
	pkt_eth(p, dst, MAC_SRC, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_B), proto, 0, 0);
}

static void eth_ip6(struct pkt *p, const uint8_t *dst, uint8_t nh)
{
	pkt_init(p);
	pkt_eth(p, dst, MAC_SRC, 0x86dd);
	pkt_ipv6(p, IP6_A, IP6_B, nh);
}

/* B -> A: matches no flow rule (the rules are all A -> B). */
static void eth_ip6_ba(struct pkt *p, const uint8_t *dst, uint8_t nh)
{
	pkt_init(p);
	pkt_eth(p, dst, MAC_SRC, 0x86dd);
	pkt_ipv6(p, IP6_B, IP6_A, nh);
}

#define UDP4(dst, sp, dp)                                  \
	do {                                               \
		eth_ip4(p, dst, 17);                       \
		pkt_udp(p, sp, dp);                        \
		pkt_zeros(p, 18);                          \
		pkt_finish(p);                             \
	} while (0)

static void f_udp4_miss(struct pkt *p) { UDP4(MAC_HOST, 1000, 5001); }
static void f_tcp4_miss(struct pkt *p)
{
	eth_ip4(p, MAC_HOST, 6);
	pkt_tcp(p, 1000, 80, 5);
	pkt_finish(p);
}
static void f_icmp4_miss(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_HOST, MAC_SRC, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_C), 1, 0, 0);
	pkt_icmp(p, 8, 0);
	pkt_finish(p);
}
static void f_udp6_miss(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 17);
	pkt_udp(p, 1000, 5001);
	pkt_zeros(p, 10);
	pkt_finish(p);
}
static void f_tcp6_miss(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 6);
	pkt_tcp(p, 1000, 81, 6);
	pkt_finish(p);
}
static void f_icmp6_miss(struct pkt *p)
{
	eth_ip6_ba(p, MAC_HOST, 58);
	pkt_icmp(p, 128, 0);
	pkt_finish(p);
}
static void f_arp_miss(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_HOST, MAC_SRC, 0x0806);
	pkt_zeros(p, 28);
}
static void f_l2_g1(struct pkt *p) { UDP4(MAC_G1, 1, 2); }
static void f_l2_g2(struct pkt *p) { UDP4(MAC_G2, 1, 2); }
static void f_l2_drop(struct pkt *p) { UDP4(MAC_DROP, 1, 2); }
static void f_l2_pass(struct pkt *p) { UDP4(MAC_PASS, 1, 2); }
static void f_l2_dev(struct pkt *p) { UDP4(MAC_DEV, 1, 2); }
static void f_l2_nodev(struct pkt *p) { UDP4(MAC_NODEV, 1, 2); }
static void f_l2_badact(struct pkt *p) { UDP4(MAC_BADACT, 1, 2); }
static void f_l2_badport(struct pkt *p) { UDP4(MAC_BADPORT, 1, 2); }
static void f_l2_floodact(struct pkt *p) { UDP4(MAC_FLOODACT, 1, 2); }
static void f_l2_arp_g1(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_G1, MAC_SRC, 0x0806);
	pkt_zeros(p, 28);
}
static void f_vlan10_g1(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_G2, MAC_SRC, 0x8100);
	pkt_vlan(p, 10, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_C), 17, 0, 0);
	pkt_udp(p, 7, 7);
	pkt_finish(p);
}
static void f_vlan11_miss(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_G2, MAC_SRC, 0x8100);
	pkt_vlan(p, 11, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_C), 17, 0, 0);
	pkt_udp(p, 7, 7);
	pkt_finish(p);
}
static void f_qinq_g1(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_G2, MAC_SRC, 0x88a8);
	pkt_vlan(p, 100, 0x8100);
	pkt_vlan(p, 7, 0x86dd);
	pkt_ipv6(p, IP6_A, IP6_B, 17);
	pkt_udp(p, 9, 9);
	pkt_finish(p);
}
static void f_bcast_arp(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_BCAST, MAC_SRC, 0x0806);
	pkt_zeros(p, 28);
}
static void f_mcast_nd(struct pkt *p)
{
	eth_ip6_ba(p, MAC_MCAST6, 58);
	pkt_icmp(p, 135, 0);
	pkt_zeros(p, 16);
	pkt_finish(p);
}
/* Flow table: the rule for this 5-tuple drops, though MAC_G1 would go to port 1. */
static void f_flow_udp4(struct pkt *p) { UDP4(MAC_G1, 1000, 5000); }
static void f_flow_udp4_sport(struct pkt *p) { UDP4(MAC_HOST, 1001, 5000); }
static void f_flow_tcp6(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 6);
	pkt_tcp(p, 80, 8080, 5);
	pkt_finish(p);
}
static void f_flow_icmp4(struct pkt *p)
{
	eth_ip4(p, MAC_HOST, 1);
	pkt_icmp(p, 8, 0);
	pkt_finish(p);
}
static void f_flow_icmp6(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 58);
	pkt_icmp(p, 129, 0);
	pkt_finish(p);
}
static void f_flow_qinq(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_HOST, MAC_SRC, 0x88a8);
	pkt_vlan(p, 100, 0x8100);
	pkt_vlan(p, 200, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_B), 17, 0, 0);
	pkt_udp(p, 1000, 5000);
	pkt_finish(p);
}
static void f_flow_opts(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_HOST, MAC_SRC, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_B), 17, 3, 0);
	pkt_udp(p, 1000, 5000);
	pkt_finish(p);
}
static void f_frag4_first(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_HOST, MAC_SRC, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_B), 17, 0, 0x2000 /* MF, offset 0 */);
	pkt_udp(p, 1000, 5000);
	pkt_zeros(p, 16);
	pkt_finish(p);
}
/* Offset 185*8: no UDP header, only payload bytes; must match the port-0 rule. */
static void f_frag4_later(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_HOST, MAC_SRC, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_B), 17, 0, 185);
	pkt_zeros(p, 3);
	pkt_finish(p);
}
static void f_ip6_ext_udp(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 0);
	pkt_ipv6_ext(p, 0, 60, 8, 0);   /* hop-by-hop */
	pkt_ipv6_ext(p, 60, 43, 16, 0); /* destination options, 16 bytes */
	pkt_ipv6_ext(p, 43, 51, 24, 0); /* routing */
	pkt_ipv6_ext(p, 51, 17, 12, 0); /* AH: 4-octet units */
	pkt_udp(p, 1000, 5000);
	pkt_finish(p);
}
static void f_ip6_frag_first(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 44);
	pkt_ipv6_ext(p, 44, 17, 8, 0x0001 /* M flag */);
	pkt_udp(p, 1000, 5000);
	pkt_finish(p);
}
static void f_ip6_frag_later(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 44);
	pkt_ipv6_ext(p, 44, 17, 8, 0x0100);
	pkt_zeros(p, 2);
	pkt_finish(p);
}
static void ip6_chain(struct pkt *p, int n)
{
	int i;

	eth_ip6(p, MAC_HOST, 60);
	for (i = 0; i < n; i++)
		pkt_ipv6_ext(p, 60, i + 1 < n ? 60 : 17, 8, 0);
	pkt_udp(p, 1000, 5000);
	pkt_finish(p);
}
static void f_ip6_chain8(struct pkt *p) { ip6_chain(p, 8); }
static void f_ip6_chain9(struct pkt *p) { ip6_chain(p, 9); }

/* ---- malformed frames ----------------------------------------------------------- */
static void f_eth_trunc(struct pkt *p)
{
	f_udp4_miss(p);
	p->len = 10;
}
static void f_eth_only(struct pkt *p)
{
	f_udp4_miss(p);
	p->len = 14; /* ethertype IPv4, no IPv4 header at all */
}
static void f_vlan_trunc(struct pkt *p)
{
	f_vlan10_g1(p);
	p->len = 16;
}
static void f_qinq_trunc(struct pkt *p)
{
	f_qinq_g1(p);
	p->len = 20;
}
static void f_vlan3(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_G1, MAC_SRC, 0x88a8);
	pkt_vlan(p, 1, 0x8100);
	pkt_vlan(p, 2, 0x8100);
	pkt_vlan(p, 3, 0x0800);
	pkt_ipv4(p, htonl(IP_A), htonl(IP_B), 17, 0, 0);
	pkt_udp(p, 1, 1);
	pkt_finish(p);
}
static void f_ip4_trunc(struct pkt *p)
{
	f_udp4_miss(p);
	p->len = 14 + 10;
}
static void f_vlan_ip4_trunc(struct pkt *p)
{
	f_vlan10_g1(p);
	p->len = 18 + 19;
}
static void f_ip4_version(struct pkt *p)
{
	f_udp4_miss(p);
	p->buf[14] = 0x65;
}
static void f_ip4_ihl_small(struct pkt *p)
{
	f_udp4_miss(p);
	p->buf[14] = 0x43;
}
static void f_g1_ihl_small(struct pkt *p)
{
	f_flow_udp4(p);
	p->buf[14] = 0x43;
}
static void f_ip4_ihl_past(struct pkt *p)
{
	eth_ip4(p, MAC_HOST, 17);
	p->buf[14] = 0x4f; /* 60-byte header in a 34-byte frame */
}
static void f_ip6_trunc(struct pkt *p)
{
	f_udp6_miss(p);
	p->len = 14 + 39;
}
static void f_ip6_version(struct pkt *p)
{
	f_udp6_miss(p);
	p->buf[14] = 0x40;
}
static void f_ip6_ext_trunc(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 0);
	pkt_ipv6_ext(p, 0, 17, 24, 0);
	p->len -= 8; /* header says 24 bytes, 16 present */
}
static void f_ip6_ext_hdr_trunc(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 0);
	pkt_zeros(p, 1); /* not even the 2-byte next/len pair */
}
static void f_ip6_frag_trunc(struct pkt *p)
{
	eth_ip6(p, MAC_HOST, 44);
	pkt_zeros(p, 6);
}
static void f_tcp_trunc(struct pkt *p)
{
	f_tcp4_miss(p);
	p->len -= 8;
}
static void f_tcp_doff_small(struct pkt *p)
{
	f_tcp4_miss(p);
	p->buf[14 + 20 + 12] = 4 << 4;
}
static void f_tcp_doff_past(struct pkt *p)
{
	f_tcp4_miss(p);
	p->buf[14 + 20 + 12] = 15 << 4;
}
static void f_tcp6_trunc(struct pkt *p)
{
	f_tcp6_miss(p);
	p->len = 14 + 40 + 19;
}
static void f_udp_trunc(struct pkt *p)
{
	f_udp4_miss(p);
	p->len = 14 + 20 + 7;
}
static void f_udp6_trunc(struct pkt *p)
{
	f_udp6_miss(p);
	p->len = 14 + 40 + 4;
}
static void f_icmp_trunc(struct pkt *p)
{
	f_icmp4_miss(p);
	p->len = 14 + 20 + 3;
}
static void f_icmp6_trunc(struct pkt *p)
{
	f_icmp6_miss(p);
	p->len = 14 + 40 + 7;
}

/* ---- table state every fixture runs against -------------------------------------- */

static int xsk_fds[3];
static struct xsk_socket *xsks[3];
static struct xsk_umem *umems[3];
static void *umem_areas[3];

static int make_xsk(int i, const char *ifname, __u32 queue)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	size_t size = 64 * XSK_UMEM__DEFAULT_FRAME_SIZE;
	int err;

	umem_areas[i] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			     0);
	if (umem_areas[i] == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&umems[i], umem_areas[i], size, &fq, &cq, NULL);
	if (err)
		return err;
	err = xsk_socket__create(&xsks[i], ifname, queue, umems[i], &rx, &tx, &cfg);
	if (err)
		return err;
	xsk_fds[i] = xsk_socket__fd(xsks[i]);
	return 0;
}

static int l2_put(const uint8_t *mac, __u16 vlan, __u32 kind, __u32 port)
{
	struct xvio_l2_key k = { .vlan = vlan };
	struct xvio_action a = { .kind = kind, .port = port };

	memcpy(k.mac, mac, 6);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_l2), &k, &a, BPF_ANY);
}

/* xvio_cfg.flows: the program looks the flow table up only when set. */
static int set_cfg_flows(__u32 on)
{
	struct xvio_cfg c = { .flows = on };
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_cfg), &zero, &c, BPF_ANY);
}

/* As any tool that writes the flow table directly: set the flag too. */
static int flow_put(struct xvio_flow_key k, __u32 kind, __u32 port)
{
	struct xvio_action a = { .kind = kind, .port = port };

	k.ifindex = (__u32)ifindex;
	return set_cfg_flows(1) ||
	       bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_flows), &k, &a, BPF_ANY);
}

static struct xvio_flow_key k4(__u8 proto, __u16 sp, __u16 dp)
{
	struct xvio_flow_key k = { .family = XVIO_FAMILY_IPV4, .proto = proto };
	__u32 a = htonl(IP_A), b = htonl(IP_B);

	memcpy(k.src, &a, 4);
	memcpy(k.dst, &b, 4);
	k.sport = sp;
	k.dport = dp;
	return k;
}

static struct xvio_flow_key k6(__u8 proto, __u16 sp, __u16 dp)
{
	struct xvio_flow_key k = { .family = XVIO_FAMILY_IPV6, .proto = proto };

	memcpy(k.src, IP6_A, 16);
	memcpy(k.dst, IP6_B, 16);
	k.sport = sp;
	k.dport = dp;
	return k;
}

static int setup_tables(const char *ifname)
{
	struct bpf_devmap_val dv = { .ifindex = (__u32)ifindex, .bpf_prog.fd = -1 };
	struct xvio_flow_key q;
	__u32 key, slot;
	int err = 0;

	err |= l2_put(MAC_G1, 0, XVIO_ACT_XSK, 1);
	err |= l2_put(MAC_G2, 0, XVIO_ACT_XSK, 2);
	err |= l2_put(MAC_G2, 10, XVIO_ACT_XSK, 1);
	err |= l2_put(MAC_G2, 100, XVIO_ACT_XSK, 1);
	err |= l2_put(MAC_DROP, 0, XVIO_ACT_DROP, 0);
	err |= l2_put(MAC_PASS, 0, XVIO_ACT_PASS, 0);
	err |= l2_put(MAC_DEV, 0, XVIO_ACT_DEV, (__u32)ifindex);
	err |= l2_put(MAC_NODEV, 0, XVIO_ACT_DEV, 99999);
	err |= l2_put(MAC_BADACT, 0, 77, 0);
	err |= l2_put(MAC_BADPORT, 0, XVIO_ACT_XSK, XVIO_PORT_FLOOD);
	err |= l2_put(MAC_FLOODACT, 0, XVIO_ACT_FLOOD, 0);

	err |= flow_put(k4(17, 1000, 5000), XVIO_ACT_DROP, 0);
	err |= flow_put(k4(17, 0, 0), XVIO_ACT_PASS, 0); /* later fragments */
	err |= flow_put(k4(1, 0, 0), XVIO_ACT_DROP, 0);
	err |= flow_put(k6(6, 80, 8080), XVIO_ACT_DROP, 0);
	err |= flow_put(k6(58, 0, 0), XVIO_ACT_XSK, 1);
	err |= flow_put(k6(17, 1000, 5000), XVIO_ACT_DROP, 0);
	err |= flow_put(k6(17, 0, 0), XVIO_ACT_PASS, 0);
	q = k4(17, 1000, 5000);
	q.vlan_outer = 100;
	q.vlan_inner = 200;
	err |= flow_put(q, XVIO_ACT_XSK, 1);
	if (err)
		return -errno;

	key = (__u32)ifindex;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_devs), &key, &dv, BPF_ANY))
		return -errno;

	/* Real sockets: port 1 on queues 0 and 3, the flood port on queue 2 (one
	 * UMEM per queue: sockets sharing a queue would need a shared UMEM). */
	err = make_xsk(0, ifname, 0);
	if (!err)
		err = make_xsk(1, ifname, 3);
	if (!err)
		err = make_xsk(2, ifname, 2);
	if (err)
		return err;
	slot = XVIO_XSK_SLOT(1, 0);
	err |= bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_xsks), &slot, &xsk_fds[0], 0);
	slot = XVIO_XSK_SLOT(1, 3);
	err |= bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_xsks), &slot, &xsk_fds[1], 0);
	slot = XVIO_XSK_SLOT(XVIO_PORT_FLOOD, 2);
	err |= bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_xsks), &slot, &xsk_fds[2], 0);
	return err ? -errno : 0;
}

static void read_stats(struct xvio_stat_val *out)
{
	struct xvio_stat_val pc[256];
	__u32 i;
	int c;

	for (i = 0; i < XVIO_STAT_MAX; i++) {
		out[i].packets = out[i].bytes = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvio_stats), &i, pc))
			continue;
		for (c = 0; c < ncpus; c++) {
			out[i].packets += pc[c].packets;
			out[i].bytes += pc[c].bytes;
		}
	}
}

/* ---- the table ------------------------------------------------------------------- */

#define NONE (-1)
struct fixture {
	const char *name;
	void (*build)(struct pkt *p);
	__u32 queue;
	int lo;		/* ingress on lo instead of the test device */
	int retval;	/* XDP_* */
	int verdict;	/* enum xvio_stat */
	int hit;	/* XVIO_STAT_HIT_* or NONE */
};

static const struct fixture fixtures[] = {
	/* protocol paths, no table entry: pass to the host */
	{ "udp4_miss", f_udp4_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "tcp4_miss", f_tcp4_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "icmp4_miss", f_icmp4_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "udp6_miss", f_udp6_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "tcp6_miss", f_tcp6_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "icmp6_miss", f_icmp6_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "arp_miss", f_arp_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	/* L2 table and every action */
	{ "l2_xsk_q0", f_l2_g1, 0, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 },
	{ "l2_xsk_q3", f_l2_g1, 3, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 },
	{ "l2_xsk_q1_nosock", f_l2_g1, 1, 0, XDP_PASS, XVIO_STAT_ACT_XSK_NOSOCK, XVIO_STAT_HIT_L2 },
	{ "l2_xsk_port2_nosock", f_l2_g2, 0, 0, XDP_PASS, XVIO_STAT_ACT_XSK_NOSOCK,
	  XVIO_STAT_HIT_L2 },
	{ "l2_arp_to_guest", f_l2_arp_g1, 0, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 },
	{ "l2_drop", f_l2_drop, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP, XVIO_STAT_HIT_L2 },
	{ "l2_pass", f_l2_pass, 0, 0, XDP_PASS, XVIO_STAT_ACT_PASS, XVIO_STAT_HIT_L2 },
	{ "l2_devmap", f_l2_dev, 0, 0, XDP_REDIRECT, XVIO_STAT_ACT_DEV, XVIO_STAT_HIT_L2 },
	{ "l2_devmap_missing", f_l2_nodev, 0, 0, XDP_PASS, XVIO_STAT_ACT_DEV_NODEV,
	  XVIO_STAT_HIT_L2 },
	{ "l2_bad_action", f_l2_badact, 0, 0, XDP_PASS, XVIO_STAT_ACT_BAD, XVIO_STAT_HIT_L2 },
	{ "l2_bad_port", f_l2_badport, 0, 0, XDP_PASS, XVIO_STAT_ACT_BAD, XVIO_STAT_HIT_L2 },
	{ "l2_flood_action", f_l2_floodact, 2, 0, XDP_REDIRECT, XVIO_STAT_ACT_FLOOD,
	  XVIO_STAT_HIT_L2 },
	{ "l2_vlan10", f_vlan10_g1, 3, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 },
	{ "l2_vlan11_miss", f_vlan11_miss, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "l2_qinq_outer100", f_qinq_g1, 0, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 },
	{ "bcast_flood", f_bcast_arp, 2, 0, XDP_REDIRECT, XVIO_STAT_ACT_FLOOD, NONE },
	{ "bcast_flood_nosock", f_bcast_arp, 1, 0, XDP_PASS, XVIO_STAT_ACT_FLOOD_NOSOCK, NONE },
	{ "mcast6_flood", f_mcast_nd, 2, 0, XDP_REDIRECT, XVIO_STAT_ACT_FLOOD, NONE },
	/* flow table: wins over L2; exact on ingress, VLANs and 5-tuple */
	{ "flow_udp4_over_l2", f_flow_udp4, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_udp4_other_ingress", f_flow_udp4, 0, 1, XDP_REDIRECT, XVIO_STAT_ACT_XSK,
	  XVIO_STAT_HIT_L2 },
	{ "flow_udp4_sport_miss", f_flow_udp4_sport, 0, 0, XDP_PASS, XVIO_STAT_MISS, NONE },
	{ "flow_tcp6", f_flow_tcp6, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP, XVIO_STAT_HIT_FLOW },
	{ "flow_icmp4", f_flow_icmp4, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP, XVIO_STAT_HIT_FLOW },
	{ "flow_icmp6_to_xsk", f_flow_icmp6, 3, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_qinq", f_flow_qinq, 0, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_FLOW },
	{ "flow_ipv4_options", f_flow_opts, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_ipv4_first_frag", f_frag4_first, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_ipv4_later_frag", f_frag4_later, 0, 0, XDP_PASS, XVIO_STAT_ACT_PASS,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_ipv6_ext_chain", f_ip6_ext_udp, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_ipv6_first_frag", f_ip6_frag_first, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_ipv6_later_frag", f_ip6_frag_later, 0, 0, XDP_PASS, XVIO_STAT_ACT_PASS,
	  XVIO_STAT_HIT_FLOW },
	{ "flow_ipv6_8_ext", f_ip6_chain8, 0, 0, XDP_DROP, XVIO_STAT_ACT_DROP, XVIO_STAT_HIT_FLOW },
	/* malformed: counted, passed, never dropped */
	{ "err_ipv6_9_ext", f_ip6_chain9, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV6_DEPTH, NONE },
	{ "err_eth_truncated", f_eth_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_ETH, NONE },
	{ "err_ipv4_missing", f_eth_only, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV4, NONE },
	{ "err_vlan_truncated", f_vlan_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_VLAN, NONE },
	{ "err_qinq_truncated", f_qinq_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_VLAN, NONE },
	{ "err_three_vlans", f_vlan3, 0, 0, XDP_PASS, XVIO_STAT_ERR_VLAN_DEPTH, NONE },
	{ "err_ipv4_truncated", f_ip4_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV4, NONE },
	{ "err_vlan_ipv4_truncated", f_vlan_ip4_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV4, NONE },
	{ "err_ipv4_version", f_ip4_version, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV4, NONE },
	{ "err_ipv4_ihl_small", f_ip4_ihl_small, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV4_IHL, NONE },
	{ "err_ipv4_ihl_past_end", f_ip4_ihl_past, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV4_IHL, NONE },
	{ "err_ipv6_truncated", f_ip6_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV6, NONE },
	{ "err_ipv6_version", f_ip6_version, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV6, NONE },
	{ "err_ipv6_ext_truncated", f_ip6_ext_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV6_EXT, NONE },
	{ "err_ipv6_ext_hdr_truncated", f_ip6_ext_hdr_trunc, 0, 0, XDP_PASS,
	  XVIO_STAT_ERR_IPV6_EXT, NONE },
	{ "err_ipv6_frag_truncated", f_ip6_frag_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_IPV6_EXT,
	  NONE },
	{ "err_tcp_truncated", f_tcp_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_TCP, NONE },
	{ "err_tcp_doff_small", f_tcp_doff_small, 0, 0, XDP_PASS, XVIO_STAT_ERR_TCP, NONE },
	{ "err_tcp_doff_past_end", f_tcp_doff_past, 0, 0, XDP_PASS, XVIO_STAT_ERR_TCP, NONE },
	{ "err_tcp6_truncated", f_tcp6_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_TCP, NONE },
	{ "err_udp_truncated", f_udp_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_UDP, NONE },
	{ "err_udp6_truncated", f_udp6_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_UDP, NONE },
	{ "err_icmp_truncated", f_icmp_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_ICMP, NONE },
	{ "err_icmp6_truncated", f_icmp6_trunc, 0, 0, XDP_PASS, XVIO_STAT_ERR_ICMPV6, NONE },
};

/*
 * bpf_prog_test_run refuses frames shorter than ETH_HLEN; a shorter frame is
 * made by declaring the first bytes of the buffer XDP metadata (ctx->data is
 * the metadata length: a multiple of 4, at most 32).
 */
static int run_frame(const struct pkt *p, __u32 queue, int ingress, __u32 *retval)
{
	struct xdp_md ctx = { .ingress_ifindex = (__u32)ingress, .rx_queue_index = queue };
	uint8_t buf[PKT_MAX + 32];
	size_t meta = p->len < 14 ? 16 : 0;
	int err;

	memset(buf, 0, meta);
	memcpy(buf + meta, p->buf, p->len);
	ctx.data = (__u32)meta;
	ctx.data_end = (__u32)(meta + p->len);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = (__u32)(meta + p->len),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		return -errno;
	*retval = opts.retval;
	return 0;
}

static const struct fixture *cur_fx;
static int skipped_short;

static void test_fixture(void)
{
	const struct fixture *f = cur_fx;
	struct xvio_stat_val before[XVIO_STAT_MAX], after[XVIO_STAT_MAX];
	struct pkt p;
	__u32 ret = 0;
	int i, err;

	f->build(&p);
	read_stats(before);
	err = run_frame(&p, f->queue, f->lo ? 1 : ifindex, &ret);
	if (err == -EINVAL && p.len < 14) {
		skipped_short++;
		TEST_SKIP("the kernel refuses XDP frames shorter than ETH_HLEN (test_run, "
			  "adjust_head/tail); the bounds check is still verified");
	}
	ASSERT_OK(err);
	read_stats(after);
	ASSERT_EQ(ret, f->retval);
	ASSERT_EQ(after[XVIO_STAT_RX].packets - before[XVIO_STAT_RX].packets, 1);
	ASSERT_EQ(after[XVIO_STAT_RX].bytes - before[XVIO_STAT_RX].bytes, p.len);
	for (i = XVIO_STAT_MISS; i < XVIO_STAT_MAX; i++) {
		long long want = i == f->verdict || i == f->hit ? 1 : 0;
		long long got = (long long)(after[i].packets - before[i].packets);

		if (got != want) {
			TEST_FAIL("counter %d moved by %lld, want %lld (verdict %d)", i, got, want,
				  f->verdict);
			return;
		}
	}
}

/* The program must verify and the maps carry BTF with our field names. */
static void test_btf_field_names(void)
{
	const struct btf *btf = bpf_object__btf(skel->obj);
	const struct btf_type *t;
	const struct btf_member *m;
	int id, i;
	bool seen_sport = false;

	ASSERT_TRUE(btf != NULL);
	id = btf__find_by_name_kind(btf, "xvio_flow_key", BTF_KIND_STRUCT);
	ASSERT_TRUE(id > 0);
	t = btf__type_by_id(btf, (__u32)id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++)
		seen_sport |= !strcmp(btf__name_by_offset(btf, m[i].name_off), "sport");
	ASSERT_TRUE(seen_sport);
	ASSERT_TRUE(btf__find_by_name_kind(btf, "xvio_action", BTF_KIND_STRUCT) > 0);
	ASSERT_TRUE(btf__find_by_name_kind(btf, "xvio_l2_key", BTF_KIND_STRUCT) > 0);
	ASSERT_TRUE(btf__find_by_name_kind(btf, "xvio_stat_val", BTF_KIND_STRUCT) > 0);
}

/* A frame whose rx queue is beyond XVIO_MAX_QUEUES cannot be made with a real
 * device here; check the verdict counters sum to RX over the whole run instead. */
static void test_counters_balance(void)
{
	struct xvio_stat_val s[XVIO_STAT_MAX];
	unsigned long long sum = 0;
	int i;

	read_stats(s);
	for (i = XVIO_STAT_MISS; i < XVIO_STAT_HIT_FLOW; i++)
		sum += s[i].packets;
	ASSERT_EQ(sum, s[XVIO_STAT_RX].packets);
	ASSERT_EQ(s[XVIO_STAT_RX].packets,
		  sizeof(fixtures) / sizeof(fixtures[0]) - (size_t)skipped_short);
}

/* With xvio_cfg.flows cleared the flow table is not looked up, even with
 * entries in it, nor L3 parsed: the frame the flow table drops, and one
 * with a bad IPv4 header, go by their MAC instead.
 * Run after test_counters_balance (it adds frames of its own). */
static void test_flow_gate(void)
{
	static const struct fixture off = { "flow_gate_off", f_flow_udp4, 0, 0, XDP_REDIRECT,
					    XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 };
	static const struct fixture on = { "flow_gate_on", f_flow_udp4, 0, 0, XDP_DROP,
					   XVIO_STAT_ACT_DROP, XVIO_STAT_HIT_FLOW };
	/* and L3 is not parsed: a bad IPv4 header to a guest goes by its MAC */
	static const struct fixture bad_ihl = { "flow_gate_off_bad_ihl", f_g1_ihl_small, 0, 0,
						XDP_REDIRECT, XVIO_STAT_ACT_XSK, XVIO_STAT_HIT_L2 };

	ASSERT_OK(set_cfg_flows(0));
	cur_fx = &off;
	test_fixture();
	if (!test_failed_now) {
		cur_fx = &bad_ihl;
		test_fixture();
	}
	ASSERT_OK(set_cfg_flows(1));
	if (test_failed_now)
		return;
	cur_fx = &on;
	test_fixture();
}

/* As xviod hands a flooded frame to the host stack: @meta in the 8 bytes of
 * XDP metadata before it (xvio/host.h). */
/*
 * A 9018-byte frame (MTU 9000 and a VLAN tag's room) runs as a multi-buffer
 * XDP frame: the kernel's test run puts what does not fit a page in
 * fragments. Its headers are in the first part: the L2 table and the flow
 * table decide as for a small frame, and the byte counters count the whole
 * frame. The test run takes such frames for any XDP program; a device does
 * only for one loaded with BPF_F_XDP_HAS_FRAGS (SEC("xdp.frags")), which is
 * checked here on the object and by guest/test-jumbo on a veth at MTU 9000.
 */
static int set_room(__u32 port, __u32 queue, __u64 admitted, __u64 limit);
static int get_admitted(__u32 port, __u32 queue, __u64 *admitted);

static void test_jumbo_frags(void)
{
	static const struct {
		void (*build)(struct pkt *p);
		__u32 queue, retval, verdict;
	} cases[] = {
		{ f_l2_g1, 0, XDP_REDIRECT, XVIO_STAT_ACT_XSK },
		{ f_flow_udp4, 0, XDP_DROP, XVIO_STAT_ACT_DROP },
		{ f_udp4_miss, 0, XDP_PASS, XVIO_STAT_MISS },
	};
	static uint8_t buf[9018];
	struct xvio_stat_val before[XVIO_STAT_MAX], after[XVIO_STAT_MAX];
	unsigned int i;

	/* libbpf loads this section with BPF_F_XDP_HAS_FRAGS */
	ASSERT_TRUE(!strcmp(bpf_program__section_name(skel->progs.xvio_rx), "xdp.frags"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xdp_md ctx = { .ingress_ifindex = (__u32)ifindex,
				      .rx_queue_index = cases[i].queue };
		struct pkt p;

		cases[i].build(&p);
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf, p.buf, p.len);
		ctx.data_end = sizeof(buf);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = sizeof(buf),
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
		read_stats(before);
		ASSERT_OK(bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0);
		read_stats(after);
		ASSERT_EQ(opts.retval, cases[i].retval);
		ASSERT_EQ(after[cases[i].verdict].packets - before[cases[i].verdict].packets, 1);
		ASSERT_EQ(after[XVIO_STAT_RX].bytes - before[XVIO_STAT_RX].bytes, sizeof(buf));
	}
	/* xvio_room counts RX entries: this frame fills three UMEM frames */
	{
		struct xdp_md ctx = { .ingress_ifindex = (__u32)ifindex, .data_end = sizeof(buf) };
		struct pkt p;
		__u64 adm = 0;

		f_l2_g1(&p);
		memcpy(buf, p.buf, p.len);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = sizeof(buf),
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
		ASSERT_OK(set_room(1, 0, 7, 10));
		ASSERT_OK(bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0);
		ASSERT_EQ(opts.retval, XDP_REDIRECT);
		ASSERT_OK(get_admitted(1, 0, &adm));
		ASSERT_EQ(adm, 10);
		ASSERT_OK(set_room(1, 0, 8, 10));
		ASSERT_OK(bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0);
		ASSERT_EQ(opts.retval, XDP_DROP);
		ASSERT_OK(set_room(1, 0, 0, 0));
	}
}

static int run_with_meta(const struct pkt *p, __u32 queue, __u64 meta, __u32 *retval)
{
	struct xdp_md ctx = { .ingress_ifindex = (__u32)ifindex, .rx_queue_index = queue,
			      .data = 8, .data_end = (__u32)(8 + p->len) };
	uint8_t buf[PKT_MAX + 8];

	memcpy(buf, &meta, 8);
	memcpy(buf + 8, p->buf, p->len);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = (__u32)(8 + p->len),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

static int set_host_cookie(__u64 cookie)
{
	struct xvio_host h = { .cookie = cookie };
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_host), &zero, &h, BPF_ANY);
}

/* Frames carrying xvio_host's cookie are passed before any table, so a
 * re-injected broadcast or a frame a flood rule sent is never flooded
 * again; another cookie, or the check switched off (0), changes nothing.
 * Here the cookie is real XDP metadata, which bpf_xdp_adjust_head moves
 * aside; in skb mode it is the skb's headroom, which only
 * nic/bcast_once_skb_* and nic/loop_guard reach. */
static void host_cookie_cases(void)
{
	const __u64 c = 0x0123456789abcdefULL;
	static const struct {
		const char *what;
		bool flood_rule;	/* a unicast frame a flood rule sends, not a broadcast */
		__u64 map, meta;	/* xvio_host.cookie, and the frame's 8 bytes of metadata */
		bool pass;
	} cases[] = {
		{ "broadcast with the cookie", false, c, c, true },
		{ "flood rule's frame with the cookie", true, c, c, true },
		{ "broadcast with another cookie", false, c, c ^ 1, false },
		{ "check off, metadata 0", false, 0, 0, false },
		{ "check off, the old cookie", false, 0, c, false },
	};
	struct xvio_stat_val b[XVIO_STAT_MAX], a[XVIO_STAT_MAX];
	unsigned int i;
	__u32 ret = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p;
		__u64 reinj, flooded;

		(cases[i].flood_rule ? f_l2_floodact : f_bcast_arp)(&p);
		ASSERT_OK(set_host_cookie(cases[i].map));
		read_stats(b);
		ASSERT_OK(run_with_meta(&p, 2, cases[i].meta, &ret));
		read_stats(a);
		reinj = a[XVIO_STAT_HOST_REINJECT].packets - b[XVIO_STAT_HOST_REINJECT].packets;
		flooded = a[XVIO_STAT_ACT_FLOOD].packets - b[XVIO_STAT_ACT_FLOOD].packets;
		if (ret != (cases[i].pass ? XDP_PASS : XDP_REDIRECT) || reinj != cases[i].pass ||
		    flooded != !cases[i].pass) {
			TEST_FAIL("%s: verdict %u, host_reinjected +%llu, flood +%llu", cases[i].what,
				  ret, (unsigned long long)reinj, (unsigned long long)flooded);
			return;
		}
	}
}

static void test_host_cookie(void)
{
	host_cookie_cases();
	if (set_host_cookie(0))
		TEST_FAIL("cannot clear xvio_host");
}

static int set_room(__u32 port, __u32 queue, __u64 admitted, __u64 limit)
{
	struct xvio_room r = { .admitted = admitted, .limit = limit };
	__u32 slot = XVIO_XSK_SLOT(port, queue);

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvio_room), &slot, &r, BPF_ANY);
}

static int get_admitted(__u32 port, __u32 queue, __u64 *admitted)
{
	__u32 slot = XVIO_XSK_SLOT(port, queue);
	struct xvio_room r;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvio_room), &slot, &r))
		return -errno;
	*admitted = r.admitted;
	return 0;
}

/* A socket whose room is used up (admitted >= limit) loses its frames in
 * the program, counted xsk_full, and only that socket: the same queue's
 * other sockets and the same port's other queues still redirect. With room
 * left a redirect counts one more admitted; limit 0 is no limit. */
static void room_cases(void)
{
	static const struct {
		const char *what;
		void (*build)(struct pkt *p);
		__u32 queue;
		__u32 set_port, set_queue;	/* the slot given this room */
		__u64 admitted, limit;
		int retval, verdict;
		__u64 admitted_after;		/* of the slot set */
	} cases[] = {
		{ "guest socket, no room", f_l2_g1, 0, 1, 0, 10, 10, XDP_DROP,
		  XVIO_STAT_ACT_XSK_FULL, 10 },
		{ "guest socket, past its limit", f_l2_g1, 0, 1, 0, 12, 10, XDP_DROP,
		  XVIO_STAT_ACT_XSK_FULL, 12 },
		{ "guest socket, room for one", f_l2_g1, 0, 1, 0, 9, 10, XDP_REDIRECT,
		  XVIO_STAT_ACT_XSK, 10 },
		{ "guest socket, no limit", f_l2_g1, 0, 1, 0, 1000, 0, XDP_REDIRECT,
		  XVIO_STAT_ACT_XSK, 1000 },
		{ "same port, other queue", f_l2_g1, 3, 1, 0, 10, 10, XDP_REDIRECT,
		  XVIO_STAT_ACT_XSK, 10 },
		{ "flood socket, no room", f_bcast_arp, 2, XVIO_PORT_FLOOD, 2, 5, 5, XDP_DROP,
		  XVIO_STAT_ACT_XSK_FULL, 5 },
		{ "flood full, guest socket fine", f_l2_g1, 0, XVIO_PORT_FLOOD, 0, 5, 5,
		  XDP_REDIRECT, XVIO_STAT_ACT_XSK, 5 },
		{ "flood rule into a full flood socket", f_l2_floodact, 2, XVIO_PORT_FLOOD, 2, 5, 5,
		  XDP_DROP, XVIO_STAT_ACT_XSK_FULL, 5 },
		{ "no socket on the queue: passed, not counted", f_l2_g1, 1, 1, 1, 0, 10,
		  XDP_PASS, XVIO_STAT_ACT_XSK_NOSOCK, 0 },
	};
	struct xvio_stat_val b[XVIO_STAT_MAX], a[XVIO_STAT_MAX];
	unsigned int i;
	__u32 ret = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u64 moved, rx, adm = 0;
		struct pkt p;

		cases[i].build(&p);
		ASSERT_OK(set_room(cases[i].set_port, cases[i].set_queue, cases[i].admitted,
				   cases[i].limit));
		read_stats(b);
		ASSERT_OK(run_frame(&p, cases[i].queue, ifindex, &ret));
		read_stats(a);
		ASSERT_OK(get_admitted(cases[i].set_port, cases[i].set_queue, &adm));
		ASSERT_OK(set_room(cases[i].set_port, cases[i].set_queue, 0, 0));
		moved = a[cases[i].verdict].packets - b[cases[i].verdict].packets;
		rx = a[XVIO_STAT_RX].packets - b[XVIO_STAT_RX].packets;
		if ((int)ret != cases[i].retval || moved != 1 || rx != 1 ||
		    adm != cases[i].admitted_after) {
			TEST_FAIL("%s: verdict %u (want %d), verdict counter +%llu, rx +%llu, "
				  "admitted %llu (want %llu)",
				  cases[i].what, ret, cases[i].retval, (unsigned long long)moved,
				  (unsigned long long)rx, (unsigned long long)adm,
				  (unsigned long long)cases[i].admitted_after);
			return;
		}
	}
}

static void test_xsk_room(void)
{
	room_cases();
	if (set_room(1, 0, 0, 0) || set_room(XVIO_PORT_FLOOD, 2, 0, 0))
		TEST_FAIL("cannot clear xvio_room");
}

/* libbpf notes libxdp's .xdp_run_config section as unknown: expected, not news. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || strstr(fmt, "skipping unrecognized data section"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct bpf_map *map;
	size_t i;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IFNAME (a device with >= 4 rx queues)\n", argv[0]);
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "no interface %s\n", argv[1]);
		return 2;
	}
	libbpf_set_print(quiet_print);
	ncpus = libbpf_num_possible_cpus();
	skel = xvio_xdp__open();
	if (!skel) {
		printf("FAIL: bpf/open: cannot open skeleton: %s\n", strerror(errno));
		return 1;
	}
	/* Tests never pin: clear the pin paths LIBBPF_PIN_BY_NAME would use. */
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = xvio_xdp__load(skel);
	if (err) {
		printf("FAIL: bpf/load: the verifier refused xvio_rx: %s\n", strerror(-err));
		return 1;
	}
	printf("PASS: bpf/verifier_load\n");
	test_npass++;
	prog_fd = bpf_program__fd(skel->progs.xvio_rx);
	err = setup_tables(argv[1]);
	if (err) {
		printf("FAIL: bpf/setup: cannot fill tables or bind AF_XDP sockets: %s\n",
		       strerror(-err));
		return 1;
	}
	RUN_TEST(test_btf_field_names);
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		cur_fx = &fixtures[i];
		test_cur = fixtures[i].name;
		test_failed_now = 0;
		test_skip_reason[0] = 0;
		test_fixture();
		if (test_failed_now) {
			test_nfail++;
		} else if (test_skip_reason[0]) {
			printf("SKIP: bpf/%s: %s\n", fixtures[i].name, test_skip_reason);
			test_nskip++;
		} else {
			printf("PASS: bpf/%s\n", fixtures[i].name);
			test_npass++;
		}
	}
	RUN_TEST(test_counters_balance);
	RUN_TEST(test_flow_gate);
	RUN_TEST(test_jumbo_frags);
	RUN_TEST(test_host_cookie);
	RUN_TEST(test_xsk_room);
	for (i = 0; i < 3; i++)
		xsk_socket__delete(xsks[i]);
	for (i = 0; i < 3; i++)
		xsk_umem__delete(umems[i]);
	xvio_xdp__destroy(skel);
	TEST_EXIT();
}
