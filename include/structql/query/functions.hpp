#pragma once
// SQL functions over expressions (query/expressions.hpp): the aggregates count / sum / avg /
// min / max, the scalar functions lower / upper / length / abs / coalesce / extract, CASE, and window
// functions (row_number / rank / dense_rank, any aggregate's .over()). Each is a node whose text
// is fixed by its type, like every other expression.
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "structql/detail/type_list.hpp"
#include "structql/query/expressions.hpp"
#include "structql/sql/dialect.hpp"

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

    // An aggregate as a window function: sum(x).over(partition_by(...), order_by(...)).
    template <class... Clauses>
    auto over(Clauses...) const;
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

// CASE WHEN c1 THEN v1 [WHEN c2 THEN v2 ...] [ELSE e] END. A value in a branch is bound with its
// type spelled out (PostgreSQL cannot infer a parameter's type from a CASE).
template <class V>
using case_value_t = std::conditional_t<std::is_convertible_v<V, std::string_view> && !std::is_arithmetic_v<std::remove_cvref_t<V>>,
                                        std::string, std::remove_cvref_t<V>>;

template <class V>
auto case_operand(V&& v) {
    if constexpr (expression<std::remove_cvref_t<V>>) return std::forward<V>(v);
    else return bound_value<case_value_t<V>, true>{{}, case_value_t<V>(std::forward<V>(v))};
}

template <class Condition, class Result>
struct when_clause {
    Condition condition;
    Result result;
};

struct no_else {
    using value_type = void;
    using models = type_list<>;
    using reads = type_list<>;
    static constexpr bool nullable = true;  // no ELSE: NULL when no branch matches
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto&, const no_else* = nullptr) {}
    template <class Statement>
    void bind(Statement&, int&) const {}
};

template <class Else, class... Whens>
struct case_expression : expression_tag {
    std::tuple<Whens...> whens;
    Else otherwise;
    using first_result = decltype(std::declval<std::tuple_element_t<0, std::tuple<Whens...>>>().result);
    using value_type = typename first_result::value_type;
    static_assert((std::is_same_v<typename decltype(Whens::result)::value_type, value_type> && ...) &&
                      (std::is_same_v<Else, no_else> || std::is_same_v<typename Else::value_type, value_type>),
                  "StructQL: every branch of case_() (and its else_) must have the same type");
    using models = concat_t<typename Else::models, typename decltype(Whens::condition)::models...,
                            typename decltype(Whens::result)::models...>;
    using reads = concat_t<typename Else::reads, typename decltype(Whens::condition)::reads...,
                           typename decltype(Whens::result)::reads...>;
    static constexpr bool nullable = Else::nullable || (decltype(Whens::result)::nullable || ...);
    static constexpr bool dynamic = Else::dynamic || (decltype(Whens::condition)::dynamic || ...) ||
                                    (decltype(Whens::result)::dynamic || ...);

    template <class D>
    static constexpr void write(auto& out, const case_expression* self = nullptr) {
        out.append("CASE");
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((out.append(" WHEN "),
              decltype(std::get<I>(self->whens).condition)::template write<D>(out, self ? &std::get<I>(self->whens).condition : nullptr),
              out.append(" THEN "),
              decltype(std::get<I>(self->whens).result)::template write<D>(out, self ? &std::get<I>(self->whens).result : nullptr)),
             ...);
        }(std::index_sequence_for<Whens...>{});
        if constexpr (!std::is_same_v<Else, no_else>) {
            out.append(" ELSE ");
            Else::template write<D>(out, self ? &self->otherwise : nullptr);
        }
        out.append(" END");
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        std::apply([&](const auto&... w) { ((w.condition.bind(statement, index), w.result.bind(statement, index)), ...); }, whens);
        otherwise.bind(statement, index);
    }

    // The value where no branch matches (else NULL).
    template <class V>
    auto else_(V&& v) const {
        static_assert(std::is_same_v<Else, no_else>, "StructQL: case_(...).else_() once");
        auto operand = case_operand(std::forward<V>(v));
        return case_expression<decltype(operand), Whens...>{{}, whens, std::move(operand)};
    }
};

// Window functions: f(...) OVER (PARTITION BY ... ORDER BY ...). The partition and order keys
// are columns (or other expressions without values), so the text is fixed by the type.
inline constexpr char fn_row_number[] = "row_number";
inline constexpr char fn_rank[] = "rank";
inline constexpr char fn_dense_rank[] = "dense_rank";

template <const char* Name>
struct ranking_function : expression_tag {
    using value_type = std::int64_t;
    using models = type_list<>;
    using reads = type_list<>;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = false;
    template <class D>
    static constexpr void write(auto& out, const ranking_function* = nullptr) {
        out.append(std::string_view(Name));
        out.append("()");
    }
    template <class Statement>
    void bind(Statement&, int&) const {}
    template <class... Clauses>
    auto over(Clauses...) const;
};

template <class... E>
struct partition_clause {};
template <class... Keys>
struct window_order_clause {};

template <class Clauses>
struct window_spec;
template <>
struct window_spec<type_list<>> {
    using partition = type_list<>;
    using order = type_list<>;
};
template <class... E, class... Rest>
struct window_spec<type_list<partition_clause<E...>, Rest...>> {
    using partition = type_list<E...>;
    using order = typename window_spec<type_list<Rest...>>::order;
    static_assert(std::is_same_v<typename window_spec<type_list<Rest...>>::partition, type_list<>>,
                  "StructQL: over(): partition_by() once, before order_by()");
};
template <class... Keys, class... Rest>
struct window_spec<type_list<window_order_clause<Keys...>, Rest...>> {
    using partition = type_list<>;
    using order = type_list<Keys...>;
    static_assert(sizeof...(Rest) == 0, "StructQL: over(): order_by() last, once");
};

template <class F, class Partition, class Order>
struct window_expression;
template <class F, class... P, class... O>
struct window_expression<F, type_list<P...>, type_list<O...>> : expression_tag {
    F function;
    using value_type = typename F::value_type;
    using models = concat_t<typename F::models, typename P::models..., typename order_expression<O>::type::models...>;
    using reads = concat_t<typename F::reads, typename P::reads..., typename order_expression<O>::type::reads...>;
    static constexpr bool nullable = F::nullable;
    static constexpr bool dynamic = F::dynamic;
    template <class D>
    static constexpr void write(auto& out, const window_expression* self = nullptr) {
        F::template write<D>(out, self ? &self->function : nullptr);
        out.append(" OVER (");
        write_key_clause<D>(out, "PARTITION BY ", type_list<P...>{});
        write_key_clause<D>(out, sizeof...(P) > 0 ? " ORDER BY " : "ORDER BY ", type_list<O...>{});
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        function.bind(statement, index);
    }
};

template <class F, class... Clauses>
auto make_window(const F& f) {
    using spec = window_spec<type_list<Clauses...>>;
    return window_expression<F, typename spec::partition, typename spec::order>{{}, f};
}
template <const char* Name, class E, class V, bool Nullable>
template <class... Clauses>
auto function_call<Name, E, V, Nullable>::over(Clauses...) const {
    return make_window<function_call, Clauses...>(*this);
}
template <const char* Name>
template <class... Clauses>
auto ranking_function<Name>::over(Clauses...) const {
    return make_window<ranking_function, Clauses...>(*this);
}

// EXTRACT(part FROM x) as an integer, written by the dialect (SQLite has strftime, not EXTRACT).
template <sql::date_part Part, class E>
struct extract_expression : expression_tag {
    E operand{};
    static constexpr column_type type = column_type_of_value<typename E::value_type>();
    using value_type = std::int64_t;
    using models = typename E::models;
    using reads = typename E::reads;
    static constexpr bool nullable = E::nullable;
    static constexpr bool dynamic = E::dynamic;
    template <class D>
    static constexpr void write(auto& out, const extract_expression* self = nullptr) {
        D::write_extract_open(out, Part, type);
        E::template write<D>(out, self ? &self->operand : nullptr);
        D::write_extract_close(out, Part, type);
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        operand.bind(statement, index);
    }
};

template <const char* Name, class E, class V, bool Nullable>
inline constexpr bool groups_rows<function_call<Name, E, V, Nullable>> =
    Name == fn_count || Name == fn_sum || Name == fn_avg || Name == fn_min || Name == fn_max || groups_rows<E>;
template <class F, class P, class O>
inline constexpr bool groups_rows<window_expression<F, P, O>> = true;
template <class A, class B>
inline constexpr bool groups_rows<coalesce_expression<A, B>> = groups_rows<A> || groups_rows<B>;
template <sql::date_part Part, class E>
inline constexpr bool groups_rows<extract_expression<Part, E>> = groups_rows<E>;
template <class Else, class... Whens>
inline constexpr bool groups_rows<case_expression<Else, Whens...>> =
    groups_rows<Else> || ((groups_rows<decltype(Whens::condition)> || groups_rows<decltype(Whens::result)>) || ...);

// An aggregate's NULL is its own (count never, the others over no non-NULL value); a scalar
// function passes its operand's on.
template <const char* Name, class E, class V, bool Nullable, class Missing>
inline constexpr bool nullable_in<function_call<Name, E, V, Nullable>, Missing> =
    Name == fn_count || Name == fn_sum || Name == fn_avg || Name == fn_min || Name == fn_max ? Nullable
                                                                                              : nullable_in<E, Missing>;
template <class F, class P, class O, class Missing>
inline constexpr bool nullable_in<window_expression<F, P, O>, Missing> = nullable_in<F, Missing>;
template <class A, class B, class Missing>
inline constexpr bool nullable_in<coalesce_expression<A, B>, Missing> = nullable_in<A, Missing> && nullable_in<B, Missing>;
template <class Else, class... Whens, class Missing>
inline constexpr bool nullable_in<case_expression<Else, Whens...>, Missing> =
    nullable_in<Else, Missing> || (nullable_in<decltype(Whens::result), Missing> || ...);
template <sql::date_part Part, class E, class Missing>
inline constexpr bool nullable_in<extract_expression<Part, E>, Missing> = nullable_in<E, Missing>;

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

// A field of a timestamp, date or time, the same on both databases (a timestamp's in UTC):
// sq::extract<sq::date_part::year>(col<&Post::created>). Whole seconds; a date has no hour, a
// time no year (compile errors).
template <sql::date_part Part, detail::valued E>
auto extract(E e) {
    constexpr column_type type = detail::column_type_of_value<typename E::value_type>();
    static_assert(type == column_type::timestamp || type == column_type::date || type == column_type::time,
                  "StructQL: extract<part>(x) takes a timestamp, a date or a time");
    static_assert(type != column_type::date || Part <= sql::date_part::day,
                  "StructQL: extract<part>(x): a date has a year, a month and a day only");
    static_assert(type != column_type::time || Part >= sql::date_part::hour,
                  "StructQL: extract<part>(x): a time has an hour, a minute and a second only");
    return detail::extract_expression<Part, E>{{}, std::move(e)};
}

// CASE: sq::case_(sq::when(condition, value or expression), ...).else_(value or expression).
template <condition C, class V>
auto when(C condition, V&& result) {
    auto operand = detail::case_operand(std::forward<V>(result));
    return detail::when_clause<C, decltype(operand)>{std::move(condition), std::move(operand)};
}
template <class... Whens>
    requires(sizeof...(Whens) > 0)
auto case_(Whens... whens) {
    return detail::case_expression<detail::no_else, Whens...>{{}, std::tuple<Whens...>(std::move(whens)...), {}};
}

// Window functions: sq::row_number().over(sq::partition_by(col<&Post::user_id>),
// sq::order_by(sq::desc(col<&Post::id>))); rank(), dense_rank(), and any aggregate's .over().
inline detail::ranking_function<detail::fn_row_number> row_number() { return {}; }
inline detail::ranking_function<detail::fn_rank> rank() { return {}; }
inline detail::ranking_function<detail::fn_dense_rank> dense_rank() { return {}; }
template <detail::valued... E>
detail::partition_clause<E...> partition_by(E...) {
    return {};
}
template <class... Keys>
detail::window_order_clause<Keys...> order_by(Keys...) {
    return {};
}

}  // namespace structql
