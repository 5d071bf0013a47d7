// SPDX-License-Identifier: LGPL-2.1-or-later
#include "index/trie_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "kmodx/index.hpp"

namespace kmodx::index {
namespace {

using namespace index_format;

void put_be32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// The most one insert() can add to the file: the new leaf's prefix, one value
// record (plus a value count), a child table that grows to all 128 labels,
// and a split's extra one-entry child table (a split only moves prefix bytes
// between the two halves). Keeping a running bound lets insert() refuse an
// index whose offsets would not fit in 28 bits, so serialize() cannot fail.
constexpr std::size_t kInsertOverhead = 1 + (4 + 4 + 1) + (2 + 4 * kChildMax) + (2 + 4);

}  // namespace

TrieBuilder::TrieBuilder(std::size_t expected_keys) : size_bound_(kHeaderSize) {
  nodes_.reserve(2 * expected_keys + 1);
  nodes_.emplace_back();
}

Result<void> TrieBuilder::validate(std::string_view s) {
  for (char c : s) {
    auto ch = static_cast<unsigned char>(c);
    if (ch >= kChildMax) {
      // kmod master's wording; the raw byte is printed as it is.
      char head[96];
      std::snprintf(head, sizeof head,
                    "Module index: bad character '%c'=0x%x - only 7-bit ASCII is supported:\n", c,
                    static_cast<unsigned>(ch));
      return make_error(EINVAL, head + std::string(s));
    }
    if (ch == 0) {
      // Keys and values are stored NUL-terminated; kmod's C strings cannot
      // even express this.
      return make_error(
          EINVAL, "Module index: NUL character is not supported:\n" + std::string(s.substr(0, s.find('\0'))));
    }
  }
  return {};
}

std::uint32_t TrieBuilder::new_node(std::string prefix) {
  nodes_.emplace_back();
  nodes_.back().prefix = std::move(prefix);
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

bool TrieBuilder::add_value(std::uint32_t node, std::string_view value, std::uint32_t priority) {
  std::vector<Value>& values = nodes_[node].values;
  bool duplicate = std::any_of(values.begin(), values.end(), [&](const Value& v) {
    return std::string_view(pool_).substr(v.offset, v.length) == value;
  });
  auto pos =
      std::find_if(values.begin(), values.end(), [&](const Value& v) { return v.priority >= priority; });
  values.insert(pos, Value{priority, static_cast<std::uint32_t>(pool_.size()),
                           static_cast<std::uint32_t>(value.size())});
  pool_.append(value);
  return duplicate;
}

Result<bool> TrieBuilder::insert(std::string_view key, std::string_view value, std::uint32_t priority) {
  if (Result<void> ok = validate(key); !ok) return std::move(ok).take_error();
  if (Result<void> ok = validate(value); !ok) return std::move(ok).take_error();
  std::size_t growth = key.size() + value.size() + kInsertOverhead;
  if (growth > kOffsetMask || size_bound_ + growth > kOffsetMask)
    return make_error(EFBIG, "Module index: too large for the 28-bit node offsets of the format");
  size_bound_ += growth;

  std::uint32_t n = 0;  // current node
  std::size_t i = 0;    // key characters consumed
  for (;;) {
    // nodes_ may reallocate below, so nodes are re-fetched by index.
    const std::string& prefix = nodes_[n].prefix;
    std::size_t j = 0;
    while (j < prefix.size() && i + j < key.size() && prefix[j] == key[i + j]) ++j;
    if (j < prefix.size()) {
      auto label = static_cast<unsigned char>(prefix[j]);
      std::uint32_t tail = new_node(nodes_[n].prefix.substr(j + 1));
      Node& head = nodes_[n];
      nodes_[tail].children = std::move(head.children);
      nodes_[tail].values = std::move(head.values);
      head.prefix.resize(j);
      head.children.assign(1, Child{label, tail});
      head.values.clear();
    }
    i += j;
    if (i == key.size()) return add_value(n, value, priority);

    auto label = static_cast<unsigned char>(key[i]);
    std::vector<Child>& kids = nodes_[n].children;
    auto it = std::lower_bound(kids.begin(), kids.end(), label,
                               [](const Child& c, unsigned char l) { return c.label < l; });
    if (it == kids.end() || it->label != label) {
      std::size_t pos = it - kids.begin();
      std::uint32_t leaf = new_node(std::string(key.substr(i + 1)));
      std::vector<Child>& fresh = nodes_[n].children;  // new_node() may have moved it
      fresh.insert(fresh.begin() + static_cast<std::ptrdiff_t>(pos), Child{label, leaf});
      add_value(leaf, value, priority);
      return false;
    }
    n = it->node;
    ++i;
  }
}

std::size_t TrieBuilder::node_size(const Node& n) const {
  std::size_t size = 0;
  if (!n.prefix.empty()) size += n.prefix.size() + 1;
  if (!n.children.empty())
    size += 2 + 4 * std::size_t{n.children.back().label - n.children.front().label + 1u};
  if (!n.values.empty()) {
    size += 4;
    for (const Value& v : n.values) size += 4 + v.length + 1;
  }
  return size;
}

// Node indexes in file order. Explicit stacks: a key of a few thousand
// characters would otherwise mean as many nested calls.
std::vector<std::uint32_t> TrieBuilder::layout_order(Order order) const {
  std::vector<std::uint32_t> out;
  out.reserve(nodes_.size());
  if (order == Order::pre_order) {
    std::vector<std::uint32_t> stack{0};
    while (!stack.empty()) {
      std::uint32_t n = stack.back();
      stack.pop_back();
      out.push_back(n);
      const std::vector<Child>& kids = nodes_[n].children;
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(it->node);
    }
  } else {
    std::vector<std::pair<std::uint32_t, bool>> stack{{0, false}};  // (node, children done)
    while (!stack.empty()) {
      auto [n, done] = stack.back();
      stack.pop_back();
      if (done) {
        out.push_back(n);
        continue;
      }
      stack.emplace_back(n, true);
      const std::vector<Child>& kids = nodes_[n].children;
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.emplace_back(it->node, false);
    }
  }
  return out;
}

std::string TrieBuilder::serialize(Order order) const {
  const std::vector<std::uint32_t> sequence = layout_order(order);
  std::vector<std::uint32_t> offset(nodes_.size());
  std::size_t end = kHeaderSize;
  for (std::uint32_t n : sequence) {
    offset[n] = static_cast<std::uint32_t>(end);
    end += node_size(nodes_[n]);
  }
  auto reference = [&](std::uint32_t n) {
    const Node& node = nodes_[n];
    std::uint32_t ref = offset[n];
    if (!node.prefix.empty()) ref |= kFlagPrefix;
    if (!node.values.empty()) ref |= kFlagValues;
    if (!node.children.empty()) ref |= kFlagChilds;
    return ref;
  };

  std::string out;
  out.reserve(end);
  put_be32(out, kMagic);
  put_be32(out, kVersion);
  put_be32(out, reference(0));
  for (std::uint32_t n : sequence) {
    const Node& node = nodes_[n];
    if (!node.prefix.empty()) {
      out.append(node.prefix);
      out.push_back('\0');
    }
    if (!node.children.empty()) {
      unsigned first = node.children.front().label;
      unsigned last = node.children.back().label;
      out.push_back(static_cast<char>(first));
      out.push_back(static_cast<char>(last));
      std::vector<std::uint32_t> table(last - first + 1, 0);
      for (const Child& c : node.children) table[c.label - first] = reference(c.node);
      for (std::uint32_t ref : table) put_be32(out, ref);
    }
    if (!node.values.empty()) {
      put_be32(out, static_cast<std::uint32_t>(node.values.size()));
      for (const Value& v : node.values) {
        put_be32(out, v.priority);
        out.append(pool_, v.offset, v.length);
        out.push_back('\0');
      }
    }
  }
  return out;
}

}  // namespace kmodx::index
