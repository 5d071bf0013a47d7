#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds a small relocatable ELF object that looks like a kernel module to
depmod and modinfo, by generating C and compiling it with gcc -c.

usage: synth-module.py OUT.ko SPEC-JSON
       synth-module.py OUT.ko @SPEC-FILE   (the JSON in a file, for big specs)

SPEC keys (all optional):
  modinfo   list of "key=value" strings, each a NUL-terminated .modinfo record
  exports   symbols defined here and named in __ksymtab_strings
  crcs      {symbol: crc} written to __kcrctab (32-bit)
  needs     undefined symbols the module calls
  weak      undefined weak symbols
  versions  {symbol: crc} written to __versions (64-byte records)
  m32       true for a 32-bit object (gcc -m32)
"""
import json
import os
import subprocess
import sys
import tempfile


def c_string(text):
    """A C string literal holding text's UTF-8 bytes exactly."""
    out = []
    for byte in text.encode('utf-8'):
        ch = chr(byte)
        if ch in '\\"':
            out.append('\\' + ch)
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append('\\%03o' % byte)
    return '"' + ''.join(out) + '"'


def source(spec):
    lines = ['typedef unsigned int u32; typedef unsigned long long u64;']
    for n, record in enumerate(spec.get('modinfo', [])):
        lines.append('static const char modinfo_%d[] __attribute__((section(".modinfo"), used, aligned(1))) = %s;'
                     % (n, c_string(record)))
    for sym in spec.get('exports', []):
        lines.append('void %s(void) {}' % sym)
        lines.append('static const char ksymstr_%s[] __attribute__((section("__ksymtab_strings"), used, aligned(1))) = %s;'
                     % (sym, c_string(sym)))
    for sym, crc in spec.get('crcs', {}).items():
        lines.append('const u32 __crc_%s __attribute__((section("__kcrctab"), used)) = %du;' % (sym, crc))
    needs = spec.get('needs', [])
    weak = spec.get('weak', [])
    for sym in needs:
        lines.append('extern void %s(void);' % sym)
    for sym in weak:
        lines.append('extern void %s(void) __attribute__((weak));' % sym)
    lines.append('void synth_module_init(void) { %s }' % ' '.join('%s();' % s for s in needs + weak))
    versions = spec.get('versions')
    if versions is not None:
        crc_type = 'u32' if spec.get('m32') else 'u64'
        name_len = 60 if spec.get('m32') else 56
        lines.append('struct modversion { %s crc; char name[%d]; };' % (crc_type, name_len))
        entries = ', '.join('{ %du, %s }' % (crc, c_string(sym)) for sym, crc in versions.items())
        lines.append('static const struct modversion versions[] __attribute__((section("__versions"), used)) = { %s };'
                     % entries)
    return '\n'.join(lines) + '\n'


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, spec = sys.argv[1], sys.argv[2]
    if spec.startswith('@'):
        with open(spec[1:]) as f:
            spec = f.read()
    spec = json.loads(spec)
    fd, path = tempfile.mkstemp(suffix='.c')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(source(spec))
        cmd = ['gcc', '-c', '-O0', '-fno-asynchronous-unwind-tables', '-o', out, path]
        if spec.get('m32'):
            cmd.insert(1, '-m32')
        subprocess.check_call(cmd)
    finally:
        os.unlink(path)


if __name__ == '__main__':
    main()
