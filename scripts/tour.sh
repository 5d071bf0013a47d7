#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job's tour (scripts/main-job.sh runs it after building): builds the
# bundled fixture modules into a module tree and shows on a screen or two what
# kmodx's tools do with it: depmod's outputs, a dependency order, one module's
# information, a load and an unload in the simulated kernel, and a picture of
# the dependency graph.
# Usage: tour.sh BUILD_DIR [WORK_DIR]   (tools from BUILD_DIR; the tree, the
# sim state and the SVG go to WORK_DIR, by default BUILD_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:?usage: tour.sh BUILD_DIR [WORK_DIR]}" && pwd)
mkdir -p "${2:-$build}"
work=$(cd "${2:-$build}" && pwd)
root=$work/fixture-root
rel_root=${root#"$PWD"/}
rm -rf "$root"
flog=$work/fixtures.log
if ! kver=$(bash tests/fixtures/build-fixtures.sh --no-depmod "$root" 2>"$flog" | tail -n 1); then
  echo "building the fixture modules failed; the end of $flog:" >&2
  tail -n 30 "$flog" >&2
  exit 1
fi
moddir=$root/lib/modules/$kver
short() { sed "s|$root|ROOT|g"; }   # the tree's long absolute prefix, shortened

nmod=$(find "$moddir" -name '*.ko*' | wc -l)
echo
echo "== The fixture tree: $nmod modules from fixtures/modules, built against $kver's headers"
echo "   ROOT = $rel_root, module directory ROOT/lib/modules/$kver (log: ${flog#"$PWD"/})"

echo
echo "== depmod -b ROOT $kver: the index files modprobe and modinfo read"
"$build/depmod" -b "$root" "$kver"
python3 scripts/lib/index-summary.py "$moddir"

echo
echo "== modprobe --show-depends kx_top: what loading kx_top inserts, in order"
"$build/modprobe" -d "$root" -S "$kver" --show-depends kx_top | short
echo "   the diamond it comes from (modinfo -F depends, recursively):"
tree() {  # tree NAME PREFIX
  local deps d n i=0
  deps=$("$build/modinfo" -b "$root" -k "$kver" -F depends "$1" | tr ',' ' ')
  n=$(wc -w <<<"$deps")
  for d in $deps; do
    i=$((i + 1))
    if [ "$i" -eq "$n" ]; then echo "   $2└── $d"; tree "$d" "$2    "
    else echo "   $2├── $d"; tree "$d" "$2│   "; fi
  done
}
echo "   kx_top"
tree kx_top ""

echo
echo "== modinfo kx_signed (signature bytes left out; modinfo -F signature prints them)"
"$build/modinfo" -b "$root" -k "$kver" kx_signed | short | awk '
  /^signature:/ { skip = 1; next }
  skip && /^\t/ { next }
  { skip = 0; print }'

echo
echo "== Lookups: modprobe -R kx-pci-alias (an alias), modinfo -F name fs-ext4 (built-in)"
"$build/modprobe" -d "$root" -S "$kver" -R kx-pci-alias
"$build/modinfo" -b "$root" -k "$kver" -F name fs-ext4

# The simulated kernel (sim backend) keeps its state in a directory and checks
# what the kernel checks; the host's kernel is never touched.
sim=$work/sim-state
rm -rf "$sim"
export KMODX_BACKEND=sim:$sim
echo
echo "== A load into the simulated kernel (KMODX_BACKEND=sim:${sim#"$PWD"/}): modprobe -v kx_top"
"$build/modprobe" -v -d "$root" -S "$kver" kx_top | short
echo "   lsmod:"
"$build/lsmod" | sed 's/^/   /'
echo
echo "== modprobe -r -v kx_top: it and the dependencies nothing else uses go"
"$build/modprobe" -r -v -d "$root" -S "$kver" kx_top | short
echo "   lsmod: $(($("$build/lsmod" | wc -l) - 1)) modules loaded"
unset KMODX_BACKEND

svg=$work/fixture-deps.svg
"$build/depmod" -b "$root" --graph "$kver" | dot -Tsvg >"$svg"
echo
echo "== The dependency graph of the tree (depmod --graph | dot -Tsvg): ${svg#"$PWD"/}"
echo "   open it in a browser; the module tree stays in $rel_root for more commands (README)"
