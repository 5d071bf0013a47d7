#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# VM differential test: kmodx's modprobe/insmod/rmmod/lsmod against Debian's
# kmod 30 on real Debian kernels, inside qemu. Nothing is ever loaded into
# the host's kernel: on the host this script only runs apt-get, dpkg -x,
# kbuild (the fixture modules), depmod -b on staging roots, cpio and qemu.
#
# Usage: run-vm-tests.sh [KMODX]
#
# KMODX is the kmodx binary (default: build/kmodx of this repository).
# For each kernel it boots an initramfs whose /init (guest-init.sh) runs the
# steps of scenarios.sh twice, with kmod 30's tools and with kmodx's, each
# from the boot baseline, and prints both records; the host compares them
# step by step. Deliberate differences are declared in scenarios.sh (`differ`)
# and asserted exactly. Exit 0 only when every step compares equal (or as
# declared), every guest powered off after a complete run, and no harness
# error was reported.
#
# Kernels (Debian packages, cached under ${XDG_CACHE_HOME:-~/.cache}/kmodx):
#   linux-image-cloud-amd64       the current bookworm cloud kernel (6.1):
#                                 plain .ko, no in-kernel decompression
#   linux-image-6.12-cloud-amd64  bookworm-security's 6.12 cloud kernel:
#                                 .ko.xz, /sys/module/compression = xz
# The fixture modules (fixtures/modules) are built against each kernel's own
# headers (tests/fixtures/build-fixtures.sh --kver), installed with apt-get
# when missing (the 6.12 headers package pulls in its image package).
#
# Environment:
#   KMODX_VM_SELFTEST=1   run kmod 30 on both sides (validates the harness:
#                         every step must compare equal; declared differences
#                         are checked to apply to kmod's record, then skipped)
#   KMODX_VM_KERNELS      metapackages to boot (default
#                         "linux-image-cloud-amd64 linux-image-6.12-cloud-amd64")
#   KMODX_VM_JOBS         guests run at once (default: 2 if there are 2 CPUs)
#   KMODX_VM_TIMEOUT      seconds per guest before qemu is killed (default 240)
#   KMODX_VM_VERBOSE=1    list every step's result, not only the failures
#   KEEP=1                keep the work directory (kept anyway on failure)
#   KMODX_VM_RECOMPARE=DIR  compare the console logs of a kept work directory
#                         again (after editing scenarios.sh's `differ` lines)
#                         without building or booting anything
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/packages.sh
. "$repo/scripts/packages.sh"
# shellcheck source=../lib/debian-packages.sh
. "$repo/tests/lib/debian-packages.sh"

case ${1:-} in -h|--help) sed -n '/^# Usage:/,/^# *KEEP=1/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
[ $# -le 1 ] || die "usage: $0 [KMODX]"
selftest=${KMODX_VM_SELFTEST:-0}
kmodx=${1:-$repo/build/kmodx}
if [ "$selftest" != 1 ]; then
	[ -x "$kmodx" ] || die "no kmodx binary at $kmodx"
	kmodx=$(realpath "$kmodx")
fi
kernels=${KMODX_VM_KERNELS:-linux-image-cloud-amd64 linux-image-6.12-cloud-amd64}
jobs=${KMODX_VM_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
qemu_timeout=${KMODX_VM_TIMEOUT:-240}
verbose=${KMODX_VM_VERBOSE:-0}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/kmodx
debs=$cache/debs
extract_root=$cache/vm/extract
mkdir -p "$debs" "$extract_root"

recompare=${KMODX_VM_RECOMPARE:-}
if [ -n "$recompare" ]; then
	work=$(realpath "$recompare")
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/kmodx-vm.XXXXXX")
	keep=${KEEP:-0}
fi
cleanup() { if [ "$keep" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

[ -n "$recompare" ] || ensure_packages qemu-system-x86 busybox-static cpio kmod xz-utils zstd gzip binutils perl systemd udev
busybox=/bin/busybox
if ! [ -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then die "$busybox is not busybox-static's"; fi
host_kmod=$(readlink -f "$(command -v kmod || echo /usr/bin/kmod)")
[ -x "$host_kmod" ] || die "Debian's kmod not found"

# ---------------------------------------------------------------- scenarios
# The host reads the same file as the guest, with these functions: the list
# of step names (the guest's records must hold exactly these, in order) and
# the declared differences.
declare -a step_names=()
declare -A differ_reason=() differ_sed=() differ_from=() step_index=()
group() { :; }
reset() { :; }
conf() { :; }
step() {
	[ -z "${step_index[$1]:-}" ] || die "scenarios.sh: step $1 twice"
	step_names+=("$1")
	step_index[$1]=${#step_names[@]}
}
step_sorted() { step "$@"; }
differ() {
	[ -n "${step_index[$1]:-}" ] || die "scenarios.sh: differ names $1 before (or without) its step"
	[ $# -le 4 ] || die "scenarios.sh: differ $1: too many arguments"
	[ -z "${4:-}" ] || [ -n "${step_index[$4]:-}" ] || die "scenarios.sh: differ $1: no earlier step $4"
	differ_reason[$1]=$2
	differ_sed[$1]=$3
	differ_from[$1]=${4:-$1}
}
# differ_on COMPRESSION NAME ...: as differ, on the kernels whose
# /sys/module/compression is COMPRESSION; on the others NAME's records must
# be equal.
declare -A differ_only=()
differ_on() {
	local on=$1
	shift
	differ "$@"
	differ_only[$1]=$on
}
# shellcheck source=scenarios.sh
. "$here/scenarios.sh"
unset -f group reset conf step step_sorted differ differ_on
log "${#step_names[@]} steps, ${#differ_reason[@]} declared differences"

# ---------------------------------------------------------------- initramfs
# Two newc archives, concatenated at boot (the kernel unpacks them in turn):
# common.cpio (busybox, kmod 30, kmodx, the scripts), the same for every
# kernel, and one per kernel (modules, indexes, module copies).
cpio_of() { # DIR OUT
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$2"
}
copy_with_libs() { # ROOT SRC DEST (absolute path inside ROOT)
	local root=$1 src=$2 dst=$3 lib
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
	for lib in $(ldd "$src" | grep -oE '/[^ ]+' | sort -u); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
tools="modprobe insmod rmmod lsmod modinfo depmod"

build_common() {
	local root=$work/common t
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc/modprobe.d,vm,opt/kmod/sbin,opt/kmodx/sbin}
	cp "$busybox" "$root/bin/busybox"
	"$busybox" --list-full | while read -r p; do
		[ "$p" = bin/busybox ] && continue
		mkdir -p "$root/$(dirname "$p")"
		ln -sf /bin/busybox "$root/$p"
	done
	install -m 0755 "$here/guest-init.sh" "$root/init"
	install -m 0755 "$here/kreq.sh" "$root/vm/kreq"
	install -m 0644 "$here/scenarios.sh" "$root/vm/scenarios.sh"
	copy_with_libs "$root" "$host_kmod" /usr/bin/kmod
	for t in $tools; do ln -s /usr/bin/kmod "$root/opt/kmod/sbin/$t"; done
	if [ "$selftest" = 1 ]; then
		for t in $tools; do ln -s /usr/bin/kmod "$root/opt/kmodx/sbin/$t"; done
	else
		# without debug information: a smaller archive boots faster
		strip --strip-debug -o "$work/kmodx.stripped" "$kmodx"
		copy_with_libs "$root" "$work/kmodx.stripped" /opt/kmodx/bin/kmodx
		# and the libraries it opens with dlopen() (ldd does not see them),
		# as an initramfs hook must copy them (packaging/debian/hooks/kmodx):
		# their SONAMEs are in the build's CMake cache
		local cache soname libdir
		cache=$(dirname "$kmodx")/CMakeCache.txt
		libdir=$(dirname "$(ldd "$kmodx" | grep -oE '/[^ ]*/libc\.so\.6')")
		[ -f "$cache" ] && [ -n "$libdir" ] || die "no CMakeCache.txt beside $kmodx, or no libc in its ldd"
		for soname in $(sed -n 's/^KMODX_[A-Z]*_SONAME:STRING=//p' "$cache"); do
			[ -e "$libdir/$soname" ] || die "$soname (dlopen'ed by kmodx) is not in $libdir"
			[ -e "$root$libdir/$soname" ] || { mkdir -p "$root$libdir"; cp -L "$libdir/$soname" "$root$libdir/$soname"; }
		done
		for t in $tools; do ln -s /opt/kmodx/bin/kmodx "$root/opt/kmodx/sbin/$t"; done
	fi
	# libkmod.so.2's clients, unmodified Debian binaries: systemd-modules-load
	# and udevadm with their libraries; each side puts its libkmod.so.2 first
	# with LD_LIBRARY_PATH=/opt/<side>/lib: Debian's libkmod2 for kmod 30,
	# kmodx's libkmod.so.2 (beside the kmodx binary's build) for kmodx.
	copy_with_libs "$root" /lib/systemd/systemd-modules-load /usr/lib/systemd/systemd-modules-load
	copy_with_libs "$root" /bin/udevadm /usr/bin/udevadm
	local debian_libkmod ours
	debian_libkmod=$(ldd /bin/udevadm | grep -oE '/[^ ]*/libkmod\.so\.2')
	[ "$(dpkg -S "$(readlink -f "$debian_libkmod")" 2>/dev/null | cut -d: -f1)" = libkmod2 ] ||
		die "udevadm's libkmod.so.2 ($debian_libkmod) is not Debian's libkmod2's"
	mkdir -p "$root/opt/kmod/lib" "$root/opt/kmodx/lib"
	cp -L "$debian_libkmod" "$root/opt/kmod/lib/libkmod.so.2"
	if [ "$selftest" = 1 ]; then
		cp -L "$debian_libkmod" "$root/opt/kmodx/lib/libkmod.so.2"
	else
		ours=$(dirname "$kmodx")/libkmod/libkmod.so.2
		[ -f "$ours" ] || die "no $ours (kmodx's libkmod.so.2: a build with KMODX_SHARED_LIBRARIES)"
		strip --strip-debug -o "$work/libkmod.so.2" "$ours"
		copy_with_libs "$root" "$work/libkmod.so.2" /opt/kmodx/lib/libkmod.so.2  # with libstdc++
	fi
	cpio_of "$root" "$work/common.cpio"
}

# resolve_kernel META: pkg, ver, deb_name, kver (tests/lib/debian-packages.sh),
# falling back to the newest cached .deb of that series when apt cannot say
resolve_kernel() {
	local meta=$1 series deb
	if apt-cache depends "$meta" 2>/dev/null | grep -q '^ *Depends: linux-image-[0-9]'; then
		resolve_image_package "$meta"
		return
	fi
	case $meta in
	linux-image-cloud-amd64) resolve_image_package "$meta"; return ;;
	linux-image-*-cloud-amd64) series=${meta#linux-image-}; series=${series%-cloud-amd64} ;;
	*) die "cannot resolve $meta" ;;
	esac
	deb=$(find "$debs" -maxdepth 1 -name "linux-image-${series}.*-cloud-amd64_*_amd64.deb" -printf '%f\n' |
		sort -V | tail -1)
	[ -n "$deb" ] || die "cannot resolve $meta (apt-cache) and no cached .deb in $debs"
	log "apt-cache cannot resolve $meta; using cached $deb"
	pkg=${deb%%_*}
	ver=${deb#*_}
	ver=${ver%_amd64.deb}
	ver=${ver//%3a/:}
	deb_name=$deb
	kver=${pkg#linux-image-}
}

# module name -> file in the kernel package's tree ("-" and "_" are the same)
find_module() { # NAME
	local n=${1//-/_}
	awk -v n="$n" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b); gsub(/-/, "_", b); if (b == n) { print; exit } }' "$kwork/all-modules"
}
decompress() { # FILE -> stdout
	case $1 in
	*.xz) xz -dc "$1" ;; *.zst) zstd -dcq "$1" ;; *.gz) gzip -dc "$1" ;; *) cat "$1" ;;
	esac
}

# Debian modules in the guest: these and what they depend on (crc32c-intel
# provides the alias crc32c, libcrc32c's soft pre-dependency)
debian_modules="vfat msdos fat xfs libcrc32c crc32c-intel iptable_filter ip_tables x_tables vxlan dummy"
# loaded all at once by the parallel group (kmod 30 in order, kmodx with
# --parallel): software modules that need no hardware
parallel_modules="vxlan geneve bonding dummy veth macvlan ipvlan 8021q bridge tun nf_tables nft_ct nft_nat
nf_conntrack ip6_tables iptable_nat iptable_mangle xt_conntrack xt_MASQUERADE overlay squashfs isofs udf fuse
btrfs raid1 raid456 zram sch_htb cls_u32 nbd ip_gre ipip sit wireguard"

build_kernel() { # META -> $kwork/{vmlinuz,kernel.cpio,kver}
	local meta=$1 root m f rel queue done_list dep moddir fxroot
	resolve_kernel "$meta"
	fetch_package
	extract_package
	kwork=$work/$kver
	mkdir -p "$kwork"
	echo "$kver" >"$kwork/kver"
	cp "$extract/boot/vmlinuz-$kver" "$kwork/vmlinuz"
	root=$kwork/root
	moddir=$root/lib/modules/$kver
	mkdir -p "$moddir"
	(cd "$src" && find kernel -name '*.ko*' | LC_ALL=C sort) >"$kwork/all-modules"

	# the parallel group's modules that this kernel has as modules
	local present=()
	for m in $parallel_modules; do [ -n "$(find_module "$m")" ] && present+=("$m"); done
	[ ${#present[@]} -ge 30 ] || die "$kver: only ${#present[@]} of the parallel group's modules: ${present[*]}"
	mkdir -p "$root/vm"
	echo "${present[*]}" >"$root/vm/parallel-modules"

	# the Debian subset, closed under "depends" (modinfo reads the files)
	queue="$debian_modules ${present[*]}" done_list=" "
	while [ -n "$queue" ]; do
		set -- $queue
		m=${1//-/_}
		shift
		queue="$*"
		case $done_list in *" $m "*) continue ;; esac
		done_list="$done_list$m "
		rel=$(find_module "$m")
		[ -n "$rel" ] || die "$kver: module $m not found"
		mkdir -p "$moddir/$(dirname "$rel")"
		cp "$src/$rel" "$moddir/$rel"
		for dep in $(modinfo -F depends "$src/$rel" | tr ',' ' '); do queue="$queue $dep"; done
	done
	cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo "$moddir/"

	# the fixtures, built against this kernel's headers
	fxroot=$kwork/fixtures
	bash "$repo/tests/fixtures/build-fixtures.sh" --no-depmod --kver "$kver" "$fxroot" >"$kwork/fixtures.log" 2>&1 ||
		{ cat "$kwork/fixtures.log" >&2; die "$kver: build-fixtures.sh failed"; }
	mkdir -p "$moddir/kernel/drivers"
	cp -r "$fxroot/lib/modules/$kver/kernel/drivers/kmodx" "$moddir/kernel/drivers/"
	cat "$fxroot/lib/modules/$kver/modules.order" >>"$moddir/modules.order"
	depmod -b "$root" "$kver" || die "$kver: depmod -b failed"

	# module copies for insmod
	local data=$root/vm/data fx=$moddir/kernel/drivers/kmodx
	mkdir -p "$data"
	decompress "$src/$(find_module dummy)" >"$data/dummy.ko"
	xz --check=crc32 --lzma2=dict=1MiB -k "$data/dummy.ko"
	# plain xz's default check, CRC64, which the kernel's decompressor lacks
	xz --check=crc64 -c "$data/dummy.ko" >"$data/dummy-crc64.ko.xz"
	zstd -q -19 -k "$data/dummy.ko"
	gzip -n -9 -k "$data/dummy.ko"
	xz --check=crc32 --lzma2=dict=1MiB -c "$fx/chain/kx_chain_c.ko" >"$data/kx_chain_c.ko.xz"
	# the taint probe (guest-init.sh): dummy without its signature, and a
	# fixture (out of tree, never signed)
	perl -0777 -e '
		local $/; my $d = <STDIN>; my $m = "~Module signature appended~\n";
		substr($d, -length $m) eq $m or die "not signed\n";
		my $len = unpack("N", substr($d, -length($m) - 4, 4));
		print substr($d, 0, length($d) - length($m) - 12 - $len);' <"$data/dummy.ko" >"$data/taint-unsigned.ko" ||
		die "$kver: cannot strip the signature of dummy.ko"
	cp "$fx/chain/kx_chain_c.ko" "$data/taint-oot.ko"
	zstd -q -19 -c "$fx/chain/kx_chain_b.ko" >"$data/kx_chain_b.ko.zst"
	# a wrong vermagic, same length: the kernel compares the part after the
	# release when modversions are on, so change "mod_unload"
	perl -0777 -pe 's/(vermagic=[^\0]*?)mod_unload/$1MOD_UNLOAD/' "$fx/diamond/kx_base.ko" >"$data/kx_base-badvermagic.ko"
	! cmp -s "$fx/diamond/kx_base.ko" "$data/kx_base-badvermagic.ko" || die "$kver: vermagic rewrite did nothing"
	[ "$(stat -c %s "$fx/diamond/kx_base.ko")" = "$(stat -c %s "$data/kx_base-badvermagic.ko")" ] ||
		die "$kver: vermagic rewrite changed the size"
	# /vm/bad: a tree whose kx_base has that vermagic (modprobe -d /vm/bad)
	mkdir -p "$root/vm/bad/lib/modules/$kver/kernel" "$root/vm/xz/lib/modules/$kver/kernel"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		: >"$root/vm/bad/lib/modules/$kver/$f"
		: >"$root/vm/xz/lib/modules/$kver/$f"
	done
	cp "$data/kx_base-badvermagic.ko" "$root/vm/bad/lib/modules/$kver/kernel/kx_base.ko"
	depmod -b "$root/vm/bad" "$kver" || die "$kver: depmod -b /vm/bad failed"
	# /vm/xz: the chain compressed with xz (modprobe -d /vm/xz)
	for m in kx_chain_a kx_chain_b kx_chain_c; do
		xz --check=crc32 --lzma2=dict=1MiB -c "$fx/chain/$m.ko" >"$root/vm/xz/lib/modules/$kver/kernel/$m.ko.xz"
	done
	depmod -b "$root/vm/xz" "$kver" || die "$kver: depmod -b /vm/xz failed"
	# /vm/xz64: kx_chain_c compressed by plain xz (CRC64), for modprobe -v
	mkdir -p "$root/vm/xz64/lib/modules/$kver/kernel"
	for f in modules.order modules.builtin modules.builtin.modinfo; do : >"$root/vm/xz64/lib/modules/$kver/$f"; done
	xz --check=crc64 -c "$fx/chain/kx_chain_c.ko" >"$root/vm/xz64/lib/modules/$kver/kernel/kx_chain_c.ko.xz"
	depmod -b "$root/vm/xz64" "$kver" || die "$kver: depmod -b /vm/xz64 failed"

	cpio_of "$root" "$kwork/kernel.cpio"
	cat "$work/common.cpio" "$kwork/kernel.cpio" >"$kwork/initramfs.cpio"
	log "$kver: initramfs $(du -h "$kwork/initramfs.cpio" | cut -f1)"
}

# ---------------------------------------------------------------- boot
cmdline="console=ttyS0 panic=-1 loglevel=4 kx_params.p_int=7 modprobe.blacklist=kx_info"
boot() { # KWORK: console log in KWORK/console.log, seconds in KWORK/seconds
	local kw=$1 t0 rc
	t0=$(date +%s.%N)
	set +e
	timeout --foreground -k 5 "$qemu_timeout" qemu-system-x86_64 -accel tcg -cpu max -smp 4 -m 768 \
		-nodefaults -display none -serial stdio -no-reboot \
		-kernel "$kw/vmlinuz" -initrd "$kw/initramfs.cpio" -append "$cmdline" </dev/null 2>&1 |
		sed -u 's/\r$//' >"$kw/console.log"
	rc=${PIPESTATUS[0]}
	set -e
	echo "$rc" >"$kw/qemu-rc"
	elapsed "$t0" >"$kw/seconds"
}

# ---------------------------------------------------------------- compare
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# compare KWORK: the two records of one guest, step by step
compare() {
	local kw=$1 kv side i name k x n_same=0 n_decl=0 n_diff=0 log=$1/console.log exp
	kv=$(cat "$kw/kver")
	local qrc secs
	qrc=$(cat "$kw/qemu-rc") secs=$(cat "$kw/seconds")
	echo "=== $kv: qemu exit $qrc after ${secs}s ($(grep -m1 -o 'compression=[a-z]*' "$log" || echo 'no info'))"
	local compression
	compression=$(grep -m1 -o 'compression=[a-z]*' "$log" | cut -d= -f2)
	[ "$qrc" = 0 ] || fail "$kv: qemu exit status $qrc (124 = timeout after ${qemu_timeout}s)"
	grep -q '^KMODXVM-DONE' "$log" || fail "$kv: the guest did not finish (no KMODXVM-DONE); console: $log"
	if grep -E 'Kernel panic|BUG:|Oops|general protection' "$log"; then fail "$kv: kernel crash"; fi
	if grep '^KMODXVM-ERROR' "$log"; then fail "$kv: harness error in the guest"; fi
	grep '^KMODXVM-INFO' "$log" | sed 's/^/  /'
	# the wall time of each side's parallel-load step (no target: a bench
	# number, tests/bench/parallel-load-vm.sh)
	grep '^KMODXVM-TIME' "$log" | sed 's/^/  /'
	for side in kmod kmodx; do
		mkdir -p "$kw/$side"
		sed -n "/^KMODXVM-BEGIN $side\$/,/^KMODXVM-END $side\$/{/^KMODXVM-/d;p}" "$log" |
			awk -v d="$kw/$side" '/^@@STEP [0-9]+ /{ if (f) close(f); f = d "/" $3 } f { print > f }'
	done
	local missing=()
	for i in "${!step_names[@]}"; do
		name=${step_names[$i]}
		k=$kw/kmod/$name
		x=$kw/kmodx/$name
		if ! [ -f "$k" ] || ! [ -f "$x" ]; then
			missing+=("$name")
			continue
		fi
		if [ -n "${differ_reason[$name]:-}" ] &&
			{ [ -z "${differ_only[$name]:-}" ] || [ "${differ_only[$name]}" = "$compression" ]; }; then
			# records without their "@@STEP" line: FROM's may stand for NAME's
			exp=$kw/expected-$name
			tail -n +2 "$kw/kmod/${differ_from[$name]}" |
				sed -e "${differ_sed[$name]//@KVER@/$kv}" >"$exp" || { fail "$kv: $name: the declared sed script fails"; continue; }
			if [ "$selftest" = 1 ]; then
				if ! cmp -s "$k" "$x"; then
					fail "$kv: $name: kmod 30 differs from itself"
					diff -u --label "kmod 30 (first run)" --label "kmod 30 (second run)" "$k" "$x" | sed 's/^/    /' || true
				elif tail -n +2 "$k" | cmp -s - "$exp"; then
					fail "$kv: $name: the declared difference is no difference for kmod 30"
				else
					n_decl=$((n_decl + 1))
					[ "$verbose" = 1 ] && echo "  declared $name (selftest: equal; the declared change applies to kmod 30's record)"
				fi
			elif tail -n +2 "$x" | cmp -s - "$exp"; then
				n_decl=$((n_decl + 1))
				[ "$verbose" = 1 ] && echo "  declared $name: differs exactly as declared"
			else
				n_diff=$((n_diff + 1))
				if cmp -s "$k" "$x"; then
					fail "$kv: step $((i + 1)) $name: declared difference missing, kmodx behaves like kmod 30 (${differ_reason[$name]})"
				else
					fail "$kv: step $((i + 1)) $name: differs otherwise than declared (${differ_reason[$name]}); expected vs kmodx:"
					tail -n +2 "$x" | diff -u --label "expected (kmod 30's record + the declared change)" --label kmodx "$exp" - | sed 's/^/    /' || true
				fi
			fi
			continue
		fi
		if cmp -s "$k" "$x"; then
			n_same=$((n_same + 1))
			[ "$verbose" = 1 ] && echo "  same     $name"
		else
			n_diff=$((n_diff + 1))
			fail "$kv: step $((i + 1)) $name: kmod 30 and kmodx differ:"
			diff -u --label "kmod 30" --label kmodx "$k" "$x" | sed 's/^/    /' || true
		fi
	done
	[ ${#missing[@]} -eq 0 ] ||
		fail "$kv: ${#missing[@]} steps missing from a record (guest stopped early, or an old log): ${missing[*]:0:5}…"
	echo "=== $kv: ${#step_names[@]} steps: $n_same equal, $n_decl as declared, $n_diff different, ${#missing[@]} missing"
}

# taint_compare KWORK: the guest's taint probe (guest-init.sh) against the
# simulated kernel given the same module files: taint column, taint file,
# taint mask and messages must be the same.
taint_compare() {
	local kw=$1 kv state f rc n0 m col
	kv=$(cat "$kw/kver")
	sed -n '/^KMODXVM-TAINT-BEGIN$/,/^KMODXVM-TAINT-END$/{/^KMODXVM-/d;p}' "$kw/console.log" >"$kw/taint.kernel"
	[ -s "$kw/taint.kernel" ] || { fail "$kv: no taint probe in the console log"; return; }
	state=$kw/taint-sim
	rm -rf "$state"
	mkdir -p "$state"
	echo module_sig=y >"$state/config"
	echo "$kw/root/lib/modules/$kv" >"$state/module-dir"
	{
		echo "tainted-before 0"
		while read -r what f rc; do
			[ "$what" = load ] || continue
			m=$(awk -v f="$f" '$1 == "load" && $2 == f { getline; print $2; exit }' "$kw/taint.kernel")
			n0=0
			[ ! -f "$state/dmesg" ] || n0=$(wc -l <"$state/dmesg")
			rc=0
			"$kmodx" insmod --backend=sim:"$state" "$kw/root/vm/data/$f" 2>/dev/null || rc=$?
			echo "load $f rc=$rc"
			col=-
			while read -r n _ _ _ _ _ t; do [ "$n" = "$m" ] && col=${t:--}; done <"$state/proc/modules"
			echo "proc $m $col"
			echo "taint $m $(cat "$state/sys/module/$m/taint" 2>/dev/null)"
			echo "tainted $(cat "$state/proc/sys/kernel/tainted")"
			[ ! -f "$state/dmesg" ] || tail -n +$((n0 + 1)) "$state/dmesg" | { grep -E 'taint|verification|rejected' || true; } | sed 's/^/dmesg /'
		done <"$kw/taint.kernel"
	} >"$kw/taint.sim"
	if cmp -s "$kw/taint.kernel" "$kw/taint.sim"; then
		echo "=== $kv: taint probe: the simulated kernel taints as the kernel does ($(grep -c '^load' "$kw/taint.kernel") loads)"
		if [ "$verbose" = 1 ]; then sed 's/^/  /' "$kw/taint.kernel"; fi
	else
		fail "$kv: taint probe: the kernel and the simulated kernel differ:"
		diff -u --label kernel --label sim "$kw/taint.kernel" "$kw/taint.sim" | sed 's/^/    /' || true
	fi
}

# ---------------------------------------------------------------- main
kworks=()
if [ -n "$recompare" ]; then
	for kw in "$work"/*/; do [ -f "$kw/console.log" ] && kworks+=("${kw%/}"); done
	[ ${#kworks[@]} -gt 0 ] || die "no console logs in $work"
else
	build_common
	for meta in $kernels; do
		build_kernel "$meta"
		kworks+=("$kwork")
	done
	log "prepared in $(elapsed "$t_start")s; booting ${#kworks[@]} guest(s), $jobs at a time"
	running=0
	for kw in "${kworks[@]}"; do
		boot "$kw" &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
	done
	wait
fi
for kw in "${kworks[@]}"; do
	compare "$kw"
	[ "$selftest" = 1 ] || taint_compare "$kw"
done
echo "=== total $(elapsed "$t_start")s$([ "$selftest" = 1 ] && echo " (selftest: kmod 30 on both sides)")"
if [ "$failures" -ne 0 ]; then
	keep=1
	echo "=== RESULT: FAIL ($failures failures)"
	exit 1
fi
echo "=== RESULT: PASS"
