#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real frontends nobody here wrote: DPDK testpmd's net_virtio_user guests on
# xviod. Two guests, one sending paced rounds (start tx_first), one in
# rxonly: the frames the receiver counts equal what xviod says it forwarded,
# with no drops. The same with packed rings, without mergeable buffers, with
# two queue pairs, and with xviod as the client (testpmd server=1). Then a
# guest killed mid-traffic and started again is served again while the other
# guests' traffic never stops. A sender faster than its receiver is held
# back rather than dropped (backpressure); a receiver that stops polling
# costs its senders drops, counted; xviod as client reconnects to a
# frontend that went away and came back (client_reconnect). No scenario may
# leave a device marked broken (NAME/no_broken_device).
#
# Usage: test-testpmd.sh BUILD_DIR. Needs dpdk-testpmd and hugepages
# (scripts/deps.sh frontend); reports SKIP with the reason otherwise, and
# FAIL under CI=true (tests/lib/suite.sh).
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=frontend
. "$ROOT/tests/lib/suite.sh"
. "$ROOT/tests/lib/testpmd.sh"
TMP=$(mktemp -d)
TP_DIR="$TMP"
. "$ROOT/tests/lib/xviod.sh"
MAC_A=02:00:00:00:aa:01 MAC_B=02:00:00:00:aa:02 MAC_C=02:00:00:00:aa:03
ROUNDS=${XVIO_TP_ROUNDS:-20}

topo_init xf
trap 'set +u; tp_cleanup; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT

tp_prereqs || exit 0

XOPTS=()
start_xviod() { xviod_start "${XOPTS[@]}" "$@"; }
pairs_ready() { [ "$(xport "$1" queue_pairs_ready)" = "$2" ]; }

# One scenario: A sends ROUNDS x BURSTS x 32 frames per queue to B.
# scenario NAME XVIOD_PORT_OPTS VDEV_EXTRA TESTPMD_EXTRA QUEUES [client]
scenario() {
	local name=$1 popts=$2 vextra=$3 textra=$4 q=$5 mode=${6:-server}
	local sa="$TMP/$name-a.sock" sb="$TMP/$name-b.sock" bursts=8
	local want sent got fa fwd tb drops qa="" l0

	if [ "$mode" = client ]; then
		popts="$popts,client"
		vextra="$vextra,server=1"
	fi
	[ "$q" -gt 1 ] && qa="--rxq=$q --txq=$q"
	start_xviod --vhost "$sa,mac=$MAC_A$popts" --vhost "$sb,mac=$MAC_B$popts" ||
		{ fail "$name" "xviod"; return; }
	l0=$(wc -l <"$XVIOD_LOG") # this scenario's log lines start after it
	# shellcheck disable=SC2086
	tp_start b 1 "path=$sb,queues=$q,queue_size=1024,mac=$MAC_B$vextra" \
		--forward-mode=rxonly $qa $textra || { fail "$name" "receiver"; tp_cleanup; xviod_stop; return; }
	# shellcheck disable=SC2086
	tp_start a 0 "path=$sa,queues=$q,queue_size=1024,mac=$MAC_A$vextra" \
		--forward-mode=rxonly --eth-peer=0,$MAC_B $qa $textra ||
		{ fail "$name" "sender"; tp_cleanup; xviod_stop; return; }
	if ! wait_for 20 port_running "$(basename "$sa")" || ! wait_for 20 port_running "$(basename "$sb")"; then
		fail "$name" "ports not running: $("$XC" --ctl "$CTL" ports)"
		tp_cleanup
		xviod_stop
		return
	fi
	# the frontends enable their second pair after the first runs
	[ "$q" -gt 1 ] && ! { wait_for 10 pairs_ready "$(basename "$sa")" "$q" &&
		wait_for 10 pairs_ready "$(basename "$sb")" "$q"; } &&
		fail "$name/pairs_ready" "second queue pair never ready: $("$XC" --ctl "$CTL" ports)"
	tp_go b
	want=$((ROUNDS * bursts * 32 * q))
	tp_rounds a "$ROUNDS" "$bursts"
	sent=$(wait_ge 10 "$want" tp_port_stat a tx)
	got=$(wait_ge 10 "$sent" tp_port_stat b rx)
	fa=$(xstat "$(basename "$sa")" from_guest)
	fwd=$(xstat "$(basename "$sa")" fwd_unicast)
	tb=$(xstat "$(basename "$sb")" to_guest)
	drops=$(xdrops "$(basename "$sa")")
	if [ "$sent" != "$want" ] || [ "$fa" != "$sent" ] || [ "$fwd" != "$sent" ] ||
		[ "$tb" != "$got" ] || [ "$got" != "$sent" ] || [ "$drops" != 0 ]; then
		fail "$name" "want $want: testpmd sent $sent, received $got; xviod from_guest $fa fwd_unicast $fwd to_guest $tb drops $drops"
		"$XC" --ctl "$CTL" stats | sed 's/^/    /'
	else
		pass "$name"
	fi
	check_negotiation "$name" "$(basename "$sa")" "$vextra" "$q" "$mode"
	tp_cleanup
	xviod_stop
	if tail -n +$((l0 + 1)) "$XVIOD_LOG" | grep -q 'broke the virtio rules'; then
		fail "$name/no_broken_device" "$(tail -n +$((l0 + 1)) "$XVIOD_LOG" | grep 'broke' | head -2)"
	else
		pass "$name/no_broken_device"
	fi
}

check_negotiation() { # name port vextra queues mode
	local name=$1 port=$2 vextra=$3 q=$4 mode=$5 feats ring qr pmode
	feats=$(xport "$port" features_names)
	ring=$(xport "$port" ring)
	qr=$(xport "$port" queue_pairs_ready)
	pmode=$(xport "$port" mode)
	case "$vextra" in
	*packed_vq=1*) [ "$ring" = packed ] || { fail "$name/negotiated" "ring $ring, want packed"; return; } ;;
	*) [ "$ring" = split ] || { fail "$name/negotiated" "ring $ring, want split"; return; } ;;
	esac
	case "$vextra" in
	*mrg_rxbuf=0*) case " $feats " in *" MRG_RXBUF "*) fail "$name/negotiated" "MRG_RXBUF negotiated: $feats"; return ;; esac ;;
	*) case " $feats " in *" MRG_RXBUF "*) ;; *) fail "$name/negotiated" "no MRG_RXBUF: $feats"; return ;; esac ;;
	esac
	case " $feats " in *" VERSION_1 "*) ;; *) fail "$name/negotiated" "no VERSION_1: $feats"; return ;; esac
	[ "$qr" = "$q" ] || { fail "$name/negotiated" "$qr queue pairs ready, want $q"; return; }
	[ "$pmode" = "$mode" ] || { fail "$name/negotiated" "port mode $pmode, want $mode"; return; }
	if [ "$q" -gt 1 ]; then
		local busy
		busy=$("$XC" --ctl "$CTL" --json stats | sed 's/{"port":/\n{"port":/g' |
			grep "\"name\":\"$port\"" | grep -o '"vq":[0-9]*,"dir":"from_guest","ready":true,"packets":[1-9][0-9]*' | wc -l)
		[ "$busy" -ge 2 ] || { fail "$name/negotiated" "traffic used $busy of $q transmit queues"; return; }
	fi
	pass "$name/negotiated"
}

# A guest killed in the middle of its traffic comes back and is served again;
# the others never stop.
scenario_kill() {
	local sa="$TMP/k-a.sock" sb="$TMP/k-b.sock" sc="$TMP/k-c.sock"
	local b1 b2 b3 c1 c2 bgpid got tb

	start_xviod --vhost "$sa,mac=$MAC_A" --vhost "$sb,mac=$MAC_B" --vhost "$sc,mac=$MAC_C" ||
		{ fail kill_restart "xviod"; return; }
	tp_start b 1 "path=$sb,queue_size=1024,mac=$MAC_B" --forward-mode=rxonly &&
		tp_start a 0 "path=$sa,queue_size=1024,mac=$MAC_A" --forward-mode=rxonly \
			--eth-peer=0,$MAC_B &&
		tp_start c 0 "path=$sc,queue_size=1024,mac=$MAC_C" --forward-mode=rxonly \
			--eth-peer=0,$MAC_B || { fail kill_restart "testpmd"; tp_cleanup; xviod_stop; return; }
	wait_for 20 port_running k-c.sock && wait_for 20 port_running k-a.sock && wait_for 20 port_running k-b.sock ||
		{ fail kill_restart "ports not running"; tp_cleanup; xviod_stop; return; }
	tp_go b
	tp_rounds a 60 4 &
	bgpid=$!
	tp_rounds c 10 4 &
	wait_ge 10 1 xstat k-c.sock from_guest >/dev/null
	b1=$(wait_ge 10 1 xstat k-b.sock to_guest)
	tp_kill c
	if wait_for 10 port_state_is k-c.sock waiting; then
		pass kill_restart_seen_down
	else
		fail kill_restart_seen_down "killed guest still shown running"
	fi
	b2=$(wait_ge 10 $((b1 + 1)) xstat k-b.sock to_guest)
	c1=$(xstat k-c.sock from_guest)
	tp_start c 0 "path=$sc,queue_size=1024,mac=$MAC_C" --forward-mode=rxonly \
		--eth-peer=0,$MAC_B || { fail kill_restart "restart"; wait "$bgpid"; tp_cleanup; xviod_stop; return; }
	wait_for 20 port_running k-c.sock || { fail kill_restart "restarted guest not served"; wait "$bgpid"; tp_cleanup; xviod_stop; return; }
	tp_rounds c 4 4
	c2=$(wait_ge 10 $((c1 + 512)) xstat k-c.sock from_guest)
	b3=$(wait_ge 10 $((b2 + 1)) xstat k-b.sock to_guest)
	wait "$bgpid"
	tb=$(settle 10 xstat k-b.sock to_guest)
	got=$(wait_ge 10 "$tb" tp_port_stat b rx)
	if [ "${b2:-0}" -le "${b1:-0}" ] || [ "${b3:-0}" -le "${b2:-0}" ]; then
		fail kill_restart "receiver stalled while a guest died: to_guest $b1 -> $b2 -> $b3"
	elif [ $((c2 - c1)) -ne 512 ]; then
		fail kill_restart "restarted guest sent 512 frames, xviod counted $((c2 - c1))"
	elif [ "$got" != "$tb" ]; then
		fail kill_restart "receiver counted $got, xviod delivered $tb"
	else
		pass kill_restart
	fi
	if grep -q 'k-c.sock: frontend disconnected' "$XVIOD_LOG" &&
		[ "$(grep -c 'k-c.sock: frontend connected' "$XVIOD_LOG")" -eq 2 ]; then
		pass kill_restart_logged
	else
		fail kill_restart_logged "$(grep k-c.sock "$XVIOD_LOG")"
	fi
	tp_cleanup
	xviod_stop
}

# Ports added and removed at runtime (xvioctl port add/del) while a's stream
# to b runs: b gets every frame a sent. A guest on a port added at runtime is
# served; removing its port while it runs disconnects it and takes its MAC,
# its socket file and its state entry with it.
scenario_hotplug() {
	local sa="$TMP/h-a.sock" sb="$TMP/h-b.sock" sc="$TMP/h-c.sock" st="$TMP/h-state.ini"
	local bgpid out got sent rounds=40 bursts=4 churns=0 bad="" i
	start_xviod --vhost "$sa,mac=$MAC_A" --vhost "$sb,mac=$MAC_B" --state "$st" ||
		{ fail hotplug xviod; return; }
	out=$("$XC" --ctl "$CTL" port add "$sc,mac=$MAC_C" 2>&1)
	[[ "$out" == "added port 3 (h-c.sock)"* ]] || { fail hotplug_add "$out"; xviod_stop; return; }
	tp_start b 1 "path=$sb,queue_size=1024,mac=$MAC_B" --forward-mode=rxonly &&
		tp_start a 0 "path=$sa,queue_size=1024,mac=$MAC_A" --forward-mode=rxonly \
			--eth-peer=0,$MAC_B &&
		tp_start c 0 "path=$sc,queue_size=1024,mac=$MAC_C" --forward-mode=rxonly \
			--eth-peer=0,$MAC_B || { fail hotplug "testpmd"; tp_cleanup; xviod_stop; return; }
	wait_for 20 port_running h-a.sock && wait_for 20 port_running h-b.sock &&
		wait_for 20 port_running h-c.sock ||
		{ fail hotplug "ports not running: $("$XC" --ctl "$CTL" ports)"; tp_cleanup; xviod_stop; return; }
	tp_go b
	tp_rounds c 4 4
	got=$(wait_ge 10 512 tp_port_stat b rx)
	if [ "$got" = 512 ]; then
		pass hotplug_added_port_served
	else
		fail hotplug_added_port_served "the guest on the added port sent 512 to b, which got $got"
	fi
	tp_rounds a "$rounds" "$bursts" &
	bgpid=$!
	# ports come and go for as long as a sends; c's goes with its guest running
	while kill -0 "$bgpid" 2>/dev/null && [ "$churns" -lt 200 ]; do
		i=$((churns % 20 + 1))
		out=$("$XC" --ctl "$CTL" port add "$TMP/h-x$i.sock,mac=02:00:00:00:ab:$(printf %02x "$i")" 2>&1) &&
			[ -S "$TMP/h-x$i.sock" ] || bad="$bad add $i: $out;"
		out=$("$XC" --ctl "$CTL" port del "h-x$i.sock" 2>&1) && [ ! -e "$TMP/h-x$i.sock" ] ||
			bad="$bad del $i: $out;"
		churns=$((churns + 1))
		[ "$churns" = 5 ] && { "$XC" --ctl "$CTL" port del h-c.sock >/dev/null 2>&1 || bad="$bad del c;"; }
	done
	wait "$bgpid"
	sent=$(wait_ge 10 $((rounds * bursts * 32)) tp_port_stat a tx)
	got=$(wait_ge 10 $((512 + sent)) tp_port_stat b rx)
	note "hotplug: $churns port add/del pairs while a sent $sent frames to b"
	if [ -n "$bad" ]; then
		fail hotplug_churn "$bad"
	elif [ "$churns" -lt 5 ]; then
		fail hotplug_churn "only $churns add/del pairs before the stream ended"
	elif [ "$sent" != $((rounds * bursts * 32)) ] || [ "$got" != $((512 + sent)) ] ||
		[ "$(xdrops h-a.sock)" != 0 ]; then
		fail hotplug_no_loss "a sent $sent, b got $((got - 512)); a's drops: $("$XC" --ctl "$CTL" stats | grep -A12 h-a.sock | grep drop | tr '\n' ' ')"
	else
		pass hotplug_no_loss
	fi
	if [ -e "$sc" ]; then
		fail hotplug_del_clean "socket file $sc left"
	elif "$XC" --ctl "$CTL" macs | grep -qi "$MAC_C"; then
		fail hotplug_del_clean "MAC of the removed port left: $("$XC" --ctl "$CTL" macs)"
	elif grep -q h-c.sock "$st"; then
		fail hotplug_del_clean "still in the state file: $(cat "$st")"
	elif ! grep -q "h-c.sock: frontend disconnected" "$XVIOD_LOG"; then
		fail hotplug_del_clean "the removed port's frontend was not disconnected: $(grep h-c.sock "$XVIOD_LOG" | tail -3)"
	else
		pass hotplug_del_clean
	fi
	tp_cleanup
	xviod_stop
}

# xviod with two guests, both rxonly: a (CPU 0, 1024 buffers) sends to b
# (CPU 1, a 256-buffer ring). Fails TEST and cleans up when one does not run.
start_sender_receiver() { # test sock-a sock-b
	local t=$1 sa=$2 sb=$3
	start_xviod --vhost "$sa,mac=$MAC_A" --vhost "$sb,mac=$MAC_B" || { fail "$t" xviod; return 1; }
	tp_start b 1 "path=$sb,queue_size=256,mac=$MAC_B" --forward-mode=rxonly &&
		tp_start a 0 "path=$sa,queue_size=1024,mac=$MAC_A" --forward-mode=rxonly \
			--eth-peer=0,$MAC_B || { fail "$t" testpmd; tp_cleanup; xviod_stop; return 1; }
	wait_for 20 port_running "$(basename "$sa")" && wait_for 20 port_running "$(basename "$sb")" ||
		{ fail "$t" "ports not running"; tp_cleanup; xviod_stop; return 1; }
}

# The receiver does not poll: its ring fills and every frame xviod could not
# deliver is counted as a drop with its reason.
scenario_drops() {
	local sa="$TMP/d-a.sock" sb="$TMP/d-b.sock" fa fwd full tb got
	start_sender_receiver drops_counted "$sa" "$sb" || return
	tp_rounds a 10 8
	# every frame is forwarded or dropped in the burst that counts it
	fa=$(wait_ge 10 2560 xstat d-a.sock from_guest)
	full=$(settle 5 xstat d-a.sock drop_dest_full)
	tb=$(xstat d-b.sock to_guest)
	tp_go b
	got=$(wait_ge 10 "$tb" tp_port_stat b rx)
	fwd=$(xstat d-a.sock fwd_unicast)
	if [ "$fa" != 2560 ] || [ "${full:-0}" -eq 0 ] || [ $((${fwd:-0} + ${full:-0})) -ne "$fa" ] ||
		[ "$tb" != "$fwd" ] || [ "$got" != "$tb" ]; then
		fail drops_counted "from_guest $fa = fwd_unicast $fwd + drop_dest_full $full? receiver got $got, to_guest $tb"
	else
		pass drops_counted
	fi
	tp_cleanup
	xviod_stop
}

# A sender faster than its receiver's ring: bursts of 512 into a polling
# guest whose ring holds 256. xviod holds the sender back (its frames wait in
# its own ring) while the receiver drains, instead of dropping the overflow.
scenario_backpressure() {
	local sa="$TMP/p-a.sock" sb="$TMP/p-b.sock" fa full got
	start_sender_receiver backpressure "$sa" "$sb" || return
	tp_go b
	tp_rounds a 5 16
	got=$(wait_ge 10 2560 tp_port_stat b rx)
	fa=$(xstat p-a.sock from_guest)
	full=$(xstat p-a.sock drop_dest_full)
	if [ "$fa" = 2560 ] && [ "$full" = 0 ] && [ "$got" = 2560 ]; then
		pass backpressure
	else
		fail backpressure "sent 5 x 512 into a 256-buffer ring: from_guest $fa, drop_dest_full $full, receiver got $got"
	fi
	tp_cleanup
	xviod_stop
}

# xviod as the client: the frontend (testpmd server=1) goes away and comes
# back; xviod keeps retrying and serves it again.
scenario_client_reconnect() {
	local sa="$TMP/r-a.sock" sb="$TMP/r-b.sock" got fa
	start_xviod --vhost "$sa,mac=$MAC_A,client" --vhost "$sb,mac=$MAC_B,client" ||
		{ fail client_reconnect xviod; return; }
	tp_start b 1 "path=$sb,server=1,queue_size=1024,mac=$MAC_B" --forward-mode=rxonly &&
		tp_start a 0 "path=$sa,server=1,queue_size=1024,mac=$MAC_A" --forward-mode=rxonly \
			--eth-peer=0,$MAC_B || { fail client_reconnect testpmd; tp_cleanup; xviod_stop; return; }
	wait_for 20 port_running r-a.sock && wait_for 20 port_running r-b.sock ||
		{ fail client_reconnect "ports not running"; tp_cleanup; xviod_stop; return; }
	tp_kill a
	if ! wait_for 10 port_state_is r-a.sock connecting; then
		fail client_reconnect "port not back to connecting: $(xport r-a.sock state)"
		tp_cleanup
		xviod_stop
		return
	fi
	# A crashed listener leaves its socket file; the new one must remove it
	# (QEMU does the same) or it cannot bind.
	rm -f "$sa"
	tp_start a 0 "path=$sa,server=1,queue_size=1024,mac=$MAC_A" --forward-mode=rxonly \
		--eth-peer=0,$MAC_B || { fail client_reconnect restart; tp_cleanup; xviod_stop; return; }
	wait_for 20 port_running r-a.sock || { fail client_reconnect "not reconnected"; tp_cleanup; xviod_stop; return; }
	tp_go b
	tp_rounds a 5 8
	got=$(wait_ge 10 1280 tp_port_stat b rx)
	fa=$(xstat r-a.sock from_guest)
	if [ "$got" != 1280 ] || [ "$fa" != 1280 ]; then
		fail client_reconnect "after reconnecting: receiver got $got, xviod from_guest $fa (want 1280)"
	else
		pass client_reconnect
	fi
	tp_cleanup
	xviod_stop
}

scenario split "" "" "" 1
scenario packed "" ",packed_vq=1" "" 1
scenario no_mrg_rxbuf "" ",mrg_rxbuf=0" "" 1
XOPTS=(--cores 0,1)
scenario two_queues_two_pollers ",queues=2" "" "" 2
XOPTS=(--poll interrupt) # sleep after every empty round: the kick path alone
scenario client_mode "" "" "" 1 client
XOPTS=()
scenario_client_reconnect
scenario_drops
scenario_backpressure
scenario_kill
scenario_hotplug
exit 0
