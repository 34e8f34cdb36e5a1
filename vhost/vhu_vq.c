// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Virtqueue life cycle and notifications: ring translation when a queue
 * starts, the ready/drain state published to the data path, guest
 * interrupts (call eventfd) with used-ring and event-index suppression, and
 * kick suppression for polling. The burst functions are in vhu_net.c.
 *
 * Publication protocol: the control thread never changes what a burst
 * reads while a burst may run. It first stores VHU_VQ_STOPPED into every
 * queue's state, then calls ops->quiesce (the embedder waits until its
 * threads have left any vhu_vq__* call), then changes rings or memory, then
 * stores the new state with release. Data-path threads load the state with
 * acquire at the start of each burst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "vhu_internal.h"

void vhu_vq_init(struct vhu_vq *vq, struct vhu_dev *dev, unsigned int index)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->index = index;
	vq->call_fd = -1;
	vq->kick_fd = -1;
	vq->err_fd = -1;
	vq->mem = &dev->mem;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vhu_vq_set_kick(struct vhu_vq *vq, int fd)
{
	struct vhu_dev *dev = vq->dev;
	bool tell = dev->ops && dev->ops->kick_fd;

	if (vq->kick_fd >= 0) {
		if (tell)
			dev->ops->kick_fd(dev->ctx, dev, vq->index, vq->kick_fd, false);
		close(vq->kick_fd);
	}
	vq->kick_fd = fd;
	if (fd >= 0 && tell)
		dev->ops->kick_fd(dev->ctx, dev, vq->index, fd, true);
}

/* Back to the state of a new connection; keeps nothing from the old one. */
void vhu_vq_reset(struct vhu_vq *vq)
{
	struct vhu_dev *dev = vq->dev;
	unsigned int index = vq->index;

	close_fd(&vq->call_fd);
	vhu_vq_set_kick(vq, -1);
	close_fd(&vq->err_fd);
	free(vq->pending);
	free(vq->indirect_copy);
	vhu_vq_init(vq, dev, index);
}

/* Per-ring scratch sized at SET_VRING_NUM, so bursts never allocate. */
int vhu_vq_alloc(struct vhu_vq *vq, uint16_t size)
{
	struct vhu_used *pending;
	struct vring_desc *ind;

	pending = calloc(size, sizeof(*pending));
	ind = calloc(size, sizeof(*ind));
	if (!pending || !ind) {
		free(pending);
		free(ind);
		return -ENOMEM;
	}
	free(vq->pending);
	free(vq->indirect_copy);
	vq->pending = pending;
	vq->indirect_copy = ind;
	vq->npending = 0;
	vq->size = size;
	return 0;
}

static bool aligned(const void *p, uintptr_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

/*
 * Translate the ring addresses (frontend userspace addresses) for the whole
 * extent of each structure, not only its start (a ring that runs off the end
 * of a region would otherwise let the guest point us past our mapping).
 */
static int translate_rings(struct vhu_vq *vq)
{
	const struct vhu_mem *m = &vq->dev->mem;
	uint64_t n = vq->size;

	if (vq->packed) {
		vq->pdesc = vhu_mem_uva(m, vq->addr.desc, 16 * n);
		vq->driver_event = vhu_mem_uva(m, vq->addr.avail, 4);
		vq->device_event = vhu_mem_uva(m, vq->addr.used, 4);
		if (!vq->pdesc || !vq->driver_event || !vq->device_event)
			return -EFAULT;
		if (!aligned(vq->pdesc, 16) || !aligned(vq->driver_event, 4) ||
		    !aligned(vq->device_event, 4))
			return -EINVAL;
	} else {
		vq->desc = vhu_mem_uva(m, vq->addr.desc, 16 * n);
		vq->avail = vhu_mem_uva(m, vq->addr.avail, 4 + 2 * n + 2);
		vq->used = vhu_mem_uva(m, vq->addr.used, 4 + 8 * n + 2);
		if (!vq->desc || !vq->avail || !vq->used)
			return -EFAULT;
		if (!aligned(vq->desc, 16) || !aligned(vq->avail, 2) || !aligned(vq->used, 4))
			return -EINVAL;
	}
	return 0;
}

/* A ring starts at the base SET_VRING_BASE gave (virtio state of the last
 * owner). For split rings, used->idx tells what the guest has seen used. */
static int init_indices(struct vhu_vq *vq)
{
	if (vq->packed) {
		uint16_t idx = vq->base_raw & 0x7fff;

		if (idx >= vq->size) {
			vhu_log(vq->dev, VHU_LOG_ERR, "vq%u: base index %u outside a ring of %u",
				vq->index, idx, vq->size);
			return -EINVAL;
		}
		vq->last_avail = vq->last_used = idx;
		vq->avail_wrap = vq->used_wrap = (vq->base_raw >> 15) & 1;
	} else {
		vq->last_avail = (uint16_t)vq->base_raw;
		vq->last_used = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
		/* Chains taken but never completed by a previous owner (one that
		 * crashed) are taken again: resume from what the guest saw used. */
		if (vq->last_used != vq->last_avail) {
			vhu_log(vq->dev, VHU_LOG_INFO,
				"vq%u: base %u but used index %u; resuming at %u", vq->index,
				vq->last_avail, vq->last_used, vq->last_used);
			vq->last_avail = vq->last_used;
		}
	}
	vq->signalled_valid = false;
	vq->npending = 0;
	vq->need_init = false;
	return 0;
}

/* Recompute the state from control-path facts; publish it; tell the embedder. */
int vhu_vq_update_ready(struct vhu_vq *vq)
{
	struct vhu_dev *dev = vq->dev;
	int state = VHU_VQ_STOPPED, err = 0;
	bool ready;

	if (vq->started && vq->have_addr && vq->size && dev->mem.n &&
	    !__atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE)) {
		/* SET_VRING_NUM checked the size against the layout of the
		 * time; SET_FEATURES may have switched packed -> split since. */
		if (!vq->packed && (vq->size & (vq->size - 1))) {
			err = -EINVAL;
			vhu_log(dev, VHU_LOG_ERR, "vq%u: a split ring of %u entries (not a power of "
				"two: RING_PACKED was dropped after SET_VRING_NUM); queue stays "
				"stopped", vq->index, vq->size);
		} else if ((err = translate_rings(vq))) {
			vhu_log(dev, VHU_LOG_ERR,
				"vq%u: ring addresses (desc %#llx avail %#llx used %#llx, size %u) "
				"are %s; queue stays stopped",
				vq->index, (unsigned long long)vq->addr.desc,
				(unsigned long long)vq->addr.avail,
				(unsigned long long)vq->addr.used, vq->size,
				err == -EFAULT ? "outside guest memory" : "misaligned");
		} else if (vq->need_init && init_indices(vq)) {
			err = -EINVAL;
		} else if ((dev->features & (1ull << VHU_F_LOG_ALL)) && !dev->log.bits) {
			/* migrating, but no log yet: nothing may be written unlogged */
		} else {
			state = vq->enabled ? VHU_VQ_READY : VHU_VQ_DRAIN;
		}
	}
	/* Before the state that lets the data path in (the store releases it). */
	if (state != VHU_VQ_STOPPED)
		vhu_vq_log_setup(vq);
	atomic_store_explicit(&vq->state, state, memory_order_release);
	/* A SIGBUS or a broken ring on another thread while we published. */
	if (state != VHU_VQ_STOPPED && __atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE)) {
		state = VHU_VQ_STOPPED;
		atomic_store_explicit(&vq->state, state, memory_order_release);
	}
	ready = state == VHU_VQ_READY;
	if (ready != vq->announced) {
		vq->announced = ready;
		if (dev->ops && dev->ops->queue_state)
			dev->ops->queue_state(dev->ctx, dev, vq->index, ready);
	}
	return err;
}

void vhu_dev_pause(struct vhu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VHU_MAX_VQS; i++)
		atomic_store_explicit(&dev->vq[i].state, VHU_VQ_STOPPED, memory_order_release);
	/*
	 * Store-load: the embedder's quiesce now reads its threads' progress
	 * (an epoch, a sleeping flag). Without a full fence our stores can sit
	 * in the store buffer past those loads (x86 allows exactly this), so a
	 * thread could pass its quiescent point, still read READY and start a
	 * burst on memory we are about to unmap. The data path's side of the
	 * handshake is a seq_cst read-modify-write before its state load.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (dev->ops && dev->ops->quiesce)
		dev->ops->quiesce(dev->ctx, dev);
}

void vhu_dev_publish(struct vhu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VHU_MAX_VQS; i++)
		vhu_vq_update_ready(&dev->vq[i]);
}

/* ---- data-path helpers --------------------------------------------------- */

struct vhu_vq *vhu_dev__vq(struct vhu_dev *dev, unsigned int idx)
{
	return idx < VHU_MAX_VQS ? &dev->vq[idx] : NULL;
}

bool vhu_vq__ready(const struct vhu_vq *vq)
{
	return atomic_load_explicit(&vq->state, memory_order_acquire) == VHU_VQ_READY;
}

bool vhu_vq__started(const struct vhu_vq *vq)
{
	return atomic_load_explicit(&vq->state, memory_order_acquire) != VHU_VQ_STOPPED;
}

int vhu_vq__kick_fd(const struct vhu_vq *vq)
{
	return vq->kick_fd;
}

unsigned int vhu_vq__index(const struct vhu_vq *vq)
{
	return vq->index;
}

uint16_t vhu_vq__size(const struct vhu_vq *vq)
{
	return vq->size;
}

unsigned int vhu_vq__offloads(const struct vhu_vq *vq)
{
	return vq->offloads;
}

bool vhu_vq__packed(const struct vhu_vq *vq)
{
	return vq->packed;
}

const struct vhu_vq_stats *vhu_vq__stats(const struct vhu_vq *vq)
{
	return &vq->stats;
}

bool vhu_vq__has_work(const struct vhu_vq *vq)
{
	if (atomic_load_explicit(&vq->state, memory_order_acquire) == VHU_VQ_STOPPED)
		return false;
	if (vq->packed) {
		/* virtio 1.2 §2.8.1: available when AVAIL == wrap and USED != wrap */
		uint16_t f = le16toh(__atomic_load_n(&vq->pdesc[vq->last_avail].flags,
						     __ATOMIC_ACQUIRE));
		bool a = f & (1 << VRING_PACKED_DESC_F_AVAIL);
		bool u = f & (1 << VRING_PACKED_DESC_F_USED);

		return a == vq->avail_wrap && u != vq->avail_wrap;
	}
	return le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE)) != vq->last_avail;
}

unsigned int vhu_vq__avail_count(const struct vhu_vq *vq)
{
	uint16_t n;

	if (atomic_load_explicit(&vq->state, memory_order_acquire) == VHU_VQ_STOPPED)
		return 0;
	if (vq->packed) /* counting would walk the ring: one burst or none */
		return vhu_vq__has_work(vq) ? VHU_BURST : 0;
	n = (uint16_t)(le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE)) - vq->last_avail);
	return n > vq->size ? 0 : n; /* a bogus index is the data path's to report */
}

bool vhu_vq__notify_enable(struct vhu_vq *vq, bool on)
{
	if (atomic_load_explicit(&vq->state, memory_order_acquire) == VHU_VQ_STOPPED)
		return false;
	if (vq->packed) {
		uint16_t f = on ? VRING_PACKED_EVENT_FLAG_ENABLE : VRING_PACKED_EVENT_FLAG_DISABLE;

		__atomic_store_n(&vq->device_event->flags, htole16(f), __ATOMIC_RELAXED);
		if (unlikely(vq->log_ring))
			vhu_log_gpa(vq->log, vq->log_evt_gpa, 4);
	} else if (vq->event_idx) {
		/* avail_event lives after the used ring (virtio 1.2 §2.7.10). With
		 * event index, "off" is simply not moving it forward. */
		if (on) {
			__atomic_store_n((uint16_t *)&vq->used->ring[vq->size],
					 htole16(vq->last_avail), __ATOMIC_RELAXED);
			if (unlikely(vq->log_ring)) /* avail_event, after the ring */
				vhu_log_gpa(vq->log, vq->log_ring_gpa + 4 + 8ull * vq->size, 2);
		}
	} else {
		__atomic_store_n(&vq->used->flags, htole16(on ? 0 : VRING_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
		if (unlikely(vq->log_ring)) /* used->flags */
			vhu_log_gpa(vq->log, vq->log_ring_gpa, 2);
	}
	if (!on)
		return false;
	/* Our store must be visible before we re-read the ring: the guest
	 * publishes then reads our suppression flag; without a full fence
	 * both sides could miss each other and the queue would stall. */
	atomic_thread_fence(memory_order_seq_cst);
	return vhu_vq__has_work(vq);
}

/* virtio 1.2 §2.7.10: interrupt only when the guest asked for it. */
void vhu_vq_signal(struct vhu_vq *vq)
{
	bool kick;

	/* Order our used-ring writes before reading the guest's suppression. */
	atomic_thread_fence(memory_order_seq_cst);
	if (vq->packed) {
		uint16_t flags = le16toh(__atomic_load_n(&vq->driver_event->flags,
							 __ATOMIC_ACQUIRE));
		uint16_t old = vq->signalled_used, new = vq->last_used;
		bool valid = vq->signalled_valid;

		vq->signalled_used = new;
		vq->signalled_valid = true;
		if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx) {
			kick = flags != VRING_PACKED_EVENT_FLAG_DISABLE;
		} else if (!valid) {
			kick = true;
		} else {
			uint16_t off_wrap = le16toh(__atomic_load_n(&vq->driver_event->off_wrap,
								    __ATOMIC_ACQUIRE));
			uint16_t off = off_wrap & 0x7fff;
			int o = old, nw = new, ev = off;

			/* Indices are < size; unwrap them onto one line before
			 * the event-index comparison. */
			if (nw <= o)
				o -= vq->size;
			if ((off_wrap >> VRING_PACKED_EVENT_F_WRAP_CTR) != vq->used_wrap)
				ev -= vq->size;
			kick = vring_need_event((uint16_t)ev, (uint16_t)nw, (uint16_t)o);
		}
	} else if (vq->event_idx) {
		uint16_t old = vq->signalled_used, new = vq->last_used;
		uint16_t ev = le16toh(__atomic_load_n(&vq->avail->ring[vq->size],
						      __ATOMIC_ACQUIRE));
		bool valid = vq->signalled_valid;

		vq->signalled_used = new;
		vq->signalled_valid = true;
		kick = !valid || vring_need_event(ev, new, old);
	} else {
		kick = !(le16toh(__atomic_load_n(&vq->avail->flags, __ATOMIC_ACQUIRE)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (kick && vq->call_fd >= 0) {
		/* Non-blocking since SET_VRING_CALL, but the frontend shares the
		 * open file and can clear O_NONBLOCK again: a write into a full
		 * counter then blocks until the embedder's watchdog interrupts
		 * it with a signal (EINTR). That guest loses its port. */
		if (eventfd_write(vq->call_fd, 1) && errno == EINTR)
			vhu_vq_broken(vq, "its call eventfd blocked (the frontend cleared "
					  "O_NONBLOCK and filled the counter)");
		vq->stats.calls++;
	} else {
		vq->stats.calls_suppressed++;
	}
}
