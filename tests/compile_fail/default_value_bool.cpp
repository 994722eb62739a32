// default_value on a bool: false, the value a member left unset holds, could not be told from
// a false set on purpose, so the default would overwrite it.
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Listing {
    std::int64_t id;
    bool active;
    static constexpr auto table_args = sq::table_args(sq::default_value<&Listing::active>(true));
};

void use(sq::session& db) { db.add(Listing{}); }
