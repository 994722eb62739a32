# Compiles tests/distribution/consumer/main.cpp against single_include/structql.hpp with one
# compiler and nothing else from this repository: -I<single_include>, -lsqlite3, Boost from the
# system's include path; warnings are errors. Then runs it. With -DSEPARATE=ON the program is
# built with separate compilation instead (detail/linkage.hpp): main.cpp with
# STRUCTQL_SEPARATE_COMPILATION, linked with a second file that defines STRUCTQL_IMPLEMENTATION
# and includes the single header, as the README tells a user to do.
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -DCOMPILER=<g++ or clang++ path>
#         -DCOMPILER_ID=<GNU|Clang> -P single_header_test.cmake
cmake_minimum_required(VERSION 3.20)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
sq_require_definitions(SOURCE_DIR WORK_DIR COMPILER COMPILER_ID)
sq_header_version("${SOURCE_DIR}" version)

set(header "${SOURCE_DIR}/single_include/structql.hpp")
sq_require_exists("${header}")
file(STRINGS "${header}" internal REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]structql/")
if(internal)
  message(FATAL_ERROR "${header} still includes library headers: ${internal}")
endif()

set(flags -std=c++20 -Wall -Wextra -Wpedantic -Werror)
if(COMPILER_ID STREQUAL "GNU")
  # g++ 12 warns about members left out of designated initializers (as in the top-level
  # CMakeLists.txt's structql_warnings).
  list(APPEND flags -Wno-missing-field-initializers)
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
if(SEPARATE)
  file(WRITE "${WORK_DIR}/structql.cpp" "#define STRUCTQL_IMPLEMENTATION\n#include <structql.hpp>\n")
  sq_run("compiling with ${COMPILER}, separate compilation"
    "${COMPILER}" ${flags} -DSTRUCTQL_TEST_SINGLE_HEADER -DSTRUCTQL_SEPARATE_COMPILATION
      "-I${SOURCE_DIR}/single_include" "${SOURCE_DIR}/tests/distribution/consumer/main.cpp"
      "${WORK_DIR}/structql.cpp" -lsqlite3 -o "${WORK_DIR}/main")
else()
  sq_run("compiling with ${COMPILER}"
    "${COMPILER}" ${flags} -DSTRUCTQL_TEST_SINGLE_HEADER "-I${SOURCE_DIR}/single_include"
      "${SOURCE_DIR}/tests/distribution/consumer/main.cpp" -lsqlite3 -o "${WORK_DIR}/main")
endif()
sq_run("running the single-header program" "${WORK_DIR}/main")
if(NOT SQ_RUN_OUTPUT MATCHES "structql ${version}: ok")
  message(FATAL_ERROR "the program printed:\n${SQ_RUN_OUTPUT}")
endif()
message(STATUS "${COMPILER}: ${SQ_RUN_OUTPUT}")
file(REMOVE_RECURSE "${WORK_DIR}")
