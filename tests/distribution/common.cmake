# Helpers shared by the distribution test scripts (run with `cmake -P`, see CMakeLists.txt).

# sq_require_definitions(<var>...): the script was run with -D<var>=... for each.
macro(sq_require_definitions)
  foreach(_sq_var ${ARGN})
    if(NOT DEFINED ${_sq_var})
      get_filename_component(_sq_script "${CMAKE_SCRIPT_MODE_FILE}" NAME)
      message(FATAL_ERROR "${_sq_script} needs -D${_sq_var}=...")
    endif()
  endforeach()
endmacro()

# sq_run(<what> <command> [args...]): runs the command; on failure prints its output and stops.
function(sq_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n  ${ARGN}\n${out}")
  endif()
  set(SQ_RUN_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

# sq_require_exists(<path>): stops with "missing: <path>" unless it exists.
macro(sq_require_exists path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "missing: ${path}")
  endif()
endmacro()

# sq_header_version(<source dir> <out var>): STRUCTQL_VERSION_STRING from version.hpp.
function(sq_header_version source_dir out)
  file(STRINGS "${source_dir}/include/structql/version.hpp" line
       REGEX "#define STRUCTQL_VERSION_STRING")
  string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" version "${line}")
  if(NOT version)
    message(FATAL_ERROR "no STRUCTQL_VERSION_STRING in ${source_dir}/include/structql/version.hpp")
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

# sq_check_package_dir(<config dir> <version> [POSTGRESQL]): the three package files are there,
# only structql::structql is exported (never the internal structql_warnings), no absolute path
# into the build machine's trees is baked in, and the version file says SameMajorVersion. With
# POSTGRESQL, structqlPostgreSQLTargets.cmake must be there too; when it is, it defines
# structql::postgresql as structql::structql plus PostgreSQL::PostgreSQL and nothing else.
function(sq_check_package_dir dir version)
  foreach(f structqlConfig.cmake structqlConfigVersion.cmake structqlTargets.cmake)
    sq_require_exists("${dir}/${f}")
  endforeach()
  file(READ "${dir}/structqlTargets.cmake" targets)
  if(NOT targets MATCHES "add_library\\(structql::structql INTERFACE IMPORTED\\)")
    message(FATAL_ERROR "${dir}/structqlTargets.cmake does not define structql::structql")
  endif()
  if(targets MATCHES "structql_warnings|structql::postgresql")
    message(FATAL_ERROR "${dir}/structqlTargets.cmake exports more than structql::structql")
  endif()
  if("POSTGRESQL" IN_LIST ARGN)
    sq_require_exists("${dir}/structqlPostgreSQLTargets.cmake")
  endif()
  if(EXISTS "${dir}/structqlPostgreSQLTargets.cmake")
    file(READ "${dir}/structqlPostgreSQLTargets.cmake" pg_targets)
    if(NOT pg_targets MATCHES "add_library\\(structql::postgresql INTERFACE IMPORTED\\)" OR
       NOT pg_targets MATCHES "INTERFACE_LINK_LIBRARIES \"structql::structql;PostgreSQL::PostgreSQL\"" OR
       pg_targets MATCHES "structql_warnings")
      message(FATAL_ERROR "${dir}/structqlPostgreSQLTargets.cmake does not define structql::postgresql as "
                          "structql::structql + PostgreSQL::PostgreSQL:\n${pg_targets}")
    endif()
  endif()
  file(GLOB files "${dir}/*.cmake")
  foreach(f IN LISTS files)
    file(READ "${f}" text)
    foreach(forbidden IN ITEMS "${SOURCE_DIR}" "${WORK_DIR}")
      string(FIND "${text}" "${forbidden}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "${f} holds the absolute path ${forbidden}: not relocatable")
      endif()
    endforeach()
  endforeach()
  # The version file, evaluated the way find_package does.
  string(REGEX MATCH "^[0-9]+" major "${version}")
  math(EXPR next_major "${major} + 1")
  foreach(request_and_expected IN ITEMS "${version}=TRUE" "${major}.0=TRUE" "${next_major}.0=FALSE")
    string(REPLACE "=" ";" pair "${request_and_expected}")
    list(GET pair 0 PACKAGE_FIND_VERSION)
    list(GET pair 1 expected)
    string(REPLACE "." ";" parts "${PACKAGE_FIND_VERSION}")
    list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
    set(PACKAGE_VERSION_UNSUITABLE FALSE)
    set(CMAKE_SIZEOF_VOID_P 4)  # header-only: a 32-bit consumer may use it too
    include("${dir}/structqlConfigVersion.cmake")
    if(PACKAGE_VERSION_UNSUITABLE)
      message(FATAL_ERROR "structqlConfigVersion.cmake is not ARCH_INDEPENDENT")
    endif()
    if(NOT PACKAGE_VERSION STREQUAL version)
      message(FATAL_ERROR "structqlConfigVersion.cmake says ${PACKAGE_VERSION}, version.hpp ${version}")
    endif()
    if((PACKAGE_VERSION_COMPATIBLE AND NOT expected) OR (NOT PACKAGE_VERSION_COMPATIBLE AND expected))
      message(FATAL_ERROR "structqlConfigVersion.cmake: a request for ${PACKAGE_FIND_VERSION} "
                          "gives COMPATIBLE=${PACKAGE_VERSION_COMPATIBLE}, expected ${expected}")
    endif()
  endforeach()
endfunction()

# sq_build_consumer(<prefix> <build dir> <version> [POSTGRESQL]): configures
# tests/distribution/consumer with CMAKE_PREFIX_PATH=<prefix> (and nothing else pointing at
# StructQL), builds it, runs it, and checks that find_package took the package from <prefix>.
# With POSTGRESQL the consumer also finds the postgresql component and builds and runs
# main_postgresql, linked with structql::postgresql.
function(sq_build_consumer prefix build_dir version)
  set(postgresql OFF)
  if("POSTGRESQL" IN_LIST ARGN)
    set(postgresql ON)
  endif()
  file(REMOVE_RECURSE "${build_dir}")
  sq_run("configuring the consumer against ${prefix}"
    ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/distribution/consumer" -B "${build_dir}"
      -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${prefix}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DSTRUCTQL_CONSUMER_POSTGRESQL=${postgresql})
  file(STRINGS "${build_dir}/CMakeCache.txt" dir_line REGEX "^structql_DIR:")
  string(REGEX REPLACE "^[^=]*=" "" found_dir "${dir_line}")
  file(REAL_PATH "${found_dir}" found_dir)
  file(REAL_PATH "${prefix}" real_prefix)
  string(FIND "${found_dir}/" "${real_prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "find_package(structql) used ${found_dir}, not the package under ${prefix}")
  endif()
  sq_run("building the consumer" ${CMAKE_COMMAND} --build "${build_dir}")
  sq_run("running the consumer" "${build_dir}/main")
  if(NOT SQ_RUN_OUTPUT MATCHES "structql ${version}: ok")
    message(FATAL_ERROR "the consumer printed:\n${SQ_RUN_OUTPUT}")
  endif()
  message(STATUS "consumer built against ${found_dir}: ${SQ_RUN_OUTPUT}")
  if(postgresql)
    sq_run("running the PostgreSQL consumer" "${build_dir}/main_postgresql")
    if(NOT SQ_RUN_OUTPUT MATCHES "structql ${version} with libpq [0-9]+: postgresql ok")
      message(FATAL_ERROR "the PostgreSQL consumer printed:\n${SQ_RUN_OUTPUT}")
    endif()
    message(STATUS "PostgreSQL consumer: ${SQ_RUN_OUTPUT}")
  endif()
endfunction()
