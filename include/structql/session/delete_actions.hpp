#pragma once
// The deletes the session does beyond remove():
// - ON DELETE CASCADE / SET NULL as the session's objects see them: when a flush deletes a
//   parent row, the database deletes the rows referencing it or sets their key NULL; the session
//   does the same to the children it tracks (SQLAlchemy's passive_deletes), so that none is left
//   stale for a later flush to UPDATE. A model's followers are data in its model_ops, one per
//   foreign key with such an action; the unit of work applies them without knowing the model.
// - delete-orphan: a model that declares `static constexpr auto delete_orphan =
//   sq::relationships<&Post::user_id>;` has a tracked object whose key there went from a value to
//   NULL (taken from its parent) deleted at the flush instead of updated.
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "structql/detail/entry_arena.hpp"
#include "structql/detail/flat_map.hpp"
#include "structql/detail/function_ref.hpp"
#include "structql/schema/table.hpp"
#include "structql/session/relationship_keys.hpp"

namespace structql {

// The relationships (child foreign key members) a model declares delete-orphan:
// `static constexpr auto delete_orphan = sq::relationships<&Post::user_id>;` in the child model.
template <auto... Members>
struct relationship_list {};
template <auto... Members>
inline constexpr relationship_list<Members...> relationships{};

}  // namespace structql

namespace structql::detail {

template <class T>
inline const char model_id = 0;  // its address identifies T without RTTI

// One foreign key of a child model whose parent's deletion the database follows.
struct delete_follower {
    const void* parent;  // model_id of the referenced model
    on_delete action;    // cascade or set_null
    // Calls found(e) for each persistent child whose row (its snapshot: what the database has)
    // references one of the deleted parents (their snapshots).
    void (*find)(std::span<entry* const> parents, entry_arena& children, function_ref<void(entry&)> found);
    // SET NULL as the database did it: the key is NULL in the snapshot, and in the object unless
    // changed there since the last flush (that change is still to be written).
    void (*set_null)(void* object, void* snapshot);
};

template <class Child, std::size_t I>
struct follower_of {
    using layers = column_layers<member_t<Child, I>>;
    using parent = typename layers::references;
    using key = typename layers::value_type;
    static const key* key_of(const Child& child) { return innermost_value<key>(field<I>(child)); }

    static void find(std::span<entry* const> parents, entry_arena& children, function_ref<void(entry&)> found) {
        key_map<key, bool> deleted;
        for (const entry* p : parents)
            if (const key* k = innermost_value<key>(static_cast<const parent*>(p->snapshot)->*layers::referenced_member))
                deleted[*k] = true;
        for (std::size_t i = 0; i < children.size(); ++i) {
            entry& e = children.at(i);
            if (e.state != object_state::persistent) continue;
            if (const key* k = key_of(*static_cast<const Child*>(e.snapshot)); k && deleted.find(*k)) found(e);
        }
    }
    static void set_null(void* object, void* snapshot) {
        if constexpr (layers::nullable) {
            auto& now = field<I>(*static_cast<Child*>(object));
            auto& row = field<I>(*static_cast<Child*>(snapshot));
            const key* a = innermost_value<key>(now);
            if (a && *a == *key_of(*static_cast<const Child*>(snapshot))) now = std::nullopt;
            row = std::nullopt;
        }
    }
};

template <class Child, std::size_t I>
constexpr bool followed_on_delete() {
    using layers = column_layers<member_t<Child, I>>;
    return layers::foreign_keys > 0 &&
           (layers::delete_action == on_delete::cascade || (layers::delete_action == on_delete::set_null && layers::nullable));
}

template <class Child>
constexpr auto make_delete_followers() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        constexpr std::size_t n = (std::size_t{followed_on_delete<Child, I>()} + ... + 0);
        std::array<delete_follower, n> out{};
        std::size_t at = 0;
        auto add = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
            if constexpr (followed_on_delete<Child, J>()) {
                using f = follower_of<Child, J>;
                out[at++] = {&model_id<typename f::parent>, f::layers::delete_action, &f::find, &f::set_null};
            }
        };
        (add(std::integral_constant<std::size_t, I>{}), ...);
        return out;
    }(std::make_index_sequence<table<Child>::column_count>{});
}
template <class Child>
inline constexpr auto delete_followers = make_delete_followers<Child>();

// delete-orphan (above): the test the flush runs on each tracked object of a model declaring it.
template <class T>
concept declares_delete_orphan = requires { T::delete_orphan; };

template <class Child, auto Member>
void check_orphan_member() {
    using traits = member_pointer_traits<decltype(Member)>;
    using layers = column_layers<typename traits::member>;
    static_assert(std::is_same_v<typename traits::model, Child> && layers::foreign_keys == 1 && layers::nullable,
                  "StructQL: delete_orphan = sq::relationships<&Child::member...> names std::optional<foreign_key<>> "
                  "members of the model itself (an object is an orphan once its key is set to NULL; one whose key "
                  "cannot be NULL is deleted with remove()): Child and Member in the instantiation name them");
}

template <class Child, auto... Members>
bool orphaned_along(const void* object, const void* snapshot) {
    if constexpr (((std::is_same_v<typename member_pointer_traits<decltype(Members)>::model, Child> &&
                    column_layers<typename member_pointer_traits<decltype(Members)>::member>::nullable) && ...)) {
        const auto& now = *static_cast<const Child*>(object);
        const auto& row = *static_cast<const Child*>(snapshot);
        return ((!innermost_value<relationship_key_t<Members>>(now.*Members) &&
                 innermost_value<relationship_key_t<Members>>(row.*Members)) || ...);
    } else {
        return false;
    }
}
template <class Child, auto... Members>
constexpr auto orphan_test(relationship_list<Members...>) -> bool (*)(const void*, const void*) {
    constexpr check_function checked[] = {&check_orphan_member<Child, Members>..., &no_check};  // instantiates them
    static_assert(checked[0] != nullptr);
    return &orphaned_along<Child, Members...>;
}
template <class Child, class Declared>
constexpr auto orphan_test(const Declared&) -> bool (*)(const void*, const void*) {
    static_assert(sizeof(Declared) == 0,
                  "StructQL: a model's delete_orphan is sq::relationships<&Child::member...> (Child in the "
                  "instantiation names the model)");
    return nullptr;
}
// Whether an object's key of a delete-orphan relationship was set to NULL since the last flush;
// nullptr for a model that declares none.
template <class Child>
constexpr auto orphan_test() -> bool (*)(const void*, const void*) {
    if constexpr (declares_delete_orphan<Child>) return orphan_test<Child>(Child::delete_orphan);
    else return nullptr;
}

}  // namespace structql::detail
