#pragma once
// Every error StructQL throws derives from structql::error, itself a std::runtime_error.
// Messages say what went wrong and where (table, column, statement), for the person who
// made the mistake.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace structql {

// The database's own code for a failure, stable where messages are not: SQLite's extended
// result code (SQLITE_CONSTRAINT_UNIQUE = 2067, SQLITE_BUSY = 5, SQLITE_BUSY_SNAPSHOT = 517,
// ...) or PostgreSQL's SQLSTATE ("23505", "40001", ...). Both empty for StructQL's own errors.
struct database_code {
    int sqlite = 0;
    std::string_view sqlstate{};
};

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
    error(const std::string& message, database_code code) : std::runtime_error(message), sqlite_code_(code.sqlite) {
        for (std::size_t i = 0; i < code.sqlstate.size() && i + 1 < sizeof sqlstate_; ++i) sqlstate_[i] = code.sqlstate[i];
    }

    // SQLite's extended result code (sqlite3_extended_errcode), 0 when SQLite did not report it.
    int sqlite_code() const noexcept { return sqlite_code_; }
    // PostgreSQL's SQLSTATE, empty when the server did not report it.
    std::string_view sqlstate() const noexcept { return sqlstate_; }
    database_code code() const noexcept { return {sqlite_code_, sqlstate()}; }

private:
    int sqlite_code_ = 0;
    char sqlstate_[6] = {};  // five characters: copying the error cannot throw
};

// create_engine: the URL is malformed or names an unknown dialect.
struct url_error : error {
    using error::error;
};

// The database could not do what was asked: cannot open, locked, disk I/O, bad SQL, a
// connection used from the wrong thread.
struct operational_error : error {
    using error::error;
};

// The transaction lost a race with another one, and running it again from its start may
// succeed: SQLite's SQLITE_BUSY / SQLITE_LOCKED (busy_timeout ran out, or a deferred
// transaction that read could not become the writer), PostgreSQL's serialization_failure
// (40001), deadlock_detected (40P01) and lock_not_available (55P03: a FOR UPDATE NOWAIT or
// lock_timeout). Roll back, then redo the whole transaction (its reads
// too): structql::retry_transaction does it.
struct retryable_error : operational_error {
    using operational_error::operational_error;
};

// Whether e is a retryable_error (for code that catches std::exception).
inline bool is_retryable(const std::exception& e) noexcept {
    return dynamic_cast<const retryable_error*>(&e) != nullptr;
}

// A constraint was violated (NOT NULL, UNIQUE, PRIMARY KEY, FOREIGN KEY, CHECK).
struct integrity_error : error {
    using error::error;
};

// A value read from the database does not fit the member it is read into (NULL into a
// non-optional member, an INTEGER out of the member's range, TEXT where a number belongs).
struct data_error : error {
    using error::error;
};

// query().one() found no row.
struct no_result_found : error {
    using error::error;
};

// query().one() found more than one row.
struct multiple_results_found : error {
    using error::error;
};

// A previous flush failed; the session must be rolled back before it is used again.
struct pending_rollback_error : error {
    using error::error;
};

// An UPDATE or DELETE of a tracked object matched no row (the row vanished behind our back).
struct stale_data_error : error {
    using error::error;
};

// A session was used after close(), or in a way its state does not allow.
struct invalid_request_error : error {
    using error::error;
};

// The pool had no connection to lend within pool_timeout.
struct timeout_error : operational_error {
    using operational_error::operational_error;
};

namespace detail {
// A value does not fit the type it is converted to. The layer that knows the table and the
// column turns it into a data_error naming them.
struct conversion_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};
}  // namespace detail

}  // namespace structql
