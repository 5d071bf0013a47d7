// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <system_error>

namespace kmodx {

struct ThreadPool::Task {
  std::function<void()> work;
  std::atomic<bool> claimed{false};
  bool finished = false;  // under the pool's mutex
};

ThreadPool::ThreadPool(unsigned threads)
    : threads_(threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads) {
  // A thread that cannot be started only means fewer workers: the caller
  // runs the rest in wait().
  try {
    for (unsigned t = 1; t < threads_; ++t) workers_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
  }
}

ThreadPool::~ThreadPool() { discard(); }

ThreadPool::Handle ThreadPool::submit(std::function<void()> work, bool first) {
  auto task = std::make_shared<Task>();
  task->work = std::move(work);
  {
    std::lock_guard lock(mutex_);
    if (first) queue_.push_front(task);
    else queue_.push_back(task);
    ++submitted_;
  }
  ready_.notify_one();
  done_.notify_all();  // a caller in wait() may take it
  return task;
}

bool ThreadPool::claim(Task& task) {
  bool expected = false;
  return task.claimed.compare_exchange_strong(expected, true);
}

ThreadPool::Handle ThreadPool::take_locked() {
  while (!queue_.empty()) {
    Handle task = std::move(queue_.front());
    queue_.pop_front();
    if (claim(*task)) return task;  // else run_or_wait() took it back
  }
  return nullptr;
}

void ThreadPool::run(Task& task) {
  task.work();
  task.work = nullptr;  // what it captured goes now, on this thread
  {
    std::lock_guard lock(mutex_);
    task.finished = true;
    ++finished_;
  }
  done_.notify_all();
}

void ThreadPool::run_or_wait(const Handle& task) {
  if (claim(*task)) {
    run(*task);  // its queue entry is skipped when reached
    return;
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return task->finished; });
}

void ThreadPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
    Handle task = take_locked();
    if (!task) {
      if (closed_) return;
      continue;
    }
    lock.unlock();
    run(*task);
    lock.lock();
  }
}

void ThreadPool::wait(const std::function<void(std::size_t, std::size_t)>& tick) {
  std::unique_lock lock(mutex_);
  auto report = [&] {
    if (!tick) return;
    const std::size_t finished = finished_, submitted = submitted_;
    lock.unlock();
    tick(finished, submitted);
    lock.lock();
  };
  // Tasks may queue more tasks: help while any is queued, else wait.
  for (;;) {
    if (Handle task = take_locked()) {
      lock.unlock();
      run(*task);
      lock.lock();
      report();
      continue;
    }
    if (finished_ == submitted_) break;
    if (!done_.wait_for(lock, std::chrono::milliseconds(100),
                        [&] { return finished_ == submitted_ || !queue_.empty(); }))
      report();
  }
  report();
  lock.unlock();
  join();
}

void ThreadPool::discard() {
  std::deque<Handle> dropped;
  {
    std::lock_guard lock(mutex_);
    for (const Handle& task : queue_)
      if (claim(*task)) {  // never runs
        task->finished = true;
        ++finished_;
      }
    dropped.swap(queue_);
  }
  done_.notify_all();
  join();
  // What the dropped tasks captured goes here, outside the lock.
}

void ThreadPool::join() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
  workers_.clear();  // jthreads join
}

}  // namespace kmodx
