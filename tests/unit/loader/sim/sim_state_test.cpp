// SPDX-License-Identifier: LGPL-2.1-or-later
// The sim state file: encoding, round trip, corruption, /proc/modules lines.
#include "loader/sim/sim_state.hpp"

#include <cerrno>

#include <catch2/catch.hpp>

#include "support/result_helpers.hpp"

using namespace kmodx;
using namespace kmodx::loader;

TEST_CASE("sim state: percent encoding", "[sim]") {
  CHECK(sim_encode("a b,c:d=e%") == "a%20b%2Cc%3Ad%3De%25");
  CHECK(sim_encode("/lib/modules/x-1.ko") == "/lib/modules/x-1.ko");
  CHECK(sim_decode("a%20b%2Cc%3Ad%3De%25") == std::optional<std::string>("a b,c:d=e%"));
  CHECK(!sim_decode("a%2"));
  CHECK(!sim_decode("a%zz"));
  CHECK(!sim_decode("a b"));
}

TEST_CASE("sim state: render and parse round trip", "[sim]") {
  SimState s;
  s.modules.push_back({.name = "user", .path = "/m/user.ko", .size = 4096, .has_init = true, .has_exit = false,
                       .taint = "PO", .uses = {"lib"}, .params = {{"name", "two words, really"}},
                       .exports = {}});
  s.modules.push_back({.name = "lib", .path = "/m/a b/lib.ko", .size = 8192, .has_init = false, .has_exit = false,
                       .taint = "", .uses = {}, .params = {},
                       .exports = {{"f", 0x1234, true, "NS"}, {"g", std::nullopt, false, ""}}});
  std::string text = render_sim_state(s);
  CHECK(text ==
        "kmodx-sim-state 1\n"
        "module user path=/m/user.ko size=4096 init=1 exit=0 taint=PO uses=lib params=name:two%20words%2C%20really\n"
        "module lib path=/m/a%20b/lib.ko size=8192 init=0 exit=0 exports=f:00001234:g:NS,g::-:\n");
  auto back = parse_sim_state(text, "S");
  KMODX_REQUIRE_OK(back);
  CHECK(render_sim_state(*back) == text);
  CHECK(back->holders_of("lib") == std::vector<std::string>{"user"});
  REQUIRE(back->modules[1].exports.size() == 2);
  CHECK(back->modules[1].exports[0].crc == std::optional<std::uint32_t>(0x1234));
  CHECK(!back->modules[1].exports[1].crc);

  std::vector<std::pair<std::string, long>> busy{{"lib", 3}};
  CHECK(proc_modules_line(*back, back->modules[1], busy) == "lib 8192 4 user, Live 0x0000000000000000");
  CHECK(proc_modules_line(*back, back->modules[0], busy) ==
        "user 4096 0 [permanent], Live 0x0000000000000000 (PO)");
}

TEST_CASE("sim state: corruption is EBADMSG with file and line", "[sim]") {
  auto check = [](std::string_view text, std::string_view where) {
    auto r = parse_sim_state(text, "/s/modules");
    INFO(text);
    REQUIRE(!r.ok());
    CHECK(r.error().code == EBADMSG);
    CHECK(r.error().detail.find(where) != std::string::npos);
  };
  check("garbage\n", "/s/modules:1:");
  check("kmodx-sim-state 1\nmodule a size=1\nmodule a size=2\n", "/s/modules:3:");
  check("kmodx-sim-state 1\n\nmodule a init=2\n", "/s/modules:3:");
  check("kmodx-sim-state 1\nmodule a path=%G0\n", "/s/modules:2:");
  check("kmodx-sim-state 1\nmodule a colour=red\n", "unknown key 'colour'");
  check("kmodx-sim-state 1\nmodule a exports=f:xyz:-:\n", "bad export CRC");
  check("kmodx-sim-state 1\nmodule a uses=ghost\n", "'ghost', which is not loaded");
  check("kmodx-sim-state 1\nmodule ../etc size=1\n", "bad module name");
  auto empty = parse_sim_state("", "/s/modules");
  KMODX_REQUIRE_OK(empty);
  CHECK(empty->modules.empty());
}
