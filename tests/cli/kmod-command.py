#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `kmod` command against Debian's kmod 30, byte for byte.

Both run under the name `kmod` (a symlink first on PATH, so getopt's
messages name the same argv[0]); stdout, stderr and the exit status must be
equal, and for static-nodes also whether an output file exists and what it
holds. static-nodes reads /lib/modules/$(uname -r)/modules.devname, so the
cases run in a private mount namespace (this script re-executes itself under
`unshare -m`) with a scratch directory bound over /lib/modules; the host's
/lib/modules is never changed.

Cases: the multiplexer's options and commands; every format and option
spelling over real and hand-made modules.devname files (comments, blanks,
missing fields, bad types, signs, overflows, NUL bytes, lines past fgets'
4095 bytes, no final newline, a directory, a missing file or directory) and
300 seeded random ones; outputs into new directories, over old files, onto
devices, into a directory or under a file. Deliberate differences are
checked as such: the usage line of `kmod help` (kmod 30 prints "help"),
--version (kmodx's own), `list` with arguments (kmodx's lsmod), and a write
that fails on a full file system (kmod exits 0 with a truncated file; kmodx
exits 1 and leaves the old file).

Usage: kmod-command.py KMODX_BINARY
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ORACLE = shutil.which("kmod") or "/bin/kmod"


def main() -> int:
    kmodx = os.path.realpath(sys.argv[1])
    if os.environ.get("KMODX_IN_NAMESPACE") != "1":
        env = dict(os.environ, KMODX_IN_NAMESPACE="1")
        return subprocess.run(["unshare", "-m", sys.executable, __file__, kmodx], env=env).returncode
    if not os.path.exists(ORACLE):
        print("FAIL: Debian's kmod (the oracle) is not installed", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="kmod-command.")
    try:
        return Runner(kmodx, work).run_all()
    finally:
        subprocess.run(["umount", "/lib/modules"], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


class Runner:
    def __init__(self, kmodx: str, work: str):
        self.work = work
        self.bins = {}
        for side, target in (("kmod", os.path.realpath(ORACLE)), ("kmodx", kmodx)):
            d = os.path.join(work, side + "-bin")
            os.mkdir(d)
            os.symlink(target, os.path.join(d, "kmod"))
            self.bins[side] = d
        self.lm = os.path.join(work, "lib-modules")
        os.mkdir(self.lm)
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        subprocess.run(["mount", "--bind", self.lm, "/lib/modules"], check=True)
        self.release = os.uname().release
        self.moddir = os.path.join(self.lm, self.release)
        self.passed = 0
        self.failed = 0

    def kmod(self, side, args, stdin=None):
        env = dict(os.environ, PATH=self.bins[side] + ":" + os.environ.get("PATH", "/usr/bin:/bin"), LC_ALL="C")
        env.pop("KMODX_IN_NAMESPACE", None)
        p = subprocess.run(["kmod", *args], env=env, capture_output=True, timeout=30, cwd=self.work)
        return p.returncode, p.stdout, p.stderr

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {name}" + (f"\n{detail}" if detail else ""))

    def compare(self, name, args, expect_same=True, transform=None):
        a = self.kmod("kmod", args)
        b = self.kmod("kmodx", args)
        if transform:
            a = transform(a)
        self.check(name, a == b, f"  kmod 30: {a!r}\n  kmodx:   {b!r}")
        return a, b

    # -- the multiplexer
    def multiplexer(self):
        for args in ([], ["-h"], ["--help"], ["--he"], ["-h", "list"], ["-x"], ["--bogus"], ["--h"],
                     ["bogus"], ["lsmod"], ["modprobe", "-h"], ["depmod"], ["insert"], ["remove"],
                     ["-"], ["--"], ["--", "bogus"], ["", "x"], ["-hV"], ["static-node"], ["--", "-h"]):
            self.compare("kmod " + " ".join(args), args)
        # kmod 30 prints basename(argv[0]) in `kmod help`'s usage line: the word
        # before "help" once the arguments are shifted ("help", or "--").
        fix = lambda r: (r[0], re.sub(rb"\n\t[^\n]* \[options\] command", b"\n\tkmod [options] command", r[1], count=1), r[2])
        for args in (["help"], ["help", "me"], ["help", "extra", "-x"], ["help", "-h"], ["--", "help"]):
            self.compare("kmod " + " ".join(args) + " (usage line names kmod)", args, transform=fix)
        for args in (["-V"], ["--version"], ["--vers"], ["-V", "bogus"], ["-Vh"]):
            rc, out, err = self.kmod("kmodx", args)
            lines = out.decode().splitlines()
            self.check("kmod " + " ".join(args) + ": kmodx's two version lines", rc == 0 and not err and
                       len(lines) == 2 and lines[0].startswith("kmodx version "), repr((rc, out, err)))
        # `kmod list` is kmodx's lsmod (kmod master's options; arguments are an error).
        rc, out, err = self.kmod("kmodx", ["list", "x"])
        self.check("kmod list x", rc == 1 and err == b"lsmod: ERROR: too many arguments provided.\n", repr((rc, err)))

    # -- static-nodes
    def set_devname(self, content):
        shutil.rmtree(self.moddir, ignore_errors=True)
        if content is None:
            return
        os.mkdir(self.moddir)
        path = os.path.join(self.moddir, "modules.devname")
        if content == "dir":
            os.mkdir(path)
        elif content != "missing":
            with open(path, "wb") as f:
                f.write(content)

    def static_nodes(self, name, content, arg_sets):
        self.set_devname(content)
        for args in arg_sets:
            self.compare(f"static-nodes [{name}] {' '.join(args)}", ["static-nodes", *args])

    def outputs(self, name, args, path, before=None):
        """Both sides write to PATH (relative to the work directory), from the same start."""
        results = []
        for side in ("kmod", "kmodx"):
            full = os.path.join(self.work, path)
            top = os.path.join(self.work, path.split("/")[0])
            if os.path.isdir(top) and not os.path.islink(top):
                shutil.rmtree(top)
            elif os.path.lexists(top):
                os.unlink(top)
            if before:
                before(full)
            rc, out, err = self.kmod(side, ["static-nodes", *[a.replace("@", full) for a in args]])
            content = None
            if os.path.isfile(full):
                with open(full, "rb") as f:
                    content = f.read()
            results.append((rc, out, err.replace(full.encode(), b"@"), content))
        self.check(f"static-nodes output [{name}]", results[0] == results[1],
                   f"  kmod 30: {results[0]!r}\n  kmodx:   {results[1]!r}")

    def run_all(self):
        self.multiplexer()
        real = (b"# Device nodes to trigger on-demand module loading.\n"
                b"fuse fuse c10:229\ncuse cuse c10:203\nbtrfs btrfs-control c10:234\nloop loop-control c10:237\n"
                b"dm_mod mapper/control c10:236\ntun net/tun c10:200\nuinput uinput c10:223\n"
                b"snd_timer snd/timer c116:33\nvfio vfio/vfio c10:196\nhci_vhci vhci c10:137\n"
                b"vhost_net vhost-net c10:238\nnvram nvram c10:144\nblk_dev cpu/0/blk b259:0\n")
        forms = [[], ["-f", "human"], ["--format=tmpfiles"], ["--format", "devname"], ["-fdevname"],
                 ["--form=tmpfiles"], ["-f", "tmpfiles", "-f", "human"], ["-f", ""], ["-f", "Human"],
                 ["--format=tmp"], ["-o"], ["--output"], ["-h", "-f", "bogus"], ["-f", "bogus", "-h"],
                 ["x", "-f", "tmpfiles"], ["--", "-f", "tmpfiles"], ["-q"], ["--outp=/dev/null"],
                 ["-o/dev/stdout", "-f", "devname"], ["--help=1"], ["--format"]]
        self.static_nodes("debian-like", real, forms)
        few = [[], ["--format=tmpfiles"], ["-f", "devname"]]
        cases = {
            "empty": b"",
            "comments only": b"# a\n#\n",
            "no final newline": b"fuse fuse c10:229",
            "blank line": b"fuse fuse c10:229\n\nloop loop-control c10:237\n",
            "blank-only line": b"   \n\t\n",
            "missing minor": b"fuse fuse c10:\n",
            "missing colon": b"fuse fuse c10 229\n",
            "missing type": b"fuse fuse 10:229\n",
            "two fields": b"fuse fuse\n",
            "one field": b"fuse\n",
            "type x": b"fuse fuse x10:229\n",
            "type C": b"fuse fuse C10:229\n",
            "block": b"sd disk/sda b8:0\n",
            "spaces around": b"  fuse \t fuse   c 10 :229\n",
            "space before colon": b"fuse fuse c10 :229\n",
            "space after colon": b"fuse fuse c10: 229\n",
            "signs": b"a b c+10:-1\nc d c-0:+0\n",
            "overflow": b"a b c4294967296:99999999999999999999999\na b c18446744073709551615:4294967295\n",
            "hex": b"a b c0x10:0\n",
            "extra fields": b"fuse fuse c10:229 extra words\n",
            "comment after": b"fuse fuse c10:229 # note\n",
            "comment mid-line": b" # fuse fuse c10:229\n",
            "hash in name": b"fu#se fu#se c10:229\n",
            "NUL in line": b"fuse fu\0se c10:229\nloop loop-control c10:237\n",
            "NUL first": b"\0fuse fuse c10:229\n",
            "CR LF": b"fuse fuse c10:229\r\n",
            "deep devname": b"m a/b/c/d c1:2\nm /abs c1:2\nm trailing/ c1:2\n",
            "long line": b"m " + b"d" * 5000 + b" c1:2\nfuse fuse c10:229\n",
            "long comment": b"#" + b"x" * 4200 + b" c1:2\n",
            "exact 4095": b"m " + b"d" * 4086 + b" c1:2\n",
            "piece boundary": b"m " + b"d" * 4089 + b" c1:2\n",
            "high bytes": b"m\xff \xc3\xa9 c1:2\n",
            "vertical tab": b"m\vd\fc1:2\n",
            "directory": "dir",
            "missing file": "missing",
            "missing dir": None,
        }
        for name, content in cases.items():
            self.static_nodes(name, content, few)
        rng = random.Random(20261204)
        alphabet = [b"a", b"b", b"c", b"0", b"1", b"9", b":", b" ", b"\t", b"\n", b"#", b"-", b"+", b"/", b"c10:229", b"x"]
        for i in range(300):
            content = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
            self.static_nodes(f"random {i}", content, [["-f", rng.choice(["human", "tmpfiles", "devname"])]])

        # Output files: the service's command line, new parents, old files, odd targets.
        self.set_devname(real)
        service = ["--format=tmpfiles", "--output=@"]
        self.outputs("new file in new directories", service, "run/tmpfiles.d/static-nodes.conf")
        self.outputs("over an old longer file", ["-o", "@"], "old/out.conf",
                     before=lambda p: (os.makedirs(os.path.dirname(p)), open(p, "wb").write(b"x" * 10000)))
        self.outputs("relative name", ["-o", "@"], "plain.conf")
        self.outputs("a directory", ["-o", "@"], "adir", before=lambda p: os.makedirs(p))
        self.outputs("under a regular file", ["-o", "@"], "afile/x/y.conf",
                     before=lambda p: open(p.split("/x/")[0], "wb").close())
        self.outputs("symlink to a file", ["-o", "@"], "lnk",
                     before=lambda p: (open(p + ".target", "wb").write(b"old"), os.symlink(p + ".target", p)))
        self.outputs("dangling symlink", ["-o", "@"], "dangling", before=lambda p: os.symlink("nowhere", p))
        self.outputs("device", ["-o", "/dev/null"], "unused")
        # A read-only file system: no temporary, no file.
        ro = os.path.join(self.work, "ro")
        os.makedirs(ro, exist_ok=True)
        with open(os.path.join(ro, "old.conf"), "wb") as f:
            f.write(b"old\n")
        subprocess.run(["mount", "--bind", ro, ro], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", ro], check=True)
        for side_args in (["-o", os.path.join(ro, "new.conf")], ["-o", os.path.join(ro, "old.conf")]):
            a = self.kmod("kmod", ["static-nodes", *side_args])
            b = self.kmod("kmodx", ["static-nodes", *side_args])
            self.check(f"static-nodes output [read-only {os.path.basename(side_args[1])}]",
                       a == b and a[0] == 1 and b"Read-only file system" in a[2], f"  kmod 30: {a!r}\n  kmodx:   {b!r}")
        subprocess.run(["umount", ro], check=True)
        self.set_devname(None)
        self.outputs("no modules.devname: no file", service, "run2/static-nodes.conf")
        self.set_devname(b"fuse fuse c10:229\nbad line\nloop loop-control c10:237\n")
        self.outputs("invalid entry: the valid ones written, exit 1", service, "run3/static-nodes.conf")
        self.full_filesystem()
        print(f"kmod-command: {self.passed} passed, {self.failed} failed")
        print(f"{self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 else 1

    def full_filesystem(self):
        """A 4 KiB file system too small for the output: kmod 30 writes what fits and exits 0;
        kmodx says so, exits 1 and leaves the old file whole."""
        self.set_devname(b"".join(b"m%d long/device/name/%d c10:%d\n" % (i, i, i) for i in range(400)))
        mnt = os.path.join(self.work, "small")
        os.mkdir(mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", mnt], check=True)
        try:
            out = os.path.join(mnt, "static-nodes.conf")
            for side in ("kmod", "kmodx"):
                with open(out, "wb") as f:
                    f.write(b"old\n")
                rc, _, err = self.kmod(side, ["static-nodes", "-f", "tmpfiles", "-o", out])
                with open(out, "rb") as f:
                    content = f.read()
                if side == "kmod":
                    print(f"  (kmod 30 on a full file system: exit {rc}, {len(content)} bytes written, stderr {err!r})")
                else:
                    self.check("full file system: kmodx fails and keeps the old file",
                               rc == 1 and content == b"old\n" and
                               err == f"Error: could not write {out} - No space left on device\n".encode(),
                               repr((rc, err, content[:40])))
                    self.check("full file system: no temporary left", os.listdir(mnt) == ["static-nodes.conf"],
                               repr(os.listdir(mnt)))
        finally:
            subprocess.run(["umount", mnt])


if __name__ == "__main__":
    sys.exit(main())
