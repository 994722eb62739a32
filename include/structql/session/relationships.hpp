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
#include "structql/detail/std_parts.hpp"  // std::min, std::max
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
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
                  "StructQL: a relationship is named by a foreign_key<> member of the child model, and Member "
                  "(in the instantiation) is not one: name the child's foreign key, as in "
                  "children<&Post::user_id>(user), add_child<&Post::user_id>(user, Post{...}) or "
                  "link<&PostTag::post_id, &PostTag::tag_id>(post, tag)");
    static_assert(!relationship<Member>::is_foreign_key || std::is_same_v<Object, Expected>,
                  "StructQL: this relationship's foreign key does not relate the model of the object passed: "
                  "pass an Expected object instead of the Object one (Member, Object and Expected in the "
                  "instantiation name them): children, load_children, add_child's parent and link's objects "
                  "are of the model the foreign key references, parent's and add_child's child of the model "
                  "holding it");
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
        // A new parent whose key the database has yet to generate (autoflush off): its children
        // are those added under it, not every object whose reference still holds the same 0.
        using parent_table = table<typename r::parent>;
        if constexpr (parent_table::generated_primary_key &&
                      detail::member_index(r::layers::referenced_member) == parent_table::primary_key_index) {
            if (e->state == detail::object_state::pending && *key == 0) {
                std::vector<typename r::child*> linked;
                for (const detail::parent_link& link : parent_links_)
                    if (link.parent == e && link.relationship == &detail::relationship_id<Member> &&
                        link.child->state == detail::object_state::pending)
                        linked.push_back(static_cast<typename r::child*>(link.child->object));
                return linked;
            }
        }
        // Rows can reference a parent only once it is in the database.
        if (e->state != detail::object_state::pending) {
            const auto* record = relationships_.template of<Member>().by_key.find(*key);
            if (!record || !record->loaded) {
                (void)query<typename r::child>().filter(col<Member> == *key).all();  // tracks them
                // Looked up again: the query's autoflush may have committed (autocommit), which forgets.
                relationships_.template of<Member>().by_key[*key].loaded = true;
            }
        }
        auto& records = relationships_.template of<Member>();
        auto& child_store = store_for<typename r::child>();
        records.index(child_store.objects, child_store.generation);
        const auto* record = records.by_key.find(*key);
        return record ? record->children : std::vector<typename r::child*>{};
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
        std::vector<key_type> keys;     // every parent's once, for the result
        std::vector<key_type> missing;  // those whose children are not loaded yet
        {
            auto& records = relationships_.template of<Member>();
            const std::uint64_t visit = ++records.visits;
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
                if (!key) continue;
                auto& record = records.by_key[*key];
                if (record.visit == visit) continue;
                record.visit = visit;
                keys.push_back(*key);
                if (!record.loaded && e.state != detail::object_state::pending) missing.push_back(*key);
            }
        }
        for (std::size_t at = 0; at < missing.size(); at += detail::select_in_chunk) {
            std::span<const key_type> chunk(missing.data() + at, std::min(detail::select_in_chunk, missing.size() - at));
            (void)query<child_type>().filter(col<Member>.in(chunk)).all();  // tracks them
        }
        auto& records = relationships_.template of<Member>();  // after any autoflush commit
        for (const key_type& key : missing) records.by_key[key].loaded = true;
        auto& child_store = store_for<child_type>();
        records.index(child_store.objects, child_store.generation);
        std::vector<const detail::children_record<child_type>*> found_records;
        found_records.reserve(keys.size());
        std::size_t count = 0;
        for (const key_type& key : keys)
            if (const auto* record = records.by_key.find(key)) {
                found_records.push_back(record);
                count += record->children.size();
            }
        std::vector<child_type*> found;
        found.reserve(count);
        for (const auto* record : found_records) found.insert(found.end(), record->children.begin(), record->children.end());
        return found;
    }
}

template <class Backend>
template <auto Member, class Object>
detail::entry& basic_session<Backend>::parent_for_adding(const Object& parent, std::string_view operation) {
    auto& e = tracked_for_relationship<Member>(parent, operation);
    if (e.state != detail::object_state::pending && e.state != detail::object_state::persistent)
        throw detail::relationship_error<Member>(
            operation, "the " + std::string(detail::unqualified_type_name<Object>()) + " object is removed in this session");
    return e;
}

template <class Backend>
template <auto Member, class Object>
void basic_session<Backend>::link_to_parent(detail::entry& child, detail::entry& parent_entry, const Object& parent,
                                            std::string_view operation) {
    using r = detail::relationship<Member>;
    using child_type = typename r::child;
    using key_type = typename r::key;
    constexpr auto write_key = [](void* to, const void* from) {
        const auto& p = *static_cast<const Object*>(from);
        if (const key_type* key = detail::innermost_value<key_type>(p.*r::layers::referenced_member))
            static_cast<child_type*>(to)->*Member = *key;
    };
    write_key(child.object, &parent);
    if (parent_entry.state == detail::object_state::pending && child.state == detail::object_state::pending) {
        child.key_from_parent = true;
        parent_links_.push_back({&child, &parent_entry, &detail::relationship_id<Member>, write_key, operation,
                                 [](std::string_view op, std::string_view problem) {
                                     return detail::relationship_message(
                                         op, detail::unqualified_type_name<child_type>(),
                                         detail::member_name<child_type, detail::member_index(Member)>(), problem);
                                 }});
    }
}

template <class Backend>
template <auto Member, class Parent, class M>
detail::relationship_child_t<Member>& basic_session<Backend>::add_child(const Parent& parent, M&& child) {
    using r = detail::relationship<Member>;
    using child_type = typename r::child;
    detail::check_relationship<Member, Parent, typename r::parent>();
    detail::check_relationship<Member, std::remove_cvref_t<M>, child_type>();
    if constexpr (!detail::relationship_fits<Member, Parent, typename r::parent> ||
                  !detail::relationship_fits<Member, std::remove_cvref_t<M>, child_type>) {
        return add(child_type{});
    } else {
        auto& parent_entry = parent_for_adding<Member>(parent, "add_child");
        child_type& added = add(std::forward<M>(child));
        link_to_parent<Member>(*find_tracked(added), parent_entry, parent, "add_child");
        return added;
    }
}

template <class Backend>
template <auto... Members, class Object>
void basic_session<Backend>::remove_cascade(Object& object) {
    static_assert(sizeof...(Members) > 0,
                  "StructQL: remove_cascade<&Child::member, ...>(object) names at least one relationship");
    check_usable();
    if (!find_tracked(object)) throw not_tracked<Object>("remove_cascade");
    remove_children<Members...>(std::vector<Object*>{&object});
    remove(object);
}

template <class Backend>
template <auto Member, auto... Rest, class Parent>
void basic_session<Backend>::remove_children(const std::vector<Parent*>& parents) {
    auto children = load_children<Member>(parents);
    if constexpr (sizeof...(Rest) > 0) remove_children<Rest...>(children);
    for (auto* child : children) remove(*child);
}

namespace detail {
// Both foreign keys of a many-to-many relationship belong to the association model.
template <auto From, auto To>
constexpr void check_association() {
    static_assert(std::is_same_v<relationship_child_t<From>, relationship_child_t<To>>,
                  "StructQL: related / load_related / link<&Link::a, &Link::b>: both members must be foreign keys "
                  "of the same association model (From and To in the instantiation name them)");
}
}  // namespace detail

template <class Backend>
template <auto Member, class Children>
void basic_session<Backend>::load_parents(const Children& children) {
    using r = detail::relationship<Member>;
    using parent_type = typename r::parent;
    using key_type = typename r::key;
    constexpr auto referenced = r::layers::referenced_member;
    constexpr bool by_primary_key = !table<parent_type>::composite_key &&
                                    detail::member_index(referenced) == table<parent_type>::primary_key_index;
    detail::key_map<key_type, bool> seen;
    std::vector<key_type> missing;
    auto& parents = store_for<parent_type>();
    for (const auto* child : children) {
        const key_type* key = detail::innermost_value<key_type>(child->*Member);
        if (!key || std::exchange(seen[*key], true)) continue;
        if constexpr (by_primary_key) {
            if (parents.identity.find(detail::make_identity_key<parent_type>(*key)) != parents.identity.end()) continue;
        }
        missing.push_back(*key);
    }
    for (std::size_t at = 0; at < missing.size(); at += detail::select_in_chunk) {
        std::span<const key_type> chunk(missing.data() + at, std::min(detail::select_in_chunk, missing.size() - at));
        (void)query<parent_type>().filter(col<referenced>.in(chunk)).all();  // tracks them
    }
}

template <class Backend>
template <auto From, auto To, class Object>
std::vector<detail::relationship_parent_t<To>*> basic_session<Backend>::related(const Object& object) {
    detail::check_association<From, To>();
    std::vector<detail::relationship_parent_t<To>*> found;
    if constexpr (std::is_same_v<detail::relationship_child_t<From>, detail::relationship_child_t<To>>) {
        auto links = children<From>(object);
        load_parents<To>(links);
        for (auto* association : links)
            if (auto* other = parent<To>(*association)) found.push_back(other);
    }
    return found;
}

template <class Backend>
template <auto From, auto To, class Objects>
std::vector<detail::relationship_parent_t<To>*> basic_session<Backend>::load_related(const Objects& objects) {
    detail::check_association<From, To>();
    std::vector<detail::relationship_parent_t<To>*> found;
    if constexpr (std::is_same_v<detail::relationship_child_t<From>, detail::relationship_child_t<To>>) {
        auto links = load_children<From>(objects);
        load_parents<To>(links);
        detail::key_map<const void*, bool> seen;  // each related object once, in the order first met
        for (auto* association : links)
            if (auto* other = parent<To>(*association); other && !std::exchange(seen[other], true)) found.push_back(other);
    }
    return found;
}

template <class Backend>
template <auto From, auto To, class Object, class Other, class Link>
Link& basic_session<Backend>::link(const Object& object, const Other& other, Link association) {
    detail::check_association<From, To>();
    detail::check_relationship<From, Object, detail::relationship_parent_t<From>>();
    detail::check_relationship<To, Other, detail::relationship_parent_t<To>>();
    if constexpr (!std::is_same_v<detail::relationship_child_t<From>, detail::relationship_child_t<To>> ||
                  !detail::relationship_fits<From, Object, detail::relationship_parent_t<From>> ||
                  !detail::relationship_fits<To, Other, detail::relationship_parent_t<To>>) {
        return add(std::move(association));
    } else {
        auto& from = parent_for_adding<From>(object, "link");
        auto& to = parent_for_adding<To>(other, "link");
        Link& added = add(std::move(association));
        auto& e = *find_tracked(added);
        link_to_parent<From>(e, from, object, "link");
        link_to_parent<To>(e, to, other, "link");
        return added;
    }
}

template <class Backend>
template <auto Member, class Parents>
auto basic_connection<Backend>::load_children(const Parents& parents) {
    using r = detail::relationship<Member>;
    using child_type = typename r::child;
    using element = std::remove_cvref_t<decltype(*std::begin(parents))>;
    if constexpr (requires(const element& inner) { std::begin(inner) != std::end(inner); }) {
        // The previous level's result, a range of ranges of parents: their children with the
        // same queries, shaped as the parents are (result[i][k] for parents[i][k]).
        using item = std::remove_cvref_t<decltype(*std::begin(std::declval<const element&>()))>;
        std::vector<const std::remove_cvref_t<std::remove_pointer_t<item>>*> flat;
        std::vector<std::size_t> sizes;
        for (const auto& inner : parents) {
            std::size_t n = 0;
            for (const auto& parent : inner) {
                if constexpr (std::is_pointer_v<item>) flat.push_back(parent);
                else flat.push_back(&parent);
                ++n;
            }
            sizes.push_back(n);
        }
        auto children = load_children<Member>(flat);
        std::vector<std::vector<std::vector<child_type>>> shaped;
        shaped.reserve(sizes.size());
        auto next = std::make_move_iterator(children.begin());
        for (std::size_t n : sizes) {
            shaped.emplace_back(next, next + static_cast<std::ptrdiff_t>(n));
            next += static_cast<std::ptrdiff_t>(n);
        }
        return shaped;
    } else {
        return load_children_of<Member>(parents);
    }
}

template <class Backend>
template <auto Member, class Parents>
auto basic_connection<Backend>::load_children_of(const Parents& parents) {
    using r = detail::relationship<Member>;
    using child_type = typename r::child;
    using element = std::remove_cvref_t<decltype(*std::begin(parents))>;
    using parent_type = std::remove_cvref_t<std::remove_pointer_t<element>>;
    detail::check_relationship<Member, parent_type, typename r::parent>();
    std::vector<std::vector<child_type>> result;
    if constexpr (detail::relationship_fits<Member, parent_type, typename r::parent>) {
        using key_type = typename r::key;
        detail::key_map<key_type, std::vector<std::size_t>> positions;  // of each key's parents
        std::vector<key_type> keys;
        for (const auto& item : parents) {
            const parent_type* p;
            if constexpr (std::is_pointer_v<element>) p = item;
            else p = &item;
            if (!p)
                throw detail::relationship_error<Member>("load_children", "a null pointer among the " +
                                                                               std::string(detail::unqualified_type_name<parent_type>()) + " objects");
            const std::size_t at = result.size();
            result.emplace_back();
            const key_type* key = detail::innermost_value<key_type>(p->*r::layers::referenced_member);
            if (!key) continue;
            auto& where = positions[*key];
            if (where.empty()) keys.push_back(*key);
            where.push_back(at);
        }
        for (std::size_t at = 0; at < keys.size(); at += detail::select_in_chunk) {
            std::span<const key_type> chunk(keys.data() + at, std::min(detail::select_in_chunk, keys.size() - at));
            query<child_type>().filter(col<Member>.in(chunk)).for_each([&](child_type child) {
                const key_type* key = detail::innermost_value<key_type>(child.*Member);
                const auto* where = key ? positions.find(*key) : nullptr;
                if (!where) return;
                for (std::size_t i = 0; i + 1 < where->size(); ++i) result[(*where)[i]].push_back(child);
                result[where->back()].push_back(std::move(child));
            });
        }
    }
    return result;
}

}  // namespace structql
