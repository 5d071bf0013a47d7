# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test, part 3: hostile cache files. On a fixture tree with a
# valid cache, each case puts something else in the cache's place (a FIFO, a
# directory, symlinks, truncated, grown or random bytes, lying fields with and
# without a recomputed checksum, stale records) and checks that depmod writes
# what a --no-cache run writes, says why the cache was not used, and leaves a
# cache the next run takes every module from.
import os
import random
import shutil
import stat
import struct

from .cachefile import CacheFile, patched, reseal
from .common import CACHE, NOT_USED, read_bytes, remove_any
from .runner import Run, compare_with_full


def hostile(kmodx, base, kver, seed, other_cache):
    rng = random.Random(seed * 7919 + 3)
    root = os.path.join(base, 'root')
    moddir = os.path.join(root, 'lib/modules', kver)
    conf = os.path.join(base, 'conf')
    full = os.path.join(base, 'full')
    cache_path = os.path.join(moddir, CACHE)
    inc_argv = [kmodx, 'depmod', '-v', '-C', conf, '-b', root, kver]
    failures = []
    checks = 0
    failed_cases = 0
    for _ in range(2):
        r = Run(inc_argv, 60)
        if r.rc != 0:
            return False, ['  setup run failed: %s %s' % (r.describe(), r.err)], 0, 0
    r = Run(inc_argv, 60)
    h = r.hits()
    if not h or h[0] != h[1]:
        return False, ['  setup: the third run did not take every module from the cache: %s' % r.cache_lines], 0, 0
    total = h[1]
    good = read_bytes(cache_path)
    c = CacheFile(good)
    with_needs = next(i for i, rec in enumerate(c.records) if rec['lists'][4][1])
    with_alias = next(i for i, rec in enumerate(c.records) if rec['lists'][0][1])
    elsewhere = os.path.join(base, 'elsewhere.bin')
    nowhere = os.path.join(base, 'nowhere.bin')
    settings_new = c.settings.replace('module directory ' + moddir, 'module directory ' + moddir + '-other')
    s_enc = settings_new.encode()
    other_settings = reseal(good[:32] + struct.pack('=I', len(s_enc)) + s_enc + good[36 + len(c.settings.encode()):])
    # A record whose path is an alias string: valid, but its module has no record.
    alias_string = c.records[with_alias]['lists'][0][1][0]

    def put(data):
        with open(cache_path, 'wb') as f:
            f.write(data)

    def mk_dir():
        os.mkdir(cache_path)
        with open(os.path.join(cache_path, 'inside'), 'w') as f:
            f.write('x\n')

    def mk_link():
        with open(elsewhere, 'wb') as f:
            f.write(good)
        os.symlink(elsewhere, cache_path)

    rec0 = c.records[0]
    cases = [
        ('a FIFO', lambda: os.mkfifo(cache_path), 'not a regular file', 'valid'),
        ('a directory', mk_dir, 'not a regular file', 'dir'),
        ('a symlink to a valid cache elsewhere', mk_link, 'a symbolic link', 'valid'),
        ('a dangling symlink', lambda: os.symlink(nowhere, cache_path), 'a symbolic link', 'valid'),
        ('an empty file', lambda: put(b''), 'truncated (0 bytes)', 'valid'),
        ('random bytes', lambda: put(rng.randbytes(4096)), 'not a kmodx depmod cache', 'valid'),
        ('a copy truncated in the middle', lambda: put(good[:len(good) // 2]), 'truncated or grown', 'valid'),
        ('a copy cut inside the header', lambda: put(good[:30]), 'truncated (30 bytes)', 'valid'),
        ('a copy with 16 bytes appended', lambda: put(good + bytes(16)), 'truncated or grown', 'valid'),
        ('a lying length (settings length 0xffffffff)', lambda: put(patched(good, 32, '=I', 0xffffffff)),
         'checksum mismatch', 'valid'),
        ('a lying length inside the tables', lambda: put(patched(good, c.string_offs[0], '=I', 0xffffffff)),
         'checksum mismatch', 'valid'),
        ('one bit flipped in a record', lambda: put(patched(good, rec0['off'] + 8, '=Q', rec0['key'][1] ^ 1)),
         'checksum mismatch', 'valid'),
        ('version 99', lambda: put(patched(good, 8, '=I', 99)), 'format version 99, not 1', 'valid'),
        ('the other byte order', lambda: put(patched(good, 12, '=I', 0x04030201)), 'other byte order', 'valid'),
        ('another module directory', lambda: put(other_settings), 'made with other settings', 'valid'),
        ('a cache of another tree', lambda: put(other_cache), 'made with other settings', 'valid'),
        # Lies behind a recomputed checksum: the reader's own bounds checks.
        ('sealed: settings length 0xffffffff', lambda: put(patched(good, 32, '=I', 0xffffffff, True)),
         'truncated header', 'valid'),
        ('sealed: string count 0xffffffff', lambda: put(patched(good, c.string_count_off, '=I', 0xffffffff, True)),
         'string table runs past the end', 'valid'),
        ('sealed: first string length 0xfffffff0',
         lambda: put(patched(good, c.string_offs[0], '=I', 0xfffffff0, True)), 'runs past the end', 'valid'),
        ('sealed: symbol count 0x7fffffff', lambda: put(patched(good, c.symbol_count_off, '=I', 0x7fffffff, True)),
         'symbol table runs past the end', 'valid'),
        ('sealed: record count 0xffffffff', lambda: put(patched(good, c.record_count_off, '=I', 0xffffffff, True)),
         'record table runs past the end', 'valid'),
        ('sealed: record count one more', lambda: put(patched(good, c.record_count_off, '=I', len(c.records) + 1,
                                                              True)), 'record %d runs past the end' % len(c.records),
         'valid'),
        ('sealed: record count one less', lambda: put(patched(good, c.record_count_off, '=I', len(c.records) - 1,
                                                              True)), 'data after the last record', 'valid'),
        ('sealed: record path index out of range',
         lambda: put(patched(good, rec0['path_off'], '=I', len(c.strings), True)),
         'record 0 runs past the end or names no entry', 'valid'),
        ('sealed: needed-symbol index out of range',
         lambda: put(patched(good, c.records[with_needs]['lists'][4][0], '=I', len(c.symbols), True)),
         'record %d runs past the end or names no entry' % with_needs, 'valid'),
        ('sealed: alias index out of range',
         lambda: put(patched(good, c.records[with_alias]['lists'][0][0], '=I', 0xffffffff, True)),
         'record %d runs past the end or names no entry' % with_alias, 'valid'),
        ('sealed: symbol name index out of range',
         lambda: put(patched(good, c.symbol_count_off + 4, '=I', len(c.strings), True)),
         'names no string', 'valid'),
        ('sealed: two records for one path',
         lambda: put(reseal(patched(good, c.record_count_off, '=I', len(c.records) + 1)
                            + good[rec0['off']:rec0['end']])),
         'two records for ' + rec0['path'], 'valid'),
        ('sealed: data after the last record', lambda: put(reseal(good + bytes(4))), 'data after the last record',
         'valid'),
        # Valid files whose records no longer fit: used, the module read.
        ('stale: a record with another inode',
         lambda: put(patched(good, rec0['off'] + 8, '=Q', rec0['key'][1] ^ 1, True)), None, 'stale'),
        ('stale: a record moved to another path',
         lambda: put(patched(good, rec0['path_off'], '=I', alias_string, True)), None, 'stale'),
    ]
    for name, make, reason, after in cases:
        checks += 1
        remove_any(cache_path)
        make()
        p = []
        # The full run first, on the same tree: the walk of the module
        # directory meets the hostile entry too (a FIFO or a dangling link
        # there is an error, as in kmod), and the incremental run replaces it.
        if os.path.lexists(full):
            shutil.rmtree(full)
        f = Run([kmodx, 'depmod', '-v', '--no-cache', '-C', conf, '-b', root, '-o', full, kver], 20)
        r = Run(inc_argv, 20)
        if r.timed_out:
            p.append('  depmod hung (killed after 20 s)')
        elif r.rc != 0:
            p.append('  exit status %s: %s' % (r.rc, r.err.strip()))
        p += compare_with_full(r, f, moddir, os.path.join(full, 'lib/modules', kver)) if not r.timed_out else []
        if reason is not None:
            why = r.not_used()
            if why is None:
                p.append('  no "%s" NOTICE line: %s' % (NOT_USED.strip(), r.cache_lines))
            elif reason not in why:
                p.append('  reason %r, expected it to contain %r' % (why, reason))
        else:
            h = r.hits()
            if h != (total - 1, total, 1):
                p.append('  NOTICE %s, expected "%d of %d modules unchanged, 1 read"' % (r.cache_lines, total - 1, total))
        if after == 'dir':
            if not os.path.isdir(cache_path) or os.path.islink(cache_path):
                p.append('  the directory is gone')
            if not any('a directory, so no cache is written' in t for _, t in r.cache_lines):
                p.append('  no NOTICE saying the directory keeps a cache from being written: %s' % r.cache_lines)
        elif not r.timed_out:
            st = os.lstat(cache_path) if os.path.lexists(cache_path) else None
            if st is None or not stat.S_ISREG(st.st_mode):
                p.append('  afterwards the cache is not a regular file')
            else:
                n = Run(inc_argv, 20)
                if n.hits() != (total, total, 0):
                    p.append('  the next run did not take every module from the cache: %s' % n.cache_lines)
        if name.startswith('a symlink to'):
            if read_bytes(elsewhere) != good:
                p.append('  the symlink\'s target was changed')
        if name.startswith('a dangling'):
            if os.path.lexists(nowhere):
                p.append('  the dangling symlink\'s target was created')
        if p:
            failed_cases += 1
            failures.append('  %s:' % name)
            failures.extend('  ' + x for x in p)
        else:
            print('  ok: %s' % name)
    remove_any(cache_path)
    return not failures, failures, checks, failed_cases
