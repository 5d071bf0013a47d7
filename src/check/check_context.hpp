// SPDX-License-Identifier: LGPL-2.1-or-later
// What the checks of `kmodx check` share (kmodx/check.hpp): the modules as
// read, the kernel, the keys, and where findings go. The data path is
//   check_tree.cpp (find the modules) → check_scan.cpp (read each, in
//   parallel) → check_symbols.cpp (resolve, one thread) and
//   check_tree_files.cpp (the files around the modules) → findings, sorted
//   once at the end so that the report never depends on thread timing.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crypto/module_signature.hpp"
#include "depmod/module_record.hpp"
#include "kmodx/check.hpp"
#include "loader/sim/sim_kernel.hpp"
#include "loader/sim/sim_module_scan.hpp"

namespace kmodx::check {

/// One module file and what reading it gave.
struct ModuleFacts {
  std::string name;  ///< from the path, as depmod names it
  std::string path;  ///< absolute
  std::string file;  ///< relative to the module dir when inside it, else path
  bool target = false;  ///< findings about it are reported
  bool in_tree = true;  ///< found in the module directory (not a target from outside)
  std::optional<loader::ScannedModule> scanned;  ///< nullopt: unreadable
  std::string unreadable;                        ///< why, when scanned is nullopt
  std::optional<crypto::SignatureCheck> signature;  ///< when signatures are checked
  /// What depmod reads from it, for the stale-index check (whole-tree runs).
  std::optional<depmod::ModuleContents> contents;
};

struct CheckContext {
  explicit CheckContext(const CheckRequest& r) : request(r) {}

  const CheckRequest& request;
  std::optional<loader::SimKernel> kernel;  ///< nullopt: the kernel's exports are unknown
  crypto::KeyRing keys;
  std::vector<ModuleFacts> modules;
  std::vector<depmod::ModuleRecord> walk;  ///< the tree as depmod's search found it, for the index check
  std::unordered_map<std::string, std::size_t> by_name;  ///< module name → index in modules
  std::unordered_set<std::string> builtin;               ///< names of built-in modules
  std::vector<std::string> builtin_aliases;              ///< alias patterns of built-in modules
  std::vector<CheckFinding> findings;
  std::size_t input_errors = 0;  ///< see CheckReport::input_errors

  void add(const ModuleFacts& m, std::string kind, CheckSeverity severity, std::string subject, std::string message) {
    findings.push_back({m.name, m.file, std::move(kind), severity, std::move(subject), std::move(message)});
  }
  void add_tree(std::string kind, CheckSeverity severity, std::string subject, std::string message) {
    findings.push_back({"", "", std::move(kind), severity, std::move(subject), std::move(message)});
  }
  bool checks_signatures() const { return !keys.empty() || request.require_signed; }
};

/// Whether \p path is (or leads by symlinks to) a regular file.
bool is_file(const std::string& path);

/// The report's order (CheckReport::findings): by file, tree-wide findings
/// last, then kind, subject and message.
bool finding_order(const CheckFinding& a, const CheckFinding& b);

/// Reads every module of ctx.modules on \p threads threads.
void scan_modules(CheckContext& ctx, unsigned threads);

/// Per-module findings: readability, vermagic, licence, symbols (against
/// the kernel and every module of the tree), signature, firmware,
/// softdep/weakdep targets.
void check_modules(CheckContext& ctx);

/// Tree-wide findings: modules.dep, modules.order, modules.builtin, and the
/// index files against what depmod writes now: the whole tree indexed into
/// a scratch directory from what scan_modules() read (ModuleFacts::contents;
/// a module it did not read, depmod reads). Whole-tree runs only.
void check_tree_files(CheckContext& ctx, DiagnosticSink& sink);

}  // namespace kmodx::check
