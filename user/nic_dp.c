// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The NIC port, data path: the port_ops the pollers call.
 *
 * From the wire: the XDP program has looked each frame up (flow table, then
 * L2 table) and redirected it to the socket of guest port P on its queue
 * (XSKMAP slot P*64+q), or to the queue's flood socket (slot q) for
 * broadcast/multicast. A round over a queue returns one burst per socket
 * that has frames, each with its destination decided: the socket's guest,
 * or every guest for the flood socket. With host=on, flooded frames are
 * handed to the host stack too (XDP cannot both pass and redirect a frame,
 * so they are re-injected with BPF_PROG_RUN in live-frames mode, which
 * delivers XDP_PASS frames to the stack as if they had just arrived). A
 * guest without receive buffers leaves its frames in the socket's RX ring
 * for the next round (the ring is the buffer a NIC has), unless it took
 * nothing for NIC_STALL_ROUNDS rounds. UMEM frames go straight back to the
 * fill ring.
 *
 * Towards the wire: frames are copied into free UMEM frames and sent on the
 * queue's flood socket's TX ring. A queue is used by one burst at a time
 * (its lock, held from a round's first rx_burst to its last); guest receive
 * rings are locked inside it, never the other way round.
 */
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "log.h"
#include "nic.h"
#include "offload.h"
#include "util.h"

#define BURST VHU_BURST

static uint64_t fingerprint(const void *frame, uint32_t len)
{
	return util_hash64(frame, len < NIC_LOOP_HASHED ? len : NIC_LOOP_HASHED) ^ len;
}

static void guard_lock(struct nic_loop_guard *g)
{
	while (atomic_flag_test_and_set_explicit(&g->lock, memory_order_acquire))
		__builtin_ia32_pause();
}

static void guard_unlock(struct nic_loop_guard *g)
{
	atomic_flag_clear_explicit(&g->lock, memory_order_release);
}

static void guard_note(struct nic_loop_guard *g, uint64_t h, uint64_t t)
{
	guard_lock(g);
	g->e[g->next].hash = h;
	g->e[g->next].t_ns = t;
	g->next = (g->next + 1) % NIC_LOOP_SLOTS;
	atomic_store_explicit(&g->last_ns, t, memory_order_relaxed);
	guard_unlock(g);
}

/* Under the lock: was this frame handed to the host stack moments ago?
 * Then it came back. A note matches once. */
static bool guard_hit(struct nic_loop_guard *g, uint64_t h, uint64_t t)
{
	unsigned int i;

	for (i = 0; i < NIC_LOOP_SLOTS; i++)
		if (g->e[i].hash == h && t - g->e[i].t_ns < NIC_LOOP_WINDOW_NS) {
			g->e[i].hash = 0;
			g->drops++;
			return true;
		}
	return false;
}

/* Hand a flooded frame to the host stack, with the cookie in the 8 bytes
 * of metadata before it (xvio/host.h). They are written into the UMEM
 * frame's own headroom: AF_XDP leaves XDP_PACKET_HEADROOM there. A frame
 * in several UMEM frames (jumbo) cannot be handed on: the kernel's live
 * frames mode takes one page; counted as an injection error. */
static void host_inject(struct nic *n, const struct vhu_pkt *pk)
{
	/* The frame is the UMEM's: the poller only read it. */
	uint8_t *frame = (uint8_t *)(uintptr_t)pk->segs[0].base;
	uint32_t len = pk->len;
	const uint32_t meta = sizeof(n->cookie);
	struct xdp_md ctx = { .data = meta, .data_end = meta + len,
			      .ingress_ifindex = (__u32)n->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame - meta, .data_size_in = meta + len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 1);

	if (n->inject_fd < 0 || len < 14)
		return;
	if (pk->nsegs != 1) {
		/* BPF_PROG_RUN takes live frames of one page only */
		n->host_inject_errors++;
		return;
	}
	if (((uintptr_t)frame & (AFXDP_FRAME_SIZE - 1)) < meta) {
		n->host_inject_errors++;
		return;
	}
	memcpy(frame - meta, &n->cookie, meta);
	/* Before the call: in skb mode a copy that lost the cookie would be
	 * back in a flood socket before it returns. */
	if (n->skb_mode)
		guard_note(&n->guard, fingerprint(frame, len), util_mono_ns());
	if (bpf_prog_test_run_opts(n->inject_fd, &opts))
		n->host_inject_errors++;
	else
		n->host_injected++;
}

/* The flooded frames host_inject() hands on: those in one UMEM frame. */
static unsigned int host_count(const struct vhu_pkt *pkts, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		k += pkts[i].nsegs == 1;
	return k;
}

/* Flood socket, skb mode, host=on: move the frames the guard recognizes to
 * the end of the burst (they are released with it, never delivered). No
 * hashing unless something was handed to the host within the window; one
 * lock a burst. */
static unsigned int drop_looped(struct nic *n, struct vhu_pkt *pkts, unsigned int got)
{
	struct nic_loop_guard *g = &n->guard;
	uint64_t t = util_mono_ns();
	unsigned int i = 0, looped = 0;

	if (t - atomic_load_explicit(&g->last_ns, memory_order_relaxed) >= NIC_LOOP_WINDOW_NS)
		return got;
	guard_lock(g);
	while (i < got - looped) {
		struct vhu_pkt tmp;
		unsigned int last;

		if (pkts[i].nsegs != 1 ||
		    !guard_hit(g, fingerprint(pkts[i].segs[0].base, pkts[i].len), t)) {
			i++; /* what was injected is one UMEM frame */
			continue;
		}
		last = got - ++looped;
		tmp = pkts[i];
		pkts[i] = pkts[last];
		pkts[last] = tmp;
	}
	guard_unlock(g);
	if (looped && !atomic_exchange(&g->warned, true))
		pr_warn("%s: a flooded frame handed to the host stack came back to xviod: the "
			"kernel dropped the cookie in front of it; dropping such frames "
			"(host_loop_drops), so the host stack misses broadcasts that came back "
			"(see docs/operations.md)", n->ifname);
	return got - looped;
}

/* Once, at a busy-polled queue's first frame: a socket without a NAPI id
 * (veth since Linux 6.13 registers its XDP queue before its NAPI has one)
 * cannot be busy polled, and each round's recvfrom would only cost a
 * syscall. Say so and stop. */
static void check_napi(struct nic *n, unsigned int qi, const struct afxdp_sock *sk)
{
	struct nic_queue *nq = &n->queues[qi];
	int id = afxdp_sock__napi_id(sk);

	nq->napi_checked = true;
	if (id > 0) {
		pr_info("%s q%u: busy polling NAPI %d", n->ifname, qi, id);
		return;
	}
	nq->busy_poll = false;
	pr_warn("%s q%u: busy_poll has no effect here: %s; turned off for this queue (the "
		"kernel's RX work stays on the CPU that receives)",
		n->ifname, qi,
		id == 0 ? "the driver gives its AF_XDP queue no NAPI id" : strerror(-id));
}

/*
 * Overload (xvio/room.h): tell the program how many more frames the
 * socket's RX ring can take, so that once it is full the program drops
 * them, before the kernel copies each into the UMEM only to drop it at the
 * full ring. That copy is most of the receive work; without it the CPU that
 * receives keeps its time for the poller. Called after each burst is
 * released (what a full guest kept still counts) and at each empty look;
 * an empty look after an empty one skips it, except every
 * NIC_ROOM_REFRESH-th, which writes a new limit (frames the kernel dropped
 * after the program counted them would otherwise hold it down).
 */
static void room_update(struct nic *n, struct nic_queue *nq, unsigned int qi, unsigned int si,
			bool got)
{
	struct xvio_room *r;
	uint64_t admitted;
	uint32_t level;

	r = &n->room[XVIO_XSK_SLOT(nq->sock_port[si], qi)];
	/* An empty ring looked at after an empty one needs no new limit, but
	 * for one every NIC_ROOM_REFRESH empty looks: frames the program
	 * counted that the kernel dropped afterwards (no fill buffer) never
	 * reach the ring, and without a refresh the limit could stay reached
	 * and the socket dead. Reading the counter at every empty look would
	 * pull its cache line from the receiving CPU at every spin. */
	if (!got && !nq->room_set[si] && ++nq->room_idle[si] % NIC_ROOM_REFRESH)
		return;
	/* The level first: a frame that lands between the two reads, or that
	 * is counted but not yet in the ring (up to one NAPI poll), makes the
	 * room look larger, never smaller; the kernel's check catches those. */
	level = afxdp_sock__rx_level(nq->socks[si]);
	admitted = __atomic_load_n(&r->admitted, __ATOMIC_ACQUIRE);
	__atomic_store_n(&r->limit, admitted + NIC_RING_SIZE - level, __ATOMIC_RELEASE);
	nq->room_set[si] = got;
}

void nic_room_clear(struct nic *n, unsigned int q)
{
	struct nic_queue *nq = &n->queues[q];
	unsigned int si;

	for (si = 0; si < nq->nsocks; si++) {
		nq->room_set[si] = false;
		if (n->room)
			__atomic_store_n(&n->room[XVIO_XSK_SLOT(nq->sock_port[si], q)].limit, 0,
					 __ATOMIC_RELEASE);
	}
}

/* rx->cursor: 0 starts the round (lock, busy poll, completions, TX kicks);
 * then the index of the next socket to look at, + 1. */
unsigned int nic_rx_burst(struct port *p, unsigned int qi, struct port_rx *rx)
{
	struct nic *n = nic_of(p);
	struct nic_queue *nq = &n->queues[qi];
	unsigned int max = rx->max < BURST ? rx->max : BURST;

	if (rx->cursor == 0) {
		qlock(nq);
		if (nq->busy_poll)
			afxdp_queue__busy_poll(nq->q);
		afxdp_queue__complete(nq->q);
		nq->tx_pending = afxdp_queue__tx_kick(nq->q) != 0;
		rx->cursor = 1;
	}
	while (rx->cursor <= nq->nsocks) {
		unsigned int si = rx->cursor++ - 1, got, nd, d, k;
		struct afxdp_sock *sk = nq->socks[si];
		uint32_t port = nq->sock_port[si];

		/* Descriptors for a full burst whatever the destination takes:
		 * a multi-buffer packet is never left half peeked. */
		nd = afxdp_sock__rx_peek(nq->q, sk, nq->f, BURST, max, &got);
		if (!got) {
			room_update(n, nq, qi, si, false);
			continue;
		}
		if (nq->busy_poll && !nq->napi_checked)
			check_napi(n, qi, sk);
		nq->ndesc = nd;
		nq->multi = nd != got;
		for (k = 0, d = 0; k < got; k++) {
			struct vhu_pkt *pk = &rx->pkts[k];

			pk->segs = &rx->segs[d];
			pk->off = (struct vhu_offload){ 0 };
			if (!nq->multi) { /* one UMEM frame each, as nearly always */
				rx->segs[d].base = nq->f[d].data;
				pk->len = rx->segs[d].len = nq->f[d].len;
				pk->nsegs = 1;
				d++;
			} else {
				nq->first[k] = (uint16_t)d;
				pk->len = 0;
				do {
					rx->segs[d].base = nq->f[d].data;
					rx->segs[d].len = nq->f[d].len;
					pk->len += nq->f[d].len;
				} while (nq->f[d++].more);
				pk->nsegs = (uint16_t)(d - nq->first[k]);
			}
			if (n->partial_csum && off_rx_partial(pk))
				nq->csum_partial++;
		}
		nq->first[got] = (uint16_t)nd;
		if (port == XVIO_PORT_FLOOD && n->skb_mode && n->inject_fd >= 0) {
			got = drop_looped(n, rx->pkts, got);
			if (!got) {
				afxdp_sock__rx_release(nq->q, sk, nq->f, nd);
				room_update(n, nq, qi, si, true); /* room came back */
				continue;
			}
		}
		rx->ctx = si;
		if (port == XVIO_PORT_FLOOD) {
			rx->dst = PORT_DST_FLOOD;
			rx->hold = false;
			rx->also_delivered = n->host ? host_count(rx->pkts, got) : 0;
		} else {
			rx->dst = (uint16_t)port;
			rx->hold = nq->stalled[si] < NIC_STALL_ROUNDS;
			rx->also_delivered = 0;
		}
		return got;
	}
	afxdp_queue__refill(nq->q, BURST * 2);
	qunlock(nq);
	return 0;
}

void nic_rx_done(struct port *p, unsigned int qi, struct port_rx *rx, unsigned int n,
		 unsigned int delivered, unsigned int kept)
{
	struct nic *nic = nic_of(p);
	struct nic_queue *nq = &nic->queues[qi];
	struct afxdp_sock *sk = nq->socks[rx->ctx];
	unsigned int i, nd;

	if (rx->dst == PORT_DST_FLOOD) {
		if (nic->host)
			for (i = 0; i < n; i++)
				host_inject(nic, &rx->pkts[i]);
	} else if (delivered) {
		nq->stalled[rx->ctx] = 0;
	} else if (nq->stalled[rx->ctx] < NIC_STALL_ROUNDS) {
		/* A guest that takes nothing for NIC_STALL_ROUNDS rounds is
		 * dropped for again, so a stuck guest cannot hold the UMEM. */
		nq->stalled[rx->ctx]++;
	}
	nd = nq->ndesc;
	if (kept) { /* guest sockets only: their burst is in peek order */
		unsigned int kd = nq->multi ? nd - nq->first[n - kept] : kept;

		afxdp_sock__rx_unpeek(nq->q, sk, nq->f + nd - kd, kd);
		nd -= kd;
	}
	/* All of a flood burst, what the guard dropped too (after n). */
	afxdp_sock__rx_release(nq->q, sk, nq->f, nd);
	/* After the release: what a full guest kept still fills the ring. */
	room_update(nic, nq, qi, rx->ctx, true);
}

/* Submit @k descriptors (@kpkts packets of @kbytes); adds the packets sent
 * and their bytes to @out. */
static void tx_send(struct nic_queue *nq, const struct afxdp_frame *d, unsigned int k,
		    uint64_t kbytes, unsigned int kpkts, struct port_sent *out)
{
	unsigned int sent = afxdp_sock__tx_submit(nq->q, nq->flood, d, k), i;

	if (sent == k) { /* all of them, as nearly always */
		out->bytes += kbytes;
		out->frames += kpkts;
		return;
	}
	for (i = 0; i < sent; i++) {
		out->bytes += d[i].len;
		out->frames += !d[i].more;
	}
}

/* Copy @pk, longer than one TX frame, into free UMEM frames, one descriptor
 * per afxdp_queue__tx_room() bytes (multi-buffer: max_frame says so).
 * Returns the descriptors written at @d, 0 when no frame was free (all
 * given back). */
static unsigned int tx_copy(struct afxdp_queue *q, const struct vhu_pkt *pk, struct afxdp_frame *d)
{
	uint32_t room = 0;
	unsigned int nd = 0;
	uint8_t *dst = NULL;
	uint16_t s;

	for (s = 0; s < pk->nsegs; s++) {
		const uint8_t *src = pk->segs[s].base;
		uint32_t left = pk->segs[s].len;

		while (left) {
			uint32_t c;

			if (!room) {
				dst = afxdp_queue__tx_frame(q, &d[nd].addr);
				if (!dst) {
					while (nd--)
						afxdp_queue__tx_unused(q, d[nd].addr);
					return 0;
				}
				d[nd].len = 0;
				d[nd].more = false;
				d[nd].meta = false;
				if (nd)
					d[nd - 1].more = true;
				nd++;
				room = afxdp_queue__tx_room(q);
			}
			c = left < room ? left : room;
			memcpy(dst + d[nd - 1].len, src, c);
			d[nd - 1].len += c;
			src += c;
			left -= c;
			room -= c;
		}
	}
	return nd;
}

/* The checksum a frame from a guest asks for (NEEDS_CSUM), for the copy of
 * it in @nd descriptors at @d: asked of the kernel or device through TX
 * metadata, which the kernel takes when the field is in the first
 * descriptor. A field further on (beyond 4 KiB: no stack puts a transport
 * header there, only a hostile guest) loses the frame: false, its UMEM
 * frames given back, counted (tx_bad_csum). */
static bool tx_csum(struct nic_queue *nq, const struct vhu_pkt *pk, struct afxdp_frame *d,
		    unsigned int nd)
{
	uint32_t at = (uint32_t)pk->off.csum_start + pk->off.csum_offset;

	if (at + 2 <= d[0].len &&
	    afxdp_queue__tx_csum(nq->q, &d[0], pk->off.csum_start, pk->off.csum_offset)) {
		nq->tx_csum_meta++;
		return true;
	}
	while (nd--)
		afxdp_queue__tx_unused(nq->q, d[nd].addr);
	nq->tx_bad_csum++;
	return false;
}

unsigned int nic_tx_burst(struct port *p, unsigned int qp, const struct vhu_pkt *pkts,
			  unsigned int cnt, bool hold, struct port_sent *out)
{
	struct nic *n = nic_of(p);
	struct nic_queue *nq = &n->queues[qp % n->nqueues];
	uint32_t max = atomic_load_explicit(&n->max_frame, memory_order_relaxed);
	struct afxdp_frame d[BURST + 2 * AFXDP_MAX_FRAGS];
	unsigned int i, k = 0, nd, kpkts = 0;
	uint64_t kbytes = 0;
	uint32_t room;

	(void)hold; /* what the device refuses waits in the TX ring, never here */
	out->frames = 0;
	out->bytes = 0;
	if (cnt > BURST)
		cnt = BURST;
	qlock(nq);
	room = afxdp_queue__tx_room(nq->q);
	for (i = 0; i < cnt; i++) {
		const struct vhu_pkt *pk = &pkts[i];

		if (pk->len - 1 >= max) { /* longer than the wire takes, or empty */
			nq->tx_too_big++;
			continue;
		}
		if (pk->len <= room) { /* the common case: one frame */
			uint8_t *dst = afxdp_queue__tx_frame(nq->q, &d[k].addr);
			uint32_t off = 0;
			uint16_t sg;

			if (!dst)
				continue; /* counted: tx_no_frame */
			for (sg = 0; sg < pk->nsegs; sg++) {
				memcpy(dst + off, pk->segs[sg].base, pk->segs[sg].len);
				off += pk->segs[sg].len;
			}
			d[k].len = off;
			d[k].more = false;
			d[k].meta = false;
			/* NEEDS_CSUM: only when offered (tx_csum) */
			if ((pk->off.flags & VHU_HDR_F_NEEDS_CSUM) && !tx_csum(nq, pk, &d[k], 1))
				continue;
			k++;
			kbytes += off;
			kpkts++;
			continue;
		}
		/* A jumbo frame: room for its frames and one for each frame
		 * left, or send what is ready first. */
		if (k + AFXDP_MAX_FRAGS + (cnt - i - 1) > sizeof(d) / sizeof(d[0])) {
			tx_send(nq, d, k, kbytes, kpkts, out);
			k = 0;
			kbytes = kpkts = 0;
		}
		nd = tx_copy(nq->q, pk, d + k); /* none: counted as tx_no_frame */
		if (!nd || ((pk->off.flags & VHU_HDR_F_NEEDS_CSUM) && !tx_csum(nq, pk, d + k, nd)))
			continue;
		k += nd;
		kbytes += pk->len;
		kpkts++;
	}
	tx_send(nq, d, k, kbytes, kpkts, out);
	afxdp_queue__complete(nq->q);
	qunlock(nq);
	return out->frames;
}

/* What the wire takes from a guest as it is: frames with their checksum
 * left to do, when the kernel has AF_XDP TX metadata (tx_csum=on). Never
 * TSO: AF_XDP has no segmentation offload. */
unsigned int nic_offloads(struct port *p, unsigned int q)
{
	(void)q;
	return nic_of(p)->tx_csum ? VHU_OFF_CSUM : 0;
}

bool nic_tx_ready(struct port *p, unsigned int q)
{
	(void)p, (void)q;
	return true; /* what it did not take, it had no room for */
}

uint32_t nic_tx_room(struct port *p, unsigned int q)
{
	(void)p, (void)q;
	return UINT32_MAX; /* senders are not held back for the wire */
}

bool nic_up(struct port *p)
{
	(void)p;
	return true;
}

/* The sockets are always in the poller's epoll set; but TX frames a busy
 * device refused are kicked again only by a round, so come back soon. */
unsigned int nic_notify(struct port *p, unsigned int q, bool enable)
{
	return enable && nic_of(p)->queues[q].tx_pending ? PORT_NOTIFY_NO_WAKE : 0;
}

/* Control thread: one frame out of queue 0 (an announcement). */
int nic_send_frame(struct port *p, const void *frame, uint32_t len)
{
	struct nic *n = nic_of(p);
	struct nic_queue *nq = &n->queues[0];
	struct afxdp_frame d = { .len = len };
	uint8_t *dst;
	unsigned int sent;

	if (!nq->q)
		return -EINVAL;
	if (len > afxdp_queue__tx_room(nq->q))
		return -EMSGSIZE;
	qlock(nq);
	dst = afxdp_queue__tx_frame(nq->q, &d.addr);
	if (!dst) {
		qunlock(nq);
		return -ENOBUFS;
	}
	memcpy(dst, frame, len);
	sent = afxdp_sock__tx_submit(nq->q, nq->flood, &d, 1);
	afxdp_queue__complete(nq->q);
	qunlock(nq);
	return sent ? 0 : -ENOBUFS;
}
