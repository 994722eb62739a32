#pragma once
// stable_vector<T>: a sequence whose elements never move once added, so that references to them
// stay valid while it grows (a session's tracked objects are its users' references). Elements
// live in blocks of doubling size: adding n elements costs about log2(n) allocations, where a
// vector of unique_ptrs costs n.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace structql::detail {

template <class T>
class stable_vector {
    static constexpr std::size_t first_block = 16;
    // Block b holds first_block << b elements; it is reserved whole when it is made, so adding
    // to it never reallocates, and moving the vector that owns it keeps its elements in place.
    // Blocks past the last element are empty and kept, for the elements added after a clear().
    std::vector<std::vector<T>> blocks_;
    std::size_t size_ = 0;

    static constexpr std::size_t block_capacity(std::size_t b) { return first_block << b; }
    // Element i is in block b = log2(i / first_block + 1), which starts at first_block * (2^b - 1).
    static constexpr std::size_t block_of(std::size_t i) {
        return static_cast<std::size_t>(std::bit_width(i / first_block + 1)) - 1;
    }
    std::size_t blocks_in_use() const noexcept { return size_ == 0 ? 0 : block_of(size_ - 1) + 1; }

public:
    template <class... Args>
    T& emplace_back(Args&&... args) {
        std::size_t b = block_of(size_);
        if (b == blocks_.size()) {
            std::vector<T> block;
            block.reserve(block_capacity(b));
            blocks_.push_back(std::move(block));
        }
        T& added = blocks_[b].emplace_back(std::forward<Args>(args)...);
        ++size_;
        return added;
    }

    void pop_back() noexcept {
        blocks_[block_of(--size_)].pop_back();
    }

    // Destroys every element and keeps the blocks, so that refilling allocates nothing.
    void clear() noexcept {
        for (std::vector<T>& block : blocks_) block.clear();
        size_ = 0;
    }

    std::size_t size() const noexcept { return size_; }
    // The bytes its blocks hold, in use or not: blocks 0..n-1 hold first_block * (2^n - 1).
    std::size_t capacity_bytes() const noexcept {
        return (block_capacity(blocks_.size()) - first_block) * sizeof(T);
    }

    // The element whose `member` (a pointer to a member of T) is at address p, or nullptr: each
    // block's address range is looked at (a few dozen at most), so no index of addresses is kept.
    template <class M, class Member>
    T* element_of(const M* p, Member member) noexcept {
        const auto at = reinterpret_cast<std::uintptr_t>(p);
        for (std::size_t b = 0, used = blocks_in_use(); b < used; ++b) {
            std::vector<T>& block = blocks_[b];
            const auto first = reinterpret_cast<std::uintptr_t>(&(block.front().*member));
            if (at < first) continue;
            std::size_t i = (at - first) / sizeof(T);
            if (i < block.size() && &(block[i].*member) == p) return &block[i];
        }
        return nullptr;
    }

    T& operator[](std::size_t i) noexcept {
        std::size_t b = block_of(i);
        return blocks_[b][i - first_block * ((std::size_t{1} << b) - 1)];
    }

    template <class Blocks>
    class basic_iterator {
    public:
        auto& operator*() const noexcept { return (*blocks_)[block_][index_]; }
        basic_iterator& operator++() noexcept {
            if (++index_ == (*blocks_)[block_].size()) {
                ++block_;
                index_ = 0;
            }
            return *this;
        }
        bool operator==(const basic_iterator&) const = default;

    private:
        friend class stable_vector;
        basic_iterator(Blocks* blocks, std::size_t block) : blocks_(blocks), block_(block) {}
        Blocks* blocks_;
        std::size_t block_;
        std::size_t index_ = 0;
    };
    using iterator = basic_iterator<std::vector<std::vector<T>>>;
    using const_iterator = basic_iterator<const std::vector<std::vector<T>>>;
    iterator begin() noexcept { return {&blocks_, 0}; }
    iterator end() noexcept { return {&blocks_, blocks_in_use()}; }
    const_iterator begin() const noexcept { return {&blocks_, 0}; }
    const_iterator end() const noexcept { return {&blocks_, blocks_in_use()}; }
};

}  // namespace structql::detail
