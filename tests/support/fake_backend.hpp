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
  std::map<std::string, std::vector<std::string>> holders_of;  ///< module -> the loaded modules using it
  std::map<std::string, long> extra_refs;    ///< references from outside (an open device)
  std::vector<std::string> calls;            ///< "insert NAME PARAMS" / "remove NAME"

  /// The kernel's count: holders still loaded, plus the extra references.
  long references(const std::string& name) const {
    long n = extra_refs.contains(name) ? extra_refs.at(name) : 0;
    if (auto h = holders_of.find(name); h != holders_of.end())
      for (const std::string& holder : h->second) n += loaded.contains(holder) ? 1 : 0;
    return n;
  }

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
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    // delete_module(O_NONBLOCK) of a module in use.
    if (references(std::string(name)) > 0) return make_error(EWOULDBLOCK, std::string(name) + ": in use");
    loaded.erase(std::string(name));
    return {};
  }
  Result<InitState> initstate(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return InitState::live;
  }
  Result<long> refcnt(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return references(std::string(name));
  }
  Result<std::vector<std::string>> holders(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    std::vector<std::string> out;
    if (auto h = holders_of.find(std::string(name)); h != holders_of.end())
      for (const std::string& holder : h->second)
        if (loaded.contains(holder)) out.push_back(holder);
    return out;
  }
  Result<long> size(std::string_view name) override {
    if (!loaded.contains(std::string(name))) return make_error(ENOENT, std::string(name) + ": not loaded");
    return 4096L;
  }
  Result<std::vector<ProcModule>> loaded_modules() override {
    std::vector<ProcModule> out;
    for (const std::string& m : loaded) out.push_back({m, 4096, references(m), "-", "Live"});
    return out;
  }
};

}  // namespace kmodx::test
