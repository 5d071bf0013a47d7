// SPDX-License-Identifier: LGPL-2.1-or-later
// The tree-wide checks of `kmodx check` (check_context.hpp): the files
// around the modules that modprobe and the boot rely on.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "check/check_context.hpp"
#include "depmod/build_database.hpp"
#include "depmod/text_inputs.hpp"
#include "kmodx/depmod.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"

namespace kmodx::check {
namespace {

std::string in_dir(const std::string& dir, std::string_view path) {
  return path.starts_with('/') ? std::string(path) : dir + "/" + std::string(path);
}

// "kernel/a/b.ko.xz" → "kernel/a/b.ko": modules.order names the file as
// kbuild built it.
std::string uncompressed(std::string_view file) {
  for (std::string_view suffix : {".xz", ".zst", ".gz"})
    if (file.ends_with(suffix)) return std::string(file.substr(0, file.size() - suffix.size()));
  return std::string(file);
}

const ModuleFacts* module_at(const CheckContext& ctx, std::string_view path) {
  auto name = path_to_modname(path);
  if (!name) return nullptr;
  auto it = ctx.by_name.find(*name);
  return it == ctx.by_name.end() ? nullptr : &ctx.modules[it->second];
}

std::string head_name(std::string_view path) {
  auto name = path_to_modname(path);
  return name ? *name : std::string(path);
}

void check_modules_dep(CheckContext& ctx) {
  const std::string file = ctx.request.module_dir + "/modules.dep";
  auto text = read_text_file(file);
  if (!text) return;  // stale-index says it is missing
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view head = line.substr(0, colon);
    const ModuleFacts* owner = module_at(ctx, head);
    std::string_view deps = line.substr(colon + 1);
    while (!deps.empty()) {
      while (!deps.empty() && deps.front() == ' ') deps.remove_prefix(1);
      std::string_view dep = deps.substr(0, deps.find(' '));
      deps.remove_prefix(dep.size());
      if (dep.empty() || is_file(in_dir(ctx.request.module_dir, dep))) continue;
      const std::string message = "modules.dep lists dependency " + std::string(dep) + ", which does not exist";
      if (owner != nullptr)
        ctx.add(*owner, "dependency-missing", CheckSeverity::error, std::string(dep), message);
      else
        ctx.findings.push_back({head_name(head), std::string(head), "dependency-missing", CheckSeverity::error,
                                std::string(dep), message});
    }
  }
}

void check_modules_order(CheckContext& ctx) {
  auto text = read_text_file(ctx.request.module_dir + "/modules.order");
  if (!text) return;
  depmod::ModulesOrder order = depmod::parse_modules_order(*text);
  std::set<std::string> named;
  std::set<std::string> present;
  for (const ModuleFacts& m : ctx.modules)
    if (m.in_tree) present.insert(uncompressed(m.file));
  for (std::string_view entry : order.lines) {
    if (entry.empty()) continue;
    named.insert(std::string(entry));
    if (!present.contains(std::string(entry)))
      ctx.add_tree("order-entry-missing", CheckSeverity::warning, std::string(entry),
                   "modules.order names " + std::string(entry) + ", which is no module file of the tree");
  }
  for (const ModuleFacts& m : ctx.modules)
    if (m.in_tree && m.target && m.file.starts_with("kernel/") && !named.contains(uncompressed(m.file)))
      ctx.add(m, "not-in-order", CheckSeverity::warning, "", "modules.order does not name " + m.file);
}

// What depmod wrote (outdir, removed here), or why it could not: error with
// outdir set is the tree's fault (a finding), without it the scratch
// directory could not be made.
struct IndexBuild {
  std::string outdir;
  std::string error;
};

// depmod over the whole tree into a scratch directory, from what check read.
IndexBuild build_indexes(CheckContext& ctx) {
  IndexBuild build;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kmodx-check-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    build.error = "cannot create a directory for the index check in " + pattern + ": " + std::strerror(errno);
    return build;
  }
  build.outdir = buf.data();
  depmod::ReadAlready read;
  read.walk = std::move(ctx.walk);
  for (ModuleFacts& m : ctx.modules)
    if (m.contents) read.contents.emplace(m.path, std::move(*m.contents));
  DepmodRequest request;
  request.module_dir = ctx.request.module_dir;
  request.output_dir = build.outdir;
  request.kernel_version = ctx.request.release;
  request.config_paths = ctx.request.config_paths;
  request.threads = ctx.request.threads;
  NullSink quiet;  // its warnings are check's findings
  if (auto built = depmod::build_module_database(request, quiet, &read); !built)
    build.error = built.error().detail.empty() ? std::strerror(built.error().code) : built.error().detail;
  return build;
}

// The scratch directory's files compared with the tree's.
void compare_indexes(CheckContext& ctx, DiagnosticSink& sink, IndexBuild build) {
  if (!build.error.empty() && build.outdir.empty()) {
    sink.report(Severity::error, build.error);
    ++ctx.input_errors;
    return;
  }
  std::error_code ec;
  if (!build.error.empty()) {
    // What the tree holds, not how it was asked: a finding.
    std::string why = build.error;
    std::replace_if(why.begin(), why.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 ||
                                                                static_cast<unsigned char>(c) >= 0x7f; }, '?');
    ctx.add_tree("index-error", CheckSeverity::error, "", "depmod cannot index this tree: " + why);
    std::filesystem::remove_all(build.outdir, ec);
    return;
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(build.outdir, ec))
    names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    auto want = read_text_file(build.outdir + "/" + name, std::size_t{1} << 30);
    auto have = read_text_file(ctx.request.module_dir + "/" + name, std::size_t{1} << 30);
    if (want && have && *want == *have) continue;
    ctx.add_tree("stale-index", CheckSeverity::error, name,
                 have ? name + " differs from what depmod writes now: run depmod " + ctx.request.release
                      : name + " is missing: run depmod " + ctx.request.release);
  }
  std::filesystem::remove_all(build.outdir, ec);
}

}  // namespace

void check_tree_files(CheckContext& ctx, DiagnosticSink& sink) {
  check_modules_dep(ctx);
  check_modules_order(ctx);
  for (const ModuleFacts& m : ctx.modules)
    if (m.target && ctx.builtin.contains(m.name))
      ctx.add(m, "builtin-has-file", CheckSeverity::warning, "",
              m.name + " is built into the kernel (modules.builtin): this file is never loaded");
  compare_indexes(ctx, sink, build_indexes(ctx));
}

}  // namespace kmodx::check
