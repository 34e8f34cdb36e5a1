#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Test runner: runs the suites given (default: all), collects their
# PASS/FAIL/SKIP lines, prints a suite's whole output only when it failed, and
# ends with the line CI reads: "N passed, N failed, N skipped".
#
# A suite is an executable printing one line per case:
#   PASS: suite/case | FAIL: suite/case: why | SKIP: suite/case: reason
# A suite that exits non-zero without printing FAIL, or prints no case at
# all, counts as one failure; so does a suite with no test to run (unit tests
# not built). Under CI=true a suite whose prerequisites are missing fails
# instead of skipping (prereq_missing in tests/lib/suite.sh).
set -u
O=${1:-build}
shift || true
SUITES=${*:-"unit fuzz bpf integ frontend guest"}
here=$(cd "$(dirname "$0")" && pwd)
logdir="$O/test-logs"
mkdir -p "$logdir"

pass=0 fail=0 skip=0
failed_cases=()

run_suite() { # name command...
	local name=$1; shift
	local log="$logdir/$name.log" rc p f s
	local t0=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: suite exited with status $rc" >>"$log"
		f=1
	elif [ $((p + f + s)) -eq 0 ]; then
		echo "FAIL: $name: the suite reported no case at all" >>"$log"
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	printf '%-8s %3d passed, %d failed, %d skipped  (%ds, log %s)\n' \
		"$name" "$p" "$f" "$s" $((SECONDS - t0)) "$log"
	grep -E '^(SKIP|TIME|NOTE): ' "$log" | sed 's/^/    /'
	if [ "$f" -gt 0 ]; then
		echo "---- $name output ----"
		cat "$log"
		echo "---- end of $name output ----"
		while IFS= read -r l; do failed_cases+=("$l"); done < <(grep '^FAIL: ' "$log")
	fi
}

for suite in $SUITES; do
	case "$suite" in
	unit)
		n=0
		for t in "$O"/tests/unit/test_*; do
			[ -x "$t" ] || continue
			run_suite "unit:$(basename "$t")" "$t"
			n=$((n + 1))
		done
		if [ "$n" -eq 0 ]; then
			echo "unit: no unit test binary in $O/tests/unit (make all builds them)"
			fail=$((fail + 1))
			failed_cases+=("FAIL: unit: no unit test binary in $O/tests/unit")
		fi
		;;
	fuzz)  run_suite fuzz bash "$here/fuzz/run.sh" "$O" ;;
	bpf)   run_suite bpf bash "$here/bpf/run.sh" "$O" ;;
	integ)
		for t in "$here"/integ/test-*.sh; do
			run_suite "integ:$(basename "$t" .sh)" bash "$t" "$O"
		done
		;;
	frontend)
		for t in "$here"/frontend/test-*.sh; do
			run_suite "frontend:$(basename "$t" .sh)" bash "$t" "$O"
		done
		;;
	guest)
		for t in "$here"/guest/test-*.sh; do
			run_suite "guest:$(basename "$t" .sh)" bash "$t" "$O"
		done
		;;
	*) echo "run.sh: unknown suite '$suite' (unit, fuzz, bpf, integ, frontend, guest)" >&2; exit 2 ;;
	esac
done

if [ ${#failed_cases[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failed_cases[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
