// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What `xvioctl ports|stats|macs` prints: daemon state rendered as text for
 * people or JSON for scripts. Runs on the control thread; per-thread
 * counters are summed with relaxed reads (each is written by one thread).
 */
#include <stdio.h>
#include <string.h>
#include "daemon.h"
#include "jsonw.h"
#include "nic.h"

/* The NIC port's counters read from the wire's side. */
static const char *help_of(const struct port *p, const char *field, const char *help)
{
	if (!port_is_nic(p))
		return help;
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

static const char *key(const struct port *p, const char *field, char *buf, size_t len)
{
	if (port_is_nic(p) && !strncmp(field, "from_guest", 10))
		snprintf(buf, len, "from_wire%s", field + 10);
	else if (port_is_nic(p) && !strncmp(field, "to_guest", 8))
		snprintf(buf, len, "to_wire%s", field + 8);
	else
		snprintf(buf, len, "%s", field);
	return buf;
}

static void mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void port_stats_sum(struct daemon *d, const struct port *p, struct port_stats *out)
{
	unsigned int t;

	memset(out, 0, sizeof(*out));
	for (t = 0; t < d->npollers; t++) {
		const struct port_stats *s = &d->pollers[t].stats[p->id - 1];

#define SUM(f, help) out->f += __atomic_load_n(&s->f, __ATOMIC_RELAXED);
		PORT_STATS_FIELDS(SUM)
#undef SUM
	}
}

static const char *port_state(const struct port *p)
{
	const struct vhu_dev *dev = p->dev;

	if (port_is_nic(p))
		return "running";
	if (!vhu_dev__connected(dev))
		return p->client ? "connecting" : "waiting";
	if (vhu_dev__broken(dev))
		return "broken";
	if (vhu_vq__ready(vhu_dev__vq((struct vhu_dev *)dev, 0)) &&
	    vhu_vq__ready(vhu_dev__vq((struct vhu_dev *)dev, 1)))
		return "running";
	return "negotiating";
}

static unsigned int ready_pairs(const struct port *p)
{
	unsigned int q, n = 0;

	if (port_is_nic(p))
		return p->nic->nqueues;
	for (q = 0; q < p->queues; q++)
		if (vhu_vq__ready(vhu_dev__vq(p->dev, 2 * q)) &&
		    vhu_vq__ready(vhu_dev__vq(p->dev, 2 * q + 1)))
			n++;
	return n;
}

void report_ports(struct daemon *d, FILE *out, bool json)
{
	struct jsonw w;
	unsigned int i;

	if (json) {
		jsonw_init(&w, out);
		jsonw_obj_open(&w, NULL);
		jsonw_str(&w, "poll_mode", poll_mode_name(d->mode));
		jsonw_u64(&w, "pollers", d->npollers);
		jsonw_arr_open(&w, "ports");
	} else {
		fprintf(out, "%-4s %-16s %-6s %-11s %-17s %-6s %-5s %s\n", "PORT", "NAME", "MODE",
			"STATE", "MAC", "QUEUES", "RING", "FEATURES");
	}
	for (i = 0; i < d->nports; i++) {
		struct port *p = &d->ports[i];
		uint64_t f;
		char feats[256], offered[256], mac[18] = "-";
		const char *ring;

		if (port_is_nic(p)) {
			struct nic *n = p->nic;

			mac_str(n->mac, mac);
			if (json) {
				jsonw_obj_open(&w, NULL);
				jsonw_u64(&w, "port", p->id);
				jsonw_str(&w, "name", p->name);
				jsonw_str(&w, "mode", "nic");
				jsonw_str(&w, "state", "running");
				jsonw_str(&w, "mac", mac);
				jsonw_u64(&w, "queues", n->nqueues);
				jsonw_str(&w, "afxdp_mode", n->q[0]->zerocopy ? "zerocopy" : "copy");
				jsonw_bool(&w, "host", n->host);
				jsonw_obj_close(&w);
			} else {
				char q[16];

				snprintf(q, sizeof(q), "%u", n->nqueues);
				fprintf(out, "%-4u %-16s %-6s %-11s %-17s %-6s %-5s AF_XDP %s mode, host %s\n",
					p->id, p->name, "nic", "running", mac, q, "-",
					n->q[0]->zerocopy ? "zero-copy" : "copy",
					n->host ? "gets floods" : "off");
			}
			continue;
		}
		f = vhu_dev__features(p->dev);
		ring = !vhu_dev__connected(p->dev) ? "-" : f & (1ull << 34) ? "packed" : "split";
		vhu_features_str(f, feats, sizeof(feats));
		vhu_features_str(vhu_dev__features_offered(p->dev), offered, sizeof(offered));
		if (p->have_mac)
			mac_str(p->mac, mac);
		if (json) {
			jsonw_obj_open(&w, NULL);
			jsonw_u64(&w, "port", p->id);
			jsonw_str(&w, "name", p->name);
			jsonw_str(&w, "path", p->path);
			jsonw_str(&w, "mode", p->client ? "client" : "server");
			jsonw_str(&w, "state", port_state(p));
			jsonw_str(&w, "mac", p->have_mac ? mac : "");
			jsonw_u64(&w, "queue_pairs", p->queues);
			jsonw_u64(&w, "queue_pairs_ready", ready_pairs(p));
			jsonw_str(&w, "ring", ring);
			jsonw_u64(&w, "features", f);
			jsonw_str(&w, "features_names", feats);
			jsonw_u64(&w, "features_offered", vhu_dev__features_offered(p->dev));
			jsonw_str(&w, "features_offered_names", offered);
			jsonw_u64(&w, "protocol_features", vhu_dev__protocol_features(p->dev));
			jsonw_u64(&w, "hdr_len", vhu_dev__connected(p->dev) ? vhu_dev__hdr_len(p->dev) : 0);
			jsonw_u64(&w, "status", vhu_dev__status(p->dev));
			jsonw_u64(&w, "mtu", vhu_dev__mtu(p->dev));
			jsonw_u64(&w, "max_mtu", vhu_dev__max_mtu(p->dev));
			jsonw_u64(&w, "connects", p->connects);
			jsonw_u64(&w, "disconnects", p->disconnects);
			jsonw_obj_close(&w);
		} else {
			char q[16];

			snprintf(q, sizeof(q), "%u/%u", ready_pairs(p), p->queues);
			fprintf(out, "%-4u %-16s %-6s %-11s %-17s %-6s %-5s %s\n", p->id, p->name,
				p->client ? "client" : "server", port_state(p), mac, q, ring,
				vhu_dev__connected(p->dev) ? feats : "-");
		}
	}
	if (json) {
		jsonw_arr_close(&w);
		jsonw_obj_close(&w);
		jsonw_end(&w);
	}
}

#define VQ_FIELDS(X)                                         \
	X(packets) X(bytes) X(drop_no_buffers) X(drop_too_big) \
	X(drop_too_many_segs) X(drop_bad_hdr) X(drop_disabled) X(calls) X(calls_suppressed)

void report_stats(struct daemon *d, FILE *out, bool json)
{
	struct jsonw w;
	unsigned int i, q;

	if (json) {
		jsonw_init(&w, out);
		jsonw_obj_open(&w, NULL);
		jsonw_arr_open(&w, "ports");
	}
	for (i = 0; i < d->nports; i++) {
		struct port *p = &d->ports[i];
		struct port_stats s;

		char kb[32];

		port_stats_sum(d, p, &s);
		if (json) {
			jsonw_obj_open(&w, NULL);
			jsonw_u64(&w, "port", p->id);
			jsonw_str(&w, "name", p->name);
#define J(f, help) jsonw_u64(&w, key(p, #f, kb, sizeof(kb)), s.f);
			PORT_STATS_FIELDS(J)
#undef J
			if (port_is_nic(p)) {
				nic_report(d, p->nic, out, true, &w);
				jsonw_obj_close(&w);
				continue;
			}
			jsonw_arr_open(&w, "queues");
		} else {
			fprintf(out, "port %u (%s): %s\n", p->id, p->name, port_state(p));
#define T(f, help)                                                                 \
	if (s.f || !strncmp(#f, "from_guest", 10) || !strncmp(#f, "to_guest", 8)) \
		fprintf(out, "  %-18s %14llu  %s\n", key(p, #f, kb, sizeof(kb)), \
			(unsigned long long)s.f, help_of(p, #f, help));
			PORT_STATS_FIELDS(T)
#undef T
			if (port_is_nic(p)) {
				nic_report(d, p->nic, out, false, NULL);
				continue;
			}
		}
		for (q = 0; q < 2 * p->queues; q++) {
			struct vhu_vq *vq = vhu_dev__vq(p->dev, q);
			struct vhu_vq_stats vs;

			memcpy(&vs, vhu_vq__stats(vq), sizeof(vs));
			if (json) {
				jsonw_obj_open(&w, NULL);
				jsonw_u64(&w, "vq", q);
				jsonw_str(&w, "dir", q & 1 ? "from_guest" : "to_guest");
				jsonw_bool(&w, "ready", vhu_vq__ready(vq));
#define JQ(f) jsonw_u64(&w, #f, vs.f);
				VQ_FIELDS(JQ)
#undef JQ
				jsonw_obj_close(&w);
			} else if (vs.packets || vs.drop_no_buffers || vs.drop_too_big ||
				   vs.drop_bad_hdr || vs.drop_disabled || vs.drop_too_many_segs) {
				fprintf(out, "  vq%-2u %-10s packets %llu bytes %llu", q,
					q & 1 ? "(tx)" : "(rx)", (unsigned long long)vs.packets,
					(unsigned long long)vs.bytes);
#define TQ(f)                                                                      \
	if (vs.f && strncmp(#f, "calls", 5) && strcmp(#f, "packets") && strcmp(#f, "bytes")) \
		fprintf(out, " %s %llu", #f, (unsigned long long)vs.f);
				VQ_FIELDS(TQ)
#undef TQ
				fprintf(out, " interrupts %llu (suppressed %llu)\n",
					(unsigned long long)vs.calls,
					(unsigned long long)vs.calls_suppressed);
			}
		}
		if (json) {
			jsonw_arr_close(&w);
			jsonw_obj_close(&w);
		}
	}
	if (json) {
		jsonw_arr_close(&w);
		jsonw_arr_open(&w, "pollers");
		for (i = 0; i < d->npollers; i++) {
			jsonw_obj_open(&w, NULL);
			jsonw_u64(&w, "id", i);
			jsonw_i64(&w, "cpu", d->pollers[i].cpu);
			jsonw_u64(&w, "loops", d->pollers[i].loops);
			jsonw_u64(&w, "sleeps", d->pollers[i].sleeps);
			jsonw_u64(&w, "wakeups", d->pollers[i].wakeups);
			jsonw_obj_close(&w);
		}
		jsonw_arr_close(&w);
		jsonw_obj_close(&w);
		jsonw_end(&w);
	} else {
		for (i = 0; i < d->npollers; i++)
			fprintf(out, "poller %u (cpu %s): loops %llu sleeps %llu wakeups %llu\n", i,
				d->pollers[i].cpu < 0 ? "any" : "pinned",
				(unsigned long long)d->pollers[i].loops,
				(unsigned long long)d->pollers[i].sleeps,
				(unsigned long long)d->pollers[i].wakeups);
	}
}

void report_macs(struct daemon *d, FILE *out, bool json)
{
	static struct fwd_entry e[FWD_SLOTS];
	uint32_t now = atomic_load(&d->now);
	unsigned int n = fwd_dump(d->fwd, now, e, FWD_SLOTS), i;
	struct jsonw w;

	if (json) {
		jsonw_init(&w, out);
		jsonw_arr_open(&w, NULL);
	} else {
		fprintf(out, "%-17s %-4s %-16s %-8s %s\n", "MAC", "PORT", "NAME", "TYPE", "AGE");
	}
	for (i = 0; i < n; i++) {
		char mac[18];
		const char *name = e[i].port >= 1 && e[i].port <= d->nports ?
					   d->ports[e[i].port - 1].name :
					   "?";

		mac_str(e[i].mac, mac);
		if (json) {
			jsonw_obj_open(&w, NULL);
			jsonw_str(&w, "mac", mac);
			jsonw_u64(&w, "port", e[i].port);
			jsonw_str(&w, "name", name);
			jsonw_str(&w, "type", e[i].is_static ? "static" : "learned");
			jsonw_u64(&w, "age", e[i].age);
			jsonw_obj_close(&w);
		} else {
			fprintf(out, "%-17s %-4u %-16s %-8s %us\n", mac, e[i].port, name,
				e[i].is_static ? "static" : "learned", e[i].age);
		}
	}
	if (json) {
		jsonw_arr_close(&w);
		jsonw_end(&w);
	} else if (!n) {
		fprintf(out, "(no MAC addresses known yet)\n");
	}
}
