#pragma once
// A child whose foreign key still holds 0, the value its parent's generated key has until the
// parent is inserted: the child was filled in before the parent was flushed. Refused with a
// message naming the child, the member and the parent, before anything of the flush is written,
// instead of a constraint failure later (or, without PRAGMA foreign_keys=ON, a row pointing
// at no parent).
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <boost/pfr/core.hpp>

#include "structql/detail/linkage.hpp"
#include "structql/errors.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/table.hpp"

namespace structql::detail {

template <class Member>
constexpr bool holds_zero(const Member& member) {
    if constexpr (is_optional<Member>::value) return member && holds_zero(*member);
    else return unwrap(member) == 0;
}

// The error for a child whose foreign key `member` is still 0 (cold, and compiled once: it is
// not a template).
[[noreturn, gnu::cold]] STRUCTQL_DECL void throw_unassigned_reference(std::string_view table, std::string_view member,
                                                                      std::string_view model,
                                                                      std::string_view parent_table,
                                                                      std::string_view parent_model);

// Throws invalid_request_error when a foreign key of `object`, about to be inserted, is 0 and
// references a parent's generated integer primary key.
template <class T>
void check_references_assigned(const T& object) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ([&] {
            using layers = column_layers<member_t<T, I>>;
            if constexpr (!std::is_void_v<typename layers::references>) {
                using parent = typename layers::references;
                if constexpr (table<parent>::generated_primary_key) {
                    if constexpr (member_index(layers::referenced_member) == table<parent>::primary_key_index) {
                        if (holds_zero(field<I>(object)))
                            throw_unassigned_reference(table<T>::name, member_name<T, I>(), unqualified_type_name<T>(),
                                                       table<parent>::name, unqualified_type_name<parent>());
                    }
                }
            }
        }(), ...);
    }(std::make_index_sequence<table<T>::column_count>{});
}

#if STRUCTQL_DEFINITIONS
STRUCTQL_DECL void throw_unassigned_reference(std::string_view table, std::string_view member, std::string_view model,
                                              std::string_view parent_table, std::string_view parent_model) {
    const std::string name(member);
    throw invalid_request_error("\"" + std::string(table) + "\".\"" + name + "\" is 0 in a " + std::string(model) +
                                " being inserted: it was set from the key of a parent in \"" +
                                std::string(parent_table) + "\" (model " + std::string(parent_model) +
                                ") before that parent was inserted, and a generated key is 0 until its object is "
                                "flushed. Flush the parent first, then set " + name +
                                " from its key (or give the parent's key yourself)");
}
#endif

}  // namespace structql::detail
