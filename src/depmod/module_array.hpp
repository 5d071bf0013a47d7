// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod's module array: the order of modules.dep and every other output,
// and each module's index (the priority stored in the .bin indexes).
//
// libkmod fills the array by iterating its modules-by-name hash table (512
// buckets, see util/kmod_hash.hpp), then stably sorts it so that modules
// named in modules.order come first, in that file's order; the rest keep the
// hash order. A modules.order line names a module by its uncompressed
// relative path. A last line without '\n' makes depmod abandon the sort.

#include <string>
#include <vector>

#include "depmod/module_record.hpp"
#include "kmodx/diag.hpp"

namespace kmodx::depmod {

/// Reorders \p modules (names unique) into depmod's array order, reading
/// `<dirname>/modules.order`. Messages as kmod: WARNING when the file is
/// missing, ERROR for a line without newline.
void order_module_array(std::vector<ModuleRecord>& modules, const std::string& dirname,
                        DiagnosticSink& sink);

}  // namespace kmodx::depmod
