// Bugs found by the reliability work (fuzzing, sanitizers, bad input), one regression test each
// with its minimal reproduction. A bug still open is tagged [!mayfail] and its comment starts
// with "BUG:"; a fixed one says what it was and where it was fixed.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>

#include <structql/structql.hpp>

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
