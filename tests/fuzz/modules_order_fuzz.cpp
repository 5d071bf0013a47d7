// SPDX-License-Identifier: LGPL-2.1-or-later
// modules.order: the lines depmod ranks modules by. The lines found, each
// with its '\n', must be exactly the text up to an unterminated last line.

#include <string>

#include "depmod/text_inputs.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  const std::string_view text = fuzz::text_of(data, size);
  const depmod::ModulesOrder order = depmod::parse_modules_order(text);
  std::string rebuilt;
  for (std::string_view line : order.lines) {
    FUZZ_EXPECT(line.find('\n') == std::string_view::npos);
    rebuilt.append(line);
    rebuilt += '\n';
  }
  if (order.unterminated_line == 0) {
    FUZZ_EXPECT(rebuilt == text);
  } else {
    FUZZ_EXPECT(order.unterminated_line == order.lines.size() + 1);
    FUZZ_EXPECT(text.starts_with(rebuilt) && text.substr(rebuilt.size()).find('\n') == std::string_view::npos);
  }
  return 0;
}
