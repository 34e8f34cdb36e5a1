// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What `xvioctl ports|stats|macs` prints: daemon state rendered as text for
 * people or JSON for scripts. Runs on the control thread; per-thread
 * counters are summed with relaxed reads (each is written by one thread).
 * What is particular to a kind of port, each port renders (port_ops).
 */
#include <stdio.h>
#include <string.h>
#include "daemon.h"
#include "jsonw.h"
#include "report.h"
#include "util.h"

void report_ports(struct daemon *d, FILE *out, bool json)
{
	struct jsonw w;
	struct port *p;
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
	for (i = 0; (p = daemon_next_port(d, &i));) {
		if (json)
			jsonw_obj_open(&w, NULL);
		p->ops->report_port(p, out, json ? &w : NULL);
		if (json)
			jsonw_obj_close(&w);
	}
	if (json) {
		jsonw_arr_close(&w);
		jsonw_obj_close(&w);
		jsonw_end(&w);
	}
}

static const char *key(const struct port *p, const char *field, char *buf, size_t len)
{
	if (p->ops->stat_key)
		return p->ops->stat_key(field, buf, len);
	return field;
}

static const char *help(const struct port *p, const char *field, const char *h)
{
	return p->ops->stat_help ? p->ops->stat_help(field, h) : h;
}

static void report_pollers(struct daemon *d, FILE *out, struct jsonw *w)
{
	unsigned int i;

	if (!w) {
		for (i = 0; i < d->npollers; i++)
			fprintf(out, "poller %u (cpu %s): loops %llu sleeps %llu wakeups %llu\n", i,
				d->pollers[i].cpu < 0 ? "any" : "pinned",
				(unsigned long long)d->pollers[i].loops,
				(unsigned long long)d->pollers[i].sleeps,
				(unsigned long long)d->pollers[i].wakeups);
		return;
	}
	jsonw_arr_open(w, "pollers");
	for (i = 0; i < d->npollers; i++) {
		jsonw_obj_open(w, NULL);
		jsonw_u64(w, "id", i);
		jsonw_i64(w, "cpu", d->pollers[i].cpu);
		jsonw_u64(w, "loops", d->pollers[i].loops);
		jsonw_u64(w, "sleeps", d->pollers[i].sleeps);
		jsonw_u64(w, "wakeups", d->pollers[i].wakeups);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
}

/* The stats document (xvioctl --json stats, and the metrics) into @w. */
void report_stats_doc(struct daemon *d, struct jsonw *w)
{
	struct port *p;
	unsigned int i;

	jsonw_obj_open(w, NULL);
	jsonw_arr_open(w, "ports");
	for (i = 0; (p = daemon_next_port(d, &i));) {
		struct port_stats s;
		char kb[32];

		pollers_port_stats(d, p, &s);
		jsonw_obj_open(w, NULL);
		jsonw_u64(w, "port", p->id);
		jsonw_str(w, "name", p->name);
#define J(f, h) jsonw_u64(w, key(p, #f, kb, sizeof(kb)), s.f);
		PORT_STATS_FIELDS(J)
#undef J
		p->ops->report_stats(p, NULL, w);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	report_pollers(d, NULL, w);
	jsonw_obj_close(w);
}

void report_stats(struct daemon *d, FILE *out, bool json)
{
	struct jsonw w;
	struct port *p;
	unsigned int i;

	if (json) {
		jsonw_init(&w, out);
		report_stats_doc(d, &w);
		jsonw_end(&w);
		return;
	}
	for (i = 0; (p = daemon_next_port(d, &i));) {
		struct port_stats s;
		char kb[32];

		pollers_port_stats(d, p, &s);
		fprintf(out, "port %u (%s): %s\n", p->id, p->name, p->ops->state(p));
#define T(f, h)                                                                    \
	if (s.f || !strncmp(#f, "from_guest", 10) || !strncmp(#f, "to_guest", 8)) \
		fprintf(out, "  %-18s %14llu  %s\n", key(p, #f, kb, sizeof(kb)),   \
			(unsigned long long)s.f, help(p, #f, h));
		PORT_STATS_FIELDS(T)
#undef T
		p->ops->report_stats(p, out, NULL);
	}
	report_pollers(d, out, NULL);
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
		char mac[UTIL_MAC_STR_LEN];
		struct port *p = daemon_port(d, e[i].port);
		const char *name = p ? p->name : "?";

		util_format_mac(e[i].mac, mac);
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
