#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kmodx's output beyond kmod: --json, --graph and depmod's progress line.

usage: machine-output.py KMODX

JSON (schema in the README, "Machine-readable output") is parsed with
Python's json module, its keys checked exactly, and its content compared
with the text output of the same tool, which the differential tests compare
with kmod 30:
  modinfo --json            every fixture module: each field's values equal
                            `modinfo -F <key>`; a broken file gives "error"
  lsmod --json              the sim backend with modules loaded: equal to lsmod
  modprobe -D --json        each action rendered as kmod prints it equals -D
  modprobe -n -r --json     equal to -n -r -v (sim backend)
DOT: `depmod --graph` and `modprobe -D --graph` are accepted by `dot -Tsvg`,
have one node per module and exactly the edges modules.dep implies.
Progress: a full depmod over Debian's cloud tree (1,121 modules) run on a
terminal (script(1)) shows "depmod: reading modules N/M" and erases it; with
-n, on a tree under 1,000 modules, or off a terminal it never shows.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

fails = 0
passes = 0


def check(ok, what, detail=''):
    global fails, passes
    if ok:
        passes += 1
    else:
        fails += 1
        print('FAIL %s%s' % (what, (': ' + detail) if detail else ''))


def run(args, env=None, check_exit=None):
    r = subprocess.run(args, capture_output=True, env=env)
    if check_exit is not None and r.returncode != check_exit:
        check(False, ' '.join(args), 'exit %d: %s' % (r.returncode, r.stderr.decode(errors='replace')[:300]))
    return r


def keys_exactly(obj, keys, what):
    check(set(obj) == set(keys), what + ' keys', 'got %s, want %s' % (sorted(obj), sorted(keys)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    kmodx = os.path.realpath(sys.argv[1])
    here = os.path.dirname(os.path.realpath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    work = tempfile.mkdtemp(prefix='machine-output.')
    fx = os.path.join(work, 'fx')
    kver = subprocess.run(['bash', os.path.join(repo, 'tests/fixtures/build-fixtures.sh'), fx], check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]
    moddir = os.path.join(fx, 'lib/modules', kver)
    tool = lambda name, *a: [kmodx, name] + list(a)

    # ---- modinfo --json
    modules = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(moddir) for f in fs if f.endswith('.ko'))
    r = run(tool('modinfo', '--json', *modules), check_exit=0)
    doc = json.loads(r.stdout)
    keys_exactly(doc, ['kmodx_json', 'tool', 'modules'], 'modinfo document')
    check(doc['kmodx_json'] == 1 and doc['tool'] == 'modinfo', 'modinfo header')
    check(len(doc['modules']) == len(modules), 'modinfo: one entry per module')
    for path, m in zip(modules, doc['modules']):
        keys_exactly(m, ['name', 'filename', 'builtin', 'fields'], 'modinfo module')
        check(m['filename'] == path and m['builtin'] is False, 'modinfo filename ' + path)
        by_key = {}
        for f in m['fields']:
            keys_exactly(f, ['key', 'value'], 'modinfo field')
            by_key.setdefault(f['key'], []).append(f['value'])
        for key, values in by_key.items():
            text = run(tool('modinfo', '-0', '-F', key, path), check_exit=0).stdout.decode()
            want = text.split('\0')[:-1]
            if key in ('parm', 'parmtype'):
                continue  # -F parm joins parm and parmtype, as kmod does
            check(values == want, 'modinfo --json %s of %s' % (key, os.path.basename(path)),
                  '%r != %r' % (values[:3], want[:3]))
    broken = os.path.join(work, 'broken.ko')
    with open(broken, 'wb') as f:
        f.write(b'\x7fELF' + b'\0' * 60)
    r = run(tool('modinfo', '--json', broken))
    check(r.returncode == 1, 'modinfo --json on a broken file exits 1')
    entry = json.loads(r.stdout)['modules'][0]
    keys_exactly(entry, ['name', 'filename', 'builtin', 'error', 'detail'], 'modinfo error entry')
    check(entry['error'] == 'Invalid argument' and 'broken.ko' in entry['detail'], 'modinfo error text', str(entry))

    # ---- modprobe -D --json and --graph
    P = ['-d', fx, '-S', kver]
    for name in ['kx_top', 'kx_chain_a', 'kx_softdep', 'kx_params']:
        text = run(tool('modprobe', *P, '-D', name), check_exit=0).stdout.decode()
        doc = json.loads(run(tool('modprobe', *P, '-D', '--json', name), check_exit=0).stdout)
        keys_exactly(doc, ['kmodx_json', 'tool', 'mode', 'actions'], 'modprobe document')
        check(doc['mode'] == 'insert', 'modprobe mode')
        lines = []
        for a in doc['actions']:
            want = {'insmod': ['action', 'module', 'path', 'options'], 'builtin': ['action', 'module'],
                    'install': ['action', 'module', 'command', 'options']}[a['action']]
            keys_exactly(a, want, 'modprobe action')
            if a['action'] == 'insmod':
                lines.append('insmod %s %s' % (a['path'], a['options']))
            elif a['action'] == 'install':
                lines.append('install %s %s' % (a['command'], a['options']))
            else:
                lines.append('builtin ' + a['module'])
        check(lines == text.splitlines(), 'modprobe -D --json %s matches -D' % name, '%r != %r' % (lines, text.splitlines()))
        dot = run(tool('modprobe', *P, '-D', '--graph', name), check_exit=0).stdout
        svg = subprocess.run(['dot', '-Tsvg'], input=dot, capture_output=True)
        check(svg.returncode == 0 and b'<svg' in svg.stdout, 'dot accepts modprobe --graph ' + name, svg.stderr.decode()[:200])
        labels = re.findall(rb'\[label=([^\]]+)\]', dot)
        check(len(labels) == len([a for a in doc['actions'] if a['action'] == 'insmod']),
              'modprobe --graph %s: one node per insmod' % name)
    run(tool('modprobe', *P, '--json', 'kx_top'), check_exit=1)
    run(tool('modprobe', *P, '--graph', 'kx_top'), check_exit=1)

    # ---- lsmod --json and modprobe -n -r --json on the sim backend
    env = dict(os.environ, KMODX_BACKEND='sim:' + os.path.join(work, 'state'))
    run(tool('modprobe', *P, 'kx_top'), env=env, check_exit=0)
    run(tool('modprobe', *P, 'kx_chain_a'), env=env, check_exit=0)
    text = run(tool('lsmod'), env=env, check_exit=0).stdout.decode().splitlines()[1:]
    doc = json.loads(run(tool('lsmod', '--json'), env=env, check_exit=0).stdout)
    keys_exactly(doc, ['kmodx_json', 'tool', 'modules'], 'lsmod document')
    rows = []
    for m in doc['modules']:
        keys_exactly(m, ['name', 'size', 'refcount', 'holders'], 'lsmod module')
        rows.append(('%-19s %8d  %d' % (m['name'], m['size'], m['refcount'])) +
                    ((' ' + ','.join(m['holders'])) if m['holders'] else ''))
    check(rows == text and len(rows) == 7, 'lsmod --json matches lsmod', '%r != %r' % (rows, text))
    text = run(tool('modprobe', *P, '-n', '-r', '-v', 'kx_top'), env=env, check_exit=0).stdout.decode()
    doc = json.loads(run(tool('modprobe', *P, '-n', '-r', '--json', 'kx_top'), env=env, check_exit=0).stdout)
    check(doc['mode'] == 'remove', 'modprobe -r mode')
    lines = ['rmmod ' + a['module'] for a in doc['actions'] if a['action'] == 'rmmod']
    check(lines == text.splitlines() and len(lines) == 4, 'modprobe -n -r --json matches -n -r -v',
          '%r != %r' % (lines, text.splitlines()))

    # ---- depmod --graph
    dot = run(tool('depmod', '-b', fx, '--graph', kver), check_exit=0).stdout
    svg = subprocess.run(['dot', '-Tsvg'], input=dot, capture_output=True)
    check(svg.returncode == 0 and b'<svg' in svg.stdout, 'dot accepts depmod --graph', svg.stderr.decode()[:200])
    names = {int(i): n.decode().strip('"') for i, n in re.findall(rb'^(\d+)\[label=([^\]]+)\];', dot, re.M)}
    edges = {(names[int(a)], names[int(b)]) for a, b in re.findall(rb'^(\d+)->(\d+)', dot, re.M)}
    deps = {}
    for line in open(os.path.join(moddir, 'modules.dep')):
        path, _, rest = line.partition(':')
        name = lambda p: os.path.basename(p).split('.ko')[0].replace('-', '_')
        deps[name(path)] = {name(d) for d in rest.split()}
    check(set(names.values()) == set(deps), 'depmod --graph: a node per module of modules.dep')
    closure = {}
    for (a, b) in edges:
        closure.setdefault(a, set()).add(b)

    def reach(m, seen):
        for d in closure.get(m, ()):
            if d not in seen:
                seen.add(d)
                reach(d, seen)
        return seen
    check(all(reach(m, set()) == deps[m] for m in deps), 'depmod --graph: the edges give modules.dep')

    # ---- progress line
    trees = subprocess.run(['bash', os.path.join(here, 'debian-full-trees.sh')], check=True,
                           capture_output=True, text=True).stdout
    env_trees = dict(re.findall(r"^(\w+)='?([^'\n]*)'?$", trees, re.M))
    cloud, cloud_kver = env_trees['ROOT_cloud_plain'], env_trees['KVER_cloud']
    out = os.path.join(work, 'cloud-out')

    def on_terminal(*args):
        cmd = ' '.join("'%s'" % a for a in tool('depmod', *args))
        return subprocess.run(['script', '-qfec', cmd, '/dev/null'], capture_output=True).stdout
    tty = on_terminal('-b', cloud, '-o', out, cloud_kver)
    check(re.search(rb'\rdepmod: reading modules \d+/1\d\d\d', tty) is not None and tty.endswith(b'\r\x1b[K'),
          'depmod on a terminal shows progress and erases it', repr(tty[-120:]))
    check(b'reading modules' not in on_terminal('-n', '-b', cloud, cloud_kver), 'no progress with -n')
    check(b'reading modules' not in on_terminal('-b', fx, '-o', out, kver), 'no progress under 1,000 modules')
    r = run(tool('depmod', '-b', cloud, '-o', out, cloud_kver), check_exit=0)
    check(b'reading modules' not in r.stderr, 'no progress off a terminal')

    print('machine-output: %d passed, %d failed' % (passes, fails))
    subprocess.run(['rm', '-rf', work])
    sys.exit(1 if fails else 0)


main()
