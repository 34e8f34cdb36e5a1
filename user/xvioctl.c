// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xvioctl: ask a running xviod what it is doing, over its control socket.
 *   xvioctl [--ctl PATH] [--json] ports|stats|macs
 * Exit status: 0 on success, 1 when the daemon cannot be reached or
 * refuses the request, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: xvioctl [--ctl PATH] [--json] COMMAND\n"
		   "\n"
		   "Commands:\n"
		   "  ports   ports, their state, negotiated virtio features and queues\n"
		   "  stats   per-port and per-queue packets, bytes and drops by reason\n"
		   "  macs    the MAC table: configured and learned addresses\n"
		   "  port add PATH[,mac=MAC][,client][,queues=N][,...]\n"
		   "          a guest port, as xviod --vhost takes it, without a restart\n"
		   "  port del PORT\n"
		   "          remove a guest port (its number, name or socket path): its\n"
		   "          frontend is disconnected, its MACs, flows and socket go\n"
		   "  mac add MAC PORT | mac del MAC\n"
		   "          a static entry: MAC is behind PORT (its number or name)\n"
		   "  flow add MATCH ACTION | flow del MATCH | flow list\n"
		   "          the NIC's flow table; MATCH: [vlan V [inner-vlan V]] proto P\n"
		   "          src IP [sport N] dst IP [dport N];\n"
		   "          ACTION: port N | drop | pass | flood | redirect IFNAME\n"
		   "\n"
		   "Options:\n"
		   "  -c, --ctl PATH   xviod's control socket (default " XVIOD_DEFAULT_CTL ")\n"
		   "  -j, --json       machine-readable output\n"
		   "  -h, --help       this text\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "ctl", 1, NULL, 'c' }, { "json", 0, NULL, 'j' },
					    { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *path = XVIOD_DEFAULT_CTL;
	struct sockaddr_un sa;
	char req[512], buf[4096];
	size_t off;
	int a;
	bool json = false, first = true, failed = false;
	ssize_t n;
	int c, fd;

	while ((c = getopt_long(argc, argv, "c:jh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc ||
	    (strcmp(argv[optind], "flow") && strcmp(argv[optind], "mac") &&
	     strcmp(argv[optind], "port") && optind != argc - 1)) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "ports") && strcmp(argv[optind], "stats") &&
	    strcmp(argv[optind], "macs") && strcmp(argv[optind], "flow") &&
	    strcmp(argv[optind], "mac") && strcmp(argv[optind], "port")) {
		fprintf(stderr, "xvioctl: unknown command '%s' (ports, stats, macs, mac, flow, port)\n",
			argv[optind]);
		return 2;
	}
	if (util_unix_addr(path, &sa)) {
		fprintf(stderr, "xvioctl: control socket path too long: %s\n", path);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "xvioctl: cannot reach xviod at %s: %s (is xviod running? use --ctl "
				"PATH for another socket)\n",
			path, strerror(errno));
		return 1;
	}
	off = 0;
	for (a = optind; a < argc && off < sizeof(req) - 8; a++)
		off += (size_t)snprintf(req + off, sizeof(req) - off, "%s%s", a > optind ? " " : "",
					argv[a]);
	snprintf(req + off, sizeof(req) - off, "%s\n", json ? " json" : "");
	/* A daemon that refuses us may have answered and closed already: read
	 * what it said rather than die of SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) && errno != EPIPE) {
		fprintf(stderr, "xvioctl: cannot send the request: %s\n", strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 6 && !memcmp(buf, "error:", 6))
			failed = true;
		first = false;
		fwrite(buf, 1, (size_t)n, failed ? stderr : stdout);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "xvioctl: xviod closed the connection without answering\n");
		return 1;
	}
	return failed ? 1 : 0;
}
