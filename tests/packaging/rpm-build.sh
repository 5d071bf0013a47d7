#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the binary RPMs of packaging/rpm/kmodx.spec with Debian's rpm
# (`rpmbuild --nodeps -bb`: Debian has no RPM database of the build
# dependencies; they are installed as Debian packages) and checks what the
# packages hold and declare. --quick only checks that rpmbuild parses the
# spec and makes the source RPM.
#
# Usage: rpm-build.sh [--quick]
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/scripts/packages.sh"
ensure_packages rpm rsync cmake g++ pkg-config libboost-graph-dev \
	libzstd-dev liblzma-dev zlib1g-dev libssl-dev
quick=0
[ "${1:-}" = --quick ] && quick=1
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$work/rpm
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
version=$(sed -n 's/^Version: *//p' "$repo/packaging/rpm/kmodx.spec")
src=$work/kmodx-$version
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$src/")
tar -C "$work" -czf "$top/SOURCES/kmodx-$version.tar.gz" "kmodx-$version"
cp "$repo/packaging/rpm/kmodx.spec" "$top/SPECS/"
defs=(--define "_topdir $top" --define "debug_package %{nil}")

rpmbuild "${defs[@]}" --nodeps -bs "$top/SPECS/kmodx.spec" >"$work/srpm.log" 2>&1 ||
	{ cat "$work/srpm.log"; echo "FAIL: rpmbuild -bs"; exit 1; }
echo "PASS rpmbuild -bs: $(basename "$(ls "$top"/SRPMS/*.rpm)")"
if [ $quick = 1 ]; then echo "rpm-build: took $(( $(date +%s) - start )) s"; exit 0; fi

flock /tmp/kmodx-build.lock rpmbuild "${defs[@]}" --nodeps -bb "$top/SPECS/kmodx.spec" >"$work/build.log" 2>&1 ||
	{ tail -40 "$work/build.log"; echo "FAIL: rpmbuild -bb"; exit 1; }
fail=0
main=$(ls "$top"/RPMS/*/kmodx-"$version"-*.rpm)
devel=$(ls "$top"/RPMS/*/kmodx-devel-*.rpm)
rpm -qlp "$main" >"$work/main.list" 2>/dev/null
rpm -qlp "$devel" >"$work/devel.list" 2>/dev/null
echo "== $(basename "$main")"; cat "$work/main.list"
echo "== $(basename "$devel")"; cat "$work/devel.list"
for f in /usr/bin/kmodx /usr/bin/kmod /usr/sbin/depmod /usr/sbin/modprobe /usr/sbin/lsmod /etc/modprobe.d /usr/lib/modprobe.d; do
	grep -qx "$f" "$work/main.list" || { echo "FAIL: the rpm lacks $f"; fail=1; }
done
grep -q '/usr/share/man/man8/modprobe.8' "$work/main.list" || { echo "FAIL: no modprobe(8)"; fail=1; }
grep -q '/libkmodx.a$' "$work/devel.list" || { echo "FAIL: the devel rpm lacks libkmodx.a"; fail=1; }
grep -q '/libkmodx.so$' "$work/devel.list" || { echo "FAIL: the devel rpm lacks libkmodx.so"; fail=1; }
rpm -qlp "$(ls "$top"/RPMS/*/kmodx-libs-*.rpm)" 2>/dev/null | grep -q '/libkmodx.so.0$' ||
	{ echo "FAIL: the libs rpm lacks libkmodx.so.0"; fail=1; }
libkmod=$(ls "$top"/RPMS/*/kmodx-libkmod-"$version"-*.rpm | grep -v devel)
rpm -qlp "$libkmod" 2>/dev/null | grep -q '/libkmod.so.2$' || { echo "FAIL: the libkmod rpm lacks libkmod.so.2"; fail=1; }
rpm -qp --provides "$libkmod" >"$work/libkmod.provides" 2>/dev/null
for p in 'kmod-libs = 34' 'libkmod.so.2()(64bit)' 'libkmod.so.2(LIBKMOD_5)(64bit)' 'libkmod.so.2(LIBKMOD_22)(64bit)'; do
	grep -qxF "$p" "$work/libkmod.provides" || { echo "FAIL: the libkmod rpm does not provide $p"; fail=1; }
done
rpm -qp --conflicts "$libkmod" 2>/dev/null | grep -qx 'kmod-libs' || { echo "FAIL: the libkmod rpm does not conflict with kmod-libs"; fail=1; }
rpm -qlp "$(ls "$top"/RPMS/*/kmodx-libkmod-devel-*.rpm)" 2>/dev/null | grep -q '/usr/include/libkmod.h$' ||
	{ echo "FAIL: the libkmod-devel rpm lacks libkmod.h"; fail=1; }
rpm -qp --provides "$main" 2>/dev/null | grep -q '^kmod = ' || { echo "FAIL: does not provide kmod"; fail=1; }
rpm -qp --conflicts "$main" 2>/dev/null | grep -qx 'kmod' || { echo "FAIL: does not conflict with kmod"; fail=1; }
# The payload's kmodx runs.
(cd "$work" && rpm2cpio "$main" | cpio -idm --quiet) && "$work/usr/bin/kmodx" --version | grep -q kmodx ||
	{ echo "FAIL: the packaged kmodx does not run"; fail=1; }
[ $fail -eq 0 ] && echo "PASS rpmbuild -bb: the packages hold and declare what they should"
echo "rpm-build: took $(( $(date +%s) - start )) s"
exit $fail
