// SPDX-License-Identifier: LGPL-2.1-or-later
// The simulated kernel's exports, vermagic and configuration (sim_kernel.hpp).
#include "loader/sim/sim_kernel.hpp"

#include <cerrno>
#include <charconv>
#include <algorithm>
#include <filesystem>

#include "loader/sim/sim_util.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::loader {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    std::size_t t = line.find('\t');
    out.push_back(line.substr(0, t));
    if (t == std::string_view::npos) return out;
    line.remove_prefix(t + 1);
  }
}

Error bad_line(const std::string& file, unsigned line, const std::string& what) {
  return make_error(EBADMSG, file + ":" + std::to_string(line) + ": " + what);
}

// Missing file: nullopt; unreadable: error.
Result<std::optional<std::string>> read_optional(const std::string& path) {
  auto text = read_text_file(path);
  if (text) return std::optional<std::string>(std::move(*text));
  if (text.error().code == ENOENT) return std::optional<std::string>();
  return std::move(text).take_error();
}

// \p bad_lines: where a malformed line is recorded and skipped; without
// it the first one is the error.
Result<void> parse_symvers(std::string_view text, const std::string& file,
                           std::unordered_map<std::string, KernelSymbol>& out,
                           std::vector<std::string>* bad_lines = nullptr) {
  unsigned n = 0;
  for (std::string_view line : lines_of(text)) {
    ++n;
    if (line.empty()) continue;
    std::optional<Error> bad;
    auto f = split_tabs(line);
    std::uint64_t crc = 0;
    if (f.size() < 4 || !f[0].starts_with("0x")) {
      bad = bad_line(file, n, "not a Module.symvers line: '" + std::string(line) + "'");
    } else if (auto [p, ec] = std::from_chars(f[0].data() + 2, f[0].data() + f[0].size(), crc, 16);
               ec != std::errc() || p != f[0].data() + f[0].size()) {
      bad = bad_line(file, n, "bad CRC '" + std::string(f[0]) + "'");
    } else if (f[2] != "vmlinux") {
      continue;
    } else if (f[3] != "EXPORT_SYMBOL" && f[3] != "EXPORT_SYMBOL_GPL") {
      bad = bad_line(file, n, "unknown export type '" + std::string(f[3]) + "'");
    }
    if (bad) {
      if (bad_lines == nullptr) return std::move(*bad);
      bad_lines->push_back(bad->detail);
      continue;
    }
    out[std::string(f[1])] = KernelSymbol{static_cast<std::uint32_t>(crc), f[3] == "EXPORT_SYMBOL_GPL",
                                          f.size() > 4 ? std::string(f[4]) : std::string()};
  }
  return {};
}

// Every file of <state>/keys, in name order: PEM or DER certificates.
Result<crypto::KeyRing> load_keys(const std::string& dir) {
  crypto::KeyRing ring;
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec)) files.push_back(entry.path());
  if (ec && ec != std::errc::no_such_file_or_directory) return make_error(ec.value(), dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    auto text = read_text_file(file);
    if (!text) return std::move(text).take_error();
    auto added = ring.add_certificates(std::as_bytes(std::span(*text)), file);
    if (!added) return std::move(added).take_error();
  }
  return ring;
}

}  // namespace

Result<SimKernel> SimKernel::load(const SimStateDir& state, const std::string& module_dir) {
  SimKernel k;
  k.release_ = std::filesystem::path(module_dir).lexically_normal().filename().string();
  if (k.release_.empty()) k.release_ = std::filesystem::path(module_dir).parent_path().filename().string();

  auto vermagic = read_optional(state.file("vermagic"));
  if (!vermagic) return std::move(vermagic).take_error();
  if (*vermagic) {
    std::string v = (*vermagic)->substr(0, (*vermagic)->find('\n'));
    k.vermagic_ = v;
  }

  auto config = read_optional(state.file("config"));
  if (!config) return std::move(config).take_error();
  if (*config) {
    unsigned n = 0;
    for (std::string_view line : lines_of(**config)) {
      ++n;
      auto words = split_words(line);
      if (words.empty() || words[0][0] == '#') continue;
      std::string_view w = words[0];
      std::size_t eq = w.find('=');
      std::string_view key = w.substr(0, eq), value = eq == std::string_view::npos ? "" : w.substr(eq + 1);
      bool* flag = key == "module_force_load"     ? &k.force_load_
                   : key == "module_force_unload" ? &k.force_unload_
                   : key == "module_sig"          ? &k.module_sig_
                   : key == "sig_enforce"         ? &k.sig_enforce_
                                                  : nullptr;
      if (words.size() != 1 || (value != "y" && value != "n") || flag == nullptr)
        return bad_line(state.file("config"), n,
                        "expected module_force_load=, module_force_unload=, module_sig= or sig_enforce= y|n");
      *flag = value == "y";
    }
  }
  // module.sig_enforce=1 needs CONFIG_MODULE_SIG.
  if (k.sig_enforce_) k.module_sig_ = true;
  if (k.module_sig_) {
    auto keys = load_keys(state.file("keys"));
    if (!keys) return std::move(keys).take_error();
    k.keys_ = std::make_shared<const crypto::KeyRing>(std::move(*keys));
  }

  struct Candidate {
    Source source;
    std::string file;
  };
  const Candidate candidates[] = {
      {Source::state_symvers, state.file("Module.symvers")},
      {Source::build_symvers, module_dir + "/build/Module.symvers"},
      {Source::system_map, state.file("System.map")},
  };
  for (const Candidate& c : candidates) {
    auto text = read_optional(c.file);
    if (!text) return std::move(text).take_error();
    if (!*text) continue;
    k.source_ = c.source;
    k.source_file_ = c.file;
    if (c.source == Source::system_map) {
      unsigned n = 0;
      for (std::string_view line : lines_of(**text)) {
        ++n;
        auto words = split_words(line);
        if (words.empty()) continue;
        if (words.size() < 3) return bad_line(c.file, n, "not a System.map line: '" + std::string(line) + "'");
        k.symbols_.emplace(std::string(words[2]), KernelSymbol{});
      }
    } else if (auto ok = parse_symvers(**text, c.file, k.symbols_); !ok) {
      return std::move(ok).take_error();
    }
    return k;
  }

  k.source_ = Source::builtin;
  k.source_file_ = module_dir + "/modules.symbols";
  auto text = read_optional(k.source_file_);
  if (!text) return std::move(text).take_error();
  if (*text) {
    for (std::string_view line : lines_of(**text)) {
      auto words = split_words(line);
      if (words.size() >= 2 && words[0] == "alias" && words[1].starts_with("symbol:"))
        k.module_symbols_.emplace(words[1].substr(7));
    }
  }
  return k;
}

Result<SimKernel> SimKernel::from_exports(const std::string& release, const std::string& file, bool system_map,
                                          std::vector<std::string>& bad_lines) {
  SimKernel k;
  k.release_ = release;
  k.source_ = system_map ? Source::system_map : Source::state_symvers;
  k.source_file_ = file;
  auto text = read_text_file(file);
  if (!text) return std::move(text).take_error();
  if (!system_map) {
    (void)parse_symvers(*text, file, k.symbols_, &bad_lines);
    return k;
  }
  unsigned n = 0;
  for (std::string_view line : lines_of(*text)) {
    ++n;
    auto words = split_words(line);
    if (words.empty()) continue;
    if (words.size() < 3) {
      bad_lines.push_back(bad_line(file, n, "not a System.map line: '" + std::string(line) + "'").detail);
      continue;
    }
    k.symbols_.emplace(std::string(words[2]), KernelSymbol{});
  }
  return k;
}

const KernelSymbol* SimKernel::find(const std::string& name) const {
  if (source_ == Source::builtin) return module_symbols_.contains(name) ? nullptr : &builtin_symbol_;
  auto it = symbols_.find(name);
  return it == symbols_.end() ? nullptr : &it->second;
}

bool SimKernel::vermagic_ok(const std::string& modmagic, bool module_has_versions, std::string& expected) const {
  if (!vermagic_) {
    expected = release_ + " ...";
    std::string_view first = std::string_view(modmagic).substr(0, modmagic.find(' '));
    return first == release_;
  }
  expected = *vermagic_;
  // kernel/module/version.c same_magic(): with modversions the release word
  // is not compared (the CRCs say more).
  std::string_view a = modmagic, b = *vermagic_;
  if (module_has_versions) {
    a.remove_prefix(std::min(a.size(), a.find(' ')));
    b.remove_prefix(std::min(b.size(), b.find(' ')));
  }
  return a == b;
}

std::string SimKernel::exports_description() const {
  switch (source_) {
    case Source::state_symvers:
    case Source::build_symvers:
      return "exports " + source_file_ + " (" + std::to_string(symbols_.size()) + " vmlinux symbols)";
    case Source::system_map:
      return "exports " + source_file_ + " (" + std::to_string(symbols_.size()) + " symbols, no CRCs)";
    case Source::builtin:
      break;
  }
  return "exports builtin set: every symbol not exported by a module in " + source_file_ + " (" +
         std::to_string(module_symbols_.size()) + " module symbols)";
}

std::string SimKernel::describe() const {
  return "release " + release_ + "\nvermagic " + (vermagic_ ? *vermagic_ : release_ + " (first word only)") + "\n" +
         exports_description() + "\nmodule_force_load=" + (force_load_ ? "y" : "n") +
         "\nmodule_force_unload=" + (force_unload_ ? "y" : "n") + "\nmodule_sig=" + (module_sig_ ? "y" : "n") +
         "\nsig_enforce=" + (sig_enforce_ ? "y" : "n") + "\nkeys " + std::to_string(keys_ ? keys_->size() : 0) + "\n";
}

}  // namespace kmodx::loader
