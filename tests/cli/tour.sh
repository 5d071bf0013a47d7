#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The main job's tour (scripts/tour.sh) as a new user sees it: it succeeds,
# fits on a screen or two, and shows what it promises — the eleven depmod
# outputs with their entries, the diamond's load order and its tree, a
# module's signature fields without the signature bytes, a sim load that
# lsmod shows and a removal that leaves nothing, and an SVG of the graph.
# Usage: tour.sh KMODX_BINARY
set -euo pipefail
kmodx=$(readlink -f "$1")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

bash "$repo/scripts/tour.sh" "$(dirname "$kmodx")" "$work" >"$work/out" 2>"$work/err" ||
	{ cat "$work/out" "$work/err"; echo "FAIL: tour.sh exited $?" >&2; exit 1; }
out=$work/out
[ -s "$work/err" ] && fail "tour.sh wrote to stderr: $(head -c 500 "$work/err")"
lines=$(wc -l <"$out")
[ "$lines" -le 80 ] || fail "$lines lines (the tour promises under 80)"

has() { grep -qE -- "$1" "$out" || fail "no line matching '$1'"; }
for f in modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep \
	modules.weakdep modules.symbols modules.symbols.bin modules.builtin.bin \
	modules.builtin.alias.bin modules.devname; do
	has "^   ${f//./\\.} +[1-9][0-9]* +[1-9][0-9,]*\$"
done
# modules.dep has one entry per module, and its size is the file's.
kver=$(sed -n 's|.*module directory ROOT/lib/modules/\([^ ]*\) .*|\1|p' "$out")
moddir=$work/fixture-root/lib/modules/$kver
[ -d "$moddir" ] || fail "no module directory for kernel '$kver'"
n=$(find "$moddir" -name '*.ko*' | wc -l)
has "^   modules\.dep +$n +$(python3 -c 'import os, sys; print(f"{os.path.getsize(sys.argv[1]):,}")' "$moddir/modules.dep")\$"

# The diamond: kx_base first, kx_top last; both paths drawn.
order=$(sed -n '/^== modprobe --show-depends kx_top/,/^   the diamond/p' "$out" |
	sed -n 's|^insmod ROOT/.*/\([a-z_]*\)\.ko $|\1|p' | tr '\n' ' ')
case $order in
"kx_base kx_right kx_left kx_top " | "kx_base kx_left kx_right kx_top ") ;;
*) fail "show-depends order '$order'" ;;
esac
has '^   ├── kx_(left|right)$'
has '^   │   └── kx_base$'
has '^   └── kx_(left|right)$'
has '^       └── kx_base$'

# modinfo: the signature's fields, not its bytes.
has '^signer: +kmodx fixture signing key$'
has '^sig_key: +([0-9A-F]{2}:){19}[0-9A-F]{2}$'
has '^sig_hashalgo: +sha256$'
grep -qE '^signature:|^	+([0-9A-F]{2}:){10}' "$out" && fail "signature bytes printed"

# Lookups, then the sim load and the removal.
has '^kx_pci$'
has '^ext4$'
[ "$(sed -n '/^   lsmod:$/,/^$/p' "$out" | grep -cE '^   kx_(top|left|right|base) ')" = 4 ] ||
	fail "lsmod after the load does not list the four diamond modules"
has '^   kx_base +[0-9]+ +2 kx_(left,kx_right|right,kx_left)$'
[ "$(sed -n '/^== modprobe -r -v kx_top/,/^   lsmod/p' "$out" | grep -c '^rmmod kx_')" = 4 ] ||
	fail "the removal does not remove four modules"
has '^   lsmod: 0 modules loaded$'
[ "$(wc -l <"$work/sim-state/proc/modules")" = 0 ] || fail "the sim state still has modules"

# The picture: an SVG with every module of the tree.
svg=$work/fixture-deps.svg
has "^== The dependency graph .*: ${svg#"$repo"/}\$"
grep -q '<svg' "$svg" || fail "$svg is not an SVG"
for m in kx_top kx_left kx_right kx_base kx_signed; do
	grep -q ">$m<" "$svg" || fail "$svg has no node $m"
done

if [ "$failures" -ne 0 ]; then
	echo "--- the tour's output:" >&2
	cat "$out" >&2
	echo "tour: $failures check(s) failed" >&2
	exit 1
fi
echo "tour: $lines lines, every promised part shown"
