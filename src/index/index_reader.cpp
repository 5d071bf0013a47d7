// SPDX-License-Identifier: LGPL-2.1-or-later
// Lookups in kmod's .bin tries. The traversal orders follow libkmod's mmap
// reader step by step, because the order of wildcard results decides which
// module modprobe loads first; see the format description in
// include/kmodx/index.hpp.

#include "kmodx/index.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>
#include <variant>

#include "util/hex.hpp"
#include "util/mapped_file.hpp"

namespace kmodx {
namespace {

using namespace index_format;

std::uint32_t load_be32(const std::byte* p) {
  return (std::to_integer<std::uint32_t>(p[0]) << 24) | (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}

// libkmod works on C strings: whatever follows a NUL in a query is invisible.
std::string c_string(std::string_view s) {
  std::size_t nul = s.find('\0');
  return std::string(nul == std::string_view::npos ? s : s.substr(0, nul));
}

// A node whose parts have all been proven to lie inside the file (its value
// records too, unless the Reader checks them when they are read).
struct Node {
  std::uint32_t offset = 0;
  std::size_t bytes = 0;  // encoded size
  std::string_view prefix;
  unsigned first = kChildMax;  // first > last: no child table
  unsigned last = 0;
  std::size_t children = 0;  // file offset of the child reference table
  std::uint32_t value_count = 0;
  std::size_t values = 0;  // file offset of the first value record
};

// Decodes nodes on demand and records the first corruption it meets. One
// Reader serves one lookup, so lookups on a shared Index stay independent.
class Reader {
 public:
  Reader(std::span<const std::byte> file, const std::string& name, Error* corruption)
      : data_(file.data()), size_(file.size()), name_(name), corruption_(corruption) {}

  bool failed() const { return failed_; }

  void corrupt(const std::string& what) {
    if (failed_) return;
    failed_ = true;
    if (corruption_ != nullptr) *corruption_ = make_error(EBADMSG, name_ + ": " + what);
  }

  // A full walk of a tree parses each node once and each file byte at most
  // once (value records are paid for when they are scanned, at decoding or,
  // checked when read, at reading), so 1 unit per node plus the bytes
  // scanned can only run out when
  // some node is reachable more than once (a loop or a shared subtree).
  // \p passes scales the allowance for searches that may legitimately
  // revisit subtrees. Without a budget (exact lookups) every step consumes a
  // key character instead, which bounds the work just as well.
  void set_budget(std::size_t passes) { budget_ = (2 * size_ + 2) * passes; }
  bool exhausted() const { return exhausted_; }

  std::optional<Node> root() { return node_at(load_be32(data_ + kRootSlot), kRootSlot); }

  std::optional<Node> child(const Node& parent, unsigned char label) {
    if (parent.first > parent.last || label < parent.first || label > parent.last) return std::nullopt;
    std::size_t slot = parent.children + 4 * std::size_t{label - parent.first};
    return node_at(load_be32(data_ + slot), slot);
  }

  // Value records are proven to lie inside the file when their node is
  // decoded, unless the reader was told to leave that to the first reading
  // of them (wildcard searches decode many nodes whose values they never
  // read): then each is checked here, and a bad one ends the list.
  void check_values_when_read() { lazy_values_ = true; }

  // Calls fn(priority, value) for each value record, in file order.
  template <class Fn>
  void for_each_value(const Node& n, Fn&& fn) {
    std::size_t p = n.values;
    for (std::uint32_t i = 0; i < n.value_count; ++i) {
      std::size_t len;
      if (lazy_values_) {
        if (size_ - p < 4) {
          corrupt("node at " + hex(n.offset) + ": value " + std::to_string(i) + " runs past end of file");
          return;
        }
        const void* nul = std::memchr(data_ + p + 4, 0, size_ - p - 4);
        if (nul == nullptr) {
          corrupt("node at " + hex(n.offset) + ": value " + std::to_string(i) + " has no NUL before end of file");
          return;
        }
        len = static_cast<std::size_t>(static_cast<const std::byte*>(nul) - (data_ + p + 4));
        if (!charge(n.offset, 4 + len + 1)) return;  // as the eager check would have
      } else {
        len = std::strlen(reinterpret_cast<const char*>(data_ + p + 4));  // NUL proven present by node_at()
      }
      fn(load_be32(data_ + p), std::string_view(reinterpret_cast<const char*>(data_ + p + 4), len));
      p += 4 + len + 1;
    }
  }

  std::string_view first_value(const Node& n) const {
    return reinterpret_cast<const char*>(data_ + n.values + 4);
  }

  std::size_t file_size() const { return size_; }

 private:
  // The header word holding the root reference.
  static constexpr std::size_t kRootSlot = 8;

  // Returns the node \p ref (read from file offset \p slot) points to;
  // nullopt for "no node" (offset 0) and for anything that fails a bounds
  // check, after reporting it.
  std::optional<Node> node_at(std::uint32_t ref, std::size_t slot) {
    std::uint32_t off = ref & kOffsetMask;
    if (off == 0) {
      // Holes in child tables are normal; a root of 0 is never written.
      if (slot == kRootSlot) corrupt("root reference is 0");
      return std::nullopt;
    }
    if (exhausted_) return std::nullopt;
    auto bad = [&](const std::string& what) -> std::optional<Node> {
      corrupt("node at " + hex(off) + " (referenced at " + hex(slot) + "): " + what);
      // The scan that failed may have run to the end of the file.
      charge(off, off < size_ ? size_ - off : 0);
      return std::nullopt;
    };
    if (off < kHeaderSize || off > size_) return bad("offset outside the node area of the file");

    Node n;
    n.offset = off;
    std::size_t p = off;
    if (ref & kFlagPrefix) {
      const void* nul = std::memchr(data_ + p, 0, size_ - p);
      if (nul == nullptr) return bad("prefix has no NUL before end of file");
      std::size_t len = static_cast<const std::byte*>(nul) - (data_ + p);
      n.prefix = std::string_view(reinterpret_cast<const char*>(data_ + p), len);
      p += len + 1;
    }
    if (ref & kFlagChilds) {
      if (size_ - p < 2) return bad("child table runs past end of file");
      n.first = std::to_integer<unsigned>(data_[p]);
      n.last = std::to_integer<unsigned>(data_[p + 1]);
      p += 2;
      if (n.first > n.last || n.last >= kChildMax)
        return bad("invalid child range " + hex(n.first) + ".." + hex(n.last));
      std::size_t count = n.last - n.first + 1;
      if ((size_ - p) / 4 < count) return bad("child table runs past end of file");
      n.children = p;
      p += 4 * count;
    }
    if (ref & kFlagValues) {
      if (size_ - p < 4) return bad("value count runs past end of file");
      n.value_count = load_be32(data_ + p);
      p += 4;
      n.values = p;
      // Checking every record now lets the lookups read values without
      // further tests; each record is at least 5 bytes, so a huge count ends
      // at the end of the file quickly.
      for (std::uint32_t i = 0; i < n.value_count && !lazy_values_; ++i) {
        if (size_ - p < 4) return bad("value " + std::to_string(i) + " runs past end of file");
        p += 4;
        const void* nul = std::memchr(data_ + p, 0, size_ - p);
        if (nul == nullptr) return bad("value " + std::to_string(i) + " has no NUL before end of file");
        p = static_cast<const std::byte*>(nul) - data_ + 1;
      }
    }
    n.bytes = p - off;
    if (!charge(off, n.bytes)) return std::nullopt;
    return n;
  }

  bool charge(std::uint32_t off, std::size_t scanned) {
    std::size_t cost = 1 + scanned;
    if (cost <= budget_) {
      budget_ -= cost;
      return true;
    }
    exhausted_ = true;
    corrupt("node at " + hex(off) + " is reached more often than a tree allows (reference loop?)");
    return false;
  }

  const std::byte* data_;
  std::size_t size_;
  const std::string& name_;
  Error* corruption_;
  bool failed_ = false;
  bool exhausted_ = false;
  bool lazy_values_ = false;
  std::size_t budget_ = SIZE_MAX;
};

bool is_wildcard(char c) { return c == '*' || c == '?' || c == '['; }

// libkmod's wildcard search: descend() follows the query literally until the
// stored keys branch into a wildcard character, and all() then enumerates
// every key below that point and lets fnmatch() decide.
class WildcardSearch {
 public:
  WildcardSearch(Reader& reader, std::string query, Index::ReadMode mode)
      : r_(reader), query_(std::move(query)), mode_(mode) {
    r_.set_budget(query_.size() + 2);
    r_.check_values_when_read();
  }

  std::vector<IndexValue> run() {
    descend();
    // libkmod inserts every hit before the first entry whose priority is >=
    // its own: ascending priority, and among equals the latest hit first.
    std::sort(hits_.begin(), hits_.end(), [](const Hit& a, const Hit& b) {
      return a.priority != b.priority ? a.priority < b.priority : a.seq > b.seq;
    });
    std::vector<IndexValue> out;
    out.reserve(hits_.size());
    for (const Hit& h : hits_) out.push_back(IndexValue{h.priority, std::string(h.value)});
    return out;
  }

 private:
  struct Hit {
    std::uint32_t priority;
    std::size_t seq;
    std::string_view value;
  };

  void add_values(const Node& n) {
    const std::size_t first = hits_.size();
    r_.for_each_value(n, [&](std::uint32_t prio, std::string_view v) {
      hits_.push_back(Hit{prio, hits_.size(), v});
    });
    if (mode_ == Index::ReadMode::stream) {
      // libkmod's file reader re-inserts a node's values in order before the
      // search adds them: equal priorities reach the result reversed.
      auto begin = hits_.begin() + static_cast<std::ptrdiff_t>(first);
      std::stable_sort(begin, hits_.end(), [](const Hit& a, const Hit& b) {
        return a.priority < b.priority;
      });
      for (auto it = begin; it != hits_.end();) {
        auto end = std::find_if(it, hits_.end(), [&](const Hit& h) { return h.priority != it->priority; });
        std::reverse(it, end);
        it = end;
      }
      for (std::size_t i = first; i < hits_.size(); ++i) hits_[i].seq = i;
    }
  }

  void descend() {
    std::optional<Node> node = r_.root();
    std::size_t k = 0;  // query characters consumed
    while (node) {
      const std::string_view prefix = node->prefix;
      for (std::size_t j = 0; j < prefix.size(); ++j) {
        if (is_wildcard(prefix[j])) {
          all(*node, j, k + j, 1);
          return;
        }
        if (k + j >= query_.size() || prefix[j] != query_[k + j]) return;
      }
      k += prefix.size();
      for (char w : {'*', '?', '['}) {
        if (std::optional<Node> c = r_.child(*node, static_cast<unsigned char>(w))) {
          pattern_.assign(1, w);
          all(*c, 0, k, 2);
          pattern_.clear();
        }
      }
      if (k == query_.size()) {
        add_values(*node);
        return;
      }
      node = r_.child(*node, static_cast<unsigned char>(query_[k]));
      ++k;
    }
  }

  // pattern_ holds the key from the first wildcard on; node.prefix[j..] comes
  // next, and query_[k..] is the part of the query every key below has to
  // match. Children are enumerated before a node's own values are tested, as
  // libkmod's recursion does; an explicit stack keeps a hostile, deep trie
  // from exhausting the thread's stack.
  void all(const Node& start, std::size_t j, std::size_t k, std::size_t depth) {
    std::vector<Frame>& stack = stack_;
    stack.clear();
    auto enter = [&](const Node& node, std::size_t skip, std::size_t mark) {
      if (depth + stack.size() > Index::kMaxDepth) {
        r_.corrupt("node at " + hex(node.offset) + " lies deeper than " + std::to_string(Index::kMaxDepth) +
                   " levels (reference loop?)");
        pattern_.resize(mark);
        return;
      }
      pattern_.append(node.prefix.substr(skip));
      if (pattern_.size() > r_.file_size()) {
        r_.corrupt("key at node " + hex(node.offset) + " is longer than the file (reference loop?)");
        pattern_.resize(mark);
        return;
      }
      stack.push_back(Frame{node, node.first, mark});
    };
    enter(start, j, pattern_.size());
    while (!stack.empty()) {
      Frame& top = stack.back();
      std::optional<Node> c;
      while (!c && top.next <= top.node.last && !r_.exhausted()) {
        const unsigned ch = top.next++;
        c = r_.child(top.node, static_cast<unsigned char>(ch));
        if (c) {
          const std::size_t mark = pattern_.size();
          pattern_.push_back(static_cast<char>(ch));
          enter(*c, 0, mark);  // may grow the stack: `top` is not used after this
        }
      }
      if (c) continue;
      const Frame done = stack.back();
      stack.pop_back();
      if (done.node.value_count > 0 && fnmatch(pattern_.c_str(), query_.c_str() + k, 0) == 0)
        add_values(done.node);
      pattern_.resize(done.mark);
    }
  }

  struct Frame {
    Node node;
    unsigned next;     // next child label to try
    std::size_t mark;  // pattern_ length before this node's part
  };

  Reader& r_;
  std::string query_;
  Index::ReadMode mode_;
  std::string pattern_;
  std::vector<Hit> hits_;
  std::vector<Frame> stack_;  // all()'s, kept for the next call
};

// Pre-order walk shared by for_each() and verify(). \p seen, when given,
// marks node offsets so that verify() can name the first node reached twice.
class Walker {
 public:
  Walker(Reader& reader, const Index::Visitor* visit, std::vector<bool>* seen)
      : r_(reader), visit_(visit), seen_(seen) {
    r_.set_budget(1);
  }

  void run() {
    if (std::optional<Node> root = r_.root()) walk(*root);
  }

 private:
  // Pre-order: a node's values, then its children by ascending label. The
  // stack is explicit so that a hostile, deep trie cannot exhaust the
  // thread's stack.
  void walk(const Node& root) {
    struct Frame {
      Node node;
      unsigned next;     // next child label to try
      std::size_t mark;  // key_ length before this node's label and prefix
    };
    std::vector<Frame> stack;
    auto enter = [&](const Node& node, std::size_t mark) {
      const bool is_root = stack.empty();
      if (stack.size() + 1 > Index::kMaxDepth) {
        r_.corrupt("node at " + hex(node.offset) + " lies deeper than " + std::to_string(Index::kMaxDepth) +
                   " levels (reference loop?)");
        key_.resize(mark);
        return;
      }
      if (seen_ != nullptr && !strict_checks(node, is_root)) {
        key_.resize(mark);
        return;
      }
      key_.append(node.prefix);
      if (key_.size() > r_.file_size()) {
        r_.corrupt("key at node " + hex(node.offset) + " is longer than the file (reference loop?)");
        key_.resize(mark);
        return;
      }
      if (visit_ != nullptr) {
        r_.for_each_value(node, [&](std::uint32_t prio, std::string_view v) { (*visit_)(key_, prio, v); });
      }
      stack.push_back(Frame{node, node.first, mark});
    };
    enter(root, 0);
    while (!stack.empty()) {
      Frame& top = stack.back();
      bool entered = false;
      while (!entered && top.next <= top.node.last && !r_.exhausted()) {
        const unsigned ch = top.next++;
        std::optional<Node> c = r_.child(top.node, static_cast<unsigned char>(ch));
        if (!c) continue;
        // Keys are C strings: a child under NUL cannot be looked up. kmod's
        // writers never make one.
        if (seen_ != nullptr && ch == 0) {
          r_.corrupt("node at " + hex(top.node.offset) + " has a child for the NUL character");
          continue;
        }
        const std::size_t mark = key_.size();
        key_.push_back(static_cast<char>(ch));
        const std::size_t depth = stack.size();
        enter(*c, mark);  // may grow the stack: `top` is not used after this
        entered = stack.size() > depth;
      }
      if (entered) continue;
      key_.resize(stack.back().mark);
      stack.pop_back();
    }
  }

  // What verify() adds on top of the lookups' checks: kmod's writers never
  // share a node, never write an empty non-root node, and never flag an empty
  // value list.
  bool strict_checks(const Node& node, bool is_root) {
    if ((*seen_)[node.offset]) {
      r_.corrupt("node at " + hex(node.offset) + " is reachable more than once");
      return false;
    }
    (*seen_)[node.offset] = true;
    if (!is_root && node.first > node.last && node.value_count == 0) {
      r_.corrupt("node at " + hex(node.offset) + " has neither children nor values");
      return false;
    }
    return true;
  }

  Reader& r_;
  const Index::Visitor* visit_;
  std::vector<bool>* seen_;
  std::string key_;
};

}  // namespace

struct Index::Storage {
  std::variant<MappedFile, std::vector<std::byte>> data;
};

Result<Index> Index::open(const std::string& path) {
  // MappedFile refuses FIFOs and directories before reading anything.
  auto file = MappedFile::open(path);
  if (!file) return std::move(file).take_error();
  if (file->bytes().size() < kHeaderSize)
    return make_error(EINVAL, path + ": too small for an index (" +
                                  std::to_string(file->bytes().size()) + " bytes)");
  Index index;
  index.storage_ = std::make_unique<Storage>(Storage{std::move(*file)});
  auto bytes = std::get<MappedFile>(index.storage_->data).bytes();
  index.data_ = bytes.data();
  index.size_ = bytes.size();
  index.name_ = path;
  return check_header(std::move(index));
}

Result<Index> Index::from_bytes(std::vector<std::byte> bytes, std::string name) {
  if (bytes.size() < kHeaderSize) {
    return make_error(EINVAL, name + ": too small for an index (" + std::to_string(bytes.size()) + " bytes)");
  }
  Index index;
  index.storage_ = std::make_unique<Storage>(Storage{std::move(bytes)});
  const auto& owned = std::get<std::vector<std::byte>>(index.storage_->data);
  index.data_ = owned.data();
  index.size_ = owned.size();
  index.name_ = std::move(name);
  return check_header(std::move(index));
}

Result<Index> Index::from_bytes(std::string_view bytes, std::string name) {
  const auto* p = reinterpret_cast<const std::byte*>(bytes.data());
  return from_bytes(std::vector<std::byte>(p, p + bytes.size()), std::move(name));
}

Result<Index> Index::check_header(Index index) {
  // Same checks and messages as libkmod's index_mm_open().
  std::uint32_t magic = load_be32(index.data_);
  if (magic != kMagic) {
    char buf[80];
    std::snprintf(buf, sizeof buf, ": magic check fail: %x instead of %x", magic, kMagic);
    return make_error(EINVAL, index.name_ + buf);
  }
  std::uint32_t major = load_be32(index.data_ + 4) >> 16;
  if (major != kMajorVersion) {
    char buf[80];
    std::snprintf(buf, sizeof buf, ": major version check fail: %u instead of %u", major, kMajorVersion);
    return make_error(EINVAL, index.name_ + buf);
  }
  return index;
}

Index::Index(Index&& other) noexcept = default;
Index& Index::operator=(Index&& other) noexcept = default;
Index::~Index() = default;

std::uint32_t Index::version() const { return load_be32(data_ + 4); }
std::uint32_t Index::root_reference() const { return load_be32(data_ + 8); }

std::optional<std::string> Index::lookup_exact(std::string_view key_view, Error* corruption) const {
  Reader r(bytes(), name_, corruption);
  const std::string key = c_string(key_view);
  std::size_t k = 0;
  // Every step consumes at least one key character, so the loop ends even if
  // the references form a cycle.
  for (std::optional<Node> node = r.root(); node;) {
    if (key.compare(k, node->prefix.size(), node->prefix) != 0) return std::nullopt;
    k += node->prefix.size();
    if (k == key.size()) {
      if (node->value_count == 0) return std::nullopt;
      return std::string(r.first_value(*node));
    }
    node = r.child(*node, static_cast<unsigned char>(key[k]));
    ++k;
  }
  return std::nullopt;
}

std::vector<IndexValue> Index::search_wildcard(std::string_view query, Error* corruption,
                                               ReadMode mode) const {
  Reader r(bytes(), name_, corruption);
  return WildcardSearch(r, c_string(query), mode).run();
}

void Index::for_each(const Visitor& visit, Error* corruption) const {
  Reader r(bytes(), name_, corruption);
  Walker(r, &visit, nullptr).run();
}

void Index::dump(std::string_view prefix, std::string& out, Error* corruption) const {
  for_each(
      [&](std::string_view key, std::uint32_t, std::string_view value) {
        out.append(prefix);
        out.append(key);
        out.push_back(' ');
        out.append(value);
        out.push_back('\n');
      },
      corruption);
}

Result<void> Index::verify() const {
  Error error;
  Reader r(bytes(), name_, &error);
  std::vector<bool> seen(size_ + 1, false);
  Walker(r, nullptr, &seen).run();
  if (r.failed()) return error;
  return {};
}

}  // namespace kmodx
