#pragma once
// The databases the backend-neutral tests run against, as Catch2 TEMPLATE_TEST_CASE types:
//
//   structql_test::sqlite      a file in a temporary directory
//   structql_test::postgresql  a fresh schema (dropped afterwards) in the server that ctest
//                              starts (tests/postgresql/server.sh); its URL comes from the
//                              environment variable STRUCTQL_TEST_POSTGRES_URL
//
// Each has make_engine(options), probe() -- an independent look at the database through the
// driver's own C API (sqlite3 / libpq), with exec(sql), count(sql) and query(sql) returning text
// cells -- placeholder(n) for SQL written by hand ("?" / "$n"), and enforce_foreign_keys(engine)
// (SQLite's PRAGMA through on_connect; PostgreSQL always enforces them). Beyond those:
//   stored(probe, table, column, id)      one stored value, its storage class as the database
//                                         reports it (typeof / pg_typeof) and its exact content
//   take_write_lock(probe, tables)        throws unless the probe can lock the tables for writing
//                                         at once (no connection holds a write lock)
//   in_transaction(native_handle)         the driver's own answer (sqlite3 / libpq)
//   make_counted_engine(options),         an engine whose connections the server can count;
//   server_connections(expected)          SQLite has no server: std::nullopt
//   unique_violation, not_null_violation, foreign_key_violation: the database's own wording
//   indexes(probe, table)                 the table's own indexes, "name unique(0/1) col,col" by name
//   checks(probe, table)                  the table's named CHECK constraints, by name
//   server_default(probe, table, column)  the column's DEFAULT as the database shows it, "" for none
//   insert_generated_key_sql<T>           the INSERT a session runs for a key left at 0
//   timestamp_precision                   what a stored timestamp keeps (written truncated to it)
//
// A test starts with STRUCTQL_REQUIRE_BACKEND(TestType): without a PostgreSQL server the
// PostgreSQL instance prints why and returns, and ctest reports it as skipped (the line starts
// with "STRUCTQL_SKIP", ctest's SKIP_REGULAR_EXPRESSION).
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <structql/postgresql.hpp>

#include "pg_probe.hpp"
#include "support.hpp"

namespace structql_test {

// One stored value as the database itself reports it.
enum class storage { null, integer, real, boolean, text, blob, timestamp, other };
struct cell {
    storage type = storage::other;
    std::int64_t integer = 0;  // integer and boolean (0 / 1)
    double real = 0;           // real, exactly
    std::string bytes;         // text and blob content, exactly; a timestamp as the database shows it
};

// Prints why a test does not run; ctest marks the test skipped (SKIP_REGULAR_EXPRESSION).
inline void report_skip(const std::string& reason) { std::cout << "STRUCTQL_SKIP: " << reason << std::endl; }

#define STRUCTQL_REQUIRE_BACKEND(Database) \
    if (!Database::available()) return

// What a test names through its database type.
template <class Backend, class Probe>
struct database_types {
    using backend = Backend;
    using engine_type = structql::basic_engine<Backend>;
    using session_type = structql::basic_session<Backend>;
    using connection_type = structql::basic_connection<Backend>;
    using probe_type = Probe;
    static constexpr bool is_sqlite = std::is_same_v<Backend, structql::sqlite_backend>;
    static constexpr bool is_postgresql = std::is_same_v<Backend, structql::postgresql_backend>;
    using dialect = typename Backend::dialect;
    // The INSERT a session runs for an object whose generated key is left at 0.
    template <class T>
    static constexpr std::string_view insert_generated_key_sql = structql::sql::insert_generated_in<dialect, T>;
};

struct sqlite : database_types<structql::sqlite_backend, sqlite_file> {
    using timestamp_precision = std::chrono::nanoseconds;  // UTC text with nine decimals

    static bool available() { return true; }

    temp_dir dir;

    std::string url() const { return dir.url("test.db"); }
    engine_type make_engine(structql::engine_options options = {}) const {
        return structql::create_engine<backend>(url(), std::move(options));
    }
    // The database file must exist: open the probe after the engine made it.
    probe_type probe() const { return probe_type(dir.path() / "test.db"); }
    static std::string placeholder(int) { return "?"; }
    static void enforce_foreign_keys(engine_type& engine) {
        engine.on_connect([](connection_type& c) { c.execute("PRAGMA foreign_keys=ON"); });
    }

    // The storage class sqlite3 reports (typeof) and the value read by that class.
    static cell stored(probe_type& probe, std::string_view table, std::string_view column, std::int64_t id) {
        std::string sql = "SELECT \"" + std::string(column) + "\" FROM \"" + std::string(table) + "\" WHERE id = " +
                          std::to_string(id);
        sqlite3* db = probe.handle();
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " in " + sql);
        if (sqlite3_step(stmt) != SQLITE_ROW) {
            sqlite3_finalize(stmt);
            throw std::runtime_error("no row from " + sql);
        }
        cell c;
        switch (sqlite3_column_type(stmt, 0)) {
            case SQLITE_NULL: c.type = storage::null; break;
            case SQLITE_INTEGER: c.type = storage::integer; c.integer = sqlite3_column_int64(stmt, 0); break;
            case SQLITE_FLOAT: c.type = storage::real; c.real = sqlite3_column_double(stmt, 0); break;
            default: {
                c.type = sqlite3_column_type(stmt, 0) == SQLITE_TEXT ? storage::text : storage::blob;
                const void* p = sqlite3_column_blob(stmt, 0);
                c.bytes.assign(p ? static_cast<const char*>(p) : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
            }
        }
        sqlite3_finalize(stmt);
        return c;
    }
    // The write lock is on the whole file.
    static void take_write_lock(probe_type& probe, std::string_view /*tables*/) { probe.exec("BEGIN IMMEDIATE; ROLLBACK;"); }
    static bool in_transaction(sqlite3* handle) { return sqlite3_get_autocommit(handle) == 0; }

    engine_type make_counted_engine(structql::engine_options options = {}) const { return make_engine(std::move(options)); }
    std::optional<std::int64_t> server_connections(std::int64_t /*expected*/) const { return std::nullopt; }

    static std::string unique_violation(std::string_view table, std::string_view column, bool /*primary_key*/ = false) {
        return "UNIQUE constraint failed: " + std::string(table) + "." + std::string(column);
    }
    static std::string not_null_violation(std::string_view table, std::string_view column) {
        return "NOT NULL constraint failed: " + std::string(table) + "." + std::string(column);
    }
    static std::string foreign_key_violation(std::string_view, std::string_view) { return "FOREIGN KEY constraint failed"; }

    static std::vector<std::string> indexes(probe_type& probe, const std::string& table) {
        std::vector<std::string> out;
        for (auto& row : probe.query("SELECT il.name || ' ' || il.\"unique\" || ' ' || (SELECT group_concat(ii.name, ',') "
                                     "FROM pragma_index_info(il.name) ii) FROM pragma_index_list('" + table + "') il "
                                     "WHERE il.origin = 'c' ORDER BY il.name"))
            out.push_back(*row[0]);
        return out;
    }
    // SQLite keeps no list of them: read from the CREATE TABLE text, CONSTRAINT "name" CHECK.
    static std::vector<std::string> checks(probe_type& probe, const std::string& table) {
        auto sql = probe.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'");
        const std::string text = sql.empty() ? "" : sql[0][0].value_or("");
        std::vector<std::string> out;
        for (std::size_t at = text.find("CONSTRAINT \""); at != std::string::npos; at = text.find("CONSTRAINT \"", at + 1))
            if (std::size_t end = text.find('"', at + 12); end != std::string::npos && text.compare(end, 8, "\" CHECK ") == 0)
                out.push_back(text.substr(at + 12, end - at - 12));
        std::sort(out.begin(), out.end());
        return out;
    }
    static std::string server_default(probe_type& probe, const std::string& table, const std::string& column) {
        auto rows = probe.query("SELECT dflt_value FROM pragma_table_info('" + table + "') WHERE name = '" + column + "'");
        return rows.empty() ? "" : rows[0][0].value_or("");
    }
};

struct postgresql : database_types<structql::postgresql_backend, pg_probe> {
    using timestamp_precision = std::chrono::microseconds;  // TIMESTAMPTZ

    // The server's URL, from STRUCTQL_TEST_POSTGRES_URL; std::nullopt and a message when there is
    // none or it does not answer.
    static std::optional<std::string> server_url() {
        static const std::optional<std::string> found = []() -> std::optional<std::string> {
            const char* url = std::getenv("STRUCTQL_TEST_POSTGRES_URL");
            if (!url || !*url) {
                skip_reason() =
                    "no PostgreSQL server: STRUCTQL_TEST_POSTGRES_URL is not set (ctest starts one when "
                    "/usr/lib/postgresql/15/bin/initdb exists)";
                return std::nullopt;
            }
            PGconn* conn = PQconnectdb(url);
            bool ok = PQstatus(conn) == CONNECTION_OK;
            if (!ok) skip_reason() = std::string("no PostgreSQL server at ") + url + ": " + PQerrorMessage(conn);
            PQfinish(conn);
            if (!ok) return std::nullopt;
            return std::string(url);
        }();
        return found;
    }
    static bool available() {
        if (server_url()) return true;
        report_skip(skip_reason());
        return false;
    }

    std::string schema = unique_schema_name();
    pg_probe admin{*server_url()};
    std::string schema_url;  // the server's URL, every connection's search_path set to the schema

    postgresql() {
        admin.exec("CREATE SCHEMA " + schema);
        schema_url = *server_url() + (server_url()->find('?') == std::string::npos ? "?" : "&") +
                     "options=-c%20search_path%3D" + schema;
    }
    postgresql(const postgresql&) = delete;
    ~postgresql() {
        try {
            admin.exec("DROP SCHEMA " + schema + " CASCADE");
        } catch (...) {
        }
    }

    std::string url() const { return schema_url; }
    engine_type make_engine(structql::engine_options options = {}) const {
        return structql::create_engine<backend>(url(), std::move(options));
    }
    probe_type probe() const { return probe_type(url()); }
    static std::string placeholder(int n) { return "$" + std::to_string(n); }
    static void enforce_foreign_keys(engine_type&) {}

    // pg_typeof and the value in PostgreSQL's text format (timestamps shown in UTC).
    static cell stored(probe_type& probe, std::string_view table, std::string_view column, std::int64_t id) {
        std::string c = "\"" + std::string(column) + "\"";
        probe.exec("SET TimeZone = 'UTC'");
        auto rows = probe.query("SELECT pg_typeof(" + c + ")::text, " + c + "::text FROM \"" + std::string(table) +
                                "\" WHERE id = " + std::to_string(id));
        if (rows.empty()) throw std::runtime_error("no row " + std::to_string(id) + " in " + std::string(table));
        cell out;
        const std::string type = *rows[0][0];
        if (!rows[0][1]) {
            out.type = storage::null;
            return out;
        }
        const std::string& text = *rows[0][1];
        if (type == "bigint" || type == "integer" || type == "smallint") {
            out.type = storage::integer;
            out.integer = std::stoll(text);
        } else if (type == "double precision" || type == "real") {
            out.type = storage::real;
            out.real = std::strtod(text.c_str(), nullptr);  // the shortest exact form; NaN, Infinity
        } else if (type == "boolean") {
            out.type = storage::boolean;
            out.integer = text == "true" ? 1 : 0;  // boolean::text, not the output format's "t"
            out.bytes = text;
        } else if (type == "bytea") {
            out.type = storage::blob;
            for (std::size_t i = 2; i + 1 < text.size(); i += 2)  // "\x0a1b..."
                out.bytes += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
        } else {
            out.type = type == "text" ? storage::text : type == "timestamp with time zone" ? storage::timestamp : storage::other;
            out.bytes = text;
        }
        return out;
    }
    // EXCLUSIVE mode conflicts with every lock a write takes, not with plain reads.
    static void take_write_lock(probe_type& probe, std::string_view tables) {
        try {
            probe.exec("BEGIN; SET LOCAL lock_timeout = '1s'; LOCK TABLE " + std::string(tables) +
                       " IN EXCLUSIVE MODE; ROLLBACK");
        } catch (...) {
            probe.exec("ROLLBACK");
            throw;
        }
    }
    static bool in_transaction(PGconn* handle) { return PQtransactionStatus(handle) != PQTRANS_IDLE; }

    // Its connections carry the schema's name as their application_name, for pg_stat_activity.
    engine_type make_counted_engine(structql::engine_options options = {}) const {
        return structql::create_engine<backend>(url() + "&application_name=" + schema, std::move(options));
    }
    // The server's connections from make_counted_engine's engines, once it has `expected` of
    // them or after 5 s (a closed connection's server process ends a moment later).
    std::optional<std::int64_t> server_connections(std::int64_t expected) const {
        pg_probe probe(*server_url());
        std::int64_t n = -1;
        for (int i = 0; i < 500; ++i) {
            n = probe.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + schema + "'");
            if (n == expected) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return n;
    }

    static std::string unique_violation(std::string_view table, std::string_view column, bool primary_key = false) {
        return "violates unique constraint \"" + std::string(table) + (primary_key ? "_pkey" : "_" + std::string(column) + "_key") + "\"";
    }
    static std::string not_null_violation(std::string_view table, std::string_view column) {
        return "null value in column \"" + std::string(column) + "\" of relation \"" + std::string(table) +
               "\" violates not-null constraint";
    }
    static std::string foreign_key_violation(std::string_view table, std::string_view column) {
        return "violates foreign key constraint \"" + std::string(table) + "_" + std::string(column) + "_fkey\"";
    }

    static std::vector<std::string> indexes(probe_type& probe, const std::string& table) {
        std::vector<std::string> out;
        for (auto& row : probe.query(
                 "SELECT i.relname || ' ' || CASE WHEN ix.indisunique THEN '1' ELSE '0' END || ' ' || "
                 "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(ix.indkey::int2[]) WITH ORDINALITY "
                 "AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) "
                 "FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
                 "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relname = '" +
                 table + "' AND NOT ix.indisprimary "
                 "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid) ORDER BY i.relname"))
            out.push_back(*row[0]);
        return out;
    }
    static std::vector<std::string> checks(probe_type& probe, const std::string& table) {
        std::vector<std::string> out;
        for (auto& row : probe.query("SELECT con.conname FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid "
                                     "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() "
                                     "AND t.relname = '" + table + "' AND con.contype = 'c' ORDER BY 1"))
            out.push_back(*row[0]);
        return out;
    }
    static std::string server_default(probe_type& probe, const std::string& table, const std::string& column) {
        auto rows = probe.query("SELECT column_default FROM information_schema.columns WHERE table_schema = current_schema() "
                                "AND table_name = '" + table + "' AND column_name = '" + column + "'");
        return rows.empty() ? "" : rows[0][0].value_or("");
    }

private:
    static std::string& skip_reason() {
        static std::string reason;
        return reason;
    }
    static std::string unique_schema_name() {
        static std::atomic<int> counter{0};
        std::random_device rd;
        return "structql_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
               std::to_string(rd() % 1000000);
    }
};

// A PostgreSQL server of its own, for a test that restarts or stops it: started with
// tests/postgresql/server.sh in a fresh directory, stopped and removed at the end. url() is
// empty (and the reason printed) when no server can be started.
class private_pg_server {
public:
    private_pg_server() : dir_("/tmp/structql-pg-own-" + std::to_string(::getpid())) {
        std::string output;
        int status = run("start", &output);
        while (!output.empty() && output.back() == '\n') output.pop_back();
        std::string last = output.substr(output.rfind('\n') == std::string::npos ? 0 : output.rfind('\n') + 1);
        if (status == 0 && last.starts_with("postgresql://")) url_ = last;
        else report_skip("no private PostgreSQL server: " + output);
    }
    private_pg_server(const private_pg_server&) = delete;
    ~private_pg_server() { run("stop"); }

    const std::string& url() const { return url_; }
    // pg_ctl restart -m fast: every open connection is cut.
    void restart() {
        if (run("restart") != 0) throw std::runtime_error("server.sh restart failed");
    }

private:
    int run(const std::string& command, std::string* output = nullptr) {
        std::string line = "bash '" STRUCTQL_TEST_POSTGRES_SCRIPT "' " + command + " '" + dir_ + "' 2>&1";
        FILE* pipe = ::popen(line.c_str(), "r");
        if (!pipe) return -1;
        char buffer[512];
        std::size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
            if (output) output->append(buffer, n);
        return ::pclose(pipe);
    }

    std::string dir_;
    std::string url_;
};

}  // namespace structql_test
