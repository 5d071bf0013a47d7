#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# modprobe, insmod, rmmod and lsmod against the simulated kernel (the sim
# backend) on the fixture tree: kmod's own testsuite scenarios (KMOD-SPEC
# §14.2) and the loader checks of the simulated kernel, each with the exact
# exit status, stdout and stderr. The messages are kmod's; the VM test
# (tests/vm) shows the same ones from Debian's kmod 30 on a real kernel.
#
# Usage: modprobe-sim.sh KMODX
set -uo pipefail
export LC_ALL=C

[ $# -eq 1 ] || { echo "usage: $0 KMODX" >&2; exit 2; }
kmodx=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/bin"
for t in modprobe insmod rmmod lsmod; do ln -s "$kmodx" "$work/bin/$t"; done
export PATH=$work/bin:$PATH

fx=$work/fx
KVER=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$fx" 2>"$work/build.log" | tail -1) ||
	{ cat "$work/build.log"; echo "FAIL: build-fixtures.sh"; exit 1; }
bash "$repo/tests/fixtures/build-fixtures.sh" --compress xz --no-depmod "$work/fx-xz" >/dev/null 2>>"$work/build.log"
bash "$repo/tests/fixtures/build-fixtures.sh" --compress zst --no-depmod "$work/fx-zst" >/dev/null 2>>"$work/build.log"
dir=$fx/lib/modules/$KVER
mods=$dir/kernel/drivers/kmodx
state=$work/state
export KMODX_BACKEND=sim:$state
conf=$work/conf
mkdir -p "$conf"
P=(-d "$fx" -S "$KVER" -C "$conf")

pass=0 fail=0
# expect RC STDOUT STDERR CMD... ; STDOUT/STDERR are exact texts ('' = empty).
expect() {
	local rc=$1 out=$2 err=$3; shift 3
	"$@" >"$work/out" 2>"$work/err"; local got=$?
	if [ "$got" = "$rc" ] && [ "$(cat "$work/out")" = "$out" ] && [ "$(cat "$work/err")" = "$err" ]; then
		pass=$((pass + 1)); return 0
	fi
	fail=$((fail + 1))
	echo "FAIL: $*"
	echo "  exit $got (want $rc)"
	diff <(printf '%s\n' "$out") "$work/out" | sed 's/^/  stdout /' | head -10
	diff <(printf '%s\n' "$err") "$work/err" | sed 's/^/  stderr /' | head -10
}
# loaded NAME... : exactly these modules are loaded (any order)
loaded() {
	local want got
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(lsmod | tail -n +2 | awk '{print $1}' | sort)
	if [ "$want" = "$got" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: loaded modules: want [$(echo $want)] got [$(echo $got)]"; fi
}
# column NAME REFCNT HOLDERS : one lsmod line (size not compared)
lsmod_line() {
	local got
	got=$(lsmod | awk -v n="$1" '$1 == n { $2 = ""; print }')
	if [ "$got" = "$1  $2${3:+ $3}" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: lsmod line of $1: got '$got', want '$1  $2${3:+ $3}'"; fi
}
reset_state() { rm -rf "$state" "$conf"/*; }
# lsmod_as_kmod: kmod 30's lsmod over the simulated kernel's state (its proc
# and sys/module bound over /proc and /sys/module in a private mount
# namespace) prints what kmodx's lsmod prints; holders come in the order of
# the sys/module/<m>/holders directory for both.
lsmod_as_kmod() {
	local ours theirs
	ours=$(lsmod 2>&1)
	theirs=$(unshare -m sh -c 'mount --bind "$1/proc" /proc && mount --bind "$1/sys/module" /sys/module &&
		exec /sbin/lsmod' _ "$state" 2>&1)
	if [ "$ours" = "$theirs" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: lsmod of the simulated kernel differs from kmod's over the same state"
		diff <(printf '%s\n' "$theirs") <(printf '%s\n' "$ours") | sed 's/^/  /' | head -20; fi
}

# --- dependency chain and shared dependency ------------------------------
reset_state
expect 0 '' '' modprobe "${P[@]}" kx_chain_a
loaded kx_chain_a kx_chain_b kx_chain_c
lsmod_line kx_chain_c 1 kx_chain_b
lsmod_line kx_chain_b 1 kx_chain_a
expect 0 '' '' modprobe "${P[@]}" kx_chain_a
expect 1 '' "modprobe: ERROR: could not insert 'kx_chain_a': Module already in kernel" \
	modprobe "${P[@]}" --first-time kx_chain_a
expect 1 '' 'rmmod: ERROR: Module kx_chain_b is in use by: kx_chain_a' rmmod kx_chain_b
expect 1 '' 'modprobe: FATAL: Module kx_chain_c is in use.' modprobe "${P[@]}" -r kx_chain_c
expect 0 "rmmod kx_chain_a
rmmod kx_chain_b
rmmod kx_chain_c" '' modprobe "${P[@]}" -r -v kx_chain_a
loaded
expect 0 '' '' modprobe "${P[@]}" -r kx_chain_a
expect 1 '' 'modprobe: FATAL: Module kx_chain_a is not in kernel.' modprobe "${P[@]}" -r --first-time kx_chain_a
expect 1 '' 'rmmod: ERROR: Module kx_chain_a is not currently loaded' rmmod kx_chain_a
# A built-in module is decided from the indexes alone, as kmod 30 does
# (`modprobe -n -r ext4` prints the same): the backend is not even opened.
KMODX_BACKEND=bogus expect 1 '' 'modprobe: FATAL: Module ext4 is builtin.' modprobe "${P[@]}" -r ext4

# --wait on a module that stays in use: bounded, and the failure is reported.
expect 0 '' '' modprobe "${P[@]}" kx_chain_a
start=$(date +%s%N)
expect 1 '' "modprobe: ERROR: could not remove 'kx_chain_c': Resource temporarily unavailable" \
	modprobe "${P[@]}" -r -w 300 kx_chain_c
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $elapsed -ge 250 ] && [ $elapsed -lt 3000 ]; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL: --wait 300 took $elapsed ms"; fi
expect 0 '' '' modprobe "${P[@]}" -r kx_chain_a

# The diamond: kmod leaves kx_base loaded (checked once, while held);
# kmodx removes every dependency left unused.
expect 0 '' '' modprobe "${P[@]}" kx_top
holders=$(lsmod | awk '$1 == "kx_base" { print $4 }' | tr , '\n' | sort | paste -sd,)
lsmod_line kx_base 2 "$(lsmod | awk '$1 == "kx_base" { print $4 }')"
if [ "$holders" = kx_left,kx_right ]; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL: holders of kx_base: got '$holders', want kx_left and kx_right"; fi
lsmod_as_kmod
expect 0 '' '' modprobe "${P[@]}" -a kx_chain_a kx_ns_import kx_params
lsmod_as_kmod
expect 0 '' '' modprobe "${P[@]}" -r -a kx_chain_a kx_ns_import kx_params
expect 0 '' '' modprobe "${P[@]}" -r kx_top
loaded

# --- a stale modules.dep: kx_base.ko deleted without running depmod -----------
# As kmod 30: libkmod reports the missing file and drops kx_top's dependency
# list, so only kx_top is tried, and it fails on its unknown symbols; nothing
# is left loaded ahead of it.
reset_state
stale=$work/stale
mkdir -p "$stale/lib/modules"
cp -a "$dir" "$stale/lib/modules/"
rm "$stale/lib/modules/$KVER/kernel/drivers/kmodx/diamond/kx_base.ko"
"$kmodx" modprobe -d "$stale" -S "$KVER" -C "$conf" -v kx_top >"$work/out" 2>"$work/err"
rc=$?
if [ $rc = 1 ] && [ "$(cat "$work/out")" = "insmod $stale/lib/modules/$KVER/kernel/drivers/kmodx/diamond/kx_top.ko " ] &&
	[ "$(grep -c "kmod_module_parse_depline() ctx=0x[0-9a-f]* path=$stale/lib/modules/$KVER/kernel/drivers/kmodx/diamond/kx_base.ko error=No such file or directory" "$work/err")" = 2 ] &&
	grep -q "could not insert 'kx_top': Unknown symbol in module" "$work/err"; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL: loading from a stale modules.dep (exit $rc)"; cat "$work/out" "$work/err"; fi
loaded
"$kmodx" modprobe -d "$stale" -S "$KVER" -C "$conf" --parallel=2 -a kx_top kx_left >/dev/null 2>"$work/err"
[ $? = 1 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --parallel from a stale modules.dep"; cat "$work/err"; }
loaded

# --- softdeps, aliases, blacklist -----------------------------------------
reset_state
# modules.softdep has two lines for kx_softdep; as in kmod only the first counts.
expect 0 '' '' modprobe "${P[@]}" kx_softdep
loaded kx_softdep kx_right kx_base
reset_state
echo 'softdep kx_chain_c post: kx_chain_a' >"$conf/loop.conf"
expect 0 '' '' modprobe "${P[@]}" kx_chain_c
loaded kx_chain_a kx_chain_b kx_chain_c
reset_state
echo 'weakdep kx_chain_c kx_base kx_info' >"$conf/weak.conf"
expect 0 '' '' modprobe "${P[@]}" kx_chain_c
loaded kx_chain_c
reset_state
echo 'blacklist kx_pci' >"$conf/bl.conf"
expect 0 '' '' modprobe "${P[@]}" kx-pci-alias
loaded
expect 0 '' '' modprobe "${P[@]}" -b kx_pci
loaded
expect 0 '' '' modprobe "${P[@]}" kx_pci
loaded kx_pci
reset_state
expect 0 'kx_pci
kx_usb' '' modprobe "${P[@]}" -R kx-shared
expect 1 '' "modprobe: FATAL: Module nothing_here not found in directory $dir" modprobe "${P[@]}" nothing_here
expect 0 '' '' modprobe "${P[@]}" unix

# --- module files as arguments (modprobe_module_from_abspath/_relpath) ----------
reset_state
(cd "$mods/chain" && expect 0 "insmod $mods/chain/./kx_chain_c.ko " '' modprobe "${P[@]}" -v ./kx_chain_c.ko)
# A path still takes its dependencies from modules.dep by the module's name.
expect 0 '' '' modprobe "${P[@]}" "$mods/chain/kx_chain_a.ko"
loaded kx_chain_a kx_chain_b kx_chain_c
expect 1 '' "modprobe: FATAL: Failed to get module from path ./nothing.ko: No such file or directory" \
	modprobe "${P[@]}" ./nothing.ko
expect 0 "$(modprobe "${P[@]}" --show-exports kx_chain_b)" '' modprobe "${P[@]}" --show-exports "$mods/chain/kx_chain_b.ko"
grep -qP '^0x[0-9a-f]{8}\tkx_chain_b_value$' "$work/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --show-exports"; }

# --- options, parameters ---------------------------------------------------
reset_state
echo 'options kx_params p_uint=9' >"$conf/opt.conf"
printf 'BOOT_IMAGE=/vmlinuz kx_params.p_int=7 quiet\n' >"$work/cmdline"
KMODX_PROC_CMDLINE=$work/cmdline expect 0 "insmod $mods/kx_params.ko p_uint=9 p_int=7 p_long=-1" '' \
	modprobe "${P[@]}" -v kx_params p_long=-1
for p in p_uint:9 p_int:7 p_long:-1; do
	got=$(cat "$state/sys/module/kx_params/parameters/${p%%:*}" 2>/dev/null)
	if [ "$got" = "${p#*:}" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: parameter ${p%%:*} = '$got'"; fi
done
expect 0 '' '' rmmod kx_params
expect 1 '' "modprobe: ERROR: could not insert 'kx_params': Invalid argument" modprobe "${P[@]}" kx_params p_int=abc
expect 1 '' "insmod: ERROR: could not insert module $mods/kx_params.ko: Invalid parameters" \
	insmod "$mods/kx_params.ko" p_short=x12
# kstrtos16() says ERANGE, which parse_args() passes on.
expect 1 '' "insmod: ERROR: could not insert module $mods/kx_params.ko: Numerical result out of range" \
	insmod "$mods/kx_params.ko" p_short=99999
loaded
# p_cb is declared with module_param_cb (its own ops, no parmtype=): the
# kernel knows it from __param and runs its setter; the simulation accepts
# the value as given, and never calls it unknown.
expect 0 '' '' modprobe "${P[@]}" kx_params p_cb=21 kx_nosuch_param=1
got=$(cat "$state/sys/module/kx_params/parameters/p_cb" 2>/dev/null)
if [ "$got" = 21 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: parameter p_cb = '$got'"; fi
if grep -q "unknown parameter 'kx_nosuch_param' ignored" "$state/dmesg" && ! grep -q "'p_cb'" "$state/dmesg"; then
	pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: dmesg after p_cb:"; cat "$state/dmesg"; fi
expect 0 '' '' rmmod kx_params
# The same on Debian's loop.ko, whose max_loop is such a parameter.
env_text=$(bash "$here/debian-full-trees.sh") || { echo "FAIL: cannot prepare the Debian trees"; exit 1; }
eval "$env_text"
deb=$work/deb
# shellcheck source=../lib/indexed-copy.sh
. "$here/../lib/indexed-copy.sh"
# shellcheck disable=SC2154
indexed_copy "$ROOT_amd64_plain" "$KVER_amd64" "$deb" || { echo "FAIL: depmod on the Debian tree"; exit 1; }
reset_state
expect 0 '' '' modprobe -d "$deb" -S "$KVER_amd64" -C "$conf" loop max_loop=abc max_part=3
for p in max_loop:abc max_part:3; do
	got=$(cat "$state/sys/module/loop/parameters/${p%%:*}" 2>/dev/null)
	if [ "$got" = "${p#*:}" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: loop parameter ${p%%:*} = '$got'"; fi
done
if ! grep -qs "unknown parameter" "$state/dmesg"; then pass=$((pass + 1)); else
	fail=$((fail + 1)); echo "FAIL: loop's parameters called unknown:"; cat "$state/dmesg"; fi
expect 0 '' '' rmmod loop
expect 1 '' "modprobe: ERROR: could not insert 'loop': Invalid argument" \
	modprobe -d "$deb" -S "$KVER_amd64" -C "$conf" loop max_part=abc
loaded

# --- install and remove commands --------------------------------------------
reset_state
cat >"$conf/cmd.conf" <<EOF
install kx_chain_c echo INSTALL \$CMDLINE_OPTS; modprobe -d $fx -S $KVER --ignore-install kx_chain_c \$CMDLINE_OPTS
remove kx_chain_c echo REMOVE; modprobe -d $fx -S $KVER -r --ignore-remove kx_chain_c
install kx_info false
EOF
expect 0 'INSTALL x=1' '' modprobe "${P[@]}" kx_chain_c x=1
loaded kx_chain_c
expect 0 'REMOVE' '' modprobe "${P[@]}" -r kx_chain_c
loaded
expect 1 '' "modprobe: ERROR: ../libkmod/libkmod-module.c:1047 command_do() Error running install command 'false' for module kx_info: retcode 1
modprobe: ERROR: could not insert 'kx_info': Invalid argument" modprobe "${P[@]}" kx_info

# --- insmod: compressed files, unknown symbols, vermagic, init, exit ------------
# insmod has no -d/-S: a simulated kernel keeps the module directory it was
# first opened with, so open it with modprobe's first.
reset_state
expect 0 '' '' modprobe "${P[@]}" -r kx_chain_c
expect 0 '' '' insmod "$work/fx-xz/lib/modules/$KVER/kernel/drivers/kmodx/chain/kx_chain_c.ko.xz"
expect 0 '' '' insmod "$work/fx-zst/lib/modules/$KVER/kernel/drivers/kmodx/chain/kx_chain_b.ko.zst"
loaded kx_chain_b kx_chain_c
expect 1 '' "insmod: ERROR: could not insert module $mods/diamond/kx_top.ko: Unknown symbol in module" \
	insmod "$mods/diamond/kx_top.ko"
grep -q 'Unknown symbol' "$state/dmesg" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no Unknown symbol in dmesg"; }
python3 - "$mods/misc/kx_info.ko" "$work/kx_badmagic.ko" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
i = data.index(b'vermagic=') + len(b'vermagic=')
data[i:i+3] = b'9.9'
open(sys.argv[2], 'wb').write(data)
PY
expect 1 '' "insmod: ERROR: could not insert module $work/kx_badmagic.ko: Invalid module format" insmod "$work/kx_badmagic.ko"
expect 0 '' '' insmod --force-vermagic "$work/kx_badmagic.ko"
echo 'kx_fail_init 19' >"$state/init-errors"
expect 1 '' "modprobe: ERROR: could not insert 'kx_fail_init': No such device" modprobe "${P[@]}" kx_fail_init
expect 0 '' '' modprobe "${P[@]}" kx_noexit
grep -q '^kx_noexit .*\[permanent\]' "$state/proc/modules" && pass=$((pass + 1)) ||
	{ fail=$((fail + 1)); echo "FAIL: kx_noexit not [permanent] in proc/modules"; }
expect 1 '' "rmmod: ERROR: ../libkmod/libkmod-module.c:856 kmod_module_remove_module() could not remove 'kx_noexit': Device or resource busy
rmmod: ERROR: could not remove module kx_noexit: Device or resource busy" rmmod kx_noexit

# --- a locked or corrupt state directory -----------------------------------------
flock "$state/lock" sleep 5 &
holder=$!
sleep 0.3
KMODX_SIM_LOCK_TIMEOUT_MS=200 expect 1 '' \
	"modprobe: ERROR: $state/lock: the simulated kernel is locked by another command (waited 200 ms)
modprobe: ERROR: $state/lock: the simulated kernel is locked by another command (waited 200 ms)
modprobe: ERROR: could not insert 'kx_base': Resource temporarily unavailable" \
	modprobe "${P[@]}" kx_base
kill $holder 2>/dev/null; wait $holder 2>/dev/null
cp "$state/modules" "$work/modules.good"
echo 'garbage line' >>"$state/modules"
# the garbage is the last line (the fixtures taint the kernel: a "tainted" line comes first)
expect 1 '' "lsmod: ERROR: $state/modules:$(wc -l <"$state/modules"): corrupt simulated kernel state: expected 'module NAME ...'
lsmod: ERROR: could not get list of modules: Bad message" lsmod
cp "$work/modules.good" "$state/modules"

# --- review findings: softdep cycles on removal, -r -D, FIFOs, bad backends ------
reset_state
printf 'softdep kx_chain_c post: kx_base\nsoftdep kx_base post: kx_chain_c\n' >"$conf/cycle.conf"
expect 0 '' '' modprobe "${P[@]}" kx_chain_c
expect 0 '' '' modprobe "${P[@]}" -r kx_chain_c
loaded
# -D: nothing is loaded, yet every step is shown (post-softdep first).
expect 0 'rmmod kx_base
rmmod kx_chain_c' '' modprobe "${P[@]}" -r -D kx_chain_c
rm "$conf/cycle.conf"
mkfifo "$work/fifo.ko"
expect 1 '' "insmod: ERROR: could not insert module $work/fifo.ko: Invalid parameters" \
	timeout 5 insmod "$work/fifo.ko"
expect 1 '' "insmod: ERROR: could not load module $work/: No such file or directory" insmod "$work/"
KMODX_BACKEND=bogus expect 1 '' '' modprobe -q "${P[@]}" kx_base

# --- lsmod, usage errors -------------------------------------------------------
expect 1 '' 'lsmod: ERROR: too many arguments provided.' lsmod x
expect 1 '' 'insmod: ERROR: missing filename.' insmod
expect 1 '' 'rmmod: ERROR: missing module name.' rmmod
expect 1 '' 'modprobe: ERROR: missing parameters. See -h.' modprobe
expect 1 '' "modprobe: ERROR: unexpected wait value 'x'." modprobe -w x -r kx_chain_a

echo "modprobe-sim: $pass passed, $fail failed"
[ $fail -eq 0 ]
