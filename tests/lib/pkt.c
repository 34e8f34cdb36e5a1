// SPDX-License-Identifier: GPL-2.0-or-later
/* Frame builder and test-payload helpers; see pkt.h. */
#include <arpa/inet.h>
#include <string.h>
#include "pkt.h"

static uint8_t *put(struct pkt *p, size_t n)
{
	uint8_t *at;

	if (p->len + n > PKT_MAX)
		n = PKT_MAX - p->len; /* the builder never writes past buf */
	at = p->buf + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

static void put16(uint8_t *at, uint16_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->l3_off = -1;
	p->l4_off = -1;
}

void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	uint8_t *h = put(p, 14);

	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	put16(h + 12, type);
}

void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t next_type)
{
	uint8_t *h = put(p, 4);

	put16(h, vid & 0x0fff);
	put16(h + 2, next_type);
}

void pkt_ipv4(struct pkt *p, uint32_t src_be, uint32_t dst_be, uint8_t proto, int opt_words,
	      uint16_t frag_off)
{
	int hlen = 20 + 4 * opt_words;
	uint8_t *h;

	p->l3_off = (int)p->len;
	p->l3_ver = 4;
	h = put(p, (size_t)hlen);
	h[0] = (uint8_t)(0x40 | (hlen / 4));
	h[8] = 64;
	h[9] = proto;
	put16(h + 6, frag_off);
	memcpy(h + 12, &src_be, 4);
	memcpy(h + 16, &dst_be, 4);
	memset(h + 20, 1, (size_t)(4 * opt_words)); /* NOP options */
	p->l4_proto = proto;
}

void pkt_ipv6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16], uint8_t nexthdr)
{
	uint8_t *h;

	p->l3_off = (int)p->len;
	p->l3_ver = 6;
	h = put(p, 40);
	h[0] = 0x60;
	h[6] = nexthdr;
	h[7] = 64;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	p->l4_proto = nexthdr;
}

void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t next, int len_bytes, uint16_t frag_off)
{
	uint8_t *h;

	if (type == 44)
		len_bytes = 8;
	h = put(p, (size_t)len_bytes);
	h[0] = next;
	if (type == 51)
		h[1] = (uint8_t)(len_bytes / 4 - 2);
	else if (type == 44)
		put16(h + 2, frag_off);
	else
		h[1] = (uint8_t)(len_bytes / 8 - 1);
	p->l4_proto = next;
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h;

	p->l4_off = (int)p->len;
	h = put(p, 8);
	put16(h, sport);
	put16(h + 2, dport);
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, int doff_words)
{
	uint8_t *h;

	p->l4_off = (int)p->len;
	h = put(p, 20);
	put16(h, sport);
	put16(h + 2, dport);
	h[12] = (uint8_t)(doff_words << 4);
	h[13] = 0x02; /* SYN */
	put16(h + 14, 65535);
	if (doff_words > 5)
		put(p, (size_t)(doff_words - 5) * 4);
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code)
{
	uint8_t *h;

	p->l4_off = (int)p->len;
	h = put(p, 8);
	h[0] = type;
	h[1] = code;
}

void pkt_bytes(struct pkt *p, const void *data, size_t n)
{
	memcpy(put(p, n), data, n);
}

void pkt_zeros(struct pkt *p, size_t n)
{
	put(p, n);
}

static uint32_t sum16(const uint8_t *d, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		s += (uint32_t)(d[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void pkt_finish(struct pkt *p)
{
	uint8_t *l3 = p->l3_off >= 0 ? p->buf + p->l3_off : NULL;
	uint8_t *l4 = p->l4_off >= 0 ? p->buf + p->l4_off : NULL;
	size_t l4len = l4 ? p->len - (size_t)p->l4_off : 0;
	uint32_t s = 0;
	int csum_off = -1;

	if (!l3)
		return;
	if (p->l3_ver == 4) {
		int hlen = (l3[0] & 0xf) * 4;

		put16(l3 + 2, (uint16_t)(p->len - (size_t)p->l3_off));
		put16(l3 + 10, 0);
		put16(l3 + 10, fold(sum16(l3, (size_t)hlen, 0)));
		s = sum16(l3 + 12, 8, 0);
	} else {
		put16(l3 + 4, (uint16_t)(p->len - (size_t)p->l3_off - 40));
		s = sum16(l3 + 8, 32, 0);
	}
	if (!l4)
		return;
	switch (p->l4_proto) {
	case 17:
		put16(l4 + 4, (uint16_t)l4len);
		csum_off = 6;
		break;
	case 6:
		csum_off = 16;
		break;
	case 1:
		s = 0; /* ICMPv4 has no pseudo-header */
		csum_off = 2;
		break;
	case 58:
		csum_off = 2;
		break;
	default:
		return;
	}
	if (p->l4_proto != 1)
		s += p->l4_proto + (uint32_t)l4len;
	put16(l4 + csum_off, 0);
	put16(l4 + csum_off, fold(sum16(l4, l4len, s)) ?: 0xffff);
}

void pkt_payload_seq(struct pkt *p, uint32_t seq, size_t len)
{
	uint32_t magic = htonl(PKT_MAGIC), nseq = htonl(seq);
	uint8_t *d;
	size_t i;

	if (len < 8)
		len = 8;
	d = put(p, len);
	memcpy(d, &magic, 4);
	memcpy(d + 4, &nseq, 4);
	for (i = 8; i < len; i++)
		d[i] = (uint8_t)(seq * 31 + i);
}

int pkt_payload_check(const uint8_t *d, size_t len, uint32_t *seq)
{
	uint32_t magic, nseq, s;
	size_t i;

	if (len < 8)
		return -1;
	memcpy(&magic, d, 4);
	memcpy(&nseq, d + 4, 4);
	if (ntohl(magic) != PKT_MAGIC)
		return -1;
	s = ntohl(nseq);
	for (i = 8; i < len; i++)
		if (d[i] != (uint8_t)(s * 31 + i))
			return -1;
	*seq = s;
	return 0;
}

const uint8_t *pkt_udp_payload(const uint8_t *f, size_t len, size_t *plen)
{
	size_t off = 14, ulen;
	uint16_t type;
	int tags = 0;
	uint8_t proto;

	if (len < 14)
		return NULL;
	type = (uint16_t)(f[12] << 8 | f[13]);
	while ((type == 0x8100 || type == 0x88a8) && tags++ < 2) {
		if (off + 4 > len)
			return NULL;
		type = (uint16_t)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	if (type == 0x0800) {
		if (off + 20 > len)
			return NULL;
		proto = f[off + 9];
		off += (size_t)(f[off] & 0xf) * 4;
	} else if (type == 0x86dd) {
		if (off + 40 > len)
			return NULL;
		proto = f[off + 6];
		off += 40;
	} else {
		return NULL;
	}
	if (proto != 17 || off + 8 > len)
		return NULL;
	ulen = (size_t)(f[off + 4] << 8 | f[off + 5]);
	if (ulen < 8 || off + ulen > len)
		return NULL;
	*plen = ulen - 8;
	return f + off + 8;
}
