// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The NIC port, control path: --nic options, attaching the XDP program and
 * opening the AF_XDP sockets, keeping the BPF L2 table in step with the
 * switch's, flows, and what xvioctl shows of the NIC. The data path is
 * nic_dp.c; the frame path is described there.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include "daemon.h"
#include "jsonw.h"
#include "log.h"
#include "nic.h"
#include "util.h"

#define BURST VHU_BURST

int nic_parse(const char *arg, struct nic *n, char *err, size_t errlen)
{
	char buf[128], *tok, *save = NULL;
	uint32_t v;

	memset(n, 0, sizeof(*n));
	n->host = true;
	n->port.gro = true;
	n->tx_csum = true;
	n->busy_poll = NIC_BUSY_POLL_AUTO;
	n->inject_fd = -1;
	snprintf(buf, sizeof(buf), "%s", arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok || !*tok || strlen(tok) >= sizeof(n->ifname)) {
		snprintf(err, errlen, "--nic needs an interface name");
		return -EINVAL;
	}
	snprintf(n->ifname, sizeof(n->ifname), "%s", tok);
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "queues=", 7)) {
			if (util_parse_u32(tok + 7, XVIO_MAX_QUEUES, &v) || !v) {
				snprintf(err, errlen, "--nic %s: queues=%s (1..%d)", n->ifname, tok + 7,
					 XVIO_MAX_QUEUES);
				return -EINVAL;
			}
			n->nqueues = v;
		} else if (!strncmp(tok, "mode=", 5)) {
			n->existing = !strcmp(tok + 5, "existing");
			if (!n->existing && loader_parse_mode(tok + 5, &n->mode)) {
				snprintf(err, errlen,
					 "--nic %s: mode=%s (auto, native, skb or existing)",
					 n->ifname, tok + 5);
				return -EINVAL;
			}
		} else if (!strncmp(tok, "busy_poll=", 10)) {
			if (util_parse_u32(tok + 10, 1000000, &v)) {
				snprintf(err, errlen, "--nic %s: busy_poll=%s (microseconds)",
					 n->ifname, tok + 10);
				return -EINVAL;
			}
			n->busy_poll = v;
		} else if (!strcmp(tok, "host=on") || !strcmp(tok, "host=off")) {
			n->host = !strcmp(tok, "host=on");
		} else if (!strcmp(tok, "gro=on") || !strcmp(tok, "gro=off")) {
			n->port.gro = !strcmp(tok, "gro=on");
		} else if (!strcmp(tok, "tx_csum=on") || !strcmp(tok, "tx_csum=off")) {
			n->tx_csum = !strcmp(tok, "tx_csum=on");
		} else {
			snprintf(err, errlen,
				 "--nic %s: unknown option '%s' (queues=, mode=, host=, gro=, tx_csum=, "
				 "busy_poll=)",
				 n->ifname, tok);
			return -EINVAL;
		}
	}
	return 0;
}

/* Queues the device has (rx-N entries in sysfs), capped at XVIO_MAX_QUEUES. */
static unsigned int device_queues(const char *ifname)
{
	unsigned int n = 0;
	char path[128];

	for (;;) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u", ifname, n);
		if (access(path, F_OK) || n == XVIO_MAX_QUEUES)
			break;
		n++;
	}
	return n ? n : 1;
}

/* One SIOCGIF* ioctl on @ifname; @ifr has the answer. 0 or -errno. */
static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

static int read_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int err = if_ioctl(ifname, SIOCGIFHWADDR, &ifr);

	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

static int read_mtu(const char *ifname, uint32_t *mtu)
{
	struct ifreq ifr = {};
	int err = if_ioctl(ifname, SIOCGIFMTU, &ifr);

	if (!err)
		*mtu = (uint32_t)ifr.ifr_mtu;
	return err;
}

void nic_mtu_sync(struct nic *n)
{
	uint32_t mtu = 0, carry, frame;
	char name[IF_NAMESIZE];
	unsigned int q;

	if (!n->nqueues || !n->queues[0].q)
		return;
	/* the smallest any queue carries (they bind alike, but may not) */
	for (q = 0, carry = UINT32_MAX; q < n->nqueues; q++)
		if (n->queues[q].q && afxdp_queue__max_packet(n->queues[q].q) < carry)
			carry = afxdp_queue__max_packet(n->queues[q].q);
	/* by index: the name may have changed since */
	if (!if_indextoname((unsigned int)n->ifindex, name) || read_mtu(name, &mtu)) {
		if (!atomic_load(&n->max_frame)) { /* never read: what the sockets carry */
			pr_warn("%s: cannot read its MTU; frames to the wire up to %u bytes",
				n->ifname, carry);
			atomic_store(&n->max_frame, carry);
		}
		return;
	}
	if (mtu == n->mtu)
		return;
	frame = mtu + 18 < carry ? mtu + 18 : carry;
	if (n->mtu)
		pr_info("%s: MTU %u -> %u: frames to the wire up to %u bytes", n->ifname, n->mtu,
			mtu, frame);
	else
		pr_info("%s: MTU %u: frames to the wire up to %u bytes (%s)", n->ifname, mtu,
			frame, afxdp_queue__sg(n->queues[0].q) ? "multi-buffer AF_XDP" :
			"one UMEM frame each");
	if (mtu + 18 > carry)
		pr_warn("%s: MTU %u is more than these AF_XDP sockets carry (%u bytes a frame: the "
			"kernel lacks multi-buffer AF_XDP, Linux 6.6+, or the driver does): larger "
			"frames are dropped both ways (xdp_rx_dropped, tx_too_big); lower the MTU",
			n->ifname, mtu, carry);
	n->mtu = mtu;
	atomic_store_explicit(&n->max_frame, frame, memory_order_relaxed);
}

/* The interface's driver name (ETHTOOL_GDRVINFO), or "" when unknown. */
static void read_driver(const char *ifname, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };

	drv[0] = 0;
	if (!if_ioctl(ifname, SIOCETHTOOL, &ifr))
		snprintf(drv, len, "%s", info.driver);
}

/* r0 = XDP_PASS; exit. Run on live frames it delivers them to the stack. */
static int load_inject_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xvio_inject", "GPL", insns, 2, NULL);
}

/* Undo what setup made, in reverse. */
static void close_queues(struct nic *n)
{
	unsigned int q;

	for (q = 0; q < n->nqueues; q++) {
		/* No limits for sockets that are gone: with mode=existing the
		 * program stays, and floods must reach the host again. */
		nic_room_clear(n, q);
		afxdp_queue__free(n->queues[q].q);
		n->queues[q].q = NULL;
		n->queues[q].flood = NULL;
		n->queues[q].nsocks = 0;
	}
}

/* The socket of @port on queue @q: made the first time (a port's id keeps
 * its sockets after the port is removed: closing one would lose the UMEM
 * frames in its ring, and what still arrives there is drained and dropped
 * by the data path), and put into the XSKMAP. The caller holds the queue's
 * lock once pollers run. */
static int port_sock(struct nic *n, unsigned int q, uint32_t port)
{
	struct nic_queue *nq = &n->queues[q];
	struct afxdp_sock *s = NULL;
	char err[160] = "";
	unsigned int i;
	int rc;

	for (i = 0; i < nq->nsocks; i++)
		if (nq->sock_port[i] == port)
			s = nq->socks[i];
	if (!s) {
		rc = afxdp_queue__add_socket(nq->q, &s, err, sizeof(err));
		if (rc) {
			pr_err("%s", err);
			return rc;
		}
		nq->sock_port[nq->nsocks] = port;
		nq->stalled[nq->nsocks] = 0;
		nq->room_set[nq->nsocks] = false;
		nq->room_idle[nq->nsocks] = 0;
		nq->socks[nq->nsocks++] = s;
		if (port == XVIO_PORT_FLOOD)
			nq->flood = s;
	}
	rc = loader_maps__xsk_set(n->maps, port, q, afxdp_sock__fd(s));
	if (rc)
		pr_err("%s q%u: cannot put the socket of port %u into the XSKMAP: %s", n->ifname,
		       q, port, strerror(-rc));
	return rc;
}

/* Queue @q's UMEM, its flood socket and one socket per guest port. */
static int open_queue(struct daemon *d, struct nic *n, unsigned int q)
{
	struct nic_queue *nq = &n->queues[q];
	unsigned int id, flags = 0;
	uint32_t mtu = 0;
	int rc;

	atomic_flag_clear(&nq->lock);
	/* Jumbo frames already: multi-buffer before zero-copy */
	if (!read_mtu(n->ifname, &mtu) && mtu + 18 > XVIO_RX_FRAME_DATA)
		flags |= AFXDP_Q_NEED_SG;
	rc = afxdp_queue__new(n->ifname, q, NIC_RING_SIZE, flags, &nq->q);
	if (rc) {
		pr_err("%s q%u: cannot create the UMEM: %s", n->ifname, q, strerror(-rc));
		return rc;
	}
	/* Flood socket (port 0) first: it also carries the queue's TX. */
	rc = port_sock(n, q, XVIO_PORT_FLOOD);
	for (id = 1; !rc && id <= XVIOD_MAX_PORTS; id++)
		if (daemon_port(d, id) && id != n->port.id)
			rc = port_sock(n, q, id);
	return rc;
}

int nic_port_add(struct nic *n, unsigned int id)
{
	unsigned int q, done;
	int rc = 0;

	if (id >= XVIO_MAX_PORTS)
		return -ERANGE;
	for (q = 0; q < n->nqueues && !rc; q++) {
		struct nic_queue *nq = &n->queues[q];
		unsigned int before = nq->nsocks;
		int epfd;

		qlock(nq);
		rc = port_sock(n, q, id);
		qunlock(nq);
		if (rc || nq->nsocks == before)
			continue;
		/* a new socket: into its poller's epoll set, busy polled as the others */
		epfd = pollers_epfd(n->d, &n->port, q);
		if (epfd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.fd = -1 };

			if (epoll_ctl(epfd, EPOLL_CTL_ADD, afxdp_sock__fd(nq->socks[before]), &ev))
				pr_warn("%s q%u: cannot watch the new socket: %s", n->ifname, q,
					strerror(errno));
		}
		if (nq->busy_poll || n->busy_poll)
			(void)afxdp_queue__set_busy_poll(nq->q, n->busy_poll, VHU_BURST * 2);
	}
	if (rc)
		for (done = 0; done < q; done++)
			loader_maps__xsk_set(n->maps, id, done, -1);
	return rc;
}

struct flow_gone {
	struct xvio_flow_key del[256];
	unsigned int ndel;
	uint32_t port;
};

static int pick_flow(const struct xvio_flow_key *k, const struct xvio_action *a, void *arg)
{
	struct flow_gone *g = arg;

	if (a->kind == XVIO_ACT_XSK && a->port == g->port && g->ndel < 256)
		g->del[g->ndel++] = *k;
	return 0;
}

unsigned int nic_port_del(struct nic *n, unsigned int id)
{
	static struct flow_gone g;
	unsigned int q, i, gone = 0, batch;

	if (id >= XVIO_MAX_PORTS || !n->maps)
		return 0;
	/* No new frame for the port's sockets; what is in them drains. */
	for (q = 0; q < n->nqueues; q++)
		loader_maps__xsk_set(n->maps, id, q, -1);
	/* Flows that steered into it would only drop now. */
	g.port = id;
	do { /* a batch that deletes nothing ends it */
		g.ndel = 0;
		batch = 0;
		loader_maps__flow_foreach(n->maps, pick_flow, &g);
		for (i = 0; i < g.ndel; i++)
			batch += !loader_maps__flow_del(n->maps, &g.del[i]);
		gone += batch;
	} while (g.ndel == 256 && batch);
	return gone;
}

/* Attach our program; a program or pins left by a crashed xviod are
 * replaced (fresh tables: libbpf 1.1 cannot reuse the pinned devmap). */
static int attach(struct nic *n, struct loader_status *st)
{
	unsigned int i;
	int rc;

	rc = loader_attach(n->ifname, n->mode, true, st);
	for (i = 0; rc && rc != -ENODEV && i < 10; i++) {
		/* Right after a crashed xviod the kernel may still be tearing
		 * down its program's users (sockets, maps): try again shortly. */
		pr_warn("%s: attaching failed (%s); retrying", n->ifname, strerror(-rc));
		usleep(200 * 1000);
		rc = loader_attach(n->ifname, n->mode, true, st);
	}
	if (rc) {
		pr_err("%s: cannot attach the XDP program (%s); see the lines above", n->ifname,
		       strerror(-rc));
		return rc;
	}
	pr_info("%s: XDP program attached in %s mode%s", n->ifname, st->mode,
		st->dispatcher ? " behind libxdp's dispatcher" : "");
	return 0;
}

/* mode=existing: serve through the xvio program someone else attached
 * (`xdp-loader load ... --pin-path /sys/fs/bpf/xvio/IF`), and leave it. */
static int adopt(struct nic *n, struct loader_status *st)
{
	int rc = loader_status(n->ifname, st);

	if (rc)
		return rc;
	if (!st->attached || !st->ours || !st->maps_live) {
		pr_err("%s: mode=existing, but %s; load it first: xdp-loader load IF xvio.bpf.o "
		       "--pin-path %s (or xvio-loader attach IF)", n->ifname,
		       !st->attached ? "no XDP program is attached" :
		       !st->ours     ? "the attached XDP program is not xvio's" :
				       "its maps are not pinned where xvio looks",
		       st->pin_dir);
		return -ENOENT;
	}
	pr_info("%s: using the attached xvio program (id %u, %s mode%s)", n->ifname, st->prog_id,
		st->mode, st->dispatcher ? ", behind libxdp's dispatcher" : "");
	return 0;
}

/* host=on: the program that hands flooded frames to the host stack, and
 * the cookie that keeps them from being flooded again (xvio/host.h). */
static int setup_host(struct nic *n)
{
	int rc;

	n->inject_fd = -1;
	if (n->host) {
		if (getrandom(&n->cookie, sizeof(n->cookie), 0) != sizeof(n->cookie) ||
		    !n->cookie)
			n->cookie = 0x78766f696f6b6965ULL ^ (uint64_t)getpid() << 16;
		n->inject_fd = load_inject_prog();
		if (n->inject_fd < 0)
			pr_warn("%s: cannot load the host re-injection program (%s); broadcasts "
				"will reach the guests but not the host stack",
				n->ifname, strerror(errno));
	}
	/* Only generic XDP sees re-injected frames again: elsewhere the check
	 * would only cost time. */
	rc = loader_maps__set_host_cookie(n->maps,
					  n->skb_mode && n->inject_fd >= 0 ? n->cookie : 0);
	if (rc) {
		pr_err("%s: cannot set the re-injection cookie: %s", n->ifname, strerror(-rc));
		return rc;
	}
	if (n->skb_mode && n->inject_fd >= 0)
		pr_info("%s: skb mode: flooded frames handed to the host stack carry a cookie "
			"the program passes on", n->ifname);
	return 0;
}

static void prune_l2(struct nic *n, bool all);

/* Undo setup_host and the maps; with mode=existing, take our entries out
 * of the program's tables (the sockets leave the XSKMAP as they close). */
static void release(struct nic *n)
{
	if (n->inject_fd >= 0)
		close(n->inject_fd);
	n->inject_fd = -1;
	if (n->maps && n->existing) {
		loader_maps__set_host_cookie(n->maps, 0);
		prune_l2(n, true);
	}
	loader_maps__close(n->maps);
	n->maps = NULL;
	n->room = NULL; /* unmapped with the maps */
}

int nic_setup(struct daemon *d, struct nic *n, uint16_t id)
{
	char drv[32];
	struct loader_status st;
	unsigned int q;
	int rc;

	n->d = d;
	n->port.id = id;
	snprintf(n->port.name, sizeof(n->port.name), "%s", n->ifname);
	n->port.ops = &nic_ops;
	n->ifindex = (int)if_nametoindex(n->ifname);
	if (!n->ifindex) {
		pr_err("--nic %s: no such interface (check `ip link`)", n->ifname);
		return -ENODEV;
	}
	if (read_mac(n->ifname, n->mac))
		pr_warn("%s: cannot read its MAC address", n->ifname);
	/* A veth's peer stack hands it TCP/UDP frames whose checksum is left
	 * to offload (CHECKSUM_PARTIAL); XDP passes them on as they are. A
	 * real NIC's frames come off the wire complete. */
	read_driver(n->ifname, drv, sizeof(drv));
	n->partial_csum = !strcmp(drv, "veth");
	if (n->partial_csum)
		pr_info("%s is a veth: frames its peer sends with checksum offload on arrive with "
			"the checksum not done; xviod marks them (rx_csum_partial) so guests with "
			"GUEST_CSUM take them and others get them completed. `ethtool -K PEER tx "
			"off` on the peer avoids the work",
			n->ifname);
	if (!n->nqueues)
		n->nqueues = device_queues(n->ifname);
	rc = n->existing ? adopt(n, &st) : attach(n, &st);
	if (rc)
		return rc;
	snprintf(n->xdp_mode, sizeof(n->xdp_mode), "%s", st.mode);
	n->skb_mode = !strcmp(st.mode, "skb");
	rc = loader_maps__open(n->ifname, true, &n->maps);
	if (rc) {
		pr_err("%s: cannot open the program's pinned maps: %s", n->ifname, strerror(-rc));
		goto err_detach;
	}
	rc = setup_host(n);
	if (rc)
		goto err_maps;
	n->room = loader_maps__room(n->maps);
	if (!n->room) {
		rc = -ENOMEM;
		goto err_maps;
	}

	for (q = 0; q < n->nqueues; q++) {
		rc = open_queue(d, n, q);
		if (rc)
			goto err_queues;
	}
	/* Busy polling by default only when the pollers never sleep: then the
	 * poller, not whichever CPU took the interrupt, can run the queue's
	 * NAPI, for one recvfrom per round. Whether the driver lets it is known
	 * at the first frame (check_napi in nic_dp.c). */
	if (n->busy_poll == NIC_BUSY_POLL_AUTO)
		n->busy_poll = d->mode == POLL_BUSY ? NIC_BUSY_POLL_DEFAULT : 0;
	for (q = 0; n->busy_poll && q < n->nqueues; q++) {
		rc = afxdp_queue__set_busy_poll(n->queues[q].q, n->busy_poll, VHU_BURST * 2);
		if (rc) {
			pr_warn("%s q%u: preferred busy polling not available (%s); continuing "
				"without it", n->ifname, q, strerror(-rc));
			n->busy_poll = 0;
			while (q)
				n->queues[--q].busy_poll = false;
			break;
		}
		n->queues[q].busy_poll = true;
	}
	nic_mtu_sync(n);
	/* Copy mode only: there the kernel builds an skb from the metadata
	 * (CHECKSUM_PARTIAL), which any device takes. A zero-copy driver
	 * ignores a request it does not implement (netdev xsk-features,
	 * not probed here), and the frame would leave with a wrong sum. */
	for (q = 0; n->tx_csum && q < n->nqueues; q++)
		if (!afxdp_queue__tx_csum_ok(n->queues[q].q) ||
		    afxdp_queue__zerocopy(n->queues[q].q))
			break;
	if (n->tx_csum && q < n->nqueues) {
		n->tx_csum = false;
		pr_info("%s: TX checksums computed by xviod (%s)", n->ifname,
			!afxdp_queue__tx_csum_ok(n->queues[q].q) ?
			"the kernel has no AF_XDP TX metadata: Linux 6.11+" :
			"zero-copy: whether the driver takes them as TX metadata is not probed");
	} else if (n->tx_csum && !strcmp(drv, "virtio_net")) {
		/* IFF_TX_SKB_NO_LINEAR: copy mode builds its skbs on a path
		 * that ignored TX metadata until a kernel change of late 2025
		 * (not in 6.18); the frames would leave with a wrong sum */
		n->tx_csum = false;
		pr_info("%s: TX checksums computed by xviod (virtio_net: the kernel's copy-mode "
			"transmit path for it ignored TX metadata until a change of late 2025)",
			n->ifname);
	} else if (n->tx_csum) {
		pr_info("%s: TX checksums left to the kernel's transmit path through AF_XDP TX "
			"metadata: the device's checksum offload, or the kernel for a device "
			"without (tx_csum=off: computed by xviod)", n->ifname);
	}
	pr_info("%s: %u queue(s), %s mode AF_XDP, %u socket(s) per queue, host stack %s",
		n->ifname, n->nqueues, afxdp_queue__zerocopy(n->queues[0].q) ? "zero-copy" : "copy",
		afxdp_queue__nsocks(n->queues[0].q),
		n->host ? "also gets broadcast/multicast" : "gets no flooded frames");
	nic_l2_sync(n);
	return 0;

err_queues:
	close_queues(n);
err_maps:
	release(n);
err_detach:
	if (!n->existing)
		loader_detach(n->ifname, false);
	return rc;
}

void nic_teardown(struct nic *n)
{
	close_queues(n);
	release(n);
	if (n->existing) {
		pr_info("%s: XDP program left attached (mode=existing), our entries removed",
			n->ifname);
		return;
	}
	/* No stale program or pin is left for the next xviod. */
	if (!loader_detach(n->ifname, false))
		pr_info("%s: XDP program detached, pins removed", n->ifname);
}

/* The wire's sockets: in the epoll set of the poller that reads queue @q. */
static int watch(struct port *p, unsigned int q, int epfd)
{
	struct nic_queue *nq = &nic_of(p)->queues[q];
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = -1 }; /* nothing to drain */
	unsigned int s;

	for (s = 0; s < afxdp_queue__nsocks(nq->q); s++)
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, afxdp_sock__fd(afxdp_queue__sock(nq->q, s)), &ev))
			return -errno;
	return 0;
}

/* ---- control path -------------------------------------------------------------- */

#define L2_DEL_BATCH 1024 /* entries deleted per scan of the table */

struct l2_scan {
	struct daemon *d;
	bool all;			/* every entry we own, not only stale ones */
	struct xvio_l2_key del[L2_DEL_BATCH];
	unsigned int ndel;
};

/* A port with sockets on the NIC: any but the NIC's own. */
static bool guest_port(struct nic *n, uint32_t port)
{
	return port != n->port.id && daemon_port(n->d, port);
}

static int scan_l2(const struct xvio_l2_key *k, const struct xvio_action *a, void *arg)
{
	struct l2_scan *sc = arg;

	/* Only entries the daemon owns (guest sockets) are ours to remove. */
	if (a->kind != XVIO_ACT_XSK || k->vlan)
		return 0;
	if ((sc->all || fwd_lookup(sc->d->fwd, k->mac) != a->port) && sc->ndel < L2_DEL_BATCH)
		sc->del[sc->ndel++] = *k;
	return 0;
}

/* Delete the entries scan_l2 picks: stale ones, or (@all) every one we own. */
static void prune_l2(struct nic *n, bool all)
{
	static struct l2_scan sc;
	unsigned int i, gone;

	sc.d = n->d;
	sc.all = all;
	do { /* a full batch: scan again, the table holds up to 4096 */
		sc.ndel = 0;
		gone = 0;
		loader_maps__l2_foreach(n->maps, scan_l2, &sc);
		for (i = 0; i < sc.ndel; i++)
			gone += !loader_maps__l2_del(n->maps, &sc.del[i]);
	} while (sc.ndel == L2_DEL_BATCH && gone); /* a batch that deletes nothing ends it */
}

int nic_l2_sync(struct nic *n)
{
	static struct fwd_entry e[FWD_SLOTS];
	struct daemon *d = n->d;
	unsigned int i, cnt;

	if (!n->maps)
		return 0;
	prune_l2(n, false);
	cnt = fwd_dump(d->fwd, atomic_load(&d->now), e, FWD_SLOTS);
	for (i = 0; i < cnt; i++) {
		struct xvio_l2_key k = { .vlan = 0 };
		struct xvio_action a = { .kind = XVIO_ACT_XSK, .port = e[i].port };

		if (!guest_port(n, e[i].port))
			continue;
		memcpy(k.mac, e[i].mac, 6);
		loader_maps__l2_add(n->maps, &k, &a, true);
	}
	return 0;
}

struct flow_print {
	FILE *out;
	bool json;
	struct jsonw w;
	int n;
};

static int print_flow(const struct xvio_flow_key *k, const struct xvio_action *a, void *arg)
{
	struct flow_print *fp = arg;
	char match[256], act[64];

	if (loader_format_flow(k, match, sizeof(match)) ||
	    loader_format_action(a, act, sizeof(act)))
		return 0;
	fp->n++;
	if (fp->json) {
		jsonw_obj_open(&fp->w, NULL);
		jsonw_str(&fp->w, "match", match);
		jsonw_str(&fp->w, "action", act);
		jsonw_obj_close(&fp->w);
	} else {
		fprintf(fp->out, "%-70s -> %s\n", match, act);
	}
	return 0;
}

void nic_flow_cmd(struct nic *n, int argc, char **argv, FILE *out, bool json)
{
	struct xvio_flow_key key;
	struct xvio_action act;
	struct flow_print fp = { .out = out, .json = json };
	char err[256];
	int rc;

	if (argc < 1) {
		fprintf(out, "error: flow add|del|list ...\n");
		return;
	}
	if (!strcmp(argv[0], "list")) {
		if (json) {
			jsonw_init(&fp.w, out);
			jsonw_arr_open(&fp.w, NULL);
		}
		loader_maps__flow_foreach(n->maps, print_flow, &fp);
		if (json) {
			jsonw_arr_close(&fp.w);
			jsonw_end(&fp.w);
		} else if (!fp.n) {
			fprintf(out, "(no flows on %s)\n", n->ifname);
		}
		return;
	}
	if (strcmp(argv[0], "add") && strcmp(argv[0], "del")) {
		fprintf(out, "error: unknown flow command '%s' (add, del, list)\n", argv[0]);
		return;
	}
	rc = loader_parse_flow(argc - 1, argv + 1, &key, !strcmp(argv[0], "add") ? &act : NULL,
			       err, sizeof(err));
	if (rc) {
		fprintf(out, "error: flow %s: %s\n", argv[0], err);
		return;
	}
	if (!strcmp(argv[0], "del")) {
		rc = loader_maps__flow_del(n->maps, &key);
		fprintf(out, rc ? "error: no such flow on %s\n" : "flow removed from %s\n",
			n->ifname);
		return;
	}
	if (act.kind == XVIO_ACT_XSK && !guest_port(n, act.port)) {
		fprintf(out, "error: port %u is not a guest port (see xvioctl ports)\n", act.port);
		return;
	}
	rc = loader_maps__flow_add(n->maps, &key, &act, true);
	fprintf(out, rc ? "error: cannot add the flow to %s: %s\n" : "flow added to %s%s\n",
		n->ifname, rc ? strerror(-rc) : "");
}

/* ---- what xvioctl shows ------------------------------------------------------ */

static const char *state(struct port *p)
{
	(void)p;
	return "running";
}

static void report_port(struct port *p, FILE *out, struct jsonw *w)
{
	struct nic *n = nic_of(p);
	char mac[UTIL_MAC_STR_LEN], q[16];
	bool zc = afxdp_queue__zerocopy(n->queues[0].q);

	util_format_mac(n->mac, mac);
	if (!w) {
		snprintf(q, sizeof(q), "%u", n->nqueues);
		fprintf(out,
			"%-4u %-16s %-6s %-11s %-17s %-6s %-5s XDP %s, AF_XDP %s mode%s, host %s, "
			"MTU %u (frames up to %u)\n",
			p->id, p->name, "nic", "running", mac, q, "-", n->xdp_mode,
			zc ? "zero-copy" : "copy", afxdp_queue__sg(n->queues[0].q) ? " multi-buffer" : "",
			n->host ? "gets floods" : "off", n->mtu, atomic_load(&n->max_frame));
		return;
	}
	jsonw_u64(w, "port", p->id);
	jsonw_str(w, "name", p->name);
	jsonw_str(w, "mode", "nic");
	jsonw_str(w, "state", "running");
	jsonw_str(w, "mac", mac);
	jsonw_u64(w, "queues", n->nqueues);
	jsonw_str(w, "xdp_mode", n->xdp_mode);
	jsonw_bool(w, "xdp_existing", n->existing);
	jsonw_str(w, "afxdp_mode", zc ? "zerocopy" : "copy");
	jsonw_bool(w, "host", n->host);
	jsonw_bool(w, "gro", n->port.gro);
	jsonw_bool(w, "tx_csum_offload", n->tx_csum);
	jsonw_u64(w, "mtu", n->mtu);
	jsonw_u64(w, "max_frame", atomic_load(&n->max_frame));
	jsonw_bool(w, "multi_buffer", afxdp_queue__sg(n->queues[0].q));
}

/* The kernel's XDP_STATISTICS of every socket of a queue, summed. */
static void xdp_stats(struct nic_queue *nq, struct afxdp_xdp_stats *xs)
{
	struct afxdp_xdp_stats t;
	unsigned int s;

	memset(xs, 0, sizeof(*xs));
	for (s = 0; s < afxdp_queue__nsocks(nq->q); s++)
		if (!afxdp_sock__xdp_stats(afxdp_queue__sock(nq->q, s), &t)) {
			xs->rx_dropped += t.rx_dropped;
			xs->rx_ring_full += t.rx_ring_full;
			xs->rx_fill_ring_empty_descs += t.rx_fill_ring_empty_descs;
			xs->tx_invalid_descs += t.tx_invalid_descs;
			xs->rx_invalid_descs += t.rx_invalid_descs;
		}
}

static void report_queue_json(struct nic_queue *nq, unsigned int q, struct jsonw *w)
{
	const struct afxdp_queue_stats *st = afxdp_queue__stats(nq->q);
	struct afxdp_umem_use u;
	struct afxdp_xdp_stats xs;

	afxdp_queue__umem_use(nq->q, &u);
	xdp_stats(nq, &xs);
	jsonw_obj_open(w, NULL);
	jsonw_u64(w, "queue", q);
	jsonw_str(w, "afxdp_mode", afxdp_queue__zerocopy(nq->q) ? "zerocopy" : "copy");
	jsonw_u64(w, "rx_packets", st->rx_packets);
	jsonw_u64(w, "tx_packets", st->tx_packets);
	jsonw_u64(w, "tx_no_frame", st->tx_no_frame);
	jsonw_u64(w, "tx_ring_full", st->tx_ring_full);
	jsonw_u64(w, "tx_too_big", nq->tx_too_big);
	jsonw_u64(w, "tx_csum_offloaded", nq->tx_csum_meta);
	jsonw_u64(w, "tx_bad_csum", nq->tx_bad_csum);
	jsonw_u64(w, "rx_multi_buffer", st->rx_multi);
	jsonw_u64(w, "tx_multi_buffer", st->tx_multi);
	jsonw_u64(w, "rx_bad_chain", st->rx_bad_chain);
	jsonw_u64(w, "tx_rekicks", st->tx_rekicks);
	jsonw_u64(w, "rx_csum_partial", nq->csum_partial);
	jsonw_bool(w, "busy_poll", nq->busy_poll);
	jsonw_u64(w, "umem_frames", u.frames);
	jsonw_u64(w, "umem_free", u.free);
	jsonw_u64(w, "umem_fill", u.fill);
	jsonw_u64(w, "umem_tx", u.tx);
	jsonw_bool(w, "umem_accounted", !afxdp_queue__check(nq->q));
	jsonw_u64(w, "xdp_rx_dropped", xs.rx_dropped);
	jsonw_u64(w, "xdp_rx_ring_full", xs.rx_ring_full);
	jsonw_u64(w, "xdp_fill_ring_empty", xs.rx_fill_ring_empty_descs);
	jsonw_u64(w, "xdp_rx_invalid", xs.rx_invalid_descs);
	jsonw_u64(w, "xdp_tx_invalid", xs.tx_invalid_descs);
	jsonw_obj_close(w);
}

static void report_queue_text(struct nic_queue *nq, unsigned int q, FILE *out)
{
	const struct afxdp_queue_stats *st = afxdp_queue__stats(nq->q);
	struct afxdp_umem_use u;
	struct afxdp_xdp_stats xs;

	afxdp_queue__umem_use(nq->q, &u);
	xdp_stats(nq, &xs);
	fprintf(out,
		"  q%u (%s AF_XDP) rx %llu tx %llu | umem %u: free %u fill %u tx %u%s"
		" | xdp rx_dropped %llu rx_ring_full %llu fill_empty %llu tx_invalid %llu%s%s"
		" | rx_csum_partial %llu | multi-buffer rx %llu tx %llu | tx_too_big %llu\n",
		q, afxdp_queue__zerocopy(nq->q) ? "zero-copy" : "copy",
		(unsigned long long)st->rx_packets, (unsigned long long)st->tx_packets, u.frames,
		u.free, u.fill, u.tx, afxdp_queue__check(nq->q) ? " (FRAMES MISSING)" : "",
		(unsigned long long)xs.rx_dropped, (unsigned long long)xs.rx_ring_full,
		(unsigned long long)xs.rx_fill_ring_empty_descs,
		(unsigned long long)xs.tx_invalid_descs, st->tx_no_frame ? " tx_no_frame" : "",
		st->tx_ring_full ? " tx_ring_full" : "", (unsigned long long)nq->csum_partial,
		(unsigned long long)st->rx_multi, (unsigned long long)st->tx_multi,
		(unsigned long long)nq->tx_too_big);
}

/* Per queue: AF_XDP counters and UMEM accounting; then the XDP program's. */
static void report_stats(struct port *p, FILE *out, struct jsonw *w)
{
	struct nic *n = nic_of(p);
	struct xvio_stat_val bs[XVIO_STAT_MAX];
	bool have_bpf = n->maps && !loader_maps__stats(n->maps, bs);
	unsigned int q, i;

	if (w) {
		jsonw_obj_open(w, "nic");
		jsonw_str(w, "ifname", n->ifname);
		jsonw_u64(w, "host_injected", n->host_injected);
		jsonw_u64(w, "host_inject_errors", n->host_inject_errors);
		jsonw_u64(w, "host_loop_drops", n->guard.drops);
		jsonw_arr_open(w, "queues");
		for (q = 0; q < n->nqueues; q++)
			report_queue_json(&n->queues[q], q, w);
		jsonw_arr_close(w);
		jsonw_obj_open(w, "xdp");
		for (i = 0; have_bpf && i < XVIO_STAT_MAX; i++)
			jsonw_u64(w, loader_stat_names[i], bs[i].packets);
		jsonw_obj_close(w);
		jsonw_obj_close(w);
		return;
	}
	for (q = 0; q < n->nqueues; q++)
		report_queue_text(&n->queues[q], q, out);
	if (have_bpf) {
		fprintf(out, "  xdp:");
		for (i = 0; i < XVIO_STAT_MAX; i++)
			if (bs[i].packets)
				fprintf(out, " %s %llu", loader_stat_names[i],
					(unsigned long long)bs[i].packets);
		fprintf(out, "\n");
	}
	fprintf(out, "  host stack: %llu flooded frames re-injected (%llu errors), %llu came back "
		"and were dropped\n",
		(unsigned long long)n->host_injected, (unsigned long long)n->host_inject_errors,
		(unsigned long long)n->guard.drops);
}

/* The common counters read from the wire's side. */
static const char *stat_key(const char *field, char *buf, size_t len)
{
	if (!strncmp(field, "from_guest", 10))
		snprintf(buf, len, "from_wire%s", field + 10);
	else if (!strncmp(field, "to_guest", 8))
		snprintf(buf, len, "to_wire%s", field + 8);
	else
		snprintf(buf, len, "%s", field);
	return buf;
}

static const char *stat_help(const char *field, const char *help)
{
	if (!strcmp(field, "from_guest"))
		return "frames received from the wire (steered here by XDP)";
	if (!strcmp(field, "from_guest_bytes"))
		return "bytes received from the wire";
	if (!strcmp(field, "to_guest"))
		return "frames sent on the wire";
	if (!strcmp(field, "to_guest_bytes"))
		return "bytes sent on the wire";
	if (!strcmp(field, "fwd_unicast"))
		return "delivered to the guest XDP steered them to";
	if (!strcmp(field, "fwd_flood"))
		return "broadcast/multicast, flooded to every guest";
	return help;
}

const struct port_ops nic_ops = {
	.rx_burst = nic_rx_burst,
	.rx_done = nic_rx_done,
	.tx_burst = nic_tx_burst,
	.tx_ready = nic_tx_ready,
	.tx_room = nic_tx_room,
	.up = nic_up,
	.notify = nic_notify,
	.watch = watch,
	.send_frame = nic_send_frame,
	.offloads = nic_offloads,
	.state = state,
	.report_port = report_port,
	.report_stats = report_stats,
	.stat_key = stat_key,
	.stat_help = stat_help,
};
