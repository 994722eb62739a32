// An aggregate in a locking query: PostgreSQL locks no rows of sum(...) and refuses the
// statement when it runs; refused here when the query is built.
#include <cstdint>

#include <structql/postgresql.hpp>

namespace sq = structql;

struct Account {
    std::int64_t id;
    std::int64_t balance;
};

void use(sq::postgresql_session& db) {
    db.query<Account>().select(sq::sum(sq::col<&Account::balance>)).for_update().all();
}
