#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Rebuilds the seed corpora of tests/fuzz/corpus/ from the fixture modules
# (tests/fixtures/build-fixtures.sh), Debian's current kernel image package
# (tests/cli/debian-tree.sh) and the fixture configuration files. The seeds
# are committed; run this only to refresh them, then check their total size
# stays small (a few hundred KiB).
#
# usage: make-seeds.sh KMODX_BINARY
set -euo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { sed -n '3,9p' "$0" >&2; exit 2; }
kmodx=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=$here/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$corpus"
for t in module_elf signature decompress_xz decompress_zstd decompress_gzip index_reader modprobe_config \
	kernel_cmdline depmod_config modules_dep modules_order modules_builtin libkmod_api module_cache; do
	mkdir -p "$corpus/$t"
done
# A seed's name is a digest of its bytes: identical seeds collapse.
put() { # target file
	cp "$2" "$corpus/$1/$(sha1sum <"$2" | cut -c1-16)"
}
put_text() { # target text
	printf '%s' "$2" >"$work/text"
	put "$1" "$work/text"
}

# ---- modules: fixtures (debug info stripped: small), Debian's smallest signed ones, synthesized 32-bit
kver=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$work/fx" | tail -1)
fxdir=$work/fx/lib/modules/$kver
eval "$(bash "$repo/tests/cli/debian-tree.sh")"
deb=$ROOT_plain/lib/modules/$KVER
mkdir -p "$work/ko"
for m in kx_info kx_params kx_ns_export kx_pci kx_signed kx_usb; do
	f=$(find "$fxdir" -name "$m.ko" | head -1)
	if [ "$m" = kx_signed ]; then cp "$f" "$work/ko/$m.ko"; else strip --strip-debug -o "$work/ko/$m.ko" "$f"; fi
done
find "$deb" -name '*.ko' -size -9k | sort | head -4 | while read -r f; do cp "$f" "$work/ko/deb-${f##*/}"; done
python3 "$repo/tests/tools/synth-module.py" "$work/ko/synth32.ko" \
	'{"m32": true, "modinfo": ["license=GPL", "alias=pci:v*d*", "depends=a,b"], "exports": ["f1"], "crcs": {"f1": 7}, "needs": ["printk"], "versions": {"printk": 3}}'
python3 "$repo/tests/tools/synth-module.py" "$work/ko/synth64.ko" \
	'{"modinfo": ["license=GPL", "vermagic=6.1.0 SMP", "alias=usb:v*"], "exports": ["g1", "g2"], "needs": ["h"], "weak": ["w"], "versions": {"h": 9}}'
objcopy -O elf64-big "$work/ko/synth64.ko" "$work/ko/synth64-be.ko" 2>/dev/null || true
for f in "$work"/ko/*.ko; do put module_elf "$f"; done

# ---- signature trailers: the last 2 KiB of signed modules
for f in "$work"/ko/kx_signed.ko "$work"/ko/deb-*.ko; do
	tail -c 2048 "$f" >"$work/tail"
	put signature "$work/tail"
done

# ---- decompressors: a leading even byte = raw stream, odd = plain data to round-trip
for f in "$work/ko/synth64.ko" "$work/ko/kx_info.ko"; do
	for c in xz:decompress_xz zstd:decompress_zstd gzip:decompress_gzip; do
		tool=${c%%:*} t=${c#*:}
		case $tool in
		xz) opts=(--check=crc32 --lzma2=dict=1MiB) ;;
		zstd) opts=(-q -19) ;;
		gzip) opts=(-n -9) ;;
		esac
		{ printf '\0'; "$tool" "${opts[@]}" -c "$f"; } >"$work/z"
		put "$t" "$work/z"
	done
done
for t in decompress_xz decompress_zstd decompress_gzip; do
	{ printf '\1'; head -c 512 "$work/ko/synth64.ko"; } >"$work/z"
	put "$t" "$work/z"
done

# ---- indexes: kmod 30's (post-order) of the fixture tree, kmodx's (pre-order)
for f in modules.dep.bin modules.alias.bin modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin; do
	put index_reader "$fxdir/$f"
done
"$kmodx" depmod -b "$work/fx" -o "$work/ours" "$kver"
for f in modules.dep.bin modules.alias.bin modules.symbols.bin; do
	put index_reader "$work/ours/lib/modules/$kver/$f"
done

# ---- depmod caches: a run over a tree that has a modules.dep writes one;
# a leading flag byte, 1 = reseal after mutating (module_cache_fuzz.cpp).
mkdir -p "$work/cache/lib/modules"
cp -a "$fxdir" "$work/cache/lib/modules/"
rm -rf "$work/cache/lib/modules/$kver/cycle"
sleep 2.1  # files changed less than 2 s ago are not recorded
"$kmodx" depmod -b "$work/cache" "$kver"
for flag in '\000' '\001'; do
	{ printf "$flag"; cat "$work/cache/lib/modules/$kver/modules.kmodx-cache.bin"; } >"$work/t"
	put module_cache "$work/t"
done

# ---- text inputs
put modules_dep "$fxdir/modules.dep"
head -n 60 "$deb/modules.dep" >"$work/t" && put modules_dep "$work/t"
put modules_order "$fxdir/modules.order"
head -n 80 "$deb/modules.order" >"$work/t" && put modules_order "$work/t"
put modules_builtin "$fxdir/modules.builtin"
head -n 80 "$deb/modules.builtin" >"$work/t" && put modules_builtin "$work/t"
head -c 6000 "$deb/modules.builtin.modinfo" >"$work/t" && put modules_builtin "$work/t"

# ---- configuration
for f in "$repo"/tests/fixtures/modprobe.d/*/*; do put modprobe_config "$f"; done
put_text modprobe_config $'alias a* b\noptions m p=1 \\\n  q="x y"\nsoftdep m pre: a b post: c\nweakdep m d\ninstall m /bin/true\nblacklist z\n'
put_text kernel_cmdline 'BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet kx_params.p_int=7 modprobe.blacklist=a,b'
put_text kernel_cmdline 'm.p="a b" "n.q=c d" x-y.z=1 .a=b c. d.e'
put_text depmod_config $'search updates extra built-in external\noverride kx_base 6.1.0-56-amd64 updates\nexternal 6.* /opt/mods\nexclude build source .git\n'
put_text depmod_config $'# comment\noverride a * extra\\\n  more\ninclude x\nmake_map_files\nbogus line\n'
# ---- libkmod.so.2's C interface: call sequences (the Op numbers and the
# word list of tests/fuzz/libkmod_api_fuzz.cpp)
python3 - "$work/api" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(out)
NEW, REF, UNREF, LOAD, UNLOAD, VALIDATE, DUMP, LOG, USERDATA, CONFIG, LOOKUP, NAME_LOOKUP, FROM_NAME, \
    FROM_PATH, MOD_REF, MOD_UNREF, GET_MODULE, DEPS, SOFTDEPS, WEAKDEPS, FILTER, STRINGS, FILE_LISTS, SECTIONS, \
    LOADED, KSTATE, INSERT, PROBE, REMOVE, WALK, FREE_LIST, DAMAGE = range(32)
FZ0, FZ1, FZ2, FZ3, FZALIAS, FZBLACK, FZBUILTIN, PCI, SYMBOL, OPTS = 0, 1, 2, 3, 8, 9, 10, 12, 13, 19
def u32(v): return list(v.to_bytes(4, 'big'))
def probe(mod, flags, result=0): return [PROBE, mod] + u32(flags) + [OPTS, result, 1, 1]
# a good context (tree 0, configuration 0, the fuzzer's log function) in slot 0
good = [NEW, 0, 0, LOAD, 0]
seeds = {
 'probe-alias': good + [LOOKUP, 0, FZALIAS, 0, WALK, 0, GET_MODULE, 0, 0, 0, DEPS, 0, 1, SOFTDEPS, 0, 2, 3,
     WEAKDEPS, 0, 4, FILE_LISTS, 0, 0, 4, WALK, 4, FILE_LISTS, 0, 3, 5, WALK, 5, FILE_LISTS, 0, 1, 6, WALK, 6,
     FILE_LISTS, 0, 2, 7, WALK, 7, STRINGS, 0] + probe(0, 0x10) + probe(0, 0) +
     [KSTATE, 0, 2, 6, WALK, 6, SECTIONS, 0, 1, WALK, 1, LOADED, 0, 2, WALK, 2, REMOVE, 0] + u32(0),
 'config': good + sum(([CONFIG, 0, k, 7] for k in range(7)), []) + [DUMP, 0, 0, DUMP, 0, 1, DUMP, 0, 2, DUMP, 0, 3,
     DUMP, 0, 4, DUMP, 0, 6, VALIDATE, 0, UNLOAD, 0, VALIDATE, 0],
 'missing-tree': [NEW, 2, 0, LOAD, 0, VALIDATE, 0, LOOKUP, 0, FZ0, 0, NAME_LOOKUP, 0, FZ0, 0, FROM_NAME, 0, FZ1, 1,
     FILE_LISTS, 1, 0, 0, DUMP, 0, 0] + probe(1, 0x10),
 'null-handles': [STRINGS, 5, FILE_LISTS, 5, 0, 0, FILE_LISTS, 5, 3, 0, DEPS, 5, 0, SOFTDEPS, 5, 0, 1, KSTATE, 5, 9, 0,
     CONFIG, 3, 0, 1, DUMP, 3, 0, LOAD, 3, VALIDATE, 3, USERDATA, 3, LOG, 3, 2, LOOKUP, 3, FZ0, 0, FILTER, 3, 0, 0, 0,
     WALK, 0, GET_MODULE, 0, 0, 0] + probe(5, 0x10) + [INSERT, 5] + u32(0) + [OPTS, 1, REMOVE, 5] + u32(0),
 'blacklist': good + [LOOKUP, 0, FZBLACK, 0, GET_MODULE, 0, 0, 0] + probe(0, 0x20000) + probe(0, 0x10000) +
     probe(0, 0x40000) + probe(0, 0x10) + [LOOKUP, 0, FZ3, 1, FILTER, 0, 1, 2, 1, FILTER, 0, 1, 4, 2, WALK, 2],
 'install-command': good + [FROM_NAME, 0, FZ2, 0, STRINGS, 0] + probe(0, 0x10, 1) + probe(0, 0, 2) +
     probe(0, 0x4, 0) + [INSERT, 0] + u32(0) + [OPTS, 1, REMOVE, 0] + u32(0),
 'references': good + [REF, 0, 1, UNREF, 0, FROM_NAME, 1, FZ0, 3, MOD_REF, 3, 4, UNREF, 1, STRINGS, 3, MOD_UNREF, 3,
     STRINGS, 4, DEPS, 4, 0, MOD_UNREF, 4, WALK, 0, FREE_LIST, 0],
 'damaged-index': [DAMAGE, 1] + u32(40) + [8] + list(b'\xff' * 8) + [1, DAMAGE, 2] + u32(0) + [0, 0, NEW, 1, 0, LOAD, 0,
     LOOKUP, 0, FZALIAS, 0, LOOKUP, 0, SYMBOL, 1, LOOKUP, 0, PCI, 2, VALIDATE, 0, DAMAGE, 3] + u32(9) + [3, 1, 2, 3, 1,
     VALIDATE, 0, NAME_LOOKUP, 0, FZBUILTIN, 0, DUMP, 0, 2],
 'damaged-module': [DAMAGE, 10] + u32(64) + [16] + list(range(16)) + [1, NEW, 4, 0, FROM_PATH, 0, 1, 0,
     FILE_LISTS, 0, 0, 0, FILE_LISTS, 0, 1, 1, FILE_LISTS, 0, 2, 2, FILE_LISTS, 0, 3, 3, WALK, 0, WALK, 1, WALK, 3]
     + probe(0, 0x10),
}
for name, ops in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(bytes(ops))
PY
for f in "$work"/api/*; do put libkmod_api "$f"; done
du -sh "$corpus"
