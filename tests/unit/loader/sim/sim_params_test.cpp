// SPDX-License-Identifier: LGPL-2.1-or-later
// Parameter splitting and value setters, as the kernel's parse_args().
#include "loader/sim/sim_params.hpp"

#include <cerrno>

#include <catch2/catch.hpp>

using namespace kmodx::loader;

namespace {

std::vector<std::string> flat(std::string_view args, std::string* after = nullptr) {
  std::vector<std::string> out;
  for (const ParsedArg& a : split_kernel_args(args, after))
    out.push_back(a.has_value ? a.name + "=<" + a.value + ">" : a.name);
  return out;
}

int set(std::string_view type, const char* value, std::string& shown) {
  std::string v = value ? value : "";
  return set_param_value(type, value ? &v : nullptr, shown);
}

}  // namespace

TEST_CASE("sim params: next_arg() splitting and quotes", "[sim]") {
  CHECK(flat("  a=1   b  c=\n") == std::vector<std::string>{"a=<1>", "b", "c=<>"});
  CHECK(flat("p=\"a b\" q") == std::vector<std::string>{"p=<a b>", "q"});
  CHECK(flat("\"p=a b\" q") == std::vector<std::string>{"p=<a b>", "q"});
  CHECK(flat("x=a=b") == std::vector<std::string>{"x=<a=b>"});
  CHECK(flat("p=\"unterminated value") == std::vector<std::string>{"p=<unterminated value>"});
  std::string after;
  CHECK(flat("a=1 -- b=2 c", &after) == std::vector<std::string>{"a=<1>"});
  CHECK(after == "b=2 c");
  CHECK(flat("").empty());
}

TEST_CASE("sim params: value setters", "[sim]") {
  std::string shown;
  CHECK(set("int", "-2147483648", shown) == 0);
  CHECK(shown == "-2147483648");
  CHECK(set("int", "2147483648", shown) == ERANGE);
  CHECK(set("int", "0x1f", shown) == 0);
  CHECK(shown == "31");
  CHECK(set("int", "017", shown) == 0);
  CHECK(shown == "15");
  CHECK(set("int", "5\n", shown) == 0);  // one trailing newline is accepted
  CHECK(set("int", "", shown) == EINVAL);
  CHECK(set("int", " 5", shown) == EINVAL);
  CHECK(set("int", nullptr, shown) == EINVAL);
  CHECK(set("uint", "-1", shown) == EINVAL);
  CHECK(set("uint", "+7", shown) == 0);
  CHECK(shown == "7");
  CHECK(set("byte", "255", shown) == 0);
  CHECK(set("byte", "256", shown) == ERANGE);
  CHECK(set("short", "-32769", shown) == ERANGE);
  CHECK(set("ullong", "18446744073709551615", shown) == 0);
  CHECK(set("ullong", "18446744073709551616", shown) == ERANGE);
  CHECK(set("long", "-9223372036854775808", shown) == 0);
  CHECK(set("hexint", "16", shown) == 0);
  CHECK(shown == "0x000010");

  CHECK(set("bool", nullptr, shown) == 0);
  CHECK(shown == "Y");
  CHECK(set("bool", "off", shown) == 0);
  CHECK(shown == "N");
  CHECK(set("bool", "on", shown) == 0);
  CHECK(shown == "Y");
  CHECK(set("bool", "o", shown) == EINVAL);
  CHECK(set("bool", "", shown) == EINVAL);
  CHECK(set("invbool", "n", shown) == 0);
  CHECK(shown == "N");

  CHECK(set("charp", "", shown) == 0);
  CHECK(shown.empty());
  CHECK(set("charp", nullptr, shown) == EINVAL);
  CHECK(set("charp", std::string(1025, 'x').c_str(), shown) == ENOSPC);
  CHECK(set("string", "hello", shown) == 0);

  CHECK(set("array of int", "1,-2,3", shown) == 0);
  CHECK(shown == "1,-2,3");
  CHECK(set("array of int", "1,,3", shown) == EINVAL);
  CHECK(set("array of bool", "y,n", shown) == 0);
  CHECK(shown == "Y,N");
  CHECK(set("array of charp", "a,b", shown) == 0);
  CHECK(shown == "a,b");
}

TEST_CASE("sim params: parse_module_params()", "[sim]") {
  std::vector<ParamSpec> specs{{"level", "int"}, {"verbose_mode", "bool"}};
  auto ok = parse_module_params("m", "level=1 verbose-mode async_probe dyndbg=+p m.dyndbg x=1", specs);
  CHECK(ok.error == 0);
  REQUIRE(ok.values.size() == 2);
  CHECK(ok.values[0].name == "level");
  CHECK(ok.values[1].name == "verbose_mode");
  CHECK(ok.values[1].value == "Y");
  CHECK(ok.log == std::vector<std::string>{"m: unknown parameter 'x' ignored"});

  // parse_args() keeps going after an error and returns the last one.
  auto bad = parse_module_params("m", "level=x verbose_mode=maybe level=300", specs);
  CHECK(bad.error == EINVAL);
  CHECK(bad.log == std::vector<std::string>{"m: `x' invalid for parameter `level'",
                                            "m: `maybe' invalid for parameter `verbose_mode'"});
  REQUIRE(bad.values.size() == 1);
  CHECK(bad.values[0].value == "300");

  auto dashes = parse_module_params("m", "level=2 -- level=3", specs);
  CHECK(dashes.error == 0);
  CHECK(dashes.values.at(0).value == "2");
  CHECK(dashes.log == std::vector<std::string>{"m: parameters 'level=3' after `--' ignored"});
}
