// SPDX-License-Identifier: LGPL-2.1-or-later
// modules.order: the lines depmod ranks modules by. When no line is
// corrupted, the lines found, each with its '\n', are exactly the text, and
// none is too long for depmod's buffer or holds a NUL (except one read as
// empty because it starts with NUL).

#include <string>

#include "depmod/text_inputs.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kmodx;
  const std::string_view text = fuzz::text_of(data, size);
  const depmod::ModulesOrder order = depmod::parse_modules_order(text);
  for (std::string_view line : order.lines) {
    FUZZ_EXPECT(line.find('\n') == std::string_view::npos);
    FUZZ_EXPECT(line.find('\0') == std::string_view::npos);
    FUZZ_EXPECT(line.size() < depmod::kOrderLineBuffer - 1);
  }
  if (order.corrupted_line != 0) {
    FUZZ_EXPECT(order.corrupted_line == order.lines.size() + 1);
  } else if (text.find('\0') == std::string_view::npos) {
    std::string rebuilt;
    for (std::string_view line : order.lines) rebuilt.append(line).append(1, '\n');
    FUZZ_EXPECT(rebuilt == text);
  }
  return 0;
}
