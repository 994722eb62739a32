#pragma once
// Relationships through the session, named by the child's foreign key member (&Post::user_id):
//
//   std::vector<Post*> posts = db.children<&Post::user_id>(user);  // parent -> children
//   User* author = db.parent<&Post::user_id>(post);                // child -> parent
//   db.load_children<&Post::user_id>(users);                        // select-in eager loading
//
// Models stay plain aggregates: a relationship is a session call, not a member type that
// reflection would have to skip in every model.
//
// The rule that makes navigation cheap and consistent with the identity map: once a parent's
// children were loaded in this transaction (by children() or load_children()), every row
// referencing it is a tracked object, so children() reads the session's objects and runs no SQL.
// The record is forgotten whenever rows could change behind the session's objects (the
// transaction ends, raw SQL, bulk writes, expunge, rollback to a savepoint).
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "structql/errors.hpp"
#include "structql/query/expressions.hpp"
#include "structql/session/relationship_keys.hpp"
#include "structql/session/session.hpp"

namespace structql {
namespace detail {

// Whether Object is the model this side of the relationship needs (Expected).
template <auto Member, class Object, class Expected>
inline constexpr bool relationship_fits = relationship<Member>::is_foreign_key && std::is_same_v<Object, Expected>;

// Compile-time misuse: one message each; Member, Object (the model passed) and Expected (the
// model the relationship needs there) in the instantiation name them.
template <auto Member, class Object, class Expected>
constexpr void check_relationship() {
    static_assert(relationship<Member>::is_foreign_key,
                  "StructQL: a relationship is named by a foreign_key<> member of the child model: "
                  "children / parent / load_children<&Child::member> (Member in the instantiation names it)");
    static_assert(!relationship<Member>::is_foreign_key || std::is_same_v<Object, Expected>,
                  "StructQL: this relationship's foreign key does not relate the model of the object passed: "
                  "children and load_children take the model it references, parent the model holding it "
                  "(Member, Object and Expected in the instantiation name them)");
}

// The tracked (pending or persistent) children among `objects` whose key matches.
template <auto Member, class Matches>
std::vector<relationship_child_t<Member>*> tracked_children(entry_arena& objects, const Matches& matches) {
    using child = relationship_child_t<Member>;
    std::vector<child*> found;
    objects.for_each([&](entry& e) {
        if (e.state != object_state::pending && e.state != object_state::persistent) return;
        auto* object = static_cast<child*>(e.object);
        const auto* key = innermost_value<relationship_key_t<Member>>(object->*Member);
        if (key && matches(*key)) found.push_back(object);
    });
    return found;
}

// An error naming the relationship: "children<&Post::user_id>(): " + problem.
template <auto Member>
invalid_request_error relationship_error(std::string_view operation, std::string_view problem) {
    using child = relationship_child_t<Member>;
    return invalid_request_error(relationship_message(operation, unqualified_type_name<child>(),
                                                      member_name<child, member_index(Member)>(), problem));
}
inline constexpr std::string_view session_closed =
    "the session is closed; navigate inside the session that tracks the objects, or load them again in a new one";

// Keys in chunks that in_list rounds up to a power of two: one prepared statement per shape.
inline constexpr std::size_t select_in_chunk = in_list_rounded_values;

}  // namespace detail

template <class Backend>
template <auto Member, class Object>
detail::entry& basic_session<Backend>::tracked_for_relationship(const Object& object, std::string_view operation) {
    if (closed_) throw detail::relationship_error<Member>(operation, detail::session_closed);
    check_usable();
    auto* e = find_tracked(object);
    if (!e) {
        throw detail::relationship_error<Member>(
            operation, "the " + std::string(detail::unqualified_type_name<Object>()) + " object is not tracked by this session");
    }
    return *e;
}

template <class Backend>
template <auto Member, class Parent>
std::vector<detail::relationship_child_t<Member>*> basic_session<Backend>::children(const Parent& parent) {
    using r = detail::relationship<Member>;
    detail::check_relationship<Member, Parent, typename r::parent>();
    if constexpr (!detail::relationship_fits<Member, Parent, typename r::parent>) {
        return {};
    } else {
        using key_type = typename r::key;
        auto* e = &tracked_for_relationship<Member>(parent, "children");
        // A new parent: flushed first (its key may be generated), as a query would.
        if (e->state == detail::object_state::pending && options_.autoflush) flush();
        const key_type* key = detail::innermost_value<key_type>(parent.*r::layers::referenced_member);
        if (!key) return {};
        // Rows can reference a parent only once it is in the database.
        if (e->state != detail::object_state::pending &&
            !loaded_.template of<key_type>(&detail::relationship_id<Member>).contains(*key)) {
            (void)query<typename r::child>().filter(col<Member> == *key).all();  // tracks them
            // Looked up again: the query's autoflush may have committed (autocommit), which forgets.
            loaded_.template of<key_type>(&detail::relationship_id<Member>).insert(*key);
        }
        return detail::tracked_children<Member>(store_for<typename r::child>().objects,
                                                [&](const key_type& k) { return k == *key; });
    }
}

template <class Backend>
template <auto Member, class Child>
detail::relationship_parent_t<Member>* basic_session<Backend>::parent(const Child& child) {
    using r = detail::relationship<Member>;
    detail::check_relationship<Member, Child, typename r::child>();
    if constexpr (!detail::relationship_fits<Member, Child, typename r::child>) {
        return nullptr;
    } else {
        using key_type = typename r::key;
        using parent_type = typename r::parent;
        constexpr auto referenced = r::layers::referenced_member;
        (void)tracked_for_relationship<Member>(child, "parent");
        const key_type* key = detail::innermost_value<key_type>(child.*Member);
        if (!key) return nullptr;
        if constexpr (!table<parent_type>::composite_key &&
                      detail::member_index(referenced) == table<parent_type>::primary_key_index) {
            return get<parent_type>(*key);  // the identity map first
        } else {
            // A unique<> member: a tracked parent first, else one SELECT.
            parent_type* found = nullptr;
            store_for<parent_type>().objects.for_each([&](detail::entry& e) {
                if (found || e.state != detail::object_state::persistent) return;
                auto* object = static_cast<parent_type*>(e.object);
                const key_type* k = detail::innermost_value<key_type>(object->*referenced);
                if (k && *k == *key) found = object;
            });
            return found ? found : query<parent_type>().filter(col<referenced> == *key).first();
        }
    }
}

template <class Backend>
template <auto Member, class Parents>
std::vector<detail::relationship_child_t<Member>*> basic_session<Backend>::load_children(const Parents& parents) {
    using r = detail::relationship<Member>;
    using element = std::remove_cvref_t<decltype(*std::begin(parents))>;
    using parent_type = std::remove_cvref_t<std::remove_pointer_t<element>>;
    detail::check_relationship<Member, parent_type, typename r::parent>();
    if constexpr (!detail::relationship_fits<Member, parent_type, typename r::parent>) {
        return {};
    } else {
        using key_type = typename r::key;
        using child_type = typename r::child;
        if (closed_) throw detail::relationship_error<Member>("load_children", detail::session_closed);
        check_usable();
        // New parents get their keys (and changed ones are written) before the keys are read.
        if (options_.autoflush) autoflush(static_cast<detail::type_list<parent_type, child_type>*>(nullptr));
        std::set<key_type> keys;       // every parent's, for the result
        std::vector<key_type> missing;  // those whose children are not loaded yet
        {
            const auto& loaded = loaded_.template of<key_type>(&detail::relationship_id<Member>);
            for (const auto& item : parents) {
                const parent_type* p;
                if constexpr (std::is_pointer_v<element>) p = item;
                else p = &item;
                if (!p) {
                    throw detail::relationship_error<Member>(
                        "load_children",
                        "a null pointer among the " + std::string(detail::unqualified_type_name<parent_type>()) + " objects");
                }
                auto& e = tracked_for_relationship<Member>(*p, "load_children");
                const key_type* key = detail::innermost_value<key_type>(p->*r::layers::referenced_member);
                if (key && keys.insert(*key).second && !loaded.contains(*key) &&
                    e.state != detail::object_state::pending)
                    missing.push_back(*key);
            }
        }
        for (std::size_t at = 0; at < missing.size(); at += detail::select_in_chunk) {
            std::span<const key_type> chunk(missing.data() + at, std::min(detail::select_in_chunk, missing.size() - at));
            (void)query<child_type>().filter(col<Member>.in(chunk)).all();  // tracks them
        }
        auto& loaded = loaded_.template of<key_type>(&detail::relationship_id<Member>);  // after any autoflush commit
        loaded.insert(missing.begin(), missing.end());
        return detail::tracked_children<Member>(store_for<child_type>().objects,
                                                [&](const key_type& k) { return keys.contains(k); });
    }
}

}  // namespace structql
