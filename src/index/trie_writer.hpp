// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Builds the tries that depmod writes as modules.*.bin. The byte format is
// documented in include/kmodx/index.hpp; this header documents the two things
// a byte-identical writer must also reproduce: the shape of the trie and the
// order in which its nodes are laid out.
//
// Shape. The trie is a radix tree whose root always has an empty prefix.
// Inserting a key walks down from the root; where a node's prefix stops
// agreeing with the rest of the key (including the key running out), the node
// is split: a new node takes over the old node's children and values and
// keeps the part of the prefix after the mismatching character; the old node
// keeps the part before it, loses its values and gets the new node as its
// only child, labelled with the mismatching character. A key ending exactly
// at a node adds its value there; a key needing a child that does not exist
// gets a new leaf holding the whole rest of the key as its prefix. The shape
// depends only on the set of keys, not on their order.
//
// Values. Each node keeps its values sorted by ascending priority; a new value
// goes before the first existing value whose priority is >= its own, so among
// equal priorities the most recently inserted comes first. Duplicates are
// kept (insert() reports them for depmod -w).
//
// Layout. kmod up to 33 writes children before parents ("post-order": child
// subtrees in ascending label order, then the node, so the root is last);
// kmod 34 and later writes parents first ("pre-order": the root at offset 12,
// every subtree contiguous, children in ascending label order). Both orders
// produce nodes of identical encoding and files of identical size; only the
// node positions, and with them the references, differ.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::index {

enum class Order {
  post_order,  ///< kmod <= 33 (Debian bookworm's kmod 30): root last
  pre_order,   ///< kmod 34+: root first, at offset 12
};

class TrieBuilder {
 public:
  /// \p expected_keys, if known, sizes the node table once (a trie of n
  /// keys has at most 2n + 1 nodes) instead of growing it by copies.
  explicit TrieBuilder(std::size_t expected_keys = 0);

  /// EINVAL unless every byte of \p s is 7-bit ASCII and not NUL. For a byte
  /// >= 0x80 the detail is kmod master's message, ready to print after
  /// "depmod: FATAL: ": `Module index: bad character '<c>'=0x<hex> - only
  /// 7-bit ASCII is supported:` newline \p s.
  static Result<void> validate(std::string_view s);

  /// Adds \p value under \p key. Returns true if the key already held an
  /// equal value (depmod -w warns about it; the value is stored again).
  /// Errors: validate() failures of the key, then of the value; EFBIG once
  /// the index could outgrow the 28-bit node offsets of the format.
  Result<bool> insert(std::string_view key, std::string_view value, std::uint32_t priority);

  /// The complete .bin file. An empty builder gives the 12-byte header whose
  /// root reference is 12 without flags.
  std::string serialize(Order order) const;

  std::size_t node_count() const { return nodes_.size(); }

 private:
  struct Value {
    std::uint32_t priority;
    std::uint32_t offset;  // into pool_
    std::uint32_t length;
  };
  struct Child {
    unsigned char label;
    std::uint32_t node;
  };
  struct Node {
    std::string prefix;
    std::vector<Child> children;  // sorted by label
    std::vector<Value> values;    // in stored order
  };

  bool add_value(std::uint32_t node, std::string_view value, std::uint32_t priority);
  std::uint32_t new_node(std::string prefix);
  std::size_t node_size(const Node& n) const;
  std::vector<std::uint32_t> layout_order(Order order) const;

  std::vector<Node> nodes_;  // nodes_[0] is the root; children refer by index
  std::string pool_;         // all value bytes, back to back
  std::size_t size_bound_;   // upper bound of the serialised size
};

}  // namespace kmodx::index
