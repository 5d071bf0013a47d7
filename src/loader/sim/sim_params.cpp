// SPDX-License-Identifier: LGPL-2.1-or-later
// Module parameter parsing, following the kernel (see sim_params.hpp).
#include "loader/sim/sim_params.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace kmodx::loader {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// lib/kstrtox.c _kstrtoull() with base 0: "0x" prefix (followed by a hex
// digit) is hex, a leading 0 is octal; one trailing newline is allowed.
int parse_ull(std::string_view s, unsigned long long& out) {
  unsigned base = 10;
  std::size_t i = 0;
  auto hexdigit = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (!s.empty() && s[0] == '0') {
    if (s.size() > 2 && (s[1] == 'x' || s[1] == 'X') && hexdigit(s[2])) {
      base = 16;
      i = 2;
    } else {
      base = 8;
    }
  }
  unsigned long long v = 0;
  std::size_t digits = 0;
  bool overflow = false;
  for (; i < s.size(); ++i, ++digits) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else break;
    if (d >= base) break;
    if (v > (std::numeric_limits<unsigned long long>::max() - d) / base) overflow = true;
    v = v * base + d;
  }
  if (digits == 0) return EINVAL;
  if (overflow) return ERANGE;
  if (i < s.size() && s[i] == '\n') ++i;
  if (i != s.size()) return EINVAL;
  out = v;
  return 0;
}

int kstrtoull(std::string_view s, unsigned long long& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  return parse_ull(s, out);
}

int kstrtoll(std::string_view s, long long& out) {
  unsigned long long u = 0;
  if (!s.empty() && s[0] == '-') {
    if (int e = parse_ull(s.substr(1), u)) return e;
    if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max()) + 1) return ERANGE;
    out = u == 0 ? 0 : static_cast<long long>(0 - u);
    return 0;
  }
  if (int e = kstrtoull(s, u)) return e;
  if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) return ERANGE;
  out = static_cast<long long>(u);
  return 0;
}

// kstrtobool(): only the first one or two characters matter.
int kstrtobool(std::string_view s, bool& out) {
  if (s.empty()) return EINVAL;
  switch (s[0]) {
    case 'y': case 'Y': case 't': case 'T': case '1': out = true; return 0;
    case 'n': case 'N': case 'f': case 'F': case '0': out = false; return 0;
    case 'o': case 'O':
      if (s.size() > 1 && (s[1] == 'n' || s[1] == 'N')) { out = true; return 0; }
      if (s.size() > 1 && (s[1] == 'f' || s[1] == 'F')) { out = false; return 0; }
      return EINVAL;
    default: return EINVAL;
  }
}

template <class... A>
std::string format(const char* fmt, A... a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a...);
  return buf;
}

// One scalar of \p type; ENOENT for a type the kernel does not have.
int set_scalar(std::string_view type, const std::string* value, std::string& shown) {
  if (type == "bool" || type == "invbool") {
    bool b = true;  // param_set_bool(): no value means "1"
    if (value != nullptr)
      if (int e = kstrtobool(*value, b)) return e;
    // invbool stores !b and param_get_invbool() prints 'N' for a true
    // store, so both show the truth of what was given.
    shown = b ? "Y" : "N";
    return 0;
  }
  if (value == nullptr) return EINVAL;  // parse_one(): only NOARG ops take no value
  const std::string& v = *value;
  if (type == "charp" || type == "string") {
    if (v.size() > 1024) return ENOSPC;
    shown = v;
    return 0;
  }
  struct Signed { std::string_view name; long long min, max; const char* fmt; };
  static constexpr Signed kSigned[] = {
      {"short", INT16_MIN, INT16_MAX, "%lld"},
      {"int", INT32_MIN, INT32_MAX, "%lld"},
      {"long", INT64_MIN, INT64_MAX, "%lld"},
  };
  for (const Signed& t : kSigned) {
    if (type != t.name) continue;
    long long n = 0;
    if (int e = kstrtoll(v, n)) return e;
    if (n < t.min || n > t.max) return ERANGE;
    shown = format(t.fmt, n);
    return 0;
  }
  struct Unsigned { std::string_view name; unsigned long long max; };
  static constexpr Unsigned kUnsigned[] = {
      {"byte", UINT8_MAX}, {"ushort", UINT16_MAX}, {"uint", UINT32_MAX},
      {"ulong", UINT64_MAX}, {"ullong", UINT64_MAX}, {"hexint", UINT32_MAX},
  };
  for (const Unsigned& t : kUnsigned) {
    if (type != t.name) continue;
    unsigned long long n = 0;
    if (int e = kstrtoull(v, n)) return e;
    if (n > t.max) return type == "hexint" ? EINVAL : ERANGE;  // hexint: param_set_uint_minmax()
    shown = type == "hexint" ? format("%#08llx", n) : format("%llu", n);
    return 0;
  }
  return ENOENT;
}

}  // namespace

int set_param_value(std::string_view type, const std::string* value, std::string& shown) {
  constexpr std::string_view kArray = "array of ";
  if (!type.starts_with(kArray)) {
    int e = set_scalar(type, value, shown);
    return e == ENOENT ? (value == nullptr ? EINVAL : (shown = *value, 0)) : e;
  }
  // param_array(): comma-separated elements, each through the element setter.
  if (value == nullptr) return EINVAL;
  std::string_view elem_type = type.substr(kArray.size());
  std::string_view rest = *value;
  shown.clear();
  for (bool first = true;; first = false) {
    std::size_t comma = rest.find(',');
    std::string elem(rest.substr(0, comma));
    std::string elem_shown;
    int e = set_scalar(elem_type, &elem, elem_shown);
    if (e == ENOENT) elem_shown = elem, e = 0;
    if (e != 0) return e;
    if (!first) shown += ',';
    shown += elem_shown;
    if (comma == std::string_view::npos) return 0;
    rest.remove_prefix(comma + 1);
  }
}

std::vector<ParsedArg> split_kernel_args(std::string_view args, std::string* after_dashes) {
  std::vector<ParsedArg> out;
  std::string buf(args);
  std::size_t pos = skip_spaces(buf, 0);
  while (pos < buf.size()) {
    // lib/cmdline.c next_arg(), on a copy so that the in-place NUL writes
    // become cuts.
    bool in_quote = false, quoted = false;
    std::size_t start = pos;
    if (buf[start] == '"') {
      ++start;
      in_quote = quoted = true;
    }
    std::size_t i = start, equals = 0;
    bool has_equals = false;
    for (; i < buf.size(); ++i) {
      if (is_space(buf[i]) && !in_quote) break;
      if (!has_equals && buf[i] == '=') {
        equals = i;
        has_equals = true;
      }
      if (buf[i] == '"') in_quote = !in_quote;
    }
    std::size_t end = i;  // token is [start, end)
    ParsedArg a;
    std::size_t name_end = has_equals ? equals : end;
    std::size_t val_start = equals + 1, val_end = end;
    if (has_equals && val_start < end && buf[val_start] == '"') {
      ++val_start;
      if (end > start && buf[end - 1] == '"') val_end = end - 1;
    }
    if (quoted && end > start && buf[end - 1] == '"') {
      if (!has_equals) name_end = std::min(name_end, end - 1);
      else val_end = std::min(val_end, end - 1);
    }
    a.name = buf.substr(start, name_end - start);
    if (has_equals) {
      a.has_value = true;
      a.value = val_start <= val_end ? buf.substr(val_start, val_end - val_start) : std::string();
    }
    pos = skip_spaces(buf, end < buf.size() ? end + 1 : end);
    if (!a.has_value && a.name == "--") {
      if (after_dashes != nullptr) *after_dashes = buf.substr(pos);
      return out;
    }
    out.push_back(std::move(a));
  }
  return out;
}

ParamOutcome parse_module_params(std::string_view module, std::string_view args, const std::vector<ParamSpec>& specs) {
  ParamOutcome outcome;
  std::string mod(module);
  std::string after_dashes;
  auto same_name = [](std::string_view a, std::string_view b) {  // parameq(): '-' == '_'
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
      if (x != y) return false;
    }
    return true;
  };
  for (const ParsedArg& a : split_kernel_args(args, &after_dashes)) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& s : specs)
      if (same_name(a.name, s.name)) {
        spec = &s;
        break;
      }
    if (spec == nullptr) {
      // unknown_module_param_cb(): async_probe and dyndbg are handled,
      // anything else is only a warning.
      std::string_view base = a.name;
      if (auto dot = base.find('.'); dot != std::string_view::npos) base = base.substr(dot + 1);
      if (a.name != "async_probe" && base != "dyndbg")
        outcome.log.push_back(mod + ": unknown parameter '" + a.name + "' ignored");
      continue;
    }
    std::string shown;
    int e = set_param_value(spec->type, a.has_value ? &a.value : nullptr, shown);
    if (e == 0) {
      bool replaced = false;
      for (SimParam& p : outcome.values)
        if (p.name == spec->name) p.value = shown, replaced = true;
      if (!replaced) outcome.values.push_back({spec->name, shown});
      continue;
    }
    // parse_args() reports and goes on; the last error is returned.
    if (e == ENOSPC)
      outcome.log.push_back(mod + ": `" + a.value + "' too large for parameter `" + a.name + "'");
    else
      outcome.log.push_back(mod + ": `" + a.value + "' invalid for parameter `" + a.name + "'");
    outcome.error = e;
  }
  if (!after_dashes.empty() && outcome.error == 0)
    outcome.log.push_back(mod + ": parameters '" + after_dashes + "' after `--' ignored");
  return outcome;
}

}  // namespace kmodx::loader
