// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/json_reader.hpp"

#include <cerrno>

namespace kmodx {

const JsonValue* JsonValue::get(std::string_view key) const {
  if (type != Type::object) return nullptr;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<JsonValue> document() {
    JsonValue v;
    skip_space();
    if (!value(v, 0)) return error();
    skip_space();
    if (pos_ != s_.size()) {
      fail("text after the document");
      return error();
    }
    return v;
  }

 private:
  Error error() const { return make_error(EBADMSG, "offset " + std::to_string(pos_) + ": " + why_); }
  bool fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return false;
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(pos_, w.size()) != w) return fail("unexpected character");
    pos_ += w.size();
    return true;
  }

  bool value(JsonValue& v, int depth) {
    if (pos_ >= s_.size()) return fail("unexpected end");
    // At most kMaxDepth objects and arrays inside each other (the root is
    // at depth 0).
    if ((s_[pos_] == '{' || s_[pos_] == '[') && depth >= kMaxDepth) return fail("nested too deeply");
    switch (s_[pos_]) {
      case '{': return object(v, depth);
      case '[': return array(v, depth);
      case '"': v.type = JsonValue::Type::string; return string(v.text);
      case 't': v.type = JsonValue::Type::boolean; v.boolean = true; return word("true");
      case 'f': v.type = JsonValue::Type::boolean; return word("false");
      case 'n': return word("null");
      default: return number(v);
    }
  }

  bool object(JsonValue& v, int depth) {
    v.type = JsonValue::Type::object;
    ++pos_;
    skip_space();
    if (eat('}')) return true;
    for (;;) {
      skip_space();
      std::string key;
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a member name");
      if (!string(key)) return false;
      skip_space();
      if (!eat(':')) return fail("expected ':'");
      skip_space();
      JsonValue member;
      if (!value(member, depth + 1)) return false;
      v.keys.push_back(std::move(key));
      v.items.push_back(std::move(member));
      skip_space();
      if (eat('}')) return true;
      if (!eat(',')) return fail("expected ',' or '}'");
    }
  }

  bool array(JsonValue& v, int depth) {
    v.type = JsonValue::Type::array;
    ++pos_;
    skip_space();
    if (eat(']')) return true;
    for (;;) {
      skip_space();
      JsonValue item;
      if (!value(item, depth + 1)) return false;
      v.items.push_back(std::move(item));
      skip_space();
      if (eat(']')) return true;
      if (!eat(',')) return fail("expected ',' or ']'");
    }
  }

  bool number(JsonValue& v) {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    eat('-');
    if (eat('0')) {
    } else if (!digits()) {
      return fail("unexpected character");
    }
    if (eat('.') && !digits()) return fail("bad number");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!eat('+')) eat('-');
      if (!digits()) return fail("bad number");
    }
    v.type = JsonValue::Type::number;
    v.text = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(unsigned& out) {
    if (s_.size() - pos_ < 4) return fail("short \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') out |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') out |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= static_cast<unsigned>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return true;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool string(std::string& out) {
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return fail("unterminated string");
      switch (const char e = s_[pos_++]) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low = 0;
            if (!eat('\\') || !eat('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF)
              return fail("lone high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string why_;
};

}  // namespace

Result<JsonValue> parse_json(std::string_view text) { return Parser(text).document(); }

}  // namespace kmodx
