#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dpdk-testpmd as a guest (net_virtio_user) for xvio's tests, driven through a
# fifo in interactive mode. Source after scripts/topo.sh. Every testpmd gets a
# unique --file-prefix; its hugepage files and runtime dir are removed on
# cleanup. Facts this relies on (see docs/testing.md):
#  - virtio_user needs --single-file-segments and --iova-mode=va (in PA mode
#    it hands the backend rings it never uses);
#  - the fifo must be testpmd's stdin directly: `tail -f fifo` buffers until EOF;
#  - on 2 cores each testpmd gets one CPU for both lcores (0@N,1@N).
#
#   tp_prereqs                                     dpdk-testpmd and 256 free hugepages
#                                                  there, or prereq_missing and false
#   tp_start NAME CPU VDEV_ARGS TESTPMD_ARGS...   start, wait for the prompt
#   tp_start_vdevs NAME CPU "VDEV..." ARGS...      the same with any vdevs
#   tp_cmd NAME "command"                          one interactive command
#   tp_go NAME                                     "start", and wait until forwarding runs
#   tp_port_stat NAME rx|tx                        cumulative RX/TX-packets
#   tp_rounds NAME N BURSTS                        N x (start tx_first BURSTS; stop)
#   tp_kill NAME                                   SIGKILL (a crash), files removed
#   tp_stop NAME                                   quit, wait, files removed
TP_DIR=${TP_DIR:-} # set it before tp_start (a directory of the caller's)
TP_NAMES=()
declare -A TP_PID TP_FD TP_PREFIX

_tp_files_rm() { # prefix
	rm -f /dev/hugepages/"$1"map_* 2>/dev/null
	rm -rf /var/run/dpdk/"$1" 2>/dev/null
}

tp_prereqs() {
	if ! command -v dpdk-testpmd >/dev/null; then
		prereq_missing all "dpdk-testpmd not installed (scripts/deps.sh frontend installs dpdk-dev)"
		return 1
	fi
	if [ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -lt 256 ]; then
		prereq_missing all "fewer than 256 free 2 MiB hugepages (scripts/deps.sh frontend reserves 512)"
		return 1
	fi
}

tp_start() {
	local name=$1 cpu=$2 vdev=$3; shift 3
	tp_start_vdevs "$name" "$cpu" "net_virtio_user0,$vdev" "$@"
}

# Any vdevs (space-separated full --vdev values), e.g. the bench's anchor
# "net_af_xdp0,iface=X net_vhost0,iface=SOCK". TP_NETNS runs it in a
# namespace; TP_MEM sets -m (MiB, default 128).
tp_start_vdevs() {
	local name=$1 cpu=$2 vdevs=$3; shift 3
	local prefix="${TOPO_ID:-xt}${name}" fifo log fd v
	local -a pre=() vargs=()
	[ -n "$TP_DIR" ] || { echo "tp_start: set TP_DIR first"; return 1; }
	fifo="$TP_DIR/$name.fifo" log="$TP_DIR/$name.log"
	_tp_files_rm "$prefix"
	rm -f "$fifo"
	mkfifo "$fifo"
	[ -n "${TP_NETNS:-}" ] && pre=(ip netns exec "$TP_NETNS")
	for v in $vdevs; do vargs+=("--vdev=$v"); done
	"${pre[@]}" stdbuf -oL -eL dpdk-testpmd --lcores="0@$cpu,1@$cpu" --no-pci --iova-mode=va \
		--single-file-segments -m "${TP_MEM:-128}" --file-prefix="$prefix" \
		"${vargs[@]}" -- -i --nb-cores=1 --total-num-mbufs=8192 "$@" \
		<"$fifo" >"$log" 2>&1 &
	TP_PID[$name]=$!
	topo_track_pid "${TP_PID[$name]}"
	exec {fd}>"$fifo"
	TP_FD[$name]=$fd
	TP_PREFIX[$name]=$prefix
	TP_NAMES+=("$name")
	# The prompt appears once the port is configured (and, in client mode,
	# once the backend side is there).
	if ! wait_for 30 grep -q 'Port 0: ' "$log"; then
		echo "testpmd $name did not start: $(tail -5 "$log")"
		return 1
	fi
}

_tp_stats_ends() { # log: how many stats blocks testpmd has finished printing
	grep -cE '^ *#{40,} *$' "$1"
}
_tp_more_stats() { # log count: true once the log has more finished stats blocks
	[ "$(_tp_stats_ends "$1")" -gt "$2" ]
}

tp_cmd() {
	echo "$2" >&"${TP_FD[$1]}"
}

_tp_starts() { # log: how many times testpmd said forwarding runs
	grep -cE 'packet forwarding - ports=|Packet forwarding already started' "$1"
}
_tp_started() { # log count
	[ "$(_tp_starts "$1")" -gt "$2" ]
}

# Start forwarding and return once testpmd says it runs: frames sent right
# after a bare "start" may reach a guest that does not poll yet. When it
# does not, that is a failure of its own (a FAIL line), not a wrong count
# later.
tp_go() {
	local log="$TP_DIR/$1.log" before
	before=$(_tp_starts "$log")
	tp_cmd "$1" "start"
	if ! wait_for 10 _tp_started "$log" "$before"; then
		echo "FAIL: ${SUITE:-testpmd}/tp_go_$1: testpmd $1 did not start forwarding: $(tail -3 "$(tp_log "$1")" | tr '\n' ' ')"
		return 1
	fi
}

tp_log() {
	echo "$TP_DIR/$1.log"
}

# The last "show port stats" block as "RX-packets TX-packets Rx-pps Tx-pps
# RX-missed": the pps figures are testpmd's own average since the previous
# show (its TSC clock), so two shows SECS apart give a rate over SECS.
tp_port_stats() {
	local name=$1 log="$TP_DIR/$1.log" before
	before=$(_tp_stats_ends "$log")
	tp_cmd "$name" "show port stats 0"
	wait_for 10 _tp_more_stats "$log" "$before" || return 1
	awk '/NIC statistics for port 0/ { rx = tx = rpps = tpps = miss = 0 }
	     /^  RX-packets:/ { rx = $2; miss = $4 }
	     /^  TX-packets:/ { tx = $2 }
	     /^  Rx-pps:/ { rpps = $2 }
	     /^  Tx-pps:/ { tpps = $2 }
	     END { print rx, tx, rpps, tpps, miss }' "$log"
}

# Cumulative RX-packets or TX-packets of port 0: prints the number.
tp_port_stat() {
	local st
	st=$(tp_port_stats "$1") || return 1
	if [ "$2" = rx ]; then
		echo "$st" | awk '{ print $1 }'
	else
		echo "$st" | awk '{ print $2 }'
	fi
}

_tp_stops() { # log: how many times testpmd finished stopping
	grep -cE '^Done\.$' "$1"
}
_tp_stopped() { # log count
	[ "$(_tp_stops "$1")" -gt "$2" ]
}

# Paced sending: each round sends BURSTS bursts of 32 per tx queue, then
# stops. Each command is waited for (testpmd says it started, then that it
# stopped): commands written ahead of a testpmd whose command thread is
# starved by busy lcores pile up, and a count read "10 s later" then saw
# rounds not yet run. Returns 1 if testpmd does not answer within 10 s.
tp_rounds() {
	local name=$1 n=$2 bursts=$3 i log="$TP_DIR/$1.log" c
	for ((i = 0; i < n; i++)); do
		c=$(_tp_starts "$log")
		tp_cmd "$name" "start tx_first $bursts"
		wait_for 10 _tp_started "$log" "$c" || return 1
		c=$(_tp_stops "$log")
		tp_cmd "$name" "stop"
		wait_for 10 _tp_stopped "$log" "$c" || return 1
	done
}

tp_kill() {
	local name=$1
	kill -9 "${TP_PID[$name]}" 2>/dev/null
	wait "${TP_PID[$name]}" 2>/dev/null
	eval "exec ${TP_FD[$name]}>&-"
	_tp_files_rm "${TP_PREFIX[$name]}"
	unset "TP_PID[$name]"
}

tp_stop() {
	local name=$1 pid=${TP_PID[$1]:-}
	[ -n "$pid" ] || return 0
	tp_cmd "$name" "quit" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	eval "exec ${TP_FD[$name]}>&-" 2>/dev/null
	_tp_files_rm "${TP_PREFIX[$name]}"
	unset "TP_PID[$name]"
}

tp_cleanup() {
	local n
	for n in "${TP_NAMES[@]}"; do
		tp_stop "$n"
	done
	TP_NAMES=()
}
