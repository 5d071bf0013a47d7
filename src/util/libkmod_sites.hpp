// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The places in Debian's libkmod 30 (built with debugging, so each message
// names its source line) whose messages kmodx reproduces: one table, so a
// message's origin is written once. A site is "<file>:<line> <function>",
// as DiagnosticSink::report_from takes it. Constants only; thread-safe.

#include <string_view>

namespace kmodx::libkmod_site {

inline constexpr std::string_view parse_depline = "libkmod-module.c:191 kmod_module_parse_depline";
inline constexpr std::string_view new_from_path = "libkmod-module.c:428 kmod_module_new_from_path";
inline constexpr std::string_view remove_module = "libkmod-module.c:856 kmod_module_remove_module";
inline constexpr std::string_view insert_module_no_path = "libkmod-module.c:895 kmod_module_insert_module";
inline constexpr std::string_view insert_module_open = "libkmod-module.c:920 kmod_module_insert_module";
inline constexpr std::string_view insert_module_strip = "libkmod-module.c:935 kmod_module_insert_module";
inline constexpr std::string_view insert_module_failed = "libkmod-module.c:949 kmod_module_insert_module";
inline constexpr std::string_view command_do_exec = "libkmod-module.c:1041 command_do";
inline constexpr std::string_view command_do_status = "libkmod-module.c:1047 command_do";
inline constexpr std::string_view lookup_softdep = "libkmod-module.c:1567 lookup_softdep";
inline constexpr std::string_view get_initstate = "libkmod-module.c:1788 kmod_module_get_initstate";
inline constexpr std::string_view get_holders = "libkmod-module.c:1998 kmod_module_get_holders";
inline constexpr std::string_view new_from_lookup_list = "libkmod-module.c:570 kmod_module_new_from_lookup";
inline constexpr std::string_view new_from_loaded = "libkmod-module.c:1725 kmod_module_new_from_loaded";
inline constexpr std::string_view get_sections = "libkmod-module.c:2079 kmod_module_get_sections";
inline constexpr std::string_view config_parse_bad_line = "libkmod-config.c:712 kmod_config_parse";
inline constexpr std::string_view config_parse_deprecated = "libkmod-config.c:708 kmod_config_parse";
inline constexpr std::string_view kcmdline_parse_result = "libkmod-config.c:489 kcmdline_parse_result";
inline constexpr std::string_view conf_files_filter_out = "libkmod-config.c:772 conf_files_filter_out";
inline constexpr std::string_view conf_files_list = "libkmod-config.c:798 conf_files_list";

}  // namespace kmodx::libkmod_site
