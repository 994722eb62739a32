// The engine against a SQLite file and a PostgreSQL schema: its pool (sizes, overflow, timeout,
// reset on return, dispose, pre-ping, recycle), connect events, statement hooks, statistics, and
// many threads sharing one engine. What reached the database is checked through the driver
// (sqlite3 / libpq): rows, open transactions, and on PostgreSQL the server's own count of
// connections (pg_stat_activity). SQLite's busy timeout and WAL are SQLite's alone.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <structql/structql.hpp>

#include "backends.hpp"
#include "support.hpp"

namespace engine_test {
namespace sq = structql;
using namespace std::chrono_literals;
using structql_test::postgresql;
using structql_test::sqlite;

struct Event {
    std::int64_t id;
    std::int64_t worker;
    std::int64_t sequence;
};

struct Note {
    std::int64_t id;
    std::string text;
};

}  // namespace engine_test

using namespace engine_test;

TEMPLATE_TEST_CASE("the pool lends at most pool_size + max_overflow connections, then times out", "[engine][pool]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_counted_engine({.pool_size = 2, .max_overflow = 1, .pool_timeout = 100ms});
    {
        auto a = engine.connect();
        auto b = engine.connect();
        auto c = engine.connect();
        CHECK(engine.open_connections() == 3);
        if (auto seen = db.server_connections(3)) CHECK(*seen == 3);
        auto started = std::chrono::steady_clock::now();
        try {
            (void)engine.connect();
            FAIL("a fourth connection should have timed out");
        } catch (const sq::timeout_error& e) {
            CHECK(std::chrono::steady_clock::now() - started >= 100ms);
            CHECK_THAT(e.what(), Catch::Contains("size 2 overflow 1"));
        }
        if (auto seen = db.server_connections(3)) CHECK(*seen == 3);  // the fourth was never opened
    }
    // The overflow connection was closed on return; pool_size stay open for reuse.
    CHECK(engine.open_connections() == 2);
    if (auto seen = db.server_connections(2)) CHECK(*seen == 2);
    CHECK(engine.statistics().connections_closed.load() == 1);
    auto again = engine.connect();
    CHECK(engine.statistics().connections_opened.load() == 3);
}

TEMPLATE_TEST_CASE("a borrower waiting for a connection gets the one returned", "[engine][pool]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_counted_engine({.check_same_thread = false, .pool_size = 1, .max_overflow = 0, .pool_timeout = 5s});
    engine.connect().execute("CREATE TABLE t (x INTEGER)");
    auto held = std::make_unique<typename TestType::connection_type>(engine.connect());
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        auto c = engine.connect();
        got = true;
        c.execute("INSERT INTO t VALUES (1)");
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(got.load());
    held.reset();
    waiter.join();
    CHECK(got.load());
    CHECK(engine.statistics().connections_opened.load() == 1);
    if (auto seen = db.server_connections(1)) CHECK(*seen == 1);
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(*) FROM t WHERE x = 1") == 1);
}

TEMPLATE_TEST_CASE("a connection returned with an open transaction is rolled back", "[engine][pool]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine({.pool_size = 1});
    {
        auto c = engine.connect();
        c.execute("CREATE TABLE t (x INTEGER)");
        c.execute("BEGIN; INSERT INTO t VALUES (1)");
        CHECK(TestType::in_transaction(c.native_handle()));
    }
    auto file = db.probe();
    CHECK(file.count("SELECT count(*) FROM t") == 0);
    auto c = engine.connect();
    CHECK(engine.statistics().connections_opened.load() == 1);  // the same connection, reset
    CHECK_FALSE(TestType::in_transaction(c.native_handle()));
    c.execute("INSERT INTO t VALUES (2)");
    CHECK(file.count("SELECT count(*) FROM t") == 1);
    CHECK(file.count("SELECT x FROM t") == 2);
}

TEMPLATE_TEST_CASE("on_connect runs once per physical connection", "[engine]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_counted_engine({.pool_size = 2});
    int runs = 0;
    // Each backend's own per-connection setting, read back through the driver's handle:
    // SQLite's foreign_keys pragma, PostgreSQL's application_name (which libpq tracks).
    engine.on_connect([&](typename TestType::connection_type& c) {
        ++runs;
        if constexpr (TestType::is_sqlite) c.execute("PRAGMA foreign_keys=ON");
        else c.execute("SET application_name = 'hooked_" + db.schema + "'");
    });
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
    for (int i = 0; i < 10; ++i) {
        auto c = engine.connect();
        CHECK(hooked(c));
    }
    CHECK(runs == 1);
    {
        auto a = engine.connect();
        auto b = engine.connect();
        CHECK(hooked(a));
        CHECK(hooked(b));
    }
    CHECK(runs == 2);
    CHECK(engine.statistics().connections_opened.load() == 2);
    if constexpr (TestType::is_postgresql) {
        auto probe = db.probe();
        CHECK(probe.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hooked_" + db.schema + "'") == 2);
    }
}

TEMPLATE_TEST_CASE("dispose closes idle connections and retires lent ones", "[engine][pool]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_counted_engine({.pool_size = 3});
    {
        auto a = engine.connect();
        auto b = engine.connect();
    }
    auto lent = std::make_unique<typename TestType::connection_type>(engine.connect());
    CHECK(engine.open_connections() == 2);
    if (auto seen = db.server_connections(2)) CHECK(*seen == 2);
    engine.dispose();
    CHECK(engine.open_connections() == 1);
    if (auto seen = db.server_connections(1)) CHECK(*seen == 1);
    CHECK_NOTHROW(lent->execute("SELECT 1"));  // a lent connection still works until it returns
    lent.reset();  // from before dispose(): closed, not pooled
    CHECK(engine.open_connections() == 0);
    if (auto seen = db.server_connections(0)) CHECK(*seen == 0);
    CHECK(engine.statistics().connections_closed.load() == 2);
    auto fresh = engine.connect();
    CHECK(engine.statistics().connections_opened.load() == 3);
    if (auto seen = db.server_connections(1)) CHECK(*seen == 1);
}

TEMPLATE_TEST_CASE("pool_recycle replaces old connections, pool_pre_ping tests them", "[engine][pool]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    // A connection's age counts from before it was opened (as SQLAlchemy's does): 500 ms leaves
    // room for a server's connection set-up.
    auto engine = db.make_counted_engine({.pool_pre_ping = true, .pool_recycle = 500ms});
    int connects = 0;
    engine.on_connect([&](typename TestType::connection_type&) { ++connects; });
    { auto c = engine.connect(); }
    { auto c = engine.connect(); }
    CHECK(connects == 1);
    std::this_thread::sleep_for(600ms);
    { auto c = engine.connect(); }
    CHECK(connects == 2);
    CHECK(engine.statistics().connections_closed.load() == 1);
    if (auto seen = db.server_connections(1)) CHECK(*seen == 1);  // the old one is gone from the server
}

TEST_CASE("pool_pre_ping replaces a connection the server ended", "[engine][pool][postgresql]") {
    // PostgreSQL only: a SQLite connection has no server that could end it.
    STRUCTQL_REQUIRE_BACKEND(postgresql);
    postgresql db;
    auto engine = db.make_counted_engine({.pool_size = 1, .pool_pre_ping = true});
    { engine.connect().execute("SELECT 1"); }
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '" +
                      db.schema + "'") == 1);
    REQUIRE(db.server_connections(0) == 0);
    CHECK_NOTHROW(engine.connect().execute("SELECT 1"));
    CHECK(engine.statistics().connections_opened.load() == 2);
    CHECK(db.server_connections(1) == 1);
}

TEMPLATE_TEST_CASE("statement hooks see the SQL, the parameters and the duration", "[engine][events]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Note>::create_all(engine);
    std::vector<std::string> before;
    std::vector<std::chrono::nanoseconds> durations;
    engine.before_execute([&](const sq::statement_event& e) {
        std::string line(e.sql);
        for (auto& p : e.parameters) line += " | " + p;
        before.push_back(line);
    });
    engine.after_execute([&](const sq::statement_event& e) { durations.push_back(e.duration); });
    typename TestType::session_type s(engine);
    s.add(Note{.text = "hello"});
    s.commit();
    // The key is left out: SQLite reports it (last insert rowid), PostgreSQL returns it (RETURNING).
    const std::string insert = std::string(TestType::template insert_generated_key_sql<Note>) + " | 'hello'";
    bool insert_seen = false;
    for (auto& line : before) insert_seen = insert_seen || line == insert;
    CHECK(insert_seen);
    CHECK(durations.size() == before.size());
    CHECK(before.size() >= 3);  // BEGIN, INSERT, COMMIT
    auto file = db.probe();
    CHECK(file.count("SELECT count(*) FROM note WHERE text = 'hello'") == 1);
}

TEST_CASE("the URL's timeout reaches SQLite's busy timeout", "[engine]") {
    // SQLite only: its busy timeout; PostgreSQL waits for locks without one.
    structql_test::temp_dir dir;
    structql_test::sqlite_file file((sq::create_engine(dir.url("busy.db")).connect().execute("CREATE TABLE t (x)"),
                                     dir.path() / "busy.db"));
    auto engine = sq::create_engine(dir.url("busy.db") + "?timeout=0.2");
    file.exec("BEGIN EXCLUSIVE");
    auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(engine.connect().execute("INSERT INTO t VALUES (1)"), sq::operational_error);
    auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited >= 150ms);
    CHECK(waited < 3s);
    file.exec("COMMIT");
    CHECK_THROWS_AS(sq::create_engine(dir.url("busy.db") + "?timeout=soon"), sq::url_error);
}

TEST_CASE("wal = true switches the file to write-ahead logging", "[engine]") {
    // SQLite only: WAL is a SQLite journal mode.
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("wal.db"), {.wal = true});
    auto c = engine.connect();
    c.execute("CREATE TABLE t (x)");
    structql_test::sqlite_file file(dir.path() / "wal.db");
    CHECK(file.query("PRAGMA journal_mode")[0][0] == "wal");
}

TEMPLATE_TEST_CASE("8 threads x 1,000 sessions share one engine (a WAL file for SQLite)", "[engine][threads]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine({.pool_size = 4, .max_overflow = 4, .wal = TestType::is_sqlite});
    // WAL's normal synchronous mode keeps commits durable across application crashes
    // without an fsync each; enough for a test of concurrency, not of power loss.
    if constexpr (TestType::is_sqlite)
        engine.on_connect([](typename TestType::connection_type& c) { c.execute("PRAGMA synchronous=NORMAL"); });
    sq::metadata<Event>::create_all(engine);
    // 250 under AddressSanitizer (structql_test::address_sanitizer): the same paths (1,000 took 7-9 s there).
    constexpr int threads = 8, sessions = structql_test::address_sanitizer ? 250 : 1000;
    std::atomic<int> failures{0};
    std::atomic<std::int64_t> committed{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
            try {
                for (int i = 0; i < sessions; ++i) {
                    typename TestType::session_type s(engine);
                    Event& e = s.add(Event{.worker = w, .sequence = i});
                    s.commit();
                    ++committed;
                    Event* again = s.template get<Event>(e.id);
                    if (again != &e || s.template query<Event>().filter(sq::col<&Event::worker> == w).count() !=
                                           static_cast<std::size_t>(i + 1))
                        ++failures;
                }
            } catch (const std::exception& e) {
                ++failures;
                UNSCOPED_INFO(e.what());
            }
        });
    }
    for (auto& t : workers) t.join();
    CHECK(failures.load() == 0);
    CHECK(committed.load() == threads * sessions);
    auto file = db.probe();
    CHECK(file.count("SELECT count(*) FROM event") == threads * sessions);
    CHECK(file.count("SELECT count(*) FROM (SELECT DISTINCT worker, sequence FROM event) AS pairs") == threads * sessions);
    CHECK(file.count("SELECT count(DISTINCT id) FROM event") == threads * sessions);
    CHECK(engine.open_connections() <= 8);
}
