#pragma once
// Common table expressions: WITH "name"(columns) AS (query) SELECT ..., and WITH RECURSIVE,
// spelled as SQLAlchemy spells them:
//
//   auto top = db.query<Employee>().filter(col<&Employee::manager_id> == std::nullopt)
//                  .cte<"tree">(sq::recursive);                             // the anchor
//   auto tree = top.union_all(db.query<Employee>().join(top,                  // the step, which
//                   col<&Employee::manager_id> == top.col<&Employee::id>));  // joins the CTE
//   db.query(tree).all();                      // std::vector<Employee*>: tracked objects
//   db.query<Employee>().join(tree, col<&Employee::id> == tree.col<&Employee::id>)
//
// A CTE's rows have its query's model's shape (its columns are the model's; joins in its query
// filter, they add no columns), and tree.col<&Employee::name> is its column, as an alias's is.
// The CTE's name and its query's shape are part of its type, so the text of a query using it is
// fixed at compile time; its values are bound first, in text order (WITH comes first).
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "structql/detail/access.hpp"
#include "structql/detail/type_list.hpp"
#include "structql/query/alias.hpp"
#include "structql/query/compound.hpp"
#include "structql/query/parts.hpp"

namespace structql {

// q.cte<"name">(sq::recursive): a CTE that its union_all() / union_() step may join.
struct recursive_t {};
inline constexpr recursive_t recursive{};

namespace detail {

// What joins and columns name: the CTE's name and its rows' model, without its definition (a
// recursive step names the CTE it is part of).
template <class Model, fixed_name Name>
struct cte_name {
    using source_model = Model;
    static constexpr std::string_view name = Name.view();
    template <auto Member>
    static constexpr column_expression<Member, cte_name> col{};
    template <class D>
    static constexpr void write_from(auto& out) {
        sql::write_identifier<D>(out, name);
    }
};

// What a recursive CTE's step reads, and whether its text is written at run time (none: void).
template <class S>
struct step_reads {
    using type = typename S::reads;
};
template <>
struct step_reads<void> {
    using type = type_list<>;
};
template <class S>
constexpr bool step_dynamic() {
    if constexpr (std::is_void_v<S>) return false;
    else return S::dynamic;
}

template <class Q>
inline constexpr bool plain_compound_part = std::is_same_v<typename Q::parts_type::orders, type_list<>> &&
                                            !Q::parts_type::has_limit && !Q::parts_type::has_offset &&
                                            !Q::parts_type::locks_rows;

}  // namespace detail

// WITH "name"(...) AS (anchor [UNION [ALL] step]). Anchor and Step are queries (basic_query) of
// one model's rows; Step, of a recursive CTE, joins the CTE itself.
template <class Name, bool Recursive, class Anchor, const char* Operator = nullptr, class Step = void>
class cte : public Name {
    using model = typename Name::source_model;
    using anchor_parts = typename Anchor::parts_type;
    static constexpr bool has_step = !std::is_void_v<Step>;
    using step_type = std::conditional_t<has_step, Step, std::tuple<>>;

    static_assert(!anchor_parts::projected,
                  "StructQL: cte<\"name\">() takes a query of whole rows of its model (no select()): the CTE's "
                  "columns are the model's");
    static_assert(!Recursive || (std::tuple_size_v<typename anchor_parts::with_type> == 0 &&
                                 detail::plain_compound_part<Anchor>),
                  "StructQL: a recursive CTE's first query uses no other CTE and has no order_by(), limit(), offset() "
                  "or row lock");

public:
    using name_type = Name;
    static constexpr bool recursive = Recursive;

    explicit cte(Anchor anchor)
        requires(!has_step)
        : anchor_(std::move(anchor)) {}
    cte(Anchor anchor, step_type step)
        requires has_step
        : anchor_(std::move(anchor)), step_(std::move(step)) {}

    // The recursive step, UNION ALL'd (or UNION'd: rows seen already are dropped, which ends a
    // walk round a cycle) to the first query: a query of the same model that joins this CTE.
    template <class S>
    auto union_all(S step) const {
        return with_step<detail::set_union_all>(std::move(step));
    }
    template <class S>
    auto union_(S step) const {
        return with_step<detail::set_union>(std::move(step));
    }

    // --- for the WITH clause of a query reading it (query_parts) ---
    using reads = detail::concat_t<typename Anchor::reads, typename detail::step_reads<Step>::type>;
    static constexpr bool dynamic = Anchor::dynamic || detail::step_dynamic<Step>();

    template <class D>
    static constexpr void write_definition(auto& out, const cte* self) {
        sql::write_identifier<D>(out, Name::name);
        out.append('(');
        for (std::size_t i = 0; i < table<model>::column_count; ++i) {
            if (i) out.append(", ");
            sql::write_identifier<D>(out, table<model>::columns[i].name);
        }
        out.append(") AS (");
        anchor_parts::template write_text<D>(out, self ? &detail::access::parts_of(self->anchor_) : nullptr,
                                             detail::statement_kind::model_rows);
        if constexpr (has_step) {
            out.append(std::string_view(Operator));
            // The step's WITH clause is this CTE (its anchor): the name is defined here.
            Step::parts_type::template write_text<D>(out, self ? &detail::access::parts_of(self->step_) : nullptr,
                                                     detail::statement_kind::model_rows, false);
        }
        out.append(')');
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        detail::access::parts_of(anchor_).bind(statement, index);
        if constexpr (has_step) detail::access::parts_of(step_).bind(statement, index, false);
    }

private:
    template <const char* Op, class S>
    auto with_step(S step) const {
        static_assert(Recursive && !has_step,
                      "StructQL: union_all() / union_() add the recursive step to a CTE made with "
                      "cte<\"name\">(sq::recursive), once");
        using step_parts = typename S::parts_type;
        static_assert(std::is_same_v<typename step_parts::model, model> && !step_parts::projected,
                      "StructQL: a recursive CTE's step is a query of whole rows of the CTE's model");
        static_assert(detail::plain_compound_part<S>,
                      "StructQL: a recursive CTE's step has no order_by(), limit(), offset() or row lock");
        static_assert(std::tuple_size_v<typename step_parts::with_type> == 1 &&
                          std::is_same_v<typename std::tuple_element_t<0, typename step_parts::with_type>::name_type, Name>,
                      "StructQL: a recursive CTE's step joins the CTE itself (join(cte, condition)) and no other CTE");
        return cte<Name, true, Anchor, Op, S>(anchor_, std::move(step));
    }

    Anchor anchor_;
    [[no_unique_address]] step_type step_{};
};

namespace detail {

template <class C>
concept is_cte = requires {
    typename C::name_type;
    C::recursive;
};

template <fixed_name Name, bool Recursive, class Query>
auto make_cte(Query query) {
    using name = cte_name<typename Query::parts_type::model, Name>;
    return cte<name, Recursive, Query>(std::move(query));
}

// A query's parts reading FROM a CTE: db.query(cte).
template <class C>
auto parts_from_cte(C c) {
    return query_parts<typename C::name_type>{}.with_cte(std::move(c));
}

}  // namespace detail

}  // namespace structql
