// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod's cache of parsed modules: what reading each module gave
// (ModuleContents: aliases, softdeps, weakdeps, exports and needed symbols
// with their CRCs), kept so that the next run opens only the modules that
// changed. Every output is still rendered from all modules, so an
// incremental run writes the same bytes as a full one.
//
// The file is `modules.kmodx-cache.bin` in the output directory, published
// with the index files (atomic_files.hpp: same lock, each file old or new).
// A record is used only when the module's path and FileKey (device, inode,
// size, mtime and ctime to the nanosecond, stat() just before reading) are
// the same as when it was read (statx(), asking a network filesystem's
// server rather than its attribute cache). A file whose ctime is less than
// kRacyMargin older than the start of the run that reads it is not
// recorded: a second change within the same timestamp tick (1 s on some
// filesystems) could not be told apart from the first. Nor is a file on a
// filesystem where ctime is data rather than the time of the last change
// (CtimeFilesystems: squashfs, erofs, iso9660 images). A run over the files
// named on depmod's command line writes no cache.
//
// File format (version 1; integers in the byte order of the host that
// wrote it, which the byte-order word identifies; a file of the other
// order is foreign). Names shared by many modules (a needed symbol with its
// CRC is needed by hundreds) are stored once:
//
//   offset size
//   0      8    magic "KMODXDC\n"
//   8      4    format version (1)
//   12     4    byte-order word 0x01020304
//   16     8    file size in bytes
//   24     8    checksum64 (util/checksum.hpp) of bytes 32 .. end
//   32          str: settings text (cache_settings_text): kmodx version,
//               extraction version, module directory, symbol prefix; a
//               cache with other settings is ignored as a whole
//   then        u32 S, then S × str: the strings, each once
//   then        u32 Y, then Y × (u32 string, u64 crc): the symbols, each
//               name-and-CRC pair once
//   then        u32 R, then R records, each:
//     u64  dev, ino, size; i64 mtime_sec; u32 mtime_nsec; i64 ctime_sec;
//          u32 ctime_nsec
//     u32  string: path (as depmod walked it)
//     u32  n, then n × u32 string: aliases; the same for softdeps, then weakdeps
//     u32  n, then n × u32 symbol: exported symbols
//     u32  n, then n × u32 (symbol | weak << 31): needed symbols
//   where str is a u32 length and that many bytes (no NUL), and a string or
//   symbol is an index into its table.
//
// Reading checks all of it before any record is used: magic, version, byte
// order, size (at most kMaxCacheSize), checksum, settings, every length and
// index against its table and the file, and no path twice. Any failure
// means no record is used (a full run), with the reason. The file is opened
// without following a symlink and must be a regular file, so a FIFO, a
// directory or a link to elsewhere is refused without blocking; it is read
// into memory, not mapped, so that what was checked stays what is used even
// if something rewrites the file in place meanwhile.
//
// Thread safety: a ModuleCache is immutable after open(); fill() may run on
// any number of threads at once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "depmod/atomic_files.hpp"
#include "depmod/module_record.hpp"
#include "kmodx/result.hpp"

namespace kmodx::depmod {

inline constexpr std::string_view kModuleCacheName = "modules.kmodx-cache.bin";
inline constexpr std::uint32_t kModuleCacheVersion = 1;
/// How much older than the run's start a file's ctime must be to be cached.
inline constexpr std::chrono::seconds kRacyMargin{2};
/// The largest cache file read: about 80,000 modules' worth (a real one is
/// 800 bytes a module); a larger file is not read at all, so that a hostile
/// one cannot make the tables it implies take gigabytes.
inline constexpr std::size_t kMaxCacheSize = std::size_t{64} << 20;

/// What must match for a cache's records to be used: a record made by
/// another kmodx, for another module directory or another symbol prefix is
/// not. (depmod.d and -e change which modules are found and what is
/// reported, not what is read from a module, so they are not part of it.)
struct CacheSettings {
  std::string module_dir;
  char symbol_prefix = '\0';
};

/// The settings text stored in the header.
std::string cache_settings_text(const CacheSettings& settings);

/// The key of \p path now (statx(), following links, and asking a network
/// filesystem's server rather than its attribute cache); nullopt if it
/// fails.
std::optional<FileKey> file_key(const std::string& path);

/// Which filesystems stamp a file's ctime themselves at every change (ext4,
/// xfs, btrfs, tmpfs, f2fs, overlayfs, NFS, ZFS, bcachefs, …): only there
/// does an unchanged key prove an unchanged file. On the others ctime can
/// be data (squashfs, erofs and iso9660 images carry it, and the next image
/// can repeat it with the same inode numbers and sizes), so their modules
/// are read every time and never recorded.
///
/// Thread safety: trusted() may be called from any number of threads.
class CtimeFilesystems {
 public:
  /// Whether the filesystem of \p path, on device \p dev, is one of those;
  /// statfs() once per device.
  bool trusted(std::uint64_t dev, const std::string& path);

 private:
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, bool> known_;  // by device
};

/// The newest ctime a file may have to be recorded by a run that starts
/// now: kRacyMargin before the kernel's coarse clock, which stamps files.
timespec racy_cutoff();

/// Whether \p key is old enough for a run with \p cutoff to record.
bool old_enough(const FileKey& key, const timespec& cutoff);

class ModuleCache {
 public:
  /// Opens and checks the cache file \p path for a run with \p settings.
  /// The error's detail says why it cannot be used ("No such file or
  /// directory", "not a regular file", "truncated", "checksum mismatch",
  /// "format version 7, not 1", "written for /other/dir", ...), without
  /// the path.
  static Result<ModuleCache> open(const std::string& path, const CacheSettings& settings);

  std::size_t size() const { return records_.size(); }
  /// Each record's path and key, in file order.
  std::vector<std::pair<std::string_view, FileKey>> records() const;
  /// For the writer (module_cache_writer.cpp): the tables' entries as
  /// stored (after their counts), their counts, and the bytes of the record
  /// of \p path (empty if none).
  std::span<const std::byte> string_table() const { return string_table_; }
  std::span<const std::byte> symbol_table() const { return symbol_table_; }
  std::size_t string_count() const { return string_count_; }
  std::size_t symbol_count() const { return symbol_count_; }
  std::span<const std::byte> record_bytes(std::string_view path) const;
  /// The file's bytes, which the records filled from it share.
  std::shared_ptr<const std::byte> data() const { return data_; }
  /// Whether the records of the from_cache modules of \p modules use at
  /// least three quarters of the strings and of the symbols.
  bool mostly_used_by(const std::vector<ModuleRecord>& modules) const;
  /// Frees the tables fill() looks names up in, once no more fill(),
  /// mostly_used_by() or records() calls will come (the writer needs only
  /// the file and the records' places).
  void release_lookups();

  /// Whether the cache holds exactly \p modules, each taken from it
  /// (from_cache), in the same order: then a new cache would be the same
  /// bytes.
  bool same_as(const std::vector<ModuleRecord>& modules) const;

  /// When the cache has a record for \p path whose key is \p key, fills the
  /// loaded fields of \p out (aliases, softdeps, weakdeps, exports, needs)
  /// from it and returns true. Their views point into the cache's data,
  /// which \p out's storage then shares: it outlives the ModuleCache.
  bool fill(const std::string& path, const FileKey& key, ModuleContents& out) const;

 private:
  ModuleCache() = default;
  struct Symbol {
    std::string_view name;
    std::uint64_t crc;
    std::uint32_t name_index;
  };
  struct Record {
    std::size_t index;                // order in the file
    std::span<const std::byte> bytes;  // from its key to its end
  };
  // The whole file, read; records filled from it share it.
  std::shared_ptr<const std::byte> data_;
  std::size_t size_ = 0;
  std::vector<std::string_view> strings_;
  std::vector<Symbol> symbols_;
  std::size_t string_count_ = 0, symbol_count_ = 0;
  std::span<const std::byte> string_table_, symbol_table_;
  std::unordered_map<std::string_view, Record> records_;  // by path
};

/// The cache file for \p modules: a record for each module whose cache_key
/// is set and that was read without error, in the order of \p modules.
/// With \p old, the cache the modules' from_cache records came from (when
/// mostly_used_by() them), the new file starts its tables with \p old's and
/// keeps those records: they are written from \p old's mapping, unchanged
/// and uncopied (the file's pieces), and only the modules read in this run
/// have their names looked up, after the old entries (without looking for
/// them there). Without \p old, every table is built anew, each name once.
PendingFile module_cache_file(const CacheSettings& settings, const std::vector<ModuleRecord>& modules,
                              const ModuleCache* old = nullptr);

/// The same file as one string (tests, the fuzz target).
std::string serialize_module_cache(const CacheSettings& settings, const std::vector<ModuleRecord>& modules,
                                   const ModuleCache* old = nullptr);

}  // namespace kmodx::depmod
