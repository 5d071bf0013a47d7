#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One line per depmod output file of a module directory: name, entries, bytes.

Usage: index-summary.py MODULE_DIR

Entries are the lines of a text file that are not comments, and the values
stored in a .bin index (the trie format is documented in
include/kmodx/index.hpp: u32 big-endian words, node references with PREFIX,
VALUES and CHILDS flags in the top bits and the offset in the low 28).
"""
import os
import struct
import sys

OUTPUTS = ["modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin",
           "modules.softdep", "modules.weakdep", "modules.symbols", "modules.symbols.bin",
           "modules.builtin.bin", "modules.builtin.alias.bin", "modules.devname"]


def bin_values(data: bytes) -> int:
    magic, version, root = struct.unpack_from(">III", data, 0)
    if magic != 0xB007F457 or version >> 16 != 2:
        raise ValueError("not a kmod index")
    count, stack, seen = 0, [root], set()
    while stack:
        ref = stack.pop()
        off = ref & 0x0FFFFFFF
        if off == 0 or off in seen:
            continue
        seen.add(off)
        if ref & 0x80000000:                      # PREFIX: bytes, NUL
            off = data.index(b"\0", off) + 1
        if ref & 0x20000000:                      # CHILDS: first, last, refs
            first, last = data[off], data[off + 1]
            n = last - first + 1
            stack.extend(struct.unpack_from(f">{n}I", data, off + 2))
            off += 2 + 4 * n
        if ref & 0x40000000:                      # VALUES: count, then values
            count += struct.unpack_from(">I", data, off)[0]
    return count


def text_entries(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n") if line and not line.startswith(b"#"))


def main() -> int:
    moddir = sys.argv[1]
    print(f"   {'file':<28}{'entries':>8}{'bytes':>9}")
    for name in OUTPUTS:
        path = os.path.join(moddir, name)
        if not os.path.exists(path):
            print(f"   {name:<28}{'(missing)':>17}")
            continue
        with open(path, "rb") as f:
            data = f.read()
        n = bin_values(data) if name.endswith(".bin") else text_entries(data)
        print(f"   {name:<28}{n:>8}{len(data):>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
