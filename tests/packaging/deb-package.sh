#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian packaging test as one step: build the packages (deb-build.sh,
# lintian included), then install them in a bookworm chroot with a kernel
# package (deb-chroot.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash "$here/deb-build.sh" "$out"
bash "$here/deb-chroot.sh" "$out"
