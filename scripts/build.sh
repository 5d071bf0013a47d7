#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures and builds kmodx: into build/ (or $KMODX_BUILD_DIR), or with
# `--preset NAME` the way CMakePresets.json's preset NAME says.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --preset ]; then
	log=$(mktemp)
	cmake --preset "$2" >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
	rm -f "$log"
	cmake --build --preset "$2" -j"$(nproc)"
	exit 0
fi
build=${KMODX_BUILD_DIR:-build}
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)"
