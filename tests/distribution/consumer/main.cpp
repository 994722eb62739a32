// A program that uses StructQL the way a user's project does, from outside this repository:
// built against an installed package (find_package), a vcpkg-style install, a FetchContent
// checkout, or single_include/structql.hpp alone (-DSTRUCTQL_TEST_SINGLE_HEADER). It writes a
// SQLite file through StructQL, reads it back through StructQL and through the sqlite3 C API,
// and exits non-zero, saying why, when anything is not as expected.
#ifdef STRUCTQL_TEST_SINGLE_HEADER
#include "structql.hpp"
#else
#include <structql/structql.hpp>
#endif

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace sq = structql;

struct Author {
    sq::primary_key<std::int64_t> id;
    sq::unique<std::string> name;
};
struct Book {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;
    sq::indexed<std::string> title;
    std::optional<int> year;
    static constexpr std::string_view table_name = "books";
};

static_assert(sq::sql::create_table<Author>.starts_with(R"(CREATE TABLE IF NOT EXISTS "author")"));
static_assert(sq::sql::insert<Book>.starts_with(R"(INSERT INTO "books")"));

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

// An independent look at the file, through the sqlite3 C API.
std::int64_t count_rows(const std::filesystem::path& file, const char* sql) {
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

void run(const std::filesystem::path& file) {
    const std::string url = "sqlite:///" + file.string();
    std::int64_t author_id = 0;
    {
        auto engine = sq::create_engine(url);
        engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
        sq::metadata<Book, Author>::create_all(engine);  // parents first, whatever the order
        auto make = sq::sessionmaker(engine);
        sq::session db = make();
        Author& ada = db.add(Author{.name = "Ada"});
        db.commit();
        check(ada.id != 0, "the committed author has a generated id");
        author_id = ada.id;
        db.add(Book{.author_id = ada.id, .title = "Notes", .year = 1843});
        db.add(Book{.author_id = ada.id, .title = "Letters"});
        db.commit();

        bool refused = false;
        try {
            db.add(Book{.author_id = ada.id + 1000, .title = "Orphan"});
            db.commit();
        } catch (const sq::integrity_error&) {
            refused = true;
            db.rollback();
        }
        check(refused, "PRAGMA foreign_keys=ON from on_connect: an orphan book is an integrity_error");
    }
    {
        auto engine = sq::create_engine(url);  // a new engine: everything comes from the file
        sq::session db = sq::sessionmaker(engine)();
        Book& notes = db.query<Book>().filter(sq::col<&Book::title> == "Notes").one();
        check(notes.author_id == author_id, "the book refers to its author");
        check(notes.year == 1843, "the book's year was stored");
        check(db.query<Book>().filter(sq::col<&Book::year>.is_null()).count() == 1,
              "one book without a year");
        Author* ada = db.get<Author>(author_id);
        check(ada != nullptr && ada->name == "Ada", "get<Author>(id) reads the author back");
    }
    check(count_rows(file, "SELECT count(*) FROM books") == 2, "the file holds two books");
    check(count_rows(file, "SELECT count(*) FROM sqlite_master WHERE name = 'ix_books_title'") == 1,
          "the file holds the title index");
}

}  // namespace

int main() {
    const auto file = std::filesystem::temp_directory_path() /
                      ("structql-consumer-" + std::to_string(std::random_device{}()) + ".db");
    std::filesystem::remove(file);
    try {
        run(file);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "FAILED: exception: %s\n", e.what());
        ++failures;
    }
    std::filesystem::remove(file);
    if (failures != 0)
        return 1;
    std::printf("structql %s: ok\n", STRUCTQL_VERSION_STRING);
    return 0;
}
