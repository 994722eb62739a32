#pragma once
// table_args' sq::onupdate in the writes that bypass the session's flush: a bulk
// query.update(sets...) and an upsert's DO UPDATE set each onupdate member to its value (a
// function is called once per statement), unless the statement sets that member itself.
#include "structql/detail/algorithms.hpp"
#include <array>
#include <cstddef>
#include <span>
#include <tuple>
#include <type_traits>

#include "structql/detail/rows.hpp"
#include "structql/query/expressions.hpp"
#include "structql/schema/table.hpp"

namespace structql::detail {

template <class Item>
struct onupdate_member {};
template <auto M, class V>
struct onupdate_member<onupdate_item<M, V>> {
    static constexpr auto value = M;
};

// The onupdate members of T that a bulk UPDATE setting Set... leaves out, as more set<M>(value).
template <class T, auto... Set>
auto onupdate_assignments() {
    auto of = [](const auto& item) {
        using Item = std::remove_cvref_t<decltype(item)>;
        if constexpr (!is_onupdate<Item>) {
            return std::tuple<>{};
        } else {
            constexpr auto M = onupdate_member<Item>::value;
            if constexpr (((member_index(M) == member_index(Set)) || ...)) return std::tuple<>{};
            else return std::tuple{set<M>(produce(item.value))};
        }
    };
    return std::apply([&](const auto&... item) { return std::tuple_cat(of(item)...); }, table_args_v<T>.items);
}

// The columns of T's onupdate members, in table_args order.
template <class T>
constexpr auto onupdate_columns() {
    return std::apply(
        [](const auto&... item) {
            std::array<std::size_t, (std::size_t{is_onupdate<std::remove_cvref_t<decltype(item)>>} + ... + 0)> out{};
            std::size_t n = 0;
            [[maybe_unused]] auto add = [&](const auto& i) {
                using Item = std::remove_cvref_t<decltype(i)>;
                if constexpr (is_onupdate<Item>) out[n++] = member_index(onupdate_member<Item>::value);
            };
            (add(item), ...);
            return out;
        },
        table_args_v<T>.items);
}

// Binds, from `index` on, the value of each onupdate member whose column is in `columns` (in
// table_args order, as onupdate_columns gives them).
template <class T, class Statement>
int bind_onupdates(Statement& statement, int index, std::span<const std::size_t> columns) {
    auto bind_one = [&](const auto& item) {
        using Item = std::remove_cvref_t<decltype(item)>;
        if constexpr (is_onupdate<Item>) {
            constexpr std::size_t column = member_index(onupdate_member<Item>::value);
            if (!detail::contains_value(columns, column)) return;
            try {
                std::remove_cvref_t<decltype(unwrap(field<column>(std::declval<T&>())))> value = produce(item.value);
                bind_value(statement, index++, value);
            } catch (...) {
                rethrow_as_data_error(table<T>::view, column, statement.sql(), "cannot bind the onupdate value of");
            }
        }
    };
    std::apply([&](const auto&... item) { (bind_one(item), ...); }, table_args_v<T>.items);
    return index;
}

}  // namespace structql::detail
