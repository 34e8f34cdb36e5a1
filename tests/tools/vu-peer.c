// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vu-peer: a misbehaving vhost-user frontend for daemon-level tests. Connects
 * to a backend's socket, sends one kind of bad (or good) message, and reports
 * what the backend did: "reply <hex>" or "closed". Exit 0 when the outcome
 * is the one asked for with --expect.
 *
 *   vu-peer SOCKET good|truncated|oversize|unknown|bad-index|bad-size|fds|rarp:MAC
 *           [--expect reply|closed]
 *   vu-peer SOCKET rxquiet [--expect quiet|kick]
 *           a whole split-ring device (no EVENT_IDX) whose receive ring is
 *           refilled as a polling guest does: "quiet" once the backend asks
 *           not to be kicked for it, "kick" if it still wants the kicks 3 s on
 *   vu-peer SOCKET callblock|stalekick|shrink|trickle [--hold SECS]
 *           hostile frontends (issue 14): a whole device, then
 *           callblock  tx0's call fd becomes a blocking eventfd one short of
 *                      its maximum, and a frame is sent (its interrupt
 *                      would block the writer for good)
 *           callunblock  tx0's call fd (made non-blocking by the backend) is
 *                      made blocking again through the shared open file and
 *                      filled, then a frame is sent
 *           stalekick  GET_VRING_BASE stops tx0, then its old kick eventfd
 *                      is written (it must wake nobody)
 *           shrink     a frame is posted from a second memory region whose
 *                      memfd was truncated to 0 (reading it raises SIGBUS)
 *           trickle    a GET_FEATURES sent one byte every 0.5 s; prints the
 *                      outcome when whole
 *           macflood   300 frames to 02:00:00:00:ab:02, each from another
 *                      source MAC (02:00:00:01:00:00 + i)
 *           farcsum    (CSUM negotiated) a 6000-byte frame to an unknown MAC
 *                      asking for its checksum at byte 5006 (NEEDS_CSUM,
 *                      csum_start 5000): no stack puts one there
 *           prints "ready" once done, then holds the connection SECS
 *           seconds (default 30) or until killed
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "../lib/vdrv.h"
#include "util.h"

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (util_unix_addr(path, &sa)) {
		fprintf(stderr, "%s: path too long\n", path);
		exit(2);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(path);
		exit(2);
	}
	return fd;
}

/* "closed" when the backend hung up within 3 s, else what it sent. */
static const char *outcome(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b[64];
	ssize_t n;

	if (poll(&p, 1, 3000) <= 0) {
		snprintf(buf, len, "silent");
		return buf;
	}
	n = recv(fd, b, sizeof(b), 0);
	if (n <= 0) {
		snprintf(buf, len, "closed");
		return buf;
	}
	snprintf(buf, len, "reply");
	return buf;
}

/* rxquiet: VERSION_1 only, two 256-entry split rings, polling (no kick or
 * call fds); add one receive buffer every 0.1 s, as a guest refilling. */
static const char *rx_quiet(int fd)
{
	struct vdrv_mem m = { 0 };
	struct vdrv_vq rx, tx;
	struct vdrv_buf b = { .len = 2048 };
	uint64_t f = 1ull << VDRV_F_VERSION_1;
	int i;

	if (vdrv_mem_add_region(&m, 0, 1 << 20) ||
	    vdrv_msg_send(fd, VDRV_REQ_SET_FEATURES, 0x1, &f, 8, NULL, 0) ||
	    vdrv_set_mem_table(fd, &m, false) || vdrv_vq_init(&rx, &m, 256, false, false) ||
	    vdrv_vq_init(&tx, &m, 256, false, false) || vdrv_vq_setup_backend(fd, &rx, 0) ||
	    vdrv_vq_setup_backend(fd, &tx, 1) || vdrv_sync(fd))
		return "setup-failed";
	b.gpa = vdrv_alloc(&m, b.len, 64);
	for (i = 0; i < 30; i++) {
		if (vdrv_vq_add(&rx, &b, 0, 1, false, NULL) < 0)
			return "ring-full";
		vdrv_vq_publish(&rx);
		if (!vdrv_vq_should_kick(&rx))
			return "quiet";
		usleep(100000);
	}
	return "kick";
}

#define SHRINK_GPA 0x80000000ull

/* A hairpin frame (to its own source): dropped by the switch, its chain
 * returned all the same, so the backend signals tx0's call fd. */
static int send_frame(struct vdrv_dev *d)
{
	uint8_t f[60] = { 0x02, 0, 0, 0, 0xee, 1, 0x02, 0, 0, 0, 0xee, 1, 0x08, 0x00 };

	return vdrv_net_tx(d, 0, f, sizeof(f), 1, false);
}

static const char *hostile(int fd, const char *mode)
{
	static struct vdrv_dev d;
	struct vdrv_buf b;
	uint64_t v;

	if (!strcmp(mode, "shrink") &&
	    (vdrv_mem_add_region(&d.mem, VDRV_DEV_GPA, VDRV_DEV_MEM_SIZE) ||
	     vdrv_mem_add_region(&d.mem, SHRINK_GPA, 2 << 20)))
		return "setup-failed";
	if (vdrv_dev_start(&d, fd,
			   (1ull << VDRV_F_VERSION_1) | (!strcmp(mode, "farcsum") ? 1ull : 0),
			   1ull << VDRV_PROTOCOL_F_REPLY_ACK, 2, 256))
		return "setup-failed";
	if (!strcmp(mode, "callblock")) {
		int efd = eventfd(0, EFD_CLOEXEC); /* blocking */

		v = 1;
		if (efd < 0 || eventfd_write(efd, 0xfffffffffffffffeull) ||
		    vdrv_msg_send(fd, VDRV_REQ_SET_VRING_CALL, 0x1, &v, 8, &efd, 1) ||
		    vdrv_sync(fd) || send_frame(&d))
			return "failed";
	} else if (!strcmp(mode, "callunblock")) {
		int cfd = d.vq[1].call_fd;

		if (fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) & ~O_NONBLOCK) ||
		    eventfd_write(cfd, 0xfffffffffffffffeull) || send_frame(&d))
			return "failed";
	} else if (!strcmp(mode, "stalekick")) {
		struct vdrv_vring_state st = { .index = 1 };
		uint32_t r, fl, sz = sizeof(st);

		if (vdrv_msg_send(fd, VDRV_REQ_GET_VRING_BASE, 0x1, &st, sizeof(st), NULL, 0) ||
		    vdrv_msg_recv(fd, &r, &fl, &st, &sz, 3000) ||
		    eventfd_write(d.vq[1].kick_fd, 1))
			return "failed";
	} else if (!strcmp(mode, "macflood")) {
		uint8_t f[60] = { 0x02, 0, 0, 0, 0xab, 2, 0x02, 0, 0, 1, 0, 0, 0x08, 0x00 };
		int i;

		for (i = 0; i < 300; i++) {
			f[10] = (uint8_t)(i >> 8);
			f[11] = (uint8_t)i;
			int tries = 0;

			/* the ring may be full until the backend has taken some */
			while (vdrv_net_tx(&d, 0, f, sizeof(f), 1, false))
				if (++tries > 2000 || usleep(1000))
					return "failed";
		}
	} else if (!strcmp(mode, "farcsum")) {
		static uint8_t f[6000] = { 0x02, 0, 0, 0, 0xab, 0x99, 0x02, 0, 0, 0, 0xab, 0x98,
					   0x08, 0x00 };
		/* flags NEEDS_CSUM, no GSO, csum_start 5000, csum_offset 6 */
		uint8_t h[12] = { 1, 0, 0, 0, 0, 0, 0x88, 0x13, 6, 0 };
		struct vdrv_tx_opts o = { .nsegs = 2, .hdr = h };

		if (!(d.features & 1) || vdrv_net_tx_opts(&d, 0, f, sizeof(f), &o))
			return "failed";
	} else if (!strcmp(mode, "shrink")) {
		/* header and frame were written; the file goes before the backend reads */
		b.gpa = SHRINK_GPA;
		b.len = 12 + 60;
		memset(d.mem.r[1].va, 0, b.len);
		if (ftruncate(d.mem.r[1].fd, 0) || vdrv_vq_add(&d.vq[1], &b, 1, 0, false, NULL) < 0)
			return "failed";
		vdrv_vq_publish(&d.vq[1]);
		if (vdrv_vq_kick(&d.vq[1]))
			return "failed";
	}
	return "ready";
}

/* GET_FEATURES a byte at a time: "reply" once the whole message was read. */
static const char *trickle(int fd, char *buf, size_t len)
{
	uint32_t h[3] = { VDRV_REQ_GET_FEATURES, 0x1, 0 };
	const uint8_t *p = (const uint8_t *)h;
	size_t i;

	for (i = 0; i < sizeof(h); i++) {
		if (write(fd, p + i, 1) != 1)
			return "closed";
		usleep(500000);
	}
	return outcome(fd, buf, len);
}

int main(int argc, char **argv)
{
	const char *expect = NULL, *mode;
	uint8_t payload[64] = { 0 };
	char res[32];
	uint64_t u;
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: vu-peer SOCKET MODE [--expect reply|closed]\n");
		return 2;
	}
	int hold = 30;

	for (i = 3; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--expect"))
			expect = argv[i + 1];
		if (!strcmp(argv[i], "--hold"))
			hold = atoi(argv[i + 1]);
	}
	mode = argv[2];
	fd = connect_to(argv[1]);
	if (!strcmp(mode, "callblock") || !strcmp(mode, "callunblock") ||
	    !strcmp(mode, "stalekick") || !strcmp(mode, "shrink") ||
	    !strcmp(mode, "macflood") || !strcmp(mode, "farcsum")) {
		const char *r = hostile(fd, mode);

		printf("%s\n", r);
		fflush(stdout);
		if (strcmp(r, "ready"))
			return 1;
		sleep((unsigned int)hold);
		close(fd);
		return 0;
	}
	if (!strcmp(mode, "trickle")) {
		printf("%s\n", trickle(fd, res, sizeof(res)));
		close(fd);
		return 0;
	}
	vdrv_msg_send(fd, VDRV_REQ_SET_OWNER, 0x1, NULL, 0, NULL, 0);
	if (!strcmp(mode, "good")) {
		vdrv_msg_send(fd, VDRV_REQ_GET_FEATURES, 0x1, NULL, 0, NULL, 0);
	} else if (!strcmp(mode, "truncated")) {
		/* 7 bytes of a 12-byte header, then nothing */
		if (write(fd, "\x01\x00\x00\x00\x01\x00\x00", 7) != 7)
			return 2;
	} else if (!strcmp(mode, "oversize")) {
		vdrv_msg_send_raw(fd, VDRV_REQ_SET_FEATURES, 0x1, 0x100000, payload, 8, NULL, 0);
	} else if (!strcmp(mode, "unknown")) {
		vdrv_msg_send(fd, 99, 0x1, NULL, 0, NULL, 0);
	} else if (!strcmp(mode, "bad-index")) {
		uint32_t st[2] = { 200, 256 };

		vdrv_msg_send(fd, VDRV_REQ_SET_VRING_NUM, 0x1, st, sizeof(st), NULL, 0);
	} else if (!strcmp(mode, "bad-size")) {
		vdrv_msg_send(fd, VDRV_REQ_SET_FEATURES, 0x1, payload, 4, NULL, 0);
	} else if (!strcmp(mode, "fds")) {
		int extra[2] = { dup(0), dup(1) };

		u = 0;
		vdrv_msg_send(fd, VDRV_REQ_SET_FEATURES, 0x1, &u, 8, extra, 2);
	} else if (!strcmp(mode, "rxquiet")) {
		const char *r = rx_quiet(fd);

		printf("%s\n", r);
		close(fd);
		return expect && strcmp(expect, r) ? 1 : 0;
	} else if (!strncmp(mode, "rarp:", 5)) {
		/* SEND_RARP carries the MAC in the first 6 bytes of a u64. */
		unsigned int b[6];

		if (sscanf(mode + 5, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
			   &b[5]) != 6)
			return 2;
		for (i = 0; i < 6; i++)
			payload[i] = (uint8_t)b[i];
		/* as QEMU: only with the RARP protocol feature negotiated */
		u = 1ull << VDRV_PROTOCOL_F_RARP;
		vdrv_msg_send(fd, VDRV_REQ_SET_PROTOCOL_FEATURES, 0x1, &u, 8, NULL, 0);
		vdrv_msg_send(fd, VDRV_REQ_SEND_RARP, 0x1, payload, 8, NULL, 0);
		vdrv_msg_send(fd, VDRV_REQ_GET_FEATURES, 0x1, NULL, 0, NULL, 0);
	} else {
		fprintf(stderr, "vu-peer: unknown mode %s\n", mode);
		return 2;
	}
	outcome(fd, res, sizeof(res));
	printf("%s\n", res);
	close(fd);
	return expect && strcmp(expect, res) ? 1 : 0;
}
