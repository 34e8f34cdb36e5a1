// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xvio-gen: the traffic generator and latency probe of `make bench`.
 *
 *   xvio-gen tx IFNAME --dst-mac MAC [--src-mac MAC] [--size BYTES]
 *            [--rate PPS] [--secs S] [--queue Q] [--batch N]
 *       an AF_XDP transmit-only socket (copy mode on veth; no XDP program
 *       needed), frames built once in the UMEM. Batches are paced when
 *       --rate is given (0 = as fast as possible): the sender sleeps
 *       between batches, so it leaves a CPU it shares with a guest alone.
 *       (BPF_PROG_RUN with live frames and XDP_TX was tried and dropped:
 *       each call sets up a page pool, docs/performance.md.)
 *       Prints one JSON line: {"sent":N,"secs":S,"pps":R,...}
 *
 *   xvio-gen live IFNAME --dst-mac MAC [--src-mac MAC] [--size BYTES]
 *            [--rate PPS] [--secs S] [--batch N] [--duty PCT]
 *       XDP frames without an skb: BPF_PROG_RUN with live frames of a
 *       program that returns bpf_redirect(IFNAME), N frames a call (default
 *       64; the kernel sends them 64 at a time), so IFNAME transmits them
 *       with ndo_xdp_xmit straight into its peer's XDP program. The program
 *       stays attached (generic mode) to this namespace's lo for the
 *       generator's lifetime: without a user the kernel re-patches its XDP
 *       dispatcher at every call (about 0.5 ms). lo must carry no traffic
 *       meanwhile: whatever it would carry goes out of IFNAME. Paced like
 *       tx. --duty PCT (default 100): after each call, rest (100 - PCT) /
 *       PCT of the call's time before the next, so the sender and the
 *       receive work its calls cause on this CPU (veth NAPI, the peer's XDP,
 *       AF_XDP copies, in softirq) take at most PCT % of it, as a NIC's
 *       receive work under sustained load moves to ksoftirqd and shares the
 *       CPU; a SCHED_FIFO sender that cannot keep its rate otherwise holds
 *       its CPU but for the kernel's real-time throttle. Prints
 *       {"sent":N,"secs":S,"pps":R,...}: frames handed to the program; what
 *       reached the peer is the receiver's to count.
 *
 *   xvio-gen sink IFNAME [--secs S]
 *       attaches an XDP_DROP program to IFNAME (native mode) for S seconds
 *       and reports how many frames the device received meanwhile: a wire
 *       sink that costs no CPU of its own beyond the driver's receive path.
 *       Prints {"received":N,"secs":S,"pps":R}.
 *
 *   xvio-gen xsk-sink IFNAME [--secs S] [--queue Q]
 *       the AF_XDP ceiling: an AF_XDP socket on queue Q with libxdp's own
 *       redirect-everything program, whose loop only hands each received
 *       frame back to the fill ring, never sleeping (run it on the bridge's
 *       CPU). What a bridge that also moved frames into a guest could reach
 *       at best. Prints "ready", then {"received":N,"secs":S,"pps":R,
 *       "xdp_rx_ring_full":N,"xdp_fill_empty":N}.
 *
 *   xvio-gen rtt IFNAME --dst-mac MAC [--count N] [--rate PPS] [--size B]
 *       AF_PACKET probe at a low rate: each frame carries a send timestamp;
 *       the reflected frame (a macswap guest sends it back) gives one
 *       round-trip time. Prints JSON: sent, received and p50/p99/p99.9/max
 *       in microseconds.
 *
 * Sizes are Ethernet frames as the kernel sees them: the 4-byte FCS is not
 * counted (a veth has none).
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
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>
#include "loader.h"
#include "util.h"
#include "../lib/pkt.h"

#define NFRAMES 4096
#define FRAME_SZ 2048
#define RING 2048
#define MAX_BATCH 256
#define MAX_LIVE_BATCH 65536
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* Linux 6.17 */
#endif
#define RTT_MAGIC 0x58525454u /* "XRTT" */

static struct {
	const char *ifname;
	uint8_t dst_mac[6], src_mac[6];
	bool have_dst, have_src;
	size_t size;
	double rate, secs;
	unsigned int queue, batch, duty;
	unsigned long count;
} o = { .size = 64, .secs = 5, .batch = 64, .count = 2000, .rate = 0, .duty = 100 };

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "xvio-gen: %s: %s\n", what, strerror(err));
	exit(1);
}

static void if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die(ifname, errno);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

/* A UDP frame of exactly o.size bytes; @stamp words go first in the payload. */
static void build(struct pkt *p, const void *stamp, size_t stamp_len)
{
	size_t hdr = 14 + 20 + 8, plen;

	pkt_init(p);
	pkt_eth(p, o.dst_mac, o.src_mac, ETH_P_IP);
	pkt_ipv4(p, htonl(0xc6126401), htonl(0xc6126463), IPPROTO_UDP, 0, 0);
	pkt_udp(p, 9000, 9001);
	plen = o.size > hdr ? o.size - hdr : 0;
	if (stamp_len > plen)
		stamp_len = plen;
	pkt_bytes(p, stamp, stamp_len);
	pkt_zeros(p, plen - stamp_len);
	pkt_finish(p);
}

/* Wakeups more than 1 ms after they were due: a host that does not run us
 * when asked (a VM descheduled) explains a paced rate not kept; reported
 * as "late" in the JSON lines. */
static uint64_t late_wakeups, late_ns;

/* Sleep until @due (CLOCK_MONOTONIC ns). */
static void wait_due(uint64_t due)
{
	struct timespec ts = { (time_t)(due / 1000000000ull), (long)(due % 1000000000ull) };
	uint64_t lag;

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	lag = now_ns() - due;
	if ((int64_t)lag > 1000000) {
		late_wakeups++;
		late_ns += lag;
	}
}

/* An XDP program that is "return @verdict;": dies if it cannot load. */
static int verdict_prog(int verdict, const char *name)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, 2, NULL);

	if (fd < 0)
		die(name, errno);
	return fd;
}

/* "return bpf_redirect(@ifindex, 0);" */
static int redirect_prog(int ifindex)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xvio_gen_live", "GPL", insns, 4, NULL);

	if (fd < 0)
		die("loading the redirect program", errno);
	return fd;
}

static int cmd_live(void)
{
	int ifindex = (int)if_nametoindex(o.ifname), lo = (int)if_nametoindex("lo"), fd;
	struct xdp_md ctx = { 0 };
	uint64_t start, end, t, sent = 0, sched = 0, calls = 0, rest = 0, not_before = 0, busy = 0;
	struct pkt p;

	if (!ifindex)
		die(o.ifname, ENODEV);
	if (!lo)
		die("lo", ENODEV);
	if (o.duty < 1 || o.duty > 100) {
		fprintf(stderr, "xvio-gen: --duty: 1..100 (percent)\n");
		exit(2);
	}
	fd = redirect_prog(ifindex);
	if (bpf_xdp_attach(lo, fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL))
		die("keeping the program attached to lo (generic XDP)", errno);
	build(&p, NULL, 0);
	ctx.data_end = (__u32)p.len;
	ctx.ingress_ifindex = (__u32)lo;
	start = now_ns();
	end = start + (uint64_t)(o.secs * 1e9);
	while (!stop && (t = now_ns()) < end) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.buf, .data_size_in = (__u32)p.len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = o.batch,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (o.rate > 0) {
			/* as tx: sleep until the call is due, never burst to catch up */
			uint64_t due = start + (uint64_t)((double)sched * 1e9 / o.rate);

			if (due < not_before)
				due = not_before;
			if (due > t + 2000) {
				wait_due(due);
				continue;
			}
			if (t > due + 1000000ull)
				sched = (uint64_t)((double)(t - start) * o.rate / 1e9);
		}
		if (bpf_prog_test_run_opts(fd, &opts)) {
			int err = errno;

			bpf_xdp_detach(lo, XDP_FLAGS_SKB_MODE, NULL); /* never leave lo redirecting */
			die("BPF_PROG_RUN (live frames)", err);
		}
		sent += o.batch;
		sched += o.batch;
		calls++;
		if (o.duty < 100) {
			/* A call's time includes the receive side's softirq work on
			 * this CPU: rest in proportion, as a NIC's receive work
			 * under sustained load goes to ksoftirqd and shares. The
			 * proportion is kept over the run, not per call: a sleep
			 * that overran (a busy host) shortens the next rest. */
			uint64_t u = now_ns(), want, off;

			busy += u - t;
			want = busy * (100 - o.duty) / o.duty;
			off = want > rest ? want - rest : 0;
			not_before = u + off;
			if (o.rate <= 0) {
				wait_due(not_before);
				rest += now_ns() - u; /* what it really rested */
			} else {
				rest += off;
			}
		}
	}
	t = now_ns();
	bpf_xdp_detach(lo, XDP_FLAGS_SKB_MODE, NULL);
	close(fd);
	printf("{\"sent\":%llu,\"secs\":%.3f,\"pps\":%.0f,\"size\":%zu,\"calls\":%llu,"
	       "\"duty\":%u,\"rested_secs\":%.3f,\"late\":%llu,\"late_ms\":%.1f}\n",
	       (unsigned long long)sent, (double)(t - start) / 1e9,
	       (double)sent * 1e9 / (double)(t - start), p.len, (unsigned long long)calls,
	       o.duty, (double)rest / 1e9, (unsigned long long)late_wakeups, (double)late_ns / 1e6);
	return 0;
}

/* NFRAMES frames of anonymous memory made a UMEM; dies on failure. */
static void *umem_new(struct xsk_umem **umem, struct xsk_ring_prod *fq, struct xsk_ring_cons *cq,
		      const struct xsk_umem_config *cfg)
{
	void *area = mmap(NULL, (size_t)NFRAMES * FRAME_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (area == MAP_FAILED)
		die("mmap", errno);
	err = xsk_umem__create(umem, area, (uint64_t)NFRAMES * FRAME_SZ, fq, cq, cfg);
	if (err)
		die("xsk_umem__create", -err);
	return area;
}

static int cmd_tx(void)
{
	struct xsk_umem_config ucfg = { .fill_size = RING, .comp_size = RING,
					.frame_size = FRAME_SZ };
	struct xsk_socket_config scfg = {
		.rx_size = 0, .tx_size = RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	/* libxdp leaves the rings' cached indexes as it found them: zero them */
	struct xsk_ring_prod fq = { 0 }, tx = { 0 };
	struct xsk_ring_cons cq = { 0 };
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	unsigned int budget = RING, i, out = 0, next = 0;
	uint64_t start, end, t, sent = 0, queued = 0;
	struct pkt p;
	void *area;
	int err, fd;

	if (o.batch > MAX_BATCH) {
		fprintf(stderr, "xvio-gen: tx --batch: at most %d\n", MAX_BATCH);
		exit(2);
	}
	area = umem_new(&umem, &fq, &cq, &ucfg);
	err = xsk_socket__create(&xsk, o.ifname, o.queue, umem, NULL, &tx, &scfg);
	if (err)
		die("xsk_socket__create", -err);
	fd = xsk_socket__fd(xsk);
	/* Copy mode sends at most 32 frames per sendto unless told more
	 * (Linux 6.17+); older kernels say ENOPROTOOPT and keep 32. */
	if (setsockopt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget)))
		budget = 32;
	build(&p, NULL, 0);
	for (i = 0; i < NFRAMES; i++)
		memcpy((uint8_t *)area + (size_t)i * FRAME_SZ, p.buf, p.len);

	start = now_ns();
	end = start + (uint64_t)(o.secs * 1e9);
	while (!stop && (t = now_ns()) < end) {
		uint32_t idx, n, done, want = o.batch;

		done = xsk_ring_cons__peek(&cq, RING, &idx);
		if (done) {
			xsk_ring_cons__release(&cq, done);
			out -= done;
			sent += done;
		}
		if (o.rate > 0) {
			/* Batch k is due at start + k * batch / rate: sleep (never
			 * spin) until then, so a generator sharing its CPU with a
			 * guest leaves that CPU to the guest between batches. A
			 * generator that fell behind does not burst to catch up. */
			uint64_t due = start + (uint64_t)((double)queued * 1e9 / o.rate);

			if (due > t + 2000) {
				/* Hand the last batch to the kernel once, then sleep
				 * even if the device did not take all of it: what it
				 * refused goes with the next batch. */
				if (out)
					sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
				wait_due(due);
				continue;
			}
			if (t > due + 1000000ull) /* > 1 ms behind: skip ahead */
				queued = (uint64_t)((double)(t - start) * o.rate / 1e9);
		}
		if (want > NFRAMES - out)
			want = NFRAMES - out;
		n = want ? xsk_ring_prod__reserve(&tx, want, &idx) : 0;
		for (i = 0; i < n; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx, idx + i);

			d->addr = (uint64_t)next * FRAME_SZ;
			d->len = (uint32_t)p.len;
			d->options = 0;
			next = (next + 1) % NFRAMES;
		}
		if (n) {
			xsk_ring_prod__submit(&tx, n);
			out += n;
			queued += n;
		}
		if (out && sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
			die("sendto", errno);
		/* Nothing completed and nothing new fits: the device holds all our
		 * frames (veth's ring is full). Back off instead of spinning, or a
		 * SCHED_FIFO generator takes the CPU from the guest it feeds. */
		if (!done && !n)
			wait_due(now_ns() + 20000);
	}
	t = now_ns();
	/* Collect what is still completing, briefly. */
	for (i = 0; i < 100 && out; i++) {
		uint32_t idx, n = xsk_ring_cons__peek(&cq, RING, &idx);

		if (n) {
			xsk_ring_cons__release(&cq, n);
			out -= n;
			sent += n;
		} else {
			sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
			usleep(1000);
		}
	}
	printf("{\"sent\":%llu,\"secs\":%.3f,\"pps\":%.0f,\"size\":%zu,\"budget\":%u,"
	       "\"late\":%llu,\"late_ms\":%.1f}\n",
	       (unsigned long long)sent, (double)(t - start) / 1e9,
	       (double)sent * 1e9 / (double)(t - start), p.len, budget,
	       (unsigned long long)late_wakeups, (double)late_ns / 1e6);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	munmap(area, (size_t)NFRAMES * FRAME_SZ);
	return 0;
}

static uint64_t rx_packets(void)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets", o.ifname);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		die(path, errno ? errno : EIO);
	fclose(f);
	return v;
}

static int cmd_sink(void)
{
	int ifindex = (int)if_nametoindex(o.ifname), fd;
	uint64_t a, b, t0, t1;
	struct timespec ts;

	if (!ifindex)
		die(o.ifname, ENODEV);
	fd = verdict_prog(XDP_DROP, "xvio_sink");
	if (bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL))
		die("attaching the sink (native XDP)", errno);
	/* Let frames already in flight land before counting. */
	usleep(100000);
	a = rx_packets();
	t0 = now_ns();
	printf("ready\n"); /* counting from here on */
	fflush(stdout);
	ts.tv_sec = (time_t)o.secs;
	ts.tv_nsec = (long)((o.secs - (double)ts.tv_sec) * 1e9);
	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
	b = rx_packets();
	t1 = now_ns();
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	close(fd);
	printf("{\"received\":%llu,\"secs\":%.3f,\"pps\":%.0f}\n", (unsigned long long)(b - a),
	       (double)(t1 - t0) / 1e9, (double)(b - a) * 1e9 / (double)(t1 - t0));
	return 0;
}

static void sleep_secs(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Hand up to 64 received frames straight back to the fill ring. The
 * kernel publishes what it took from the fill ring lazily, so the ring may
 * look full for a moment: frames that do not fit stay in the RX ring. */
static uint32_t recycle(struct xsk_ring_cons *rx, struct xsk_ring_prod *fq)
{
	uint32_t idx, f, k, n = xsk_ring_cons__peek(rx, 64, &idx);

	if (!n)
		return 0;
	if (xsk_ring_prod__reserve(fq, n, &f) != n) { /* all or nothing */
		xsk_ring_cons__cancel(rx, n);
		return 0;
	}
	for (k = 0; k < n; k++)
		*xsk_ring_prod__fill_addr(fq, f + k) =
			xsk_ring_cons__rx_desc(rx, idx + k)->addr & ~(uint64_t)(FRAME_SZ - 1);
	xsk_ring_prod__submit(fq, n);
	xsk_ring_cons__release(rx, n);
	return n;
}

static int cmd_xsk_sink(void)
{
	struct xsk_umem_config ucfg = { .fill_size = RING, .comp_size = RING,
					.frame_size = FRAME_SZ };
	struct xsk_socket_config scfg = { .rx_size = RING, .tx_size = 0 };
	struct xsk_ring_prod fq = { 0 };
	struct xsk_ring_cons cq = { 0 }, rx = { 0 };
	struct xdp_statistics xs = { 0 };
	socklen_t xslen = sizeof(xs);
	uint64_t got = 0, t0, t1, end;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	uint32_t idx, i, n;
	void *area;
	int err;

	area = umem_new(&umem, &fq, &cq, &ucfg);
	/* The queue of a socket closed a moment ago may still be bound. */
	for (i = 0; i < 50; i++) {
		err = xsk_socket__create(&xsk, o.ifname, o.queue, umem, &rx, NULL, &scfg);
		if (err != -EBUSY)
			break;
		sleep_secs(0.1);
	}
	if (err)
		die("xsk_socket__create (is another XDP program attached?)", -err);
	n = xsk_ring_prod__reserve(&fq, RING, &idx);
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&fq, idx + i) = (uint64_t)i * FRAME_SZ;
	xsk_ring_prod__submit(&fq, n);
	/* Let frames already in flight land, uncounted, before counting. */
	sleep_secs(0.1);
	while (recycle(&rx, &fq))
		;
	printf("ready\n");
	fflush(stdout);
	t0 = now_ns();
	end = t0 + (uint64_t)(o.secs * 1e9);
	while (!stop) {
		n = recycle(&rx, &fq);
		got += n;
		/* the clock only when idle or every 64 Ki frames */
		if ((!n || (got & 0xffff) < n) && now_ns() >= end)
			break;
	}
	t1 = now_ns();
	getsockopt(xsk_socket__fd(xsk), SOL_XDP, XDP_STATISTICS, &xs, &xslen);
	printf("{\"received\":%llu,\"secs\":%.3f,\"pps\":%.0f,\"xdp_rx_ring_full\":%llu,"
	       "\"xdp_fill_empty\":%llu}\n",
	       (unsigned long long)got, (double)(t1 - t0) / 1e9,
	       (double)got * 1e9 / (double)(t1 - t0), (unsigned long long)xs.rx_ring_full,
	       (unsigned long long)xs.rx_fill_ring_empty_descs);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	munmap(area, (size_t)NFRAMES * FRAME_SZ);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, unsigned long n, double q)
{
	unsigned long i;

	if (!n)
		return -1;
	i = (unsigned long)(q * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

static int cmd_rtt(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	uint64_t *rtt = calloc(o.count, sizeof(*rtt));
	uint64_t start, gap, deadline;
	unsigned long sent = 0, got = 0, bad = 0;
	uint8_t buf[2048];
	struct pkt p;
	int fd;

	if (!rtt)
		die("calloc", ENOMEM);
	if (o.rate <= 0)
		o.rate = 1000;
	gap = (uint64_t)(1e9 / o.rate);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("AF_PACKET socket", errno);
	sll.sll_ifindex = (int)if_nametoindex(o.ifname);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die(o.ifname, errno ? errno : ENODEV);

	start = now_ns();
	deadline = start;
	while (!stop) {
		uint64_t t = now_ns();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec to;
		uint64_t wait_ns;

		if (sent < o.count && t >= deadline) {
			uint32_t stamp[4] = { htonl(RTT_MAGIC), htonl((uint32_t)sent) };
			uint64_t ts = now_ns();

			memcpy(&stamp[2], &ts, sizeof(ts));
			build(&p, stamp, sizeof(stamp));
			if (send(fd, p.buf, p.len, 0) < 0)
				die("send", errno);
			sent++;
			deadline += gap;
			continue;
		}
		if (sent >= o.count && t > deadline + 200000000ull)
			break; /* 200 ms for the last replies */
		/* Sleep exactly until the next send (the probe may run
		 * SCHED_FIFO beside a guest: it must never spin). */
		wait_ns = sent < o.count ? (deadline > t ? deadline - t : 0) : 50000000ull;
		to.tv_sec = (time_t)(wait_ns / 1000000000ull);
		to.tv_nsec = (long)(wait_ns % 1000000000ull);
		if (ppoll(&pfd, 1, &to, NULL) <= 0)
			continue;
		for (;;) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);
			uint64_t rx = now_ns(), ts;
			uint32_t magic, seq;
			size_t off = 14 + 20 + 8;

			if (r < 0)
				break;
			if (from.sll_pkttype == PACKET_OUTGOING || (size_t)r < off + 16)
				continue;
			memcpy(&magic, buf + off, 4);
			if (ntohl(magic) != RTT_MAGIC)
				continue;
			memcpy(&seq, buf + off + 4, 4);
			memcpy(&ts, buf + off + 8, 8);
			seq = ntohl(seq);
			if (seq >= sent || ts < start || ts > rx || got >= o.count) {
				bad++;
				continue;
			}
			rtt[got++] = rx - ts;
		}
	}
	qsort(rtt, got, sizeof(*rtt), cmp_u64);
	printf("{\"sent\":%lu,\"received\":%lu,\"bad\":%lu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	       "\"p999_us\":%.1f,\"max_us\":%.1f}\n",
	       sent, got, bad, pct(rtt, got, 0.5), pct(rtt, got, 0.99), pct(rtt, got, 0.999),
	       got ? (double)rtt[got - 1] / 1000.0 : -1.0);
	close(fd);
	free(rtt);
	return got ? 0 : 1;
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: xvio-gen tx IFNAME --dst-mac MAC [--src-mac MAC] [--size B] [--rate PPS]\n"
		"                [--secs S] [--queue Q] [--batch N]\n"
		"       xvio-gen live IFNAME --dst-mac MAC [--src-mac MAC] [--size B] [--rate PPS]\n"
		"                [--secs S] [--batch N] [--duty PCT]\n"
		"       xvio-gen sink IFNAME [--secs S]\n"
		"       xvio-gen xsk-sink IFNAME [--secs S] [--queue Q]\n"
		"       xvio-gen rtt IFNAME --dst-mac MAC [--count N] [--rate PPS] [--size B]\n");
	exit(code);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst-mac", required_argument, NULL, 'd' }, { "src-mac", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },    { "rate", required_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 't' },    { "queue", required_argument, NULL, 'q' },
		{ "batch", required_argument, NULL, 'b' },   { "count", required_argument, NULL, 'c' },
		{ "duty", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *cmd;
	int c;

	if (argc < 3)
		usage(argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2);
	cmd = argv[1];
	o.ifname = argv[2];
	optind = 3;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *e = NULL;

		switch (c) {
		case 'd':
			if (util_parse_mac(optarg, o.dst_mac))
				usage(2);
			o.have_dst = true;
			break;
		case 's':
			if (util_parse_mac(optarg, o.src_mac))
				usage(2);
			o.have_src = true;
			break;
		case 'z':
			o.size = strtoul(optarg, &e, 0);
			if (*e || o.size < 60 || o.size > FRAME_SZ - 256) {
				fprintf(stderr, "xvio-gen: --size %s: 60..%d bytes\n", optarg,
					FRAME_SZ - 256);
				exit(2);
			}
			break;
		case 'r':
			o.rate = strtod(optarg, &e);
			break;
		case 't':
			o.secs = strtod(optarg, &e);
			break;
		case 'q':
			o.queue = (unsigned int)strtoul(optarg, &e, 0);
			break;
		case 'b':
			o.batch = (unsigned int)strtoul(optarg, &e, 0);
			if (!o.batch || o.batch > MAX_LIVE_BATCH)
				usage(2);
			break;
		case 'c':
			o.count = strtoul(optarg, &e, 0);
			break;
		case 'u':
			o.duty = (unsigned int)strtoul(optarg, &e, 0);
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
		if (e && *e) {
			fprintf(stderr, "xvio-gen: bad number '%s'\n", optarg);
			exit(2);
		}
	}
	if (!o.have_dst && strcmp(cmd, "sink") && strcmp(cmd, "xsk-sink")) {
		fprintf(stderr, "xvio-gen: --dst-mac is required\n");
		exit(2);
	}
	if (!o.have_src)
		if_mac(o.ifname, o.src_mac);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	if (!strcmp(cmd, "tx"))
		return cmd_tx();
	if (!strcmp(cmd, "live"))
		return cmd_live();
	if (!strcmp(cmd, "sink"))
		return cmd_sink();
	if (!strcmp(cmd, "xsk-sink"))
		return cmd_xsk_sink();
	if (!strcmp(cmd, "rtt"))
		return cmd_rtt();
	usage(2);
	return 2;
}
