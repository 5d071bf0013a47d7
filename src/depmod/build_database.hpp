// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// build_module_database() (kmodx/depmod.hpp) for callers inside the library
// that have read the modules already: `kmodx check` reads every module of
// the tree and hands depmod what it read, so that its stale-index check
// does not read the tree a second time.

#include <vector>

#include "depmod/module_record.hpp"
#include "kmodx/depmod.hpp"

namespace kmodx::depmod {

/// What the caller has done already.
struct ReadAlready {
  /// find_modules() of request.module_dir with the same configuration, in
  /// its order (the records' name, path and relpath): the tree is not walked
  /// again. Only for whole-tree runs (request.files empty).
  std::vector<ModuleRecord> walk;
  /// By path: taken instead of reading the file (a module not here is read).
  PreloadedContents contents;
};

/// As kmodx::build_module_database(), with what \p read holds (null: do
/// everything); its contents are moved out as they are used.
Result<DepmodOutcome> build_module_database(const DepmodRequest& request, DiagnosticSink& sink,
                                            ReadAlready* read);

}  // namespace kmodx::depmod
