// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * afxdp-check: the AF_XDP library's multi-buffer paths on a real veth, with
 * the edge cases a guest never makes happen on purpose.
 *
 *   afxdp-check IFNAME NETNS PEER DST_MAC
 *
 * IFNAME carries xvio's XDP program (MTU 9000) with DST_MAC steered to guest
 * port 1; PEER, its other end, is in NETNS. The tool binds the library's
 * queue 0 (flood socket and port 1's socket) and sends 9014-byte frames from
 * PEER with a raw socket made in NETNS. Cases (PASS/FAIL lines):
 *   rx_one_packet      peek with room for one packet: its three descriptors,
 *                      chained, and its bytes
 *   rx_no_half_packet  peek with room for two descriptors: nothing (a packet
 *                      is never half taken)
 *   rx_unpeek          three packets peeked, the last given back: the next
 *                      peek sees it again; counters count it once
 *   umem_accounted     after the releases every UMEM frame is accounted for
 *   tx_chained         a 9014-byte frame sent as three chained descriptors
 *                      arrives whole at PEER
 *   tx_ring_whole      a TX ring too full for a whole packet takes none of it
 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include "afxdp.h"
#include "loader.h"
#include "../lib/test.h"

TEST_GLOBALS("integ/afxdp");

#define FRAME 9014 /* MTU 9000: what a raw socket may send */
#define RING 64

static struct afxdp_queue *q;
static struct afxdp_sock *flood, *guest;
static int peer_fd = -1, peer_ifindex;
static uint8_t dst_mac[6], frame[FRAME], got[FRAME];
static struct afxdp_frame f[256];

static void fill(uint8_t *p, uint8_t seq)
{
	unsigned int i;

	memcpy(p, dst_mac, 6);
	memcpy(p + 6, "\x02\x00\x00\x00\x77\x01", 6);
	p[12] = 0x88, p[13] = 0xb5; /* local experimental ethertype */
	for (i = 14; i < FRAME; i++)
		p[i] = (uint8_t)(seq + i * 7);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The descriptors waiting in the guest socket's RX ring reach @want. */
static int wait_level(uint32_t want)
{
	double end = now() + 5;

	while (afxdp_sock__rx_level(guest) < want) {
		struct pollfd p = { .fd = afxdp_sock__fd(guest), .events = POLLIN };

		if (now() > end)
			return -1;
		poll(&p, 1, 50);
	}
	return 0;
}

static int send_peer(uint8_t seq)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = peer_ifindex,
				   .sll_halen = 6 };

	fill(frame, seq);
	memcpy(sll.sll_addr, dst_mac, 6);
	return sendto(peer_fd, frame, FRAME, 0, (struct sockaddr *)&sll, sizeof(sll)) == FRAME ?
		       0 : -errno;
}

/* Gather the packet of @nd descriptors at @d and compare it with seq's. */
static int packet_is(const struct afxdp_frame *d, unsigned int nd, uint8_t seq)
{
	uint32_t off = 0;
	unsigned int i;

	for (i = 0; i < nd; i++) {
		CHECK(off + d[i].len <= FRAME, "packet longer than %u", FRAME);
		CHECK(d[i].more == (i + 1 < nd), "descriptor %u: more=%d", i, d[i].more);
		memcpy(got + off, d[i].data, d[i].len);
		off += d[i].len;
	}
	CHECK(off == FRAME, "packet of %u bytes, want %u", off, FRAME);
	fill(frame, seq);
	CHECK(!memcmp(got, frame, FRAME), "packet %u: bytes differ", seq);
	return 0;
}

static void test_rx_one_packet(void)
{
	unsigned int npkts = 9, nd;

	ASSERT_OK(send_peer(0));
	ASSERT_OK(wait_level(3));
	nd = afxdp_sock__rx_peek(q, guest, f, 256, 1, &npkts);
	ASSERT_EQ(npkts, 1);
	ASSERT_EQ(nd, 3);
	ASSERT_OK(packet_is(f, nd, 0));
	afxdp_sock__rx_unpeek(q, guest, f, nd);
	ASSERT_EQ(afxdp_sock__rx_level(guest), 3);
}

static void test_rx_no_half_packet(void)
{
	unsigned int npkts = 9, nd;

	nd = afxdp_sock__rx_peek(q, guest, f, 2, 8, &npkts);
	ASSERT_EQ(nd, 0);
	ASSERT_EQ(npkts, 0);
	ASSERT_EQ(afxdp_sock__rx_level(guest), 3);
}

static void test_rx_unpeek(void)
{
	const struct afxdp_queue_stats *st = afxdp_queue__stats(q);
	uint64_t pk0 = st->rx_packets, m0 = st->rx_multi;
	unsigned int npkts = 0, nd;

	ASSERT_OK(send_peer(1));
	ASSERT_OK(send_peer(2));
	ASSERT_OK(wait_level(9));
	/* packet 0, still there from the cases before (a peek sees what the
	 * ring held when it last looked: the others after this release) */
	nd = afxdp_sock__rx_peek(q, guest, f, 256, 8, &npkts);
	ASSERT_EQ(npkts, 1);
	ASSERT_OK(packet_is(f, nd, 0));
	afxdp_sock__rx_release(q, guest, f, nd);
	nd = afxdp_sock__rx_peek(q, guest, f, 256, 8, &npkts);
	ASSERT_EQ(npkts, 2);
	ASSERT_EQ(nd, 6);
	ASSERT_OK(packet_is(f, 3, 1));
	ASSERT_OK(packet_is(f + 3, 3, 2));
	/* the last one stays (its receiver had no room) */
	afxdp_sock__rx_unpeek(q, guest, f + 3, 3);
	afxdp_sock__rx_release(q, guest, f, 3);
	ASSERT_EQ(st->rx_packets - pk0, 2);
	ASSERT_EQ(st->rx_multi - m0, 2);
	nd = afxdp_sock__rx_peek(q, guest, f, 256, 8, &npkts);
	ASSERT_EQ(npkts, 1);
	ASSERT_EQ(nd, 3);
	ASSERT_OK(packet_is(f, 3, 2));
	afxdp_sock__rx_release(q, guest, f, nd);
	ASSERT_EQ(st->rx_packets - pk0, 3);
	ASSERT_EQ(st->rx_multi - m0, 3);
	ASSERT_EQ(st->rx_bad_chain, 0);
}

static void test_umem_accounted(void)
{
	ASSERT_EQ(afxdp_sock__rx_level(guest), 0);
	ASSERT_OK(afxdp_queue__check(q));
}

/* @seq's frame into TX descriptors at @d; returns how many. */
static unsigned int tx_build(struct afxdp_frame *d, uint8_t seq)
{
	uint32_t room = afxdp_queue__tx_room(q), off = 0;
	unsigned int nd = 0;

	fill(frame, seq);
	while (off < FRAME) {
		uint32_t c = FRAME - off < room ? FRAME - off : room;
		uint8_t *p = afxdp_queue__tx_frame(q, &d[nd].addr);

		if (!p)
			return 0;
		memcpy(p, frame + off, c);
		d[nd].len = c;
		d[nd].meta = false;
		d[nd].more = off + c < FRAME;
		off += c;
		nd++;
	}
	return nd;
}

static void test_tx_chained(void)
{
	struct afxdp_frame d[8];
	unsigned int nd = tx_build(d, 9);
	double end = now() + 5;
	ssize_t n = -1;

	ASSERT_EQ(nd, 3);
	ASSERT_EQ(afxdp_sock__tx_submit(q, flood, d, nd), 3);
	while (now() < end) {
		struct pollfd p = { .fd = peer_fd, .events = POLLIN };

		afxdp_queue__complete(q);
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(peer_fd, got, sizeof(got), MSG_DONTWAIT);
		if (n == FRAME && got[12] == 0x88 && got[13] == 0xb5)
			break;
	}
	ASSERT_EQ(n, FRAME);
	fill(frame, 9);
	ASSERT_TRUE(!memcmp(got, frame, FRAME));
}

/* Fill the TX ring but for two entries: a three-descriptor packet is not
 * taken, in part or at all, and its frames come back to the free list. */
static void test_tx_ring_whole(void)
{
	struct afxdp_frame d[RING + 8];
	struct afxdp_umem_use u0, u1;
	unsigned int k = 0, nd;

	afxdp_queue__complete(q);
	afxdp_queue__umem_use(q, &u0);
	/* 62 single-descriptor frames and a 3-descriptor one, in one batch,
	 * into a 64-entry ring the kernel has emptied */
	while (k < RING - 2) {
		uint8_t *p = afxdp_queue__tx_frame(q, &d[k].addr);

		ASSERT_TRUE(p != NULL);
		memset(p, 0, 60); /* a runt the peer's stack drops */
		d[k].len = 60;
		d[k].more = false;
		d[k].meta = false;
		k++;
	}
	nd = tx_build(d + k, 10);
	ASSERT_EQ(nd, 3);
	/* whole packets only: the ring takes the 62 singles, not the last */
	ASSERT_EQ(afxdp_sock__tx_submit(q, flood, d, k + nd), RING - 2);
	afxdp_queue__umem_use(q, &u1);
	ASSERT_EQ(u1.free + u1.tx, u0.free + u0.tx);
	ASSERT_OK(afxdp_queue__check(q));
}

static int netns_enter(const char *name, int *back)
{
	char path[128];
	int fd;

	*back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*back < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static int setup(char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct loader_maps *m;
	char err[256];
	int back, rc;

	if (sscanf(argv[4], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst_mac[0], &dst_mac[1],
		   &dst_mac[2], &dst_mac[3], &dst_mac[4], &dst_mac[5]) != 6)
		return -EINVAL;
	rc = netns_enter(argv[2], &back);
	if (rc)
		return rc;
	peer_ifindex = (int)if_nametoindex(argv[3]);
	peer_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	sll.sll_ifindex = peer_ifindex;
	if (!peer_ifindex || peer_fd < 0 || bind(peer_fd, (struct sockaddr *)&sll, sizeof(sll)))
		rc = -errno ? -errno : -ENODEV;
	if (setns(back, CLONE_NEWNET) && !rc)
		rc = -errno;
	close(back);
	if (rc)
		return rc;
	rc = afxdp_queue__new(argv[1], 0, RING, AFXDP_Q_NEED_SG, &q);
	if (!rc)
		rc = afxdp_queue__add_socket(q, &flood, err, sizeof(err));
	if (!rc)
		rc = afxdp_queue__add_socket(q, &guest, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "afxdp-check: %s\n", err);
		return rc;
	}
	if (!afxdp_queue__sg(q)) {
		fprintf(stderr, "afxdp-check: %s: not bound multi-buffer\n", argv[1]);
		return -EOPNOTSUPP;
	}
	rc = loader_maps__open(argv[1], true, &m);
	if (!rc)
		rc = loader_maps__xsk_set(m, 1, 0, afxdp_sock__fd(guest));
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: afxdp-check IFNAME NETNS PEER DST_MAC\n");
		return 2;
	}
	rc = setup(argv);
	if (rc) {
		printf("FAIL: integ/afxdp/setup: %s\n", strerror(-rc));
		return 1;
	}
	RUN_TEST(test_rx_one_packet);
	RUN_TEST(test_rx_no_half_packet);
	RUN_TEST(test_rx_unpeek);
	RUN_TEST(test_umem_accounted);
	RUN_TEST(test_tx_chained);
	RUN_TEST(test_tx_ring_whole);
	afxdp_queue__free(q);
	TEST_EXIT();
}
