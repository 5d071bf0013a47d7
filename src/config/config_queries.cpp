// SPDX-License-Identifier: LGPL-2.1-or-later
// How configuration entries are matched at run time (KMOD-SPEC §7.5) and
// printed by `modprobe -c` (§7.3).
#include <fnmatch.h>

#include "kmodx/modprobe_config.hpp"

namespace kmodx {
namespace {

bool matches(const std::string& pattern, std::string_view name) {
  return ::fnmatch(pattern.c_str(), std::string(name).c_str(), 0) == 0;
}

template <class Entry>
const Entry* first_match(const std::vector<Entry>& entries, std::string_view name) {
  for (const Entry& entry : entries)
    if (matches(entry.module, name)) return &entry;
  return nullptr;
}

}  // namespace

bool ModprobeConfig::is_blacklisted(std::string_view module) const {
  for (const std::string& name : blacklist)
    if (name == module) return true;
  return false;
}

std::optional<std::string> ModprobeConfig::options_for(std::string_view module, std::string_view alias) const {
  std::optional<std::string> joined;
  for (const ConfigText& entry : options) {
    if (entry.module != module && (alias.empty() || entry.module != alias)) continue;
    if (entry.text.empty()) continue;
    if (joined) *joined += ' ';
    else joined.emplace();
    *joined += entry.text;
  }
  return joined;
}

const ConfigText* ModprobeConfig::install_for(std::string_view module) const { return first_match(install, module); }
const ConfigText* ModprobeConfig::remove_for(std::string_view module) const { return first_match(remove, module); }
const ConfigDependencies* ModprobeConfig::softdep_for(std::string_view module) const {
  return first_match(softdeps, module);
}
const ConfigDependencies* ModprobeConfig::weakdep_for(std::string_view module) const {
  return first_match(weakdeps, module);
}

std::string ModprobeConfig::render() const {
  std::string out;
  for (const std::string& name : blacklist) out += "blacklist " + name + "\n";
  for (const ConfigText& entry : install) out += "install " + entry.module + " " + entry.text + "\n";
  for (const ConfigText& entry : remove) out += "remove " + entry.module + " " + entry.text + "\n";
  for (const ConfigAlias& alias : aliases) out += "alias " + alias.pattern + " " + alias.module + "\n";
  for (const ConfigText& entry : options) out += "options " + entry.module + " " + entry.text + "\n";
  for (const ConfigDependencies& dep : softdeps) out += "softdep " + dep.module + " " + dep.rendered + "\n";
  for (const ConfigDependencies& dep : weakdeps) out += "weakdep " + dep.module + " " + dep.rendered + "\n";
  return out;
}

}  // namespace kmodx
