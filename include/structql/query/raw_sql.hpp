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

namespace structql {

// SQL text built at run time, given to fetch() or execute() with arguments:
// db.fetch<Row>(sq::runtime_sql(text), args...). Its placeholders are counted when it runs
// instead of when it compiles (as {fmt}'s fmt::runtime).
struct runtime_sql {
    explicit runtime_sql(std::string_view sql) noexcept : text(sql) {}
    std::string_view text;
};

namespace detail {

// Not constexpr: a call to it in checked_sql's constructor stops the compilation, and the
// compiler's message names it.
inline void sql_placeholder_count_differs_from_argument_count() {}

// The SQL text of fetch() / execute() with arguments, its placeholders counted at compile time
// (the dialect's count_parameters) against the number of arguments, as {fmt} checks a format
// string: a mismatch does not compile.
template <class D, std::size_t Arguments>
struct checked_sql {
    template <class S>
        requires(std::is_convertible_v<const S&, std::string_view> && !std::is_same_v<S, std::string>)
    consteval checked_sql(const S& sql) : text(sql) {
        if (D::count_parameters(text) != Arguments) sql_placeholder_count_differs_from_argument_count();
    }
    template <class S>
        requires std::is_same_v<S, std::string>
    checked_sql(const S&) {
        static_assert(!std::is_same_v<S, std::string>,
                      "StructQL: fetch() / execute() with arguments take SQL text known at compile time, whose "
                      "placeholders are counted against the arguments; wrap text built at run time in "
                      "structql::runtime_sql(text)");
    }
    checked_sql(runtime_sql sql) noexcept : text(sql.text) {}
    std::string_view text;
};

// Raw SQL: arguments bound in order (strings and string literals as text, std::nullopt as NULL).
// Every placeholder takes one argument: a statement with more or fewer is refused before it runs
// (SQLite would run it with NULL for the missing ones).
template <class Statement, class... Args>
void bind_arguments(Statement& statement, const Args&... args) {
    if (statement.parameter_count() != static_cast<int>(sizeof...(Args)))
        throw invalid_request_error("the statement has " + std::to_string(statement.parameter_count()) +
                                    " parameters but " + std::to_string(sizeof...(Args)) +
                                    " arguments were given [SQL: " + std::string(statement.sql()) + "]");
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

}  // namespace detail

}  // namespace structql
