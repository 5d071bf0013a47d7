// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel command line parser (§7.4's state machine, bootloader quoting)
// and the configuration it produces.

#include "fuzz_support.hpp"
#include "kmodx/modprobe_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  fuzz::NullConfigSink sink;
  ModprobeConfig config;
  parse_kernel_cmdline(fuzz::text_of(data, size), config, sink);
  (void)config.render();
  for (const ConfigText& o : config.options) (void)config.options_for(o.module, "");
  return 0;
}
