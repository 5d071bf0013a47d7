#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Crash consistency of depmod's outputs.

usage: depmod-crash.py KMODX INDEX_TOOL [SLOW_RENAME_SHIM]

On a copy of Debian's module tree (tests/cli/debian-full-trees.sh; the
cloud tree by default, KMODX_CRASH_TREE=amd64 for the big one), an "old"
database is written with a configuration that leaves out some modules, and
the "new" one the same run gives without it. Then, KMODX_CRASH_KILLS times
(default 200): the old database is put back, `depmod` is started and killed
with SIGKILL at a random moment, and

  * every output file must be byte for byte the complete old or the complete
    new version, and every .bin must pass `INDEX_TOOL verify`;
  * the next, uninterrupted run must succeed, leave no temporary file
    (<name>.<pid>.<usec>.<sec>) and give exactly the new database.

The runs are incremental: the old database comes with kmodx's cache of
parsed modules (modules.kmodx-cache.bin, made by a run with the old
configuration), so a killed run is one that reads only the modules the old
configuration left out. The cache must also be the old or the new one after
every kill, and the next run must report using it (-v: "N of M modules
unchanged") and write the new one.

Half of the kill moments are spread over the whole run. The other half aim
at the writing: the test watches the directory and kills at a random moment
within 40 ms of the first temporary file appearing; for those, when
SLOW_RENAME_SHIM (tests/tools/slow_rename.cpp) is given, it is preloaded so
that each of the eleven renames waits 3 ms and the writing lasts long
enough to be hit. The summary says how many kills landed before, during and after the
writing; the test fails unless some landed during it, so it cannot pass
without testing what it is for.
"""
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

OUTPUTS = ['modules.dep', 'modules.dep.bin', 'modules.alias', 'modules.alias.bin', 'modules.softdep',
           'modules.weakdep', 'modules.symbols', 'modules.symbols.bin', 'modules.builtin.bin',
           'modules.builtin.alias.bin', 'modules.devname']
TEMPORARY = re.compile(r'^modules\..*\.[0-9]+\.[0-9]+\.[0-9]+$')
CACHE = 'modules.kmodx-cache.bin'
CACHE_USED = re.compile(rb'NOTICE: .*/modules\.kmodx-cache\.bin: [0-9]+ of [0-9]+ modules unchanged')


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    kmodx, itool = (os.path.realpath(a) for a in sys.argv[1:3])
    shim = os.path.realpath(sys.argv[3]) if len(sys.argv) == 4 else None
    here = os.path.dirname(os.path.realpath(__file__))
    flavour = os.environ.get('KMODX_CRASH_TREE', 'cloud')
    kills = int(os.environ.get('KMODX_CRASH_KILLS', '200'))
    rng = random.Random(int(os.environ.get('KMODX_CRASH_SEED', '1')))

    trees = subprocess.run(['bash', os.path.join(here, 'debian-full-trees.sh')], check=True,
                           capture_output=True, text=True).stdout
    env = dict(re.findall(r"^(\w+)='?([^'\n]*)'?$", trees, re.M))
    src_root, kver = env['ROOT_%s_plain' % flavour], env['KVER_%s' % flavour]

    work = tempfile.mkdtemp(prefix='depmod-crash.')
    try:
        root = os.path.join(work, 'root')
        moddir = os.path.join(root, 'lib/modules', kver)
        # A real copy, not hard links: another test linking the cached tree
        # meanwhile would change the ctime of these files too, and with it
        # every key of the depmod cache (still correct, but not the bytes
        # this test expects).
        subprocess.run(['cp', '-a', src_root, root], check=True)
        for f in os.listdir(moddir):
            if f.startswith('modules.') and f not in ('modules.order', 'modules.builtin', 'modules.builtin.modinfo'):
                os.unlink(os.path.join(moddir, f))
        os.makedirs(os.path.join(work, 'conf-new'))
        os.makedirs(os.path.join(work, 'conf-old'))
        with open(os.path.join(work, 'conf-old', 'old.conf'), 'w') as f:
            f.write('exclude sound net\n')
        depmod = [kmodx, 'depmod', '-b', root]

        def run_depmod(conf):
            r = subprocess.run(depmod + ['-C', os.path.join(work, conf), kver], capture_output=True)
            if r.returncode != 0:
                sys.exit('depmod-crash: depmod failed: %s' % r.stderr.decode(errors='replace'))

        def snapshot():
            return {f: open(os.path.join(moddir, f), 'rb').read() for f in OUTPUTS + [CACHE]}

        # cp -al gave every file a new ctime; files changed less than 2 s
        # before a run are not recorded in the cache.
        time.sleep(2.1)
        run_depmod('conf-old')  # a fresh tree: no cache yet
        run_depmod('conf-old')  # modules.dep is there: the cache is written
        old = snapshot()
        run_depmod('conf-new')
        new = snapshot()
        differing = [f for f in OUTPUTS if old[f] != new[f]]
        if not {'modules.dep', 'modules.alias.bin', 'modules.symbols.bin'} <= set(differing):
            sys.exit('depmod-crash: the old and new databases do not differ enough: %s' % differing)

        if old[CACHE] == new[CACHE]:
            sys.exit('depmod-crash: the new configuration did not change the cache')

        def put_back_old():
            for f in OUTPUTS + [CACHE]:
                with open(os.path.join(moddir, f), 'wb') as out:
                    out.write(old[f])

        plain_env = dict(os.environ)
        slow_env = dict(os.environ, LD_PRELOAD=shim) if shim else plain_env

        def start_depmod(env):
            return subprocess.Popen(depmod + ['-C', os.path.join(work, 'conf-new'), kver],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

        # Calibration: how long a run takes, and when temporaries appear.
        def calibrate(env):
            durations, windows = [], []
            for _ in range(3):
                put_back_old()
                start = time.monotonic()
                p = start_depmod(env)
                first_temp = None
                while p.poll() is None:
                    if first_temp is None and any(TEMPORARY.match(n) for n in os.listdir(moddir)):
                        first_temp = time.monotonic() - start
                    time.sleep(0.0005)
                durations.append(time.monotonic() - start)
                if first_temp is not None:
                    windows.append(first_temp)
            duration = statistics.median(durations)
            return duration, (min(windows) if windows else duration * 0.7)
        duration, write_start = calibrate(plain_env)
        print('depmod-crash: %s tree, a run takes %.3f s, writing starts at about %.3f s'
              % (flavour, duration, write_start))

        counts = {'before': 0, 'during': 0, 'after': 0}
        failures = 0
        for i in range(kills):
            put_back_old()
            if i % 2 == 0:
                delay = rng.uniform(0, duration * 1.05)
                p = start_depmod(plain_env)
                time.sleep(delay)
            else:
                delay = rng.uniform(0, 0.040)
                p = start_depmod(slow_env)
                while p.poll() is None and not any(TEMPORARY.match(n) for n in os.listdir(moddir)):
                    time.sleep(0.0002)
                time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()

            problems = []
            state = []
            for f in OUTPUTS + [CACHE]:
                data = open(os.path.join(moddir, f), 'rb').read()
                if data == new[f] and data != old[f]:
                    state.append('new')
                elif data == old[f] and data != new[f]:
                    state.append('old')
                elif data != old[f]:
                    problems.append('%s is neither the old nor the new version (%d bytes)' % (f, len(data)))
                if f.endswith('.bin') and f != CACHE:
                    v = subprocess.run([itool, 'verify', os.path.join(moddir, f)], capture_output=True)
                    if v.returncode != 0:
                        problems.append('%s does not verify: %s' % (f, v.stderr.decode(errors='replace').strip()))
            temps = [n for n in os.listdir(moddir) if TEMPORARY.match(n)]
            if temps or ('old' in state and 'new' in state):
                counts['during'] += 1
            elif 'new' in state:
                counts['after'] += 1
            else:
                counts['before'] += 1

            r = subprocess.run(depmod + ['-v', '-C', os.path.join(work, 'conf-new'), kver], capture_output=True)
            if r.returncode != 0:
                problems.append('the next run failed: %s' % r.stderr.decode(errors='replace'))
            if not CACHE_USED.search(r.stderr):
                problems.append('the next run did not use the cache: %s'
                                % [line for line in r.stderr.decode(errors='replace').splitlines() if CACHE in line])
            left = [n for n in os.listdir(moddir) if TEMPORARY.match(n)]
            if left:
                problems.append('temporaries left after the next run: %s' % left)
            if snapshot() != new:
                problems.append('the next run did not give the new database')
            if problems:
                failures += 1
                print('FAIL kill %d after %.4f s: %s' % (i, delay, '; '.join(problems)))

        print('depmod-crash: %d kills: %d before writing, %d while writing, %d after; %d failed'
              % (kills, counts['before'], counts['during'], counts['after'], failures))
        if counts['during'] == 0:
            print('FAIL no kill landed while depmod was writing its files')
            failures += 1
        sys.exit(1 if failures else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
