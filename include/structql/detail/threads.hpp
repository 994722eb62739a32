#pragma once
// What the engine needs of threads, behind functions compiled once: a lock with a condition to
// wait on (the pool), the calling thread's identity and a pause. With separate compilation
// (detail/linkage.hpp) the headers then need neither <mutex>, <condition_variable> nor
// <thread>: about 0.3 s of parsing in every translation unit.
#include <cstdint>
#include <memory>

#include "structql/detail/linkage.hpp"
#include "structql/detail/std_parts.hpp"

namespace structql::detail {

// A mutex and a condition variable, used as one.
class lock_and_signal {
public:
    STRUCTQL_DECL lock_and_signal();
    STRUCTQL_DECL ~lock_and_signal();
    lock_and_signal(const lock_and_signal&) = delete;
    lock_and_signal& operator=(const lock_and_signal&) = delete;

    STRUCTQL_DECL void lock();
    STRUCTQL_DECL void unlock() noexcept;
    // With the lock held: waits for a signal, the lock released meanwhile; false when
    // `deadline` passed first.
    STRUCTQL_DECL bool wait_until(std::chrono::steady_clock::time_point deadline);
    STRUCTQL_DECL void signal_one() noexcept;
    STRUCTQL_DECL void signal_all() noexcept;

private:
    struct state;
    std::unique_ptr<state> state_;
};

// Holds a lock_and_signal's lock for a scope.
class held_lock {
public:
    explicit held_lock(lock_and_signal& s) : s_(s) { s_.lock(); }
    ~held_lock() { s_.unlock(); }
    held_lock(const held_lock&) = delete;
    held_lock& operator=(const held_lock&) = delete;

private:
    lock_and_signal& s_;
};

// Tells threads apart while they run (the address of a thread_local: no two live threads share
// it), as std::this_thread::get_id() does.
inline std::uintptr_t this_thread_token() noexcept {
    static thread_local char marker;
    return reinterpret_cast<std::uintptr_t>(&marker);
}

STRUCTQL_DECL void pause_for(std::chrono::nanoseconds duration);

}  // namespace structql::detail

#if STRUCTQL_DEFINITIONS
#include <condition_variable>
#include <mutex>
#include <thread>

namespace structql::detail {

struct lock_and_signal::state {
    std::mutex mutex;
    std::condition_variable signal;
};

STRUCTQL_DECL lock_and_signal::lock_and_signal() : state_(std::make_unique<state>()) {}
STRUCTQL_DECL lock_and_signal::~lock_and_signal() = default;
STRUCTQL_DECL void lock_and_signal::lock() { state_->mutex.lock(); }
STRUCTQL_DECL void lock_and_signal::unlock() noexcept { state_->mutex.unlock(); }
STRUCTQL_DECL bool lock_and_signal::wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock held(state_->mutex, std::adopt_lock);
    const bool signalled = state_->signal.wait_until(held, deadline) == std::cv_status::no_timeout;
    held.release();  // still locked, as the caller holds it
    return signalled;
}
STRUCTQL_DECL void lock_and_signal::signal_one() noexcept { state_->signal.notify_one(); }
STRUCTQL_DECL void lock_and_signal::signal_all() noexcept { state_->signal.notify_all(); }

STRUCTQL_DECL void pause_for(std::chrono::nanoseconds duration) { std::this_thread::sleep_for(duration); }

}  // namespace structql::detail
#endif  // STRUCTQL_DEFINITIONS
