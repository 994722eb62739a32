#pragma once
// query<T>(): SELECT over one model, built by chaining filter / order_by / limit / offset. Each
// step returns a query of a new type, so the finished statement's text is fixed at compile time
// from the chain's shape; its values are bound when it runs.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/static_text.hpp"
#include "structql/errors.hpp"
#include "structql/query/expressions.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

template <class Backend>
class basic_session;

namespace detail {

template <class... Ts>
struct type_list {};

struct no_condition {
    template <class Statement>
    void bind(Statement&, int&) const {}
};

template <class D, class Key>
constexpr void write_order_key(auto& out) {
    if constexpr (requires { typename Key::column_type; }) {
        Key::column_type::template write<D>(out);
        out.append(" DESC");
    } else {
        Key::template write<D>(out);
    }
}

enum class select_kind { rows, count };

template <class D, class T, class Where, class Orders, bool Limit, bool Offset, select_kind Kind>
struct select_text;

template <class D, class T, class Where, class... Keys, bool Limit, bool Offset, select_kind Kind>
struct select_text<D, T, Where, type_list<Keys...>, Limit, Offset, Kind> {
    static constexpr void write(auto& out) {
        if constexpr (Kind == select_kind::count && (Limit || Offset)) {
            // count() of a page counts the rows of that page.
            out.append("SELECT count(*) FROM (");
            select_text<D, T, Where, type_list<Keys...>, Limit, Offset, select_kind::rows>::write(out);
            out.append(')');
            return;
        } else {
            if constexpr (Kind == select_kind::count) {
                out.append("SELECT count(*) FROM ");
                sql::write_identifier(out, table<T>::name);
            } else {
                sql::detail::select_all_text<D, T>::write(out);
            }
            if constexpr (!std::is_same_v<Where, no_condition>) {
                out.append(" WHERE ");
                Where::template write<D>(out);
            }
            if constexpr (sizeof...(Keys) > 0) {
                out.append(" ORDER BY ");
                bool first = true;
                ((first ? void() : out.append(", "), first = false, write_order_key<D, Keys>(out)), ...);
            }
            if constexpr (Limit) {
                out.append(" LIMIT ");
                D::write_placeholder(out);
            } else if constexpr (Offset) {
                out.append(D::limit_all);
            }
            if constexpr (Offset) {
                out.append(" OFFSET ");
                D::write_placeholder(out);
            }
        }
    }
};

}  // namespace detail

template <class Backend, class T, class Where = detail::no_condition, class Orders = detail::type_list<>,
          bool Limit = false, bool Offset = false>
class basic_query {
    using dialect = typename Backend::dialect;

public:
    explicit basic_query(basic_session<Backend>& session) : session_(&session) {}
    basic_query(basic_session<Backend>& session, Where where, std::int64_t limit, std::int64_t offset)
        : session_(&session), where_(std::move(where)), limit_(limit), offset_(offset) {}

    // The statement this query runs, fixed at compile time.
    static constexpr std::string_view sql =
        detail::text_v<detail::select_text<dialect, T, Where, Orders, Limit, Offset, detail::select_kind::rows>>;
    static constexpr std::string_view count_sql =
        detail::text_v<detail::select_text<dialect, T, Where, Orders, Limit, Offset, detail::select_kind::count>>;

    // Adds a WHERE condition; several filters are joined with AND.
    template <expression E>
    auto filter(E condition) const {
        if constexpr (std::is_same_v<Where, detail::no_condition>) {
            return basic_query<Backend, T, E, Orders, Limit, Offset>(*session_, std::move(condition), limit_, offset_);
        } else {
            using combined = decltype(where_ && condition);
            return basic_query<Backend, T, combined, Orders, Limit, Offset>(*session_, where_ && std::move(condition),
                                                                           limit_, offset_);
        }
    }

    // Appends sort keys: col<&T::m> (ascending) or desc(col<&T::m>).
    template <class... Keys>
    auto order_by(Keys...) const {
        return append_order(Orders{}, detail::type_list<Keys...>{});
    }

    auto limit(std::int64_t n) const {
        return basic_query<Backend, T, Where, Orders, true, Offset>(*session_, where_, n, offset_);
    }
    auto offset(std::int64_t n) const {
        return basic_query<Backend, T, Where, Orders, Limit, true>(*session_, where_, limit_, n);
    }

    // Every matching object, tracked in the session's identity map.
    std::vector<T*> all() const {
        std::vector<T*> result;
        session_->template load<T>(sql, [&](auto& s) { bind(s); }, [&](T& object) {
            result.push_back(&object);
            return true;
        });
        return result;
    }

    // The first matching object, or nullptr.
    T* first() const {
        if constexpr (!Limit) {
            return limit(1).first();
        } else {
            T* found = nullptr;
            session_->template load<T>(sql, [&](auto& s) { bind(s); }, [&](T& object) {
                found = &object;
                return false;
            });
            return found;
        }
    }

    // Exactly one object: no_result_found or multiple_results_found otherwise.
    T& one() const {
        T* found = nullptr;
        bool more = false;
        session_->template load<T>(sql, [&](auto& s) { bind(s); }, [&](T& object) {
            if (found) {
                more = true;
                return false;
            }
            found = &object;
            return true;
        });
        if (more) throw multiple_results_found("one(): more than one row in \"" + std::string(table<T>::name) + "\" matched [SQL: " + std::string(sql) + "]");
        if (!found) throw no_result_found("one(): no row in \"" + std::string(table<T>::name) + "\" matched [SQL: " + std::string(sql) + "]");
        return *found;
    }

    // The number of matching rows (SELECT count(*)).
    std::size_t count() const {
        return static_cast<std::size_t>(session_->count(count_sql, [&](auto& s) { bind(s); }));
    }

    template <class Statement>
    void bind(Statement& statement) const {
        int index = 1;
        where_.bind(statement, index);
        if constexpr (Limit) statement.bind(index++, limit_);
        if constexpr (Offset) statement.bind(index++, offset_);
    }

private:
    template <class... Old, class... New>
    auto append_order(detail::type_list<Old...>, detail::type_list<New...>) const {
        return basic_query<Backend, T, Where, detail::type_list<Old..., New...>, Limit, Offset>(*session_, where_,
                                                                                               limit_, offset_);
    }

    basic_session<Backend>* session_;
    Where where_{};
    std::int64_t limit_ = 0;
    std::int64_t offset_ = 0;
};

}  // namespace structql
