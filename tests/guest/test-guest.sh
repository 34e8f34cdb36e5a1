#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real Linux guests (Debian kernel, virtio-net driver) under QEMU's
# vhost-user netdev on xviod, with a wire peer in a namespace behind the NIC.
#
#   ping_both_ways       peer <-> guest over XDP/AF_XDP
#   tcp_to_guest / tcp_from_guest   4 MiB each way, md5 checked at both ends
#   guest_to_guest       two guests reach each other (no NIC) and the peer
#   gro_to_guest         tcp_to_guest's segments were merged for the guest (GRO)
#   tso_from_guest       tcp_from_guest's 64 KiB TSO frames were segmented
#                        in software for the NIC
#   tx_csum_offload      ... and their checksums left to the kernel (AF_XDP
#                        TX metadata)
#   tcp_partial_csum     tcp_to_guest again with the peer's TX checksum
#                        offload on: its frames (checksum left to do) are
#                        found and still arrive whole
#   tcp_guest_to_guest   4 MiB vm0 -> vm1, md5: large frames passed as they
#                        are between guests with the offloads
#   tcp_guest_to_guest_sw_gso   the same to a vm1 without GUEST_TSO: cut
#   features_match       the guest driver's data-path feature bits equal what
#                        xvioctl says was negotiated
#   qemu_restart         QEMU killed and started again on the same socket, the
#                        second time as the unprivileged user nobody in
#                        xviod's --socket-group (qemu_unprivileged)
#   xviod_restart        xviod restarted under a running guest (QEMU
#                        reconnect=1): traffic resumes without a reboot
# Timings (boot, each case) are printed as "TIME: ..." lines.
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=guest
. "$ROOT/tests/lib/suite.sh"
GUEST_BUILD=$O
. "$ROOT/scripts/guest.sh"
TMP=$(mktemp -d)
. "$ROOT/tests/lib/xviod.sh"
GUEST_DIR=$TMP
topo_init xg
H=${TOPO_ID}h NS=${TOPO_ID}-wire PEER=${TOPO_ID}p
PEER_IP=198.18.90.2 VM0_IP=198.18.90.10 VM1_IP=198.18.90.11
MAC0=52:54:00:00:90:10 MAC1=52:54:00:00:90:11
trap 'set +u; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT

for t in qemu-system-x86_64 busybox; do
	command -v "$t" >/dev/null || { prereq_missing all "$t not installed (scripts/deps.sh guest)"; exit 0; }
done
if ! bash "$ROOT/scripts/guest-build.sh" "$O" >"$TMP/build.log" 2>&1; then
	prereq_missing all "cannot build the guest image: $(tail -2 "$TMP/build.log")"
	exit 0
fi


topo_pair "$H" "$NS" "$PEER" "" "$PEER_IP/24" || { fail setup topology; exit 1; }
# A veth hands its peer TCP/UDP frames with checksums left to offload
# (CHECKSUM_PARTIAL); XDP/AF_XDP see them as they are, and a guest that did
# not negotiate checksum offload drops them. A real NIC's wire frames carry
# full checksums: make the veth compute them too.
NO_TCP=""
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1 ||
	{ NO_TCP=1; prereq_missing tcp "cannot turn off tx checksum offload on the veth (ethtool)"; }
VHOST0="$TMP/vm0.sock" VHOST1="$TMP/vm1.sock"
# QEMU as an unprivileged user (qemu_restart's second boot): the vhost-user
# sockets go to group nogroup, which that QEMU runs in.
XGRP=() RUNAS=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && getent group nogroup >/dev/null; then
	XGRP=(--socket-group nogroup)
	RUNAS="setpriv --reuid=65534 --regid=$(getent group nogroup | cut -d: -f3) --clear-groups"
	chmod 711 "$TMP" # QEMU must reach the socket and its serial fifos
else
	prereq_missing qemu_unprivileged "needs root, setpriv and the nogroup group"
fi
xviod_start "${XGRP[@]}" --nic "$H" --vhost "$VHOST0,mac=$MAC0" --vhost "$VHOST1,mac=$MAC1" ||
	{ fail setup xviod; exit 1; }

guest_accel || { fail accel "$GUEST_ACCEL_WHY"; exit 0; }
note "accel: $GUEST_ACCEL_WHY"
t0=$SECONDS
if ! guest_start vm0 "$VHOST0" "$MAC0" "$VM0_IP/24" server >"$TMP/boot.out"; then
	fail boot "$(cat "$TMP/boot.out")"
	exit 0
fi
timing boot_vm0 $((SECONDS - t0))
wait_for 20 port_running vm0.sock || fail boot "vm0's port never ran: $("$XC" --ctl "$CTL" ports)"

# ---- ping -------------------------------------------------------------------------
t0=$SECONDS
if ! ip netns exec "$NS" ping -c 3 -i 0.3 -W 3 "$VM0_IP" >"$TMP/ping.out" 2>&1; then
	fail ping_both_ways "peer -> guest: $(tail -2 "$TMP/ping.out")"
elif ! guest_run vm0 "ping -c 3 -W 3 $PEER_IP" 30; then
	fail ping_both_ways "guest -> peer: $GUEST_OUT"
else
	pass ping_both_ways
fi
timing ping $((SECONDS - t0))

# ---- TCP, several MB each way, checksums at both ends ---------------------------------
# busybox httpd serves a file, wget fetches it: one TCP connection each way.
t0=$SECONDS
mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/blob"
want=$(md5sum <"$TMP/www/blob" | cut -c1-32)
ip netns exec "$NS" busybox httpd -f -p 8081 -h "$TMP/www" &
httpd=$!
topo_track_pid "$httpd"
if [ -n "$NO_TCP" ]; then
	:
elif ! wait_for 10 ip netns exec "$NS" busybox wget -q -O /dev/null "http://127.0.0.1:8081/blob"; then
	fail tcp_to_guest "busybox httpd did not serve in the wire namespace"
elif guest_run vm0 "wget -O /tmp/rx http://$PEER_IP:8081/blob 2>&1 | tail -2; md5sum /tmp/rx" 120 &&
	echo "$GUEST_OUT" | grep -q "$want"; then
	pass tcp_to_guest
else
	fail tcp_to_guest "want md5 $want, guest has: $GUEST_OUT"
fi
timing tcp_to_guest $((SECONDS - t0))
# The guest took GUEST_TSO: runs of the wire's segments reached it merged
# (GRO, counted on the NIC's port), and the md5 above held.
gs=$(xstat "$H" gro_segs) gf=$(xstat "$H" gro_frames)
if [ -n "$NO_TCP" ]; then
	:
elif [ "${gs:-0}" -gt 0 ] && [ "${gf:-0}" -gt 0 ] && [ "$gs" -gt "$gf" ]; then
	pass gro_to_guest
	note "tcp_to_guest: $gs segments from the wire reached the guest as $gf merged frames"
else
	fail gro_to_guest "gro_segs ${gs:-?}, gro_frames ${gf:-?}: nothing was merged for a guest with GUEST_TSO"
fi

t0=$SECONDS
guest_run vm0 "mkdir -p /www && head -c $((4 << 20)) /dev/urandom > /www/tx && md5sum /www/tx && httpd -p 8080 -h /www" 60
gmd5=$(echo "$GUEST_OUT" | grep -o '^[0-9a-f]\{32\}' | head -1)
rm -f "$TMP/rx"
timeout 120 ip netns exec "$NS" busybox wget -q -O "$TMP/rx" "http://$VM0_IP:8080/tx"
got=$(md5sum <"$TMP/rx" 2>/dev/null | cut -c1-32)
if [ -n "$NO_TCP" ]; then
	:
elif [ -n "$gmd5" ] && [ "$got" = "$gmd5" ] && [ "$(stat -c %s "$TMP/rx" 2>/dev/null)" = $((4 << 20)) ]; then
	pass tcp_from_guest
else
	fail tcp_from_guest "guest md5 ${gmd5:-?}, peer got ${got:-nothing} ($(stat -c %s "$TMP/rx" 2>/dev/null) bytes)"
fi
timing tcp_from_guest $((SECONDS - t0))
# With HOST_TSO the guest hands xviod TCP segments of up to 64 KiB, which
# the NIC cannot take: the transfer above went through the software
# segmentation (user/offload.c), and arrived whole.
gso=$(xstat vm0.sock sw_gso) segs=$(xstat vm0.sock sw_gso_segs) bad=$(xstat vm0.sock drop_bad_offload)
if [ -n "$NO_TCP" ]; then
	:
elif [ "${gso:-0}" -gt 0 ] && [ "${bad:-1}" = 0 ]; then
	pass tso_from_guest
	note "tcp_from_guest: $gso large frames from the guest cut into $segs segments in software"
else
	fail tso_from_guest "sw_gso ${gso:-?} (want > 0), drop_bad_offload ${bad:-?}: the guest sent no TSO frame, or xviod refused them"
fi
# Their checksums were left to the kernel's transmit path (AF_XDP TX
# metadata, tx_csum=on by default), not computed by xviod.
csm=$("$XC" --ctl "$CTL" --json stats | grep -o '"tx_csum_offloaded":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
if [ -n "$NO_TCP" ]; then
	:
elif [ "${csm:-0}" -ge "${segs:-1}" ]; then
	pass tx_csum_offload
else
	fail tx_csum_offload "tx_csum_offloaded ${csm:-?}: want at least the $segs segments cut for the wire"
fi

# A veth whose peer checksums in software is the tests' convenience; with
# the peer's TX checksum offload on (Linux's default), its TCP frames leave
# the checksum to do (CHECKSUM_PARTIAL) and XDP hands them on like that.
# xviod finds them (rx_csum_partial) and passes them as NEEDS_CSUM: the
# transfer must still arrive whole.
t0=$SECONDS
if [ -n "$NO_TCP" ]; then
	:
elif ! ip netns exec "$NS" ethtool -K "$PEER" tx on >/dev/null 2>&1; then
	fail tcp_partial_csum "cannot turn the peer's TX checksum offload back on"
else
	p0=$("$XC" --ctl "$CTL" --json stats | grep -o '"rx_csum_partial":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
	if guest_run vm0 "wget -O /tmp/rx http://$PEER_IP:8081/blob 2>&1 | tail -1; md5sum /tmp/rx" 120 &&
		echo "$GUEST_OUT" | grep -q "$want"; then
		p1=$("$XC" --ctl "$CTL" --json stats | grep -o '"rx_csum_partial":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
		if [ "${p1:-0}" -gt "${p0:-0}" ]; then
			pass tcp_partial_csum
			note "tcp_partial_csum: $((p1 - p0)) frames from the peer had their checksum left to do"
		else
			fail tcp_partial_csum "md5 right, but no frame was counted in rx_csum_partial ($p0 -> $p1)"
		fi
	else
		fail tcp_partial_csum "want md5 $want, guest has: $GUEST_OUT"
	fi
	ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1
fi
timing tcp_partial_csum $((SECONDS - t0))

# ---- features -----------------------------------------------------------------------
# QEMU handles the control features (STATUS, CTRL_*, MAC, MQ...) itself; the
# data-path bits are the ones xviod negotiates and the driver must agree on:
# the offloads (CSUM, GUEST_CSUM, GUEST_TSO4/6, HOST_TSO4/6), MRG_RXBUF,
# INDIRECT_DESC, EVENT_IDX, VERSION_1, RING_PACKED.
if guest_run vm0 "cat /sys/class/net/eth0/device/features" 10; then
	gf=$(echo "$GUEST_OUT" | grep -o '^[01]\{64\}' | head -1)
	xf=$("$XC" --ctl "$CTL" --json ports | sed 's/{"port":/\n{"port":/g' | grep '"name":"vm0.sock"' |
		grep -o '"features":[0-9]*' | cut -d: -f2)
	bad=""
	for bit in 0 1 7 8 11 12 15 28 29 32 34; do
		g=${gf:$bit:1}
		x=$(( (xf >> bit) & 1 ))
		[ "$g" = "$x" ] || bad="$bad bit$bit(guest $g, xviod $x)"
	done
	if [ -n "$gf" ] && [ -n "$xf" ] && [ -z "$bad" ]; then
		pass features_match
	else
		fail features_match "guest ${gf:-?}, xviod ${xf:-?}:$bad"
	fi
else
	fail features_match "cannot read the guest's features: $GUEST_OUT"
fi

# ---- two guests -----------------------------------------------------------------------
# tcp_g2g CASE CUT: vm1 fetches vm0's 4 MiB over TCP, md5 checked; CUT 0:
# none of vm0's frames is segmented in software on the way (vm1 takes them
# as they are), 1: some are (vm1 did not negotiate GUEST_TSO).
tcp_g2g() {
	local g0 g1
	[ -n "$gmd5" ] || { fail "$1" "vm0 has no file to serve (tcp_from_guest)"; return; }
	g0=$(xstat vm0.sock sw_gso)
	if ! guest_run vm1 "wget -O /tmp/g http://$VM0_IP:8080/tx 2>&1 | tail -1; md5sum /tmp/g; rm /tmp/g" 120 ||
		! echo "$GUEST_OUT" | grep -q "$gmd5"; then
		fail "$1" "want md5 $gmd5, vm1 has: $GUEST_OUT"
		return
	fi
	g1=$(xstat vm0.sock sw_gso)
	if [ "$2" = 0 ] && [ "$g1" != "$g0" ]; then
		fail "$1" "md5 right, but $((g1 - g0)) frames were segmented in software for a guest with GUEST_TSO"
	elif [ "$2" = 1 ] && [ "$g1" = "$g0" ]; then
		fail "$1" "md5 right, but no frame was segmented for a guest without GUEST_TSO"
	else
		pass "$1"
		note "$1: vm0's frames segmented in software on the way: $((g1 - g0))"
	fi
}
t0=$SECONDS
if guest_start vm1 "$VHOST1" "$MAC1" "$VM1_IP/24" server && wait_for 20 port_running vm1.sock; then
	timing boot_vm1 $((SECONDS - t0))
	if guest_run vm1 "ping -c 3 -W 3 $VM0_IP" 30 && guest_run vm0 "ping -c 2 -W 3 $VM1_IP" 30 &&
		guest_run vm1 "ping -c 2 -W 3 $PEER_IP" 30; then
		pass guest_to_guest
	else
		fail guest_to_guest "$GUEST_OUT"
	fi
	# vm0's httpd (tcp_from_guest) to vm1: both guests negotiated the
	# offloads, so vm0's 64 KiB TCP frames reach vm1 as they are (one copy,
	# the header's fields handed over), not cut.
	tcp_g2g tcp_guest_to_guest 0
else
	fail guest_to_guest "vm1 did not come up"
fi

# ---- QEMU killed and started again on the same socket ------------------------------------
t0=$SECONDS
guest_kill vm1
GUEST_OUT=""
if ! wait_for 10 port_state_is vm1.sock waiting; then
	fail qemu_restart "vm1's port is $(xport vm1.sock state) after QEMU was killed (want waiting)"
elif ! GUEST_RUNAS=$RUNAS GUEST_RUNAS_GROUP=nogroup GUEST_NET_OPTS="guest_tso4=off,guest_tso6=off,guest_ecn=off" \
	guest_start vm1 "$VHOST1" "$MAC1" "$VM1_IP/24" server >"$TMP/boot1.out"; then
	fail qemu_restart "$(cat "$TMP/boot1.out")"
elif wait_for 20 port_running vm1.sock && guest_run vm1 "ping -c 3 -W 3 $PEER_IP" 30; then
	pass qemu_restart
	# this time vm1 has no GUEST_TSO: vm0's large frames are cut for it
	tcp_g2g tcp_guest_to_guest_sw_gso 1
	if [ -n "$RUNAS" ]; then
		quid=$(ps -o uid= -C qemu-system-x86_64 | tr -d ' ' | sort -u | tr '\n' ' ')
		if [ "$(ps -o uid= -p "${GUEST_PID[vm1]}" 2>/dev/null | tr -d ' ')" = 65534 ] ||
			pgrep -u 65534 -f "xvio.name=vm1" >/dev/null; then
			pass qemu_unprivileged
		else
			fail qemu_unprivileged "vm1's QEMU is not uid 65534 (QEMU uids: $quid)"
		fi
	fi
else
	fail qemu_restart "$GUEST_OUT"
fi
timing qemu_restart $((SECONDS - t0))

# ---- xviod restarted under a running guest -----------------------------------------------
t0=$SECONDS
xviod_stop
GUEST_OUT=""
if ! xviod_start "${XGRP[@]}" --nic "$H" --vhost "$VHOST0,mac=$MAC0" --vhost "$VHOST1,mac=$MAC1"; then
	fail xviod_restart "xviod did not start again"
elif wait_for 30 port_running vm0.sock && guest_run vm0 "ping -c 3 -W 3 $PEER_IP" 40 &&
	ip netns exec "$NS" ping -c 2 -W 3 "$VM0_IP" >/dev/null; then
	pass xviod_restart
else
	fail xviod_restart "guest not reachable after xviod restarted: $GUEST_OUT $("$XC" --ctl "$CTL" ports 2>&1)"
fi
timing xviod_restart $((SECONDS - t0))
exit 0
