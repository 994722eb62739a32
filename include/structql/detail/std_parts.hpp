#pragma once
// The parts of standard headers that StructQL's headers need, where libstdc++ lets them be
// included alone: std::chrono's clocks and durations without the calendar, time zones and their
// I/O (<chrono> brings <sstream> and <istream> in C++20), std::function and std::hash without
// the rest of <functional> (searchers, and with them <unordered_map> and <stl_algo.h>), and
// std::min, std::max and std::fill without the rest of <algorithm> (its <bits/stl_algo.h> and, in
// C++20, <bits/ranges_algo.h>; the few other algorithms are detail/algorithms.hpp). About 0.6 s
// of parsing in every translation unit. Elsewhere the whole headers. Code that uses the calendar
// (timestamps as text) or other algorithms includes <chrono> or <algorithm> itself. Counters
// shared between threads are detail::atomic_integer<T>: std::atomic<T>'s interface, as libstdc++'s
// base class of std::atomic<T> (<bits/atomic_base.h>, which <memory> includes anyway) rather than
// <atomic>'s 1,100 lines.
#include <version>

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>) && __has_include(<bits/std_function.h>) && \
    __has_include(<bits/functional_hash.h>) && __has_include(<bits/stl_algobase.h>) && __has_include(<bits/atomic_base.h>)
#define STRUCTQL_STD_PARTS 1
#include <bits/atomic_base.h>
#include <bits/chrono.h>
#include <bits/functional_hash.h>
#include <bits/std_function.h>
#include <bits/stl_algobase.h>
#else
#define STRUCTQL_STD_PARTS 0
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#endif

namespace structql::detail {
#if STRUCTQL_STD_PARTS
template <class T>
using atomic_integer = std::__atomic_base<T>;
#else
template <class T>
using atomic_integer = std::atomic<T>;
#endif
}  // namespace structql::detail
