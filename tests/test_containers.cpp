// The session's own containers: detail::flat_map (the identity map) against the standard one,
// through random operations, detail::entry_arena (where the tracked objects live), and the
// session's own sort (detail::algorithms.hpp) against the standard one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <structql/detail/algorithms.hpp>
#include <structql/detail/flat_map.hpp>
#include <structql/detail/entry_arena.hpp>
#include <structql/schema/value_traits.hpp>

#include "support.hpp"

namespace containers_test {
struct entry {
    int id;
};
}  // namespace containers_test

using containers_test::entry;

// The last type is a composite key of the storage types std::hash lacks (detail::key_hash).
TEMPLATE_TEST_CASE("flat_map agrees with std::map through inserts, overwrites and erases", "[containers]", std::int64_t,
                   std::string, (std::tuple<std::int64_t, structql::blob, structql::timestamp>)) {
    std::vector<entry> pool(64);
    for (int i = 0; i < 64; ++i) pool[static_cast<std::size_t>(i)].id = i;
    std::mt19937_64 random(42);
    // Few distinct keys, so that probe runs collide, wrap around the table's end and are cut by
    // erases in every position.
    auto key_of = [](std::uint64_t n) {
        if constexpr (std::is_same_v<TestType, std::string>) return "k" + std::to_string(n);
        else if constexpr (std::is_same_v<TestType, std::int64_t>)
            return static_cast<std::int64_t>(n) * 1024 - 40000;  // multiples: poor keys for a bare modulo
        else  // parts that each tell few keys apart, so that only all three tell every key apart
            return TestType{static_cast<std::int64_t>(n % 3), structql::blob(n % 7, std::byte{1}),
                            structql::timestamp(std::chrono::seconds(n / 21))};
    };
    structql::detail::flat_map<TestType, entry> map;
    std::map<TestType, entry*> reference;
    // Fewer steps for the composite key: it checks the hash, the walk is the same (CI time); and
    // under AddressSanitizer (structql_test::address_sanitizer), where 200,000 took 2-5 s.
    constexpr int full = structql_test::address_sanitizer ? 50000 : 200000;
    constexpr int steps = std::is_same_v<TestType, std::int64_t> || std::is_same_v<TestType, std::string> ? full : 10000;
    for (int step = 0; step < steps; ++step) {
        TestType key = key_of(random() % 300);
        entry* value = &pool[random() % pool.size()];
        switch (random() % 5) {
            case 0: {
                auto [it, added] = map.emplace(key, value);
                auto [ref, ref_added] = reference.emplace(key, value);
                REQUIRE(added == ref_added);
                REQUIRE(it->second == ref->second);
                break;
            }
            case 1:
                map.insert_or_assign(key, value);
                reference.insert_or_assign(key, value);
                break;
            case 2:
                map.erase(key);
                reference.erase(key);
                break;
            case 3: {  // materialize()'s single probe: the key's slot, filled when it is new
                auto it = map.find_or_slot(key);
                auto [ref, ref_added] = reference.emplace(key, value);
                REQUIRE((it->second == nullptr) == ref_added);
                if (ref_added) map.place(it, key, value);
                REQUIRE(it->first == key);
                REQUIRE(it->second == ref->second);
                break;
            }
            default:
                if (auto it = map.find(key); it != map.end()) {
                    REQUIRE(reference.count(key) == 1);
                    map.erase(it);
                    reference.erase(key);
                }
        }
        REQUIRE(map.size() == reference.size());
        if (step % 5000 == 0) {
            for (std::uint64_t n = 0; n < 300; ++n) {
                TestType k = key_of(n);
                auto it = map.find(k);
                auto ref = reference.find(k);
                REQUIRE((it == map.end()) == (ref == reference.end()));
                if (ref != reference.end()) REQUIRE(it->second == ref->second);
            }
        }
        if (step == steps * 3 / 4) {
            map.clear();
            reference.clear();
            REQUIRE(map.empty());
        }
    }
}

namespace {
using structql::detail::entry_arena;
using structql::detail::lifetime_of;

std::string& text_of(structql::detail::entry& e) { return *static_cast<std::string*>(e.object); }

// An element made from a string, as a session's add() makes one from its object.
structql::detail::entry& add_text(entry_arena& arena, std::string text) {
    return arena.emplace([&](void* at) { ::new (at) std::string(std::move(text)); });
}
}  // namespace

TEST_CASE("entry_arena keeps every object where it was made, in order", "[containers]") {
    entry_arena arena(lifetime_of<std::string>);
    std::vector<const void*> addresses;
    for (int i = 0; i < 5000; ++i) {
        addresses.push_back(add_text(arena, std::to_string(i)).object);
        if (i % 997 == 0) {  // a pop_back at a block's start, middle or end, then the same again
            arena.pop_back();
            addresses.pop_back();
            addresses.push_back(add_text(arena, std::to_string(i)).object);
        }
    }
    REQUIRE(arena.size() == 5000);
    std::size_t i = 0;
    arena.for_each([&](structql::detail::entry& e) {
        REQUIRE(e.object == addresses[i]);
        REQUIRE(text_of(e) == std::to_string(i));
        REQUIRE(arena.at(i).object == addresses[i]);
        ++i;
    });
    REQUIRE(i == 5000);
    const auto& constant = arena;
    REQUIRE(constant.at(0).object == addresses.front());
    entry_arena empty(lifetime_of<int>);
    REQUIRE(empty.size() == 0);
    REQUIRE(static_cast<int*>(empty.emplace().object)[0] == 0);  // value-initialised
}

TEST_CASE("entry_arena::clear() destroys every object and refills the same blocks", "[containers]") {
    entry_arena arena(lifetime_of<std::string>);
    std::vector<const void*> first_fill;
    for (int i = 0; i < 3000; ++i) first_fill.push_back(add_text(arena, std::string(40, 'a')).object);  // not short
    const std::size_t capacity = arena.capacity_bytes();
    REQUIRE(capacity >= 3000 * sizeof(std::string));
    REQUIRE(arena.element_of(first_fill[5]) == &arena.at(5));
    arena.clear();
    REQUIRE(arena.size() == 0);
    REQUIRE(arena.element_of(first_fill[5]) == nullptr);  // nothing is found any more
    // Refilled with fewer elements: the same addresses, in order; the blocks past them stay empty.
    for (int i = 0; i < 1000; ++i)
        REQUIRE(add_text(arena, std::to_string(i)).object == first_fill[static_cast<std::size_t>(i)]);
    REQUIRE(arena.capacity_bytes() == capacity);
    for (std::size_t n = 0; n < arena.size(); ++n) REQUIRE(text_of(arena.at(n)) == std::to_string(n));
    REQUIRE(arena.size() == 1000);
    REQUIRE(arena.element_of(first_fill[999]) == &arena.at(999));
    REQUIRE(arena.element_of(first_fill[1000]) == nullptr);
    // Past the first fill, new blocks are made again.
    for (int i = 1000; i < 5000; ++i) add_text(arena, std::to_string(i));
    REQUIRE(arena.capacity_bytes() > capacity);
    for (std::size_t n = 0; n < arena.size(); ++n) REQUIRE(text_of(arena.at(n)) == std::to_string(n));
    REQUIRE(arena.size() == 5000);
    arena.pop_back();
    REQUIRE(arena.size() == 4999);
    REQUIRE(text_of(arena.at(4998)) == "4998");
}

TEST_CASE("entry_arena: snapshots and committed copies are the object's, set_aside() keeps objects alive unlisted", "[containers]") {
    entry_arena arena(lifetime_of<std::string>);
    structql::detail::entry& e = add_text(arena, std::string(50, 'x'));
    REQUIRE(e.snapshot == nullptr);
    arena.take_snapshot(e);
    REQUIRE(e.snapshot != nullptr);
    REQUIRE(e.snapshot != e.object);
    text_of(e) = "changed";
    REQUIRE(*static_cast<const std::string*>(e.snapshot) == std::string(50, 'x'));  // a copy, not the object
    arena.keep_committed(e);
    arena.take_snapshot(e);
    REQUIRE(*static_cast<const std::string*>(e.snapshot) == "changed");
    REQUIRE(*static_cast<const std::string*>(e.committed) == std::string(50, 'x'));
    arena.object_from(e, e.committed);
    REQUIRE(text_of(e) == std::string(50, 'x'));
    arena.set_snapshot(e, nullptr);
    REQUIRE(e.snapshot == nullptr);
    const void* kept = e.object;
    arena.set_aside();
    REQUIRE(arena.size() == 0);
    REQUIRE(arena.element_of(kept) == nullptr);
    REQUIRE(*static_cast<const std::string*>(kept) == std::string(50, 'x'));  // still alive
    REQUIRE(add_text(arena, "next").object != kept);  // new blocks for the new listing
}

TEST_CASE("flat_map::clear() keeps a well-used table and frees one far larger than its contents", "[containers]") {
    struct entry {};
    entry value;
    structql::detail::flat_map<std::int64_t, entry> map;
    for (std::int64_t k = 0; k < 1000; ++k) map.emplace(k, &value);
    const std::size_t table = map.capacity_bytes();
    map.clear();
    REQUIRE(map.empty());
    REQUIRE(map.capacity_bytes() == table);  // 1,000 of 2,048 slots were in use: wiped, kept
    for (std::int64_t k = 0; k < 1000; ++k) REQUIRE(map.find(k) == map.end());
    map.emplace(7, &value);
    map.clear();                       // 1 of 2,048: freed rather than wiped
    REQUIRE(map.capacity_bytes() == 0);
    REQUIRE(map.find(7) == map.end());
    map.emplace(8, &value);
    REQUIRE(map.find(8) != map.end());
    REQUIRE(map.find(8)->second == &value);
}

TEST_CASE("entry_arena: committed copies reuse their slots, element_of() finds only the arena's objects", "[containers]") {
    entry_arena arena(lifetime_of<std::string>);
    std::vector<structql::detail::entry*> entries;
    for (int i = 0; i < 300; ++i) {
        auto& e = add_text(arena, std::string(40, static_cast<char>('a' + i % 26)) + std::to_string(i));  // not short
        arena.take_snapshot(e);
        entries.push_back(&e);
    }
    auto committed_text = [](const structql::detail::entry* e) { return *static_cast<const std::string*>(e->committed); };
    std::vector<const void*> first_slots;
    for (auto* e : entries) {
        arena.keep_committed(*e);
        text_of(*e) = "changed";
        arena.keep_committed(*e);  // kept once: still the row before the change
        first_slots.push_back(e->committed);
    }
    for (std::size_t i = 0; i < entries.size(); ++i)
        REQUIRE(committed_text(entries[i]) == *static_cast<const std::string*>(entries[i]->snapshot));
    const std::size_t capacity = arena.capacity_bytes();
    // Dropped (a commit) and kept again (the next transaction's writes): the same slots, no new block.
    for (auto* e : entries) arena.drop_committed(*e);
    REQUIRE(entries[7]->committed == nullptr);
    for (auto* e : entries) arena.keep_committed(*e);
    REQUIRE(arena.capacity_bytes() == capacity);
    std::vector<const void*> second_slots;
    for (auto* e : entries) second_slots.push_back(e->committed);
    std::sort(first_slots.begin(), first_slots.end());
    std::sort(second_slots.begin(), second_slots.end());
    REQUIRE(first_slots == second_slots);
    for (std::size_t i = 0; i < entries.size(); ++i)
        REQUIRE(committed_text(entries[i]) == *static_cast<const std::string*>(entries[i]->snapshot));
    // set_committed (a savepoint restored): copied into the slot it has, or none.
    const void* slot = entries[3]->committed;
    const std::string saved(60, 's');
    arena.set_committed(*entries[3], &saved);
    REQUIRE(entries[3]->committed == slot);
    REQUIRE(committed_text(entries[3]) == saved);
    arena.set_committed(*entries[3], nullptr);
    REQUIRE(entries[3]->committed == nullptr);
    arena.set_committed(*entries[3], &saved);
    REQUIRE(committed_text(entries[3]) == saved);
    REQUIRE(arena.capacity_bytes() == capacity);
    // element_of: the arena's objects by address, nothing else (a local, a heap string, a snapshot).
    std::string local = "local";
    auto heap = std::make_unique<std::string>("heap");
    REQUIRE(arena.element_of(entries[299]->object) == entries[299]);
    REQUIRE(arena.element_of(entries[0]->object) == entries[0]);
    REQUIRE(arena.element_of(&local) == nullptr);
    REQUIRE(arena.element_of(heap.get()) == nullptr);
    REQUIRE(arena.element_of(entries[5]->snapshot) == nullptr);
    arena.clear();  // destroys the objects, snapshots and committed copies (LeakSanitizer checks)
    REQUIRE(arena.size() == 0);
}

namespace containers_test {
// Its copy writes its text, then throws when told to: a copy that fails halfway.
struct fragile {
    std::string text;
    static inline bool fail = false;
    fragile() = default;
    explicit fragile(std::string t) : text(std::move(t)) {}
    fragile(const fragile& other) : text(other.text) {
        if (fail) throw std::runtime_error("copy failed");
    }
    fragile& operator=(const fragile&) = default;
};
}  // namespace containers_test

TEST_CASE("entry_arena: a committed copy that throws leaves its slot free and the other slots intact", "[containers]") {
    using containers_test::fragile;
    entry_arena arena(lifetime_of<fragile>);
    std::vector<structql::detail::entry*> entries;
    for (int i = 0; i < 3; ++i) {
        auto& e = arena.emplace([&](void* at) { ::new (at) fragile(std::string(40, static_cast<char>('a' + i))); });
        arena.take_snapshot(e);
        arena.keep_committed(e);
        entries.push_back(&e);
    }
    for (auto* e : entries) arena.drop_committed(*e);  // three free slots
    const std::size_t capacity = arena.capacity_bytes();
    fragile::fail = true;
    CHECK_THROWS_AS(arena.keep_committed(*entries[0]), std::runtime_error);
    fragile::fail = false;
    CHECK(entries[0]->committed == nullptr);
    std::vector<const void*> slots;
    for (auto* e : entries) {
        arena.keep_committed(*e);
        slots.push_back(e->committed);
        CHECK(static_cast<const fragile*>(e->committed)->text == static_cast<const fragile*>(e->snapshot)->text);
    }
    std::sort(slots.begin(), slots.end());
    CHECK(std::adjacent_find(slots.begin(), slots.end()) == slots.end());  // three different slots
    CHECK(arena.capacity_bytes() == capacity);                             // the free ones, reused
    arena.clear();
}

TEST_CASE("detail::stable_sort orders as std::stable_sort does, equal keys in their first order", "[containers]") {
    std::mt19937_64 random(7);
    auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
    // Short ranges (insertion sort alone), and long ones, random or nearly in order.
    for (std::size_t n : {0, 1, 2, 5, 16, 17, 33, 100, 1000, 5000}) {
        for (int shape = 0; shape < 3; ++shape) {
            std::vector<std::pair<int, std::size_t>> items;  // (key, place before sorting)
            for (std::size_t i = 0; i < n; ++i) {
                int key = shape == 0   ? static_cast<int>(random() % 10)
                          : shape == 1 ? static_cast<int>(random() % 100000)
                                       : static_cast<int>(i / 3 + (random() % 50 == 0 ? random() % 20 : 0));
                items.emplace_back(key, i);
            }
            auto expected = items;
            std::stable_sort(expected.begin(), expected.end(), by_key);
            REQUIRE(structql::detail::is_sorted(expected.begin(), expected.end(), by_key));
            structql::detail::stable_sort(items.begin(), items.end(), by_key);
            REQUIRE(items == expected);
        }
    }
    std::vector<std::int64_t> keys{5, -3, 9, 0, 5, 1, -8, 2, 7, 3, 3, 11, 4, 6, 10, 12, -1, 8};
    auto sorted_keys = keys;
    std::sort(sorted_keys.begin(), sorted_keys.end());
    structql::detail::stable_sort(keys.begin(), keys.end());
    REQUIRE(keys == sorted_keys);
    REQUIRE_FALSE(structql::detail::is_sorted(keys.rbegin(), keys.rend(), std::less<>{}));
}
