// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// KMODX_API marks what libkmodx.so exports: the declarations of the public
/// headers. The library is built with hidden visibility, so everything else
/// (the code under src/) stays internal to it and out of its ABI.
///
/// Thread safety: a macro, nothing to share.

#if defined(__GNUC__)
#define KMODX_API __attribute__((visibility("default")))
#else
#define KMODX_API
#endif
