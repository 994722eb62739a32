// Values: every value type of the contract written through a session, read back in a new one,
// and read independently through the sqlite3 C API (the storage class SQLite reports and the
// exact bytes or number stored); filters comparing columns with such values, including strings
// shaped like SQL injection, which must match literally.
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
#include <utility>
#include <vector>

#include <boost/pfr/core.hpp>
#include <structql/structql.hpp>

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

}  // namespace values_test

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

using schema = sq::metadata<Numbers, Reals, Texts, Times, Maybes, Measure>;

// --- helpers --------------------------------------------------------------------------------

// One value as sqlite3 reports it: its storage class and its content, read by that class.
struct cell {
    int type = -1;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL; -1: no row
    std::int64_t integer = 0;
    double real = 0;
    std::string bytes;  // TEXT or BLOB content, exactly
};

cell read_cell(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " in " + sql);
    cell c;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        c.type = sqlite3_column_type(stmt, 0);
        if (c.type == SQLITE_INTEGER) c.integer = sqlite3_column_int64(stmt, 0);
        if (c.type == SQLITE_FLOAT) c.real = sqlite3_column_double(stmt, 0);
        if (c.type == SQLITE_TEXT || c.type == SQLITE_BLOB) {
            const void* p = sqlite3_column_blob(stmt, 0);
            c.bytes.assign(p ? static_cast<const char*>(p) : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        }
    }
    sqlite3_finalize(stmt);
    return c;
}

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

// A file with the schema, and an independent sqlite3 connection to it.
struct database {
    structql_test::temp_dir dir;
    sq::engine engine = sq::create_engine(dir.url("values.db"));
    structql_test::sqlite_file file{(schema::create_all(engine), dir.path() / "values.db")};

    sq::session session() { return sq::session(engine); }

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
        T* found = s.get<T>(id);
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

    // The stored value of one column of the row with this id.
    template <class T>
    cell stored(std::string_view column, std::int64_t id) {
        return read_cell(file.handle(), "SELECT \"" + std::string(column) + "\" FROM \"" + std::string(sq::table<T>::name) +
                                            "\" WHERE id = " + std::to_string(id));
    }
};

// Each named column of the row is stored as this INTEGER.
template <class T>
void check_integers(database& db, std::int64_t id, const std::vector<std::pair<std::string, std::int64_t>>& expected) {
    for (const auto& [column, value] : expected) {
        INFO("column " << column);
        cell c = db.stored<T>(column, id);
        CHECK(c.type == SQLITE_INTEGER);
        CHECK(c.integer == value);
    }
}

}  // namespace values_test

using namespace values_test;
using namespace std::chrono;

TEST_CASE("integers, bools, enums and a user type round-trip at their limits, stored as INTEGER", "[values]") {
    database db;
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
                  .u64 = static_cast<std::uint64_t>(INT64_MAX),  // the largest uint64 an SQL INTEGER holds
                  .ll = LLONG_MAX,
                  .color = Color::blue,
                  .level = high,
                  .price = Money{INT64_MAX}};
    std::vector<Numbers> rows{lows, highs};
    db.round_trip(rows);
    lows.id = rows[0].id;
    highs.id = rows[1].id;

    check_integers<Numbers>(db, lows.id,
                            {{"flag", 0}, {"i8", INT8_MIN}, {"i16", INT16_MIN}, {"i32", INT32_MIN},
                             {"i64", INT64_MIN}, {"u8", 0}, {"u16", 0}, {"u32", 0}, {"u64", 0},
                             {"ll", LLONG_MIN}, {"color", -1}, {"level", 0}, {"price", INT64_MIN}});
    check_integers<Numbers>(db, highs.id,
                            {{"flag", 1}, {"i8", INT8_MAX}, {"i16", INT16_MAX}, {"i32", INT32_MAX},
                             {"i64", INT64_MAX}, {"u8", UINT8_MAX}, {"u16", UINT16_MAX}, {"u32", UINT32_MAX},
                             {"u64", INT64_MAX}, {"ll", LLONG_MAX}, {"color", 300},
                             {"level", 255}, {"price", INT64_MAX}});

    SECTION("filters bind the same values") {
        auto s = db.session();
        auto one_id = [&](auto condition) { return s.query<Numbers>().filter(condition).one().id; };
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
        CHECK(s.query<Numbers>().filter(sq::col<&Numbers::color> == Color::green).count() == 0);
    }
}

TEST_CASE("float and double round-trip bit for bit, stored as REAL", "[values]") {
    database db;
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
        Reals got = db.load<Reals>(ids[i]);
        CHECK(bits(got.f) == bits(rows[i].f));
        CHECK(bits(got.d) == bits(rows[i].d));
        cell f = db.stored<Reals>("f", ids[i]);
        cell d = db.stored<Reals>("d", ids[i]);
        CHECK(f.type == SQLITE_FLOAT);
        CHECK(d.type == SQLITE_FLOAT);
        CHECK(bits(f.real) == bits(static_cast<double>(rows[i].f)));  // a float is widened exactly
        CHECK(bits(d.real) == bits(rows[i].d));
    }

    auto s = db.session();
    CHECK(s.query<Reals>().filter(sq::col<&Reals::f> == 0.1f).one().id == ids[3]);
    CHECK(s.query<Reals>().filter(sq::col<&Reals::d> == dlim::denorm_min()).one().id == ids[0]);
    CHECK(s.query<Reals>().filter(sq::col<&Reals::d> > 1e308).one().id == ids[1]);
    CHECK(s.query<Reals>().filter(sq::col<&Reals::f> == flim::infinity()).one().id == ids[4]);
}

TEST_CASE("minus zero reads back equal to zero (SQLite keeps no sign for a zero REAL)", "[values]") {
    // SQLite writes a REAL with no fractional part as an integer on disk, and a zero of either
    // sign as 0 (sqlite3RealSameAsInt): the sign of -0.0 cannot survive storage in a REAL
    // column, whatever the ORM does. The value, compared as a double, does.
    database db;
    auto ids = db.store(std::vector<Reals>{{.f = -0.0f, .d = -0.0}});
    Reals got = db.load<Reals>(ids[0]);
    CHECK(got.f == 0.0f);
    CHECK(got.d == 0.0);
    cell d = db.stored<Reals>("d", ids[0]);
    CHECK(d.type == SQLITE_FLOAT);
    CHECK(d.real == 0.0);
    CHECK(db.session().query<Reals>().filter(sq::col<&Reals::d> == -0.0).count() == 1);
}

// BUG: SQLite binds a NaN double as NULL (sqlite3_bind_double), and StructQL passes it through:
// a NaN written to a std::optional<double> silently reads back as std::nullopt. Expected: the
// NaN round-trips, or the write fails with a data_error naming measure.value.
TEST_CASE("a NaN double is not silently turned into NULL", "[values][!mayfail]") {
    database db;
    auto s = db.session();
    Measure& m = s.add(Measure{.value = std::numeric_limits<double>::quiet_NaN()});
    bool refused = false;
    try {
        s.commit();
    } catch (const sq::data_error& e) {
        refused = true;
        CHECK_THAT(e.what(), Catch::Contains("measure.value"));
    }
    if (!refused) {
        Measure got = db.load<Measure>(m.id);
        REQUIRE(got.value.has_value());
        CHECK(std::isnan(*got.value));
    }
}

TEST_CASE("strings and blobs are stored byte for byte: empty is not NULL, NULs, UTF-8, quotes", "[values]") {
    database db;
    const std::string injection = "' OR 1=1 --";
    const std::string injection2 = "x' OR '1'='1";
    std::vector<Texts> rows{
        {.s = "", .os = "", .b = {}, .ob = sq::blob{}},
        {.s = "plain", .os = std::nullopt, .b = bytes({0}), .ob = std::nullopt},
        {.s = std::string("a\0b\0", 4), .os = std::string(1, '\0'), .b = bytes({0, 0}),
         .ob = bytes({0xFF, 0xFE, 0x80, 0x00, 0xC3})},
        {.s = "ação 日本語 🎉", .os = "O'Brien said \"hi\"; DROP TABLE texts; --", .b = bytes({0xC3, 0x28}),
         .ob = bytes({'\'', ';'})},
        {.s = injection, .os = injection2, .b = bytes({'%', '_'}), .ob = bytes({})},
        {.s = "\xFF\xFE not UTF-8", .os = "%", .b = bytes({0x80}), .ob = bytes({1})},
    };
    auto ids = db.round_trip(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        cell s = db.stored<Texts>("s", ids[i]);
        CHECK(s.type == SQLITE_TEXT);
        CHECK(s.bytes == rows[i].s);
        cell os = db.stored<Texts>("os", ids[i]);
        CHECK(os.type == (rows[i].os ? SQLITE_TEXT : SQLITE_NULL));
        CHECK(os.bytes == rows[i].os.value_or(""));
        cell b = db.stored<Texts>("b", ids[i]);
        CHECK(b.type == SQLITE_BLOB);
        CHECK(b.bytes == as_text(rows[i].b));
        cell ob = db.stored<Texts>("ob", ids[i]);
        CHECK(ob.type == (rows[i].ob ? SQLITE_BLOB : SQLITE_NULL));
        CHECK(ob.bytes == as_text(rows[i].ob.value_or(sq::blob{})));
    }
    CHECK(db.file.count("SELECT count(*) FROM texts") == 6);  // nothing injected dropped or added rows

    SECTION("filters match the values literally") {
        auto s = db.session();
        auto count = [&](auto condition) { return s.query<Texts>().filter(condition).count(); };
        CHECK(s.query<Texts>().filter(sq::col<&Texts::s> == injection).one().id == ids[4]);
        CHECK(count(sq::col<&Texts::s> == injection2) == 0);  // spliced, it would match every row
        CHECK(s.query<Texts>().filter(sq::col<&Texts::os> == injection2).one().id == ids[4]);
        CHECK(count(sq::col<&Texts::os> != injection2) == 4);  // NULL is neither equal nor unequal
        CHECK(s.query<Texts>().filter(sq::col<&Texts::s>.like("%' OR %")).one().id == ids[4]);
        CHECK(count(sq::col<&Texts::s>.in(std::vector<std::string>{injection, "plain", injection2})) == 2);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::os> == "O'Brien said \"hi\"; DROP TABLE texts; --").one().id ==
              ids[3]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::s> == "ação 日本語 🎉").one().id == ids[3]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::s> == std::string("a\0b\0", 4)).one().id == ids[2]);
        CHECK(count(sq::col<&Texts::s> == std::string("a")) == 0);  // not cut at the NUL
        CHECK(s.query<Texts>().filter(sq::col<&Texts::s> == std::string("\xFF\xFE not UTF-8")).one().id == ids[5]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::os> == std::nullopt).one().id == ids[1]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::os> == std::string()).one().id == ids[0]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::b> == sq::blob{}).one().id == ids[0]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::b> == bytes({0, 0})).one().id == ids[2]);
        CHECK(s.query<Texts>().filter(sq::col<&Texts::ob> == std::nullopt).one().id == ids[1]);
        CHECK(count(sq::col<&Texts::ob> == sq::blob{}) == 2);  // rows 0 and 4: empty, not NULL
        CHECK(db.file.count("SELECT count(*) FROM texts") == 6);
    }
}

TEST_CASE("timestamps: nanoseconds, before 1970, stored as UTC text 'YYYY-MM-DD HH:MM:SS.fffffffff'", "[values]") {
    static_assert(std::is_same_v<sq::timestamp::duration, nanoseconds>,
                  "these expectations assume system_clock counts nanoseconds (libstdc++)");
    database db;
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
    const std::vector<std::string> texts{"2024-02-29 13:05:09.123456789", "1969-07-20 20:17:40.000000001",
                                         "1970-01-01 00:00:00.000000000", "1899-12-31 23:59:59.999999999"};
    auto ids = db.round_trip(rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        cell at = db.stored<Times>("at", ids[i]);
        CHECK(at.type == SQLITE_TEXT);
        CHECK(at.bytes == texts[i]);
    }
    CHECK(db.stored<Times>("maybe_at", ids[0]).type == SQLITE_NULL);
    CHECK(db.stored<Times>("maybe_at", ids[3]).bytes == texts[0]);

    auto s = db.session();
    CHECK(s.query<Times>().filter(sq::col<&Times::at> == moon).one().id == ids[1]);
    CHECK(s.query<Times>().filter(sq::col<&Times::at> == moon + 1ns).count() == 0);
    CHECK(s.query<Times>().filter(sq::col<&Times::at> < epoch).count() == 2);
    CHECK(s.query<Times>().filter(sq::col<&Times::maybe_at> == std::nullopt).one().id == ids[0]);
    std::vector<std::int64_t> chronological;
    for (Times* t : s.query<Times>().order_by(sq::col<&Times::at>).all()) chronological.push_back(t->id);
    CHECK(chronological == std::vector<std::int64_t>{ids[3], ids[1], ids[2], ids[0]});
}

TEST_CASE("timestamps written by other programs in SQLite's ISO forms are read", "[values]") {
    database db;
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

TEST_CASE("std::optional of every value type: NULL when empty, never confused with 0, false or empty", "[values]") {
    database db;
    const sq::timestamp when = sys_days{2000y / January / 1} + 1ns;
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
    std::string types = "SELECT ''";
    for (std::size_t i = 1; i < sq::table<Maybes>::column_count; ++i)
        types += " || typeof(\"" + std::string(sq::table<Maybes>::columns[i].name) + "\") || ' '";
    types += " FROM maybes WHERE id = ";
    std::string nulls;
    for (std::size_t i = 1; i < sq::table<Maybes>::column_count; ++i) nulls += "null ";
    const std::string set = "integer integer integer integer integer integer integer integer integer "  // b .. u64
                            "real real text blob text integer integer integer text ";  // f .. isbn
    CHECK(read_cell(db.file.handle(), types + std::to_string(empty.id)).bytes == nulls);
    CHECK(read_cell(db.file.handle(), types + std::to_string(falsy.id)).bytes == set);
    CHECK(read_cell(db.file.handle(), types + std::to_string(full.id)).bytes == set);
    CHECK(db.stored<Maybes>("u32", full.id).integer == UINT32_MAX);
    CHECK(db.stored<Maybes>("u64", full.id).integer == INT64_MAX);
    CHECK(db.stored<Maybes>("level", full.id).integer == 255);
    CHECK(db.stored<Maybes>("price", full.id).integer == -199);
    CHECK(db.stored<Maybes>("isbn", full.id).bytes == "isbn:9780262510875");  // through value_traits
    CHECK(db.stored<Maybes>("isbn", falsy.id).bytes == "isbn:");
    CHECK(db.stored<Maybes>("t", full.id).bytes == "2000-01-01 00:00:00.000000001");

    SECTION("filters on optional columns") {
        auto s = db.session();
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::i64> == std::nullopt).one().id == empty.id);
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::i64> != std::nullopt).count() == 2);
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::b> == false).one().id == falsy.id);
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::isbn> == Isbn{"9780262510875"}).one().id == full.id);
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::price> < Money{0}).one().id == full.id);
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::t> == when).one().id == full.id);
        CHECK(s.query<Maybes>().filter(sq::col<&Maybes::color>.is_null()).one().id == empty.id);
    }

    SECTION("a value set to std::nullopt becomes NULL, and back") {
        {
            auto s = db.session();
            Maybes* a = s.get<Maybes>(full.id);
            Maybes* b = s.get<Maybes>(empty.id);
            REQUIRE(a != nullptr);
            REQUIRE(b != nullptr);
            Maybes cleared{.id = full.id};
            *a = cleared;
            Maybes filled = full;
            filled.id = empty.id;
            *b = filled;
            s.commit();
        }
        CHECK(read_cell(db.file.handle(), types + std::to_string(full.id)).bytes == nulls);
        CHECK(read_cell(db.file.handle(), types + std::to_string(empty.id)).bytes == set);
        Maybes expected = full;
        expected.id = empty.id;
        check_same(db.load<Maybes>(empty.id), expected);
    }
}
