/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhu internals shared by the library's files: the device and queue structs,
 * the guest memory table, vhost-user message layouts (QEMU
 * docs/interop/vhost-user.rst) and the virtio constants we use. Not API.
 */
#ifndef XVIO_VHU_INTERNAL_H
#define XVIO_VHU_INTERNAL_H

#include <endian.h>
#include <linux/virtio_ring.h>
#include <stdatomic.h>
#include "vhu.h"

#include <time.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define VHU_COLD __attribute__((cold, noinline))
#define VHU_INLINE inline __attribute__((always_inline)) /* per frame, measured: bench-cg.sh */

/* virtio feature bits (virtio 1.2 §5.1.3, §6) */
#define VHU_F_CSUM 0
#define VHU_F_GUEST_CSUM 1
#define VHU_F_MTU 3
#define VHU_F_MAC 5
#define VHU_F_GUEST_TSO4 7
#define VHU_F_GUEST_TSO6 8
#define VHU_F_GUEST_ECN 9
#define VHU_F_HOST_TSO4 11
#define VHU_F_HOST_TSO6 12
#define VHU_F_HOST_ECN 13
#define VHU_F_MRG_RXBUF 15
#define VHU_F_STATUS 16
#define VHU_F_CTRL_VQ 17
#define VHU_F_CTRL_RX 18
#define VHU_F_GUEST_ANNOUNCE 21
#define VHU_F_MQ 22
#define VHU_F_ANY_LAYOUT 27
#define VHU_F_INDIRECT_DESC 28
#define VHU_F_EVENT_IDX 29
#define VHU_F_PROTOCOL_FEATURES 30 /* vhost-user's reuse of the legacy UNUSED bit */
#define VHU_F_VERSION_1 32
#define VHU_F_RING_PACKED 34
#define VHU_F_LOG_ALL 26

#define VHU_FEATURES_OFFLOAD                                                                \
	((1ull << VHU_F_CSUM) | (1ull << VHU_F_GUEST_CSUM) | (1ull << VHU_F_GUEST_TSO4) |    \
	 (1ull << VHU_F_GUEST_TSO6) | (1ull << VHU_F_GUEST_ECN) | (1ull << VHU_F_HOST_TSO4) | \
	 (1ull << VHU_F_HOST_TSO6) | (1ull << VHU_F_HOST_ECN))

#define VHU_FEATURES_SUPPORTED                                                              \
	(VHU_FEATURES_OFFLOAD | (1ull << VHU_F_MTU) | (1ull << VHU_F_MRG_RXBUF) | (1ull << VHU_F_STATUS) |         \
	 (1ull << VHU_F_CTRL_VQ) | (1ull << VHU_F_GUEST_ANNOUNCE) | (1ull << VHU_F_MQ) |    \
	 (1ull << VHU_F_INDIRECT_DESC) | (1ull << VHU_F_EVENT_IDX) |                        \
	 (1ull << VHU_F_PROTOCOL_FEATURES) | (1ull << VHU_F_VERSION_1) |                    \
	 (1ull << VHU_F_RING_PACKED) | (1ull << VHU_F_LOG_ALL))

/* vhost-user protocol features */
#define VHU_PF_MQ 0
#define VHU_PF_LOG_SHMFD 1
#define VHU_PF_RARP 2
#define VHU_PF_REPLY_ACK 3
#define VHU_PF_NET_MTU 4
#define VHU_PF_RESET_DEVICE 13
#define VHU_PF_STATUS 16
#define VHU_PROTOCOL_SUPPORTED                                                          \
	((1ull << VHU_PF_MQ) | (1ull << VHU_PF_LOG_SHMFD) | (1ull << VHU_PF_RARP) |     \
	 (1ull << VHU_PF_REPLY_ACK) | (1ull << VHU_PF_NET_MTU) |                        \
	 (1ull << VHU_PF_RESET_DEVICE) | (1ull << VHU_PF_STATUS))

/* message header flags */
#define VHU_VERSION 0x1
#define VHU_FLAG_REPLY 0x4
#define VHU_FLAG_NEED_REPLY 0x8
#define VHU_MAX_FDS 8
#define VHU_MAX_REGIONS 8
#define VHU_VRING_IDX_MASK 0xff
#define VHU_VRING_NOFD 0x100

struct vhu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vhu_region_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vhu_mem_desc {
	uint32_t nregions;
	uint32_t padding;
	struct vhu_region_desc regions[VHU_MAX_REGIONS];
};

/* SET_LOG_BASE: the dirty log is @size bytes at @offset of the fd */
struct vhu_log_desc {
	uint64_t size;
	uint64_t offset;
};

union vhu_payload {
	uint64_t u64;
	struct vhu_vring_state state;
	struct vhu_vring_addr addr;
	struct vhu_mem_desc mem;
	struct vhu_log_desc log;
	uint8_t raw[sizeof(struct vhu_mem_desc)];
};

struct vhu_msg {
	struct vhu_hdr hdr;
	union vhu_payload p;
	int fds[VHU_MAX_FDS];
	int nfds;
};

/* ---- guest memory ------------------------------------------------------- */

struct vhu_region {
	uint64_t gpa;		/* guest physical start */
	uint64_t size;
	uint64_t uva;		/* the frontend's userspace address of gpa */
	uint8_t *host;		/* our mapping of gpa */
	void *map_base;		/* what mmap returned (covers mmap_offset too) */
	size_t map_len;
	int guard;		/* SIGBUS guard slot, -1: none */
};

struct vhu_mem {
	unsigned int n;
	struct vhu_region r[VHU_MAX_REGIONS];
};

/* Map a region list; on error nothing stays mapped. Closes no fds. @dev
 * is who the SIGBUS guard blames for a fault in these regions. */
int vhu_mem_map(struct vhu_mem *m, const struct vhu_mem_desc *d, const int *fds, char *err,
		size_t errlen, struct vhu_dev *dev);
void vhu_mem_unmap(struct vhu_mem *m);
/* Frontend userspace address range -> host pointer; the whole range must be
 * inside one region (ring structures). NULL otherwise. */
void *vhu_mem_uva(const struct vhu_mem *m, uint64_t uva, uint64_t len);

/*
 * gpa -> host pointer with a length clamp: the bytes available from @gpa to
 * the end of its region, at most @len. Regions are few (<= 8): try the
 * last hit first, then scan.
 */
static inline void *vhu_mem_gpa(const struct vhu_mem *m, uint64_t gpa, uint64_t len,
				uint32_t *avail, unsigned int *hint)
{
	unsigned int i, h = *hint;

	if (likely(h < m->n)) {
		const struct vhu_region *r = &m->r[h];

		if (gpa - r->gpa < r->size) {
			uint64_t left = r->size - (gpa - r->gpa);

			*avail = (uint32_t)(len < left ? len : left);
			return r->host + (gpa - r->gpa);
		}
	}
	for (i = 0; i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];

		/* gpa - r->gpa wraps for gpa < r->gpa, so one compare covers both ends. */
		if (gpa - r->gpa < r->size) {
			uint64_t left = r->size - (gpa - r->gpa);

			*hint = i;
			*avail = (uint32_t)(len < left ? len : left);
			return r->host + (gpa - r->gpa);
		}
	}
	return NULL;
}

/* ---- dirty log (live migration) -------------------------------------------- */

/*
 * While the frontend migrates the guest it gives us a bitmap, one bit per
 * 4 KiB page of guest physical memory (bit n of byte b: page 8b + n), and
 * sets VHOST_F_LOG_ALL: every byte we write into guest memory must set its
 * page's bit, after the write (the frontend clears a bit, then copies its
 * page). Writes are buffers (vhu_log_host: by host pointer, mapped back to
 * the guest physical address) and, for rings that asked (VHOST_VRING_F_LOG),
 * the ring structures.
 */
#define VHU_LOG_PAGE_SHIFT 12
#define VHU_LOG_MAX (1ull << 32) /* bytes of log: 128 TiB of guest memory */

struct vhu_log {
	uint8_t *bits;		/* NULL: no log given */
	uint64_t size;		/* bytes of bits */
	void *map_base;
	size_t map_len;
	int guard;		/* SIGBUS guard slot, -1: none */
	_Atomic uint64_t beyond; /* pages written past the log's end (not marked) */
};

/* Mark guest-physical [@gpa, @gpa + @len) dirty (any thread). */
static inline void vhu_log_gpa(struct vhu_log *l, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!len)
		return;
	/* the bytes first, then the bits that send them */
	atomic_thread_fence(memory_order_release);
	page = gpa >> VHU_LOG_PAGE_SHIFT;
	last = (gpa + len - 1) >> VHU_LOG_PAGE_SHIFT;
	for (; page <= last; page++) {
		if (page >> 3 >= l->size) {
			atomic_fetch_add_explicit(&l->beyond, last - page + 1, memory_order_relaxed);
			return;
		}
		__atomic_fetch_or(&l->bits[page >> 3], (uint8_t)(1u << (page & 7)),
				  __ATOMIC_RELAXED);
	}
}

/* ---- queues -------------------------------------------------------------- */

struct vhu_used {
	uint16_t id;		/* split: head index; packed: buffer id */
	uint16_t ndesc;		/* packed: descriptors the chain took */
	uint32_t len;
};

/* vq->state, published by the control thread, read once per burst */
enum vhu_vq_state { VHU_VQ_STOPPED = 0, VHU_VQ_DRAIN = 1, VHU_VQ_READY = 2 };

struct vhu_vq {
	/* hot, read by the data path */
	_Atomic int state;	/* enum vhu_vq_state */
	bool packed;
	bool event_idx;
	bool indirect;
	bool mrg_rxbuf;
	uint8_t hdr_len;
	uint8_t offloads;	/* VHU_OFF_*: RX rings GUEST_*, TX rings HOST_* */
	uint16_t size;
	uint16_t last_avail;	/* split: free-running; packed: index < size */
	uint16_t last_used;	/* split: free-running used->idx shadow; packed: index */
	bool avail_wrap;	/* packed */
	bool used_wrap;		/* packed */
	bool signalled_valid;
	uint16_t signalled_used;
	unsigned int mem_hint;
	struct vhu_dev *dev;
	const struct vhu_mem *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *driver_event; /* packed: written by the driver */
	struct vring_packed_desc_event *device_event; /* packed: written by us */
	int call_fd;
	int kick_fd;
	/* the last dequeue, returned by dequeue_done */
	struct vhu_used *pending;
	unsigned int npending;
	/* scratch: copy of an indirect table that spans regions */
	struct vring_desc *indirect_copy;
	/* logging on (LOG_ALL and a log): the log, and what of the ring we
	 * write, as guest-physical ranges (log_ring: VHOST_VRING_F_LOG) */
	struct vhu_log *log;
	bool log_ring;
	uint64_t log_ring_gpa;	/* split: the used ring; packed: the descriptors */
	uint64_t log_evt_gpa;	/* packed: the device event area */
	struct vhu_vq_stats stats;

	/* control path only */
	unsigned int index;
	bool started;		/* kick fd received (or polling), not stopped */
	bool enabled;
	bool have_addr;
	bool announced;		/* ops->queue_state last said "ready" */
	bool need_init;		/* started: take indices from base at next publish */
	uint16_t base;		/* SET_VRING_BASE num (packed: bit 15 = wrap) */
	uint32_t base_raw;
	struct vhu_vring_addr addr;
	int err_fd;
} __attribute__((aligned(64)));

struct vhu_dev {
	char name[64];
	char path[108];
	bool client;
	int listen_fd;
	int conn_fd;
	const struct vhu_ops *ops;
	void *ctx;
	unsigned int max_queue_pairs;
	uint64_t offered;
	uint64_t features;
	uint64_t protocol;
	bool features_set;
	bool owner;
	bool broken;
	uint8_t status;
	uint16_t mtu;		/* set by NET_SET_MTU; 0: none */
	uint16_t max_mtu;	/* vhu_dev_cfg.max_mtu */
	struct vhu_mem mem;
	struct vhu_log log;	/* SET_LOG_BASE */
	unsigned int nvqs;	/* highest configured index + 1 */
	/* the message being read (a peer may send it in pieces) */
	struct vhu_msg rx;
	size_t rx_got;		/* bytes of header + payload read so far */
	/* log rate limit: VHU_LOG_BURST lines per VHU_LOG_WINDOW_S seconds */
	uint64_t log_window;	/* start of the window, CLOCK_MONOTONIC seconds */
	unsigned int log_lines;
	unsigned int log_dropped;
	/* SEND_RARP rate limit: a token bucket of VHU_RARP_BURST */
	uint64_t rarp_ns;	/* when the bucket was last filled */
	unsigned int rarp_tokens;
	unsigned int rarp_dropped;
	/* set by the SIGBUS guard (signal context), logged by vhu_dev__tick() */
	_Atomic uint64_t fault_addr;
	_Atomic int fault_region;	/* region index + 1; 0: none pending */
	_Atomic bool mem_lost;		/* a region was replaced: broken until a new table */
	struct vhu_vq vq[VHU_MAX_VQS];
};

#define VHU_LOG_BURST 40	/* log lines (not debug) per window, per device */
#define VHU_LOG_WINDOW_S 10
#define VHU_RARP_BURST 8	/* QEMU's announce sends 5 rounds after a migration */
#define VHU_RARP_EVERY_NS 1000000000ull /* one token a second */

/* Coarse monotonic time for the control path's rate limits. */
static inline uint64_t vhu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((format(printf, 3, 4))) void vhu_log(struct vhu_dev *dev, enum vhu_log_level level,
						   const char *fmt, ...);
/* A guest broke the rules on @vq: mark the device broken, stop all its
 * queues, log once (whichever thread gets there first). Returns -EIO. */
__attribute__((format(printf, 2, 3))) VHU_COLD int vhu_vq_broken(struct vhu_vq *vq,
								  const char *fmt, ...);

/* vhu_log.c */
/* Map SET_LOG_BASE's log (checked against the memory table); on error
 * nothing changes and @err says why. */
int vhu_log_map(struct vhu_dev *dev, const struct vhu_log_desc *d, int fd, char *err,
		size_t errlen);
void vhu_log_unmap(struct vhu_log *l);
/* Bytes of log the memory table needs (its highest guest page). */
uint64_t vhu_log_needed(const struct vhu_mem *m);
/* Mark what was written at host pointer @p (guest memory) dirty. */
void vhu_log_host(struct vhu_vq *vq, const void *p, uint64_t len);
/* Host pointer of guest memory -> guest physical address; false if none. */
bool vhu_mem_host_gpa(const struct vhu_mem *m, const void *p, uint64_t *gpa);
/* A queue's logging state from the device's (at publish). */
void vhu_vq_log_setup(struct vhu_vq *vq);

/* vhu_mem.c: the SIGBUS guard for another mapping of the device (the log) */
int vhu_mem_guard_add(struct vhu_dev *dev, void *base, size_t len, unsigned int region);
void vhu_mem_guard_del(int slot);

/* vhu_msg.c / vhu_sock.c */
int vhu_handle_msg(struct vhu_dev *dev, struct vhu_msg *msg);
int vhu_send_reply(struct vhu_dev *dev, struct vhu_msg *msg);
const char *vhu_req_name(uint32_t req);

/* vhu_vq.c */
/* Replace the ring's kick fd (-1: none), telling ops->kick_fd. */
void vhu_vq_set_kick(struct vhu_vq *vq, int fd);
void vhu_vq_init(struct vhu_vq *vq, struct vhu_dev *dev, unsigned int index);
void vhu_vq_reset(struct vhu_vq *vq);
int vhu_vq_alloc(struct vhu_vq *vq, uint16_t size);
/* Translate ring addresses and, when started/enabled, publish ready. */
int vhu_vq_update_ready(struct vhu_vq *vq);
void vhu_vq_signal(struct vhu_vq *vq);
/* Unpublish every queue of @dev and wait (ops->quiesce) until no data-path
 * thread is inside; vhu_dev_publish() recomputes and republishes. */
void vhu_dev_pause(struct vhu_dev *dev);
void vhu_dev_publish(struct vhu_dev *dev);

#endif
