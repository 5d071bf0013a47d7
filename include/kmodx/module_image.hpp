// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Opening a module file: the bytes the ELF reader sees. The format is decided
/// by the first bytes of the file, never by its name (a `.ko` may hold xz data
/// and a `.ko.zst` may be plain ELF); this is what libkmod does too.
///
///   magic                 format
///   28 B5 2F FD           zstd   (libzstd, streaming)
///   FD 37 7A 58 5A 00     xz     (liblzma, streaming)
///   1F 8B                 gzip   (zlib, streaming)
///   anything else         plain  (mapped read-only)
///
/// Decompressed output is capped (1 GiB by default): a module is a few MiB at
/// most, and a tiny file that inflates without end must not take the machine.
///
/// Thread safety: a ModuleImage is immutable once opened and may be read
/// from several threads; opening images in parallel is safe (the
/// decompression libraries are loaded once, under a magic static).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kmodx/export.hpp"
#include "kmodx/result.hpp"

namespace kmodx {

enum class Compression { none, zstd, xz, gzip };

/// "none", "zstd", "xz", "gzip" — the words /sys/module/compression uses.
KMODX_API std::string_view compression_name(Compression c);

/// Format of a file whose first bytes are \p head (shorter heads are fine).
KMODX_API Compression detect_compression(std::span<const std::byte> head);

struct KMODX_API OpenOptions {
  std::uint64_t max_decompressed_size = std::uint64_t{1} << 30;
  /// For a plain ELF file, read only what the module readers of
  /// kmodx/module_elf.hpp use (headers, symbols, strings, .modinfo,
  /// __versions, export data; see src/elf/partial_read.hpp). The image keeps
  /// the file's size and offsets, but the bytes of code, relocation, BTF and
  /// debug sections and of anything outside sections (the signature
  /// trailer) are undefined. depmod sets it; modinfo must not.
  bool only_module_sections = false;
  /// Map the file instead of reading it (plain files are then used in
  /// place): for a caller that opens one module and reads little of it
  /// (modinfo), only the pages it looks at are read. depmod, which reads
  /// thousands, reads small files into a reused buffer instead.
  bool map_file = false;
};

/// The decompressed image of one module file. Move-only; plain files are
/// mapped, compressed ones live in an owned buffer.
class KMODX_API ModuleImage {
 public:
  ModuleImage(ModuleImage&&) noexcept;
  ModuleImage& operator=(ModuleImage&&) noexcept;
  ~ModuleImage();

  std::span<const std::byte> bytes() const { return bytes_; }
  Compression compression() const { return compression_; }
  /// Size of the file on disk (compressed size for compressed files).
  std::uint64_t file_size() const { return file_size_; }

  /// Opens \p path and returns its decompressed image. Errors carry the errno
  /// libkmod would report (EINVAL for unknown/corrupt compressed data and for
  /// files shorter than the longest magic, EISDIR for directories, EFBIG past
  /// the size cap) and a detail naming the file.
  static Result<ModuleImage> open(const std::string& path, const OpenOptions& options = {});

  /// Same, from bytes already in memory (copied when they are plain).
  static Result<ModuleImage> from_bytes(std::span<const std::byte> data, std::string_view name,
                                        const OpenOptions& options = {});

 private:
  struct Storage;
  ModuleImage(std::unique_ptr<Storage> storage, std::span<const std::byte> bytes, Compression c,
              std::uint64_t file_size);
  std::unique_ptr<Storage> storage_;
  std::span<const std::byte> bytes_;
  Compression compression_ = Compression::none;
  std::uint64_t file_size_ = 0;
};

}  // namespace kmodx
