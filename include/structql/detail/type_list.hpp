#pragma once
// Lists of types, for what the library computes over models at compile time (a model's parents,
// a query's models): type_list<Ts...>, concat_t<Lists...>, contains<T, List>,
// size_of<List>.
#include <cstddef>
#include <type_traits>

namespace structql::detail {

template <class... Ts>
struct type_list {};

template <class... Lists>
struct concat;
template <>
struct concat<> {
    using type = type_list<>;
};
template <class... A>
struct concat<type_list<A...>> {
    using type = type_list<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<type_list<A...>, type_list<B...>, Rest...> {
    using type = typename concat<type_list<A..., B...>, Rest...>::type;
};
template <class... Lists>
using concat_t = typename concat<Lists...>::type;

template <class T, class List>
struct contains;
template <class T, class... Ts>
struct contains<T, type_list<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

template <class List>
inline constexpr std::size_t size_of = 0;
template <class... Ts>
inline constexpr std::size_t size_of<type_list<Ts...>> = sizeof...(Ts);

}  // namespace structql::detail
