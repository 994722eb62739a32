// Autoflush: what a query or a get() writes first. Checked in the file through sqlite3.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include <structql/structql.hpp>

#include "support.hpp"

namespace autoflush_test {
namespace sq = structql;

struct Author {
    std::int64_t id;
    std::string name;
};
struct Book {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;
    std::string title;
};

struct fixture {
    structql_test::temp_dir dir;
    sq::engine engine = sq::create_engine(dir.url("a.db"));
    structql_test::sqlite_file file = (sq::metadata<Author, Book>::create_all(engine),
                                       structql_test::sqlite_file(dir.path() / "a.db"));
};
}  // namespace autoflush_test

using namespace autoflush_test;

TEST_CASE("a query flushes the changed objects of the models it reads, subqueries included", "[session][autoflush]") {
    fixture f;
    f.file.exec("INSERT INTO author VALUES (1, 'Ana'), (2, 'Bia'); INSERT INTO book VALUES (1, 1, 'A'), (2, 2, 'B')");
    sq::session db(f.engine);
    Author* ana = db.get<Author>(1);
    Book* b = db.get<Book>(2);
    ana->name = "Ana Maria";
    CHECK(db.query<Author>().filter(sq::col<&Author::name> == "Ana Maria").count() == 1);
    b->author_id = 1;
    auto with_books = db.query<Author>().filter(sq::col<&Author::id>.in(
        db.query<Book>().filter(sq::col<&Book::title> == "B").select(sq::col<&Book::author_id>)));
    REQUIRE(with_books.count() == 1);
    CHECK(with_books.one().name == "Ana Maria");
    db.commit();
    CHECK(f.file.count("SELECT author_id FROM book WHERE id = 2") == 1);
}

TEST_CASE("a get() miss writes pending inserts and deletes but compares no tracked object", "[session][autoflush]") {
    fixture f;
    f.file.exec("INSERT INTO author VALUES (1, 'Ana'), (2, 'Bia'), (3, 'Caio')");
    sq::session db(f.engine);
    Author* ana = db.get<Author>(1);
    ana->name = "changed";
    db.add(Author{.id = 10, .name = "New"});
    std::vector<std::string> statements;
    f.engine.before_execute([&](const sq::statement_event& e) { statements.emplace_back(e.sql); });
    CHECK(db.get<Author>(10) != nullptr);   // the pending insert was flushed, then found in the map
    REQUIRE(db.get<Author>(2) != nullptr);
    for (auto& s : statements) CHECK_FALSE(s.starts_with("UPDATE"));
    CHECK(f.file.count("SELECT count(*) FROM author WHERE name = 'changed'") == 0);
    db.commit();
    CHECK(f.file.count("SELECT count(*) FROM author WHERE name = 'changed'") == 1);
}
