// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device life cycle and the unix socket: listen/accept (server mode),
 * connect (client mode; the embedder retries), reading one message with its
 * file descriptors (SCM_RIGHTS), sending replies, and resetting everything a
 * connection created when it ends. Also the log helper and accessors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "vhu_internal.h"

static uint64_t mono_s(void)
{
	return vhu_now_ns() / 1000000000ull;
}

/* Every line but debug is something a hostile peer can make us print (a
 * refused message, a feature change, a reconnect): at most VHU_LOG_BURST
 * of them per device per window; the rest are counted and
 * the count is logged when the window ends (vhu_dev__tick). May run on a
 * data-path thread (a broken ring), hence the atomics. */
static bool log_allowed(struct vhu_dev *dev, enum vhu_log_level level)
{
	uint64_t now, start;

	if (level > VHU_LOG_INFO)
		return true; /* debug lines are off unless asked for */
	now = mono_s();
	start = __atomic_load_n(&dev->log_window, __ATOMIC_RELAXED);
	if (now - start >= VHU_LOG_WINDOW_S &&
	    __atomic_compare_exchange_n(&dev->log_window, &start, now, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		__atomic_store_n(&dev->log_lines, 0, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&dev->log_lines, 1, __ATOMIC_RELAXED) < VHU_LOG_BURST)
		return true;
	__atomic_fetch_add(&dev->log_dropped, 1, __ATOMIC_RELAXED);
	return false;
}

static void log_line(struct vhu_dev *dev, enum vhu_log_level level, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "%s: ", dev->name);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	dev->ops->log(dev->ctx, level, line);
}

void vhu_log(struct vhu_dev *dev, enum vhu_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!dev->ops || !dev->ops->log || !log_allowed(dev, level))
		return;
	va_start(ap, fmt);
	log_line(dev, level, fmt, ap);
	va_end(ap);
}

/* Past the rate limit: what vhu_dev__tick() reports. */
static void log_always(struct vhu_dev *dev, enum vhu_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!dev->ops || !dev->ops->log)
		return;
	va_start(ap, fmt);
	log_line(dev, level, fmt, ap);
	va_end(ap);
}

void vhu_dev__tick(struct vhu_dev *dev)
{
	unsigned int dropped, region;
	uint64_t start = __atomic_load_n(&dev->log_window, __ATOMIC_RELAXED);

	region = (unsigned int)atomic_exchange(&dev->fault_region, 0);
	if (region == VHU_MAX_REGIONS + 1)
		log_always(dev, VHU_LOG_ERR,
			   "the dirty log shrank under its mapping (access at %#llx raised "
			   "SIGBUS); device marked broken until the frontend sends a new memory "
			   "table or reconnects", (unsigned long long)atomic_load(&dev->fault_addr));
	else if (region)
		log_always(dev, VHU_LOG_ERR,
			   "guest memory region %u shrank under its mapping (access at %#llx "
			   "raised SIGBUS; the frontend truncated the file behind it); device "
			   "marked broken until the frontend sends a new memory table or "
			   "reconnects",
			   region - 1, (unsigned long long)atomic_load(&dev->fault_addr));
	if (mono_s() - start >= VHU_LOG_WINDOW_S) {
		dropped = __atomic_exchange_n(&dev->log_dropped, 0, __ATOMIC_RELAXED);
		if (dropped)
			log_always(dev, VHU_LOG_WARN,
				   "%u more line(s) in %d s not logged (rate limit: %d per %d s); "
				   "the frontend keeps sending messages, see the lines before", dropped, VHU_LOG_WINDOW_S, VHU_LOG_BURST,
				   VHU_LOG_WINDOW_S);
	}
	if (dev->rarp_dropped) {
		log_always(dev, VHU_LOG_WARN, "%u SEND_RARP request(s) not sent on (rate limit: "
			   "%d, then one a second)", dev->rarp_dropped, VHU_RARP_BURST);
		dev->rarp_dropped = 0;
	}
}

int vhu_dev__new(const struct vhu_dev_cfg *cfg, struct vhu_dev **out)
{
	struct vhu_dev *dev;
	unsigned int i;

	*out = NULL;
	if (!cfg->path || strlen(cfg->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	if (cfg->max_queue_pairs > VHU_MAX_QUEUE_PAIRS)
		return -ERANGE;
	dev = aligned_alloc(64, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", cfg->name ? cfg->name : cfg->path);
	snprintf(dev->path, sizeof(dev->path), "%s", cfg->path);
	dev->client = cfg->client;
	dev->listen_fd = -1;
	dev->conn_fd = -1;
	dev->ops = cfg->ops;
	dev->ctx = cfg->ctx;
	dev->max_queue_pairs = cfg->max_queue_pairs ? cfg->max_queue_pairs : 1;
	dev->offered = VHU_FEATURES_SUPPORTED &
		       (cfg->features_mask ? cfg->features_mask : ~0ull);
	/* MQ only means something with more than one pair to offer. */
	if (dev->max_queue_pairs == 1)
		dev->offered &= ~(1ull << VHU_F_MQ);
	dev->max_mtu = cfg->max_mtu ? cfg->max_mtu : 65535;
	for (i = 0; i < VHU_MAX_VQS; i++)
		vhu_vq_init(&dev->vq[i], dev, i);
	dev->log.guard = -1;
	*out = dev;
	return 0;
}

/* Everything a connection set up goes; what the embedder configured stays. */
static void reset_connection(struct vhu_dev *dev)
{
	unsigned int i;

	vhu_dev_pause(dev);
	for (i = 0; i < VHU_MAX_VQS; i++)
		vhu_vq_reset(&dev->vq[i]);
	vhu_mem_unmap(&dev->mem);
	vhu_log_unmap(&dev->log);
	dev->features = 0;
	dev->features_set = false;
	dev->protocol = 0;
	dev->owner = false;
	dev->broken = false;
	atomic_store(&dev->mem_lost, false);
	dev->status = 0;
	dev->mtu = 0;
	dev->nvqs = 0;
	while (dev->rx.nfds > 0)
		close(dev->rx.fds[--dev->rx.nfds]);
	dev->rx_got = 0;
	vhu_dev_publish(dev);
}

void vhu_dev__disconnect(struct vhu_dev *dev)
{
	if (dev->conn_fd < 0)
		return;
	close(dev->conn_fd);
	dev->conn_fd = -1;
	reset_connection(dev);
	vhu_log(dev, VHU_LOG_INFO, "frontend disconnected; device state freed");
	if (dev->ops && dev->ops->disconnected)
		dev->ops->disconnected(dev->ctx, dev);
}

void vhu_dev__free(struct vhu_dev *dev)
{
	if (!dev)
		return;
	vhu_dev__disconnect(dev);
	if (dev->listen_fd >= 0) {
		close(dev->listen_fd);
		unlink(dev->path);
	}
	free(dev);
}

static void fill_addr(const struct vhu_dev *dev, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, dev->path, strlen(dev->path));
}

int vhu_dev__listen(struct vhu_dev *dev)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	fill_addr(dev, &sa);
	/* A stale socket file from a previous run; never remove anything else. */
	if (!lstat(dev->path, &st) && S_ISSOCK(st.st_mode))
		unlink(dev->path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		err = -errno;
		vhu_log(dev, VHU_LOG_ERR, "cannot listen on %s: %s", dev->path, strerror(-err));
		close(fd);
		return err;
	}
	dev->listen_fd = fd;
	vhu_log(dev, VHU_LOG_INFO, "listening on %s", dev->path);
	return fd;
}

/* The connection is non-blocking both ways: a message that arrives in
 * pieces is put together across calls (vhu_dev__dispatch), and a peer that
 * does not read its replies is cut off, never waited for. */
static void setup_conn(struct vhu_dev *dev, int fd)
{
	int flags = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	dev->rx_got = 0;
	dev->rx.nfds = 0;
	dev->conn_fd = fd;
}

int vhu_dev__accept(struct vhu_dev *dev)
{
	int fd = accept4(dev->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (dev->conn_fd >= 0) {
		vhu_log(dev, VHU_LOG_WARN, "a second frontend tried to connect; refused");
		close(fd);
		return -EBUSY;
	}
	setup_conn(dev, fd);
	vhu_log(dev, VHU_LOG_INFO, "frontend connected");
	return fd;
}

int vhu_dev__connect(struct vhu_dev *dev)
{
	struct sockaddr_un sa;
	int fd, err;

	if (dev->conn_fd >= 0)
		return dev->conn_fd;
	/* Non-blocking: a frontend whose listen backlog is full and that never
	 * accepts makes connect() fail with EAGAIN, not wait (the caller retries). */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	fill_addr(dev, &sa);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	setup_conn(dev, fd);
	vhu_log(dev, VHU_LOG_INFO, "connected to frontend at %s", dev->path);
	return fd;
}

int vhu_dev__attach_fd(struct vhu_dev *dev, int fd)
{
	if (dev->conn_fd >= 0)
		return -EBUSY;
	setup_conn(dev, fd);
	return 0;
}

/* Where byte @off of a message (header, then payload) goes, and how many
 * bytes of that part are left. */
static uint8_t *rx_pos(struct vhu_dev *dev, size_t *left)
{
	size_t hdr = sizeof(dev->rx.hdr);

	if (dev->rx_got < hdr) {
		*left = hdr - dev->rx_got;
		return (uint8_t *)&dev->rx.hdr + dev->rx_got;
	}
	*left = hdr + dev->rx.hdr.size - dev->rx_got;
	return (uint8_t *)&dev->rx.p + (dev->rx_got - hdr);
}

/*
 * Read what the socket holds of the current message, without blocking.
 * Return: 1 when the message is whole (dev->rx), 0 when more must come,
 * -errno when the connection must close (logged).
 */
static int recv_some(struct vhu_dev *dev)
{
	struct vhu_msg *msg = &dev->rx;

	for (;;) {
		char control[CMSG_SPACE(VHU_MAX_FDS * sizeof(int))];
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				     .msg_controllen = sizeof(control) };
		struct cmsghdr *c;
		size_t left;
		ssize_t n;

		iov.iov_base = rx_pos(dev, &left);
		iov.iov_len = left;
		if (!left)
			return 1; /* a header with no payload */
		n = recvmsg(dev->conn_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0) {
			if (dev->rx_got)
				vhu_log(dev, VHU_LOG_ERR, "the frontend closed the connection in "
					"the middle of a message (%zu bytes of it read)", dev->rx_got);
			return -ECONNRESET;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), i, fd;

				for (i = 0; i < k; i++) {
					memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof(fd));
					if (msg->nfds < VHU_MAX_FDS) {
						msg->fds[msg->nfds++] = fd;
					} else {
						close(fd);
						mh.msg_flags |= MSG_CTRUNC;
					}
				}
			}
		}
		if (mh.msg_flags & MSG_CTRUNC) {
			vhu_log(dev, VHU_LOG_ERR, "message with more than %d file descriptors; "
				"closing connection", VHU_MAX_FDS);
			return -EPROTO;
		}
		dev->rx_got += (size_t)n;
		if (dev->rx_got == sizeof(msg->hdr)) {
			if (msg->hdr.size > sizeof(msg->p)) {
				vhu_log(dev, VHU_LOG_ERR, "request %u (%s) with a %u-byte payload "
					"(max %zu); closing connection", msg->hdr.request,
					vhu_req_name(msg->hdr.request), msg->hdr.size,
					sizeof(msg->p));
				return -EMSGSIZE;
			}
			memset(&msg->p, 0, sizeof(msg->p));
		}
		if (dev->rx_got >= sizeof(msg->hdr) &&
		    dev->rx_got == sizeof(msg->hdr) + msg->hdr.size)
			return 1;
	}
}

int vhu_send_reply(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint8_t buf[sizeof(msg->hdr) + sizeof(msg->p)];
	size_t len = sizeof(msg->hdr) + msg->hdr.size;
	ssize_t n;

	msg->hdr.flags = VHU_VERSION | VHU_FLAG_REPLY;
	memcpy(buf, &msg->hdr, sizeof(msg->hdr));
	memcpy(buf + sizeof(msg->hdr), &msg->p, msg->hdr.size);
	do
		n = send(dev->conn_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		vhu_log(dev, VHU_LOG_ERR, "cannot send the reply to %s: %s",
			vhu_req_name(msg->hdr.request),
			n >= 0 ? "short write" :
			errno == EAGAIN ? "the frontend does not read its replies (socket full)" :
					  strerror(errno));
		return -EIO;
	}
	return 0;
}

int vhu_dev__dispatch(struct vhu_dev *dev)
{
	int err;

	if (dev->conn_fd < 0)
		return -ENOTCONN;
	err = recv_some(dev);
	if (err == 0)
		return 0; /* not whole yet */
	if (err > 0) {
		/* The handler owns the message's fds; the next one starts empty. */
		dev->rx_got = 0;
		err = vhu_handle_msg(dev, &dev->rx);
		dev->rx.nfds = 0;
	}
	if (err) {
		if (err != -ECONNRESET)
			vhu_log(dev, VHU_LOG_WARN, "closing the connection (%s)", strerror(-err));
		vhu_dev__disconnect(dev);
	}
	return err;
}

/* ---- accessors ------------------------------------------------------------ */

int vhu_dev__listen_fd(const struct vhu_dev *dev) { return dev->listen_fd; }
int vhu_dev__conn_fd(const struct vhu_dev *dev) { return dev->conn_fd; }
const char *vhu_dev__name(const struct vhu_dev *dev) { return dev->name; }
bool vhu_dev__is_client(const struct vhu_dev *dev) { return dev->client; }
uint64_t vhu_dev__features(const struct vhu_dev *dev) { return dev->features; }
uint64_t vhu_dev__features_offered(const struct vhu_dev *dev) { return dev->offered; }
uint64_t vhu_dev__protocol_features(const struct vhu_dev *dev) { return dev->protocol; }
uint8_t vhu_dev__status(const struct vhu_dev *dev) { return dev->status; }
uint16_t vhu_dev__mtu(const struct vhu_dev *dev) { return dev->mtu; }
uint16_t vhu_dev__max_mtu(const struct vhu_dev *dev) { return dev->max_mtu; }
unsigned int vhu_dev__num_vqs(const struct vhu_dev *dev) { return dev->nvqs; }
bool vhu_dev__broken(const struct vhu_dev *dev) { return __atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE); }
bool vhu_dev__connected(const struct vhu_dev *dev) { return dev->conn_fd >= 0; }

unsigned int vhu_dev__hdr_len(const struct vhu_dev *dev)
{
	return dev->vq[0].hdr_len;
}

int vhu_features_str(uint64_t f, char *buf, size_t len)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ VHU_F_CSUM, "CSUM" },
		{ VHU_F_GUEST_CSUM, "GUEST_CSUM" },
		{ VHU_F_MTU, "MTU" },
		{ VHU_F_MAC, "MAC" },
		{ VHU_F_GUEST_TSO4, "GUEST_TSO4" },
		{ VHU_F_GUEST_TSO6, "GUEST_TSO6" },
		{ VHU_F_GUEST_ECN, "GUEST_ECN" },
		{ VHU_F_HOST_TSO4, "HOST_TSO4" },
		{ VHU_F_HOST_TSO6, "HOST_TSO6" },
		{ VHU_F_HOST_ECN, "HOST_ECN" },
		{ VHU_F_MRG_RXBUF, "MRG_RXBUF" },
		{ VHU_F_STATUS, "STATUS" },
		{ VHU_F_CTRL_VQ, "CTRL_VQ" },
		{ VHU_F_CTRL_RX, "CTRL_RX" },
		{ VHU_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE" },
		{ VHU_F_MQ, "MQ" },
		{ VHU_F_LOG_ALL, "LOG_ALL" },
		{ VHU_F_ANY_LAYOUT, "ANY_LAYOUT" },
		{ VHU_F_INDIRECT_DESC, "INDIRECT_DESC" },
		{ VHU_F_EVENT_IDX, "EVENT_IDX" },
		{ VHU_F_PROTOCOL_FEATURES, "PROTOCOL_FEATURES" },
		{ VHU_F_VERSION_1, "VERSION_1" },
		{ VHU_F_RING_PACKED, "RING_PACKED" },
	};
	size_t i, off = 0;
	uint64_t known = 0;

	buf[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= 1ull << names[i].bit;
		if (f & (1ull << names[i].bit)) {
			int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", names[i].name);

			if (n < 0 || (size_t)n >= len - off)
				return -ENAMETOOLONG;
			off += (size_t)n;
		}
	}
	if (f & ~known) {
		int n = snprintf(buf + off, len - off, "%s%#llx", off ? " " : "",
				 (unsigned long long)(f & ~known));

		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
	}
	return 0;
}
