#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what kmodx needs, from Debian's archive only.
#   install-deps.sh --main   building kmodx and running scripts/main-job.sh
#   install-deps.sh --all    that, and everything the tests use (the default)
# A run that finds everything installed says so in one line.
set -euo pipefail
# shellcheck source=scripts/packages.sh
. "$(dirname "$0")/packages.sh"

# Building: compiler, CMake, the libraries. The tour: kernel headers and
# kbuild for the fixture modules, openssl to sign one, Graphviz for the SVG,
# Python for the summary of the index files.
main_packages=(
  cmake g++ make pkg-config
  libboost-graph-dev
  libzstd-dev liblzma-dev zlib1g-dev libssl-dev
  linux-headers-amd64 build-essential openssl xz-utils zstd gzip graphviz python3
)
# The tests: Catch2, kmod 30 (the oracle, and libkmod's header and two of
# its clients, dracut-install and lspci, for libkmod.so.2), the differential
# and packaging
# tests' tools, the sanitizer and fuzzing toolchain, qemu for the VM test.
test_packages=(
  catch2 kmod libkmod-dev dracut-core pciutils perl binutils groff-base
  clang libclang-rt-14-dev util-linux bsdutils zsh
  dpkg-dev debhelper lintian fakeroot rsync debootstrap rpm cpio
  qemu-system-x86 busybox-static
)

case ${1:---all} in
--main) what="the main job"; wanted=("${main_packages[@]}") ;;
--all) what="building and testing"; wanted=("${main_packages[@]}" "${test_packages[@]}") ;;
*) echo "usage: install-deps.sh [--main|--all]" >&2; exit 2 ;;
esac

missing=0
for p in "${wanted[@]}"; do pkg_installed "$p" || missing=$((missing + 1)); done
if [ "$missing" -eq 0 ]; then
  echo "packages: all ${#wanted[@]} that $what needs are installed"
  exit 0
fi
ensure_packages "${wanted[@]}"
echo "packages: installed $missing; all ${#wanted[@]} that $what needs are there now"
