#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What every shell test suite uses. Set SUITE (the case-name prefix, e.g.
# "nic" or "integ/xviod") and source this; it sources scripts/topo.sh.
#
#   pass CASE | fail CASE WHY | skip CASE WHY     one result line per case
#   timing CASE SECS | note TEXT                  TIME: / NOTE: lines
#   prereq_missing CASE WHY   a missing prerequisite: SKIP, or FAIL when
#                             CI=true (a green CI run means every suite ran)
#   start_rx NAME CMD...      a receiver in the background (tracked for
#                             cleanup), once it printed "ready"; output in
#                             $TMP/NAME.out; returns 1 (and says why) if not
#   finish_rx NAME            wait for it; its exit status
#   expect CASE STATUS PATTERN CMD...   CMD exits STATUS and its output
#                             (stdout and stderr) matches PATTERN (grep -E)
#   wait_for TIMEOUT CMD...   until CMD succeeds (scripts/topo.sh)
#   wait_ge TIMEOUT TARGET CMD...   until CMD prints a number >= TARGET;
#                             prints the last number either way, returns 1
#                             if the target was not reached
#   settle TIMEOUT CMD...     until CMD prints the same non-empty thing three
#                             times in a row, 0.1 s apart; prints it, returns
#                             1 on timeout
# Waits are on conditions with a timeout, never a fixed sleep before a
# counter is read.
_suite_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_suite_lib/../../scripts/topo.sh"

pass() { echo "PASS: $SUITE/$1"; }
fail() { echo "FAIL: $SUITE/$1: $2"; }
skip() { echo "SKIP: $SUITE/$1: $2"; }
timing() { echo "TIME: $SUITE/$1: $2 s"; }
note() { echo "NOTE: $SUITE: $*"; }

prereq_missing() {
	if [ "${CI:-}" = true ]; then
		fail "$1" "prerequisite missing and CI=true (a suite never skips in CI): $2"
	else
		skip "$1" "$2"
	fi
}

start_rx() {
	local name=$1 pid
	shift
	"$@" >"$TMP/$name.out" 2>&1 &
	pid=$!
	topo_track_pid "$pid"
	eval "RX_$name=$pid"
	if ! wait_for 10 grep -q ready "$TMP/$name.out"; then
		echo "receiver $name did not start: $(cat "$TMP/$name.out")"
		return 1
	fi
}

finish_rx() {
	local pid
	eval "pid=\$RX_$1"
	wait "$pid"
}

expect() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, want $want: $out"
	elif ! echo "$out" | grep -Eq -- "$pat"; then
		fail "$name" "output lacks /$pat/: $out"
	else
		pass "$name"
	fi
}

wait_ge() {
	local t=$1 target=$2 v end
	shift 2
	end=$((SECONDS + t))
	while :; do
		v=$("$@" 2>/dev/null)
		if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$target" ]; then
			echo "$v"
			return 0
		fi
		[ $SECONDS -gt $end ] && break
		sleep 0.05
	done
	echo "${v:-}"
	return 1
}

settle() {
	local t=$1 v prev="" same=0 end
	shift
	end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		v=$("$@" 2>/dev/null)
		if [ -n "$v" ] && [ "$v" = "$prev" ]; then
			same=$((same + 1))
			if [ "$same" -ge 2 ]; then
				echo "$v"
				return 0
			fi
		else
			same=0
			prev=$v
		fi
		sleep 0.1
	done
	echo "$v"
	return 1
}
