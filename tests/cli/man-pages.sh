#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The manual pages render without warnings (groff -man -ww -z), and every
# option a tool's --help lists appears in that tool's page.
#
# Usage: man-pages.sh KMODX
set -uo pipefail
export LC_ALL=C
[ $# -eq 1 ] || { echo "usage: $0 KMODX" >&2; exit 2; }
kmodx=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
man=$(cd "$here/../../man" && pwd)
pass=0 fail=0

for page in "$man"/*.[58]; do
	warnings=$(groff -man -ww -z "$page" 2>&1)
	if [ -z "$warnings" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $(basename "$page") renders with warnings:"; echo "$warnings"; fi
done

for tool in depmod modprobe modinfo insmod rmmod lsmod; do
	page=$man/$tool.8
	[ -f "$page" ] || { fail=$((fail + 1)); echo "FAIL: no man page for $tool"; continue; }
	# The page's text with groff's escaped hyphens made plain.
	text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")
	options=$("$kmodx" "$tool" --help | sed "s/(uname -r)//g" | grep -oE '(^|[[:space:],])--?[A-Za-z0-9][A-Za-z0-9-]*' |
		sed 's/^[[:space:],]*//' | sort -u)
	for opt in $options; do
		if grep -qF -- "$opt" <<<"$text"; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: $tool --help lists $opt, man/$tool.8 does not"; fi
	done
done
echo "man-pages: $pass passed, $fail failed"
[ $fail -eq 0 ]
