#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# depmod differential test on Debian's complete kernel trees: kmodx depmod
# against Debian's depmod (kmod 30) on linux-image-amd64 and
# linux-image-cloud-amd64, each plain and recompressed with xz, zstd and gzip
# (trees from debian-full-trees.sh, cached).
#
# Usage: depmod-diff.sh KMODX INDEX_TOOL
#
# Per tree and compression, both tools index their own hard-linked copy of
# the tree, then:
#   - exit status and stderr are equal;
#   - modules.{dep,alias,symbols,softdep,devname} are byte-identical;
#   - modules.weakdep (kmod 30 has none) exists and holds only comments when
#     no module has a weakdep (Debian's 6.1 modules have none);
#   - every .bin holds the same logical content (INDEX_TOOL dump), and the
#     kmodx file is byte-identical to kmod 30's content laid out in kmod
#     34+'s pre-order (INDEX_TOOL reorder);
#   - kmod 30 reads the kmodx indexes as its own: `modprobe --show-depends`
#     and `modinfo` by name, and `modprobe -R` by alias, for a sample of
#     every 10th module and every 50th alias, print the same.
# kmod 30 has no zlib and ignores .ko.gz, so the gz tree is compared with
# kmod 30's outputs of the plain tree after renaming .ko to .ko.gz.
#
# Environment: DEPMOD, MODPROBE, MODINFO (default /sbin/...), KEEP=1 keeps
# the work directory. Exit status 1 on any mismatch.
set -uo pipefail
export LC_ALL=C

[ $# -eq 2 ] || { echo "usage: $0 KMODX INDEX_TOOL" >&2; exit 2; }
kmodx=$(realpath "$1")
index_tool=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
depmod=${DEPMOD:-/sbin/depmod}
modprobe=${MODPROBE:-/sbin/modprobe}
modinfo=${MODINFO:-/sbin/modinfo}

env_text=$(bash "$here/debian-full-trees.sh") || { echo "FAIL: cannot prepare the Debian trees"; exit 1; }
eval "$env_text"

work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
summary=''

TEXT_FILES="modules.dep modules.alias modules.symbols modules.softdep modules.devname"
BIN_FILES="modules.dep.bin modules.alias.bin modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin"

copy_tree() {  # source-root dest-root kver
	mkdir -p "$2/lib/modules"
	cp -al "$1/lib/modules/$3" "$2/lib/modules/$3"
}

# kmod 30's view of a plain tree, renamed to what the gz tree should give.
to_gz() { sed -E 's/\.ko(:| |$)/.ko.gz\1/g'; }

compare_outputs() {  # label kmod-dir kmodx-dir [gz]
	local label=$1 k=$2 x=$3 gz=${4:-} f n_before=$fail
	for f in $TEXT_FILES; do
		if [ -n "$gz" ] && [ "$f" = modules.dep ]; then
			to_gz <"$k/$f" >"$work/expected"
		else
			cp "$k/$f" "$work/expected" 2>/dev/null || : >"$work/expected"
		fi
		if cmp -s "$work/expected" "$x/$f"; then ok; else bad "$label: $f differs"; diff "$work/expected" "$x/$f" | head -5; fi
	done
	if [ -f "$x/modules.weakdep" ] && ! grep -qv '^#' "$x/modules.weakdep"; then ok; else bad "$label: modules.weakdep"; fi
	for f in $BIN_FILES; do
		"$index_tool" dump "$k/$f" >"$work/k.dump" || { bad "$label: kmod's $f unreadable"; continue; }
		"$index_tool" dump "$x/$f" >"$work/x.dump" || { bad "$label: our $f unreadable"; continue; }
		if [ -n "$gz" ] && [ "$f" = modules.dep.bin ]; then
			to_gz <"$work/k.dump" >"$work/k.dump.gz" && mv "$work/k.dump.gz" "$work/k.dump"
		fi
		if cmp -s "$work/k.dump" "$work/x.dump"; then ok; else bad "$label: $f content differs"; diff "$work/k.dump" "$work/x.dump" | head -5; fi
		"$index_tool" build "$work/k.dump" "$work/pre.bin" || { bad "$label: rebuilding $f"; continue; }
		if cmp -s "$work/pre.bin" "$x/$f"; then ok; else bad "$label: $f is not kmod's content in pre-order"; fi
	done
	[ "$fail" -eq "$n_before" ] && summary+="$label: outputs identical"$'\n'
}

# kmod 30's own tools over both indexes.
compare_readers() {  # label kver kmod-root kmodx-root
	local label=$1 kver=$2 kr=$3 xr=$4 names aliases n_before=$fail
	names=$(awk -F: 'NR % 10 == 1 { n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); print n }' \
		"$kr/lib/modules/$kver/modules.dep")
	aliases=$(awk '!/^#/ && n++ % 50 == 0 { print $2 }' "$kr/lib/modules/$kver/modules.alias")
	# One command per kind, all names at once (modprobe -a): thousands of
	# separate runs cost minutes and answer the same lookups.
	read_all() {  # root
		# shellcheck disable=SC2086  # word lists
		{
			"$modprobe" -d "$1" -S "$kver" -a --show-depends $names
			"$modinfo" -b "$1" -k "$kver" $names
			"$modprobe" -d "$1" -S "$kver" -a -R $aliases
		} 2>&1 | sed "s|$1|ROOT|g"
	}
	read_all "$kr" >"$work/k.read"
	read_all "$xr" >"$work/x.read"
	if [ -s "$work/k.read" ] && cmp -s "$work/k.read" "$work/x.read"; then ok; else
		bad "$label: kmod 30 reads our indexes differently"; diff "$work/k.read" "$work/x.read" | head -5
	fi
	[ "$fail" -eq "$n_before" ] &&
		summary+="$label: kmod 30 modprobe/modinfo agree ($(wc -w <<<"$names") modules, $(wc -w <<<"$aliases") aliases)"$'\n'
}

for tree in $TREES; do
	kver_var=KVER_$tree count_var=COUNT_$tree
	kver=${!kver_var}
	for flavour in plain xz zst gz; do
		root_var=ROOT_${tree}_$flavour
		root=${!root_var}
		label="$tree/$flavour (${!count_var} modules)"
		rm -rf "$work/k" "$work/x"
		copy_tree "$root" "$work/x" "$kver"
		"$kmodx" depmod -b "$work/x" "$kver" 2>"$work/x.err"
		xrc=$?
		if [ "$flavour" = gz ]; then
			# the kmod 30 reference is the plain tree's run, kept from before
			kdir=$work/k-plain
			krc=$(cat "$work/k-plain.rc")
			to_gz <"$work/k-plain.err" >"$work/k.err"
		else
			copy_tree "$root" "$work/k" "$kver"
			"$depmod" -b "$work/k" "$kver" 2>"$work/k.err"
			krc=$?
			kdir=$work/k/lib/modules/$kver
		fi
		if [ "$krc" = "$xrc" ]; then ok; else bad "$label: exit status kmod $krc, kmodx $xrc"; fi
		if cmp -s "$work/k.err" "$work/x.err"; then ok; else bad "$label: stderr differs"; diff "$work/k.err" "$work/x.err" | head -5; fi
		compare_outputs "$label" "$kdir" "$work/x/lib/modules/$kver" "$([ "$flavour" = gz ] && echo gz)"
		case $flavour in
		plain)
			compare_readers "$label" "$kver" "$work/k" "$work/x"
			rm -rf "$work/k-plain"
			mkdir "$work/k-plain" && cp "$kdir"/modules.* "$work/k-plain/"
			echo "$krc" >"$work/k-plain.rc"
			cp "$work/k.err" "$work/k-plain.err"
			;;
		xz | zst) compare_readers "$label" "$kver" "$work/k" "$work/x" ;;
		esac
	done
done

printf '%s' "$summary"
echo "depmod-diff: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
