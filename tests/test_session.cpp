// Sessions against real databases, SQLite files and PostgreSQL schemas: the seed's flow, the
// identity map, the unit of work, rollback, autoflush and autocommit, and queries -- each checked
// in the objects and, through an independent connection (sqlite3 / libpq), in the database.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <structql/structql.hpp>

#include "backends.hpp"
#include "session_fixture.hpp"
#include "support.hpp"

using namespace session_test;

TEMPLATE_TEST_CASE("the seed's flow: add, commit, get, update, remove, each visible in the file", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto SessionLocal = sq::sessionmaker(f.engine, {.autocommit = false, .autoflush = false});
    std::int64_t id = 0;
    {
        auto db = SessionLocal();
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
        auto db = SessionLocal();
        Pessoa* ana = db.template get<Pessoa>(id);
        REQUIRE(ana != nullptr);
        CHECK(ana->nome == "Ana");
        ana->idade = 31;
        db.commit();
        CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = " + std::to_string(id)) == 31);
    }
    {
        auto db = SessionLocal();
        Pessoa* ana = db.template get<Pessoa>(id);
        REQUIRE(ana != nullptr);
        db.remove(*ana);
        CHECK(f.rows("pessoas") == 1);
        db.commit();
        CHECK(f.rows("pessoas") == 0);
        CHECK(db.template get<Pessoa>(id) == nullptr);
    }
}

TEMPLATE_TEST_CASE("a session dropped without commit leaves nothing behind", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    {
        auto db = f.session();
        db.add(Pessoa{.nome = "Ana"});
        db.flush();  // the INSERT ran inside the session's transaction
    }
    CHECK(f.rows("pessoas") == 0);
    {
        auto db = f.session();
        db.add(Pessoa{.nome = "Ana"});
        db.commit();
        Pessoa* ana = db.template query<Pessoa>().first();
        REQUIRE(ana);
        ana->nome = "Changed";
        db.flush();
        db.close();
    }
    CHECK(f.file.query("SELECT nome FROM pessoas")[0][0] == "Ana");
}

TEMPLATE_TEST_CASE("identity map: one row, one object", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (7, 'Ana', 30), (8, 'Bia', NULL)");
    auto db = f.session();
    Pessoa* by_get = db.template get<Pessoa>(7);
    REQUIRE(by_get);
    auto all = db.template query<Pessoa>().order_by(sq::col<&Pessoa::id>).all();
    REQUIRE(all.size() == 2);
    CHECK(all[0] == by_get);
    CHECK(&db.template query<Pessoa>().filter(sq::col<&Pessoa::nome> == "Ana").one() == by_get);
    CHECK(db.template query<Pessoa>().filter(sq::col<&Pessoa::id> == 8).first() == all[1]);
    CHECK(db.template get<Pessoa>(8) == all[1]);
    CHECK(db.template get<Pessoa>(9) == nullptr);

    // get() answers from the map without SQL.
    auto executed = f.engine.statistics().statements_executed.load();
    CHECK(db.template get<Pessoa>(7) == by_get);
    CHECK(f.engine.statistics().statements_executed.load() == executed);

    // An object loaded once is not overwritten by a later query: its unflushed change stays.
    db.close();  // on a file its transaction holds the write lock, which the next session takes
    typename fixture<TestType>::session_type no_autoflush(f.engine, {.autoflush = false});
    Pessoa* again = no_autoflush.template get<Pessoa>(7);
    again->idade = 50;
    CHECK(no_autoflush.template query<Pessoa>().filter(sq::col<&Pessoa::id> == 7).one().idade == 50);
}

TEMPLATE_TEST_CASE("flush writes only what changed, parents before children, children deleted first", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
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

TEMPLATE_TEST_CASE("an object changed after the flush that inserted it is written by the next flush", "[session]", sqlite, postgresql) {
    // A flush does not compare the objects it has just inserted with their snapshots; any
    // later flush must.
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    std::vector<std::string> updates;
    f.engine.before_execute([&](const sq::statement_event& e) {
        if (e.sql.starts_with("UPDATE")) updates.emplace_back(e.sql);
    });
    auto db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
    Pessoa& bia = db.add(Pessoa{.nome = "Bia", .idade = 40});
    db.flush();
    CHECK(updates.empty());
    ana.nome = "Ana changed";
    db.flush();
    CHECK(updates.size() == 1);
    // Changed, then an autoflush that inserts another object: the change goes out with it.
    bia.idade = 41;
    db.add(Pessoa{.nome = "Cy"});
    CHECK(db.template query<Pessoa>().count() == 3);
    CHECK(updates.size() == 2);
    // Changed after its insert in the same transaction, committed by commit()'s flush.
    Pessoa& cy = *db.template query<Pessoa>().filter(sq::col<&Pessoa::nome> == "Cy").first();
    cy.idade = 7;
    db.commit();
    CHECK(updates.size() == 3);
    auto stored = f.file.query("SELECT nome, idade FROM pessoas ORDER BY id");
    REQUIRE(stored.size() == 3);
    CHECK((stored[0][0] == "Ana changed" && stored[0][1] == "30"));
    CHECK((stored[1][0] == "Bia" && stored[1][1] == "41"));
    CHECK((stored[2][0] == "Cy" && stored[2][1] == "7"));
}

TEMPLATE_TEST_CASE("rollback discards pending objects and restores changed and removed ones", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session({.autoflush = false});
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
    CHECK(db.template query<Pessoa>().count() == 1);

    db.remove(ana);
    db.flush();
    CHECK(db.template get<Pessoa>(ana.id) == nullptr);
    db.rollback();
    CHECK(db.template get<Pessoa>(ana.id) == &ana);
    ana.nome = "Ana Maria";
    db.commit();
    CHECK(f.file.query("SELECT nome FROM pessoas")[0][0] == "Ana Maria");
}

TEMPLATE_TEST_CASE("autoflush: queries see pending changes only when it is on", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    {
        auto db = f.session({.autoflush = true});
        db.add(Pessoa{.nome = "Ana"});
        CHECK(db.template query<Pessoa>().count() == 1);
        CHECK(db.template query<Pessoa>().filter(sq::col<&Pessoa::nome> == "Ana").first() != nullptr);
    }
    {
        auto db = f.session({.autoflush = false});
        db.add(Pessoa{.nome = "Ana"});
        CHECK(db.template query<Pessoa>().count() == 0);
        db.flush();
        CHECK(db.template query<Pessoa>().count() == 1);
    }
    CHECK(f.rows("pessoas") == 0);
}

TEMPLATE_TEST_CASE("autocommit: every flush is committed at once", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session({.autocommit = true});
    Pessoa& ana = db.add(Pessoa{.nome = "Ana"});
    db.flush();
    CHECK(f.rows("pessoas") == 1);
    ana.nome = "Ana Maria";
    db.flush();
    CHECK(f.file.query("SELECT nome FROM pessoas")[0][0] == "Ana Maria");
}

TEMPLATE_TEST_CASE("foreign keys are enforced through on_connect", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    db.add(Post{.author_id = 42, .slug = "orphan"});
    CHECK_THROWS_AS(db.commit(), sq::integrity_error);
    CHECK_THROWS_AS(db.template query<Post>().count(), sq::pending_rollback_error);
    db.rollback();
    CHECK(db.template query<Post>().count() == 0);
    CHECK(f.rows("post") == 0);
}

TEMPLATE_TEST_CASE("stale data: an UPDATE or DELETE that hits no row", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana"});
    db.commit();
    f.file.exec("DELETE FROM pessoas");
    ana.nome = "Ghost";
    CHECK_THROWS_AS(db.commit(), sq::stale_data_error);
    db.rollback();
    db.remove(ana);
    CHECK_THROWS_AS(db.commit(), sq::stale_data_error);
}

TEMPLATE_TEST_CASE("queries: filter, order_by, limit, offset, first, one, count", "[session][query]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec(
        "INSERT INTO pessoas (nome, idade) VALUES ('Ana', 30), ('Bob', 17), ('Caio', NULL), ('Dora', 45), "
        "('Eva', 18)");
    auto db = f.session();
    using P = Pessoa;
    auto names = [](const std::vector<P*>& people) {
        std::vector<std::string> out;
        for (P* p : people) out.push_back(p->nome);
        return out;
    };
    CHECK(names(db.template query<P>().filter(sq::col<&P::idade> >= 18).order_by(sq::col<&P::nome>).all()) ==
          std::vector<std::string>{"Ana", "Dora", "Eva"});
    CHECK(names(db.template query<P>().filter(sq::col<&P::idade> >= 18 && sq::col<&P::nome> != "Eva")
                    .order_by(sq::desc(sq::col<&P::idade>))
                    .all()) == std::vector<std::string>{"Dora", "Ana"});
    CHECK(names(db.template query<P>().filter(sq::col<&P::idade> < 18 || sq::col<&P::idade> == std::nullopt)
                    .order_by(sq::col<&P::nome>)
                    .all()) == std::vector<std::string>{"Bob", "Caio"});
    CHECK(names(db.template query<P>().filter(!(sq::col<&P::nome>.like("%a%"))).order_by(sq::col<&P::nome>).all()) ==
          std::vector<std::string>{"Bob"});  // 'Ana' matches on both: SQLite ignores ASCII case, and it ends in 'a'
    CHECK(names(db.template query<P>().filter(sq::col<&P::nome>.like("_o%")).order_by(sq::col<&P::nome>).all()) ==
          std::vector<std::string>{"Bob", "Dora"});
    CHECK(names(db.template query<P>().order_by(sq::col<&P::nome>).limit(2).offset(1).all()) ==
          std::vector<std::string>{"Bob", "Caio"});
    CHECK(names(db.template query<P>().order_by(sq::col<&P::nome>).offset(3).all()) == std::vector<std::string>{"Dora", "Eva"});
    CHECK(db.template query<P>().filter(sq::col<&P::idade>.is_null()).count() == 1);
    CHECK(db.template query<P>().filter(sq::col<&P::idade>.is_not_null()).count() == 4);
    CHECK(db.template query<P>().order_by(sq::col<&P::nome>).limit(2).count() == 2);
    CHECK(db.template query<P>().filter(sq::col<&P::idade> > 100).first() == nullptr);
    CHECK(db.template query<P>().filter(sq::col<&P::idade> > 100).all().empty());
    CHECK_THROWS_AS(db.template query<P>().filter(sq::col<&P::idade> > 100).one(), sq::no_result_found);
    CHECK_THROWS_AS(db.template query<P>().filter(sq::col<&P::idade> > 10).one(), sq::multiple_results_found);
    CHECK(db.template query<P>().filter(18 <= sq::col<&P::idade>).count() == 3);
    CHECK(db.template query<P>().filter(sq::col<&P::nome> == "' OR 1=1 --").count() == 0);
}

TEMPLATE_TEST_CASE("query SQL is fixed at compile time by the query's shape", "[query]", sqlite, postgresql) {
    using session_type = typename TestType::session_type;
    using Q = decltype(std::declval<session_type&>()
                           .template query<Pessoa>()
                           .filter(sq::col<&Pessoa::idade> >= 18 && sq::col<&Pessoa::nome> != "Bob")
                           .order_by(sq::desc(sq::col<&Pessoa::nome>))
                           .limit(10)
                           .offset(0));
    using C = decltype(std::declval<session_type&>().template query<Pessoa>().filter(sq::col<&Pessoa::idade> ==
                                                                                    std::nullopt));
    using O = decltype(std::declval<session_type&>().template query<Pessoa>().offset(5));
    if constexpr (TestType::is_sqlite) {
        static_assert(Q::sql ==
                      R"(SELECT "pessoas"."id", "pessoas"."nome", "pessoas"."idade" FROM "pessoas" WHERE )"
                      R"((("pessoas"."idade" >= ?) AND ("pessoas"."nome" <> ?)) ORDER BY "pessoas"."nome" DESC )"
                      R"(LIMIT ? OFFSET ?)");
        static_assert(C::count_sql == R"(SELECT count(*) FROM "pessoas" WHERE ("pessoas"."idade" IS NULL))");
        static_assert(O::sql ==
                      R"(SELECT "pessoas"."id", "pessoas"."nome", "pessoas"."idade" FROM "pessoas" LIMIT -1 OFFSET ?)");
    } else {
        static_assert(Q::sql ==
                      R"(SELECT "pessoas"."id", "pessoas"."nome", "pessoas"."idade" FROM "pessoas" WHERE )"
                      R"((("pessoas"."idade" >= $1) AND ("pessoas"."nome" <> $2)) ORDER BY "pessoas"."nome" DESC )"
                      R"(LIMIT $3 OFFSET $4)");
        static_assert(C::count_sql == R"(SELECT count(*) FROM "pessoas" WHERE ("pessoas"."idade" IS NULL))");
        static_assert(O::sql ==
                      R"(SELECT "pessoas"."id", "pessoas"."nome", "pessoas"."idade" FROM "pessoas" OFFSET $1)");
    }
    SUCCEED("checked at compile time");
}

TEMPLATE_TEST_CASE("every statement is prepared once per connection and reused", "[session][engine]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f({.pool_size = 1});
    auto prepared_after_first_round = [&] {
        auto db = f.session();
        Pessoa& p = db.add(Pessoa{.nome = "x"});
        db.commit();
        p.idade = 1;
        db.commit();
        (void)db.template get<Pessoa>(p.id + 1000);
        (void)db.template query<Pessoa>().filter(sq::col<&Pessoa::nome> == "x").all();
        db.remove(p);
        db.commit();
        return f.engine.statistics().statements_prepared.load();
    };
    auto first = prepared_after_first_round();
    for (int i = 0; i < 20; ++i) CHECK(prepared_after_first_round() == first);
    CHECK(f.engine.statistics().connections_opened.load() == 1);
}

TEST_CASE("an in-memory engine is one database shared by its sessions", "[engine][sqlite-only]") {
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

TEMPLATE_TEST_CASE("check_same_thread: a session used from another thread fails clearly", "[engine]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    db.add(Pessoa{.nome = "Ana"});
    db.flush();
    std::string message;
    std::thread([&] {
        try {
            db.flush();
            db.template query<Pessoa>().count();
        } catch (const sq::operational_error& e) {
            message = e.what();
        }
    }).join();
    CHECK_THAT(message, Catch::Contains("thread"));
    db.commit();
    CHECK(f.rows("pessoas") == 1);
}

TEMPLATE_TEST_CASE("echo logs every statement with its parameters", "[engine]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType database;
    std::vector<std::string> lines;
    auto engine = database.make_engine({.echo = true, .log = [&](std::string_view line) { lines.emplace_back(line); }});
    sq::metadata<Pessoa>::create_all(engine);
    typename TestType::session_type db(engine);
    db.add(Pessoa{.nome = "O'Hara", .idade = 40});
    db.commit();
    bool found = false;
    for (auto& line : lines)
        found = found || (line.find("INSERT INTO \"pessoas\"") != std::string::npos &&
                          line.find("'O'Hara'") != std::string::npos && line.find("40") != std::string::npos);
    CHECK(found);
}

TEMPLATE_TEST_CASE("an UPDATE writes only the changed columns, each column set prepared once", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f({.pool_size = 1});
    std::vector<std::string> updates;
    auto db = f.session();
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
    CHECK(db.template get<Pessoa>(old_id + 100) == &ana);
}

TEMPLATE_TEST_CASE("begin_nested: a savepoint rolls back the database and the objects, the outer transaction goes on", "[session][savepoint]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
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

TEMPLATE_TEST_CASE("a savepoint rolled back restores objects removed and changed inside it", "[session][savepoint]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (1, 'Ana', 30), (2, 'Bia', 40)");
    auto db = f.session();
    Pessoa* ana = db.template get<Pessoa>(1);
    auto sp = db.begin_nested();
    db.remove(*ana);
    Pessoa* bia = db.template get<Pessoa>(2);  // loaded inside the savepoint
    bia->idade = 41;
    db.flush();
    CHECK(db.template get<Pessoa>(1) == nullptr);
    sp.rollback();
    CHECK(db.template get<Pessoa>(1) == ana);
    CHECK(bia->idade == 40);  // reloaded: the savepoint's change is gone from the row
    CHECK(db.template get<Pessoa>(2) == bia);
    db.commit();
    CHECK(f.rows("pessoas") == 2);
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = 2") == 40);
}

TEMPLATE_TEST_CASE("a savepoint rolled back keeps the objects' committed state for the transaction's rollback", "[session][savepoint]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (1, 'Ana', 30)");
    auto db = f.session();
    Pessoa* ana = db.template get<Pessoa>(1);
    for (int pass = 0; pass < 3; ++pass) {  // each transaction's committed copies, made and dropped again
        ana->idade = 31;
        db.flush();  // the committed state (30) is kept from here
        {
            auto sp = db.begin_nested();
            ana->idade = 32;
            ana->nome = "Ana Maria";
            db.flush();
            sp.rollback();
        }
        CHECK(ana->idade == 31);
        CHECK(ana->nome == "Ana");
        db.rollback();
        CHECK(ana->idade == 30);
        CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = 1") == 30);
    }
    ana->idade = 33;
    {
        auto sp = db.begin_nested();
        ana->nome = "Ana Maria";
        db.flush();
        sp.rollback();
    }
    db.commit();
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = 1 AND nome = 'Ana'") == 33);
    ana->idade = 34;
    db.flush();
    db.rollback();  // back to the last commit, not to the first load
    CHECK(ana->idade == 33);
}

TEMPLATE_TEST_CASE("transaction scope: commits when the function returns, rolls back when it throws", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto SessionLocal = sq::sessionmaker(f.engine);
    std::int64_t id = SessionLocal.begin([](auto& db) { return db.add(Pessoa{.nome = "Ana"}).id.value; });
    CHECK(id == 0);  // the key is assigned at the flush inside commit, after the lambda returned a copy
    CHECK(f.rows("pessoas") == 1);
    CHECK_THROWS_AS(SessionLocal.begin([](auto& db) {
        db.add(Pessoa{.nome = "Bia"});
        db.flush();
        throw std::runtime_error("request failed");
    }),
                    std::runtime_error);
    CHECK(f.rows("pessoas") == 1);

    auto db = SessionLocal();
    Pessoa& ana = db.transaction([](auto& s) -> Pessoa& { return *s.template query<Pessoa>().first(); });
    CHECK(ana.nome == "Ana");
    CHECK_THROWS_AS(db.transaction([&](auto&) {
        ana.nome = "changed";
        throw std::runtime_error("x");
    }),
                    std::runtime_error);
    CHECK(ana.nome == "Ana");
}

TEMPLATE_TEST_CASE("expunge, refresh and merge", "[session]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (1, 'Ana', 30)");
    auto db = f.session();
    Pessoa* ana = db.template get<Pessoa>(1);
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
    Pessoa* again = db.template get<Pessoa>(1);
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

TEMPLATE_TEST_CASE("expunge_all: every object untracked, its memory kept, its changes never written", "[session]", sqlite,
                   postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    // Keys far above those the database generates: PostgreSQL's identity sequence does not see them.
    f.file.exec("INSERT INTO pessoas (id, nome, idade) VALUES (1001, 'Ana', 30), (1002, 'Bia', 40)");
    auto db = f.session();
    Pessoa* ana = db.template get<Pessoa>(1001);
    Pessoa* bia = db.template get<Pessoa>(1002);
    bia->idade = 41;  // changed, unflushed: dropped with the rest
    Pessoa& pending = db.add(Pessoa{.nome = "Never"});
    db.expunge_all();
    ana->idade = 77;
    pending.nome = "Still never";
    db.commit();
    CHECK(f.file.count("SELECT count(*) FROM pessoas") == 2);
    CHECK(f.file.count("SELECT sum(idade) FROM pessoas") == 70);
    Pessoa* again = db.template get<Pessoa>(1001);
    CHECK(again != ana);
    CHECK(again->idade == 30);
    CHECK(ana->idade == 77);  // still readable: the memory lives until close
    CHECK_THROWS_AS(db.remove(*ana), sq::invalid_request_error);
    CHECK(db.template query<Pessoa>().count() == 2);
    CHECK(db.template query<Pessoa>().filter(sq::col<&Pessoa::id> == 1002).one().idade == 40);

    SECTION("the flush-every-N idiom: a batch, a commit, expunge_all") {
        std::vector<Pessoa*> first_batch;
        for (int batch = 0; batch < 5; ++batch) {
            for (int i = 0; i < 100; ++i) {
                Pessoa& p = db.add(Pessoa{.nome = "n" + std::to_string(batch * 100 + i), .idade = batch});
                if (batch == 0) first_batch.push_back(&p);
            }
            db.commit();
            db.expunge_all();
        }
        for (Pessoa* p : first_batch) p->idade = -1;  // untracked: nothing to write
        db.commit();
        CHECK(f.file.count("SELECT count(*) FROM pessoas") == 502);
        CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE idade = -1") == 0);
        CHECK(first_batch.front()->nome.value == "n0");
        CHECK(first_batch.front()->id != 0);
    }
    SECTION("inside a savepoint: rolled back to, it reloads the objects tracked since") {
        auto sp = db.begin_nested();
        again->idade = 31;
        db.flush();
        db.expunge_all();
        Pessoa* third = db.template get<Pessoa>(1001);
        CHECK(third != again);
        CHECK(third->idade == 31);
        Pessoa& added = db.add(Pessoa{.nome = "Inside"});
        db.flush();
        sp.rollback();
        CHECK(third->idade == 30);  // read again as the savepoint found the row
        CHECK(db.template get<Pessoa>(added.id) == nullptr);
        CHECK(db.template get<Pessoa>(1001) == third);
        db.commit();
        CHECK(f.file.count("SELECT count(*) FROM pessoas") == 2);
        CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = 1001") == 30);
    }
}

TEMPLATE_TEST_CASE("a foreign-key failure names the referencing columns", "[session][errors]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    db.add(Post{.author_id = 42, .slug = "orphan"});
    try {
        db.flush();
        FAIL("the flush should have failed");
    } catch (const sq::integrity_error& e) {
        std::string message = e.what();
        if constexpr (TestType::is_sqlite) {
            CHECK_THAT(message, Catch::Contains("FOREIGN KEY constraint failed"));
        } else {
            CHECK_THAT(message, Catch::Contains("violates foreign key constraint \"post_author_id_fkey\""));
            CHECK_THAT(message, Catch::Contains("(SQLSTATE 23503)"));
        }
        CHECK_THAT(message, Catch::Contains("\"post\".\"author_id\" REFERENCES \"pessoas\" (\"id\")"));
        CHECK_THAT(message, Catch::Contains("INSERT INTO \"post\""));
    }
}

TEMPLATE_TEST_CASE("adding 10,000 objects and committing is one pass", "[session][bulk]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    std::vector<Pessoa*> added;
    for (int i = 0; i < 10000; ++i) added.push_back(&db.add(Pessoa{.nome = "p" + std::to_string(i), .idade = i}));
    db.commit();
    CHECK(f.rows("pessoas") == 10000);
    CHECK(added.front()->id == 1);
    CHECK(added.back()->id == 10000);
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE nome = 'p9999'") == 9999);
}

TEMPLATE_TEST_CASE("one flush of thousands of objects: every row with its key, parents first", "[session][bulk]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    // Children first, referencing parents with keys of their own that are added after them; among
    // the parents, keys given and keys left to the database alternate, then 1,200 generated ones.
    // The given keys are negative: SQLite generates the largest key plus one.
    std::vector<Post*> posts;
    for (int i = 0; i < 2000; ++i) posts.push_back(&db.add(Post{.author_id = -1 - i % 500, .slug = "s" + std::to_string(i)}));
    std::vector<Pessoa*> given, generated;
    for (int i = 0; i < 1500; ++i) {
        if (i % 3 == 1) given.push_back(&db.add(Pessoa{.id = -1 - i / 3, .nome = "given" + std::to_string(i)}));
        else generated.push_back(&db.add(Pessoa{.nome = "generated" + std::to_string(i)}));
    }
    for (int i = 0; i < 1200; ++i) generated.push_back(&db.add(Pessoa{.nome = "more" + std::to_string(i)}));
    db.commit();

    // Generated keys follow the order of add(); every object holds the key of its own row.
    for (std::size_t i = 0; i < generated.size(); ++i) REQUIRE(generated[i]->id == static_cast<std::int64_t>(i + 1));
    auto people = f.file.query("SELECT id, nome FROM pessoas ORDER BY id");
    REQUIRE(people.size() == given.size() + generated.size());
    std::vector<Pessoa*> by_key(given.rbegin(), given.rend());
    by_key.insert(by_key.end(), generated.begin(), generated.end());
    for (std::size_t i = 0; i < people.size(); ++i) {
        REQUIRE(*people[i][0] == std::to_string(by_key[i]->id));
        REQUIRE(*people[i][1] == by_key[i]->nome.value);
    }
    auto rows = f.file.query("SELECT id, author_id, slug FROM post ORDER BY id");
    REQUIRE(rows.size() == posts.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        REQUIRE(posts[i]->id == static_cast<std::int64_t>(i + 1));
        REQUIRE(*rows[i][0] == std::to_string(posts[i]->id));
        REQUIRE(*rows[i][1] == std::to_string(posts[i]->author_id.value));
        REQUIRE(*rows[i][2] == posts[i]->slug.value);
    }
    CHECK(db.template get<Pessoa>(generated.back()->id) == generated.back());
    CHECK(db.template get<Post>(posts[1234]->id) == posts[1234]);
}

TEMPLATE_TEST_CASE("a flush writes new rows as multi-row INSERTs, each object given its own generated key", "[session][bulk]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f({.pool_size = 1});
    std::vector<std::string> inserts;
    f.engine.before_execute([&](const sq::statement_event& e) {
        if (e.sql.starts_with("INSERT")) inserts.emplace_back(e.sql);
    });
    auto db = f.session();
    // 1,000 parameters per statement at most; a Pessoa's key is generated, so 2 columns a row.
    const std::size_t per_statement = 1000 / 2;
    std::vector<Pessoa*> added;
    for (int i = 0; i < 1000 + 7; ++i)
        added.push_back(&db.add(Pessoa{.nome = "p" + std::to_string(i), .idade = i % 3 ? std::optional<int>(i) : std::nullopt}));
    Pessoa& explicit_key = db.add(Pessoa{.id = 1000000, .nome = "explicit", .idade = 1});
    db.commit();
    // ceil(1007 / 500) statements for the generated keys, one for the explicit key.
    REQUIRE(inserts.size() == (1007 + per_statement - 1) / per_statement + 1);
    CHECK(inserts[0].find("VALUES (" + TestType::placeholder(1) + ", " + TestType::placeholder(2) + "), (") != std::string::npos);
    // Each object holds the key of the row with its own values.
    auto rows = f.file.query("SELECT id, nome, idade FROM pessoas");
    REQUIRE(rows.size() == added.size() + 1);
    std::map<std::string, std::vector<std::optional<std::string>>> by_name;
    for (auto& row : rows) by_name[*row[1]] = row;
    std::set<std::int64_t> keys;
    for (Pessoa* p : added) {
        auto& row = by_name.at(p->nome.value);
        CHECK(*row[0] == std::to_string(p->id));
        CHECK(row[2] == (p->idade ? std::optional<std::string>(std::to_string(*p->idade)) : std::nullopt));
        keys.insert(p->id);
    }
    CHECK(keys.size() == added.size());
    CHECK(*by_name.at("explicit")[0] == "1000000");
    CHECK(explicit_key.id == 1000000);
    // The identity map knows them by their keys.
    CHECK(db.template get<Pessoa>(added[777]->id) == added[777]);
    CHECK(db.template get<Pessoa>(std::int64_t{1000000}) == &explicit_key);
}

TEMPLATE_TEST_CASE("a unique violation in the middle of a bulk flush fails it and leaves no row behind", "[session][bulk][errors]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f({.pool_size = 1});
    {
        auto db = f.session();
        db.add(Pessoa{.id = 1, .nome = "Ana"});
        db.add(Post{.author_id = 1, .slug = "taken"});
        db.commit();
    }
    // The duplicate first, in the middle, and late (in the first, second and last multi-row INSERT).
    for (int duplicate : {0, 700, 1700}) {
        auto db = f.session();
        std::vector<Post*> posts;
        for (int i = 0; i < 2000; ++i)
            posts.push_back(&db.add(Post{.author_id = 1, .slug = i == duplicate ? "taken" : "p" + std::to_string(i)}));
        db.add(Comment{.post_id = 1, .text = "never written: its depth comes after the failure"});
        try {
            db.commit();
            FAIL("the duplicate slug should fail the flush");
        } catch (const sq::integrity_error& e) {
            std::string message = e.what();
            if constexpr (TestType::is_sqlite) CHECK_THAT(message, Catch::Contains("UNIQUE constraint failed: post.slug"));
            else CHECK_THAT(message, Catch::Contains("(SQLSTATE 23505)"));
            CHECK_THAT(message, Catch::Contains("INSERT INTO \"post\""));
        }
        CHECK_THROWS_AS(db.template query<Post>().count(), sq::pending_rollback_error);
        db.rollback();
        CHECK(f.rows("post") == 1);
        CHECK(f.rows("comment") == 0);
        CHECK(db.template query<Post>().count() == 1);
        // The session and its one connection go on.
        Post& next = db.add(Post{.author_id = 1, .slug = "after" + std::to_string(duplicate)});
        db.commit();
        CHECK(f.file.count("SELECT count(*) FROM post WHERE slug = 'after" + std::to_string(duplicate) + "' AND id = " +
                           std::to_string(next.id)) == 1);
        db.remove(next);
        db.commit();
    }
    CHECK(f.engine.statistics().connections_opened.load() == 1);
}

// one() returns the tracked object itself (the API contract: T&), get() and first() pointers
// and all() a vector of them. `auto m = q.one();` copies: README, "Handles to tracked objects".
static_assert(std::is_same_v<decltype(std::declval<sq::session&>().query<Pessoa>().one()), Pessoa&>);
static_assert(std::is_same_v<decltype(std::declval<sq::session&>().get<Pessoa>(1)), Pessoa*>);
static_assert(std::is_same_v<decltype(std::declval<sq::session&>().query<Pessoa>().first()), Pessoa*>);
static_assert(std::is_same_v<decltype(std::declval<sq::session&>().query<Pessoa>().all()), std::vector<Pessoa*>>);

TEMPLATE_TEST_CASE("one() returns the tracked object: a change through the reference is written, one through a copy is not", "[session][one]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
    db.commit();
    auto q = db.template query<Pessoa>().filter(sq::col<&Pessoa::nome> == "Ana");
    auto& same = q.one();
    CHECK(&same == &ana);
    same.idade = 31;
    db.commit();
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = " + std::to_string(ana.id.value)) == 31);
    q.one().idade = 32;
    db.commit();
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = " + std::to_string(ana.id.value)) == 32);
    auto copy = q.one();  // a copy: not tracked, its change is never written
    copy.idade = 99;
    db.commit();
    CHECK(f.file.count("SELECT idade FROM pessoas WHERE id = " + std::to_string(ana.id.value)) == 32);
}

TEMPLATE_TEST_CASE("a child added with the generated key of a parent not yet inserted: invalid_request_error naming both", "[session][foreign_key]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    Pessoa& ana = db.add(Pessoa{.nome = "Ana"});
    db.add(Post{.author_id = ana.id.value, .slug = "too-early"});  // ana.id is still 0
    try {
        db.flush();
        FAIL("the flush wrote a child whose foreign key is 0");
    } catch (const sq::invalid_request_error& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(R"("post"."author_id" is 0)"));
        CHECK_THAT(message, Catch::Contains("a Post being inserted"));
        CHECK_THAT(message, Catch::Contains(R"(a parent in "pessoas" (model Pessoa))"));
        CHECK_THAT(message, Catch::Contains("Flush the parent first"));
    }
    db.rollback();
    CHECK(f.rows("pessoas") == 0);  // refused before any row of the flush was written
    CHECK(f.rows("post") == 0);

    // As the message says: flush the parent, then take its key.
    Pessoa& bia = db.add(Pessoa{.nome = "Bia"});
    db.flush();
    db.add(Post{.author_id = bia.id.value, .slug = "in-order"});
    db.commit();
    CHECK(f.file.count("SELECT count(*) FROM post WHERE author_id = " + std::to_string(bia.id.value)) == 1);
}

// A request handler takes the SQLite sessionmaker by its type's name.
static int handle_request(sq::sessionmaker_type& SessionLocal, const std::string& nome) {
    sq::session db = SessionLocal();
    db.add(Pessoa{.nome = nome});
    db.commit();
    return static_cast<int>(db.query<Pessoa>().count());
}
static_assert(std::is_same_v<sq::sessionmaker_type, decltype(sq::sessionmaker(std::declval<sq::engine>()))>);

TEST_CASE("sq::sessionmaker_type names what sq::sessionmaker(engine) returns, for handler parameters", "[session][sessionmaker]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("handler.db"));
    schema::create_all(engine);
    sq::sessionmaker_type SessionLocal = sq::sessionmaker(engine, {.autocommit = false, .autoflush = false});
    CHECK(handle_request(SessionLocal, "Ana") == 1);
    CHECK(handle_request(SessionLocal, "Bia") == 2);
    structql_test::sqlite_file file(dir.path() / "handler.db");
    CHECK(file.count("SELECT count(*) FROM pessoas") == 2);
}

// PostgreSQL batches them (a round trip saved per row); SQLite steps its one-row UPDATE, cheaper
// there than a multi-row one (sqlite_dialect::multi_row_update).
TEMPLATE_TEST_CASE("objects changing the same columns are written in multi-row UPDATEs where the dialect batches them", "[session][bulk]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f({.pool_size = 1});
    std::vector<std::string> updates;
    f.engine.before_execute([&](const sq::statement_event& e) {
        if (e.sql.starts_with("UPDATE")) updates.emplace_back(e.sql);
    });
    auto db = f.session();
    std::vector<Pessoa*> people;
    for (int i = 0; i < 1210; ++i) people.push_back(&db.add(Pessoa{.nome = "p" + std::to_string(i), .idade = i}));
    db.commit();
    std::int64_t moved_from = people[1208]->id;
    auto change = [&](int round) {
        for (int i = 0; i < 1200; ++i) {  // nome and idade: the key and 2 columns a row, 333 rows a statement
            people[i]->nome = "r" + std::to_string(round) + "-" + std::to_string(i);
            people[i]->idade = (i + round) % 5 == 0 ? std::nullopt : std::optional<int>(i * round + round);
        }
        for (int i = 1200; i < 1207; ++i) people[i]->idade = -i * round;  // idade only: one 7-row UPDATE
        people[1207]->nome = "alone" + std::to_string(round);             // the only one of its set: row by row
        people[1208]->id = std::int64_t{people[1208]->id} + 10000;        // a changed key: row by row
        db.commit();
    };
    change(1);
    const std::size_t per_statement = TestType::is_sqlite ? 1 : 1000 / 3;
    const std::size_t statements = (1200 + per_statement - 1) / per_statement + (TestType::is_sqlite ? 7 : 1) + 1 + 1;
    REQUIRE(updates.size() == statements);
    std::size_t multi_row = 0;
    for (const std::string& sql : updates) multi_row += sql.find(" FROM (VALUES (") != std::string::npos ? 1 : 0;
    CHECK(multi_row == (TestType::is_sqlite ? 0 : 5));
    if constexpr (!TestType::is_sqlite) {
        const std::string both =
            "UPDATE \"pessoas\" SET \"nome\" = \"structql_rows\".\"column2\", \"idade\" = \"structql_rows\".\"column3\" "
            "FROM (VALUES (CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS BIGINT)), (";
        CHECK(std::count_if(updates.begin(), updates.end(), [&](const std::string& sql) {
                  return sql.starts_with(both) && sql.ends_with(") AS \"structql_rows\" WHERE \"pessoas\".\"id\" = \"structql_rows\".\"column1\"");
              }) == 4);
    }

    // Every row holds its own object's values, read through another connection.
    auto check_rows = [&] {
        auto rows = f.file.query("SELECT id, nome, idade FROM pessoas");
        REQUIRE(rows.size() == people.size());
        std::map<std::string, std::vector<std::optional<std::string>>> by_id;
        for (auto& row : rows) by_id[*row[0]] = row;
        for (Pessoa* p : people) {
            auto& row = by_id.at(std::to_string(p->id));
            CHECK(*row[1] == p->nome.value);
            CHECK(row[2] == (p->idade ? std::optional<std::string>(std::to_string(*p->idade)) : std::nullopt));
        }
    };
    check_rows();
    CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE id = " + std::to_string(moved_from)) == 0);

    // The same changes again: every statement prepared already.
    auto prepared = f.engine.statistics().statements_prepared.load();
    updates.clear();
    change(2);
    CHECK(updates.size() == statements);
    CHECK(f.engine.statistics().statements_prepared.load() == prepared);
    check_rows();
}

TEMPLATE_TEST_CASE("an UPDATE of many objects that misses a row names the row's key", "[session][bulk][errors]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto db = f.session();
    std::vector<Pessoa*> people;
    for (int i = 0; i < 10; ++i) people.push_back(&db.add(Pessoa{.nome = "p" + std::to_string(i), .idade = i}));
    db.commit();
    const std::string gone = std::to_string(people[6]->id);
    f.file.exec("DELETE FROM pessoas WHERE id = " + gone);
    for (Pessoa* p : people) p->nome.value += " (renamed)";
    try {
        db.commit();
        FAIL("the missing row should fail the flush");
    } catch (const sq::stale_data_error& e) {
        std::string message = e.what();
        CHECK_THAT(message, Catch::Contains("\"pessoas\" row with id = " + gone + " matched no row"));
        if constexpr (!TestType::is_sqlite) CHECK_THAT(message, Catch::Contains("FROM (VALUES"));
    }
    db.rollback();
    // Nothing of the failed flush reached the database; the objects are as committed.
    CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE nome LIKE '%renamed%'") == 0);
    CHECK(f.rows("pessoas") == 9);
    CHECK(people[0]->nome.value == "p0");
}

TEST_CASE("SQLite: generated keys of a multi-row INSERT without RETURNING, and with it for a table with triggers", "[session][bulk][sqlite-only]") {
    fixture<sqlite> f({.pool_size = 1});
    std::vector<std::string> inserts;
    f.engine.before_execute([&](const sq::statement_event& e) {
        if (e.sql.starts_with("INSERT INTO \"pessoas\"")) inserts.emplace_back(e.sql);
    });
    auto add_and_check = [&](const std::string& prefix) {
        auto db = f.session();
        std::vector<Pessoa*> added;
        for (int i = 0; i < 20; ++i) added.push_back(&db.add(Pessoa{.nome = prefix + std::to_string(i)}));
        db.commit();
        for (Pessoa* p : added)
            CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE id = " + std::to_string(p->id) + " AND nome = '" +
                               p->nome.value + "'") == 1);
    };
    // No trigger: the keys are the rowids up to the last insert rowid.
    add_and_check("plain");
    REQUIRE(inserts.size() == 1);
    CHECK(inserts[0].find("RETURNING") == std::string::npos);
    // A trigger writing elsewhere: RETURNING, and still each object's own key.
    f.file.exec("CREATE TABLE audit (nome TEXT)");
    f.file.exec("CREATE TRIGGER audited AFTER INSERT ON pessoas BEGIN INSERT INTO audit VALUES (NEW.nome); END");
    inserts.clear();
    add_and_check("audited");
    REQUIRE(inserts.size() == 1);
    CHECK(inserts[0].find("RETURNING \"id\"") != std::string::npos);
    CHECK(f.rows("audit") == 20);
    // A key at the largest integer: SQLite picks the next rowids at random, which a session
    // cannot match to its objects.
    f.file.exec("DROP TRIGGER audited");
    {
        auto db = f.session();
        db.add(Pessoa{.id = std::numeric_limits<std::int64_t>::max(), .nome = "last"});
        db.commit();
        for (int i = 0; i < 3; ++i) db.add(Pessoa{.nome = "random" + std::to_string(i)});
        CHECK_THROWS_WITH(db.commit(), Catch::Contains("not consecutive"));
        db.rollback();
    }
    CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE nome LIKE 'random%'") == 0);
}

TEST_CASE("SQLite: a trigger created on the session's own connection after a first batch, in main or temp, is seen by the next batch", "[session][bulk][sqlite-only]") {
    // One connection, so that each batch runs where the trigger was created and where the
    // first batch cached that pessoas had none. (A trigger inserting into pessoas itself makes
    // the keys of one INSERT not consecutive, which the session refuses with RETURNING too.)
    fixture<sqlite> f({.pool_size = 1, .max_overflow = 0});
    std::vector<std::string> inserts;
    f.engine.before_execute([&](const sq::statement_event& e) {
        if (e.sql.starts_with("INSERT INTO \"pessoas\"")) inserts.emplace_back(e.sql);
    });
    auto add_and_check = [&](const std::string& prefix) {
        inserts.clear();
        auto db = f.session();
        std::vector<Pessoa*> added;
        for (int i = 0; i < 20; ++i) added.push_back(&db.add(Pessoa{.nome = prefix + std::to_string(i)}));
        db.commit();
        for (Pessoa* p : added)
            CHECK(f.file.count("SELECT count(*) FROM pessoas WHERE id = " + std::to_string(p->id) + " AND nome = '" +
                               p->nome.value + "'") == 1);
        REQUIRE(inserts.size() == 1);
        return inserts[0].find("RETURNING \"id\"") != std::string::npos;
    };
    auto run = [&](const std::string& sql) {
        auto c = f.engine.connect();
        c.execute(sql);
    };
    run("CREATE TABLE audit (nome TEXT)");
    CHECK_FALSE(add_and_check("first"));
    // A trigger created after that batch, on the same connection (a TEMP one can only be):
    // the next batch must see it and take its keys from RETURNING.
    for (const std::string kind : {"TEMP", "main"}) {
        run("CREATE " + std::string(kind == "TEMP" ? "TEMP " : "") +
            "TRIGGER audited AFTER INSERT ON pessoas BEGIN INSERT INTO audit VALUES (NEW.nome); END");
        CHECK(add_and_check(kind));
        CHECK(f.file.count("SELECT count(*) FROM audit WHERE nome LIKE '" + kind + "%'") == 20);
        run("DROP TRIGGER audited");
        CHECK_FALSE(add_and_check("after " + kind));
    }
    CHECK(f.rows("pessoas") == 20 * 5);
    CHECK(f.rows("audit") == 20 * 2);
}
