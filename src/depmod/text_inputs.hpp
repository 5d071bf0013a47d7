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

struct ModulesOrder {
  std::vector<std::string_view> lines;  ///< views into the parsed text, without '\n'
  /// 1-based number of a last line that lacks its '\n' (libkmod then
  /// ignores the whole file); 0 when every line is complete.
  std::size_t unterminated_line = 0;
};
ModulesOrder parse_modules_order(std::string_view content);

/// modules.builtin.bin for the text of modules.builtin: the normalised base
/// name of every line. A line not starting with a letter is reported (kmod's
/// "Invalid modules.builtin line") and skipped.
Result<std::string> builtin_index(std::string_view content, DiagnosticSink& sink, index::Order order);

/// modules.builtin.alias.bin for the bytes of modules.builtin.modinfo.
Result<std::string> builtin_alias_index(std::string_view content, DiagnosticSink& sink, index::Order order);

}  // namespace kmodx::depmod
