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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "nic.h"
#include "hotplug.h"
#include "state.h"
#include "util.h"
#include "vport.h"

#define TAG(kind) DAEMON_TAG(kind, 0, 0)

/* Everything main() builds; no file-scope state (signals arrive on a
 * signalfd). */
struct xviod {
	struct daemon d;
	struct vport *vports[XVIOD_MAX_PORTS];	/* --vhost, until setup makes them ports */
	unsigned int nvports;
	struct nic nic;
	int ctl_fd;
	char metrics_addr[64];		/* --metrics; "" when off */
	unsigned int metrics_port;
	struct metrics *metrics;
	struct state state;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xviod [--nic IFNAME[,opts]] [--vhost PATH[,opts]]... [OPTIONS]\n"
		"\n"
		"Switches frames between guests on vhost-user sockets (QEMU -netdev vhost-user,\n"
		"DPDK virtio-user) and a NIC, by destination MAC, learning source MACs and\n"
		"flooding broadcast, multicast and unknown destinations. On the NIC, xvio's\n"
		"XDP program steers guest traffic into AF_XDP sockets; the rest stays with\n"
		"the host.\n"
		"\n"
		"  --nic IFNAME[,opts]   the NIC (at most one):\n"
		"                          queues=N   NIC queues served (default: all rx queues)\n"
		"                          mode=M     XDP mode: auto (default), native, skb, or\n"
		"                                     existing (use the xvio program already\n"
		"                                     attached, e.g. by xdp-loader; keep it)\n"
		"                          host=off   do not hand flooded frames to the host\n"
		"                          gro=off    do not merge TCP segments for guests\n"
		"                                     that take large frames (GUEST_TSO)\n"
		"                          tx_csum=off  compute the checksums of frames to the\n"
		"                                     wire here, not through AF_XDP TX\n"
		"                                     metadata\n"
		"                          busy_poll=USEC  SO_PREFER_BUSY_POLL on the sockets\n"
		"                                     (default: 20 with --poll busy, else 0)\n"
		"  --vhost PATH[,opts]   a guest port (repeatable, up to %d; more can be added\n"
		"                        and removed at runtime with xvioctl port add|del):\n"
		"                          mac=MAC    the guest's MAC, known before it sends, and\n"
		"                                     the only source MAC it may send from\n"
		"                          src_check=off  let it send from other MACs too (a\n"
		"                                     guest bridging others)\n"
		"                          max_macs=N  source MACs learned on it (default %d;\n"
		"                                     0: no limit)\n"
		"                          client     connect to the frontend's socket (QEMU\n"
		"                                     server=on) and keep retrying when it goes\n"
		"                          queues=N   queue pairs offered (1..%d, default 1)\n"
		"  --cores LIST          CPUs for poller threads, one thread each (e.g. 1 or 0,1);\n"
		"                        default: one unpinned poller\n"
		"  --poll MODE           busy | adaptive (default) | interrupt\n"
		"  --ctl PATH            control socket for xvioctl (default %s);\n"
		"                        it answers root, xviod's user and --ctl-group only\n"
		"  --ctl-group GROUP     let this group use xvioctl (the socket becomes 0660)\n"
		"  --socket-group GROUP  group of the vhost-user sockets xviod listens on (e.g.\n"
		"                        the one QEMU runs as); not the control socket's\n"
		"  --socket-mode MODE    their mode (default 0600, 0660 with --socket-group);\n"
		"                        a socket directory others can write is refused\n"
		"  --metrics ADDR:PORT   serve every counter of `xvioctl stats` as Prometheus\n"
		"                        text on http://ADDR:PORT/metrics (off by default)\n"
		"  --max-mtu N           refuse a frontend that sets a larger MTU (QEMU host_mtu=;\n"
		"                        default 65535); guests get their MTU from the frontend\n"
		"  --state FILE          keep runtime changes (xvioctl mac add/del, flow add/del)\n"
		"                        in FILE and restore them at start\n"
		"  --config FILE         read options from an INI file first ([xviod], [nic],\n"
		"                        [vhost NAME] sections; see xviod(8)); the command\n"
		"                        line adds to it\n"
		"  -v, --verbose         more messages (twice: every vhost-user message)\n"
		"  -h, --help            this text\n",
		XVIOD_NIC_ID - 1, XVIOD_PORT_MACS, VHU_MAX_QUEUE_PAIRS, XVIOD_DEFAULT_CTL);
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

/* ---- options ---------------------------------------------------------------- */

static int parse_cores(struct daemon *d, const char *arg)
{
	char buf[128], *tok, *save = NULL;
	uint32_t cpu;

	snprintf(buf, sizeof(buf), "%s", arg);
	d->npollers = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (util_parse_u32(tok, 1023, &cpu) || d->npollers >= XVIOD_MAX_THREADS) {
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


static int parse_options(struct xviod *x, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "vhost", 1, NULL, 'V' }, { "cores", 1, NULL, 'c' },   { "poll", 1, NULL, 'p' },
		{ "ctl", 1, NULL, 'C' },   { "max-mtu", 1, NULL, 'm' }, { "verbose", 0, NULL, 'v' },
		{ "help", 0, NULL, 'h' },  { "nic", 1, NULL, 'N' },
		{ "socket-mode", 1, NULL, 'M' }, { "socket-group", 1, NULL, 'G' },
		{ "metrics", 1, NULL, 'P' }, { "ctl-group", 1, NULL, 'g' },
		{ "state", 1, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon *d = &x->d;
	int verbose = 0, c;
	char e[256];
	uint32_t v;

	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'V':
			if (x->nvports >= XVIOD_NIC_ID - 1) {
				pr_err("--vhost: at most %d ports", XVIOD_NIC_ID - 1);
				return 2;
			}
			if (vport_parse(optarg, "--vhost", &x->vports[x->nvports], e, sizeof(e))) {
				pr_err("%s", e);
				return 2;
			}
			x->nvports++;
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
		case 'M':
			if (sockperm_parse_mode(&d->sock, optarg))
				return 2;
			break;
		case 'G':
			if (sockperm_parse_group(&d->sock, "--socket-group", optarg))
				return 2;
			break;
		case 'S':
			if (strlen(optarg) >= sizeof(x->state.path)) {
				pr_err("--state %s: path too long", optarg);
				return 2;
			}
			snprintf(x->state.path, sizeof(x->state.path), "%s", optarg);
			break;
		case 'g':
			if (sockperm_parse_group(&d->ctl_sock, "--ctl-group", optarg))
				return 2;
			break;
		case 'P':
			if (metrics_parse(optarg, x->metrics_addr, sizeof(x->metrics_addr),
					  &x->metrics_port))
				return 2;
			break;
		case 'N':
			if (d->nic) {
				pr_err("--nic: xviod serves at most one NIC");
				return 2;
			}
			if (nic_parse(optarg, &x->nic, e, sizeof(e))) {
				pr_err("%s", e);
				return 2;
			}
			d->nic = &x->nic;
			break;
		case 'm':
			if (util_parse_u32(optarg, 65535, &v) || v < 68) {
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
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}
	sockperm_finish(&d->sock);
	sockperm_finish(&d->ctl_sock);
	for (unsigned int i = 0; i < x->nvports; i++)
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(x->vports[i]->port.name, x->vports[j]->port.name)) {
				pr_err("--vhost %s and %s: two ports named %s (the socket's name "
				       "names the port; use different ones)", x->vports[j]->path,
				       x->vports[i]->path, x->vports[i]->port.name);
				return 2;
			}
	log_init("xviod", verbose >= 2 ? LOG_DEBUG : LOG_INFO);
	loader_set_print(loader_print, verbose >= 2 ? LOADER_DEBUG : verbose ? LOADER_INFO : LOADER_WARN);
	return 0;
}

/* ---- control loop --------------------------------------------------------------- */

static void watch(struct daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) && errno != EEXIST)
		pr_warn("epoll_ctl: %s", strerror(errno));
}

/* The guest port an event was for, unless it went since (or is not one). */
static struct vport *event_vport(struct daemon *d, uint64_t tag)
{
	unsigned int id = (unsigned int)(tag & 0xff);
	struct port *p = daemon_port(d, id);

	if (!p || p->ops != &vport_ops || d->port_gen[id - 1] != (uint32_t)(tag >> 8))
		return NULL;
	return vport_of(p);
}

static void on_timer(struct xviod *x)
{
	struct daemon *d = &x->d;
	uint32_t now = atomic_fetch_add(&d->now, 1) + 1;
	struct vport *vp;
	unsigned int i, n;

	pollers_watchdog(d);
	if (d->nic)
		nic_mtu_sync(d->nic);
	if (x->metrics)
		metrics_run(x->metrics); /* its connection timeouts */
	for (i = 0; (vp = vport_next(d, &i));) {
		vhu_dev__tick(vp->dev);
		if (vp->client && !vhu_dev__connected(vp->dev))
			ports_watch(d, vp); /* connects */
	}
	if (now % 10 == 0) {
		n = fwd_expire(d->fwd, now, XVIOD_MAC_AGE, FWD_PORT_NONE);
		if (n)
			pr_dbg("forgot %u MAC address(es) not seen for %ds", n, XVIOD_MAC_AGE);
		if (d->nic)
			nic_l2_sync(d->nic);
	}
}

static int run(struct xviod *x)
{
	struct daemon *d = &x->d;
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
	watch(d, sfd, TAG(EV_SIGNAL));
	watch(d, tfd, TAG(EV_TIMER));
	watch(d, x->ctl_fd, TAG(EV_CTL));
	watch(d, d->learn_efd, TAG(EV_LEARN));
	if (x->metrics)
		watch(d, metrics_fd(x->metrics), TAG(EV_METRICS));
	/* The ports' sockets are watched as they are added (ports_watch). */

	for (;;) {
		n = epoll_wait(d->epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			unsigned int kind = (unsigned int)(ev[i].data.u64 >> 56);
			struct vport *vp = event_vport(d, ev[i].data.u64);
			struct signalfd_siginfo si;
			uint64_t ticks;
			int fd;

			switch (kind) {
			case EV_SIGNAL:
				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					pr_info("caught %s; shutting down",
						si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
				sd_notify(0, "STOPPING=1");
				close(sfd);
				close(tfd);
				return 0;
			case EV_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					on_timer(x);
				break;
			case EV_CTL:
				ctl_serve(d, x->ctl_fd);
				break;
			case EV_LISTEN:
				fd = vp ? vport_accept(vp) : -1;
				if (fd >= 0)
					watch(d, fd, DAEMON_TAG(EV_CONN, (uint32_t)(ev[i].data.u64 >> 8),
								ev[i].data.u64 & 0xff));
				break;
			case EV_METRICS:
				metrics_run(x->metrics);
				break;
			case EV_LEARN:
				if (read(d->learn_efd, &ticks, sizeof(ticks)) > 0 && d->nic)
					nic_l2_sync(d->nic);
				break;
			case EV_CONN:
				/* On error the library closed the fd (epoll forgets it). */
				if (vp)
					vhu_dev__dispatch(vp->dev);
				break;
			}
		}
	}
}

/* ---- start and stop -------------------------------------------------------------- */

/* The NIC first (its id is fixed), then the guest ports numbered in the
 * order given; receive queues spread over the pollers: the NIC's first
 * (queue q to poller q), then the guests' queue pairs round robin. */
static int setup(struct xviod *x)
{
	struct daemon *d = &x->d;
	char e[256];
	unsigned int i, q;
	int err;

	d->fwd = calloc(1, sizeof(*d->fwd));
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->learn_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!d->fwd || d->epfd < 0 || d->learn_efd < 0) {
		pr_err("out of memory or file descriptors");
		return -ENOMEM;
	}
	fwd_init(d->fwd);
	if (d->nic) {
		err = nic_setup(d, d->nic, XVIOD_NIC_ID);
		if (err) {
			d->nic = NULL;
			return err;
		}
		atomic_store(&d->ports[XVIOD_NIC_ID - 1], &d->nic->port);
		d->nports++;
		for (q = 0; q < d->nic->nqueues; q++)
			poller_add_queue(&d->pollers[q % d->npollers], &d->nic->port, q);
	}
	d->cfg_ports = x->nvports;
	for (i = 0; i < x->nvports; i++) {
		struct vport *vp = x->vports[i];

		x->vports[i] = NULL; /* the port's now (freed on error) */
		err = ports_add(d, vp, i + 1, e, sizeof(e));
		if (err < 0) {
			pr_err("%s", e);
			return err;
		}
	}
	/* Runtime changes of the last run, once every port exists. */
	d->state = &x->state;
	err = state_load(d, &x->state);
	if (err)
		return err;
	for (i = 0; i < d->npollers; i++) {
		d->pollers[i].id = i;
		err = poller_start(d, &d->pollers[i]);
		if (err) {
			pr_err("cannot start poller %u: %s", i, strerror(-err));
			return err;
		}
	}
	/* Last: a control socket that answers means the daemon is fully up. */
	if (x->metrics_addr[0]) {
		x->metrics = metrics_start(d, x->metrics_addr, x->metrics_port);
		if (!x->metrics)
			return -EADDRNOTAVAIL;
	}
	x->ctl_fd = ctl_listen(d->ctl_path, &d->ctl_sock);
	if (x->ctl_fd < 0)
		return x->ctl_fd;
	pr_info("%u port(s), %u poller(s), %s polling; control socket %s", d->nports, d->npollers,
		poll_mode_name(d->mode), d->ctl_path);
	if (d->nports == (d->nic ? 1u : 0u))
		pr_info("no ports yet: add guest ports with `xvioctl port add PATH[,options]`");
	/* systemd Type=notify: ready once xvioctl can reach us (no-op without
	 * $NOTIFY_SOCKET). */
	sd_notifyf(0, "READY=1\nSTATUS=%u port(s), %u poller(s), control socket %s", d->nports,
		   d->npollers, d->ctl_path);
	return 0;
}

static void teardown(struct xviod *x)
{
	struct daemon *d = &x->d;
	struct vport *vp;
	unsigned int i;

	atomic_store(&d->stopping, true);
	metrics_stop(x->metrics);
	x->metrics = NULL;
	for (i = 0; i < d->npollers; i++)
		poller_stop(&d->pollers[i]);
	for (i = 0; (vp = vport_next(d, &i));)
		vport_free(vp);
	if (d->nic)
		nic_teardown(d->nic);
	for (i = 0; i < x->nvports; i++)
		vport_free(x->vports[i]); /* not made ports (setup failed first) */
	if (x->ctl_fd >= 0) {
		close(x->ctl_fd);
		unlink(d->ctl_path);
	}
	if (d->learn_efd >= 0)
		close(d->learn_efd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->fwd);
}

/* --config FILE: the file's options, then the command line's (without
 * --config), through the one option parser. */
static int with_config(struct xviod *x, int argc, char **argv)
{
	static struct config_args cfg;
	char *all[CONFIG_MAX_ARGS * 2];
	const char *path = NULL;
	int i, n = 0, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
	}
	if (!path)
		return parse_options(x, argc, argv);
	if (config_load(path, &cfg))
		return 2;
	all[n++] = argv[0];
	for (i = 0; i < cfg.argc; i++)
		all[n++] = cfg.argv[i];
	for (i = 1; i < argc && n < CONFIG_MAX_ARGS * 2 - 1; i++) {
		if (!strcmp(argv[i], "--config")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--config=", 9))
			continue;
		all[n++] = argv[i];
	}
	all[n] = NULL;
	err = parse_options(x, n, all);
	if (err > 1 && optind - 1 <= cfg.argc)
		pr_err("(that option came from %s)", path);
	return err;
}

int main(int argc, char **argv)
{
	struct xviod *x = calloc(1, sizeof(*x));
	sigset_t sigs;
	unsigned int i;
	int err;

	if (!x) {
		fprintf(stderr, "xviod: out of memory\n");
		return 1;
	}
	/* Before any thread starts: pollers inherit the mask, and SIGINT/SIGTERM
	 * reach only the control loop's signalfd (never a default action). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Sockets are owner-only from bind() on; --socket-mode widens them. */
	umask(077);
	log_init("xviod", LOG_INFO);
	/* A frontend that truncates guest memory under our mapping breaks its
	 * own port, not the daemon. */
	if (vhu_sigbus_guard())
		pr_warn("cannot install the SIGBUS handler: a frontend that shrinks guest "
			"memory under the mapping would stop xviod");
	if (pollers_watchdog_init())
		pr_warn("cannot install the pollers' watchdog signal handler");

	x->ctl_fd = -1;
	x->d.epfd = x->d.learn_efd = -1;
	x->d.mode = POLL_ADAPTIVE;
	x->d.ctl_path = XVIOD_DEFAULT_CTL;
	x->d.max_mtu = 65535;
	x->d.npollers = 1;
	x->d.pollers[0].cpu = -1;
	for (i = 0; i < XVIOD_MAX_THREADS; i++)
		x->d.pollers[i].epfd = x->d.pollers[i].wake_fd = -1;
	err = with_config(x, argc, argv);
	if (err) {
		for (i = 0; i < x->nvports; i++)
			vport_free(x->vports[i]);
		free(x);
		return err == 1 ? 0 : err; /* 1: --help */
	}
	/* Refuse before touching any socket path or NIC of the running daemon. */
	if (ctl_in_use(x->d.ctl_path)) {
		pr_err("another xviod is running on %s; stop it or use --ctl PATH", x->d.ctl_path);
		err = 1;
	} else {
		err = setup(x);
		if (!err) {
			err = run(x);
			if (err)
				pr_err("control loop failed: %s", strerror(-err));
		}
	}
	teardown(x);
	pr_info("stopped");
	free(x);
	return err ? 1 : 0;
}
