// Schema: table and column names, identifier quoting, the compile-time text of every statement
// the ORM issues for a model, metadata's creation order and primary keys, table_args (composite
// unique constraints and indexes, checks, server defaults, default_value / onupdate). What the
// compiler knows is checked with static_assert; what reaches the database is read back through an
// independent connection (sqlite3: sqlite_master, pragma_table_info, pragma_index_list,
// pragma_foreign_key_list; libpq: pg_catalog, information_schema).
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <structql/structql.hpp>

#include "backends.hpp"
#include "support.hpp"

namespace schema_test {
namespace sq = structql;

// --- default table names: the unqualified type name in snake_case ---------------------------
//
// The rule (schema/table.hpp, snake_case_name): an upper-case letter becomes lower case and is
// preceded by '_' when it follows a lower-case letter or a digit, or when it ends an acronym
// (follows an upper-case letter and precedes a lower-case one). Namespaces, enclosing classes
// and template arguments are dropped.

struct OrderItem {
    std::int64_t id;
};
struct HTTPServer {
    std::int64_t id;
};
struct XMLHttpRequest {
    std::int64_t id;
};
struct Post2 {
    std::int64_t id;
};
struct ABC2Def {
    std::int64_t id;
};
struct already_snake {
    std::int64_t id;
};
struct X {
    std::int64_t id;
};
namespace inner {
struct LineItem {
    std::int64_t id;
};
}  // namespace inner
struct Outer {
    struct NestedRow {
        std::int64_t id;
    };
};
template <class T>
struct TaggedValue {
    std::int64_t id;
    T value;
};
struct Renamed {
    std::int64_t id;
    static constexpr std::string_view table_name = "people";
};

static_assert(sq::table<OrderItem>::name == "order_item");
static_assert(sq::table<HTTPServer>::name == "http_server");
static_assert(sq::table<XMLHttpRequest>::name == "xml_http_request");
static_assert(sq::table<Post2>::name == "post2");
static_assert(sq::table<ABC2Def>::name == "abc2_def");
static_assert(sq::table<already_snake>::name == "already_snake");
static_assert(sq::table<X>::name == "x");
static_assert(sq::table<inner::LineItem>::name == "line_item");
static_assert(sq::table<Outer::NestedRow>::name == "nested_row");
// Template arguments are dropped, so two instantiations of one template share a table name.
static_assert(sq::table<TaggedValue<int>>::name == "tagged_value");
static_assert(sq::table<TaggedValue<std::string>>::name == "tagged_value");
static_assert(sq::table<Renamed>::name == "people");

// --- column names and properties for every kind of member ----------------------------------

enum class Kind : std::int8_t { small, large };

struct Parent {
    std::int64_t id;
};
struct AllKinds {
    sq::primary_key<std::int64_t> key;
    sq::indexed<std::string> by_index;
    sq::unique<std::string> by_unique;
    sq::foreign_key<&Parent::id> parent_id;
    std::optional<double> maybe;
    std::string plain;
    sq::unique<std::optional<std::string>> maybe_unique;
    std::optional<sq::foreign_key<&Parent::id>> maybe_parent;
    Kind kind;
    sq::blob bytes;
    sq::timestamp at;
    bool flag;
    float v2_ratio;
};

using all_kinds = sq::table<AllKinds>;
// The column names, in declaration order, are the member names.
template <class T, std::size_t N>
constexpr bool column_names_are(const std::array<std::string_view, N>& names) {
    if (sq::table<T>::column_count != N) return false;
    for (std::size_t i = 0; i < N; ++i)
        if (sq::table<T>::columns[i].name != names[i]) return false;
    return true;
}
static_assert(column_names_are<AllKinds>(std::array<std::string_view, 13>{
    "key", "by_index", "by_unique", "parent_id", "maybe", "plain", "maybe_unique", "maybe_parent", "kind", "bytes",
    "at", "flag", "v2_ratio"}));

static_assert(all_kinds::columns[0].primary_key && !all_kinds::columns[0].nullable);
static_assert(all_kinds::columns[1].indexed && !all_kinds::columns[1].unique);
static_assert(all_kinds::columns[2].unique && !all_kinds::columns[2].indexed);
static_assert(all_kinds::columns[3].references_table == "parent" && all_kinds::columns[3].references_column == "id");
static_assert(all_kinds::columns[3].type == sq::column_type::integer && !all_kinds::columns[3].nullable);
static_assert(all_kinds::columns[4].nullable && all_kinds::columns[4].type == sq::column_type::real);
static_assert(!all_kinds::columns[5].nullable && all_kinds::columns[5].type == sq::column_type::text);
static_assert(all_kinds::columns[6].unique && all_kinds::columns[6].nullable);
static_assert(all_kinds::columns[7].nullable && all_kinds::columns[7].references_table == "parent");
static_assert(all_kinds::columns[8].type == sq::column_type::integer);  // an enum: its underlying integer
static_assert(all_kinds::columns[9].type == sq::column_type::blob);
static_assert(all_kinds::columns[10].type == sq::column_type::timestamp);
static_assert(all_kinds::columns[11].type == sq::column_type::boolean);
static_assert(all_kinds::columns[12].type == sq::column_type::real);
static_assert(all_kinds::columns[5].references_table.empty() && !all_kinds::columns[5].primary_key &&
              !all_kinds::columns[5].unique && !all_kinds::columns[5].indexed);

// --- the compile-time text of every statement, for four models -----------------------------

struct Author {
    sq::primary_key<std::int64_t> id;
    sq::unique<std::string> email;
    std::optional<std::string> bio;
    static constexpr std::string_view table_name = "authors";
};

struct Article {
    std::int64_t id;  // the primary key by its name
    sq::foreign_key<&Author::id> author_id;
    sq::indexed<std::string> title;
    double score;
    bool published;
    sq::blob cover;
    sq::timestamp created;
    std::optional<sq::timestamp> edited;
};

struct Comment {
    sq::primary_key<std::int32_t> comment_id;  // an integer key that is not 64-bit
    std::optional<sq::foreign_key<&Comment::comment_id>> reply_to;  // a self-reference
    sq::foreign_key<&Article::id> article_id;
    sq::indexed<std::optional<std::string>> author_name;
};

struct Country {
    sq::indexed<std::string> name;
    sq::primary_key<std::string> code;  // a text key: never generated
    sq::indexed<std::int32_t> population;
};

// Author: an integer key declared exactly INTEGER PRIMARY KEY (SQLite's rowid alias), UNIQUE,
// nullable text.
static_assert(sq::sql::create_table<Author> ==
              R"(CREATE TABLE IF NOT EXISTS "authors" ("id" INTEGER PRIMARY KEY, "email" TEXT NOT NULL UNIQUE, )"
              R"("bio" TEXT))");
static_assert(sq::sql::insert<Author> == R"(INSERT INTO "authors" ("id", "email", "bio") VALUES (?, ?, ?))");
// A key left at 0 is left out: SQLite assigns it, and the session reads sqlite3_last_insert_rowid.
static_assert(sq::sql::insert_generated_in<sq::sql::sqlite_dialect, Author> ==
              R"(INSERT INTO "authors" ("email", "bio") VALUES (?, ?))");
static_assert(sq::sql::select_by_primary_key<Author> == R"(SELECT "id", "email", "bio" FROM "authors" WHERE "id" = ?)");
static_assert(sq::sql::update_by_primary_key<Author> == R"(UPDATE "authors" SET "email" = ?, "bio" = ? WHERE "id" = ?)");
static_assert(sq::sql::delete_by_primary_key<Author> == R"(DELETE FROM "authors" WHERE "id" = ?)");
static_assert(sq::sql::drop_table<Author> == R"(DROP TABLE IF EXISTS "authors")");
static_assert(sq::sql::create_indexes<Author>.size() == 0);

// Article: every storage type, a foreign key, an index.
static_assert(sq::sql::create_table<Article> ==
              R"(CREATE TABLE IF NOT EXISTS "article" ("id" INTEGER PRIMARY KEY, )"
              R"("author_id" INTEGER NOT NULL REFERENCES "authors" ("id"), "title" TEXT NOT NULL, )"
              R"("score" REAL NOT NULL, "published" BOOLEAN NOT NULL, "cover" BLOB NOT NULL, )"
              R"("created" DATETIME NOT NULL, "edited" DATETIME))");
static_assert(sq::sql::insert<Article> ==
              R"(INSERT INTO "article" ("id", "author_id", "title", "score", "published", "cover", "created", )"
              R"("edited") VALUES (?, ?, ?, ?, ?, ?, ?, ?))");
static_assert(sq::sql::select_by_primary_key<Article> ==
              R"(SELECT "id", "author_id", "title", "score", "published", "cover", "created", "edited" )"
              R"(FROM "article" WHERE "id" = ?)");
static_assert(sq::sql::update_by_primary_key<Article> ==
              R"(UPDATE "article" SET "author_id" = ?, "title" = ?, "score" = ?, "published" = ?, "cover" = ?, )"
              R"("created" = ?, "edited" = ? WHERE "id" = ?)");
static_assert(sq::sql::delete_by_primary_key<Article> == R"(DELETE FROM "article" WHERE "id" = ?)");
static_assert(sq::sql::drop_table<Article> == R"(DROP TABLE IF EXISTS "article")");
static_assert(sq::sql::create_indexes<Article>.size() == 1);
static_assert(sq::sql::create_indexes<Article>[0] ==
              R"(CREATE INDEX IF NOT EXISTS "ix_article_title" ON "article" ("title"))");

// Comment: an int32 key, a nullable self-reference, a nullable indexed column.
static_assert(sq::sql::create_table<Comment> ==
              R"(CREATE TABLE IF NOT EXISTS "comment" ("comment_id" INTEGER PRIMARY KEY, )"
              R"("reply_to" INTEGER REFERENCES "comment" ("comment_id"), )"
              R"("article_id" INTEGER NOT NULL REFERENCES "article" ("id"), "author_name" TEXT))");
static_assert(sq::sql::update_by_primary_key<Comment> ==
              R"(UPDATE "comment" SET "reply_to" = ?, "article_id" = ?, "author_name" = ? WHERE "comment_id" = ?)");
static_assert(sq::sql::create_indexes<Comment>.size() == 1);
static_assert(sq::sql::create_indexes<Comment>[0] ==
              R"(CREATE INDEX IF NOT EXISTS "ix_comment_author_name" ON "comment" ("author_name"))");

// Country: a text key in the middle (NOT NULL: SQLite would let a non-INTEGER key hold NULL),
// two indexes in member order.
static_assert(sq::sql::create_table<Country> ==
              R"(CREATE TABLE IF NOT EXISTS "country" ("name" TEXT NOT NULL, "code" TEXT NOT NULL PRIMARY KEY, )"
              R"("population" INTEGER NOT NULL))");
static_assert(sq::sql::insert<Country> ==
              R"(INSERT INTO "country" ("name", "code", "population") VALUES (?, ?, ?))");
static_assert(sq::sql::select_by_primary_key<Country> ==
              R"(SELECT "name", "code", "population" FROM "country" WHERE "code" = ?)");
static_assert(sq::sql::update_by_primary_key<Country> ==
              R"(UPDATE "country" SET "name" = ?, "population" = ? WHERE "code" = ?)");
static_assert(sq::sql::delete_by_primary_key<Country> == R"(DELETE FROM "country" WHERE "code" = ?)");
static_assert(sq::sql::create_indexes<Country>.size() == 2);
static_assert(sq::sql::create_indexes<Country>[0] ==
              R"(CREATE INDEX IF NOT EXISTS "ix_country_name" ON "country" ("name"))");
static_assert(sq::sql::create_indexes<Country>[1] ==
              R"(CREATE INDEX IF NOT EXISTS "ix_country_population" ON "country" ("population"))");

// --- primary keys ---------------------------------------------------------------------------

struct WrapperBeatsName {
    std::int64_t id;
    sq::primary_key<std::int64_t> real_key;
};

static_assert(sq::table<Author>::primary_key_index == 0);   // by wrapper, also named id
static_assert(sq::table<Article>::primary_key_index == 0);  // by the name id
static_assert(sq::table<Comment>::primary_key_index == 0);  // by wrapper
static_assert(sq::table<Country>::primary_key_index == 1);  // by wrapper, not first
static_assert(sq::table<WrapperBeatsName>::primary_key_index == 1);
static_assert(sq::table<Author>::generated_primary_key);
static_assert(sq::table<Comment>::generated_primary_key);
static_assert(!sq::table<Country>::generated_primary_key);
static_assert(std::is_same_v<sq::table<Comment>::primary_key_value, std::int32_t>);
static_assert(std::is_same_v<sq::table<Country>::primary_key_value, std::string>);

// --- metadata: parents first, whatever the listed order -------------------------------------

using blog = sq::metadata<Comment, Article, Author>;  // children listed first
static_assert(blog::creation_order == std::array<std::size_t, 3>{2, 1, 0});
// Models free to go keep their listed order: Country first, then Author, Article, Comment.
static_assert(sq::metadata<Country, Comment, Author, Article>::creation_order ==
              std::array<std::size_t, 4>{0, 2, 3, 1});
// Already in order: unchanged.
static_assert(sq::metadata<Author, Article, Comment>::creation_order == std::array<std::size_t, 3>{0, 1, 2});

// --- SQL keywords and quotes as names -------------------------------------------------------

struct Order {  // table "order"
    std::int64_t id;
    std::string select;
    std::optional<std::string> group;
};
struct Select {
    sq::primary_key<std::int64_t> from;
    sq::foreign_key<&Order::id> order;
    sq::indexed<std::string> where;
    static constexpr std::string_view table_name = "group";
};
struct Quoted {
    std::int64_t id;
    sq::indexed<std::string> values;
    static constexpr std::string_view table_name = "odd \"quoted\" name";
};

static_assert(sq::table<Order>::name == "order");
static_assert(sq::sql::create_table<Order> ==
              R"(CREATE TABLE IF NOT EXISTS "order" ("id" INTEGER PRIMARY KEY, "select" TEXT NOT NULL, "group" TEXT))");
static_assert(sq::sql::create_table<Select> ==
              R"(CREATE TABLE IF NOT EXISTS "group" ("from" INTEGER PRIMARY KEY, )"
              R"("order" INTEGER NOT NULL REFERENCES "order" ("id"), "where" TEXT NOT NULL))");
// An embedded quote is doubled, in the table name and in the index name built from it.
static_assert(sq::sql::create_table<Quoted> ==
              R"(CREATE TABLE IF NOT EXISTS "odd ""quoted"" name" ("id" INTEGER PRIMARY KEY, "values" TEXT NOT NULL))");
static_assert(sq::sql::create_indexes<Quoted>[0] ==
              R"(CREATE INDEX IF NOT EXISTS "ix_odd ""quoted"" name_values" ON "odd ""quoted"" name" ("values"))");

using keywords = sq::metadata<Select, Quoted, Order>;

// --- helpers --------------------------------------------------------------------------------

// The text sqlite_master keeps of a CREATE statement: SQLite drops "IF NOT EXISTS".
std::string as_stored(std::string_view create) {
    std::string text(create);
    constexpr std::string_view clause = "IF NOT EXISTS ";
    if (auto at = text.find(clause); at != std::string::npos) text.erase(at, clause.size());
    return text;
}

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// Rows as sqlite3 returns them, NULL shown as "<null>" (so that Catch can print them).
using rows_t = std::vector<std::vector<std::string>>;
rows_t rows(structql_test::sqlite_file& file, const std::string& sql) {
    rows_t out;
    for (const auto& row : file.query(sql)) {
        auto& r = out.emplace_back();
        for (const auto& cell : row) r.push_back(cell.value_or("<null>"));
    }
    return out;
}

// A database file whose connections all enforce foreign keys, and an independent sqlite3
// connection to it. Every statement StructQL runs is recorded.
struct database {
    structql_test::temp_dir dir;
    sq::engine engine = sq::create_engine(dir.url("schema.db"));
    std::vector<std::string> statements;

    database() {
        engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
        engine.before_execute([this](const sq::statement_event& e) { statements.emplace_back(e.sql); });
    }
    structql_test::sqlite_file file() const { return structql_test::sqlite_file(dir.path() / "schema.db"); }
    sq::session session() { return sq::session(engine); }

    // Statements StructQL ran that start with `prefix`, in order.
    std::vector<std::string> ran(std::string_view prefix) const {
        std::vector<std::string> found;
        for (const auto& s : statements)
            if (std::string_view(s).starts_with(prefix)) found.push_back(s);
        return found;
    }
};

// The tables and indexes StructQL made (SQLite's own autoindexes left out), in creation order.
rows_t schema_objects(structql_test::sqlite_file& file) {
    return rows(file, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid");
}

std::optional<std::string> stored_sql(structql_test::sqlite_file& file, std::string_view name) {
    auto found = file.query("SELECT sql FROM sqlite_master WHERE name = " + quote_literal(name));
    if (found.empty()) return std::nullopt;
    return found[0][0];
}

}  // namespace schema_test

using namespace schema_test;

TEST_CASE("create_all creates parents first, with exactly the compile-time text", "[schema][metadata]") {
    database db;
    blog::create_all(db.engine);
    auto file = db.file();

    CHECK(schema_objects(file) == rows_t{{"table", "authors"},
                                              {"table", "article"},
                                              {"index", "ix_article_title"},
                                              {"table", "comment"},
                                              {"index", "ix_comment_author_name"}});
    CHECK(stored_sql(file, "authors") == as_stored(sq::sql::create_table<Author>));
    CHECK(stored_sql(file, "article") == as_stored(sq::sql::create_table<Article>));
    CHECK(stored_sql(file, "comment") == as_stored(sq::sql::create_table<Comment>));
    CHECK(stored_sql(file, "ix_article_title") == as_stored(sq::sql::create_indexes<Article>[0]));
    CHECK(stored_sql(file, "ix_comment_author_name") == as_stored(sq::sql::create_indexes<Comment>[0]));

    // What SQLite understood of it: the declared foreign keys, NOT NULL, and the rowid alias.
    CHECK(rows(file, R"(SELECT "table", "from", "to" FROM pragma_foreign_key_list('article'))") ==
          rows_t{{"authors", "author_id", "id"}});
    CHECK(rows(file, R"(SELECT "table", "from", "to" FROM pragma_foreign_key_list('comment') ORDER BY "from")") ==
          rows_t{{"article", "article_id", "id"}, {"comment", "reply_to", "comment_id"}});
    CHECK(rows(file, R"(SELECT name, type, "notnull", pk FROM pragma_table_info('authors') ORDER BY cid)") ==
          rows_t{{"id", "INTEGER", "0", "1"}, {"email", "TEXT", "1", "0"}, {"bio", "TEXT", "0", "0"}});
}

TEST_CASE("foreign keys declared by create_all are enforced when on_connect turns them on", "[schema][metadata]") {
    database db;
    blog::create_all(db.engine);
    {
        auto s = db.session();
        s.add(Article{.author_id = 12345, .title = "orphan"});
        CHECK_THROWS_AS(s.commit(), sq::integrity_error);
        s.rollback();
    }
    std::int64_t author_id = 0, article_id = 0;
    {
        auto s = db.session();
        Author& a = s.add(Author{.email = "ann@example.com"});
        s.flush();
        Article& b = s.add(Article{.author_id = a.id, .title = "first"});
        s.commit();
        author_id = a.id;
        article_id = b.id;
    }
    auto file = db.file();
    CHECK(file.count("SELECT count(*) FROM article WHERE author_id = " + std::to_string(author_id) +
                     " AND id = " + std::to_string(article_id)) == 1);
    // The same constraint, seen by a connection StructQL does not own.
    file.exec("PRAGMA foreign_keys=ON");
    CHECK_THROWS(file.exec("INSERT INTO article (author_id, title, score, published, cover, created) "
                           "VALUES (999, 't', 0, 0, x'', '2020-01-01 00:00:00.000000000')"));
}

TEST_CASE("create_all is idempotent and leaves existing tables alone", "[schema][metadata]") {
    database db;
    (void)db.engine.connect();  // creates the file
    {
        // A table of the same name made beforehand, with another shape.
        auto file = db.file();
        file.exec(R"(CREATE TABLE "authors" ("id" INTEGER PRIMARY KEY, "email" TEXT, "bio" TEXT, "legacy" TEXT))");
        file.exec(R"(INSERT INTO "authors" ("id", "email", "legacy") VALUES (7, 'old@example.com', 'kept'))");
    }
    blog::create_all(db.engine);
    {
        auto s = db.session();
        s.add(Article{.author_id = 7, .title = "kept"});
        s.commit();
    }
    auto file = db.file();
    auto before = rows(file, "SELECT type, name, sql FROM sqlite_master ORDER BY rowid");
    blog::create_all(db.engine);
    blog::create_all(db.engine);
    CHECK(rows(file, "SELECT type, name, sql FROM sqlite_master ORDER BY rowid") == before);
    CHECK(stored_sql(file, "authors") ==
          R"(CREATE TABLE "authors" ("id" INTEGER PRIMARY KEY, "email" TEXT, "bio" TEXT, "legacy" TEXT))");
    CHECK(rows(file, "SELECT email, legacy FROM authors") == rows_t{{"old@example.com", "kept"}});
    CHECK(rows(file, "SELECT author_id, title FROM article") == rows_t{{"7", "kept"}});
}

TEST_CASE("drop_all drops children first, so it works with foreign keys on and rows present", "[schema][metadata]") {
    database db;
    blog::create_all(db.engine);
    {
        auto s = db.session();
        Author& a = s.add(Author{.email = "a@example.com"});
        s.flush();
        Article& b = s.add(Article{.author_id = a.id, .title = "t"});
        s.flush();
        Comment& c = s.add(Comment{.article_id = b.id});
        s.flush();
        s.add(Comment{.reply_to = c.comment_id.value, .article_id = b.id});
        s.commit();
    }
    auto file = db.file();
    file.exec("PRAGMA foreign_keys=ON");
    // The order matters: dropping the parent first fails while children reference it.
    file.exec("BEGIN");
    CHECK_THROWS(file.exec(R"(DROP TABLE "authors")"));
    if (!sqlite3_get_autocommit(file.handle())) file.exec("ROLLBACK");
    REQUIRE(file.count("SELECT count(*) FROM authors") == 1);

    db.statements.clear();
    blog::drop_all(db.engine);
    CHECK(db.ran("DROP") == std::vector<std::string>{std::string(sq::sql::drop_table<Comment>),
                                                      std::string(sq::sql::drop_table<Article>),
                                                      std::string(sq::sql::drop_table<Author>)});
    CHECK(file.count("SELECT count(*) FROM sqlite_master") == 0);
    blog::drop_all(db.engine);  // IF EXISTS: dropping again is harmless
    blog::create_all(db.engine);
    CHECK(file.count("SELECT count(*) FROM sqlite_master WHERE type = 'table'") == 3);
}

TEST_CASE("tables and columns named after SQL keywords, and quotes in names, work end to end", "[schema][quoting]") {
    database db;
    keywords::create_all(db.engine);
    std::int64_t order_id = 0;
    {
        auto s = db.session();
        Order& o = s.add(Order{.select = "a'b \"c\"", .group = "g"});
        s.flush();
        s.add(Select{.from = 5, .order = o.id, .where = "here"});
        s.add(Quoted{.values = "v"});
        s.commit();
        order_id = o.id;
    }
    auto file = db.file();
    CHECK(rows(file, R"(SELECT "id", "select", "group" FROM "order")") ==
          rows_t{{std::to_string(order_id), "a'b \"c\"", "g"}});
    CHECK(rows(file, R"(SELECT "from", "order", "where" FROM "group")") ==
          rows_t{{"5", std::to_string(order_id), "here"}});
    CHECK(rows(file, R"(SELECT "values" FROM "odd ""quoted"" name")") == rows_t{{"v"}});
    CHECK(file.count(R"(SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN )"
                     R"(('ix_group_where', 'ix_odd "quoted" name_values'))") == 2);

    // Read back, queried and changed through StructQL.
    auto s = db.session();
    Select* row = s.get<Select>(5);
    REQUIRE(row != nullptr);
    CHECK(row->where == "here");
    CHECK(s.query<Order>().filter(sq::col<&Order::select> == "a'b \"c\"" && sq::col<&Order::group> == "g").count() == 1);
    CHECK(s.query<Select>().filter(sq::col<&Select::order> == order_id).count() == 1);
    row->where = "there";
    s.remove(s.query<Quoted>().one());
    s.commit();
    CHECK(rows(file, R"(SELECT "where" FROM "group")") == rows_t{{"there"}});
    CHECK(file.count(R"(SELECT count(*) FROM "odd ""quoted"" name")") == 0);
    keywords::drop_all(db.engine);
    CHECK(file.count("SELECT count(*) FROM sqlite_master") == 0);
}

TEST_CASE("an integer key: 0 is generated and written back, any other value is inserted as given", "[schema][keys]") {
    database db;
    blog::create_all(db.engine);
    auto s = db.session();
    Author& given = s.add(Author{.id = 42, .email = "given@example.com"});
    Author& negative = s.add(Author{.id = -7, .email = "negative@example.com"});
    s.flush();
    // A generated rowid is one more than the largest in the table (SQLite's rule): 43.
    Author& generated = s.add(Author{.email = "generated@example.com"});
    s.commit();
    CHECK(given.id == 42);
    CHECK(negative.id == -7);
    CHECK(generated.id == 43);

    auto file = db.file();
    // "id" is the rowid itself (INTEGER PRIMARY KEY).
    CHECK(rows(file, "SELECT rowid, id, email FROM authors ORDER BY id") ==
          rows_t{{"-7", "-7", "negative@example.com"},
                     {"42", "42", "given@example.com"},
                     {"43", "43", "generated@example.com"}});

    // An int32 key, generated the same way, and the object holds it.
    Article& article = s.add(Article{.author_id = 42, .title = "t"});
    s.flush();
    Comment& first = s.add(Comment{.article_id = article.id});
    s.flush();
    Comment& reply = s.add(Comment{.reply_to = first.comment_id.value, .article_id = article.id});
    s.commit();
    CHECK(first.comment_id > 0);
    CHECK(reply.comment_id == first.comment_id + 1);
    CHECK(rows(file, "SELECT comment_id, reply_to FROM comment ORDER BY comment_id") ==
          rows_t{{std::to_string(first.comment_id), "<null>"},
                     {std::to_string(reply.comment_id), std::to_string(first.comment_id)}});
}

// A regression test as well: before 7cab2a8 such a model did not compile with clang 14
// (detail::bind_columns compared every key with 0), see compile_fail/string_primary_key.cpp.
TEST_CASE("a text primary key is stored as given, never generated", "[schema][keys]") {
    database db;
    sq::metadata<Country>::create_all(db.engine);
    auto s = db.session();
    Country& nz = s.add(Country{.name = "New Zealand", .code = "NZ", .population = 5});
    Country& blank = s.add(Country{.name = "Nowhere", .code = "", .population = 0});
    s.commit();
    CHECK(nz.code == "NZ");
    CHECK(blank.code == "");

    auto file = db.file();
    CHECK(rows(file, "SELECT code, typeof(code), name FROM country ORDER BY code") ==
          rows_t{{"", "text", "Nowhere"}, {"NZ", "text", "New Zealand"}});
    CHECK(rows(file, R"(SELECT name, "notnull", pk FROM pragma_table_info('country') WHERE pk > 0)") ==
          rows_t{{"code", "1", "1"}});
    // Updated through the key it has.
    nz.population = 6;
    s.commit();
    CHECK(file.count("SELECT population FROM country WHERE code = 'NZ'") == 6);
    // A second row with the same key is a constraint violation, not an overwrite.
    s.add(Country{.name = "Again", .code = "NZ", .population = 1});
    CHECK_THROWS_AS(s.commit(), sq::integrity_error);
    s.rollback();
    CHECK(rows(file, "SELECT name FROM country WHERE code = 'NZ'") == rows_t{{"New Zealand"}});
}

// A regression test: before 7cab2a8, session::get<T>(key) bound a temporary copy of the key as
// SQLITE_STATIC text, so the statement ran with a dangling pointer and a row could be missed.
TEST_CASE("get<T>() finds a row by its text primary key", "[schema][keys]") {
    database db;
    sq::metadata<Country>::create_all(db.engine);
    {
        auto s = db.session();
        s.add(Country{.name = "New Zealand", .code = "NZ", .population = 5});
        s.add(Country{.name = "Long", .code = std::string(40, 'L'), .population = 1});  // not a short string
        s.commit();
    }
    auto s = db.session();
    Country* nz = s.get<Country>(std::string("NZ"));
    REQUIRE(nz != nullptr);
    CHECK(nz->name == "New Zealand");
    CHECK(s.get<Country>(std::string("NZ")) == nz);
    CHECK(s.get<Country>(std::string("nz")) == nullptr);  // keys compare exactly
    Country* long_key = s.get<Country>(std::string(40, 'L'));
    REQUIRE(long_key != nullptr);
    CHECK(long_key->name == "Long");
}

// Before this test, a model declared inside a function was refused by g++ (a static_assert) and
// stopped clang 14 with an error from reflect/names.hpp: the names were read through an
// object that was declared and never defined, which a type without linkage cannot be.
TEST_CASE("a model declared inside a function is mapped like any other", "[schema][names]") {
    struct LocalReading {
        sq::primary_key<std::int64_t> id;
        sq::indexed<std::string> sensor;
        std::optional<double> celsius;
    };
    using table = sq::table<LocalReading>;
    static_assert(table::name == "local_reading");
    static_assert(table::columns[0].name == "id" && table::columns[1].name == "sensor" &&
                  table::columns[2].name == "celsius");
    static_assert(sq::sql::insert<LocalReading> ==
                  R"(INSERT INTO "local_reading" ("id", "sensor", "celsius") VALUES (?, ?, ?))");

    database db;
    sq::metadata<LocalReading>::create_all(db.engine);
    auto s = db.session();
    // Every member named: g++ 12 warns (-Wmissing-field-initializers) of designated initializers
    // left out when the type is function-local, though not otherwise.
    LocalReading& r = s.add(LocalReading{.id = 0, .sensor = "roof", .celsius = 21.5});
    s.add(LocalReading{.id = 0, .sensor = "cellar", .celsius = std::nullopt});
    s.commit();
    CHECK(r.id == 1);
    auto file = db.file();
    CHECK(rows(file, "SELECT id, sensor, celsius FROM local_reading ORDER BY id") ==
          rows_t{{"1", "roof", "21.5"}, {"2", "cellar", "<null>"}});
    CHECK(rows(file, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'local_reading'") ==
          rows_t{{"ix_local_reading_sensor"}});
    LocalReading* cellar = s.query<LocalReading>().filter(sq::col<&LocalReading::sensor> == "cellar").first();
    REQUIRE(cellar != nullptr);
    CHECK(cellar->id == 2);
}

// --- table_args: composite unique constraints and indexes, checks, defaults -----------------

namespace schema_test {

inline sq::timestamp clock_value = sq::timestamp{std::chrono::seconds{1'000'000}};
inline sq::timestamp fake_now() { return clock_value; }

struct Shop {
    std::int64_t id;
    std::string name;
};
struct Listing {
    std::int64_t id;
    sq::foreign_key<&Shop::id> shop_id;
    sq::indexed<std::string> sku;
    double price;
    std::string status;
    sq::timestamp created;
    std::optional<sq::timestamp> updated;
    std::int64_t revision;
    static constexpr std::string_view table_name = "listing";
    static constexpr auto table_args = sq::table_args(
        sq::unique_constraint<&Listing::shop_id, &Listing::sku>("uq_listing_shop_sku"),
        sq::index<&Listing::price, &Listing::shop_id>("ix_listing_price_shop"),
        sq::check("price >= 0 AND price < 1000000", "ck_listing_price"),
        sq::server_default<&Listing::status>("'draft'"),
        sq::default_value<&Listing::created>(fake_now),
        sq::onupdate<&Listing::updated>(fake_now),
        sq::default_value<&Listing::revision>(1));
};
using listings = sq::metadata<Listing, Shop>;

// The DDL, fixed at compile time: a server default in the column, checks after the columns,
// indexes in their own statements (indexed<> members' first).
static_assert(sq::sql::create_table<Listing> ==
              R"(CREATE TABLE IF NOT EXISTS "listing" ("id" INTEGER PRIMARY KEY, )"
              R"("shop_id" INTEGER NOT NULL REFERENCES "shop" ("id"), "sku" TEXT NOT NULL, "price" REAL NOT NULL, )"
              R"("status" TEXT NOT NULL DEFAULT ('draft'), "created" DATETIME NOT NULL, "updated" DATETIME, )"
              R"("revision" INTEGER NOT NULL, CONSTRAINT "ck_listing_price" CHECK (price >= 0 AND price < 1000000)))");
static_assert(sq::sql::create_table_in<sq::sql::postgresql_dialect, Listing> ==
              R"(CREATE TABLE IF NOT EXISTS "listing" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, )"
              R"("shop_id" BIGINT NOT NULL REFERENCES "shop" ("id"), "sku" TEXT NOT NULL, )"
              R"("price" DOUBLE PRECISION NOT NULL, "status" TEXT NOT NULL DEFAULT ('draft'), )"
              R"("created" TIMESTAMPTZ NOT NULL, "updated" TIMESTAMPTZ, "revision" BIGINT NOT NULL, )"
              R"(CONSTRAINT "ck_listing_price" CHECK (price >= 0 AND price < 1000000)))");
static_assert(sq::sql::create_indexes<Listing>.size() == 3);
static_assert(sq::sql::create_indexes<Listing>[0] == R"(CREATE INDEX IF NOT EXISTS "ix_listing_sku" ON "listing" ("sku"))");
static_assert(sq::sql::create_indexes<Listing>[1] ==
              R"(CREATE UNIQUE INDEX IF NOT EXISTS "uq_listing_shop_sku" ON "listing" ("shop_id", "sku"))");
static_assert(sq::sql::create_indexes<Listing>[2] ==
              R"(CREATE INDEX IF NOT EXISTS "ix_listing_price_shop" ON "listing" ("price", "shop_id"))");
// The session writes every column: the INSERT is the same with or without defaults.
static_assert(sq::sql::insert<Listing> ==
              R"(INSERT INTO "listing" ("id", "shop_id", "sku", "price", "status", "created", "updated", "revision") )"
              R"(VALUES (?, ?, ?, ?, ?, ?, ?, ?))");
static_assert(sq::table<Listing>::view.has_unique_index(std::array<std::size_t, 2>{2, 1}));
static_assert(!sq::table<Listing>::view.has_unique_index(std::array<std::size_t, 1>{2}));
static_assert(sq::table<Listing>::view.has_unique_index(std::array<std::size_t, 1>{0}));  // the key
static_assert(sq::table<Author>::view.has_unique_index(std::array<std::size_t, 1>{1}));   // unique<>
static_assert(!sq::table<Listing>::view.has_unique_index(std::array<std::size_t, 2>{3, 1}));

// The message of the integrity_error f() throws; empty when it throws nothing (or another error).
template <class F>
std::string integrity_message(F&& f) {
    try {
        f();
    } catch (const sq::integrity_error& e) {
        return e.what();
    } catch (...) {
    }
    return {};
}

template <class Database>
std::int64_t add_shop(Database& db, const std::string& name) {
    auto probe = db.probe();
    return probe.count("INSERT INTO shop (name) VALUES ('" + name + "') RETURNING id");
}

}  // namespace schema_test

TEMPLATE_TEST_CASE("table_args: composite unique constraints and indexes and checks and server defaults reach both databases",
                   "[schema][table_args]", structql_test::sqlite, structql_test::postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    listings::create_all(engine);
    listings::create_all(engine);  // IF NOT EXISTS: the indexes too
    auto probe = db.probe();
    CHECK(TestType::indexes(probe, "listing") == std::vector<std::string>{"ix_listing_price_shop 0 price,shop_id",
                                                                   "ix_listing_sku 0 sku",
                                                                   "uq_listing_shop_sku 1 shop_id,sku"});
    CHECK(TestType::checks(probe, "listing") == std::vector<std::string>{"ck_listing_price"});
    CHECK(TestType::server_default(probe, "listing", "status") == (TestType::is_sqlite ? "'draft'" : "'draft'::text"));
    if constexpr (TestType::is_sqlite) CHECK(stored_sql(probe, "listing") == as_stored(sq::sql::create_table<Listing>));
    // What the database does with them, through SQL written by hand: the server default fills a
    // column left out; the check and the unique pair refuse rows.
    const std::int64_t shop = add_shop(db, "north");
    const std::string id = std::to_string(shop);
    probe.exec("INSERT INTO listing (shop_id, sku, price, created, revision) VALUES (" + id + ", 'a', 1, '2020-01-01', 1)");
    CHECK(probe.query("SELECT status FROM listing")[0][0] == "draft");
    CHECK_THROWS_WITH(probe.exec("INSERT INTO listing (shop_id, sku, price, created, revision) VALUES (" + id +
                                 ", 'b', -1, '2020-01-01', 1)"),
                      Catch::Contains("ck_listing_price"));
    CHECK_THROWS(probe.exec("INSERT INTO listing (shop_id, sku, price, created, revision) VALUES (" + id +
                            ", 'a', 2, '2020-01-01', 1)"));
    probe.exec("INSERT INTO listing (shop_id, sku, price, created, revision) VALUES (" + std::to_string(add_shop(db, "south")) +
               ", 'a', 2, '2020-01-01', 1)");  // the same sku in another shop
    CHECK(probe.count("SELECT count(*) FROM listing") == 2);
}

TEMPLATE_TEST_CASE("a violated check or composite unique constraint is an integrity_error naming it",
                   "[schema][table_args]", structql_test::sqlite, structql_test::postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    listings::create_all(engine);
    const std::int64_t shop = add_shop(db, "north");
    typename TestType::session_type s(engine);
    s.add(Listing{.shop_id = shop, .sku = "a", .price = 5, .status = "on sale"});
    s.commit();
    s.add(Listing{.shop_id = shop, .sku = "a", .price = 6, .status = "on sale"});
    CHECK_THAT(integrity_message([&] { s.commit(); }), Catch::Contains("\"uq_listing_shop_sku\""));
    s.rollback();
    s.add(Listing{.shop_id = shop, .sku = "b", .price = -1, .status = "on sale"});
    CHECK_THAT(integrity_message([&] { s.commit(); }), Catch::Contains("ck_listing_price"));
    s.rollback();
    // connection.insert: the same errors.
    auto c = engine.connect();
    CHECK_THAT(integrity_message([&] { c.insert(std::vector<Listing>{{.shop_id = shop, .sku = "a", .price = 1, .status = "x"}}); }),
               Catch::Contains("\"uq_listing_shop_sku\""));
    auto probe = db.probe();
    CHECK(probe.count("SELECT count(*) FROM listing") == 1);
    // The composite unique constraint is an upsert target: the row there takes the new price.
    static_assert(sq::detail::conflict_target_check<Listing, &Listing::shop_id, &Listing::sku>::ok);
    CHECK(c.insert(std::vector<Listing>{{.shop_id = shop, .sku = "a", .price = 9, .status = "x"}},
                   sq::on_conflict<&Listing::shop_id, &Listing::sku>::do_update<&Listing::price>) == 1);
    CHECK(probe.count("SELECT count(*) FROM listing") == 1);
    CHECK(probe.count("SELECT count(*) FROM listing WHERE sku = 'a' AND price = 9") == 1);
}

TEMPLATE_TEST_CASE("default_value fills members left unset at insert and onupdate members at each update",
                   "[schema][table_args]", structql_test::sqlite, structql_test::postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    TestType db;
    auto engine = db.make_engine();
    listings::create_all(engine);
    const std::int64_t shop = add_shop(db, "north");
    auto probe = db.probe();
    auto stored = [&](std::int64_t id) {  // created, updated, revision as the database holds them
        auto at = [&](const char* column) {
            auto value = TestType::stored(probe, "listing", column, id);
            return value.type == structql_test::storage::null ? std::string("NULL") : value.bytes;
        };
        return at("created") + " | " + at("updated") + " | " + std::to_string(TestType::stored(probe, "listing", "revision", id).integer);
    };
    const std::string first = TestType::is_sqlite ? "1970-01-12 13:46:40.000000000" : "1970-01-12 13:46:40+00";
    const std::string second = TestType::is_sqlite ? "1970-01-12 13:46:41.000000000" : "1970-01-12 13:46:41+00";
    const std::string explicit_time = TestType::is_sqlite ? "1970-01-01 00:00:05.000000000" : "1970-01-01 00:00:05+00";

    clock_value = sq::timestamp{std::chrono::seconds{1'000'000}};
    typename TestType::session_type s(engine);
    Listing& unset = s.add(Listing{.shop_id = shop, .sku = "a", .price = 1, .status = "x"});
    Listing& given = s.add(Listing{.shop_id = shop, .sku = "b", .price = 1, .status = "x",
                                   .created = sq::timestamp{std::chrono::seconds{5}}, .revision = 7});
    s.commit();
    CHECK(unset.created == clock_value);  // the object holds what was written
    CHECK(unset.revision == 1);
    CHECK(!unset.updated);
    CHECK(given.created == sq::timestamp{std::chrono::seconds{5}});
    CHECK(stored(unset.id) == first + " | NULL | 1");
    CHECK(stored(given.id) == explicit_time + " | NULL | 7");

    // An update: onupdate's member takes its value, unless it was changed itself.
    clock_value += std::chrono::seconds{1};
    unset.price = 2;
    given.price = 3;
    given.updated = sq::timestamp{std::chrono::seconds{5}};
    s.commit();
    CHECK(unset.updated == clock_value);
    CHECK(stored(unset.id) == first + " | " + second + " | 1");
    CHECK(stored(given.id) == explicit_time + " | " + explicit_time + " | 7");
    // No change, no UPDATE: nothing is filled.
    clock_value += std::chrono::seconds{1};
    s.commit();
    CHECK(stored(unset.id) == first + " | " + second + " | 1");

    // connection.insert binds the defaults (several rows in one statement, each its own) and
    // leaves the caller's objects as they were.
    std::vector<Listing> rows{{.shop_id = shop, .sku = "c", .price = 1, .status = "x"},
                              {.shop_id = shop, .sku = "d", .price = 1, .status = "y", .revision = 4}};
    engine.connect().insert(rows);
    CHECK(rows[0].revision == 0);
    CHECK(rows[0].created == sq::timestamp{});
    auto written = probe.query("SELECT sku, status, revision FROM listing WHERE sku IN ('c', 'd') ORDER BY sku");
    REQUIRE(written.size() == 2);
    CHECK((*written[0][0] + *written[0][1] + *written[0][2]) == "cx1");
    CHECK((*written[1][0] + *written[1][1] + *written[1][2]) == "dy4");
    // Bulk writes fill onupdate members too: query.update(), unless it sets the member itself,
    // and an upsert's DO UPDATE (not the rows it inserts); a session's bulk update reloads the
    // objects it reached with the value.
    auto updated_at = [&](const char* sku) {
        const auto id = std::stoll(*probe.query(std::string("SELECT id FROM listing WHERE sku = '") + sku + "'").at(0).at(0));
        auto value = TestType::stored(probe, "listing", "updated", id);
        return value.type == structql_test::storage::null ? std::string("NULL") : value.bytes;
    };
    auto at_text = [&](const char* text) { return std::string(text) + (TestType::is_sqlite ? ".000000000" : "+00"); };
    CHECK(updated_at("c") == "NULL");
    auto c = engine.connect();
    clock_value = sq::timestamp{std::chrono::seconds{2'000'000}};
    CHECK(c.template query<Listing>().filter(sq::col<&Listing::sku> == "c").update(sq::set<&Listing::price>(5.0)) == 1);
    CHECK(updated_at("c") == at_text("1970-01-24 03:33:20"));
    CHECK(c.template query<Listing>()
              .filter(sq::col<&Listing::sku> == "d")
              .update(sq::set<&Listing::price>(6.0), sq::set<&Listing::updated>(sq::timestamp{std::chrono::seconds{5}})) == 1);
    CHECK(updated_at("d") == explicit_time);
    clock_value = sq::timestamp{std::chrono::seconds{3'000'000}};
    std::vector<Listing> upserted{{.shop_id = shop, .sku = "c", .price = 7, .status = "x"},
                                  {.shop_id = shop, .sku = "e", .price = 1, .status = "x"}};
    CHECK(c.insert(upserted, sq::on_conflict<&Listing::shop_id, &Listing::sku>::do_update<&Listing::price>) == 2);
    CHECK(updated_at("c") == at_text("1970-02-04 17:20:00"));
    CHECK(updated_at("e") == "NULL");
    CHECK(probe.count("SELECT count(*) FROM listing WHERE sku = 'c' AND price = 7") == 1);
    typename TestType::session_type bulk(engine);
    Listing* e = bulk.template query<Listing>().filter(sq::col<&Listing::sku> == "e").first();
    REQUIRE(e);
    clock_value = sq::timestamp{std::chrono::seconds{4'000'000}};
    CHECK(bulk.template query<Listing>().filter(sq::col<&Listing::sku> == "e").update(sq::set<&Listing::price>(8.0)) == 1);
    CHECK(e->updated == clock_value);
    bulk.commit();
    CHECK(updated_at("e") == at_text("1970-02-16 07:06:40"));
}

namespace static_text_test {
// Compile-time text is written once into a draft of fixed capacity and copied out; a text
// longer than the draft is written again into a buffer of its own size.
template <std::size_t Words>
struct words {
    static constexpr void write(auto& out) {
        for (std::size_t i = 0; i < Words; ++i) {
            if (i) out.append(", ");
            out.append("column_");
            structql::detail::append_number(out, i);
        }
    }
};
std::string words_at_run_time(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += (i ? ", column_" : "column_") + std::to_string(i);
    return text;
}
}  // namespace static_text_test

TEST_CASE("compile-time text shorter and longer than the draft it is written in", "[schema]") {
    using static_text_test::words;
    constexpr std::string_view short_text = structql::detail::text_v<words<3>>;
    constexpr std::string_view long_text = structql::detail::text_v<words<400>>;
    static_assert(short_text == "column_0, column_1, column_2");
    static_assert(long_text.size() > structql::detail::text_draft_capacity);
    static_assert(long_text.substr(long_text.size() - 12) == ", column_399");
    REQUIRE(std::string(short_text) == static_text_test::words_at_run_time(3));
    REQUIRE(std::string(long_text) == static_text_test::words_at_run_time(400));
    REQUIRE(long_text.data()[long_text.size()] == '\0');  // NUL-terminated for C APIs
}
