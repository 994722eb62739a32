#pragma once
// What a query reads rows from: a model's table, or a name standing for rows of a model's
// shape. sq::alias<Employee, "manager"> is the table again under another name (SQLAlchemy's
// aliased(Employee)): a self-join joins it, and manager::col<&Employee::name> is its column,
// written "manager"."name". A CTE (query/cte.hpp) is the other such name.
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "structql/schema/table.hpp"
#include "structql/sql/dialect.hpp"

namespace structql {

// A column of a model (col<&Model::member>), or of a name standing for the model's rows:
// Source is the alias or CTE, void for the model's own table.
template <auto Member, class Source = void>
struct column_expression;

namespace detail {

// A name given as a string literal in a template argument: alias<Employee, "manager">.
template <std::size_t N>
struct fixed_name {
    char text[N]{};
    constexpr fixed_name(const char (&s)[N]) {
        for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
    }
    constexpr std::string_view view() const { return {text, N - 1}; }
};

// A query's FROM or JOIN item: the model whose columns its rows have (has_model false for a
// CTE of select()ed values), the name that qualifies them, and its text in FROM / JOIN. A model
// is its own table.
template <class S>
struct from_item {
    using model = S;
    static constexpr bool is_table = true;
    static constexpr bool has_model = true;
    static constexpr std::string_view name = table<S>::name;
    static constexpr std::string_view table_name = table<S>::name;  // the table it reads, if any
    template <class D>
    static constexpr void write(auto& out) {
        sql::write_identifier<D>(out, table<S>::name);
    }
};
template <class S>
    requires requires { typename S::source_model; }
struct from_item<S> {
    using model = typename S::source_model;
    static constexpr bool is_table = false;
    static constexpr bool has_model = S::has_model;
    static constexpr std::string_view name = S::name;
    static constexpr std::string_view table_name = S::table_name;
    template <class D>
    static constexpr void write(auto& out) {
        S::template write_from<D>(out);
    }
};

}  // namespace detail

// The model's table under another name, so that one query can read it twice (a self-join):
//   using manager = sq::alias<Employee, "manager">;
//   db.query<Employee>().outerjoin<manager>(col<&Employee::manager_id> == manager::col<&Employee::id>)
// Its rows are the model's: tracked objects in a session, the same object for the same row
// whichever name read it.
template <class Model, detail::fixed_name Name>
struct alias {
    static_assert(!Name.view().empty(), "StructQL: an alias needs a name");
    using source_model = Model;
    static constexpr bool has_model = true;
    static constexpr std::string_view name = Name.view();
    static constexpr std::string_view table_name = table<Model>::name;
    template <auto Member>
    static constexpr column_expression<Member, alias> col{};
    template <class D>
    static constexpr void write_from(auto& out) {
        sql::write_identifier<D>(out, table<Model>::name);
        out.append(" AS ");
        sql::write_identifier<D>(out, name);
    }
};

}  // namespace structql
