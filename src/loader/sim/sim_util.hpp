// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The simulated kernel's word splitter (its state files are read with
// read_text_file(), written with util/file_writes.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "util/file_writes.hpp"

namespace kmodx::loader {

/// Words separated by blanks, tabs and carriage returns (a state file edited
/// on another system keeps its CRs out of the words).
std::vector<std::string_view> split_words(std::string_view line);

}  // namespace kmodx::loader
