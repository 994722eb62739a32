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
    std::vector<std::vector<T>> blocks_;
    std::size_t size_ = 0;

    static constexpr std::size_t block_capacity(std::size_t b) { return first_block << b; }

public:
    template <class... Args>
    T& emplace_back(Args&&... args) {
        if (blocks_.empty() || blocks_.back().size() == block_capacity(blocks_.size() - 1)) {
            std::vector<T> block;
            block.reserve(block_capacity(blocks_.size()));
            blocks_.push_back(std::move(block));
        }
        ++size_;
        return blocks_.back().emplace_back(std::forward<Args>(args)...);
    }

    void pop_back() noexcept {
        blocks_.back().pop_back();
        if (blocks_.back().empty()) blocks_.pop_back();  // no block is ever empty
        --size_;
    }

    std::size_t size() const noexcept { return size_; }

    // The element whose `member` (a pointer to a member of T) is at address p, or nullptr: each
    // block's address range is looked at (a few dozen at most), so no index of addresses is kept.
    template <class M, class Member>
    T* element_of(const M* p, Member member) noexcept {
        const auto at = reinterpret_cast<std::uintptr_t>(p);
        for (std::vector<T>& block : blocks_) {
            const auto first = reinterpret_cast<std::uintptr_t>(&(block.front().*member));
            if (at < first) continue;
            std::size_t i = (at - first) / sizeof(T);
            if (i < block.size() && &(block[i].*member) == p) return &block[i];
        }
        return nullptr;
    }

    // Element i is in block b = log2(i / first_block + 1), which starts at first_block * (2^b - 1).
    T& operator[](std::size_t i) noexcept {
        std::size_t b = static_cast<std::size_t>(std::bit_width(i / first_block + 1)) - 1;
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
    iterator end() noexcept { return {&blocks_, blocks_.size()}; }
    const_iterator begin() const noexcept { return {&blocks_, 0}; }
    const_iterator end() const noexcept { return {&blocks_, blocks_.size()}; }
};

}  // namespace structql::detail
