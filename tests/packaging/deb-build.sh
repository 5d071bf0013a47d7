#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the Debian packages (packaging/debian) the way a distribution
# does: a copy of the source tree with debian/ at its top, then
# `dpkg-buildpackage -us -uc -b`. Runs lintian on the result (any E: line
# fails), lists each package and checks the paths that matter.
#
# Usage: deb-build.sh [OUTDIR]   (default: a temporary directory, printed)
# The .deb files end up in OUTDIR; the last line of stdout is OUTDIR.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/scripts/packages.sh"
ensure_packages dpkg-dev debhelper lintian fakeroot rsync cmake g++ pkg-config \
	libboost-graph-dev libzstd-dev liblzma-dev zlib1g-dev libssl-dev

out=${1:-$(mktemp -d)}
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tracked files as they are in the working tree, and debian/.
src=$work/kmodx-0.1.0
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$src/")
cp -a "$src/packaging/debian" "$src/debian"

# Builds take the shared build lock: two compiles never run at once here.
echo "deb-build: dpkg-buildpackage in $src" >&2
(cd "$src" && flock /tmp/kmodx-build.lock dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$work/build.log" 2>&1 ||
	{ tail -40 "$work/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1; }
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"

fail=0
lintian --tag-display-limit 0 "$out"/*.changes >"$work/lintian.log" 2>&1 || true
echo "== lintian"
cat "$work/lintian.log"
if grep -q '^E: ' "$work/lintian.log"; then echo "FAIL: lintian reports errors"; fail=1; fi

expect() { # DEB PATH...
	local deb=$1 p; shift
	dpkg -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/list"
	for p in "$@"; do
		grep -qx -- "$p" "$work/list" || { echo "FAIL: $(basename "$deb") lacks $p"; fail=1; }
	done
}
for deb in "$out"/*.deb; do echo "== $(basename "$deb")"; dpkg -I "$deb" | sed -n '/Package:/,/Description:/p'; dpkg -c "$deb" | awk '{print $6, $7, $8}'; done
kmodx_deb=$(ls "$out"/kmodx_*.deb)
expect "$kmodx_deb" /usr/bin/kmodx /sbin/depmod /sbin/modprobe /sbin/modinfo /sbin/insmod /bin/lsmod \
	/sbin/rmmod /sbin/lsmod /usr/share/man/man8/modprobe.8.gz /usr/share/man/man5/modprobe.d.5.gz \
	/usr/share/man/man5/depmod.d.5.gz /usr/share/man/man5/modules.dep.5.gz /usr/share/man/man8/kmodx.8.gz \
	/usr/share/bash-completion/completions/kmodx /usr/share/zsh/vendor-completions/_kmodx \
	/usr/share/initramfs-tools/hooks/kmodx /etc/modprobe.d/ /etc/depmod.d/ /usr/lib/modprobe.d/ /usr/lib/depmod.d/
expect "$(ls "$out"/libkmodx-dev_*.deb)" /usr/include/kmodx/index.hpp /usr/lib/x86_64-linux-gnu/libkmodx.a \
	/usr/lib/x86_64-linux-gnu/libkmodx.so /usr/lib/x86_64-linux-gnu/pkgconfig/libkmodx.pc \
	/usr/lib/x86_64-linux-gnu/pkgconfig/libkmodx-static.pc
expect "$(ls "$out"/libkmodx0_*.deb)" /usr/lib/x86_64-linux-gnu/libkmodx.so.0
dpkg-deb --ctrl-tarfile "$(ls "$out"/libkmodx0_*.deb)" | tar -xO ./shlibs 2>/dev/null | grep -q '^libkmodx 0 libkmodx0' ||
	{ echo "FAIL: libkmodx0 has no shlibs entry for libkmodx.so.0"; fail=1; }
info=$(dpkg -I "$kmodx_deb")
for field in Provides Conflicts Replaces; do
	grep -q "^ $field: kmod\$" <<<"$info" || { echo "FAIL: kmodx lacks '$field: kmod'"; fail=1; }
done
# libkmod.so.2 stands in for Debian's libkmod2: it provides it at the version
# whose interface it has, which systemd and udev (libkmod2 >= 15) accept.
libkmod_deb=$(ls "$out"/libkmod2-kmodx_*.deb)
expect "$libkmod_deb" /usr/lib/x86_64-linux-gnu/libkmod.so.2
expect "$(ls "$out"/libkmod-kmodx-dev_*.deb)" /usr/include/libkmod.h /usr/lib/x86_64-linux-gnu/libkmod.so \
	/usr/lib/x86_64-linux-gnu/pkgconfig/libkmod.pc
info=$(dpkg -I "$libkmod_deb")
grep -q '^ Provides: libkmod2 (= 34)$' <<<"$info" || { echo "FAIL: libkmod2-kmodx lacks 'Provides: libkmod2 (= 34)'"; fail=1; }
for field in Conflicts Replaces; do
	grep -q "^ $field: libkmod2\$" <<<"$info" || { echo "FAIL: libkmod2-kmodx lacks '$field: libkmod2'"; fail=1; }
done
dpkg-deb --ctrl-tarfile "$libkmod_deb" | tar -xO ./shlibs 2>/dev/null | grep -q '^libkmod 2 libkmod2-kmodx' ||
	{ echo "FAIL: libkmod2-kmodx has no shlibs entry for libkmod.so.2"; fail=1; }
[ $fail -eq 0 ] && echo "deb-build: packages built, lintian without errors"
echo "$out"
exit $fail
