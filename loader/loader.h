/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loader: attach xvio's XDP program to an interface through libxdp, detach
 * it, report its state, and read and write its pinned maps. Knows nothing
 * about vhost or AF_XDP rings. Never prints: messages go through the
 * callback set with loader_set_print(). Every int function returns 0 or
 * -errno.
 */
#ifndef XVIO_LOADER_H
#define XVIO_LOADER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include <xvio/abi.h>
#include <xvio/action.h>
#include <xvio/flow.h>
#include <xvio/host.h>
#include <xvio/room.h>
#include <xvio/l2.h>
#include <xvio/ports.h>
#include <xvio/stats.h>

enum loader_level { LOADER_ERR, LOADER_WARN, LOADER_INFO, LOADER_DEBUG };
typedef void (*loader_print_fn)(enum loader_level level, const char *fmt, va_list ap);

/**
 * loader_set_print() - route the library's messages (and libbpf's/libxdp's,
 * one level lower) to @fn; NULL silences them.
 * @fn: the callback
 * @verbosity: highest level passed on
 */
void loader_set_print(loader_print_fn fn, enum loader_level verbosity);

enum loader_mode {
	LOADER_MODE_AUTO = 0,	/* native, then skb (generic) */
	LOADER_MODE_NATIVE,
	LOADER_MODE_SKB,
};

/* What is on an interface, as loader_status() found it. */
struct loader_status {
	char ifname[IF_NAMESIZE];
	int ifindex;
	bool attached;		/* an XDP program is attached */
	bool ours;		/* ... and xvio_rx is among its programs */
	bool dispatcher;	/* libxdp multiprog dispatcher in use */
	int nprogs;		/* programs behind the dispatcher (1 without it) */
	const char *mode;	/* "native", "skb", "hw", "none" */
	__u32 prog_id;		/* xvio_rx's id, or the attached program's */
	char prog_name[16];
	bool maps_pinned;	/* all xvio maps found under pin_dir */
	bool maps_live;		/* ... and the attached xvio_rx uses them */
	char pin_dir[128];
};

/**
 * loader_pin_dir() - the directory where @ifname's maps are pinned.
 * Return: 0, or -ENAMETOOLONG.
 */
int loader_pin_dir(const char *ifname, char *buf, size_t len);

/**
 * loader_attach() - load xvio's XDP program, pin its maps under
 * /sys/fs/bpf/xvio/<ifname>/ (reusing maps already pinned there) and attach
 * it to @ifname.
 * @ifname: interface
 * @mode: LOADER_MODE_AUTO tries native first, then skb
 * @replace: replace an xvio program already attached (otherwise -EEXIST)
 * @st: filled with the resulting state (may be NULL)
 * Return: 0, -ENODEV, -EEXIST (xvio already attached), -EBUSY (another
 * program attached), or another -errno from libbpf/libxdp.
 */
int loader_attach(const char *ifname, enum loader_mode mode, bool replace,
		  struct loader_status *st);

/**
 * loader_detach() - detach xvio's program from @ifname (leaving other
 * programs behind a dispatcher in place) and remove its pinned maps.
 * @force: also detach a program that is not xvio's
 * Return: 0, -ENODEV, -ENOENT (nothing attached and no pins), -EPERM (the
 * attached program is not xvio's and @force is false).
 */
int loader_detach(const char *ifname, bool force);

/** loader_status() - describe what is attached to @ifname. */
int loader_status(const char *ifname, struct loader_status *st);

/* ---- pinned maps --------------------------------------------------------- */

struct loader_maps {
	char ifname[IF_NAMESIZE];
	int ifindex;
	int flows_fd;
	int l2_fd;
	int xsks_fd;
	int devs_fd;
	int stats_fd;
	int cfg_fd;
	int host_fd;
	int room_fd;
	struct xvio_room *room;	/* xvio_room mmapped, once asked for */
	int ncpus;
};

/**
 * loader_maps__open() - open @ifname's pinned maps, check that they have the
 * layout this build expects and that an attached xvio program uses them.
 * Works the same whether xvio-loader or `xdp-loader --pin-path` attached it.
 * @require_live: fail with -ENOLINK when no attached program uses the maps
 * Return: 0, -ENODEV, -ENOENT (not pinned: program not attached), -ENOLINK,
 * -EPROTO (layout mismatch: maps from another xvio version).
 */
int loader_maps__open(const char *ifname, bool require_live, struct loader_maps **out);
void loader_maps__close(struct loader_maps *m);

/* Add (or replace, when @replace) a flow; -E2BIG when the table is full,
 * -EEXIST when present and !@replace. */
int loader_maps__flow_add(struct loader_maps *m, const struct xvio_flow_key *key,
			  const struct xvio_action *act, bool replace);
int loader_maps__flow_del(struct loader_maps *m, const struct xvio_flow_key *key);
typedef int (*loader_flow_fn)(const struct xvio_flow_key *key, const struct xvio_action *act,
			      void *ctx);
int loader_maps__flow_foreach(struct loader_maps *m, loader_flow_fn fn, void *ctx);

int loader_maps__l2_add(struct loader_maps *m, const struct xvio_l2_key *key,
			const struct xvio_action *act, bool replace);
int loader_maps__l2_del(struct loader_maps *m, const struct xvio_l2_key *key);
typedef int (*loader_l2_fn)(const struct xvio_l2_key *key, const struct xvio_action *act,
			    void *ctx);
int loader_maps__l2_foreach(struct loader_maps *m, loader_l2_fn fn, void *ctx);

/* Devmap: make @ifindex a target of XVIO_ACT_DEV actions. */
int loader_maps__dev_add(struct loader_maps *m, int ifindex);
int loader_maps__dev_del(struct loader_maps *m, int ifindex);

/* Put an AF_XDP socket in the slot of (@port, @queue); @xsk_fd < 0 clears it. */
int loader_maps__xsk_set(struct loader_maps *m, __u32 port, __u32 queue, int xsk_fd);

/* Sum the per-CPU counters into @out[XVIO_STAT_MAX]. */
int loader_maps__stats(struct loader_maps *m, struct xvio_stat_val *out);

/**
 * loader_maps__set_host_cookie() - what the program recognizes as a frame
 * handed back to the host stack (xvio/host.h); 0 turns the check off.
 */
int loader_maps__set_host_cookie(struct loader_maps *m, __u64 cookie);

/**
 * loader_maps__room() - xvio_room mapped into this process, indexed by
 * socket slot (XVIO_XSK_SLOT; xvio/room.h). Unmapped by
 * loader_maps__close(). NULL on error.
 */
struct xvio_room *loader_maps__room(struct loader_maps *m);

/* ---- rule text: parse and format (pure functions, no maps) ---------------- */

extern const char *const loader_stat_names[XVIO_STAT_MAX];
extern const char *const loader_stat_help[XVIO_STAT_MAX];

int loader_parse_vlan(const char *s, __u16 *vid);
/* "tcp", "udp", "icmp", "icmpv6" or a number 0..255. */
int loader_parse_proto(const char *s, __u8 *proto);
const char *loader_action_name(__u32 kind);
const char *loader_mode_name(enum loader_mode mode);
int loader_parse_mode(const char *s, enum loader_mode *mode);

/*
 * Parse a flow match and/or an action from argv words:
 *   [vlan V] [inner-vlan V] proto P src IP [sport N] dst IP [dport N]
 *   [action] port N | drop | pass | flood | redirect IFNAME
 * @key or @act may be NULL when that part is not wanted. Words not consumed
 * are an error. @err gets a message naming the bad word.
 */
int loader_parse_flow(int argc, char **argv, struct xvio_flow_key *key,
		      struct xvio_action *act, char *err, size_t errlen);
/* MAC [vlan V] [[action] ...] */
int loader_parse_l2(int argc, char **argv, struct xvio_l2_key *key, struct xvio_action *act,
		    char *err, size_t errlen);

int loader_format_flow(const struct xvio_flow_key *key, char *buf, size_t len);
int loader_format_action(const struct xvio_action *act, char *buf, size_t len);

#endif
