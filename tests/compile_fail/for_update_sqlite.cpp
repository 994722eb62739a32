// SELECT ... FOR UPDATE on SQLite, which has no row locks: refused when the query is built, not
// silently dropped (SQLAlchemy drops it) or sent to fail at run time.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Account {
    std::int64_t id;
    std::int64_t balance;
};

void use(sq::session& db) { db.query<Account>().filter(sq::col<&Account::id> == 1).for_update().all(); }
