/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The maps of the XDP program, BTF-style so that `bpftool map dump` prints
 * field names. Every map is pinned by name: the loader (or xdp-loader's
 * --pin-path) puts them under /sys/fs/bpf/xvio/<ifname>/.
 */
#ifndef XVIO_BPF_MAPS_H
#define XVIO_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xvio/abi.h>
#include <xvio/action.h>
#include <xvio/flow.h>
#include <xvio/host.h>
#include <xvio/l2.h>
#include <xvio/ports.h>
#include <xvio/room.h>
#include <xvio/stats.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIO_FLOW_ENTRIES);
	__type(key, struct xvio_flow_key);
	__type(value, struct xvio_action);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVIO_L2_ENTRIES);
	__type(key, struct xvio_l2_key);
	__type(value, struct xvio_action);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_l2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XVIO_XSK_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_xsks SEC(".maps");

/*
 * Keyed by the target ifindex; value is the kernel's struct bpf_devmap_val.
 * The kernel adds BPF_F_RDONLY_PROG to every devmap (and refuses it at
 * creation), so libbpf 1.1, which compares flags exactly, can never reuse a
 * pinned one: the loader removes stale pins instead (loader.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XVIO_DEV_ENTRIES);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVIO_STAT_MAX);
	__type(key, __u32);
	__type(value, struct xvio_stat_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_stats SEC(".maps");

/* Per socket slot: room left in its RX ring (xvio/room.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVIO_XSK_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvio_room);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_room SEC(".maps");

/* One entry: struct xvio_cfg (when to look the flow table up). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvio_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_cfg SEC(".maps");

/* One entry: struct xvio_host (how re-injected frames are recognized). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvio_host);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvio_host SEC(".maps");

#endif
