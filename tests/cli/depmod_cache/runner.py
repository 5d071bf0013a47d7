# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test: running depmod (Run: exit status, output, the NOTICE
# lines about the cache parsed out of stderr) and comparing an incremental run
# with a --no-cache run into another directory (status, stdout, stderr less
# the cache NOTICEs, the set of output files and every byte of them).
import os
import subprocess
import time

from .common import CACHE, CACHE_LINE, HITS, LOAD_FAILED, NOT_USED, OUTPUTS, TEMPORARY, read_bytes


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
