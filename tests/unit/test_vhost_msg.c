// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user library: malformed messages. Truncated headers and payloads,
 * wrong sizes, unknown requests, bad ring indexes and sizes, memory tables,
 * features, fds that do not match the request; no fd may leak.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vhost_fixture.h"

TEST_GLOBALS("vhost");

/*
 * Which fds are open. An fd the backend received was numbered while every fd
 * open before the message still was, so if it leaked it shows up as open now
 * and not before; closing the connection only removes fds.
 */
#define MAX_FD 1024
static int fd_snap(bool open_fds[MAX_FD])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd;

	memset(open_fds, 0, MAX_FD);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd != dirfd(d) && fd < MAX_FD)
			open_fds[fd] = true;
	}
	closedir(d);
	return 0;
}

static bool fds_before[MAX_FD];

static int no_new_fds(void)
{
	bool now[MAX_FD];
	int fd;

	CHECK(!fd_snap(now), "cannot list /proc/self/fd");
	for (fd = 0; fd < MAX_FD; fd++)
		CHECK(!now[fd] || fds_before[fd], "fd %d leaked", fd);
	return 0;
}

/* Raw bytes (a partial message) with @nfds fds attached. */
static int send_fds(const void *buf, size_t len, const int *fds, int nfds)
{
	return vdrv_send_bytes(fx.fe, buf, len, fds, nfds, 0);
}

static void test_msg_truncated_header(void)
{
	uint32_t h[2] = {VDRV_REQ_GET_FEATURES, VDRV_MSG_VERSION};
	int efd;

	ASSERT_OK(start(F_V1, 16));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_OK(send_fds(h, 6, &efd, 1));
	/* half a header is not an error yet: more may come */
	ASSERT_EQ(vhu_dev__dispatch(fx.dev), 0);
	ASSERT_TRUE(vhu_dev__connected(fx.dev));
	shutdown(fx.fe, SHUT_WR);
	ASSERT_OK(expect_closed(vhu_dev__dispatch(fx.dev), "in the middle of a message (6 bytes"));
	ASSERT_OK(no_new_fds());
	close(efd);
}

static void test_msg_truncated_payload(void)
{
	uint64_t v = F_V1;
	int efd;

	ASSERT_OK(start(F_V1, 16));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_OK(vdrv_msg_send_raw(fx.fe, VDRV_REQ_SET_FEATURES, VDRV_MSG_VERSION, 8, &v, 4, &efd,
				    1));
	ASSERT_EQ(vhu_dev__dispatch(fx.dev), 0);
	shutdown(fx.fe, SHUT_WR);
	ASSERT_OK(expect_closed(vhu_dev__dispatch(fx.dev), "in the middle of a message (16 bytes"));
	ASSERT_OK(no_new_fds());
	close(efd);
}

static void test_msg_payload_size_wrong(void)
{
	struct vdrv_mem_table t = {.nregions = 1};
	uint32_t st[4] = {1, 16}; /* a vring state with 4 bytes too many */
	uint64_t v = 0;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_FEATURES, &v, 4, NULL, 0) > 0);
	ASSERT_TRUE(log_has("SET_FEATURES: payload of 4 bytes (want 8)"));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_NUM, st, 12, NULL, 0) > 0);
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_OWNER, &v, 8, NULL, 0) > 0);
	/* a full-size table announcing one region */
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_MEM_TABLE, &t, sizeof(t), &fx.d.mem.r[0].fd, 1) > 0);
	ASSERT_TRUE(log_has("1 regions in a 264-byte payload"));
	ASSERT_OK(usable());
	/* without NEED_REPLY the connection goes */
	ASSERT_OK(
		expect_closed(req(VDRV_REQ_SET_FEATURES, 0, &v, 2, NULL, 0), "payload of 2 bytes"));
}

static void test_msg_payload_too_big(void)
{
	uint8_t p[512] = {0};

	ASSERT_OK(fx_start(&base_cfg));
	ASSERT_OK(expect_closed(
		req(VDRV_REQ_SET_MEM_TABLE, VDRV_MSG_NEED_REPLY, p, sizeof(p), NULL, 0),
		"512-byte payload (max 264)"));
	/* the device takes a new frontend */
	ASSERT_OK(fx_reconnect(&base_cfg));
	ASSERT_OK(usable());
}

static void test_msg_unknown_request(void)
{
	static const uint32_t ids[] = {
		0, 22 /* IOTLB_MSG */, VDRV_REQ_SET_CONFIG, 41, 99, 0xffffffff};
	unsigned int i;
	int efd;

	efd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ASSERT_OK(start(F_V1, 16));
		ASSERT_OK(fd_snap(fds_before));
		ASSERT_OK(expect_closed(req(ids[i], VDRV_MSG_NEED_REPLY, &i, sizeof(i), &efd, 1),
					"is not supported"));
		ASSERT_OK(no_new_fds());
		fx_stop();
	}
	close(efd);
}

static void test_msg_bad_version(void)
{
	struct vdrv_vring_state en = {.index = 0, .num = 1};
	uint32_t r, fl, sz = 8;
	uint64_t v;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_OK(vdrv_msg_send(fx.fe, VDRV_REQ_SET_VRING_ENABLE, VDRV_MSG_NEED_REPLY | 2, &en,
				sizeof(en), NULL, 0));
	ASSERT_OK(vhu_dev__dispatch(fx.dev));
	ASSERT_OK(vdrv_msg_recv(fx.fe, &r, &fl, &v, &sz, 1000));
	ASSERT_TRUE(v != 0);
	ASSERT_TRUE(log_has("protocol version 2"));
	ASSERT_OK(usable());
}

static void test_msg_ring_index_out_of_range(void)
{
	struct vdrv_vring_state st = {.index = 3, .num = 16};
	uint64_t u = 0x80;
	int efd;

	ASSERT_OK(start(F_V1, 16));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), NULL, 0) > 0);
	ASSERT_TRUE(log_has("ring index 3 (device has 3 rings)"));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_CALL, &u, sizeof(u), &efd, 1) > 0);
	ASSERT_TRUE(log_has("ring index 128"));
	st.index = 200;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0) > 0);
	st.index = 0x10001;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_ADDR, &(struct vdrv_vring_addr){.index = 0x10001},
			    sizeof(struct vdrv_vring_addr), NULL, 0) > 0);
	ASSERT_OK(no_new_fds());
	ASSERT_OK(usable());
	/* GET_VRING_BASE has no ack to carry the refusal */
	ASSERT_OK(expect_closed(req(VDRV_REQ_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0),
				"ring index 65537"));
	close(efd);
}

static void test_msg_ring_size(void)
{
	static const uint32_t bad[] = {0, 7, 100, 65536, 0x80000000};
	struct vdrv_vring_state st = {.index = 2}; /* the unused control queue */
	unsigned int i;

	ASSERT_OK(start(F_V1, 16));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st.num = bad[i];
		log_clear();
		ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), NULL, 0) > 0);
		ASSERT_TRUE(log_has("is not a power of two in 1..32768"));
	}
	st.num = 32768;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), NULL, 0), 0);
	st = (struct vdrv_vring_state){.index = 1, .num = 32};
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), NULL, 0) > 0);
	ASSERT_TRUE(log_has("while the ring runs"));
	ASSERT_EQ(vhu_vq__size(vq(1)), 16);
	ASSERT_OK(usable());
}

/* One SET_MEM_TABLE with NEED_REPLY; the payload holds @n region slots. */
static int mem_req(const struct vdrv_mem_region_desc *r, uint32_t nregions, uint32_t n,
		   const int *fds, int nfds)
{
	struct vdrv_mem_table t = {.nregions = nregions};
	uint8_t buf[8 + 9 * sizeof(t.r[0])];

	memcpy(buf, &t, 8);
	memcpy(buf + 8, r, n * sizeof(t.r[0]));
	return req_ack(VDRV_REQ_SET_MEM_TABLE, buf, 8 + n * sizeof(t.r[0]), fds, nfds);
}

static void test_msg_mem_table_bad(void)
{
	struct vdrv_mem_region_desc r[9];
	const struct vdrv_region *m;
	int fds[8], efd, i;
	uint64_t g;

	ASSERT_OK(start(F_V1, 16));
	m = &fx.d.mem.r[0];
	g = m->gpa + m->size; /* free guest-physical space after the region */
	efd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < 8; i++) {
		fds[i] = m->fd;
		r[i] = (struct vdrv_mem_region_desc){
			.gpa = g + (i << 20), .size = 1 << 20, .uva = 0x100000000ull * (i + 1)};
	}
	r[8] = r[7];
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_TRUE(mem_req(r, 0, 0, NULL, 0) > 0);
	ASSERT_TRUE(log_has("0 regions"));
	ASSERT_TRUE(mem_req(r, 9, 8, fds, 8) > 0); /* 9 regions in room for 8 */
	ASSERT_TRUE(log_has("9 regions in a 264-byte payload"));
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 1) > 0);
	ASSERT_TRUE(log_has("2 regions but 1 file descriptors"));
	ASSERT_TRUE(mem_req(r, 1, 1, fds, 2) > 0);
	r[1].gpa = g + 4096; /* overlapping guest-physical */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("regions 0 and 1 overlap"));
	r[1].gpa = g + (1 << 20);
	r[1].uva = r[0].uva + 4096; /* overlapping user addresses */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	r[1].uva = 0x200000000ull;
	r[1].gpa = 0xfffffffffff00000ull; /* gpa + size wraps */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("overflows"));
	r[1].gpa = g + (1 << 20);
	r[1].mmap_offset = ~0ull - 4096; /* mmap_offset + size wraps */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	r[1].mmap_offset = MEM_SIZE; /* past the end of the file */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("smaller than offset+size"));
	r[1].mmap_offset = 0;
	r[1].size = 0;
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	r[1].size = 1 << 20;
	fds[1] = efd; /* an fd that is not shared memory (nor mappable) */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("region 1: the fd is not shared memory"));
	ASSERT_OK(no_new_fds());
	/* the old table still serves the running rings */
	ASSERT_TRUE(fx.qready & 2);
	ASSERT_OK(usable());
	/* room for 9: more than any request's payload, the connection goes */
	ASSERT_OK(expect_closed(mem_req(r, 9, 9, fds, 8), "296-byte payload (max 264)"));
	ASSERT_OK(no_new_fds());
	close(efd);
}

/* The same table again while the rings run: they are re-translated. */
static void test_msg_mem_table_replace(void)
{
	struct vdrv_mem_region_desc r;
	const struct vdrv_region *m;

	ASSERT_OK(start(F_V1, 16));
	m = &fx.d.mem.r[0];
	r = (struct vdrv_mem_region_desc){.gpa = m->gpa, .size = m->size, .uva = m->uva};
	ASSERT_EQ(mem_req(&r, 1, 1, &m->fd, 1), 0);
	ASSERT_OK(usable());
}

static void test_msg_features_not_offered(void)
{
	uint64_t f;

	ASSERT_OK(start(F_V1, 16));
	f = fx.d.features | VDRV_BIT(VDRV_NET_F_HOST_UFO);
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0) > 0);
	ASSERT_TRUE(log_has("asks for bits we did not offer"));
	ASSERT_EQ(vhu_dev__features(fx.dev), fx.d.features);
	f = 1ull << 5; /* BACKEND_REQ: not offered */
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_PROTOCOL_FEATURES, &f, sizeof(f), NULL, 0) > 0);
	ASSERT_EQ(vhu_dev__protocol_features(fx.dev), fx.d.protocol_features);
	ASSERT_OK(usable());
	f = ~0ull;
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_FEATURES, 0, &f, sizeof(f), NULL, 0),
				"did not offer"));
}

/* Switching split <-> packed under running rings would reinterpret their
 * indexes against another layout: refused. */
static void test_msg_features_ring_layout(void)
{
	uint64_t f;

	ASSERT_OK(start(F_V1, 16));
	f = fx.d.features | F_PACKED;
	ASSERT_TRUE(vhu_dev__features_offered(fx.dev) & F_PACKED);
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0) > 0);
	ASSERT_TRUE(!vhu_vq__packed(vq(1)));
	ASSERT_OK(usable());
	f = fx.d.features; /* the same features again are fine */
	ASSERT_EQ(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0), 0);
	ASSERT_OK(usable());
}

static void test_msg_kick_fd_mismatch(void)
{
	int efd[2];
	uint64_t u;

	ASSERT_OK(start(F_V1, 16));
	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	u = 1 | NOFD;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_KICK, &u, sizeof(u), efd, 1) > 0);
	ASSERT_TRUE(log_has("1 file descriptors with the no-fd flag set"));
	u = 1;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_KICK, &u, sizeof(u), NULL, 0) > 0);
	ASSERT_TRUE(log_has("0 file descriptors with the no-fd flag clear"));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_KICK, &u, sizeof(u), efd, 2) > 0);
	u = 1 | 1 << 9;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_KICK, &u, sizeof(u), efd, 1) > 0);
	ASSERT_TRUE(log_has("reserved bits"));
	u = 0 | NOFD;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_CALL, &u, sizeof(u), efd, 2) > 0);
	ASSERT_OK(no_new_fds());
	/* the ring kept its kick and call */
	ASSERT_EQ(vhu_vq__kick_fd(vq(1)) >= 0, 1);
	ASSERT_OK(usable());
	close(efd[0]);
	close(efd[1]);
}

static void test_msg_unexpected_fds(void)
{
	struct vdrv_vring_state st = {.index = 2, .num = 16};
	int efd[2];

	ASSERT_OK(start(F_V1, 16));
	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_OWNER, NULL, 0, efd, 1) > 0);
	ASSERT_TRUE(log_has("SET_OWNER: 1 unexpected file descriptors"));
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), efd, 2) > 0);
	ASSERT_OK(no_new_fds());
	ASSERT_OK(usable());
	ASSERT_OK(expect_closed(req(VDRV_REQ_GET_FEATURES, 0, NULL, 0, efd, 2),
				"GET_FEATURES: 2 unexpected"));
	ASSERT_OK(no_new_fds());
	close(efd[0]);
	close(efd[1]);
}

/* More fds than a message may carry: the control data is cut short. */
static void test_msg_too_many_fds(void)
{
	uint32_t h[3] = {VDRV_REQ_SET_OWNER, VDRV_MSG_VERSION, 0};
	int efd[12], i;

	ASSERT_OK(start(F_V1, 16));
	for (i = 0; i < 12; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_OK(send_fds(h, sizeof(h), efd, 12));
	ASSERT_OK(expect_closed(vhu_dev__dispatch(fx.dev), "more than 8 file descriptors"));
	ASSERT_OK(no_new_fds());
	for (i = 0; i < 12; i++)
		close(efd[i]);
}

/* Ring addresses that do not translate (or are misaligned): the queue
 * stays stopped until good ones arrive. */
static void test_msg_ring_addr_bad(void)
{
	struct fx_cfg c = base_cfg;
	struct vdrv_vring_state st = {.index = 1, .num = 16};
	struct vdrv_vring_addr a = {.index = 1};
	uint64_t u = 1 | NOFD, end;
	struct vdrv_vq *q = dq(1);
	const struct vdrv_region *m;
	int i;

	c.nvqs = 1; /* only rx0 comes up; tx0 by hand below */
	ASSERT_OK(fx_start(&c));
	ASSERT_OK(vdrv_vq_init(q, &fx.d.mem, 16, false, false));
	fx.d.nvqs = 2;
	m = &fx.d.mem.r[0];
	end = m->uva + m->size;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_CALL, &u, sizeof(u), NULL, 0), 0);
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), NULL, 0), 0);
	st.num = 0;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_BASE, &st, sizeof(st), NULL, 0), 0);
	st.num = 1;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0), 0);
	for (i = 0; i < 4; i++) {
		a.desc = vdrv_uva(&fx.d.mem, q->desc_gpa);
		a.avail = vdrv_uva(&fx.d.mem, q->avail_gpa);
		a.used = vdrv_uva(&fx.d.mem, q->used_gpa);
		if (i == 0)
			a.desc = 0x1000; /* nowhere */
		else if (i == 1)
			a.desc = end - 8 * 16; /* 8 of 16 descriptors inside */
		else if (i == 2)
			a.used = end - 4 - 8 * 16; /* used ring without avail_event */
		else
			a.desc += 8; /* misaligned */
		log_clear();
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 0);
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_KICK, &u, sizeof(u), NULL, 0), 0);
		ASSERT_TRUE(!vhu_vq__ready(vq(1)));
		ASSERT_TRUE(log_has(i < 3 ? "outside guest memory" : "misaligned"));
	}
	a.desc -= 8;
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 0);
	ASSERT_TRUE(vhu_vq__ready(vq(1)));
	ASSERT_TRUE(vhu_vq__ready(vq(0)));
	ASSERT_OK(tx(500, 1, 2, false));
	ASSERT_OK(tx_expect(1, 500, 1));
}

int main(void)
{
	RUN(test_msg_truncated_header);
	RUN(test_msg_truncated_payload);
	RUN(test_msg_payload_size_wrong);
	RUN(test_msg_payload_too_big);
	RUN(test_msg_unknown_request);
	RUN(test_msg_bad_version);
	RUN(test_msg_ring_index_out_of_range);
	RUN(test_msg_ring_size);
	RUN(test_msg_mem_table_bad);
	RUN(test_msg_mem_table_replace);
	RUN(test_msg_features_not_offered);
	RUN(test_msg_features_ring_layout);
	RUN(test_msg_kick_fd_mismatch);
	RUN(test_msg_unexpected_fds);
	RUN(test_msg_too_many_fds);
	RUN(test_msg_ring_addr_bad);
	fx_free();
	TEST_EXIT();
}
