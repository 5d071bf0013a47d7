// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A read-only mapping of a whole regular file. Non-regular files are refused
// before anything is read from them, so a FIFO named like a module can never
// block a tool.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kmodx/result.hpp"

namespace kmodx {

/// \p path made absolute with the current directory, not normalised
/// ("./x.ko" -> "/cwd/./x.ko"), as libkmod keeps module paths.
std::string absolute_path(std::string_view path);

/// An open regular file: the descriptor (closed by the destructor) and its
/// size. Opening checks the type first, so directories and FIFOs are refused
/// with a message naming \p path (EISDIR, EINVAL).
class RegularFile {
 public:
  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&&) = delete;
  RegularFile(const RegularFile&) = delete;
  ~RegularFile();

  /// Links::refuse: a symbolic link as the last component fails (ELOOP).
  enum class Links { follow, refuse };
  static Result<RegularFile> open(const std::string& path, Links links = Links::follow);

  int fd() const { return fd_; }
  std::size_t size() const { return size_; }

  /// Reads the whole file into \p out (size() bytes); EIO if it shrank.
  Result<void> read_all(std::byte* out, const std::string& path) const { return read_at(0, size_, out, path); }
  /// Reads \p length bytes at \p offset into \p out; EIO if the file ends first.
  Result<void> read_at(std::uint64_t offset, std::size_t length, std::byte* out, const std::string& path) const;

 private:
  RegularFile(int fd, std::size_t size) : fd_(fd), size_(size) {}
  int fd_ = -1;
  std::size_t size_ = 0;
};

/// Largest text input kmodx reads whole: configuration files, modules.order,
/// modules.builtin(.modinfo), Module.symvers, System.map, sysfs/proc files.
/// Real ones are at most a few MiB; /dev/zero given as a config file is not.
inline constexpr std::size_t kMaxTextFileSize = std::size_t{64} << 20;

/// Reads a whole text file. Directories are EISDIR; FIFOs, sockets and
/// devices are refused (EINVAL) without blocking; a file that grows past
/// \p limit is EFBIG. /proc and /sys files (size 0 in stat) are read to
/// their end. Errors name \p path.
Result<std::string> read_text_file(const std::string& path, std::size_t limit = kMaxTextFileSize);

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  static Result<MappedFile> open(const std::string& path);

  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace kmodx
