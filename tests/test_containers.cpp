// The session's own containers, against the standard ones: detail::flat_map (the identity map)
// and detail::stable_vector (the tracked objects), through random operations.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <structql/detail/flat_map.hpp>
#include <structql/detail/stable_vector.hpp>

namespace containers_test {
struct entry {
    int id;
};
}  // namespace containers_test

using containers_test::entry;

TEMPLATE_TEST_CASE("flat_map agrees with std::map through inserts, overwrites and erases", "[containers]", std::int64_t,
                   std::string) {
    std::vector<entry> pool(64);
    for (int i = 0; i < 64; ++i) pool[static_cast<std::size_t>(i)].id = i;
    std::mt19937_64 random(42);
    // Few distinct keys, so that probe runs collide, wrap around the table's end and are cut by
    // erases in every position.
    auto key_of = [](std::uint64_t n) {
        if constexpr (std::is_same_v<TestType, std::string>) return "k" + std::to_string(n);
        else return static_cast<std::int64_t>(n) * 1024 - 40000;  // multiples: poor keys for a bare modulo
    };
    structql::detail::flat_map<TestType, entry> map;
    std::map<TestType, entry*> reference;
    for (int step = 0; step < 200000; ++step) {
        TestType key = key_of(random() % 300);
        entry* value = &pool[random() % pool.size()];
        switch (random() % 4) {
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
        if (step == 150000) {
            map.clear();
            reference.clear();
            REQUIRE(map.empty());
        }
    }
}

TEST_CASE("stable_vector keeps every element where it was made, in order", "[containers]") {
    structql::detail::stable_vector<std::string> v;
    std::vector<const std::string*> addresses;
    for (int i = 0; i < 5000; ++i) {
        addresses.push_back(&v.emplace_back(std::to_string(i)));
        if (i % 997 == 0) {  // a pop_back at a block's start, middle or end, then the same again
            v.pop_back();
            addresses.pop_back();
            addresses.push_back(&v.emplace_back(std::to_string(i)));
        }
    }
    REQUIRE(v.size() == 5000);
    std::size_t i = 0;
    for (const std::string& s : v) {
        REQUIRE(&s == addresses[i]);
        REQUIRE(s == std::to_string(i));
        REQUIRE(&v[i] == addresses[i]);
        ++i;
    }
    REQUIRE(i == 5000);
    const auto& constant = v;
    REQUIRE(&*constant.begin() == addresses.front());
    structql::detail::stable_vector<int> empty;
    REQUIRE(empty.begin() == empty.end());
}

TEST_CASE("stable_vector::clear() destroys every element and refills the same blocks", "[containers]") {
    struct item {
        std::string text;
    };
    structql::detail::stable_vector<item> v;
    std::vector<const item*> first_fill;
    for (int i = 0; i < 3000; ++i) first_fill.push_back(&v.emplace_back(item{std::string(40, 'a')}));  // not short
    const std::size_t capacity = v.capacity_bytes();
    REQUIRE(capacity >= 3000 * sizeof(item));
    REQUIRE(v.element_of(&first_fill[5]->text, &item::text) == first_fill[5]);
    v.clear();
    REQUIRE(v.size() == 0);
    REQUIRE(v.begin() == v.end());
    REQUIRE(v.element_of(&first_fill[5]->text, &item::text) == nullptr);  // nothing is found any more
    // Refilled with fewer elements: the same addresses, in order; the blocks past them stay empty.
    for (int i = 0; i < 1000; ++i)
        REQUIRE(&v.emplace_back(item{std::to_string(i)}) == first_fill[static_cast<std::size_t>(i)]);
    REQUIRE(v.capacity_bytes() == capacity);
    std::size_t n = 0;
    for (const item& e : v) REQUIRE(e.text == std::to_string(n++));
    REQUIRE(n == 1000);
    REQUIRE(v.element_of(&first_fill[999]->text, &item::text) == first_fill[999]);
    REQUIRE(v.element_of(&first_fill[1000]->text, &item::text) == nullptr);
    // Past the first fill, new blocks are made again.
    for (int i = 1000; i < 5000; ++i) v.emplace_back(item{std::to_string(i)});
    REQUIRE(v.capacity_bytes() > capacity);
    n = 0;
    for (const item& e : v) REQUIRE(e.text == std::to_string(n++));
    REQUIRE(n == 5000);
    v.pop_back();
    REQUIRE(v.size() == 4999);
    REQUIRE(v[4998].text == "4998");
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
