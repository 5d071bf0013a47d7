// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The one pool of worker threads: depmod's module reading and its output
// rendering both run on it.
//
// A pool of N threads starts N - 1 workers; the thread that waits for the
// work is the N-th and runs queued tasks itself meanwhile, so a pool of one
// thread runs everything on the caller and a pool whose workers could not
// be started (a tight task limit) still finishes. Results never depend on
// which thread ran a task: each task writes only its own slot.
//
// A task taken back with run_or_wait() runs at once on the caller unless a
// worker already started it, so a task may hand half of its work to the
// pool and wait for it without deadlock.
//
// Thread safety: submit() and run_or_wait() may be called from any thread,
// tasks included; wait(), discard() and the destructor from the owner only.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kmodx {

class ThreadPool {
 public:
  struct Task;
  using Handle = std::shared_ptr<Task>;

  /// \p threads counts the caller; 0 means one per online CPU.
  explicit ThreadPool(unsigned threads);
  /// Drops what no thread started and joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Threads in all, the caller included.
  unsigned threads() const { return threads_; }

  /// Queues \p work at the back, or at the front when \p first.
  Handle submit(std::function<void()> work, bool first = false);

  /// Runs \p task here if no thread has started it, else waits until it
  /// has finished (or discard() dropped it).
  void run_or_wait(const Handle& task);

  /// Runs queued tasks on this thread until none is left, then waits for
  /// the workers' last ones, calling \p tick (if any) after each task run
  /// here and every 100 ms while waiting; then ends the workers, so that
  /// their per-thread memory goes before the caller goes on.
  void wait(const std::function<void(std::size_t finished, std::size_t submitted)>& tick = {});

  /// Drops the queued tasks, waits for the running ones and ends the workers.
  void discard();

  // After wait() or discard() the pool has no workers: what is submitted
  // then runs in the next wait(), on the caller.

 private:
  /// Takes the next task not yet claimed; null once the queue is empty.
  Handle take_locked();
  static bool claim(Task& task);
  void run(Task& task);
  void work();
  void join();

  unsigned threads_;
  std::mutex mutex_;
  std::condition_variable ready_;  // a task was queued, or the pool closes
  std::condition_variable done_;   // a task finished, or one was queued (for wait())
  std::deque<Handle> queue_;
  std::size_t submitted_ = 0, finished_ = 0;
  bool closed_ = false;
  std::vector<std::jthread> workers_;
};

}  // namespace kmodx
