#pragma once
// Raw SQL with bound parameters: arguments bound in order, result rows read by position into a
// std::tuple or an aggregate struct.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/pfr/core.hpp>

#include "structql/detail/access.hpp"
#include "structql/detail/rows.hpp"
#include "structql/errors.hpp"
#include "structql/query/rows.hpp"

namespace structql::detail {

// Raw SQL: arguments bound in order (strings and string literals as text, std::nullopt as NULL).
template <class Statement, class... Args>
void bind_arguments(Statement& statement, const Args&... args) {
    int index = 1;
    [[maybe_unused]] auto bind_one = [&](const auto& arg) {
        using A = std::remove_cvref_t<decltype(arg)>;
        if constexpr (std::is_same_v<A, std::nullopt_t>) statement.bind_null(index);
        else if constexpr (!mappable<A> && !is_optional<A>::value && std::is_convertible_v<const A&, std::string_view>)
            statement.bind(index, std::string_view(arg));
        else bind_value(statement, index, arg);
        ++index;
    };
    (bind_one(args), ...);
}

template <class Row>
concept tuple_like = requires { std::tuple_size<Row>::value; };

// One raw result row, by position, into a std::tuple or an aggregate struct.
template <class Row, class Statement>
Row read_positional(const Statement& statement) {
    Row row{};
    constexpr std::size_t fields = [] {
        if constexpr (tuple_like<Row>) return std::tuple_size_v<Row>;
        else return boost::pfr::tuple_size_v<Row>;
    }();
    if (statement.column_count() != static_cast<int>(fields))
        throw data_error("fetch(): the statement returns " + std::to_string(statement.column_count()) +
                         " columns but the row type has " + std::to_string(fields) + " [SQL: " +
                         std::string(statement.sql()) + "]");
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        if constexpr (tuple_like<Row>) (read_projected(statement, static_cast<int>(I), std::get<I>(row)), ...);
        else (read_projected(statement, static_cast<int>(I), boost::pfr::get<I>(row)), ...);
    }(std::make_index_sequence<fields>{});
    return row;
}

// Raw SQL through a query source (a session or a connection): rows by position into Row.
template <class Row, class Source, class... Args>
std::vector<Row> fetch_rows(Source& source, std::string_view sql, const Args&... args) {
    std::vector<Row> rows;
    access::select_rows<void>(source, sql, true, [&](auto& statement) { bind_arguments(statement, args...); },
                       [&](const auto& statement) {
                           rows.push_back(read_positional<Row>(statement));
                           return true;
                       });
    return rows;
}

}  // namespace structql::detail
