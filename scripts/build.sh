#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures and builds kmodx.
#   build.sh                 build/ (or $KMODX_BUILD_DIR) with the tests
#   build.sh --no-tests      the same without the tests (what the main job needs)
#   build.sh --preset NAME   the way CMakePresets.json's preset NAME says
# CMake's and the compiler's output go to <build dir>/build.log; the screen
# gets one line, or, when the build fails, the log's tail and its name.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=ON
preset=
case ${1:-} in
'') ;;
--no-tests) tests=OFF ;;
--preset) preset=${2:?--preset needs a name} ;;
*) echo "usage: build.sh [--no-tests | --preset NAME]" >&2; exit 2 ;;
esac
if [ -n "$preset" ]; then
	build=build-$preset
	[ "$preset" = default ] && build=build
	configure=(cmake --preset "$preset")
	compile=(cmake --build --preset "$preset" -j"$(nproc)")
else
	build=${KMODX_BUILD_DIR:-build}
	configure=(cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMODX_BUILD_TESTS=$tests)
	compile=(cmake --build "$build" -j"$(nproc)")
fi
mkdir -p "$build"
log=$build/build.log
start=$SECONDS
if ! { "${configure[@]}" && "${compile[@]}"; } >"$log" 2>&1; then
	echo "build failed in $build/; the end of $log:" >&2
	tail -n 40 "$log" >&2
	echo "(whole log: $log)" >&2
	exit 1
fi
echo "build: $build/ ready in $((SECONDS - start)) s (log: $log)"
