// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp-check: runs inside the test guest (linked statically into its
 * initramfs) and checks a stream of xvio-pkt test datagrams (tests/lib/pkt.h:
 * magic, sequence number, a pattern derived from it).
 *
 *   udp-check PORT
 *
 * Counts every datagram on PORT until one whose payload is "STOP", then
 * prints one line and exits:
 *   received=N valid=N corrupt=N dup=N missing=N gaps=N maxseq=N first_gap=A-B
 * A guest page the backend wrote without logging it during a live migration
 * arrives stale on the destination: a corrupt payload, or (its UDP checksum
 * then fails in the guest's stack) a missing one.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../lib/pkt.h"

#define MAX_SEQ (1u << 22)

int main(int argc, char **argv)
{
	static uint8_t seen[MAX_SEQ / 8];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long received = 0, valid = 0, corrupt = 0, dup = 0, missing = 0, gaps = 0;
	uint32_t maxseq = 0, s, gap_a = 0, gap_b = 0;
	int fd, one = 1, rcvbuf = 4 << 20;
	uint8_t buf[2048];
	bool any = false, in_gap = false;

	if (argc != 2) {
		fprintf(stderr, "usage: udp-check PORT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("udp-check: bind");
		return 1;
	}
	printf("udp-check: listening on %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		uint32_t seq;

		if (n < 0)
			continue;
		if (n == 4 && !memcmp(buf, "STOP", 4))
			break;
		received++;
		if (pkt_payload_check(buf, (size_t)n, &seq) || seq >= MAX_SEQ) {
			corrupt++;
			continue;
		}
		if (seen[seq / 8] & (1u << (seq % 8))) {
			dup++;
			continue;
		}
		seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
		valid++;
		if (!any || seq > maxseq)
			maxseq = seq;
		any = true;
	}
	for (s = 0; any && s <= maxseq; s++) {
		bool have = seen[s / 8] & (1u << (s % 8));

		if (!have) {
			missing++;
			if (!in_gap) {
				gaps++;
				if (gaps == 1)
					gap_a = s;
			}
			if (gaps == 1)
				gap_b = s;
		}
		in_gap = !have;
	}
	printf("received=%lu valid=%lu corrupt=%lu dup=%lu missing=%lu gaps=%lu maxseq=%u "
	       "first_gap=%u-%u\n",
	       received, valid, corrupt, dup, missing, gaps, maxseq, gap_a, gap_b);
	return 0;
}
