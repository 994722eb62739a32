// An aggregate inside a CASE in a locking query: refused like one on its own
// (for_update_aggregate.cpp), wherever in the select() list it sits.
#include <cstdint>

#include <structql/postgresql.hpp>

namespace sq = structql;

struct Account {
    std::int64_t id;
    std::int64_t balance;
};

void use(sq::postgresql_session& db) {
    db.query<Account>()
        .select(sq::case_(sq::when(sq::count() > 1, std::int64_t{1})).else_(std::int64_t{0}))
        .for_update()
        .all();
}
