# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the tests that read a Debian tree through its indexes.
#
#   indexed_copy ROOT KVER DEST
#
# makes DEST/lib/modules/KVER from ROOT/lib/modules/KVER (a tree of
# debian-full-trees.sh, which has no indexes) as hard links, and indexes it
# with Debian's depmod, the oracle. The tree's files are never written
# (depmod replaces its outputs by rename), so removing a module file from
# the copy leaves the cached tree whole.
indexed_copy() {
	mkdir -p "$3/lib/modules" &&
		cp -al "$1/lib/modules/$2" "$3/lib/modules/" &&
		/sbin/depmod -b "$3" "$2"
}
