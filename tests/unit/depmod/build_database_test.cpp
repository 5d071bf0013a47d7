// SPDX-License-Identifier: LGPL-2.1-or-later
// build_module_database() (kmodx/depmod.hpp) on module trees synthesized in a
// temporary directory: the files it writes, the order of modules.dep, which
// copy of a duplicated module wins, cycles, depmod -n / --graph, explicit
// files, and a separate output directory.
//
// Every expected text below was checked against Debian's kmod 30 depmod on
// the same trees, except where a comment says kmodx deliberately follows kmod
// master (modules.weakdep and the first-occurrence rule of modules.order; the
// .bin files are compared by content, as kmod 30 lays them out post-order).
// To redo that check:
//   KMODX_DEPMOD_KEEP_TREES=/tmp/trees ./kmodx_unit_tests '[build_database]'
//   /sbin/depmod -C /tmp/trees/<case>/depmod.d -b /tmp/trees/<case> 6.1.0-test
// (the kept copy is the input tree, taken just before build_module_database
// runs; /tmp/trees/<case>/files lists the files of a files-mode run).
#include "kmodx/depmod.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "kmodx/index.hpp"
#include "support/collecting_sink.hpp"
#include "support/compress.hpp"
#include "support/elf_builder.hpp"
#include "support/result_helpers.hpp"
#include "support/temp_dir.hpp"

using namespace std::string_literals;
using namespace kmodx;
using namespace kmodx::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kRelease = "6.1.0-test";

struct ModuleSpec {
  std::vector<std::string> modinfo;
  std::vector<std::string> exports;  // __ksymtab_strings
  std::vector<std::string> needs;    // undefined symbols
};

std::vector<std::byte> module_bytes(const ModuleSpec& spec) {
  ElfBuilder b(true, true);
  for (const std::string& m : spec.modinfo) b.modinfo(m);
  for (const std::string& e : spec.exports) b.ksymtab_string(e);
  for (const std::string& n : spec.needs) b.undefined(n);
  return b.build().bytes();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The names of the files directly in \p dir, sorted.
std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

using Entries = std::vector<std::tuple<std::string, std::uint32_t, std::string>>;

// Every (key, priority, value) of a .bin index, read back with the library.
Entries index_entries(const std::string& path) {
  auto index = Index::open(path);
  INFO(path << ": " << describe(index));
  REQUIRE(index.ok());
  KMODX_REQUIRE_OK(index->verify());
  Entries out;
  Error damage;
  index->for_each([&](std::string_view key, std::uint32_t priority, std::string_view value) {
    out.emplace_back(std::string(key), priority, std::string(value));
  }, &damage);
  CHECK(damage.code == 0);
  return out;
}

// <root>/lib/modules/6.1.0-test in a temporary directory, and an empty
// depmod.d so that the host's configuration plays no part.
class Tree {
 public:
  Tree() : root(tmp.path().string()), dir(root + "/lib/modules/" + kRelease) {
    fs::create_directories(dir);
    fs::create_directories(root + "/depmod.d");
  }
  void module(const std::string& rel, const ModuleSpec& spec) const {
    tmp.write("lib/modules/"s + kRelease + "/" + rel, module_bytes(spec));
  }
  void module_xz(const std::string& rel, const ModuleSpec& spec) const {
    tmp.write("lib/modules/"s + kRelease + "/" + rel, xz_compress(module_bytes(spec)));
  }
  void text(const std::string& rel, std::string_view content) const {
    tmp.write("lib/modules/"s + kRelease + "/" + rel, content);
  }
  std::string read(const std::string& name) const { return slurp(dir + "/" + name); }

  DepmodRequest request() const {
    DepmodRequest r;
    r.module_dir = dir;
    r.kernel_version = kRelease;
    r.config_paths = {root + "/depmod.d"};
    r.threads = 2;
    return r;
  }

  Result<DepmodOutcome> run(const DepmodRequest& r, DiagnosticSink& sink) const {
    keep(r);
    return build_module_database(r, sink);
  }

  TempDir tmp;
  std::string root;
  std::string dir;

 private:
  // KMODX_DEPMOD_KEEP_TREES=DIR: a copy of the input tree for kmod's depmod.
  void keep(const DepmodRequest& r) const {
    const char* to = std::getenv("KMODX_DEPMOD_KEEP_TREES");
    if (to == nullptr || *to == '\0') return;
    std::string name = Catch::getResultCapture().getCurrentTestName();
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    std::string dest = std::string(to) + "/" + name;
    for (int n = 2; fs::exists(dest); ++n) dest = std::string(to) + "/" + name + "." + std::to_string(n);
    fs::create_directories(dest);
    fs::copy(root, dest, fs::copy_options::recursive);
    std::ofstream files(dest + "/files");
    for (const std::string& f : r.files) files << f << "\n";
  }
};

// ---- the tree of the first test, reused by -n and the output directory ------

void make_full_tree(const Tree& t) {
  t.module("kernel/drivers/core/kx_core.ko",
           {{"license=GPL", "description=core"}, {"kx_core_register", "kx_core_unregister"}, {}});
  t.module("kernel/drivers/net/kx-net.ko",
           {{"alias=pci:v00008086d00001234sv*sd*bc*sc*i*", "alias=kx-netdev", "softdep=pre: kx_core post: kx_extra",
             "weakdep=kx_extra", "license=GPL"},
            {"kx_net_xmit"},
            {"kx_core_register"}});
  t.module("kernel/drivers/char/kx_char.ko",
           {{"alias=devname:kxchar", "alias=char-major-10-200", "alias=usb:v1234p5678d*dc*dsc*dp*ic*isc*ip*in*"},
            {},
            {"kx_net_xmit", "kx_core_unregister"}});
  t.module("kernel/fs/kx_extra.ko", {{"alias=block-major-240-3", "alias=devname:kxblk", "alias=fs-kxextra"}, {}, {}});
  t.text("modules.order",
         "kernel/drivers/core/kx_core.ko\nkernel/drivers/net/kx-net.ko\nkernel/drivers/char/kx_char.ko\n"
         "kernel/fs/kx_extra.ko\n");
  t.text("modules.builtin", "kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n");
  t.text("modules.builtin.modinfo",
         "ext4.alias=fs-ext4\0ext4.license=GPL\0crc32c_generic.alias=crypto-crc32c\0crc32c_generic.alias=crc32c\0"s);
}

const std::string kFullDep =
    "kernel/drivers/core/kx_core.ko:\n"
    "kernel/drivers/net/kx-net.ko: kernel/drivers/core/kx_core.ko\n"
    "kernel/drivers/char/kx_char.ko: kernel/drivers/net/kx-net.ko kernel/drivers/core/kx_core.ko\n"
    "kernel/fs/kx_extra.ko:\n";
const std::string kFullAlias =
    "# Aliases extracted from modules themselves.\n"
    "alias pci:v00008086d00001234sv*sd*bc*sc*i* kx_net\n"
    "alias kx-netdev kx_net\n"
    "alias devname:kxchar kx_char\n"
    "alias char-major-10-200 kx_char\n"
    "alias usb:v1234p5678d*dc*dsc*dp*ic*isc*ip*in* kx_char\n"
    "alias block-major-240-3 kx_extra\n"
    "alias devname:kxblk kx_extra\n"
    "alias fs-kxextra kx_extra\n";
const std::string kFullSoftdep =
    "# Soft dependencies extracted from modules themselves.\n"
    "softdep kx_net pre: kx_core post: kx_extra\n";
// Not in kmod 30: kmod master's format (kmod 33+).
const std::string kFullWeakdep =
    "# Weak dependencies extracted from modules themselves.\n"
    "weakdep kx_net kx_extra\n";
const std::string kFullSymbols =
    "# Aliases for symbols, used by symbol_request().\n"
    "alias symbol:kx_core_unregister kx_core\n"
    "alias symbol:kx_net_xmit kx_net\n"
    "alias symbol:kx_core_register kx_core\n";
const std::string kFullDevname =
    "# Device nodes to trigger on-demand module loading.\n"
    "kx_char kxchar c10:200\n"
    "kx_extra kxblk b240:3\n";

const std::vector<std::string> kAllOutputs{
    "modules.alias",     "modules.alias.bin",   "modules.builtin.alias.bin", "modules.builtin.bin",
    "modules.dep",       "modules.dep.bin",     "modules.devname",           "modules.softdep",
    "modules.symbols",   "modules.symbols.bin", "modules.weakdep"};

void check_full_outputs(const std::string& out) {
  CHECK(slurp(out + "/modules.dep") == kFullDep);
  CHECK(slurp(out + "/modules.alias") == kFullAlias);
  CHECK(slurp(out + "/modules.softdep") == kFullSoftdep);
  CHECK(slurp(out + "/modules.weakdep") == kFullWeakdep);
  CHECK(slurp(out + "/modules.symbols") == kFullSymbols);
  CHECK(slurp(out + "/modules.devname") == kFullDevname);

  CHECK(index_entries(out + "/modules.dep.bin") ==
        Entries{{"kx_char", 2, "kernel/drivers/char/kx_char.ko: kernel/drivers/net/kx-net.ko kernel/drivers/core/kx_core.ko"},
                {"kx_core", 0, "kernel/drivers/core/kx_core.ko:"},
                {"kx_extra", 3, "kernel/fs/kx_extra.ko:"},
                {"kx_net", 1, "kernel/drivers/net/kx-net.ko: kernel/drivers/core/kx_core.ko"}});
  // Aliases are normalised as keys ('-' to '_' outside brackets).
  CHECK(index_entries(out + "/modules.alias.bin") ==
        Entries{{"block_major_240_3", 3, "kx_extra"},
                {"char_major_10_200", 2, "kx_char"},
                {"devname:kxblk", 3, "kx_extra"},
                {"devname:kxchar", 2, "kx_char"},
                {"fs_kxextra", 3, "kx_extra"},
                {"kx_netdev", 1, "kx_net"},
                {"pci:v00008086d00001234sv*sd*bc*sc*i*", 1, "kx_net"},
                {"usb:v1234p5678d*dc*dsc*dp*ic*isc*ip*in*", 2, "kx_char"}});
  CHECK(index_entries(out + "/modules.symbols.bin") ==
        Entries{{"symbol:kx_core_register", 0, "kx_core"},
                {"symbol:kx_core_unregister", 0, "kx_core"},
                {"symbol:kx_net_xmit", 1, "kx_net"}});
  CHECK(index_entries(out + "/modules.builtin.bin") ==
        Entries{{"crc32c_generic", 0, ""}, {"ext4", 0, ""}});
  CHECK(index_entries(out + "/modules.builtin.alias.bin") ==
        Entries{{"crc32c", 0, "crc32c_generic"}, {"crypto_crc32c", 0, "crc32c_generic"}, {"fs_ext4", 0, "ext4"}});
}

}  // namespace

// ---- 1. every output file ----------------------------------------------------

TEST_CASE("build_module_database: every output file of a small tree", "[depmod][build_database]") {
  Tree t;
  make_full_tree(t);
  CollectingSink sink;
  auto r = t.run(t.request(), sink);
  KMODX_REQUIRE_OK(r);
  CHECK(r->modules == 4);
  CHECK(sink.texts().empty());  // kmod 30 is silent on this tree
  CHECK(listing(t.dir) == std::vector<std::string>{"kernel",
                                                   "modules.alias",
                                                   "modules.alias.bin",
                                                   "modules.builtin",
                                                   "modules.builtin.alias.bin",
                                                   "modules.builtin.bin",
                                                   "modules.builtin.modinfo",
                                                   "modules.dep",
                                                   "modules.dep.bin",
                                                   "modules.devname",
                                                   "modules.order",
                                                   "modules.softdep",
                                                   "modules.symbols",
                                                   "modules.symbols.bin",
                                                   "modules.weakdep"});
  check_full_outputs(t.dir);
}

// ---- 2. order ------------------------------------------------------------------

TEST_CASE("build_module_database: modules.dep follows modules.order, the rest after", "[depmod][build_database]") {
  Tree t;
  // kx_top needs kx_mid, which needs kx_base: kx_top's list is nearest first.
  t.module("kernel/ord/kx_base.ko", {{}, {"base_sym"}, {}});
  t.module_xz("kernel/ord/kx_mid.ko.xz", {{}, {"mid_sym"}, {"base_sym"}});
  t.module("kernel/ord/kx_top.ko", {{}, {}, {"mid_sym"}});
  // Not in modules.order: after the listed ones, in kmod's module hash order.
  t.module("kernel/other/kx_zeta.ko", {{}, {}, {"base_sym"}});
  t.module("kernel/other/kx_alpha.ko", {});
  t.module("kernel/other/kx_omega.ko", {});
  t.text("modules.builtin", "");
  t.text("modules.builtin.modinfo", "");
  // A compressed module is listed by its uncompressed name; a line naming
  // no module is skipped.
  std::string order = "kernel/ord/kx_top.ko\nkernel/ord/kx_base.ko\nkernel/ord/kx_gone.ko\nkernel/ord/kx_mid.ko\n";
  std::string expected =
      "kernel/ord/kx_top.ko: kernel/ord/kx_mid.ko.xz kernel/ord/kx_base.ko\n"
      "kernel/ord/kx_base.ko:\n"
      "kernel/ord/kx_mid.ko.xz: kernel/ord/kx_base.ko\n";
  SECTION("each module listed once") {}
  SECTION("a module listed twice ranks by its first line") {
    // kmod master's rule; kmod 30 let the last line win, which would put
    // kx_top after kx_mid.
    order += "kernel/ord/kx_top.ko\n";
  }
  expected +=
      "kernel/other/kx_zeta.ko: kernel/ord/kx_base.ko\n"
      "kernel/other/kx_alpha.ko:\n"
      "kernel/other/kx_omega.ko:\n";
  t.text("modules.order", order);
  CollectingSink sink;
  KMODX_REQUIRE_OK(t.run(t.request(), sink));
  CHECK(sink.texts().empty());
  CHECK(t.read("modules.dep") == expected);
}

// ---- 3. duplicates -------------------------------------------------------------

TEST_CASE("build_module_database: a module in kernel/ and updates/, one copy indexed", "[depmod][build_database]") {
  Tree t;
  t.module("kernel/drivers/kx_dup.ko", {{"alias=kx-dup-kernel"}, {"dup_sym"}, {}});
  t.module("updates/kx_dup.ko", {{"alias=kx-dup-updates"}, {"dup_sym"}, {}});
  t.module("kernel/drivers/kx_user.ko", {{}, {}, {"dup_sym"}});
  t.text("modules.order", "kernel/drivers/kx_user.ko\nkernel/drivers/kx_dup.ko\n");
  t.text("modules.builtin", "");
  t.text("modules.builtin.modinfo", "");
  DepmodRequest request = t.request();
  std::string winner = "updates/kx_dup.ko", alias = "kx-dup-updates";
  SECTION("depmod.d's default, search updates: updates/ wins") {}
  SECTION("-w says nothing of two copies of a module file") { request.warn_duplicates = true; }
  SECTION("search built-in updates: kernel/ wins") {
    t.tmp.write("depmod.d/search.conf", "search built-in updates\n");
    winner = "kernel/drivers/kx_dup.ko", alias = "kx-dup-kernel";
  }
  SECTION("an override picks kernel/drivers/") {
    t.tmp.write("depmod.d/override.conf", "override kx_dup 6.1.0-test kernel/drivers\n");
    winner = "kernel/drivers/kx_dup.ko", alias = "kx-dup-kernel";
  }
  CollectingSink sink;
  auto r = t.run(request, sink);
  KMODX_REQUIRE_OK(r);
  CHECK(r->modules == 2);
  CHECK(sink.texts().empty());
  // Either copy comes after kx_user, listed first in modules.order (the
  // updates/ copy is not listed at all).
  CHECK(t.read("modules.dep") == "kernel/drivers/kx_user.ko: " + winner + "\n" + winner + ":\n");
  CHECK(t.read("modules.alias") == "# Aliases extracted from modules themselves.\nalias " + alias + " kx_dup\n");
  CHECK(t.read("modules.symbols") == "# Aliases for symbols, used by symbol_request().\nalias symbol:dup_sym kx_dup\n");
}

TEST_CASE("build_module_database: -w reports a value stored twice under one key", "[depmod][build_database]") {
  Tree t;
  t.module("kernel/drivers/kx_twice.ko", {{"alias=kx-twice", "alias=kx-twice"}, {}, {}});
  t.text("modules.order", "kernel/drivers/kx_twice.ko\n");
  t.text("modules.builtin", "");
  t.text("modules.builtin.modinfo", "");
  DepmodRequest request = t.request();
  std::vector<std::string> messages;
  SECTION("without -w") {}
  SECTION("with -w") {
    request.warn_duplicates = true;
    // kmod prints the key, the normalised alias.
    messages = {"duplicate module alias:\nkx_twice kx_twice"};
  }
  CollectingSink sink;
  KMODX_REQUIRE_OK(t.run(request, sink));
  CHECK(sink.texts() == messages);
  for (const auto& m : sink.messages) CHECK(m.severity == Severity::warning);
  // Stored twice all the same, as kmod does.
  CHECK(t.read("modules.alias") ==
        "# Aliases extracted from modules themselves.\n"
        "alias kx-twice kx_twice\n"
        "alias kx-twice kx_twice\n");
  CHECK(index_entries(t.dir + "/modules.alias.bin") == Entries{{"kx_twice", 0, "kx_twice"}, {"kx_twice", 0, "kx_twice"}});
}

// ---- 4. a cycle ----------------------------------------------------------------

TEST_CASE("build_module_database: a dependency cycle is ELOOP and writes nothing", "[depmod][build_database]") {
  Tree t;
  t.module("kernel/cyc/kx_a.ko", {{"alias=kx-a"}, {"a_sym"}, {"b_sym"}});
  t.module("kernel/cyc/kx_b.ko", {{}, {"b_sym"}, {"a_sym"}});
  t.module("kernel/cyc/kx_c.ko", {{}, {}, {"a_sym"}});  // uses the cycle, is not in it
  t.module("kernel/cyc/kx_d.ko", {});
  t.text("modules.order", "kernel/cyc/kx_a.ko\nkernel/cyc/kx_b.ko\nkernel/cyc/kx_c.ko\nkernel/cyc/kx_d.ko\n");
  t.text("modules.builtin", "");
  t.text("modules.builtin.modinfo", "");
  // A previous database, which must survive.
  t.text("modules.dep", "old dep\n");
  t.text("modules.alias.bin", "old alias.bin");
  const std::vector<std::string> before = listing(t.dir);

  CollectingSink sink;
  auto r = t.run(t.request(), sink);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ELOOP);
  CHECK(r.error().detail.empty());
  CHECK(sink.texts() == std::vector<std::string>{"Cycle detected: kx_a -> kx_b -> kx_a",
                                                 "Found 2 modules in dependency cycles!"});
  for (const auto& m : sink.messages) CHECK(m.severity == Severity::error);
  CHECK(listing(t.dir) == before);  // no output and no temporary file
  CHECK(t.read("modules.dep") == "old dep\n");
  CHECK(t.read("modules.alias.bin") == "old alias.bin");
}

// ---- 5. depmod -n and --graph ----------------------------------------------------

namespace {

// The full tree run with \p output: what `print` received. Nothing may be
// written or reported.
std::string printed_by(DepmodRequest::Output output) {
  Tree t;
  make_full_tree(t);
  const std::vector<std::string> before = listing(t.dir);
  DepmodRequest request = t.request();
  request.output = output;
  std::string printed;
  request.print = [&](std::string_view s) { printed += s; };
  CollectingSink sink;
  auto r = t.run(request, sink);
  KMODX_REQUIRE_OK(r);
  CHECK(r->modules == 4);
  CHECK(sink.texts().empty());
  CHECK(listing(t.dir) == before);
  return printed;
}

}  // namespace

TEST_CASE("build_module_database: Output::text prints the text files back to back", "[depmod][build_database]") {
  // kmod 30's depmod -n, with kmod master's modules.weakdep after softdep.
  CHECK(printed_by(DepmodRequest::Output::text) ==
        kFullDep + kFullAlias + kFullSoftdep + kFullWeakdep + kFullSymbols + kFullDevname);
}

TEST_CASE("build_module_database: Output::graph prints DOT and writes nothing", "[depmod][build_database]") {
  const std::string printed = printed_by(DepmodRequest::Output::graph);
  // Vertices in modules.dep order, labelled (unquoted where DOT allows); an
  // edge from each module to each module it needs a symbol of.
  CHECK(printed ==
        "digraph G {\n"
        "0[label=kx_core];\n"
        "1[label=kx_net];\n"
        "2[label=kx_char];\n"
        "3[label=kx_extra];\n"
        "1->0 ;\n"
        "2->1 ;\n"
        "2->0 ;\n"
        "}\n");
}

// ---- 6. explicit files -----------------------------------------------------------

TEST_CASE("build_module_database: explicit files are indexed alone", "[depmod][build_database]") {
  Tree t;
  t.module("kernel/a/kx_fa.ko", {{"alias=kx-fa"}, {"fa_sym"}, {}});
  t.module("kernel/b/kx_fb.ko", {{}, {}, {"fa_sym"}});
  t.module("kernel/c/kx_fc.ko", {{"alias=kx-fc"}, {}, {"fa_sym"}});  // not named: not indexed
  t.tmp.write("ext/kx_fout.ko", module_bytes({{}, {}, {"fa_sym"}}));  // outside the module directory
  t.text("modules.order", "kernel/b/kx_fb.ko\nkernel/a/kx_fa.ko\nkernel/c/kx_fc.ko\n");
  t.text("modules.builtin", "");
  t.text("modules.builtin.modinfo", "");
  DepmodRequest request = t.request();
  request.files = {t.root + "/ext/kx_fout.ko", t.dir + "/kernel/a/kx_fa.ko", t.dir + "/kernel/b/kx_fb.ko"};
  CollectingSink sink;
  auto r = t.run(request, sink);
  KMODX_REQUIRE_OK(r);
  CHECK(r->modules == 3);
  CHECK(sink.texts().empty());
  // Outside the module directory the path is absolute, and sorts after
  // the modules of modules.order.
  CHECK(t.read("modules.dep") ==
        "kernel/b/kx_fb.ko: kernel/a/kx_fa.ko\n"
        "kernel/a/kx_fa.ko:\n" +
            t.root + "/ext/kx_fout.ko: kernel/a/kx_fa.ko\n");
  CHECK(t.read("modules.alias") == "# Aliases extracted from modules themselves.\nalias kx-fa kx_fa\n");
}

TEST_CASE("build_module_database: explicit files must be absolute and exist", "[depmod][build_database]") {
  Tree t;
  t.module("kernel/a/kx_fa.ko", {{}, {"fa_sym"}, {}});
  t.text("modules.order", "kernel/a/kx_fa.ko\n");
  const std::vector<std::string> before = listing(t.dir);
  DepmodRequest request = t.request();
  int code = 0;
  std::string detail;
  SECTION("a relative path") {
    request.files = {t.dir + "/kernel/a/kx_fa.ko", "kernel/a/kx_fa.ko"};
    code = EINVAL;
    detail = "kernel/a/kx_fa.ko: not absolute path.";
  }
  SECTION("a missing file") {
    request.files = {t.dir + "/kernel/a/kx_fa.ko", t.dir + "/kernel/a/kx_missing.ko"};
    code = ENOENT;
    detail = "could not create module " + t.dir + "/kernel/a/kx_missing.ko: No such file or directory";
  }
  CollectingSink sink;
  auto r = t.run(request, sink);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK(r.error().detail == detail);
  CHECK(sink.texts().empty());
  CHECK(listing(t.dir) == before);
}

// ---- 7. output directory -----------------------------------------------------------

TEST_CASE("build_module_database: output_dir receives the files, module_dir is only read", "[depmod][build_database]") {
  Tree t;
  make_full_tree(t);
  const std::vector<std::string> before = listing(t.dir);
  TempDir out;
  const std::string outdir = out.file("deep/er/out");  // created with its parents
  DepmodRequest request = t.request();
  request.output_dir = outdir;
  CollectingSink sink;
  auto r = t.run(request, sink);
  KMODX_REQUIRE_OK(r);
  CHECK(sink.texts().empty());
  CHECK(listing(t.dir) == before);
  CHECK(listing(outdir) == kAllOutputs);
  // Paths stay relative to the module directory; modules.builtin* are read
  // from there.
  check_full_outputs(outdir);
}
