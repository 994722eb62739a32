#pragma once
// The parts of standard headers that StructQL's headers need, where libstdc++ lets them be
// included alone: std::chrono's clocks and durations without the calendar, time zones and their
// I/O (<chrono> brings <sstream> and <istream> in C++20), std::function and std::hash without
// the rest of <functional> (searchers, and with them <unordered_map> and <stl_algo.h>), and
// std::min, std::max and std::fill without the rest of <algorithm> (its <bits/stl_algo.h> and, in
// C++20, <bits/ranges_algo.h>; the few other algorithms are detail/algorithms.hpp). About 0.6 s
// of parsing in every translation unit. Elsewhere the whole headers. Code that uses the calendar
// (timestamps as text) or other algorithms includes <chrono> or <algorithm> itself.
#include <version>

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>) && __has_include(<bits/std_function.h>) && \
    __has_include(<bits/functional_hash.h>) && __has_include(<bits/stl_algobase.h>)
#include <bits/chrono.h>
#include <bits/functional_hash.h>
#include <bits/std_function.h>
#include <bits/stl_algobase.h>
#else
#include <algorithm>
#include <chrono>
#include <functional>
#endif
