// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// A private temporary directory, removed with everything in it when the
/// object goes out of scope.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace kmodx::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Path of \p name inside the directory (nothing is created).
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  /// Writes \p data to \p name (replacing it, making its directories) and
  /// returns its path.
  std::string write(std::string_view name, std::span<const std::byte> data) const;
  std::string write(std::string_view name, std::string_view data) const;

 private:
  std::filesystem::path path_;
};

}  // namespace kmodx::test
