// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Several probes carried out at once (`modprobe -a --parallel`): the steps
/// of all their plans (plan_probe()) become one dependency graph, each
/// module once; a module is handed to a backend when every module it depends
/// on, and every softdep that a sequential run would load before it, has
/// finished; a module whose hard dependency failed is skipped, and so are
/// its own dependents. Independent modules load concurrently, on up to
/// `jobs` threads, each with a backend of its own.
///
/// What a sequential run would print comes out in its order all the same:
/// every step's print hook call and messages are recorded, and replayed when
/// all is done, in the order probe_module() on each request in turn would
/// have produced them; each request's result is what that run would have
/// returned. Differences, by design: a module that failed is tried once
/// (a sequential run tries it again for each later request that needs it;
/// the replay repeats its record instead), and the modules of a request
/// that its failed step does not need may be loaded (a sequential run stops
/// at the first failure in plan order).
///
/// Install commands (a shell, with a changed environment) are not run
/// concurrently: plans with an install step must go through execute_probe().
///
/// Thread safety: call from one thread. The resolver, hooks and sink are
/// used from that thread only; backends come from the factory, one per
/// worker thread, and are used by that thread only.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "kmodx/export.hpp"
#include "kmodx/probe.hpp"

namespace kmodx {

struct KMODX_API ParallelRequest {
  ModuleId target = 0;
  /// The plan, or nullopt when there is nothing to carry out: then the
  /// result is \p settled (e.g. the target was in the kernel already, or
  /// the argument named nothing).
  std::optional<ProbePlan> plan;
  int settled = 0;
};

/// Opens a backend for one worker thread; messages of that backend go to
/// \p sink. Called on the worker's thread.
using BackendFactory = std::function<Result<std::unique_ptr<LoaderBackend>>(DiagnosticSink& sink)>;

/// Whether any plan has a step that must not run concurrently (an install
/// command).
KMODX_API bool needs_sequential_probe(const std::vector<ParallelRequest>& requests);

/// Carries out \p requests (none may need a sequential probe) on up to
/// \p jobs threads, then replays their output in sequential order, calling
/// \p on_result with each request's index and result (0, or the errno of the
/// error probe_module() would return, negated) right after that request's
/// own output.
KMODX_API void execute_probes_parallel(const std::vector<ParallelRequest>& requests, ModuleResolver& resolver,
                             const BackendFactory& backends, unsigned jobs, const ProbeFlags& flags,
                             const ProbeHooks& hooks, DiagnosticSink& sink,
                             const std::function<void(std::size_t, int)>& on_result);

}  // namespace kmodx
