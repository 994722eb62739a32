# Configures tests/distribution/subproject, which takes StructQL in with FetchContent (and so
# add_subdirectory) from this checkout; the subproject itself checks that structql::structql
# exists and that StructQL's tests, examples, benchmarks and install rules stay off. Configure
# only: compiling against structql::structql from the source tree is what every unit test does.
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -DCXX=<c++ compiler> -DGENERATOR=<generator>
#         -P subproject_test.cmake
cmake_minimum_required(VERSION 3.20)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
sq_require_definitions(SOURCE_DIR WORK_DIR CXX GENERATOR)
file(REMOVE_RECURSE "${WORK_DIR}")
sq_run("configuring a project that uses FetchContent(SOURCE_DIR this checkout)"
  ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/distribution/subproject" -B "${WORK_DIR}"
    -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DSTRUCTQL_SOURCE_DIR=${SOURCE_DIR}")
file(REMOVE_RECURSE "${WORK_DIR}")
