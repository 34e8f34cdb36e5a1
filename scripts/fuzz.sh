#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make fuzz: every libFuzzer harness (tests/fuzz/) for FUZZ_SECS seconds each
# (default 300), one after the other on one core, from a corpus kept in
# $O/fuzz/corpus/NAME (seeded from tests/fuzz/corpus/NAME, growing run after
# run). Prints executions and coverage per harness and their total; a
# finding stops with the input saved as $O/fuzz/crash-NAME-*.
#
# Usage: scripts/fuzz.sh BUILD_DIR [NAME...]
set -u
O=$(cd "${1:?build dir}" && pwd)
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${FUZZ_SECS:-300}
total=0 rc=0
for name in ${*:-vring msg mem}; do
	bin="$O/fuzz/fuzz_$name" corpus="$O/fuzz/corpus/$name" log="$O/fuzz/$name.log"
	[ -x "$bin" ] || { echo "fuzz: $bin not built (make all)"; exit 1; }
	mkdir -p "$corpus"
	cp -n "$ROOT/tests/fuzz/corpus/$name"/* "$corpus/"
	echo "fuzz: $name for $SECS s ..."
	if ! "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$O/fuzz/crash-$name-" "$corpus" >"$log" 2>&1; then
		echo "fuzz: $name FOUND something:"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
		rc=1
	fi
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	echo "fuzz: $name: ${execs:-0} executions, $cov, corpus $(ls "$corpus" | wc -l) inputs"
	total=$((total + ${execs:-0}))
done
echo "fuzz: $total executions in total"
exit $rc
