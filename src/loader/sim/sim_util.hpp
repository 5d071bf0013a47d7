// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Small file and text helpers of the simulated kernel.
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"
#include "util/file_writes.hpp"

namespace kmodx::loader {

/// The whole file; the error carries errno and names \p path.
Result<std::string> read_whole_file(const std::string& path);
// write_whole_file() and write_file_atomic() are kmodx:: ones (util/file_writes.hpp).

/// Whitespace-separated words.
std::vector<std::string_view> split_words(std::string_view line);

}  // namespace kmodx::loader
