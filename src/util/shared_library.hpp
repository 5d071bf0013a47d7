// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// Libraries that only some calls need (libcrypto for signatures, libzstd,
// liblzma and zlib for compressed modules) are opened with dlopen() when
// first needed, not by the dynamic loader at every start: `modprobe -R` or
// `modinfo -F filename` never decode a signature or a compressed file, and
// loading and relocating libcrypto alone costs as much as the rest of such a
// call (kmod 34 does the same for the same reason).
//
// Each user keeps a table of the functions it calls, bound once, from an
// X-macro list of their names:
//
//     #define ZSTD_FUNCTIONS(X) X(ZSTD_createDCtx) X(ZSTD_freeDCtx) ...
//     KMODX_LIBRARY_API(ZstdApi, zstd_api, KMODX_ZSTD_SONAME, ZSTD_FUNCTIONS)
//
// defines `struct ZstdApi` with a pointer member per function and
// `const Result<ZstdApi>& zstd_api()`, which opens and binds on its first
// call; the user then calls zstd_api()->ZSTD_createDCtx(). decltype() of a declared
// function does not make the linker want it, so the libraries' own headers
// give the types. The SONAMEs come from the build (CMakeLists.txt reads them
// from the libraries found there). Thread safety: open() may be
// called from several threads (dlopen is); bind_library's function-local
// static makes each table's binding happen once.

#include <dlfcn.h>

#include <cerrno>
#include <string>

#include "kmodx/result.hpp"

namespace kmodx {

class SharedLibrary {
 public:
  /// dlopen(\p soname, RTLD_LAZY | RTLD_LOCAL), never closed. The error is
  /// ELIBACC with dlerror()'s text.
  static Result<SharedLibrary> open(const char* soname) {
    void* handle = ::dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      return make_error(ELIBACC, std::string("cannot load ") + soname + ": " + (why ? why : "unknown error"));
    }
    return SharedLibrary(handle, soname);
  }

  /// Points \p fn at the library's \p name; false (and missing() names it)
  /// when the library has no such symbol.
  template <class Fn>
  bool bind(Fn*& fn, const char* name) {
    fn = reinterpret_cast<Fn*>(::dlsym(handle_, name));
    if (fn == nullptr && missing_.empty()) missing_ = name;
    return fn != nullptr;
  }

  const char* soname() const { return soname_; }
  const std::string& missing() const { return missing_; }

 private:
  SharedLibrary(void* handle, const char* soname) : handle_(handle), soname_(soname) {}
  void* handle_;
  const char* soname_;
  std::string missing_;
};

/// A table member for library function \p f, and its binding (see above).
#define KMODX_API_MEMBER(f) decltype(&::f) f;
#define KMODX_API_BIND(f) &&lib.bind(api.f, #f)

/// The table type \p Api of the functions \p LIST names and its accessor
/// \p accessor (see above).
#define KMODX_LIBRARY_API(Api, accessor, soname, LIST)                                                   \
  struct Api {                                                                                            \
    LIST(KMODX_API_MEMBER)                                                                                \
  };                                                                                                      \
  const ::kmodx::Result<Api>& accessor() {                                                                \
    static const ::kmodx::Result<Api> table = ::kmodx::bind_library<Api>(                                \
        soname, [](::kmodx::SharedLibrary& lib, Api& api) { return true LIST(KMODX_API_BIND); });        \
    return table;                                                                                         \
  }

/// Opens \p soname and fills an \p Api table with \p binder(library, table),
/// which returns whether every symbol was found.
template <class Api, class Binder>
Result<Api> bind_library(const char* soname, Binder binder) {
  auto lib = SharedLibrary::open(soname);
  if (!lib) return std::move(lib).take_error();
  Api api{};
  if (!binder(*lib, api))
    return make_error(ELIBACC, std::string(soname) + " has no symbol " + lib->missing());
  return api;
}

}  // namespace kmodx
