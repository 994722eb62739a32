#pragma once
// Every error StructQL throws derives from structql::error, itself a std::runtime_error.
// Messages say what went wrong and where (table, column, statement), for the person who
// made the mistake.
#include <stdexcept>
#include <string>

namespace structql {

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
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
