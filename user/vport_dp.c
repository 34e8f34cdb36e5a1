// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user ports, data path: the port_ops the pollers call. A guest's
 * transmit ring is read by exactly one poller (the one its queue pair was
 * given to); its receive rings can be written by any poller (any port may
 * send to any other), so each has a lock taken once per burst, never per
 * frame.
 */
#include <errno.h>
#include "vport.h"

static void lock(atomic_flag *l)
{
	while (atomic_flag_test_and_set_explicit(l, memory_order_acquire))
		__builtin_ia32_pause();
}

static void unlock(atomic_flag *l)
{
	atomic_flag_clear_explicit(l, memory_order_release);
}

/* A ready receive ring of the guest, preferring pair @q (the sender's). */
static struct vhu_vq *guest_rx(struct vport *vp, unsigned int q, unsigned int *which)
{
	struct vhu_vq *vq;

	if (!vp->dev || !vp->queues)
		return NULL;
	q %= vp->queues;
	vq = vhu_dev__vq(vp->dev, 2 * q);
	if (vq && vhu_vq__ready(vq)) {
		*which = q;
		return vq;
	}
	vq = vhu_dev__vq(vp->dev, 0);
	*which = 0;
	return vq && vhu_vq__ready(vq) ? vq : NULL;
}

static struct vhu_vq *guest_tx(struct vport *vp, unsigned int q)
{
	return vp->dev ? vhu_dev__vq(vp->dev, 2 * q + 1) : NULL;
}

/* One burst from the guest's transmit ring @q per round; a ring that is
 * stopped but was started is drained (the guest disabled it). */
unsigned int vport_rx_burst(struct port *p, unsigned int q, struct port_rx *rx)
{
	struct vport *vp = vport_of(p);
	struct vhu_vq *tx = guest_tx(vp, q);

	if (rx->cursor++ || !tx)
		return 0;
	rx->last = true; /* one burst a round */
	if (vhu_vq__ready(tx)) {
		rx->dst = PORT_DST_LOOKUP;
		rx->hold = false;
		rx->also_delivered = 0;
		return vhu_vq__dequeue_burst(tx, rx->pkts, rx->segs, rx->max);
	}
	if (vhu_vq__started(tx))
		rx->work += vhu_vq__drain(tx);
	return 0;
}

void vport_rx_done(struct port *p, unsigned int q, struct port_rx *rx, unsigned int n,
		   unsigned int delivered, unsigned int kept)
{
	(void)rx, (void)n, (void)delivered, (void)kept; /* a guest's frames are never kept */
	vhu_vq__dequeue_done(guest_tx(vport_of(p), q));
}

unsigned int vport_tx_burst(struct port *p, unsigned int q, const struct vhu_pkt *pkts,
			    unsigned int n, bool hold, struct port_sent *out)
{
	struct vport *vp = vport_of(p);
	unsigned int which, done;
	struct vhu_vq *vq = guest_rx(vp, q, &which);
	const struct vhu_vq_stats *st;
	uint64_t p0, b0;

	out->frames = 0;
	out->bytes = 0;
	if (!vq)
		return 0;
	st = vhu_vq__stats(vq);
	lock(&vp->rx_lock[which]);
	/* What went in, from the queue's own count: with @hold the return
	 * also covers frames dropped there (too big for the buffers). */
	p0 = st->packets;
	b0 = st->bytes;
	done = hold ? vhu_vq__enqueue_try(vq, pkts, n) : vhu_vq__enqueue_burst(vq, pkts, n);
	out->frames = (unsigned int)(st->packets - p0);
	out->bytes = st->bytes - b0;
	unlock(&vp->rx_lock[which]);
	return done;
}

unsigned int vport_offloads(struct port *p, unsigned int q)
{
	unsigned int which;
	struct vhu_vq *vq = guest_rx(vport_of(p), q, &which);

	return vq ? vhu_vq__offloads(vq) : 0;
}

bool vport_tx_ready(struct port *p, unsigned int q)
{
	unsigned int which;

	return guest_rx(vport_of(p), q, &which) != NULL;
}

uint32_t vport_tx_room(struct port *p, unsigned int q)
{
	unsigned int which;
	struct vhu_vq *vq = guest_rx(vport_of(p), q, &which);

	return vq ? vhu_vq__avail_count(vq) : UINT32_MAX;
}

bool vport_up(struct port *p)
{
	struct vport *vp = vport_of(p);

	return vp->dev && vhu_dev__connected(vp->dev);
}

unsigned int vport_notify(struct port *p, unsigned int q, bool enable)
{
	struct vhu_vq *tx = guest_tx(vport_of(p), q);
	unsigned int flags = 0;

	if (!tx || !vhu_vq__ready(tx))
		return 0;
	if (vhu_vq__notify_enable(tx, enable))
		flags |= PORT_NOTIFY_PENDING;
	if (enable && vhu_vq__kick_fd(tx) < 0)
		flags |= PORT_NOTIFY_NO_WAKE; /* the frontend polls: nothing kicks */
	return flags;
}

/* Control thread: one frame into the guest's first receive ring. */
int vport_send_frame(struct port *p, const void *frame, uint32_t len)
{
	struct vhu_seg seg = { .base = frame, .len = len };
	struct vhu_pkt pkt = { .segs = &seg, .nsegs = 1, .len = len };
	struct port_sent out;

	return vport_tx_burst(p, 0, &pkt, 1, false, &out) ? 0 : -ENOBUFS;
}
