// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// modprobe --help: kmod master's text (printf format, %1$s = program name),
// but for -R, which is kmod 30's --resolve-alias (master's --show-alias is
// not an option of kmod 30).

namespace kmodx::tools {

inline constexpr const char* kModprobeHelp =
    "Usage:\n"
    "\t%1$s [options] [-i] [-b] modulename\n"
    "\t%1$s [options] -a [-i] [-b] modulename [modulename...]\n"
    "\t%1$s [options] -r [-i] modulename\n"
    "\t%1$s [options] -r -a [-i] modulename [modulename...]\n"
    "\t%1$s [options] -c\n"
    "\t%1$s [options] --show-modversions filename\n"
    "Management Options:\n"
    "\t-a, --all                   Consider every non-argument to\n"
    "\t                            be a module name to be inserted\n"
    "\t                            or removed (-r)\n"
    "\t-r, --remove                Remove modules instead of inserting\n"
    "\t    --remove-holders        Also remove module holders (use together with -r)\n"
    "\t-w, --wait MSEC             When removing a module, wait up to MSEC for\n"
    "\t                            module's refcount to become 0 so it can be\n"
    "\t                            removed (use together with -r)\n"
    "\t    --first-time            Fail if module already inserted or removed\n"
    "\t-i, --ignore-install        Ignore install commands\n"
    "\t-i, --ignore-remove         Ignore remove commands\n"
    "\t-b, --use-blacklist         Apply blacklist to resolved alias.\n"
    "\t-f, --force                 Force module insertion or removal.\n"
    "\t                            implies --force-modversion and\n"
    "\t                            --force-vermagic\n"
    "\t    --force-modversion      Ignore module's version\n"
    "\t    --force-vermagic        Ignore module's version magic\n"
    "\n"
    "Query Options:\n"
    "\t-R, --resolve-alias         Only lookup and print alias and exit\n"
    "\t-D, --show-depends          Print module dependencies and exit\n"
    "\t-c, --show-config           Print known configuration and exit\n"
    "\t    --show-modversions      Print module symbol version and exit\n"
    "\t    --show-exports          Print module exported symbol versions and exit\n"
    "\n"
    "General Options:\n"
    "\t-n, --dry-run               Do not execute operations, just print out\n"
    "\t-C, --config FILE           Use FILE instead of default search paths\n"
    "\t-d, --dirname DIR           Use DIR as filesystem root for " KMODX_MODULE_DIRECTORY "\n"
    "\t-S, --set-version VERSION   Use VERSION instead of $(uname -r)\n"
    "\t-s, --syslog                print to syslog, not stderr\n"
    "\t-q, --quiet                 disable messages\n"
    "\t-v, --verbose               enables more messages\n"
    "\t-V, --version               show version\n"
    "\t-h, --help                  show this help\n";

}  // namespace kmodx::tools
