// Bad input: what users get wrong, table-driven. Each case must throw a structql::error of the
// right subtype whose message says what went wrong and where (the table, the column or the
// statement), never shows a password, and leaves the engine usable with no committed data
// lost: after every case a new session writes, reads and deletes through the same engine, and
// the rows committed before the cases are checked through an independent sqlite3 connection.
//
// Read-only files: the tests run as root, and root writes to a chmod 0444 file anyway, so the
// read-only cases open the file with SQLite's read-only flag (`?mode=ro` in the URL, which
// StructQL passes on as SQLITE_OPEN_READONLY). The chmod case runs only when not root.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include <structql/structql.hpp>

#include "../support.hpp"

namespace bad_input_test {
namespace sq = structql;

struct User {
    std::int64_t id;
    sq::unique<std::string> email;
    std::optional<int> age;
    static constexpr std::string_view table_name = "users";
};

struct Order {  // a reserved word as a table name: always quoted
    std::int64_t id;
    sq::foreign_key<&User::id> user_id;
    std::int32_t quantity;
    static constexpr std::string_view table_name = "order";
};

// Created by hand, without the column `extra`.
struct Missing {
    std::int64_t id;
    std::string name;
    std::string extra;
    static constexpr std::string_view table_name = "by_hand_missing";
};

// Created by hand with `amount TEXT`.
struct WrongType {
    std::int64_t id;
    std::int64_t amount;
    static constexpr std::string_view table_name = "by_hand_wrong";
};

// Created by hand without NOT NULL, holding values that do not fit the members.
struct Narrow {
    std::int64_t id;
    std::int32_t small;
    bool flag;
    float ratio;
    std::string label;
    std::uint8_t byte;
    static constexpr std::string_view table_name = "narrow";
};

struct Big {
    std::int64_t id;
    std::uint64_t n;
    static constexpr std::string_view table_name = "big";
};

enum narrow_row : std::int64_t {
    too_big_for_int32 = 1,
    null_label,
    text_in_integer,
    two_in_bool,
    too_big_for_float,
    real_in_integer,
    negative_in_unsigned,
    blob_in_text,
};

struct fixture {
    structql_test::temp_dir dir;
    std::filesystem::path path = dir.path() / "app.db";
    std::string url = dir.url("app.db");
    sq::engine engine = sq::create_engine(url + "?timeout=0.1", {.pool_size = 2});
    structql_test::sqlite_file file{(prepare(engine), path)};

    static void prepare(sq::engine& e) {
        e.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
        sq::metadata<User, Order>::create_all(e);
        auto c = e.connect();
        c.execute(
            "INSERT INTO users (id, email, age) VALUES (1, 'ana@example.com', 30), (2, 'bob@example.com', NULL), "
            "(3, 'eve@example.com', 41);"
            "INSERT INTO \"order\" (id, user_id, quantity) VALUES (1, 1, 5);"
            "CREATE TABLE by_hand_missing (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE by_hand_wrong (id INTEGER PRIMARY KEY, amount TEXT);"
            "INSERT INTO by_hand_wrong VALUES (1, 'abc');"
            "CREATE TABLE narrow (id INTEGER PRIMARY KEY, small INTEGER, flag BOOLEAN, ratio REAL, label TEXT, byte "
            "INTEGER);"
            "INSERT INTO narrow VALUES (1, 5000000000, 0, 0, 'x', 0), (2, 1, 0, 0, NULL, 0), (3, 'abc', 0, 0, 'x', 0), "
            "(4, 1, 2, 0, 'x', 0), (5, 1, 0, 1e300, 'x', 0), (6, 1.5, 0, 0, 'x', 0), (7, 1, 0, 0, 'x', -1), "
            "(8, 1, 0, 0, x'00ff', 0);");
    }

    // The rows committed before the cases, as an independent connection sees them.
    std::string committed() {
        std::string out;
        for (auto& row : file.query("SELECT id, email, age FROM users WHERE id <= 3 ORDER BY id"))
            out += *row[0] + "," + *row[1] + "," + row[2].value_or("NULL") + ";";
        for (auto& row : file.query("SELECT id, user_id, quantity FROM \"order\" ORDER BY id"))
            out += *row[0] + "," + *row[1] + "," + *row[2] + ";";
        return out;
    }
};

struct bad_case {
    std::string name;
    std::function<void(fixture&)> action;  // must throw
    std::function<bool(const std::exception&)> right_type;
    std::string type_name;
    std::vector<std::string> message_has;
    std::vector<std::string> message_lacks = {};
    std::function<void(fixture&)> cleanup = {};
};

template <class E>
std::function<bool(const std::exception&)> is() {
    return [](const std::exception& e) { return dynamic_cast<const E*>(&e) != nullptr; };
}

template <class T>
void read_back(fixture& f, std::int64_t id) {
    sq::session db(f.engine);
    (void)db.get<T>(id);
}

void write(fixture& f, const User& u) {
    sq::session db(f.engine);
    db.add(u);
    db.commit();
}

std::vector<bad_case> cases() {
    std::vector<bad_case> all = {
        // Malformed URLs.
        {"no ://", [](fixture&) { (void)sq::create_engine("sqlite:/app.db"); }, is<sq::url_error>(), "url_error",
         {"missing '://'", "sqlite:/app.db"}},
        {"unknown dialect, password hidden",
         [](fixture&) { (void)sq::create_engine("mysql://admin:hunter22@db.example.com/shop"); },
         is<sq::url_error>(), "url_error", {"unknown dialect 'mysql'", "admin:***@db.example.com"}, {"hunter22"}},
        {"a host in a sqlite URL", [](fixture&) { (void)sq::create_engine("sqlite://app.db"); }, is<sq::url_error>(),
         "url_error", {"unexpected host", "sqlite:///app.db"}},
        {"a port out of range, password hidden",
         [](fixture&) { (void)sq::create_engine("postgresql://u:s3cret-pw@h:99999/db"); }, is<sq::url_error>(),
         "url_error", {"invalid port"}, {"s3cret-pw"}},
        {"a bad percent-escape", [](fixture&) { (void)sq::create_engine("sqlite:///a%zz.db"); }, is<sq::url_error>(),
         "url_error", {"invalid percent-escape in the database"}},
        {"a timeout that is not a number", [](fixture& f) { (void)sq::create_engine(f.url + "?timeout=soon"); },
         is<sq::url_error>(), "url_error", {"timeout must be a number of seconds"}},

        // Files that cannot be opened or written.
        {"a missing database directory",
         [](fixture& f) { (void)sq::create_engine(f.dir.url("no/such/dir/app.db")).connect(); },
         is<sq::operational_error>(), "operational_error",
         {"cannot open SQLite database", "no/such/dir/app.db", "unable to open database file"}},
        {"a write through a read-only URL (?mode=ro)",
         [](fixture& f) {
             auto ro = sq::create_engine(f.url + "?mode=ro");
             sq::session db(ro);
             db.add(User{.email = "ro@example.com"});
             db.commit();
         },
         is<sq::operational_error>(), "operational_error", {"readonly database", "INSERT INTO \"users\""}},
        {"a raw write through a read-only URL",
         [](fixture& f) { sq::create_engine(f.url + "?mode=ro").connect().execute("DELETE FROM users"); },
         is<sq::operational_error>(), "operational_error", {"readonly database", "DELETE FROM users"}},
        {"a read-only URL to a file that does not exist",
         [](fixture& f) { (void)sq::create_engine(f.dir.url("absent.db") + "?mode=ro").connect(); },
         is<sq::operational_error>(), "operational_error", {"cannot open SQLite database", "absent.db"}},

        // Locks held by another connection: ?timeout=0.1 makes the wait short.
        {"a write while another connection holds BEGIN EXCLUSIVE",
         [](fixture& f) {
             f.file.exec("BEGIN EXCLUSIVE");
             write(f, User{.email = "locked@example.com"});
         },
         is<sq::operational_error>(), "operational_error",
         {"database is locked: another connection held the write lock", "busy_timeout (100 ms)", "BEGIN IMMEDIATE"}, {},
         [](fixture& f) { f.file.exec("ROLLBACK"); }},
        {"a read while another connection holds BEGIN EXCLUSIVE",
         [](fixture& f) {
             f.file.exec("BEGIN EXCLUSIVE");
             read_back<User>(f, 1);
         },
         is<sq::operational_error>(), "operational_error",
         {"database is locked: another connection held the write lock", "busy_timeout (100 ms)", "BEGIN IMMEDIATE"}, {},
         [](fixture& f) { f.file.exec("ROLLBACK"); }},

        // Schemas that differ from the model, found at first use.
        {"a column missing from a table made by hand, on insert",
         [](fixture& f) {
             sq::session db(f.engine);
             db.add(Missing{.name = "n", .extra = "e"});
             db.commit();
         },
         is<sq::operational_error>(), "operational_error",
         {"table by_hand_missing has no column named extra", "INSERT INTO \"by_hand_missing\""}},
        {"a column missing from a table made by hand, on query",
         [](fixture& f) {
             sq::session db(f.engine);
             (void)db.query<Missing>().all();
         },
         is<sq::operational_error>(), "operational_error", {"no such column", "extra", "FROM \"by_hand_missing\""}},
        {"TEXT where the model has an integer",
         [](fixture& f) { read_back<WrongType>(f, 1); }, is<sq::data_error>(), "data_error",
         {"by_hand_wrong.amount", "expected INTEGER, found TEXT", "SELECT"}},

        // Constraint violations.
        {"a UNIQUE violation", [](fixture& f) { write(f, User{.email = "ana@example.com"}); },
         is<sq::integrity_error>(), "integrity_error", {"UNIQUE constraint failed: users.email", "INSERT INTO \"users\""}},
        {"a duplicate primary key", [](fixture& f) { write(f, User{.id = 2, .email = "new@example.com"}); },
         is<sq::integrity_error>(), "integrity_error", {"users.id", "INSERT INTO \"users\""}},
        {"a FOREIGN KEY violation",
         [](fixture& f) {
             sq::session db(f.engine);
             db.add(Order{.user_id = 999, .quantity = 1});
             db.commit();
         },
         is<sq::integrity_error>(), "integrity_error",
         {"FOREIGN KEY constraint failed", "\"order\".\"user_id\" REFERENCES \"users\" (\"id\")"}},
        {"deleting a parent that children reference",
         [](fixture& f) {
             sq::session db(f.engine);
             db.remove(*db.get<User>(1));
             db.commit();
         },
         is<sq::integrity_error>(), "integrity_error", {"FOREIGN KEY constraint failed", "DELETE FROM \"users\""}},

        // Stored values that do not fit the member: never truncated.
        {"an INTEGER too large for int32_t", [](fixture& f) { read_back<Narrow>(f, too_big_for_int32); },
         is<sq::data_error>(), "data_error", {"narrow.small", "5000000000", "out of range", "SELECT"}},
        {"NULL into a member that is not optional", [](fixture& f) { read_back<Narrow>(f, null_label); },
         is<sq::data_error>(), "data_error", {"narrow.label", "NULL"}},
        {"TEXT into an integer", [](fixture& f) { read_back<Narrow>(f, text_in_integer); }, is<sq::data_error>(),
         "data_error", {"narrow.small", "expected INTEGER, found TEXT"}},
        {"2 into a bool", [](fixture& f) { read_back<Narrow>(f, two_in_bool); }, is<sq::data_error>(), "data_error",
         {"narrow.flag", "not a boolean"}},
        {"1e300 into a float", [](fixture& f) { read_back<Narrow>(f, too_big_for_float); }, is<sq::data_error>(),
         "data_error", {"narrow.ratio", "out of range for a float"}},
        {"REAL 1.5 into an integer", [](fixture& f) { read_back<Narrow>(f, real_in_integer); }, is<sq::data_error>(),
         "data_error", {"narrow.small", "expected INTEGER, found REAL"}},
        {"-1 into a uint8_t", [](fixture& f) { read_back<Narrow>(f, negative_in_unsigned); }, is<sq::data_error>(),
         "data_error", {"narrow.byte", "-1", "out of range"}},
        {"a BLOB into a string", [](fixture& f) { read_back<Narrow>(f, blob_in_text); }, is<sq::data_error>(),
         "data_error", {"narrow.label", "expected TEXT, found BLOB"}},
        {"a value out of range read by a connection query",
         [](fixture& f) { (void)f.engine.connect().query<Narrow>().filter(sq::col<&Narrow::id> == 1).values(); },
         is<sq::data_error>(), "data_error", {"narrow.small", "out of range"}},
        {"a value out of range read by query().all()",
         [](fixture& f) {
             sq::session db(f.engine);
             (void)db.query<Narrow>().all();
         },
         is<sq::data_error>(), "data_error", {"narrow.", "SELECT"}},
        {"a uint64_t above INT64_MAX written",
         [](fixture& f) {
             sq::metadata<Big>::create_all(f.engine);
             sq::session db(f.engine);
             db.add(Big{.n = ~std::uint64_t{0}});
             db.commit();
         },
         is<sq::data_error>(), "data_error", {"big.n", "18446744073709551615"}},

        // Sessions used wrongly.
        {"add() on a closed session",
         [](fixture& f) {
             sq::session db(f.engine);
             db.close();
             db.add(User{.email = "closed@example.com"});
         },
         is<sq::invalid_request_error>(), "invalid_request_error", {"session is closed"}},
        {"query() on a closed session",
         [](fixture& f) {
             sq::session db(f.engine);
             (void)db.get<User>(1);
             db.close();
             (void)db.query<User>().count();
         },
         is<sq::invalid_request_error>(), "invalid_request_error", {"session is closed"}},
        {"commit() on a closed session",
         [](fixture& f) {
             sq::session db(f.engine);
             db.close();
             db.commit();
         },
         is<sq::invalid_request_error>(), "invalid_request_error", {"session is closed"}},
        {"a moved-from session",
         [](fixture& f) {
             sq::session db(f.engine);
             sq::session other(std::move(db));
             (void)db.get<User>(1);  // NOLINT(bugprone-use-after-move): that is the point
         },
         is<sq::invalid_request_error>(), "invalid_request_error", {"session is closed"}},
        {"remove() of an object the session does not track",
         [](fixture& f) {
             sq::session db(f.engine);
             User stranger{.id = 1, .email = "ana@example.com"};
             db.remove(stranger);
         },
         is<sq::invalid_request_error>(), "invalid_request_error", {"not tracked", "users"}},
        {"use after a failed flush, before rollback()",
         [](fixture& f) {
             sq::session db(f.engine);
             db.add(User{.email = "bob@example.com"});
             try {
                 db.commit();
             } catch (const sq::integrity_error&) {
             }
             (void)db.query<User>().count();
         },
         is<sq::pending_rollback_error>(), "pending_rollback_error",
         {"call rollback()", "UNIQUE constraint failed: users.email"}},
        {"an UPDATE of a row deleted behind the session",
         [](fixture& f) {
             // autocommit: the session's read holds no transaction (and so no lock) open, and
             // the other connection can delete the row behind it.
             f.file.exec("INSERT INTO users (id, email) VALUES (50, 'stale@example.com')");
             sq::session db(f.engine, {.autocommit = true});
             User* u = db.get<User>(50);
             f.file.exec("DELETE FROM users WHERE id = 50");
             u->age = 1;
             db.commit();
         },
         is<sq::stale_data_error>(), "stale_data_error", {"\"users\" row with id = 50", "matched no row", "UPDATE"}},
        {"refresh() of a row deleted behind the session",
         [](fixture& f) {
             f.file.exec("INSERT INTO users (id, email) VALUES (51, 'gone@example.com')");
             sq::session db(f.engine, {.autocommit = true});
             User* u = db.get<User>(51);
             f.file.exec("DELETE FROM users WHERE id = 51");
             db.refresh(*u);
         },
         is<sq::invalid_request_error>(), "invalid_request_error", {"users", "no longer exists"}},
        {"one() without a row",
         [](fixture& f) {
             sq::session db(f.engine);
             (void)db.query<User>().filter(sq::col<&User::id> == 404).one();
         },
         is<sq::no_result_found>(), "no_result_found", {}},
        {"raw SQL with a syntax error", [](fixture& f) { f.engine.connect().execute("SELEC id FROM users"); },
         is<sq::operational_error>(), "operational_error", {"syntax error", "SELEC id FROM users"}},
        {"raw SQL naming a table that does not exist",
         [](fixture& f) { (void)f.engine.connect().fetch<std::tuple<int>>("SELECT x FROM nowhere"); },
         is<sq::operational_error>(), "operational_error", {"no such table: nowhere", "SELECT x FROM nowhere"}},
        {"fetch() into a row type with the wrong number of columns",
         [](fixture& f) { (void)f.engine.connect().fetch<std::tuple<std::int64_t>>("SELECT id, email FROM users"); },
         is<sq::data_error>(), "data_error", {"2 columns", "1", "SELECT id, email FROM users"}},
    };
    if (geteuid() != 0) {
        all.push_back({"a write to a chmod 0444 file",
                       [](fixture& f) {
                           auto copy = f.dir.path() / "readonly.db";
                           std::filesystem::copy_file(f.path, copy);
                           chmod(copy.c_str(), 0444);
                           auto ro = sq::create_engine(f.dir.url("readonly.db"));
                           ro.connect().execute("DELETE FROM users");
                       },
                       is<sq::operational_error>(), "operational_error", {"readonly database"}});
    }
    return all;
}

}  // namespace bad_input_test

using namespace bad_input_test;

TEST_CASE("what users get wrong: a structql::error saying what and where, the engine usable, no data lost",
          "[reliability][errors]") {
    fixture f;
    const std::string before = f.committed();
    REQUIRE(!before.empty());
    int checked = 0;
    for (const bad_case& c : cases()) {
        INFO("case: " << c.name);
        std::exception_ptr thrown;
        try {
            c.action(f);
        } catch (...) {
            thrown = std::current_exception();
        }
        if (c.cleanup) c.cleanup(f);
        if (!thrown) {
            FAIL_CHECK("no exception");
            continue;
        }
        try {
            std::rethrow_exception(thrown);
        } catch (const sq::error& e) {
            INFO("message: " << e.what());
            CHECK(c.right_type(e));
            if (!c.right_type(e)) WARN(c.name << ": " << typeid(e).name() << " instead of " << c.type_name);
            for (const auto& part : c.message_has) CHECK_THAT(e.what(), Catch::Contains(part));
            for (const auto& part : c.message_lacks) CHECK_THAT(e.what(), !Catch::Contains(part));
        } catch (const std::exception& e) {
            FAIL_CHECK("not a structql::error but " << typeid(e).name() << ": " << e.what());
        }

        // No committed data lost, and the engine still works: write, read, delete.
        CHECK(f.committed() == before);
        {
            sq::session db(f.engine);
            User& u = db.add(User{.email = "after@example.com", .age = 7});
            db.commit();
            REQUIRE(db.get<User>(u.id) == &u);
            CHECK(db.query<User>().filter(sq::col<&User::email> == "after@example.com").count() == 1);
            db.remove(u);
            db.commit();
        }
        CHECK(f.file.count("SELECT count(*) FROM users WHERE email = 'after@example.com'") == 0);
        CHECK(f.engine.open_connections() <= 2);
        ++checked;
    }
    CHECK(checked == static_cast<int>(cases().size()));
}
