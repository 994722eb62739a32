#pragma once
// A transaction on the value path (SQLAlchemy Core's `with engine.begin() as conn:` and
// `conn.begin()`): connection.begin() and engine.begin() return a guard that commits when told
// and rolls back when it goes out of scope without commit() (an exception unwinding, a return).
// Included by engine/basic_engine.hpp, after basic_connection.
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "structql/detail/access.hpp"
#include "structql/errors.hpp"

namespace structql {

template <class Backend>
class basic_connection;
template <class Backend>
class basic_engine;

template <class Backend>
class basic_transaction {
public:
    using connection_type = basic_connection<Backend>;

    basic_transaction(basic_transaction&& other) noexcept
        : owned_(std::move(other.owned_)),
          connection_(owned_ ? &*owned_ : other.connection_),
          active_(std::exchange(other.active_, false)) {}
    basic_transaction& operator=(basic_transaction&&) = delete;
    ~basic_transaction() {
        try {
            rollback();
        } catch (...) {
            // A destructor must not throw; a connection lent by engine.begin() goes back to the
            // pool, which rolls back whatever is still open.
        }
    }

    // COMMIT. If it fails the transaction stays active: rollback() or the destructor ends it.
    void commit() {
        backend().commit();
        active_ = false;
    }
    // ROLLBACK; nothing when the transaction already ended.
    void rollback() {
        if (!active_) return;
        active_ = false;
        auto& c = detail::access::backend_connection(*connection_);
        if (c.in_transaction()) c.rollback();
    }
    // Neither committed nor rolled back yet.
    bool is_active() const noexcept { return active_; }

    // The connection the transaction runs on (engine.begin()'s own, lent for the guard's life).
    connection_type& connection() noexcept { return *connection_; }
    connection_type* operator->() noexcept { return connection_; }

private:
    friend class basic_connection<Backend>;
    friend class basic_engine<Backend>;
    basic_transaction(std::optional<connection_type> owned, connection_type* borrowed)
        : owned_(std::move(owned)), connection_(owned_ ? &*owned_ : borrowed) {
        auto& c = detail::access::backend_connection(*connection_);
        if (c.in_transaction())
            throw invalid_request_error("begin(): this connection is already in a transaction; commit or roll it "
                                        "back first");
        c.begin();
        active_ = true;
    }
    auto& backend() {
        if (!active_)
            throw invalid_request_error("this transaction was already committed or rolled back; begin() a new one");
        return detail::access::backend_connection(*connection_);
    }

    std::optional<connection_type> owned_;  // engine.begin()'s connection
    connection_type* connection_;
    bool active_ = false;
};

// connection.begin(): the guard's transaction on this connection, which must outlive it.
template <class Backend>
basic_transaction<Backend> basic_connection<Backend>::begin() {
    return basic_transaction<Backend>(std::nullopt, this);
}

// engine.begin(): the guard's transaction on a connection of its own, back to the pool with it.
template <class Backend>
basic_transaction<Backend> basic_engine<Backend>::begin() const {
    return basic_transaction<Backend>(connect(), nullptr);
}

// Runs fn(connection) in a transaction: committed when fn returns, rolled back when it throws.
// Returns fn's result.
template <class Backend>
template <class F>
decltype(auto) basic_connection<Backend>::transaction(F&& fn) {
    auto guard = begin();
    if constexpr (std::is_void_v<std::invoke_result_t<F, basic_connection&>>) {
        std::forward<F>(fn)(*this);
        guard.commit();
    } else {
        decltype(auto) result = std::forward<F>(fn)(*this);
        guard.commit();
        return result;
    }
}

}  // namespace structql
