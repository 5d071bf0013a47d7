// SPDX-License-Identifier: LGPL-2.1-or-later
// The .bin index reader on arbitrary bytes: every lookup, walk and dump must
// stay inside the file and end. When verify() accepts the file, an exact
// lookup of each key the walk found must give that key's first value.

#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "kmodx/index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  auto index = Index::from_bytes(fuzz::text_of(data, size), "fuzz.bin");
  if (!index) return 0;
  const bool sound = index->verify().ok();

  std::map<std::string, std::string> first_value;
  std::size_t visited = 0;
  Error corruption;
  index->for_each(
      [&](std::string_view key, std::uint32_t, std::string_view value) {
        if (++visited <= 64) first_value.emplace(std::string(key), std::string(value));
      },
      &corruption);

  for (const auto& [key, value] : first_value) {
    auto found = index->lookup_exact(key);
    if (sound) FUZZ_EXPECT(found && *found == value);
    (void)index->search_wildcard(key);
    (void)index->search_wildcard(key, nullptr, Index::ReadMode::stream);
  }
  for (std::string_view query : {"", "a", "pci:v00008086d00001234sv*", "usb:v1D6Bp0002d0610dc09dsc00dp03ic09isc00ip00in00"}) {
    (void)index->lookup_exact(query);
    (void)index->search_wildcard(query, &corruption);
    (void)index->search_wildcard(query, nullptr, Index::ReadMode::stream);
  }
  std::string dump;
  index->dump("alias ", dump);
  return 0;
}
