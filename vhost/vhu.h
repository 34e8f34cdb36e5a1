/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhu: a vhost-user backend library for virtio-net devices. It owns the unix
 * socket protocol, the guest memory table, split and packed virtqueues and the
 * virtio-net header. It knows nothing about AF_XDP, BPF or threads: the
 * embedder polls the fds it exposes, calls the data path from whichever thread
 * owns a queue, and answers a quiesce callback before the library changes
 * anything the data path reads.
 *
 * Control path (one thread per device): vhu_dev__new(), __listen/__connect,
 * __accept, __dispatch. Data path (the queue's owner): vhu_vq__enqueue_burst(),
 * vhu_vq__dequeue_burst() + vhu_vq__dequeue_done(), vhu_vq__notify_enable().
 * Every int function returns 0 or -errno; burst functions return a count.
 */
#ifndef XVIO_VHU_H
#define XVIO_VHU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VHU_MAX_QUEUE_PAIRS 8
#define VHU_MAX_VQS (2 * VHU_MAX_QUEUE_PAIRS + 1) /* + the control queue */
#define VHU_MAX_RING_SIZE 32768
#define VHU_MAX_SEGS 64		/* buffers per frame we gather or scatter */
#define VHU_MAX_FRAME 65562	/* 64 KiB + Ethernet/VLAN headers */
#define VHU_BURST 256		/* frames per dequeue/enqueue/NIC burst; measured in make bench */

struct vhu_dev;
struct vhu_vq;

enum vhu_log_level { VHU_LOG_ERR, VHU_LOG_WARN, VHU_LOG_INFO, VHU_LOG_DEBUG };

/* Callbacks into the embedder; all are optional. */
struct vhu_ops {
	/* One finished line, already prefixed with the device name. */
	void (*log)(void *ctx, enum vhu_log_level level, const char *line);
	/*
	 * Stop every data-path thread from touching @dev's queues and return
	 * only when none is inside a vhu_vq__* call for them. Called on the
	 * control thread before the memory table, a ring or the connection
	 * changes. vhu_dev__resume() is not needed: the library flips
	 * vhu_vq__ready() itself; the embedder's threads re-read it per burst.
	 */
	void (*quiesce)(void *ctx, struct vhu_dev *dev);
	/* A queue became ready to use, or stopped being so. */
	void (*queue_state)(void *ctx, struct vhu_dev *dev, unsigned int qidx, bool ready);
	/* SEND_RARP: announce @mac on the network on the guest's behalf. */
	void (*send_rarp)(void *ctx, struct vhu_dev *dev, const uint8_t mac[6]);
	/* The connection closed (peer gone, error, or a broken device). */
	void (*disconnected)(void *ctx, struct vhu_dev *dev);
	/*
	 * Ring @qidx's kick eventfd @fd is coming (@add) or going (!@add: it
	 * is closed right after this returns). Called on the control thread
	 * with the device paused. An embedder that waits on kick fds (epoll)
	 * must remove @fd here: the frontend holds the same file open, so
	 * closing our descriptor does not take it out of an epoll set, and
	 * the number can be reused by the next file we open.
	 */
	void (*kick_fd)(void *ctx, struct vhu_dev *dev, unsigned int qidx, int fd, bool add);
};

struct vhu_dev_cfg {
	const char *name;		/* for log lines, e.g. the socket's basename */
	const char *path;		/* unix socket path */
	bool client;			/* connect to path instead of listening on it */
	unsigned int max_queue_pairs;	/* 1..VHU_MAX_QUEUE_PAIRS */
	uint64_t features_mask;		/* virtio features to offer (0: all we support) */
	/* The largest MTU the frontend may set with NET_SET_MTU (QEMU's
	 * virtio-net host_mtu=); a larger one is refused. 0: 65535. The
	 * guest's MTU itself comes from the frontend, never from here. */
	uint16_t max_mtu;
	const struct vhu_ops *ops;
	void *ctx;
};

/* Per-queue counters, written only by the queue's owner; read relaxed. */
struct vhu_vq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drop_no_buffers;	/* RX: guest posted no (or too few) buffers */
	uint64_t drop_too_big;		/* frame larger than the buffers / VHU_MAX_FRAME */
	uint64_t drop_too_many_segs;	/* chain with more than VHU_MAX_SEGS buffers */
	uint64_t drop_bad_hdr;		/* TX chain shorter than the virtio-net header */
	/* TX: the header asks for an offload that was not negotiated, or
	 * points outside the frame (gso_size 0, csum_start/offset past the
	 * end, GSO without NEEDS_CSUM); RX: the frame needs an offload this
	 * guest did not negotiate (the embedder should have resolved it). */
	uint64_t drop_bad_offload;
	uint64_t drop_disabled;		/* TX drained while the ring was disabled */
	uint64_t calls;			/* call eventfd writes (guest interrupts) */
	uint64_t calls_suppressed;	/* bursts that needed no interrupt */
};

/* ---- device, control path ------------------------------------------------ */

/** vhu_dev__new() - a device bound to @cfg->path (not yet listening). */
int vhu_dev__new(const struct vhu_dev_cfg *cfg, struct vhu_dev **out);
/** vhu_dev__free() - disconnect, unmap, close the listening socket, free. */
void vhu_dev__free(struct vhu_dev *dev);

/** vhu_dev__listen() - server mode: bind and listen; Return: the listen fd. */
int vhu_dev__listen(struct vhu_dev *dev);
/** vhu_dev__accept() - accept one frontend (call when the listen fd is readable).
 * A second frontend while one is connected is refused. Return: conn fd. */
int vhu_dev__accept(struct vhu_dev *dev);
/** vhu_dev__connect() - client mode: one non-blocking attempt. Return: conn fd,
 * or -errno (-ECONNREFUSED/-ENOENT while the frontend is not there yet,
 * -EAGAIN while its listen backlog is full). */
int vhu_dev__connect(struct vhu_dev *dev);
/** vhu_dev__attach_fd() - use an already connected socket (tests). */
int vhu_dev__attach_fd(struct vhu_dev *dev, int fd);
/** vhu_dev__dispatch() - read what the conn fd holds, without blocking, and
 * handle the message once it is whole; call when the conn fd is readable.
 * A peer that sends a message a byte at a time costs a read per byte and
 * holds nothing up. Return: 0 (handled, or not whole yet), or -errno when
 * the connection was closed (the device is then reset, ops->disconnected
 * called, ready for a new connection). */
int vhu_dev__dispatch(struct vhu_dev *dev);
/** vhu_dev__disconnect() - close the connection and reset the device. */
void vhu_dev__disconnect(struct vhu_dev *dev);
/** vhu_dev__tick() - call about once a second on the control thread: logs
 * what could not be logged where it happened (guest memory that vanished
 * under a burst, log lines suppressed by the rate limit). */
void vhu_dev__tick(struct vhu_dev *dev);

/**
 * vhu_sigbus_guard() - survive guest memory that shrinks under its mapping.
 * A frontend may truncate the file behind a region after SET_MEM_TABLE;
 * the next access to the lost pages raises SIGBUS. With the guard, a
 * SIGBUS inside a mapped guest region replaces that region with anonymous
 * memory, marks its device broken (logged by vhu_dev__tick()) and the access
 * goes on; any other SIGBUS is fatal as before. Process-wide: call once,
 * before the first device connects. Return: 0 or -errno.
 */
int vhu_sigbus_guard(void);

int vhu_dev__listen_fd(const struct vhu_dev *dev);
int vhu_dev__conn_fd(const struct vhu_dev *dev);
const char *vhu_dev__name(const struct vhu_dev *dev);
bool vhu_dev__is_client(const struct vhu_dev *dev);
uint64_t vhu_dev__features(const struct vhu_dev *dev);		/* negotiated */
uint64_t vhu_dev__features_offered(const struct vhu_dev *dev);
uint64_t vhu_dev__protocol_features(const struct vhu_dev *dev);	/* negotiated */
uint8_t vhu_dev__status(const struct vhu_dev *dev);		/* SET_STATUS value */
/* The MTU the frontend set with NET_SET_MTU on this connection; 0: none
 * (the guest's driver then uses 1500). */
uint16_t vhu_dev__mtu(const struct vhu_dev *dev);
uint16_t vhu_dev__max_mtu(const struct vhu_dev *dev);
unsigned int vhu_dev__num_vqs(const struct vhu_dev *dev);	/* rings configured */
unsigned int vhu_dev__hdr_len(const struct vhu_dev *dev);
bool vhu_dev__broken(const struct vhu_dev *dev);
bool vhu_dev__connected(const struct vhu_dev *dev);
/* One line naming the negotiated features ("VERSION_1 MRG_RXBUF ..."). */
int vhu_features_str(uint64_t features, char *buf, size_t len);

/* ---- queues, data path ---------------------------------------------------- */

/* Virtqueue @idx (0 = rx0, 1 = tx0, 2 = rx1, ...), or NULL when out of range. */
struct vhu_vq *vhu_dev__vq(struct vhu_dev *dev, unsigned int idx);
/* Started, enabled, memory mapped and not broken: safe to burst. Acquire load. */
bool vhu_vq__ready(const struct vhu_vq *vq);
/* Started but disabled: TX must be drained and discarded (vhu_vq__drain). */
bool vhu_vq__started(const struct vhu_vq *vq);
int vhu_vq__kick_fd(const struct vhu_vq *vq);
unsigned int vhu_vq__index(const struct vhu_vq *vq);
uint16_t vhu_vq__size(const struct vhu_vq *vq);
bool vhu_vq__packed(const struct vhu_vq *vq);
unsigned int vhu_vq__offloads(const struct vhu_vq *vq);	/* VHU_OFF_* */
const struct vhu_vq_stats *vhu_vq__stats(const struct vhu_vq *vq);

/* A frame as a list of segments (host memory). */
struct vhu_seg {
	const void *base;
	uint32_t len;
};

/*
 * What a frame asks of its receiver: the virtio-net header's offload fields
 * (virtio 1.2 §5.1.6), host byte order. All zero: a complete frame. From
 * vhu_vq__dequeue_burst() they are checked against the frame and the
 * negotiated features; hdr_len stays the driver's hint (the spec lets no
 * device rely on it).
 */
#define VHU_HDR_F_NEEDS_CSUM 1	/* checksum from csum_start, stored at +csum_offset */
#define VHU_HDR_F_DATA_VALID 2	/* RX only: every checksum in the frame was checked */
#define VHU_GSO_NONE 0
#define VHU_GSO_TCPV4 1
#define VHU_GSO_TCPV6 4
#define VHU_GSO_ECN 0x80	/* with TCPV4/6: the segments carry ECN (CWR on the first only) */

struct vhu_offload {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct vhu_pkt {
	const struct vhu_seg *segs;
	uint32_t len;		/* sum of segs[].len */
	uint16_t nsegs;
	struct vhu_offload off;	/* 24 bytes in all: the pollers copy these */
};

/* What a ring can take or give beyond complete frames (vhu_vq__offloads()):
 * for a receive ring, the GUEST_* features the guest negotiated; for a
 * transmit ring, the HOST_* ones (what its frames may ask for). */
#define VHU_OFF_CSUM 0x1	/* NEEDS_CSUM frames (and DATA_VALID, RX) */
#define VHU_OFF_TSO4 0x2
#define VHU_OFF_TSO6 0x4
#define VHU_OFF_ECN 0x8

/**
 * vhu_vq__enqueue_burst() - copy frames into the guest's receive buffers
 * (a virtio-net header first), in order; interrupt the guest at most once.
 * Frames that do not fit are dropped and counted.
 * Return: the number of frames delivered.
 */
unsigned int vhu_vq__enqueue_burst(struct vhu_vq *vq, const struct vhu_pkt *pkts, unsigned int n);
/* The same, but frames left over for lack of buffers are not counted as
 * dropped: the caller keeps them and offers them again. Return: how many
 * frames from the front are gone, delivered or dropped (counted) because
 * they cannot fit: a frame dropped mid-burst must not be offered again. */
unsigned int vhu_vq__enqueue_try(struct vhu_vq *vq, const struct vhu_pkt *pkts, unsigned int n);

/**
 * vhu_vq__dequeue_burst() - take up to @n frames the guest transmitted, as
 * segment lists pointing into guest memory (header stripped). The segments
 * stay valid until vhu_vq__dequeue_done(), which must follow before the next
 * dequeue. Malformed chains are dropped and counted, or break the device.
 * @segs: room for @n * VHU_MAX_SEGS segments; @pkts: room for @n frames.
 * Return: the number of frames in @pkts.
 */
unsigned int vhu_vq__dequeue_burst(struct vhu_vq *vq, struct vhu_pkt *pkts, struct vhu_seg *segs,
				   unsigned int n);
/** vhu_vq__dequeue_done() - return the chains of the last dequeue to the guest. */
void vhu_vq__dequeue_done(struct vhu_vq *vq);
/** vhu_vq__drain() - discard what a started-but-disabled TX ring holds. */
unsigned int vhu_vq__drain(struct vhu_vq *vq);

/**
 * vhu_vq__notify_enable() - ask the guest to kick (@on) or not to (off, while
 * polling). After enabling, re-checks the ring: Return true when work arrived
 * in the meantime (the caller must not sleep).
 */
bool vhu_vq__notify_enable(struct vhu_vq *vq, bool on);
/* True when the guest has made buffers available that we have not taken. */
bool vhu_vq__has_work(const struct vhu_vq *vq);
/* Chains the driver has made available and we have not taken (split
 * rings; a packed ring says VHU_BURST or 0). */
unsigned int vhu_vq__avail_count(const struct vhu_vq *vq);

#endif
