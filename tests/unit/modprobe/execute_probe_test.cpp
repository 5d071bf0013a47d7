// SPDX-License-Identifier: LGPL-2.1-or-later
// Carrying a probe out (KMOD-SPEC §8.5) against an in-memory backend: the
// order of insertions, what is skipped as loaded, kmod's error rules
// (required steps stop the probe, softdeps do not), --first-time, the
// blacklist, dry runs and install commands.
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "kmodx/probe.hpp"
#include "support/collecting_sink.hpp"
#include "support/fake_backend.hpp"
#include "support/index_tree.hpp"

using kmodx::test::FakeBackend;
using kmodx::test::IndexTree;

namespace {

struct Quiet final : kmodx::DiagnosticSink {
  void report(kmodx::Severity, std::string_view) override {}
};

/// Probes \p name in \p tree with \p config_text against \p backend; the
/// result of probe_module() for the first module the lookup finds, as 0 or
/// a negative errno.
int probe(const IndexTree& tree, FakeBackend& backend, std::string_view name, std::string_view config_text = "",
          kmodx::ProbeFlags flags = {}, std::vector<std::string>* printed = nullptr) {
  Quiet quiet;
  kmodx::ModprobeConfig config;
  kmodx::parse_modprobe_config_text(config_text, "t.conf", config, quiet);
  kmodx::test::CollectingSink sink;
  kmodx::ModuleResolver resolver(tree.root(), config, sink);
  auto found = resolver.lookup(name);
  REQUIRE(found.ok());
  REQUIRE_FALSE(found->empty());
  kmodx::ProbeHooks hooks;
  if (printed != nullptr) hooks.print = [&](const kmodx::ProbeStep& s) { printed->push_back(s.name); };
  auto probed = kmodx::probe_module(resolver, &backend, found->front(), flags, std::nullopt, hooks, sink);
  return probed ? 0 : -probed.error().code;
}

IndexTree chain() {
  return IndexTree({{"a", "kernel/a.ko: kernel/b.ko kernel/c.ko"},
                    {"b", "kernel/b.ko: kernel/c.ko"},
                    {"c", "kernel/c.ko:"},
                    {"s", "kernel/s.ko:"},
                    {"t", "kernel/t.ko:"}},
                   {"builtin_one"}, {{"alias_a", "a"}});
}

}  // namespace

TEST_CASE("execute_probe: dependencies first, loaded ones skipped, a second probe does nothing", "[modprobe][probe]") {
  IndexTree tree = chain();
  FakeBackend backend;
  // (kmod's option string for a module with config options ends in a blank.)
  CHECK(probe(tree, backend, "a", "options b x=1\n") == 0);
  CHECK(backend.calls == std::vector<std::string>{"insert c", "insert b x=1 ", "insert a"});
  backend.calls.clear();
  CHECK(probe(tree, backend, "a") == 0);
  CHECK(backend.calls.empty());
  kmodx::ProbeFlags first;
  first.first_time = true;
  CHECK(probe(tree, backend, "a", "", first) == -EEXIST);

  FakeBackend partly;
  partly.loaded = {"c"};
  CHECK(probe(tree, partly, "a") == 0);
  CHECK(partly.calls == std::vector<std::string>{"insert b", "insert a"});
}

TEST_CASE("execute_probe: a failing dependency stops the probe and leaves what loaded before it", "[modprobe][probe]") {
  IndexTree tree = chain();
  FakeBackend backend;
  backend.insert_errors["b"] = ENOEXEC;
  CHECK(probe(tree, backend, "a") == -ENOEXEC);
  CHECK(backend.calls == std::vector<std::string>{"insert c", "insert b"});
  CHECK(backend.loaded == std::set<std::string>{"c"});
}

TEST_CASE("execute_probe: softdeps load around the module and their failures are not the probe's", "[modprobe][probe]") {
  IndexTree tree = chain();
  FakeBackend backend;
  backend.insert_errors["t"] = EINVAL;
  CHECK(probe(tree, backend, "c", "softdep c pre: s post: t\n") == 0);
  CHECK(backend.calls == std::vector<std::string>{"insert s", "insert c", "insert t"});
  CHECK(backend.loaded == std::set<std::string>{"s", "c"});
}

TEST_CASE("execute_probe: built-in, blacklisted and dry-run probes insert nothing", "[modprobe][probe]") {
  IndexTree tree = chain();
  FakeBackend backend;
  CHECK(probe(tree, backend, "builtin_one") == 0);
  kmodx::ProbeFlags first;
  first.first_time = true;
  CHECK(probe(tree, backend, "builtin_one", "", first) == -EEXIST);
  // The blacklist applies to a module found through an alias.
  CHECK(probe(tree, backend, "alias-a", "blacklist a\n") == 0);
  CHECK(backend.calls.empty());
  CHECK(probe(tree, backend, "a", "blacklist a\n") == 0);  // by name: not blacklisted
  CHECK(backend.calls.size() == 3);

  FakeBackend dry;
  kmodx::ProbeFlags flags;
  flags.dry_run = true;
  std::vector<std::string> printed;
  CHECK(probe(tree, dry, "a", "", flags, &printed) == 0);
  CHECK(printed == std::vector<std::string>{"c", "b", "a"});
  CHECK(dry.calls.empty());
}

TEST_CASE("execute_probe: an install command runs instead of the insertion", "[modprobe][probe]") {
  IndexTree tree = chain();
  FakeBackend backend;
  CHECK(probe(tree, backend, "b", "install b true\n") == 0);
  CHECK(backend.calls == std::vector<std::string>{"insert c"});
  CHECK(probe(tree, backend, "a", "install a false\n") < 0);  // the command's failure is the probe's
  CHECK(backend.calls == std::vector<std::string>{"insert c", "insert b"});
}

TEST_CASE("run_shell_command: MODPROBE_MODULE in the command's environment only", "[modprobe][probe]") {
  ::setenv("MODPROBE_MODULE", "stale", 1);
  CHECK(WEXITSTATUS(kmodx::run_shell_command("test \"$MODPROBE_MODULE\" = kx_b", "kx_b")) == 0);
  CHECK(WEXITSTATUS(kmodx::run_shell_command("exit 3", "kx_b")) == 3);
  CHECK(std::string(std::getenv("MODPROBE_MODULE")) == "stale");  // the process's own is untouched
  ::unsetenv("MODPROBE_MODULE");
  CHECK(WEXITSTATUS(kmodx::run_shell_command("test \"$MODPROBE_MODULE\" = kx_c", "kx_c")) == 0);
  CHECK(std::getenv("MODPROBE_MODULE") == nullptr);
}
