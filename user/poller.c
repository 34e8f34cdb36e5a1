// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Poller threads: each runs to completion over a fixed list of receive
 * queues (port, queue); nothing else reads those queues. A burst a port
 * received is learned (source MACs), its destination decided (the port
 * says, or each frame's destination MAC is looked up), grouped by
 * destination and handed to each destination port's tx_burst: one copy,
 * from the sender's memory (guest buffers or UMEM frames) into the
 * receiver's, no intermediate buffer. This file asks no port what kind it
 * is: everything kind-specific is behind port_ops (port.h).
 *
 * Quiescent-state handshake: a poller bumps its epoch at the top of every
 * loop (holding no queue) and sets `sleeping` around epoll_wait. The control
 * thread stops a device's queues (vhu stores STOPPED), then waits until
 * every poller has passed a quiescent point or sleeps: after that no burst
 * can still be using the old rings or memory.
 *
 * Polling modes: busy spins; adaptive spins while there is work and, after
 * a spin of empty rounds, asks the ports to notify, re-checks, and sleeps
 * in epoll_wait; interrupt sleeps whenever a round is empty. The spin is
 * timed, not counted: a round costs 0.2 us, or 2 us with a busy-poll
 * syscall in it. A spin pays only when frames can arrive while the poller
 * spins. Where their producer shares the poller's CPU (the kernel's
 * receive work on the poller's core, below a thread that yields to the
 * poller as it wakes) nothing arrives until the poller sleeps, and every
 * 200 us spin is time taken from the producer. So the poller keeps a
 * moving score of its spins (SPIN_SCORE_*: +1/8 towards "found work",
 * -1/8 towards "timed out") and, while fewer than a quarter pay, sleeps
 * as soon as a round is empty, as in interrupt mode, spinning in full
 * only every SPIN_PROBE_EVERY-th time to look again.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include "daemon.h"
#include "log.h"
#include "poller.h"
#include "util.h"

#define IDLE_SPIN_NS 200000ull
#define IDLE_CLOCK_EVERY 64 /* empty rounds between two looks at the clock */
#define SPIN_SCORE_MAX 256u	/* every recent spin found work */
#define SPIN_SCORE_LOW 64u	/* below: sleep at once */
#define SPIN_PROBE_EVERY 64u	/* ... but spin in full every 64th time */
#define BURST VHU_BURST

#define DEST_FLOOD 0xfffe
#define DEST_DROP 0xfffd

const char *poll_mode_name(enum poll_mode m)
{
	switch (m) {
	case POLL_BUSY:
		return "busy";
	case POLL_INTERRUPT:
		return "interrupt";
	default:
		return "adaptive";
	}
}

/* The Ethernet addresses of a frame of at least 12 bytes: in place when
 * its first segment holds them (nearly always), else gathered into @buf. */
static const uint8_t *eth_addrs(const struct vhu_pkt *p, uint8_t buf[12])
{
	uint32_t done = 0;
	uint16_t s;

	if (p->segs[0].len >= 12)
		return p->segs[0].base;
	for (s = 0; s < p->nsegs && done < 12; s++) {
		uint32_t c = p->segs[s].len < 12 - done ? p->segs[s].len : 12 - done;

		memcpy(buf + done, p->segs[s].base, c);
		done += c;
	}
	return buf;
}


/* What is in p->ob to @dst, at most a burst per call (a port takes no
 * more at once; segmenting makes up to OFF_BUF_PKTS). Returns the frames
 * taken. With @hold, a prefix: it stops at the first burst not taken
 * whole. Without, a count: a port also skips single frames it cannot
 * place and takes the rest, so it goes on unless a burst got nothing. */
static unsigned int flush_sw(struct poller *p, struct port *dst, unsigned int q, bool hold)
{
	struct port_stats *ds = &p->stats[dst->id - 1];
	unsigned int at = 0, taken = 0, k, got;

	while (at < p->ob->npkts) {
		struct port_sent sent;

		k = p->ob->npkts - at < BURST ? p->ob->npkts - at : BURST;
		got = dst->ops->tx_burst(dst, q, p->ob->pkts + at, k, hold, &sent);
		ds->to_guest += sent.frames;
		ds->to_guest_bytes += sent.bytes;
		taken += got;
		at += k;
		if (!got || (hold && got < k))
			break;
	}
	return taken;
}

/*
 * @n frames for @dst, some asking for what it cannot do (@caps): each
 * resolved in software into p->ob (segments, or the frame with its
 * checksum completed), the others as they are, in order. The receiver
 * counts frames (segments); the return counts the sender's: each frame
 * lost on the way counts one of them undelivered. Segmented frames come
 * from guests, which never hold theirs back; a holding sender (the NIC,
 * whose frames only ever need a checksum: one frame each, one flush for a
 * burst) gets the receiver's own count back, the frames it did not take
 * being the last ones.
 */
static unsigned int deliver_sw(struct poller *p, struct port *dst, unsigned int q,
			       const struct vhu_pkt *pkts, unsigned int n, unsigned int caps,
			       bool hold, struct port_stats *ss)
{
	struct off_buf *b = p->ob;
	unsigned int i, made = 0, sent = 0, lost = 0, ncsum = 0, out;
	bool split = false, csum[BURST];

	off_reset(b);
	for (i = 0; i < n; i++) {
		enum off_err err;
		int r;

		csum[i] = false;
		if (!off_room(b, &pkts[i])) {
			sent += flush_sw(p, dst, q, false);
			off_reset(b);
			split = true;
		}
		r = off_resolve(b, &pkts[i], caps, &err);
		if (r < 0) {
			/* off_check() passed it, and the guest changed its
			 * headers since: lost here (counted with the others) */
			lost++;
			split = true;
			continue;
		}
		made += (unsigned int)r;
		if (!off_needed(&pkts[i], caps))
			continue;
		if (pkts[i].off.gso_type && r > 1) {
			ss->sw_gso++;
			ss->sw_gso_segs += (unsigned int)r;
			split = true;
		} else {
			csum[i] = true;
		}
	}
	if (hold && !split && made == n) {
		/* one frame each: the first `out` were taken; the others
		 * come again next round, and are counted then */
		out = flush_sw(p, dst, q, true);
		for (i = 0; i < out; i++)
			ncsum += csum[i];
		ss->sw_csum += ncsum;
		return out;
	}
	for (i = 0; i < n; i++)
		ncsum += csum[i];
	ss->sw_csum += ncsum;
	sent += flush_sw(p, dst, q, false);
	lost += made - sent;
	return lost >= n ? 0 : n - lost;
}

/*
 * @n frames from the wire for a guest that takes large TCP frames (@caps):
 * runs of one flow's segments merged (off_gro), then handed over. The
 * receiver counts the frames it got; the return counts the sender's, the
 * merged ones each as the segments it holds. Holding senders get a prefix,
 * as from any tx_burst.
 */
static unsigned int deliver_gro(struct poller *p, struct port *src, struct port *dst,
				unsigned int q, const struct vhu_pkt *pkts, unsigned int n,
				unsigned int caps, bool hold)
{
	struct port_stats *ss = &p->stats[src->id - 1], *ds = &p->stats[dst->id - 1];
	uint16_t orig[BURST];
	struct port_sent out;
	unsigned int nout, sent, i, done = 0;

	off_reset(p->ob);
	nout = off_gro(p->ob, pkts, n, caps, orig);
	sent = dst->ops->tx_burst(dst, q, p->ob->pkts, nout, hold, &out);
	ds->to_guest += out.frames;
	ds->to_guest_bytes += out.bytes;
	/* with hold, the frames not taken come again next round: counted then */
	for (i = 0; i < (hold ? sent : nout); i++)
		if (orig[i] > 1) {
			ss->gro_segs += orig[i];
			ss->gro_frames++;
		}
	for (i = 0; i < sent; i++)
		done += orig[i];
	return done;
}

/* Hand @n frames from @src to @dst's queue @q; counts what it sent on @dst. */
static unsigned int deliver(struct poller *p, struct port *src, struct port *dst, unsigned int q,
			    const struct vhu_pkt *pkts, unsigned int n, bool hold)
{
	struct port_stats *ds = &p->stats[dst->id - 1];
	struct port_sent out;
	unsigned int done, i;

	if (__builtin_expect(p->burst_off, 0)) {
		unsigned int caps = dst->ops->offloads ? dst->ops->offloads(dst, q) : 0;

		for (i = 0; i < n; i++)
			if (off_needed(&pkts[i], caps))
				return deliver_sw(p, dst, q, pkts, n, caps, hold,
						  &p->stats[src->id - 1]);
	} else if (src->gro && n > 1 && dst->ops->offloads) {
		unsigned int caps = dst->ops->offloads(dst, q);

		if ((caps & VHU_OFF_CSUM) && (caps & (VHU_OFF_TSO4 | VHU_OFF_TSO6)))
			return deliver_gro(p, src, dst, q, pkts, n, caps, hold);
	}
	done = dst->ops->tx_burst(dst, q, pkts, n, hold, &out);
	ds->to_guest += out.frames;
	ds->to_guest_bytes += out.bytes;
	return done;
}

/* Backpressure: a sender takes no more frames than the port its last burst
 * mostly went to has room for; with none, its frames wait where they are
 * (its own ring, as a busy NIC would leave them) for at most POLL_BLOCK_NS,
 * after which they are forwarded (and dropped for lack of room) as before.
 * Mixed traffic is capped by the main destination's room: a heuristic that
 * never drops more than without it. Returns how many frames to take this
 * round (0: hold back). */
static unsigned int sender_budget(struct poller *p, struct poller_queue *pq)
{
	struct port *dst = daemon_port(p->d, pq->last_dst);
	uint32_t room;

	if (!dst)
		return BURST;
	room = dst->ops->tx_room(dst, pq->q);
	if (room) {
		pq->blocked_since = 0;
		return room < BURST ? room : BURST;
	}
	if (!pq->blocked_since)
		pq->blocked_since = util_coarse_ns();
	else if (util_coarse_ns() - pq->blocked_since > POLL_BLOCK_NS)
		return BURST;
	return 0;
}

/*
 * One pass over a burst from @src: count it, learn its source MACs, and
 * with @lookup give each frame its destination by MAC (p->dest: a port id,
 * DEST_FLOOD or DEST_DROP). Learning and lookups happen once per run of
 * frames with the same address (a burst nearly always is one run). Returns
 * how many frames are to be flooded.
 */
static unsigned int classify(struct poller *p, struct port *src, unsigned int n, bool lookup)
{
	struct port_stats *ss = &p->stats[src->id - 1];
	uint32_t now = atomic_load_explicit(&p->d->now, memory_order_relaxed);
	uint8_t last_src[6], last_dmac[6], buf[12];
	uint16_t last_dport = FWD_PORT_NONE;
	bool have_dmac = false, have_src = false, src_ok = true;
	unsigned int i, nflood = 0;

	p->burst_off = false;
	for (i = 0; i < n; i++) {
		const struct vhu_pkt *pk = &p->pkts[i];
		const uint8_t *eth;
		uint16_t dst;

		ss->from_guest++;
		ss->from_guest_bytes += pk->len;
		if (pk->len < 14) {
			if (lookup) {
				ss->drop_runt++;
				p->dest[i] = DEST_DROP;
			}
			continue;
		}
		/* Offloads come from guests, whose frames are looked up (and
		 * NEEDS_CSUM from a veth NIC: off_rx_partial). A GSO frame's
		 * headers are checked once, here, for every receiver: one that
		 * takes it as it is and one that needs it cut. */
		if (__builtin_expect(pk->off.flags | pk->off.gso_type, 0)) {
			enum off_err err;

			if (lookup && !off_check(pk, &err)) {
				ss->drop_bad_offload++;
				p->dest[i] = DEST_DROP;
				continue;
			}
			p->burst_off = true;
		}
		eth = eth_addrs(pk, buf);
		/* Once per run of frames from one source: is it allowed (a
		 * guest that sends as another takes its traffic: the port's
		 * mac= is the only source it may use), then learn it. */
		if (!have_src || memcmp(eth + 6, last_src, 6)) {
			memcpy(last_src, eth + 6, 6);
			have_src = true;
			src_ok = !lookup || !src->src_mac || !memcmp(eth + 6, src->src_mac, 6);
			if (src_ok) {
				int r = fwd_learn_limited(p->d->fwd, eth + 6, (uint16_t)src->id,
							  now, src->max_macs ?: UINT32_MAX);

				if (r > 0)
					eventfd_write(p->d->learn_efd, 1); /* rare: new or moved */
				else if (r < 0)
					ss->macs_refused++;
			}
		}
		if (!src_ok) {
			ss->drop_src_mac++;
			p->dest[i] = DEST_DROP;
			continue;
		}
		if (!lookup)
			continue;
		if (!have_dmac || memcmp(eth, last_dmac, 6)) {
			memcpy(last_dmac, eth, 6);
			have_dmac = true;
			last_dport = fwd_is_group(eth) ? FWD_PORT_NONE : fwd_lookup(p->d->fwd, eth);
		}
		dst = last_dport;
		if (dst == FWD_PORT_NONE) {
			p->dest[i] = DEST_FLOOD;
			nflood++;
		} else if (dst == src->id) {
			ss->drop_hairpin++;
			p->dest[i] = DEST_DROP;
		} else {
			p->dest[i] = dst;
		}
	}
	return nflood;
}

/* @k frames for @dst (a port id) from @pq's port: delivered, kept by the
 * sender for the next round (rx->hold), or dropped and counted. Returns
 * how many the sender keeps. */
static unsigned int unicast(struct poller *p, struct poller_queue *pq, struct port_rx *rx,
			    uint16_t dst, const struct vhu_pkt *pkts, unsigned int k,
			    unsigned int *delivered)
{
	struct port_stats *ss = &p->stats[pq->port->id - 1];
	struct port *dp = daemon_port(p->d, dst);
	unsigned int got, keep = 0;

	if (!dp || !dp->ops->up(dp)) {
		ss->drop_dest_down += k;
		return 0;
	}
	got = deliver(p, pq->port, dp, pq->q, pkts, k, rx->hold);
	ss->fwd_unicast += got;
	*delivered += got;
	if (got < k) {
		if (!dp->ops->tx_ready(dp, pq->q))
			ss->drop_dest_down += k - got;
		else if (rx->hold)
			keep = k - got;
		else
			ss->drop_dest_full += k - got;
	}
	return keep;
}

/* @k frames to every port but the sender; a frame counts as forwarded when
 * at least one port took it (or the sender handed it on itself). */
static void flood(struct poller *p, struct poller_queue *pq, struct port_rx *rx,
		  const struct vhu_pkt *pkts, unsigned int k, unsigned int *delivered)
{
	struct port_stats *ss = &p->stats[pq->port->id - 1];
	unsigned int best = rx->also_delivered < k ? rx->also_delivered : k, i;

	struct port *dp;

	for (i = 0; (dp = daemon_next_port(p->d, &i));) {
		unsigned int got;

		if (dp == pq->port || !dp->ops->up(dp))
			continue;
		got = deliver(p, pq->port, dp, pq->q, pkts, k, false);
		ss->flood_copies += got;
		if (got > best)
			best = got;
	}
	ss->fwd_flood += best;
	ss->drop_no_dest += k - best;
	*delivered += best;
}

/* Frames classified by destination MAC: one delivery per destination
 * port, frames kept in order; then the flooded ones. Such senders hold
 * nothing back (rx->hold is false). */
static void forward_by_mac(struct poller *p, struct poller_queue *pq, struct port_rx *rx,
			   unsigned int n, unsigned int nflood, unsigned int *delivered)
{
	bool seen[XVIOD_MAX_PORTS] = { false };
	unsigned int i, j, k, most = 0;

	for (i = 0; i < n; i++) {
		uint16_t dst = p->dest[i];

		if (dst >= DEST_DROP || seen[dst - 1])
			continue;
		seen[dst - 1] = true;
		for (j = i, k = 0; j < n; j++)
			if (p->dest[j] == dst)
				p->out[k++] = p->pkts[j];
		unicast(p, pq, rx, dst, p->out, k, delivered);
		if (k > most) {
			most = k;
			pq->last_dst = dst;
		}
	}
	if (nflood) {
		for (j = 0, k = 0; j < n; j++)
			if (p->dest[j] == DEST_FLOOD)
				p->out[k++] = p->pkts[j];
		flood(p, pq, rx, p->out, k, delivered);
	}
}

/* Forward one burst of @n frames received on @pq; returns how many of them
 * (the last ones) the sender keeps for the next round. */
static unsigned int forward(struct poller *p, struct poller_queue *pq, struct port_rx *rx,
			    unsigned int n, unsigned int *delivered)
{
	struct port_stats *ss = &p->stats[pq->port->id - 1];
	unsigned int i, nflood, keep;

	nflood = classify(p, pq->port, n, rx->dst == PORT_DST_LOOKUP);
	if (rx->dst == PORT_DST_LOOKUP) {
		forward_by_mac(p, pq, rx, n, nflood, delivered);
		return 0;
	}
	if (rx->dst == PORT_DST_FLOOD) {
		flood(p, pq, rx, p->pkts, n, delivered);
		return 0;
	}
	keep = unicast(p, pq, rx, rx->dst, p->pkts, n, delivered);
	/* Kept frames come again next round: count them then. */
	for (i = n - keep; i < n; i++) {
		ss->from_guest--;
		ss->from_guest_bytes -= p->pkts[i].len;
	}
	return keep;
}

/* Every burst queue @pq has this round; returns the work done. */
static unsigned int poll_queue(struct poller *p, struct poller_queue *pq)
{
	struct port *src = pq->port;
	struct port_rx rx;
	unsigned int n, work = 0;

	rx.max = sender_budget(p, pq);
	if (!rx.max)
		return 1; /* not idle: the destination drains */
	/* what the port reads; it sets the rest for each burst */
	rx.pkts = p->pkts;
	rx.segs = p->segs;
	rx.cursor = 0;
	rx.work = 0;
	rx.last = false;
	do {
		unsigned int delivered = 0, kept;

		n = src->ops->rx_burst(src, pq->q, &rx);
		if (!n)
			break;
		kept = forward(p, pq, &rx, n, &delivered);
		src->ops->rx_done(src, pq->q, &rx, n, delivered, kept);
		work += n;
	} while (!rx.last);
	return work + rx.work;
}

/* Kick eventfds are read with RWF_NOWAIT: the frontend shares their open
 * file and may clear the O_NONBLOCK we set. (A kernel without it for
 * eventfd says EOPNOTSUPP: then a plain read, which the watchdog would
 * interrupt.) EAGAIN: someone else read it; nothing to do. */
static void drain_kicks(struct epoll_event *ev, int n)
{
	uint64_t v;
	struct iovec iov = { .iov_base = &v, .iov_len = sizeof(v) };
	int i;

	for (i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (fd >= 0 && preadv2(fd, &iov, 1, -1, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP &&
		    read(fd, &v, sizeof(v)) < 0) {
			/* EAGAIN or EINTR: nothing to do */
		}
	}
}

/* Arm (or disarm) what wakes us for every queue; PORT_NOTIFY_* of them all. */
static unsigned int notify_all(struct poller_qlist *ql, bool enable)
{
	unsigned int i, flags = 0;

	for (i = 0; i < ql->nq; i++) {
		struct port *port = ql->q[i].port;

		flags |= port->ops->notify(port, ql->q[i].q, enable);
	}
	return flags;
}

static void *poller_main(void *arg)
{
	struct poller *p = arg;
	struct daemon *d = p->d;
	struct epoll_event ev[64];
	unsigned int idle = 0, i;
	uint64_t idle_since = 0;
	bool spinning = false;

	p->spin_score = SPIN_SCORE_MAX;
	if (p->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			pr_warn("poller %u: cannot pin to CPU %d; running unpinned", p->id, p->cpu);
	}
	while (!atomic_load(&d->stopping)) {
		struct poller_qlist *ql;
		unsigned int work = 0, flags;
		int n;

		atomic_fetch_add(&p->epoch, 1); /* quiescent point: no queue held */
		/* After the epoch: a list swapped before it is the one read
		 * until the next (see set_list). */
		ql = atomic_load(&p->ql); /* seq_cst: after the epoch, as set_list's swap is before its look */
		p->loops++;
		for (i = 0; i < ql->nq; i++)
			work += poll_queue(p, &ql->q[i]);
		if (work) {
			if (spinning) /* the spin paid */
				p->spin_score += (SPIN_SCORE_MAX - p->spin_score) / 8;
			spinning = false;
			idle = 0;
			continue;
		}
		if (d->mode == POLL_BUSY)
			continue;
		if (d->mode == POLL_ADAPTIVE) {
			if (idle++ == 0) {
				idle_since = util_mono_ns();
				spinning = p->spin_score >= SPIN_SCORE_LOW ||
					   ++p->spin_probe % SPIN_PROBE_EVERY == 0;
			}
			/* The clock every IDLE_CLOCK_EVERY-th empty round only:
			 * read each round it was 40 % of a spinning poller's
			 * samples (vDSO, a PVM guest). */
			if (spinning && (idle % IDLE_CLOCK_EVERY ||
					 util_mono_ns() - idle_since < IDLE_SPIN_NS))
				continue;
			if (spinning) /* it did not */
				p->spin_score -= p->spin_score / 8;
			spinning = false;
		}

		/* Ask every port to notify, then look once more before sleeping:
		 * a frame queued between our last look and the request would
		 * otherwise wait for the next one. */
		flags = notify_all(ql, true);
		if (!(flags & PORT_NOTIFY_PENDING)) {
			/* A queue that cannot wake us (a frontend that polls, a
			 * NIC that refused TX frames) is looked at every 1 ms. */
			atomic_store(&p->sleeping, true);
			n = epoll_wait(p->epfd, ev, 64, flags & PORT_NOTIFY_NO_WAKE ? 1 : 1000);
			atomic_store(&p->sleeping, false);
			/* Before notify_all() reads any queue's state: a control
			 * thread that saw us sleeping has stopped those queues
			 * (its side of the store-load handshake, vhu_dev_pause). */
			atomic_thread_fence(memory_order_seq_cst);
			p->sleeps++;
			if (n > 0) {
				p->wakeups++;
				drain_kicks(ev, n);
			}
		}
		if (d->mode == POLL_ADAPTIVE)
			notify_all(ql, false);
		idle = 0;
	}
	return NULL;
}

static struct poller_qlist *list_alloc(unsigned int nq)
{
	struct poller_qlist *l = calloc(1, sizeof(*l) + (size_t)(nq ?: 1) * sizeof(l->q[0]));

	if (l) {
		l->nq = nq;
		l->cap = nq ?: 1;
	}
	return l;
}

/* @old's queues but @skip's into @nl (nl->nq set). Only what never changes
 * is copied: the poller keeps writing the backpressure fields of its
 * entries, and a new entry starts them at zero (one round unthrottled). */
static void copy_queues(struct poller_qlist *nl, const struct poller_qlist *old,
			const struct port *skip)
{
	unsigned int j;

	nl->nq = 0;
	for (j = 0; old && j < old->nq && nl->nq < nl->cap; j++)
		if (old->q[j].port != skip)
			nl->q[nl->nq++] = (struct poller_queue){ .port = old->q[j].port,
								 .q = old->q[j].q };
}

/* Until @p passes a quiescent point after @seen (or, with @sleep_ok, sleeps). */
static void wait_pass(struct poller *p, uint64_t seen, bool sleep_ok);

/* Replace @p's queue list by @nl: once the poller passed a quiescent point
 * it reads only @nl (it loads the pointer right after the epoch, and a
 * sleeping one uses the list it loaded when it wakes), so the old list is
 * freed then. */
static void set_list(struct poller *p, struct poller_qlist *nl)
{
	struct poller_qlist *old = atomic_exchange(&p->ql, nl); /* seq_cst: before the epoch load */

	if (p->running && p->thread != pthread_self()) {
		uint64_t seen = atomic_load(&p->epoch);

		eventfd_write(p->wake_fd, 1);
		wait_pass(p, seen, false);
	}
	free(old);
}

int poller_add_queue(struct poller *p, struct port *port, unsigned int q)
{
	struct poller_qlist *old = atomic_load(&p->ql), *nl;
	unsigned int n = old ? old->nq : 0;

	if (n >= POLLER_MAX_QUEUES)
		return -E2BIG;
	nl = list_alloc(n + 1);
	if (!nl)
		return -ENOMEM;
	copy_queues(nl, old, NULL);
	nl->q[nl->nq++] = (struct poller_queue){ .port = port, .q = q };
	set_list(p, nl);
	return 0;
}

int pollers_add_port(struct daemon *d, struct port *port, unsigned int nq)
{
	unsigned int q;
	int err;

	for (q = 0; q < nq; q++) {
		err = poller_add_queue(&d->pollers[d->next_poller++ % d->npollers], port, q);
		if (err)
			return err;
	}
	return 0;
}

int pollers_del_prepare(struct daemon *d, const struct port *port, struct poller_qlist **nl)
{
	unsigned int i;

	(void)port; /* its entries need no room; the lists are sized as they are */
	for (i = 0; i < d->npollers; i++) {
		struct poller_qlist *old = atomic_load(&d->pollers[i].ql);

		nl[i] = list_alloc(old ? old->nq : 0);
		if (!nl[i]) {
			while (i)
				free(nl[--i]);
			return -ENOMEM;
		}
	}
	return 0;
}

void pollers_del_port(struct daemon *d, struct port *port, struct poller_qlist **nl)
{
	unsigned int i;

	for (i = 0; i < d->npollers; i++) {
		struct poller *p = &d->pollers[i];

		/* Built now: the lists may have changed since the prepare. */
		copy_queues(nl[i], atomic_load(&p->ql), port);
		set_list(p, nl[i]); /* waits for this poller to pass */
	}
	/* Every poller passed a quiescent point after the port left d->ports
	 * and their lists: nothing writes its counters any more. */
	for (i = 0; i < d->npollers; i++)
		memset(&d->pollers[i].stats[port->id - 1], 0, sizeof(d->pollers[i].stats[0]));
}

int pollers_epfd(struct daemon *d, const struct port *port, unsigned int q)
{
	unsigned int i, j;

	for (i = 0; i < d->npollers; i++) {
		struct poller_qlist *ql = atomic_load(&d->pollers[i].ql);

		for (j = 0; ql && j < ql->nq; j++)
			if (ql->q[j].port == port && ql->q[j].q == q)
				return d->pollers[i].epfd;
	}
	return -1;
}

int poller_start(struct daemon *d, struct poller *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char name[16];
	unsigned int i;
	int err;

	p->d = d;
	p->pkts = calloc(BURST, sizeof(*p->pkts));
	p->out = calloc(BURST, sizeof(*p->out));
	p->segs = calloc((size_t)BURST * VHU_MAX_SEGS, sizeof(*p->segs));
	p->dest = calloc(BURST, sizeof(*p->dest));
	p->ob = calloc(1, sizeof(*p->ob));
	if (!p->pkts || !p->out || !p->segs || !p->dest || !p->ob)
		return -ENOMEM;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->epfd < 0 || p->wake_fd < 0)
		return -errno;
	ev.data.fd = p->wake_fd;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wake_fd, &ev))
		return -errno;
	if (!atomic_load(&p->ql)) {
		atomic_store(&p->ql, list_alloc(0));
		if (!atomic_load(&p->ql))
			return -ENOMEM;
	}
	for (i = 0; i < atomic_load(&p->ql)->nq; i++) {
		struct poller_queue *pq = &atomic_load(&p->ql)->q[i];
		struct port *port = pq->port;

		err = port->ops->watch ? port->ops->watch(port, pq->q, p->epfd) : 0;
		if (err)
			return err;
	}
	err = pthread_create(&p->thread, NULL, poller_main, p);
	if (err)
		return -err;
	/* top -H, perf and make bench tell the pollers apart by name */
	snprintf(name, sizeof(name), "xvio-poll%u", p->id);
	pthread_setname_np(p->thread, name);
	p->running = true;
	return 0;
}

void poller_stop(struct poller *p)
{
	if (p->running) {
		eventfd_write(p->wake_fd, 1);
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	p->epfd = p->wake_fd = -1;
	free(p->pkts);
	free(p->out);
	free(p->segs);
	free(p->dest);
	free(p->ob);
	p->ob = NULL;
	free(atomic_exchange(&p->ql, NULL));
	p->pkts = p->out = NULL;
	p->segs = NULL;
	p->dest = NULL;
}

static void on_watchdog(int sig)
{
	(void)sig; /* only to end the system call with EINTR */
}

int pollers_watchdog_init(void)
{
	struct sigaction sa = { .sa_handler = on_watchdog }; /* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	return sigaction(POLLER_WATCHDOG_SIG, &sa, NULL) ? -errno : 0;
}

void pollers_watchdog(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->npollers; i++) {
		struct poller *p = &d->pollers[i];
		uint64_t e = atomic_load(&p->epoch);

		if (p->running && e == p->wd_epoch && !atomic_load(&p->sleeping))
			pthread_kill(p->thread, POLLER_WATCHDOG_SIG);
		p->wd_epoch = e;
	}
}

/* Until @p passes a quiescent point after @seen (or, with @sleep_ok, sleeps).
 * A burst takes microseconds; one stuck in a system call for 20 ms is
 * interrupted (see POLLER_WATCHDOG_SIG), so this never waits for good. */
static void wait_pass(struct poller *p, uint64_t seen, bool sleep_ok)
{
	uint64_t t0 = util_coarse_ns();

	while (atomic_load(&p->epoch) == seen && !(sleep_ok && atomic_load(&p->sleeping))) {
		if (util_coarse_ns() - t0 > 20000000ull) {
			pthread_kill(p->thread, POLLER_WATCHDOG_SIG);
			t0 = util_coarse_ns();
		}
		sched_yield();
	}
}

void pollers_quiesce(struct daemon *d)
{
	uint64_t seen[XVIOD_MAX_THREADS];
	unsigned int i;

	for (i = 0; i < d->npollers; i++)
		seen[i] = atomic_load(&d->pollers[i].epoch);
	for (i = 0; i < d->npollers; i++) {
		struct poller *p = &d->pollers[i];

		if (!p->running || p->thread == pthread_self())
			continue;
		wait_pass(p, seen[i], true);
	}
}

void pollers_watch_fd(struct daemon *d, struct port *port, unsigned int q, int fd, bool add)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	unsigned int i, j;

	for (i = 0; i < d->npollers; i++) {
		struct poller *p = &d->pollers[i];

		struct poller_qlist *ql = atomic_load(&p->ql);

		for (j = 0; ql && j < ql->nq; j++) {
			if (ql->q[j].port != port || ql->q[j].q != q || p->epfd < 0)
				continue;
			if (!add) {
				uint64_t seen;

				/* The frontend keeps the file open: closing our fd
				 * would leave it in the set, woken by a stale ring. */
				if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL) && errno != ENOENT)
					pr_warn("%s: cannot stop watching the kick fd of queue %u: %s",
						port->name, q, strerror(errno));
				/* An epoll_wait that returned before the DEL may still
				 * hold the fd number: the caller closes it (and the
				 * number may be reused) only once the poller has
				 * passed a quiescent point, which follows its reads. */
				if (p->running && p->thread != pthread_self()) {
					seen = atomic_load(&p->epoch);
					eventfd_write(p->wake_fd, 1);
					wait_pass(p, seen, false);
				}
				continue;
			}
			if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) && errno != EEXIST)
				pr_warn("%s: cannot watch the kick fd of queue %u: %s", port->name, q,
					strerror(errno));
			/* wake it so it re-arms with the new fd */
			eventfd_write(p->wake_fd, 1);
		}
	}
}

void pollers_port_stats(struct daemon *d, const struct port *port, struct port_stats *out)
{
	unsigned int t;

	memset(out, 0, sizeof(*out));
	for (t = 0; t < d->npollers; t++) {
		const struct port_stats *s = &d->pollers[t].stats[port->id - 1];

#define SUM(f, help) out->f += __atomic_load_n(&s->f, __ATOMIC_RELAXED);
		PORT_STATS_FIELDS(SUM)
#undef SUM
	}
}
