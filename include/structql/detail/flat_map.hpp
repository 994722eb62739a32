#pragma once
// flat_map<Key, T*>: the session's identity map, a hash table with open addressing (linear
// probing, backward-shift erase). One allocation per growth instead of one node per entry:
// with std::unordered_map, allocating and freeing the node was most of what tracking a loaded
// row cost over reading it. Keys are mixed with a Fibonacci multiplier, so that sequential
// integer keys spread instead of clustering.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/std_parts.hpp"

namespace structql::detail {

template <class Key, class T>
class flat_map {
public:
    struct slot {
        Key first{};
        T* second = nullptr;  // nullptr: the slot is empty
    };
    using iterator = slot*;

    iterator end() const noexcept { return nullptr; }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity_bytes() const noexcept { return slots_.capacity() * sizeof(slot); }

    iterator find(const Key& key) noexcept {
        if (slots_.empty()) return nullptr;
        for (std::size_t i = home(key);; i = (i + 1) & mask()) {
            slot& s = slots_[i];
            if (!s.second) return nullptr;
            if (s.first == key) return &s;
        }
    }

    // Inserts key -> value unless the key is there; returns its slot and whether it was added.
    std::pair<iterator, bool> emplace(Key key, T* value) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        for (std::size_t i = home(key);; i = (i + 1) & mask()) {
            slot& s = slots_[i];
            if (!s.second) {
                s.first = std::move(key);
                s.second = value;
                ++size_;
                return {&s, true};
            }
            if (s.first == key) return {&s, false};
        }
    }

    // One probe for a key that is usually new (a row read into the identity map): the slot
    // holding `key`, or the empty slot where it goes (second == nullptr), which place() fills
    // unless the map changed in between.
    iterator find_or_slot(const Key& key) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        for (std::size_t i = home(key);; i = (i + 1) & mask()) {
            slot& s = slots_[i];
            if (!s.second || s.first == key) return &s;
        }
    }
    void place(iterator empty_slot, Key key, T* value) noexcept {
        empty_slot->first = std::move(key);
        empty_slot->second = value;
        ++size_;
    }

    void insert_or_assign(Key key, T* value) {
        auto [it, added] = emplace(std::move(key), value);
        if (!added) it->second = value;
    }

    void erase(const Key& key) noexcept {
        if (iterator it = find(key)) erase(it);
    }
    // Moves each later slot of the same probe run back into the hole, so that no lookup
    // stops early at it.
    void erase(iterator it) noexcept {
        std::size_t hole = static_cast<std::size_t>(it - slots_.data());
        for (std::size_t i = (hole + 1) & mask(); slots_[i].second; i = (i + 1) & mask()) {
            std::size_t want = home(slots_[i].first);
            // Whether want lies cyclically in (hole, i]: then the entry must stay where it is.
            bool stays = hole < i ? (want > hole && want <= i) : (want > hole || want <= i);
            if (stays) continue;
            slots_[hole] = std::move(slots_[i]);
            hole = i;
        }
        slots_[hole] = slot{};
        --size_;
    }

    // Wiping costs the whole table, so a table far larger than what it holds is freed instead:
    // a session's store, reused after a large load (detail::spare_shelf), is then not wiped
    // whole again at the close of every small session that follows.
    void clear() noexcept {
        if (size_ * 8 < slots_.size()) slots_ = std::vector<slot>();
        else
            for (slot& s : slots_) s = slot{};
        size_ = 0;
    }

private:
    std::vector<slot> slots_;  // a power of two in size, at most half full
    std::size_t size_ = 0;

    std::size_t mask() const noexcept { return slots_.size() - 1; }
    std::size_t home(const Key& key) const noexcept {
        std::uint64_t h = static_cast<std::uint64_t>(std::hash<Key>{}(key)) * 0x9E3779B97F4A7C15ull;
        return static_cast<std::size_t>(h >> (64 - std::countr_zero(slots_.size())));
    }
    void grow() {
        std::vector<slot> old = std::exchange(slots_, std::vector<slot>(slots_.empty() ? 16 : slots_.size() * 2));
        // Every key differs: each goes to the first empty slot of its probe run.
        for (slot& s : old) {
            if (!s.second) continue;
            std::size_t i = home(s.first);
            while (slots_[i].second) i = (i + 1) & mask();
            slots_[i] = std::move(s);
        }
    }
};

}  // namespace structql::detail

namespace structql::detail {

// key_map<Key, V>: values that keep their addresses (a deque), found by key through flat_map
// where the key hashes, else through std::map. For the session's relationship records.
template <class Key, class V>
class key_map {
public:
    V* find(const Key& key) {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : it->second;
    }
    // The value for the key, added (value-initialised) when missing.
    V& operator[](const Key& key) {
        if (V* found = find(key)) return *found;
        V& added = values_.emplace_back();
        index_.emplace(key, &added);
        return added;
    }
    template <class F>
    void for_each_value(F&& f) {
        for (V& v : values_) f(v);
    }

private:
    static constexpr bool hashable = requires(const Key& k) { std::hash<Key>{}(k); };
    std::deque<V> values_;
    std::conditional_t<hashable, flat_map<Key, V>, std::map<Key, V*>> index_;
};

}  // namespace structql::detail
