# Cross-compiles with `zig cc` / `zig c++` for one Linux target (issue 15). Zig brings the target's
# libc headers and stubs (musl, or glibc at a chosen version) and its own libc++, so no sysroot is
# needed. scripts/build-cross drives it and passes:
#   KOP_ZIG_TARGET  the Zig target triple: x86_64-linux-musl, aarch64-linux-musl,
#                   x86_64-linux-gnu.2.28, aarch64-linux-gnu.2.28
#   KOP_ZIG_BIN     a directory holding the wrappers cc, c++, ar and ranlib that run zig for it
#   KOP_DEPS_PREFIX the prefix holding the target's static dependencies (abseil, protobuf-lite,
#                   zstd, lz4, snappy, zlib); left empty while those dependencies are being built
# They are cache variables, and the try_compile projects CMake runs inherit them.
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KOP_ZIG_TARGET KOP_ZIG_BIN KOP_DEPS_PREFIX)
if(NOT KOP_ZIG_TARGET OR NOT KOP_ZIG_BIN)
  message(FATAL_ERROR "zig.cmake needs -DKOP_ZIG_TARGET=<triple> and -DKOP_ZIG_BIN=<dir>")
endif()

set(CMAKE_SYSTEM_NAME Linux)
string(REGEX MATCH "^[^-]+" CMAKE_SYSTEM_PROCESSOR "${KOP_ZIG_TARGET}")
set(CMAKE_C_COMPILER "${KOP_ZIG_BIN}/cc")
set(CMAKE_CXX_COMPILER "${KOP_ZIG_BIN}/c++")
set(CMAKE_AR "${KOP_ZIG_BIN}/ar" CACHE FILEPATH "zig ar")
set(CMAKE_RANLIB "${KOP_ZIG_BIN}/ranlib" CACHE FILEPATH "zig ranlib")

# Libraries, headers and CMake packages come only from the target's prefix, never from the build
# machine's /usr (those are Debian's glibc x86-64 builds); programs (protoc, python3) do come from
# the build machine.
if(KOP_DEPS_PREFIX)
  set(CMAKE_FIND_ROOT_PATH "${KOP_DEPS_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
