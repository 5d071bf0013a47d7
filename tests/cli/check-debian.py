#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`kmodx check` on Debian's amd64 module tree, clean and with planted defects.

usage: check-debian.py KMODX

The tree is linux-image-amd64's (tests/cli/debian-full-trees.sh, the plain
flavour), checked against the same kernel's Module.symvers and vmlinuz
(tests/cli/debian-headers.sh). The cached tree is never written: one copy is
made (cp -a), indexed with `kmodx depmod`, and each defect is planted in it in
turn and undone afterwards.

Clean: no unknown-symbol, gpl-only-symbol, namespace-not-imported,
crc-mismatch, vermagic, signature, stale-index, dependency-missing or
module-unreadable finding, every module checked; other findings are printed
for information. Debian's depmod (kmod 30, -e -E -n) must agree: no unknown
symbol, no version disagreement.

Planted, each reported exactly once with the right module and subject, and
nothing else new (findings compared with the clean run's), exit status 1:
  removed exporter   unknown-symbol for each symbol its one user took from it
                     (the same set kmod's depmod -e reports), dependency-missing,
                     order-entry-missing and stale-index for exactly the index
                     files a fresh depmod would change; with --baseline the clean
                     report's findings drop out and alias-gone appears for each
                     alias only the removed module provided
  non-GPL licence    gpl-only-symbol for each GPL-only import ("GPL v2" -> "BSD v2")
  namespace          namespace-not-imported for each symbol of the namespace
  CRC                crc-mismatch (kmod's depmod -e agrees)
  vermagic           vermagic with the module's new vermagic as subject
  modules.dep        stale-index for modules.dep (the text file only)
  signatures         bad-signature (a byte of .text flipped); unsigned (the
                     signature stripped) only with keys (warning) or
                     --require-signed (error); unknown-key (re-signed with a
                     throw-away key), gone when that key is given with --cert
  firmware           firmware-missing for the one firmware file left out of
                     two --firmware-dir directories (named-file run), none when
                     it is there compressed
Output: the text and the JSON of one run hold the same findings in the same
order (text with -j 2, JSON with -j 1), the JUnit file validates against
tests/cli/check/junit.xsd and has one testcase per module plus `tree`.
Exit status 0 on a small clean tree, 2 for a bad option and a missing --cert.
Hostile inputs (a small tree): random bytes as x.ko, a truncated module, an
empty and a truncated .ko.xz; a truncated kernel image, /etc/hostname as
kernel image, a --cert that is no certificate, a Module.symvers with bad
lines: each named with a reason, the good modules still checked, never a
signal or a status above 2, never past the timeout.
"""
import collections
import contextlib
import fnmatch
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

CHECK_TIMEOUT = 120          # seconds for one `kmodx check` run over the full tree
SMALL_TIMEOUT = 60           # a run over a few modules
SIG_MAGIC = b'~Module signature appended~\n'
FIELDS = ('module', 'file', 'kind', 'severity', 'subject')
KINDS = {'module-unreadable', 'unknown-symbol', 'gpl-only-symbol', 'namespace-not-imported', 'crc-mismatch',
         'vermagic', 'no-license', 'dependency-missing', 'softdep-missing', 'weakdep-missing', 'shadowed',
         'order-entry-missing', 'not-in-order', 'builtin-has-file', 'stale-index', 'firmware-missing',
         'unsigned', 'unknown-key', 'bad-signature', 'weak-digest', 'alias-gone', 'index-error',
         'unsupported-signature'}
SIGNATURE_KINDS = {'unsigned', 'unknown-key', 'bad-signature', 'weak-digest'}
# Never in a clean, freshly indexed distribution tree.
CLEAN_FORBIDDEN = {'unknown-symbol', 'gpl-only-symbol', 'namespace-not-imported', 'crc-mismatch', 'vermagic',
                   'stale-index', 'dependency-missing', 'module-unreadable', 'firmware-missing'} | SIGNATURE_KINDS
INDEX_FILES = ('modules.dep', 'modules.dep.bin', 'modules.alias', 'modules.alias.bin', 'modules.softdep',
               'modules.weakdep', 'modules.symbols', 'modules.symbols.bin', 'modules.builtin.bin',
               'modules.builtin.alias.bin', 'modules.devname')
GPL_EXPORTS = ('EXPORT_SYMBOL_GPL', 'EXPORT_SYMBOL_NS_GPL')
FOREIGN_CN = 'kmodx check foreign key'
FOREIGN_SERIAL = '6b6d6f6478'    # "kmodx"

# ---------------------------------------------------------------- results

passes = 0
fails = 0


def check(ok, what, detail=''):
    """One assertion: a PASS or FAIL line naming it; the detail says what was expected and what came."""
    global passes, fails
    if ok:
        passes += 1
        print('PASS %s' % what)
    else:
        fails += 1
        print('FAIL %s%s' % (what, ('\n     ' + detail.replace('\n', '\n     ')) if detail else ''))
    return ok


def info(text):
    print('  ' + text)


def short(items, n=8):
    items = list(items)
    text = '; '.join(str(i) for i in items[:n])
    return text + ('; ... (%d in all)' % len(items) if len(items) > n else '')

# ---------------------------------------------------------------- ELF (x86-64 modules)


class Elf:
    """The parts of a little-endian ELF64 module this test reads or plants defects in."""

    def __init__(self, data):
        if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
            raise ValueError('not a little-endian ELF64 file')
        self.data = data
        shoff, = struct.unpack_from('<Q', data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
        self.sections = []
        for i in range(shnum):
            name, typ, _flags, _addr, off, size, link, _info, _align, _entsize = struct.unpack_from(
                '<IIQQQQIIQQ', data, shoff + i * shentsize)
            self.sections.append({'name_off': name, 'type': typ, 'offset': off, 'size': size, 'link': link})
        names = self.sections[shstrndx]['offset']
        for s in self.sections:
            s['name'] = self._cstr(names + s['name_off'])
        self.by_name = {s['name']: s for s in self.sections}

    def _cstr(self, off):
        return self.data[off:self.data.index(b'\0', off)].decode('latin-1')

    def modinfo(self):
        """[(key, value, offset of the entry)] of .modinfo, NUL padding skipped."""
        s = self.by_name['.modinfo']
        out = []
        off, end = s['offset'], s['offset'] + s['size']
        while off < end:
            z = self.data.index(b'\0', off)
            entry = self.data[off:z].decode('latin-1')
            if '=' in entry:
                k, v = entry.split('=', 1)
                out.append((k, v, off))
            off = z + 1
        return out

    def values(self, key):
        return [v for k, v, _ in self.modinfo() if k == key]

    def symbols(self):
        s = next(x for x in self.sections if x['type'] == 2)     # SHT_SYMTAB
        names = self.sections[s['link']]['offset']
        for i in range(1, s['size'] // 24):
            name, info_, _other, shndx, _value, _size = struct.unpack_from('<IBBHQQ', self.data, s['offset'] + i * 24)
            yield self._cstr(names + name), info_ >> 4, shndx

    def undefined(self):
        """(strong, weak) sets of undefined symbol names."""
        strong, weak = set(), set()
        for name, bind, shndx in self.symbols():
            if shndx == 0 and name:
                (weak if bind == 2 else strong).add(name)
        return strong, weak

    def exports(self):
        return {n[len('__ksymtab_'):] for n, _, shndx in self.symbols() if n.startswith('__ksymtab_') and shndx}

    def versions(self):
        """[(crc, name, offset of the entry)] of __versions: 8-byte LE CRC, 56-byte name."""
        s = self.by_name.get('__versions')
        if not s:
            return []
        out = []
        for off in range(s['offset'], s['offset'] + s['size'], 64):
            crc, = struct.unpack_from('<Q', self.data, off)
            out.append((crc, self.data[off + 8:off + 64].split(b'\0', 1)[0].decode('latin-1'), off))
        return out


def signature(data):
    """(content length, signer, key id, raw signature) of a module's appended signature, or None."""
    if not data.endswith(SIG_MAGIC) or len(data) < len(SIG_MAGIC) + 12:
        return None
    info_at = len(data) - len(SIG_MAGIC) - 12
    _algo, _hash, _id_type, signer_len, key_id_len, sig_len = struct.unpack_from('>BBBBB3xI', data, info_at)
    sig_at = info_at - sig_len
    key_at = sig_at - key_id_len
    signer_at = key_at - signer_len
    return signer_at, data[signer_at:key_at], data[key_at:sig_at], data[sig_at:info_at]


def replace_modinfo(data, key, old, new):
    """The module with `key=old` of .modinfo replaced in place by `key=new` (same length)."""
    assert len(old) == len(new), (old, new)
    hits = [off for k, v, off in Elf(data).modinfo() if k == key and v == old]
    if len(hits) != 1:
        raise ValueError('%d entries %s=%s' % (len(hits), key, old))
    at = hits[0] + len(key) + 1
    return data[:at] + new.encode('latin-1') + data[at + len(old):]


def module_name(rel):
    base = os.path.basename(rel)
    return base[:base.index('.ko')].replace('-', '_')

# ---------------------------------------------------------------- the tree copy


class Tree:
    """A writable module tree; defects are planted with `planted` and undone when it ends."""

    def __init__(self, root, kver):
        self.root, self.kver = root, kver
        self.moddir = os.path.join(root, 'lib/modules', kver)
        self._elf = {}

    def path(self, rel):
        return os.path.join(self.moddir, rel)

    def read(self, rel):
        with open(self.path(rel), 'rb') as f:
            return f.read()

    def elf(self, rel):
        if rel not in self._elf:
            self._elf[rel] = Elf(self.read(rel))
        return self._elf[rel]

    @contextlib.contextmanager
    def planted(self, changes):
        """changes: {relative path: new bytes, or None to remove the file}."""
        saved = {}
        try:
            for rel, data in changes.items():
                p = self.path(rel)
                st = os.stat(p)
                saved[rel] = (self.read(rel), st.st_atime_ns, st.st_mtime_ns)
                if data is None:
                    os.unlink(p)
                else:
                    with open(p, 'wb') as f:
                        f.write(data)
            yield
        finally:
            for rel, (data, atime, mtime) in saved.items():
                with open(self.path(rel), 'wb') as f:
                    f.write(data)
                os.utime(self.path(rel), ns=(atime, mtime))

# ---------------------------------------------------------------- running kmodx check


class Run:
    def __init__(self, what, rc, out, err):
        self.what, self.rc, self.out, self.err = what, rc, out, err
        self.report = None


class Checker:
    def __init__(self, kmodx, kver):
        self.kmodx, self.kver = kmodx, kver
        self.runs = 0

    def run(self, what, args, timeout=CHECK_TIMEOUT, want_rc=None, json_out=False):
        """Runs `kmodx check ARGS`; every run: no signal, status 0..2, within the timeout."""
        cmd = [self.kmodx, 'check'] + [str(a) for a in args]
        self.runs += 1
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            check(False, '%s: finishes within %d s' % (what, timeout), 'command: %s' % ' '.join(cmd))
            return Run(what, None, e.stdout or b'', e.stderr or b'')
        r = Run(what, p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace'))
        if not check(0 <= p.returncode <= 2, '%s: exit status within 0..2' % what,
                     'expected 0, 1 or 2, got %d (negative: a signal)\ncommand: %s\nstderr: %s'
                     % (p.returncode, ' '.join(cmd), r.err[-2000:])):
            return r
        if want_rc is not None:
            check(p.returncode == want_rc, '%s: exit status %d' % (what, want_rc),
                  'got %d\ncommand: %s\nstderr: %s' % (p.returncode, ' '.join(cmd), r.err[-2000:]))
        if json_out:
            r.report = self.parse_json(what, r)
        return r

    def parse_json(self, what, r, check_rc=True):
        try:
            rep = json.loads(r.out)
        except ValueError as e:
            check(False, '%s: stdout is JSON' % what, '%s; stdout starts: %r' % (e, r.out[:300]))
            return None
        want = {'kmodx_json', 'tool', 'release', 'module_dir', 'modules_checked', 'findings', 'errors',
                'warnings', 'aliases'}
        ok = isinstance(rep, dict) and set(rep) == want
        check(ok, '%s: JSON has exactly the keys of the spec' % what,
              'want %s, got %s' % (sorted(want), sorted(rep) if isinstance(rep, dict) else type(rep).__name__))
        if not ok:
            return None
        check(rep['kmodx_json'] == 1 and rep['tool'] == 'check' and rep['release'] == self.kver,
              '%s: kmodx_json 1, tool "check", release %s' % (what, self.kver),
              'got %r, %r, %r' % (rep['kmodx_json'], rep['tool'], rep['release']))
        bad = [f for f in rep['findings'] if not isinstance(f, dict)
               or set(f) != {'module', 'file', 'kind', 'severity', 'subject', 'message'}
               or f['kind'] not in KINDS or f['severity'] not in ('error', 'warning')]
        check(not bad, '%s: every finding has the six keys, a known kind and severity' % what, short(bad, 3))
        if bad:
            return None
        sev = collections.Counter(f['severity'] for f in rep['findings'])
        check(rep['errors'] == sev['error'] and rep['warnings'] == sev['warning'],
              '%s: errors/warnings count the findings' % what,
              'JSON says %r errors, %r warnings; findings have %d, %d'
              % (rep['errors'], rep['warnings'], sev['error'], sev['warning']))
        nosubj = [f for f in rep['findings'] if f['subject'] and f['subject'] not in f['message']]
        check(not nosubj, '%s: every message contains its subject' % what, short(nosubj, 3))
        dups = [k for k, n in collections.Counter(map(fkey, rep['findings'])).items() if n > 1]
        check(not dups, '%s: no finding reported twice' % what, short(dups))
        if check_rc:
            check(r.rc == (1 if rep['findings'] else 0), '%s: exit status %d for %d findings'
                  % (what, 1 if rep['findings'] else 0, len(rep['findings'])), 'got %s' % r.rc)
        return rep


def fkey(f):
    return tuple(f[k] for k in FIELDS)


def matches(f, want):
    return all(f.get(k) == v for k, v in want.items())


def describe(want):
    return '%s %s' % (want['kind'], ' '.join('%s=%r' % (k, v) for k, v in want.items() if k != 'kind'))


def expect_new(what, rep, clean, expected, lost_ok=lambda f: False):
    """Each expected finding exactly once in rep; nothing else that the clean report lacks;
    nothing of the clean report gone (except what lost_ok allows)."""
    if rep is None or clean is None:
        check(False, '%s: findings compared' % what, 'no JSON report to compare')
        return
    for want in expected:
        hits = [f for f in rep['findings'] if matches(f, want)]
        check(len(hits) == 1, '%s: %s reported once' % (what, describe(want)),
              'reported %d times; findings of that kind: %s'
              % (len(hits), short(fkey(f) for f in rep['findings'] if f['kind'] == want['kind'])))
    new = collections.Counter(map(fkey, rep['findings'])) - collections.Counter(map(fkey, clean['findings']))
    extra = [k for k in new.elements() if not any(matches(dict(zip(FIELDS, k)), w) for w in expected)]
    check(not extra, '%s: no other new finding' % what, 'unexpected: %s' % short(extra))
    gone = collections.Counter(map(fkey, clean['findings'])) - collections.Counter(map(fkey, rep['findings']))
    gone = [k for k in gone.elements() if not lost_ok(dict(zip(FIELDS, k)))]
    check(not gone, '%s: the clean run\'s findings still there' % what, 'missing: %s' % short(gone))

# ---------------------------------------------------------------- text report


TEXT_HEADER = re.compile(r'^(\S+) \((.*)\)$')
TEXT_FINDING = re.compile(r'^  (error|warning) ([a-z][a-z-]*): (.*)$')
# English number agreement: "1 finding (1 error, 0 warnings) in 1 of 1 module".
TEXT_SUMMARY = re.compile(r'^(\d+) findings? \((\d+) errors?, (\d+) warnings?\) in (\d+) of (\d+) modules?$')
TEXT_NONE = re.compile(r'^no findings in (\d+) modules?$')


def parse_text(out, module_dir):
    """([(module or None, file or module dir, kind, severity, message)], summary tuple) or raises ValueError."""
    lines = out.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if not lines:
        raise ValueError('empty output')
    m = TEXT_SUMMARY.match(lines[-1]) or TEXT_NONE.match(lines[-1])
    if not m:
        raise ValueError('last line is no summary: %r' % lines[-1])
    summary = tuple(int(x) for x in m.groups())
    findings, group = [], None
    for n, line in enumerate(lines[:-1], 1):
        h = TEXT_HEADER.match(line)
        f = TEXT_FINDING.match(line)
        if h:
            name, path = h.groups()
            group = (None, None) if name == 'tree' and os.path.realpath(path) == os.path.realpath(module_dir) \
                else (name, path)
        elif f and group:
            findings.append((group[0], group[1], f.group(2), f.group(1), f.group(3)))
        else:
            raise ValueError('line %d is neither a group header nor a finding: %r' % (n, line))
    return findings, summary


def compare_text_json(what, text_run, rep, module_dir):
    try:
        findings, summary = parse_text(text_run.out, module_dir)
    except ValueError as e:
        check(False, '%s: text report parses' % what, str(e))
        return
    check(True, '%s: text report parses' % what)
    from_json = [(f['module'], f['file'], f['kind'], f['severity'], f['message']) for f in rep['findings']]
    if findings != from_json:
        diff = next(i for i in range(max(len(findings), len(from_json)))
                    if i >= len(findings) or i >= len(from_json) or findings[i] != from_json[i])
        check(False, '%s: text and JSON hold the same findings in the same order' % what,
              'first difference at %d: text %r, JSON %r (text %d findings, JSON %d)'
              % (diff, findings[diff] if diff < len(findings) else None,
                 from_json[diff] if diff < len(from_json) else None, len(findings), len(from_json)))
    else:
        check(True, '%s: text and JSON hold the same findings in the same order' % what)
    modules = len({(f['module'], f['file']) for f in rep['findings'] if f['module'] is not None})
    want = (len(rep['findings']), rep['errors'], rep['warnings'], modules, rep['modules_checked']) \
        if rep['findings'] else (rep['modules_checked'],)
    check(summary == want, '%s: summary line counts' % what, 'want %s, got %s' % (want, summary))


def check_grouping(what, rep):
    """Findings grouped by module, groups in path order; the tree group in one piece."""
    groups = []
    for f in rep['findings']:
        g = (f['module'], f['file'])
        if not groups or groups[-1] != g:
            groups.append(g)
    check(len(groups) == len(set(groups)), '%s: each module\'s findings in one group' % what,
          'groups seen more than once: %s' % short(g for g, n in collections.Counter(groups).items() if n > 1))
    paths = [g[1] for g in groups if g[0] is not None]
    check(paths == sorted(paths, key=lambda p: p.encode()), '%s: module groups in path order' % what,
          'first out of order: %s' % short(b for a, b in zip(paths, paths[1:]) if a.encode() > b.encode()))

# ---------------------------------------------------------------- JUnit


def check_junit(what, path, rep, schema):
    p = subprocess.run(['xmllint', '--noout', '--schema', schema, path], capture_output=True, text=True)
    check(p.returncode == 0, '%s: JUnit file validates against junit.xsd' % what, p.stderr[-1500:])
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        check(False, '%s: JUnit file parses' % what, str(e))
        return
    cases = root.findall('./testsuite/testcase')
    check(len(cases) == rep['modules_checked'] + 1, '%s: one testcase per module plus tree' % what,
          'want %d, got %d' % (rep['modules_checked'] + 1, len(cases)))
    names = collections.Counter(c.get('name') for c in cases)
    check(names['tree'] == 1, '%s: one testcase named tree' % what, 'got %d' % names['tree'])
    classes = {c.get('classname') for c in cases}
    check(classes == {rep['release']}, '%s: classname is the release' % what, 'got %s' % short(classes))
    failures = {}
    for c in cases:
        failures.setdefault(c.get('name'), []).extend(
            (x.get('type'), x.get('message')) for x in c.findall('failure'))
    want = {}
    for f in rep['findings']:
        want.setdefault(f['module'] if f['module'] is not None else 'tree', []).append((f['kind'], f['message']))
    got = {k: v for k, v in failures.items() if v}
    check(got == want, '%s: one <failure> per finding, type = kind, message = message' % what,
          'modules differing: %s' % short('%s: JUnit %s, JSON %s' % (k, got.get(k), want.get(k))
                                           for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)))
    suites = root.findall('./testsuite')
    tests = sum(int(s.get('tests', -1)) for s in suites)
    check(tests == len(cases), '%s: testsuite tests= counts the testcases' % what,
          'tests=%d, %d testcases' % (tests, len(cases)))
    failing = sum(1 for v in got.values() if v)
    nfail = sum(int(s.get('failures', -1)) for s in suites)
    check(nfail in (failing, len(rep['findings'])), '%s: testsuite failures= counts failures' % what,
          'failures=%d; %d failing testcases, %d <failure> elements' % (nfail, failing, len(rep['findings'])))


def check_schema_rejects(schema, work):
    """The schema is not vacuous: a testcase without a name and a bare testsuite root fail it."""
    for name, text in (('nameless', '<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
                                    '<testcase classname="c"/></testsuite></testsuites>'),
                       ('bare-root', '<testsuite name="s" tests="0" failures="0" errors="0"/>'),
                       ('nested-failure', '<testsuites><testsuite name="s" tests="1" failures="1" errors="0">'
                                          '<testcase name="a" classname="c"><failure><x/></failure></testcase>'
                                          '</testsuite></testsuites>')):
        path = os.path.join(work, name + '.xml')
        with open(path, 'w') as f:
            f.write(text)
        p = subprocess.run(['xmllint', '--noout', '--schema', schema, path], capture_output=True)
        check(p.returncode != 0, 'junit.xsd rejects a %s JUnit file' % name, 'xmllint accepted it')

# ---------------------------------------------------------------- kmod 30 as the oracle


def kmod_depmod_symbols(symvers, root, kver):
    """{(relative path, symbol)} of "needs unknown symbol" and of "disagrees about version" lines."""
    p = subprocess.run(['/sbin/depmod', '-e', '-E', symvers, '-n', '-b', root, kver],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=CHECK_TIMEOUT)
    moddir = os.path.join(root, 'lib/modules', kver) + '/'
    unknown, crc = set(), set()
    for line in p.stderr.splitlines():
        m = re.search(r'(\S+\.ko\S*) needs unknown symbol (\S+)', line)
        if m:
            unknown.add((m.group(1).replace(moddir, ''), m.group(2)))
        m = re.search(r'(\S+\.ko\S*) disagrees about version of symbol (\S+)', line)
        if m:
            crc.add((m.group(1).replace(moddir, ''), m.group(2)))
    return p.returncode, unknown, crc

# ---------------------------------------------------------------- inputs


def shell_vars(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit('FAIL %s: exit %d\n%s' % (' '.join(cmd), p.returncode, p.stderr[-2000:]))
    return {k: v for k, v in re.findall(r"^(\w+)='?([^'\n]*)'?$", p.stdout, re.M)}


def read_symvers(path):
    """symbol -> (crc, exporter, export type, namespace)."""
    out = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip('\n').split('\t')
            if len(fields) >= 4:
                out[fields[1]] = (fields[0], fields[2], fields[3], fields[4] if len(fields) > 4 else '')
    return out


class TreeFacts:
    """What the freshly indexed copy says: modules.dep, aliases, exporters, soft/weak dependencies."""

    def __init__(self, tree):
        md = tree.moddir
        self.dep = {}
        with open(os.path.join(md, 'modules.dep')) as f:
            for line in f:
                m, rest = line.split(':', 1)
                self.dep[m] = rest.split()
        self.users = collections.defaultdict(list)
        for m, ds in self.dep.items():
            for d in ds:
                self.users[d].append(m)
        self.aliases = collections.defaultdict(list)         # module name -> patterns
        self.alias_pairs = set()
        with open(os.path.join(md, 'modules.alias')) as f:
            for line in f:
                if line.startswith('alias '):
                    _, pattern, mod = line.split()
                    self.aliases[mod].append(pattern)
                    self.alias_pairs.add((pattern, mod))
        self.providers = collections.defaultdict(set)
        for pattern, mod in self.alias_pairs:
            self.providers[pattern].add(mod)
        self.exporters = collections.defaultdict(set)
        with open(os.path.join(md, 'modules.symbols')) as f:
            for line in f:
                if line.startswith('alias symbol:'):
                    _, sym, mod = line.split()
                    self.exporters[sym[len('symbol:'):]].add(mod)
        self.soft_targets = set()
        for name in ('modules.softdep', 'modules.weakdep'):
            with open(os.path.join(md, name)) as f:
                for line in f:
                    words = line.split()
                    if words and words[0] in ('softdep', 'weakdep'):
                        self.soft_targets.update(w for w in words[2:] if not w.endswith(':'))
        with open(os.path.join(md, 'modules.order')) as f:
            self.order = [line.strip() for line in f if line.strip()]


class Picks:
    """The modules each defect is planted in, chosen by rule (first by path) so that any
    Debian package gives a precise expectation; each module is used once."""

    def __init__(self, tree, facts, symvers):
        self.tree, self.facts, self.symvers = tree, facts, symvers
        self.used = set()
        self.paths = sorted(facts.dep)

    def vmlinux(self, sym):
        return sym in self.symvers and self.symvers[sym][1] == 'vmlinux'

    def take(self, what, rel):
        if rel is None:
            sys.exit('FAIL no module in %s fits the %s defect (the test needs one)' % (self.tree.moddir, what))
        self.used.add(rel)
        info('%s: %s' % (what, rel))
        return rel

    def free(self, leaf=True):
        """Unused modules in path order; leaf: no dependencies and no dependants."""
        for rel in self.paths:
            if rel in self.used or (leaf and (self.facts.dep[rel] or self.facts.users.get(rel))):
                continue
            yield rel

    def removal(self):
        """An exporter with exactly one user (and nothing using that user), 2..4 symbols the user
        takes from it alone, and at least one alias no other module provides."""
        f = self.facts
        for x in self.paths:
            if len(f.users.get(x, [])) != 1:
                continue
            u = f.users[x][0]
            if f.users.get(u) or u in self.used or x in self.used:
                continue
            name = module_name(x)
            pats = f.aliases.get(name, [])
            if name in f.soft_targets or any(fnmatch.fnmatchcase(t, p) for t in f.soft_targets for p in pats):
                continue
            if not [p for p in pats if f.providers[p] == {name}]:
                continue
            strong, weak = self.tree.elf(u).undefined()
            exports = self.tree.elf(x).exports()
            syms = sorted(s for s in strong if s in exports and f.exporters[s] == {name} and not self.vmlinux(s))
            if 2 <= len(syms) <= 4 and not (weak & exports):
                self.take('removed exporter', x)
                self.take('its user', u)
                return x, u, syms
        self.take('removed exporter', None)

    def gpl(self):
        for rel in self.free():
            e = self.tree.elf(rel)
            if e.values('license') != ['GPL v2'] or e.values('import_ns'):
                continue
            strong, _ = e.undefined()
            gpl = sorted(s for s in strong if self.vmlinux(s) and self.symvers[s][2] in GPL_EXPORTS)
            if 1 <= len(gpl) <= 3:
                return self.take('non-GPL licence', rel), gpl
        self.take('non-GPL licence', None)

    def namespace(self):
        for rel in self.free():
            e = self.tree.elf(rel)
            ns = e.values('import_ns')
            if len(ns) != 1:
                continue
            strong, _ = e.undefined()
            used = sorted(s for s in strong if s in self.symvers and self.symvers[s][3] == ns[0])
            if 2 <= len(used) <= 3 and all(self.vmlinux(s) for s in used):
                return self.take('namespace', rel), ns[0], used
        self.take('namespace', None)

    def crc(self):
        for rel in self.free():
            for crc, name, off in self.tree.elf(rel).versions():
                if self.vmlinux(name) and name != 'module_layout' and int(self.symvers[name][0], 16) == crc:
                    return self.take('CRC', rel), name, crc, off
        self.take('CRC', None)

    def plain(self, what):
        """Any unused leaf module with a signature and a .text section."""
        for rel in self.free():
            data = self.tree.read(rel)
            if signature(data) and self.tree.elf(rel).by_name.get('.text', {}).get('size'):
                return self.take(what, rel)
        self.take(what, None)

    def stale_dep_line(self):
        for rel in self.paths:
            if rel not in self.used and len(self.facts.dep[rel]) >= 2:
                return self.take('modules.dep line', rel)
        self.take('modules.dep line', None)

    def firmware(self):
        for rel in self.free(leaf=False):
            fw = self.tree.elf(rel).values('firmware')
            if 3 <= len(fw) <= 8 and len(set(fw)) == len(fw) and not any(c in n for n in fw for c in '*?['):
                return self.take('firmware', rel), fw
        self.take('firmware', None)

    def small_tree(self, n):
        out = []
        for rel in self.free():
            e = self.tree.elf(rel)
            if not (e.values('softdep') or e.values('weakdep')) and signature(self.tree.read(rel)):
                out.append(self.take('small tree', rel))
                if len(out) == n:
                    return out
        self.take('small tree', None)

# ---------------------------------------------------------------- signing


def make_foreign_key(work):
    cert, key, der = (os.path.join(work, n) for n in ('foreign.pem', 'foreign.key', 'foreign.der'))
    subprocess.run(['openssl', 'req', '-new', '-x509', '-nodes', '-newkey', 'rsa:2048', '-keyout', key,
                    '-out', cert, '-days', '36500', '-subj', '/CN=' + FOREIGN_CN, '-set_serial', '0x' + FOREIGN_SERIAL],
                   check=True, capture_output=True)
    subprocess.run(['openssl', 'x509', '-in', cert, '-outform', 'DER', '-out', der], check=True, capture_output=True)
    return cert, key, der


def sign_module(content, cert, key, work):
    """content + a PKCS#7 signature by key, with kernel's trailer (sign-file's layout)."""
    unsigned = os.path.join(work, 'to-sign.ko')
    with open(unsigned, 'wb') as f:
        f.write(content)
    der = subprocess.run(['openssl', 'cms', '-sign', '-binary', '-noattr', '-nocerts', '-outform', 'DER',
                          '-md', 'sha256', '-signer', cert, '-inkey', key, '-in', unsigned],
                         check=True, capture_output=True).stdout
    sig = os.path.join(work, 'to-sign.p7s')
    with open(sig, 'wb') as f:
        f.write(der)
    p = subprocess.run(['openssl', 'cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', unsigned,
                        '-certfile', cert, '-noverify', '-out', os.devnull], capture_output=True)
    check(p.returncode == 0, 'the re-signed module\'s signature verifies with openssl and the throw-away cert',
          p.stderr.decode(errors='replace')[-500:])
    # algo 0, hash 0, id_type 2 (PKCS#7), signer and key id in the PKCS#7 itself, 3 pad bytes, length.
    return content + der + struct.pack('>BBBBB3xI', 0, 0, 2, 0, 0, len(der)) + SIG_MAGIC

# ---------------------------------------------------------------- the scenarios


class Suite:
    def __init__(self, kmodx, here, env, headers, work):
        self.kver = env['KVER_amd64']
        self.count = int(env['COUNT_amd64'])
        self.symvers_path = headers['SYMVERS_amd64']
        self.vmlinuz = headers['VMLINUZ_amd64']
        self.schema = os.path.join(here, 'check', 'junit.xsd')
        self.work = work
        self.checker = Checker(kmodx, self.kver)
        self.kmodx = kmodx
        root = os.path.join(work, 'root')
        subprocess.run(['cp', '-a', env['ROOT_amd64_plain'], root], check=True)
        self.tree = Tree(root, self.kver)
        p = subprocess.run([kmodx, 'depmod', '-b', root, self.kver], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit('FAIL kmodx depmod on the copy: exit %d\n%s' % (p.returncode, p.stderr[-2000:]))
        self.symvers = read_symvers(self.symvers_path)
        self.facts = TreeFacts(self.tree)
        self.base = ['-b', root, '-E', self.symvers_path, '--no-firmware']
        self.keys = ['--kernel-image', self.vmlinuz]
        self.clean = None

    def full(self, what, extra=(), want_rc=None, json_out=True):
        args = self.base + list(extra) + (['--json'] if json_out else []) + [self.kver]
        return self.checker.run(what, args, want_rc=want_rc, json_out=json_out)

    # ---- clean tree

    def clean_tree(self):
        r = self.full('clean tree', self.keys)
        rep = r.report
        if rep is None:
            sys.exit('FAIL the clean run gave no report; nothing to compare the planted defects with')
        self.clean = rep
        self.clean_path = os.path.join(self.work, 'clean.json')
        with open(self.clean_path, 'w') as f:
            f.write(r.out)
        check(rep['modules_checked'] == self.count, 'clean tree: every module checked',
              'want %d, got %r' % (self.count, rep['modules_checked']))
        check(os.path.realpath(rep['module_dir']) == os.path.realpath(self.tree.moddir),
              'clean tree: module_dir is the -b tree\'s', 'want %s, got %r' % (self.tree.moddir, rep['module_dir']))
        bad = [fkey(f) for f in rep['findings'] if f['kind'] in CLEAN_FORBIDDEN]
        check(not bad, 'clean tree: no symbol, licence, namespace, CRC, vermagic, signature, index, '
              'dependency or readability finding', 'got %s' % short(bad, 20))
        check_grouping('clean tree', rep)
        pairs = {tuple(a) for a in rep['aliases']}
        missing = self.facts.alias_pairs - pairs
        check(not missing, 'clean tree: JSON aliases hold every modules.alias line', 'missing %s' % short(missing))
        kinds = collections.Counter(f['kind'] for f in rep['findings'])
        info('clean tree: %d findings (%s); for information:' % (len(rep['findings']), dict(kinds)))
        for f in rep['findings'][:40]:
            info('  %s %s %s: %s' % (f['file'] or 'tree', f['severity'], f['kind'], f['message']))
        if len(rep['findings']) > 40:
            info('  ... %d more' % (len(rep['findings']) - 40))
        rc, unknown, crc = kmod_depmod_symbols(self.symvers_path, self.tree.root, self.kver)
        check(rc == 0 and not unknown and not crc, 'clean tree: kmod 30 depmod -e -E reports no unknown symbol '
              'and no version disagreement, as kmodx check', 'exit %d, unknown %s, crc %s'
              % (rc, short(unknown), short(crc)))

    # ---- planted defects

    def removed_exporter(self, picks):
        x, u, syms = picks.removal()
        name_x, name_u = module_name(x), module_name(u)
        info('removed exporter: %s, used by %s for %s' % (x, u, ', '.join(syms)))
        with self.tree.planted({x: None}):
            out = os.path.join(self.work, 'removed-out')
            if not tool_ok('removed exporter: kmodx depmod -o', [self.kmodx, 'depmod', '-b', self.tree.root,
                                                                '-o', out, self.kver]):
                return
            stale = sorted(n for n in INDEX_FILES if not same_file(
                self.tree.path(n), os.path.join(out, 'lib/modules', self.kver, n)))
            info('index files a fresh depmod changes: %s' % ', '.join(stale))
            check({'modules.dep', 'modules.dep.bin', 'modules.symbols', 'modules.alias'} <= set(stale),
                  'removed exporter: a fresh depmod changes modules.dep, .symbols and .alias (test premise)',
                  'changed: %s' % stale)
            expected = [dict(module=name_u, file=u, kind='unknown-symbol', severity='error', subject=s)
                        for s in syms]
            expected.append(dict(module=name_u, file=u, kind='dependency-missing', severity='error', subject=x))
            expected += [dict(module=None, file=None, kind='stale-index', severity='error', subject=n) for n in stale]
            if x in self.facts.order:
                expected.append(dict(module=None, file=None, kind='order-entry-missing', severity='warning',
                                     subject=x))
            junit = os.path.join(self.work, 'removed.junit.xml')
            rj = self.full('removed exporter (JSON)', ['-j', '1', '--junit', junit], want_rc=1)
            rt = self.full('removed exporter (text)', ['-j', '2'], want_rc=1, json_out=False)
            gone = sorted(p for p, m in map(tuple, self.clean['aliases']) if m == name_x
                          and not any(m2 != name_x for p2, m2 in map(tuple, self.clean['aliases']) if p2 == p))
            check(bool(gone), 'removed exporter: the clean report lists aliases only it provides (test premise)',
                  'none of %s' % short(self.facts.aliases.get(name_x, [])))
            rb = self.full('removed exporter (--baseline)', ['--baseline', self.clean_path], want_rc=1)
            rc, unknown, _ = kmod_depmod_symbols(self.symvers_path, self.tree.root, self.kver)
        rep = rj.report
        expect_new('removed exporter', rep, self.clean, expected,
                   lost_ok=lambda f: f['module'] == name_x or f['file'] == x)
        if rep:
            got = {(f['file'], f['subject']) for f in rep['findings'] if f['kind'] == 'unknown-symbol'}
            check(got == unknown, 'removed exporter: unknown symbols are those kmod 30 depmod -e reports',
                  'kmodx check: %s; kmod: %s' % (short(sorted(got)), short(sorted(unknown))))
            left = [a for a in rep['aliases'] if a[1] == name_x]
            check(not left, 'removed exporter: JSON aliases no longer name it', short(left))
            compare_text_json('removed exporter', rt, rep, self.tree.moddir)
            check_grouping('removed exporter', rep)
            check_junit('removed exporter', junit, rep, self.schema)
        # With the clean report as baseline: only what the removal brought, and the aliases it took.
        if rb.report:
            # alias-gone is tree-wide (its module may be gone); the message names the old module.
            want = expected + [dict(module=None, file=None, kind='alias-gone', severity='warning', subject=p)
                               for p in gone]
            got = [fkey(f) for f in rb.report['findings']]
            for w in want:
                n = sum(1 for f in rb.report['findings'] if matches(f, w))
                check(n == 1, 'removed exporter --baseline: %s reported once' % describe(w), 'reported %d times' % n)
            extra = [k for k in got if not any(matches(dict(zip(FIELDS, k)), w) for w in want)]
            check(not extra, 'removed exporter --baseline: nothing of the clean report, nothing else',
                  'unexpected: %s' % short(extra))
            unnamed = [f['message'] for f in rb.report['findings']
                       if f['kind'] == 'alias-gone' and name_x not in f['message']]
            check(not unnamed, 'removed exporter --baseline: alias-gone messages name %s' % name_x, short(unnamed))

    def one_module(self, what, rel, data, expected, extra=()):
        with self.tree.planted({rel: data}):
            r = self.full(what, extra, want_rc=1)
        expect_new(what, r.report, self.clean, expected)
        return r

    def gpl_only(self, picks):
        rel, syms = picks.gpl()
        info('non-GPL licence: %s imports %s' % (rel, ', '.join(syms)))
        data = replace_modinfo(self.tree.read(rel), 'license', 'GPL v2', 'BSD v2')
        check(Elf(data).values('license') == ['BSD v2'], 'planted licence reads back as BSD v2')
        self.one_module('non-GPL licence', rel, data,
                        [dict(module=module_name(rel), file=rel, kind='gpl-only-symbol', severity='error', subject=s)
                         for s in syms])

    def namespace(self, picks):
        rel, ns, syms = picks.namespace()
        other = ns[:-1] + ('X' if ns[-1] != 'X' else 'Y')
        info('namespace: %s imports %s -> %s, uses %s' % (rel, ns, other, ', '.join(syms)))
        check(not any(v[3] == other for v in self.symvers.values()), 'namespace %s exists nowhere (premise)' % other)
        data = replace_modinfo(self.tree.read(rel), 'import_ns', ns, other)
        self.one_module('namespace not imported', rel, data,
                        [dict(module=module_name(rel), file=rel, kind='namespace-not-imported', severity='error',
                              subject=s) for s in syms])

    def crc(self, picks):
        rel, sym, crc, off = picks.crc()
        info('CRC: %s, %s 0x%08x -> 0x%08x' % (rel, sym, crc, crc ^ 0xffffffff))
        data = self.tree.read(rel)
        data = data[:off] + struct.pack('<Q', crc ^ 0xffffffff) + data[off + 8:]
        with self.tree.planted({rel: data}):
            r = self.full('CRC', want_rc=1)
            rc, _, kmod_crc = kmod_depmod_symbols(self.symvers_path, self.tree.root, self.kver)
        expect_new('CRC', r.report, self.clean,
                   [dict(module=module_name(rel), file=rel, kind='crc-mismatch', severity='error', subject=sym)])
        check(kmod_crc == {(rel, sym)}, 'CRC: kmod 30 depmod -e disagrees about the same symbol',
              'kmod: %s' % short(kmod_crc))

    def vermagic(self, picks):
        rel = picks.plain('vermagic')
        old = Elf(self.tree.read(rel)).values('vermagic')[0]
        release = self.kver
        foreign = ('5' if release[0] != '5' else '4') + release[1:]
        new = old.replace(release, foreign, 1)
        info('vermagic: %s %r -> %r' % (rel, old, new))
        data = replace_modinfo(self.tree.read(rel), 'vermagic', old, new)
        self.one_module('vermagic', rel, data,
                        [dict(module=module_name(rel), file=rel, kind='vermagic', severity='error', subject=new)])

    def stale_dep(self, picks):
        rel = picks.stale_dep_line()
        text = self.tree.read('modules.dep').decode()
        lines = text.split('\n')
        i = next(n for n, line in enumerate(lines) if line.startswith(rel + ':'))
        lines[i] = lines[i].rsplit(' ', 1)[0]
        info('modules.dep: the last dependency of %s dropped' % rel)
        with self.tree.planted({'modules.dep': '\n'.join(lines).encode()}):
            r = self.full('stale modules.dep', want_rc=1)
        expect_new('stale modules.dep', r.report, self.clean,
                   [dict(module=None, file=None, kind='stale-index', severity='error', subject='modules.dep')])

    def signatures(self, picks):
        a = picks.plain('bad signature')
        b = picks.plain('unsigned, then foreign key')
        data_a = bytearray(self.tree.read(a))
        text = self.tree.elf(a).by_name['.text']
        data_a[text['offset'] + text['size'] // 2] ^= 0x01
        data_b = self.tree.read(b)
        content_b = data_b[:signature(data_b)[0]]
        na, nb = module_name(a), module_name(b)
        info('signatures: a byte of %s\'s .text flipped; %s stripped, then signed by "%s"' % (a, b, FOREIGN_CN))
        with self.tree.planted({a: bytes(data_a), b: content_b}):
            r = self.full('bad signature + unsigned, with --kernel-image', self.keys, want_rc=1)
            expect_new('bad signature + unsigned, with --kernel-image', r.report, self.clean,
                       [dict(module=na, file=a, kind='bad-signature', severity='error', subject=''),
                        dict(module=nb, file=b, kind='unsigned', severity='warning', subject='')])
        with self.tree.planted({b: content_b}):
            r = self.full('unsigned, no keys')
            expect_new('unsigned, no keys', r.report, self.clean, [])
            r = self.full('unsigned, --require-signed', ['--require-signed'], want_rc=1)
            expect_new('unsigned, --require-signed', r.report, self.clean,
                       [dict(module=nb, file=b, kind='unsigned', severity='error', subject='')])
        cert, key, der = make_foreign_key(self.work)
        with self.tree.planted({b: sign_module(content_b, cert, key, self.work)}):
            r = self.full('foreign key, with --kernel-image', self.keys, want_rc=1)
            rep = r.report
            expect_new('foreign key, with --kernel-image', rep, self.clean,
                       [dict(module=nb, file=b, kind='unknown-key', severity='error')])
            hits = [f for f in (rep['findings'] if rep else []) if f['kind'] == 'unknown-key']
            if hits:
                s = hits[0]['subject']
                plain = s.replace(':', '').replace(' ', '').lower()
                check(FOREIGN_CN in s or FOREIGN_SERIAL in plain,
                      'foreign key: unknown-key subject names the signer or the key id',
                      'want "%s" or serial %s, got %r' % (FOREIGN_CN, FOREIGN_SERIAL, s))
            r = self.full('foreign key given with --cert (DER) and --kernel-image', self.keys + ['--cert', der])
            expect_new('foreign key given with --cert (DER) and --kernel-image', r.report, self.clean, [])
            # Only the throw-away key (PEM): that module verifies, the others are signed by an unknown key.
            r = self.full('foreign key given with --cert (PEM) only', ['--cert', cert], want_rc=1)
            if r.report:
                mine = [fkey(f) for f in r.report['findings'] if f['file'] == b and f['kind'] in SIGNATURE_KINDS]
                check(not mine, 'foreign key with --cert PEM: its module verifies', 'got %s' % short(mine))
                others = {f['file'] for f in r.report['findings'] if f['kind'] == 'unknown-key'}
                check(len(others) == self.count - 1 and b not in others,
                      'foreign key with --cert PEM: every other module has an unknown key',
                      'want %d modules, got %d' % (self.count - 1, len(others)))

    def firmware(self, picks):
        rel, names = picks.firmware()
        missing = names[-1]
        d1, d2 = os.path.join(self.work, 'fw1'), os.path.join(self.work, 'fw2')
        for i, n in enumerate(names[:-1]):
            where = os.path.join(d1 if i % 2 == 0 else d2, n)
            os.makedirs(os.path.dirname(where), exist_ok=True)
            if i == 1:
                compress(['xz', '-z', '-c'], b'fw', where + '.xz')
            else:
                with open(where, 'wb') as f:
                    f.write(b'fw')
        info('firmware: %s names %s; all but %s in two directories' % (rel, ', '.join(names), missing))
        args = ['-b', self.tree.root, '-E', self.symvers_path, '--firmware-dir', d1, '--firmware-dir', d2,
                '--json', self.kver, self.tree.path(rel)]
        r = self.checker.run('firmware (named file)', args, want_rc=1, json_out=True)
        rep = r.report
        if rep:
            check(rep['modules_checked'] == 1, 'firmware: a named file checks just that module',
                  'modules_checked %r' % rep['modules_checked'])
            fw = [fkey(f) for f in rep['findings'] if f['kind'] == 'firmware-missing']
            want = (module_name(rel), rel, 'firmware-missing', 'warning', missing)
            check(fw == [want], 'firmware: exactly the missing file reported', 'want [%s], got %s' % (want, fw))
        # The last one there too, zstd-compressed where zstd exists, else xz: no finding.
        where = os.path.join(d2, missing)
        os.makedirs(os.path.dirname(where), exist_ok=True)
        if shutil.which('zstd'):
            compress(['zstd', '-q', '-c'], b'fw', where + '.zst')
        else:
            compress(['xz', '-z', '-c'], b'fw', where + '.xz')
        r = self.checker.run('firmware all there', args, json_out=True)
        if r.report:
            fw = [fkey(f) for f in r.report['findings'] if f['kind'] == 'firmware-missing']
            check(not fw, 'firmware: none missing when all are there (plain, .xz, .zst)', 'got %s' % fw)

    # ---- exit status 0 and 2, hostile inputs

    def small(self, picks):
        """A tree of four good modules: exit 0; then hostile files and inputs beside a planted vermagic."""
        rels = picks.small_tree(4)
        root = os.path.join(self.work, 'small')
        small = Tree(root, self.kver)
        for rel in rels:
            os.makedirs(os.path.dirname(small.path(rel)), exist_ok=True)
            shutil.copy2(self.tree.path(rel), small.path(rel))
        with open(small.path('modules.order'), 'w') as f:
            f.write(''.join(r + '\n' for r in rels))
        if not tool_ok('small tree: kmodx depmod', [self.kmodx, 'depmod', '-b', root, self.kver]):
            return
        base = ['-b', root, '-E', self.symvers_path, '--no-firmware']
        r = self.checker.run('small clean tree', base + self.keys + ['--json', self.kver], SMALL_TIMEOUT,
                             want_rc=0, json_out=True)
        if r.report:
            check(r.report['findings'] == [] and r.report['modules_checked'] == 4, 'small clean tree: no findings',
                  'got %s in %r modules' % (short(fkey(f) for f in r.report['findings']),
                                            r.report['modules_checked']))
        r = self.checker.run('small clean tree (text)', base + self.keys + [self.kver], SMALL_TIMEOUT, want_rc=0)
        check(r.out == 'no findings in 4 modules\n', 'small clean tree: text says "no findings in 4 modules"',
              'got %r' % r.out[-300:])

        r = self.checker.run('bad option', ['--no-such-option', self.kver], SMALL_TIMEOUT, want_rc=2)
        check(r.err.strip() != '', 'bad option: a message on stderr', 'stderr empty')
        nocert = os.path.join(self.work, 'no-such-cert.pem')
        r = self.checker.run('missing --cert', base + ['--cert', nocert, self.kver], SMALL_TIMEOUT, want_rc=2)
        check(nocert in r.err, 'missing --cert: stderr names the file', 'stderr: %r' % r.err[-500:])

        # A planted vermagic in one good module: it must be found whatever else is wrong.
        good = rels[0]
        old = Elf(small.read(good)).values('vermagic')[0]
        new = old.replace(self.kver, ('5' if self.kver[0] != '5' else '4') + self.kver[1:], 1)
        want_vm = (module_name(good), good, 'vermagic', 'error', new)
        planted = replace_modinfo(small.read(good), 'vermagic', old, new)
        with open(small.path(good), 'wb') as f:
            f.write(planted)

        def still_checked(what, r):
            keys = [fkey(f) for f in r.report['findings']] if r.report else []
            check(want_vm in keys, '%s: the good modules still checked (planted vermagic found)' % what,
                  'stdout: %r' % r.out[-500:])
            unk = [k for k in keys if k[2] == 'unknown-symbol']
            check(not unk, '%s: no unknown-symbol for the good modules' % what, short(unk))

        def named(what, r, path):
            """A stderr line or a finding names the file (path or base name) and gives a reason."""
            texts = r.err.splitlines() + [f['message'] for f in (r.report or {}).get('findings', [])]
            lines = [t for t in texts if path in t or os.path.basename(path) in t]
            check(bool(lines), '%s: reported with the file name' % what,
                  'no %s in stderr %r nor in a finding' % (path, r.err[-500:]))
            reasons = [t for t in lines if re.search(r'[a-z]{3}', t.replace(path, '').replace(
                os.path.basename(path), '').replace('kmodx', '').replace('check', ''))]
            if lines:
                check(bool(reasons), '%s: with a reason' % what, 'lines: %s' % short(lines, 3))

        rng = random.Random(20251206)
        extra = os.path.join(small.moddir, 'extra')
        os.makedirs(extra)
        hostile = {'extra/x.ko': bytes(rng.getrandbits(8) for _ in range(8192))}
        donor = self.tree.read(rels[1])
        hostile['extra/truncated.ko'] = donor[:len(donor) // 3]
        hostile['extra/empty.ko.xz'] = b''
        xz = subprocess.run(['xz', '-z', '-c', '--check=crc32'], input=donor, capture_output=True, check=True).stdout
        hostile['extra/cut.ko.xz'] = xz[:len(xz) // 2]
        for rel, data in hostile.items():
            with open(small.path(rel), 'wb') as f:
                f.write(data)
        r = self.checker.run('hostile module files', base + ['--json', self.kver], SMALL_TIMEOUT, want_rc=1,
                             json_out=True)
        if r.report:
            for rel in hostile:
                hits = [f for f in r.report['findings'] if f['kind'] == 'module-unreadable' and f['file'] == rel]
                check(len(hits) == 1, 'hostile module files: %s reported unreadable once' % rel,
                      'got %s' % short(fkey(f) for f in r.report['findings'] if f['file'] == rel))
                if hits:
                    reason = hits[0]['message'].replace(rel, '').replace(os.path.basename(rel), '')
                    check(re.search(r'[a-z]{3}', reason) is not None,
                          'hostile module files: %s has a reason' % rel, 'message %r' % hits[0]['message'])
            still_checked('hostile module files', r)
        for rel in hostile:
            os.unlink(small.path(rel))

        truncated = os.path.join(self.work, 'vmlinuz-truncated')
        with open(self.vmlinuz, 'rb') as f, open(truncated, 'wb') as g:
            g.write(f.read()[:os.path.getsize(self.vmlinuz) // 2])
        hostname = '/etc/hostname' if os.path.isfile('/etc/hostname') else os.path.join(self.work, 'hostname')
        if not os.path.isfile(hostname):
            with open(hostname, 'w') as f:
                f.write('builder\n')
        notcert = os.path.join(self.work, 'not-a-cert.pem')
        with open(notcert, 'w') as f:
            f.write('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n')
        badsym = os.path.join(self.work, 'Module.symvers.bad')
        with open(self.symvers_path, 'rb') as f:
            lines = f.read().split(b'\n')
        lines[10:10] = [b'this is not a symvers line', b'0xZZZZZZZZ\tbad_crc\tvmlinux\tEXPORT_SYMBOL\t',
                        b'\t\t\t', b'0x12345678', b'\xff\xfe\x00binary\x00junk']
        with open(badsym, 'wb') as f:
            f.write(b'\n'.join(lines))
        for what, args, path in (
                ('truncated kernel image', ['--kernel-image', truncated], truncated),
                ('/etc/hostname as kernel image', ['--kernel-image', hostname], hostname),
                ('a --cert that is no certificate', ['--cert', notcert], notcert)):
            r = self.checker.run(what, base + args + ['--json', self.kver], SMALL_TIMEOUT, json_out=False)
            if r.rc is None:
                continue
            check(r.rc in (1, 2), '%s: exit status 1 or 2' % what, 'got %d' % r.rc)
            r.report = self.checker.parse_json(what, r, check_rc=False) if r.out.strip() else None
            named(what, r, path)
            still_checked(what, r)
        bad_base = ['-b', root, '-E', badsym, '--no-firmware']
        r = self.checker.run('Module.symvers with bad lines', bad_base + ['--json', self.kver], SMALL_TIMEOUT,
                             json_out=False)
        if r.rc is not None:
            check(r.rc in (1, 2), 'Module.symvers with bad lines: exit status 1 or 2', 'got %d' % r.rc)
            r.report = self.checker.parse_json('Module.symvers with bad lines', r, check_rc=False) \
                if r.out.strip() else None
            named('Module.symvers with bad lines', r, badsym)
            told = [t for t in r.err.splitlines() if badsym in t]
            check(len(told) >= 5, 'Module.symvers with bad lines: each of the 5 bad lines reported',
                  'stderr lines naming the file: %s' % short(told))
            still_checked('Module.symvers with bad lines', r)


def tool_ok(what, cmd):
    """Runs a helper command (not the one under test); a FAIL line when it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True)
    return check(p.returncode == 0, what, 'exit %d: %s' % (p.returncode, p.stderr[-1000:]))


def compress(cmd, data, dest):
    with open(dest, 'wb') as f:
        subprocess.run(cmd, input=data, stdout=f, check=True)


def same_file(a, b):
    try:
        with open(a, 'rb') as f, open(b, 'rb') as g:
            return f.read() == g.read()
    except FileNotFoundError:
        return os.path.exists(a) == os.path.exists(b)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    kmodx = os.path.realpath(sys.argv[1])
    here = os.path.dirname(os.path.realpath(__file__))
    for tool in ('xmllint', 'openssl', 'xz', '/sbin/depmod'):
        if not shutil.which(tool):
            sys.exit('FAIL %s is needed and missing' % tool)
    env = shell_vars(['bash', os.path.join(here, 'debian-full-trees.sh')])
    headers = shell_vars(['bash', os.path.join(here, 'debian-headers.sh')])
    if headers.get('KVER_amd64') != env.get('KVER_amd64'):
        sys.exit('FAIL debian-headers.sh gives %s, debian-full-trees.sh %s'
                 % (headers.get('KVER_amd64'), env.get('KVER_amd64')))
    with tempfile.TemporaryDirectory(prefix='check-debian.') as work:
        suite = Suite(kmodx, here, env, headers, work)
        check_schema_rejects(suite.schema, work)
        picks = Picks(suite.tree, suite.facts, suite.symvers)
        suite.clean_tree()
        suite.removed_exporter(picks)
        suite.gpl_only(picks)
        suite.namespace(picks)
        suite.crc(picks)
        suite.vermagic(picks)
        suite.stale_dep(picks)
        suite.signatures(picks)
        suite.firmware(picks)
        suite.small(picks)
        info('%d kmodx check runs' % suite.checker.runs)
    print('%d passed, %d failed' % (passes, fails))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
