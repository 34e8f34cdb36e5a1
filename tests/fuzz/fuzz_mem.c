// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the memory table and address translation. The input
 * is a SET_MEM_TABLE payload (up to 8 region descriptors: gpa, size, uva,
 * mmap_offset) with, per region, which of two memfds (64 KiB and 1 MiB)
 * backs it, then (address, length) pairs to translate. Whatever vhu_mem_map
 * accepts must be mapped for real; every pointer vhu_mem_gpa() and
 * vhu_mem_uva() return, with the length they allow, must lie inside one
 * region's mapping, and is touched at both ends (a wrong one faults).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vhu_internal.h"

static int fds[2];
static const size_t fd_size[2] = { 64u << 10, 1u << 20 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i;

	(void)argc, (void)argv;
	for (i = 0; i < 2; i++) {
		fds[i] = memfd_create("fuzz-mem", MFD_CLOEXEC);
		if (fds[i] < 0 || ftruncate(fds[i], (off_t)fd_size[i]))
			abort();
	}
	return 0;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* @p .. @p + @len inside one region's mapping; touch both ends. */
static void check(const struct vhu_mem *m, const uint8_t *p, uint64_t len)
{
	volatile uint8_t sink;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		const uint8_t *b = m->r[i].host, *e = m->r[i].host + m->r[i].size;

		if (p >= b && p + len <= e && len <= m->r[i].size)
			break;
	}
	if (i == m->n)
		abort();
	sink = p[0];
	sink = p[len - 1];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhu_mem_desc d = { 0 };
	struct vhu_mem m;
	int rfds[VHU_MAX_REGIONS];
	char err[160];
	unsigned int i, hint = 0;

	if (size < 1)
		return 0;
	d.nregions = data[0] % (VHU_MAX_REGIONS + 1);
	data++, size--;
	for (i = 0; i < d.nregions; i++) {
		if (size < 33)
			return 0;
		d.regions[i].gpa = rd64(data);
		/* sizes mostly within the files, sometimes anything */
		d.regions[i].size = data[32] & 0x80 ? rd64(data + 8) : rd64(data + 8) % (2u << 20);
		d.regions[i].uva = rd64(data + 16);
		d.regions[i].mmap_offset = data[32] & 0x40 ? rd64(data + 24) :
							      rd64(data + 24) % (1u << 20);
		rfds[i] = fds[data[32] & 1];
		data += 33, size -= 33;
	}
	if (vhu_mem_map(&m, &d, rfds, err, sizeof(err), NULL))
		return 0;
	while (size >= 13) {
		uint64_t a = rd64(data), len = (uint64_t)data[8] | (uint64_t)data[9] << 8 |
					       (uint64_t)data[10] << 16;
		uint32_t got;
		const uint8_t *p;

		if (data[12] & 1) {
			p = vhu_mem_uva(&m, a, len);
			if (p)
				check(&m, p, len);
		} else if (len) {
			p = vhu_mem_gpa(&m, a, len, &got, &hint);
			if (p) {
				if (!got || got > len)
					abort();
				check(&m, p, got);
			}
		}
		data += 13, size -= 13;
	}
	vhu_mem_unmap(&m);
	return 0;
}
