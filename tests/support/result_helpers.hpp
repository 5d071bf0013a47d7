// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Small helpers for checking kmodx::Result values in Catch2 tests.

#include <cstring>
#include <string>

#include "kmodx/result.hpp"

namespace kmodx::test {

/// "ok" or "<errno name-ish>(<code>): <detail>", for INFO().
template <class T>
std::string describe(const Result<T>& r) {
  if (r.ok()) return "ok";
  return std::string(std::strerror(r.error().code)) + " (" + std::to_string(r.error().code) +
         "): " + r.error().detail;
}

/// Error code of \p r, or 0 when it succeeded.
template <class T>
int error_code(const Result<T>& r) {
  return r.ok() ? 0 : r.error().code;
}

}  // namespace kmodx::test

/// REQUIRE that a Result succeeded, showing its error otherwise.
#define KMODX_REQUIRE_OK(expr)                        \
  do {                                                \
    const auto& kmodx_r_ = (expr);                    \
    INFO(::kmodx::test::describe(kmodx_r_));          \
    REQUIRE(kmodx_r_.ok());                           \
  } while (0)

/// CHECK that a Result failed with errno \p code, showing what it gave.
#define KMODX_CHECK_ERRNO(expr, code)                  \
  do {                                                 \
    const auto& kmodx_r_ = (expr);                     \
    INFO(::kmodx::test::describe(kmodx_r_));           \
    CHECK(::kmodx::test::error_code(kmodx_r_) == (code)); \
  } while (0)
