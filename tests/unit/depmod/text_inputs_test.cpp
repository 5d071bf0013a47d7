// SPDX-License-Identifier: LGPL-2.1-or-later
#include "depmod/text_inputs.hpp"

#include <string>

#include <catch2/catch.hpp>

using kmodx::depmod::kOrderLineBuffer;
using kmodx::depmod::parse_modules_order;

// depmod reads modules.order with fgets() into a PATH_MAX buffer (checked
// against kmod 30: a 1 MiB line gives "modules.order:1 corrupted line
// misses '\n'").
TEST_CASE("modules.order: lines as depmod's fgets() sees them", "[depmod]") {
  SECTION("complete lines") {
    auto order = parse_modules_order("kernel/a.ko\nkernel/b.ko\n");
    CHECK(order.corrupted_line == 0);
    CHECK(order.lines == std::vector<std::string_view>{"kernel/a.ko", "kernel/b.ko"});
  }
  SECTION("a last line without newline") {
    CHECK(parse_modules_order("kernel/a.ko\nkernel/b.ko").corrupted_line == 2);
  }
  SECTION("the longest line that fits, and one byte more") {
    const std::string fits(kOrderLineBuffer - 2, 'x');
    CHECK(parse_modules_order(fits + "\n").corrupted_line == 0);
    CHECK(parse_modules_order("a\n" + fits + "x\n").corrupted_line == 2);
  }
  SECTION("NUL bytes: inside a line it misses its newline; first, the line is empty") {
    CHECK(parse_modules_order(std::string("a\nb\0c\n", 6)).corrupted_line == 2);
    const std::string text("\0x\nkernel/a.ko\n", 15);
    auto order = parse_modules_order(text);  // views into text
    CHECK(order.corrupted_line == 0);
    CHECK(order.lines == std::vector<std::string_view>{"", "kernel/a.ko"});
  }
}
