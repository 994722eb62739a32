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
// A CTE of select()ed values has columns "c1", "c2", ...: tree.column<I>, or tree.col<&M::m> for
// one its query selected; a query reading it selects values.
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
    static constexpr bool has_model = true;
    static constexpr bool names_a_cte = true;
    static constexpr std::string_view name = Name.view();
    static constexpr std::string_view table_name{};
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

// Column I of a CTE of select()ed values, named "c1", "c2", ... in the CTE: E is the expression
// selected there, which gives its type (NULL too where the CTE's query outer-joins).
template <class Source, std::size_t I, class E, bool Nullable>
struct cte_column : expression_tag {
    using value_type = typename E::value_type;
    using models = type_list<Source>;
    using reads = type_list<>;
    static constexpr bool nullable = Nullable;
    static constexpr bool dynamic = false;
    static constexpr bool is_column = true;
    template <class D>
    static constexpr void write_name(auto& out) {
        out.append(D::identifier_quote);
        out.append('c');
        append_number(out, I + 1);
        out.append(D::identifier_quote);
    }
    template <class D>
    static constexpr void write(auto& out, const cte_column* = nullptr) {
        sql::write_identifier<D>(out, Source::name);
        out.append('.');
        write_name<D>(out);
    }
    template <class Statement>
    void bind(Statement&, int&) const {}
};
template <class Source, std::size_t I, class E, bool Nullable, class Missing>
inline constexpr bool nullable_in<cte_column<Source, I, E, Nullable>, Missing> = Nullable || contains<Source, Missing>::value;

// Where the select() list holds col<&M::m> (of any alias), or its size when it does not.
template <auto Member, class... E>
constexpr std::size_t selected_position() {
    constexpr bool same[] = {[] {
        if constexpr (requires { E::member; }) return E::member == Member;
        else return false;
    }()..., false};
    for (std::size_t i = 0; i < sizeof...(E); ++i)
        if (same[i]) return i;
    return sizeof...(E);
}

// The name of a CTE of select()ed values (a tuple per row): column<I> is its I-th column,
// col<&M::m> the column where its query selected col<&M::m>.
template <class Select, fixed_name Name, class Missing>
struct selected_cte_name;
template <class... E, fixed_name Name, class Missing>
struct selected_cte_name<std::tuple<E...>, Name, Missing> {
    using source_model = std::tuple<E...>;  // no model: its rows are select()ed values
    static constexpr bool has_model = false;
    static constexpr bool names_a_cte = true;
    static constexpr std::string_view name = Name.view();
    static constexpr std::string_view table_name{};
    template <std::size_t I>
        requires(I < sizeof...(E))
    static constexpr cte_column<selected_cte_name, I, std::tuple_element_t<I, std::tuple<E...>>,
                                nullable_in<std::tuple_element_t<I, std::tuple<E...>>, Missing>>
        column{};
    template <auto Member>
    static constexpr auto col = [] {
        constexpr std::size_t i = selected_position<Member, E...>();
        static_assert(i < sizeof...(E),
                      "StructQL: cte.col<&Model::member>: the CTE's query does not select() that column; name its "
                      "columns by position, cte.column<I>");
        return column<i>;
    }();
    template <class D>
    static constexpr void write_from(auto& out) {
        sql::write_identifier<D>(out, name);
    }
    template <class D>
    static constexpr void write_columns(auto& out) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((I ? out.append(", ") : void(), std::remove_cvref_t<decltype(column<I>)>::template write_name<D>(out)), ...);
        }(std::index_sequence_for<E...>{});
    }
};

// Whether a WITH list is exactly the CTE named Name: a recursive step's.
template <class With, class Name>
inline constexpr bool joins_only = false;
template <class C, class Name>
inline constexpr bool joins_only<std::tuple<C>, Name> = std::is_same_v<typename C::name_type, Name>;

}  // namespace detail

// WITH "name"(...) AS (anchor [UNION [ALL] step]). Anchor and Step are queries (basic_query) of
// one model's rows, or of the same select()ed values; Step, of a recursive CTE, joins the CTE.
template <class Name, bool Recursive, class Anchor, const char* Operator = nullptr, class Step = void>
class cte : public Name {
    using model = typename Name::source_model;
    using anchor_parts = typename Anchor::parts_type;
    static constexpr bool has_step = !std::is_void_v<Step>;
    using step_type = std::conditional_t<has_step, Step, std::tuple<>>;

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
        if constexpr (Name::has_model) {
            for (std::size_t i = 0; i < table<model>::column_count; ++i) {
                if (i) out.append(", ");
                sql::write_identifier<D>(out, table<model>::columns[i].name);
            }
        } else {
            Name::template write_columns<D>(out);
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
        if constexpr (Name::has_model)
            static_assert(std::is_same_v<typename step_parts::model, model> && !step_parts::projected,
                          "StructQL: a recursive CTE's step is a query of whole rows of the CTE's model");
        else
            static_assert(std::is_same_v<typename S::value_row_type, typename Anchor::value_row_type>,
                          "StructQL: a recursive CTE's step selects values of the types its first query selects");
        static_assert(detail::plain_compound_part<S>,
                      "StructQL: a recursive CTE's step has no order_by(), limit(), offset() or row lock");
        static_assert(detail::joins_only<typename step_parts::with_type, Name>,
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
    using parts = typename Query::parts_type;
    using name = std::conditional_t<parts::projected,
                                    selected_cte_name<typename parts::select_type, Name,
                                                      typename outer_joined<typename parts::joins_type>::type>,
                                    cte_name<typename parts::model, Name>>;
    return cte<name, Recursive, Query>(std::move(query));
}

// A query's parts reading FROM a CTE: db.query(cte).
template <class C>
auto parts_from_cte(C c) {
    return query_parts<typename C::name_type>{}.with_cte(std::move(c));
}

}  // namespace detail

}  // namespace structql
