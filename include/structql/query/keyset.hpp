#pragma once
// Keyset pagination: the condition "after this row in the query's order", from the ORDER BY keys
// and the last row's values. Unlike OFFSET it reads no skipped rows, and a row inserted or
// deleted on an earlier page moves nothing.
#include <cstddef>
#include <tuple>
#include <utility>

#include "structql/query/expressions.hpp"

namespace structql::detail {

// Keys are the query's order_by() types (E or descending<E>); Values the bound key values.
template <class Keys, class Values>
struct keyset_condition;
template <class... Keys, class... Values>
struct keyset_condition<type_list<Keys...>, std::tuple<Values...>> : expression_tag {
    static_assert(sizeof...(Keys) > 0, "StructQL: after() pages by the query's order: call order_by() first");
    static_assert(sizeof...(Keys) == sizeof...(Values),
                  "StructQL: after() takes one value per order_by() key, in the same order");
    static_assert((column_like<typename order_expression<Keys>::type> && ...),
                  "StructQL: after() pages by columns: order_by() keys must be columns (col<&T::m> or desc(col<...>))");
    static_assert(((!order_expression<Keys>::type::nullable) && ...),
                  "StructQL: after() needs NOT NULL order_by() columns (SQLite sorts NULL first, PostgreSQL last)");

    std::tuple<Values...> values;
    using value_type = bool;
    using models = concat_t<typename order_expression<Keys>::type::models...>;
    using reads = concat_t<typename order_expression<Keys>::type::reads...>;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = false;
    static constexpr bool uniform =
        ((order_expression<Keys>::descending == order_expression<std::tuple_element_t<0, std::tuple<Keys...>>>::descending) && ...);

    // One direction: a row value, (a, b) > (?, ?), which both databases compare in order and
    // answer from an index on (a, b). Mixed directions: (a > ?) OR (a = ? AND b < ?) ...
    template <class D>
    static constexpr void write(auto& out, const keyset_condition* = nullptr) {
        using keys = std::tuple<order_expression<Keys>...>;
        constexpr std::size_t n = sizeof...(Keys);
        if constexpr (uniform) {
            out.append(n > 1 ? "((" : "(");
            bool first = true;
            ((first ? void() : out.append(", "), first = false, order_expression<Keys>::type::template write<D>(out)), ...);
            out.append(n > 1 ? ")" : "");
            out.append(std::tuple_element_t<0, keys>::descending ? " < " : " > ");
            out.append(n > 1 ? "(" : "");
            first = true;
            ((first ? void() : out.append(", "), first = false, Values::template write<D>(out)), ...);
            out.append(n > 1 ? "))" : ")");
        } else {
            out.append('(');
            [&]<std::size_t... I>(std::index_sequence<I...>) { ((I ? out.append(" OR ") : void(), write_term<D, I>(out)), ...); }(
                std::make_index_sequence<n>{});
            out.append(')');
        }
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        if constexpr (uniform) {
            std::apply([&](const auto&... v) { (v.bind(statement, index), ...); }, values);
        } else {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (bind_term(statement, index, std::make_index_sequence<I + 1>{}), ...);
            }(std::index_sequence_for<Keys...>{});
        }
    }

private:
    // (k0 = ? AND ... AND k(I-1) = ? AND kI > ?)
    template <class D, std::size_t I>
    static constexpr void write_term(auto& out) {
        using keys = std::tuple<order_expression<Keys>...>;
        out.append('(');
        [&]<std::size_t... J>(std::index_sequence<J...>) {
            ((std::tuple_element_t<J, keys>::type::template write<D>(out), out.append(" = "),
              std::tuple_element_t<J, std::tuple<Values...>>::template write<D>(out), out.append(" AND ")),
             ...);
        }(std::make_index_sequence<I>{});
        using key = std::tuple_element_t<I, keys>;
        key::type::template write<D>(out);
        out.append(key::descending ? " < " : " > ");
        std::tuple_element_t<I, std::tuple<Values...>>::template write<D>(out);
        out.append(')');
    }
    template <class Statement, std::size_t... J>
    void bind_term(Statement& statement, int& index, std::index_sequence<J...>) const {
        (std::get<J>(values).bind(statement, index), ...);
    }
};

template <class Keys, class... V>
auto make_keyset(V&&... values) {
    return [&]<class... K>(type_list<K...>) {
        static_assert(sizeof...(K) == sizeof...(V), "StructQL: after() takes one value per order_by() key, in the same order");
        using values_type = std::tuple<value_node<typename order_expression<K>::type>...>;
        return keyset_condition<Keys, values_type>{
            {}, values_type(bind_as<typename order_expression<K>::type>(std::forward<V>(values))...)};
    }(Keys{});
}

}  // namespace structql::detail
