// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/text_inputs.hpp"

#include <algorithm>
#include <cctype>

#include "util/names.hpp"

namespace kmodx::depmod {

using index::TrieBuilder;

ModulesOrder parse_modules_order(std::string_view content) {
  ModulesOrder order;
  for (std::size_t pos = 0; pos < content.size();) {
    // What one fgets() call returns: up to and including '\n', at most
    // kOrderLineBuffer - 1 bytes; then strlen() of that.
    std::size_t nl = content.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? content.size() : nl + 1;
    end = std::min(end, pos + kOrderLineBuffer - 1);
    const std::string_view chunk = content.substr(pos, end - pos);
    pos = end;
    const std::string_view line = chunk.substr(0, chunk.find('\0'));
    if (line.empty()) {
      order.lines.emplace_back();
      continue;
    }
    if (line.back() != '\n') {
      order.corrupted_line = order.lines.size() + 1;
      break;
    }
    order.lines.push_back(line.substr(0, line.size() - 1));
  }
  return order;
}

Result<std::string> builtin_index(std::string_view content, DiagnosticSink& sink, index::Order order) {
  TrieBuilder trie;
  for (std::size_t pos = 0; pos < content.size();) {
    std::size_t nl = content.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? content.size() : nl + 1;
    std::string_view line = content.substr(pos, end - pos);  // newline kept, as fgets()
    pos = end;
    if (!std::isalpha(static_cast<unsigned char>(line.front()))) {
      sink.report(Severity::error, "Invalid modules.builtin line: " + std::string(line));
      continue;
    }
    std::size_t slash = line.rfind('/');
    std::string_view base = line.substr(slash == std::string_view::npos ? 0 : slash + 1);
    if (auto r = trie.insert(modname_normalize(base), "", 0); !r) return std::move(r).take_error();
  }
  return trie.serialize(order);
}

// The field reader stops at its delimiter, at a NUL or at the end; a field
// not ended by its delimiter reads as empty. A record with '.' but no '='
// thus hides the record after it, as in kmod.
Result<std::string> builtin_alias_index(std::string_view content, DiagnosticSink& sink, index::Order order) {
  std::size_t pos = 0;
  auto read_to = [&](char delimiter) -> std::string_view {
    const std::size_t start = pos;
    while (pos < content.size() && content[pos] != delimiter && content[pos] != '\0') ++pos;
    const bool found = pos < content.size() && content[pos] == delimiter;
    std::string_view field = content.substr(start, pos - start);
    if (pos < content.size()) ++pos;  // the stop character is consumed
    return found ? field : std::string_view();
  };
  TrieBuilder trie;
  while (pos < content.size()) {
    std::string_view module = read_to('.');
    if (module.empty()) continue;
    if (read_to('=') != "alias") {
      read_to('\0');
      continue;
    }
    std::string_view value = read_to('\0');
    if (value.empty()) continue;
    auto key = alias_normalize(value);
    if (!key) {
      sink.report(Severity::warning, "Unmatched bracket in " + std::string(value));
      continue;
    }
    if (auto r = trie.insert(*key, module, 0); !r) return std::move(r).take_error();
  }
  return trie.serialize(order);
}

}  // namespace kmodx::depmod
