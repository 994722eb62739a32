#pragma once
// entry_arena: where a session keeps the tracked objects of one model. Each element holds an
// entry (what the unit of work reads), the object itself and room for its snapshot. Elements
// live in blocks of doubling size and never move, since an object's address is its user's
// reference. Written once for every model: what differs between models is only the element's
// layout and the four functions of object_lifetime, so no model compiles a container of its own.
#include "structql/detail/std_parts.hpp"  // std::min, std::max
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

namespace structql::detail {

enum class object_state : std::uint8_t { pending, persistent, deleted, deleted_flushed, detached };

// What the unit of work keeps of one tracked object, whatever its model.
struct entry {
    void* object = nullptr;          // the user's object: its address is the user's reference
    const void* snapshot = nullptr;  // the row as last loaded or flushed; null before either
    // The row as before this transaction first wrote it, owned (entry_arena::clone): most
    // objects of a session are never written, so it takes no room until one is.
    void* committed = nullptr;
    object_state state = object_state::pending;
    bool inserted_in_transaction = false;
    // Added by add_child() under a parent not inserted yet: its foreign key is written from the
    // parent's key at the flush, so a 0 in it now is not a mistake (unassigned_references.hpp).
    bool key_from_parent = false;
    // The store's flush that inserted the object: that flush need not compare it with the
    // snapshot it has just taken (model_store::flush_updates).
    std::uint32_t inserted_in_flush = 0;
    std::uint64_t order = 0;  // add() or remove() sequence number
};

// How objects of one model type are made, copied and destroyed.
struct object_lifetime {
    std::size_t size;
    std::size_t align;
    void (*construct)(void* at);  // T{}
    void (*copy_construct)(void* at, const void* from);
    void (*move_construct)(void* at, void* from);
    void (*copy_assign)(void* to, const void* from);
    void (*destroy)(void* at) noexcept;
};

// Static member functions rather than lambdas, here and in the other per-model function tables
// (ops_of, function_ref): a lambda converted to a function pointer is three functions for the
// compiler to instantiate and optimise (call operator, conversion, invoker) instead of one.
template <class T>
struct lifetime_functions {
    static void construct(void* at) { ::new (at) T{}; }
    static void copy(void* at, const void* from) { ::new (at) T(*static_cast<const T*>(from)); }
    static void move(void* at, void* from) { ::new (at) T(std::move(*static_cast<T*>(from))); }
    static void assign(void* to, const void* from) { *static_cast<T*>(to) = *static_cast<const T*>(from); }
    static void destroy(void* at) noexcept { static_cast<T*>(at)->~T(); }
};
template <class T>
inline constexpr object_lifetime lifetime_of{
    sizeof(T),
    alignof(T),
    &lifetime_functions<T>::construct,
    &lifetime_functions<T>::copy,
    &lifetime_functions<T>::move,
    &lifetime_functions<T>::assign,
    &lifetime_functions<T>::destroy,
};

class entry_arena {
public:
    explicit entry_arena(const object_lifetime& life) noexcept
        : life_(life),
          object_at_(round_up(sizeof(entry), life.align)),
          snapshot_at_(round_up(object_at_ + life.size, life.align)),
          align_(std::max(life.align, alignof(entry))),
          stride_(round_up(snapshot_at_ + life.size, align_)),
          committed_stride_(round_up(std::max(life.size, sizeof(void*)), std::max(life.align, alignof(void*)))) {}
    entry_arena(const entry_arena&) = delete;
    entry_arena& operator=(const entry_arena&) = delete;
    ~entry_arena() {
        clear();
        for (std::byte* b : blocks_) free_block(b);
        for (std::byte* b : committed_blocks_) deallocate(b, life_.align);
    }

    // A new element whose object is made by make(address) (a placement new of the model type).
    template <class Make>
    entry& emplace(Make&& make) {
        std::size_t b = block_of(size_);
        if (b == blocks_.size()) {
            blocks_.reserve(b + 1);
            blocks_.push_back(allocate_block(b));
            const auto first = reinterpret_cast<std::uintptr_t>(blocks_.back());
            lowest_ = std::min(lowest_, first);
            highest_ = std::max(highest_, first + block_capacity(b) * stride_);
        }
        std::byte* at = element(size_);
        make(at + object_at_);
        entry* e = ::new (at) entry{};
        e->object = at + object_at_;
        ++size_;
        return *e;
    }
    // A new element whose object is value-initialised, to be read into.
    entry& emplace() {
        return emplace([this](void* at) { life_.construct(at); });
    }
    // A new element whose object is a copy of `from`, or made from it by moving (session::add):
    // through object_lifetime, so that no model compiles emplace() of its own.
    entry& emplace_copy(const void* from) {
        return emplace([&](void* at) { life_.copy_construct(at, from); });
    }
    entry& emplace_move(void* from) {
        return emplace([&](void* at) { life_.move_construct(at, from); });
    }

    void pop_back() noexcept { destroy(at(--size_)); }

    std::size_t size() const noexcept { return size_; }
    entry& at(std::size_t i) noexcept { return *std::launder(reinterpret_cast<entry*>(element(i))); }
    const entry& at(std::size_t i) const noexcept { return *std::launder(reinterpret_cast<const entry*>(element(i))); }
    // Each element in order, block by block (cheaper than at(i) for every i). f must not add
    // elements.
    template <class F>
    void for_each(F&& f) {
        std::size_t left = size_;
        for (std::size_t b = 0; left > 0; ++b) {
            const std::size_t n = std::min(left, block_capacity(b));
            std::byte* p = blocks_[b];
            for (std::size_t i = 0; i < n; ++i, p += stride_) f(*std::launder(reinterpret_cast<entry*>(p)));
            left -= n;
        }
    }

    // The element whose object is at `object`, or nullptr: each block's address range is looked
    // at (a few dozen at most), so no index of addresses is kept. The last block first: blocks
    // double in size, so it holds about half of the elements.
    entry* element_of(const void* object) noexcept {
        const auto p = reinterpret_cast<std::uintptr_t>(object);
        if (p < lowest_ || p >= highest_) return nullptr;  // the common case of add(): a new object
        for (std::size_t b = blocks_in_use(); b-- > 0;) {
            const auto first = reinterpret_cast<std::uintptr_t>(blocks_[b]) + object_at_;
            if (p < first) continue;
            std::size_t i = (p - first) / stride_;
            std::size_t index = block_start(b) + i;
            if (i < block_capacity(b) && index < size_ && at(index).object == object) return &at(index);
        }
        return nullptr;
    }

    // The snapshot becomes a copy of `row` (a null row: no snapshot).
    void set_snapshot(entry& e, const void* row) {
        if (!row) {
            if (e.snapshot) life_.destroy(const_cast<void*>(e.snapshot));
            e.snapshot = nullptr;
        } else if (e.snapshot) {
            if (row != e.snapshot) life_.copy_assign(const_cast<void*>(e.snapshot), row);
        } else {
            void* slot = static_cast<std::byte*>(e.object) - object_at_ + snapshot_at_;
            life_.copy_construct(slot, row);
            e.snapshot = slot;
        }
    }
    void take_snapshot(entry& e) { set_snapshot(e, e.object); }
    void object_from(entry& e, const void* row) { life_.copy_assign(e.object, row); }

    // A value-initialised object on the heap, to be read into (release() frees it).
    void* make() const {
        void* p = allocate(life_.size, life_.align);
        try {
            life_.construct(p);
        } catch (...) {
            deallocate(p, life_.align);
            throw;
        }
        return p;
    }
    // A copy of a row on the heap, and its release (nullptr: nothing).
    void* clone(const void* row) const {
        void* p = allocate(life_.size, life_.align);
        try {
            life_.copy_construct(p, row);
        } catch (...) {
            deallocate(p, life_.align);
            throw;
        }
        return p;
    }
    void release(void* copy) const noexcept {
        if (!copy) return;
        life_.destroy(copy);
        deallocate(copy, life_.align);
    }
    // The committed copy: made from the snapshot at the transaction's first write of the
    // object, or set to a copy of `row` (a savepoint's, restored; null: none). Committed copies
    // live in slots of their own blocks, reused through a free list: a load-change-commit of n
    // objects would otherwise cost n mallocs and n frees.
    void keep_committed(entry& e) {
        if (!e.committed) e.committed = copy_committed(e.snapshot);
    }
    void set_committed(entry& e, const void* row) {
        if (!row) drop_committed(e);
        else if (e.committed) life_.copy_assign(e.committed, row);
        else e.committed = copy_committed(row);
    }
    void drop_committed(entry& e) noexcept {
        if (!e.committed) return;
        life_.destroy(e.committed);
        ::new (e.committed) void*(free_committed_);
        free_committed_ = std::exchange(e.committed, nullptr);
    }

    // Stops listing every element, keeping their objects alive (their addresses are users'
    // references) until clear().
    void set_aside() {
        set_aside_.reserve(set_aside_.size() + 1);
        set_aside_.push_back({std::exchange(blocks_, {}), std::exchange(size_, 0)});
        lowest_ = ~std::uintptr_t{0};
        highest_ = 0;
    }

    // Destroys every element, keeping the listing's blocks so that refilling allocates nothing.
    void clear() noexcept {
        destroy_all();
        for (set_aside_blocks& s : set_aside_) {
            std::swap(s.blocks, blocks_);
            std::swap(s.size, size_);
            destroy_all();
            std::swap(s.blocks, blocks_);
            for (std::byte* b : s.blocks) free_block(b);
        }
        set_aside_.clear();
    }

    // The bytes its listing's blocks hold, in use or not.
    std::size_t capacity_bytes() const noexcept {
        return block_start(blocks_.size()) * stride_ + block_start(committed_blocks_.size()) * committed_stride_;
    }

private:
    static constexpr std::size_t first_block = 16;
    static constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
    static constexpr std::size_t block_capacity(std::size_t b) { return first_block << b; }
    static constexpr std::size_t block_start(std::size_t b) { return first_block * ((std::size_t{1} << b) - 1); }
    // Element i is in block b = log2(i / first_block + 1).
    static constexpr std::size_t block_of(std::size_t i) {
        return static_cast<std::size_t>(std::bit_width(i / first_block + 1)) - 1;
    }
    std::size_t blocks_in_use() const noexcept { return size_ == 0 ? 0 : block_of(size_ - 1) + 1; }
    std::byte* element(std::size_t i) const noexcept {
        std::size_t b = block_of(i);
        return blocks_[b] + (i - block_start(b)) * stride_;
    }
    std::byte* allocate_block(std::size_t b) const {
        return static_cast<std::byte*>(allocate(block_capacity(b) * stride_, align_));
    }
    void free_block(std::byte* b) const noexcept { deallocate(b, align_); }
    // The aligned operator new only where the plain one's alignment is not enough: it costs
    // several times malloc's instructions (memalign).
    static void* allocate(std::size_t bytes, std::size_t align) {
        if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(bytes);
        return ::operator new(bytes, std::align_val_t(align));
    }
    static void deallocate(void* p, std::size_t align) noexcept {
        if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) ::operator delete(p);
        else ::operator delete(p, std::align_val_t(align));
    }

    // A free committed slot (a new one past the last in use), holding a copy of `row`.
    void* copy_committed(const void* row) {
        void* at = free_committed_;
        if (at) {
            free_committed_ = *std::launder(static_cast<void**>(at));
        } else {
            std::size_t b = block_of(committed_slots_);
            if (b == committed_blocks_.size()) {
                committed_blocks_.reserve(b + 1);
                committed_blocks_.push_back(static_cast<std::byte*>(allocate(block_capacity(b) * committed_stride_, life_.align)));
            }
            at = committed_blocks_[b] + (committed_slots_ - block_start(b)) * committed_stride_;
            ++committed_slots_;
        }
        try {
            life_.copy_construct(at, row);
        } catch (...) {  // the slot goes back to the free list (the copy may have overwritten its link)
            ::new (at) void*(free_committed_);
            free_committed_ = at;
            throw;
        }
        return at;
    }

    void destroy(entry& e) noexcept {
        set_snapshot(e, nullptr);
        drop_committed(e);
        life_.destroy(e.object);
    }
    void destroy_all() noexcept {
        for_each([this](entry& e) { destroy(e); });
        size_ = 0;
    }

    struct set_aside_blocks {
        std::vector<std::byte*> blocks;
        std::size_t size;
    };

    const object_lifetime& life_;
    std::size_t object_at_, snapshot_at_, align_, stride_;
    std::vector<std::byte*> blocks_;  // block b holds block_capacity(b) elements
    std::uintptr_t lowest_ = ~std::uintptr_t{0}, highest_ = 0;  // the addresses blocks_ span
    // Committed copies: slots in blocks numbered as blocks_ are; a free slot holds the next
    // free one's address.
    std::size_t committed_stride_;
    std::vector<std::byte*> committed_blocks_;
    std::size_t committed_slots_ = 0;  // slots ever handed out, free ones included
    void* free_committed_ = nullptr;
    std::size_t size_ = 0;
    std::vector<set_aside_blocks> set_aside_;
};

}  // namespace structql::detail
