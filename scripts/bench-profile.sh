#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where a bridge's core goes per frame: perf (cpu-clock sampling; this VM has
# no hardware counters) on the bridge's forwarding thread while it carries
# guest -> NIC and NIC -> guest at 64 B, plus core time per frame from
# /proc and the CPU's nominal clock (cycles = ns * MHz / 1000).
# Usage: bench-profile.sh BUILD_DIR (make bench runs it after the figures;
# BENCH_PROFILE=0 skips it). Output: $O/bench/profile-*.txt, profile.md.
set -u
BENCH_LIB=1 . "$(dirname "${BASH_SOURCE[0]}")/bench.sh" "${1:?build dir}"
PSECS=${BENCH_PROFILE_SECS:-4}
MHZ=$(awk -F': ' '/cpu MHz/ { printf "%d", $2; exit }' /proc/cpuinfo)
command -v perf >/dev/null || { echo "bench-profile: perf missing (scripts/deps.sh bench)"; exit 1; }

topo_pair "$H" "$NS" "$P" "" "" || exit 1
ethtool -K "$P" tx off >/dev/null 2>&1
WIRE_MAC=$(topo_mac "$P" "$NS")
MD="$OUT/profile.md"
{
	echo "# Per-frame cost on the bridge core (perf cpu-clock, ${PSECS} s, 64 B)"
	echo
	echo "| bridge | path | frames/s | bridge thread CPU | ns per frame | cycles per frame (${MHZ} MHz) | user / kernel samples |"
	echo "|---|---|---|---|---|---|---|"
} >"$MD"

fwd_tid() { # the bridge's forwarding thread
	local t
	for t in /proc/"$BPID"/task/*; do
		case "$(cat "$t/comm")" in xvio-poll0 | rte-worker-1) echo "${t##*/}"; return ;; esac
	done
}

# profile NAME: perf on the forwarding thread for PSECS while traffic runs;
# $1 = path label, $2 = frames/s measured meanwhile (set by the caller after).
profile() {
	local label=$1 tid
	tid=$(fwd_tid)
	# window: CPU over the real elapsed time (perf takes a moment to start)
	window perf record -q -g -e cpu-clock -t "$tid" -o "$TMP/perf.data" -- \
		sleep "$PSECS" >/dev/null 2>&1
	PCT=$(echo "$WIN_THREADS" | grep -o '"total":[0-9.]*' | cut -d: -f2)
	perf report -i "$TMP/perf.data" --stdio --no-children -g none --sort dso,sym 2>/dev/null |
		grep -E '^ +[0-9]' | head -40 >"$OUT/profile-$BRIDGE-$label.txt"
	SPLIT=$(perf report -i "$TMP/perf.data" --stdio --no-children -g none --sort sym 2>/dev/null |
		awk '/^ +[0-9.]+%/ { v = $1; gsub(/%/, "", v); v += 0;
			if ($2 == "[k]") k += v; else u += v }
		     END { printf "%d %% / %d %%", u + 0.5, k + 0.5 }')
}

row() { # label pps
	local ns
	ns=$(awk -v pct="$PCT" -v pps="$2" 'BEGIN { printf "%.0f", pps ? pct / 100 * 1e9 / pps : 0 }')
	echo "| $BRIDGE | $1 | $2 | ${PCT} % | $ns | $((ns * MHZ / 1000)) | $SPLIT |" >>"$MD"
	log "profile $BRIDGE $1: $2 frames/s, ${PCT} % of a core, $ns ns/frame"
}

for b in $BRIDGES; do
	bridge_start "$b" nic || exit 1
	guest g1 "$S1" "$G1" rxonly || exit 1
	# NIC -> guest at a rate both bridges carry without loss
	gen_bg 64 300000 $((PSECS + 3)) "$TMP/gen"
	sleep 1
	a=$(field "$(tp_port_stats g1)" 1) ta=$(date +%s.%N)
	profile nic_to_guest
	b1=$(field "$(tp_port_stats g1)" 1) tb=$(date +%s.%N)
	wait "$GEN_PID"
	row nic_to_guest "$(awk -v n=$((b1 - a)) -v a="$ta" -v b="$tb" 'BEGIN { printf "%d", n / (b - a) }')"
	# guest -> NIC, as fast as the guest sends
	guest_mode g1 txonly 64 "$WIRE_MAC"
	tp_cmd g1 start
	sleep 1
	ip netns exec "$NS" "$GEN" sink "$P" --secs $((PSECS + 1)) >"$TMP/sink" &
	spid=$!
	profile guest_to_nic
	wait "$spid"
	tp_cmd g1 stop
	row guest_to_nic "$(json_num "$TMP/sink" pps | cut -d. -f1)"
	tp_stop g1
	bridge_stop
done
echo >>"$MD"
echo "Top symbols: profile-<bridge>-<path>.txt beside this file." >>"$MD"
cat "$MD"
