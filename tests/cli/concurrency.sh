#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Concurrency: what happens when kmodx commands run at the same time.
#
#  1. Four depmod runs at once on one tree (Debian's cloud tree), five
#     rounds: afterwards the database is exactly what one run writes, and
#     no temporary file is left.
#  2. modprobe and modinfo while depmod rewrites the indexes: depmod
#     alternates between two configurations (with and without the sound/ and
#     net/ modules) while readers look up a module and an alias that exist
#     in only one of them. Every answer must be, byte for byte, the answer
#     of one of the two databases; a torn or mixed-up index would give
#     something else, or a "damaged index" warning.
#  3. The sim backend's state under concurrent modprobe, modprobe -r,
#     insmod, rmmod and lsmod from five workers: every command either
#     succeeds or fails the way it can on a real kernel when another
#     process changes the module set between modprobe's look and its action
#     (a module in use, or taken into use between modprobe -r's look and
#     its removal: "Resource temporarily unavailable"; a dependency removed
#     after modprobe saw it loaded: "Unknown symbol in module"; a module
#     another worker's modprobe -r removed as an unused dependency, either
#     before this modprobe -r looked ("is not in kernel") or between
#     its look and its removal: the kernel's ENOENT, "No such file or
#     directory"); at the end the state loads, its refcounts match its
#     holders, and removing everything leaves it empty.
#
# Usage: concurrency.sh KMODX INDEX_TOOL
# Environment: KMODX_CONCURRENCY_ROUNDS (default 40: depmod rewrites in 2,
# operations per worker in 3); KEEP=1 keeps the work directory.
set -uo pipefail
export LC_ALL=C
unset MODPROBE_OPTIONS KMOD_LOG

[ $# -eq 2 ] || { echo "usage: $0 KMODX INDEX_TOOL" >&2; exit 2; }
kmodx=$(realpath "$1")
itool=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=${KMODX_CONCURRENCY_ROUNDS:-40}
work=$(mktemp -d /tmp/concurrency.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/bin"
for t in depmod modprobe modinfo insmod rmmod lsmod; do ln -s "$kmodx" "$work/bin/$t"; done
export PATH=$work/bin:$PATH

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
temporaries() { ls "$1" | grep -E '^modules\..*\.[0-9]+\.[0-9]+\.[0-9]+$'; }

eval "$(bash "$here/debian-full-trees.sh")" || { echo "FAIL: debian-full-trees.sh"; exit 1; }
R=$work/root
cp -al "$ROOT_cloud_plain" "$R"
KV=$KVER_cloud
M=$R/lib/modules/$KV
mkdir -p "$work/conf-new" "$work/conf-old"
echo "exclude sound net" >"$work/conf-old/old.conf"
outputs=(modules.dep modules.dep.bin modules.alias modules.alias.bin modules.symbols modules.symbols.bin
	modules.softdep modules.weakdep modules.devname modules.builtin.bin modules.builtin.alias.bin)
save_db() { mkdir -p "$1" && for f in "${outputs[@]}"; do cp "$M/$f" "$1/"; done; }
same_db() { local f; for f in "${outputs[@]}"; do cmp -s "$M/$f" "$1/$f" || return 1; done; }

# ---------------------------------------------------------------- 1
depmod -b "$R" -C "$work/conf-old" "$KV" 2>/dev/null && save_db "$work/old"
depmod -b "$R" -C "$work/conf-new" "$KV" 2>/dev/null && save_db "$work/new"
for round in 1 2 3 4 5; do
	cp "$work"/old/* "$M/"
	for j in 1 2 3 4; do depmod -b "$R" -C "$work/conf-new" "$KV" 2>"$work/depmod.$j.err" & done
	wait
	if same_db "$work/new" && [ -z "$(temporaries "$M")" ] && ! grep -q . "$work"/depmod.*.err; then
		ok "four depmods at once, round $round: the database of one run"
	else
		bad "four depmods at once, round $round: $(temporaries "$M" | tr '\n' ' ') $(cat "$work"/depmod.*.err | head -3)"
	fi
done

# ---------------------------------------------------------------- 2
# A module and an alias found only in the new database: the first module
# of net/ that has an alias.
probe_mod= probe_alias=
for m in $(sed -n 's|^kernel/net/.*/\([^/]*\)\.ko:.*|\1|p' "$work/new/modules.dep"); do
	probe_alias=$(awk -v m="${m//-/_}" '$1 == "alias" && $3 == m && $2 !~ /[*?[]/ { print $2; exit }' "$work/new/modules.alias")
	[ -n "$probe_alias" ] && { probe_mod=$m; break; }
done
[ -n "$probe_mod" ] || { bad "no net module with a plain alias in the cloud tree"; probe_mod=x probe_alias=x; }
readers=(
	"modprobe -d $R -S $KV -D $probe_mod"
	"modprobe -d $R -S $KV -R $probe_alias"
	"modinfo -b $R -k $KV -F filename $probe_mod"
)
# The answers of each database, to compare with.
for db in old new; do
	cp "$work/$db"/* "$M/"
	for i in "${!readers[@]}"; do
		${readers[$i]} >"$work/answer.$db.$i" 2>&1
		echo "exit $?" >>"$work/answer.$db.$i"
	done
done
cmp -s "$work/answer.old.0" "$work/answer.new.0" && bad "the two databases give the same answers: the check would see nothing"
(
	for i in $(seq "$rounds"); do
		depmod -b "$R" -C "$work/conf-old" "$KV" 2>/dev/null
		depmod -b "$R" -C "$work/conf-new" "$KV" 2>/dev/null
	done
	touch "$work/writer-done"
) &
seen_old=0 seen_new=0 torn=0 reads=0
while [ ! -e "$work/writer-done" ]; do
	for i in "${!readers[@]}"; do
		${readers[$i]} >"$work/got" 2>&1
		echo "exit $?" >>"$work/got"
		reads=$((reads + 1))
		if cmp -s "$work/got" "$work/answer.old.$i"; then seen_old=$((seen_old + 1))
		elif cmp -s "$work/got" "$work/answer.new.$i"; then seen_new=$((seen_new + 1))
		else
			torn=$((torn + 1))
			[ $torn -le 3 ] && { echo "  unexpected answer to ${readers[$i]}:"; sed 's/^/  | /' "$work/got" | head -5; }
		fi
	done
done
wait
echo "readers during $((2 * rounds)) depmod rewrites: $reads answers, $seen_old from the old database, $seen_new from the new, $torn other"
if [ $torn -eq 0 ] && [ $seen_old -gt 0 ] && [ $seen_new -gt 0 ]; then
	ok "modprobe and modinfo never read a torn index"
else
	bad "readers during rewrites: $torn unexpected answers (old $seen_old, new $seen_new)"
fi
[ -z "$(temporaries "$M")" ] && ok "no temporaries after the rewrites" || bad "temporaries left: $(temporaries "$M")"

# ---------------------------------------------------------------- 3
fx=$work/fx
FKV=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$fx" 2>"$work/build.log" | tail -1) ||
	{ cat "$work/build.log"; bad "build-fixtures.sh"; exit 1; }
export KMODX_BACKEND=sim:$work/state
P=(-d "$fx" -S "$FKV")
kx=$(find "$fx/lib/modules/$FKV" -name kx_params.ko)
# Each worker repeats one load and one unload; they share kx_left, kx_base
# and the lock. A failure is accepted only when it is one of the races
# described at the top.
worker() { # name load-command... -- unload-command...
	local name=$1 n=0; shift
	local load=() unload=()
	while [ "$1" != -- ]; do load+=("$1"); shift; done
	shift
	unload=("$@")
	for n in $(seq "$rounds"); do
		for cmd in load unload; do
			local -n c=$cmd
			if ! "${c[@]}" >/dev/null 2>"$work/w.$name.err"; then
				echo 1 >>"$work/w.$name.count"
				grep -qE "is in use|in use by|Resource temporarily unavailable|Unknown symbol in module|is not in kernel|could not remove '[a-z_]+': No such file or directory" "$work/w.$name.err" ||
					{ echo "$name: ${c[*]}: $(cat "$work/w.$name.err")" >>"$work/worker-failures"; }
			fi
		done
	done
}
lsmod_worker() {
	for n in $(seq $((rounds * 4))); do
		lsmod >"$work/lsmod.out" 2>&1 || echo "lsmod: $(cat "$work/lsmod.out")" >>"$work/worker-failures"
	done
}
: >"$work/worker-failures"
# The state directory takes its kernel release from the first command that
# opens it; insmod and rmmod have no -d/-S, so modprobe goes first.
modprobe "${P[@]}" kx_base && modprobe "${P[@]}" -r kx_base
worker chain modprobe "${P[@]}" kx_chain_a -- modprobe "${P[@]}" -r kx_chain_a &
worker diamond modprobe "${P[@]}" kx_top -- modprobe "${P[@]}" -r kx_top &
worker left modprobe "${P[@]}" kx_left -- modprobe "${P[@]}" -r kx_left &
worker params insmod "$kx" p_int=3 -- rmmod kx_params &
lsmod_worker &
wait
if [ -s "$work/worker-failures" ]; then
	bad "sim workers: unexpected failures:"; head -5 "$work/worker-failures" | sed 's/^/  | /'
else
	ok "sim workers: $((rounds * 8)) loads and unloads and $((rounds * 4)) lsmods, $(cat "$work"/w.*.count 2>/dev/null | wc -l) failures, each a race a kernel has too"
fi
# The state loads; each refcount equals the number of holders listed.
if lsmod >"$work/lsmod.final" 2>&1 && awk 'NR > 1 { n = ($4 == "") ? 0 : split($4, h, ","); if ($3 != n) bad = 1 } END { exit bad }' "$work/lsmod.final"; then
	ok "sim state after the workers: readable, refcounts match holders"
else
	bad "sim state after the workers:"; sed 's/^/  | /' "$work/lsmod.final" | head -10
fi
for m in kx_top kx_left kx_chain_a; do modprobe "${P[@]}" -r "$m" 2>/dev/null; done
rmmod kx_params 2>/dev/null
if [ "$(lsmod | wc -l)" = 1 ]; then ok "sim state empties"; else bad "modules left: $(lsmod | tail -n +2 | awk '{print $1}' | tr '\n' ' ')"; fi

echo "concurrency: $pass passed, $fail failed"
[ $fail -eq 0 ]
