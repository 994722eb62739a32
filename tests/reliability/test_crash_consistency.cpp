// Crash consistency: a child process commits batches of rows through a session and reports
// each commit to the parent through a pipe once commit() has returned; the parent kills it with
// SIGKILL at a random moment, reopens the file with plain sqlite3 and checks that every
// acknowledged batch is there in full, that no batch is there in part, that the tally row
// updated in the same transactions agrees, and that PRAGMA integrity_check says ok. Then a new
// child goes on from where the last one stopped. Once with SQLite's default rollback journal,
// once with WAL.
//
// The parent forks before it opens anything (no engine, no thread, no sqlite3 handle is alive
// across fork()); its checks use an independent sqlite3 connection that it closes again before
// the next fork.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <structql/structql.hpp>

#include "../support.hpp"

namespace crash_test {
namespace sq = structql;

// One row of a committed batch: `batch_size` rows share `batch`, numbered 0..batch_size-1.
struct Entry {
    std::int64_t id;
    sq::indexed<std::int64_t> batch;
    std::int64_t position;
    std::int64_t batch_size;
    std::string payload;
    static constexpr std::string_view table_name = "entries";
};

// One row, updated by every transaction: the rows and batches committed so far.
struct Tally {
    std::int64_t id;
    std::int64_t rows;
    std::int64_t batches;
    static constexpr std::string_view table_name = "tally";
};

struct ack {
    std::int64_t batch;
    std::int64_t size;
};

// The child: commits batches forever, acknowledging each one after commit() returned. Never
// returns; exits through _exit so that nothing of the parent's (Catch2, atexit) runs twice.
[[noreturn]] void writer(const std::string& url, bool wal, int ack_fd, unsigned seed) {
    int status = 0;
    try {
        auto engine = sq::create_engine(url, {.pool_size = 1, .wal = wal});
        sq::metadata<Entry, Tally>::create_all(engine);
        std::mt19937 rng(seed);
        sq::session db(engine);
        Tally* tally = db.get<Tally>(1);
        if (!tally) {
            tally = &db.add(Tally{.id = 1, .rows = 0, .batches = 0});
            db.commit();
        }
        auto last = db.fetch<std::tuple<std::optional<std::int64_t>>>("SELECT max(batch) FROM entries");
        std::int64_t batch = std::get<0>(last.at(0)).value_or(0);
        for (;;) {
            ++batch;
            std::int64_t size = 2 + static_cast<std::int64_t>(rng() % 7);
            for (std::int64_t i = 0; i < size; ++i)
                db.add(Entry{.batch = batch, .position = i, .batch_size = size,
                             .payload = std::string(static_cast<std::size_t>(rng() % 300), 'x')});
            tally->rows += size;
            tally->batches += 1;
            db.commit();
            ack a{batch, size};
            if (write(ack_fd, &a, sizeof a) != static_cast<ssize_t>(sizeof a)) _exit(3);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash test writer: %s\n", e.what());
        status = 2;
    } catch (...) {
        status = 2;
    }
    _exit(status);
}

struct round_result {
    int acks = 0;
    bool child_failed = false;
};

// Reads the acknowledgements that arrive before `deadline` (without blocking past it), or
// until `enough` have arrived; with `drain`, only those already in the pipe.
void read_acks(int fd, std::chrono::steady_clock::time_point deadline, std::map<std::int64_t, std::int64_t>& acked,
               round_result& result, bool drain, int enough = -1) {
    for (int got = 0; got != enough;) {
        int wait_ms = 0;
        if (!drain) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return;
            wait_ms = static_cast<int>(left.count());
        }
        pollfd p{fd, POLLIN, 0};
        int ready = poll(&p, 1, wait_ms);
        if (ready <= 0) return;
        ack a;
        ssize_t n = read(fd, &a, sizeof a);
        if (n == 0) return;  // the child is gone and the pipe is empty
        if (n != static_cast<ssize_t>(sizeof a)) {
            result.child_failed = true;
            return;
        }
        acked[a.batch] = a.size;
        ++result.acks;
        ++got;
    }
}

// Checks the file after a kill: returns a description of what is wrong, or "".
std::string check_file(const std::filesystem::path& path, const std::map<std::int64_t, std::int64_t>& acked) {
    if (!std::filesystem::exists(path)) return acked.empty() ? "" : "the database file is gone";
    structql_test::sqlite_file file(path);
    auto integrity = file.query("PRAGMA integrity_check");
    if (integrity.size() != 1 || integrity[0][0] != "ok") return "integrity_check: " + integrity[0][0].value_or("NULL");
    auto tables = file.count("SELECT count(*) FROM sqlite_master WHERE name IN ('entries', 'tally')");
    if (tables < 2) return acked.empty() ? "" : "the tables are missing";
    // Every batch present is whole: as many rows as its size, positions 0..size-1.
    auto partial = file.query(
        "SELECT batch, count(*), min(batch_size), max(batch_size), count(DISTINCT position), min(position), "
        "max(position) FROM entries GROUP BY batch HAVING count(*) <> min(batch_size) OR min(batch_size) <> "
        "max(batch_size) OR count(DISTINCT position) <> count(*) OR min(position) <> 0 OR max(position) <> count(*) - 1");
    if (!partial.empty()) return "a partial batch is visible: batch " + partial[0][0].value_or("?");
    // Every acknowledged batch is there, with its size.
    for (auto [batch, size] : acked) {
        auto n = file.count("SELECT count(*) FROM entries WHERE batch = " + std::to_string(batch));
        if (n != size)
            return "acknowledged batch " + std::to_string(batch) + " has " + std::to_string(n) + " rows of " +
                   std::to_string(size);
    }
    // The tally, updated in the same transactions, agrees with the rows.
    auto rows = file.count("SELECT count(*) FROM entries");
    auto batches = file.count("SELECT count(DISTINCT batch) FROM entries");
    auto tally = file.query("SELECT rows, batches FROM tally WHERE id = 1");
    if (tally.empty()) return rows == 0 ? "" : "rows without a tally";
    if (tally[0][0] != std::to_string(rows) || tally[0][1] != std::to_string(batches))
        return "the tally (" + tally[0][0].value_or("NULL") + " rows, " + tally[0][1].value_or("NULL") +
               " batches) disagrees with the table (" + std::to_string(rows) + ", " + std::to_string(batches) + ")";
    return "";
}

struct crash_report {
    int kill_points = 0;
    int acknowledged_batches = 0;
    std::string failure;
};

crash_report run_crash_rounds(bool wal, int rounds, std::chrono::seconds budget) {
    structql_test::temp_dir dir;
    auto path = dir.path() / "crash.db";
    std::string url = "sqlite:///" + path.string();
    std::map<std::int64_t, std::int64_t> acked;
    std::mt19937 rng(wal ? 20260 : 20261);
    crash_report report;
    auto stop_at = std::chrono::steady_clock::now() + budget;
    for (int round = 0; round < rounds && std::chrono::steady_clock::now() < stop_at; ++round) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        std::fflush(nullptr);
        pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            close(fds[0]);
            writer(url, wal, fds[1], static_cast<unsigned>(rng()));
        }
        close(fds[1]);
        round_result result;
        // Half the rounds kill at a random moment after the start (opening, creating tables,
        // the first commits); the others after the first acknowledgement plus a few hundred
        // microseconds, which mostly lands inside a transaction or a commit.
        auto now = std::chrono::steady_clock::now();
        if (round % 2 == 0) {
            read_acks(fds[0], now + std::chrono::microseconds(rng() % 25000), acked, result, false);
        } else {
            read_acks(fds[0], now + std::chrono::seconds(10), acked, result, false, 1);
            read_acks(fds[0], std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 3000), acked,
                      result, false);
        }
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
        read_acks(fds[0], {}, acked, result, true);  // acks written before the kill still count
        close(fds[0]);
        if (WIFEXITED(status)) {
            report.failure = "round " + std::to_string(round) + ": the writer exited with status " +
                             std::to_string(WEXITSTATUS(status)) + " instead of being killed";
            break;
        }
        if (result.child_failed) {
            report.failure = "round " + std::to_string(round) + ": a torn acknowledgement";
            break;
        }
        ++report.kill_points;
        std::string problem = check_file(path, acked);
        if (!problem.empty()) {
            report.failure = "after kill " + std::to_string(round) + (wal ? " (WAL)" : " (rollback journal)") + ": " +
                             problem;
            break;
        }
    }
    report.acknowledged_batches = static_cast<int>(acked.size());
    return report;
}

}  // namespace crash_test

using namespace crash_test;

// At least 50 kill points per mode in total, a few seconds each: 60 rounds, each a fork, up to
// 25 ms of writing and a check.
TEST_CASE("SIGKILL at random moments loses no acknowledged commit (rollback journal)", "[reliability][crash]") {
    auto report = run_crash_rounds(/*wal=*/false, 60, std::chrono::seconds(60));
    INFO(report.failure);
    CHECK(report.failure.empty());
    CHECK(report.kill_points == 60);
    CHECK(report.acknowledged_batches > 0);
    WARN("rollback journal: " << report.kill_points << " kill points survived, " << report.acknowledged_batches
                              << " acknowledged batches checked");
}

TEST_CASE("SIGKILL at random moments loses no acknowledged commit (WAL)", "[reliability][crash]") {
    auto report = run_crash_rounds(/*wal=*/true, 60, std::chrono::seconds(60));
    INFO(report.failure);
    CHECK(report.failure.empty());
    CHECK(report.kill_points == 60);
    CHECK(report.acknowledged_batches > 0);
    WARN("WAL: " << report.kill_points << " kill points survived, " << report.acknowledged_batches
                 << " acknowledged batches checked");
}
