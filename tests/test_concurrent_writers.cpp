// Writers sharing one database. SQLite: how transactions begin (engine_options::sqlite_begin,
// and BEGIN IMMEDIATE for a session whose first statement writes), the engine's writers taking
// the write lock in turn, and 8 threads x 200 add + commit sessions on a rollback-journal and a
// WAL file; PostgreSQL: the same 8 threads. What reached the database is counted through an
// independent connection (sqlite3 / libpq); locks are probed with a raw sqlite3 BEGIN IMMEDIATE.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <structql/structql.hpp>

#include "backends.hpp"
#include "support.hpp"

namespace concurrent_writers_test {
namespace sq = structql;
using namespace std::chrono_literals;

struct Entry {
    std::int64_t id;
    std::int64_t worker;
    std::int64_t sequence;
};

// Runs `threads` x `sessions` add + commit sessions on `engine`; returns the errors raised.
template <class Engine>
std::vector<std::string> add_and_commit(Engine& engine, int threads, int sessions) {
    using session_type = sq::basic_session<typename Engine::backend_type>;
    std::mutex mutex;
    std::vector<std::string> errors;
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
            for (int i = 0; i < sessions; ++i) {
                try {
                    session_type db(engine);
                    db.add(Entry{.worker = w, .sequence = i});
                    db.commit();
                } catch (const std::exception& e) {
                    std::lock_guard lock(mutex);
                    errors.emplace_back(e.what());
                }
            }
        });
    }
    for (auto& t : workers) t.join();
    return errors;
}

void check_sqlite_file(bool wal) {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("writers.db"), {.pool_size = 8, .wal = wal});
    sq::metadata<Entry>::create_all(engine);
    // No fsync per commit: the test is about locks, not power loss, and must stay fast.
    engine.on_connect([](sq::connection& c) { c.execute("PRAGMA synchronous=OFF"); });
    structql_test::sqlite_file file(dir.path() / "writers.db");
    REQUIRE(file.query("PRAGMA journal_mode")[0][0] == (wal ? "wal" : "delete"));
    auto errors = add_and_commit(engine, 8, 200);
    for (const auto& e : errors) UNSCOPED_INFO(e);
    CHECK(errors.size() == 0);
    CHECK(file.count("SELECT count(*) FROM entry") == 1600);
    CHECK(file.count("SELECT count(*) FROM (SELECT DISTINCT worker, sequence FROM entry)") == 1600);
}

// Whether a raw sqlite3 connection could take the write lock now (it does not wait).
bool write_lock_free(structql_test::sqlite_file& file) {
    try {
        file.exec("BEGIN IMMEDIATE; ROLLBACK;");
        return true;
    } catch (const std::runtime_error&) {
        return false;
    }
}

// The BEGIN statements an engine runs, as its statement hook sees them.
struct begins {
    std::vector<std::string> seen;
    explicit begins(sq::engine& engine) {
        engine.before_execute([this](const sq::statement_event& e) {
            if (e.sql.starts_with("BEGIN")) seen.emplace_back(e.sql);
        });
    }
};

}  // namespace concurrent_writers_test

using namespace concurrent_writers_test;

TEST_CASE("8 threads x 200 add + commit sessions on a rollback-journal SQLite file: none is refused", "[session][threads]") {
    check_sqlite_file(false);
}

TEST_CASE("8 threads x 200 add + commit sessions on a WAL SQLite file: none is refused", "[session][threads]") {
    check_sqlite_file(true);
}

TEST_CASE("8 threads x 200 add + commit sessions on PostgreSQL: none is refused", "[session][threads][postgresql]") {
    using structql_test::postgresql;
    STRUCTQL_REQUIRE_BACKEND(postgresql);
    postgresql db;
    auto engine = db.make_engine({.pool_size = 8});
    sq::metadata<Entry>::create_all(engine);
    auto errors = add_and_commit(engine, 8, 200);
    for (const auto& e : errors) UNSCOPED_INFO(e);
    CHECK(errors.size() == 0);
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(*) FROM entry") == 1600);
    CHECK(probe.count("SELECT count(*) FROM (SELECT DISTINCT worker, sequence FROM entry) AS pairs") == 1600);
}

TEST_CASE("SQLite transactions begin IMMEDIATE on a file, deferred in memory, and IMMEDIATE when they start by writing",
          "[session]") {
    structql_test::temp_dir dir;
    SECTION("a file, by default: every transaction holds the write lock from its first statement") {
        auto engine = sq::create_engine(dir.url("modes.db"));
        sq::metadata<Entry>::create_all(engine);
        engine.connect().execute("INSERT INTO entry (worker, sequence) VALUES (1, 1)");
        begins seen(engine);
        structql_test::sqlite_file file(dir.path() / "modes.db");
        sq::session db(engine);
        Entry* e = db.get<Entry>(1);  // a read, first
        REQUIRE(e);
        CHECK(seen.seen == std::vector<std::string>{"BEGIN IMMEDIATE"});
        CHECK_FALSE(write_lock_free(file));
        e->sequence = 2;
        db.commit();  // the write that follows the read cannot be refused
        CHECK(write_lock_free(file));
        CHECK(file.count("SELECT sequence FROM entry WHERE id = 1") == 2);
    }
    SECTION("sqlite_begin = deferred: a session that only reads takes no lock; one that writes first begins IMMEDIATE") {
        auto engine = sq::create_engine(dir.url("modes.db"), {.sqlite_begin = sq::transaction_mode::deferred});
        sq::metadata<Entry>::create_all(engine);
        begins seen(engine);
        structql_test::sqlite_file file(dir.path() / "modes.db");
        {
            sq::session reader(engine);
            CHECK(reader.query<Entry>().count() == 0);
            CHECK(write_lock_free(file));
        }
        CHECK(seen.seen == std::vector<std::string>{"BEGIN"});
        seen.seen.clear();
        {  // a flush, raw execute, a bulk update and begin_nested each start with a write
            sq::session writer(engine);
            writer.add(Entry{.worker = 1, .sequence = 1});
            writer.flush();
            CHECK_FALSE(write_lock_free(file));
            writer.commit();
            writer.execute("UPDATE entry SET sequence = 2");
            writer.commit();
            writer.query<Entry>().filter(sq::col<&Entry::worker> == 1).update(sq::set<&Entry::sequence>(3));
            writer.commit();
            auto sp = writer.begin_nested();
            CHECK_FALSE(write_lock_free(file));
            sp.commit();
            writer.commit();
        }
        CHECK(seen.seen == std::vector<std::string>(4, "BEGIN IMMEDIATE"));
        CHECK(file.count("SELECT sequence FROM entry") == 3);
    }
    SECTION("in memory, by default: deferred (memdb's write lock would keep readers out)") {
        auto engine = sq::create_engine("sqlite://");
        sq::metadata<Entry>::create_all(engine);
        begins seen(engine);
        sq::session reader(engine);
        CHECK(reader.query<Entry>().count() == 0);
        sq::session other(engine);  // reads beside it
        CHECK(other.query<Entry>().count() == 0);
        CHECK(seen.seen == std::vector<std::string>(2, "BEGIN"));
    }
}

TEST_CASE("a deferred SQLite transaction that reads, then writes, is refused at once while another writes",
          "[session]") {
    // The case the README warns of: no busy_timeout helps, as the lock cannot be waited for.
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("upgrade.db"), {.sqlite_begin = sq::transaction_mode::deferred});
    sq::metadata<Entry>::create_all(engine);
    engine.connect().execute("INSERT INTO entry (worker, sequence) VALUES (1, 1)");
    structql_test::sqlite_file file(dir.path() / "upgrade.db");
    sq::session db(engine);
    Entry* e = db.get<Entry>(1);
    REQUIRE(e);
    file.exec("BEGIN IMMEDIATE");
    e->sequence = 2;
    auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(db.commit(), Catch::Contains("database is locked"));
    CHECK(std::chrono::steady_clock::now() - started < 2s);  // busy_timeout is 5 s
    file.exec("ROLLBACK");
    db.rollback();
    CHECK(e->sequence == 1);
}

TEST_CASE("writers of one SQLite engine take the write lock in the order they asked for it", "[session][threads]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("turns.db"));
    engine.connect().execute("CREATE TABLE turns (name TEXT)");
    std::vector<std::thread> writers;
    {
        auto first = engine.begin();  // holds the lock while the others queue
        for (std::string name : {"b", "c", "d"}) {
            writers.emplace_back([&engine, name] {
                engine.transaction([&](sq::connection& c) { c.execute("INSERT INTO turns VALUES (?)", name); });
            });
            std::this_thread::sleep_for(200ms);  // queued before the next one starts
        }
        first->execute("INSERT INTO turns VALUES ('a')");
        first.commit();
    }
    for (auto& t : writers) t.join();
    structql_test::sqlite_file file(dir.path() / "turns.db");
    std::string order;
    for (auto& row : file.query("SELECT name FROM turns ORDER BY rowid")) order += *row[0];
    CHECK(order == "abcd");
}

TEST_CASE("a writer kept waiting for all of busy_timeout gets 'database is locked', and the next one goes on",
          "[session][threads]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("wait.db"), {.busy_timeout = 200ms});
    engine.connect().execute("CREATE TABLE t (x INTEGER)");
    SECTION("behind an open transaction of the same engine") {
        auto first = engine.begin();
        std::string message;
        auto waited = 0ms;
        std::thread second([&] {
            auto started = std::chrono::steady_clock::now();
            try {
                auto tx = engine.begin();
            } catch (const sq::operational_error& e) {
                message = e.what();
            }
            waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        });
        second.join();
        CHECK_THAT(message, Catch::Contains("database is locked") && Catch::Contains("busy_timeout (200 ms)"));
        CHECK(waited >= 150ms);
        first.rollback();
        std::thread third([&] { engine.transaction([](sq::connection& c) { c.execute("INSERT INTO t VALUES (3)"); }); });
        third.join();
        structql_test::sqlite_file file(dir.path() / "wait.db");
        CHECK(file.count("SELECT count(*) FROM t") == 1);
    }
    SECTION("on the thread that holds the lock: at once, as waiting would wait for itself") {
        auto first = engine.begin();
        auto started = std::chrono::steady_clock::now();
        CHECK_THROWS_WITH(engine.begin(), Catch::Contains("this thread holds the write lock"));
        CHECK(std::chrono::steady_clock::now() - started < 100ms);
        sq::session reader(engine);
        CHECK_THROWS_WITH(reader.fetch<std::tuple<std::int64_t>>("SELECT count(*) FROM t"),
                          Catch::Contains("database is locked"));
    }
    SECTION("a COMMIT in raw SQL ends the turn with the transaction") {
        auto c = engine.connect();
        auto tx = c.begin();
        c.execute("INSERT INTO t VALUES (1); COMMIT");
        auto next = engine.begin();  // on this thread: waiting would be refused after 200 ms
        next->execute("INSERT INTO t VALUES (2)");
        next.commit();
        structql_test::sqlite_file file(dir.path() / "wait.db");
        CHECK(file.count("SELECT count(*) FROM t") == 2);
    }
}
