#pragma once
// spare_shelf<Item>: a closed session's model stores, kept for the next session on the same
// thread. Refilling a store's blocks and identity map allocates nothing; fresh ones would be
// faulted in page by page again, since glibc hands large freed blocks back to the kernel (on the
// benchmark machine that was most of what a new session's load cost over hand-written code).
// One store per model and thread, emptied when shelved, and none larger than `max_bytes`, so a
// thread keeps at most that much per model it used.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace structql::detail {

// Item: reset() empties it (noexcept), retained_bytes() says what it still holds.
template <class Item>
class spare_shelf {
public:
    static constexpr std::size_t max_bytes = std::size_t{16} << 20;

    // The item shelved under `index`, or nullptr.
    static std::unique_ptr<Item> take(std::size_t index) noexcept {
        if (gone) return nullptr;
        auto& items = local().items;
        return index < items.size() ? std::move(items[index]) : nullptr;
    }

    // Empties `item` and keeps it under `index` if there is room; else it is destroyed.
    static void keep(std::size_t index, std::unique_ptr<Item> item) noexcept {
        item->reset();
        if (gone || item->retained_bytes() > max_bytes) return;
        auto& items = local().items;
        try {
            if (index >= items.size()) items.resize(index + 1);
        } catch (...) {
            return;  // no room for the shelf itself: the item is simply freed
        }
        if (!items[index]) items[index] = std::move(item);
    }

private:
    struct shelf {
        std::vector<std::unique_ptr<Item>> items;
        ~shelf() { gone = true; }
    };
    // Trivially destructible, so still readable by a session closed after this thread's shelf
    // was destroyed (a static session at exit): then nothing is shelved.
    static inline thread_local bool gone = false;
    static shelf& local() noexcept {
        static thread_local shelf s;
        return s;
    }
};

}  // namespace structql::detail
