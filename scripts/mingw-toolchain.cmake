# CMake toolchain file: cross-compile for 64-bit Windows with Debian's mingw-w64.
#   cmake -DCMAKE_TOOLCHAIN_FILE=scripts/mingw-toolchain.cmake ...
# Extra search root: $OPENDO_DEPS_PREFIX if set (scripts/build-deps.sh sets it to its staging
# prefix), else the repo's build/deps.  An environment variable is used on purpose: CMake
# re-reads this file for every try_compile project, where -D cache variables are not visible.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_opendo_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER   ${_opendo_triple}-gcc)
set(CMAKE_CXX_COMPILER ${_opendo_triple}-g++)
set(CMAKE_RC_COMPILER  ${_opendo_triple}-windres)
find_program(_opendo_ar     NAMES ${_opendo_triple}-ar     REQUIRED)
find_program(_opendo_ranlib NAMES ${_opendo_triple}-ranlib REQUIRED)
set(CMAKE_AR     "${_opendo_ar}"     CACHE FILEPATH "Archiver")
set(CMAKE_RANLIB "${_opendo_ranlib}" CACHE FILEPATH "Ranlib")

if(DEFINED ENV{OPENDO_DEPS_PREFIX} AND NOT "$ENV{OPENDO_DEPS_PREFIX}" STREQUAL "")
  set(_opendo_prefix "$ENV{OPENDO_DEPS_PREFIX}")
else()
  get_filename_component(_opendo_prefix "${CMAKE_CURRENT_LIST_DIR}/../build/deps" ABSOLUTE)
endif()
set(CMAKE_FIND_ROOT_PATH /usr/${_opendo_triple} "${_opendo_prefix}")

# Host programs (tclsh, perl...) from the build machine; libraries, headers and CMake packages
# only from the target roots, never from the host's /usr/lib.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
