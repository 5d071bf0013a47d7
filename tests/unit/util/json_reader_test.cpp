// SPDX-License-Identifier: LGPL-2.1-or-later
// parse_json() (util/json_reader.hpp): strict RFC 8259 documents, \u escapes
// decoded to UTF-8 with surrogate pairs, numbers kept as their text, 64
// levels of nesting at most, and every error EBADMSG with "offset N: why".
#include "util/json_reader.hpp"

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "support/result_helpers.hpp"

using namespace kmodx;
using namespace kmodx::test;
using Type = JsonValue::Type;

namespace {

JsonValue parse_ok(std::string_view text) {
  auto r = parse_json(text);
  INFO("input: " << std::string(text));
  INFO(describe(r));
  REQUIRE(r.ok());
  return *r;
}

std::string string_value(std::string_view text) {
  const JsonValue v = parse_ok(text);
  REQUIRE(v.type == Type::string);
  return v.text;
}

// The error of \p text: EBADMSG, a detail "offset N: <why>" with N in
// [lo, hi] (the offending token), and a reason after it.
void check_error(std::string_view text, std::size_t lo, std::size_t hi) {
  INFO("input: " << std::string(text));
  auto r = parse_json(text);
  INFO(describe(r));
  CHECK_FALSE(r.ok());
  if (r.ok()) return;
  CHECK(r.error().code == EBADMSG);
  const std::string& detail = r.error().detail;
  CHECK(detail.rfind("offset ", 0) == 0);
  if (detail.rfind("offset ", 0) != 0) return;
  std::size_t digits = 0;
  const std::size_t n = std::stoul(detail.substr(7), &digits);
  CHECK(n >= lo);
  CHECK(n <= hi);
  const std::string rest = detail.substr(7 + digits);
  CHECK(rest.rfind(": ", 0) == 0);
  CHECK(rest.size() > 2);
}
void check_error(std::string_view text, std::size_t at) { check_error(text, at, at); }

std::string nested_arrays(std::size_t levels, std::string_view inner = "") {
  return std::string(levels, '[') + std::string(inner) + std::string(levels, ']');
}

std::string nested_objects(std::size_t levels) {
  std::string out;
  for (std::size_t i = 0; i < levels; ++i) out += "{\"k\":";
  out += "1";
  for (std::size_t i = 0; i < levels; ++i) out += "}";
  return out;
}

}  // namespace

TEST_CASE("json: a nested document", "[json]") {
  const JsonValue v = parse_ok(
      " \t\r\n{\"a\": [1, -2.5e+3, true, false, null, \"x\", [], {}],\n"
      "  \"b\": {\"c\": {\"d\": \"deep\"}}, \"empty\": \"\", \"n\": 0}\n ");
  REQUIRE(v.type == Type::object);
  REQUIRE(v.keys.size() == 4);
  CHECK(v.keys[0] == "a");
  CHECK(v.keys[1] == "b");
  CHECK(v.keys[2] == "empty");
  CHECK(v.keys[3] == "n");

  const JsonValue* a = v.get("a");
  REQUIRE(a != nullptr);
  REQUIRE(a->type == Type::array);
  REQUIRE(a->items.size() == 8);
  CHECK(a->items[0].type == Type::number);
  CHECK(a->items[0].text == "1");
  CHECK(a->items[1].type == Type::number);
  CHECK(a->items[1].text == "-2.5e+3");
  CHECK(a->items[2].type == Type::boolean);
  CHECK(a->items[2].boolean);
  CHECK(a->items[3].type == Type::boolean);
  CHECK_FALSE(a->items[3].boolean);
  CHECK(a->items[4].type == Type::null);
  CHECK(a->items[5].type == Type::string);
  CHECK(a->items[5].text == "x");
  CHECK(a->items[6].type == Type::array);
  CHECK(a->items[6].items.empty());
  CHECK(a->items[7].type == Type::object);
  CHECK(a->items[7].keys.empty());

  const JsonValue* d = v.get("b") ? v.get("b")->get("c") : nullptr;
  REQUIRE(d != nullptr);
  REQUIRE(d->get("d") != nullptr);
  CHECK(d->get("d")->text == "deep");
  CHECK(v.get("empty")->type == Type::string);
  CHECK(v.get("empty")->text.empty());
  CHECK(v.get("n")->text == "0");
}

TEST_CASE("json: get() and member order", "[json]") {
  const JsonValue v = parse_ok(R"({"k": 1, "other": 2, "k": 3})");
  REQUIRE(v.keys.size() == 3);
  CHECK(v.keys[2] == "k");
  CHECK(v.items[2].text == "3");
  // The first member of the name.
  REQUIRE(v.get("k") != nullptr);
  CHECK(v.get("k")->text == "1");
  CHECK(v.get("missing") == nullptr);
  CHECK(v.get("") == nullptr);
  // Not an object: nothing to get.
  const JsonValue arr = parse_ok(R"(["k"])");
  CHECK(arr.get("k") == nullptr);
  const JsonValue str = parse_ok(R"("k")");
  CHECK(str.get("k") == nullptr);
  // An empty name is a name.
  const JsonValue empty_key = parse_ok(R"({"": true})");
  REQUIRE(empty_key.get("") != nullptr);
  CHECK(empty_key.get("")->boolean);
}

TEST_CASE("json: top-level scalars and empty containers", "[json]") {
  CHECK(parse_ok("null").type == Type::null);
  CHECK(parse_ok("true").boolean);
  CHECK_FALSE(parse_ok(" false ").boolean);
  CHECK(parse_ok("42").text == "42");
  CHECK(parse_ok("\"s\"").text == "s");
  CHECK(parse_ok("[]").type == Type::array);
  CHECK(parse_ok("[ \n ]").items.empty());
  CHECK(parse_ok("{}").type == Type::object);
  CHECK(parse_ok("{ \t }").keys.empty());
  CHECK(parse_ok("[[],[[]]]").items.size() == 2);
}

TEST_CASE("json: numbers are kept as their text", "[json]") {
  for (const char* n : {"0", "-0", "7", "-12", "0.5", "-0.0", "3.14159", "1e9", "1E9", "1e+9", "1e-9", "2.5E-10",
                        "123456789012345678901234567890", "-1.0e00"}) {
    INFO(n);
    const JsonValue v = parse_ok(n);
    CHECK(v.type == Type::number);
    CHECK(v.text == n);
  }
  const JsonValue arr = parse_ok("[1,2.0,-3e1]");
  REQUIRE(arr.items.size() == 3);
  CHECK(arr.items[1].text == "2.0");
  CHECK(arr.items[2].text == "-3e1");
}

TEST_CASE("json: string escapes", "[json]") {
  CHECK(string_value(R"("\"\\\/\b\f\n\r\t")") == "\"\\/\b\f\n\r\t");
  CHECK(string_value(R"("a\u0041b")") == "aAb");
  // \u escapes become UTF-8, at each length boundary.
  CHECK(string_value(R"("\u007f")") == "\x7f");
  CHECK(string_value(R"("\u0080")") == "\xc2\x80");
  CHECK(string_value(R"("\u00e9")") == "\xc3\xa9");
  CHECK(string_value(R"("\u07FF")") == "\xdf\xbf");
  CHECK(string_value(R"("\u0800")") == "\xe0\xa0\x80");
  CHECK(string_value(R"("\u20AC")") == "\xe2\x82\xac");
  CHECK(string_value(R"("\uffff")") == "\xef\xbf\xbf");
  CHECK(string_value(R"("\u0000")") == std::string(1, '\0'));
  // Surrogate pairs, either case of hex digits.
  CHECK(string_value(R"("\ud83d\ude00")") == "\xf0\x9f\x98\x80");
  CHECK(string_value(R"("\uD834\uDD1E")") == "\xf0\x9d\x84\x9e");
  CHECK(string_value(R"("\ud800\udc00")") == "\xf0\x90\x80\x80");
  CHECK(string_value(R"("\udbff\udfff")") == "\xf4\x8f\xbf\xbf");
  // UTF-8 in the input passes through as it is.
  CHECK(string_value("\"caf\xc3\xa9 \xe2\x82\xac\"") == "caf\xc3\xa9 \xe2\x82\xac");
  // Escapes in member names too.
  const JsonValue v = parse_ok(R"({"a\nb\u00e9": 1})");
  CHECK(v.get("a\nb\xc3\xa9") != nullptr);
}

TEST_CASE("json: structural errors name the offset", "[json]") {
  check_error("", 0);
  check_error("   ", 3);
  check_error("[", 1);
  check_error("[1,]", 3);
  check_error("[1 2]", 3);
  check_error("[1,,2]", 3);
  check_error("[,1]", 1);
  check_error("{", 1);
  check_error("{\"a\"", 4);
  check_error("{\"a\" 1}", 5);
  check_error("{\"a\":}", 5);
  check_error("{\"a\":1,}", 7);
  check_error("{\"a\":1 \"b\":2}", 7);
  check_error("{1:2}", 1);
  check_error("{'a':1}", 1);
  check_error("{\"a\":1]", 6);
  check_error("[1}", 2);
  check_error("]", 0);
}

TEST_CASE("json: bad literals and numbers", "[json]") {
  check_error("tru", 0);
  check_error("True", 0);
  check_error("nul", 0);
  check_error("[falsy]", 1, 6);
  check_error("undefined", 0);
  check_error("-", 1);
  check_error("+1", 0);
  check_error(".5", 0);
  check_error("1.", 2);
  check_error("1.e5", 2);
  check_error("1e", 2);
  check_error("1e+", 3);
  check_error("-a", 1);
  check_error("NaN", 0);
  check_error("0x10", 1);
  // A leading zero ends the number: the rest is not JSON.
  check_error("01", 1);
  check_error("-012", 2);
}

TEST_CASE("json: bad strings", "[json]") {
  check_error("\"abc", 4);
  check_error("\"\\", 2);
  check_error("[\"a\", \"b]", 9);
  // Control characters must be escaped.
  check_error("\"a\x01" "b\"", 2, 3);
  check_error("\"a\nb\"", 2, 3);
  check_error("\"a\tb\"", 2, 3);
  // Escapes that do not exist, or are cut short.
  check_error(R"("\x41")", 1, 3);
  check_error(R"("\a")", 1, 3);
  check_error(R"("\U0041")", 1, 3);
  check_error(R"("\u12")", 1, 6);
  check_error(R"("\u12G4")", 1, 7);
  check_error(R"("\u")", 1, 4);
  // Lone surrogates.
  check_error(R"("\udc00")", 1, 7);
  check_error(R"("\ud800")", 1, 7);
  check_error(R"("\ud800x")", 1, 8);
  check_error(R"("\ud800\u0041")", 1, 13);
  check_error(R"("\ud800\ud800")", 1, 13);
}

TEST_CASE("json: text after the document", "[json]") {
  check_error("{} x", 3);
  check_error("[1] [2]", 4);
  check_error("1 2", 2);
  check_error("\"a\"\"b\"", 3);
  check_error(std::string_view("{}\0", 3), 2);
  // Only space, tab, newline and carriage return are whitespace.
  check_error("{}\f", 2);
  check_error("\v{}", 0);
}

TEST_CASE("json: nesting is limited to 64 levels", "[json]") {
  SECTION("64 levels parse") {
    const JsonValue v = parse_ok(nested_arrays(64));
    const JsonValue* p = &v;
    std::size_t levels = 0;
    while (p->type == Type::array) {
      ++levels;
      if (p->items.empty()) break;
      p = &p->items[0];
    }
    CHECK(levels == 64);
    parse_ok(nested_arrays(64, "1"));
    parse_ok(nested_objects(64));
  }
  SECTION("65 levels are an error") {
    check_error(nested_arrays(65), 0, 130);
    check_error(nested_arrays(64, "[1]"), 0, 130);
    check_error(nested_arrays(64, "{}"), 0, 130);  // an object is a level too
    check_error(nested_arrays(65, "1"), 0, 131);
    check_error(nested_objects(65), 0, 65 * 5 + 66);
  }
  SECTION("very deep input fails without exhausting the stack") {
    check_error(nested_arrays(100000), 0, 200000);
    check_error(std::string(1000000, '['), 0, 1000000);
    std::string objects;
    for (int i = 0; i < 50000; ++i) objects += "{\"a\":";
    check_error(objects, 0, objects.size());
  }
}
