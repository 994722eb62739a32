// An index (or unique constraint) without members: CREATE INDEX needs at least one column.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Listing {
    std::int64_t id;
    std::string sku;
    static constexpr auto table_args = sq::table_args(sq::unique_constraint<>("uq_listing"));
};

void use(sq::session& db) { db.add(Listing{}); }
