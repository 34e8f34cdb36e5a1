#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Integration: xvio_rx on a veth whose far end lives in a namespace this test
# creates. For each way of attaching (xvio-loader native, xvio-loader skb,
# xdp-loader native) it shows: the host's own traffic still flows (miss path);
# frames to a MAC in the L2 table reach an AF_XDP socket and never the host
# stack; a flow rule steers a 5-tuple to a socket; a drop rule drops; devmap
# redirect forwards between two veth pairs; detaching restores everything.
# Then a 2-queue veth with a socket per queue.
#
# Usage: test-xdp.sh BUILD_DIR. Prints PASS/FAIL/SKIP lines; cleans up on any
# exit (namespaces, links, pins, receivers).
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ
. "$ROOT/tests/lib/suite.sh"

L="$O/xvio-loader"
P="$O/tests/tools/xvio-pkt"
N=${XVIO_TEST_FRAMES:-500}
RATE=${XVIO_TEST_RATE:-5000}
TMP=$(mktemp -d)

topo_init xt
H=${TOPO_ID}a      # "NIC": host end of pair A
NS=${TOPO_ID}-wire
PEER=${TOPO_ID}A
HB=${TOPO_ID}b     # second pair, for devmap forwarding
NSB=${TOPO_ID}-far
PB=${TOPO_ID}B
HQ=${TOPO_ID}q     # 2-queue pair
NSQ=${TOPO_ID}-mq
PQ=${TOPO_ID}Q
HOST_IP=198.18.10.1 PEER_IP=198.18.10.2
GUEST_MAC=02:00:00:00:10:01
FWD_MAC=02:00:00:00:10:02
trap 'set +u; topo_cleanup; rm -rf "$TMP"' EXIT


# stat IF NAME: packets of one counter, from the --json output.
stat() {
	"$L" stats --json "$1" | sed -n "s/.*\"$2\":{\"packets\":\([0-9]*\).*/\1/p"
}

send_from() { # NS IF DST_MAC [extra args]
	local ns=$1 ifc=$2 mac=$3; shift 3
	ip netns exec "$ns" "$P" send "$ifc" --dst-mac "$mac" --src "$PEER_IP" --dst "$HOST_IP" \
		--count "$N" --rate "$RATE" "$@" >"$TMP/send.out" 2>&1
}

attach() { # MODE IF
	case "$1" in
	xvio-native) "$L" attach --mode native "$2" ;;
	xvio-skb) "$L" attach --mode skb "$2" ;;
	xdp-loader)
		xdp-loader load -m native "$2" "$O/xvio.bpf.o" --pin-path "/sys/fs/bpf/xvio/$2"
		;;
	esac
}

detach() { # MODE IF
	case "$1" in
	xdp-loader)
		xdp-loader unload "$2" --all && "$L" detach "$2" ;;
	*) "$L" detach "$2" ;;
	esac
}

case_attach() { # MODE
	local m=$1 st
	if ! attach "$m" "$H" >"$TMP/attach.out" 2>&1; then
		fail "$m/attach" "$(cat "$TMP/attach.out")"
		return 1
	fi
	st=$("$L" status --json "$H")
	local want_mode=native
	[ "$m" = xvio-skb ] && want_mode=skb
	if echo "$st" | grep -q "\"xvio\":true" && echo "$st" | grep -q "\"maps_live\":true" &&
		echo "$st" | grep -q "\"mode\":\"$want_mode\""; then
		pass "$m/attach_status"
	else
		fail "$m/attach_status" "unexpected status: $st"
		return 1
	fi
}

case_miss_path() {
	local m=$1 before after
	before=$(stat "$H" miss_pass)
	if ! ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 "$HOST_IP" >"$TMP/ping.out" 2>&1; then
		fail "$m/miss_path_ping_host" "$(tail -3 "$TMP/ping.out")"
		return
	fi
	if ! ping -c 3 -i 0.2 -W 2 "$PEER_IP" >"$TMP/ping.out" 2>&1; then
		fail "$m/miss_path_ping_peer" "$(tail -3 "$TMP/ping.out")"
		return
	fi
	start_rx host "$P" recv-packet "$H" --count "$N" --timeout 20 || { fail "$m/miss_path" "rx"; return; }
	send_from "$NS" "$PEER" "$(topo_mac "$H")" --dport 7100
	if ! finish_rx host; then
		fail "$m/miss_path" "host stack did not get all $N frames: $(cat "$TMP/host.out")"
		return
	fi
	after=$(stat "$H" miss_pass)
	if [ $((after - before)) -lt $((N + 6)) ]; then
		fail "$m/miss_path" "miss_pass moved by $((after - before)), want >= $((N + 6))"
		return
	fi
	pass "$m/miss_path"
}

case_l2_to_xsk() {
	local m=$1 before after
	"$L" l2 add "$H" "$GUEST_MAC" port 1 || { fail "$m/l2_to_xsk" "l2 add failed"; return; }
	before=$(stat "$H" xsk)
	start_rx xsk "$P" recv-xsk "$H" --port 1 --count "$N" --timeout 20 || { fail "$m/l2_to_xsk" rx; return; }
	start_rx host "$P" recv-packet "$H" --count 0 --timeout 3 || { fail "$m/l2_to_xsk" rx; return; }
	send_from "$NS" "$PEER" "$GUEST_MAC" --dport 7200
	if ! finish_rx xsk; then
		fail "$m/l2_to_xsk" "AF_XDP socket: $(cat "$TMP/xsk.out")"
		finish_rx host
		return
	fi
	if ! finish_rx host; then
		fail "$m/l2_to_xsk_not_host" "host stack saw guest frames: $(cat "$TMP/host.out")"
		return
	fi
	after=$(stat "$H" xsk)
	if [ $((after - before)) -ne "$N" ]; then
		fail "$m/l2_to_xsk" "xsk counter moved by $((after - before)), want $N"
		return
	fi
	pass "$m/l2_to_xsk"
	pass "$m/l2_to_xsk_not_host"
}

case_flow_to_xsk() {
	local m=$1
	"$L" flow add "$H" proto udp src "$PEER_IP" sport 7300 dst "$HOST_IP" dport 7301 port 2 ||
		{ fail "$m/flow_to_xsk" "flow add failed"; return; }
	start_rx xsk "$P" recv-xsk "$H" --port 2 --count "$N" --timeout 20 || { fail "$m/flow_to_xsk" rx; return; }
	start_rx host "$P" recv-packet "$H" --count 0 --timeout 3 || { fail "$m/flow_to_xsk" rx; return; }
	# Addressed to the host's own MAC: without the rule it would be the host's.
	send_from "$NS" "$PEER" "$(topo_mac "$H")" --sport 7300 --dport 7301
	if ! finish_rx xsk; then
		fail "$m/flow_to_xsk" "AF_XDP socket: $(cat "$TMP/xsk.out")"
		finish_rx host
		return
	fi
	finish_rx host || { fail "$m/flow_to_xsk" "host saw steered frames: $(cat "$TMP/host.out")"; return; }
	"$L" flow del "$H" proto udp src "$PEER_IP" sport 7300 dst "$HOST_IP" dport 7301 ||
		{ fail "$m/flow_to_xsk" "flow del failed"; return; }
	pass "$m/flow_to_xsk"
}

case_drop_rule() {
	local m=$1 before after
	"$L" flow add "$H" proto udp src "$PEER_IP" sport 9000 dst "$HOST_IP" dport 7400 drop ||
		{ fail "$m/drop_rule" "flow add failed"; return; }
	before=$(stat "$H" drop)
	start_rx host "$P" recv-packet "$H" --count 0 --timeout 3 || { fail "$m/drop_rule" rx; return; }
	send_from "$NS" "$PEER" "$(topo_mac "$H")" --dport 7400
	finish_rx host || { fail "$m/drop_rule" "host saw dropped frames: $(cat "$TMP/host.out")"; return; }
	after=$(stat "$H" drop)
	[ $((after - before)) -eq "$N" ] ||
		{ fail "$m/drop_rule" "drop counter moved by $((after - before)), want $N"; return; }
	# Control: the same frames reach the host once the rule is gone.
	"$L" flow del "$H" proto udp src "$PEER_IP" sport 9000 dst "$HOST_IP" dport 7400
	start_rx host "$P" recv-packet "$H" --count "$N" --timeout 20 || { fail "$m/drop_rule" rx; return; }
	send_from "$NS" "$PEER" "$(topo_mac "$H")" --dport 7400
	finish_rx host || { fail "$m/drop_rule_removed" "$(cat "$TMP/host.out")"; return; }
	pass "$m/drop_rule"
}

case_devmap() {
	local m=$1 before after
	# A veth delivers redirected frames only when its peer runs XDP too.
	if ! nsenter --net="/run/netns/$NSB" "$L" attach "$PB" >"$TMP/attachb.out" 2>&1; then
		fail "$m/devmap_redirect" "peer attach: $(cat "$TMP/attachb.out")"
		return
	fi
	topo_track_pin "/sys/fs/bpf/xvio/$PB"
	"$L" l2 add "$H" "$FWD_MAC" redirect "$HB" || { fail "$m/devmap_redirect" "l2 add"; return; }
	before=$(stat "$H" dev)
	start_rx far ip netns exec "$NSB" "$P" recv-packet "$PB" --count "$N" --timeout 20 ||
		{ fail "$m/devmap_redirect" rx; return; }
	send_from "$NS" "$PEER" "$FWD_MAC" --dport 7500
	finish_rx far || { fail "$m/devmap_redirect" "far side: $(cat "$TMP/far.out")"; return; }
	after=$(stat "$H" dev)
	[ $((after - before)) -eq "$N" ] ||
		{ fail "$m/devmap_redirect" "dev counter moved by $((after - before)), want $N"; return; }
	"$L" l2 del "$H" "$FWD_MAC"
	nsenter --net="/run/netns/$NSB" "$L" detach "$PB" >/dev/null 2>&1
	pass "$m/devmap_redirect"
}

case_detach() {
	local m=$1
	if ! detach "$m" "$H" >"$TMP/detach.out" 2>&1; then
		fail "$m/detach" "$(cat "$TMP/detach.out")"
		return
	fi
	if ip -d link show "$H" | grep -q 'prog/xdp'; then
		fail "$m/detach" "an XDP program is still attached"
		return
	fi
	if [ -e "/sys/fs/bpf/xvio/$H" ]; then
		fail "$m/detach" "pins left in /sys/fs/bpf/xvio/$H"
		return
	fi
	# Frames to the former guest MAC now reach the host stack again. A
	# native-mode detach tears down the veth's XDP receive path: frames
	# sent in that moment can be dropped (seen: the first 65 of 500), so
	# the path is shown up by one ping before the counted ones.
	wait_for 10 ip netns exec "$NS" ping -c 1 -W 1 "$HOST_IP" >/dev/null ||
		{ fail "$m/detach_restores" "no ping answered within 10 s of the detach"; return; }
	start_rx host "$P" recv-packet "$H" --count "$N" --timeout 20 || { fail "$m/detach" rx; return; }
	send_from "$NS" "$PEER" "$GUEST_MAC" --dport 7600
	finish_rx host || { fail "$m/detach_restores" "$(cat "$TMP/host.out")"; return; }
	ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 "$HOST_IP" >/dev/null ||
		{ fail "$m/detach_restores" "ping after detach failed"; return; }
	pass "$m/detach_restores"
}

run_mode() {
	local m=$1
	case_attach "$m" || { detach "$m" "$H" >/dev/null 2>&1; return; }
	case_miss_path "$m"
	case_l2_to_xsk "$m"
	case_flow_to_xsk "$m"
	case_drop_rule "$m"
	case_devmap "$m"
	case_detach "$m"
}

case_two_queues() {
	local out q0 q1
	"$L" attach "$HQ" >/dev/null || { fail "two_queues" "attach failed"; return; }
	"$L" l2 add "$HQ" "$GUEST_MAC" port 3 || { fail "two_queues" "l2 add"; return; }
	# As after a detach (detach_restores): a native-mode attach on veth
	# sets its XDP receive path up, and frames sent in that moment can be
	# lost (seen once in a fresh-clone run: the first 94 of 500). One ping
	# through the program (a miss, passed to the host) first.
	wait_for 10 ip netns exec "$NSQ" ping -c 1 -W 1 198.18.12.1 >/dev/null ||
		{ fail "two_queues" "no ping answered within 10 s of the attach"; return; }
	start_rx xsk "$P" recv-xsk "$HQ" --port 3 --queues 2 --count "$N" --timeout 20 ||
		{ fail "two_queues" rx; return; }
	# The sender's tx queue (= our rx queue on a veth) follows the flow hash:
	# 64 source ports spread the frames over both queues.
	ip netns exec "$NSQ" "$P" send "$PQ" --dst-mac "$GUEST_MAC" --src "$PEER_IP" \
		--dst "$HOST_IP" --count "$N" --vary-sport 64 --rate "$RATE" >/dev/null
	if ! finish_rx xsk; then
		fail "two_queues" "$(cat "$TMP/xsk.out")"
		return
	fi
	out=$(cat "$TMP/xsk.out")
	q0=$(echo "$out" | sed -n 's/.* q0=\([0-9]*\).*/\1/p')
	q1=$(echo "$out" | sed -n 's/.* q1=\([0-9]*\).*/\1/p')
	if [ "${q0:-0}" -eq 0 ] || [ "${q1:-0}" -eq 0 ]; then
		fail "two_queues" "traffic did not use both queues: $out"
		return
	fi
	"$L" detach "$HQ" >/dev/null
	pass "two_queues"
}

setup() {
	topo_pair "$H" "$NS" "$PEER" "$HOST_IP/24" "$PEER_IP/24" &&
		topo_pair "$HB" "$NSB" "$PB" "" "" &&
		topo_pair "$HQ" "$NSQ" "$PQ" "198.18.12.1/24" "198.18.12.2/24" 2
}

if ! setup >"$TMP/setup.out" 2>&1; then
	fail setup "$(cat "$TMP/setup.out")"
	exit 1
fi
for mode in xvio-native xvio-skb xdp-loader; do
	run_mode "$mode"
done
case_two_queues
exit 0
