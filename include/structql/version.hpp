#pragma once
// The one place the version is set; CMake reads it from here.
#define STRUCTQL_VERSION_MAJOR 0
#define STRUCTQL_VERSION_MINOR 1
#define STRUCTQL_VERSION_PATCH 0
#define STRUCTQL_VERSION_STRING "0.1.0"
