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
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "vhu_internal.h"

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int vhu_mem_map(struct vhu_mem *m, const struct vhu_mem_desc *d, const int *fds, char *err,
		size_t errlen)
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
		tmp.n = i + 1;
	}
	*m = tmp;
	return 0;
}

void vhu_mem_unmap(struct vhu_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].map_base)
			munmap(m->r[i].map_base, m->r[i].map_len);
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
