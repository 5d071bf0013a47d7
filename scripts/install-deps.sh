#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building and testing kmodx needs, from Debian's archive only.
# Packages already present are not touched; apt-get update runs only when
# something is missing.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config
  libboost-graph-dev libboost-program-options-dev
  libzstd-dev liblzma-dev zlib1g-dev libssl-dev
  catch2
  # tests: kmod 30 is the oracle; kbuild builds the fixture modules
  kmod linux-headers-amd64 build-essential openssl
  xz-utils zstd gzip python3 binutils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 \
    install -y -q --no-install-recommends "${missing[@]}"
fi
