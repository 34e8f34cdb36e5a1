#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: a guest on xvio, from nothing. A namespace's veth stands in for
# the wire, its host end for the physical NIC. xviod attaches its XDP program
# to that "NIC" and bridges it over AF_XDP to a Linux guest booted under QEMU
# with a vhost-user netdev. The peer pings the guest, the guest pings the
# peer and fetches a file over TCP, the host keeps its own address on the
# same NIC, and xvioctl shows what happened. Everything is torn down on exit
# or Ctrl-C.
set -u
O=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/topo.sh"
GUEST_BUILD=$O
. "$ROOT/scripts/guest.sh"
TMP=$(mktemp -d)
GUEST_DIR=$TMP
CTL="$TMP/xviod.ctl"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

topo_init xd
NIC=${TOPO_ID}nic NS=${TOPO_ID}-wire PEER=${TOPO_ID}w
HOST_IP=198.18.50.1 PEER_IP=198.18.50.2 VM_IP=198.18.50.10 VM_MAC=52:54:00:00:50:10
trap 'set +u; echo; step "tearing down"; kill -TERM $XPID 2>/dev/null; wait $XPID 2>/dev/null; topo_cleanup; rm -rf "$TMP"; echo "done: no guest, namespace, link, XDP program or pin left behind"' EXIT

step "building the guest image (Debian kernel + busybox initramfs, cached in $O/guest)"
bash "$ROOT/scripts/guest-build.sh" "$O" || exit 1

step "topology: $NIC (the 'NIC', host address $HOST_IP) <-> $PEER ($PEER_IP) in namespace $NS (the wire)"
topo_pair "$NIC" "$NS" "$PEER" "$HOST_IP/24" "$PEER_IP/24" || exit 1
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null 2>&1 # full checksums, as a real wire has

step "starting xviod: XDP on $NIC, AF_XDP sockets, a vhost-user port for the guest"
printf '$ %s\n' "xviod --nic $NIC --vhost $TMP/vm0.sock,mac=$VM_MAC --ctl $CTL"
"$O/xviod" --nic "$NIC" --vhost "$TMP/vm0.sock,mac=$VM_MAC" --ctl "$CTL" >"$TMP/xviod.log" 2>&1 &
XPID=$!
topo_track_pid "$XPID"
wait_for 15 test -S "$CTL" || { cat "$TMP/xviod.log"; exit 1; }
sed 's/^/  | /' "$TMP/xviod.log"

step "booting a Linux guest under QEMU (TCG), -netdev vhost-user on $TMP/vm0.sock"
t0=$SECONDS
guest_start vm0 "$TMP/vm0.sock" "$VM_MAC" "$VM_IP/24" server || exit 1
echo "guest up in $((SECONDS - t0)) s"
wait_for 20 bash -c "$O/xvioctl --ctl $CTL ports | grep -q 'vm0.sock .*running'"
run "$O/xvioctl" --ctl "$CTL" ports

step "the peer on the wire pings the guest (ARP through the flood socket, echo through the guest's socket)"
run ip netns exec "$NS" ping -c 3 -i 0.3 "$VM_IP"

step "the guest pings the peer"
guest_run vm0 "ping -c 3 $PEER_IP" 30
echo "$GUEST_OUT" | sed 's/^/  vm0# /'

step "the guest fetches 4 MiB from the peer over TCP"
mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/file"
ip netns exec "$NS" busybox httpd -f -p 8080 -h "$TMP/www" &
topo_track_pid $!
wait_for 10 ip netns exec "$NS" busybox wget -q -O /dev/null "http://127.0.0.1:8080/file"
echo "peer md5: $(md5sum <"$TMP/www/file" | cut -c1-32)"
guest_run vm0 "wget -q -O /tmp/file http://$PEER_IP:8080/file && md5sum /tmp/file" 120
echo "$GUEST_OUT" | sed 's/^/  vm0# /'

step "the host's own address on the same NIC still answers (it never left the kernel)"
run ip netns exec "$NS" ping -c 2 -i 0.3 "$HOST_IP"

step "counters"
run "$O/xvioctl" --ctl "$CTL" stats
run "$O/xvioctl" --ctl "$CTL" macs
