// Transactions on the value path: engine.begin() and connection.begin() guards (commit,
// rollback, rolled back at scope exit and when an exception unwinds), a COMMIT that fails, and
// engine.transaction(fn) / connection.transaction(fn). Checked through an independent
// connection (sqlite3 / libpq) on both backends.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>

#include <structql/structql.hpp>

#include "backends.hpp"

namespace transactions_test {
namespace sq = structql;
using structql_test::postgresql;
using structql_test::sqlite;

template <class Database>
struct fixture {
    Database db;
    typename Database::engine_type engine = db.make_engine({.pool_size = 1});
    fixture() { engine.connect().execute("CREATE TABLE t (x INTEGER)"); }
    std::string insert(int x) { return "INSERT INTO t VALUES (" + std::to_string(x) + ")"; }
    std::int64_t stored() {
        auto probe = db.probe();
        return probe.count("SELECT count(*) FROM t");
    }
};

}  // namespace transactions_test

using namespace transactions_test;

TEMPLATE_TEST_CASE("engine.begin(): a transaction on a connection of its own, committed or rolled back", "[engine][transaction]",
                   sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    SECTION("commit") {
        auto tx = f.engine.begin();
        CHECK(tx.is_active());
        CHECK(TestType::in_transaction(tx->native_handle()));
        tx->execute(f.insert(1));
        tx.connection().execute(sq::runtime_sql("INSERT INTO t VALUES (" + TestType::placeholder(1) + ")"), 2);
        CHECK(f.stored() == 0);  // not yet visible to others
        tx.commit();
        CHECK_FALSE(tx.is_active());
        CHECK(f.stored() == 2);
        CHECK_THROWS_AS(tx.commit(), sq::invalid_request_error);
        tx.rollback();  // nothing left to roll back
        CHECK(f.stored() == 2);
    }
    SECTION("rollback") {
        auto tx = f.engine.begin();
        tx->execute(f.insert(1));
        tx.rollback();
        CHECK_FALSE(tx.is_active());
        CHECK_FALSE(TestType::in_transaction(tx->native_handle()));
        CHECK(f.stored() == 0);
    }
    SECTION("neither: rolled back at scope exit, and the connection goes back to the pool") {
        {
            auto tx = f.engine.begin();
            tx->execute(f.insert(1));
        }
        CHECK(f.stored() == 0);
        auto c = f.engine.connect();  // pool_size 1: the guard's connection came back
        CHECK_FALSE(TestType::in_transaction(c.native_handle()));
    }
    SECTION("an exception unwinding the guard rolls it back") {
        try {
            auto tx = f.engine.begin();
            tx->execute(f.insert(1));
            throw std::runtime_error("request failed");
        } catch (const std::runtime_error&) {
        }
        CHECK(f.stored() == 0);
    }
    SECTION("a guard moved out of a function keeps its transaction") {
        auto open = [&] {
            auto tx = f.engine.begin();
            tx->execute(f.insert(1));
            return tx;
        };
        auto tx = open();
        CHECK(tx.is_active());
        tx->execute(f.insert(2));
        tx.commit();
        CHECK(f.stored() == 2);
    }
}

TEMPLATE_TEST_CASE("connection.begin(): a transaction on a lent connection", "[engine][transaction]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    auto c = f.engine.connect();
    {
        auto tx = c.begin();
        c.execute(f.insert(1));
        CHECK_THROWS_AS(c.begin(), sq::invalid_request_error);  // one at a time
        tx.commit();
    }
    CHECK(f.stored() == 1);
    {
        auto tx = c.begin();
        c.execute(f.insert(2));
    }
    CHECK(f.stored() == 1);
    CHECK_FALSE(TestType::in_transaction(c.native_handle()));
    try {
        auto tx = c.begin();
        c.execute(f.insert(3));
        throw std::runtime_error("request failed");
    } catch (const std::runtime_error&) {
    }
    CHECK(f.stored() == 1);
    CHECK_FALSE(TestType::in_transaction(c.native_handle()));
    c.execute(f.insert(4));  // the connection works on
    CHECK(f.stored() == 2);
}

TEMPLATE_TEST_CASE("a COMMIT that fails leaves nothing behind: the guard rolls back what is still open", "[engine][transaction]",
                   sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    TestType::enforce_foreign_keys(f.engine);
    f.engine.connect().execute(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY); "
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
    {
        auto tx = f.engine.begin();
        tx->execute("INSERT INTO child VALUES (7)");  // checked at COMMIT
        tx->execute(f.insert(1));
        CHECK_THROWS_AS(tx.commit(), sq::integrity_error);
        CHECK(tx.is_active());  // not committed: the guard rolls back what is still open (SQLite's)
    }
    CHECK(f.stored() == 0);
    auto probe = f.db.probe();
    CHECK(probe.count("SELECT count(*) FROM child") == 0);
    auto c = f.engine.connect();
    CHECK_FALSE(TestType::in_transaction(c.native_handle()));
}

TEMPLATE_TEST_CASE("engine.transaction(fn) and connection.transaction(fn) commit, or roll back and rethrow", "[engine][transaction]",
                   sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    using connection_type = typename TestType::connection_type;
    auto count = f.engine.transaction([&](connection_type& c) {
        c.execute(f.insert(1));
        return std::get<0>(c.template fetch<std::tuple<std::int64_t>>("SELECT count(*) FROM t").at(0));
    });
    CHECK(count == 1);
    CHECK(f.stored() == 1);
    CHECK_THROWS_WITH(f.engine.transaction([&](connection_type& c) {
        c.execute(f.insert(2));
        throw std::runtime_error("request failed");
    }),
                      "request failed");
    CHECK(f.stored() == 1);
    auto c = f.engine.connect();
    c.transaction([&](connection_type& same) { same.execute(f.insert(3)); });
    CHECK(f.stored() == 2);
    CHECK_THROWS_AS(c.transaction([&](connection_type& same) {
        same.execute(f.insert(4));
        same.execute("INSERT INTO no_such_table VALUES (1)");
    }),
                    sq::operational_error);
    CHECK(f.stored() == 2);
    CHECK_FALSE(TestType::in_transaction(c.native_handle()));
}

TEMPLATE_TEST_CASE("a read_only engine reads and refuses every write", "[engine][read_only]", sqlite, postgresql) {
    STRUCTQL_REQUIRE_BACKEND(TestType);
    fixture<TestType> f;
    f.engine.connect().execute(f.insert(7));
    auto reader = f.db.make_engine({.read_only = true});
    auto c = reader.connect();
    CHECK(c.template fetch<std::tuple<std::int64_t>>("SELECT x FROM t") == std::vector<std::tuple<std::int64_t>>{{7}});
    CHECK_THROWS_AS(c.execute(f.insert(8)), sq::operational_error);
    CHECK_THROWS_AS(c.transaction([&](auto& tx) { tx.execute(f.insert(9)); }), sq::operational_error);
    CHECK_THROWS_AS(c.execute("DROP TABLE t"), sq::operational_error);
    CHECK(f.stored() == 1);
}
