#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `cmake --install` into a staging directory, twice: with the build's own
# configuration (prefix /usr/local), and with --prefix /usr. Each time:
# kmodx in bin/, the six tool names in sbin/ as relative symlinks that run
# as their tool, every manual page, libkmodx.a and libkmodx.so.0 (with its
# SONAME, exporting only namespace kmodx) with the headers and a pkg-config
# file each, that programs outside the tree build and link with: a small
# consumer against the archive, and the README's example program against the
# shared library, run on the fixture tree with the sim backend; each header
# compiling on its own; the bash and
# zsh completions, and the empty configuration directories.
#
# Usage: install.sh BUILD_DIR
set -uo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { # description command...
	local what=$1; shift
	if "$@" >"$work/out" 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $what"; sed 's/^/  | /' "$work/out" | head -5; fi
}

cat >"$work/consumer.cpp" <<'EOF'
// Links against the installed libkmodx: detects a format by its magic and
// reads the smallest valid index.
#include <kmodx/index.hpp>
#include <kmodx/module_image.hpp>

#include <cstdio>
#include <string>

int main() {
  const unsigned char xz[] = {0xFD, '7', 'z', 'X', 'Z', 0};
  if (kmodx::detect_compression(std::as_bytes(std::span(xz))) != kmodx::Compression::xz) return 1;
  const std::string empty("\xB0\x07\xF4\x57\x00\x02\x00\x01\x00\x00\x00\x0C", 12);
  auto index = kmodx::Index::from_bytes(empty, "empty.bin");
  if (!index || index->lookup_exact("x")) return 2;
  std::puts("libkmodx works");
  return 0;
}
EOF

# The README's example program, as the README shows it.
sed -n '/^<!-- library-example -->$/,/^```$/p' "$repo/README.md" | sed '1,2d;$d' >"$work/example.cpp"
[ -s "$work/example.cpp" ] || { echo "FAIL: no library example in README.md"; exit 1; }
# The fixture tree it loads from (indexes by Debian's depmod).
KVER=$(bash "$repo/tests/fixtures/build-fixtures.sh" "$work/fx" 2>"$work/fixtures.log" | tail -1) ||
	{ cat "$work/fixtures.log"; echo "FAIL: build-fixtures.sh"; exit 1; }
moddir=$work/fx/lib/modules/$KVER
# What it prints for kx_chain_a: its dependencies deepest first (the order
# of modprobe --show-depends), then the loaded modules newest first with
# their references, as lsmod lists the sim after `modprobe kx_chain_a` (a
# uses b's symbols only, b uses c's).
cat >"$work/example.expected" <<'EOF2'
kx_chain_a needs: kx_chain_c kx_chain_b
kx_chain_a SIZE 0
kx_chain_b SIZE 1
kx_chain_c SIZE 1
EOF2

staged() { # PREFIX-ARGS...: installs into $work/stage, sets $root (prefix inside it)
	rm -rf "$work/stage"
	DESTDIR=$work/stage cmake --install "$build" "$@" >"$work/install.log" 2>&1 ||
		{ fail=$((fail + 1)); echo "FAIL: cmake --install $*"; tail -5 "$work/install.log"; return 1; }
}

verify() { # PREFIX SYSCONFDIR
	local p=$work/stage$1 etc=$work/stage$2
	check "bin/kmodx runs" "$p/bin/kmodx" --version
	check "bin/kmod is a relative link to kmodx" test "$(readlink "$p/bin/kmod")" = kmodx
	check "bin/kmod runs as kmod" sh -c "'$p/bin/kmod' --help | grep -q '^kmod - Manage kernel modules'"
	for tool in depmod modprobe modinfo insmod rmmod lsmod; do
		check "sbin/$tool is a relative link to ../bin/kmodx" test "$(readlink "$p/sbin/$tool")" = ../bin/kmodx
		check "sbin/$tool runs as $tool" sh -c "'$p/sbin/$tool' --help | grep -q '$tool'"
	done
	for page in "$repo"/man/*.[58]; do
		local name=${page##*/}
		check "man page $name" test -f "$p/share/man/man${name##*.}/$name"
	done
	check "libkmodx.a" test -f "$p/lib/libkmodx.a"
	for h in "$repo"/include/kmodx/*.hpp; do check "header ${h##*/}" cmp -s "$h" "$p/include/kmodx/${h##*/}"; done
	check "consumer builds with pkg-config libkmodx-static" sh -c "
		export PKG_CONFIG_PATH='$p/lib/pkgconfig' PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
		g++ -std=c++20 -o '$work/consumer' '$work/consumer.cpp' \$(pkg-config --cflags --libs libkmodx-static)"
	check "consumer runs" sh -c "'$work/consumer' | grep -q 'libkmodx works'"
	check "consumer carries the library (no libkmodx.so needed)" sh -c "! readelf -d '$work/consumer' | grep -q libkmodx"
	check "libkmodx.so.0 has its SONAME" sh -c "readelf -d '$p/lib/libkmodx.so.0' | grep -q 'SONAME.*\[libkmodx.so.0\]'"
	check "libkmodx.so is a link to libkmodx.so.0" test "$(readlink "$p/lib/libkmodx.so")" = libkmodx.so.0
	# Only namespace kmodx, and of it only what the public headers declare
	# (no kmodx::depmod::, kmodx::elf:: ... nor a util/ helper).
	nm -DC --defined-only "$p/lib/libkmodx.so.0" | sed 's/^[0-9a-f]* [A-Za-z] //' >"$work/exports"
	check "libkmodx.so exports namespace kmodx alone" sh -c "! grep -Ev '^(KMODX_0|kmodx::|typeinfo for kmodx::|typeinfo name for kmodx::|vtable for kmodx::)' '$work/exports'"
	check "libkmodx.so exports no internal namespace" sh -c "! grep -E 'kmodx::(depmod|elf|io|index|loader|tools|libkmod_site)::|kmodx::(ThreadPool|read_text_file)' '$work/exports'"
	check "libkmodx.so exports the entry points" sh -c "grep -qx 'kmodx::build_module_database(.*' '$work/exports' && grep -q '^kmodx::ModuleRemoval::remove(' '$work/exports' && grep -q '^vtable for kmodx::LoaderBackend' '$work/exports'"
	check "README example builds with pkg-config libkmodx" sh -c "
		export PKG_CONFIG_PATH='$p/lib/pkgconfig' PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
		g++ -std=c++20 -o '$work/example' '$work/example.cpp' \$(pkg-config --cflags --libs libkmodx)"
	check "README example links libkmodx.so.0" sh -c "readelf -d '$work/example' | grep -q 'NEEDED.*\[libkmodx.so.0\]'"
	rm -rf "$work/sim"
	check "README example loads into the sim and lists" sh -c "
		LD_LIBRARY_PATH='$p/lib' '$work/example' '$moddir' '$work/sim' kx_chain_a | sed -E 's/ +[0-9]+ ([0-9]+)\$/ SIZE \\1/' >'$work/example.out' &&
		diff -u '$work/example.expected' '$work/example.out'"
	check "libkmod.so.2 has its SONAME" sh -c "readelf -d '$p/lib/libkmod.so.2' | grep -q 'SONAME.*\\[libkmod.so.2\\]'"
	check "libkmod.h" cmp -s "$repo/include/libkmod/libkmod.h" "$p/include/libkmod.h"
	check "a libkmod client builds with pkg-config libkmod and runs" sh -c "
		export PKG_CONFIG_PATH='$p/lib/pkgconfig' PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
		gcc -o '$work/lookups' '$repo/tests/bench/libkmod-lookups.c' \$(pkg-config --cflags --libs libkmod) &&
		printf 'kx_chain_a\\nkx_pci\\n' >'$work/lookup-names' &&
		LD_LIBRARY_PATH='$p/lib' ldd '$work/lookups' | grep -q '$p/lib/libkmod.so.2' &&
		test \"\$(LD_LIBRARY_PATH='$p/lib' '$work/lookups' '$moddir' '$work/lookup-names')\" = 2"
	check "kmodx lsmod sees what the example loaded" sh -c "
		'$p/bin/kmodx' lsmod --backend=sim:'$work/sim' | awk 'NR > 1 { print \$1 }' | paste -sd' ' | grep -qx 'kx_chain_a kx_chain_b kx_chain_c'"
	check "bash completion" bash -n "$p/share/bash-completion/completions/kmodx"
	for tool in depmod modprobe modinfo insmod rmmod lsmod; do
		check "bash completion for $tool" test "$(readlink "$p/share/bash-completion/completions/$tool")" = kmodx
	done
	check "zsh completion" test -f "$p/share/zsh/site-functions/_kmodx"
	for d in "$etc/modprobe.d" "$etc/depmod.d" "$p/lib/modprobe.d" "$p/lib/depmod.d"; do
		check "empty directory ${d#"$work/stage"}" sh -c "test -d '$d' && [ -z \"\$(ls -A '$d')\" ]"
	done
}

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
sysconf=$(sed -n 's/^CMAKE_INSTALL_FULL_SYSCONFDIR[^=]*=//p' "$build/CMakeCache.txt")
[ -n "$sysconf" ] || sysconf=$prefix/etc
staged && verify "$prefix" "$sysconf"
# Each installed public header compiles on its own.
for h in "$work/stage$prefix"/include/kmodx/*.hpp; do
	check "header ${h##*/} compiles alone" sh -c "echo '#include <kmodx/${h##*/}>' |
		g++ -std=c++20 -fsyntax-only -I'$work/stage$prefix/include' -x c++ -"
done
# Relative directories follow --prefix (the sysconfdir was fixed at configure time).
staged --prefix /opt/kmodx && verify /opt/kmodx "$sysconf"

echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]
