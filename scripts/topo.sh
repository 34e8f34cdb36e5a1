#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Topology helper shared by tests, the demo and benchmarks: network
# namespaces and veth pairs whose "host" end stands in for a physical NIC and
# whose far end ("wire peer") lives in a namespace. Source it, then:
#
#   topo_init PREFIX          unique names for this run; installs the cleanup trap
#   topo_pair HOSTIF NS PEERIF HOSTADDR PEERADDR [QUEUES]
#                             veth HOSTIF (root ns) <-> PEERIF (in NS), addresses
#                             given as CIDR ("" for none), QUEUES rx/tx queues
#   topo_ns NS                create a namespace (recorded for cleanup)
#   topo_cleanup              delete every namespace, link and pin recorded
#   topo_mac IF [NS]          print an interface's MAC
#   wait_for TIMEOUT CMD...   retry CMD every 0.1 s until it succeeds
#
# Only what this run created is removed: namespaces and links by the names
# recorded here, processes by the PIDs passed to topo_track_pid, pins by
# directory under /sys/fs/bpf/xvio/.
TOPO_NS=()
TOPO_LINKS=()
TOPO_PIDS=()
TOPO_PINS=()
TOPO_ID=""

topo_init() {
	TOPO_ID="${1:-xv}$(printf '%04x' $((RANDOM % 65536)))"
	trap topo_cleanup EXIT
	trap 'exit 130' INT TERM
}

topo_track_pid() { TOPO_PIDS+=("$@"); }
topo_track_pin() { TOPO_PINS+=("$@"); }

topo_ns() {
	ip netns add "$1" || return 1
	TOPO_NS+=("$1")
	ip -n "$1" link set lo up
}

topo_pair() {
	local hif=$1 ns=$2 pif=$3 haddr=$4 paddr=$5 q=${6:-1}
	ip netns list | grep -qw "$ns" || topo_ns "$ns" || return 1
	ip link add "$hif" numrxqueues "$q" numtxqueues "$q" type veth \
		peer name "$pif" numrxqueues "$q" numtxqueues "$q" netns "$ns" || return 1
	TOPO_LINKS+=("$hif")
	TOPO_PINS+=("/sys/fs/bpf/xvio/$hif")
	[ -n "$haddr" ] && ip addr add "$haddr" dev "$hif"
	[ -n "$paddr" ] && ip -n "$ns" addr add "$paddr" dev "$pif"
	ip link set "$hif" up
	ip -n "$ns" link set "$pif" up
	return 0
}

topo_mac() {
	if [ -n "${2:-}" ]; then
		ip -n "$2" -o link show "$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
	else
		ip -o link show "$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
	fi
}

wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

topo_cleanup() {
	local p l n d
	set +u # one missing variable must not skip the rest of the cleanup
	for p in "${TOPO_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for l in "${TOPO_LINKS[@]}"; do
		if ip link show "$l" >/dev/null 2>&1; then
			ip link set dev "$l" xdp off 2>/dev/null
			ip link del "$l" 2>/dev/null
		fi
	done
	for n in "${TOPO_NS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	# Pins: only the map files xvio creates, then the directory.
	for d in "${TOPO_PINS[@]}"; do
		[ -d "$d" ] || continue
		rm -f "$d"/xvio_* # xvio's maps (loader/loader_internal.h: XVIO_MAP_NAMES)
		rmdir "$d" 2>/dev/null
	done
	TOPO_PIDS=() TOPO_LINKS=() TOPO_NS=() TOPO_PINS=()
}
