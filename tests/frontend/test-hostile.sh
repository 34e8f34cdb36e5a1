#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile frontends against a running xviod (issue 14): while two testpmd
# guests (a -> b) are served, a third socket gets a frontend that does what
# a compromised QEMU could (tests/tools/vu-peer): a blocking call eventfd
# one short of its maximum (callblock), the same made blocking again by the
# frontend through the shared open file (callunblock: the watchdog signal
# ends the write, the port breaks), a kick eventfd written after its
# ring was stopped (stalekick), guest memory truncated under the mapping
# (shrink), a message trickled a byte every 0.5 s (trickle). After each,
# the other guests' frames all arrive, xvioctl answers within 3 s, and
# xviod's CPU stays low; at the end SIGTERM stops it within 5 s. Then a
# guest port with mac= that sends from another MAC (drop_src_mac) and one
# that sends from 300 MACs (max_macs), and on a NIC taking TX checksums as
# metadata, a frame asking for one past its first 4 KiB (far_csum).
#
# Usage: test-hostile.sh BUILD_DIR. Needs dpdk-testpmd and hugepages, as
# test-testpmd.sh.
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=frontend/hostile
. "$ROOT/tests/lib/suite.sh"
. "$ROOT/tests/lib/testpmd.sh"
TMP=$(mktemp -d)
TP_DIR="$TMP"
. "$ROOT/tests/lib/xviod.sh"
PEER="$O/tests/tools/vu-peer"
MAC_A=02:00:00:00:ab:01 MAC_B=02:00:00:00:ab:02
PEER_PID=""

topo_init xh
trap 'set +u; [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null; tp_cleanup; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

tp_prereqs || exit 0

# xviod's CPU time in clock ticks (utime + stime of every thread).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$XPID/stat"; }

# The innocent guests still get every frame: 4 rounds of 4 bursts of 32.
others_served() { # test
	local before got
	before=$(tp_port_stat b rx) || { fail "$1/others_served" "testpmd b does not answer"; return; }
	tp_rounds a 4 4
	got=$(wait_ge 10 $((before + 512)) tp_port_stat b rx)
	if [ "${got:-0}" -ge $((before + 512)) ]; then
		pass "$1/others_served"
	else
		fail "$1/others_served" "guest b got $((${got:-0} - before)) of 512 frames"
	fi
}

ctl_answers() { # test
	local t0=$SECONDS
	if timeout 3 "$XC" --ctl "$CTL" ports >/dev/null 2>&1; then
		pass "$1/ctl_answers"
	else
		fail "$1/ctl_answers" "xvioctl ports did not answer within 3 s ($((SECONDS - t0)) s)"
	fi
}

# xviod's CPU over 2 s of no traffic: an idle adaptive poller sleeps.
cpu_low() { # test
	local c0 c1
	c0=$(cpu_ticks)
	sleep 2 # a fixed window: what is measured is a rate over it
	c1=$(cpu_ticks)
	if [ $((c1 - c0)) -lt 60 ]; then # 2 s = 200 ticks at 100 Hz: < 30 %
		pass "$1/cpu_low"
	else
		fail "$1/cpu_low" "xviod used $((c1 - c0)) ticks in 2 s (a poller that never sleeps?)"
	fi
}

# The hostile port is broken, with its log line after line L0 of the log.
port_broken() { # test l0 log-pattern
	if wait_for 5 bash -c "tail -n +$(($2 + 1)) '$XVIOD_LOG' | grep -q '$3'" &&
		[ "$(xport h.sock state)" = broken ]; then
		pass "$1/port_broken"
	else
		fail "$1/port_broken" "state $(xport h.sock state); log: $(tail -n +$(($2 + 1)) "$XVIOD_LOG" | tail -5)"
	fi
}

peer_start() { # mode
	"$PEER" "$TMP/h.sock" "$1" --hold 60 >"$TMP/peer.out" 2>&1 &
	PEER_PID=$!
	topo_track_pid "$PEER_PID"
	wait_for 10 grep -q . "$TMP/peer.out" && grep -q '^ready$' "$TMP/peer.out"
}

peer_stop() {
	[ -n "$PEER_PID" ] || return 0
	kill "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	PEER_PID=""
	wait_for 10 port_state_is h.sock waiting
}

MPORT=$(free_port)
xviod_start --vhost "$TMP/a.sock,mac=$MAC_A" --vhost "$TMP/b.sock,mac=$MAC_B" --vhost "$TMP/h.sock" \
	--metrics "127.0.0.1:$MPORT" || { fail start xviod; exit 0; }
if ! tp_start b 1 "path=$TMP/b.sock,queue_size=256,mac=$MAC_B" --forward-mode=rxonly ||
	! tp_start a 0 "path=$TMP/a.sock,queue_size=1024,mac=$MAC_A" --forward-mode=rxonly \
		--eth-peer=0,$MAC_B; then
	fail start testpmd
	exit 0
fi
if ! wait_for 20 port_running a.sock || ! wait_for 20 port_running b.sock; then
	fail start "guest ports not running"
	exit 0
fi
tp_go b
others_served baseline
# The metrics endpoint: every counter of xvioctl --json stats, after traffic.
metrics_ok metrics_match_stats "http://127.0.0.1:$MPORT/metrics"

for mode in callblock callunblock stalekick shrink; do
	l0=$(wc -l <"$XVIOD_LOG")
	if ! peer_start "$mode"; then
		fail "$mode" "the hostile frontend did not get going: $(cat "$TMP/peer.out")"
		peer_stop
		continue
	fi
	others_served "$mode"
	ctl_answers "$mode"
	cpu_low "$mode"
	case $mode in
	callunblock) port_broken "$mode" "$l0" 'h.sock: vq1: guest broke the virtio rules: its call eventfd blocked' ;;
	shrink) port_broken "$mode" "$l0" 'h.sock: guest memory region 1 shrank under its mapping' ;;
	esac
	peer_stop
	kill -0 "$XPID" 2>/dev/null || { fail "$mode" "xviod died: $(tail -5 "$XVIOD_LOG")"; exit 0; }
done

# A 12-byte message trickled over 6 s holds nothing up: the other ports and
# xvioctl are served meanwhile, and the message is answered when whole.
"$PEER" "$TMP/h.sock" trickle >"$TMP/trickle.out" 2>&1 &
tpid=$!
topo_track_pid "$tpid"
wait_for 5 port_state_is h.sock negotiating
ctl_answers trickle
others_served trickle
wait "$tpid"
if grep -q '^reply$' "$TMP/trickle.out"; then
	pass trickle/answered
else
	fail trickle/answered "the trickled GET_FEATURES got: $(cat "$TMP/trickle.out")"
fi

# SIGTERM still stops it, and promptly.
tp_cleanup
kill -TERM "$XPID"
if wait_for 5 bash -c "! kill -0 $XPID 2>/dev/null"; then
	wait "$XPID"
	XPID=""
	pass sigterm
else
	fail sigterm "still running 5 s after SIGTERM"
fi

# Isolation: a guest port with mac= sends from that MAC only, and a port
# learns at most max_macs source MACs (the table is shared by all).
isolation() {
	local before spoof refused learned
	xviod_start --vhost "$TMP/a.sock,mac=$MAC_A,max_macs=16" --vhost "$TMP/b.sock,mac=$MAC_B" ||
		{ fail isolation xviod; return; }
	tp_start b 1 "path=$TMP/b.sock,queue_size=256,mac=$MAC_B" --forward-mode=rxonly &&
		tp_start a 0 "path=$TMP/a.sock,queue_size=1024,mac=02:00:00:00:ab:66" \
			--forward-mode=rxonly --eth-peer=0,$MAC_B ||
		{ fail isolation testpmd; return; }
	wait_for 20 port_running a.sock && wait_for 20 port_running b.sock ||
		{ fail isolation "ports not running"; return; }
	tp_go b
	before=$(tp_port_stat b rx)
	tp_rounds a 2 4
	spoof=$(wait_ge 10 256 xstat a.sock drop_src_mac)
	if [ "${spoof:-0}" = 256 ] && [ "$(tp_port_stat b rx)" = "$before" ]; then
		pass spoofed_source_dropped
	else
		fail spoofed_source_dropped "drop_src_mac ${spoof:-?} of 256; guest b got $(($(tp_port_stat b rx) - before))"
	fi
	tp_cleanup
	xviod_stop
	# A port without mac= learns at most max_macs of the sources it uses.
	xviod_start --vhost "$TMP/h.sock,max_macs=16" --vhost "$TMP/b.sock,mac=$MAC_B" ||
		{ fail max_macs xviod; return; }
	if ! peer_start macflood; then
		fail max_macs "the frontend did not get going: $(cat "$TMP/peer.out")"
	else
		refused=$(wait_ge 10 284 xstat h.sock macs_refused)
		learned=$("$XC" --ctl "$CTL" macs | grep -c ' h.sock ')
		if [ "$learned" = 16 ] && [ "${refused:-0}" = 284 ]; then
			pass max_macs
		else
			fail max_macs "300 source MACs: $learned learned (limit 16), ${refused:-?} refused (want 284)"
		fi
	fi
	peer_stop
	xviod_stop
}
# With the NIC's TX checksum offload (AF_XDP TX metadata), a guest frame
# whose checksum field lies past the first 4 KiB cannot have it asked of
# the kernel: it is dropped and counted, nothing else happens to the port.
far_csum() {
	local h=${TOPO_ID}n ns=${TOPO_ID}-wire p=${TOPO_ID}q bad
	if ! topo_pair "$h" "$ns" "$p" "" "" >/dev/null 2>&1 || ! ip link set "$h" mtu 9000 ||
		! ip -n "$ns" link set "$p" mtu 9000; then
		fail far_csum "topology"
		return
	fi
	xviod_start --nic "$h" --vhost "$TMP/h.sock" || { fail far_csum xviod; return; }
	if [ "$(xport "$h" tx_csum_offload)" != true ]; then
		fail far_csum "the NIC does not take TX checksums as metadata: $(grep -i checksum "$XVIOD_LOG" | tail -1)"
	elif ! peer_start farcsum; then
		fail far_csum "the frontend did not get going: $(cat "$TMP/peer.out")"
	else
		bad=$(wait_ge 10 1 xstat "$h" tx_bad_csum)
		if [ "${bad:-0}" != 1 ] || port_state_is h.sock broken; then
			fail far_csum "tx_bad_csum ${bad:-?} (want 1), port $(xport h.sock state)"
		else
			pass far_csum
		fi
	fi
	peer_stop
	xviod_stop
}

isolation
far_csum
exit 0
