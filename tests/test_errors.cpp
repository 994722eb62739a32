// Errors: constraint violations, a session after a failed flush, values that do not fit their
// members, bad URLs and paths, closed sessions. Each error is checked for its type and for what
// its message names, what reached the file is checked through sqlite3, and after each error the
// engine is shown to still work (a new session commits, and no lock is left behind).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <structql/structql.hpp>

#include "support.hpp"

namespace errors_test {
namespace sq = structql;
using Catch::Contains;

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

// A file with the schema; `foreign_keys` turns on PRAGMA foreign_keys for every connection.
struct database {
    structql_test::temp_dir dir;
    sq::engine engine;
    structql_test::sqlite_file file;

    explicit database(bool foreign_keys = true)
        : engine(sq::create_engine(dir.url("errors.db"))), file((setup(engine, foreign_keys), dir.path() / "errors.db")) {}

    static void setup(sq::engine& e, bool foreign_keys) {
        if (foreign_keys) e.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
        schema::create_all(e);
    }

    sq::session session() { return sq::session(engine); }
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

    // The engine still works: a new session commits a row the file then holds, and no
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
        CHECK_NOTHROW(file.exec("BEGIN IMMEDIATE; ROLLBACK;"));
    }
};

// The database with one author ("ann") and one post ("hello") of theirs committed.
struct seeded_database : database {
    std::int64_t author = seed();
};

}  // namespace errors_test

using namespace errors_test;

TEST_CASE("a UNIQUE violation is an integrity_error naming table.column and the statement", "[errors][integrity]") {
    seeded_database db;
    const std::int64_t author = db.author;
    auto s = db.session();
    s.add(Post{.author_id = author, .slug = "hello", .title = "again"});
    const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
    CHECK_THAT(message, Contains("UNIQUE constraint failed: post.slug"));
    CHECK_THAT(message, Contains(std::string(sq::sql::insert<Post>)));
    s.rollback();
    CHECK(db.rows("post") == 1);
    db.check_usable();
}

TEST_CASE("a duplicate explicit primary key and a UNIQUE violation by UPDATE are integrity_errors", "[errors][integrity]") {
    seeded_database db;
    const std::int64_t author = db.author;
    {
        auto s = db.session();
        s.add(Author{.id = author, .handle = "bob"});
        CHECK_THROWS_WITH(s.commit(), Contains("author.id") && Contains(std::string(sq::sql::insert<Author>)));
    }
    {
        auto s = db.session();
        Author& b = s.add(Author{.handle = "bob"});
        s.commit();
        b.handle = "ann";  // taken
        const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
        CHECK_THAT(message, Contains("UNIQUE constraint failed: author.handle"));
        CHECK_THAT(message, Contains(R"(UPDATE "author" SET "handle" = ? WHERE "id" = ?)"));
    }
    CHECK(db.file.count("SELECT count(*) FROM author WHERE handle = 'ann'") == 1);
    CHECK(db.file.count("SELECT count(*) FROM author WHERE handle = 'bob'") == 1);
    db.check_usable();
}

TEST_CASE("a FOREIGN KEY violation is an integrity_error when PRAGMA foreign_keys is on", "[errors][integrity]") {
    SECTION("on: an orphan insert and the delete of a referenced parent fail") {
        seeded_database db;
        const std::int64_t author = db.author;
        {
            auto s = db.session();
            s.add(Post{.author_id = 999, .slug = "orphan", .title = "t"});
            const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
            CHECK_THAT(message, Contains("FOREIGN KEY constraint failed"));
            CHECK_THAT(message, Contains(R"("post"."author_id" REFERENCES "author" ("id"))"));
        }
        {
            auto s = db.session();
            Author* a = s.get<Author>(author);
            REQUIRE(a != nullptr);
            s.remove(*a);
            const std::string message = error_message<sq::integrity_error>([&] { s.commit(); });
            CHECK_THAT(message, Contains("FOREIGN KEY constraint failed"));
            CHECK_THAT(message, Contains(std::string(sq::sql::delete_by_primary_key<Author>)));
        }
        CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'orphan'") == 0);
        CHECK(db.rows("author") == 1);
        db.check_usable();
    }
    SECTION("off (SQLite's default): the same orphan is written") {
        database db(/*foreign_keys=*/false);
        auto s = db.session();
        s.add(Post{.author_id = 999, .slug = "orphan", .title = "t"});
        CHECK_NOTHROW(s.commit());
        CHECK(db.file.count("SELECT count(*) FROM post WHERE author_id = 999") == 1);
    }
}

TEST_CASE("a NOT NULL violation is an integrity_error naming table.column", "[errors][integrity]") {
    seeded_database db;
    const std::int64_t author = db.author;
    SECTION("raw SQL through a session") {
        auto s = db.session();
        const std::string sql = "INSERT INTO post (author_id, slug, title) VALUES (?, ?, NULL)";
        const std::string message =
            error_message<sq::integrity_error>([&] { s.execute(sql, author, std::string("no-title")); });
        CHECK_THAT(message, Contains("NOT NULL constraint failed: post.title"));
        CHECK_THAT(message, Contains(sql));
    }
    SECTION("raw SQL through a connection") {
        auto c = db.engine.connect();
        CHECK_THROWS_AS(c.execute("INSERT INTO reading (value) VALUES (NULL)"), sq::integrity_error);
        CHECK_THROWS_WITH(c.execute("INSERT INTO reading (value) VALUES (NULL)"),
                          Contains("NOT NULL constraint failed: reading.value"));
    }
    SECTION("a NaN double, which SQLite binds as NULL") {
        auto s = db.session();
        s.add(Reading{.value = std::numeric_limits<double>::quiet_NaN()});
        CHECK_THROWS_AS(s.commit(), sq::error);
        s.rollback();
        s.add(Reading{.value = std::numeric_limits<double>::quiet_NaN()});
        CHECK_THROWS_WITH(s.commit(), Contains("reading.value"));
    }
    CHECK(db.rows("reading") == 0);
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'no-title'") == 0);
    db.check_usable();
}

TEST_CASE("after a failed flush only rollback() and close() are allowed, and rollback() makes the session work again",
          "[errors][session]") {
    seeded_database db;
    const std::int64_t author = db.author;
    auto s = db.session();
    Post* existing = s.query<Post>().first();
    REQUIRE(existing != nullptr);
    s.add(Post{.author_id = author, .slug = "fresh", .title = "written first"});
    s.add(Post{.author_id = author, .slug = "hello", .title = "duplicate slug"});
    CHECK_THROWS_AS(s.commit(), sq::integrity_error);
    // The flush is all or nothing: the post written before the failing one is not in the file.
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'fresh'") == 0);

    auto pending = [](auto&& call) {
        try {
            call();
        } catch (const sq::pending_rollback_error& e) {
            CHECK_THAT(e.what(), Contains("UNIQUE constraint failed: post.slug"));  // the original error
            return true;
        } catch (...) {
        }
        return false;
    };
    CHECK(pending([&] { s.add(Post{.author_id = author, .slug = "x", .title = "x"}); }));
    CHECK(pending([&] { s.get<Post>(existing->id); }));
    CHECK(pending([&] { s.query<Post>().all(); }));
    CHECK(pending([&] { s.query<Post>().count(); }));
    CHECK(pending([&] { s.flush(); }));
    CHECK(pending([&] { s.commit(); }));
    CHECK(pending([&] { s.remove(*existing); }));
    CHECK(pending([&] { s.refresh(*existing); }));
    CHECK(pending([&] { s.expunge(*existing); }));
    CHECK(pending([&] { s.merge(*existing); }));
    CHECK(pending([&] { s.execute("DELETE FROM post"); }));
    CHECK(pending([&] { s.fetch<std::tuple<std::int64_t>>("SELECT 1"); }));
    CHECK(pending([&] { s.begin_nested(); }));
    CHECK(db.rows("post") == 1);

    REQUIRE_NOTHROW(s.rollback());
    CHECK(s.get<Post>(existing->id) == existing);  // still tracked, as committed
    CHECK(existing->slug == "hello");
    s.add(Post{.author_id = author, .slug = "after", .title = "after rollback"});
    REQUIRE_NOTHROW(s.commit());
    CHECK(db.file.count("SELECT count(*) FROM post WHERE slug = 'after'") == 1);
    db.check_usable();
}

TEST_CASE("close() is allowed after a failed flush", "[errors][session]") {
    seeded_database db;
    auto s = db.session();
    s.add(Author{.handle = "ann"});
    CHECK_THROWS_AS(s.flush(), sq::integrity_error);
    CHECK_NOTHROW(s.close());
    CHECK_THROWS_AS(s.add(Author{.handle = "zed"}), sq::invalid_request_error);
    db.check_usable();
}

TEST_CASE("a session destroyed without commit leaves nothing in the file", "[errors][session]") {
    database db;
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

TEST_CASE("a stored value that does not fit its member is a data_error naming table.column", "[errors][data]") {
    database db;
    db.file.exec("CREATE TABLE narrow (id INTEGER PRIMARY KEY, small INTEGER, byte INTEGER, flag BOOLEAN, name TEXT, "
                 "ratio REAL, data BLOB, at DATETIME, pct INTEGER)");
    const std::string good = "1, 0, 0, 1, 'n', 0.5, x'00', '2020-01-01 00:00:00.000000000', 50";
    db.file.exec("INSERT INTO narrow VALUES (" + good + ")");
    struct bad_row {
        const char* column;
        const char* value;  // SQL text
    };
    const std::vector<bad_row> bad{
        {"small", "2147483648"},     // INT32_MAX + 1
        {"small", "-2147483649"},    // INT32_MIN - 1
        {"small", "'twelve'"},       // TEXT into an integer
        {"small", "1.5"},            // REAL into an integer
        {"small", "NULL"},           // NULL into a non-optional member
        {"byte", "256"},             // above UINT8_MAX
        {"byte", "-1"},              // below 0
        {"flag", "2"},               // neither 0 nor 1
        {"name", "NULL"},
        {"ratio", "'abc'"},          // TEXT into a double
        {"at", "'yesterday'"},       // not a timestamp
        {"at", "'2021-02-30 00:00:00'"},  // no such day
        {"pct", "150"},              // refused by the user type's value_traits
    };
    std::int64_t id = 100;
    for (const auto& [column, value] : bad) {
        ++id;
        db.file.exec("INSERT INTO narrow VALUES (" + std::to_string(id) + ", 0, 0, 1, 'n', 0.5, x'00', "
                     "'2020-01-01 00:00:00.000000000', 50)");
        db.file.exec(std::string("UPDATE narrow SET ") + column + " = " + value + " WHERE id = " + std::to_string(id));
    }

    auto s = db.session();
    id = 100;
    for (const auto& [column, value] : bad) {
        ++id;
        CAPTURE(column, value);
        const std::string where = std::string("narrow.") + column;
        CHECK_THROWS_AS(s.get<Narrow>(id), sq::data_error);
        CHECK_THROWS_WITH(s.get<Narrow>(id), Contains(where) && Contains(std::string(sq::sql::select_by_primary_key<Narrow>)));
        CHECK_THROWS_WITH(s.query<Narrow>().filter(sq::col<&Narrow::id> == id).all(), Contains(where));
    }
    // A read error is no failed flush: the session and the engine go on.
    Narrow* fine = s.get<Narrow>(1);
    REQUIRE(fine != nullptr);
    CHECK(fine->pct == Percent{50});
    CHECK_THROWS_AS(s.query<Narrow>().all(), sq::data_error);
    CHECK(s.query<Narrow>().filter(sq::col<&Narrow::id> == 1).one().name == "n");
    s.close();  // its read transaction would keep a writer from committing
    db.check_usable();
}

TEST_CASE("a uint64 above INT64_MAX cannot be written: data_error naming table.column", "[errors][data]") {
    database db;
    const std::uint64_t too_big = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
    auto s = db.session();
    s.add(Counter{.big = too_big});
    const std::string message = error_message<sq::data_error>([&] { s.commit(); });
    CHECK_THAT(message, Contains("counter.big"));
    CHECK_THROWS_AS(s.add(Counter{.big = 1}), sq::pending_rollback_error);  // a failed flush, like any other
    s.rollback();
    Counter& ok = s.add(Counter{.big = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())});
    s.commit();
    CHECK(db.file.count("SELECT count(*) FROM counter") == 1);
    CHECK(db.file.count("SELECT big = 9223372036854775807 FROM counter WHERE id = " + std::to_string(ok.id)) == 1);
    db.check_usable();
}

// BUG: a filter value that cannot be bound escapes as the std::out_of_range thrown by
// value_traits<std::uint64_t>::to_storage, not as a structql::error (data_error, as on write):
// bound_value::bind (query/expressions.hpp) does not convert it.
TEST_CASE("a uint64 above INT64_MAX in a filter is a data_error", "[errors][data][!mayfail]") {
    database db;
    auto s = db.session();
    const std::uint64_t too_big = std::numeric_limits<std::uint64_t>::max();
    CHECK_THROWS_AS(s.query<Counter>().filter(sq::col<&Counter::big> == too_big).all(), sq::data_error);
    CHECK_NOTHROW(s.query<Counter>().count());
    s.close();
    db.check_usable();
}

TEST_CASE("malformed URLs and unknown dialects are url_errors from create_engine", "[errors][url]") {
    structql_test::temp_dir dir;
    structql_test::chdir_guard cd(dir.path());
    struct bad_url {
        const char* url;
        const char* names;  // what the message must mention
    };
    const std::vector<bad_url> bad{
        {"", "missing '://'"},
        {"app.db", "missing '://'"},
        {"sqlite:/app.db", "missing '://'"},
        {"mysql://user:pw@localhost/app", "unknown dialect 'mysql'"},
        {"oracle:///app.db", "unknown dialect 'oracle'"},
        {"sqlite+:///app.db", "empty driver"},
        {"sqlite://app.db", "unexpected host"},
        {"sqlite://user@host/app.db", "unexpected host"},
        {"sqlite:///app%zz.db", "invalid percent-escape"},
        {"sqlite:///app.db?timeout=soon", "timeout"},
        {"postgresql://user@localhost:99999/app", "invalid port"},
    };
    for (const auto& [url, names] : bad) {
        CAPTURE(url);
        CHECK_THROWS_AS(sq::create_engine(url), sq::url_error);
        CHECK_THROWS_WITH(sq::create_engine(url), Contains(names));
    }
    // A postgresql URL is well formed, but the SQLite engine cannot speak it.
    CHECK_THROWS_AS(sq::create_engine("postgresql://user@localhost/app"), sq::url_error);
    // Nothing was created on the way.
    CHECK(std::filesystem::is_empty(dir.path()));

    auto engine = sq::create_engine("sqlite:///app.db");
    schema::create_all(engine);
    CHECK(std::filesystem::exists(dir.path() / "app.db"));
}

TEST_CASE("a sqlite path in a missing directory is an operational_error, and the engine recovers", "[errors][engine]") {
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

TEST_CASE("a closed session throws invalid_request_error, while rollback() and close() stay harmless", "[errors][session]") {
    seeded_database db;
    auto s = db.session();
    Author* a = s.get<Author>(1);
    REQUIRE(a != nullptr);
    s.close();
    CHECK(s.is_closed());
    CHECK_THROWS_AS(s.add(Author{.handle = "late"}), sq::invalid_request_error);
    CHECK_THROWS_AS(s.get<Author>(1), sq::invalid_request_error);
    CHECK_THROWS_AS(s.query<Author>().all(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.query<Author>().count(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.flush(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.commit(), sq::invalid_request_error);
    CHECK_THROWS_AS(s.execute("DELETE FROM author"), sq::invalid_request_error);
    CHECK_THROWS_AS(s.begin_nested(), sq::invalid_request_error);
    CHECK_NOTHROW(s.rollback());
    CHECK_NOTHROW(s.close());

    // A moved-from session is closed too.
    auto t = db.session();
    auto u = std::move(t);
    CHECK_THROWS_AS(t.get<Author>(1), sq::invalid_request_error);
    CHECK(u.get<Author>(1) != nullptr);
    u.close();

    CHECK(db.rows("author") == 1);
    db.check_usable();
}

TEST_CASE("one() without exactly one row: no_result_found, multiple_results_found", "[errors][query]") {
    seeded_database db;
    {
        auto s = db.session();
        s.add(Author{.handle = "bob"});
        s.commit();
    }
    auto s = db.session();
    CHECK_THROWS_AS(s.query<Author>().filter(sq::col<&Author::handle> == "nobody").one(), sq::no_result_found);
    CHECK_THROWS_WITH(s.query<Author>().filter(sq::col<&Author::handle> == "nobody").one(), Contains("\"author\""));
    CHECK_THROWS_AS(s.query<Author>().one(), sq::multiple_results_found);
    // Neither is a failed flush: the session goes on.
    CHECK(s.query<Author>().filter(sq::col<&Author::handle> == "bob").one().handle == "bob");
    s.close();
    db.check_usable();
}
