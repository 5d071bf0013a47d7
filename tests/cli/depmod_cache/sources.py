# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test: what the random edits draw on. Sources holds the
# pristine module files (a plain tree and its xz and zst builds) that edits
# copy from and recognise by digest; elf_sections finds the sections of a
# module (.modinfo, .symtab, .strtab) whose characters an in-place rewrite
# changes.
import os
import struct

from .common import digest, read_bytes


class Sources:
    """Module files that are never changed: a plain tree and its xz and zst
    builds (same relative paths, plus .xz / .zst)."""

    def __init__(self, plain, xz, zst, eager):
        self.dirs = {'': plain, 'xz': xz, 'zst': zst}
        self.rels = []
        for dirpath, dirnames, filenames in os.walk(plain):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith('.ko'):
                    self.rels.append(os.path.relpath(os.path.join(dirpath, f), plain))
        self.rel_set = set(self.rels)
        self.index = {}     # digest of a plain, xz or zst file -> rel
        self.indexed = set()
        if eager:
            for rel in self.rels:
                self.index_rel(rel)

    def path(self, kind, rel):
        return os.path.join(self.dirs[kind], rel + ('.' + kind if kind else ''))

    def index_rel(self, rel):
        if rel in self.indexed or rel not in self.rel_set:
            return
        self.indexed.add(rel)
        for kind in self.dirs:
            p = self.path(kind, rel)
            if os.path.isfile(p):
                self.index[digest(read_bytes(p))] = rel

    def identify(self, data, hint=None):
        if hint:
            self.index_rel(hint)
        return self.index.get(digest(data))

    def read(self, kind, rel):
        return read_bytes(self.path(kind, rel))


def elf_sections(data):
    """{name: (offset, size)} of a little-endian ELF64 file, or None."""
    if len(data) < 64 or data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        return None
    try:
        shoff = struct.unpack_from('<Q', data, 0x28)[0]
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
        heads = []
        for i in range(shnum):
            name, typ, flags, addr, off, size = struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
            heads.append((name, off, size))
        stroff = heads[shstrndx][1]
        res = {}
        for name, off, size in heads:
            end = data.index(b'\0', stroff + name)
            if off + size <= len(data):
                res[data[stroff + name:end].decode(errors='replace')] = (off, size)
        return res
    except (struct.error, IndexError, ValueError):
        return None
