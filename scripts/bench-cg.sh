#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per frame of xviod (valgrind --tool=callgrind), for one or
# more binaries side by side: a count that does not move with the machine's
# load, unlike the Mpps of `make bench` on two shared cores. For comparing
# builds (a refactor must cost nothing), not for absolute speed.
#
#   scripts/bench-cg.sh BUILD_DIR [NAME=XVIOD ...]    (default: new=BUILD_DIR/xviod)
#
# For each binary: xviod --nic on a veth, --poll interrupt (an idle poller
# sleeps, so what is counted is work), under callgrind; a testpmd rxonly
# guest. Counted, after a warm-up, with callgrind_control --zero/--dump:
#   nic_to_guest   N frames from the wire peer (xvio-pkt, paced)
#   guest_to_nic   N frames from the guest (tx_first rounds)
# CG_NIC_OPTS: more --nic options (e.g. gro=off).
# Prints "name test frames instructions per-frame"; the dumps are kept in
# BUILD_DIR/bench-cg/NAME-TEST.callgrind (callgrind_annotate reads them).
set -u
O=$(cd "${1:?build dir}" && pwd)
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/topo.sh"
. "$ROOT/tests/lib/testpmd.sh"
N=${CG_FRAMES:-20000}
RATE=${CG_RATE:-2000}
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=("new=$O/xviod")
TMP=$(mktemp -d)
TP_DIR=$TMP
. "$ROOT/tests/lib/xviod.sh" # xstat, port_running (its xviod_start is not used: valgrind)
OUT="$O/bench-cg" # the callgrind dumps, for callgrind_annotate
mkdir -p "$OUT"
S1="$TMP/g1.sock" G1=02:00:00:00:c0:01
P="$O/tests/tools/xvio-pkt"

for t in valgrind callgrind_control dpdk-testpmd; do
	command -v "$t" >/dev/null || { echo "bench-cg: $t missing (apt-get install valgrind dpdk-dev)"; exit 1; }
done
topo_init xc
trap 'set +u; tp_cleanup; [ -n "$XPID" ] && kill "$XPID" 2>/dev/null && wait "$XPID"; topo_cleanup; rm -rf "$TMP"' EXIT
H=${TOPO_ID}h NS=${TOPO_ID}-wire PEER=${TOPO_ID}p
topo_pair "$H" "$NS" "$PEER" "" "198.18.80.2/24" || exit 1
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$PEER.disable_ipv6=1"
sysctl -qw "net.ipv6.conf.$H.disable_ipv6=1"

total_ir() { # callgrind dump files -> summed instructions
	cat "$@" 2>/dev/null | awk '/^totals:/ { s += $2 } END { print s + 0 }'
}
reached() { [ "$(xstat "$1" "$2")" -ge "$3" ] 2>/dev/null; }
# measure NAME TEST PORT FIELD COUNT CMD...: zero, run CMD, wait until the
# port's counter moved by COUNT, dump, print instructions per frame.
measure() {
	local name=$1 test=$2 port=$3 field=$4 cnt=$5 before ir
	shift 5
	before=$(xstat "$port" "$field")
	callgrind_control --zero "$XPID" >/dev/null
	"$@"
	if ! wait_for 120 reached "$port" "$field" $((before + cnt)); then
		cnt=$(($(xstat "$port" "$field") - before))
		echo "bench-cg: $name $test: only $cnt frames arrived; counted per those" >&2
		[ "$cnt" -gt 0 ] || exit 1
	fi
	rm -f "$TMP/cg.$name".*
	callgrind_control --dump="$test" "$XPID" >/dev/null
	dumped() { ls "$TMP/cg.$name".* >/dev/null 2>&1; }
	wait_for 30 dumped || { echo "bench-cg: no callgrind dump for $name $test" >&2; exit 1; }
	ir=$(total_ir "$TMP/cg.$name".*)
	cat "$TMP/cg.$name".* >"$OUT/$name-$test.callgrind"
	printf '%-8s %-13s %7d %13d %9.0f\n' "$name" "$test" "$cnt" "$ir" "$(echo "$ir $cnt" | awk '{ print $1 / $2 }')"
}

printf '%-8s %-13s %7s %13s %9s\n' binary test frames instructions per_frame
for b in "${BINS[@]}"; do
	name=${b%%=*} bin=${b#*=}
	rm -f "$CTL" "$S1"
	valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$name.%p" --dump-instr=no \
		--collect-atstart=yes "$bin" --ctl "$CTL" --nic "$H${CG_NIC_OPTS:+,$CG_NIC_OPTS}" --vhost "$S1,mac=$G1" \
		--poll interrupt >"$TMP/xviod-$name.log" 2>&1 &
	XPID=$!
	wait_for 120 test -S "$CTL" || { echo "bench-cg: $name did not start: $(tail -3 "$TMP/xviod-$name.log")"; exit 1; }
	tp_start g1 1 "path=$S1,queue_size=1024,mac=$G1" --forward-mode=rxonly || exit 1
	wait_for 60 port_running g1.sock || { echo "bench-cg: the guest's port never ran" >&2; exit 1; }
	tp_go g1 || exit 1
	# warm-up: caches, first-frame paths, the MAC table
	ip netns exec "$NS" "$P" send "$PEER" --dst-mac "$G1" --src 198.18.80.2 --dst 198.18.80.9 \
		--count 500 --rate "$RATE" >/dev/null
	wait_for 60 reached g1.sock to_guest 500 || { echo "bench-cg: warm-up frames lost" >&2; exit 1; }
	measure "$name" nic_to_guest g1.sock to_guest "$N" \
		ip netns exec "$NS" "$P" send "$PEER" --dst-mac "$G1" --src 198.18.80.2 \
		--dst 198.18.80.9 --count "$N" --rate "$RATE"
	tp_cmd g1 stop
	# 32 frames a burst, 8 bursts a round, paced: as a guest sends
	measure "$name" guest_to_nic g1.sock from_guest $(((N / 256) * 256)) tp_rounds g1 $((N / 256)) 8
	tp_cleanup
	kill -TERM "$XPID"
	wait "$XPID"
	XPID=""
done
