#pragma once
// Upsert: what connection.insert(objects, clause) does with a row whose key or unique column
// is already taken (INSERT ... ON CONFLICT, the same text on SQLite >= 3.24 and PostgreSQL):
//
//   sq::on_conflict<&User::email>::do_nothing             the row is skipped
//   sq::on_conflict<&User::email>::do_update<&User::name>  those columns take the new row's values
//   sq::on_conflict<&User::email>::do_update_all           every column but the key and the target
//
// DO UPDATE also sets the model's table_args onupdate members it leaves out (query/onupdate.hpp).
//
// The target is the primary key (all its members, for a composite key) or a unique<> member:
// the databases accept only a target that has a unique index on exactly those columns, so
// anything else is a compile error naming the model and the member.
#include "structql/detail/algorithms.hpp"
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

#include "structql/query/onupdate.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/columns.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

namespace detail {

// An ON CONFLICT clause as plain data, for the SQL writer (one instance per model and clause).
struct conflict_view {
    std::span<const std::size_t> target;  // column indexes
    std::span<const std::size_t> set;     // empty: DO NOTHING
    // DO UPDATE's table_args onupdate members that `set` leaves out: each set to its value,
    // bound after the rows (detail::bind_onupdates).
    std::span<const std::size_t> onupdate{};
};

template <class T, auto... Members>
constexpr std::array<std::size_t, sizeof...(Members)> member_indexes{member_index(Members)...};

template <class T, auto... Target>
struct conflict_target_check {
    static constexpr bool ok = table<T>::view.has_unique_index(member_indexes<T, Target...>);
    static_assert(ok, "StructQL: on_conflict<&T::m...> needs a target the database has a unique index on: the "
                      "primary key (every member of a composite key), one unique<> member or the members of a "
                      "table_args unique_constraint<> or unique index (T and the members in the instantiation name them)");
};

template <auto... Members>
struct member_list {};

// Whether do_update_all sets column i: every column but the key's and the target's.
template <class T, std::size_t TargetSize>
constexpr bool updated_by_all(std::size_t i, const std::array<std::size_t, TargetSize>& target) {
    bool skip = table<T>::view.is_key(i);
    for (std::size_t c : target) skip = skip || c == i;
    return !skip;
}
template <class T, std::size_t TargetSize>
constexpr std::size_t update_all_count(const std::array<std::size_t, TargetSize>& target) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < table<T>::column_count; ++i) n += updated_by_all<T>(i, target) ? 1 : 0;
    return n;
}

// The clause as a type (what on_conflict<...>::do_... names); nothing is checked or computed
// until connection.insert uses it (conflict_sql), so naming on_conflict<&T::m> is free.
template <class T, class Target, bool All, auto... Set>
struct conflict_action {
    using model = T;
};

template <class Action>
struct conflict_sql;

template <class T, auto... Target, bool All, auto... Set>
struct conflict_sql<conflict_action<T, member_list<Target...>, All, Set...>> {
    // Completing the check's type runs its static_assert, first, with the class.
    static constexpr conflict_target_check<T, Target...> target_checked{};
    static_assert((std::is_same_v<typename member_pointer_traits<decltype(Set)>::model, T> && ...),
                  "StructQL: on_conflict<&T::m>::do_update<&U::n>: every member updated must be T's");
    static constexpr auto target = member_indexes<T, Target...>;
    static constexpr std::size_t set_count = All ? update_all_count<T>(target) : sizeof...(Set);
    static_assert(!All || set_count > 0,
                  "StructQL: on_conflict<...>::do_update_all: the model has no column but its key and the "
                  "target to update: use do_nothing");
    static constexpr std::array<std::size_t, set_count> set = [] {
        std::array<std::size_t, set_count> out{};
        if constexpr (All) {
            std::size_t n = 0;
            for (std::size_t i = 0; i < table<T>::column_count; ++i)
                if (updated_by_all<T>(i, target)) out[n++] = i;
        } else {
            out = member_indexes<T, Set...>;
        }
        return out;
    }();
    static constexpr auto onupdate = [] {
        constexpr auto all = onupdate_columns<T>();
        constexpr std::size_t left_out = [&] {
            std::size_t n = 0;
            for (std::size_t c : all) n += set_count > 0 && !detail::contains_value(set, c) ? 1 : 0;
            return n;
        }();
        std::array<std::size_t, left_out> out{};
        std::size_t n = 0;
        for (std::size_t c : all)
            if (set_count > 0 && !detail::contains_value(set, c)) out[n++] = c;
        return out;
    }();
    static constexpr conflict_view view{target, set, onupdate};
};

}  // namespace detail

template <auto First, auto... Rest>
struct on_conflict {
    using model = typename detail::member_pointer_traits<decltype(First)>::model;
    static_assert((std::is_same_v<typename detail::member_pointer_traits<decltype(Rest)>::model, model> && ...),
                  "StructQL: on_conflict<&T::a, &T::b>: every member of the target must be of the same model");

    static constexpr detail::conflict_action<model, detail::member_list<First, Rest...>, false> do_nothing{};
    template <auto... Set>
        requires(sizeof...(Set) > 0)
    static constexpr detail::conflict_action<model, detail::member_list<First, Rest...>, false, Set...> do_update{};
    static constexpr detail::conflict_action<model, detail::member_list<First, Rest...>, true> do_update_all{};
};

namespace sql::detail {

// " ON CONFLICT ("a", "b") DO NOTHING" or " ... DO UPDATE SET "c" = excluded."c", ...".
template <class D>
constexpr void write_on_conflict(auto& out, const table_view& t, const structql::detail::conflict_view& clause) {
    out.append(" ON CONFLICT (");
    for (std::size_t i = 0; i < clause.target.size(); ++i) {
        if (i > 0) out.append(", ");
        write_identifier<D>(out, t.columns[clause.target[i]].name);
    }
    out.append(clause.set.empty() ? ") DO NOTHING" : ") DO UPDATE SET ");
    for (std::size_t i = 0; i < clause.set.size(); ++i) {
        if (i > 0) out.append(", ");
        write_identifier<D>(out, t.columns[clause.set[i]].name);
        out.append(" = excluded.");
        write_identifier<D>(out, t.columns[clause.set[i]].name);
    }
    for (std::size_t column : clause.onupdate) {
        out.append(", ");
        write_identifier<D>(out, t.columns[column].name);
        out.append(" = ");
        D::write_placeholder(out);
    }
}

}  // namespace sql::detail

}  // namespace structql
