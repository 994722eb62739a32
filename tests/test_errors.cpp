// Errors: constraint violations, a session after a failed flush, values that do not fit their
// members, bad URLs and paths, closed sessions, on a SQLite file and on a PostgreSQL schema. Each
// error is checked for its type and for what its message names (the constraint in the
// database's own words, the statement), what reached the database is checked through the
// driver (sqlite3 / libpq), and after each error the engine is shown to still work (a new
// session commits, and no write lock is left behind).
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <structql/structql.hpp>

#include "backends.hpp"
#include "support.hpp"

namespace errors_test {
namespace sq = structql;
using Catch::Contains;
using structql_test::postgresql;
using structql_test::sqlite;

struct Author {
    std::int64_t id;
    sq::unique<std::string> handle;
};

struct Post {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;
    sq::unique<std::string> slug;
    std::string title;
};

struct Reading {
    std::int64_t id;
    double value;
};

struct Counter {
    std::int64_t id;
    std::uint64_t big;
};

// A user type whose conversion refuses some stored values.
struct Percent {
    int value;
    bool operator==(const Percent&) const = default;
};

}  // namespace errors_test

template <>
struct structql::value_traits<errors_test::Percent> {
    using storage_type = std::int64_t;
    static std::int64_t to_storage(errors_test::Percent p) { return p.value; }
    static errors_test::Percent from_storage(std::int64_t v) {
        if (v < 0 || v > 100) throw std::out_of_range(std::to_string(v) + " is not a percentage");
        return {static_cast<int>(v)};
    }
};

namespace errors_test {

// Read only; its table is made by hand without constraints, so that bad rows can be written.
struct Narrow {
    std::int64_t id;
    std::int32_t small;
    std::uint8_t byte;
    bool flag;
    std::string name;
    double ratio;
    sq::blob data;
    sq::timestamp at;
    Percent pct;
};

using schema = sq::metadata<Post, Author, Reading, Counter>;

static_assert(std::is_base_of_v<std::runtime_error, sq::error>);
static_assert(std::is_base_of_v<sq::error, sq::url_error>);
static_assert(std::is_base_of_v<sq::error, sq::operational_error>);
static_assert(std::is_base_of_v<sq::error, sq::integrity_error>);
static_assert(std::is_base_of_v<sq::error, sq::data_error>);
static_assert(std::is_base_of_v<sq::error, sq::no_result_found>);
static_assert(std::is_base_of_v<sq::error, sq::multiple_results_found>);
static_assert(std::is_base_of_v<sq::error, sq::pending_rollback_error>);
static_assert(std::is_base_of_v<sq::error, sq::stale_data_error>);
static_assert(std::is_base_of_v<sq::error, sq::invalid_request_error>);

// The message of the E that fn() throws; the test fails when it throws nothing (and, with the
// exception, when it throws something else).
template <class E, class F>
std::string error_message(F&& fn) {
    try {
        fn();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("no exception was thrown");
    return {};
}

// A database with the schema; `foreign_keys` turns on SQLite's PRAGMA foreign_keys for every
// connection (PostgreSQL always enforces them).
template <class Database>
struct database {
    using session_type = typename Database::session_type;
    Database db;
    typename Database::engine_type engine;
    typename Database::probe_type file;

    explicit database(bool foreign_keys = true)
        : engine(db.make_engine()), file((setup(engine, foreign_keys), db.probe())) {}

    static void setup(typename Database::engine_type& e, bool foreign_keys) {
        if (foreign_keys) Database::enforce_foreign_keys(e);
        schema::create_all(e);
    }

    session_type session() { return session_type(engine); }
    std::int64_t rows(const std::string& table) { return file.count("SELECT count(*) FROM \"" + table + "\""); }

    // An author and a post, committed; returns the author's id.
    std::int64_t seed() {
        auto s = session();
        Author& a = s.add(Author{.handle = "ann"});
        s.flush();
        s.add(Post{.author_id = a.id, .slug = "hello", .title = "Hello"});
        s.commit();
        return a.id;
    }

    // The engine still works: a new session commits a row the database then holds, and no
    // connection of the engine holds a write lock (another connection can take one at once).
    // Sessions of the test must be closed first: a session's open read transaction would make
    // the commit wait for it (SQLite's rollback journal), which is no error of the engine.
    void check_usable() {
        static int n = 0;
        std::string handle = "usable-" + std::to_string(++n);
        {
            auto s = session();
            s.add(Author{.handle = handle});
            s.commit();
        }
        CHECK(file.count("SELECT count(*) FROM author WHERE handle = '" + handle + "'") == 1);
        CHECK_NOTHROW(Database::take_write_lock(file, "author, post, reading, counter"));
    }
};

// The database with one author ("ann") and one post ("hello") of theirs committed.
template <class Database>
struct seeded_database : database<Database> {
    std::int64_t author = this->seed();
};

}  // namespace errors_test

using namespace errors_test;

TEMPLATE_TEST_CASE("a UNIQUE violation is an integrity_error naming the constraint and the statement", "[errors][integrity]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    const std::int64_t author = db.author;
    auto s = db.session();
    s.add(Post{.author_id = author, .slug = "hello", .title = "again"});
    const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
    CHECK_THAT(message, Contains(TestType::unique_violation("post", "slug")));
    CHECK_THAT(message, Contains(std::string(TestType::template insert_generated_key_sql<Post>)));
    s.rollback();
    CHECK(db.rows("post") == 1);
    CHECK(db.file.count("SELECT count(*) FROM post WHERE title = 'again'") == 0);
    db.check_usable();
}

TEMPLATE_TEST_CASE("a duplicate explicit primary key and a UNIQUE violation by UPDATE are integrity_errors", "[errors][integrity]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    using dialect = typename TestType::dialect;
    seeded_database<TestType> db;
    const std::int64_t author = db.author;
    {
        auto s = db.session();
        s.add(Author{.id = author, .handle = "bob"});
        CHECK_THROWS_WITH(s.commit(), Contains(TestType::unique_violation("author", "id", /*primary_key=*/true)) &&
                                          Contains(std::string(sq::sql::insert_in<dialect, Author>)));
    }
    {
        auto s = db.session();
        Author& b = s.add(Author{.handle = "bob"});
        s.commit();
        b.handle = "ann";  // taken
        const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
        CHECK_THAT(message, Contains(TestType::unique_violation("author", "handle")));
        CHECK_THAT(message, Contains(R"(UPDATE "author" SET "handle" = )" + TestType::placeholder(1) + R"( WHERE "id" = )" +
                                     TestType::placeholder(2)));
    }
    CHECK(db.file.count("SELECT count(*) FROM author WHERE handle = 'ann'") == 1);
    CHECK(db.file.count("SELECT count(*) FROM author WHERE handle = 'bob'") == 1);
    db.check_usable();
}

TEMPLATE_TEST_CASE("a FOREIGN KEY violation is an integrity_error: an orphan insert, the delete of a referenced parent", "[errors][integrity]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;  // SQLite: PRAGMA foreign_keys=ON on every connection
    const std::int64_t author = db.author;
    {
        auto s = db.session();
        s.add(Post{.author_id = 999, .slug = "orphan", .title = "t"});
        const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
        CHECK_THAT(message, Contains(TestType::foreign_key_violation("post", "author_id")));
        CHECK_THAT(message, Contains(R"("post"."author_id" REFERENCES "author" ("id"))"));
    }
    {
        auto s = db.session();
        Author* a = s.template get<Author>(author);
        REQUIRE(a != nullptr);
        s.remove(*a);
        const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
        CHECK_THAT(message, Contains(TestType::foreign_key_violation("post", "author_id")));
        CHECK_THAT(message, Contains(std::string(sq::sql::delete_by_primary_key_in<typename TestType::dialect, Author>)));
    }
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'orphan'") == 0);
    CHECK(db.rows("author") == 1);
    db.check_usable();
}

TEST_CASE("SQLite writes an orphan row when PRAGMA foreign_keys is off (its default)", "[errors][integrity]") {
    // SQLite only: PostgreSQL always enforces foreign keys.
    database<sqlite> db(/*foreign_keys=*/false);
    auto s = db.session();
    s.add(Post{.author_id = 999, .slug = "orphan", .title = "t"});
    CHECK_NOTHROW(s.commit());
    CHECK(db.file.count("SELECT count(*) FROM post WHERE author_id = 999") == 1);
}

TEMPLATE_TEST_CASE("a NOT NULL violation is an integrity_error naming table and column", "[errors][integrity]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    const std::int64_t author = db.author;
    SECTION("raw SQL through a session") {
        auto s = db.session();
        const std::string sql =
            "INSERT INTO post (author_id, slug, title) VALUES (" + TestType::placeholder(1) + ", " + TestType::placeholder(2) + ", NULL)";
        const std::string message =
            error_message<sq::integrity_error>([&] { s.execute(sq::runtime_sql(sql), author, std::string("no-title")); });
        CHECK_THAT(message, Contains(TestType::not_null_violation("post", "title")));
        CHECK_THAT(message, Contains(sql));
    }
    SECTION("raw SQL through a connection") {
        auto c = db.engine.connect();
        CHECK_THROWS_AS(c.execute("INSERT INTO reading (value) VALUES (NULL)"), sq::integrity_error);
        CHECK_THROWS_WITH(c.execute("INSERT INTO reading (value) VALUES (NULL)"),
                          Contains(TestType::not_null_violation("reading", "value")));
    }
    CHECK(db.rows("reading") == 0);
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'no-title'") == 0);
    db.check_usable();
}

TEMPLATE_TEST_CASE("after a failed flush only rollback() and close() are allowed, and rollback() makes the session work again",
          "[errors][session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    const std::int64_t author = db.author;
    auto s = db.session();
    Post* existing = s.template query<Post>().first();
    REQUIRE(existing != nullptr);
    s.add(Post{.author_id = author, .slug = "fresh", .title = "written first"});
    s.add(Post{.author_id = author, .slug = "hello", .title = "duplicate slug"});
    CHECK_THROWS_AS(s.commit(), sq::integrity_error);
    // The flush is all or nothing: the post written before the failing one is not in the database.
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'fresh'") == 0);

    auto pending = [](auto&& call) {
        try {
            call();
        } catch (const sq::pending_rollback_error& e) {
            CHECK_THAT(e.what(), Contains(TestType::unique_violation("post", "slug")));  // the original error
            return true;
        } catch (...) {
        }
        return false;
    };
    CHECK(pending([&] { s.add(Post{.author_id = author, .slug = "x", .title = "x"}); }));
    CHECK(pending([&] { s.template get<Post>(existing->id); }));
    CHECK(pending([&] { s.template query<Post>().all(); }));
    CHECK(pending([&] { s.template query<Post>().count(); }));
    CHECK(pending([&] { s.flush(); }));
    CHECK(pending([&] { s.commit(); }));
    CHECK(pending([&] { s.remove(*existing); }));
    CHECK(pending([&] { s.refresh(*existing); }));
    CHECK(pending([&] { s.expunge(*existing); }));
    CHECK(pending([&] { s.merge(*existing); }));
    CHECK(pending([&] { s.execute("DELETE FROM post"); }));
    CHECK(pending([&] { s.template fetch<std::tuple<std::int64_t>>("SELECT 1"); }));
    CHECK(pending([&] { s.begin_nested(); }));
    CHECK(db.rows("post") == 1);

    REQUIRE_NOTHROW(s.rollback());
    CHECK(s.template get<Post>(existing->id) == existing);  // still tracked, as committed
    CHECK(existing->slug == "hello");
    s.add(Post{.author_id = author, .slug = "after", .title = "after rollback"});
    REQUIRE_NOTHROW(s.commit());
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'after'") == 1);
    db.check_usable();
}

TEMPLATE_TEST_CASE("close() is allowed after a failed flush", "[errors][session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    auto s = db.session();
    s.add(Author{.handle = "ann"});
    CHECK_THROWS_AS(s.flush(), sq::integrity_error);
    CHECK_NOTHROW(s.close());
    CHECK_THROWS_AS(s.add(Author{.handle = "zed"}), sq::invalid_request_error);
    CHECK(db.rows("author") == 1);
    db.check_usable();
}

TEMPLATE_TEST_CASE("a session destroyed without commit leaves nothing in the database", "[errors][session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    {
        auto s = db.session();
        Author& a = s.add(Author{.handle = "ghost"});
        s.flush();  // written inside the session's transaction
        CHECK(a.id != 0);
        s.add(Post{.author_id = a.id, .slug = "ghost-post", .title = "t"});
        s.flush();
        CHECK(db.rows("author") == 0);  // not visible to another connection
    }
    CHECK(db.rows("author") == 0);
    CHECK(db.rows("post") == 0);
    db.check_usable();
}

TEMPLATE_TEST_CASE("a stored value that does not fit its member is a data_error naming table.column", "[errors][data]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    using dialect = typename TestType::dialect;
    database<TestType> db;
    // The table made by hand, as StructQL would make it; a bad value goes in a table whose column
    // has the type the value needs (SQLite stores any value in any column).
    struct column {
        const char* name;
        const char* type;
        const char* good;  // SQL text
    };
    const std::vector<column> columns =
        TestType::is_sqlite
            ? std::vector<column>{{"id", "INTEGER PRIMARY KEY", "1"}, {"small", "INTEGER", "0"}, {"byte", "INTEGER", "0"},
                                  {"flag", "BOOLEAN", "1"}, {"name", "TEXT", "'n'"}, {"ratio", "REAL", "0.5"},
                                  {"data", "BLOB", "x'00'"}, {"at", "DATETIME", "'2020-01-01 00:00:00.000000000'"},
                                  {"pct", "INTEGER", "50"}}
            : std::vector<column>{{"id", "BIGINT PRIMARY KEY", "1"}, {"small", "BIGINT", "0"}, {"byte", "BIGINT", "0"},
                                  {"flag", "BOOLEAN", "true"}, {"name", "TEXT", "'n'"}, {"ratio", "DOUBLE PRECISION", "0.5"},
                                  {"data", "BYTEA", "'\\x00'"}, {"at", "TIMESTAMPTZ", "'2020-01-01 00:00:00+00'"},
                                  {"pct", "BIGINT", "50"}};
    // Makes the table anew with one row, `value` in `changed` (a column of type `type` on PostgreSQL).
    auto make_narrow = [&](std::int64_t id, std::string_view changed = "", std::string_view value = "",
                           const char* type = nullptr) {
        std::string definition, values;
        for (const column& c : columns) {
            bool bad = c.name == changed;
            definition += (definition.empty() ? "" : ", ") + std::string(c.name) + " " +
                          (bad && type && TestType::is_postgresql ? type : c.type);
            values += (values.empty() ? "" : ", ") + (c.name == std::string_view("id") ? std::to_string(id) : bad ? std::string(value) : std::string(c.good));
        }
        db.file.exec("DROP TABLE IF EXISTS narrow");
        db.file.exec("CREATE TABLE narrow (" + definition + ")");
        db.file.exec("INSERT INTO narrow VALUES (" + values + ")");
    };
    struct bad_row {
        const char* column;
        const char* value;    // SQL text
        const char* pg_type;  // the column's type on PostgreSQL, when StructQL's cannot hold the value
    };
    const std::vector<bad_row> bad{
        {"small", "2147483648", nullptr},     // INT32_MAX + 1
        {"small", "-2147483649", nullptr},    // INT32_MIN - 1
        {"small", "'twelve'", "TEXT"},        // TEXT into an integer
        {"small", "1.5", "DOUBLE PRECISION"}, // REAL into an integer
        {"small", "NULL", nullptr},           // NULL into a non-optional member
        {"byte", "256", nullptr},             // above UINT8_MAX
        {"byte", "-1", nullptr},              // below 0
        {"flag", "2", "BIGINT"},              // neither 0 nor 1
        {"name", "NULL", nullptr},
        {"ratio", "'abc'", "TEXT"},           // TEXT into a double
        {"at", "'yesterday'", "TEXT"},        // not a timestamp
        {"at", "'2021-02-30 00:00:00'", "TEXT"},  // no such day
        {"pct", "150", nullptr},              // refused by the user type's value_traits
    };
    for (const auto& [column, value, pg_type] : bad) {
        CAPTURE(column, value);
        make_narrow(7, column, value, pg_type);
        auto engine = db.db.make_engine();  // no statement prepared for an earlier table
        typename TestType::session_type s(engine);
        const std::string where = std::string("narrow.") + column;
        CHECK_THROWS_AS(s.template get<Narrow>(7), sq::data_error);
        CHECK_THROWS_WITH(s.template get<Narrow>(7),
                          Contains(where) && Contains(std::string(sq::sql::select_by_primary_key_in<dialect, Narrow>)));
        CHECK_THROWS_WITH(s.template query<Narrow>().filter(sq::col<&Narrow::id> == 7).all(), Contains(where));
        CHECK(s.template query<Narrow>().count() == 1);  // a read error is no failed flush
    }
    // A read error is no failed flush: the session and the engine go on.
    make_narrow(1);
    db.file.exec("INSERT INTO narrow (id, small, byte, flag, name, ratio, data, at, pct) SELECT 2, small, byte, flag, "
                 "name, ratio, data, at, 150 FROM narrow");
    auto s = db.session();
    Narrow* fine = s.template get<Narrow>(1);
    REQUIRE(fine != nullptr);
    CHECK(fine->pct == Percent{50});
    CHECK(fine->name == "n");
    CHECK(fine->data == sq::blob{std::byte{0}});
    CHECK_THROWS_AS(s.template query<Narrow>().all(), sq::data_error);
    CHECK(s.template query<Narrow>().filter(sq::col<&Narrow::id> == 1).one().ratio == 0.5);
    s.close();  // its read transaction would keep a writer from committing
    db.check_usable();
}

TEMPLATE_TEST_CASE("a uint64 above INT64_MAX cannot be written: data_error naming table.column", "[errors][data]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    const std::uint64_t too_big = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
    auto s = db.session();
    s.add(Counter{.big = too_big});
    const std::string message = error_message<sq::data_error>([&] { s.commit(); });
    CHECK_THAT(message, Contains("counter.big"));
    CHECK_THROWS_AS(s.add(Counter{.big = 1}), sq::pending_rollback_error);  // a failed flush, like any other
    s.rollback();
    CHECK(db.rows("counter") == 0);
    Counter& ok = s.add(Counter{.big = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())});
    s.commit();
    CHECK(db.rows("counter") == 1);
    CHECK(db.file.count("SELECT count(*) FROM counter WHERE big = 9223372036854775807 AND id = " + std::to_string(ok.id)) == 1);
    db.check_usable();
}

TEMPLATE_TEST_CASE("a uint64 above INT64_MAX in a filter is a data_error", "[errors][data]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    auto s = db.session();
    const std::uint64_t too_big = std::numeric_limits<std::uint64_t>::max();
    CHECK_THROWS_AS(s.template query<Counter>().filter(sq::col<&Counter::big> == too_big).all(), sq::data_error);
    CHECK_NOTHROW(s.template query<Counter>().count());
    s.close();
    db.check_usable();
}

TEMPLATE_TEST_CASE("malformed URLs and unknown dialects are url_errors from create_engine", "[errors][url]", sqlite, postgresql) {
    // No connection is opened: the PostgreSQL instance needs no server.
    structql_test::temp_dir dir;
    structql_test::chdir_guard cd(dir.path());
    struct bad_url {
        const char* url;
        const char* names;  // what the message must mention
    };
    std::vector<bad_url> bad{
        {"", "missing '://'"},
        {"app.db", "missing '://'"},
        {"sqlite:/app.db", "missing '://'"},
        {"mysql://user:pw@localhost/app", "unknown dialect 'mysql'"},
        {"oracle:///app.db", "unknown dialect 'oracle'"},
        {"sqlite+:///app.db", "empty driver"},
        {"sqlite://app.db", "unexpected host"},
        {"sqlite://user@host/app.db", "unexpected host"},
        {"sqlite:///app%zz.db", "invalid percent-escape"},
        {"postgresql://user@localhost:99999/app", "invalid port"},
        {"postgresql://user@localhost/app%zz", "invalid percent-escape"},
    };
    // A URL of the other database is well formed, but this engine type cannot speak it.
    if constexpr (TestType::is_sqlite) {
        bad.push_back({"sqlite:///app.db?timeout=soon", "timeout"});
        bad.push_back({"postgresql://user@localhost/app", "#include <structql/postgresql.hpp>"});
    } else {
        bad.push_back({"sqlite:///app.db", "this engine type speaks PostgreSQL"});
        bad.push_back({"postgresql://user@localhost/app?no_such_keyword=1", "not a libpq connection keyword"});
    }
    for (const auto& [url, names] : bad) {
        CAPTURE(url);
        CHECK_THROWS_AS(sq::create_engine<typename TestType::backend>(url), sq::url_error);
        CHECK_THROWS_WITH(sq::create_engine<typename TestType::backend>(url), Contains(names));
    }
    // Nothing was created on the way.
    CHECK(std::filesystem::is_empty(dir.path()));

    if constexpr (TestType::is_sqlite) {
        auto engine = sq::create_engine("sqlite:///app.db");
        schema::create_all(engine);
        CHECK(std::filesystem::exists(dir.path() / "app.db"));
    }
}

TEST_CASE("a sqlite path in a missing directory is an operational_error, and the engine recovers", "[errors][engine]") {
    // SQLite only: a file path (test_postgresql.cpp has a PostgreSQL database that does not exist).
    structql_test::temp_dir dir;
    const auto missing = dir.path() / "missing" / "sub";
    auto engine = sq::create_engine("sqlite:///" + (missing / "app.db").string());  // opens nothing yet
    CHECK_THROWS_AS(engine.connect(), sq::operational_error);
    CHECK_THROWS_WITH(engine.connect(), Contains((missing / "app.db").string()));
    CHECK_THROWS_AS(schema::create_all(engine), sq::operational_error);
    {
        sq::session s(engine);
        CHECK_THROWS_AS(s.get<Author>(1), sq::operational_error);
    }
    CHECK(engine.open_connections() == 0);  // failed opens are not counted as connections

    std::filesystem::create_directories(missing);
    schema::create_all(engine);
    {
        sq::session s(engine);
        s.add(Author{.handle = "found"});
        s.commit();
    }
    structql_test::sqlite_file file(missing / "app.db");
    CHECK(file.count("SELECT count(*) FROM author WHERE handle = 'found'") == 1);
}

TEMPLATE_TEST_CASE("a closed session throws invalid_request_error, while rollback() and close() stay harmless", "[errors][session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    auto s = db.session();
    Author* a = s.template get<Author>(db.author);
    REQUIRE(a != nullptr);
    s.close();
    CHECK(s.is_closed());
    CHECK_THROWS_AS(s.add(Author{.handle = "late"}), sq::invalid_request_error);
    CHECK_THROWS_AS(s.template get<Author>(db.author), sq::invalid_request_error);
    CHECK_THROWS_AS(s.template query<Author>().all(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.template query<Author>().count(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.flush(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.commit(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.execute("DELETE FROM author"), sq::invalid_request_error);
    CHECK_THROWS_AS(s.begin_nested(), sq::invalid_request_error);
    CHECK_NOTHROW(s.rollback());
    CHECK_NOTHROW(s.close());

    // A moved-from session is closed too.
    auto t = db.session();
    auto u = std::move(t);
    CHECK_THROWS_AS(t.template get<Author>(db.author), sq::invalid_request_error);
    CHECK(u.template get<Author>(db.author) != nullptr);
    u.close();

    CHECK(db.rows("author") == 1);
    db.check_usable();
}

TEMPLATE_TEST_CASE("one() without exactly one row: no_result_found, multiple_results_found", "[errors][query]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    {
        auto s = db.session();
        s.add(Author{.handle = "bob"});
        s.commit();
    }
    auto s = db.session();
    CHECK_THROWS_AS(s.template query<Author>().filter(sq::col<&Author::handle> == "nobody").one(), sq::no_result_found);
    CHECK_THROWS_WITH(s.template query<Author>().filter(sq::col<&Author::handle> == "nobody").one(), Contains("\"author\""));
    CHECK_THROWS_AS(s.template query<Author>().one(), sq::multiple_results_found);
    // Neither is a failed flush: the session goes on.
    CHECK(s.template query<Author>().filter(sq::col<&Author::handle> == "bob").one().handle == "bob");
    s.close();
    db.check_usable();
}

// A foreign key may reference the parent's primary key or a unique<> member (anything else is a
// compile error: tests/compile_fail/fk_to_plain_member.cpp).
namespace errors_test {
struct Mention {
    std::int64_t id;
    sq::foreign_key<&Author::handle> author_handle;
};
static_assert(sq::table<Mention>::columns[1].references_column == "handle");
}  // namespace errors_test

TEMPLATE_TEST_CASE("errors carry the database's own code: SQLite's extended result code, PostgreSQL's SQLSTATE", "[errors][codes]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    seeded_database<TestType> db;
    {
        auto s = db.session();
        s.add(Post{.author_id = db.author, .slug = "hello", .title = "again"});
        try {
            s.commit();
            FAIL("a duplicate slug was committed");
        } catch (const sq::integrity_error& e) {
            if constexpr (TestType::is_sqlite) {
                CHECK(e.sqlite_code() == SQLITE_CONSTRAINT_UNIQUE);
                CHECK(e.sqlstate().empty());
            } else {
                CHECK(e.sqlstate() == "23505");
                CHECK(e.sqlite_code() == 0);
            }
            CHECK_FALSE(sq::is_retryable(e));
        }
    }
    {
        auto s = db.session();
        s.add(Post{.author_id = 999, .slug = "orphan", .title = "t"});  // the FK message is rewritten: the code stays
        try {
            s.commit();
            FAIL("an orphan was committed");
        } catch (const sq::integrity_error& e) {
            if constexpr (TestType::is_sqlite) CHECK(e.sqlite_code() == SQLITE_CONSTRAINT_FOREIGNKEY);
            else CHECK(e.sqlstate() == "23503");
        }
    }
    auto c = db.engine.connect();
    try {
        c.execute("SELECT * FROM no_such_table");
        FAIL("a missing table was read");
    } catch (const sq::operational_error& e) {
        if constexpr (TestType::is_sqlite) CHECK(e.sqlite_code() == SQLITE_ERROR);
        else CHECK(e.sqlstate() == "42P01");
        CHECK_FALSE(sq::is_retryable(e));
    }
    // StructQL's own errors have no database code.
    auto s = db.session();
    try {
        (void)s.template query<Author>().filter(sq::col<&Author::handle> == "nobody").one();
        FAIL("one() found a row");
    } catch (const sq::no_result_found& e) {
        CHECK(e.sqlite_code() == 0);
        CHECK(e.sqlstate().empty());
    }
}

// The engines of the retry tests: a transaction that read and then writes fails when another
// connection committed in between (SQLite in WAL with deferred transactions: SQLITE_BUSY_SNAPSHOT;
// PostgreSQL in REPEATABLE READ: serialization_failure 40001).
template <class Database>
typename Database::engine_type racing_engine(const Database& db) {
    if constexpr (Database::is_sqlite) {
        return db.make_engine({.busy_timeout = std::chrono::milliseconds{100}, .wal = true,
                               .sqlite_begin = sq::transaction_mode::deferred});
    } else {
        auto engine = db.make_engine();
        engine.on_connect([](typename Database::connection_type& c) {
            c.execute("SET default_transaction_isolation TO 'repeatable read'");
        });
        return engine;
    }
}

TEMPLATE_TEST_CASE("a transaction that lost a race is a retryable_error with the database's code", "[errors][retry]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    db.file.exec("INSERT INTO counter (id, big) VALUES (1, 1)");
    auto engine = racing_engine(db.db);
    typename TestType::session_type s(engine);
    Counter* counter = s.template get<Counter>(1);  // the transaction reads...
    REQUIRE(counter != nullptr);
    db.file.exec("UPDATE counter SET big = big + 1 WHERE id = 1");  // ...another commits...
    counter->big += 1;                                              // ...and it writes
    try {
        s.commit();
        FAIL("a write based on a stale read was committed");
    } catch (const sq::retryable_error& e) {
        CHECK(sq::is_retryable(e));
        if constexpr (TestType::is_sqlite) CHECK(e.sqlite_code() == SQLITE_BUSY_SNAPSHOT);
        else CHECK(e.sqlstate() == "40001");
    }
    s.rollback();
    CHECK(db.file.count("SELECT big FROM counter WHERE id = 1") == 2);
}

TEMPLATE_TEST_CASE("retry_transaction runs a read-then-write transaction again in a fresh session until it commits", "[errors][retry]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    using session_type = typename TestType::session_type;
    database<TestType> db;
    db.file.exec("INSERT INTO counter (id, big) VALUES (1, 1)");
    auto engine = racing_engine(db.db);
    auto SessionLocal = sq::sessionmaker(engine);
    int runs = 0;
    std::uint64_t read = sq::retry_transaction(SessionLocal, [&](session_type& s) {
        ++runs;
        Counter* counter = s.template get<Counter>(1);
        std::uint64_t seen = counter->big;
        if (runs == 1) db.file.exec("UPDATE counter SET big = big + 1 WHERE id = 1");  // a rival commits once
        counter->big = seen + 1;
        return seen;
    });
    CHECK(runs == 2);
    CHECK(read == 2);  // the second run read the rival's value...
    CHECK(db.file.count("SELECT big FROM counter WHERE id = 1") == 3);  // ...so no increment is lost

    // A race lost every time: the last retryable_error after `attempts` runs.
    runs = 0;
    CHECK_THROWS_AS(sq::retry_transaction(
                        SessionLocal,
                        [&](session_type& s) {
                            ++runs;
                            Counter* counter = s.template get<Counter>(1);
                            db.file.exec("UPDATE counter SET big = big + 1 WHERE id = 1");
                            counter->big += 100;
                        },
                        {.attempts = 3, .first_delay = std::chrono::milliseconds{1}}),
                    sq::retryable_error);
    CHECK(runs == 3);
    CHECK(db.file.count("SELECT big FROM counter WHERE id = 1") == 6);

    // Any other error is not retried.
    runs = 0;
    CHECK_THROWS_AS(sq::retry_transaction(SessionLocal,
                                          [&](session_type& s) {
                                              ++runs;
                                              s.add(Counter{.id = 1, .big = 0});  // duplicate key
                                          }),
                    sq::integrity_error);
    CHECK(runs == 1);

    // The engine form: fn(connection&) in engine.transaction(fn).
    runs = 0;
    sq::retry_transaction(engine, [&](typename TestType::connection_type& c) {
        ++runs;
        c.execute("UPDATE counter SET big = big + 1 WHERE id = 1");
    });
    CHECK(runs == 1);
    CHECK(db.file.count("SELECT big FROM counter WHERE id = 1") == 7);
}

TEMPLATE_TEST_CASE("a value fetch() cannot read is a data_error naming the result column as the database does", "[errors][data]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    auto c = db.engine.connect();
    const std::string message = error_message<sq::data_error>(
        [&] { (void)c.template fetch<std::tuple<std::int64_t, std::int32_t>>("SELECT 1 AS one, 5000000000 AS too_big"); });
    CHECK_THAT(message, Contains(R"(result column 2 "too_big")"));
    struct pair {
        std::int64_t one;
        std::string text;
    };
    CHECK_THAT(error_message<sq::data_error>([&] { (void)c.template fetch<pair>("SELECT 1 AS one, NULL AS missing_text"); }),
               Contains(R"("missing_text")"));
}

TEST_CASE("PostgreSQL: a deadlock is a retryable_error with SQLSTATE 40P01", "[errors][retry][postgresql]") {
    // PostgreSQL only: SQLite has one writer at a time, so its conflicts are SQLITE_BUSY.
    STRUCTQL_REQUIRE_BACKEND(postgresql);
    database<postgresql> db;
    db.file.exec("INSERT INTO counter (id, big) VALUES (1, 0), (2, 0)");
    // StructQL's transaction holds row 1 and will find the deadlock (it checks after 100 ms of
    // waiting; the rival only after 60 s).
    auto tx = db.engine.begin();
    tx->execute("SET LOCAL deadlock_timeout = '100ms'");
    tx->execute("UPDATE counter SET big = big + 1 WHERE id = 1");
    // The rival holds row 2, then waits for row 1 on a thread of its own.
    structql_test::pg_probe rival(db.db.url());
    rival.exec("BEGIN; SET LOCAL deadlock_timeout = '60s'; UPDATE counter SET big = big + 1 WHERE id = 2");
    std::thread waiting([&] { rival.exec("UPDATE counter SET big = big + 1 WHERE id = 1"); });
    const std::string rival_pid = std::to_string(PQbackendPID(rival.handle()));
    while (db.file.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = " + rival_pid) == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Now StructQL's transaction waits for row 2: a cycle. (The thread is joined before any
    // check can end the test.)
    std::string state, message = "no error";
    try {
        tx->execute("UPDATE counter SET big = big + 1 WHERE id = 2");
    } catch (const sq::retryable_error& e) {
        state = e.sqlstate();
        message = e.what();
    }
    tx.rollback();  // releases row 1: the rival goes on
    waiting.join();
    rival.exec("COMMIT");
    CHECK(state == "40P01");
    CHECK_THAT(message, Contains("deadlock"));
    CHECK(db.file.count("SELECT big FROM counter WHERE id = 1") == 1);
    CHECK(db.file.count("SELECT big FROM counter WHERE id = 2") == 1);
}
