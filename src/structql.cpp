// StructQL's compiled part: the code that depends on no model, compiled once for a program
// whose translation units all define STRUCTQL_SEPARATE_COMPILATION (see
// include/structql/detail/linkage.hpp). CMake: link structql::compiled.
#ifndef STRUCTQL_SEPARATE_COMPILATION
#define STRUCTQL_SEPARATE_COMPILATION
#endif
#define STRUCTQL_IMPLEMENTATION
#include "structql/structql.hpp"
