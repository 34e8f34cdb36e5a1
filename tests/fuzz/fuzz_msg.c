// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the vhost-user message path, as a frontend drives it.
 * The input is a list of chunks, each [flags][len][bytes]: the bytes are
 * written to the device's socket (so messages may arrive whole, split or
 * several at once) with, by flags, a memfd of guest memory, an eventfd, or
 * both attached; then the device dispatches until the socket is empty.
 * Every handler, the memory-table checks and mapping, the ring checks and
 * the reassembly of split messages run on what the fuzzer invents. After
 * the messages, one TX and one RX burst run on whatever rings were set up
 * (the memfd's content: zeros, then whatever earlier inputs' ring writes
 * left). Replies are read and dropped. The device is freed after each
 * input: no fd or mapping may leak (ASan/LSan, and the fd count checked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "vhu.h"
#include "../lib/vdrv.h"

#define GUEST_MEM (256u << 10)

static int memfd = -1;
static struct vhu_pkt pkts[VHU_BURST];
static struct vhu_seg segs[VHU_BURST * VHU_MAX_SEGS];
static uint8_t frame[2048];

static void quiet_log(void *ctx, enum vhu_log_level l, const char *line)
{
	(void)ctx, (void)l, (void)line;
}

static const struct vhu_ops ops = { .log = quiet_log };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, GUEST_MEM))
		abort();
	return 0;
}

/* The lowest free fd number: an fd leaked by an input takes it. */
static int lowest_free(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void send_chunk(int fe, const uint8_t *p, size_t len, uint8_t flags)
{
	int fds[3], nfds = 0, i;

	if (flags & 1)
		fds[nfds++] = dup(memfd);
	if (flags & 2)
		fds[nfds++] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (flags & 4)
		fds[nfds++] = eventfd(0, EFD_CLOEXEC | ((flags & 8) ? EFD_SEMAPHORE : 0));
	if (len)
		(void)vdrv_send_bytes(fe, p, len, fds, nfds, MSG_DONTWAIT);
	for (i = 0; i < nfds; i++)
		close(fds[i]); /* the kernel holds its own references in flight */
}

static void drain(int fe)
{
	uint8_t buf[4096];

	while (recv(fe, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhu_dev_cfg c = { .name = "fuzz", .path = "/nonexistent", .max_queue_pairs = 2,
				 .ops = &ops };
	static int free_fd = -1;
	struct vhu_dev *dev;
	unsigned int q;
	int sv[2], k;

	if (free_fd < 0)
		free_fd = lowest_free();
	/* zeroed guest memory for every input (deterministic runs) */
	if (ftruncate(memfd, 0) || ftruncate(memfd, GUEST_MEM))
		abort();
	if (vhu_dev__new(&c, &dev))
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	if (vhu_dev__attach_fd(dev, sv[0]))
		abort();
	while (size >= 3 && vhu_dev__connected(dev)) {
		uint8_t flags = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		send_chunk(sv[1], data, len, flags);
		data += len;
		size -= len;
		/* dispatch while bytes wait (each call handles at most one message) */
		for (k = 0; k < 64 && vhu_dev__connected(dev); k++) {
			int pending = 0;

			if (ioctl(sv[0], FIONREAD, &pending) || pending <= 0)
				break;
			if (vhu_dev__dispatch(dev) < 0)
				break;
			drain(sv[1]);
		}
	}
	if (vhu_dev__connected(dev)) {
		for (q = 0; q < 4; q++) {
			struct vhu_vq *vq = vhu_dev__vq(dev, q);

			if (q & 1) {
				vhu_vq__dequeue_burst(vq, pkts, segs, VHU_BURST);
				vhu_vq__dequeue_done(vq);
				vhu_vq__drain(vq);
			} else {
				struct vhu_seg s = { frame, sizeof(frame) };
				struct vhu_pkt p = { .segs = &s, .nsegs = 1, .len = sizeof(frame) };

				vhu_vq__enqueue_burst(vq, &p, 1);
			}
			vhu_vq__notify_enable(vq, true);
		}
		vhu_dev__tick(dev);
	}
	vhu_dev__free(dev);
	close(sv[1]);
	k = lowest_free();
	if (k != free_fd) {
		char path[64], target[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", free_fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		/* libFuzzer's own (the symbolizer's pipes) move the baseline */
		if (strncmp(target, "socket:", 7) && strncmp(target, "anon_inode:", 11) &&
		    strncmp(target, "/memfd:", 7)) {
			free_fd = k;
		} else {
			fprintf(stderr, "fd %d leaked (%s)\n", free_fd, target);
			abort();
		}
	}
	return 0;
}
