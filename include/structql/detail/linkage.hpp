#pragma once
// Where the code that depends on no model is compiled.
//
// Header-only, the default: every function is defined in the headers (STRUCTQL_DECL is
// `inline`), and each translation unit compiles what it uses.
//
// Separate compilation, as Boost.Asio's BOOST_ASIO_SEPARATE_COMPILATION: define
// STRUCTQL_SEPARATE_COMPILATION in every translation unit, and compile one more that also
// defines STRUCTQL_IMPLEMENTATION (src/structql.cpp; CMake's structql::compiled target does
// both). URL parsing, the pool, the SQLite connection and the unit of work's core are then
// compiled there once, and each program TU compiles only what its models and queries need.
#if defined(STRUCTQL_SEPARATE_COMPILATION)
#define STRUCTQL_DECL
#if defined(STRUCTQL_IMPLEMENTATION)
#define STRUCTQL_DEFINITIONS 1
#define STRUCTQL_INSTANTIATE(...) template __VA_ARGS__;
#else
#define STRUCTQL_DEFINITIONS 0
#define STRUCTQL_INSTANTIATE(...) extern template __VA_ARGS__;
#endif
#else
#define STRUCTQL_DECL inline
#define STRUCTQL_DEFINITIONS 1
#define STRUCTQL_INSTANTIATE(...)
#endif
