// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Module parameters as the kernel parses them at load time: kernel/params.c
// parse_args() with lib/cmdline.c next_arg() for the splitting and quoting,
// the standard kernel_param_ops setters for the values, and
// unknown_module_param_cb() of kernel/module/main.c for names the module does
// not declare (a warning, not an error, since 2.6.36).
//
// The simulated kernel knows a module's parameters from its __param table
// and their types from its `parmtype=name:type` .modinfo entries
// (module_param() emits one per parameter; a parameter with its own ops has
// none and takes any value, as its setter is not run); it cannot know array
// sizes, string buffer lengths or defaults,
// so arrays take any number of elements, strings any length up to the
// kernel's 1024-byte charp limit, and only given values are recorded.
#include <string>
#include <string_view>
#include <vector>

#include "loader/sim/sim_state.hpp"

namespace kmodx::loader {

/// One parameter: its name and its `parmtype=` type.
struct ParamSpec {
  std::string name;
  std::string type;  ///< "int", "charp", "array of int", ...; empty: its own ops
};

struct ParamOutcome {
  std::vector<SimParam> values;   ///< in the order first given; later values win
  std::vector<std::string> log;   ///< what the kernel would print (dmesg)
  int error = 0;                  ///< errno of the last failing parameter, 0 if none
};

/// Splits \p args like next_arg(): a token is `name` or `name=value`, double
/// quotes group spaces (`p="a b"`), quotes around the value are removed.
/// Returns (name, value, has_value) triples; stops at a bare `--`.
struct ParsedArg {
  std::string name;
  std::string value;
  bool has_value = false;
};
std::vector<ParsedArg> split_kernel_args(std::string_view args, std::string* after_dashes);

/// parse_args(mod->name, mod->args, ...) for a module with parameters
/// \p specs.
ParamOutcome parse_module_params(std::string_view module, std::string_view args, const std::vector<ParamSpec>& specs);

/// The setter of type \p type for \p value (nullptr: no `=value` given):
/// 0 and the sysfs rendering in \p shown, or the errno the kernel's setter
/// returns (EINVAL, ERANGE, ENOSPC).
int set_param_value(std::string_view type, const std::string* value, std::string& shown);

}  // namespace kmodx::loader
