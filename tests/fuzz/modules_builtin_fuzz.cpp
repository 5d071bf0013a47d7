// SPDX-License-Identifier: LGPL-2.1-or-later
// modules.builtin and modules.builtin.modinfo: the same bytes are read as
// both (the fuzzer finds its way into each format), the indexes depmod
// writes from them must pass the reader's strict check, and modinfo's
// record reader must handle the bytes for the first module they name.

#include "depmod/text_inputs.hpp"
#include "fuzz_support.hpp"
#include "kmodx/index.hpp"
#include "kmodx/module_info.hpp"

namespace {

void check_index(const kmodx::Result<std::string>& bin) {
  if (!bin) return;  // a key the index format cannot hold: depmod reports it
  auto index = kmodx::Index::from_bytes(*bin, "fuzz.bin");
  FUZZ_EXPECT(index.ok());
  FUZZ_EXPECT(index->verify().ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  const std::string_view text = fuzz::text_of(data, size);
  NullSink sink;
  check_index(depmod::builtin_index(text, sink, index::Order::pre_order));
  check_index(depmod::builtin_alias_index(text, sink, index::Order::pre_order));
  const std::string_view first = text.substr(0, text.find_first_of(std::string_view(".\0", 2)));
  (void)parse_builtin_info(text, first, "fuzz.modinfo");
  return 0;
}
