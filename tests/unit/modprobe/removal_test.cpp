// SPDX-License-Identifier: LGPL-2.1-or-later
// ModuleRemoval (modprobe -r) against the in-memory FakeBackend: the order
// of removals, holders, softdeps, unused dependencies and kmod's error rules.
#include <catch2/catch.hpp>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include "kmodx/modprobe_config.hpp"
#include "kmodx/module_resolver.hpp"
#include "kmodx/removal.hpp"
#include "support/collecting_sink.hpp"
#include "support/fake_backend.hpp"
#include "support/index_tree.hpp"

using kmodx::test::FakeBackend;
using kmodx::test::IndexTree;

namespace {

struct Run {
  std::vector<std::string> printed;  // describe() of each step
  std::vector<std::string> notices;
  int err = 0;                       // 0 or the negative errno of the last failure
};

/// Removes \p names in order with one ModuleRemoval, as `modprobe -r -a`.
Run remove(const IndexTree& tree, FakeBackend& backend, std::vector<std::string> names,
           std::string_view config_text = "", kmodx::RemovalFlags flags = {}) {
  kmodx::test::CollectingSink sink;
  kmodx::ModprobeConfig config;
  kmodx::parse_modprobe_config_text(config_text, "t.conf", config, sink);
  kmodx::ModuleResolver resolver(tree.root(), config, sink);
  Run run;
  kmodx::RemovalHooks hooks;
  hooks.print = [&](const kmodx::RemovalStep& step) { run.printed.push_back(step.describe()); };
  hooks.notice = [&](const std::string& message) { run.notices.push_back(message); };
  kmodx::ModuleRemoval removal(resolver, backend, flags, hooks, sink);
  for (const std::string& name : names) {
    auto found = resolver.lookup(name);
    REQUIRE(found.ok());
    REQUIRE(found->size() == 1);
    auto removed = removal.remove(found->front());
    if (!removed) run.err = -removed.error().code;
  }
  return run;
}

// a uses b and c, b uses c; d is unrelated.
IndexTree chain() {
  return IndexTree({{"a", "kernel/a.ko: kernel/b.ko kernel/c.ko"},
                    {"b", "kernel/b.ko: kernel/c.ko"},
                    {"c", "kernel/c.ko:"},
                    {"d", "kernel/d.ko:"},
                    {"s", "kernel/s.ko:"}},
                   {"builtin_one"});
}

/// A backend with the chain loaded and its references as the kernel keeps them.
FakeBackend chain_loaded() {
  FakeBackend backend;
  backend.loaded = {"a", "b", "c", "d"};
  backend.holders_of = {{"b", {"a"}}, {"c", {"a", "b"}}};
  return backend;
}

}  // namespace

TEST_CASE("ModuleRemoval: the module, then every dependency left unused", "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend = chain_loaded();
  Run run = remove(tree, backend, {"a"});
  CHECK(run.err == 0);
  // The pass goes deepest first: c is still held by b then and skipped, b
  // goes; kmod's single pass would leave c loaded, kmodx repeats the pass
  // (kmodx/removal.hpp).
  CHECK(backend.calls == std::vector<std::string>{"remove a", "remove b", "remove c"});
  CHECK(backend.loaded == std::set<std::string>{"d"});
  CHECK(run.printed == std::vector<std::string>{"rmmod a\n", "rmmod b\n", "rmmod c\n"});
  CHECK(run.notices.empty());
}

TEST_CASE("ModuleRemoval: a module in use is refused with EBUSY, nothing removed", "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend = chain_loaded();
  Run run = remove(tree, backend, {"b"});
  CHECK(run.err == -EBUSY);
  CHECK(run.notices == std::vector<std::string>{"Module b is in use."});
  CHECK(backend.calls.empty());
  CHECK(backend.loaded.size() == 4);
}

TEST_CASE("ModuleRemoval: --remove-holders removes the users first", "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend;
  backend.loaded = {"d", "s"};
  backend.holders_of = {{"d", {"s"}}};
  Run refused = remove(tree, backend, {"d"});
  CHECK(refused.err == -EBUSY);
  kmodx::RemovalFlags flags;
  flags.remove_holders = true;
  Run run = remove(tree, backend, {"d"}, "", flags);
  CHECK(run.err == 0);
  CHECK(backend.calls == std::vector<std::string>{"remove s", "remove d"});
  CHECK(backend.loaded.empty());
}

TEST_CASE("ModuleRemoval: not loaded, built in, --first-time", "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend;
  Run quiet = remove(tree, backend, {"d"});
  CHECK(quiet.err == 0);  // not loaded: nothing to do, nothing said
  CHECK(quiet.notices.empty());

  kmodx::RemovalFlags first;
  first.first_time = true;
  Run loud = remove(tree, backend, {"d"}, "", first);
  CHECK(loud.err == -ENOENT);
  CHECK(loud.notices == std::vector<std::string>{"Module d is not in kernel."});

  Run builtin = remove(tree, backend, {"builtin_one"});
  CHECK(builtin.err == -ENOENT);
  CHECK(builtin.notices == std::vector<std::string>{"Module builtin_one is builtin."});
  CHECK(backend.calls.empty());
}

TEST_CASE("ModuleRemoval: softdeps around the module, a dependency shared by two removed once",
          "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend;
  backend.loaded = {"d", "s", "c"};
  // post-softdeps go before the module, pre-softdeps after it.
  Run run = remove(tree, backend, {"d"}, "softdep d pre: c post: s\n");
  CHECK(run.err == 0);
  CHECK(backend.calls == std::vector<std::string>{"remove s", "remove d", "remove c"});

  FakeBackend shared = chain_loaded();
  shared.holders_of = {{"c", {"a", "b"}}};
  shared.loaded = {"a", "b", "c"};
  Run both = remove(tree, shared, {"a", "b"});
  CHECK(both.err == 0);
  CHECK(shared.loaded.empty());
  CHECK(std::count(shared.calls.begin(), shared.calls.end(), "remove c") <= 2);
  CHECK(std::count(shared.calls.begin(), shared.calls.end(), "remove b") == 1);
}

TEST_CASE("ModuleRemoval: a dry run removes nothing and counts what it would have", "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend = chain_loaded();
  kmodx::RemovalFlags flags;
  flags.dry_run = true;
  Run run = remove(tree, backend, {"a"}, "", flags);
  CHECK(run.err == 0);
  CHECK(backend.calls.empty());
  CHECK(backend.loaded.size() == 4);
  // b's refcount still counts a, which the dry run has "removed".
  CHECK(run.printed == std::vector<std::string>{"rmmod a\n", "rmmod b\n", "rmmod c\n"});
}

TEST_CASE("ModuleRemoval: a remove command runs instead, and its failure is the removal's", "[modprobe][removal]") {
  IndexTree tree = chain();
  FakeBackend backend = chain_loaded();
  Run ok = remove(tree, backend, {"d"}, "remove d true $CMDLINE_OPTS\n");
  CHECK(ok.err == 0);
  CHECK(ok.printed == std::vector<std::string>{"remove true \n"});
  CHECK(backend.calls.empty());  // the command alone, no delete_module
  Run failed = remove(tree, backend, {"d"}, "remove d exit 3\n");
  CHECK(failed.err == -3);
  CHECK(failed.notices == std::vector<std::string>{"Error running remove command for d"});
}
