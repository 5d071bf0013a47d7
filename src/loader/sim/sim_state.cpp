// SPDX-License-Identifier: LGPL-2.1-or-later
// The simulated kernel's state directory (format in sim_state.hpp).
#include "loader/sim/sim_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "loader/sim/sim_util.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::loader {
namespace {

constexpr std::string_view kHeader = "kmodx-sim-state 1";

bool plain_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '/' || c == '+' || c == '@' || c == '-';
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

template <class Int>
std::optional<Int> to_number(std::string_view s, int base = 10) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// One `key=value` field of a module line into \p m; an error message or "".
std::string parse_field(std::string_view key, std::string_view value, SimModule& m) {
  auto decode_list = [&](std::vector<std::string>& out) -> std::string {
    for (std::string_view item : split(value, ',')) {
      auto d = sim_decode(item);
      if (!d) return "bad escape in '" + std::string(item) + "'";
      out.push_back(std::move(*d));
    }
    return "";
  };
  if (key == "path") {
    auto d = sim_decode(value);
    if (!d) return "bad escape in path";
    m.path = std::move(*d);
  } else if (key == "size") {
    auto n = to_number<long>(value);
    if (!n || *n < 0) return "bad size '" + std::string(value) + "'";
    m.size = *n;
  } else if (key == "init" || key == "exit") {
    if (value != "0" && value != "1") return "bad " + std::string(key) + " flag '" + std::string(value) + "'";
    (key == "init" ? m.has_init : m.has_exit) = value == "1";
  } else if (key == "state") {
    if (value != "coming") return "bad state '" + std::string(value) + "'";
    m.coming = true;
  } else if (key == "taint") {
    if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      return "bad taint '" + std::string(value) + "'";
    m.taint = value;
  } else if (key == "uses") {
    return decode_list(m.uses);
  } else if (key == "params") {
    for (std::string_view item : split(value, ',')) {
      auto parts = split(item, ':');
      std::optional<std::string> name, val;
      if (parts.size() == 2) name = sim_decode(parts[0]), val = sim_decode(parts[1]);
      if (!name || !val) return "bad parameter '" + std::string(item) + "'";
      m.params.push_back({std::move(*name), std::move(*val)});
    }
  } else if (key == "exports") {
    for (std::string_view item : split(value, ',')) {
      auto parts = split(item, ':');
      if (parts.size() != 4) return "bad export '" + std::string(item) + "'";
      SimExport e;
      auto name = sim_decode(parts[0]);
      auto ns = sim_decode(parts[3]);
      if (!name || name->empty() || !ns) return "bad export '" + std::string(item) + "'";
      if (!parts[1].empty()) {
        auto crc = to_number<std::uint32_t>(parts[1], 16);
        if (!crc) return "bad export CRC '" + std::string(item) + "'";
        e.crc = *crc;
      }
      if (parts[2] != "g" && parts[2] != "-") return "bad export flag '" + std::string(item) + "'";
      e.name = std::move(*name);
      e.gpl_only = parts[2] == "g";
      e.ns = std::move(*ns);
      m.exports.push_back(std::move(e));
    }
  } else {
    return "unknown key '" + std::string(key) + "'";
  }
  return "";
}

std::string join_encoded(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += sim_encode(s);
  }
  return out;
}

bool valid_module_name(std::string_view name) {
  return !name.empty() && name.size() < 56 && name.find('/') == std::string_view::npos && name != "." &&
         name != ".." && std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

SimModule* SimState::find(std::string_view name) {
  for (SimModule& m : modules)
    if (m.name == name) return &m;
  return nullptr;
}

const SimModule* SimState::find(std::string_view name) const {
  return const_cast<SimState*>(this)->find(name);
}

std::vector<std::string> SimState::holders_of(std::string_view name) const {
  std::vector<std::string> out;
  for (const SimModule& m : modules)
    if (std::find(m.uses.begin(), m.uses.end(), name) != m.uses.end()) out.push_back(m.name);
  return out;
}

std::string sim_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (plain_byte(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> sim_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      if (!plain_byte(static_cast<unsigned char>(text[i]))) return std::nullopt;
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    auto v = to_number<unsigned>(text.substr(i + 1, 2), 16);
    if (!v || text.substr(i + 1, 2).find_first_of("+-") != std::string_view::npos) return std::nullopt;
    out += static_cast<char>(*v);
    i += 2;
  }
  return out;
}

int taint_bit(char letter) {
  // include/linux/panic.h: TAINT_PROPRIETARY_MODULE 0 ... TAINT_TEST 18.
  static constexpr std::string_view kLetters = "PFSRMBUDAWCIOELKXTN";
  const std::size_t i = kLetters.find(letter);
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

Result<SimState> parse_sim_state(std::string_view text, const std::string& file) {
  SimState state;
  unsigned line_no = 0;
  bool header_seen = false;
  bool tainted_seen = false;
  auto bad = [&](const std::string& what) {
    return make_error(EBADMSG, file + ":" + std::to_string(line_no) + ": corrupt simulated kernel state: " + what);
  };
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      if (line != kHeader) return bad("expected '" + std::string(kHeader) + "', found '" + std::string(line) + "'");
      header_seen = true;
      continue;
    }
    auto words = split(line, ' ');
    if (words.size() == 2 && words[0] == "tainted" && state.modules.empty() && !tainted_seen) {
      auto [p, ec] = std::from_chars(words[1].data(), words[1].data() + words[1].size(), state.tainted);
      if (ec != std::errc() || p != words[1].data() + words[1].size() || words[1].empty())
        return bad("bad taint mask '" + std::string(words[1]) + "'");
      tainted_seen = true;
      continue;
    }
    if (words.size() < 2 || words[0] != "module") return bad("expected 'module NAME ...'");
    SimModule m;
    m.name = words[1];
    if (!valid_module_name(m.name)) return bad("bad module name '" + m.name + "'");
    if (state.find(m.name) != nullptr) return bad("module '" + m.name + "' listed twice");
    for (std::size_t i = 2; i < words.size(); ++i) {
      std::size_t eq = words[i].find('=');
      if (eq == std::string_view::npos) return bad("field without '=': '" + std::string(words[i]) + "'");
      std::string err = parse_field(words[i].substr(0, eq), words[i].substr(eq + 1), m);
      if (!err.empty()) return bad(err);
    }
    state.modules.push_back(std::move(m));
  }
  // Every module a loaded module uses must be loaded: anything else means the
  // file was edited or mixed up, and refcounts would go wrong.
  for (const SimModule& m : state.modules)
    for (const std::string& u : m.uses)
      if (state.find(u) == nullptr)
        return make_error(EBADMSG, file + ": corrupt simulated kernel state: module '" + m.name + "' uses '" + u +
                                       "', which is not loaded");
  return state;
}

std::string render_sim_state(const SimState& state) {
  std::string out = std::string(kHeader) + "\n";
  if (state.tainted != 0) out += "tainted " + std::to_string(state.tainted) + "\n";
  for (const SimModule& m : state.modules) {
    out += "module " + m.name + " path=" + sim_encode(m.path) + " size=" + std::to_string(m.size) +
           " init=" + (m.has_init ? "1" : "0") + " exit=" + (m.has_exit ? "1" : "0");
    if (!m.taint.empty()) out += " taint=" + m.taint;
    if (m.coming) out += " state=coming";
    if (!m.uses.empty()) out += " uses=" + join_encoded(m.uses);
    if (!m.params.empty()) {
      out += " params=";
      for (std::size_t i = 0; i < m.params.size(); ++i)
        out += (i ? "," : "") + sim_encode(m.params[i].name) + ":" + sim_encode(m.params[i].value);
    }
    if (!m.exports.empty()) {
      out += " exports=";
      for (std::size_t i = 0; i < m.exports.size(); ++i) {
        const SimExport& e = m.exports[i];
        char crc[16] = "";
        if (e.crc) std::snprintf(crc, sizeof crc, "%08x", static_cast<unsigned>(*e.crc));
        out += (i ? "," : "") + sim_encode(e.name) + ":" + crc + ":" + (e.gpl_only ? "g" : "-") + ":" +
               sim_encode(e.ns);
      }
    }
    out += '\n';
  }
  return out;
}

Result<std::vector<std::pair<std::string, long>>> read_name_number_file(const std::string& path) {
  std::vector<std::pair<std::string, long>> out;
  auto text = read_text_file(path);
  if (!text) {
    if (text.error().code == ENOENT) return out;
    return std::move(text).take_error();
  }
  unsigned line_no = 0;
  for (std::string_view line : split(*text, '\n')) {
    ++line_no;
    auto words = split_words(line);
    if (words.empty() || words[0][0] == '#') continue;
    std::optional<long> n;
    if (words.size() == 2) n = to_number<long>(words[1]);
    if (!n)
      return make_error(EBADMSG, path + ":" + std::to_string(line_no) + ": expected 'module_name number', found '" +
                                     std::string(line) + "'");
    out.emplace_back(std::string(words[0]), *n);
  }
  return out;
}

long sim_refcnt(const SimState& state, const SimModule& m, const std::vector<std::pair<std::string, long>>& busy) {
  long n = static_cast<long>(state.holders_of(m.name).size());
  for (const auto& [name, count] : busy)
    if (name == m.name && count > 0) n += count;
  return n;
}

std::string proc_modules_line(const SimState& state, const SimModule& m,
                              const std::vector<std::pair<std::string, long>>& busy) {
  // kernel/module/procfs.c m_show() and main.c print_unload_info().
  std::string line = m.name + " " + std::to_string(m.size) + " " + std::to_string(sim_refcnt(state, m, busy)) + " ";
  std::string deps;
  for (const std::string& h : state.holders_of(m.name)) deps += h + ",";
  if (m.has_init && !m.has_exit) deps += "[permanent],";
  line += deps.empty() ? "-" : deps;
  line += m.coming ? " Loading 0x0000000000000000" : " Live 0x0000000000000000";
  if (!m.taint.empty()) line += " (" + m.taint + ")";
  return line;
}

// ---------------------------------------------------------------------------

Result<SimStateDir> SimStateDir::open(const std::string& dir) {
  if (dir.empty()) return make_error(EINVAL, "simulated kernel: empty state directory name");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ec.value(), dir + ": cannot create the simulated kernel's state directory: " + ec.message());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return make_error(errno, dir + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return make_error(ENOTDIR, dir + ": state directory is not a directory");
  return SimStateDir(dir);
}

SimStateDir::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Result<SimStateDir::Lock> SimStateDir::lock(bool exclusive) const {
  std::string path = file("lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  // Readers of a state directory they may not write still get a shared lock.
  if (fd < 0 && !exclusive) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return make_error(err, path + ": cannot open the simulated kernel's lock file: " + std::strerror(err));
  }
  // Wait for another command holding the lock, but not forever: a stuck
  // holder becomes a clear error instead of a hang.
  // KMODX_SIM_LOCK_TIMEOUT_MS overrides the 10 s (tests).
  long wait_ms = 10000;
  if (const char* env = std::getenv("KMODX_SIM_LOCK_TIMEOUT_MS"); env != nullptr && *env != '\0')
    wait_ms = std::strtol(env, nullptr, 10);
  const long wait_steps = std::max(0L, wait_ms / 10);
  for (long step = 0;; ++step) {
    if (::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return Lock(fd);
    int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK || step >= wait_steps) {
      ::close(fd);
      if (err == EWOULDBLOCK)
        return make_error(err, path + ": the simulated kernel is locked by another command (waited " +
                                   std::to_string(wait_ms) + " ms)");
      return make_error(err, path + ": cannot lock: " + std::strerror(err));
    }
    ::usleep(10000);
  }
}

Result<SimState> SimStateDir::load() const {
  std::string path = file("modules");
  auto text = read_text_file(path);
  if (!text) {
    if (text.error().code == ENOENT) return SimState{};
    return std::move(text).take_error();
  }
  return parse_sim_state(*text, path);
}

Result<void> SimStateDir::save(const SimState& state, const std::vector<std::pair<std::string, long>>& busy) const {
  if (auto ok = write_file_atomic(file("modules"), render_sim_state(state)); !ok) return ok;
  return render_views(state, busy);
}

void SimStateDir::log(const std::vector<std::string>& lines) const {
  if (lines.empty()) return;
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  int fd = ::open(file("dmesg").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
}

Result<void> SimStateDir::render_views(const SimState& state,
                                       const std::vector<std::pair<std::string, long>>& busy) const {
  namespace fs = std::filesystem;
  std::string proc;
  for (const SimModule& m : state.modules) proc += proc_modules_line(state, m, busy) + "\n";
  std::error_code ec;
  fs::create_directories(file("proc"), ec);
  if (ec) return make_error(ec.value(), file("proc") + ": " + ec.message());
  if (auto ok = write_file_atomic(file("proc/modules"), proc); !ok) return ok;
  fs::create_directories(file("proc/sys/kernel"), ec);
  if (ec) return make_error(ec.value(), file("proc/sys/kernel") + ": " + ec.message());
  if (auto ok = write_file_atomic(file("proc/sys/kernel/tainted"), std::to_string(state.tainted) + "\n"); !ok)
    return ok;

  // sys/ is rebuilt beside the old one and swapped in, so a reader sees a
  // whole tree (or, for an instant, none).
  const std::string fresh = file("sys.new");
  const std::string old = file("sys.old");
  fs::remove_all(fresh, ec);
  fs::remove_all(old, ec);
  auto put = [&](const std::string& path, const std::string& text) -> Result<void> {
    if (auto ok = write_whole_file(path, text); !ok) return ok;
    return {};
  };
  for (const SimModule& m : state.modules) {
    const std::string d = fresh + "/module/" + m.name;
    fs::create_directories(d + "/holders", ec);
    if (!ec && !m.params.empty()) fs::create_directories(d + "/parameters", ec);
    if (ec) return make_error(ec.value(), d + ": " + ec.message());
    if (auto ok = put(d + "/initstate", m.coming ? "coming\n" : "live\n"); !ok) return ok;
    if (auto ok = put(d + "/refcnt", std::to_string(sim_refcnt(state, m, busy)) + "\n"); !ok) return ok;
    if (auto ok = put(d + "/coresize", std::to_string(m.size) + "\n"); !ok) return ok;
    if (auto ok = put(d + "/taint", m.taint + "\n"); !ok) return ok;
    for (const SimParam& p : m.params)
      if (auto ok = put(d + "/parameters/" + p.name, p.value + "\n"); !ok) return ok;
    for (const std::string& h : state.holders_of(m.name)) {
      fs::create_directory_symlink("../../" + h, d + "/holders/" + h, ec);
      if (ec) return make_error(ec.value(), d + "/holders/" + h + ": " + ec.message());
    }
  }
  fs::create_directories(fresh + "/module", ec);
  if (ec) return make_error(ec.value(), fresh + ": " + ec.message());
  const std::string live = file("sys");
  if (fs::exists(live, ec) && ::rename(live.c_str(), old.c_str()) != 0)
    return make_error(errno, live + ": cannot replace: " + std::strerror(errno));
  if (::rename(fresh.c_str(), live.c_str()) != 0)
    return make_error(errno, live + ": cannot replace: " + std::strerror(errno));
  fs::remove_all(old, ec);
  return {};
}

}  // namespace kmodx::loader
