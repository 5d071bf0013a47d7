// SPDX-License-Identifier: LGPL-2.1-or-later
// modules.devname parsing and the three static-nodes formats. Expected
// values were printed by Debian's kmod 30 (`kmod static-nodes -f ...` over
// the same modules.devname); tests/cli/kmod-command.py compares whole runs.
#include <catch2/catch.hpp>

#include <string>

#include "kmodx/static_nodes.hpp"

using namespace kmodx;

TEST_CASE("modules.devname entries as sscanf reads them", "[static_nodes]") {
  const auto parsed = parse_modules_devname(
      "# Device nodes to trigger on-demand module loading.\n"
      "fuse fuse c10:229\n"
      "a b c+10:-1\n"
      "a b c4294967296:99999999999999999999999\n"
      "  m \t x/y/z b 1:2 trailing\n"
      "bad type x1:2\n"
      "\n"
      "no colon c1 2\n"
      "last l c1:2");
  REQUIRE(parsed.nodes.size() == 5);
  CHECK(parsed.nodes[0].module == "fuse");
  CHECK(parsed.nodes[0].major == 10);
  CHECK(parsed.nodes[0].minor == 229);
  CHECK(parsed.nodes[1].minor == 4294967295u);
  CHECK(parsed.nodes[2].major == 0);
  CHECK(parsed.nodes[2].minor == 4294967295u);
  CHECK(parsed.nodes[3].devname == "x/y/z");
  CHECK(parsed.nodes[3].type == 'b');
  CHECK(parsed.nodes[4].module == "last");
  REQUIRE(parsed.invalid.size() == 3);
  CHECK(parsed.invalid[0] == "bad type x1:2\n");
  CHECK(parsed.invalid[1] == "\n");
  CHECK(parsed.invalid[2] == "no colon c1 2\n");
}

TEST_CASE("modules.devname is read in fgets pieces of 4095 bytes, each a C string", "[static_nodes]") {
  const std::string name(4093, 'd');
  const auto parsed =
      parse_modules_devname("m " + name + " c1:2\n" + std::string("n\0ul c1:2\n#c\nfuse fuse c10:229\n", 31));
  // "m ddd..." is cut after 4095 bytes: that piece has two fields, and the
  // rest (" c1:2\n") is a piece of its own; a NUL ends "n\0ul...".
  REQUIRE(parsed.invalid.size() == 3);
  CHECK(parsed.invalid[0] == "m " + name);
  CHECK(parsed.invalid[1] == " c1:2\n");
  CHECK(parsed.invalid[2] == "n");
  REQUIRE(parsed.nodes.size() == 1);
  CHECK(parsed.nodes[0].module == "fuse");
}

TEST_CASE("static-nodes formats", "[static_nodes]") {
  const auto nodes = parse_modules_devname("snd_timer snd/timer c116:33\nloop loop-control c10:237\n").nodes;
  CHECK(format_static_nodes(nodes, StaticNodesFormat::tmpfiles) ==
        "d /dev/snd 0755 - - -\n"
        "c! /dev/snd/timer 0600 - - - 116:33\n"
        "c! /dev/loop-control 0600 - - - 10:237\n");
  CHECK(format_static_nodes(nodes, StaticNodesFormat::devname) ==
        "snd_timer snd/timer c116:33\nloop loop-control c10:237\n");
  CHECK(format_static_nodes({nodes[1]}, StaticNodesFormat::human) ==
        "Module: loop\n\tDevice node: /dev/loop-control\n\t\tType: character device\n\t\tMajor: 10\n\t\tMinor: 237\n");
  CHECK(static_nodes_format_named("tmpfiles") == StaticNodesFormat::tmpfiles);
  CHECK_FALSE(static_nodes_format_named("Human").has_value());
}
