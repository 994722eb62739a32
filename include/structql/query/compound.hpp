#pragma once
// UNION and UNION ALL of queries whose rows have one type: sq::union_all(q1, q2, ...) and
// sq::union_(q1, q2, ...). The text is fixed at compile time when every query's is; the rows
// are read as the first query reads them (tracked objects in a session, values on a connection).
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/access.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/detail/type_list.hpp"
#include "structql/errors.hpp"
#include "structql/query/parts.hpp"

namespace structql {

namespace detail {
inline constexpr char set_union[] = " UNION ";
inline constexpr char set_union_all[] = " UNION ALL ";

// A query that can stand in a UNION (SQLite refuses ORDER BY, LIMIT and OFFSET there), also a
// CTE's first query and recursive step (query/cte.hpp).
template <class Q>
inline constexpr bool plain_compound_part = std::is_same_v<typename Q::parts_type::orders, type_list<>> &&
                                            !Q::parts_type::has_limit && !Q::parts_type::has_offset &&
                                            !Q::parts_type::locks_rows;

// q1 UNION q2 ..., or the count of its rows. queries: the queries' objects, or null for the
// compile-time text.
template <class D, const char* Operator, class... Q>
constexpr void write_compound(auto& out, const std::tuple<Q...>* queries, statement_kind kind) {
    if (kind == statement_kind::count) out.append("SELECT count(*) FROM (");
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((I ? out.append(std::string_view(Operator)) : void(),
          Q::template write_select<D>(out, queries ? &std::get<I>(*queries) : nullptr)),
         ...);
    }(std::index_sequence_for<Q...>{});
    if (kind == statement_kind::count) {
        out.append(')');
        out.append(D::subquery_alias);
    }
}
template <class D, const char* Operator, statement_kind Kind, class... Q>
struct compound_text {
    static constexpr void write(auto& out) { write_compound<D, Operator>(out, static_cast<const std::tuple<Q...>*>(nullptr), Kind); }
};
template <class D, const char* Operator, statement_kind Kind, bool Dynamic, class... Q>
constexpr std::string_view static_compound_text() {
    if constexpr (Dynamic) return {};
    else return text_v<compound_text<D, Operator, Kind, Q...>>;
}
}  // namespace detail

template <const char* Operator, class First, class... Rest>
class compound_query {
    using source_type = std::remove_reference_t<decltype(detail::access::source_of(std::declval<const First&>()))>;
    using dialect = typename source_type::backend_type::dialect;
    using parts = typename First::parts_type;
    using reads = detail::concat_t<typename First::reads, typename Rest::reads...>;

    static_assert(sizeof...(Rest) > 0, "StructQL: union_() / union_all() combine two or more queries");
    static_assert((std::is_same_v<source_type, std::remove_reference_t<decltype(detail::access::source_of(std::declval<const Rest&>()))>> && ...),
                  "StructQL: union_() / union_all() combine queries of one session or connection");
    static_assert((std::is_same_v<typename First::row_type, typename Rest::row_type> && ...) &&
                      (std::is_same_v<typename First::value_row_type, typename Rest::value_row_type> && ...),
                  "StructQL: union_() / union_all() take queries whose rows have the same type (the same model, or "
                  "select() of the same value types)");
    static_assert(detail::plain_compound_part<First> && (detail::plain_compound_part<Rest> && ...),
                  "StructQL: the queries of union_() / union_all() have no order_by(), limit(), offset() or row lock "
                  "(SQLite refuses them there): order the combined rows in C++");
    template <class Q>
    static constexpr bool without_cte = std::tuple_size_v<typename Q::parts_type::with_type> == 0;
    static_assert(without_cte<First> && (without_cte<Rest> && ...),
                  "StructQL: the queries of union_() / union_all() read no CTE (a WITH clause cannot stand inside a "
                  "UNION): a CTE's own union is its recursive step, cte<\"name\">(sq::recursive).union_all(step)");

public:
    using row_type = typename First::row_type;
    using value_row_type = typename First::value_row_type;
    static constexpr bool dynamic = First::dynamic || (Rest::dynamic || ...);
    static constexpr std::string_view sql =
        detail::static_compound_text<dialect, Operator, detail::statement_kind::rows, dynamic, First, Rest...>();
    static constexpr std::string_view count_sql =
        detail::static_compound_text<dialect, Operator, detail::statement_kind::count, dynamic, First, Rest...>();

    explicit compound_query(First first, Rest... rest) : queries_(std::move(first), std::move(rest)...) {
        if (((&detail::access::source_of(std::get<0>(queries_)) != &detail::access::source_of(rest)) || ...))
            throw invalid_request_error("union_() / union_all(): the queries run on different sessions or connections");
    }

    std::vector<row_type> all() const {
        std::vector<row_type> rows;
        run(detail::statement_kind::rows, [&](const auto& statement) {
            rows.push_back(detail::access::read_row<parts>(source(), statement));
            return true;
        });
        return rows;
    }
    std::vector<value_row_type> values() const {
        std::vector<value_row_type> rows;
        run(detail::statement_kind::rows, [&](const auto& statement) {
            rows.push_back(detail::access::read_value_row<parts>(source(), statement));
            return true;
        });
        return rows;
    }
    std::size_t count() const {
        std::int64_t n = 0;
        run(detail::statement_kind::count, [&](const auto& statement) {
            n = statement.template read<std::int64_t>(0);
            return false;
        });
        return static_cast<std::size_t>(n);
    }

private:
    source_type& source() const { return detail::access::source_of(std::get<0>(queries_)); }

    template <class OnRow>
    void run(detail::statement_kind kind, OnRow&& on_row) const {
        auto binder = [&](auto& statement) {
            int index = 1;
            std::apply([&](const auto&... q) { (q.bind_select(statement, index), ...); }, queries_);
        };
        if constexpr (!dynamic) {
            detail::access::select_rows<reads>(source(), kind == detail::statement_kind::count ? count_sql : sql, false,
                                               binder, on_row);
        } else {
            detail::runtime_text out;
            detail::write_compound<dialect, Operator>(out, &queries_, kind);
            detail::access::select_rows<reads>(source(), std::string_view(out.text), true, binder, on_row);
        }
    }

    std::tuple<First, Rest...> queries_;
};

// Every row of each query, duplicates kept (UNION ALL), or once (UNION).
template <class First, class... Rest>
    requires requires { typename First::is_query; } && (requires { typename Rest::is_query; } && ...)
auto union_all(First first, Rest... rest) {
    return compound_query<detail::set_union_all, First, Rest...>(std::move(first), std::move(rest)...);
}
template <class First, class... Rest>
    requires requires { typename First::is_query; } && (requires { typename Rest::is_query; } && ...)
auto union_(First first, Rest... rest) {
    return compound_query<detail::set_union, First, Rest...>(std::move(first), std::move(rest)...);
}

}  // namespace structql
