// SPDX-License-Identifier: LGPL-2.1-or-later
// The sim backend: opening, removal and queries (insertion is sim_load.cpp).
#include "loader/sim/sim_backend.hpp"

#include <cerrno>

#include "loader/sim/sim_kernel.hpp"
#include "loader/sim/sim_util.hpp"
#include "loader/sysfs_state.hpp"
#include "util/mapped_file.hpp"

namespace kmodx::loader {

Result<SimBackend::Snapshot> SimBackend::read_snapshot(bool exclusive) {
  auto lock = dir_.lock(exclusive);
  if (!lock) return std::move(lock).take_error();
  auto state = dir_.load();
  if (!state) return std::move(state).take_error();
  auto busy = read_name_number_file(dir_.file("busy"));
  if (!busy) return std::move(busy).take_error();
  return Snapshot{std::move(*lock), std::move(*state), std::move(*busy)};
}

Result<const SimModule*> SimBackend::find_loaded(const Snapshot& s, std::string_view name) {
  const SimModule* m = s.state.find(name);
  if (m == nullptr) return make_error(ENOENT, std::string(name) + ": not loaded in the simulated kernel");
  return m;
}

Result<void> SimBackend::remove(std::string_view name, bool force) {
  auto snap = read_snapshot(true);
  if (!snap) return std::move(snap).take_error();
  SimState* state = &snap->state;
  const auto* busy = &snap->busy;
  // Read under the lock each time: the configuration files are part of the
  // shared state another command may change.
  auto config = SimKernel::load(dir_, module_dir_);
  if (!config) return std::move(config).take_error();
  const bool forced_ok = force && config->force_unload();  // try_force_unload()

  // The unload system call (kernel/module/main.c), in its order.
  SimModule* m = state->find(name);
  if (m == nullptr) return make_error(ENOENT, std::string(name) + ": not loaded in the simulated kernel");
  if (m->coming) return make_error(EBUSY, m->name + ": still initialising (state coming)");
  auto holders = state->holders_of(m->name);
  if (!holders.empty()) {
    std::string list;
    for (const std::string& h : holders) list += (list.empty() ? "" : ",") + h;
    return make_error(EWOULDBLOCK, m->name + ": in use by " + list);
  }
  bool forced = false;
  if (m->has_init && !m->has_exit) {
    if (!forced_ok)
      return make_error(EBUSY, m->name + ": has an init function but no exit function: cannot be removed");
    forced = true;
  }
  // try_stop_module(): the remaining references are not modules' (those are
  // holders); forcing goes ahead anyway.
  if (long refs = sim_refcnt(*state, *m, *busy); refs != 0) {
    if (!forced_ok) return make_error(EWOULDBLOCK, m->name + ": in use, refcnt " + std::to_string(refs));
    forced = true;
  }

  std::vector<std::string> log;
  if (forced) {
    log.push_back(m->name + ": forced removal: kernel tainted (R)");
    state->tainted |= 1UL << taint_bit('R');  // TAINT_FORCED_RMMOD
  }
  std::erase_if(state->modules, [&](const SimModule& x) { return x.name == name; });
  dir_.log(log);
  return dir_.save(*state, *busy);
}

Result<InitState> SimBackend::initstate(std::string_view name) {
  auto snap = read_snapshot();
  if (!snap) return std::move(snap).take_error();
  auto m = find_loaded(*snap, name);
  if (!m) return std::move(m).take_error();
  return (*m)->coming ? InitState::coming : InitState::live;
}

Result<long> SimBackend::refcnt(std::string_view name) {
  auto snap = read_snapshot();
  if (!snap) return std::move(snap).take_error();
  auto m = find_loaded(*snap, name);
  if (!m) return std::move(m).take_error();
  return sim_refcnt(snap->state, **m, snap->busy);
}

Result<std::vector<std::string>> SimBackend::holders(std::string_view name) {
  auto snap = read_snapshot();
  if (!snap) return std::move(snap).take_error();
  auto m = find_loaded(*snap, name);
  if (!m) return std::move(m).take_error();
  return listed_holders(*snap, name);
}

// As libkmod reads them: the entries of sys/module/<name>/holders in
// directory order (a real kernel's sysfs order is its own too), so that
// kmod's lsmod over the state, bound on /sys/module, lists them as kmodx's
// does. The state's list stands in if the directory cannot be read.
std::vector<std::string> SimBackend::listed_holders(const Snapshot& s, std::string_view name) const {
  SysfsState sysfs(dir_.file("proc/modules"), dir_.file("sys/module"));
  if (auto listed = sysfs.holders(name)) return std::move(*listed);
  return s.state.holders_of(name);
}

Result<long> SimBackend::size(std::string_view name) {
  auto snap = read_snapshot();
  if (!snap) return std::move(snap).take_error();
  auto m = find_loaded(*snap, name);
  if (!m) return std::move(m).take_error();
  return (*m)->size;
}

Result<std::vector<ProcModule>> SimBackend::loaded_modules() {
  auto snap = read_snapshot();
  if (!snap) return std::move(snap).take_error();
  std::vector<ProcModule> out;
  for (const SimModule& m : snap->state.modules) {
    ProcModule p;
    p.name = m.name;
    p.size = m.size;
    p.refcnt = sim_refcnt(snap->state, m, snap->busy);
    for (const std::string& h : snap->state.holders_of(m.name)) p.holders += h + ",";
    if (m.has_init && !m.has_exit) p.holders += "[permanent],";
    if (p.holders.empty()) p.holders = "-";
    p.state = m.coming ? "Loading" : "Live";
    out.push_back(std::move(p));
  }
  return out;
}

// One locked read of the state for all modules, with the answers the
// per-module queries give.
Result<std::vector<ModuleStatus>> SimBackend::module_statuses() {
  auto snap = read_snapshot();
  if (!snap) return std::move(snap).take_error();
  std::vector<ModuleStatus> out;
  out.reserve(snap->state.modules.size());
  for (const SimModule& m : snap->state.modules)
    out.push_back(ModuleStatus{m.name, m.size, sim_refcnt(snap->state, m, snap->busy), listed_holders(*snap, m.name)});
  return out;
}

}  // namespace kmodx::loader

namespace kmodx {

Result<std::unique_ptr<LoaderBackend>> open_sim_backend(const std::string& state_dir, const std::string& module_dir,
                                                        DiagnosticSink& sink) {
  auto dir = loader::SimStateDir::open(state_dir);
  if (!dir) return std::move(dir).take_error();
  // A simulated kernel keeps the module directory (and so the release) it
  // was first opened with: insmod, rmmod and lsmod have no -d/-S and would
  // otherwise simulate the host's release.
  std::string recorded_path = dir->file("module-dir");
  std::string effective = module_dir;
  auto recorded = read_text_file(recorded_path);
  if (recorded && !recorded->empty()) {
    effective = recorded->substr(0, recorded->find('\n'));
  } else if (!recorded && recorded.error().code != ENOENT) {
    return std::move(recorded).take_error();
  } else if (auto written = write_file_atomic(recorded_path, module_dir + "\n"); !written) {
    return std::move(written).take_error();
  }
  return std::unique_ptr<LoaderBackend>(std::make_unique<loader::SimBackend>(std::move(*dir), effective, sink));
}

}  // namespace kmodx
