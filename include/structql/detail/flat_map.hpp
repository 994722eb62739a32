#pragma once
// flat_map<Key, T*>: the session's identity map, a hash table with open addressing (linear
// probing, backward-shift erase). One allocation per growth instead of one node per entry:
// with std::unordered_map, allocating and freeing the node was most of what tracking a loaded
// row cost over reading it. Keys are mixed with a Fibonacci multiplier, so that sequential
// integer keys spread instead of clustering.
//
// Every key a session uses hashes (key_hash below: a storage type, a std::tuple of them for a
// composite key, a pointer), so no ordered map is needed, nor <map>'s parse in every
// translation unit.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/std_parts.hpp"  // std::hash, std::chrono's durations and time points

namespace structql::detail {

// std::hash where the standard has one; else for the storage types it lacks (a blob, a
// timestamp) and for a composite key's std::tuple of them, by their parts.
template <class Key>
struct key_hash {
    static_assert(requires(const Key& k) { std::hash<Key>{}(k); },
                  "StructQL: a key type that neither std::hash nor structql::detail::key_hash can hash");
    std::size_t operator()(const Key& key) const noexcept { return std::hash<Key>{}(key); }
};
template <class Rep, class Period>
struct key_hash<std::chrono::duration<Rep, Period>> {
    std::size_t operator()(const std::chrono::duration<Rep, Period>& d) const noexcept { return key_hash<Rep>{}(d.count()); }
};
template <class Clock, class Duration>
struct key_hash<std::chrono::time_point<Clock, Duration>> {
    std::size_t operator()(const std::chrono::time_point<Clock, Duration>& t) const noexcept {
        return key_hash<Duration>{}(t.time_since_epoch());
    }
};
template <class Allocator>
struct key_hash<std::vector<std::byte, Allocator>> {
    std::size_t operator()(const std::vector<std::byte, Allocator>& bytes) const noexcept {
        return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
};
template <class... Parts>
struct key_hash<std::tuple<Parts...>> {
    std::size_t operator()(const std::tuple<Parts...>& key) const noexcept {
        return std::apply(
            [](const Parts&... parts) {
                std::size_t h = 0;
                ((h = h * 0x9E3779B97F4A7C15ull + key_hash<Parts>{}(parts)), ...);
                return h;
            },
            key);
    }
};

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
        iterator s = find_or_slot(key);
        if (s->second) return {s, false};
        place(s, std::move(key), value);
        return {s, true};
    }

    // One probe: the slot holding `key`, or the empty slot where it goes (second == nullptr),
    // which place() fills unless the map changed in between (never end()). For a key that is
    // usually new, as a row read into the identity map.
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
        std::uint64_t h = static_cast<std::uint64_t>(key_hash<Key>{}(key)) * 0x9E3779B97F4A7C15ull;
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

// key_map<Key, V>: values that keep their addresses, found by key through a flat_map. For the
// session's relationship records. The values live in blocks of one size, as a std::deque's.
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
        if (blocks_.empty() || in_last_ == block_size) add_block();
        V& added = blocks_.back()[in_last_++];
        index_.emplace(key, &added);
        return added;
    }
    template <class F>
    void for_each_value(F&& f) {
        for (auto& block : blocks_)
            for (std::size_t i = 0, n = &block == &blocks_.back() ? in_last_ : block_size; i < n; ++i) f(block[i]);
    }

private:
    static constexpr std::size_t block_size = sizeof(V) < 512 ? 512 / sizeof(V) : 1;
    std::vector<std::unique_ptr<V[]>> blocks_;
    std::size_t in_last_ = 0;  // values in the last block

    // Out of line, so that operator[] stays small enough to inline where the session looks
    // keys up (callgrind: loading_associations_sequentially).
    [[gnu::noinline]] void add_block() {
        blocks_.push_back(std::make_unique<V[]>(block_size));
        in_last_ = 0;
    }
    flat_map<Key, V> index_;
};

}  // namespace structql::detail
