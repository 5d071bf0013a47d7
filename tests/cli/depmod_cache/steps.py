# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test: the step loop of parts 1 and 2. randomized() makes the
# two setup runs on a fresh tree, then one random edit and one run pair per
# step, and judges the part (no mismatch, enough cache hits, the ctime-only
# case exercised); report_failure prints the seed, the step, every edit so far
# and the problems.
import os
import time

from .common import CACHE


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
