// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The text files depmod reads from the module directory, parsed from memory
// so that the file reading stays in one place and the parsers can be fuzzed.
//
//   modules.order            one module path per line, relative to the
//                            module directory, uncompressed name, each line
//                            ended by '\n'
//   modules.builtin          one path per built-in module, as modules.order;
//                            a line must start with a letter
//   modules.builtin.modinfo  a stream of "<module>.<key>=<value>" records,
//                            each ended by NUL; only `alias` keys are indexed

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "index/trie_writer.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

/// modules.order as depmod reads it: fgets() into a PATH_MAX buffer, so a
/// line of PATH_MAX - 1 bytes or more, or one holding a NUL byte, reads as a
/// line that "misses '\n'", and so does a last line without one. Such a
/// line voids the whole file (depmod reports it and keeps the hash order).
/// A line starting with NUL reads as empty and ranks nothing.
struct ModulesOrder {
  std::vector<std::string_view> lines;  ///< views into the parsed text, without '\n'
  /// 1-based number of the first line that misses its '\n'; 0: none.
  std::size_t corrupted_line = 0;
};
inline constexpr std::size_t kOrderLineBuffer = 4096;  // PATH_MAX
ModulesOrder parse_modules_order(std::string_view content);

/// modules.builtin.bin for the text of modules.builtin: the normalised base
/// name of every line. A line not starting with a letter is reported (kmod's
/// "Invalid modules.builtin line") and skipped.
Result<std::string> builtin_index(std::string_view content, DiagnosticSink& sink, index::Order order);

/// modules.builtin.alias.bin for the bytes of modules.builtin.modinfo.
Result<std::string> builtin_alias_index(std::string_view content, DiagnosticSink& sink, index::Order order);

}  // namespace kmodx::depmod
