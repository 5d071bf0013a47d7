// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Finding the modules depmod indexes (KMOD-SPEC §4.3): the module directory
// walked recursively in readdir order, then every `external` directory, and
// one copy kept per module name by depmod.d's priority rule.

#include <functional>
#include <string>
#include <vector>

#include "config/depmod_config.hpp"
#include "depmod/module_record.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

/// Walks \p dirname and the configured external directories. Problems with
/// single entries are reported to \p sink and skipped; only a module
/// directory that cannot be opened is an error (after kmod's ERROR line).
/// The result holds name, path as walked and relative path of each module,
/// in discovery order; depmod orders it and reads the modules later.
/// \p on_accepted, unless empty, is called with the path of every file as
/// soon as it is taken (it may still be replaced by a later copy), so
/// reading modules can start during the walk. \p shadowed, unless null,
/// receives the path of every file the priority rule set aside for another
/// of the same name (`kmodx check` reports them).
Result<std::vector<ModuleRecord>> find_modules(const std::string& dirname, const DepmodConfig& config,
                                              DiagnosticSink& sink,
                                              const std::function<void(const std::string&)>& on_accepted = {},
                                              std::vector<std::string>* shadowed = nullptr);

}  // namespace kmodx::depmod
