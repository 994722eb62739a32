# `cmake --install` of this build tree into a scratch prefix, then a separate project that
# finds it with find_package(structql CONFIG REQUIRED), builds and runs, and a program of it
# that includes <structql/postgresql.hpp> and links structql::postgresql.
#
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<top build dir> -DWORK_DIR=<scratch>
#         -DCXX=<c++ compiler> -DGENERATOR=<generator> -P install_test.cmake
cmake_minimum_required(VERSION 3.20)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
sq_require_definitions(SOURCE_DIR BUILD_DIR WORK_DIR CXX GENERATOR)
sq_header_version("${SOURCE_DIR}" version)

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
sq_run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

# Every header of include/structql is installed, and nothing else under include/.
file(GLOB_RECURSE source_headers RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/*.hpp")
file(GLOB_RECURSE installed_files RELATIVE "${prefix}/include" "${prefix}/include/*")
list(SORT source_headers)
list(SORT installed_files)
if(NOT source_headers STREQUAL installed_files)
  message(FATAL_ERROR "installed headers differ from include/:\n  source:    ${source_headers}\n"
                      "  installed: ${installed_files}")
endif()

# The package files, where docs/installing.md says they are (GNUInstallDirs' libdir is `lib`
# for any prefix but /usr).
# This build found libpq (the tests need it): the postgresql component is installed and a
# consumer of <structql/postgresql.hpp> builds against structql::postgresql.
sq_check_package_dir("${prefix}/lib/cmake/structql" "${version}" POSTGRESQL)

sq_build_consumer("${prefix}" "${WORK_DIR}/consumer-build" "${version}" POSTGRESQL)
file(REMOVE_RECURSE "${WORK_DIR}")
