// Concurrency under load: six threads share one engine on one WAL file for about two seconds,
// each running a random mix of inserts (with a shared counter bumped in the same
// transaction), updates, deletes, transactions rolled back, failing writes and reads. Each
// thread owns its rows and keeps an exact model of what it committed, so its reads must match
// that model at every moment, and at the end the table must be exactly the union of the
// models and the counter exactly the number of committed inserts.
//
// A read-then-write transaction (an update or delete of rows the session loaded first) may be
// refused with "database is locked" when another writer committed since it began reading:
// SQLite's deferred transactions cannot upgrade a stale snapshot (SQLITE_BUSY_SNAPSHOT), and
// no busy timeout helps. Such a transaction is counted, rolled back and recorded as not
// committed; the final check proves that nothing it did reached the file.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <structql/structql.hpp>

#include "../support.hpp"

namespace load_test {
namespace sq = structql;
using namespace std::chrono_literals;

struct Account {
    std::int64_t id;
    sq::indexed<std::int64_t> owner;
    std::int64_t value;
    std::string note;
    static constexpr std::string_view table_name = "accounts";
};

struct Counter {
    std::int64_t id;
    std::int64_t hits;
    static constexpr std::string_view table_name = "counters";
};

struct thread_report {
    std::map<std::int64_t, std::int64_t> rows;  // id -> value, as committed by this thread
    std::int64_t hits = 0;                      // committed counter increments
    int commits = 0, rollbacks = 0, reads = 0, refused = 0, busy = 0;
    std::vector<std::string> failures;
};

bool is_busy(const sq::error& e) {
    std::string_view m = e.what();
    return m.find("database is locked") != std::string_view::npos || m.find("database is busy") != std::string_view::npos;
}

void work(sq::engine engine, int me, std::chrono::steady_clock::time_point until, thread_report& out) {
    std::mt19937 rng(static_cast<unsigned>(1000 + me));
    auto pick = [&](const std::map<std::int64_t, std::int64_t>& m) {
        auto it = m.begin();
        std::advance(it, static_cast<long>(rng() % m.size()));
        return it->first;
    };
    auto fail = [&](std::string what) { out.failures.push_back("thread " + std::to_string(me) + ": " + what); };
    while (std::chrono::steady_clock::now() < until && out.failures.size() < 5) {
        unsigned op = rng() % 8;
        sq::session db(engine);
        try {
            if (op <= 1) {  // insert a batch and bump the shared counter, in one transaction
                std::vector<Account*> added;
                int n = 1 + static_cast<int>(rng() % 4);
                for (int i = 0; i < n; ++i)
                    added.push_back(&db.add(Account{.owner = me, .value = static_cast<std::int64_t>(rng() % 1000),
                                                    .note = std::string(rng() % 50, 'n')}));
                auto bumped = db.query<Counter>()
                                  .filter(sq::col<&Counter::id> == 1)
                                  .update(sq::set<&Counter::hits>(sq::col<&Counter::hits> + 1));
                if (bumped != 1) fail("the counter update matched " + std::to_string(bumped) + " rows");
                db.commit();
                for (Account* a : added) out.rows[a->id] = a->value;
                ++out.hits;
                ++out.commits;
            } else if (op == 2 && !out.rows.empty()) {  // update some of my rows
                std::map<std::int64_t, std::int64_t> changed;
                for (int i = 0; i < 3; ++i) {
                    auto id = pick(out.rows);
                    Account* a = db.get<Account>(id);
                    if (!a) {
                        fail("my committed row " + std::to_string(id) + " is missing");
                        break;
                    }
                    a->value = static_cast<std::int64_t>(rng() % 1000);
                    changed[id] = a->value;
                }
                db.commit();
                for (auto [id, v] : changed) out.rows[id] = v;
                ++out.commits;
            } else if (op == 3 && !out.rows.empty()) {  // delete one of my rows
                auto id = pick(out.rows);
                Account* a = db.get<Account>(id);
                if (!a) {
                    fail("my committed row " + std::to_string(id) + " is missing");
                    continue;
                }
                db.remove(*a);
                db.commit();
                out.rows.erase(id);
                ++out.commits;
            } else if (op == 4) {  // write, flush, then roll back: nothing may remain
                db.add(Account{.owner = me, .value = -1, .note = "rolled back"});
                if (!out.rows.empty()) {
                    auto id = pick(out.rows);
                    if (Account* a = db.get<Account>(id)) {
                        a->value = -2;
                        db.flush();
                        db.rollback();
                        if (a->value != out.rows[id]) fail("rollback did not restore the object");
                    }
                } else {
                    db.flush();
                    db.rollback();
                }
                ++out.rollbacks;
            } else if (op == 5 && !out.rows.empty()) {  // a failing write: a primary key already taken
                db.add(Account{.id = pick(out.rows), .owner = me, .value = -3, .note = "duplicate"});
                try {
                    db.commit();
                    fail("a duplicate primary key was committed");
                } catch (const sq::integrity_error& e) {
                    if (std::string_view(e.what()).find("accounts.id") == std::string_view::npos)
                        fail(std::string("the integrity error does not name accounts.id: ") + e.what());
                    db.rollback();
                    ++out.refused;
                }
            } else {  // read my rows: exactly what I committed, through a session and a connection
                auto mine = db.query<Account>().filter(sq::col<&Account::owner> == me).all();
                std::map<std::int64_t, std::int64_t> seen;
                for (Account* a : mine) seen[a->id] = a->value;
                if (seen != out.rows) fail("a session read differs from what this thread committed");
                auto values = engine.connect().query<Account>().filter(sq::col<&Account::owner> == me).values();
                seen.clear();
                for (const Account& a : values) seen[a.id] = a.value;
                if (seen != out.rows) fail("a connection read differs from what this thread committed");
                ++out.reads;
            }
        } catch (const sq::operational_error& e) {
            if (!is_busy(e)) fail(std::string("unexpected error: ") + e.what());
            ++out.busy;
            db.rollback();
        } catch (const std::exception& e) {
            fail(std::string("unexpected error: ") + e.what());
        }
    }
}

}  // namespace load_test

using namespace load_test;

TEST_CASE("six threads, mixed reads, writes and rollbacks on one WAL file: the file is what they committed",
          "[reliability][threads]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("load.db"), {.pool_size = 6, .max_overflow = 2, .wal = true});
    sq::metadata<Account, Counter>::create_all(engine);
    engine.connect().execute("INSERT INTO counters (id, hits) VALUES (1, 0)");

    constexpr int threads = 6;
    std::vector<thread_report> reports(threads);
    auto until = std::chrono::steady_clock::now() + 2s;
    {
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) workers.emplace_back(work, engine, t, until, std::ref(reports[t]));
        for (auto& w : workers) w.join();
    }

    int commits = 0, busy = 0, reads = 0, rollbacks = 0, refused = 0;
    std::int64_t hits = 0;
    for (auto& r : reports) {
        for (auto& f : r.failures) FAIL_CHECK(f);
        commits += r.commits;
        busy += r.busy;
        reads += r.reads;
        rollbacks += r.rollbacks;
        refused += r.refused;
        hits += r.hits;
    }
    WARN("load: " << commits << " commits, " << reads << " checked reads, " << rollbacks << " rollbacks, " << refused
                  << " refused duplicates, " << busy << " transactions refused as busy");
    CHECK(commits > threads * 10);
    CHECK(reads > threads * 10);

    structql_test::sqlite_file file(dir.path() / "load.db");
    CHECK(file.query("PRAGMA integrity_check")[0][0] == "ok");
    CHECK(file.count("SELECT hits FROM counters WHERE id = 1") == hits);
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> expected;  // id -> (owner, value)
    for (int t = 0; t < threads; ++t)
        for (auto [id, value] : reports[static_cast<std::size_t>(t)].rows) expected[id] = {t, value};
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> stored;
    for (auto& row : file.query("SELECT id, owner, value FROM accounts"))
        stored[std::stoll(*row[0])] = {std::stoll(*row[1]), std::stoll(*row[2])};
    CHECK(stored.size() == expected.size());
    CHECK(stored == expected);
}
