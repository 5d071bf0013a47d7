# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test: the cache file (module_cache.hpp, format version 1). A
# reader that parses the header, checksum (a copy of util/checksum.cpp) and
# tables and keeps the offsets of its fields for the hostile variants of part
# 3; helpers that rewrite fields and reseal; and check_cache, which holds a
# cache left by an incremental run against the rules (which modules have a
# record, with which key, and what the NOTICE's counts must be).
import os
import stat
import struct

from .common import CACHE, CLOCK_SLACK_NS, NS, RACY_NS, key_ctime_ns, read_bytes, stat_key


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


# ---------------------------------------------------------------- checking a cache after a run

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
