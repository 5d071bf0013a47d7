// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Reader for kmod's binary indexes, `modules.{dep,alias,symbols,builtin,
/// builtin.alias}.bin`.
///
/// ## On-disk format (version 2.1, unchanged since module-init-tools)
///
/// Every integer is an unsigned 32-bit big-endian word ("u32") and may sit at
/// any byte offset: there is no padding or alignment anywhere.
///
///     offset 0  u32 magic    0xB007F457  ("BOOTFAST" in hex-speak)
///     offset 4  u32 version  0x00020001  major in the high half, minor in the low
///     offset 8  u32 root     node reference of the root node
///
/// The rest of the file is trie nodes. A *node reference* packs where a node
/// is and which parts it has: the low 28 bits are the node's absolute file
/// offset, and three of the top four bits say which parts are present:
///
///     0x80000000  PREFIX  the node has a non-empty prefix string
///     0x40000000  VALUES  the node stores values (a key ends here)
///     0x20000000  CHILDS  the node has a child table
///
/// An offset of 0 means "no node"; child tables use it for labels without a
/// child. Because the flags live in the reference and not in the node, a node
/// that has none of the three parts occupies zero bytes: the empty index is
/// just the 12-byte header whose root reference is 12 with no flags.
///
/// A node is the concatenation of the parts its reference announces, in this
/// order:
///
///     PREFIX  prefix bytes, then NUL
///     CHILDS  u8 first, u8 last, then (last - first + 1) u32 child references,
///             one per label character first..last (0 where there is no child)
///     VALUES  u32 count, then count times: u32 priority, value bytes, NUL
///
/// The key of a node is the concatenation, along the path from the root, of
/// each node's prefix and the label of the edge leading to the next node.
/// Labels are 7-bit ASCII, so `first <= last < 128`. Values are stored sorted
/// by ascending priority. Writers place nodes either children-first (kmod <= 33,
/// "post-order", root last) or parent-first (kmod 34+, "pre-order", root at
/// offset 12); readers only follow references and accept both (see
/// src/index/trie_writer.hpp for how the trie is built and laid out).
///
/// ## Compatibility and hostile input
///
/// open() and from_bytes() check what libkmod checks: at least 12 bytes, the
/// magic, and major version 2 (the minor version is ignored). Failures carry
/// EINVAL (as libkmod returns) and a detail naming the file; kmod treats such an
/// index as unusable, i.e. every lookup is "not found".
///
/// Everything else is checked lazily, as nodes are visited: every reference
/// and every string is bounds-checked against the file, child ranges must lie
/// in 0..127, value lists must end inside the file, traversals are limited to
/// kMaxDepth nodes deep, keys to the file size, and the number of node visits
/// to what a tree of this file size can hold (which defeats reference loops
/// and shared subtrees). A node that fails a check is treated as absent, like
/// libkmod treats a reference past the end; the lookup carries on with the
/// rest of the trie, so it returns "not found" or partial results. If the
/// caller passes a non-null `Error* corruption`, the first problem found is
/// stored there (code EBADMSG, detail naming the file and the hex offset), and
/// it is left untouched when nothing was wrong. A walk that runs out of its
/// visit allowance (a loop) stops at once; other damage only prunes the bad
/// node. verify() checks the whole file up front, and more strictly (no node
/// reachable twice, no empty non-root node, no child under NUL, which no key
/// can reach), for callers that prefer to refuse a damaged index outright.
///
/// Lookups are const and keep no state, so one Index may be shared by threads.
/// As with libkmod's mapping, truncating a file while it is open raises
/// SIGBUS; depmod replaces indexes by rename(), which is safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/diag.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

/// Constants of the on-disk format described above.
namespace index_format {
inline constexpr std::uint32_t kMagic = 0xB007F457;
inline constexpr std::uint32_t kVersion = 0x00020001;
inline constexpr std::uint32_t kMajorVersion = 2;
inline constexpr std::uint32_t kFlagPrefix = 0x80000000;
inline constexpr std::uint32_t kFlagValues = 0x40000000;
inline constexpr std::uint32_t kFlagChilds = 0x20000000;
inline constexpr std::uint32_t kOffsetMask = 0x0FFFFFFF;
inline constexpr std::size_t kHeaderSize = 12;
/// Child labels (and every key and value byte) are below this.
inline constexpr unsigned kChildMax = 128;
}  // namespace index_format

/// One value stored under a key.
struct KMODX_API IndexValue {
  std::uint32_t priority = 0;
  std::string value;
  friend bool operator==(const IndexValue&, const IndexValue&) = default;
};

/// A read-only, bounds-checked view of one `.bin` index.
class KMODX_API Index {
 public:
  /// Traversals deeper than this many nodes are reported as corrupt. A key
  /// of PATH_MAX - 1 characters (the longest kmod produces) needs at most
  /// this many nodes on its path.
  static constexpr std::size_t kMaxDepth = 4096;

  /// Maps \p path read-only. Errors: the open()/fstat()/mmap() errno, EINVAL
  /// for a non-regular file, a file under 12 bytes, a wrong magic or a wrong
  /// major version.
  static Result<Index> open(const std::string& path);
  /// Same checks on an in-memory copy; \p name is used in error details.
  static Result<Index> from_bytes(std::vector<std::byte> bytes, std::string name = "<memory>");
  static Result<Index> from_bytes(std::string_view bytes, std::string name = "<memory>");

  Index(Index&& other) noexcept;
  Index& operator=(Index&& other) noexcept;
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;
  ~Index();

  /// Exact search (modules.dep.bin, modules.builtin.bin): the first stored
  /// value of \p key, or nullopt when the key is absent or has no values.
  std::optional<std::string> lookup_exact(std::string_view key, Error* corruption = nullptr) const;

  /// Wildcard search (modules.alias.bin, modules.symbols.bin,
  /// modules.builtin.alias.bin): stored keys are fnmatch() patterns, \p query
  /// is literal. Returns every value of every pattern accepting the query,
  /// ordered by ascending priority and, among equal priorities, latest found
  /// first (libkmod's traversal and ordered insert, KMOD-SPEC §2.5). The same
  /// value may appear once per matching pattern.
  ///
  /// libkmod has two readers: the mmap one that tools which preload the
  /// indexes use (modprobe), and a file reader used otherwise (modinfo). The
  /// file reader reverses equal-priority values inside one node, which shows
  /// in modules.builtin.alias.bin results; ReadMode::stream reproduces it.
  enum class ReadMode { mapped, stream };
  std::vector<IndexValue> search_wildcard(std::string_view query, Error* corruption = nullptr,
                                          ReadMode mode = ReadMode::mapped) const;

  /// Visits every (key, value) pair in pre-order: a key's values in stored
  /// order, then its extensions by ascending next character. Keys therefore
  /// come out sorted bytewise, a key before its extensions.
  using Visitor = std::function<void(std::string_view key, std::uint32_t priority, std::string_view value)>;
  void for_each(const Visitor& visit, Error* corruption = nullptr) const;

  /// Appends `<prefix><key> <value>\n` for every pair, in for_each() order:
  /// exactly what `modprobe -c` prints for an index with prefix "alias ".
  void dump(std::string_view prefix, std::string& out, Error* corruption = nullptr) const;

  /// Walks the whole trie and reports the first structural problem, including
  /// nodes reachable twice (loops, shared subtrees), which lookups tolerate.
  Result<void> verify() const;

  /// The file name (or the name given to from_bytes()), for messages.
  const std::string& name() const { return name_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  std::uint32_t version() const;
  std::uint32_t root_reference() const;

 private:
  Index() = default;
  static Result<Index> check_header(Index index);

  struct Storage;  // a mapped file or an owned buffer
  std::unique_ptr<Storage> storage_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::string name_;
};

/// Lookups treat a damaged part of an index as absent, as libkmod does. kmod
/// says nothing about it, which leaves a user with "Module x not found" and
/// no reason; kmodx's tools pass what a lookup found here, which reports the
/// first damage of each index file once, as a warning naming the file and
/// the offset.
class KMODX_API IndexDamageReport {
 public:
  explicit IndexDamageReport(DiagnosticSink* sink) : sink_(sink) {}
  IndexDamageReport(IndexDamageReport&& other) noexcept
      : sink_(other.sink_), reported_(std::move(other.reported_)) {}

  /// \p damage as a lookup on \p index left it (code 0: nothing found).
  /// Lookups on several threads may share one report: it locks, and the
  /// sink is called under that lock.
  void check(const Index& index, const Error& damage) {
    if (damage.code == 0 || sink_ == nullptr) return;
    std::lock_guard lock(mutex_);
    if (!reported_.insert(index.name()).second) return;
    sink_->report(Severity::warning, damage.detail + " (damaged index, treated as not found; run depmod)");
  }

 private:
  DiagnosticSink* sink_;
  std::mutex mutex_;
  std::set<std::string> reported_;
};

}  // namespace kmodx
