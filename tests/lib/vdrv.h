/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In-test virtio-net driver and vhost-user front-end ("the guest side") used to
 * drive xvio's vhost-user back-end from unit tests. Written from the vhost-user
 * spec (QEMU docs/interop/vhost-user.rst) and virtio 1.2 only, never from vhost/,
 * so that a misreading of the specs in one does not hide in the other.
 */
#ifndef XVIO_TEST_VDRV_H
#define XVIO_TEST_VDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- vhost-user protocol (native byte order on the socket) ---- */

enum vdrv_req {
	VDRV_REQ_GET_FEATURES = 1,
	VDRV_REQ_SET_FEATURES = 2,
	VDRV_REQ_SET_OWNER = 3,
	VDRV_REQ_RESET_OWNER = 4,
	VDRV_REQ_SET_MEM_TABLE = 5,
	VDRV_REQ_SET_LOG_BASE = 6,
	VDRV_REQ_SET_LOG_FD = 7,
	VDRV_REQ_SET_VRING_NUM = 8,
	VDRV_REQ_SET_VRING_ADDR = 9,
	VDRV_REQ_SET_VRING_BASE = 10,
	VDRV_REQ_GET_VRING_BASE = 11,
	VDRV_REQ_SET_VRING_KICK = 12,
	VDRV_REQ_SET_VRING_CALL = 13,
	VDRV_REQ_SET_VRING_ERR = 14,
	VDRV_REQ_GET_PROTOCOL_FEATURES = 15,
	VDRV_REQ_SET_PROTOCOL_FEATURES = 16,
	VDRV_REQ_GET_QUEUE_NUM = 17,
	VDRV_REQ_SET_VRING_ENABLE = 18,
	VDRV_REQ_SEND_RARP = 19,
	VDRV_REQ_NET_SET_MTU = 20,
	VDRV_REQ_SET_BACKEND_REQ_FD = 21,
	VDRV_REQ_IOTLB_MSG = 22,
	VDRV_REQ_SET_VRING_ENDIAN = 23,
	VDRV_REQ_GET_CONFIG = 24,
	VDRV_REQ_SET_CONFIG = 25,
	VDRV_REQ_CREATE_CRYPTO_SESSION = 26,
	VDRV_REQ_CLOSE_CRYPTO_SESSION = 27,
	VDRV_REQ_POSTCOPY_ADVISE = 28,
	VDRV_REQ_POSTCOPY_LISTEN = 29,
	VDRV_REQ_POSTCOPY_END = 30,
	VDRV_REQ_GET_INFLIGHT_FD = 31,
	VDRV_REQ_SET_INFLIGHT_FD = 32,
	VDRV_REQ_GPU_SET_SOCKET = 33,
	VDRV_REQ_RESET_DEVICE = 34,
	VDRV_REQ_VRING_KICK = 35,
	VDRV_REQ_GET_MAX_MEM_SLOTS = 36,
	VDRV_REQ_ADD_MEM_REG = 37,
	VDRV_REQ_REM_MEM_REG = 38,
	VDRV_REQ_SET_STATUS = 39,
	VDRV_REQ_GET_STATUS = 40,
};

#define VDRV_MSG_HDR_SIZE	12
#define VDRV_MSG_VERSION	0x1u	/* flags bits 0-1 */
#define VDRV_MSG_REPLY		0x4u
#define VDRV_MSG_NEED_REPLY	0x8u
#define VDRV_VRING_IDX_MASK	0xffu	/* SET_VRING_KICK/CALL/ERR u64: bits 0-7 index */
#define VDRV_VRING_NOFD		0x100u	/* ... bit 8: no fd attached, poll instead */
#define VDRV_MAX_FDS		8
#define VDRV_TIMEOUT_MS		5000

/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VDRV_PROTOCOL_F_MQ			0
#define VDRV_PROTOCOL_F_LOG_SHMFD		1
#define VDRV_PROTOCOL_F_RARP			2
#define VDRV_PROTOCOL_F_REPLY_ACK		3
#define VDRV_PROTOCOL_F_MTU			4
#define VDRV_PROTOCOL_F_BACKEND_REQ		5
#define VDRV_PROTOCOL_F_CROSS_ENDIAN		6
#define VDRV_PROTOCOL_F_CONFIG			9
#define VDRV_PROTOCOL_F_BACKEND_SEND_FD		10
#define VDRV_PROTOCOL_F_HOST_NOTIFIER		11
#define VDRV_PROTOCOL_F_INFLIGHT_SHMFD		12
#define VDRV_PROTOCOL_F_RESET_DEVICE		13
#define VDRV_PROTOCOL_F_INBAND_NOTIFICATIONS	14
#define VDRV_PROTOCOL_F_CONFIGURE_MEM_SLOTS	15
#define VDRV_PROTOCOL_F_STATUS			16

/* Device feature bits (virtio 1.2 §5.1.3, §6; vhost-user bit 30). */
#define VDRV_NET_F_CSUM			0
#define VDRV_NET_F_GUEST_CSUM		1
#define VDRV_NET_F_MTU			3
#define VDRV_NET_F_MAC			5
#define VDRV_NET_F_GUEST_TSO4		7
#define VDRV_NET_F_GUEST_TSO6		8
#define VDRV_NET_F_GUEST_UFO		10
#define VDRV_NET_F_HOST_TSO4		11
#define VDRV_NET_F_HOST_TSO6		12
#define VDRV_NET_F_HOST_UFO		14
#define VDRV_NET_F_MRG_RXBUF		15
#define VDRV_NET_F_STATUS		16
#define VDRV_NET_F_CTRL_VQ		17
#define VDRV_NET_F_GUEST_ANNOUNCE	21
#define VDRV_NET_F_MQ			22
#define VDRV_F_NOTIFY_ON_EMPTY		24
#define VDRV_F_LOG_ALL			26	/* vhost: VHOST_F_LOG_ALL */
#define VDRV_F_ANY_LAYOUT		27
#define VDRV_F_INDIRECT			28	/* VIRTIO_F_INDIRECT_DESC */
#define VDRV_F_EVENT_IDX		29	/* VIRTIO_F_EVENT_IDX */
#define VDRV_F_PROTOCOL_FEATURES	30	/* VHOST_USER_F_PROTOCOL_FEATURES */
#define VDRV_F_VERSION_1		32
#define VDRV_F_ACCESS_PLATFORM		33
#define VDRV_F_RING_PACKED		34
#define VDRV_F_IN_ORDER			35
#define VDRV_F_ORDER_PLATFORM		36
#define VDRV_F_NOTIFICATION_DATA	38
#define VDRV_F_RING_RESET		40
#define VDRV_BIT(b)			(1ULL << (b))

/* Message payloads (vhost-user.rst "Payload"). */
struct vdrv_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vdrv_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;	/* front-end user addresses, not guest-physical */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vdrv_mem_region_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vdrv_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vdrv_mem_region_desc r[8];
};

/* ---- ring layouts (virtio 1.2 §2.7, §2.8; all fields little-endian) ---- */

#define VDRV_DESC_F_NEXT	1
#define VDRV_DESC_F_WRITE	2
#define VDRV_DESC_F_INDIRECT	4
#define VDRV_DESC_F_AVAIL	(1 << 7)	/* packed */
#define VDRV_DESC_F_USED	(1 << 15)	/* packed */
#define VDRV_AVAIL_F_NO_INTERRUPT 1		/* split avail->flags */
#define VDRV_USED_F_NO_NOTIFY	1		/* split used->flags */
#define VDRV_EVENT_F_ENABLE	0		/* packed event suppression flags */
#define VDRV_EVENT_F_DISABLE	1
#define VDRV_EVENT_F_DESC	2
#define VDRV_WRAP_BIT		15		/* in off_wrap and SET_VRING_BASE */

struct vdrv_desc {		/* split descriptor table entry */
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vdrv_avail {		/* followed by le16 used_event at ring[size] */
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vdrv_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vdrv_used {		/* followed by le16 avail_event at ring[size] */
	uint16_t flags;
	uint16_t idx;
	struct vdrv_used_elem ring[];
};

struct vdrv_pdesc {		/* packed descriptor */
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct vdrv_event {		/* packed driver / device event suppression */
	uint16_t off_wrap;
	uint16_t flags;
};

/* virtio-net header; 12 bytes with VERSION_1 or MRG_RXBUF, else the first 10. */
struct vdrv_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VDRV_NET_HDR_F_NEEDS_CSUM	1
#define VDRV_NET_HDR_F_DATA_VALID	2
#define VDRV_NET_HDR_GSO_NONE		0
#define VDRV_NET_HDR_GSO_TCPV4		1
#define VDRV_NET_HDR_GSO_UDP		3
#define VDRV_NET_HDR_GSO_TCPV6		4

/* ---- guest memory ---- */

/*
 * Zero-initialise a struct vdrv_mem before the first add. Regions are memfds
 * mapped MAP_SHARED here; the user address announced in SET_MEM_TABLE (uva) is
 * a fake value unrelated to va, so a back-end mixing up user and guest-physical
 * addresses fails. Tests may rewrite r[i].uva before vdrv_set_mem_table().
 */
#define VDRV_MAX_REGIONS	8
#define VDRV_UVA_BASE		0x7f0000000000ULL
#define VDRV_UVA_STRIDE		0x1000000000ULL	/* 64 GiB between regions' bases */

struct vdrv_region {
	int fd;
	void *va;		/* test-process address of gpa */
	uint64_t gpa;
	uint64_t size;
	uint64_t mmap_offset;	/* where the region starts inside fd */
	uint64_t uva;		/* announced user address */
};

struct vdrv_mem {
	struct vdrv_region r[VDRV_MAX_REGIONS];
	int nregions;
	uint64_t alloc_next;
	int alloc_region;
};

int vdrv_mem_add_region(struct vdrv_mem *m, uint64_t gpa, uint64_t size);
/* Same, with the region starting @mmap_offset bytes into its memfd. */
int vdrv_mem_add_region_off(struct vdrv_mem *m, uint64_t gpa, uint64_t size,
			    uint64_t mmap_offset);
void vdrv_mem_free(struct vdrv_mem *m);
/* Bump allocator in gpa space, never crossing a region; 0 on failure. */
uint64_t vdrv_alloc(struct vdrv_mem *m, uint64_t len, uint64_t align);
/* gpa -> test va; NULL outside. The _len form needs [gpa, gpa+len) in one region. */
void *vdrv_gpa(struct vdrv_mem *m, uint64_t gpa);
void *vdrv_gpa_len(struct vdrv_mem *m, uint64_t gpa, uint64_t len);
/* gpa -> user address as announced in SET_MEM_TABLE; 0 outside. */
uint64_t vdrv_uva(struct vdrv_mem *m, uint64_t gpa);

/* ---- vhost-user front-end messaging; all return 0 or -errno unless noted ---- */

int vdrv_msg_send(int sock, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
		  const int *fds, int nfds);
/* Raw bytes (part of a message, or several) with @nfds fds attached, in one
 * sendmsg with @flags (MSG_DONTWAIT...). 0 or -errno. */
int vdrv_send_bytes(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);
/* Like vdrv_msg_send, but the header claims @hdr_size whatever @len is sent. */
int vdrv_msg_send_raw(int sock, uint32_t req, uint32_t flags, uint32_t hdr_size,
		      const void *payload, uint32_t len, const int *fds, int nfds);
/* *size: in capacity, out payload size. -ETIMEDOUT, -ECONNRESET on EOF,
 * -EMSGSIZE if the payload did not fit. Received fds are closed. */
int vdrv_msg_recv(int sock, uint32_t *req, uint32_t *flags, void *payload, uint32_t *size,
		  int timeout_ms);
/* Same, keeping up to *nfds received fds (out: how many; caller closes). */
int vdrv_msg_recv_fds(int sock, uint32_t *req, uint32_t *flags, void *payload, uint32_t *size,
		      int *fds, int *nfds, int timeout_ms);
/* Send with NEED_REPLY, wait for the REPLY_ACK u64: 0 on success, > 0 the
 * back-end's non-zero status (clamped to INT_MAX), -errno on transport error. */
int vdrv_msg_ack(int sock, uint32_t req, const void *payload, uint32_t size, const int *fds,
		 int nfds);
int vdrv_get_u64(int sock, uint32_t req, uint64_t *out);
/* Round trip (GET_FEATURES): every earlier message has been handled. */
int vdrv_sync(int sock);
int vdrv_set_mem_table(int sock, struct vdrv_mem *m, bool need_reply);

/* ---- virtqueue, driver side ---- */

struct vdrv_buf {
	uint64_t gpa;
	uint32_t len;
};

#define VDRV_INDIRECT_MAX	64	/* entries in one indirect table */
#define VDRV_MAX_QSIZE		32768

struct vdrv_slot;		/* per head/buffer id bookkeeping, private */
struct vdrv_pend;		/* packed: added, not yet published, private */

struct vdrv_vq {
	struct vdrv_mem *mem;
	uint16_t size;
	bool packed;
	bool event_idx;
	bool auto_event;	/* get_used re-arms used_event for the next entry */
	/* split: desc table, avail ring, used ring; packed: desc ring, driver
	 * event suppression (driver area), device event suppression (device area) */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	void *desc, *avail, *used;
	int kick_fd, call_fd;	/* eventfds; set kick_fd < 0 before setup for polling */
	uint16_t num_free;	/* free descriptors */
	uint16_t free_head;	/* split: first free desc; packed: first free id */
	uint16_t avail_idx;	/* split: next avail->idx; packed: next ring position */
	uint16_t kick_idx;	/* split: avail->idx at the last should_kick */
	uint16_t kick_added;	/* packed: descriptors published since should_kick */
	uint16_t last_used;	/* split: used->idx consumed; packed: next used position */
	bool avail_wrap, used_wrap;	/* packed ring wrap counters */
	uint16_t npend;
	struct vdrv_pend *pend;
	struct vdrv_slot *slot;
};

int vdrv_vq_init(struct vdrv_vq *q, struct vdrv_mem *m, uint16_t size, bool packed,
		 bool event_idx);
void vdrv_vq_free(struct vdrv_vq *q);	/* fds and bookkeeping; ring memory stays in m */
/* One chain: @nout device-readable then @nin device-writable buffers; head
 * (split) / buffer id (packed) >= 0, -ENOSPC if the ring is full. Not published. */
int vdrv_vq_add(struct vdrv_vq *q, const struct vdrv_buf *bufs, int nout, int nin, bool indirect,
		void *token);
/* The head / buffer id the next vdrv_vq_add will return, -ENOSPC if none. */
int vdrv_vq_next_id(struct vdrv_vq *q);
void vdrv_vq_publish(struct vdrv_vq *q);
bool vdrv_vq_should_kick(struct vdrv_vq *q);
int vdrv_vq_kick(struct vdrv_vq *q);		/* write the kick eventfd */
/* 1 and the next used entry, 0 if none, -EBADMSG if its id is not in flight. */
int vdrv_vq_get_used(struct vdrv_vq *q, void **token, uint32_t *len);
int vdrv_vq_get_used_id(struct vdrv_vq *q, int *id, void **token, uint32_t *len);
/* split: used_event = @idx; packed: driver event off_wrap = @idx, flags DESC. */
void vdrv_vq_set_used_event(struct vdrv_vq *q, uint16_t idx);
/* The used_event value meaning "notify on the next used entry". */
uint16_t vdrv_vq_next_used_event(struct vdrv_vq *q);
/* split: avail->flags NO_INTERRUPT; packed: driver event flags DISABLE/ENABLE. */
void vdrv_vq_disable_cb(struct vdrv_vq *q, bool disable);
/* 1 if the call eventfd fired (and was read), 0 on timeout, -errno. */
int vdrv_vq_wait_call(struct vdrv_vq *q, int timeout_ms);
/* SET_VRING_CALL, _NUM, _BASE, _ADDR, _KICK for vring @index (kick last: it
 * starts the ring). The _ack form sets NEED_REPLY on each and checks it. */
int vdrv_vq_setup_backend(int sock, struct vdrv_vq *q, uint32_t index);
int vdrv_vq_setup_backend_ack(int sock, struct vdrv_vq *q, uint32_t index, bool need_reply);
/* The SET_VRING_BASE num for a fresh ring: 0, or for packed the avail index
 * and wrap counter in bits 0-15 and the used ones in bits 16-31. */
uint32_t vdrv_vq_base(const struct vdrv_vq *q);

/* ---- device ---- */

#define VDRV_MAX_VQS		8
#define VDRV_DEV_GPA		0x40000000ULL	/* default memory when d->mem is empty */
#define VDRV_DEV_MEM_SIZE	(64ULL << 20)
/* virtio-net queue pair n -> virtqueue index */
#define VDRV_RXVQ(n)		(2 * (n))
#define VDRV_TXVQ(n)		(2 * (n) + 1)

struct vdrv_dev {
	int sock;
	struct vdrv_mem mem;	/* set up regions before start, or left empty for a default */
	uint64_t features;	/* negotiated */
	uint64_t protocol_features;
	struct vdrv_vq vq[VDRV_MAX_VQS];
	int nvqs;
	bool packed;
	int hdr_len;
	uint64_t max_queues;	/* GET_QUEUE_NUM when MQ was negotiated, else 0 */
	uint8_t rx_hdr[12];	/* net header of the last frame vdrv_net_rx_get read */
};

/*
 * SET_OWNER, GET_FEATURES, GET/SET_PROTOCOL_FEATURES, [GET_QUEUE_NUM],
 * SET_FEATURES(want & offered, + PROTOCOL_FEATURES if offered), SET_MEM_TABLE,
 * then per vq setup_backend and SET_VRING_ENABLE 1. With REPLY_ACK negotiated
 * every set message is acked, otherwise a final vdrv_sync(). Zero @d first
 * (or fill only d->mem). Returns 0 or -errno; on error nothing is left allocated
 * except a d->mem the caller had set up.
 */
int vdrv_dev_start(struct vdrv_dev *d, int sock, uint64_t want_features, uint64_t want_protocol,
		   int nvqs, uint16_t qsize);
void vdrv_dev_stop(struct vdrv_dev *d);	/* frees vqs and memory; sock stays open */

/* Post @nbufs single writable buffers of @buflen on RX pair @rxq and kick if the
 * device asks. Returns the number posted (short when the ring fills) or -errno. */
int vdrv_net_rx_post(struct vdrv_dev *d, int rxq, int nbufs, uint32_t buflen);

struct vdrv_tx_opts {
	int nsegs;		/* buffers carrying header + frame (>= 1) */
	bool indirect;
	bool hdr_alone;		/* header in its own extra buffer before the nsegs */
	const void *hdr;	/* d->hdr_len bytes, NULL for a zeroed header */
};

/* Send one frame on TX pair @txq: header and frame split over @nsegs buffers
 * placed 64 bytes apart (never contiguous). Reclaims used TX entries when the
 * ring is short of space. 0 or -errno. */
int vdrv_net_tx(struct vdrv_dev *d, int txq, const void *frame, uint32_t len, int nsegs,
		bool indirect);
int vdrv_net_tx_opts(struct vdrv_dev *d, int txq, const void *frame, uint32_t len,
		     const struct vdrv_tx_opts *o);
int vdrv_net_tx_reap(struct vdrv_dev *d, int txq);	/* used TX entries reclaimed */
/* Read one received frame (without its net header, which lands in d->rx_hdr).
 * 1 read, 0 none, -EMSGSIZE if longer than @cap (consumed, *len = its length),
 * -EBADMSG/-EPROTO on a malformed used entry or missing merged buffer. */
int vdrv_net_rx_get(struct vdrv_dev *d, int rxq, void *frame, uint32_t cap, uint32_t *len);

#endif /* XVIO_TEST_VDRV_H */
