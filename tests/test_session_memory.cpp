// A closed session's stores are kept for the next session on the same thread
// (detail::spare_shelf): loading the same rows again allocates nothing for the tracked objects
// and the identity map. Counted through a replacement of the global operator new, which counts
// the calls made on the current thread.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <structql/structql.hpp>

#include "support.hpp"

namespace {
thread_local std::size_t allocations = 0;

void* counted_allocation(std::size_t size) noexcept {
    ++allocations;
    return std::malloc(size ? size : 1);
}
void* counted_allocation_or_throw(std::size_t size) {
    if (void* p = counted_allocation(size)) return p;
    throw std::bad_alloc();
}
}  // namespace

// Every non-aligned form, so that ASan sees malloc and free paired on each path.
void* operator new(std::size_t size) { return counted_allocation_or_throw(size); }
void* operator new[](std::size_t size) { return counted_allocation_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace session_memory_test {
namespace sq = structql;

struct Reading {
    std::int64_t id;
    std::int64_t value;  // no text: the rows themselves allocate nothing
};

// C++ allocations made on this thread by a new session loading every row.
std::size_t allocations_of_a_load(sq::engine& engine, std::size_t expected_rows) {
    auto SessionLocal = sq::sessionmaker(engine);
    sq::session db = SessionLocal();
    std::size_t before = allocations;
    std::vector<Reading*> all = db.query<Reading>().all();
    std::size_t made = allocations - before;
    REQUIRE(all.size() == expected_rows);
    return made;
}

TEST_CASE("a session reuses the memory of the session closed before it on the same thread", "[session][memory]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("memory.db"));
    sq::metadata<Reading>::create_all(engine);
    constexpr std::size_t rows = 5000;
    {
        sq::session db = sq::sessionmaker(engine)();
        for (std::size_t i = 0; i < rows; ++i) db.add(Reading{.id = 0, .value = static_cast<std::int64_t>(i)});
        db.commit();
    }
    structql_test::sqlite_file file(dir.path() / "memory.db");
    REQUIRE(file.count("SELECT count(*) FROM reading") == static_cast<std::int64_t>(rows));

    // On a thread of its own, so that no earlier session's store is shelved for it.
    std::size_t first = 0, second = 0, third = 0;
    std::thread([&] {
        first = allocations_of_a_load(engine, rows);
        second = allocations_of_a_load(engine, rows);
        third = allocations_of_a_load(engine, rows);
    }).join();
    // 5,000 tracked objects take 9 blocks (16, 32, ... 4,096) and the identity map grows 10 times
    // (16 to 16,384 slots); the result vector and the statement's bookkeeping are allocated anew.
    CHECK(first >= second + 9 + 10);
    CHECK(second == third);
    // A thread of its own starts with nothing shelved.
    std::size_t elsewhere = 0;
    std::thread([&] { elsewhere = allocations_of_a_load(engine, rows); }).join();
    CHECK(elsewhere >= second + 9 + 10);
}

TEST_CASE("objects of a closed session are destroyed, not carried into the next one", "[session][memory]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("memory.db"));
    sq::metadata<Reading>::create_all(engine);
    auto SessionLocal = sq::sessionmaker(engine);
    {
        sq::session db = SessionLocal();
        db.add(Reading{.id = 1, .value = 10});
        db.add(Reading{.id = 2, .value = 20});
        db.commit();
        db.get<Reading>(std::int64_t{1})->value = 11;  // changed, never flushed
        db.add(Reading{.id = 3, .value = 30});       // pending, never flushed
    }
    sq::session db = SessionLocal();
    // Nothing pending or changed came along with the reused store: a flush writes nothing.
    db.flush();
    structql_test::sqlite_file file(dir.path() / "memory.db");
    CHECK(file.count("SELECT count(*) FROM reading") == 2);
    CHECK(file.count("SELECT value FROM reading WHERE id = 1") == 10);
    Reading* one = db.get<Reading>(std::int64_t{1});
    REQUIRE(one != nullptr);
    CHECK(one->value == 10);
    CHECK(db.get<Reading>(std::int64_t{3}) == nullptr);
    CHECK(db.query<Reading>().count() == 2);
}

}  // namespace session_memory_test
