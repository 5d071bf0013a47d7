#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The kernel's own export list and image for Debian's current amd64 module
# tree (the one debian-full-trees.sh builds as KVER_amd64), for the
# `kmodx check` test.
#
# Usage: debian-headers.sh [--print-only]
#
# linux-image-amd64 is resolved as debian-full-trees.sh resolves it (apt-cache;
# the newest cached .deb when apt cannot), which gives linux-image-<kver> and
# its version. linux-headers-<kver> of the same version is downloaded into
# ${XDG_CACHE_HOME:-$HOME/.cache}/kmodx/debs/ unless already there (the image
# package too, where debian-full-trees.sh has not fetched it), and two files
# are extracted once into ${XDG_CACHE_HOME:-$HOME/.cache}/kmodx/debian-headers/:
#   Module.symvers   ./usr/src/linux-headers-<kver>/Module.symvers of the headers package
#   vmlinuz-<kver>   ./boot/vmlinuz-<kver> of the image package
# A repeat run only prints the result, and works offline.
#
# stdout: shell assignments, for eval:
#   KVER_amd64=6.1.0-57-amd64
#   SYMVERS_amd64=/.../Module.symvers
#   VMLINUZ_amd64=/.../vmlinuz-6.1.0-57-amd64
# --print-only prints them without downloading or extracting (fails if not there).

set -euo pipefail
export LC_ALL=C

# shellcheck source=../lib/debian-packages.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian-packages.sh"
parse_print_only "$@"

# Bump when the extracted files change for the same packages.
FORMAT=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kmodx
debs=$cache_root/debs
base=$cache_root/debian-headers
mkdir -p "$debs" "$base"

# shellcheck source=../../scripts/packages.sh
. "$here/../../scripts/packages.sh"

# Copies one member of a .deb to a file, without extracting the rest.
extract_member() {  # deb member destination
	local deb=$1 member=$2 to=$3
	dpkg-deb --fsys-tarfile "$deb" | tar -xO -f - "$member" >"$to.tmp" ||
		{ rm -f "$to.tmp"; die "cannot extract $member from ${deb##*/}"; }
	[ -s "$to.tmp" ] || { rm -f "$to.tmp"; die "$member of ${deb##*/} is empty"; }
	mv "$to.tmp" "$to"
}

pkg='' ver='' deb_name='' kver=''
resolve_image_package linux-image-amd64
image_pkg=$pkg image_deb=$deb_name
headers_pkg=linux-headers-$kver
dir=$base/${headers_pkg}_${ver//:/%3a}-f$FORMAT
if [ ! -f "$dir/.complete" ]; then
	[ "$print_only" = 0 ] || die "headers not extracted yet ($dir)"
	exec 9>"$base/.lock"
	flock 9
	if [ ! -f "$dir/.complete" ]; then
		ensure_packages dpkg tar
		# fetch_package works on pkg/ver/deb_name: the image first, then the headers.
		fetch_package
		pkg=$headers_pkg
		deb_name=${pkg}_${ver//:/%3a}_amd64.deb
		fetch_package
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		trap 'rm -rf "$tmp"' EXIT
		mkdir -p "$tmp"
		log "extracting Module.symvers from $deb_name and vmlinuz-$kver from $image_deb"
		extract_member "$debs/$deb_name" "./usr/src/$headers_pkg/Module.symvers" "$tmp/Module.symvers"
		extract_member "$debs/$image_deb" "./boot/vmlinuz-$kver" "$tmp/vmlinuz-$kver"
		echo "$kver" >"$tmp/kver"
		echo "$image_pkg=$ver $headers_pkg=$ver" >"$tmp/packages"
		rm -rf "$dir"
		mv "$tmp" "$dir"
		trap - EXIT
		touch "$dir/.complete"
	fi
	exec 9>&-
fi
kver=$(cat "$dir/kver")
printf 'KVER_amd64=%q\nSYMVERS_amd64=%q\nVMLINUZ_amd64=%q\n' "$kver" "$dir/Module.symvers" "$dir/vmlinuz-$kver"
