#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Differential test: kmodx's modinfo against Debian's kmod 30 modinfo.
#
# Usage: modinfo-diff.sh [KMODX_BINARY]
#
# KMODX_BINARY (argument or environment variable) is the multi-call binary.
# It is run through a symlink named "modinfo" found via PATH, so that argv[0]
# is exactly "modinfo" (as for the oracle, which is run the same way).
# The oracle is $KMODX_ORACLE (default /sbin/modinfo).  For every case the
# stdout bytes, stderr bytes and exit status of both must be identical.
#
# Inputs: the fixture trees of tests/fixtures/build-fixtures.sh (plain, xz,
# zst, gz) and the Debian sample trees of tests/cli/debian-tree.sh (plain,
# xz, zst, gz), plus malformed files crafted in a temporary directory.
# kmod 30 has no zlib, so .ko.gz cases run kmod on the matching plain .ko
# and replace the plain path with the .gz path in kmod's output.
#
# Running with KMODX_BINARY=/sbin/modinfo compares kmod with itself and
# validates the harness (gz cases then run the plain module on both sides).
#
# Environment:
#   KMODX_ORACLE=/sbin/modinfo   the reference modinfo
#   MODINFO_DIFF_JOBS=2          parallel jobs
#   MODINFO_DIFF_SHOW=5          how many mismatching cases to show as a diff
#   MODINFO_DIFF_NO_DEBIAN=1     skip the Debian sample trees
#   MODINFO_DIFF_KEEP=1          keep the temporary directory (its path is printed)
#
# Output: one "modinfo-diff: <group> N compared, M mismatches" line per
# group, diffs of the first mismatches, and as the very last line
# "N passed, M failed".  Exit status 0 iff nothing failed.

set -euo pipefail
export LC_ALL=C
unset MODPROBE_OPTIONS

prog=modinfo-diff
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "$prog: error: $*" >&2; exit 2; }

bin=${1:-${KMODX_BINARY:-}}
[ -n "$bin" ] || die "usage: modinfo-diff.sh KMODX_BINARY"
[ -x "$bin" ] || die "$bin is not executable"
bin=$(readlink -f "$bin")
oracle=$(readlink -f "${KMODX_ORACLE:-/sbin/modinfo}")
[ -x "$oracle" ] || die "oracle $oracle missing"
jobs=${MODINFO_DIFF_JOBS:-2}
show=${MODINFO_DIFF_SHOW:-5}

self_check=0
[ "$bin" = "$oracle" ] && self_check=1

T=$(mktemp -d "${TMPDIR:-/tmp}/modinfo-diff.XXXXXX")
cleanup() {
	if [ "${MODINFO_DIFF_KEEP:-0}" = 1 ]; then
		echo "$prog: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

mkdir -p "$T/bin-kmod" "$T/bin-ours" "$T/res" "$T/bad"
ln -s "$oracle" "$T/bin-kmod/modinfo"
ln -s "$bin" "$T/bin-ours/modinfo"

py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

start=$SECONDS

# ---------------------------------------------------------------- inputs
build=$repo/tests/fixtures/build-fixtures.sh
KVER=$("$build" "$T/fx" 2>"$T/build.log" | tail -1) || { cat "$T/build.log" >&2; die "build-fixtures.sh failed"; }
for c in xz zst gz; do
	"$build" --compress "$c" "$T/fx-$c" 2>>"$T/build.log" >/dev/null ||
		{ cat "$T/build.log" >&2; die "build-fixtures.sh --compress $c failed"; }
done
FXD=$T/fx/lib/modules/$KVER

debian=1
ROOT_plain='' ROOT_gz='' SAMPLE_LIST='' DEB_KVER=''
[ "${MODINFO_DIFF_NO_DEBIAN:-0}" = 1 ] && debian=0
if [ "$debian" = 1 ]; then
	"$here/debian-tree.sh" >"$T/debian.env" 2>"$T/debian.log" ||
		{ cat "$T/debian.log" >&2; die "debian-tree.sh failed"; }
	# The Debian image may be newer than the headers: keep both versions.
	fx_kver=$KVER
	# shellcheck disable=SC1091
	. "$T/debian.env"
	DEB_KVER=$KVER
	KVER=$fx_kver
fi

# ---------------------------------------------------------------- bad inputs
B=$T/bad
printf 'this is not an ELF file, just some text long enough to look at\n' >"$B/notelf.ko"
printf 'ab\n' >"$B/short3.ko"
: >"$B/empty.ko"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000' >"$B/elfmagic-only.ko"
mkdir "$B/dir.ko"
mkfifo "$B/fifo.ko"
mkdir "$B/named"
"$py" - "$B" "$FXD" "$T/fx-xz/lib/modules/$KVER" "$T/fx-zst/lib/modules/$KVER" <<'EOF'
import os, struct, sys

bad, fxd, fxz, fzst = sys.argv[1:5]
def rd(p):
    with open(p, 'rb') as f:
        return f.read()
def wr(name, data):
    with open(os.path.join(bad, name), 'wb') as f:
        f.write(data)

garbage = bytes((i * 37 + 11) & 0xff for i in range(400))
wr('garbage.ko.xz', b'\xfd7zXZ\x00' + garbage)
wr('garbage-nomagic.ko.xz', garbage)
wr('garbage.ko.zst', b'\x28\xb5\x2f\xfd' + garbage)
wr('garbage.ko.gz', b'\x1f\x8b' + garbage)
wr('gzip-named.ko', b'\x1f\x8b\x08\x00' + garbage)

params = os.path.join(fxd, 'kernel/drivers/kmodx/kx_params.ko')
xz = rd(os.path.join(fxz, 'kernel/drivers/kmodx/kx_params.ko.xz'))
wr('truncated.ko.xz', xz[:len(xz) // 2])
zs = rd(os.path.join(fzst, 'kernel/drivers/kmodx/kx_params.ko.zst'))
wr('truncated.ko.zst', zs[:len(zs) // 2])

elf = bytearray(rd(params))
assert elf[:4] == b'\x7fELF' and elf[4] == 2 and elf[5] == 1
e_shoff, = struct.unpack_from('<Q', elf, 0x28)
e_shentsize, e_shnum, e_shstrndx = struct.unpack_from('<HHH', elf, 0x3a)

# cut in the middle of the section header table
wr('truncated-shdrs.ko', bytes(elf[:e_shoff + (e_shnum // 2) * e_shentsize + 10]))
# cut just before the section header table
wr('truncated-before-shdrs.ko', bytes(elf[:e_shoff]))
# only the ELF header
wr('only-ehdr.ko', bytes(elf[:64]))

def shdr(i):
    off = e_shoff + i * e_shentsize
    return off, struct.unpack_from('<IIQQQQIIQQ', elf, off)

_, sh = shdr(e_shstrndx)
strtab = bytes(elf[sh[4]:sh[4] + sh[5]])
def secname(i):
    n = shdr(i)[1][0]
    return strtab[n:strtab.index(b'\0', n)].decode()
modinfo_idx = next(i for i in range(e_shnum) if secname(i) == '.modinfo')
mi_off, mi = shdr(modinfo_idx)
content = bytes(elf[mi[4]:mi[4] + mi[5]])

# .modinfo moved to the very end of the file, without its final NUL
assert content.endswith(b'\0')
tail = content.rstrip(b'\0')
e = bytearray(elf) + tail
struct.pack_into('<Q', e, mi_off + 24, len(elf))     # sh_offset
struct.pack_into('<Q', e, mi_off + 32, len(tail))    # sh_size
wr('modinfo-no-final-nul.ko', bytes(e))

# .modinfo running past the end of the file
e = bytearray(elf)
struct.pack_into('<Q', e, mi_off + 24, len(elf) - 16)
wr('modinfo-past-eof.ko', bytes(e))

# .modinfo of size 0
e = bytearray(elf)
struct.pack_into('<Q', e, mi_off + 32, 0)
wr('modinfo-empty.ko', bytes(e))

# .strtab claims 1 byte: every symbol name runs past it (modinfo must not care)
strtab_idx = next(i for i in range(e_shnum) if secname(i) == '.strtab')
st_off, _ = shdr(strtab_idx)
e = bytearray(elf)
struct.pack_into('<Q', e, st_off + 32, 1)
wr('strtab-short.ko', bytes(e))

# no section headers at all
e = bytearray(elf)
struct.pack_into('<QHHH', e, 0x28, 0, 0, 0, 0)
struct.pack_into('<HHH', e, 0x3a, 64, 0, 0)
wr('no-shdrs.ko', bytes(e))

# section name string table index out of range
e = bytearray(elf)
struct.pack_into('<H', e, 0x3e, e_shnum + 5)
wr('bad-shstrndx.ko', bytes(e))

# wrong class / byte order bytes
e = bytearray(elf); e[4] = 1
wr('class32.ko', bytes(e))
e = bytearray(elf); e[5] = 2
wr('bigendian.ko', bytes(e))
e = bytearray(elf); e[4] = 7
wr('badclass.ko', bytes(e))

# signature trailers
signed = rd(os.path.join(fxd, 'kernel/drivers/kmodx/misc/kx_signed.ko'))
magic = b'~Module signature appended~\n'
assert signed.endswith(magic)
info = signed[-28 - 12:-28]
sig_len, = struct.unpack('>I', info[8:12])
sig_start = len(signed) - 28 - 12 - sig_len
s = bytearray(signed); s[sig_start] = 0    # DER no longer starts with SEQUENCE
wr('sig-bad-der.ko', bytes(s))
s = bytearray(signed); struct.pack_into('>I', s, len(s) - 28 - 4, len(signed))
wr('sig-len-too-big.ko', bytes(s))
s = bytearray(signed); s[len(s) - 28 - 12 + 1] = 9  # hash index out of range
wr('sig-bad-hash.ko', bytes(s))
s = bytearray(signed); s[len(s) - 28 - 12 + 2] = 0  # claims PGP id type
wr('sig-pgp-type.ko', bytes(s))
wr('sig-magic-only.ko', bytes(elf) + magic)
wr('sig-zero-info.ko', bytes(elf) + bytes(12) + magic)
EOF

# Decompression bombs: 64 MiB of zeros compressed once, the frame/stream/member
# repeated 17 times (all three formats decode concatenations) = 1.06 GiB, past
# kmodx's 1 GiB cap. kmod has no cap; only kmodx is run on these.
head -c 64M /dev/zero | zstd -q -1 -c >"$T/zeros.zst"
head -c 64M /dev/zero | xz -0 -T1 -c >"$T/zeros.xz"
head -c 64M /dev/zero | gzip -1 -c >"$T/zeros.gz"
for c in zst xz gz; do
	for _ in $(seq 17); do cat "$T/zeros.$c"; done >"$B/bomb.ko.$c"
done

# ---------------------------------------------------------------- cases
# One case per line: group TAB mode TAB args... (args never empty, no tabs;
# @EMPTY@ stands for an empty argument, @MOD@ for the module of a gz case).
# Modes: same  - stdout, stderr and exit status byte-identical;
#        gz    - args start with PLAIN GZ: kmod gets PLAIN for @MOD@, kmodx
#                gets GZ, PLAIN is replaced by GZ in kmod's output, then same;
#        lines - exit status and stderr identical, same number of stdout lines;
#        err1  - kmodx only: exit 1, one "modinfo: ERROR: " line on stderr,
#                stdout empty or the "filename:" line of the argument.
C=$T/cases.raw
: >"$C"
case_add() { # group mode args...
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$C"
}

fx_mods() { # ROOT: every .ko* of a fixture tree and its cycle tree, sorted
	find "$1/lib/modules/$KVER" "$1/cycle/lib/modules/$KVER" -name '*.ko*' -type f | sort
}

# -- fixture modules by path
fx_opts=(
	'' '-F description' '-a' '-d' '-l' '-p' '-n' '-0' '-F parm -0' '-F sig_key' '-F signer'
)
while IFS= read -r m; do
	for o in "${fx_opts[@]}"; do
		# shellcheck disable=SC2086
		case_add fixtures same $o "$m"
	done
done < <(fx_mods "$T/fx")

# -- every option spelling on a few modules
P=$FXD/kernel/drivers/kmodx/kx_params.ko
I=$FXD/kernel/drivers/kmodx/misc/kx_info.ko
S=$FXD/kernel/drivers/kmodx/misc/kx_signed.ko
for m in "$P" "$I" "$S"; do
	for o in --author --description --license --parameters --filename --null \
		'--field description' '--field=license' '-Fauthor' '-F name' '-F filename' \
		'-F alias' '-F depends' '-F vermagic' '-F nosuchfield' '-F parmtype' \
		'-F a_very_long_key_name' '-F empty_value' '-F sig_hashalgo' '-F signature' \
		'-F sig_id' '-F AUTHOR' '-a -d' '-d -a' '-p -0' '-0 -p' '-0 -n' '-0 -F author' \
		'-F @EMPTY@' '-F srcversion -F license' '-m' "-k $KVER" "-b $T/fx"; do
		# shellcheck disable=SC2086
		case_add options same $o "$m"
	done
done
case_add options same "$P" "$I" "$S"
case_add options same -0 "$P" "$I"
case_add options same "$P" "$B/nonexistent.ko" "$I"
case_add options same -F license "$P" "$S" "$B/notelf.ko"
case_add options same kernel/drivers/kmodx/kx_params.ko
case_add options same ./kernel/drivers/kmodx/misc/kx_info.ko
case_add options same -n ../"$KVER"/kernel/drivers/kmodx/bus/kx_pci.ko
case_add options same --
case_add options same -0
# kmodx prints kmod master's help text (checked exactly by help-version.sh)
case_add options lines -h
case_add options lines --help
# the version text names the implementation: compare only its shape
case_add options lines -V
case_add options lines --version
case_add options same -x "$P"
case_add options same --nosuchoption "$P"
case_add options same "$P" -F
case_add options same -b
case_add options same -k
case_add options same -p -F author "$P"

# -- compressed fixture trees by path
for c in xz zst; do
	while IFS= read -r m; do
		case_add "fixtures-$c" same "$m"
		case_add "fixtures-$c" same -p "$m"
		case_add "fixtures-$c" same -F signer "$m"
	done < <(fx_mods "$T/fx-$c")
done
while IFS= read -r m; do
	rel=${m#"$T"/fx-gz/}
	plain=$T/fx/${rel%.gz}
	case_add fixtures-gz gz "$plain" "$m" @MOD@
	case_add fixtures-gz gz "$plain" "$m" -p @MOD@
	case_add fixtures-gz gz "$plain" "$m" -0 @MOD@
done < <(fx_mods "$T/fx-gz")

# -- lookups by name / alias / builtin in the fixture trees
names=(kx_chain_a kx_chain_b kx_chain_c kx_top kx_left kx_right kx_base kx_ns_export
	kx_ns_import kx_params kx_pci kx_usb kx_platform kx_softdep kx_devname kx_info
	kx_signed kx_fail_init kx_noexit kx-chain-a kx-ns_import KX_BASE)
aliases=(
	'pci:v00008086d00001234sv00000000sd00000000bc02sc00i00'
	'pci:v000010DEd00000FFFsv00001043sd00008888bc03sc00i00'
	'pci:v0000AAAAd0000BBBBsv00000000sd00000000bc02sc00i00'
	'pci:v0000FFFFd0000FFFFsv00000000sd00000000bc00sc00i00'
	'usb:v1D6Bp0104d0100dc09dsc00dp03ic09isc00ip00in00'
	'usb:v0BDAp8153d3100dc00dsc00dp00icFFiscFFip00in00'
	'of:NkxnodeTkxtypeCkmodx,other'
	'of:NfooTbarCkmodx,test-device'
	'acpi:KMDX0001:' 'acpi:KMDX0002:PNP0C0A:'
	'platform:kx-platform' 'platform:kx_platform'
	'kx-shared' 'kx_shared' 'kx-glob-a' 'kx-glob-bcd' 'kx-glob-c' 'kx-glob-[ab]*' 'kx-pci-alias'
	'char-major-10-250' 'devname:kx_dev'
	'symbol:kx_base_hello' 'symbol:kx_ns_value' 'symbol:kx_cycle_a_fn' 'symbol:nosuch'
	'ext4' 'unix' 'loop' 'hid-generic' 'hid_generic' 'libcrc32c' 'fs-ext4' 'ext3' 'net-pf-1'
	'devname:loop-control' 'block-major-7-0' 'char-major-10-237' 'hid:b0003g0001v00001234p00005678'
	'nosuchmod' 'nosuch-alias:*' 'kernel/drivers/kmodx/kx_params.ko' 'kx_params.ko'
)
for r in fx fx-xz fx-zst; do
	for n in "${names[@]}" "${aliases[@]}"; do
		case_add "names-$r" same -b "$T/$r" -k "$KVER" "$n"
	done
done
for n in "${names[@]}" "${aliases[@]}"; do
	case_add names-fx same -b "$T/fx" -k "$KVER" -m "$n"
	case_add names-fx same -b "$T/fx" -k "$KVER" -F filename "$n"
done
for o in '-F name' '-F license' '-F alias' '-F parm' '-p' '-0' '-n' '-a' '-F file'; do
	for n in ext4 loop libcrc32c hid-generic; do
		# shellcheck disable=SC2086
		case_add names-fx same -b "$T/fx" -k "$KVER" $o "$n"
	done
done
case_add names-fx same -b "$T/fx" -k "$KVER" kx_top nosuchmod kx_base ext4
# A stale modules.dep (module files deleted without running depmod): libkmod
# reports the first missing dependency of each line it reads.
mkdir -p "$T/fx-stale/lib/modules"
cp -a "$T/fx/lib/modules/$KVER" "$T/fx-stale/lib/modules/"
rm "$T/fx-stale/lib/modules/$KVER/kernel/drivers/kmodx/diamond/kx_base.ko" \
	"$T/fx-stale/lib/modules/$KVER/kernel/drivers/kmodx/chain/kx_chain_c.ko"
for n in "${names[@]}" kx-pci-alias kx-glob-a 'symbol:kx_base_hello'; do
	case_add stale same -b "$T/fx-stale" -k "$KVER" "$n"
	case_add stale same -b "$T/fx-stale" -k "$KVER" -m "$n"
	case_add stale same -b "$T/fx-stale" -k "$KVER" -F filename "$n"
done
case_add stale same -b "$T/fx-stale" -k "$KVER" -F depends kx_top kx_left kx_chain_a kx_chain_b
case_add names-fx same -b "$T/fx" -k "$KVER" -F depends kx_top kx_chain_a kx_ns_import
case_add names-fx same -b "$T/fx" -k "$KVER" -F softdep kx_softdep
case_add names-fx same -b "$T/fx" -k "$KVER" -F weakdep kx_softdep
case_add names-fx same -b "$T/fx" -k "$KVER" -0 -F alias kx_platform
case_add names-fx same -b "$T/fx" -k nosuchkver kx_base
case_add names-fx same -b "$T/nonexistent" -k "$KVER" kx_base
case_add names-fx same -b "$T/fx/cycle" -k "$KVER" kx_cycle_a
# Relative, "."/".."-holding, slash-ended and symlinked roots: libkmod makes
# the directory absolute with the current one (the cases run in $FXD,
# three levels below $T/fx) without normalising it.
ln -sfn fx "$T/fxlink"
for r in ../../.. ../../../ ./../../.. ../../../../fx ../../../../fx/../fx ../../../../fxlink; do
	case_add names-fx same -b "$r" -k "$KVER" -F filename kx_top
	case_add names-fx same -b "$r" -k "$KVER" kx_base ext4
done
case_add names-fx same -k "$KVER" kx_base
case_add names-fx same kx_base
case_add names-fx same -m kx_base
case_add names-fx same -b "$T/fx-gz" -k "$KVER" kx_base
case_add names-fx same -b "$T/fx-gz" -k "$KVER" ext4
# stale indexes: aliases resolve to a module modules.dep.bin does not list
cp -a "$T/fx" "$T/fx-stale"
printf '\260\007\364\127\000\002\000\001\000\000\000\014' \
	>"$T/fx-stale/lib/modules/$KVER/modules.dep.bin"
case_add names-fx same -b "$T/fx-stale" -k "$KVER" kx-pci-alias
case_add names-fx same -b "$T/fx-stale" -k "$KVER" -F name kx-pci-alias
case_add names-fx same -b "$T/fx-stale" -k "$KVER" kx_pci
# a module both in modules.dep and in modules.builtin: libkmod takes its info
# from modules.builtin.modinfo although it has a file
cp -a "$T/fx" "$T/fx-both"
echo kernel/drivers/kmodx/diamond/kx_base.ko >>"$T/fx-both/lib/modules/$KVER/modules.builtin"
/sbin/depmod -b "$T/fx-both" "$KVER"
case_add names-fx same -b "$T/fx-both" -k "$KVER" kx_base
case_add names-fx same -b "$T/fx-both" -k "$KVER" -F license kx_base
case_add names-fx same -b "$T/fx-both" -k "$KVER" kx_top

# -- malformed inputs
for f in notelf.ko short3.ko empty.ko elfmagic-only.ko garbage.ko.xz garbage-nomagic.ko.xz \
	garbage.ko.zst truncated.ko.xz truncated.ko.zst dir.ko fifo.ko nonexistent.ko \
	nonexistent.ko.xz truncated-shdrs.ko truncated-before-shdrs.ko only-ehdr.ko \
	modinfo-no-final-nul.ko modinfo-past-eof.ko modinfo-empty.ko class32.ko bigendian.ko badclass.ko sig-bad-der.ko \
	sig-len-too-big.ko sig-bad-hash.ko sig-pgp-type.ko sig-magic-only.ko sig-zero-info.ko \
	strtab-short.ko; do
	case_add bad same "$B/$f"
	case_add bad same -F signer "$B/$f"
	case_add bad same -0 "$B/$f"
done
case_add bad same "$B/named"
case_add bad same -b "$T/fx" -k "$KVER" "$B/fifo.ko"
case_add bad same -m "$B/notelf.ko"
for f in garbage.ko.gz gzip-named.ko; do
	case_add bad err1 "$B/$f"
done
for c in zst xz gz; do
	[ "$self_check" = 1 ] || case_add bad-bomb bomb "$B/bomb.ko.$c"
done
# Debian's kmod is built with assertions and aborts on these (e_shstrndx 0 or
# out of range); the spec wants EINVAL, i.e. a clean error from kmodx.
for f in no-shdrs.ko bad-shstrndx.ko; do
	[ "$self_check" = 1 ] || case_add bad-kmod-aborts err1 "$B/$f"
done

# -- Debian sample trees
if [ "$debian" = 1 ]; then
	for c in plain xz zst; do
		root_var=ROOT_$c
		root=${!root_var}
		case $c in plain) ext= ;; *) ext=.$c ;; esac
		while IFS= read -r rel; do
			case_add "$c" same "$root/lib/modules/$DEB_KVER/$rel$ext"
		done <"$SAMPLE_LIST"
		# a subset by name, plus aliases and builtin names
		awk 'NR % 10 == 1' "$SAMPLE_LIST" | while IFS= read -r rel; do
			n=${rel##*/}
			case_add "names-$c" same -b "$root" -k "$DEB_KVER" "${n%.ko}"
		done
		awk '/^alias / && NR % 50 == 2 { print $2 }' "$root/lib/modules/$DEB_KVER/modules.alias" |
			while IFS= read -r a; do
				case_add "names-$c" same -b "$root" -k "$DEB_KVER" "$a"
			done
		awk 'NR % 40 == 1' "$root/lib/modules/$DEB_KVER/modules.builtin" | while IFS= read -r rel; do
			n=${rel##*/}
			case_add "names-$c" same -b "$root" -k "$DEB_KVER" "${n%.ko}"
		done
		tr '\0' '\n' <"$root/lib/modules/$DEB_KVER/modules.builtin.modinfo" |
			sed -n 's/^[^.]*\.alias=//p' | awk 'NR % 20 == 1' | while IFS= read -r a; do
				case_add "names-$c" same -b "$root" -k "$DEB_KVER" "$a"
			done
		for n in vfat fat vxlan fuse tun uinput btrfs e1000e usb-storage usb_storage dm-crypt \
			8021q fs-vfat fs-btrfs devname:fuse char-major-10-229 devname:net/tun \
			devname:uinput symbol:fat_fill_super; do
			case_add "names-$c" same -b "$root" -k "$DEB_KVER" "$n"
		done
	done
	while IFS= read -r rel; do
		case_add gz gz "$ROOT_plain/lib/modules/$DEB_KVER/$rel" "$ROOT_gz/lib/modules/$DEB_KVER/$rel.gz" @MOD@
	done <"$SAMPLE_LIST"
fi

awk '{ print NR "\t" $0 }' "$C" >"$T/cases"

# ---------------------------------------------------------------- runner
[ "$self_check" = 1 ] &&
	echo "$prog: self-check: KMODX_BINARY is the oracle; gz cases run the plain module on both sides; bad-kmod-aborts skipped"
KMOD_DIR=$T/bin-kmod OURS_DIR=$T/bin-ours CASE_CWD=$FXD SELF_CHECK=$self_check \
	JOBS=$jobs SHOW=$show PROG=$prog SETUP_SECONDS=$((SECONDS - start)) \
	"$py" "$here/modinfo_diff_run.py" "$T/cases" "$T/res"
