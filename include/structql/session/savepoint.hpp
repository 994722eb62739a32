#pragma once
// session.begin_nested(): a SAVEPOINT inside the session's transaction, as a guard that rolls
// back to it unless committed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "structql/session/session.hpp"

namespace structql {

template <class Backend>
class basic_session<Backend>::savepoint {
public:
    savepoint(savepoint&& other) noexcept
        : session_(std::exchange(other.session_, nullptr)), depth_(other.depth_), generation_(other.generation_) {}
    savepoint& operator=(savepoint&&) = delete;
    ~savepoint() {
        try {
            rollback();
        } catch (...) {
            // The session reports the failure at its next use.
        }
    }

    // RELEASE SAVEPOINT: the changes since begin_nested() join the outer transaction.
    void commit() {
        if (auto* s = std::exchange(session_, nullptr)) s->end_savepoint(depth_, generation_, true);
    }
    // ROLLBACK TO SAVEPOINT: the database and the objects return to where begin_nested() was.
    void rollback() {
        if (auto* s = std::exchange(session_, nullptr)) s->end_savepoint(depth_, generation_, false);
    }
    bool is_active() const noexcept {
        return session_ && session_->transaction_generation_ == generation_ && depth_ < session_->savepoints_.size();
    }

private:
    friend class basic_session;
    savepoint(basic_session* s, std::size_t depth, std::uint64_t generation)
        : session_(s), depth_(depth), generation_(generation) {}
    basic_session* session_;
    std::size_t depth_;
    std::uint64_t generation_;
};

template <class Backend>
typename basic_session<Backend>::savepoint basic_session<Backend>::begin_nested() {
    check_usable();
    flush();
    auto& c = connection(/*for_write=*/true);
    savepoint_frame frame;
    frame.name = "structql_savepoint_" + std::to_string(++savepoint_names_);
    for (auto& store : stores_) frame.stores.push_back(store ? store->save() : nullptr);
    c.execute(sql::savepoint_statement<typename Backend::dialect>(Backend::dialect::savepoint, frame.name));
    savepoints_.push_back(std::move(frame));
    return savepoint(this, savepoints_.size() - 1, transaction_generation_);
}

}  // namespace structql
