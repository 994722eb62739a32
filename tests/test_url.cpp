// make_url: every expectation below is worked out by hand from the URL rules
// (dialect[+driver]://[user[:password]@][host][:port][/database][?key=value&...]),
// not copied from the parser's output.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "structql/url.hpp"

using structql::make_url;
using structql::url;
using structql::url_error;

namespace {

void check_same_parts(const url& actual, const url& expected) {
    CHECK(actual.dialect == expected.dialect);
    CHECK(actual.driver == expected.driver);
    CHECK(actual.username == expected.username);
    CHECK(actual.password == expected.password);
    CHECK(actual.host == expected.host);
    CHECK(actual.port == expected.port);
    CHECK(actual.database == expected.database);
    CHECK(actual.query == expected.query);
}

struct valid_case {
    std::string_view text;
    url expected;
    bool is_memory = false;
};

// Fields not named keep their defaults: no driver, no user, password, host or port, an
// empty database and no query.
const valid_case valid_cases[] = {
    // SQLite: in-memory forms.
    {"sqlite://", {.dialect = "sqlite"}, true},
    {"sqlite:///:memory:", {.dialect = "sqlite", .database = ":memory:"}, true},
    {"sqlite:///", {.dialect = "sqlite"}, true},
    {"sqlite:///:memory:?cache=shared",
     {.dialect = "sqlite", .database = ":memory:", .query = {{"cache", "shared"}}},
     true},
    {"sqlite:///file:mem1?mode=memory&cache=shared&uri=true",
     {.dialect = "sqlite",
      .database = "file:mem1",
      .query = {{"mode", "memory"}, {"cache", "shared"}, {"uri", "true"}}},
     true},
    {"sqlite:///file::memory:?uri=true",
     {.dialect = "sqlite", .database = "file::memory:", .query = {{"uri", "true"}}},
     true},
    {"sqlite://?cache=shared", {.dialect = "sqlite", .query = {{"cache", "shared"}}}, true},
    // SQLite: files. Three slashes then the path; a fourth slash makes it absolute.
    {"sqlite:///relative.db", {.dialect = "sqlite", .database = "relative.db"}},
    {"sqlite:///./sql_app.db", {.dialect = "sqlite", .database = "./sql_app.db"}},
    {"sqlite:////absolute/path.db", {.dialect = "sqlite", .database = "/absolute/path.db"}},
    {"sqlite:///file:name?mode=ro&uri=true",
     {.dialect = "sqlite", .database = "file:name", .query = {{"mode", "ro"}, {"uri", "true"}}}},
    {"sqlite:///my%20db%3F%25.db", {.dialect = "sqlite", .database = "my db?%.db"}},
    {"sqlite:///data/../x//y.db", {.dialect = "sqlite", .database = "data/../x//y.db"}},
    {"sqlite:///a@b:c.db", {.dialect = "sqlite", .database = "a@b:c.db"}},
    {"sqlite:///C:\\data\\app.db", {.dialect = "sqlite", .database = "C:\\data\\app.db"}},
    {"SQLite:///x.db", {.dialect = "sqlite", .database = "x.db"}},
    {"sqlite+pysqlite:///x.db", {.dialect = "sqlite", .driver = "pysqlite", .database = "x.db"}},
    {"sqlite:///file:memdb?mode=memoryX",
     {.dialect = "sqlite", .database = "file:memdb", .query = {{"mode", "memoryX"}}}},
    // PostgreSQL.
    {"postgresql://user:password@host:5432/dbname?sslmode=require&connect_timeout=5",
     {.dialect = "postgresql",
      .username = "user",
      .password = "password",
      .host = "host",
      .port = 5432,
      .database = "dbname",
      .query = {{"sslmode", "require"}, {"connect_timeout", "5"}}}},
    {"postgresql:///dbname?host=/var/run/postgresql",
     {.dialect = "postgresql",
      .database = "dbname",
      .query = {{"host", "/var/run/postgresql"}}}},
    {"postgresql+psycopg2://scott:tiger@localhost/test",
     {.dialect = "postgresql",
      .driver = "psycopg2",
      .username = "scott",
      .password = "tiger",
      .host = "localhost",
      .database = "test"}},
    {"POSTGRESQL+Psycopg2://u:Xyz@h/db",
     {.dialect = "postgresql",
      .driver = "Psycopg2",
      .username = "u",
      .password = "Xyz",
      .host = "h",
      .database = "db"}},
    {"postgres://u@h/db",
     {.dialect = "postgresql", .username = "u", .host = "h", .database = "db"}},
    {"postgresql://", {.dialect = "postgresql"}},
    {"postgresql://localhost", {.dialect = "postgresql", .host = "localhost"}},
    {"postgresql://localhost:5433",
     {.dialect = "postgresql", .host = "localhost", .port = 5433}},
    {"postgresql://:5433/db", {.dialect = "postgresql", .port = 5433, .database = "db"}},
    {"postgresql://h:1/db", {.dialect = "postgresql", .host = "h", .port = 1, .database = "db"}},
    {"postgresql://h:65535/db",
     {.dialect = "postgresql", .host = "h", .port = 65535, .database = "db"}},
    {"postgresql://h:005432/db",
     {.dialect = "postgresql", .host = "h", .port = 5432, .database = "db"}},
    // Passwords: encoded '@', '/', ':' and '%'; unencoded '@' and ':'; empty ones.
    {"postgresql://user%40corp:p%40ss%2Fw%3Ard%25@db.example.com:5432/app",
     {.dialect = "postgresql",
      .username = "user@corp",
      .password = "p@ss/w:rd%",
      .host = "db.example.com",
      .port = 5432,
      .database = "app"}},
    {"postgresql://bob:p@ss@host/db",
     {.dialect = "postgresql",
      .username = "bob",
      .password = "p@ss",
      .host = "host",
      .database = "db"}},
    {"postgresql://bob:a:b:c@host/db",
     {.dialect = "postgresql",
      .username = "bob",
      .password = "a:b:c",
      .host = "host",
      .database = "db"}},
    {"postgresql://bob:@host/db",
     {.dialect = "postgresql",
      .username = "bob",
      .password = "",
      .host = "host",
      .database = "db"}},
    {"postgresql://:s3cret@host/db",
     {.dialect = "postgresql",
      .username = "",
      .password = "s3cret",
      .host = "host",
      .database = "db"}},
    {"postgresql://@host/db",
     {.dialect = "postgresql", .username = "", .host = "host", .database = "db"}},
    // Hosts: IPv6 in brackets, a percent-encoded socket directory.
    {"postgresql://u:pw@[::1]:5432/db",
     {.dialect = "postgresql",
      .username = "u",
      .password = "pw",
      .host = "::1",
      .port = 5432,
      .database = "db"}},
    {"postgresql://[2001:db8::7]/db",
     {.dialect = "postgresql", .host = "2001:db8::7", .database = "db"}},
    {"postgresql://[fe80::1%25eth0]:5433/db",
     {.dialect = "postgresql", .host = "fe80::1%eth0", .port = 5433, .database = "db"}},
    {"postgresql://%2Fvar%2Frun%2Fpostgresql/db",
     {.dialect = "postgresql", .host = "/var/run/postgresql", .database = "db"}},
    // Databases and queries.
    {"postgresql://h/my%2Fdb", {.dialect = "postgresql", .host = "h", .database = "my/db"}},
    {"postgresql://h/db?a=1&a=2&b",
     {.dialect = "postgresql",
      .host = "h",
      .database = "db",
      .query = {{"a", "1"}, {"a", "2"}, {"b", ""}}}},
    {"postgresql://h/db?options=-c%20search_path%3Dapp&x=a+b",
     {.dialect = "postgresql",
      .host = "h",
      .database = "db",
      .query = {{"options", "-c search_path=app"}, {"x", "a+b"}}}},
    {"postgresql://h/db?a=1&&b=2&",
     {.dialect = "postgresql", .host = "h", .database = "db", .query = {{"a", "1"}, {"b", "2"}}}},
    {"postgresql://h/db?x=a=b",
     {.dialect = "postgresql", .host = "h", .database = "db", .query = {{"x", "a=b"}}}},
    {"postgresql://h/db?next=a@b",
     {.dialect = "postgresql", .host = "h", .database = "db", .query = {{"next", "a@b"}}}},
    {"postgresql://h?application_name=app%26co",
     {.dialect = "postgresql", .host = "h", .query = {{"application_name", "app&co"}}}},
};

struct invalid_case {
    std::string_view text;
    std::string_view message_part;  // what the message must say is wrong
    std::string_view secret = {};   // a password (or a piece of one) the message must hide
};

const invalid_case invalid_cases[] = {
    // No "://", or a bad dialect or driver.
    {"", "missing '://'"},
    {"sqlite", "missing '://'"},
    {"sqlite:/x.db", "missing '://'"},
    {"sqlite:x.db", "missing '://'"},
    {"postgresql:/u:hunter2@h/db", "missing '://'", "hunter2"},
    {"postgresql//u:hunter2@h/db", "missing '://'", "hunter2"},
    {"postgresql:/u:hunter2://@h/db", "malformed dialect", "hunter2"},
    {"://host/db", "empty dialect"},
    {"+psycopg2://host/db", "empty dialect"},
    {"post gres://host/db", "malformed dialect"},
    {"postgresql+://host/db", "empty driver"},
    {"postgresql+a+b://host/db", "malformed driver"},
    {"mysql://u:hunter2@h/db", "unknown dialect 'mysql' in URL 'mysql://u:***@h/db'", "hunter2"},
    {"oracle+cx_oracle://scott:tiger99@h/db", "unknown dialect 'oracle'", "tiger99"},
    // Ports.
    {"postgresql://u:hunter2@h:0/db", "invalid port", "hunter2"},
    {"postgresql://u:hunter2@h:65536/db", "invalid port", "hunter2"},
    {"postgresql://h:99999999999999999999/db", "invalid port"},
    {"postgresql://h:54x2/db", "invalid port"},
    {"postgresql://h:/db", "invalid port"},
    {"postgresql://h:-1/db", "invalid port"},
    {"postgresql://h: 5432/db", "invalid port"},
    {"postgresql://::1/db", "IPv6 host in brackets"},
    // A raw '/' ends the authority, so this password is misread as host "u", port
    // "hunter2": the message still masks it.
    {"postgresql://u:hunter2/x@h:5432/db", "invalid port", "hunter2"},
    // Hosts.
    {"postgresql://u:hunter2@[::1/db", "unclosed '['", "hunter2"},
    {"postgresql://[]:5432/db", "empty IPv6 host"},
    {"postgresql://[::1]x/db", "after ']'"},
    {"postgresql://h[1]/db", "outside an IPv6 host"},
    // Percent escapes.
    {"postgresql://u:hunter%zz@h/db", "invalid percent-escape in the password", "hunter"},
    {"postgresql://u:hunter2%4@h/db", "invalid percent-escape in the password", "hunter2"},
    {"postgresql://u:hunter2%@h/db", "invalid percent-escape in the password", "hunter2"},
    {"postgresql://u:hunter%002@h/db", "%00", "hunter"},
    {"postgresql://us%zzer:hunter2@h/db", "invalid percent-escape in the username", "hunter2"},
    {"postgresql://h%2/db", "invalid percent-escape in the host"},
    {"postgresql://h/d%b", "invalid percent-escape in the database"},
    {"postgresql://u:hunter2@h/db?x=%G1", "invalid percent-escape in the query", "hunter2"},
    {"postgresql://h/db?=1", "query parameter without a name"},
    // SQLite takes no host, user or port.
    {"sqlite://localhost/test.db", "sqlite URLs take no host, e.g. sqlite:///path.db"},
    {"sqlite://test.db", "did you mean 'sqlite:///test.db'?"},
    {"sqlite://u:hunter2@/x.db", "sqlite URLs take no host", "hunter2"},
    {"sqlite://u:hunter2@h", "sqlite URLs take no host", "hunter2"},
    {"sqlite://:5/x.db", "sqlite URLs take no host"},
    {"sqlite://[::1]/x.db", "sqlite URLs take no host"},
};

}  // namespace

TEST_CASE("make_url reads the parts of valid URLs", "[url]") {
    for (const valid_case& c : valid_cases) {
        INFO("URL: " << c.text);
        url parsed = make_url(c.text);
        check_same_parts(parsed, c.expected);
        CHECK(parsed.is_memory() == c.is_memory);

        INFO("rendered: " << parsed.render(false));
        check_same_parts(make_url(parsed.render(false)), c.expected);

        std::string hidden = parsed.render();
        if (parsed.password) {
            CHECK(hidden.find(":***@") != std::string::npos);
            if (!parsed.password->empty())
                CHECK(hidden.find(*parsed.password) == std::string::npos);
        } else {
            CHECK(hidden == parsed.render(false));
        }
    }
}

TEST_CASE("make_url rejects malformed URLs, naming the problem and hiding the password",
          "[url]") {
    for (const invalid_case& c : invalid_cases) {
        INFO("URL: " << c.text);
        std::string message;
        try {
            make_url(c.text);
            FAIL("no url_error thrown");
        } catch (const url_error& e) {
            message = e.what();
        }
        INFO("message: " << message);
        CHECK(message.find(c.message_part) != std::string::npos);
        CHECK(message.find("URL '") != std::string::npos);
        if (!c.secret.empty()) {
            CHECK(message.find(c.secret) == std::string::npos);
            CHECK(message.find("***") != std::string::npos);
        }
    }
}

TEST_CASE("url_error is a structql::error", "[url]") {
    CHECK_THROWS_AS(make_url("mysql://h/db"), structql::error);
    CHECK_THROWS_WITH(make_url("mysql://h/db"),
                      "unknown dialect 'mysql' in URL 'mysql://h/db'; known dialects: sqlite, "
                      "postgresql (alias postgres)");
}

TEST_CASE("query_value gives the last value for a key", "[url]") {
    url u = make_url("postgresql://h/db?a=1&b=&a=2");
    CHECK(u.query_value("a") == std::optional<std::string_view>("2"));
    CHECK(u.query_value("b") == std::optional<std::string_view>(""));
    CHECK_FALSE(u.query_value("c").has_value());
    CHECK_FALSE(u.query_value("A").has_value());  // keys are case-sensitive
}

TEST_CASE("render writes canonical URL text", "[url]") {
    url u = make_url("postgres+psycopg2://scott:tiger@localhost:5432/test?sslmode=require");
    CHECK(u.render() == "postgresql+psycopg2://scott:***@localhost:5432/test?sslmode=require");
    CHECK(u.render(false) ==
          "postgresql+psycopg2://scott:tiger@localhost:5432/test?sslmode=require");

    url encoded = make_url("postgresql://user%40corp:p%40ss%2Fw%3Ard%25@db.example.com:5432/app");
    CHECK(encoded.render(false) ==
          "postgresql://user%40corp:p%40ss%2Fw%3Ard%25@db.example.com:5432/app");
    CHECK(encoded.render() == "postgresql://user%40corp:***@db.example.com:5432/app");

    CHECK(make_url("postgresql://u@[::1]:5432/db").render() == "postgresql://u@[::1]:5432/db");
    CHECK(make_url("postgresql://bob:p@ss@host/db").render(false) ==
          "postgresql://bob:p%40ss@host/db");
    CHECK(make_url("sqlite://").render() == "sqlite://");
    CHECK(make_url("sqlite:///:memory:").render() == "sqlite:///:memory:");
    CHECK(make_url("sqlite:////absolute/path.db").render() == "sqlite:////absolute/path.db");
    CHECK(make_url("sqlite:///file:name?mode=ro&uri=true").render() ==
          "sqlite:///file:name?mode=ro&uri=true");
    CHECK(make_url("postgresql:///dbname?host=/var/run/postgresql").render() ==
          "postgresql:///dbname?host=/var/run/postgresql");
}

TEST_CASE("render encodes what would otherwise be read as a separator", "[url]") {
    url built{.dialect = "postgresql",
              .username = "a:b@c",
              .password = "p/w?#%@:",
              .host = "fe80::1%eth0",
              .port = 6543,
              .database = "d b/?x",
              .query = {{"k&=", "v&=+ "}, {"k&=", ""}}};
    INFO("rendered: " << built.render(false));
    check_same_parts(make_url(built.render(false)), built);
    CHECK(built.render().find("p/w") == std::string::npos);
}

TEST_CASE("is_memory is only for SQLite", "[url]") {
    CHECK_FALSE(make_url("postgresql://").is_memory());
    CHECK_FALSE(make_url("postgresql:///:memory:").is_memory());
    url built{.dialect = "sqlite", .database = ":memory:"};
    CHECK(built.is_memory());
}
