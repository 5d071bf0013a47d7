// SPDX-License-Identifier: LGPL-2.1-or-later
// The orders below were worked out by hand with the algorithms of KMOD-SPEC
// §4.7 and §4.8; the differential tests check the same code against kmod on
// real trees.
#include "depmod/dep_graph.hpp"

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/collecting_sink.hpp"

using namespace kmodx;
using namespace kmodx::depmod;

namespace {

// A module named \p name exporting "<name>_sym" and needing the symbols of
// the modules named in \p uses, in that order.
// The names live in the record's storage, as a module's read strings do.
ModuleRecord module(const std::string& name, const std::vector<std::string>& uses) {
  ModuleRecord m;
  m.name = name;
  m.path = "/m/" + name + ".ko";
  auto names = std::make_shared<std::deque<std::string>>();  // elements never move
  m.exports.push_back({names->emplace_back(name + "_sym"), 0});
  for (const std::string& u : uses) m.needs.push_back({names->emplace_back(u + "_sym"), 0, false});
  m.storage = std::move(names);
  return m;
}

struct Resolved {
  std::vector<ModuleRecord> modules;
  SymbolTable symbols{'\0'};
  test::CollectingSink sink;
  std::vector<std::string> shown;
  DependencyGraph graph;

  explicit Resolved(std::vector<ModuleRecord> mods)
      : modules(std::move(mods)), graph(build(modules, symbols, sink, shown)) {}

  static DependencyGraph build(const std::vector<ModuleRecord>& modules, SymbolTable& symbols,
                               test::CollectingSink& sink, std::vector<std::string>& shown) {
    symbols.add_module_exports(modules);
    return DependencyGraph::resolve(modules, symbols, ResolveOptions{}, sink,
                                    [&](const std::string& line) { shown.push_back(line); });
  }

  std::vector<std::string> deps_of(std::uint32_t m) const {
    std::vector<std::string> names;
    for (std::uint32_t d : graph.all_dependencies(m)) names.push_back(modules[d].name);
    return names;
  }
};

}  // namespace

TEST_CASE("diamond: the dependency pushed last is popped first", "[depmod][graph]") {
  // top uses left then right, both use base. Stack: [top] -> top gets 0 and
  // pushes left, right -> right 1, left 2, base 3.
  Resolved r({module("top", {"left", "right"}), module("left", {"base"}), module("right", {"base"}),
              module("base", {})});
  REQUIRE(r.graph.sort());
  CHECK(r.deps_of(0) == std::vector<std::string>{"right", "left", "base"});
  CHECK(r.deps_of(1) == std::vector<std::string>{"base"});
  CHECK(r.deps_of(3).empty());
}

TEST_CASE("roots are pushed in array order, so the last root sorts first", "[depmod][graph]") {
  // Users: a 1 (x), b 3 (a, c, x), c 0, x 0. Stack [c, x]: x gets 0 and
  // releases a; a gets 1; c gets 2 and releases b; b gets 3.
  Resolved r({module("a", {"b"}), module("b", {}), module("c", {"b"}), module("x", {"b", "a"})});
  REQUIRE(r.graph.sort());
  CHECK(r.deps_of(3) == std::vector<std::string>{"a", "b"});
  CHECK(r.deps_of(2) == std::vector<std::string>{"b"});
}

TEST_CASE("duplicate uses of one module make one edge, first-seen order", "[depmod][graph]") {
  ModuleRecord user = module("user", {"p", "q", "p"});
  user.needs.push_back({"q_sym", 0, false});
  Resolved r({user, module("p", {}), module("q", {})});
  REQUIRE(r.graph.sort());
  CHECK(boost::out_degree(0, r.graph.graph()) == 2);
  CHECK(r.shown == std::vector<std::string>{"/m/user.ko needs \"p_sym\": /m/p.ko",
                                            "/m/user.ko needs \"q_sym\": /m/q.ko"});
  // user 0 pushes p then q; q 1, p 2.
  CHECK(r.deps_of(0) == std::vector<std::string>{"q", "p"});
}

TEST_CASE("a two-module cycle is reported in kmod's words", "[depmod][graph]") {
  Resolved r({module("a", {"b"}), module("b", {"a"}), module("c", {})});
  REQUIRE_FALSE(r.graph.sort());
  r.graph.report_cycles(r.modules, r.sink);
  CHECK(r.sink.texts() ==
        std::vector<std::string>{"Cycle detected: a -> b -> a", "Found 2 modules in dependency cycles!"});
  for (const auto& m : r.sink.messages) CHECK(m.severity == Severity::error);
}

TEST_CASE("the shape on which kmod loops forever terminates", "[depmod][graph]") {
  // r is left unsorted because x uses it, and r leads into d1 <-> d2, a cycle
  // without r: kmod's walk from r never ends.
  Resolved r({module("r", {"d1"}), module("d1", {"d2"}), module("d2", {"d1"}), module("x", {"y", "r"}),
              module("y", {"x"})});
  REQUIRE_FALSE(r.graph.sort());
  r.graph.report_cycles(r.modules, r.sink);
  REQUIRE_FALSE(r.sink.messages.empty());
  CHECK(r.sink.texts().back().starts_with("Found "));
  CHECK(r.sink.texts().back().ends_with(" modules in dependency cycles!"));
}
