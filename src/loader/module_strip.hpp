// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Preparing a private copy of a module image for a forced load through the
// image-passing load system call (KMOD-SPEC §5.7): the kernel cannot be told
// to skip its checks that way, so the data they read is removed instead.
#include <cstddef>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx::loader {

/// force_modversion: clears SHF_ALLOC of the first `__versions` section (the
/// kernel then ignores it); absent → nothing to do. force_vermagic: the first
/// `.modinfo` string starting with `vermagic=` is overwritten with NULs;
/// absent → ENODATA, as kmod master ("No data available"); no `.modinfo` at
/// all → nothing to do.
Result<void> strip_for_forced_load(std::vector<std::byte>& image, std::string_view file, bool force_modversion,
                                   bool force_vermagic);

}  // namespace kmodx::loader
