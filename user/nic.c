// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NIC port: XDP program + AF_XDP sockets <-> guests. See nic.h.
 *
 * Frame path from the wire: XDP looks the frame up (flow table, then L2
 * table) and redirects it to the socket of guest port P on its rx queue
 * (XSKMAP slot P*64+q), or to the queue's flood socket (slot q) for
 * broadcast/multicast; everything else stays in the kernel. Here each
 * queue's sockets are drained in bursts: a guest socket's frames are copied
 * into that guest's receive ring, the flood socket's into every guest's and,
 * with host=on, handed to the host stack too (XDP cannot both pass and
 * redirect a frame, so it is re-injected with BPF_PROG_RUN in live-frames
 * mode, which delivers XDP_PASS frames to the stack as if they had just
 * arrived on the NIC). UMEM frames go straight back to the fill ring.
 *
 * Towards the wire: guest frames for a MAC behind the NIC (or unknown) are
 * copied into free UMEM frames and sent on the queue's flood socket's TX
 * ring. A queue is used by one burst at a time (its lock); guest receive
 * rings are locked inside, never the other way round.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "jsonw.h"
#include "log.h"
#include "nic.h"

#define BURST VHU_BURST

int nic_parse(const char *arg, struct nic *n, char *err, size_t errlen)
{
	char buf[128], *tok, *save = NULL;
	__u32 v;

	memset(n, 0, sizeof(*n));
	n->host = true;
	n->busy_poll = NIC_BUSY_POLL_AUTO;
	n->inject_fd = -1;
	snprintf(buf, sizeof(buf), "%s", arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok || !*tok || strlen(tok) >= sizeof(n->ifname)) {
		snprintf(err, errlen, "--nic needs an interface name");
		return -EINVAL;
	}
	snprintf(n->ifname, sizeof(n->ifname), "%s", tok);
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "queues=", 7)) {
			if (loader_parse_u32(tok + 7, XVIO_MAX_QUEUES, &v) || !v) {
				snprintf(err, errlen, "--nic %s: queues=%s (1..%d)", n->ifname, tok + 7,
					 XVIO_MAX_QUEUES);
				return -EINVAL;
			}
			n->nqueues = v;
		} else if (!strncmp(tok, "mode=", 5)) {
			if (loader_parse_mode(tok + 5, &n->mode)) {
				snprintf(err, errlen, "--nic %s: mode=%s (native, skb or auto)",
					 n->ifname, tok + 5);
				return -EINVAL;
			}
		} else if (!strncmp(tok, "busy_poll=", 10)) {
			if (loader_parse_u32(tok + 10, 1000000, &v)) {
				snprintf(err, errlen, "--nic %s: busy_poll=%s (microseconds)",
					 n->ifname, tok + 10);
				return -EINVAL;
			}
			n->busy_poll = v;
		} else if (!strcmp(tok, "host=on") || !strcmp(tok, "host=off")) {
			n->host = !strcmp(tok, "host=on");
		} else {
			snprintf(err, errlen,
				 "--nic %s: unknown option '%s' (queues=, mode=, host=, busy_poll=)",
				 n->ifname, tok);
			return -EINVAL;
		}
	}
	return 0;
}

/* Queues the device has (rx-N entries in sysfs), capped at XVIO_MAX_QUEUES. */
static unsigned int device_queues(const char *ifname)
{
	unsigned int n = 0;
	char path[128];

	for (;;) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u", ifname, n);
		if (access(path, F_OK) || n == XVIO_MAX_QUEUES)
			break;
		n++;
	}
	return n ? n : 1;
}

static int read_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* r0 = XDP_PASS; exit. Run on live frames it delivers them to the stack. */
static int load_inject_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xvio_inject", "GPL", insns, 2, NULL);
}

static void host_inject(struct nic *n, const void *frame, uint32_t len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = (__u32)n->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 1);

	if (n->inject_fd < 0 || len < 14)
		return;
	if (bpf_prog_test_run_opts(n->inject_fd, &opts))
		n->host_inject_errors++;
	else
		n->host_injected++;
}

int nic_setup(struct daemon *d, struct nic *n)
{
	struct loader_status st;
	char err[160];
	unsigned int q, i;
	int rc;

	n->ifindex = (int)if_nametoindex(n->ifname);
	if (!n->ifindex) {
		pr_err("--nic %s: no such interface (check `ip link`)", n->ifname);
		return -ENODEV;
	}
	if (read_mac(n->ifname, n->mac))
		pr_warn("%s: cannot read its MAC address", n->ifname);
	if (!n->nqueues)
		n->nqueues = device_queues(n->ifname);
	/* A program or pins left by a crashed xviod are replaced (fresh
	 * tables: libbpf 1.1 cannot reuse the pinned devmap). */
	rc = loader_attach(n->ifname, n->mode, true, &st);
	for (i = 0; rc && rc != -ENODEV && i < 10; i++) {
		/* Right after a crashed xviod the kernel may still be tearing
		 * down its program's users (sockets, maps): try again shortly. */
		pr_warn("%s: attaching failed (%s); retrying", n->ifname, strerror(-rc));
		usleep(200 * 1000);
		rc = loader_attach(n->ifname, n->mode, true, &st);
	}
	if (rc) {
		pr_err("%s: cannot attach the XDP program (%s); see the lines above", n->ifname,
		       strerror(-rc));
		return rc;
	}
	pr_info("%s: XDP program attached in %s mode%s", n->ifname, st.mode,
		st.dispatcher ? " behind libxdp's dispatcher" : "");
	rc = loader_maps__open(n->ifname, true, &n->maps);
	if (rc)
		goto err_detach;
	n->inject_fd = n->host ? load_inject_prog() : -1;
	if (n->host && n->inject_fd < 0)
		pr_warn("%s: cannot load the host re-injection program (%s); broadcasts will "
			"reach the guests but not the host stack", n->ifname, strerror(errno));

	for (q = 0; q < n->nqueues; q++) {
		struct afxdp_sock *s;

		atomic_flag_clear(&n->lock[q]);
		rc = afxdp_queue__new(n->ifname, q, NIC_RING_SIZE, &n->q[q]);
		if (rc) {
			pr_err("%s q%u: cannot create the UMEM: %s", n->ifname, q, strerror(-rc));
			goto err_queues;
		}
		/* Flood socket (port 0) first: it also carries the queue's TX. */
		rc = afxdp_queue__add_socket(n->q[q], XVIO_PORT_FLOOD, &s, err, sizeof(err));
		if (!rc)
			rc = loader_maps__xsk_set(n->maps, XVIO_PORT_FLOOD, q, s->fd);
		if (rc) {
			pr_err("%s", err);
			goto err_queues;
		}
		n->flood[q] = s;
		for (i = 0; i < d->nports; i++) {
			struct port *p = &d->ports[i];

			if (port_is_nic(p))
				continue;
			rc = afxdp_queue__add_socket(n->q[q], p->id, &s, err, sizeof(err));
			if (!rc)
				rc = loader_maps__xsk_set(n->maps, p->id, q, s->fd);
			if (rc) {
				pr_err("%s", err);
				goto err_queues;
			}
		}
	}
	/* Busy polling by default only when the pollers never sleep: then the
	 * poller, not whichever CPU took the interrupt, can run the queue's
	 * NAPI, for one recvfrom per round. Whether the driver lets it is known
	 * at the first frame (nic_check_napi). */
	if (n->busy_poll == NIC_BUSY_POLL_AUTO)
		n->busy_poll = d->mode == POLL_BUSY ? NIC_BUSY_POLL_DEFAULT : 0;
	for (q = 0; n->busy_poll && q < n->nqueues; q++) {
		rc = afxdp_queue__set_busy_poll(n->q[q], n->busy_poll, BURST * 2);
		if (rc) {
			pr_warn("%s q%u: preferred busy polling not available (%s); continuing "
				"without it", n->ifname, q, strerror(-rc));
			n->busy_poll = 0;
			while (q)
				n->q[--q]->busy_poll = false;
		}
	}
	pr_info("%s: %u queue(s), %s mode AF_XDP, %u socket(s) per queue, host stack %s",
		n->ifname, n->nqueues, n->q[0]->zerocopy ? "zero-copy" : "copy", n->q[0]->nsocks,
		n->host ? "also gets broadcast/multicast" : "gets no flooded frames");
	nic_l2_sync(d, n);
	return 0;

err_queues:
	for (q = 0; q < n->nqueues; q++) {
		afxdp_queue__free(n->q[q]);
		n->q[q] = NULL;
	}
	loader_maps__close(n->maps);
	n->maps = NULL;
err_detach:
	loader_detach(n->ifname, false);
	return rc;
}

void nic_teardown(struct daemon *d, struct nic *n)
{
	unsigned int q;

	(void)d;
	for (q = 0; q < n->nqueues; q++) {
		afxdp_queue__free(n->q[q]);
		n->q[q] = NULL;
	}
	if (n->inject_fd >= 0)
		close(n->inject_fd);
	n->inject_fd = -1;
	loader_maps__close(n->maps);
	n->maps = NULL;
	/* No stale program or pin is left for the next xviod. */
	if (!loader_detach(n->ifname, false))
		pr_info("%s: XDP program detached, pins removed", n->ifname);
}

int nic_watch(struct nic *n, struct poller *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i, s;

	for (i = 0; i < p->nnic_q; i++) {
		struct afxdp_queue *q = n->q[p->nic_q[i]];

		for (s = 0; s < q->nsocks; s++) {
			ev.data.fd = -1; /* nothing to drain: the rings are read by the loop */
			if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, q->socks[s].fd, &ev))
				return -errno;
		}
	}
	return 0;
}

static void qlock(struct nic *n, unsigned int q)
{
	while (atomic_flag_test_and_set_explicit(&n->lock[q], memory_order_acquire))
		__builtin_ia32_pause();
}

static void qunlock(struct nic *n, unsigned int q)
{
	atomic_flag_clear_explicit(&n->lock[q], memory_order_release);
}

/* ---- data path ---------------------------------------------------------------- */

/* Once, at a busy-polled queue's first frame: a socket without a NAPI id
 * (veth since Linux 6.13 registers its XDP queue before its NAPI has one)
 * cannot be busy polled, and each round's recvfrom would only cost a
 * syscall. Say so and stop. */
static void nic_check_napi(struct nic *n, unsigned int qi, const struct afxdp_sock *sk)
{
	struct afxdp_queue *q = n->q[qi];
	int id = afxdp_sock__napi_id(sk);

	q->napi_checked = true;
	if (id > 0) {
		pr_info("%s q%u: busy polling NAPI %d", n->ifname, qi, id);
		return;
	}
	q->busy_poll = false;
	pr_warn("%s q%u: busy_poll has no effect here: %s; turned off for this queue (the "
		"kernel's RX work stays on the CPU that receives)",
		n->ifname, qi,
		id == 0 ? "the driver gives its AF_XDP queue no NAPI id" : strerror(-id));
}

unsigned int nic_rx_burst(struct poller *p, struct nic *n, unsigned int qi)
{
	struct daemon *d = p->d;
	struct afxdp_queue *q = n->q[qi];
	struct port_stats *ns = &p->stats[n->port->id - 1];
	struct afxdp_frame f[BURST];
	struct vhu_pkt *pk = p->pkts;
	uint32_t now = atomic_load_explicit(&d->now, memory_order_relaxed);
	unsigned int s, i, got, total = 0, pi;

	qlock(n, qi);
	afxdp_queue__busy_poll(q);
	afxdp_queue__complete(q);
	if (afxdp_queue__tx_kick(q))
		p->nic_tx_pending = true;
	for (s = 0; s < q->nsocks; s++) {
		struct afxdp_sock *sk = &q->socks[s];

		got = afxdp_sock__rx_peek(q, sk, f, BURST);
		if (!got)
			continue;
		if (q->busy_poll && !q->napi_checked)
			nic_check_napi(n, qi, sk);
		for (i = 0; i < got; i++) {
			p->nseg[i].base = f[i].data;
			p->nseg[i].len = f[i].len;
			pk[i].segs = &p->nseg[i];
			pk[i].nsegs = 1;
			pk[i].len = f[i].len;
			ns->from_guest++;
			ns->from_guest_bytes += f[i].len;
			/* Hosts behind the NIC: their replies go straight back. Learn
			 * once per run of frames from the same source. */
			if (f[i].len >= 14 &&
			    (i == 0 || f[i - 1].len < 14 ||
			     memcmp((const uint8_t *)f[i].data + 6, (const uint8_t *)f[i - 1].data + 6,
				    6)) &&
			    fwd_learn(d->fwd, (const uint8_t *)f[i].data + 6, (uint16_t)n->port->id,
				      now))
				eventfd_write(d->learn_efd, 1);
		}
		if (sk->port != XVIO_PORT_FLOOD) {
			struct port *dst = sk->port <= d->nports ? &d->ports[sk->port - 1] : NULL;
			unsigned int done = 0, keep = 0;

			if (dst)
				done = pollers_deliver(p, dst, qi, pk, got,
						       sk->stalled < NIC_STALL_ROUNDS);
			/* A guest out of receive buffers: leave the rest in the
			 * RX ring for the next round rather than drop it (the ring
			 * is the buffer a NIC has). A guest that takes nothing
			 * for NIC_STALL_ROUNDS rounds is dropped for again, so a
			 * stuck guest cannot hold the queue's UMEM. */
			if (done)
				sk->stalled = 0;
			else if (sk->stalled < NIC_STALL_ROUNDS)
				sk->stalled++;
			if (done < got && sk->stalled < NIC_STALL_ROUNDS &&
			    pollers_can_retry(dst, qi))
				keep = got - done;
			ns->fwd_unicast += done;
			ns->drop_dest_full += got - done - keep;
			if (keep) {
				for (i = got - keep; i < got; i++) {
					ns->from_guest--;
					ns->from_guest_bytes -= f[i].len;
				}
				afxdp_sock__rx_unpeek(q, sk, f + got - keep, keep);
				got -= keep;
			}
		} else {
			for (pi = 0; pi < d->nports; pi++) {
				struct port *dst = &d->ports[pi];
				unsigned int done;

				if (port_is_nic(dst))
					continue;
				done = pollers_deliver(p, dst, qi, pk, got, false);
				ns->flood_copies += done;
			}
			if (n->host)
				for (i = 0; i < got; i++)
					host_inject(n, f[i].data, f[i].len);
			ns->fwd_flood += got;
		}
		afxdp_sock__rx_release(q, sk, f, got);
		total += got;
	}
	afxdp_queue__refill(q, BURST * 2);
	qunlock(n, qi);
	return total;
}

unsigned int nic_tx(struct poller *p, struct nic *n, unsigned int qp, const struct vhu_pkt *pkts,
		    unsigned int cnt)
{
	unsigned int qi = qp % n->nqueues, i, k = 0, sent;
	struct afxdp_queue *q = n->q[qi];
	struct port_stats *ns = &p->stats[n->port->id - 1];
	uint64_t addr[BURST];
	uint32_t len[BURST];

	if (cnt > BURST)
		cnt = BURST;
	qlock(n, qi);
	for (i = 0; i < cnt; i++) {
		const struct vhu_pkt *pk = &pkts[i];
		uint8_t *dst;
		uint32_t off = 0;
		uint16_t s;

		if (pk->len > AFXDP_FRAME_SIZE) {
			q->stats.tx_too_big++;
			continue;
		}
		dst = afxdp_queue__tx_frame(q, &addr[k]);
		if (!dst) {
			q->stats.tx_no_frame++;
			continue;
		}
		for (s = 0; s < pk->nsegs; s++) {
			memcpy(dst + off, pk->segs[s].base, pk->segs[s].len);
			off += pk->segs[s].len;
		}
		len[k++] = off;
	}
	sent = afxdp_sock__tx_submit(q, n->flood[qi], addr, len, k);
	afxdp_queue__complete(q);
	qunlock(n, qi);
	ns->to_guest += sent;
	for (i = 0; i < sent; i++)
		ns->to_guest_bytes += len[i];
	return sent;
}

int nic_send_frame(struct nic *n, const void *frame, uint32_t len)
{
	struct afxdp_queue *q = n->q[0];
	uint64_t addr;
	uint8_t *dst;
	unsigned int sent;

	if (!q || len > AFXDP_FRAME_SIZE)
		return -EINVAL;
	qlock(n, 0);
	dst = afxdp_queue__tx_frame(q, &addr);
	if (!dst) {
		qunlock(n, 0);
		return -ENOBUFS;
	}
	memcpy(dst, frame, len);
	sent = afxdp_sock__tx_submit(q, n->flood[0], &addr, &len, 1);
	afxdp_queue__complete(q);
	qunlock(n, 0);
	return sent ? 0 : -ENOBUFS;
}

/* ---- control path -------------------------------------------------------------- */

struct l2_scan {
	struct daemon *d;
	struct xvio_l2_key del[1024];
	unsigned int ndel;
};

static bool guest_port(struct daemon *d, uint16_t port)
{
	return port >= 1 && port <= d->nports && !port_is_nic(&d->ports[port - 1]);
}

static int scan_l2(const struct xvio_l2_key *k, const struct xvio_action *a, void *arg)
{
	struct l2_scan *sc = arg;

	/* Only entries the daemon owns (guest sockets) are ours to remove. */
	if (a->kind != XVIO_ACT_XSK || k->vlan)
		return 0;
	if (fwd_lookup(sc->d->fwd, k->mac) != a->port && sc->ndel < 1024)
		sc->del[sc->ndel++] = *k;
	return 0;
}

int nic_l2_sync(struct daemon *d, struct nic *n)
{
	static struct fwd_entry e[FWD_SLOTS];
	static struct l2_scan sc;
	unsigned int i, cnt;

	if (!n->maps)
		return 0;
	sc.d = d;
	sc.ndel = 0;
	loader_maps__l2_foreach(n->maps, scan_l2, &sc);
	for (i = 0; i < sc.ndel; i++)
		loader_maps__l2_del(n->maps, &sc.del[i]);
	cnt = fwd_dump(d->fwd, atomic_load(&d->now), e, FWD_SLOTS);
	for (i = 0; i < cnt; i++) {
		struct xvio_l2_key k = { .vlan = 0 };
		struct xvio_action a = { .kind = XVIO_ACT_XSK, .port = e[i].port };

		if (!guest_port(d, e[i].port))
			continue;
		memcpy(k.mac, e[i].mac, 6);
		loader_maps__l2_add(n->maps, &k, &a, true);
	}
	return 0;
}

struct flow_print {
	FILE *out;
	bool json;
	struct jsonw w;
	int n;
};

static int print_flow(const struct xvio_flow_key *k, const struct xvio_action *a, void *arg)
{
	struct flow_print *fp = arg;
	char match[256], act[64];

	if (loader_format_flow(k, match, sizeof(match)) ||
	    loader_format_action(a, act, sizeof(act)))
		return 0;
	fp->n++;
	if (fp->json) {
		jsonw_obj_open(&fp->w, NULL);
		jsonw_str(&fp->w, "match", match);
		jsonw_str(&fp->w, "action", act);
		jsonw_obj_close(&fp->w);
	} else {
		fprintf(fp->out, "%-70s -> %s\n", match, act);
	}
	return 0;
}

void nic_flow_cmd(struct daemon *d, struct nic *n, int argc, char **argv, FILE *out, bool json)
{
	struct xvio_flow_key key;
	struct xvio_action act;
	struct flow_print fp = { .out = out, .json = json };
	char err[256];
	int rc;

	if (argc < 1) {
		fprintf(out, "error: flow add|del|list ...\n");
		return;
	}
	if (!strcmp(argv[0], "list")) {
		if (json) {
			jsonw_init(&fp.w, out);
			jsonw_arr_open(&fp.w, NULL);
		}
		loader_maps__flow_foreach(n->maps, print_flow, &fp);
		if (json) {
			jsonw_arr_close(&fp.w);
			jsonw_end(&fp.w);
		} else if (!fp.n) {
			fprintf(out, "(no flows on %s)\n", n->ifname);
		}
		return;
	}
	if (strcmp(argv[0], "add") && strcmp(argv[0], "del")) {
		fprintf(out, "error: unknown flow command '%s' (add, del, list)\n", argv[0]);
		return;
	}
	rc = loader_parse_flow(argc - 1, argv + 1, &key, !strcmp(argv[0], "add") ? &act : NULL,
			       err, sizeof(err));
	if (rc) {
		fprintf(out, "error: flow %s: %s\n", argv[0], err);
		return;
	}
	if (!strcmp(argv[0], "del")) {
		rc = loader_maps__flow_del(n->maps, &key);
		fprintf(out, rc ? "error: no such flow on %s\n" : "flow removed from %s\n",
			n->ifname);
		return;
	}
	if (act.kind == XVIO_ACT_XSK && !guest_port(d, (uint16_t)act.port)) {
		fprintf(out, "error: port %u is not a guest port (see xvioctl ports)\n", act.port);
		return;
	}
	rc = loader_maps__flow_add(n->maps, &key, &act, true);
	fprintf(out, rc ? "error: cannot add the flow to %s: %s\n" : "flow added to %s%s\n",
		n->ifname, rc ? strerror(-rc) : "");
}

void nic_report(struct daemon *d, struct nic *n, FILE *out, bool json, void *jw)
{
	struct jsonw *w = jw;
	struct xvio_stat_val bs[XVIO_STAT_MAX];
	unsigned int q, s, i;
	bool have_bpf = n->maps && !loader_maps__stats(n->maps, bs);

	(void)d;
	if (json) {
		jsonw_obj_open(w, "nic");
		jsonw_str(w, "ifname", n->ifname);
		jsonw_u64(w, "host_injected", n->host_injected);
		jsonw_u64(w, "host_inject_errors", n->host_inject_errors);
		jsonw_arr_open(w, "queues");
	}
	for (q = 0; q < n->nqueues; q++) {
		struct afxdp_queue *aq = n->q[q];
		struct afxdp_xdp_stats xs = {}, t;

		for (s = 0; s < aq->nsocks; s++)
			if (!afxdp_sock__xdp_stats(&aq->socks[s], &t)) {
				xs.rx_dropped += t.rx_dropped;
				xs.rx_ring_full += t.rx_ring_full;
				xs.rx_fill_ring_empty_descs += t.rx_fill_ring_empty_descs;
				xs.tx_invalid_descs += t.tx_invalid_descs;
				xs.rx_invalid_descs += t.rx_invalid_descs;
			}
		if (json) {
			jsonw_obj_open(w, NULL);
			jsonw_u64(w, "queue", q);
			jsonw_str(w, "afxdp_mode", aq->zerocopy ? "zerocopy" : "copy");
			jsonw_u64(w, "rx_packets", aq->stats.rx_packets);
			jsonw_u64(w, "tx_packets", aq->stats.tx_packets);
			jsonw_u64(w, "tx_no_frame", aq->stats.tx_no_frame);
			jsonw_u64(w, "tx_ring_full", aq->stats.tx_ring_full);
			jsonw_u64(w, "tx_too_big", aq->stats.tx_too_big);
			jsonw_u64(w, "tx_rekicks", aq->stats.tx_rekicks);
			jsonw_bool(w, "busy_poll", aq->busy_poll);
			jsonw_u64(w, "umem_frames", aq->nframes);
			jsonw_u64(w, "umem_free", aq->nfree);
			jsonw_u64(w, "umem_fill", aq->fq_out);
			jsonw_u64(w, "umem_tx", aq->tx_out);
			jsonw_bool(w, "umem_accounted", !afxdp_queue__check(aq));
			jsonw_u64(w, "xdp_rx_dropped", xs.rx_dropped);
			jsonw_u64(w, "xdp_rx_ring_full", xs.rx_ring_full);
			jsonw_u64(w, "xdp_fill_ring_empty", xs.rx_fill_ring_empty_descs);
			jsonw_u64(w, "xdp_rx_invalid", xs.rx_invalid_descs);
			jsonw_u64(w, "xdp_tx_invalid", xs.tx_invalid_descs);
			jsonw_obj_close(w);
		} else {
			fprintf(out,
				"  q%u (%s AF_XDP) rx %llu tx %llu | umem %u: free %u fill %u tx %u%s"
				" | xdp rx_dropped %llu rx_ring_full %llu fill_empty %llu tx_invalid "
				"%llu%s%s\n",
				q, aq->zerocopy ? "zero-copy" : "copy",
				(unsigned long long)aq->stats.rx_packets,
				(unsigned long long)aq->stats.tx_packets, aq->nframes, aq->nfree,
				aq->fq_out, aq->tx_out,
				afxdp_queue__check(aq) ? " (FRAMES MISSING)" : "",
				(unsigned long long)xs.rx_dropped, (unsigned long long)xs.rx_ring_full,
				(unsigned long long)xs.rx_fill_ring_empty_descs,
				(unsigned long long)xs.tx_invalid_descs,
				aq->stats.tx_no_frame ? " tx_no_frame" : "",
				aq->stats.tx_ring_full ? " tx_ring_full" : "");
		}
	}
	if (json) {
		jsonw_arr_close(w);
		jsonw_obj_open(w, "xdp");
		for (i = 0; have_bpf && i < XVIO_STAT_MAX; i++)
			jsonw_u64(w, loader_stat_names[i], bs[i].packets);
		jsonw_obj_close(w);
		jsonw_obj_close(w);
		return;
	}
	if (have_bpf) {
		fprintf(out, "  xdp:");
		for (i = 0; i < XVIO_STAT_MAX; i++)
			if (bs[i].packets)
				fprintf(out, " %s %llu", loader_stat_names[i],
					(unsigned long long)bs[i].packets);
		fprintf(out, "\n");
	}
	fprintf(out, "  host stack: %llu flooded frames re-injected (%llu errors)\n",
		(unsigned long long)n->host_injected, (unsigned long long)n->host_inject_errors);
}
