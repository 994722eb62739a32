#pragma once
// SQL functions over expressions (query/expressions.hpp): the aggregates count / sum / avg /
// min / max, and the scalar functions lower / upper / length / abs / coalesce. Each is a node
// whose text is fixed by its type, like every other expression.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "structql/detail/type_list.hpp"
#include "structql/query/expressions.hpp"

namespace structql {

namespace detail {

inline constexpr char fn_count[] = "count";
inline constexpr char fn_sum[] = "sum";
inline constexpr char fn_avg[] = "avg";
inline constexpr char fn_min[] = "min";
inline constexpr char fn_max[] = "max";
inline constexpr char fn_lower[] = "lower";
inline constexpr char fn_upper[] = "upper";
inline constexpr char fn_length[] = "length";
inline constexpr char fn_abs[] = "abs";

// Name(operand), of type V.
template <const char* Name, class E, class V, bool Nullable>
struct function_call : expression_tag {
    E operand{};
    using value_type = V;
    using models = typename E::models;
    using reads = typename E::reads;
    static constexpr bool nullable = Nullable;
    static constexpr bool dynamic = E::dynamic;
    template <class D>
    static constexpr void write(auto& out, const function_call* self = nullptr) {
        out.append(std::string_view(Name));
        out.append('(');
        E::template write<D>(out, self ? &self->operand : nullptr);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        operand.bind(statement, index);
    }
};

// coalesce(a, b): a's value, or b's where a is NULL.
template <class A, class B>
struct coalesce_expression : expression_tag {
    A first;
    B second;
    using value_type = typename A::value_type;
    using models = concat_t<typename A::models, typename B::models>;
    using reads = concat_t<typename A::reads, typename B::reads>;
    static constexpr bool nullable = A::nullable && B::nullable;
    static constexpr bool dynamic = A::dynamic || B::dynamic;
    template <class D>
    static constexpr void write(auto& out, const coalesce_expression* self = nullptr) {
        out.append("coalesce(");
        A::template write<D>(out, self ? &self->first : nullptr);
        out.append(", ");
        B::template write<D>(out, self ? &self->second : nullptr);
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        first.bind(statement, index);
        second.bind(statement, index);
    }
};

// count(*)'s operand.
struct star : expression_tag {
    using value_type = void;
    using models = type_list<>;
    using reads = type_list<>;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto& out, const star* = nullptr) {
        out.append('*');
    }
    template <class Statement>
    void bind(Statement&, int&) const {}
};

}  // namespace detail

// Aggregates, for projections, group_by and having: count(*), count(x), sum, avg, min, max
// (NULL over no rows, but count).
inline detail::function_call<detail::fn_count, detail::star, std::int64_t, false> count() { return {}; }
template <detail::valued E>
auto count(E e) {
    return detail::function_call<detail::fn_count, E, std::int64_t, false>{{}, std::move(e)};
}
template <detail::valued E>
    requires std::is_arithmetic_v<typename E::value_type>
auto sum(E e) {
    return detail::function_call<detail::fn_sum, E, typename E::value_type, true>{{}, std::move(e)};
}
template <detail::valued E>
    requires std::is_arithmetic_v<typename E::value_type>
auto avg(E e) {
    return detail::function_call<detail::fn_avg, E, double, true>{{}, std::move(e)};
}
template <detail::valued E>
auto min(E e) {
    return detail::function_call<detail::fn_min, E, typename E::value_type, true>{{}, std::move(e)};
}
template <detail::valued E>
auto max(E e) {
    return detail::function_call<detail::fn_max, E, typename E::value_type, true>{{}, std::move(e)};
}

// Scalar functions, the same on SQLite and PostgreSQL; NULL in, NULL out.
template <detail::valued E>
    requires std::is_same_v<typename E::value_type, std::string>
auto lower(E e) {
    return detail::function_call<detail::fn_lower, E, std::string, E::nullable>{{}, std::move(e)};
}
template <detail::valued E>
    requires std::is_same_v<typename E::value_type, std::string>
auto upper(E e) {
    return detail::function_call<detail::fn_upper, E, std::string, E::nullable>{{}, std::move(e)};
}
// Characters of a text (not bytes; SQLite and PostgreSQL agree), bytes of a blob.
template <detail::valued E>
    requires std::is_same_v<typename E::value_type, std::string> || std::is_same_v<typename E::value_type, blob>
auto length(E e) {
    return detail::function_call<detail::fn_length, E, std::int64_t, E::nullable>{{}, std::move(e)};
}
template <detail::valued E>
    requires std::is_arithmetic_v<typename E::value_type> && (!std::is_same_v<typename E::value_type, bool>)
auto abs(E e) {
    return detail::function_call<detail::fn_abs, E, typename E::value_type, E::nullable>{{}, std::move(e)};
}
// The first operand's value, or the second's where it is NULL: another expression of the same
// type, or a value (coalesce(col<&User::hair_color>, "none") is NOT NULL).
template <detail::valued A, detail::valued B>
    requires detail::same_valued<A, B>
auto coalesce(A a, B b) {
    return detail::coalesce_expression<A, B>{{}, std::move(a), std::move(b)};
}
template <detail::valued A, class V>
    requires detail::value_for<A, V>
auto coalesce(A a, V&& value) {
    auto second = detail::bind_beside<A>(std::forward<V>(value));
    return detail::coalesce_expression<A, decltype(second)>{{}, std::move(a), std::move(second)};
}

}  // namespace structql
