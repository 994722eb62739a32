// The harness's untimed parts: data sets, scratch databases, raw set-up, checks.
#include "harness.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <system_error>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define STRUCTQL_BENCH_CALLGRIND 1
#endif

namespace bench {

sizes_t& sizes() {
    static sizes_t s;
    return s;
}

User make_user(std::int64_t id) {
    std::optional<std::string> hair;
    if (id % 2 == 1) hair = "black";
    else if (id % 4 == 2) hair = "brown";
    return User{id, "User " + std::to_string(id), std::move(hair)};
}

dataset users_data(std::int64_t count) {
    dataset d;
    d.users.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 1; i <= count; ++i) d.users.push_back(make_user(i));
    return d;
}

namespace {
Post make_post(std::int64_t id, std::int64_t user) {
    std::optional<std::string> body;
    if (id % 2 == 0) body = "Body " + std::to_string(id);
    return Post{id, user, "Post " + std::to_string(id), std::move(body)};
}
}  // namespace

dataset medium_data(std::int64_t users) {
    dataset d = users_data(users);
    for (const User& u : d.users)
        for (std::int64_t k = 0; k < u.id % 3; ++k)
            d.posts.push_back(make_post(static_cast<std::int64_t>(d.posts.size()) + 1, u.id));
    return d;
}

dataset association_data() {
    const sizes_t& s = sizes();
    dataset d = users_data(s.association_users);
    for (const User& u : d.users)
        for (std::int64_t k = 0; k < s.posts_per_user; ++k)
            d.posts.push_back(make_post(static_cast<std::int64_t>(d.posts.size()) + 1, u.id));
    for (const Post& p : d.posts)
        for (std::int64_t k = 0; k < s.comments_per_post; ++k) {
            std::int64_t id = static_cast<std::int64_t>(d.comments.size()) + 1;
            d.comments.push_back(Comment{id, p.id, "Comment " + std::to_string(id)});
        }
    return d;
}

std::vector<User> new_users(std::int64_t count) {
    std::vector<User> users = users_data(count).users;
    for (User& u : users) u.id = 0;
    return users;
}

std::vector<std::int64_t> ids_1_to(std::int64_t count) {
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 1; i <= count; ++i) ids.push_back(i);
    return ids;
}

std::string_view storage_name(storage s) {
    switch (s) {
        case storage::memory: return "memory";
        case storage::wal_file: return "wal";
        case storage::postgresql: break;
    }
    return "postgresql";
}

std::optional<std::string> postgres_server_url() {
    const char* url = std::getenv("STRUCTQL_BENCH_POSTGRES_URL");
    if (!url || !*url) return std::nullopt;
    return url;
}

std::string target::structql_url() const {
    if (kind == storage::postgresql) return postgres_url;
    return kind == storage::memory ? "sqlite://" : "sqlite:///" + file.string();
}
std::string target::sqlite_filename() const { return kind == storage::memory ? ":memory:" : file.string(); }

std::filesystem::path scratch_directory() {
    if (const char* dir = std::getenv("STRUCTQL_BENCH_DIR"); dir && *dir) return dir;
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
    return std::filesystem::temp_directory_path();
}

namespace {
void remove_database_files(const std::filesystem::path& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(file.string() + suffix, ec);
}
}  // namespace

namespace {
// Runs SQL on the server as given by $STRUCTQL_BENCH_POSTGRES_URL (outside any benchmark schema).
void exec_on_server(const std::string& sql) {
    PGconn* admin = connect_postgres(*postgres_server_url());
    try {
        exec(admin, sql);
    } catch (...) {
        PQfinish(admin);
        throw;
    }
    PQfinish(admin);
}
}  // namespace

scratch_database::scratch_database(storage kind) : target_{kind, {}, {}} {
    if (kind == storage::memory) return;
    static std::atomic<int> counter{0};
    std::string name = "structql-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    if (kind == storage::postgresql) {
        std::replace(name.begin(), name.end(), '-', '_');
        exec_on_server("DROP SCHEMA IF EXISTS " + name + " CASCADE; CREATE SCHEMA " + name);
        const std::string server = *postgres_server_url();
        target_.postgres_url = server + (server.find('?') == std::string::npos ? "?" : "&") +
                               "options=-c%20search_path%3D" + name;
        schema_ = name;
        return;
    }
    target_.file = scratch_directory() / (name + ".db");
    remove_database_files(target_.file);
}

scratch_database::~scratch_database() {
    if (target_.kind == storage::wal_file) remove_database_files(target_.file);
    if (target_.kind == storage::postgresql) {
        try {
            exec_on_server("DROP SCHEMA " + schema_ + " CASCADE");
        } catch (const std::exception& e) {
            std::cerr << "dropping the benchmark schema: " << e.what() << std::endl;
        }
    }
}

void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        throw std::runtime_error(text + " [SQL: " + sql + "]");
    }
}

std::int64_t query_int(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " [SQL: " + sql + "]");
    std::int64_t value = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return value;
}

std::vector<std::string> configuration_pragmas(storage kind) {
    if (kind == storage::memory) return {"PRAGMA foreign_keys=ON"};
    return {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"};
}

void create_schema(sqlite3* db) {
    // The text StructQL generates, so that every implementation runs on the same schema.
    for (std::string_view sql : {sq::sql::create_table<User>, sq::sql::create_table<Post>, sq::sql::create_table<Comment>})
        exec(db, std::string(sql));
}

namespace {
// Binds a row's values in order: integers, text, and NULL for an empty optional.
void bind_all(sqlite3_stmt* s, int index, std::int64_t v) { sqlite3_bind_int64(s, index, v); }
void bind_all(sqlite3_stmt* s, int index, const std::string& v) {
    sqlite3_bind_text(s, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_all(sqlite3_stmt* s, int index, const std::optional<std::string>& v) {
    if (v) bind_all(s, index, *v);
    else sqlite3_bind_null(s, index);
}

// Each table's columns as seeding writes them, through sqlite3 and libpq alike.
auto user_columns(const User& u) { return std::tie(u.id, u.name, u.hair_color); }
auto post_columns(const Post& p) { return std::tie(p.id, p.user_id.value, p.title, p.body); }
auto comment_columns(const Comment& c) { return std::tie(c.id, c.post_id.value, c.text); }

template <class Row, class Values>
void insert_rows(sqlite3* db, const char* sql, const std::vector<Row>& rows, Values values) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
    for (const Row& row : rows) {
        int index = 1;
        std::apply([&](const auto&... v) { (bind_all(s, index++, v), ...); }, values(row));
        if (sqlite3_step(s) != SQLITE_DONE) {
            std::string message = sqlite3_errmsg(db);
            sqlite3_finalize(s);
            throw std::runtime_error("seeding: " + message);
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
}
}  // namespace

void seed(sqlite3* db, const dataset& data) {
    exec(db, "BEGIN");
    insert_rows(db, "INSERT INTO users (id, name, hair_color) VALUES (?, ?, ?)", data.users, user_columns);
    insert_rows(db, "INSERT INTO posts (id, user_id, title, body) VALUES (?, ?, ?, ?)", data.posts, post_columns);
    insert_rows(db, "INSERT INTO comments (id, post_id, text) VALUES (?, ?, ?)", data.comments, comment_columns);
    exec(db, "COMMIT");
}

void clear_users(sqlite3* db) { exec(db, "DELETE FROM users"); }

PGconn* connect_postgres(const std::string& url) {
    PGconn* db = PQconnectdb(url.c_str());
    if (PQstatus(db) != CONNECTION_OK) {
        std::string message = PQerrorMessage(db);
        PQfinish(db);
        throw std::runtime_error("cannot connect to PostgreSQL at " + url + ": " + message);
    }
    PQsetNoticeProcessor(db, [](void*, const char*) {}, nullptr);
    return db;
}

namespace {
struct pg_result {
    PGresult* result;
    ~pg_result() { PQclear(result); }
};
pg_result checked(PGresult* result, ExecStatusType expected, const std::string& sql) {
    if (PQresultStatus(result) != expected) {
        std::string message = PQresultErrorMessage(result);
        PQclear(result);
        throw std::runtime_error(message + " [SQL: " + sql + "]");
    }
    return {result};
}
}  // namespace

void exec(PGconn* db, const std::string& sql) { checked(PQexec(db, sql.c_str()), PGRES_COMMAND_OK, sql); }

std::int64_t query_int(PGconn* db, const std::string& sql) {
    pg_result r = checked(PQexec(db, sql.c_str()), PGRES_TUPLES_OK, sql);
    return PQntuples(r.result) == 1 ? std::stoll(PQgetvalue(r.result, 0, 0)) : -1;
}

void create_schema(PGconn* db) {
    using pg = sq::sql::postgresql_dialect;
    for (std::string_view sql : {sq::sql::create_table_in<pg, User>, sq::sql::create_table_in<pg, Post>,
                                 sq::sql::create_table_in<pg, Comment>})
        exec(db, std::string(sql));
}

namespace {
// COPY's text format: tab-separated, \N for NULL (the data sets have no tabs, newlines or
// backslashes to escape).
void copy_field(std::string& line, std::int64_t v) { line += std::to_string(v); }
void copy_field(std::string& line, const std::string& v) { line += v; }
void copy_field(std::string& line, const std::optional<std::string>& v) { line += v ? *v : "\\N"; }

template <class Row, class Values>
void copy_rows(PGconn* db, const std::string& copy, const std::vector<Row>& rows, Values values) {
    if (rows.empty()) return;
    checked(PQexec(db, copy.c_str()), PGRES_COPY_IN, copy);
    std::string data;
    for (const Row& row : rows) {
        std::apply([&](const auto&... v) { ((copy_field(data, v), data += '\t'), ...); }, values(row));
        data.back() = '\n';
    }
    if (PQputCopyData(db, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(db, nullptr) != 1)
        throw std::runtime_error("seeding: " + std::string(PQerrorMessage(db)));
    checked(PQgetResult(db), PGRES_COMMAND_OK, copy);
    PQclear(PQgetResult(db));
}
}  // namespace

void seed(PGconn* db, const dataset& data) {
    exec(db, "BEGIN");
    copy_rows(db, "COPY users (id, name, hair_color) FROM STDIN", data.users, user_columns);
    copy_rows(db, "COPY posts (id, user_id, title, body) FROM STDIN", data.posts, post_columns);
    copy_rows(db, "COPY comments (id, post_id, text) FROM STDIN", data.comments, comment_columns);
    exec(db, "COMMIT");
}

void clear_users(PGconn* db) { exec(db, "TRUNCATE users RESTART IDENTITY CASCADE"); }

std::string placeholders(std::size_t rows, std::size_t columns) {
    std::string group = "(?";
    for (std::size_t c = 1; c < columns; ++c) group += ", ?";
    group += ")";
    std::string out = group;
    for (std::size_t r = 1; r < rows; ++r) out += ", " + group;
    return out;
}

std::string describe(const summary& s) {
    return std::to_string(s.rows) + " rows, checksum " + std::to_string(s.checksum);
}

namespace {
std::atomic<bool> failed{false};
}

void fail(benchmark::State& state, const std::string& message) {
    failed = true;
    std::cerr << "FAILED: " << message << std::endl;
    state.SkipWithError(message.c_str());
}

bool any_failure() { return failed; }

void check(benchmark::State& state, std::string_view what, const summary& got, const summary& expected) {
    if (got == expected) return;
    fail(state, std::string(what) + ": expected " + describe(expected) + ", got " + describe(got));
}

void profile_collect([[maybe_unused]] bool on) {
#ifdef STRUCTQL_BENCH_CALLGRIND
    static bool collecting = false;  // as with --collect-atstart=no
    if (on != collecting) {
        CALLGRIND_TOGGLE_COLLECT;
        collecting = on;
    }
#endif
}

std::int64_t proc_status_kib(const char* field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    std::string prefix = std::string(field) + ":";
    while (std::getline(status, line))
        if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size()));  // "VmHWM:   1234 kB"
    return -1;
}

}  // namespace bench
