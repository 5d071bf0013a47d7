// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel command line as a configuration source (KMOD-SPEC §7.4):
// `module.param[=value]` words become options entries and
// `modprobe.blacklist=a,b` blacklist entries.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "kmodx/modprobe_config.hpp"
#include "util/libkmod_sites.hpp"
#include "util/names.hpp"

namespace kmodx {
namespace {

void add_result(ModprobeConfig& config, std::string modname, std::string param, const char* value,
                DiagnosticSink& messages) {
  if (modname == "modprobe" && param.starts_with("blacklist=")) {
    // strsep() on ',': empty pieces are kept, and not normalised.
    std::string_view list = value ? value : "";
    for (;;) {
      std::size_t comma = list.find(',');
      config.blacklist.emplace_back(list.substr(0, comma));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    return;
  }
  if (!underscores(modname)) {
    messages.report_from(Severity::error, libkmod_site::kcmdline_parse_result,
                         "Ignoring bad option on kernel command line while parsing module name: '" + modname + "'");
    return;
  }
  std::replace(param.begin(), param.end(), '\t', ' ');
  config.options.push_back({std::move(modname), std::move(param)});
}

}  // namespace

// libkmod's state machine, run over a NUL-terminated copy so that its
// in-place rewrites (terminating tokens, re-quoting what a bootloader
// unquoted) can be followed literally.
void parse_kernel_cmdline(std::string_view cmdline, ModprobeConfig& config, DiagnosticSink& messages) {
  std::string buf(cmdline.substr(0, cmdline.find('\0')));
  buf.push_back('\0');
  char* const base = buf.data();
  enum class State { ignore, modname, param, value, complete } state = State::modname;
  char* quote_start = nullptr;
  char* modname = base;
  char* param = nullptr;
  char* value = nullptr;
  bool quoted = false;
  bool more = true;
  for (char* p = base; more; ++p) {
    switch (*p) {
      case '"':
        quoted = !quoted;
        // A quote may only open the word, before the module name.
        if (quoted && state == State::modname && p == modname) {
          quote_start = p;
          modname = p + 1;
        } else if (state != State::value) {
          state = State::ignore;
        }
        break;
      case '\0':
        more = false;
        [[fallthrough]];
      case ' ': case '\n': case '\t': case '\v': case '\f': case '\r':
        if (quoted && state == State::value) {
          // blanks are allowed inside a quoted value
        } else if (quoted) {
          state = State::ignore;
        } else if (state == State::value || state == State::param) {
          *p = '\0';
          state = State::complete;
        } else {
          modname = p + 1;
          state = State::modname;
          quote_start = nullptr;
        }
        break;
      case '.':
        if (state == State::modname) {
          *p = '\0';
          param = p + 1;
          state = State::param;
        } else if (state == State::param) {
          state = State::ignore;
        }
        break;
      case '=':
        if (state == State::param) {
          value = p + 1;
          state = State::value;
        } else if (state == State::modname) {
          state = State::ignore;
        }
        break;
      default:
        break;
    }
    if (state == State::complete) {
      if (quote_start != nullptr && quote_start < modname) {
        // `"mod.param=a b"` from a bootloader: store param="a b".
        std::memmove(quote_start, modname, static_cast<std::size_t>(value - modname));
        --value;
        --modname;
        --param;
        *value = '"';
      }
      if (param != nullptr) add_result(config, modname, param, value, messages);
      modname = p + 1;
      state = State::modname;
      quote_start = nullptr;
    }
  }
}

std::optional<std::string> read_kernel_cmdline() {
  const char* override_path = std::getenv("KMODX_PROC_CMDLINE");
  const char* path = override_path != nullptr && *override_path != '\0' ? override_path : "/proc/cmdline";
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char chunk[4096];
  while (text.size() < 4095) {
    ssize_t n = ::read(fd, chunk, 4095 - text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace kmodx
