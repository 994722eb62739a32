// Autoflush: what a query or a get() writes first, on SQLite and PostgreSQL. Checked in the
// database through the driver (sqlite3 / libpq).
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include <structql/structql.hpp>

#include "backends.hpp"

namespace autoflush_test {
namespace sq = structql;
using structql_test::postgresql;
using structql_test::sqlite;

struct Author {
    std::int64_t id;
    std::string name;
};
struct Book {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;
    std::string title;
};

template <class Database>
struct fixture {
    Database db;
    typename Database::engine_type engine = db.make_engine();
    typename Database::probe_type file = (sq::metadata<Author, Book>::create_all(engine), db.probe());
};
}  // namespace autoflush_test

using namespace autoflush_test;

TEMPLATE_TEST_CASE("a query flushes the changed objects of the models it reads, subqueries included",
                   "[session][autoflush]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec("INSERT INTO author VALUES (1, 'Ana'), (2, 'Bia'); INSERT INTO book VALUES (1, 1, 'A'), (2, 2, 'B')");
    typename TestType::session_type db(f.engine);
    Author* ana = db.template get<Author>(1);
    Book* b = db.template get<Book>(2);
    ana->name = "Ana Maria";
    CHECK(db.template query<Author>().filter(sq::col<&Author::name> == "Ana Maria").count() == 1);
    b->author_id = 1;
    auto with_books = db.template query<Author>().filter(sq::col<&Author::id>.in(
        db.template query<Book>().filter(sq::col<&Book::title> == "B").select(sq::col<&Book::author_id>)));
    REQUIRE(with_books.count() == 1);
    CHECK(with_books.one().name == "Ana Maria");
    db.commit();
    CHECK(f.file.count("SELECT author_id FROM book WHERE id = 2") == 1);
}

TEMPLATE_TEST_CASE("a get() miss writes pending inserts and deletes but compares no tracked object",
                   "[session][autoflush]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.file.exec("INSERT INTO author VALUES (1, 'Ana'), (2, 'Bia'), (3, 'Caio')");
    typename TestType::session_type db(f.engine);
    Author* ana = db.template get<Author>(1);
    ana->name = "changed";
    db.add(Author{.id = 10, .name = "New"});
    std::vector<std::string> statements;
    f.engine.before_execute([&](const sq::statement_event& e) { statements.emplace_back(e.sql); });
    CHECK(db.template get<Author>(10) != nullptr);  // the pending insert was flushed, then found in the map
    REQUIRE(db.template get<Author>(2) != nullptr);
    for (auto& s : statements) CHECK_FALSE(s.starts_with("UPDATE"));
    CHECK(f.file.count("SELECT count(*) FROM author WHERE name = 'changed'") == 0);
    db.commit();
    CHECK(f.file.count("SELECT count(*) FROM author WHERE name = 'changed'") == 1);
}
