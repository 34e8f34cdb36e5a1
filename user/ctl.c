// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xviod's control socket: a unix stream socket where each connection sends
 * one request line ("ports", "stats json", ...) and reads the answer until
 * the daemon closes. Served on the control thread; a client that does not
 * send its line within a second is dropped.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
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
#include "hotplug.h"
#include "report.h"
#include "sockperm.h"
#include "state.h"
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

int ctl_listen(const char *path, const struct sockperm *sp)
{
	mode_t old_mask;
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	int fd, err;

	if (util_unix_addr(path, &sa)) {
		pr_err("control socket path %s is too long (max %zu)", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (!mkdir(dirname(dir), 0755)) {
		/* umask 077 made it 0700. Anyone may enter (QEMU to reach its
		 * socket there): each socket's own mode says who may use it. */
		if (chmod(dir, 0755))
			pr_warn("cannot make %s 0755: %s", dir, strerror(errno));
	} else if (errno != EEXIST) {
		err = -errno;
		pr_err("cannot create %s for the control socket: %s", dir, strerror(-err));
		return err;
	}
	err = sockperm_dir_ok(sp, path);
	if (err)
		return err;
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
	old_mask = sockperm_umask(sp);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_mask);
	if (err || listen(fd, 8)) {
		err = err ?: -errno;
		pr_err("cannot listen on control socket %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	err = sockperm_apply(sp, path);
	if (err) {
		close(fd);
		unlink(path);
		return err;
	}
	return fd;
}

struct port *ctl_find_port(struct daemon *d, const char *arg, bool by_id)
{
	uint32_t id;
	struct port *p;
	unsigned int i;

	if (by_id && !util_parse_u32(arg, XVIOD_MAX_PORTS, &id))
		return daemon_port(d, id);
	for (i = 0; (p = daemon_next_port(d, &i));)
		if (!strcmp(p->name, arg) ||
		    (p->ops == &vport_ops && !strcmp(vport_of(p)->path, arg)))
			return p;
	return NULL;
}

/* mac add MAC PORT | mac del MAC: static entries of the switch's table. */
static void mac_cmd(struct daemon *d, int n, char **w, FILE *out)
{
	char ms[UTIL_MAC_STR_LEN];
	unsigned int owner;
	uint8_t mac[6];
	struct port *p;
	int err;

	if (n < 2 || (strcmp(w[0], "add") && strcmp(w[0], "del")) ||
	    (!strcmp(w[0], "add") ? n != 3 : n != 2)) {
		fprintf(out, "error: usage: mac add MAC PORT | mac del MAC\n");
		return;
	}
	if (util_parse_mac(w[1], mac) || (mac[0] & 1) || !memcmp(mac, "\0\0\0\0\0\0", 6)) {
		fprintf(out, "error: '%s' is not a unicast MAC address\n", w[1]);
		return;
	}
	util_format_mac(mac, ms);
	if (!strcmp(w[0], "del")) {
		if (state_mac_del(d->state, mac)) {
			fprintf(out, "error: %s was not added with mac add (a --vhost mac= is "
				"configuration: change it there)\n", ms);
			return;
		}
		if (fwd_del_static(d->fwd, mac)) {
			fprintf(out, "error: %s has no static entry (xvioctl macs lists them)\n", ms);
			return;
		}
		pr_info("static MAC %s removed", ms);
		fprintf(out, "removed %s%s\n", ms, state_save(d, d->state) ? " (not saved: see the log)" : "");
	} else {
		p = ctl_find_port(d, w[2], true);
		if (!p) {
			fprintf(out, "error: no port '%s' (a number or a name from xvioctl ports)\n",
				w[2]);
			return;
		}
		owner = ports_static_owner(d, mac);
		if (owner && owner != p->id) {
			fprintf(out, "error: %s is a static MAC of port %u already (mac del it there "
				"first; a --vhost mac= stays)\n", ms, owner);
			return;
		}
		err = fwd_add_static(d->fwd, mac, (uint16_t)p->id);
		if (err) {
			fprintf(out, "error: cannot add %s: the MAC table is full around it\n", ms);
			return;
		}
		pr_info("static MAC %s on port %u (%s)", ms, p->id, p->name);
		err = state_mac_add(d->state, mac, p->name) ?: state_save(d, d->state);
		fprintf(out, "added %s on port %u (%s)%s\n", ms, p->id, p->name,
			err ? " (not saved: see the log)" : "");
	}
	if (d->nic)
		nic_l2_sync(d->nic); /* the NIC's table follows the switch's */
}

/* port add SPEC | port del PORT: guest ports at runtime, kept in --state. */
static void port_cmd(struct daemon *d, int n, char **w, FILE *out)
{
	char e[512] = "", name[64];
	struct vport *vp;
	struct port *p;
	bool configured;
	int id;

	if (n != 2 || (strcmp(w[0], "add") && strcmp(w[0], "del"))) {
		fprintf(out, "error: usage: port add PATH[,mac=MAC][,client][,queues=N][,...] | "
			"port del PORT\n");
		return;
	}
	if (!strcmp(w[0], "add")) {
		if (vport_parse(w[1], "port add", &vp, e, sizeof(e))) {
			fprintf(out, "error: %s\n", e);
			return;
		}
		vp->runtime = true;
		id = ports_add(d, vp, 0, e, sizeof(e));
		if (id < 0) {
			pr_warn("port add refused: %s", e);
			fprintf(out, "error: %s\n", e);
			return;
		}
		p = daemon_port(d, (unsigned int)id);
		pr_info("%s: port %d added (%s)", p->name, id, w[1]);
		fprintf(out, "added port %d (%s)%s\n", id, p->name,
			state_save(d, d->state) ? " (not saved: see the log)" : "");
		return;
	}
	p = ctl_find_port(d, w[1], true);
	if (!p) {
		fprintf(out, "error: no port '%s' (a number, name or socket path from xvioctl "
			"ports)\n", w[1]);
		return;
	}
	id = (int)p->id;
	snprintf(name, sizeof(name), "%s", p->name);
	configured = p->ops == &vport_ops && !vport_of(p)->runtime;
	if (ports_del(d, p, e, sizeof(e))) {
		fprintf(out, "error: %s\n", e);
		return;
	}
	fprintf(out, "removed port %d (%s)%s%s\n", id, name,
		configured ? "; it is a --vhost port: it comes back at the next start unless "
			     "removed from the configuration" : "",
		state_save(d, d->state) ? " (not saved: see the log)" : "");
}

/* Milliseconds left until @deadline (CLOCK_MONOTONIC ns); 0 when past. */
static int ms_left(uint64_t deadline)
{
	uint64_t now = util_mono_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* One request line, read within the deadline whatever the client trickles. */
static size_t read_line(int fd, char *line, size_t cap)
{
	uint64_t deadline = util_mono_ns() + CTL_DEADLINE_MS * 1000000ull;
	size_t len = 0;

	while (len < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = ms_left(deadline);
		ssize_t n;

		if (!ms || poll(&p, 1, ms) <= 0)
			break;
		n = read(fd, line + len, cap - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = 0;
	return len;
}

/* The whole answer, written within the deadline or not at all. */
static void write_all(int fd, const char *buf, size_t len)
{
	uint64_t deadline = util_mono_ns() + CTL_DEADLINE_MS * 1000000ull;
	size_t done = 0;

	while (done < len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int ms = ms_left(deadline);
		ssize_t n;

		if (!ms || poll(&p, 1, ms) <= 0)
			return;
		n = send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

/* Refused peers are logged at most once per 10 s (a local user could loop). */
static void log_refused(uid_t uid)
{
	static uint64_t last;
	static unsigned int quiet;
	uint64_t now = util_mono_ns();

	if (last && now - last < 10000000000ull) {
		quiet++;
		return;
	}
	pr_warn("control socket: refused a request from uid %u (allowed: root, our user and "
		"the --ctl-group)%s", (unsigned int)uid, quiet ? "; more were refused since" : "");
	last = now;
	quiet = 0;
}

void ctl_serve(struct daemon *d, int listen_fd)
{
	char line[512] = "", *cmd, *arg, *save, *words[32], *resp = NULL;
	size_t resp_len = 0;
	int nwords = 0;
	FILE *out;
	bool json = false;
	uid_t uid = (uid_t)-1;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	/* The request first, refused or not: a client told "no" before it
	 * wrote would get EPIPE instead of the reason. */
	read_line(fd, line, sizeof(line));
	if (!sockperm_peer_ok(&d->ctl_sock, fd, &uid)) {
		static const char msg[] = "error: permission denied (xviod serves root, its own "
					  "user and members of its --ctl-group)\n";

		log_refused(uid);
		write_all(fd, msg, sizeof(msg) - 1);
		close(fd);
		return;
	}
	/* Built in memory, then written with a deadline: a client that does
	 * not read never holds the control thread. */
	out = open_memstream(&resp, &resp_len);
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
	else if (!strcmp(cmd, "mac"))
		mac_cmd(d, nwords, words, out);
	else if (!strcmp(cmd, "port"))
		port_cmd(d, nwords, words, out);
	else if (!strcmp(cmd, "flow") && d->nic) {
		nic_flow_cmd(d->nic, nwords, words, out, json);
		if (nwords && (!strcmp(words[0], "add") || !strcmp(words[0], "del")) &&
		    state_save(d, d->state))
			fprintf(out, "(not saved: see the log)\n");
	}
	else if (!strcmp(cmd, "flow"))
		fprintf(out, "error: xviod has no NIC (--nic): there is no flow table\n");
	else
		fprintf(out, "error: unknown request '%s' (ports, stats, macs, mac, flow, port)\n",
			cmd);
	if (!fclose(out))
		write_all(fd, resp, resp_len);
	free(resp);
	close(fd);
}
