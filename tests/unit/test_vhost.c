// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the vhost-user backend library (vhost/): the handshake, split
 * and packed data paths, notifications, hostile descriptor chains and malformed
 * protocol messages. The guest side is tests/lib/vdrv.c on a socketpair; no
 * network, no root. Built with ASan and UBSan. VHU_TEST_LOG=1 prints the
 * library's log lines.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vhu.h"
#include "../lib/test.h"
#include "../lib/vdrv.h"

TEST_GLOBALS("vhost");

#define MEM_GPA		0x100000ull	/* default guest memory: one 8 MiB region */
#define MEM_SIZE	(8ull << 20)
#define F_V1		VDRV_BIT(VDRV_F_VERSION_1)
#define F_IND		VDRV_BIT(VDRV_F_INDIRECT)
#define F_EVT		VDRV_BIT(VDRV_F_EVENT_IDX)
#define F_MRG		VDRV_BIT(VDRV_NET_F_MRG_RXBUF)
#define F_PACKED	VDRV_BIT(VDRV_F_RING_PACKED)
#define P_ACK		(VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK) | VDRV_BIT(VDRV_PROTOCOL_F_MQ))
#define NOFD		VDRV_VRING_NOFD
#define SD(q, i)	((struct vdrv_desc *)(q)->desc + (i))
#define PD(q, i)	((struct vdrv_pdesc *)(q)->desc + (i))

/* In helpers: fail the running case like ASSERT_* and return -1 to it. */
#define CHECK(c, ...)                          \
	do {                                   \
		if (!(c)) {                    \
			TEST_FAIL(__VA_ARGS__); \
			return -1;             \
		}                              \
	} while (0)

/* ---- fixture: one device, one socketpair, the guest ------------------------ */

struct fx_cfg {
	uint64_t want;		/* features the guest wants (gets want & offered) */
	uint64_t proto;		/* protocol features the guest wants */
	uint64_t mask;		/* vhu_dev_cfg.features_mask (0: everything) */
	unsigned int pairs;	/* backend queue pairs (0: 1) */
	int nvqs;		/* rings the guest sets up (0: 2) */
	uint16_t qsize;		/* (0: 16) */
	uint16_t max_mtu;	/* vhu_dev_cfg.max_mtu (0: 65535) */
};

struct fixture {
	struct vhu_dev *dev;
	struct vdrv_dev d;	/* the guest; d.mem may be filled before fx_start */
	int fe;			/* frontend end of the socketpair */
	int stop_fd;		/* eventfd that stops the backend thread */
	pthread_t thr;
	bool thr_on;
	pthread_mutex_t lock;	/* log and qready are written by the backend thread */
	char log[16384];
	size_t loglen;
	unsigned int qready;	/* bit i: ops->queue_state last said vq i is ready */
};

static struct fixture fx = { .fe = -1, .stop_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
static const struct fx_cfg base_cfg = { .want = F_V1 | F_IND, .proto = P_ACK, .qsize = 16 };

static void on_log(void *ctx, enum vhu_log_level level, const char *line)
{
	struct fixture *f = ctx;
	size_t n = strlen(line);

	pthread_mutex_lock(&f->lock);
	if (f->loglen + n + 2 > sizeof(f->log))
		f->loglen = 0;	/* keep the newest lines */
	memcpy(f->log + f->loglen, line, n);
	f->loglen += n;
	f->log[f->loglen++] = '\n';
	f->log[f->loglen] = 0;
	pthread_mutex_unlock(&f->lock);
	if (getenv("VHU_TEST_LOG"))
		fprintf(stderr, "    log%d %s\n", (int)level, line);
}

static void on_queue_state(void *ctx, struct vhu_dev *dev, unsigned int qidx, bool ready)
{
	struct fixture *f = ctx;

	(void)dev;
	pthread_mutex_lock(&f->lock);
	if (ready)
		f->qready |= 1u << qidx;
	else
		f->qready &= ~(1u << qidx);
	pthread_mutex_unlock(&f->lock);
}

static const struct vhu_ops ops = { .log = on_log, .queue_state = on_queue_state };

static bool log_has(const char *s)
{
	bool r;

	pthread_mutex_lock(&fx.lock);
	r = strstr(fx.log, s) != NULL;
	pthread_mutex_unlock(&fx.lock);
	return r;
}

static void log_clear(void)
{
	pthread_mutex_lock(&fx.lock);
	fx.loglen = 0;
	fx.log[0] = 0;
	pthread_mutex_unlock(&fx.lock);
}

/* The backend's control thread while vdrv_dev_start() waits for replies. */
static void *backend_main(void *arg)
{
	struct pollfd p[2] = { { .fd = vhu_dev__conn_fd(fx.dev), .events = POLLIN },
			       { .fd = fx.stop_fd, .events = POLLIN } };

	(void)arg;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents && vhu_dev__dispatch(fx.dev) < 0)
			break;
	}
	return NULL;
}

static int backend_start(void)
{
	int err = pthread_create(&fx.thr, NULL, backend_main, NULL);

	if (err)
		return -err;
	fx.thr_on = true;
	return 0;
}

/* Joins the thread: from here on the test thread alone touches the device. */
static void backend_stop(void)
{
	eventfd_t v;

	if (!fx.thr_on)
		return;
	eventfd_write(fx.stop_fd, 1);
	pthread_join(fx.thr, NULL);
	eventfd_read(fx.stop_fd, &v);
	fx.thr_on = false;
}

static int fx_new(const struct fx_cfg *c)
{
	struct vhu_dev_cfg dc = {
		.name = "vm0",
		.path = "/tmp/unused.sock",
		.max_queue_pairs = c->pairs ? c->pairs : 1,
		.features_mask = c->mask,
		.max_mtu = c->max_mtu,
		.ops = &ops,
		.ctx = &fx,
	};

	if (fx.stop_fd < 0) {
		fx.stop_fd = eventfd(0, EFD_CLOEXEC);
		if (fx.stop_fd < 0)
			return -errno;
	}
	return vhu_dev__new(&dc, &fx.dev);
}

/* A new socketpair to the device, then the guest's whole handshake. */
static int fx_connect(const struct fx_cfg *c)
{
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	err = vhu_dev__attach_fd(fx.dev, sv[0]);
	if (err) {
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	fx.fe = sv[1];
	fx.d.sock = sv[1];
	if (!fx.d.mem.nregions) {
		err = vdrv_mem_add_region(&fx.d.mem, MEM_GPA, MEM_SIZE);
		if (err)
			return err;
	}
	err = backend_start();
	if (err)
		return err;
	err = vdrv_dev_start(&fx.d, fx.fe, c->want, c->proto, c->nvqs ? c->nvqs : 2,
			     c->qsize ? c->qsize : 16);
	backend_stop();
	return err;
}

static int fx_start(const struct fx_cfg *c)
{
	int err = fx_new(c);

	return err ? err : fx_connect(c);
}

static int start(uint64_t want, uint16_t qsize)
{
	struct fx_cfg c = base_cfg;

	c.want = want;
	c.qsize = qsize;
	return fx_start(&c);
}

/* The frontend goes away and comes back with a fresh guest. */
static int fx_reconnect(const struct fx_cfg *c)
{
	vhu_dev__disconnect(fx.dev);
	vdrv_dev_stop(&fx.d);
	memset(&fx.d, 0, sizeof(fx.d));
	if (fx.fe >= 0)
		close(fx.fe);
	fx.fe = -1;
	return fx_connect(c);
}

/* After every case, whether it passed or returned early. */
static void fx_stop(void)
{
	backend_stop();
	vhu_dev__free(fx.dev);
	fx.dev = NULL;
	vdrv_dev_stop(&fx.d);
	memset(&fx.d, 0, sizeof(fx.d));
	if (fx.fe >= 0)
		close(fx.fe);
	fx.fe = -1;
	fx.qready = 0;
	log_clear();
}

/* ---- helpers ------------------------------------------------------------- */

static struct vhu_pkt pkts[VHU_BURST];
static struct vhu_seg segs[VHU_BURST * VHU_MAX_SEGS];
static uint8_t frame[VHU_MAX_FRAME + 64], got[VHU_MAX_FRAME + 64], pool[192 * 1024];

static struct vhu_vq *vq(unsigned int i)
{
	return vhu_dev__vq(fx.dev, i);
}

static struct vdrv_vq *dq(int i)
{
	return &fx.d.vq[i];
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* A dequeued frame must be exactly fill(len, seed), its segments summing to len. */
static int pkt_is(const struct vhu_pkt *p, uint32_t len, uint32_t seed)
{
	uint32_t off = 0, i;

	CHECK(p->len == len, "frame of %u bytes, want %u", p->len, len);
	for (i = 0; i < p->nsegs; i++) {
		CHECK(off + p->segs[i].len <= len, "segments hold more than %u bytes", len);
		memcpy(got + off, p->segs[i].base, p->segs[i].len);
		off += p->segs[i].len;
	}
	CHECK(off == len, "segments hold %u bytes, want %u", off, len);
	fill(frame, len, seed);
	CHECK(!memcmp(got, frame, len), "frame %u: payload differs", seed);
	return 0;
}

/* The guest transmits fill(len, seed) on pair 0 over @nsegs buffers. */
static int tx(uint32_t len, uint32_t seed, int nsegs, bool indirect)
{
	fill(frame, len, seed);
	return vdrv_net_tx(&fx.d, 0, frame, len, nsegs, indirect);
}

static unsigned int deq(unsigned int n)
{
	return vhu_vq__dequeue_burst(vq(1), pkts, segs, n);
}

static unsigned int run_tx(void)
{
	unsigned int n = deq(VHU_BURST);

	vhu_vq__dequeue_done(vq(1));
	return n;
}

/* Dequeue exactly @n frames fill(len, seed + k) and give the chains back. */
static int tx_expect(unsigned int n, uint32_t len, uint32_t seed)
{
	unsigned int k, got_n = deq(VHU_BURST);

	CHECK(got_n == n, "dequeued %u frames, want %u", got_n, n);
	for (k = 0; k < n; k++)
		if (pkt_is(&pkts[k], len, seed + k))
			return -1;
	vhu_vq__dequeue_done(vq(1));
	return 0;
}

/* rx_lens() offers with vhu_vq__enqueue_try() (leftovers not counted). */
static bool rx_try;

/* Enqueue @n frames on vq @vqi, frame k = fill(lens[k], seed + k), each
 * given to the library as @nsegs host segments. */
static unsigned int rx_lens(unsigned int vqi, unsigned int n, const uint32_t *lens,
			    uint32_t seed, unsigned int nsegs)
{
	static struct vhu_seg s[VHU_BURST * 4];
	struct vhu_pkt p[VHU_BURST];
	unsigned int k, j;
	size_t off = 0;

	for (k = 0; k < n; k++) {
		uint32_t len = lens[k], done = 0;

		fill(pool + off, len, seed + k);
		for (j = 0; j < nsegs; j++) {
			uint32_t l = j + 1 < nsegs ? len / nsegs : len - done;

			s[k * 4 + j] = (struct vhu_seg){ .base = pool + off + done, .len = l };
			done += l;
		}
		p[k] = (struct vhu_pkt){ .segs = &s[k * 4], .nsegs = (uint16_t)nsegs, .len = len };
		off += len;
	}
	return rx_try ? vhu_vq__enqueue_try(vq(vqi), p, n) : vhu_vq__enqueue_burst(vq(vqi), p, n);
}

static unsigned int rx(unsigned int n, uint32_t len, uint32_t seed)
{
	uint32_t lens[VHU_BURST];
	unsigned int k;

	for (k = 0; k < n; k++)
		lens[k] = len;
	return rx_lens(0, n, lens, seed, 1);
}

/* The guest reads one frame on pair @q: it must be fill(len, seed). */
static int rx_is(int q, uint32_t len, uint32_t seed)
{
	uint32_t n = 0;
	int r = vdrv_net_rx_get(&fx.d, q, got, sizeof(got), &n);

	CHECK(r == 1, "vdrv_net_rx_get: %d", r);
	CHECK(n == len, "received %u bytes, want %u", n, len);
	fill(frame, len, seed);
	CHECK(!memcmp(got, frame, len), "received frame %u differs", seed);
	return 0;
}

static uint16_t rx_nbufs(void)
{
	uint16_t v;

	memcpy(&v, fx.d.rx_hdr + 10, sizeof(v));
	return le16toh(v);
}

/* Eventfd counter (kick or call), read and reset; 0 when nothing fired. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static uint16_t used_idx(struct vdrv_vq *q)
{
	return le16toh(__atomic_load_n(&((struct vdrv_used *)q->used)->idx, __ATOMIC_ACQUIRE));
}

static struct vdrv_region *region_of(uint64_t gpa)
{
	int i;

	for (i = 0; i < fx.d.mem.nregions; i++)
		if (gpa - fx.d.mem.r[i].gpa < fx.d.mem.r[i].size)
			return &fx.d.mem.r[i];
	return NULL;
}

/* Copy to or from guest memory, across region boundaries. */
static int gcopy(uint64_t gpa, void *buf, uint32_t len, bool to_guest)
{
	while (len) {
		struct vdrv_region *r = region_of(gpa);
		uint64_t left;
		uint32_t c;
		uint8_t *p;

		CHECK(r, "gpa %#llx outside guest memory", (unsigned long long)gpa);
		left = r->gpa + r->size - gpa;
		c = len < left ? len : (uint32_t)left;
		p = (uint8_t *)r->va + (gpa - r->gpa);
		memcpy(to_guest ? p : buf, to_guest ? buf : p, c);
		buf = (uint8_t *)buf + c;
		gpa += c;
		len -= c;
	}
	return 0;
}

static uint64_t galloc(uint32_t len)
{
	return vdrv_alloc(&fx.d.mem, len, 64);
}

static void setd(struct vdrv_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/* An indirect table of @n entries written into guest memory. */
static uint64_t table(const struct vdrv_desc *t, uint32_t n)
{
	uint64_t gpa = galloc(n * sizeof(*t));

	gcopy(gpa, (void *)t, n * sizeof(*t), true);
	return gpa;
}

/* Split: make head @head available (raw, bypassing vdrv's bookkeeping). */
static void spost(struct vdrv_vq *q, uint16_t head)
{
	((struct vdrv_avail *)q->avail)->ring[q->avail_idx & (q->size - 1)] = htole16(head);
	q->avail_idx++;
	vdrv_vq_publish(q);
}

/* Packed: descriptor @d made available in the first lap (wrap counter 1). */
static void setp(struct vdrv_pdesc *d, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = htole16(id);
	__atomic_store_n(&d->flags, htole16(flags | VDRV_DESC_F_AVAIL), __ATOMIC_RELEASE);
}

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
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(fx.fe, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EIO;
}

/* Send one message and let the backend (this thread) handle it. */
static int req(uint32_t rq, uint32_t flags, const void *p, uint32_t size, const int *fds, int nfds)
{
	int err = vdrv_msg_send(fx.fe, rq, VDRV_MSG_VERSION | flags, p, size, fds, nfds);

	return err ? err : vhu_dev__dispatch(fx.dev);
}

/* With NEED_REPLY: the REPLY_ACK value (0 done, > 0 refused) or -errno. */
static int req_ack(uint32_t rq, const void *p, uint32_t size, const int *fds, int nfds)
{
	uint32_t r, fl, sz = sizeof(uint64_t);
	uint64_t v;
	int err = req(rq, VDRV_MSG_NEED_REPLY, p, size, fds, nfds);

	if (!err)
		err = vdrv_msg_recv(fx.fe, &r, &fl, &v, &sz, 1000);
	if (err)
		return err;
	if (r != rq || sz != sizeof(v) || !(fl & VDRV_MSG_REPLY))
		return -EPROTO;
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* A GET_* request and its reply of exactly @outsize bytes. */
static int req_get(uint32_t rq, const void *p, uint32_t size, void *out, uint32_t outsize)
{
	uint32_t r, fl, sz = outsize;
	int err = req(rq, 0, p, size, NULL, 0);

	if (!err)
		err = vdrv_msg_recv(fx.fe, &r, &fl, out, &sz, 1000);
	if (err)
		return err;
	return r == rq && sz == outsize && (fl & VDRV_MSG_REPLY) ? 0 : -EPROTO;
}

/* Nothing more to read from the backend (no stray or double reply). */
static bool sock_quiet(void)
{
	struct pollfd p = { .fd = fx.fe, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* The device still answers and still forwards a frame on tx0. */
static int usable(void)
{
	uint64_t v = 0;

	CHECK(vhu_dev__connected(fx.dev), "connection closed");
	CHECK(!req_get(VDRV_REQ_GET_FEATURES, NULL, 0, &v, sizeof(v)), "GET_FEATURES failed");
	CHECK(v == vhu_dev__features_offered(fx.dev), "GET_FEATURES %#llx", (unsigned long long)v);
	CHECK(vhu_vq__ready(vq(1)), "tx0 not ready");
	CHECK(!tx(200, 77, 2, false), "guest cannot transmit");
	return tx_expect(1, 200, 77);
}

/* The connection was refused: closed, logged, the frontend sees EOF. */
static int expect_closed(int rc, const char *why)
{
	struct pollfd p = { .fd = fx.fe, .events = POLLIN };
	ssize_t n;
	char c;

	CHECK(rc < 0, "dispatch returned %d, want an error", rc);
	CHECK(!vhu_dev__connected(fx.dev), "still connected");
	CHECK(log_has(why), "no log line with \"%s\"", why);
	/* EOF, or ECONNRESET when the backend closed with our bytes unread */
	CHECK(poll(&p, 1, 1000) == 1, "frontend sees no EOF");
	n = read(fx.fe, &c, 1);
	CHECK(n == 0 || (n < 0 && errno == ECONNRESET), "frontend sees no EOF (%zd)", n);
	return 0;
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

/* ---- handshake ------------------------------------------------------------ */

static void test_handshake(void)
{
	struct fx_cfg c = { .want = ~F_PACKED, .proto = ~0ull, .pairs = 2, .nvqs = 4 };
	uint64_t off, v, must = F_V1 | F_IND | F_EVT | F_MRG | F_PACKED |
		VDRV_BIT(VDRV_F_PROTOCOL_FEATURES) | VDRV_BIT(VDRV_NET_F_MQ);
	uint64_t never = VDRV_BIT(VDRV_NET_F_CSUM) | VDRV_BIT(VDRV_NET_F_GUEST_TSO4) |
		VDRV_BIT(VDRV_F_LOG_ALL) | VDRV_BIT(VDRV_F_ACCESS_PLATFORM);
	char names[256];
	int i;

	ASSERT_OK(fx_start(&c));
	off = vhu_dev__features_offered(fx.dev);
	ASSERT_EQ(off & must, must);
	ASSERT_EQ(off & never, 0);
	ASSERT_EQ(vhu_dev__features(fx.dev), fx.d.features);
	ASSERT_EQ(fx.d.features, off & ~F_PACKED);
	ASSERT_EQ(vhu_dev__protocol_features(fx.dev), fx.d.protocol_features);
	ASSERT_TRUE(fx.d.protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK));
	ASSERT_TRUE(fx.d.protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_MQ));
	ASSERT_EQ(fx.d.max_queues, 2);
	ASSERT_EQ(vhu_dev__hdr_len(fx.dev), 12);
	ASSERT_EQ(fx.d.hdr_len, 12);
	ASSERT_EQ(vhu_dev__num_vqs(fx.dev), 4);
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(vhu_vq__ready(vq(i)) && !vhu_vq__packed(vq(i)));
	ASSERT_EQ(fx.qready, 0xf);
	ASSERT_EQ(vhu_dev__status(fx.dev), 0xf);
	ASSERT_OK(vhu_features_str(fx.d.features, names, sizeof(names)));
	ASSERT_TRUE(strstr(names, "VERSION_1") && strstr(names, "MRG_RXBUF"));
	/* the same questions asked again, one message at a time */
	ASSERT_OK(req_get(VDRV_REQ_GET_QUEUE_NUM, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v, 2);
	ASSERT_OK(req_get(VDRV_REQ_GET_PROTOCOL_FEATURES, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v & fx.d.protocol_features, fx.d.protocol_features);
	ASSERT_EQ(v & VDRV_BIT(VDRV_PROTOCOL_F_LOG_SHMFD), 0);
	ASSERT_OK(req_get(VDRV_REQ_GET_STATUS, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v, 0xf);
	v = 9000;
	ASSERT_EQ(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0), 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 9000);
	/* the second pair carries traffic */
	fill(frame, 300, 5);
	ASSERT_OK(vdrv_net_tx(&fx.d, 1, frame, 300, 2, false));
	ASSERT_EQ(vhu_vq__dequeue_burst(vq(3), pkts, segs, VHU_BURST), 1);
	ASSERT_OK(pkt_is(&pkts[0], 300, 5));
	vhu_vq__dequeue_done(vq(3));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 1, 2, 2048), 2);
	ASSERT_EQ(rx_lens(2, 1, (uint32_t[]){ 400 }, 6, 1), 1);
	ASSERT_OK(rx_is(1, 400, 6));
}

static void test_handshake_single_pair(void)
{
	uint64_t v;

	ASSERT_OK(start(F_V1 | VDRV_BIT(VDRV_NET_F_MQ), 16));
	ASSERT_EQ(vhu_dev__features_offered(fx.dev) & VDRV_BIT(VDRV_NET_F_MQ), 0);
	ASSERT_EQ(fx.d.features & VDRV_BIT(VDRV_NET_F_MQ), 0);
	ASSERT_EQ(fx.d.max_queues, 1);
	ASSERT_OK(req_get(VDRV_REQ_GET_QUEUE_NUM, NULL, 0, &v, sizeof(v)));
	ASSERT_EQ(v, 1);
	ASSERT_EQ(vhu_dev__num_vqs(fx.dev), 2);
}

/* No VERSION_1, no MRG_RXBUF, no protocol features: 10-byte header, rings
 * enabled by their kick, protocol-feature requests refused. */
static void test_handshake_legacy(void)
{
	struct fx_cfg c = { .want = ~0ull, .mask = F_IND | F_EVT, .qsize = 16 };

	ASSERT_OK(fx_start(&c));
	ASSERT_EQ(fx.d.features, F_IND | F_EVT);
	ASSERT_EQ(vhu_dev__hdr_len(fx.dev), 10);
	ASSERT_EQ(fx.d.hdr_len, 10);
	ASSERT_TRUE(vhu_vq__ready(vq(0)) && vhu_vq__ready(vq(1)));
	ASSERT_OK(tx(100, 1, 2, false));
	ASSERT_OK(tx_expect(1, 100, 1));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 1, 2048), 1);
	ASSERT_EQ(rx(1, 2038, 2), 1);
	ASSERT_OK(rx_is(0, 2038, 2));
	ASSERT_OK(expect_closed(req(VDRV_REQ_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0),
				"without protocol features"));
}

static void test_reply_ack(void)
{
	struct vdrv_vring_state en = { .index = 0, .num = 1 };
	uint32_t r, fl, sz = 8;
	uint64_t v;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0), 0);
	ASSERT_TRUE(sock_quiet());
	en.num = 2;
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0) > 0);
	ASSERT_TRUE(log_has("SET_VRING_ENABLE 2"));
	ASSERT_TRUE(sock_quiet());
	ASSERT_TRUE(vhu_vq__ready(vq(0)));
	/* a GET_* with NEED_REPLY answers once, with its own reply */
	ASSERT_OK(req(VDRV_REQ_GET_FEATURES, VDRV_MSG_NEED_REPLY, NULL, 0, NULL, 0));
	ASSERT_OK(vdrv_msg_recv(fx.fe, &r, &fl, &v, &sz, 1000));
	ASSERT_EQ(v, vhu_dev__features_offered(fx.dev));
	ASSERT_TRUE(sock_quiet());
	ASSERT_OK(usable());
}

/* NEED_REPLY without REPLY_ACK negotiated: no reply; a refusal closes. */
static void test_no_reply_ack(void)
{
	struct fx_cfg c = base_cfg;
	struct vdrv_vring_state en = { .index = 0, .num = 1 };

	c.proto = VDRV_BIT(VDRV_PROTOCOL_F_MQ);
	ASSERT_OK(fx_start(&c));
	ASSERT_EQ(fx.d.protocol_features & VDRV_BIT(VDRV_PROTOCOL_F_REPLY_ACK), 0);
	ASSERT_OK(req(VDRV_REQ_SET_VRING_ENABLE, VDRV_MSG_NEED_REPLY, &en, sizeof(en), NULL, 0));
	ASSERT_TRUE(sock_quiet());
	en.num = 7;
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_VRING_ENABLE, VDRV_MSG_NEED_REPLY, &en,
				    sizeof(en), NULL, 0), "no reply was asked for"));
}

/* NET_SET_MTU: what the frontend sets is what the port reports, up to the
 * embedder's limit; a larger one is refused and changes nothing; a new
 * connection starts with none set. */
static void test_net_mtu_limit(void)
{
	struct fx_cfg c = base_cfg;
	uint64_t v;

	c.max_mtu = 1500;
	ASSERT_OK(fx_start(&c));
	ASSERT_EQ(vhu_dev__max_mtu(fx.dev), 1500);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 0);
	v = 9000;
	ASSERT_TRUE(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0) > 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 0);
	v = 1500;
	ASSERT_EQ(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0), 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 1500);
	v = 1280;
	ASSERT_EQ(req_ack(VDRV_REQ_NET_SET_MTU, &v, sizeof(v), NULL, 0), 0);
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 1280);
	ASSERT_OK(fx_reconnect(&c));
	ASSERT_EQ(vhu_dev__mtu(fx.dev), 0);
	ASSERT_EQ(vhu_dev__max_mtu(fx.dev), 1500);
}

/* ---- split ring data path --------------------------------------------------- */

static void test_split_tx_single_seg(void)
{
	static const uint32_t lens[] = { 60, 1, 1514, 4000 };
	const struct vhu_vq_stats *st;
	uint64_t bytes = 0;
	unsigned int k;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
	for (k = 0; k < 4; k++)
		ASSERT_OK(tx(lens[k], k, 1, false));
	ASSERT_TRUE(vhu_vq__has_work(vq(1)));
	ASSERT_EQ(deq(VHU_BURST), 4);
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(pkts[k].nsegs, 1);
		ASSERT_OK(pkt_is(&pkts[k], lens[k], k));
		bytes += lens[k];
	}
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 0);	/* nothing used before done */
	vhu_vq__dequeue_done(vq(1));
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 4);
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
	ASSERT_EQ(run_tx(), 0);
	st = vhu_vq__stats(vq(1));
	ASSERT_EQ(st->packets, 4);
	ASSERT_EQ(st->bytes, bytes);
	/* a burst smaller than what is queued leaves the rest */
	for (k = 0; k < 3; k++)
		ASSERT_OK(tx(70, 10 + k, 1, false));
	ASSERT_EQ(deq(2), 2);
	ASSERT_OK(pkt_is(&pkts[1], 70, 11));
	ASSERT_OK(tx_expect(1, 70, 12));
	/* the largest frame, and one byte more */
	ASSERT_OK(tx(VHU_MAX_FRAME, 20, 1, false));
	ASSERT_OK(tx_expect(1, VHU_MAX_FRAME, 20));
	ASSERT_OK(tx(VHU_MAX_FRAME + 1, 21, 1, false));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(st->drop_too_big, 1);
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 5);
}

static void test_split_tx_multi_seg(void)
{
	struct vdrv_tx_opts o = { .nsegs = 3, .hdr_alone = true };
	struct vdrv_buf b;
	int n;

	ASSERT_OK(start(F_V1, 16));
	for (n = 2; n <= 8; n++) {
		ASSERT_OK(tx(1000 + n, n, n, false));
		ASSERT_OK(tx_expect(1, 1000 + n, n));
	}
	/* header split over two buffers: 4 buffers of 8 bytes */
	ASSERT_OK(tx(20, 30, 4, false));
	ASSERT_EQ(deq(VHU_BURST), 1);
	ASSERT_EQ(pkts[0].nsegs, 3);
	ASSERT_OK(pkt_is(&pkts[0], 20, 30));
	vhu_vq__dequeue_done(vq(1));
	/* header alone in its own buffer */
	fill(frame, 777, 31);
	ASSERT_OK(vdrv_net_tx_opts(&fx.d, 0, frame, 777, &o));
	ASSERT_EQ(deq(VHU_BURST), 1);
	ASSERT_EQ(pkts[0].nsegs, 3);
	ASSERT_OK(pkt_is(&pkts[0], 777, 31));
	vhu_vq__dequeue_done(vq(1));
	/* a chain of just the header (over three buffers), one shorter */
	ASSERT_OK(tx(0, 0, 3, false));
	b = (struct vdrv_buf){ .gpa = galloc(8), .len = 8 };
	ASSERT_TRUE(vdrv_vq_add(dq(1), &b, 1, 0, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_bad_hdr, 2);
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 9);
	ASSERT_TRUE(vdrv_net_tx_reap(&fx.d, 0) > 0);
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
}

static void test_split_rx(void)
{
	static const uint32_t lens[] = { 60, 1514, 2036, 333 };
	static const uint8_t zero[10];
	const struct vhu_vq_stats *st;
	unsigned int k;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_EQ(rx(1, 60, 0), 0);	/* no buffers yet */
	st = vhu_vq__stats(vq(0));
	ASSERT_EQ(st->drop_no_buffers, 1);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_TRUE(vhu_vq__has_work(vq(0)));
	ASSERT_EQ(rx_lens(0, 3, lens, 0, 1), 3);
	ASSERT_EQ(rx_lens(0, 1, lens + 3, 3, 3), 1);	/* from three host segments */
	for (k = 0; k < 4; k++) {
		ASSERT_OK(rx_is(0, lens[k], k));
		ASSERT_EQ(rx_nbufs(), 1);
		ASSERT_TRUE(!memcmp(fx.d.rx_hdr, zero, sizeof(zero)));
	}
	ASSERT_EQ(st->packets, 4);
	ASSERT_EQ(st->bytes, 60 + 1514 + 2036 + 333);
	/* four buffers left: a burst of six delivers four, counts two */
	ASSERT_EQ(rx(6, 100, 10), 4);
	ASSERT_EQ(st->drop_no_buffers, 3);
	for (k = 0; k < 4; k++)
		ASSERT_OK(rx_is(0, 100, 10 + k));
	ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &k), 0);
}

/* enqueue_try: leftovers are the caller's, not drops; avail_count follows
 * the ring. */
static void test_split_rx_try(void)
{
	const struct vhu_vq_stats *st;
	unsigned int k;

	ASSERT_OK(start(F_V1, 16));
	st = vhu_vq__stats(vq(0));
	ASSERT_EQ(vhu_vq__avail_count(vq(0)), 0);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	ASSERT_EQ(vhu_vq__avail_count(vq(0)), 4);
	rx_try = true;
	ASSERT_EQ(rx(6, 100, 20), 4);
	rx_try = false;
	ASSERT_EQ(st->drop_no_buffers, 0);
	ASSERT_EQ(vhu_vq__avail_count(vq(0)), 0);
	for (k = 0; k < 4; k++)
		ASSERT_OK(rx_is(0, 100, 20 + k));
	ASSERT_EQ(rx(2, 100, 30), 0);
	ASSERT_EQ(st->drop_no_buffers, 2);
}

/* Several laps of a ring of 8, chains of 1-3 descriptors. */
static void test_split_wrap(void)
{
	int round, k, j, nsegs, per;

	ASSERT_OK(start(F_V1, 8));
	for (round = 0; round < 30; round++) {
		nsegs = 1 + round % 3;
		per = 8 / nsegs;
		for (k = 0; k < per; k++)
			ASSERT_OK(tx(64 + round, round * 8 + k, nsegs, false));
		ASSERT_OK(tx_expect(per, 64 + round, round * 8));
	}
	for (round = 0; round < 30; round++) {
		k = 1 + round % 8;
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, k, 2048), k);
		ASSERT_EQ(rx(k, 100 + round, round * 8), k);
		for (j = 0; j < k; j++)
			ASSERT_OK(rx_is(0, 100 + round, round * 8 + j));
	}
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_no_buffers, 0);
}

/* More than 65536 frames through a ring of 8: the free-running 16-bit
 * avail and used indexes wrap. */
static void test_split_index_wrap(void)
{
	int round, k;

	ASSERT_OK(start(F_V1, 8));
	for (round = 0; round < 8300; round++) {
		for (k = 0; k < 8; k++)
			ASSERT_OK(tx(40, round + k, 1, false));
		ASSERT_OK(tx_expect(8, 40, round));
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(8, 40, round), 8);
		for (k = 0; k < 8; k++)
			ASSERT_OK(rx_is(0, 40, round + k));
	}
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 8300 * 8);
	ASSERT_EQ(vhu_vq__stats(vq(0))->packets, 8300 * 8);
	ASSERT_EQ(used_idx(dq(1)), (uint16_t)(8300 * 8));
}

/* RX into one indirect table of three 100-byte writable buffers: a 250-byte
 * frame (plus the 12-byte header) spreads over all three. */
static int rx_indirect_three(void)
{
	struct vdrv_buf b[3];
	uint32_t len = 0;
	unsigned int k;

	for (k = 0; k < 3; k++)
		b[k] = (struct vdrv_buf){ .gpa = galloc(100), .len = 100 };
	CHECK(vdrv_vq_add(dq(0), b, 0, 3, true, NULL) >= 0, "vdrv_vq_add");
	vdrv_vq_publish(dq(0));
	CHECK(rx(1, 250, 51) == 1, "frame not delivered");
	CHECK(vdrv_vq_get_used(dq(0), NULL, &len) == 1, "no used entry");
	CHECK(len == 262, "used length %u, want 262", len);
	for (k = 0; k < 3; k++)
		CHECK(gcopy(b[k].gpa, got + 100 * k, 100, false) == 0, "gcopy");
	fill(frame, 250, 51);
	CHECK(!memcmp(got + 12, frame, 250), "frame differs");
	return 0;
}

/* RX into one chain of three writable buffers; TX chain with a trailing
 * writable buffer (ignored for TX). */
static void test_split_chains(void)
{
	static const uint32_t blen[] = { 40, 100, 3000 };
	struct vdrv_buf b[3];
	uint32_t len, off = 0;
	uint8_t hdr[12];
	int k;

	ASSERT_OK(start(F_V1, 16));
	for (k = 0; k < 3; k++)
		b[k] = (struct vdrv_buf){ .gpa = galloc(blen[k]), .len = blen[k] };
	ASSERT_TRUE(vdrv_vq_add(dq(0), b, 0, 3, false, NULL) >= 0);
	vdrv_vq_publish(dq(0));
	ASSERT_EQ(rx(1, 1000, 4), 1);
	ASSERT_EQ(vdrv_vq_get_used(dq(0), NULL, &len), 1);
	ASSERT_EQ(len, 1012);
	for (k = 0; k < 3 && off < len; k++) {
		uint32_t c = len - off < blen[k] ? len - off : blen[k];

		ASSERT_OK(gcopy(b[k].gpa, got + off, c, false));
		off += c;
	}
	memcpy(hdr, got, 12);
	ASSERT_EQ(hdr[10] | hdr[11] << 8, 1);
	fill(frame, 1000, 4);
	ASSERT_TRUE(!memcmp(got + 12, frame, 1000));

	b[0] = (struct vdrv_buf){ .gpa = galloc(512), .len = 12 + 300 };
	b[1] = (struct vdrv_buf){ .gpa = galloc(64), .len = 64 };
	memset(hdr, 0, sizeof(hdr));
	ASSERT_OK(gcopy(b[0].gpa, hdr, 12, true));
	fill(frame, 300, 5);
	ASSERT_OK(gcopy(b[0].gpa + 12, frame, 300, true));
	ASSERT_TRUE(vdrv_vq_add(dq(1), b, 1, 1, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_OK(tx_expect(1, 300, 5));
	ASSERT_EQ(vdrv_vq_get_used(dq(1), NULL, &len), 1);
	ASSERT_EQ(len, 0);
}

static void test_split_indirect(void)
{
	struct vdrv_tx_opts o = { .nsegs = 4, .indirect = true, .hdr_alone = true };
	int k;

	ASSERT_OK(start(F_V1 | F_IND, 16));
	for (k = 1; k <= 16; k *= 2) {
		ASSERT_OK(tx(1500, k, k, true));
		ASSERT_OK(tx_expect(1, 1500, k));
	}
	fill(frame, 900, 50);
	ASSERT_OK(vdrv_net_tx_opts(&fx.d, 0, frame, 900, &o));
	ASSERT_OK(tx_expect(1, 900, 50));
	/* RX: an indirect table of three writable buffers */
	ASSERT_OK(rx_indirect_three());
}

/* Mergeable RX: a frame spreads over several buffers; out of buffers the
 * chains are given back untouched. Split and packed. */
static void test_mrg_rx(void)
{
	int packed;

	for (packed = 0; packed < 2; packed++) {
		ASSERT_OK(start(F_V1 | F_MRG | (packed ? F_PACKED : 0), 16));
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(1, 1000, 1), 1);	/* 1012 bytes: four buffers */
		ASSERT_OK(rx_is(0, 1000, 1));
		ASSERT_EQ(rx_nbufs(), 4);
		ASSERT_EQ(rx_lens(0, 2, (uint32_t[]){ 100, 500 }, 2, 1), 2);
		ASSERT_OK(rx_is(0, 100, 2));
		ASSERT_EQ(rx_nbufs(), 1);
		ASSERT_OK(rx_is(0, 500, 3));
		ASSERT_EQ(rx_nbufs(), 2);
		/* one buffer left: a 2000-byte frame waits for more */
		ASSERT_EQ(rx(1, 2000, 4), 0);
		ASSERT_EQ(vhu_vq__stats(vq(0))->drop_no_buffers, 1);
		ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &(uint32_t){ 0 }), 0);
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(1, 2000, 5), 1);
		ASSERT_OK(rx_is(0, 2000, 5));
		ASSERT_EQ(rx_nbufs(), 8);
		ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_big, 0);
		fx_stop();
	}
}

/* Mergeable RX where the burst takes the ring's last buffer in the middle of
 * a frame: that frame is out of buffers, its chains stay available. */
static void test_mrg_ring_exhausted(void)
{
	const struct vhu_vq_stats *st;
	int packed;

	for (packed = 0; packed < 2; packed++) {
		ASSERT_OK(start(F_V1 | F_MRG | (packed ? F_PACKED : 0), 8));
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 256), 8);
		ASSERT_EQ(rx(3, 700, 1), 2);	/* 712 bytes: three buffers each */
		st = vhu_vq__stats(vq(0));
		ASSERT_EQ(st->drop_no_buffers, 1);
		ASSERT_EQ(st->drop_too_big, 0);
		ASSERT_OK(rx_is(0, 700, 1));
		ASSERT_OK(rx_is(0, 700, 2));
		ASSERT_EQ(vdrv_net_rx_get(&fx.d, 0, got, sizeof(got), &(uint32_t){ 0 }), 0);
		ASSERT_EQ(rx(1, 400, 9), 1);	/* the two buffers left still work */
		ASSERT_OK(rx_is(0, 400, 9));
		ASSERT_EQ(rx_nbufs(), 2);
		fx_stop();
	}
}

/* Without MRG_RXBUF a frame larger than the buffer is dropped and counted; the
 * buffer is used empty so the ring moves on. */
static void test_no_mrg_too_big(void)
{
	int id;
	uint32_t len;

	ASSERT_OK(start(F_V1, 16));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 1024), 4);
	ASSERT_EQ(rx_lens(0, 3, (uint32_t[]){ 100, 1500, 200 }, 0, 1), 2);
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_big, 1);
	ASSERT_OK(rx_is(0, 100, 0));
	ASSERT_EQ(vdrv_vq_get_used_id(dq(0), &id, NULL, &len), 1);
	ASSERT_EQ(len, 0);
	ASSERT_OK(rx_is(0, 200, 2));
	ASSERT_EQ(rx(1, VHU_MAX_FRAME + 1, 3), 0);	/* takes no buffer */
	ASSERT_EQ(vhu_vq__stats(vq(0))->drop_too_big, 2);
	ASSERT_EQ(rx(1, 1012, 4), 1);			/* exactly 1024 with the header */
	ASSERT_OK(rx_is(0, 1012, 4));
}

/* ---- notifications ----------------------------------------------------------- */

static void test_call_once_per_burst(void)
{
	int packed, k;

	for (packed = 0; packed < 2; packed++) {
		ASSERT_OK(start(F_V1 | (packed ? F_PACKED : 0), 16));
		efd_take(dq(0)->call_fd);
		efd_take(dq(1)->call_fd);
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
		ASSERT_EQ(rx(8, 100, 0), 8);
		ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
		ASSERT_EQ(vhu_vq__stats(vq(0))->calls, 1);
		for (k = 0; k < 8; k++)
			ASSERT_OK(tx(100, k, 2, false));
		ASSERT_OK(tx_expect(8, 100, 0));
		ASSERT_EQ(efd_take(dq(1)->call_fd), 1);
		ASSERT_EQ(vhu_vq__stats(vq(1))->calls, 1);
		ASSERT_EQ(run_tx(), 0);			/* nothing used: no interrupt */
		ASSERT_EQ(efd_take(dq(1)->call_fd), 0);
		fx_stop();
	}
}

/* Split without event index: avail->flags NO_INTERRUPT. */
static void test_split_no_interrupt_flag(void)
{
	ASSERT_OK(start(F_V1, 16));
	efd_take(dq(0)->call_fd);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	vdrv_vq_disable_cb(dq(0), true);
	ASSERT_EQ(rx(1, 100, 0), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
	ASSERT_EQ(vhu_vq__stats(vq(0))->calls_suppressed, 1);
	vdrv_vq_disable_cb(dq(0), false);
	ASSERT_EQ(rx(1, 100, 1), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	ASSERT_EQ(vhu_vq__stats(vq(0))->calls, 1);
}

/* Split with event index: an interrupt only when used->idx passes used_event. */
static void test_split_event_idx(void)
{
	const struct vhu_vq_stats *st;
	int k;

	ASSERT_OK(start(F_V1 | F_EVT, 16));
	st = vhu_vq__stats(vq(0));
	efd_take(dq(0)->call_fd);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 12, 2048), 12);
	ASSERT_EQ(rx(1, 100, 0), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	vdrv_vq_set_used_event(dq(0), 4);	/* notify when entry 4 is used */
	for (k = 1; k < 4; k++) {
		ASSERT_EQ(rx(1, 100, k), 1);
		ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
	}
	ASSERT_EQ(st->calls_suppressed, 3);
	ASSERT_EQ(rx(1, 100, 4), 1);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	vdrv_vq_set_used_event(dq(0), 6);	/* passed inside one burst of three */
	ASSERT_EQ(rx(3, 100, 5), 3);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	ASSERT_EQ(rx(1, 100, 8), 1);		/* 6 is behind: quiet */
	ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
	ASSERT_EQ(st->calls, 3);
	for (k = 0; k < 9; k++)
		ASSERT_OK(rx_is(0, 100, k));
}

/* Packed with event index: the event offset and its wrap counter. */
static void test_packed_event_idx(void)
{
	const struct vhu_vq_stats *st;
	int k;

	ASSERT_OK(start(F_V1 | F_EVT | F_PACKED, 8));
	st = vhu_vq__stats(vq(0));
	efd_take(dq(0)->call_fd);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_EQ(rx(1, 100, 0), 1);			/* position 0 */
	ASSERT_EQ(efd_take(dq(0)->call_fd), 1);
	vdrv_vq_set_used_event(dq(0), 3 | 1u << VDRV_WRAP_BIT);
	for (k = 1; k < 4; k++) {
		ASSERT_EQ(rx(1, 100, k), 1);
		ASSERT_EQ(efd_take(dq(0)->call_fd), k == 3);
	}
	for (k = 0; k < 4; k++)
		ASSERT_OK(rx_is(0, 100, k));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 4, 2048), 4);
	/* position 1 of the next lap (wrap counter 0) */
	vdrv_vq_set_used_event(dq(0), 1);
	for (k = 4; k < 10; k++) {
		ASSERT_EQ(rx(1, 100, k), 1);
		ASSERT_EQ(efd_take(dq(0)->call_fd), k == 9);
	}
	ASSERT_EQ(st->calls, 3);
	ASSERT_EQ(st->calls_suppressed, 7);
	for (k = 4; k < 10; k++)
		ASSERT_OK(rx_is(0, 100, k));
	/* DISABLE: never */
	vdrv_vq_disable_cb(dq(0), true);
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 2, 2048), 2);
	ASSERT_EQ(rx(2, 100, 10), 2);
	ASSERT_EQ(efd_take(dq(0)->call_fd), 0);
}

/* Kick suppression (vhu_vq__notify_enable) as the guest sees it. */
static void test_kick_suppression(void)
{
	static const uint64_t feat[] = { F_V1, F_V1 | F_EVT, F_V1 | F_PACKED };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		int kfd;

		ASSERT_OK(start(feat[i], 16));
		kfd = dq(1)->kick_fd;
		efd_take(kfd);
		ASSERT_TRUE(!vhu_vq__notify_enable(vq(1), false));
		if (!(feat[i] & F_EVT)) {
			/* off: the guest does not kick */
			ASSERT_OK(tx(60, 0, 1, false));
			ASSERT_EQ(efd_take(kfd), 0);
			/* on with work pending: the caller must not sleep */
			ASSERT_TRUE(vhu_vq__notify_enable(vq(1), true));
			ASSERT_OK(tx_expect(1, 60, 0));
		} else {
			/* event index: the first frame after enabling kicks,
			 * the next one does not until we re-enable */
			ASSERT_TRUE(!vhu_vq__notify_enable(vq(1), true));
			ASSERT_OK(tx(60, 0, 1, false));
			ASSERT_EQ(efd_take(kfd), 1);
			ASSERT_OK(tx(60, 1, 1, false));
			ASSERT_EQ(efd_take(kfd), 0);
			ASSERT_OK(tx_expect(2, 60, 0));
		}
		ASSERT_TRUE(!vhu_vq__notify_enable(vq(1), true));
		ASSERT_OK(tx(60, 2, 1, false));
		ASSERT_EQ(efd_take(kfd), 1);
		ASSERT_OK(tx_expect(1, 60, 2));
		fx_stop();
	}
}

/* ---- packed ring data path ------------------------------------------------------ */

static void test_packed_tx_rx(void)
{
	static const uint32_t lens[] = { 60, 1514, 2036 };
	unsigned int k;

	ASSERT_OK(start(F_V1 | F_PACKED, 16));
	ASSERT_TRUE(vhu_vq__packed(vq(0)) && vhu_vq__packed(vq(1)));
	for (k = 0; k < 3; k++)
		ASSERT_OK(tx(lens[k], k, 1 + k, false));
	ASSERT_TRUE(vhu_vq__has_work(vq(1)));
	ASSERT_EQ(deq(VHU_BURST), 3);
	for (k = 0; k < 3; k++)
		ASSERT_OK(pkt_is(&pkts[k], lens[k], k));
	vhu_vq__dequeue_done(vq(1));
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 3);
	ASSERT_TRUE(!vhu_vq__has_work(vq(1)));
	ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 8, 2048), 8);
	ASSERT_EQ(rx_lens(0, 3, lens, 10, 2), 3);
	for (k = 0; k < 3; k++) {
		ASSERT_OK(rx_is(0, lens[k], 10 + k));
		ASSERT_EQ(rx_nbufs(), 1);
	}
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 3);
	ASSERT_EQ(vhu_vq__stats(vq(0))->packets, 3);
}

/* A ring of 10 (packed sizes need not be powers of two): chains of three
 * descriptors straddle the end, the wrap counters flip each lap. */
static void test_packed_wrap(void)
{
	int round, k;

	ASSERT_OK(start(F_V1 | F_PACKED, 10));
	for (round = 0; round < 30; round++) {
		for (k = 0; k < 3; k++)
			ASSERT_OK(tx(80 + round, round * 4 + k, 3, false));
		ASSERT_OK(tx_expect(3, 80 + round, round * 4));
	}
	for (round = 0; round < 30; round++) {
		ASSERT_EQ(vdrv_net_rx_post(&fx.d, 0, 7, 2048), 7);
		ASSERT_EQ(rx(7, 90 + round, round * 8), 7);
		for (k = 0; k < 7; k++)
			ASSERT_OK(rx_is(0, 90 + round, round * 8 + k));
	}
	ASSERT_EQ(vhu_vq__stats(vq(1))->packets, 90);
	ASSERT_EQ(vhu_vq__stats(vq(0))->packets, 210);
}

static void test_packed_indirect(void)
{
	int k;

	ASSERT_OK(start(F_V1 | F_IND | F_PACKED, 8));
	for (k = 1; k <= 8; k *= 2) {
		ASSERT_OK(tx(1500, k, k, true));
		ASSERT_OK(tx_expect(1, 1500, k));
	}
	ASSERT_OK(rx_indirect_three());
}

/* ---- GET_VRING_BASE / SET_VRING_BASE ------------------------------------------ */

static void test_vring_base_restart(void)
{
	int packed, k;

	for (packed = 0; packed < 2; packed++) {
		struct vdrv_vring_state st = { .index = 1 };
		uint64_t kick = 1;

		ASSERT_OK(start(F_V1 | (packed ? F_PACKED : 0), 8));
		for (k = 0; k < 6; k++)
			ASSERT_OK(tx(100, k, 1, false));
		ASSERT_OK(tx_expect(6, 100, 0));
		for (k = 6; k < 11; k++)
			ASSERT_OK(tx(100, k, 1, false));
		ASSERT_OK(tx_expect(5, 100, 6));
		ASSERT_TRUE(vdrv_net_tx_reap(&fx.d, 0) > 0);
		ASSERT_TRUE(fx.qready & 2);
		ASSERT_OK(req_get(VDRV_REQ_GET_VRING_BASE, &st, sizeof(st), &st, sizeof(st)));
		ASSERT_EQ(st.index, 1);
		/* split: the free-running index; packed: 11 % 8, wrap counter now 0 */
		ASSERT_EQ(st.num, packed ? 3 : 11);
		ASSERT_EQ(st.num, vdrv_vq_base(dq(1)) & 0xffff);
		ASSERT_TRUE(!vhu_vq__ready(vq(1)));
		ASSERT_TRUE(!(fx.qready & 2));
		ASSERT_TRUE(vhu_vq__ready(vq(0)));
		/* stopped: what the guest sends now waits */
		for (k = 11; k < 13; k++)
			ASSERT_OK(tx(100, k, 2, false));
		ASSERT_EQ(run_tx(), 0);
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_BASE, &st, sizeof(st), NULL, 0), 0);
		ASSERT_EQ(req_ack(VDRV_REQ_SET_VRING_KICK, &kick, sizeof(kick), &dq(1)->kick_fd,
				  1), 0);
		ASSERT_TRUE(vhu_vq__ready(vq(1)));
		ASSERT_TRUE(fx.qready & 2);
		ASSERT_OK(tx_expect(2, 100, 11));
		ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 2);
		fx_stop();
	}
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
	uint8_t hdr[12] = { 0 };
	uint32_t len;

	ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, MEM_GPA, MEM_SIZE));
	ASSERT_OK(vdrv_mem_add_region(&fx.d.mem, edge, 1 << 20));
	ASSERT_OK(start(F_V1 | F_IND, 16));
	/* TX: header, then 300 bytes of which 100 are in the first region */
	b[0] = (struct vdrv_buf){ .gpa = galloc(12), .len = 12 };
	b[1] = (struct vdrv_buf){ .gpa = edge - 100, .len = 300 };
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
	b[0] = (struct vdrv_buf){ .gpa = edge - 50, .len = 400 };
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
#define TX_HOSTILE(name, feat, head, why, ...)           \
	static void name(void)                           \
	{                                                \
		struct vdrv_vq *q;                       \
							 \
		ASSERT_OK(start(F_V1 | (feat), 16));     \
		q = dq(1);                               \
		{ __VA_ARGS__ }                          \
		ASSERT_OK(tx_breaks(head, why));         \
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
		b[i] = (struct vdrv_buf){ .gpa = big, .len = (uint32_t)seg + (i == 63 ? 32 : 0) };
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
		b[i] = (struct vdrv_buf){ .gpa = galloc(30), .len = 30 };
	ASSERT_TRUE(vdrv_vq_add(dq(1), b, 70, 0, false, NULL) >= 0);
	vdrv_vq_publish(dq(1));
	ASSERT_EQ(run_tx(), 0);
	ASSERT_EQ(vhu_vq__stats(vq(1))->drop_too_many_segs, 1);
	ASSERT_EQ(vdrv_net_tx_reap(&fx.d, 0), 1);
	/* RX: 80 buffers of 16 bytes hold 1212 bytes, 64 of them only 1024 */
	base = galloc(80 * 16);
	for (i = 0; i < 80; i++)
		b[i] = (struct vdrv_buf){ .gpa = base + 16 * i, .len = 16 };
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

/* ---- malformed messages --------------------------------------------------------- */

static void test_msg_truncated_header(void)
{
	uint32_t h[2] = { VDRV_REQ_GET_FEATURES, VDRV_MSG_VERSION };
	int efd;

	ASSERT_OK(start(F_V1, 16));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_OK(send_fds(h, 6, &efd, 1));
	shutdown(fx.fe, SHUT_WR);
	ASSERT_OK(expect_closed(vhu_dev__dispatch(fx.dev), "truncated message header"));
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
	ASSERT_OK(vdrv_msg_send_raw(fx.fe, VDRV_REQ_SET_FEATURES, VDRV_MSG_VERSION, 8, &v, 4,
				    &efd, 1));
	shutdown(fx.fe, SHUT_WR);
	ASSERT_OK(expect_closed(vhu_dev__dispatch(fx.dev), "payload truncated"));
	ASSERT_OK(no_new_fds());
	close(efd);
}

static void test_msg_payload_size_wrong(void)
{
	struct vdrv_mem_table t = { .nregions = 1 };
	uint32_t st[4] = { 1, 16 };	/* a vring state with 4 bytes too many */
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
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_FEATURES, 0, &v, 2, NULL, 0),
				"payload of 2 bytes"));
}

static void test_msg_payload_too_big(void)
{
	uint8_t p[512] = { 0 };

	ASSERT_OK(fx_start(&base_cfg));
	ASSERT_OK(expect_closed(req(VDRV_REQ_SET_MEM_TABLE, VDRV_MSG_NEED_REPLY, p, sizeof(p),
				    NULL, 0), "512-byte payload (max 264)"));
	/* the device takes a new frontend */
	ASSERT_OK(fx_reconnect(&base_cfg));
	ASSERT_OK(usable());
}

static void test_msg_unknown_request(void)
{
	static const uint32_t ids[] = { 0, VDRV_REQ_SET_LOG_BASE, VDRV_REQ_SET_CONFIG, 41, 99,
					0xffffffff };
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
	struct vdrv_vring_state en = { .index = 0, .num = 1 };
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
	struct vdrv_vring_state st = { .index = 3, .num = 16 };
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
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_ADDR, &(struct vdrv_vring_addr){ .index = 0x10001 },
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
	static const uint32_t bad[] = { 0, 7, 100, 65536, 0x80000000 };
	struct vdrv_vring_state st = { .index = 2 };	/* the unused control queue */
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
	st = (struct vdrv_vring_state){ .index = 1, .num = 32 };
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_VRING_NUM, &st, sizeof(st), NULL, 0) > 0);
	ASSERT_TRUE(log_has("while the ring runs"));
	ASSERT_EQ(vhu_vq__size(vq(1)), 16);
	ASSERT_OK(usable());
}

/* One SET_MEM_TABLE with NEED_REPLY; the payload holds @n region slots. */
static int mem_req(const struct vdrv_mem_region_desc *r, uint32_t nregions, uint32_t n,
		   const int *fds, int nfds)
{
	struct vdrv_mem_table t = { .nregions = nregions };
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
	g = m->gpa + m->size;	/* free guest-physical space after the region */
	efd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < 8; i++) {
		fds[i] = m->fd;
		r[i] = (struct vdrv_mem_region_desc){ .gpa = g + (i << 20), .size = 1 << 20,
						      .uva = 0x100000000ull * (i + 1) };
	}
	r[8] = r[7];
	ASSERT_OK(fd_snap(fds_before));
	ASSERT_TRUE(mem_req(r, 0, 0, NULL, 0) > 0);
	ASSERT_TRUE(log_has("0 regions"));
	ASSERT_TRUE(mem_req(r, 9, 8, fds, 8) > 0);	/* 9 regions in room for 8 */
	ASSERT_TRUE(log_has("9 regions in a 264-byte payload"));
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 1) > 0);
	ASSERT_TRUE(log_has("2 regions but 1 file descriptors"));
	ASSERT_TRUE(mem_req(r, 1, 1, fds, 2) > 0);
	r[1].gpa = g + 4096;				/* overlapping guest-physical */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("regions 0 and 1 overlap"));
	r[1].gpa = g + (1 << 20);
	r[1].uva = r[0].uva + 4096;			/* overlapping user addresses */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	r[1].uva = 0x200000000ull;
	r[1].gpa = 0xfffffffffff00000ull;		/* gpa + size wraps */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("overflows"));
	r[1].gpa = g + (1 << 20);
	r[1].mmap_offset = ~0ull - 4096;		/* mmap_offset + size wraps */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	r[1].mmap_offset = MEM_SIZE;			/* past the end of the file */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("smaller than offset+size"));
	r[1].mmap_offset = 0;
	r[1].size = 0;
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	r[1].size = 1 << 20;
	fds[1] = efd;					/* an fd that cannot be mapped */
	ASSERT_TRUE(mem_req(r, 2, 2, fds, 2) > 0);
	ASSERT_TRUE(log_has("mmap of"));
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
	r = (struct vdrv_mem_region_desc){ .gpa = m->gpa, .size = m->size, .uva = m->uva };
	ASSERT_EQ(mem_req(&r, 1, 1, &m->fd, 1), 0);
	ASSERT_OK(usable());
}

static void test_msg_features_not_offered(void)
{
	uint64_t f;

	ASSERT_OK(start(F_V1, 16));
	f = fx.d.features | VDRV_BIT(VDRV_NET_F_CSUM);
	ASSERT_TRUE(req_ack(VDRV_REQ_SET_FEATURES, &f, sizeof(f), NULL, 0) > 0);
	ASSERT_TRUE(log_has("asks for bits we did not offer"));
	ASSERT_EQ(vhu_dev__features(fx.dev), fx.d.features);
	f = VDRV_BIT(VDRV_PROTOCOL_F_LOG_SHMFD);
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
	f = fx.d.features;	/* the same features again are fine */
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
	struct vdrv_vring_state st = { .index = 2, .num = 16 };
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
	uint32_t h[3] = { VDRV_REQ_SET_OWNER, VDRV_MSG_VERSION, 0 };
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
	struct vdrv_vring_state st = { .index = 1, .num = 16 };
	struct vdrv_vring_addr a = { .index = 1 };
	uint64_t u = 1 | NOFD, end;
	struct vdrv_vq *q = dq(1);
	const struct vdrv_region *m;
	int i;

	c.nvqs = 1;	/* only rx0 comes up; tx0 by hand below */
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
			a.desc = 0x1000;		/* nowhere */
		else if (i == 1)
			a.desc = end - 8 * 16;		/* 8 of 16 descriptors inside */
		else if (i == 2)
			a.used = end - 4 - 8 * 16;	/* used ring without avail_event */
		else
			a.desc += 8;			/* misaligned */
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

#define RUN(fn)                 \
	do {                    \
		RUN_TEST(fn);   \
		fx_stop();      \
	} while (0)

int main(void)
{
	RUN(test_handshake);
	RUN(test_handshake_single_pair);
	RUN(test_handshake_legacy);
	RUN(test_reply_ack);
	RUN(test_no_reply_ack);
	RUN(test_net_mtu_limit);
	RUN(test_split_tx_single_seg);
	RUN(test_split_tx_multi_seg);
	RUN(test_split_rx);
	RUN(test_split_rx_try);
	RUN(test_split_wrap);
	RUN(test_split_index_wrap);
	RUN(test_split_chains);
	RUN(test_split_indirect);
	RUN(test_mrg_rx);
	RUN(test_mrg_ring_exhausted);
	RUN(test_no_mrg_too_big);
	RUN(test_call_once_per_burst);
	RUN(test_split_no_interrupt_flag);
	RUN(test_split_event_idx);
	RUN(test_packed_event_idx);
	RUN(test_kick_suppression);
	RUN(test_packed_tx_rx);
	RUN(test_packed_wrap);
	RUN(test_packed_indirect);
	RUN(test_vring_base_restart);
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
	if (fx.stop_fd >= 0)
		close(fx.stop_fd);
	TEST_EXIT();
}
