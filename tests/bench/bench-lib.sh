# SPDX-License-Identifier: LGPL-2.1-or-later
# Measuring helpers shared by the depmod benchmarks (sourced). The caller
# sets $work, a scratch directory.

# "wall cpu rss" of one command (seconds, seconds, KiB); its output is
# discarded. Wall time from bash's microsecond clock (time(1) prints only
# 10 ms steps).
measure() {
	local start=$EPOCHREALTIME end
	/usr/bin/time -f '%U %S %M' -o "$work/time" "$@" >/dev/null 2>&1 || {
		echo "failed: $*" >&2
		exit 1
	}
	end=$EPOCHREALTIME
	awk -v s="$start" -v e="$end" '{ printf "%.4f %.3f %d\n", e - s, $1 + $2, $3 }' "$work/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { sort -n | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mark() {  # value op threshold
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print ok ? "ok" : "MISS" }'
}
mb() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
