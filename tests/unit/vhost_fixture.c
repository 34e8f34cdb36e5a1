// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test_vhost_*.c fixture (see vhost_fixture.h): the device and its
 * backend thread, the guest, and the helpers more than one binary uses.
 * Helpers one binary alone uses live in that binary's file.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vhost_fixture.h"

struct fixture fx = {.fe = -1, .stop_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};
const struct fx_cfg base_cfg = {.want = F_V1 | F_IND, .proto = P_ACK, .qsize = 16};

static void on_log(void *ctx, enum vhu_log_level level, const char *line)
{
	struct fixture *f = ctx;
	size_t n = strlen(line);

	pthread_mutex_lock(&f->lock);
	if (f->loglen + n + 2 > sizeof(f->log))
		f->loglen = 0; /* keep the newest lines */
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

static void on_quiesce(void *ctx, struct vhu_dev *dev)
{
	struct fixture *f = ctx;

	(void)dev;
	if (f->on_quiesce)
		f->on_quiesce();
}

static void on_kick_fd(void *ctx, struct vhu_dev *dev, unsigned int qidx, int fd, bool add)
{
	struct fixture *f = ctx;
	char ev[32];
	size_t n;

	(void)dev;
	snprintf(ev, sizeof(ev), "%c%u:%d ", add ? '+' : '-', qidx, fd);
	pthread_mutex_lock(&f->lock);
	n = strlen(f->kicks);
	if (n + strlen(ev) < sizeof(f->kicks))
		strcat(f->kicks, ev);
	pthread_mutex_unlock(&f->lock);
}

static void on_send_rarp(void *ctx, struct vhu_dev *dev, const uint8_t mac[6])
{
	struct fixture *f = ctx;

	(void)dev, (void)mac;
	__atomic_fetch_add(&f->rarps, 1, __ATOMIC_RELAXED);
}

static const struct vhu_ops ops = {.log = on_log, .queue_state = on_queue_state,
				   .quiesce = on_quiesce, .kick_fd = on_kick_fd,
				   .send_rarp = on_send_rarp};

bool log_has(const char *s)
{
	bool r;

	pthread_mutex_lock(&fx.lock);
	r = strstr(fx.log, s) != NULL;
	pthread_mutex_unlock(&fx.lock);
	return r;
}

void log_clear(void)
{
	pthread_mutex_lock(&fx.lock);
	fx.loglen = 0;
	fx.log[0] = 0;
	pthread_mutex_unlock(&fx.lock);
}

/* The backend's control thread while vdrv_dev_start() waits for replies. */
static void *backend_main(void *arg)
{
	struct pollfd p[2] = {{.fd = vhu_dev__conn_fd(fx.dev), .events = POLLIN},
			      {.fd = fx.stop_fd, .events = POLLIN}};

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

int fx_new(const struct fx_cfg *c)
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
int fx_connect(const struct fx_cfg *c)
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

int fx_start(const struct fx_cfg *c)
{
	int err = fx_new(c);

	return err ? err : fx_connect(c);
}

int start(uint64_t want, uint16_t qsize)
{
	struct fx_cfg c = base_cfg;

	c.want = want;
	c.qsize = qsize;
	return fx_start(&c);
}

/* The frontend goes away and comes back with a fresh guest. */
int fx_reconnect(const struct fx_cfg *c)
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
void fx_stop(void)
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
	fx.on_quiesce = NULL;
	fx.kicks[0] = 0;
	fx.rarps = 0;
	log_clear();
}

/* ---- helpers ------------------------------------------------------------- */

struct vhu_pkt pkts[VHU_BURST];
struct vhu_seg segs[VHU_BURST * VHU_MAX_SEGS];
uint8_t frame[VHU_MAX_FRAME + 64], got[VHU_MAX_FRAME + 64];
static uint8_t pool[192 * 1024];

struct vhu_vq *vq(unsigned int i)
{
	return vhu_dev__vq(fx.dev, i);
}

struct vdrv_vq *dq(int i)
{
	return &fx.d.vq[i];
}

void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* A dequeued frame must be exactly fill(len, seed), its segments summing to len. */
int pkt_is(const struct vhu_pkt *p, uint32_t len, uint32_t seed)
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
int tx(uint32_t len, uint32_t seed, int nsegs, bool indirect)
{
	fill(frame, len, seed);
	return vdrv_net_tx(&fx.d, 0, frame, len, nsegs, indirect);
}

unsigned int deq(unsigned int n)
{
	return vhu_vq__dequeue_burst(vq(1), pkts, segs, n);
}

unsigned int run_tx(void)
{
	unsigned int n = deq(VHU_BURST);

	vhu_vq__dequeue_done(vq(1));
	return n;
}

/* Dequeue exactly @n frames fill(len, seed + k) and give the chains back. */
int tx_expect(unsigned int n, uint32_t len, uint32_t seed)
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
bool rx_try;

/* Enqueue @n frames on vq @vqi, frame k = fill(lens[k], seed + k), each
 * given to the library as @nsegs host segments. */
unsigned int rx_lens(unsigned int vqi, unsigned int n, const uint32_t *lens, uint32_t seed,
		     unsigned int nsegs)
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

			s[k * 4 + j] = (struct vhu_seg){.base = pool + off + done, .len = l};
			done += l;
		}
		p[k] = (struct vhu_pkt){.segs = &s[k * 4], .nsegs = (uint16_t)nsegs, .len = len};
		off += len;
	}
	return rx_try ? vhu_vq__enqueue_try(vq(vqi), p, n) : vhu_vq__enqueue_burst(vq(vqi), p, n);
}

unsigned int rx(unsigned int n, uint32_t len, uint32_t seed)
{
	uint32_t lens[VHU_BURST];
	unsigned int k;

	for (k = 0; k < n; k++)
		lens[k] = len;
	return rx_lens(0, n, lens, seed, 1);
}

/* The guest reads one frame on pair @q: it must be fill(len, seed). */
int rx_is(int q, uint32_t len, uint32_t seed)
{
	uint32_t n = 0;
	int r = vdrv_net_rx_get(&fx.d, q, got, sizeof(got), &n);

	CHECK(r == 1, "vdrv_net_rx_get: %d", r);
	CHECK(n == len, "received %u bytes, want %u", n, len);
	fill(frame, len, seed);
	CHECK(!memcmp(got, frame, len), "received frame %u differs", seed);
	return 0;
}

uint16_t rx_nbufs(void)
{
	uint16_t v;

	memcpy(&v, fx.d.rx_hdr + 10, sizeof(v));
	return le16toh(v);
}

uint16_t used_idx(struct vdrv_vq *q)
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
int gcopy(uint64_t gpa, void *buf, uint32_t len, bool to_guest)
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

void setd(struct vdrv_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void spost(struct vdrv_vq *q, uint16_t head)
{
	((struct vdrv_avail *)q->avail)->ring[q->avail_idx & (q->size - 1)] = htole16(head);
	q->avail_idx++;
	vdrv_vq_publish(q);
}

uint64_t galloc(uint32_t len)
{
	return vdrv_alloc(&fx.d.mem, len, 64);
}

/* Send one message and let the backend (this thread) handle it. */
int req(uint32_t rq, uint32_t flags, const void *p, uint32_t size, const int *fds, int nfds)
{
	int err = vdrv_msg_send(fx.fe, rq, VDRV_MSG_VERSION | flags, p, size, fds, nfds);

	return err ? err : vhu_dev__dispatch(fx.dev);
}

/* With NEED_REPLY: the REPLY_ACK value (0 done, > 0 refused) or -errno. */
int req_ack(uint32_t rq, const void *p, uint32_t size, const int *fds, int nfds)
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
int req_get(uint32_t rq, const void *p, uint32_t size, void *out, uint32_t outsize)
{
	uint32_t r, fl, sz = outsize;
	int err = req(rq, 0, p, size, NULL, 0);

	if (!err)
		err = vdrv_msg_recv(fx.fe, &r, &fl, out, &sz, 1000);
	if (err)
		return err;
	return r == rq && sz == outsize && (fl & VDRV_MSG_REPLY) ? 0 : -EPROTO;
}

/* The device still answers and still forwards a frame on tx0. */
int usable(void)
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
int expect_closed(int rc, const char *why)
{
	struct pollfd p = {.fd = fx.fe, .events = POLLIN};
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

/* RX into one indirect table of three 100-byte writable buffers: a 250-byte
 * frame (plus the 12-byte header) spreads over all three. */
int rx_indirect_three(void)
{
	struct vdrv_buf b[3];
	uint32_t len = 0;
	unsigned int k;

	for (k = 0; k < 3; k++)
		b[k] = (struct vdrv_buf){.gpa = galloc(100), .len = 100};
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

void fx_free(void)
{
	if (fx.stop_fd >= 0)
		close(fx.stop_fd);
	fx.stop_fd = -1;
}
