// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Building a module database: what `depmod` does (KMOD-SPEC §4), as one
/// library call. build_module_database() reads every module (or the given
/// files), resolves their symbols into the dependency graph and writes the
/// eleven index files atomically, or returns them as text (`depmod -n`) or
/// the graph as DOT (`depmod --graph`).
///
/// Messages that do not end a run (kmod's WARNING and ERROR lines: unknown
/// symbols, duplicates, files that could not be read, the modules of a
/// dependency cycle) go to the sink in the order kmod prints them. A failure
/// that ends the run comes back as the error: its detail is kmod's FATAL
/// text, or empty where the reason was already reported (a cycle, an output
/// file that could not be written).
///
/// Thread safety: build_module_database() uses up to DepmodRequest::threads
/// threads internally and calls the sink and the callbacks only from the
/// calling thread. Separate calls may run at once; two that write the same
/// output directory leave one complete set of files.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API DepmodRequest {
  /// The module directory, `<base>/lib/modules/<release>`: searched for
  /// modules, and where modules.order and modules.builtin* are read.
  std::string module_dir;
  /// Where the index files are written (created with its parents); empty:
  /// module_dir.
  std::string output_dir;
  /// The release, for depmod.d lines that name one.
  std::string kernel_version;
  /// Module files (absolute paths) to index instead of the whole tree.
  std::vector<std::string> files;
  /// depmod.d files and directories in order; empty: the defaults
  /// (/etc/depmod.d, /run/depmod.d, /usr/local/lib/depmod.d, /lib/depmod.d).
  std::vector<std::string> config_paths;
  std::string symvers;          ///< -E: Module.symvers, the kernel's symbols with CRCs
  std::string system_map;       ///< -F: System.map, when symvers is empty
  char symbol_prefix = '\0';    ///< -P: the architecture's symbol prefix
  bool report_unknown = false;  ///< -e: unknown symbols and CRC disagreements (needs symvers or system_map)
  bool warn_duplicates = false; ///< -w: a key stored twice in an index
  unsigned threads = 0;         ///< 0: one per CPU
  /// Reuse what an earlier run read from the modules that did not change,
  /// from the cache file `modules.kmodx-cache.bin` in the output directory,
  /// and write that file with the outputs (Output::files of the whole tree,
  /// not of `files`) when the directory already held a cache or
  /// modules.dep: the first run over a fresh tree (an initramfs, a package
  /// build) leaves none behind. The
  /// outputs are the same bytes either way. A cache that cannot be used is
  /// reported at Severity::notice with the reason, and the run reads every
  /// module. depmod(8) sets it unless --no-cache is given.
  bool use_cache = false;

  enum class Output {
    files,  ///< write the index files into output_dir
    text,   ///< -n: the text files, back to back, to `print`
    graph,  ///< --graph: the dependency graph as DOT, to `print`; nothing written
  } output = Output::files;
  /// Receives the text of Output::text and Output::graph.
  std::function<void(std::string_view)> print;
  /// -v: each "<module> needs \"<symbol>\": <provider>" line (no newline) as
  /// it is found; empty: none are made.
  std::function<void(const std::string&)> verbose_line;
  /// Modules read so far and in all, while reading.
  std::function<void(std::size_t done, std::size_t total)> progress;
  /// Called with "cache" (use_cache only), "search", "order", "load",
  /// "symbols", "graph", "outputs" as each phase ends (for timing).
  std::function<void(const char* phase)> phase_done;
};

/// The modules, symbols and graph of one run. Freeing them is a measurable
/// part of a run over thousands of modules: a process that ends right after
/// may keep them (release()) and let the kernel free the memory.
struct DepmodData;

struct KMODX_API DepmodOutcome {
  std::size_t modules = 0;  ///< modules indexed
  std::size_t from_cache = 0;  ///< of those, taken from the cache without opening the file
  std::unique_ptr<DepmodData, void (*)(DepmodData*)> data{nullptr, nullptr};
};

/// Runs depmod. Errors (the detail empty where already reported):
///   EINVAL  a file is not an absolute path; ELOOP a dependency cycle;
///   other errno values from reading the symbol file, searching the tree,
///   writing the index (kmod master's "Module index: …" text) or
///   publishing the files.
KMODX_API Result<DepmodOutcome> build_module_database(const DepmodRequest& request, DiagnosticSink& sink);

/// depmod -A: true when modules.dep exists in \p module_dir and no module
/// below it (skipping "build" and "source") is newer, compared to the
/// nanosecond like kmod master (kmod 30 compared whole seconds).
KMODX_API bool module_database_is_current(const std::string& module_dir, DiagnosticSink& sink);

}  // namespace kmodx
