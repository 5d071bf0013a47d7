// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Errors as values. Every library function that can fail on bad input returns
/// Result<T>. The error carries an errno value, because the tools must print
/// exactly the strerror() text kmod prints, plus a detail string that names the
/// file, section and offset for humans and tests.
///
/// Thread safety: plain values.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "kmodx/export.hpp"

namespace kmodx {

struct KMODX_API Error {
  int code = 0;        ///< errno value (EINVAL, ENOEXEC, ...), as kmod reports it
  std::string detail;  ///< "<file>: section '.modinfo' at 0x40: runs past end of file"
};

inline Error make_error(int code, std::string detail) { return Error{code, std::move(detail)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error take_error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(failed_); return err_; }
  Error take_error() && { assert(failed_); return std::move(err_); }

 private:
  Error err_;
  bool failed_ = false;
};

}  // namespace kmodx
