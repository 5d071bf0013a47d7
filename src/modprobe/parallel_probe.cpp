// SPDX-License-Identifier: LGPL-2.1-or-later
#include "kmodx/parallel_probe.hpp"

#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>

namespace kmodx {
namespace {

// A message a step produced, kept for the replay.
struct Message {
  Severity severity;
  std::string site;  // empty: report(), else report_from()
  std::string text;
};

class RecordingSink final : public DiagnosticSink {
 public:
  std::vector<Message> messages;
  void report(Severity s, std::string_view m) override { messages.push_back({s, {}, std::string(m)}); }
  void report_from(Severity s, std::string_view site, std::string_view m) override {
    messages.push_back({s, std::string(site), std::string(m)});
  }
  void replay(DiagnosticSink& to) const {
    for (const Message& m : messages) {
      if (m.site.empty()) to.report(m.severity, m.text);
      else to.report_from(m.severity, m.site, m.text);
    }
  }
};

// A worker's backend writes to the sink of the node it is working on.
class ForwardingSink final : public DiagnosticSink {
 public:
  DiagnosticSink* to = nullptr;
  void report(Severity s, std::string_view m) override {
    if (to) to->report(s, m);
  }
  void report_from(Severity s, std::string_view site, std::string_view m) override {
    if (to) to->report_from(s, site, m);
  }
};

enum class Outcome { pending, in_kernel, done, skipped };

struct Node {
  ProbeStep step;     // its first occurrence in sequential order
  bool builtin = false;
  std::vector<std::size_t> hard;       // nodes it needs (modules.dep)
  std::vector<std::size_t> successors; // nodes waiting for it
  std::size_t waiting = 0;             // predecessors not finished
  Outcome outcome = Outcome::pending;
  int err = 0;
  bool printed = false;  // the print hook was due (it ran the step)
  RecordingSink log;
};

class Graph {
 public:
  Graph(const std::vector<ParallelRequest>& requests, ModuleResolver& resolver) {
    // Nodes in the order of their first step in the sequential run.
    for (const ParallelRequest& r : requests) {
      if (!r.plan) continue;
      for (const ProbeStep& step : r.plan->steps) {
        if (index_.count(step.module)) continue;
        index_[step.module] = nodes.size();
        Node n;
        n.step = step;
        n.builtin = resolver.is_builtin(step.module);
        nodes.push_back(std::move(n));
      }
    }
    // Edges only forward in that order: hard dependencies always are; a
    // softdep orders two modules as the sequential run does.
    auto edge = [&](std::size_t from, std::size_t to, bool hard) {
      if (from >= to) return;
      nodes[from].successors.push_back(to);
      ++nodes[to].waiting;
      if (hard) nodes[to].hard.push_back(from);
    };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const ModuleId m = nodes[i].step.module;
      std::set<std::size_t> hard;
      for (ModuleId d : resolver.dependencies(m))
        if (auto it = index_.find(d); it != index_.end()) hard.insert(it->second);
      for (std::size_t d : hard) edge(d, i, true);
      auto [pre, post] = resolver.softdeps(m);
      for (ModuleId s : pre)
        if (auto it = index_.find(s); it != index_.end() && !hard.count(it->second)) edge(it->second, i, false);
      for (ModuleId s : post)
        if (auto it = index_.find(s); it != index_.end()) edge(i, it->second, false);
    }
  }

  std::size_t of(ModuleId m) const { return index_.at(m); }
  std::vector<Node> nodes;

 private:
  std::map<ModuleId, std::size_t> index_;
};

class Runner {
 public:
  Runner(Graph& g, const BackendFactory& backends, const ProbeFlags& flags, const std::vector<std::string>& names)
      : g_(g), backends_(backends), flags_(flags), names_(names) {}

  void run(unsigned jobs) {
    for (std::size_t i = 0; i < g_.nodes.size(); ++i)
      if (g_.nodes[i].waiting == 0) ready_.push(i);
    left_ = g_.nodes.size();
    const unsigned n = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(g_.nodes.size())));
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < n; ++i) workers.emplace_back([this] { work(); });
    for (std::thread& t : workers) t.join();
  }

 private:
  void work() {
    ForwardingSink sink;
    std::unique_ptr<LoaderBackend> backend;
    std::optional<Error> open_error;
    for (;;) {
      std::size_t i = 0;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return !ready_.empty() || left_ == 0; });
        if (ready_.empty()) return;
        i = ready_.top();
        ready_.pop();
      }
      Node& node = g_.nodes[i];
      sink.to = &node.log;
      bool skip = false;
      for (std::size_t d : node.hard) {
        const Node& dep = g_.nodes[d];  // finished before this one was ready
        if (dep.outcome == Outcome::skipped || (dep.outcome == Outcome::done && dep.err < 0)) skip = true;
      }
      if (skip) {
        node.outcome = Outcome::skipped;
      } else {
        if (!backend && !open_error) {
          auto opened = backends_(sink);
          if (opened) backend = std::move(opened).value();
          else open_error = opened.error();
        }
        if (node.builtin || module_live(backend.get(), names_[i], node.log)) {
          node.outcome = Outcome::in_kernel;
        } else {
          node.printed = node.step.action != ProbeStep::Action::none;
          if (open_error) {
            node.log.report(Severity::error, open_error->detail);
            node.err = -open_error->code;
          } else {
            auto ran = run_probe_step(node.step, backend.get(), flags_, node.log);
            node.err = ran ? 0 : -ran.error().code;
          }
          node.outcome = Outcome::done;
        }
      }
      sink.to = nullptr;
      std::lock_guard lock(mutex_);
      for (std::size_t s : node.successors)
        if (--g_.nodes[s].waiting == 0) ready_.push(s);
      --left_;
      wake_.notify_all();
    }
  }

  Graph& g_;
  const BackendFactory& backends_;
  const ProbeFlags& flags_;
  const std::vector<std::string>& names_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Lowest sequential position first: with one job the order is the
  // sequential run's.
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready_;
  std::size_t left_ = 0;
};

}  // namespace

bool needs_sequential_probe(const std::vector<ParallelRequest>& requests) {
  for (const ParallelRequest& r : requests)
    if (r.plan)
      for (const ProbeStep& s : r.plan->steps)
        if (s.action == ProbeStep::Action::install) return true;
  return false;
}

void execute_probes_parallel(const std::vector<ParallelRequest>& requests, ModuleResolver& resolver,
                             const BackendFactory& backends, unsigned jobs, const ProbeFlags& flags,
                             const ProbeHooks& hooks, DiagnosticSink& sink,
                             const std::function<void(std::size_t, int)>& on_result) {
  Graph g(requests, resolver);
  std::vector<std::string> names;
  names.reserve(g.nodes.size());
  for (const Node& n : g.nodes) names.push_back(resolver.name(n.step.module));
  Runner(g, backends, flags, names).run(jobs);

  // The replay: execute_probe()'s loop for each request in turn, over what
  // the workers recorded. "Loaded" grows as the sequential run's kernel
  // would.
  std::set<std::size_t> loaded;
  auto in_kernel = [&](std::size_t i) {
    const Node& n = g.nodes[i];
    return n.outcome == Outcome::in_kernel || loaded.count(i) != 0;
  };
  for (std::size_t r = 0; r < requests.size(); ++r) {
    const ParallelRequest& req = requests[r];
    if (!req.plan) {
      on_result(r, req.settled);
      continue;
    }
    // probe_module(): a target the earlier requests loaded is not planned.
    if (!flags.ignore_loaded && req.plan->blacklisted == ProbePlan::Blacklisted::no && !req.plan->steps.empty()) {
      bool target_in = false;
      for (const ProbeStep& s : req.plan->steps)
        if (s.module == req.target) target_in = in_kernel(g.of(s.module));
      if (target_in) {
        on_result(r, flags.first_time ? -EEXIST : 0);
        continue;
      }
    }
    int err = 0;
    if (req.plan->blacklisted == ProbePlan::Blacklisted::no) {
      for (const ProbeStep& step : req.plan->steps) {
        const std::size_t i = g.of(step.module);
        Node& n = g.nodes[i];
        if (in_kernel(i)) {
          err = -EEXIST;
        } else if (n.outcome == Outcome::skipped) {
          err = -ENOENT;  // what loading it without its dependency would give
        } else {
          if (hooks.print && n.printed) hooks.print(step);
          n.log.replay(sink);
          err = n.err;
          if (err == 0) loaded.insert(i);
        }
        if (err == -EEXIST && step.is_target && flags.first_time) break;
        if (err == -EEXIST || !step.required) err = 0;
        else if (err < 0) break;
      }
    }
    on_result(r, err);
  }
}

}  // namespace kmodx
