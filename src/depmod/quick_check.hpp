// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod -A: the work is skipped when no module file in the module
// directory is newer than modules.dep.

#include <string>

#include "kmodx/diag.hpp"

namespace kmodx::depmod {

/// True when modules.dep exists and no module under \p dirname (skipping
/// "build" and "source") has a later modification time, compared to the
/// nanosecond like kmod master (kmod 30 compared whole seconds).
bool depmod_is_up_to_date(const std::string& dirname, DiagnosticSink& sink);

}  // namespace kmodx::depmod
