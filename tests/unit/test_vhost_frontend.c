// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: a hostile frontend (QEMU compromised, or any local
 * process on the socket). Each case is an input that used to stall, crash
 * or starve the backend (issue 14) and must now cost at most the port:
 * blocking or non-eventfd ring fds, kick fds left in the embedder's epoll
 * set, a connect() that waits for a frontend that never accepts, messages
 * trickled a byte at a time, replies never read, guest memory truncated
 * under the mapping, TX chains lost when a message pauses the device mid
 * burst, chains that make a burst walk millions of descriptors, unaligned
 * indirect tables, a split ring whose size is no power of two, SEND_RARP
 * floods and error-log floods.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "vhost_fixture.h"
#include "vhu_internal.h"

TEST_GLOBALS("vhost");

static unsigned int log_count(const char *s)
{
	unsigned int n = 0;
	const char *p;

	pthread_mutex_lock(&fx.lock);
	for (p = fx.log; (p = strstr(p, s)); p++)
		n++;
	pthread_mutex_unlock(&fx.lock);
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- ring fds -------------------------------------------------------------- */

/* A blocking eventfd whose counter is one short of the maximum as tx0's
 * call fd: a write would block for good. It is made non-blocking on
 * arrival, and a frame's interrupt costs nothing. */
static void test_fe_call_fd_blocking(void)
{
	uint64_t idx = 1;
	int efd;

	ASSERT_OK(start(F_V1, 16));
	efd = eventfd(0, EFD_CLOEXEC); /* blocking */
	ASSERT_TRUE(efd >= 0);
	ASSERT_OK(eventfd_write(efd, 0xfffffffffffffffeull));
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_CALL, &idx, 8, &efd, 1), 0);
	/* the same open file: our flags are the backend's */
	ASSERT_TRUE(fcntl(efd, F_GETFL) & O_NONBLOCK);
	alarm(10); /* a regression blocks in write(): die rather than hang */
	ASSERT_OK(tx(100, 1, 1, false));
	ASSERT_OK(tx_expect(1, 100, 1));
	vhu_vq__dequeue_done(vq(1));
	alarm(0);
	ASSERT_EQ(used_idx(dq(1)), 1);
	close(efd);
}

/* A pipe, a regular file or a semaphore-mode eventfd as a ring fd: refused. */
static void test_fe_ring_fd_not_eventfd(void)
{
	uint64_t idx = 1;
	int p[2], sem;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_KICK, &idx, 8, &p[0], 1) > 0);
	ASSERT_TRUE(log_has("SET_VRING_KICK: the file descriptor is pipe:"));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_CALL, &idx, 8, &p[1], 1) > 0);
	sem = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_KICK, &idx, 8, &sem, 1) > 0);
	ASSERT_TRUE(log_has("semaphore-mode eventfd"));
	ASSERT_OK(usable());
	close(p[0]);
	close(p[1]);
	close(sem);
}

/* The embedder hears of every kick fd that comes and goes, before it is
 * closed: GET_VRING_BASE, a new SET_VRING_KICK on a running ring, the
 * connection's end. */
static void test_fe_kick_fd_lifecycle(void)
{
	struct vdrv_vring_state st = {.index = 1};
	uint64_t idx = 1;
	char want[64];
	int kfd, efd, ours;

	ASSERT_OK(start(F_V1, 16));
	kfd = vhu_vq__kick_fd(vq(1));
	snprintf(want, sizeof(want), "+1:%d ", kfd);
	ASSERT_TRUE(strstr(fx.kicks, want) != NULL);
	/* a new kick fd on the running ring: the old one out, the new one in */
	fx.kicks[0] = 0;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_KICK, &idx, 8, &efd, 1), 0);
	ours = vhu_vq__kick_fd(vq(1));
	snprintf(want, sizeof(want), "-1:%d +1:%d ", kfd, ours);
	ASSERT_TRUE(!strcmp(fx.kicks, want));
	/* the ring stops: its kick fd goes */
	fx.kicks[0] = 0;
	ASSERT_OK(req_get(VDRV_REQ_GET_VRING_BASE, &st, sizeof(st), &st, sizeof(st)));
	snprintf(want, sizeof(want), "-1:%d ", ours);
	ASSERT_TRUE(!strcmp(fx.kicks, want));
	ASSERT_EQ(vhu_vq__kick_fd(vq(1)), -1);
	/* the connection ends: every remaining kick fd goes */
	fx.kicks[0] = 0;
	vhu_dev__disconnect(fx.dev);
	ASSERT_TRUE(strstr(fx.kicks, "-0:") != NULL);
	ASSERT_TRUE(strstr(fx.kicks, "+") == NULL);
	close(efd);
}

/* ---- the socket -------------------------------------------------------------- */

/* A frontend whose listen backlog is full and that never accepts: one
 * connect attempt returns at once (-EAGAIN), it does not wait. */
static void test_fe_connect_backlog_full(void)
{
	struct vhu_dev_cfg dc = {.name = "cl", .path = "/tmp/xvio-test-backlog.sock", .client = true};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vhu_dev *dev;
	int l, c[4], i, n = 0, rc;
	double t0;

	strcpy(sa.sun_path, dc.path);
	unlink(dc.path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(l >= 0);
	ASSERT_OK(bind(l, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_OK(listen(l, 0));
	/* fill the backlog without blocking ourselves */
	for (i = 0; i < 4; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (!connect(c[i], (struct sockaddr *)&sa, sizeof(sa)))
			n++;
	}
	ASSERT_TRUE(n >= 1 && n < 4);
	ASSERT_OK(vhu_dev__new(&dc, &dev));
	alarm(10);
	t0 = now_s();
	rc = vhu_dev__connect(dev);
	alarm(0);
	ASSERT_EQ(rc, -EAGAIN);
	ASSERT_TRUE(now_s() - t0 < 0.5);
	ASSERT_TRUE(!vhu_dev__connected(dev));
	vhu_dev__free(dev);
	for (i = 0; i < 4; i++)
		close(c[i]);
	close(l);
	unlink(dc.path);
}

/* A message sent a byte at a time: every dispatch returns at once, the
 * message is handled when whole. (The backend used to wait up to 1 s per
 * byte inside one dispatch, holding its control thread.) */
static void test_fe_trickle(void)
{
	uint8_t m[12 + 8];
	uint32_t h[3] = {VDRV_REQ_SET_FEATURES, VDRV_MSG_VERSION | VDRV_MSG_NEED_REPLY, 8};
	uint64_t f = VDRV_BIT(VDRV_F_VERSION_1) | VDRV_BIT(VDRV_F_PROTOCOL_FEATURES), v;
	uint32_t r, fl, sz = 8;
	unsigned int i;
	double t0 = now_s();

	ASSERT_OK(start(F_V1, 16));
	memcpy(m, h, 12);
	memcpy(m + 12, &f, 8);
	for (i = 0; i < sizeof(m); i++) {
		ASSERT_EQ(write(fx.fe, m + i, 1), 1);
		ASSERT_EQ(vhu_dev__dispatch(fx.dev), 0);
		ASSERT_TRUE(vhu_dev__connected(fx.dev));
	}
	ASSERT_TRUE(now_s() - t0 < 1.0);
	ASSERT_OK(vdrv_msg_recv(fx.fe, &r, &fl, &v, &sz, 1000));
	ASSERT_EQ(r, VDRV_REQ_SET_FEATURES);
	ASSERT_EQ(v, 0);
	ASSERT_OK(usable());
}

/* A frontend that never reads its replies: once its socket is full the
 * connection is closed, at once, never waited on. */
static void test_fe_replies_not_read(void)
{
	int sz = 4096, i, rc = 0;
	double t0;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_OK(setsockopt(fx.fe, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)));
	t0 = now_s();
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = req(VDRV_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0);
	ASSERT_TRUE(rc < 0);
	ASSERT_TRUE(!vhu_dev__connected(fx.dev));
	ASSERT_TRUE(log_has("the frontend does not read its replies"));
	ASSERT_TRUE(now_s() - t0 < 5.0);
}

/* ---- guest memory -------------------------------------------------------------- */

/* The frontend truncates the memfd behind guest memory after SET_MEM_TABLE:
 * the next burst faults (SIGBUS). With the guard the device is broken and
 * logged, the process lives. */
static void test_fe_memory_truncated(void)
{
	uint64_t status;

	ASSERT_OK(vhu_sigbus_guard());
	ASSERT_OK(start(F_V1, 16));
	ASSERT_OK(tx(100, 5, 1, false));	/* a frame waits in the ring */
	ASSERT_OK(ftruncate(fx.d.mem.r[0].fd, 0));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_TRUE(vhu_dev__broken(fx.dev));
	ASSERT_TRUE(!vhu_vq__ready(vq(1)));
	vhu_dev__tick(fx.dev);
	ASSERT_TRUE(log_has("guest memory region 0 shrank under its mapping"));
	/* bursts on the broken device do nothing, and touch nothing */
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(rx(1, 64, 0), 0);
	/* a reset does not bring back memory that is gone */
	status = 0;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_STATUS, &status, sizeof(status), NULL, 0), 0);
	ASSERT_TRUE(vhu_dev__broken(fx.dev));
	ASSERT_TRUE(log_has("it stays broken until the frontend sends a new memory table"));
	/* The guest's own mapping is gone too: forget it without touching it. */
	vhu_dev__disconnect(fx.dev);
}

/* Guest memory must be shared memory (memfd, tmpfs, hugetlbfs): a file on
 * another filesystem could be the frontend's own FUSE mount, whose fstat,
 * mmap or page faults it may never answer. Refused before anything touches
 * it. */
static void test_fe_memory_not_shm(void)
{
	struct vdrv_mem_table t = {.nregions = 1};
	char path[] = "/var/tmp/xvio-fe-XXXXXX";
	int fd;

	ASSERT_OK(start(F_V1, 16));
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	unlink(path);
	if (fcntl(fd, F_GET_SEALS) >= 0) {
		close(fd);
		TEST_SKIP("/var/tmp is shared memory here (tmpfs): no plain file to offer");
	}
	ASSERT_OK(ftruncate(fd, 1 << 20));
	t.r[0].gpa = 0x10000000;
	t.r[0].size = 1 << 20;
	t.r[0].uva = 0x7f0000000000;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_MEM_TABLE, &t, 8 + sizeof(t.r[0]), &fd, 1) > 0);
	ASSERT_TRUE(log_has("the fd is not shared memory (memfd, tmpfs or hugetlbfs)"));
	ASSERT_OK(usable());
	close(fd);
}

/* ---- the data path ------------------------------------------------------------- */

/* The poller finishes the burst it is in while the control thread waits
 * for it (ops->quiesce): what it took must be returned to the guest, or
 * the guest's TX ring fills for good. */
static void finish_burst(void)
{
	vhu_vq__dequeue_done(vq(1));
}

static void test_fe_pause_returns_chains(void)
{
	uint64_t idx = 1 | VDRV_VRING_NOFD;
	int k;

	ASSERT_OK(start(F_V1, 16));
	for (k = 0; k < 4; k++)
		ASSERT_OK(tx(80, (uint32_t)k, 1, false));
	ASSERT_EQ(deq(VHU_BURST), 4);
	fx.on_quiesce = finish_burst;
	/* any message that pauses the device, e.g. SET_VRING_CALL */
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_CALL, &idx, 8, NULL, 0), 0);
	fx.on_quiesce = NULL;
	ASSERT_EQ(used_idx(dq(1)), 4);
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 4);
	ASSERT_OK(usable());
}

/* A chain of 100 descriptors whose 80th points outside guest memory: past
 * VHU_MAX_SEGS the walk stops (the frame could not be carried anyway), so
 * it is a counted drop, not a walk of the whole table. Likewise an indirect
 * table of 200 entries is neither copied nor walked, and a packed chain is
 * only counted past the limit. */
static void test_fe_chain_walk_bounded(void)
{
	static struct vdrv_desc t[200];
	struct vdrv_pdesc *pd;
	uint64_t buf, tbl;
	int i;

	ASSERT_OK(start(F_V1 | F_IND, 256));
	buf = galloc(64);
	for (i = 0; i < 100; i++)
		setd(SD(dq(1), 100 + i), i == 80 ? 0x1000 : buf, 64,
		     i < 99 ? VDRV_DESC_F_NEXT : 0, (uint16_t)(101 + i));
	spost(dq(1), 100);
	ASSERT_EQ(run_tx(), 0);
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_too_many_segs, 1);
	ASSERT_EQ(used_idx(dq(1)), 1);
	for (i = 0; i < 200; i++)
		setd(&t[i], i == 150 ? 0x1000 : buf, 64, 0, 0);
	tbl = galloc(200 * 16);
	ASSERT_OK(gcopy(tbl, t, 200 * 16, true));
	setd(SD(dq(1), 0), tbl, 200 * 16, VDRV_DESC_F_INDIRECT, 0);
	spost(dq(1), 0);
	ASSERT_EQ(run_tx(), 0);
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_too_many_segs, 2);
	ASSERT_EQ(used_idx(dq(1)), 2);
	fx_stop();

	/* packed: 100 slots, the 80th outside memory */
	ASSERT_OK(start(F_V1 | F_IND | F_PACKED, 256));
	buf = galloc(64);
	for (i = 99; i >= 0; i--) {
		pd = PD(dq(1), i);
		pd->addr = htole64(i == 80 ? 0x1000 : buf);
		pd->len = htole32(64);
		pd->id = htole16(7);
		__atomic_store_n(&pd->flags,
				 htole16((i < 99 ? VDRV_DESC_F_NEXT : 0) | VDRV_DESC_F_AVAIL),
				 __ATOMIC_RELEASE);
	}
	ASSERT_EQ(run_tx(), 0);
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_too_many_segs, 1);
}

/* An indirect table at an address that is not 16-byte aligned: read from
 * an aligned copy (our 64-bit loads of it must be aligned), delivered. */
static void test_fe_indirect_unaligned(void)
{
	struct vdrv_desc t[2];
	uint64_t tbl, b0, b1;
	uint8_t hdr[12] = {0};

	ASSERT_OK(start(F_V1 | F_IND, 16));
	b0 = galloc(64);
	b1 = galloc(256);
	fill(frame, 200, 9);
	ASSERT_OK(gcopy(b0, hdr, 12, true));
	ASSERT_OK(gcopy(b1, frame, 200, true));
	setd(&t[0], b0, 12, VDRV_DESC_F_NEXT, 1);
	setd(&t[1], b1, 200, 0, 0);
	tbl = galloc(64) + 4;
	ASSERT_OK(gcopy(tbl, t, sizeof(t), true));
	setd(SD(dq(1), 0), tbl, sizeof(t), VDRV_DESC_F_INDIRECT, 0);
	spost(dq(1), 0);
	ASSERT_OK(tx_expect(1, 200, 9));
	vhu_vq__dequeue_done(vq(1));
	ASSERT_TRUE(!vhu_dev__broken(fx.dev));
}

/* SET_VRING_NUM 100 with RING_PACKED, then stop, switch to split and start
 * again: a split ring of 100 entries would index with mask 99. It stays
 * stopped, said once. */
static void test_fe_split_size_not_pow2(void)
{
	struct vdrv_vring_state st;
	uint64_t f = F_V1 | VDRV_BIT(VDRV_F_PROTOCOL_FEATURES), idx;
	int i;

	ASSERT_OK(start(F_V1 | F_PACKED, 100));
	for (i = 0; i < 2; i++) {
		st = (struct vdrv_vring_state){.index = (uint32_t)i};
		ASSERT_OK(req_get(VDRV_REQ_GET_VRING_BASE, &st, sizeof(st), &st, sizeof(st)));
	}
	ASSERT_EQ(req_ack(VDRV_REQ_SET_FEATURES, &f, 8, NULL, 0), 0);
	for (i = 0; i < 2; i++) {
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		st = (struct vdrv_vring_state){.index = (uint32_t)i, .num = 0};
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_BASE, &st, sizeof(st), NULL, 0), 0);
		idx = (uint64_t)i;
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_KICK, &idx, 8, &efd, 1), 0);
		close(efd);
	}
	ASSERT_TRUE(!vhu_vq__ready(vq(0)) && !vhu_vq__ready(vq(1)));
	ASSERT_TRUE(log_has("a split ring of 100 entries (not a power of two"));
}

/*
 * The pause handshake as a litmus test: a "poller" bumps an epoch (seq_cst)
 * and then reads tx0's state; the control side pauses (vhu_dev_pause: stop
 * stores, then quiesce waits for the epoch to move) and then "unmaps". A
 * poller that read READY after the control side saw it move on would burst
 * on unmapped memory. Without the fence in vhu_dev_pause the stop stores may
 * still sit in the store buffer while the epoch is read (x86 reorders
 * exactly this), and this test catches it within a few hundred thousand
 * rounds on a 2-CPU VM.
 */
static _Atomic unsigned long epoch;
static _Atomic int unmapped, litmus_stop;
static _Atomic unsigned long violations;

static void *litmus_poller(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&litmus_stop, memory_order_relaxed)) {
		atomic_fetch_add(&epoch, 1); /* quiescent point */
		if (vhu_vq__ready(vq(1))) {
			/* a burst: it reads guest memory for a while */
			for (volatile int k = 0; k < 50; k++)
				;
			if (atomic_load_explicit(&unmapped, memory_order_relaxed))
				atomic_fetch_add(&violations, 1);
		}
	}
	return NULL;
}

static void litmus_quiesce(void)
{
	unsigned long e = atomic_load(&epoch);

	while (atomic_load(&epoch) == e)
		;
}

static void test_fe_pause_fence(void)
{
	pthread_t thr;
	double t0;
	unsigned long rounds = 0;

	ASSERT_OK(start(F_V1, 16));
	fx.on_quiesce = litmus_quiesce;
	atomic_store(&litmus_stop, 0);
	atomic_store(&violations, 0);
	ASSERT_OK(pthread_create(&thr, NULL, litmus_poller, NULL));
	t0 = now_s();
	while (now_s() - t0 < 2.0 && !atomic_load(&violations)) {
		struct vhu_dev *dev = fx.dev;

		for (int i = 0; i < 1000; i++, rounds++) {
			vhu_dev_pause(dev);
			atomic_store_explicit(&unmapped, 1, memory_order_relaxed);
			for (volatile int k = 0; k < 100; k++)
				;
			atomic_store_explicit(&unmapped, 0, memory_order_relaxed);
			vhu_dev_publish(dev);
		}
	}
	atomic_store(&litmus_stop, 1);
	pthread_join(thr, NULL);
	fx.on_quiesce = NULL;
	ASSERT_EQ(atomic_load(&violations), 0);
	ASSERT_TRUE(rounds > 0);
}

/* ---- announcements and logs ----------------------------------------------------- */

/* SEND_RARP only with the RARP protocol feature; then at most VHU_RARP_BURST
 * at once, the rest counted and reported. */
static void test_fe_rarp(void)
{
	struct fx_cfg c = base_cfg;
	uint8_t mac[8] = {0x02, 0, 0, 0, 0, 9};
	int i;

	ASSERT_OK(fx_start(&c)); /* REPLY_ACK and MQ, no RARP */
	ASSERT_TRUE(req_ack(VDRV_REQ_SEND_RARP, mac, 8, NULL, 0) > 0);
	ASSERT_TRUE(log_has("SEND_RARP without the RARP protocol feature"));
	ASSERT_EQ(fx.rarps, 0);
	fx_stop();
	c.proto |= VDRV_BIT(VDRV_PROTOCOL_F_RARP);
	ASSERT_OK(fx_start(&c));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(req_ack(VDRV_REQ_SEND_RARP, mac, 8, NULL, 0), 0);
	ASSERT_TRUE(fx.rarps >= 8 && fx.rarps <= 9); /* 9: a second passed */
	vhu_dev__tick(fx.dev);
	ASSERT_TRUE(log_has("SEND_RARP request(s) not sent on"));
	ASSERT_OK(usable());
}

/* A frontend that repeats a refused message forever (REPLY_ACK keeps the
 * connection) gets a bounded number of log lines. */
static void test_fe_log_flood(void)
{
	uint64_t v = 0;
	int i;

	ASSERT_OK(start(F_V1, 16));
	for (i = 0; i < 1000; i++)
		ASSERT_TRUE(req_ack(VDRV_REQ_SET_FEATURES, &v, 4, NULL, 0) > 0);
	ASSERT_TRUE(log_count("payload of 4 bytes") <= 40);
	ASSERT_TRUE(log_count("payload of 4 bytes") >= 1);
	ASSERT_OK(usable());
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_fe_call_fd_blocking);
	RUN(test_fe_ring_fd_not_eventfd);
	RUN(test_fe_kick_fd_lifecycle);
	RUN(test_fe_connect_backlog_full);
	RUN(test_fe_trickle);
	RUN(test_fe_replies_not_read);
	RUN(test_fe_memory_truncated);
	RUN(test_fe_memory_not_shm);
	RUN(test_fe_pause_returns_chains);
	RUN(test_fe_pause_fence);
	RUN(test_fe_chain_walk_bounded);
	RUN(test_fe_indirect_unaligned);
	RUN(test_fe_split_size_not_pow2);
	RUN(test_fe_rarp);
	RUN(test_fe_log_flood);
	fx_free();
	TEST_EXIT();
}
