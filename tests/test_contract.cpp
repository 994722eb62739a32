// The API contract's example from shared/design.md, compiled and run unchanged (the file name
// aside: it runs in a temporary directory).
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <structql/structql.hpp>

#include "support.hpp"

namespace contract {
namespace sq = structql;

struct Pessoa {                            // table "pessoas"
    sq::primary_key<std::int64_t> id;      // a member named `id` is the PK by convention too
    sq::indexed<std::string> nome;         // CREATE INDEX "ix_pessoas_nome"
    std::optional<int> idade;              // std::optional<T> -> nullable; otherwise NOT NULL
    static constexpr std::string_view table_name = "pessoas";
};
struct Post {                              // no table_name -> snake_case of the type: "post"
    std::int64_t id;
    sq::foreign_key<&Pessoa::id> author_id;   // REFERENCES "pessoas"("id")
    sq::unique<std::string> slug;
    std::vector<std::byte> cover;          // BLOB
};
}  // namespace contract

TEST_CASE("the design's contract example compiles and runs unchanged", "[contract]") {
    using namespace contract;
    structql_test::temp_dir dir;
    structql_test::chdir_guard cd(dir.path());

auto engine = sq::create_engine("sqlite:///./sql_app.db", {.check_same_thread = false});
engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
sq::metadata<Post, Pessoa>::create_all(engine);        // parents first, whatever the order
auto SessionLocal = sq::sessionmaker(engine, {.autocommit = false, .autoflush = false});
{
    sq::session db = SessionLocal();                   // closes (rolls back) at scope end
    Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
    db.commit();                                       // ana.id now holds the new rowid
    Pessoa* same = db.get<Pessoa>(ana.id);             // identity map: same == &ana
    std::vector<Pessoa*> adults = db.query<Pessoa>()
        .filter(sq::col<&Pessoa::idade> >= 18 && sq::col<&Pessoa::nome> != "Bob")
        .order_by(sq::desc(sq::col<&Pessoa::nome>)).limit(10).offset(0).all();
    ana.idade = 31;                                    // dirty: UPDATE at the next flush
    db.remove(*same);                                  // DELETE at the next flush
    db.rollback();                                     // changes undone, objects restored

    // What the example promises, checked.
    CHECK(ana.id != 0);
    CHECK(same == &ana);
    REQUIRE(adults.size() == 1);
    CHECK(adults[0] == &ana);
    CHECK(ana.idade == 30);
    CHECK(db.get<Pessoa>(ana.id) == &ana);
}
static_assert(sq::sql::create_table<Pessoa>.starts_with("CREATE TABLE"));  // compile-time SQL

    structql_test::sqlite_file file(dir.path() / "sql_app.db");
    CHECK(file.count("SELECT count(*) FROM pessoas WHERE nome = 'Ana' AND idade = 30") == 1);
    CHECK(file.count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('pessoas', 'post')") == 2);
}
