#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# README command 1: install what building and the tour need (quietly), build
# kmodx (output in build/build.log), then scripts/tour.sh: the bundled fixture
# modules as a module tree, and on a screen or two what the tools do with it:
# depmod's outputs, a dependency order, one module's information, a load
# and an unload in the simulated kernel, a picture of the dependency graph.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --main
bash scripts/build.sh --no-tests
exec bash scripts/tour.sh "${KMODX_BUILD_DIR:-build}"
