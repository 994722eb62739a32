#pragma once
// retry_transaction(SessionLocal, fn): a read-then-write transaction run again, from its first
// read, when it lost a race with another one (retryable_error: SQLite busy / locked,
// PostgreSQL serialization failure or deadlock), as every database's manual asks.
#include <utility>

#include "structql/detail/std_parts.hpp"
#include "structql/detail/threads.hpp"
#include "structql/engine/basic_engine.hpp"
#include "structql/errors.hpp"
#include "structql/session/sessionmaker.hpp"

namespace structql {

struct retry_options {
    // Runs in all, the first one included; the last failure is rethrown.
    int attempts = 5;
    // The wait before the second run, doubled before each next one up to max_delay, so that the
    // transactions that collided do not collide again at once.
    std::chrono::milliseconds first_delay{5};
    std::chrono::milliseconds max_delay{200};
};

namespace detail {
template <class Run>
decltype(auto) run_with_retries(Run&& run, const retry_options& options) {
    auto delay = options.first_delay;
    for (int attempt = 1;; ++attempt) {
        try {
            return run();
        } catch (const retryable_error&) {
            if (attempt >= options.attempts) throw;
        }
        detail::pause_for(delay);
        delay = std::min(delay * 2, options.max_delay);
    }
}
}  // namespace detail

// Runs fn(session) in a new session of `maker`, committed when fn returns (maker.begin(fn)); on
// a retryable_error, from fn or from the commit, that session is rolled back and closed and fn
// runs again in a fresh one, which reads the rows anew. fn may run several times: it must do
// nothing outside the database that cannot be repeated.
template <class Backend, class F>
decltype(auto) retry_transaction(const basic_sessionmaker<Backend>& maker, F&& fn, retry_options options = {}) {
    return detail::run_with_retries([&]() -> decltype(auto) { return maker.begin(fn); }, options);
}

// The same with fn(connection&) in engine.transaction(fn).
template <class Backend, class F>
decltype(auto) retry_transaction(const basic_engine<Backend>& db_engine, F&& fn, retry_options options = {}) {
    return detail::run_with_retries([&]() -> decltype(auto) { return db_engine.transaction(fn); }, options);
}

}  // namespace structql
