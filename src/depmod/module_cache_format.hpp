// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The byte-level pieces of the depmod cache file that its reader
// (module_cache.cpp) and writer (module_cache_writer.cpp) share; the format
// itself is documented in module_cache.hpp. Internal to depmod.
//
// Thread safety: Cursor and Writer are values used by one thread; the
// functions keep no state.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "depmod/module_record.hpp"

namespace kmodx::depmod::cache_format {

inline constexpr char kMagic[8] = {'K', 'M', 'O', 'D', 'X', 'D', 'C', '\n'};
inline constexpr std::uint32_t kByteOrder = 0x01020304;
inline constexpr std::size_t kHeaderSize = 36;  // up to the settings' length
inline constexpr std::size_t kChecksumFrom = 32;
inline constexpr std::size_t kSizeAt = 16, kChecksumAt = 24;
inline constexpr std::size_t kKeySize = 48;
inline constexpr std::uint32_t kWeak = std::uint32_t{1} << 31;  // in a needed-symbol index

// Reads fixed-size values and strings from a range, every read checked
// against its end; once a read fails the cursor stays failed.
class Cursor {
 public:
  Cursor(const std::byte* begin, const std::byte* end) : p_(begin), end_(end) {}

  template <typename T>
  T get() {
    T v{};
    if (!take(sizeof v)) return v;
    std::memcpy(&v, p_ - sizeof v, sizeof v);
    return v;
  }
  std::string_view str() {
    const auto n = get<std::uint32_t>();
    if (!take(n)) return {};
    return {reinterpret_cast<const char*>(p_ - n), n};
  }
  /// Moves past \p n bytes; false if fewer are left.
  bool skip(std::size_t n) { return take(n); }
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  const std::byte* position() const { return p_; }

 private:
  bool take(std::size_t n) {
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < n) {
      ok_ = false;
      return false;
    }
    p_ += n;
    return true;
  }
  const std::byte* p_;
  const std::byte* end_;
  bool ok_ = true;
};

inline FileKey read_key(Cursor& c) {
  FileKey k;
  k.dev = c.get<std::uint64_t>();
  k.ino = c.get<std::uint64_t>();
  k.size = c.get<std::uint64_t>();
  k.mtime_sec = c.get<std::int64_t>();
  k.mtime_nsec = c.get<std::uint32_t>();
  k.ctime_sec = c.get<std::int64_t>();
  k.ctime_nsec = c.get<std::uint32_t>();
  return k;
}

// The lists of a record, in order: aliases, softdeps, weakdeps (string
// indexes), exported symbols, needed symbols (symbol indexes, the latter
// with kWeak).
inline constexpr int kRecordLists = 5;
inline constexpr int kExportList = 3, kNeedList = 4;

// Walks one record after its key: on_path(string index), then for each list
// on_count(list, n) and on_entry(list, value) n times; each returns false to
// stop. False when the record runs past the cursor's end or a callback
// stopped it.
template <typename OnPath, typename OnCount, typename OnEntry>
bool walk_record(Cursor& c, OnPath on_path, OnCount on_count, OnEntry on_entry) {
  const auto path = c.get<std::uint32_t>();
  if (!c.ok() || !on_path(path)) return false;
  for (int list = 0; list < kRecordLists; ++list) {
    const auto n = c.get<std::uint32_t>();
    if (!c.ok() || !on_count(list, n)) return false;
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto v = c.get<std::uint32_t>();
      if (!c.ok() || !on_entry(list, v)) return false;
    }
  }
  return true;
}

// Appends fixed-size values and strings to a string it does not own.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  template <typename T>
  void put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  std::string& out() { return out_; }

 private:
  std::string& out_;
};

inline void write_key(Writer& w, const FileKey& k) {
  w.put(k.dev);
  w.put(k.ino);
  w.put(k.size);
  w.put(k.mtime_sec);
  w.put(k.mtime_nsec);
  w.put(k.ctime_sec);
  w.put(k.ctime_nsec);
}

}  // namespace kmodx::depmod::cache_format
