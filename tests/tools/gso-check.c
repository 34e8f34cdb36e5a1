// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gso-check: xviod's software segmentation and checksum completion
 * (user/offload.c) against the kernel's own. Each random frame (IPv4 or
 * IPv6, with or without a VLAN tag, TCP options, FIN/PSH/CWR, ECN, any
 * MSS; or a UDP/TCP frame that only needs its checksum) goes out of @tx
 * through an AF_PACKET socket with a virtio-net header (PACKET_VNET_HDR),
 * the way tap and vhost-net hand the kernel a guest's frame. With TSO and
 * TX checksumming off on @tx, the kernel segments and checksums it in
 * software; what arrives on the veth peer @rx is compared byte for byte
 * with what off_resolve() makes of the same frame, cut into random pieces.
 *
 *   gso-check TX RX [COUNT [SEED]]     exit 0: all identical
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "offload.h"

#define SRC_MAC "\x02\x00\x5e\x10\x00\x01"
#define MAX_FRAME 65000

static struct off_buf buf;
static uint8_t frame[MAX_FRAME + 64];
static uint8_t rxbuf[70000];

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)((rng >> 33) % n) : 0;
}

static int open_sock(const char *ifname, bool vnet)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0) {
		perror("socket(AF_PACKET)");
		exit(2);
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "no interface %s\n", ifname);
		exit(2);
	}
	if (!vnet && setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one))) {
		perror("PACKET_AUXDATA");
		exit(2);
	}
	if (vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
		perror("PACKET_VNET_HDR");
		exit(2);
	}
	/* a 64 KiB frame at MSS 48 is 1400 frames in the receive queue */
	setsockopt(fd, SOL_SOCKET, vnet ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, &(int){ 64 << 20 },
		   sizeof(int));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("bind");
		exit(2);
	}
	return fd;
}

struct spec {
	bool v6, vlan, udp, gso, ecn;
	uint32_t mss, payload, opts;
	uint8_t flags;
};

static uint16_t fold_raw(uint32_t sum) /* the pseudo-header's sum, not inverted */
{
	return (uint16_t)~off_csum_fold(sum);
}

/* Build the frame @s describes into frame[]; fill @h; returns its length. */
static uint32_t build(const struct spec *s, struct virtio_net_hdr *h)
{
	uint32_t off = 12, l3, l4, thl = s->udp ? 8 : 20 + s->opts, i, len;
	uint8_t ph[40];
	uint16_t c;

	memcpy(frame, "\x02\x00\x5e\x10\x00\x02", 6);
	memcpy(frame + 6, SRC_MAC, 6);
	if (s->vlan) {
		frame[off] = 0x81, frame[off + 1] = 0, frame[off + 2] = 0, frame[off + 3] = 42;
		off += 4;
	}
	frame[off] = s->v6 ? 0x86 : 0x08, frame[off + 1] = s->v6 ? 0xdd : 0x00;
	l3 = off + 2;
	l4 = l3 + (s->v6 ? 40 : 20);
	len = l4 + thl + s->payload;
	if (!s->v6) {
		uint8_t *ip = frame + l3;

		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[1] = s->ecn ? 0x02 : 0;
		ip[2] = (uint8_t)((len - l3) >> 8), ip[3] = (uint8_t)(len - l3);
		ip[4] = (uint8_t)rnd(256), ip[5] = (uint8_t)rnd(256);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = s->udp ? 17 : 6;
		memcpy(ip + 12, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8); /* 198.18.0.1 -> .2 */
		c = off_csum_fold(off_csum_add(0, ip, 20));
		memcpy(ip + 10, &c, 2);
		memcpy(ph, ip + 12, 8);
		ph[8] = 0, ph[9] = ip[9];
		ph[10] = (uint8_t)((thl + s->payload) >> 8), ph[11] = (uint8_t)(thl + s->payload);
	} else {
		uint8_t *ip = frame + l3;

		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[1] = s->ecn ? 0x20 : 0;
		ip[4] = (uint8_t)((thl + s->payload) >> 8), ip[5] = (uint8_t)(thl + s->payload);
		ip[6] = s->udp ? 17 : 6;
		ip[7] = 64;
		ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x02; /* 2001:2::/48, benchmarking (RFC 5180) */
		ip[23] = 1;
		memcpy(ip + 24, ip + 8, 16);
		ip[39] = 2;
		memcpy(ph, ip + 8, 32);
		memset(ph + 32, 0, 8);
		ph[34] = (uint8_t)((thl + s->payload) >> 8), ph[35] = (uint8_t)(thl + s->payload);
		ph[39] = ip[6];
	}
	if (s->udp) {
		uint8_t *u = frame + l4;

		u[0] = 0x30, u[1] = 0x39, u[2] = 0x23, u[3] = 0x29;
		u[4] = (uint8_t)((thl + s->payload) >> 8), u[5] = (uint8_t)(thl + s->payload);
	} else {
		uint8_t *t = frame + l4;

		memset(t, 0, thl);
		t[0] = 0x30, t[1] = 0x39, t[2] = 0x1f, t[3] = 0x90;
		for (i = 4; i < 12; i++)
			t[i] = (uint8_t)rnd(256);
		t[12] = (uint8_t)((thl / 4) << 4);
		t[13] = s->flags;
		t[14] = 0xff, t[15] = 0xff;
		for (i = 20; i < thl; i++)
			t[i] = 1; /* NOP options */
	}
	for (i = l4 + thl; i < len; i++)
		frame[i] = (uint8_t)rnd(256);
	/* the checksum field holds the pseudo-header's sum, as Linux leaves it */
	c = fold_raw(off_csum_add(0, ph, s->v6 ? 40 : 12));
	memcpy(frame + l4 + (s->udp ? 6 : 16), &c, 2);

	memset(h, 0, sizeof(*h));
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4;
	h->csum_offset = s->udp ? 6 : 16;
	if (s->gso) {
		h->gso_type = (uint8_t)((s->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) |
					(s->ecn ? VIRTIO_NET_HDR_GSO_ECN : 0));
		h->gso_size = (uint16_t)s->mss;
		h->hdr_len = (uint16_t)(l4 + thl);
	}
	return len;
}

/* off_resolve() on the frame cut into 1..8 random pieces. */
static int ours(const struct virtio_net_hdr *h, uint32_t len)
{
	struct vhu_seg segs[8];
	struct vhu_pkt p = { .segs = segs, .len = len };
	uint32_t at = 0;
	enum off_err err;
	unsigned int n = 1 + rnd(8), i;

	for (i = 0; i < n && at < len; i++) {
		uint32_t k = i + 1 == n ? len - at : 1 + rnd(len - at);

		segs[i].base = frame + at;
		segs[i].len = k;
		at += k;
	}
	p.nsegs = (uint16_t)i;
	p.off.flags = h->flags;
	p.off.gso_type = h->gso_type;
	p.off.gso_size = h->gso_size;
	p.off.hdr_len = h->hdr_len;
	p.off.csum_start = h->csum_start;
	p.off.csum_offset = h->csum_offset;
	off_reset(&buf);
	if (!off_room(&buf, &p)) {
		fprintf(stderr, "no room for one frame in an empty off_buf\n");
		exit(1);
	}
	return off_resolve(&buf, &p, 0, &err);
}

static uint32_t flat(const struct vhu_pkt *p, uint8_t *dst)
{
	uint32_t at = 0;

	for (unsigned int i = 0; i < p->nsegs; i++) {
		memcpy(dst + at, p->segs[i].base, p->segs[i].len);
		at += p->segs[i].len;
	}
	return at;
}

/* The next frame from our source MAC on @fd within @ms; its length or 0.
 * The receive path takes a VLAN tag out of the frame into the packet's
 * metadata (skb_vlan_untag(), whatever the device's features): it is put
 * back from PACKET_AUXDATA. */
static ssize_t next_rx(int fd, int ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		char ctl[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct iovec iov = { .iov_base = rxbuf + 4, .iov_len = sizeof(rxbuf) - 4 };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;
		ssize_t r;

		if (poll(&pfd, 1, ms) <= 0)
			return 0;
		r = recvmsg(fd, &m, 0);
		if (r < 14 || from.sll_pkttype == PACKET_OUTGOING || memcmp(rxbuf + 10, SRC_MAC, 6))
			continue;
		memmove(rxbuf, rxbuf + 4, (size_t)r);
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			struct tpacket_auxdata a;
			uint16_t tpid = ETH_P_8021Q;

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&a, CMSG_DATA(c), sizeof(a));
			if (!(a.tp_status & TP_STATUS_VLAN_VALID))
				continue;
			if (a.tp_status & TP_STATUS_VLAN_TPID_VALID)
				tpid = a.tp_vlan_tpid;
			memmove(rxbuf + 16, rxbuf + 12, (size_t)r - 12);
			rxbuf[12] = (uint8_t)(tpid >> 8), rxbuf[13] = (uint8_t)tpid;
			rxbuf[14] = (uint8_t)(a.tp_vlan_tci >> 8), rxbuf[15] = (uint8_t)a.tp_vlan_tci;
			r += 4;
		}
		return r;
	}
}

int main(int argc, char **argv)
{
	unsigned int count = argc > 3 ? (unsigned int)atoi(argv[3]) : 200, k, segs = 0;
	static uint8_t mine[70000];
	int tx, rx;

	if (argc < 3) {
		fprintf(stderr, "usage: gso-check TX RX [COUNT [SEED]]\n");
		return 2;
	}
	rng = argc > 4 ? strtoull(argv[4], NULL, 0) : 1;
	tx = open_sock(argv[1], true);
	rx = open_sock(argv[2], false);
	for (k = 0; k < count; k++) {
		struct spec s = { 0 };
		struct virtio_net_hdr h;
		uint8_t out[sizeof(h) + sizeof(frame)];
		uint32_t len;
		ssize_t w;
		int n, i;

		s.v6 = rnd(2);
		s.vlan = rnd(4) == 0;
		s.udp = rnd(6) == 0;
		s.gso = !s.udp && rnd(5) != 0;
		s.ecn = s.gso && rnd(3) == 0;
		s.opts = rnd(3) == 0 ? 4 * (1 + rnd(10)) : (rnd(2) ? 12 : 0);
		s.mss = rnd(3) == 0 ? 88 + rnd(1400) : (rnd(2) ? 1448 : 1428);
		s.payload = rnd(4) == 0 ? 1 + rnd(2000) : 1 + rnd(MAX_FRAME - 200);
		if (!s.gso && s.payload > 1400)
			s.payload = 1 + rnd(1400);
		/* A GSO frame no longer than its MSS: this kernel path drops it
		 * (dev_queue_xmit: -ENOMEM), where off_resolve() completes its
		 * checksum as for a frame with NEEDS_CSUM only (tests/unit). */
		if (s.gso && s.payload <= s.mss)
			s.payload = s.mss + 1 + rnd(MAX_FRAME - 200 - s.mss);
		s.flags = 0x10 | (rnd(2) ? 0x08 : 0) | (rnd(4) == 0 ? 0x01 : 0) |
			  (s.ecn && rnd(2) ? 0x80 : 0) | (rnd(8) == 0 ? 0x40 : 0);
		len = build(&s, &h);
		n = ours(&h, len);
		if (n < 1) {
			fprintf(stderr, "frame %u: off_resolve refused it\n", k);
			return 1;
		}
		memcpy(out, &h, sizeof(h));
		memcpy(out + sizeof(h), frame, len);
		/* ENOMEM: no contiguous memory for the skb's head just now */
		for (i = 0; (w = send(tx, out, sizeof(h) + len, 0)) < 0 && errno == ENOMEM && i < 100;
		     i++)
			usleep(10000);
		if (w != (ssize_t)(sizeof(h) + len)) {
			fprintf(stderr, "frame %u (%s%s%s mss %u payload %u, %u bytes): send: %s\n", k,
				s.v6 ? "v6" : "v4", s.vlan ? " vlan" : "", s.udp ? " udp" : s.gso ? " gso" : " csum",
				s.mss, s.payload, len, strerror(errno));
			return 2;
		}
		for (i = 0; i < n; i++) {
			ssize_t r = next_rx(rx, 1000);
			uint32_t ml = flat(&buf.pkts[i], mine), j;

			if (!r) {
				fprintf(stderr, "frame %u (%s%s%s mss %u payload %u): the kernel made %d "
						"segments, we made %d\n",
					k, s.v6 ? "v6" : "v4", s.vlan ? " vlan" : "",
					s.udp ? " udp" : s.gso ? " gso" : " csum", s.mss, s.payload, i, n);
				return 1;
			}
			if ((uint32_t)r != ml || memcmp(rxbuf, mine, ml)) {
				for (j = 0; j < ml && j < (uint32_t)r && rxbuf[j] == mine[j]; j++)
					;
				fprintf(stderr, "then:");
				while ((r = next_rx(rx, 100)))
					fprintf(stderr, " %zd", r);
				fprintf(stderr, "\n");
				fprintf(stderr, "frame %u (%s%s%s%s mss %u payload %u flags %#x) segment %d "
						"of %d: kernel %zd bytes, ours %u; first difference at byte "
						"%u: kernel %#x, ours %#x\n",
					k, s.v6 ? "v6" : "v4", s.vlan ? " vlan" : "",
					s.udp ? " udp" : s.gso ? " gso" : " csum", s.ecn ? " ecn" : "",
					s.mss, s.payload, s.flags, i, n, r, ml, j,
					j < (uint32_t)r ? rxbuf[j] : 0, j < ml ? mine[j] : 0);
				return 1;
			}
		}
		segs += (unsigned int)n;
	}
	/* A segment too many for a frame shows up as the next frame's first
	 * differing; for the last frame, here. */
	if (next_rx(rx, 200)) {
		fprintf(stderr, "the kernel made more segments of the last frame than we did\n");
		return 1;
	}
	printf("%u frames, %u segments: identical to the kernel's\n", count, segs);
	return 0;
}
