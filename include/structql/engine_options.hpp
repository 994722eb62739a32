#pragma once
// Options and statistics shared by the engine and the backends.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace structql {

struct engine_options {
    // true: a connection (and the session holding it) may only be used on the thread that
    // took it from the pool; any other thread gets operational_error. false: no check, the
    // program serialises access itself (the seed's connect_args={"check_same_thread": False}).
    bool check_same_thread = true;
    // Log every statement with its parameters to `log` (standard error when unset).
    bool echo = false;
    // Idle connections the pool keeps open; more are opened on demand and closed on return.
    std::size_t pool_size = 5;
    // How long a statement waits for another connection's lock before failing (SQLite busy timeout).
    std::chrono::milliseconds busy_timeout{5000};
    std::function<void(std::string_view line)> log;
};

// Counters for tests and benchmarks; read them through engine::statistics().
struct engine_statistics {
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> statements_prepared{0};
    std::atomic<std::uint64_t> statements_executed{0};
};

}  // namespace structql
