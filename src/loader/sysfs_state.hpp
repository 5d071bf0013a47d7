// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Reading module state the way libkmod does (KMOD-SPEC §8.3), from
// /proc/modules and /sys/module/<name>/{initstate,refcnt,coresize,holders}
// — or from the same layout below another root.
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/loader.hpp"

namespace kmodx::loader {

class SysfsState {
 public:
  /// \p proc_modules: the /proc/modules file; \p sys_module: the /sys/module directory.
  SysfsState(std::string proc_modules, std::string sys_module)
      : proc_modules_(std::move(proc_modules)), sys_module_(std::move(sys_module)) {}

  Result<InitState> initstate(std::string_view name) const;
  Result<long> refcnt(std::string_view name) const;
  Result<std::vector<std::string>> holders(std::string_view name) const;
  Result<long> size(std::string_view name) const;
  Result<std::vector<ProcModule>> loaded_modules() const;
  /// <name>/sections: one file per section holding its address in hex.
  Result<std::vector<ModuleSection>> sections(std::string_view name) const;

 private:
  std::string module_dir(std::string_view name) const { return sys_module_ + "/" + std::string(name); }
  std::string proc_modules_;
  std::string sys_module_;
};

/// Parses /proc/modules text; lines that do not have at least a name and a
/// size are skipped.
std::vector<ProcModule> parse_proc_modules(std::string_view text);

}  // namespace kmodx::loader
