#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build sample module trees from Debian's current kernel image package.
#
# Usage: debian-tree.sh [--print-only]
#
# 1. linux-image-amd64 (metapackage) -> linux-image-<kver> and its version;
# 2. the .deb is downloaded (apt-get download) into
#    ${XDG_CACHE_HOME:-$HOME/.cache}/kmodx/debs/ unless already there, and
#    extracted once with dpkg -x;
# 3. a deterministic sample of the package's modules (every k-th .ko path in
#    bytewise order, about 320, plus a few well-known modules and their
#    dependencies) is copied with its relative paths into four trees
#      sample-plain, sample-xz, sample-zst, sample-gz  /lib/modules/<kver>/
#    together with the package's modules.builtin, modules.builtin.modinfo and
#    modules.order (the latter filtered to the sample, in package order);
#    xz/zst/gz are recompressed with kbuild's settings;
# 4. Debian's depmod (kmod 30) indexes plain, xz and zst.  kmod 30 has no zlib
#    and ignores .ko.gz, so sample-gz gets no index files: compare gz
#    results against the plain tree.
#
# Everything lives under ${XDG_CACHE_HOME:-$HOME/.cache}/kmodx/debian-tree/,
# keyed by package, package version and sampling rule; a repeat run only
# prints the result.  Progress goes to stderr.  stdout is a list of shell
# assignments (values quoted for the shell, so `eval "$(debian-tree.sh)"`
# works):
#   KVER=6.1.0-56-amd64           kernel version (directory under lib/modules)
#   PKG=linux-image-6.1.0-56-amd64
#   PKG_VERSION=6.1.192-2
#   SAMPLE_COUNT=338              modules in each tree
#   SAMPLE_LIST=/.../sample.list  their paths relative to lib/modules/<kver>
#                                 (uncompressed names, bytewise order)
#   ROOT_plain=/.../sample-plain  -b directory; modules in $ROOT/lib/modules/$KVER
#   ROOT_xz=... ROOT_zst=... ROOT_gz=...
#   ENV_FILE=/.../env             the same assignments, for `. "$ENV_FILE"`
# --print-only prints them without building anything (fails if not built).

set -euo pipefail
export LC_ALL=C

# shellcheck source=../lib/debian-packages.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian-packages.sh"
parse_print_only "$@"

# Bump when the produced trees change for the same package and rule.
FORMAT=1
TARGET=320
# Always sampled (if present), together with their dependency closure.
INCLUDE=(
	kernel/fs/fat/vfat.ko
	kernel/fs/fat/fat.ko
	kernel/drivers/net/vxlan/vxlan.ko
	kernel/fs/fuse/fuse.ko
	kernel/drivers/net/tun.ko
	kernel/drivers/input/misc/uinput.ko
	kernel/fs/btrfs/btrfs.ko
	kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko
	kernel/drivers/usb/storage/usb-storage.ko
	kernel/drivers/md/dm-crypt.ko
	kernel/net/8021q/8021q.ko
	kernel/fs/nls/nls_cp437.ko
)
RULE="format=$FORMAT every-kth target=$TARGET k=floor(n/target) first=1 include=${INCLUDE[*]} closure=depends"

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kmodx
debs=$cache_root/debs
base=$cache_root/debian-tree
mkdir -p "$debs" "$base"

# shellcheck source=../../scripts/packages.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/packages.sh"
ensure_packages kmod xz-utils zstd gzip
depmod=$(command -v depmod || echo /sbin/depmod)
modinfo=$(command -v modinfo || echo /sbin/modinfo)

# ---------------------------------------------------------------- package
extract_root=$base/extract

pkg='' ver='' deb_name='' kver=''
resolve_image_package linux-image-amd64
key=$(printf '%s\n' "$pkg" "$ver" "$RULE" | sha256sum | cut -c1-12)
dir=$base/${pkg}_${ver//:/%3a}-$key

print_result() {
	local f
	{
		printf 'KVER=%q\n' "$kver"
		printf 'PKG=%q\n' "$pkg"
		printf 'PKG_VERSION=%q\n' "$ver"
		printf 'SAMPLE_COUNT=%q\n' "$(wc -l <"$dir/sample.list")"
		printf 'SAMPLE_LIST=%q\n' "$dir/sample.list"
		for f in plain xz zst gz; do
			printf 'ROOT_%s=%q\n' "$f" "$dir/sample-$f"
		done
		printf 'ENV_FILE=%q\n' "$dir/env"
	}
}

if [ -f "$dir/.complete" ]; then
	log "using cached trees in $dir"
	cat "$dir/env"
	exit 0
fi
[ "$print_only" = 0 ] || die "trees not built yet ($dir)"

exec 9>"$base/.lock"
flock 9
if [ -f "$dir/.complete" ]; then
	cat "$dir/env"
	exit 0
fi

# ---------------------------------------------------------------- download
fetch_package
extract_package

# ---------------------------------------------------------------- sample
tmp=$dir.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"

(cd "$src" && find kernel -name '*.ko' -type f) | sort >"$tmp/all.list"
n_all=$(wc -l <"$tmp/all.list")
[ "$n_all" -gt 0 ] || die "no modules in $src"
k=$((n_all / TARGET))
[ "$k" -ge 1 ] || k=1
awk -v k="$k" '(NR - 1) % k == 0' "$tmp/all.list" >"$tmp/sample.0"

# name -> path table for the dependency closure (module names use '_')
awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
	"$tmp/all.list" >"$tmp/names"
: >"$tmp/include"
for m in "${INCLUDE[@]}"; do
	[ -f "$src/$m" ] && printf '%s\n' "$m" >>"$tmp/include"
done
# breadth-first closure over modinfo's depends= field
todo=$(cat "$tmp/include")
while [ -n "$todo" ]; do
	next=
	while IFS= read -r m; do
		deps=$("$modinfo" -F depends "$src/$m" | tr ',' '\n')
		while IFS= read -r d; do
			[ -n "$d" ] || continue
			p=$(awk -v n="$d" '$1 == n { print $2; exit }' "$tmp/names")
			[ -n "$p" ] || continue
			grep -qxF "$p" "$tmp/include" && continue
			printf '%s\n' "$p" >>"$tmp/include"
			next+=$p$'\n'
		done <<<"$deps"
	done <<<"$todo"
	todo=${next%$'\n'}
done
sort -u "$tmp/sample.0" "$tmp/include" >"$tmp/sample.list"
rm -f "$tmp/sample.0" "$tmp/names" "$tmp/include"
count=$(wc -l <"$tmp/sample.list")
log "sampled $count of $n_all modules (every ${k}th plus $(( ${#INCLUDE[@]} )) known ones and their deps)"

# ---------------------------------------------------------------- trees
for flavour in plain xz zst gz; do
	md=$tmp/sample-$flavour/lib/modules/$kver
	mkdir -p "$md"
	while IFS= read -r rel; do
		mkdir -p "$md/${rel%/*}"
		cp "$src/$rel" "$md/$rel"
	done <"$tmp/sample.list"
	for f in modules.builtin modules.builtin.modinfo; do
		[ -f "$src/$f" ] && cp "$src/$f" "$md/$f"
	done
	if [ -f "$src/modules.order" ]; then
		grep -xFf "$tmp/sample.list" "$src/modules.order" >"$md/modules.order" || true
	fi
	case $flavour in
	plain) continue ;;
	xz) cmd='xz --check=crc32 --lzma2=dict=1MiB -f "$@"' ;;
	zst) cmd='zstd -q -19 --rm -f "$@"' ;;
	gz) cmd='gzip -n -9 -f "$@"' ;;
	esac
	log "compressing sample-$flavour"
	(cd "$md" && tr '\n' '\0' <"$tmp/sample.list" | xargs -0 -n 16 -P 2 sh -c "$cmd" sh)
done

for flavour in plain xz zst; do
	log "depmod sample-$flavour"
	"$depmod" -b "$tmp/sample-$flavour" "$kver" ||
		die "depmod -b sample-$flavour $kver failed"
done

rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
print_result >"$dir/env"
touch "$dir/.complete"
cat "$dir/env"
