#pragma once
// What the session tests share: the seed-like models (Pessoa, Post, Comment) and a fixture with a
// database of a schema, foreign keys enforced, and an independent probe (test_session.cpp,
// test_relationships.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <structql/structql.hpp>

#include "backends.hpp"
#include "support.hpp"

namespace session_test {
namespace sq = structql;
using structql_test::postgresql;
using structql_test::sqlite;

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

// A database with the schema, foreign keys enforced on every connection, and a probe.
template <class Database, class Schema = schema>
struct fixture {
    using session_type = typename Database::session_type;
    Database db;
    typename Database::engine_type engine;
    typename Database::probe_type file;

    explicit fixture(sq::engine_options options = {})
        : engine(db.make_engine(std::move(options))), file((create(engine), db.probe())) {}

    static void create(typename Database::engine_type& e) {
        Database::enforce_foreign_keys(e);
        Schema::create_all(e);
    }
    session_type session(sq::session_options options = {}) { return session_type(engine, options); }
    std::int64_t rows(const std::string& table) { return file.count("SELECT count(*) FROM \"" + table + "\""); }
};

}  // namespace session_test
