# Runs the real ports/structql/portfile.cmake with small stand-ins for the vcpkg helpers it
# calls (vcpkg cannot be installed here), checks the package it produces the way vcpkg's
# post-build checks would, "installs" it (a copy, as vcpkg does), and builds and runs
# tests/distribution/consumer against it exactly as ports/structql/usage says.
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -DCXX=<c++ compiler> -DGENERATOR=<generator>
#         -P vcpkg_port_test.cmake
#
# The stand-ins accept the keywords of the real functions and reject anything else, so a
# misspelt or misplaced argument in the portfile fails here as it would in vcpkg. What they
# do instead of vcpkg:
#   vcpkg_from_github         SOURCE_PATH = this source tree (no download); REF/SHA512 checked
#   vcpkg_cmake_configure     configures SOURCE_PATH (release only when VCPKG_BUILD_TYPE is
#                             release) with the prefix and variables vcpkg passes; a portfile
#                             option the project does not use is an error
#   vcpkg_cmake_install       builds the `install` target of each configured tree
#   vcpkg_cmake_config_fixup  moves CONFIG_PATH to share/<package>, drops an emptied parent
#                             `cmake` directory, and corrects the relative prefix computation
#                             of the moved files for their new depth (share/<package>)
#   vcpkg_install_copyright   concatenates FILE_LIST into share/<port>/copyright
cmake_minimum_required(VERSION 3.20)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
sq_require_definitions(SOURCE_DIR WORK_DIR CXX GENERATOR)

set(port_dir "${SOURCE_DIR}/ports/structql")
sq_header_version("${SOURCE_DIR}" header_version)

# ---- The manifest ---------------------------------------------------------------------------
file(READ "${port_dir}/vcpkg.json" manifest)
string(JSON port_name GET "${manifest}" name)
string(JSON VERSION GET "${manifest}" version)
string(JSON port_license GET "${manifest}" license)
if(NOT port_name STREQUAL "structql" OR NOT port_license STREQUAL "BSL-1.0")
  message(FATAL_ERROR "vcpkg.json: name '${port_name}', license '${port_license}'")
endif()
if(NOT VERSION STREQUAL header_version)
  message(FATAL_ERROR "vcpkg.json says version ${VERSION}, include/structql/version.hpp ${header_version}")
endif()
set(dependencies "")
string(JSON count LENGTH "${manifest}" dependencies)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  string(JSON type TYPE "${manifest}" dependencies ${i})
  if(type STREQUAL "OBJECT")
    string(JSON dep GET "${manifest}" dependencies ${i} name)
    string(JSON host ERROR_VARIABLE no_host GET "${manifest}" dependencies ${i} host)
    if(host)
      string(APPEND dep ":host")
    endif()
  else()
    string(JSON dep GET "${manifest}" dependencies ${i})
  endif()
  list(APPEND dependencies "${dep}")
endforeach()
foreach(dep IN ITEMS sqlite3 boost-pfr vcpkg-cmake:host vcpkg-cmake-config:host)
  if(NOT dep IN_LIST dependencies)
    message(FATAL_ERROR "vcpkg.json: dependency ${dep} missing (has: ${dependencies})")
  endif()
endforeach()

# ---- What vcpkg defines for a portfile ------------------------------------------------------
set(PORT structql)
set(TARGET_TRIPLET x64-linux)
set(VCPKG_TARGET_EXECUTABLE_SUFFIX "")
set(CURRENT_BUILDTREES_DIR "${WORK_DIR}/buildtrees/${PORT}")
set(CURRENT_PACKAGES_DIR "${WORK_DIR}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_INSTALLED_DIR "${WORK_DIR}/installed/${TARGET_TRIPLET}")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${CURRENT_BUILDTREES_DIR}" "${CURRENT_PACKAGES_DIR}" "${CURRENT_INSTALLED_DIR}")

function(z_check_arguments function)
  if(DEFINED arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${function} was passed unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
endfunction()

# ---- Stand-ins ------------------------------------------------------------------------------
function(vcpkg_from_github)
  cmake_parse_arguments(PARSE_ARGV 0 arg "USE_TARBALL_API;USE_ARCHIVE_API"
    "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF;GITHUB_HOST;AUTHORIZATION_TOKEN;FILE_DISAMBIGUATOR"
    "PATCHES")
  z_check_arguments(vcpkg_from_github)
  if(NOT arg_OUT_SOURCE_PATH OR NOT arg_REPO)
    message(FATAL_ERROR "vcpkg_from_github: OUT_SOURCE_PATH and REPO are required")
  endif()
  if(NOT arg_REPO MATCHES "^[^/]+/[^/]+$")
    message(FATAL_ERROR "vcpkg_from_github: REPO '${arg_REPO}' is not owner/name")
  endif()
  if(NOT DEFINED arg_REF OR NOT DEFINED arg_SHA512 OR NOT DEFINED arg_HEAD_REF)
    message(FATAL_ERROR "vcpkg_from_github: give REF with SHA512 (releases) and HEAD_REF (--head)")
  endif()
  if(NOT arg_REF STREQUAL "v${VERSION}")
    message(FATAL_ERROR "vcpkg_from_github: REF '${arg_REF}' is not the tag of version ${VERSION}")
  endif()
  if(NOT arg_SHA512 MATCHES "^(0|[0-9a-f]{128})$")
    message(FATAL_ERROR "vcpkg_from_github: SHA512 '${arg_SHA512}' is neither 0 nor a SHA-512")
  endif()
  message(STATUS "vcpkg_from_github: ${arg_REPO}@${arg_REF} -> ${SOURCE_DIR} (not downloaded)")
  set(${arg_OUT_SOURCE_PATH} "${SOURCE_DIR}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg
    "PREFER_NINJA;DISABLE_PARALLEL_CONFIGURE;WINDOWS_USE_MSBUILD;NO_CHARSET_FLAG;Z_CMAKE_GET_VARS_USAGE"
    "SOURCE_PATH;GENERATOR;LOGFILE_BASE"
    "OPTIONS;OPTIONS_DEBUG;OPTIONS_RELEASE;MAYBE_UNUSED_VARIABLES")
  z_check_arguments(vcpkg_cmake_configure)
  if(NOT IS_DIRECTORY "${arg_SOURCE_PATH}")
    message(FATAL_ERROR "vcpkg_cmake_configure: SOURCE_PATH '${arg_SOURCE_PATH}' is not a directory")
  endif()
  set(configs release)
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    list(APPEND configs debug)
  endif()
  set(configured "")
  foreach(config IN LISTS configs)
    if(config STREQUAL "release")
      set(dir "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
      set(prefix "${CURRENT_PACKAGES_DIR}")
      set(options ${arg_OPTIONS} ${arg_OPTIONS_RELEASE} -DCMAKE_BUILD_TYPE=Release)
    else()
      set(dir "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-dbg")
      set(prefix "${CURRENT_PACKAGES_DIR}/debug")
      set(options ${arg_OPTIONS} ${arg_OPTIONS_DEBUG} -DCMAKE_BUILD_TYPE=Debug)
    endif()
    sq_run("vcpkg_cmake_configure (${config})"
      ${CMAKE_COMMAND} -S "${arg_SOURCE_PATH}" -B "${dir}" -G "${GENERATOR}"
        "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_INSTALL_PREFIX=${prefix}"
        "-DCMAKE_PREFIX_PATH=${CURRENT_INSTALLED_DIR}" -DCMAKE_INSTALL_LIBDIR:STRING=lib
        -DCMAKE_INSTALL_BINDIR:STRING=bin -DFETCHCONTENT_FULLY_DISCONNECTED=ON
        -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
        ${options})
    # vcpkg warns about portfile options the project ignores; here it is an error.
    foreach(option IN LISTS arg_OPTIONS arg_OPTIONS_RELEASE arg_OPTIONS_DEBUG)
      if(option MATCHES "^-D([A-Za-z0-9_]+)")
        set(name "${CMAKE_MATCH_1}")
        if(SQ_RUN_OUTPUT MATCHES "not used by the project:[^\n]*\n(\n|  [^\n]*\n)* +${name}\n"
           AND NOT name IN_LIST arg_MAYBE_UNUSED_VARIABLES)
          message(FATAL_ERROR "vcpkg_cmake_configure: the project does not use ${option}")
        endif()
      endif()
    endforeach()
    list(APPEND configured "${dir}")
  endforeach()
  set_property(GLOBAL PROPERTY Z_STANDIN_CONFIGURED_DIRS "${configured}")
endfunction()

function(vcpkg_cmake_install)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DISABLE_PARALLEL;ADD_BIN_TO_PATH" "" "")
  z_check_arguments(vcpkg_cmake_install)
  get_property(configured GLOBAL PROPERTY Z_STANDIN_CONFIGURED_DIRS)
  if(NOT configured)
    message(FATAL_ERROR "vcpkg_cmake_install before vcpkg_cmake_configure")
  endif()
  foreach(dir IN LISTS configured)
    sq_run("vcpkg_cmake_install" ${CMAKE_COMMAND} --build "${dir}" --target install)
  endforeach()
endfunction()

function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION"
    "PACKAGE_NAME;CONFIG_PATH" "")
  z_check_arguments(vcpkg_cmake_config_fixup)
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME "${PORT}")
  endif()
  if(NOT arg_CONFIG_PATH)
    set(arg_CONFIG_PATH "share/${arg_PACKAGE_NAME}")
  endif()
  set(share "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
  set(from "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
  if(NOT IS_DIRECTORY "${from}")
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: '${from}' does not exist")
  endif()
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    message(FATAL_ERROR "this stand-in only handles release-only (header-only) ports")
  endif()
  if(NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    file(GLOB files "${from}/*")
    file(COPY ${files} DESTINATION "${share}")
    file(REMOVE_RECURSE "${from}")
    get_filename_component(parent "${from}" DIRECTORY)
    get_filename_component(parent_name "${parent}" NAME)
    string(TOLOWER "${parent_name}" parent_name)
    if(parent_name STREQUAL "cmake" AND NOT arg_DO_NOT_DELETE_PARENT_CONFIG_PATH)
      file(REMOVE_RECURSE "${parent}")
    endif()
  endif()
  # Files generated by install(EXPORT) climb from their own directory to the prefix one
  # get_filename_component(... PATH) per level, and configure_package_config_file's
  # PACKAGE_PREFIX_DIR is "${CMAKE_CURRENT_LIST_DIR}/../../..": both were written for
  # CONFIG_PATH's depth, and now sit two levels below the prefix.
  set(step [[get_filename_component(_IMPORT_PREFIX "${_IMPORT_PREFIX}" PATH)]])
  file(GLOB_RECURSE cmake_files "${share}/*.cmake")
  foreach(f IN LISTS cmake_files)
    file(READ "${f}" text)
    if(NOT arg_NO_PREFIX_CORRECTION)
      string(REGEX REPLACE
        "(get_filename_component\\(_IMPORT_PREFIX \"\\\${CMAKE_CURRENT_LIST_FILE}\" PATH\\))(\nget_filename_component\\(_IMPORT_PREFIX \"\\\${_IMPORT_PREFIX}\" PATH\\))*"
        "\\1\n${step}\n${step}" text "${text}")
      string(REGEX REPLACE
        "get_filename_component\\(PACKAGE_PREFIX_DIR \"\\\${CMAKE_CURRENT_LIST_DIR}/(\\.\\./)+\" ABSOLUTE\\)"
        "get_filename_component(PACKAGE_PREFIX_DIR \"\${CMAKE_CURRENT_LIST_DIR}/../../\" ABSOLUTE)"
        text "${text}")
    endif()
    string(REPLACE "${CURRENT_INSTALLED_DIR}" [[${_IMPORT_PREFIX}]] text "${text}")
    string(REPLACE "${CURRENT_PACKAGES_DIR}" [[${_IMPORT_PREFIX}]] text "${text}")
    file(WRITE "${f}" "${text}")
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
  z_check_arguments(vcpkg_install_copyright)
  if(NOT arg_FILE_LIST)
    message(FATAL_ERROR "vcpkg_install_copyright: FILE_LIST is required")
  endif()
  set(text "")
  if(arg_COMMENT)
    string(APPEND text "${arg_COMMENT}\n\n")
  endif()
  foreach(f IN LISTS arg_FILE_LIST)
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "vcpkg_install_copyright: ${f} does not exist")
    endif()
    file(READ "${f}" content)
    string(APPEND text "${content}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

# ---- The port -------------------------------------------------------------------------------
include("${port_dir}/portfile.cmake")

# ---- vcpkg's post-build checks, the ones that apply to a header-only port -------------------
set(pkg "${CURRENT_PACKAGES_DIR}")
sq_require_exists("${pkg}/include/structql/structql.hpp")
sq_require_exists("${pkg}/share/${PORT}/usage")
sq_require_exists("${pkg}/share/${PORT}/copyright")
file(READ "${pkg}/share/${PORT}/copyright" copyright)
file(READ "${SOURCE_DIR}/LICENSE" license)
if(NOT copyright STREQUAL license)
  message(FATAL_ERROR "share/${PORT}/copyright is not the LICENSE file")
endif()
foreach(forbidden IN ITEMS debug lib bin lib/cmake share/${PORT}/cmake)
  if(EXISTS "${pkg}/${forbidden}")
    message(FATAL_ERROR "the package has ${forbidden}/, which a header-only port must not")
  endif()
endforeach()
file(GLOB_RECURSE dirs LIST_DIRECTORIES true "${pkg}/*")
foreach(d IN LISTS dirs)
  if(IS_DIRECTORY "${d}")
    file(GLOB entries "${d}/*")
    if(NOT entries)
      message(FATAL_ERROR "empty directory in the package: ${d}")
    endif()
  endif()
endforeach()
sq_check_package_dir("${pkg}/share/${PORT}" "${VERSION}")

# ---- vcpkg install: the package is copied into the installed tree --------------------------
file(COPY "${pkg}/" DESTINATION "${CURRENT_INSTALLED_DIR}")

# ---- The consumer does what usage says -----------------------------------------------------
file(STRINGS "${port_dir}/usage" usage_lines REGEX "^    ")
file(READ "${SOURCE_DIR}/tests/distribution/consumer/CMakeLists.txt" consumer_cmake)
if(NOT usage_lines)
  message(FATAL_ERROR "ports/structql/usage shows no (indented) CMake lines")
endif()
foreach(line IN LISTS usage_lines)
  string(STRIP "${line}" line)
  string(FIND "${consumer_cmake}" "\n${line}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "tests/distribution/consumer/CMakeLists.txt lacks the usage line: ${line}")
  endif()
endforeach()
sq_build_consumer("${CURRENT_INSTALLED_DIR}" "${WORK_DIR}/consumer-build" "${VERSION}")
file(REMOVE_RECURSE "${WORK_DIR}")
