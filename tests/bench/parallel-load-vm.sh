#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Parallel loading benchmark (not a test): the VM test's parallel group —
# 30-odd modules of Debian's cloud kernel and their dependencies loaded at
# once into a real kernel under qemu (TCG, 4 vCPUs), by kmod 30 in order and
# by kmodx with --parallel=4 — timed inside the guest, one guest at a time.
# The VM test itself checks that both end with the same modules, refcounts
# and holders; this prints the wall times of that step.
#
# Usage: parallel-load-vm.sh KMODX [KERNEL_METAPACKAGES]
#        (default: "linux-image-cloud-amd64 linux-image-6.12-cloud-amd64")
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 KMODX [KERNELS]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernels=${2:-linux-image-cloud-amd64 linux-image-6.12-cloud-amd64}
for k in $kernels; do
	out=$(KMODX_VM_KERNELS=$k bash "$here/../vm/run-vm-tests.sh" "$1" 2>&1) || {
		echo "$out" | tail -20
		echo "the VM test failed for $k" >&2
		exit 1
	}
	kv=$(echo "$out" | sed -n 's/^=== \([^:]*\): qemu exit.*/\1/p' | head -1)
	kmod=$(echo "$out" | sed -n 's/.*KMODXVM-TIME parallel-load kmod \([0-9.]*\) s/\1/p')
	kmodx=$(echo "$out" | sed -n 's/.*KMODXVM-TIME parallel-load kmodx \([0-9.]*\) s/\1/p')
	printf '%-32s kmod 30 (in order) %6.2f s   kmodx --parallel=4 %6.2f s   ratio %.2f\n' \
		"$kv" "$kmod" "$kmodx" "$(awk -v a="$kmod" -v b="$kmodx" 'BEGIN { print b / a }')"
done
