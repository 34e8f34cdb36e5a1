// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Poller threads: each runs to completion over a fixed list of (port, queue
 * pair); nothing else reads those transmit rings. A burst of frames a guest
 * sent is learned (source MAC), looked up (destination MAC), grouped by
 * destination and copied straight from the sender's guest memory into each
 * receiver's guest buffers: one copy, no intermediate buffer.
 *
 * Receive rings can be written by several pollers (any port may send to any
 * other), so each receive queue has a lock taken once per burst and
 * destination, never per frame.
 *
 * Quiescent-state handshake: a poller bumps its epoch at the top of every
 * loop (holding no queue) and sets `sleeping` around epoll_wait. The control
 * thread stops a device's queues (vhu stores STOPPED), then waits until
 * every poller has passed a quiescent point or sleeps: after that no burst
 * can still be using the old rings or memory.
 *
 * Polling modes: busy spins; adaptive spins while there is work and, after
 * IDLE_SPIN_NS of empty rounds, asks the guests to kick, re-checks, and
 * sleeps in epoll_wait on the kick eventfds; interrupt sleeps whenever a
 * round is empty. The spin is timed, not counted: a round costs 0.2 us, or
 * 2 us with a busy-poll syscall in it.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "daemon.h"
#include "log.h"
#include "nic.h"

#define IDLE_SPIN_NS 200000ull
#define IDLE_CLOCK_EVERY 64 /* empty rounds between two looks at the clock */
#define BURST VHU_BURST

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

/* The first @n bytes of a frame, whichever segments they are in. */
static void frame_head(const struct vhu_pkt *p, uint8_t *buf, uint32_t n)
{
	uint32_t done = 0;
	uint16_t s;

	for (s = 0; s < p->nsegs && done < n; s++) {
		uint32_t c = p->segs[s].len < n - done ? p->segs[s].len : n - done;

		memcpy(buf + done, p->segs[s].base, c);
		done += c;
	}
}

static void lock(atomic_flag *l)
{
	while (atomic_flag_test_and_set_explicit(l, memory_order_acquire))
		__builtin_ia32_pause();
}

static void unlock(atomic_flag *l)
{
	atomic_flag_clear_explicit(l, memory_order_release);
}

/* A ready receive queue of @port, preferring the pair matching the sender's. */
static struct vhu_vq *rx_queue(struct port *port, unsigned int qp, unsigned int *which)
{
	struct vhu_vq *vq;

	if (!port->dev || !port->queues)
		return NULL;
	qp %= port->queues;
	vq = vhu_dev__vq(port->dev, 2 * qp);
	if (vq && vhu_vq__ready(vq)) {
		*which = qp;
		return vq;
	}
	vq = vhu_dev__vq(port->dev, 0);
	*which = 0;
	return vq && vhu_vq__ready(vq) ? vq : NULL;
}

bool pollers_can_retry(struct port *dst, unsigned int qp)
{
	unsigned int which;

	return dst && !port_is_nic(dst) && rx_queue(dst, qp, &which);
}

static unsigned int deliver(struct poller *p, struct port *dst, unsigned int qp,
			    const struct vhu_pkt *pkts, unsigned int n, bool keep)
{
	struct port_stats *ds = &p->stats[dst->id - 1];
	unsigned int which, done, i;
	struct vhu_vq *vq = rx_queue(dst, qp, &which);

	if (!vq)
		return 0;
	lock(&dst->rx_lock[which]);
	done = keep ? vhu_vq__enqueue_try(vq, pkts, n) : vhu_vq__enqueue_burst(vq, pkts, n);
	unlock(&dst->rx_lock[which]);
	ds->to_guest += done;
	for (i = 0; i < n && i < done; i++)
		ds->to_guest_bytes += pkts[i].len;
	return done;
}

unsigned int pollers_deliver(struct poller *p, struct port *dst, unsigned int qp,
			     const struct vhu_pkt *pkts, unsigned int n, bool keep)
{
	if (port_is_nic(dst))
		return nic_tx(p, dst->nic, qp, pkts, n);
	return deliver(p, dst, qp, pkts, n, keep);
}

static bool port_up(struct port *dp)
{
	return port_is_nic(dp) || (dp->dev && vhu_dev__connected(dp->dev));
}

#define DEST_FLOOD 0xfffe
#define DEST_DROP 0xfffd

static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Backpressure between guests: a sender takes from its transmit ring no
 * more frames than the guest its last burst mostly went to has buffers for;
 * with none, its frames wait in its own ring (as a busy NIC would leave
 * them) for at most POLL_BLOCK_NS, after which they are forwarded (and
 * dropped for lack of room) as before. Mixed traffic is capped by the
 * main destination's room: a heuristic that never drops more than before.
 * Returns how many frames to dequeue this round (0: hold back). */
static unsigned int sender_budget(struct poller_queue *pq)
{
	unsigned int which, room;
	struct vhu_vq *vq;

	if (!pq->last_dst || !(vq = rx_queue(pq->last_dst, pq->qp, &which)))
		return BURST;
	room = vhu_vq__avail_count(vq);
	if (room) {
		pq->blocked_since = 0;
		return room < BURST ? room : BURST;
	}
	if (!pq->blocked_since)
		pq->blocked_since = coarse_ns();
	else if (coarse_ns() - pq->blocked_since > POLL_BLOCK_NS)
		return BURST;
	return 0;
}

static unsigned int forward_burst(struct poller *p, struct poller_queue *pq, struct vhu_vq *txvq,
				  unsigned int max)
{
	struct port *src = pq->port;
	unsigned int qp = pq->qp;
	struct daemon *d = p->d;
	struct port_stats *ss = &p->stats[src->id - 1];
	uint32_t now = atomic_load_explicit(&d->now, memory_order_relaxed);
	unsigned int n, i, j, k, nflood = 0;
	bool seen[XVIOD_MAX_PORTS] = { false };
	unsigned int most = 0;
	uint8_t last_src[6] = { 0 }, last_dmac[6];
	uint16_t last_dport = FWD_PORT_NONE;
	bool have_dmac = false;

	n = vhu_vq__dequeue_burst(txvq, p->pkts, p->segs, max);
	for (i = 0; i < n; i++) {
		const struct vhu_pkt *pk = &p->pkts[i];
		uint8_t eth[12];
		uint16_t dst;

		ss->from_guest++;
		ss->from_guest_bytes += pk->len;
		if (pk->len < 14) {
			ss->drop_runt++;
			p->dest[i] = DEST_DROP;
			continue;
		}
		frame_head(pk, eth, sizeof(eth));
		/* Learn once per run of frames from the same source (a guest's
		 * burst nearly always is one). */
		if (memcmp(eth + 6, last_src, 6)) {
			memcpy(last_src, eth + 6, 6);
			if (fwd_learn(d->fwd, eth + 6, (uint16_t)src->id, now) && d->nic)
				eventfd_write(d->learn_efd, 1); /* rare: new or moved MAC */
		}
		/* Look up once per run of frames to the same MAC, too. */
		if (!have_dmac || memcmp(eth, last_dmac, 6)) {
			memcpy(last_dmac, eth, 6);
			have_dmac = true;
			last_dport = fwd_is_group(eth) ? FWD_PORT_NONE : fwd_lookup(d->fwd, eth);
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

	/* Unicast: one enqueue per destination port, frames kept in order. */
	for (i = 0; i < n; i++) {
		uint16_t dst = p->dest[i];
		struct port *dp;
		unsigned int got;

		if (dst >= DEST_DROP || seen[dst - 1])
			continue;
		seen[dst - 1] = true;
		for (j = i, k = 0; j < n; j++)
			if (p->dest[j] == dst)
				p->out[k++] = p->pkts[j];
		dp = &d->ports[dst - 1];
		if (!port_up(dp)) {
			ss->drop_dest_down += k;
			continue;
		}
		got = pollers_deliver(p, dp, qp, p->out, k, false);
		ss->fwd_unicast += got;
		if (got < k) {
			if (port_is_nic(dp) || rx_queue(dp, qp, &j))
				ss->drop_dest_full += k - got;
			else
				ss->drop_dest_down += k - got;
		}
		if (k > most) {
			most = k;
			pq->last_dst = port_is_nic(dp) ? NULL : dp;
		}
	}

	/* Flood: to every other port; a frame counts as forwarded when at
	 * least one port took it. */
	if (nflood) {
		unsigned int best = 0, pi;

		for (j = 0, k = 0; j < n; j++)
			if (p->dest[j] == DEST_FLOOD)
				p->out[k++] = p->pkts[j];
		for (pi = 0; pi < d->nports; pi++) {
			struct port *dp = &d->ports[pi];
			unsigned int got;

			if (dp == src)
				continue;
			got = pollers_deliver(p, dp, qp, p->out, k, false);
			ss->flood_copies += got;
			if (got > best)
				best = got;
		}
		ss->fwd_flood += best;
		ss->drop_no_dest += k - best;
	}
	vhu_vq__dequeue_done(txvq);
	return n;
}

static void drain_kicks(struct epoll_event *ev, int n)
{
	uint64_t v;
	int i;

	for (i = 0; i < n; i++)
		if (ev[i].data.fd >= 0 && read(ev[i].data.fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: someone else read it; nothing to do */
		}
}

static void *poller_main(void *arg)
{
	struct poller *p = arg;
	struct daemon *d = p->d;
	struct epoll_event ev[64];
	unsigned int idle = 0, i;
	uint64_t idle_since = 0;

	if (p->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			pr_warn("poller %u: cannot pin to CPU %d; running unpinned", p->id, p->cpu);
	}
	while (!atomic_load(&d->stopping)) {
		unsigned int work = 0;
		bool pending = false, no_kick = false;
		int n, timeout;

		atomic_fetch_add(&p->epoch, 1); /* quiescent point: no queue held */
		p->loops++;
		p->nic_tx_pending = false;
		for (i = 0; i < p->nnic_q; i++)
			work += nic_rx_burst(p, d->nic, p->nic_q[i]);
		for (i = 0; i < p->nq; i++) {
			struct port *port = p->q[i].port;
			struct vhu_vq *tx = port->dev ? vhu_dev__vq(port->dev, 2 * p->q[i].qp + 1) :
							NULL;

			if (!tx)
				continue;
			if (vhu_vq__ready(tx)) {
				unsigned int max = sender_budget(&p->q[i]);

				if (max)
					work += forward_burst(p, &p->q[i], tx, max);
				else
					work++; /* not idle: the destination drains */
			}
			else if (vhu_vq__started(tx))
				work += vhu_vq__drain(tx);
		}
		if (work) {
			idle = 0;
			continue;
		}
		if (d->mode == POLL_BUSY)
			continue;
		if (d->mode == POLL_ADAPTIVE) {
			if (idle++ == 0)
				idle_since = mono_ns();
			if (idle % IDLE_CLOCK_EVERY || mono_ns() - idle_since < IDLE_SPIN_NS)
				continue;
		}

		/* Ask every guest to kick, then look once more before sleeping:
		 * a frame queued between our last look and the request would
		 * otherwise wait for the next one. */
		for (i = 0; i < p->nq; i++) {
			struct port *port = p->q[i].port;
			struct vhu_vq *tx = port->dev ? vhu_dev__vq(port->dev, 2 * p->q[i].qp + 1) :
							NULL;

			if (!tx || !vhu_vq__ready(tx))
				continue;
			pending |= vhu_vq__notify_enable(tx, true);
			if (vhu_vq__kick_fd(tx) < 0)
				no_kick = true;
		}
		if (!pending) {
			/* A ring without a kick fd (frontend polls) cannot wake us,
			 * nor can a NIC that refused TX frames when it drains. */
			timeout = no_kick || p->nic_tx_pending ? 1 : 1000;
			atomic_store(&p->sleeping, true);
			n = epoll_wait(p->epfd, ev, 64, timeout);
			atomic_store(&p->sleeping, false);
			p->sleeps++;
			if (n > 0) {
				p->wakeups++;
				drain_kicks(ev, n);
			}
		}
		if (d->mode == POLL_ADAPTIVE) {
			for (i = 0; i < p->nq; i++) {
				struct port *port = p->q[i].port;
				struct vhu_vq *tx = port->dev ?
							    vhu_dev__vq(port->dev, 2 * p->q[i].qp + 1) :
							    NULL;

				if (tx && vhu_vq__ready(tx))
					vhu_vq__notify_enable(tx, false);
			}
		}
		idle = 0;
	}
	return NULL;
}

int poller_start(struct daemon *d, struct poller *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char name[16];
	int err;

	p->d = d;
	p->pkts = calloc(BURST, sizeof(*p->pkts));
	p->out = calloc(BURST, sizeof(*p->out));
	p->segs = calloc((size_t)BURST * VHU_MAX_SEGS, sizeof(*p->segs));
	p->dest = calloc(BURST, sizeof(*p->dest));
	p->nseg = calloc(BURST, sizeof(*p->nseg));
	if (!p->pkts || !p->out || !p->segs || !p->dest || !p->nseg)
		return -ENOMEM;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->epfd < 0 || p->wake_fd < 0)
		return -errno;
	ev.data.fd = p->wake_fd;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wake_fd, &ev))
		return -errno;
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
	if (!p->running)
		return;
	eventfd_write(p->wake_fd, 1);
	pthread_join(p->thread, NULL);
	p->running = false;
	close(p->epfd);
	close(p->wake_fd);
	free(p->pkts);
	free(p->out);
	free(p->segs);
	free(p->dest);
	free(p->nseg);
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
		while (atomic_load(&p->epoch) == seen[i] && !atomic_load(&p->sleeping))
			sched_yield();
	}
}

void pollers_watch(struct daemon *d, struct port *port, unsigned int vq_index, bool ready)
{
	struct vhu_vq *vq = vhu_dev__vq(port->dev, vq_index);
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i, j;
	int fd = vq ? vhu_vq__kick_fd(vq) : -1;

	/* Receive rings: nothing waits for a guest's refill kick (frames for a
	 * full guest wait in the NIC's ring or in their sender's), so ask the
	 * guest not to make it: one syscall per refill it saves, as DPDK's
	 * vhost does. Re-done whenever the ring is set up again. */
	if (!(vq_index & 1)) {
		if (vq && ready)
			vhu_vq__notify_enable(vq, false);
		return;
	}
	/* Only transmit rings wake pollers; closed fds leave epoll by themselves. */
	if (fd < 0 || !ready)
		return;
	ev.data.fd = fd;
	for (i = 0; i < d->npollers; i++)
		for (j = 0; j < d->pollers[i].nq; j++)
			if (d->pollers[i].q[j].port == port &&
			    2 * d->pollers[i].q[j].qp + 1 == vq_index) {
				if (epoll_ctl(d->pollers[i].epfd, EPOLL_CTL_ADD, fd, &ev) &&
				    errno != EEXIST)
					pr_warn("%s: cannot watch the kick fd of vq%u: %s",
						port->name, vq_index, strerror(errno));
				/* wake it so it re-arms with the new fd */
				eventfd_write(d->pollers[i].wake_fd, 1);
			}
}

unsigned int pollers_flood_frame(struct daemon *d, struct port *from, const void *frame,
				 uint32_t len)
{
	struct vhu_seg seg = { .base = frame, .len = len };
	struct vhu_pkt pkt = { .segs = &seg, .nsegs = 1, .len = len };
	unsigned int i, n = 0;

	for (i = 0; i < d->nports; i++) {
		struct port *dp = &d->ports[i];
		unsigned int which;
		struct vhu_vq *vq;

		if (dp == from || port_is_nic(dp) || !(vq = rx_queue(dp, 0, &which)))
			continue;
		lock(&dp->rx_lock[which]);
		n += vhu_vq__enqueue_burst(vq, &pkt, 1);
		unlock(&dp->rx_lock[which]);
	}
	return n;
}
