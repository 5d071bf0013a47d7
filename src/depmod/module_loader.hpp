// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Reads, decompresses and parses modules on a pool of threads. Each worker
// fills the record at its own index, so the result never depends on timing.

#include <vector>

#include "depmod/module_record.hpp"

namespace kmodx::depmod {

/// Fills aliases, softdeps, weakdeps, exports, needs and symbols_error of
/// every record from its file. \p threads == 0 means one per online CPU.
void load_modules(std::vector<ModuleRecord>& modules, unsigned threads);

/// Reads one module (what each worker does).
void load_module(ModuleRecord& module);

}  // namespace kmodx::depmod
