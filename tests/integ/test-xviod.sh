#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xviod as an operator meets it, without guests: bad flags get a clear
# error; xvioctl shows ports and MACs (text and JSON); a vhost-user peer
# sending malformed messages is disconnected with a log line while the
# daemon keeps serving; a socket the XSKMAP refuses (fault injection, on a
# veth: needs root) stops it cleanly; SIGTERM shuts down cleanly and removes
# its sockets.
set -u
O=$(cd "${1:?build dir}" && pwd)
SUITE=integ/xviod
. "$(dirname "$0")/../lib/suite.sh"
TMP=$(mktemp -d)
. "$(dirname "$0")/../lib/xviod.sh"
PEER="$O/tests/tools/vu-peer"
trap 'set +u; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM


expect no_ports 2 "no ports: give at least one --vhost" "$X" --ctl "$CTL"
expect bad_mac 2 "bad MAC '02:zz:00:00:00:01'" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,mac=02:zz:00:00:00:01"
expect group_mac 2 "bad MAC '01:00:5e:00:00:01'" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,mac=01:00:5e:00:00:01"
expect bad_queues 2 "queues=9 \(1..8\)" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,queues=9"
expect bad_option 2 "unknown option 'colour=red'" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,colour=red"
expect bad_poll 2 "--poll fast: expected busy, adaptive or interrupt" "$X" --ctl "$CTL" --poll fast --vhost "$TMP/a.sock"
expect bad_cores 2 "--cores x: expected a list of CPU numbers" "$X" --ctl "$CTL" --cores x --vhost "$TMP/a.sock"
expect bad_max_mtu 2 "--max-mtu 67: expected 68..65535" "$X" --ctl "$CTL" --max-mtu 67 --vhost "$TMP/a.sock"
# A socket that cannot listen (its directory is missing) stops xviod with
# an error, and exit status 1 (it was 0).
expect listen_fails 1 "a.sock: cannot listen on .*/nodir/a.sock: No such file or directory" \
	"$X" --ctl "$CTL" --vhost "$TMP/nodir/a.sock"
expect ctl_no_daemon 1 "cannot reach xviod at $CTL" "$XC" --ctl "$CTL" ports
expect ctl_bad_command 2 "unknown command 'frobnicate'" "$XC" --ctl "$CTL" frobnicate

xviod_start --max-mtu 4000 --vhost "$TMP/vm0.sock,mac=02:00:00:00:00:01" \
	--vhost "$TMP/vm1.sock,queues=2" --vhost "$TMP/gone.sock,client" || { fail start xviod; exit 0; }
expect second_daemon 1 "another xviod is running on $CTL" "$X" --ctl "$CTL" --vhost "$TMP/other.sock"
expect ports_text 0 "^1 +vm0.sock +server +waiting +02:00:00:00:00:01" "$XC" --ctl "$CTL" ports
expect ports_client 0 "gone.sock +client +connecting" "$XC" --ctl "$CTL" ports
expect ports_json 0 '"name":"vm1.sock","path":"[^"]*vm1.sock","mode":"server","state":"waiting","mac":"","queue_pairs":2' \
	"$XC" --ctl "$CTL" --json ports
expect offered_features 0 '"features_offered_names":"MTU MRG_RXBUF STATUS CTRL_VQ GUEST_ANNOUNCE MQ INDIRECT_DESC EVENT_IDX PROTOCOL_FEATURES VERSION_1 RING_PACKED"' \
	"$XC" --ctl "$CTL" --json ports
# No frontend has set an MTU yet; the limit is --max-mtu's.
expect ports_mtu 0 '"name":"vm0.sock".*"mtu":0,"max_mtu":4000' "$XC" --ctl "$CTL" --json ports
expect macs_static 0 "02:00:00:00:00:01 +1 +vm0.sock +static" "$XC" --ctl "$CTL" macs
expect stats_json 0 '"ports":\[\{"port":1,"name":"vm0.sock","from_guest":0' "$XC" --ctl "$CTL" --json stats
expect client_waiting_logged 0 "gone.sock: waiting for the frontend at" cat "$TMP/xviod.log"

for m in truncated oversize unknown bad-index bad-size fds; do
	expect "peer_$m" 0 "^closed$" "$PEER" "$TMP/vm0.sock" "$m" --expect closed
	kill -0 "$XPID" 2>/dev/null || { fail "peer_$m" "xviod died"; break; }
done
expect log_truncated 0 "vm0.sock: truncated message header" cat "$TMP/xviod.log"
expect log_oversize 0 "vm0.sock: request 2 \(SET_FEATURES\) with a 1048576-byte payload" cat "$TMP/xviod.log"
expect log_unknown 0 "vm0.sock: request 99 \(UNKNOWN\) is not supported; closing connection" cat "$TMP/xviod.log"
expect log_bad_index 0 "vm0.sock: SET_VRING_NUM: ring index 200 \(device has 3 rings\)" cat "$TMP/xviod.log"
expect log_bad_size 0 "vm0.sock: SET_FEATURES: payload of 4 bytes \(want 8\)" cat "$TMP/xviod.log"
expect log_fds 0 "vm0.sock: SET_FEATURES: 2 unexpected file descriptors" cat "$TMP/xviod.log"
expect served_after_abuse 0 "^reply$" "$PEER" "$TMP/vm0.sock" good --expect reply
# A polling guest's receive-ring refills need no kick: xviod says so once the
# rings are ready (the guest saves a syscall per refill).
expect rx_ring_quiet 0 "^quiet$" "$PEER" "$TMP/vm0.sock" rxquiet --expect quiet
expect other_port_served 0 "^reply$" "$PEER" "$TMP/vm1.sock" good --expect reply

# The XSKMAP refuses a socket (fault injection: a healthy kernel never does):
# xviod says which socket, exits 1, and leaves no program or pin on the NIC.
# It used to print an uninitialised buffer there.
xskmap_refused() {
	local h=${TOPO_ID}h ns=${TOPO_ID}-wire p=${TOPO_ID}p out rc
	topo_pair "$h" "$ns" "$p" "" "" || { fail xskmap_refused "topology"; return; }
	out=$(LD_PRELOAD="$O/tests/tools/fail-xskmap.so" XVIO_FAIL_XSKMAP=1 timeout 20 \
		"$X" --ctl "$TMP/x.sock" --nic "$h" --vhost "$TMP/x0.sock" 2>&1)
	rc=$?
	if [ "$rc" -ne 1 ]; then
		fail xskmap_refused "exit $rc, want 1: $out"
	elif ! echo "$out" | grep -q "error: $h q0: cannot put the socket of port 0 into the XSKMAP: Operation not permitted"; then
		fail xskmap_refused "no line naming the socket: $out"
	elif ip -d link show "$h" | grep -q 'prog/xdp' || [ -e "/sys/fs/bpf/xvio/$h" ]; then
		fail xskmap_refused "program or pins left on $h"
	else
		pass xskmap_refused
	fi
}
if [ "$(id -u)" -eq 0 ]; then
	topo_init xx
	trap 'set +u; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT
	xskmap_refused
else
	prereq_missing xskmap_refused "needs root (a veth and an XDP program)"
fi

kill -TERM "$XPID"
if ! wait_for 5 bash -c "! kill -0 $XPID"; then
	fail sigterm "still running 5 s after SIGTERM"
else
	wait "$XPID"
	rc=$?
	XPID=""
	if [ "$rc" -ne 0 ]; then
		fail sigterm "exit status $rc"
	elif [ -e "$CTL" ] || [ -e "$TMP/vm0.sock" ] || [ -e "$TMP/vm1.sock" ]; then
		fail sigterm "sockets left behind: $(ls "$TMP")"
	elif ! grep -q "caught SIGTERM; shutting down" "$TMP/xviod.log"; then
		fail sigterm "no shutdown line in the log"
	else
		pass sigterm
	fi
fi
exit 0
