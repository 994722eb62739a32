// Schema migrations (<structql/migrate.hpp>) on both backends: every change kind (table_args'
// indexes, checks and server defaults too) with rows in the tables, checked through an
// independent connection (sqlite3 / libpq) before and after; a refused or failing migration
// leaves the database exactly as it was (schema and rows dumped and compared); numbered
// migrations run once each, also with two migrators at once (threads with engines of their own,
// and processes).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <structql/migrate.hpp>

#include "backends.hpp"

namespace sq = structql;
using namespace structql_test;

namespace migrate_v1 {
struct Author {
    std::int64_t id;
    std::string name;
    std::optional<std::string> email;
    static constexpr std::string_view table_name = "author";
};
struct Book {
    std::int64_t id;
    std::int64_t author_id;
    std::string title;
    std::optional<std::string> pages;
    std::optional<std::int64_t> rating;
    std::string legacy;
    static constexpr std::string_view table_name = "book";
};
using models = sq::metadata<Author, Book>;
}  // namespace migrate_v1

namespace migrate_v2 {
struct Author {
    std::int64_t id;
    std::string full_name;                        // renamed from name
    sq::unique<std::optional<std::string>> email;  // UNIQUE added
    std::int64_t age;                             // added, NOT NULL: filled
    sq::indexed<std::optional<std::string>> city;  // added, nullable, with an index
    static constexpr std::string_view table_name = "author";
};
struct Book {
    std::int64_t id;
    sq::foreign_key<&Author::id> author_id;         // foreign key added
    std::string title;
    std::optional<std::int64_t> pages;              // TEXT -> INTEGER
    std::int64_t rating;                            // NULL -> NOT NULL, NULLs filled
    sq::foreign_key<&Author::id> editor_id;         // added, NOT NULL foreign key: filled
    // legacy: dropped
    static constexpr std::string_view table_name = "book";
};
struct Tag {
    std::int64_t id;
    std::string label;
    static constexpr std::string_view table_name = "tag";
};
using models = sq::metadata<Author, Book, Tag>;

sq::migration_options forward(std::int64_t editor = 1) {
    return {.drop = true,
            .renames = {sq::renamed_from<&Author::full_name>("name")},
            .fills = {sq::fill_with<&Author::age>(42), sq::fill_with<&Book::rating>(3),
                      sq::fill_with<&Book::editor_id>(editor)}};
}
}  // namespace migrate_v2

namespace {

// The whole database as text: every table's columns, constraints, indexes and rows.
std::string dump(sqlite_file& probe) {
    std::string out;
    for (auto& row : probe.query("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY name"))
        out += *row[0] + "\n";
    for (auto& table : probe.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        for (auto& row : probe.query("SELECT * FROM \"" + *table[0] + "\" ORDER BY 1")) {
            out += *table[0] + ":";
            for (auto& cell : row) out += " " + cell.value_or("NULL");
            out += "\n";
        }
    return out;
}
std::string dump(pg_probe& probe) {
    std::string out;
    for (auto& row : probe.query("SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable FROM "
                                 "information_schema.columns WHERE table_schema = current_schema() "
                                 "ORDER BY table_name, ordinal_position"))
        out += *row[0] + "\n";
    for (auto& row : probe.query("SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) "
                                 "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                                 "WHERE n.nspname = current_schema() ORDER BY 1"))
        out += *row[0] + "\n";
    for (auto& row : probe.query("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1"))
        out += *row[0] + "\n";
    for (auto& table : probe.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                                   "ORDER BY 1"))
        for (auto& row : probe.query("SELECT * FROM \"" + *table[0] + "\" ORDER BY 1")) {
            out += *table[0] + ":";
            for (auto& cell : row) out += " " + cell.value_or("NULL");
            out += "\n";
        }
    return out;
}

// A column as the database describes it: "TYPE NULL" / "TYPE NOT NULL", empty when absent.
std::string column_of(sqlite_file& probe, const std::string& table, const std::string& column) {
    auto rows = probe.query("SELECT upper(type) || CASE WHEN \"notnull\" THEN ' NOT NULL' ELSE ' NULL' END FROM "
                            "pragma_table_info('" + table + "') WHERE name = '" + column + "'");
    return rows.empty() ? "" : *rows[0][0];
}
std::string column_of(pg_probe& probe, const std::string& table, const std::string& column) {
    auto rows = probe.query("SELECT upper(data_type) || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE ' NULL' END "
                            "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '" +
                            table + "' AND column_name = '" + column + "'");
    return rows.empty() ? "" : *rows[0][0];
}

std::string text_of(const text_rows& rows) {
    std::string out;
    for (auto& row : rows) {
        for (auto& cell : row) out += cell.value_or("NULL") + "|";
        out += "\n";
    }
    return out;
}

template <class Database>
void fill_v1(Database& db, typename Database::engine_type& engine) {
    sq::metadata<migrate_v1::Author, migrate_v1::Book>::create_all(engine);
    auto probe = db.probe();
    probe.exec("INSERT INTO author (id, name, email) VALUES (1, 'Ana', 'ana@x'), (2, 'Bob', NULL)");
    probe.exec("INSERT INTO book (id, author_id, title, pages, rating, legacy) VALUES "
               "(10, 1, 'First', '120', 5, 'a'), (11, 2, 'Second', NULL, NULL, 'b'), (12, 1, 'Third', '80', NULL, 'c')");
}

}  // namespace

TEMPLATE_TEST_CASE("migrate makes every change kind and keeps every row", "[migrate]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    TestType::enforce_foreign_keys(engine);
    fill_v1(db, engine);
    auto probe = db.probe();
    const std::string integer = TestType::is_sqlite ? "INTEGER" : "BIGINT";

    // Forward: a table added, a column renamed / added (filled, nullable, indexed) / dropped /
    // retyped / made NOT NULL (filled), UNIQUE and foreign keys added.
    auto plan = sq::plan_migration<migrate_v2::models>(engine, migrate_v2::forward());
    std::string text = plan.sql();
    INFO(text);
    for (const char* expected :
         {"table_added tag", "column_renamed author.full_name: name -> full_name", "column_added author.age",
          "unique_added author.email", "index_added author.ix_author_city", "foreign_key_added book.author_id",
          "column_type_changed book.pages", "column_nullability_changed book.rating: NULL -> NOT NULL",
          "column_dropped book.legacy", "foreign_key_added book.editor_id", "values: 42"})
        CHECK(text.find(expected) != std::string::npos);
    // SQLite rebuilds the tables it cannot ALTER; PostgreSQL alters them in place.
    CHECK(text.find(TestType::is_sqlite ? "ALTER TABLE \"_structql_new_book\" RENAME TO \"book\""
                                        : "ALTER TABLE \"book\" ALTER COLUMN \"pages\" TYPE BIGINT") != std::string::npos);
    // Planning changed nothing.
    CHECK(column_of(probe, "author", "age").empty());
    CHECK(column_of(probe, "book", "pages") == "TEXT NULL");
    CHECK(text_of(probe.query("SELECT id, author_id, title, pages, rating, legacy FROM book ORDER BY id")) ==
          "10|1|First|120|5|a|\n11|2|Second|NULL|NULL|b|\n12|1|Third|80|NULL|c|\n");
    plan.apply(engine);

    CHECK(column_of(probe, "author", "full_name") == "TEXT NOT NULL");
    CHECK(column_of(probe, "author", "name").empty());
    CHECK(column_of(probe, "author", "age") == integer + " NOT NULL");
    CHECK(column_of(probe, "book", "pages") == integer + " NULL");
    CHECK(column_of(probe, "book", "rating") == integer + " NOT NULL");
    CHECK(column_of(probe, "book", "legacy").empty());
    CHECK(probe.count("SELECT count(*) FROM tag") == 0);
    CHECK(text_of(probe.query("SELECT id, full_name, email, age, city FROM author ORDER BY id")) ==
          "1|Ana|ana@x|42|NULL|\n2|Bob|NULL|42|NULL|\n");
    CHECK(text_of(probe.query("SELECT id, author_id, title, pages, rating, editor_id FROM book ORDER BY id")) ==
          "10|1|First|120|5|1|\n11|2|Second|NULL|3|1|\n12|1|Third|80|3|1|\n");
    if constexpr (TestType::is_sqlite) CHECK(probe.count("SELECT count(*) FROM book WHERE typeof(pages) = 'integer'") == 2);
    // The constraints hold: a duplicate email, an orphan book, a NULL rating are refused.
    CHECK_THROWS(probe.exec("INSERT INTO author (id, full_name, email, age) VALUES (3, 'Eve', 'ana@x', 1)"));
    if constexpr (TestType::is_sqlite) probe.exec("PRAGMA foreign_keys=ON");
    CHECK_THROWS(probe.exec("INSERT INTO book (id, author_id, title, rating, editor_id) VALUES (13, 99, 'x', 1, 1)"));
    CHECK_THROWS(probe.exec("INSERT INTO book (id, author_id, title, rating, editor_id) VALUES (13, 1, 'x', NULL, 1)"));
    // The models read their rows back, and the database now matches them.
    {
        auto c = engine.connect();
        auto book = c.template get<migrate_v2::Book>(std::int64_t{11});
        REQUIRE(book);
        CHECK(book->rating == 3);
        CHECK(!book->pages);
    }
    CHECK(sq::plan_migration<migrate_v2::models>(engine, migrate_v2::forward()).empty());
    CHECK(sq::migrate<migrate_v2::models>(engine, migrate_v2::forward()).empty());

    // Back: a table, UNIQUE, an index, foreign keys and columns dropped (drop is on), a
    // column widened back to TEXT, NOT NULL relaxed, a renamed column and a NOT NULL one filled.
    sq::migration_options back{.drop = true,
                               .renames = {sq::renamed_from<&migrate_v1::Author::name>("full_name")},
                               .fills = {sq::fill_with<&migrate_v1::Book::legacy>("gone")}};
    auto reverse = sq::plan_migration<migrate_v1::models>(engine, back);
    std::string reverse_text = reverse.sql();
    INFO(reverse_text);
    for (const char* expected : {"table_dropped tag", "unique_dropped author.email", "index_dropped author.ix_author_city",
                                 "foreign_key_dropped book.author_id", "column_dropped author.age",
                                 "column_nullability_changed book.rating: NOT NULL -> NULL"})
        CHECK(reverse_text.find(expected) != std::string::npos);
    reverse.apply(engine);
    CHECK(column_of(probe, "author", "name") == "TEXT NOT NULL");
    CHECK(column_of(probe, "book", "pages") == "TEXT NULL");
    CHECK(column_of(probe, "book", "rating") == integer + " NULL");
    CHECK(probe.count("SELECT count(*) FROM " + std::string(TestType::is_sqlite ? "sqlite_master WHERE name = 'tag'"
                                                                               : "information_schema.tables WHERE table_schema = current_schema() AND table_name = 'tag'")) == 0);
    CHECK(text_of(probe.query("SELECT id, name, email FROM author ORDER BY id")) == "1|Ana|ana@x|\n2|Bob|NULL|\n");
    CHECK(text_of(probe.query("SELECT id, author_id, title, pages, rating, legacy FROM book ORDER BY id")) ==
          "10|1|First|120|5|gone|\n11|2|Second|NULL|3|gone|\n12|1|Third|80|3|gone|\n");
    probe.exec("INSERT INTO author (id, name, email) VALUES (3, 'Eve', 'ana@x')");  // no UNIQUE any more
    CHECK(sq::plan_migration<migrate_v1::models>(engine, back).empty());
}

TEMPLATE_TEST_CASE("migrate keeps what no model has unless told to drop it", "[migrate]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    fill_v1(db, engine);
    auto probe = db.probe();
    probe.exec("CREATE TABLE extra (id INTEGER PRIMARY KEY)");
    probe.exec("CREATE INDEX mine ON book (title)");
    probe.exec("CREATE VIEW titles AS SELECT id, title FROM book");
    if constexpr (TestType::is_sqlite)
        probe.exec("CREATE TRIGGER upper_title AFTER INSERT ON book BEGIN UPDATE book SET title = upper(title) WHERE id = NEW.id; END");
    auto plan = sq::migrate<migrate_v2::models>(engine, {.drop = false,
                                                         .renames = {sq::renamed_from<&migrate_v2::Author::full_name>("name")},
                                                         .fills = migrate_v2::forward().fills});
    INFO(plan.sql());
    CHECK(plan.sql().find("-- kept (migration_options::drop is off): column book.legacy") != std::string::npos);
    CHECK(probe.count("SELECT count(*) FROM extra") == 0);  // still there
    CHECK(text_of(probe.query("SELECT id, title FROM titles ORDER BY id")) == "10|First|\n11|Second|\n12|Third|\n");
    if constexpr (TestType::is_sqlite) {  // the rebuilt table's trigger is there again
        probe.exec("INSERT INTO book (id, author_id, title, rating, editor_id, legacy) VALUES (13, 1, 'low', 1, 1, 'd')");
        CHECK(text_of(probe.query("SELECT title FROM book WHERE id = 13")) == "LOW|\n");
    }
    CHECK(text_of(probe.query("SELECT legacy FROM book WHERE id < 13 ORDER BY id")) == "a|\nb|\nc|\n");
    CHECK(probe.count(TestType::is_sqlite ? "SELECT count(*) FROM sqlite_master WHERE name = 'mine'"
                                          : "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'mine'") == 1);
}

TEMPLATE_TEST_CASE("migrate refuses a lossy change and changes nothing", "[migrate]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    TestType::enforce_foreign_keys(engine);
    fill_v1(db, engine);
    auto probe = db.probe();
    const std::string before = dump(probe);
    auto options = migrate_v2::forward();

    // NOT NULL over existing NULLs, without a value for them.
    options.fills = {sq::fill_with<&migrate_v2::Author::age>(1), sq::fill_with<&migrate_v2::Book::editor_id>(1)};
    CHECK_THROWS_WITH(sq::migrate<migrate_v2::models>(engine, options),
                      Catch::Contains("table \"book\" column \"rating\": 2 rows hold NULL"));
    // A new NOT NULL column over existing rows, without a value.
    options.fills = {sq::fill_with<&migrate_v2::Book::rating>(1), sq::fill_with<&migrate_v2::Book::editor_id>(1)};
    CHECK_THROWS_WITH(sq::plan_migration<migrate_v2::models>(engine, options),
                      Catch::Contains("table \"author\" column \"age\": 2 rows exist and the new column is NOT NULL"));
    // Narrowing: a text that is no number.
    options = migrate_v2::forward();
    probe.exec("UPDATE book SET pages = '12 pages' WHERE id = 10");
    const std::string narrowed = dump(probe);
    CHECK_THROWS_AS(sq::migrate<migrate_v2::models>(engine, options), sq::migration_error);
    CHECK_THROWS_WITH(sq::migrate<migrate_v2::models>(engine, options),
                      Catch::Contains("table \"book\" column \"pages\": 1 row holds values that would not survive"));
    CHECK(dump(probe) == narrowed);
    probe.exec("UPDATE book SET pages = '120' WHERE id = 10");
    // UNIQUE over duplicates; a foreign key over orphans.
    probe.exec("UPDATE author SET email = 'ana@x' WHERE id = 2");
    CHECK_THROWS_WITH(sq::migrate<migrate_v2::models>(engine, options),
                      Catch::Contains("table \"author\" column \"email\": 2 rows share their value"));
    probe.exec("UPDATE author SET email = NULL WHERE id = 2");
    probe.exec("UPDATE book SET author_id = 7 WHERE id = 12");
    CHECK_THROWS_WITH(sq::migrate<migrate_v2::models>(engine, options),
                      Catch::Contains("table \"book\" column \"author_id\": 1 row references no row of \"author\""));
    probe.exec("UPDATE book SET author_id = 1 WHERE id = 12");
    CHECK(dump(probe) == before);
}

TEMPLATE_TEST_CASE("a migration failing midway leaves the database exactly as before", "[migrate]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    TestType::enforce_foreign_keys(engine);
    fill_v1(db, engine);
    auto probe = db.probe();
    const std::string before = dump(probe);
    // Every statement runs until the new editor_id, filled with an author that does not exist,
    // breaks its foreign key: SQLite's foreign_key_check before COMMIT, PostgreSQL's UPDATE.
    auto plan = sq::plan_migration<migrate_v2::models>(engine, migrate_v2::forward(999));
    CHECK_THROWS_AS(plan.apply(engine), sq::error);
    CHECK(dump(probe) == before);
    // A plan made before the database changed is not applied.
    auto stale = sq::plan_migration<migrate_v2::models>(engine, migrate_v2::forward());
    probe.exec("ALTER TABLE author ADD COLUMN age BIGINT");
    const std::string changed = dump(probe);
    CHECK_THROWS_WITH(stale.apply(engine), Catch::Contains("changed since the plan was made"));
    CHECK(dump(probe) == changed);
    // A numbered migration whose second statement fails.
    std::vector<sq::basic_migration<typename TestType::backend>> steps{
        {1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY)"},
        {2, "half done", "INSERT INTO people (id) VALUES (1); INSERT INTO no_such_table VALUES (1)"}};
    CHECK_THROWS_WITH(sq::run_migrations(engine, steps), Catch::Contains("migration 2 (\"half done\") failed"));
    CHECK(sq::migration_version(engine) == 1);
    CHECK(probe.count("SELECT count(*) FROM people") == 0);
}

TEMPLATE_TEST_CASE("numbered migrations run once each with two migrators at once", "[migrate]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto make_steps = [] {
        using connection = typename TestType::connection_type;
        return std::vector<sq::basic_migration<typename TestType::backend>>{
            {1, "log table", "CREATE TABLE run_log (step INTEGER NOT NULL)"},
            {2, "sql step", "INSERT INTO run_log (step) VALUES (2)"},
            {3, "function step", [](connection& c) {
                 c.execute("INSERT INTO run_log (step) VALUES (3)");
                 std::this_thread::sleep_for(std::chrono::milliseconds(20));  // widens the race
             }}};
    };
    std::size_t applied[2] = {};
    std::string failures[2];
    {
        std::vector<std::thread> migrators;
        for (int i = 0; i < 2; ++i)
            migrators.emplace_back([&, i] {
                try {
                    auto engine = db.make_engine({.check_same_thread = false});
                    applied[i] = sq::run_migrations(engine, make_steps());
                    sq::migrate<migrate_v1::models>(engine);
                } catch (const std::exception& e) {
                    failures[i] = e.what();
                }
            });
        for (auto& t : migrators) t.join();
    }
    CHECK(failures[0].empty());
    CHECK(failures[1].empty());
    CHECK(applied[0] + applied[1] == 3);
    // Two processes too: between processes, SQLite's lock is the file's. No connection to the
    // database is open in this process while they start (SQLite's own rule for fork()).
    auto more_steps = [&] {
        auto steps = make_steps();
        steps.push_back({4, "fourth", [](typename TestType::connection_type& c) {
                             c.execute("INSERT INTO run_log (step) VALUES (4)");
                             std::this_thread::sleep_for(std::chrono::milliseconds(20));
                         }});
        steps.push_back({5, "fifth", "INSERT INTO run_log (step) VALUES (5)"});
        return steps;
    };
    std::vector<pid_t> children;
    for (int i = 0; i < 2; ++i) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {  // the child: no Catch2, no destructors of the parent's objects
            int code = 100;
            try {
                auto engine = db.make_engine();
                code = static_cast<int>(sq::run_migrations(engine, more_steps()));
            } catch (...) {
            }
            std::_Exit(code);
        }
        children.push_back(pid);
    }
    int ran = 0;
    for (pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        ran += WEXITSTATUS(status);
    }
    CHECK(ran == 2);
    auto probe = db.probe();
    CHECK(text_of(probe.query("SELECT step FROM run_log ORDER BY step")) == "2|\n3|\n4|\n5|\n");
    CHECK(text_of(probe.query("SELECT version, description FROM structql_migrations ORDER BY version")) ==
          "1|log table|\n2|sql step|\n3|function step|\n4|fourth|\n5|fifth|\n");
    CHECK(probe.count("SELECT count(*) FROM book") == 0);
    auto engine = db.make_engine();
    CHECK(sq::run_migrations(engine, more_steps()) == 0);
    CHECK(sq::migration_version(engine) == 5);
    CHECK_THROWS_AS(sq::run_migrations(engine, {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}}), sq::migration_error);
}

TEMPLATE_TEST_CASE("migrate makes a key the database does not number a generated one", "[migrate]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    engine.connect().execute("CREATE TABLE tag (id BIGINT PRIMARY KEY, label TEXT NOT NULL)");
    auto probe = db.probe();
    probe.exec("INSERT INTO tag (id, label) VALUES (5, 'five')");
    using tags = sq::metadata<migrate_v2::Tag>;
    auto plan = sq::migrate<tags>(engine);
    INFO(plan.sql());
    CHECK(plan.sql().find("key_generation_added tag.id") != std::string::npos);
    CHECK(sq::plan_migration<tags>(engine).empty());
    auto c = engine.connect();
    c.insert(std::vector<migrate_v2::Tag>{{.id = 0, .label = "six"}});  // the key left to the database
    CHECK(text_of(probe.query("SELECT id, label FROM tag ORDER BY id")) == "5|five|\n6|six|\n");
}

// --- table_args: composite unique constraints and indexes, checks, server defaults -----------

namespace migrate_args_v1 {
struct Item {
    std::int64_t id;
    std::int64_t shop;
    std::string sku;
    double price;
    std::string status;
    static constexpr std::string_view table_name = "item";
};
using models = sq::metadata<Item>;
}  // namespace migrate_args_v1

namespace migrate_args_v2 {
struct Item {
    std::int64_t id;
    std::int64_t shop;
    std::string sku;
    double price;
    std::string status;
    std::string note;    // added NOT NULL: its server default fills the rows there
    std::int64_t stock;  // added with a check over it: the database checks the rows
    static constexpr std::string_view table_name = "item";
    static constexpr auto table_args = sq::table_args(
        sq::unique_constraint<&Item::shop, &Item::sku>("uq_item_shop_sku"),
        sq::index<&Item::price, &Item::shop>("ix_item_price_shop"),
        sq::check("price >= 0", "ck_item_price"),
        sq::check("stock >= 0", "ck_item_stock"),
        sq::server_default<&Item::status>("'draft'"),
        sq::server_default<&Item::note>("'none'"),
        sq::server_default<&Item::stock>("0"));
};
using models = sq::metadata<Item>;
}  // namespace migrate_args_v2

namespace migrate_args_v3 {
struct Item {
    std::int64_t id;
    std::int64_t shop;
    std::string sku;
    double price;
    std::string status;
    std::string note;
    std::int64_t stock;
    static constexpr std::string_view table_name = "item";
    static constexpr auto table_args = sq::table_args(
        sq::unique_constraint<&Item::shop, &Item::sku>("uq_item_shop_sku"),
        sq::index<&Item::shop, &Item::price>("ix_item_price_shop"),  // the same name over other columns
        sq::check("price < 100", "ck_item_price_below_100"),          // ck_item_price dropped
        sq::check("stock >= 0", "ck_item_stock"),
        sq::server_default<&Item::status>("'open'"),                   // changed; note's dropped
        sq::server_default<&Item::price>("0"),                         // added
        sq::server_default<&Item::stock>("0"));
};
using models = sq::metadata<Item>;
}  // namespace migrate_args_v3

TEMPLATE_TEST_CASE("migrate adds and changes and drops composite unique constraints and indexes and checks and defaults",
                   "[migrate][table_args]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    migrate_args_v1::models::create_all(engine);
    auto probe = db.probe();
    probe.exec("INSERT INTO item (id, shop, sku, price, status) VALUES (1, 1, 'a', 5, 'x'), (2, 1, 'b', 7, 'y'), "
               "(3, 2, 'a', 9, 'z')");
    const std::string rows = "1|1|a|5|x|\n2|1|b|7|y|\n3|2|a|9|z|\n";

    // Refused over rows the new constraints would reject, naming the constraint; nothing changes.
    probe.exec("UPDATE item SET sku = 'a' WHERE id = 2");
    const std::string duplicated = dump(probe);
    CHECK_THROWS_WITH(sq::migrate<migrate_args_v2::models>(engine),
                      Catch::Contains("table \"item\" unique constraint \"uq_item_shop_sku\": 2 rows share their values"));
    CHECK(dump(probe) == duplicated);
    probe.exec("UPDATE item SET sku = 'b', price = -7 WHERE id = 2");
    CHECK_THROWS_WITH(sq::migrate<migrate_args_v2::models>(engine),
                      Catch::Contains("table \"item\" check \"ck_item_price\": 1 row fails price >= 0"));
    probe.exec("UPDATE item SET price = 7 WHERE id = 2");

    // v2: every item added; SQLite rebuilds (a check, a default), PostgreSQL alters in place.
    auto plan = sq::plan_migration<migrate_args_v2::models>(engine);
    std::string text = plan.sql();
    INFO(text);
    for (const char* expected :
         {"index_added item.uq_item_shop_sku:  -> UNIQUE (shop, sku)", "index_added item.ix_item_price_shop:  -> (price, shop)",
          "check_added item.ck_item_price:  -> price >= 0", "column_default_changed item.status:  -> 'draft'",
          "column_added item.note", "CREATE UNIQUE INDEX \"uq_item_shop_sku\" ON \"item\" (\"shop\", \"sku\")"})
        CHECK(text.find(expected) != std::string::npos);
    CHECK(text.find(TestType::is_sqlite ? "RENAME TO \"item\""
                                        : "ALTER TABLE \"item\" ADD CONSTRAINT \"ck_item_price\" CHECK (price >= 0)") !=
          std::string::npos);
    plan.apply(engine);
    CHECK(TestType::indexes(probe, "item") ==
          std::vector<std::string>{"ix_item_price_shop 0 price,shop", "uq_item_shop_sku 1 shop,sku"});
    CHECK(TestType::checks(probe, "item") == std::vector<std::string>{"ck_item_price", "ck_item_stock"});
    CHECK(TestType::server_default(probe, "item", "status") == (TestType::is_sqlite ? "'draft'" : "'draft'::text"));
    CHECK(probe.count("SELECT count(*) FROM item WHERE stock = 0") == 3);
    CHECK_THROWS_WITH(probe.exec("UPDATE item SET stock = -1 WHERE id = 1"), Catch::Contains("ck_item_stock"));
    CHECK(text_of(probe.query("SELECT id, shop, sku, CAST(price AS INTEGER), status, note FROM item ORDER BY id")) ==
          "1|1|a|5|x|none|\n2|1|b|7|y|none|\n3|2|a|9|z|none|\n");
    probe.exec("INSERT INTO item (id, shop, sku, price) VALUES (4, 2, 'b', 1)");
    CHECK(text_of(probe.query("SELECT status, note FROM item WHERE id = 4")) == "draft|none|\n");
    CHECK_THROWS_WITH(probe.exec("INSERT INTO item (id, shop, sku, price) VALUES (5, 2, 'b', 1)"),
                      Catch::Contains(TestType::is_sqlite ? "item.shop, item.sku" : "uq_item_shop_sku"));
    CHECK_THROWS_WITH(probe.exec("INSERT INTO item (id, shop, sku, price) VALUES (5, 3, 'c', -1)"),
                      Catch::Contains("ck_item_price"));
    probe.exec("DELETE FROM item WHERE id = 4");
    // The database now matches: PostgreSQL's 'draft'::text is the model's 'draft'.
    CHECK(sq::plan_migration<migrate_args_v2::models>(engine).empty());

    // v3 with drop off: the index over other columns made again, a check kept, defaults changed.
    auto keep = sq::migrate<migrate_args_v3::models>(engine);
    std::string keep_text = keep.sql();
    INFO(keep_text);
    for (const char* expected :
         {"index_dropped item.ix_item_price_shop", "index_added item.ix_item_price_shop:  -> (shop, price)",
          "check_added item.ck_item_price_below_100", "check_dropped item.ck_item_price",
          "-- kept (migration_options::drop is off): check ck_item_price on item",
          "column_default_changed item.note: 'none'", "column_default_changed item.price:  -> 0"})
        CHECK(keep_text.find(expected) != std::string::npos);
    CHECK(TestType::indexes(probe, "item") ==
          std::vector<std::string>{"ix_item_price_shop 0 shop,price", "uq_item_shop_sku 1 shop,sku"});
    CHECK(TestType::checks(probe, "item") ==
          std::vector<std::string>{"ck_item_price", "ck_item_price_below_100", "ck_item_stock"});
    CHECK(TestType::server_default(probe, "item", "status") == (TestType::is_sqlite ? "'open'" : "'open'::text"));
    CHECK(TestType::server_default(probe, "item", "note").empty());
    CHECK(text_of(probe.query("SELECT id, shop, sku, CAST(price AS INTEGER), status, note FROM item ORDER BY id")) ==
          "1|1|a|5|x|none|\n2|1|b|7|y|none|\n3|2|a|9|z|none|\n");
    probe.exec("INSERT INTO item (id, shop, sku, note) VALUES (4, 3, 'c', 'n')");
    CHECK(text_of(probe.query("SELECT CAST(price AS INTEGER), status FROM item WHERE id = 4")) == "0|open|\n");
    CHECK_THROWS_WITH(probe.exec("INSERT INTO item (id, shop, sku, price, note) VALUES (5, 3, 'd', -1, 'n')"),
                      Catch::Contains("ck_item_price"));  // kept
    probe.exec("DELETE FROM item WHERE id = 4");
    CHECK(sq::plan_migration<migrate_args_v3::models>(engine).kept() == std::vector<std::string>{"check ck_item_price on item"});

    // Back to v1, dropping: no index, check or default is left, and every row is.
    auto back = sq::migrate<migrate_args_v1::models>(engine, {.drop = true, .renames = {}, .fills = {}});
    INFO(back.sql());
    CHECK(TestType::indexes(probe, "item").empty());
    CHECK(TestType::checks(probe, "item").empty());
    CHECK(TestType::server_default(probe, "item", "status").empty());
    CHECK(TestType::server_default(probe, "item", "price").empty());
    CHECK(text_of(probe.query("SELECT id, shop, sku, CAST(price AS INTEGER), status FROM item ORDER BY id")) == rows);
    CHECK(sq::plan_migration<migrate_args_v1::models>(engine).empty());
}

// --- SQLite: a table's unnamed CHECK constraints through a rebuild -------------------------

namespace migrate_unnamed_checks {
struct Gauge {  // made by hand with unnamed checks and a nullable level: NOT NULL needs a rebuild
    std::int64_t id;
    std::int64_t level;
    static constexpr std::string_view table_name = "gauge";
};
using models = sq::metadata<Gauge>;
}  // namespace migrate_unnamed_checks

TEST_CASE("a SQLite rebuild keeps a table's unnamed CHECK constraints, and drops them only when told to", "[migrate]") {
    sqlite db;
    auto engine = db.make_engine();
    engine.connect().execute("CREATE TABLE gauge (id INTEGER PRIMARY KEY, level INTEGER CHECK (level >= 0), CHECK (level < 100))");
    auto probe = db.probe();
    probe.exec("INSERT INTO gauge (id, level) VALUES (1, 5), (2, 50)");
    const std::vector<std::string> kept{"check CHECK (level >= 0) on gauge", "check CHECK (level < 100) on gauge"};

    auto plan = sq::migrate<migrate_unnamed_checks::models>(engine);
    INFO(plan.sql());
    CHECK(column_of(probe, "gauge", "level") == "INTEGER NOT NULL");  // the table was rebuilt
    CHECK(plan.kept() == kept);
    CHECK_THROWS_WITH(probe.exec("INSERT INTO gauge (id, level) VALUES (3, -1)"), Catch::Contains("CHECK constraint failed"));
    CHECK_THROWS_WITH(probe.exec("INSERT INTO gauge (id, level) VALUES (3, 100)"), Catch::Contains("CHECK constraint failed"));
    CHECK(text_of(probe.query("SELECT id, level FROM gauge ORDER BY id")) == "1|5|\n2|50|\n");
    CHECK(sq::plan_migration<migrate_unnamed_checks::models>(engine).kept() == kept);  // still there, still no model's

    auto dropping = sq::migrate<migrate_unnamed_checks::models>(engine, {.drop = true, .renames = {}, .fills = {}});
    INFO(dropping.sql());
    probe.exec("INSERT INTO gauge (id, level) VALUES (3, -1), (4, 100)");
    CHECK(probe.count("SELECT count(*) FROM gauge") == 4);
    CHECK(sq::plan_migration<migrate_unnamed_checks::models>(engine).empty());
}

// --- table_args: partial indexes ----------------------------------------------------------

namespace migrate_args_partial {
struct Item {
    std::int64_t id;
    std::int64_t shop;
    std::string sku;
    double price;
    std::string status;
    static constexpr std::string_view table_name = "item";
    static constexpr auto table_args =
        sq::table_args(sq::unique_constraint<&Item::shop, &Item::sku>("uq_item_live_sku").where("status <> 'gone'"));
};
using models = sq::metadata<Item>;
static_assert(sq::sql::create_indexes<Item>[0] ==
              R"(CREATE UNIQUE INDEX IF NOT EXISTS "uq_item_live_sku" ON "item" ("shop", "sku") WHERE (status <> 'gone'))");
// Unique among some rows only: no ON CONFLICT target.
static_assert(!sq::table<Item>::view.has_unique_index(std::array<std::size_t, 2>{1, 2}));
}  // namespace migrate_args_partial

// A partial index (index<...>(name).where(sql)): created with its WHERE, its uniqueness checked
// over the rows it covers only, and told from a whole index of the same name (its condition's
// text is not compared: PostgreSQL rewrites it, so a changed condition takes a new name).
TEMPLATE_TEST_CASE("migrate creates a partial index and tells it from a whole one", "[migrate][table_args]", sqlite,
                   postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    migrate_args_v1::models::create_all(engine);
    auto probe = db.probe();
    probe.exec("INSERT INTO item (id, shop, sku, price, status) VALUES (1, 1, 'a', 5, 'gone'), (2, 1, 'a', 7, 'x'), "
               "(3, 1, 'a', 9, 'y')");
    CHECK_THROWS_WITH(sq::migrate<migrate_args_partial::models>(engine),
                      Catch::Contains("unique constraint \"uq_item_live_sku\": 2 rows share their values"));
    probe.exec("UPDATE item SET status = 'gone' WHERE id = 3");  // duplicates outside the index: allowed
    auto plan = sq::plan_migration<migrate_args_partial::models>(engine);
    const std::string text = plan.sql();
    INFO(text);
    CHECK_THAT(text, Catch::Contains("index_added item.uq_item_live_sku:  -> UNIQUE (shop, sku) WHERE (status <> 'gone')") &&
                         Catch::Contains(R"(CREATE UNIQUE INDEX "uq_item_live_sku" ON "item" ("shop", "sku") WHERE (status <> 'gone'))"));
    plan.apply(engine);
    const std::string partial = TestType::is_sqlite
                                    ? "SELECT count(*) FROM pragma_index_list('item') WHERE name = 'uq_item_live_sku' AND partial = 1"
                                    : "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('uq_item_live_sku') AND indpred IS NOT NULL";
    CHECK(probe.count(partial) == 1);
    probe.exec("INSERT INTO item (id, shop, sku, price, status) VALUES (4, 1, 'a', 1, 'gone')");
    CHECK_THROWS_WITH(probe.exec("INSERT INTO item (id, shop, sku, price, status) VALUES (5, 1, 'a', 1, 'new')"),
                      Catch::Contains(TestType::is_sqlite ? "item.shop, item.sku" : "uq_item_live_sku"));
    CHECK(sq::plan_migration<migrate_args_partial::models>(engine).empty());
    // The same name, columns and uniqueness, but whole: dropped and made again, partial.
    probe.exec("DROP INDEX uq_item_live_sku");
    probe.exec("DELETE FROM item WHERE status = 'gone'");
    probe.exec("CREATE UNIQUE INDEX uq_item_live_sku ON item (shop, sku)");
    CHECK(probe.count(partial) == 0);
    auto again = sq::plan_migration<migrate_args_partial::models>(engine);
    INFO(again.sql());
    CHECK_THAT(again.sql(), Catch::Contains("index_dropped item.uq_item_live_sku"));
    again.apply(engine);
    CHECK(probe.count(partial) == 1);
    CHECK(sq::plan_migration<migrate_args_partial::models>(engine).empty());
}
