#pragma once
// Typed SQL expressions over model columns: col<&Model::member>, compared with values or with
// other expressions, combined with && || !, LIKE, IN, BETWEEN, IS NULL and arithmetic (SQL
// functions, aggregates included, are in query/functions.hpp).
//
// Every expression type knows, from its type alone, its SQL text, its value type, whether it
// can be NULL and which models it reads; the values it holds are bound as parameters, in the
// order they appear in the text. Only an IN over a run-time list has text that depends on
// the run (its length): such expressions are `dynamic` and their text is written at run time.
//
// Each node has one writer, `template <class D> static constexpr void write(out, self)`: it
// writes from the type alone at compile time (self == nullptr, for a node that is not dynamic)
// and from the object at run time.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/rows.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/detail/type_list.hpp"
#include "structql/query/alias.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/dialect.hpp"

namespace structql {

// The base of every expression type. It lives in namespace structql so that argument-dependent
// lookup finds the operators below for every expression, whatever namespace its type is in.
struct expression_tag {};

namespace detail {
using structql::expression_tag;

// Writes the SQL of a node given by pointer: null for a node whose text is fixed by its type.
template <class D, class E>
constexpr void write_node(const E* e, auto& out) {
    E::template write<D>(out, e);
}

// Every model an expression names is one of the query's. (`models` are the models an
// expression's columns belong to; `reads` adds the models its subqueries read, which the
// session's autoflush must bring up to date.)
template <class Used, class Allowed>
struct all_in;
template <class... U, class Allowed>
struct all_in<type_list<U...>, Allowed> : std::bool_constant<(contains<U, Allowed>::value && ...)> {};

}  // namespace detail

template <class E>
concept expression = std::is_base_of_v<expression_tag, E>;

// An expression whose value is a boolean: a filter or join condition.
template <class E>
concept condition = expression<E> && std::is_same_v<typename E::value_type, bool>;

namespace detail {

template <class V, bool Typed = false>
struct bound_value;
template <class C, class List>
struct in_list;
template <class C, class Query>
struct in_query;
template <class L, class R, const char* Op, class V>
struct binary_expression;
template <class E, const char* Op>
struct postfix_expression;
template <class C, class Low, class High>
struct between_expression;
template <class C, class Pattern, bool BoundEscape, bool IgnoreCase = false>
struct like_expression;

// The escape character starts_with / ends_with / contains put before a user's %, _ and itself.
inline constexpr char like_escape = '\\';
// text with LIKE's wildcards (%, _) and the escape character escaped: matched literally.
inline std::string escape_like(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    for (char c : text) {
        if (c == '%' || c == '_' || c == like_escape) out += like_escape;
        out += c;
    }
    return out;
}

inline constexpr char op_eq[] = " = ";
inline constexpr char op_ne[] = " <> ";
inline constexpr char op_lt[] = " < ";
inline constexpr char op_le[] = " <= ";
inline constexpr char op_gt[] = " > ";
inline constexpr char op_ge[] = " >= ";
inline constexpr char op_like[] = " LIKE ";
inline constexpr char op_and[] = " AND ";
inline constexpr char op_or[] = " OR ";
inline constexpr char op_plus[] = " + ";
inline constexpr char op_minus[] = " - ";
inline constexpr char op_times[] = " * ";
inline constexpr char op_divide[] = " / ";
inline constexpr char op_is_null[] = " IS NULL";
inline constexpr char op_is_not_null[] = " IS NOT NULL";

template <class E>
concept valued = expression<E> && !std::is_void_v<typename E::value_type>;

// A value may stand beside an expression when it converts to the expression's value type.
template <class E, class V>
concept value_for = valued<E> && !expression<std::remove_cvref_t<V>> &&
                    !std::is_same_v<std::remove_cvref_t<V>, std::nullopt_t> &&
                    std::is_convertible_v<V, typename E::value_type>;

template <class A, class B>
concept same_valued = valued<A> && valued<B> &&
                      (std::is_same_v<typename A::value_type, typename B::value_type> ||
                       (std::is_arithmetic_v<typename A::value_type> && std::is_arithmetic_v<typename B::value_type> &&
                        !std::is_same_v<typename A::value_type, bool> && !std::is_same_v<typename B::value_type, bool>));

template <class E>
using value_node = bound_value<typename E::value_type>;

// A value converted to a column's value type, for assignments (set<&T::m>(v)) and LIKE
// patterns. A number the column's type cannot hold is a data_error, never a narrowed value.
template <class C, class V>
value_node<C> bind_as(V&& v) {
    using T = typename C::value_type;
    if constexpr (std::is_arithmetic_v<T> && std::is_arithmetic_v<std::remove_cvref_t<V>> &&
                  !holds_every_value_of<std::remove_cvref_t<V>, T>()) {
        if (!fits<T>(v))
            throw data_error("cannot bind " + std::string(table<typename C::model>::name) + "." +
                             std::string(table<typename C::model>::columns[C::index].name) + ": the value " +
                             std::to_string(v) + " does not fit the column's C++ type");
    }
    return value_node<C>{{}, T(std::forward<V>(v))};
}

// The type a value is bound as when compared with (or added to) an expression: the
// expression's value type when that loses nothing, else the value's own type (double for a
// floating-point one), so that a comparison means what it says: col<&T::int32_member> ==
// 4294967298 is false for every row, not true where the member is 2.
template <class E, class V>
using comparison_value_t =
    std::conditional_t<holds_every_value_of<std::remove_cvref_t<V>, typename E::value_type>(), typename E::value_type,
                       std::conditional_t<std::is_floating_point_v<std::remove_cvref_t<V>>, double,
                                          std::remove_cvref_t<V>>>;

// A value beside an expression whose value is stored differently (a fraction beside an
// integer column) is written as a typed placeholder: PostgreSQL would otherwise infer the
// parameter's type from the column and refuse 2.5 as a BIGINT.
template <class A, class B>
inline constexpr bool same_storage =
    std::is_same_v<typename value_traits<A>::storage_type, typename value_traits<B>::storage_type>;

template <class E, class V>
using comparison_node = bound_value<comparison_value_t<E, V>, !same_storage<comparison_value_t<E, V>, typename E::value_type>>;

template <class E, class V>
comparison_node<E, V> bind_beside(V&& v) {
    return comparison_node<E, V>{{}, comparison_value_t<E, V>(std::forward<V>(v))};
}

}  // namespace detail

template <auto Member, class Source>
struct column_expression : expression_tag {
    using model = typename detail::member_pointer_traits<decltype(Member)>::model;
    // What the column belongs to in a query: the model's table, or an alias / CTE of it.
    using source = std::conditional_t<std::is_void_v<Source>, model, Source>;
    static_assert(std::is_same_v<typename detail::from_item<source>::model, model>,
                  "StructQL: Source::col<&Model::member> names a member of another model than the alias's (or "
                  "CTE's): Source and Member in the instantiation name both");
    static constexpr std::size_t index = detail::member_index(Member);
    static_assert(index < table<model>::column_count,
                  "StructQL: col<&Model::member> names a member StructQL cannot find among the model's fields");
    using member_type = typename table<model>::template member_type<index>;
    using value_type = typename table<model>::template value_type<index>;  // without optional / wrappers
    using models = detail::type_list<source>;
    using reads = detail::type_list<model>;
    static constexpr bool nullable = table<model>::columns[index].nullable;
    static constexpr bool dynamic = false;
    static constexpr bool is_column = true;
    static constexpr auto member = Member;

    // "table"."column" (or "alias"."column"): always qualified, so that joins never make a name
    // ambiguous.
    template <class D>
    static constexpr void write(auto& out, const column_expression* = nullptr) {
        sql::write_identifier<D>(out, detail::from_item<source>::name);
        out.append('.');
        sql::write_identifier<D>(out, table<model>::columns[index].name);
    }
    template <class Statement>
    void bind(Statement&, int&) const {}

    // LIKE with a bound pattern (SQLite's LIKE ignores ASCII case): % and _ in it are wildcards.
    template <class V>
        requires std::is_convertible_v<V, value_type>
    auto like(V&& pattern) const {
        return detail::binary_expression<column_expression, detail::value_node<column_expression>, detail::op_like,
                                         bool>{{}, {}, detail::bind_as<column_expression>(std::forward<V>(pattern))};
    }
    // LIKE ... ESCAPE escape: in the pattern, escape followed by %, _ or itself matches that
    // character literally (like("100\\%", '\\') finds "100%").
    template <class V>
        requires std::is_convertible_v<V, value_type>
    auto like(V&& pattern, char escape) const {
        return detail::like_expression<column_expression, detail::value_node<column_expression>, true>{
            {}, detail::bind_as<column_expression>(std::forward<V>(pattern)), {{}, std::string(1, escape)}};
    }
    // Text columns: the value starts with / ends with / contains `text`, every character of it
    // taken literally (%, _ and \\ are escaped); otherwise LIKE's rules (SQLite ignores ASCII case).
    auto starts_with(std::string_view text) const
        requires std::is_same_v<typename value_traits<value_type>::storage_type, std::string>
    {
        return literal_like(detail::escape_like(text) + "%");
    }
    auto ends_with(std::string_view text) const
        requires std::is_same_v<typename value_traits<value_type>::storage_type, std::string>
    {
        return literal_like("%" + detail::escape_like(text));
    }
    auto contains(std::string_view text) const
        requires std::is_same_v<typename value_traits<value_type>::storage_type, std::string>
    {
        return literal_like("%" + detail::escape_like(text) + "%");
    }
    // The same ignoring letter case on both databases (SQLAlchemy's ilike, icontains, ...):
    // PostgreSQL's ILIKE, SQLite's LIKE (which ignores the case of ASCII letters only). In
    // ilike's pattern a backslash escapes %, _ and itself, as PostgreSQL's LIKE does by default.
    template <class V>
        requires std::is_convertible_v<V, value_type>
    auto ilike(V&& pattern) const {
        return detail::like_expression<column_expression, detail::value_node<column_expression>, false, true>{
            {}, detail::bind_as<column_expression>(std::forward<V>(pattern)), {}};
    }
    auto istarts_with(std::string_view text) const
        requires std::is_same_v<typename value_traits<value_type>::storage_type, std::string>
    {
        return literal_like<true>(detail::escape_like(text) + "%");
    }
    auto iends_with(std::string_view text) const
        requires std::is_same_v<typename value_traits<value_type>::storage_type, std::string>
    {
        return literal_like<true>("%" + detail::escape_like(text));
    }
    auto icontains(std::string_view text) const
        requires std::is_same_v<typename value_traits<value_type>::storage_type, std::string>
    {
        return literal_like<true>("%" + detail::escape_like(text) + "%");
    }
    // IN (?, ?, ...) over a container of values; an empty container matches nothing.
    template <class Range>
        requires requires(const Range& r) {
            r.begin();
            r.end();
            requires std::is_convertible_v<decltype(*r.begin()), value_type>;
        }
    auto in(const Range& values) const {
        using element = detail::comparison_value_t<column_expression, decltype(*values.begin())>;
        std::vector<element> list;
        for (auto&& v : values) list.emplace_back(v);
        return detail::in_list<column_expression, std::vector<element>>{{}, std::move(list)};
    }
    template <class V>
        requires std::is_convertible_v<const V&, value_type>
    auto in(std::initializer_list<V> values) const {
        return in(std::vector<V>(values));
    }
    // IN (subquery): the subquery selects one column of this column's value type.
    template <class Query>
        requires requires { typename Query::is_query; }
    auto in(Query subquery) const {
        return detail::in_query<column_expression, Query>{{}, std::move(subquery)};
    }
    // BETWEEN low AND high (both ends included).
    template <class A, class B>
        requires std::is_convertible_v<A, value_type> && std::is_convertible_v<B, value_type>
    auto between(A&& low, B&& high) const {
        return detail::between_expression<column_expression, detail::comparison_node<column_expression, A>,
                                          detail::comparison_node<column_expression, B>>{
            {}, detail::bind_beside<column_expression>(std::forward<A>(low)),
            detail::bind_beside<column_expression>(std::forward<B>(high))};
    }
    auto is_null() const { return detail::postfix_expression<column_expression, detail::op_is_null>{}; }
    auto is_not_null() const { return detail::postfix_expression<column_expression, detail::op_is_not_null>{}; }

private:
    template <bool IgnoreCase = false>
    static auto literal_like(std::string pattern) {
        return detail::like_expression<column_expression, detail::bound_value<std::string>, false, IgnoreCase>{
            {}, {{}, std::move(pattern)}, {}};
    }
};

template <auto Member>
inline constexpr column_expression<Member> col{};

namespace detail {

template <class V, bool Typed>
struct bound_value : expression_tag {
    V value;
    using value_type = V;
    using models = type_list<>;
    using reads = type_list<>;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto& out, const bound_value* = nullptr) {
        if constexpr (Typed) D::write_typed_placeholder(out, column_type_of_value<V>());
        else D::write_placeholder(out);
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        bind_value(statement, index++, value);
    }
};

template <class L, class R, const char* Op, class V>
struct binary_expression : expression_tag {
    L left;
    R right;
    using value_type = V;
    using models = concat_t<typename L::models, typename R::models>;
    using reads = concat_t<typename L::reads, typename R::reads>;
    static constexpr bool nullable = L::nullable || R::nullable;
    static constexpr bool dynamic = L::dynamic || R::dynamic;
    template <class D>
    static constexpr void write(auto& out, const binary_expression* self = nullptr) {
        out.append('(');
        L::template write<D>(out, self ? &self->left : nullptr);
        out.append(std::string_view(Op));
        R::template write<D>(out, self ? &self->right : nullptr);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        left.bind(statement, index);
        right.bind(statement, index);
    }
};

// Whether an expression holds an aggregate or a window function (specialised in
// query/functions.hpp): PostgreSQL locks no rows of such a query (for_update() refuses it).
template <class E>
inline constexpr bool groups_rows = false;
template <class L, class R, const char* Op, class V>
inline constexpr bool groups_rows<binary_expression<L, R, Op, V>> = groups_rows<L> || groups_rows<R>;

// Whether an expression can be NULL in a row where the FROM / JOIN items in Missing (the
// missing side of an outer join) are NULL: a column of one of them can, and so can what is
// computed from it (specialised beside each node that passes NULL on; query/functions.hpp,
// query/cte.hpp). It types a select()ed value std::optional.
template <class E, class Missing>
inline constexpr bool nullable_in = E::nullable;
template <auto Member, class Source, class Missing>
inline constexpr bool nullable_in<column_expression<Member, Source>, Missing> =
    column_expression<Member, Source>::nullable ||
    contains<typename column_expression<Member, Source>::source, Missing>::value;
template <class L, class R, const char* Op, class V, class Missing>
inline constexpr bool nullable_in<binary_expression<L, R, Op, V>, Missing> =
    nullable_in<L, Missing> || nullable_in<R, Missing>;

// C LIKE pattern ESCAPE e: the escape character bound (like(pattern, escape)) or the fixed
// detail::like_escape (starts_with, ends_with, contains); with IgnoreCase the dialect's
// case-insensitive LIKE (ilike, icontains, ...).
template <class C, class Pattern, bool BoundEscape, bool IgnoreCase>
struct like_expression : expression_tag {
    Pattern pattern;
    bound_value<std::string> escape;  // unused unless BoundEscape
    using value_type = bool;
    using models = typename C::models;
    using reads = typename C::reads;
    static constexpr bool nullable = C::nullable;
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto& out, const like_expression* = nullptr) {
        out.append('(');
        C::template write<D>(out);
        out.append(IgnoreCase ? D::case_insensitive_like : std::string_view(op_like));
        Pattern::template write<D>(out);
        out.append(" ESCAPE ");
        if constexpr (BoundEscape) {
            bound_value<std::string>::template write<D>(out);
        } else {
            out.append('\'');
            out.append(like_escape);
            out.append('\'');
        }
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        pattern.bind(statement, index);
        if constexpr (BoundEscape) escape.bind(statement, index);
    }
};

template <class E, const char* Op>
struct postfix_expression : expression_tag {
    E operand{};
    using value_type = bool;
    using models = typename E::models;
    using reads = typename E::reads;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = E::dynamic;
    template <class D>
    static constexpr void write(auto& out, const postfix_expression* self = nullptr) {
        out.append('(');
        E::template write<D>(out, self ? &self->operand : nullptr);
        out.append(std::string_view(Op));
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        operand.bind(statement, index);
    }
};

template <class E>
struct not_expression : expression_tag {
    E operand;
    using value_type = bool;
    using models = typename E::models;
    using reads = typename E::reads;
    static constexpr bool nullable = E::nullable;
    static constexpr bool dynamic = E::dynamic;
    template <class D>
    static constexpr void write(auto& out, const not_expression* self = nullptr) {
        out.append("(NOT ");
        E::template write<D>(out, self ? &self->operand : nullptr);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        operand.bind(statement, index);
    }
};

template <class C, class Low, class High>
struct between_expression : expression_tag {
    Low low;
    High high;
    using value_type = bool;
    using models = typename C::models;
    using reads = typename C::reads;
    static constexpr bool nullable = C::nullable;
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto& out, const between_expression* = nullptr) {
        out.append('(');
        C::template write<D>(out);
        out.append(" BETWEEN ");
        Low::template write<D>(out);
        out.append(" AND ");
        High::template write<D>(out);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        low.bind(statement, index);
        high.bind(statement, index);
    }
};

// Up to this many values an IN list's placeholders are rounded up to a power of two (see
// in_list); select-in loading (session/relationships.hpp) sends keys in chunks of it.
inline constexpr std::size_t in_list_rounded_values = 1024;

template <class C, class List>
struct in_list : expression_tag {
    List values;
    using value_type = bool;
    using models = typename C::models;
    using reads = typename C::reads;
    static constexpr bool nullable = C::nullable;
    static constexpr bool dynamic = true;  // a placeholder per value
    // Placeholders: up to 1024 values, the count rounded up to a power of two, the extra ones
    // bound to the last value again (which changes neither IN nor NOT IN): lists of 1 to 1000
    // values make 11 statements, not 1000. Beyond, one each (rounding up there could pass a
    // database's limit on parameters: SQLite's 32,766).
    std::size_t placeholders() const noexcept {
        return values.size() <= in_list_rounded_values && !values.empty() ? std::bit_ceil(values.size())
                                                                           : values.size();
    }
    template <class D>
    static constexpr void write(auto& out, const in_list* self) {
        const List& values = self->values;
        if (values.empty()) {
            out.append("(1 = 0)");
            return;
        }
        out.append('(');
        C::template write<D>(out);
        out.append(" IN (");
        for (std::size_t i = 0, n = self->placeholders(); i < n; ++i) {
            if (i) out.append(", ");
            bound_value<typename List::value_type, !same_storage<typename List::value_type, typename C::value_type>>::template write<D>(out);
        }
        out.append("))");
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        for (std::size_t i = 0, n = placeholders(); i < n; ++i)
            bind_value(statement, index++, values[i < values.size() ? i : values.size() - 1]);
    }
};

template <class C, class Query>
struct in_query : expression_tag {
    Query subquery;
    using value_type = bool;
    using models = typename C::models;  // the subquery reads its own models
    using reads = concat_t<typename C::reads, typename Query::reads>;
    static constexpr bool nullable = C::nullable;
    static constexpr bool dynamic = Query::dynamic;
    static_assert(Query::column_count == 1, "StructQL: col.in(subquery) needs a subquery selecting one column");
    template <class D>
    static constexpr void write(auto& out, const in_query* self = nullptr) {
        out.append('(');
        C::template write<D>(out);
        out.append(" IN (");
        Query::template write_select<D>(out, self ? &self->subquery : nullptr);
        out.append("))");
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        subquery.bind_select(statement, index);
    }
};

// A condition is NULL where its column is (IS NULL, postfix_expression, never is).
template <class C, class Pattern, bool BoundEscape, bool IgnoreCase, class Missing>
inline constexpr bool nullable_in<like_expression<C, Pattern, BoundEscape, IgnoreCase>, Missing> = nullable_in<C, Missing>;
template <class E, class Missing>
inline constexpr bool nullable_in<not_expression<E>, Missing> = nullable_in<E, Missing>;
template <class C, class Low, class High, class Missing>
inline constexpr bool nullable_in<between_expression<C, Low, High>, Missing> = nullable_in<C, Missing>;
template <class C, class List, class Missing>
inline constexpr bool nullable_in<in_list<C, List>, Missing> = nullable_in<C, Missing>;
template <class C, class Query, class Missing>
inline constexpr bool nullable_in<in_query<C, Query>, Missing> = nullable_in<C, Missing>;

template <class E>
concept column_like = valued<E> && requires { E::is_column; };

}  // namespace detail

// Comparisons: expression <op> value, value <op> expression, expression <op> expression.
#define STRUCTQL_COMPARISON(op, name, mirrored)                                                          \
    template <detail::valued E, class V>                                                                 \
        requires detail::value_for<E, V>                                                                 \
    auto operator op(E e, V&& v) {                                                                       \
        return detail::binary_expression<E, detail::comparison_node<E, V>, detail::name, bool>{          \
            {}, std::move(e), detail::bind_beside<E>(std::forward<V>(v))};                               \
    }                                                                                                    \
    template <class V, detail::valued E>                                                                 \
        requires detail::value_for<E, V>                                                                 \
    auto operator op(V&& v, E e) {                                                                       \
        return detail::binary_expression<E, detail::comparison_node<E, V>, detail::mirrored, bool>{      \
            {}, std::move(e), detail::bind_beside<E>(std::forward<V>(v))};                               \
    }                                                                                                    \
    template <detail::valued A, detail::valued B>                                                        \
        requires detail::same_valued<A, B>                                                               \
    auto operator op(A a, B b) {                                                                         \
        return detail::binary_expression<A, B, detail::name, bool>{{}, std::move(a), std::move(b)};      \
    }

STRUCTQL_COMPARISON(==, op_eq, op_eq)
STRUCTQL_COMPARISON(!=, op_ne, op_ne)
STRUCTQL_COMPARISON(<, op_lt, op_gt)
STRUCTQL_COMPARISON(<=, op_le, op_ge)
STRUCTQL_COMPARISON(>, op_gt, op_lt)
STRUCTQL_COMPARISON(>=, op_ge, op_le)
#undef STRUCTQL_COMPARISON

// Arithmetic: expression <op> value, value <op> expression, expression <op> expression.
#define STRUCTQL_ARITHMETIC(op, name)                                                                    \
    template <detail::valued E, class V>                                                                 \
        requires detail::value_for<E, V> && std::is_arithmetic_v<typename E::value_type>                 \
    auto operator op(E e, V&& v) {                                                                       \
        using R = std::common_type_t<typename E::value_type, detail::comparison_value_t<E, V>>;          \
        return detail::binary_expression<E, detail::comparison_node<E, V>, detail::name, R>{             \
            {}, std::move(e), detail::bind_beside<E>(std::forward<V>(v))};                               \
    }                                                                                                    \
    template <class V, detail::valued E>                                                                 \
        requires detail::value_for<E, V> && std::is_arithmetic_v<typename E::value_type>                 \
    auto operator op(V&& v, E e) {                                                                       \
        using R = std::common_type_t<typename E::value_type, detail::comparison_value_t<E, V>>;          \
        return detail::binary_expression<detail::comparison_node<E, V>, E, detail::name, R>{             \
            {}, detail::bind_beside<E>(std::forward<V>(v)), std::move(e)};                               \
    }                                                                                                    \
    template <detail::valued A, detail::valued B>                                                        \
        requires detail::same_valued<A, B> && std::is_arithmetic_v<typename A::value_type>               \
    auto operator op(A a, B b) {                                                                         \
        using V = std::common_type_t<typename A::value_type, typename B::value_type>;                    \
        return detail::binary_expression<A, B, detail::name, V>{{}, std::move(a), std::move(b)};         \
    }

STRUCTQL_ARITHMETIC(+, op_plus)
STRUCTQL_ARITHMETIC(-, op_minus)
STRUCTQL_ARITHMETIC(*, op_times)
STRUCTQL_ARITHMETIC(/, op_divide)
#undef STRUCTQL_ARITHMETIC

// A comparison or arithmetic that cannot mean anything (a value of a type the expression cannot
// hold, two expressions of unrelated types, arithmetic on text): one readable error, named by the
// operator, instead of a list of candidates. It returns a condition that compiles on, so that the
// message stands alone.
namespace detail {
template <class E, class V>
struct refused_expression : expression_tag {
    using value_type = V;
    using models = typename E::models;
    using reads = typename E::reads;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto&, const refused_expression* = nullptr) {}
    template <class Statement>
    void bind(Statement&, int&) const {}
};
template <class E, class V>
concept arithmetic_value = value_for<E, V> && std::is_arithmetic_v<typename E::value_type>;
template <class A, class B>
concept arithmetic_pair = same_valued<A, B> && std::is_arithmetic_v<typename A::value_type>;
}  // namespace detail

#define STRUCTQL_REFUSED(op, value_ok, pair_ok, rule, R)                                                  \
    template <detail::valued E, class V>                                                                 \
        requires(!expression<std::remove_cvref_t<V>> && !std::is_same_v<std::remove_cvref_t<V>, std::nullopt_t> && \
                 !value_ok<E, V>)                                                                        \
    auto operator op(E, V&&) {                                                                           \
        static_assert(!detail::is_optional<std::remove_cvref_t<V>>::value, STRUCTQL_OPTIONAL_RULE(op));   \
        static_assert(value_ok<E, V> || detail::is_optional<std::remove_cvref_t<V>>::value,               \
                      "StructQL: cannot apply " #op " to this column (or expression) and a "               \
                      "value of this type: " rule " (E and V in the instantiation name them)");            \
        return detail::refused_expression<E, R>{};                                                          \
    }                                                                                                    \
    template <class V, detail::valued E>                                                                 \
        requires(!expression<std::remove_cvref_t<V>> && !std::is_same_v<std::remove_cvref_t<V>, std::nullopt_t> && \
                 !value_ok<E, V>)                                                                        \
    auto operator op(V&&, E) {                                                                           \
        static_assert(!detail::is_optional<std::remove_cvref_t<V>>::value, STRUCTQL_OPTIONAL_RULE(op));   \
        static_assert(value_ok<E, V> || detail::is_optional<std::remove_cvref_t<V>>::value,               \
                      "StructQL: cannot apply " #op " to a value of this type and this "                   \
                      "column (or expression): " rule " (E and V in the instantiation name them)");        \
        return detail::refused_expression<E, R>{};                                                          \
    }                                                                                                    \
    template <detail::valued E, detail::valued B>                                                        \
        requires(!pair_ok<E, B>)                                                                         \
    auto operator op(E, B) {                                                                             \
        static_assert(pair_ok<E, B>, "StructQL: cannot apply " #op " to these two columns (or "           \
                                     "expressions): " rule " (E and B in the instantiation name them)");     \
        return detail::refused_expression<E, R>{};                                                       \
    }

// A std::optional is refused with its own message: bound as NULL it would match no row
// (SQL's = NULL is never true), which SQLAlchemy's == None does not do either.
#define STRUCTQL_OPTIONAL_RULE(op)                                                                       \
    "StructQL: cannot apply " #op " to a column (or expression) and a std::optional: bound as NULL it "   \
    "would match no row (in SQL a comparison with NULL is never true). Compare with the value (*opt), "  \
    "and with std::nullopt for IS NULL / IS NOT NULL"
#define STRUCTQL_COMPARISON_RULE "compare a column only with values and columns of its own type"
#define STRUCTQL_ARITHMETIC_RULE "arithmetic takes numeric columns and values that convert to their type"
STRUCTQL_REFUSED(==, detail::value_for, detail::same_valued, STRUCTQL_COMPARISON_RULE, bool)
STRUCTQL_REFUSED(!=, detail::value_for, detail::same_valued, STRUCTQL_COMPARISON_RULE, bool)
STRUCTQL_REFUSED(<, detail::value_for, detail::same_valued, STRUCTQL_COMPARISON_RULE, bool)
STRUCTQL_REFUSED(<=, detail::value_for, detail::same_valued, STRUCTQL_COMPARISON_RULE, bool)
STRUCTQL_REFUSED(>, detail::value_for, detail::same_valued, STRUCTQL_COMPARISON_RULE, bool)
STRUCTQL_REFUSED(>=, detail::value_for, detail::same_valued, STRUCTQL_COMPARISON_RULE, bool)
STRUCTQL_REFUSED(+, detail::arithmetic_value, detail::arithmetic_pair, STRUCTQL_ARITHMETIC_RULE, typename E::value_type)
STRUCTQL_REFUSED(-, detail::arithmetic_value, detail::arithmetic_pair, STRUCTQL_ARITHMETIC_RULE, typename E::value_type)
STRUCTQL_REFUSED(*, detail::arithmetic_value, detail::arithmetic_pair, STRUCTQL_ARITHMETIC_RULE, typename E::value_type)
STRUCTQL_REFUSED(/, detail::arithmetic_value, detail::arithmetic_pair, STRUCTQL_ARITHMETIC_RULE, typename E::value_type)
#undef STRUCTQL_OPTIONAL_RULE
#undef STRUCTQL_COMPARISON_RULE
#undef STRUCTQL_ARITHMETIC_RULE
#undef STRUCTQL_REFUSED

// x == std::nullopt is IS NULL, x != std::nullopt is IS NOT NULL (as SQLAlchemy's == None).
template <detail::valued E>
auto operator==(E e, std::nullopt_t) {
    static_assert(E::nullable, "StructQL: comparing a NOT NULL column with std::nullopt is always false");
    return detail::postfix_expression<E, detail::op_is_null>{{}, std::move(e)};
}
template <detail::valued E>
auto operator!=(E e, std::nullopt_t) {
    static_assert(E::nullable, "StructQL: comparing a NOT NULL column with std::nullopt is always true");
    return detail::postfix_expression<E, detail::op_is_not_null>{{}, std::move(e)};
}

template <condition L, condition R>
auto operator&&(L l, R r) {
    return detail::binary_expression<L, R, detail::op_and, bool>{{}, std::move(l), std::move(r)};
}
template <condition L, condition R>
auto operator||(L l, R r) {
    return detail::binary_expression<L, R, detail::op_or, bool>{{}, std::move(l), std::move(r)};
}
template <condition E>
auto operator!(E e) {
    return detail::not_expression<E>{{}, std::move(e)};
}

// Sort keys for order_by: an expression ascending, or desc(expression).
template <class E>
struct descending {
    using expression_type = E;
};
template <detail::valued E>
constexpr descending<E> desc(const E&) {
    return {};
}

namespace detail {
// A dialect that only counts placeholders. ORDER BY, GROUP BY and PARTITION BY keys are written
// from their type alone and nothing binds them: a key holding a value would leave its
// placeholder unbound and shift every later one.
struct placeholder_counter {
    static constexpr char identifier_quote = '"';
    static constexpr void write_placeholder(auto& out) { ++out.next_parameter; }
    static constexpr void write_typed_placeholder(auto& out, column_type) { ++out.next_parameter; }
};
template <class E>
consteval bool writes_no_placeholder() {
    text_counter out;
    E::template write<placeholder_counter>(out, nullptr);
    return out.next_parameter == 1;
}

// A sort key's expression, and whether it is descending.
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

// `clause` then "k1, k2 DESC" (GROUP BY, ORDER BY, PARTITION BY), nothing for no keys. The keys
// are written from their type alone and nothing binds them: one holding a value is refused.
template <class D, class... Keys>
constexpr void write_key_clause(auto& out, std::string_view clause, type_list<Keys...>) {
    static_assert((writes_no_placeholder<typename order_expression<Keys>::type>() && ...),
                  "StructQL: order_by(), group_by() and over() keys are columns or expressions without values (a "
                  "value there would not be bound): use a column, or select the expression and order outside SQL");
    if constexpr (sizeof...(Keys) > 0) {
        out.append(clause);
        bool first = true;
        ((first ? void() : out.append(", "), first = false, order_expression<Keys>::type::template write<D>(out),
          order_expression<Keys>::descending ? out.append(" DESC") : void()),
         ...);
    }
}
}  // namespace detail

// A column assignment for bulk update(): set<&T::m>(value) or set<&T::m>(expression).
template <auto Member, class E>
struct assignment {
    using column = column_expression<Member>;
    E value;
};
template <auto Member, class V>
auto set(V&& v) {
    using C = column_expression<Member>;
    if constexpr (expression<std::remove_cvref_t<V>>) {
        static_assert(std::is_same_v<typename std::remove_cvref_t<V>::value_type, typename C::value_type>,
                      "StructQL: set<&T::m>(expression): the expression's value type must be the column's");
        return assignment<Member, std::remove_cvref_t<V>>{std::forward<V>(v)};
    } else if constexpr (std::is_same_v<std::remove_cvref_t<V>, std::nullopt_t>) {
        static_assert(C::nullable, "StructQL: set<&T::m>(std::nullopt) on a NOT NULL column");
        return assignment<Member, detail::bound_value<std::optional<typename C::value_type>>>{
            {{}, std::optional<typename C::value_type>()}};
    } else if constexpr (detail::is_optional<std::remove_cvref_t<V>>::value) {
        static_assert(C::nullable,
                      "StructQL: set<&T::m>(std::optional) on a NOT NULL column: pass a value (*opt, "
                      "opt.value_or(...)), or make the member std::optional to let the column hold NULL");
        static_assert(std::is_convertible_v<typename std::remove_cvref_t<V>::value_type, typename C::value_type>,
                      "StructQL: set<&T::m>(optional): the optional's value must convert to the column's value type");
        // NULL and a value share one placeholder, so both run the same prepared statement.
        std::optional<typename C::value_type> bound;
        if (v) bound = detail::bind_as<C>(*std::forward<V>(v)).value;
        return assignment<Member, detail::bound_value<std::optional<typename C::value_type>>>{{{}, std::move(bound)}};
    } else {
        static_assert(std::is_convertible_v<V, typename C::value_type>,
                      "StructQL: set<&T::m>(value): the value must convert to the column's value type");
        return assignment<Member, detail::value_node<C>>{detail::bind_as<C>(std::forward<V>(v))};
    }
}

}  // namespace structql
