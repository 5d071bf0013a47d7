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
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))   # the depmod_cache package beside it

from depmod_cache.common import CACHE, INPUTS, die, read_bytes
from depmod_cache.hostile import hostile
from depmod_cache.rules import rules
from depmod_cache.sources import Sources
from depmod_cache.steps import randomized
from depmod_cache.tree import Tree


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
