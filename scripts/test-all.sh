#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README command 2 (and .ci/run): install what is missing, then
#  1. the release build (build/) and every CTest test: unit tests, the
#     differential tests against kmod 30, the hostile-input corpus, crash
#     consistency, concurrency, the qemu VM test, the fuzz-target replays;
#  2. the sanitizer build (build-sanitize/: clang, ASan + UBSan, asserts on,
#     libFuzzer targets; CMakePresets.json "sanitize") and the same tests
#     but the VM test, then each fuzz target for 20 s over its corpus.
# Tests run in parallel, one per CPU, after prepare-caches has filled the
# shared caches; the timing-sensitive ones run alone (CMakeLists.txt).
# KMODX_SKIP_SANITIZE=1 runs stage 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --all
bash scripts/build.sh
(cd "${KMODX_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 1500 -j"$(nproc)")
[ "${KMODX_SKIP_SANITIZE:-0}" = 1 ] && exit 0
bash scripts/build.sh --preset sanitize
# Stage 1 ran the crash test's 200 kills, the concurrency test's 40 rounds
# and the depmod cache test's 200 + 50 random steps; under the sanitizers
# (each run several times slower) fewer of each look for memory errors on
# the same paths, keeping CI within its time.
KMODX_CRASH_KILLS=40 KMODX_CONCURRENCY_ROUNDS=20 KMODX_CACHE_STEPS_FIXTURE=60 KMODX_CACHE_STEPS_CLOUD=15 \
	ctest --preset sanitize --timeout 1500 -j"$(nproc)"
