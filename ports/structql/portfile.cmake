# StructQL is header-only: one (release) configuration, no libraries, no debug tree.
set(VCPKG_BUILD_TYPE release)

# REF/SHA512: the release tag of this port's version. Until that tag is published, install the
# development head instead: vcpkg install structql --overlay-ports=ports --head
vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO structql/structql
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DSTRUCTQL_BUILD_TESTS=OFF
        -DSTRUCTQL_BUILD_EXAMPLES=OFF
        -DSTRUCTQL_BUILD_BENCHMARKS=OFF
        -DSTRUCTQL_INSTALL=ON
)
vcpkg_cmake_install()

# The project installs its package files to lib/cmake/structql; vcpkg wants share/structql.
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/structql)
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
