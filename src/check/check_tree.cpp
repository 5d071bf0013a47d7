// SPDX-License-Identifier: LGPL-2.1-or-later
// check_module_tree() (kmodx/check.hpp): the inputs are gathered here, the
// modules found as depmod finds them, then read and checked
// (check_context.hpp).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "check/check_context.hpp"
#include "config/depmod_config.hpp"
#include "depmod/module_search.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"

namespace kmodx {

std::size_t CheckReport::errors() const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(), [](const CheckFinding& f) {
    return f.severity == CheckSeverity::error;
  }));
}

std::size_t CheckReport::warnings() const { return findings.size() - errors(); }

namespace check {
namespace {


// Text from an input file, for a message: bytes outside printable ASCII as
// \xNN, so that a binary file's line cannot garble a terminal.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

void input_error(CheckContext& ctx, DiagnosticSink& sink, const std::string& what) {
  sink.report(Severity::error, what);
  ++ctx.input_errors;
}

void load_kernel(CheckContext& ctx, DiagnosticSink& sink) {
  const CheckRequest& req = ctx.request;
  std::string file = req.symvers;
  const bool system_map = file.empty() && !req.system_map.empty();
  if (system_map) file = req.system_map;
  const std::string build_symvers = req.module_dir + "/build/Module.symvers";
  if (file.empty() && is_file(build_symvers)) file = build_symvers;
  if (file.empty()) {
    sink.report(Severity::warning,
                "no kernel exports (-E Module.symvers, -F System.map, or " + req.module_dir +
                    "/build/Module.symvers): the symbols the kernel itself must provide are not checked");
    return;
  }
  std::vector<std::string> bad_lines;
  auto kernel = loader::SimKernel::from_exports(req.release, file, system_map, bad_lines);
  if (!kernel) return input_error(ctx, sink, file + ": " + std::strerror(kernel.error().code));
  for (const std::string& line : bad_lines) input_error(ctx, sink, printable(line) + " (line skipped)");
  // A file of no symbols would make every import unknown: it is no export
  // table, and the kernel's side is left unchecked.
  if (kernel->symbol_count() == 0)
    return input_error(ctx, sink,
                       file + ": no kernel exports in it: the symbols the kernel must provide are not checked");
  ctx.kernel.emplace(std::move(*kernel));
}

void load_keys(CheckContext& ctx, DiagnosticSink& sink) {
  auto read = [&](const std::string& file) -> std::optional<std::string> {
    auto bytes = read_text_file(file, std::size_t{1} << 30);
    if (!bytes) {
      input_error(ctx, sink, file + ": " + std::strerror(bytes.error().code));
      return std::nullopt;
    }
    return std::move(*bytes);
  };
  for (const std::string& file : ctx.request.certs)
    if (auto bytes = read(file)) {
      auto added = ctx.keys.add_certificates(std::as_bytes(std::span(*bytes)), file);
      if (!added) input_error(ctx, sink, added.error().detail);
    }
  if (!ctx.request.kernel_image.empty())
    if (auto bytes = read(ctx.request.kernel_image)) {
      auto added = ctx.keys.add_kernel_image(std::as_bytes(std::span(*bytes)), ctx.request.kernel_image);
      if (!added) input_error(ctx, sink, added.error().detail);
    }
}

std::string relative_file(const std::string& module_dir, const std::string& path) {
  if (path.size() > module_dir.size() && path.compare(0, module_dir.size(), module_dir) == 0 &&
      path[module_dir.size()] == '/')
    return path.substr(module_dir.size() + 1);
  return path;
}

ModuleFacts module_facts(std::string name, std::string path, std::string file, bool target, bool in_tree) {
  ModuleFacts m;
  m.name = std::move(name);
  m.path = std::move(path);
  m.file = std::move(file);
  m.target = target;
  m.in_tree = in_tree;
  return m;
}

// The files and directories of CheckRequest::targets, as module paths.
Result<std::vector<std::string>> target_files(const std::vector<std::string>& targets) {
  std::vector<std::string> out;
  for (const std::string& t : targets) {
    std::error_code ec;
    auto status = std::filesystem::status(t, ec);
    if (ec || !std::filesystem::exists(status)) return make_error(ENOENT, t + ": " + std::strerror(ENOENT));
    if (!std::filesystem::is_directory(status)) {
      out.push_back(std::filesystem::absolute(t).lexically_normal());
      continue;
    }
    std::vector<std::string> found;
    for (auto it = std::filesystem::recursive_directory_iterator(t, ec); !ec && it != std::filesystem::end(it);
         it.increment(ec))
      if (it->is_regular_file(ec) && has_module_extension(it->path().filename().string()))
        found.push_back(std::filesystem::absolute(it->path()).lexically_normal());
    if (ec) return make_error(ec.value(), t + ": " + ec.message());
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

// Targets replace the tree's module of their name: what would be installed.
Result<void> add_targets(CheckContext& ctx) {
  auto files = target_files(ctx.request.targets);
  if (!files) return std::move(files).take_error();
  for (const std::string& path : *files) {
    auto name = path_to_modname(path);
    if (!name) return make_error(EINVAL, path + ": not a module file name");
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec);
    auto same = std::find_if(ctx.modules.begin(), ctx.modules.end(), [&](const ModuleFacts& m) {
      return m.name == *name;
    });
    if (same != ctx.modules.end()) {
      std::error_code ec2;
      if (std::filesystem::weakly_canonical(same->path, ec2) != canonical) {
        same->path = path;
        same->file = relative_file(ctx.request.module_dir, path);
        same->in_tree = false;
      }
      same->target = true;
      continue;
    }
    ctx.modules.push_back(module_facts(*name, path, relative_file(ctx.request.module_dir, path), true, false));
  }
  return {};
}

void load_builtin(CheckContext& ctx) {
  auto text = read_text_file(ctx.request.module_dir + "/modules.builtin");
  if (!text) return;
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    if (auto name = path_to_modname(line)) ctx.builtin.insert(*name);
  }
  // modules.builtin.modinfo: "<module>.<key>=<value>" records, each ended
  // by NUL.
  auto modinfo = read_text_file(ctx.request.module_dir + "/modules.builtin.modinfo", std::size_t{1} << 30);
  if (!modinfo) return;
  rest = *modinfo;
  while (!rest.empty()) {
    std::string_view record = rest.substr(0, rest.find('\0'));
    rest.remove_prefix(std::min(rest.size(), record.size() + 1));
    const std::size_t dot = record.find('.');
    if (dot != std::string_view::npos && record.substr(dot + 1).starts_with("alias="))
      ctx.builtin_aliases.emplace_back(record.substr(dot + 7));
  }
}

}  // namespace

bool is_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool finding_order(const CheckFinding& a, const CheckFinding& b) {
  // Tree-wide findings (no file) last.
  if (a.file.empty() != b.file.empty()) return b.file.empty();
  return std::tie(a.file, a.module, a.kind, a.subject, a.message) <
         std::tie(b.file, b.module, b.kind, b.subject, b.message);
}

}  // namespace check

Result<CheckReport> check_module_tree(const CheckRequest& request, DiagnosticSink& sink) {
  using namespace check;
  struct stat st;
  if (::stat(request.module_dir.c_str(), &st) != 0)
    return make_error(errno, "cannot open module directory " + request.module_dir + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return make_error(ENOTDIR, "cannot open module directory " + request.module_dir + ": " + std::strerror(ENOTDIR));

  auto phase = [&](const char* name) {
    if (request.phase_done) request.phase_done(name);
  };
  CheckContext ctx(request);
  load_kernel(ctx, sink);
  load_keys(ctx, sink);
  phase("inputs");

  depmod::DepmodConfig config = depmod::load_depmod_config(
      request.config_paths.empty() ? depmod::default_depmod_config_paths() : request.config_paths, request.release,
      sink);
  std::vector<std::string> shadowed;
  auto found = depmod::find_modules(request.module_dir, config, sink, {}, &shadowed);
  if (!found) return make_error(found.error().code, "cannot search " + request.module_dir + ": " +
                                                        std::strerror(found.error().code));
  for (depmod::ModuleRecord& r : *found)
    ctx.modules.push_back(
        module_facts(r.name, r.path, relative_file(request.module_dir, r.path), request.targets.empty(), true));
  if (request.targets.empty()) ctx.walk = std::move(*found);
  if (auto added = add_targets(ctx); !added) return std::move(added).take_error();
  std::sort(ctx.modules.begin(), ctx.modules.end(),
            [](const ModuleFacts& a, const ModuleFacts& b) { return a.file < b.file; });
  for (std::size_t i = 0; i < ctx.modules.size(); ++i) ctx.by_name.emplace(ctx.modules[i].name, i);
  load_builtin(ctx);
  phase("search");

  scan_modules(ctx, request.threads);
  phase("read");
  check_modules(ctx);
  for (const std::string& path : shadowed) {
    auto name = path_to_modname(path);
    auto it = name ? ctx.by_name.find(*name) : ctx.by_name.end();
    if (it == ctx.by_name.end() || !ctx.modules[it->second].target) continue;
    const ModuleFacts& winner = ctx.modules[it->second];
    const std::string file = relative_file(request.module_dir, path);
    ctx.add(winner, "shadowed", CheckSeverity::warning, file,
            file + " has the same module name and is shadowed by " + winner.file + " (depmod.d search order)");
  }
  phase("modules");
  if (request.targets.empty()) {
    check_tree_files(ctx, sink);
    phase("tree");
  }

  CheckReport report;
  report.release = request.release;
  report.module_dir = request.module_dir;
  report.input_errors = ctx.input_errors;
  std::stable_sort(ctx.findings.begin(), ctx.findings.end(), finding_order);
  report.findings = std::move(ctx.findings);
  for (const ModuleFacts& m : ctx.modules) {
    if (!m.target) continue;
    report.modules.push_back({m.name, m.file});
    if (m.scanned)
      for (const std::string& alias : m.scanned->aliases) report.aliases.emplace_back(alias, m.name);
  }
  std::sort(report.aliases.begin(), report.aliases.end());
  phase("report");
  return report;
}

}  // namespace kmodx
