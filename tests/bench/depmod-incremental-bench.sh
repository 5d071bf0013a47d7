#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Incremental depmod benchmark (not a test): what the cache of parsed modules
# (modules.kmodx-cache.bin) saves, measured in one run on the same trees.
#
# Usage: depmod-incremental-bench.sh KMODX [RUNS]   (RUNS per case, default 7)
# Environment: TREE=amd64|cloud (default amd64), FLAVOURS (default
# "plain zst xz"), DEPMOD (default /sbin/depmod), DKMS=0 skips the DKMS case.
#
# Per compression, on a copy of Debian's tree that has its modules.dep and a
# cache (files older than the 2 s in which changes are not recorded):
#   full         kmodx depmod --no-cache: every module read
#   unchanged    kmodx depmod with nothing changed (the cache is not rewritten)
#   one changed  one module (e1000e) replaced by a copy of itself (new
#                inode, so its key differs) before each run: it is read, the
#                others come from the cache, and a new cache is written
#                (the changed module is too young to be recorded in it, so
#                each run reads it again: the case of every run within 2 s
#                of a change)
# with median wall time, and the largest peak RSS, and the ratios full /
# one changed. Then the DKMS pattern on the xz tree: ten out-of-tree modules
# (fixture modules, xz-compressed under updates/dkms/) installed one at a
# time, each followed by `depmod -a`, starting from a tree whose modules.dep
# a package's postinst wrote (so no cache yet: the first kmodx run reads
# everything and writes it): total time of kmod 30 and of kmodx.
# Targets (issue 16), marked ok/MISS: one changed >= 10x faster than full for
# xz and zst, >= 4x for plain; its peak RSS <= full's; DKMS >= 10x kmod 30.
set -euo pipefail
export LC_ALL=C

[ $# -ge 1 ] || { echo "usage: $0 KMODX [RUNS]" >&2; exit 2; }
kmodx=$(realpath "$1")
runs=${2:-7}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
depmod=${DEPMOD:-/sbin/depmod}
tree=${TREE:-amd64}
flavours=${FLAVOURS:-plain zst xz}

eval "$(bash "$here/../cli/debian-full-trees.sh")"
kver_var=KVER_$tree count_var=COUNT_$tree
kver=${!kver_var}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

copy_tree() {  # flavour destination-root
	local root_var=ROOT_${tree}_$1
	mkdir -p "$2/lib/modules"
	cp -al "${!root_var}/lib/modules/$kver" "$2/lib/modules/$kver"
}

printf 'incremental depmod benchmark: %s tree (%s modules, %s), %s runs each, %s CPUs\n' "$tree" \
	"${!count_var}" "$kver" "$runs" "$(nproc)"
printf '%-6s %8s %9s %11s %9s %9s %10s  %s\n' compr full_s unchanged one_changed full_MB one_MB full/one targets
for flavour in $flavours; do
	root=$work/$flavour
	copy_tree "$flavour" "$root"
	md=$root/lib/modules/$kver
	changed=$(find "$md" -name 'e1000e.ko*' | head -1)
	"$kmodx" depmod --no-cache -b "$root" "$kver"  # modules.dep, as a postinst leaves it
	sleep 2.1  # cp -al changed every file's ctime: let them age past the margin
	"$kmodx" depmod -b "$root" "$kver"             # writes the cache
	: >"$work/full" && : >"$work/same" && : >"$work/one"
	# Unchanged first: after a change the changed module stays too young to
	# be recorded for 2 s, and every run until then reads it again.
	for _ in $(seq "$runs"); do
		measure "$kmodx" depmod --no-cache -b "$root" "$kver" >>"$work/full"
		measure "$kmodx" depmod -b "$root" "$kver" >>"$work/same"
	done
	for _ in $(seq "$runs"); do
		cp "$changed" "$changed.new" && mv "$changed.new" "$changed"
		measure "$kmodx" depmod -b "$root" "$kver" >>"$work/one"
	done
	fw=$(cut -d' ' -f1 "$work/full" | median) sw=$(cut -d' ' -f1 "$work/same" | median)
	ow=$(cut -d' ' -f1 "$work/one" | median)
	fm=$(cut -d' ' -f3 "$work/full" | maximum) om=$(cut -d' ' -f3 "$work/one" | maximum)
	speed=$(ratio "$fw" "$ow")
	want=10
	[ "$flavour" != plain ] || want=4
	printf '%-6s %8s %9s %11s %9s %9s %10s  %s\n' "$flavour" "$fw" "$sw" "$ow" "$(mb "$fm")" "$(mb "$om")" \
		"$speed" "speed>=$want:$(mark "$speed" '>=' "$want") rss:$(mark "$om" '<=' "$fm")"
	rm -rf "$root"
done

[ "${DKMS:-1}" = 1 ] || exit 0
# Ten out-of-tree modules: fixture modules under new names, xz-compressed as
# DKMS installs them into a tree of .ko.xz modules.
fxver=$(bash "$repo/tests/fixtures/build-fixtures.sh" --no-depmod "$work/fx" 2>/dev/null | tail -1)
mapfile -t oot < <(find "$work/fx/lib/modules/$fxver" -name 'kx_*.ko' -not -path '*/cycle/*' | sort | head -10)
[ "${#oot[@]}" = 10 ] || { echo "fewer than 10 fixture modules" >&2; exit 1; }
for i in "${!oot[@]}"; do xz --check=crc32 --lzma2=dict=1MiB -c "${oot[$i]}" >"$work/dkms_$i.ko.xz"; done
dkms_round() {  # depmod-command... : prints the total wall time of ten installs
	local root=$work/dkms total=0 i t
	rm -rf "$root"
	copy_tree xz "$root"
	"$depmod" -b "$root" "$kver"  # the kernel package's postinst
	sleep 2.1
	mkdir -p "$root/lib/modules/$kver/updates/dkms"
	for i in "${!oot[@]}"; do
		cp "$work/dkms_$i.ko.xz" "$root/lib/modules/$kver/updates/dkms/"
		t=$(measure "$@" -a -b "$root" "$kver" | cut -d' ' -f1)
		total=$(awk -v a="$total" -v b="$t" 'BEGIN { printf "%.4f", a + b }')
	done
	rm -rf "$root"
	echo "$total"
}
kt=$(dkms_round "$depmod")
xt=$(dkms_round "$kmodx" depmod)
speed=$(ratio "$kt" "$xt")
printf 'DKMS pattern (10 modules, xz tree): kmod 30 %s s, kmodx %s s, %sx  speed>=10:%s\n' "$kt" "$xt" "$speed" \
	"$(mark "$speed" '>=' 10)"
