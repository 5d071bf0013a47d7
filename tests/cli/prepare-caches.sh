#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Fills the download and build caches the CLI tests share (fixture modules,
# Debian's sample and full module trees), so that the tests themselves only
# read them and may run in parallel (ctest -j; this is their fixture setup).
# Usage: prepare-caches.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$repo/tests/fixtures/build-fixtures.sh" --no-depmod "$work/fx" >/dev/null
bash "$here/debian-tree.sh" >/dev/null
bash "$here/debian-full-trees.sh" >/dev/null
bash "$here/debian-headers.sh" >/dev/null
echo "caches ready"
