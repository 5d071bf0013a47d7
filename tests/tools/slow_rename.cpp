// SPDX-License-Identifier: LGPL-2.1-or-later
// LD_PRELOAD shim for tests/cli/depmod-crash.py: every renameat() waits
// KMODX_SLOW_RENAME_US microseconds (default 3000) before doing its work, so
// that the few milliseconds in which depmod moves its finished files into
// place become wide enough to be hit by a kill at a random moment.

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

extern "C" int renameat(int old_dir, const char* old_path, int new_dir, const char* new_path) {
  using Fn = int (*)(int, const char*, int, const char*);
  static const Fn real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "renameat"));
  static const long wait_us = [] {
    const char* env = std::getenv("KMODX_SLOW_RENAME_US");
    return env != nullptr ? std::atol(env) : 3000L;
  }();
  ::usleep(static_cast<useconds_t>(wait_us));
  return real(old_dir, old_path, new_dir, new_path);
}
