// Two table_args items with one name: the second CREATE INDEX IF NOT EXISTS would silently do
// nothing, and an error naming the constraint would be ambiguous.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Listing {
    std::int64_t id;
    std::int64_t shop_id;
    std::string sku;
    double price;
    static constexpr auto table_args =
        sq::table_args(sq::unique_constraint<&Listing::shop_id, &Listing::sku>("uq_listing"),
                       sq::check("price >= 0", "uq_listing"));
};

void use(sq::session& db) { db.add(Listing{}); }
