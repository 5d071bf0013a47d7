#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /vm/kreq in the VM test's guest: the kernel's modprobe helper
# (/proc/sys/kernel/modprobe). Logs the request into the current step's
# record and hands it to the tool set under test.
echo "$*" >>/tmp/kreq.log
exec timeout 30 /tool/modprobe "$@"
