// SPDX-License-Identifier: LGPL-2.1-or-later
// Choosing a loader backend: `--backend=`, else KMODX_BACKEND, else linux.
#include <cerrno>
#include <cstdlib>

#include "kmodx/loader.hpp"

namespace kmodx {

Result<BackendSpec> parse_backend_spec(std::string_view text) {
  BackendSpec spec;
  if (text == "linux") return spec;
  if (text == "sim") {
    spec.kind = BackendSpec::Kind::sim;
    return spec;
  }
  if (text.starts_with("sim:")) {
    spec.kind = BackendSpec::Kind::sim;
    spec.state_dir = text.substr(4);
    if (spec.state_dir.empty())
      return make_error(EINVAL, "backend 'sim:' needs a state directory after the colon");
    return spec;
  }
  return make_error(EINVAL, "unknown backend '" + std::string(text) + "' (expected linux, sim or sim:STATE_DIR)");
}

Result<BackendSpec> select_backend(const std::optional<std::string>& option_text) {
  if (option_text) return parse_backend_spec(*option_text);
  if (const char* env = std::getenv("KMODX_BACKEND"); env != nullptr && *env != '\0') {
    auto spec = parse_backend_spec(env);
    if (!spec) return make_error(EINVAL, "KMODX_BACKEND: " + spec.error().detail);
    return spec;
  }
  return BackendSpec{};
}

std::string default_sim_state_dir(const std::string& module_dir) {
  std::string dir = module_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/.kmodx-sim";
}

Result<std::unique_ptr<LoaderBackend>> open_backend(const BackendSpec& spec, const std::string& module_dir,
                                                    DiagnosticSink& sink) {
  switch (spec.kind) {
    case BackendSpec::Kind::linux:
      return open_linux_backend(sink);
    case BackendSpec::Kind::sim:
      return open_sim_backend(spec.state_dir.empty() ? default_sim_state_dir(module_dir) : spec.state_dir,
                              module_dir, sink);
  }
  return make_error(EINVAL, "unknown backend kind");
}

}  // namespace kmodx
