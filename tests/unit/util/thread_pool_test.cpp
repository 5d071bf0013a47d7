// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/thread_pool.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using kmodx::ThreadPool;

TEST_CASE("ThreadPool: every task runs once, each writing its own slot", "[util][threads]") {
  for (unsigned threads : {1u, 2u, 4u}) {
    ThreadPool pool(threads);
    std::vector<int> slots(500, 0);
    for (std::size_t i = 0; i < slots.size(); ++i) pool.submit([&slots, i] { slots[i] += static_cast<int>(i); });
    std::size_t last_finished = 0, last_submitted = 0;
    pool.wait([&](std::size_t finished, std::size_t submitted) {
      CHECK(finished >= last_finished);  // progress never goes back
      last_finished = finished;
      last_submitted = submitted;
    });
    CHECK(last_finished == 500);
    CHECK(last_submitted == 500);
    for (std::size_t i = 0; i < slots.size(); ++i) CHECK(slots[i] == static_cast<int>(i));
  }
}

TEST_CASE("ThreadPool: a one-thread pool runs everything on the caller, in queue order", "[util][threads]") {
  ThreadPool pool(1);
  std::vector<int> order;
  const auto caller = std::this_thread::get_id();
  std::set<std::thread::id> ran_on;
  for (int i = 0; i < 3; ++i) pool.submit([&, i] { order.push_back(i); ran_on.insert(std::this_thread::get_id()); });
  pool.submit([&] { order.push_back(-1); }, true);  // first
  pool.wait();
  CHECK(order == std::vector<int>{-1, 0, 1, 2});
  CHECK(ran_on == std::set<std::thread::id>{caller});
}

TEST_CASE("ThreadPool: tasks may queue tasks, and take one back without deadlock", "[util][threads]") {
  ThreadPool pool(2);
  std::atomic<int> leaves{0};
  std::atomic<int> halves{0};
  // A tree of tasks, each queuing its children (as depmod -A's walk does).
  std::function<void(int)> node = [&](int depth) {
    if (depth == 0) {
      ++leaves;
      return;
    }
    for (int c = 0; c < 3; ++c) pool.submit([&, depth] { node(depth - 1); }, true);
  };
  pool.submit([&] { node(5); });
  // Tasks that hand half of their work to the pool and wait for it (as the
  // modules.dep lines do); with every thread doing so, each must be able to
  // take its half back.
  for (int i = 0; i < 8; ++i)
    pool.submit([&] {
      ThreadPool::Handle half = pool.submit([&] { ++halves; }, true);
      ++halves;
      pool.run_or_wait(half);
    });
  pool.wait();
  CHECK(leaves == 243);
  CHECK(halves == 16);
}

TEST_CASE("ThreadPool: discard drops what no thread started; after wait, submits run in the next wait",
          "[util][threads]") {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1);  // no workers: nothing starts before wait()
    for (int i = 0; i < 10; ++i) pool.submit([&] { ++ran; });
    pool.discard();
    CHECK(ran == 0);
    ThreadPool::Handle dropped = pool.submit([&] { ++ran; });
    pool.wait();
    CHECK(ran == 1);
    pool.run_or_wait(dropped);  // finished: returns at once
    CHECK(ran == 1);
  }
  {
    ThreadPool pool(3);
    pool.wait();
    for (int i = 0; i < 5; ++i) pool.submit([&] { ++ran; });
    pool.wait();  // the workers are gone: the caller runs them
    CHECK(ran == 6);
  }
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.submit([&] { ++ran; });
  }  // destroyed without wait(): whatever ran, ran once; nothing hangs
  CHECK(ran <= 106);
}
