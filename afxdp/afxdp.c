// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AF_XDP queue: one UMEM per NIC queue, shared by every socket bound to that
 * queue (one per guest port the XDP program redirects to, plus the flood
 * socket). The fill and completion rings belong to the UMEM and so are
 * shared too; RX and TX rings are per socket. See afxdp.h for the frame
 * ownership rules this file keeps.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_xdp.h>
#include "afxdp.h"

/* One mmapped ring: where it is and how long, for munmap. */
struct ring_map {
	void *map;
	size_t len;
};

struct afxdp_sock {
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct ring_map rx_map, tx_map;
	int fd;
	uint64_t rx_packets;
	uint64_t rx_bytes;
};

struct afxdp_queue {
	char ifname[16];
	uint32_t qid;
	bool zerocopy;
	void *area;
	uint64_t area_size;
	int umem_fd;		/* the UMEM's socket, also the first socket */
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct ring_map fq_map, cq_map;
	uint32_t tx_meta;	/* tx_metadata_len registered: 0 when none */
	uint32_t tx_off;	/* where TX data starts in a frame: room for it */
	bool tx_meta_clear;	/* zero-copy with metadata: clear each frame's */
	uint32_t nframes;
	uint32_t fq_size;
	uint32_t ring_size;
	bool sg;		/* bound with XDP_USE_SG */
	bool need_sg;		/* AFXDP_Q_NEED_SG */
	uint64_t *free;		/* free-list stack of frame addresses */
	uint32_t nfree;
	uint32_t fq_out;	/* frames given to the fill ring, not returned by RX */
	uint32_t tx_out;	/* frames submitted to TX, not reclaimed from CQ */
	struct afxdp_sock socks[AFXDP_MAX_SOCKS];
	unsigned int nsocks;
	struct afxdp_queue_stats stats;
};

/* Multi-buffer (Linux 6.6): not in older uapi headers. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
/* What the kernel leaves in front of a received frame in each UMEM frame. */
#define AFXDP_RX_HEADROOM 256

/* TX metadata (Linux 6.8; the flag that turns it on, 6.11). Our own copy of
 * the uapi, which Debian 12's headers and libxdp 1.3 do not have. */
#define AFXDP_UMEM_TX_METADATA_LEN (1 << 2)
#define AFXDP_TX_METADATA (1 << 1)		/* xdp_desc.options */
#define AFXDP_TXMD_FLAGS_CHECKSUM (1 << 1)
struct afxdp_umem_reg {
	uint64_t addr;
	uint64_t len;
	uint32_t chunk_size;
	uint32_t headroom;
	uint32_t flags;
	uint32_t tx_metadata_len;
};
struct afxdp_tx_meta {			/* union xsk_tx_metadata, request side */
	uint64_t flags;
	uint16_t csum_start;		/* from the descriptor's address */
	uint16_t csum_offset;		/* from csum_start */
	uint32_t pad;
	uint64_t launch_time;
};
/* Where TX data starts in a UMEM frame when metadata goes in front. */
#define AFXDP_TX_META_ROOM 64

#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

static void ring_unmap(struct ring_map *m)
{
	if (m->map)
		munmap(m->map, m->len);
	m->map = NULL;
}

/* mmap one ring of @fd (@pgoff: XDP_PGOFF_RX_RING ...) and fill in the
 * ring struct the xsk.h helpers use (the same layout for both kinds).
 * @prod: we produce into it. */
static int ring_map(int fd, const struct xdp_ring_offset *o, uint32_t size, size_t entry,
		    uint64_t pgoff, bool prod, struct xsk_ring_prod *r, struct ring_map *m)
{
	m->len = o->desc + size * entry;
	m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		      (off_t)pgoff);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		return -errno;
	}
	r->mask = size - 1;
	r->size = size;
	r->producer = (uint32_t *)((uint8_t *)m->map + o->producer);
	r->consumer = (uint32_t *)((uint8_t *)m->map + o->consumer);
	r->flags = (uint32_t *)((uint8_t *)m->map + o->flags);
	r->ring = (uint8_t *)m->map + o->desc;
	r->cached_prod = *r->producer;
	/* a producer's cached_cons runs one ring ahead (xsk.h) */
	r->cached_cons = *r->consumer + (prod ? size : 0);
	return 0;
}

static int mmap_offsets(int fd, struct xdp_mmap_offsets *off)
{
	socklen_t len = sizeof(*off);

	return getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, off, &len) ? -errno : 0;
}

/*
 * Register the UMEM on a new AF_XDP socket, with room for TX metadata in
 * front of each TX frame where the kernel has it (checksum offload), and
 * map its fill and completion rings. libxdp 1.3 cannot ask for the
 * metadata, hence our own.
 */
static int umem_setup(struct afxdp_queue *q)
{
	struct afxdp_umem_reg reg = {
		.addr = (uintptr_t)q->area, .len = q->area_size, .chunk_size = AFXDP_FRAME_SIZE,
		.flags = AFXDP_UMEM_TX_METADATA_LEN, .tx_metadata_len = sizeof(struct afxdp_tx_meta),
	};
	struct xdp_mmap_offsets off;
	uint32_t fq = q->fq_size, cq = q->ring_size;
	int fd, err;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	q->umem_fd = fd;
	q->tx_meta = reg.tx_metadata_len;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg))) {
		/* a kernel without TX metadata (before 6.11) refuses the flag */
		if (errno != EINVAL)
			return -errno;
		reg.flags = 0;
		reg.tx_metadata_len = 0;
		q->tx_meta = 0;
		if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)))
			return -errno;
	}
	q->tx_off = q->tx_meta ? AFXDP_TX_META_ROOM : 0;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &fq, sizeof(fq)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &cq, sizeof(cq)))
		return -errno;
	err = mmap_offsets(fd, &off);
	if (!err)
		err = ring_map(fd, &off.fr, fq, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, true,
			       &q->fq, &q->fq_map);
	if (!err)
		err = ring_map(fd, &off.cr, cq, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING,
			       false, (struct xsk_ring_prod *)&q->cq, &q->cq_map);
	return err;
}

int afxdp_queue__new(const char *ifname, uint32_t qid, uint32_t ring_size, unsigned int flags,
		     struct afxdp_queue **out)
{
	struct afxdp_queue *q;
	uint32_t i;
	int err;

	*out = NULL;
	if (!ring_size || (ring_size & (ring_size - 1)))
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	snprintf(q->ifname, sizeof(q->ifname), "%s", ifname);
	q->qid = qid;
	q->umem_fd = -1;
	q->need_sg = flags & AFXDP_Q_NEED_SG;
	q->ring_size = ring_size;
	/* Several sockets' RX rings are fed from one fill ring: make it deep.
	 * Frames: everything the fill ring and one TX ring can hold, plus a
	 * few bursts of slack for frames being copied. */
	q->fq_size = 2 * ring_size;
	q->nframes = q->fq_size + ring_size + 256;
	q->area_size = (uint64_t)q->nframes * AFXDP_FRAME_SIZE;
	q->area = mmap(NULL, q->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (q->area == MAP_FAILED) {
		err = -errno;
		free(q);
		return err;
	}
	q->free = calloc(q->nframes, sizeof(*q->free));
	if (!q->free) {
		err = -ENOMEM;
		goto err_unmap;
	}
	for (i = 0; i < q->nframes; i++)
		q->free[i] = (uint64_t)i * AFXDP_FRAME_SIZE;
	q->nfree = q->nframes;
	err = umem_setup(q);
	if (err)
		goto err_free;
	*out = q;
	return 0;

err_free:
	ring_unmap(&q->fq_map);
	ring_unmap(&q->cq_map);
	if (q->umem_fd >= 0)
		close(q->umem_fd);
	free(q->free);
err_unmap:
	munmap(q->area, q->area_size);
	free(q);
	return err;
}

void afxdp_queue__free(struct afxdp_queue *q)
{
	unsigned int i;

	if (!q)
		return;
	for (i = 0; i < q->nsocks; i++) {
		ring_unmap(&q->socks[i].rx_map);
		ring_unmap(&q->socks[i].tx_map);
		if (q->socks[i].fd != q->umem_fd)
			close(q->socks[i].fd);
	}
	ring_unmap(&q->fq_map);
	ring_unmap(&q->cq_map);
	if (q->umem_fd >= 0)
		close(q->umem_fd);
	free(q->free);
	munmap(q->area, q->area_size);
	free(q);
}

/* The socket's RX and TX rings, mapped. */
static int sock_rings(struct afxdp_queue *q, struct afxdp_sock *s)
{
	struct xdp_mmap_offsets off;
	uint32_t n = q->ring_size;
	int err;

	if (setsockopt(s->fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)) ||
	    setsockopt(s->fd, SOL_XDP, XDP_TX_RING, &n, sizeof(n)))
		return -errno;
	err = mmap_offsets(s->fd, &off);
	if (!err)
		err = ring_map(s->fd, &off.rx, n, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, false,
			       (struct xsk_ring_prod *)&s->rx, &s->rx_map);
	if (!err)
		err = ring_map(s->fd, &off.tx, n, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING, true,
			       &s->tx, &s->tx_map);
	return err;
}

/* The first socket is the UMEM's and chooses the mode (@flags); the
 * others share its UMEM, its mode and its fill and completion rings. */
static int bind_one(struct afxdp_queue *q, struct afxdp_sock *s, uint16_t flags)
{
	struct sockaddr_xdp sxdp = {
		.sxdp_family = AF_XDP,
		.sxdp_ifindex = if_nametoindex(q->ifname),
		.sxdp_queue_id = q->qid,
		.sxdp_flags = flags,
	};

	if (!sxdp.sxdp_ifindex)
		return -ENODEV;
	if (s->fd != q->umem_fd) {
		sxdp.sxdp_flags = XDP_SHARED_UMEM;
		sxdp.sxdp_shared_umem_fd = (uint32_t)q->umem_fd;
	}
	return bind(s->fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) ? -errno : 0;
}

int afxdp_queue__add_socket(struct afxdp_queue *q, struct afxdp_sock **out,
			    char *err, size_t errlen)
{
	struct afxdp_sock *s;
	int rc;

	if (q->nsocks >= AFXDP_MAX_SOCKS) {
		snprintf(err, errlen, "%s q%u: more than %d sockets", q->ifname, q->qid,
			 AFXDP_MAX_SOCKS);
		return -E2BIG;
	}
	s = &q->socks[q->nsocks];
	memset(s, 0, sizeof(*s));
	s->fd = q->nsocks ? socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0) : q->umem_fd;
	rc = s->fd < 0 ? -errno : sock_rings(q, s);
	if (rc) {
		snprintf(err, errlen, "%s q%u: AF_XDP socket: %s", q->ifname, q->qid, strerror(-rc));
		goto fail;
	}
	if (q->nsocks == 0) {
		int tries = 20;

		/* Zero-copy when the driver can; veth and most virtual NICs
		 * cannot, and copy mode works everywhere. Multi-buffer
		 * (jumbo frames) where the kernel and driver have it (6.6+;
		 * zero-copy needs the driver's support too), single frames
		 * otherwise; the sockets sharing the UMEM inherit both. A
		 * driver with single-buffer zero-copy keeps it, unless the
		 * caller needs multi-buffer (AFXDP_Q_NEED_SG). Sockets of a
		 * process that just died are released asynchronously: EBUSY
		 * for a moment after a crash is retried. */
		static const uint16_t zc_first[] = {
			XDP_ZEROCOPY | XDP_USE_SG, XDP_ZEROCOPY, XDP_COPY | XDP_USE_SG, XDP_COPY,
		};
		static const uint16_t sg_first[] = {
			XDP_ZEROCOPY | XDP_USE_SG, XDP_COPY | XDP_USE_SG, XDP_ZEROCOPY, XDP_COPY,
		};
		const uint16_t *modes = q->need_sg ? sg_first : zc_first;
		unsigned int m;

		do {
			for (m = 0, rc = -EINVAL; rc && rc != -EBUSY && m < 4; m++) {
				rc = bind_one(q, s, modes[m] | XDP_USE_NEED_WAKEUP);
				q->zerocopy = !rc && (modes[m] & XDP_ZEROCOPY);
				q->sg = !rc && (modes[m] & XDP_USE_SG);
			}
			if (rc == -EBUSY)
				usleep(100 * 1000);
		} while (rc == -EBUSY && --tries);
	} else {
		rc = bind_one(q, s, 0);
	}
	q->tx_meta_clear = q->tx_meta && q->zerocopy;
	if (rc) {
		snprintf(err, errlen, "%s q%u: AF_XDP bind failed: %s", q->ifname, q->qid,
			 strerror(-rc));
		goto fail;
	}
	/* Copy mode hands the driver at most 32 frames per sendto unless told
	 * more (Linux 6.17+): let one kick send everything queued. Older
	 * kernels answer ENOPROTOOPT and keep 32. */
	if (!q->zerocopy) {
		unsigned int budget = q->ring_size;

		(void)setsockopt(s->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget));
	}
	q->nsocks++;
	if (q->nsocks == 1)
		afxdp_queue__refill(q, q->fq_size);
	*out = s;
	return 0;

fail:
	/* Another socket goes. The UMEM's (the first) has its rings set up in
	 * the kernel already: the queue cannot bind again, and is freed. */
	ring_unmap(&s->rx_map);
	ring_unmap(&s->tx_map);
	if (s->fd >= 0 && s->fd != q->umem_fd)
		close(s->fd);
	return rc;
}

static void wake_rx(struct afxdp_queue *q)
{
	/* need_wakeup on the fill ring: the driver stopped for lack of frames. */
	if (q->nsocks && xsk_ring_prod__needs_wakeup(&q->fq)) {
		recvfrom(q->socks[0].fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		q->stats.wakeups++;
	}
}

unsigned int afxdp_queue__refill(struct afxdp_queue *q, unsigned int max)
{
	uint32_t room = q->fq_size - q->fq_out, n = q->nfree, idx, i;

	if (n > room)
		n = room;
	if (n > max)
		n = max;
	if (!n)
		return 0;
	n = xsk_ring_prod__reserve(&q->fq, n, &idx);
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = q->free[--q->nfree];
	xsk_ring_prod__submit(&q->fq, n);
	q->fq_out += n;
	wake_rx(q);
	return n;
}

unsigned int afxdp_queue__complete(struct afxdp_queue *q)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&q->cq, q->ring_size, &idx);
	for (i = 0; i < n; i++)
		q->free[q->nfree++] = *xsk_ring_cons__comp_addr(&q->cq, idx + i) &
				       ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
	xsk_ring_cons__release(&q->cq, n);
	q->tx_out -= n;
	return n;
}

/* rx_peek's work once there are descriptors: apart, so that a look at an
 * idle ring (most of them) costs a small function's entry. */
static __attribute__((noinline)) unsigned int rx_group(struct afxdp_queue *q, struct afxdp_sock *s,
						       struct afxdp_frame *f, uint32_t idx,
						       uint32_t got, unsigned int max_pkts,
						       unsigned int *npkts)
{
	uint32_t i, start = 0, pkts = 0;
	uint64_t bytes = 0, pkt_bytes = 0;

	for (i = 0; i < got && pkts < max_pkts; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);
		uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);

		/* Aligned mode: the descriptor points past the headroom; the frame
		 * is identified by its start. */
		f[i].addr = d->addr & ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
		f[i].data = xsk_umem__get_data(q->area, addr);
		f[i].len = d->len;
		f[i].more = q->sg && (d->options & XDP_PKT_CONTD);
		f[i].cut = false;
		pkt_bytes += d->len;
		if (f[i].more && i + 1 - start < AFXDP_MAX_FRAGS)
			continue;
		if (f[i].more) {
			/* Longer than any packet the kernel builds: cut here.
			 * The rest shows up as a packet of its own, which the
			 * port's checks then judge (a frame without headers). */
			f[i].more = false;
			f[i].cut = true;
			q->stats.rx_bad_chain++;
		}
		if (i > start)
			q->stats.rx_multi++;
		pkts++;
		bytes += pkt_bytes;
		pkt_bytes = 0;
		start = i + 1;
	}
	/* The packets past @max_pkts, and the start of one whose end the
	 * kernel has not published yet, stay in the ring for the next peek. */
	xsk_ring_cons__cancel(&s->rx, got - start);
	*npkts = pkts;
	s->rx_packets += pkts;
	s->rx_bytes += bytes;
	q->stats.rx_packets += pkts;
	q->stats.rx_bytes += bytes;
	return start;
}

unsigned int afxdp_sock__rx_peek(struct afxdp_queue *q, struct afxdp_sock *s,
				 struct afxdp_frame *f, unsigned int n, unsigned int max_pkts,
				 unsigned int *npkts)
{
	uint32_t idx, got;

	got = xsk_ring_cons__peek(&s->rx, n, &idx);
	if (!got) {
		*npkts = 0;
		return 0;
	}
	return rx_group(q, s, f, idx, got, max_pkts, npkts);
}

uint32_t afxdp_sock__rx_level(const struct afxdp_sock *s)
{
	return __atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) - *s->rx.consumer;
}

void afxdp_sock__rx_unpeek(struct afxdp_queue *q, struct afxdp_sock *s,
			   const struct afxdp_frame *f, unsigned int n)
{
	unsigned int i;

	xsk_ring_cons__cancel(&s->rx, n);
	for (i = 0; i < n; i++) { /* counted again when peeked again */
		if (!f[i].more) {
			s->rx_packets--;
			q->stats.rx_packets--;
		} else if (i + 1 < n && !f[i + 1].more) {
			q->stats.rx_multi--;
		}
		s->rx_bytes -= f[i].len;
		q->stats.rx_bytes -= f[i].len;
		q->stats.rx_bad_chain -= f[i].cut;
	}
}

void afxdp_sock__rx_release(struct afxdp_queue *q, struct afxdp_sock *s,
			    const struct afxdp_frame *f, unsigned int n)
{
	uint32_t idx, got, i;

	if (!n)
		return;
	xsk_ring_cons__release(&s->rx, n);
	/* The frames came out of the fill ring, so it has room for them. */
	got = xsk_ring_prod__reserve(&q->fq, n, &idx);
	for (i = 0; i < got; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = f[i].addr;
	xsk_ring_prod__submit(&q->fq, got);
	for (i = got; i < n; i++) {
		q->free[q->nfree++] = f[i].addr;
		q->fq_out--;
	}
	wake_rx(q);
}

unsigned int afxdp_queue__tx_kick(struct afxdp_queue *q)
{
	unsigned int i, pending = 0;

	for (i = 0; i < q->nsocks; i++) {
		struct afxdp_sock *s = &q->socks[i];

		if (!s->tx.size || xsk_prod_nb_free(&s->tx, s->tx.size) == s->tx.size)
			continue;
		/* A copy-mode device that said busy (a full queue; veth's full
		 * ring with its NAPI elsewhere) left these descriptors in the
		 * ring: nothing else sends them, as no new frame may come. */
		pending++;
		if (xsk_ring_prod__needs_wakeup(&s->tx)) {
			sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
			q->stats.tx_rekicks++;
		}
	}
	return pending;
}

void *afxdp_queue__tx_frame(struct afxdp_queue *q, uint64_t *addr)
{
	if (!q->nfree) {
		afxdp_queue__complete(q);
		if (!q->nfree) {
			q->stats.tx_no_frame++;
			return NULL;
		}
	}
	/* With TX metadata the kernel reads it in front of the data, inside
	 * the same UMEM frame. A zero-copy driver may read it whatever the
	 * descriptor says: no stale request there. */
	*addr = q->free[--q->nfree] + q->tx_off;
	if (__builtin_expect(q->tx_meta_clear, 0))
		((struct afxdp_tx_meta *)((uint8_t *)xsk_umem__get_data(q->area, *addr) -
					  q->tx_meta))->flags = 0;
	return xsk_umem__get_data(q->area, *addr);
}

uint32_t afxdp_queue__tx_room(const struct afxdp_queue *q)
{
	return AFXDP_FRAME_SIZE - q->tx_off;
}

bool afxdp_queue__tx_csum_ok(const struct afxdp_queue *q)
{
	return q->tx_meta != 0;
}

bool afxdp_queue__tx_csum(struct afxdp_queue *q, struct afxdp_frame *d, uint16_t start,
			  uint16_t offset)
{
	struct afxdp_tx_meta *m;

	if (!q->tx_meta)
		return false;
	m = (void *)((uint8_t *)xsk_umem__get_data(q->area, d->addr) - q->tx_meta);
	m->flags = AFXDP_TXMD_FLAGS_CHECKSUM;
	m->csum_start = start;
	m->csum_offset = offset;
	d->meta = true;
	return true;
}

uint32_t afxdp_queue__max_packet(const struct afxdp_queue *q)
{
	return q->sg ? 65535 : AFXDP_FRAME_SIZE - AFXDP_RX_HEADROOM;
}

bool afxdp_queue__sg(const struct afxdp_queue *q)
{
	return q->sg;
}

void afxdp_queue__tx_unused(struct afxdp_queue *q, uint64_t addr)
{
	q->free[q->nfree++] = addr & ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
}

unsigned int afxdp_sock__tx_submit(struct afxdp_queue *q, struct afxdp_sock *s,
				   const struct afxdp_frame *d, unsigned int n)
{
	uint32_t idx, got, i, whole = 0, pkts = 0;
	uint64_t bytes = 0;

	if (!n)
		return 0;
	/* As many whole packets as the ring has room for. */
	got = xsk_prod_nb_free(&s->tx, n);
	if (got >= n) {
		got = n;
	} else {
		for (i = 0; i < got; i++)
			if (!d[i].more)
				whole = i + 1;
		got = whole;
	}
	if (got && xsk_ring_prod__reserve(&s->tx, got, &idx) != got)
		got = 0;
	for (i = 0; i < got; i++) {
		struct xdp_desc *x = xsk_ring_prod__tx_desc(&s->tx, idx + i);

		x->addr = d[i].addr;
		x->len = d[i].len;
		/* XDP_PKT_CONTD is 1, XDP_TX_METADATA 2 */
		x->options = (uint32_t)d[i].more | (uint32_t)d[i].meta << 1;
		bytes += d[i].len;
		pkts += !d[i].more;
	}
	q->stats.tx_bytes += bytes;
	q->stats.tx_packets += pkts;
	if (pkts != got) /* multi-buffer packets among them */
		for (i = 0; i + 1 < got; i++)
			q->stats.tx_multi += d[i].more && !d[i + 1].more;
	xsk_ring_prod__submit(&s->tx, got);
	q->tx_out += got;
	for (i = got; i < n; i++) {
		q->free[q->nfree++] = d[i].addr & ~(uint64_t)(AFXDP_FRAME_SIZE - 1);
		if (!d[i].more)
			q->stats.tx_ring_full++;
	}
	/* Copy mode always wants the kick; with need_wakeup it says so. */
	if (got && xsk_ring_prod__needs_wakeup(&s->tx)) {
		sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		q->stats.wakeups++;
	}
	return got;
}

int afxdp_sock__xdp_stats(const struct afxdp_sock *s, struct afxdp_xdp_stats *st)
{
	struct xdp_statistics x = {};
	socklen_t len = sizeof(x);

	if (getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &x, &len))
		return -errno;
	st->rx_dropped = x.rx_dropped;
	st->rx_invalid_descs = x.rx_invalid_descs;
	st->tx_invalid_descs = x.tx_invalid_descs;
	st->rx_ring_full = x.rx_ring_full;
	st->rx_fill_ring_empty_descs = x.rx_fill_ring_empty_descs;
	st->tx_ring_empty_descs = x.tx_ring_empty_descs;
	return 0;
}

int afxdp_queue__check(const struct afxdp_queue *q)
{
	return (uint64_t)q->nfree + q->fq_out + q->tx_out == q->nframes ? 0 : -EFAULT;
}

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

int afxdp_queue__set_busy_poll(struct afxdp_queue *q, unsigned int usec, unsigned int budget)
{
	int one = 1, us = (int)usec, b = (int)budget;
	unsigned int i;

	for (i = 0; i < q->nsocks; i++) {
		int fd = q->socks[i].fd;

		if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &b, sizeof(b)))
			return -errno;
	}
	return 0;
}

void afxdp_queue__busy_poll(struct afxdp_queue *q)
{
	/* With preferred busy polling the driver's NAPI runs from our
	 * syscalls: one per queue per round, never per frame. */
	if (q->nsocks) {
		recvfrom(q->socks[0].fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		q->stats.wakeups++;
	}
}

#ifndef SO_INCOMING_NAPI_ID
#define SO_INCOMING_NAPI_ID 56
#endif

int afxdp_sock__napi_id(const struct afxdp_sock *s)
{
	unsigned int id = 0;
	socklen_t len = sizeof(id);

	if (getsockopt(s->fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &id, &len))
		return -errno;
	return (int)id;
}

bool afxdp_queue__zerocopy(const struct afxdp_queue *q)
{
	return q->zerocopy;
}

unsigned int afxdp_queue__nsocks(const struct afxdp_queue *q)
{
	return q->nsocks;
}

struct afxdp_sock *afxdp_queue__sock(struct afxdp_queue *q, unsigned int i)
{
	return i < q->nsocks ? &q->socks[i] : NULL;
}

const struct afxdp_queue_stats *afxdp_queue__stats(const struct afxdp_queue *q)
{
	return &q->stats;
}

void afxdp_queue__umem_use(const struct afxdp_queue *q, struct afxdp_umem_use *u)
{
	u->frames = q->nframes;
	u->free = q->nfree;
	u->fill = q->fq_out;
	u->tx = q->tx_out;
}

int afxdp_sock__fd(const struct afxdp_sock *s)
{
	return s->fd;
}
