#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Complete module trees of Debian's current kernel image packages, for the
# depmod differential test and the depmod benchmark.
#
# Usage: debian-full-trees.sh [--print-only]
#
# For linux-image-amd64 and linux-image-cloud-amd64 (metapackages resolved
# with apt-cache; the newest cached .deb when apt cannot resolve them), the
# image package is downloaded and extracted once (shared with debian-tree.sh),
# then four trees are made from its module directory:
#   plain  hard links to the extracted modules
#   xz     xz --check=crc32 --lzma2=dict=1MiB   (kbuild's settings)
#   zst    zstd -19
#   gz     gzip -n -9
# Each keeps the package's modules.order, modules.builtin and
# modules.builtin.modinfo and none of its index files. Everything lives under
# ${XDG_CACHE_HOME:-$HOME/.cache}/kmodx/debian-full/; a repeat run only prints
# the result. Trees are read-only inputs: run depmod with -o, or on a
# `cp -al` copy (depmod replaces its outputs by rename, never in place).
#
# stdout: shell assignments, for eval:
#   TREES='amd64 cloud'
#   KVER_amd64=6.1.0-56-amd64  PKG_amd64=...  COUNT_amd64=4023
#   ROOT_amd64_plain=/... ROOT_amd64_xz=... ROOT_amd64_zst=... ROOT_amd64_gz=...
#   (the same for cloud)
# --print-only prints them without building anything (fails if not built).

set -euo pipefail
export LC_ALL=C

# shellcheck source=../lib/debian-packages.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian-packages.sh"
parse_print_only "$@"

# Bump when the produced trees change for the same package.
FORMAT=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kmodx
debs=$cache_root/debs
extract_root=$cache_root/debian-tree/extract
base=$cache_root/debian-full
mkdir -p "$debs" "$extract_root" "$base"

# shellcheck source=../../scripts/packages.sh
. "$here/../../scripts/packages.sh"
[ "$print_only" = 1 ] || ensure_packages xz-utils zstd gzip

# Index files depmod writes; never copied into a tree.
is_depmod_output() {
	case $1 in
	modules.dep | modules.dep.bin | modules.alias | modules.alias.bin | modules.symbols | \
		modules.symbols.bin | modules.softdep | modules.weakdep | modules.devname | \
		modules.builtin.bin | modules.builtin.alias.bin) return 0 ;;
	esac
	return 1
}

make_tree() {  # flavour source-module-dir destination-module-dir
	local flavour=$1 from=$2 to=$3 f cmd
	mkdir -p "$to"
	for f in "$from"/*; do
		[ -f "$f" ] || continue
		is_depmod_output "${f##*/}" || cp "$f" "$to/"
	done
	if [ "$flavour" = plain ]; then
		cp -al "$from/kernel" "$to/kernel"
		return
	fi
	(cd "$from" && find kernel -type d) | (cd "$to" && xargs -d '\n' mkdir -p)
	case $flavour in
	xz) cmd='xz --check=crc32 --lzma2=dict=1MiB -c "$f" >"$to/$f.xz"' ;;
	zst) cmd='zstd -q -19 -c "$f" >"$to/$f.zst"' ;;
	gz) cmd='gzip -n -9 -c "$f" >"$to/$f.gz"' ;;
	esac
	log "compressing $flavour tree ($(find "$from/kernel" -name '*.ko' | wc -l) modules)"
	(cd "$from" && find kernel -name '*.ko' -type f -print0) |
		to=$to xargs -0 -n 32 -P "$(nproc)" sh -c "cd \"\$0\" && for f; do $cmd || exit 1; done" "$from" ||
		die "compressing the $flavour tree failed"
}

out=''
trees=''
for meta in linux-image-amd64 linux-image-cloud-amd64; do
	case $meta in
	linux-image-amd64) tree=amd64 ;;
	linux-image-cloud-amd64) tree=cloud ;;
	esac
	pkg='' ver='' deb_name='' kver=''
	resolve_image_package "$meta"
	dir=$base/${pkg}_${ver//:/%3a}-f$FORMAT
	if [ ! -f "$dir/.complete" ]; then
		[ "$print_only" = 0 ] || die "trees not built yet ($dir)"
		exec 9>"$base/.lock"
		flock 9
		if [ ! -f "$dir/.complete" ]; then
			fetch_package
			extract_package
			tmp=$dir.tmp.$$
			rm -rf "$tmp"
			trap 'rm -rf "$tmp"' EXIT
			for flavour in plain xz zst gz; do
				make_tree "$flavour" "$src" "$tmp/$flavour/lib/modules/$kver"
			done
			find "$src/kernel" -name '*.ko' | wc -l >"$tmp/count"
			echo "$kver" >"$tmp/kver"
			rm -rf "$dir"
			mv "$tmp" "$dir"
			trap - EXIT
			touch "$dir/.complete"
		fi
		exec 9>&-
	fi
	kver=$(cat "$dir/kver")
	trees+="${trees:+ }$tree"
	out+=$(printf 'KVER_%s=%q\nPKG_%s=%q\nCOUNT_%s=%q\n' "$tree" "$kver" "$tree" "$pkg=$ver" \
		"$tree" "$(cat "$dir/count")")$'\n'
	for flavour in plain xz zst gz; do
		out+=$(printf 'ROOT_%s_%s=%q' "$tree" "$flavour" "$dir/$flavour")$'\n'
	done
done
printf 'TREES=%q\n%s' "$trees" "$out"
