#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README command 2 (and .ci/run): install what is missing, build, run every
# test through CTest. Unit tests, then the CLI tests: help texts, the index
# oracle against kmod 30, and modinfo differential tests against kmod 30 over
# the fixture modules and a sample of Debian's kernel package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd "${KMODX_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1500
