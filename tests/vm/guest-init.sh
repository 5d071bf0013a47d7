#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the VM differential test's initramfs (tests/vm/run-vm-tests.sh).
# Runs INSIDE the qemu guest only, under busybox sh: runs /vm/scenarios.sh
# once with kmod 30's tools (/opt/kmod/sbin) and once with the tools under
# test (/opt/kmodx/sbin), each from the boot baseline, records every step
# in /tmp/rec.<side>, and prints both records to the console between
#   KMODXVM-BEGIN <side>  …  KMODXVM-END <side>
# Other console lines: KMODXVM-INFO, KMODXVM-RUN (progress), KMODXVM-ERROR
# (a harness problem: the host fails the test), KMODXVM-DONE.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /run && mount -t tmpfs tmpfs /tmp
# Only emergencies on the console: kernel messages must not split records.
dmesg -n 1

KVER=$(uname -r)
MD=/lib/modules/$KVER
FX=$MD/kernel/drivers/kmodx
DATA=/vm/data
export KVER MD FX DATA
# The kernel's request_module() runs this; it logs and asks the tool under test.
echo /vm/kreq >/proc/sys/kernel/modprobe

err() { echo "KMODXVM-ERROR $*"; }
loaded() { while read -r n _; do echo "$n"; done </proc/modules; }
BASELINE=$(loaded | sort)

echo "KMODXVM-INFO kernel=$KVER uptime=$(cut -d' ' -f1 /proc/uptime) cmdline=$(cat /proc/cmdline)"
if [ -e /sys/module/compression ]; then
	echo "KMODXVM-INFO compression=$(cat /sys/module/compression)"
else
	echo "KMODXVM-INFO compression=none"
fi
echo "KMODXVM-INFO baseline=[$(echo $BASELINE)]"

# modules loaded now that the baseline does not have, newest first
extra() {
	x=
	for m in $(loaded); do
		case " $BASELINE_W " in *" $m "*) ;; *) x="$x $m" ;; esac
	done
	echo $x
}
BASELINE_W=$(echo $BASELINE)
# unload back to the baseline with busybox's rmmod (-f for modules without
# an exit function; holders come first since /proc/modules is newest first)
unload_all() {
	i=0
	while :; do
		x=$(extra)
		[ -z "$x" ] && return 0
		i=$((i + 1))
		[ $i -gt 8 ] && { err "cannot unload: $x"; return 1; }
		for m in $x; do
			busybox rmmod "$m" 2>/dev/null || busybox rmmod -f "$m" 2>/dev/null
		done
	done
}

# --------------------------------------------------------------- recording
dump_state() { # watched modules...
	echo "-- /proc/modules"
	# name size refcnt deps state [taint]; the load address is left out;
	# sorted (and each holder list sorted) for step_sorted, whose loads
	# may come in another order
	if [ -n "$SORTED" ]; then
		while read -r n size ref deps st addr rest; do
			deps=$(echo "$deps" | tr ',' '\n' | sed '/^$/d' | sort | tr '\n' ',')
			echo "$n $size $ref ${deps:--} $st${rest:+ $rest}"
		done </proc/modules | sort
	else
		while read -r n size ref deps st addr rest; do
			echo "$n $size $ref $deps $st${rest:+ $rest}"
		done </proc/modules
	fi
	echo "-- sysfs"
	for m in $({ loaded; for w in "$@"; do echo "$w"; done; } | sort -u); do
		d=/sys/module/$m
		if [ ! -d "$d" ]; then
			echo "$m: absent"
			continue
		fi
		v=; read -r v <"$d/initstate" 2>/dev/null; echo "$m: initstate=$v"
		v=; read -r v <"$d/refcnt" 2>/dev/null; echo "$m: refcnt=$v"
		v=; read -r v <"$d/taint" 2>/dev/null; echo "$m: taint=$v"
		h=
		for f in "$d"/holders/*; do [ -e "$f" ] && h="$h ${f##*/}"; done
		echo "$m: holders=[${h# }]"
		for f in "$d"/parameters/*; do
			[ -e "$f" ] || continue
			v=; read -r v <"$f" 2>/dev/null
			echo "$m: parameter ${f##*/}=$v"
		done
	done
}

# Tools as shell functions (busybox sh would otherwise run its own applets).
TOOLFUNCS='modprobe() { /tool/modprobe "$@"; }
insmod() { /tool/insmod "$@"; }
rmmod() { /tool/rmmod "$@"; }
lsmod() { /tool/lsmod "$@"; }
modinfo() { /tool/modinfo "$@"; }'

group() { GROUP=$1; unload_all; rm -f /etc/modprobe.d/*; }
reset() { unload_all; }
conf() { printf '%s\n' "$2" >"/etc/modprobe.d/$1"; }
differ() { :; }
differ_on() { :; }
step_sorted() { SORTED=1; step "$@"; SORTED=; }
step() {
	name=$1 cmd=$2
	shift 2
	NSTEP=$((NSTEP + 1))
	echo "KMODXVM-RUN $SIDE $NSTEP $GROUP/$name"
	: >/tmp/kreq.log
	cd /tmp
	timeout 60 sh -c "$TOOLFUNCS
$cmd" >/tmp/out 2>/tmp/err </dev/null
	rc=$?
	cd /
	{
		echo "@@STEP $NSTEP $name"
		echo "\$ $cmd"
		echo "rc=$rc"
		echo "-- stdout"
		cat /tmp/out
		echo "-- stderr"
		cat /tmp/err
		echo "-- kernel requests"
		cat /tmp/kreq.log
		dump_state "$@"
	} >>"$REC"
}

run_side() { # SIDE TOOLDIR PARALLEL
	SIDE=$1 NSTEP=0 GROUP= PARALLEL=$3
	LIBKMOD=${2%/sbin}/lib  # the side's libkmod.so.2, for the libkmod-clients group
	export SIDE PARALLEL LIBKMOD
	REC=/tmp/rec.$SIDE
	: >"$REC"
	ln -sfn "$2" /tool
	# The libkmod-clients group's programs must load the side's library.
	LD_DEBUG=libs LD_LIBRARY_PATH=$LIBKMOD /usr/bin/udevadm --version 2>&1 | grep -q "calling init: $LIBKMOD/libkmod.so.2" ||
		err "$SIDE: udevadm with LD_LIBRARY_PATH=$LIBKMOD does not load $LIBKMOD/libkmod.so.2"
	echo "KMODXVM-INFO $SIDE: $(/tool/modprobe --version | head -1) start=$(cut -d' ' -f1 /proc/uptime)"
	. /vm/scenarios.sh
	unload_all
	rm -f /etc/modprobe.d/*
	now=$(loaded | sort)
	if [ "$now" = "$BASELINE" ]; then
		echo "KMODXVM-INFO $SIDE: back to the baseline, steps=$NSTEP end=$(cut -d' ' -f1 /proc/uptime)"
	else
		err "$SIDE: /proc/modules is not the baseline: $(echo $now)"
	fi
}

# The taint probe, before anything else is loaded (the kernel's first-time
# messages and its taint mask): an unsigned in-tree module, then an
# out-of-tree one (also unsigned), loaded with busybox's insmod; the host
# gives the simulated kernel the same files and compares (run-vm-tests.sh,
# taint_compare). Lines: tainted-before, then per module "load FILE rc=N",
# "proc NAME (FLAGS)|-", "taint NAME FLAGS", "tainted MASK" and the new
# kernel messages about taints and signatures as "dmesg TEXT".
taint_probe() {
	echo "KMODXVM-TAINT-BEGIN"
	echo "tainted-before $(cat /proc/sys/kernel/tainted)"
	for fm in taint-unsigned.ko:dummy taint-oot.ko:kx_chain_c; do
		f=${fm%%:*} m=${fm#*:}
		n0=$(dmesg | wc -l)
		busybox insmod "$DATA/$f" 2>/dev/null
		echo "load $f rc=$?"
		col=-
		while read -r n _ _ _ _ _ t; do [ "$n" = "$m" ] && col=${t:--}; done </proc/modules
		echo "proc $m $col"
		v=; read -r v <"/sys/module/$m/taint" 2>/dev/null; echo "taint $m $v"
		echo "tainted $(cat /proc/sys/kernel/tainted)"
		dmesg | tail -n +$((n0 + 1)) | sed 's/^\[[^]]*\] //' | grep -E 'taint|verification|rejected' | sed 's/^/dmesg /'
	done
	busybox rmmod kx_chain_c dummy 2>/dev/null
	echo "KMODXVM-TAINT-END"
}

mkdir -p /etc/modprobe.d
: >/tmp/times
taint_probe
run_side kmod /opt/kmod/sbin ""
run_side kmodx /opt/kmodx/sbin --parallel=4
while read -r side what t0 t1; do
	echo "KMODXVM-TIME $what $side $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
done </tmp/times

for s in kmod kmodx; do
	echo "KMODXVM-BEGIN $s"
	cat /tmp/rec.$s
	echo "KMODXVM-END $s"
done
echo "KMODXVM-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
