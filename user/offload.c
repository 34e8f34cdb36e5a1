// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Software offloads (offload.h): checksum completion and TCP segmentation of
 * a guest's frame for a receiver that cannot take it as it is. Everything
 * read from the frame is read once: the headers are copied out of guest
 * memory before they are parsed, and what is built from them lives in the
 * off_buf. A frame whose header fields the parse does not confirm is
 * refused, never guessed at.
 */
#include <string.h>
#include "offload.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t add32(uint32_t a, uint32_t b)
{
	a += b;
	return a + (a < b);
}

uint32_t off_csum_add(uint32_t sum, const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint64_t s = 0;

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		s += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		s += w;
		p += 2;
		len -= 2;
	}
	if (len)
		s += *p; /* the odd byte is the first of its (native) word */
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return add32(sum, (uint32_t)s);
}

uint16_t off_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A piece's sum added at byte @pos of the checksummed range: a piece that
 * starts at an odd position has its bytes in the other halves of the words
 * (RFC 1071 §2(B): byte order independence, by rotating). */
static uint32_t csum_at(uint32_t sum, const void *p, uint32_t len, uint32_t pos)
{
	uint32_t s = off_csum_add(0, p, len);

	if (pos & 1)
		s = (s >> 8) | (s << 24);
	return add32(sum, s);
}

/* A position in a frame's segment list. */
struct cur {
	unsigned int si;
	uint32_t so;
};

static void cur_skip(const struct vhu_pkt *p, struct cur *c, uint32_t n)
{
	while (n && c->si < p->nsegs) {
		uint32_t room = p->segs[c->si].len - c->so;

		if (n < room) {
			c->so += n;
			return;
		}
		n -= room;
		c->si++;
		c->so = 0;
	}
}

/* Append the next @n bytes of @p at @c to @b as segments pointing into the
 * frame; with @sum, add them to *@sum (checksum position @pos onwards). */
static void cur_take(struct off_buf *b, const struct vhu_pkt *p, struct cur *c, uint32_t n,
		     uint32_t *sum, uint32_t pos)
{
	while (n && c->si < p->nsegs) {
		const uint8_t *base = (const uint8_t *)p->segs[c->si].base + c->so;
		uint32_t room = p->segs[c->si].len - c->so, k = n < room ? n : room;

		b->segs[b->nsegs].base = base;
		b->segs[b->nsegs].len = k;
		b->nsegs++;
		if (sum) {
			*sum = csum_at(*sum, base, k, pos);
			pos += k;
		}
		n -= k;
		c->so += k;
		if (c->so == p->segs[c->si].len) {
			c->si++;
			c->so = 0;
		}
	}
}

/* Copy up to @max bytes from the front of @p into @dst; returns how many. */
static uint32_t gather(const struct vhu_pkt *p, uint8_t *dst, uint32_t max)
{
	uint32_t done = 0;
	unsigned int s;

	for (s = 0; s < p->nsegs && done < max; s++) {
		uint32_t k = p->segs[s].len < max - done ? p->segs[s].len : max - done;

		memcpy(dst + done, p->segs[s].base, k);
		done += k;
	}
	return done;
}

/* Sum bytes [@from, @from + @n) of @p, checksum position 0 at @from. */
static uint32_t sum_range(const struct vhu_pkt *p, uint32_t from, uint32_t n)
{
	struct cur c = { 0, 0 };
	uint32_t sum = 0, pos = 0;

	cur_skip(p, &c, from);
	while (n && c.si < p->nsegs) {
		const uint8_t *base = (const uint8_t *)p->segs[c.si].base + c.so;
		uint32_t room = p->segs[c.si].len - c.so, k = n < room ? n : room;

		sum = csum_at(sum, base, k, pos);
		pos += k;
		n -= k;
		c.si++;
		c.so = 0;
	}
	return sum;
}

static struct vhu_pkt *new_pkt(struct off_buf *b)
{
	struct vhu_pkt *o = &b->pkts[b->npkts++];

	o->segs = &b->segs[b->nsegs];
	o->nsegs = 0;
	o->len = 0;
	o->off = (struct vhu_offload){ 0 };
	return o;
}

static void end_pkt(struct off_buf *b, struct vhu_pkt *o, unsigned int caps)
{
	o->nsegs = (uint16_t)(&b->segs[b->nsegs] - o->segs);
	o->len = 0;
	for (unsigned int i = 0; i < o->nsegs; i++)
		o->len += o->segs[i].len;
	/* Every checksum in it is now complete and true (a segment left
	 * NEEDS_CSUM for a receiver that takes it says so itself). */
	if ((caps & VHU_OFF_CSUM) && !o->off.flags)
		o->off.flags = VHU_HDR_F_DATA_VALID;
}

/* NEEDS_CSUM only: sum from csum_start to the end (the field holds the
 * pseudo-header's sum, as the driver left it), store the result at
 * csum_start + csum_offset: the frame's bytes around those two. As Linux's
 * skb_checksum_help(), a result of 0 is sent as 0xffff (for UDP, 0 would
 * mean "no checksum"). */
static void csum_complete(struct off_buf *b, const struct vhu_pkt *p, unsigned int caps)
{
	uint32_t at = (uint32_t)p->off.csum_start + p->off.csum_offset;
	uint16_t c = off_csum_fold(sum_range(p, p->off.csum_start, p->len - p->off.csum_start));
	uint8_t *fix = b->hdrs[b->nhdrs++];
	struct vhu_pkt *o = new_pkt(b);
	struct cur cur = { 0, 0 };

	if (!c)
		c = 0xffff;
	memcpy(fix, &c, 2); /* native: the sum was of native words */
	cur_take(b, p, &cur, at, NULL, 0);
	b->segs[b->nsegs].base = fix;
	b->segs[b->nsegs].len = 2;
	b->nsegs++;
	cur_skip(p, &cur, 2);
	cur_take(b, p, &cur, p->len - at - 2, NULL, 0);
	end_pkt(b, o, caps);
}

struct layout {
	uint32_t l3, l4, hlen;
	bool v6;
};

/* Ethernet, up to two VLAN tags, IPv4 (not a fragment) or IPv6 (TCP as its
 * next header: no extension headers), TCP; in the @have bytes copied. */
static bool parse(const uint8_t *h, uint32_t have, bool v6, struct layout *l)
{
	uint32_t off = 12, doff;
	uint16_t et;
	int tags;

	for (tags = 0;; tags++) {
		if (off + 2 > have)
			return false;
		et = be16(h + off);
		if ((et != ETH_P_8021Q && et != ETH_P_8021AD) || tags == 2)
			break;
		off += 4;
	}
	off += 2;
	l->l3 = off;
	l->v6 = v6;
	if (!v6) {
		uint32_t ihl;

		if (et != ETH_P_IP || off + 20 > have || h[off] >> 4 != 4)
			return false;
		ihl = (h[off] & 15u) * 4;
		if (ihl < 20 || off + ihl > have || h[off + 9] != 6 || (be16(h + off + 6) & 0x3fff))
			return false;
		l->l4 = off + ihl;
	} else {
		if (et != ETH_P_IPV6 || off + 40 > have || h[off] >> 4 != 6 || h[off + 6] != 6)
			return false;
		l->l4 = off + 40;
	}
	if (l->l4 + 20 > have)
		return false;
	doff = (h[l->l4 + 12] >> 4) * 4u;
	if (doff < 20 || l->l4 + doff > have)
		return false;
	l->hlen = l->l4 + doff;
	return true;
}

static uint16_t ip4_csum(const uint8_t *ip, uint32_t ihl)
{
	return off_csum_fold(off_csum_add(0, ip, ihl));
}

/* Cut @p (checked: GSO, headers @l in @h) into segments of gso_size. */
static void segment(struct off_buf *b, const struct vhu_pkt *p, const uint8_t *h,
		    const struct layout *l, uint32_t nseg, unsigned int caps)
{
	uint32_t mss = p->off.gso_size, payload = p->len - l->hlen, i;
	uint32_t seq = (uint32_t)be16(h + l->l4 + 4) << 16 | be16(h + l->l4 + 6);
	uint16_t id = l->v6 ? 0 : be16(h + l->l3 + 4);
	uint32_t thl = l->hlen - l->l4;
	struct cur cur = { 0, 0 };

	cur_skip(p, &cur, l->hlen);
	for (i = 0; i < nseg; i++) {
		uint32_t len = payload - i * mss < mss ? payload - i * mss : mss;
		uint8_t *hd = b->hdrs[b->nhdrs++], *ip = hd + l->l3, *th = hd + l->l4, ph[40];
		struct vhu_pkt *o = new_pkt(b);
		uint32_t sum, s = seq + i * mss;
		uint16_t c;

		memcpy(hd, h, l->hlen);
		if (!l->v6) {
			put_be16(ip + 2, (uint16_t)(l->hlen - l->l3 + len));
			put_be16(ip + 4, (uint16_t)(id + i));
			put_be16(ip + 10, 0);
			c = ip4_csum(ip, l->l4 - l->l3);
			memcpy(ip + 10, &c, 2);
		} else {
			put_be16(ip + 4, (uint16_t)(thl + len));
		}
		put_be16(th + 4, (uint16_t)(s >> 16));
		put_be16(th + 6, (uint16_t)s);
		if (i + 1 < nseg)
			th[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i)
			th[13] &= (uint8_t)~TCP_CWR;
		put_be16(th + 16, 0);
		/* pseudo-header: addresses, protocol, TCP length */
		if (!l->v6) {
			memcpy(ph, ip + 12, 8);
			ph[8] = 0;
			ph[9] = 6;
			put_be16(ph + 10, (uint16_t)(thl + len));
			sum = off_csum_add(0, ph, 12);
		} else {
			memcpy(ph, ip + 8, 32);
			ph[32] = ph[33] = 0;
			put_be16(ph + 34, (uint16_t)(thl + len));
			ph[36] = ph[37] = ph[38] = 0;
			ph[39] = 6;
			sum = off_csum_add(0, ph, 40);
		}
		b->segs[b->nsegs].base = hd;
		b->segs[b->nsegs].len = l->hlen;
		b->nsegs++;
		if (caps & VHU_OFF_CSUM) {
			/* The receiver checksums (a guest's stack, a NIC): as
			 * Linux's GSO for a device with checksum offload, each
			 * segment left CHECKSUM_PARTIAL, the field seeded with
			 * the pseudo-header's sum; no pass over the payload. */
			cur_take(b, p, &cur, len, NULL, 0);
			c = (uint16_t)~off_csum_fold(sum);
			memcpy(th + 16, &c, 2);
			o->off.flags = VHU_HDR_F_NEEDS_CSUM;
			o->off.csum_start = (uint16_t)l->l4;
			o->off.csum_offset = 16;
			end_pkt(b, o, caps);
			continue;
		}
		sum = off_csum_add(sum, th, thl);
		cur_take(b, p, &cur, len, &sum, thl);
		/* As tcp_gso_segment's software checksum: folded, 0 left as 0. */
		c = off_csum_fold(sum);
		memcpy(th + 16, &c, 2);
		end_pkt(b, o, caps);
	}
}

/* The most frames @p can become, and what they take of an off_buf. */
static uint32_t max_frames(const struct vhu_pkt *p)
{
	uint32_t n = 1;

	if (p->off.gso_type && p->off.gso_size)
		n = p->len / p->off.gso_size + 1;
	/* gso_layout() refuses more than this many: clamp to it, never
	 * below (its count is smaller than this estimate) */
	return n > OFF_MAX_SEGS_PER_FRAME ? OFF_MAX_SEGS_PER_FRAME : n;
}

static bool room_for(const struct off_buf *b, uint32_t n, unsigned int nsegs)
{
	return b->npkts + n <= OFF_BUF_PKTS && b->nhdrs + n <= OFF_BUF_PKTS &&
	       b->nsegs + 2 * n + nsegs + 2 <= OFF_BUF_SEGS;
}

bool off_room(const struct off_buf *b, const struct vhu_pkt *p)
{
	return room_for(b, max_frames(p), p->nsegs);
}

/* A GSO frame's headers into @h, parsed into @l; its segment count (1: a
 * frame no longer than its MSS), or 0 with *@err set. */
static uint32_t gso_layout(const struct vhu_pkt *p, uint8_t *h, struct layout *l,
			   enum off_err *err)
{
	bool v6 = (p->off.gso_type & 0x7f) == VHU_GSO_TCPV6;
	uint32_t have = gather(p, h, OFF_HDR_MAX), payload, nseg;

	if (!parse(h, have, v6, l) || l->hlen > p->len) {
		*err = OFF_ERR_PARSE;
		return 0;
	}
	/* Linux refuses the same (tcp_gso_segment: checksum start must be
	 * the transport header; virtio_net_hdr_to_skb). */
	if (p->off.csum_start != l->l4 || p->off.csum_offset != 16) {
		*err = OFF_ERR_CSUM_POS;
		return 0;
	}
	payload = p->len - l->hlen;
	if (payload <= p->off.gso_size)
		return 1;
	/* each segment's IPv4 total length or IPv6 payload length must fit */
	if ((l->v6 ? l->hlen - l->l4 : l->hlen - l->l3) + p->off.gso_size > 65535) {
		*err = OFF_ERR_PARSE;
		return 0;
	}
	nseg = (payload + p->off.gso_size - 1) / p->off.gso_size;
	if (nseg > OFF_MAX_SEGS_PER_FRAME) {
		*err = OFF_ERR_TOO_MANY;
		return 0;
	}
	return nseg;
}

bool off_check(const struct vhu_pkt *p, enum off_err *err)
{
	uint8_t h[OFF_HDR_MAX];
	struct layout l;

	*err = OFF_ERR_NONE;
	return !p->off.gso_type || gso_layout(p, h, &l, err);
}

int off_resolve(struct off_buf *b, const struct vhu_pkt *p, unsigned int caps, enum off_err *err)
{
	uint8_t h[OFF_HDR_MAX];
	struct layout l;
	uint32_t nseg;

	*err = OFF_ERR_NONE;
	/* off_room() asked first keeps these from failing; without it a
	 * frame is refused rather than written past the buffer */
	if (!room_for(b, 1, p->nsegs)) {
		*err = OFF_ERR_TOO_MANY;
		return -1;
	}
	if (!off_needed(p, caps)) {
		b->pkts[b->npkts++] = *p;
		return 1;
	}
	if (!p->off.gso_type) {
		/* vhu checked csum_start + csum_offset + 2 <= len */
		csum_complete(b, p, caps);
		return 1;
	}
	nseg = gso_layout(p, h, &l, err);
	if (!nseg)
		return -1;
	if (!room_for(b, nseg, p->nsegs)) {
		*err = OFF_ERR_TOO_MANY;
		return -1;
	}
	if (nseg == 1) {
		/* One segment: sent as it is, its checksum completed (what
		 * Linux does with a GSO frame no longer than its MSS). */
		csum_complete(b, p, caps);
		return 1;
	}
	segment(b, p, h, &l, nseg, caps);
	return (int)nseg;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The pseudo-header's sum for IPv4 @ip, protocol @proto, L4 length @l4len,
 * folded (not inverted): what a partial checksum field holds. Native words:
 * the (0, protocol) word reads as proto << 8, the length's as its bytes
 * swapped. */
static inline uint16_t pseudo4(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	uint64_t s = (uint64_t)ld32(ip + 12) + ld32(ip + 16) + ((uint32_t)proto << 8) +
		     __builtin_bswap16((uint16_t)l4len);

	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

static bool rx_partial_general(struct vhu_pkt *p);

/* Per frame from a veth: the common case (untagged IPv4 without options,
 * its checksum complete) costs a few loads and one pseudo-header sum. */
bool off_rx_partial(struct vhu_pkt *p)
{
	const uint8_t *h = p->segs[0].base, *ip = h + 14;
	uint32_t len = p->len, hl = p->segs[0].len; /* headers: in the first */
	uint8_t proto;
	unsigned int at;

	if (hl < 14 + 20 + 8 || ld16(h + 12) != 0x0008 /* ETH_P_IP */ || ip[0] != 0x45)
		return rx_partial_general(p);
	proto = ip[9];
	if (proto == 17)
		at = 6;
	else if (proto == 6 && hl >= 14 + 20 + 20)
		at = 16;
	else
		return false;
	if ((ip[6] & 0x3f) | ip[7] || 14u + be16(ip + 2) != len)
		return false; /* a fragment, or padded: not ours to touch */
	if (ld16(ip + 20 + at) != pseudo4(ip, proto, len - 34))
		return false; /* nearly every frame: its checksum is complete */
	return rx_partial_general(p);
}

static bool rx_partial_general(struct vhu_pkt *p)
{
	/* Headers are read from the first segment (@hl bytes: a jumbo frame's
	 * first UMEM frame holds them); lengths are the frame's (@len). */
	const uint8_t *h = p->segs[0].base;
	uint32_t len = p->len, hl = p->segs[0].len, off = 12, l3, l4, l4len, sum;
	uint8_t proto, ph[40];
	uint16_t et, field, pseudo;
	unsigned int at;
	int tags;

	for (tags = 0;; tags++) {
		if (off + 2 > hl)
			return false;
		et = be16(h + off);
		if ((et != ETH_P_8021Q && et != ETH_P_8021AD) || tags == 2)
			break;
		off += 4;
	}
	l3 = off + 2;
	if (et == ETH_P_IP) {
		uint32_t ihl;

		if (l3 + 20 > hl || h[l3] >> 4 != 4 || (be16(h + l3 + 6) & 0x3fff))
			return false;
		ihl = (h[l3] & 15u) * 4;
		if (ihl < 20 || be16(h + l3 + 2) < ihl || l3 + be16(h + l3 + 2) != len)
			return false;
		proto = h[l3 + 9];
		l4 = l3 + ihl;
		if (l4 > hl)
			return false;
		l4len = len - l4;
		memcpy(ph, h + l3 + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		put_be16(ph + 10, (uint16_t)l4len);
		sum = off_csum_add(0, ph, 12);
	} else if (et == ETH_P_IPV6) {
		if (l3 + 40 > hl || h[l3] >> 4 != 6 || l3 + 40 + be16(h + l3 + 4) != len)
			return false;
		proto = h[l3 + 6];
		l4 = l3 + 40;
		l4len = len - l4;
		memcpy(ph, h + l3 + 8, 32);
		memset(ph + 32, 0, 8);
		put_be16(ph + 34, (uint16_t)l4len);
		ph[39] = proto;
		sum = off_csum_add(0, ph, 40);
	} else {
		return false;
	}
	if (proto == 6 && l4len >= 20)
		at = 16;
	else if (proto == 17 && l4len >= 8)
		at = 6;
	else
		return false;
	if (l4 + at + 2 > hl)
		return false;
	memcpy(&field, h + l4 + at, 2);
	pseudo = (uint16_t)~off_csum_fold(sum);
	if (field != pseudo || (proto == 17 && !field))
		return false;
	/* the rare complete checksum that equals the pseudo-header's sum */
	if (off_csum_fold(add32(sum, sum_range(p, l4, l4len))) == 0)
		return false;
	p->off.flags = VHU_HDR_F_NEEDS_CSUM;
	p->off.csum_start = (uint16_t)l4;
	p->off.csum_offset = (uint16_t)at;
	return true;
}

/* A wire frame GRO may merge: one TCP segment with payload. */
struct seg_info {
	const uint8_t *h;
	uint32_t len, l3, l4, hlen, payload, seq;
	bool v6;
	uint8_t flags;
};

#define TCP_ACK 0x10
#define TCP_SYN 0x02
#define TCP_RST 0x04

static bool gro_parse(const struct vhu_pkt *p, bool v4ok, bool v6ok, struct seg_info *s)
{
	const uint8_t *h = p->segs[0].base;
	uint32_t len = p->len, l3 = 14, doff;
	uint16_t et;

	if (p->nsegs != 1 || len < 14 + 40 + 20 || p->off.flags || p->off.gso_type)
		return false;
	et = be16(h + 12);
	if (et == ETH_P_IP && v4ok) {
		/* no IP options, DF, not a fragment, the length the frame has */
		if (h[l3] != 0x45 || be16(h + l3 + 6) != 0x4000 || h[l3 + 9] != 6 ||
		    l3 + be16(h + l3 + 2) != len || ip4_csum(h + l3, 20) != 0)
			return false; /* the merged frame gets a new header checksum */
		s->l4 = l3 + 20;
		s->v6 = false;
	} else if (et == ETH_P_IPV6 && v6ok) {
		if (h[l3] >> 4 != 6 || h[l3 + 6] != 6 || l3 + 40 + be16(h + l3 + 4) != len)
			return false;
		s->l4 = l3 + 40;
		s->v6 = true;
	} else {
		return false;
	}
	doff = (h[s->l4 + 12] >> 4) * 4u;
	if (doff < 20 || s->l4 + doff >= len)
		return false; /* no payload: nothing to merge */
	s->flags = h[s->l4 + 13];
	if ((s->flags & ~(TCP_ACK | TCP_PSH)) || !(s->flags & TCP_ACK))
		return false;
	s->h = h;
	s->len = len;
	s->l3 = l3;
	s->hlen = s->l4 + doff;
	s->payload = len - s->hlen;
	s->seq = (uint32_t)be16(h + s->l4 + 4) << 16 | be16(h + s->l4 + 6);
	return true;
}

/* The pseudo-header's sum for @s's addresses and an L4 length of @l4len. */
static uint32_t pseudo_sum(const struct seg_info *s, uint32_t l4len)
{
	uint8_t ph[40];

	if (!s->v6) {
		memcpy(ph, s->h + s->l3 + 12, 8);
		ph[8] = 0;
		ph[9] = 6;
		put_be16(ph + 10, (uint16_t)l4len);
		return off_csum_add(0, ph, 12);
	}
	memcpy(ph, s->h + s->l3 + 8, 32);
	memset(ph + 32, 0, 8);
	put_be16(ph + 34, (uint16_t)l4len);
	ph[39] = 6;
	return off_csum_add(0, ph, 40);
}

static bool gro_csum_ok(const struct seg_info *s)
{
	uint32_t l4len = s->len - s->l4;

	return off_csum_fold(off_csum_add(pseudo_sum(s, l4len), s->h + s->l4, l4len)) == 0;
}

/* Does @b follow @a in one flow, mergeable (@mss: the run's)? */
static bool gro_follows(const struct seg_info *a, const struct seg_info *b, uint32_t mss)
{
	if (a->v6 != b->v6 || a->hlen != b->hlen || a->payload != mss || b->payload > mss ||
	    (a->flags & TCP_PSH) || b->seq != a->seq + a->payload)
		return false;
	/* Ethernet addresses and type */
	if (memcmp(a->h, b->h, 14))
		return false;
	if (!a->v6) {
		/* TOS, TTL, protocol, addresses (ID, length, checksum differ) */
		if (a->h[a->l3 + 1] != b->h[b->l3 + 1] || a->h[a->l3 + 8] != b->h[b->l3 + 8] ||
		    memcmp(a->h + a->l3 + 12, b->h + b->l3 + 12, 8))
			return false;
	} else {
		/* version, traffic class, flow label; next header, hop limit, addresses */
		if (memcmp(a->h + a->l3, b->h + b->l3, 4) ||
		    memcmp(a->h + a->l3 + 6, b->h + b->l3 + 6, 34))
			return false;
	}
	/* ports; ACK number, data offset, flags but PSH, window; options */
	return !memcmp(a->h + a->l4, b->h + b->l4, 4) &&
	       !memcmp(a->h + a->l4 + 8, b->h + b->l4 + 8, 5) &&
	       (a->h[a->l4 + 13] & ~TCP_PSH) == (b->h[b->l4 + 13] & ~TCP_PSH) &&
	       !memcmp(a->h + a->l4 + 14, b->h + b->l4 + 14, 2) &&
	       !memcmp(a->h + a->l4 + 20, b->h + b->l4 + 20, a->hlen - a->l4 - 20);
}

/* One GSO frame from segments @s[0..k) in @b. */
static void gro_emit(struct off_buf *b, const struct seg_info *s, unsigned int k)
{
	const struct seg_info *f = &s[0];
	uint32_t total = 0, l4len;
	uint8_t *hd = b->hdrs[b->nhdrs++];
	struct vhu_pkt *o = new_pkt(b);
	uint16_t c;
	unsigned int i;

	for (i = 0; i < k; i++)
		total += s[i].payload;
	memcpy(hd, f->h, f->hlen);
	l4len = f->hlen - f->l4 + total;
	if (!f->v6) {
		put_be16(hd + f->l3 + 2, (uint16_t)(f->hlen - f->l3 + total));
		put_be16(hd + f->l3 + 10, 0);
		c = ip4_csum(hd + f->l3, 20);
		memcpy(hd + f->l3 + 10, &c, 2);
	} else {
		put_be16(hd + f->l3 + 4, (uint16_t)l4len);
	}
	hd[f->l4 + 13] |= s[k - 1].flags & TCP_PSH;
	/* NEEDS_CSUM: the field holds the pseudo-header's sum */
	c = (uint16_t)~off_csum_fold(pseudo_sum(f, l4len));
	memcpy(hd + f->l4 + 16, &c, 2);
	b->segs[b->nsegs].base = hd;
	b->segs[b->nsegs].len = f->hlen;
	b->nsegs++;
	for (i = 0; i < k; i++) {
		b->segs[b->nsegs].base = s[i].h + s[i].hlen;
		b->segs[b->nsegs].len = s[i].payload;
		b->nsegs++;
	}
	o->nsegs = (uint16_t)(1 + k);
	o->len = f->hlen + total;
	o->off.flags = VHU_HDR_F_NEEDS_CSUM;
	o->off.gso_type = f->v6 ? VHU_GSO_TCPV6 : VHU_GSO_TCPV4;
	o->off.gso_size = (uint16_t)f->payload;
	o->off.hdr_len = (uint16_t)f->hlen;
	o->off.csum_start = (uint16_t)f->l4;
	o->off.csum_offset = 16;
}

unsigned int off_gro(struct off_buf *b, const struct vhu_pkt *pkts, unsigned int n,
		     unsigned int caps, uint16_t *orig)
{
	bool v4ok = (caps & (VHU_OFF_CSUM | VHU_OFF_TSO4)) == (VHU_OFF_CSUM | VHU_OFF_TSO4);
	bool v6ok = (caps & (VHU_OFF_CSUM | VHU_OFF_TSO6)) == (VHU_OFF_CSUM | VHU_OFF_TSO6);
	struct seg_info run[OFF_GRO_MAX_SEGS];
	unsigned int i = 0, out = 0;

	while (i < n) {
		unsigned int k = 1;
		uint32_t total;

		if (!gro_parse(&pkts[i], v4ok, v6ok, &run[0]) || !gro_csum_ok(&run[0]) ||
		    i + 1 == n) {
			b->pkts[b->npkts++] = pkts[i++];
			orig[out++] = 1;
			continue;
		}
		total = run[0].payload;
		while (i + k < n && k < OFF_GRO_MAX_SEGS &&
		       gro_parse(&pkts[i + k], v4ok, v6ok, &run[k]) &&
		       gro_follows(&run[k - 1], &run[k], run[0].payload) &&
		       run[0].hlen - run[0].l3 + total + run[k].payload <= 65535 &&
		       gro_csum_ok(&run[k])) {
			total += run[k].payload;
			k++;
		}
		if (k == 1)
			b->pkts[b->npkts++] = pkts[i];
		else
			gro_emit(b, run, k);
		orig[out++] = (uint16_t)k;
		i += k;
	}
	return out;
}
