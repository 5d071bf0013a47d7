#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every tool answers --help with kmod master's text (captured from kmod into
# the spec's Appendix A, copied to tests/golden/help/) and --version with two
# lines, whether it is run through its symlink or as "kmodx <tool>".
set -euo pipefail
bin=${1:?usage: help-version.sh KMODX_BINARY}
golden=$(cd "$(dirname "$0")/../golden/help" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() {  # name, expected-file, command...
  local name=$1 expected=$2; shift 2
  if "$@" > "$work/out" 2> "$work/err" && cmp -s "$work/out" "$expected" && [ ! -s "$work/err" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $name"; diff "$expected" "$work/out" | head -5 || true
  fi
}
for tool in depmod modprobe modinfo insmod rmmod lsmod; do
  ln -sf "$(readlink -f "$bin")" "$work/$tool"
  check "$tool --help (symlink)" "$golden/$tool.txt" "$work/$tool" --help
  check "$tool -h (symlink)" "$golden/$tool.txt" "$work/$tool" -h
  check "kmodx $tool --help" "$golden/$tool.txt" "$bin" "$tool" --help
  "$work/$tool" --version > "$work/version"
  if [ "$(wc -l < "$work/version")" -eq 2 ] && grep -qE '^kmodx version [0-9]+\.[0-9]+\.[0-9]+$' "$work/version" &&
     sed -n 2p "$work/version" | grep -qE '^(\+|-)ZSTD (\+|-)XZ (\+|-)ZLIB (\+|-)OPENSSL (\+|-)MBEDTLS$'; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $tool --version"; cat "$work/version"
  fi
done
# kmodx's own command (no kmod text to match): the same help through the
# "check" name, as "kmodx check", with -h; usage on stdout, exit 0; the
# version lines as every tool's; a bad option exits 2.
ln -sf "$(readlink -f "$bin")" "$work/check"
"$bin" check --help > "$work/check.txt"
if head -1 "$work/check.txt" | grep -qx 'Usage:' && grep -q -- '--kernel-image' "$work/check.txt"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: kmodx check --help"; head -3 "$work/check.txt"
fi
check "check --help (symlink)" "$work/check.txt" "$work/check" --help
check "check -h (symlink)" "$work/check.txt" "$work/check" -h
"$bin" check --version > "$work/version"
if [ "$(wc -l < "$work/version")" -eq 2 ] && grep -qE '^kmodx version [0-9]+\.[0-9]+\.[0-9]+$' "$work/version"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: check --version"; cat "$work/version"
fi
rc=0; "$bin" check --no-such-option > /dev/null 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: check --no-such-option exits $rc, not 2"; fi
# The multiplexer itself: unknown command and missing command fail with 1.
if ! "$bin" no-such-tool > /dev/null 2>&1 && ! "$bin" > /dev/null 2>&1 && "$bin" --help | grep -q '^Usage:'; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: kmodx multiplexer usage errors"
fi
echo "help-version: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
