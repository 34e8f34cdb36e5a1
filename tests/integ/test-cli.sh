#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xvio-loader as a user meets it: table add/list/del round trips, --json, and
# a clear message and exit status for each kind of bad input (bad MAC,
# unknown interface, program not attached, full table, duplicate, missing
# entry, another program attached, detaching a program that is not ours).
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ/cli
. "$ROOT/tests/lib/suite.sh"
L="$O/xvio-loader"
TMP=$(mktemp -d)
topo_init xc
H=${TOPO_ID}a NS=${TOPO_ID}-wire PEER=${TOPO_ID}A
H2=${TOPO_ID}b NS2=${TOPO_ID}-two PEER2=${TOPO_ID}B
trap 'set +u; topo_cleanup; rm -rf "$TMP"' EXIT

topo_pair "$H" "$NS" "$PEER" "" "" >/dev/null 2>&1 &&
	topo_pair "$H2" "$NS2" "$PEER2" "" "" >/dev/null 2>&1 || { fail setup "topology"; exit 1; }

expect not_attached 1 "program not attached: no xvio maps in /sys/fs/bpf/xvio/$H" \
	"$L" l2 add "$H" 02:00:00:00:00:01 port 1
expect unknown_interface 1 "nosuch0: no such interface" "$L" attach nosuch0
expect status_detached 0 "none attached" "$L" status "$H"
expect attach 0 "attached xvio_rx .* in native mode" "$L" attach "$H"
expect attach_twice 1 "already attached .*--replace" "$L" attach "$H"
expect attach_replace 0 "attached xvio_rx" "$L" attach --replace "$H"
expect bad_mac 2 "bad MAC address '02:00:00:00:00:0g'" "$L" l2 add "$H" 02:00:00:00:00:0g port 1
expect bad_port 2 "bad guest port '64'" "$L" l2 add "$H" 02:00:00:00:00:01 port 64
expect bad_vlan 2 "bad VLAN ID '4095'" "$L" l2 add "$H" 02:00:00:00:00:01 vlan 4095 drop
expect unknown_redirect 2 "unknown interface 'nosuch0' for redirect" \
	"$L" l2 add "$H" 02:00:00:00:00:01 redirect nosuch0
expect bad_mode 2 "bad mode 'turbo'" "$L" attach --mode turbo "$H"
expect bad_flow 2 "a flow needs proto, src and dst" "$L" flow add "$H" proto udp dst 198.18.0.1 drop
expect bad_command 2 "unknown command 'frobnicate'" "$L" frobnicate "$H"
expect l2_add 0 "" "$L" l2 add "$H" 02:00:00:00:00:01 vlan 7 port 5
expect l2_dup 1 "already exists" "$L" l2 add "$H" 02:00:00:00:00:01 vlan 7 port 6
expect l2_replace 0 "" "$L" l2 add --replace "$H" 02:00:00:00:00:01 vlan 7 port 6
expect l2_list 0 "02:00:00:00:00:01 vlan 7 +-> port 6" "$L" l2 list "$H"
expect l2_list_json 0 '^\[\{"mac":"02:00:00:00:00:01","vlan":7,"action":"port","port":6' \
	"$L" l2 list --json "$H"
expect l2_del 0 "" "$L" l2 del "$H" 02:00:00:00:00:01 vlan 7
expect l2_del_missing 1 "no such L2 entry" "$L" l2 del "$H" 02:00:00:00:00:01 vlan 7
expect l2_list_empty 0 "L2 table on $H is empty" "$L" l2 list "$H"
expect flow_add 0 "" "$L" flow add "$H" proto tcp src 198.18.0.1 sport 1 dst 198.18.0.2 dport 2 \
	action redirect "$H2"
expect flow_list 0 "proto tcp src 198.18.0.1 dst 198.18.0.2 sport 1 dport 2 +-> redirect $H2" \
	"$L" flow list "$H"
expect flow_bpftool 0 '"sport": 1,' bpftool map dump pinned "/sys/fs/bpf/xvio/$H/xvio_flows"
# The program looks the flow table up only while xvio_cfg.flows is set.
expect flow_gate_set 0 '"flows": 1,' bpftool map dump pinned "/sys/fs/bpf/xvio/$H/xvio_cfg"
expect flow_del 0 "" "$L" flow del "$H" proto tcp src 198.18.0.1 sport 1 dst 198.18.0.2 dport 2
expect flow_gate_cleared 0 '"flows": 0,' bpftool map dump pinned "/sys/fs/bpf/xvio/$H/xvio_cfg"
expect stats_json 0 '"counters":\{"rx":\{"packets":[0-9]+' "$L" stats --json "$H"
expect status_json 0 '"attached":true,"xvio":true' "$L" status --json "$H"

# Full table: fill xvio_l2 (4096 entries) in one bpftool batch, then one more.
{
	for i in $(seq 0 4095); do
		printf 'map update pinned /sys/fs/bpf/xvio/%s/xvio_l2 key 0x02 0x01 0x00 0x00 0x%02x 0x%02x 0x00 0x00 value 0x02 0 0 0 0 0 0 0\n' \
			"$H" $((i / 256)) $((i % 256))
	done
} >"$TMP/fill.batch"
if bpftool batch file "$TMP/fill.batch" >/dev/null 2>&1; then
	expect table_full 1 "L2 table is full \(4096 entries\)" "$L" l2 add "$H" 02:00:00:00:00:01 drop
else
	fail table_full "bpftool batch could not fill the table"
fi

# Another program on the interface: attach refuses, detach refuses without --force.
"$L" attach "$H2" >/dev/null 2>&1
"$L" detach "$H" >/dev/null 2>&1
foreign=$(dpkg -L libxdp1 2>/dev/null | grep '/xdpfilt_alw_all.o$' | head -1)
if [ -n "$foreign" ] && xdp-loader load -m native "$H" "$foreign" >"$TMP/foreign.out" 2>&1; then
	expect foreign_attach 1 "another XDP program is attached \('xdpfilt_alw_all'" "$L" attach "$H"
	expect foreign_detach 1 "is 'xdpfilt_alw_all', not xvio's; use --force" "$L" detach "$H"
	expect foreign_detach_force 0 "detached" "$L" detach --force "$H"
else
	prereq_missing foreign_program "no foreign XDP program could be loaded (libxdp1's xdpfilt_alw_all.o with xdp-loader): $(tail -1 "$TMP/foreign.out" 2>/dev/null)"
fi
# Stale pins, no program (a loader that died between pinning and attaching):
# attach reuses them, devmap included.
"$L" attach "$H2" >/dev/null 2>&1
ip link set dev "$H2" xdp off
expect attach_over_stale_pins 0 "attached xvio_rx" "$L" attach "$H2"
ip link set dev "$H2" xdp off
# Removed behind xvio's back: detach still clears the stale pins.
ip link set dev "$H2" xdp off
expect status_stale 0 "stale: no attached program uses them" "$L" status "$H2"
expect detach_stale_pins 0 "" "$L" detach "$H2"
[ -e "/sys/fs/bpf/xvio/$H2" ] && fail stale_pins_gone "/sys/fs/bpf/xvio/$H2 still exists" || pass stale_pins_gone
# Pins from a build with another counter list: the same key and value
# sizes, another number of entries. Refused, not misread.
"$L" attach "$H2" >/dev/null 2>&1
rm -f "/sys/fs/bpf/xvio/$H2/xvio_stats"
if bpftool map create "/sys/fs/bpf/xvio/$H2/xvio_stats" type percpu_array key 4 value 16 \
	entries 5 name xvio_stats 2>"$TMP/mk.out"; then
	expect other_layout_refused 1 "xvio_stats has another layout .*entries 5.*detach and attach again" \
		"$L" stats "$H2"
else
	fail other_layout_refused "bpftool map create: $(cat "$TMP/mk.out")"
fi
"$L" detach "$H2" >/dev/null 2>&1
exit 0
