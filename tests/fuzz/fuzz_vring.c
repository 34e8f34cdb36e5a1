// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the descriptor walkers with guest memory as the input.
 * One region of guest memory (FUZZ_MEM bytes at gpa 0) holds the rings and
 * the buffers; the input is that memory's content, after a header choosing
 * the layout (split or packed, ring size, INDIRECT_DESC, MRG_RXBUF,
 * EVENT_IDX, VERSION_1, where the rings are, the base index). Then every
 * data-path entry runs on it: TX dequeue and done, RX enqueue of frames of
 * several sizes (with and without holding), drain of a disabled ring,
 * notification arming, has_work, avail_count. Whatever the memory says, no
 * access may leave guest memory (ASan: the region is an exact-size heap
 * block) and nothing may loop for long (libFuzzer's -timeout).
 *
 * The device is set up through the library's internals (as the message
 * handlers would leave it), not through messages: no syscalls per input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vhu_internal.h"

#define FUZZ_MEM (64u << 10)
#define HDR 16

static struct vhu_dev *dev;
static uint8_t *mem;
static uint8_t frame[9000];
static struct vhu_pkt pkts[VHU_BURST];
static struct vhu_seg segs[VHU_BURST * VHU_MAX_SEGS];

static void quiet_log(void *ctx, enum vhu_log_level l, const char *line)
{
	(void)ctx, (void)l, (void)line;
}

static const struct vhu_ops ops = { .log = quiet_log };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vhu_dev_cfg c = { .name = "fuzz", .path = "/nonexistent", .ops = &ops };

	(void)argc, (void)argv;
	if (vhu_dev__new(&c, &dev))
		abort();
	mem = malloc(FUZZ_MEM);
	if (!mem)
		abort();
	memset(frame, 0x5a, sizeof(frame));
	return 0;
}

/* Ring size from a byte: powers of two 1..256, and for packed any 1..300. */
static uint16_t ring_size(uint8_t b, bool packed)
{
	if (packed && (b & 0x80))
		return (uint16_t)(1 + (b & 0x7f) * 2);
	return (uint16_t)(1u << (b % 9));
}

/* A ring structure's address inside the region, from two bytes, aligned. */
static uint64_t place(const uint8_t *h, uint64_t align)
{
	uint64_t off = ((uint64_t)h[0] << 8 | h[1]) * 16;

	return off % FUZZ_MEM & ~(align - 1);
}

static void setup(const uint8_t *h, unsigned int qi, bool packed, uint64_t feats)
{
	struct vhu_vq *vq = &dev->vq[qi];

	vhu_vq_alloc(vq, ring_size(h[0], packed));
	vq->addr.desc = place(h + 1, 16);
	vq->addr.avail = place(h + 3, 4);
	vq->addr.used = place(h + 5, 4);
	vq->base_raw = (uint32_t)h[7] << 8 | h[8];
	vq->have_addr = true;
	vq->started = true;
	vq->need_init = true;
	vq->enabled = !(h[9] & 1) || qi != 1; /* tx0 sometimes disabled: drain */
	(void)feats;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t lens[] = { 0, 1, 14, 60, 1500, 4000, 9000 };
	uint64_t feats = 0;
	unsigned int i, n;
	bool packed;

	if (size < HDR * 2 + 2)
		return 0;
	packed = data[0] & 1;
	if (packed)
		feats |= 1ull << VHU_F_RING_PACKED;
	if (data[0] & 2)
		feats |= 1ull << VHU_F_INDIRECT_DESC;
	if (data[0] & 4)
		feats |= 1ull << VHU_F_MRG_RXBUF;
	if (data[0] & 8)
		feats |= 1ull << VHU_F_EVENT_IDX;
	if (data[0] & 16)
		feats |= 1ull << VHU_F_VERSION_1;
	/* what SET_FEATURES and SET_MEM_TABLE leave behind */
	dev->features = feats;
	for (i = 0; i < VHU_MAX_VQS; i++) {
		struct vhu_vq *vq = &dev->vq[i];

		vq->packed = packed;
		vq->event_idx = feats & (1ull << VHU_F_EVENT_IDX);
		vq->indirect = feats & (1ull << VHU_F_INDIRECT_DESC);
		vq->mrg_rxbuf = feats & (1ull << VHU_F_MRG_RXBUF);
		vq->hdr_len = feats & ((1ull << VHU_F_VERSION_1) | (1ull << VHU_F_MRG_RXBUF)) ? 12 : 10;
	}
	memset(mem, 0, FUZZ_MEM);
	memcpy(mem, data + 2 + 2 * HDR, size - 2 - 2 * HDR < FUZZ_MEM ? size - 2 - 2 * HDR : FUZZ_MEM);
	dev->mem.n = 1;
	dev->mem.r[0] = (struct vhu_region){ .gpa = 0, .size = FUZZ_MEM, .uva = 0, .host = mem,
					     .guard = -1 };
	dev->broken = false;
	setup(data + 2, 0, packed, feats);
	setup(data + 2 + HDR, 1, packed, feats);
	vhu_dev_publish(dev);

	/* TX: twice, as a poller does, with a drain if the ring is disabled */
	for (i = 0; i < 2; i++) {
		n = vhu_vq__dequeue_burst(&dev->vq[1], pkts, segs, data[1] | 1);
		while (n--)
			(void)pkts[n].segs[0];
		vhu_vq__dequeue_done(&dev->vq[1]);
		vhu_vq__drain(&dev->vq[1]);
	}
	/* RX: frames of every size, then the "hold" flavour */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct vhu_seg s[2] = { { frame, lens[i] / 2 }, { frame, lens[i] - lens[i] / 2 } };

		pkts[i] = (struct vhu_pkt){ .segs = s, .nsegs = 2, .len = lens[i] };
		if (i & 1)
			vhu_vq__enqueue_try(&dev->vq[0], &pkts[i], 1);
		else
			vhu_vq__enqueue_burst(&dev->vq[0], &pkts[i], 1);
	}
	vhu_vq__notify_enable(&dev->vq[1], true);
	vhu_vq__notify_enable(&dev->vq[1], false);
	vhu_vq__has_work(&dev->vq[0]);
	vhu_vq__avail_count(&dev->vq[0]);

	/* back to an unconfigured device for the next input */
	for (i = 0; i < VHU_MAX_VQS; i++)
		vhu_vq_reset(&dev->vq[i]);
	dev->mem.n = 0;
	return 0;
}
