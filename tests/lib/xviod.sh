#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xviod for the test suites. Set O (build dir) and TMP (the suite's temporary
# directory) and source after tests/lib/suite.sh.
#
#   xviod_start ARGS...     start $O/xviod --ctl $CTL ARGS (log appended to
#                           $XVIOD_LOG), wait for its control socket; says why
#                           and returns 1 when it does not come up
#   xviod_stop              SIGTERM, wait for it to exit (SIGKILL after 10 s)
#   xviod_crash             SIGKILL, reaped
#   xjson_port CMD NAME     the JSON object of port NAME in `xvioctl --json CMD`
#   xstat NAME FIELD        a counter of port NAME (xvioctl --json stats)
#   xport NAME FIELD        a field of port NAME (xvioctl --json ports)
#   xdrops NAME             the sum of the port's drop_* counters
#   port_running NAME       true when the port's state is "running"
#   port_state_is NAME STATE
#   metrics_ok TEST URL     the --metrics scrape matches xvioctl --json stats
#   free_port               a free TCP port on 127.0.0.1
X="$O/xviod" XC="$O/xvioctl"
CTL="$TMP/ctl.sock"
XVIOD_LOG="$TMP/xviod.log"
XPID=""

xviod_start() {
	rm -f "$CTL"
	"$X" --ctl "$CTL" "$@" >>"$XVIOD_LOG" 2>&1 &
	XPID=$!
	topo_track_pid "$XPID"
	if ! wait_for 15 test -S "$CTL"; then
		echo "xviod did not start: $(tail -5 "$XVIOD_LOG")"
		xviod_stop
		return 1
	fi
}

# SIGTERM; SIGKILL if it has not exited 10 s later (a hung daemon is the
# test's failure to report, not a reason to hang the suite).
xviod_stop() {
	[ -n "$XPID" ] || return 0
	kill -TERM "$XPID" 2>/dev/null
	if ! wait_for 10 bash -c "! kill -0 $XPID 2>/dev/null"; then
		echo "xviod $XPID still running 10 s after SIGTERM; killed"
		kill -9 "$XPID" 2>/dev/null
	fi
	wait "$XPID" 2>/dev/null
	XPID=""
}

xviod_crash() {
	[ -n "$XPID" ] || return 0
	kill -9 "$XPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
	XPID=""
}

xjson_port() {
	"$XC" --ctl "$CTL" --json "$1" | sed 's/{"port":/\n{"port":/g' | grep "\"name\":\"$2\""
}
xstat() {
	xjson_port stats "$1" | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
xport() {
	xjson_port ports "$1" | grep -o "\"$2\":\(\"[^\"]*\"\|[0-9]*\|true\|false\)" | head -1 | cut -d: -f2- |
		tr -d '"'
}
xdrops() {
	xjson_port stats "$1" | grep -o '"drop_[a-z_]*":[0-9]*' | awk -F: '{s += $2} END {print s + 0}'
}
port_state_is() {
	[ "$(xport "$1" state)" = "$2" ]
}
port_running() {
	port_state_is "$1" running
}

# metrics_ok TEST URL: the scrape matches `xvioctl --json stats` read just
# before and after it (tests/lib/metrics_check.py); passes or fails TEST.
metrics_ok() {
	local out
	if out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/metrics_check.py" "$2" "$XC" "$CTL" 2>&1); then
		pass "$1"
	else
		fail "$1" "$(echo "$out" | tr '\n' ';')"
	fi
}

# A TCP port nothing listens on, for --metrics.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
