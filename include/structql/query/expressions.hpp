#pragma once
// Typed column expressions: col<&Model::member> compared with values or other columns,
// combined with &&, ||, !. An expression's SQL text depends only on its type, so it is written
// at compile time; the values it holds are bound as parameters, in the order they appear.
#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "structql/detail/rows.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/dialect.hpp"

namespace structql {

namespace detail {
struct expression_tag {};

inline constexpr char op_eq[] = " = ";
inline constexpr char op_ne[] = " <> ";
inline constexpr char op_lt[] = " < ";
inline constexpr char op_le[] = " <= ";
inline constexpr char op_gt[] = " > ";
inline constexpr char op_ge[] = " >= ";
inline constexpr char op_like[] = " LIKE ";
inline constexpr char op_and[] = " AND ";
inline constexpr char op_or[] = " OR ";
inline constexpr char op_is_null[] = " IS NULL";
inline constexpr char op_is_not_null[] = " IS NOT NULL";

template <class E, const char* Op>
struct postfix_expression;
template <const char* Op, class C, class V>
auto compare_with_value(const C&, V&& v);
}  // namespace detail

template <class E>
concept expression = std::is_base_of_v<detail::expression_tag, E>;

// A column of a model, named by a pointer to its member.
template <auto Member>
struct column_expression : detail::expression_tag {
    using model = typename detail::member_pointer_traits<decltype(Member)>::model;
    static constexpr std::size_t index = detail::member_index(Member);
    static_assert(index < table<model>::column_count,
                  "StructQL: col<&Model::member> names a member StructQL cannot find among the model's fields");
    using member_type = typename table<model>::template member_type<index>;
    using value_type = typename table<model>::template value_type<index>;  // without optional / wrappers
    static constexpr bool nullable = table<model>::columns[index].nullable;
    static constexpr bool is_column = true;

    template <class D>
    static constexpr void write(auto& out) {
        sql::write_identifier(out, table<model>::columns[index].name);
    }
    template <class Statement>
    void bind(Statement&, int&) const {}

    // SQL LIKE with a bound pattern.
    template <class V>
        requires std::is_convertible_v<V, value_type>
    auto like(V&& pattern) const {
        return detail::compare_with_value<detail::op_like>(*this, std::forward<V>(pattern));
    }
    auto is_null() const { return detail::postfix_expression<column_expression, detail::op_is_null>{{}, {}}; }
    auto is_not_null() const {
        return detail::postfix_expression<column_expression, detail::op_is_not_null>{{}, {}};
    }
};

template <auto Member>
inline constexpr column_expression<Member> col{};

namespace detail {

// A value bound as a parameter, converted to the column's value type so that user types
// bind through their value_traits.
template <class V>
struct bound_value : expression_tag {
    V value;
    static constexpr bool is_column = false;
    template <class D>
    static constexpr void write(auto& out) {
        D::write_placeholder(out);
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        bind_value(statement, index++, value);
    }
};

template <class L, class R, const char* Op>
struct binary_expression : expression_tag {
    L left;
    R right;
    template <class D>
    static constexpr void write(auto& out) {
        out.append('(');
        L::template write<D>(out);
        out.append(std::string_view(Op));
        R::template write<D>(out);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        left.bind(statement, index);
        right.bind(statement, index);
    }
};

template <class E, const char* Op>
struct postfix_expression : expression_tag {
    E operand;
    template <class D>
    static constexpr void write(auto& out) {
        out.append('(');
        E::template write<D>(out);
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
    template <class D>
    static constexpr void write(auto& out) {
        out.append("(NOT ");
        E::template write<D>(out);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        operand.bind(statement, index);
    }
};


template <class C>
concept column = expression<C> && C::is_column;

// A value may be compared with a column when it converts to the column's value type.
template <class C, class V>
concept comparable_value = column<C> && !expression<std::remove_cvref_t<V>> &&
                           !std::is_same_v<std::remove_cvref_t<V>, std::nullopt_t> &&
                           std::is_convertible_v<V, typename C::value_type>;

template <class A, class B>
concept comparable_columns = column<A> && column<B> && std::is_same_v<typename A::value_type, typename B::value_type>;

template <const char* Op, class C, class V>
auto compare_with_value(const C&, V&& v) {
    return binary_expression<C, bound_value<typename C::value_type>, Op>{
        {}, C{}, bound_value<typename C::value_type>{{}, typename C::value_type(std::forward<V>(v))}};
}

}  // namespace detail

// column <op> value, value <op> column, column <op> column.
#define STRUCTQL_COMPARISON(op, name, mirrored)                                                        \
    template <detail::column C, class V>                                                               \
        requires detail::comparable_value<C, V>                                                        \
    auto operator op(const C& c, V&& v) {                                                              \
        return detail::compare_with_value<detail::name>(c, std::forward<V>(v));                       \
    }                                                                                                  \
    template <class V, detail::column C>                                                               \
        requires detail::comparable_value<C, V>                                                        \
    auto operator op(V&& v, const C& c) {                                                              \
        return detail::compare_with_value<detail::mirrored>(c, std::forward<V>(v));                   \
    }                                                                                                  \
    template <detail::column A, detail::column B>                                                      \
        requires detail::comparable_columns<A, B>                                                      \
    auto operator op(const A&, const B&) {                                                             \
        return detail::binary_expression<A, B, detail::name>{{}, A{}, B{}};                            \
    }

STRUCTQL_COMPARISON(==, op_eq, op_eq)
STRUCTQL_COMPARISON(!=, op_ne, op_ne)
STRUCTQL_COMPARISON(<, op_lt, op_gt)
STRUCTQL_COMPARISON(<=, op_le, op_ge)
STRUCTQL_COMPARISON(>, op_gt, op_lt)
STRUCTQL_COMPARISON(>=, op_ge, op_le)
#undef STRUCTQL_COMPARISON

// col == std::nullopt is IS NULL, col != std::nullopt is IS NOT NULL (as SQLAlchemy's == None).
template <detail::column C>
auto operator==(const C&, std::nullopt_t) {
    static_assert(C::nullable, "StructQL: comparing a NOT NULL column with std::nullopt is always false");
    return detail::postfix_expression<C, detail::op_is_null>{{}, C{}};
}
template <detail::column C>
auto operator!=(const C&, std::nullopt_t) {
    static_assert(C::nullable, "StructQL: comparing a NOT NULL column with std::nullopt is always true");
    return detail::postfix_expression<C, detail::op_is_not_null>{{}, C{}};
}

template <expression L, expression R>
auto operator&&(L l, R r) {
    return detail::binary_expression<L, R, detail::op_and>{{}, std::move(l), std::move(r)};
}
template <expression L, expression R>
auto operator||(L l, R r) {
    return detail::binary_expression<L, R, detail::op_or>{{}, std::move(l), std::move(r)};
}
template <expression E>
auto operator!(E e) {
    return detail::not_expression<E>{{}, std::move(e)};
}

// Sort keys for order_by: a column ascending, or desc(column).
template <class C>
struct descending {
    using column_type = C;
};
template <detail::column C>
constexpr descending<C> desc(const C&) {
    return {};
}

}  // namespace structql
