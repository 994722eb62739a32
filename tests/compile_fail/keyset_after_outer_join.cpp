// Keyset pagination ordered by a column of an outer join's missing side: NULL there, which
// after()'s row comparison would skip (and SQLite sorts first, PostgreSQL last).
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct User {
    std::int64_t id;
    std::string name;
};
struct Post {
    std::int64_t id;
    sq::foreign_key<&User::id> user_id;
    std::string title;
};

void use(sq::session& db) { db.query<User>().outerjoin<Post>().order_by(sq::col<&Post::id>).after(std::int64_t{3}).all(); }
