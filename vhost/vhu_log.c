// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dirty log of a live migration (vhu_internal.h, "dirty log"): mapping
 * the log SET_LOG_BASE hands over, and marking what the data path wrote.
 *
 * The log is hostile input like guest memory: it must be shared memory (a
 * FUSE file could hang the poller that touches it), hold the bytes it
 * claims, be no larger than VHU_LOG_MAX, cover the whole memory table, and
 * a frontend that shrinks it under the mapping breaks its own device (the
 * SIGBUS guard), never the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "vhu_internal.h"

uint64_t vhu_log_needed(const struct vhu_mem *m)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].gpa + m->r[i].size > end)
			end = m->r[i].gpa + m->r[i].size;
	end = (end + (1ull << VHU_LOG_PAGE_SHIFT) - 1) >> VHU_LOG_PAGE_SHIFT; /* pages */
	return (end + 7) / 8;
}

int vhu_log_map(struct vhu_dev *dev, const struct vhu_log_desc *d, int fd, char *err,
		size_t errlen)
{
	uint64_t need = vhu_log_needed(&dev->mem);
	struct stat st;
	size_t len;
	void *p;

	if (d->size == 0 || d->size > VHU_LOG_MAX || d->offset > VHU_LOG_MAX) {
		snprintf(err, errlen, "log of %#llx bytes at offset %#llx (1..%#llx each)",
			 (unsigned long long)d->size, (unsigned long long)d->offset,
			 (unsigned long long)VHU_LOG_MAX);
		return -EINVAL;
	}
	if (d->size < need) {
		snprintf(err, errlen, "log of %llu bytes covers %llu MiB of guest memory; the "
			 "memory table reaches %llu MiB",
			 (unsigned long long)d->size,
			 (unsigned long long)(d->size * 8 << VHU_LOG_PAGE_SHIFT >> 20),
			 (unsigned long long)(need * 8 << VHU_LOG_PAGE_SHIFT >> 20));
		return -EINVAL;
	}
	if (fcntl(fd, F_GET_SEALS) < 0) {
		snprintf(err, errlen, "the log's fd is not shared memory (memfd, tmpfs or "
			 "hugetlbfs): %s", strerror(errno));
		return -EINVAL;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "the log's fd is unusable: %s", strerror(errno));
		return -EBADF;
	}
	len = (size_t)(d->offset + d->size);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < len) {
		snprintf(err, errlen, "the log's file of %lld bytes is smaller than offset+size "
			 "%zu", (long long)st.st_size, len);
		return -EINVAL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int rc = -errno;

		snprintf(err, errlen, "cannot map the log (%zu bytes): %s", len, strerror(-rc));
		return rc;
	}
	/* The data path is paused: the old log can go. */
	vhu_log_unmap(&dev->log);
	dev->log.map_base = p;
	dev->log.map_len = len;
	dev->log.bits = (uint8_t *)p + d->offset;
	dev->log.size = d->size;
	dev->log.guard = vhu_mem_guard_add(dev, p, len, VHU_MAX_REGIONS);
	return 0;
}

void vhu_log_unmap(struct vhu_log *l)
{
	if (l->map_base) {
		vhu_mem_guard_del(l->guard);
		munmap(l->map_base, l->map_len);
	}
	l->bits = NULL;
	l->map_base = NULL;
	l->map_len = 0;
	l->size = 0;
	l->guard = -1;
}

bool vhu_mem_host_gpa(const struct vhu_mem *m, const void *p, uint64_t *gpa)
{
	uintptr_t a = (uintptr_t)p;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		uintptr_t h = (uintptr_t)m->r[i].host;

		if (a - h < m->r[i].size) {
			*gpa = m->r[i].gpa + (a - h);
			return true;
		}
	}
	return false;
}

void vhu_log_host(struct vhu_vq *vq, const void *p, uint64_t len)
{
	uint64_t gpa;

	/* Buffers and rings were translated region by region: a piece never
	 * straddles two. */
	if (vq->log && vhu_mem_host_gpa(vq->mem, p, &gpa))
		vhu_log_gpa(vq->log, gpa, len);
}

void vhu_vq_log_setup(struct vhu_vq *vq)
{
	struct vhu_dev *dev = vq->dev;
	const struct vhu_mem *m = &dev->mem;

	vq->log = NULL;
	vq->log_ring = false;
	if (!(dev->features & (1ull << VHU_F_LOG_ALL)) || !dev->log.bits)
		return;
	vq->log = &dev->log;
	/* VHOST_VRING_F_LOG: the ring's own writes too, at the guest-physical
	 * addresses of what we write (for a split ring the used ring, whose
	 * address the frontend also gives as log_guest_addr). */
	if (!(vq->addr.flags & 1) || !vq->have_addr)
		return;
	if (vq->packed)
		vq->log_ring = vq->pdesc && vq->device_event &&
			       vhu_mem_host_gpa(m, vq->pdesc, &vq->log_ring_gpa) &&
			       vhu_mem_host_gpa(m, vq->device_event, &vq->log_evt_gpa);
	else
		vq->log_ring = vq->used && vhu_mem_host_gpa(m, vq->used, &vq->log_ring_gpa);
}
