#pragma once
// query<T>(): a SELECT built by chaining filter / join / outerjoin / select / group_by /
// having / distinct / order_by / limit / offset. Each step returns a query of a new type, so the
// finished statement's text is fixed at compile time from the chain's shape (`Query::sql`);
// values are bound when it runs. The query runs on a source: a session (objects tracked in
// its identity map) or a connection (plain values).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/static_text.hpp"
#include "structql/errors.hpp"
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
    sql::write_identifier(out, table<A>::name);
    out.append('.');
    sql::write_identifier(out, table<A>::columns[I].name);
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
    static constexpr void write(auto& out) {
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
    using type = foreign_key_join<D, New, Earlier...>;
};

template <class Model, class On, bool Outer>
struct join_clause {
    using model = Model;
    static constexpr bool outer = Outer;
    On on;
};

template <class Join>
struct join_models;
template <class... J>
struct join_models<std::tuple<J...>> {
    using type = type_list<typename J::model...>;
};

enum class statement_kind { rows, count, exists };

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

// The models a query reads: its own, its joins', and those of its subqueries.
template <class T, class Joins, class Where, class Select, class Having>
struct query_reads;
template <class T, class... J, class Where, class... E, class Having>
struct query_reads<T, std::tuple<J...>, Where, std::tuple<E...>, Having> {
    using type = concat_t<type_list<T, typename J::model...>, typename decltype(J::on)::reads..., typename Where::reads,
                          typename E::reads..., typename Having::reads>;
};

template <class T, class Joins>
struct model_columns;
template <class T, class... J>
struct model_columns<T, std::tuple<J...>> {
    static constexpr std::size_t value = (table<T>::column_count + ... + table<typename J::model>::column_count);
};

template <class E>
struct order_expression {
    using type = E;
    static constexpr bool descending = false;
};
template <class E>
struct order_expression<descending<E>> {
    using type = E;
    static constexpr bool descending = true;
};

// Whether a filter is `primary key == value` on the model itself: it matches at most one row.
template <class T, class Where>
inline constexpr bool filters_one_key = false;
template <class T, auto Member, class V, bool Typed>
inline constexpr bool filters_one_key<T, binary_expression<column_expression<Member>, bound_value<V, Typed>, op_eq, bool>> =
    std::is_same_v<typename column_expression<Member>::model, T> &&
    column_expression<Member>::index == table<T>::primary_key_index;

}  // namespace detail

// Everything a query holds; the query type is a thin handle around it.
template <class T, class Joins = std::tuple<>, class Where = detail::no_condition, class Orders = detail::type_list<>,
          class Select = std::tuple<>, class Group = detail::type_list<>, class Having = detail::no_condition,
          bool Limit = false, bool Offset = false, bool Distinct = false>
struct query_parts {
    using model = T;
    using joins_type = Joins;
    using where_type = Where;
    using orders = Orders;
    using select_type = Select;
    using group = Group;
    using having_type = Having;
    static constexpr bool has_limit = Limit, has_offset = Offset, is_distinct = Distinct;
    static constexpr bool projected = std::tuple_size_v<Select> > 0;

    Joins joins{};
    Where where{};
    Select select{};
    Having having{};
    std::int64_t limit = 0;
    std::int64_t offset = 0;

    using all_models = detail::concat_t<detail::type_list<T>, typename detail::join_models<Joins>::type>;
    using reads = typename detail::query_reads<T, Joins, Where, Select, Having>::type;

    static constexpr bool dynamic =
        Where::dynamic || Having::dynamic || detail::any_dynamic<Joins>::value || detail::any_dynamic<Select>::value;

    // One writer for both the compile-time text (self == nullptr, static parts only) and the
    // run-time text of dynamic shapes.
    template <class D>
    static constexpr void write_text(auto& out, const query_parts* self, detail::statement_kind kind) {
        using detail::statement_kind;
        bool wrap = kind == statement_kind::exists ||
                    (kind == statement_kind::count &&
                     (Limit || Offset || Distinct || projected || std::tuple_size_v<Joins> > 0 ||
                      !std::is_same_v<Group, detail::type_list<>>));
        if (wrap) {
            out.append(kind == statement_kind::exists ? "SELECT EXISTS (" : "SELECT count(*) FROM (");
            write_text<D>(out, self, statement_kind::rows);
            out.append(')');
            if (kind == statement_kind::count) out.append(D::subquery_alias);
            return;
        }
        out.append("SELECT ");
        if (Distinct) out.append("DISTINCT ");
        if (kind == statement_kind::count) {
            out.append("count(*)");
        } else {
            write_select_list<D>(out, self);
        }
        out.append(" FROM ");
        sql::write_identifier(out, table<T>::name);
        write_joins<D>(out, self, std::make_index_sequence<std::tuple_size_v<Joins>>{});
        if constexpr (!std::is_same_v<Where, detail::no_condition>) {
            out.append(" WHERE ");
            detail::write_expression<D>(self ? &self->where : nullptr, out);
        }
        write_group<D>(out, Group{});
        if constexpr (!std::is_same_v<Having, detail::no_condition>) {
            out.append(" HAVING ");
            detail::write_expression<D>(self ? &self->having : nullptr, out);
        }
        if (kind != statement_kind::count) write_orders<D>(out, Orders{});  // a count has one row
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

    template <class Statement>
    void bind(Statement& statement, int& index) const {
        std::apply([&](const auto&... e) { (e.bind(statement, index), ...); }, select);
        std::apply([&](const auto&... j) { (j.on.bind(statement, index), ...); }, joins);
        where.bind(statement, index);
        having.bind(statement, index);
        if constexpr (Limit) statement.bind(index++, limit);
        if constexpr (Offset) statement.bind(index++, offset);
    }

    // The number of result columns.
    static constexpr std::size_t column_count = projected ? std::tuple_size_v<Select> : detail::model_columns<T, Joins>::value;

private:
    template <class D>
    static constexpr void write_model_columns(auto& out, auto model_type, bool& first) {
        using M = typename decltype(model_type)::type;
        for (std::size_t i = 0; i < table<M>::column_count; ++i) {
            if (!first) out.append(", ");
            first = false;
            sql::write_identifier(out, table<M>::name);
            out.append('.');
            sql::write_identifier(out, table<M>::columns[i].name);
        }
    }

    template <class D>
    static constexpr void write_select_list(auto& out, const query_parts* self) {
        if constexpr (projected) {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((I ? out.append(", ") : void(), detail::write_expression<D>(self ? &std::get<I>(self->select) : nullptr, out)),
                 ...);
            }(std::make_index_sequence<std::tuple_size_v<Select>>{});
        } else {
            bool first = true;
            write_model_columns<D>(out, std::type_identity<T>{}, first);
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (write_model_columns<D>(out, std::type_identity<typename std::tuple_element_t<I, Joins>::model>{}, first),
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
        sql::write_identifier(out, table<typename J::model>::name);
        out.append(" ON ");
        detail::write_expression<D>(self ? &std::get<I>(self->joins).on : nullptr, out);
    }

    template <class D, class... G>
    static constexpr void write_group(auto& out, detail::type_list<G...>) {
        if constexpr (sizeof...(G) > 0) {
            out.append(" GROUP BY ");
            bool first = true;
            ((first ? void() : out.append(", "), first = false, G::template write<D>(out)), ...);
        }
    }

    template <class D, class... Keys>
    static constexpr void write_orders(auto& out, detail::type_list<Keys...>) {
        if constexpr (sizeof...(Keys) > 0) {
            out.append(" ORDER BY ");
            bool first = true;
            ((first ? void() : out.append(", "), first = false,
              detail::order_expression<Keys>::type::template write<D>(out),
              detail::order_expression<Keys>::descending ? out.append(" DESC") : void()),
             ...);
        }
    }
};

namespace detail {

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

template <class E>
using value_of_t = std::conditional_t<E::nullable && !is_optional<typename E::value_type>::value,
                                      std::optional<typename E::value_type>, typename E::value_type>;

template <class Select>
struct projection_row;
template <class... E>
struct projection_row<std::tuple<E...>> {
    using type = std::tuple<value_of_t<E>...>;
};

template <class V, class Statement>
void read_projected(const Statement& statement, int column, V& out) {
    try {
        read_value(statement, column, out);
    } catch (const error&) {
        throw;
    } catch (const std::exception& e) {  // a NULL or a value out of range for V
        throw data_error("cannot read result column " + std::to_string(column + 1) + ": " + e.what() + " [SQL: " +
                         std::string(statement.sql()) + "]");
    }
}

template <class... E, class Statement>
std::tuple<value_of_t<E>...> read_projection(const Statement& statement, std::tuple<E...>*) {
    std::tuple<value_of_t<E>...> row;
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
    template <class J>
    using joined_value = std::conditional_t<J::outer, std::optional<typename J::model>, typename J::model>;

    template <class Joins>
    struct joined_row;
    template <class... J>
    struct joined_row<std::tuple<J...>> {
        using type = std::tuple<typename Parts::model, joined_value<J>...>;
    };

    using type = std::conditional_t<
        Parts::projected, typename projection_row<typename Parts::select_type>::type,
        std::conditional_t<std::tuple_size_v<typename Parts::joins_type> == 0, typename Parts::model,
                           typename joined_row<typename Parts::joins_type>::type>>;

    template <class Statement>
    static type read(const Statement& statement) {
        if constexpr (Parts::projected) {
            return read_projection(statement, static_cast<typename Parts::select_type*>(nullptr));
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
    source.template select_rows<void>(sql, true, [&](auto& statement) { bind_arguments(statement, args...); },
                       [&](const auto& statement) {
                           rows.push_back(read_positional<Row>(statement));
                           return true;
                       });
    return rows;
}

}  // namespace detail

template <class Source, class Parts>
class basic_query {
    using backend = typename Source::backend_type;
    using dialect = typename backend::dialect;
    using T = typename Parts::model;
    static constexpr bool tracked = Source::tracks_objects;

public:
    using is_query = void;
    using parts_type = Parts;
    using reads = typename Parts::reads;
    static constexpr bool dynamic = Parts::dynamic;
    static constexpr std::size_t column_count = Parts::column_count;

    // The statements this query runs, fixed at compile time (empty for a dynamic shape: an IN
    // over a run-time list).
    static constexpr std::string_view sql = detail::static_query_text<dialect, Parts, detail::statement_kind::rows>();
    static constexpr std::string_view count_sql =
        detail::static_query_text<dialect, Parts, detail::statement_kind::count>();
    static constexpr std::string_view exists_sql =
        detail::static_query_text<dialect, Parts, detail::statement_kind::exists>();

    basic_query(Source& source, Parts parts) : source_(&source), parts_(std::move(parts)) {}

    // Adds a WHERE condition over the query's models; several filters are joined with AND.
    template <condition E>
    auto filter(E condition) const {
        static_assert(detail::all_in<typename E::models, typename Parts::all_models>::value,
                      "StructQL: filter() uses a column of a model that is not in this query; join<Model>() it "
                      "first");
        if constexpr (std::is_same_v<typename Parts::where_type, detail::no_condition>) {
            return with_where(std::move(condition));
        } else {
            auto combined = parts_.where && std::move(condition);
            return with_where(std::move(combined));
        }
    }

    // INNER JOIN Model ON the foreign key between it and the query's models, or ON `on`.
    template <class Model>
    auto join() const {
        return add_join<Model, false>(typename detail::foreign_key_join_for<dialect, Model, typename Parts::all_models>::type{});
    }
    template <class Model, condition On>
    auto join(On on) const {
        return add_join<Model, false>(std::move(on));
    }
    // LEFT OUTER JOIN: rows of the query's models without a match come with the joined side
    // missing (nullptr / std::nullopt).
    template <class Model>
    auto outerjoin() const {
        return add_join<Model, true>(typename detail::foreign_key_join_for<dialect, Model, typename Parts::all_models>::type{});
    }
    template <class Model, condition On>
    auto outerjoin(On on) const {
        return add_join<Model, true>(std::move(on));
    }

    // Selects expressions instead of whole objects: rows become std::tuple of their values
    // (std::optional where they can be NULL).
    template <detail::valued... E>
    auto select(E... expressions) const {
        static_assert(sizeof...(E) > 0);
        static_assert((detail::all_in<typename E::models, typename Parts::all_models>::value && ...),
                      "StructQL: select() uses a column of a model that is not in this query");
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type, typename Parts::orders,
                              std::tuple<E...>, typename Parts::group, typename Parts::having_type, Parts::has_limit,
                              Parts::has_offset, Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, std::tuple<E...>(std::move(expressions)...),
                                                  parts_.having, parts_.limit, parts_.offset});
    }

    template <class... Columns>
    auto group_by(Columns...) const {
        static_assert((detail::column_like<Columns> && ...), "StructQL: group_by() takes columns");
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type, typename Parts::orders,
                              typename Parts::select_type, detail::concat_t<typename Parts::group, detail::type_list<Columns...>>,
                              typename Parts::having_type, Parts::has_limit, Parts::has_offset, Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, parts_.select, parts_.having,
                                                  parts_.limit, parts_.offset});
    }

    template <condition E>
    auto having(E condition) const {
        static_assert(std::is_same_v<typename Parts::having_type, detail::no_condition>,
                      "StructQL: having() once per query; combine conditions with &&");
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type, typename Parts::orders,
                              typename Parts::select_type, typename Parts::group, E, Parts::has_limit, Parts::has_offset,
                              Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, parts_.select, std::move(condition),
                                                  parts_.limit, parts_.offset});
    }

    auto distinct() const {
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type, typename Parts::orders,
                              typename Parts::select_type, typename Parts::group, typename Parts::having_type,
                              Parts::has_limit, Parts::has_offset, true>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, parts_.select, parts_.having,
                                                  parts_.limit, parts_.offset});
    }

    // Appends sort keys: an expression (ascending) or desc(expression). Keys are columns or
    // aggregates: their text is fixed by their type.
    template <class... Keys>
    auto order_by(Keys...) const {
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type,
                              detail::concat_t<typename Parts::orders, detail::type_list<Keys...>>,
                              typename Parts::select_type, typename Parts::group, typename Parts::having_type,
                              Parts::has_limit, Parts::has_offset, Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, parts_.select, parts_.having,
                                                  parts_.limit, parts_.offset});
    }

    auto limit(std::int64_t n) const {
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type, typename Parts::orders,
                              typename Parts::select_type, typename Parts::group, typename Parts::having_type, true,
                              Parts::has_offset, Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, parts_.select, parts_.having, n,
                                                  parts_.offset});
    }
    auto offset(std::int64_t n) const {
        using P = query_parts<T, typename Parts::joins_type, typename Parts::where_type, typename Parts::orders,
                              typename Parts::select_type, typename Parts::group, typename Parts::having_type,
                              Parts::has_limit, true, Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, parts_.where, parts_.select, parts_.having,
                                                  parts_.limit, n});
    }

    // What one row of all() is: T* (a session's tracked object), T (a connection's value), a
    // tuple of those for joins (nullptr / std::nullopt for an outer join's missing side), or a
    // tuple of values for select().
    using row_type = typename Source::template row_type<Parts>;
    // What one row of values() is: the same, but never tracked.
    using value_row_type = typename Source::template value_row_type<Parts>;

    std::vector<row_type> all() const {
        std::vector<row_type> rows;
        run(detail::statement_kind::rows, [&](const auto& statement) {
            rows.push_back(source_->template read_row<Parts>(statement));
            return true;
        });
        return rows;
    }

    // Plain values, read without the identity map or snapshots: the read-heavy path.
    std::vector<value_row_type> values() const {
        std::vector<value_row_type> rows;
        run(detail::statement_kind::rows, [&](const auto& statement) {
            rows.push_back(source_->template read_value_row<Parts>(statement));
            return true;
        });
        return rows;
    }

    // Calls fn(row) for each row as it is read, without collecting them.
    template <class F>
    void for_each(F&& fn) const {
        run(detail::statement_kind::rows, [&](const auto& statement) {
            fn(source_->template read_row<Parts>(statement));
            return true;
        });
    }

    // The first row: nullptr / std::nullopt when there is none. LIMIT 1 is added unless the
    // query has a limit or filters one primary key without joins (where it would only cost).
    auto first() const {
        if constexpr (!Parts::has_limit && !(std::tuple_size_v<typename Parts::joins_type> == 0 &&
                                             detail::filters_one_key<T, typename Parts::where_type>)) {
            return limit(1).first();
        } else {
            std::optional<row_type> found;
            run(detail::statement_kind::rows, [&](const auto& statement) {
                found.emplace(source_->template read_row<Parts>(statement));
                return false;
            });
            if constexpr (std::is_pointer_v<row_type>) return found ? *found : nullptr;
            else return found;
        }
    }

    // Exactly one row: no_result_found or multiple_results_found otherwise.
    decltype(auto) one() const {
        std::optional<row_type> found;
        bool more = false;
        run(detail::statement_kind::rows, [&](const auto& statement) {
            if (found) {
                more = true;
                return false;
            }
            found.emplace(source_->template read_row<Parts>(statement));
            return true;
        });
        if (more)
            throw multiple_results_found("one(): more than one row matched in \"" + std::string(table<T>::name) +
                                         "\" [SQL: " + text(detail::statement_kind::rows) + "]");
        if (!found)
            throw no_result_found("one(): no row matched in \"" + std::string(table<T>::name) + "\" [SQL: " +
                                  text(detail::statement_kind::rows) + "]");
        if constexpr (std::is_pointer_v<row_type>) return static_cast<std::remove_pointer_t<row_type>&>(**found);
        else return row_type(std::move(*found));
    }

    // The number of rows the query returns (SELECT count(*)).
    std::size_t count() const {
        std::int64_t n = 0;
        run(detail::statement_kind::count, [&](const auto& statement) {
            n = statement.template read<std::int64_t>(0);
            return false;
        });
        return static_cast<std::size_t>(n);
    }

    // Whether any row matches (SELECT EXISTS (...)).
    bool exists() const {
        bool found = false;
        run(detail::statement_kind::exists, [&](const auto& statement) {
            found = statement.template read<std::int64_t>(0) != 0;
            return false;
        });
        return found;
    }

    // UPDATE ... SET ... WHERE <filters>, without loading objects: returns the number of rows
    // changed. A session first flushes, then reloads the tracked objects the update reached.
    template <auto... Members, class... E>
    std::size_t update(assignment<Members, E>... assignments) const {
        static_assert(sizeof...(Members) > 0, "StructQL: update() needs at least one set<&T::member>(value)");
        static_assert((std::is_same_v<typename column_expression<Members>::model, T> && ...),
                      "StructQL: update() sets columns of the query's own model only");
        check_bulk();
        constexpr bool dynamic_text = dynamic || (E::dynamic || ...);
        std::string runtime;
        std::string_view statement_text;
        if constexpr (dynamic_text) {
            detail::runtime_text out;
            write_update_text<dialect>(out, this, &assignments...);
            runtime = std::move(out.text);
            statement_text = runtime;
        } else {
            statement_text = detail::text_v<update_generator<dialect, assignment<Members, E>...>>;
        }
        return source_->template bulk_write<T>(
            statement_text, dynamic_text, [&](auto& statement) {
                int index = 1;
                (assignments.value.bind(statement, index), ...);
                parts_.where.bind(statement, index);
            },
            pk_query(), /*deletes=*/false);
    }

    // DELETE ... WHERE <filters>, without loading objects: returns the number of rows deleted.
    // A session first flushes; tracked objects the delete reached count as removed.
    std::size_t remove() const {
        check_bulk();
        std::string runtime;
        std::string_view statement_text;
        if constexpr (dynamic) {
            detail::runtime_text out;
            write_delete_text<dialect>(out, this);
            runtime = std::move(out.text);
            statement_text = runtime;
        } else {
            statement_text = detail::text_v<delete_generator<dialect>>;
        }
        return source_->template bulk_write<T>(
            statement_text, dynamic, [&](auto& statement) {
                int index = 1;
                parts_.where.bind(statement, index);
            },
            pk_query(), /*deletes=*/true);
    }

    // --- for IN (subquery) ---
    template <class D>
    static constexpr void write_select(auto& out) {
        Parts::template write_text<D>(out, nullptr, detail::statement_kind::rows);
    }
    template <class D>
    void write_select_dynamic(auto& out) const {
        Parts::template write_text<D>(out, &parts_, detail::statement_kind::rows);
    }
    template <class Statement>
    void bind_select(Statement& statement, int& index) const {
        parts_.bind(statement, index);
    }

private:
    template <class Model, bool Outer, class On>
    auto add_join(On on) const {
        static_assert(!detail::contains<Model, typename Parts::all_models>::value,
                      "StructQL: a model can be joined once per query");
        using J = detail::join_clause<Model, On, Outer>;
        using Joins = decltype(std::tuple_cat(parts_.joins, std::tuple<J>{}));
        using P = query_parts<T, Joins, typename Parts::where_type, typename Parts::orders, typename Parts::select_type,
                              typename Parts::group, typename Parts::having_type, Parts::has_limit, Parts::has_offset,
                              Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{std::tuple_cat(parts_.joins, std::tuple<J>{J{std::move(on)}}),
                                                  parts_.where, parts_.select, parts_.having, parts_.limit,
                                                  parts_.offset});
    }

    template <class W>
    auto with_where(W&& where) const {
        using P = query_parts<T, typename Parts::joins_type, std::remove_cvref_t<W>, typename Parts::orders,
                              typename Parts::select_type, typename Parts::group, typename Parts::having_type,
                              Parts::has_limit, Parts::has_offset, Parts::is_distinct>;
        return basic_query<Source, P>(*source_, P{parts_.joins, std::forward<W>(where), parts_.select, parts_.having,
                                                  parts_.limit, parts_.offset});
    }

    std::string text(detail::statement_kind kind) const {
        if constexpr (!dynamic) {
            switch (kind) {
                case detail::statement_kind::count: return std::string(count_sql);
                case detail::statement_kind::exists: return std::string(exists_sql);
                default: return std::string(sql);
            }
        } else {
            detail::runtime_text out;
            Parts::template write_text<dialect>(out, &parts_, kind);
            return std::move(out.text);
        }
    }

    template <class RowFn>
    void run(detail::statement_kind kind, RowFn&& on_row) const {
        auto binder = [&](auto& statement) {
            int index = 1;
            parts_.bind(statement, index);
        };
        if constexpr (!dynamic) {
            std::string_view s = kind == detail::statement_kind::count    ? count_sql
                                 : kind == detail::statement_kind::exists ? exists_sql
                                                                          : sql;
            source_->template select_rows<reads>(s, false, binder, on_row);
        } else {
            std::string s = text(kind);
            source_->template select_rows<reads>(s, true, binder, on_row);
        }
    }

    void check_bulk() const {
        static_assert(std::tuple_size_v<typename Parts::joins_type> == 0 && !Parts::projected &&
                          std::is_same_v<typename Parts::group, detail::type_list<>> && !Parts::has_limit &&
                          !Parts::has_offset && std::is_same_v<typename Parts::orders, detail::type_list<>>,
                      "StructQL: update() / remove() take a query of one model with filters only (no join, "
                      "select, group_by, order_by, limit or offset)");
    }

    // The primary keys a bulk statement reaches, for the session to synchronise its objects.
    auto pk_query() const {
        using P = query_parts<T, std::tuple<>, typename Parts::where_type>;
        return P{{}, parts_.where, {}, {}, 0, 0};
    }

    template <class D, class... A>
    struct update_generator {
        static constexpr void write(auto& out) { write_update_text<D>(out, nullptr, static_cast<const A*>(nullptr)...); }
    };
    template <class D>
    struct delete_generator {
        static constexpr void write(auto& out) { write_delete_text<D>(out, static_cast<const basic_query*>(nullptr)); }
    };

    template <class D, class... A>
    static constexpr void write_update_text(auto& out, const basic_query* self, const A*... assignments) {
        out.append("UPDATE ");
        sql::write_identifier(out, table<T>::name);
        out.append(" SET ");
        bool first = true;
        ((first ? void() : out.append(", "), first = false,
          sql::write_identifier(out, table<T>::columns[A::column::index].name), out.append(" = "),
          detail::write_expression<D>(assignments ? &assignments->value : nullptr, out)),
         ...);
        if constexpr (!std::is_same_v<typename Parts::where_type, detail::no_condition>) {
            out.append(" WHERE ");
            detail::write_expression<D>(self ? &self->parts_.where : nullptr, out);
        }
    }
    template <class D>
    static constexpr void write_delete_text(auto& out, const basic_query* self) {
        out.append("DELETE FROM ");
        sql::write_identifier(out, table<T>::name);
        if constexpr (!std::is_same_v<typename Parts::where_type, detail::no_condition>) {
            out.append(" WHERE ");
            detail::write_expression<D>(self ? &self->parts_.where : nullptr, out);
        }
    }

    Source* source_;
    Parts parts_;
};

}  // namespace structql
