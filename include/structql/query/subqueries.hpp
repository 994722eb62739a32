#pragma once
// Subqueries that stand inside an expression: exists<Model>(condition) and
// scalar<Model>(aggregate, condition). The condition may name columns of the outer query's
// models (col<&Post::user_id> == col<&User::id>): the subquery is correlated with each outer row.
// (IN (subquery) is col.in(query), in query/expressions.hpp.)
#include <cstdint>
#include <type_traits>

#include "structql/detail/type_list.hpp"
#include "structql/query/expressions.hpp"
#include "structql/query/functions.hpp"

namespace structql {

namespace detail {

// List without M: the outer models a subquery's expression correlates with.
template <class M, class List>
struct without;
template <class M, class... Ts>
struct without<M, type_list<Ts...>> {
    using type = concat_t<std::conditional_t<std::is_same_v<M, Ts>, type_list<>, type_list<Ts>>...>;
};

// " FROM "model" WHERE condition)": the end both subqueries share.
template <class D, class Model, class Condition>
constexpr void write_subquery_rest(auto& out, const Condition* condition) {
    static_assert(!requires { Model::names_a_cte; },
                  "StructQL: exists<>() / scalar<>() read a model or an alias; a CTE is read by a query that "
                  "joins it (join(cte, condition)) or reads FROM it (db.query(cte))");
    out.append(" FROM ");
    from_item<Model>::template write<D>(out);
    out.append(" WHERE ");
    Condition::template write<D>(out, condition);
    out.append(')');
}

template <class Model, class Condition>
struct exists_expression : expression_tag {
    Condition condition;
    using value_type = bool;
    using models = typename without<Model, typename Condition::models>::type;
    using reads = concat_t<type_list<typename from_item<Model>::model>, typename Condition::reads>;
    static constexpr bool nullable = false;
    static constexpr bool dynamic = Condition::dynamic;
    template <class D>
    static constexpr void write(auto& out, const exists_expression* self = nullptr) {
        out.append("EXISTS (SELECT 1");
        write_subquery_rest<D, Model>(out, self ? &self->condition : nullptr);
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        condition.bind(statement, index);
    }
};

template <class E>
inline constexpr bool is_aggregate = false;
template <const char* Name, class E, class V, bool Nullable>
inline constexpr bool is_aggregate<function_call<Name, E, V, Nullable>> =
    Name == fn_count || Name == fn_sum || Name == fn_avg || Name == fn_min || Name == fn_max;

template <class Model, class E, class Condition>
struct scalar_subquery : expression_tag {
    static_assert(is_aggregate<E>,
                  "StructQL: scalar<Model>(expression, condition) takes an aggregate (count, sum, avg, min, max): a "
                  "plain column could match several rows, which SQLite answers with the first one and PostgreSQL "
                  "with an error");
    E expression;
    Condition condition;
    using value_type = typename E::value_type;
    using models = typename without<Model, concat_t<typename E::models, typename Condition::models>>::type;
    using reads = concat_t<type_list<typename from_item<Model>::model>, typename E::reads, typename Condition::reads>;
    static constexpr bool nullable = E::nullable;  // an aggregate always gives one row: count 0, the rest NULL
    static constexpr bool dynamic = E::dynamic || Condition::dynamic;
    template <class D>
    static constexpr void write(auto& out, const scalar_subquery* self = nullptr) {
        out.append("(SELECT ");
        E::template write<D>(out, self ? &self->expression : nullptr);
        write_subquery_rest<D, Model>(out, self ? &self->condition : nullptr);
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        expression.bind(statement, index);
        condition.bind(statement, index);
    }
};

}  // namespace detail

// EXISTS (SELECT 1 FROM Model WHERE condition): whether Model has a row matching the condition,
// which may name the outer query's columns. Model may be an alias (query/alias.hpp): a model of
// the outer query is read again under its alias, whose columns then name the inner rows.
//   db.query<User>().filter(sq::exists<Post>(col<&Post::user_id> == col<&User::id>))
template <class Model, condition C>
auto exists(C condition) {
    return detail::exists_expression<Model, C>{{}, std::move(condition)};
}

// (SELECT aggregate FROM Model WHERE condition): one value per outer row, in select(), filter()
// or order_by() (when it holds no value).
//   db.query<User>().select(col<&User::name>, sq::scalar<Post>(sq::count(), col<&Post::user_id> == col<&User::id>))
template <class Model, detail::valued E, condition C>
auto scalar(E expression, C condition) {
    return detail::scalar_subquery<Model, E, C>{{}, std::move(expression), std::move(condition)};
}

}  // namespace structql
