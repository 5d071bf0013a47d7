// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Small file and text helpers of the simulated kernel.
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::loader {

/// The whole file; the error carries errno and names \p path.
Result<std::string> read_whole_file(const std::string& path);
/// Creates or truncates \p path and writes \p data.
Result<void> write_whole_file(const std::string& path, std::string_view data);
/// Writes \p data to a temporary beside \p path, fsyncs it and renames it
/// over \p path: readers and crashes see the old or the new file, never half.
Result<void> write_file_atomic(const std::string& path, std::string_view data);

/// Whitespace-separated words.
std::vector<std::string_view> split_words(std::string_view line);

}  // namespace kmodx::loader
