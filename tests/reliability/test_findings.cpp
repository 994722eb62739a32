// Bugs found by the reliability work (fuzzing, sanitizers, bad input), one regression test each
// with its minimal reproduction. A bug still open is tagged [!mayfail] and its comment starts
// with "BUG:"; a fixed one says what it was and where it was fixed.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <structql/structql.hpp>

#include "../backends.hpp"
#include "../support.hpp"

namespace findings_test {
namespace sq = structql;

struct Reading {
    std::int64_t id;
    std::int32_t small;
    std::optional<int> maybe;
    static constexpr std::string_view table_name = "readings";
};

struct Gauge {
    std::int64_t id;
    std::optional<double> value;
    static constexpr std::string_view table_name = "gauges";
};

struct Moment {
    std::int64_t id;
    sq::timestamp at;
    static constexpr std::string_view table_name = "moments";
};

struct Note {
    std::int64_t id;
    std::string text;
    static constexpr std::string_view table_name = "notes";
};

struct Small {  // a key narrower than int64
    std::int32_t id;
    std::string name;
    static constexpr std::string_view table_name = "smalls";
};

struct Node {  // a tree: parent 0 is the root's
    std::int64_t id;
    std::int64_t parent;
    static constexpr std::string_view table_name = "nodes";
};

using structql_test::postgresql;
using structql_test::sqlite;

}  // namespace findings_test

using namespace findings_test;

// Fixed: a comparison value was converted to the column's C++ type before it was bound, so a
// wider or floating-point value was silently narrowed and the filter matched the wrong rows:
//     col<&Reading::small> == std::int64_t{4294967298}   bound 2 and matched small == 2
//     col<&Reading::small> >= 2.5                        bound 2 and matched small == 2
// Now such a value is bound as itself (detail::bind_beside in query/expressions.hpp).
TEST_CASE("a filter value wider than its column is not narrowed", "[reliability][findings]") {
    auto engine = sq::create_engine("sqlite://");
    sq::metadata<Reading>::create_all(engine);
    sq::session db(engine);
    db.add(Reading{.small = 2, .maybe = 2});
    db.commit();
    CHECK(db.query<Reading>().filter(sq::col<&Reading::small> == std::int64_t{4294967298}).count() == 0);
    CHECK(db.query<Reading>().filter(sq::col<&Reading::small> >= 2.5).count() == 0);
    CHECK(db.query<Reading>().filter(sq::col<&Reading::maybe> > 1.5).count() == 1);
    CHECK(db.query<Reading>().filter(sq::col<&Reading::maybe> < 2.5).count() == 1);
}

// Fixed: a projected or fetched value that did not fit its C++ type escaped as the
// std::out_of_range thrown by value_traits::from_storage, not as a structql::data_error
// (detail::read_projected in query/query.hpp caught only detail::conversion_failure).
//     engine.connect().fetch<std::tuple<std::int32_t>>("SELECT 5000000000")
//     db.query<Reading>().select(sq::sum(sq::col<&Reading::small>)).all()  // sum over int32
TEST_CASE("a fetched or projected value out of range is a data_error", "[reliability][findings]") {
    auto engine = sq::create_engine("sqlite://");
    sq::metadata<Reading>::create_all(engine);
    engine.connect().execute("INSERT INTO readings (id, small) VALUES (1, 2000000000), (2, 2000000000)");
    CHECK_THROWS_AS(engine.connect().fetch<std::tuple<std::int32_t>>("SELECT 5000000000"), sq::data_error);
    sq::session db(engine);
    CHECK_THROWS_AS(db.query<Reading>().select(sq::sum(sq::col<&Reading::small>)).all(), sq::data_error);
    CHECK_THROWS_AS(engine.connect().fetch<std::tuple<std::uint8_t>>("SELECT -1"), sq::data_error);
}

// Fixed: make_url refused the escape %00 in every part but accepted a raw NUL byte anywhere in
// the URL text, so a database path could hold a NUL and sqlite3_open_v2 received it cut short:
// "sqlite:///<dir>/a.db\0.evil" opened a.db. Found by fuzz_url
// (fuzz/regressions/url/raw-nul-in-database).
TEST_CASE("a raw NUL byte in a URL is a url_error", "[reliability][findings]") {
    using namespace std::string_literals;
    CHECK_THROWS_AS(sq::make_url("sqlite:///a\0b.db"s), sq::url_error);
    CHECK_THROWS_AS(sq::make_url("postgresql://user:pa\0ss@host/db"s), sq::url_error);
    CHECK_THROWS_AS(sq::create_engine("sqlite://?mode\0=ro"s), sq::url_error);
}

// Fixed (undefined behaviour): sqlite_backend::connect_args_from (backend/sqlite.hpp) converted ?timeout=seconds
// to milliseconds with static_cast<std::int64_t>(seconds * 1000) after checking only that the
// number parsed and was not negative: "1e300", "inf" and "nan" overflowed the conversion
// (UBSan: "1e+303 is outside the range of representable values of type 'long'"). Found by
// fuzz_url (fuzz/regressions/url/timeout-1e300). Now anything beyond sqlite3_busy_timeout's
// int milliseconds is a url_error.
TEST_CASE("a huge ?timeout= is a url_error", "[reliability][findings]") {
    CHECK_THROWS_AS(sq::create_engine("sqlite://?timeout=1e300"), sq::url_error);
    CHECK_THROWS_AS(sq::create_engine("sqlite://?timeout=inf"), sq::url_error);
    CHECK_THROWS_AS(sq::create_engine("sqlite://?timeout=nan"), sq::url_error);
    CHECK_THROWS_AS(sq::create_engine("sqlite://?timeout=2147484"), sq::url_error);
    CHECK_NOTHROW(sq::create_engine("sqlite://?timeout=2147483"));
}

// Fixed (undefined behaviour): format_timestamp (backend/sqlite.hpp) computed
// `t - floor<days>(t)` in nanoseconds; for a time point before 1677-09-22 00:00 UTC (the last
// partial day above system_clock's minimum, 1677-09-21 00:12:43.145224192) floor<days> lay
// below the minimum and the subtraction overflowed int64 (UBSan: "signed integer overflow:
// -106752 * 86400000000000"). Found by fuzz_values (fuzz/regressions/values/timestamp-before-1677).
// Now both ends of the clock's range round-trip, checked through the text SQLite holds.
TEST_CASE("timestamps at both ends of system_clock's range round-trip", "[reliability][findings]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("moments.db"));
    sq::metadata<Moment>::create_all(engine);
    // The clock's first and last instants, and the first partial day's last one.
    const sq::timestamp earliest = sq::timestamp::min();
    const sq::timestamp latest = sq::timestamp::max();
    const sq::timestamp first_midnight = std::chrono::floor<std::chrono::days>(earliest) + std::chrono::days(1);
    const sq::timestamp before_midnight = first_midnight - std::chrono::nanoseconds(1);
    {
        sq::session db(engine);
        const sq::timestamp before_epoch = sq::timestamp{} - std::chrono::nanoseconds(1);
        for (auto t : {earliest, latest, before_midnight, first_midnight, before_epoch}) db.add(Moment{.at = t});
        db.commit();
    }
    // What SQLite holds, read with the C API: the UTC calendar text of each instant.
    structql_test::sqlite_file file(dir.path() / "moments.db");
    auto text = file.query("SELECT at FROM moments ORDER BY id");
    REQUIRE(text.size() == 5);
    CHECK(text[0][0] == "1677-09-21 00:12:43.145224192");  // -9223372036854775808 ns
    CHECK(text[1][0] == "2262-04-11 23:47:16.854775807");  // 9223372036854775807 ns
    CHECK(text[2][0] == "1677-09-21 23:59:59.999999999");
    CHECK(text[3][0] == "1677-09-22 00:00:00.000000000");
    CHECK(text[4][0] == "1969-12-31 23:59:59.999999999");

    {
        sq::session again(engine);
        auto back = again.query<Moment>().order_by(sq::col<&Moment::id>).all();
        REQUIRE(back.size() == 5);
        CHECK(back[0]->at == earliest);
        CHECK(back[1]->at == latest);
        CHECK(back[2]->at == before_midnight);
        CHECK(back[3]->at == first_midnight);
        CHECK(back[4]->at == sq::timestamp{} - std::chrono::nanoseconds(1));
    }

    // A time outside the clock's range, written by hand, is a data_error when read.
    sq::session again(engine);
    file.exec("INSERT INTO moments (id, at) VALUES (10, '1677-09-21 00:12:43.145224191'), "
              "(11, '2262-04-11 23:47:16.854775808')");
    CHECK_THROWS_AS(again.get<Moment>(10), sq::data_error);
    CHECK_THROWS_AS(again.get<Moment>(11), sq::data_error);
}

// A number set<>() cannot store in its column is a data_error naming the column, never a value
// narrowed into the table.
TEST_CASE("an assignment out of range for its column is a data_error", "[reliability][findings]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("readings.db"));
    sq::metadata<Reading>::create_all(engine);
    sq::session db(engine);
    db.add(Reading{.small = 2});
    db.commit();
    auto q = db.query<Reading>();
    try {
        q.update(sq::set<&Reading::small>(std::int64_t{4294967298}));
        FAIL("an int64 beyond int32 was accepted");
    } catch (const sq::data_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("readings.small") && Catch::Contains("4294967298"));
    }
    CHECK_THROWS_AS(q.update(sq::set<&Reading::small>(2.5)), sq::data_error);
    CHECK(q.update(sq::set<&Reading::small>(7.0)) == 1);
    CHECK(q.update(sq::set<&Reading::small>(std::int64_t{-2147483648})) == 1);
    db.commit();
    structql_test::sqlite_file file(dir.path() / "readings.db");
    CHECK(file.count("SELECT small FROM readings") == -2147483648LL);
}

// Fixed: SQLite stores a NaN bound with sqlite3_bind_double as NULL, and a NaN written to a
// std::optional<double> read back as std::nullopt. Now binding a NaN to SQLite is a data_error.
TEST_CASE("a NaN is refused by SQLite, not stored as NULL", "[reliability][findings]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("nan.db"));
    sq::metadata<Gauge>::create_all(engine);
    sq::session db(engine);
    db.add(Gauge{.value = std::numeric_limits<double>::quiet_NaN()});
    try {
        db.commit();
        FAIL("a NaN was committed");
    } catch (const sq::data_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("gauges.value") && Catch::Contains("NaN"));
    }
    db.rollback();
    structql_test::sqlite_file file(dir.path() / "nan.db");
    CHECK(file.count("SELECT count(*) FROM gauges") == 0);
    CHECK_THROWS_AS(db.query<Gauge>().filter(sq::col<&Gauge::value> == std::numeric_limits<double>::quiet_NaN()).count(),
                    sq::data_error);
}

// ---- Issue #21: defects found by probing. Each test checks what reached the database through
// the driver's own C API (tests/backends.hpp's probe), never through StructQL.

// Fixed: with autocommit, a session's execute(sql, args...) returned the row count but left the
// write in an open transaction (holding the write lock) that close() rolled back. Now it
// commits, as a flush does (session/session.hpp, execute()).
TEMPLATE_TEST_CASE("an autocommit session's execute() commits", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Note>::create_all(engine);
    typename TestType::session_type s(engine, {.autocommit = true});
    const std::string insert =
        "INSERT INTO notes (id, text) VALUES (" + TestType::placeholder(1) + ", " + TestType::placeholder(2) + ")";
    CHECK(s.execute(sq::runtime_sql(insert), 1, "a") == 1);
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(*) FROM notes") == 1);  // committed while the session is open
    CHECK_NOTHROW(TestType::take_write_lock(probe, "notes"));  // and no lock kept
    s.close();
    CHECK(probe.count("SELECT count(*) FROM notes") == 1);
}

// Fixed: the query string of a SQLite URL never reached SQLite: the README's read-only form
// sqlite:///file:ro.db?mode=ro&uri=true opened the file read-write, ?mode=RO too, and unknown
// keys were ignored. Now SQLite's URI parameters reach it (through a URI filename, with or
// without uri=true), a mode SQLite does not know and an unknown key are url_errors
// (sqlite_backend::connect_args_from in backend/sqlite.hpp).
TEST_CASE("a SQLite URL's query reaches SQLite - unknown keys are refused", "[reliability][findings]") {
    structql_test::temp_dir dir;
    {
        auto engine = sq::create_engine(dir.url("ro.db"));
        sq::metadata<Note>::create_all(engine);
        engine.connect().execute("INSERT INTO notes (id, text) VALUES (1, 'a')");
    }
    const std::string path = (dir.path() / "ro.db").string();
    auto read_only = [](sq::engine engine) {
        auto c = engine.connect();
        CHECK(std::get<0>(c.fetch<std::tuple<std::int64_t>>("SELECT count(*) FROM notes").at(0)) == 1);
        CHECK_THROWS_WITH(c.execute("INSERT INTO notes (id, text) VALUES (2, 'b')"), Catch::Contains("readonly"));
        CHECK_THROWS_AS(c.execute("INSERT INTO notes (id, text) VALUES (?, 'b')", 2), sq::operational_error);
    };
    read_only(sq::create_engine("sqlite:///file:" + path + "?mode=ro&uri=true"));  // the README's form
    read_only(sq::create_engine(dir.url("ro.db") + "?mode=ro"));
    read_only(sq::create_engine(dir.url("ro.db") + "?immutable=1"));  // a URI parameter without uri=true
    read_only(sq::create_engine("sqlite:///file:" + path + "?immutable=1&uri=true&timeout=1"));
    try {
        (void)sq::create_engine(dir.url("ro.db") + "?mode=RO");
        FAIL("?mode=RO was accepted");
    } catch (const sq::url_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("'RO'") && Catch::Contains("ro, rw, rwc"));
    }
    try {
        (void)sq::create_engine(dir.url("ro.db") + "?mode=ro&readonly=1");
        FAIL("an unknown key was accepted");
    } catch (const sq::url_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("'readonly'") && Catch::Contains("timeout") && Catch::Contains("modeof"));
    }
    structql_test::sqlite_file file(path);
    CHECK(file.count("SELECT count(*) FROM notes") == 1);
}

// Fixed (heap-use-after-free): in an autocommit session, savepoint::commit() flushed, the flush
// committed and cleared the savepoints, and end_savepoint then read the freed frame's name for
// RELEASE SAVEPOINT (on a connection already back in the pool). Now the commit that ended the
// transaction ends the savepoint too (session/session.hpp, end_savepoint).
TEMPLATE_TEST_CASE("an autocommit session's savepoint commits", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Note>::create_all(engine);
    typename TestType::session_type s(engine, {.autocommit = true});
    {
        auto sp = s.begin_nested();
        s.add(Note{.id = 1, .text = "kept"});
        CHECK_NOTHROW(sp.commit());
        CHECK_FALSE(sp.is_active());
    }
    {
        auto sp = s.begin_nested();
        s.add(Note{.id = 2, .text = "dropped"});
        CHECK_NOTHROW(sp.rollback());
    }
    auto probe = db.probe();
    CHECK(probe.query("SELECT id, text FROM notes") == structql_test::text_rows{{"1", "kept"}});
    CHECK(s.template query<Note>().count() == 1);
}

// Fixed: commit() inside query.for_each() gave the connection back to the pool, which reset the
// statement being iterated: it started again at row 1, for ever. Now commit, rollback and close
// while a for_each runs on the session are an invalid_request_error; an autocommit session's own
// commits (a flush inside the loop) keep the connection until the loop ends.
TEMPLATE_TEST_CASE("commit() inside for_each is refused", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Note>::create_all(engine);
    {
        typename TestType::session_type s(engine);
        for (int i = 1; i <= 3; ++i) s.add(Note{.id = i, .text = "n"});
        s.commit();
        int rows = 0;
        auto each = [&](auto&& end) {
            rows = 0;
            return [&, end](Note*) {
                if (++rows > 5) throw std::logic_error("for_each went round again");
                end();
            };
        };
        for (auto end : std::vector<std::function<void()>>{[&] { s.commit(); }, [&] { s.rollback(); }, [&] { s.close(); }}) {
            try {
                s.template query<Note>().order_by(sq::col<&Note::id>).for_each(each(end));
                FAIL("ending the transaction inside for_each was accepted");
            } catch (const sq::invalid_request_error& e) {
                CHECK_THAT(e.what(), Catch::Contains("for_each"));
            }
            CHECK(rows == 1);
        }
        s.template query<Note>().for_each([&](Note* n) { n->text = "changed"; });
        s.commit();  // the session is still usable, and commits outside the loop
    }
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(*) FROM notes WHERE text = 'changed'") == 3);

    // Autocommit: every flush inside the loop commits, and the loop still sees each row once.
    typename TestType::session_type s(engine, {.autocommit = true});
    int rows = 0;
    s.template query<Note>().order_by(sq::col<&Note::id>).for_each([&](Note* n) {
        if (++rows > 5) throw std::logic_error("for_each went round again");
        n->text = "auto";
        s.flush();
    });
    CHECK(rows == 3);
    CHECK(probe.count("SELECT count(*) FROM notes WHERE text = 'auto'") == 3);
}

// Fixed: get<T>(key) converted the key to the primary key's type first: on an int32 key,
// get<Small>(std::int64_t{4294967298}) looked up (and returned) row 2. Now a key the primary
// key's type cannot hold finds nothing, as a filter does (session/session.hpp, get()).
TEMPLATE_TEST_CASE("get() with a key wider than the primary key is not narrowed", "[reliability][findings]", sqlite,
                   postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Small>::create_all(engine);
    typename TestType::session_type s(engine);
    s.add(Small{.id = 2, .name = "two"});
    s.commit();
    CHECK(db.probe().count("SELECT count(*) FROM smalls WHERE id = 2") == 1);
    typename TestType::session_type fresh(engine);
    for (auto* session : {&fresh, &s}) {  // loaded from the database, and from the identity map
        CHECK(session->template get<Small>(std::int64_t{4294967298}) == nullptr);
        CHECK(session->template get<Small>(std::int64_t{-4294967294}) == nullptr);
        CHECK(session->template get<Small>(2.5) == nullptr);
        CHECK(session->template get<Small>(std::uint64_t{2}) != nullptr);
        CHECK(session->template get<Small>(std::int64_t{2}) != nullptr);
    }
}

// Fixed: the same query run again inside its own for_each (a tree walk) rebound the cached
// statement that was still stepping: SQLite failed with "bad parameter or other API misuse",
// PostgreSQL went on reading the outer result. Now the cache hands out a second prepared copy
// of a statement in use (detail/statement_cache.hpp).
TEMPLATE_TEST_CASE("the same query nested inside its own for_each", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Node>::create_all(engine);
    auto probe = db.probe();
    for (int i = 1; i <= 15; ++i)  // a binary tree: i's parent is i / 2
        probe.exec("INSERT INTO nodes (id, parent) VALUES (" + std::to_string(i) + ", " + std::to_string(i / 2) + ")");
    REQUIRE(probe.count("SELECT count(*) FROM nodes") == 15);

    typename TestType::session_type s(engine);
    std::function<int(std::int64_t)> walk = [&](std::int64_t parent) {
        int n = 0;
        s.template query<Node>().filter(sq::col<&Node::parent> == parent).for_each([&](Node* node) {
            n += 1 + walk(node->id);
        });
        return n;
    };
    CHECK(walk(0) == 15);

    auto c = engine.connect();
    std::function<int(std::int64_t)> walk_values = [&](std::int64_t parent) {
        int n = 0;
        c.template query<Node>().filter(sq::col<&Node::parent>.in(std::vector<std::int64_t>{parent})).for_each(
            [&](const Node& node) { n += 1 + walk_values(node.id); });
        return n;
    };
    CHECK(walk_values(0) == 15);

    const std::string children = "SELECT id FROM nodes WHERE parent = " + TestType::placeholder(1);
    std::function<int(std::int64_t)> walk_raw = [&](std::int64_t parent) {
        int n = 0;
        for (auto [id] : c.template fetch<std::tuple<std::int64_t>>(sq::runtime_sql(children), parent)) n += 1 + walk_raw(id);
        return n;
    };
    CHECK(walk_raw(0) == 15);
}

// The prepared statements a connection holds, as the driver sees them: sqlite3_next_stmt over the
// handle, or the server's pg_prepared_statements for the session.
template <class Connection>
std::int64_t live_statements(Connection& c) {
    std::int64_t n = 0;
    if constexpr (std::is_same_v<decltype(c.native_handle()), sqlite3*>) {
        for (sqlite3_stmt* s = sqlite3_next_stmt(c.native_handle(), nullptr); s; s = sqlite3_next_stmt(c.native_handle(), s))
            ++n;
    } else {
        PGresult* result = PQexec(c.native_handle(), "SELECT count(*) FROM pg_prepared_statements");
        REQUIRE(PQresultStatus(result) == PGRES_TUPLES_OK);
        n = std::stoll(PQgetvalue(result, 0, 0));
        PQclear(result);
    }
    return n;
}

// Fixed: the prepared-statement cache kept every run-time text for the connection's life
// (50,000 distinct raw texts: +104 MiB per connection; IN lists of 1..1000 values: +88 MiB). Now
// run-time texts are kept least recently used first up to engine_options::statement_cache_size,
// compile-time statements always, and an IN list's placeholders are rounded up to a power of two.
TEMPLATE_TEST_CASE("the statement cache is bounded", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine({.statement_cache_size = 16});
    sq::metadata<Note>::create_all(engine);
    auto c = engine.connect();
    for (int i = 1; i <= 40; ++i) c.execute(sq::runtime_sql("INSERT INTO notes (id, text) VALUES (" + TestType::placeholder(1) + ", 'n')"), i);
    auto prepared = [&] { return engine.statistics().statements_prepared.load(); };
    CHECK(c.template query<Note>().count() == 40);  // a compile-time statement
    const std::int64_t base = live_statements(c);
    const auto before = prepared();
    for (int i = 0; i < 200; ++i) {
        auto rows = c.template fetch<std::tuple<std::int64_t>>(sq::runtime_sql("SELECT count(*) + " + std::to_string(i) + " FROM notes"));
        REQUIRE(std::get<0>(rows.at(0)) == 40 + i);
    }
    CHECK(prepared() - before == 200);
    CHECK(live_statements(c) - base <= 16);
    c.template fetch<std::tuple<std::int64_t>>("SELECT count(*) + 199 FROM notes");  // recently used: kept
    CHECK(prepared() - before == 200);
    c.template fetch<std::tuple<std::int64_t>>("SELECT count(*) + 0 FROM notes");  // least recently used: gone
    CHECK(prepared() - before == 201);
    CHECK(c.template query<Note>().count() == 40);  // compile-time statements are never evicted
    CHECK(prepared() - before == 201);

    // IN lists of 1..1000 values: eleven texts (1, 2, 4, ... 1024 placeholders), same answers.
    const auto in_before = prepared();
    std::vector<std::int64_t> ids;
    bool all_right = true;
    for (std::int64_t n = 1; n <= 1000; ++n) {
        ids.push_back(n);
        all_right = all_right &&
                    c.template query<Note>().filter(sq::col<&Note::id>.in(ids)).count() == std::min<std::size_t>(40, ids.size());
    }
    CHECK(all_right);
    CHECK(prepared() - in_before == 11);
    CHECK(c.template query<Note>().filter(!sq::col<&Note::id>.in({3, 5, 7})).count() == 37);
    CHECK(c.template query<Note>().filter(sq::col<&Note::id>.in({3, 5, 7})).count() == 3);
    CHECK(live_statements(c) - base <= 16 + 1);
}

// Fixed: a hook registered with engine.on_connect() while a connection was lent never ran on that
// connection (it ran on the idle ones only). Now a connection runs the hooks registered since it
// last did before it is next lent (detail::pool_state::lend in engine/basic_engine.hpp).
TEMPLATE_TEST_CASE("on_connect reaches connections lent when it was registered", "[reliability][findings]", sqlite,
                   postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine({.pool_size = 1});
    int runs = 0;
    auto hooked = [&](typename TestType::connection_type& c) {
        if constexpr (TestType::is_sqlite) {
            sqlite3_stmt* stmt = nullptr;
            sqlite3_prepare_v2(c.native_handle(), "PRAGMA foreign_keys", -1, &stmt, nullptr);
            bool on = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
            sqlite3_finalize(stmt);
            return on;
        } else {
            const char* name = PQparameterStatus(c.native_handle(), "application_name");
            return name && name == "hooked_" + db.schema;
        }
    };
    {
        auto lent = engine.connect();
        engine.on_connect([&](typename TestType::connection_type& c) {
            ++runs;
            if constexpr (TestType::is_sqlite) c.execute("PRAGMA foreign_keys=ON");
            else c.execute("SET application_name = 'hooked_" + db.schema + "'");
        });
        CHECK(runs == 0);  // not in the middle of its borrower's work
    }
    for (int i = 0; i < 3; ++i) {
        auto c = engine.connect();
        CHECK(hooked(c));
    }
    CHECK(runs == 1);
    CHECK(engine.statistics().connections_opened.load() == 1);
}

// Fixed: raw SQL with parameters ran its first statement only and ignored the rest:
// execute("INSERT ...; DELETE FROM notes", 1) inserted and did not delete. Now SQL after the
// first statement (but whitespace and comments) is an operational_error naming the statement
// (sqlite_connection::prepare_new in backend/sqlite.hpp; PostgreSQL refuses it itself).
TEMPLATE_TEST_CASE("raw SQL with parameters is one statement", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Note>::create_all(engine);
    auto c = engine.connect();
    c.execute("INSERT INTO notes (id, text) VALUES (10, 'kept')");
    const std::string insert = "INSERT INTO notes (id, text) VALUES (" + TestType::placeholder(1) + ", 'x')";
    CHECK_THROWS_WITH(c.execute(sq::runtime_sql(insert + "; DELETE FROM notes"), 1), Catch::Contains("DELETE FROM notes"));
    CHECK_THROWS_AS(c.execute(sq::runtime_sql(insert + "; DELETE FROM notes"), 1), sq::operational_error);
    CHECK_THROWS_AS(c.execute(sq::runtime_sql(insert + " junk"), 1), sq::operational_error);
    CHECK_THROWS_AS(c.template fetch<std::tuple<std::int64_t>>(sq::runtime_sql("SELECT " + TestType::placeholder(1) + "; junk"), 1),
                    sq::operational_error);
    {
        typename TestType::session_type s(engine);
        CHECK_THROWS_AS(s.execute(sq::runtime_sql(insert + "; DELETE FROM notes"), 1), sq::operational_error);
    }
    auto probe = db.probe();
    CHECK(probe.query("SELECT id, text FROM notes") == structql_test::text_rows{{"10", "kept"}});
    // Whitespace, comments and a last semicolon are not a second statement.
    CHECK(c.execute(sq::runtime_sql(insert + "; -- done\n  /* really */ "), 1) == 1);
    CHECK(c.template fetch<std::tuple<std::int64_t>>(sq::runtime_sql("SELECT id FROM notes WHERE id = " + TestType::placeholder(1) + " ;\n"), 10)
              .size() == 1);
    // execute(sql) without parameters runs every statement, by design.
    c.execute("INSERT INTO notes (id, text) VALUES (2, 'b'); INSERT INTO notes (id, text) VALUES (3, 'c')");
    CHECK(probe.count("SELECT count(*) FROM notes") == 4);
}

// Fixed: with check_same_thread, a flush from another thread failed at the connection, and the
// failure rolled back the owner's transaction and gave its connection back to the pool from
// that thread. Now the session refuses the call before touching anything (operational_error);
// its owner goes on with its transaction and pending changes intact.
TEMPLATE_TEST_CASE("a session used from another thread is left intact", "[reliability][findings]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Note>::create_all(engine);
    typename TestType::session_type s(engine);
    s.add(Note{.id = 1, .text = "flushed"});
    s.flush();
    Note& pending = s.add(Note{.id = 2, .text = "pending"});
    std::string caught;
    bool other = false;
    for (auto call : std::vector<std::function<void()>>{[&] { s.flush(); }, [&] { s.commit(); }, [&] { s.rollback(); },
                                                        [&] { (void)s.template get<Note>(1); }}) {
        std::thread([&] {
            try {
                call();
            } catch (const sq::operational_error& e) {
                caught = e.what();
            } catch (...) {
                other = true;
            }
        }).join();
        CHECK_THAT(caught, Catch::Contains("thread"));
        caught.clear();
    }
    CHECK_FALSE(other);
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(*) FROM notes") == 0);
    CHECK(s.template get<Note>(2) == &pending);
    s.commit();
    CHECK(probe.query("SELECT id, text FROM notes ORDER BY id") == structql_test::text_rows{{"1", "flushed"}, {"2", "pending"}});
}
