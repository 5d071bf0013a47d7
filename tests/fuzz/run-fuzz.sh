#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs libFuzzer targets over their seed corpora (tests/fuzz/corpus/<target>).
#
# usage: run-fuzz.sh --bindir DIR [--seconds N] [--runs N] [--jobs J]
#                    [--workdir DIR] TARGET...
#        run-fuzz.sh --bindir DIR --replay TARGET...
#
#   --bindir   where the fuzz_<target> executables are (the build's tests/fuzz)
#   --seconds  stop each target after N seconds (default 20)
#   --runs     stop each target after N executions (default: no limit)
#   --jobs     targets fuzzed at once (default 1)
#   --workdir  keeps each target's grown corpus, log and any crash input
#              there (default: a temporary directory, removed at the end)
#   --replay   runs each target once over its seeds and its regression
#              inputs (tests/fuzz/regressions/<target>), for targets built
#              without libFuzzer (replay_main.cpp)
#
# The seed and regression directories are only read (regressions are
# fuzzed from as well). A target passes when libFuzzer ends
# without a crash, leak, timeout (10 s per input) or out-of-memory (2 GiB);
# the summary line gives the executions run. Exit status 1 if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bindir= seconds=20 runs= jobs=1 workdir= replay=0
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--bindir) bindir=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--workdir) workdir=$2; shift 2 ;;
	--replay) replay=1; shift ;;
	-*) echo "run-fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) targets+=("$1"); shift ;;
	esac
done
[ -n "$bindir" ] && [ ${#targets[@]} -gt 0 ] || { sed -n '3,24p' "$0" >&2; exit 2; }
regressions() { # the regression directory of a target, if it has one
	[ -d "$here/regressions/$1" ] && echo "$here/regressions/$1"
	return 0
}

if [ "$replay" = 1 ]; then
	failed=0
	for t in "${targets[@]}"; do
		# shellcheck disable=SC2046
		if "$bindir/fuzz_$t" "$here/corpus/$t" $(regressions "$t"); then echo "PASS $t"; else
			echo "FAIL $t"; failed=1; fi
	done
	exit $failed
fi
if [ -z "$workdir" ]; then
	workdir=$(mktemp -d)
	trap 'rm -rf "$workdir"' EXIT
fi
mkdir -p "$workdir"

fuzz_one() {
	local t=$1 dir=$workdir/$1
	mkdir -p "$dir/corpus"
	local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$dir/" -close_fd_mask=3)
	[ -n "$runs" ] && args+=(-runs="$runs")
	[ -f "$here/dict/$t.dict" ] && args+=(-dict="$here/dict/$t.dict")
	local status=0
	# shellcheck disable=SC2046
	"$bindir/fuzz_$t" "${args[@]}" "$dir/corpus" "$here/corpus/$t" $(regressions "$t") >"$dir/log" 2>&1 || status=$?
	local execs
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	local found
	found=$(find "$dir" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' \
		-o -maxdepth 1 -name 'oom-*' | wc -l)
	if [ "$status" -eq 0 ] && [ "$found" -eq 0 ] && [ -n "$execs" ]; then
		echo "PASS $t: ${execs} executions, 0 crashes"
	else
		echo "FAIL $t: exit $status, ${execs:-?} executions, $found crash inputs in $dir"
		tail -n 40 "$dir/log" | sed "s/^/  $t| /"
		return 1
	fi
}
export -f fuzz_one regressions
export here bindir seconds runs workdir

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'fuzz_one "$1"' _ {} >"$workdir/summary" || true
cat "$workdir/summary"
! grep -q '^FAIL' "$workdir/summary" && [ "$(grep -c '^PASS' "$workdir/summary")" -eq ${#targets[@]} ]
