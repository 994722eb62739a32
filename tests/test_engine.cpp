// The engine: its pool (sizes, overflow, timeout, reset on return, dispose, pre-ping,
// recycle), connect events, statement hooks, echo, statistics, URL connect arguments, WAL, and
// many threads sharing one engine on one file.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <structql/structql.hpp>

#include "support.hpp"

namespace engine_test {
namespace sq = structql;
using namespace std::chrono_literals;

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

TEST_CASE("the pool lends at most pool_size + max_overflow connections, then times out", "[engine][pool]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("pool.db"), {.pool_size = 2, .max_overflow = 1, .pool_timeout = 100ms});
    {
        auto a = engine.connect();
        auto b = engine.connect();
        auto c = engine.connect();
        CHECK(engine.open_connections() == 3);
        auto started = std::chrono::steady_clock::now();
        try {
            (void)engine.connect();
            FAIL("a fourth connection should have timed out");
        } catch (const sq::timeout_error& e) {
            CHECK(std::chrono::steady_clock::now() - started >= 100ms);
            CHECK_THAT(e.what(), Catch::Contains("size 2 overflow 1"));
        }
    }
    // The overflow connection was closed on return; pool_size stay open for reuse.
    CHECK(engine.open_connections() == 2);
    CHECK(engine.statistics().connections_closed.load() == 1);
    auto again = engine.connect();
    CHECK(engine.statistics().connections_opened.load() == 3);
}

TEST_CASE("a borrower waiting for a connection gets the one returned", "[engine][pool]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("wait.db"),
                                    {.check_same_thread = false, .pool_size = 1, .max_overflow = 0, .pool_timeout = 5s});
    auto held = std::make_unique<sq::connection>(engine.connect());
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        auto c = engine.connect();
        got = true;
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(got.load());
    held.reset();
    waiter.join();
    CHECK(got.load());
    CHECK(engine.statistics().connections_opened.load() == 1);
}

TEST_CASE("a connection returned with an open transaction is rolled back", "[engine][pool]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("reset.db"), {.pool_size = 1});
    {
        auto c = engine.connect();
        c.execute("CREATE TABLE t (x INTEGER)");
        c.execute("BEGIN; INSERT INTO t VALUES (1)");
    }
    structql_test::sqlite_file file(dir.path() / "reset.db");
    CHECK(file.count("SELECT count(*) FROM t") == 0);
    auto c = engine.connect();
    CHECK(sqlite3_get_autocommit(c.native_handle()) == 1);
    c.execute("INSERT INTO t VALUES (2)");
    CHECK(file.count("SELECT count(*) FROM t") == 1);
}

TEST_CASE("on_connect runs once per physical connection", "[engine]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("hooks.db"), {.pool_size = 2});
    int runs = 0;
    engine.on_connect([&](sq::connection& c) {
        ++runs;
        c.execute("PRAGMA foreign_keys=ON");
    });
    for (int i = 0; i < 10; ++i) {
        auto c = engine.connect();
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(c.native_handle(), "PRAGMA foreign_keys", -1, &stmt, nullptr);
        REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
        CHECK(sqlite3_column_int(stmt, 0) == 1);
        sqlite3_finalize(stmt);
    }
    CHECK(runs == 1);
    {
        auto a = engine.connect();
        auto b = engine.connect();
    }
    CHECK(runs == 2);
    CHECK(engine.statistics().connections_opened.load() == 2);
}

TEST_CASE("dispose closes idle connections and retires lent ones", "[engine][pool]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("dispose.db"), {.pool_size = 3});
    {
        auto a = engine.connect();
        auto b = engine.connect();
    }
    auto lent = std::make_unique<sq::connection>(engine.connect());
    CHECK(engine.open_connections() == 2);
    engine.dispose();
    CHECK(engine.open_connections() == 1);
    lent.reset();  // from before dispose(): closed, not pooled
    CHECK(engine.open_connections() == 0);
    CHECK(engine.statistics().connections_closed.load() == 2);
    auto fresh = engine.connect();
    CHECK(engine.statistics().connections_opened.load() == 3);
}

TEST_CASE("pool_recycle replaces old connections, pool_pre_ping tests them", "[engine][pool]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("recycle.db"), {.pool_pre_ping = true, .pool_recycle = 20ms});
    int connects = 0;
    engine.on_connect([&](sq::connection&) { ++connects; });
    { auto c = engine.connect(); }
    { auto c = engine.connect(); }
    CHECK(connects == 1);
    std::this_thread::sleep_for(30ms);
    { auto c = engine.connect(); }
    CHECK(connects == 2);
}

TEST_CASE("statement hooks see the SQL, the parameters and the duration", "[engine][events]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("events.db"));
    sq::metadata<Note>::create_all(engine);
    std::vector<std::string> before;
    std::vector<std::chrono::nanoseconds> durations;
    engine.before_execute([&](const sq::statement_event& e) {
        std::string line(e.sql);
        for (auto& p : e.parameters) line += " | " + p;
        before.push_back(line);
    });
    engine.after_execute([&](const sq::statement_event& e) { durations.push_back(e.duration); });
    sq::session db(engine);
    db.add(Note{.text = "hello"});
    db.commit();
    bool insert_seen = false;
    for (auto& line : before)
        insert_seen = insert_seen || (line.starts_with("INSERT INTO \"note\"") && line.ends_with("| NULL | 'hello'"));
    CHECK(insert_seen);
    CHECK(durations.size() == before.size());
    CHECK(before.size() >= 3);  // BEGIN, INSERT, COMMIT
}

TEST_CASE("the URL's timeout reaches SQLite's busy timeout", "[engine]") {
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
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("wal.db"), {.wal = true});
    auto c = engine.connect();
    c.execute("CREATE TABLE t (x)");
    structql_test::sqlite_file file(dir.path() / "wal.db");
    CHECK(file.query("PRAGMA journal_mode")[0][0] == "wal");
}

TEST_CASE("8 threads x 1,000 sessions share one engine on a WAL file", "[engine][threads]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("stress.db"), {.pool_size = 4, .max_overflow = 4, .wal = true});
    // WAL's normal synchronous mode keeps commits durable across application crashes
    // without an fsync each; enough for a test of concurrency, not of power loss.
    engine.on_connect([](sq::connection& c) { c.execute("PRAGMA synchronous=NORMAL"); });
    sq::metadata<Event>::create_all(engine);
    constexpr int threads = 8, sessions = 1000;
    std::atomic<int> failures{0};
    std::atomic<std::int64_t> committed{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
            try {
                for (int i = 0; i < sessions; ++i) {
                    sq::session db(engine);
                    Event& e = db.add(Event{.worker = w, .sequence = i});
                    db.commit();
                    ++committed;
                    Event* again = db.get<Event>(e.id);
                    if (again != &e || db.query<Event>().filter(sq::col<&Event::worker> == w).count() !=
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
    structql_test::sqlite_file file(dir.path() / "stress.db");
    CHECK(file.count("SELECT count(*) FROM event") == threads * sessions);
    CHECK(file.count("SELECT count(DISTINCT worker || '-' || sequence) FROM event") == threads * sessions);
    CHECK(engine.open_connections() <= 8);
}
