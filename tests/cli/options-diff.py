#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Command-line parsing of modprobe, modinfo, depmod, rmmod and insmod against
Debian's kmod 30 (glibc's getopt_long over kmod 30's tables), byte for byte.

Each tool runs as plain `T` first on PATH (a symlink to kmod's binary or to
KMODX: getopt's messages name argv[0]), in the same directory, LC_ALL=C,
stdin /dev/null; stdout, stderr and exit status must be equal. ~1,450 lines
(modprobe 450, modinfo 350, depmod 350, rmmod and insmod 150) from a seeded
RNG (OPTIONS_DIFF_SEED, default 30), on a thread pool, built from kmod 30's
cmdopts_s/cmdopts, valid and invalid: each short option alone, its value
attached, in the next word or missing at the end; clusters (-nv, -nS6.1);
each long name in full, =V and " V", --flag=V; abbreviations, unique or all
meaning one option (--ignore, --remove-, --dump), ambiguous ones (--s, --re:
"possibilities: ..."); dash values (modinfo -F -k vfat, depmod -b -n 9.9);
-h=1, -V=1, bad letters (-Dx), unknown names, -, -- and option-like words
after it, options after operands, repeats; POSIXLY_CORRECT=1 and modprobe's
MODPROBE_OPTIONS in some. modprobe/modinfo get the fixture tree (build-
fixtures.sh) through -d/-S and -b/-k in most lines; depmod an empty
lib/modules/9.9 under "root" and "-n" in a fresh directory per run, whose
files must be equal too. Never generated: kmodx's own options or a prefix of
one (modprobe --backend --json --graph --parallel, modinfo --json, depmod -j
-m -o --graph and kmod 30's -m/--map, rmmod/insmod --backend); for insmod
anything outside both kmod 30's table (psfVh, --version, --help) and kmod
master's, which kmodx follows (fsvVh, -p ignored, --force*, --syslog, --verbose).

Safety: nothing may load or unload a module. The script re-executes itself
under `unshare -U -r -m` and checks that it is in a new user namespace (the
kernel wants module privilege in the initial one, which no process in
another has, so no module system call can succeed), mounts a tmpfs over /lib/modules and /dev/null over
/dev/console and /dev/log (syslog's LOG_CONS); without that it fails. kmodx
gets KMODX_BACKEND=sim:<scratch>. Each line is read beforehand by glibc's
getopt_long itself (ctypes; kmod 30's table; MODPROBE_OPTIONS split as kmod
does) and dropped unless harmless: modprobe must reach -n, -D or -c (or stop
at -h, -V or an error); rmmod: no -f with a module name, no loaded module;
insmod: missing files only.

Deliberate differences (README, Compatibility): where kmod's stdout is its
own --help (--version) text, kmodx's must be its own (each taken once per
tool and side). depmod -n: kmodx's extra "# Weak dependencies ..." line is
removed and modules.weakdep not compared (with an empty tree all else
agrees), and so are kmodx's -v lines about its cache and the cache file. libkmod's INFO/DEBUG lines ("../libkmod/...", pointers; -vv) are
removed from both stderrs; the sim backend's holders message "X: not loaded
in the simulated kernel" reads as kmod's "could not open
'/sys/module/X/holders'". Dropped after getopt's reading: modprobe with a
path argument (kmodx loads the file) except for --show-modversions and
--show-exports, which get a path (kx_base.ko: exports and __versions);
insmod -s (master's --syslog, ignored by kmod 30) in a line that runs.
Avoided inputs: /dev/null (kmodx refuses non-regular text files; an empty
file instead), modinfo of kx_info (kmod 30 pads keys over 15 characters),
-P '' (kmod 30 reads the byte after the empty string).

Self-check: a few lines of kmod against itself must pass, and kmod's
modprobe against kmod's modinfo must be told apart.

Usage: options-diff.py KMODX_BINARY
"""
import concurrent.futures
import ctypes
import difflib
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

MARK = "KMODX_OPTIONS_DIFF_IN_NAMESPACE"
WEAKDEP = b"# Weak dependencies extracted from modules themselves.\n"
LIBKMOD_LOG = re.compile(rb"^[a-z]+: (?:INFO|DEBUG): \.\./libkmod/[^\n]*\n", re.M)
SIM_HOLDERS = re.compile(rb"kmod_module_get_holders\(\) ([^\s:]+): not loaded in the simulated kernel")
# kmodx depmod -v says whether it used its cache (modules.kmodx-cache.bin).
CACHE_NOTICE = re.compile(rb"^depmod: NOTICE: [^\n]*/modules\.kmodx-cache\.bin: [^\n]*\n", re.M)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# kmod 30's tables: optstring, then name[=]/value (#n: a number, else a letter).
TABLES = {
    "modprobe": ("arw:RibfDcnC:d:S:sqvVh",
                 "all/a remove/r remove-dependencies/#5 remove-holders/#5 wait=/w resolve-alias/R first-time/#3 "
                 "ignore-install/i ignore-remove/i use-blacklist/b force/f force-modversion/#2 force-vermagic/#1 "
                 "show-depends/D showconfig/c show-config/c show-modversions/#4 dump-modversions/#4 show-exports/#6 "
                 "dry-run/n show/n config=/C dirname=/d set-version=/S syslog/s quiet/q verbose/v version/V help/h"),
    "modinfo": ("adlpn0mF:k:b:Vh", "author/a description/d license/l parameters/p filename/n null/0 modname/m "
                "field=/F set-version=/k basedir=/b version/V help/h"),
    "depmod": ("aAb:C:E:F:euqrvnP:wmVh", "all/a quick/A basedir=/b config=/C symvers=/E filesyms=/F errsyms/e "
               "unresolved-error/u quiet/q root/r verbose/v show/n dry-run/n symbol-prefix=/P warn/w map/m "
               "version/V help/h"),
    "rmmod": ("fsvVwh", "force/f syslog/s verbose/v version/V help/h"),
    "insmod": ("psfVh", "version/V help/h"),
}
# kmodx's long names that kmod 30 lacks or means otherwise: never generated, nor any prefix of them.
AVOID_LONG = {"modprobe": "backend json graph parallel", "modinfo": "json", "depmod": "jobs moduledir outdir graph map",
              "rmmod": "backend", "insmod": "backend force force-modversion force-vermagic syslog verbose"}
AVOID_SHORT = {"depmod": "jmo", "insmod": "v"}
COUNTS = {"modprobe": 450, "modinfo": 350, "depmod": 350, "rmmod": 150, "insmod": 150}
UNKNOWN_LONG = ["bogus", "x", "zz", "nope", "help-me", "dry_run", "no-such-option", "verbose2", "qq", "allx"]
KINDS = ["short", "cluster", "long", "abbrev", "ambiguous", "noarg-eq", "missing-arg", "dash-value", "eq-letter",
         "bad-letter", "unknown-long", "lone-dash", "double-dash", "repeat", "posix", "env", "help", "version"]


class Getopt:
    """glibc's getopt_long itself, through ctypes: how kmod 30 reads a line."""

    class Option(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char_p), ("has_arg", ctypes.c_int), ("flag", ctypes.c_void_p),
                    ("val", ctypes.c_int)]

    def __init__(self):
        self.libc = ctypes.CDLL(None)
        self.optind = ctypes.c_int.in_dll(self.libc, "optind")
        self.opterr = ctypes.c_int.in_dll(self.libc, "opterr")
        self.libc.getopt_long.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_char_p,
                                          ctypes.POINTER(self.Option), ctypes.c_void_p]

    def parse(self, tool, args, env):
        """The values getopt_long returns, in order, and the operands left (single-threaded: optind, environ)."""
        words = (modprobe_env_words(env["MODPROBE_OPTIONS"]) if "MODPROBE_OPTIONS" in env else []) + args
        opts = (self.Option * (len(tool.longs) + 1))(*[self.Option(n.encode(), a, None, v) for n, a, v in tool.longs])
        raw = [b"prog"] + [w.encode() for w in words]
        argv = (ctypes.c_char_p * (len(raw) + 1))(*raw, None)
        if "POSIXLY_CORRECT" in env:
            os.environ["POSIXLY_CORRECT"] = "1"
        self.optind.value, self.opterr.value, vals = 0, 0, []
        try:
            while (c := self.libc.getopt_long(len(raw), argv, tool.short.encode(), opts, None)) != -1:
                vals.append(c)
        finally:
            os.environ.pop("POSIXLY_CORRECT", None)
        return vals, [argv[i].decode() for i in range(self.optind.value, len(raw))]


def modprobe_env_words(b):
    """MODPROBE_OPTIONS split into words as kmod 30's prepend_options_from_env does (quotes included)."""
    out, st, q, s = [], 0, None, 0
    while s < len(b):
        if q is None and b[s] == " ":
            out.append(b[st:s])
            st = s + 1
        elif q is None and b[s] in "\"'":
            q = s
        elif q is not None and b[s] == b[q]:
            if q == st:
                out.append(b[st + 1:s])
                st = s + 1
            else:
                b, s = b[:q] + b[q + 1:s] + b[s + 1:], s - 2
            q = None
        s += 1
    return out + ([b[st:]] if st < len(b) else [])


class Tool:
    def __init__(self, name, values, base, operands):
        self.name, self.values, self.base, self.operands = name, values, base, operands
        self.short, table = TABLES[name]
        self.longs = [(n.rstrip("="), int(n.endswith("=")), int(v[1:]) if v.startswith("#") else ord(v))
                      for n, v in (t.split("/") for t in table.split())]
        avoid = AVOID_LONG[name].split()
        self.letters = {c: self.short[i + 1:i + 2] == ":" for i, c in enumerate(self.short)
                        if c != ":" and c not in AVOID_SHORT.get(name, "")}
        self.witharg = [c for c, a in self.letters.items() if a]
        self.plain = [c for c, a in self.letters.items() if not a and c not in "hV"]
        self.bad = [c for c in "xyzQ9:=" if c not in self.short + AVOID_SHORT.get(name, "")]
        self.unknown = [u for u in UNKNOWN_LONG if not any(n.startswith(u) for n in [e[0] for e in self.longs] + avoid)]
        # Every prefix of every name that no kmodx name starts with: full names and abbreviations whose
        # matches all mean the same option as (prefix, entry), ambiguous ones as (prefix, None).
        self.prefixes, seen = {"full": [], "abbrev": [], "ambiguous": []}, set()
        for n, _, _ in self.longs:
            for p in (n[:k] for k in range(1, len(n) + 1)):
                if p in seen or any(a.startswith(p) for a in avoid):
                    continue
                seen.add(p)
                m = [e for e in self.longs if e[0].startswith(p)]
                exact = [e for e in m if e[0] == p]
                kind = "full" if exact else "abbrev" if len({e[1:] for e in m}) == 1 else "ambiguous"
                self.prefixes[kind].append((p, None if kind == "ambiguous" else (exact or m)[0]))

    def with_value(self, rng, word, value, attach="="):
        """word and value, attached (by attach) or in the next word."""
        return [word + attach + value] if value and rng.random() < .5 else [word, value]

    def spell(self, rng, c, value=None, val=None):
        """One spelling of option c (a letter, or val for a long-only option) with its value, as words."""
        val = ord(c) if val is None else val
        names = [p for p, e in self.prefixes["full"] + self.prefixes["abbrev"] if e[2] == val]
        if c in self.letters and (not names or rng.random() < .5):
            return self.with_value(rng, "-" + c, value, "") if self.letters[c] else ["-" + c]
        p = rng.choice([p for p, e in self.prefixes["full"] if e[2] == val] if rng.random() < .5 else names)
        return ["--" + p] if value is None else self.with_value(rng, "--" + p, value)

    def long_words(self, rng, p, e):
        return self.with_value(rng, "--" + p, rng.choice(self.values[chr(e[2])])) if e[1] else ["--" + p]

    def flags(self, rng, k):
        return "".join(rng.choice(self.plain) for _ in range(k))

    def feature(self, rng, kind):
        """(parts, tail): the option words of one feature, and words for the end of the line."""
        P, letters = self.prefixes, list(self.letters)
        if kind in ("short", "repeat"):
            c = rng.choice(letters)
            return [self.spell(rng, c, rng.choice(self.values[c]) if self.letters[c] else None)
                    for _ in range(2 if kind == "repeat" else 1)], []
        if kind == "cluster":
            w = "-" + self.flags(rng, rng.randint(2, 4))
            if self.witharg and rng.random() < .5:
                c = rng.choice(self.witharg)
                return [self.with_value(rng, w + c, rng.choice(self.values[c]), "")], []
            return [[w]], []
        if kind in ("long", "abbrev"):
            return [self.long_words(rng, *rng.choice(P["full"] if kind == "long" else P["abbrev"] or P["full"]))], []
        if kind == "ambiguous" and P["ambiguous"]:
            return [["--" + rng.choice(P["ambiguous"])[0] + rng.choice(["", "", "=1"])]], []
        if kind == "noarg-eq":
            p = rng.choice([p for p, e in P["full"] + P["abbrev"] if not e[1]])
            return [["--" + p + "=" + rng.choice(["1", "", "x=y"])]], []
        if kind == "missing-arg" and self.witharg:
            c = rng.choice(self.witharg)
            longs = [p for p, e in P["full"] + P["abbrev"] if e[2] == ord(c)]
            return [], rng.choice([["-" + c], ["-" + self.flags(rng, 1) + c], ["--" + rng.choice(longs)]])
        if kind == "dash-value" and self.witharg:
            v = rng.choice(["-" + rng.choice(letters), "--help", "-", "--", "-x", "--" + P["full"][0][0]])
            return [self.spell(rng, rng.choice(self.witharg), v)], []
        if kind == "eq-letter":
            return [["-" + rng.choice(["h", "V", rng.choice(letters)]) + "=1"]], []
        if kind == "bad-letter":
            return [[rng.choice(["-", "-" + self.flags(rng, rng.randint(1, 2))]) + rng.choice(self.bad)
                     + rng.choice(["", self.flags(rng, 1), "-"])]], []
        if kind == "unknown-long":
            return [["--" + rng.choice(self.unknown) + rng.choice(["", "=1"])]], []
        if kind == "lone-dash":
            return [["-"]], []
        if kind == "double-dash" or kind in ("missing-arg", "dash-value"):
            return [], ["--"] + rng.sample(["-" + rng.choice(self.plain), "--help", "-x", "--" + P["full"][0][0],
                                            "-", "--", rng.choice(self.operands)], rng.randint(0, 3))
        if kind in ("help", "version"):
            return [self.spell(rng, kind[0] if kind == "help" else "V")], []
        return self.feature(rng, rng.choice(["short", "cluster", "long", "abbrev"]))

    def line(self, rng, kind, seed=None):
        parts, tail = seed or self.feature(rng, kind)
        parts = parts + [self.feature(rng, rng.choice(["short", "cluster", "long", "abbrev"]))[0][0]
                         for _ in range(rng.choice([0, 0, 1, 1, 2]))]
        parts += [self.spell(rng, c, v) for c, v in self.base.items() if rng.random() < .85]
        posix = kind == "posix" or rng.random() < .08
        rng.shuffle(parts)
        if self.name == "modprobe":  # -n, -D or -c: the line loads nothing
            c = rng.choice("nnnnDDDDc")
            parts.insert(0 if posix else rng.randrange(len(parts) + 1),
                         rng.choice([self.spell(rng, c), ["-" + self.flags(rng, rng.randint(0, 2)) + c]]))
        if self.name == "insmod":
            ops = [rng.choice(self.operands[:4])] + rng.sample(self.operands[4:], rng.randint(0, 2))
            ops = ops if rng.random() < .85 else []
        elif self.name == "depmod":
            ops = ["9.9"] if rng.random() < .85 else rng.choice([[], ["6.6.6"], ["9.9", "x.ko"], ["-"]])
        else:
            ops = rng.sample(self.operands, rng.choice([0, 1, 1, 1, 1, 2, 3]))
        if rng.random() < .6 or posix:
            parts.append(ops)
        else:  # options after operands: getopt permutes
            for i, o in zip(sorted(rng.sample(range(len(parts) + len(ops)), len(ops))), ops):
                parts.insert(i, [o])
        env = {"POSIXLY_CORRECT": "1"} if posix else {}
        if self.name == "modprobe" and (kind == "env" or rng.random() < .05):
            env["MODPROBE_OPTIONS"] = rng.choice(self.values["env"])
        return [w for p in parts for w in p] + tail, env

    def seeds(self, rng):
        """(parts, tail) for every letter and full name, the ambiguous and shared abbreviations, some unique ones."""
        out = []
        for c, arg in self.letters.items():
            v = rng.choice(self.values[c]) or "x" if arg else ""
            out += [([["-" + c + v]], []), ([["-" + c + "=1"]], [])] + ([([["-" + c, v]], []), ([], ["-" + c])] if arg else [])
        P = self.prefixes
        shared = [x for x in P["abbrev"] if sum(e[0].startswith(x[0]) for e in self.longs) > 1]
        unique = [x for x in P["abbrev"] if x not in shared]
        for p, e in P["full"] + shared + rng.sample(unique, min(len(unique), 2 * len(P["full"]))):
            out += [([self.long_words(rng, p, e)], []), ([], ["--" + p]) if e[1] else ([["--" + p + "=1"]], [])]
        return out + [([["--" + p]], []) for p, _ in P["ambiguous"]] + [([["--" + u]], []) for u in self.unknown]


def make_tools(root, kver, empty):
    cfg = os.path.join(REPO, "tests/fixtures/modprobe.d/basic")
    ko, base_ko = (f"{root}/lib/modules/{kver}/kernel/drivers/kmodx/{m}.ko" for m in ("kx_params", "diamond/kx_base"))
    return {
        "modprobe": Tool("modprobe", {
            "w": ["0", "100", "abc", "", "0x10", "5s"], "C": [empty, "/nonexistent.conf", cfg, "-n"],
            "d": ["fx", "fx", root, "/nonexistent", "-n", ""], "S": [kver, kver, "9.9", "-n", "-d"],
            "env": ["-v", "-q -v", f"-d fx -S {kver}", "-n", "--show-depends", "-C " + empty, "-x", "--bogus",
                    "-C", "'-n'", '"-d" fx', "-vn", f"--dirname={root}", " -v", "-S", "kx_info"]},
            {"d": "fx", "S": kver}, ["kx_info", "kx_chain_a", "kx_top", "kx_softdep", "kx_params", "kx-shared",
                                     "kx-pci-alias", "platform:kx-platform", "kx_nope", "foo=1", "vfat", base_ko]),
        "modinfo": Tool("modinfo", {
            "F": ["description", "license", "alias", "depends", "-k", "", "parm", "vermagic"],
            "k": [kver, kver, "9.9", "-a", "-F"], "b": [root, root, "fx", "/nonexistent", "-F"]},
            {"b": root, "k": kver}, ["kx_params", "kx_chain_a", "kx-shared", "kx_nope", ko, "-", "vfat"]),
        "depmod": Tool("depmod", {
            "b": ["root", "root", "./root", "-n", "/nonexistent", ""], "C": [empty, "/nonexistent.conf", "-a"],
            "E": [empty, "/nonexistent.symvers"], "F": [empty, "/nonexistent.map", "-e"], "P": ["_", "ab", "-a"]},
            {"b": "root"}, ["9.9"]),
        "rmmod": Tool("rmmod", {}, {}, ["kx_nope", "kx_nope2", "kx_info", "-", "kx-nope"]),
        "insmod": Tool("insmod", {}, {}, ["/nonexistent/x.ko", "nope.ko", "-", "/nonexistent/y.ko.xz", "a=1", "b=x y"]),
    }


def hand_cases(root, kver):
    d, ko, P = ["-d", root, "-S", kver], f"{root}/lib/modules/{kver}/kernel/drivers/kmodx/diamond/kx_base.ko", {}
    return [("modprobe", a, e) for a, e in [
        (["-D", "-S", "-d", "fx", "vfat"], P), (["--show-e", "-n", *d, ko], P), (["--ignore", "-n", *d, "kx_chain_c"], P),
        (["--remove-", "-n", *d, "kx_info"], P), (["--dump", "-n", *d, ko], P), (["--show-m", "-n", *d, ko], P),
        (["-n", "--s"], P), (["-n", "--re"], P), (["-n", "--ver"], P), (["-n", "--show-"], P),
        (["-nS" + kver, "-d", root, "kx_info"], P), (["-nS", kver, "-d", root, "kx_top"], P), (["-Dx", "kx_info"], P),
        (["-qDv", *d, "kx_top"], P), (["-n", "-"], P), (["-n", "--", "-d", "fx"], P), (["-n", "-h=1"], P),
        (["-n", "-V=1"], P), (["-n", "kx_info"], {"MODPROBE_OPTIONS": f"-d {root} -S {kver}"}),
        (["-n", "kx_info", "-d", "fx"], {"POSIXLY_CORRECT": "1"}), (["-D", *d, "kx_info", "-x"], {"POSIXLY_CORRECT": "1"})]] + [
        ("modinfo", ["-F", "-k", "vfat"], P), ("modinfo", ["-b", root, "-k", kver, "-F", "-k", "kx_params"], P),
        ("modinfo", ["-0Fdescription", "-b", root, "-k", kver, "kx_params"], P), ("modinfo", ["--field"], P),
        ("depmod", ["-b", "-n", "9.9"], P), ("depmod", ["-nb", "root", "9.9"], P), ("depmod", ["-nbroot", "9.9"], P),
        ("depmod", ["-b"], P), ("depmod", ["--basedir"], P), ("depmod", ["-b", "root", "9.9", "-n"], P),
        ("rmmod", ["-w"], P), ("rmmod", ["-f"], P), ("rmmod", ["--f"], P), ("rmmod", ["kx_nope", "-v"], P),
        ("insmod", ["-p", "nope.ko"], P), ("insmod", ["-sx", "nope.ko"], P), ("insmod", ["--he"], P),
        ("insmod", ["--vers"], P), ("insmod", ["-f", "/nonexistent/x.ko", "a=1"], P), ("insmod", [], P)]


def verdict(tool, oracle, args, env, work):
    """By getopt_long's reading: "unsafe" unless kmod 30 leaves the kernel alone, "differs" where kmodx
    differs on purpose after parsing, else "ok"."""
    vals, ops = oracle.parse(tool, args, env)
    if any(v in (ord("?"), ord("h"), ord("V")) for v in vals):
        return "ok"
    if tool.name == "modprobe":
        if not any(v in (ord("n"), ord("D"), ord("c")) for v in vals):
            return "unsafe"
        if ord("c") in vals:
            return "ok"
        if 4 in vals or 6 in vals:  # --show-modversions, --show-exports: kmod 30 takes a path only
            return "ok" if ops and "/" in ops[0] else "differs"
        return "differs" if any("/" in o for o in ops) else "ok"  # a path is a file to kmodx
    if tool.name == "rmmod" and (ord("w") not in vals) and (ops and ord("f") in vals or any(
            o and (os.path.exists("/sys/module/" + o) or os.path.exists(os.path.join(work, o))) for o in ops)):
        return "unsafe"
    if tool.name == "insmod" and ops and ops[0] != "-" and os.path.exists(os.path.join(work, ops[0])):
        return "unsafe"
    return "differs" if tool.name == "insmod" and ord("s") in vals else "ok"  # -s: master's --syslog


class Runner:
    def __init__(self, kmodx, work):
        self.work, self.bins = work, {}
        for side, target in (("kmod", None), ("kmodx", kmodx)):
            self.bins[side] = os.path.join(work, "bin-" + side)
            os.mkdir(self.bins[side])
            for t in TABLES:
                os.symlink(target or os.path.realpath("/sbin/" + t), os.path.join(self.bins[side], t))
        self.env = {k: v for k, v in os.environ.items()
                    if k not in (MARK, "POSIXLY_CORRECT", "MODPROBE_OPTIONS") and not k.startswith(("KMODX_", "LC_"))}
        self.env["LC_ALL"] = "C"

    def run(self, side, tool, args, env, cid):
        """[rc, stdout, stderr, files]; depmod runs in a fresh case directory whose files come back."""
        cwd = os.path.join(self.work, "d", cid) if tool == "depmod" else self.work
        if tool == "depmod":
            for r in ("root", "-n"):
                os.makedirs(os.path.join(cwd, r, "lib/modules/9.9"))
        e = dict(self.env, PATH=self.bins[side] + ":" + self.env.get("PATH", "/usr/bin:/bin"),
                 KMODX_BACKEND="sim:" + os.path.join(self.work, "sim", cid), **env)
        try:
            p = subprocess.run([tool, *args], env=e, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            res = [p.returncode, p.stdout, p.stderr, {}]
        except subprocess.TimeoutExpired:
            res = ["timeout", b"", b"", {}]
        if tool == "depmod":
            for d, _, files in os.walk(cwd):
                for f in (os.path.join(d, f) for f in files if f not in ("modules.weakdep", "modules.kmodx-cache.bin")):
                    with open(f, "rb") as fh:
                        res[3][os.path.relpath(f, cwd)] = fh.read()
            shutil.rmtree(cwd)
        return res


def diff(name, a, b):
    lines = list(difflib.unified_diff(a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines(),
                                      n=0, lineterm=""))[2:]
    return [f"  {name} {x}" for x in lines[:8]] + ([f"  {name} ..."] if len(lines) > 8 else [])


def compare(runner, canon, tool, args, env, cid, a_side=("kmod", None), b_side=("kmodx", None)):
    """None when both sides agree, else lines that tell how they differ."""
    a = runner.run(a_side[0], a_side[1] or tool, args, env, cid)
    b = runner.run(b_side[0], b_side[1] or tool, args, env, cid)
    for what in ("help", "version"):
        if canon and a[1] == canon[a_side[0], tool, what] and b[1] == canon[b_side[0], tool, what]:
            b[1] = a[1]
    if tool == "depmod" and WEAKDEP not in a[1]:
        b[1] = b[1].replace(WEAKDEP, b"", 1)
    a[2], b[2] = LIBKMOD_LOG.sub(b"", a[2]), LIBKMOD_LOG.sub(b"", b[2])
    if tool == "depmod":
        b[2] = CACHE_NOTICE.sub(b"", b[2])
    b[2] = SIM_HOLDERS.sub(rb"kmod_module_get_holders() could not open '/sys/module/\1/holders': "
                           rb"No such file or directory", b[2])
    if a == b:
        return None
    out = [] if a[0] == b[0] else [f"  exit: kmod {a[0]}, kmodx {b[0]}"]
    out += diff("stdout", a[1], b[1]) + diff("stderr", a[2], b[2])
    return out + [f"  file {f}: " + ("differs" if f in a[3] and f in b[3] else "kmod only" if f in a[3] else "kmodx only")
                  for f in sorted(set(a[3]) | set(b[3])) if a[3].get(f) != b[3].get(f)]


def show(tool, args, env):
    return " ".join([f"{k}={shlex.quote(v)}" for k, v in env.items()] + [tool, shlex.join(args)]).rstrip()


def setup_namespace():
    """Sets up the private mounts; an error text unless in a new user and mount namespace.

    Nothing here asks the kernel to load or unload anything: being outside
    the initial user namespace is what makes every module system call fail."""
    with open("/proc/self/uid_map") as f:
        if f.read().split() == ["0", "0", "4294967295"]:
            return "not in a new user namespace"
    for ns in ("user", "mnt"):
        try:
            if os.readlink("/proc/1/ns/" + ns) == os.readlink("/proc/self/ns/" + ns):
                return f"not in a new {ns} namespace"
        except OSError:
            pass
    for cmd in (["mount", "--make-rprivate", "/"], ["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/lib/modules"],
                ["mount", "--make-private", "/lib/modules"]):
        if subprocess.run(cmd).returncode != 0:
            return "failed: " + " ".join(cmd)
    if os.listdir("/lib/modules"):
        return "/lib/modules is not an empty tmpfs"
    for dev in ("/dev/console", "/dev/log"):
        if os.path.lexists(dev):
            subprocess.run(["mount", "--bind", "/dev/null", os.path.realpath(dev)], stderr=subprocess.DEVNULL)
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: options-diff.py KMODX_BINARY", file=sys.stderr)
        return 2
    kmodx = os.path.realpath(sys.argv[1])
    if os.environ.get(MARK) != "1":
        if subprocess.run(["unshare", "-U", "-r", "-m", "true"], stderr=subprocess.DEVNULL).returncode != 0:
            print("FAIL: cannot run in a new user and mount namespace (unshare -U -r -m)")
            return 1
        return subprocess.run(["unshare", "-U", "-r", "-m", sys.executable, os.path.abspath(__file__), kmodx],
                              env=dict(os.environ, **{MARK: "1"})).returncode or 0
    problem = setup_namespace()
    if problem:
        print("FAIL: namespace:", problem)
        return 1
    missing = [t for t in TABLES if not os.path.exists("/sbin/" + t)]
    if missing:
        print("FAIL: Debian's kmod (the oracle) is not installed: /sbin/" + missing[0])
        return 1
    work = tempfile.mkdtemp(prefix="options-diff.")
    try:
        return run_all(kmodx, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def generate(tools, oracle, rng, fx, kver, work):
    cases, seen, dropped = [], set(), {"unsafe": 0, "differs": 0}
    for tool, args, env in hand_cases(fx, kver):
        seen.add((tool, tuple(args), tuple(env.items())))
        cases.append((tool, args, env, "hand"))
    for name, tool in tools.items():
        seeds, n, attempt = tool.seeds(rng), sum(c[0] == name for c in cases), 0
        while n < COUNTS[name] and attempt < 20 * COUNTS[name]:
            kind = KINDS[attempt % len(KINDS)] if name == "modprobe" or KINDS[attempt % len(KINDS)] != "env" else "short"
            seed = seeds[attempt] if attempt < len(seeds) else None
            args, env = tool.line(rng, "seed" if seed else kind, seed)
            attempt += 1
            if (name, tuple(args), tuple(env.items())) in seen:
                continue
            seen.add((name, tuple(args), tuple(env.items())))
            v = verdict(tool, oracle, args, env, work)
            if v != "ok":
                dropped[v] += 1
                continue
            cases.append((name, args, env, "seed" if seed else kind))
            n += 1
    for tool, args, env, _ in cases:
        assert verdict(tools[tool], oracle, args, env, work) == "ok", show(tool, args, env)
    return cases, dropped


def run_all(kmodx, work):
    os.mkdir(os.path.join(work, "d"))
    fx, empty = os.path.join(work, "fx"), os.path.join(work, "empty")
    open(empty, "w").close()
    p = subprocess.run(["bash", os.path.join(REPO, "tests/fixtures/build-fixtures.sh"), fx], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        print(p.stderr[-3000:] + "\nFAIL: build-fixtures.sh")
        return 1
    kver = p.stdout.split()[-1]
    runner, oracle, seed = Runner(kmodx, work), Getopt(), int(os.environ.get("OPTIONS_DIFF_SEED", "30"))
    tools = make_tools(fx, kver, empty)
    cases, dropped = generate(tools, oracle, random.Random(seed), fx, kver, work)
    canon = {}
    for key in ((s, t, w) for s in ("kmod", "kmodx") for t in TABLES for w in ("help", "version")):
        canon[key] = runner.run(key[0], key[1], ["--" + key[2]], {}, "-".join(key))[1]
        if not canon[key]:
            print(f"FAIL: {key[0]}'s {key[1]} --{key[2]} printed nothing")
            return 1
    passed = failed = 0
    # Self-check: kmod against itself agrees; kmod's modprobe against its modinfo does not.
    picks = [c for t in TABLES for c in [x for x in cases if x[0] == t][:2]] + [
        ("modprobe", ["--help"], {}, ""), ("depmod", ["-b", "root", "9.9"], {}, "")]
    for i, (tool, args, env, _) in enumerate(picks):
        r = compare(runner, canon, tool, args, env, f"self{i}", b_side=("kmod", None))
        passed, failed = passed + (r is None), failed + (r is not None)
        if r:
            print("FAIL: self-check, kmod against kmod: " + show(tool, args, env), *r, sep="\n")
    for args in (["-h"], ["--bogus"], ["-x"]):
        r = compare(runner, None, "modprobe", args, {}, "selfx", b_side=("kmod", "modinfo"))
        passed, failed = passed + (r is not None), failed + (r is None)
        if r is None:
            print("FAIL: self-check: kmod's modprobe and modinfo not told apart on " + shlex.join(args))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, 2 * (os.cpu_count() or 1))) as pool:
        results = list(pool.map(lambda ic: compare(runner, canon, *ic[1][:3], str(ic[0])), enumerate(cases)))
    by_kind = {}
    for (tool, args, env, kind), r in zip(cases, results):
        if r is None:
            passed += 1
            continue
        failed += 1
        by_kind[tool, kind] = by_kind.get((tool, kind), 0) + 1
        print(f"FAIL [{tool} {kind}]: {show(tool, args, env)}")
        if failed <= 30:
            print(*r, sep="\n")
    for t in TABLES:
        mine = [c for c in cases if c[0] == t]
        print(f"{t}: {len(mine)} cases ({sum(ord('?') in oracle.parse(tools[t], c[1], c[2])[0] for c in mine)} that "
              f"getopt_long rejects, {sum('POSIXLY_CORRECT' in c[2] for c in mine)} with POSIXLY_CORRECT, "
              f"{sum('MODPROBE_OPTIONS' in c[2] for c in mine)} with MODPROBE_OPTIONS); failed: "
              + (", ".join(f"{k} {n}" for (tt, k), n in sorted(by_kind.items()) if tt == t) or "none"))
    print(f"seed {seed}; lines dropped: {dropped['unsafe']} unsafe, {dropped['differs']} where kmodx differs on purpose")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
