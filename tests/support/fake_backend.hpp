// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// An in-memory LoaderBackend for tests of the library's probe and removal
// logic: a set of loaded modules keyed by the file's module name, scripted
// failures, and a record of every call, so no kernel and no sim state is
// involved.

#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kmodx/loader.hpp"
#include "util/names.hpp"

namespace kmodx::test {

class FakeBackend final : public LoaderBackend {
 public:
  std::set<std::string> loaded;              ///< live modules
  std::map<std::string, int> insert_errors;  ///< module name -> errno its insertion fails with
  std::vector<std::string> calls;            ///< "insert NAME PARAMS" / "remove NAME"

  std::string_view kind() const override { return "fake"; }

  Result<void> insert(const InsertRequest& request) override {
    const std::string name = path_to_modname(request.path).value();
    calls.push_back("insert " + name + (request.params.empty() ? "" : " " + request.params));
    if (auto e = insert_errors.find(name); e != insert_errors.end()) return make_error(e->second, name + ": scripted");
    if (!loaded.insert(name).second) return make_error(EEXIST, name + ": already loaded");
    return {};
  }
  Result<void> remove(std::string_view name, bool) override {
    calls.push_back("remove " + std::string(name));
    if (loaded.erase(std::string(name)) == 0) return make_error(ENOENT, std::string(name) + ": not loaded");
    return {};
  }
  Result<InitState> initstate(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return InitState::live;
  }
  Result<long> refcnt(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return 0L;
  }
  Result<std::vector<std::string>> holders(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return std::vector<std::string>{};
  }
  Result<long> size(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return 4096L;
  }
  Result<std::vector<ProcModule>> loaded_modules() override {
    std::vector<ProcModule> out;
    for (const std::string& m : loaded) out.push_back({m, 4096, 0, "-", "Live"});
    return out;
  }
};

}  // namespace kmodx::test
