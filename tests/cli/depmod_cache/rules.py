# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test, part 4: the rules of when the cache is read and written
# (a fresh tree's first run writes none, an unchanged run leaves it as it
# was, -n writes nothing, --no-cache neither reads nor writes it, -o OUT puts
# it in OUT, a cache alone is enough to write the next one), each check
# printed as ok or FAILED.
import os

from .cachefile import read_cache
from .common import CACHE, INPUTS, read_bytes
from .runner import Run, output_files


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
