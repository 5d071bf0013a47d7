#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kmodx check benchmark (not a test): `kmodx check` against `kmodx depmod`
# on the same tree in the same run, so the ratios hold on whatever machine
# runs it.
#
# Usage: check-bench.sh KMODX [RUNS]        (RUNS per command, default 5)
# Environment: JOBS (-j for both; default: their own choice).
#
# The tree is Debian's amd64 package tree, plain (a copy, indexed once),
# with its linux-headers Module.symvers (tests/cli/debian-headers.sh).
# Measured, median wall time, CPU time and the largest peak RSS of:
#   depmod        kmodx depmod --no-cache -o SCRATCH (a full run)
#   check         kmodx check -E Module.symvers --no-firmware
#   check+cert    the same with --cert (the kernel's certificate, taken out
#                 of the vmlinuz once): every signature verified
#   check+image   the same with --kernel-image vmlinuz: the image's xz
#                 payload decompressed on each run as well
# Target (issue 15): check <= 2x depmod, marked ok/MISS for each.
set -euo pipefail
export LC_ALL=C

[ $# -ge 1 ] || { echo "usage: $0 KMODX [RUNS]" >&2; exit 2; }
kmodx=$(realpath "$1")
runs=${2:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jobs=()
[ -z "${JOBS:-}" ] || jobs=(-j "$JOBS")

eval "$(bash "$here/../cli/debian-full-trees.sh")"
eval "$(bash "$here/../cli/debian-headers.sh")"
kver=$KVER_amd64

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

echo "copying the tree ($kver, plain) and indexing it ..." >&2
mkdir -p "$work/root/lib/modules"
cp -a "$ROOT_amd64_plain/lib/modules/$kver" "$work/root/lib/modules/"
"$kmodx" depmod --no-cache -b "$work/root" "$kver"
# The certificate built into the kernel, for --cert.
python3 - "$VMLINUZ_amd64" "$work/kernel.der" <<'PY'
import lzma, re, struct, subprocess, sys
image = open(sys.argv[1], 'rb').read()
setup = image[0x1f1] or 4
offset, length = struct.unpack_from('<II', image, 0x248)
start = (setup + 1) * 512 + offset
vmlinux = lzma.LZMADecompressor().decompress(image[start:start + length])
for m in re.finditer(rb'\x30\x82(..)\x30\x82', vmlinux, re.S):
    der = vmlinux[m.start():m.start() + 4 + int.from_bytes(m.group(1), 'big')]
    if subprocess.run(['openssl', 'x509', '-inform', 'DER', '-noout'], input=der,
                      capture_output=True).returncode == 0:
        open(sys.argv[2], 'wb').write(der)
        sys.exit(0)
sys.exit('no certificate in ' + sys.argv[1])
PY

# check exits 1 when it has findings (Debian's tree has five warnings);
# only 2 or a signal is a failure here.
cat >"$work/check" <<EOF
#!/bin/sh
"$kmodx" check "\$@" >/dev/null; [ \$? -le 1 ]
EOF
chmod +x "$work/check"

base=(-b "$work/root" "${jobs[@]}")
check_args=("${base[@]}" -E "$SYMVERS_amd64" --no-firmware)
declare -A wall cpu rss
run_case() { # NAME COMMAND...
	local name=$1 i w=() c=() r=()
	shift
	for ((i = 0; i < runs; i++)); do
		read -r a b d < <(measure "$@")
		w+=("$a") c+=("$b") r+=("$d")
	done
	wall[$name]=$(printf '%s\n' "${w[@]}" | median)
	cpu[$name]=$(printf '%s\n' "${c[@]}" | median)
	rss[$name]=$(printf '%s\n' "${r[@]}" | maximum)
}
# Alternating rounds, so that drift hits every command alike.
for ((round = 0; round < 1; round++)); do
	run_case depmod "$kmodx" depmod --no-cache "${base[@]}" -o "$work/out" "$kver"
	run_case check "$work/check" "${check_args[@]}" "$kver"
	run_case check+cert "$work/check" "${check_args[@]}" --cert "$work/kernel.der" "$kver"
	run_case check+image "$work/check" "${check_args[@]}" --kernel-image "$VMLINUZ_amd64" "$kver"
done

printf '%-12s %9s %9s %9s %12s %s\n' command wall cpu "rss MB" "/ depmod" target
for name in depmod check check+cert check+image; do
	r=$(ratio "${wall[$name]}" "${wall[depmod]}")
	t=
	[ "$name" = depmod ] || t="<= 2x $(mark "$r" '<=' 2)"
	printf '%-12s %8ss %8ss %9s %11sx %s\n' "$name" "${wall[$name]}" "${cpu[$name]}" "$(mb "${rss[$name]}")" "$r" "$t"
done
echo "($COUNT_amd64 modules, $kver plain, medians of $runs, $(nproc) CPUs)"
