// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A small streaming JSON writer for the tools' --json output (schema in the
// README, "Machine-readable output"). It only writes: objects and arrays are
// opened and closed in order, commas and string escapes are its business.
// Strings are byte strings from modules and configuration; bytes that are
// not valid UTF-8 are written as \u00XX escapes of their value (JSON needs
// Unicode text), so every document parses.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  /// The key of the next value inside an object.
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(bool b);
  JsonWriter& null();

  /// The document so far; complete once every container is closed.
  const std::string& text() const { return out_; }

 private:
  void before_value();
  void string(std::string_view s);

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace kmodx
