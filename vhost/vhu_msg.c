// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user requests: a table of what each request carries, central
 * validation before any handler runs, and one handle_<req>() per request
 * (QEMU docs/interop/vhost-user.rst).
 *
 * Error policy: a handler returns 0, VHU_REPLY (it filled a reply), or
 * -errno. On -errno with REPLY_ACK requested the frontend gets a non-zero
 * ack and the connection stays; otherwise the connection is closed, since a
 * frontend that asked for no reply would go on believing we complied.
 * Requests that change what the data path reads pause the device first
 * (vhu_dev_pause) and republish after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vhu_internal.h"

#define VHU_REPLY 1

/* request table flags */
#define F_MODIFY 0x1	/* pause the data path around the handler */
#define F_REPLY 0x2	/* has its own reply (GET_*), so no REPLY_ACK */
#define F_VAR 0x4	/* payload size is a maximum, the handler checks more */
#define F_QSTATE 0x8	/* payload is a vring state/addr: index in the first u32 */
#define F_QU64 0x10	/* payload is a u64 with the ring index in bits 0-7 */
#define F_FDS 0x20	/* may carry fds; the handler checks how many */
#define F_PROTO 0x40	/* needs VHOST_USER_F_PROTOCOL_FEATURES negotiated or offered */

struct vhu_req {
	const char *name;
	int (*handler)(struct vhu_dev *dev, struct vhu_msg *msg);
	uint32_t size;
	uint32_t flags;
};

#define SZ_U64 sizeof(uint64_t)
#define SZ_STATE sizeof(struct vhu_vring_state)
#define SZ_ADDR sizeof(struct vhu_vring_addr)
#define SZ_MEM sizeof(struct vhu_mem_desc)
#define SZ_LOG sizeof(struct vhu_log_desc)

/* (request, id, payload size, flags) */
#define VHU_REQUESTS(X)                                                            \
	X(GET_FEATURES, 1, 0, F_REPLY)                                             \
	X(SET_FEATURES, 2, SZ_U64, F_MODIFY)                                       \
	X(SET_OWNER, 3, 0, 0)                                                      \
	X(RESET_OWNER, 4, 0, F_MODIFY)                                             \
	X(SET_MEM_TABLE, 5, SZ_MEM, F_MODIFY | F_VAR | F_FDS)                      \
	X(SET_LOG_BASE, 6, SZ_LOG, F_MODIFY | F_FDS | F_REPLY)                     \
	X(SET_LOG_FD, 7, 0, F_FDS)                                                 \
	X(SET_VRING_NUM, 8, SZ_STATE, F_MODIFY | F_QSTATE)                         \
	X(SET_VRING_ADDR, 9, SZ_ADDR, F_MODIFY | F_QSTATE)                         \
	X(SET_VRING_BASE, 10, SZ_STATE, F_MODIFY | F_QSTATE)                       \
	X(GET_VRING_BASE, 11, SZ_STATE, F_MODIFY | F_QSTATE | F_REPLY)             \
	X(SET_VRING_KICK, 12, SZ_U64, F_MODIFY | F_QU64 | F_FDS)                   \
	X(SET_VRING_CALL, 13, SZ_U64, F_MODIFY | F_QU64 | F_FDS)                   \
	X(SET_VRING_ERR, 14, SZ_U64, F_QU64 | F_FDS)                               \
	X(GET_PROTOCOL_FEATURES, 15, 0, F_REPLY | F_PROTO)                         \
	X(SET_PROTOCOL_FEATURES, 16, SZ_U64, F_PROTO)                              \
	X(GET_QUEUE_NUM, 17, 0, F_REPLY | F_PROTO)                                 \
	X(SET_VRING_ENABLE, 18, SZ_STATE, F_MODIFY | F_QSTATE | F_PROTO)           \
	X(SEND_RARP, 19, SZ_U64, F_PROTO)                                          \
	X(NET_SET_MTU, 20, SZ_U64, F_PROTO)                                        \
	X(RESET_DEVICE, 34, 0, F_MODIFY | F_PROTO)                                 \
	X(SET_STATUS, 39, SZ_U64, F_MODIFY | F_PROTO)                              \
	X(GET_STATUS, 40, 0, F_REPLY | F_PROTO)

#define VHU_REQ_MAX 41

#define DECLARE_HANDLER(name, id, size, flags) \
	static int handle_##name(struct vhu_dev *dev, struct vhu_msg *msg);
VHU_REQUESTS(DECLARE_HANDLER)

#define REQ_ENTRY(n, id, sz, fl) [id] = { #n, handle_##n, sz, fl },
static const struct vhu_req requests[VHU_REQ_MAX] = { VHU_REQUESTS(REQ_ENTRY) };

/* Names of the requests we refuse, for the log line. */
static const char *unsupported_name(uint32_t req)
{
	switch (req) {
	case 21: return "SET_BACKEND_REQ_FD";
	case 22: return "IOTLB_MSG";
	case 23: return "SET_VRING_ENDIAN";
	case 24: return "GET_CONFIG";
	case 25: return "SET_CONFIG";
	case 31: return "GET_INFLIGHT_FD";
	case 32: return "SET_INFLIGHT_FD";
	case 36: return "GET_MAX_MEM_SLOTS";
	case 37: return "ADD_MEM_REG";
	case 38: return "REM_MEM_REG";
	}
	return NULL;
}

const char *vhu_req_name(uint32_t req)
{
	if (req < VHU_REQ_MAX && requests[req].name)
		return requests[req].name;
	return unsupported_name(req) ?: "UNKNOWN";
}

static struct vhu_vq *msg_vq(struct vhu_dev *dev, const struct vhu_msg *msg)
{
	uint32_t idx = requests[msg->hdr.request].flags & F_QU64 ?
			       (uint32_t)(msg->p.u64 & VHU_VRING_IDX_MASK) :
			       msg->p.state.index;

	return &dev->vq[idx];
}

/* Take ownership of fd @i of the message (the dispatcher closes the rest). */
static int take_fd(struct vhu_msg *msg, int i)
{
	int fd = msg->fds[i];

	msg->fds[i] = -1;
	return fd;
}

static void reply_u64(struct vhu_msg *msg, uint64_t v)
{
	msg->hdr.size = SZ_U64;
	msg->p.u64 = v;
}

/* ---- handlers ------------------------------------------------------------ */

static int handle_GET_FEATURES(struct vhu_dev *dev, struct vhu_msg *msg)
{
	reply_u64(msg, dev->offered);
	return VHU_REPLY;
}

/* The offloads a ring's frames may carry: a receive ring's are the guest's
 * (GUEST_*), a transmit ring's the host's (HOST_*). Each needs its checksum
 * feature: virtio 1.2 §5.1.3.1 makes the TSO and ECN bits depend on it, and
 * a frontend that sets one without the other gets the dependent bit
 * ignored. */
static uint8_t offloads(uint64_t f, bool rx)
{
	int csum = rx ? VHU_F_GUEST_CSUM : VHU_F_CSUM;
	int tso4 = rx ? VHU_F_GUEST_TSO4 : VHU_F_HOST_TSO4;
	int tso6 = rx ? VHU_F_GUEST_TSO6 : VHU_F_HOST_TSO6;
	int ecn = rx ? VHU_F_GUEST_ECN : VHU_F_HOST_ECN;
	uint8_t o = 0;

	if (!(f & (1ull << csum)))
		return 0;
	o |= VHU_OFF_CSUM;
	if (f & (1ull << tso4))
		o |= VHU_OFF_TSO4;
	if (f & (1ull << tso6))
		o |= VHU_OFF_TSO6;
	if ((o & (VHU_OFF_TSO4 | VHU_OFF_TSO6)) && (f & (1ull << ecn)))
		o |= VHU_OFF_ECN;
	return o;
}

static void apply_features(struct vhu_dev *dev)
{
	uint64_t f = dev->features;
	unsigned int i;

	for (i = 0; i < VHU_MAX_VQS; i++) {
		struct vhu_vq *vq = &dev->vq[i];

		vq->packed = f & (1ull << VHU_F_RING_PACKED);
		vq->event_idx = f & (1ull << VHU_F_EVENT_IDX);
		vq->indirect = f & (1ull << VHU_F_INDIRECT_DESC);
		vq->mrg_rxbuf = f & (1ull << VHU_F_MRG_RXBUF);
		/* virtio 1.2 §5.1.6: 12 bytes with VERSION_1 or MRG_RXBUF. */
		vq->hdr_len = f & ((1ull << VHU_F_VERSION_1) | (1ull << VHU_F_MRG_RXBUF)) ? 12 : 10;
		vq->offloads = offloads(f, i % 2 == 0 && i < 2 * VHU_MAX_QUEUE_PAIRS);
	}
}

static int handle_SET_FEATURES(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t f = msg->p.u64;
	char names[256];
	unsigned int i;

	if (f & ~dev->offered) {
		vhu_log(dev, VHU_LOG_ERR, "SET_FEATURES %#llx asks for bits we did not offer (%#llx)",
			(unsigned long long)f, (unsigned long long)(f & ~dev->offered));
		return -EINVAL;
	}
	/* A started ring keeps its indexes; read against the other layout
	 * (split's free-running last_avail as a packed slot) they would index
	 * past the translated ring. */
	if ((f ^ dev->features) & (1ull << VHU_F_RING_PACKED)) {
		for (i = 0; i < VHU_MAX_VQS; i++) {
			if (dev->vq[i].started) {
				vhu_log(dev, VHU_LOG_ERR, "SET_FEATURES switches the ring layout "
					"while vq%u runs; refused", i);
				return -EBUSY;
			}
		}
	}
	/* LOG_ALL may come before the log (a device that starts while the
	 * guest migrates: QEMU sends the features, the memory table, the
	 * rings, then SET_LOG_BASE): the rings stay stopped until the log is
	 * there, since what they wrote meanwhile would go unrecorded. */
	if ((f ^ dev->features) & (1ull << VHU_F_LOG_ALL))
		vhu_log(dev, VHU_LOG_INFO, "dirty logging %s (live migration)%s",
			f & (1ull << VHU_F_LOG_ALL) ? "on" : "off",
			(f & (1ull << VHU_F_LOG_ALL)) && !dev->log.bits ?
				"; rings held until SET_LOG_BASE" : "");
	if (dev->features_set && (f ^ dev->features) & ~(1ull << VHU_F_LOG_ALL))
		vhu_log(dev, VHU_LOG_INFO, "features change from %#llx to %#llx",
			(unsigned long long)dev->features, (unsigned long long)f);
	dev->features = f;
	dev->features_set = true;
	apply_features(dev);
	vhu_features_str(f, names, sizeof(names));
	vhu_log(dev, VHU_LOG_INFO, "features negotiated: %s", names);
	return 0;
}

/* The dirty log for a migration: one fd, mapped at once (the data path is
 * paused); replied to with an empty SET_LOG_BASE, which QEMU waits for. */
static int handle_SET_LOG_BASE(struct vhu_dev *dev, struct vhu_msg *msg)
{
	char err[200];
	int rc;

	if (!(dev->protocol & (1ull << VHU_PF_LOG_SHMFD))) {
		vhu_log(dev, VHU_LOG_ERR, "SET_LOG_BASE without the LOG_SHMFD protocol feature");
		return -EPROTO;
	}
	if (msg->nfds != 1) {
		vhu_log(dev, VHU_LOG_ERR, "SET_LOG_BASE with %d file descriptors (want 1)",
			msg->nfds);
		return -EINVAL;
	}
	rc = vhu_log_map(dev, &msg->p.log, msg->fds[0], err, sizeof(err));
	if (rc) {
		vhu_log(dev, VHU_LOG_ERR, "SET_LOG_BASE: %s", err);
		return rc;
	}
	vhu_log(dev, VHU_LOG_INFO, "dirty log of %llu bytes (%llu MiB of guest memory)",
		(unsigned long long)dev->log.size,
		(unsigned long long)(dev->log.size * 8 << VHU_LOG_PAGE_SHIFT >> 20));
	msg->hdr.size = 0;
	return VHU_REPLY;
}

/* An eventfd to signal log updates with, for frontends without a shared
 * log; ours is shared (LOG_SHMFD), so there is nothing to signal. */
static int handle_SET_LOG_FD(struct vhu_dev *dev, struct vhu_msg *msg)
{
	if (msg->nfds != 1) {
		vhu_log(dev, VHU_LOG_ERR, "SET_LOG_FD with %d file descriptors (want 1)",
			msg->nfds);
		return -EINVAL;
	}
	vhu_log(dev, VHU_LOG_DEBUG, "SET_LOG_FD: not needed with a shared log; closed");
	return 0;
}

static int handle_SET_OWNER(struct vhu_dev *dev, struct vhu_msg *msg)
{
	(void)msg;
	dev->owner = true;
	return 0;
}

/* Rings back to "stopped, unconfigured"; memory and features stay. */
static void reset_rings(struct vhu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VHU_MAX_VQS; i++)
		vhu_vq_reset(&dev->vq[i]);
	apply_features(dev);
	dev->nvqs = 0;
	/* Memory the SIGBUS guard replaced stays lost: only a new table helps. */
	dev->broken = atomic_load(&dev->mem_lost);
}

static int handle_RESET_OWNER(struct vhu_dev *dev, struct vhu_msg *msg)
{
	(void)msg;
	reset_rings(dev);
	return 0;
}

static int handle_RESET_DEVICE(struct vhu_dev *dev, struct vhu_msg *msg)
{
	(void)msg;
	reset_rings(dev);
	dev->status = 0;
	return 0;
}

static int handle_SET_MEM_TABLE(struct vhu_dev *dev, struct vhu_msg *msg)
{
	const struct vhu_mem_desc *d = &msg->p.mem;
	struct vhu_mem mem;
	char err[160];
	unsigned int i;
	int rc;

	if (msg->hdr.size < 8 || d->nregions == 0 || d->nregions > VHU_MAX_REGIONS ||
	    msg->hdr.size != 8 + d->nregions * sizeof(struct vhu_region_desc)) {
		vhu_log(dev, VHU_LOG_ERR, "SET_MEM_TABLE: %u regions in a %u-byte payload",
			msg->hdr.size >= 8 ? d->nregions : 0, msg->hdr.size);
		return -EINVAL;
	}
	if ((int)d->nregions != msg->nfds) {
		vhu_log(dev, VHU_LOG_ERR, "SET_MEM_TABLE: %u regions but %d file descriptors",
			d->nregions, msg->nfds);
		return -EINVAL;
	}
	rc = vhu_mem_map(&mem, d, msg->fds, err, sizeof(err), dev);
	if (rc) {
		vhu_log(dev, VHU_LOG_ERR, "SET_MEM_TABLE: %s", err);
		return rc;
	}
	/* The data path is paused: the old mapping can go. */
	vhu_mem_unmap(&dev->mem);
	dev->mem = mem;
	if ((dev->features & (1ull << VHU_F_LOG_ALL)) && dev->log.bits &&
	    vhu_log_needed(&dev->mem) > dev->log.size)
		vhu_log(dev, VHU_LOG_WARN, "the memory table reaches past the dirty log (%llu "
			"bytes, %llu needed): writes there go unlogged until a larger SET_LOG_BASE",
			(unsigned long long)dev->log.size,
			(unsigned long long)vhu_log_needed(&dev->mem));
	if (atomic_exchange(&dev->mem_lost, false)) {
		vhu_log(dev, VHU_LOG_INFO, "new memory table; clearing the broken state");
		dev->broken = false;
	}
	for (i = 0; i < VHU_MAX_VQS; i++)
		dev->vq[i].mem_hint = 0;
	for (i = 0; i < mem.n; i++)
		vhu_log(dev, VHU_LOG_DEBUG, "region %u: gpa %#llx size %#llx uva %#llx", i,
			(unsigned long long)mem.r[i].gpa, (unsigned long long)mem.r[i].size,
			(unsigned long long)mem.r[i].uva);
	/* The mappings keep the memory; the fds are closed by the dispatcher. */
	return 0;
}

static int handle_SET_VRING_NUM(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);
	uint32_t num = msg->p.state.num;

	if (num == 0 || num > VHU_MAX_RING_SIZE || (!vq->packed && (num & (num - 1)))) {
		vhu_log(dev, VHU_LOG_ERR, "vq%u: ring size %u is not %s 1..%d", vq->index, num,
			vq->packed ? "in" : "a power of two in", VHU_MAX_RING_SIZE);
		return -EINVAL;
	}
	if (vq->started) {
		vhu_log(dev, VHU_LOG_ERR, "vq%u: SET_VRING_NUM while the ring runs", vq->index);
		return -EBUSY;
	}
	return vhu_vq_alloc(vq, (uint16_t)num);
}

static int handle_SET_VRING_ADDR(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);

	vq->addr = msg->p.addr;
	vq->have_addr = true;
	if (vq->index + 1 > dev->nvqs)
		dev->nvqs = vq->index + 1;
	return 0;
}

static int handle_SET_VRING_BASE(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);
	uint32_t num = msg->p.state.num;

	/* Packed: bits 0-14 index, 15 wrap (16-31, the used side, unused
	 * here); the index is checked against the ring size when it starts. */
	if (!vq->packed && num > 0xffff) {
		vhu_log(dev, VHU_LOG_ERR, "vq%u: SET_VRING_BASE %#x out of range", vq->index, num);
		return -EINVAL;
	}
	vq->base_raw = num;
	return 0;
}

static int handle_GET_VRING_BASE(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);
	uint32_t num;

	/* Stops the ring (paused already); in-order processing leaves nothing in
	 * flight, so last_avail is where the next owner resumes. */
	if (vq->packed) /* avail index + wrap, used index + wrap in bits 16-31 */
		num = vq->last_avail | ((uint32_t)vq->avail_wrap << 15) |
		      (vq->last_used | (uint32_t)vq->used_wrap << 15) << 16;
	else
		num = vq->last_avail;
	if (!vq->started)
		num = vq->packed ? vq->base_raw : (uint16_t)vq->base_raw;
	vq->started = false;
	vhu_vq_set_kick(vq, -1);
	msg->hdr.size = SZ_STATE;
	msg->p.state.num = num;
	return VHU_REPLY;
}

/*
 * A ring's kick/call/err fd must be an eventfd we can use without ever
 * blocking: we read kicks and write calls on the data path, and one blocked
 * read or write would stop every queue of that thread and then the control
 * thread that waits for it. So: an eventfd (anything else is refused), not
 * in semaphore mode (a read would take 1 of a counter the guest can set to
 * 2^64-2: a kick that never drains), and O_NONBLOCK on its open file (the
 * frontend's end is non-blocking too; QEMU and DPDK create them so).
 */
static int check_eventfd(struct vhu_dev *dev, int fd, const char *what)
{
	char path[64], target[64], info[512];
	ssize_t n;
	int flags, ifd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || (target[n] = 0, strcmp(target, "anon_inode:[eventfd]"))) {
		vhu_log(dev, VHU_LOG_ERR, "%s: the file descriptor is %s, not an eventfd", what,
			n < 0 ? "unreadable" : target);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	ifd = open(path, O_RDONLY | O_CLOEXEC);
	n = ifd >= 0 ? read(ifd, info, sizeof(info) - 1) : -1;
	if (ifd >= 0)
		close(ifd);
	if (n > 0 && (info[n] = 0, strstr(info, "eventfd-semaphore: 1"))) {
		vhu_log(dev, VHU_LOG_ERR, "%s: a semaphore-mode eventfd (EFD_SEMAPHORE); refused",
			what);
		return -EINVAL;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK))) {
		vhu_log(dev, VHU_LOG_ERR, "%s: cannot make the eventfd non-blocking: %s", what,
			strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* Check a u64 ring-fd message (index + NOFD bit); *fd: the eventfd or -1. */
static int ring_fd(struct vhu_dev *dev, struct vhu_msg *msg, const char *what, int *fd)
{
	bool nofd = msg->p.u64 & VHU_VRING_NOFD;
	int err;

	if (msg->p.u64 & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD)) {
		vhu_log(dev, VHU_LOG_ERR, "%s: reserved bits set in %#llx", what,
			(unsigned long long)msg->p.u64);
		return -EINVAL;
	}
	if (msg->nfds != (nofd ? 0 : 1)) {
		vhu_log(dev, VHU_LOG_ERR, "%s: %d file descriptors with the no-fd flag %s", what,
			msg->nfds, nofd ? "set" : "clear");
		return -EINVAL;
	}
	*fd = -1;
	if (nofd)
		return 0;
	err = check_eventfd(dev, msg->fds[0], what);
	if (err)
		return err;
	*fd = take_fd(msg, 0);
	return 0;
}

/* Replace a ring's call or err fd. */
static int set_ring_fd(struct vhu_dev *dev, struct vhu_msg *msg, int *slot, const char *what)
{
	int fd, err = ring_fd(dev, msg, what, &fd);

	if (err)
		return err;
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
	return 0;
}

static int handle_SET_VRING_KICK(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);
	int fd, err = ring_fd(dev, msg, "SET_VRING_KICK", &fd);

	if (err)
		return err;
	vhu_vq_set_kick(vq, fd);
	if (!vq->started) {
		/* The ring starts now, at the base the frontend gave. */
		vq->started = true;
		vq->need_init = true;
		/* Without protocol features a ring is enabled when it starts. */
		if (!(dev->features & (1ull << VHU_F_PROTOCOL_FEATURES)))
			vq->enabled = true;
	}
	if (vq->index + 1 > dev->nvqs)
		dev->nvqs = vq->index + 1;
	return 0;
}

static int handle_SET_VRING_CALL(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);

	vq->signalled_valid = false;
	return set_ring_fd(dev, msg, &vq->call_fd, "SET_VRING_CALL");
}

static int handle_SET_VRING_ERR(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return set_ring_fd(dev, msg, &msg_vq(dev, msg)->err_fd, "SET_VRING_ERR");
}

static int handle_GET_PROTOCOL_FEATURES(struct vhu_dev *dev, struct vhu_msg *msg)
{
	(void)dev;
	reply_u64(msg, VHU_PROTOCOL_SUPPORTED);
	return VHU_REPLY;
}

static int handle_SET_PROTOCOL_FEATURES(struct vhu_dev *dev, struct vhu_msg *msg)
{
	if (msg->p.u64 & ~VHU_PROTOCOL_SUPPORTED) {
		vhu_log(dev, VHU_LOG_ERR,
			"SET_PROTOCOL_FEATURES %#llx asks for bits we did not offer (%#llx)",
			(unsigned long long)msg->p.u64,
			(unsigned long long)(msg->p.u64 & ~VHU_PROTOCOL_SUPPORTED));
		return -EINVAL;
	}
	dev->protocol = msg->p.u64;
	return 0;
}

static int handle_GET_QUEUE_NUM(struct vhu_dev *dev, struct vhu_msg *msg)
{
	reply_u64(msg, dev->max_queue_pairs);
	return VHU_REPLY;
}

static int handle_SET_VRING_ENABLE(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vq *vq = msg_vq(dev, msg);

	if (msg->p.state.num > 1) {
		vhu_log(dev, VHU_LOG_ERR, "vq%u: SET_VRING_ENABLE %u (want 0 or 1)", vq->index,
			msg->p.state.num);
		return -EINVAL;
	}
	vq->enabled = msg->p.state.num;
	return 0;
}

/* A token bucket: VHU_RARP_BURST announcements, then one a second. */
static bool rarp_allowed(struct vhu_dev *dev)
{
	uint64_t now = vhu_now_ns(), add;

	if (!dev->rarp_ns) {
		dev->rarp_ns = now;
		dev->rarp_tokens = VHU_RARP_BURST;
	}
	add = (now - dev->rarp_ns) / VHU_RARP_EVERY_NS;
	if (add) {
		dev->rarp_tokens = add >= VHU_RARP_BURST - dev->rarp_tokens ?
					   VHU_RARP_BURST : dev->rarp_tokens + (unsigned int)add;
		dev->rarp_ns += add * VHU_RARP_EVERY_NS;
	}
	if (!dev->rarp_tokens)
		return false;
	dev->rarp_tokens--;
	return true;
}

static int handle_SEND_RARP(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint8_t mac[6];

	/* QEMU sends it only when the protocol feature was negotiated. */
	if (!(dev->protocol & (1ull << VHU_PF_RARP))) {
		vhu_log(dev, VHU_LOG_ERR, "SEND_RARP without the RARP protocol feature; refused");
		return -EPROTO;
	}
	memcpy(mac, &msg->p.u64, 6);
	if (mac[0] & 1) {
		vhu_log(dev, VHU_LOG_WARN, "SEND_RARP for a group MAC address; ignored");
		return 0;
	}
	if (!rarp_allowed(dev)) {
		/* Not an error: the frontend did what it may; the network was
		 * told recently enough. Counted, reported by vhu_dev__tick(). */
		dev->rarp_dropped++;
		return 0;
	}
	if (dev->ops && dev->ops->send_rarp)
		dev->ops->send_rarp(dev->ctx, dev, mac);
	return 0;
}

static int handle_NET_SET_MTU(struct vhu_dev *dev, struct vhu_msg *msg)
{
	/* 68: the IPv4 minimum (RFC 791); above 65535 no frame fits. */
	if (msg->p.u64 < 68 || msg->p.u64 > 65535) {
		vhu_log(dev, VHU_LOG_ERR, "NET_SET_MTU %llu out of range 68..65535",
			(unsigned long long)msg->p.u64);
		return -EINVAL;
	}
	if (msg->p.u64 > dev->max_mtu) {
		vhu_log(dev, VHU_LOG_ERR,
			"the frontend asked for MTU %llu; this port carries at most %u "
			"(lower the device's host_mtu, or raise the backend's limit)",
			(unsigned long long)msg->p.u64, dev->max_mtu);
		return -EINVAL;
	}
	dev->mtu = (uint16_t)msg->p.u64;
	vhu_log(dev, VHU_LOG_INFO, "MTU set to %u", dev->mtu);
	return 0;
}

static int handle_SET_STATUS(struct vhu_dev *dev, struct vhu_msg *msg)
{
	if (msg->p.u64 > 0xff) {
		vhu_log(dev, VHU_LOG_ERR, "SET_STATUS %#llx is not a status byte",
			(unsigned long long)msg->p.u64);
		return -EINVAL;
	}
	dev->status = (uint8_t)msg->p.u64;
	/* virtio 1.2 §2.1: writing 0 resets the device; a broken device
	 * comes back to life when its driver resets it. */
	if (dev->status == 0 && dev->broken && atomic_load(&dev->mem_lost)) {
		vhu_log(dev, VHU_LOG_WARN, "guest reset the device, but its memory was lost under "
			"the mapping; it stays broken until the frontend sends a new memory table");
	} else if (dev->status == 0 && dev->broken) {
		vhu_log(dev, VHU_LOG_INFO, "guest reset the device; clearing the broken state");
		dev->broken = false;
	}
	return 0;
}

static int handle_GET_STATUS(struct vhu_dev *dev, struct vhu_msg *msg)
{
	reply_u64(msg, dev->status);
	return VHU_REPLY;
}

/* ---- dispatcher ------------------------------------------------------------- */

int vhu_send_reply(struct vhu_dev *dev, struct vhu_msg *msg);

static void close_msg_fds(struct vhu_msg *msg)
{
	int i;

	for (i = 0; i < msg->nfds; i++)
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
	msg->nfds = 0;
}

/* Checks that apply to every request, before its handler. */
static int validate(struct vhu_dev *dev, const struct vhu_msg *msg, const struct vhu_req *r)
{
	uint32_t req = msg->hdr.request, size = msg->hdr.size;

	if ((msg->hdr.flags & 0x3) != VHU_VERSION) {
		vhu_log(dev, VHU_LOG_ERR, "%s: protocol version %u (want 1)", r->name,
			msg->hdr.flags & 0x3);
		return -EPROTO;
	}
	if (r->flags & F_VAR ? size > r->size : size != r->size) {
		vhu_log(dev, VHU_LOG_ERR, "%s: payload of %u bytes (want %s%u)", r->name, size,
			r->flags & F_VAR ? "at most " : "", r->size);
		return -EINVAL;
	}
	if (!(r->flags & F_FDS) && msg->nfds) {
		vhu_log(dev, VHU_LOG_ERR, "%s: %d unexpected file descriptors", r->name, msg->nfds);
		return -EINVAL;
	}
	if ((r->flags & F_PROTO) && !(dev->offered & (1ull << VHU_F_PROTOCOL_FEATURES))) {
		vhu_log(dev, VHU_LOG_ERR, "%s without protocol features", r->name);
		return -EPROTO;
	}
	if (r->flags & (F_QSTATE | F_QU64)) {
		uint32_t idx = r->flags & F_QU64 ? (uint32_t)(msg->p.u64 & VHU_VRING_IDX_MASK) :
						   msg->p.state.index;
		uint32_t max = 2 * dev->max_queue_pairs + 1;

		if (idx >= max) {
			vhu_log(dev, VHU_LOG_ERR, "%s: ring index %u (device has %u rings)", r->name,
				idx, max);
			return -ERANGE;
		}
	}
	(void)req;
	return 0;
}

int vhu_handle_msg(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint32_t req = msg->hdr.request;
	const struct vhu_req *r = req < VHU_REQ_MAX ? &requests[req] : NULL;
	bool want_ack = (msg->hdr.flags & VHU_FLAG_NEED_REPLY) &&
			(dev->protocol & (1ull << VHU_PF_REPLY_ACK));
	int rc;

	if (!r || !r->handler) {
		vhu_log(dev, VHU_LOG_ERR, "request %u (%s) is not supported; closing connection",
			req, vhu_req_name(req));
		close_msg_fds(msg);
		return -EOPNOTSUPP;
	}
	rc = validate(dev, msg, r);
	if (!rc) {
		vhu_log(dev, VHU_LOG_DEBUG, "%s size %u fds %d", r->name, msg->hdr.size, msg->nfds);
		if (r->flags & F_MODIFY)
			vhu_dev_pause(dev);
		rc = r->handler(dev, msg);
		if (r->flags & F_MODIFY)
			vhu_dev_publish(dev);
	}
	close_msg_fds(msg);

	if (rc == VHU_REPLY)
		return vhu_send_reply(dev, msg);
	if (want_ack && !(r->flags & F_REPLY)) {
		reply_u64(msg, rc ? 1 : 0);
		if (vhu_send_reply(dev, msg))
			return -EIO;
		return 0; /* the frontend was told; keep the connection */
	}
	if (rc)
		vhu_log(dev, VHU_LOG_ERR, "%s failed (%s) and no reply was asked for; closing "
			"connection", r->name, strerror(-rc));
	return rc;
}
