// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A read-only mapping of a whole regular file. Non-regular files are refused
// before anything is read from them, so a FIFO named like a module can never
// block a tool.

#include <cstddef>
#include <span>
#include <string>

#include "kmodx/result.hpp"

namespace kmodx {

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
