#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kmodx's libkmod.so.2 against Debian's libkmod2 (kmod 30), through a C
# program built against Debian's <libkmod.h> (libkmod-dev): api-dump.c,
# run once with each library, must print the same bytes. Over
#   * the fixture tree, with a modprobe.d that has every kind of entry,
#     every module's lookups, dependencies, softdeps, options, commands,
#     dry-run probes with print_action/run_install, info, versions, symbols
#     and needed symbols, indexes loaded and not, and the error paths;
#   * a copy of the fixture tree whose modules.dep names a deleted file
#     (libkmod's error messages through kmod_set_log_fn);
#   * one context shared by four threads (kmodx's library only): each sees
#     what one thread alone sees;
#   * Debian's amd64 tree (indexes by kmodx's depmod): every module name,
#     600 aliases of modules.alias, symbol: names and built-in modules,
#     every module's file read.
# Nothing is loaded: every probe is a dry run, but for those whose every step
# is an install command, which go to api-dump's run_install (a dry run shows
# that first).
#
# Usage: libkmod-diff.sh BUILD_DIR
set -uo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(realpath "$1")
ours=$build/libkmod
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi
[ -f /usr/include/libkmod.h ] || { echo "FAIL: Debian's libkmod-dev is not installed"; exit 1; }
[ -e "$ours/libkmod.so.2" ] || { echo "FAIL: $ours/libkmod.so.2 was not built"; exit 1; }

gcc -std=gnu11 -Wall -Werror -o "$work/api-dump" "$here/api-dump.c" -lkmod || { echo "FAIL: api-dump.c"; exit 1; }
# Each library really is the one loaded. (ldd's output is taken whole: grep
# -q leaving early would fail the pipe.)
debian_ldd=$(ldd "$work/api-dump")
grep -Eq 'libkmod\.so\.2 => (/usr)?/lib/x86_64-linux-gnu/libkmod\.so\.2' <<<"$debian_ldd" ||
	{ echo "FAIL: api-dump does not load Debian's libkmod.so.2"; exit 1; }
kmodx_ldd=$(LD_LIBRARY_PATH=$ours ldd "$work/api-dump")
grep -q "$ours/libkmod.so.2" <<<"$kmodx_ldd" || { echo "FAIL: LD_LIBRARY_PATH=$ours does not load kmodx's libkmod.so.2"; exit 1; }

pass=0 fail=0
# compare NAME ARGS...: api-dump's output with Debian's and with kmodx's library.
compare() {
	local name=$1; shift
	"$work/api-dump" "$@" >"$work/$name.debian" 2>&1
	local rc_debian=$?
	LD_LIBRARY_PATH=$ours timeout 600 "$work/api-dump" "$@" >"$work/$name.kmodx" 2>&1
	local rc_kmodx=$?
	# Pointers differ from run to run (libkmod prints its context's address).
	sed -i 's/0x[0-9a-f]\{6,\}/PTR/g' "$work/$name.debian" "$work/$name.kmodx"
	if [ $rc_debian -eq $rc_kmodx ] && cmp -s "$work/$name.debian" "$work/$name.kmodx"; then
		pass=$((pass + 1))
		echo "ok: $name ($(wc -l <"$work/$name.debian") lines, exit $rc_debian)"
	else
		fail=$((fail + 1))
		echo "FAIL: $name: exit $rc_debian (Debian) / $rc_kmodx (kmodx)"
		diff -u "$work/$name.debian" "$work/$name.kmodx" | head -30
	fi
}

# ---- the fixture tree
KVER=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$work/fx" 2>"$work/fixtures.log" | tail -1) ||
	{ cat "$work/fixtures.log"; echo "FAIL: build-fixtures.sh"; exit 1; }
dir=$work/fx/lib/modules/$KVER
mkdir -p "$work/conf"
cat >"$work/conf/kmodx-test.conf" <<'EOF'
alias my-chain kx_chain_a
alias kx_pci_* kx_usb
alias my-builtin ext4
options kx_params p_int=5 p_str=hello
options kx_chain_b  opt_b=1
options my-chain from_alias=1
install kx_info /bin/true $CMDLINE_OPTS
remove kx_info /bin/false
softdep kx_chain_c pre: kx_params post: kx_info
softdep kx_top pre: no-such-softdep post: kx_chain_c
blacklist kx_signed
blacklist kx_usb
blacklist kx_chain_b
EOF
{
	cut -d: -f1 "$dir/modules.dep" | sed 's|.*/||; s|\.ko.*||'
	awk '{print $2}' "$dir/modules.alias"
	printf '%s\n' my-chain my-builtin no-such symbol:kx_chain_c_value symbol:nothing ext4 unix net-pf-1 kx-usb
	echo --load-resources
	cut -d: -f1 "$dir/modules.dep" | sed 's|.*/||; s|\.ko.*||'
	printf '%s\n' my-chain kx-pci-anything
} >"$work/fx-names"
compare fixtures "$dir" "$work/conf" "$work/fx-names" --files "$dir/kernel/drivers/kmodx/misc/kx_info.ko"

# ---- one context shared by four threads (kmodx's library only: libkmod's
# contexts are one thread's)
gcc -std=gnu11 -Wall -Werror -pthread -o "$work/threads" "$here/threads.c" -lkmod || { echo "FAIL: threads.c"; exit 1; }
grep -v -- --load-resources "$work/fx-names" >"$work/thread-names"
if LD_LIBRARY_PATH=$ours timeout 600 "$work/threads" "$dir" "$work/thread-names" 4 20 >"$work/threads.out" 2>&1 &&
	grep -q '^threads: same' "$work/threads.out"; then
	pass=$((pass + 1)); echo "ok: $(cat "$work/threads.out")"
else
	fail=$((fail + 1)); echo "FAIL: a shared context"; head -5 "$work/threads.out"
fi

# ---- a stale modules.dep: libkmod's messages through the log function
cp -a "$work/fx" "$work/stale"
rm "$work/stale/lib/modules/$KVER/kernel/drivers/kmodx/chain/kx_chain_c.ko"
printf '%s\n' kx_chain_a kx_chain_b kx_chain_c >"$work/stale-names"
compare stale-dep "$work/stale/lib/modules/$KVER" "$work/conf" "$work/stale-names" --files

# ---- Debian's amd64 tree
eval "$(bash "$repo/tests/cli/debian-full-trees.sh")" || { echo "FAIL: debian-full-trees.sh"; exit 1; }
deb_root=$ROOT_amd64_plain
deb_kver=$KVER_amd64
out=$work/deb
"$build/kmodx" depmod -b "$deb_root" -o "$out" "$deb_kver" || { echo "FAIL: kmodx depmod of Debian's tree"; exit 1; }
deb_dir=$out/lib/modules/$deb_kver
# The indexes in their own directory, the modules reached through links.
for f in kernel modules.builtin modules.builtin.modinfo modules.order; do
	ln -s "$deb_root/lib/modules/$deb_kver/$f" "$deb_dir/$f"
done
{
	cut -d: -f1 "$deb_dir/modules.dep" | sed 's|.*/||; s|\.ko.*||'
	awk 'NR % 25 == 0 {print $2}' "$deb_dir/modules.alias" | head -600
	awk 'NR % 40 == 0 {print $2}' "$deb_dir/modules.symbols" | head -100
	sed 's|.*/||; s|\.ko$||' "$deb_root/lib/modules/$deb_kver/modules.builtin" | head -100
	echo --load-resources
	awk 'NR % 25 == 12 {print $2}' "$deb_dir/modules.alias" | head -300
} >"$work/deb-names"
[ "$(grep -c . "$work/deb-names")" -ge 4500 ] || { echo "FAIL: too few names from Debian's tree"; exit 1; }
compare debian-amd64 "$deb_dir" "$work/conf" "$work/deb-names" --files

echo "libkmod-diff: $pass passed, $fail failed"
[ $fail -eq 0 ]
