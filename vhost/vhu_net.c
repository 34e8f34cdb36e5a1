// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net data path: RX enqueue (frames into the guest's receive buffers,
 * mergeable or not) and TX dequeue (the guest's transmit chains as segment
 * lists), for split and packed rings.
 *
 * Security model: every descriptor field is read once into a local, checked,
 * and only the local is used. Chains are bounded by their table size (a loop
 * cannot run more steps than there are descriptors), indexes are checked
 * against the table, indirect tables must be a non-zero multiple of 16 bytes
 * with at most ring-size entries and may not nest, zero-length buffers and
 * readable-after-writable are refused, and every buffer is translated
 * region by region with a length clamp (a buffer may straddle regions, it may
 * not leave guest memory). Any violation breaks the device; the frames are
 * not delivered and no other device is affected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vhu_internal.h"

#define RD16(p) le16toh(__atomic_load_n(&(p), __ATOMIC_RELAXED))
#define RD32(p) le32toh(__atomic_load_n(&(p), __ATOMIC_RELAXED))
#define RD64(p) le64toh(__atomic_load_n(&(p), __ATOMIC_RELAXED))

int vhu_vq_broken(struct vhu_vq *vq, const char *fmt, ...)
{
	struct vhu_dev *dev = vq->dev;
	char why[200];
	va_list ap;
	unsigned int i;

	for (i = 0; i < VHU_MAX_VQS; i++)
		atomic_store_explicit(&dev->vq[i].state, VHU_VQ_STOPPED, memory_order_release);
	if (__atomic_exchange_n(&dev->broken, true, __ATOMIC_ACQ_REL))
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vhu_log(dev, VHU_LOG_ERR,
		"vq%u: guest broke the virtio rules: %s; device marked broken, its queues "
		"stopped until the guest resets it or reconnects",
		vq->index, why);
	return -EIO;
}

static bool dev_broken(const struct vhu_vq *vq)
{
	return __atomic_load_n(&vq->dev->broken, __ATOMIC_ACQUIRE);
}

/* What a chain walk collects: the buffers of one direction. */
struct walk {
	bool want_write;	/* RX: collect writable buffers; TX: readable */
	bool seen_write;
	bool too_many;
	unsigned int nseg;
	unsigned int max;
	struct vhu_seg *seg;
	uint64_t len;		/* bytes in the wanted direction */
	uint16_t id;		/* packed: buffer id */
	uint16_t ndesc;		/* packed: ring slots the chain took */
	unsigned int ndescs;	/* descriptors walked (direct and indirect) */
};

/*
 * A chain's cost is bounded by what we can carry, not by its table: past
 * VHU_MAX_SEGS descriptors the frame is dropped anyway (too_many), so the
 * walk stops there, and an indirect table of more entries is neither copied
 * nor walked. Without that a burst could walk 256 chains of 32768
 * descriptors each and copy 512 KiB of indirect table per chain.
 */
static bool over_limit(struct walk *w)
{
	if (++w->ndescs <= VHU_MAX_SEGS)
		return false;
	w->too_many = true;
	return true;
}

static int walk_buf(struct vhu_vq *vq, struct walk *w, uint64_t addr, uint32_t len, bool write)
{
	bool want = write == w->want_write;

	if (unlikely(len == 0))
		return vhu_vq_broken(vq, "zero-length buffer at %#llx", (unsigned long long)addr);
	if (write)
		w->seen_write = true;
	else if (unlikely(w->seen_write))
		return vhu_vq_broken(vq, "device-readable buffer after a writable one");
	if (want)
		w->len += len;
	while (len) {
		uint32_t got;
		void *p = vhu_mem_gpa(vq->mem, addr, len, &got, &vq->mem_hint);

		if (unlikely(!p))
			return vhu_vq_broken(vq, "buffer %#llx+%u is outside guest memory",
					     (unsigned long long)addr, len);
		if (want) {
			if (w->nseg < w->max) {
				w->seg[w->nseg].base = p;
				w->seg[w->nseg].len = got;
				w->nseg++;
			} else {
				w->too_many = true;
			}
		}
		addr += got;
		len -= got;
	}
	return 0;
}

/* An indirect table as a host pointer: in place, or copied (at most
 * VHU_MAX_SEGS entries, checked by the caller) when it straddles regions or
 * is not 16-byte aligned (our 64-bit loads of it must be aligned). @len is
 * already checked (multiple of 16, <= size). */
static const void *indirect_table(struct vhu_vq *vq, uint64_t addr, uint32_t len)
{
	uint32_t got, done = 0;
	const void *p = vhu_mem_gpa(vq->mem, addr, len, &got, &vq->mem_hint);

	if (p && got == len && !((uintptr_t)p & 15))
		return p;
	while (p && done < len) {
		memcpy((uint8_t *)vq->indirect_copy + done, p, got);
		done += got;
		if (done < len)
			p = vhu_mem_gpa(vq->mem, addr + done, len - done, &got, &vq->mem_hint);
	}
	return p ? vq->indirect_copy : NULL;
}

static int check_indirect(struct vhu_vq *vq, uint64_t addr, uint32_t len, uint16_t flags,
			  bool nested)
{
	if (unlikely(!vq->indirect))
		return vhu_vq_broken(vq, "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC");
	if (unlikely(nested))
		return vhu_vq_broken(vq, "indirect descriptor inside an indirect table");
	if (unlikely(flags & VRING_DESC_F_NEXT))
		return vhu_vq_broken(vq, "indirect descriptor with NEXT set");
	if (unlikely(len == 0 || len % 16 || len / 16 > vq->size))
		return vhu_vq_broken(vq, "indirect table of %u bytes at %#llx (want a non-zero "
					 "multiple of 16, at most %u entries)",
				     len, (unsigned long long)addr, vq->size);
	return 0;
}

static int walk_split(struct vhu_vq *vq, uint16_t head, struct walk *w)
{
	const struct vring_desc *tbl = vq->desc;
	uint32_t tsize = vq->size, i = head, steps = 0;
	bool nested = false;

	for (;;) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;

		if (unlikely(i >= tsize))
			return vhu_vq_broken(vq, "descriptor index %u outside a table of %u", i,
					     tsize);
		if (unlikely(++steps > tsize))
			return vhu_vq_broken(vq, "chain from head %u is longer than its table of "
					     "%u (a loop?)", head, tsize);
		addr = RD64(tbl[i].addr);
		len = RD32(tbl[i].len);
		flags = RD16(tbl[i].flags);
		next = RD16(tbl[i].next);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (check_indirect(vq, addr, len, flags, nested))
				return -EIO;
			if (len / 16 > VHU_MAX_SEGS) {
				w->too_many = true;
				return 0;
			}
			tbl = indirect_table(vq, addr, len);
			if (unlikely(!tbl))
				return vhu_vq_broken(vq, "indirect table %#llx+%u outside guest memory",
						     (unsigned long long)addr, len);
			tsize = len / 16;
			i = 0;
			steps = 0;
			nested = true;
			continue;
		}
		if (unlikely(over_limit(w)))
			return 0; /* split: the head alone returns the chain */
		if (walk_buf(vq, w, addr, len, flags & VRING_DESC_F_WRITE))
			return -EIO;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = next;
	}
}

static bool packed_avail(const struct vhu_vq *vq, uint16_t pos, bool wrap)
{
	uint16_t f = le16toh(__atomic_load_n(&vq->pdesc[pos].flags, __ATOMIC_ACQUIRE));

	return !!(f & (1 << VRING_PACKED_DESC_F_AVAIL)) == wrap &&
	       !!(f & (1 << VRING_PACKED_DESC_F_USED)) != wrap;
}

/* The chain starting at ring slot @pos (already checked available). */
static int walk_packed(struct vhu_vq *vq, uint16_t pos, struct walk *w)
{
	unsigned int n = 0;

	for (;;) {
		const struct vring_packed_desc *d = &vq->pdesc[pos];
		uint64_t addr = RD64(d->addr);
		uint32_t len = RD32(d->len);
		uint16_t id = RD16(d->id), flags = RD16(d->flags);

		if (unlikely(++n > vq->size))
			return vhu_vq_broken(vq, "packed chain longer than the ring of %u",
					     vq->size);
		if (flags & VRING_DESC_F_INDIRECT) {
			const struct vring_packed_desc *t;
			uint32_t i;

			if (check_indirect(vq, addr, len, flags, n > 1))
				return -EIO;
			w->id = id;
			w->ndesc = 1;
			if (len / 16 > VHU_MAX_SEGS) {
				w->too_many = true;
				return 0;
			}
			t = indirect_table(vq, addr, len);
			if (unlikely(!t))
				return vhu_vq_broken(vq, "indirect table %#llx+%u outside guest memory",
						     (unsigned long long)addr, len);
			for (i = 0; i < len / 16; i++) {
				uint16_t f = RD16(t[i].flags);

				if (unlikely(f & VRING_DESC_F_INDIRECT))
					return vhu_vq_broken(vq, "indirect descriptor inside an "
								 "indirect table");
				if (walk_buf(vq, w, RD64(t[i].addr), RD32(t[i].len),
					     f & VRING_DESC_F_WRITE))
					return -EIO;
			}
			return 0;
		}
		/* Past the limit the chain's slots are still counted (they are
		 * consumed with it: at most the ring per pass) but not used. */
		if (!over_limit(w) && walk_buf(vq, w, addr, len, flags & VRING_DESC_F_WRITE))
			return -EIO;
		if (!(flags & VRING_DESC_F_NEXT)) {
			/* virtio 1.2 §2.8.6: the buffer id is in the last descriptor. */
			w->id = id;
			w->ndesc = (uint16_t)n;
			return 0;
		}
		if (++pos == vq->size)
			pos = 0;
	}
}

static void advance_packed(uint16_t *pos, bool *wrap, uint16_t n, uint16_t size)
{
	*pos += n;
	if (*pos >= size) {
		*pos -= size;
		*wrap = !*wrap;
	}
}

/* Migrating: the used ring's pages we wrote, elements [@first, @first + @n)
 * and the index (split), or the @n descriptors from slot @first (packed,
 * one per chain, @u's ndesc apart). */
static VHU_COLD void log_used(struct vhu_vq *vq, uint16_t first, const struct vhu_used *u,
			      unsigned int n)
{
	unsigned int k;

	if (vq->packed) {
		uint16_t pos = first;
		bool wrap = false;

		for (k = 0; k < n; k++) {
			vhu_log_gpa(vq->log, vq->log_ring_gpa + 16ull * pos, 16);
			advance_packed(&pos, &wrap, u[k].ndesc, vq->size);
		}
		return;
	}
	for (k = 0; k < n; k++) /* a wrapped run: two ranges, logged per element */
		vhu_log_gpa(vq->log, vq->log_ring_gpa + 4 + 8ull * ((first + k) & (vq->size - 1)), 8);
	vhu_log_gpa(vq->log, vq->log_ring_gpa + 2, 2); /* idx */
}

static void publish_used(struct vhu_vq *vq, const struct vhu_used *u, unsigned int n)
{
	uint16_t first = vq->last_used;
	unsigned int k;

	if (!n)
		return;
	if (vq->packed) {
		for (k = 0; k < n; k++) {
			struct vring_packed_desc *d = &vq->pdesc[vq->last_used];
			uint16_t f = vq->used_wrap ? (1 << VRING_PACKED_DESC_F_AVAIL) |
							     (1 << VRING_PACKED_DESC_F_USED) :
						     0;

			if (u[k].len)
				f |= VRING_DESC_F_WRITE;
			d->id = htole16(u[k].id);
			d->len = htole32(u[k].len);
			/* id and len before the flags that hand the slot back. */
			__atomic_store_n(&d->flags, htole16(f), __ATOMIC_RELEASE);
			advance_packed(&vq->last_used, &vq->used_wrap, u[k].ndesc, vq->size);
		}
	} else {
		uint16_t mask = vq->size - 1;

		for (k = 0; k < n; k++) {
			struct vring_used_elem *e = &vq->used->ring[(vq->last_used + k) & mask];

			e->id = htole32(u[k].id);
			e->len = htole32(u[k].len);
		}
		vq->last_used += (uint16_t)n;
		/* All elements before the index that publishes them. */
		__atomic_store_n(&vq->used->idx, htole16(vq->last_used), __ATOMIC_RELEASE);
	}
	if (unlikely(vq->log_ring))
		log_used(vq, first, u, n);
	vhu_vq_signal(vq);
}

/* ---- TX: guest -> us ------------------------------------------------------ */

/* Next available chain of a TX ring; 1 when one was walked, 0 when none,
 * -EIO when the device broke. */
static int next_chain(struct vhu_vq *vq, uint16_t avail_idx, struct walk *w, struct vhu_used *u)
{
	if (vq->packed) {
		if (!packed_avail(vq, vq->last_avail, vq->avail_wrap))
			return 0;
		if (walk_packed(vq, vq->last_avail, w))
			return -EIO;
		u->id = w->id;
		u->ndesc = w->ndesc;
		advance_packed(&vq->last_avail, &vq->avail_wrap, w->ndesc, vq->size);
	} else {
		uint16_t head;

		if (vq->last_avail == avail_idx)
			return 0;
		head = RD16(vq->avail->ring[vq->last_avail & (vq->size - 1)]);
		if (walk_split(vq, head, w))
			return -EIO;
		u->id = head;
		u->ndesc = 1;
		vq->last_avail++;
	}
	u->len = 0;
	return 1;
}

static int avail_index(struct vhu_vq *vq, uint16_t *idx)
{
	uint16_t a;

	if (vq->packed)
		return 0;
	a = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
	if (unlikely((uint16_t)(a - vq->last_avail) > vq->size))
		return vhu_vq_broken(vq, "available index moved from %u to %u in a ring of %u",
				     vq->last_avail, a, vq->size);
	*idx = a;
	return 0;
}

/* A header that straddles buffers, gathered into @h. */
static VHU_COLD const uint8_t *gather_hdr(const struct vhu_seg *seg, unsigned int hdr, uint8_t *h)
{
	unsigned int i, done = 0;

	for (i = 0; done < hdr; i++) {
		uint32_t c = seg[i].len < hdr - done ? seg[i].len : hdr - done;

		memcpy(h + done, seg[i].base, c);
		done += c;
	}
	return h;
}

/* Drop the virtio-net header from the front of a segment list. *@hp: the
 * header's bytes, in the first buffer where it fits there (nearly always),
 * else gathered into @h. */
static VHU_INLINE bool strip_hdr(struct vhu_pkt *p, struct vhu_seg *seg, unsigned int nseg,
				 uint64_t len, unsigned int hdr, uint8_t *h, const uint8_t **hp)
{
	unsigned int i = 0;
	uint32_t skip = hdr;

	if (len <= hdr)
		return false;
	*hp = likely(seg[0].len >= hdr) ? seg[0].base : gather_hdr(seg, hdr, h);
	while (skip) {
		if (seg[i].len <= skip) {
			skip -= seg[i].len;
			i++;
		} else {
			seg[i].base = (const uint8_t *)seg[i].base + skip;
			seg[i].len -= skip;
			skip = 0;
		}
	}
	p->segs = &seg[i];
	p->nsegs = (uint16_t)(nseg - i);
	p->len = (uint32_t)(len - hdr);
	return true;
}

static inline uint16_t hdr16(const uint8_t *h, unsigned int off)
{
	uint16_t v;

	memcpy(&v, h + off, 2);
	return le16toh(v);
}

/*
 * The offload fields of a transmitted frame's header (@h: in guest memory,
 * or gathered from it; each field read once into *@o, and only *@o used
 * after), checked against what the ring negotiated
 * (vq->offloads, the HOST_* features) and the frame's @len. Without CSUM the
 * fields are ignored, as before any offload existed (virtio 1.2 §5.1.6.2.1
 * has the driver send zeroes then). Unknown flag bits are ignored
 * (§5.1.6.2.2); DATA_VALID is the device's flag, never the driver's.
 * Returns false for a header to drop.
 */
static VHU_INLINE bool tx_offload(const struct vhu_vq *vq, const uint8_t *h, uint32_t len,
		       struct vhu_offload *o)
{
	uint8_t flags, gt, type;
	unsigned int need;

	*o = (struct vhu_offload){ 0 };
	if (!vq->offloads)
		return true;
	flags = __atomic_load_n(&h[0], __ATOMIC_RELAXED);
	gt = __atomic_load_n(&h[1], __ATOMIC_RELAXED);
	if (likely(!(flags & VHU_HDR_F_NEEDS_CSUM) && gt == VHU_GSO_NONE))
		return true; /* a complete frame: the common case */
	type = gt & (uint8_t)~VHU_GSO_ECN;
	if (flags & VHU_HDR_F_NEEDS_CSUM) {
		o->flags = VHU_HDR_F_NEEDS_CSUM;
		o->csum_start = hdr16(h, 6);
		o->csum_offset = hdr16(h, 8);
		/* Inside the frame, and never in its Ethernet header: the sum
		 * is written after the switch looked at the addresses, and
		 * the guest chooses its value (a forged source MAC). */
		if ((uint32_t)o->csum_start + o->csum_offset + 2 > len || o->csum_start < 14)
			return false;
	}
	if (gt == VHU_GSO_NONE)
		return true;
	need = type == VHU_GSO_TCPV4 ? VHU_OFF_TSO4 : type == VHU_GSO_TCPV6 ? VHU_OFF_TSO6 : 0;
	if (gt & VHU_GSO_ECN)
		need |= VHU_OFF_ECN;
	/* UDP (UFO) and USO are never offered: their types are refused. */
	if (!(need & (VHU_OFF_TSO4 | VHU_OFF_TSO6)) || (vq->offloads & need) != need)
		return false;
	o->gso_type = gt;
	o->gso_size = hdr16(h, 4);
	o->hdr_len = hdr16(h, 2);
	if (o->hdr_len > len)
		o->hdr_len = (uint16_t)len;
	return o->gso_size && (o->flags & VHU_HDR_F_NEEDS_CSUM);
}

unsigned int vhu_vq__dequeue_burst(struct vhu_vq *vq, struct vhu_pkt *pkts, struct vhu_seg *segs,
				   unsigned int n)
{
	uint16_t avail_idx = 0;
	unsigned int out = 0, taken;

	if (unlikely(atomic_load_explicit(&vq->state, memory_order_acquire) != VHU_VQ_READY))
		return 0;
	if (vq->npending)
		vhu_vq__dequeue_done(vq);
	if (n > vq->size)
		n = vq->size;
	if (avail_index(vq, &avail_idx))
		return 0;
	for (taken = 0; taken < n; taken++) {
		struct walk w = { .want_write = false, .seg = segs + out * VHU_MAX_SEGS,
				  .max = VHU_MAX_SEGS };
		struct vhu_used *u = &vq->pending[vq->npending];
		uint8_t h[12];
		const uint8_t *hp;
		int r = next_chain(vq, avail_idx, &w, u);

		if (r <= 0) {
			if (r < 0)
				vq->npending = 0;
			break;
		}
		vq->npending++;
		if (unlikely(w.too_many)) {
			vq->stats.drop_too_many_segs++;
			continue;
		}
		/* The chain length is 64-bit and strip_hdr() keeps 32 bits: a
		 * chain of 4 GiB + n bytes must not pass as an n-byte frame. */
		if (unlikely(w.len > (uint64_t)vq->hdr_len + VHU_MAX_FRAME)) {
			vq->stats.drop_too_big++;
			continue;
		}
		if (unlikely(!strip_hdr(&pkts[out], w.seg, w.nseg, w.len, vq->hdr_len, h, &hp))) {
			vq->stats.drop_bad_hdr++;
			continue;
		}
		if (unlikely(pkts[out].len > VHU_MAX_FRAME)) {
			vq->stats.drop_too_big++;
			continue;
		}
		if (unlikely(!tx_offload(vq, hp, pkts[out].len, &pkts[out].off))) {
			vq->stats.drop_bad_offload++;
			continue;
		}
		vq->stats.packets++;
		vq->stats.bytes += pkts[out].len;
		out++;
	}
	/* A pause that began meanwhile (the control thread now waits for us
	 * to pass a quiescent point) changes nothing yet: rings and memory
	 * stay valid until then, so the frames go on and their chains are
	 * returned. Dropping them here without returning the chains left
	 * them taken for good, and the guest's TX ring filled. */
	return dev_broken(vq) ? 0 : out;
}

void vhu_vq__dequeue_done(struct vhu_vq *vq)
{
	/* A device that broke mid-burst gets no more ring writes; a paused
	 * one still does (see above). */
	if (vq->npending && !dev_broken(vq))
		publish_used(vq, vq->pending, vq->npending);
	vq->npending = 0;
}

unsigned int vhu_vq__drain(struct vhu_vq *vq)
{
	struct vhu_seg segs[VHU_MAX_SEGS];
	uint16_t avail_idx = 0;
	unsigned int n = 0;

	if (atomic_load_explicit(&vq->state, memory_order_acquire) != VHU_VQ_DRAIN)
		return 0;
	if (avail_index(vq, &avail_idx))
		return 0;
	while (vq->npending < vq->size) {
		struct walk w = { .want_write = false, .seg = segs, .max = VHU_MAX_SEGS };
		int r = next_chain(vq, avail_idx, &w, &vq->pending[vq->npending]);

		if (r < 0)
			vq->npending = 0;
		if (r <= 0)
			break;
		vq->npending++;
		n++;
	}
	vq->stats.drop_disabled += n;
	vhu_vq__dequeue_done(vq);
	return n;
}

/* ---- RX: us -> guest ------------------------------------------------------ */

/* Write @len bytes of @src at the cursor (seg index *si, offset *so). */
static void sg_write(const struct vhu_seg *dst, unsigned int ndst, unsigned int *si, uint32_t *so,
		     const uint8_t *src, uint32_t len)
{
	while (len && *si < ndst) {
		uint32_t room = dst[*si].len - *so, c = len < room ? len : room;

		memcpy((uint8_t *)dst[*si].base + *so, src, c);
		src += c;
		len -= c;
		*so += c;
		if (*so == dst[*si].len) {
			(*si)++;
			*so = 0;
		}
	}
}

#define MAX_HEADS VHU_MAX_SEGS

static inline void put16(uint8_t *h, unsigned int off, uint16_t v)
{
	v = htole16(v);
	memcpy(h + off, &v, 2);
}

/* The header for a frame into the guest (@h zeroed): what the frame asks
 * for, if the ring negotiated it (virtio 1.2 §5.1.6.4); false when it did
 * not: the frame cannot be handed to this guest as it is. */
static bool rx_offload(const struct vhu_vq *vq, const struct vhu_pkt *p, uint8_t *h)
{
	const struct vhu_offload *o = &p->off;
	unsigned int need = 0;

	if (likely(!o->flags && !o->gso_type))
		return true;
	if (o->flags & VHU_HDR_F_NEEDS_CSUM)
		need |= VHU_OFF_CSUM;
	if (o->gso_type) {
		uint8_t type = o->gso_type & (uint8_t)~VHU_GSO_ECN;

		need |= type == VHU_GSO_TCPV4 ? VHU_OFF_TSO4 :
			type == VHU_GSO_TCPV6 ? VHU_OFF_TSO6 : 0xff;
		if (o->gso_type & VHU_GSO_ECN)
			need |= VHU_OFF_ECN;
	}
	if ((vq->offloads & need) != need)
		return false;
	/* DATA_VALID is a hint: a guest without GUEST_CSUM checks for itself. */
	h[0] = o->flags & VHU_HDR_F_NEEDS_CSUM;
	if ((o->flags & VHU_HDR_F_DATA_VALID) && (vq->offloads & VHU_OFF_CSUM))
		h[0] |= VHU_HDR_F_DATA_VALID;
	h[1] = o->gso_type;
	put16(h, 2, o->hdr_len);
	put16(h, 4, o->gso_size);
	put16(h, 6, o->csum_start);
	put16(h, 8, o->csum_offset);
	return true;
}

/* Migrating: the pages of the @len bytes just written from the start of
 * @seg (header and frame). */
static VHU_COLD void log_written(struct vhu_vq *vq, const struct vhu_seg *seg, unsigned int nseg,
				 uint64_t len)
{
	unsigned int i;

	for (i = 0; i < nseg && len; i++) {
		uint64_t c = len < seg[i].len ? len : seg[i].len;

		vhu_log_host(vq, seg[i].base, c);
		len -= c;
	}
}

static unsigned int enqueue(struct vhu_vq *vq, const struct vhu_pkt *pkts, unsigned int n,
			    bool count_no_buffers);

unsigned int vhu_vq__enqueue_burst(struct vhu_vq *vq, const struct vhu_pkt *pkts, unsigned int n)
{
	return enqueue(vq, pkts, n, true);
}

unsigned int vhu_vq__enqueue_try(struct vhu_vq *vq, const struct vhu_pkt *pkts, unsigned int n)
{
	return enqueue(vq, pkts, n, false);
}

static unsigned int enqueue(struct vhu_vq *vq, const struct vhu_pkt *pkts, unsigned int n,
			    bool count_no_buffers)
{
	struct vhu_seg seg[VHU_MAX_SEGS];
	uint32_t cap[MAX_HEADS];
	uint16_t avail_idx = 0;
	unsigned int i, done = 0, nused = 0;

	if (unlikely(atomic_load_explicit(&vq->state, memory_order_acquire) != VHU_VQ_READY))
		return 0;
	if (n > vq->size)
		n = vq->size;
	if (avail_index(vq, &avail_idx))
		return 0;

	for (i = 0; i < n; i++) {
		const struct vhu_pkt *p = &pkts[i];
		uint64_t need = (uint64_t)vq->hdr_len + p->len, have = 0;
		uint16_t save_avail = vq->last_avail;
		bool save_wrap = vq->avail_wrap;
		unsigned int nheads = 0, nseg = 0, si = 0, k, s;
		uint32_t so = 0, left;
		uint8_t hdr[12] = { 0 };
		bool too_many = false;
		int r = 0;

		if (unlikely(p->len > VHU_MAX_FRAME)) {
			vq->stats.drop_too_big++;
			continue;
		}
		if (unlikely(!rx_offload(vq, p, hdr))) {
			vq->stats.drop_bad_offload++;
			continue;
		}
		/* Gather chains until the frame fits: one without MRG_RXBUF. */
		while (have < need && nheads < MAX_HEADS && nused + nheads < vq->size) {
			struct walk w = { .want_write = true, .seg = seg + nseg,
					  .max = VHU_MAX_SEGS - nseg };

			r = next_chain(vq, avail_idx, &w, &vq->pending[nused + nheads]);
			if (r < 0)
				return 0; /* broken: nothing more is written */
			if (r == 0 && !vq->packed) {
				if (avail_index(vq, &avail_idx))
					return 0;
				r = next_chain(vq, avail_idx, &w, &vq->pending[nused + nheads]);
				if (r < 0)
					return 0;
			}
			if (r == 0)
				break;
			cap[nheads++] = (uint32_t)(w.len > UINT32_MAX ? UINT32_MAX : w.len);
			nseg += w.nseg;
			have += w.len;
			too_many |= w.too_many;
			if (w.too_many || !vq->mrg_rxbuf)
				break;
		}
		/* Buffers past VHU_MAX_SEGS are not in seg[]: sg_write() would
		 * stop short while the used length claimed the whole frame.
		 * Drop the frame and hand the chains back empty. */
		if (unlikely(too_many)) {
			for (k = 0; k < nheads; k++)
				vq->pending[nused + k].len = 0;
			nused += nheads;
			vq->stats.drop_too_many_segs++;
			continue;
		}
		/* This burst holds every chain the ring can have: with MRG_RXBUF
		 * that is "out of buffers" (give the chains back untouched), not
		 * "one chain too small" (consume them empty). */
		if (have < need && nused + nheads >= vq->size)
			r = 0;
		if (have < need) {
			if (r == 0 && (vq->mrg_rxbuf || nheads == 0)) {
				/* Out of buffers: give the chains back untouched and
				 * stop; later frames cannot fit either. */
				vq->last_avail = save_avail;
				vq->avail_wrap = save_wrap;
				if (count_no_buffers)
					vq->stats.drop_no_buffers += n - i;
				break;
			}
			/* One chain too small for this frame: it is consumed
			 * empty so the ring does not stall on it. */
			for (k = 0; k < nheads; k++)
				vq->pending[nused + k].len = 0;
			nused += nheads;
			vq->stats.drop_too_big++;
			continue;
		}
		/* virtio 1.2 §5.1.6.3: num_buffers = chains used. */
		if (vq->hdr_len == 12) {
			uint16_t nb = htole16((uint16_t)nheads);

			memcpy(hdr + 10, &nb, 2);
		}
		sg_write(seg, nseg, &si, &so, hdr, vq->hdr_len);
		for (s = 0; s < p->nsegs; s++)
			sg_write(seg, nseg, &si, &so, p->segs[s].base, p->segs[s].len);
		if (unlikely(vq->log))
			log_written(vq, seg, nseg, need);
		left = (uint32_t)need;
		for (k = 0; k < nheads; k++) {
			uint32_t l = left < cap[k] ? left : cap[k];

			vq->pending[nused + k].len = l;
			left -= l;
		}
		nused += nheads;
		vq->stats.packets++;
		vq->stats.bytes += p->len;
		done++;
	}
	publish_used(vq, vq->pending, nused);
	/* try: the frames before where it stopped are all gone (delivered, or
	 * dropped and counted), and only the ones after are the caller's */
	return count_no_buffers ? done : i;
}
