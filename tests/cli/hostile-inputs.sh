#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The hostile-input corpus: broken, lying and oversized inputs given to
# modinfo, depmod and modprobe. One check per case. Each check runs kmodx
# under a time limit (and, for a plain build, a 3 GiB address-space limit)
# and requires:
#   - no crash, no sanitizer report, no hang;
#   - the expected exit status, and stderr matching the expected message,
#     which names the file (or module) and says what is wrong;
#   - for depmod: no temporary file left, and on failure the previous
#     database untouched;
# and then runs Debian's kmod 30 on the same input, in the same place,
# to check the case's claim about kmod:
#   same         kmod prints the same stdout and stderr and exits the same
#   exit         kmod exits the same; its message differs (a documented
#                difference, or kmod's message says less)
#   kmod-breaks  kmod crashes (a signal) or does not finish in time
#   ours         kmod 30 differs on purpose (kmod master's behaviour; see
#                README, Compatibility); not run
# Temporary file names (<file>.<pid>.<usec>.<sec>) are masked before
# comparing.
#
# Usage: hostile-inputs.sh KMODX INDEX_TOOL
# Environment: KEEP=1 keeps the work directory; ONLY=REGEX runs matching
# case ids only.
set -uo pipefail
export LC_ALL=C
unset MODPROBE_OPTIONS KMOD_LOG

[ $# -eq 2 ] || { echo "usage: $0 KMODX INDEX_TOOL" >&2; exit 2; }
kmodx=$(realpath "$1")
itool=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/hostile.XXXXXX)
chmod 755 "$work"
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi

# kmodx's limit is generous (a sanitized build is slow); kmod gets enough for
# its slowest sane case (decompressing the xz bomb) and is called hung after.
# Where the case claims that kmod hangs (it blocks on a FIFO or loops), a
# shorter wait settles the claim: a correct kmod answers these at once.
TIME_LIMIT_OURS=60 TIME_LIMIT_KMOD=30 TIME_LIMIT_KMOD_HANGS=10
# A sanitized build reserves terabytes of address space for its shadow
# memory; only a plain build gets the address-space limit.
memlimit=$((3 << 20))
grep -q __asan_init "$kmodx" && memlimit=

mkdir -p "$work/ours" "$work/kmod"
for t in modinfo depmod modprobe; do
	ln -s "$kmodx" "$work/ours/$t"
	ln -s "$(command -v kmod)" "$work/kmod/$t"
done

# ---------------------------------------------------------------- inputs
C=$work/corpus
mkdir -p "$C"
synth() { python3 "$repo/tests/tools/synth-module.py" "$@"; }
synth "$C/base.ko" '{"modinfo": ["license=GPL", "alias=pci:v00001234d*", "depends=", "vermagic=6.1.0 SMP mod_unload"],
	"exports": ["hc_export"], "needs": ["printk", "hc_other"], "versions": {"printk": 305419896, "module_layout": 1}}'
synth "$C/other.ko" '{"modinfo": ["license=GPL"], "exports": ["hc_other"]}'
build_fixture() { bash "$repo/tests/fixtures/build-fixtures.sh" --no-depmod "$work/fx" 2>"$work/fx.log" | tail -1; }
fxkver=$(build_fixture) || { cat "$work/fx.log"; echo "FAIL: build-fixtures.sh"; exit 1; }
signed=$(find "$work/fx/lib/modules/$fxkver" -name kx_signed.ko)
python3 "$repo/tests/hostile/make-corpus.py" "$C" "$C/base.ko" "$signed" || { echo "FAIL: make-corpus.py"; exit 1; }
# Aliases: 64 KiB long; a byte above 0x7f.
synth "$C/alias-long.ko" "{\"modinfo\": [\"license=GPL\", \"alias=long:$(head -c 65536 /dev/zero | tr '\0' 'x')\"]}"
synth "$C/alias-non-ascii.ko" '{"modinfo": ["license=GPL", "alias=usb:caf\u00e9*"]}'
# __versions with 50,000 records (3.2 MB).
python3 -c 'import json; print(json.dumps({"modinfo": ["license=GPL"], "needs": ["printk"],
	"versions": {"sym_%05d" % i: i for i in range(50000)}}))' >"$work/versions.json"
synth "$C/versions-huge.ko" "@$work/versions.json"
# Decompression bombs: 64 MiB of zeros compressed once, the stream repeated
# 17 times (1.06 GiB, past the 1 GiB limit); streams cut in half.
head -c $((64 << 20)) /dev/zero >"$work/zeros"
for c in xz:xz zstd:zst gzip:gz; do
	prog=${c%%:*} ext=${c#*:}
	"$prog" -c "$work/zeros" >"$work/zeros.$ext"
	for _ in $(seq 17); do cat "$work/zeros.$ext"; done >"$C/bomb-$ext.ko.$ext"
	"$prog" -c "$C/base.ko" >"$work/base.$ext"
	head -c $(($(stat -c %s "$work/base.$ext") / 2)) "$work/base.$ext" >"$C/trunc-stream-$ext.ko.$ext"
done
rm -f "$work/zeros" "$work"/zeros.*
for d in dep-no-colon dep-cycle; do "$itool" build "$C/$d.dump" "$C/$d.bin"; done

# ---------------------------------------------------------------- checks
pass=0 fail=0
failed() { fail=$((fail + 1)); echo "FAIL $id: $*"; }

# run WHO OUT TOOL ARGS... : runs one side, output files OUT.{out,err,rc}
run() {
	local who=$1 out=$2; shift 2
	(
		[ "$who" = ours ] && [ -n "$memlimit" ] && ulimit -v "$memlimit"
		limit=${kmod_limit:-$TIME_LIMIT_KMOD}
		[ "$who" = ours ] && limit=$TIME_LIMIT_OURS
		cd "$work" && PATH=$work/$who:$PATH exec timeout -s KILL "$limit" "$@"
	) >"$out.out" 2>"$out.err" </dev/null
	echo $? >"$out.rc"
	# Temporary names carry a pid and a time. depmod's openat()/fstatat()
	# messages name a directory descriptor, whose number depends on what
	# the threads reading modules have open at that moment.
	sed -i -E -e 's/(modules\.[a-z.]+)\.[0-9]+\.[0-9]+\.[0-9]+/\1.PID.USEC.SEC/g' \
		-e 's/^(depmod: ERROR: (openat|fstatat|fdopendir))\([0-9]+,/\1(FD,/' "$out.err"
}

# check ID RELATION EXIT REGEX TOOL ARGS...
#   REGEX: Perl regular expression stderr must match (as a whole, /m).
check() {
	id=$1
	local relation=$2 want=$3 regex=$4
	shift 4
	if [ -n "${ONLY:-}" ] && ! [[ $id =~ $ONLY ]]; then return 0; fi
	[ -n "${pre_run:-}" ] && $pre_run
	run ours "$work/o" "$@"
	local rc
	rc=$(cat "$work/o.rc")
	local bad=
	if [ "$rc" -ge 124 ]; then bad="killed or timed out (exit $rc)"
	elif grep -qE 'Sanitizer|runtime error:' "$work/o.err"; then bad="sanitizer report"
	elif [ "$rc" != "$want" ]; then bad="exit $rc, want $want"
	elif ! RE=$regex perl -0777 -ne 'exit(/$ENV{RE}/m ? 0 : 1)' "$work/o.err"; then bad="stderr does not match /$regex/"
	fi
	[ -z "$bad" ] && [ -n "${post_run:-}" ] && bad=$($post_run "$rc")
	if [ -n "$bad" ]; then
		failed "$bad"
		sed 's/^/  ours stderr| /' "$work/o.err" | head -c 2000 | head -8
		return
	fi
	case $relation in
	ours) ;;
	*)
		[ -n "${pre_run:-}" ] && $pre_run
		local kmod_limit=$TIME_LIMIT_KMOD
		[ "$relation" = kmod-breaks ] && kmod_limit=$TIME_LIMIT_KMOD_HANGS
		run kmod "$work/k" "$@" 2>/dev/null  # (bash's own "Killed" lines)
		local krc
		krc=$(cat "$work/k.rc")
		case $relation in
		same)
			if [ "$krc" != "$rc" ] || ! cmp -s "$work/k.out" "$work/o.out" || ! cmp -s "$work/k.err" "$work/o.err"; then
				failed "kmod differs (exit $krc, ours $rc)"
				diff "$work/k.err" "$work/o.err" | head -6 | sed 's/^/  stderr kmod<>ours| /'
				diff "$work/k.out" "$work/o.out" | head -6 | sed 's/^/  stdout kmod<>ours| /'
				return
			fi
			[ -n "${compare_outputs:-}" ] && { bad=$($compare_outputs); [ -n "$bad" ] && { failed "$bad"; return; }; } ;;
		exit)
			[ "$krc" = "$rc" ] || { failed "kmod exits $krc, ours $rc"; return; } ;;
		kmod-breaks)
			[ "$krc" -ge 124 ] || { failed "kmod did not break (exit $krc): the case's claim is stale"; return; } ;;
		esac
		;;
	esac
	pass=$((pass + 1))
	echo "PASS $id"
}

# ---- modinfo on broken ELF files
Q="could not get modinfo from"
while read -r t; do
	check "modinfo-$t" same 1 "^modinfo: ERROR: $Q '${t//-/_}': Invalid argument\$" modinfo "corpus/$t.ko"
done <"$C/truncation-points"
check modinfo-shdr-offset-past-end same 1 "$Q 'shdr_offset_past_end': No such file or directory" modinfo corpus/shdr-offset-past-end.ko
check modinfo-shdr-offset-wraps same 1 "$Q 'shdr_offset_wraps': No such file or directory" modinfo corpus/shdr-offset-wraps.ko
check modinfo-4gib same 1 "$Q 'modinfo_4gib': No such file or directory" modinfo corpus/modinfo-4gib.ko
check modinfo-shoff-past-end same 1 "$Q 'shoff_past_end': Invalid argument" modinfo corpus/shoff-past-end.ko
check modinfo-shnum-lie same 1 "$Q 'shnum_lie': Invalid argument" modinfo corpus/shnum-lie.ko
check modinfo-shentsize-wrong same 1 "$Q 'shentsize_wrong': Invalid argument" modinfo corpus/shentsize-wrong.ko
# kmod 30 asserts (SIGABRT) on a section-name table index past the table.
check modinfo-shstrndx-lie kmod-breaks 1 "$Q 'shstrndx_lie': Invalid argument" modinfo corpus/shstrndx-lie.ko
# .modinfo overlapping .strtab: strings without '='; kmod 30 pads keys
# longer than 15 characters oddly (README, Compatibility).
check modinfo-shdr-overlap exit 0 '\A\z' modinfo corpus/shdr-overlap.ko
for f in symtab-entsize-zero symtab-entsize-wrong strtab-no-nul versions-4gib sig-len-past-start sig-x509-lengths-lie; do
	check "modinfo-$f" same 0 '\A\z' modinfo "corpus/$f.ko"
done
check modinfo-sig-magic-only same 1 "$Q 'sig_magic_only': Exec format error" modinfo corpus/sig-magic-only.ko
check modinfo-alias-long same 0 '\A\z' modinfo -F alias corpus/alias-long.ko
# What is wrong, with KMOD_LOG=info: the file, the section, the offset.
export KMOD_LOG=info
check modinfo-detail-shoff ours 1 "shoff-past-end\\.ko: .*section" modinfo corpus/shoff-past-end.ko
check modinfo-detail-trunc ours 1 "trunc-[0-9]+\\.ko: " modinfo "corpus/$(head -1 "$C/truncation-points").ko"
unset KMOD_LOG
# Compressed: truncated streams; kmod 30 takes a cut zstd frame's output as
# the module (then not ELF), and ignores .ko.gz (no zlib).
check modinfo-trunc-stream-xz same 1 "$Q 'trunc_stream_xz': Invalid argument" modinfo corpus/trunc-stream-xz.ko.xz
check modinfo-trunc-stream-zst exit 1 "$Q 'trunc_stream_zst': Invalid argument" modinfo corpus/trunc-stream-zst.ko.zst
check modinfo-trunc-stream-gz exit 1 "$Q 'trunc_stream_gz': Invalid argument" modinfo corpus/trunc-stream-gz.ko.gz

# ---- modprobe on module files
check show-modversions-huge same 0 '\A\z' modprobe --show-modversions corpus/versions-huge.ko
# A __versions section past the end of the file reads as none: kmod 30
# says ENOENT, kmod 31+ (and kmodx) ENODATA (README, Compatibility).
check show-modversions-4gib exit 1 'could not get modversions of corpus/versions-4gib\.ko: No data available' \
	modprobe --show-modversions corpus/versions-4gib.ko
for f in strtab-no-nul symtab-entsize-zero symtab-entsize-wrong; do
	check "show-exports-$f" same 0 '\A\z' modprobe --show-exports "corpus/$f.ko"
done

# ---- depmod on trees holding the hostile modules
KV=6.1.0-hostile
R=$work/root
M=$R/lib/modules/$KV
mkdir -p "$work/olddb"
new_tree() { # files...: a tree with base.ko and these, and empty inputs
	rm -rf "$R"
	mkdir -p "$M/kernel"
	cp "$C/base.ko" "$M/kernel/"
	local f
	for f in "$@"; do cp "$C/$f" "$M/kernel/"; done
	: >"$M/modules.order"
	: >"$M/modules.builtin"
	: >"$M/modules.builtin.modinfo"
}
outputs=(modules.dep modules.dep.bin modules.alias modules.alias.bin modules.symbols modules.symbols.bin
	modules.softdep modules.devname modules.builtin.bin modules.builtin.alias.bin)
# The database a depmod run replaces: kmod 30's, for base.ko alone, with a
# marker so that "untouched" is visible.
new_tree
"$work/kmod/depmod" -b "$R" "$KV" 2>/dev/null
for f in "${outputs[@]}"; do cp "$M/$f" "$work/olddb/"; done
echo "# old database" >>"$work/olddb/modules.dep"
restore_db() {
	rm -f "$M"/modules.*.bin "$M"/modules.dep "$M"/modules.alias "$M"/modules.symbols "$M"/modules.softdep \
		"$M"/modules.devname "$M"/modules.weakdep
	cp "$work"/olddb/* "$M/"
}
# After kmodx's run: no temporaries; on failure the old database as it was.
# The result is kept for compare_db.
db_state() {
	local rc=$1 f
	rm -rf "$work/ours-db"
	if ls "$M" | grep -qE '^modules\..*\.[0-9]+\.[0-9]+\.[0-9]+$'; then echo "temporary files left: $(ls "$M" | tr '\n' ' ')"; return; fi
	if [ "$rc" != 0 ]; then
		for f in "${outputs[@]}"; do cmp -s "$M/$f" "$work/olddb/$f" || { echo "$f changed although depmod failed"; return; }; done
	fi
	mkdir -p "$work/ours-db"
	for f in modules.dep modules.alias modules.symbols modules.softdep modules.devname; do cp "$M/$f" "$work/ours-db/"; done
	for f in modules.dep.bin modules.alias.bin modules.symbols.bin; do
		"$itool" dump "$M/$f" >"$work/ours-db/$f.dump" 2>&1
		"$itool" verify "$M/$f" >/dev/null 2>&1 || { echo "$f does not verify"; return; }
	done
}
# After kmod's run: the text outputs and the indexes' contents equal.
compare_db() {
	local f
	for f in modules.dep modules.alias modules.symbols modules.softdep modules.devname; do
		cmp -s "$M/$f" "$work/ours-db/$f" || { echo "$f differs from kmod's"; return; }
	done
	for f in modules.dep.bin modules.alias.bin modules.symbols.bin; do
		"$itool" dump "$M/$f" | cmp -s - "$work/ours-db/$f.dump" || { echo "$f content differs from kmod's"; return; }
	done
}
pre_run=restore_db post_run=db_state compare_outputs=compare_db
broken_elf=(shdr-offset-past-end.ko shdr-offset-wraps.ko modinfo-4gib.ko shoff-past-end.ko shnum-lie.ko
	shentsize-wrong.ko shdr-overlap.ko symtab-entsize-zero.ko symtab-entsize-wrong.ko strtab-no-nul.ko
	versions-4gib.ko sig-len-past-start.ko sig-x509-lengths-lie.ko sig-magic-only.ko)
while read -r t; do broken_elf+=("$t.ko"); done <"$C/truncation-points"
new_tree "${broken_elf[@]}"
check depmod-broken-elf same 0 "failed to load symbols from $M/kernel/shoff-past-end\\.ko: Invalid argument" \
	depmod -b "$R" "$KV"
new_tree shstrndx-lie.ko
check depmod-shstrndx-lie kmod-breaks 0 "failed to load symbols from $M/kernel/shstrndx-lie\\.ko: Invalid argument" \
	depmod -b "$R" "$KV"
new_tree alias-long.ko versions-huge.ko other.ko
check depmod-long-alias-huge-versions same 0 '\A\z' depmod -b "$R" "$KV"
# kmod master refuses a non-ASCII alias (kmod 30 writes it unchecked);
# kmodx does so before replacing anything.
new_tree alias-non-ascii.ko
check depmod-non-ascii-alias ours 1 "FATAL: Module index: bad character" depmod -b "$R" "$KV"
# Bombs fail fast with "File too large" (kmod 30: "Exec format error" after
# decompressing them, and no .ko.gz support); cut streams.
for ext in xz zst gz; do
	new_tree "bomb-$ext.ko.$ext"
	check "depmod-bomb-$ext" exit 0 "failed to load symbols from $M/kernel/bomb-$ext\\.ko\\.$ext: File too large" \
		depmod -b "$R" "$KV"
done
new_tree trunc-stream-xz.ko.xz
check depmod-trunc-stream-xz same 0 "failed to load symbols from $M/kernel/trunc-stream-xz\\.ko\\.xz: Invalid argument" \
	depmod -b "$R" "$KV"
new_tree trunc-stream-zst.ko.zst
check depmod-trunc-stream-zst exit 0 "failed to load symbols from $M/kernel/trunc-stream-zst\\.ko\\.zst: Invalid argument" \
	depmod -b "$R" "$KV"

# ---- depmod on odd trees and inputs
new_tree
ln -s .. "$M/kernel/loop"
# kmod follows the loop until it runs out of file descriptors, reporting
# thousands of errors and indexing base.ko under a path of 4 KiB.
check depmod-symlink-loop exit 0 "\\Adepmod: ERROR: could not open directory $M/kernel/loop: Too many levels of symbolic links\\n\\z" \
	depmod -b "$R" "$KV"
new_tree
cp "$C/modules.order-1mib" "$M/modules.order"
check depmod-order-1mib-line same 0 "modules\\.order:1 corrupted line misses" depmod -b "$R" "$KV"
new_tree
rm "$M/modules.order" && mkfifo "$M/modules.order"
check depmod-order-fifo kmod-breaks 0 "could not open modules.order at $M: Invalid argument" depmod -b "$R" "$KV"
for conf in line-1mib nul continuation search-1mib continuation-depmod; do
	new_tree
	check "depmod-config-$conf" same 0 '' depmod -C "corpus/$conf.conf" -b "$R" "$KV"
done
# A kernel version pattern whose compilation takes about 1 GiB in glibc
# (found by tests/fuzz/depmod_config): kmodx refuses to compile it. (kmod 30
# grew past 12 GB in a minute on it; not run here.)
new_tree
check depmod-config-regex-bomb ours 0 "regex-bomb\\.conf:1: kernel version pattern too complex, matches nothing" \
	depmod -C corpus/regex-bomb.conf -b "$R" "$KV"
# Text inputs past the 64 MiB limit (sparse files): refused, named.
truncate -s 65M "$C/huge.conf"
new_tree
check depmod-config-over-limit exit 0 "file parse corpus/huge\\.conf: File too large" depmod -C corpus/huge.conf -b "$R" "$KV"
new_tree
truncate -s 65M "$M/modules.order"
check depmod-order-over-limit exit 0 "could not open modules\\.order at $M: File too large" depmod -b "$R" "$KV"
# An unreadable directory, for a user who cannot read it (root reads all).
new_tree
mkdir -p "$M/kernel/secret" && cp "$C/other.ko" "$M/kernel/secret/" && chmod 000 "$M/kernel/secret"
chmod -R a+rwX "$R" 2>/dev/null; chmod 000 "$M/kernel/secret"
as_nobody_pre() { restore_db; chmod -R a+rwX "$M"; chmod 000 "$M/kernel/secret"; }
pre_run=as_nobody_pre
check depmod-unreadable-dir same 0 "openat\\(FD, secret, O_RDONLY\\): Permission denied|could not open directory .*secret: Permission denied" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups depmod -b "$R" "$KV"
chmod 755 "$M/kernel/secret"
pre_run=restore_db
# A module tree on a read-only file system: every output fails to be
# created; kmod 30 reports each and exits 0, kmodx too (nothing replaced).
new_tree
# (A private mount namespace: the read-only bind mount ends with the run.)
read_only=(unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"' _ "$M")
post_run= compare_outputs=
# (kmodx also writes modules.weakdep, which kmod 30 does not.)
check depmod-read-only-fs exit 0 "ERROR: openat\\($M, modules\\.dep\\.PID\\.USEC\\.SEC, 301, 644\\): Read-only file system" \
	"${read_only[@]}" depmod -b "$R" "$KV"
pre_run= post_run= compare_outputs=

# ---- modprobe and modinfo over damaged indexes
setup_index() { # FILE-IN-CORPUS TARGET-INDEX
	new_tree other.ko
	"$work/kmod/depmod" -b "$R" "$KV" 2>/dev/null
	cp "$C/$1" "$M/$2"
}
P=(-d "$R" -S "$KV")
setup_index index-outside.bin modules.dep.bin
check modprobe-dep-outside kmod-breaks 1 "modules\\.dep\\.bin: node at 0xfffff00 .*offset outside the node area of the file.*\\n.*Module base not found" \
	modprobe "${P[@]}" -D base
check modinfo-dep-outside kmod-breaks 1 "modules\\.dep\\.bin: node at .*damaged index.*\\n.*Module base not found" modinfo -b "$R" -k "$KV" base
# An exact lookup through a loop ends with the key: plain "not found".
setup_index index-loop.bin modules.dep.bin
check modprobe-dep-loop same 1 "Module base not found" modprobe "${P[@]}" -D base
setup_index index-outside.bin modules.alias.bin
check modprobe-alias-outside kmod-breaks 1 "modules\\.alias\\.bin: node at 0xfffff00" modprobe "${P[@]}" -R pci:v00001234d00000001
check modprobe-c-alias-outside kmod-breaks 0 "ERROR: .*modules\\.alias\\.bin: node at 0xfffff00" modprobe "${P[@]}" -c
setup_index index-loop.bin modules.alias.bin
check modprobe-c-alias-loop kmod-breaks 0 "ERROR: .*modules\\.alias\\.bin: node at 0xc is reached more often" modprobe "${P[@]}" -c
setup_index dep-no-colon.bin modules.dep.bin
check modprobe-dep-no-colon same 0 '\A\z' modprobe "${P[@]}" -D base
setup_index dep-cycle.bin modules.dep.bin
check modprobe-dep-cycle same 0 '\A\z' modprobe "${P[@]}" -D base
# Configuration files: a 1 MiB line, NUL bytes, a continuation at the end.
for conf in line-1mib nul continuation; do
	check "modprobe-c-$conf" same 0 '' modprobe "${P[@]}" -C "corpus/$conf.conf" -c
done

# ---- kmodx check over a tree of the whole corpus (run as "check", the
# multi-call name): every module file counted, each finding about a file of
# the tree, the unreadable ones with a reason; no crash, no hang.
ln -sf "$kmodx" "$work/ours/check"
CT=$work/check-tree
mkdir -p "$CT/lib/modules/$KV/kernel"
for f in "$C"/*.ko "$C"/*.ko.*; do [ -f "$f" ] && cp "$f" "$CT/lib/modules/$KV/kernel/"; done
check_corpus_report() {
	python3 - "$work/o.out" "$CT/lib/modules/$KV/kernel" <<'PY' || echo "report: $(tail -1 "$work/o.out.why")"
import json, os, sys
out, kdir = sys.argv[1], sys.argv[2]
why = open(out + '.why', 'w')
try:
    rep = json.load(open(out))
except ValueError as e:
    print('not JSON: %s' % e, file=why); sys.exit(1)
files = sorted(f for f in os.listdir(kdir) if any(f.endswith(x) for x in ('.ko', '.ko.xz', '.ko.zst', '.ko.gz')))
names = {f.split('.ko')[0].replace('-', '_') for f in files}
if rep['modules_checked'] != len(names):
    print('%d modules checked, %d module names in the tree' % (rep['modules_checked'], len(names)), file=why); sys.exit(1)
bad = [f for f in rep['findings'] if f['file'] is not None and not os.path.exists(os.path.join(os.path.dirname(kdir), f['file']))]
if bad:
    print('findings about no file of the tree: %s' % bad[:3], file=why); sys.exit(1)
unreadable = [f for f in rep['findings'] if f['kind'] == 'module-unreadable']
if len(unreadable) < 10 or any(not f['message'] for f in unreadable):
    print('%d unreadable findings, or one without a reason' % len(unreadable), file=why); sys.exit(1)
PY
}
post_run=check_corpus_report
check check-corpus ours 1 "WARNING: no kernel exports" check -b "$CT" --no-firmware --json "$KV"
post_run=

echo "hostile-inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
