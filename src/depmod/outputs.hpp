// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod's eleven output files, as a table of {name, printed by -n, writer}.
// Every writer renders its whole file into memory; publishing then writes
// each to a temporary file in the output directory and renames them into
// place only after all were written, so a failure leaves the previous
// database untouched and a crash leaves each file old or new, never torn.
//
// Text formats (one line each, '\n'-terminated):
//   modules.dep       <path>:[ <dep path>]...        array order; deps nearest first
//   modules.alias     "# Aliases extracted from modules themselves."
//                     alias <raw alias> <module>
//   modules.softdep   "# Soft dependencies extracted from modules themselves."
//                     softdep <module> <raw value>
//   modules.weakdep   "# Weak dependencies extracted from modules themselves."
//                     weakdep <module> <raw value>
//   modules.symbols   "# Aliases for symbols, used by symbol_request()."
//                     alias symbol:<symbol> <module>   symbol hash order
//   modules.devname   "# Device nodes to trigger on-demand module loading."
//                     (only before the first entry) <module> <name> <c|b><major>:<minor>
// The .bin indexes use the trie format of index/trie_writer.hpp (pre-order).

#include <array>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "depmod/dep_graph.hpp"
#include "depmod/module_record.hpp"
#include "depmod/symbol_table.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

struct DepmodState {
  const std::vector<ModuleRecord>& modules;  ///< in array order
  const DependencyGraph& graph;              ///< sorted
  const SymbolTable& symbols;
  std::string dirname;  ///< input module directory (modules.builtin*)
  bool warn_duplicates = false;
  DiagnosticSink& sink;
};

/// What the writers share: the state, the sink this writer reports to, and
/// results more than one writer needs, computed once.
struct RenderContext;

struct OutputFile {
  std::string_view name;
  bool text;  ///< printed by depmod -n
  Result<void> (*render)(const RenderContext& context, std::string& out);
};

extern const std::array<OutputFile, 11> kOutputFiles;

/// depmod -n: the text files back to back on \p out. False after a failure,
/// which has been reported to the state's sink.
bool print_text_outputs(const DepmodState& state, std::FILE* out);

/// Renders every file on up to \p threads threads (0: one per CPU), then
/// publishes all of them into \p outdir (created with its parents).
/// Messages reach the state's sink in table order whatever the threads did,
/// and stop after the first file that fails, as kmod stops there. Returns
/// false when depmod must fail; every problem has been reported to the
/// state's sink in kmod's words. Unless all files were published, the old
/// ones are untouched and no temporary file remains.
bool write_outputs(const DepmodState& state, const std::string& outdir, unsigned threads = 0);

}  // namespace kmodx::depmod
