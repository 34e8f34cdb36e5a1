// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest side for back-end tests: memfd guest memory, a vhost-user front-end,
 * split and packed virtqueue drivers and a small virtio-net driver on top.
 * Owns nothing of the back-end; see vdrv.h for the API and its conventions.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "vdrv.h"

_Static_assert(sizeof(struct vdrv_desc) == 16, "split descriptor is 16 bytes");
_Static_assert(sizeof(struct vdrv_pdesc) == 16, "packed descriptor is 16 bytes");
_Static_assert(sizeof(struct vdrv_used_elem) == 8, "used element is 8 bytes");
_Static_assert(sizeof(struct vdrv_event) == 4, "event suppression is 4 bytes");
_Static_assert(sizeof(struct vdrv_vring_addr) == 40, "vring address payload");
_Static_assert(sizeof(struct vdrv_mem_table) == 8 + 8 * 32, "memory table payload");
_Static_assert(sizeof(struct vdrv_net_hdr) == 12, "virtio-net header");

#define GAP		64	/* bytes left between TX segments */
#define DRAIN_MAX	65536	/* oversized payload bytes read and dropped */
#define RX_POISON	0xa5

struct vdrv_slot {
	void *token;
	uint64_t buf_gpa;	/* net helpers: this id's data buffer */
	uint64_t ind_gpa;	/* this id's indirect table (VDRV_INDIRECT_MAX entries) */
	uint32_t buf_cap;
	uint32_t buf_len;	/* bytes offered to the device (RX) */
	uint16_t ndesc;		/* ring descriptors the chain occupies */
	uint16_t tail;		/* split: last descriptor of the chain */
	uint16_t next_free;
	bool busy;
};

struct vdrv_pend {
	uint16_t pos;
	uint16_t flags;
	uint16_t ndesc;
};

/* ---- guest memory ---- */

static struct vdrv_region *find_region(struct vdrv_mem *m, uint64_t gpa, uint64_t len)
{
	int i;

	for (i = 0; i < m->nregions; i++) {
		struct vdrv_region *r = &m->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

int vdrv_mem_add_region(struct vdrv_mem *m, uint64_t gpa, uint64_t size)
{
	return vdrv_mem_add_region_off(m, gpa, size, 0);
}

int vdrv_mem_add_region_off(struct vdrv_mem *m, uint64_t gpa, uint64_t size,
			    uint64_t mmap_offset)
{
	uint64_t flen = mmap_offset + size;
	struct vdrv_region *r;
	void *base;
	int i, fd, err;

	if (m->nregions >= VDRV_MAX_REGIONS)
		return -ENOSPC;
	if (!size || gpa + size < gpa || flen < size || flen > (uint64_t)INT64_MAX)
		return -EINVAL;
	for (i = 0; i < m->nregions; i++)
		if (gpa < m->r[i].gpa + m->r[i].size && m->r[i].gpa < gpa + size)
			return -EEXIST;

	fd = memfd_create("vdrv-guest", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)flen)) {
		err = -errno;
		goto err_close;
	}
	base = mmap(NULL, flen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	r = &m->r[m->nregions];
	r->fd = fd;
	r->va = (uint8_t *)base + mmap_offset;
	r->gpa = gpa;
	r->size = size;
	r->mmap_offset = mmap_offset;
	/* Distinct per region and far from any gpa a test uses (vhost-user.rst
	 * "Memory access": ring addresses are user addresses, buffers are not). */
	r->uva = VDRV_UVA_BASE + gpa + (uint64_t)m->nregions * VDRV_UVA_STRIDE;
	m->nregions++;
	return 0;

err_close:
	close(fd);
	return err;
}

void vdrv_mem_free(struct vdrv_mem *m)
{
	int i;

	for (i = 0; i < m->nregions; i++) {
		struct vdrv_region *r = &m->r[i];

		munmap((uint8_t *)r->va - r->mmap_offset, r->mmap_offset + r->size);
		close(r->fd);
	}
	memset(m, 0, sizeof(*m));
}

uint64_t vdrv_alloc(struct vdrv_mem *m, uint64_t len, uint64_t align)
{
	int i;

	if (!align)
		align = 1;
	if (!len || (align & (align - 1)))
		return 0;
	/* the cursor only moves on success: a failed request wastes nothing */
	for (i = m->alloc_region; i < m->nregions; i++) {
		struct vdrv_region *r = &m->r[i];
		uint64_t end = r->gpa + r->size, at = m->alloc_next, aligned;

		if (i != m->alloc_region || at < r->gpa || at > end)
			at = r->gpa;
		if (!at)
			at = 1;		/* 0 is the failure value: never hand it out */
		aligned = (at + align - 1) & ~(align - 1);
		if (aligned >= at && aligned <= end && end - aligned >= len) {
			m->alloc_region = i;
			m->alloc_next = aligned + len;
			return aligned;
		}
	}
	return 0;
}

void *vdrv_gpa_len(struct vdrv_mem *m, uint64_t gpa, uint64_t len)
{
	struct vdrv_region *r = find_region(m, gpa, len);

	return r ? (uint8_t *)r->va + (gpa - r->gpa) : NULL;
}

void *vdrv_gpa(struct vdrv_mem *m, uint64_t gpa)
{
	return vdrv_gpa_len(m, gpa, 0);
}

uint64_t vdrv_uva(struct vdrv_mem *m, uint64_t gpa)
{
	struct vdrv_region *r = find_region(m, gpa, 0);

	return r ? r->uva + (gpa - r->gpa) : 0;
}

/* ---- vhost-user messages ---- */

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* @niov buffers as one sendmsg with @nfds fds attached; more fds than a
 * message may carry are allowed (tests of the backend's limit). */
#define SEND_MAX_FDS 16

static int send_iov(int sock, struct iovec *iov, int niov, size_t total, const int *fds, int nfds,
		    int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SEND_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
	struct cmsghdr *c;
	ssize_t n;

	if (nfds < 0 || nfds > SEND_MAX_FDS || (nfds && !fds))
		return -EINVAL;
	if (nfds) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* One call: a blocking AF_UNIX stream socket takes a whole message of
	 * this size unless a signal interrupts it. */
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == total ? 0 : -EIO;
}

int vdrv_send_bytes(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return send_iov(sock, &iov, 1, len, fds, nfds, flags);
}

int vdrv_msg_send_raw(int sock, uint32_t req, uint32_t flags, uint32_t hdr_size,
		      const void *payload, uint32_t len, const int *fds, int nfds)
{
	uint32_t hdr[3] = { req, flags, hdr_size };
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};

	if (len && !payload)
		return -EINVAL;
	return send_iov(sock, iov, len ? 2 : 1, sizeof(hdr) + len, fds, nfds, 0);
}

int vdrv_msg_send(int sock, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
		  const int *fds, int nfds)
{
	return vdrv_msg_send_raw(sock, req, flags, size, payload, size, fds, nfds);
}

static void take_fds(struct msghdr *mh, int *fds, int *nfds)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < VDRV_MAX_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
}

/* Read exactly @len bytes of a stream socket, collecting any fds. */
static int recv_full(int sock, void *buf, size_t len, int *fds, int *nfds, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VDRV_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	size_t got = 0;
	ssize_t n;
	int err;

	while (got < len) {
		struct iovec iov = { .iov_base = (uint8_t *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};

		err = wait_fd(sock, POLLIN, timeout_ms);
		if (err)
			return err;
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		take_fds(&mh, fds, nfds);
		if (!n)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int vdrv_msg_recv_fds(int sock, uint32_t *req, uint32_t *flags, void *payload, uint32_t *size,
		      int *fds, int *nfds, int timeout_ms)
{
	int got[VDRV_MAX_FDS], ngot = 0, want = fds && nfds ? *nfds : 0, i, err;
	uint32_t hdr[3], cap = size ? *size : 0;
	uint8_t scratch[512];
	size_t left, n;

	if (nfds)
		*nfds = 0;
	err = recv_full(sock, hdr, sizeof(hdr), got, &ngot, timeout_ms);
	if (err)
		goto out;
	if (req)
		*req = hdr[0];
	if (flags)
		*flags = hdr[1];
	if (size)
		*size = hdr[2];
	if (hdr[2] <= cap) {
		err = recv_full(sock, payload, hdr[2], got, &ngot, timeout_ms);
		goto out;
	}
	/* Too big for the caller: drop it (bounded, a hostile size is not read). */
	for (left = hdr[2] < DRAIN_MAX ? hdr[2] : DRAIN_MAX; left && !err; left -= n) {
		n = left < sizeof(scratch) ? left : sizeof(scratch);
		err = recv_full(sock, scratch, n, got, &ngot, timeout_ms);
	}
	if (!err)
		err = -EMSGSIZE;
out:
	for (i = 0; i < ngot; i++) {
		if (!err && i < want)
			fds[(*nfds)++] = got[i];
		else
			close(got[i]);
	}
	return err;
}

int vdrv_msg_recv(int sock, uint32_t *req, uint32_t *flags, void *payload, uint32_t *size,
		  int timeout_ms)
{
	return vdrv_msg_recv_fds(sock, req, flags, payload, size, NULL, NULL, timeout_ms);
}

/* A reply to @req carrying exactly a u64. */
static int recv_reply_u64(int sock, uint32_t req, uint64_t *out)
{
	uint32_t r, f, size = sizeof(*out);
	int err;

	err = vdrv_msg_recv(sock, &r, &f, out, &size, VDRV_TIMEOUT_MS);
	if (err)
		return err;
	if (r != req || (f & 0x3) != VDRV_MSG_VERSION || !(f & VDRV_MSG_REPLY) ||
	    size != sizeof(*out))
		return -EPROTO;
	return 0;
}

int vdrv_msg_ack(int sock, uint32_t req, const void *payload, uint32_t size, const int *fds,
		 int nfds)
{
	uint64_t v;
	int err;

	err = vdrv_msg_send(sock, req, VDRV_MSG_VERSION | VDRV_MSG_NEED_REPLY, payload, size, fds,
			    nfds);
	if (err)
		return err;
	err = recv_reply_u64(sock, req, &v);
	if (err)
		return err;
	return v > INT_MAX ? INT_MAX : (int)v;
}

int vdrv_get_u64(int sock, uint32_t req, uint64_t *out)
{
	int err;

	err = vdrv_msg_send(sock, req, VDRV_MSG_VERSION, NULL, 0, NULL, 0);
	if (err)
		return err;
	return recv_reply_u64(sock, req, out);
}

int vdrv_sync(int sock)
{
	uint64_t v;

	return vdrv_get_u64(sock, VDRV_REQ_GET_FEATURES, &v);
}

/* A set-type message, acked when @ack; a back-end NAK becomes -EREMOTEIO. */
static int set_msg(int sock, uint32_t req, const void *p, uint32_t size, const int *fds, int nfds,
		   bool ack)
{
	int err;

	if (!ack)
		return vdrv_msg_send(sock, req, VDRV_MSG_VERSION, p, size, fds, nfds);
	err = vdrv_msg_ack(sock, req, p, size, fds, nfds);
	return err > 0 ? -EREMOTEIO : err;
}

int vdrv_set_mem_table(int sock, struct vdrv_mem *m, bool need_reply)
{
	struct vdrv_mem_table t;
	int fds[VDRV_MAX_REGIONS], i;

	memset(&t, 0, sizeof(t));
	t.nregions = (uint32_t)m->nregions;
	for (i = 0; i < m->nregions; i++) {
		t.r[i].gpa = m->r[i].gpa;
		t.r[i].size = m->r[i].size;
		t.r[i].uva = m->r[i].uva;
		t.r[i].mmap_offset = m->r[i].mmap_offset;
		fds[i] = m->r[i].fd;
	}
	/* QEMU sends only the nregions entries in use, not all eight */
	return set_msg(sock, VDRV_REQ_SET_MEM_TABLE, &t,
		       8 + (uint32_t)m->nregions * sizeof(t.r[0]), fds, m->nregions, need_reply);
}

/* ---- virtqueues ---- */

static inline bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	/* virtio 1.2 §2.7.10: notify iff event is in [old, new) */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static uint16_t *used_event_p(struct vdrv_vq *q)
{
	return &((struct vdrv_avail *)q->avail)->ring[q->size];
}

static uint16_t *avail_event_p(struct vdrv_vq *q)
{
	return (uint16_t *)&((struct vdrv_used *)q->used)->ring[q->size];
}

void vdrv_vq_free(struct vdrv_vq *q)
{
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	if (q->call_fd >= 0)
		close(q->call_fd);
	q->kick_fd = q->call_fd = -1;
	free(q->slot);
	free(q->pend);
	q->slot = NULL;
	q->pend = NULL;
}

int vdrv_vq_init(struct vdrv_vq *q, struct vdrv_mem *m, uint16_t size, bool packed,
		 bool event_idx)
{
	uint16_t i;
	int err;

	memset(q, 0, sizeof(*q));
	q->kick_fd = q->call_fd = -1;
	if (!size || size > VDRV_MAX_QSIZE || (!packed && (size & (size - 1))))
		return -EINVAL;
	q->mem = m;
	q->size = size;
	q->packed = packed;
	q->event_idx = event_idx;
	/* virtio 1.2 §2.7 / §2.8.10.1 alignments; each part allocated apart */
	q->desc_gpa = vdrv_alloc(m, 16ULL * size, 16);
	if (packed) {
		q->avail_gpa = vdrv_alloc(m, sizeof(struct vdrv_event), 4);
		q->used_gpa = vdrv_alloc(m, sizeof(struct vdrv_event), 4);
	} else {
		q->avail_gpa = vdrv_alloc(m, 6 + 2ULL * size, 2);
		q->used_gpa = vdrv_alloc(m, 6 + 8ULL * size, 4);
	}
	if (!q->desc_gpa || !q->avail_gpa || !q->used_gpa)
		return -ENOMEM;
	q->desc = vdrv_gpa(m, q->desc_gpa);
	q->avail = vdrv_gpa(m, q->avail_gpa);
	q->used = vdrv_gpa(m, q->used_gpa);

	q->slot = calloc(size, sizeof(*q->slot));
	q->pend = calloc(size, sizeof(*q->pend));
	if (!q->slot || !q->pend) {
		err = -ENOMEM;
		goto err_free;
	}
	q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->call_fd = q->kick_fd < 0 ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->call_fd < 0) {
		err = -errno;
		goto err_free;
	}
	for (i = 0; i < size; i++)
		q->slot[i].next_free = i + 1;
	q->num_free = size;
	q->avail_wrap = q->used_wrap = true;	/* §2.8.1: both counters start at 1 */
	return 0;

err_free:
	vdrv_vq_free(q);
	return err;
}

int vdrv_vq_next_id(struct vdrv_vq *q)
{
	/* packed: in-flight ids <= in-flight descriptors < size, so a free
	 * descriptor implies a free id */
	return q->num_free ? q->free_head : -ENOSPC;
}

static int add_split(struct vdrv_vq *q, const struct vdrv_buf *bufs, int nout, int n,
		     bool indirect, void *token)
{
	struct vdrv_desc *d = q->desc;
	struct vdrv_avail *a = q->avail;
	uint16_t head = q->free_head, i = head, last = head, cnt;
	int k;

	if (indirect) {
		struct vdrv_desc *t = vdrv_gpa(q->mem, q->slot[head].ind_gpa);

		for (k = 0; k < n; k++) {
			t[k].addr = htole64(bufs[k].gpa);
			t[k].len = htole32(bufs[k].len);
			t[k].flags = htole16((k >= nout ? VDRV_DESC_F_WRITE : 0) |
					     (k + 1 < n ? VDRV_DESC_F_NEXT : 0));
			t[k].next = htole16(k + 1 < n ? k + 1 : 0);
		}
		d[head].addr = htole64(q->slot[head].ind_gpa);
		d[head].len = htole32((uint32_t)n * sizeof(*t));
		d[head].flags = htole16(VDRV_DESC_F_INDIRECT);
		d[head].next = 0;
		cnt = 1;
	} else {
		for (k = 0; k < n; k++) {
			bool more = k + 1 < n;

			d[i].addr = htole64(bufs[k].gpa);
			d[i].len = htole32(bufs[k].len);
			d[i].flags = htole16((k >= nout ? VDRV_DESC_F_WRITE : 0) |
					     (more ? VDRV_DESC_F_NEXT : 0));
			d[i].next = htole16(more ? q->slot[i].next_free : 0);
			last = i;
			i = q->slot[i].next_free;
		}
		cnt = (uint16_t)n;
	}
	/* the chain stays linked through next_free until it is used */
	q->free_head = q->slot[last].next_free;
	q->num_free -= cnt;
	q->slot[head].token = token;
	q->slot[head].ndesc = cnt;
	q->slot[head].tail = last;
	q->slot[head].busy = true;
	a->ring[q->avail_idx & (q->size - 1)] = htole16(head);
	q->avail_idx++;
	return head;
}

static int add_packed(struct vdrv_vq *q, const struct vdrv_buf *bufs, int nout, int n,
		      bool indirect, void *token)
{
	struct vdrv_pdesc *d = q->desc;
	uint16_t id = q->free_head, pos = q->avail_idx, head_flags = 0, cnt, f;
	bool wrap = q->avail_wrap;
	int k;

	if (indirect) {
		struct vdrv_pdesc *t = vdrv_gpa(q->mem, q->slot[id].ind_gpa);

		/* §2.8.7: table entries are consecutive; WRITE is their only flag */
		for (k = 0; k < n; k++) {
			t[k].addr = htole64(bufs[k].gpa);
			t[k].len = htole32(bufs[k].len);
			t[k].id = 0;
			t[k].flags = htole16(k >= nout ? VDRV_DESC_F_WRITE : 0);
		}
	}
	cnt = indirect ? 1 : (uint16_t)n;
	for (k = 0; k < cnt; k++) {
		if (indirect) {
			d[pos].addr = htole64(q->slot[id].ind_gpa);
			d[pos].len = htole32((uint32_t)n * sizeof(*d));
			f = VDRV_DESC_F_INDIRECT;
		} else {
			d[pos].addr = htole64(bufs[k].gpa);
			d[pos].len = htole32(bufs[k].len);
			f = (k >= nout ? VDRV_DESC_F_WRITE : 0) |
			    (k + 1 < cnt ? VDRV_DESC_F_NEXT : 0);
		}
		/* §2.8.1: AVAIL matches the driver wrap counter, USED the inverse.
		 * The id goes in every descriptor; §2.8.6 only needs the last. */
		f |= wrap ? VDRV_DESC_F_AVAIL : VDRV_DESC_F_USED;
		d[pos].id = htole16(id);
		if (k == 0)
			head_flags = f;	/* written last, by vdrv_vq_publish() */
		else
			__atomic_store_n(&d[pos].flags, htole16(f), __ATOMIC_RELAXED);
		if (++pos == q->size) {
			pos = 0;
			wrap = !wrap;
		}
	}
	q->pend[q->npend].pos = q->avail_idx;
	q->pend[q->npend].flags = head_flags;
	q->pend[q->npend].ndesc = cnt;
	q->npend++;
	q->avail_idx = pos;
	q->avail_wrap = wrap;
	q->free_head = q->slot[id].next_free;
	q->num_free -= cnt;
	q->slot[id].token = token;
	q->slot[id].ndesc = cnt;
	q->slot[id].busy = true;
	return id;
}

int vdrv_vq_add(struct vdrv_vq *q, const struct vdrv_buf *bufs, int nout, int nin, bool indirect,
		void *token)
{
	int n = nout + nin, need = indirect ? 1 : n;
	struct vdrv_slot *s;

	if (nout < 0 || nin < 0 || !n || !bufs)
		return -EINVAL;
	if (indirect ? n > VDRV_INDIRECT_MAX : n > q->size)
		return -EINVAL;
	if (q->num_free < need)
		return -ENOSPC;
	s = &q->slot[q->free_head];
	if (indirect && !s->ind_gpa) {
		s->ind_gpa = vdrv_alloc(q->mem, VDRV_INDIRECT_MAX * 16, 16);
		if (!s->ind_gpa)
			return -ENOMEM;
	}
	if (q->packed)
		return add_packed(q, bufs, nout, n, indirect, token);
	return add_split(q, bufs, nout, n, indirect, token);
}

void vdrv_vq_publish(struct vdrv_vq *q)
{
	struct vdrv_pdesc *d = q->desc;
	int i;

	if (!q->packed) {
		/* release: descriptors and avail->ring entries written by
		 * vdrv_vq_add() are visible before the device sees the new idx */
		__atomic_store_n(&((struct vdrv_avail *)q->avail)->idx, htole16(q->avail_idx),
				 __ATOMIC_RELEASE);
		return;
	}
	/* release: each chain's other descriptors before its head's flags
	 * (§2.8.6). Last chain first, so a device polling the first head finds
	 * the whole batch complete once it sees it. */
	for (i = q->npend - 1; i >= 0; i--) {
		__atomic_store_n(&d[q->pend[i].pos].flags, htole16(q->pend[i].flags),
				 __ATOMIC_RELEASE);
		q->kick_added += q->pend[i].ndesc;
	}
	q->npend = 0;
}

bool vdrv_vq_should_kick(struct vdrv_vq *q)
{
	struct vdrv_event *ev = q->used;	/* packed: device event suppression */
	uint16_t old, new_idx, off, flags;
	bool wrap;

	/* full barrier: our publication stores are ordered before the read of
	 * the device's suppression fields (§2.7.13.3.1, §2.8.21.3.1) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->packed) {
		new_idx = le16toh(((struct vdrv_avail *)q->avail)->idx);
		old = q->kick_idx;
		q->kick_idx = new_idx;
		if (q->event_idx)
			return need_event(le16toh(__atomic_load_n(avail_event_p(q),
								 __ATOMIC_ACQUIRE)),
					  new_idx, old);
		return !(le16toh(__atomic_load_n(&((struct vdrv_used *)q->used)->flags,
						 __ATOMIC_ACQUIRE)) & VDRV_USED_F_NO_NOTIFY);
	}
	off = le16toh(__atomic_load_n(&ev->off_wrap, __ATOMIC_ACQUIRE));
	flags = le16toh(__atomic_load_n(&ev->flags, __ATOMIC_ACQUIRE)) & 0x3;
	old = q->kick_added;
	q->kick_added = 0;
	if (flags == VDRV_EVENT_F_DISABLE)
		return false;
	if (flags != VDRV_EVENT_F_DESC || !q->event_idx)
		return true;
	/* published position: where the oldest unpublished head sits, if any */
	new_idx = q->npend ? q->pend[0].pos : q->avail_idx;
	wrap = q->npend ? !!(q->pend[0].flags & VDRV_DESC_F_AVAIL) : q->avail_wrap;
	/* An event offset from the other lap lies one ring size back; then
	 * need_event over [new - added, new) in plain u16 arithmetic. */
	if ((off >> VDRV_WRAP_BIT) != wrap)
		off = (uint16_t)((off & 0x7fff) - q->size);
	else
		off &= 0x7fff;
	return need_event(off, new_idx, (uint16_t)(new_idx - old));
}

int vdrv_vq_kick(struct vdrv_vq *q)
{
	uint64_t one = 1;

	if (q->kick_fd < 0)
		return -EBADF;
	return write(q->kick_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

uint16_t vdrv_vq_next_used_event(struct vdrv_vq *q)
{
	if (!q->packed)
		return q->last_used;
	return (uint16_t)(q->last_used | (q->used_wrap ? 1u << VDRV_WRAP_BIT : 0));
}

void vdrv_vq_set_used_event(struct vdrv_vq *q, uint16_t idx)
{
	struct vdrv_event *ev = q->avail;	/* packed: driver event suppression */

	/* seq_cst: the new event is visible before we re-check the used ring */
	if (!q->packed) {
		__atomic_store_n(used_event_p(q), htole16(idx), __ATOMIC_SEQ_CST);
		return;
	}
	__atomic_store_n(&ev->off_wrap, htole16(idx), __ATOMIC_RELAXED);
	if (q->event_idx)
		__atomic_store_n(&ev->flags, htole16(VDRV_EVENT_F_DESC), __ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void vdrv_vq_disable_cb(struct vdrv_vq *q, bool disable)
{
	/* seq_cst: ordered before the caller's re-check of the used ring */
	uint16_t f = q->packed ? (disable ? VDRV_EVENT_F_DISABLE : VDRV_EVENT_F_ENABLE) :
				 (disable ? VDRV_AVAIL_F_NO_INTERRUPT : 0);

	__atomic_store_n(q->packed ? &((struct vdrv_event *)q->avail)->flags :
				     &((struct vdrv_avail *)q->avail)->flags,
			 htole16(f), __ATOMIC_SEQ_CST);
}

static void free_chain(struct vdrv_vq *q, uint16_t id)
{
	struct vdrv_slot *s = &q->slot[id];

	/* split: the chain is still linked head..tail through next_free */
	q->slot[q->packed ? id : s->tail].next_free = q->free_head;
	q->free_head = id;
	q->num_free += s->ndesc;
	s->busy = false;
	s->token = NULL;
}

int vdrv_vq_get_used_id(struct vdrv_vq *q, int *id, void **token, uint32_t *len)
{
	uint32_t uid, ulen;
	uint16_t flags;

	if (!q->packed) {
		struct vdrv_used *u = q->used;
		uint16_t idx = le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));
		struct vdrv_used_elem *e;

		/* acquire above: the element is read after the idx that covers it */
		if (idx == q->last_used)
			return 0;
		if ((uint16_t)(idx - q->last_used) > q->size)
			return -EBADMSG;
		e = &u->ring[q->last_used & (q->size - 1)];
		uid = le32toh(e->id);
		ulen = le32toh(e->len);
		if (uid >= q->size || !q->slot[uid].busy)
			return -EBADMSG;
		q->last_used++;
	} else {
		struct vdrv_pdesc *d = &((struct vdrv_pdesc *)q->desc)[q->last_used];
		bool used, avail;

		/* acquire: id and len are read after the flags that publish them */
		flags = le16toh(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE));
		used = flags & VDRV_DESC_F_USED;
		avail = flags & VDRV_DESC_F_AVAIL;
		if (used != q->used_wrap || avail != used)
			return 0;
		uid = le16toh(d->id);
		/* §2.8.4: len is reserved unless the device set WRITE */
		ulen = flags & VDRV_DESC_F_WRITE ? le32toh(d->len) : 0;
		if (uid >= q->size || !q->slot[uid].busy)
			return -EBADMSG;
		/* §2.8.6: skip the whole chain to the next used descriptor */
		q->last_used += q->slot[uid].ndesc;
		if (q->last_used >= q->size) {
			q->last_used -= q->size;
			q->used_wrap = !q->used_wrap;
		}
	}
	if (id)
		*id = (int)uid;
	if (token)
		*token = q->slot[uid].token;
	if (len)
		*len = ulen;
	free_chain(q, (uint16_t)uid);
	if (q->auto_event)
		vdrv_vq_set_used_event(q, vdrv_vq_next_used_event(q));
	return 1;
}

int vdrv_vq_get_used(struct vdrv_vq *q, void **token, uint32_t *len)
{
	return vdrv_vq_get_used_id(q, NULL, token, len);
}

int vdrv_vq_wait_call(struct vdrv_vq *q, int timeout_ms)
{
	uint64_t v;
	int err;

	if (q->call_fd < 0)
		return -EBADF;
	err = wait_fd(q->call_fd, POLLIN, timeout_ms);
	if (err)
		return err == -ETIMEDOUT ? 0 : err;
	if (read(q->call_fd, &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? 0 : -errno;
	return 1;
}

uint32_t vdrv_vq_base(const struct vdrv_vq *q)
{
	uint32_t pos;

	if (!q->packed)
		return q->last_used;
	/* vhost-user.rst "Vring descriptor indices for packed virtqueues": avail
	 * index + wrap in bits 0-15, used index + wrap in bits 16-31. Both sit at
	 * our next used entry, right for a fresh ring (0x80008000) or a drained one. */
	pos = q->last_used | (q->used_wrap ? 1u << VDRV_WRAP_BIT : 0);
	return pos | pos << 16;
}

int vdrv_vq_setup_backend_ack(int sock, struct vdrv_vq *q, uint32_t index, bool need_reply)
{
	struct vdrv_vring_state num = { index, q->size }, base = { index, vdrv_vq_base(q) };
	/* user addresses (vhost-user.rst "A vring address description"); for a
	 * packed ring avail/used are the driver/device event areas */
	struct vdrv_vring_addr addr = {
		.index = index,
		.desc = vdrv_uva(q->mem, q->desc_gpa),
		.used = vdrv_uva(q->mem, q->used_gpa),
		.avail = vdrv_uva(q->mem, q->avail_gpa),
	};
	uint64_t call = index | (q->call_fd < 0 ? VDRV_VRING_NOFD : 0);
	uint64_t kick = index | (q->kick_fd < 0 ? VDRV_VRING_NOFD : 0);
	const struct {
		uint32_t req;
		const void *p;
		uint32_t size;
		const int *fd;
	} m[] = {
		{ VDRV_REQ_SET_VRING_CALL, &call, sizeof(call), &q->call_fd },
		{ VDRV_REQ_SET_VRING_NUM, &num, sizeof(num), NULL },
		{ VDRV_REQ_SET_VRING_BASE, &base, sizeof(base), NULL },
		{ VDRV_REQ_SET_VRING_ADDR, &addr, sizeof(addr), NULL },
		/* kick last: it starts the ring */
		{ VDRV_REQ_SET_VRING_KICK, &kick, sizeof(kick), &q->kick_fd },
	};
	size_t i;
	int err;

	if (index > VDRV_VRING_IDX_MASK)
		return -EINVAL;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		err = set_msg(sock, m[i].req, m[i].p, m[i].size, m[i].fd,
			      m[i].fd && *m[i].fd >= 0, need_reply);
		if (err)
			return err;
	}
	return 0;
}

int vdrv_vq_setup_backend(int sock, struct vdrv_vq *q, uint32_t index)
{
	return vdrv_vq_setup_backend_ack(sock, q, index, false);
}

/* ---- device ---- */

int vdrv_dev_start(struct vdrv_dev *d, int sock, uint64_t want_features, uint64_t want_protocol,
		   int nvqs, uint16_t qsize)
{
	struct vdrv_vring_state en = { .num = 1 };
	uint64_t offered, poffered, feats, status;
	bool own_mem = false, ack = false, pf;
	int i, err;

	if (nvqs < 1 || nvqs > VDRV_MAX_VQS)
		return -EINVAL;
	d->sock = sock;
	d->nvqs = 0;
	d->features = d->protocol_features = d->max_queues = 0;
	if (!d->mem.nregions) {
		err = vdrv_mem_add_region(&d->mem, VDRV_DEV_GPA, VDRV_DEV_MEM_SIZE);
		if (err)
			return err;
		own_mem = true;
	}
	err = vdrv_msg_send(sock, VDRV_REQ_SET_OWNER, VDRV_MSG_VERSION, NULL, 0, NULL, 0);
	if (!err)
		err = vdrv_get_u64(sock, VDRV_REQ_GET_FEATURES, &offered);
	if (err)
		goto err_mem;
	feats = want_features & offered;
	pf = offered & VDRV_BIT(VDRV_F_PROTOCOL_FEATURES);
	if (pf) {
		feats |= VDRV_BIT(VDRV_F_PROTOCOL_FEATURES);
		err = vdrv_get_u64(sock, VDRV_REQ_GET_PROTOCOL_FEATURES, &poffered);
		if (err)
			goto err_mem;
		d->protocol_features = want_protocol & poffered;
		err = vdrv_msg_send(sock, VDRV_REQ_SET_PROTOCOL_FEATURES, VDRV_MSG_VERSION,
				    &d->protocol_features, sizeof(uint64_t), NULL, 0);
		if (err)
			goto err_mem;
		ack = d->protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK);
		if (d->protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_MQ)) {
			err = vdrv_get_u64(sock, VDRV_REQ_GET_QUEUE_NUM, &d->max_queues);
			if (!err && (uint64_t)(nvqs + 1) / 2 > d->max_queues)
				err = -ERANGE;	/* GET_QUEUE_NUM counts queue pairs */
			if (err)
				goto err_mem;
		}
	}
	d->features = feats;
	d->packed = feats & VDRV_BIT(VDRV_F_RING_PACKED);
	/* virtio 1.2 §5.1.6: num_buffers is present with VERSION_1 or MRG_RXBUF */
	d->hdr_len = 10;
	if (feats & (VDRV_BIT(VDRV_F_VERSION_1) | VDRV_BIT(VDRV_NET_F_MRG_RXBUF)))
		d->hdr_len = 12;
	err = set_msg(sock, VDRV_REQ_SET_FEATURES, &feats, sizeof(feats), NULL, 0, ack);
	if (err)
		goto err_mem;
	err = vdrv_set_mem_table(sock, &d->mem, ack);
	if (err) {
		err = err > 0 ? -EREMOTEIO : err;
		goto err_mem;
	}
	for (i = 0; i < nvqs; i++) {
		err = vdrv_vq_init(&d->vq[i], &d->mem, qsize, d->packed,
				   feats & VDRV_BIT(VDRV_F_EVENT_IDX));
		if (err)
			goto err_vqs;
		d->nvqs = i + 1;
		err = vdrv_vq_setup_backend_ack(sock, &d->vq[i], (uint32_t)i, ack);
		if (!err && pf) {
			en.index = (uint32_t)i;
			err = set_msg(sock, VDRV_REQ_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0,
				      ack);
		}
		if (err)
			goto err_vqs;
	}
	if (d->protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_STATUS)) {
		status = 0xf;	/* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK */
		err = set_msg(sock, VDRV_REQ_SET_STATUS, &status, sizeof(status), NULL, 0, ack);
		if (err)
			goto err_vqs;
	}
	if (!ack) {
		err = vdrv_sync(sock);
		if (err)
			goto err_vqs;
	}
	return 0;

err_vqs:
	for (i = 0; i < d->nvqs; i++)
		vdrv_vq_free(&d->vq[i]);
	d->nvqs = 0;
err_mem:
	if (own_mem)
		vdrv_mem_free(&d->mem);
	return err;
}

void vdrv_dev_stop(struct vdrv_dev *d)
{
	int i;

	for (i = 0; i < d->nvqs; i++)
		vdrv_vq_free(&d->vq[i]);
	d->nvqs = 0;
	vdrv_mem_free(&d->mem);
}

/* ---- virtio-net ---- */

static struct vdrv_vq *net_vq(struct vdrv_dev *d, int idx)
{
	return idx >= 0 && idx < d->nvqs ? &d->vq[idx] : NULL;
}

/* Give buffer id @id a data buffer of at least @need bytes (reused later). */
static int ensure_buf(struct vdrv_vq *q, int id, uint64_t need)
{
	struct vdrv_slot *s = &q->slot[id];
	uint64_t gpa;

	if (s->buf_cap >= need)
		return 0;
	if (need > UINT32_MAX)
		return -EINVAL;
	if (need < 2048)
		need = 2048;
	gpa = vdrv_alloc(q->mem, need, 64);
	if (!gpa)
		return -ENOMEM;
	s->buf_gpa = gpa;
	s->buf_cap = (uint32_t)need;
	return 0;
}

static void publish_kick(struct vdrv_vq *q)
{
	vdrv_vq_publish(q);
	if (vdrv_vq_should_kick(q))
		vdrv_vq_kick(q);
}

int vdrv_net_rx_post(struct vdrv_dev *d, int rxq, int nbufs, uint32_t buflen)
{
	struct vdrv_vq *q = net_vq(d, VDRV_RXVQ(rxq));
	struct vdrv_buf b;
	int n, id, err = 0;

	if (!q || nbufs < 0 || !buflen)
		return -EINVAL;
	for (n = 0; n < nbufs; n++) {
		id = vdrv_vq_next_id(q);
		if (id < 0)
			break;
		err = ensure_buf(q, id, buflen);
		if (err)
			break;
		b.gpa = q->slot[id].buf_gpa;
		b.len = buflen;
		/* poison: a back-end claiming more than it wrote shows in the data */
		memset(vdrv_gpa(q->mem, b.gpa), RX_POISON, buflen);
		id = vdrv_vq_add(q, &b, 0, 1, false, NULL);
		if (id < 0) {
			err = id;
			break;
		}
		q->slot[id].buf_len = buflen;
	}
	if (n)
		publish_kick(q);
	return n ? n : err;
}

/* Copy @n bytes at offset @off of the stream a[0..alen) || b. */
static void copy_stream(uint8_t *dst, uint32_t off, uint32_t n, const uint8_t *a, uint32_t alen,
			const uint8_t *b)
{
	uint32_t c;

	while (n) {
		if (off < alen) {
			c = n < alen - off ? n : alen - off;
			memcpy(dst, a + off, c);
		} else {
			c = n;
			memcpy(dst, b + (off - alen), c);
		}
		dst += c;
		off += c;
		n -= c;
	}
}

int vdrv_net_tx_opts(struct vdrv_dev *d, int txq, const void *frame, uint32_t len,
		     const struct vdrv_tx_opts *o)
{
	struct vdrv_vq *q = net_vq(d, VDRV_TXVQ(txq));
	struct vdrv_buf bufs[VDRV_INDIRECT_MAX];
	static const uint8_t zero_hdr[12];
	const uint8_t *hdr = o && o->hdr ? o->hdr : zero_hdr;
	uint32_t hl = (uint32_t)d->hdr_len, total, off = 0, pos = 0, seg;
	int k = o ? o->nsegs : 0, nb, i = 0, j, id, err;
	uint8_t *p;

	if (!q || k < 1 || (len && !frame) || len > (1u << 24))
		return -EINVAL;
	nb = k + o->hdr_alone;
	if (nb > VDRV_INDIRECT_MAX || (!o->indirect && nb > q->size))
		return -EINVAL;
	total = o->hdr_alone ? len : hl + len;
	if (total < (uint32_t)k)
		return -EINVAL;		/* a zero-length buffer is invalid */
	if (q->num_free < (o->indirect ? 1 : nb))
		vdrv_net_tx_reap(d, txq);
	id = vdrv_vq_next_id(q);
	if (id < 0 || q->num_free < (o->indirect ? 1 : nb))
		return -ENOSPC;
	err = ensure_buf(q, id, (uint64_t)hl + len + (uint64_t)GAP * (nb + 1));
	if (err)
		return err;
	p = vdrv_gpa(q->mem, q->slot[id].buf_gpa);
	if (o->hdr_alone) {
		memcpy(p, hdr, hl);
		bufs[i].gpa = q->slot[id].buf_gpa;
		bufs[i++].len = hl;
		pos = hl + GAP;
	}
	for (j = 0; j < k; j++) {
		seg = total / (uint32_t)k + ((uint32_t)j < total % (uint32_t)k);
		copy_stream(p + pos, off, seg, o->hdr_alone ? NULL : hdr,
			    o->hdr_alone ? 0 : hl, frame);
		bufs[i].gpa = q->slot[id].buf_gpa + pos;
		bufs[i++].len = seg;
		off += seg;
		pos += seg + GAP;
	}
	id = vdrv_vq_add(q, bufs, nb, 0, o->indirect, NULL);
	if (id < 0)
		return id;
	publish_kick(q);
	return 0;
}

int vdrv_net_tx(struct vdrv_dev *d, int txq, const void *frame, uint32_t len, int nsegs,
		bool indirect)
{
	struct vdrv_tx_opts o = { .nsegs = nsegs, .indirect = indirect };

	return vdrv_net_tx_opts(d, txq, frame, len, &o);
}

int vdrv_net_tx_reap(struct vdrv_dev *d, int txq)
{
	struct vdrv_vq *q = net_vq(d, VDRV_TXVQ(txq));
	int n = 0, ret;

	if (!q)
		return -EINVAL;
	while ((ret = vdrv_vq_get_used(q, NULL, NULL)) > 0)
		n++;
	return ret < 0 ? ret : n;
}

/* One used RX buffer: its data (after @skip bytes) appended to the frame. */
static int rx_take(struct vdrv_vq *q, uint32_t skip, uint8_t **data, uint32_t *dlen)
{
	struct vdrv_slot *s;
	uint32_t ulen;
	int id, ret;

	ret = vdrv_vq_get_used_id(q, &id, NULL, &ulen);
	if (ret <= 0)
		return ret;
	s = &q->slot[id];
	if (ulen < skip || ulen > s->buf_len)
		return -EBADMSG;
	*data = vdrv_gpa(q->mem, s->buf_gpa);
	*dlen = ulen;
	return 1;
}

int vdrv_net_rx_get(struct vdrv_dev *d, int rxq, void *frame, uint32_t cap, uint32_t *len)
{
	struct vdrv_vq *q = net_vq(d, VDRV_RXVQ(rxq));
	uint32_t hl = (uint32_t)d->hdr_len, dlen, c;
	uint16_t nbufs = 1, i, nb_le;
	uint64_t total = 0;
	uint8_t *data;
	int ret;

	if (!q || !len || (cap && !frame))
		return -EINVAL;
	ret = rx_take(q, hl, &data, &dlen);
	if (ret <= 0)
		return ret;
	memset(d->rx_hdr, 0, sizeof(d->rx_hdr));
	memcpy(d->rx_hdr, data, hl);
	if (d->features & VDRV_BIT(VDRV_NET_F_MRG_RXBUF)) {
		memcpy(&nb_le, data + 10, sizeof(nb_le));
		nbufs = le16toh(nb_le);
		if (!nbufs || nbufs > q->size)
			return -EBADMSG;
	}
	/* Without MRG_RXBUF num_buffers is not interpreted (virtio 1.2 §5.1.6.4
	 * says the device sets it to 1, QEMU and vhost-net historically did not);
	 * tests that care read it from d->rx_hdr. */
	for (i = 0; i < nbufs; i++) {
		if (i) {
			/* §5.1.6.4.2: all buffers of a merged frame are used together */
			ret = rx_take(q, 0, &data, &dlen);
			if (ret <= 0)
				return ret ? ret : -EPROTO;
		} else {
			data += hl;
			dlen -= hl;
		}
		c = total < cap ? (cap - total < dlen ? (uint32_t)(cap - total) : dlen) : 0;
		if (c)
			memcpy((uint8_t *)frame + total, data, c);
		total += dlen;
	}
	*len = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	return total > cap ? -EMSGSIZE : 1;
}
