#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Unmodified Debian programs that link libkmod.so.2, run once with Debian's
# libkmod2 and once with kmodx's (LD_LIBRARY_PATH), over Debian's amd64
# tree (indexes by kmodx's depmod):
#   * dracut-install (dracut-core): sets of modules with their dependencies
#     and softdeps, kernel subdirectories, path, name and symbol filters and
#     firmware, installed into two staging directories that must hold the
#     same files with the same contents;
#   * lspci -k (pciutils): this machine's PCI devices with the tree mounted
#     at /lib/modules/$(uname -r) in a private mount namespace (the host's
#     /lib/modules is never touched), and without any tree (the error).
# Nothing is loaded.
#
# Usage: clients-diff.sh BUILD_DIR
set -uo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(realpath "$1")
ours=$build/libkmod
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi
dracut_install=/usr/lib/dracut/dracut-install
for need in "$dracut_install" /usr/bin/lspci "$ours/libkmod.so.2"; do
	[ -e "$need" ] || { echo "FAIL: $need is missing (dracut-core, pciutils, the build)"; exit 1; }
done
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# Debian's tree with kmodx's indexes beside links to its files.
eval "$(bash "$repo/tests/cli/debian-full-trees.sh")" || { echo "FAIL: debian-full-trees.sh"; exit 1; }
root=$ROOT_amd64_plain kver=$KVER_amd64
"$build/kmodx" depmod -b "$root" -o "$work/tree" "$kver" || { echo "FAIL: kmodx depmod"; exit 1; }
kdir=$work/tree/lib/modules/$kver
for f in kernel modules.builtin modules.builtin.modinfo modules.order; do ln -s "$root/lib/modules/$kver/$f" "$kdir/$f"; done

# Firmware for some of iwlwifi's and amdgpu's names, so that the firmware
# path of dracut-install is taken (its contents: the file's own name).
mkdir -p "$work/firmware"
for m in iwlwifi amdgpu; do
	"$build/kmodx" modinfo -b "$work/tree" -k "$kver" -F firmware "$m" 2>/dev/null | awk 'NR % 7 == 1' | head -12
done | while read -r fw; do mkdir -p "$work/firmware/$(dirname "$fw")"; echo "$fw" >"$work/firmware/$fw"; done

# staged DIR: every path with its type, link target and, for files, a checksum.
staged() {
	(cd "$1" && find . -printf '%p %y %l\n' | sort | while read -r p t l; do
		if [ "$t" = f ]; then echo "$p f $(sha1sum <"$p" | cut -c1-40)"; else echo "$p $t $l"; fi
	done)
}

# dracut NAME ARGS...: one dracut-install run per library.
dracut() {
	local name=$1; shift
	local lib rc
	for lib in debian kmodx; do
		rm -rf "$work/dest-$lib"
		mkdir "$work/dest-$lib"
		if [ $lib = kmodx ]; then
			LD_LIBRARY_PATH=$ours "$dracut_install" -D "$work/dest-$lib" --kerneldir "$kdir" \
				--firmwaredirs "$work/firmware" "$@" >"$work/out-$lib" 2>&1
		else
			"$dracut_install" -D "$work/dest-$lib" --kerneldir "$kdir" --firmwaredirs "$work/firmware" "$@" \
				>"$work/out-$lib" 2>&1
		fi
		echo "exit $?" >>"$work/out-$lib"
		staged "$work/dest-$lib" >"$work/list-$lib"
	done
	if cmp -s "$work/list-debian" "$work/list-kmodx" && cmp -s "$work/out-debian" "$work/out-kmodx"; then
		ok "dracut-install $name ($(grep -c ' f ' "$work/list-debian") files)"
	else
		bad "dracut-install $name"
		diff -u "$work/list-debian" "$work/list-kmodx" | head -20
		diff -u "$work/out-debian" "$work/out-kmodx" | head -20
	fi
	# A run that installs nothing proves nothing (but the one meant to fail).
	[ "$name" = "missing module" ] || [ "$(grep -c '\.ko f ' "$work/list-debian")" -gt 0 ] ||
		bad "dracut-install $name installed no module"
}

dracut "modules with dependencies and softdeps" -m ext4 xfs btrfs nvme ahci virtio_blk virtio_net e1000e \
	dm_crypt crc32c
dracut "kernel subdirectories" -m =drivers/net/ethernet/intel =fs/nfs =drivers/md
dracut "firmware" -m iwlwifi amdgpu
grep -q '/firmware/.* f ' "$work/list-debian" || bad "dracut-install firmware installed no firmware"
dracut "symbol filter" -s 'drm_crtc_init_with_planes|drm_dev_register' -m =drivers/gpu
dracut "name and path filters" -N '^(nouveau|radeon)$' -P '/staging/' -o -m =drivers/gpu =drivers/staging
dracut "no-symbol filter" -S 'usb_' -o -m =drivers/hid
dracut "missing module" -m no_such_module_at_all
dracut "aliases and paths" -o -m pci:v00008086d000010D3sv*sd*bc*sc*i* "$kdir/kernel/fs/fat/vfat.ko"

# lspci -k, with and without a tree for the running kernel.
lspci_run() { # LIB TREE|none
	local env=()
	[ "$1" = kmodx ] && env=(env LD_LIBRARY_PATH="$ours")
	unshare -m sh -c '
		mount --make-rprivate / && mount -t tmpfs none /lib/modules || exit 99
		if [ "$1" != none ]; then mkdir "/lib/modules/$(uname -r)" && mount --bind "$1" "/lib/modules/$(uname -r)"; fi
		shift
		"$@" lspci -k' sh "$2" "${env[@]}" 2>&1
	echo "exit $?"
}
for tree in "$kdir" none; do
	lspci_run debian "$tree" >"$work/lspci-debian"
	lspci_run kmodx "$tree" >"$work/lspci-kmodx"
	if grep -q '^exit 99' "$work/lspci-debian"; then
		bad "lspci -k: no private mount namespace here"
	elif cmp -s "$work/lspci-debian" "$work/lspci-kmodx"; then
		ok "lspci -k, tree ${tree##*/} ($(grep -c 'Kernel modules:' "$work/lspci-debian") devices with modules)"
	else
		bad "lspci -k, tree ${tree##*/}"
		diff -u "$work/lspci-debian" "$work/lspci-kmodx" | head -20
	fi
	if [ "$tree" != none ] && ! grep -q 'Kernel modules:' "$work/lspci-debian"; then
		bad "lspci -k found no device with modules (none to compare)"
	fi
	if [ "$tree" = none ] && grep -q 'Kernel modules:' "$work/lspci-debian"; then
		bad "lspci -k found modules without a tree"
	fi
done

echo "clients-diff: $pass passed, $fail failed"
[ $fail -eq 0 ]
