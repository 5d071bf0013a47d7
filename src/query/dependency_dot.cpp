// SPDX-License-Identifier: LGPL-2.1-or-later
#include "query/dependency_dot.hpp"

#include <boost/graph/graphviz.hpp>

#include <cassert>
#include <sstream>

namespace kmodx {

std::string dependency_dot(const ModuleGraph& graph, const std::vector<std::string>& names) {
  assert(names.size() == boost::num_vertices(graph));
  std::ostringstream out;
  // label_writer quotes and escapes each name (escape_dot_string).
  boost::write_graphviz(out, graph, boost::make_label_writer(names.data()));
  return out.str();
}

}  // namespace kmodx
