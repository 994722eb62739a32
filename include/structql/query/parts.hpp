#pragma once
// The parts of a query (model, joins, filter, projection, grouping, order, limit, offset) as
// one type, and the one writer of its SELECT text: at compile time from the type alone when
// every part's text is static, else at run time from the values.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "structql/detail/static_text.hpp"
#include "structql/query/expressions.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

namespace detail {

struct no_condition {
    using value_type = bool;
    using models = type_list<>;
    using reads = type_list<>;
    static constexpr bool dynamic = false;
    template <class Statement>
    void bind(Statement&, int&) const {}
};

// The index of A's column that references model B, or A's column count when none does.
template <class A, class B>
constexpr std::size_t reference_column() {
    std::size_t found = table<A>::column_count;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((std::is_same_v<typename column_layers<member_t<A, I>>::references, B> && found == table<A>::column_count
              ? (found = I, 0)
              : 0),
         ...);
    }(std::make_index_sequence<table<A>::column_count>{});
    return found;
}

template <class D, class A, std::size_t I>
constexpr void write_qualified(auto& out) {
    sql::write_identifier<D>(out, table<A>::name);
    out.append('.');
    sql::write_identifier<D>(out, table<A>::columns[I].name);
}

// Every column of a model, qualified ("model"."column", or "alias"."column" for an alias or CTE
// of it), ", "-separated from what came before unless first: a SELECT list of whole models.
template <class D, class M>
constexpr void write_model_columns(auto& out, std::type_identity<M>, bool& first) {
    using model = typename from_item<M>::model;
    for (std::size_t i = 0; i < table<model>::column_count; ++i) {
        if (!first) out.append(", ");
        first = false;
        sql::write_identifier<D>(out, from_item<M>::name);
        out.append('.');
        sql::write_identifier<D>(out, table<model>::columns[i].name);
    }
}

// ON condition between a joined model and the query's models, from their foreign key: the
// first of the earlier models that the new one references, or that references it.
template <class D, class New, class... Earlier>
struct foreign_key_join {
    using value_type = bool;
    using models = type_list<New, Earlier...>;
    using reads = models;
    static constexpr bool dynamic = false;

    template <class Other>
    static constexpr bool linked() {
        if constexpr (!from_item<Other>::is_table) return false;  // an alias or CTE: its ON is given
        else
            return reference_column<New, Other>() < table<New>::column_count ||
                   reference_column<Other, New>() < table<Other>::column_count;
    }
    static_assert((linked<Earlier>() || ...),
                  "StructQL: join<Model>() without a condition needs a foreign_key between Model and a model "
                  "already in the query; give the condition explicitly: join<Model>(col<...> == col<...>)");

    template <class Other>
    static constexpr void write_link(auto& out) {
        if constexpr (linked<Other>()) write_linked<Other>(out);
    }
    template <class Other>
    static constexpr void write_linked(auto& out) {
        out.append('(');
        if constexpr (constexpr std::size_t i = reference_column<New, Other>(); i < table<New>::column_count) {
            write_qualified<D, New, i>(out);
            out.append(" = ");
            using P = typename column_layers<member_t<New, i>>::references;
            write_qualified<D, P, member_index(column_layers<member_t<New, i>>::referenced_member)>(out);
        } else {
            constexpr std::size_t j = reference_column<Other, New>();
            write_qualified<D, Other, j>(out);
            out.append(" = ");
            write_qualified<D, New, member_index(column_layers<member_t<Other, j>>::referenced_member)>(out);
        }
        out.append(')');
    }
    template <class>
    static constexpr void write(auto& out, const foreign_key_join* = nullptr) {
        bool done = false;
        ((!done && linked<Earlier>() ? (write_link<Earlier>(out), done = true) : false), ...);
    }
    template <class Statement>
    void bind(Statement&, int&) const {}
};

template <class D, class New, class List>
struct foreign_key_join_for;
template <class D, class New, class... Earlier>
struct foreign_key_join_for<D, New, type_list<Earlier...>> {
    static_assert(from_item<New>::is_table,
                  "StructQL: join<Alias>() (or a CTE's join) takes its ON condition: "
                  "join<manager>(col<&Employee::manager_id> == manager::col<&Employee::id>)");
    using type = foreign_key_join<D, New, Earlier...>;
};

// Source: the model, or an alias or CTE of it (detail::from_item); model: the model whose rows
// it gives.
template <class Source, class On, bool Outer>
struct join_clause {
    using source = Source;
    using model = typename from_item<Source>::model;
    static constexpr bool outer = Outer;
    On on;
};

template <class Joins>
inline constexpr bool all_have_models = true;
template <class... J>
inline constexpr bool all_have_models<std::tuple<J...>> = (from_item<typename J::source>::has_model && ...);

// Whether a query's FROM / JOIN items (Items) go by distinct names, and its CTEs (With) by names
// no table it reads has: a CTE named as one would stand for that table, silently.
template <class Items, class With>
inline constexpr bool names_distinct = false;
template <class... S, class... C>
inline constexpr bool names_distinct<type_list<S...>, std::tuple<C...>> = [] {
    constexpr std::string_view items[] = {from_item<S>::name..., from_item<typename C::name_type>::name...};
    constexpr std::string_view tables[] = {from_item<S>::table_name..., std::string_view{}};
    for (std::size_t i = 0; i < std::size(items); ++i) {
        if (i < sizeof...(S)) {
            for (std::size_t j = i + 1; j < sizeof...(S); ++j)
                if (items[i] == items[j]) return false;
        } else {
            for (std::string_view t : tables)
                if (items[i] == t) return false;
        }
    }
    return true;
}();

template <class Joins>
inline constexpr bool has_outer_join = false;
template <class... J>
inline constexpr bool has_outer_join<std::tuple<J...>> = (J::outer || ...);

// The FROM / JOIN items an outer join may leave missing from a row.
template <class Joins>
struct outer_joined;
template <class... J>
struct outer_joined<std::tuple<J...>> {
    using type = concat_t<std::conditional_t<J::outer, type_list<typename J::source>, type_list<>>...>;
};

template <class Join>
struct join_models;
template <class... J>
struct join_models<std::tuple<J...>> {
    using type = type_list<typename J::source...>;
};

// model_rows: the FROM item's columns only, whatever is joined (a CTE's definition: its rows
// have one model's shape).
enum class statement_kind { rows, count, exists, model_rows };

// SELECT ... FOR UPDATE / FOR SHARE, and what a locked row does to the query (PostgreSQL).
inline constexpr char lock_update[] = " FOR UPDATE";
inline constexpr char lock_update_nowait[] = " FOR UPDATE NOWAIT";
inline constexpr char lock_update_skip_locked[] = " FOR UPDATE SKIP LOCKED";
inline constexpr char lock_share[] = " FOR SHARE";
inline constexpr char lock_share_nowait[] = " FOR SHARE NOWAIT";
inline constexpr char lock_share_skip_locked[] = " FOR SHARE SKIP LOCKED";

// Whether any expression (or join condition) in a tuple has run-time text.
template <class Tuple>
struct any_dynamic;
template <class... E>
struct any_dynamic<std::tuple<E...>> {
    template <class X>
    static constexpr bool of() {
        if constexpr (requires { typename X::model; X::outer; }) return decltype(X::on)::dynamic;
        else return X::dynamic;
    }
    static constexpr bool value = (of<E>() || ...);
};

// The models a query reads: its own, its joins', and those of its subqueries and CTEs.
template <class T, class Joins, class Where, class Select, class Having, class With>
struct query_reads;
template <class T, class... J, class Where, class... E, class Having, class... C>
struct query_reads<T, std::tuple<J...>, Where, std::tuple<E...>, Having, std::tuple<C...>> {
    using type = concat_t<type_list<T, typename J::model...>, typename decltype(J::on)::reads..., typename Where::reads,
                          typename E::reads..., typename Having::reads, typename C::reads...>;
};

template <class T, class Joins>
struct model_columns;
template <class S>
constexpr std::size_t columns_of() {
    if constexpr (from_item<S>::has_model) return table<typename from_item<S>::model>::column_count;
    else return 0;  // a CTE of select()ed values: the query must select() too
}
template <class T, class... J>
struct model_columns<T, std::tuple<J...>> {
    static constexpr std::size_t value = (columns_of<T>() + ... + columns_of<typename J::source>());
};

// Whether a filter is `primary key == value` on the model itself: it matches at most one row
// (one part of a composite key may match many).
template <class T, class Where>
inline constexpr bool filters_one_key = false;
template <class T, auto Member, class V, bool Typed>
inline constexpr bool filters_one_key<T, binary_expression<column_expression<Member>, bound_value<V, Typed>, op_eq, bool>> =
    std::is_same_v<typename column_expression<Member>::model, T> && !table<T>::composite_key &&
    column_expression<Member>::index == table<T>::primary_key_index;

// Everything a query holds; the query type is a thin handle around it. T: what FROM reads, a
// model or an alias / CTE of it (detail::from_item); With: the CTEs of its WITH clause.
template <class T, class Joins = std::tuple<>, class Where = detail::no_condition, class Orders = detail::type_list<>,
          class Select = std::tuple<>, class Group = detail::type_list<>, class Having = detail::no_condition,
          bool Limit = false, bool Offset = false, bool Distinct = false, const char* Lock = nullptr,
          class With = std::tuple<>>
struct query_parts {
    using model = typename detail::from_item<T>::model;
    using from = T;
    using with_type = With;
    using joins_type = Joins;
    using where_type = Where;
    using orders = Orders;
    using select_type = Select;
    using group = Group;
    using having_type = Having;
    static constexpr bool has_limit = Limit, has_offset = Offset, is_distinct = Distinct;
    static constexpr bool locks_rows = Lock != nullptr;
    static constexpr bool projected = std::tuple_size_v<Select> > 0;
    // FROM the model's own table, no WITH: what a bulk UPDATE / DELETE can be written from.
    static constexpr bool reads_own_table = detail::from_item<T>::is_table && std::tuple_size_v<With> == 0;

    Joins joins{};
    Where where{};
    Select select{};
    Having having{};
    std::int64_t limit = 0;
    std::int64_t offset = 0;
    With with{};

    // A copy with one clause replaced: the builder's methods each name only their own clause.
    template <class J>
    auto with_joins(J j) const {
        return query_parts<T, J, Where, Orders, Select, Group, Having, Limit, Offset, Distinct, Lock, With>{std::move(j), where,
                                                                                             select, having, limit, offset, with};
    }
    template <class W>
    auto with_where(W w) const {
        return query_parts<T, Joins, W, Orders, Select, Group, Having, Limit, Offset, Distinct, Lock, With>{joins, std::move(w),
                                                                                             select, having, limit, offset, with};
    }
    template <class O>
    auto with_orders() const {
        return query_parts<T, Joins, Where, O, Select, Group, Having, Limit, Offset, Distinct, Lock, With>{joins, where, select,
                                                                                            having, limit, offset, with};
    }
    template <class S>
    auto with_select(S s) const {
        return query_parts<T, Joins, Where, Orders, S, Group, Having, Limit, Offset, Distinct, Lock, With>{joins, where, std::move(s),
                                                                                            having, limit, offset, with};
    }
    template <class G>
    auto with_group() const {
        return query_parts<T, Joins, Where, Orders, Select, G, Having, Limit, Offset, Distinct, Lock, With>{joins, where, select,
                                                                                             having, limit, offset, with};
    }
    template <class H>
    auto with_having(H h) const {
        return query_parts<T, Joins, Where, Orders, Select, Group, H, Limit, Offset, Distinct, Lock, With>{joins, where, select,
                                                                                            std::move(h), limit, offset, with};
    }
    auto with_limit(std::int64_t n) const {
        return query_parts<T, Joins, Where, Orders, Select, Group, Having, true, Offset, Distinct, Lock, With>{joins, where, select,
                                                                                                having, n, offset, with};
    }
    auto with_offset(std::int64_t n) const {
        return query_parts<T, Joins, Where, Orders, Select, Group, Having, Limit, true, Distinct, Lock, With>{joins, where, select,
                                                                                               having, limit, n, with};
    }
    template <const char* L>
    auto with_lock() const {
        return query_parts<T, Joins, Where, Orders, Select, Group, Having, Limit, Offset, Distinct, L, With>{joins, where, select,
                                                                                                    having, limit, offset, with};
    }
    auto with_distinct() const {
        return query_parts<T, Joins, Where, Orders, Select, Group, Having, Limit, Offset, true, Lock, With>{joins, where, select,
                                                                                             having, limit, offset, with};
    }

    // A copy that also reads (or reads FROM) the CTE C: its definition joins the WITH clause.
    template <class C, class From = T>
    auto with_cte(C cte) const {
        using W = decltype(std::tuple_cat(with, std::tuple<C>{std::move(cte)}));
        return query_parts<From, Joins, Where, Orders, Select, Group, Having, Limit, Offset, Distinct, Lock, W>{
            joins, where, select, having, limit, offset, std::tuple_cat(with, std::tuple<C>{std::move(cte)})};
    }

    using all_models = detail::concat_t<detail::type_list<T>, typename detail::join_models<Joins>::type>;
    static_assert(detail::names_distinct<all_models, With>,
                  "StructQL: two FROM / JOIN items of one query have the same name, or a CTE has the name of a table "
                  "the query reads (it would stand for that table): rename the alias or CTE");
    using reads = typename detail::query_reads<model, Joins, Where, Select, Having, With>::type;

    static constexpr bool dynamic = Where::dynamic || Having::dynamic || detail::any_dynamic<Joins>::value ||
                                    detail::any_dynamic<Select>::value || detail::any_dynamic<With>::value;

    // One writer for both the compile-time text (self == nullptr, static parts only) and the
    // run-time text of dynamic shapes. with_clause false: without the WITH clause (a recursive
    // CTE's step, whose only CTE is the one it defines).
    template <class D>
    static constexpr void write_text(auto& out, const query_parts* self, detail::statement_kind kind,
                                     bool with_clause = true) {
        using detail::statement_kind;
        if (with_clause) write_with<D>(out, self);
        bool wrap = kind == statement_kind::exists ||
                    (kind == statement_kind::count &&
                     (Limit || Offset || Distinct || projected || Lock != nullptr || std::tuple_size_v<Joins> > 0 ||
                      !std::is_same_v<Group, detail::type_list<>>));
        if (wrap) {
            out.append(kind == statement_kind::exists ? "SELECT EXISTS (" : "SELECT count(*) FROM (");
            write_text<D>(out, self, statement_kind::rows, false);
            out.append(')');
            if (kind == statement_kind::count) out.append(D::subquery_alias);
            return;
        }
        out.append("SELECT ");
        if (Distinct) out.append("DISTINCT ");
        if (kind == statement_kind::count) {
            out.append("count(*)");
        } else {
            write_select_list<D>(out, self, kind == statement_kind::model_rows);
        }
        out.append(" FROM ");
        detail::from_item<T>::template write<D>(out);
        write_joins<D>(out, self, std::make_index_sequence<std::tuple_size_v<Joins>>{});
        if constexpr (!std::is_same_v<Where, detail::no_condition>) {
            out.append(" WHERE ");
            detail::write_node<D>(self ? &self->where : nullptr, out);
        }
        detail::write_key_clause<D>(out, " GROUP BY ", Group{});
        if constexpr (!std::is_same_v<Having, detail::no_condition>) {
            out.append(" HAVING ");
            detail::write_node<D>(self ? &self->having : nullptr, out);
        }
        if (kind != statement_kind::count) detail::write_key_clause<D>(out, " ORDER BY ", Orders{});  // a count has one row
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
        if constexpr (Lock != nullptr) {
            static_assert(D::locks_rows,
                          "StructQL: for_update() / for_share() lock rows, which SQLite cannot: it locks the whole "
                          "database for its first writer (a session on a SQLite file begins IMMEDIATE: it holds "
                          "that lock from its first statement)");
            static_assert(std::is_same_v<Having, detail::no_condition> &&
                              ![]<class... E>(std::tuple<E...>*) { return (detail::groups_rows<E> || ...); }(
                                  static_cast<Select*>(nullptr)),
                          "StructQL: for_update() / for_share() lock the rows a query reads, which PostgreSQL "
                          "cannot do for aggregates (count, sum, avg, min, max), window functions or having(): "
                          "lock the rows in one query, aggregate in another (or in a subquery: scalar<Model>())");
            out.append(std::string_view(Lock));  // count() and exists() read (and lock) it as a subquery
        }
    }

    template <class Statement>
    void bind(Statement& statement, int& index, bool with_clause = true) const {
        if (with_clause) std::apply([&](const auto&... c) { (c.bind(statement, index), ...); }, with);
        std::apply([&](const auto&... e) { (e.bind(statement, index), ...); }, select);
        std::apply([&](const auto&... j) { (j.on.bind(statement, index), ...); }, joins);
        where.bind(statement, index);
        having.bind(statement, index);
        if constexpr (Limit) statement.bind(index++, limit);
        if constexpr (Offset) statement.bind(index++, offset);
    }

    // The number of result columns.
    static constexpr std::size_t column_count =
        projected ? std::tuple_size_v<Select> : detail::model_columns<T, Joins>::value;

private:
    // WITH [RECURSIVE] "a"(...) AS (...), "b"(...) AS (...) , then the statement.
    template <class D>
    static constexpr void write_with([[maybe_unused]] auto& out, [[maybe_unused]] const query_parts* self) {
        if constexpr (std::tuple_size_v<With> > 0) {
            [&]<class... C>(std::type_identity<std::tuple<C...>>) {
                out.append((C::recursive || ...) ? "WITH RECURSIVE " : "WITH ");
            }(std::type_identity<With>{});
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((I ? out.append(", ") : void(),
                  std::tuple_element_t<I, With>::template write_definition<D>(out, self ? &std::get<I>(self->with) : nullptr)),
                 ...);
            }(std::make_index_sequence<std::tuple_size_v<With>>{});
            out.append(' ');
        }
    }

    template <class D>
    static constexpr void write_select_list(auto& out, const query_parts* self, [[maybe_unused]] bool from_only) {
        if constexpr (projected) {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((I ? out.append(", ") : void(), detail::write_node<D>(self ? &std::get<I>(self->select) : nullptr, out)),
                 ...);
            }(std::make_index_sequence<std::tuple_size_v<Select>>{});
        } else {
            static_assert(detail::from_item<T>::has_model && detail::all_have_models<Joins>,
                          "StructQL: a query reading a CTE of select()ed values (FROM or joined) has rows of values: "
                          "select() them (cte.column<I>, cte.col<&Model::member>)");
            bool first = true;
            detail::write_model_columns<D>(out, std::type_identity<T>{}, first);
            if (from_only) return;
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (detail::write_model_columns<D>(out, std::type_identity<typename std::tuple_element_t<I, Joins>::source>{}, first),
                 ...);
            }(std::make_index_sequence<std::tuple_size_v<Joins>>{});
        }
    }

    template <class D, std::size_t... I>
    static constexpr void write_joins(auto& out, [[maybe_unused]] const query_parts* self, std::index_sequence<I...>) {
        (write_join<D, I>(out, self), ...);
    }
    template <class D, std::size_t I>
    static constexpr void write_join(auto& out, const query_parts* self) {
        using J = std::tuple_element_t<I, Joins>;
        out.append(J::outer ? " LEFT OUTER JOIN " : " JOIN ");
        detail::from_item<typename J::source>::template write<D>(out);
        out.append(" ON ");
        detail::write_node<D>(self ? &std::get<I>(self->joins).on : nullptr, out);
    }
};

template <class D, class Parts, statement_kind Kind>
struct query_text {
    static constexpr void write(auto& out) { Parts::template write_text<D>(out, nullptr, Kind); }
};

// The text of a query, at compile time when its shape allows, else at run time.
template <class D, class Parts, statement_kind Kind>
constexpr std::string_view static_query_text() {
    if constexpr (Parts::dynamic) return {};
    else return text_v<query_text<D, Parts, Kind>>;
}

}  // namespace detail

}  // namespace structql
