#pragma once
// Options, statement events and statistics shared by the engine and the backends.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "structql/detail/linkage.hpp"
#include "structql/detail/std_parts.hpp"

namespace structql {

// How a SQLite transaction begins (BEGIN DEFERRED / BEGIN IMMEDIATE; Django's and Rails'
// transaction_mode). PostgreSQL has no such choice to make and ignores it.
enum class transaction_mode { deferred, immediate };

// The isolation level of every transaction (SQLAlchemy's create_engine(isolation_level=...)).
enum class isolation_level { read_committed, repeatable_read, serializable };

struct engine_options {
    // true: a connection (and the session holding it) may only be used on the thread that
    // took it from the pool; any other thread gets operational_error. false: no check, the
    // program serialises access itself (the seed's connect_args={"check_same_thread": False}).
    bool check_same_thread = true;
    // Log every statement with its parameters to `log` (standard error when unset).
    bool echo = false;
    // The pool (SQLAlchemy's QueuePool): up to pool_size connections are kept open; up to
    // max_overflow more are opened under load and closed on return; past that, connect()
    // waits up to pool_timeout and then throws timeout_error.
    std::size_t pool_size = 5;
    std::size_t max_overflow = 10;
    std::chrono::milliseconds pool_timeout{30000};
    // Test a pooled connection with a trivial statement before lending it; replace it if dead.
    bool pool_pre_ping = false;
    // Close and replace pooled connections older than this when they are next lent.
    std::optional<std::chrono::milliseconds> pool_recycle{};
    // How long a statement waits for another connection's lock before failing (SQLite's busy
    // timeout; the URL's ?timeout=seconds sets it too).
    std::chrono::milliseconds busy_timeout{5000};
    // SQLite: switch every connection to PRAGMA journal_mode=WAL (readers never wait for the writer).
    bool wal = false;
    // Statements whose text is built at run time (raw SQL, IN lists, UPDATEs of some columns)
    // each connection keeps prepared, least recently used dropped first; compile-time statements
    // are always kept.
    std::size_t statement_cache_size = 256;
    // SQLite: how transactions begin (README, Sessions: "Concurrent writers"). Unset: immediate
    // for a file, deferred in memory, where an immediate transaction would keep readers out too.
    std::optional<transaction_mode> sqlite_begin{};
    // PostgreSQL: every transaction's isolation level (unset: the server's default, read
    // committed). SQLite's transactions are serializable, which every level allows, so SQLite
    // ignores it.
    std::optional<isolation_level> isolation{};
    // Every connection refuses writes (PostgreSQL: default_transaction_read_only; SQLite:
    // PRAGMA query_only): an engine for the read side of an application, or a replica.
    bool read_only = false;
    // Where echo writes; standard error when unset.
    std::function<void(std::string_view line)> log{};
};

// What a statement hook sees: the SQL, its parameters rendered as text (as echo shows them),
// and, after the statement, how long it ran.
struct statement_event {
    std::string_view sql{};
    std::span<const std::string> parameters{};
    std::chrono::nanoseconds duration{0};
};

// Hooks around every statement; register them before the engine is used from several threads.
struct engine_events {
    std::vector<std::function<void(const statement_event&)>> before_execute{};
    std::vector<std::function<void(const statement_event&)>> after_execute{};
};

// Counters for tests and benchmarks; read them through engine::statistics().
struct engine_statistics {
    detail::atomic_integer<std::uint64_t> connections_opened{0};
    detail::atomic_integer<std::uint64_t> connections_closed{0};
    detail::atomic_integer<std::uint64_t> statements_prepared{0};
    detail::atomic_integer<std::uint64_t> statements_executed{0};
    // PostgreSQL: the most client memory one result held (PQresultMemorySize): a whole result
    // for all() and the like, one batch for a stream (for_each, yield_per).
    detail::atomic_integer<std::uint64_t> largest_result_bytes{0};
};

namespace detail {

// What a backend connection is given by its engine: options, hooks and counters, all owned
// by the engine's pool and outliving the connection.
struct engine_context {
    engine_options options;
    engine_events events;
    engine_statistics statistics;

    // Parameters are rendered only when someone will read them: one flag, set when the engine
    // is made and when a hook is registered, so that a statement without hooks pays one branch.
    bool tracing = false;
    bool traced() const noexcept { return tracing; }
    void update_tracing() noexcept {
        tracing = options.echo || !events.before_execute.empty() || !events.after_execute.empty();
    }
    void echo(std::string_view sql, std::span<const std::string> parameters) const;
    void before(std::string_view sql, std::span<const std::string> parameters) const {
        if (options.echo) echo(sql, parameters);
        for (auto& hook : events.before_execute) hook(statement_event{sql, parameters, {}});
    }
    void after(std::string_view sql, std::span<const std::string> parameters, std::chrono::nanoseconds d) const {
        for (auto& hook : events.after_execute) hook(statement_event{sql, parameters, d});
    }
};

}  // namespace detail

}  // namespace structql

#if STRUCTQL_DEFINITIONS
namespace structql::detail {

STRUCTQL_DECL void engine_context::echo(std::string_view sql, std::span<const std::string> parameters) const {
    std::string line = "[structql] ";
    line.append(sql);
    if (!parameters.empty()) {
        line += " (";
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            if (i) line += ", ";
            line += parameters[i];
        }
        line += ")";
    }
    if (options.log) options.log(line);
    else std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace structql::detail
#endif  // STRUCTQL_DEFINITIONS
