// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The module dependency graph. Vertex i is module i of the module array; an
// edge m -> d means m uses a symbol d exports. Out-edges keep the order in
// which the dependencies were first seen (the order of m's undefined
// symbols), which decides kmod's topological order.

#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "depmod/module_record.hpp"
#include "depmod/symbol_table.hpp"
#include "kmodx/diag.hpp"

namespace kmodx::depmod {

struct ResolveOptions {
  bool report_unknown = false;  ///< -e: warn about unknown symbols / CRC disagreements
  bool check_crcs = false;      ///< -E given: compare CRCs
};

class DependencyGraph {
 public:
  // vecS edge lists keep insertion order; bidirectional for in-degrees.
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
  using Vertex = Graph::vertex_descriptor;

  /// Resolves every module's needed symbols (array order, symbol order),
  /// reporting unknown symbols and CRC disagreements through \p sink as kmod
  /// does and calling \p show, unless empty, for each new dependency ("-v"
  /// lines).
  static DependencyGraph resolve(const std::vector<ModuleRecord>& modules, const SymbolTable& symbols,
                                 const ResolveOptions& options, DiagnosticSink& sink,
                                 const std::function<void(const std::string&)>& show);

  /// kmod's stack-based topological sort (spec §4.7). False when modules are
  /// left over because of cycles.
  bool sort();

  /// Every module reachable from \p module, ordered by the sort (nearest
  /// first, deepest last) — one modules.dep line. Call after sort().
  std::vector<std::uint32_t> all_dependencies(std::uint32_t module) const;

  /// Reports the cycles that made sort() fail, in kmod's words (spec §4.8);
  /// unlike kmod it always terminates.
  void report_cycles(const std::vector<ModuleRecord>& modules, DiagnosticSink& sink) const;

  const Graph& graph() const { return graph_; }

 private:
  explicit DependencyGraph(std::size_t n) : graph_(n), sort_index_(n, 0), remaining_users_(n, 0) {}

  Graph graph_;
  std::vector<std::uint32_t> sort_index_;
  std::vector<std::uint32_t> remaining_users_;
};

}  // namespace kmodx::depmod
