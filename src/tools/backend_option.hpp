// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// --backend=linux|sim[:STATE_DIR] (else KMODX_BACKEND, else linux) for
// insmod, rmmod and lsmod, which work on the running kernel's module
// directory.
#include <memory>
#include <optional>
#include <string>

#include "kmodx/loader.hpp"
#include "tools/log.hpp"

namespace kmodx::tools {

/// The module directory of the running kernel, /lib/modules/$(uname -r).
std::string default_module_dir();

/// Opens the backend or prints why not ("<prog>: ERROR: ...") and returns null.
std::unique_ptr<LoaderBackend> open_tool_backend(ToolLog& log, const std::optional<std::string>& option,
                                                 const std::string& module_dir);

}  // namespace kmodx::tools
