// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xviod's control socket: a unix stream socket where each connection sends
 * one request line ("ports", "stats json", ...) and reads the answer until
 * the daemon closes. Served on the control thread; a client that does not
 * send its line within a second is dropped.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "nic.h"
#include "report.h"
#include "util.h"

bool ctl_in_use(const char *path)
{
	struct sockaddr_un sa;
	bool used;
	int fd;

	if (util_unix_addr(path, &sa))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	used = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return used;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	int fd, err;

	if (util_unix_addr(path, &sa)) {
		pr_err("control socket path %s is too long (max %zu)", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) && errno != EEXIST) {
		err = -errno;
		pr_err("cannot create %s for the control socket: %s", dir, strerror(-err));
		return err;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode)) {
		/* Another xviod still answering? Then refuse to steal its socket. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			close(fd);
			pr_err("another xviod is running on %s; stop it or use --ctl PATH", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		err = -errno;
		pr_err("cannot listen on control socket %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

void ctl_serve(struct daemon *d, int listen_fd)
{
	struct timeval tv = { .tv_sec = 1 };
	char line[512] = "", *cmd, *arg, *save, *words[32];
	int nwords = 0;
	size_t len = 0;
	FILE *out;
	bool json = false;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(line) - 1) {
		ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = 0;
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		return;
	}
	cmd = strtok_r(line, " \t\r\n", &save);
	while ((arg = strtok_r(NULL, " \t\r\n", &save))) {
		if (!strcmp(arg, "json"))
			json = true;
		else if (nwords < 32)
			words[nwords++] = arg;
	}
	if (!cmd)
		fprintf(out, "error: empty request\n");
	else if (!strcmp(cmd, "ports"))
		report_ports(d, out, json);
	else if (!strcmp(cmd, "stats"))
		report_stats(d, out, json);
	else if (!strcmp(cmd, "macs"))
		report_macs(d, out, json);
	else if (!strcmp(cmd, "flow") && d->nic)
		nic_flow_cmd(d->nic, nwords, words, out, json);
	else if (!strcmp(cmd, "flow"))
		fprintf(out, "error: xviod has no NIC (--nic): there is no flow table\n");
	else
		fprintf(out, "error: unknown request '%s' (ports, stats, macs, flow)\n", cmd);
	fclose(out);
}
