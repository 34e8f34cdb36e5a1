// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest memory table: mapping SET_MEM_TABLE's regions and translating
 * frontend userspace addresses (ring locations) to host pointers. Guest
 * physical translation for buffers is inline in vhu_internal.h.
 *
 * Everything in a region descriptor is hostile: sizes may be zero or huge,
 * gpa + size or mmap_offset + size may overflow, regions may overlap in
 * either address space. All of that is refused before anything is mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "vhu_internal.h"

/*
 * The SIGBUS guard's registry: every guest mapping, lock-free, since the
 * signal handler reads it. A slot is claimed by a CAS on its device and
 * published by storing its start last; freed by clearing the start first.
 */
#define GUARD_SLOTS 1024

struct guard_slot {
	_Atomic(uintptr_t) start;
	size_t len;
	unsigned int region;
	struct vhu_dev *_Atomic dev;
};

static struct guard_slot guard[GUARD_SLOTS];

static int guard_add(struct vhu_dev *dev, void *base, size_t len, unsigned int region)
{
	unsigned int i;

	if (!dev)
		return -1;
	for (i = 0; i < GUARD_SLOTS; i++) {
		struct vhu_dev *none = NULL;

		if (atomic_compare_exchange_strong(&guard[i].dev, &none, dev)) {
			guard[i].len = len;
			guard[i].region = region;
			atomic_store(&guard[i].start, (uintptr_t)base);
			return (int)i;
		}
	}
	return -1; /* full: a fault in this region stays fatal */
}

static void guard_del(int i)
{
	if (i < 0)
		return;
	atomic_store(&guard[i].start, 0);
	atomic_store(&guard[i].dev, NULL);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	unsigned int i, q;

	(void)uc;
	for (i = 0; i < GUARD_SLOTS; i++) {
		uintptr_t start = atomic_load(&guard[i].start);
		struct vhu_dev *dev = atomic_load(&guard[i].dev);

		if (!start || !dev || a - start >= guard[i].len)
			continue;
		/* Anonymous zero pages where the file's pages went: the access
		 * that faulted, and any other until the region is unmapped, reads
		 * zeros and writes nowhere. mmap is a plain system call. */
		if (mmap((void *)start, guard[i].len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) ==
		    MAP_FAILED)
			break;
		for (q = 0; q < VHU_MAX_VQS; q++)
			atomic_store(&dev->vq[q].state, VHU_VQ_STOPPED);
		__atomic_store_n(&dev->broken, true, __ATOMIC_RELEASE);
		atomic_store(&dev->mem_lost, true);
		atomic_store(&dev->fault_addr, (uint64_t)a);
		atomic_store(&dev->fault_region, (int)guard[i].region + 1);
		return;
	}
	/* Not guest memory: a bug of ours. Die of it as without the guard. */
	signal(sig, SIG_DFL);
}

int vhu_mem_guard_add(struct vhu_dev *dev, void *base, size_t len, unsigned int region)
{
	return guard_add(dev, base, len, region);
}

void vhu_mem_guard_del(int slot)
{
	guard_del(slot);
}

int vhu_sigbus_guard(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int vhu_mem_map(struct vhu_mem *m, const struct vhu_mem_desc *d, const int *fds, char *err,
		size_t errlen, struct vhu_dev *dev)
{
	struct vhu_mem tmp = {};
	unsigned int i, j;
	int rc;

	if (d->nregions == 0 || d->nregions > VHU_MAX_REGIONS) {
		snprintf(err, errlen, "%u memory regions (1..%d allowed)", d->nregions,
			 VHU_MAX_REGIONS);
		return -EINVAL;
	}
	for (i = 0; i < d->nregions; i++) {
		const struct vhu_region_desc *r = &d->regions[i];
		struct stat st;

		if (r->size == 0 || r->gpa + r->size < r->gpa || r->uva + r->size < r->uva ||
		    r->mmap_offset + r->size < r->mmap_offset) {
			snprintf(err, errlen,
				 "region %u: size %#llx at gpa %#llx / offset %#llx overflows", i,
				 (unsigned long long)r->size, (unsigned long long)r->gpa,
				 (unsigned long long)r->mmap_offset);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			const struct vhu_region_desc *o = &d->regions[j];

			if (overlaps(r->gpa, r->size, o->gpa, o->size) ||
			    overlaps(r->uva, r->size, o->uva, o->size)) {
				snprintf(err, errlen, "regions %u and %u overlap", j, i);
				return -EINVAL;
			}
		}
		/* Shared memory only (memfd, tmpfs, hugetlbfs: they know seals).
		 * A file on any other filesystem could be served by the frontend
		 * itself (FUSE) and never answer: fstat(), mmap() or a page fault
		 * would then hang the thread that touches it. F_GET_SEALS asks
		 * no filesystem. */
		if (fcntl(fds[i], F_GET_SEALS) < 0) {
			snprintf(err, errlen, "region %u: the fd is not shared memory (memfd, tmpfs or "
				 "hugetlbfs): %s", i, strerror(errno));
			return -EINVAL;
		}
		/* The fd must really hold the bytes we are told to map. */
		if (fstat(fds[i], &st)) {
			snprintf(err, errlen, "region %u: fd unusable: %s", i, strerror(errno));
			return -EBADF;
		}
		if (S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size < r->mmap_offset + r->size) {
			snprintf(err, errlen,
				 "region %u: file of %lld bytes is smaller than offset+size %#llx",
				 i, (long long)st.st_size,
				 (unsigned long long)(r->mmap_offset + r->size));
			return -EINVAL;
		}
	}

	for (i = 0; i < d->nregions; i++) {
		const struct vhu_region_desc *r = &d->regions[i];
		size_t len = r->mmap_offset + r->size;
		void *p;

		/*
		 * Map from offset 0: mmap_offset need not be page aligned. A
		 * hugetlbfs fd needs a hugepage-multiple length; mmap rounds
		 * for regular files but fails with EINVAL on hugetlbfs, so
		 * retry rounded to 2 MiB, then 1 GiB.
		 */
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (p == MAP_FAILED && errno == EINVAL) {
			size_t l2 = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);

			p = mmap(NULL, l2, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
			if (p == MAP_FAILED) {
				l2 = (len + (1ul << 30) - 1) & ~(size_t)((1ul << 30) - 1);
				p = mmap(NULL, l2, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
			}
			len = l2;
		}
		if (p == MAP_FAILED) {
			rc = -errno;
			snprintf(err, errlen, "region %u: mmap of %zu bytes failed: %s", i, len,
				 strerror(-rc));
			vhu_mem_unmap(&tmp);
			return rc;
		}
		tmp.r[i].gpa = r->gpa;
		tmp.r[i].size = r->size;
		tmp.r[i].uva = r->uva;
		tmp.r[i].map_base = p;
		tmp.r[i].map_len = len;
		tmp.r[i].host = (uint8_t *)p + r->mmap_offset;
		tmp.r[i].guard = guard_add(dev, p, len, i);
		tmp.n = i + 1;
	}
	*m = tmp;
	return 0;
}

void vhu_mem_unmap(struct vhu_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		guard_del(m->r[i].guard);
		if (m->r[i].map_base)
			munmap(m->r[i].map_base, m->r[i].map_len);
	}
	memset(m, 0, sizeof(*m));
}

void *vhu_mem_uva(const struct vhu_mem *m, uint64_t uva, uint64_t len)
{
	unsigned int i;

	if (len == 0 || uva + len < uva)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct vhu_region *r = &m->r[i];

		if (uva >= r->uva && uva - r->uva <= r->size && len <= r->size - (uva - r->uva))
			return r->host + (uva - r->uva);
	}
	return NULL;
}
