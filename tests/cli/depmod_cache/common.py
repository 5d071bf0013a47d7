# SPDX-License-Identifier: LGPL-2.1-or-later
# depmod-cache test: constants shared by every part (depmod's output and input
# file names, the cache's name, the patterns of its NOTICE lines, the 2 s racy
# window) and small helpers for reading, writing and removing files.
import hashlib
import os
import re
import shutil
import sys

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
