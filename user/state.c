// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file; see state.h. Parsed with libinih into a staging copy,
 * checked whole, then applied; written to FILE.tmp, fsynced, renamed over
 * FILE and the directory fsynced, so a crash leaves the old file or the new
 * one, never half of either.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "fwd.h"
#include "loader.h"
#include "log.h"
#include "nic.h"
#include "hotplug.h"
#include "state.h"
#include "ctl.h"
#include "util.h"
#include "xvio/abi.h"


/* A flow as parsed when the file was checked, applied as it is. */
struct staged_flow {
	struct xvio_flow_key key;
	struct xvio_action act;
};

struct staged_port {
	unsigned int id;
	struct vport *vp;
};

struct staging {
	struct state st;
	int version;
	struct staged_port ports[XVIOD_MAX_PORTS];
	unsigned int nports;
	struct staged_flow *flows;
	unsigned int nflows, cap;
	char err[320];
	struct daemon *d;
};

static int bad(struct staging *g, const char *what, const char *v)
{
	if (!g->err[0])
		snprintf(g->err, sizeof(g->err), "%.200s '%.100s'", what, v);
	return 0;
}

/* A port of the daemon's or one the file adds: its id, or 0. */
static unsigned int port_named(struct staging *g, const char *name)
{
	struct port *p = ctl_find_port(g->d, name, false);
	unsigned int i;

	if (p)
		return p->id;
	for (i = 0; i < g->nports; i++)
		if (!strcmp(g->ports[i].vp->port.name, name))
			return g->ports[i].id;
	return 0;
}

/* A guest port, the daemon's or the file's. */
static bool guest_id(struct staging *g, uint32_t id)
{
	unsigned int i;

	if (id != XVIOD_NIC_ID && daemon_port(g->d, id))
		return true;
	for (i = 0; i < g->nports; i++)
		if (g->ports[i].id == id)
			return true;
	return false;
}

/* A --vhost port on @path: the configuration has it now. */
static struct port *configured(struct daemon *d, const char *path)
{
	struct vport *vp;
	unsigned int i;

	for (i = 0; (vp = vport_next(d, &i)) && i <= d->cfg_ports;)
		if (!strcmp(vp->path, path))
			return &vp->port;
	return NULL;
}

/* "ID SPEC": checked against the daemon's ports and the file's. */
static int stage_port(struct staging *g, const char *v)
{
	struct staged_port *sp = &g->ports[g->nports];
	char idw[16], spec[512], e[256] = "";
	unsigned int i;
	uint32_t id;
	struct port *p;
	int used = 0;

	if (g->nports == XVIOD_MAX_PORTS)
		return bad(g, "too many ports at", v);
	if (sscanf(v, "%15s %511s%n", idw, spec, &used) != 2 || v[used] ||
	    util_parse_u32(idw, XVIOD_NIC_ID - 1, &id) || !id)
		return bad(g, "expected 'port = ID PATH[,options]' with ID 1..63, got", v);
	if (vport_parse(spec, "port", &sp->vp, e, sizeof(e)))
		return bad(g, e[0] ? e : "cannot read the port", v);
	/* Given with --vhost since it was saved: the configuration wins. */
	p = configured(g->d, sp->vp->path);
	if (p) {
		pr_warn("--state: port %u %s is a --vhost port now (port %u); the saved one is "
			"left out", id, sp->vp->path, p->id);
		vport_free(sp->vp);
		return 1;
	}
	if (ports_check(g->d, sp->vp, id, e, sizeof(e))) {
		vport_free(sp->vp);
		return bad(g, e, v);
	}
	for (i = 0; i < g->nports; i++)
		if (g->ports[i].id == id || !strcmp(g->ports[i].vp->port.name, sp->vp->port.name) ||
		    !strcmp(g->ports[i].vp->path, sp->vp->path)) {
			vport_free(sp->vp);
			return bad(g, "a port id, name or path given twice:", v);
		}
	sp->id = id;
	sp->vp->runtime = true;
	g->nports++;
	return 1;
}

static int on_pair(void *user, const char *sec, const char *k, const char *v)
{
	struct staging *g = user;
	struct xvio_flow_key key;
	struct xvio_action act;
	char buf[256], *words[32], *save = NULL, *w, err[160];
	unsigned int i;
	int n = 0;

	if (!strcmp(sec, "xvio-state") && !strcmp(k, "version")) {
		g->version = atoi(v);
		return 1;
	}
	if (!strcmp(sec, "ports") && !strcmp(k, "port"))
		return stage_port(g, v);
	if (!strcmp(sec, "macs") && !strcmp(k, "mac")) {
		/* "MAC PORT": INI takes ':' for '=', so the MAC is not a key */
		struct state_mac *m = &g->st.macs[g->st.nmacs];
		char mac[32], port[64];

		if (g->st.nmacs == STATE_MAX_MACS)
			return bad(g, "too many static MACs at", v);
		if (sscanf(v, "%31s %63s", mac, port) != 2)
			return bad(g, "expected 'mac = MAC PORT', got", v);
		if (util_parse_mac(mac, m->mac) || (m->mac[0] & 1) ||
		    !memcmp(m->mac, "\0\0\0\0\0\0", 6))
			return bad(g, "not a unicast MAC:", mac);
		if (!port_named(g, port))
			return bad(g, "no port named", port);
		for (i = 0; i < g->st.nmacs; i++)
			if (!memcmp(g->st.macs[i].mac, m->mac, 6))
				return bad(g, "a MAC given twice:", mac);
		snprintf(m->port, sizeof(m->port), "%s", port);
		g->st.nmacs++;
		return 1;
	}
	if (!strcmp(sec, "flows") && !strcmp(k, "flow")) {
		if (!g->d->nic)
			return bad(g, "a flow, but xviod has no --nic:", v);
		if (g->nflows == g->cap) {
			unsigned int cap = g->cap ? 2 * g->cap : 256;
			struct staged_flow *nf = cap <= XVIO_FLOW_ENTRIES ?
							 realloc(g->flows, cap * sizeof(*nf)) : NULL;

			if (!nf)
				return bad(g, "too many flows at", v);
			g->flows = nf;
			g->cap = cap;
		}
		snprintf(buf, sizeof(buf), "%s", v);
		for (w = strtok_r(buf, " \t", &save); w && n < 32; w = strtok_r(NULL, " \t", &save))
			words[n++] = w;
		if (loader_parse_flow(n, words, &key, &act, err, sizeof(err))) {
			/* An interface a redirect names may be gone (or not there
			 * yet): that flow alone is left out, said once. */
			if (strstr(v, " redirect ")) {
				pr_warn("--state: flow '%s' left out: %s", v, err);
				return 1;
			}
			return bad(g, err, v);
		}
		if (act.kind == XVIO_ACT_XSK && !guest_id(g, act.port))
			return bad(g, "a flow to a port that is not a guest port:", v);
		g->flows[g->nflows++] = (struct staged_flow){ .key = key, .act = act };
		return 1;
	}
	snprintf(buf, sizeof(buf), "[%s] %s", sec, k);
	return bad(g, "unknown entry", buf);
}

int state_load(struct daemon *d, struct state *s)
{
	struct staging *g;
	unsigned int i;
	int rc, err = 0;

	if (!s->path[0] || access(s->path, F_OK))
		return 0; /* nothing saved yet */
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->d = d;
	rc = ini_parse(s->path, on_pair, g);
	if (rc < 0) {
		pr_err("--state %s: cannot read it", s->path);
		err = -EIO;
	} else if (rc > 0) {
		pr_err("--state %s:%d: %s; nothing was applied: fix the file, or move it away to "
		       "start without it", s->path, rc, g->err[0] ? g->err : "not an INI line");
		err = -EINVAL;
	} else if (g->version != STATE_VERSION && g->version != 1) {
		pr_err("--state %s: version %d, this xviod reads versions 1 and %d; nothing was "
		       "applied: move the file away to start without it", s->path, g->version,
		       STATE_VERSION);
		err = -EINVAL;
	} else if (g->version == 1 && g->nports) {
		pr_err("--state %s: version 1 has no [ports]; nothing was applied", s->path);
		err = -EINVAL;
	}
	/* Everything checked: apply. The ports first: the MACs and flows may
	 * name them. */
	for (i = 0; !err && i < g->nports; i++) {
		char e[512];
		int rc = ports_add(d, g->ports[i].vp, g->ports[i].id, e, sizeof(e));

		g->ports[i].vp = NULL; /* the port's now, or freed */
		if (rc < 0) {
			pr_err("--state %s: port %u: %s; move the file away to start without it",
			       s->path, g->ports[i].id, e);
			err = rc;
		}
	}
	for (i = 0; !err && i < g->st.nmacs; i++) {
		unsigned int id = port_named(g, g->st.macs[i].port);

		if (fwd_add_static(d->fwd, g->st.macs[i].mac, (uint16_t)id))
			pr_warn("--state: the MAC table has no room for a static MAC of %s",
				g->st.macs[i].port);
	}
	for (i = 0; !err && i < g->nflows; i++) {
		int rc2 = loader_maps__flow_add(d->nic->maps, &g->flows[i].key, &g->flows[i].act,
						true);

		if (rc2)
			pr_warn("--state: a flow was not restored: %s (the flow table is full?)",
				strerror(-rc2));
	}
	if (!err) {
		memcpy(s->macs, g->st.macs, sizeof(s->macs));
		s->nmacs = g->st.nmacs;
		pr_info("restored %u port(s), %u static MAC(s) and %u flow(s) from %s", g->nports,
			s->nmacs, g->nflows, s->path);
		if (d->nic)
			nic_l2_sync(d->nic);
	}
	for (i = 0; i < g->nports; i++)
		vport_free(g->ports[i].vp); /* not applied */
	free(g->flows);
	free(g);
	return err;
}

static int write_flow(const struct xvio_flow_key *k, const struct xvio_action *a, void *arg)
{
	char match[256], act[64];

	if (loader_format_flow(k, match, sizeof(match)) || loader_format_action(a, act, sizeof(act)))
		return 0;
	/* A redirect to an interface that is gone reads back as nothing
	 * xvioctl would take: leave it out rather than write a file that
	 * stops the next start. */
	if (strstr(act, "(gone)")) {
		pr_warn("--state: flow '%s %s' not saved: its interface is gone", match, act);
		return 0;
	}
	fprintf(arg, "flow = %s %s\n", match, act);
	return 0;
}

int state_save(struct daemon *d, struct state *s)
{
	char tmp[300], dir[256], ms[UTIL_MAC_STR_LEN];
	struct vport *vp;
	unsigned int i;
	FILE *f;
	int fd, dfd, err = 0;

	if (!s->path[0])
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	unlink(tmp); /* a leftover of a crash; never follow what is there */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		err = -errno;
		pr_warn("--state %s: cannot write %s: %s; the change is not saved", s->path, tmp,
			strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	fprintf(f, "; written by xviod at every change; edit only while it is stopped\n"
		   "[xvio-state]\nversion = %d\n[ports]\n", STATE_VERSION);
	for (i = 0; (vp = vport_next(d, &i));) {
		if (vp->runtime) {
			char spec[VPORT_SPEC_MAX];

			vport_spec(vp, spec, sizeof(spec));
			fprintf(f, "port = %u %s\n", i, spec);
		}
	}
	fprintf(f, "[macs]\n");
	for (i = 0; i < s->nmacs; i++) {
		util_format_mac(s->macs[i].mac, ms);
		fprintf(f, "mac = %s %s\n", ms, s->macs[i].port);
	}
	fprintf(f, "[flows]\n");
	if (d->nic && d->nic->maps)
		loader_maps__flow_foreach(d->nic->maps, write_flow, f);
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, s->path))
		err = -errno;
	if (err) {
		pr_warn("--state %s: cannot save: %s; the change is not saved", s->path,
			strerror(-err));
		unlink(tmp);
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", s->path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* the rename itself */
		close(dfd);
	}
	return 0;
}

int state_mac_add(struct state *s, const uint8_t mac[6], const char *port)
{
	unsigned int i;

	for (i = 0; i < s->nmacs; i++)
		if (!memcmp(s->macs[i].mac, mac, 6))
			break;
	if (i == s->nmacs) {
		if (s->nmacs == STATE_MAX_MACS)
			return -ENOSPC;
		s->nmacs++;
	}
	memcpy(s->macs[i].mac, mac, 6);
	snprintf(s->macs[i].port, sizeof(s->macs[i].port), "%s", port);
	return 0;
}

void state_port_gone(struct state *s, const char *name)
{
	unsigned int i = 0;

	while (i < s->nmacs)
		if (!strcmp(s->macs[i].port, name))
			s->macs[i] = s->macs[--s->nmacs];
		else
			i++;
}

int state_mac_del(struct state *s, const uint8_t mac[6])
{
	unsigned int i;

	for (i = 0; i < s->nmacs; i++)
		if (!memcmp(s->macs[i].mac, mac, 6)) {
			s->macs[i] = s->macs[--s->nmacs];
			return 0;
		}
	return -ENOENT;
}
