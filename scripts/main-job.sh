#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README command 1: install what is missing, build, build the bundled fixture
# modules into a module tree, index it with kmodx's depmod and show what it
# wrote, then run kmodx's modinfo over the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build=$(cd "${KMODX_BUILD_DIR:-build}" && pwd)
root=$build/fixture-root
rm -rf "$root"
kver=$(bash tests/fixtures/build-fixtures.sh --no-depmod "$root" | tail -n 1)
moddir=$root/lib/modules/$kver
echo "== fixture tree: $moddir"
echo
echo "== depmod -a -b $root $kver"
"$build/depmod" -a -b "$root" "$kver"
for f in modules.dep modules.alias modules.softdep modules.weakdep modules.devname modules.symbols; do
  echo
  echo "== $f ($(wc -l <"$moddir/$f") lines; the first 12)"
  head -n 12 "$moddir/$f"
done
echo
echo "== index files"
(cd "$moddir" && ls -l modules.*.bin)
cd "$moddir"
find . -name '*.ko*' | sort | while read -r module; do
  echo
  echo "== modinfo $module"
  "$build/modinfo" "$module"
done
echo
echo "== modinfo -b $root -k $kver kx_top (by name, through modules.dep.bin)"
"$build/modinfo" -b "$root" -k "$kver" kx_top
echo
echo "== modinfo -b $root -k $kver -F name fs-ext4 (built-in alias)"
"$build/modinfo" -b "$root" -k "$kver" -F name fs-ext4
echo
echo "== modprobe -d $root -S $kver --show-depends kx_top"
"$build/modprobe" -d "$root" -S "$kver" --show-depends kx_top
echo
echo "== modprobe -d $root -S $kver -R kx-pci-alias (lookup only)"
"$build/modprobe" -d "$root" -S "$kver" -R kx-pci-alias
echo
# A simulated kernel (the sim backend) keeps its state in a directory; the
# host's kernel is never touched.
sim=$build/sim-state
rm -rf "$sim"
export KMODX_BACKEND=sim:$sim
echo "== KMODX_BACKEND=$KMODX_BACKEND modprobe -v -d $root -S $kver kx_top"
"$build/modprobe" -v -d "$root" -S "$kver" kx_top
echo
echo "== lsmod (sim)"
"$build/lsmod"
echo
echo "== modprobe -r -v -d $root -S $kver kx_top (and its unused dependencies)"
"$build/modprobe" -r -v -d "$root" -S "$kver" kx_top
echo
echo "== lsmod (sim, empty again)"
"$build/lsmod"
unset KMODX_BACKEND
