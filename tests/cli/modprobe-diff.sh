#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# modprobe differential test: kmodx modprobe against Debian's modprobe
# (kmod 30), same arguments, same module tree, same configuration; stdout,
# stderr and exit status must be equal. Nothing is loaded: only the modes
# that do not change the kernel run here (-c, -D, -R, -n -v); -n reads the
# host's /sys/module to skip loaded modules, the same for both tools.
#
# Usage: modprobe-diff.sh KMODX
#
# 1. The fixture tree (tests/fixtures/build-fixtures.sh, indexed by Debian's
#    depmod) with each configuration of tests/fixtures/modprobe.d (none,
#    basic, quirks, basic+quirks, plus a directory holding a *.conf
#    directory): `-c`, and for every module name, every alias of
#    modules.alias, the config aliases and some odd names: `-D`, `-R`,
#    `-n -v`, `-D -i`, `-D -b`, and `-D` with module options.
#    kmod 30 always reads /proc/cmdline, so `-c` compares the host's own
#    kernel command line too (the parser's corner cases are unit tests).
# 2. Debian's linux-image-amd64 tree (debian-full-trees.sh, cached, indexed
#    here by Debian's depmod): `-D`, `-R` and `-n -v` for every module name
#    and for 500 aliases (every n-th line of modules.alias), batched with -a,
#    and a sample run one by one.
# Environment: MODPROBE (default /sbin/modprobe), KEEP=1 keeps the work dir.
set -uo pipefail
export LC_ALL=C

[ $# -eq 1 ] || { echo "usage: $0 KMODX" >&2; exit 2; }
kmodx=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ref=${MODPROBE:-/sbin/modprobe}

work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi
# Both run as plain "modprobe" found on PATH: getopt's messages name argv[0].
mkdir -p "$work/ours" "$work/ref"
ln -s "$kmodx" "$work/ours/modprobe"
ln -s "$(realpath "$ref")" "$work/ref/modprobe"
# Both tools run in the work directory (relative paths in messages).
cd "$work" || exit 1

pass=0 fail=0 damage_notes=0
declare -A counts=()

# compare LABEL ARGS... — runs both, compares the three results.
compare() {
	local label=$1; shift
	PATH=$work/ref:$PATH modprobe "$@" >"$work/r.out" 2>"$work/r.err"; local rc_ref=$?
	PATH=$work/ours:$PATH modprobe "$@" >"$work/o.out" 2>"$work/o.err"; local rc_our=$?
	# kmodx names a damaged index once, where kmod says nothing (README,
	# Compatibility); with DAMAGE_NOTES=1 those lines are set aside.
	if [ "${DAMAGE_NOTES:-0}" = 1 ] && grep -q 'damaged index, treated as not found' "$work/o.err"; then
		damage_notes=$((damage_notes + 1))
		grep -v 'damaged index, treated as not found' "$work/o.err" >"$work/o.err.kept"
		mv "$work/o.err.kept" "$work/o.err"
	fi
	# libkmod prints its context pointer in some errors (a stale
	# modules.dep); it differs from run to run.
	sed -i 's/ctx=0x[0-9a-f]*/ctx=PTR/g' "$work/r.err" "$work/o.err"
	counts[$label]=$(( ${counts[$label]:-0} + 1 ))
	if [ $rc_ref -eq $rc_our ] && cmp -s "$work/r.out" "$work/o.out" && cmp -s "$work/r.err" "$work/o.err"; then
		pass=$((pass + 1))
		return 0
	fi
	fail=$((fail + 1))
	if [ $fail -le 30 ]; then
		echo "FAIL [$label]: modprobe $*"
		[ $rc_ref -eq $rc_our ] || echo "  exit: kmod $rc_ref, kmodx $rc_our"
		diff "$work/r.out" "$work/o.out" | head -8 | sed 's/^/  stdout /'
		diff "$work/r.err" "$work/o.err" | head -8 | sed 's/^/  stderr /'
	fi
	return 1
}

# --- 1. fixture tree ----------------------------------------------------
fx=$work/fx
KVER=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$fx" 2>"$work/build.log" | tail -1) ||
	{ cat "$work/build.log"; echo "FAIL: build-fixtures.sh"; exit 1; }
dir=$fx/lib/modules/$KVER
cfg=$repo/tests/fixtures/modprobe.d
mkdir -p "$work/nested/sub.conf" "$work/empty"
cp "$cfg/basic/10-aliases.conf" "$work/nested/"

names=$(sed -n 's|.*/\([^/]*\)\.ko[^:]*:.*|\1|p' "$dir/modules.dep")
aliases=$(sed -n 's/^alias \([^ ]*\) .*/\1/p' "$dir/modules.alias")
extra="kx-chain kx-wild-foo kx-nothing kx-both kx-opt kx-cmd-only kx_remove_only kx-after-nul kx-continued
unix loop ext4 kx-chain-a KX_CHAIN_A no_such_module symbol:kx_chain_c_fn symbol:nothing kx-[bad kx-glob-a1"

for conf in none basic quirks both nested; do
	case $conf in
	none) C=(-C "$work/empty") ;;
	basic) C=(-C "$cfg/basic") ;;
	quirks) C=(-C "$cfg/quirks") ;;
	both) C=(-C "$cfg/basic" -C "$cfg/quirks") ;;
	nested) C=(-C "$work/nested") ;;
	esac
	base=(-d "$fx" -S "$KVER" "${C[@]}")
	compare "fixture -c" "${base[@]}" -c
	for n in $names $aliases $extra; do
		compare "fixture -D" "${base[@]}" -D "$n"
		compare "fixture -R" "${base[@]}" -R "$n"
		compare "fixture -n -v" "${base[@]}" -n -v "$n"
		[ "$conf" = basic ] || continue
		compare "fixture -D -i" "${base[@]}" -D -i "$n"
		compare "fixture -D -b" "${base[@]}" -D -b "$n"
		compare "fixture -D opts" "${base[@]}" -D "$n" p_int=1 "p_charp=a b" 'q="x y"'
	done
	compare "fixture -a -D" "${base[@]}" -a -D $names $extra
	compare "fixture -q" "${base[@]}" -q no_such_module
	compare "fixture --first-time -D" "${base[@]}" --first-time -D kx_chain_a
	compare "fixture show-modversions" "${base[@]}" --show-modversions "$dir/kernel/drivers/kmodx/chain/kx_chain_a.ko"
	compare "fixture show-exports" "${base[@]}" --show-exports "$dir/kernel/drivers/kmodx/chain/kx_chain_b.ko"
	compare "fixture missing args" "${base[@]}"
	compare "fixture show-modversions" "${base[@]}" --show-modversions "$work/empty"
	compare "fixture show-modversions" "${base[@]}" --show-modversions "$work/no-such.ko"
done
compare "usage" --wait=abc -r x
compare "usage" --no-such-option

# MODPROBE_OPTIONS words come before the command line's, with kmod's quoting.
# (Not compared: a quoted option word followed by more words, e.g. "'-C' \"x\"",
# where Debian's kmod 30 loses a word in a way its source does not explain.)
for opts in "-C $cfg/basic -v" "-q" "-v  -n" "'-v' -D" "-C \"$cfg/basic\" -D" "-C \"$cfg/ba\"sic -R" "-S \"unterminated"; do
	MODPROBE_OPTIONS=$opts compare "MODPROBE_OPTIONS" -d "$fx" -S "$KVER" -D kx-chain
done

# Relative, "."/".."-holding, slash-ended and symlinked -d roots (the tools
# run in $work): paths come out absolute, as given.
ln -sfn fx "$work/fxlink"
for r in fx ./fx fx/ "../$(basename "$work")/fx" fx/../fx fxlink; do
	compare "relative -d" -d "$r" -S "$KVER" -D kx_top
	compare "relative -d" -d "$r" -S "$KVER" -R kx-pci-alias
	compare "relative -d" -d "$r" -S "$KVER" -n -v kx_chain_a
done

# Configuration directory entries that are not plain files: a dangling
# symlink and a symlink loop (kmod 30 lists them and cannot open them:
# silent), a symlink to a directory (libkmod's ERROR); each in a directory of
# its own between two real files.
for kind in dangling loop dirlink; do
	d=$work/conf-entry-$kind
	mkdir -p "$d" "$work/conf-target-dir"
	printf 'alias kx-entry-alias kx_top\n' >"$d/a.conf"
	printf 'options kx_params p_int=5\n' >"$d/z.conf"
	case $kind in
	dangling) ln -s nowhere "$d/m.conf" ;;
	loop) ln -s n.conf "$d/m.conf"; ln -s m.conf "$d/n.conf" ;;
	dirlink) ln -s "$work/conf-target-dir" "$d/m.conf" ;;
	esac
	compare "config entries" -d "$fx" -S "$KVER" -C "$d" -c
	compare "config entries" -d "$fx" -S "$KVER" -C "$d" -D kx-entry-alias
	compare "config entries" -d "$fx" -S "$KVER" -C "$d" -D kx_params
done

# A stale modules.dep: module files deleted without running depmod (a
# DKMS module removed). libkmod reports the first missing dependency each
# time it reads a line and drops that module's dependencies.
for gone in diamond/kx_base chain/kx_chain_c "chain/kx_chain_b ns/kx_ns_export" diamond/kx_top; do
	st=$work/stale
	rm -rf "$st"
	mkdir -p "$st/lib/modules"
	cp -a "$fx/lib/modules/$KVER" "$st/lib/modules/"
	for g in $gone; do rm "$st/lib/modules/$KVER/kernel/drivers/kmodx/$g.ko"; done
	sbase=(-d "$st" -S "$KVER" -C "$cfg/basic")
	for n in $names kx-chain kx-both kx-pci-alias; do
		compare "stale modules.dep" "${sbase[@]}" -D "$n"
		compare "stale modules.dep" "${sbase[@]}" -R "$n"
		compare "stale modules.dep" "${sbase[@]}" -n -v "$n"
	done
	compare "stale modules.dep" "${sbase[@]}" -a -D $names
	compare "stale modules.dep" "${sbase[@]}" -a -n -v $names kx_top
	compare "stale modules.dep" "${sbase[@]}" -c
done

# Missing and damaged indexes: lookups fall through to the next source.
broken=$work/broken
mkdir -p "$broken/lib/modules"
cp -a "$fx/lib/modules/$KVER" "$broken/lib/modules/"
bdir=$broken/lib/modules/$KVER
rm "$bdir/modules.dep.bin"
head -c 20 "$dir/modules.alias.bin" >"$bdir/modules.alias.bin"
printf 'garbage!!!!!!!!!!!!!' >"$bdir/modules.symbols.bin"
for n in kx_chain_a kx-pci-alias symbol:kx_chain_c_fn unix fs-ext4 kx_top; do
	DAMAGE_NOTES=1 compare "broken indexes" -d "$broken" -S "$KVER" -C "$work/empty" -D "$n"
	DAMAGE_NOTES=1 compare "broken indexes" -d "$broken" -S "$KVER" -C "$work/empty" -R "$n"
done
# The truncated modules.alias.bin is reached by the alias lookups.
if [ $damage_notes -gt 0 ]; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL [broken indexes]: no lookup named the damaged modules.alias.bin"; fi
# kmod 30's -c never ends on this truncated modules.alias.bin (it loops,
# eating memory); kmodx must finish and name the damaged file.
if timeout 10 "$work/ours/modprobe" -d "$broken" -S "$KVER" -C "$work/empty" -c >"$work/o.out" 2>"$work/o.err" &&
	grep -q "modules.alias.bin" "$work/o.err"; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL [broken indexes]: -c on a truncated index"; cat "$work/o.err"; fi
compare "missing directory" -d "$work/nowhere" -S "$KVER" -C "$work/empty" -D kx_chain_a

# --- 2. Debian's amd64 tree ----------------------------------------------
env_text=$(bash "$here/debian-full-trees.sh") || { echo "FAIL: cannot prepare the Debian trees"; exit 1; }
eval "$env_text"
deb=$work/deb
# shellcheck source=../lib/indexed-copy.sh
. "$here/../lib/indexed-copy.sh"
# shellcheck disable=SC2154
indexed_copy "$ROOT_amd64_plain" "$KVER_amd64" "$deb" || { echo "FAIL: depmod on the Debian tree"; exit 1; }
ddir=$deb/lib/modules/$KVER_amd64
dnames=$(sed -n 's|.*/\([^/]*\)\.ko[^:]*:.*|\1|p' "$ddir/modules.dep")
total=$(grep -c '^alias ' "$ddir/modules.alias")
step=$(( total / 500 )); [ $step -ge 1 ] || step=1
daliases=$(awk -v s=$step '/^alias /{ if (n++ % s == 0 && c < 500) { print $2; c++ } }' "$ddir/modules.alias")
dbase=(-d "$deb" -S "$KVER_amd64" -C "$work/empty")
# shellcheck disable=SC2086
{
	compare "debian -a -D names" "${dbase[@]}" -a -D $dnames
	compare "debian -a -R names" "${dbase[@]}" -a -R $dnames
	compare "debian -a -n -v names" "${dbase[@]}" -a -n -v $dnames
	compare "debian -a -D aliases" "${dbase[@]}" -a -D $daliases
	compare "debian -a -R aliases" "${dbase[@]}" -a -R $daliases
	compare "debian -a -n -v aliases" "${dbase[@]}" -a -n -v $daliases
	compare "debian -c" "${dbase[@]}" -c
}
i=0
for n in $dnames; do
	i=$((i + 1)); [ $((i % 40)) -eq 0 ] || continue
	compare "debian single" "${dbase[@]}" -D "$n"
done
i=0
for a in $daliases; do
	i=$((i + 1)); [ $((i % 10)) -eq 0 ] || continue
	compare "debian single" "${dbase[@]}" -R "$a"
done
# The same on Debian's tree: fat.ko deleted under vfat and msdos.
rm "$ddir/kernel/fs/fat/fat.ko"
for n in vfat msdos fat fs-vfat; do
	compare "debian stale modules.dep" "${dbase[@]}" -D "$n"
	compare "debian stale modules.dep" "${dbase[@]}" -n -v "$n"
done
compare "debian stale modules.dep" "${dbase[@]}" -a -D vfat msdos nls_cp437
echo "Debian $KVER_amd64: $(echo "$dnames" | wc -w) module names, $(echo "$daliases" | wc -w) aliases (batched with -a)"

for k in "${!counts[@]}"; do printf '  %-28s %d\n' "$k" "${counts[$k]}"; done | sort
echo "modprobe-diff: $pass passed, $fail failed"
[ $fail -eq 0 ]
