// Values: every value type of the contract written through a session, read back in a new one,
// and read independently through the driver (sqlite3 / libpq): the storage class the database
// reports and the exact bytes or number stored; filters comparing columns with such values,
// including strings shaped like SQL injection, which must match literally. Each test runs on a
// SQLite file and on a PostgreSQL schema; where the databases store a value differently (a
// BOOLEAN, a TIMESTAMPTZ in microseconds, the sign of a zero) each one's answer is spelled out.
#include <catch2/catch.hpp>

#include <bit>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/pfr/core.hpp>
#include <structql/structql.hpp>

#include "backends.hpp"
#include "support.hpp"

namespace values_test {
namespace sq = structql;

enum class Color : std::int16_t { red = -1, green = 7, blue = 300 };
enum Level : std::uint8_t { low = 0, high = 255 };

// User types, stored through value_traits (below): cents as an INTEGER, an ISBN as prefixed TEXT.
struct Money {
    std::int64_t cents;
    bool operator==(const Money&) const = default;
};
struct Isbn {
    std::string digits;
    bool operator==(const Isbn&) const = default;
};

// Checked enums (structql::enum_values below): Genre by name, stored as TEXT; Stars by a declared
// set of values, stored as INTEGER.
enum class Genre { rock, jazz, folk };
enum class Stars : std::uint8_t { one = 1, two = 2, three = 3 };

}  // namespace values_test

template <>
struct structql::enum_values<values_test::Genre> {
    static constexpr std::pair<values_test::Genre, std::string_view> names[] = {
        {values_test::Genre::rock, "rock"}, {values_test::Genre::jazz, "jazz"}, {values_test::Genre::folk, "folk"}};
};
template <>
struct structql::enum_values<values_test::Stars> {
    static constexpr values_test::Stars values[] = {values_test::Stars::one, values_test::Stars::two,
                                                    values_test::Stars::three};
};

template <>
struct structql::value_traits<values_test::Money> {
    using storage_type = std::int64_t;
    static std::int64_t to_storage(const values_test::Money& m) { return m.cents; }
    static values_test::Money from_storage(std::int64_t cents) { return {cents}; }
};
template <>
struct structql::value_traits<values_test::Isbn> {
    using storage_type = std::string;
    static std::string to_storage(const values_test::Isbn& i) { return "isbn:" + i.digits; }
    static values_test::Isbn from_storage(const std::string& text) {
        if (!text.starts_with("isbn:")) throw std::invalid_argument("not an ISBN: " + text);
        return {text.substr(5)};
    }
};

namespace values_test {

struct Numbers {
    std::int64_t id;
    bool flag;
    std::int8_t i8;
    std::int16_t i16;
    std::int32_t i32;
    std::int64_t i64;
    std::uint8_t u8;
    std::uint16_t u16;
    std::uint32_t u32;
    std::uint64_t u64;
    long long ll;  // a distinct type from std::int64_t (long) here
    Color color;
    Level level;
    Money price;
};

struct Reals {
    std::int64_t id;
    float f;
    double d;
};

struct Texts {
    std::int64_t id;
    std::string s;
    std::optional<std::string> os;
    sq::blob b;
    std::optional<sq::blob> ob;
};

struct Times {
    std::int64_t id;
    sq::timestamp at;
    std::optional<sq::timestamp> maybe_at;
};

struct Maybes {
    std::int64_t id;
    std::optional<bool> b;
    std::optional<std::int8_t> i8;
    std::optional<std::int16_t> i16;
    std::optional<std::int32_t> i32;
    std::optional<std::int64_t> i64;
    std::optional<std::uint8_t> u8;
    std::optional<std::uint16_t> u16;
    std::optional<std::uint32_t> u32;
    std::optional<std::uint64_t> u64;
    std::optional<float> f;
    std::optional<double> d;
    std::optional<std::string> s;
    std::optional<sq::blob> bl;
    std::optional<sq::timestamp> t;
    std::optional<Color> color;
    std::optional<Level> level;
    std::optional<Money> price;
    std::optional<Isbn> isbn;
};

struct Measure {
    std::int64_t id;
    std::optional<double> value;
};

struct Album {
    std::int64_t id;
    Genre genre;
    Stars stars;
    std::optional<Genre> second_genre;
    Color plain;  // unchecked: any integer reads back
};

static_assert(sq::table<Album>::columns[1].type == sq::column_type::text);
static_assert(sq::table<Album>::columns[2].type == sq::column_type::integer);

// A model's members are reached through one structured binding up to 16 members
// (reflect/field_access.hpp) and through Boost.PFR past that: one model on each side of the edge.
struct Sixteen {
    sq::primary_key<std::int64_t> id;
    int c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13;
    std::optional<int> maybe;
    std::string last;
};
struct Seventeen {
    sq::primary_key<std::int64_t> id;
    int c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13;
    std::optional<int> maybe;
    sq::unique<std::string> code;
    std::string last;
};
static_assert(sq::table<Sixteen>::column_count == 16 && sq::table<Seventeen>::column_count == 17);

using schema = sq::metadata<Numbers, Reals, Texts, Times, Maybes, Measure, Album, Sixteen, Seventeen>;

// --- helpers --------------------------------------------------------------------------------

using structql_test::cell;
using structql_test::postgresql;
using structql_test::sqlite;
using structql_test::storage;

std::string as_text(const sq::blob& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

sq::blob bytes(std::initializer_list<unsigned char> values) {
    sq::blob b;
    for (unsigned char v : values) b.push_back(static_cast<std::byte>(v));
    return b;
}

// Bits of a double, to tell -0.0 from 0.0 and compare exactly.
std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

// Every member of `got` equals the same member of `want`.
template <class T>
void check_same(const T& got, const T& want) {
    auto one = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
        INFO("column " << sq::table<T>::columns[I].name);
        CHECK((boost::pfr::get<I>(got) == boost::pfr::get<I>(want)));
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (one(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<sq::table<T>::column_count>{});
}

// A database with the schema, and an independent connection to it.
template <class Database>
struct database {
    using session_type = typename Database::session_type;
    Database db;
    typename Database::engine_type engine = db.make_engine();
    typename Database::probe_type file = (schema::create_all(engine), db.probe());

    session_type session() { return session_type(engine); }

    // Adds the objects in one session, commits, and returns their generated keys.
    template <class T>
    std::vector<std::int64_t> store(const std::vector<T>& objects) {
        auto s = session();
        std::vector<T*> added;
        for (const T& o : objects) added.push_back(&s.add(T(o)));
        s.commit();
        std::vector<std::int64_t> ids;
        for (T* o : added) ids.push_back(o->id);
        return ids;
    }

    // The row as a new session reads it.
    template <class T>
    T load(std::int64_t id) {
        auto s = session();
        T* found = s.template get<T>(id);
        if (!found) throw std::runtime_error("no row " + std::to_string(id) + " in " + std::string(sq::table<T>::name));
        return *found;
    }

    // Stores the objects, gives each its generated key, and checks that a new session reads
    // each back equal. Returns the keys.
    template <class T>
    std::vector<std::int64_t> round_trip(std::vector<T>& objects) {
        auto ids = store(objects);
        for (std::size_t i = 0; i < objects.size(); ++i) {
            CAPTURE(i);
            objects[i].id = ids[i];
            check_same(load<T>(ids[i]), objects[i]);
        }
        return ids;
    }

    // The stored value of one column of the row with this id, as the database reports it.
    template <class T>
    cell stored(std::string_view column, std::int64_t id) {
        return Database::stored(file, sq::table<T>::name, column, id);
    }

    // The storage class of every column of T but the key, in order.
    template <class T>
    std::vector<storage> storage_of(std::int64_t id) {
        std::vector<storage> out;
        for (std::size_t i = 1; i < sq::table<T>::column_count; ++i) out.push_back(stored<T>(sq::table<T>::columns[i].name, id).type);
        return out;
    }
};

// Each named column of the row is stored as this integer.
template <class T, class Database>
void check_integers(database<Database>& db, std::int64_t id, const std::vector<std::pair<std::string, std::int64_t>>& expected) {
    for (const auto& [column, value] : expected) {
        INFO("column " << column);
        cell c = db.template stored<T>(column, id);
        CHECK(c.type == storage::integer);
        CHECK(c.integer == value);
    }
}

// SQLite has no boolean storage class: a bool is the INTEGER 0 or 1.
template <class Database>
constexpr storage boolean_storage = Database::is_sqlite ? storage::integer : storage::boolean;
// SQLite stores a timestamp as UTC text.
template <class Database>
constexpr storage timestamp_storage = Database::is_sqlite ? storage::text : storage::timestamp;

}  // namespace values_test

using namespace values_test;
using namespace std::chrono;

TEMPLATE_TEST_CASE("integers, bools, enums and a user type round-trip at their limits, stored as integers", "[values]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    Numbers lows{.flag = false,
                 .i8 = INT8_MIN,
                 .i16 = INT16_MIN,
                 .i32 = INT32_MIN,
                 .i64 = INT64_MIN,
                 .u8 = 0,
                 .u16 = 0,
                 .u32 = 0,
                 .u64 = 0,
                 .ll = LLONG_MIN,
                 .color = Color::red,
                 .level = low,
                 .price = Money{INT64_MIN}};
    Numbers highs{.flag = true,
                  .i8 = INT8_MAX,
                  .i16 = INT16_MAX,
                  .i32 = INT32_MAX,
                  .i64 = INT64_MAX,
                  .u8 = UINT8_MAX,
                  .u16 = UINT16_MAX,
                  .u32 = UINT32_MAX,
                  .u64 = static_cast<std::uint64_t>(INT64_MAX),  // the largest uint64 a 64-bit SQL integer holds
                  .ll = LLONG_MAX,
                  .color = Color::blue,
                  .level = high,
                  .price = Money{INT64_MAX}};
    std::vector<Numbers> rows{lows, highs};
    db.round_trip(rows);
    lows.id = rows[0].id;
    highs.id = rows[1].id;

    check_integers<Numbers>(db, lows.id,
                            {{"i8", INT8_MIN}, {"i16", INT16_MIN}, {"i32", INT32_MIN},
                             {"i64", INT64_MIN}, {"u8", 0}, {"u16", 0}, {"u32", 0}, {"u64", 0},
                             {"ll", LLONG_MIN}, {"color", -1}, {"level", 0}, {"price", INT64_MIN}});
    check_integers<Numbers>(db, highs.id,
                            {{"i8", INT8_MAX}, {"i16", INT16_MAX}, {"i32", INT32_MAX},
                             {"i64", INT64_MAX}, {"u8", UINT8_MAX}, {"u16", UINT16_MAX}, {"u32", UINT32_MAX},
                             {"u64", INT64_MAX}, {"ll", LLONG_MAX}, {"color", 300},
                             {"level", 255}, {"price", INT64_MAX}});
    for (const auto& [id, flag] : {std::pair{lows.id, 0}, std::pair{highs.id, 1}}) {
        cell c = db.template stored<Numbers>("flag", id);
        CHECK(c.type == boolean_storage<TestType>);
        CHECK(c.integer == flag);
    }

    SECTION("filters bind the same values") {
        auto s = db.session();
        auto one_id = [&](auto condition) { return s.template query<Numbers>().filter(condition).one().id; };
        CHECK(one_id(sq::col<&Numbers::i64> == INT64_MIN) == lows.id);
        CHECK(one_id(sq::col<&Numbers::i64> == INT64_MAX) == highs.id);
        CHECK(one_id(sq::col<&Numbers::i8> < 0) == lows.id);
        CHECK(one_id(sq::col<&Numbers::u64> == static_cast<std::uint64_t>(INT64_MAX)) == highs.id);
        CHECK(one_id(sq::col<&Numbers::u32> > 4000000000u) == highs.id);  // unsigned, not wrapped negative
        CHECK(one_id(sq::col<&Numbers::u8> == 255) == highs.id);
        CHECK(one_id(sq::col<&Numbers::flag> == true) == highs.id);
        CHECK(one_id(sq::col<&Numbers::flag> != true) == lows.id);
        CHECK(one_id(sq::col<&Numbers::color> == Color::red) == lows.id);
        CHECK(one_id(sq::col<&Numbers::level> == high) == highs.id);
        CHECK(one_id(sq::col<&Numbers::price> == Money{INT64_MIN}) == lows.id);
        CHECK(one_id(sq::col<&Numbers::ll> == LLONG_MAX) == highs.id);
        CHECK(s.template query<Numbers>().filter(sq::col<&Numbers::color> == Color::green).count() == 0);
    }
}

TEMPLATE_TEST_CASE("float and double round-trip bit for bit, stored as doubles", "[values]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    using flim = std::numeric_limits<float>;
    using dlim = std::numeric_limits<double>;
    std::vector<Reals> rows{
        {.f = flim::denorm_min(), .d = dlim::denorm_min()},
        {.f = flim::max(), .d = dlim::max()},
        {.f = flim::lowest(), .d = dlim::lowest()},
        {.f = 0.1f, .d = 0.1},
        {.f = flim::infinity(), .d = -dlim::infinity()},
        {.f = flim::epsilon(), .d = dlim::min()},
    };
    auto ids = db.store(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        Reals got = db.template load<Reals>(ids[i]);
        CHECK(bits(got.f) == bits(rows[i].f));
        CHECK(bits(got.d) == bits(rows[i].d));
        cell f = db.template stored<Reals>("f", ids[i]);
        cell d = db.template stored<Reals>("d", ids[i]);
        CHECK(f.type == storage::real);  // REAL, DOUBLE PRECISION
        CHECK(d.type == storage::real);
        CHECK(bits(f.real) == bits(static_cast<double>(rows[i].f)));  // a float is widened exactly
        CHECK(bits(d.real) == bits(rows[i].d));
    }

    auto s = db.session();
    CHECK(s.template query<Reals>().filter(sq::col<&Reals::f> == 0.1f).one().id == ids[3]);
    CHECK(s.template query<Reals>().filter(sq::col<&Reals::d> == dlim::denorm_min()).one().id == ids[0]);
    CHECK(s.template query<Reals>().filter(sq::col<&Reals::d> > 1e308).one().id == ids[1]);
    CHECK(s.template query<Reals>().filter(sq::col<&Reals::f> == flim::infinity()).one().id == ids[4]);
}

TEMPLATE_TEST_CASE("minus zero reads back equal to zero, and only PostgreSQL keeps its sign", "[values]", sqlite, postgresql) {
    // SQLite writes a REAL with no fractional part as an integer on disk, and a zero of either
    // sign as 0 (sqlite3RealSameAsInt): the sign of -0.0 cannot survive storage in a REAL
    // column, whatever the ORM does. PostgreSQL's DOUBLE PRECISION keeps the IEEE value. The
    // value, compared as a double, survives on both.
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    auto ids = db.store(std::vector<Reals>{{.f = -0.0f, .d = -0.0}});
    Reals got = db.template load<Reals>(ids[0]);
    CHECK(got.f == 0.0f);
    CHECK(got.d == 0.0);
    CHECK(std::signbit(got.f) == TestType::is_postgresql);
    CHECK(std::signbit(got.d) == TestType::is_postgresql);
    cell d = db.template stored<Reals>("d", ids[0]);
    CHECK(d.type == storage::real);
    CHECK(d.real == 0.0);
    CHECK(std::signbit(d.real) == TestType::is_postgresql);
    CHECK(db.session().template query<Reals>().filter(sq::col<&Reals::d> == -0.0).count() == 1);
    CHECK(db.session().template query<Reals>().filter(sq::col<&Reals::d> == 0.0).count() == 1);
}

TEMPLATE_TEST_CASE("a NaN double is not silently turned into NULL", "[values]", sqlite, postgresql) {
    // sqlite3_bind_double would store a NaN as NULL: SQLite refuses it with a data_error naming
    // the column. PostgreSQL's DOUBLE PRECISION holds NaN: it round-trips.
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    auto s = db.session();
    Measure& m = s.add(Measure{.value = std::numeric_limits<double>::quiet_NaN()});
    if constexpr (TestType::is_sqlite) {
        try {
            s.commit();
            FAIL("SQLite stored a NaN");
        } catch (const sq::data_error& e) {
            CHECK_THAT(e.what(), Catch::Contains("measure.value") && Catch::Contains("NaN"));
        }
        s.rollback();
        CHECK(db.file.count("SELECT count(*) FROM measure") == 0);
    } else {
        s.commit();
        cell stored = db.template stored<Measure>("value", m.id);
        CHECK(stored.type == storage::real);
        CHECK(std::isnan(stored.real));
        Measure got = db.template load<Measure>(m.id);
        REQUIRE(got.value.has_value());
        CHECK(std::isnan(*got.value));
    }
}

TEMPLATE_TEST_CASE("strings and blobs are stored byte for byte: empty is not NULL, NULs, UTF-8, quotes", "[values]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    const std::string injection = "' OR 1=1 --";
    const std::string injection2 = "x' OR '1'='1";
    const std::string with_nuls("a\0b\0", 4);
    const std::string not_utf8 = "\xFF\xFE not UTF-8";
    std::vector<Texts> rows{
        {.s = "", .os = "", .b = {}, .ob = sq::blob{}},
        {.s = "plain", .os = std::nullopt, .b = bytes({0}), .ob = std::nullopt},
        {.s = "tab\tnew\nline", .os = "back\\slash", .b = bytes({0, 0}), .ob = bytes({0xFF, 0xFE, 0x80, 0x00, 0xC3})},
        {.s = "ação 日本語 🎉", .os = "O'Brien said \"hi\"; DROP TABLE texts; --", .b = bytes({0xC3, 0x28}),
         .ob = bytes({'\'', ';'})},
        {.s = injection, .os = injection2, .b = bytes({'%', '_'}), .ob = bytes({})},
        {.s = "\\x41 is no escape", .os = "%", .b = bytes({0x80}), .ob = bytes({1})},
    };
    // Text that is not valid UTF-8 without NULs: SQLite stores its bytes, a PostgreSQL database
    // in UTF8 refuses it (below).
    if constexpr (TestType::is_sqlite) {
        rows.push_back({.s = with_nuls, .os = std::string(1, '\0'), .b = bytes({0}), .ob = bytes({0, 1})});
        rows.push_back({.s = not_utf8, .os = "\xC3", .b = bytes({0xFF}), .ob = bytes({2})});
    }
    auto ids = db.round_trip(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        cell s = db.template stored<Texts>("s", ids[i]);
        CHECK(s.type == storage::text);
        CHECK(s.bytes == rows[i].s);
        cell os = db.template stored<Texts>("os", ids[i]);
        CHECK(os.type == (rows[i].os ? storage::text : storage::null));
        CHECK(os.bytes == rows[i].os.value_or(""));
        cell b = db.template stored<Texts>("b", ids[i]);
        CHECK(b.type == storage::blob);
        CHECK(b.bytes == as_text(rows[i].b));
        cell ob = db.template stored<Texts>("ob", ids[i]);
        CHECK(ob.type == (rows[i].ob ? storage::blob : storage::null));
        CHECK(ob.bytes == as_text(rows[i].ob.value_or(sq::blob{})));
    }
    const auto stored_rows = static_cast<std::int64_t>(rows.size());
    CHECK(db.file.count("SELECT count(*) FROM texts") == stored_rows);  // nothing injected dropped or added rows

    SECTION("filters match the values literally") {
        auto s = db.session();
        auto count = [&](auto condition) { return s.template query<Texts>().filter(condition).count(); };
        auto one = [&](auto condition) { return s.template query<Texts>().filter(condition).one().id; };
        CHECK(one(sq::col<&Texts::s> == injection) == ids[4]);
        CHECK(count(sq::col<&Texts::s> == injection2) == 0);  // spliced, it would match every row
        CHECK(one(sq::col<&Texts::os> == injection2) == ids[4]);
        // NULL is neither equal nor unequal: every row but 1 (NULL) and 4 (equal).
        CHECK(count(sq::col<&Texts::os> != injection2) == rows.size() - 2);
        CHECK(one(sq::col<&Texts::s>.like("%' OR %")) == ids[4]);
        CHECK(count(sq::col<&Texts::s>.in(std::vector<std::string>{injection, "plain", injection2})) == 2);
        CHECK(one(sq::col<&Texts::os> == "O'Brien said \"hi\"; DROP TABLE texts; --") == ids[3]);
        CHECK(one(sq::col<&Texts::os> == "back\\slash") == ids[2]);
        CHECK(one(sq::col<&Texts::s> == "ação 日本語 🎉") == ids[3]);
        CHECK(one(sq::col<&Texts::s> == "\\x41 is no escape") == ids[5]);
        CHECK(count(sq::col<&Texts::s> == "A is no escape") == 0);
        CHECK(one(sq::col<&Texts::os> == std::nullopt) == ids[1]);
        CHECK(one(sq::col<&Texts::os> == std::string()) == ids[0]);
        CHECK(one(sq::col<&Texts::b> == sq::blob{}) == ids[0]);
        CHECK(one(sq::col<&Texts::b> == bytes({0, 0})) == ids[2]);
        CHECK(one(sq::col<&Texts::ob> == std::nullopt) == ids[1]);
        CHECK(count(sq::col<&Texts::ob> == sq::blob{}) == 2);  // rows 0 and 4: empty, not NULL
        if constexpr (TestType::is_sqlite) {
            CHECK(one(sq::col<&Texts::s> == with_nuls) == ids[6]);
            CHECK(count(sq::col<&Texts::s> == std::string("a")) == 0);  // not cut at the NUL
            CHECK(one(sq::col<&Texts::s> == not_utf8) == ids[7]);
        }
        CHECK(db.file.count("SELECT count(*) FROM texts") == stored_rows);
    }

    if constexpr (TestType::is_postgresql) {
        SECTION("PostgreSQL refuses text with a NUL or that is not UTF-8: a data_error, nothing stored") {
            struct refused {
                std::string value;
                std::string names;  // what the message must mention
            };
            const std::vector<refused> cases{
                {with_nuls, "cannot bind texts.os: a string with a NUL byte"},  // refused before it is sent
                {std::string(1, '\0'), "cannot bind texts.os: a string with a NUL byte"},
                {not_utf8, "invalid byte sequence for encoding \"UTF8\": 0xff (SQLSTATE 22021)"},  // by the server
                {"\xC3", "invalid byte sequence for encoding \"UTF8\": 0xc3 (SQLSTATE 22021)"},
            };
            for (const auto& [bad, names] : cases) {
                CAPTURE(bad);
                auto s = db.session();
                s.add(Texts{.s = "fine", .os = bad});
                const std::string message = [&] {
                    try {
                        s.commit();
                    } catch (const sq::data_error& e) {
                        return std::string(e.what());
                    }
                    return std::string("no data_error");
                }();
                CHECK_THAT(message, Catch::Contains(names) &&
                                        Catch::Contains(std::string(TestType::template insert_generated_key_sql<Texts>)));
                s.rollback();
                CHECK(db.file.count("SELECT count(*) FROM texts") == stored_rows);
            }
        }
    }
}

TEST_CASE("PostgreSQL: a string with a NUL byte is refused whatever the parameter's type, never cut short", "[values][postgresql]") {
    // PostgreSQL only: SQLite stores a NUL in text, and only libpq sends values as NUL-ended text.
    STRUCTQL_REQUIRE_BACKEND(postgresql);
    database<postgresql> db;
    db.file.exec("CREATE TABLE documents (id BIGINT PRIMARY KEY, body JSON NOT NULL)");
    auto c = db.engine.connect();
    const std::string json_then_junk("\"x\"\0 junk", 9);
    // A JSON or a BYTEA parameter goes as text: cut at the NUL it would be '"x"', or 'ab'.
    CHECK_THROWS_WITH(c.execute("INSERT INTO documents (id, body) VALUES (1, $1)", json_then_junk),
                      Catch::Contains("a string with a NUL byte"));
    CHECK_THROWS_AS(c.fetch<std::tuple<std::int64_t>>("SELECT octet_length($1::bytea)", std::string("ab\0cd", 5)),
                    sq::data_error);
    CHECK_THROWS_AS(c.fetch<std::tuple<std::string>>("SELECT $1::text", std::string_view("a\0b", 3)), sq::data_error);
    CHECK(db.file.count("SELECT count(*) FROM documents") == 0);
    c.execute("INSERT INTO documents (id, body) VALUES (2, $1)", std::string("\"x\""));
    CHECK(db.file.query("SELECT body::text FROM documents WHERE id = 2")[0][0] == "\"x\"");
}

TEMPLATE_TEST_CASE("timestamps: nanoseconds (SQLite) or microseconds (PostgreSQL), before 1970, in UTC", "[values]", sqlite, postgresql) {
    static_assert(std::is_same_v<sq::timestamp::duration, nanoseconds>,
                  "these expectations assume system_clock counts nanoseconds (libstdc++)");
    STRUCTQL_REQUIRE_BACKEND(TestType);
    using precision = typename TestType::timestamp_precision;
    database<TestType> db;
    const sq::timestamp leap = sys_days{2024y / February / 29} + 13h + 5min + 9s + 123456789ns;
    const sq::timestamp moon = sys_days{1969y / July / 20} + 20h + 17min + 40s + 1ns;
    const sq::timestamp epoch{};
    const sq::timestamp before_1900 = sys_days{1900y / January / 1} - 1ns;
    std::vector<Times> rows{
        {.at = leap, .maybe_at = std::nullopt},
        {.at = moon, .maybe_at = moon},
        {.at = epoch, .maybe_at = epoch},
        {.at = before_1900, .maybe_at = leap},
    };
    // SQLite: UTC text 'YYYY-MM-DD HH:MM:SS.fffffffff'. PostgreSQL: TIMESTAMPTZ, which keeps
    // microseconds; a value is written truncated toward the past, and shown here in UTC.
    const std::vector<std::string> texts =
        TestType::is_sqlite ? std::vector<std::string>{"2024-02-29 13:05:09.123456789", "1969-07-20 20:17:40.000000001",
                                                       "1970-01-01 00:00:00.000000000", "1899-12-31 23:59:59.999999999"}
                            : std::vector<std::string>{"2024-02-29 13:05:09.123456+00", "1969-07-20 20:17:40+00",
                                                       "1970-01-01 00:00:00+00", "1899-12-31 23:59:59.999999+00"};
    auto kept = [](sq::timestamp t) { return sq::timestamp{floor<precision>(t.time_since_epoch())}; };
    auto ids = db.store(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        Times got = db.template load<Times>(ids[i]);
        CHECK(got.at == kept(rows[i].at));
        CHECK(got.maybe_at == (rows[i].maybe_at ? std::optional(kept(*rows[i].maybe_at)) : std::nullopt));
        cell at = db.template stored<Times>("at", ids[i]);
        CHECK(at.type == timestamp_storage<TestType>);
        CHECK(at.bytes == texts[i]);
    }
    CHECK(db.template stored<Times>("maybe_at", ids[0]).type == storage::null);
    CHECK(db.template stored<Times>("maybe_at", ids[3]).bytes == texts[0]);

    auto s = db.session();
    auto count = [&](auto condition) { return s.template query<Times>().filter(condition).count(); };
    CHECK(s.template query<Times>().filter(sq::col<&Times::at> == moon).one().id == ids[1]);
    CHECK(count(sq::col<&Times::at> == moon + precision{1}) == 0);
    // A bound value is truncated as a written one: below the precision, it matches.
    CHECK(count(sq::col<&Times::at> == moon + 1ns) == (TestType::is_sqlite ? 0 : 1));
    CHECK(count(sq::col<&Times::at> < epoch) == 2);
    CHECK(s.template query<Times>().filter(sq::col<&Times::maybe_at> == std::nullopt).one().id == ids[0]);
    std::vector<std::int64_t> chronological;
    for (Times* t : s.template query<Times>().order_by(sq::col<&Times::at>).all()) chronological.push_back(t->id);
    CHECK(chronological == std::vector<std::int64_t>{ids[3], ids[1], ids[2], ids[0]});
}

TEST_CASE("timestamps written by other programs in SQLite's ISO forms are read", "[values]") {
    // SQLite only: it has no timestamp type, so other programs write any of its text forms.
    database<sqlite> db;
    db.file.exec("INSERT INTO times (id, at, maybe_at) VALUES "
                 "(1, '2021-03-04 05:06:07', '2021-03-04T05:06:07.5Z'), (2, '2021-03-04', datetime(0, 'unixepoch'))");
    const sq::timestamp seconds_only = sys_days{2021y / March / 4} + 5h + 6min + 7s;
    Times first = db.load<Times>(1);
    CHECK(first.at == seconds_only);
    CHECK(first.maybe_at == seconds_only + 500ms);
    Times second = db.load<Times>(2);
    CHECK(second.at == sq::timestamp{sys_days{2021y / March / 4}});
    CHECK(second.maybe_at == sq::timestamp{});
}

TEMPLATE_TEST_CASE("std::optional of every value type: NULL when empty, never confused with 0, false or empty", "[values]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    // The smallest step the database keeps.
    const sq::timestamp when = sys_days{2000y / January / 1} + typename TestType::timestamp_precision{1};
    Maybes empty{};
    Maybes falsy{.b = false,
                 .i8 = 0,
                 .i16 = 0,
                 .i32 = 0,
                 .i64 = 0,
                 .u8 = 0,
                 .u16 = 0,
                 .u32 = 0,
                 .u64 = 0,
                 .f = 0.0f,
                 .d = 0.0,
                 .s = "",
                 .bl = sq::blob{},
                 .t = sq::timestamp{},
                 .color = Color::green,
                 .level = low,
                 .price = Money{0},
                 .isbn = Isbn{""}};
    Maybes full{.b = true,
                .i8 = INT8_MIN,
                .i16 = INT16_MIN,
                .i32 = INT32_MIN,
                .i64 = INT64_MIN,
                .u8 = UINT8_MAX,
                .u16 = UINT16_MAX,
                .u32 = UINT32_MAX,
                .u64 = static_cast<std::uint64_t>(INT64_MAX),
                .f = 1.5f,
                .d = -2.25,
                .s = "text",
                .bl = bytes({0, 1, 2}),
                .t = when,
                .color = Color::blue,
                .level = high,
                .price = Money{-199},
                .isbn = Isbn{"9780262510875"}};
    std::vector<Maybes> rows{empty, falsy, full};
    db.round_trip(rows);
    empty.id = rows[0].id;
    falsy.id = rows[1].id;
    full.id = rows[2].id;

    // The storage class of every column but the key, in order.
    const std::vector<storage> nulls(sq::table<Maybes>::column_count - 1, storage::null);
    const storage I = storage::integer, R = storage::real, T = storage::text, B = storage::blob;
    const std::vector<storage> set{boolean_storage<TestType>, I, I, I, I, I, I, I, I,  // b .. u64
                                   R, R, T, B, timestamp_storage<TestType>, I, I, I, T};  // f .. isbn
    CHECK(db.template storage_of<Maybes>(empty.id) == nulls);
    CHECK(db.template storage_of<Maybes>(falsy.id) == set);
    CHECK(db.template storage_of<Maybes>(full.id) == set);
    CHECK(db.template stored<Maybes>("b", falsy.id).integer == 0);
    CHECK(db.template stored<Maybes>("i64", falsy.id).integer == 0);
    CHECK(db.template stored<Maybes>("s", falsy.id).bytes.empty());
    CHECK(db.template stored<Maybes>("u32", full.id).integer == UINT32_MAX);
    CHECK(db.template stored<Maybes>("u64", full.id).integer == INT64_MAX);
    CHECK(db.template stored<Maybes>("level", full.id).integer == 255);
    CHECK(db.template stored<Maybes>("price", full.id).integer == -199);
    CHECK(db.template stored<Maybes>("isbn", full.id).bytes == "isbn:9780262510875");  // through value_traits
    CHECK(db.template stored<Maybes>("isbn", falsy.id).bytes == "isbn:");
    CHECK(db.template stored<Maybes>("t", full.id).bytes ==
          (TestType::is_sqlite ? "2000-01-01 00:00:00.000000001" : "2000-01-01 00:00:00.000001+00"));

    SECTION("filters on optional columns") {
        auto s = db.session();
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::i64> == std::nullopt).one().id == empty.id);
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::i64> != std::nullopt).count() == 2);
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::b> == false).one().id == falsy.id);
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::isbn> == Isbn{"9780262510875"}).one().id == full.id);
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::price> < Money{0}).one().id == full.id);
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::t> == when).one().id == full.id);
        CHECK(s.template query<Maybes>().filter(sq::col<&Maybes::color>.is_null()).one().id == empty.id);
    }

    SECTION("a value set to std::nullopt becomes NULL, and back") {
        {
            auto s = db.session();
            Maybes* a = s.template get<Maybes>(full.id);
            Maybes* b = s.template get<Maybes>(empty.id);
            REQUIRE(a != nullptr);
            REQUIRE(b != nullptr);
            Maybes cleared{.id = full.id};
            *a = cleared;
            Maybes filled = full;
            filled.id = empty.id;
            *b = filled;
            s.commit();
        }
        CHECK(db.template storage_of<Maybes>(full.id) == nulls);
        CHECK(db.template storage_of<Maybes>(empty.id) == set);
        Maybes expected = full;
        expected.id = empty.id;
        check_same(db.template load<Maybes>(empty.id), expected);
    }
}

TEMPLATE_TEST_CASE("checked enums: names stored as text, declared values checked - unchecked enums read any integer", "[values][enum]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    auto ids = db.store(std::vector<Album>{{.id = 0, .genre = Genre::jazz, .stars = Stars::three, .second_genre = Genre::folk, .plain = Color::green},
                                           {.id = 0, .genre = Genre::rock, .stars = Stars::one, .second_genre = std::nullopt, .plain = Color::red}});
    // Stored as the name and as the integer, seen through the driver.
    cell genre = TestType::stored(db.file, "album", "genre", ids[0]);
    CHECK(genre.type == storage::text);
    CHECK(genre.bytes == "jazz");
    CHECK(TestType::stored(db.file, "album", "second_genre", ids[0]).bytes == "folk");
    CHECK(TestType::stored(db.file, "album", "second_genre", ids[1]).type == storage::null);
    CHECK(TestType::stored(db.file, "album", "stars", ids[0]).integer == 3);
    {
        auto s = db.session();
        CHECK(s.template query<Album>().filter(sq::col<&Album::genre> == Genre::rock).one().id == ids[1]);
        CHECK(s.template query<Album>().filter(sq::col<&Album::second_genre> == Genre::folk).count() == 1);
    }
    CHECK(db.template load<Album>(ids[0]).genre == Genre::jazz);

    // Rows written by another program: an unknown name, a value not declared.
    db.file.exec("UPDATE album SET genre = 'metal' WHERE id = " + std::to_string(ids[0]));
    CHECK_THROWS_WITH(db.template load<Album>(ids[0]), Catch::Contains("album.genre") && Catch::Contains("'metal'"));
    CHECK_THROWS_AS(db.template load<Album>(ids[0]), sq::data_error);
    db.file.exec("UPDATE album SET genre = 'rock', stars = 9 WHERE id = " + std::to_string(ids[0]));
    CHECK_THROWS_WITH(db.template load<Album>(ids[0]), Catch::Contains("album.stars") && Catch::Contains("value 9"));
    // The default: an unchecked enum reads whatever integer is there, as a static_cast would.
    db.file.exec("UPDATE album SET stars = 2, plain = 99 WHERE id = " + std::to_string(ids[0]));
    CHECK(static_cast<int>(db.template load<Album>(ids[0]).plain) == 99);

    // Writing a value the enum does not declare is refused before it reaches the database.
    auto s = db.session();
    s.add(Album{.id = 0, .genre = Genre(7), .stars = Stars::one, .second_genre = std::nullopt, .plain = Color::red});
    CHECK_THROWS_AS(s.flush(), sq::data_error);
    s.rollback();
    s.add(Album{.id = 0, .genre = Genre::rock, .stars = Stars(0), .second_genre = std::nullopt, .plain = Color::red});
    CHECK_THROWS_WITH(s.flush(), Catch::Contains("album.stars"));
    s.rollback();
    CHECK(db.file.count("SELECT count(*) FROM album") == 2);
}

TEMPLATE_TEST_CASE("models on both sides of the 16-member edge write, read and update every member", "[values]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    database<TestType> db;
    std::vector<Sixteen> sixteen{{.id = {}, .c1 = 1, .c2 = 2, .c3 = 3, .c4 = 4, .c5 = 5, .c6 = 6, .c7 = 7, .c8 = 8, .c9 = 9,
                                  .c10 = 10, .c11 = 11, .c12 = 12, .c13 = 13, .maybe = 14, .last = "fifteenth"}};
    std::vector<Seventeen> seventeen{{.id = {}, .c1 = -1, .c2 = -2, .c3 = -3, .c4 = -4, .c5 = -5, .c6 = -6, .c7 = -7,
                                      .c8 = -8, .c9 = -9, .c10 = -10, .c11 = -11, .c12 = -12, .c13 = -13,
                                      .maybe = std::nullopt, .code = "x-17", .last = "sixteenth"}};
    const std::int64_t a = db.round_trip(sixteen).at(0);
    const std::int64_t b = db.round_trip(seventeen).at(0);
    std::vector<std::pair<std::string, std::int64_t>> first, second;
    for (int i = 1; i <= 13; ++i) {
        first.emplace_back("c" + std::to_string(i), i);
        second.emplace_back("c" + std::to_string(i), -i);
    }
    first.emplace_back("maybe", 14);
    check_integers<Sixteen>(db, a, first);
    check_integers<Seventeen>(db, b, second);
    CHECK(db.template stored<Sixteen>("last", a).bytes == "fifteenth");
    CHECK(db.template stored<Seventeen>("maybe", b).type == storage::null);
    CHECK(db.template stored<Seventeen>("code", b).bytes == "x-17");
    CHECK(db.template stored<Seventeen>("last", b).bytes == "sixteenth");

    // The unit of work compares each member with its snapshot and writes only the changed ones.
    {
        auto s = db.session();
        Sixteen* x = s.template get<Sixteen>(a);
        Seventeen* y = s.template get<Seventeen>(b);
        REQUIRE(x);
        REQUIRE(y);
        x->c13 = 113;
        x->last = "changed";
        y->c1 = 101;
        y->maybe = 7;
        y->last = "changed too";
        s.commit();
    }
    CHECK(db.template stored<Sixteen>("c13", a).integer == 113);
    CHECK(db.template stored<Sixteen>("c12", a).integer == 12);
    CHECK(db.template stored<Sixteen>("last", a).bytes == "changed");
    CHECK(db.template stored<Seventeen>("c1", b).integer == 101);
    CHECK(db.template stored<Seventeen>("c2", b).integer == -2);
    CHECK(db.template stored<Seventeen>("maybe", b).integer == 7);
    CHECK(db.template stored<Seventeen>("last", b).bytes == "changed too");
    CHECK(db.template stored<Seventeen>("code", b).bytes == "x-17");

    // A filter on the last member, and the row read into a fresh object.
    auto s = db.session();
    CHECK(s.template query<Seventeen>().filter(sq::col<&Seventeen::last> == "changed too").one().c13 == -13);
    CHECK(s.template query<Sixteen>().filter(sq::col<&Sixteen::c13> == 113).one().last == "changed");
}
