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
#include <unistd.h>
#include "vhu_internal.h"

void vhu_log(struct vhu_dev *dev, enum vhu_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!dev->ops || !dev->ops->log)
		return;
	n = snprintf(line, sizeof(line), "%s: ", dev->name);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	dev->ops->log(dev->ctx, level, line);
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
	dev->features = 0;
	dev->features_set = false;
	dev->protocol = 0;
	dev->owner = false;
	dev->broken = false;
	dev->status = 0;
	dev->mtu = 0;
	dev->nvqs = 0;
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

static void setup_conn(struct vhu_dev *dev, int fd)
{
	struct timeval tv = { .tv_sec = 1 };
	int flags = fcntl(fd, F_GETFL);

	/* Messages are read blocking once their first byte is there; a peer
	 * that stalls mid-message is cut off after this timeout. (It holds the
	 * embedder's control thread meanwhile; a per-connection reassembly
	 * buffer would remove that stall.) */
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

/* Read exactly @len bytes (the rest of a message whose start has arrived). */
static int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (uint8_t *)buf + done, len - done);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

static int recv_msg(struct vhu_dev *dev, struct vhu_msg *msg)
{
	char control[CMSG_SPACE(VHU_MAX_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = &msg->hdr, .iov_len = sizeof(msg->hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	ssize_t n;
	int err;

	msg->nfds = 0;
	do
		n = recvmsg(dev->conn_fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			if (msg->nfds + k > VHU_MAX_FDS)
				k = VHU_MAX_FDS - msg->nfds;
			memcpy(&msg->fds[msg->nfds], CMSG_DATA(c), (size_t)k * sizeof(int));
			msg->nfds += k;
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		vhu_log(dev, VHU_LOG_ERR, "message with more than %d file descriptors; closing "
			"connection", VHU_MAX_FDS);
		err = -EPROTO;
		goto err_close;
	}
	if ((size_t)n < sizeof(msg->hdr)) {
		err = read_full(dev->conn_fd, (uint8_t *)&msg->hdr + n, sizeof(msg->hdr) - (size_t)n);
		if (err) {
			vhu_log(dev, VHU_LOG_ERR, "truncated message header (%zd of %zu bytes); "
				"closing connection", n, sizeof(msg->hdr));
			goto err_close;
		}
	}
	if (msg->hdr.size > sizeof(msg->p)) {
		vhu_log(dev, VHU_LOG_ERR, "request %u (%s) with a %u-byte payload (max %zu); "
			"closing connection", msg->hdr.request, vhu_req_name(msg->hdr.request),
			msg->hdr.size, sizeof(msg->p));
		err = -EMSGSIZE;
		goto err_close;
	}
	memset(&msg->p, 0, sizeof(msg->p));
	err = read_full(dev->conn_fd, &msg->p, msg->hdr.size);
	if (err) {
		vhu_log(dev, VHU_LOG_ERR, "request %u (%s): payload truncated (%s); closing "
			"connection", msg->hdr.request, vhu_req_name(msg->hdr.request),
			strerror(-err));
		goto err_close;
	}
	return 0;

err_close:
	while (msg->nfds > 0)
		close(msg->fds[--msg->nfds]);
	return err;
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
		n = send(dev->conn_fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		vhu_log(dev, VHU_LOG_ERR, "cannot send the reply to %s: %s",
			vhu_req_name(msg->hdr.request), n < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	return 0;
}

int vhu_dev__dispatch(struct vhu_dev *dev)
{
	struct vhu_msg msg;
	int err;

	if (dev->conn_fd < 0)
		return -ENOTCONN;
	err = recv_msg(dev, &msg);
	if (!err)
		err = vhu_handle_msg(dev, &msg);
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
		{ VHU_F_MTU, "MTU" },
		{ VHU_F_MAC, "MAC" },
		{ VHU_F_MRG_RXBUF, "MRG_RXBUF" },
		{ VHU_F_STATUS, "STATUS" },
		{ VHU_F_CTRL_VQ, "CTRL_VQ" },
		{ VHU_F_CTRL_RX, "CTRL_RX" },
		{ VHU_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE" },
		{ VHU_F_MQ, "MQ" },
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
