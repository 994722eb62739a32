#pragma once
// sessionmaker(engine, options): a factory of sessions bound to one engine (SQLAlchemy's
// sessionmaker), and its begin(fn) for a session that lives one transaction.
#include <utility>

#include "structql/session/savepoint.hpp"
#include "structql/session/session.hpp"

namespace structql {

// sessionmaker(engine, {.autocommit = false, .autoflush = false}): a factory of sessions.
template <class Backend>
class basic_sessionmaker {
public:
    basic_sessionmaker(basic_engine<Backend> bound, session_options options = {})
        : engine_(std::move(bound)), options_(options) {}
    basic_session<Backend> operator()() const { return basic_session<Backend>(engine_, options_); }

    // A new session running fn(session) in one transaction, committed when fn returns, rolled
    // back when it throws, closed either way (SQLAlchemy's `with Session.begin() as session:`).
    template <class F>
    decltype(auto) begin(F&& fn) const {
        basic_session<Backend> s = (*this)();
        return s.transaction(std::forward<F>(fn));
    }
    const session_options& options() const noexcept { return options_; }

private:
    basic_engine<Backend> engine_;
    session_options options_;
};

template <class Backend>
basic_sessionmaker<Backend> sessionmaker(basic_engine<Backend> bound, session_options options = {}) {
    return basic_sessionmaker<Backend>(std::move(bound), options);
}

}  // namespace structql
