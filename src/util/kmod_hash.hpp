// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// depmod writes several outputs in the iteration order of libkmod's hash
// table, so reproducing that order byte for byte needs its hash function and
// bucket layout: Paul Hsieh's SuperFastHash over the key bytes (16-bit words
// read little-endian), bucket = hash & (buckets - 1) with the bucket count a
// power of two, entries of a bucket kept in strcmp order. Iteration visits
// buckets 0..n-1, so the order depends only on the set of keys.

#include <cstdint>
#include <string_view>
#include <vector>

namespace kmodx {

std::uint32_t kmod_hash(std::string_view key);

/// Rounds a requested table size up to the power of two libkmod uses.
std::uint32_t kmod_hash_buckets(std::uint32_t requested);

/// Indexes into \p keys in libkmod's iteration order for a table of
/// \p requested_buckets (512 for depmod's modules, 2048 for its symbols).
/// Keys must be unique.
std::vector<std::uint32_t> kmod_hash_order(const std::vector<std::string_view>& keys,
                                           std::uint32_t requested_buckets);

}  // namespace kmodx
