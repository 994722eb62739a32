#pragma once
// One prepared libpq statement: binding, running and reading the six storage types, and the
// state (link) its connection shares with it, where SQLSTATEs become StructQL's errors.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "structql/detail/statement_cache.hpp"
#include "structql/engine_options.hpp"
#include "structql/errors.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/sql/postgresql_dialect.hpp"


#include "structql/backend/postgresql/wire.hpp"

namespace structql {

namespace detail::pg {

// A PGresult, cleared when it goes.
struct result_clear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using result_ptr = std::unique_ptr<PGresult, result_clear>;

// The state a connection shares with its statements.
struct link {
    PGconn* conn = nullptr;
    detail::engine_context* context = nullptr;
    std::int64_t changes = 0;
    bool broken = false;  // the server went away: the pool must not keep the connection
    std::uint64_t cursors = 0;  // cursors declared, for unique names
    bool cursor_left = false;   // a WITH HOLD cursor an aborted transaction kept from closing

    // Records the client memory a result holds (engine_statistics::largest_result_bytes).
    void note_size(const PGresult* result) noexcept {
        auto bytes = static_cast<std::uint64_t>(PQresultMemorySize(result));
        auto& largest = context->statistics.largest_result_bytes;
        for (std::uint64_t seen = largest.load(std::memory_order_relaxed);
             bytes > seen && !largest.compare_exchange_weak(seen, bytes, std::memory_order_relaxed);) {
        }
    }

    // Records the row count of an INSERT, UPDATE, DELETE or MERGE (as sqlite3_changes does).
    void note_command(const PGresult* result) noexcept {
        std::string_view status = PQcmdStatus(const_cast<PGresult*>(result));
        if (status.starts_with("INSERT") || status.starts_with("UPDATE") || status.starts_with("DELETE") ||
            status.starts_with("MERGE")) {
            const char* rows = PQcmdTuples(const_cast<PGresult*>(result));
            std::int64_t n = 0;
            std::from_chars(rows, rows + std::strlen(rows), n);
            changes = n;
        }
    }

    // Throws the StructQL error for a failed command: class 23 is an integrity_error, class 22 a
    // data_error, everything else an operational_error; a lost connection also marks it broken.
    [[noreturn]] void fail(const PGresult* result, std::string_view sql) {
        auto field = [&](int code) -> std::string_view {
            const char* v = result ? PQresultErrorField(result, code) : nullptr;
            return v ? v : "";
        };
        std::string_view state = field(PG_DIAG_SQLSTATE);
        std::string message(field(PG_DIAG_MESSAGE_PRIMARY));
        if (message.empty()) {
            message = PQerrorMessage(conn);
            while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
            if (message.empty()) message = "the command failed without a message";
        }
        if (std::string_view detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty())
            message.append(": ").append(detail);
        if (!state.empty()) message.append(" (SQLSTATE ").append(state).append(")");
        message.append(" [SQL: ").append(sql).append("]");
        if (!result || PQstatus(conn) == CONNECTION_BAD || state.starts_with("08") || state == "57P01" ||
            state == "57P02" || state == "57P03") {
            broken = true;
            throw operational_error("the connection to the PostgreSQL server was lost: " + message,
                                    database_code{.sqlite = 0, .sqlstate = state});
        }
        database_code code{.sqlite = 0, .sqlstate = state};
        if (state.starts_with("23")) throw integrity_error(message, code);
        if (state.starts_with("22")) throw data_error(message, code);
        // serialization failure, deadlock, a lock not taken (NOWAIT, lock_timeout): SQLITE_BUSY's kin
        if (state == "40001" || state == "40P01" || state == "55P03") throw retryable_error(message, code);
        throw operational_error(message, code);
    }

    // Throws unless the result has one of the statuses expected.
    void check(const result_ptr& result, std::string_view sql, ExecStatusType expected,
               ExecStatusType also = PGRES_COMMAND_OK) {
        ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status != expected && status != also) fail(result.get(), sql);
    }

    // Runs a command with no parameters through the simple protocol; throws on failure.
    void run(std::string_view sql) {
        std::string text(sql);
        result_ptr result(PQexec(conn, text.c_str()));
        if (!result || PQresultStatus(result.get()) != PGRES_EMPTY_QUERY) check(result, sql, PGRES_TUPLES_OK);
        note_command(result.get());
    }
};

}  // namespace detail::pg

// libpq connection parameters: keyword/value pairs for PQconnectdbParams, in order (a later
// keyword overrides an earlier one), and the URL with its password hidden, for messages.
struct postgresql_connect_args {
    std::vector<std::pair<std::string, std::string>> parameters;
    std::string display;
};

// One prepared statement, owned by its connection's cache. A statement is used by binding
// (1-based), stepping and reading (0-based columns), then reset().
class libpq_statement : public detail::cached_statement {
public:
    libpq_statement(detail::pg::link* link, std::string name, std::string_view sql, const PGresult* description)
        : link_(link), name_(std::move(name)), sql_(sql) {
        int parameters = PQnparams(description);
        param_types_.resize(static_cast<std::size_t>(parameters));
        for (int i = 0; i < parameters; ++i) param_types_[static_cast<std::size_t>(i)] = PQparamtype(description, i);
        values_.assign(param_types_.size(), nullptr);
        lengths_.assign(param_types_.size(), 0);
        formats_.assign(param_types_.size(), 0);
        owned_.resize(param_types_.size());
        int columns = PQnfields(description);
        bool all_known = true;
        for (int i = 0; i < columns; ++i) {
            Oid type = PQftype(description, i);
            kinds_.push_back(detail::pg::kind_of(type));
            types_.push_back(type);
            names_.emplace_back(PQfname(description, i));
            all_known = all_known && kinds_.back() != detail::pg::kind::other;
        }
        binary_results_ = all_known;
    }
    libpq_statement(const libpq_statement&) = delete;
    libpq_statement& operator=(const libpq_statement&) = delete;
    // A statement the cache drops is dropped on the server too; a closed connection took them all.
    ~libpq_statement() {
        if (link_->conn && !link_->broken) detail::pg::result_ptr(PQexec(link_->conn, ("DEALLOCATE " + name_).c_str()));
    }

    std::string_view sql() const noexcept { return sql_; }
    // The server-side name of the prepared statement.
    const std::string& name() const noexcept { return name_; }

    void bind_null(int i) {
        std::size_t p = slot(i);
        trace_parameter("NULL");
        values_[p] = nullptr;
    }
    void bind(int i, bool v) {
        std::size_t p = slot(i);
        trace_parameter(v ? "true" : "false");
        kind k = kind_at(p);
        if (k == kind::boolean) set_owned(p, v ? std::string_view("\1", 1) : std::string_view("\0", 1), 1);
        else set_owned(p, detail::pg::is_integer(k) ? (v ? "1" : "0") : (v ? "true" : "false"), 0);
    }
    void bind(int i, std::int64_t v) {
        std::size_t p = slot(i);
        if (link_->context->traced()) trace_parameter(std::to_string(v));
        if (kind_at(p) == kind::int8) {
            detail::pg::put_u64(owned_[p], static_cast<std::uint64_t>(v));
            point(p, owned_[p], 1);
        } else {
            char buffer[24];
            auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
            set_owned(p, std::string_view(buffer, static_cast<std::size_t>(end - buffer)), 0);
        }
    }
    void bind(int i, double v) {
        std::size_t p = slot(i);
        if (link_->context->traced()) trace_parameter(std::to_string(v));
        if (kind_at(p) == kind::float8) {
            std::uint64_t bits;
            std::memcpy(&bits, &v, sizeof bits);
            detail::pg::put_u64(owned_[p], bits);
            point(p, owned_[p], 1);
        } else {
            owned_[p].clear();
            detail::pg::append_double_text(owned_[p], v);
            point(p, owned_[p], 0);
        }
    }
    // An lvalue outlives the step that follows: it is sent from where it is.
    void bind(int i, const std::string& v) {
        std::size_t p = slot(i);
        refuse_nul(v);
        trace_text(v);
        if (kind_at(p) == kind::text) point(p, v, 1);  // TEXT's binary form is its bytes
        else point(p, v, 0);                          // NUL-terminated: c_str()
    }
    void bind(int i, std::string&& v) { bind(i, std::string_view(v)); }
    void bind(int i, std::string_view v) {
        std::size_t p = slot(i);
        refuse_nul(v);
        trace_text(v);
        set_owned(p, v, kind_at(p) == kind::text ? 1 : 0);
    }
    void bind(int i, const blob& v) {
        std::size_t p = slot(i);
        if (link_->context->traced()) trace_parameter("<" + std::to_string(v.size()) + " bytes>");
        if (kind_at(p) == kind::bytea || kind_at(p) == kind::uuid) {  // a UUID's binary form is its 16 bytes
            static const char empty = 0;  // a null pointer would send NULL: an empty blob stays empty
            values_[p] = v.empty() ? &empty : reinterpret_cast<const char*>(v.data());
            lengths_[p] = static_cast<int>(v.size());
            formats_[p] = 1;
        } else {
            std::string& out = owned_[p];
            out.assign("\\x");
            for (std::byte b : v) {
                out += detail::pg::hex_digits[std::to_integer<unsigned>(b) >> 4];
                out += detail::pg::hex_digits[std::to_integer<unsigned>(b) & 0xf];
            }
            point(p, out, 0);
        }
    }
    void bind(int i, blob&& v) {
        std::size_t p = slot(i);
        if (kind_at(p) != kind::bytea && kind_at(p) != kind::uuid) return bind(i, static_cast<const blob&>(v));
        if (link_->context->traced()) trace_parameter("<" + std::to_string(v.size()) + " bytes>");
        set_owned(p, std::string_view(reinterpret_cast<const char*>(v.data()), v.size()), 1);
    }
    void bind(int i, timestamp v) {
        std::size_t p = slot(i);
        kind k = kind_at(p);
        if (link_->context->traced()) trace_parameter("'" + detail::pg::format_timestamp(v) + "'");
        if (k == kind::timestamptz || k == kind::timestamp) {
            detail::pg::put_u64(owned_[p], static_cast<std::uint64_t>(detail::pg::to_wire_micros(v)));
            point(p, owned_[p], 1);
        } else {
            set_owned(p, detail::pg::format_timestamp(v), 0);
        }
    }

    // Runs the statement at the first call; then advances to the next row: true when a row is
    // available, false when done.
    bool step() {
        if (!executed_) {
            started();
            if (batch_ > 0) open_cursor();
            else
                receive(detail::pg::result_ptr(PQexecPrepared(link_->conn, name_.c_str(), static_cast<int>(values_.size()),
                                                              values_.data(), lengths_.data(), formats_.data(),
                                                              binary_results_ ? 1 : 0)));
        }
        if (row_ < rows_) ++row_;
        if (row_ == rows_ && rows_ == batch_ && !cursor_.empty()) {
            fetch();
            row_ = rows_ > 0 ? 0 : -1;
        }
        return row_ >= 0 && row_ < rows_;
    }

    // Takes the result of a run: step() then reads its rows.
    void receive(detail::pg::result_ptr result) {
        executed_ = true;
        result_ = std::move(result);
        link_->check(result_, sql_, PGRES_TUPLES_OK);
        link_->note_command(result_.get());
        link_->note_size(result_.get());
        rows_ = PQntuples(result_.get());
        row_ = -1;
    }

    // The next run reads its rows `batch` at a time through a cursor (DECLARE ... CURSOR, FETCH
    // FORWARD batch): the client holds one batch at a time, and the connection is free between
    // batches for other statements (the row callback's). In a transaction the cursor is read as
    // the rows are made and ends with it; outside one it is WITH HOLD, which outlives the
    // DECLARE's own transaction (and any the callback commits): the server makes the whole
    // result at once and keeps it until CLOSE.
    void stream(int batch) noexcept { batch_ = batch; }

    // Ends a stream that was read to its end or left early (CLOSE). Errors are thrown here;
    // reset() cleans up quietly after an exception.
    void finish() {
        if (cursor_.empty()) return;
        std::string cursor = std::exchange(cursor_, {});
        if (PQtransactionStatus(link_->conn) == PQTRANS_INERROR) {  // a cursor of that transaction goes with it
            link_->cursor_left = link_->cursor_left || holdable_;
            return;
        }
        link_->run("CLOSE " + cursor);
    }

    // Makes the statement ready to bind and run again, dropping its result and bindings.
    void reset() noexcept {
        if (!cursor_.empty()) abandon_stream();
        batch_ = 0;
        result_.reset();
        rows_ = 0;
        row_ = -1;
        if (executed_ && link_->context->traced()) {
            try {
                link_->context->after(sql_, parameters_, std::chrono::steady_clock::now() - started_);
            } catch (...) {
                // A hook's failure must not turn a reset into an error.
            }
        }
        executed_ = false;
        parameters_.clear();
        std::fill(values_.begin(), values_.end(), nullptr);
    }

    int column_count() const noexcept { return static_cast<int>(kinds_.size()); }
    std::string_view column_name(int col) const noexcept {
        return col >= 0 && col < column_count() ? std::string_view(names_[static_cast<std::size_t>(col)]) : "";
    }
    int parameter_count() const noexcept { return static_cast<int>(param_types_.size()); }
    bool is_null(int col) const { return PQgetisnull(result_.get(), current_row(), checked(col)) != 0; }

    template <class S>
    S read(int col) const {
        namespace pg = detail::pg;
        kind k = kinds_[static_cast<std::size_t>(checked(col))];
        std::string_view v = value(col);
        if constexpr (std::is_same_v<S, std::int64_t>) {
            if (pg::is_integer(k)) return binary_results_ ? pg::get_int(v.data(), static_cast<int>(v.size()))
                                                           : pg::integer_from_text(v);
            if (k == kind::boolean) return read_boolean(v) ? 1 : 0;  // EXISTS, and parity with SQLite
            if (k == kind::numeric) return pg::integer_from_text(numeric(v));
            type_mismatch("BIGINT", col);
        } else if constexpr (std::is_same_v<S, bool>) {
            if (k == kind::boolean) return read_boolean(v);
            if (pg::is_integer(k)) {
                std::int64_t n = read<std::int64_t>(col);
                if (n != 0 && n != 1)
                    throw detail::conversion_failure("value " + std::to_string(n) + " is not a boolean (0 or 1)");
                return n == 1;
            }
            type_mismatch("BOOLEAN", col);
        } else if constexpr (std::is_same_v<S, double>) {
            if (k == kind::float8 && binary_results_) {
                std::uint64_t bits = pg::get_uint(v.data(), 8);
                double d;
                std::memcpy(&d, &bits, sizeof d);
                return d;
            }
            if (k == kind::float4 && binary_results_) {
                auto bits = static_cast<std::uint32_t>(pg::get_uint(v.data(), 4));
                float f;
                std::memcpy(&f, &bits, sizeof f);
                return f;
            }
            if (k == kind::float8 || k == kind::float4) return pg::double_from_text(v);
            if (pg::is_integer(k)) return static_cast<double>(read<std::int64_t>(col));
            if (k == kind::numeric) return pg::double_from_text(numeric(v));
            type_mismatch("DOUBLE PRECISION", col);
        } else if constexpr (std::is_same_v<S, std::string>) {
            // Any type the statement reads as text (it has a column StructQL does not decode),
            // and the types StructQL stores as text: NUMERIC, DATE, TIME, JSON and JSONB.
            if (k == kind::text || k == kind::other || k == kind::json) return std::string(v);
            if (k == kind::numeric) return numeric(v);
            if (k == kind::uuid) return binary_results_ ? pg::uuid_text(v) : std::string(v);
            if (k != kind::date && k != kind::time && k != kind::jsonb) type_mismatch("TEXT", col);
            if (!binary_results_) return std::string(v);
            if (k == kind::date) return pg::date_text(v);
            if (k == kind::time) return pg::time_text(v);
            return std::string(pg::jsonb_text(v));
        } else if constexpr (std::is_same_v<S, blob>) {
            if (k == kind::uuid) {  // 16 bytes, its binary form
                if (!binary_results_) return pg::uuid_from_text(v);
                if (v.size() != 16) throw detail::conversion_failure("malformed UUID value");
            } else if (k != kind::bytea) {
                type_mismatch("BYTEA", col);
            } else if (!binary_results_) {
                return pg::bytea_from_hex(v);
            }
            auto* p = reinterpret_cast<const std::byte*>(v.data());
            return blob(p, p + v.size());
        } else {
            static_assert(std::is_same_v<S, timestamp>);
            if (k != kind::timestamptz && k != kind::timestamp) type_mismatch("TIMESTAMPTZ", col);
            if (!binary_results_) return pg::parse_timestamp(v);
            return pg::from_wire_micros(pg::get_int(v.data(), 8));
        }
    }

    // Reads text and blobs into an existing value, reusing its storage.
    template <class S>
    void read_into(int col, S& out) const {
        kind k = kinds_[static_cast<std::size_t>(checked(col))];
        if constexpr (std::is_same_v<S, std::string>) {
            if (k == kind::text || (k == kind::other && !binary_results_)) {
                std::string_view v = value(col);
                out.assign(v.data(), v.size());
                return;
            }
        } else if constexpr (std::is_same_v<S, blob>) {
            if (k == kind::bytea && binary_results_) {
                std::string_view v = value(col);
                auto* p = reinterpret_cast<const std::byte*>(v.data());
                out.assign(p, p + v.size());
                return;
            }
        }
        out = read<S>(col);
    }

private:
    using kind = detail::pg::kind;

    std::size_t slot(int i) const {
        if (i < 1 || static_cast<std::size_t>(i) > values_.size())
            throw operational_error("parameter index " + std::to_string(i) + " is out of range: the statement has " +
                                    std::to_string(values_.size()) + " parameters [SQL: " + std::string(sql_) + "]");
        return static_cast<std::size_t>(i - 1);
    }
    kind kind_at(std::size_t p) const noexcept { return detail::pg::kind_of(param_types_[p]); }

    // PostgreSQL text never holds a NUL byte, and libpq ends a text-format value at the first
    // one: refuse it here, where the layers above can name the column, rather than have the
    // value cut short without a word.
    static void refuse_nul(std::string_view v) {
        if (v.find('\0') != std::string_view::npos)
            throw detail::conversion_failure("a string with a NUL byte: PostgreSQL text cannot hold one (store bytes as a blob)");
    }

    // DECLARE with the statement's parameters (typed as the prepared statement has them), then
    // the first FETCH.
    void open_cursor() {
        executed_ = true;
        holdable_ = PQtransactionStatus(link_->conn) == PQTRANS_IDLE;
        std::string cursor = "structql_cursor_" + std::to_string(++link_->cursors);
        std::string declare = "DECLARE " + cursor + (holdable_ ? " NO SCROLL CURSOR WITH HOLD FOR " : " NO SCROLL CURSOR FOR ") +
                              std::string(sql_);
        detail::pg::result_ptr declared(PQexecParams(link_->conn, declare.c_str(), static_cast<int>(values_.size()),
                                                     param_types_.data(), values_.data(), lengths_.data(),
                                                     formats_.data(), 0));
        if (!declared || PQresultStatus(declared.get()) != PGRES_COMMAND_OK) link_->fail(declared.get(), sql_);
        cursor_ = std::move(cursor);
        fetch_text_ = "FETCH FORWARD " + std::to_string(batch_) + " FROM " + cursor_;
        fetch();
    }
    void fetch() {
        detail::pg::result_ptr result(
            PQexecParams(link_->conn, fetch_text_.c_str(), 0, nullptr, nullptr, nullptr, nullptr, binary_results_ ? 1 : 0));
        const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
        if (state && std::string_view(state) == "34000") {  // invalid_cursor_name
            cursor_.clear();
            throw operational_error(
                "the rows of a stream (for_each / yield_per on PostgreSQL) are read through a cursor, which ended "
                "with its transaction: a COMMIT or ROLLBACK ran inside the loop (raw SQL); end the transaction "
                "after the loop [SQL: " + std::string(sql_) + "]",
                database_code{.sqlite = 0, .sqlstate = "34000"});
        }
        receive(std::move(result));
    }
    // After an exception: the cursor closed, so that the connection goes on (in an aborted
    // transaction it cannot be: a WITH HOLD one is closed when the pool takes the connection back).
    void abandon_stream() noexcept {
        std::string cursor = std::exchange(cursor_, {});
        if (!link_->conn || link_->broken) return;
        if (PQtransactionStatus(link_->conn) == PQTRANS_INERROR) {
            link_->cursor_left = link_->cursor_left || holdable_;
            return;
        }
        detail::pg::result_ptr closed(PQexec(link_->conn, ("CLOSE " + cursor).c_str()));
        if (PQstatus(link_->conn) == CONNECTION_BAD) link_->broken = true;
    }

    void started() {
        executed_ = true;
        auto* context = link_->context;
        context->statistics.statements_executed.fetch_add(1, std::memory_order_relaxed);
        if (context->traced()) {
            context->before(sql_, parameters_);
            started_ = std::chrono::steady_clock::now();
        }
    }

    void point(std::size_t p, std::string_view bytes, int format) noexcept {
        values_[p] = bytes.data();
        lengths_[p] = static_cast<int>(bytes.size());
        formats_[p] = format;
    }
    // Copies the value into the parameter's own buffer (NUL-terminated, as text format needs).
    void set_owned(std::size_t p, std::string_view bytes, int format) {
        owned_[p].assign(bytes.data(), bytes.size());
        point(p, owned_[p], format);
    }

    int current_row() const {
        if (!result_ || row_ < 0 || row_ >= rows_) throw detail::conversion_failure("no current row to read");
        return row_;
    }
    int checked(int col) const {
        if (col < 0 || col >= column_count())
            throw detail::conversion_failure("no result column " + std::to_string(col) + " (the statement returns " +
                                             std::to_string(column_count()) + ")");
        return col;
    }
    std::string_view value(int col) const {
        int row = current_row();
        return {PQgetvalue(result_.get(), row, col), static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
    }
    bool read_boolean(std::string_view v) const {
        if (binary_results_) return !v.empty() && v[0] != 0;
        return v == "t";
    }
    std::string numeric(std::string_view v) const {
        return binary_results_ ? detail::pg::numeric_text(v.data(), static_cast<int>(v.size())) : std::string(v);
    }

    [[noreturn]] void type_mismatch(std::string_view expected, int col) const {
        auto c = static_cast<std::size_t>(col);
        throw detail::conversion_failure("expected " + std::string(expected) + ", found " +
                                         detail::pg::type_name(kinds_[c], types_[c]));
    }
    void trace_text(std::string_view v) {
        if (link_->context->traced()) trace_parameter("'" + std::string(v) + "'");
    }
    void trace_parameter(std::string_view rendered) {
        if (link_->context->traced()) parameters_.emplace_back(rendered);
    }

    detail::pg::link* link_;
    std::string name_;
    std::string_view sql_;
    std::vector<Oid> param_types_;
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<std::string> owned_;  // one buffer per parameter, reused run after run
    std::vector<kind> kinds_;         // of the result columns
    std::vector<Oid> types_;
    std::vector<std::string> names_;  // of the result columns, for messages
    bool binary_results_ = true;
    detail::pg::result_ptr result_;
    int rows_ = 0;
    int row_ = -1;
    bool executed_ = false;
    int batch_ = 0;            // rows per FETCH of a stream; 0: one PQexecPrepared
    std::string cursor_;       // the stream's open cursor
    std::string fetch_text_;
    bool holdable_ = false;    // the cursor is WITH HOLD (declared outside a transaction)
    std::chrono::steady_clock::time_point started_;
    std::vector<std::string> parameters_;
};

}  // namespace structql
