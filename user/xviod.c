// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xviod: switches frames between guests attached to vhost-user sockets, by
 * destination MAC, learning source MACs and flooding broadcast, multicast
 * and unknown destinations. This file is the control thread: options,
 * ports, the vhost-user sockets (server and client mode, with reconnects),
 * the control socket, signals and timers. The data path is in poller.c.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "daemon.h"
#include "log.h"
#include "nic.h"
#include "../loader/loader.h"

/* epoll tags: kind in the top byte, port index below */
enum { EV_SIGNAL = 1, EV_TIMER, EV_CTL, EV_LISTEN, EV_CONN, EV_LEARN };
#define TAG(kind, idx) ((uint64_t)(kind) << 56 | (uint64_t)(idx))

static struct daemon daemon_state;
static struct nic nic_state;
static int ctl_epfd = -1;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xviod [--nic IFNAME[,opts]] --vhost PATH[,opts] [--vhost ...] [OPTIONS]\n"
		"\n"
		"Switches frames between guests on vhost-user sockets (QEMU -netdev vhost-user,\n"
		"DPDK virtio-user) and a NIC, by destination MAC, learning source MACs and\n"
		"flooding broadcast, multicast and unknown destinations. On the NIC, xvio's\n"
		"XDP program steers guest traffic into AF_XDP sockets; the rest stays with\n"
		"the host.\n"
		"\n"
		"  --nic IFNAME[,opts]   the NIC (at most one):\n"
		"                          queues=N   NIC queues served (default: all rx queues)\n"
		"                          mode=M     XDP mode native, skb or auto (default)\n"
		"                          host=off   do not hand flooded frames to the host\n"
		"                          busy_poll=USEC  SO_PREFER_BUSY_POLL on the sockets\n"
		"                                     (default: 20 with --poll busy, else 0)\n"
		"  --vhost PATH[,opts]   a guest port (repeatable, up to %d):\n"
		"                          mac=MAC    the guest's MAC, known before it sends\n"
		"                          client     connect to the frontend's socket (QEMU\n"
		"                                     server=on) and keep retrying when it goes\n"
		"                          queues=N   queue pairs offered (1..%d, default 1)\n"
		"  --cores LIST          CPUs for poller threads, one thread each (e.g. 1 or 0,1);\n"
		"                        default: one unpinned poller\n"
		"  --poll MODE           busy | adaptive (default) | interrupt\n"
		"  --ctl PATH            control socket for xvioctl (default %s)\n"
		"  --max-mtu N           refuse a frontend that sets a larger MTU (QEMU host_mtu=;\n"
		"                        default 65535); guests get their MTU from the frontend\n"
		"  -v, --verbose         more messages (twice: every vhost-user message)\n"
		"  -h, --help            this text\n",
		XVIOD_MAX_PORTS, VHU_MAX_QUEUE_PAIRS, XVIOD_DEFAULT_CTL);
}

/* ---- vhu callbacks (control thread, or a poller for "broken") ------------- */

static void cb_log(void *ctx, enum vhu_log_level level, const char *line)
{
	(void)ctx;
	log_print((enum log_level)level, "%s", line);
}

/* loader/libbpf/libxdp messages, one level below ours (see loader.h) */
static void loader_print(enum loader_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	log_print((enum log_level)level, "%s", line);
}

static void cb_quiesce(void *ctx, struct vhu_dev *dev)
{
	(void)dev;
	pollers_quiesce(ctx);
}

static struct port *port_of(struct daemon *d, struct vhu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < d->nports; i++)
		if (d->ports[i].dev == dev)
			return &d->ports[i];
	return NULL;
}

static void cb_queue_state(void *ctx, struct vhu_dev *dev, unsigned int qidx, bool ready)
{
	struct daemon *d = ctx;
	struct port *p = port_of(d, dev);

	if (!p)
		return;
	pr_dbg("%s: vq%u %s", p->name, qidx, ready ? "ready" : "stopped");
	pollers_watch(d, p, qidx, ready);
	if (ready && qidx == 1) {
		char f[256];

		vhu_features_str(vhu_dev__features(dev), f, sizeof(f));
		pr_info("%s: port %u running (%s)", p->name, p->id, f);
	}
}

/* RFC 903 reverse ARP request, as QEMU's own announce sends it. */
static void cb_send_rarp(void *ctx, struct vhu_dev *dev, const uint8_t mac[6])
{
	struct daemon *d = ctx;
	struct port *p = port_of(d, dev);
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	unsigned int n;

	if (!p)
		return;
	memcpy(f + 6, mac, 6);
	f[12] = 0x80, f[13] = 0x35;		/* ETH_P_RARP */
	f[14] = 0, f[15] = 1;			/* Ethernet */
	f[16] = 0x08, f[17] = 0x00;		/* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 3;			/* reverse request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 32, mac, 6);
	fwd_learn(d->fwd, mac, (uint16_t)p->id, atomic_load(&d->now));
	n = pollers_flood_frame(d, p, f, sizeof(f));
	/* The point of SEND_RARP (QEMU announcing a guest without
	 * GUEST_ANNOUNCE): the physical network learns where its MAC is. */
	if (d->nic) {
		nic_l2_sync(d, d->nic);
		if (!nic_send_frame(d->nic, f, sizeof(f)))
			n++;
	}
	pr_info("%s: announced %02x:%02x:%02x:%02x:%02x:%02x with a RARP to %u port(s)%s",
		p->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], n,
		d->nic ? " including the NIC" : "");
}

static void cb_disconnected(void *ctx, struct vhu_dev *dev)
{
	struct daemon *d = ctx;
	struct port *p = port_of(d, dev);

	if (!p)
		return;
	p->disconnects++;
	p->waiting_logged = false;
	fwd_expire(d->fwd, 0, 0, (uint16_t)p->id);
	if (d->nic)
		nic_l2_sync(d, d->nic);
	pr_info("%s: port %u down%s", p->name, p->id,
		p->client ? "; reconnecting every second" : "; waiting for the frontend");
}

static const struct vhu_ops ops = {
	.log = cb_log,
	.quiesce = cb_quiesce,
	.queue_state = cb_queue_state,
	.send_rarp = cb_send_rarp,
	.disconnected = cb_disconnected,
};

/* ---- options ---------------------------------------------------------------- */

static int parse_vhost(struct daemon *d, char *arg)
{
	struct port *p;
	char *opt, *save = NULL, *path = strtok_r(arg, ",", &save), *base, tmp[108];
	__u32 q;

	if (d->nports >= XVIOD_MAX_PORTS) {
		pr_err("--vhost: at most %d ports", XVIOD_MAX_PORTS);
		return -E2BIG;
	}
	p = &d->ports[d->nports];
	memset(p, 0, sizeof(*p));
	p->queues = 1;
	if (!path || !*path) {
		pr_err("--vhost needs a socket path");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(p->path)) {
		pr_err("--vhost %s: path too long (max %zu)", path, sizeof(p->path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(p->path, sizeof(p->path), "%s", path);
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "mac=", 4)) {
			if (loader_parse_mac(opt + 4, p->mac) || (p->mac[0] & 1)) {
				pr_err("--vhost %s: bad MAC '%s' (six hex bytes, unicast)", path,
				       opt + 4);
				return -EINVAL;
			}
			p->have_mac = true;
		} else if (!strcmp(opt, "client")) {
			p->client = true;
		} else if (!strcmp(opt, "server")) {
			p->client = false;
		} else if (!strncmp(opt, "queues=", 7)) {
			if (loader_parse_u32(opt + 7, VHU_MAX_QUEUE_PAIRS, &q) || q == 0) {
				pr_err("--vhost %s: queues=%s (1..%d)", path, opt + 7,
				       VHU_MAX_QUEUE_PAIRS);
				return -EINVAL;
			}
			p->queues = q;
		} else {
			pr_err("--vhost %s: unknown option '%s' (mac=, client, queues=)", path, opt);
			return -EINVAL;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s", p->path);
	base = basename(tmp);
	snprintf(p->name, sizeof(p->name), "%s", base);
	p->id = ++d->nports;
	return 0;
}

static int parse_cores(struct daemon *d, const char *arg)
{
	char buf[128], *tok, *save = NULL;
	__u32 cpu;

	snprintf(buf, sizeof(buf), "%s", arg);
	d->npollers = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (loader_parse_u32(tok, 1023, &cpu) || d->npollers >= XVIOD_MAX_THREADS) {
			pr_err("--cores %s: expected a list of CPU numbers (at most %d)", arg,
			       XVIOD_MAX_THREADS);
			return -EINVAL;
		}
		d->pollers[d->npollers].cpu = (int)cpu;
		d->pollers[d->npollers].id = d->npollers;
		d->npollers++;
	}
	return d->npollers ? 0 : -EINVAL;
}

/* ---- control loop --------------------------------------------------------------- */

static void watch(int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (fd >= 0 && epoll_ctl(ctl_epfd, EPOLL_CTL_ADD, fd, &ev) && errno != EEXIST)
		pr_warn("epoll_ctl: %s", strerror(errno));
}

static void try_connect(struct port *p, unsigned int idx)
{
	int fd = vhu_dev__connect(p->dev);

	if (fd >= 0) {
		p->connects++;
		p->waiting_logged = false;
		watch(fd, TAG(EV_CONN, idx));
	} else if (!p->waiting_logged) {
		pr_info("%s: waiting for the frontend at %s (%s); retrying every second", p->name,
			p->path, strerror(-fd));
		p->waiting_logged = true;
	}
}

static void on_timer(struct daemon *d)
{
	uint32_t now = atomic_fetch_add(&d->now, 1) + 1;
	unsigned int i, n;

	for (i = 0; i < d->nports; i++)
		if (d->ports[i].client && d->ports[i].dev && !vhu_dev__connected(d->ports[i].dev))
			try_connect(&d->ports[i], i);
	if (now % 10 == 0) {
		n = fwd_expire(d->fwd, now, XVIOD_MAC_AGE, FWD_PORT_NONE);
		if (n)
			pr_dbg("forgot %u MAC address(es) not seen for %ds", n, XVIOD_MAC_AGE);
		if (d->nic)
			nic_l2_sync(d, d->nic);
	}
}

static int run(struct daemon *d, int ctl_fd)
{
	struct epoll_event ev[32];
	sigset_t mask;
	int sfd, tfd, i, n;
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };

	/* Blocked in main() before any thread existed, so only this fd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL))
		return -errno;
	watch(sfd, TAG(EV_SIGNAL, 0));
	watch(tfd, TAG(EV_TIMER, 0));
	watch(ctl_fd, TAG(EV_CTL, 0));
	watch(d->learn_efd, TAG(EV_LEARN, 0));
	for (i = 0; i < (int)d->nports; i++) {
		if (port_is_nic(&d->ports[i]))
			continue;
		if (d->ports[i].client)
			try_connect(&d->ports[i], (unsigned int)i);
		else
			watch(vhu_dev__listen_fd(d->ports[i].dev), TAG(EV_LISTEN, i));
	}

	for (;;) {
		n = epoll_wait(ctl_epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			unsigned int kind = (unsigned int)(ev[i].data.u64 >> 56);
			unsigned int idx = (unsigned int)(ev[i].data.u64 & 0xffffff);
			struct signalfd_siginfo si;
			uint64_t ticks;
			int fd;

			switch (kind) {
			case EV_SIGNAL:
				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					pr_info("caught %s; shutting down",
						si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
				close(sfd);
				close(tfd);
				return 0;
			case EV_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					on_timer(d);
				break;
			case EV_CTL:
				ctl_serve(d, ctl_fd);
				break;
			case EV_LISTEN:
				fd = vhu_dev__accept(d->ports[idx].dev);
				if (fd >= 0) {
					d->ports[idx].connects++;
					watch(fd, TAG(EV_CONN, idx));
				}
				break;
			case EV_LEARN:
				if (read(d->learn_efd, &ticks, sizeof(ticks)) > 0 && d->nic)
					nic_l2_sync(d, d->nic);
				break;
			case EV_CONN:
				/* On error the library closed the fd (epoll forgets it). */
				vhu_dev__dispatch(d->ports[idx].dev);
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vhost", 1, NULL, 'V' }, { "cores", 1, NULL, 'c' }, { "poll", 1, NULL, 'p' },
		{ "ctl", 1, NULL, 'C' },   { "max-mtu", 1, NULL, 'm' },   { "verbose", 0, NULL, 'v' },
		{ "help", 0, NULL, 'h' },  { "nic", 1, NULL, 'N' },   { NULL, 0, NULL, 0 },
	};
	struct daemon *d = &daemon_state;
	int verbose = 0, c, err, ctl_fd;
	unsigned int i, q, k = 0;
	sigset_t sigs;
	__u32 v;

	/* Before any thread starts: pollers inherit the mask, and SIGINT/SIGTERM
	 * reach only the control loop's signalfd (never a default action). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	d->mode = POLL_ADAPTIVE;
	d->ctl_path = XVIOD_DEFAULT_CTL;
	d->max_mtu = 65535;
	d->npollers = 1;
	d->pollers[0].cpu = -1;
	signal(SIGPIPE, SIG_IGN);
	log_init("xviod", LOG_INFO);
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'V':
			if (parse_vhost(d, optarg))
				return 2;
			break;
		case 'c':
			if (parse_cores(d, optarg))
				return 2;
			break;
		case 'p':
			if (!strcmp(optarg, "busy"))
				d->mode = POLL_BUSY;
			else if (!strcmp(optarg, "adaptive"))
				d->mode = POLL_ADAPTIVE;
			else if (!strcmp(optarg, "interrupt"))
				d->mode = POLL_INTERRUPT;
			else {
				pr_err("--poll %s: expected busy, adaptive or interrupt", optarg);
				return 2;
			}
			break;
		case 'C':
			d->ctl_path = optarg;
			break;
		case 'N': {
			char e[160];

			if (d->nic) {
				pr_err("--nic: xviod serves at most one NIC");
				return 2;
			}
			if (nic_parse(optarg, &nic_state, e, sizeof(e))) {
				pr_err("%s", e);
				return 2;
			}
			d->nic = &nic_state;
			break;
		}
		case 'm':
			if (loader_parse_u32(optarg, 65535, &v) || v < 68) {
				pr_err("--max-mtu %s: expected 68..65535", optarg);
				return 2;
			}
			d->max_mtu = (uint16_t)v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}
	if (!d->nports) {
		pr_err("no ports: give at least one --vhost PATH");
		usage(stderr);
		return 2;
	}
	log_init("xviod", verbose >= 2 ? LOG_DEBUG : LOG_INFO);
	loader_set_print(loader_print, verbose >= 2 ? LOADER_DEBUG : verbose ? LOADER_INFO : LOADER_WARN);

	d->fwd = calloc(1, sizeof(*d->fwd));
	ctl_epfd = epoll_create1(EPOLL_CLOEXEC);
	d->learn_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!d->fwd || ctl_epfd < 0 || d->learn_efd < 0) {
		pr_err("out of memory");
		return 1;
	}
	fwd_init(d->fwd);
	ctl_fd = -1;
	/* Refuse before touching any socket path or NIC of the running daemon. */
	if (ctl_in_use(d->ctl_path)) {
		pr_err("another xviod is running on %s; stop it or use --ctl PATH", d->ctl_path);
		return 1;
	}

	if (d->nic) {
		struct port *p;

		if (d->nports >= XVIOD_MAX_PORTS || d->nports >= XVIO_MAX_PORTS - 1) {
			pr_err("--nic: too many ports");
			return 2;
		}
		p = &d->ports[d->nports];
		memset(p, 0, sizeof(*p));
		p->id = ++d->nports;
		p->nic = d->nic;
		d->nic->port = p;
		snprintf(p->name, sizeof(p->name), "%s", d->nic->ifname);
	}
	for (i = 0; i < d->nports; i++) {
		struct port *p = &d->ports[i];
		struct vhu_dev_cfg cfg = {
			.name = p->name, .path = p->path, .client = p->client,
			.max_queue_pairs = p->queues, .max_mtu = d->max_mtu, .ops = &ops, .ctx = d,
		};

		for (q = 0; q < VHU_MAX_QUEUE_PAIRS; q++)
			atomic_flag_clear(&p->rx_lock[q]);
		if (port_is_nic(p))
			continue;
		err = vhu_dev__new(&cfg, &p->dev);
		if (err) {
			pr_err("%s: %s", p->path, strerror(-err));
			goto out;
		}
		if (!p->client && vhu_dev__listen(p->dev) < 0)
			goto out;
		if (p->have_mac && fwd_add_static(d->fwd, p->mac, (uint16_t)p->id))
			pr_warn("%s: could not add its MAC to the table", p->name);
		/* Spread queue pairs over the pollers, round robin. */
		for (q = 0; q < p->queues; q++) {
			struct poller *pl = &d->pollers[k++ % d->npollers];

			pl->q[pl->nq].port = p;
			pl->q[pl->nq].qp = q;
			pl->nq++;
		}
	}
	if (d->nic) {
		err = nic_setup(d, d->nic);
		if (err) {
			d->nic = NULL;
			goto out;
		}
		for (q = 0; q < d->nic->nqueues; q++) {
			struct poller *pl = &d->pollers[q % d->npollers];

			pl->nic_q[pl->nnic_q++] = q;
		}
	}
	for (i = 0; i < d->npollers; i++) {
		d->pollers[i].id = i;
		err = poller_start(d, &d->pollers[i]);
		if (!err && d->nic)
			err = nic_watch(d->nic, &d->pollers[i]);
		if (err) {
			pr_err("cannot start poller %u: %s", i, strerror(-err));
			goto out;
		}
	}
	/* Last: a control socket that answers means the daemon is fully up. */
	ctl_fd = ctl_listen(d->ctl_path);
	if (ctl_fd < 0) {
		err = ctl_fd;
		goto out;
	}
	pr_info("%u port(s), %u poller(s), %s polling; control socket %s", d->nports, d->npollers,
		poll_mode_name(d->mode), d->ctl_path);
	err = run(d, ctl_fd);
	if (err)
		pr_err("control loop failed: %s", strerror(-err));

out:
	atomic_store(&d->stopping, true);
	for (i = 0; i < d->npollers; i++)
		poller_stop(&d->pollers[i]);
	if (d->nic)
		nic_teardown(d, d->nic);
	for (i = 0; i < d->nports; i++)
		vhu_dev__free(d->ports[i].dev);
	if (ctl_fd >= 0) {
		close(ctl_fd);
		unlink(d->ctl_path);
	}
	free(d->fwd);
	pr_info("stopped");
	return err ? 1 : 0;
}
