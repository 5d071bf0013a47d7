// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// build_module_database() (kmodx/depmod.hpp) for callers inside the library
// that have read the modules already: `kmodx check` reads every module of
// the tree and hands depmod what it read, so that its stale-index check
// does not read the tree a second time.

#include "depmod/module_record.hpp"
#include "kmodx/depmod.hpp"

namespace kmodx::depmod {

/// As kmodx::build_module_database(); a module whose path \p preloaded has
/// is taken from it instead of being read (null: read every module).
Result<DepmodOutcome> build_module_database(const DepmodRequest& request, DiagnosticSink& sink,
                                            const PreloadedContents* preloaded);

}  // namespace kmodx::depmod
