// SPDX-License-Identifier: LGPL-2.1-or-later
// modprobe.d text: parsing, the `modprobe -c` rendering, and the queries
// modprobe makes for the names the configuration itself mentions.

#include "fuzz_support.hpp"
#include "kmodx/modprobe_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  fuzz::NullConfigSink sink;
  ModprobeConfig config;
  parse_modprobe_config_text(fuzz::text_of(data, size), "fuzz.conf", config, sink);
  (void)config.render();
  for (const ConfigAlias& a : config.aliases) {
    (void)config.is_blacklisted(a.module);
    (void)config.options_for(a.module, a.pattern);
    (void)config.install_for(a.module);
    (void)config.remove_for(a.module);
    (void)config.softdep_for(a.module);
    (void)config.weakdep_for(a.module);
  }
  return 0;
}
