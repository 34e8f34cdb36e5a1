// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost-user ports, control path: --vhost options, the vhost-user device
 * (vhost/) with the port as its callback context, what a device's events
 * mean for the switch (queues watched, MACs forgotten, announcements), and
 * what xvioctl shows of a guest port. The data path is vport_dp.c.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include "daemon.h"
#include "log.h"
#include "util.h"
#include "nic.h"
#include "vport.h"

/* ---- options -------------------------------------------------------------- */

int vport_parse(const char *arg, const char *what, struct vport **out, char *e, size_t elen)
{
	char buf[512], *opt, *save = NULL, *path, *base, tmp[108];
	struct vport *vp;
	uint32_t q;

	*out = NULL;
	if (strlen(arg) >= sizeof(buf)) {
		snprintf(e, elen, "%s %.40s...: too long", what, arg);
		return -ENAMETOOLONG;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	path = strtok_r(buf, ",", &save);
	if (!path || !*path) {
		snprintf(e, elen, "%s needs a socket path", what);
		return -EINVAL;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->queues = 1;
	vp->port.max_macs = XVIOD_PORT_MACS;
	if (strlen(path) >= sizeof(vp->path)) {
		snprintf(e, elen, "%s %s: path too long (max %zu)", what, path,
			 sizeof(vp->path) - 1);
		free(vp);
		return -ENAMETOOLONG;
	}
	snprintf(vp->path, sizeof(vp->path), "%s", path);
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "mac=", 4)) {
			if (util_parse_mac(opt + 4, vp->mac) || (vp->mac[0] & 1)) {
				snprintf(e, elen, "%s %s: bad MAC '%s' (six hex bytes, unicast)",
					 what, path, opt + 4);
				goto err;
			}
			vp->have_mac = true;
		} else if (!strcmp(opt, "src_check=off")) {
			vp->any_src = true;
		} else if (!strcmp(opt, "src_check=on")) {
			vp->any_src = false;
		} else if (!strncmp(opt, "max_macs=", 9)) {
			if (util_parse_u32(opt + 9, FWD_SLOTS, &q)) {
				snprintf(e, elen, "%s %s: max_macs=%s (0..%d; 0: no limit)", what,
					 path, opt + 9, FWD_SLOTS);
				goto err;
			}
			vp->port.max_macs = q;
		} else if (!strcmp(opt, "client")) {
			vp->client = true;
		} else if (!strcmp(opt, "server")) {
			vp->client = false;
		} else if (!strncmp(opt, "queues=", 7)) {
			if (util_parse_u32(opt + 7, VHU_MAX_QUEUE_PAIRS, &q) || q == 0) {
				snprintf(e, elen, "%s %s: queues=%s (1..%d)", what, path, opt + 7,
					 VHU_MAX_QUEUE_PAIRS);
				goto err;
			}
			vp->queues = q;
		} else {
			snprintf(e, elen, "%s %s: unknown option '%s' (mac=, client, queues=, "
				 "src_check=, max_macs=)", what, path, opt);
			goto err;
		}
	}
	/* A port with a MAC sends from it alone (unless told otherwise: a
	 * guest that bridges others behind it). */
	if (vp->have_mac && !vp->any_src)
		vp->port.src_mac = vp->mac;
	snprintf(tmp, sizeof(tmp), "%s", vp->path);
	base = basename(tmp);
	/* The name is how xvioctl and the state file name the port. */
	if (strpbrk(base, " \t;#=") || !*base) {
		snprintf(e, elen, "%s %s: the socket's name '%s' may not hold spaces, ';', '#' or "
			 "'='", what, path, base);
		goto err;
	}
	snprintf(vp->port.name, sizeof(vp->port.name), "%s", base);
	vp->port.ops = &vport_ops;
	for (q = 0; q < VHU_MAX_QUEUE_PAIRS; q++)
		atomic_flag_clear(&vp->rx_lock[q]);
	*out = vp;
	return 0;

err:
	free(vp);
	return -EINVAL;
}

void vport_spec(const struct vport *vp, char *buf, size_t len)
{
	char mac[UTIL_MAC_STR_LEN] = "";
	int n;

	if (vp->have_mac)
		util_format_mac(vp->mac, mac);
	n = snprintf(buf, len, "%s%s%s%s", vp->path, vp->have_mac ? ",mac=" : "", mac,
		     vp->client ? ",client" : "");
	if (n >= 0 && (size_t)n < len && vp->queues != 1)
		n += snprintf(buf + n, len - (size_t)n, ",queues=%u", vp->queues);
	if (n >= 0 && (size_t)n < len && vp->any_src)
		n += snprintf(buf + n, len - (size_t)n, ",src_check=off");
	if (n >= 0 && (size_t)n < len && vp->port.max_macs != XVIOD_PORT_MACS)
		snprintf(buf + n, len - (size_t)n, ",max_macs=%u", vp->port.max_macs);
}

/* ---- device callbacks (control thread, or a poller for "broken") --------- */

static void cb_log(void *ctx, enum vhu_log_level level, const char *line)
{
	(void)ctx;
	log_print((enum log_level)level, "%s", line);
}

static void cb_quiesce(void *ctx, struct vhu_dev *dev)
{
	struct vport *vp = ctx;

	(void)dev;
	pollers_quiesce(vp->d);
}

/* A guest whose MTU (QEMU's host_mtu=, NET_SET_MTU) is larger than the
 * wire's sends frames the NIC cannot take: say so once it runs. */
static void mtu_check(struct vport *vp, struct vhu_dev *dev)
{
	uint32_t wire = vp->d->nic ? nic_mtu(vp->d->nic) : 0, mtu = vhu_dev__mtu(dev);

	if (wire && mtu > wire)
		pr_warn("%s: the guest's MTU is %u, the wire's (%s) %u: its frames over %u bytes "
			"are dropped on the way to the wire (tx_too_big); raise the NIC's MTU or "
			"lower the device's host_mtu",
			vp->port.name, mtu, nic_name(vp->d->nic), wire, wire + 18);
}

static void cb_queue_state(void *ctx, struct vhu_dev *dev, unsigned int qidx, bool ready)
{
	struct vport *vp = ctx;
	struct vhu_vq *vq = vhu_dev__vq(dev, qidx);
	char f[256];

	pr_dbg("%s: vq%u %s", vp->port.name, qidx, ready ? "ready" : "stopped");
	if (!vq || !ready)
		return;
	if (!(qidx & 1)) {
		/* Receive rings: nothing waits for a guest's refill kick (frames
		 * for a full guest wait in the NIC's ring or in their sender's),
		 * so ask the guest not to make it: one syscall per refill it
		 * saves, as DPDK's vhost does. Re-done whenever the ring is set
		 * up again. */
		vhu_vq__notify_enable(vq, false);
		return;
	}
	if (qidx == 1) {
		vhu_features_str(vhu_dev__features(dev), f, sizeof(f));
		pr_info("%s: port %u running (%s)", vp->port.name, vp->port.id, f);
		mtu_check(vp, dev);
		/* The guest runs here now: its MAC comes along at once (after a
		 * live migration from another port with the same mac=, whose
		 * guest stopped when this one started). */
		if (vp->have_mac && fwd_lookup(vp->d->fwd, vp->mac) != vp->port.id &&
		    !fwd_add_static(vp->d->fwd, vp->mac, (uint16_t)vp->port.id)) {
			pr_info("%s: MAC %02x:%02x:%02x:%02x:%02x:%02x moved to port %u",
				vp->port.name, vp->mac[0], vp->mac[1], vp->mac[2], vp->mac[3],
				vp->mac[4], vp->mac[5], vp->port.id);
			eventfd_write(vp->d->learn_efd, 1); /* the NIC's table follows */
		}
	}
}

/* RFC 903 reverse ARP request, as QEMU's own announce sends it. */
static void cb_send_rarp(void *ctx, struct vhu_dev *dev, const uint8_t mac[6])
{
	struct vport *vp = ctx;
	struct daemon *d = vp->d;
	uint8_t f[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	char ms[UTIL_MAC_STR_LEN];
	unsigned int i, n = 0;
	struct port *p;

	(void)dev;
	memcpy(f + 6, mac, 6);
	f[12] = 0x80, f[13] = 0x35;		/* ETH_P_RARP */
	f[14] = 0, f[15] = 1;			/* Ethernet */
	f[16] = 0x08, f[17] = 0x00;		/* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 3;			/* reverse request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 32, mac, 6);
	/* The point of SEND_RARP (QEMU announcing a guest without
	 * GUEST_ANNOUNCE): the network learns where its MAC is. The NIC's
	 * table follows the switch's (the control loop syncs it). */
	util_format_mac(mac, ms);
	if (vp->port.src_mac && memcmp(mac, vp->port.src_mac, 6)) {
		pr_warn("%s: SEND_RARP for %s, which is not the port's mac=; ignored", vp->port.name,
			ms);
		return;
	}
	if (fwd_learn_limited(d->fwd, mac, (uint16_t)vp->port.id, atomic_load(&d->now),
			      vp->port.max_macs ? vp->port.max_macs : UINT32_MAX) > 0)
		eventfd_write(d->learn_efd, 1);
	for (i = 0; (p = daemon_next_port(d, &i));)
		if (p != &vp->port && !p->ops->send_frame(p, f, sizeof(f)))
			n++;
	pr_info("%s: announced %s with a RARP to %u port(s)", vp->port.name, ms, n);
}

/* Transmit rings' kicks wake the poller that serves them; receive rings'
 * refill kicks wake nobody (see cb_queue_state). */
static void cb_kick_fd(void *ctx, struct vhu_dev *dev, unsigned int qidx, int fd, bool add)
{
	struct vport *vp = ctx;

	(void)dev;
	if (qidx & 1)
		pollers_watch_fd(vp->d, &vp->port, qidx / 2, fd, add);
}

static void cb_disconnected(void *ctx, struct vhu_dev *dev)
{
	struct vport *vp = ctx;

	(void)dev;
	vp->disconnects++;
	vp->waiting_logged = false;
	if (fwd_expire(vp->d->fwd, 0, 0, (uint16_t)vp->port.id))
		eventfd_write(vp->d->learn_efd, 1);
	pr_info("%s: port %u down%s", vp->port.name, vp->port.id,
		vp->client ? "; reconnecting every second" : "; waiting for the frontend");
}

static const struct vhu_ops dev_ops = {
	.log = cb_log,
	.quiesce = cb_quiesce,
	.queue_state = cb_queue_state,
	.send_rarp = cb_send_rarp,
	.disconnected = cb_disconnected,
	.kick_fd = cb_kick_fd,
};

/* ---- life cycle ------------------------------------------------------------- */

/* Another port with the same mac= has the MAC (a migration's source, while
 * @vp is its destination): it moves when @vp's guest starts running
 * (cb_queue_state), not when the port is made. */
static bool mac_held_by_twin(struct daemon *d, const struct vport *vp)
{
	struct port *o = daemon_port(d, fwd_lookup(d->fwd, vp->mac));

	return o && o != &vp->port && o->ops == &vport_ops && vport_of(o)->have_mac &&
	       !memcmp(vport_of(o)->mac, vp->mac, 6);
}

int vport_open(struct vport *vp, struct daemon *d, uint16_t id)
{
	struct vhu_dev_cfg cfg = {
		.name = vp->port.name, .path = vp->path, .client = vp->client,
		.max_queue_pairs = vp->queues, .max_mtu = d->max_mtu, .ops = &dev_ops, .ctx = vp,
	};
	int err;

	vp->d = d;
	vp->port.id = id;
	err = vhu_dev__new(&cfg, &vp->dev);
	if (err) {
		pr_err("%s: %s", vp->path, strerror(-err));
		return err;
	}
	if (!vp->client) {
		err = sockperm_dir_ok(&d->sock, vp->path);
		if (err)
			return err;
		mode_t old_mask = sockperm_umask(&d->sock);

		err = vhu_dev__listen(vp->dev);
		umask(old_mask);
		if (err < 0)
			return err; /* the library said why */
		err = sockperm_apply(&d->sock, vp->path);
		if (err)
			return err;
	}
	if (vp->have_mac && !mac_held_by_twin(d, vp) && fwd_add_static(d->fwd, vp->mac, id))
		pr_warn("%s: could not add its MAC to the table", vp->port.name);
	return 0;
}

void vport_free(struct vport *vp)
{
	if (!vp)
		return;
	vhu_dev__free(vp->dev);
	free(vp);
}

int vport_connect(struct vport *vp)
{
	int fd = vhu_dev__connect(vp->dev);

	if (fd >= 0) {
		vp->connects++;
		vp->waiting_logged = false;
	} else if (!vp->waiting_logged) {
		pr_info("%s: waiting for the frontend at %s (%s); retrying every second",
			vp->port.name, vp->path, strerror(-fd));
		vp->waiting_logged = true;
	}
	return fd;
}

int vport_accept(struct vport *vp)
{
	int fd = vhu_dev__accept(vp->dev);

	if (fd >= 0)
		vp->connects++;
	return fd;
}

/* ---- what xvioctl shows ------------------------------------------------------- */

static const char *state(const struct vport *vp)
{
	struct vhu_dev *dev = vp->dev;

	if (!vhu_dev__connected(dev))
		return vp->client ? "connecting" : "waiting";
	if (vhu_dev__broken(dev))
		return "broken";
	if (vhu_vq__ready(vhu_dev__vq(dev, 0)) && vhu_vq__ready(vhu_dev__vq(dev, 1)))
		return "running";
	return "negotiating";
}

static unsigned int ready_pairs(const struct vport *vp)
{
	unsigned int q, n = 0;

	for (q = 0; q < vp->queues; q++)
		if (vhu_vq__ready(vhu_dev__vq(vp->dev, 2 * q)) &&
		    vhu_vq__ready(vhu_dev__vq(vp->dev, 2 * q + 1)))
			n++;
	return n;
}

static void report_port(struct port *p, FILE *out, struct jsonw *w)
{
	struct vport *vp = vport_of(p);
	struct vhu_dev *dev = vp->dev;
	uint64_t f = vhu_dev__features(dev);
	char feats[256], offered[256], mac[UTIL_MAC_STR_LEN] = "-", q[16];
	const char *ring = !vhu_dev__connected(dev) ? "-" : f & (1ull << 34) ? "packed" : "split";

	vhu_features_str(f, feats, sizeof(feats));
	vhu_features_str(vhu_dev__features_offered(dev), offered, sizeof(offered));
	if (vp->have_mac)
		util_format_mac(vp->mac, mac);
	if (!w) {
		snprintf(q, sizeof(q), "%u/%u", ready_pairs(vp), vp->queues);
		fprintf(out, "%-4u %-16s %-6s %-11s %-17s %-6s %-5s %s\n", p->id, p->name,
			vp->client ? "client" : "server", state(vp), mac, q, ring,
			vhu_dev__connected(dev) ? feats : "-");
		return;
	}
	jsonw_u64(w, "port", p->id);
	jsonw_str(w, "name", p->name);
	jsonw_str(w, "path", vp->path);
	jsonw_str(w, "mode", vp->client ? "client" : "server");
	jsonw_str(w, "state", state(vp));
	jsonw_str(w, "mac", vp->have_mac ? mac : "");
	jsonw_u64(w, "queue_pairs", vp->queues);
	jsonw_u64(w, "queue_pairs_ready", ready_pairs(vp));
	jsonw_str(w, "ring", ring);
	jsonw_u64(w, "features", f);
	jsonw_str(w, "features_names", feats);
	jsonw_u64(w, "features_offered", vhu_dev__features_offered(dev));
	jsonw_str(w, "features_offered_names", offered);
	jsonw_u64(w, "protocol_features", vhu_dev__protocol_features(dev));
	jsonw_u64(w, "hdr_len", vhu_dev__connected(dev) ? vhu_dev__hdr_len(dev) : 0);
	jsonw_u64(w, "status", vhu_dev__status(dev));
	jsonw_u64(w, "mtu", vhu_dev__mtu(dev));
	jsonw_u64(w, "max_mtu", vhu_dev__max_mtu(dev));
	jsonw_u64(w, "connects", vp->connects);
	jsonw_u64(w, "disconnects", vp->disconnects);
}

#define VQ_FIELDS(X)                                         \
	X(packets) X(bytes) X(drop_no_buffers) X(drop_too_big) \
	X(drop_too_many_segs) X(drop_bad_hdr) X(drop_bad_offload) X(drop_disabled) X(calls)  \
	X(calls_suppressed)

/* Per-virtqueue counters: vq0 rx, vq1 tx, vq2 rx of the second pair... */
static void report_stats(struct port *p, FILE *out, struct jsonw *w)
{
	struct vport *vp = vport_of(p);
	unsigned int q;

	if (w)
		jsonw_arr_open(w, "queues");
	for (q = 0; q < 2 * vp->queues; q++) {
		struct vhu_vq *vq = vhu_dev__vq(vp->dev, q);
		struct vhu_vq_stats vs;

		memcpy(&vs, vhu_vq__stats(vq), sizeof(vs));
		if (w) {
			jsonw_obj_open(w, NULL);
			jsonw_u64(w, "vq", q);
			jsonw_str(w, "dir", q & 1 ? "from_guest" : "to_guest");
			jsonw_bool(w, "ready", vhu_vq__ready(vq));
#define JQ(f) jsonw_u64(w, #f, vs.f);
			VQ_FIELDS(JQ)
#undef JQ
			jsonw_obj_close(w);
		} else if (vs.packets || vs.drop_no_buffers || vs.drop_too_big || vs.drop_bad_hdr ||
			   vs.drop_bad_offload || vs.drop_disabled || vs.drop_too_many_segs) {
			fprintf(out, "  vq%-2u %-10s packets %llu bytes %llu", q,
				q & 1 ? "(tx)" : "(rx)", (unsigned long long)vs.packets,
				(unsigned long long)vs.bytes);
#define TQ(f)                                                                                 \
	if (vs.f && strncmp(#f, "calls", 5) && strcmp(#f, "packets") && strcmp(#f, "bytes")) \
		fprintf(out, " %s %llu", #f, (unsigned long long)vs.f);
			VQ_FIELDS(TQ)
#undef TQ
			fprintf(out, " interrupts %llu (suppressed %llu)\n",
				(unsigned long long)vs.calls, (unsigned long long)vs.calls_suppressed);
		}
	}
	if (w)
		jsonw_arr_close(w);
}

static const char *port_state(struct port *p)
{
	return state(vport_of(p));
}

const struct port_ops vport_ops = {
	.rx_burst = vport_rx_burst,
	.rx_done = vport_rx_done,
	.tx_burst = vport_tx_burst,
	.tx_ready = vport_tx_ready,
	.offloads = vport_offloads,
	.tx_room = vport_tx_room,
	.up = vport_up,
	.notify = vport_notify,
	.send_frame = vport_send_frame,
	.report_port = report_port,
	.report_stats = report_stats,
	.state = port_state,
};
