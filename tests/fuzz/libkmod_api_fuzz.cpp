// SPDX-License-Identifier: LGPL-2.1-or-later
// libkmod.so.2's C interface (include/libkmod/libkmod.h) driven by call
// sequences decoded from the input. Contexts open one of three module
// directories: a small tree built once (the module_elf seeds, indexed by
// libkmodx's depmod call, with a modprobe.d file naming them), a copy of it
// whose indexes, configuration and module files the input overwrites, and a
// directory that does not exist. What the calls return goes into slots that
// later calls take, or NULL where libkmod checks for it; whatever is left is
// released at the end of each input, so a leak or a double release shows
// under the sanitizers.
//
// Properties: no crash; an int-returning call gives 0 or a negative errno
// (a probe also a positive KMOD_PROBE_APPLY_BLACKLIST* value, a symbol's
// bind one of kmod_symbol_bind); a handle returned with 0 has a name; a list
// walks back from its last entry to the same length it walks forward; a
// string handed out is NUL-terminated.
//
// Safety: loading goes to the simulated kernel only. KMODX_BACKEND is set
// to sim:<scratch> before the first context, and each insert, probe and
// remove checks it still is. Install and remove commands go to the
// run_install callback, never to a shell.
//
// Input: a sequence of operations, one byte each (Op below, modulo its
// count), followed by the bytes that operation takes.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "kmodx/depmod.hpp"
#include "libkmod/libkmod.h"

namespace {

namespace fs = std::filesystem;

// ---- the trees, made once per process

struct Trees {
  std::string scratch;     // everything below is inside
  std::string good;        // <scratch>/good/lib/modules/6.0.0-fuzz
  std::string damaged;     // <scratch>/damaged/lib/modules/6.0.0-fuzz
  std::string missing;     // <scratch>/missing (never created)
  std::string good_conf;   // a modprobe.d file for the good tree
  std::string damaged_conf;
  std::string sim;         // the simulated kernel's state
  std::vector<std::string> modules;         // good-tree paths of the module files
  std::vector<std::string> damage_targets;  // damaged-tree files the input may overwrite
  std::map<std::string, std::string> originals;  // their contents as built
};

const char* const kConfig =
    "alias fzalias fz0\n"
    "alias pci:v00001234d* fz1\n"
    "alias fzblack fz3\n"
    "options fz0 a=1 b=\"x y\"\n"
    "options fzbuiltin p=2\n"
    "install fz2 /bin/true\n"
    "remove fz2 /bin/false\n"
    "softdep fz0 pre: fz1 fzbuiltin post: fz3\n"
    "weakdep fz1 fz4\n"
    "blacklist fz3\n";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Replaces \p path by a new file, as depmod does: a context that mapped
// the old one keeps reading it.
void spill(const std::string& path, std::string_view bytes) {
  const std::string fresh = path + ".new";
  {
    std::ofstream out(fresh, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    FUZZ_EXPECT(out.good());
  }
  FUZZ_EXPECT(std::rename(fresh.c_str(), path.c_str()) == 0);
}

void make_tree(Trees& t) {
  char pattern[] = "/tmp/kmodx-fuzz-libkmod.XXXXXX";
  FUZZ_EXPECT(::mkdtemp(pattern) != nullptr);
  t.scratch = pattern;
  t.good = t.scratch + "/good/lib/modules/6.0.0-fuzz";
  t.damaged = t.scratch + "/damaged/lib/modules/6.0.0-fuzz";
  t.missing = t.scratch + "/missing";
  t.sim = t.scratch + "/sim";
  fs::create_directories(t.good + "/kernel/fz");
  std::vector<fs::path> seeds;
  for (const auto& e : fs::directory_iterator(KMODX_FUZZ_MODULE_SEEDS)) seeds.push_back(e.path());
  std::sort(seeds.begin(), seeds.end());
  FUZZ_EXPECT(!seeds.empty());
  std::string order;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::string rel = "kernel/fz/fz" + std::to_string(i) + ".ko";
    fs::copy_file(seeds[i], t.good + "/" + rel);
    t.modules.push_back(t.good + "/" + rel);
    order += rel + "\n";
  }
  spill(t.good + "/modules.order", order);
  spill(t.good + "/modules.builtin", "kernel/fz/fzbuiltin.ko\n");
  spill(t.good + "/modules.builtin.modinfo",
        std::string("fzbuiltin.alias=fzbalias\0fzbuiltin.parm=p:int\0fzbuiltin.license=GPL\0", 66));
  kmodx::DepmodRequest request;
  request.module_dir = t.good;
  request.kernel_version = "6.0.0-fuzz";
  request.config_paths = {t.scratch + "/no-depmod.d"};
  request.threads = 1;
  kmodx::fuzz::NullConfigSink sink;
  FUZZ_EXPECT(static_cast<bool>(kmodx::build_module_database(request, sink)));
  t.good_conf = t.scratch + "/good.conf";
  spill(t.good_conf, kConfig);

  fs::create_directories(t.damaged);
  fs::copy(t.scratch + "/good/lib/modules/6.0.0-fuzz", t.damaged, fs::copy_options::recursive);
  t.damaged_conf = t.scratch + "/damaged.conf";
  spill(t.damaged_conf, kConfig);
  t.damage_targets = {t.damaged_conf};
  for (const char* index : {"modules.dep.bin", "modules.alias.bin", "modules.symbols.bin", "modules.builtin.bin",
                            "modules.builtin.alias.bin", "modules.dep", "modules.softdep", "modules.builtin.modinfo",
                            "modules.devname", "kernel/fz/fz0.ko", "kernel/fz/fz1.ko"})
    if (fs::exists(t.damaged + "/" + index)) t.damage_targets.push_back(t.damaged + "/" + index);
  for (const std::string& f : t.damage_targets) t.originals[f] = slurp(f);
}

const Trees& trees() {
  static const Trees t = [] {
    Trees made;
    make_tree(made);
    static const struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(dir, ec);
      }
    } cleanup{made.scratch};
    // Before any context exists: every load goes to the simulated kernel.
    FUZZ_EXPECT(::setenv("KMODX_BACKEND", ("sim:" + made.sim).c_str(), 1) == 0);
    // Contexts start logging everything (to log_fn, mostly).
    FUZZ_EXPECT(::setenv("KMOD_LOG", "debug", 1) == 0);
    return made;
  }();
  return t;
}

void expect_simulated() {
  const char* backend = std::getenv("KMODX_BACKEND");
  FUZZ_EXPECT(backend != nullptr && std::strncmp(backend, "sim:/tmp/kmodx-fuzz-libkmod.", 28) == 0);
}

// ---- the input

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  std::uint8_t byte() { return done() ? 0 : data_[pos_++]; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  std::string_view bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string_view out(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return out;
  }
  // A name, alias or option string: mostly from the tree's vocabulary.
  std::string text() {
    static const char* const words[] = {
        "fz0", "fz1", "fz2", "fz3", "fz4", "fz5", "fz-0", "fz_1", "fzalias", "fzblack", "fzbuiltin", "fzbalias",
        "pci:v00001234d00005678sv00000000sd00000000bc00sc00i00", "symbol:printk", "symbol:", "fz*", "nonexistent",
        "", " ", "a=1 b=2", "p=3", "fz0.ko", "/abs", "FZ0", "fz[0]", "\\", "fz0\nfz1"};
    const std::uint8_t b = byte();
    if (b < 224) return words[b % std::size(words)];
    if (b == 255) return std::string(4200, 'a');  // beyond PATH_MAX
    return std::string(bytes(byte() % 48));
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// ---- slots

enum class ListKind { none, modules, info, versions, symbols, dependency_symbols, sections };

struct List {
  kmod_list* list = nullptr;
  ListKind kind = ListKind::none;
};

void free_list(List& l) {
  switch (l.kind) {
    case ListKind::none: break;
    case ListKind::modules: FUZZ_EXPECT(kmod_module_unref_list(l.list) == 0); break;
    case ListKind::info: kmod_module_info_free_list(l.list); break;
    case ListKind::versions: kmod_module_versions_free_list(l.list); break;
    case ListKind::symbols: kmod_module_symbols_free_list(l.list); break;
    case ListKind::dependency_symbols: kmod_module_dependency_symbols_free_list(l.list); break;
    case ListKind::sections: kmod_module_section_free_list(l.list); break;
  }
  l = {};
}

struct Slots {
  std::array<kmod_ctx*, 4> ctx{};
  std::array<kmod_module*, 12> mod{};
  std::array<List, 8> lists{};

  ~Slots() {
    for (List& l : lists) free_list(l);
    for (kmod_module*& m : mod) m = kmod_module_unref(m);
    for (kmod_ctx*& c : ctx) c = kmod_unref(c);
  }
  // The slot's value, or NULL when the input picks an empty slot.
  kmod_ctx* pick_ctx(Input& in) { return ctx[in.byte() % ctx.size()]; }
  kmod_module* pick_mod(Input& in) { return mod[in.byte() % mod.size()]; }
  List& pick_list(Input& in) { return lists[in.byte() % lists.size()]; }
  void put_ctx(Input& in, kmod_ctx* c) {
    kmod_ctx*& slot = ctx[in.byte() % ctx.size()];
    kmod_unref(slot);
    slot = c;
  }
  void put_mod(Input& in, kmod_module* m) {
    kmod_module*& slot = mod[in.byte() % mod.size()];
    kmod_module_unref(slot);
    slot = m;
  }
  void put_list(Input& in, kmod_list* list, ListKind kind) {
    List& slot = pick_list(in);
    free_list(slot);
    slot = {list, list == nullptr ? ListKind::none : kind};
  }
};

// ---- properties

void expect_errno(int r) { FUZZ_EXPECT(r <= 0 && r > -4096); }

void expect_string(const char* s) {
  if (s != nullptr) FUZZ_EXPECT(std::strlen(s) < (1u << 24));
}

// Walks \p list both ways; returns its length.
std::size_t walk(const kmod_list* list) {
  std::size_t forward = 0, backward = 0;
  const kmod_list* l;
  kmod_list_foreach(l, list) FUZZ_EXPECT(++forward < (1u << 20));
  kmod_list_foreach_reverse(l, list) ++backward;
  FUZZ_EXPECT(forward == backward);
  if (list != nullptr) FUZZ_EXPECT(kmod_list_prev(list, list) == nullptr);
  return forward;
}

// Reads every entry of \p l the way its kind is read.
void read_entries(const List& l) {
  walk(l.list);
  const kmod_list* e;
  kmod_list_foreach(e, l.list) {
    switch (l.kind) {
      case ListKind::none: break;
      case ListKind::modules: {
        kmod_module* m = kmod_module_get_module(e);
        FUZZ_EXPECT(m != nullptr && kmod_module_get_name(m) != nullptr);
        kmod_module_unref(m);
        break;
      }
      case ListKind::info:
        FUZZ_EXPECT(kmod_module_info_get_key(e) != nullptr);
        expect_string(kmod_module_info_get_value(e));
        break;
      case ListKind::versions:
        expect_string(kmod_module_version_get_symbol(e));
        (void)kmod_module_version_get_crc(e);
        break;
      case ListKind::symbols:
        expect_string(kmod_module_symbol_get_symbol(e));
        (void)kmod_module_symbol_get_crc(e);
        break;
      case ListKind::dependency_symbols: {
        expect_string(kmod_module_dependency_symbol_get_symbol(e));
        const int bind = kmod_module_dependency_symbol_get_bind(e);
        FUZZ_EXPECT(bind == KMOD_SYMBOL_NONE || bind == KMOD_SYMBOL_LOCAL || bind == KMOD_SYMBOL_GLOBAL ||
                    bind == KMOD_SYMBOL_WEAK || bind == KMOD_SYMBOL_UNDEF);
        // dracut-install reads these with the exported-symbol getter.
        (void)kmod_module_symbol_get_symbol(e);
        break;
      }
      case ListKind::sections:
        expect_string(kmod_module_section_get_name(e));
        (void)kmod_module_section_get_address(e);
        break;
    }
  }
}

// ---- callbacks

int log_token;  // the log function's data, when the input gives it one

void log_fn(void* data, int priority, const char* file, int line, const char* fn, const char* format,
            va_list args) {
  FUZZ_EXPECT(data == nullptr || data == &log_token);
  FUZZ_EXPECT(priority >= 0 && priority <= 7);
  expect_string(file);
  expect_string(fn);
  (void)line;
  char buffer[512];
  FUZZ_EXPECT(std::vsnprintf(buffer, sizeof buffer, format, args) >= 0);
}

int run_install(kmod_module* m, const char* cmdline, void* data) {
  FUZZ_EXPECT(m != nullptr && kmod_module_get_name(m) != nullptr && cmdline != nullptr);
  expect_string(cmdline);
  return *static_cast<const int*>(data);  // what the input chose: 0, a failure, a positive value
}

void print_action(kmod_module* m, bool install, const char* options) {
  FUZZ_EXPECT(m != nullptr && kmod_module_get_name(m) != nullptr && options != nullptr);
  expect_string(options);
  (void)install;
}

// ---- operations

enum Op : std::uint8_t {
  op_new, op_ref, op_unref, op_load, op_unload, op_validate, op_dump_index, op_log, op_userdata,
  op_config, op_lookup, op_name_lookup, op_from_name, op_from_path, op_mod_ref, op_mod_unref,
  op_get_module, op_dependencies, op_softdeps, op_weakdeps, op_filter, op_strings, op_file_lists,
  op_sections, op_loaded, op_kernel_state, op_insert, op_probe, op_remove, op_walk, op_free_list,
  op_damage, op_count
};

void new_context(Input& in, Slots& s, const Trees& t) {
  const std::uint8_t which = in.byte();
  const std::string* dir = which % 3 == 0 ? &t.good : which % 3 == 1 ? &t.damaged : &t.missing;
  const char* good_conf[] = {t.good_conf.c_str(), nullptr};
  const char* damaged_conf[] = {t.damaged_conf.c_str(), nullptr};
  const char* none[] = {nullptr};
  // Never NULL: that would read the machine's own /etc/modprobe.d.
  const char* const* conf = which / 3 % 3 == 0 ? good_conf : which / 3 % 3 == 1 ? damaged_conf : none;
  kmod_ctx* ctx = kmod_new(dir->c_str(), conf);
  FUZZ_EXPECT(ctx != nullptr);
  if (!(which & 0x80)) kmod_set_log_fn(ctx, log_fn, nullptr);  // else libkmod's stderr logger
  s.put_ctx(in, ctx);
}

void config_walk(Input& in, Slots& s) {
  const kmod_ctx* ctx = s.pick_ctx(in);
  kmod_config_iter* it = nullptr;
  switch (in.byte() % 7) {
    case 0: it = kmod_config_get_blacklists(ctx); break;
    case 1: it = kmod_config_get_install_commands(ctx); break;
    case 2: it = kmod_config_get_remove_commands(ctx); break;
    case 3: it = kmod_config_get_aliases(ctx); break;
    case 4: it = kmod_config_get_options(ctx); break;
    case 5: it = kmod_config_get_softdeps(ctx); break;
    default: it = kmod_config_get_weakdeps(ctx); break;
  }
  FUZZ_EXPECT(ctx != nullptr || it == nullptr);
  for (unsigned n = in.byte() % 8; n > 0; --n) {
    expect_string(kmod_config_iter_get_key(it));
    expect_string(kmod_config_iter_get_value(it));
    if (!kmod_config_iter_next(it)) break;
  }
  kmod_config_iter_free_iter(it);
}

void file_lists(Input& in, Slots& s) {
  kmod_module* m = s.pick_mod(in);
  const std::uint8_t which = in.byte();
  List& slot = s.pick_list(in);
  kmod_list* list = nullptr;
  int r = 0;
  ListKind kind = ListKind::none;
  switch (which % 4) {
    case 0: r = kmod_module_get_info(m, &list), kind = ListKind::info; break;
    case 1: r = kmod_module_get_versions(m, &list), kind = ListKind::versions; break;
    case 2: r = kmod_module_get_symbols(m, &list), kind = ListKind::symbols; break;
    default: r = kmod_module_get_dependency_symbols(m, &list), kind = ListKind::dependency_symbols; break;
  }
  if (r < 0) {
    expect_errno(r);
    FUZZ_EXPECT(list == nullptr);
    return;
  }
  // The count of entries, as libkmod returns it.
  FUZZ_EXPECT(static_cast<std::size_t>(r) == walk(list));
  free_list(slot);
  slot = {list, list == nullptr ? ListKind::none : kind};
}

void damage(Input& in, const Trees& t, std::vector<std::string>& damaged) {
  const std::string& file = t.damage_targets[in.byte() % t.damage_targets.size()];
  std::string bytes = t.originals.at(file);
  const std::uint32_t at = in.u32() % (bytes.size() + 1);
  const std::string_view patch = in.bytes(in.byte() % 64);
  if (in.byte() % 4 == 0) bytes.resize(at);  // truncated
  bytes.replace(std::min<std::size_t>(at, bytes.size()), patch.size(), patch);
  spill(file, bytes);
  damaged.push_back(file);
}

void run(Input& in, Slots& s, const Trees& t, std::vector<std::string>& damaged) {
  static int log_data_token;
  const auto op = static_cast<Op>(in.byte() % op_count);
  switch (op) {
    case op_new: new_context(in, s, t); break;
    case op_ref: {
      kmod_ctx* c = s.pick_ctx(in);
      FUZZ_EXPECT(kmod_ref(c) == c);
      s.put_ctx(in, c);
      break;
    }
    case op_unref: {
      kmod_ctx*& slot = s.ctx[in.byte() % s.ctx.size()];
      kmod_unref(slot);
      slot = nullptr;
      break;
    }
    case op_load: expect_errno(kmod_load_resources(s.pick_ctx(in))); break;
    case op_unload: kmod_unload_resources(s.pick_ctx(in)); break;
    case op_validate: {
      const int r = kmod_validate_resources(s.pick_ctx(in));
      FUZZ_EXPECT(r >= KMOD_RESOURCES_OK && r <= KMOD_RESOURCES_MUST_RECREATE);
      break;
    }
    case op_dump_index: {
      kmod_ctx* c = s.pick_ctx(in);
      const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      FUZZ_EXPECT(fd >= 0);
      expect_errno(kmod_dump_index(c, static_cast<kmod_index>(in.byte() % 7), fd));
      ::close(fd);
      break;
    }
    case op_log: {
      kmod_ctx* c = s.pick_ctx(in);
      const std::uint8_t b = in.byte();
      if (b & 1) kmod_set_log_priority(c, static_cast<int>(in.u32() % 12) - 2);
      if (b & 2) kmod_set_log_fn(c, b & 4 ? log_fn : nullptr, b & 8 ? nullptr : &log_token);
      (void)kmod_get_log_priority(c);
      break;
    }
    case op_userdata: {
      kmod_ctx* c = s.pick_ctx(in);
      kmod_set_userdata(c, &log_data_token);
      FUZZ_EXPECT(kmod_get_userdata(c) == (c != nullptr ? &log_data_token : nullptr));
      if (c != nullptr) FUZZ_EXPECT(kmod_get_dirname(c) != nullptr);
      break;
    }
    case op_config: config_walk(in, s); break;
    case op_lookup: {
      kmod_ctx* c = s.pick_ctx(in);
      const std::string alias = in.text();
      kmod_list* list = nullptr;
      const int r = kmod_module_new_from_lookup(c, alias.c_str(), &list);
      expect_errno(r);
      if (r < 0) FUZZ_EXPECT(list == nullptr);
      s.put_list(in, list, ListKind::modules);
      break;
    }
    case op_name_lookup:
    case op_from_name: {
      kmod_ctx* c = s.pick_ctx(in);
      const std::string name = in.text();
      kmod_module* m = nullptr;
      const bool lookup = op == op_name_lookup;
      const int r = lookup ? kmod_module_new_from_name_lookup(c, name.c_str(), &m)
                           : kmod_module_new_from_name(c, name.c_str(), &m);
      expect_errno(r);
      FUZZ_EXPECT((r == 0) == (m != nullptr) || (lookup && r == 0 && m == nullptr));
      if (m != nullptr) FUZZ_EXPECT(kmod_module_get_name(m) != nullptr);
      s.put_mod(in, m);
      break;
    }
    case op_from_path: {
      kmod_ctx* c = s.pick_ctx(in);
      const std::uint8_t b = in.byte();
      std::string path;
      if (b < 200) path = (b & 1 ? t.damaged + "/kernel/fz/fz" : t.good + "/kernel/fz/fz") +
                          std::to_string(b / 2 % t.modules.size()) + ".ko";
      else path = in.text();
      kmod_module* m = nullptr;
      const int r = kmod_module_new_from_path(c, path.c_str(), &m);
      expect_errno(r);
      FUZZ_EXPECT((r == 0) == (m != nullptr));
      s.put_mod(in, m);
      break;
    }
    case op_mod_ref: {
      kmod_module* m = s.pick_mod(in);
      FUZZ_EXPECT(kmod_module_ref(m) == m);
      s.put_mod(in, m);
      break;
    }
    case op_mod_unref: {
      kmod_module*& slot = s.mod[in.byte() % s.mod.size()];
      kmod_module_unref(slot);
      slot = nullptr;
      break;
    }
    case op_get_module: {
      const List& l = s.pick_list(in);
      kmod_list* e = l.kind == ListKind::modules ? l.list : nullptr;
      for (unsigned n = in.byte() % 4; n > 0 && e != nullptr; --n) e = kmod_list_next(l.list, e);
      s.put_mod(in, kmod_module_get_module(e));
      break;
    }
    case op_dependencies: {
      kmod_module* m = s.pick_mod(in);
      s.put_list(in, kmod_module_get_dependencies(m), ListKind::modules);
      break;
    }
    case op_softdeps: {
      kmod_list *pre = nullptr, *post = nullptr;
      expect_errno(kmod_module_get_softdeps(s.pick_mod(in), &pre, &post));
      s.put_list(in, pre, ListKind::modules);
      s.put_list(in, post, ListKind::modules);
      break;
    }
    case op_weakdeps: {
      kmod_list* weak = nullptr;
      expect_errno(kmod_module_get_weakdeps(s.pick_mod(in), &weak));
      s.put_list(in, weak, ListKind::modules);
      break;
    }
    case op_filter: {
      const kmod_ctx* c = s.pick_ctx(in);
      const List& input = s.pick_list(in);
      const kmod_list* list = input.kind == ListKind::modules ? input.list : nullptr;
      kmod_list* out = nullptr;
      const std::uint8_t b = in.byte();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      const int r = b & 4 ? kmod_module_get_filtered_blacklist(c, list, &out)
                          : kmod_module_apply_filter(c, static_cast<kmod_filter>(b & 3), list, &out);
#pragma GCC diagnostic pop
      expect_errno(r);
      if (r == 0) FUZZ_EXPECT(walk(out) <= walk(list));
      s.put_list(in, out, ListKind::modules);
      break;
    }
    case op_strings: {
      const kmod_module* m = s.pick_mod(in);
      FUZZ_EXPECT((kmod_module_get_name(m) != nullptr) == (m != nullptr));
      expect_string(kmod_module_get_path(m));
      expect_string(kmod_module_get_options(m));
      expect_string(kmod_module_get_install_commands(m));
      expect_string(kmod_module_get_remove_commands(m));
      break;
    }
    case op_file_lists: file_lists(in, s); break;
    case op_sections: s.put_list(in, kmod_module_get_sections(s.pick_mod(in)), ListKind::sections); break;
    case op_loaded: {
      kmod_list* list = nullptr;
      const int r = kmod_module_new_from_loaded(s.pick_ctx(in), &list);
      expect_errno(r);
      s.put_list(in, list, ListKind::modules);
      break;
    }
    case op_kernel_state: {
      const kmod_module* m = s.pick_mod(in);
      const int state = kmod_module_get_initstate(m);
      FUZZ_EXPECT(state <= static_cast<int>(KMOD_MODULE_GOING) && state > -4096);
      expect_string(kmod_module_initstate_str(static_cast<kmod_module_initstate>(in.byte() % 6)));
      FUZZ_EXPECT(kmod_module_get_size(m) > -4096);
      FUZZ_EXPECT(kmod_module_get_refcnt(m) > -4096);
      s.put_list(in, kmod_module_get_holders(m), ListKind::modules);
      break;
    }
    case op_insert: {
      kmod_module* m = s.pick_mod(in);
      const unsigned flags = in.u32() & 0x7;
      const std::string options = in.text();
      const bool with_options = in.byte() % 2 != 0;
      expect_simulated();
      expect_errno(kmod_module_insert_module(m, flags, with_options ? options.c_str() : nullptr));
      break;
    }
    case op_probe: {
      kmod_module* m = s.pick_mod(in);
      const unsigned flags = in.u32() & 0x7003f;
      const std::string options = in.text();
      static const int install_results[] = {0, -ENOENT, 1, 256};
      const int& install_result = install_results[in.byte() % 4];
      const bool with_options = in.byte() % 2 != 0;
      const bool with_print = in.byte() % 2 != 0;
      expect_simulated();
      const int r = kmod_module_probe_insert_module(m, flags, with_options ? options.c_str() : nullptr, run_install,
                                                    &install_result, with_print ? print_action : nullptr);
      FUZZ_EXPECT(r <= 0 || r == KMOD_PROBE_APPLY_BLACKLIST_ALL || r == KMOD_PROBE_APPLY_BLACKLIST ||
                  r == KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY || r == install_result);
      break;
    }
    case op_remove: {
      kmod_module* m = s.pick_mod(in);
      expect_simulated();
      expect_errno(kmod_module_remove_module(m, in.u32() & (KMOD_REMOVE_FORCE | KMOD_REMOVE_NOWAIT | KMOD_REMOVE_NOLOG)));
      break;
    }
    case op_walk: read_entries(s.pick_list(in)); break;
    case op_free_list: free_list(s.pick_list(in)); break;
    case op_damage: damage(in, t, damaged); break;
    case op_count: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Trees& t = trees();
  // Each input starts from the same state: the damaged tree as built, and
  // nothing loaded in the simulated kernel.
  static std::vector<std::string> damaged;
  for (const std::string& f : damaged) spill(f, t.originals.at(f));
  damaged.clear();
  std::error_code ec;
  fs::remove_all(t.sim, ec);
  Input in(data, size);
  {
    Slots slots;
    for (unsigned ops = 0; !in.done() && ops < 64; ++ops) run(in, slots, t, damaged);
  }
  return 0;
}
