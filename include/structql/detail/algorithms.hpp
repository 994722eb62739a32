#pragma once
// The few algorithms StructQL's headers use, as small loops: libstdc++'s <bits/stl_algo.h>
// (with <bits/stl_heap.h>, <bits/uniform_int_dist.h> and <bits/algorithmfwd.h>, ~4,200 lines)
// would otherwise be parsed by every translation unit for a handful of calls. std::min, std::max
// and the like come from <bits/stl_algobase.h> (detail/std_parts.hpp).
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace structql::detail {

template <class Range, class T>
constexpr bool contains_value(const Range& range, const T& value) {
    for (const auto& item : range)
        if (item == value) return true;
    return false;
}

template <class It, class Predicate>
constexpr It find_if(It first, It last, Predicate pred) {
    for (; first != last; ++first)
        if (pred(*first)) break;
    return first;
}

template <class It, class Less>
constexpr bool is_sorted(It first, It last, Less less) {
    if (first == last) return true;
    for (It next = first; ++next != last; first = next)
        if (less(*next, *first)) return false;
    return true;
}

// A merge sort: insertion sort below 16 elements, halves merged through one buffer of moved
// elements. Stable; the session sorts flush steps (mostly in order already) and key lists.
template <class It, class Less>
void stable_sort(It first, It last, Less less) {
    using value_type = typename std::iterator_traits<It>::value_type;
    std::vector<value_type> buffer;
    auto sort = [&](auto& self, It from, It to) -> void {
        const auto n = to - from;
        if (n <= 16) {
            for (It i = from + (n > 0 ? 1 : 0); i < to; ++i) {
                if (!less(*i, *(i - 1))) continue;
                value_type moving = std::move(*i);
                It j = i;
                for (; j != from && less(moving, *(j - 1)); --j) *j = std::move(*(j - 1));
                *j = std::move(moving);
            }
            return;
        }
        It middle = from + n / 2;
        self(self, from, middle);
        self(self, middle, to);
        if (!less(*middle, *(middle - 1))) return;  // the halves are in order already
        buffer.assign(std::make_move_iterator(from), std::make_move_iterator(middle));
        auto left = buffer.begin();
        It right = middle, out = from;
        while (left != buffer.end() && right != to) *out++ = less(*right, *left) ? std::move(*right++) : std::move(*left++);
        while (left != buffer.end()) *out++ = std::move(*left++);
    };
    sort(sort, first, last);
}

template <class It>
void stable_sort(It first, It last) {
    detail::stable_sort(first, last, [](const auto& a, const auto& b) { return a < b; });
}

}  // namespace structql::detail
