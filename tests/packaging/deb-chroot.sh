#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian package in a Debian system: a `debootstrap --variant=minbase`
# bookworm chroot (cached as a tarball, with what a kernel image package
# needs already installed: initramfs-tools, linux-base and Debian's kmod, and
# systemd and udev, which link Debian's libkmod2) gets the kmodx package,
# which must replace kmod, then libkmod2-kmodx, which must replace libkmod2
# while systemd and udev stay installed, and then Debian's current kernel
# image package, whose postinst runs depmod and update-initramfs.
# Checks that depmod was kmodx's (modules.weakdep exists: kmod 30 never
# writes it; modules.dep.bin is laid out root first, kmod 30 root last), that
# the initramfs holds kmodx, and that modprobe --show-depends, modinfo and
# lsmod work there (lsmod also on the sim backend, after a modprobe into
# it). systemd-modules-load and `udevadm test-builtin 'kmod load'` then
# load modules through libkmod2-kmodx into the simulated kernel
# (KMODX_BACKEND), and inside a new user namespace, where the kernel refuses
# every module system call whatever a program asks. Nothing is ever loaded
# into a kernel: the chroot shares the host's, and only read-only commands
# and the simulated kernel run in it.
#
# Usage: deb-chroot.sh DEBDIR    (the output of tests/packaging/deb-build.sh)
# Cache: ${XDG_CACHE_HOME:-~/.cache}/kmodx/chroot/ (the base tarball) and
# .../kmodx/debs/ (the kernel package, shared with the other tests).
set -euo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { sed -n '3,17p' "$0" >&2; exit 2; }
debdir=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/scripts/packages.sh"
ensure_packages debootstrap zstd cpio
start=$(date +%s)

cache=${XDG_CACHE_HOME:-$HOME/.cache}/kmodx
mkdir -p "$cache/chroot" "$cache/debs"
debs=$cache/debs extract_root=$cache/debian-tree/extract
# shellcheck source=../lib/debian-packages.sh
. "$repo/tests/lib/debian-packages.sh"
prog=deb-chroot

# ---- the base system, cached
suite=bookworm
# kmodx's runtime libraries are there too, so that dpkg -i works offline.
include=initramfs-tools,linux-base,kmod,zstd,systemd,udev
mirror=${KMODX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=$cache/chroot/$suite-minbase-$(echo "$include" | sha1sum | cut -c1-12).tar.zst
if [ ! -s "$base" ]; then
	log "debootstrap $suite (minbase, $include) into the cache"
	tmp=$(mktemp -d)
	debootstrap --variant=minbase --include="$include" "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
		{ tail -20 "$tmp/log"; rm -rf "$tmp"; die "debootstrap failed"; }
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" --numeric-owner -cf - . | zstd -q -T0 -o "$base.part"
	mv "$base.part" "$base"
	rm -rf "$tmp"
fi

# ---- the kernel image package (linux-image-amd64's current one)
resolve_image_package linux-image-amd64
fetch_package
kernel_deb=$debs/$deb_name

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"
zstd -q -dc "$base" | tar -C "$root" -xf -
cp "$debdir"/kmodx_*.deb "$debdir"/libkmod2-kmodx_*.deb "$kernel_deb" "$root/tmp/"
kmodx_deb=/tmp/$(basename "$(ls "$debdir"/kmodx_*.deb)")
libkmod_deb=/tmp/$(basename "$(ls "$debdir"/libkmod2-kmodx_*.deb)")

# The unit's command line, from the unit file where this machine has it.
unit=/lib/systemd/system/kmod-static-nodes.service
static_nodes_cmd=$(sed -n 's/^ExecStart=//p' "$unit" 2>/dev/null | head -1)
if [ -z "$static_nodes_cmd" ]; then
	static_nodes_cmd="/bin/kmod static-nodes --format=tmpfiles --output=/run/tmpfiles.d/static-nodes.conf"
	echo "deb-chroot: no $unit here; using systemd 252's ExecStart: $static_nodes_cmd"
fi
case $static_nodes_cmd in
*--output=/run/tmpfiles.d/static-nodes.conf*) ;;
*) echo "FAIL: unexpected ExecStart in $unit: $static_nodes_cmd"; exit 1 ;;
esac

# Everything inside runs in a private mount namespace: /proc and /dev are
# mounted for the chroot and vanish with it.
cat >"$work/inside.sh" <<INSIDE
set -eu
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
inroot() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "\$@"; }
echo "== dpkg -i kmodx (kmod must go)"
inroot dpkg -i "$kmodx_deb"
echo "== dpkg -i libkmod2-kmodx (libkmod2 must go, systemd and udev stay)"
inroot dpkg -i "$libkmod_deb"
echo "== dpkg --audit"
inroot dpkg --audit
echo "== dpkg -i $(basename "$kernel_deb")"
inroot dpkg -i "/tmp/$(basename "$kernel_deb")"
echo "== package states"
inroot dpkg-query -W -f '\${Package} \${Status}\n' kmod kmodx libkmod2 libkmod2-kmodx systemd udev "$pkg" 2>&1 || true
echo "== libkmod.so.2 of udevadm and systemd-modules-load"
for b in /bin/udevadm /lib/systemd/systemd-modules-load; do
	echo "\$b: \$(inroot sh -c "ldd \$b | sed -n 's/.*libkmod.so.2 => \\([^ ]*\\).*/\\1/p' | xargs readlink -f | xargs dpkg -S")"
done
echo "== udevadm --version"
inroot udevadm --version
echo "== modprobe --show-depends vfat"
inroot modprobe -S "$kver" --show-depends vfat
echo "== modinfo -F filename vfat"
inroot modinfo -k "$kver" -F filename vfat
echo "== modinfo vfat (head)"
inroot modinfo -k "$kver" vfat | head -5
echo "== lsmod"
inroot lsmod || true
echo "== modprobe vfat into a simulated kernel, then lsmod of it"
inroot modprobe --backend=sim:/tmp/sim -S "$kver" vfat
inroot lsmod --backend=sim:/tmp/sim
# systemd's kmod-static-nodes.service, as a boot runs it: the running
# kernel's modules.devname (here a copy of the installed kernel's, which
# kmodx's depmod wrote) as tmpfiles.d lines in /run/tmpfiles.d.
echo "== kmod-static-nodes.service: \$ $static_nodes_cmd"
release=\$(uname -r)
# systemd-modules-load and udev's kmod builtin, through libkmod2-kmodx: they
# read /lib/modules/\$(uname -r), here the installed kernel's tree.
[ "\$release" = "$kver" ] || ln -s "$kver" "$root/lib/modules/\$release"
echo "== uid_map in a new user namespace (module system calls fail there)"
unshare -U -r cat /proc/self/uid_map
inuserns() { unshare -U -r chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "\$@"; }
printf 'vfat\n# a comment\nisofs\n' >"$root/etc/modules-load.d/kmodx-test.conf"
# The simulated kernels are the installed kernel (its vermagic), not the
# release uname names.
for sim in sim-modules-load sim-udev; do
	mkdir -p "$root/tmp/\$sim"
	inroot modinfo -k "$kver" -F vermagic vfat >"$root/tmp/\$sim/vermagic"
done
echo "== systemd-modules-load"
rc=0
inuserns KMODX_BACKEND=sim:/tmp/sim-modules-load SYSTEMD_LOG_LEVEL=debug /lib/systemd/systemd-modules-load || rc=\$?
echo "systemd-modules-load exit \$rc"
inroot lsmod --backend=sim:/tmp/sim-modules-load | sed 's/^/modules-load: /'
mount --rbind /sys "$root/sys"
echo "== udevadm test-builtin 'kmod load ext4 nls_utf8' /sys/class/mem/null"
rc=0
inuserns KMODX_BACKEND=sim:/tmp/sim-udev udevadm test-builtin 'kmod load ext4 nls_utf8' /sys/class/mem/null || rc=\$?
echo "udevadm test-builtin exit \$rc"
inroot lsmod --backend=sim:/tmp/sim-udev | sed 's/^/udev: /'
[ "\$release" = "$kver" ] || rm "$root/lib/modules/\$release"
if [ "\$release" != "$kver" ]; then
	mkdir -p "$root/lib/modules/\$release"
	cp "$root/lib/modules/$kver/modules.devname" "$root/lib/modules/\$release/"
fi
rc=0
inroot $static_nodes_cmd || rc=\$?
echo "static-nodes exit \$rc"
echo "== lsinitramfs"
inroot lsinitramfs "/boot/initrd.img-$kver" >"$work/initrd.list"
grep -E 'usr/bin/kmodx|sbin/modprobe|lib(zstd|lzma|z|crypto)\.so' "$work/initrd.list" || true
# The postinst's depmod ran on a fresh tree: no cache. A later run (DKMS's)
# writes one, and the run after it takes every module from it.
echo "== the depmod cache"
[ -e "$root/lib/modules/$kver/modules.kmodx-cache.bin" ] && echo "cache after the postinst: yes" ||
	echo "cache after the postinst: no"
sleep 2.1  # files changed less than 2 s before a run are not recorded
inroot depmod "$kver"
[ -f "$root/lib/modules/$kver/modules.kmodx-cache.bin" ] && echo "cache after a second depmod: yes"
inroot depmod -v "$kver" 2>&1 >/dev/null | grep 'modules.kmodx-cache.bin' || true
INSIDE
unshare -m bash "$work/inside.sh" >"$work/out" 2>&1 || { cat "$work/out"; echo "FAIL: the installation in the chroot"; exit 1; }
cat "$work/out"

fail=0
check() { # description command...
	local what=$1; shift
	if "$@"; then echo "PASS $what"; else echo "FAIL $what"; fail=1; fi
}
M=$root/lib/modules/$kver
check "kmod was removed, kmodx is installed" grep -q '^kmodx install ok installed' "$work/out"
check "kmod is no longer installed" bash -c "! grep -q '^kmod install ok installed' '$work/out'"
check "the kernel package is installed" grep -q "^$pkg install ok installed" "$work/out"
check "libkmod2-kmodx is installed" grep -q '^libkmod2-kmodx install ok installed' "$work/out"
check "Debian's libkmod2 is no longer installed" bash -c "! grep -q '^libkmod2 install ok installed' '$work/out'"
for p in systemd udev; do
	check "$p is still installed" grep -q "^$p install ok installed" "$work/out"
done
check "dpkg --audit finds nothing" bash -c "sed -n '/^== dpkg --audit/,/^== /p' '$work/out' | grep -vc '^== ' | grep -qx 0"
for b in /bin/udevadm /lib/systemd/systemd-modules-load; do
	check "$b links libkmod.so.2 of libkmod2-kmodx" grep -q "^$b: libkmod2-kmodx:amd64: " "$work/out"
done
check "udevadm --version runs on it" bash -c "grep -A1 '^== udevadm --version' '$work/out' | grep -qx '[0-9][0-9][0-9]'"
check "the loading commands ran in a new user namespace" \
	bash -c "grep -A1 '^== uid_map in a new user namespace' '$work/out' | tail -1 | grep -qE '^ *0 +0 +1\$'"
check "systemd-modules-load exits 0" grep -qx 'systemd-modules-load exit 0' "$work/out"
check "systemd-modules-load loaded vfat (after fat) and isofs into the simulated kernel" \
	bash -c "grep -qE '^modules-load: fat +[0-9]+  1 vfat\$' '$work/out' && grep -qE '^modules-load: vfat ' '$work/out' && grep -qE '^modules-load: isofs ' '$work/out'"
check "udevadm test-builtin 'kmod load' exits 0" grep -qx 'udevadm test-builtin exit 0' "$work/out"
check "udev's kmod builtin loaded ext4 (with jbd2) and nls_utf8 into the simulated kernel" \
	bash -c "grep -qE '^udev: ext4 ' '$work/out' && grep -qE '^udev: jbd2 +[0-9]+  1 ext4\$' '$work/out' && grep -qE '^udev: nls_utf8 ' '$work/out'"
check "/sbin/depmod and /usr/sbin/depmod are kmodx" test "$(chroot "$root" readlink -f /sbin/depmod)$(chroot "$root" readlink -f /usr/sbin/depmod)" = /usr/bin/kmodx/usr/bin/kmodx
check "depmod in the postinst was kmodx's: modules.weakdep exists" test -f "$M/modules.weakdep"
root_ref=$(od -An -tx1 -j8 -N4 "$M/modules.dep.bin" | tr -d ' \n')
check "modules.dep.bin is laid out root first (kmodx; kmod 30 puts the root last): root ref $root_ref" \
	bash -c "[ \$(( 0x$root_ref & 0x0fffffff )) -eq 12 ]"
check "modprobe --show-depends vfat lists fat then vfat" \
	bash -c "grep -A2 '== modprobe --show-depends vfat' '$work/out' | grep -q 'insmod /lib/modules/$kver/kernel/fs/fat/fat.ko'"
check "modinfo -F filename vfat" grep -q "^/lib/modules/$kver/kernel/fs/fat/vfat.ko" "$work/out"
# This machine's kernel may have no module support (no /proc/modules): then
# lsmod says so as kmod does; the simulated kernel shows the tables.
if [ -e /proc/modules ]; then
	check "lsmod prints its header" grep -q '^Module  *Size  Used by' "$work/out"
else
	check "lsmod without /proc/modules: kmod's error" grep -q '^lsmod: ERROR: could not open /proc/modules: No such file or directory' "$work/out"
fi
check "lsmod of the simulated kernel: fat used by vfat" grep -qE '^fat +[0-9]+  1 vfat$' "$work/out"
check "the initramfs holds kmodx" grep -q 'usr/bin/kmodx' "$work/initrd.list"
for lib in libzstd.so.1 liblzma.so.5 libz.so.1 libcrypto.so.3; do
	check "the initramfs holds $lib (kmodx opens it with dlopen)" grep -qE "(^|/)$lib\$" "$work/initrd.list"
done
check "/bin/kmod is kmodx" test "$(chroot "$root" readlink -f /bin/kmod)" = /usr/bin/kmodx
check "kmod static-nodes (the service's command line) exits 0" grep -q '^static-nodes exit 0$' "$work/out"
# The file it wrote equals what Debian's kmod 30 makes of the same
# modules.devname (kmod reads only /lib/modules/$(uname -r): a private mount
# namespace gives it a scratch one; the host's is never changed).
conf=$root/run/tmpfiles.d/static-nodes.conf
lm=$work/lib-modules
mkdir -p "$lm/$(uname -r)"
cp "$M/modules.devname" "$lm/$(uname -r)/"
unshare -m sh -c "mount --bind '$lm' /lib/modules && kmod static-nodes --format=tmpfiles" >"$work/expected.conf"
check "static-nodes.conf is not empty" test -s "$conf"
check "static-nodes.conf has the fuse node" grep -qx 'c! /dev/fuse 0600 - - - 10:229' "$conf"
check "static-nodes.conf equals kmod 30's ($(wc -l <"$work/expected.conf") lines)" cmp -s "$conf" "$work/expected.conf"
check "the postinst's depmod (a fresh tree) wrote no cache" grep -qx 'cache after the postinst: no' "$work/out"
check "the initramfs holds no depmod cache" bash -c "! grep -q 'modules.kmodx-cache.bin' '$work/initrd.list'"
check "a second depmod wrote the cache" grep -qx 'cache after a second depmod: yes' "$work/out"
nmods=$(grep -c . "$M/modules.dep")
check "the next depmod took all $nmods modules from it" \
	grep -qE "NOTICE: /lib/modules/$kver/modules.kmodx-cache.bin: $nmods of $nmods modules unchanged, 0 read\$" "$work/out"
# Last, as it removes the tree the checks above read: purging the kernel
# package removes the cache with the other generated files (its postrm's
# modules.*.bin). (Bookworm's postrm does not know modules.weakdep, which
# kmod 33+ and kmodx write, so that one file and the directory stay.)
cat >"$work/purge.sh" <<PURGE
set -eu
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C dpkg --purge "$pkg"
PURGE
unshare -m bash "$work/purge.sh" >"$work/purge.out" 2>&1 || { cat "$work/purge.out"; echo "FAIL: dpkg --purge $pkg"; fail=1; }
echo "deb-chroot: left in /lib/modules/$kver after the purge: $(ls -A "$M" 2>/dev/null | tr '\n' ' ')"
check "dpkg --purge $pkg removes the depmod cache" test ! -e "$M/modules.kmodx-cache.bin"
check "... and every file but modules.weakdep" bash -c "[ -z \"\$(ls -A '$M' 2>/dev/null | grep -vx modules.weakdep)\" ]"
echo "deb-chroot: took $(( $(date +%s) - start )) s"
exit $fail
