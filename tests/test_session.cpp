// Sessions against real SQLite files: the seed's flow, the identity map, the unit of work,
// rollback, autoflush and autocommit, and queries -- each checked in the objects and, through
// an independent sqlite3 connection, in the file.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <structql/structql.hpp>

#include "support.hpp"

namespace session_test {
namespace sq = structql;

struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> nome;
    std::optional<int> idade;
    static constexpr std::string_view table_name = "pessoas";
};

struct Post {
    std::int64_t id;
    sq::foreign_key<&Pessoa::id> author_id;
    sq::unique<std::string> slug;
};

struct Comment {
    std::int64_t id;
    sq::foreign_key<&Post::id> post_id;
    std::string text;
};

using schema = sq::metadata<Comment, Post, Pessoa>;

// A database file with the schema, foreign keys enforced on every connection.
struct fixture {
    structql_test::temp_dir dir;
    sq::engine engine;
    structql_test::sqlite_file file;

    explicit fixture(sq::engine_options options = {})
        : engine(sq::create_engine(dir.url("app.db"), std::move(options))), file((create(engine), dir.path() / "app.db")) {}

    static void create(sq::engine& e) {
        e.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
        schema::create_all(e);
    }
    sq::session session(sq::session_options options = {}) { return sq::session(engine, options); }
    std::int64_t rows(const std::string& table) { return file.count("SELECT count(*) FROM \"" + table + "\""); }
};

}  // namespace session_test

using namespace session_test;

TEST_CASE("the seed's flow: add, commit, get, update, remove, each visible in the file", "[session]") {
    fixture f;
    auto SessionLocal = sq::sessionmaker(f.engine, {.autocommit = false, .autoflush = false});
    std::int64_t id = 0;
    {
        sq::session db = SessionLocal();
        Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
        CHECK(ana.id == 0);
        CHECK(f.rows("pessoas") == 0);
        db.commit();
        id = ana.id;
        CHECK(id > 0);
        auto stored = f.file.query("SELECT id, nome, idade FROM pessoas");
        REQUIRE(stored.size() == 1);
        CHECK(stored[0][0] == std::to_string(id));
        CHECK(stored[0][1] == "Ana");
        CHECK(stored[0][2] == "30");
    }
    {
        sq::session db = SessionLocal();
        Pessoa* ana = db.get<Pessoa>(id);
        REQUIRE(ana != nullptr);
        CHECK(ana->nome == "Ana");
        ana->idade = 31;
        db.commit();
        CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = " + std::to_string(id)) == 31);
    }
    {
        sq::session db = SessionLocal();
        Pessoa* ana = db.get<Pessoa>(id);
        REQUIRE(ana != nullptr);
        db.remove(*ana);
        CHECK(f.rows("pessoas") == 1);
        db.commit();
        CHECK(f.rows("pessoas") == 0);
        CHECK(db.get<Pessoa>(id) == nullptr);
    }
}

TEST_CASE("a session dropped without commit leaves nothing behind", "[session]") {
    fixture f;
    {
        sq::session db = f.session();
        db.add(Pessoa{.nome = "Ana"});
        db.flush();  // the INSERT ran inside the session's transaction
    }
    CHECK(f.rows("pessoas") == 0);
    {
        sq::session db = f.session();
        db.add(Pessoa{.nome = "Ana"});
        db.commit();
        Pessoa* ana = db.query<Pessoa>().first();
        REQUIRE(ana);
        ana->nome = "Changed";
        db.flush();
        db.close();
    }
    CHECK(f.file.query("SELECT nome FROM pessoas")[0][0] == "Ana");
}

TEST_CASE("identity map: one row, one object", "[session]") {
    fixture f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (7, 'Ana', 30), (8, 'Bia', NULL)");
    sq::session db = f.session();
    Pessoa* by_get = db.get<Pessoa>(7);
    REQUIRE(by_get);
    auto all = db.query<Pessoa>().order_by(sq::col<&Pessoa::id>).all();
    REQUIRE(all.size() == 2);
    CHECK(all[0] == by_get);
    CHECK(&db.query<Pessoa>().filter(sq::col<&Pessoa::nome> == "Ana").one() == by_get);
    CHECK(db.query<Pessoa>().filter(sq::col<&Pessoa::id> == 8).first() == all[1]);
    CHECK(db.get<Pessoa>(8) == all[1]);
    CHECK(db.get<Pessoa>(9) == nullptr);

    // get() answers from the map without SQL.
    auto executed = f.engine.statistics().statements_executed.load();
    CHECK(db.get<Pessoa>(7) == by_get);
    CHECK(f.engine.statistics().statements_executed.load() == executed);

    // An object loaded once is not overwritten by a later query: its unflushed change stays.
    by_get->nome = "Ana Maria";
    sq::session no_autoflush(f.engine, {.autoflush = false});
    Pessoa* again = no_autoflush.get<Pessoa>(7);
    again->idade = 50;
    CHECK(no_autoflush.query<Pessoa>().filter(sq::col<&Pessoa::id> == 7).one().idade == 50);
}

TEST_CASE("flush writes only what changed, parents before children, children deleted first", "[session]") {
    fixture f;
    sq::session db = f.session();
    // Children added before their parents: the flush still inserts the parents first.
    Pessoa& ana = db.add(Pessoa{.id = 1, .nome = "Ana"});
    Comment& comment = db.add(Comment{.id = 1, .post_id = 1, .text = "first!"});
    Post& post = db.add(Post{.id = 1, .author_id = 1, .slug = "hello"});
    (void)comment;
    db.commit();
    CHECK(f.rows("pessoas") == 1);
    CHECK(f.rows("post") == 1);
    CHECK(f.rows("comment") == 1);

    // No change, no statement.
    auto executed = f.engine.statistics().statements_executed.load();
    db.commit();
    CHECK(f.engine.statistics().statements_executed.load() == executed);

    // Removing parent and children together deletes children first.
    db.remove(ana);
    db.remove(post);
    db.remove(comment);
    db.commit();
    CHECK(f.rows("pessoas") == 0);
    CHECK(f.rows("post") == 0);
    CHECK(f.rows("comment") == 0);
}

TEST_CASE("rollback discards pending objects and restores changed and removed ones", "[session]") {
    fixture f;
    sq::session db = f.session({.autoflush = false});
    Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
    db.commit();

    ana.idade = 31;
    Pessoa& bia = db.add(Pessoa{.nome = "Bia"});
    db.flush();
    CHECK(bia.id != 0);
    db.rollback();
    CHECK(ana.idade == 30);
    CHECK(f.rows("pessoas") == 1);
    // Bia was created in the rolled-back transaction: no longer tracked.
    CHECK_THROWS_AS(db.remove(bia), sq::invalid_request_error);
    CHECK(db.query<Pessoa>().count() == 1);

    db.remove(ana);
    db.flush();
    CHECK(db.get<Pessoa>(ana.id) == nullptr);
    db.rollback();
    CHECK(db.get<Pessoa>(ana.id) == &ana);
    ana.nome = "Ana Maria";
    db.commit();
    CHECK(f.file.query("SELECT nome FROM pessoas")[0][0] == "Ana Maria");
}

TEST_CASE("autoflush: queries see pending changes only when it is on", "[session]") {
    fixture f;
    {
        sq::session db = f.session({.autoflush = true});
        db.add(Pessoa{.nome = "Ana"});
        CHECK(db.query<Pessoa>().count() == 1);
        CHECK(db.query<Pessoa>().filter(sq::col<&Pessoa::nome> == "Ana").first() != nullptr);
    }
    {
        sq::session db = f.session({.autoflush = false});
        db.add(Pessoa{.nome = "Ana"});
        CHECK(db.query<Pessoa>().count() == 0);
        db.flush();
        CHECK(db.query<Pessoa>().count() == 1);
    }
    CHECK(f.rows("pessoas") == 0);
}

TEST_CASE("autocommit: every flush is committed at once", "[session]") {
    fixture f;
    sq::session db = f.session({.autocommit = true});
    Pessoa& ana = db.add(Pessoa{.nome = "Ana"});
    db.flush();
    CHECK(f.rows("pessoas") == 1);
    ana.nome = "Ana Maria";
    db.flush();
    CHECK(f.file.query("SELECT nome FROM pessoas")[0][0] == "Ana Maria");
}

TEST_CASE("foreign keys are enforced through on_connect", "[session]") {
    fixture f;
    sq::session db = f.session();
    db.add(Post{.author_id = 42, .slug = "orphan"});
    CHECK_THROWS_AS(db.commit(), sq::integrity_error);
    CHECK_THROWS_AS(db.query<Post>().count(), sq::pending_rollback_error);
    db.rollback();
    CHECK(db.query<Post>().count() == 0);
    CHECK(f.rows("post") == 0);
}

TEST_CASE("stale data: an UPDATE or DELETE that hits no row", "[session]") {
    fixture f;
    sq::session db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana"});
    db.commit();
    f.file.exec("DELETE FROM pessoas");
    ana.nome = "Ghost";
    CHECK_THROWS_AS(db.commit(), sq::stale_data_error);
    db.rollback();
    db.remove(ana);
    CHECK_THROWS_AS(db.commit(), sq::stale_data_error);
}

TEST_CASE("queries: filter, order_by, limit, offset, first, one, count", "[session][query]") {
    fixture f;
    f.file.exec(
        "INSERT INTO pessoas (nome, idade) VALUES ('Ana', 30), ('Bob', 17), ('Caio', NULL), ('Dora', 45), "
        "('Eva', 18)");
    sq::session db = f.session();
    using P = Pessoa;
    auto names = [](const std::vector<P*>& people) {
        std::vector<std::string> out;
        for (P* p : people) out.push_back(p->nome);
        return out;
    };
    CHECK(names(db.query<P>().filter(sq::col<&P::idade> >= 18).order_by(sq::col<&P::nome>).all()) ==
          std::vector<std::string>{"Ana", "Dora", "Eva"});
    CHECK(names(db.query<P>().filter(sq::col<&P::idade> >= 18 && sq::col<&P::nome> != "Eva")
                    .order_by(sq::desc(sq::col<&P::idade>))
                    .all()) == std::vector<std::string>{"Dora", "Ana"});
    CHECK(names(db.query<P>().filter(sq::col<&P::idade> < 18 || sq::col<&P::idade> == std::nullopt)
                    .order_by(sq::col<&P::nome>)
                    .all()) == std::vector<std::string>{"Bob", "Caio"});
    CHECK(names(db.query<P>().filter(!(sq::col<&P::nome>.like("%a%"))).order_by(sq::col<&P::nome>).all()) ==
          std::vector<std::string>{"Bob"});  // SQLite's LIKE ignores ASCII case: 'Ana' matches
    CHECK(names(db.query<P>().filter(sq::col<&P::nome>.like("_o%")).order_by(sq::col<&P::nome>).all()) ==
          std::vector<std::string>{"Bob", "Dora"});
    CHECK(names(db.query<P>().order_by(sq::col<&P::nome>).limit(2).offset(1).all()) ==
          std::vector<std::string>{"Bob", "Caio"});
    CHECK(names(db.query<P>().order_by(sq::col<&P::nome>).offset(3).all()) == std::vector<std::string>{"Dora", "Eva"});
    CHECK(db.query<P>().filter(sq::col<&P::idade>.is_null()).count() == 1);
    CHECK(db.query<P>().filter(sq::col<&P::idade>.is_not_null()).count() == 4);
    CHECK(db.query<P>().order_by(sq::col<&P::nome>).limit(2).count() == 2);
    CHECK(db.query<P>().filter(sq::col<&P::idade> > 100).first() == nullptr);
    CHECK(db.query<P>().filter(sq::col<&P::idade> > 100).all().empty());
    CHECK_THROWS_AS(db.query<P>().filter(sq::col<&P::idade> > 100).one(), sq::no_result_found);
    CHECK_THROWS_AS(db.query<P>().filter(sq::col<&P::idade> > 10).one(), sq::multiple_results_found);
    CHECK(db.query<P>().filter(18 <= sq::col<&P::idade>).count() == 3);
    CHECK(db.query<P>().filter(sq::col<&P::nome> == "' OR 1=1 --").count() == 0);
}

TEST_CASE("query SQL is fixed at compile time by the query's shape", "[query]") {
    using Q = decltype(std::declval<sq::session&>()
                           .query<Pessoa>()
                           .filter(sq::col<&Pessoa::idade> >= 18 && sq::col<&Pessoa::nome> != "Bob")
                           .order_by(sq::desc(sq::col<&Pessoa::nome>))
                           .limit(10)
                           .offset(0));
    static_assert(Q::sql ==
                  R"(SELECT "pessoas"."id", "pessoas"."nome", "pessoas"."idade" FROM "pessoas" WHERE )"
                  R"((("pessoas"."idade" >= ?) AND ("pessoas"."nome" <> ?)) ORDER BY "pessoas"."nome" DESC )"
                  R"(LIMIT ? OFFSET ?)");
    using C = decltype(std::declval<sq::session&>().query<Pessoa>().filter(sq::col<&Pessoa::idade> == std::nullopt));
    static_assert(C::count_sql == R"(SELECT count(*) FROM "pessoas" WHERE ("pessoas"."idade" IS NULL))");
    using O = decltype(std::declval<sq::session&>().query<Pessoa>().offset(5));
    static_assert(O::sql == R"(SELECT "pessoas"."id", "pessoas"."nome", "pessoas"."idade" FROM "pessoas" LIMIT -1 OFFSET ?)");
    SUCCEED("checked at compile time");
}

TEST_CASE("every statement is prepared once per connection and reused", "[session][engine]") {
    fixture f({.pool_size = 1});
    auto prepared_after_first_round = [&] {
        sq::session db = f.session();
        Pessoa& p = db.add(Pessoa{.nome = "x"});
        db.commit();
        p.idade = 1;
        db.commit();
        (void)db.get<Pessoa>(p.id + 1000);
        (void)db.query<Pessoa>().filter(sq::col<&Pessoa::nome> == "x").all();
        db.remove(p);
        db.commit();
        return f.engine.statistics().statements_prepared.load();
    };
    auto first = prepared_after_first_round();
    for (int i = 0; i < 20; ++i) CHECK(prepared_after_first_round() == first);
    CHECK(f.engine.statistics().connections_opened.load() == 1);
}

TEST_CASE("an in-memory engine is one database shared by its sessions", "[engine]") {
    auto engine = sq::create_engine("sqlite://");
    sq::metadata<Pessoa>::create_all(engine);
    {
        sq::session a(engine);
        a.add(Pessoa{.nome = "Ana"});
        a.commit();
    }
    sq::session b(engine);
    CHECK(b.query<Pessoa>().count() == 1);
    auto other = sq::create_engine("sqlite:///:memory:");
    sq::metadata<Pessoa>::create_all(other);
    sq::session c(other);
    CHECK(c.query<Pessoa>().count() == 0);
}

TEST_CASE("check_same_thread: a session used from another thread fails clearly", "[engine]") {
    fixture f;
    sq::session db = f.session();
    db.add(Pessoa{.nome = "Ana"});
    db.flush();
    std::string message;
    std::thread([&] {
        try {
            db.flush();
            db.query<Pessoa>().count();
        } catch (const sq::operational_error& e) {
            message = e.what();
        }
    }).join();
    CHECK_THAT(message, Catch::Contains("thread"));
    db.commit();
    CHECK(f.rows("pessoas") == 1);
}

TEST_CASE("echo logs every statement with its parameters", "[engine]") {
    structql_test::temp_dir dir;
    std::vector<std::string> lines;
    auto engine = sq::create_engine(dir.url("echo.db"), {.echo = true, .log = [&](std::string_view line) {
                                                             lines.emplace_back(line);
                                                         }});
    sq::metadata<Pessoa>::create_all(engine);
    sq::session db(engine);
    db.add(Pessoa{.nome = "O'Hara", .idade = 40});
    db.commit();
    bool found = false;
    for (auto& line : lines)
        found = found || (line.find("INSERT INTO \"pessoas\"") != std::string::npos &&
                          line.find("'O'Hara'") != std::string::npos && line.find("40") != std::string::npos);
    CHECK(found);
}

TEST_CASE("an UPDATE writes only the changed columns, each column set prepared once", "[session]") {
    fixture f({.pool_size = 1});
    std::vector<std::string> updates;
    sq::session db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
    db.commit();
    // A change made behind the session's back to a column the session does not change survives.
    f.file.exec("UPDATE pessoas SET nome = 'Ana (edited elsewhere)'");
    ana.idade = 31;
    db.commit();
    auto row = f.file.query("SELECT nome, idade FROM pessoas");
    CHECK(row[0][0] == "Ana (edited elsewhere)");
    CHECK(row[0][1] == "31");

    auto prepared = f.engine.statistics().statements_prepared.load();
    for (int age = 32; age < 40; ++age) {
        ana.idade = age;
        db.commit();
    }
    CHECK(f.engine.statistics().statements_prepared.load() == prepared);
    CHECK(f.file.count("SELECT idade FROM pessoas") == 39);

    // Both columns, then the key itself.
    ana.nome = "Ana Maria";
    ana.idade = 40;
    db.commit();
    std::int64_t old_id = ana.id;
    ana.id = old_id + 100;
    db.commit();
    CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE id = " + std::to_string(old_id + 100) +
                       " AND nome = 'Ana Maria' AND idade = 40") == 1);
    CHECK(db.get<Pessoa>(old_id + 100) == &ana);
}

TEST_CASE("begin_nested: a savepoint rolls back the database and the objects, the outer transaction goes on",
          "[session][savepoint]") {
    fixture f;
    sq::session db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
    db.flush();
    {
        auto sp = db.begin_nested();
        ana.idade = 31;
        Pessoa& bia = db.add(Pessoa{.nome = "Bia"});
        db.flush();
        CHECK(bia.id != 0);
        sp.rollback();
        CHECK(ana.idade == 30);
        CHECK_THROWS_AS(db.remove(bia), sq::invalid_request_error);  // no longer tracked
    }
    {
        auto sp = db.begin_nested();
        db.add(Pessoa{.nome = "Caio"});
        // Destroyed without commit(): rolled back.
    }
    {
        auto outer = db.begin_nested();
        db.add(Pessoa{.nome = "Dora"});
        {
            auto inner = db.begin_nested();
            ana.nome = "Ana Maria";
            inner.commit();
        }
        db.remove(ana);
        {
            auto inner = db.begin_nested();
            db.add(Pessoa{.nome = "Eva"});
        }
        outer.commit();
    }
    db.commit();
    auto rows = f.file.query("SELECT nome FROM pessoas ORDER BY nome");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0][0] == "Dora");
}

TEST_CASE("a savepoint rolled back restores objects removed and changed inside it", "[session][savepoint]") {
    fixture f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (1, 'Ana', 30), (2, 'Bia', 40)");
    sq::session db = f.session();
    Pessoa* ana = db.get<Pessoa>(1);
    auto sp = db.begin_nested();
    db.remove(*ana);
    Pessoa* bia = db.get<Pessoa>(2);  // loaded inside the savepoint
    bia->idade = 41;
    db.flush();
    CHECK(db.get<Pessoa>(1) == nullptr);
    sp.rollback();
    CHECK(db.get<Pessoa>(1) == ana);
    CHECK(bia->idade == 40);  // reloaded: the savepoint's change is gone from the row
    CHECK(db.get<Pessoa>(2) == bia);
    db.commit();
    CHECK(f.rows("pessoas") == 2);
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = 2") == 40);
}

TEST_CASE("transaction scope: commits when the function returns, rolls back when it throws", "[session]") {
    fixture f;
    auto SessionLocal = sq::sessionmaker(f.engine);
    std::int64_t id = SessionLocal.begin([](sq::session& db) { return db.add(Pessoa{.nome = "Ana"}).id.value; });
    CHECK(id == 0);  // the key is assigned at the flush inside commit, after the lambda returned a copy
    CHECK(f.rows("pessoas") == 1);
    CHECK_THROWS_AS(SessionLocal.begin([](sq::session& db) {
        db.add(Pessoa{.nome = "Bia"});
        db.flush();
        throw std::runtime_error("request failed");
    }),
                    std::runtime_error);
    CHECK(f.rows("pessoas") == 1);

    sq::session db = SessionLocal();
    Pessoa& ana = db.transaction([](sq::session& s) -> Pessoa& { return *s.query<Pessoa>().first(); });
    CHECK(ana.nome == "Ana");
    CHECK_THROWS_AS(db.transaction([&](sq::session&) {
        ana.nome = "changed";
        throw std::runtime_error("x");
    }),
                    std::runtime_error);
    CHECK(ana.nome == "Ana");
}

TEST_CASE("expunge, refresh and merge", "[session]") {
    fixture f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (1, 'Ana', 30)");
    sq::session db = f.session();
    Pessoa* ana = db.get<Pessoa>(1);
    db.commit();  // ends the read transaction, so that the file can be written from outside

    // refresh: unflushed changes discarded, the row read again.
    ana->idade = 99;
    f.file.exec("UPDATE pessoas SET nome = 'Ana B' WHERE id = 1");
    db.refresh(*ana);
    CHECK(ana->idade == 30);
    CHECK(ana->nome == "Ana B");

    // expunge: no longer tracked, changes never written, a new object for the row.
    db.expunge(*ana);
    ana->idade = 77;
    db.commit();
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = 1") == 30);
    Pessoa* again = db.get<Pessoa>(1);
    CHECK(again != ana);
    CHECK(again->idade == 30);

    // merge: state copied onto the tracked object for the key; a new key is added.
    Pessoa detached{.id = 1, .nome = "Merged", .idade = 31};
    Pessoa& merged = db.merge(detached);
    CHECK(&merged == again);
    CHECK(merged.nome == "Merged");
    Pessoa& added = db.merge(Pessoa{.id = 5, .nome = "New"});
    db.commit();
    CHECK(added.id == 5);
    CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE (id = 1 AND nome = 'Merged' AND idade = 31) OR "
                       "(id = 5 AND nome = 'New')") == 2);
}

TEST_CASE("a foreign-key failure names the referencing columns", "[session][errors]") {
    fixture f;
    sq::session db = f.session();
    db.add(Post{.author_id = 42, .slug = "orphan"});
    try {
        db.flush();
        FAIL("the flush should have failed");
    } catch (const sq::integrity_error& e) {
        std::string message = e.what();
        CHECK_THAT(message, Catch::Contains("FOREIGN KEY constraint failed"));
        CHECK_THAT(message, Catch::Contains("\"post\".\"author_id\" REFERENCES \"pessoas\" (\"id\")"));
        CHECK_THAT(message, Catch::Contains("INSERT INTO \"post\""));
    }
}

TEST_CASE("adding 10,000 objects and committing is one pass", "[session][bulk]") {
    fixture f;
    sq::session db = f.session();
    std::vector<Pessoa*> added;
    for (int i = 0; i < 10000; ++i) added.push_back(&db.add(Pessoa{.nome = "p" + std::to_string(i), .idade = i}));
    db.commit();
    CHECK(f.rows("pessoas") == 10000);
    CHECK(added.front()->id == 1);
    CHECK(added.back()->id == 10000);
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE nome = 'p9999'") == 9999);
}
