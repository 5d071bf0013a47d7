#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the hostile inputs of tests/hostile/cases.txt into OUT.

usage: make-corpus.py OUT BASE.ko SIGNED.ko

The compressed inputs (bombs, truncated streams) and the modules that need
a compiler (long and non-ASCII aliases, a huge __versions) are made by
tests/cli/hostile-inputs.sh itself.

BASE.ko is a small synthesized 64-bit little-endian module (.modinfo,
__versions, .symtab, __ksymtab_strings); SIGNED.ko a module carrying a
PKCS#7 signature trailer. Every other file is derived from them here, so a
case's input is exactly what its name says and nothing else changes.
"""
import os
import struct
import sys

EHDR_SHOFF, EHDR_SHENTSIZE, EHDR_SHNUM, EHDR_SHSTRNDX = 0x28, 0x3A, 0x3C, 0x3E
SIG_MAGIC = b'~Module signature appended~\n'


class Elf:
    def __init__(self, data):
        self.b = bytearray(data)
        self.shoff = struct.unpack_from('<Q', self.b, EHDR_SHOFF)[0]
        self.shnum = struct.unpack_from('<H', self.b, EHDR_SHNUM)[0]
        self.shstrndx = struct.unpack_from('<H', self.b, EHDR_SHSTRNDX)[0]

    def shdr_at(self, i):
        return self.shoff + 64 * i

    def field(self, i, name):
        off, fmt = {'type': (4, '<I'), 'offset': (24, '<Q'), 'size': (32, '<Q'), 'entsize': (56, '<Q')}[name]
        return self.shdr_at(i) + off, fmt

    def get(self, i, name):
        off, fmt = self.field(i, name)
        return struct.unpack_from(fmt, self.b, off)[0]

    def set(self, i, name, value):
        off, fmt = self.field(i, name)
        struct.pack_into(fmt, self.b, off, value)
        return self

    def name(self, i):
        strtab = self.get(self.shstrndx, 'offset')
        start = strtab + struct.unpack_from('<I', self.b, self.shdr_at(i))[0]
        return bytes(self.b[start:self.b.index(0, start)]).decode()

    def index(self, name):
        for i in range(self.shnum):
            if self.name(i) == name:
                return i
        raise KeyError(name)

    def copy(self):
        return Elf(self.b)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    out, base_path, signed_path = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    base = Elf(open(base_path, 'rb').read())
    signed = open(signed_path, 'rb').read()

    def write(name, data):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(bytes(data))

    # Truncated at every section boundary: where each section starts and
    # ends, and where the section header table starts.
    cuts = {base.shoff}
    for i in range(1, base.shnum):
        cuts.add(base.get(i, 'offset'))
        cuts.add(base.get(i, 'offset') + base.get(i, 'size'))
    cuts = sorted(c for c in cuts if 0 < c < len(base.b))
    with open(os.path.join(out, 'truncation-points'), 'w') as f:
        for c in cuts:
            write('trunc-%06d.ko' % c, base.b[:c])
            f.write('trunc-%06d\n' % c)

    modinfo = base.index('.modinfo')
    strtab = base.index('.strtab')
    symtab = base.index('.symtab')
    versions = base.index('__versions')
    e = base.copy().set(modinfo, 'offset', len(base.b) + 100)
    write('shdr-offset-past-end.ko', e.b)
    e = base.copy().set(modinfo, 'size', 0xFFFFFFFF0)
    write('modinfo-4gib.ko', e.b)
    e = base.copy().set(modinfo, 'offset', 0xFFFFFFFFFFFFFF00)
    write('shdr-offset-wraps.ko', e.b)
    e = base.copy().set(modinfo, 'offset', base.get(strtab, 'offset')).set(modinfo, 'size', base.get(strtab, 'size'))
    write('shdr-overlap.ko', e.b)
    e = base.copy()
    struct.pack_into('<Q', e.b, EHDR_SHOFF, len(base.b) - 64)
    write('shoff-past-end.ko', e.b)
    e = base.copy()
    struct.pack_into('<H', e.b, EHDR_SHNUM, 0xFFFF)
    write('shnum-lie.ko', e.b)
    e = base.copy()
    struct.pack_into('<H', e.b, EHDR_SHSTRNDX, 0xFFF0)
    write('shstrndx-lie.ko', e.b)
    e = base.copy()
    struct.pack_into('<H', e.b, EHDR_SHENTSIZE, 32)
    write('shentsize-wrong.ko', e.b)
    write('symtab-entsize-zero.ko', base.copy().set(symtab, 'entsize', 0).b)
    write('symtab-entsize-wrong.ko', base.copy().set(symtab, 'entsize', 7).b)
    # Every NUL of .strtab made 'A': symbol names run to the end of the section.
    e = base.copy()
    s_off, s_size = e.get(strtab, 'offset'), e.get(strtab, 'size')
    e.b[s_off:s_off + s_size] = bytes(ord('A') if c == 0 else c for c in e.b[s_off:s_off + s_size])
    write('strtab-no-nul.ko', e.b)
    write('versions-4gib.ko', base.copy().set(versions, 'size', 0x100000000 * 64).b)

    # Signature trailers whose lengths lie.
    info = len(signed) - len(SIG_MAGIC) - 12
    assert signed.endswith(SIG_MAGIC)
    s = bytearray(signed)
    struct.pack_into('>I', s, info + 8, 0xFFFFFFF0)
    write('sig-len-past-start.ko', s)
    s = bytearray(signed)
    s[info + 3] = 0xFF  # signer_len
    s[info + 4] = 0xFF  # key_id_len
    s[info + 2] = 1     # X509 id type: signer and key id come from the trailer
    write('sig-x509-lengths-lie.ko', s)
    write('sig-magic-only.ko', SIG_MAGIC)

    # .bin indexes (valid header) whose node references point outside the
    # file or back at the root.
    header = struct.pack('>III', 0xB007F457, 0x00020001, 0x20000000 | 12)
    write('index-outside.bin', header + bytes([ord('a'), ord('z')]) + struct.pack('>I', 0x40000000 | 0x0FFFFF00) * 26)
    write('index-loop.bin', header + bytes([ord('a'), ord('z')]) + struct.pack('>I', 0x20000000 | 12) * 26)

    # Configuration files.
    write('line-1mib.conf', b'options kx_params p_str=' + b'x' * (1 << 20) + b'\nalias zz kx_base\n')
    write('search-1mib.conf', b'search' + b' updates' * (1 << 17) + b'\nexclude' + b' x' * (1 << 18) + b'\n')
    write('nul.conf', b'alias a\0lias kx_base\nalias b kx_base\0junk\n\0\0\0\noptions kx_base x=1\n')
    write('continuation.conf', b'alias c kx_base \\\nalias d kx_base \\')
    write('continuation-depmod.conf', b'search updates \\\nbuilt-in \\')
    # glibc's regcomp() needs about 1 GiB for this kernel version pattern.
    write('regex-bomb.conf', b'external 6.**' + b'+' * 100 + b' /nonexistent\n')
    write('modules.order-1mib', b'kernel/' + b'd' * (1 << 20) + b'/base.ko\nkernel/base.ko\n')

    # modules.dep.bin sources (`kmodx-index-tool build` input: key, priority,
    # value): a line without ':' and a dependency cycle.
    write('dep-no-colon.dump', b'base\t0\tkernel/base.ko\n')
    write('dep-cycle.dump', b'base\t0\tkernel/base.ko: kernel/other.ko\n'
                            b'other\t1\tkernel/other.ko: kernel/base.ko\n')


main()
