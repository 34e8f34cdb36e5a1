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
 */
#include <errno.h>
#include <poll.h>
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
	for (i = 3; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--expect"))
			expect = argv[i + 1];
	mode = argv[2];
	fd = connect_to(argv[1]);
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
