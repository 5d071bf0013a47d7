// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Static device nodes: the entries of `modules.devname` (written by depmod,
/// one per module that declares a `devname:` alias together with a
/// `char-major-M-N` or `block-major-M-N` alias) and the three forms `kmod
/// static-nodes` prints them in. systemd's kmod-static-nodes.service runs
/// `kmod static-nodes --format=tmpfiles` at boot so that /dev has these nodes
/// before any module is loaded; opening one then loads its module.
///
/// ## modules.devname
///
///     # Device nodes to trigger on-demand module loading.
///     <module> <devname> <c|b><major>:<minor>
///
/// e.g. `fuse fuse c10:229`, `snd_timer snd/timer c116:33`. Lines are read as
/// kmod 30 reads them: in pieces of at most 4095 bytes (fgets into 4096),
/// each ending after a newline or at that size; a piece that begins with `#`
/// is a comment; the others are parsed as sscanf("%s %s %c%u:%u") does (any
/// run of blanks between fields, numbers with an optional sign, taken modulo
/// 2^32 after strtoul's clamping) and must give all five fields with a type
/// of `c` or `b`; a NUL byte ends a piece's text.
///
/// Thread safety: pure functions over their arguments.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"

namespace kmodx {

struct KMODX_API StaticNode {
  std::string module;   ///< module name as written ("snd_timer")
  std::string devname;  ///< node under /dev ("snd/timer")
  char type = 'c';      ///< 'c' (character) or 'b' (block)
  unsigned major = 0;
  unsigned minor = 0;
};

struct KMODX_API StaticNodes {
  std::vector<StaticNode> nodes;     ///< the valid entries, in file order
  std::vector<std::string> invalid;  ///< the pieces that are not, as read (with their newline, if any)
};

KMODX_API StaticNodes parse_modules_devname(std::string_view content);

enum class StaticNodesFormat { human, tmpfiles, devname };

/// The formats by name ("human", "tmpfiles", "devname") in kmod's order,
/// with the descriptions `kmod static-nodes --help` lists.
struct KMODX_API StaticNodesFormatInfo {
  StaticNodesFormat format;
  std::string_view name;
  std::string_view description;
};
KMODX_API const std::vector<StaticNodesFormatInfo>& static_nodes_formats();
KMODX_API std::optional<StaticNodesFormat> static_nodes_format_named(std::string_view name);

/// \p nodes in \p format, as kmod 30 prints them:
///   human     "Module: M\n\tDevice node: /dev/D\n\t\tType: character|block device\n\t\tMajor: N\n\t\tMinor: N\n"
///   tmpfiles  "d /dev/DIR 0755 - - -\n" when D has a directory part, then "c! /dev/D 0600 - - - MAJ:MIN\n"
///   devname   "M D cMAJ:MIN\n" (the modules.devname line)
KMODX_API std::string format_static_nodes(const std::vector<StaticNode>& nodes, StaticNodesFormat format);

}  // namespace kmodx
