#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# modprobe --parallel on the simulated kernel, over the fixture tree, with
# init functions that take time (<state>/init-delays) and some that fail
# (<state>/init-errors):
# - each scenario run sequentially and with --parallel=4, each on a fresh
#   state: the same stdout, stderr and exit status, the same modules loaded
#   with the same refcounts and holders;
# - the overlap: two independent modules' init functions run at the same
#   time (the simulated kernel's log shows the second start before the first
#   end), and a module starts only after every dependency has finished;
# - a module whose dependency fails is never loaded, nor its dependents;
# - bad --parallel values are usage errors that change nothing.
# Nothing here measures time; tests/bench has the speed.
#
# Usage: modprobe-parallel.sh KMODX
set -uo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 KMODX" >&2; exit 2; }
kmodx=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
for t in modprobe lsmod; do ln -s "$kmodx" "$work/bin/$t"; done
export PATH=$work/bin:$PATH
unset KMODX_BACKEND MODPROBE_OPTIONS

fx=$work/fx
KVER=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$fx" 2>"$work/build.log" | tail -1) ||
	{ cat "$work/build.log"; echo "FAIL: build-fixtures.sh"; exit 1; }
conf=$work/conf
mkdir -p "$conf"

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# fresh STATE DELAYS ERRORS: an empty simulated kernel with those inputs
fresh() {
	rm -rf "$1"
	mkdir -p "$1"
	printf '%s' "$2" >"$1/init-delays"
	printf '%s' "$3" >"$1/init-errors"
}
# what a state holds: proc/modules sorted without the address, and holders
# (the holder column as a sorted set: its order is the order of the loads,
# in a kernel too)
snapshot() {
	local n size refs holders st rest sorted
	while read -r n size refs holders st rest; do
		sorted=$(tr ',' '\n' <<<"$holders" | sed '/^$/d' | sort | tr '\n' ',')
		echo "$n $size $refs ${sorted:--} $st"
	done <"$1/proc/modules" | sort
	for d in "$1"/sys/module/*/; do
		[ -d "$d" ] || continue
		echo "$(basename "$d"): initstate=$(cat "$d/initstate") refcnt=$(cat "$d/refcnt") holders=$(ls "$d/holders" | tr '\n' ' ')"
	done
}

# same NAME DELAYS ERRORS ARGS...: sequential and --parallel=4 agree
same() {
	local name=$1 delays=$2 errors=$3 side
	shift 3
	for side in seq par; do
		fresh "$work/$side" "$delays" "$errors"
		local extra=()
		[ "$side" = par ] && extra=(--parallel=4)
		modprobe --backend="sim:$work/$side" -d "$fx" -S "$KVER" -C "$conf" "${extra[@]}" "$@" \
			>"$work/$side.out" 2>"$work/$side.err"
		echo "rc=$?" >>"$work/$side.out"
		sed -i "s|$work/$side|STATE|g" "$work/$side.out" "$work/$side.err"
		snapshot "$work/$side" >"$work/$side.state"
	done
	[ -s "$work/seq.state" ] || bad "$name: nothing loaded (the scenario tests nothing)"
	local f
	for f in out err state; do
		if cmp -s "$work/seq.$f" "$work/par.$f"; then ok; else
			bad "$name: sequential and --parallel differ in $f:"
			diff "$work/seq.$f" "$work/par.$f" | head -20
		fi
	done
}

slow=$'kx_pci 400\nkx_usb 400\nkx_platform 300\nkx_left 300\nkx_right 300\nkx_top 100\nkx_devname 200\n'
same "many, verbose" "$slow" $'kx_fail_init 5\n' -v -a kx_pci kx_usb kx_top kx_fail_init kx_platform kx_nosuch kx_devname kx_chain_a
same "many, quiet" "$slow" $'kx_fail_init 5\n' -q -a kx_pci kx_usb kx_top kx_fail_init kx_chain_a kx_nosuch
same "many, plain" "$slow" "" -a kx_top kx_chain_a kx_ns_import kx_params kx_softdep kx_pci
same "one with its dependencies" "$slow" "" -v kx_top
same "a failing dependency" "$slow" $'kx_base 19\n' -v -a kx_pci kx_top kx_usb kx_left
same "a failing target among shared dependencies" "$slow" $'kx_right 12\n' -v -a kx_left kx_right kx_top
same "first-time, a target another one loads" "$slow" "" -v --first-time -a kx_top kx_left
same "a dependency named before its user" "$slow" "" -v -a kx_chain_c kx_chain_a kx_chain_b
same "options of one module" "$slow" "" -v kx_params p_int=3
same "unknown parameter" "" "" -v kx_params no_such=1
printf 'install kx_usb /bin/true\n' >"$conf/install.conf"
same "an install command (run in order)" "$slow" "" -v -a kx_pci kx_usb kx_top
rm -f "$conf/install.conf"

# Overlap and order, from the simulated kernel's log of one parallel run.
s=$work/order
fresh "$s" "$slow" ""
modprobe --backend="sim:$s" -d "$fx" -S "$KVER" --parallel=4 -a kx_pci kx_usb kx_top >/dev/null 2>&1
line() { grep -n -m1 -F "$1" "$s/dmesg" | cut -d: -f1; }
pci_start=$(line 'kx_pci: init started') pci_done=$(line 'kx_pci: init done')
usb_start=$(line 'kx_usb: init started') usb_done=$(line 'kx_usb: init done')
if [ -n "$pci_start" ] && [ -n "$usb_start" ] && [ -n "$pci_done" ] && [ -n "$usb_done" ] &&
	[ "$usb_start" -lt "$pci_done" ] && [ "$pci_start" -lt "$usb_done" ]; then ok; else
	bad "kx_pci's and kx_usb's init functions did not overlap:"; cat "$s/dmesg"; fi
top_start=$(line 'kx_top: init started')
left_done=$(line 'kx_left: init done') right_done=$(line 'kx_right: init done')
if [ -n "$top_start" ] && [ -n "$left_done" ] && [ -n "$right_done" ] &&
	[ "$top_start" -gt "$left_done" ] && [ "$top_start" -gt "$right_done" ]; then ok; else
	bad "kx_top started before its dependencies were live:"; cat "$s/dmesg"; fi

# A failed dependency: none of its dependents is ever loaded, even coming.
s=$work/failed
fresh "$s" "$slow" $'kx_base 19\n'
modprobe --backend="sim:$s" -d "$fx" -S "$KVER" --parallel=4 -a kx_top kx_pci >/dev/null 2>&1
if ! grep -qE 'kx_(top|left|right): ' "$s/dmesg" && grep -q '^kx_pci ' "$s/proc/modules" &&
	! grep -qE '^kx_(base|left|right|top) ' "$s/proc/modules"; then ok; else
	bad "a dependent of the failed kx_base was loaded:"; cat "$s/dmesg" "$s/proc/modules"; fi

# Bad values: a usage error, nothing loaded.
for v in 0 -1 abc 1025 99999999999 4x ''; do
	s=$work/bad
	fresh "$s" "" ""
	arg=--parallel=$v
	modprobe --backend="sim:$s" -d "$fx" -S "$KVER" "$arg" kx_pci >"$work/out" 2>"$work/err"
	rc=$?
	if [ -z "$v" ]; then
		# --parallel= with nothing after '=' is --parallel with an empty value
		want="modprobe: ERROR: --parallel takes a number of jobs from 1 to 1024, not ''."
	else
		want="modprobe: ERROR: --parallel takes a number of jobs from 1 to 1024, not '$v'."
	fi
	if [ "$rc" = 1 ] && [ "$(cat "$work/err")" = "$want" ] && ! [ -s "$s/proc/modules" ]; then ok; else
		bad "$arg: exit $rc, stderr '$(cat "$work/err")'"; fi
done
modprobe --backend="sim:$work/bad" -d "$fx" -S "$KVER" --parallel -r kx_pci >"$work/out" 2>"$work/err"
if [ $? = 1 ] && [ "$(cat "$work/err")" = "modprobe: ERROR: --parallel loads modules; it goes without --remove." ]; then ok; else
	bad "--parallel -r: $(cat "$work/err")"; fi
# --parallel alone: as many jobs as CPUs.
fresh "$work/cpus" "" ""
if modprobe --backend="sim:$work/cpus" -d "$fx" -S "$KVER" --parallel -a kx_pci kx_usb && [ "$(wc -l <"$work/cpus/proc/modules")" = 2 ]; then ok; else
	bad "--parallel without a number"; fi

echo "modprobe-parallel: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
