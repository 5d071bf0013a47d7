// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// `kmodx check`: a whole module tree verified the way the kernel would load
/// it, for packaging tests. Every module (or the given ones) is read and
/// "loaded" with the whole tree into a throw-away simulated kernel: its
/// symbols are resolved against the kernel's exports and every other module,
/// with the kernel's rules for licences, namespaces, modversion CRCs and
/// vermagic; its signature is verified against the kernel's keys; and the
/// tree around it (modules.dep, softdeps, weakdeps, modules.order,
/// modules.builtin, the index files, firmware) is checked for what would fail
/// at boot. Every problem is a CheckFinding; nothing is printed.
///
/// Finding kinds (the `kind` strings are stable; README, "kmodx check"):
///   module-unreadable, unknown-symbol, gpl-only-symbol,
///   namespace-not-imported, crc-mismatch, vermagic, no-license,
///   dependency-missing, softdep-missing, weakdep-missing, shadowed,
///   order-entry-missing, not-in-order, builtin-has-file, stale-index,
///   index-error,
///   firmware-missing, unsigned, unknown-key, bad-signature, weak-digest,
///   unsupported-signature, alias-gone.
///
/// Thread safety: check_module_tree() uses up to CheckRequest::threads
/// threads and calls the sink only from the calling thread; the report
/// functions are pure.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kmodx/diag.hpp"
#include "kmodx/export.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

struct KMODX_API CheckRequest {
  std::string module_dir;  ///< `<base>/lib/modules/<release>`
  std::string release;
  /// Modules (files, or directories searched for modules) to check against
  /// the tree instead of the whole tree; tree-wide checks are then skipped.
  std::vector<std::string> targets;
  /// The kernel's exports: Module.symvers, else System.map; both empty:
  /// `<module_dir>/build/Module.symvers` when it exists.
  std::string symvers;
  std::string system_map;
  /// depmod.d files and directories (empty: depmod's defaults), for the
  /// stale-index check and the search order of shadowed modules.
  std::vector<std::string> config_paths;
  std::vector<std::string> firmware_dirs;  ///< empty: no firmware check
  std::vector<std::string> certs;          ///< PEM or DER certificate files
  std::string kernel_image;                ///< vmlinux or bzImage with built-in certificates
  bool require_signed = false;             ///< unsigned is an error, also without keys
  unsigned threads = 0;                    ///< 0: one per CPU
  /// Called with "inputs" (kernel exports and keys), "search", "read",
  /// "modules" (the per-module checks), "tree" and "report" as each phase
  /// ends (for timing).
  std::function<void(const char* phase)> phase_done;
};

enum class CheckSeverity { error, warning };

struct KMODX_API CheckFinding {
  std::string module;   ///< module name; empty for tree-wide findings
  std::string file;     ///< relative to the module dir when inside it; empty for tree-wide findings
  std::string kind;
  CheckSeverity severity = CheckSeverity::error;
  std::string subject;  ///< the symbol, file, firmware, ... it is about (may be empty)
  std::string message;
};

struct KMODX_API CheckedModule {
  std::string name;
  std::string file;  ///< as CheckFinding::file
};

struct KMODX_API CheckReport {
  std::string release;
  std::string module_dir;
  std::vector<CheckedModule> modules;  ///< in report order (by file)
  /// Sorted: by module file (tree-wide last), then kind, then subject.
  std::vector<CheckFinding> findings;
  /// (pattern, module) of every alias the checked modules provide, for a
  /// later --baseline.
  std::vector<std::pair<std::string, std::string>> aliases;
  /// Inputs that could not be used (a certificate file, the kernel image,
  /// bad Module.symvers lines): also reported to the sink as errors. The
  /// tool exits 2 when there are any.
  std::size_t input_errors = 0;

  std::size_t errors() const;
  std::size_t warnings() const;
};

/// Runs every check. Errors: the module directory cannot be read (ENOENT,
/// EACCES, ...), a target that does not exist. Everything else is a
/// finding, or an input error reported to \p sink.
KMODX_API Result<CheckReport> check_module_tree(const CheckRequest& request, DiagnosticSink& sink);

/// An earlier report, for --baseline: its findings and aliases.
struct KMODX_API CheckBaseline {
  std::vector<CheckFinding> findings;  ///< module, kind and subject are filled
  std::vector<std::pair<std::string, std::string>> aliases;
};

/// Reads a report written by check_report_json(). EBADMSG naming \p file
/// and the byte offset when it is not one.
KMODX_API Result<CheckBaseline> parse_check_baseline(std::string_view json, const std::string& file);

/// Drops the findings \p old has (same module, kind and subject) and adds an
/// alias-gone warning for each of its aliases that no module of \p report
/// provides.
KMODX_API void apply_check_baseline(CheckReport& report, const CheckBaseline& old);

/// The human report: findings grouped by module, then a summary line.
KMODX_API std::string check_report_text(const CheckReport& report);
/// One JSON document (schema: README, "Machine-readable output").
KMODX_API std::string check_report_json(const CheckReport& report);
/// JUnit XML: one test case per module and one for the tree.
KMODX_API std::string check_report_junit(const CheckReport& report);

}  // namespace kmodx
