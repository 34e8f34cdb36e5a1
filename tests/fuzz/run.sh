#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fuzzers' smoke test in `make test`: each harness runs every input of
# its checked-in corpus (tests/fuzz/corpus/NAME), then FUZZ_SMOKE_SECS
# (default 10) of new inputs from there. A crash, a leak, a sanitizer report
# or a timeout (> 5 s for one input) fails it; the input is kept in
# $O/fuzz/crash-NAME-* and named in the failure. `make fuzz` runs longer.
#
# Usage: tests/fuzz/run.sh BUILD_DIR
set -u
O=$(cd "${1:?build dir}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=fuzz
. "$ROOT/tests/lib/suite.sh"
SECS=${FUZZ_SMOKE_SECS:-10}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

for name in vring msg mem offload; do
	bin="$O/fuzz/fuzz_$name"
	if [ ! -x "$bin" ]; then
		prereq_missing "$name" "$bin not built (clang's libFuzzer: scripts/deps.sh test installs libclang-rt-dev)"
		continue
	fi
	mkdir -p "$WORK/$name"
	# a scratch corpus, so the checked-in one only ever holds the seeds
	cp "$ROOT/tests/fuzz/corpus/$name"/* "$WORK/$name/"
	log="$WORK/$name.log"
	if "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 \
		-artifact_prefix="$O/fuzz/crash-$name-" "$WORK/$name" >"$log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		[ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#')
		pass "$name"
		note "$name: ${execs:-?} executions in ${SECS} s, $(grep -Eo 'cov: [0-9]+' "$log" | tail -1)"
	else
		fail "$name" "$(grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -3 | tr '\n' ' ')"
	fi
done
exit 0
