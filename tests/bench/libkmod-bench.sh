#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libkmod.so.2 benchmark (not a test): kmodx's library against Debian's
# libkmod2, alternated in the same run on Debian's amd64 tree (indexes by
# kmodx's depmod), so the ratios hold on whatever machine runs it.
#
#   lookups    every 5th alias of modules.alias (about 5,000) looked up, each
#              module's path and dependencies read (libkmod-lookups.c),
#              indexes opened per lookup as dracut-install does, and loaded
#              once (kmod_load_resources) as udev does
#   dracut     dracut-install of the whole tree (every kernel subdirectory)
#              into a tmpfs staging directory, once per library: the
#              forked cp of each file is most of it, whatever the library
#   dracut, installed   the same into a staging directory that holds it all
#              already, as dracut's later dracut-install calls find most
#              modules (no cp): the lookups, the reads of each module's
#              .modinfo (firmware) and dracut-install's own checks
#
# Usage: libkmod-bench.sh BUILD_DIR [RUNS]     (RUNS for the lookups, default 5)
# Target (issue 14): dracut-install over the whole tree >= 2x Debian's.
set -euo pipefail
export LC_ALL=C
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [RUNS]" >&2; exit 2; }
build=$(realpath "$1")
runs=${2:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ours=$build/libkmod
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

eval "$(bash "$here/../cli/debian-full-trees.sh")"
root=$ROOT_amd64_plain kver=$KVER_amd64
"$build/kmodx" depmod -b "$root" -o "$work/tree" "$kver"
kdir=$work/tree/lib/modules/$kver
for f in kernel modules.builtin modules.builtin.modinfo modules.order; do ln -s "$root/lib/modules/$kver/$f" "$kdir/$f"; done
awk 'NR % 5 == 0 {print $2}' "$kdir/modules.alias" >"$work/names"
gcc -O2 -o "$work/lookups" "$here/libkmod-lookups.c" -lkmod

# seconds LIB CMD...: wall time of one run with that library.
seconds() {
	local lib=$1; shift
	local start end
	start=$(date +%s.%N)
	if [ "$lib" = kmodx ]; then LD_LIBRARY_PATH=$ours "$@"; else "$@"; fi >/dev/null 2>&1  # no env process for one side only
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

echo "libkmod benchmark: $(wc -l <"$work/names") lookups on Debian's amd64 tree ($kver), $runs runs each, $(nproc) CPUs"
printf '%-22s %10s %10s %8s\n' case debian_s kmodx_s speedup
for mode in per-lookup loaded; do
	extra=()
	[ $mode = loaded ] && extra=(--load)
	: >"$work/debian.t"; : >"$work/kmodx.t"
	for _ in $(seq "$runs"); do
		seconds debian "$work/lookups" "$kdir" "$work/names" "${extra[@]}" >>"$work/debian.t"
		seconds kmodx "$work/lookups" "$kdir" "$work/names" "${extra[@]}" >>"$work/kmodx.t"
	done
	d=$(median <"$work/debian.t") k=$(median <"$work/kmodx.t")
	printf '%-22s %10.3f %10.3f %7.2fx\n' "lookups, $mode" "$d" "$k" "$(echo "$d / $k" | bc -l)"
done

args=()
for s in "$kdir"/kernel/*/; do s=${s%/}; args+=("=${s##*/}"); done
stage=$(mktemp -d -p /dev/shm)
# Once unmeasured, so that every run finds the files in the page cache.
/usr/lib/dracut/dracut-install -D "$stage" --kerneldir "$kdir" --silent -o -m "${args[@]}"
: >"$work/debian.t"; : >"$work/kmodx.t"
for _ in 1 2 3; do  # about 30 s each: the median of 3
	for lib in debian kmodx; do
		rm -rf "${stage:?}"/*
		seconds $lib /usr/lib/dracut/dracut-install -D "$stage" --kerneldir "$kdir" --silent -o -m "${args[@]}" \
			>>"$work/$lib.t"
		[ -n "$(ls -A "$stage")" ] || { echo "dracut-install with $lib installed nothing" >&2; exit 1; }
	done
done
d=$(median <"$work/debian.t") k=$(median <"$work/kmodx.t")
printf '%-22s %10.3f %10.3f %7.2fx\n' "dracut-install, tree" "$d" "$k" "$(echo "$d / $k" | bc -l)"
: >"$work/debian.t"; : >"$work/kmodx.t"
for _ in $(seq "$runs"); do
	for lib in debian kmodx; do
		seconds $lib /usr/lib/dracut/dracut-install -D "$stage" --kerneldir "$kdir" --silent -o -m "${args[@]}" \
			>>"$work/$lib.t"
	done
done
rm -rf "$stage"
d=$(median <"$work/debian.t") k=$(median <"$work/kmodx.t")
printf '%-22s %10.3f %10.3f %7.2fx\n' "dracut, installed" "$d" "$k" "$(echo "$d / $k" | bc -l)"
