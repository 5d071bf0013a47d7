#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The .bin index reader and writer against the real kmod (Debian's kmod 30):
# builds a module tree from synthesized modules, lets kmod's depmod index it,
# and runs the [oracle] tests of tests/unit/index/index_oracle_test.cpp on the
# result. They check that our reader reads kmod's files (dumps equal
# `modprobe -c`, lookups equal `modprobe -R` and the text files) and that our
# writer, fed the same entries, writes kmod's files byte for byte.
#
# Usage: bash tests/cli/index-oracle.sh        (exit 1 on any failure)
# Environment:
#   DEPMOD, MODPROBE     the oracle (default /sbin/depmod, /sbin/modprobe)
#   KMODX_MKMOD          module synthesizer (default tests/tools/synth-module.py)
#   KMODX_ORACLE_DRIVER  a built test binary that contains the [oracle] tests
#                        (e.g. build/kmodx_unit_tests); otherwise one is compiled
#   KMODX_ORACLE_ORDER   "pre" when the oracle is kmod 34 or later
#   CXX                  compiler for the driver (default g++)
#   KEEP=1               keep the work directory and print its name
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
depmod=${DEPMOD:-/sbin/depmod}
modprobe=${MODPROBE:-/sbin/modprobe}
mkmod=${KMODX_MKMOD:-$top/tests/tools/synth-module.py}
kver=1.0.0
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

# ---- the module tree --------------------------------------------------------
root=$work/root
dir=$root/lib/modules/$kver
mkdir -p "$dir"
mod() {  # relative path, mkmod.py JSON spec
  mkdir -p "$(dirname "$dir/$1")"
  python3 "$mkmod" "$dir/$1" "$2" || { bad "mkmod.py $1"; finish; }
}
mod kernel/drivers/a/mod-a.ko '{"modinfo": ["alias=pci:v00001234d*sv*sd*bc*sc*i*", "alias=char-major-10-123",
  "alias=devname:foo", "alias=usb:v*p*d*dc*dsc*dp*ic*isc*ip*in*", "license=GPL"], "exports": ["a_fn", "a_fn2"]}'
mod kernel/drivers/b/mod-b.ko '{"modinfo": ["alias=pci:v00001234d*sv*sd*bc*sc*i*", "alias=bad[alias",
  "alias=pci:v*d*sv*sd*bc02sc*i*", "alias=ab[c-d]-e", "alias=stray]x"], "exports": ["b_fn"], "needs": ["a_fn"]}'
mod kernel/drivers/b/mod-c.ko '{"modinfo": ["alias=dup-alias", "alias=dup-alias", "alias=pci:v00001234d*sv*sd*bc*sc*i*",
  "alias=input:b0003v*p*e*-e*,1,*k*", "alias=scsi:t-0x01*"], "needs": ["b_fn", "a_fn2"]}'
mod kernel/fs/mod_d.ko '{"modinfo": ["alias=fs-modd", "alias=pci:v00001234d00005678sv*sd*bc*sc*i*",
  "alias=acpi*:PNP0A03:*"], "exports": ["d_fn", "a_fn2"]}'
if command -v xz > /dev/null; then
  mod kernel/fs/mod-xz.ko '{"modinfo": ["alias=fs-xz", "alias=of:N*T*Cvendor,xz"], "exports": ["xz_fn"], "needs": ["d_fn"]}'
  xz "$dir/kernel/fs/mod-xz.ko"
fi
for i in $(seq 0 29); do
  needs='[]'
  [ "$i" -gt 0 ] && [ $((i % 3)) -ne 0 ] && needs="[\"gen_$((i - 1))_fn\"]"
  hex=$(printf '%04X' $((i * 331 + 4096)))
  mod "kernel/gen/g$((i % 4))/gen-$i.ko" "{\"modinfo\": [\"alias=pci:v0000${hex}d*sv*sd*bc*sc*i*\",
    \"alias=platform:gen-$i\", \"alias=of:N*T*Cvendor,gen$i\", \"alias=acpi*:GEN$((i % 7)):*\",
    \"alias=gen-common\"], \"exports\": [\"gen_${i}_fn\", \"shared_fn\"], \"needs\": $needs}"
done
# A partial modules.order, so the array is part rank order, part hash order.
printf '%s\n' '# comment' kernel/gen/g0/gen-8.ko kernel/drivers/b/mod-c.ko kernel/gen/g1/gen-5.ko \
  kernel/gen/g0/gen-4.ko kernel/drivers/a/mod-a.ko kernel/fs/mod-xz.ko kernel/gen/g3/gen-27.ko > "$dir/modules.order"
printf '%s\n' kernel/fs/ext4/ext4.ko kernel/net/unix/unix.ko kernel/drivers/foo-bar.ko kernel/lib/crc32c.ko \
  > "$dir/modules.builtin"
# Equal priorities under one key (crypto-crc32c) show the stored tie order.
printf '%s\0' ext4.alias=fs-ext4 ext4.alias=fs-ext3 ext4.license=GPL unix.alias=net-pf-1 \
  foo_bar.alias=platform:foo* unix.alias=platform:f* ext4.alias=platform:f?o* crc32c.alias=crypto-crc32c \
  crc32c.alias=crc32c unix.alias=crypto-crc32c > "$dir/modules.builtin.modinfo"

if "$depmod" -b "$root" "$kver" 2> "$work/depmod.err" && [ -s "$dir/modules.alias.bin" ]; then
  ok "kmod depmod indexes the tree"
else
  bad "kmod depmod indexes the tree"; cat "$work/depmod.err"; finish
fi

# kmod's empty index: exactly the 12-byte header, root reference 12.
mkdir -p "$work/empty/lib/modules/$kver"
"$depmod" -b "$work/empty" "$kver" 2> /dev/null
if [ "$(od -An -tx1 "$work/empty/lib/modules/$kver/modules.alias.bin" | tr -d ' \n')" = b007f457000200010000000c ]; then
  ok "kmod's empty index is the 12-byte header"
else
  bad "kmod's empty index is the 12-byte header"
fi

# ---- what modprobe sees -----------------------------------------------------
mkdir -p "$work/no-config.d"
mp=("$modprobe" -d "$root" -S "$kver" -C "$work/no-config.d")
"${mp[@]}" -c > "$work/modprobe-c.txt" 2> /dev/null
: > "$work/resolve.txt"
for q in pci:v00001234d00005678sv00000001sd00000002bc02sc00i00 pci:v00001234d00000001sv0sd0bc03sc0i0 \
         pci:v00009999d00000001sv0sd0bc02sc0i0 gen-common dup-alias dup_alias char-major-10-123 \
         usb:v0001p0002d0003dc00dsc00dp00ic00isc00ip00in00 abc_e abd-e abe-e acpi:PNP0A03:x acpiX:GEN3:y \
         input:b0003v0001p0002e0003-e1,1,2k3 scsi:t-0x01x of:NfooTbarCvendor,gen7 of:NxTyCvendor,xz \
         platform:gen-12 platform:foo1 platform:fxo platform:f fs-ext4 fs-ext3 net-pf-1 crc32c crypto-crc32c \
         symbol:a_fn2 symbol:shared_fn symbol:gen_3_fn symbol:nothing mod-a mod_d gen-17 ext4 unix foo-bar \
         nothing-at-all; do
  printf '%s\t%s\n' "$q" "$("${mp[@]}" -R "$q" 2> /dev/null | tr '\n' ' ' | sed 's/ $//')" >> "$work/resolve.txt"
done

# ---- the driver -------------------------------------------------------------
driver=${KMODX_ORACLE_DRIVER:-}
if [ -z "$driver" ]; then
  driver=$work/index-oracle
  if "${CXX:-g++}" -std=c++20 -O1 -I"$top/include" -I"$top/src" -I"$top/tests" -o "$driver" \
       "$top/tests/main.cpp" "$top/tests/unit/index/index_oracle_test.cpp" "$top/src/index/index_reader.cpp" "$top/src/util/mapped_file.cpp" \
       "$top/src/index/trie_writer.cpp" "$top/src/util/names.cpp" "$top/src/query/lookup.cpp" 2> "$work/build.err"; then
    ok "build the oracle driver"
  else
    bad "build the oracle driver"; cat "$work/build.err"; finish
  fi
fi

export KMODX_ORACLE_TREE=$dir KMODX_ORACLE_MODPROBE_C=$work/modprobe-c.txt KMODX_ORACLE_RESOLVE=$work/resolve.txt
for name in "oracle: TrieBuilder reproduces kmod's .bin files byte for byte" \
            "oracle: alias and symbol dumps equal modprobe -c" \
            "oracle: modules.dep.bin agrees with modules.dep" \
            "oracle: alias and symbol indexes agree with the text files" \
            "oracle: builtin indexes" \
            "oracle: lookups give modprobe -R's answers in its order"; do
  if "$driver" "$name" > "$work/driver.out" 2>&1 && grep -q '^All tests passed' "$work/driver.out"; then
    ok "$name"
  else
    bad "$name"; sed -n '1,60p' "$work/driver.out"
  fi
done
finish
