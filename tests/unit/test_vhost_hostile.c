// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: hostile descriptors. Chains that point outside guest
 * memory, loop, outgrow their table or mix readable and writable buffers
 * break the device without touching the used ring; too long or too many
 * segments are dropped and counted; a reset or reconnect recovers.
 */
#include <endian.h>
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

/* An indirect table of @n entries written into guest memory. */
static uint64_t table(const struct vdrv_desc *t, uint32_t n)
{
	uint64_t gpa = galloc(n * sizeof(*t));

	gcopy(gpa, (void *)t, n * sizeof(*t), true);
	return gpa;
}

/* Packed: descriptor @d made available in the first lap (wrap counter 1). */
static void setp(struct vdrv_pdesc *d, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = htole16(id);
	__atomic_store_n(&d->flags, htole16(flags | VDRV_DESC_F_AVAIL), __ATOMIC_RELEASE);
}

/* A guest violation: broken, logged, every queue stopped, bursts do nothing. */
static int expect_broken(const char *why)
{
	CHECK(vhu_dev__broken(fx.dev), "device not broken");
	CHECK(log_has(why), "no log line with \"%s\"", why);
	CHECK(!vhu_vq__ready(vq(0)) && !vhu_vq__ready(vq(1)), "a queue is still ready");
	CHECK(run_tx() == 0 && rx(1, 64, 0) == 0, "a burst ran on a broken device");
	CHECK(vhu_dev__connected(fx.dev), "connection closed");
	return 0;
}

/* Split TX: make @head available, burst: the device must break, untouched. */
static int tx_breaks(uint16_t head, const char *why)
{
	spost(dq(1), head);
	CHECK(run_tx() == 0, "a frame came out of a bad chain");
	CHECK(used_idx(dq(1)) == 0, "used ring written");
	return expect_broken(why);
}

/* ---- hostile descriptors ------------------------------------------------------- */

static void test_bad_desc_outside_memory(void)
{
	ASSERT_OK(start(F_V1, 16));
	setd(SD(dq(1), 0), 0x1000, 100, 0, 0);
	ASSERT_OK(tx_breaks(0, "outside guest memory"));
	fx_stop();
	/* RX too, and the last byte just past the region */
	ASSERT_OK(start(F_V1, 16));
	setd(SD(dq(0), 0), MEM_GPA + MEM_SIZE, 2048, VDRV_DESC_F_WRITE, 0);
	spost(dq(0), 0);
	ASSERT_EQ(rx(1, 100, 0), 0);
	ASSERT_OK(expect_broken("outside guest memory"));
}

/* A buffer whose addr + len wraps past 2^64, right after a region that ends
 * just below the top of the address space. */
static void test_bad_desc_addr_overflow(void)
{
	const uint64_t top = 0xffffffff00000000ull, size = 1 << 20;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, MEM_GPA, MEM_SIZE));
		ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, top, size));
		ASSERT_OK(start(F_V1, 16));
		if (i == 0)
			setd(SD(dq(1), 0), top + size - 16, 0xffffffff, 0, 0);
		else
			setd(SD(dq(1), 0), 0xfffffffffffffff0ull, 0x100, 0, 0);
		ASSERT_OK(tx_breaks(0, "outside guest memory"));
		fx_stop();
	}
}

/* Two regions contiguous in guest-physical space: buffers and an indirect
 * table may straddle them. */
static void test_straddle_regions(void)
{
	const uint64_t edge = MEM_GPA + MEM_SIZE;
	struct vdrv_desc t[3];
	struct vdrv_buf b[2];
	uint8_t hdr[12] = {0};
	uint32_t len;

	ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, MEM_GPA, MEM_SIZE));
	ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, edge, 1 << 20));
	ASSERT_OK(start(F_V1 | F_IND, 16));
	/* TX: header, then 300 bytes of which 100 are in the first region */
	b[0] = (struct vdrv_buf){.gpa = galloc(12), .len = 12};
	b[1] = (struct vdrv_buf){.gpa = edge - 100, .len = 300};
	ASSERT_OK(gcopy(b[0].gpa, hdr, 12, true));
	fill(frame, 300, 1);
	ASSERT_OK(gcopy(b[1].gpa, frame, 300, true));
	ASSERT_TRUE(vdrv_vq_add(dq(1), b, 2, 0, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_EQ(deq(VHU_BURST), 1);
	ASSERT_EQ(pkts[0].nsegs, 2);
	ASSERT_OK(pkt_is(&pkts[0], 300, 1));
	vhu_vq__dequeue_done(vq(1));
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	/* RX into a buffer across the edge */
	b[0] = (struct vdrv_buf){.gpa = edge - 50, .len = 400};
	ASSERT_TRUE(vdrv_vq_add(dq(0), b, 0, 1, false, NULL) >= 0);
	vdrv_vq_publish(dq(0));
	ASSERT_EQ(rx(1, 350, 2), 1);
	ASSERT_EQ(vdrv_vq_get_used(dq(0), NULL, &len), 1);
	ASSERT_EQ(len, 362);
	ASSERT_OK(gcopy(edge - 50, got, 362, false));
	fill(frame, 350, 2);
	ASSERT_TRUE(!memcmp(got + 12, frame, 350));
	/* TX through an indirect table that straddles the edge (raw: head 15) */
	setd(&t[0], galloc(12), 12, VDRV_DESC_F_NEXT, 1);
	setd(&t[1], edge + 4096, 100, VDRV_DESC_F_NEXT, 2);
	setd(&t[2], edge - 4096, 50, 0, 0);
	ASSERT_OK(gcopy(le64toh(t[0].addr), hdr, 12, true));
	fill(frame, 150, 3);
	ASSERT_OK(gcopy(edge + 4096, frame, 100, true));
	ASSERT_OK(gcopy(edge - 4096, frame + 100, 50, true));
	ASSERT_OK(gcopy(edge - 24, t, sizeof(t), true));
	setd(SD(dq(1), 15), edge - 24, sizeof(t), VDRV_DESC_F_INDIRECT, 0);
	spost(dq(1), 15);
	ASSERT_OK(tx_expect(1, 150, 3));
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
}

/*
 * Split TX hostile-chain table: on a fresh device (ring 16) a row writes raw
 * descriptors into tx0's table (q) and makes @head available; the device must
 * break without touching the used ring and log a line containing @why.
 */
#define TX_HOSTILE(name, feat, head, why, ...)       \
	static void name(void)                       \
	{                                            \
		struct vdrv_vq *q;                   \
		ASSERT_OK(start(F_V1 | (feat), 16)); \
		q = dq(1);                           \
		do {                                 \
			__VA_ARGS__                  \
		} while (0);                         \
		ASSERT_OK(tx_breaks(head, why));     \
	}

TX_HOSTILE(test_bad_desc_crosses_region_end, 0, 0, "outside guest memory",
	   setd(SD(q, 0), MEM_GPA + MEM_SIZE - 64, 128, 0, 0);)
TX_HOSTILE(test_bad_chain_self_loop, 0, 3, "a loop?",
	   setd(SD(q, 3), galloc(64), 64, VDRV_DESC_F_NEXT, 3);)
TX_HOSTILE(test_bad_chain_loop, 0, 0, "a loop?",
	   setd(SD(q, 0), galloc(64), 64, VDRV_DESC_F_NEXT, 1);
	   setd(SD(q, 1), galloc(64), 64, VDRV_DESC_F_NEXT, 0);)
/* every descriptor in one chain, the last one back to the first */
TX_HOSTILE(test_bad_chain_longer_than_ring, 0, 0, "longer than its table",
	   for (int i = 0; i < 16; i++)
		   setd(SD(q, i), galloc(64), 64, VDRV_DESC_F_NEXT, (i + 1) % 16);)
TX_HOSTILE(test_bad_next_out_of_table, 0, 0, "descriptor index 16 outside",
	   setd(SD(q, 0), galloc(64), 64, VDRV_DESC_F_NEXT, 16);)
TX_HOSTILE(test_bad_head_out_of_ring, 0, 0xffff, "descriptor index 65535 outside", (void)q;)
TX_HOSTILE(test_bad_zero_length, 0, 0, "zero-length buffer",
	   setd(SD(q, 0), galloc(64), 64, VDRV_DESC_F_NEXT, 1);
	   setd(SD(q, 1), galloc(64), 0, 0, 0);)
TX_HOSTILE(test_bad_indirect_len_not_16, F_IND, 0, "indirect table of 20 bytes",
	   setd(SD(q, 0), galloc(64), 20, VDRV_DESC_F_INDIRECT, 0);)
TX_HOSTILE(test_bad_indirect_len_zero, F_IND, 0, "indirect table of 0 bytes",
	   setd(SD(q, 0), galloc(64), 0, VDRV_DESC_F_INDIRECT, 0);)
TX_HOSTILE(test_bad_indirect_over_ring, F_IND, 0, "indirect table of 272 bytes",
	   setd(SD(q, 0), galloc(272), 272, VDRV_DESC_F_INDIRECT, 0);)
TX_HOSTILE(test_bad_indirect_nested, F_IND, 0, "indirect descriptor inside an indirect table",
	   struct vdrv_desc t[2];
	   setd(&t[0], galloc(64), 64, VDRV_DESC_F_NEXT, 1);
	   setd(&t[1], table(t, 1), 16, VDRV_DESC_F_INDIRECT, 0);
	   setd(SD(q, 0), table(t, 2), 32, VDRV_DESC_F_INDIRECT, 0);)
TX_HOSTILE(test_bad_indirect_with_next, F_IND, 0, "indirect descriptor with NEXT",
	   struct vdrv_desc t;
	   setd(&t, galloc(64), 64, 0, 0);
	   setd(SD(q, 0), table(&t, 1), 16, VDRV_DESC_F_INDIRECT | VDRV_DESC_F_NEXT, 1);
	   setd(SD(q, 1), galloc(64), 64, 0, 0);)
TX_HOSTILE(test_bad_indirect_not_negotiated, 0, 0, "without VIRTIO_RING_F_INDIRECT_DESC",
	   struct vdrv_desc t;
	   setd(&t, galloc(64), 64, 0, 0);
	   setd(SD(q, 0), table(&t, 1), 16, VDRV_DESC_F_INDIRECT, 0);)

static void test_bad_avail_idx_jump(void)
{
	struct vdrv_avail *a;

	ASSERT_OK(start(F_V1, 16));
	a = dq(1)->avail;
	__atomic_store_n(&a->idx, htole16(17), __ATOMIC_RELEASE);
	ASSERT_EQ(run_tx(), 0);
	ASSERT_OK(expect_broken("available index moved from 0 to 17"));
}

static void test_bad_rx_readable_after_writable(void)
{
	uint64_t buf;

	ASSERT_OK(start(F_V1, 16));
	buf = galloc(2048);
	setd(SD(dq(0), 0), buf, 1024, VDRV_DESC_F_WRITE | VDRV_DESC_F_NEXT, 1);
	setd(SD(dq(0), 1), buf + 1024, 1024, 0, 0);
	spost(dq(0), 0);
	ASSERT_EQ(rx(1, 100, 0), 0);
	ASSERT_EQ(used_idx(dq(0)), 0);
	ASSERT_OK(expect_broken("device-readable buffer after a writable one"));
}

/* Packed: a table of bad chains, each on a fresh device. */
static void test_bad_packed_chains(void)
{
	int c, i;

	for (c = 0; c < 6; c++) {
		struct vdrv_vq *q;
		struct vdrv_pdesc t[2];
		uint64_t buf, tbl;
		const char *why = NULL;

		ASSERT_OK(start(F_V1 | F_IND | F_PACKED, 16));
		q = dq(c == 5 ? 0 : 1);
		buf = galloc(256);
		tbl = galloc(sizeof(t));
		switch (c) {
		case 0:
			setp(PD(q, 0), 0x1000, 100, 0, 0);
			why = "outside guest memory";
			break;
		case 1:
			for (i = 15; i >= 0; i--)
				setp(PD(q, i), buf, 64, 0, VDRV_DESC_F_NEXT);
			why = "packed chain longer than the ring";
			break;
		case 2:
			setp(PD(q, 0), buf, 0, 0, 0);
			why = "zero-length buffer";
			break;
		case 3:
			setp(PD(q, 0), tbl, 24, 0, VDRV_DESC_F_INDIRECT);
			why = "indirect table of 24 bytes";
			break;
		case 4:
			memset(t, 0, sizeof(t));
			t[0].addr = htole64(buf);
			t[0].len = htole32(64);
			t[1].addr = htole64(tbl);
			t[1].len = htole32(32);
			t[1].flags = htole16(VDRV_DESC_F_INDIRECT);
			ASSERT_OK(gcopy(tbl, t, sizeof(t), true));
			setp(PD(q, 0), tbl, sizeof(t), 0, VDRV_DESC_F_INDIRECT);
			why = "indirect descriptor inside an indirect table";
			break;
		case 5:
			setp(PD(q, 1), buf, 64, 0, 0);
			setp(PD(q, 0), buf, 64, 0, VDRV_DESC_F_WRITE | VDRV_DESC_F_NEXT);
			why = "device-readable buffer after a writable one";
			break;
		}
		if (c == 5)
			ASSERT_EQ(rx(1, 100, 0), 0);
		else
			ASSERT_EQ(run_tx(), 0);
		ASSERT_OK(expect_broken(why));
		fx_stop();
	}
}

/* A TX chain of 64 buffers summing to 4 GiB + 32 bytes: the frame length
 * must not be taken modulo 2^32. */
static void test_tx_chain_over_4g(void)
{
	const uint64_t big = 0x10000000ull, seg = 0x4000000ull;
	struct vdrv_buf b[64];
	int i;

	ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, MEM_GPA, MEM_SIZE));
	ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, big, seg + 4096));
	ASSERT_OK(start(F_V1, 128));
	for (i = 0; i < 64; i++)
		b[i] = (struct vdrv_buf){.gpa = big, .len = (uint32_t)seg + (i == 63 ? 32 : 0)};
	ASSERT_TRUE(vdrv_vq_add(dq(1), b, 64, 0, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_too_big, 1);
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 1);
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
}

/* Chains with more buffers than VHU_MAX_SEGS are dropped and counted, never
 * reported as holding bytes that were not written. */
static void test_chain_too_many_segs(void)
{
	struct vdrv_buf b[80];
	uint64_t base;
	uint32_t len;
	int i;

	ASSERT_OK(start(F_V1, 128));
	for (i = 0; i < 70; i++)
		b[i] = (struct vdrv_buf){.gpa = galloc(30), .len = 30};
	ASSERT_TRUE(vdrv_vq_add(dq(1), b, 70, 0, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_too_many_segs, 1);
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 1);
	/* RX: 80 buffers of 16 bytes hold 1212 bytes, 64 of them only 1024 */
	base = galloc(80 * 16);
	for (i = 0; i < 80; i++)
		b[i] = (struct vdrv_buf){.gpa = base + 16 * i, .len = 16};
	ASSERT_TRUE(vdrv_vq_add(dq(0), b, 0, 80, false, NULL) >= 0);
	vdrv_vq_publish(dq(0));
	if (rx(1, 1200, 2) == 1) {
		ASSERT_EQ(vdrv_vq_get_used(dq(0), NULL, &len), 1);
		ASSERT_EQ(len, 1212);
		ASSERT_OK(gcopy(base, got, len, false));
		fill(frame, 1200, 2);
		ASSERT_TRUE(!memcmp(got + 12, frame, 1200));
	} else {
		ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_many_segs, 1);
		ASSERT_EQ(vdrv_vq_get_used(dq(0), NULL, &len), 1);
		ASSERT_EQ(len, 0);
	}
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 1, 2048), 1);
	ASSERT_EQ(rx(1, 100, 3), 1);
	ASSERT_OK(rx_is(0, 100, 3));
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
}

/* A broken device comes back when the guest resets it or reconnects. */
static void test_broken_recovery(void)
{
	uint64_t status = 0;

	ASSERT_OK(fx_start(&base_cfg));
	setd(SD(dq(1), 0), 0x1000, 100, 0, 0);
	ASSERT_OK(tx_breaks(0, "outside guest memory"));
	ASSERT_EQ(req_ack(VDRV_REQ_SET_STATUS, &status, sizeof(status), NULL, 0), 0);
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	ASSERT_OK(fx_reconnect(&base_cfg));
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	ASSERT_OK(usable());
}

int main(void)
{
	RUN(test_bad_desc_outside_memory);
	RUN(test_bad_desc_addr_overflow);
	RUN(test_bad_desc_crosses_region_end);
	RUN(test_straddle_regions);
	RUN(test_bad_chain_self_loop);
	RUN(test_bad_chain_loop);
	RUN(test_bad_chain_longer_than_ring);
	RUN(test_bad_next_out_of_table);
	RUN(test_bad_head_out_of_ring);
	RUN(test_bad_avail_idx_jump);
	RUN(test_bad_zero_length);
	RUN(test_bad_rx_readable_after_writable);
	RUN(test_bad_indirect_len_not_16);
	RUN(test_bad_indirect_len_zero);
	RUN(test_bad_indirect_over_ring);
	RUN(test_bad_indirect_nested);
	RUN(test_bad_indirect_with_next);
	RUN(test_bad_indirect_not_negotiated);
	RUN(test_bad_packed_chains);
	RUN(test_tx_chain_over_4g);
	RUN(test_chain_too_many_segs);
	RUN(test_broken_recovery);
	fx_free();
	TEST_EXIT();
}
