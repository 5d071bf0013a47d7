#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building and testing kmodx needs, from Debian's archive only.
set -euo pipefail
# shellcheck source=scripts/packages.sh
. "$(dirname "$0")/packages.sh"
ensure_packages \
  cmake g++ make pkg-config \
  libboost-graph-dev libboost-program-options-dev \
  libzstd-dev liblzma-dev zlib1g-dev libssl-dev \
  catch2 \
  kmod linux-headers-amd64 build-essential openssl \
  xz-utils zstd gzip python3 perl binutils groff-base \
  clang libclang-rt-14-dev util-linux bsdutils graphviz zsh \
  dpkg-dev debhelper lintian fakeroot rsync debootstrap rpm cpio
