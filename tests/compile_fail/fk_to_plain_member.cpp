// A foreign_key<> to a member that is neither the parent's primary key nor unique<>: SQLite
// would accept the schema and then fail every child insert with "foreign key mismatch".
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Author {
    std::int64_t id;
    std::string name;
};
struct Post {
    std::int64_t id;
    sq::foreign_key<&Author::name> author_name;
};

void use(sq::session& db) { db.add(Post{}); }
