#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: xvio against the system users would pick instead, in one run,
# on the same veth, generator, guests and cores.
#
#   bridge "xvio"  xviod --nic H --vhost ... --cores 0 --poll adaptive
#   bridge "dpdk"  dpdk-testpmd net_af_xdp(H) <-> net_vhost, io forwarding,
#                  forwarding lcore on CPU 0 (the anchor)
#   guests         dpdk-testpmd net_virtio_user (rxonly / txonly / macswap)
#   generator      build/tests/bench/xvio-gen live: XDP frames sent with
#                  BPF_PROG_RUN (no skb), redirected out of the wire end into
#                  the bridge side's XDP program, SCHED_FIFO, paced in bursts
#                  every 200 us, capped at a share of its CPU (NIC -> guest)
#   ceilings       the same generator into a bare AF_XDP consumer on CPU 0
#                  that only refills (xvio-gen xsk-sink), and into a bare
#                  XDP_DROP (xvio-gen sink): what any AF_XDP bridge, and the
#                  kernel alone, could take on this rig
#   wire sink      xvio-gen sink: XDP_DROP on the wire end, counted by the
#                  device's rx_packets; its NAPI threaded on CPU 0 (batched),
#                  and again inline (veth's default, a softirq per frame)
#   latency        xvio-gen rtt: AF_PACKET probe, reflected by a macswap guest
#
# CPU 0 runs the bridge under test; CPU 1 runs the guests and the wire sink.
# NIC -> guest is measured in three placements of the generator, whose
# softirq also runs the bridge side's receive work (veth NAPI, XDP, the copy
# into the UMEM), as a NIC's does on the CPU that takes its IRQ:
#   split       generator on CPU 1: the receive work is not on the bridge's CPU
#   shared      generator on CPU 0: the receive work competes with the bridge
#   shared-cfs  the same, the generator SCHED_OTHER
# Results: $O/bench/{raw.jsonl,results.json,results.md,results.png}.
#
# Knobs: BENCH_QUICK=1 (a short run), BENCH_TRIALS, BENCH_SECS, BENCH_ZL_SECS,
# BENCH_ZL_STEPS, BENCH_SWEEP (offered rates, pps), BENCH_BRIDGES ("xvio
# dpdk"), BENCH_XVIO_ARGS (extra xviod options), BENCH_XVIO_NIC_OPTS (extra
# --nic options, e.g. busy_poll=20), BENCH_XVIOD (another xviod binary, for
# A/B runs), BENCH_XVIOD_B (a second xviod, measured as bridge "xvio-b" in
# the same run: BENCH_BRIDGES="xvio xvio-b", then scripts/bench-ab.py),
# BENCH_PROFILE=0 (skip scripts/bench-profile.sh), BENCH_PLACEMENTS ("split
# shared shared-cfs"), BENCH_GEN_SCHED (fifo | other: the generator's scheduling class),
# BENCH_DUTY_SPLIT / BENCH_DUTY_SHARED (80 / 50: xvio-gen live --duty),
# BENCH_TCP=0 (skip scripts/bench-tcp.sh: TCP between Linux guests with and
# without the offloads; BENCH_TCP_MB, BENCH_TCP_TRIALS).
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/topo.sh"
. "$ROOT/tests/lib/testpmd.sh"

X=${BENCH_XVIOD:-$O/xviod} X_B=${BENCH_XVIOD_B:-} XC="$O/xvioctl" GEN="$O/tests/bench/xvio-gen"
OUT="$O/bench"
RAW="$OUT/raw.jsonl"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	TRIALS=1 SECS=2 ZL_SECS=2 ZL_STEPS=3 IDLE_SECS=3 RTT_COUNT=2000
	SWEEP="1000000 2000000 4000000 8000000" SWEEP_1514="500000 1000000"
else
	TRIALS=3 SECS=4 ZL_SECS=10 ZL_STEPS=8 IDLE_SECS=10 RTT_COUNT=10000
	SWEEP="500000 1000000 1500000 2000000 2500000 3000000 4000000 6000000 8000000 12000000"
	SWEEP_1514="250000 500000 750000 1000000 1500000"
fi
PLACEMENTS=${BENCH_PLACEMENTS:-split shared shared-cfs}
GEN_SCHED=${BENCH_GEN_SCHED:-fifo}
DUTY_SPLIT=${BENCH_DUTY_SPLIT:-80} DUTY_SHARED=${BENCH_DUTY_SHARED:-50}
GEN_CPU=1 GEN_DUTY=$DUTY_SPLIT GEN_CLASS=$GEN_SCHED
SWEEP=${BENCH_SWEEP:-$SWEEP}
TRIALS=${BENCH_TRIALS:-$TRIALS} SECS=${BENCH_SECS:-$SECS}
ZL_SECS=${BENCH_ZL_SECS:-$ZL_SECS} ZL_STEPS=${BENCH_ZL_STEPS:-$ZL_STEPS}
BRIDGES=${BENCH_BRIDGES:-xvio dpdk}
RTT_RATE=2000
CPU_B=0 CPU_L=1
SIZES="64 1514"

for t in dpdk-testpmd taskset gnuplot; do
	command -v "$t" >/dev/null || { echo "bench: $t missing (scripts/deps.sh frontend bench)"; exit 1; }
done
[ -x "$GEN" ] && [ -x "$X" ] || { echo "bench: build first (make all)"; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs (bridge on 0, load on 1)"; exit 1; }

TMP=$(mktemp -d)
TP_DIR="$TMP"
CTL="$TMP/ctl.sock" S1="$TMP/g1.sock" S2="$TMP/g2.sock"
G1=02:00:00:00:b0:01 G2=02:00:00:00:b0:02
XPID="" BPID="" BRIDGE="" WIRE_MAC=""
mkdir -p "$OUT"

topo_init xb
H=${TOPO_ID}h NS=${TOPO_ID}-wire P=${TOPO_ID}p

cleanup() {
	set +u
	tp_cleanup
	bridge_stop
	topo_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
record() { echo "$1" >>"$RAW"; }
# xviod's own counters after each xvio measurement, for the analysis.
xvio_snap() {
	case "$BRIDGE" in
	xvio) "$XC" --ctl "$CTL" stats >"$OUT/xvio-stats-$1.txt" 2>&1 ;;
	xvio-b) "$XC" --ctl "$CTL" stats >"$OUT/xvio-b-stats-$1.txt" 2>&1 ;;
	esac
	:
}
case " $BRIDGES " in *" xvio-b "*)
	[ -x "$X_B" ] || { echo "bench: bridge xvio-b needs BENCH_XVIOD_B=/path/to/xviod"; exit 1; } ;;
esac

# ---- CPU accounting from /proc ------------------------------------------------
# Per-thread ticks of process $1: "tid comm ticks" lines.
thread_ticks() {
	local t
	for t in /proc/"$1"/task/*; do
		awk -v tid="${t##*/}" '{ sub(/^[0-9]+ \(/, ""); n = index($0, ") ");
			comm = substr($0, 1, n - 1); $0 = substr($0, n + 2);
			gsub(/ /, "_", comm); print tid, comm, $12 + $13 }' "$t/stat" 2>/dev/null
	done
}
# Busy jiffies of CPU $1 from /proc/stat: "busy total".
cpu_ticks() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i;
		print t - $5 - $6, t }' /proc/stat
}
# JSON {"comm":pct,...,"total":pct} between snapshots $1 and $2 (files of
# thread_ticks) over $3 seconds.
thread_pct_json() {
	awk -v secs="$3" -v hz="$(getconf CLK_TCK)" '
		FNR == NR { a[$1] = $3; next }
		{ d = $3 - ($1 in a ? a[$1] : 0); pct[$2] += 100 * d / hz / secs; tot += 100 * d / hz / secs }
		END { printf "{"; s = ""; for (c in pct) if (pct[c] >= 0.05) { printf "%s\"%s\":%.1f", s, c, pct[c]; s = "," }
		      printf "%s\"total\":%.1f}", s, tot }' "$1" "$2"
}
cpu_pct() { # before after: busy % of that CPU
	echo "$1 $2" | awk '{ db = $3 - $1; dt = $4 - $2; printf "%.1f", dt ? 100 * db / dt : 0 }'
}

# A measurement window: window CMD... runs CMD and sets
# WIN_THREADS (bridge threads JSON, % of a core over the real elapsed time)
# and WIN_CPU0 / WIN_CPU1 (busy % of each CPU).
window() {
	local c0a c1a c0b c1b t0 t1
	t0=$(date +%s.%N)
	thread_ticks "$BPID" >"$TMP/t0"
	c0a=$(cpu_ticks 0) c1a=$(cpu_ticks 1)
	"$@"
	t1=$(date +%s.%N)
	thread_ticks "$BPID" >"$TMP/t1"
	c0b=$(cpu_ticks 0) c1b=$(cpu_ticks 1)
	WIN_THREADS=$(thread_pct_json "$TMP/t0" "$TMP/t1" "$(echo "$t0 $t1" | awk '{ print $2 - $1 }')")
	WIN_CPU0=$(cpu_pct "$c0a" "$c0b")
	WIN_CPU1=$(cpu_pct "$c1a" "$c1b")
}

# ---- bridges ------------------------------------------------------------------
# bridge_start xvio|xvio-b|dpdk nic|g2g
bridge_start() {
	local bin=$X

	BRIDGE=$1
	rm -f "$CTL" "$S1" "$S2"
	[ "$1" = xvio-b ] && bin=$X_B
	if [ "$1" = xvio ] || [ "$1" = xvio-b ]; then
		local ports=(--vhost "$S1,mac=$G1")
		if [ "$2" = nic ]; then
			ports+=(--nic "$H${BENCH_XVIO_NIC_OPTS:+,$BENCH_XVIO_NIC_OPTS}")
		else
			ports+=(--vhost "$S2,mac=$G2")
		fi
		# shellcheck disable=SC2086
		"$bin" --ctl "$CTL" "${ports[@]}" --cores "$CPU_B" --poll "${XVIO_POLL:-adaptive}" \
			${BENCH_XVIO_ARGS:-} >>"$OUT/xviod.log" 2>&1 &
		XPID=$!
		BPID=$XPID
		topo_track_pid "$XPID"
		wait_for 15 test -S "$CTL" || { log "xviod did not start: $(tail -3 "$OUT/xviod.log")"; return 1; }
	else
		local vdevs="net_vhost0,iface=$S1,queues=1"
		if [ "$2" = nic ]; then
			vdevs="net_af_xdp0,iface=$H,start_queue=0,queue_count=1 $vdevs"
		else
			vdevs="$vdevs net_vhost1,iface=$S2,queues=1"
		fi
		TP_MEM=256 tp_start_vdevs anchor "$CPU_B" "$vdevs" --forward-mode=io --auto-start || return 1
		BPID=${TP_PID[anchor]}
	fi
	log "bridge $1 ($2) up, pid $BPID"
}

bridge_stop() {
	if [ -n "$XPID" ]; then
		kill -TERM "$XPID" 2>/dev/null
		wait "$XPID" 2>/dev/null
		XPID=""
	fi
	[ -n "${TP_PID[anchor]:-}" ] && tp_stop anchor
	ip link set dev "$H" xdp off 2>/dev/null
	BPID=""
}

# guest NAME SOCK MAC MODE: a testpmd guest on CPU_L, forwarding started.
guest() {
	tp_start "$1" "$CPU_L" "path=$2,queue_size=1024,mac=$3" --forward-mode="$4" || return 1
	tp_cmd "$1" "start"
	sleep 0.5
}

guest_mode() { # NAME MODE SIZE PEER
	tp_cmd "$1" "stop"
	tp_cmd "$1" "set fwd $2"
	[ -n "${3:-}" ] && tp_cmd "$1" "set txpkts $3"
	[ -n "${4:-}" ] && tp_cmd "$1" "set eth-peer 0 $4"
	sleep 0.2
}

field() { echo "$1" | awk -v n="$2" '{ print $n }'; } # field "a b c" 2 -> b

# placement split|shared|shared-cfs: the generator's CPU (CPU_L or the
# bridge's), its scheduling class, and the share of its CPU it and the
# receive work it causes may take.
placement() {
	case $1 in
	shared) GEN_CPU=$CPU_B GEN_DUTY=$DUTY_SHARED GEN_CLASS=$GEN_SCHED ;;
	shared-cfs) GEN_CPU=$CPU_B GEN_DUTY=100 GEN_CLASS=other ;;
	*) GEN_CPU=$CPU_L GEN_DUTY=$DUTY_SPLIT GEN_CLASS=$GEN_SCHED ;;
	esac
}

# The generator sleeps between bursts (one every 200 us), so it sends at its
# pace and leaves the rest of its CPU; SCHED_FIFO keeps that pace against
# the busy pollers it shares a CPU with. Past what its CPU can carry, a
# FIFO generator would never sleep and hold that CPU but for the kernel's
# real-time throttle (5 %): every bridge then collapses, starved (shared) or
# its guest starved (split), which measures the scheduler. --duty caps the
# generator with its receive work at a share of its CPU instead, as a NIC's
# receive work under sustained load moves to ksoftirqd and shares the CPU:
# 50 % next to the bridge, 80 % next to the guest (docs/performance.md).
# In shared-cfs the generator is a SCHED_OTHER task instead, the share CFS
# gives it next to the bridge, as ksoftirqd gets.
gen_bg() { # size rate secs outfile
	local batch=$(($2 / 5000)) sched=(chrt -f 50)
	[ "$batch" -lt 64 ] && batch=64
	[ "$GEN_CLASS" = other ] && sched=()
	taskset -c "$GEN_CPU" "${sched[@]}" ip netns exec "$NS" "$GEN" live "$P" --dst-mac "$G1" \
		--size "$1" --rate "$2" --secs "$3" --batch "$batch" --duty "$GEN_DUTY" >"$4" 2>&1 &
	GEN_PID=$!
	topo_track_pid "$GEN_PID"
}
json_num() { grep -o "\"$2\":[0-9.]*" "$1" | head -1 | cut -d: -f2; }

# ---- tests --------------------------------------------------------------------
idle_cpu() {
	sleep 1
	window sleep "$IDLE_SECS"
	record "{\"bridge\":\"$BRIDGE\",\"test\":\"idle\",\"threads\":$WIN_THREADS,\"cpu0\":$WIN_CPU0}"
	log "idle: bridge threads $WIN_THREADS, CPU0 ${WIN_CPU0}%"
}

# One paced trial: prints "sent received"; WIN_* hold the CPU use meanwhile.
paced() { # size rate secs
	local a b sent
	a=$(field "$(tp_port_stats g1)" 1)
	gen_bg "$1" "$2" "$3" "$TMP/gen"
	window wait "$GEN_PID"
	sleep 0.3
	b=$(field "$(tp_port_stats g1)" 1)
	sent=$(json_num "$TMP/gen" sent)
	echo "${sent:-0} $((b - a))" >"$TMP/paced"
}

# NIC -> guest: a sweep of offered rates from below the knee to well past
# it. Throughput is the best delivered rate of the sweep; every point is
# kept for the plot and for the overload figure (delivered at 3x the peak).
nic_to_guest() { # size trial placement
	local rate sent got best=0 best_off=0 best_thr="{}" best_c0=0 best_c1=0 sweep=$SWEEP
	[ "$1" = 1514 ] && sweep=$SWEEP_1514
	placement "$3"
	for rate in $sweep; do
		paced "$1" "$rate" "$SECS"
		read -r sent got <"$TMP/paced"
		record "{\"bridge\":\"$BRIDGE\",\"test\":\"sweep\",\"placement\":\"$3\",\"size\":$1,\"trial\":$2,\"rate\":$rate,\"offered_pps\":$((sent / SECS)),\"pps\":$((got / SECS)),\"sent\":$sent,\"received\":$got,\"threads\":$WIN_THREADS,\"cpu0\":$WIN_CPU0,\"cpu1\":$WIN_CPU1}"
		log "nic->guest ${1}B $3 #$2 at $rate pps: sent $sent received $got, bridge $WIN_THREADS"
		if [ $((got / SECS)) -gt "$best" ]; then
			best=$((got / SECS)) best_off=$rate best_thr=$WIN_THREADS
			best_c0=$WIN_CPU0 best_c1=$WIN_CPU1
		fi
	done
	record "{\"bridge\":\"$BRIDGE\",\"test\":\"nic_to_guest_$3\",\"placement\":\"$3\",\"size\":$1,\"trial\":$2,\"pps\":$best,\"offered_pps\":$best_off,\"threads\":$best_thr,\"cpu0\":$best_c0,\"cpu1\":$best_c1}"
	xvio_snap "nic_to_guest-$3-$1-$2"
	log "nic->guest ${1}B $3 #$2: best $best pps (offered $best_off)"
	BEST_PPS=$best
}

zero_loss() { # max_offered
	local lo=0 hi=$1 mid r sent got i
	placement split
	for ((i = 0; i < ZL_STEPS; i++)); do
		mid=$(((lo + hi) / 2))
		paced 64 "$mid" "$ZL_SECS"
		read -r sent got <"$TMP/paced"
		log "zero-loss step $i: $mid pps for ${ZL_SECS}s: sent $sent received $got"
		if [ "$sent" -gt 0 ] && [ "$got" -ge "$sent" ]; then lo=$mid; else hi=$mid; fi
	done
	record "{\"bridge\":\"$BRIDGE\",\"test\":\"zero_loss\",\"size\":64,\"pps\":$lo,\"trial_secs\":$ZL_SECS,\"steps\":$ZL_STEPS,\"search_max\":$1}"
	log "zero-loss rate: $lo pps"
}

# The wire end's receive work is not the bridge's, but on veth it runs on the
# bridge's CPU: in its sendto, one softirq per frame ("inline", veth's
# default), or, with the wire's NAPI threaded and pinned to CPU_B, in batches
# of up to 64 as a NIC's completions would be ("thread"). Both are measured.
wire_napi() { # thread|inline
	local k
	if [ "$1" = thread ]; then
		ip netns exec "$NS" ethtool -K "$P" gro on >/dev/null
		ip netns exec "$NS" sh -c "echo 1 >/sys/class/net/$P/threaded"
		for k in $(pgrep "^napi/$P-"); do taskset -pc "$CPU_B" "$k" >/dev/null; done
	else
		# EIO when it has no NAPI (already inline, GRO off): nothing to undo
		ip netns exec "$NS" sh -c "echo 0 >/sys/class/net/$P/threaded" 2>/dev/null
		ip netns exec "$NS" ethtool -K "$P" gro off >/dev/null
	fi
}

guest_to_nic() { # size trial wire(thread|inline)
	local pps test=guest_to_nic
	[ "$3" = inline ] && test=guest_to_nic_inline
	guest_mode g1 txonly "$1" "$WIRE_MAC"
	wire_napi "$3"
	tp_cmd g1 "start"
	sleep 1
	window ip netns exec "$NS" "$GEN" sink "$P" --secs "$SECS" >"$TMP/sink"
	tp_cmd g1 "stop"
	sleep 0.5
	wire_napi inline
	pps=$(json_num "$TMP/sink" pps)
	record "{\"bridge\":\"$BRIDGE\",\"test\":\"$test\",\"size\":$1,\"trial\":$2,\"wire_napi\":\"$3\",\"pps\":$pps,\"threads\":$WIN_THREADS,\"cpu0\":$WIN_CPU0,\"cpu1\":$WIN_CPU1}"
	xvio_snap "$test-$1-$2"
	log "guest->nic ${1}B #$2 (wire NAPI $3): $pps pps, bridge $WIN_THREADS"
}

latency() { # trial
	local out
	out=$(taskset -c "$CPU_L" chrt -f 50 ip netns exec "$NS" "$GEN" rtt "$P" --dst-mac "$G1" \
		--count "$RTT_COUNT" --rate "$RTT_RATE")
	record "{\"bridge\":\"$BRIDGE\",\"test\":\"latency\",\"trial\":$1,\"rate_pps\":$RTT_RATE,\"rtt\":$out}"
	log "latency #$1: $out"
}

guest_to_guest() { # size trial
	local s1 pps
	guest_mode g1 txonly "$1" "$G2"
	tp_cmd g1 "start"
	sleep 1
	tp_port_stats g2 >/dev/null
	window sleep "$SECS"
	s1=$(tp_port_stats g2)
	tp_cmd g1 "stop"
	sleep 0.5
	pps=$(field "$s1" 3)
	record "{\"bridge\":\"$BRIDGE\",\"test\":\"guest_to_guest\",\"size\":$1,\"trial\":$2,\"pps\":$pps,\"threads\":$WIN_THREADS,\"cpu0\":$WIN_CPU0,\"cpu1\":$WIN_CPU1}"
	xvio_snap "guest_to_guest-$1-$2"
	log "guest->guest ${1}B #$2: $pps pps, bridge $WIN_THREADS"
}

# The rig's ceilings at each offered rate, in one placement: a bare AF_XDP
# consumer on the bridge's CPU that only refills (afxdp), and a bare
# XDP_DROP (xdp_drop). No bridge runs meanwhile.
ceiling() { # kind(xsk-sink|sink) placement
	local rate sent got kind=afxdp
	[ "$1" = sink ] && kind=xdp_drop
	placement "$2"
	for rate in $SWEEP; do
		taskset -c "$CPU_B" "$GEN" "$1" "$H" --secs $((SECS + 1)) >"$TMP/ceil" 2>&1 &
		local sp=$!
		topo_track_pid "$sp"
		wait_for 15 grep -q ready "$TMP/ceil" || { log "ceiling $kind: $(cat "$TMP/ceil")"; kill "$sp"; return 1; }
		gen_bg 64 "$rate" "$SECS" "$TMP/gen"
		wait "$GEN_PID" || { log "ceiling $kind: the generator failed: $(cat "$TMP/gen")"; kill "$sp"; return 1; }
		wait "$sp"
		sent=$(json_num "$TMP/gen" sent) got=$(json_num "$TMP/ceil" received)
		record "{\"test\":\"ceiling\",\"kind\":\"$kind\",\"placement\":\"$2\",\"size\":64,\"rate\":$rate,\"offered_pps\":$((${sent:-0} / SECS)),\"pps\":$((${got:-0} / SECS))}"
		log "ceiling $kind $2 at $rate pps: sent ${sent:-?} received ${got:-?}"
	done
}

median_of() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- the run ------------------------------------------------------------------
[ "${BENCH_LIB:-0}" = 1 ] && return 0 # sourced (bench-profile.sh, experiments)
: >"$RAW"
bash "$ROOT/scripts/deps.sh" frontend bench >/dev/null || { echo "bench: deps failed"; exit 1; }
topo_pair "$H" "$NS" "$P" "" "" || { echo "bench: cannot create the veth pair"; exit 1; }
ethtool -K "$P" tx off >/dev/null 2>&1
ethtool -K "$H" gro on >/dev/null 2>&1 # NAPI for XDP frames while no native program is attached
WIRE_MAC=$(topo_mac "$P" "$NS")
record "{\"test\":\"setup\",\"kernel\":\"$(uname -r)\",\"cpus\":$(nproc),\"cpu_model\":\"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)\",\"dpdk\":\"$(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null)\",\"trials\":$TRIALS,\"secs\":$SECS,\"gen_sched\":\"$GEN_SCHED\",\"gen_duty\":{\"split\":$DUTY_SPLIT,\"shared\":$DUTY_SHARED},\"placement\":{\"cpu$CPU_B\":\"bridge (xviod poller / anchor testpmd forwarding lcore); the generator too in placements shared and shared-cfs\",\"cpu$CPU_L\":\"guests, wire sink; the generator in placement split\"}}"
log "veth $H <-> $NS:$P; CPU $CPU_B: bridge; CPU $CPU_L: guests, sink; generator: $PLACEMENTS; $TRIALS trials of ${SECS}s"

# The host drifts (another tenant, frequency): bridges alternate within each
# trial so a ratio compares runs minutes, not a quarter of an hour, apart.
nic_phase() { # bridge trial
	local size pl
	bridge_start "$1" nic || exit 1
	guest g1 "$S1" "$G1" rxonly || exit 1
	[ "$2" = 1 ] && idle_cpu
	for pl in $PLACEMENTS; do
		nic_to_guest 64 "$2" "$pl"
		[ "$pl" = split ] && ZL_MAX[$1]="${ZL_MAX[$1]:-} $BEST_PPS"
	done
	nic_to_guest 1514 "$2" split
	for size in $SIZES; do
		guest_to_nic "$size" "$2" thread
		guest_to_nic "$size" "$2" inline
	done
	guest_mode g1 macswap
	tp_cmd g1 "start"
	sleep 0.5
	latency "$2"
	tp_stop g1
	bridge_stop
	if [ "$1" = xvio ] || [ "$1" = xvio-b ]; then
		# The same latency with a poller that never sleeps, as the anchor's.
		XVIO_POLL=busy bridge_start "$1" nic || exit 1
		BRIDGE=$1-busy
		guest g1 "$S1" "$G1" macswap || exit 1
		latency "$2"
		tp_stop g1
		bridge_stop
	fi
}

g2g_phase() { # bridge trial
	local size
	bridge_start "$1" g2g || exit 1
	guest g1 "$S1" "$G1" rxonly || exit 1
	guest g2 "$S2" "$G2" rxonly || exit 1
	for size in $SIZES; do
		guest_to_guest "$size" "$2"
	done
	tp_stop g1
	tp_stop g2
	bridge_stop
}

for pl in $PLACEMENTS; do
	ceiling xsk-sink "$pl" || exit 1
	ceiling sink "$pl" || exit 1
done
declare -A ZL_MAX
for ((t = 1; t <= TRIALS; t++)); do
	for b in $BRIDGES; do
		nic_phase "$b" "$t"
		g2g_phase "$b" "$t"
	done
done
# Zero-loss search (split placement), up to each bridge's best delivered
# rate: no rate above it can be loss-free.
for b in $BRIDGES; do
	if [ -z "${ZL_MAX[$b]:-}" ]; then
		log "zero-loss: skipped for $b (placement split not measured)"
		continue
	fi
	bridge_start "$b" nic || exit 1
	guest g1 "$S1" "$G1" rxonly || exit 1
	zero_loss "$(echo ${ZL_MAX[$b]} | median_of)"
	tp_stop g1
	bridge_stop
done

python3 "$ROOT/scripts/bench-report.py" "$OUT" || exit 1
if [ "${BENCH_PROFILE:-1}" = 1 ]; then
	# Where the bridge core goes per frame (its own topology and cleanup).
	trap - EXIT
	cleanup
	bash "$ROOT/scripts/bench-profile.sh" "$O" >"$OUT/profile.log" 2>&1 ||
		echo "bench: profile failed: $(tail -3 "$OUT/profile.log")"
fi
if [ "${BENCH_TCP:-1}" = 1 ]; then
	# TCP between Linux guests, with and without the offloads (its own
	# topology, guests and cleanup).
	trap - EXIT
	cleanup
	bash "$ROOT/scripts/bench-tcp.sh" "$O" >"$OUT/tcp.log" 2>&1 ||
		echo "bench: TCP part failed: $(tail -3 "$OUT/tcp.log")"
fi
cat "$OUT/results.md"
[ -f "$OUT/profile.md" ] && cat "$OUT/profile.md"
[ -f "$OUT/tcp.md" ] && cat "$OUT/tcp.md"
