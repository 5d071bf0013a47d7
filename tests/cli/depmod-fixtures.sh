#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# depmod scenario test on the fixture modules: kmodx depmod against Debian's
# depmod (kmod 30), option by option (spec §4 and §13).
#
# Usage: depmod-fixtures.sh KMODX INDEX_TOOL
#
# The fixture tree comes from tests/fixtures/build-fixtures.sh --no-depmod
# (plain, xz, zst; the symbol-cycle tree). For each case both tools run, one
# after the other, on fresh identical copies of the input made at the same
# path ($W/r), so every path in their messages is the same; each result tree
# is moved aside before the other run. Both run through a symlink named
# "depmod" found in PATH, so argv[0] (used by getopt's messages) is the same.
# A case compares:
#   - exit status, stdout and stderr byte for byte;
#   - modules.{dep,alias,symbols,softdep,devname} byte for byte;
#   - each .bin: INDEX_TOOL dump equal, and the kmodx file byte-identical to
#     `INDEX_TOOL reorder` of kmod's (kmod 30 writes post-order, kmodx kmod
#     34+'s pre-order);
#   - modules.weakdep (kmod 30 has none): tests/golden/depmod/
#     fixtures.modules.weakdep when kx_softdep is indexed, else its header;
#   - the file listing of the whole tree (no stray temporaries, nothing
#     written on failure), modules.weakdep and kmodx's cache
#     (modules.kmodx-cache.bin) aside; kmodx's -v lines about that cache
#     ("depmod: NOTICE: <dir>/modules.kmodx-cache.bin: ...") are moved out of
#     its stderr into TAG.cache (depmod-cache.py tests the cache).
# Where kmod 30 lacks the feature (-o, -m, weakdep) the expectation is kmod
# 30's result of an equivalent run, or a golden file checked by hand against
# the spec (tests/golden/depmod/*, see the comments where they are used).
#
# Environment: DEPMOD (default /sbin/depmod), KEEP=1 keeps the work
# directory, DIFF_LINES (default 12) lines of diff shown per mismatch.
# Output: PASS/FAIL per check, then "depmod-fixtures: N passed, M failed";
# exit status 1 if anything failed.
#
# Never loads a module: only depmod and `modprobe --dump-modversions` run.

set -uo pipefail
export LC_ALL=C
unset MODPROBE_OPTIONS

prog=depmod-fixtures
die() { echo "$prog: error: $*" >&2; exit 2; }

[ $# -eq 2 ] || { echo "usage: $0 KMODX INDEX_TOOL" >&2; exit 2; }
kmodx=$(realpath "$1") || die "$1 not found"
itool=$(realpath "$2") || die "$2 not found"
[ -x "$kmodx" ] || die "$kmodx is not executable"
[ -x "$itool" ] || die "$itool is not executable"
oracle=$(realpath "${DEPMOD:-/sbin/depmod}") || die "oracle depmod not found"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
golden=$repo/tests/golden/depmod
# Golden modules.weakdep of the fixture tree, checked by hand against spec
# §3 (modules.weakdep row: header, then "weakdep <modname> <raw value>" per
# .modinfo weakdep= record) and §4.9 (module-array order, .modinfo order):
# only kx_softdep has weakdep= records, and `readelf -p .modinfo` lists
# weakdep=kx_chain_b before weakdep=kx_left. Without kx_softdep in the
# module set the expectation is its first (header) line alone.
GOLD_WD=$golden/fixtures.modules.weakdep
[ -f "$GOLD_WD" ] || die "$GOLD_WD missing"
DIFFN=${DIFF_LINES:-12}
start=$SECONDS

W=$(mktemp -d "${TMPDIR:-/tmp}/depmod-fixtures.XXXXXX") || die "mktemp failed"
IMMUTABLE=()
cleanup() {
	local p
	for p in "${IMMUTABLE[@]}"; do [ -e "$p" ] && chattr -i "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "$prog: kept $W" >&2
	else
		chmod -R u+rwX "$W" 2>/dev/null
		rm -rf "$W"
	fi
}
trap cleanup EXIT

R=$W/r          # where every run happens
RES=$W/res      # saved results: TAG.{out,err,rc}, TAG.tree
mkdir -p "$RES" "$W/bin-k" "$W/bin-x" "$W/src" "$W/conf" "$W/sym"
# Private copies of the binaries under test: a rebuild during the run
# cannot swap them between cases.
cp "$kmodx" "$W/kmodx" && cp "$itool" "$W/index-tool" || die "cannot copy the binaries"
kmodx=$W/kmodx itool=$W/index-tool
ln -s "$oracle" "$W/bin-k/depmod"
ln -s "$kmodx" "$W/bin-x/depmod"

# ---------------------------------------------------------------- inputs
build=$repo/tests/fixtures/build-fixtures.sh
KVER=$(bash "$build" --no-depmod "$W/src/plain" 2>"$W/build.log" | tail -1) ||
	{ cat "$W/build.log" >&2; die "build-fixtures.sh failed"; }
[ -n "$KVER" ] || die "build-fixtures.sh printed no kernel version"
for c in xz zst; do
	bash "$build" --no-depmod --compress "$c" "$W/src/$c" >/dev/null 2>>"$W/build.log" ||
		{ cat "$W/build.log" >&2; die "build-fixtures.sh --compress $c failed"; }
	rm -rf "$W/src/$c/cycle"
done
mv "$W/src/plain/cycle" "$W/src/cycle"
D=lib/modules/$KVER                 # module dir relative to a root
MD=$R/$D                            # the module dir of the run root
KX=kernel/drivers/kmodx             # fixtures live below this
PLAIN_MD=$W/src/plain/$D

TEXT="modules.dep modules.alias modules.symbols modules.softdep modules.devname"
BINS="modules.dep.bin modules.alias.bin modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin"
OUTPUTS="$TEXT modules.weakdep $BINS"

# Kernel symbols the fixtures import, with their CRCs (from __versions);
# the kx_* ones are exported by fixture modules.
find "$PLAIN_MD" -name '*.ko' | sort | while IFS= read -r m; do
	/sbin/modprobe --dump-modversions "$m"
done | awk '$2 !~ /^kx_/ { print $2, $1 }' | sort -u >"$W/sym/kernel.crcs"
[ -s "$W/sym/kernel.crcs" ] || die "could not read the fixtures' __versions"
grep -q '^_printk ' "$W/sym/kernel.crcs" || die "fixtures do not import _printk?"

# System.map: lacks _printk and param_ops_ushort (-> "needs unknown
# symbol"), has non-ksymtab lines and two malformed lines (-> "invalid line").
{
	echo "ffffffff81000000 T _stext"
	echo "this_line_has_no_space"
	n=0
	while read -r s _; do
		case $s in _printk | param_ops_ushort) continue ;; esac
		n=$((n + 1))
		printf 'ffffffff82%06x r __ksymtab_%s\n' "$n" "$s"
		[ "$n" = 3 ] && echo "ffffffff8200ffff one_space"
	done <"$W/sym/kernel.crcs"
	echo "ffffffff83000000 r __ksymtab_kx_unused_kernel_sym"
	echo "ffffffff83000010 D jiffies"
} >"$W/sym/System.map"
# The same with every name behind the symbol prefix '_' (for -P _).
sed -E 's/^([0-9a-f]+ [A-Za-z] )/\1_/' "$W/sym/System.map" >"$W/sym/System.map.prefixed"

# Module.symvers: wrong CRC for _printk (-> "disagrees about version"),
# param_ops_charp missing, param_ops_long on a 3-field line (kmod compares
# "vmlinux\n", so it is not a kernel symbol), param_ops_bool from a module
# (ignored), a 2-field line, and a wrong kernel CRC for kx_base_hello, which
# the module's own export replaces.
{
	while read -r s crc; do
		case $s in
		param_ops_charp) ;;
		_printk) printf '0xdeadbeef\t%s\tvmlinux\tEXPORT_SYMBOL\t\n' "$s" ;;
		param_ops_long) printf '%s\t%s\tvmlinux\n' "$crc" "$s" ;;
		param_ops_bool) printf '%s\t%s\tdrivers/foo/bar\tEXPORT_SYMBOL\t\n' "$crc" "$s" ;;
		*) printf '%s\t%s\tvmlinux\tEXPORT_SYMBOL_GPL\t\n' "$crc" "$s" ;;
		esac
	done <"$W/sym/kernel.crcs"
	printf '0x12345678 lonely\n'
	printf '0x00000001\tkx_base_hello\tvmlinux\tEXPORT_SYMBOL\t\n'
} >"$W/sym/Module.symvers"
# The same plus param_ops_int with a CRC that is not hex (-> "Invalid
# symbol version", then "needs unknown symbol").
sed -E 's/^[^\t]*\t(param_ops_int\t)/0xZZ12\t\1/' "$W/sym/Module.symvers" >"$W/sym/Module.symvers.junk"
cmp -s "$W/sym/Module.symvers" "$W/sym/Module.symvers.junk" && die "could not make Module.symvers.junk"

# An external module directory outside the tree (depmod.d "external").
mkdir -p "$W/ext" "$W/ext-other"
cp "$PLAIN_MD/$KX/misc/kx_info.ko" "$PLAIN_MD/$KX/chain/kx_chain_c.ko" "$W/ext/"
cp "$PLAIN_MD/$KX/misc/kx_info.ko" "$W/ext-other/"
: >"$W/ext-file"

# ---------------------------------------------------------------- setups
# Each builds a fresh run root $R; UNDO is evaluated after the run.
su_plain() { rm -rf "$R"; cp -a "$W/src/plain" "$R"; }
su_xz() { rm -rf "$R"; cp -a "$W/src/xz" "$R"; }
su_zst() { rm -rf "$R"; cp -a "$W/src/zst" "$R"; }
su_cycle() { rm -rf "$R"; cp -a "$W/src/cycle" "$R"; }
su_empty() { rm -rf "$R"; mkdir -p "$MD"; }
su_nodir() { rm -rf "$R"; mkdir -p "$R/lib/modules"; }
su_elsewhere() { # plus modules outside the module directory
	su_plain
	mkdir -p "$R/elsewhere"
	cp "$PLAIN_MD/$KX/chain/kx_chain_c.ko" "$PLAIN_MD/$KX/diamond/kx_base.ko" "$R/elsewhere/"
}
# Copies of fixture modules in updates/, extra/ and a second directory of
# updates/ (two copies under one search directory: the last found wins).
su_dups() {
	su_plain
	mkdir -p "$MD/updates/sub" "$MD/extra"
	cp "$PLAIN_MD/$KX/kx_params.ko" "$MD/updates/"
	cp "$PLAIN_MD/$KX/kx_params.ko" "$MD/extra/"
	cp "$PLAIN_MD/$KX/misc/kx_info.ko" "$MD/extra/"
	cp "$PLAIN_MD/$KX/bus/kx_pci.ko" "$MD/extra/"
	cp "$PLAIN_MD/$KX/bus/kx_usb.ko" "$MD/updates/"
	cp "$PLAIN_MD/$KX/diamond/kx_base.ko" "$MD/updates/"
	cp "$PLAIN_MD/$KX/diamond/kx_base.ko" "$MD/updates/sub/"
}
# Modules edited in place (same length): kx_pci gets alias kx_shared next to
# kx-shared (same key after normalisation: -w duplicate), kx_platform an
# alias with an unmatched bracket, kx_devname loses its char-major alias.
su_mangled() {
	su_plain
	perl -0777 -pi -e 's/alias=kx-pci-alias\0/alias=kx_shared\0\0\0\0/ or die' "$MD/$KX/bus/kx_pci.ko"
	perl -0777 -pi -e 's/alias=kx-glob-\[ab\]\*\0/alias=kx-glob-[abx*\0/ or die' "$MD/$KX/bus/kx_platform.ko"
	perl -0777 -pi -e 's/alias=char-major-10-250/alias=char-mojor-10-250/ or die' "$MD/$KX/misc/kx_devname.ko"
}
su_badelf() { # not ELF (first 100 bytes of a module) and an empty .ko
	su_plain
	head -c 100 "$PLAIN_MD/$KX/kx_params.ko" >"$MD/kernel/bad.ko"
	: >"$MD/kernel/empty.ko"
}
su_badxz() { # an xz module cut in half
	su_xz
	local f=$MD/$KX/misc/kx_info.ko.xz
	head -c "$(($(stat -c %s "$f") / 2))" "$f" >"$MD/kernel/trunc.ko.xz"
}
su_unwritable() {
	su_plain
	if [ "$(id -u)" = 0 ]; then
		# chmod does not stop root; the immutable flag does
		chattr +i "$MD" || return 1
		IMMUTABLE+=("$MD")
		UNDO="chattr -i '$MD'"
	else
		chmod 555 "$MD"
		UNDO="chmod 755 '$MD'"
	fi
}
su_order_missing() { su_plain; rm "$MD/modules.order"; }
su_order_nonl() { # last line without its newline: the whole ordering is abandoned
	su_plain
	printf '%s' "$(tac "$PLAIN_MD/modules.order")" >"$MD/modules.order"
}
su_order_dups() { # duplicate lines and junk; kmod 30 ranks by the last occurrence
	su_plain
	{
		echo "# comment"
		echo "$KX/bus/kx_usb.ko"
		cat "$PLAIN_MD/modules.order"
		echo ""
		echo "$KX/chain/kx_chain_a.ko"
		echo "kernel/not/there.ko"
	} >"$MD/modules.order"
}
su_builtin_quirks() {
	su_plain
	{
		cat "$PLAIN_MD/modules.builtin"
		echo "/abs/path/mod.ko"
		echo "1starts/with/digit.ko"
		echo ""
		echo "kernel/fs/fat/vfat.ko"
	} >"$MD/modules.builtin"
	{
		cat "$PLAIN_MD/modules.builtin.modinfo"
		printf '%s\0' 'vfat.alias=fs-vfat' 'vfat.alias=fs-vfat' 'vfat.alias=bad[bracket' \
			'vfat.license' 'vfat.alias=swallowed-by-quirk' 'vfat.alias=' 'nodot' \
			'vfat.alias=char-major-1-[0-9]' 'loop.alias=fs-vfat'
	} >"$MD/modules.builtin.modinfo.new"
	mv "$MD/modules.builtin.modinfo.new" "$MD/modules.builtin.modinfo"
}
su_indexed() { # kmod 30's outputs of the tree already in place
	su_plain
	cp "$K1"/modules.* "$MD/"
}
su_builtin_missing() { su_plain; rm "$MD/modules.builtin" "$MD/modules.builtin.modinfo"; }

# ---------------------------------------------------------------- depmod.d
C=$W/conf
mkdir -p "$C/all/sub.conf" "$C/order" "$C/default" "$C/single" "$C/shadow" "$C/badext" \
	"$C/unreadable/dir.conf" "$C/nosearch"
cat >"$C/all/00-search.conf" <<'EOF'
# search order: updates, then extra, then the rest, then external dirs
search updates extra built-in external
EOF
cat >"$C/all/10-override.conf" <<'EOF'
override kx_pci * extra
override kx_usb 9\.9\..* extra
override kx_params
EOF
cat >"$C/all/20-external.conf" <<EOF
external 6\\.[0-9]+\\..* $W/ext
external 5\\.10\\..* $W/ext-other
external onlyone
EOF
cat >"$C/all/30-exclude.conf" <<'EOF'
exclude lifecycle kx_signed.ko
EOF
cat >"$C/all/40-misc.conf" <<'EOF'
include /etc/depmod.d/whatever.conf
make_map_files
frobnicate now
	  # an indented comment is a bad line
exclude nothing_here \
	nor_here
bogus_after_continuation

EOF
echo "search nowhere" >"$C/all/README"
echo "search nowhere" >"$C/all/.hidden.conf"
cat >"$C/order/a.conf" <<EOF
search external built-in extra updates
external * $W/ext
override kx_pci * extra
EOF
cat >"$C/default/a.conf" <<EOF
external * $W/ext
EOF
cat >"$C/single/x.conf" <<'EOF'
search extra built-in
override kx_base * updates/sub
EOF
echo "search updates" >"$C/shadow/x.conf"    # shadowed by single/x.conf
echo "exclude misc" >"$C/shadow/y.conf"
cat >"$C/badext/a.conf" <<EOF
search built-in external
external * $W/ext-missing
external * $W/ext-file
external * $W/ext
EOF
echo "exclude deps" >"$C/nosearch/a.conf"
echo "search extra" >"$C/unreadable/a.conf"
have_socket=0
if perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or exit 1' \
	"$C/unreadable/sock.conf" 2>/dev/null && [ -S "$C/unreadable/sock.conf" ]; then
	have_socket=1
fi

# ---------------------------------------------------------------- harness
pass=0 fail=0
CUR='' PROBS=()
begin() { CUR=$1; PROBS=(); : >"$W/detail"; }
problem() { PROBS+=("$1"); }
note() { printf '%s\n' "$*" >>"$W/detail"; }
finish() {
	if [ ${#PROBS[@]} -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS: $CUR"
	else
		fail=$((fail + 1))
		local IFS=';'
		echo "FAIL: $CUR: ${PROBS[*]}"
		sed 's/^/    /' "$W/detail" | head -n 80
	fi
}

# same_file LABEL EXPECTED ACTUAL: both absent is fine
same_file() {
	local l=$1 e=$2 a=$3
	[ ! -e "$e" ] && [ ! -e "$a" ] && return 0
	if [ ! -e "$e" ]; then problem "$l: written by kmodx only"; return 1; fi
	if [ ! -e "$a" ]; then problem "$l: missing from kmodx"; return 1; fi
	cmp -s "$e" "$a" && return 0
	problem "$l differs"
	note "--- $l: diff expected kmodx"
	diff -u --label expected --label kmodx "$e" "$a" | head -n "$DIFFN" >>"$W/detail"
	return 1
}

compare_bin() { # LABEL KMOD-FILE KMODX-FILE
	local l=$1 e=$2 x=$3
	[ ! -e "$e" ] && [ ! -e "$x" ] && return
	if [ ! -e "$e" ] || [ ! -e "$x" ]; then same_file "$l" "$e" "$x"; return; fi
	if [ ! -s "$e" ] || [ ! -s "$x" ]; then # 0-byte files (missing builtin inputs)
		[ "$(stat -c %s "$e")" = "$(stat -c %s "$x")" ] ||
			problem "$l: $(stat -c %s "$e") bytes from kmod, $(stat -c %s "$x") from kmodx"
		return
	fi
	"$itool" dump "$e" >"$W/k.dump" 2>"$W/tool.err" || { problem "$l: INDEX_TOOL cannot read kmod's"; return; }
	if ! "$itool" dump "$x" >"$W/x.dump" 2>"$W/tool.err"; then
		problem "$l: INDEX_TOOL cannot read kmodx's"
		cat "$W/tool.err" >>"$W/detail"
		return
	fi
	same_file "$l (dump)" "$W/k.dump" "$W/x.dump" || return
	"$itool" reorder "$e" "$W/pre.bin" 2>"$W/tool.err" || { problem "$l: INDEX_TOOL reorder failed"; return; }
	cmp -s "$W/pre.bin" "$x" || problem "$l: not byte-identical to kmod's index in pre-order"
}

expected_weakdep() { # KMOD-MODULES.DEP
	if grep -qE '(^|/)kx_softdep\.ko[^:]*:' "$1"; then cat "$GOLD_WD"; else head -n 1 "$GOLD_WD"; fi
}

# compare_moddir KMOD-DIR KMODX-DIR: the outputs of one module directory
compare_moddir() {
	local e=$1 x=$2 f
	for f in $TEXT; do same_file "$f" "$e/$f" "$x/$f"; done
	for f in $BINS; do compare_bin "$f" "$e/$f" "$x/$f"; done
	if [ -e "$e/modules.dep" ]; then
		expected_weakdep "$e/modules.dep" >"$W/weakdep.expected"
		same_file modules.weakdep "$W/weakdep.expected" "$x/modules.weakdep"
	elif [ -e "$x/modules.weakdep" ]; then
		problem "modules.weakdep written although kmod wrote no modules.dep"
	fi
	if [ -d "$x" ]; then
		for f in "$x"/* "$x"/.[!.]*; do
			[ -e "$f" ] || continue
			f=${f##*/}
			case " $OUTPUTS modules.kmodx-cache.bin " in *" $f "*) continue ;; esac
			[ -e "$e/$f" ] || problem "unexpected $f in kmodx's module dir"
		done
	fi
}

same_listing() { # KMOD-TREE KMODX-TREE: same files, modules.weakdep and the cache aside
	(cd "$1" && find . | sort) >"$W/list.k"
	(cd "$2" && find . | grep -vE '/modules\.(weakdep|kmodx-cache\.bin)$' | sort) >"$W/list.x"
	same_file "file listing" "$W/list.k" "$W/list.x"
}

status_of() { cat "$RES/$1.rc"; }
same_run() { # KTAG XTAG: exit status, stderr, stdout
	local k x
	k=$(status_of "$1") x=$(status_of "$2")
	[ "$k" = "$x" ] || problem "exit status kmod $k, kmodx $x"
	case $x in 124 | 137) problem "kmodx timed out" ;; esac
	case $k in 124 | 137) problem "kmod timed out (harness?)" ;; esac
	same_file stderr "$RES/$1.err" "$RES/$2.err"
	same_file stdout "$RES/$1.out" "$RES/$2.out"
}

run() { # k|x TAG ARGS...  (cwd $W)
	local t=$1 tag=$2
	shift 2
	(cd "$W" && PATH="$W/bin-$t:$PATH" exec timeout -k 5 60 depmod "$@") \
		>"$RES/$tag.out" 2>"$RES/$tag.err" </dev/null
	echo $? >"$RES/$tag.rc"
	if [ "$t" = x ]; then
		grep -E "$CACHE_NOTICE_RE" "$RES/$tag.err" >"$RES/$tag.cache"
		grep -vE "$CACHE_NOTICE_RE" "$RES/$tag.err" >"$RES/$tag.err.rest"
		mv "$RES/$tag.err.rest" "$RES/$tag.err"
	fi
}
CACHE_NOTICE_RE='^depmod: NOTICE: .*/modules[.]kmodx-cache[.]bin: '
save_tree() { # TAG: move $R aside
	rm -rf "$RES/$1.tree"
	if [ -e "$R" ]; then mv "$R" "$RES/$1.tree"; else mkdir "$RES/$1.tree"; fi
}
XEXTRA=()
pair() { # NAME SETUP ARGS...: kmod then kmodx (with XEXTRA first)
	local name=$1 setup=$2 t
	shift 2
	for t in k x; do
		UNDO=''
		"$setup" || die "setup $setup failed"
		if [ "$t" = k ]; then run k "$name.k" "$@"; else run x "$name.x" "${XEXTRA[@]}" "$@"; fi
		[ -z "$UNDO" ] || eval "$UNDO"
		save_tree "$name.$t"
	done
}
check() { # LABEL NAME: everything equal
	begin "$1"
	same_run "$2.k" "$2.x"
	local e=$RES/$2.k.tree/$D x=$RES/$2.x.tree/$D
	if [ -e "$e/modules.dep" ] && [ ! -e "$x/modules.dep" ]; then
		problem "kmodx wrote no outputs, kmod did"
	elif [ ! -e "$e/modules.dep" ] && [ -e "$x/modules.dep" ]; then
		problem "kmodx wrote outputs, kmod none"
	else
		compare_moddir "$e" "$x"
		same_listing "$RES/$2.k.tree" "$RES/$2.x.tree"
	fi
	finish
}
# libkmod's INFO lines at -vv (Debian's debug-build format) carry pointer
# values: moved out of both stderr files into NAME.{k,x}.libkmod with the
# pointers normalised, and compared by a check of their own.
LIBKMOD_RE='^depmod: INFO: \.\./libkmod/[a-z-]+\.c:[0-9]+ [a-z_]+\(\) '
split_libkmod() { # NAME
	local t
	for t in k x; do
		grep -E "$LIBKMOD_RE" "$RES/$1.$t.err" | sed -E 's/0x[0-9a-f]+/0xPTR/g' >"$RES/$1.$t.libkmod"
		grep -vE "$LIBKMOD_RE" "$RES/$1.$t.err" >"$RES/$1.$t.err.rest"
		mv "$RES/$1.$t.err.rest" "$RES/$1.$t.err"
	done
}
pcv() { # as pc, for -vv runs
	local label=$1 name=$2
	shift 2
	pair "$name" "$@"
	split_libkmod "$name"
	check "$label (libkmod INFO lines aside)" "$name"
}

pc() { # LABEL NAME SETUP ARGS...: pair + check
	local label=$1 name=$2
	shift 2
	pair "$name" "$@"
	check "$label" "$name"
}

# ---------------------------------------------------------------- 1. plain runs
pc "1 plain: depmod -b ROOT KVER" s1-plain su_plain -b "$R" "$KVER"
pc "1 xz-compressed tree" s1-xz su_xz -b "$R" "$KVER"
pc "1 zst-compressed tree" s1-zst su_zst -b "$R" "$KVER"
XEXTRA=(-j 1)
pc "1 plain, kmodx with -j 1" s1-j1 su_plain -b "$R" "$KVER"
XEXTRA=(-j 8)
pc "1 xz, kmodx with -j 8" s1-j8 su_xz -b "$R" "$KVER"
XEXTRA=()
K1=$RES/s1-plain.k.tree/$D    # kmod 30's outputs of the plain tree

# ---------------------------------------------------------------- 2. -a, explicit files
pc "2 -a with explicit version" s2-a su_plain -a -b "$R" "$KVER"
pc "2 -a with module files (files ignored)" s2-a-files su_plain -a -b "$R" "$KVER" "$MD/$KX/diamond/kx_top.ko"
pc "2 --all --basedir=ROOT (long options)" s2-long su_plain --all --basedir="$R" "$KVER"
pc "2 relative -b" s2-relb su_plain -b r "$KVER"
pc "2 relative -b ./r/" s2-relb-dot su_plain -b ./r/ "$KVER"
pc "2 relative -b with .." s2-relb-dotdot su_plain -b "../$(basename "$W")/r" "$KVER"
ln -sfn r "$W/rlink"
pc "2 -b through a symlink" s2-relb-link su_plain -b rlink "$KVER"
pc "2 explicit module files (one outside the module dir)" s2-files su_elsewhere -b "$R" "$KVER" \
	"$MD/$KX/diamond/kx_top.ko" "$MD/$KX/diamond/kx_left.ko" "$MD/$KX/diamond/kx_right.ko" \
	"$R/elsewhere/kx_base.ko" "$MD/$KX/chain/kx_chain_b.ko" "$R/elsewhere/kx_chain_c.ko"
pc "2 explicit files: same file twice" s2-dup-path su_plain -b "$R" "$KVER" \
	"$MD/$KX/diamond/kx_base.ko" "$MD/$KX/diamond/kx_base.ko"
pc "2 explicit files: two files with one module name" s2-dup-name su_elsewhere -b "$R" "$KVER" \
	"$MD/$KX/diamond/kx_base.ko" "$R/elsewhere/kx_base.ko"
pc "2 explicit files: relative path" s2-relpath su_plain -b "$R" "$KVER" "$MD/$KX/kx_params.ko" "$KX/misc/kx_info.ko"
pc "2 explicit files: nonexistent file" s2-nofile su_plain -b "$R" "$KVER" "$MD/$KX/kx_params.ko" "$MD/kernel/nosuch.ko"
pc "2 bad version argument" s2-badver su_plain -b "$R" foo

# ---------------------------------------------------------------- 3. -n
pair s3-n su_plain -n -b "$R" "$KVER"
begin "3 -n writes the text outputs to stdout"
k=$(status_of s3-n.k) x=$(status_of s3-n.x)
[ "$k" = "$x" ] || problem "exit status kmod $k, kmodx $x"
same_file stderr "$RES/s3-n.k.err" "$RES/s3-n.x.err"
# kmod 30 prints its files in §4.9 order; kmod 33+ adds modules.weakdep
# after modules.softdep.
cat "$K1/modules.dep" "$K1/modules.alias" "$K1/modules.softdep" "$K1/modules.symbols" \
	"$K1/modules.devname" >"$W/n.k30"
cmp -s "$W/n.k30" "$RES/s3-n.k.out" || problem "HARNESS: kmod's -n stdout is not its files of the -b run"
cat "$K1/modules.dep" "$K1/modules.alias" "$K1/modules.softdep" "$GOLD_WD" "$K1/modules.symbols" \
	"$K1/modules.devname" >"$W/n.expected"
same_file stdout "$W/n.expected" "$RES/s3-n.x.out"
same_listing "$RES/s3-n.k.tree" "$RES/s3-n.x.tree"
[ ! -e "$RES/s3-n.x.tree/$D/modules.dep" ] || problem "kmodx -n wrote modules.dep"
finish
pair s3-dry su_plain --dry-run -b "$R" "$KVER"
begin "3 --dry-run (same as -n)"
same_file stdout "$W/n.expected" "$RES/s3-dry.x.out"
same_file stderr "$RES/s3-dry.k.err" "$RES/s3-dry.x.err"
same_listing "$RES/s3-dry.k.tree" "$RES/s3-dry.x.tree"
finish

# ---------------------------------------------------------------- 4. -o
# kmod 30 has no -o: the expectation is its -b run (1 plain) landing in
# OUTDIR/lib/modules/KVER, with the input tree untouched.
snapshot() { (cd "$1" && find . -printf '%p %y %s %i %T@\n' | sort); }
check_outdir() { # LABEL TAG OUTROOT
	begin "$1"
	[ "$(status_of "$2")" = "$(status_of s1-plain.k)" ] ||
		problem "exit status kmodx $(status_of "$2"), kmod's -b run $(status_of s1-plain.k)"
	same_file stderr "$RES/s1-plain.k.err" "$RES/$2.err"
	same_file stdout "$RES/s1-plain.k.out" "$RES/$2.out"
	[ -f "$3/$D/modules.dep" ] || problem "no modules.dep in OUTDIR/$D"
	compare_moddir "$K1" "$3/$D"
	(cd "$3" && find . -type f | sort) >"$W/out.files"
	for f in $OUTPUTS; do echo "./$D/$f"; done | sort >"$W/out.expected"
	same_file "files in OUTDIR" "$W/out.expected" "$W/out.files"
	same_file "input tree (path type size inode mtime)" "$W/before" "$W/after"
	finish
}
su_plain
snapshot "$R" >"$W/before"
run x s4-o -b "$R" -o "$W/out" "$KVER"
snapshot "$R" >"$W/after"
check_outdir "4 -o OUTDIR (absolute)" s4-o "$W/out"
su_plain
snapshot "$R" >"$W/before"
run x s4-orel -b r --outdir out-rel "$KVER"
snapshot "$R" >"$W/after"
check_outdir "4 --outdir OUTDIR (relative -b and -o)" s4-orel "$W/out-rel"

# ---------------------------------------------------------------- 5. -m
# kmod 30's -m is a deprecated no-op: the expectation is its run on the
# same tree under lib/modules (1 plain).
check_moddir() { # LABEL TAG MODDIR-REL
	begin "$1"
	[ "$(status_of "$2")" = "$(status_of s1-plain.k)" ] ||
		problem "exit status kmodx $(status_of "$2"), kmod's -b run $(status_of s1-plain.k)"
	same_file stderr "$RES/s1-plain.k.err" "$RES/$2.err"
	same_file stdout "$RES/s1-plain.k.out" "$RES/$2.out"
	compare_moddir "$K1" "$RES/$2.tree/$3/$KVER"
	[ ! -e "$RES/$2.tree/lib" ] || problem "kmodx wrote below ROOT/lib"
	finish
}
su_moddir() { rm -rf "$R"; mkdir -p "$R/foo/bar"; cp -a "$PLAIN_MD" "$R/foo/bar/$KVER"; }
su_moddir
run x s5-m -b "$R" -m /foo/bar "$KVER"
save_tree s5-m
check_moddir "5 -m /foo/bar" s5-m foo/bar
su_moddir
run x s5-mrel -b "$R" --moduledir=//foo/bar "$KVER"
save_tree s5-mrel
check_moddir "5 --moduledir=//foo/bar (leading slashes stripped)" s5-mrel foo/bar

# ---------------------------------------------------------------- 6. -A
stat_outputs() { (cd "$MD" && find . -maxdepth 1 -name 'modules.*' -printf '%f %i %T@\n' | sort); }
# quick NAME SETUP MTIME-FIXUP: full run, fixup, snapshot, -A, snapshot
quick() {
	local name=$1 setup=$2 fixup=$3 t
	for t in k x; do
		"$setup"
		run "$t" "$name.$t.full" -b "$R" "$KVER"
		"$fixup"
		stat_outputs >"$RES/$name.$t.before"
		run "$t" "$name.$t" -A -b "$R" "$KVER"
		stat_outputs >"$RES/$name.$t.after"
		if cmp -s "$RES/$name.$t.before" "$RES/$name.$t.after"; then echo same; else echo rewritten; fi \
			>"$RES/$name.$t.verdict"
		save_tree "$name.$t"
	done
}
check_quick() { # LABEL NAME EXPECTED-KMOD-VERDICT [EXPECTED-KMODX-VERDICT]
	begin "$1"
	same_run "$2.k.full" "$2.x.full"
	same_run "$2.k" "$2.x"
	local kv xv
	kv=$(cat "$RES/$2.k.verdict") xv=$(cat "$RES/$2.x.verdict")
	[ "$kv" = "$3" ] || problem "HARNESS: kmod's -A verdict is '$kv', expected '$3'"
	[ "$xv" = "${4:-$3}" ] || problem "-A: kmod's outputs $kv, kmodx's $xv (expected ${4:-$3})"
	if [ "$xv" != same ]; then
		note "--- kmodx outputs before/after -A:"
		diff "$RES/$2.x.before" "$RES/$2.x.after" | head -n "$DIFFN" >>"$W/detail"
	fi
	compare_moddir "$RES/$2.k.tree/$D" "$RES/$2.x.tree/$D"
	same_listing "$RES/$2.k.tree" "$RES/$2.x.tree"
	finish
}
fix_none() { :; }
fix_newer_module() { # a module 10 s newer than modules.dep
	local t
	t=$(stat -c %Y "$MD/modules.dep")
	touch -d "@$((t + 10))" "$MD/$KX/lifecycle/kx_noexit.ko"
}
fix_same_second() { # module newer than modules.dep, but within the same second
	local t=$(($(date +%s) - 100))
	find "$MD" -name '*.ko' -exec touch -d "@$((t - 50))" {} +
	touch -d "@$t" "$MD/modules.dep"
	touch -d "@$t.6" "$MD/$KX/lifecycle/kx_noexit.ko"
}
quick s6-uptodate su_plain fix_none
check_quick "6 -A after a full run leaves the outputs alone" s6-uptodate same
quick s6-newer su_plain fix_newer_module
check_quick "6 -A with a module newer than modules.dep regenerates" s6-newer rewritten
quick s6-samesec su_plain fix_same_second
# kmod 30 compares whole seconds and misses this module; kmodx compares
# microseconds as kmod master does (spec §4.11), so it regenerates.
check_quick "6 -A with a module newer within the same second (kmod 30: whole seconds; kmodx: master's µs)" \
	s6-samesec same rewritten
pc "6 -A without modules.dep (error, then full run)" s6-nodep su_plain -A -b "$R" "$KVER"
pc "6 -A -n does nothing" s6-n su_plain -A -n -b "$R" "$KVER"
pc "6 -A on a missing module dir" s6-nodir su_nodir -A -b "$R" "$KVER"

# ---------------------------------------------------------------- 7. -P
pc "7 -P _ -e -F System.map with prefixed names" s7-pF su_plain -P _ -e -F "$W/sym/System.map.prefixed" -b "$R" "$KVER"
pc "7 -P _ -e -E Module.symvers" s7-pE su_plain -P _ -e -E "$W/sym/Module.symvers" -b "$R" "$KVER"
pc "7 -P k -e -F System.map (prefix hits module exports)" s7-pk su_plain -P k -e -F "$W/sym/System.map" -b "$R" "$KVER"
pc "7 --symbol-prefix=_ -v" s7-long su_plain --symbol-prefix=_ -v -b "$R" "$KVER"
pc "7 -P with two characters" s7-p2 su_plain -P ab -b "$R" "$KVER"

# ---------------------------------------------------------------- 8. -e -E / -F
pc "8 -e -F System.map (unknown symbols, invalid lines)" s8-F su_plain -e -F "$W/sym/System.map" -b "$R" "$KVER"
pc "8 -e -E Module.symvers (unknown symbols, CRC disagreement)" s8-E su_plain -e -E "$W/sym/Module.symvers" -b "$R" "$KVER"
# kmod 30 prints errno with %m after strtoull(): whatever the last failed
# call left, ENOENT from opening <moddir>/modules.softdep in kmod_new() on a
# tree not indexed yet; 0 ("Success") once modules.softdep exists.
pc "8 -e -E with a non-hex CRC (Invalid symbol version), tree not indexed yet" s8-junk su_plain \
	-e -E "$W/sym/Module.symvers.junk" -b "$R" "$KVER"
pc "8 -e -E with a non-hex CRC (Invalid symbol version), indexed tree" s8-junk-idx su_indexed \
	-e -E "$W/sym/Module.symvers.junk" -b "$R" "$KVER"
pc "8 -e -E -F (System.map ignored)" s8-EF su_plain -e -E "$W/sym/Module.symvers" -F "$W/sym/System.map" -b "$R" "$KVER"
pc "8 -E without -e" s8-Enoe su_plain -E "$W/sym/Module.symvers" -b "$R" "$KVER"
pc "8 -e -E -v on the xz tree" s8-Exz su_xz -e -v -E "$W/sym/Module.symvers" -b "$R" "$KVER"
pc "8 -e without -E or -F" s8-e su_plain -e -b "$R" "$KVER"
pc "8 -E with a missing file" s8-Emiss su_plain -e -E "$W/sym/nonexistent" -b "$R" "$KVER"
pc "8 -F with a missing file" s8-Fmiss su_plain -F "$W/sym/nonexistent" -b "$R" "$KVER"

# ---------------------------------------------------------------- 9. depmod.d
# Entries of a configuration directory that are not plain files: a dangling
# symlink, a symlink loop (both "file parse …", where they are opened), a
# symlink to a directory ("Directories inside directories …"); each in a
# directory of its own between two real files.
for kind in dangling loop dirlink; do
	d=$C/entry-$kind
	mkdir -p "$d" "$W/conf-target-dir"
	printf 'search updates built-in\n' >"$d/a.conf"
	printf 'exclude nosuchdir\n' >"$d/z.conf"
	case $kind in
	dangling) ln -s nowhere "$d/m.conf" ;;
	loop) ln -s n.conf "$d/m.conf"; ln -s m.conf "$d/n.conf" ;;
	dirlink) ln -s "$W/conf-target-dir" "$d/m.conf" ;;
	esac
	pc "9 -C dir with a $kind entry" "s9-entry-$kind" su_plain -C "$d" -b "$R" "$KVER"
done
pc "9 -C dir: search/override/external/exclude/bad lines" s9-all su_dups -C "$C/all" -b "$R" "$KVER"
pc "9 -C dir, -v (needs lines on stdout)" s9-all-v su_dups -v -C "$C/all" -b "$R" "$KVER"
pcv "9 -C dir, -vv (INFO lines)" s9-all-vv su_dups -vv -C "$C/all" -b "$R" "$KVER"
pc "9 search external built-in extra updates" s9-order su_dups -v -C "$C/order" -b "$R" "$KVER"
pc "9 no search line (default: updates) + external" s9-default su_dups -C "$C/default" -b "$R" "$KVER"
pcv "9 -C file -C dir (shadowed name), override into updates/sub" s9-single su_dups -vv \
	-C "$C/single/x.conf" -C "$C/shadow" -b "$R" "$KVER"
pc "9 missing external dir and external that is a file" s9-badext su_dups -C "$C/badext" -b "$R" "$KVER"
pc "9 exclude a directory, no search (weakdep module excluded)" s9-nosearch su_dups -C "$C/nosearch" -b "$R" "$KVER"
pc "9 -C of a missing path" s9-missingC su_dups -C "$C/nonexistent" -b "$R" "$KVER"
pc "9 duplicates with the default config (no depmod.d)" s9-dups-noconf su_dups -b "$R" "$KVER"

# libkmod's own INFO lines (log function registered, context released)
# exist only in kmod's library; kmodx has no such context and does not
# imitate them (README, compatibility). They stay set aside, unchecked.

# ---------------------------------------------------------------- 10. -w
pc "10 -w: duplicate alias, unmatched bracket, devname without major" s10-w su_mangled -w -b "$R" "$KVER"
pc "10 same tree without -w" s10-now su_mangled -b "$R" "$KVER"
pc "10 -w on the plain tree (no duplicates)" s10-plain su_plain -w -b "$R" "$KVER"

# ---------------------------------------------------------------- 11. cycles
check_cycle() { # LABEL NAME
	check "$1" "$2"
	local t f left
	for t in k x; do
		left=''
		for f in "$RES/$2.$t.tree/$D"/modules.*; do
			[ -e "$f" ] && [ "${f##*/}" != modules.order ] && left+=" ${f##*/}"
		done
		[ -n "$left" ] || continue
		if [ "$t" = k ]; then
			echo "$prog: note: kmod wrote outputs on a cycle:$left"
		else
			begin "$1: no outputs on a cycle"
			problem "kmodx left$left"
			finish
		fi
	done
}
pair s11 su_cycle -b "$R" "$KVER"
check_cycle "11 symbol cycle: exit 1, report, nothing written" s11
pair s11-v su_cycle -v -b "$R" "$KVER"
check_cycle "11 symbol cycle with -v" s11-v

# ---------------------------------------------------------------- 12. error paths
pc "12 empty module directory" s12-empty su_empty -b "$R" "$KVER"
pc "12 missing module directory" s12-nodir su_nodir -b "$R" "$KVER"
pair s12-ro su_unwritable -b "$R" "$KVER"
# kmod 30 names its temporaries <file>.<pid>.<usec>.<sec>
for t in k x; do
	sed -E -i 's/(modules\.[a-z.]+)\.[0-9]+\.[0-9]+\.[0-9]+/\1.TMP/g' "$RES/s12-ro.$t.err"
done
# kmod 30 writes no modules.weakdep and no cache, so it has no line for them
sed -i -E '/modules\.(weakdep\.TMP|kmodx-cache\.bin\.[0-9])/d' "$RES/s12-ro.x.err"
if [ "$(id -u)" = 0 ]; then ro="immutable (chattr +i, running as root)"; else ro="chmod 555"; fi
check "12 unwritable module directory: $ro" s12-ro
su_plain
run x s12-devnull -b "$R" -o /dev/null/x "$KVER"
save_tree s12-devnull
begin "12 kmodx -o /dev/null/x (golden, spec §4.9 step 1)"
[ "$(status_of s12-devnull)" = 1 ] || problem "exit status $(status_of s12-devnull), expected 1"
# Golden stderr checked against spec §4.9 "File mode" step 1 ([31+] mkdir -p
# of the output dir; failure -> FATAL "could not create directory <dir>:
# <err>"); kmod master's mkdir_p() returns -ENOTDIR when an existing
# component (/dev/null) is not a directory. Exit status 1.
sed "s/@KVER@/$KVER/" "$golden/outdir-not-a-directory.stderr" >"$W/devnull.expected"
same_file stderr "$W/devnull.expected" "$RES/s12-devnull.err"
same_file stdout /dev/null "$RES/s12-devnull.out"
(cd "$W/src/plain" && find . | sort) >"$W/list.k"
(cd "$RES/s12-devnull.tree" && find . | sort) >"$W/list.x"
same_file "input tree listing" "$W/list.k" "$W/list.x"
finish
if [ "$have_socket" = 1 ]; then
	pcv "12 unreadable depmod.d entries (socket x.conf, directory d.conf)" s12-conf su_plain -vv -C "$C/unreadable" -b "$R" "$KVER"
else
	echo "SKIP: 12 unreadable depmod.d entries (could not create a socket)"
fi
pc "12 non-ELF and empty .ko files" s12-badelf su_badelf -b "$R" "$KVER"
pc "12 truncated .ko.xz" s12-badxz su_badxz -b "$R" "$KVER"
pc "12 missing modules.order" s12-order-missing su_order_missing -b "$R" "$KVER"
pc "12 modules.order without final newline" s12-order-nonl su_order_nonl -b "$R" "$KVER"
# kmod 30 ranks a module by its last line in modules.order, kmod master (and
# kmodx) by its first: kmodx on the file with duplicates must equal kmod 30
# on the same file with only the first occurrence of each line kept.
su_order_dups_first() { su_order_dups; awk '!seen[$0]++' "$MD/modules.order" >"$W/order" && mv "$W/order" "$MD/modules.order"; }
for t in k x; do
	UNDO=''
	if [ "$t" = k ]; then su_order_dups_first; run k s12-order-dups.k -b "$R" "$KVER"
	else su_order_dups; run x s12-order-dups.x -b "$R" "$KVER"; fi
	save_tree "s12-order-dups.$t"
done
check "12 modules.order with duplicates (first occurrence ranks, as kmod master)" s12-order-dups
pc "12 modules.builtin / builtin.modinfo quirks" s12-builtin su_builtin_quirks -w -b "$R" "$KVER"
pc "12 missing modules.builtin and modules.builtin.modinfo" s12-builtin-missing su_builtin_missing -b "$R" "$KVER"

# ---------------------------------------------------------------- 13. weakdep
# kmod 30 writes no modules.weakdep: golden file checked against spec §3
# (modules.weakdep row) and §4.9; see the comment at GOLD_WD's definition.
begin "13 modules.weakdep of the fixture tree (golden)"
for v in s1-plain s1-xz s1-zst s10-now; do
	same_file "$v modules.weakdep" "$GOLD_WD" "$RES/$v.x.tree/$D/modules.weakdep"
done
finish

# ---------------------------------------------------------------- 14. non-ASCII alias
# kmod 30 writes such an alias into modules.alias.bin unchecked; kmod master
# stops with a FATAL (spec §2.3 writer checks; text of master's
# index__checkstring(), on the normalised key). kmodx prints master's text,
# exits 1 and, unlike master (which has already replaced modules.dep by
# then), leaves every previous output file as it was.
su_plain
run x s14-before -b "$R" "$KVER"
python3 "$repo/tests/tools/synth-module.py" "$MD/$KX/kx_utf8.ko" '{"modinfo": ["alias=kx-caf\u00e9", "license=GPL"]}' ||
	die "synth-module.py failed"
(cd "$MD" && find . -maxdepth 1 -name 'modules.*' -printf '%f %i %s %T@\n' | sort) >"$RES/s14.before"
run x s14 -b "$R" "$KVER"
(cd "$MD" && find . -maxdepth 1 -name 'modules.*' -printf '%f %i %s %T@\n' | sort) >"$RES/s14.after"
begin "14 non-ASCII alias: master's FATAL, exit 1, old outputs untouched, no temporaries"
[ "$(status_of s14)" = 1 ] || problem "exit status $(status_of s14), expected 1"
printf "depmod: FATAL: Module index: bad character '\303'=0xc3 - only 7-bit ASCII is supported:\nkx_caf\303\251\n" \
	>"$W/s14.expected"
same_file stderr "$W/s14.expected" "$RES/s14.err"
same_file "output files (name inode size mtime)" "$RES/s14.before" "$RES/s14.after"
finish
save_tree s14

# ---------------------------------------------------------------- summary
echo "$prog: $((SECONDS - start))s"
echo "$prog: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
