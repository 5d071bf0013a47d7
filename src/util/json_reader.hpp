// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// A small strict JSON reader (RFC 8259) for the documents kmodx itself
// writes (util/json_writer.hpp), read back by `kmodx check --baseline`.
// Input may be hostile: nesting is limited to 64 levels, numbers are kept as
// their text, and every error names the byte offset. \u escapes are decoded
// to UTF-8 (a lone surrogate is an error). Thread safety: pure.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kmodx/result.hpp"

namespace kmodx {

struct JsonValue {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool boolean = false;
  std::string text;  ///< string value, or a number's text
  /// Array elements; for an object, the member values (keys[i] names items[i]),
  /// in document order. (One vector of values for both: a member type
  /// holding a JsonValue could not be declared inside JsonValue.)
  std::vector<JsonValue> items;
  std::vector<std::string> keys;  ///< object member names

  /// The first member named \p key, or nullptr (also when not an object).
  const JsonValue* get(std::string_view key) const;
};

/// Parses one JSON document (surrounding whitespace allowed). EBADMSG with
/// "offset N: what" when it is not one.
Result<JsonValue> parse_json(std::string_view text);

}  // namespace kmodx
