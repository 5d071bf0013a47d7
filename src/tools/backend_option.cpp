// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/backend_option.hpp"

#include "tools/cli.hpp"

namespace kmodx::tools {

std::string default_module_dir() { return std::string(KMODX_MODULE_DIRECTORY "/") + running_kernel_release(); }

std::unique_ptr<LoaderBackend> open_tool_backend(ToolLog& log, const std::optional<std::string>& option,
                                                 const std::string& module_dir) {
  auto spec = select_backend(option);
  if (!spec) {
    log.error(spec.error().detail);
    return nullptr;
  }
  auto backend = open_backend(*spec, module_dir, log);
  if (!backend) {
    log.error(backend.error().detail);
    return nullptr;
  }
  return std::move(backend).value();
}

}  // namespace kmodx::tools
