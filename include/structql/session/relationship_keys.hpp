#pragma once
// What a session needs to know of a relationship before its member functions are defined
// (session/relationships.hpp): the types a foreign key member relates, and the record of which
// parents' children are loaded.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/linkage.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/table.hpp"

namespace structql::detail {

// A relationship is named by the child's foreign key member, &Child::member.
template <auto Member>
struct relationship {
    using pointer_traits = member_pointer_traits<decltype(Member)>;
    using child = typename pointer_traits::model;
    using layers = column_layers<typename pointer_traits::member>;
    static constexpr bool is_foreign_key = layers::foreign_keys == 1;
    // A stand-in parent for a member that is no foreign key (after its one message).
    using parent = std::conditional_t<is_foreign_key, typename layers::references, stand_in_model>;
    using key = typename layers::value_type;
};
template <auto Member>
using relationship_child_t = typename relationship<Member>::child;
template <auto Member>
using relationship_parent_t = typename relationship<Member>::parent;
template <auto Member>
using relationship_key_t = typename relationship<Member>::key;

template <auto Member>
inline const char relationship_id = 0;  // its address identifies the relationship

// The value inside a member's wrappers and optionals, or nullptr for an empty optional.
template <class Key, class M>
const Key* innermost_value(const M& member) noexcept {
    if constexpr (is_optional<M>::value) return member ? innermost_value<Key>(*member) : nullptr;
    else if constexpr (std::is_base_of_v<column_wrapper_tag, M>) return innermost_value<Key>(member.value);
    else return &member;
}

class loaded_keys {
public:
    // The parents' keys loaded for one relationship (its id: relationship_id<Member>): every
    // row referencing one of them is a tracked object. Forgotten whenever rows could change
    // behind the session's objects (the transaction ends, raw SQL, bulk writes, expunge,
    // rollback to a savepoint).
    template <class Key>
    std::set<Key>& of(const void* relationship) {
        for (auto& [id, keys] : relationships_)
            if (id == relationship) return static_cast<keys_of<Key>&>(*keys).values;
        auto& added = relationships_.emplace_back(relationship, std::make_unique<keys_of<Key>>());
        return static_cast<keys_of<Key>&>(*added.second).values;
    }
    void clear() noexcept { relationships_.clear(); }

private:
    struct keys_base {
        virtual ~keys_base() = default;
    };
    template <class Key>
    struct keys_of : keys_base {
        std::set<Key> values;
    };
    // A handful of relationships per session: a vector searched in order.
    std::vector<std::pair<const void*, std::unique_ptr<keys_base>>> relationships_;
};

// "children<&Post::user_id>(): " + problem, naming the model and member (not a template).
STRUCTQL_DECL std::string relationship_message(std::string_view operation, std::string_view child,
                                               std::string_view member, std::string_view problem);

#if STRUCTQL_DEFINITIONS
STRUCTQL_DECL std::string relationship_message(std::string_view operation, std::string_view child,
                                               std::string_view member, std::string_view problem) {
    std::string text(operation);
    text += "<&";
    text += child;
    text += "::";
    text += member;
    text += ">(): ";
    text += problem;
    return text;
}
#endif  // STRUCTQL_DEFINITIONS

}  // namespace structql::detail
