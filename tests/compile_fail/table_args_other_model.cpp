// A table_args item over a member of another model: the index would name a column the table
// does not have.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Shop {
    std::int64_t id;
    std::string city;
};
struct Listing {
    std::int64_t id;
    std::int64_t shop_id;
    std::string sku;
    static constexpr auto table_args = sq::table_args(sq::index<&Listing::shop_id, &Shop::city>("ix_listing_city"));
};

void use(sq::session& db) { db.add(Listing{}); }
