# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test: a module tree under random edits (parts 1 and 2). Tree
# knows its root, depmod.d, an external directory and the directory of the
# --no-cache run; each e_* method is one edit (add, copy, remove, rewrite in
# place keeping size and mtime, rename, move, depmod.d, modules.order,
# modules.builtin, modules.builtin.modinfo, compression, corruption, touch,
# symlinks, deleting the cache or modules.dep); step() runs depmod both ways
# on the tree as it is and checks the outputs and the cache.
import gzip
import lzma
import os
import shutil
import stat
import struct

from .cachefile import check_cache, read_cache
from .common import CACHE, NS, module_ext, modname, read_bytes, stat_key, write_file
from .runner import Run, compare_with_full
from .sources import elf_sections


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
