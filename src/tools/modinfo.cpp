// SPDX-License-Identifier: LGPL-2.1-or-later
// modinfo: print the .modinfo of modules given by path, name or alias, in
// kmod's exact output format (spec §10).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "kmodx/module_image.hpp"
#include "kmodx/module_info.hpp"
#include "kmodx/module_lookup.hpp"
#include "tools/cli.hpp"
#include "tools/log.hpp"
#include "tools/tools.hpp"
#include "util/json_writer.hpp"
#include "util/mapped_file.hpp"
#include "util/names.hpp"

namespace kmodx::tools {
namespace {


struct Settings {
  std::optional<std::string> field;  // none: everything ("-F ''" matches no key)
  char separator = '\n';
  bool by_name = false;
  std::string basedir;
  std::string kernel_version;
  bool dir_given = false;
  bool json = false;  // --json: one document on stdout (README, "Machine-readable output")
};

void print_help(std::string_view prog) {
  std::printf(
      "Usage:\n"
      "\t%s [options] <modulename|filename> [args]\n"
      "Options:\n"
      "\t-a, --author                Print only 'author'\n"
      "\t-d, --description           Print only 'description'\n"
      "\t-l, --license               Print only 'license'\n"
      "\t-p, --parameters            Print only 'parm'\n"
      "\t-n, --filename              Print only 'filename'\n"
      "\t-0, --null                  Use \\0 instead of \\n\n"
      "\t-m, --modname               Handle argument as module name instead of alias or filename\n"
      "\t-F, --field FIELD           Print only provided FIELD\n"
      "\t-k, --set-version VERSION   Use VERSION instead of $(uname -r)\n"
      "\t-b, --basedir DIR           Use DIR as filesystem root for %s\n"
      "\t-V, --version               Show version\n"
      "\t-h, --help                  Show this help\n",
      std::string(prog).c_str(), KMODX_MODULE_DIRECTORY);
}

class Printer {
 public:
  Printer(const Settings& s, ToolLog& log) : s_(s), log_(log) {
    if (s_.json) json_.begin_object().key("kmodx_json").value(std::int64_t{1}).key("tool").value("modinfo")
                     .key("modules").begin_array();
  }

  // One module's block; false when its info could not be read.
  bool print(const ModuleRef& module, const ModuleDirectory& dir);
  /// With --json, ends and prints the document.
  void finish() {
    if (!s_.json) return;
    json_.end_array().end_object();
    put(json_.text());
    put("\n");
  }

 private:
  struct Param {
    std::string name, description, type;
    bool has_description = false, has_type = false;
  };

  void put(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }
  void sep() { std::fputc(s_.separator, stdout); }
  void padded(std::string_view label, std::string_view value) {
    std::printf("%-16s", std::string(label).c_str());
    put(value);
    sep();
  }
  bool collect_param(const InfoField& f, std::list<Param>& params);
  void print_params(const std::list<Param>& params, bool block_style);
  void add_json(const ModuleRef& module, const std::string& path, const Result<std::vector<InfoField>>& info);

  const Settings& s_;
  ToolLog& log_;
  JsonWriter json_;
};

// {"name", "filename" (null for built-in), "builtin", "fields": [{"key",
// "value"}] in .modinfo order, only -F's key if given} or, when the info
// could not be read, "error" (strerror) and "detail" instead of "fields".
void Printer::add_json(const ModuleRef& module, const std::string& path,
                       const Result<std::vector<InfoField>>& info) {
  json_.begin_object().key("name").value(module.name).key("filename");
  if (module.path) json_.value(path);
  else json_.null();
  json_.key("builtin").value(!module.path);
  if (!info) {
    json_.key("error").value(std::strerror(info.error().code)).key("detail").value(info.error().detail);
  } else {
    json_.key("fields").begin_array();
    for (const InfoField& f : *info)
      if (!s_.field || f.key == *s_.field)
        json_.begin_object().key("key").value(f.key).key("value").value(f.value).end_object();
    json_.end_array();
  }
  json_.end_object();
}

bool Printer::collect_param(const InfoField& f, std::list<Param>& params) {
  auto colon = f.value.find(':');
  if (colon == std::string::npos) {
    log_.error("Found invalid \"" + f.key + "=" + f.value + "\": missing ':'");
    return false;
  }
  std::string name = f.value.substr(0, colon);
  std::string rest = f.value.substr(colon + 1);
  auto it = params.begin();
  for (; it != params.end(); ++it)
    if (it->name == name) break;
  // A parameter seen for the first time goes to the head: kmod prints them in
  // reverse order of first appearance.
  if (it == params.end()) it = params.insert(params.begin(), Param{name, {}, {}});
  if (f.key == "parm") {
    it->description = std::move(rest);
    it->has_description = true;
  } else {
    it->type = std::move(rest);
    it->has_type = true;
  }
  return true;
}

void Printer::print_params(const std::list<Param>& params, bool block_style) {
  for (const Param& p : params) {
    std::string text = p.name + ":";
    if (p.has_description && p.has_type)
      text += p.description + " (" + p.type + ")";
    else if (p.has_description)
      text += p.description;
    else if (block_style)
      text += p.type;
    else
      text += " (" + p.type + ")";
    if (block_style) {
      padded("parm:", text);
    } else {
      put(text);
      sep();
    }
  }
}

bool Printer::print(const ModuleRef& module, const ModuleDirectory& dir) {
  const bool whole = !s_.field.has_value();
  std::string path;
  if (s_.json) {
    path = module.path ? *module.path : "(builtin)";
  } else if (module.path) {
    path = *module.path;
  } else {
    if (whole)
      padded("name:", module.name);
    else if (s_.field == "name") {
      put(module.name);
      sep();
    }
    path = "(builtin)";
  }
  if (s_.field == "filename" && !s_.json) {
    put(path);
    sep();
    return true;
  }
  if (whole && !s_.json) padded("filename:", path);

  Result<std::vector<InfoField>> info = std::vector<InfoField>{};
  if (dir.is_builtin(module)) {
    info = read_builtin_info(dir.dirname() + "/modules.builtin.modinfo", module.name);
  } else if (!module.path) {
    // An alias of a module that modules.dep does not list: libkmod has no
    // file to open and says ENOENT.
    info = make_error(ENOENT, module.name + ": not in modules.dep and not built in");
  } else {
    // Mapped: modinfo reads the headers, .modinfo and the signature trailer,
    // so only their pages are touched; libcrypto is loaded only when a
    // signature field is printed.
    OpenOptions options;
    options.map_file = true;
    auto image = ModuleImage::open(*module.path, options);
    if (!image)
      info = std::move(image).take_error();
    else
      info = read_module_info(image->bytes(), *module.path, !s_.field || is_signature_field(*s_.field));
  }
  // kmod's modinfo treats every module without a path as built-in and stays
  // silent when there is nothing to read for it (old kernels had no
  // modules.builtin.modinfo).
  if (!info && !module.path && info.error().code == ENOENT) {
    if (s_.json) add_json(module, path, std::vector<InfoField>{});
    return true;
  }
  if (s_.json) add_json(module, path, info);
  if (!info) {
    log_.error("could not get modinfo from '" + module.name + "': " + std::strerror(info.error().code));
    // kmod's line names only the module and errno; the detail says which
    // file, section and offset. Shown with KMOD_LOG=info or debug.
    log_.report(Severity::info, info.error().detail);
    return false;
  }

  if (s_.json) return true;
  std::list<Param> params;
  if (s_.field == "parm") {
    for (const InfoField& f : *info)
      if (f.key == "parm" || f.key == "parmtype") collect_param(f, params);
    print_params(params, false);
    return true;
  }
  for (const InfoField& f : *info) {
    if (!whole) {
      if (f.key == s_.field) {
        put(f.value);
        sep();
      }
      continue;
    }
    if (f.key == "parm" || f.key == "parmtype") {
      collect_param(f, params);
      continue;
    }
    // kmod 30 (Debian) does not list the build-id; it is there for -F build-id.
    if (f.key == "build-id") continue;
    if (s_.separator == '\0') {
      put(f.key);
      put("=");
      put(f.value);
      sep();
      continue;
    }
    // Values start in column 17; longer keys get no padding (kmod 34+; kmod
    // 30 printed len-15 spaces there through a negative printf width).
    std::string line = f.key + ":";
    if (f.key.size() < 16) line.append(15 - f.key.size(), ' ');
    line += f.value;
    line += '\n';
    put(line);
  }
  if (whole) print_params(params, true);
  return true;
}

// kmod 30's table (tools/modinfo.c), and kmodx's --json.
constexpr const char* kShortOptions = "adlpn0mF:k:b:Vh";
constexpr OptionSpec kOptions[] = {
    {"author", no_argument, 'a', "author"},
    {"description", no_argument, 'd', "description"},
    {"license", no_argument, 'l', "license"},
    {"parameters", no_argument, 'p', "parameters"},
    {"filename", no_argument, 'n', "filename"},
    {"null", no_argument, '0', "null"},
    {"modname", no_argument, 'm', "modname"},
    {"field", required_argument, 'F', "field"},
    {"set-version", required_argument, 'k', "set-version"},
    {"basedir", required_argument, 'b', "basedir"},
    {"version", no_argument, 'V', "version"},
    {"help", no_argument, 'h', "help"},
    {"json", no_argument, 256, "json"},
};

std::optional<Settings> parse(std::string_view prog, int argc, char** argv,
                              std::vector<std::string>& args, int& exit_code) {
  OptionParser parser(argc, argv, kShortOptions, kOptions);
  Settings s;
  while (auto o = parser.next()) {
    const std::string_view n = o->key;
    if (n == "author") s.field = "author";
    else if (n == "description") s.field = "description";
    else if (n == "license") s.field = "license";
    else if (n == "parameters") s.field = "parm";
    else if (n == "filename") s.field = "filename";
    else if (n == "null") s.separator = '\0';
    else if (n == "modname") s.by_name = true;
    else if (n == "field") s.field = o->value;
    else if (n == "set-version") { s.kernel_version = o->value; s.dir_given = true; }
    else if (n == "basedir") { s.basedir = o->value; s.dir_given = true; }
    else if (n == "json") s.json = true;
    else if (n == "version") { print_version(); exit_code = 0; return std::nullopt; }
    else if (n == "help") { print_help(prog); exit_code = 0; return std::nullopt; }
  }
  if (parser.failed()) {
    exit_code = 1;
    return std::nullopt;
  }
  args = parser.arguments();
  return s;
}

}  // namespace

int modinfo_main(std::string_view prog, int argc, char** argv) {
  ToolLog log{std::string(prog)};
  log.set_threshold(std::max(log_priority_from_env(), static_cast<int>(Severity::warning)));
  // modinfo leaves libkmod's logging as it is: its own stderr format, at
  // KMOD_LOG's priority.
  log.route_libkmod(false);
  log.set_libkmod_threshold(log_priority_from_env());
  std::vector<std::string> args;
  int exit_code = 0;
  auto settings = parse(prog, argc, argv, args, exit_code);
  if (!settings) return exit_code;
  if (args.empty()) {
    log.error("missing module or filename.");
    return 1;
  }
  std::string release =
      settings->kernel_version.empty() ? running_kernel_release() : settings->kernel_version;
  // libkmod makes the directory absolute with the current one, as given
  // ("-b root/" keeps its "//"), and module paths are joined to it.
  ModuleDirectory dir(absolute_path(settings->basedir + KMODX_MODULE_DIRECTORY + "/" + release), &log);
  Printer printer(*settings, log);

  bool failed = false;
  for (const std::string& arg : args) {
    if (settings->by_name) {
      auto module = dir.lookup_name(arg);
      if (!module) {
        log.error("Module name " + arg + " not found.");
        failed = true;
      } else if (!printer.print(*module, dir)) {
        failed = true;
      }
      continue;
    }
    struct stat st {};
    if (has_module_extension(arg) && stat(arg.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (!printer.print(ModuleDirectory::from_path(arg), dir)) failed = true;
      continue;
    }
    auto modules = dir.lookup(arg);
    if (!modules) {
      log.error("Module alias " + arg + " not found.");
      failed = true;
      continue;
    }
    if (modules->empty()) {
      log.error("Module " + arg + " not found.");
      failed = true;
      continue;
    }
    for (const ModuleRef& m : *modules)
      if (!printer.print(m, dir)) failed = true;
  }
  printer.finish();
  return failed ? 1 : 0;
}

}  // namespace kmodx::tools
