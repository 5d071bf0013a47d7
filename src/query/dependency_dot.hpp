// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The module dependency graph as Graphviz DOT (`depmod --graph`,
// `modprobe --show-depends --graph`), written by Boost.Graph's
// write_graphviz: one node per module, labelled with its name, and an edge
// m -> d when m needs d.

#include <boost/graph/adjacency_list.hpp>

#include <string>
#include <vector>

namespace kmodx {

using ModuleGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

/// \p names[v] labels vertex v.
std::string dependency_dot(const ModuleGraph& graph, const std::vector<std::string>& names);

}  // namespace kmodx
