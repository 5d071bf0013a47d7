// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/json_writer.hpp"

#include <string>

#include <catch2/catch.hpp>

using kmodx::JsonWriter;

TEST_CASE("JSON: nesting and commas", "[util]") {
  JsonWriter j;
  j.begin_object().key("a").value(std::int64_t{-1}).key("b").begin_array().value(true).value("x").null()
      .begin_object().end_object().end_array().key("c").begin_array().end_array().end_object();
  CHECK(j.text() == R"({"a":-1,"b":[true,"x",null,{}],"c":[]})");
}

TEST_CASE("JSON: string escapes, UTF-8 kept, other bytes as code points", "[util]") {
  JsonWriter j;
  j.value(std::string("q\"b\\n\nt\tc\x01\x7f", 11));
  CHECK(j.text() == R"("q\"b\\n\nt\tc\u0001\u007f")");
  JsonWriter u;
  u.value("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");  // é € 🙂: valid, kept
  CHECK(u.text() == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82\"");
  JsonWriter b;
  b.value("\xff\xc3(\xe2\x82\xed\xa0\x80");  // stray, cut short, overlong-free surrogate
  CHECK(b.text() == R"("\u00ff\u00c3(\u00e2\u0082\u00ed\u00a0\u0080")");
}
