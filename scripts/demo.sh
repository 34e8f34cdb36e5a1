#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: a guest on xvio, from nothing, and a check of what it shows. A
# namespace's veth stands in for the wire, its host end for the physical NIC.
# xviod attaches its XDP program to that "NIC" and bridges it over AF_XDP to a
# Linux guest booted under QEMU with a vhost-user netdev. Then, each checked:
#   - the peer on the wire pings the guest, and the guest pings the peer;
#   - 4 MiB over TCP from the wire to the guest, and 4 MiB from the guest to
#     the wire, md5 compared at both ends;
#   - the host's own address on the same NIC still answers.
# Exit 0 when all of it worked. Otherwise exit 1 with one line that says what
# failed and where its log is; logs are kept in $O/demo/. Everything else is
# torn down on exit or Ctrl-C.
#
# Usage: scripts/demo.sh [BUILD_DIR]   (XVIO_ACCEL=kvm|tcg: scripts/accel.sh)
set -u
O=$(cd "${1:-build}" 2>/dev/null && pwd) ||
	{ echo "demo: no build directory '${1:-build}' (run make first)" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/topo.sh"
GUEST_BUILD=$O
. "$ROOT/scripts/guest.sh"
LOGS="$O/demo"
[ -n "$O" ] && rm -rf "$LOGS"
mkdir -p "$LOGS"
TMP=$(mktemp -d)
GUEST_DIR=$LOGS
CTL="$TMP/xviod.ctl"
XPID=""
FAILED="" PASSED=""
T_START=$SECONDS
SUMMARY=()

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
note() { SUMMARY+=("$*"); }
# secs_since T0: seconds since $EPOCHREALTIME was T0, to a tenth.
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# die WHAT LOG: the one line a person needs, then teardown (the EXIT trap).
die() {
	FAILED="demo: FAILED: $1 (log: $2)"
	echo "$FAILED"
	exit 1
}
xctl() { timeout 10 "$O/xvioctl" --ctl "$CTL" "$@"; }
# A NIC counter from `xvioctl --json stats`.
nic_stat() { xctl --json stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
# replies PING_OUTPUT: "received/transmitted".
replies() { sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) .*received.*/\2\/\1/p' <<<"$1"; }

teardown() {
	local rc=$?
	set +u
	echo
	step "tearing down"
	if [ -n "$XPID" ]; then
		kill -TERM "$XPID" 2>/dev/null
		wait "$XPID" 2>/dev/null
	fi
	topo_cleanup
	rm -rf "$TMP"
	rm -f "$LOGS"/*.serial.in "$LOGS"/*.serial.out
	if [ -n "$NS" ] && { ip netns list | grep -qw "$NS" || ip link show "$NIC" >/dev/null 2>&1 ||
		[ -e "/sys/fs/bpf/xvio/$NIC" ]; }; then
		echo "left behind despite the cleanup: namespace $NS, link $NIC or pins (remove by hand)"
		[ -n "$FAILED" ] || FAILED="demo: FAILED: cleanup left $NS/$NIC behind (log: $LOGS)"
		[ "$rc" -ne 0 ] || rc=1
	else
		echo "no guest, namespace, link, XDP program or pin left behind; logs in $LOGS"
	fi
	if [ -n "$FAILED" ]; then
		echo
		echo "$FAILED"
	elif [ "$rc" -eq 0 ] && [ -n "$PASSED" ]; then
		step "summary"
		echo "what ran: xviod on $NIC (XDP + AF_XDP) <-> QEMU guest vm0 (vhost-user), wire peer in $NS"
		printf '  %s\n' "${SUMMARY[@]}"
		echo "$PASSED"
	else
		[ "$rc" -ne 0 ] || rc=1
		echo
		echo "demo: FAILED: stopped before its checks ended (exit $rc) (logs: $LOGS)"
	fi
	exit "$rc"
}

topo_init xd
trap teardown EXIT
NIC=${TOPO_ID}nic NS=${TOPO_ID}-wire PEER=${TOPO_ID}w
HOST_IP=198.18.50.1 PEER_IP=198.18.50.2 VM_IP=198.18.50.10 VM_MAC=52:54:00:00:50:10

guest_accel || die "$GUEST_ACCEL_WHY" "scripts/accel.sh"

step "building the guest image (Debian kernel + busybox initramfs, cached in $O/guest)"
bash "$ROOT/scripts/guest-build.sh" "$O" >"$LOGS/guest-build.log" 2>&1 ||
	die "could not build the guest image: $(tail -1 "$LOGS/guest-build.log")" "$LOGS/guest-build.log"
echo "guest image: $O/guest"

step "topology: $NIC (the 'NIC', host address $HOST_IP) <-> $PEER ($PEER_IP) in namespace $NS (the wire)"
topo_pair "$NIC" "$NS" "$PEER" "$HOST_IP/24" "$PEER_IP/24" >"$LOGS/topology.log" 2>&1 ||
	die "could not create the veth pair and namespace" "$LOGS/topology.log"
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1 # full checksums, as a real wire has

step "starting xviod: XDP on $NIC, AF_XDP sockets, a vhost-user port for the guest"
printf '$ %s\n' "xviod --nic $NIC --vhost $TMP/vm0.sock,mac=$VM_MAC --ctl $CTL"
"$O/xviod" --nic "$NIC" --vhost "$TMP/vm0.sock,mac=$VM_MAC" --ctl "$CTL" >"$LOGS/xviod.log" 2>&1 &
XPID=$!
wait_for 15 test -S "$CTL" || die "xviod did not start: $(tail -1 "$LOGS/xviod.log")" "$LOGS/xviod.log"
sed 's/^/  | /' "$LOGS/xviod.log"

step "booting a Linux guest under QEMU (${GUEST_ACCEL^^}), -netdev vhost-user on $TMP/vm0.sock"
echo "accelerator: $GUEST_ACCEL_WHY"
t0=$SECONDS
guest_start vm0 "$TMP/vm0.sock" "$VM_MAC" "$VM_IP/24" server >"$LOGS/boot.log" ||
	die "guest vm0 did not boot under ${GUEST_ACCEL^^} within $GUEST_BOOT_SECS s" "$(guest_console vm0)"
boot=$((SECONDS - t0))
echo "guest up in $boot s"
note "guest vm0 booted under ${GUEST_ACCEL^^} in $boot s"
vm0_running() { xctl ports | grep -q 'vm0.sock .*running'; }
wait_for 20 vm0_running ||
	die "the guest's vhost-user port never reached 'running'" "$LOGS/xviod.log"
run xctl ports

step "the peer on the wire pings the guest (ARP through the flood socket, echo through the guest's socket)"
printf '$ %s\n' "ip netns exec $NS ping -c 3 -i 0.3 -W 3 $VM_IP"
out=$(ip netns exec "$NS" ping -c 3 -i 0.3 -W 3 "$VM_IP" 2>&1)
echo "$out" | tee "$LOGS/ping-to-guest.log"
r=$(replies "$out")
[ -n "$r" ] && [ "${r%/*}" -gt 0 ] ||
	die "the peer's ping to the guest got no reply (${r:-0/3})" "$LOGS/ping-to-guest.log"
note "ping wire -> guest: $r replies"

step "the guest pings the peer"
guest_run vm0 "ping -c 3 -W 3 $PEER_IP" 30
echo "$GUEST_OUT" | tee "$LOGS/ping-from-guest.log" | sed 's/^/  vm0# /'
r=$(replies "$GUEST_OUT")
[ -n "$r" ] && [ "${r%/*}" -gt 0 ] ||
	die "the guest's ping to the peer got no reply (${r:-0/3})" "$LOGS/ping-from-guest.log"
note "ping guest -> wire: $r replies"

step "wire -> guest: the guest fetches 4 MiB from the peer over TCP"
mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/file"
ip netns exec "$NS" busybox httpd -f -p 8080 -h "$TMP/www" &
topo_track_pid $!
wait_for 10 ip netns exec "$NS" busybox wget -q -O /dev/null "http://127.0.0.1:8080/file" ||
	die "busybox httpd did not start in the wire namespace" "$LOGS/tcp-to-guest.log"
want=$(md5sum <"$TMP/www/file" | cut -c1-32)
echo "peer's md5: $want"
t0=$EPOCHREALTIME
guest_run vm0 "wget -q -O /tmp/file http://$PEER_IP:8080/file; md5sum /tmp/file; rm -f /tmp/file" 120
echo "$GUEST_OUT" | tee "$LOGS/tcp-to-guest.log" | sed 's/^/  vm0# /'
got=$(grep -o '^[0-9a-f]\{32\}' <<<"$GUEST_OUT" | head -1)
[ "$got" = "$want" ] ||
	die "TCP wire -> guest: the guest's md5 is ${got:-missing}, the peer's $want" "$LOGS/tcp-to-guest.log"
note "TCP wire -> guest: 4 MiB in $(secs_since "$t0") s, md5 equal"

step "guest -> wire: the peer fetches 4 MiB from the guest over TCP"
guest_run vm0 "mkdir -p /www && head -c $((4 << 20)) /dev/urandom >/www/file && md5sum /www/file && httpd -p 8080 -h /www" 60
echo "$GUEST_OUT" | sed 's/^/  vm0# /'
want=$(grep -o '^[0-9a-f]\{32\}' <<<"$GUEST_OUT" | head -1)
[ -n "$want" ] || die "the guest could not make or serve its file: $GUEST_OUT" "$(guest_console vm0)"
t0=$EPOCHREALTIME
printf '$ %s\n' "ip netns exec $NS busybox wget -O - http://$VM_IP:8080/file | md5sum"
got=$(timeout 120 ip netns exec "$NS" busybox wget -q -O - "http://$VM_IP:8080/file" 2>"$LOGS/tcp-from-guest.log" |
	md5sum | cut -c1-32)
echo "peer's md5: $got" | tee -a "$LOGS/tcp-from-guest.log"
[ "$got" = "$want" ] ||
	die "TCP guest -> wire: the peer's md5 is $got, the guest's $want" "$LOGS/tcp-from-guest.log"
note "TCP guest -> wire: 4 MiB in $(secs_since "$t0") s, md5 equal"

step "the host's own address on the same NIC still answers (it never left the kernel)"
printf '$ %s\n' "ip netns exec $NS ping -c 2 -i 0.3 -W 3 $HOST_IP"
out=$(ip netns exec "$NS" ping -c 2 -i 0.3 -W 3 "$HOST_IP" 2>&1)
echo "$out" | tee "$LOGS/ping-host.log"
r=$(replies "$out")
[ -n "$r" ] && [ "${r%/*}" -gt 0 ] || die "the host's own address got no reply (${r:-0/2})" "$LOGS/ping-host.log"
note "ping wire -> host's own address: $r replies"

step "counters"
run xctl stats | tee "$LOGS/stats.txt"
run xctl macs
note "xviod: $(nic_stat from_wire) frames from the wire, $(nic_stat to_wire) to the wire (xvioctl stats)"
PASSED="demo: passed in $((SECONDS - T_START)) s (logs: $LOGS)"
