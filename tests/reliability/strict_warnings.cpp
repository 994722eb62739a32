// Compiled only, never run: instantiates StructQL's main templates so that every header is
// checked under -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror on both compilers
// (target structql_strict_warnings, option STRUCTQL_STRICT_WARNINGS; docs/reliability.md).
// A model with every column kind, an engine with its hooks, a session's whole flow, and
// queries with filters, ordering, paging, joins, projections, aggregates and bulk statements.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <structql/structql.hpp>

namespace strict_warnings {
namespace sq = structql;

enum class level : std::uint8_t { low, high };
enum plain_enum { plain_a, plain_b };

struct money {
    std::int64_t cents = 0;
    bool operator==(const money&) const = default;
};

}  // namespace strict_warnings

template <>
struct structql::value_traits<strict_warnings::money> {
    using storage_type = std::int64_t;
    static std::int64_t to_storage(const strict_warnings::money& m) { return m.cents; }
    static strict_warnings::money from_storage(std::int64_t cents) { return strict_warnings::money{cents}; }
};

namespace strict_warnings {

struct Owner {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> name;
    sq::unique<std::string> email;
    std::optional<int> age;
    static constexpr std::string_view table_name = "owners";
};

// Every value kind, plain and optional.
struct Everything {
    std::int64_t id;
    sq::foreign_key<&Owner::id> owner_id;
    bool b;
    std::int8_t i8;
    std::int16_t i16;
    std::int32_t i32;
    std::int64_t i64;
    std::uint8_t u8;
    std::uint16_t u16;
    std::uint32_t u32;
    std::uint64_t u64;
    float f;
    double d;
    std::string s;
    sq::blob bytes;
    sq::timestamp at;
    level lvl;
    plain_enum plain;
    money price;
    std::optional<bool> ob;
    std::optional<std::int8_t> oi8;
    std::optional<std::uint32_t> ou32;
    std::optional<std::int64_t> oi64;
    std::optional<float> of;
    std::optional<double> od;
    std::optional<std::string> os;
    std::optional<sq::blob> obytes;
    std::optional<sq::timestamp> oat;
    std::optional<level> olvl;
    std::optional<money> oprice;
    sq::indexed<std::int32_t> ranked;
    sq::unique<std::uint16_t> code;
};

struct Tag {
    std::int64_t id;
    sq::foreign_key<&Everything::id> everything_id;
    std::string label;
};

using schema = sq::metadata<Tag, Everything, Owner>;

static_assert(sq::sql::create_table<Everything>.starts_with("CREATE TABLE"));
static_assert(sq::sql::insert<Owner>.starts_with("INSERT INTO"));

[[maybe_unused]] void engine_and_connection() {
    auto engine = sq::create_engine("sqlite://", {.check_same_thread = false, .echo = false, .pool_size = 2});
    engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
    engine.before_execute([](const sq::statement_event& e) { (void)e.sql; });
    engine.after_execute([](const sq::statement_event& e) { (void)e.duration; });
    schema::create_all(engine);
    auto c = engine.connect();
    c.execute("SELECT 1");
    std::int64_t changed = c.execute("UPDATE owners SET age = ? WHERE id = ?", 3, std::int64_t{1});
    (void)changed;
    auto rows = c.fetch<std::tuple<std::int64_t, std::optional<std::string>>>("SELECT id, name FROM owners WHERE id > ?", 0);
    (void)rows;
    auto values = c.query<Owner>().filter(sq::col<&Owner::age> > 3).values();
    (void)values;
    (void)c.native_handle();
    (void)engine.statistics().statements_prepared.load();
    (void)engine.open_connections();
    engine.dispose();
    schema::drop_all(engine);
}

[[maybe_unused]] void session_flow(sq::engine& engine) {
    auto SessionLocal = sq::sessionmaker(engine, {.autocommit = false, .autoflush = false});
    sq::session db = SessionLocal();
    Owner& ana = db.add(Owner{.name = "Ana", .email = "ana@example.com", .age = 30});
    db.flush();
    Everything& e = db.add(Everything{.owner_id = ana.id.value,
                                      .b = true,
                                      .i8 = 1,
                                      .i16 = 2,
                                      .i32 = 3,
                                      .i64 = 4,
                                      .u8 = 5,
                                      .u16 = 6,
                                      .u32 = 7,
                                      .u64 = 8,
                                      .f = 1.5f,
                                      .d = 2.5,
                                      .s = "s",
                                      .bytes = {std::byte{1}},
                                      .at = std::chrono::system_clock::now(),
                                      .lvl = level::high,
                                      .plain = plain_b,
                                      .price = money{100},
                                      .ob = {},
                                      .oi8 = {},
                                      .ou32 = {},
                                      .oi64 = {},
                                      .of = {},
                                      .od = {},
                                      .os = {},
                                      .obytes = {},
                                      .oat = {},
                                      .olvl = {},
                                      .oprice = {},
                                      .ranked = 1,
                                      .code = std::uint16_t{2}});
    db.add(Tag{.everything_id = 0, .label = "t"});
    db.commit();
    Owner* same = db.get<Owner>(ana.id);
    (void)same;
    Everything* again = db.get<Everything>(e.id);
    if (again) again->i32 = 42;
    db.refresh(ana);
    db.merge(Owner{.id = ana.id, .name = "Ana", .email = "ana@example.com", .age = 31});
    {
        auto sp = db.begin_nested();
        ana.age = 32;
        sp.rollback();
    }
    db.transaction([](sq::session& s) { s.add(Owner{.name = "Bob", .email = "bob@example.com"}); });
    SessionLocal.begin([](sq::session& s) { (void)s.query<Owner>().count(); });
    auto fetched = db.fetch<std::tuple<std::int64_t>>("SELECT count(*) FROM owners");
    (void)fetched;
    (void)db.execute("DELETE FROM tag WHERE id = ?", std::int64_t{0});
    db.expunge(e);
    db.remove(ana);
    db.rollback();
    db.close();
}

[[maybe_unused]] void queries(sq::session& db) {
    using sq::col;
    std::vector<std::int64_t> ids{1, 2, 3};
    auto adults = db.query<Owner>()
                      .filter(col<&Owner::age> >= 18 && col<&Owner::name> != "Bob" && !(col<&Owner::age> == std::nullopt))
                      .order_by(sq::desc(col<&Owner::name>), col<&Owner::id>)
                      .limit(10)
                      .offset(2)
                      .all();
    (void)adults;
    (void)db.query<Owner>().filter(col<&Owner::name>.like("A%") || col<&Owner::id>.in(ids)).first();
    (void)db.query<Owner>().filter(col<&Owner::age>.between(18, 65)).count();
    (void)db.query<Owner>().filter(col<&Owner::age>.is_null()).exists();
    (void)db.query<Owner>().filter(col<&Owner::id>.in({1, 2})).values();
    (void)db.query<Everything>().filter(col<&Everything::i32> * 2 + 1 > 7 && col<&Everything::d> / 2.0 < 1.0).all();
    (void)db.query<Everything>().filter(col<&Everything::u64> == std::uint64_t{3} && col<&Everything::lvl> == level::high).all();
    (void)db.query<Everything>().filter(col<&Everything::price> == money{100} && col<&Everything::f> < 2.0f).count();
    auto joined = db.query<Owner>().join<Everything>().filter(col<&Everything::b> == true).all();
    (void)joined;
    auto outer = db.query<Owner>().outerjoin<Everything>().values();
    (void)outer;
    auto grouped = db.query<Owner>()
                       .select(col<&Owner::name>, sq::count(), sq::sum(col<&Owner::age>), sq::avg(col<&Owner::age>),
                               sq::min(col<&Owner::id>), sq::max(col<&Owner::email>))
                       .group_by(col<&Owner::name>)
                       .having(sq::count() > 1)
                       .distinct()
                       .all();
    (void)grouped;
    auto sub = db.query<Everything>().filter(col<&Everything::b> == true).select(col<&Everything::owner_id>);
    (void)db.query<Owner>().filter(col<&Owner::id>.in(sub)).all();
    (void)db.query<Owner>().filter(col<&Owner::id> > 100).update(sq::set<&Owner::age>(col<&Owner::age> + 1));
    (void)db.query<Owner>().filter(col<&Owner::id> > 100).update(sq::set<&Owner::age>(std::nullopt),
                                                                 sq::set<&Owner::name>("x"));
    (void)db.query<Tag>().filter(col<&Tag::label>.like("Draft%")).remove();
    // Values wider than their column: bound as themselves, or checked before they are narrowed.
    (void)db.query<Everything>().filter(col<&Everything::i16> == std::int64_t{70000} || col<&Everything::i8> >= 2.5).count();
    (void)db.query<Everything>().filter(col<&Everything::i32>.between(0.5, std::uint64_t{9}) && col<&Everything::i8>.in({300, 2})).count();
    (void)db.query<Everything>().update(sq::set<&Everything::i16>(std::int64_t{7}), sq::set<&Everything::i8>(2.0));
    // Aliases and CTEs: a self-join, a recursive CTE read FROM, a CTE of values joined.
    using other = sq::alias<Owner, "other">;
    (void)db.query<Owner>().outerjoin<other>(col<&Owner::age> == other::col<&Owner::age>).filter(other::col<&Owner::name> != "x").all();
    auto first_owner = db.query<Owner>().filter(col<&Owner::id> == 1).cte<"chain">(sq::recursive);
    auto chain = first_owner.union_(db.query<Owner>().join(first_owner, col<&Owner::id> == first_owner.col<&Owner::id> + 1));
    (void)db.query(chain).filter(chain.col<&Owner::age> > 3).count();
    auto ages = db.query<Owner>().select(col<&Owner::age>, sq::count()).group_by(col<&Owner::age>).cte<"ages">();
    (void)db.query<Owner>().join(ages, col<&Owner::age> == ages.column<0>).select(col<&Owner::name>, ages.column<1>).all();
    db.query<Owner>().for_each([](Owner* o) { (void)o; });
    try {
        (void)db.query<Owner>().filter(col<&Owner::id> == 1).one();
    } catch (const sq::no_result_found&) {
    }
}

}  // namespace strict_warnings
