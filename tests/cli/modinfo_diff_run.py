#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runner of modinfo-diff.sh: runs every case on both modinfos and compares.

modinfo-diff.sh writes the cases; this runs them. Per case it starts only
the two tools (no shell, no timeout(1), no perl or cmp per case), which
made the run several times faster than the shell loop it replaces: under
the sanitizers the suite runs twice and thousands of cases add up.

Usage: modinfo_diff_run.py CASES RESULT_DIR
Environment (set by modinfo-diff.sh): KMOD_DIR, OURS_DIR (each holds a
"modinfo" symlink to its binary), CASE_CWD, SELF_CHECK, JOBS, SHOW, PROG,
SETUP_SECONDS (added to the time reported).

CASES holds "id TAB group TAB mode TAB args..." lines; the modes are
documented in modinfo-diff.sh. Mismatching cases leave NAME.{k,o}.{out,err,rc}
in RESULT_DIR. Prints one line per group, diffs of the first SHOW
mismatches and "N passed, M failed"; exit status 0 iff nothing failed.
"""
import concurrent.futures
import difflib
import os
import re
import subprocess
import sys
import time

TIMED_OUT = "timeout"
CONTEXT_POINTER = re.compile(rb"ctx=0x[0-9a-f]+")
KMOD_DIR = os.environ["KMOD_DIR"]
OURS_DIR = os.environ["OURS_DIR"]
CASE_CWD = os.environ["CASE_CWD"]
SELF_CHECK = os.environ.get("SELF_CHECK", "0") == "1"
PROG = os.environ.get("PROG", "modinfo-diff")


def run_tool(bindir, args, limit):
    """(exit status or TIMED_OUT, stdout, stderr) of `modinfo ARGS` with
    argv[0] exactly "modinfo", as both multi-call binaries dispatch on it."""
    try:
        p = subprocess.run(["modinfo", *args], executable=os.path.join(bindir, "modinfo"),
                           cwd=CASE_CWD, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=limit)
    except subprocess.TimeoutExpired as e:
        return TIMED_OUT, e.stdout or b"", e.stderr or b""
    return p.returncode, p.stdout, p.stderr


LONG_KEY = re.compile(rb"^([^:\n\0]{16,}):( *)", re.M)
ENOSYS_LINE = re.compile(
    rb"^modinfo: ERROR: could not get modinfo from '[^'\n]*': Function not implemented(\n|\Z)", re.M)


def kmod30_to_master(rc, out, err):
    """kmodx follows kmod master where master fixed a kmod 30 quirk (README,
    "Compatibility"); this rewrites kmod 30's result by exactly those rules:
     1. keys longer than 15 characters: kmod 30 pads them with len-15
        spaces (a negative printf width), master with none;
     2. a built-in module without records in modules.builtin.modinfo:
        kmod 30 fails with ENOSYS, master prints the name/filename lines
        and succeeds."""
    out = LONG_KEY.sub(lambda m: m[1] + b":" + m[2][len(m[1]) - 15:], out)
    if ENOSYS_LINE.search(err):
        err = ENOSYS_LINE.sub(b"", err)
        if not err and rc == 1:
            rc = 0
    return rc, out, err


def run_case(line):
    """Runs one case; returns (id, group, passed, detail) where detail holds
    what a mismatch report shows."""
    f = line.rstrip("\n").split("\t")
    cid, group, mode, args = f[0], f[1], f[2], f[3:]
    kplain = ourmod = ""
    if mode == "gz":
        kplain, ourmod, args = args[0], args[1], args[2:]
    kargs, oargs = [], []
    for a in args:
        if a == "@EMPTY@":
            kargs.append("")
            oargs.append("")
        elif a == "@MOD@":
            kargs.append(kplain)
            oargs.append(kplain if SELF_CHECK else ourmod)
        else:
            kargs.append(a)
            oargs.append(a)
    k = None
    if mode not in ("err1", "bomb"):
        k = run_tool(KMOD_DIR, kargs, 20)
    # A bomb without declared sizes is decompressed up to the 1 GiB limit:
    # seconds alone, more beside other tests on two CPUs (ctest -j).
    o = run_tool(OURS_DIR, oargs, 90 if mode == "bomb" else 20)
    orc, oout, oerr = o
    ok = False
    if mode in ("same", "gz"):
        krc, kout, kerr = k
        if mode == "gz":
            old, new = os.fsencode(kplain), os.fsencode(ourmod)
            kout, kerr = kout.replace(old, new), kerr.replace(old, new)
            if SELF_CHECK:
                oout, oerr = oout.replace(old, new), oerr.replace(old, new)
        if not SELF_CHECK:
            krc, kout, kerr = kmod30_to_master(krc, kout, kerr)
        # libkmod names its context pointer in some errors (a stale
        # modules.dep); it differs from run to run.
        kerr, oerr = (CONTEXT_POINTER.sub(b"ctx=PTR", e) for e in (kerr, oerr))
        k = (krc, kout, kerr)
        o = (orc, oout, oerr)
        ok = krc == orc != TIMED_OUT and kout == oout and kerr == oerr
    elif mode == "lines":
        krc, kout, kerr = k
        ok = krc == orc != TIMED_OUT and kerr == oerr and kout.count(b"\n") == oout.count(b"\n")
    elif mode == "bomb":
        # ours only: refused at the size cap, one clean error line
        ok = orc == 1 and oerr == b"modinfo: ERROR: could not get modinfo from 'bomb': File too large\n"
    elif mode == "err1":
        # ours only: exit 1, one "modinfo: ERROR: ..." line on stderr,
        # stdout empty or just the "filename:" line of the argument
        filename_line = ("%-16s%s\n" % ("filename:", oargs[-1])).encode()
        ok = (orc == 1 and oout in (b"", filename_line)
              and re.fullmatch(rb"modinfo: ERROR: [^\n]*\n", oerr) is not None)
    else:
        raise SystemExit(f"{PROG}: case {cid}: unknown mode {mode}")
    return cid, group, ok, (mode, args, k, o)


def cat_v(data):
    return data.decode("latin-1").replace("\0", "^@").splitlines(keepends=True)


def report_mismatch(cid, group, detail, resdir):
    mode, args, k, o = detail
    print(f"----- case {cid} [{group}/{mode}]: modinfo {' '.join(args)}")
    for side, r in (("k", k), ("o", o)):
        if r is None:
            continue
        for ext, data in (("out", r[1]), ("err", r[2]), ("rc", f"{r[0]}\n".encode())):
            with open(os.path.join(resdir, f"{cid}.{side}.{ext}"), "wb") as fh:
                fh.write(data)
    if mode in ("err1", "bomb"):
        print("expected: exit 1, stdout empty or the filename: line, one 'modinfo: ERROR: ' line on stderr"
              if mode == "err1" else "expected: exit 1 and the 'File too large' error line")
        print(f"got exit {o[0]}; stdout:")
        sys.stdout.writelines(cat_v(o[1])[:20])
        print("stderr:")
        sys.stdout.writelines(cat_v(o[2])[:20])
        return
    print(f"exit status: kmod {k[0]}, kmodx {o[0]}")
    for name, i, limit in (("stdout", 1, 40), ("stderr", 2, 20)):
        if k[i] != o[i]:
            print(f"{name} (cat -v):")
            diff = difflib.unified_diff(cat_v(k[i]), cat_v(o[i]), "kmod", "kmodx")
            for n, d in enumerate(diff):
                if n >= limit:
                    break
                sys.stdout.write(d if d.endswith("\n") else d + "\n")


def main():
    cases_path, resdir = sys.argv[1], sys.argv[2]
    with open(cases_path, encoding="utf-8", errors="surrogateescape") as fh:
        cases = [l for l in fh if l.strip()]
    jobs = int(os.environ.get("JOBS", "2"))
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(run_case, cases))

    groups = {}
    for _, group, ok, _ in results:
        n, bad = groups.get(group, (0, 0))
        groups[group] = (n + 1, bad + (0 if ok else 1))
    for group, (n, bad) in groups.items():
        print(f"{PROG}: {group} {n} compared, {bad} mismatches")
    failed = [r for r in results if not r[2]]
    if failed:
        show = int(os.environ.get("SHOW", "5"))
        print(f"\n{PROG}: first mismatches (up to {show}):")
        for cid, group, _, detail in failed[:show]:
            report_mismatch(cid, group, detail, resdir)
        print()
    passed = len(results) - len(failed)
    seconds = int(os.environ.get("SETUP_SECONDS", "0")) + round(time.monotonic() - began)
    print(f"{PROG}: {len(results)} cases in {seconds}s")
    print(f"{passed} passed, {len(failed)} failed")
    return 0 if not failed and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
