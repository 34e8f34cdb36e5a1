// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Typed access to an interface's pinned maps, whoever attached the program
 * (xvio-loader, xviod or `xdp-loader --pin-path`). Opening checks each map's
 * type and key/value sizes against headers/xvio so that a table written by
 * another ABI version is refused rather than misread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "loader_internal.h"

struct map_spec {
	const char *name;
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	size_t fd_off;
	__u32 flags;		/* map_flags that must be set */
};

static const struct map_spec specs[] = {
	{ "xvio_flows", BPF_MAP_TYPE_HASH, sizeof(struct xvio_flow_key),
	  sizeof(struct xvio_action), XVIO_FLOW_ENTRIES, offsetof(struct loader_maps, flows_fd), 0 },
	{ "xvio_l2", BPF_MAP_TYPE_HASH, sizeof(struct xvio_l2_key), sizeof(struct xvio_action),
	  XVIO_L2_ENTRIES, offsetof(struct loader_maps, l2_fd), 0 },
	{ "xvio_xsks", BPF_MAP_TYPE_XSKMAP, 4, 4, XVIO_XSK_SLOTS,
	  offsetof(struct loader_maps, xsks_fd), 0 },
	{ "xvio_devs", BPF_MAP_TYPE_DEVMAP_HASH, 4, sizeof(struct bpf_devmap_val),
	  XVIO_DEV_ENTRIES, offsetof(struct loader_maps, devs_fd), 0 },
	/* a counter added or removed changes max_entries only */
	{ "xvio_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct xvio_stat_val),
	  XVIO_STAT_MAX, offsetof(struct loader_maps, stats_fd), 0 },
	{ "xvio_cfg", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvio_cfg), 1,
	  offsetof(struct loader_maps, cfg_fd), 0 },
	{ "xvio_host", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvio_host), 1,
	  offsetof(struct loader_maps, host_fd), 0 },
	{ "xvio_room", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvio_room), XVIO_XSK_SLOTS,
	  offsetof(struct loader_maps, room_fd), BPF_F_MMAPABLE },
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))
/* xvio_room as mmapped: values 8-byte aligned (they are), back to back. */
#define ROOM_LEN ((size_t)XVIO_XSK_SLOTS * sizeof(struct xvio_room))

static int *fd_of(struct loader_maps *m, size_t i)
{
	return (int *)((char *)m + specs[i].fd_off);
}

void loader_maps__close(struct loader_maps *m)
{
	size_t i;

	if (!m)
		return;
	if (m->room)
		munmap((void *)m->room, ROOM_LEN);
	for (i = 0; i < NSPECS; i++)
		if (*fd_of(m, i) >= 0)
			close(*fd_of(m, i));
	free(m);
}

int loader_maps__open(const char *ifname, bool require_live, struct loader_maps **out)
{
	struct loader_status st;
	struct loader_maps *m;
	char path[192];
	size_t i;
	int err;

	*out = NULL;
	err = loader_status(ifname, &st);
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (i = 0; i < NSPECS; i++)
		*fd_of(m, i) = -1;
	snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	m->ifindex = st.ifindex;
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		err = m->ncpus ? m->ncpus : -EINVAL;
		goto err_close;
	}

	for (i = 0; i < NSPECS; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", st.pin_dir, specs[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			if (err == -ENOENT && i > 0)
				loader_log(LOADER_ERR,
					   "%s: %s is missing while %s is there: pinned by another "
					   "xvio version; detach and attach again",
					   ifname, path, specs[0].name);
			else if (err == -ENOENT)
				loader_log(LOADER_ERR,
					   "%s: program not attached: no xvio maps in %s (attach "
					   "with `xvio-loader attach %s`, or `xdp-loader load "
					   "... --pin-path %s`)",
					   ifname, st.pin_dir, ifname, st.pin_dir);
			else
				loader_log(LOADER_ERR, "%s: cannot open %s: %s", ifname, path,
					   strerror(-err));
			goto err_close;
		}
		*fd_of(m, i) = fd;
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			goto err_close;
		}
		if (info.type != specs[i].type || info.key_size != specs[i].key_size ||
		    info.value_size != specs[i].value_size ||
		    info.max_entries != specs[i].max_entries ||
		    (info.map_flags & specs[i].flags) != specs[i].flags) {
			loader_log(LOADER_ERR,
				   "%s: %s has another layout (type %u key %u value %u entries %u "
				   "flags 0x%x, want %u/%u/%u/%u/0x%x): pinned by another xvio "
				   "version; detach and attach again",
				   ifname, path, info.type, info.key_size, info.value_size,
				   info.max_entries, info.map_flags, specs[i].type, specs[i].key_size,
				   specs[i].value_size, specs[i].max_entries, specs[i].flags);
			err = -EPROTO;
			goto err_close;
		}
	}
	if (require_live && !st.maps_live) {
		loader_log(LOADER_ERR,
			   "%s: program not attached: maps are pinned in %s but %s; attach with "
			   "`xvio-loader attach %s`",
			   ifname, st.pin_dir,
			   !st.attached ? "no XDP program is attached" :
			   !st.ours     ? "the attached program is not xvio's" :
					  "the attached xvio program does not use them",
			   ifname);
		err = -ENOLINK;
		goto err_close;
	}
	*out = m;
	return 0;

err_close:
	loader_maps__close(m);
	return err;
}

static int update(struct loader_maps *m, int fd, const char *table, __u32 max, const void *key,
		  const void *val, bool replace)
{
	int err;

	if (!bpf_map_update_elem(fd, key, val, replace ? BPF_ANY : BPF_NOEXIST))
		return 0;
	err = -errno;
	if (err == -E2BIG)
		loader_log(LOADER_ERR,
			   "%s: %s table is full (%u entries); delete entries before adding more",
			   m->ifname, table, max);
	else if (err == -EEXIST)
		loader_log(LOADER_ERR, "%s: %s entry already exists; delete it or use --replace",
			   m->ifname, table);
	else
		loader_log(LOADER_ERR, "%s: cannot update %s table: %s", m->ifname, table,
			   strerror(-err));
	return err;
}

static int delete(struct loader_maps *m, int fd, const char *table, const void *key)
{
	int err;

	if (!bpf_map_delete_elem(fd, key))
		return 0;
	err = -errno;
	if (err == -ENOENT)
		loader_log(LOADER_ERR, "%s: no such %s entry", m->ifname, table);
	else
		loader_log(LOADER_ERR, "%s: cannot delete from %s table: %s", m->ifname, table,
			   strerror(-err));
	return err;
}

static int check_action(struct loader_maps *m, const struct xvio_action *act)
{
	if (act->kind == XVIO_ACT_NONE || act->kind >= XVIO_ACT_MAX) {
		loader_log(LOADER_ERR, "%s: unknown action %u", m->ifname, act->kind);
		return -EINVAL;
	}
	if (act->kind == XVIO_ACT_XSK && (act->port == 0 || act->port >= XVIO_MAX_PORTS)) {
		loader_log(LOADER_ERR, "%s: guest port %u out of range 1..%d", m->ifname, act->port,
			   XVIO_MAX_PORTS - 1);
		return -ERANGE;
	}
	/* A redirect needs its target in the devmap; add it on the user's behalf. */
	if (act->kind == XVIO_ACT_DEV)
		return loader_maps__dev_add(m, (int)act->port);
	return 0;
}

/* xvio_cfg.flows: whether the program looks the flow table up at all. */
static int set_flows(struct loader_maps *m, bool on)
{
	struct xvio_cfg cfg = { .flows = on };
	__u32 zero = 0;

	if (bpf_map_update_elem(m->cfg_fd, &zero, &cfg, BPF_ANY)) {
		int err = -errno;

		loader_log(LOADER_ERR, "%s: cannot update xvio_cfg: %s", m->ifname, strerror(-err));
		return err;
	}
	return 0;
}

int loader_maps__set_host_cookie(struct loader_maps *m, __u64 cookie)
{
	struct xvio_host h = { .cookie = cookie };
	__u32 zero = 0;

	if (bpf_map_update_elem(m->host_fd, &zero, &h, BPF_ANY)) {
		int err = -errno;

		loader_log(LOADER_ERR, "%s: cannot update xvio_host: %s", m->ifname,
			   strerror(-err));
		return err;
	}
	return 0;
}

struct xvio_room *loader_maps__room(struct loader_maps *m)
{
	void *p;

	if (m->room)
		return m->room;
	p = mmap(NULL, ROOM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, m->room_fd, 0);
	if (p == MAP_FAILED) {
		loader_log(LOADER_ERR, "%s: cannot map xvio_room: %s", m->ifname, strerror(errno));
		return NULL;
	}
	m->room = p;
	return m->room;
}

static bool flows_empty(struct loader_maps *m)
{
	struct xvio_flow_key next;

	return bpf_map_get_next_key(m->flows_fd, NULL, &next) != 0;
}

/*
 * Another process may add or delete flows at the same time (xviod and
 * xvio-loader). The flag is set before a flow goes in and again after it;
 * a delete that empties the table clears it and then looks once more: so
 * whatever the interleaving, a flow in the table ends with the flag set.
 */
int loader_maps__flow_add(struct loader_maps *m, const struct xvio_flow_key *key,
			  const struct xvio_action *act, bool replace)
{
	struct xvio_flow_key k = *key;
	int err = check_action(m, act);

	if (err)
		return err;
	/* The program fills ifindex from the frame's ingress interface. */
	if (!k.ifindex)
		k.ifindex = (__u32)m->ifindex;
	k.pad = 0;
	err = set_flows(m, true);
	if (!err)
		err = update(m, m->flows_fd, "flow", XVIO_FLOW_ENTRIES, &k, act, replace);
	if (!err)
		err = set_flows(m, true);
	return err;
}

int loader_maps__flow_del(struct loader_maps *m, const struct xvio_flow_key *key)
{
	struct xvio_flow_key k = *key;
	int err;

	if (!k.ifindex)
		k.ifindex = (__u32)m->ifindex;
	k.pad = 0;
	err = delete(m, m->flows_fd, "flow", &k);
	if (!err && flows_empty(m)) {
		err = set_flows(m, false);
		if (!err && !flows_empty(m))
			err = set_flows(m, true);
	}
	return err;
}

int loader_maps__flow_foreach(struct loader_maps *m, loader_flow_fn fn, void *ctx)
{
	struct xvio_flow_key key, next;
	struct xvio_action act;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(m->flows_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->flows_fd, &key, &act))
			continue; /* deleted under us */
		err = fn(&key, &act, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

int loader_maps__l2_add(struct loader_maps *m, const struct xvio_l2_key *key,
			const struct xvio_action *act, bool replace)
{
	int err = check_action(m, act);

	if (err)
		return err;
	return update(m, m->l2_fd, "L2", XVIO_L2_ENTRIES, key, act, replace);
}

int loader_maps__l2_del(struct loader_maps *m, const struct xvio_l2_key *key)
{
	return delete(m, m->l2_fd, "L2", key);
}

int loader_maps__l2_foreach(struct loader_maps *m, loader_l2_fn fn, void *ctx)
{
	struct xvio_l2_key key, next;
	struct xvio_action act;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(m->l2_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->l2_fd, &key, &act))
			continue;
		err = fn(&key, &act, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

int loader_maps__dev_add(struct loader_maps *m, int ifindex)
{
	struct bpf_devmap_val val = { .ifindex = (__u32)ifindex, .bpf_prog.fd = -1 };
	__u32 key = (__u32)ifindex;
	int err;

	if (!bpf_map_update_elem(m->devs_fd, &key, &val, BPF_ANY))
		return 0;
	err = -errno;
	loader_log(LOADER_ERR, "%s: cannot add ifindex %d as a redirect target: %s%s", m->ifname,
		   ifindex, strerror(-err),
		   err == -E2BIG ? " (redirect target table is full)" : "");
	return err;
}

int loader_maps__dev_del(struct loader_maps *m, int ifindex)
{
	__u32 key = (__u32)ifindex;

	return delete(m, m->devs_fd, "redirect target", &key);
}

int loader_maps__xsk_set(struct loader_maps *m, __u32 port, __u32 queue, int xsk_fd)
{
	__u32 slot = XVIO_XSK_SLOT(port, queue);
	__u32 val = (__u32)xsk_fd;
	int err;

	if (port >= XVIO_MAX_PORTS || queue >= XVIO_MAX_QUEUES)
		return -ERANGE;
	/* A new socket, or none, starts without a limit. */
	if (bpf_map_update_elem(m->room_fd, &slot, &(struct xvio_room){ 0 }, BPF_ANY)) {
		err = -errno;
		loader_log(LOADER_ERR, "%s: cannot clear xvio_room slot %u: %s", m->ifname, slot,
			   strerror(-err));
		return err;
	}
	if (xsk_fd < 0)
		err = bpf_map_delete_elem(m->xsks_fd, &slot);
	else
		err = bpf_map_update_elem(m->xsks_fd, &slot, &val, BPF_ANY);
	if (err && !(xsk_fd < 0 && errno == ENOENT)) {
		err = -errno;
		loader_log(LOADER_ERR, "%s: cannot %s AF_XDP socket of port %u queue %u: %s",
			   m->ifname, xsk_fd < 0 ? "remove" : "install", port, queue,
			   strerror(-err));
		return err;
	}
	return 0;
}

int loader_maps__stats(struct loader_maps *m, struct xvio_stat_val *out)
{
	struct xvio_stat_val *percpu;
	__u32 i;
	int c;

	percpu = calloc((size_t)m->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (i = 0; i < XVIO_STAT_MAX; i++) {
		out[i].packets = out[i].bytes = 0;
		if (bpf_map_lookup_elem(m->stats_fd, &i, percpu)) {
			int err = -errno;

			free(percpu);
			return err;
		}
		for (c = 0; c < m->ncpus; c++) {
			out[i].packets += percpu[c].packets;
			out[i].bytes += percpu[c].bytes;
		}
	}
	free(percpu);
	return 0;
}
