// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest ports added and removed while xviod runs; see hotplug.h. The order of
 * each step is what keeps the other ports' traffic flowing and no poller
 * holding freed memory:
 *
 * add:    device and socket (not yet visible) -> its NIC sockets and XSKMAP
 *         slots -> published in d->ports -> its queues on the pollers ->
 *         its socket watched -> its MAC on the NIC
 * remove: frontend disconnected (the device stops, its kick fds leave the
 *         pollers' epoll sets) -> out of d->ports and the pollers' lists
 *         (each poller passes a quiescent point) -> MACs, NIC slots and
 *         flows removed -> freed, socket file unlinked
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "ctl.h"
#include "daemon.h"
#include "log.h"
#include "nic.h"
#include "hotplug.h"
#include "state.h"
#include "util.h"

static void watch_fd(struct daemon *d, int fd, unsigned int kind, unsigned int id)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = DAEMON_TAG(kind, d->port_gen[id - 1], id) };

	if (fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) && errno != EEXIST)
		pr_warn("epoll_ctl: %s", strerror(errno));
}

void ports_watch(struct daemon *d, struct vport *vp)
{
	int fd;

	if (!vp->client) {
		watch_fd(d, vhu_dev__listen_fd(vp->dev), EV_LISTEN, vp->port.id);
		return;
	}
	fd = vport_connect(vp);
	if (fd >= 0)
		watch_fd(d, fd, EV_CONN, vp->port.id);
}

unsigned int ports_static_owner(struct daemon *d, const uint8_t mac[6])
{
	uint16_t port = fwd_static_port(d->fwd, mac);

	return port == FWD_PORT_NONE ? 0 : port;
}

int ports_check(struct daemon *d, const struct vport *vp, unsigned int id, char *e, size_t elen)
{
	struct port *p;
	unsigned int i;

	if (id && (id >= XVIOD_NIC_ID || daemon_port(d, id))) {
		snprintf(e, elen, "%s: port id %u is %s", vp->path, id,
			 id >= XVIOD_NIC_ID ? "out of range" : "taken");
		return -EEXIST;
	}
	for (i = 0; (p = daemon_next_port(d, &i));) {
		if (p->ops == &vport_ops && !strcmp(vport_of(p)->path, vp->path)) {
			snprintf(e, elen, "%s: port %u already has that socket", vp->path, i);
			return -EEXIST;
		}
		if (!strcmp(p->name, vp->port.name)) {
			snprintf(e, elen, "%s: port %u is already named %s (the socket's file name "
				 "names the port)", vp->path, i, p->name);
			return -EEXIST;
		}
	}
	/* Two ports may share a mac= (a guest migrating between two frontends
	 * on this host: the port whose guest runs holds the MAC), but a mac=
	 * may not take a MAC someone added to another port by hand. */
	if (vp->have_mac && (i = ports_static_owner(d, vp->mac))) {
		struct port *o = daemon_port(d, i);

		if (!o || o->ops != &vport_ops || !vport_of(o)->have_mac ||
		    memcmp(vport_of(o)->mac, vp->mac, 6)) {
			snprintf(e, elen, "%s: its mac= is a static MAC of port %u already "
				 "(xvioctl macs)", vp->path, i);
			return -EEXIST;
		}
	}
	/* Listening replaces a socket file left by a dead process, never one
	 * that someone answers on. */
	if (!vp->client && ctl_in_use(vp->path)) {
		snprintf(e, elen, "%s: a program is listening on that socket already", vp->path);
		return -EADDRINUSE;
	}
	return 0;
}

/* Runtime ports never take the numbers of the --vhost ports (removed at
 * runtime or not): those come back with them at the next start. */
static unsigned int free_id(struct daemon *d)
{
	unsigned int id;

	for (id = d->cfg_ports + 1; id < XVIOD_NIC_ID; id++)
		if (!daemon_port(d, id))
			return id;
	return 0;
}

/* Every entry of port @id in the switch's table, static ones too. */
static void forget_macs(struct daemon *d, unsigned int id)
{
	static struct fwd_entry e[FWD_SLOTS];
	unsigned int i, n = fwd_dump(d->fwd, atomic_load(&d->now), e, FWD_SLOTS);

	for (i = 0; i < n; i++)
		if (e[i].port == id && e[i].is_static)
			fwd_del_static(d->fwd, e[i].mac);
	fwd_expire(d->fwd, 0, 0, (uint16_t)id);
}

int ports_add(struct daemon *d, struct vport *vp, unsigned int id, char *e, size_t elen)
{
	int err;

	err = ports_check(d, vp, id, e, elen);
	if (!err && !id && !(id = free_id(d))) {
		snprintf(e, elen, "%s: no free port id (at most %d guest ports)", vp->path,
			 XVIOD_NIC_ID - 1);
		err = -ENOSPC;
	}
	if (err) {
		vport_free(vp);
		return err;
	}
	/* What the steps below log as errors is the reason given back. */
	log_capture(e, elen);
	err = vport_open(vp, d, (uint16_t)id);
	if (!err && d->nic)
		err = nic_port_add(d->nic, id);
	log_capture(NULL, 0);
	if (err) {
		if (!e[0])
			snprintf(e, elen, "%s: %s", vp->path, strerror(-err));
		forget_macs(d, id);
		vport_free(vp);
		return err;
	}
	atomic_store(&d->ports[id - 1], &vp->port);
	d->nports++;
	err = pollers_add_port(d, &vp->port, vp->queues);
	if (err) {
		snprintf(e, elen, "%s: cannot give its queues to the pollers: %s", vp->path,
			 strerror(-err));
		ports_del(d, &vp->port, NULL, 0);
		return err;
	}
	ports_watch(d, vp);
	if (d->nic)
		nic_l2_sync(d->nic);
	return (int)id;
}

int ports_del(struct daemon *d, struct port *p, char *e, size_t elen)
{
	struct poller_qlist *nl[XVIOD_MAX_THREADS];
	struct vport *vp;
	unsigned int id = p->id, flows = 0;

	if (p->ops != &vport_ops) {
		if (e)
			snprintf(e, elen, "port %u (%s) is the NIC: only guest ports can be removed",
				 id, p->name);
		return -EINVAL;
	}
	/* All it needs first: from the disconnect on there is no way back. */
	if (pollers_del_prepare(d, p, nl)) {
		if (e)
			snprintf(e, elen, "out of memory; port %u left as it is", id);
		return -ENOMEM;
	}
	vp = vport_of(p);
	/* The device stops first: its kick fds leave the pollers' sets while
	 * the pollers still list its queues (pollers_watch_fd finds them). */
	vhu_dev__disconnect(vp->dev);
	atomic_store(&d->ports[id - 1], NULL);
	d->nports--;
	d->port_gen[id - 1]++; /* control-loop events already taken for it are stale */
	pollers_del_port(d, p, nl);
	/* No poller holds it now. */
	forget_macs(d, id);
	if (d->nic) {
		flows = nic_port_del(d->nic, id);
		nic_l2_sync(d->nic);
	}
	if (d->state)
		state_port_gone(d->state, p->name);
	if (e) /* not a rollback of ports_add */
		pr_info("%s: port %u removed%s", p->name, id,
			flows ? "; the flows that steered into it were deleted" : "");
	vport_free(vp);
	return 0;
}
