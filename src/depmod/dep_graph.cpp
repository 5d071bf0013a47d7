// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/dep_graph.hpp"

#include <algorithm>
#include <deque>
#include <set>

namespace kmodx::depmod {

DependencyGraph DependencyGraph::resolve(const std::vector<ModuleRecord>& modules,
                                         const SymbolTable& symbols, const ResolveOptions& options,
                                         DiagnosticSink& sink,
                                         const std::function<void(const std::string&)>& show) {
  DependencyGraph g(modules.size());
  for (std::size_t m = 0; m < modules.size(); ++m) {
    const ModuleRecord& mod = modules[m];
    for (const NeededSymbol& need : mod.needs) {
      const SymbolEntry* sym = symbols.find(need.name);
      if (sym == nullptr) {
        if (options.report_unknown && !need.weak)
          sink.report(Severity::warning, mod.path + " needs unknown symbol " + std::string(need.name));
        continue;
      }
      if (options.check_crcs && sym->crc != need.crc && !need.weak && options.report_unknown)
        sink.report(Severity::warning, mod.path + " disagrees about version of symbol " + std::string(need.name));
      if (sym->owner == SymbolEntry::kKernel) continue;
      const auto owner = static_cast<Vertex>(sym->owner);
      if (boost::edge(m, owner, g.graph_).second) continue;
      boost::add_edge(m, owner, g.graph_);
      // kmod names the symbol as its table key (no '.'/prefix character).
      if (show)
        show(mod.path + " needs \"" + std::string(symbols.key_of(need.name)) + "\": " + modules[owner].path);
    }
  }
  return g;
}

bool DependencyGraph::sort() {
  const std::size_t n = boost::num_vertices(graph_);
  for (std::size_t v = 0; v < n; ++v)
    remaining_users_[v] = static_cast<std::uint32_t>(boost::in_degree(v, graph_));
  std::vector<Vertex> stack;
  for (std::size_t v = 0; v < n; ++v)
    if (remaining_users_[v] == 0) stack.push_back(v);
  std::uint32_t sorted = 0;
  while (!stack.empty()) {
    const Vertex v = stack.back();
    stack.pop_back();
    sort_index_[v] = sorted++;
    for (auto [e, end] = boost::out_edges(v, graph_); e != end; ++e) {
      const Vertex d = boost::target(*e, graph_);
      if (--remaining_users_[d] == 0) stack.push_back(d);
    }
  }
  return sorted == n;
}

std::vector<std::uint32_t> DependencyGraph::all_dependencies(std::uint32_t module) const {
  std::vector<std::uint32_t> out;
  std::vector<bool> seen(boost::num_vertices(graph_), false);
  std::vector<Vertex> todo{module};
  seen[module] = true;
  while (!todo.empty()) {
    const Vertex v = todo.back();
    todo.pop_back();
    for (auto [e, end] = boost::out_edges(v, graph_); e != end; ++e) {
      const Vertex d = boost::target(*e, graph_);
      if (seen[d]) continue;
      seen[d] = true;
      out.push_back(static_cast<std::uint32_t>(d));
      todo.push_back(d);
    }
  }
  std::sort(out.begin(), out.end(),
            [&](std::uint32_t a, std::uint32_t b) { return sort_index_[a] < sort_index_[b]; });
  return out;
}

void DependencyGraph::report_cycles(const std::vector<ModuleRecord>& modules,
                                    DiagnosticSink& sink) const {
  const std::size_t n = boost::num_vertices(graph_);
  std::deque<Vertex> roots;
  for (std::size_t v = 0; v < n; ++v)
    if (remaining_users_[v] > 0) roots.push_back(v);
  auto drop_root = [&](Vertex v) { roots.erase(std::remove(roots.begin(), roots.end(), v), roots.end()); };

  // A DFS vertex: a module and the vertex it was reached from.
  struct Step {
    Vertex module;
    std::int64_t parent;  // index into steps, -1 for the root
  };
  std::vector<bool> visited(n, false);  // never reset between roots, as in kmod
  std::set<std::string> in_cycles;

  while (!roots.empty()) {
    const Vertex root = roots.front();
    roots.pop_front();
    std::vector<Step> steps{{root, -1}};
    std::vector<std::size_t> stack{0};
    while (!stack.empty()) {
      const std::size_t s = stack.back();
      stack.pop_back();
      const Vertex m = steps[s].module;
      if (visited[m] && m == root) {
        std::vector<Vertex> chain;  // from steps[s].parent up to the first step
        for (std::int64_t p = steps[s].parent; p >= 0; p = steps[p].parent) chain.push_back(steps[p].module);
        std::string line = "Cycle detected: ";
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
          in_cycles.insert(modules[*it].name);
          line += modules[*it].name + " -> ";
          drop_root(*it);
        }
        sink.report(Severity::error, line + modules[root].name);
        continue;
      }
      // kmod would walk forever around a cycle that does not contain the
      // root. A module already on this path can only lead there, and kmod
      // never terminates through it, so skipping it changes no output kmod
      // can produce.
      bool on_path = false;
      for (std::int64_t p = steps[s].parent; p >= 0 && !on_path; p = steps[p].parent)
        on_path = steps[p].module == m;
      if (on_path) continue;
      visited[m] = true;
      if (boost::out_degree(m, graph_) == 0) {
        drop_root(m);
        continue;
      }
      for (auto [e, end] = boost::out_edges(m, graph_); e != end; ++e) {
        steps.push_back({boost::target(*e, graph_), static_cast<std::int64_t>(s)});
        stack.push_back(steps.size() - 1);
      }
    }
  }
  sink.report(Severity::error,
              "Found " + std::to_string(in_cycles.size()) + " modules in dependency cycles!");
}

}  // namespace kmodx::depmod
