// The column types beyond the six storage types (<structql/chrono.hpp>, <structql/uuid.hpp>,
// <structql/decimal.hpp>, json<T> in <structql/json.hpp>): the SQL type each column is declared
// as, the exact form each value takes in the database (read through sqlite3 / libpq, not
// StructQL), round trips, filters, change tracking, and the data_error for a value that does not
// fit, on a SQLite file and on PostgreSQL.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <structql/chrono.hpp>
#include <structql/decimal.hpp>
#include <structql/json.hpp>
#include <structql/uuid.hpp>

#include "backends.hpp"

namespace types_test {

namespace sq = structql;
using namespace std::chrono;
using namespace std::chrono_literals;

struct Prefs {
    std::string theme;
    int size = 0;
    std::vector<std::string> tags;  // Prefs has no ==: a change is seen through the stored text
};

struct Event {
    static constexpr std::string_view table_name = "events";
    sq::primary_key<std::int64_t> id;
    year_month_day day;
    std::optional<sys_days> until;
    hh_mm_ss<milliseconds> starts;  // no operator== either
    sys_seconds at;
    sq::uuid ref;
    sq::decimal price;
    sq::json<Prefs> prefs;
};

using schema = sq::metadata<Event>;

constexpr year_month_day leap_day = 2024y / February / 29;

Event sample() {
    return Event{.id = 0,
                 .day = leap_day,
                 .until = std::nullopt,
                 .starts = hh_mm_ss<milliseconds>{13h + 45min + 30s + 250ms},
                 .at = sys_days{leap_day} + 13h + 45min + 30s,
                 .ref = sq::uuid::parse("A0EEBC99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                 .price = sq::decimal("12345678901234567890.10"),
                 .prefs = {{.theme = "dark", .size = 12, .tags = {"a", "b"}}}};
}

// The column's declared type as the database reports it.
template <class Database>
std::string declared_type(typename Database::probe_type& probe, std::string column) {
    if constexpr (Database::is_sqlite)
        return *probe.query("SELECT type FROM pragma_table_info('events') WHERE name = '" + column + "'").at(0).at(0);
    else
        return *probe.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'events' AND "
                            "table_schema = current_schema() AND column_name = '" + column + "'").at(0).at(0);
}

// The stored value as text, as the database writes it (sqlite3's text of the value; PostgreSQL's
// output format).
template <class Database>
std::string stored_text(typename Database::probe_type& probe, std::string column, std::int64_t id) {
    std::string cast = Database::is_sqlite ? "\"" + column + "\"" : "\"" + column + "\"::text";
    return *probe.query("SELECT " + cast + " FROM events WHERE id = " + std::to_string(id)).at(0).at(0);
}

template <class Database>
void set_stored(typename Database::probe_type& probe, std::string column, std::string sql_value, std::int64_t id) {
    probe.exec("UPDATE events SET \"" + column + "\" = " + sql_value + " WHERE id = " + std::to_string(id));
}

// Adds the event through a session and commits it; returns the key the database gave it.
template <class Database>
std::int64_t committed(typename Database::engine_type& engine, const Event& event) {
    typename Database::session_type s(engine);
    Event& added = s.add(Event(event));
    s.flush();  // the key is the database's from here
    const std::int64_t id = added.id;
    REQUIRE(id > 0);
    s.commit();
    return id;
}

bool same(const Event& a, const Event& b) {
    return a.id == b.id && a.day == b.day && a.until == b.until && a.starts.to_duration() == b.starts.to_duration() &&
           a.at == b.at && a.ref == b.ref && a.price == b.price && a.prefs->theme == b.prefs->theme &&
           a.prefs->size == b.prefs->size && a.prefs->tags == b.prefs->tags;
}

// The DDL is fixed at compile time, with each dialect's type.
static_assert(sq::sql::create_table_in<sq::sql::sqlite_dialect, Event>.find("\"day\" DATE NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::sqlite_dialect, Event>.find("\"price\" TEXT NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::sqlite_dialect, Event>.find("\"ref\" BLOB NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::postgresql_dialect, Event>.find("\"starts\" TIME NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::postgresql_dialect, Event>.find("\"ref\" UUID NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::postgresql_dialect, Event>.find("\"price\" NUMERIC NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::postgresql_dialect, Event>.find("\"prefs\" JSONB NOT NULL") != std::string_view::npos);
static_assert(sq::sql::create_table_in<sq::sql::postgresql_dialect, Event>.find("\"until\" DATE,") != std::string_view::npos);
static_assert(sq::table<Event>::columns[4].type == sq::column_type::timestamp);

}  // namespace types_test

using namespace types_test;
using structql_test::postgresql;
using structql_test::sqlite;

TEMPLATE_TEST_CASE("dates, times of day, time points, UUIDs, decimals and JSON documents: declared types and stored forms",
                   "[types]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    schema::create_all(engine);
    auto probe = db.probe();

    const bool lite = TestType::is_sqlite;
    CHECK(declared_type<TestType>(probe, "day") == (lite ? "DATE" : "date"));
    CHECK(declared_type<TestType>(probe, "until") == (lite ? "DATE" : "date"));
    CHECK(declared_type<TestType>(probe, "starts") == (lite ? "TIME" : "time without time zone"));
    CHECK(declared_type<TestType>(probe, "at") == (lite ? "DATETIME" : "timestamp with time zone"));
    CHECK(declared_type<TestType>(probe, "ref") == (lite ? "BLOB" : "uuid"));
    CHECK(declared_type<TestType>(probe, "price") == (lite ? "TEXT" : "numeric"));
    CHECK(declared_type<TestType>(probe, "prefs") == (lite ? "TEXT" : "jsonb"));

    Event written = sample();
    const std::int64_t id = written.id = committed<TestType>(engine, written);

    CHECK(stored_text<TestType>(probe, "day", id) == "2024-02-29");
    CHECK(stored_text<TestType>(probe, "price", id) == "12345678901234567890.10");  // scale kept, no double
    CHECK(stored_text<TestType>(probe, "starts", id) == (lite ? "13:45:30.250" : "13:45:30.25"));
    if constexpr (TestType::is_sqlite) {
        CHECK(probe.query("SELECT typeof(day), typeof(starts), typeof(price), typeof(ref), length(ref) FROM events")[0] ==
              std::vector<std::optional<std::string>>{"text", "text", "text", "blob", "16"});
        CHECK(probe.count("SELECT date(day, '+1 day') = '2024-03-01' FROM events") == 1);  // SQLite's date functions read it
        CHECK(probe.count("SELECT hex(ref) = 'A0EEBC999C0B4EF8BB6D6BB9BD380A11' FROM events") == 1);
    } else {
        CHECK(stored_text<TestType>(probe, "ref", id) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        CHECK(probe.count("SELECT (day + 1 = DATE '2024-03-01')::int FROM events") == 1);
        CHECK(probe.count("SELECT (price = 12345678901234567890.1)::int FROM events") == 1);
        CHECK(probe.count("SELECT (prefs->>'size')::int FROM events") == 12);
    }
    auto document = boost::json::parse(stored_text<TestType>(probe, "prefs", id));
    CHECK(document == boost::json::parse(R"({"theme":"dark","size":12,"tags":["a","b"]})"));

    // Read back by a new session, whatever form the driver sent it in.
    {
        typename TestType::session_type s(engine);
        Event* read = s.template get<Event>(id);
        REQUIRE(read);
        CHECK(same(*read, written));
        CHECK(read->ref.to_string() == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        CHECK(read->price.str() == "12345678901234567890.10");
    }
    // The value path reads them too, and filters by them.
    {
        auto c = engine.connect();
        auto found = c.template query<Event>().filter(sq::col<&Event::day> == leap_day).all();
        REQUIRE(found.size() == 1);
        CHECK(same(found[0], written));
        CHECK(c.template query<Event>().filter(sq::col<&Event::ref> == written.ref).count() == 1);
        CHECK(c.template query<Event>().filter(sq::col<&Event::day> < year_month_day{2024y / February / 28}).count() == 0);
        CHECK(c.template query<Event>().filter(sq::col<&Event::at> == written.at).count() == 1);
        if constexpr (TestType::is_postgresql)  // a uuid read as a plain string: its text, as the server writes it
            CHECK(std::get<0>(c.template fetch<std::tuple<std::string>>("SELECT ref FROM events").at(0)) ==
                  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        if constexpr (TestType::is_postgresql)  // NUMERIC compares by value; SQLite compares the text
            CHECK(c.template query<Event>().filter(sq::col<&Event::price> == sq::decimal("12345678901234567890.1")).count() == 1);
    }
}

TEMPLATE_TEST_CASE("extract reads the fields of dates and times and timestamps in UTC", "[types][extract]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    // A session time zone far from UTC: PostgreSQL's EXTRACT would otherwise read a TIMESTAMPTZ in it.
    if constexpr (!TestType::is_sqlite) engine.on_connect([](auto& c) { c.execute("SET TimeZone = 'Asia/Kolkata'"); });
    schema::create_all(engine);
    const Event e = sample();
    const std::int64_t id = committed<TestType>(engine, e);
    using sq::col;
    using part = sq::sql::date_part;
    auto c = engine.connect();
    auto fields = c.template query<Event>()
                      .select(sq::extract<part::year>(col<&Event::day>), sq::extract<part::month>(col<&Event::day>),
                              sq::extract<part::day>(col<&Event::day>), sq::extract<part::hour>(col<&Event::starts>),
                              sq::extract<part::minute>(col<&Event::starts>), sq::extract<part::second>(col<&Event::starts>),
                              sq::extract<part::year>(col<&Event::at>), sq::extract<part::hour>(col<&Event::at>),
                              sq::extract<part::minute>(col<&Event::at>), sq::extract<part::day>(col<&Event::until>))
                      .one();
    static_assert(std::is_same_v<std::tuple_element_t<0, decltype(fields)>, std::int64_t>);
    static_assert(std::is_same_v<std::tuple_element_t<9, decltype(fields)>, std::optional<std::int64_t>>);  // until is nullable
    const auto at_day = floor<days>(e.at);
    const hh_mm_ss<seconds> at_time{e.at - at_day};
    const year_month_day at_date{at_day};
    CHECK(std::get<0>(fields) == static_cast<int>(e.day.year()));
    CHECK(std::get<1>(fields) == static_cast<unsigned>(e.day.month()));
    CHECK(std::get<2>(fields) == static_cast<unsigned>(e.day.day()));
    CHECK(std::get<3>(fields) == e.starts.hours().count());
    CHECK(std::get<4>(fields) == e.starts.minutes().count());
    CHECK(std::get<5>(fields) == e.starts.seconds().count());  // whole seconds: the 250 ms dropped
    CHECK(std::get<6>(fields) == static_cast<int>(at_date.year()));
    CHECK(std::get<7>(fields) == at_time.hours().count());  // in UTC, whatever the session's time zone
    CHECK(std::get<8>(fields) == at_time.minutes().count());
    CHECK_FALSE(std::get<9>(fields).has_value());
    // In a filter; the database's own reading of the stored value agrees.
    CHECK(c.template query<Event>().filter(sq::extract<part::month>(col<&Event::at>) == 2 &&
                                           sq::extract<part::hour>(col<&Event::at>) == at_time.hours().count()).count() == 1);
    CHECK(c.template query<Event>().filter(sq::extract<part::year>(col<&Event::at>) < 2024).count() == 0);
    auto probe = db.probe();
    std::string hour_sql = TestType::is_sqlite ? "SELECT CAST(substr(\"at\", 12, 2) AS INTEGER) FROM events WHERE id = "
                                               : "SELECT to_char(\"at\" AT TIME ZONE 'UTC', 'FMHH24') FROM events WHERE id = ";
    CHECK(*probe.query(hour_sql + std::to_string(id)).at(0).at(0) == std::to_string(std::get<7>(fields)));
}

TEMPLATE_TEST_CASE("a change to a member without == (a time of day, a JSON document) is seen and written", "[types]",
                   sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    schema::create_all(engine);
    auto probe = db.probe();
    const std::int64_t id = committed<TestType>(engine, sample());
    std::vector<std::string> statements;
    engine.before_execute([&](const sq::statement_event& e) { statements.emplace_back(e.sql); });
    {
        typename TestType::session_type s(engine);
        s.template get<Event>(id);
        s.commit();  // nothing changed: no UPDATE
    }
    for (const auto& sql : statements) CHECK(sql.find("UPDATE") == std::string::npos);
    {
        typename TestType::session_type s(engine);
        Event* e = s.template get<Event>(id);
        REQUIRE(e);
        e->starts = hh_mm_ss<milliseconds>{8h + 5min};
        e->prefs->tags.push_back("c");
        e->until = sys_days{2024y / December / 31};
        e->price = sq::decimal("12345678901234567890.1000");  // the same number, another scale: written
        s.commit();
    }
    CHECK(stored_text<TestType>(probe, "price", id) == "12345678901234567890.1000");
    CHECK(stored_text<TestType>(probe, "starts", id) == (TestType::is_sqlite ? "08:05:00.000" : "08:05:00"));
    CHECK(boost::json::parse(stored_text<TestType>(probe, "prefs", id)).at("tags") == boost::json::parse(R"(["a","b","c"])"));
    CHECK(stored_text<TestType>(probe, "until", id) == "2024-12-31");
}

TEMPLATE_TEST_CASE("a value that does not fit its column is a data_error naming the table and column", "[types]", sqlite,
                   postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    schema::create_all(engine);
    auto probe = db.probe();

    auto refused = [&](const Event& e, const char* column) {
        typename TestType::session_type s(engine);
        s.add(Event(e));
        try {
            s.commit();
            FAIL("committed a bad " << column);
        } catch (const sq::data_error& error) {
            CHECK_THAT(error.what(), Catch::Contains(std::string("events.") + column));
        }
    };
    Event bad = sample();
    bad.day = 2023y / February / 29;  // not a date
    refused(bad, "day");
    bad = sample();
    bad.starts = hh_mm_ss<milliseconds>{25h};
    refused(bad, "starts");
    bad = sample();
    bad.at = sys_days{year{2500} / 1 / 1};  // beyond what a timestamp (nanoseconds since 1970) holds
    refused(bad, "at");
    CHECK(probe.count("SELECT COUNT(*) FROM events") == 0);

    const std::int64_t id = committed<TestType>(engine, sample());
    // Each bad value is written by the probe, read through a new session, then put back.
    auto unreadable = [&](const char* column, std::string sql_value, std::string restore, const char* problem) {
        set_stored<TestType>(probe, column, sql_value, id);
        {
            typename TestType::session_type s(engine);
            try {
                s.template get<Event>(id);
                FAIL("read " << column << " = " << sql_value);
            } catch (const sq::data_error& error) {
                CHECK_THAT(error.what(), Catch::Contains(std::string("events.") + column) && Catch::Contains(problem));
            }
        }
        set_stored<TestType>(probe, column, restore, id);
    };
    // A time finer than the member's precision is refused, not rounded.
    if constexpr (TestType::is_sqlite) {
        unreadable("at", "'2024-02-29 13:45:30.500000000'", "'2024-02-29 13:45:30.000000000'", "finer than the member's precision");
        unreadable("day", "'29/02/2024'", "'2024-02-29'", "is not a date");
        unreadable("ref", "x'0102'", "x'A0EEBC999C0B4EF8BB6D6BB9BD380A11'", "16 bytes");
    } else {
        unreadable("at", "TIMESTAMPTZ '2024-02-29 13:45:30.5+00'", "TIMESTAMPTZ '2024-02-29 13:45:30+00'", "finer than the member's precision");
        unreadable("price", "'NaN'", "12345678901234567890.10", "is not a decimal number");  // numeric holds NaN
        unreadable("day", "DATE '67560-01-01'", "DATE '2024-02-29'", "out of range");  // past year_month_day's years
    }
    set_stored<TestType>(probe, "prefs", TestType::is_sqlite ? "'{\"theme\": 7}'" : "'{\"theme\": 7}'::jsonb", id);
    {
        typename TestType::session_type s(engine);
        CHECK_THROWS_WITH(s.template get<Event>(id), Catch::Contains("events.prefs") && Catch::Contains("theme") &&
                                                         Catch::Contains("size"));
    }
}

namespace types_test {
// Time points with narrow reps: 32-bit seconds end in 2038, 32-bit milliseconds 25 days after 1970.
struct Tick {
    static constexpr std::string_view table_name = "ticks";
    std::int64_t id;
    sys_time<duration<std::int32_t>> at;
    sys_time<duration<std::int32_t, std::milli>> soon;
    sys_time<duration<std::uint64_t>> far;
};
}  // namespace types_test

TEMPLATE_TEST_CASE("a time point with a 32-bit rep is range-checked both ways - never wrapped", "[types]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    sq::metadata<Tick>::create_all(engine);
    auto probe = db.probe();
    const auto in_2038 = sys_time<duration<std::int32_t>>{duration<std::int32_t>{std::numeric_limits<std::int32_t>::max()}};
    const auto day_3 = sys_time<duration<std::int32_t, std::milli>>{duration<std::int32_t, std::milli>{3 * 86'400'000}};
    auto c = engine.connect();
    c.insert(std::vector<Tick>{{.id = 1, .at = in_2038, .soon = day_3, .far = sys_time<duration<std::uint64_t>>{}}});
    auto back = c.template get<Tick>(1);
    REQUIRE(back);
    CHECK(back->at == in_2038);
    CHECK(back->soon == day_3);
    CHECK(*probe.query(TestType::is_sqlite ? "SELECT at FROM ticks" : "SELECT at::text FROM ticks").at(0).at(0) ==
          (TestType::is_sqlite ? "2038-01-19 03:14:07.000000000" : "2038-01-19 03:14:07+00"));
    // Written: a value no timestamp holds.
    CHECK_THROWS_WITH(c.insert(std::vector<Tick>{{.id = 2, .at = in_2038, .soon = day_3,
                                                  .far = sys_time<duration<std::uint64_t>>{duration<std::uint64_t>{~std::uint64_t{0}}}}}),
                      Catch::Contains("ticks.far"));
    // Read: a stored time past the member's rep is a data_error naming the column.
    probe.exec(TestType::is_sqlite ? "UPDATE ticks SET at = '2100-01-01 00:00:00.000000000', soon = '2020-01-01 00:00:00.000000000'"
                                   : "UPDATE ticks SET at = '2100-01-01 00:00:00+00', soon = '2020-01-01 00:00:00+00'");
    CHECK_THROWS_WITH(c.template get<Tick>(1), Catch::Contains("ticks.at") && Catch::Contains("32 bits"));
    probe.exec(TestType::is_sqlite ? "UPDATE ticks SET at = '2000-01-01 00:00:00.000000000'" : "UPDATE ticks SET at = '2000-01-01 00:00:00+00'");
    CHECK_THROWS_WITH(c.template get<Tick>(1), Catch::Contains("ticks.soon") && Catch::Contains("32 bits"));
}

TEST_CASE("decimal keeps its digits and compares by value - uuid parses, prints and is random", "[types]") {
    CHECK(sq::decimal("-007.50").str() == "-7.50");
    CHECK(sq::decimal("+.5").str() == "0.5");
    CHECK(sq::decimal("-0.00").str() == "0.00");
    CHECK(sq::decimal(-42).str() == "-42");
    CHECK(sq::decimal("12.5") == sq::decimal("12.50"));
    CHECK(sq::decimal("-1") < sq::decimal("-0.5"));
    CHECK(sq::decimal("9.99") < sq::decimal("10"));
    CHECK(sq::decimal("0.1") > sq::decimal("0.09"));
    CHECK(sq::decimal("100") > sq::decimal("99.999"));
    CHECK(sq::decimal() == sq::decimal("-0"));
    for (const char* bad : {"", "-", ".", "1e5", "1.2.3", " 1", "0x10", "NaN"})
        CHECK_THROWS_AS(sq::decimal(bad), std::invalid_argument);

    const sq::uuid u = sq::uuid::parse("00112233-4455-6677-8899-AABBCCDDEEFF");
    CHECK(u.to_string() == "00112233-4455-6677-8899-aabbccddeeff");
    CHECK(std::to_integer<int>(u.bytes[0]) == 0x00);
    CHECK(std::to_integer<int>(u.bytes[15]) == 0xff);
    CHECK(sq::uuid::parse("00112233-4455-6677-8899-aabbccddeeff") == u);
    CHECK(sq::uuid{} < u);
    for (const char* bad : {"", "00112233445566778899aabbccddeeff", "00112233-4455-6677-8899-aabbccddeef",
                            "00112233-4455-6677-8899-aabbccddeeff0", "0011223g-4455-6677-8899-aabbccddeeff"})
        CHECK_THROWS_AS(sq::uuid::parse(bad), std::invalid_argument);
    std::set<std::string> seen;
    for (int i = 0; i < 64; ++i) {
        sq::uuid r = sq::uuid::random();
        CHECK((std::to_integer<int>(r.bytes[6]) >> 4) == 4);       // version 4
        CHECK((std::to_integer<int>(r.bytes[8]) & 0xc0) == 0x80);  // RFC 9562 variant
        seen.insert(r.to_string());
    }
    CHECK(seen.size() == 64);

    // In JSON: a UUID as its text, a decimal as its digits, a date as ISO 8601, a json<T> nested.
    boost::json::value v = sq::to_json(sample());
    CHECK(v.at("ref") == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    CHECK(v.at("price") == "12345678901234567890.10");
    CHECK(v.at("day") == "2024-02-29");
    CHECK(v.at("prefs").at("size") == 12);
    Event back = sq::from_json<Event>(v);
    CHECK(same(back, sample()));
    v.as_object()["ref"] = "not a uuid";
    CHECK_THROWS_WITH(sq::from_json<Event>(v), Catch::Contains("ref") && Catch::Contains("is not a UUID"));
}
