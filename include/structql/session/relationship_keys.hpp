#pragma once
// What a session needs to know of a relationship before its member functions are defined
// (session/relationships.hpp): the types a foreign key member relates, and the record of which
// parents' children are loaded and the index of tracked children by foreign key.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/entry_arena.hpp"
#include "structql/detail/flat_map.hpp"
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

// What the session knows of one parent key's children along a relationship.
template <class Child>
struct children_record {
    bool loaded = false;          // every row referencing the key is a tracked object
    std::uint64_t visit = 0;      // relationship_records::visits when last counted (load_children)
    std::size_t incoming = 0;     // children about to be indexed (relationship_records::index)
    std::vector<Child*> children;  // the tracked children, in the order tracked
};

// One relationship's records, by parent key: which parents' children are loaded, and an index
// of the tracked children by foreign key, so that navigation does not look at every tracked
// child. The index follows the child model's store: objects it appends (added, loaded) are
// indexed as they come; any other change (model_store_base::generation: a removal, a foreign
// key changed by a flush, a rollback, an expunge) rebuilds it whole at the next use.
template <auto Member>
struct relationship_records {
    using child = relationship_child_t<Member>;
    using key = relationship_key_t<Member>;
    key_map<key, children_record<child>> by_key;
    std::uint64_t visits = 0;

    // Brings the index up to date with the child model's tracked objects.
    void index(entry_arena& objects, std::uint64_t store_generation) {
        if (generation_ != store_generation || indexed_ > objects.size()) {
            by_key.for_each_value([](children_record<child>& r) { r.children.clear(); });
            indexed_ = 0;
            generation_ = store_generation;
        }
        if (indexed_ == objects.size()) return;
        // Counted first, so that each parent's list grows once (a load brings many children).
        std::vector<std::pair<children_record<child>*, child*>> found;
        found.reserve(objects.size() - indexed_);
        const key* last_key = nullptr;  // rows often come grouped by parent: one lookup per group
        children_record<child>* last = nullptr;
        for (; indexed_ < objects.size(); ++indexed_) {
            entry& e = objects.at(indexed_);
            if (e.state != object_state::pending && e.state != object_state::persistent) continue;
            auto* object = static_cast<child*>(e.object);
            const key* k = innermost_value<key>(object->*Member);
            if (!k) continue;
            if (!last_key || !(*k == *last_key)) last = &by_key[*k];
            last_key = k;
            ++last->incoming;
            found.emplace_back(last, object);
        }
        for (auto [record, object] : found) {
            if (record->incoming) {
                record->children.reserve(record->children.size() + record->incoming);
                record->incoming = 0;
            }
            record->children.push_back(object);
        }
    }

private:
    std::uint64_t generation_ = ~std::uint64_t{0};  // the store's when the index was (re)built
    std::size_t indexed_ = 0;                        // the store's objects indexed so far
};

class relationships_state {
public:
    // The records of one relationship. Forgotten whenever rows could change behind the
    // session's objects (the transaction ends, raw SQL, bulk writes, expunge, rollback to a
    // savepoint): references to them do not outlive a statement.
    template <auto Member>
    relationship_records<Member>& of() {
        const void* id = &relationship_id<Member>;
        for (auto& [at, records] : relationships_)
            if (at == id) return static_cast<holder<Member>&>(*records).records;
        auto& added = relationships_.emplace_back(id, std::make_unique<holder<Member>>());
        return static_cast<holder<Member>&>(*added.second).records;
    }
    void clear() noexcept { relationships_.clear(); }

private:
    struct holder_base {
        virtual ~holder_base() = default;
    };
    template <auto Member>
    struct holder : holder_base {
        relationship_records<Member> records;
    };
    // A handful of relationships per session: a vector searched in order.
    std::vector<std::pair<const void*, std::unique_ptr<holder_base>>> relationships_;
};

// A child added by add_child() under a parent not inserted yet.
struct parent_link {
    entry* child;
    entry* parent;
    const void* relationship;  // &relationship_id<Member>
    void (*write_key)(void* child, const void* parent);  // child.*Member = the parent's key
    std::string_view operation;                          // add_child or link
    std::string (*describe)(std::string_view operation, std::string_view problem);  // relationship_message
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
