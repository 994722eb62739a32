#pragma once
// A query's result rows: whole models (the query's, then each joined one, in consecutive
// columns), or the values of a projection; as plain values or, in a session, as tracked objects.
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "structql/detail/rows.hpp"
#include "structql/errors.hpp"
#include "structql/query/parts.hpp"

namespace structql::detail {

// A select()ed value's type: std::optional when the expression can be NULL, here or because
// it reads the missing side of an outer join (Missing).
template <class E, class Missing = type_list<>>
using value_of_t = std::conditional_t<nullable_in<E, Missing> && !is_optional<typename E::value_type>::value,
                                      std::optional<typename E::value_type>, typename E::value_type>;

template <class Select, class Missing = type_list<>>
struct projection_row;
template <class... E, class Missing>
struct projection_row<std::tuple<E...>, Missing> {
    using type = std::tuple<value_of_t<E, Missing>...>;
};

template <class V, class Statement>
void read_projected(const Statement& statement, int column, V& out) {
    try {
        read_value(statement, column, out);
    } catch (const error&) {
        throw;
    } catch (const std::exception& e) {  // a NULL or a value out of range for V
        throw data_error("cannot read result column " + std::to_string(column + 1) + " \"" +
                         std::string(statement.column_name(column)) + "\": " + e.what() + " [SQL: " +
                         std::string(statement.sql()) + "]");
    }
}

template <class Missing = type_list<>, class... E, class Statement>
typename projection_row<std::tuple<E...>, Missing>::type read_projection(const Statement& statement, std::tuple<E...>*) {
    typename projection_row<std::tuple<E...>, Missing>::type row;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (read_projected(statement, static_cast<int>(I), std::get<I>(row)), ...);
    }(std::index_sequence_for<E...>{});
    return row;
}

// Result rows. Whole models occupy consecutive columns: the query's model first, then each
// joined model in join order.
template <class Parts, std::size_t I>
constexpr int join_offset() {
    int offset = static_cast<int>(table<typename Parts::model>::column_count);
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        ((offset += static_cast<int>(table<typename std::tuple_element_t<K, typename Parts::joins_type>::model>::column_count)),
         ...);
    }(std::make_index_sequence<I>{});
    return offset;
}

// An outer join's model is missing from a row when its primary key column is NULL.
template <class M, class Statement>
bool model_missing(const Statement& statement, int first) {
    return statement.is_null(first + static_cast<int>(table<M>::primary_key_index));
}

template <class M, class Statement>
M read_model(const Statement& statement, int first) {
    M value{};
    read_columns(statement, value, first);
    return value;
}

// Rows as plain values: T; std::tuple<T, J or std::optional<J>...> with joins; a tuple of
// values with select().
template <class Parts>
struct value_rows {
    using missing = typename outer_joined<typename Parts::joins_type>::type;
    template <class J>
    using joined_value = std::conditional_t<J::outer, std::optional<typename J::model>, typename J::model>;

    template <class Joins>
    struct joined_row;
    template <class... J>
    struct joined_row<std::tuple<J...>> {
        using type = std::tuple<typename Parts::model, joined_value<J>...>;
    };

    using type = std::conditional_t<
        Parts::projected, typename projection_row<typename Parts::select_type, missing>::type,
        std::conditional_t<std::tuple_size_v<typename Parts::joins_type> == 0, typename Parts::model,
                           typename joined_row<typename Parts::joins_type>::type>>;

    template <class Statement>
    static type read(const Statement& statement) {
        if constexpr (Parts::projected) {
            return read_projection<missing>(statement, static_cast<typename Parts::select_type*>(nullptr));
        } else if constexpr (std::tuple_size_v<typename Parts::joins_type> == 0) {
            return read_model<typename Parts::model>(statement, 0);
        } else {
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                return type(read_model<typename Parts::model>(statement, 0), read_joined<I>(statement)...);
            }(std::make_index_sequence<std::tuple_size_v<typename Parts::joins_type>>{});
        }
    }

    template <std::size_t I, class Statement>
    static auto read_joined(const Statement& statement) {
        using J = std::tuple_element_t<I, typename Parts::joins_type>;
        using M = typename J::model;
        constexpr int first = join_offset<Parts, I>();
        if constexpr (J::outer) {
            return model_missing<M>(statement, first) ? std::optional<M>() : std::optional<M>(read_model<M>(statement, first));
        } else {
            return read_model<M>(statement, first);
        }
    }
};

// Rows as a session returns them: tracked objects by pointer (nullptr for an outer join's
// missing side); projections as values.
template <class Parts>
struct tracked_rows {
    template <class Joins>
    struct joined_row;
    template <class... J>
    struct joined_row<std::tuple<J...>> {
        using type = std::tuple<typename Parts::model*, typename J::model*...>;
    };
    using type = std::conditional_t<
        Parts::projected, typename value_rows<Parts>::type,
        std::conditional_t<std::tuple_size_v<typename Parts::joins_type> == 0, typename Parts::model*,
                           typename joined_row<typename Parts::joins_type>::type>>;
};

}  // namespace structql::detail
