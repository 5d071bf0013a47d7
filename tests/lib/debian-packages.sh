# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the test scripts that need Debian kernel packages. One way to
# resolve a metapackage to the current image package, download it once into
# the cache and extract it once:
#
#   resolve_image_package linux-image-amd64   # sets pkg, ver, deb_name, kver
#   fetch_package                             # $debs/$deb_name exists afterwards
#   extract_package                           # sets extract and src (module dir)
#
# The caller sets `debs` (download cache) and `extract_root` (extraction
# cache). Pinned versions vanish from the archive, so with no usable apt
# lists the newest cached package of the same flavour is taken.
#
# It also gives the tree scripts their common start: die/log messages named
# after the script, and `parse_print_only "$@"` for their one option
# (sets print_only; -h prints the script's "# Usage:" comment block).

prog=${0##*/}
die() { echo "$prog: error: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

parse_print_only() {
	print_only=0
	case ${1:-} in
	'') ;;
	--print-only) print_only=1 ;;
	-h|--help) sed -n '/^# Usage:/,/^# --print-only/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
}

resolve_image_package() {
	local meta=$1 flavour deb
	flavour=${meta#linux-image-}
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1) || true
	ver=
	if [ -n "$pkg" ]; then
		ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
			sed -n 's/^Version: //p' | head -1) || true
	fi
	if [ -z "$pkg" ] || [ -z "$ver" ]; then
		deb=$(find "$debs" -maxdepth 1 -name '*.deb' -printf '%f\n' |
			grep -E "^linux-image-[0-9.]+-[0-9]+-${flavour}_.*_amd64\.deb\$" | sort -V | tail -1) || true
		[ -n "$deb" ] || die "cannot resolve $meta (apt-cache) and no cached .deb in $debs"
		log "apt-cache cannot resolve $meta; using cached $deb"
		pkg=${deb%%_*}
		ver=${deb#*_}
		ver=${ver%_amd64.deb}
		ver=${ver//%3a/:}
	fi
	deb_name=${pkg}_${ver//:/%3a}_amd64.deb
	kver=${pkg#linux-image-}
}

fetch_package() {
	[ -f "$debs/$deb_name" ] && return 0
	log "downloading $pkg=$ver"
	local dl
	dl=$(mktemp -d "$debs/.dl.XXXXXX")
	if ! (cd "$dl" && apt-get download -o APT::Sandbox::User=root "$pkg=$ver" >&2); then
		log "download failed; refreshing apt lists once"
		as_root apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
		(cd "$dl" && apt-get download -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
			{ rm -rf "$dl"; die "apt-get download $pkg=$ver failed"; }
	fi
	[ -f "$dl/$deb_name" ] || { ls "$dl" >&2; rm -rf "$dl"; die "expected $deb_name"; }
	mv "$dl/$deb_name" "$debs/$deb_name"
	rm -rf "$dl"
}

extract_package() {
	extract=$extract_root/${pkg}_${ver//:/%3a}
	if [ ! -f "$extract/.complete" ]; then
		log "extracting $deb_name"
		rm -rf "$extract" "$extract.tmp"
		mkdir -p "$extract.tmp"
		dpkg -x "$debs/$deb_name" "$extract.tmp"
		touch "$extract.tmp/.complete"
		mv "$extract.tmp" "$extract"
	fi
	src=$extract/lib/modules/$kver
	if [ ! -d "$src" ]; then
		# The package name did not give the directory name: take the only one.
		local n
		n=$(find "$extract/lib/modules" -mindepth 1 -maxdepth 1 -type d | wc -l)
		[ "$n" -eq 1 ] || die "cannot find the module directory in $extract"
		src=$(find "$extract/lib/modules" -mindepth 1 -maxdepth 1 -type d)
		kver=${src##*/}
	fi
}
