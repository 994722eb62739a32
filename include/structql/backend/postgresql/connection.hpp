#pragma once
// The PostgreSQL backend (libpq): one connection, its cache of server-side prepared statements,
// binding and reading of the six storage types, and the mapping of SQLSTATEs to StructQL's
// errors. Include it through <structql/postgresql.hpp>; link with -lpq.
//
// Protocol: each statement shape is prepared once per connection (PQprepare under a name unique
// to the connection) and described (PQdescribePrepared: the types the server gave its
// parameters and result columns); every run is a PQexecPrepared. Values travel in binary, in
// network byte order, when the server's type is the one StructQL would use (BIGINT, DOUBLE
// PRECISION, BOOLEAN, BYTEA, TIMESTAMPTZ; TEXT as its bytes), and as text otherwise (an INTEGER
// column made by hand, a JSON parameter), for the server to convert. Results come in binary
// unless a column has a type StructQL does not decode, and then the statement reads text.
//
// Timestamps: PostgreSQL keeps microseconds. A structql::timestamp is written truncated toward
// negative infinity to whole microseconds (std::chrono::floor), so 1969-12-31 23:59:59.9999999
// is stored as ...59.999999, and read back exactly as stored.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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


#include "structql/backend/postgresql/statement.hpp"
#include "structql/url.hpp"

namespace structql {

// One physical PostgreSQL connection with its statement cache. Statements whose text has static
// storage (the compile-time SQL) are keyed by address; others by their text.
class libpq_connection {
public:
    using native_handle_type = PGconn*;

    libpq_connection(const postgresql_connect_args& args, detail::engine_context* context)
        : cache_(context->options.statement_cache_size, this, &prepare) {
        link_.context = context;
        // The engine's isolation level and read-only switch travel as server settings in the
        // startup packet (libpq's "options"): no statement, no extra round trip.
        std::string settings = server_settings(context->options);
        bool url_options = false;
        std::vector<const char*> keywords, values;
        for (const auto& [key, value] : args.parameters) {
            if (key == "options" && !settings.empty()) {
                settings = value + " " + settings;
                url_options = true;
                continue;
            }
            keywords.push_back(key.c_str());
            values.push_back(value.c_str());
        }
        if (!settings.empty()) {
            // libpq reads PGOPTIONS only when no options are given: keep what it says.
            if (const char* environment = std::getenv("PGOPTIONS"); environment && !url_options)
                settings = std::string(environment) + " " + settings;
            keywords.push_back("options");
            values.push_back(settings.c_str());
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        link_.conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0);
        if (!link_.conn || PQstatus(link_.conn) != CONNECTION_OK) {
            // libpq's messages never show the password.
            std::string message = link_.conn ? PQerrorMessage(link_.conn) : "out of memory";
            while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
            PQfinish(link_.conn);
            link_.conn = nullptr;
            throw operational_error("cannot connect to PostgreSQL (" + args.display + "): " + message);
        }
        PQsetNoticeProcessor(link_.conn, [](void*, const char*) {}, nullptr);  // no NOTICEs on stderr
        context->statistics.connections_opened.fetch_add(1, std::memory_order_relaxed);
    }
    // "-c name=value" for each engine option that is a server setting (a space in a value is
    // escaped, as libpq's options string requires).
    static std::string server_settings(const engine_options& options) {
        std::string out;
        if (options.isolation) {
            constexpr std::string_view levels[] = {"read\\ committed", "repeatable\\ read", "serializable"};
            out += "-c default_transaction_isolation=";
            out += levels[static_cast<int>(*options.isolation)];
        }
        if (options.read_only) out += std::string(out.empty() ? "" : " ") + "-c default_transaction_read_only=on";
        return out;
    }
    libpq_connection(const libpq_connection&) = delete;
    libpq_connection& operator=(const libpq_connection&) = delete;
    ~libpq_connection() { close(); }

    std::chrono::steady_clock::time_point opened_at() const noexcept { return opened_at_; }

    // Whether the connection still answers (the pool's pre-ping).
    bool ping() noexcept {
        if (broken()) return false;
        detail::pg::result_ptr result(PQexec(link_.conn, "SELECT 1"));
        bool ok = result && PQresultStatus(result.get()) == PGRES_TUPLES_OK;
        if (!ok) link_.broken = true;
        return ok;
    }

    PGconn* native_handle() const noexcept { return link_.conn; }

    // The prepared statement for SQL text with static storage duration (compile-time SQL).
    libpq_statement& prepare_static(std::string_view sql) { return cache_.find_static(sql); }
    // The prepared statement for SQL text built at run time, cached by its text.
    libpq_statement& prepare_text(std::string sql) { return cache_.find_text(std::move(sql)); }
    // The prepared statement for a shape known only at run time (an UPDATE of some columns),
    // cached under (tag, variant); `build` makes its text the first time only.
    template <class Build>
    libpq_statement& prepare_generated(const void* tag, std::uint64_t variant, Build&& build) {
        return cache_.find_generated(tag, variant, std::forward<Build>(build));
    }

    // Runs SQL text directly (several statements allowed, no parameters).
    void execute(std::string_view sql) {
        auto* context = link_.context;
        bool traced = context->traced();
        if (traced) context->before(sql, {});
        auto started = std::chrono::steady_clock::now();
        context->statistics.statements_executed.fetch_add(1, std::memory_order_relaxed);
        struct after_on_exit {
            detail::engine_context* context;
            std::string_view sql;
            bool traced;
            std::chrono::steady_clock::time_point started;
            ~after_on_exit() {
                if (traced) context->after(sql, {}, std::chrono::steady_clock::now() - started);
            }
        } after{context, sql, traced, started};
        link_.run(sql);
    }

    void begin() { execute("BEGIN"); }
    // MVCC: a writer never needs to announce itself at BEGIN.
    void begin_write() { begin(); }
    // COMMIT of a transaction an error aborted would silently roll it back: say so instead.
    void commit() {
        if (PQtransactionStatus(link_.conn) == PQTRANS_INERROR) {
            execute("ROLLBACK");
            throw operational_error(
                "COMMIT: the transaction was aborted by an earlier error (PostgreSQL ignores every command until "
                "the end of the transaction block); it has been rolled back");
        }
        execute("COMMIT");
    }
    void rollback() { execute("ROLLBACK"); }
    bool in_transaction() const noexcept {
        auto status = PQtransactionStatus(link_.conn);
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
    }

    // The value most recently generated by a sequence (an identity column) on this connection:
    // SELECT lastval(). Sessions read generated keys with INSERT ... RETURNING instead.
    std::int64_t last_insert_id() {
        detail::pg::result_ptr result(PQexec(link_.conn, "SELECT lastval()"));
        link_.check(result, "SELECT lastval()", PGRES_TUPLES_OK);
        return detail::pg::integer_from_text(PQgetvalue(result.get(), 0, 0));
    }
    // The rows changed by the last INSERT, UPDATE or DELETE.
    std::int64_t changes() const noexcept { return link_.changes; }
    // Foreign keys and their ON DELETE actions are always enforced.
    bool enforces_foreign_keys() const noexcept { return true; }

    // Whether the server went away: the pool closes such a connection instead of keeping it.
    bool broken() const noexcept { return link_.broken || !link_.conn || PQstatus(link_.conn) == CONNECTION_BAD; }

    // Leaves the connection as the pool wants it: no transaction open, no result held.
    void reset_for_pool() noexcept {
        cache_.for_each([](libpq_statement& statement) { statement.reset(); });
        if (!broken() && in_transaction()) {
            detail::pg::result_ptr result(PQexec(link_.conn, "ROLLBACK"));
            if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) link_.broken = true;
        }
        if (!broken() && link_.cursor_left) {  // a stream's WITH HOLD cursor an aborted transaction kept open
            detail::pg::result_ptr result(PQexec(link_.conn, "CLOSE ALL"));
            if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) link_.broken = true;
            link_.cursor_left = false;
        }
    }

private:
    // The statement cache's way to prepare what it does not hold.
    static std::unique_ptr<libpq_statement> prepare(void* self, std::string_view sql) {
        return static_cast<libpq_connection*>(self)->prepare_new(sql);
    }
    // PQprepare under a name unique to the connection, then PQdescribePrepared for the types the
    // server chose for the parameters and result columns.
    std::unique_ptr<libpq_statement> prepare_new(std::string_view sql) {
        std::string name = "structql_" + std::to_string(++statement_names_);
        std::string text(sql);  // NUL-terminated for libpq
        detail::pg::result_ptr prepared(PQprepare(link_.conn, name.c_str(), text.c_str(), 0, nullptr));
        link_.check(prepared, sql, PGRES_COMMAND_OK);
        detail::pg::result_ptr description(PQdescribePrepared(link_.conn, name.c_str()));
        link_.check(description, sql, PGRES_COMMAND_OK);
        link_.context->statistics.statements_prepared.fetch_add(1, std::memory_order_relaxed);
        return std::make_unique<libpq_statement>(&link_, std::move(name), sql, description.get());
    }

    void close() noexcept {
        if (!link_.conn) return;
        PQfinish(link_.conn);
        link_.conn = nullptr;  // first: the statements need not DEALLOCATE one by one
        cache_.clear();
        link_.context->statistics.connections_closed.fetch_add(1, std::memory_order_relaxed);
    }

    detail::pg::link link_;
    std::uint64_t statement_names_ = 0;
    std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
    detail::statement_cache<libpq_statement> cache_;
};

// The backend trait the engine and session are templated on.
struct postgresql_backend {
    using dialect = sql::postgresql_dialect;
    using connection_type = libpq_connection;
    using statement_type = libpq_statement;
    using connect_args = postgresql_connect_args;

    // A URL's parts and query string as libpq's connection keywords; url_error for a URL of
    // another database or a query key libpq does not know.
    static postgresql_connect_args connect_args_from(const url& u, engine_options&) {
        if (u.dialect != "postgresql")
            throw url_error("create_engine<postgresql_backend>: '" + u.render() + "' is a " + u.dialect +
                            " URL; this engine type speaks PostgreSQL (postgresql://user:password@host:port/dbname)");
        postgresql_connect_args args;
        args.display = u.render();
        auto& p = args.parameters;
        p.emplace_back("client_encoding", "UTF8");
        p.emplace_back("fallback_application_name", "structql");
        if (u.username) p.emplace_back("user", *u.username);
        if (u.password) p.emplace_back("password", *u.password);
        if (u.host) p.emplace_back("host", *u.host);
        if (u.port) p.emplace_back("port", std::to_string(*u.port));
        if (!u.database.empty()) p.emplace_back("dbname", u.database);
        for (const auto& [key, value] : u.query) {
            if (!is_libpq_keyword(key))
                throw url_error("create_engine: '" + key + "' in '" + u.render() +
                                "' is not a libpq connection keyword (see the libpq manual's \"Parameter Key "
                                "Words\": sslmode, connect_timeout, application_name, host, options, ...)");
            p.emplace_back(key, value);
        }
        return args;
    }

    static bool is_libpq_keyword(std::string_view key) {
        PQconninfoOption* options = PQconndefaults();
        bool found = false;
        for (PQconninfoOption* o = options; o && o->keyword; ++o) found = found || key == o->keyword;
        PQconninfoFree(options);
        return found;
    }

    // A server database needs no connection kept open between uses.
    static bool keeps_one_open(const connect_args&) noexcept { return false; }

    // Whether an integrity_error's message reports a foreign-key violation (SQLSTATE 23503).
    static bool is_foreign_key_violation(std::string_view message) noexcept {
        return message.find("(SQLSTATE 23503)") != std::string_view::npos;
    }
};

}  // namespace structql
