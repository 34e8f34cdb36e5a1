// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xvio-pkt: traffic for xvio's integration tests. Frames carry a test
 * payload (magic, sequence number, pattern) so receivers check count, order
 * and content.
 *
 *   xvio-pkt send IFNAME --dst-mac MAC --src IP --dst IP [--src-mac MAC]
 *            [--sport N] [--dport N] [--vary-sport N] [--count N] [--rate PPS]
 *            [--size BYTES] [--vlan VID] [--first-seq N]
 *   xvio-pkt recv-xsk IFNAME --port P [--queues N] --count N [--timeout SEC]
 *            binds an AF_XDP socket per queue, installs it in the pinned
 *            xvio_xsks slot of guest port P, counts test frames
 *   xvio-pkt recv-packet IFNAME --count N [--timeout SEC]
 *            counts test frames the host stack receives (AF_PACKET)
 *
 * Receivers print "ready" once listening, then one summary line
 *   received=N valid=N invalid=N dup=N [q0=N q1=N ...]
 * and exit 0 when exactly --count distinct valid frames arrived (no more,
 * no invalid); 1 otherwise. --count 0 expects silence for --timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>
#include "loader.h"
#include "util.h"
#include "../lib/pkt.h"

#define MAX_Q 16
#define NFRAMES 4096
#define FRAME_SZ XSK_UMEM__DEFAULT_FRAME_SIZE

static struct {
	const char *ifname;
	uint8_t dst_mac[6], src_mac[6], from_mac[6];
	bool have_dst_mac, have_src_mac, have_from_mac;
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport, vlan;
	uint32_t vary_sport;
	uint64_t first_seq;
	uint64_t count;
	double rate;
	size_t size;
	uint32_t port;
	int queues;
	double timeout;
} o = { .sport = 9000, .dport = 9001, .count = 1, .rate = 10000, .size = 64, .queues = 1,
	.timeout = 5 };

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "xvio-pkt: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- send ---------------------------------------------------------------- */

static void build(struct pkt *p, uint64_t seq)
{
	size_t hdr = 14 + (o.vlan ? 4 : 0) + 20 + 8, pay;
	uint16_t sport = (uint16_t)(o.sport + (o.vary_sport ? seq % o.vary_sport : 0));

	pay = o.size > hdr + 8 ? o.size - hdr : 8;
	pkt_init(p);
	if (o.vlan) {
		pkt_eth(p, o.dst_mac, o.src_mac, 0x8100);
		pkt_vlan(p, o.vlan, 0x0800);
	} else {
		pkt_eth(p, o.dst_mac, o.src_mac, 0x0800);
	}
	pkt_ipv4(p, o.src_ip, o.dst_ip, 17, 0, 0);
	pkt_udp(p, sport, o.dport);
	pkt_payload_seq(p, (uint32_t)seq, pay);
	pkt_finish(p);
}

static int do_send(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct ifreq ifr = {};
	struct pkt p;
	double t0, gap;
	uint64_t i, sent = 0, busy = 0;
	int fd;

	if (!o.have_dst_mac || !o.src_ip || !o.dst_ip) {
		fprintf(stderr, "xvio-pkt: send needs --dst-mac, --src and --dst\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET)");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.ifname);
	if (!o.have_src_mac) {
		if (ioctl(fd, SIOCGIFHWADDR, &ifr))
			die("SIOCGIFHWADDR");
		memcpy(o.src_mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	sll.sll_ifindex = (int)if_nametoindex(o.ifname);
	if (!sll.sll_ifindex)
		die(o.ifname);
	memcpy(sll.sll_addr, o.dst_mac, 6);
	gap = o.rate > 0 ? 1.0 / o.rate : 0;
	t0 = now();
	for (i = 0; i < o.count && !stop; i++) {
		/* Paced, not spun: a burst into a 2-core VM only measures drops. */
		while (gap > 0 && now() < t0 + (double)i * gap)
			;
		build(&p, o.first_seq + i);
		while (sendto(fd, p.buf, p.len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN)
				die("sendto");
			busy++;
			usleep(100);
		}
		sent++;
	}
	printf("sent=%llu retries=%llu seconds=%.3f\n", (unsigned long long)sent,
	       (unsigned long long)busy, now() - t0);
	close(fd);
	return sent == o.count ? 0 : 1;
}

/* ---- receivers --------------------------------------------------------------- */

struct tally {
	uint64_t received, valid, invalid, dup, extra;
	uint64_t per_q[MAX_Q];
	uint8_t *seen;
};

static void account(struct tally *t, const uint8_t *frame, size_t len, int q)
{
	const uint8_t *pl;
	size_t plen;
	uint32_t seq;

	/* --from-mac: count every frame from that MAC (a guest's own traffic,
	 * whose payload is not ours to check). */
	if (o.have_from_mac) {
		if (len < 14 || memcmp(frame + 6, o.from_mac, 6))
			return;
		t->received++;
		t->valid++;
		if (q >= 0 && q < MAX_Q)
			t->per_q[q]++;
		return;
	}
	pl = pkt_udp_payload(frame, len, &plen);
	if (!pl || plen < 8)
		return; /* not a test frame (ARP, ND...): ignore */
	{
		uint32_t magic;

		memcpy(&magic, pl, 4);
		if (ntohl(magic) != PKT_MAGIC)
			return;
	}
	t->received++;
	if (q >= 0 && q < MAX_Q)
		t->per_q[q]++;
	if (pkt_payload_check(pl, plen, &seq)) {
		t->invalid++;
		return;
	}
	if (seq >= o.count) {
		t->extra++;
		return;
	}
	if (t->seen[seq]) {
		t->dup++;
		return;
	}
	t->seen[seq] = 1;
	t->valid++;
}

static int report(struct tally *t, int nq)
{
	int q;

	printf("received=%llu valid=%llu invalid=%llu dup=%llu extra=%llu",
	       (unsigned long long)t->received, (unsigned long long)t->valid,
	       (unsigned long long)t->invalid, (unsigned long long)t->dup,
	       (unsigned long long)t->extra);
	for (q = 0; q < nq; q++)
		printf(" q%d=%llu", q, (unsigned long long)t->per_q[q]);
	if (!o.have_from_mac && t->valid < o.count) {
		/* which ones, to tell a lost first frame from a lost middle one */
		uint64_t i, shown = 0;

		printf(" missing=");
		for (i = 0; i < o.count && shown < 8; i++)
			if (!t->seen[i])
				printf("%s%llu", shown++ ? "," : "", (unsigned long long)i);
		if (o.count - t->valid > shown)
			printf(",...");
	}
	printf("\n");
	if (o.have_from_mac)
		return t->valid == o.count ? 0 : 1;
	return t->valid == o.count && !t->invalid && !t->dup && !t->extra ? 0 : 1;
}

/* After the last expected frame, keep listening briefly to catch surplus ones. */
#define LINGER 0.3

static int do_recv_packet(void)
{
	struct tally t = { .seen = calloc(o.count + 1, 1) };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	/* With --from-mac the count is of frames, not of sequence numbers. */
	uint8_t buf[4096];
	double end, done_at = 0;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("socket(AF_PACKET)");
	sll.sll_ifindex = (int)if_nametoindex(o.ifname);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die(o.ifname);
	printf("ready\n");
	fflush(stdout);
	end = now() + o.timeout;
	while (!stop && now() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (done_at && now() > done_at + LINGER)
			break;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		account(&t, buf, (size_t)n, -1);
		if (o.count && t.valid >= o.count && !done_at)
			done_at = now();
	}
	close(fd);
	return report(&t, 0);
}

struct xq {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	void *area;
};

static int xq_open(struct xq *x, int queue, bool *zerocopy)
{
	struct xsk_socket_config cfg = {
		.rx_size = 2048,
		.tx_size = 256,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY,
	};
	struct xsk_umem_config ucfg = {
		.fill_size = NFRAMES, .comp_size = 256, .frame_size = FRAME_SZ,
	};
	__u32 idx, i;
	int err;

	x->area = mmap(NULL, (size_t)NFRAMES * FRAME_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&x->umem, x->area, (__u64)NFRAMES * FRAME_SZ, &x->fq, &x->cq,
			       &ucfg);
	if (err)
		return err;
	/* Zero-copy first; veth and most virtual NICs only do copy mode. */
	err = xsk_socket__create(&x->xsk, o.ifname, (__u32)queue, x->umem, &x->rx, &x->tx, &cfg);
	*zerocopy = !err;
	if (err) {
		cfg.bind_flags = XDP_USE_NEED_WAKEUP | XDP_COPY;
		err = xsk_socket__create(&x->xsk, o.ifname, (__u32)queue, x->umem, &x->rx, &x->tx,
					 &cfg);
	}
	if (err)
		return err;
	if (xsk_ring_prod__reserve(&x->fq, NFRAMES, &idx) != NFRAMES)
		return -ENOSPC;
	for (i = 0; i < NFRAMES; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = (__u64)i * FRAME_SZ;
	xsk_ring_prod__submit(&x->fq, NFRAMES);
	return 0;
}

static int do_recv_xsk(void)
{
	struct tally t = { .seen = calloc(o.count + 1, 1) };
	struct loader_maps *m;
	struct xq xq[MAX_Q] = {};
	struct pollfd pfd[MAX_Q];
	double end, done_at = 0;
	bool zc = false;
	int q, err, rc;

	if (!o.port || o.queues < 1 || o.queues > MAX_Q) {
		fprintf(stderr, "xvio-pkt: recv-xsk needs --port P (1..63) and --queues 1..%d\n",
			MAX_Q);
		return 2;
	}
	if (loader_maps__open(o.ifname, true, &m)) {
		fprintf(stderr, "xvio-pkt: %s: xvio maps not found or not live\n", o.ifname);
		return 2;
	}
	for (q = 0; q < o.queues; q++) {
		err = xq_open(&xq[q], q, &zc);
		if (err) {
			fprintf(stderr, "xvio-pkt: %s queue %d: AF_XDP bind failed: %s\n",
				o.ifname, q, strerror(-err));
			return 2;
		}
		err = loader_maps__xsk_set(m, o.port, (__u32)q, xsk_socket__fd(xq[q].xsk));
		if (err) {
			fprintf(stderr, "xvio-pkt: cannot install socket: %s\n", strerror(-err));
			return 2;
		}
		pfd[q].fd = xsk_socket__fd(xq[q].xsk);
		pfd[q].events = POLLIN;
	}
	printf("ready %s\n", zc ? "zerocopy" : "copy");
	fflush(stdout);
	end = now() + o.timeout;
	while (!stop && now() < end) {
		if (done_at && now() > done_at + LINGER)
			break;
		if (poll(pfd, (nfds_t)o.queues, 50) <= 0)
			continue;
		for (q = 0; q < o.queues; q++) {
			__u32 idx_rx = 0, idx_fq = 0, n, i;

			n = xsk_ring_cons__peek(&xq[q].rx, 64, &idx_rx);
			if (!n)
				continue;
			/* Every frame we consume goes straight back to the fill ring. */
			while (xsk_ring_prod__reserve(&xq[q].fq, n, &idx_fq) != n)
				;
			for (i = 0; i < n; i++) {
				const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xq[q].rx,
										  idx_rx + i);
				account(&t, xsk_umem__get_data(xq[q].area, d->addr), d->len, q);
				*xsk_ring_prod__fill_addr(&xq[q].fq, idx_fq + i) =
					xsk_umem__extract_addr(d->addr);
			}
			xsk_ring_prod__submit(&xq[q].fq, n);
			xsk_ring_cons__release(&xq[q].rx, n);
			if (xsk_ring_prod__needs_wakeup(&xq[q].fq))
				recvfrom(pfd[q].fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		}
		if (o.count && t.valid == o.count && !done_at)
			done_at = now();
	}
	rc = report(&t, o.queues);
	for (q = 0; q < o.queues; q++) {
		loader_maps__xsk_set(m, o.port, (__u32)q, -1);
		xsk_socket__delete(xq[q].xsk);
		xsk_umem__delete(xq[q].umem);
	}
	loader_maps__close(m);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xvio-pkt send IFNAME --dst-mac MAC --src IP --dst IP [--src-mac MAC]\n"
		"                [--sport N] [--dport N] [--vary-sport N] [--count N]\n"
		"                [--rate PPS] [--size BYTES] [--vlan VID] [--first-seq N]\n"
		"       xvio-pkt recv-xsk IFNAME --port P [--queues N] --count N [--timeout S]\n"
		"       xvio-pkt recv-packet IFNAME --count N [--timeout S] [--from-mac MAC]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst-mac", 1, NULL, 'D' }, { "src-mac", 1, NULL, 'S' }, { "src", 1, NULL, 's' },
		{ "dst", 1, NULL, 'd' },     { "sport", 1, NULL, 'p' },	  { "dport", 1, NULL, 'P' },
		{ "count", 1, NULL, 'c' },   { "rate", 1, NULL, 'r' },	  { "size", 1, NULL, 'z' },
		{ "vlan", 1, NULL, 'v' },    { "port", 1, NULL, 'o' },	  { "queues", 1, NULL, 'q' },
		{ "timeout", 1, NULL, 't' }, { "vary-sport", 1, NULL, 'V' }, { "first-seq", 1, NULL, 'F' },
		{ "from-mac", 1, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode;
	int c;

	if (argc < 3)
		usage();
	mode = argv[1];
	o.ifname = argv[2];
	optind = 3;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (util_parse_mac(optarg, o.dst_mac))
				usage();
			o.have_dst_mac = true;
			break;
		case 'S':
			if (util_parse_mac(optarg, o.src_mac))
				usage();
			o.have_src_mac = true;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o.src_ip) != 1)
				usage();
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &o.dst_ip) != 1)
				usage();
			break;
		case 'p': o.sport = (uint16_t)atoi(optarg); break;
		case 'P': o.dport = (uint16_t)atoi(optarg); break;
		case 'V': o.vary_sport = (uint32_t)atoi(optarg); break;
		case 'F': o.first_seq = strtoull(optarg, NULL, 0); break;
		case 'M':
			if (util_parse_mac(optarg, o.from_mac))
				usage();
			o.have_from_mac = true;
			break;
		case 'c': o.count = strtoull(optarg, NULL, 0); break;
		case 'r': o.rate = atof(optarg); break;
		case 'z': o.size = (size_t)atoi(optarg); break;
		case 'v': o.vlan = (uint16_t)atoi(optarg); break;
		case 'o': o.port = (uint32_t)atoi(optarg); break;
		case 'q': o.queues = atoi(optarg); break;
		case 't': o.timeout = atof(optarg); break;
		default: usage();
		}
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "send"))
		return do_send();
	if (!strcmp(mode, "recv-packet"))
		return do_recv_packet();
	if (!strcmp(mode, "recv-xsk"))
		return do_recv_xsk();
	usage();
	return 2;
}
