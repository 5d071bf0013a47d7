// SPDX-License-Identifier: LGPL-2.1-or-later
// depmod.d text: search, override, external, exclude and the kernel version
// patterns (POSIX regular expressions) they carry.

#include "config/depmod_config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  NullSink sink;
  depmod::DepmodConfig config;
  depmod::parse_depmod_config_text(fuzz::text_of(data, size), "fuzz.conf", "6.1.0-56-amd64", config, sink);
  return 0;
}
