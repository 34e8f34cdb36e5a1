// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration, the backend's side (issue 16): the dirty log.
 *
 *   log_bits_reference    vhu_log_gpa() against a bit-per-page reference on
 *                         random ranges, the log's end included
 *   rx_pages_logged       every guest page a burst of received frames
 *                         changed (buffers, headers, the used ring) has its
 *                         bit, and nothing far from them is marked
 *   tx_pages_logged       the same for transmitted chains (the used ring)
 *   packed_pages_logged   the same on a packed ring (descriptor writes)
 *   off_marks_nothing     without LOG_ALL the same traffic marks no bit
 *   log_base_refused      a log too small for the memory table, an fd that is
 *                         not shared memory, a file shorter than it claims,
 *                         no LOG_SHMFD: refused with the reason, nothing mapped
 *   log_all_before_base   LOG_ALL before SET_LOG_BASE (QEMU's order for a
 *                         device that starts mid-migration): the rings wait
 *                         for the log, then log
 *   notify_logged         the notification fields (used->flags, a packed
 *                         ring's device event) are logged, and only they
 *   log_off_and_replaced  a second log replaces the first; LOG_ALL off marks
 *                         nothing more
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vhost_fixture.h"
#include "../../vhost/vhu_internal.h"

TEST_GLOBALS("vhost");

#define P_LOG VDRV_BIT(VDRV_PROTOCOL_F_LOG_SHMFD)
#define F_LOG VDRV_BIT(VDRV_F_LOG_ALL)
#define PAGE 4096u
#define NPAGES ((MEM_GPA + MEM_SIZE) / PAGE) /* guest pages from 0 to the end */

static int log_fd = -1;
static uint8_t *log_map;
static uint8_t *snap;

static void test_log_bits_reference(void)
{
	static uint8_t bits[64];
	static bool ref[64 * 8];
	struct vhu_log l = { .bits = bits, .size = sizeof(bits) };
	uint64_t beyond = 0;
	unsigned int i, k;

	srand(7);
	for (k = 0; k < 2000; k++) {
		uint64_t gpa = (uint64_t)rand() % (600 * PAGE), len = (uint64_t)rand() % (3 * PAGE);
		uint64_t p;

		vhu_log_gpa(&l, gpa, len);
		for (p = gpa / PAGE; len && p <= (gpa + len - 1) / PAGE; p++) {
			if (p < 64 * 8)
				ref[p] = true;
			else
				beyond++;
		}
		if (k % 100 == 0) { /* the frontend takes and clears the log now and then */
			for (i = 0; i < 64 * 8; i++)
				ASSERT_EQ(!!(bits[i / 8] & (1u << (i % 8))), ref[i]);
			memset(bits, 0, sizeof(bits));
			memset(ref, 0, sizeof(ref));
		}
	}
	for (i = 0; i < 64 * 8; i++)
		ASSERT_EQ(!!(bits[i / 8] & (1u << (i % 8))), ref[i]);
	ASSERT_EQ(atomic_load(&l.beyond), beyond);
	ASSERT_TRUE(beyond > 0);
}

/* A device with LOG_SHMFD, and a memfd of two pages for the log. */
static int start_log(uint64_t want)
{
	struct fx_cfg c = base_cfg;

	c.want = want;
	c.proto = P_ACK | P_LOG;
	CHECK(!fx_start(&c), "fx_start");
	log_fd = memfd_create("log", MFD_CLOEXEC);
	CHECK(log_fd >= 0 && !ftruncate(log_fd, 2 * PAGE), "memfd");
	log_map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd, 0);
	CHECK(log_map != MAP_FAILED, "mmap");
	return 0;
}

static void stop_log(void)
{
	if (log_map && log_map != MAP_FAILED)
		munmap(log_map, 2 * PAGE);
	if (log_fd >= 0)
		close(log_fd);
	log_map = NULL;
	log_fd = -1;
}

/* SET_LOG_BASE as QEMU sends it: one fd, a reply without payload. */
static int log_base(uint64_t size, uint64_t offset)
{
	struct vhu_log_desc d = { .size = size, .offset = offset };
	uint32_t r, fl, sz = 0;
	int err = req(VDRV_REQ_SET_LOG_BASE, 0, &d, sizeof(d), &log_fd, 1);

	if (!err)
		err = vdrv_msg_recv(fx.fe, &r, &fl, NULL, &sz, 1000);
	if (err)
		return err;
	return r == VDRV_REQ_SET_LOG_BASE && sz == 0 && (fl & VDRV_MSG_REPLY) ? 0 : -EPROTO;
}

/* Logging on as QEMU turns it on: the log, LOG_ALL, then each ring's
 * address again with VHOST_VRING_F_LOG. */
static int logging_on(int nvqs)
{
	uint64_t f = fx.d.features | F_LOG;
	int i;

	CHECK(!log_base((NPAGES + 7) / 8, 0), "SET_LOG_BASE not accepted: %s", fx.log);
	CHECK(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0) == 0, "LOG_ALL refused");
	for (i = 0; i < nvqs; i++) {
		struct vdrv_vq *q = dq(i);
		struct vdrv_vring_addr a = {
			.index = (uint32_t)i, .flags = 1,
			.desc = vdrv_uva(q->mem, q->desc_gpa), .used = vdrv_uva(q->mem, q->used_gpa),
			.avail = vdrv_uva(q->mem, q->avail_gpa), .log = q->used_gpa,
		};

		CHECK(req_ack(VDRV_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) == 0,
		      "SET_VRING_ADDR with F_LOG refused");
	}
	CHECK(vhu_vq__ready(vq(0)) && vhu_vq__ready(vq(1)), "rings not ready after logging on");
	return 0;
}

static void snapshot(void)
{
	if (!snap)
		snap = malloc(MEM_SIZE);
	memcpy(snap, fx.d.mem.r[0].va, MEM_SIZE);
}

static bool logged(uint64_t page)
{
	return log_map[page / 8] & (1u << (page % 8));
}

/* Every page that changed since the snapshot is marked; marked pages are
 * changed ones or within @slack pages of one (a ring logged whole). Returns
 * how many pages changed. */
static int check_log(unsigned int slack, unsigned int *changed)
{
	const uint8_t *now = fx.d.mem.r[0].va;
	uint64_t p, first = MEM_GPA / PAGE;
	unsigned int n = 0;

	for (p = 0; p < MEM_SIZE / PAGE; p++) {
		bool ch = memcmp(now + p * PAGE, snap + p * PAGE, PAGE) != 0;

		n += ch;
		CHECK(!ch || logged(first + p), "page %#llx changed but is not in the log",
		      (unsigned long long)((first + p) * PAGE));
		if (logged(first + p) && !ch) {
			uint64_t q, lo = p > slack ? p - slack : 0, hi = p + slack;
			bool near = false;

			for (q = lo; q <= hi && q < MEM_SIZE / PAGE; q++)
				near |= memcmp(now + q * PAGE, snap + q * PAGE, PAGE) != 0;
			CHECK(near, "page %#llx logged but nothing near it changed",
			      (unsigned long long)((first + p) * PAGE));
		}
	}
	for (p = 0; p < first; p++)
		CHECK(!logged(p), "page %#llx below guest memory logged", (unsigned long long)p);
	*changed = n;
	return 0;
}

static void test_rx_pages_logged(void)
{
	unsigned int changed = 0, i;

	ASSERT_OK(start_log(F_V1 | F_MRG));
	ASSERT_OK(logging_on(2));
	ASSERT_TRUE(log_has("dirty logging on"));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	snapshot();
	ASSERT_EQ(rx(8, 1400, 11), 8);
	ASSERT_OK(check_log(2, &changed));
	ASSERT_TRUE(changed > 0);
	for (i = 0; i < 8; i++)
		ASSERT_OK(rx_is(0, 1400, 11 + i));
	stop_log();
}

static void test_tx_pages_logged(void)
{
	unsigned int changed = 0;

	ASSERT_OK(start_log(F_V1 | F_IND));
	ASSERT_OK(logging_on(2));
	ASSERT_OK(tx(300, 5, 2, false));
	ASSERT_OK(tx(700, 6, 1, true));
	snapshot();
	ASSERT_EQ(deq(8), 2);
	vhu_vq__dequeue_done(vq(1));
	ASSERT_OK(check_log(2, &changed));
	ASSERT_TRUE(changed > 0); /* the used ring */
	stop_log();
}

static void test_packed_pages_logged(void)
{
	unsigned int changed = 0, i;

	ASSERT_OK(start_log(F_V1 | F_PACKED));
	ASSERT_TRUE(vhu_vq__packed(vq(0)));
	ASSERT_OK(logging_on(2));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	snapshot();
	ASSERT_EQ(rx(4, 900, 21), 4);
	ASSERT_OK(check_log(2, &changed));
	ASSERT_TRUE(changed > 0);
	for (i = 0; i < 4; i++)
		ASSERT_OK(rx_is(0, 900, 21 + i));
	stop_log();
}

static void test_off_marks_nothing(void)
{
	unsigned int i;

	ASSERT_OK(start_log(F_V1 | F_MRG));
	/* a log, but no LOG_ALL: nothing is recorded */
	ASSERT_OK(log_base((NPAGES + 7) / 8, 0));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_EQ(rx(8, 1400, 31), 8);
	ASSERT_OK(tx(300, 5, 1, false));
	ASSERT_EQ(deq(8), 1);
	vhu_vq__dequeue_done(vq(1));
	for (i = 0; i < 2 * PAGE; i++)
		ASSERT_EQ(log_map[i], 0);
	stop_log();
}

static void test_log_base_refused(void)
{
	struct vhu_log_desc d;
	int efd, tiny;

	/* too small for the memory table */
	ASSERT_OK(start_log(F_V1));
	d = (struct vhu_log_desc){ .size = 16, .offset = 0 };
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_LOG_BASE, 0, &d, sizeof(d), &log_fd, 1),
				"the memory table reaches"));
	fx_stop();
	stop_log();
	/* not shared memory */
	ASSERT_OK(start_log(F_V1));
	efd = eventfd(0, EFD_CLOEXEC);
	d = (struct vhu_log_desc){ .size = (NPAGES + 7) / 8, .offset = 0 };
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_LOG_BASE, 0, &d, sizeof(d), &efd, 1),
				"not shared memory"));
	close(efd);
	fx_stop();
	stop_log();
	/* a memfd shorter than offset + size */
	ASSERT_OK(start_log(F_V1));
	tiny = memfd_create("tiny", MFD_CLOEXEC);
	d = (struct vhu_log_desc){ .size = (NPAGES + 7) / 8, .offset = PAGE };
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_LOG_BASE, 0, &d, sizeof(d), &tiny, 1),
				"smaller than offset+size"));
	close(tiny);
	fx_stop();
	stop_log();
	/* no fd, and LOG_SHMFD not negotiated */
	ASSERT_OK(start_log(F_V1));
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_LOG_BASE, 0, &d, sizeof(d), NULL, 0),
				"with 0 file descriptors"));
	fx_stop();
	stop_log();
	ASSERT_OK(start(F_V1, 16)); /* base_cfg: REPLY_ACK and MQ only */
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_LOG_BASE, 0, &d, sizeof(d), NULL, 0),
				"without the LOG_SHMFD protocol feature"));
}

/* QEMU's order when a device starts while the guest migrates: LOG_ALL,
 * the rings, then the log. The rings wait for the log. */
static void test_log_all_before_base(void)
{
	unsigned int changed = 0;
	uint64_t f;

	ASSERT_OK(start_log(F_V1 | F_MRG));
	f = fx.d.features | F_LOG;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0), 0);
	ASSERT_TRUE(log_has("rings held until SET_LOG_BASE"));
	ASSERT_TRUE(!vhu_vq__ready(vq(0)) && !vhu_vq__ready(vq(1)));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	ASSERT_EQ(rx(2, 500, 41), 0); /* nothing written while unlogged */
	ASSERT_OK(log_base((NPAGES + 7) / 8, 0));
	ASSERT_TRUE(vhu_vq__ready(vq(0)) && vhu_vq__ready(vq(1)));
	snapshot();
	ASSERT_EQ(rx(2, 500, 41), 2);
	ASSERT_OK(check_log(64, &changed)); /* rings not re-addressed: buffers logged */
	ASSERT_TRUE(changed > 0);
	stop_log();
}

/* used->flags (no event index) and a packed ring's device event flags: the
 * notification fields are guest memory too. */
static void test_notify_logged(void)
{
	unsigned int changed = 0;

	ASSERT_OK(start_log(F_V1));
	ASSERT_OK(logging_on(2));
	snapshot();
	vhu_vq__notify_enable(vq(1), false); /* VRING_USED_F_NO_NOTIFY */
	ASSERT_OK(check_log(0, &changed));
	ASSERT_EQ(changed, 1);
	fx_stop();
	stop_log();
	ASSERT_OK(start_log(F_V1 | F_PACKED));
	ASSERT_OK(logging_on(2));
	snapshot();
	vhu_vq__notify_enable(vq(1), false);
	ASSERT_OK(check_log(0, &changed));
	ASSERT_EQ(changed, 1);
	stop_log();
}

/* Logging off again (a cancelled migration): nothing more is marked; a new
 * log replaces the old one, which is never written again. */
static void test_log_off_and_replaced(void)
{
	uint64_t f;
	int fd2;
	uint8_t *map2;
	unsigned int i, changed = 0;

	ASSERT_OK(start_log(F_V1 | F_MRG));
	ASSERT_OK(logging_on(2));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	/* a second log: the first stays as it is */
	fd2 = log_fd;
	map2 = log_map;
	log_fd = memfd_create("log2", MFD_CLOEXEC);
	ASSERT_TRUE(log_fd >= 0 && !ftruncate(log_fd, 2 * PAGE));
	log_map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd, 0);
	ASSERT_TRUE(log_map != MAP_FAILED);
	ASSERT_OK(log_base((NPAGES + 7) / 8, 0));
	memset(map2, 0, 2 * PAGE);
	snapshot();
	ASSERT_EQ(rx(2, 1000, 51), 2);
	ASSERT_OK(check_log(2, &changed));
	for (i = 0; i < 2 * PAGE; i++)
		ASSERT_EQ(map2[i], 0);
	munmap(map2, 2 * PAGE);
	close(fd2);
	/* off */
	f = fx.d.features & ~F_LOG;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0), 0);
	ASSERT_TRUE(log_has("dirty logging off"));
	memset(log_map, 0, 2 * PAGE);
	ASSERT_EQ(rx(2, 1000, 53), 2);
	vhu_vq__notify_enable(vq(1), false);
	for (i = 0; i < 2 * PAGE; i++)
		ASSERT_EQ(log_map[i], 0);
	stop_log();
}

int main(void)
{
	RUN(test_log_bits_reference);
	RUN(test_rx_pages_logged);
	RUN(test_tx_pages_logged);
	RUN(test_packed_pages_logged);
	RUN(test_off_marks_nothing);
	RUN(test_log_base_refused);
	RUN(test_log_all_before_base);
	RUN(test_notify_logged);
	RUN(test_log_off_and_replaced);
	stop_log();
	free(snap);
	fx_free();
	TEST_EXIT();
}
