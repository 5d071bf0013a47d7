#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""depmod's cache of parsed modules (modules.kmodx-cache.bin): an incremental
run writes exactly what a full run writes.

usage: depmod-cache.py KMODX

Four parts, each ending in one PASS or FAIL line:

 1. Random edits on the fixture tree (tests/fixtures/build-fixtures.sh
    --no-depmod; its xz and zst builds for the compression switches): at
    least KMODX_CACHE_STEPS_FIXTURE (default 200) steps, each one edit (add,
    copy, remove, rename or move a module; rewrite one in place keeping its
    size and mtime, so that only its ctime tells; switch its compression;
    corrupt, touch or symlink it; edit depmod.d, modules.order,
    modules.builtin, modules.builtin.modinfo; delete the cache or
    modules.dep), then `depmod -v -C CONF -b ROOT KVER` in place and
    `depmod -v --no-cache -C CONF -b ROOT -o FULL KVER` into a fresh FULL.
    The two must agree: exit status, stdout, stderr (less the incremental
    run's NOTICE lines about the cache), the set of output files and every
    byte of them; the cache only in the incremental directory. After each
    incremental run the cache is also checked against module_cache.hpp:
    header, checksum and tables parse; it exists exactly when modules.dep or
    a cache was there before the run; every record is a module of
    modules.dep that loaded, with the key stat() gives now, and a ctime more
    than 2 s before the run ended; every such module older than 2 s at the
    start has a record; the NOTICE's "N of M modules unchanged" has M = the
    modules of modules.dep and N = those whose record in the old cache had
    the key they had before the run. The part fails unless at least half of
    the steps took some module from the cache.
 2. The same on a hard-linked copy (cp -al) of Debian's cloud kernel tree
    (tests/cli/debian-full-trees.sh; its xz and zst trees for compression
    switches): KMODX_CACHE_STEPS_CLOUD (default 50) steps. A file shared with
    the download cache is never changed in place: it is first replaced by a
    copy (rename over it), which breaks the link.
 3. Hostile cache files, on a fixture tree with a valid cache: a FIFO (runs
    under a timeout), a directory, a symlink to a valid cache elsewhere (left
    unchanged), a dangling symlink, an empty file, random bytes, a truncated
    and a grown copy, a lying length (checksum mismatch), version 99, the
    other byte order, another module directory, and lies behind a recomputed
    checksum (counts, lengths and indexes out of range, two records for one
    path, data after the last record); besides, two valid but stale caches (a
    record with another inode, a record moved to another path). Each: exit 0,
    outputs as a --no-cache run's, the "not used, every module is read:
    REASON" NOTICE (or, for the stale ones, "M-1 of M"), and afterwards a
    regular cache file that the next run takes every module from (the
    directory stays a directory, and is said to be one). The --no-cache run
    comes first, on the tree with the hostile entry: depmod's walk of the
    module directory meets it too (a FIFO or a dangling link there is an
    ERROR line, as in kmod), and the incremental run replaces it.
 4. Rules: a fresh tree's first run writes no cache, its second does; a run
    that changes nothing leaves the cache file as it was; -n writes nothing
    and prints what --no-cache -n prints; --no-cache neither reads (no
    NOTICE) nor writes the cache, and writes the outputs a cache run writes;
    with -o OUT the cache goes to OUT's module directory and the input's own
    cache is left alone; a cache alone (modules.dep deleted) is enough to
    write the next one.

Environment: KMODX_CACHE_SEED (default 1) seeds parts 1-3;
KMODX_CACHE_STEPS_FIXTURE, KMODX_CACHE_STEPS_CLOUD as above; KEEP=1 keeps
the work directory. A mismatch prints the seed, the step, every edit so far
and a summary of the differences, and ends that part. Exit status 1 if any
part failed. Never loads a module: only depmod runs.
"""
import gzip
import hashlib
import lzma
import os
import random
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

OUTPUTS = ['modules.dep', 'modules.dep.bin', 'modules.alias', 'modules.alias.bin', 'modules.softdep',
           'modules.weakdep', 'modules.symbols', 'modules.symbols.bin', 'modules.builtin.bin',
           'modules.builtin.alias.bin', 'modules.devname']
INPUTS = ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']
CACHE = 'modules.kmodx-cache.bin'
MOD_EXTS = ('.ko', '.ko.xz', '.ko.zst', '.ko.gz')
CACHE_LINE = re.compile(r'^depmod: NOTICE: (.*)/modules\.kmodx-cache\.bin: (.*)$')
HITS = re.compile(r'^(\d+) of (\d+) modules unchanged, (\d+) read$')
NOT_USED = 'not used, every module is read: '
LOAD_FAILED = re.compile(r'^depmod: ERROR: failed to load symbols from (.*): [^:]*$')
TEMPORARY = re.compile(r'^modules\..*\.[0-9]+\.[0-9]+\.[0-9]+$')
RACY_NS = 2_000_000_000
CLOCK_SLACK_NS = 60_000_000  # the coarse clock lags by up to a tick
NS = 1_000_000_000


def die(msg):
    sys.exit('depmod-cache: error: ' + msg)


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def digest(data):
    return hashlib.sha256(data).digest()


def stat_key(path):
    """The FileKey of module_record.hpp: stat() following links."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns // NS, st.st_mtime_ns % NS,
            st.st_ctime_ns // NS, st.st_ctime_ns % NS)


def key_ctime_ns(key):
    return key[5] * NS + key[6]


def module_ext(name):
    for e in ('.ko.xz', '.ko.zst', '.ko.gz', '.ko'):
        if name.endswith(e) and len(name) > len(e):
            return name[:-len(e)], e
    return None, None


def modname(stem):
    return stem.replace('-', '_')


def write_file(path, data, times_ns=None):
    """Writes a new file and renames it over path (never in place)."""
    tmp = os.path.join(os.path.dirname(path), '.depmod-cache-test.tmp')
    with open(tmp, 'wb') as f:
        f.write(data)
    if times_ns:
        os.utime(tmp, ns=times_ns)
    os.rename(tmp, path)


def remove_any(path):
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


# ---------------------------------------------------------------- the cache file

def checksum64(data):
    """util/checksum.cpp."""
    mask = (1 << 64) - 1
    mult = 0x9E3779B97F4A7C15

    def mix(h, w):
        h = ((h ^ w) * mult) & mask
        return h ^ (h >> 29)
    a, b = 0x243F6A8885A308D3, 0x13198A2E03707344
    n = len(data)
    full = n - n % 16
    for w1, w2 in struct.iter_unpack('<QQ', memoryview(data)[:full]):
        a = mix(a, w1)
        b = mix(b, w2)
    tail = bytes(data[full:]) + bytes(16 - (n - full))
    w1, w2 = struct.unpack('<QQ', tail)
    a = mix(a, w1)
    b = mix(b, w2)
    return mix(mix(a, b), n)


class CacheFormatError(Exception):
    pass


class CacheFile:
    """A parsed cache (module_cache.hpp, format version 1, this host's byte
    order), with the offsets of its fields for the hostile variants."""
    KEY = struct.Struct('=QQQqIqI')

    def __init__(self, data):
        self.data = data = bytes(data)
        if len(data) < 36:
            raise CacheFormatError('truncated (%d bytes)' % len(data))
        if data[:8] != b'KMODXDC\n':
            raise CacheFormatError('not a kmodx depmod cache')
        version, order, size, checksum = struct.unpack_from('=IIQQ', data, 8)
        if order != 0x01020304:
            raise CacheFormatError('other byte order')
        if version != 1:
            raise CacheFormatError('format version %d' % version)
        if size != len(data):
            raise CacheFormatError('size %d, header says %d' % (len(data), size))
        if checksum != checksum64(data[32:]):
            raise CacheFormatError('checksum mismatch')
        pos = 32

        def u32():
            nonlocal pos
            if pos + 4 > len(data):
                raise CacheFormatError('runs past the end at %d' % pos)
            v = struct.unpack_from('=I', data, pos)[0]
            pos += 4
            return v

        def blob(n):
            nonlocal pos
            if pos + n > len(data):
                raise CacheFormatError('runs past the end at %d' % pos)
            pos += n
            return data[pos - n:pos]
        n = u32()
        self.settings = blob(n).decode('utf-8', 'surrogateescape')
        self.string_count_off = pos
        self.strings = []
        self.string_offs = []
        for _ in range(u32()):
            self.string_offs.append(pos)
            self.strings.append(blob(u32()).decode('utf-8', 'surrogateescape'))
        self.symbol_count_off = pos
        self.symbols = []
        for _ in range(u32()):
            name = u32()
            crc = struct.unpack('=Q', blob(8))[0]
            if name >= len(self.strings):
                raise CacheFormatError('symbol names no string')
            self.symbols.append((name, crc))
        self.record_count_off = pos
        self.records = []
        for _ in range(u32()):
            rec = {'off': pos, 'key': self.KEY.unpack(blob(48))}
            rec['path_off'] = pos
            p = u32()
            if p >= len(self.strings):
                raise CacheFormatError('record path names no string')
            rec['path'] = self.strings[p]
            rec['lists'] = []
            for li in range(5):
                count = u32()
                list_off = pos
                items = [u32() for _ in range(count)]
                limit = len(self.strings) if li < 3 else len(self.symbols)
                for v in items:
                    if (v & 0x7fffffff if li == 4 else v) >= limit:
                        raise CacheFormatError('record list names no entry')
                rec['lists'].append((list_off, items))
            rec['end'] = pos
            self.records.append(rec)
        if pos != len(data):
            raise CacheFormatError('data after the last record')
        self.by_path = {}
        for r in self.records:
            if r['path'] in self.by_path:
                raise CacheFormatError('two records for ' + r['path'])
            self.by_path[r['path']] = r


def reseal(data):
    """Sets the size and checksum fields of a cache file's bytes."""
    b = bytearray(data)
    struct.pack_into('=Q', b, 16, len(b))
    struct.pack_into('=Q', b, 24, checksum64(bytes(b[32:])))
    return bytes(b)


def patched(data, offset, fmt, value, seal=False):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return reseal(b) if seal else bytes(b)


# ---------------------------------------------------------------- running depmod

class Run:
    def __init__(self, argv, timeout):
        self.argv = argv
        self.t_start = time.time_ns()
        self.timed_out = False
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout)
            self.rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            self.timed_out = True
            self.rc, out, err = None, e.stdout or b'', e.stderr or b''
        self.t_end = time.time_ns()
        self.out = out.decode('utf-8', 'surrogateescape')
        self.err = err.decode('utf-8', 'surrogateescape')
        self.cache_lines = []  # (directory, text)
        other = []
        for line in self.err.splitlines(keepends=True):
            m = CACHE_LINE.match(line.rstrip('\n'))
            if m:
                self.cache_lines.append((m.group(1), m.group(2)))
            else:
                other.append(line)
        self.err_rest = ''.join(other)
        self.load_failed = set()
        for line in self.err.splitlines():
            m = LOAD_FAILED.match(line)
            if m:
                self.load_failed.add(m.group(1))

    def hits(self):
        """(unchanged, total, read) from the NOTICE, or None."""
        for _, text in self.cache_lines:
            m = HITS.match(text)
            if m:
                return tuple(int(x) for x in m.groups())
        return None

    def not_used(self):
        for _, text in self.cache_lines:
            if text.startswith(NOT_USED):
                return text[len(NOT_USED):]
        return None

    def describe(self):
        return 'exit %s%s' % (self.rc, ' (timed out)' if self.timed_out else '')


def output_files(moddir):
    """{name: bytes} of the depmod outputs in a module directory."""
    res = {}
    for f in OUTPUTS:
        p = os.path.join(moddir, f)
        if os.path.isfile(p):
            res[f] = read_bytes(p)
    return res


def diff_summary(name, a, b, limit=16):
    lines = []
    if name.endswith('.bin') or b'\0' in a or b'\0' in b:
        first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        lines.append('    %s: incremental %d bytes, full %d bytes, first difference at byte %d'
                     % (name, len(a), len(b), first))
    else:
        import difflib
        d = list(difflib.unified_diff(a.decode(errors='replace').splitlines(), b.decode(errors='replace').splitlines(),
                                      'incremental/' + name, 'full/' + name, lineterm='', n=1))
        lines.append('    %s differs:' % name)
        lines.extend('      ' + x for x in d[:limit])
        if len(d) > limit:
            lines.append('      ... (%d more diff lines)' % (len(d) - limit))
    return lines


def text_diff(label, a, b, limit=12):
    import difflib
    d = list(difflib.unified_diff(a.splitlines(), b.splitlines(), 'incremental', 'full', lineterm='', n=1))
    return ['    %s differs:' % label] + ['      ' + x for x in d[:limit]]


def compare_with_full(inc, full, moddir, fullmod):
    """Problems (list of lines) between an incremental run in moddir and a
    --no-cache run into fullmod."""
    p = []
    if inc.timed_out or full.timed_out:
        p.append('  a run timed out: incremental %s, full %s' % (inc.describe(), full.describe()))
        return p
    if inc.rc != full.rc:
        p.append('  exit status: incremental %s, full %s' % (inc.rc, full.rc))
    if inc.err_rest != full.err:
        p.append('  stderr differs (cache NOTICE lines aside)')
        p.extend(text_diff('stderr', inc.err_rest, full.err))
    if inc.out != full.out:
        p.append('  stdout differs')
        p.extend(text_diff('stdout', inc.out, full.out))
    if full.cache_lines:
        p.append('  the --no-cache run printed cache lines: %s' % full.cache_lines)
    temps = [n for n in os.listdir(moddir) if TEMPORARY.match(n)]
    if temps:
        p.append('  temporaries left in the module directory: %s' % temps)
    if inc.rc == 0 and full.rc == 0:
        full_names = sorted(os.listdir(fullmod)) if os.path.isdir(fullmod) else []
        if CACHE in full_names:
            p.append('  the --no-cache run wrote a cache')
        extra = [n for n in full_names if n not in OUTPUTS and n != CACHE]
        if extra:
            p.append('  unexpected files in the full run\'s directory: %s' % extra)
        a, b = output_files(moddir), output_files(fullmod)
        if sorted(a) != sorted(b):
            p.append('  output files: incremental %s, full %s' % (sorted(a), sorted(b)))
        for name in sorted(set(a) & set(b)):
            if a[name] != b[name]:
                p.extend(diff_summary(name, a[name], b[name]))
    return p


def dep_modules(moddir):
    """Absolute paths of the modules listed in modules.dep, in order."""
    res = []
    with open(os.path.join(moddir, 'modules.dep'), encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            if ':' in line:
                path = line.split(':', 1)[0]
                res.append(path if path.startswith('/') else os.path.join(moddir, path))
    return res


def read_cache(path):
    """(CacheFile or None, reason)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None, 'absent'
    if not stat.S_ISREG(st.st_mode):
        return None, 'not a regular file'
    try:
        return CacheFile(read_bytes(path)), None
    except CacheFormatError as e:
        return None, str(e)


def check_cache(moddir, inc, before, shared, seen=None):
    """Checks the cache left by the incremental run inc against the rules
    (module_cache.hpp); before is (old CacheFile or None, {path: key before
    the run}, had modules.dep or a cache before). Problems as lines."""
    p = []
    old, keys_before, had_any = before
    if inc.timed_out or inc.rc != 0:
        return p
    cache_path = os.path.join(moddir, CACHE)
    chosen = dep_modules(moddir)
    chosen_set = set(chosen)
    if len(inc.cache_lines) != 1:
        p.append('  expected one NOTICE line about the cache, got %s' % inc.cache_lines)
    hits = inc.hits()
    if old is not None:
        if hits is None:
            p.append('  the cache from the last run (valid here) was not used: %s' % inc.cache_lines)
        else:
            n, m, k = hits
            if m != len(chosen) or n + k != m:
                p.append('  NOTICE "%d of %d modules unchanged, %d read", but modules.dep lists %d modules'
                         % (n, m, k, len(chosen)))
            # Which modules should have come from the cache: a record whose key
            # is the one the file had before the run. A shared inode may be
            # touched by another process (cp -al elsewhere): then no verdict.
            stable = all(stat_key(c) == keys_before.get(c) for c in chosen)
            expected = sum(1 for c in chosen if c in old.by_path and keys_before.get(c) is not None
                           and old.by_path[c]['key'] == keys_before[c])
            if stable and n != expected:
                missed = [c for c in chosen if c in old.by_path and old.by_path[c]['key'] == keys_before.get(c)]
                p.append('  NOTICE says %d modules came from the cache; %d had a record with their current key: %s'
                         % (n, expected, [os.path.relpath(c, moddir) for c in missed][:8]))
    cache, why = read_cache(cache_path)
    if seen is not None:
        seen['cache'] = cache
    if not had_any:
        if os.path.lexists(cache_path):
            p.append('  a cache was written although the directory had neither modules.dep nor a cache before')
        return p
    if cache is None:
        p.append('  no valid cache after the run: %s' % why)
        return p
    moddir_line = 'module directory %s\n' % moddir
    if moddir_line not in cache.settings:
        p.append('  cache settings lack %r: %r' % (moddir_line, cache.settings))
    for r in cache.records:
        path = r['path']
        if path not in chosen_set:
            p.append('  cache record for %s, which is not in modules.dep' % path)
            continue
        if path in inc.load_failed:
            p.append('  cache record for %s, which failed to load' % path)
        now = stat_key(path)
        if now != r['key']:
            only_ctime = now is not None and now[:5] == r['key'][:5]
            if not (shared and only_ctime and os.stat(path).st_nlink > 1):
                p.append('  cache record for %s has key %s, stat() says %s' % (path, r['key'], now))
        if key_ctime_ns(r['key']) >= inc.t_end - RACY_NS:
            p.append('  cache record for %s with a ctime less than 2 s before the run ended' % path)
    for c in chosen:
        if c in cache.by_path or c in inc.load_failed:
            continue
        k = stat_key(c)
        if k is not None and key_ctime_ns(k) < inc.t_start - RACY_NS - CLOCK_SLACK_NS:
            p.append('  no cache record for %s, though its ctime is %.2f s before the run'
                     % (c, (inc.t_start - key_ctime_ns(k)) / NS))
    if len(p) > 20:
        p = p[:20] + ['  ... %d more' % (len(p) - 20)]
    return p


# ---------------------------------------------------------------- pristine sources

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


# ---------------------------------------------------------------- a tree under random edits

class Tree:
    def __init__(self, label, base, kmodx, kver, sources, rng, shared, prefix):
        self.label = label
        self.kmodx = kmodx
        self.kver = kver
        self.root = os.path.join(base, 'root')
        self.moddir = os.path.join(self.root, 'lib/modules', kver)
        self.conf = os.path.join(base, 'conf')
        self.ext = os.path.join(base, 'ext')          # an external directory (depmod.d)
        self.linked = os.path.join(base, 'linked')    # targets of symlinked modules
        self.fullout = os.path.join(base, 'full')
        self.fullmod = os.path.join(self.fullout, 'lib/modules', kver)
        self.sources = sources
        self.rng = rng
        self.shared = shared   # files may be hard links into the download cache
        self.prefix = prefix
        self.counter = 0
        self.history = []
        self.cached_keys = {}     # path -> key of the cache the last run left
        self.ctime_only = 0       # in-place rewrites of a module the cache held
        self.kernel_dirs = []
        self.exclude_names = []
        for d in (self.conf, self.ext, self.linked):
            os.makedirs(d, exist_ok=True)

    def setup_dirs(self, kernel_dirs, exclude_names):
        self.kernel_dirs = kernel_dirs
        self.exclude_names = exclude_names

    # --- runs
    def run_inc(self):
        return Run([self.kmodx, 'depmod', '-v', '-C', self.conf, '-b', self.root, self.kver], 120)

    def run_full(self):
        if os.path.lexists(self.fullout):
            shutil.rmtree(self.fullout)
        return Run([self.kmodx, 'depmod', '-v', '--no-cache', '-C', self.conf, '-b', self.root, '-o', self.fullout,
                    self.kver], 120)

    def state_before(self):
        cache_path = os.path.join(self.moddir, CACHE)
        old, _ = read_cache(cache_path)
        keys = {m: stat_key(m) for m in self.modules()}
        had_any = os.path.lexists(cache_path) or os.path.exists(os.path.join(self.moddir, 'modules.dep'))
        return old, keys, had_any

    # --- the tree
    def modules(self):
        found = []
        for base in (self.moddir, self.ext):
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                if dirpath == self.moddir:
                    continue
                for f in sorted(filenames):
                    if module_ext(f)[0] is not None:
                        found.append(os.path.join(dirpath, f))
        return found

    def regular_modules(self):
        return [m for m in self.modules() if not os.path.islink(m)]

    def target_dirs(self):
        return self.kernel_dirs + ['updates', 'updates/sub', 'extra', 'kernel/extra', None]  # None: external

    def dir_path(self, d):
        return self.ext if d is None else os.path.join(self.moddir, d)

    def rel(self, path):
        return os.path.relpath(path, self.root) if path.startswith(self.root + '/') else path

    def unique_stem(self):
        self.counter += 1
        return '%s%d' % (self.prefix, self.counter)

    def hint(self, path):
        """The relative path of the plain module this file may be a pristine copy of."""
        if not path.startswith(self.moddir + '/'):
            return None
        rel = os.path.relpath(path, self.moddir)
        stem, e = module_ext(rel)
        return stem + '.ko' if stem else None

    def make_private(self, path):
        """Breaks a hard link into the download cache before a change in place."""
        st = os.stat(path)
        if st.st_nlink > 1:
            write_file(path, read_bytes(path), (st.st_atime_ns, st.st_mtime_ns))
            os.chmod(path, stat.S_IMODE(st.st_mode))
            return ' (link broken first)'
        return ''

    def place(self, data, d, name):
        dest = os.path.join(self.dir_path(d), name)
        if os.path.lexists(dest):
            return None
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        write_file(dest, data)
        return dest

    # --- edits: each returns a description, or None when it does not apply
    def e_add(self):
        rng = self.rng
        rel = rng.choice(self.sources.rels)
        kind = rng.choice(['', '', 'xz', 'zst'])
        base = os.path.basename(rel)[:-3]
        stem = base if rng.random() < 0.5 else self.unique_stem()
        d = os.path.dirname(rel) if rng.random() < 0.4 else rng.choice(self.target_dirs())
        ext = '.ko' + ('.' + kind if kind else '')
        dest = self.place(self.sources.read(kind, rel), d, stem + ext)
        if not dest:
            return None
        return 'add %s (from %s %s)' % (self.rel(dest), kind or 'plain', rel)

    def e_copy(self):
        mods = self.modules()
        if not mods:
            return None
        src = self.rng.choice(mods)
        stem, ext = module_ext(os.path.basename(src))
        if self.rng.random() < 0.5:
            stem = self.unique_stem()
        dest = self.place(read_bytes(src), self.rng.choice(self.target_dirs()), stem + ext)
        if not dest:
            return None
        return 'copy %s to %s' % (self.rel(src), self.rel(dest))

    def e_remove(self):
        mods = self.modules()
        if len(mods) <= 4:
            return None
        m = self.rng.choice(mods)
        os.unlink(m)
        return 'remove %s' % self.rel(m)

    def flip_offset(self, data):
        """(offset, what) of a character to change in a plain module, or None."""
        rng = self.rng
        secs = elf_sections(data)
        choices = []
        if secs:
            mi = secs.get('.modinfo')
            if mi:
                pos = mi[0]
                for entry in data[mi[0]:mi[0] + mi[1]].split(b'\0'):
                    if b'=' in entry:
                        key = entry.split(b'=', 1)[0]
                        vstart = pos + len(key) + 1
                        cls = 'modinfo-dep' if key in (b'alias', b'softdep', b'weakdep') else 'modinfo-other'
                        choices.append((cls, key.decode(errors='replace'), vstart, pos + len(entry)))
                    pos += len(entry) + 1
            st, strtab = secs.get('.symtab'), secs.get('.strtab')
            if st and strtab:
                for i in range(1, st[1] // 24):
                    name, info, other, shndx = struct.unpack_from('<IBBH', data, st[0] + 24 * i)
                    if not name:
                        continue
                    s = strtab[0] + name
                    e = data.find(b'\0', s, strtab[0] + strtab[1])
                    if e < 0:
                        continue
                    sym = data[s:e]
                    if sym.startswith(b'__ksymtab_'):
                        choices.append(('export', sym.decode(errors='replace'), s + 10, e))
                    elif shndx == 0:
                        choices.append(('needed', sym.decode(errors='replace'), s, e))
        classes = sorted({c[0] for c in choices})
        if classes and rng.random() < 0.9:
            cls = rng.choice(classes)
            cls_choices = [c for c in choices if c[0] == cls]
            for _ in range(10):
                _, what, s, e = rng.choice(cls_choices)
                alnum = [i for i in range(s, e) if chr(data[i]).isalnum() and data[i] < 0x80]
                if alnum:
                    off = rng.choice(alnum)
                    c = chr(data[off])
                    pool = ('abcdefghijklmnopqrstuvwxyz' if c.islower() else
                            'ABCDEFGHIJKLMNOPQRSTUVWXYZ' if c.isupper() else '0123456789')
                    return off, ord(rng.choice(pool.replace(c, ''))), '%s %s' % (cls, what)
        if not data:
            return None
        off = rng.randrange(len(data))
        new = rng.randrange(0x20, 0x7f)
        if new == data[off]:
            new = 0x20 if new != 0x20 else 0x21
        return off, new, 'any byte'

    def e_flip(self):
        """Changes one character in place, keeping size and mtime (only the
        ctime changes)."""
        rng = self.rng
        cands = [m for m in self.regular_modules() if m.endswith('.ko')]
        linked = [os.path.join(self.linked, f) for f in sorted(os.listdir(self.linked)) if f.endswith('.ko')]
        private = [m for m in cands if os.stat(m).st_nlink == 1]
        if self.shared and private and rng.random() < 0.5:
            cands = private
        cands = cands + linked
        if not cands:
            return None
        m = rng.choice(cands)
        key = stat_key(m)
        held = [p for p, k in self.cached_keys.items() if k == key]
        note = self.make_private(m)
        if held and not note:
            self.ctime_only += 1
            note = ' (cached as %s: only the ctime tells)' % ', '.join(self.rel(p) for p in held)
        st = os.stat(m)
        data = read_bytes(m)
        got = self.flip_offset(data)
        if not got:
            return None
        off, new, what = got
        with open(m, 'r+b') as f:
            f.seek(off)
            f.write(bytes([new]))
        os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))
        st2 = os.stat(m)
        assert st2.st_size == st.st_size and st2.st_mtime_ns == st.st_mtime_ns
        return 'rewrite %s in place: byte %d %r -> %r (%s), size and mtime kept%s' % (
            self.rel(m), off, chr(data[off]), chr(new), what, note)

    def e_rename(self):
        mods = self.modules()
        if not mods:
            return None
        m = self.rng.choice(mods)
        stem, ext = module_ext(os.path.basename(m))
        if self.rng.random() < 0.3 and ('_' in stem or '-' in stem):
            i = max(stem.find('_'), stem.find('-'))
            new = stem[:i] + ('-' if stem[i] == '_' else '_') + stem[i + 1:]
        else:
            new = self.unique_stem()
        dest = os.path.join(os.path.dirname(m), new + ext)
        if os.path.lexists(dest):
            return None
        os.rename(m, dest)
        return 'rename %s to %s' % (self.rel(m), os.path.basename(dest))

    def e_move(self):
        mods = self.modules()
        if not mods:
            return None
        m = self.rng.choice(mods)
        d = self.rng.choice(self.target_dirs())
        dest = os.path.join(self.dir_path(d), os.path.basename(m))
        if os.path.lexists(dest) or dest == m:
            return None
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(m, dest)
        return 'move %s to %s' % (self.rel(m), self.rel(os.path.dirname(dest)))

    def e_conf(self):
        rng = self.rng
        which = rng.choice(['search', 'override', 'exclude', 'external'])
        path = os.path.join(self.conf, which + '.conf')
        if os.path.exists(path) and rng.random() < 0.3:
            os.unlink(path)
            return 'depmod.d: delete %s.conf' % which
        if which == 'search':
            words = rng.sample(['updates', 'extra', 'built-in', 'external', 'kernel/extra', 'updates/sub'],
                               rng.randint(1, 4))
            text = 'search %s\n' % ' '.join(words)
        elif which == 'override':
            mods = self.modules()
            if not mods:
                return None
            lines = []
            for _ in range(rng.randint(1, 2)):
                m = rng.choice(mods)
                stem, _ = module_ext(os.path.basename(m))
                if rng.random() < 0.7 and m.startswith(self.moddir + '/'):
                    d = os.path.relpath(os.path.dirname(m), self.moddir)
                else:
                    d = rng.choice(self.target_dirs()) or 'extra'
                lines.append('override %s %s %s\n' % (modname(stem), rng.choice(['*', self.kver]), d))
            text = ''.join(lines)
        elif which == 'exclude':
            text = 'exclude %s\n' % ' '.join(rng.sample(self.exclude_names, rng.randint(1, 2)))
        else:
            text = 'external %s %s\n' % (rng.choice(['*', self.kver]), self.ext)
        with open(path, 'w') as f:
            f.write(text)
        return 'depmod.d: %s.conf = %r' % (which, text)

    def e_order(self):
        rng = self.rng
        path = os.path.join(self.moddir, 'modules.order')
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        op = rng.choice(['shuffle', 'drop', 'add', 'add', 'dup'])
        if op == 'shuffle' and len(lines) > 1:
            rng.shuffle(lines)
            what = 'shuffle'
        elif op == 'drop' and lines:
            k = rng.randint(1, max(1, len(lines) // 4))
            drop = set(rng.sample(range(len(lines)), k))
            lines = [l for i, l in enumerate(lines) if i not in drop]
            what = 'drop %d lines' % k
        elif op == 'dup' and lines:
            line = rng.choice(lines)
            lines.insert(rng.randrange(len(lines) + 1), line)
            what = 'duplicate %s' % line
        else:
            mods = [m for m in self.modules() if m.startswith(self.moddir + '/')]
            if mods and rng.random() < 0.8:
                stem, _ = module_ext(os.path.relpath(rng.choice(mods), self.moddir))
                line = stem + '.ko'
            else:
                line = 'kernel/drivers/none/%s.ko' % self.unique_stem()
            lines.insert(rng.randrange(len(lines) + 1), line)
            what = 'add %s' % line
        write_file(path, ''.join(l + '\n' for l in lines).encode())
        return 'modules.order: %s' % what

    def e_builtin(self):
        rng = self.rng
        path = os.path.join(self.moddir, 'modules.builtin')
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        if lines and rng.random() < 0.4:
            line = lines.pop(rng.randrange(len(lines)))
            what = 'remove %s' % line
        else:
            mods = [m for m in self.modules() if m.startswith(self.moddir + '/')]
            if mods and rng.random() < 0.3:
                stem, _ = module_ext(os.path.relpath(rng.choice(mods), self.moddir))
                line = stem + '.ko'   # a module that is also built in
            else:
                line = 'kernel/fs/%s.ko' % self.unique_stem()
            lines.insert(rng.randrange(len(lines) + 1), line)
            what = 'add %s' % line
        write_file(path, ''.join(l + '\n' for l in lines).encode())
        return 'modules.builtin: %s' % what

    def e_builtin_modinfo(self):
        rng = self.rng
        path = os.path.join(self.moddir, 'modules.builtin.modinfo')
        recs = [r for r in read_bytes(path).split(b'\0') if r] if os.path.exists(path) else []
        if recs and rng.random() < 0.4:
            rec = recs.pop(rng.randrange(len(recs)))
            what = 'remove %r' % rec.decode(errors='replace')
        else:
            mods = self.modules()
            if mods and rng.random() < 0.3:
                name = modname(module_ext(os.path.basename(rng.choice(mods)))[0])
            else:
                name = self.unique_stem()
            rec = rng.choice(['%s.alias=%s-alias' % (name, self.unique_stem()),
                              '%s.softdep=pre: %s' % (name, self.unique_stem()),
                              '%s.alias=devname:%s' % (name, self.unique_stem()),
                              '%s.license=GPL' % name]).encode()
            recs.insert(rng.randrange(len(recs) + 1), rec)
            what = 'add %r' % rec.decode()
        write_file(path, b''.join(r + b'\0' for r in recs))
        return 'modules.builtin.modinfo: %s' % what

    def e_compress(self):
        rng = self.rng
        mods = self.regular_modules()
        if not mods:
            return None
        m = rng.choice(mods)
        stem, ext = module_ext(os.path.basename(m))
        cur = ext[4:]
        data = read_bytes(m)
        hint = self.hint(m)
        try:
            if cur == 'xz':
                plain = lzma.decompress(data)
            elif cur == 'gz':
                plain = gzip.decompress(data)
            elif cur == 'zst':
                rel = self.sources.identify(data, hint)
                if not rel:
                    return None
                plain = self.sources.read('', rel)
            else:
                plain = data
        except (lzma.LZMAError, OSError, EOFError):
            return None
        rel = self.sources.identify(plain, hint)
        targets = [t for t in ('', 'xz', 'zst', 'gz') if t != cur and (t != 'zst' or rel)]
        target = rng.choice(targets)
        if target in ('', 'gz'):
            new = plain if not target else gzip.compress(plain, 9, mtime=0)
            how = 'made here' if target else 'decompressed'
        elif rel:
            new = self.sources.read(target, rel)
            how = 'the %s build of %s' % (target, rel)
        else:
            new = lzma.compress(plain, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                                filters=[{'id': lzma.FILTER_LZMA2, 'dict_size': 1 << 20}])
            how = 'made here'
        dest = os.path.join(os.path.dirname(m), stem + '.ko' + ('.' + target if target else ''))
        if os.path.lexists(dest):
            return None
        write_file(dest, new)
        os.unlink(m)
        return 'compression of %s: %s -> %s (%s)' % (self.rel(m), cur or 'plain', target or 'plain', how)

    def e_corrupt(self):
        rng = self.rng
        mods = self.regular_modules()
        if not mods:
            return None
        m = rng.choice(mods)
        note = self.make_private(m)
        st = os.stat(m)
        how = rng.choice(['garbage', 'truncate', 'header'])
        if how == 'truncate':
            os.truncate(m, st.st_size // 2)
        else:
            with open(m, 'r+b') as f:
                f.write(rng.randbytes(st.st_size) if how == 'garbage' else bytes(min(64, st.st_size)))
            os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))
        return 'corrupt %s: %s%s' % (self.rel(m), how, note)

    def e_touch(self):
        mods = self.regular_modules()
        if not mods:
            return None
        m = self.rng.choice(mods)
        note = self.make_private(m)
        st = os.stat(m)
        os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns + NS))
        return 'touch %s (mtime + 1 s)%s' % (self.rel(m), note)

    def new_linked(self):
        rel = self.rng.choice(self.sources.rels)
        kind = self.rng.choice(['', 'xz'])
        name = '%s_%s.ko%s' % (self.unique_stem(), os.path.basename(rel)[:-3], '.' + kind if kind else '')
        path = os.path.join(self.linked, name)
        write_file(path, self.sources.read(kind, rel))
        return path

    def e_symlink(self):
        rng = self.rng
        linked = sorted(os.listdir(self.linked))
        target = (os.path.join(self.linked, rng.choice(linked)) if linked and rng.random() < 0.6
                  else self.new_linked())
        _, ext = module_ext(os.path.basename(target))
        d = rng.choice(self.target_dirs())
        dest = os.path.join(self.dir_path(d), self.unique_stem() + ext)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.symlink(target, dest)
        return 'symlink %s -> %s' % (self.rel(dest), self.rel(target))

    def e_retarget(self):
        links = [m for m in self.modules() if os.path.islink(m)]
        if not links:
            return None
        m = self.rng.choice(links)
        old = os.readlink(m)
        _, ext = module_ext(os.path.basename(m))
        same = [os.path.join(self.linked, f) for f in sorted(os.listdir(self.linked))
                if f.endswith(ext) and os.path.join(self.linked, f) != old]
        target = self.rng.choice(same) if same else self.new_linked()
        os.unlink(m)
        os.symlink(target, m)
        return 'retarget %s from %s to %s' % (self.rel(m), self.rel(old), self.rel(target))

    def e_drop(self):
        what = self.rng.choice(['cache', 'cache', 'modules.dep', 'both'])
        names = {'cache': [CACHE], 'modules.dep': ['modules.dep'], 'both': [CACHE, 'modules.dep']}[what]
        for n in names:
            p = os.path.join(self.moddir, n)
            if os.path.lexists(p):
                os.unlink(p)
        return 'delete %s' % ' and '.join(names)

    EDITS = [('add', 10), ('copy', 6), ('remove', 8), ('flip', 16), ('rename', 7), ('move', 8), ('conf', 9),
             ('order', 6), ('builtin', 4), ('builtin_modinfo', 4), ('compress', 9), ('corrupt', 2), ('touch', 2),
             ('symlink', 2), ('retarget', 2), ('drop', 2)]

    def random_edit(self):
        names = [n for n, _ in self.EDITS]
        weights = [w for _, w in self.EDITS]
        for _ in range(50):
            name = self.rng.choices(names, weights)[0]
            desc = getattr(self, 'e_' + name)()
            if desc:
                return desc
        return 'nothing'

    def step(self):
        """One run pair on the tree as it is: (problems, hit)."""
        before = self.state_before()
        inc = self.run_inc()
        full = self.run_full()
        problems = compare_with_full(inc, full, self.moddir, self.fullmod)
        seen = {}
        problems += check_cache(self.moddir, inc, before, self.shared, seen)
        cache = seen.get('cache')
        self.cached_keys = {r['path']: r['key'] for r in cache.records} if cache else {}
        h = inc.hits()
        return problems, bool(h and h[0] > 0), inc


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


def randomized(label, tree, steps, seed, pause_p):
    """Part 1 or 2: returns (ok, summary)."""
    rng = tree.rng
    start = time.monotonic()
    # A fresh tree: the first run writes no cache, the second one does.
    problems = []
    for n in (1, 2):
        tree.history.append('setup run %d' % n)
        p, _, inc = tree.step()
        problems += p
        has = os.path.lexists(os.path.join(tree.moddir, CACHE))
        if has != (n == 2):
            problems.append('  after setup run %d the cache %s' % (n, 'exists' if has else 'is missing'))
    if problems:
        report_failure(label, seed, 'setup', tree.history, problems)
        return False, 'setup failed'
    hit_steps = 0
    failed_runs = 0
    kinds = {}
    for i in range(1, steps + 1):
        desc = tree.random_edit()
        kinds[desc.split(' ')[0]] = kinds.get(desc.split(' ')[0], 0) + 1
        if rng.random() < pause_p:
            time.sleep(2.1)
            desc += '; pause 2.1 s'
        tree.history.append('%d: %s' % (i, desc))
        p, hit, inc = tree.step()
        hit_steps += hit
        failed_runs += inc.rc != 0
        tree.history[-1] += '   [%s]' % ('; '.join(t for _, t in inc.cache_lines) or 'no cache line')
        if p:
            report_failure(label, seed, i, tree.history, p)
            return False, 'mismatch at step %d of %d' % (i, steps)
    secs = time.monotonic() - start
    summary = ('%d steps in %.1f s, %d with cache hits, %d in-place rewrites of a cached module, '
               '%d where depmod failed (both runs alike), %d modules at the end'
               % (steps, secs, hit_steps, tree.ctime_only, failed_runs, len(tree.modules())))
    print('  edits: ' + ', '.join('%s %d' % (k.rstrip(':'), v) for k, v in sorted(kinds.items())))
    if tree.ctime_only == 0 and steps >= 50 and not tree.shared:
        print('  no module was rewritten in place while the cache held it')
        return False, summary + ' (the ctime-only case was not exercised)'
    if hit_steps * 2 < steps:
        print('  fewer than half of the steps (%d of %d) took a module from the cache' % (hit_steps, steps))
        return False, summary + ' (too few hits)'
    return True, summary


def report_failure(label, seed, step, history, problems):
    print('  %s: KMODX_CACHE_SEED=%d, failed at step %s' % (label, seed, step))
    print('  edits so far:')
    for h in history:
        print('    ' + h)
    print('  problems:')
    for p in problems:
        print('  ' + p)


# ---------------------------------------------------------------- part 3

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
         'runs past the end', 'valid'),
        ('sealed: record count 0xffffffff', lambda: put(patched(good, c.record_count_off, '=I', 0xffffffff, True)),
         'symbol table runs past the end', 'valid'),
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


# ---------------------------------------------------------------- part 4

def snapshot_file(path):
    if not os.path.lexists(path):
        return None
    st = os.lstat(path)
    return (st.st_ino, st.st_mtime_ns, read_bytes(path))


def listing(d):
    res = []
    for dirpath, dirnames, filenames in os.walk(d):
        dirnames.sort()
        for f in sorted(filenames):
            st = os.lstat(os.path.join(dirpath, f))
            res.append((os.path.relpath(os.path.join(dirpath, f), d), st.st_ino, st.st_mtime_ns, st.st_size))
    return res


def flip_in_place(path):
    """A modinfo description byte changed, size and mtime kept."""
    st = os.stat(path)
    data = read_bytes(path)
    key = next(k for k in (b'description=', b'author=', b'license=') if k in data)
    i = data.index(key) + len(key)
    while not chr(data[i]).isalpha():
        i += 1
    with open(path, 'r+b') as f:
        f.seek(i)
        f.write(b'Q' if data[i] != ord('Q') else b'R')
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def rules(kmodx, base, kver):
    results = []

    def check(name, problems):
        results.append((name, problems))
        print('  %s: %s' % ('ok' if not problems else 'FAILED', name))
        for p in problems:
            print('    ' + p)

    conf = os.path.join(base, 'conf')
    os.makedirs(conf, exist_ok=True)

    def tree(name):
        root = os.path.join(base, name, 'root')
        return root, os.path.join(root, 'lib/modules', kver)

    def dm(root, *extra):
        return Run([kmodx, 'depmod', '-v', '-C', conf] + list(extra) + ['-b', root, kver], 60)

    F, fmod = tree('fresh')
    fcache = os.path.join(fmod, CACHE)
    r1 = dm(F)
    p = []
    if r1.rc != 0:
        p.append('first run: %s %s' % (r1.describe(), r1.err))
    if not os.path.exists(os.path.join(fmod, 'modules.dep')):
        p.append('first run wrote no modules.dep')
    if os.path.lexists(fcache):
        p.append('the first run on a fresh tree wrote a cache')
    if r1.not_used() != 'No such file or directory':
        p.append('first run NOTICE: %s' % r1.cache_lines)
    dm(F)
    if not os.path.isfile(fcache):
        p.append('the second run wrote no cache')
    r3 = dm(F)
    h = r3.hits()
    if not h or h[0] != h[1] or h[1] == 0:
        p.append('the third run did not take every module from the cache: %s' % r3.cache_lines)
    check('fresh tree: no cache from the first run, a cache from the second, used by the third', p)

    before = snapshot_file(fcache)
    dm(F)
    check('a run that changes nothing leaves the cache file as it was (inode, mtime, bytes)',
          [] if snapshot_file(fcache) == before else ['the cache file was replaced or changed'])

    # -n
    mods = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(fmod) for f in fs if f.endswith('.ko'))
    flip_in_place(mods[0])
    list_before = listing(F)
    rn = dm(F, '-n')
    rn_nc = dm(F, '-n', '--no-cache')
    p = []
    if rn.rc != 0:
        p.append('-n: %s %s' % (rn.describe(), rn.err))
    if listing(F) != list_before:
        p.append('-n changed the tree (files, inodes, mtimes or sizes)')
    if rn.out != rn_nc.out or rn.err_rest != rn_nc.err or rn.rc != rn_nc.rc:
        p.append('-n printed other things than -n --no-cache')
    if not rn.out.count('\n') > 10:
        p.append('-n printed almost nothing')
    os.unlink(fcache)
    list_before = listing(F)
    dm(F, '-n')
    if listing(F) != list_before:
        p.append('-n created a cache in a tree with modules.dep and no cache')
    check('-n writes no cache (existing or new) and prints what --no-cache -n prints', p)

    dm(F)   # the cache back
    before = snapshot_file(fcache)
    flip_in_place(mods[1])
    rc = dm(F, '--no-cache')
    p = []
    if rc.rc != 0:
        p.append('--no-cache: %s' % rc.describe())
    if rc.cache_lines:
        p.append('--no-cache -v printed cache lines: %s' % rc.cache_lines)
    if snapshot_file(fcache) != before:
        p.append('--no-cache replaced or changed the cache')
    outs_nc = output_files(fmod)
    rc2 = dm(F)
    if output_files(fmod) != outs_nc:
        p.append('a cache run after --no-cache wrote other outputs')
    h = rc2.hits()
    if not h or h[2] < 2:
        p.append('the cache run after --no-cache should read the two changed modules: %s' % rc2.cache_lines)
    check('--no-cache neither reads nor writes the cache, and writes what a cache run writes', p)

    # -o
    G, gmod = tree('input')
    out = os.path.join(base, 'out')
    omod = os.path.join(out, 'lib/modules', kver)
    p = []
    dm(G, '-o', out)
    if os.path.lexists(os.path.join(omod, CACHE)):
        p.append('the first -o run into a fresh OUT wrote a cache')
    if not os.path.exists(os.path.join(omod, 'modules.dep')):
        p.append('the first -o run wrote no modules.dep')
    dm(G, '-o', out)
    if not os.path.isfile(os.path.join(omod, CACHE)):
        p.append('the second -o run wrote no cache in OUT')
    if any(n.startswith('modules.') and n not in INPUTS for n in os.listdir(gmod)):
        p.append('-o runs wrote into the input module directory: %s' % sorted(os.listdir(gmod)))
    o3 = dm(G, '-o', out)
    h = o3.hits()
    if not h or h[0] != h[1]:
        p.append('the third -o run did not take every module from OUT\'s cache: %s' % o3.cache_lines)
    if not o3.cache_lines or o3.cache_lines[0][0] != omod:
        p.append('the NOTICE names %s, not OUT\'s module directory' % (o3.cache_lines[:1],))
    c, why = read_cache(os.path.join(omod, CACHE))
    if c is None or ('module directory %s\n' % gmod) not in c.settings:
        p.append('OUT\'s cache is not for the input module directory: %s' % (why or c.settings))
    dm(G)
    dm(G)
    gcache = os.path.join(gmod, CACHE)
    gbefore = snapshot_file(gcache)
    if gbefore is None:
        p.append('the input tree\'s own runs wrote no cache')
    flip_in_place(sorted(os.path.join(dp, f) for dp, _, fs in os.walk(gmod) for f in fs if f.endswith('.ko'))[2])
    o4 = dm(G, '-o', out)
    if snapshot_file(gcache) != gbefore:
        p.append('an -o run changed the input directory\'s cache')
    h = o4.hits()
    if not h or h[2] != 1:
        p.append('the -o run after a change should read one module: %s' % o4.cache_lines)
    check('-o OUT: the cache goes to OUT\'s module directory, the input\'s is left alone', p)

    # a cache alone, then neither
    p = []
    os.unlink(os.path.join(fmod, 'modules.dep'))
    before = snapshot_file(fcache)
    ra = dm(F)
    if not os.path.isfile(fcache):
        p.append('with a cache and no modules.dep, no cache after the run')
    if not ra.hits():
        p.append('with a cache and no modules.dep, the cache was not used: %s' % ra.cache_lines)
    os.unlink(os.path.join(fmod, 'modules.dep'))
    os.unlink(fcache)
    dm(F)
    if os.path.lexists(fcache):
        p.append('with neither modules.dep nor a cache, a cache was written')
    dm(F)
    if not os.path.isfile(fcache):
        p.append('the run after that wrote no cache')
    check('the cache is written when the directory had modules.dep or a cache, and only then', p)
    failed = [n for n, pr in results if pr]
    return not failed, len(results), failed


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    start = time.monotonic()
    kmodx_src = os.path.realpath(sys.argv[1])
    if not os.access(kmodx_src, os.X_OK):
        die('%s is not executable' % kmodx_src)
    here = os.path.dirname(os.path.realpath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    seed = int(os.environ.get('KMODX_CACHE_SEED', '1'))
    steps_fx = int(os.environ.get('KMODX_CACHE_STEPS_FIXTURE', '200'))
    steps_cloud = int(os.environ.get('KMODX_CACHE_STEPS_CLOUD', '50'))
    print('depmod-cache: seed %d, %d fixture steps, %d cloud steps' % (seed, steps_fx, steps_cloud))

    work = tempfile.mkdtemp(prefix='depmod-cache.')
    keep = os.environ.get('KEEP') == '1'
    results = []
    try:
        kmodx = os.path.join(work, 'kmodx')
        shutil.copy2(kmodx_src, kmodx)   # a rebuild during the run cannot swap it

        # Inputs: the fixture tree (plain, xz, zst) and Debian's cloud trees.
        build = os.path.join(repo, 'tests/fixtures/build-fixtures.sh')
        src = os.path.join(work, 'src')
        log = open(os.path.join(work, 'setup.log'), 'w')
        b = subprocess.run(['bash', build, '--no-depmod', os.path.join(src, 'plain')], stdout=subprocess.PIPE,
                           stderr=log, text=True)
        lines = b.stdout.split()
        if b.returncode != 0 or not lines:
            log.close()
            print(open(os.path.join(work, 'setup.log')).read())
            die('build-fixtures.sh failed')
        kver = lines[-1]
        procs = [subprocess.Popen(['bash', build, '--no-depmod', '--compress', c, os.path.join(src, c)],
                                  stdout=subprocess.DEVNULL, stderr=log) for c in ('xz', 'zst')]
        trees_p = subprocess.Popen(['bash', os.path.join(here, 'debian-full-trees.sh')], stdout=subprocess.PIPE,
                                   stderr=log, text=True)
        trees_out = trees_p.communicate()[0]
        if any(p.wait() != 0 for p in procs):
            log.close()
            print(open(os.path.join(work, 'setup.log')).read())
            die('build-fixtures.sh --compress failed')
        for c in ('plain', 'xz', 'zst'):
            shutil.rmtree(os.path.join(src, c, 'cycle'), ignore_errors=True)   # the symbol-cycle tree
        fx = {c: os.path.join(src, c, 'lib/modules', kver) for c in ('plain', 'xz', 'zst')}
        fx_sources = Sources(fx['plain'], fx['xz'], fx['zst'], eager=True)

        def fixture_root(base):
            root = os.path.join(base, 'root')
            os.makedirs(os.path.join(root, 'lib/modules'))
            shutil.copytree(fx['plain'], os.path.join(root, 'lib/modules', kver), symlinks=True)
            return root

        # Part 1 tree: a few modules held back (the pool adds them again).
        rng1 = random.Random(seed)
        t1 = Tree('fixture', os.path.join(work, 'p1'), kmodx, kver, fx_sources, rng1, False, 'kxc_new_')
        fixture_root(os.path.join(work, 'p1'))
        held = rng1.sample([m for m in t1.modules()], 4)
        for m in held:
            os.unlink(m)
        t1.history.append('setup: held back %s' % ', '.join(os.path.basename(m) for m in held))
        kdirs = sorted({os.path.relpath(os.path.dirname(m), t1.moddir) for m in t1.modules()})
        t1.setup_dirs(kdirs, ['extra', 'updates', 'sub', 'bus', 'chain', 'misc', 'diamond'])

        # Part 2 tree: a hard-linked copy of the cloud tree.
        t2 = None
        cloud_error = None
        if trees_p.returncode != 0:
            cloud_error = 'debian-full-trees.sh failed (see below)'
        else:
            env = dict(re.findall(r"^(\w+)='?([^'\n]*)'?$", trees_out, re.M))
            try:
                ckver = env['KVER_cloud']
                croots = {c: os.path.join(env['ROOT_cloud_%s' % c], 'lib/modules', ckver)
                          for c in ('plain', 'xz', 'zst')}
            except KeyError as e:
                cloud_error = 'debian-full-trees.sh printed no %s' % e
        if cloud_error is None:
            rng2 = random.Random(seed + 1000003)
            cl_sources = Sources(croots['plain'], croots['xz'], croots['zst'], eager=False)
            t2 = Tree('cloud', os.path.join(work, 'p2'), kmodx, ckver, cl_sources, rng2, True, 'kmodx_cache_new_')
            os.makedirs(os.path.join(t2.root, 'lib/modules'))
            cp = subprocess.run(['cp', '-al', croots['plain'], t2.moddir], stderr=subprocess.PIPE, text=True)
            if cp.returncode != 0:   # another filesystem: copy instead
                shutil.rmtree(t2.moddir, ignore_errors=True)
                subprocess.run(['cp', '-a', croots['plain'], t2.moddir], check=True)
            for f in os.listdir(t2.moddir):
                if f.startswith('modules.') and f not in INPUTS:
                    os.unlink(os.path.join(t2.moddir, f))
            mods = t2.modules()
            held = rng2.sample(mods, 20)
            for m in held:
                os.unlink(m)
            # Some private copies, old by the time the steps start, so that
            # in-place rewrites keep the inode there too (only ctime tells).
            private = rng2.sample(t2.regular_modules(), 30)
            for m in private:
                t2.make_private(m)
            t2.history.append('setup: held back %d modules, %d made private copies' % (len(held), len(private)))
            dirs = sorted({os.path.relpath(os.path.dirname(m), t2.moddir) for m in mods})
            t2.setup_dirs(rng2.sample(dirs, 8), ['extra', 'updates', 'sub', 'crypto', 'ext4', 'usb', 'netfilter'])
        log.close()

        # Parts 3 and 4: fixture copies.
        fixture_root(os.path.join(work, 'p3'))
        os.makedirs(os.path.join(work, 'p3', 'conf'))
        fixture_root(os.path.join(work, 'p4', 'fresh'))
        fixture_root(os.path.join(work, 'p4', 'input'))
        # One pause for all: files younger than 2 s are not recorded.
        time.sleep(2.1)
        print('depmod-cache: setup done in %.1f s (fixture kernel %s%s)' % (
            time.monotonic() - start, kver, '' if t2 is None else ', cloud kernel %s' % t2.kver))

        # 1
        ok, summary = randomized('part 1', t1, steps_fx, seed, 1 / 40)
        results.append(ok)
        print('%s: 1 incremental == full under random edits, fixture tree: %s' % ('PASS' if ok else 'FAIL', summary))
        sys.stdout.flush()
        # 2
        if t2 is None:
            results.append(False)
            print(open(os.path.join(work, 'setup.log')).read()[-4000:])
            print('FAIL: 2 incremental == full under random edits, cloud tree: %s' % cloud_error)
        else:
            ok, summary = randomized('part 2', t2, steps_cloud, seed, 0)
            results.append(ok)
            print('%s: 2 incremental == full under random edits, Debian cloud tree (%s): %s' % (
                'PASS' if ok else 'FAIL', t2.kver, summary))
        sys.stdout.flush()
        # 3 (a cache of another module directory: part 1's)
        other = read_bytes(os.path.join(t1.moddir, CACHE)) if os.path.isfile(os.path.join(t1.moddir, CACHE)) \
            else b'KMODXDC\n'
        t = time.monotonic()
        ok, failures, n, nfailed = hostile(kmodx, os.path.join(work, 'p3'), kver, seed, other)
        for f in failures:
            print(f)
        results.append(ok)
        print('%s: 3 hostile cache files: %d cases, %d failed (%.1f s)' % (
            'PASS' if ok else 'FAIL', n, nfailed, time.monotonic() - t))
        sys.stdout.flush()
        # 4
        ok, n, failed = rules(kmodx, os.path.join(work, 'p4'), kver)
        results.append(ok)
        print('%s: 4 rules (fresh tree, -n, --no-cache, -o, when a cache is written): %d checks, %d failed' % (
            'PASS' if ok else 'FAIL', n, len(failed)))
    finally:
        if keep:
            print('depmod-cache: kept %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print('depmod-cache: %.0f s; %d of %d parts passed' % (time.monotonic() - start, sum(results), len(results)))
    sys.exit(0 if all(results) and len(results) == 4 else 1)


main()
