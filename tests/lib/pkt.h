/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame builder for tests: append headers in wire order, then pkt_finish()
 * fills lengths and checksums. Malformed frames are made by building a good
 * one and then truncating (pkt->len) or poking bytes.
 */
#ifndef XVIO_TEST_PKT_H
#define XVIO_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048

struct pkt {
	uint8_t buf[PKT_MAX];
	size_t len;
	int l3_off;		/* -1 when none */
	int l3_ver;		/* 4 or 6 */
	int l4_off;		/* -1 when none */
	uint8_t l4_proto;
};

void pkt_init(struct pkt *p);
/* Ethernet header; @type is the first ethertype (a TPID when tags follow). */
void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
/* A VLAN tag body (TCI + next ethertype); the TPID is the previous type field. */
void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t next_type);
/* IPv4 with @opt_words 32-bit option words (NOPs); @frag_off in host order,
 * flags included (0x2000 = MF). */
void pkt_ipv4(struct pkt *p, uint32_t src_be, uint32_t dst_be, uint8_t proto, int opt_words,
	      uint16_t frag_off);
void pkt_ipv6(struct pkt *p, const uint8_t src[16], const uint8_t dst[16], uint8_t nexthdr);
/* An IPv6 extension header of @type (the previous nexthdr must name it)
 * with next header @next; @len_bytes is the whole header (8 * n, or for AH
 * 4 * n). A fragment header uses @frag_off (host order, offset | M flag). */
void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t next, int len_bytes, uint16_t frag_off);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, int doff_words);
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code);
void pkt_bytes(struct pkt *p, const void *data, size_t n);
void pkt_zeros(struct pkt *p, size_t n);
/* Fill IPv4 total length and header checksum, IPv6 payload length, UDP length
 * and checksum, TCP/ICMP checksums. */
void pkt_finish(struct pkt *p);

/* Test payload: "XVIO" magic, 32-bit sequence (network order), then a
 * pattern derived from the sequence so corruption is detected. */
#define PKT_MAGIC 0x5856494fu /* "XVIO" */
void pkt_payload_seq(struct pkt *p, uint32_t seq, size_t len);
/* 0 and *seq when @data holds a valid test payload of @len bytes, -1 otherwise. */
int pkt_payload_check(const uint8_t *data, size_t len, uint32_t *seq);
/* Find the UDP payload of a frame (after VLAN/IPv4/IPv6); NULL if none. */
const uint8_t *pkt_udp_payload(const uint8_t *frame, size_t len, size_t *plen);

#endif
