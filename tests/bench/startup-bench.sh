#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Start-up benchmark (not a test): the whole-process time and peak RSS of
# kmodx's tools against Debian's kmod 30 for the calls a booting system and
# an initramfs builder make by the thousand, run alternately (one kmod, one
# kmodx, and so on; tests/bench/spawn-stats.c) in the same run, on Debian's
# amd64 tree indexed by kmod 30's depmod.
#
# Usage: startup-bench.sh KMODX [RUNS]      (RUNS per tool and case, default 200)
#
# Per case: the median wall time of each, kmodx/kmod (target <= 0.80), the
# peak RSS of each (target: kmodx's no higher) and ok/MISS. Needs root for
# the lsmod case: a private mount namespace puts the simulated kernel's
# proc/modules and sys/module where kmod's lsmod reads them (the host's are
# never changed).
set -euo pipefail
export LC_ALL=C
[ $# -ge 1 ] || { echo "usage: $0 KMODX [RUNS]" >&2; exit 2; }
kmodx=$(realpath "$1")
runs=${2:-200}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${KMODX_BENCH_NS:-}" != 1 ]; then
	exec env KMODX_BENCH_NS=1 unshare -m bash "$0" "$kmodx" "$runs"
fi

eval "$(bash "$here/../cli/debian-full-trees.sh")"
kver=$KVER_amd64
work=$(mktemp -d)
trap 'umount /sys/module /proc 2>/dev/null; rm -rf "$work"' EXIT
cc -O2 -o "$work/spawn-stats" "$here/spawn-stats.c"

# The tree, indexed by kmod 30 (both tools read the same files).
root=$work/root
mkdir -p "$root/lib/modules"
cp -al "$ROOT_amd64_plain/lib/modules/$kver" "$root/lib/modules/"
/sbin/depmod -b "$root" "$kver"
moddir=$root/lib/modules/$kver

# kmodx's tools under their own names, as an installed system runs them.
bin=$work/bin
mkdir -p "$bin"
for t in modprobe modinfo depmod insmod rmmod lsmod kmod; do ln -s "$kmodx" "$bin/$t"; done

# The module with the most dependencies, a PCI alias of a real driver made
# concrete, a built-in module, a plain module file.
deepest=$(python3 - "$moddir/modules.dep" <<'PY'
import sys
deps = {}
for line in open(sys.argv[1]):
    mod, _, rest = line.partition(":")
    deps[mod] = rest.split()
def closure(m, seen):
    for d in deps.get(m, []):
        if d not in seen:
            seen.add(d)
            closure(d, seen)
    return seen
best = max(deps, key=lambda m: (len(closure(m, set())), m))
name = best.rsplit("/", 1)[-1].split(".ko")[0]
print(name)
PY
)
ndeps=$("$bin/modprobe" -d "$root" -S "$kver" -D "$deepest" | grep -c '^insmod')
pci_alias=$(sed -n 's/^alias \(pci:v00008086d000010D3sv\*sd\*bc\*sc\*i\*\) e1000e$/\1/p' "$moddir/modules.alias" | head -1)
[ -n "$pci_alias" ] || { echo "no e1000e alias for 8086:10d3 in modules.alias" >&2; exit 1; }
pci_alias=pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00
builtin=$(sed -n '1s|.*/\([^/]*\)\.ko$|\1|p' "$moddir/modules.builtin")
file=$(find "$moddir" -name e1000e.ko | head -1)

# A simulated kernel with 40 modules loaded, and where kmod's lsmod reads.
sim=$work/sim
mods=$(awk -F: '/kernel\/(sound\/core|drivers\/usb\/serial|net\/netfilter)\// { n = split($1, p, "/"); sub(/\.ko$/, "", p[n]); if (c++ < 40) printf "%s ", p[n] }' "$moddir/modules.dep")
# shellcheck disable=SC2086
"$bin/modprobe" --backend="sim:$sim" -d "$root" -S "$kver" -a $mods 2>/dev/null || true
loaded=$(wc -l <"$sim/proc/modules")

printf 'kmodx start-up against kmod 30: Debian %s tree (%d modules), %d runs each, alternating\n' "$kver" "$COUNT_amd64" "$runs"
printf '%-44s %10s %10s %7s %9s %9s  %s\n' case "kmod (ms)" "kmodx (ms)" ratio "kmod KiB" "kmodx KiB" target
fails=0
bench() {  # name, then the arguments both tools get (the first one is the tool)
	local name=$1 tool=$2 kmod_tool
	shift 2
	case $tool in
	lsmod|kmod) kmod_tool=/bin/$tool ;;
	*) kmod_tool=/sbin/$tool ;;
	esac
	local extra=()
	[ "$tool" = lsmod ] && [[ $name == *sim* ]] && extra=(--backend="sim:$sim")
	"$work/spawn-stats" "$runs" "$kmod_tool" "$@" --- "$bin/$tool" "${extra[@]}" "$@" >"$work/stats"
	read -r ta tb ra rb fa fb <"$work/stats"
	local ratio mark
	ratio=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.2f", b / a }')
	mark=$(awk -v r="$ratio" -v ra="$ra" -v rb="$rb" 'BEGIN { print (r <= 0.80 && rb <= ra) ? "ok" : "MISS" }')
	[ "$mark" = ok ] || fails=$((fails + 1))
	[ "$fa$fb" = 00 ] || mark="$mark (failed runs: kmod $fa, kmodx $fb)"
	printf '%-44s %10.2f %10.2f %7s %9d %9d  %s\n' "$name" "$(awk -v t="$ta" 'BEGIN{print t/1000}')" \
		"$(awk -v t="$tb" 'BEGIN{print t/1000}')" "$ratio" "$ra" "$rb" "$mark"
}
bench "modprobe -D $deepest ($ndeps modules)" modprobe -d "$root" -S "$kver" -D "$deepest"
bench "modprobe -R <e1000e PCI alias>" modprobe -d "$root" -S "$kver" -R "$pci_alias"
bench "modprobe -n -q $builtin (built-in)" modprobe -d "$root" -S "$kver" -n -q "$builtin"
bench "modinfo FILE (e1000e.ko)" modinfo "$file"
bench "modinfo NAME (e1000e)" modinfo -b "$root" -k "$kver" e1000e
bench "modinfo -F filename NAME" modinfo -b "$root" -k "$kver" -F filename e1000e
bench "depmod -A (up to date)" depmod -A -b "$root" "$kver"
# kmod's lsmod reads /proc/modules and /sys/module: the sim's, mounted
# there (over the whole of /proc, which this machine's kernel may lack
# /proc/modules in; nothing in the two lsmods needs the rest).
mount --bind "$sim/proc" /proc
mount --bind "$sim/sys/module" /sys/module
bench "lsmod (sim, $loaded modules)" lsmod
umount /sys/module /proc
for t in modprobe modinfo depmod insmod rmmod lsmod kmod; do
	bench "$t --version" "$t" --version
done
echo "$fails case(s) missed the targets"
