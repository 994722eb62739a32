#pragma once
// The SQLite3 backend: one connection, its cache of prepared statements, binding and reading
// of the six storage types, and the mapping of SQLite's result codes to StructQL's errors.
#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "structql/detail/linkage.hpp"
#include "structql/detail/statement_cache.hpp"
#include "structql/detail/std_parts.hpp"
#include "structql/engine_options.hpp"
#include "structql/errors.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/sql/sqlite_dialect.hpp"
#include "structql/url.hpp"

namespace structql {

namespace detail {

inline std::string format_sql_context(std::string_view sql) {
    return std::string(" [SQL: ").append(sql).append("]");
}

// A day's length in the clock's ticks.
inline constexpr timestamp::rep ticks_per_day = std::chrono::duration_cast<timestamp::duration>(std::chrono::days{1}).count();

// Timestamps are stored as UTC text, "YYYY-MM-DD HH:MM:SS.fffffffff": readable in any SQLite
// tool, ordered correctly as text, and exact to the nanosecond of system_clock.
STRUCTQL_DECL std::string format_timestamp(timestamp t);

// Accepts "YYYY-MM-DD", optionally followed by ' ' or 'T', "HH:MM[:SS[.f{1,9}]]" and 'Z'.
STRUCTQL_DECL timestamp parse_timestamp(std::string_view s);

inline std::string_view sqlite_type_name(int type) {
    switch (type) {
        case SQLITE_INTEGER: return "INTEGER";
        case SQLITE_FLOAT: return "REAL";
        case SQLITE_TEXT: return "TEXT";
        case SQLITE_BLOB: return "BLOB";
        default: return "NULL";
    }
}

inline atomic_integer<std::uint64_t> memory_database_counter{0};  // names each engine's in-memory database

// SQLITE_BUSY and SQLITE_LOCKED, with their extended codes: another connection held a lock the
// transaction needed; run it again from the start.
inline bool sqlite_retryable(int extended_code) noexcept {
    return (extended_code & 0xff) == SQLITE_BUSY || (extended_code & 0xff) == SQLITE_LOCKED;
}

[[noreturn, gnu::cold]] STRUCTQL_DECL void throw_sqlite_error(sqlite3* db, int rc, std::string_view sql);

class writer_queue;  // the engine's write transactions, taking turns (defined with the code)

}  // namespace detail

struct sqlite_connect_args {
    std::string filename;  // a path, or a "file:" URI when `uri`
    bool uri = false;
    std::optional<std::chrono::milliseconds> busy_timeout;  // the URL's ?timeout=, over the engine's
    bool keep_one_open = false;                              // an in-memory database
    std::shared_ptr<detail::writer_queue> writers;           // the engine's; none: writers meet at the lock only
};

// One prepared statement, owned by its connection's cache. A statement is used by
// binding (1-based), stepping and reading (0-based columns), then reset().
class sqlite_statement : public detail::cached_statement {
public:
    sqlite_statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view sql, detail::engine_context* context) noexcept
        : db_(db), stmt_(stmt), sql_(sql), context_(context) {}
    sqlite_statement(const sqlite_statement&) = delete;
    sqlite_statement& operator=(const sqlite_statement&) = delete;
    ~sqlite_statement() { sqlite3_finalize(stmt_); }

    std::string_view sql() const noexcept { return sql_; }
    sqlite3_stmt* native_handle() const noexcept { return stmt_; }

    [[gnu::always_inline]] void bind_null(int i) {
        if (context_->traced()) [[unlikely]] trace_parameter("NULL");
        check_bind(sqlite3_bind_null(stmt_, i));
    }
    void bind(int i, bool v) {
        if (context_->traced()) [[unlikely]] trace_parameter(v ? "1" : "0");
        check_bind(sqlite3_bind_int64(stmt_, i, v ? 1 : 0));
    }
    [[gnu::always_inline]] void bind(int i, std::int64_t v) {
        if (context_->traced()) [[unlikely]] trace_number(v);
        check_bind(sqlite3_bind_int64(stmt_, i, v));
    }
    void bind(int i, double v) {
        if (context_->traced()) [[unlikely]] trace_number(v);
        // sqlite3_bind_double stores a NaN as NULL: the value would be lost without a word.
        if (v != v) throw detail::conversion_failure("SQLite cannot store NaN (it would store NULL in its place)");
        check_bind(sqlite3_bind_double(stmt_, i, v));
    }
    // An lvalue outlives the step that follows; a temporary must be copied by SQLite.
    [[gnu::always_inline]] void bind(int i, const std::string& v) { bind_text(i, v, SQLITE_STATIC); }
    void bind(int i, std::string&& v) { bind_text(i, v, SQLITE_TRANSIENT); }
    void bind(int i, std::string_view v) { bind_text(i, v, SQLITE_TRANSIENT); }
    void bind(int i, const blob& v) { bind_blob(i, v, SQLITE_STATIC); }
    void bind(int i, blob&& v) { bind_blob(i, v, SQLITE_TRANSIENT); }
    void bind(int i, timestamp v) {
        std::string text = detail::format_timestamp(v);
        bind_text(i, text, SQLITE_TRANSIENT);
    }

    // Advances to the next row: true when a row is available, false when done.
    bool step() {
        typed_column_ = -1;
        if (!stepped_) {
            stepped_ = true;
            context_->statistics.statements_executed.fetch_add(1, std::memory_order_relaxed);
            if (context_->traced()) [[unlikely]] report_before();
        }
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail_step(rc);
    }

    // Makes the statement ready to bind and run again, releasing any read lock it holds.
    [[gnu::always_inline]] void reset() noexcept {
        sqlite3_reset(stmt_);
        if (stepped_ && context_->traced()) [[unlikely]] report_after();
        stepped_ = false;
        if (!parameters_.empty()) [[unlikely]] parameters_.clear();
    }

    int column_count() const noexcept { return sqlite3_column_count(stmt_); }
    std::string_view column_name(int col) const noexcept {
        const char* name = sqlite3_column_name(stmt_, col);
        return name ? name : "";
    }
    int parameter_count() const noexcept { return sqlite3_bind_parameter_count(stmt_); }
    bool is_null(int col) const noexcept { return type_of(col) == SQLITE_NULL; }

    template <class S>
    S read(int col) const {
        int type = type_of(col);
        if constexpr (std::is_same_v<S, std::int64_t>) {
            if (type != SQLITE_INTEGER) type_mismatch("INTEGER", type);
            return sqlite3_value_int64(value_);
        } else if constexpr (std::is_same_v<S, bool>) {
            if (type != SQLITE_INTEGER) type_mismatch("INTEGER 0 or 1", type);
            std::int64_t v = sqlite3_value_int64(value_);
            if (v != 0 && v != 1)
                throw detail::conversion_failure("value " + std::to_string(v) + " is not a boolean (0 or 1)");
            return v == 1;
        } else if constexpr (std::is_same_v<S, double>) {
            if (type != SQLITE_FLOAT && type != SQLITE_INTEGER) type_mismatch("REAL", type);
            return sqlite3_value_double(value_);
        } else if constexpr (std::is_same_v<S, std::string>) {
            if (type != SQLITE_TEXT) type_mismatch("TEXT", type);
            return std::string(text());
        } else if constexpr (std::is_same_v<S, blob>) {
            if (type != SQLITE_BLOB) type_mismatch("BLOB", type);
            auto* p = static_cast<const std::byte*>(sqlite3_value_blob(value_));
            return blob(p, p + sqlite3_value_bytes(value_));
        } else {
            static_assert(std::is_same_v<S, timestamp>);
            if (type != SQLITE_TEXT) type_mismatch("TEXT timestamp", type);
            return detail::parse_timestamp(text());
        }
    }

    // Reads text and blobs into an existing value, reusing its storage (a refreshed object). An
    // empty string is appended to: std::string::assign pays for the case of overlapping text.
    template <class S>
    void read_into(int col, S& out) const {
        if constexpr (std::is_same_v<S, std::string>) {
            int type = type_of(col);
            if (type != SQLITE_TEXT) type_mismatch("TEXT", type);
            std::string_view v = text();
            if (out.empty()) out.append(v);
            else out.assign(v);
        } else if constexpr (std::is_same_v<S, blob>) {
            int type = type_of(col);
            if (type != SQLITE_BLOB) type_mismatch("BLOB", type);
            auto* p = static_cast<const std::byte*>(sqlite3_value_blob(value_));
            out.assign(p, p + sqlite3_value_bytes(value_));
        } else {
            out = read<S>(col);
        }
    }

private:
    // One sqlite3_column_value per column read: the row reader asks is_null(col) and then
    // read(col), and the value's own accessors skip the statement-level checks and locking
    // that every sqlite3_column_* call repeats. (Safe: a connection is used by one thread at a
    // time and opened SQLITE_OPEN_NOMUTEX.)
    int type_of(int col) const noexcept {
        if (col != typed_column_) {
            typed_column_ = col;
            value_ = sqlite3_column_value(stmt_, col);
            column_type_ = sqlite3_value_type(value_);
        }
        return column_type_;
    }
    std::string_view text() const noexcept {
        auto* p = reinterpret_cast<const char*>(sqlite3_value_text(value_));
        return {p, static_cast<std::size_t>(sqlite3_value_bytes(value_))};
    }

    [[noreturn, gnu::cold]] static void type_mismatch(std::string_view expected, int found);
    [[gnu::always_inline]] void check_bind(int rc) {
        if (rc != SQLITE_OK) detail::throw_sqlite_error(db_, rc, sql_);
    }
    [[gnu::always_inline]] void bind_text(int i, std::string_view v, sqlite3_destructor_type lifetime) {
        if (context_->traced()) [[unlikely]] trace_text(v);
        check_bind(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), lifetime, SQLITE_UTF8));
    }
    void bind_blob(int i, const blob& v, sqlite3_destructor_type lifetime) {
        if (context_->traced()) [[unlikely]] trace_parameter("<" + std::to_string(v.size()) + " bytes>");
        // A null pointer would bind NULL: an empty blob must stay an empty blob.
        static const std::byte empty{};
        check_bind(sqlite3_bind_blob64(stmt_, i, v.empty() ? &empty : v.data(), v.size(), lifetime));
    }
    // Out of line, like the tracing below: step() and reset() stay small enough to inline.
    [[noreturn, gnu::cold, gnu::noinline]] void fail_step(int rc) {
        sqlite3_reset(stmt_);
        detail::throw_sqlite_error(db_, rc, sql_);
    }
    [[gnu::cold, gnu::noinline]] void report_before() {
        context_->before(sql_, parameters_);
        started_ = std::chrono::steady_clock::now();
    }
    [[gnu::cold, gnu::noinline]] void report_after() noexcept {
        try {
            context_->after(sql_, parameters_, std::chrono::steady_clock::now() - started_);
        } catch (...) {
            // A hook's failure must not turn a reset into an error.
        }
    }

    // Out of line: the binds stay small enough to inline where nothing is traced.
    template <class N>
    [[gnu::cold, gnu::noinline]] void trace_number(N v) {
        trace_parameter(std::to_string(v));
    }
    [[gnu::cold, gnu::noinline]] void trace_text(std::string_view v) { trace_parameter("'" + std::string(v) + "'"); }
    [[gnu::cold, gnu::noinline]] void trace_parameter(std::string_view rendered) { parameters_.emplace_back(rendered); }

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    std::string_view sql_;
    detail::engine_context* context_;
    bool stepped_ = false;
    mutable int typed_column_ = -1;
    mutable int column_type_ = SQLITE_NULL;
    mutable sqlite3_value* value_ = nullptr;
    std::chrono::steady_clock::time_point started_;
    std::vector<std::string> parameters_;
};

// One physical SQLite connection with its statement cache. Statements whose text has static
// storage (the compile-time SQL) are keyed by address; others by their text.
class sqlite_connection {
public:
    using native_handle_type = sqlite3*;

    sqlite_connection(const sqlite_connect_args& args, detail::engine_context* context);
    sqlite_connection(const sqlite_connection&) = delete;
    sqlite_connection& operator=(const sqlite_connection&) = delete;
    ~sqlite_connection() { close(); }

    std::chrono::steady_clock::time_point opened_at() const noexcept { return opened_at_; }

    // Whether the connection still answers (the pool's pre-ping).
    bool ping() noexcept { return sqlite3_exec(db_, "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK; }

    sqlite3* native_handle() const noexcept { return db_; }

    // The prepared statement for SQL text with static storage duration (compile-time SQL).
    sqlite_statement& prepare_static(std::string_view sql) { return cache_.find_static(sql); }
    // The prepared statement for SQL text built at run time, cached by its text.
    sqlite_statement& prepare_text(std::string sql) { return cache_.find_text(std::move(sql)); }
    // The prepared statement for a shape known only at run time (an UPDATE of some columns),
    // cached under (tag, variant); `build` makes its text the first time only.
    template <class Build>
    sqlite_statement& prepare_generated(const void* tag, std::uint64_t variant, Build&& build) {
        return cache_.find_generated(tag, variant, std::forward<Build>(build));
    }

    // Runs SQL text directly (several statements allowed, no parameters).
    void execute(std::string_view sql);

    // BEGIN as the engine's sqlite_begin says (deferred: no lock until the first statement).
    void begin();
    // BEGIN IMMEDIATE: the write lock now, waited for up to busy_timeout. A deferred transaction
    // asking for it at its first write after reading may be refused at once, without waiting:
    // SQLite cannot let a reader wait to become the writer (two could wait for each other).
    void begin_write();
    void commit();
    void rollback();
    bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

    // Whether the table has a trigger, in the main or the temp schema (a session's multi-row
    // INSERT returns its keys only then: detail/multi_row_insert.hpp). sqlite_master is asked
    // once per table while the two schemas' versions stay as they were: any CREATE or DROP, by
    // any connection, changes them, and reading them costs an eighth of asking sqlite_master.
    bool has_triggers(std::string_view table) {
        const std::int64_t versions[2] = {select_integer(main_schema_version), select_integer(temp_schema_version)};
        if (versions[0] != schema_versions_[0] || versions[1] != schema_versions_[1]) {
            tables_with_triggers_.clear();
            schema_versions_[0] = versions[0];
            schema_versions_[1] = versions[1];
        }
        for (const auto& [name, triggers] : tables_with_triggers_)
            if (name == table) return triggers;
        const bool triggers = select_integer(triggers_on_table, table) != 0;
        tables_with_triggers_.emplace_back(std::string(table), triggers);
        return triggers;
    }

    std::int64_t last_insert_id() const noexcept { return sqlite3_last_insert_rowid(db_); }
    std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }
    // Whether ON DELETE actions happen (PRAGMA foreign_keys=ON), asked without a statement.
    bool enforces_foreign_keys() const noexcept {
        int on = 0;
        sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &on);
        return on != 0;
    }

    // Whether the connection is unusable and must not go back to the pool: never for SQLite,
    // whose errors leave the connection working.
    bool broken() const noexcept { return false; }

    // Leaves the connection as the pool wants it: no transaction open, no statement active.
    void reset_for_pool() noexcept;

private:
    // Waiting for the lock ran out: SQLITE_BUSY, retryable as SQLite's own.
    retryable_error locked(std::string_view holder, int code = SQLITE_BUSY) const;
    void end_turn() noexcept;

    void execute_cached(std::string_view sql);

    // The statement cache's way to prepare what it does not hold.
    static std::unique_ptr<sqlite_statement> prepare(void* self, std::string_view sql) {
        return static_cast<sqlite_connection*>(self)->prepare_new(sql);
    }

    // SQL for has_triggers (prepare_static keys statements by their text's address).
    static constexpr std::string_view main_schema_version = "PRAGMA main.schema_version";
    static constexpr std::string_view temp_schema_version = "PRAGMA temp.schema_version";
    static constexpr std::string_view triggers_on_table =
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE) "
        "OR EXISTS (SELECT 1 FROM sqlite_temp_master WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE)";

    // The first column of the first row of compile-time SQL with at most one text parameter
    // (0 for no row or NULL).
    std::int64_t select_integer(std::string_view sql, std::optional<std::string_view> parameter = std::nullopt) {
        sqlite_statement& s = prepare_static(sql);
        struct resetter {
            sqlite_statement& s;
            ~resetter() { s.reset(); }
        } guard{s};
        if (parameter) s.bind(1, *parameter);
        return s.step() && !s.is_null(0) ? s.read<std::int64_t>(0) : 0;
    }

    // A prepared statement runs one statement: SQL after it (but whitespace and comments, which
    // prepare to nothing) would be ignored without a word, so it is refused.
    std::unique_ptr<sqlite_statement> prepare_new(std::string_view sql);

    void close() noexcept;

    sqlite3* db_ = nullptr;
    detail::engine_context* context_;
    std::chrono::milliseconds busy_timeout_{0};
    bool read_only_ = false;
    bool immediate_ = false;                        // begin() is BEGIN IMMEDIATE
    std::shared_ptr<detail::writer_queue> writers_;
    bool writing_ = false;                          // holds a turn of writers_
    std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
    detail::statement_cache<sqlite_statement> cache_;
    // has_triggers' answers, valid while main's and temp's schema versions are these.
    std::int64_t schema_versions_[2] = {-1, -1};
    std::vector<std::pair<std::string, bool>> tables_with_triggers_;
};

// The backend trait the engine and session are templated on.
struct sqlite_backend {
    using dialect = sql::sqlite_dialect;
    using connection_type = sqlite_connection;
    using statement_type = sqlite_statement;
    using connect_args = sqlite_connect_args;

    // A URL's parts and query string (pysqlite's connect arguments) as the arguments
    // sqlite3_open_v2 takes; url_error for a URL of another database.
    static sqlite_connect_args connect_args_from(const url& u, engine_options& options);

    // The URL keys that pysqlite takes as connect arguments, and SQLite's URI parameters.
    static constexpr std::array<std::string_view, 3> pysqlite_keys{"timeout", "check_same_thread", "uri"};
    static constexpr std::array<std::string_view, 7> uri_parameters{"mode",  "cache", "vfs",   "immutable",
                                                                     "nolock", "psow", "modeof"};

    // An in-memory database lives as long as one of its connections: the engine keeps one open.
    static bool keeps_one_open(const connect_args& args) noexcept { return args.keep_one_open; }

    // Whether an integrity_error's message reports a foreign-key violation.
    static bool is_foreign_key_violation(std::string_view message) noexcept {
        return message.find("FOREIGN KEY") != std::string_view::npos;
    }
};


}  // namespace structql

#if STRUCTQL_DEFINITIONS
#include <algorithm>
#include <charconv>
#include <chrono>  // the calendar, for timestamps as text
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace structql {

namespace detail {

// The write transactions of one engine, taking turns in the order they asked. SQLite lets one
// connection write at a time, and its busy handler polls for the lock with sleeps growing to
// 100 ms: under steady load a waiter can miss every release for the whole busy_timeout while
// the others keep taking the lock (8 threads committing on one file did). Queued, each waits
// only for the transactions ahead of it. Other engines and processes still meet at SQLite's lock.
class writer_queue {
public:
    // Waits for a turn; false when none came within `timeout`.
    bool acquire(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        if (!held_ && waiting_.empty()) {
            take();
            return true;
        }
        const std::uint64_t ticket = next_ticket_++;
        waiting_.push_back(ticket);
        if (turn_.wait_for(lock, timeout, [&] { return !held_ && waiting_.front() == ticket; })) {
            waiting_.pop_front();
            take();
            return true;
        }
        waiting_.erase(std::find(waiting_.begin(), waiting_.end(), ticket));
        lock.unlock();
        turn_.notify_all();  // the writer behind this one may be first now
        return false;
    }
    void release() noexcept {
        {
            std::lock_guard lock(mutex_);
            held_ = false;
        }
        turn_.notify_all();
    }
    bool held_by_this_thread() {
        std::lock_guard lock(mutex_);
        return held_ && holder_ == std::this_thread::get_id();
    }

private:
    void take() {
        held_ = true;
        holder_ = std::this_thread::get_id();
    }

    std::mutex mutex_;
    std::condition_variable turn_;
    bool held_ = false;
    std::thread::id holder_;
    std::deque<std::uint64_t> waiting_;  // tickets, first come first
    std::uint64_t next_ticket_ = 0;
};

}  // namespace detail

namespace detail {

STRUCTQL_DECL std::string format_timestamp(timestamp t) {
    using namespace std::chrono;
    // Split by integer division: floor<days>(t) lies below the clock's range for a time point
    // in the clock's first partial day, and t - floor<days>(t) then overflows.
    timestamp::rep day_count = t.time_since_epoch().count() / ticks_per_day;
    timestamp::rep since_midnight = t.time_since_epoch().count() % ticks_per_day;
    if (since_midnight < 0) {
        since_midnight += ticks_per_day;
        --day_count;
    }
    year_month_day ymd{sys_days{days{day_count}}};
    hh_mm_ss<nanoseconds> time{duration_cast<nanoseconds>(timestamp::duration{since_midnight})};
    char text[40];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d.%09lld", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()),
                  static_cast<long long>(time.subseconds().count()));
    return text;
}

STRUCTQL_DECL timestamp parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    std::size_t pos = 0;
    auto fail = [&]() -> timestamp {
        throw conversion_failure("'" + std::string(s) + "' is not a timestamp (YYYY-MM-DD HH:MM:SS.fffffffff)");
    };
    auto number = [&](std::size_t digits) {
        if (pos + digits > s.size()) fail();
        int value = 0;
        for (std::size_t i = 0; i < digits; ++i, ++pos) {
            char c = s[pos];
            if (c < '0' || c > '9') fail();
            value = value * 10 + (c - '0');
        }
        return value;
    };
    auto expect = [&](char c) {
        if (pos >= s.size() || s[pos] != c) fail();
        ++pos;
    };
    int y = number(4);
    expect('-');
    int mo = number(2);
    expect('-');
    int d = number(2);
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) fail();
    nanoseconds time_of_day{0};
    if (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T')) {
        ++pos;
        int h = number(2);
        expect(':');
        int mi = number(2);
        int sec = 0;
        long long fraction = 0;
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            sec = number(2);
            if (pos < s.size() && s[pos] == '.') {
                ++pos;
                std::size_t digits = 0;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && digits < 9) {
                    fraction = fraction * 10 + (s[pos++] - '0');
                    ++digits;
                }
                if (digits == 0) fail();
                for (; digits < 9; ++digits) fraction *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) fail();
        time_of_day = hours{h} + minutes{mi} + seconds{sec} + nanoseconds{fraction};
    }
    if (pos < s.size() && s[pos] == 'Z') ++pos;
    if (pos != s.size()) fail();
    // day_count * ticks_per_day + ticks, checked: the clock's range ends in 1677 and 2262.
    using rep = timestamp::rep;
    rep day_count = sys_days{ymd}.time_since_epoch().count();
    rep ticks = duration_cast<timestamp::duration>(time_of_day).count();
    const bool before_epoch = day_count < 0;
    if (before_epoch) {  // both parts negative, so that neither overflows before the sum does
        ++day_count;
        ticks -= ticks_per_day;
    }
    constexpr rep lowest = std::numeric_limits<rep>::min(), highest = std::numeric_limits<rep>::max();
    bool fits = before_epoch ? day_count >= lowest / ticks_per_day && day_count * ticks_per_day >= lowest - ticks
                             : day_count <= highest / ticks_per_day && day_count * ticks_per_day <= highest - ticks;
    if (!fits)
        throw conversion_failure("'" + std::string(s) + "' is outside the range of std::chrono::system_clock");
    return timestamp{timestamp::duration{day_count * ticks_per_day + ticks}};
}

// SQLite reports a unique index's violation by its columns ("UNIQUE constraint failed: t.a,
// t.b"): the named index (a table_args unique_constraint) over exactly those columns, or empty.
// Asked after the failure, on the same connection; nothing here throws.
STRUCTQL_DECL std::string unique_index_named_by(sqlite3* db, std::string_view message) {
    constexpr std::string_view prefix = "UNIQUE constraint failed: ";
    if (!message.starts_with(prefix)) return {};
    const std::string columns(message.substr(prefix.size()));
    static constexpr char query[] =
        "SELECT m.name FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) il ON il.name = m.name AND il.\"unique\" "
        "WHERE m.type = 'index' AND m.sql IS NOT NULL AND (SELECT group_concat(m.tbl_name || '.' || ii.name, ', ') "
        "FROM pragma_index_info(m.name) ii) = ?";
    sqlite3_stmt* stmt = nullptr;
    std::string name;
    if (sqlite3_prepare_v2(db, query, sizeof query - 1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_bind_text(stmt, 1, columns.data(), static_cast<int>(columns.size()), SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        if (const unsigned char* text = sqlite3_column_text(stmt, 0)) name = reinterpret_cast<const char*>(text);
    sqlite3_finalize(stmt);
    return name;
}

[[noreturn]] STRUCTQL_DECL void throw_sqlite_error(sqlite3* db, int rc, std::string_view sql) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    // The connection's extended code is the precise one when it reports the same failure.
    int extended = db && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff) ? sqlite3_extended_errcode(db) : rc;
    database_code code{.sqlite = extended, .sqlstate = {}};
    if (db && extended == SQLITE_CONSTRAINT_UNIQUE)
        if (std::string index = unique_index_named_by(db, message); !index.empty())
            message += " (unique constraint \"" + index + "\")";
    message += format_sql_context(sql);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) throw integrity_error(message, code);
    if (sqlite_retryable(extended)) throw retryable_error(message, code);
    throw operational_error(message, code);
}

}  // namespace detail

STRUCTQL_DECL void sqlite_statement::type_mismatch(std::string_view expected, int found) {
    throw detail::conversion_failure("expected " + std::string(expected) + ", found " +
                                     std::string(detail::sqlite_type_name(found)));
}

STRUCTQL_DECL sqlite_connection::sqlite_connection(const sqlite_connect_args& args, detail::engine_context* context)
    : context_(context), writers_(args.writers), cache_(context->options.statement_cache_size, this, &prepare) {
    // ?mode=ro / rw travel in the URI filename: SQLite narrows these flags to them.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (args.uri) flags |= SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(args.filename.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = "cannot open SQLite database '" + args.filename + "': " +
                              (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw operational_error(message);
    }
    sqlite3_extended_result_codes(db_, 1);
    busy_timeout_ = args.busy_timeout.value_or(context->options.busy_timeout);
    sqlite3_busy_timeout(db_, static_cast<int>(std::clamp<std::int64_t>(busy_timeout_.count(), 0, std::numeric_limits<int>::max())));
    // BEGIN IMMEDIATE fails on a read-only database, where no transaction can write anyway.
    read_only_ = sqlite3_db_readonly(db_, "main") == 1 || context->options.read_only;
    immediate_ = !read_only_ &&
                 context->options.sqlite_begin.value_or(args.keep_one_open ? transaction_mode::deferred
                                                                           : transaction_mode::immediate) ==
                     transaction_mode::immediate;
    context->statistics.connections_opened.fetch_add(1, std::memory_order_relaxed);
    try {
        if (context->options.wal) execute("PRAGMA journal_mode=WAL");
        if (context->options.read_only) execute("PRAGMA query_only=ON");
    } catch (...) {
        close();
        throw;
    }
}

STRUCTQL_DECL void sqlite_connection::execute(std::string_view sql) {
    bool traced = context_->traced();
    if (traced) context_->before(sql, {});
    auto started = std::chrono::steady_clock::now();
    std::string text(sql);
    context_->statistics.statements_executed.fetch_add(1, std::memory_order_relaxed);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (traced) context_->after(sql, {}, std::chrono::steady_clock::now() - started);
    if (writing_ && !in_transaction()) end_turn();  // a COMMIT or ROLLBACK in raw SQL
    if (rc != SQLITE_OK) detail::throw_sqlite_error(db_, rc, sql);
}

STRUCTQL_DECL void sqlite_connection::begin() {
    if (immediate_) begin_write();
    else execute_cached("BEGIN");
}

STRUCTQL_DECL void sqlite_connection::begin_write() {
    if (read_only_) return execute_cached("BEGIN");
    if (writers_ && !writing_) {
        // Connections stay on their thread: waiting for this thread's own transaction is
        // waiting for nothing.
        if (context_->options.check_same_thread && writers_->held_by_this_thread())
            throw operational_error(
                "database is locked: this thread holds the write lock in another transaction of this engine (a "
                "session or transaction still open); end that one first" +
                detail::format_sql_context("BEGIN IMMEDIATE"));
        if (!writers_->acquire(busy_timeout_)) throw locked("other transactions of this engine");
        writing_ = true;
    }
    try {
        execute_cached("BEGIN IMMEDIATE");
    } catch (...) {
        end_turn();
        if ((sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY) throw locked("another connection", sqlite3_extended_errcode(db_));
        throw;
    }
}

STRUCTQL_DECL void sqlite_connection::commit() {
    try {
        execute_cached("COMMIT");
    } catch (...) {
        if (!in_transaction()) end_turn();  // else still open, for a ROLLBACK
        throw;
    }
    end_turn();
}

STRUCTQL_DECL void sqlite_connection::rollback() {
    struct ender {
        sqlite_connection* self;
        ~ender() { self->end_turn(); }
    } end{this};
    execute_cached("ROLLBACK");
}

STRUCTQL_DECL void sqlite_connection::reset_for_pool() noexcept {
    for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s; s = sqlite3_next_stmt(db_, s)) sqlite3_reset(s);
    if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    end_turn();
}

STRUCTQL_DECL retryable_error sqlite_connection::locked(std::string_view holder, int code) const {
    return retryable_error("database is locked: " + std::string(holder) +
                               " held the write lock for all of busy_timeout (" +
                               std::to_string(busy_timeout_.count()) + " ms)" +
                               detail::format_sql_context("BEGIN IMMEDIATE"),
                           database_code{.sqlite = code, .sqlstate = {}});
}

STRUCTQL_DECL void sqlite_connection::end_turn() noexcept {
    if (writing_) writers_->release();
    writing_ = false;
}

STRUCTQL_DECL void sqlite_connection::execute_cached(std::string_view sql) {
    sqlite_statement& s = prepare_static(sql);
    struct resetter {
        sqlite_statement& s;
        ~resetter() { s.reset(); }
    } guard{s};
    s.step();
}

STRUCTQL_DECL std::unique_ptr<sqlite_statement> sqlite_connection::prepare_new(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                &tail);
    if (rc != SQLITE_OK) detail::throw_sqlite_error(db_, rc, sql);
    auto statement = std::make_unique<sqlite_statement>(db_, stmt, sql, context_);
    const auto rest = static_cast<int>(sql.data() + sql.size() - tail);
    if (rest > 0) {
        sqlite3_stmt* next = nullptr;
        rc = sqlite3_prepare_v3(db_, tail, rest, 0, &next, nullptr);
        sqlite3_finalize(next);
        if (rc != SQLITE_OK || next)
            throw operational_error("more than one SQL statement where parameters are bound (after the first: '" +
                                    std::string(tail, static_cast<std::size_t>(rest)) +
                                    "'); run each statement on its own" + detail::format_sql_context(sql));
    }
    context_->statistics.statements_prepared.fetch_add(1, std::memory_order_relaxed);
    return statement;
}

STRUCTQL_DECL void sqlite_connection::close() noexcept {
    if (!db_) return;
    end_turn();
    cache_.clear();
    sqlite3_close_v2(db_);
    db_ = nullptr;
    context_->statistics.connections_closed.fetch_add(1, std::memory_order_relaxed);
}

STRUCTQL_DECL sqlite_connect_args sqlite_backend::connect_args_from(const url& u, engine_options& options) {
    if (u.dialect == "postgresql")
        throw url_error("create_engine: '" + u.render() +
                        "' is a PostgreSQL URL, and structql::create_engine(url) opens SQLite databases; "
                        "#include <structql/postgresql.hpp> and use "
                        "structql::create_engine<structql::postgresql_backend>(url)");
    if (u.dialect != "sqlite")
        throw url_error("create_engine: '" + u.render() + "' is a " + u.dialect +
                        " URL; this engine type speaks SQLite (use the backend's own engine)");
    sqlite_connect_args args;
    for (const auto& [key, value] : u.query) {
        if (std::find(pysqlite_keys.begin(), pysqlite_keys.end(), key) == pysqlite_keys.end() &&
            std::find(uri_parameters.begin(), uri_parameters.end(), key) == uri_parameters.end())
            throw url_error("create_engine: '" + key + "' in '" + u.render() +
                            "' is not a SQLite URL key; known keys: timeout, check_same_thread, uri (pysqlite's "
                            "connect arguments), mode, cache, vfs, immutable, nolock, psow, modeof (SQLite's URI "
                            "parameters)");
    }
    args.writers = std::make_shared<detail::writer_queue>();
    auto flag = [&](std::string_view key) {
        auto v = u.query_value(key);
        return v && (*v == "true" || *v == "1" || *v == "yes");
    };
    // pysqlite's connect arguments, from the URL's query string.
    if (auto timeout = u.query_value("timeout")) {
        double seconds = 0;
        auto [end, ec] = std::from_chars(timeout->data(), timeout->data() + timeout->size(), seconds);
        constexpr double longest = std::numeric_limits<int>::max() / 1000;  // sqlite3_busy_timeout takes int ms
        if (ec != std::errc{} || end != timeout->data() + timeout->size() || !(seconds >= 0 && seconds <= longest))
            throw url_error("create_engine: timeout must be a number of seconds from 0 to " +
                            std::to_string(static_cast<int>(longest)) + " in '" + u.render() + "'");
        args.busy_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
    }
    if (auto same_thread = u.query_value("check_same_thread"))
        options.check_same_thread = *same_thread == "true" || *same_thread == "1" || *same_thread == "True";
    // SQLite matches the mode exactly (and would refuse another only when opening).
    auto mode = u.query_value("mode");
    if (mode && *mode != "ro" && *mode != "rw" && *mode != "rwc" && *mode != "memory")
        throw url_error("create_engine: mode '" + std::string(*mode) + "' in '" + u.render() +
                        "' is not one of SQLite's: ro, rw, rwc, memory");
    if (u.is_memory()) {
        // Every connection of the engine already shares the one database that mode=memory
        // and cache=shared ask for; the other parameters would change how it is opened.
        for (std::string_view key : uri_parameters)
            if (auto value = u.query_value(key); value && key != "cache" && !(key == "mode" && *value == "memory"))
                throw url_error("create_engine: '" + std::string(key) + "' in '" + u.render() +
                                "' does not apply to an in-memory database (StructQL opens it in SQLite's "
                                "memdb VFS, shared by the engine's connections)");
        // A named database in SQLite's memdb VFS, kept alive by the pool, so every
        // connection of the engine sees the same data. Not shared-cache mode, which SQLite
        // discourages: its table locks (SQLITE_LOCKED) ignore the busy timeout, and its
        // mutexes cost every column read.
        args.filename = "file:/structql-memory-" + std::to_string(detail::memory_database_counter.fetch_add(1)) +
                        "?vfs=memdb";
        args.uri = true;
        args.keep_one_open = true;
        return args;
    }
    if (mode == "memory")
        throw url_error("create_engine: mode=memory in '" + u.render() +
                        "' would give each connection an empty database of its own; for one in-memory database "
                        "use sqlite:// or sqlite:///file:name?mode=memory&uri=true");
    // SQLite reads its parameters from a URI filename only: the database becomes one when
    // the URL has any (uri=true says that the database is written as a URI already).
    std::string parameters;
    for (std::string_view key : uri_parameters)
        if (auto value = u.query_value(key))
            parameters.append(parameters.empty() ? "?" : "&")
                .append(key)
                .append("=")
                .append(detail::percent_encode(*value));
    args.uri = flag("uri") || !parameters.empty();
    if (!args.uri) args.filename = u.database;
    else if (flag("uri") && u.database.starts_with("file:")) args.filename = u.database + parameters;
    else args.filename = (u.database.starts_with('/') ? "file://" : "file:") + detail::percent_encode(u.database, "/") + parameters;
    return args;
}
}  // namespace structql
#endif  // STRUCTQL_DEFINITIONS
