# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The scenario list of the VM differential test (tests/vm/run-vm-tests.sh).
# The guest's /init runs it once with kmod 30's tools and once with kmodx's,
# from the same clean kernel state, and records every step; the host
# compares the two records step by step. Sourced by busybox sh in the guest
# and by bash on the host, so it holds nothing but these calls:
#
#   group NAME            unload everything back to the boot baseline and
#                         empty /etc/modprobe.d (not recorded)
#   reset                 unload back to the baseline, keep the configuration
#   conf FILE TEXT        write /etc/modprobe.d/FILE (not recorded)
#   step NAME CMD [MOD]…  run CMD (busybox sh, timeout 60 s) and record its
#                         exit status, stdout, stderr, the kernel's module
#                         requests, /proc/modules without the address column,
#                         and /sys/module/<m>/{initstate,refcnt,taint,holders,
#                         parameters} of every loaded module and of each MOD
#                         (a MOD that is not loaded is recorded as absent)
#   differ NAME REASON SED [FROM]
#                         a deliberate difference: kmodx's record of step NAME
#                         must equal kmod's record of that step (or of the
#                         earlier step FROM) transformed by the sed script
#                         SED (@KVER@ in it stands for the guest's kernel
#                         release), exactly: the difference is asserted, not
#                         ignored. Follow such a step with `reset` or a new
#                         group so the difference does not carry over. A record is the
#                         command line, "rc=N", then "-- stdout", "-- stderr",
#                         "-- kernel requests", "-- /proc/modules" and
#                         "-- sysfs" sections ("<module>: <field>" lines).
#   step_sorted NAME CMD [MOD]…
#                         as step, with /proc/modules recorded sorted (and
#                         each holder list sorted): for loads whose order
#                         may differ ($PARALLEL is "" for kmod 30 and
#                         "--parallel=4" for kmodx; $SIDE names the side)
#   differ_on COMPRESSION NAME REASON SED [FROM]
#                         as differ, on the kernels whose
#                         /sys/module/compression is COMPRESSION (none, xz,
#                         zstd, gzip); on the others the records must be equal
#
# In CMD, modprobe/insmod/rmmod/lsmod/modinfo are shell functions that run
# /tool/<name>, a symlink to the tool set under test, so both tools see the
# same argv[0] and print the same message prefixes. Variables: KVER, MD
# (/lib/modules/$KVER), FX ($MD/kernel/drivers/kmodx, the fixture modules),
# DATA (/vm/data: module copies for insmod, see run-vm-tests.sh), LIBKMOD
# (the directory of the side's libkmod.so.2: /opt/kmod/lib, Debian's
# libkmod2, or /opt/kmodx/lib, kmodx's).
# The kernel command line carries kx_params.p_int=7 and
# modprobe.blacklist=kx_info; the kernel's own module requests go through
# /vm/kreq, which logs them and runs /tool/modprobe.

# ------------------------------------------------ dependency chain a -> b -> c
group chain
step chain-show-depends 'modprobe --show-depends kx_chain_a'
step chain-dry-run 'modprobe -n -v kx_chain_a'
step chain-load 'modprobe kx_chain_a' kx_chain_a kx_chain_b kx_chain_c
step chain-lsmod 'lsmod'
step chain-again 'modprobe kx_chain_a'
step chain-first-time 'modprobe --first-time kx_chain_a'
step chain-dry-run-loaded 'modprobe -n -v kx_chain_a'
step chain-rmmod-in-use 'rmmod kx_chain_c' kx_chain_c
step chain-remove-dep-in-use 'modprobe -r kx_chain_b' kx_chain_b
step chain-remove 'modprobe -r kx_chain_a' kx_chain_a kx_chain_b kx_chain_c
differ chain-remove \
	'kmod 30 checks each dependency once, deepest first, so kx_chain_c (still held by kx_chain_b at that moment) stays; kmodx removes every dependency left unused' \
	'/^kx_chain_c /d; s/^kx_chain_c: initstate=.*/kx_chain_c: absent/; /^kx_chain_c: \(refcnt\|taint\|holders\|parameter\)/d'

group not-loaded
step nl-rmmod 'rmmod kx_chain_b'
step nl-modprobe-r 'modprobe -r kx_chain_b'
step nl-modprobe-r-quiet 'modprobe -r -q kx_chain_b'
step nl-modprobe-r-first-time 'modprobe -r --first-time kx_chain_b'
step nl-unknown-name 'modprobe kx_nosuch'
step nl-unknown-alias 'modprobe fs-nosuchfs'
step nl-unknown-quiet 'modprobe -q fs-nosuchfs'
step nl-dry-remove 'modprobe -n -v -r kx_chain_a'

# ------------------------------------------------ diamond: shared dependency
group diamond
step diamond-show-depends 'modprobe --show-depends kx_top'
step diamond-load 'modprobe kx_top' kx_top kx_left kx_right kx_base
step diamond-remove-base 'modprobe -r kx_base' kx_base
step diamond-rmmod-left 'rmmod kx_left' kx_left
step diamond-dry-remove 'modprobe -n -v -r kx_top'
differ diamond-dry-remove \
	'kmod 30 -n -r lists only what is unused before anything is removed; kmodx counts what it would have removed as gone and lists the dependencies a real run removes' \
	'/^rmmod kx_top$/a\
rmmod kx_right\
rmmod kx_left\
rmmod kx_base'
step diamond-remove 'modprobe -r kx_top' kx_top kx_left kx_right kx_base
differ diamond-remove \
	'kmod 30 checks each dependency once, deepest first, so kx_base (still held by kx_left and kx_right then) stays; kmodx removes every dependency left unused' \
	'/^kx_base /d; s/^kx_base: initstate=.*/kx_base: absent/; /^kx_base: \(refcnt\|taint\|holders\|parameter\)/d'

# ------------------------------------------------ vfat and msdos share fat
group fat
step fat-vfat 'modprobe vfat' vfat fat msdos
step fat-msdos 'modprobe msdos' vfat fat msdos
step fat-lsmod 'lsmod'
step fat-rmmod-in-use 'rmmod fat' fat
step fat-modprobe-r-in-use 'modprobe -r fat' fat
step fat-remove-vfat 'modprobe -r vfat' vfat fat msdos
step fat-remove-msdos 'modprobe -r msdos' vfat fat msdos
step fat-rmmod-not-loaded 'rmmod fat'

# ------------------------------------------------ aliases
group alias
step alias-show-depends 'modprobe --show-depends fs-vfat'
step alias-load 'modprobe fs-vfat' vfat fat
step alias-remove 'modprobe -r fs-vfat' vfat fat
step alias-msdos-vfat 'modprobe -a fs-msdos fs-vfat' vfat fat msdos

# ------------------------------------------------ blacklist
group blacklist
conf blacklist.conf 'blacklist vfat'
step bl-alias 'modprobe fs-vfat' vfat fat
reset
step bl-alias-b 'modprobe -b fs-vfat' vfat fat
step bl-alias-b-show 'modprobe -b --show-depends fs-vfat'
step bl-name 'modprobe vfat' vfat fat
reset
step bl-name-b 'modprobe -b vfat' vfat fat
reset
step bl-cmdline-b 'modprobe -b kx_info' kx_info
step bl-cmdline 'modprobe kx_info' kx_info

# ------------------------------------------------ soft dependencies
group softdep
step softdep-show-depends 'modprobe --show-depends kx_softdep'
step softdep-load 'modprobe kx_softdep' kx_softdep kx_base kx_chain_c kx_right kx_noexit
step softdep-remove 'modprobe -r kx_softdep' kx_softdep kx_base kx_chain_c kx_right kx_noexit
group softdep-conf
conf softdep.conf 'softdep kx_chain_b pre: kx_left post: kx_info'
step softdep-conf-show-depends 'modprobe --show-depends kx_chain_b'
step softdep-conf-load 'modprobe kx_chain_b' kx_chain_b kx_chain_c kx_left kx_base kx_info
step softdep-conf-remove 'modprobe -r kx_chain_b' kx_chain_b kx_chain_c kx_left kx_base kx_info
group softdep-xfs
step xfs-show-depends 'modprobe --show-depends xfs'
step xfs-load 'modprobe xfs' xfs libcrc32c crc32c_intel
step xfs-remove 'modprobe -r xfs' xfs libcrc32c crc32c_intel

# ------------------------------------------------ options: modprobe.d, kernel command line, arguments
group options
conf params.conf 'options kx_params p_uint=9 p_charp=from_conf'
step params-show-depends 'modprobe --show-depends kx_params p_short=-5'
step params-dry-run 'modprobe -n -v kx_params p_short=-5'
step params-load 'modprobe kx_params p_short=-5' kx_params
reset
step params-insmod 'insmod $FX/kx_params.ko p_byte=200 p_array=9,8 p_string=abc' kx_params
reset
step params-bad-value 'modprobe kx_params p_ushort=notanumber' kx_params
step params-unknown 'modprobe kx_params kx_nosuch_param=1' kx_params
step params-ignore-install-args 'modprobe --first-time kx_params p_bool=n' kx_params

# ------------------------------------------------ install and remove commands
group commands
conf commands.conf 'install kx_chain_c echo "INSTALL-C [$CMDLINE_OPTS]"; /tool/modprobe --ignore-install kx_chain_c $CMDLINE_OPTS
remove kx_chain_c echo REMOVE-C; /tool/modprobe -r --ignore-remove kx_chain_c
install kx_info /bin/false'
step cmd-dry-run 'modprobe -n -v kx_chain_a'
step cmd-show-depends 'modprobe --show-depends kx_chain_a'
step cmd-load-dep 'modprobe kx_chain_a' kx_chain_a kx_chain_b kx_chain_c
step cmd-remove-dep 'modprobe -r kx_chain_a kx_chain_b' kx_chain_a kx_chain_b kx_chain_c
differ cmd-remove-dep \
	'as chain-remove: kmodx also removes kx_chain_c, unused once kx_chain_b is gone; like kmod, without its remove command (kmod removes unused dependencies directly)' \
	'/^kx_chain_c /d; s/^kx_chain_c: initstate=.*/kx_chain_c: absent/; /^kx_chain_c: \(refcnt\|taint\|holders\|parameter\)/d'
reset
step cmd-load-b 'modprobe kx_chain_b' kx_chain_b kx_chain_c
step cmd-remove-b-unused-dep 'modprobe -r kx_chain_b' kx_chain_b kx_chain_c
reset
step cmd-load-args 'modprobe kx_chain_c kx_opt=1' kx_chain_c
step cmd-remove 'modprobe -r kx_chain_c' kx_chain_c
step cmd-ignore-install 'modprobe --ignore-install kx_chain_c' kx_chain_c
step cmd-ignore-remove 'modprobe -r --ignore-remove kx_chain_c' kx_chain_c
step cmd-install-fails 'modprobe kx_info' kx_info

# ------------------------------------------------ insmod: plain and compressed files
group insmod
step insmod-plain 'insmod $DATA/dummy.ko' dummy
step insmod-again 'insmod $DATA/dummy.ko' dummy
step insmod-rmmod 'rmmod dummy' dummy
step insmod-xz 'insmod $DATA/dummy.ko.xz' dummy
step insmod-rmmod-xz 'rmmod dummy' dummy
step insmod-zst 'insmod $DATA/dummy.ko.zst' dummy
step insmod-rmmod-zst 'rmmod dummy' dummy
step insmod-fixture-xz 'insmod $DATA/kx_chain_c.ko.xz' kx_chain_c
step insmod-fixture-zst 'insmod $DATA/kx_chain_b.ko.zst' kx_chain_b
step insmod-rmmod-two 'rmmod kx_chain_b kx_chain_c' kx_chain_b kx_chain_c
step insmod-unknown-symbol 'insmod $FX/chain/kx_chain_a.ko' kx_chain_a
step insmod-no-file 'insmod $DATA/nosuch.ko'
step insmod-modprobe-xz 'modprobe -d /vm/xz kx_chain_a' kx_chain_a kx_chain_b kx_chain_c
reset
# plain `xz` (CRC64): kmod 30 decompresses it itself; a 6.12 kernel, which
# kmodx hands .ko.xz files, refuses it (EINVAL), and kmodx then decompresses
# it and loads the image, saying so at -v
step insmod-xz-crc64 'insmod $DATA/dummy-crc64.ko.xz' dummy
step insmod-rmmod-xz-crc64 'rmmod dummy' dummy
step modprobe-xz-crc64-verbose 'modprobe -v -d /vm/xz64 kx_chain_c' kx_chain_c
differ_on xz modprobe-xz-crc64-verbose \
	'the kernel refuses the CRC64 .ko.xz that kmodx hands it; kmodx says so at -v and loads the decompressed image (kmod 30 decompresses every file itself)' \
	'/^-- stderr$/a modprobe: NOTICE: the kernel refused the xz file /vm/xz64/lib/modules/@KVER@/kernel/kx_chain_c.ko.xz (Invalid argument): decompressing it here and loading the image'
step modprobe-xz-crc64-remove 'modprobe -r -d /vm/xz64 kx_chain_c' kx_chain_c
reset
step insmod-gz 'insmod $DATA/dummy.ko.gz' dummy
differ insmod-gz \
	'Debian builds kmod 30 without zlib, so it hands the gzip file to the kernel as is (Invalid module format); kmodx decompresses .ko.gz: the result is that of insmod-plain' \
	's|^\$ insmod \$DATA/dummy\.ko$|$ insmod $DATA/dummy.ko.gz|' insmod-plain

# ------------------------------------------------ vermagic
group vermagic
step vermagic-insmod 'insmod $DATA/kx_base-badvermagic.ko' kx_base
step vermagic-modprobe 'modprobe -d /vm/bad kx_base' kx_base
step vermagic-modprobe-force 'modprobe -d /vm/bad --force-vermagic kx_base' kx_base
step vermagic-rmmod 'rmmod kx_base' kx_base
step vermagic-insmod-force 'insmod -f $DATA/kx_base-badvermagic.ko' kx_base

# ------------------------------------------------ init failure, no exit function
group lifecycle
step fail-init-modprobe 'modprobe kx_fail_init' kx_fail_init
step fail-init-insmod 'insmod $FX/lifecycle/kx_fail_init.ko' kx_fail_init
step noexit-load 'modprobe kx_noexit' kx_noexit
step noexit-lsmod 'lsmod'
step noexit-rmmod 'rmmod kx_noexit' kx_noexit
step noexit-modprobe-r 'modprobe -r kx_noexit' kx_noexit
step noexit-rmmod-force 'rmmod -f kx_noexit' kx_noexit

# ------------------------------------------------ symbol namespaces
group namespaces
step ns-insmod-missing 'insmod $FX/ns/kx_ns_import.ko' kx_ns_import kx_ns_export
step ns-load 'modprobe kx_ns_import' kx_ns_import kx_ns_export
step ns-remove 'modprobe -r kx_ns_import' kx_ns_import kx_ns_export

# ------------------------------------------------ Debian network modules
group vxlan
step vxlan-load 'modprobe vxlan' vxlan udp_tunnel ip6_udp_tunnel
step vxlan-remove 'modprobe -r vxlan' vxlan udp_tunnel ip6_udp_tunnel
group iptables
step ipt-load 'modprobe iptable_filter' iptable_filter ip_tables x_tables
step ipt-remove-in-use 'modprobe -r x_tables' x_tables
step ipt-remove 'modprobe -r iptable_filter' iptable_filter ip_tables x_tables
differ ipt-remove \
	'kmod 30 checks each dependency once, deepest first, so x_tables (still held by ip_tables then) stays; kmodx removes every dependency left unused' \
	'/^x_tables /d; s/^x_tables: initstate=.*/x_tables: absent/; /^x_tables: \(refcnt\|taint\|holders\|parameter\)/d'

# ------------------------------------------------ several at once
group multi
step multi-load 'modprobe -a kx_params kx_top vfat kx_ns_import'
step multi-lsmod 'lsmod'
step multi-remove 'modprobe -r -a kx_params vfat' kx_params vfat fat
step multi-config 'modprobe -c'

# ------------------------------------------------ parallel loading
# 30-odd modules with their dependencies at once: kmod 30 loads them in
# order, kmodx with --parallel=4 ($PARALLEL is empty for kmod) on the
# guest's four CPUs; the same modules, refcounts and holders must result
# (/proc/modules compared sorted). The wall times are printed, not judged.
group parallel
step_sorted parallel-load 't0=$(cut -d" " -f1 /proc/uptime); modprobe -a $PARALLEL $(cat /vm/parallel-modules); rc=$?; echo "$SIDE parallel-load $t0 $(cut -d" " -f1 /proc/uptime)" >>/tmp/times; exit $rc'
step_sorted parallel-again 'modprobe -a $PARALLEL $(cat /vm/parallel-modules)'

# ------------------------------------------------ libkmod.so.2's clients
# systemd's and udev's own loaders, unmodified Debian binaries that link
# libkmod.so.2, run with the side's library first ($LIBKMOD): Debian's
# libkmod2 for kmod 30, kmodx's libkmod.so.2 for kmodx. The modules-load.d
# file names modules with dependencies, a softdep-free alias, one the kernel
# command line blacklists (kx_info: systemd asks for
# KMOD_PROBE_APPLY_BLACKLIST and logs the positive return) and one that does
# not exist (exit status 1).
group libkmod-clients
step modules-load 'printf "vfat\n# comment\n\nkx_chain_a\n; other comment\ndummy\nkx_info\nkx_nosuch\n" >/tmp/kx-load.conf; LD_LIBRARY_PATH=$LIBKMOD /usr/lib/systemd/systemd-modules-load /tmp/kx-load.conf' \
	vfat fat kx_chain_a kx_chain_b kx_chain_c dummy kx_info
step modules-load-again 'LD_LIBRARY_PATH=$LIBKMOD /usr/lib/systemd/systemd-modules-load /tmp/kx-load.conf'
step udev-kmod-load 'LD_LIBRARY_PATH=$LIBKMOD udevadm test-builtin "kmod load xfs iptable_filter kx_top kx_nosuch" /sys/class/mem/null' \
	xfs libcrc32c iptable_filter ip_tables x_tables kx_top kx_left kx_right kx_base
