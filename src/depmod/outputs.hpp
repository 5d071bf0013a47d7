// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod's eleven output files, as a table of {name, printed by -n, writer}.
// Every writer renders its whole file into memory; publishing then writes
// each to a temporary file in the output directory and renames them into
// place only after all were written, so a failure leaves the previous
// database untouched and a killed depmod leaves each file old or new, never
// torn (like kmod, nothing is fsync()ed: after a power loss that depends on
// the filesystem).
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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "depmod/atomic_files.hpp"
#include "depmod/dep_graph.hpp"
#include "depmod/module_record.hpp"
#include "depmod/symbol_table.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

struct DepmodState {
  const std::vector<ModuleRecord>& modules;  ///< in array order
  const DependencyGraph* graph = nullptr;    ///< sorted; set once known
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
  bool text;         ///< printed by depmod -n
  bool needs_graph;  ///< rendered only once the dependency graph is known
  Result<void> (*render)(const RenderContext& context, std::string& out);
};

extern const std::array<OutputFile, 11> kOutputFiles;

/// Why a depmod run's outputs were not written. The library reports only
/// kmod's ERROR lines that do not end a run; the tool words these failures
/// (kmod's FATAL) and decides the exit status.
struct OutputFailure {
  enum class Kind {
    index,      ///< the index writer refused a key or outgrew the format: error.detail is kmod
                ///< master's "Module index: …" text
    publish,    ///< the output directory could not be made or opened, or a rename failed:
                ///< error.detail is kmod's text
    reported,   ///< a temporary file could not be written: already reported as kmod's ERROR
  };
  Kind kind;
  std::string file;  ///< the output file concerned (index), else empty
  Error error;
};

/// depmod -n: the text files back to back, as far as they could be rendered,
/// and the failure that stopped them, if any.
struct TextOutputs {
  std::string text;
  std::optional<OutputFailure> failure;
};
TextOutputs render_text_outputs(const DepmodState& state);

/// Writing the files of a depmod run, overlapped with building the graph:
/// construction starts rendering, on up to \p threads - 1 worker threads (0:
/// one per CPU), the files that do not need the dependency graph; finish()
/// supplies the graph, renders the rest with this thread helping, and
/// publishes all of them into \p outdir (created with its parents).
///
/// Messages reach the state's sink in table order whatever the threads did,
/// and stop after the first file that fails, as kmod stops there. Destroying
/// the renderer without finish() (a dependency cycle) discards everything.
class OutputRenderer {
 public:
  OutputRenderer(const DepmodState& state, unsigned threads);
  ~OutputRenderer();
  OutputRenderer(const OutputRenderer&) = delete;
  OutputRenderer& operator=(const OutputRenderer&) = delete;

  /// The failure that makes depmod fail, if any (a temporary file that
  /// could not be created is reported and is none, as in kmod). Unless all
  /// files were published, the old ones are untouched and no temporary file
  /// remains.
  /// \p extra (the depmod cache) is published with the index files, after them.
  std::optional<OutputFailure> finish(const DependencyGraph& graph, const std::string& outdir,
                                      std::vector<PendingFile> extra = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kmodx::depmod
